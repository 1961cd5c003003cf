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
# # Lab 06 · The taxonomy of generative models, measured on one table
#
# The lecture sorts generative models by how they treat the density p(x):
# - **explicit, tractable**: the model computes log p(x) exactly, e.g. **autoregressive** models
#   (p(x) = product of one-pixel conditionals) and normalising flows;
# - **explicit, approximate**: the VAE (lab 04) computes only a lower bound on log p(x);
# - **implicit**: the GAN (lab 05) only samples; iterative samplers (diffusion, flow matching) turn
#   noise into data in many small steps.
#
# This lab trains the two branches the course has not run yet on the same binarised MNIST split as
# lab 04's VAE and lab 05's GANs, and measures all of them on one table:
#
# 1. a **PixelCNN** (autoregressive): exact log p(x), checked on a space small enough to enumerate;
#    sampling pixel by pixel (exercises: the causal mask, the Bernoulli log-likelihood);
# 2. **flow matching** on lab 03's UNet: a velocity field from noise to digits, Euler sampling, class
#    conditioning and classifier-free guidance (exercises: the loss, one Euler step);
# 3. **the table**: log p(x), sample quality, label accuracy, digit coverage, speed, training time;
# 4. **outliers**: exact likelihood vs the VAE's bound as outlier scores on lab 00b's non-digits.
#
# In `fast` mode (CPU) every model is tiny and trains for seconds: the numbers rank the families
# roughly, the pictures are rough. `full` mode (GPU) runs the same code at published-like sizes;
# `benchmarks/taxonomy.py` records both.

# %%
import labkit
cfg = labkit.setup(seed=0, threads=1)

# %% [markdown]
# ## 0. Sizes
# All sizes come from one place (`by_mode`). Full mode trains on at most 15,000 digits (fewer
# offline: the data cell below prints how many), so that it runs in a few minutes on a GPU.

# %%
import torch
from labkit import by_mode
from labkit.viz import use_style, show_images, plot_history
from labkit.views import SliderView, int_slider, float_slider, static_grid
import labkit.checks.taxonomy as check
use_style()
S = by_mode(
    fast=dict(n_train=4000, n_test=500, pc_channels=16, pc_layers=3, pc_first_k=5, pc_epochs=3,
              fl_size=14, fl_base=8, fl_emb=32, fl_epochs=6, fl_batch=32, fl_lr=3e-3, fl_steps=10, w_table=2.0, vae_latent=16, vae_width=8,
              vae_hidden=64, vae_epochs=3, k_iw=100, n_nll=200, gan_epochs=3, gan_base=16, gan_lr=5e-4,
              n_gen=200, n_out=100),
    full=dict(n_train=15000, n_test=2000, pc_channels=64, pc_layers=7, pc_first_k=7, pc_epochs=15,
              fl_size=28, fl_base=32, fl_emb=128, fl_epochs=15, fl_batch=128, fl_lr=1e-3, fl_steps=50, w_table=2.0, vae_latent=32, vae_width=32,
              vae_hidden=256, vae_epochs=20, k_iw=5000, n_nll=1000, gan_epochs=20, gan_base=64, gan_lr=2e-4,
              n_gen=1000, n_out=500))
S

# %% [markdown]
# One split for every model: `mnist_splits` gives a training part and a disjoint test part (offline,
# where only the official 10k test file exists, both are parts of it; the line below says which).
# Every likelihood in this lab is on **binarised** digits: each pixel is 1 with probability equal to
# its grey value, drawn once (as papers and lab 04b do), so log p(x) is a log-probability in nats.

# %%
from labkit.data import mnist_splits
from labkit.taxonomy import binarise
train, test = mnist_splits(S.n_train, S.n_test)
print(train, "\n", test, sep="")
xb_train, xb_test = binarise(train.images, seed=0), binarise(test.images, seed=1)
show_images(xb_train[:16], nrow=16, title="binarised training digits");

# %% [markdown]
# **Read it:** the digits keep their shape; their edges turn ragged, because a grey edge pixel becomes
# 0 or 1 at random.

# %% [markdown]
# ## 1. An autoregressive model: PixelCNN
# *Lecture: "explicit density, tractable".* The chain rule writes any distribution over the 784
# pixels, taken in **raster order** (row by row, left to right), as
# $p(x) = \prod_i p(x_i \mid x_1, \dots, x_{i-1})$. A PixelCNN computes every conditional at once with
# convolutions whose weights are **masked**: the output at pixel i may depend only on pixels before i.
# - **Mask A** (first layer): the rows above the centre and the pixels left of it; *not* the centre,
#   which is the pixel being predicted.
# - **Mask B** (every later layer): the same *plus* the centre, because the layer's input at the centre
#   already depends only on earlier pixels.
#
# ### Exercise 1.1: the causal mask
# Return a `(k, k)` float tensor: 1 where a weight may see its input pixel, 0 elsewhere (k is odd,
# the centre is at `k // 2`).

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "taxonomy-mask"}
def causal_mask(k, kind):
    """(k, k) mask of type "A" (centre hidden) or "B" (centre visible)."""
    ### BEGIN SOLUTION
    m, c = torch.zeros(k, k), k // 2
    m[:c, :] = 1
    m[c, :c] = 1
    if kind == "B":
        m[c, c] = 1
    return m
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "taxonomy-mask-test", "points": 2}
check.causal_mask(causal_mask)
### BEGIN HIDDEN TESTS
assert check.causal_mask(causal_mask, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 1.2: log p(x) from the logits
# The network outputs one **logit** l_i per pixel: p(x_i = 1 | x_<i) = sigmoid(l_i). Return the
# log-likelihood of each image, the sum over its pixels of log p(x_i | x_<i), shape `(N,)`. Stay on
# the logits: log sigmoid(l) underflows for confident logits (`torch.nn.functional.softplus` helps).

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "taxonomy-bernoulli"}
import torch.nn.functional as F

def bernoulli_log_likelihood(logits, x):
    """(N, 1, H, W) logits and binary x -> (N,) log p(x) in nats."""
    ### BEGIN SOLUTION
    return (x * logits - F.softplus(logits)).flatten(1).sum(1)
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "taxonomy-bernoulli-test", "points": 2}
check.bernoulli_log_likelihood(bernoulli_log_likelihood)
### BEGIN HIDDEN TESTS
assert check.bernoulli_log_likelihood(bernoulli_log_likelihood, seed=5)
### END HIDDEN TESTS

# %% [markdown]
# ### Is it really exact? Enumerate every image of a tiny space
# On 4 x 4 binary images there are only 2^16 = 65,536 possible images, so we can add up p(x) over all
# of them. For a correctly masked model the sum is 1 **whatever the weights** (each conditional is a
# proper Bernoulli, and the product telescopes). We build an untrained PixelCNN with *your* masks and
# one whose first layer wrongly uses mask B (it sees the pixel it predicts).

# %%
from labkit.taxonomy import PixelCNN, total_probability
torch.manual_seed(0)
toy_ok = PixelCNN(channels=4, n_layers=1, first_k=3, mask_fn=causal_mask)
leaky = lambda k, kind: causal_mask(k, "B")
toy_leak = PixelCNN(channels=4, n_layers=1, first_k=3, mask_fn=leaky)
total_ok, total_leak = total_probability(toy_ok), total_probability(toy_leak)
print(f"sum of p(x) over all 65,536 images, causal masks:         {total_ok:.8f}")
print(f"sum of p(x) over all 65,536 images, first layer sees x_i: {total_leak:.4g}")

# %% tags=["claim"]
assert abs(total_ok - 1) < 1e-6, f"a causal PixelCNN must sum to 1 over the toy space: {total_ok}"
assert abs(total_leak - 1) > 1e-3, f"a leaky mask should break normalisation: {total_leak}"

# %% [markdown]
# **Read it:** with causal masks the 65,536 probabilities add up to 1 to float64 precision: log p(x)
# is exact, not an estimate. When a layer may look at the pixel it predicts, each "conditional"
# can put its mass on the pixel's own value, the product no longer describes one distribution, and
# the sum is far from 1 (for an untrained net it can be above or below). Training such a model would
# drive its "likelihood" up without learning anything.
#
# ### Training on binarised MNIST
# Maximum likelihood: minimise the mean -log p(x) over training images (nats per image), with
# labkit's `PixelCNN` (the same masks) and `labkit.train.fit`. The unit papers report is **bits
# per pixel**: the negative log-likelihood divided by the number of pixels and by ln 2.

# %%
from labkit.taxonomy import train_pixelcnn, log_prob, nats_to_bits_per_pixel
torch.manual_seed(0)
pcnn = PixelCNN(channels=S.pc_channels, n_layers=S.pc_layers, first_k=S.pc_first_k)
pc_run = train_pixelcnn(pcnn, xb_train, epochs=S.pc_epochs)
with torch.no_grad():                       # your function on the model's logits (on its device)
    x100 = xb_test[:100].to(next(pcnn.parameters()).device)
    mine = bernoulli_log_likelihood(pcnn(x100), x100).cpu()
lp_pc = log_prob(pcnn, xb_test[:S.n_nll])
print(f"trained in {pc_run.seconds:.1f} s; your log-likelihood vs labkit's on 100 test images: "
      f"max difference {(mine - log_prob(pcnn, xb_test[:100])).abs().max():.2e} nats")
print(f"last epoch's mean training -log p(x): {pc_run.history['loss'][-1]:.2f} nats per image")
print(f"test log p(x) = {lp_pc.mean():.2f} nats per image "
      f"({nats_to_bits_per_pixel(-lp_pc.mean()):.3f} bits per pixel), {S.n_nll} test images")
print("published PixelCNN, binarised MNIST (van den Oord et al., 2016): -81.3 nats per image")
plot_history(pc_run.history, title="PixelCNN: -log p(x) per training image (nats)");

# %% [markdown]
# **Read it:** the curve is the exact negative log-likelihood, not a bound. Each point (and each
# `epoch` line printed during training) averages an epoch during which the model improves, so the
# last epoch's mean sits above what the finished model reaches; compare it with the test value
# printed under it, the finished model's exact log p(x) on images it never saw. Published PixelCNNs
# reach about 81 nats per image on binarised MNIST (van den Oord et al., 2016), with 60,000 training
# images and a much deeper network; full mode's run (64 channels, 7 masked layers) comes within
# 5 nats of it (checked below in full mode only), fast mode's tiny run does not.

# %% tags=["claim"]
if cfg.mode == "full":
    assert abs(-lp_pc.mean() - 81.3) <= 5, f"full mode's PixelCNN should be within 5 nats of the published 81.3: {-lp_pc.mean():.1f}"

# %% [markdown]
# ### Sampling, pixel by pixel
# One forward pass gives all 784 conditionals of a *known* image; to *generate* an image we must
# draw pixel 1, feed it back, draw pixel 2, and so on: 784 passes. labkit's `sample_pixelcnn` runs the
# network only on the window the next pixel can see (a few rows above it), which makes each pass
# cheap but does not change their number.

# %%
from labkit.taxonomy import sample_pixelcnn
x_pc = sample_pixelcnn(pcnn, S.n_gen, seed=1)
sample_s_pc = sample_pixelcnn.last_seconds
print(f"{S.n_gen} samples in {sample_s_pc:.1f} s: {S.n_gen / sample_s_pc:.1f} samples/s "
      f"({784} sequential network passes, {1000 * sample_s_pc / 784:.1f} ms each for the whole batch)")
show_images(x_pc[:32], nrow=16, title="PixelCNN samples");

# %% [markdown]
# **Read it:** the samples are made of stroke pieces of about the right width, but a small, briefly
# trained PixelCNN rarely assembles them into a whole digit: each pixel sees only a few rows above it,
# so the long-range shape is the weakest part (full mode's deeper network sees further). Generation
# time grows with the number of pixels, whatever the hardware: the passes cannot run in parallel.
#
# **Your run next to a bigger one.** In fast mode your PixelCNN is tiny and trained for seconds.
# labkit ships a *full-size reference* trained by `benchmarks/reference.py` on 8,000 other MNIST
# digits (a CPU proxy of full mode: full mode's depth and 7x7 first layer, so it sees as far above
# each pixel as full mode's network, with fewer channels and epochs; the line below says exactly),
# with 200 samples its builder drew (sampling it pixel by pixel would take minutes here). A model is
# never scored on its own training digits: `held_out` keeps the test digits it never saw, and both
# models are scored on those same digits, binarised as above. (In full mode your own run is full
# size, and this comparison is skipped.)

# %%
from labkit.taxonomy import plot_family_samples
if cfg.fast:
    from labkit.data.reference import reference_pixelcnn
    pc_ref, ref_pc = reference_pixelcnn()
    print("reference:", ref_pc.meta["reduced"])
    held = ref_pc.held_out(test)                        # the test digits the reference never saw
    xb_held = binarise(held.images, seed=1)[:S.n_nll]   # the same draw as xb_test above
    nll_mine, nll_ref = (-log_prob(m, xb_held).mean().item() for m in (pcnn, pc_ref))
    print(f"test -log p(x) on {len(xb_held)} held-out digits: your model: {nll_mine:.1f}; "
          f"full-size reference: {nll_ref:.1f} nats per image")
    plot_family_samples({"your PixelCNN": x_pc, ref_pc.label(): ref_pc.arrays["samples"]}, n=20);

# %% [markdown]
# **Read it:** on the same held-out digits the bigger PixelCNN gives a lower -log p(x), and its
# samples are connected strokes, some of them recognisable digits, where yours are mostly scattered
# fragments: seeing further up the image (7 masked layers) and training longer is what assembles
# the pieces. It is still well above the published 81 nats, which take a wider network trained for
# much longer.

# %% tags=["claim"]
if cfg.fast:
    assert nll_ref < nll_mine, f"the full-size reference should have the lower NLL: {nll_ref:.1f} vs {nll_mine:.1f}"

# %% [markdown]
# Move the slider through the generation of three samples: the top row shows the pixels drawn so far,
# the bottom row the model's p(x_j = 1 | pixels before j) from one pass over that partial image. It is
# exact at the next pixel (red square); for later pixels it pretends the unfilled ones are 0.

# %%
from labkit.taxonomy import render_pixel_step
view_px = SliderView(render_pixel_step, fixed=dict(model=pcnn, samples=x_pc), title="PixelCNN: pixel by pixel",
                     index=int_slider("pixel index", 0, 784, 300, step=4))
view_px

# %%
if cfg.fast:
    static_grid(render_pixel_step, [dict(index=i) for i in (150, 350, 600)], ncols=3,
                fixed=dict(model=pcnn, samples=x_pc), figsize_per=(4.5, 3.6));

# %% [markdown]
# **Read it:** the map is bright along the strokes already drawn: the model gave those pixels a high
# probability before drawing them, because each continues a stroke from the row above or from the pixel
# to its left. Far from ink the probability is near 0 and the draws are almost certain; the uncertain
# pixels (the middle colours), where the samples differ from each other, sit at the edges of strokes.

# %% [markdown]
# ## 2. An iterative sampler: flow matching on lab 03's UNet
# *Lecture: a generator is a "distribution transformer".* A GAN transforms noise into a digit in one
# network pass. Here the transformation is a path: a **velocity field** v(x, t) tells every point x at
# time t which way to move, and following it from t = 0 (Gaussian noise) to t = 1 lands on digits.
# **Flow matching** learns v by regression on straight paths: draw noise x0 and a training digit x1,
# a time t in [0, 1], the point x_t = (1 - t) x0 + t x1 between them, and ask the network for the
# velocity of that path, x1 - x0. On average over all pairs through x_t this is exactly the field
# that carries the noise distribution to the data distribution.
#
# The network is lab 03's **UNet** (the segmentation network, image in, image out), given t and a
# class label as an extra vector that is added to its feature maps (`UNet(cond_dim=...)`).
#
# ### Exercise 2.1: the flow-matching loss
# `velocity(x_t, t)` is the network (t of shape `(N,)`, one time per image). Return the mean squared
# error between its output at x_t and the target velocity, averaged over every element.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "taxonomy-fm-loss"}
def flow_matching_loss(velocity, x1, x0, t):
    """x1 data, x0 noise (N, C, H, W), t (N,) -> scalar loss."""
    ### BEGIN SOLUTION
    tt = t.view(-1, 1, 1, 1)
    xt = (1 - tt) * x0 + tt * x1
    return ((velocity(xt, t) - (x1 - x0)) ** 2).mean()
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "taxonomy-fm-loss-test", "points": 2}
check.flow_matching_loss(flow_matching_loss)
### BEGIN HIDDEN TESTS
assert check.flow_matching_loss(flow_matching_loss, seed=4)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2.2: one Euler step
# Sampling solves dx/dt = v(x, t) from t = 0 to 1 in small steps of size dt. Euler's method moves x by
# dt times the velocity at the *current* point and time. `t` has shape `(N,)`.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "taxonomy-euler"}
def euler_step(velocity, x, t, dt):
    """x (N, C, H, W) at times t (N,) -> x after one step of size dt."""
    ### BEGIN SOLUTION
    return x + dt * velocity(x, t)
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "taxonomy-euler-test", "points": 2}
check.euler_step(euler_step)
### BEGIN HIDDEN TESTS
assert check.euler_step(euler_step, seed=6)
### END HIDDEN TESTS

# %% [markdown]
# ### Training, with labels
# We train **one** network for two jobs: with the digit's label y, and, for 10 % of the batches'
# images, with a "no label" token instead. It then knows both v(x, t, y) and v(x, t); the guidance
# below needs both. The loss is yours (`loss=flow_matching_loss`); images are scaled to [-1, 1].
# In fast mode the flow works on 14 x 14 digits (4 times fewer pixels, so each training step costs
# about a quarter) and its samples are scaled back up to 28 x 28 for the judge; full mode uses 28 x 28.

# %%
from labkit.taxonomy import FlowUNet, train_flow
torch.manual_seed(0)
flow = FlowUNet(base=S.fl_base, depth=2, emb=S.fl_emb, size=S.fl_size)
fl_run = train_flow(flow, train.images, train.labels, epochs=S.fl_epochs, batch_size=S.fl_batch,
                       lr=S.fl_lr, loss=flow_matching_loss)
print(f"UNet velocity field: {sum(p.numel() for p in flow.parameters()):,} parameters, trained in {fl_run.seconds:.1f} s")
plot_history(fl_run.history, title="flow matching: mean squared velocity error");

# %% [markdown]
# **Read it:** unlike a GAN's losses, this is a plain regression loss: the `epoch` lines printed
# during training and the curve go down, fast at first. It does not go to 0: from a given x_t many
# (noise, digit) pairs are possible, and the network can only predict their average velocity.

# %% tags=["claim"]
assert fl_run.history["loss"][-1] < fl_run.history["loss"][0], f"the flow-matching loss should go down: {fl_run.history['loss']}"

# %% [markdown]
# ### Following the field: from noise to digits
# `sample_flow` integrates with *your* Euler step, `S.fl_steps` steps of size 1 / `S.fl_steps`
# (printed below), and keeps the whole trajectory. First without labels ("no label" token):

# %%
from labkit.taxonomy import sample_flow, render_flow_time
x_fl, traj = sample_flow(flow, 20, steps=S.fl_steps, seed=2, keep=True, step_fn=euler_step)
print(f"{S.fl_steps} Euler steps of size {1 / S.fl_steps:g}: {len(traj)} snapshots from t = 0 to 1")
view_t = SliderView(render_flow_time, fixed=dict(trajectory=traj, n=20), title="flow matching: noise to digits",
                    step=int_slider("Euler step", 0, S.fl_steps, S.fl_steps))
view_t

# %%
if cfg.fast:
    static_grid(render_flow_time, [dict(step=k) for k in (0, S.fl_steps // 2, S.fl_steps)], ncols=1,
                fixed=dict(trajectory=traj, n=20), figsize_per=(8, 2.2));

# %% [markdown]
# **Read it:** at t = 0 every image is noise; halfway the noise still dominates, with a faint bright
# blob where the digit will be; the last steps turn the blob into strokes. Every sample moves in many
# *small* steps of the same network: this is the distribution transformer of lab 05, spread over
# time. Fewer steps are faster and rougher (straight paths are what make a few Euler steps workable).
#
# ### Asking for a digit: classifier-free guidance
# With a label y the field goes to digits of class y. **Classifier-free guidance** (Ho & Salimans,
# 2022) pushes further along the difference the label makes:
# v = v(x, t) + w (v(x, t, y) - v(x, t)). w = 0 ignores the label, w = 1 is the conditional model,
# w > 1 exaggerates what distinguishes class y. We measure it with lab 05's **judge** classifier:
# the fraction of generated digits it reads as the requested label.

# %%
from labkit.gan import load_classifier, conditional_accuracy
judge = load_classifier()
want = torch.arange(S.n_gen) % 10
acc_w = {}
for w in (0.0, 1.0, S.w_table, 4.0):
    acc_w[w] = conditional_accuracy(sample_flow(flow, S.n_gen, S.fl_steps, y=want, w=w, seed=3), want, judge)["accuracy"]
    print(f"guidance w = {w:3.1f}: judge reads the requested digit in {acc_w[w]:.1%} of {S.n_gen} samples")

# %% tags=["claim"]
assert acc_w[1.0] > 0.3, f"the conditional flow should mostly obey the label: {acc_w[1.0]:.1%}"
assert acc_w[S.w_table] > acc_w[0.0] + 0.3, f"guidance should raise label accuracy: {acc_w}"

# %% [markdown]
# **Read it:** at w = 0 the label is ignored and the judge agrees with it only by chance (about 10 %);
# the conditional model (w = 1) mostly obeys the label, and guidance raises the agreement further. The
# price, which the slider shows: large w makes digits thicker, more "typical" and more alike within a
# class (it trades variety for fidelity), and a very large w overshoots into blotchy strokes.

# %%
from labkit.taxonomy import render_guidance
view_w = SliderView(render_guidance, fixed=dict(model=flow, steps=S.fl_steps, seed=4, per_class=2),
                    title="classifier-free guidance", w=float_slider("guidance w", 0.0, 6.0, 1.0, step=0.5))
view_w

# %%
if cfg.fast:
    static_grid(render_guidance, [dict(w=w) for w in (0.0, 1.0, 4.0)], ncols=1,
                fixed=dict(model=flow, steps=S.fl_steps, seed=4, per_class=2), figsize_per=(8, 2.2));

# %% [markdown]
# **Read it:** the same noise in every panel. At w = 0 the columns are unrelated to the requested
# digits 0..9; at w = 1 some columns already show their digit; as w grows most of them do, the strokes
# get bolder and the two rows of a column look more alike. Move the slider to 6: the shapes get
# blotchy, the field is pushed past the data.

# %% [markdown]
# ## 3. The table: every family on the same split
# The same training part, the same binarised test part, the same judge. Lab 04's **VAE** (convolutional
# encoder and decoder, Bernoulli pixels) is trained on the binarised digits and scored as lab 04b does:
# the ELBO and the importance-weighted bound with k samples (a lower bound on log p(x), tight as
# k grows). Lab 05's **DCGAN** and **conditional GAN** train on the grey digits, as in lab 05.
#
# Columns:
# - **log p(x)**: mean over test images, in nats (higher is better): exact for the PixelCNN, bounds for
#   the VAE, none for the GANs and the flow (a flow-matching model has a likelihood in principle, via
#   the change of variables along the ODE, but it is expensive and not for binary pixels);
# - **judge-Fréchet**: lab 05's Fréchet distance between the judge's features of samples and of the
#   test part (lower is better; comparable only within this table);
# - **label acc**: the judge's accuracy on the requested labels (conditional models only);
# - **coverage**: how many of the 10 digits the judge assigns to at least 1 % of the samples
#   (`S.n_gen` samples per model, see the sizes cell);
# - **samples/s** on this machine, and **train s**, the training time.

# %%
from labkit.vae import VAE, train_autoencoder
from labkit.vae.likelihood import BernoulliVAE, elbo, iw_log_px
from labkit.taxonomy import timed
torch.manual_seed(0)
vae = VAE(latent_dim=S.vae_latent, width=S.vae_width, hidden=S.vae_hidden)
_, train_s_vae = timed(train_autoencoder, vae, xb_train, epochs=S.vae_epochs, batch_size=64, lr=2e-3)
vae_lik = BernoulliVAE(vae)
elbo_vae = elbo(vae_lik, xb_test[:S.n_nll], n_samples=100).mean().item()
iw_vae = iw_log_px(vae_lik, xb_test[:S.n_nll], k=S.k_iw).mean().item()
print(f"VAE trained in {train_s_vae:.1f} s: ELBO {elbo_vae:.2f}, IW bound (k={S.k_iw}) {iw_vae:.2f}, "
      f"PixelCNN exact {lp_pc.mean():.2f} nats per test image")

# %% tags=["claim"]
assert lp_pc.mean() > iw_vae, f"the PixelCNN's exact log p(x) should beat the VAE's IW bound: {lp_pc.mean():.2f} vs {iw_vae:.2f}"

# %%
from labkit.gan import train_image_gan, generate_digits
run_dc = train_image_gan(train, epochs=S.gan_epochs, base=S.gan_base, lr=S.gan_lr, seed=0)
run_cg = train_image_gan(train, epochs=S.gan_epochs, base=S.gan_base, lr=S.gan_lr, conditional=True, seed=0)
G_dc, G_cg = run_dc.G, run_cg.G

# %%
def gan_samples(G, n, seed=5):
    with torch.no_grad():
        return ((G(G.sample_latent(n, torch.Generator().manual_seed(seed))) + 1) / 2).clamp(0, 1).cpu()

from labkit.taxonomy import measure_row, format_table
samples, rows = {}, []
def add_row(name, x, sample_s, train_s, loglik="none", labels=None):
    samples[name] = x
    rows.append(measure_row(name, x, sample_s, train_s, judge, test.images, loglik, labels))

x_flu = sample_flow(flow, S.n_gen, S.fl_steps, seed=6)
s_flu = sample_flow.last_seconds
x_flc = sample_flow(flow, S.n_gen, S.fl_steps, y=want, w=S.w_table, seed=6)
s_flc = sample_flow.last_seconds
x_vae, s_vae = timed(lambda: vae.sample(S.n_gen, torch.Generator().manual_seed(7)).cpu())
x_dc, s_dc = timed(gan_samples, G_dc, S.n_gen)
x_cg, s_cg = timed(generate_digits, G_cg, want, seed=8)
add_row("PixelCNN", x_pc, sample_s_pc, pc_run.seconds, f"{lp_pc.mean():.1f} (exact)")
add_row("flow (no label)", x_flu, s_flu, fl_run.seconds)
add_row(f"flow (label, w={S.w_table:g})", x_flc, s_flc, fl_run.seconds, labels=want)
add_row("VAE", x_vae, s_vae, train_s_vae, f"{iw_vae:.1f} (IW), {elbo_vae:.1f} (ELBO)")
add_row("DCGAN", x_dc, s_dc, run_dc.seconds)
add_row("conditional GAN", x_cg, s_cg, run_cg.seconds, labels=want)
real_fd = measure_row("(real training digits)", train.images[:S.n_gen], 1.0, 0.0, judge, test.images)["frechet"]
print(format_table(rows))
print(f"\n{S.n_gen} samples per model; judge-Frechet of {S.n_gen} real training digits: {real_fd:.2f} (the floor)")
print(f"sequential network passes per sample: PixelCNN 784, flow {S.fl_steps} (with guidance, each on a "
      f"batch twice as large: labelled and unlabelled), VAE and GANs 1")

# %% tags=["claim"]
speed = {r["model"]: r["samples_per_s"] for r in rows}
assert speed["PixelCNN"] < min(v for k, v in speed.items() if k != "PixelCNN"), f"PixelCNN should be the slowest sampler: {speed}"
fd = {r["model"]: r["frechet"] for r in rows}
assert fd["VAE"] > 2 * real_fd, f"the VAE's blurred means should be far from the real-digit floor: {fd['VAE']:.1f} vs {real_fd:.1f}"

# %%
plot_family_samples(samples, n=20);

# %% [markdown]
# **Read it:** compare the columns, not one number. The PixelCNN is the only row with an exact
# log p(x), and it is higher than the VAE's bound. The VAE's samples are Bernoulli *means* (grey,
# blurred averages; its judge-Fréchet is far from the floor), the PixelCNN's are binary draws. The flow
# and the GANs have no likelihood column at all; look at their judge-Fréchet and coverage instead, and
# at the figure. The samples/s column is the cost of sampling: the PixelCNN needs 784 sequential
# passes per image and is the slowest; the flow needs one pass per Euler step (`S.fl_steps`, printed
# under the table; with guidance each pass runs on a batch twice as large, so its samples/s is
# about half); the GANs and the VAE need one. In fast mode every model trains for seconds and the sample columns
# rank the families only roughly; `benchmarks/results/taxonomy.json` records the run of
# `benchmarks/taxonomy.py`. In full mode the flow's unlabelled samples reach a lower judge-Fréchet
# than the DCGAN's (checked below in full mode only); fast mode's tiny flow need not.

# %% tags=["claim"]
if cfg.mode == "full":
    assert fd["flow (no label)"] < fd["DCGAN"], f"full mode's flow should beat the DCGAN's judge-Frechet: {fd}"

# %% [markdown]
# **Your flow next to a bigger one.** As for the PixelCNN, labkit ships a *full-size reference* of
# the flow, trained by `benchmarks/reference.py` on 8,000 other digits at 28 x 28 (a CPU proxy of
# full mode, the line below says how), with the 200 unlabelled and 200 guided samples its builder
# drew with full mode's Euler steps. Both flows are scored the same way: judge-Fréchet against the
# same held-out test digits, and the judge's accuracy on the same requested labels (fast mode only).

# %%
if cfg.fast:
    from labkit.data.reference import reference_flow
    from labkit.gan import frechet_distance
    fl_ref, ref_fl = reference_flow()
    print("reference:", ref_fl.meta["reduced"])
    held_fl = ref_fl.held_out(test).images              # the test digits the reference never saw
    x_ru, x_rc = ref_fl.arrays["samples_uncond"][:S.n_gen], ref_fl.arrays["samples_guided"][:S.n_gen]
    assert torch.equal(ref_fl.arrays["samples_guided_labels"][:S.n_gen], want) and ref_fl.meta["sizes"]["w"] == S.w_table
    fd_ref = {}
    for name, mine, theirs in [("no label", x_flu, x_ru), (f"label, w={S.w_table:g}", x_flc, x_rc)]:
        fd_ref[name] = [frechet_distance(held_fl, x, judge) for x in (mine, theirs)]
        print(f"flow ({name}), judge-Frechet on {len(held_fl)} held-out digits: your model: "
              f"{fd_ref[name][0]:.1f}; full-size reference: {fd_ref[name][1]:.1f}")
    acc_ref = [conditional_accuracy(x, want, judge)["accuracy"] for x in (x_flc, x_rc)]
    print(f"flow (label, w={S.w_table:g}), judge reads the requested digit: your model: {acc_ref[0]:.1%}; "
          f"full-size reference: {acc_ref[1]:.1%}")
    plot_family_samples({f"your flow (label, w={S.w_table:g})": x_flc, ref_fl.label(): x_rc}, n=20);

# %% [markdown]
# **Read it:** the bigger flow's guided digits are sharp and almost always the digit that was asked
# for, and its judge-Fréchet is far lower than yours with and without a label: 28 x 28 pixels, a
# wider network trained longer, and 50 Euler steps instead of your 10 (both printed above) buy
# fidelity and label accuracy together.

# %% tags=["claim"]
if cfg.fast:
    for name, (fd_mine, fd_theirs) in fd_ref.items():
        assert fd_theirs < fd_mine, f"the full-size reference should have the lower judge-Frechet ({name}): {fd_theirs:.1f} vs {fd_mine:.1f}"
    assert acc_ref[1] > acc_ref[0], f"the full-size reference should obey the labels more often: {acc_ref}"


# %% [markdown]
# The table's families again, as the shipped full-size references: the PixelCNN and the flow above
# (CPU proxies of full mode, as printed above), and lab 05's full-size DCGAN and conditional GAN
# (the networks of this table's full mode, base 64, trained by `benchmarks/reference.py` on 5,000
# digits). The VAE has none (lab 04's reference is a different VAE, with a 2-d latent). Same
# measurements, the same held-out test digits, the same number of samples; their speeds and
# training times were not measured here ("-").

# %%
if cfg.fast:
    from labkit.data.reference import reference_image_gan
    ref_rows = [measure_row("PixelCNN", ref_pc.arrays["samples"], None, None, judge, held.images, f"{-nll_ref:.1f} (exact)"),
                measure_row("flow (no label)", x_ru, None, None, judge, held_fl),
                measure_row(f"flow (label, w={S.w_table:g})", x_rc, None, None, judge, held_fl, labels=want)]
    for name, conditional in (("DCGAN", False), ("conditional GAN", True)):
        G_ref, ref_g = reference_image_gan(conditional)
        x_ref = generate_digits(G_ref, want, seed=8) if conditional else gan_samples(G_ref, S.n_gen)
        ref_rows.append(measure_row(name, x_ref, None, None, judge, ref_g.held_out(test).images,
                                    labels=want if conditional else None))
    assert len(held) == len(held_fl) == len(ref_g.held_out(test)) == len(test)   # every test digit is held out
    print("full-size references:")
    print(format_table(ref_rows))

# %% [markdown]
# **Read it:** every full-size reference is much closer to real digits than your fast run of the
# same family (lower judge-Fréchet), and the conditional ones obey their labels more often. The
# conditional models (guided flow, conditional GAN) come nearest to the real-digit floor; the
# PixelCNN, the only row with an exact log p(x), stays the farthest from real digits: likelihood
# and sample quality are different goals.

# %% tags=["claim"]
if cfg.fast:
    fast_rows = {r["model"]: r for r in rows}
    for r in ref_rows:
        f = fast_rows[r["model"]]
        assert r["frechet"] < f["frechet"], f"{r['model']}: the reference should have the lower judge-Frechet: {r['frechet']:.1f} vs {f['frechet']:.1f}"
        if r["label_acc"] is not None:
            assert r["label_acc"] > f["label_acc"], f"{r['model']}: the reference should obey labels more often: {r['label_acc']:.1%} vs {f['label_acc']:.1%}"
    by_fd = sorted(ref_rows, key=lambda r: r["frechet"])
    assert {r["model"] for r in by_fd[:2]} == {f"flow (label, w={S.w_table:g})", "conditional GAN"}, by_fd
    assert by_fd[-1]["model"] == "PixelCNN", by_fd

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "taxonomy-q-choose", "points": 1}
# **Question 3.1.** Which family would you pick (a) to flag unusual inputs, (b) to generate thousands
# of images per second, (c) for the best-looking samples? Justify each with a column of the table and
# with what the model computes.
#
# ### BEGIN SOLUTION
# (a) An explicit, tractable density (the PixelCNN): it gives every input an exact log p(x), so a low
# value is a meaningful "this is unusual" score; the VAE gives only a bound (the gap varies per image),
# GANs and the flow give no score at all. (b) A one-pass generator: the GAN (or the VAE decoder),
# hundreds to thousands of samples per second, versus 784 sequential passes for the PixelCNN and one
# pass per Euler step for the flow. (c) The flow or the GAN, lowest judge-Fréchet and clear strokes;
# the flow with guidance also obeys labels best. Likelihood and sample quality are different goals: the
# best log p(x) here does not give the best samples.
# ### END SOLUTION

# %% [markdown]
# ## 4. Back to lab 00b: likelihood as an outlier score
# Lab 00b showed that a classifier is confident on inputs that are not digits at all, and that a
# density P(x) can flag them. Now we have two real image densities: the PixelCNN's exact log p(x) and
# the VAE's bound. We score 00b's "unreasonable inputs" (uniform noise, random pen strokes, rendered
# letters, binarised the same way) and report the **AUROC** for telling test digits (should score
# high) from each kind of outlier: 1 = every digit scores above every outlier, 0.5 = chance, below
# 0.5 = the outliers look *more* likely than digits.

# %%
from labkit.density import auroc, noise_images, stroke_images, letter_images
outliers = {"uniform noise": noise_images(S.n_out, seed=1), "random strokes": stroke_images(S.n_out, seed=3),
            "letters": letter_images(S.n_out, seed=4)}
outliers = {k: binarise(torch.as_tensor(v), seed=9) for k, v in outliers.items()}
digits = xb_test[:S.n_out]
score = {"PixelCNN exact log p(x)": lambda x: log_prob(pcnn, x),
         "VAE bound (IW)": lambda x: iw_log_px(vae_lik, x, k=min(S.k_iw, 500))}
def digit_auroc(s_in, s_out):                # label 1 = digit: P(a random digit scores higher)
    return auroc(torch.cat([s_in, s_out]), torch.cat([torch.ones(len(s_in)), torch.zeros(len(s_out))]))


aurocs = {}
print(f"{'score':24s} " + " ".join(f"{k:>15s}" for k in outliers))
for name, f in score.items():
    s_in = f(digits)
    aurocs[name] = {k: digit_auroc(s_in, f(x)) for k, x in outliers.items()}
    print(f"{name:24s} " + " ".join(f"{a:15.3f}" for a in aurocs[name].values()))
show_images(torch.cat([x[:8] for x in outliers.values()]), nrow=8, title="binarised outliers: noise, strokes, letters");

# %% tags=["claim"]
for name, a in aurocs.items():
    assert a["uniform noise"] > 0.99, f"{name} should flag uniform noise: AUROC {a['uniform noise']:.3f}"

# %% [markdown]
# **Read it:** uniform noise is flagged perfectly by both scores: half the pixels are on, which a digit
# model finds astronomically unlikely. Strokes and letters are the real test: they are drawn with the
# same pen as digits, often with *less* ink, and a likelihood is dominated by local statistics (an
# empty background and smooth strokes are cheap to encode). Read the two rows: an AUROC near or below
# 0.5 means the score ranks those outliers as at least as likely as digits. The exact likelihood has
# no bound gap, yet it need not be the better outlier score (in the fast run it is not): a high
# likelihood means "cheap to encode", not "a digit".

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "taxonomy-q-outliers", "points": 1}
# **Question 4.1.** A simple image (a short straight stroke) can get a *higher* log p(x) than a real
# digit under a model trained only on digits. Why, and what could you compare log p(x) with to make
# a better outlier score?
#
# ### BEGIN SOLUTION
# Most of a binarised digit's log p(x) is spent on predictable pixels: an image with less ink and
# simpler strokes has fewer uncertain pixels, so its probability is higher even though it is not a
# digit; the likelihood measures how easy an image is to encode, not whether it is typical. Better
# scores compare with a reference: a likelihood ratio to a generic "background" model of simple images
# (or a model with a smaller receptive field), the typicality of log p(x) (is it in the range the test
# digits have, not just above a threshold), or the classifier/judge's confidence combined with it.
# ### END SOLUTION

# %% [markdown]
# ## Summary
# - An autoregressive model writes p(x) as a product of one-pixel conditionals; masked convolutions
#   (mask A, then B) compute all of them in one pass, so log p(x) is **exact**, and summing p(x) over
#   a whole (tiny) space gives 1. Sampling needs one pass per pixel.
# - Flow matching learns a velocity field by regression on straight noise-to-data paths; Euler steps
#   follow it. Labels plus a "no label" token give classifier-free guidance: fidelity for variety.
# - On one split and one judge, the families trade the same things: the exact likelihood (PixelCNN),
#   a bound (VAE), or none (GANs, flow) against sample quality and speed (one pass vs many).
# - Exact likelihoods flag noise at once but can rank simple non-digits above digits.
#
# ## Questions
# 1. Why must the *first* layer use mask A but later layers may use mask B? What would a mask-B first
#    layer learn?
# 2. The PixelCNN sees only a window above each pixel. How would that show in its samples, and which
#    change to the architecture addresses it?
# 3. Why can a flow-matching model be sampled in 10 steps but not in 1? What do straight paths buy?
# 4. Lab 00b's taxonomy map: place every model of this table on it.
