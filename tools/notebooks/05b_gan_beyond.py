# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05b · GANs beyond the basics: progressive growing and CycleGAN
#
# **Part 2 of lab 05.** Do [`05_gan.ipynb`](05_gan.ipynb) first: this notebook reuses its judge
# classifier (the Frechet distance in that classifier's feature space, *not* Inception-FID) and
# compares with its pix2pix model.
#
# The lecture makes two claims in words that you will now put to the test:
#
# 1. **Progressive growing** (Karras et al. 2018): a GAN that starts at a tiny resolution and adds
#    layers, fading each one in, learns coarse structure first and trains more stably.
# 2. **CycleGAN** (Zhu et al. 2017): with *unpaired* data, the adversarial loss alone does not say
#    *which* output belongs to an input; the cycle-consistency loss ties each output to its input (you
#    will measure how far that tie goes).
#
# Objectives: write the fade-in blend and check it against the real generator; watch the resolution
# grow; compare with a GAN trained at full size on the same budget; build two unpaired domains; write
# the cycle-consistency and identity losses; train a CycleGAN with and without its cycle loss and
# measure what the cycle loss does and does not guarantee; compare with paired pix2pix; finally put
# the course's three generative models (autoencoder, VAE, GAN) side by side.
#
# *Fast mode* (CPU, tests) shrinks everything, so pictures are rough; *full mode* (GPU) gives the
# real thing with the same code.

# %%
import labkit
cfg = labkit.setup(seed=0, threads=1)

# %% [markdown]
# ## 0. Data, sizes and the judge
# One config for both modes; the judge is the small MNIST classifier of lab 05 (trained once, cached).
# The **Frechet distance** used below compares two sets of images through the judge's features: fit a
# Gaussian (mean and covariance) to each set's features and measure how far apart the two Gaussians
# are. 0 means identical statistics; lower is better.

# %%
import torch
from labkit import by_mode
from labkit.data import mnist_splits
from labkit.gan import load_classifier
from labkit.viz import use_style, show_images
use_style()
S = by_mode(
    fast=dict(n_train=2000, n_test=1000, n_eval=500, latent=32, pro_channels=(32, 16, 8), pro_steps=80,
              batch=32, pro_lr=1e-3, cyc_channels=8, cyc_res=1, cyc_steps=60, cyc_batch=16, cyc_lr=1e-3,
              cmp_latent=8, cmp_width=8, cmp_hidden=64, cmp_epochs=3, gan_epochs=3, gan_base=16, gan_lr=1e-3),
    full=dict(n_train=None, n_test=5000, n_eval=5000, latent=64, pro_channels=(128, 64, 32), pro_steps=3000,
              batch=64, pro_lr=2e-4, cyc_channels=16, cyc_res=2, cyc_steps=1000, cyc_batch=16, cyc_lr=1e-3,
              cmp_latent=16, cmp_width=32, cmp_hidden=256, cmp_epochs=10, gan_epochs=10, gan_base=32,
              gan_lr=2e-4))
# Full mode is sized for a lab session: about 4 min on one H100, estimated from the GPU records
# (benchmarks/results/full_mode_cuda*.json: ProGAN ~16 ms a step, CycleGAN ~37 ms (~30 without the
# cycle loss), pix2pix ~13 ms, everything else ~65 s): 65 + 2 x 3000 x 0.016 + 1000 x (0.037 + 0.030
# + 0.013) = 65 + 96 + 80 = ~240 s (it was ~580 s with 6,000 ProGAN and 4,000 CycleGAN steps).
train, test = mnist_splits(S.n_train, S.n_test)
judge = load_classifier()
print(train, test, sep="\n")

# %% [markdown]
# ## 1. Progressive growing
#
# A GAN at full resolution from step one must learn the global layout of a digit and its
# pixel-level details at once, from a discriminator that is itself untrained. ProGAN starts at
# **7x7**, where only the coarse shape exists, then grows both networks to **14x14** and **28x28**.
#
# Each resolution has its own **toRGB** layer: a 1x1 convolution that turns the feature maps of that
# resolution into an image (one grey channel here). A new block is not switched on abruptly: it is
# **faded in**. With the features `h` of the old top layer, the generator outputs
#
# $$ G_\alpha(z) = (1-\alpha)\,\mathrm{up}\big(\mathrm{toRGB}_{\text{old}}(h)\big)
#    + \alpha\,\mathrm{toRGB}_{\text{new}}\big(\mathrm{block}(\mathrm{up}(h))\big),
#    \qquad \alpha: 0 \to 1, $$
#
# where `up` is nearest-neighbour upsampling (each pixel becomes a 2x2 block). The discriminator
# mixes the same way (the real images too, so D cannot spot the new size by sharpness). At
# $\alpha = 0$ the grown network computes *exactly* what the small one did.
#
# ### Exercise 1.1: the fade-in blend
# Write `fade_in(old_rgb, new_rgb, alpha)`: `old_rgb` (N, 1, r, r) is the old toRGB image, `new_rgb`
# (N, 1, 2r, 2r) the new block's image, `alpha` a float in [0, 1]. Return the blended (N, 1, 2r, 2r)
# image of the formula above. Use torch operations only, so gradients reach both toRGB layers.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "gan-beyond-fade-in"}
import torch
import torch.nn.functional as F

def fade_in(old_rgb, new_rgb, alpha):
    """Blend the old stage's image (N, 1, r, r) into the new one (N, 1, 2r, 2r); alpha weights the new."""
    ### BEGIN SOLUTION
    old_up = F.interpolate(old_rgb, scale_factor=2, mode="nearest")   # (N, 1, 2r, 2r)
    return (1 - alpha) * old_up + alpha * new_rgb
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "gan-beyond-fade-in-test", "points": 2}
import labkit.checks.gan_beyond as check
check.fade_in(fade_in)
### BEGIN HIDDEN TESTS
assert check.fade_in(fade_in, seed=11)
assert check.fade_in(fade_in, seed=12)
### END HIDDEN TESTS

# %% [markdown]
# Your blend against the real generator: `ProGenerator.features(z, stage=1)` returns the new 14x14
# features, block(up(h)), and the old 7x7 features `h`; each toRGB layer (followed by `tanh`) turns
# them into images. We compare the grown generator with your blend, and with the small network's 7x7
# output upsampled.

# %%
from labkit.gan import ProGenerator, frechet_distance, render_growth, sample, train_progan
from labkit.gan import upsample_to
G = ProGenerator(S.latent, S.pro_channels)
z = torch.randn(8, S.latent)
with torch.no_grad():
    h_new, h = G.features(z, stage=1)                        # (8, c1, 14, 14), (8, c0, 7, 7)
    old_rgb, new_rgb = torch.tanh(G.to_rgb[0](h)), torch.tanh(G.to_rgb[1](h_new))
    small = G(z, stage=0)                                    # the 7x7 network's output
    gaps, mine = {}, {}
    for alpha in (0.0, 0.5, 1.0):
        grown = G(z, stage=1, alpha=alpha)                   # 14x14
        gaps[alpha] = float((grown - upsample_to(small, 14)).abs().max())
        mine[alpha] = float((grown - fade_in(old_rgb, new_rgb, alpha)).abs().max())
        print(f"alpha={alpha}: {tuple(grown.shape)}, max |G_alpha - upsampled 7x7| = {gaps[alpha]:.4f}, "
              f"max |G_alpha - your fade_in| = {mine[alpha]:.1e}")

# %% [markdown]
# **Reading.** Your blend reproduces the generator at every `alpha` (the last column is at rounding
# level), and at `alpha=0` the grown generator is *exactly* the small one blown up: the gap is 0. The
# gap then grows with `alpha` as the new block takes over.

# %% tags=["claim"]
assert gaps[0.0] == 0.0, f"at alpha=0 the grown G should equal the upsampled 7x7 G, gap {gaps[0.0]:.3g}"
assert gaps[0.5] > 0 and gaps[1.0] > gaps[0.5], f"the gap should grow with alpha: {gaps}"
assert max(mine.values()) < 1e-5, f"fade_in should reproduce ProGenerator's blend: {mine}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "gan-beyond-q-fade-in", "points": 1}
# **Question 1.1.** Why does the gap have to be exactly 0 at `alpha=0`? What would happen to the
# discriminator's judgement (and to the generator's gradients) if the new block were switched on
# at once with random weights?
#
# ### BEGIN SOLUTION
# At `alpha=0` the grown network must compute what the trained small network computed, so growing
# changes nothing at first: the samples D has learnt to judge and the gradients G receives are the
# same as the step before. A new block with random weights switched on at once would replace a good
# 7x7-derived image by noise at 14x14: D would reject every sample trivially (its loss collapses, it
# no longer gives useful feedback), G's gradients would be large and uninformative, and the coarse
# structure learnt so far could be destroyed before the new layers learn anything. Raising `alpha`
# slowly lets the new block start from the old output and take over gradually.
# ### END SOLUTION

# %% [markdown]
# Now train it: the schedule spends a quarter of the steps at 7x7, then fades in 14x14, then 28x28.
# Snapshots of the generator on a fixed batch of `z` are kept along the way.

# %%
pro = train_progan(train.images, S.pro_steps, progressive=True, batch_size=S.batch,
                   latent_dim=S.latent, channels=S.pro_channels, lr=S.pro_lr)
print(f"{len(pro.snapshots)} snapshots, {pro.seconds:.0f}s in training steps")

# %% [markdown]
# Move the slider through training: the samples are shown at the resolution the generator had at
# that step (7x7 pixels stay big), and the right panel shows where that step is in the schedule.

# %%
from labkit.views import SliderView, int_slider, static_grid, dropdown
growth_view = SliderView(render_growth, fixed={"snapshots": pro.snapshots, "schedule": pro.schedule},
                         title="Progressive growing: samples over training",
                         index=int_slider("snapshot", 0, len(pro.snapshots) - 1, len(pro.snapshots) - 1))
growth_view

# %%
if cfg.fast:                                               # static version for headless runs
    picks = sorted({0, len(pro.snapshots) // 3, 2 * len(pro.snapshots) // 3, len(pro.snapshots) - 1})
    static_grid(render_growth, [{"index": i} for i in picks], ncols=2, figsize_per=(6, 2.7),
                fixed={"snapshots": pro.snapshots, "schedule": pro.schedule},
                titles=[f"snapshot {i}" for i in picks]);

# %% [markdown]
# **Reading.** The first snapshot is 7x7 noise in big pixels (the generator is untrained). Each shaded
# band in the schedule is a fade-in: there the samples blend the upsampled coarse image with the new
# resolution's. Only the last part of training runs at 28x28, so the final samples have had fewer steps
# at full size than those of a GAN trained at 28x28 throughout (next).

# %% [markdown]
# ### Same budget, full size from the start
# The fair baseline: the *same* networks, the same number of steps and batch size, trained at 28x28
# from step 0. We compare both with the Frechet distance in the judge's feature space (same number
# of samples on both sides, against held-out real digits). The distance between two sets of *real*
# digits of that size is the floor: nothing scores lower.

# %%
fixed = train_progan(train.images, S.pro_steps, progressive=False, batch_size=S.batch,
                     latent_dim=S.latent, channels=S.pro_channels, lr=S.pro_lr)
print(f"progressive: {pro.seconds:.0f}s, fixed 28x28: {fixed.seconds:.0f}s of training steps")

# %%
real = test.images[:S.n_eval]
fd = {"real vs real (floor)": frechet_distance(real, train.images[:S.n_eval], judge)}
for name, run in [("progressive 7->14->28", pro), ("fixed 28x28", fixed)]:
    fd[name] = frechet_distance(real, sample(run.G, S.n_eval, seed=1), judge)
for name, v in fd.items():
    print(f"{name:24s} Frechet distance (judge features, {S.n_eval} vs {S.n_eval}): {v:8.2f}")

# %% [markdown]
# A laptop cannot train these GANs for long, so in fast mode the notebook also loads a **full-size
# reference**: the same two runs trained for much longer by `benchmarks/reference_progan.py` (a CPU
# proxy of full mode; the line printed below says how it differs). It never saw the held-out digits
# used here (the loader checks), and it is scored exactly as your runs.

# %%
if cfg.fast:
    from labkit.data.reference import reference_progan
    *ref_nets, ref = reference_progan()
    held = ref.held_out(real)                 # the digits it never saw (offline: all of them)
    ref_fd = {}
    for (name, run), G in zip([("progressive 7->14->28", pro), ("fixed 28x28", fixed)], ref_nets):
        mine, theirs = ref_fd[name] = [frechet_distance(held, sample(g, S.n_eval, seed=1), judge)
                                       for g in (run.G, G)]
        print(f"{name:22s} your model: {mine:6.1f}; full-size reference: {theirs:6.1f}")
    print(f"{ref.label()}; {ref.meta['reduced']}")

# %%
import matplotlib.pyplot as plt
shown = [("progressive", pro.G), ("fixed 28x28", fixed.G)]
if cfg.fast:
    shown += [(f"{name}, full-size reference", G) for (name, _), G in zip(shown, ref_nets)]
fig, axes = plt.subplots(len(shown) // 2, 2, figsize=(8, 2.4 * (len(shown) // 2)), squeeze=False)
for ax, (name, G) in zip(axes.flat, shown):
    show_images(sample(G, 32, seed=2), nrow=8, ax=ax, title=name)

# %% [markdown]
# **Reading.** Look for digit shapes: in fast mode (80 steps on a CPU) both sets are blobs, both Frechet
# distances are far above the real-vs-real floor, and the ranking can go either way. On a CPU the
# progressive run's steps are cheaper (compare the two training times above): it spends its first steps
# on tiny images, so the same number of steps costs it less, and gives it fewer steps at the final size.
# Which one wins depends on the budget. The records: at 1,500 steps with these fast widths
# (`benchmarks/results/gan_beyond.json`, two seeds, large seed-to-seed spread) the fixed GAN scored
# better (mean Frechet distance 93 vs 152) while the progressive run used about 35 % less CPU time;
# with full mode's networks on an H100 progressive scored better both at 6,000 steps (9.5 vs 18.2, floor
# 0.7, `benchmarks/results/full_mode_cuda.json`) and at 300 steps (161 vs 278,
# `full_mode_cuda_rerun.json`). Full mode now takes 3,000 steps, so that the notebook fits a lab
# session; the claim cell below checks the ranking in full mode only.
#
# **The reference** (bottom row in fast mode) draws strokes and loops where your runs draw blobs, and
# its Frechet distances are far lower than yours. Its two runs score about the same (compare the two
# reference numbers) although their samples look different (thinner strokes from the progressive
# run): at 2,000 steps with these small networks, growing neither helped nor hurt the score, so this
# budget does not settle the lecture's claim either way; the GPU records above do.

# %% tags=["claim"]
if cfg.fast:
    assert all(theirs < mine for mine, theirs in ref_fd.values()), f"the reference should beat yours: {ref_fd}"
    (_, p), (_, f) = ref_fd.values()
    assert abs(p - f) < 0.1 * min(p, f), f"the reference's two runs should score about the same: {ref_fd}"
floor = fd["real vs real (floor)"]
assert floor < min(fd["progressive 7->14->28"], fd["fixed 28x28"]), f"real vs real should be the floor: {fd}"
if cfg.device.type == "cpu":
    assert pro.seconds < fixed.seconds, \
        f"on a CPU progressive steps should be cheaper: {pro.seconds:.1f}s vs {fixed.seconds:.1f}s"
if cfg.mode == "full":
    assert fd["progressive 7->14->28"] < fd["fixed 28x28"], \
        f"full mode: progressive should score better: {fd}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "gan-beyond-q-budget", "points": 1}
# **Question 1.2.** Is "same number of steps" the fair budget, or "same compute time"? Which one
# favours progressive growing, and why did ProGAN matter most at 1024x1024 rather than at 28x28?
#
# ### BEGIN SOLUTION
# Practitioners pay for compute time, so equal time (or equal FLOPs) is the fairer budget. Equal steps
# favours the fixed-size GAN: the progressive run spends many of its steps at low resolution and gets
# fewer steps at the final size. Equal time favours progressive growing, because its low-resolution
# steps are cheaper, so it can take more of them. The saving grows with the final resolution: at
# 1024x1024 a full-size step costs thousands of times a 4x4 one and a GAN that starts there is very
# unstable, while at 28x28 the stages differ by only 16x in pixels and even a fixed GAN trains.
# ### END SOLUTION

# %% [markdown]
# ## 2. CycleGAN: translation without pairs
#
# pix2pix (lab 05, section 5) learns A -> B from **pairs** (x, y): its L1 term says exactly which
# output each input should give. Often no pairs exist (horses/zebras, summer/winter). CycleGAN
# trains two generators G: A -> B and F: B -> A, two discriminators, and adds the
# **cycle-consistency** loss
#
# $$ \mathcal{L}_{cyc} = \lVert F(G(a)) - a \rVert_1 + \lVert G(F(b)) - b \rVert_1 , $$
#
# optionally the **identity** loss $\lVert G(b) - b \rVert_1 + \lVert F(a) - a \rVert_1$: a generator
# shown an image that is already in its target domain should leave it alone. Here
# $\lVert\cdot\rVert_1$ is the mean absolute difference over the pixels of the batch.
#
# ### Exercise 2.1: the cycle-consistency loss
# Write `cycle_loss(xa, xb, g_ab, g_ba)`: `xa` is a batch of domain A images, `xb` a batch of domain
# B images (not the same digits, not even the same batch size), `g_ab` and `g_ba` are the two
# generators (any callables image batch -> image batch). Return the scalar $\mathcal{L}_{cyc}$,
# differentiable with respect to both generators.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "gan-beyond-cycle-loss"}
def cycle_loss(xa, xb, g_ab, g_ba):
    """L_cyc of one batch: both round trips, mean absolute error each, summed (a scalar tensor)."""
    ### BEGIN SOLUTION
    back_a = g_ba(g_ab(xa))                  # A -> B -> A
    back_b = g_ab(g_ba(xb))                  # B -> A -> B
    return (back_a - xa).abs().mean() + (back_b - xb).abs().mean()
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "gan-beyond-cycle-loss-test", "points": 2}
check.cycle_loss(cycle_loss)
### BEGIN HIDDEN TESTS
assert check.cycle_loss(cycle_loss, seed=21)
assert check.cycle_loss(cycle_loss, seed=22)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2.2: the identity loss
# Write `identity_loss(xa, xb, g_ab, g_ba)` with the same arguments: the scalar identity loss above,
# one term per generator.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "gan-beyond-identity-loss"}
def identity_loss(xa, xb, g_ab, g_ba):
    """Identity loss of one batch: each generator on an image already in its target domain (scalar)."""
    ### BEGIN SOLUTION
    return (g_ab(xb) - xb).abs().mean() + (g_ba(xa) - xa).abs().mean()
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "gan-beyond-identity-loss-test", "points": 2}
check.identity_loss(identity_loss)
### BEGIN HIDDEN TESTS
assert check.identity_loss(identity_loss, seed=31)
assert check.identity_loss(identity_loss, seed=32)
### END HIDDEN TESTS

# %% [markdown]
# Our two domains come from MNIST: **thin** strokes (erosion: each pixel takes the darkest value of its
# 2x2 neighbourhood) and **thick** strokes (dilation: each pixel takes the brightest value of its 3x3
# neighbourhood).
# Domain A and domain B are made from *disjoint halves* of the images: the thin and the thick
# version of one handwritten digit never both exist in the training data.

# %%
from labkit.data.domains import make_domains, stroke_width
dom = make_domains(train.images, train.labels, "thin-thick", seed=0)
assert set(dom.source_a.tolist()).isdisjoint(dom.source_b.tolist())   # no digit in both domains
test_pairs = make_domains(test.images, test.labels, "thin-thick", paired=True)  # for evaluation only
print(dom)
fig, axes = plt.subplots(2, 1, figsize=(8, 2.6))
for ax, x, name in [(axes[0], dom.a, "domain A: thin"), (axes[1], dom.b, "domain B: thick")]:
    show_images(x[:16], nrow=16, ax=ax, title=f"{name}, stroke width {stroke_width(x).mean():.1f} px")

# %% [markdown]
# **Reading.** The two rows show different handwritten digits: nothing tells the model which thick
# image belongs to which thin one. Only the style differs between the domains, and the stroke width
# in the titles measures it.
#
# Train the full CycleGAN (adversarial + 10 x cycle loss), then the same networks **without** the
# cycle loss (`lambda_cycle=0`), same data, same steps.

# %%
from labkit.gan import evaluate_translation, render_round_trip, round_trip, train_cyclegan
kw = dict(batch_size=S.cyc_batch, channels=S.cyc_channels, n_res=S.cyc_res, lr=S.cyc_lr)
cyc = train_cyclegan(dom, S.cyc_steps, lambda_cycle=10.0, **kw)

# %%
nocyc = train_cyclegan(dom, S.cyc_steps, lambda_cycle=0.0, **kw)

# %% [markdown]
# Your two losses on held-out images, for both trained models (generators in eval mode, images
# mapped to [-1, 1] as the models see them):

# %%
xa = test_pairs.a[:S.n_eval]                                  # thin test digits
xb = test_pairs.b[-S.n_eval:]                                 # thick test digits (other ones in fast mode)
dev = next(cyc.model.parameters()).device
losses = {}
with torch.no_grad():
    for name, run in [("with cycle loss", cyc), ("without cycle loss", nocyc)]:
        m = run.model.eval()
        a, b = xa.to(dev) * 2 - 1, xb.to(dev) * 2 - 1           # the models work in [-1, 1]
        losses[name] = (float(cycle_loss(a, b, m.g_ab, m.g_ba)), float(identity_loss(a, b, m.g_ab, m.g_ba)))
        print(f"{name:20s} cycle loss {losses[name][0]:.3f}   identity loss {losses[name][1]:.3f}")

# %% [markdown]
# **Reading.** The model trained with the cycle loss has the lower cycle loss on images it never saw:
# the term it was trained on generalises. Nobody trained either model on the identity loss; compare
# the two values anyway, then see question 3 at the end.

# %% tags=["claim"]
assert losses["with cycle loss"][0] < losses["without cycle loss"][0], \
    f"training on L_cyc should lower it on held-out images: {losses}"

# %% [markdown]
# Round trips on held-out thin digits: A, its translation to B, and back to A. Pick the model and
# slide through the test images.

# %%
trips = {name: (xa, *round_trip(run.model, xa)) for name, run in
         [("with cycle loss", cyc), ("without cycle loss", nocyc)]}
trip_view = SliderView(render_round_trip, fixed={"trips": trips, "names": ("thin", "thick")},
                       title="CycleGAN round trips thin -> thick -> thin",
                       model=dropdown("model", list(trips)),
                       start=int_slider("first test image", 0, len(xa) - 8, 0))
trip_view

# %%
if cfg.fast:                                               # static version for headless runs
    static_grid(render_round_trip, [{"model": m} for m in trips], ncols=1, figsize_per=(7, 2.6),
                fixed={"trips": trips, "names": ("thin", "thick")}, titles=list(trips));

# %% [markdown]
# **Reading.** Compare the bottom row of each panel with the top one: the round-trip error in the panel
# titles is what the cycle loss penalises. Then look at the middle row: is it thick, and is it still the
# input's digit? The round trip alone does not answer that; the table below measures it.

# %% [markdown]
# ### What the cycle loss does, and does not, guarantee
# The judge classifier tells us whether a translated digit is still read as the *same digit*:
# `label_kept` is the fraction of outputs it classifies as the input's label (the true thick digits give
# a reference: the judge misreads some of those too, so a translation can even score above them).
# Because the test set is paired (we made it, CycleGAN never saw it), we also know the true thick
# version of every input: `l1_to_truth` is the mean absolute pixel difference to it. `stroke_width` says
# whether the output reached domain B's style at all, and `round_trip_l1` is the mean absolute
# difference between A -> B -> A and A.

# %%
classify = lambda x: judge(x).argmax(1)
labels, truth = test_pairs.labels_a[:S.n_eval], test_pairs.b[:S.n_eval]
report = {"true B": evaluate_translation(truth, labels, classify, truth)}
for name, (a, fake_b, rec_a) in trips.items():
    report[name] = evaluate_translation(fake_b, labels, classify, truth, a, rec_a)
for name, r in report.items():
    print(f"{name:20s} " + "  ".join(f"{k}={v:.3f}" for k, v in r.items()))

# %% [markdown]
# **Reading.** The cycle loss does what it asks for: with it the round trip comes back closer to the
# input (lower `round_trip_l1`), in this run and in every recorded one. Whether the *translation* keeps
# the digit is a separate question. Compare `label_kept` of the two models in this run, and know that in
# the records it went both ways: at 800 steps on a CPU (`benchmarks/results/gan_beyond.json`) the judge
# read 0.86 of the outputs right with the cycle loss and 0.75 without; in a 300-step run with wider
# networks (channels 32, three residual blocks, lr 2e-4) on a GPU
# (`benchmarks/results/full_mode_cuda_rerun.json`) it read 0.22 with the cycle loss and 0.93 without. That CycleGAN came back almost perfectly (round trip 0.024) from outputs
# the judge mostly misread, while the model without the cycle loss made thicker copies of its inputs
# that the judge read well (stroke width 3.2, against 4.3 for the true thick digits). The cycle loss
# only asks that the input can be *recovered* from the output, and a generator can hide what it needs in
# faint patterns that a judge (or a human) ignores (Chu et al. 2017, "CycleGAN, a master of
# steganography").

# %% tags=["claim"]
rt_with = report["with cycle loss"]["round_trip_l1"]
rt_without = report["without cycle loss"]["round_trip_l1"]
assert rt_with < rt_without, \
    f"the cycle loss should make the round trip closer: {rt_with:.3f} vs {rt_without:.3f}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "gan-beyond-q-cycle", "points": 1}
# **Question 2.1.** Without the cycle loss, what in the objective ties an output to its input? Which
# failure do you see in the round-trip view and in `label_kept` in this run: a different digit, the
# same output for every input (mode collapse), an output that stays close to the input, or something
# else? And why does a low round-trip error not prove that the thick output shows the same digit?
#
# ### BEGIN SOLUTION
# Nothing: the adversarial loss only asks that the outputs, as a set, look like domain B, so any
# assignment of inputs to thick digits is equally good (a different digit, one collapsed output, or a
# near-copy of the input that is thick enough to fool a weak d_b). What we see depends on the run; the
# round-trip error is always higher without the cycle loss. A low round-trip error only says the input
# can be reconstructed from the output: the information may be kept as the visible digit, or hidden in
# low-amplitude patterns that F decodes while the judge reads another digit (the GPU record: round trip
# 0.024 but only 22 % of labels kept). It constrains invertibility, not semantics.
# ### END SOLUTION

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "gan-beyond-q-invertible", "points": 1}
# **Question 2.2.** Dilation destroys information (two different thin digits can dilate to the same
# thick one). What must `F: B -> A` then do to reconstruct the input, and what does that say about
# "invertible" translations?
#
# ### BEGIN SOLUTION
# If two thin inputs map to the same thick image, no F can recover both from it. To make the round
# trip exact, G must keep the difference somewhere in its output (not a true dilation: small
# deviations that encode the thin details), and F must read those details back. The cycle loss thus
# forces the translation to be invertible, which the real mapping is not: for many-to-one style
# changes CycleGAN either tolerates some round-trip error or hides information in the output
# (steganography), and its lambda_cycle trades the two against realism.
# ### END SOLUTION

# %% [markdown]
# ### Paired pix2pix on the same task
# pix2pix (lab 05's model: a UNet generator and a patch discriminator, trained with adversarial +
# L1 loss) gets what CycleGAN never had: the pairs (thin digit, *its* thick version). Same number of
# steps, evaluated on the same held-out pairs.

# %%
from labkit.gan import render_translations, train_pix2pix_paired, translate
pairs = make_domains(train.images, train.labels, "thin-thick", paired=True)
pix = train_pix2pix_paired(pairs, S.cyc_steps, batch_size=S.cyc_batch, lr=S.cyc_lr)
pix_b = translate(pix.model, xa)
report["pix2pix (paired)"] = evaluate_translation(pix_b, labels, classify, truth)
for name, r in report.items():
    print(f"{name:20s} " + "  ".join(f"{k}={v:.3f}" for k, v in r.items()))

# %%
outs = {"CycleGAN": trips["with cycle loss"][1], "no cycle loss": trips["without cycle loss"][1],
        "pix2pix (paired)": pix_b}
scores = {k: f"kept {report[n]['label_kept']:.0%}" for k, n in
          zip(outs, ["with cycle loss", "without cycle loss", "pix2pix (paired)"])}
render_translations(xa, outs, truth=truth, scores=scores, names=("thin", "thick"));

# %% [markdown]
# **Reading.** Compare each model's row with the "true thick" row: how thick are the strokes, how sharp
# are the edges, is it the same digit? In a short run (fast mode) the pairs teach pix2pix the target
# *style* fastest: its mean stroke width in the table is the closest to the true thick digits'; the
# other columns can rank the models differently, so read them for this run. With full mode's budget
# both CycleGAN and pix2pix reach the true stroke width, and the pairs pay where they should: pix2pix
# comes closest to each input's own thick version (lowest `l1_to_truth`; see the reference below).
# The claim cell checks the first in fast mode and the second in full mode.

# %% tags=["claim"]
sw = {k: abs(r["stroke_width"] - report["true B"]["stroke_width"]) for k, r in report.items()}
l1 = {k: r["l1_to_truth"] for k, r in report.items()}
if cfg.fast:
    assert sw["pix2pix (paired)"] < min(sw["with cycle loss"], sw["without cycle loss"]), \
        f"pix2pix should match the true stroke width best: {sw}"
if cfg.mode == "full":
    assert l1["pix2pix (paired)"] < min(l1["with cycle loss"], l1["without cycle loss"]), \
        f"full mode: pix2pix should come closest to the true thick digits: {l1}"

# %% [markdown]
# ### The full-size reference
# In fast mode the notebook also loads the same three models trained at full mode's sizes (1,000
# steps on 5,000 digits) by `benchmarks/reference_cyclegan.py`. They never saw these test digits (the
# loader checks) and are measured exactly as yours:

# %%
if cfg.fast:
    from labkit.data.reference import reference_translators
    from labkit.gan import score_translator
    ref_models, ref = reference_translators()
    keep = torch.from_numpy(~ref.is_training_image(test.images[:S.n_eval]))  # offline: all of them
    x, y, t = xa[keep], labels[keep], truth[keep]                 # the digits it never saw
    yours = {"with cycle loss": cyc.model, "without cycle loss": nocyc.model, "pix2pix (paired)": pix.model}
    both = {name: [score_translator(m, x, y, classify, t) for m in (yours[name], ref_m)]
            for name, ref_m in ref_models.items()}
    for name, ((_, mine), (_, theirs)) in both.items():
        for k in theirs:
            print(f"{name:19s} {k:13s} your model: {mine[k]:.3f}; full-size reference: {theirs[k]:.3f}")

# %%
if cfg.fast:
    short = {"with cycle loss": "CycleGAN", "without cycle loss": "no cycle loss", "pix2pix (paired)": "pix2pix"}
    rows = {f"{short[name]}\n{who}": out for name, pair in both.items()
            for who, (out, _) in zip(["yours", "reference"], pair)}
    render_translations(x, rows, truth=t, names=("thin", "thick"));

# %% [markdown]
# **Reading.** With the full budget all three models turn thin digits into thick ones that are hard to
# tell from the true ones, so the pictures no longer separate them; the numbers do. The pairs give
# pix2pix the lowest `l1_to_truth`, the cycle loss gives CycleGAN a lower round-trip error than the
# model without it, and even without the cycle loss most outputs keep the input's digit (its
# `label_kept` line): a thicker copy of the input is the easiest way to fool `d_b`, although nothing
# in its objective asks for it. Each reference model comes closer to the true thick digits than yours:
# what your short run lacks is budget (steps, width, data), not a different method.

# %% tags=["claim"]
if cfg.fast:
    R, Y = ({name: pair[i][1] for name, pair in both.items()} for i in (1, 0))  # reference, yours
    r_l1 = {k: r["l1_to_truth"] for k, r in R.items()}
    assert r_l1["pix2pix (paired)"] < min(r_l1["with cycle loss"], r_l1["without cycle loss"]), \
        f"reference: pix2pix should come closest to the true thick digits: {r_l1}"
    assert R["with cycle loss"]["round_trip_l1"] < R["without cycle loss"]["round_trip_l1"], \
        f"reference: the cycle loss should lower the round trip: {R}"
    assert R["without cycle loss"]["label_kept"] > 0.5, f"reference: most outputs keep the digit: {R}"
    assert all(R[k]["l1_to_truth"] < Y[k]["l1_to_truth"] for k in R), f"the reference should be closer: {R} {Y}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "gan-beyond-q-pairs", "points": 1}
# **Question 2.3.** pix2pix is told the right answer for every input; CycleGAN is not. Compare
# them on `l1_to_truth`, `stroke_width` and `label_kept`: which wins where, in this run? What could
# hold pix2pix back here (its L1 term favours the *average* answer: look at the edges), and what
# would you expect with ten times the steps (`benchmarks/gan_beyond.py`)? If you *had* pairs, would
# you still use CycleGAN?
#
# ### BEGIN SOLUTION
# (The ranking depends on the run; a good answer quotes this run's table.) pix2pix reaches the target
# style best: its stroke width matches the true thick digits. With few steps its L1 term pulls towards
# the average of the plausible outputs, so edges are blurred and `l1_to_truth` or `label_kept` can still
# trail a CycleGAN that happens to keep the input's shape. With ten times the steps the paired signal
# wins where it should (at 800 steps, `benchmarks/results/gan_beyond.json`: l1_to_truth 0.012 for
# pix2pix vs 0.021 for CycleGAN, stroke width 4.36 vs true 4.36), and label_kept ties (0.86 both). With
# pairs one would use a paired method: the cycle loss is a weaker substitute for the supervision that
# pairs give directly, and it forces an invertibility that the task may not have.
# ### END SOLUTION

# %% [markdown]
# ## 3. Autoencoder, VAE, GAN: what each one can do
# The course built three generative models. They differ less in pictures than in what they let you
# *do* with an image:
#
# - **sample**: draw new images. The VAE decodes z from its prior N(0, I); the GAN feeds z to its
#   generator; a plain autoencoder (AE) has no prior, so the best we can do is guess one (N(0, I) here).
# - **encode**: map an image to a code and back. AE and VAE have an encoder; the GAN has none (finding
#   a z for a given image needs an optimisation, "GAN inversion").
# - **score p(x)**: say how likely an image is. Only the VAE gives a number: its ELBO (evidence lower
#   bound, lab 04), a lower bound on log p(x) in nats. A GAN's discriminator is no density: it only
#   separates real images from the current generator's.
#
# We train a small AE and VAE (lab 04's networks) and a DCGAN (lab 05's) on the same images, then
# measure each ability: the Frechet distance of 500 samples (fast mode; more in full mode) for
# sampling, the mean squared reconstruction error per pixel on held-out digits for encoding, and the
# VAE's ELBO on held-out digits and on the same digits with pixel noise for scoring.

# %%
from labkit.gan import train_image_gan
from labkit.vae import AE, VAE, corrupt, evaluate_elbo, recon_errors, train_autoencoder
ae = AE(S.cmp_latent, S.cmp_width, S.cmp_hidden)
vae = VAE(S.cmp_latent, S.cmp_width, S.cmp_hidden)
for model in (ae, vae):
    train_autoencoder(model, train.images, epochs=S.cmp_epochs, batch_size=S.batch)
dcgan = train_image_gan(train, epochs=S.gan_epochs, latent_dim=S.latent, base=S.gan_base,
                        batch_size=S.batch, lr=S.gan_lr).G

# %%
gen = torch.Generator().manual_seed(3)
with torch.no_grad():
    samples = {"AE": ae.decode(torch.randn(S.n_eval, S.cmp_latent, generator=gen)).cpu(),  # guessed prior
               "VAE": vae.sample(S.n_eval, generator=gen).cpu(),
               "GAN": ((dcgan(dcgan.sample_latent(S.n_eval, gen)) + 1) / 2).clamp(0, 1).cpu()}
noisy = corrupt(real, "noise", 0.3, seed=1)                   # held-out digits + pixel noise
table = {k: {"sample: Frechet": frechet_distance(real, x, judge)} for k, x in samples.items()}
for k, model in [("AE", ae), ("VAE", vae)]:
    table[k]["encode: MSE/pixel"] = float(recon_errors(model, real).mean()) / 784
elbo = {"digits": evaluate_elbo(vae, real)["elbo"], "noisy digits": evaluate_elbo(vae, noisy)["elbo"]}
table["VAE"]["score: ELBO digits"], table["VAE"]["score: ELBO noisy"] = elbo["digits"], elbo["noisy digits"]
cols = ["sample: Frechet", "encode: MSE/pixel", "score: ELBO digits", "score: ELBO noisy"]
print(f"{'':5s}" + "".join(f"{c:>20s}" for c in cols))
for k, row in table.items():
    print(f"{k:5s}" + "".join(f"{row[c]:20.3f}" if c in row else f"{'cannot':>20s}" for c in cols))
print(f"Frechet floor (real vs real): {fd['real vs real (floor)']:.1f}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, (name, x) in zip(axes, samples.items()):
    show_images(x[:24], nrow=6, ax=ax, title=f"{name} samples")

# %% [markdown]
# **Reading.** The table has a hole wherever a model lacks the ability: only two models encode, only the
# VAE scores. Where both can, the trade-off of lab 04 shows: the AE reconstructs better (lower MSE),
# because nothing constrains its codes, but the same missing constraint makes its samples from a guessed
# N(0, I) prior less digit-like than the VAE's (higher Frechet distance; look at the AE panel). The
# VAE's ELBO is far lower on noisy digits than on clean ones: a likelihood score can flag unusual
# inputs, which neither the AE nor the GAN offers. How the GAN's samples rank against the VAE's depends
# on the training budget (in fast mode the DCGAN has had three short epochs, see its training lines, and
# its samples are strokes rather than digits): compare the first column with the pictures, and remember
# that a Frechet distance from a few hundred samples is a rough measure.

# %% tags=["claim"]
assert table["AE"]["encode: MSE/pixel"] < table["VAE"]["encode: MSE/pixel"], \
    f"the AE should reconstruct better: {table}"
assert table["VAE"]["sample: Frechet"] < table["AE"]["sample: Frechet"], \
    f"VAE prior samples should beat the AE's guessed-prior samples: {table}"
assert elbo["digits"] > elbo["noisy digits"], f"the ELBO should be higher on clean digits: {elbo}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "gan-beyond-q-compare", "points": 2}
# **Question 3.1.** For each task, pick the AE, the VAE or the GAN and justify it with the table:
# (a) a post office wants to flag envelopes whose digits look unusual; (b) you need many realistic
# synthetic digits to show people; (c) you need a compact code of each digit to search for similar ones.
# What would you have to add to the GAN to use it for (a) or (c)?
#
# ### BEGIN SOLUTION
# (a) The VAE: it is the only one with a score, and its ELBO drops sharply on noisy digits, so
# thresholding it flags unusual inputs (an AE's reconstruction error is a usable heuristic too, but not
# a likelihood). (b) The model with the lowest Frechet distance in the budget available: with enough
# training that is usually the GAN (sharp samples, lab 05); in a short run the VAE can be closer, so
# check the first column. Not the AE: it has no prior to sample from. (c) An encoder is needed: the AE
# (best reconstruction) or the VAE (smoother, more regular codes); the GAN has no encoder. To use a
# GAN for (c) one must add an encoder or invert G by optimising z per image; for (a) a GAN gives no
# likelihood at all: D's output judges real vs current fakes, not how probable an image is.
# ### END SOLUTION

# %% [markdown]
# ## Summary
# - Progressive growing adds resolution one block at a time; the fade-in makes the grown network start
#   from exactly what the small one computed. Which of progressive and fixed-size training wins at equal
#   steps depends on the budget (table of section 1 and `benchmarks/gan_beyond.py`).
# - With unpaired data the adversarial loss only constrains the output *distribution*; the cycle loss
#   asks that each input can be recovered from its output (lower round-trip error, measured above). It
#   does not guarantee that the output shows the same digit: in the records the judge's `label_kept`
#   went either way between runs.
# - Paired supervision (pix2pix) matches the target style most exactly when pairs exist.
# - AE, VAE and GAN differ in what they can do: only AE and VAE encode, only the VAE scores p(x) (its
#   ELBO), and the GAN and VAE sample from a prior the AE does not have.
#
# ## Questions
# 1. ProGAN also uses equalised learning rates and pixel norm. Which of the two is in
#    `labkit/gan/progan.py`, and what problem does each address?
# 2. Try `make_domains(..., "upright-italic")`: is slant easier or harder to translate than stroke
#    width? Predict first, then run it.
# 3. Set `lambda_identity=5.0` in `train_cyclegan`. What should the identity loss (your Exercise 2.2)
#    do to a thick digit fed to G: A -> B? Compare the identity loss printed in section 2 before and after.
