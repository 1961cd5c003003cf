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
# 1. the true $\log p(x)$ of a few images, by numerical integration, next to their ELBO (exercise);
# 2. the true posterior $p(z\mid x)$ next to the encoder's $q(z\mid x)$: the gap
#    $\log p(x) - \text{ELBO}$ is exactly $\mathrm{KL}(q(z\mid x)\,\|\,p(z\mid x))$;
# 3. the importance-weighted estimate with k = 1, 10, 100, 1000 samples climbing from the ELBO
#    toward $\log p(x)$ (two exercises);
# 4. the model's test log-likelihood reported the way papers do (importance-weighted, in nats).

# %%
import labkit
cfg = labkit.setup(seed=0, threads=1)

# %%
import numpy as np, torch
import matplotlib.pyplot as plt
from labkit import by_mode
from labkit.data import mnist_splits
from labkit.vae import VAE, train_autoencoder
from labkit.vae import likelihood as L, likelihood_views as W
from labkit.viz import use_style, plot_history
from labkit.views import SliderView, int_slider
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
model = L.BernoulliVAE(vae)       # the interface labkit.vae.likelihood works with
plot_history(history, keys=["neg_elbo"], title="training: -ELBO per image (nats)");

# %% [markdown]
# **Read it:** the curve is the training loss, -ELBO in nats per image (a **nat** is the unit of the
# natural log: -ELBO = 190 means the bound gives the image a probability of at least e^-190). It
# falls over the run; in fast mode (3 epochs) it is still falling steeply when training stops, so
# the model is far from converged, while in full mode it flattens out.

# %% [markdown]
# ## 1. log p(x) by integration over the latent plane
# For one image $x$, evaluate $\log p(x\mid z) + \log p(z)$ at every cell centre $z_g$ of a grid and
# sum: $p(x) \approx \sum_g p(x\mid z_g)\,p(z_g)\,\Delta z$ (the midpoint rule). A coarse grid over
# $[-5, 5]^2$ finds where the posterior lives, then a fine grid zooms in on it
# (`L.log_px_adaptive`). Normalising $p(x\mid z_g)p(z_g)$ on the grid gives the **true posterior**
# $p(z\mid x)$, which we draw next to the encoder's Gaussian $q(z\mid x)$.
#
# ### Exercise 1: the midpoint rule in log space
# `log_joint` is a `(B, G)` tensor of $\log p(x, z_g) = \log p(x\mid z_g) + \log p(z_g)$ at the G
# cell centres, and `log_dv` is the log of the (equal) cell area. Return the `(B,)` values
# $\log p(x)$. These log densities are hundreds of nats below zero: `exp` of them underflows to 0.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "vaelik-grid"}
def grid_log_px(log_joint, log_dv):
    """log of sum_g p(x, z_g) * cell area, per row of log_joint (B, G): shape (B,)."""
    ### BEGIN SOLUTION
    return torch.logsumexp(log_joint, dim=1) + log_dv
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "vaelik-grid-test", "points": 1}
checks.grid_log_px(grid_log_px)
### BEGIN HIDDEN TESTS
assert checks.grid_log_px(grid_log_px, seed=5)
assert checks.grid_log_px(grid_log_px, seed=11)
### END HIDDEN TESTS

# %% [markdown]
# `L.log_px_adaptive` builds the zoomed grid for each image and keeps its `log_joint`; your function
# turns that into $\log p(x)$ (the next cell prints labkit's values, then yours from the same grids):

# %%
idx = [0, 1, 2]
results = L.log_px_adaptive(model, x_test[idx])
for i, r in zip(idx, results):
    print(f"test image {i}: log p(x) = {r.log_px:8.2f}   ELBO = {r.elbo:8.2f}   "
          f"log p(x) - ELBO = {r.log_px - r.elbo:5.2f}   KL(q || p(z|x)) = {r.kl:5.2f}   (q mass on grid {r.q_mass:.4f})")
yours = [float(grid_log_px(r.log_joint[None], r.grid.log_dv)[0]) for r in results]
print("your log p(x) from the same grids:", np.round(yours, 2))

# %%
fig, axes = plt.subplots(1, len(idx), figsize=(4.2 * len(idx), 3.8))
for ax, r in zip(axes, results):
    W.plot_posterior_vs_q(r, ax=ax)

# %% [markdown]
# **Read it:** the shading is the true posterior, the red contours the encoder's Gaussian. q is near
# the posterior but not on it: often too broad, too narrow or a bit off-centre (after a short
# training the encoder lags behind the decoder), and it cannot take the posterior's shape when that
# is tilted or has two bumps. The printed gap $\log p(x) - \text{ELBO}$ equals
# $\mathrm{KL}(q\,\|\,p(z\mid x))$ to the last digit, and it is never negative: the ELBO is
# exactly $\log p(x) - \mathrm{KL}(q(z\mid x)\,\|\,p(z\mid x))$.
#
# Pick other test images (the fine grid is recomputed for each: a few seconds):

# %% tags=["claim"]
for i, r in zip(idx, results):
    assert abs((r.log_px - r.elbo) - r.kl) < 1e-6, f"image {i}: gap {r.log_px - r.elbo} != KL {r.kl}"
    assert r.kl >= 0 and r.elbo <= r.log_px, f"image {i}: the ELBO {r.elbo:.2f} exceeds log p(x) {r.log_px:.2f}"

# %%
post_view = SliderView(W.render_posterior, title="true posterior vs encoder q(z|x)",
                       fixed=dict(model=model, images=x_test[:50]),
                       index=int_slider("test image", 0, 49, 3))
post_view

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "vaelik-q-tilted", "points": 1}
# **Question.** The ELBO's KL term pulls q(z|x) toward the prior, and q is a Gaussian with a
# *diagonal* covariance. Which of the two explains the mismatch you see for a tilted posterior?
#
# ### BEGIN SOLUTION
# The diagonal covariance. A diagonal Gaussian's contours are ellipses aligned with the z1 and z2
# axes, so no choice of mu and logvar can follow a posterior tilted along a diagonal; the best q
# (the one with the smallest KL(q || p(z|x))) is then a narrower axis-aligned ellipse inside it. The
# pull toward the prior does not cause a tilt mismatch (the prior is round); it makes q broader or
# shifts it toward the origin.
# ### END SOLUTION

# %% [markdown]
# ## 2. Importance weighting: from the ELBO to log p(x)
# With samples $z_1..z_k \sim q(z\mid x)$ and weights $w_i = p(x, z_i) / q(z_i\mid x)$,
# $$\log \frac1k \sum_{i=1}^k w_i$$
# is a lower bound on $\log p(x)$ *in expectation* that tightens as $k$ grows (Burda et al., 2016):
# k = 1 gives the ELBO, k → ∞ gives $\log p(x)$. It needs no grid, so it works for any latent size.
#
# ### Exercise 2: the log weights
# Given `log_px_given_z` = $\log p(x\mid z_i)$ `(B, k)` for samples `z` `(B, k, d)` drawn from
# $q(z\mid x) = \mathcal N(\mu, \mathrm{diag}(e^{\text{logvar}}))$ with `mu`, `logvar` `(B, d)`, return the
# `(B, k)` log weights $\log w_i = \log p(x\mid z_i) + \log p(z_i) - \log q(z_i\mid x)$, with the
# prior $p(z) = \mathcal N(0, I)$. Both Gaussian log densities are sums over the d latent coordinates.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "vaelik-log-weights"}
import math
def log_weights(log_px_given_z, z, mu, logvar):
    """log p(x|z) + log N(z; 0, I) - log N(z; mu, diag(exp(logvar))): shape (B, k)."""
    ### BEGIN SOLUTION
    log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
    mu, logvar = mu[:, None], logvar[:, None]                      # (B, 1, d): one q per image
    log_q = -0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(-1)
    return log_px_given_z + log_pz - log_q
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "vaelik-log-weights-test", "points": 1}
checks.log_weights(log_weights)
### BEGIN HIDDEN TESTS
assert checks.log_weights(log_weights, seed=4)
assert checks.log_weights(log_weights, seed=9)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3: the importance-weighted estimate
# `log_w` is a `(B, k)` tensor of log weights. Return the `(B,)` estimates
# $\log \frac1k \sum_i e^{\log w_i}$. Log weights of images are in the hundreds of negative nats:
# `exp` of them underflows to 0 (the trick of exercise 1 applies again).

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

# %% [markdown]
# Your two functions together: 1,000 samples from q for each of the three images, their log weights,
# the estimate, next to the grid's $\log p(x)$.

# %%
x3 = x_test[idx]
mu, logvar = model.encode(x3)                                                  # (3, 2) each
eps = torch.randn(3, 1000, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
z = mu[:, None] + (0.5 * logvar[:, None]).exp() * eps                           # (3, 1000, 2) ~ q
print("log p(x) from the grid: ", np.round([r.log_px for r in results], 2))
log_w = log_weights(model.loglik_paired(x3, z), z, mu, logvar)                  # (3, 1000)
print("k = 1000, your estimate:", iw_estimate(log_w).numpy().round(2))

# %% [markdown]
# Now all k at once, repeated 5 times with fresh samples (the error bars), next to the grid's
# $\log p(x)$ and the ELBO (computed with 1,000 samples):

# %%
curves = L.iw_curve(model, x3, ks=(1, 10, 100, 1000), repeats=5)
elbos = L.elbo(model, x3, n_samples=1000)
W.plot_iw_curves(curves, [r.log_px for r in results], elbos, titles=[f"test image {i}" for i in idx])
for k, v in curves.items():
    print(f"k = {k:4d}: log p(x) minus the mean estimate, per image:", np.round([r.log_px for r in results] - v.mean(1).numpy(), 2))

# %% [markdown]
# **Read it:** at k = 1 the estimates scatter around the ELBO (red), below $\log p(x)$ (black); as k
# grows they rise and their spread shrinks. How close k = 1000 gets depends on the image: where q
# covers the posterior well (a small KL gap in section 1) it ends within a fraction of a nat; where
# q misses part of the posterior, the samples rarely land there and even k = 1000 stays below (the
# full-mode run has images whose gap stays tens of nats). The estimates never rise above
# $\log p(x)$ beyond their noise.

# %% tags=["claim"]
lp = torch.tensor([r.log_px for r in results])
m1, m1000 = curves[1].mean(1), curves[1000].mean(1)
assert (m1000 > m1).all(), f"the estimate should climb with k: k=1 {m1}, k=1000 {m1000}"
assert (m1000 <= lp + 0.5).all(), f"the estimate should not rise above log p(x): {m1000} vs {lp}"
assert (elbos <= lp + 1e-6).all(), f"the ELBO should stay below log p(x): {elbos} vs {lp}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "vaelik-q-climb", "points": 1}
# **Question.** The climb is steep for some images and flat for others, and for some it stops short
# of $\log p(x)$. Compare with the KL printed in section 1: why?
#
# ### BEGIN SOLUTION
# The climb from the ELBO (k = 1) toward log p(x) has to close the gap KL(q || p(z|x)). Where that KL
# is small, q is almost the posterior, the weights are almost equal and there is little to gain:
# the curve is flat and starts near log p(x). Where the KL is large, a few samples land where the
# posterior is much larger than q and get huge weights, so averaging more samples helps a lot: a
# steep climb. If q puts almost no mass on part of the posterior (a second bump), those samples are
# so rare that even k = 1000 misses them and the estimate stops short.
# ### END SOLUTION

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
# **Read it:** each dot is one test image: how far an estimate falls below the grid's
# $\log p(x)$ (0 = exact). The ELBO (blue) underestimates the model's likelihood by each image's KL
# gap; the importance-weighted value (orange) sits much closer to 0, and the dots well below 0 are the
# images where q is poorest and `S.k_eval` samples are not enough. How far the IW mean falls short
# depends on the model and the mode: compare the printed means. Even k = 5000 is not always enough:
# in the benchmark (`benchmarks/results/vae_likelihood.json`) the median image is within 0.05 nats of
# the grid, but on a few images whose posterior has a second bump that q never samples, the estimate
# falls several nats short. For a large latent nobody can check this. A 2-D latent is a tiny model:
# published VAEs with 50-D latents reach about -85 to -87 nats on binarised MNIST (Burda et al.,
# 2016), and they can only use the importance-weighted estimate, because a 50-D grid is impossible.

# %% tags=["claim"]
m_elbo, m_iw, m_grid = float(scores["ELBO"].mean()), float(scores[f"IW, k={S.k_eval}"].mean()), float(grid_lp.mean())
assert m_elbo < m_iw <= m_grid + 0.1, f"expected ELBO < IW <= grid on average: {m_elbo:.2f}, {m_iw:.2f}, {m_grid:.2f}"

# %% [markdown]
# **Your run next to a longer one.** In fast mode your VAE is narrow and trained for 3 epochs.
# labkit ships a *full-size reference*: the same 2-D VAE on binarised MNIST, trained by
# `benchmarks/reference.py` for full mode's number of epochs on other MNIST images. Full mode's
# network would not fit the size limit for shipped files, so the shipped one is somewhat narrower
# (the manifest says so); the cell prints its sizes, and what the unshipped full-size network
# scored when it was built. It is not lab 04's reference, which saw grey images. A model is never
# scored on its own training images: `ref.is_training_image` finds them (grey or binarised) and
# `ref.check_held_out` refuses them. Both models get the same measurements on the same held-out
# test images: the importance-weighted estimate with `S.k_eval` samples, and the ELBO.

# %%
if cfg.fast:
    from labkit.data.reference import reference_vaelik
    vae_ref, ref = reference_vaelik()
    model_ref = L.BernoulliVAE(vae_ref)
    never_seen = torch.from_numpy(~ref.is_training_image(test.images))     # judged on the grey originals
    xh = ref.check_held_out(x_test[never_seen][:S.n_eval])                 # their binarised copies
    lp = {name: L.iw_log_px(m, xh, k=S.k_eval, generator=torch.Generator().manual_seed(3))
          for name, m in [("your model", model), ("full-size reference", model_ref)]}
    el = {name: L.elbo(m, xh, n_samples=100) for name, m in [("your model", model), ("full-size reference", model_ref)]}
    print(f"test log p(x) (IW, k={S.k_eval}) on {len(xh)} held-out images: your model: "
          f"{lp['your model'].mean():.1f} nats; full-size reference: {lp['full-size reference'].mean():.1f} nats")
    print(f"ELBO on the same images: your model: {el['your model'].mean():.1f}; "
          f"full-size reference: {el['full-size reference'].mean():.1f} nats")
    sizes = lambda r: f"width {r['sizes']['width']}, hidden {r['sizes']['hidden']}, {r['sizes']['epochs']} epochs"
    shipped, full = ref.results["shipped"], ref.results["full"]
    print(f"yours: width {S.width}, hidden {S.hidden}, {S.epochs} epochs on {len(x_train)} images; "
          f"reference: {sizes(shipped)} on other images")
    print(f"when built, on 100 other held-out images (IW, k=1000): shipped reference ({sizes(shipped)}): "
          f"{shipped['iw_k1000']:.1f} nats; unshipped full-size network ({sizes(full)}): {full['iw_k1000']:.1f} nats")

# %%
if cfg.fast:
    gap = {name: lp[name] - el[name] for name in lp}                      # per image, about KL(q || p(z|x))
    typical = int(gap["full-size reference"].argsort()[len(xh) // 2])      # the reference's median gap
    print(f"mean gap IW - ELBO: your model {gap['your model'].mean():.1f}, full-size reference "
          f"{gap['full-size reference'].mean():.1f} nats; pictured: held-out image {typical}")
    pair = [L.log_px_adaptive(m, xh[typical:typical + 1], n_coarse=41, n_fine=61)[0] for m in (model, model_ref)]
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.8))
    for ax, r, who in zip(axes, pair, ["your model", "full-size reference"]):
        W.plot_posterior_vs_q(r, ax=ax, title=f"{who}: log p(x) = {r.log_px:.1f}\nKL(q || p(z|x)) = {r.kl:.2f} nats")
    plt.show()

# %% [markdown]
# **Read it:** the longer run gives the same held-out images a much higher log p(x) (first line),
# and the shipped network scores within about a nat of the unshipped full-size one (fourth line).
# But its ELBO is the looser bound: its mean gap IW - ELBO is larger than yours. The picture shows
# why on a typical image (the reference's median gap; mind the axis ranges): the well-trained
# decoder pins the image to a much smaller region of the latent plane, so the true posterior is
# far narrower than yours, and an encoder Gaussian that is slightly off-centre now misses a large
# part of it: a larger KL(q || p(z|x)), which is exactly what the importance-weighted estimate
# recovers and the ELBO does not.

# %% tags=["claim"]
if cfg.fast:
    assert lp["full-size reference"].mean() > lp["your model"].mean() + 10, f"the longer run should give held-out images a much higher log p(x): {lp}"
    assert gap["full-size reference"].mean() > gap["your model"].mean(), f"the longer run's ELBO should be the looser bound: {gap}"
    sd = []
    for r in pair:                                   # the true posterior's standard deviation (mean over z1, z2)
        w = (r.log_post + r.grid.log_dv).exp()[:, None]
        sd.append(float((w * (r.grid.z - (w * r.grid.z).sum(0)) ** 2).sum(0).sqrt().mean()))
    assert sd[1] < sd[0] / 2, f"the reference's posterior should be far narrower: sd {sd[1]:.3f} vs yours {sd[0]:.3f}"
    assert abs(shipped["iw_k1000"] - full["iw_k1000"]) < 1.5, f"shipped vs full-size network: {shipped['iw_k1000']} vs {full['iw_k1000']}"

# %% [markdown]
# ## Summary
# * $\log p(x)$ of a VAE is an integral over z; in 1-D or 2-D a grid computes it exactly enough.
# * ELBO $= \log p(x) - \mathrm{KL}(q(z\mid x)\,\|\,p(z\mid x))$: the gap is how far the encoder's
#   Gaussian is from the true posterior, image by image.
# * Importance weighting with k samples from q tightens the bound; papers report it with k = 5000,
#   and it is only as good as q's coverage of the posterior.
#
# ## Questions
# 1. Training maximises the ELBO, not $\log p(x)$. Which two things can raise the ELBO, and which one
#    does not change the model's $\log p(x)$ at all?
# 2. Back to [Lab 04](04_autoencoders_vae.ipynb): for its beta-VAE, would you expect the gap to grow
#    or shrink with beta?

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "vaelik-q-grid-dims", "points": 1}
# **Question.** Why is a grid hopeless for a 20-D latent, while the importance-weighted estimate
# still works?
#
# ### BEGIN SOLUTION
# A grid with n points per dimension has n^d cells: 100 points per axis is 10^4 decoder calls in 2-D
# but 10^40 in 20-D, far beyond any computer, and almost all cells would have negligible posterior
# mass. The importance-weighted estimate only decodes the k samples drawn from q, wherever q puts
# them, so its cost does not grow with the dimension; its accuracy depends on how well q covers the
# posterior, not on the number of dimensions as such.
# ### END SOLUTION
