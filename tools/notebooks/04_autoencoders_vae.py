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
from labkit.models.autoencoders import lab_sizes
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
# 2, 5 and 16, using binary cross-entropy as reconstruction loss. No label is used.

# %%
from labkit.models.autoencoders import AE, VAE, train_autoencoder
from labkit.metrics.vae import recon_errors
size = dict(width=cfg_ae.width, hidden=cfg_ae.hidden)
fit_kw = dict(epochs=cfg_ae.epochs, batch_size=cfg_ae.batch_size, lr=cfg_ae.lr, progress=False)
aes = {}
for d in (2, 5, 16):
    torch.manual_seed(0)
    aes[d] = AE(latent_dim=d, **size)
    train_autoencoder(aes[d], train.images, **fit_kw)
errors = {f"latent {d}": float(recon_errors(m, test.images).mean()) for d, m in aes.items()}
print({k: round(v, 1) for k, v in errors.items()})

# %%
from labkit.widgets.vae import render_reconstructions
render_reconstructions({f"latent {d}": m for d, m in aes.items()}, test.images[:12], errors);

# %% [markdown]
# **Read it:** with 2 numbers per image the AE keeps the digit's identity and rough shape; 16 numbers
# keep the details. **Question:** why does the error keep falling with the latent size, and why would
# a latent as large as the image (784) be useless?

# %% [markdown]
# ## 2. The latent space of MNIST
# *Lecture: "latent space of MNIST".* Each test image becomes a point of the 2-D latent space
# (labels only colour the points). Next to it: PCA, the best *linear* 2-D projection.

# %%
from labkit.metrics.vae import encode_all, pca_fit_transform
from labkit.widgets.vae import render_latent_scatters
ae_codes = encode_all(aes[2], test.images).numpy()
_, pca_codes = pca_fit_transform(train.images, test.images, 2)
render_latent_scatters({"AE latent (2-D)": ae_codes, "PCA (2 components)": pca_codes}, test.labels);

# %% [markdown]
# **Question:** which digits does each method separate? Notice that the AE's clusters have odd
# shapes and scales and nothing ties them to a particular region: keep this in mind for section 6.

# %% [markdown]
# ## 3. Throw away the decoder: features for few labels
# *Lecture: after training, keep only the encoder and use its code as features.* We pretend only
# **100 labelled images** exist (10 per digit) and train a logistic regression on three feature
# sets: the 16-D AE code, the 784 raw pixels, and 16 PCA components (PCA and AE both fitted on all
# the *unlabelled* training images).

# %%
from labkit.metrics.vae import compare_probes
from labkit.widgets.vae import render_probe_bars
probe = compare_probes(aes[16], train, test, n_labels=100)
print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in probe.items()})
render_probe_bars(probe);

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
from labkit.losses.vae import ae_loss
from labkit.widgets.vae import denoising_view, render_denoising
from labkit.widgets import static_grid
torch.manual_seed(0)
dae = AE(latent_dim=16, **size)
train_autoencoder(dae, train.images, loss_fn=ae_loss("mse", noise=0.4), **fit_kw)
dview = denoising_view(dae, test.images[:8])
dview

# %%
# the slider, moved from code (this is also what the tests do), and the static version
before = dview.image.value
dview.controls["noise"].value = 0.8
assert dview.image.value != before
static_grid(render_denoising, [dict(noise=s) for s in (0.2, 0.5, 0.8)], ncols=1,
            fixed=dict(model=dae, images=test.images[:8]), figsize_per=(7, 2.6));


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

# %%
from labkit.metrics.vae import corrupt, auroc
from labkit.widgets.vae import render_roc
x = test.images
normal = anomaly_scores(aes[16], x)
curves = {name: (normal, anomaly_scores(aes[16], corrupt(x, kind, s, seed=1)))
          for name, kind, s in [("noise std 0.3", "noise", 0.3), ("white 8x8 patch", "patch", 0.3),
                                ("faint noise std 0.1", "noise", 0.1)]}
render_roc(curves);

# %% [markdown]
# **Question:** which corruption is hardest to detect, and why? What would you expect for a digit
# class the AE never saw during training?

# %% [markdown]
# ## 6. Gaps in the latent space
# *Lecture: "the latent space has gaps".* Decode points of the 2-D AE latent space that no training
# image maps to (grey crosses, far from every code) and compare with points where the data lives.

# %%
from labkit.widgets.vae import render_gaps
render_gaps(aes[2], ae_codes, test.labels);


# %% [markdown]
# **Read it:** in the gaps the decoder was never trained: it outputs blends, blobs or nothing
# digit-like. So we cannot *generate* with a plain AE by picking a random z. The VAE fixes this.

# %% [markdown]
# ## 7. The VAE: encoder gives a distribution
# The VAE encoder outputs a mean `mu` and a log-variance `logvar` per latent dimension:
# q(z|x) = N(mu, diag(exp(logvar))). Training maximises the ELBO
#
# $$\mathrm{ELBO}(x) = \mathbb{E}_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,\mathcal N(0, I)) \le \log p(x).$$
#
# **Exercise 1 — the reparameterisation trick.** Sampling `z ~ N(mu, sigma^2)` directly blocks
# gradients; write `z = mu + sigma * eps` with `eps ~ N(0, I)` so gradients reach `mu` and `logvar`.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "vae-reparam"}
def reparameterize(mu, logvar):
    """z ~ N(mu, exp(logvar)), differentiable in mu and logvar. Same shape as mu."""
    ### BEGIN SOLUTION
    std = torch.exp(0.5 * logvar)
    return mu + std * torch.randn_like(std)
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "vae-reparam-test", "points": 2}
checks.reparameterize(reparameterize)


# %% [markdown]
# **Exercise 2 — the KL to the prior in closed form.** For one dimension,
# KL(N(m, s^2) || N(0, 1)) = 0.5 (m^2 + s^2 - 1 - log s^2). Return one value per example (sum over
# latent dimensions). The check compares with a Monte Carlo estimate and the analytic gradients.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "vae-kl"}
def kl_divergence(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per example: shape (B,)."""
    ### BEGIN SOLUTION
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "vae-kl-test", "points": 2}
checks.kl_divergence(kl_divergence)
### BEGIN HIDDEN TESTS
checks.reparameterize(reparameterize)
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 3 — the ELBO in nats per image.** The decoder outputs Bernoulli *logits*; log p(x|z)
# is minus the binary cross-entropy summed over the 784 pixels. Return the ELBO per image (B,).

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "vae-elbo"}
import torch.nn.functional as F
def elbo(x_logits, x, mu, logvar):
    """log p(x|z) - KL per image (B,), in nats; x_logits are the decoder's logits for one z."""
    ### BEGIN SOLUTION
    log_px = -F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").flatten(1).sum(1)
    return log_px - kl_divergence(mu, logvar)
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "vae-elbo-test", "points": 2}
checks.elbo(elbo)

# %% [markdown]
# Now train labkit's VAE (the same functions inside `labkit.losses.vae`) with a 2-D latent, and
# report the test ELBO in **nats per image** (higher is better; -ELBO is the loss, an upper bound
# on -log p(x)).

# %%
from labkit.losses.vae import vae_loss, evaluate_elbo
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
# ## 8. Why the KL term is needed
# *Lecture: "why the regularisation term is needed".* Train the same VAE three ways: reconstruction
# only (beta = 0), KL only (no reconstruction term), and both (the ELBO). Compare the latent
# spaces (means `mu` of the test images).

# %%
vae_recon = train_vae(2, beta=0.0)
vae_kl = train_vae(2, recon_weight=0.0)
render_latent_scatters({"reconstruction only": encode_all(vae_recon, test.images),
                        "KL only": encode_all(vae_kl, test.images),
                        "both (ELBO)": encode_all(vae2, test.images)}, test.labels);

# %% [markdown]
# **Question:** look at the axes. Reconstruction only behaves like an AE (spread out, gaps); KL only
# maps every image to the prior and forgets the input; both keep the digits apart *and* pack them
# around the origin. What would a decoder produce from z ~ N(0, I) in each case?

# %% [markdown]
# ## 9. Sampling new digits and the latent manifold
# With the KL term, z ~ N(0, I) lands where the data lives, so decoding prior samples gives digits.
# The manifold grid decodes a regular grid over the 2-D latent space (at Gaussian quantiles).

# %%
from labkit.widgets.vae import render_samples, render_manifold
render_samples(vae2, 32, title="VAE: decode(z), z ~ N(0, I)")
render_samples(aes[2], 32, title="AE: decode(z), z ~ N(0, I) (no prior was imposed)")
render_manifold(vae2, n=15);

# %% [markdown]
# ## 10. Latent perturbation
# One slider per latent dimension of a VAE with a 6-D latent: each starts at the code of the chosen
# image; move one while the others stay fixed. Which dimensions change the digit, which its style?

# %%
from labkit.widgets.vae import perturbation_view, render_traversal
vae6 = train_vae(6)
print(f"6-D VAE test ELBO: {evaluate_elbo(vae6, test.images)['elbo']:.1f} nats/image")
image = test.images[0]
pview = perturbation_view(vae6, image)
pview

# %%
before = pview.image.value
pview.controls["z0"].value = 2.5
assert pview.image.value != before
render_traversal(vae6, image);  # static version: each row moves one dimension

# %% [markdown]
# ## 11. Interpolation: AE vs VAE
# Pick two test images a and b (a 1 and a 0) and walk the straight line between their codes.
# Left: where the path runs; middle: the image decoded at the star; right: how far each point of
# the path is from the codes of real images (1 = as close as the data points are to each other,
# large = a gap). The AE path has to cross the empty space between clusters, where its decoder
# was never trained; the KL term packs the VAE's codes together, so its path stays closer to the
# data and the images change more smoothly. (In fast mode the effect is modest; in full mode it is clear.)

# %%
from labkit.widgets.vae import interpolation_view, render_interpolation_strip
vae_codes = encode_all(vae2, test.images).numpy()
a, b = test.images[(test.labels == 1).nonzero()[0, 0]], test.images[(test.labels == 0).nonzero()[0, 0]]
iview = interpolation_view(aes[2], vae2, a, b, ae_codes, vae_codes, test.labels)
iview

# %%
before = iview.image.value
iview.controls["t"].value = 0.3
assert iview.image.value != before
render_interpolation_strip(aes[2], vae2, a, b);

# %% [markdown]
# ## 12. Disentanglement: beta-VAE
# beta > 1 weighs the KL more: the model uses fewer latent dimensions, each (ideally) for one
# factor of variation. For each beta: traversals (dimensions ordered by their KL), the KL per
# dimension (about 0 = unused), and how strongly each dimension's code correlates with simple
# measured attributes (ink, width, height, slant).

# %%
from labkit.widgets.vae import beta_view, beta_summary, render_beta
betas = {1.0: vae6}
for beta in (4.0, 10.0):
    betas[beta] = train_vae(6, beta=beta)
summaries = {b: beta_summary(m, test.images) for b, m in betas.items()}
for b, s in summaries.items():
    print(f"beta {b:>4}: ELBO {s['elbo']:.1f}, active dims (KL > 0.1): {int((s['kl'] > 0.1).sum())}")
bview = beta_view(betas, summaries, image)
bview

# %%
before = bview.image.value
bview.controls["beta"].value = 10.0
assert bview.image.value != before
for b in betas:
    render_beta(betas, summaries, b, image)

# %% [markdown]
# **Question:** as beta grows, what happens to the ELBO, the number of active dimensions and the
# sharpness of samples? Which dimension tracks slant, which width? Is any dimension "pure"?

# %% [markdown]
# ## Summary
# - An AE compresses without labels; its code is a useful feature when labels are few, and its
#   reconstruction error flags inputs unlike the training data. Its latent space has gaps.
# - A VAE's encoder outputs a distribution; the reparameterisation trick makes sampling differentiable,
#   and the KL term pulls all codes toward N(0, I), so prior samples and interpolations decode to digits.
# - The ELBO (in nats per image) trades reconstruction against KL; beta reweights the trade.
#
# ## Questions
# 1. The 2-D VAE has a worse reconstruction than the 2-D AE. Why is that the price of being able to sample?
# 2. The ELBO is a lower bound on log p(x). What makes the gap large, and how would you estimate log p(x) itself?
# 3. Why do VAE samples look blurrier than real digits? Which part of the model is responsible?
# 4. Suggest a way to make anomaly detection work on a held-out digit class, and how you would test it.
