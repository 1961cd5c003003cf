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
# # Lab 04 · Autoencoders and variational autoencoders
#
# An autoencoder squeezes an image through a small **latent vector** and rebuilds it; no labels are
# used. A **variational** autoencoder makes that latent space a probability model you can sample from.
# This lab lets you *see* every idea of the lecture happen on MNIST:
#
# 1. autoencoders: latent size, the latent space, features for few labels, denoising, anomaly detection, gaps;
# 2. VAEs: reparameterisation, KL, ELBO (exercises), why the KL term is needed, sampling, the latent
#    manifold, perturbations, interpolation AE vs VAE, and beta-VAE.
#
# In `fast` mode (CPU) every model is tiny and trained for a few seconds on a few thousand images:
# the pictures are rough but every effect is visible. `full` mode (GPU) trains the same code longer.

# %%
import labkit
cfg = labkit.setup(seed=0, threads=1)

# %% [markdown]
# ## 0. Data and sizes
# All sizes come from one place, `lab_sizes()` (keyed by the mode): change them here, never in later cells.

# %%
import numpy as np, torch
from labkit.data import mnist_splits
from labkit.vae import lab_sizes
from labkit.viz import use_style, show_images
use_style()
cfg_ae = lab_sizes()
print(cfg_ae)
train, test = mnist_splits(cfg_ae.n_train, cfg_ae.n_test)
print(train, test, sep="\n")
show_images(test.images[:16], nrow=16, title="test images");

# %% [markdown]
# ## 1. Autoencoders: the size of the latent vector
# *Lecture: "the size of the latent vector affects quality".* We train the same conv autoencoder
# (two stride-2 convolutions down to 7x7, a small MLP, and the mirror image up) with latent sizes
# 2, 5 and 16, using binary cross-entropy (the log-loss of each pixel, read as the probability of
# a white pixel) as reconstruction loss. No label is used.

# %%
from labkit.vae import AE, VAE, recon_errors, render_reconstructions, train_autoencoder
size = dict(width=cfg_ae.width, hidden=cfg_ae.hidden)
fit_kw = dict(epochs=cfg_ae.epochs, batch_size=cfg_ae.batch_size, lr=cfg_ae.lr, progress=False)
aes = {}
for d in (2, 5, 16):
    torch.manual_seed(0)
    aes[d] = AE(latent_dim=d, **size)
    train_autoencoder(aes[d], train.images, **fit_kw)
errors = {f"latent {d}": float(recon_errors(m, test.images).mean()) for d, m in aes.items()}
print("mean summed squared error per test image:", {k: round(v, 1) for k, v in errors.items()})

# %%
render_reconstructions({f"latent {d}": m for d, m in aes.items()}, test.images[:12], errors);

# %% [markdown]
# **Read it:** compare each row with the ground truth. With 2 numbers per image only the rough shape
# survives and several digits come back as a blurry *other* digit; with 5 most are recognisable; with
# 16 the slant and stroke width return. The printed error (summed squared error per image) falls as
# the latent grows.

# %% tags=["claim"]
e2, e5, e16 = errors["latent 2"], errors["latent 5"], errors["latent 16"]
assert e2 > e5 > e16, f"the reconstruction error should fall with the latent size: {e2:.1f}, {e5:.1f}, {e16:.1f}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "vae-q-latent-size", "points": 1}
# **Question.** Why does the error keep falling as the latent grows, and why would a latent as large
# as the image (784 numbers) be useless?
#
# ### BEGIN SOLUTION
# A larger code can carry more information about the image, so the decoder has more to rebuild from
# and the error falls. With 784 numbers the network could simply copy the pixels (the identity map):
# it would reconstruct perfectly but learn nothing, the code would be no more compact or meaningful
# than the image itself. The bottleneck is what forces the AE to find the structure of the data.
# ### END SOLUTION

# %% [markdown]
# ## 2. The latent space of MNIST
# *Lecture: "latent space of MNIST".* Each test image becomes a point of the 2-D latent space
# (labels only colour the points). Next to it: PCA, the best *linear* 2-D projection.

# %%
from labkit.vae import encode_all, pca_fit_transform, render_latent_scatters
ae_codes = encode_all(aes[2], test.images).numpy()
_, pca_codes = pca_fit_transform(train.images, test.images, 2)
render_latent_scatters({"AE latent (2-D)": ae_codes, "PCA (2 components)": pca_codes}, test.labels);

# %% [markdown]
# **Read it:** each dot is one test image, coloured by its label. Look for the digits that form their
# own island (the 1s and the 0s in both) and those that pile up in the middle. **PCA** (principal
# component analysis) projects onto the two directions of largest pixel variance, a linear map; the
# AE's encoder is non-linear. Notice that the AE's clusters have odd shapes and scales and nothing
# ties them to a particular region: keep this in mind for section 6.

# %% [markdown]
# ## 3. Throw away the decoder: features for few labels
# *Lecture: after training, keep only the encoder and use its code as features.* We pretend only
# **100 labelled images** exist (10 per digit) and train a logistic regression (a linear classifier,
# the "probe") on three feature
# sets: the 16-D AE code, the 784 raw pixels, and 16 PCA components (PCA and AE both fitted on all
# the *unlabelled* training images).

# %%
from labkit.vae import compare_probes, render_probe_bars
probe = compare_probes(aes[16], train, test, n_labels=100)
print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in probe.items()})
render_probe_bars(probe);

# %% [markdown]
# **Read it:** the bars are test accuracies of the same linear classifier on each feature set. The
# 16-D encoder code beats both the raw pixels and 16 PCA components.

# %% tags=["claim"]
assert probe["encoder"] > max(probe["pixels"], probe["pca"]), f"the AE code should beat pixels and PCA with 100 labels: {probe}"

# %% [markdown]
# **Question:** with 60,000 labels, pixels would win easily. Why does the unsupervised code help most
# when labels are scarce?

# %% [markdown]
# ## 4. Denoising autoencoder
# *Lecture application: noisy in, clean out.* Same network, but each training image is corrupted
# with Gaussian noise (std 0.4) at the input while the loss compares with the clean image. This
# one uses the L2 loss (summed squared error) instead of BCE: both are reconstruction losses.
# Move the slider: how much noise can it remove, and what happens beyond the training level?

# %%
from labkit.vae import ae_loss, denoising_errors, denoising_view, render_denoising
from labkit.views import static_grid
torch.manual_seed(0)
dae = AE(latent_dim=16, **size)
train_autoencoder(dae, train.images, loss_fn=ae_loss("mse", noise=0.4), **fit_kw)
dview = denoising_view(dae, test.images[:8])
dview

# %%
# the static version of the slider: three noise levels
static_grid(render_denoising, [dict(noise=s) for s in (0.2, 0.4, 0.8)], ncols=1,
            fixed=dict(model=dae, images=test.images[:8]), figsize_per=(7, 2.6));

# %%
den = {s: denoising_errors(dae, test.images[:500], s) for s in (0.2, 0.4, 0.8)}
for s, (e_in, e_out) in den.items():
    print(f"noise std {s}: noisy input {e_in:6.1f}, denoised output {e_out:6.1f} (squared error to clean)")

# %% [markdown]
# **Read it:** the numbers beside each row are squared errors to the clean image. At the training
# noise (0.4) and above it, the output is far closer to the clean digit than the noisy input is,
# even at twice the training noise. At low noise the output can be *worse* than its input: the
# 16-number code cannot keep every detail, so the output is never sharper than a reconstruction.

# %% tags=["claim"]
for s in (0.4, 0.8):
    e_in, e_out = den[s]
    assert e_out < e_in, f"at noise {s} the DAE should remove noise: output error {e_out:.1f} vs input {e_in:.1f}"


# %% [markdown]
# ## 5. Anomaly detection by reconstruction error
# *Lecture application:* an AE rebuilds well only what looks like its training data, so the
# reconstruction error is an anomaly score. Exercise: write the score, then we test it on test
# digits (normal) against corrupted copies the model never saw (anomalies).

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "ae-anomaly-score"}
def anomaly_scores(model, images):
    """Summed squared error between each image and its reconstruction: shape (N,)."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        rec = model.reconstruct(images)
    return (rec - images).pow(2).flatten(1).sum(1)
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "ae-anomaly-score-test", "points": 1}
import labkit.checks.vae as checks
checks.anomaly_scores(anomaly_scores)
### BEGIN HIDDEN TESTS
assert checks.anomaly_scores(anomaly_scores, seed=3)
assert checks.anomaly_scores(anomaly_scores, seed=8)
### END HIDDEN TESTS

# %% [markdown]
# Each corruption gets a **ROC curve** (receiver operating characteristic): sweep a threshold on the
# score; for each threshold, plot the fraction of anomalies caught against the fraction of normal
# images wrongly flagged. The **AUROC** (area under it) is the probability that a random anomaly
# scores higher than a random normal image: 1 = perfect, 0.5 = chance.

# %%
from labkit.vae import corrupt, render_roc
from labkit.density import auroc
x = test.images
normal = anomaly_scores(aes[16], x)
curves = {name: (normal, anomaly_scores(aes[16], corrupt(x, kind, s, seed=1)))
          for name, kind, s in [("noise std 0.3", "noise", 0.3), ("white 8x8 patch", "patch", 0.3),
                                ("faint noise std 0.1", "noise", 0.1)]}
aurocs = {name: auroc(torch.cat([n, a]), torch.cat([torch.zeros(len(n)), torch.ones(len(a))]))
          for name, (n, a) in curves.items()}
print({k: round(v, 3) for k, v in aurocs.items()})
render_roc(curves);

# %% [markdown]
# **Read it:** the closer a curve hugs the top-left corner, the better the score separates that
# corruption from clean digits. Strong noise is caught almost always; the faint noise curve is the
# one nearest the diagonal.

# %% tags=["claim"]
faint = aurocs["faint noise std 0.1"]
assert faint < min(aurocs["noise std 0.3"], aurocs["white 8x8 patch"]), f"faint noise should be the hardest: {aurocs}"
assert aurocs["noise std 0.3"] > 0.95, f"strong noise should be caught almost always: {aurocs}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "vae-q-anomaly", "points": 1}
# **Question.** Which corruption is hardest to detect, and why? What would you expect for a digit
# class the AE never saw during training?
#
# ### BEGIN SOLUTION
# The faint noise (std 0.1): it adds little squared error, so the anomalous images' scores overlap
# the normal images' natural spread of reconstruction errors. Strong noise and a bright patch add a
# lot of error that the AE cannot reproduce. An unseen digit class is harder still: it is made of the
# same strokes as the training digits, so the AE often reconstructs it fairly well (it may even turn
# it into a similar known digit) and its error overlaps the normal ones; the AUROC would be well
# below that of the corruptions (labkit's benchmark measures about 0.6 for a held-out 7).
# ### END SOLUTION

# %% [markdown]
# ## 6. Gaps in the latent space
# *Lecture: "the latent space has gaps".* Decode points of the 2-D AE latent space that no training
# image maps to (grey crosses, far from every code) and compare with points where the data lives.

# %%
from labkit.vae import render_gaps
render_gaps(aes[2], ae_codes, test.labels);


# %% [markdown]
# **Read it:** compare the two rows on the right. In the gaps the decoder was never trained: some
# outputs are faint or smeared, others happen to look like a digit, and nothing tells us in advance
# which. So we cannot *generate* reliably with a plain AE by picking a random z. The VAE fixes this.

# %% [markdown]
# ## 7. The VAE: encoder gives a distribution
# The VAE encoder outputs a mean `mu` and a log-variance `logvar` per latent dimension:
# q(z|x) = N(mu, diag(exp(logvar))), so `logvar` is the log of the variance. Training maximises the
# **ELBO** (evidence lower bound): the expected log-likelihood of the image under the decoder minus
# the **KL divergence** (a non-negative measure of how far one distribution is from another) between
# q(z|x) and the prior N(0, I). It is a lower bound on the log-likelihood, in **nats** (natural-log units):
#
# $$\mathrm{ELBO}(x) = \mathbb{E}_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,\mathcal N(0, I)) \le \log p(x).$$
#
# **Exercise 1 — the reparameterisation trick.** Drawing z directly from N(mu, sigma^2) (e.g. with
# `torch.normal`) gives a sample but no gradient to `mu` and `logvar`. Draw the randomness as noise
# that does not depend on the parameters, then build z from `mu`, `logvar` and that noise with
# differentiable torch operations, so that z still has mean `mu` and variance `exp(logvar)`.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "vae-reparam"}
def reparameterize(mu, logvar):
    """z ~ N(mu, exp(logvar)), differentiable in mu and logvar. Same shape as mu."""
    ### BEGIN SOLUTION
    std = torch.exp(0.5 * logvar)
    return mu + std * torch.randn_like(std)
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "vae-reparam-test", "points": 2}
checks.reparameterize(reparameterize)
### BEGIN HIDDEN TESTS
assert checks.reparameterize(reparameterize, seed=4)
### END HIDDEN TESTS


# %% [markdown]
# **Exercise 2 — the KL to the prior in closed form.** Between Gaussians the KL needs no sampling.
# Derive KL(N(m, s^2) || N(0, 1)) = E_q[log q(z) - log p(z)] for one dimension (write out both log
# densities and use E_q[(z - m)^2] = s^2 and E_q[z^2] = m^2 + s^2), express it with `mu` and `logvar`,
# and return one value per example (the dimensions are independent: their KLs add up). The check
# compares with a Monte Carlo estimate and the analytic gradients.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "vae-kl"}
def kl_divergence(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per example: shape (B,)."""
    ### BEGIN SOLUTION
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "vae-kl-test", "points": 2}
checks.kl_divergence(kl_divergence)
### BEGIN HIDDEN TESTS
assert checks.kl_divergence(kl_divergence, seed=3)
assert checks.kl_divergence(kl_divergence, seed=7)
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 3 — the ELBO in nats per image.** The decoder outputs one Bernoulli *logit* per pixel
# (the log-odds that the pixel is white; its sigmoid is the probability). log p(x|z) is the
# log-probability of all 784 pixels of x under these independent Bernoullis, in nats. Return the
# single-sample ELBO per image (B,) for the z the logits were decoded from, with the KL of exercise 2.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "vae-elbo"}
import torch.nn.functional as F
def elbo(x_logits, x, mu, logvar):
    """log p(x|z) - KL per image (B,), in nats; x_logits are the decoder's logits for one z."""
    ### BEGIN SOLUTION
    log_px = -F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").flatten(1).sum(1)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)   # your kl_divergence(mu, logvar)
    return log_px - kl
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "vae-elbo-test", "points": 2}
checks.elbo(elbo)
### BEGIN HIDDEN TESTS
assert checks.elbo(elbo, seed=2)
assert checks.elbo(elbo, seed=5)
### END HIDDEN TESTS

# %% [markdown]
# Now train labkit's VAE (the same functions inside `labkit.vae.losses`) with a 2-D latent, and
# report the test ELBO in **nats per image** (higher is better; -ELBO is the loss, an upper bound
# on -log p(x)). The ± is the standard error of the mean over the test images.

# %%
from labkit.vae import evaluate_elbo, render_samples, vae_loss
def train_vae(latent_dim, beta=1.0, **loss_kw):
    torch.manual_seed(0)
    m = VAE(latent_dim=latent_dim, beta=beta, **size)
    train_autoencoder(m, train.images, loss_fn=vae_loss(**loss_kw), **fit_kw)
    return m
vae2 = train_vae(2)
res = evaluate_elbo(vae2, test.images)
print(f"2-D VAE test ELBO: {res['elbo']:.1f} nats/image "
      f"(reconstruction {-res['recon']:.1f}, KL {res['kl']:.1f}), +- {res['elbo_sem']:.1f}")

# %% [markdown]
# **Your run next to a full-size one.** In fast mode this VAE is small and trained for seconds. labkit
# ships a *full-size reference*: the same 2-D VAE at full-mode sizes (wider, trained longer; the
# cell prints both), trained by `benchmarks/reference.py` on other MNIST images and stored in the
# package, checked against its sha256. A model is never scored on its own training images:
# `ref.held_out` keeps only test images it never saw, and `ref.evaluate` refuses any other. Both
# models are scored on those same images.

# %%
if cfg.fast:
    from labkit.data.reference import reference_vae
    vae_ref, ref = reference_vae()
    held = ref.held_out(test).images                      # the test images the reference never saw
    ref_sizes = ref.meta["sizes"]
    print(f"your VAE: width {vae2.width}, {cfg_ae.epochs} epochs on {len(train)} images; reference: width "
          f"{ref_sizes['width']}, {ref_sizes['epochs']} epochs on {len(ref.train_fingerprints)} other images ({ref.meta['bytes'] / 1e6:.1f} MB)")
    elbo_mine, elbo_ref = evaluate_elbo(vae2, held)["elbo"], ref.evaluate(evaluate_elbo, vae_ref, held)["elbo"]
    print(f"2-D VAE test ELBO on {len(held)} held-out images: your model: {elbo_mine:.1f}; "
          f"full-size reference: {elbo_ref:.1f} nats/image")
    render_samples(vae2, 16, title="your VAE: decode(z), z ~ N(0, I)")
    render_samples(vae_ref, 16, title=f"{ref.label()}: decode(z), z ~ N(0, I)")

# %% [markdown]
# **Read it:** the full-size reference has the higher ELBO, and its prior samples are sharper, more
# varied digits; yours are blurrier and repeat a few shapes. Everything below uses your own model.

# %% tags=["claim"]
if cfg.fast:
    assert elbo_ref > elbo_mine, f"the full-size reference should have the higher ELBO: {elbo_ref:.1f} vs {elbo_mine:.1f}"

# %% [markdown]
# Does the KL term cost reconstruction quality? Compare with the 2-D AE of section 1 (the same error
# measure, summed squared error per image; both models are short runs in fast mode, so neither has
# converged):

# %%
vae_err = float(recon_errors(vae2, test.images).mean())
print(f"2-D reconstruction error (summed squared error per image): AE {errors['latent 2']:.1f}, VAE {vae_err:.1f}")

# %% [markdown]
# ## 8. Why the KL term is needed
# *Lecture: "why the regularisation term is needed".* Train the same VAE three ways: reconstruction
# only (beta = 0), KL only (no reconstruction term), and both (the ELBO). Compare the latent
# spaces (means `mu` of the test images).

# %%
vae_recon = train_vae(2, beta=0.0)
vae_kl = train_vae(2, recon_weight=0.0)
codes8 = {"reconstruction only": encode_all(vae_recon, test.images),
          "KL only": encode_all(vae_kl, test.images), "both (ELBO)": encode_all(vae2, test.images)}
spread = {k: float(c.std(0).mean()) for k, c in codes8.items()}
print("spread of the codes (std per dimension, averaged):", {k: round(v, 4) for k, v in spread.items()})
render_latent_scatters(codes8, test.labels);

# %% [markdown]
# **Read it:** look at the axes and the printed spreads. Reconstruction only behaves like an AE: the
# codes spread far beyond the prior's unit scale, with gaps. KL only maps every image to (almost) the
# same point, so the code forgets the input. Both keep the digits apart *and* pack them around the
# origin at about the prior's scale.

# %% tags=["claim"]
assert spread["KL only"] < 0.05, f"KL only should collapse every code onto the prior mean: {spread}"
assert spread["reconstruction only"] > spread["both (ELBO)"], f"without KL the codes should spread further: {spread}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "vae-q-prior-samples", "points": 1}
# **Question.** Before running the next section: what would each of the three decoders produce from
# z ~ N(0, I), and why?
#
# ### BEGIN SOLUTION
# Reconstruction only: the prior's samples fall in a small region around the origin, which covers
# at most a small part of the (much wider) code cloud, or lies outside it, so we get a few kinds of
# digits and smeared blends, not a fair variety of digits. KL only: the decoder ignores z (every code is the same), so
# every sample is the same average blob. Both: the codes fill the prior's mass, so a prior sample
# lands where the decoder was trained and decodes to a digit.
# ### END SOLUTION

# %% [markdown]
# ## 9. Sampling new digits and the latent manifold
# With the KL term, z ~ N(0, I) lands where the data lives, so decoding prior samples gives digits.
# We decode 32 prior samples from the VAE, from the same VAE trained without KL, and from the AE.

# %%
from labkit.vae import gap_profile, render_manifold
render_samples(vae2, 32, title="VAE: decode(z), z ~ N(0, I)")
render_samples(vae_recon, 32, title="VAE trained without KL (beta = 0): decode(z), z ~ N(0, I)")
render_samples(aes[2], 32, title="AE: decode(z), z ~ N(0, I) (no prior was imposed)");

# %% [markdown]
# **Read it:** the VAE's samples are blurry but mostly recognisable digits of several classes. The
# other two give fewer kinds of digits, faint smudges and blends. The reason is where z ~ N(0, I)
# lands: we measure, for 200 prior samples, the distance to the codes of real test images in the
# units of section 11 (distance to the 10th-nearest code over the codes' own typical spacing:
# about 1 = among the data, large = in a gap or outside the cloud).

# %%
z_prior = torch.randn(200, 2, generator=torch.Generator().manual_seed(1))
prior_gap = {name: float(np.median(gap_profile(z_prior, c))) for name, c in
             [("VAE", codes8["both (ELBO)"]), ("VAE without KL", codes8["reconstruction only"]), ("AE", ae_codes)]}
print("median distance from a prior sample to the data codes:", {k: round(v, 2) for k, v in prior_gap.items()})

# %% tags=["claim"]
assert prior_gap["VAE"] < min(prior_gap["AE"], prior_gap["VAE without KL"]), f"only with the KL term should prior samples land among the data codes: {prior_gap}"

# %% [markdown]
# The **manifold** figure decodes a regular 15 x 15 grid of z. The grid sits at **Gaussian
# quantiles**: the values that cut N(0, 1) into equal-probability slices, so every cell stands for
# the same share of the prior's mass.

# %%
render_manifold(vae2, n=15);

# %% [markdown]
# **Read it:** move along a row or a column: one digit morphs smoothly into its neighbour, and no
# cell is blank, because the KL term made the codes fill the prior.
# Digits that are rare in the grid are the ones the 2-D code squeezes into a thin region.

# %% [markdown]
# ## 10. Latent perturbation
# One slider per latent dimension of a VAE with a 6-D latent: each starts at the code of the chosen
# image; move one while the others stay fixed. Which dimensions change the digit, which its style?

# %%
from labkit.vae import perturbation_view, render_traversal
vae6 = train_vae(6)
print(f"6-D VAE test ELBO: {evaluate_elbo(vae6, test.images)['elbo']:.1f} nats/image")
image = test.images[0]
pview = perturbation_view(vae6, image)
pview

# %%
render_traversal(vae6, image);  # static version: each row moves one dimension

# %% [markdown]
# **Read it:** each row sets one dimension to values from -3 to 3 while the others stay at the
# image's code. Some rows turn the digit into another digit, others mostly change its thickness, width or
# slant, and most do a bit of both: nothing forced one factor per dimension.

# %% [markdown]
# ## 11. Interpolation: AE vs VAE
# Pick two test images a and b (a 1 and a 0) and walk the straight line between their codes.
# Left: where the path runs; middle: the image decoded at the star; right: how far each point of
# the path is from the codes of real images (1 = as close as the data points are to each other,
# large = a gap; the distance is to the 10th-nearest code, in units of the codes' typical spacing).
# The AE path has to cross the empty space between clusters, where its decoder was never trained;
# the KL term packs the VAE's codes together, so its path stays closer to the data.

# %%
from labkit.vae import interpolation_gap, interpolation_view, render_interpolation_strip
vae_codes = encode_all(vae2, test.images).numpy()
a, b = test.images[(test.labels == 1).nonzero()[0, 0]], test.images[(test.labels == 0).nonzero()[0, 0]]
iview = interpolation_view(aes[2], vae2, a, b, ae_codes, vae_codes, test.labels)
iview

# %%
path_gap = {"AE": interpolation_gap(aes[2], a, b, ae_codes), "VAE": interpolation_gap(vae2, a, b, vae_codes)}
print("largest distance from the path to the data (1 = as dense as the data):", {k: round(v, 2) for k, v in path_gap.items()})
render_interpolation_strip(aes[2], vae2, a, b);

# %% [markdown]
# **Read it:** in the strip, t runs from 0 (image a) to 1 (image b). Both rows end on the right
# digits; watch the middle, where the paths leave the data. The printed maxima say how deep into a
# gap each path goes: the AE's deeper than the VAE's.

# %% tags=["claim"]
assert path_gap["VAE"] < path_gap["AE"], f"the VAE path should stay closer to the data than the AE path: {path_gap}"

# %% [markdown]
# ## 12. Disentanglement: beta-VAE
# The loss is reconstruction + beta x KL. beta > 1 weighs the KL more: the code must carry less
# information about the image (a lower total KL), which pushes the model to spend it on the few
# factors that matter most, each (ideally) in one dimension ("disentangled"). A dimension whose KL
# is about 0 is **inactive**: its code is the prior for every image, so the decoder ignores it. For
# each beta: traversals (dimensions ordered by their KL), the KL per dimension, and how strongly each
# dimension's code correlates with simple measured attributes (ink, width, height, slant).

# %%
from labkit.vae import beta_summary, beta_view, render_beta
betas = {1.0: vae6}
for beta in (4.0, 10.0):
    betas[beta] = train_vae(6, beta=beta)
summaries = {b: beta_summary(m, test.images) for b, m in betas.items()}
active = {b: int((s["kl"] > 0.1).sum()) for b, s in summaries.items()}
for b, s in summaries.items():
    print(f"beta {b:>4}: ELBO {s['elbo']:.1f}, total KL {s['kl'].sum():.2f}, active dims (KL > 0.1): {active[b]}")
bview = beta_view(betas, summaries, image)
bview

# %%
for b in betas:
    render_beta(betas, summaries, b, image)

# %% [markdown]
# **Read it:** from beta = 1 to 10 the KL bars shrink (mind the x-axis scale), the traversals get
# blurrier, and the ELBO in the title falls. Count the active dimensions in the printout: a larger beta can
# switch dimensions off (it does at beta = 10 in both modes), but at beta = 4 the model may still use
# all six. In the correlation map, a "pure" dimension is a row with one bright cell.

# %% tags=["claim"]
bs = sorted(summaries)
kl_tot = [float(summaries[b]["kl"].sum()) for b in bs]
elbos = [summaries[b]["elbo"] for b in bs]
assert all(x > y for x, y in zip(kl_tot, kl_tot[1:])), f"the total KL should fall as beta grows: {dict(zip(bs, kl_tot))}"
assert all(x > y for x, y in zip(elbos, elbos[1:])), f"the ELBO should fall as beta grows: {dict(zip(bs, elbos))}"
assert active[bs[-1]] < active[bs[0]], f"the largest beta should switch off some dimensions: {active}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "vae-q-beta", "points": 1}
# **Question.** As beta grows, what happens to the ELBO, the total KL and the sharpness of the
# traversals, and why does a larger beta lower the ELBO even though it is meant to give a "better"
# latent space?
#
# ### BEGIN SOLUTION
# The total KL falls (the code carries less information about each image), the reconstructions and
# traversals get blurrier, and the ELBO falls. The ELBO weighs reconstruction and KL equally (beta =
# 1); training with beta > 1 optimises a different objective that pays more for information in the
# code, so the model gives up reconstruction quality that the ELBO counts. What beta buys, at best,
# is a code whose few used dimensions each track one factor: interpretability, not likelihood.
# ### END SOLUTION

# %% [markdown]
# ## Summary
# - An AE compresses without labels; its code is a useful feature when labels are few, and its
#   reconstruction error flags inputs unlike the training data. Its latent space has gaps.
# - A VAE's encoder outputs a distribution; the reparameterisation trick makes sampling differentiable,
#   and the KL term pulls all codes toward N(0, I), so prior samples and interpolations decode to digits.
# - The ELBO (in nats per image) trades reconstruction against KL; beta reweights the trade.
#
# ## Questions
# 1. During training the VAE decodes a *noisy* code and its KL term pulls all codes toward the origin.
#    Why should both cost reconstruction quality against an AE of the same size, and why is that the
#    price of being able to sample? (Section 7 printed both errors for this run.)
# 2. The ELBO is a lower bound on log p(x). What makes the gap large, and how would you estimate log p(x) itself?
# 3. Why do VAE samples look blurrier than real digits? Which part of the model is responsible?
# 4. Suggest a way to make anomaly detection work on a held-out digit class, and how you would test it.
