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
# # Lab 01 · k-Means
#
# *Just data, no labels: learn the hidden structure.* Clustering is the first example of unsupervised
# learning from the lecture, and k-means is its simplest algorithm.
#
# **Objectives.** After this lab you can
# 1. state the k-means objective (inertia) and derive Lloyd's two steps from it, and implement them;
# 2. watch the algorithm converge, and see why the initialisation matters (k-means++);
# 3. choose k (elbow, silhouette) and recognise data where k-means is the wrong tool;
# 4. use k-means for colour quantisation, and use `labkit.cluster.KMeans` (torch, CPU or GPU) as a
#    drop-in for scikit-learn's.

# %%
import labkit
cfg = labkit.setup(seed=0)

# %%
import time
import numpy as np
import torch
import matplotlib.pyplot as plt
from sklearn.datasets import make_blobs, make_moons
from labkit.viz import use_style, scatter2d
from labkit.cluster import KMeans, lloyd_steps
from labkit.metrics.clustering import inertia, scan_k, adjusted_rand
from labkit.widgets import SliderView, int_slider, static_grid
from labkit.widgets.cluster import render_kmeans_step, render_quantized, load_image
use_style()
size = labkit.by_mode(fast=dict(n_seeds=8, scan_n=1500, image_stride=6, bench_n=20_000, bench_reps=1),
                      full=dict(n_seeds=30, scan_n=10_000, image_stride=2, bench_n=200_000, bench_reps=3))

# %% [markdown]
# ## 1. The objective and Lloyd's two steps
# k-means looks for $k$ centres $c_1..c_k$ and an assignment $z_i$ of every point to one centre that
# minimise the **inertia** (within-cluster sum of squares)
#
# $$J(c, z) = \sum_{i=1}^{n} \lVert x_i - c_{z_i} \rVert^2 .$$
#
# Minimising over $z$ with $c$ fixed gives the **assignment step** (each point to its nearest centre);
# minimising over $c$ with $z$ fixed gives the **update step** (each centre to the mean of its points:
# set the gradient $\sum_{i: z_i = j} 2 (c_j - x_i)$ to zero). Alternating them is Lloyd's algorithm; each
# step can only lower $J$, so it converges (to a local minimum).

# %%
X, y_true = make_blobs(n_samples=600, centers=4, cluster_std=1.1, random_state=3)
X = torch.tensor(X)                      # (600, 2) float64
ax = scatter2d(X, title="toy data: 600 points, no labels used")


# %% [markdown]
# ### Exercise 1 (assignment step)
# Write `assign(X, C)`: for `X` of shape (N, D) and centres `C` of shape (K, D), return a tensor of N
# integer labels, the index of the nearest centre of each point. Use broadcasting (`X[:, None, :] - C[None]`)
# or `torch.cdist`; no Python loop over points.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "kmeans-assign"}
def assign(X, C):
    """Index of the nearest centre for each row of X: (N, D), (K, D) -> (N,) int64."""
    ### BEGIN SOLUTION
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)   # (N, K) squared distances
    return d2.argmin(dim=1)
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "kmeans-assign-test", "points": 2}
from labkit.checks import kmeans as checks01
checks01.assign(assign)
### BEGIN HIDDEN TESTS
checks01.assign(assign, seeds=(7, 8, 9))
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 (update step)
# Write `update(X, labels, k)`: the new centre of cluster j is the mean of the points labelled j.
# Return a (k, D) tensor. (Assume no cluster is empty; `labkit.cluster.KMeans` handles that case as
# scikit-learn does, by moving an empty centre to the point farthest from its centre.)

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "kmeans-update"}
def update(X, labels, k):
    """Mean of the points of each cluster: (N, D), (N,), k -> (k, D)."""
    ### BEGIN SOLUTION
    sums = torch.zeros(k, X.shape[1], dtype=X.dtype).index_add_(0, labels, X)
    counts = torch.bincount(labels, minlength=k).to(X.dtype)
    return sums / counts[:, None]
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "kmeans-update-test", "points": 2}
from labkit.checks import kmeans as checks01
checks01.update(update)
### BEGIN HIDDEN TESTS
checks01.update(update, seeds=(7, 8, 9))
### END HIDDEN TESTS

# %% [markdown]
# Your two functions are the whole algorithm. Run ten iterations from four random points and watch the
# inertia: it must never go up.

# %%
g = torch.Generator().manual_seed(0)
C = X[torch.randperm(len(X), generator=g)[:4]]
history = []
for it in range(10):
    labels = assign(X, C)
    history.append(inertia(X, C, labels))
    C = update(X, labels, 4)
print("inertia per iteration:", [round(v, 1) for v in history])
assert all(b <= a + 1e-6 for a, b in zip(history, history[1:])), "Lloyd's algorithm never increases the inertia"

# %% [markdown]
# **Question.** Why can neither step increase $J$? When does the algorithm stop changing anything?

# %% [markdown]
# ## 2. Step through the iterations
# The slider shows Lloyd's algorithm after t steps, from a deliberately bad start (all centres in one
# corner): points coloured by their cluster, the **Voronoi regions** of the centres (the area each centre
# "owns"), and the paths of the centres.

# %%
bad_init = X[X[:, 0].argsort()[:4]]       # the 4 left-most points
steps = lloyd_steps(X, bad_init, n_steps=12)
view = SliderView(render_kmeans_step, fixed=dict(X=X, history=steps), title="k-means step-through",
                  iteration=int_slider("iteration", 0, len(steps) - 1, 0))
view

# %%
before = view.image.value                     # moving the slider re-renders (also headless)
view.controls["iteration"].value = 3
assert view.image.value != before
if cfg.fast:                                  # the static version of the same view
    static_grid(render_kmeans_step, [dict(iteration=t) for t in (0, 1, 3, 12)],
                fixed=dict(X=X, history=steps), ncols=4)

# %% [markdown]
# **Question.** The Voronoi boundaries are straight lines. Why? (Compare two squared distances.)

# %% [markdown]
# ## 3. Initialisation: k-means++ versus random
# Lloyd's algorithm only finds a local minimum, and which one depends on the start. **k-means++** picks
# the first centre at random and each next one with probability proportional to $D(x)^2$, the squared
# distance to the nearest centre chosen so far, so the centres start spread out. Below: final inertia
# over several seeds, on 12 blobs.

# %%
X12, _ = make_blobs(n_samples=3000, centers=12, cluster_std=0.6, center_box=(-15, 15), random_state=1)
res = {init: [KMeans(12, init=init, n_init=1, random_state=s).fit(X12).inertia_ for s in range(size.n_seeds)]
       for init in ("random", "k-means++")}
fig, ax = plt.subplots(figsize=(5, 3))
ax.boxplot(list(res.values()))
ax.set_xticks([1, 2], list(res))
ax.set(ylabel="final inertia", title=f"{size.n_seeds} seeds each (lower is better)")
for k, v in res.items():
    print(f"{k:10s} best {min(v):9.1f}  worst {max(v):9.1f}")

# %% [markdown]
# **Question.** Random init sometimes ends far above the best inertia. What does such a solution look like (two centres in one blob, one centre for two blobs)? What does `n_init=10` do about it?

# %% [markdown]
# ## 4. Choosing k: elbow and silhouette
# The inertia always falls as k grows (k = n gives 0), so it cannot choose k alone. Look for the **elbow**
# where adding a cluster stops paying off, or maximise the **silhouette** $(b - a)/\max(a, b)$, where a is
# the mean distance to the own cluster and b to the nearest other cluster.

# %%
X6, _ = make_blobs(n_samples=size.scan_n, centers=6, cluster_std=1.0, random_state=7)
scan = scan_k(X6, range(2, 11))
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].plot(scan["k"], scan["inertia"], "o-"); axes[0].set(xlabel="k", ylabel="inertia", title="elbow")
axes[1].plot(scan["k"], scan["silhouette"], "o-"); axes[1].set(xlabel="k", ylabel="mean silhouette", title="silhouette")
best_k = scan["k"][int(np.argmax(scan["silhouette"]))]
print("k with the best silhouette:", best_k, "(the data has 6 blobs)")

# %% [markdown]
# **Question.** Is the elbow sharp here? Would it be if the blobs overlapped more?

# %% [markdown]
# ## 5. Where k-means fails
# k-means assumes round clusters of similar size: every boundary is the perpendicular bisector of two
# centres. On **moons** (non-convex) and **anisotropic** (stretched) blobs it cuts the clusters the wrong
# way. The right tools: a graph-based method (spectral clustering) for the moons, a Gaussian mixture with
# full covariances for the stretched blobs.

# %%
from sklearn.cluster import SpectralClustering
from sklearn.mixture import GaussianMixture
Xm, ym = make_moons(n_samples=500, noise=0.06, random_state=0)
Xa, ya = make_blobs(n_samples=600, centers=3, random_state=170)
Xa = Xa @ np.array([[0.6, -0.64], [-0.41, 0.85]])
cases = [("moons", Xm, ym, SpectralClustering(2, affinity="nearest_neighbors", random_state=0)),
         ("anisotropic", Xa, ya, GaussianMixture(3, covariance_type="full", random_state=0))]
fig, axes = plt.subplots(2, 2, figsize=(8, 7))
for row, (name, Xc, yc, right) in zip(axes, cases):
    for ax, model in zip(row, (KMeans(len(set(yc)), n_init=5, random_state=0), right)):
        lab = model.fit_predict(Xc)
        scatter2d(Xc, lab, ax=ax, legend=False, title=f"{name}: {type(model).__name__}\nARI {adjusted_rand(yc, lab):.2f}")
fig.tight_layout()

# %% [markdown]
# **Question.** Would rescaling the features fix the anisotropic case for k-means? Which rescaling?

# %% [markdown]
# ## 6. Colour quantisation
# An image is a cloud of RGB points. k-means with k centres finds a palette of k colours; replacing every
# pixel by its centre compresses the image to $\log_2 k$ bits per pixel. The model is fitted on a
# random sample of pixels and then predicts all of them. Move the slider.

# %%
image = load_image("china.jpg", stride=size.image_stride)
print("image", image.shape)
qview = SliderView(render_quantized, fixed=dict(image=image), title="colour quantisation",
                   k=int_slider("k (colours)", 2, 32, 8))
qview

# %%
before = qview.image.value
qview.controls["k"].value = 4
assert qview.image.value != before
if cfg.fast:
    static_grid(render_quantized, [dict(k=k) for k in (2, 4, 16)], fixed=dict(image=image), ncols=3,
                figsize_per=(5, 2.2))

# %% [markdown]
# **Question.** Which colours survive at k = 4? Why does the sky keep many shades at k = 32?

# %% [markdown]
# ## 7. labkit versus scikit-learn
# `labkit.cluster.KMeans` is a scikit-learn estimator (it works in `Pipeline`, `GridSearchCV`, `clone`),
# computed in torch on the CPU or a GPU. Given the same initial centres, both run the same Lloyd
# iterations: the inertia must agree. `benchmarks/clustering.py` times the full-size case.

# %%
from sklearn.cluster import KMeans as SKKMeans
Xb, _ = make_blobs(n_samples=size.bench_n, n_features=16, centers=40, cluster_std=3.0, random_state=0)
Xb = Xb.astype(np.float32)
init = Xb[np.random.RandomState(0).choice(len(Xb), 32, replace=False)]
def best_time(fit):
    times = []
    for _ in range(size.bench_reps):
        t = time.perf_counter(); model = fit(); times.append(time.perf_counter() - t)
    return min(times), model
t_sk, sk = best_time(lambda: SKKMeans(32, init=init, n_init=1, algorithm="lloyd").fit(Xb))
t_lk, lk = best_time(lambda: KMeans(32, init=init).fit(Xb))
print(f"{len(Xb):,} x 16, k = 32 | sklearn {t_sk:.2f} s, inertia {sk.inertia_:,.0f} | "
      f"labkit ({lk.cluster_centers_.dtype}, {labkit.get_device()}) {t_lk:.2f} s, inertia {lk.inertia_:,.0f}")
assert abs(lk.inertia_ - sk.inertia_) / sk.inertia_ < 1e-3

# %% [markdown]
# Inside, the assignment step computes $\lVert x\rVert^2 - 2\,x\cdot c + \lVert c\rVert^2$ as one matrix
# product per chunk of rows (so a million points fit in memory), and the update step adds points into
# their centre with `index_add_`.

# %% [markdown]
# ## Summary
# - k-means minimises the inertia; Lloyd alternates assignment (nearest centre) and update (mean), and
#   never increases the inertia, but only reaches a local minimum.
# - Initialisation matters: k-means++ spreads the first centres; `n_init` keeps the best of several runs.
# - k is a modelling choice: elbow and silhouette help; round, equal-sized clusters are assumed.
# - The same algorithm compresses images (colour quantisation) and runs on a GPU in torch.
#
# ## Questions
# 1. What is the cost of one Lloyd iteration in n, k and d? Which part did the matrix product speed up?
# 2. Prove that the update step is optimal: why is the mean the point minimising the sum of squared distances?
# 3. Why can k-means not find the two moons, whatever the initialisation?
# 4. In colour quantisation, what would change if you clustered in a perceptual colour space (Lab) instead of RGB?
