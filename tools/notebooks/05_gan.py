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
# # Lab 05 · Generative adversarial networks
#
# *"Sample from something simple, learn a transformation to the data distribution."* A GAN's
# generator G turns noise z into samples; a discriminator D tells real from generated; the two play
# the **minimax game** min_G max_D E log D(x) + E log(1 - D(G(z))), trained by **alternating
# gradient updates**. This lab goes from one dimension to images:
#
# 1. 1-D: watch G(z) become the data distribution, and D(x) go flat;
# 2. 2-D mixtures of Gaussians: the losses and one training step (exercises), **mode collapse**;
# 3. MNIST with a DCGAN: samples, latent interpolation and perturbation;
# 4. a **conditional** GAN: ask for a digit, measure whether you got it;
# 5. image-to-image (**pix2pix**): edges -> digit with a UNet generator; how CycleGAN drops the pairs.
#
# In `fast` mode (CPU) every model is tiny and trains for seconds: pictures are rough, and where a short
# run does not yet show what a long run shows, the text says so. `full` mode (GPU) runs the same code
# longer. Quality numbers at larger budgets come from `benchmarks/gan.py` and are printed from its
# results file, never typed into the text.

# %%
import labkit
cfg = labkit.setup(seed=0, threads=1)

# %% [markdown]
# ## 0. Sizes
# All sizes come from one place (`by_mode`).

# %%
import numpy as np, torch
from labkit import by_mode
from labkit.viz import use_style
from labkit.views import SliderView, int_slider, float_slider, dropdown, static_grid
use_style()
S = by_mode(
    fast=dict(steps_1d=1200, steps_2d=2500, steps_grid=2000, n_train=4000, dc_epochs=5, dc_base=32, lr=5e-4,
              cgan_epochs=8, pix_train=2000, pix_epochs=3, pix_base=8, pix_lr=2e-3, n_eval=1000),
    full=dict(steps_1d=4000, steps_2d=30000, steps_grid=40000, n_train=None, dc_epochs=20, dc_base=64, lr=2e-4,
              cgan_epochs=20, pix_train=20000, pix_epochs=10, pix_base=32, pix_lr=2e-4, n_eval=5000))
S

# %% [markdown]
# ## 1. A GAN is a distribution transformer (1-D)
# *Lecture: "GANs are distribution transformers".* G gets z ~ N(0, 1) and must output samples whose
# histogram matches the grey target density (two bumps). D(x) is the probability D gives to "x is real".
# We keep 15 snapshots of both, evenly spaced over training (each panel's title gives its step).

# %%
from labkit.gan import train_1d_gan, render_1d
from labkit.data.mixtures import density_1d
run1 = train_1d_gan(steps=S.steps_1d, n_snapshots=15, seed=0)    # G, D, history, snapshots, ...
hist1, snaps1 = run1.history, run1.snapshots
print(f"{len(snaps1)} snapshots, final d_loss={hist1['d_loss'][-1]:.3f} (2 log 2 = {2*np.log(2):.3f})")

# %%
view1 = SliderView(render_1d, fixed=dict(snapshots=snaps1), title="1-D GAN: G(z) and D(x) over training",
                   step_index=int_slider("snapshot", 0, len(snaps1) - 1, 0))
view1

# %%
static_grid(render_1d, [dict(step_index=i) for i in (0, 3, len(snaps1) - 1)], ncols=3,
            fixed=dict(snapshots=snaps1), figsize_per=(5, 2.8));

# %% [markdown]
# **Read it:** at step 0 G's output is a narrow blob and D, untrained, says about 1/2 everywhere.
# A few hundred steps later D is high where the data has more mass than G's samples and low where G
# puts samples the data lacks (the gap between the bumps); G's samples climb D's slope. At the end
# the histogram sits under both bumps and D(x) is close to 1/2 over them: at the equilibrium D cannot
# tell, and its loss tends to 2 log 2 (printed above). D still dips in the gap, where G leaks a few
# samples; and far from both distributions (x > 4) D's value means nothing: no sample lands there.

# %% tags=["claim"]
on_data = density_1d(snaps1[-1]["xs"])                    # weight D's error by where the data is
flat = float((np.abs(snaps1[-1]["d"].ravel() - 0.5) * on_data).sum() / on_data.sum())
assert abs(hist1["d_loss"][-1] - 2 * np.log(2)) < 0.05, f"D's loss should end near 2 log 2: {hist1['d_loss'][-1]:.3f}"
assert flat < 0.12, f"D(x) should be close to 1/2 where the data is: mean |D - 1/2| = {flat:.3f}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "gan-q-d-above-half", "points": 1}
# **Question 1.** Where D(x) is *above* 1/2, does G have too few or too many samples there? Which way
# does the gradient of D(x) push G's samples?
#
# ### BEGIN SOLUTION
# Too few. The optimal discriminator is D*(x) = p_data(x) / (p_data(x) + p_G(x)), which is above 1/2
# exactly where p_data > p_G. G's loss falls when D(G(z)) rises, so its gradient moves each sample
# uphill on D(x): towards regions where D is high (under-covered data) and away from regions where D is
# low (where G has too many samples, e.g. the gap between the bumps).
# ### END SOLUTION

# %% [markdown]
# ## 2. Two dimensions: losses, one training step, mode collapse
# The benchmark targets of the PacGAN and VEEGAN papers: a **ring** of 8 Gaussians (radius 1, std 0.01)
# and a **grid** of 25 (means at {-4, -2, 0, 2, 4}^2, std 0.05). A mode is *covered* if at least one
# of 2,500 samples lands within 3 standard deviations of it; such samples are *high quality* (HQ).

# %%
from labkit.data.mixtures import sample_mixture
from labkit.gan import mode_coverage
from labkit.viz import scatter2d
import matplotlib.pyplot as plt
fig, axes = plt.subplots(1, 2, figsize=(7, 3.3))
for ax, name in zip(axes, ("ring", "grid")):
    x = sample_mixture(name, 2500, seed=0)
    r = mode_coverage(x, name)
    scatter2d(x, ax=ax, s=2, title=f"{name}, true samples:\n{r['modes']} modes, {r['hq']:.1%} HQ")

# %% [markdown]
# **Read it:** samples of the data itself cover every mode but score a little under 100 % HQ: in 2-D,
# about 1 % of a Gaussian's samples lie beyond 3 standard deviations. That is the ceiling for any
# generator under this protocol.

# %% [markdown]
# ### Exercise 2.1: the discriminator loss
# D outputs a **logit** l (D(x) = sigmoid(l)). D maximises E log D(x) + E log(1 - D(G(z))), i.e. it
# minimises the binary cross-entropy with label 1 for real and 0 for fake:
#
#   L_D = - mean log sigmoid(l_real) - mean log(1 - sigmoid(l_fake)).
#
# Work with logits, not probabilities: when D is very confident, sigmoid(l) rounds to exactly 0 or 1
# and a log of it is -inf. Write each log term as a function of l that stays finite for any l, using
# softplus(u) = log(1 + e^u) (`torch.nn.functional.softplus`): work out which sign goes where.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "gan-d-loss"}
import torch.nn.functional as F

def discriminator_loss(real_logits, fake_logits):
    """Scalar: -mean log D(x_real) - mean log(1 - D(x_fake)), from logits."""
    ### BEGIN SOLUTION
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "gan-d-loss-test", "points": 2}
import labkit.checks.gan as check
check.discriminator_loss(discriminator_loss)
### BEGIN HIDDEN TESTS
assert check.discriminator_loss(discriminator_loss, seed=7)
assert check.discriminator_loss(discriminator_loss, seed=2024)
### END HIDDEN TESTS


# %% [markdown]
# ### Exercise 2.2: the generator loss, saturating and non-saturating
# In the minimax game G *minimises* E log(1 - D(G(z))) (**saturating**). Early on D rejects the
# fakes easily (l_fake very negative) and this loss is flat: its gradient vanishes. The original paper's
# fix, same fixed point: minimise -E log D(G(z)) (**non-saturating**).

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "gan-g-loss"}
def generator_loss(fake_logits, kind="nonsaturating"):
    """kind="saturating": mean log(1 - D(G(z))); kind="nonsaturating": -mean log D(G(z))."""
    ### BEGIN SOLUTION
    if kind == "saturating":
        return -F.softplus(fake_logits).mean()
    return F.softplus(-fake_logits).mean()
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "gan-g-loss-test", "points": 2}
check.generator_loss(generator_loss)
### BEGIN HIDDEN TESTS
assert check.generator_loss(generator_loss, seed=7)
assert check.generator_loss(generator_loss, seed=2024)
### END HIDDEN TESTS

# %%
l = torch.linspace(-8, 4, 200, requires_grad=True)
grads = {}
for kind in ("saturating", "nonsaturating"):
    (grads[kind],) = torch.autograd.grad(generator_loss(l, kind) * len(l), l)
    plt.plot(torch.sigmoid(l).detach(), grads[kind].abs(), label=kind)
plt.xscale("log"); plt.xlabel("D(G(z))"); plt.ylabel("|d loss / d logit|"); plt.legend()
plt.title("gradient G receives when D rejects its samples (left)");


# %% [markdown]
# **Read it:** when D(G(z)) is near 0 (D wins), the saturating loss gives G almost no gradient;
# the non-saturating loss gives it the most.

# %% tags=["claim"]
sat, ns = grads["saturating"].abs(), grads["nonsaturating"].abs()      # l[0] = -8: D rejects the fake
assert sat[0] < 0.01 * ns[0], f"saturating gradient should vanish when D wins: {sat[0]:.2g} vs {ns[0]:.2g}"

# %% [markdown]
# ### Exercise 2.3: one alternating training step
# One step = one update of D on a real batch and a fake batch (fakes **detached**: D's loss must not
# move G), then one update of G with the non-saturating loss against the *updated* D. Zero each
# optimiser's gradients before its backward: G's backward also leaves gradients in D.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "gan-train-step"}
def train_step(G, D, opt_g, opt_d, real, z):
    """One D update then one G update; returns (d_loss, g_loss) as floats."""
    ### BEGIN SOLUTION
    fake = G(z)
    loss_d = discriminator_loss(D(real), D(fake.detach()))
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    loss_g = generator_loss(D(fake), "nonsaturating")
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "gan-train-step-test", "points": 3}
check.train_step(train_step)
### BEGIN HIDDEN TESTS
assert check.train_step(train_step, seed=7)
assert check.train_step(train_step, seed=2024)
### END HIDDEN TESTS

# %%
from labkit.gan import MLPGenerator, MLPDiscriminator
torch.manual_seed(0)
G, D = MLPGenerator(2, 2, 64, 2), MLPDiscriminator(2, 64, 2)
opt_g, opt_d = (torch.optim.Adam(m.parameters(), 1e-3, betas=(0.5, 0.999)) for m in (G, D))
losses = [train_step(G, D, opt_g, opt_d, sample_mixture("ring", 128, seed=i), G.sample_latent(128))
          for i in range(300)]
plt.plot(np.array(losses)); plt.legend(["d_loss", "g_loss"]); plt.xlabel("step")
plt.title(f"your train_step, 300 steps: {mode_coverage(G.sample(2500), 'ring')['modes']}/8 modes");

# %% [markdown]
# **Read it:** neither loss falls to 0 the way a classifier's loss does: each player's loss depends on
# the other, so the curves oscillate around the values of a fooled D (d_loss near 2 log 2, as in
# section 1; g_loss near log 2). They do not tell you how good the samples are: the title counts the
# ring's modes your G covers after 300 steps, only part of the ring. The runs below are larger and
# train for 2,000 steps and more.

# %% [markdown]
# ### Mode collapse, and a setup that covers every mode
# `labkit.gan.train_mixture_gans` runs the same alternating step in a loop. Two recipes on the same
# MLPs (3 x 128):
# - `minimax`: the saturating loss of the original game, a plain Gaussian latent;
# - `tuned`: the non-saturating loss, a categorical + Gaussian latent (a one-hot code joined to z, with
#   more categories than modes: 32 on the ring, 50 on the grid, so every bump can take whole categories;
#   this uses the number of modes, which real data does not tell you), and four stabilisers:
#   - **instance noise**: Gaussian noise added to every sample D sees, real and fake. It blurs both
#     distributions so that they overlap and D cannot separate them perfectly, so G keeps getting a
#     useful gradient; its std is annealed linearly to 0 over the first 60 % of the steps.
#   - **R1 penalty**: D's loss gets an extra term gamma/2 E|grad_x D(x)|^2 on real samples. It keeps D's
#     surface flat at the data, so D cannot grow arbitrarily steep there and the game oscillates less
#     (applied every 8th D update, "lazily", to save time).
#   - **linear learning-rate decay** to 0 at the last step: the steps shrink as training ends.
#   - **EMA of G's weights**: an exponential moving average theta_ema <- 0.995 theta_ema + 0.005 theta
#     after every step, and samples come from theta_ema. Alternating updates make G's weights jitter
#     from step to step; the average smooths that jitter out, so samples sit tighter on the modes.
#
# The trainer watches D: if it wins outright for many steps, it says so (`diagnosis`).
# Full mode trains each for the benchmark's budget (30,000 steps on the ring, 40,000 on the grid).
# The four runs (2 recipes x 2 mixtures) are independent, and one of them alone is a few tiny matrix
# products per step, too little to keep a GPU busy. So they train as **one stacked model**: their
# weights are stacked along a new first axis and every forward pass is one `torch.func.vmap` over
# them, so a step costs about what one run's step costs. Each run still gets exactly its own
# recipe, data, noise and step count (a library test checks that it gives the same samples as
# training it alone).

# %%
from labkit.gan import train_mixture_gans, plot_mixture_runs, render_mixture
keys = [(name, recipe) for name in ("ring", "grid") for recipe in ("minimax", "tuned")]
steps = [S.steps_2d if name == "ring" else S.steps_grid for name, _ in keys]
out = train_mixture_gans([k[0] for k in keys], [k[1] for k in keys], steps, seeds=0,
                         n_snapshots=10, device=cfg.device)
runs = dict(zip(keys, out))                          # (mixture, recipe) -> GANRun
for (name, recipe), r in runs.items():               # the watch says if D won outright
    print(f"{name} {recipe}:", r.diagnosis or "no divergence reported")
print(f"4 runs as one stacked model: {out[0].seconds:.0f} s")

# %%
for name in ("ring", "grid"):
    plot_mixture_runs({recipe: runs[name, recipe].G for recipe in ("minimax", "tuned")}, name)

# %% [markdown]
# **Read it:** compare the modes and HQ numbers in the titles. **Mode collapse** shows as modes with no
# sample near them: G found outputs D currently accepts and nothing forces it to spread. The HQ
# fraction says how tight the samples are.
#
# *In fast mode* (2,500 steps on the ring, 2,000 on the grid; see `S` above) the lesson is only
# half visible. On the ring both recipes reach every mode, and the tuned samples sit tighter (higher
# HQ). On the grid the minimax generator learns the square's *outline*, smears samples between the
# clusters and misses some of them; the tuned run looks *worse* still, a blur over the whole square with fewer HQ samples: for
# the first 60 % of its steps D sees the data through instance noise, so a short run stops while it
# is still blurred. Slide through its snapshots below, then read the long runs in the table.
# *In full mode* (the benchmark's budget) the tuned grid run covers at least as many modes as minimax,
# with far more samples on them.

# %% tags=["claim"]
score = {k: mode_coverage(r.G.sample(2500, torch.Generator().manual_seed(0)), k[0]) for k, r in runs.items()}
if cfg.fast:
    assert score["ring", "minimax"]["modes"] == score["ring", "tuned"]["modes"] == 8, "fast: both should cover the ring"
    assert score["ring", "tuned"]["hq"] > score["ring", "minimax"]["hq"], "fast: tuned ring samples should be tighter"
    assert score["grid", "minimax"]["modes"] < 25, "fast: minimax should miss grid modes after 2,000 steps"
    assert score["grid", "tuned"]["hq"] < score["grid", "minimax"]["hq"], "fast: the text says tuned grid is still a blur"
else:
    t, m = score["grid", "tuned"], score["grid", "minimax"]
    assert t["modes"] >= m["modes"] and t["hq"] > m["hq"] + 0.05, f"full: tuned should beat minimax on the grid: {t} vs {m}"

# %% [markdown]
# **Your runs next to full-size ones.** labkit ships the same four runs (same recipes, seed 0)
# trained by `benchmarks/reference.py` for the full budget (30,000 steps on the ring, 40,000 on the
# grid), with G and D stored in float16 and checked against their sha256 when loaded. In fast mode
# they are drawn below and scored the same way as your runs (2,500 samples).

# %%
if cfg.fast:
    from labkit.data.reference import load_reference, reference_mixture_gan
    shipped = load_reference("gan2d").results                       # "grid/tuned": {steps, modes, ...}
    ref_runs = {k: reference_mixture_gan(*k) for k in runs if "/".join(k) in shipped}
    for name in sorted({k[0] for k in ref_runs}, reverse=True):
        fig = plot_mixture_runs({recipe: ref_runs[name, recipe][0] for recipe in ("minimax", "tuned")}, name)
        fig.suptitle(f"{name}: {ref_runs[name, 'tuned'][2].label()}", y=1.06)
    sample = lambda G: G.sample(2500, torch.Generator().manual_seed(0))
    my_score = {k: mode_coverage(sample(r.G), k[0]) for k, r in runs.items()}
    ref_score = {k: mode_coverage(sample(G), k[0]) for k, (G, *_) in ref_runs.items()}
    for k in ref_runs:
        y, r = my_score[k], ref_score[k]
        print(f"{k[0]} {k[1]:7s}: your model: {y['modes']:2d} modes, {100 * y['hq']:4.1f}% HQ; "
              f"full-size reference: {r['modes']:2d} modes, {100 * r['hq']:4.1f}% HQ")

# %% [markdown]
# **Read it:** with the full budget the picture turns around on the grid: the tuned run puts its
# samples tightly on every mode, while minimax still leaves samples between the clusters. On the
# ring both recipes cover every mode. Compare each printed line's two halves: the gap is what the
# extra steps buy.

# %% tags=["claim"]
if cfg.fast:
    t, m = ref_score["grid", "tuned"], ref_score["grid", "minimax"]
    assert t["modes"] >= m["modes"] and t["hq"] > m["hq"] + 0.05, f"full-size reference: tuned should beat minimax on the grid: {t} vs {m}"
    if ("ring", "tuned") in ref_score:
        assert ref_score["ring", "tuned"]["modes"] == ref_score["ring", "minimax"]["modes"] == 8, f"full-size reference: both should cover the ring: {ref_score}"

# %% [markdown]
# `benchmarks/gan.py` measures both recipes over 5 seeds with the full budget (30,000 steps on the
# ring, 40,000 on the grid). The cell below prints its last recorded results from the results file,
# next to the course targets and to what PacGAN and VEEGAN report (2,500 samples, same protocol).
# Note what the long runs say: with enough steps even the plain minimax game covers the ring's 8
# modes, so short runs exaggerate its collapse; the grid is where the tricks pay (more samples on the
# modes, and every mode in every seed).

# %%
import json, pathlib
p = pathlib.Path("../benchmarks/results/gan.json")
bench = json.loads(p.read_text()) if p.exists() else None
if bench:
    for k, v in bench["summary"].items():
        goal = f"  (target {v['target']['modes']} modes, {100 * v['target']['hq']:.0f}% HQ)" if "target" in v else ""
        print(f"{k:13s} {v['steps']:6d} steps, {len(v['seeds'])} seeds: {v['modes_mean']:5.1f} modes, "
              f"{100 * v['hq_mean']:5.1f}% HQ, {v['cpu_s_max']:.0f} s CPU per run{goal}")
    for mix, papers in bench["published"].items():
        print(f"published, {mix}: " + "; ".join(f"{n} {m} modes, {h}% HQ" for n, (m, h) in papers.items()))
else:
    print("no benchmarks/results/gan.json here: run `python benchmarks/gan.py` from the repository")

# %% tags=["claim"]
if bench:
    b = bench["summary"]
    assert b["ring/minimax"]["modes_mean"] == 8, "long runs: minimax should cover the ring"
    assert b["grid/tuned"]["modes_mean"] == 25 >= b["grid/minimax"]["modes_mean"], "long runs: tuned covers every grid mode"
    assert b["grid/tuned"]["hq_mean"] > b["grid/minimax"]["hq_mean"] + 0.05, "long runs: tuned grid is much tighter"

# %%
r2 = runs["grid", "tuned"]
view2 = SliderView(render_mixture, fixed=dict(snapshots=r2.snapshots, mixture="grid", G=r2.G, D=r2.D),
                   title="grid, tuned: samples over D's decision surface",
                   step_index=int_slider("snapshot", 0, len(r2.snapshots) - 1, 0))
view2

# %% [markdown]
# Below, the static version: three snapshots of the *ring, minimax* run.

# %%
rm = runs["ring", "minimax"]
static_grid(render_mixture, [dict(step_index=i) for i in (0, 4, len(rm.snapshots) - 1)], ncols=3,
            fixed=dict(snapshots=rm.snapshots, mixture="ring", G=rm.G, D=rm.D), figsize_per=(4, 3.6));

# %% [markdown]
# **Read it:** red = D says "real", blue = "fake". D's surface is not the data density. Early on it is
# red on a whole half-plane: the side where the data has more mass than G's samples, and G's samples
# move up D's gradient towards it. Later D says "fake" almost everywhere, including where neither
# distribution has samples, and is lighter only at the modes, where the data has more mass than G's
# samples: those spots pull the samples in. G's samples also lie along arcs between the modes, where
# the data has nothing.

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "gan-q-categorical-latent", "points": 1}
# **Question 2.** Why does a categorical latent make covering 25 separate modes easier for an MLP
# generator whose output is a *continuous* function of z?
#
# ### BEGIN SOLUTION
# A continuous map of a connected Gaussian latent has a connected image: to reach 25 separate clusters
# G must also put samples on the paths between them (the smeared lines of the minimax grid), unless it
# squeezes those paths into tiny regions of z, which is hard to learn. A one-hot category is a discrete
# input: each category is a separate piece of latent space, so G can send different categories to
# different clusters with no path between them, and each cluster's Gaussian part only has to cover one
# bump. With more categories than modes, every mode can take one or more whole categories.
# ### END SOLUTION

# %% [markdown]
# ## 3. MNIST with a DCGAN
# A convolutional generator (project z to 7x7, two stride-2 transposed convolutions, BatchNorm, ReLU,
# tanh) and discriminator (stride-2 convolutions, BatchNorm, LeakyReLU), DCGAN initialisation
# (weights N(0, 0.02)), Adam(2e-4, beta1=0.5), non-saturating loss. The trainer keeps the images of one
# fixed batch of z after every epoch. (Fast mode uses lr 5e-4 to get somewhere in a few epochs; the
# DCGAN paper's 2e-4 is used in full mode.)

# %%
from labkit.data import mnist_splits
from labkit.gan import train_image_gan, render_epoch_samples
train, test = mnist_splits(S.n_train, S.n_eval)
print(train)
run3 = train_image_gan(train, epochs=S.dc_epochs, base=S.dc_base, lr=S.lr, seed=0)
G3, snaps3 = run3.G, run3.snapshots

# %%
view3 = SliderView(render_epoch_samples, fixed=dict(snapshots=snaps3), title="DCGAN: fixed z after each epoch",
                   epoch_index=int_slider("epoch", 0, len(snaps3) - 1, len(snaps3) - 1))
view3

# %%
static_grid(render_epoch_samples, [dict(epoch_index=i) for i in (0, len(snaps3) - 1)], ncols=2,
            fixed=dict(snapshots=snaps3), figsize_per=(4, 4));

# %% [markdown]
# **Read it:** each grid position is one fixed z, so you watch the same samples change. In fast mode,
# after the first epoch every sample is the same grey texture; by the last epoch they are white strokes
# on black with digit shapes, some readable, many with broken strokes or blobs. A few epochs on a few thousand
# digits (fast mode) is far from converged; full mode trains a wider network for longer.

# %% [markdown]
# ### How good are these digits? A Frechet distance, and not Inception's
# FID compares the mean and covariance of Inception-v3 features of real and generated images. We use
# the same formula in the 128-d feature space of a **small MNIST classifier** that labkit trains once
# (seeded, cached): `labkit.gan.frechet_distance`. Its values are comparable only with each
# other, never with published FIDs. Lower is closer to the test digits. Reference points: two real sets
# (the floor: two finite samples never give exactly 0) and blurred real digits (3x3 average).

# %%
from labkit.gan import load_classifier, frechet_distance
judge = load_classifier()
print(f"judge classifier: held-out accuracy {judge.test_accuracy:.1%}")
with torch.no_grad():
    fake3 = ((G3(G3.sample_latent(S.n_eval, torch.Generator().manual_seed(1))) + 1) / 2).clamp(0, 1)
blurred = torch.nn.functional.avg_pool2d(train.images[:S.n_eval], 3, 1, 1)
fd = {}
for name, x in (("real (train) vs test", train.images[:S.n_eval]), ("blurred real", blurred), ("DCGAN", fake3)):
    fd[name] = frechet_distance(test.images, x, judge)
    print(f"{name:22s} classifier-feature Frechet distance = {fd[name]:8.2f}")

# %% [markdown]
# **Read it:** the DCGAN lands between the floor and the blurred digits: to the judge's features its
# samples are far from real digits, but closer than real digits that have merely been blurred. Stroke
# sharpness matters a lot in this feature space; a longer run moves the DCGAN toward the floor.

# %% tags=["claim"]
assert fd["real (train) vs test"] < fd["DCGAN"] < fd["blurred real"], f"expected floor < DCGAN < blurred: {fd}"

# %% [markdown]
# **Your DCGAN next to a full-size one.** labkit ships this DCGAN's generator trained at full-mode
# sizes (the cell prints them) by `benchmarks/reference_dcgan.py`, in float16,
# checked against its sha256 when loaded. It is scored only on test digits it never saw
# (`ref.held_out` drops any of its training images), with the same judge and the same fixed z's.

# %%
from labkit.viz import show_images
if cfg.fast:
    from labkit.data.reference import reference_image_gan
    G3_ref, ref3 = reference_image_gan(conditional=False)
    held = ref3.held_out(test)                                   # the test digits it never saw
    with torch.no_grad():
        fake3_ref = ((G3_ref(G3_ref.sample_latent(S.n_eval, torch.Generator().manual_seed(1))) + 1) / 2).clamp(0, 1)
    fd_mine, fd_ref = frechet_distance(held.images, fake3, judge), frechet_distance(held.images, fake3_ref, judge)
    print(f"Frechet distance to {len(held)} held-out test digits: your model: {fd_mine:.1f}; "
          f"full-size reference: {fd_ref:.1f}")
    s3 = ref3.meta["sizes"]
    print(f"yours: base {S.dc_base}, {S.dc_epochs} epochs on {len(train)} digits; full-size reference: "
          f"base {s3['base']}, {s3['epochs']} epochs on {len(ref3.train_fingerprints)} other digits")
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.6))
    show_images(snaps3[-1]["images"], ax=axes[0], title="your DCGAN (fixed z)")
    with torch.no_grad():
        z_grid = G3.sample_latent(32, torch.Generator().manual_seed(1))    # train_image_gan's fixed z (seed + 1)
        x_ref = ((G3_ref(z_grid) + 1) / 2).clamp(0, 1)
    show_images(x_ref, ax=axes[1], title=ref3.label());

# %% [markdown]
# **Read it:** the full-size run draws smooth, continuous strokes and most of its samples are
# readable digits, though a few are still malformed; yours has broken strokes and blobs. Its Frechet
# distance is lower too, yet still far above the floor of two real sets (printed earlier). Same code:
# a wider network trained longer on more digits is all that separates the two.

# %% tags=["claim"]
if cfg.fast:
    assert fd_ref < fd_mine, f"the full-size DCGAN should be closer to the test digits: {fd_ref:.1f} vs {fd_mine:.1f}"

# %% [markdown]
# ### Walking in the latent space
# A Gaussian z in d dimensions has norm |z| close to sqrt(d) (here d = 64: about 8), so G only ever
# sees latents on a thin shell. *Linear* interpolation between two such z's cuts through the inside of
# the shell: mid-way its norm is about 1/sqrt(2) of the ends', smaller than any z G saw in training.
# *Spherical* interpolation (slerp) follows the shell and keeps the norm. Move t; switch the method;
# the right panel shows the mean |z| along both paths.

# %%
from labkit.gan import render_interpolation, render_perturbation, lerp, slerp
g = torch.Generator().manual_seed(3)
z0, z1 = G3.sample_latent(8, g), G3.sample_latent(8, g)
view_i = SliderView(render_interpolation, fixed=dict(G=G3, z0=z0, z1=z1), title="latent interpolation",
                    t=float_slider("t", 0.0, 1.0, 0.5, step=0.05),
                    method=dropdown("method", ["linear", "spherical"], "linear"))
view_i

# %%
static_grid(render_interpolation, [dict(t=t, method=m) for m in ("linear", "spherical") for t in (0.0, 0.5, 1.0)],
            ncols=3, fixed=dict(G=G3, z0=z0, z1=z1), figsize_per=(4.5, 1.6));

# %% [markdown]
# **Read it:** the end points (t = 0 and 1) are the same for both methods. In the right panels the
# linear path's norm sags mid-way while the spherical one stays on the shell. At this size the two
# midpoint rows can look alike: a generator trained this briefly is not yet sensitive to the norm; use
# the slider to compare them up close.

# %% tags=["claim"]
n0 = (z0.norm(dim=1).mean() + z1.norm(dim=1).mean()) / 2
n_lin, n_sph = lerp(z0, z1, 0.5).norm(dim=1).mean() / n0, slerp(z0, z1, 0.5).norm(dim=1).mean() / n0
assert n_lin < 0.8 and abs(n_sph - 1) < 0.05, f"midpoint norm / end norm: linear {n_lin:.2f}, spherical {n_sph:.2f}"

# %%
view_p = SliderView(render_perturbation, fixed=dict(G=G3, z=z0), title="latent perturbation",
                    dim0=float_slider("z[0] offset", -3, 3, 0.0, step=0.25),
                    dim1=float_slider("z[1] offset", -3, 3, 0.0, step=0.25),
                    dim2=float_slider("z[2] offset", -3, 3, 0.0, step=0.25))
view_p

# %%
static_grid(render_perturbation, [dict(dim0=0.0, dim1=0.0, dim2=0.0), dict(dim0=-3.0, dim1=0.0, dim2=3.0)],
            ncols=1, fixed=dict(G=G3, z=z0), figsize_per=(6, 1.5));

# %% [markdown]
# **Read it:** top row, the eight unchanged z's; bottom row, the same z's with z[0] - 3 and z[2] + 3.
# Compare them column by column: the offsets change stroke shape, thickness and, for some samples, the
# digit itself, all at once.

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "gan-q-latent-coordinates", "points": 1}
# **Question 3.** Does one latent coordinate change one thing (thickness, slant, identity) or several
# at once? Why is nothing in the GAN objective asking it to be interpretable?
#
# ### BEGIN SOLUTION
# Several at once: moving one coordinate changes thickness, slant and often the digit's identity
# together. The GAN objective only asks that the *distribution* of G(z) match the data; any invertible
# reshuffling of z (a rotation, for instance) gives the same distribution of images, so there is no
# reason for the axes of z to line up with one factor of variation each. Disentangling needs an extra
# pressure (e.g. InfoGAN's mutual-information term, beta-VAE's KL weight, or labels).
# ### END SOLUTION

# %% [markdown]
# ## 4. Conditional GAN: ask for a digit
# *Lecture: conditional GAN.* G gets (z, y) (an embedding of the label joined to z); D gets (x, y) and
# scores whether x is a real image **of digit y** (a **projection discriminator**: logit = w.h(x) +
# e_y.h(x), where h(x) are D's features of the image, w a learned vector and e_y a learned embedding of
# label y; the second term is high when the image's features agree with the label).
# The judge classifier then reads the generated digits: its accuracy per requested label measures
# whether G obeys the label.

# %%
from labkit.gan import generate_digits, conditional_accuracy, plot_per_label_accuracy, render_conditional
G4 = train_image_gan(train, epochs=S.cgan_epochs, base=S.dc_base, lr=S.lr, conditional=True, seed=0).G
want = torch.arange(S.n_eval) % 10
acc = conditional_accuracy(generate_digits(G4, want, seed=1), want, judge)
print(f"judge accuracy on generated digits: {acc['accuracy']:.1%} (chance: 10%)")
plot_per_label_accuracy(acc);

# %% [markdown]
# **Read it:** one bar per requested digit; the dashed line is the overall accuracy. G obeys the label
# far above chance for every digit. Look for the lowest bars: those are the digits G draws least
# convincingly, or that the judge confuses with a neighbour.

# %% tags=["claim"]
assert acc["accuracy"] > 0.5, f"the cGAN should obey the label far above chance (10%): {acc['accuracy']:.1%}"

# %% [markdown]
# The full-size conditional GAN (same builder, same sizes as full mode), asked for the same labels
# with the same z's, read by the same judge; its Frechet distance uses the held-out test digits:

# %%
if cfg.fast:
    G4_ref, ref4 = reference_image_gan(conditional=True)
    fake4, fake4_ref = generate_digits(G4, want, seed=1), generate_digits(G4_ref, want, seed=1)
    acc_ref = conditional_accuracy(fake4_ref, want, judge)
    held4 = ref4.held_out(test).images
    fd4, fd4_ref = frechet_distance(held4, fake4, judge), frechet_distance(held4, fake4_ref, judge)
    print(f"judge accuracy on the requested digits: your model: {acc['accuracy']:.1%}; "
          f"full-size reference: {acc_ref['accuracy']:.1%}")
    print(f"Frechet distance to {len(held4)} held-out test digits: your model: {fd4:.1f}; "
          f"full-size reference: {fd4_ref:.1f}")
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.6))
    show_images(fake4[:40], nrow=10, ax=axes[0], title="your cGAN: columns 0..9")
    show_images(fake4_ref[:40], nrow=10, ax=axes[1], title=ref4.label());

# %% [markdown]
# **Read it:** each column asks for one digit (0 to 9, left to right). The full-size generator draws
# nearly every one as requested and in clean strokes; the judge's accuracy and the distance to the
# test digits say the same in numbers.

# %% tags=["claim"]
if cfg.fast:
    assert acc_ref["accuracy"] > acc["accuracy"] and fd4_ref < fd4, (
        f"the full-size cGAN should obey labels better and be closer to the test digits: "
        f"accuracy {acc_ref['accuracy']:.1%} vs {acc['accuracy']:.1%}, FD {fd4_ref:.1f} vs {fd4:.1f}")

# %%
z_c = G4.sample_latent(8, torch.Generator().manual_seed(5))     # eight fixed z's for the view below
view4 = SliderView(render_conditional, fixed=dict(G=G4, classifier=judge, z_base=z_c),
                   title="conditional GAN: pick a digit, move z",
                   digit=dropdown("digit", list(range(10)), 3),
                   z0=float_slider("z[0]", -3, 3, 0.0, step=0.25), z1=float_slider("z[1]", -3, 3, 0.0, step=0.25))
view4

# %%
static_grid(render_conditional, [dict(digit=d) for d in (3, 7)], ncols=1, figsize_per=(8, 1.7),
            fixed=dict(G=G4, classifier=judge, z_base=z_c));

# %% [markdown]
# **Read it:** the same eight z's, asked for a 3 (top) and a 7 (bottom); above each image, what the
# judge reads (green: as requested). Compare the columns: what stays the same when only the label
# changes is what z encodes.

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "gan-q-conditional-z", "points": 1}
# **Question 4.** The same z with different labels: what does z seem to encode once the label is
# given? Which digits does the judge misread most, and are they the ones real classifiers confuse?
#
# ### BEGIN SOLUTION
# Once the label fixes the class, z carries the *style*: stroke thickness, slant, size and position
# stay similar down a column while the digit changes. The lowest bars of the per-label chart are the
# misread digits; typically they are the shapes real classifiers confuse too (8 with 3/5/9, 5 with 6/3,
# 4 with 9), because a half-formed generated digit falls between those classes. A digit that is rarely
# misread by real classifiers but often here points at G, not at the judge.
# ### END SOLUTION

# %% [markdown]
# ## 5. Image-to-image: pix2pix (edges -> digit)
# *Lecture: "labels to scene, edges to photo".* pix2pix is a conditional GAN whose condition is an
# **image**: the input x (here the edge map of a digit) and the output G(x) (the digit). The generator
# is lab 03's **UNet** (its skip connections carry the input's layout to the output); the discriminator
# is a **patch** discriminator: it scores (x, y) pairs patch by patch, so it judges local texture while
# the **L1** term keeps the output close to the target: loss_G = adversarial + 100 * L1.

# %%
from labkit.gan import Pix2Pix, count_parameters, train_pix2pix, digit_edges, plot_pix2pix
pix_train, _ = mnist_splits(S.pix_train, S.n_eval)
torch.manual_seed(0)
p2p = Pix2Pix(base_channels=S.pix_base, depth=2, d_base=2 * S.pix_base)
print(f"UNet generator: {count_parameters(p2p.G):,} parameters, patch D: {count_parameters(p2p.D):,}")
run5 = train_pix2pix(p2p, pix_train.loader(32, drop_last=True), epochs=S.pix_epochs, lr=S.pix_lr)

# %%
x_t = test.images[:100].to(next(p2p.parameters()).device)     # test digits, on the model's device
with torch.no_grad():
    out = p2p.eval()(digit_edges(x_t))
    l1_own = (out - x_t).abs().mean().item()
    l1_other = (out - x_t.roll(1, 0)).abs().mean().item()        # each output against another digit
    print(f"test L1 |G(x) - y| = {l1_own:.4f} (against another test digit: {l1_other:.4f}); "
          f"patch D output per image: {tuple(p2p.D(digit_edges(x_t), out).shape[1:])} logits")
plot_pix2pix(digit_edges(x_t), out, x_t, n=10);

# %% [markdown]
# **Read it:** every output is the digit of *its own* edge map: the UNet fills the outline in and keeps
# its shape and position (its skips carry the layout), which is why the L1 to the matching target is
# well below the L1 to another digit (printed above). In fast mode the strokes are still soft and the
# background grey; the L1 term dominates early in training. In the pix2pix paper, L1 alone gives blurry
# averages, and the patch D is what pushes toward crisp, realistic texture; this lab does not train
# the L1-only baseline, so that part is the paper's finding, not a measurement here.

# %% tags=["claim"]
assert l1_own < 0.8 * l1_other, f"pix2pix should follow its input: L1 own {l1_own:.3f} vs other {l1_other:.3f}"

# %% [markdown]
#
# ### CycleGAN: without pairs
# pix2pix needs **pairs** (x, y). CycleGAN learns A -> B from two *unpaired* collections: two
# generators G: A -> B and F: B -> A, two discriminators (is G(a) a plausible B? is F(b) a plausible A?)
# and a **cycle-consistency** loss |F(G(a)) - a| + |G(F(b)) - b|: the adversarial terms only match
# distributions, the cycle term forces each output to keep what identifies its input (without it, G
# could map every a to the same plausible b). Notebook `05b_gan_beyond` trains one.
#
# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "gan-q-pix2pix-l1", "points": 1}
# **Question 5.** Why would pix2pix trained with the adversarial loss only (no L1) produce plausible
# digits that do not match their edge maps? Which term of CycleGAN plays the role of L1?
#
# ### BEGIN SOLUTION
# The patch discriminator judges local realism of (x, y) patches; with only that loss, G is rewarded for
# any output whose patches look like real digit strokes, and a weak or small D gives little pressure to
# agree with the global shape in x, so G can settle on a few plausible digits regardless of the edges
# (a form of mode collapse). The L1 term ties each output to its own target, pixel by pixel. In CycleGAN
# there is no target, and the cycle-consistency loss |F(G(a)) - a| plays that role: G(a) must keep
# enough of a to reconstruct it.
# ### END SOLUTION

# %% [markdown]
# ## Summary
# - A GAN transforms noise into data; D's output is a moving target, not a density; at equilibrium D = 1/2.
# - The saturating minimax loss starves G of gradient when D wins; the non-saturating loss fixes it.
# - Mode collapse is visible on the 2-D mixtures and measurable (modes covered, HQ samples). Given
#   enough steps the plain game covers the ring; on the grid the tricks (categorical latent, instance
#   noise, R1, lr decay, EMA) cover every mode with far more HQ samples (the benchmark table in
#   section 2, 5 seeds). Short fast-mode runs do not show this yet.
# - Conditional GANs obey labels (measured by a classifier); pix2pix conditions on an image and combines
#   a patch adversarial loss with L1; CycleGAN replaces pairs with cycle consistency.
# - Our Frechet distance uses a small MNIST classifier's features: comparable only with itself.
#
# ## More questions (not graded)
# 1. In section 1, what would D(x) look like if G had converged exactly? And if G missed one bump?
# 2. What does the EMA of G's weights change in section 2, and why does it help the HQ fraction?
# 3. Give two reasons the fast-mode DCGAN's digits are rough and how full mode addresses each.
# 4. How would you detect mode collapse in a *conditional* GAN from the per-label accuracy alone? Can you?
