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
# In `fast` mode (CPU) every model is tiny and trains for seconds: pictures are rough, every effect is
# visible. `full` mode (GPU) runs the same code longer. Quality numbers at larger budgets come from
# `benchmarks/gan.py`.

# %%
import labkit
cfg = labkit.setup(seed=0, threads=1)

# %% [markdown]
# ## 0. Sizes
# All sizes come from one place (`by_mode`).

# %%
import numpy as np, torch
from labkit import by_mode
from labkit.viz import use_style, show_images
from labkit.widgets import SliderView, int_slider, float_slider, dropdown, static_grid
use_style()
S = by_mode(
    fast=dict(steps_1d=1200, steps_2d=1500, steps_grid=2000, n_train=4000, dc_epochs=5, dc_base=32, lr=5e-4,
              cgan_epochs=8, pix_train=2000, pix_epochs=3, pix_base=8, pix_lr=2e-3, n_eval=1000),
    full=dict(steps_1d=4000, steps_2d=30000, steps_grid=40000, n_train=None, dc_epochs=20, dc_base=64, lr=2e-4,
              cgan_epochs=20, pix_train=20000, pix_epochs=10, pix_base=32, pix_lr=2e-4, n_eval=5000))
S

# %% [markdown]
# ## 1. A GAN is a distribution transformer (1-D)
# *Lecture: "GANs are distribution transformers".* G gets z ~ N(0, 1) and must output samples whose
# histogram matches the grey target density (two bumps). D(x) is the probability D gives to "x is real".
# We keep a snapshot of both every 100 steps.

# %%
from labkit.gan_train import train_1d_gan
from labkit.widgets.gan import render_1d
G1, D1, hist1, snaps1 = train_1d_gan(steps=S.steps_1d, n_snapshots=15, seed=0)
print(f"{len(snaps1)} snapshots, final d_loss={hist1['d_loss'][-1]:.3f} (2 log 2 = {2*np.log(2):.3f})")

# %%
view1 = SliderView(render_1d, fixed=dict(snapshots=snaps1), title="1-D GAN: G(z) and D(x) over training",
                   step_index=int_slider("snapshot", 0, len(snaps1) - 1, 0))
view1

# %%
before = view1.image.value                 # the slider, driven from code (also how tests drive it)
view1.controls["step_index"].value = len(snaps1) - 1
assert view1.image.value != before
static_grid(render_1d, [dict(step_index=i) for i in (0, 3, len(snaps1) - 1)], ncols=3,
            fixed=dict(snapshots=snaps1), figsize_per=(5, 2.8));

# %% [markdown]
# **Read it:** at step 0 G's output is a narrow blob and D(x) is high where the data is and low where
# the fakes are. As training goes on, the histogram moves under the two bumps and D(x) flattens
# towards 1/2: at the equilibrium D cannot tell, and its loss tends to 2 log 2.
# **Question 1.** Where D(x) is *above* 1/2, does G have too few or too many samples there? Which way
# does the gradient of D(x) push G's samples?

# %% [markdown]
# ## 2. Two dimensions: losses, one training step, mode collapse
# The benchmark targets of the PacGAN and VEEGAN papers: a **ring** of 8 Gaussians (radius 1, std 0.01)
# and a **grid** of 25 (means at {-4, -2, 0, 2, 4}^2, std 0.05). A mode is *covered* if at least one
# of 2,500 samples lands within 3 standard deviations of it; such samples are *high quality* (HQ).

# %%
from labkit.data.mixtures import sample_mixture
from labkit.metrics.gan import mode_coverage
from labkit.viz import scatter2d
import matplotlib.pyplot as plt
fig, axes = plt.subplots(1, 2, figsize=(7, 3.3))
for ax, name in zip(axes, ("ring", "grid")):
    x = sample_mixture(name, 2500, seed=0)
    r = mode_coverage(x, name)
    scatter2d(x, ax=ax, s=2, title=f"{name}: true samples score {r['modes']} modes, {r['hq']:.1%} HQ")

# %% [markdown]
# ### Exercise 2.1: the discriminator loss
# D outputs a **logit** l (D(x) = sigmoid(l)). D maximises E log D(x) + E log(1 - D(G(z))), i.e. it
# minimises the binary cross-entropy with label 1 for real and 0 for fake:
#
#   L_D = - mean log sigmoid(l_real) - mean log(1 - sigmoid(l_fake)).
#
# Work with logits: log sigmoid(l) = -softplus(-l) and log(1 - sigmoid(l)) = -softplus(l) stay finite
# when D is very confident (`torch.nn.functional.softplus`).

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

# %%
l = torch.linspace(-8, 4, 200, requires_grad=True)
for kind in ("saturating", "nonsaturating"):
    (g,) = torch.autograd.grad(generator_loss(l, kind) * len(l), l)
    plt.plot(torch.sigmoid(l).detach(), g.abs(), label=kind)
plt.xscale("log"); plt.xlabel("D(G(z))"); plt.ylabel("|d loss / d logit|"); plt.legend()
plt.title("gradient G receives when D rejects its samples (left)");


# %% [markdown]
# **Read it:** when D(G(z)) is near 0 (D wins), the saturating loss gives G almost no gradient;
# the non-saturating loss gives it the most.

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
assert check.discriminator_loss(discriminator_loss) and check.generator_loss(generator_loss)
### END HIDDEN TESTS

# %%
from labkit.models.gan import MLPGenerator, MLPDiscriminator
torch.manual_seed(0)
G, D = MLPGenerator(2, 2, 64, 2), MLPDiscriminator(2, 64, 2)
opt_g, opt_d = (torch.optim.Adam(m.parameters(), 1e-3, betas=(0.5, 0.999)) for m in (G, D))
losses = [train_step(G, D, opt_g, opt_d, sample_mixture("ring", 128, seed=i), G.sample_latent(128))
          for i in range(300)]
plt.plot(np.array(losses)); plt.legend(["d_loss", "g_loss"]); plt.xlabel("step")
plt.title(f"your train_step, 300 steps: {mode_coverage(G.sample(2500), 'ring')['modes']}/8 modes");

# %% [markdown]
# ### Mode collapse, and a setup that covers every mode
# `labkit.gan_train.train_mixture_gan` runs the same alternating step in a loop
# (`labkit.train.fit(step=...)`). Two recipes on the same MLPs (3 x 128):
# - `minimax`: the saturating loss of the original game, a plain Gaussian latent;
# - `tuned`: non-saturating loss, a categorical + Gaussian latent (more categories than modes: 32 on
#   the ring, 50 on the grid, so every bump can take whole categories; this uses the number of modes,
#   which real data does not tell you), instance noise annealed to 0, an R1 penalty, linear lr decay, and an EMA of G's weights.
#
# The trainer watches D: if it wins outright for many steps, it says so (`diagnosis`).
# Full mode trains each for the benchmark's budget (30,000 steps on the ring, 40,000 on the grid): about
# 3-5 minutes per run on one CPU core, 15-20 minutes for the four. A GPU barely helps networks this
# small (measured on an H100: 1.5x), so these runs stay on the CPU.

# %%
from labkit.gan_train import train_mixture_gan
from labkit.widgets.gan import plot_mixture_runs
runs = {}
def run(name, recipe):                     # one run; the trainer's diagnosis says if D won outright
    steps = S.steps_2d if name == "ring" else S.steps_grid
    runs[name, recipe] = train_mixture_gan(name, recipe, steps=steps, seed=0, n_snapshots=10)
    print(f"{name} {recipe}:", runs[name, recipe][3].diagnosis or "no divergence reported")
run("ring", "minimax")

# %%
run("ring", "tuned")

# %%
run("grid", "minimax")

# %%
run("grid", "tuned")

# %%
for name in ("ring", "grid"):
    plot_mixture_runs({recipe: runs[name, recipe][0] for recipe in ("minimax", "tuned")}, name)

# %% [markdown]
# **Read it:** compare the modes and HQ numbers in the titles. **Mode collapse** shows as modes with no
# sample near them: G found outputs D currently accepts and nothing forces it to spread. On the grid,
# both generators first learn the square's *outline* and smear samples between the clusters; the
# categorical latent of the tuned recipe lets separate parts of z go to separate clusters. The HQ
# fraction says how tight the samples are, and these fast-mode runs are far too short to be tight.
# In fast mode the tuned grid run can even look *worse* than minimax: for the first 60 % of its
# steps D sees the data through instance noise, so a short run stops while it is still blurred
# (measured: 2,000 steps, 16-22 modes and ~2 % HQ). Slide through its snapshots below, and read the
# long runs in the table.
#
# `benchmarks/gan.py` measures both recipes over 5 seeds with the same budget (30,000 steps on the
# ring, 40,000 on the grid, under 5 CPU minutes per run). Course targets: ring 8 modes / >= 97 % HQ,
# grid 24.8 / >= 95 %; PacGAN reports 7.8 / 95.9 % and 24.8 / 93.6 % after long GPU runs. Note what the
# long runs say: with enough steps even the plain minimax game covers the ring's 8 modes, so short
# runs exaggerate its collapse; the grid is where the tricks pay (more modes, far more samples on
# them). Its last recorded results:

# %%
import json, pathlib
p = pathlib.Path("../benchmarks/results/gan.json")
if p.exists():
    for k, v in json.loads(p.read_text())["summary"].items():
        print(f"{k:13s} {v['steps']:6d} steps, {len(v['seeds'])} seeds: {v['modes_mean']:5.1f} modes, "
              f"{100 * v['hq_mean']:5.1f}% HQ, {v['cpu_s_max']:.0f} s CPU per run")
else:
    print("no benchmarks/results/gan.json here: run `python benchmarks/gan.py` from the repository")

# %%
from labkit.widgets.gan import render_mixture
G_, D_, _, _, snaps2 = runs["grid", "tuned"]
view2 = SliderView(render_mixture, fixed=dict(snapshots=snaps2, mixture="grid", G=G_, D=D_),
                   title="grid, tuned: samples over D's decision surface",
                   step_index=int_slider("snapshot", 0, len(snaps2) - 1, 0))
view2

# %%
before = view2.image.value
view2.controls["step_index"].value = len(snaps2) - 1
assert view2.image.value != before
Gm, Dm, _, _, snaps_m = runs["ring", "minimax"]
static_grid(render_mixture, [dict(step_index=i) for i in (0, 4, len(snaps_m) - 1)], ncols=3,
            fixed=dict(snapshots=snaps_m, mixture="ring", G=Gm, D=Dm), figsize_per=(4, 3.6));

# %% [markdown]
# **Read it:** red = D says "real", blue = "fake". D's surface is not the data density: it is red
# where the data has more mass than G's samples (at first a whole half-plane, later the modes
# themselves) and blue where G puts samples the data does not have (the arcs between modes). G's
# samples move up D's gradient, so the red spots pull them in; as G improves, the surface flattens.
# **Question 2.** Why does a categorical latent make covering 25 separate modes easier for an MLP
# generator whose output is a *continuous* function of z?

# %% [markdown]
# ## 3. MNIST with a DCGAN
# A convolutional generator (project z to 7x7, two stride-2 transposed convolutions, BatchNorm, ReLU,
# tanh) and discriminator (stride-2 convolutions, BatchNorm, LeakyReLU), DCGAN initialisation
# (weights N(0, 0.02)), Adam(2e-4, beta1=0.5), non-saturating loss. The trainer keeps the images of one
# fixed batch of z after every epoch. (Fast mode uses lr 5e-4 to get somewhere in a few epochs; the
# DCGAN paper's 2e-4 is used in full mode.)

# %%
from labkit.data import mnist_splits
from labkit.gan_train import train_image_gan
train, test = mnist_splits(S.n_train, S.n_eval)
print(train)
G3, D3, hist3, tr3, snaps3 = train_image_gan(train, epochs=S.dc_epochs, base=S.dc_base, lr=S.lr, seed=0)

# %%
from labkit.widgets.gan import render_epoch_samples
view3 = SliderView(render_epoch_samples, fixed=dict(snapshots=snaps3), title="DCGAN: fixed z after each epoch",
                   epoch_index=int_slider("epoch", 0, len(snaps3) - 1, len(snaps3) - 1))
view3

# %%
before = view3.image.value
view3.controls["epoch_index"].value = 0
assert view3.image.value != before
static_grid(render_epoch_samples, [dict(epoch_index=i) for i in (0, len(snaps3) - 1)], ncols=2,
            fixed=dict(snapshots=snaps3), figsize_per=(4, 4));

# %% [markdown]
# ### How good are these digits? A Frechet distance, and not Inception's
# FID compares the mean and covariance of Inception-v3 features of real and generated images. We use
# the same formula in the 128-d feature space of a **small MNIST classifier** that labkit trains once
# (seeded, cached): `labkit.metrics.gan.frechet_distance`. Its values are comparable only with each
# other, never with published FIDs. Reference points: two real sets (the floor) and blurred real digits.

# %%
from labkit.models.classifier import load_classifier
from labkit.metrics.gan import frechet_distance
judge = load_classifier()
print(f"judge classifier: held-out accuracy {judge.test_accuracy:.1%}")
with torch.no_grad():
    fake3 = ((G3(G3.sample_latent(S.n_eval, torch.Generator().manual_seed(1))) + 1) / 2).clamp(0, 1)
blurred = torch.nn.functional.avg_pool2d(train.images[:S.n_eval], 3, 1, 1)
for name, x in (("real (train) vs test", train.images[:S.n_eval]), ("blurred real", blurred), ("DCGAN", fake3)):
    print(f"{name:22s} classifier-feature Frechet distance = {frechet_distance(test.images, x, judge):8.2f}")

# %% [markdown]
# ### Walking in the latent space
# *Linear* interpolation between two Gaussian z's passes near the origin, where |z| is much smaller than
# for any z G saw in training (|z| concentrates near sqrt(d)); *spherical* interpolation (slerp) keeps the
# norm. Move t; switch the method; the right panel shows the mean |z| along the path.

# %%
from labkit.widgets.gan import render_interpolation, render_perturbation
g = torch.Generator().manual_seed(3)
z0, z1 = G3.sample_latent(8, g), G3.sample_latent(8, g)
view_i = SliderView(render_interpolation, fixed=dict(G=G3, z0=z0, z1=z1), title="latent interpolation",
                    t=float_slider("t", 0.0, 1.0, 0.5, step=0.05),
                    method=dropdown("method", ["linear", "spherical"], "linear"))
view_i

# %%
before = view_i.image.value
view_i.controls["method"].value = "spherical"
assert view_i.image.value != before
static_grid(render_interpolation, [dict(t=t, method=m) for m in ("linear", "spherical") for t in (0.0, 0.5, 1.0)],
            ncols=3, fixed=dict(G=G3, z0=z0, z1=z1), figsize_per=(4.5, 1.6));

# %%
view_p = SliderView(render_perturbation, fixed=dict(G=G3, z=z0), title="latent perturbation",
                    dim0=float_slider("z[0] offset", -3, 3, 0.0, step=0.25),
                    dim1=float_slider("z[1] offset", -3, 3, 0.0, step=0.25),
                    dim2=float_slider("z[2] offset", -3, 3, 0.0, step=0.25))
view_p

# %%
before = view_p.image.value
view_p.controls["dim0"].value = 3.0
assert view_p.image.value != before
render_perturbation(G3, z0, dim0=-3.0, dim1=0.0, dim2=3.0);

# %% [markdown]
# **Question 3.** Does one latent coordinate change one thing (thickness, slant, identity) or several
# at once? Why is nothing in the GAN objective asking it to be interpretable?

# %% [markdown]
# ## 4. Conditional GAN: ask for a digit
# *Lecture: conditional GAN.* G gets (z, y) (an embedding of the label joined to z); D gets (x, y) and
# scores whether x is a real image **of digit y** (a projection discriminator: logit = w.h(x) + e_y.h(x)).
# The judge classifier then reads the generated digits: its accuracy per requested label measures
# whether G obeys the label.

# %%
from labkit.gan_train import generate_digits
from labkit.metrics.gan import conditional_accuracy
from labkit.widgets.gan import plot_per_label_accuracy, render_conditional
G4, D4, hist4, tr4, snaps4 = train_image_gan(train, epochs=S.cgan_epochs, base=S.dc_base, lr=S.lr,
                                             conditional=True, seed=0)
want = torch.arange(S.n_eval) % 10
acc = conditional_accuracy(generate_digits(G4, want, seed=1), want, judge)
print(f"judge accuracy on generated digits: {acc['accuracy']:.1%}")
plot_per_label_accuracy(acc);

# %%
view4 = SliderView(render_conditional, fixed=dict(G=G4, classifier=judge, z_base=G4.sample_latent(8, torch.Generator().manual_seed(5))),
                   title="conditional GAN: pick a digit, move z",
                   digit=dropdown("digit", list(range(10)), 3),
                   z0=float_slider("z[0]", -3, 3, 0.0, step=0.25), z1=float_slider("z[1]", -3, 3, 0.0, step=0.25))
view4

# %%
before = view4.image.value
view4.controls["digit"].value = 7
assert view4.image.value != before
show_images(snaps4[-1]["images"], nrow=10, title="fixed z, labels 0..9 in each row");

# %% [markdown]
# **Question 4.** The same z with different labels: what does z seem to encode once the label is
# given? Which digits does the judge misread most, and are they the ones real classifiers confuse?

# %% [markdown]
# ## 5. Image-to-image: pix2pix (edges -> digit)
# *Lecture: "labels to scene, edges to photo".* pix2pix is a conditional GAN whose condition is an
# **image**: the input x (here the edge map of a digit) and the output G(x) (the digit). The generator
# is lab 03's **UNet** (its skip connections carry the input's layout to the output); the discriminator
# is a **patch** discriminator: it scores (x, y) pairs patch by patch, so it judges local texture while
# the **L1** term keeps the output close to the target: loss_G = adversarial + 100 * L1.

# %%
from labkit.models.gan import Pix2Pix, count_parameters
from labkit.gan_train import train_pix2pix, digit_edges
from labkit.widgets.gan import plot_pix2pix
pix_train, _ = mnist_splits(S.pix_train, S.n_eval)
torch.manual_seed(0)
p2p = Pix2Pix(base_channels=S.pix_base, depth=2, d_base=2 * S.pix_base)
print(f"UNet generator: {count_parameters(p2p.G):,} parameters, patch D: {count_parameters(p2p.D):,}")
hist5, tr5 = train_pix2pix(p2p, pix_train.loader(32, drop_last=True), epochs=S.pix_epochs, lr=S.pix_lr)

# %%
x_t = test.images[:10]
with torch.no_grad():
    out = p2p.eval()(digit_edges(x_t))
print(f"test L1 |G(x) - y| = {(out - x_t).abs().mean():.4f}; patch D output per image: "
      f"{tuple(p2p.D(digit_edges(x_t), out).shape[1:])} logits")
plot_pix2pix(digit_edges(x_t), out, x_t, n=10);

# %% [markdown]
# **Read it:** the UNet fills the strokes in; the patch D pushes toward crisp, MNIST-like strokes where
# L1 alone would settle for a blurry average.
#
# ### CycleGAN: without pairs
# pix2pix needs **pairs** (x, y). CycleGAN learns A -> B from two *unpaired* collections: two
# generators G: A -> B and F: B -> A, two discriminators (is G(a) a plausible B? is F(b) a plausible A?)
# and a **cycle-consistency** loss |F(G(a)) - a| + |G(F(b)) - b|: the adversarial terms only match
# distributions, the cycle term forces each output to keep what identifies its input (without it, G
# could map every a to the same plausible b). Notebook `05b_gan_beyond` trains one.
#
# **Question 5.** Why would pix2pix trained with the adversarial loss only (no L1) produce plausible
# digits that do not match their edge maps? Which term of CycleGAN plays the role of L1?

# %% [markdown]
# ## Summary
# - A GAN transforms noise into data; D's output is a moving target, not a density; at equilibrium D = 1/2.
# - The saturating minimax loss starves G of gradient when D wins; the non-saturating loss fixes it.
# - Mode collapse is visible on the 2-D mixtures and measurable (modes covered, HQ samples). Given
#   enough steps the plain game covers the ring; on the grid the tricks (latent, instance noise, R1,
#   lr decay, EMA) take it from 24.4 modes / 81 % HQ to 25 / 97.5 % (benchmark, 5 seeds).
# - Conditional GANs obey labels (measured by a classifier); pix2pix conditions on an image and combines
#   a patch adversarial loss with L1; CycleGAN replaces pairs with cycle consistency.
# - Our Frechet distance uses a small MNIST classifier's features: comparable only with itself.
#
# ## Questions
# 1. In section 1, what would D(x) look like if G had converged exactly? And if G missed one bump?
# 2. What does the EMA of G's weights change in section 2, and why does it help the HQ fraction?
# 3. Give two reasons the fast-mode DCGAN's digits are rough and how full mode addresses each.
# 4. How would you detect mode collapse in a *conditional* GAN from the per-label accuracy alone? Can you?
