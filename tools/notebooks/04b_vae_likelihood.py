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
# # Lab 04b · The likelihood a VAE only bounds, computed
#
# Part 2 of [Lab 04 (autoencoders and VAEs)](04_autoencoders_vae.ipynb): do that lab first.
#
# The lecture says: $p(x) = \int p(x\mid z)\,p(z)\,dz$ is intractable, so the VAE approximates the
# posterior $p(z\mid x)$ with an encoder $q(z\mid x)$ and maximises the ELBO, a lower bound on
# $\log p(x)$. With a **2-D latent** the integral is *not* intractable: a fine grid over the latent
# plane computes it. So here you will see
#
# 1. the true $\log p(x)$ of a few images, by numerical integration, next to their ELBO;
# 2. the true posterior $p(z\mid x)$ next to the encoder's $q(z\mid x)$: the gap
#    $\log p(x) - \text{ELBO}$ is exactly $\mathrm{KL}(q(z\mid x)\,\|\,p(z\mid x))$;
# 3. the importance-weighted estimate with k = 1, 10, 100, 1000 samples climbing from the ELBO to
#    $\log p(x)$ (exercise);
# 4. the model's test log-likelihood reported the way papers do (importance-weighted, in nats).

# %%
import labkit
cfg = labkit.setup(seed=0, threads=1)

# %%
import numpy as np, torch
import matplotlib.pyplot as plt
from labkit import by_mode
from labkit import likelihood as L
from labkit.data import mnist_splits
from labkit.models.autoencoders import VAE, train_autoencoder
from labkit.viz import use_style, show_images, plot_history
from labkit.widgets import SliderView, int_slider
from labkit.widgets import likelihood as W
import labkit.checks.likelihood as checks
use_style()
S = by_mode(fast=dict(n_train=4000, n_test=500, epochs=3, batch_size=64, width=8, hidden=64, n_eval=20, k_eval=500),
            full=dict(n_train=None, n_test=10000, epochs=30, batch_size=128, width=32, hidden=256, n_eval=500, k_eval=5000))
S

# %% [markdown]
# ## 0. A VAE with a 2-D latent on binarised MNIST
# The decoder outputs one Bernoulli probability per pixel, so $p(x\mid z)$ is a real probability
# only for **binary** images. As papers do, we binarise MNIST: each pixel becomes 1 with probability
# equal to its grey value (a fixed random draw). Then $\log p(x)$ is a log-probability in nats and
# can be compared across models. The model is lab 04's `VAE`, with `latent_dim=2`.

# %%
train, test = mnist_splits(S.n_train, S.n_test)
g = torch.Generator().manual_seed(0)
x_train = torch.bernoulli(train.images, generator=g)      # (N, 1, 28, 28) in {0, 1}
x_test = torch.bernoulli(test.images, generator=g)
torch.manual_seed(0)
vae = VAE(latent_dim=2, width=S.width, hidden=S.hidden)
history = train_autoencoder(vae, x_train, epochs=S.epochs, batch_size=S.batch_size, lr=2e-3)
model = L.BernoulliVAE(vae)       # the interface labkit.likelihood works with
plot_history(history, keys=["neg_elbo"], title="training: -ELBO per image (nats)");

# %% [markdown]
# ## 1. log p(x) by integration over the latent plane
# For one image $x$, evaluate $\log p(x\mid z) + \log p(z)$ at every cell centre $z_g$ of a grid and
# sum: $p(x) \approx \sum_g p(x\mid z_g)\,p(z_g)\,\Delta z$ (the midpoint rule). A coarse grid over
# $[-5, 5]^2$ finds where the posterior lives, then a fine grid zooms in on it
# (`L.log_px_adaptive`). Normalising $p(x\mid z_g)p(z_g)$ on the grid gives the **true posterior**
# $p(z\mid x)$, which we draw next to the encoder's Gaussian $q(z\mid x)$.

# %%
idx = [0, 1, 2]
results = L.log_px_adaptive(model, x_test[idx])
for i, r in zip(idx, results):
    print(f"test image {i}: log p(x) = {r.log_px:8.2f}   ELBO = {r.elbo:8.2f}   "
          f"log p(x) - ELBO = {r.log_px - r.elbo:5.2f}   KL(q || p(z|x)) = {r.kl:5.2f}   (q mass on grid {r.q_mass:.4f})")

# %%
fig, axes = plt.subplots(1, len(idx), figsize=(4.2 * len(idx), 3.8))
for ax, r in zip(axes, results):
    W.plot_posterior_vs_q(r, ax=ax)

# %% [markdown]
# **Read it:** the encoder's Gaussian is near the posterior but not on it: often too broad or a bit
# off-centre (after a short training the encoder lags behind the decoder), and it cannot take the
# posterior's shape when that is tilted or has two bumps. The printed gap
# $\log p(x) - \text{ELBO}$ equals $\mathrm{KL}(q\,\|\,p(z\mid x))$ to the last digit: the ELBO
# is exactly $\log p(x) - \mathrm{KL}(q(z\mid x)\,\|\,p(z\mid x))$.
#
# Pick other test images (the fine grid is recomputed for each: a few seconds):

# %%
post_view = SliderView(W.render_posterior, title="true posterior vs encoder q(z|x)",
                       fixed=dict(model=model, images=x_test[:50]),
                       index=int_slider("test image", 0, 49, 3))
post_view

# %%
before = post_view.image.value
post_view.controls["index"].value = 4
assert post_view.image.value != before, "the image should change when the slider moves" 


# %% [markdown]
# **Question.** The ELBO's KL term pulls q(z|x) toward the prior, and q is a Gaussian with a
# *diagonal* covariance. Which of the two explains the mismatch you see for a tilted posterior?

# %% [markdown]
# ## 2. Importance weighting: from the ELBO to log p(x)
# With samples $z_1..z_k \sim q(z\mid x)$ and weights $w_i = p(x, z_i) / q(z_i\mid x)$,
# $$\log \frac1k \sum_{i=1}^k w_i$$
# is a lower bound on $\log p(x)$ *in expectation* that tightens as $k$ grows (Burda et al., 2016):
# k = 1 gives the ELBO, k → ∞ gives $\log p(x)$. It needs no grid, so it works for any latent size.
#
# ### Exercise: the importance-weighted estimate
# `log_w` is a `(B, k)` tensor of log weights. Return the `(B,)` estimates
# $\log \frac1k \sum_i e^{\log w_i}$. Log weights of images are in the hundreds of negative nats:
# `exp` of them underflows to 0.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "vaelik-iw"}
def iw_estimate(log_w):
    ### BEGIN SOLUTION
    return torch.logsumexp(log_w, dim=1) - np.log(log_w.shape[1])
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "vaelik-iw-test", "points": 1}
checks.iw_estimate(iw_estimate)
### BEGIN HIDDEN TESTS
assert checks.iw_estimate(iw_estimate, seed=1)
### END HIDDEN TESTS

# %%
x3 = x_test[idx]
log_w = L.log_weights(model, x3, k=1000, generator=torch.Generator().manual_seed(1))   # (3, 1000)
print("k = 1000, your estimate:", iw_estimate(log_w).numpy().round(2))
print("log p(x) from the grid: ", np.round([r.log_px for r in results], 2))

# %% [markdown]
# Now all k at once, repeated 5 times with fresh samples (the error bars), next to the grid's
# $\log p(x)$ and the ELBO (computed with 1,000 samples):

# %%
curves = L.iw_curve(model, x3, ks=(1, 10, 100, 1000), repeats=5)
elbos = L.elbo(model, x3, n_samples=1000)
W.plot_iw_curves(curves, [r.log_px for r in results], elbos, titles=[f"test image {i}" for i in idx]);

# %% [markdown]
# **Read it:** at k = 1 the estimates scatter around the ELBO, below $\log p(x)$; as k grows they rise
# and their spread shrinks, until at k = 1000 they are within a fraction of a nat of the grid's value. The ELBO never exceeds
# $\log p(x)$. **Question:** the climb is steep for some images and flat for others. Compare with the
# KL printed in section 1: why?

# %% [markdown]
# ## 3. The test log-likelihood, as papers report it
# Papers report the mean over the test set of the importance-weighted estimate with k = 5000, in nats
# (higher is better), next to the ELBO. Here: `S.k_eval` samples on `S.n_eval` test images (fast mode
# uses fewer of both); with a 2-D latent we can also check the estimate against the grid.
# `benchmarks/vae_likelihood.py` runs the full protocol (k = 5000) and writes the numbers to
# `benchmarks/results/vae_likelihood.json`.

# %%
xe = x_test[:S.n_eval]
grid_lp = torch.tensor([r.log_px for r in L.log_px_adaptive(model, xe, n_coarse=41, n_fine=61)])
scores = {"ELBO": L.elbo(model, xe, n_samples=100), f"IW, k={S.k_eval}": L.iw_log_px(model, xe, k=S.k_eval)}
print(f"{'grid integration':18s} {grid_lp.mean():9.2f} nats per image ({len(xe)} test images)")
for name, v in scores.items():
    print(f"{name:18s} {v.mean():9.2f} nats per image")
W.plot_test_loglik(grid_lp, scores);

# %% [markdown]
# The ELBO underestimates the model's likelihood by the average KL gap; the importance-weighted value
# is within a fraction of a nat of the integral on average (the scatter shows the images where q is
# poorest and even 500 samples are not enough). Even k = 5000 is not always enough: in the benchmark
# (`benchmarks/results/vae_likelihood.json`) the median image is within 0.05 nats of the grid, but on
# a few images whose posterior has a second bump that q never samples, the estimate falls several
# nats short. For a large latent nobody can check this. A 2-D latent is a tiny model: published VAEs with
# 50-D latents reach about -85 to -87 nats on binarised MNIST (Burda et al., 2016), and they can only
# use the importance-weighted estimate, because a 50-D grid is impossible.
#
# ## Summary
# * $\log p(x)$ of a VAE is an integral over z; in 1-D or 2-D a grid computes it exactly enough.
# * ELBO $= \log p(x) - \mathrm{KL}(q(z\mid x)\,\|\,p(z\mid x))$: the gap is how far the encoder's
#   Gaussian is from the true posterior, image by image.
# * Importance weighting with k samples from q tightens the bound; papers report it with k = 5000.
#
# ## Questions
# 1. Training maximises the ELBO, not $\log p(x)$. Which two things can raise the ELBO, and which one
#    does not change the model's $\log p(x)$ at all?
# 2. Why is a grid hopeless for a 20-D latent, while the importance-weighted estimate still works?
# 3. Back to [Lab 04](04_autoencoders_vae.ipynb): for its beta-VAE, would you expect the gap to grow
#    or shrink with beta?
