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
# 2. watch the algorithm converge, and see why the initialisation matters (implement k-means++);
# 3. choose k (elbow, silhouette) and recognise data where k-means is the wrong tool;
# 4. use k-means for colour quantisation, and use `labkit.cluster.KMeans` (torch, CPU or GPU) as a
#    drop-in for scikit-learn's.

# %%
import labkit
cfg = labkit.setup(seed=0)

# %%
import numpy as np
import torch
import matplotlib.pyplot as plt
from sklearn.datasets import make_blobs
from labkit.viz import use_style, scatter2d
use_style()
size = labkit.by_mode(fast=dict(n_seeds=8, scan_n=1500, image_stride=6, bench_n=20_000, bench_reps=1),
                      full=dict(n_seeds=30, scan_n=10_000, image_stride=2, bench_n=200_000, bench_reps=2))

# %% [markdown]
# ## 1. The objective and Lloyd's two steps
# k-means looks for $k$ centres $c_1..c_k$ and an assignment $z_i$ of every point to one centre that
# minimise the **inertia** (within-cluster sum of squares)
#
# $$J(c, z) = \sum_{i=1}^{n} \lVert x_i - c_{z_i} \rVert^2 .$$
#
# Minimising over $z$ with $c$ fixed gives the **assignment step** (each point to its nearest centre);
# minimising over $c$ with $z$ fixed gives the **update step** (each centre to the mean of its points:
# set the gradient $\sum_{i: z_i = j} 2 (c_j - x_i)$ to zero). Alternating them is Lloyd's algorithm;
# no step can raise $J$, so it converges (to a local minimum).

# %%
X, y_true = make_blobs(n_samples=600, centers=4, cluster_std=1.1, random_state=3)
X = torch.tensor(X)                      # (600, 2) float64
ax = scatter2d(X, title="toy data: 600 points, no labels used")

# %% [markdown]
# **Reading.** By eye there are four blobs along a diagonal. Nothing in `X` says so: k-means gets the
# coordinates only, and has to find the groups from distances alone.

# %% [markdown]
# ### Exercise 1 (assignment step)
# Write `assign(X, C)`: for `X` of shape (N, D) and centres `C` of shape (K, D), return a tensor of N
# integer labels, the index of the nearest centre of each point. Compute all N x K squared distances
# at once with broadcasting (give each tensor a new axis of size 1 so that the difference has shape
# (N, K, D)); no Python loop over points.

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
assert checks01.assign(assign, seed=7)
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
assert checks01.update(update, seed=7)
### END HIDDEN TESTS

# %% [markdown]
# Your two functions are the whole algorithm. Run ten iterations from four random points and watch the
# inertia: it must never go up.

# %%
from labkit.cluster import inertia
g = torch.Generator().manual_seed(0)
C = X[torch.randperm(len(X), generator=g)[:4]]
history = []
for it in range(10):
    labels = assign(X, C)
    history.append(inertia(X, C, labels))
    C = update(X, labels, 4)
print("inertia per iteration:", [round(v, 1) for v in history])

# %% [markdown]
# **Reading.** The inertia drops fast in the first few iterations, then stays at the same value: the
# labels no longer change, so neither step moves anything.

# %% tags=["claim"]
assert all(b <= a + 1e-6 for a, b in zip(history, history[1:])), f"Lloyd's algorithm never increases the inertia: {history}"
assert history[-1] == history[-2], f"ten iterations should reach a fixed point on this data: {history}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "kmeans-q-monotone", "points": 1}
# **Question.** Why can neither step increase $J$? When does the algorithm stop changing anything?
#
# ### BEGIN SOLUTION
# With the centres fixed, the assignment step gives every point the centre with the smallest squared
# distance, so each term of $J$ can only shrink or stay. With the labels fixed, the update step puts
# each centre at the mean of its points, which is the point minimising that cluster's sum of squared
# distances (set the gradient to zero), so again $J$ cannot grow. The algorithm stops changing
# anything once an assignment step reproduces the previous labels: the update then returns the same
# centres, and every later iteration repeats. There are finitely many labellings and $J$ never
# increases, so this happens after finitely many steps (in a local, not necessarily global, minimum).
# ### END SOLUTION

# %% [markdown]
# ## 2. Step through the iterations
# The slider shows Lloyd's algorithm after t steps, from a deliberately bad start (all centres in one
# corner): points coloured by their cluster, the **Voronoi regions** of the centres (the area each centre
# "owns"), and the paths of the centres.

# %%
from labkit.cluster import lloyd_steps, render_kmeans_step
from labkit.views import SliderView, int_slider, static_grid
bad_init = X[X[:, 0].argsort()[:4]]       # the 4 left-most points
steps = lloyd_steps(X, bad_init, n_steps=25)
view = SliderView(render_kmeans_step, fixed=dict(X=X, history=steps), title="k-means step-through",
                  iteration=int_slider("iteration", 0, len(steps) - 1, 0))
view

# %%
if cfg.fast:                                  # the static version of the same view
    static_grid(render_kmeans_step, [dict(iteration=t) for t in (0, 3, 12, 25)],
                fixed=dict(X=X, history=steps), ncols=4)
inertia_at = [inertia(X, C, labels) for C, labels in steps]
n_bad = next((t for t in range(1, len(steps)) if (steps[t][1] == steps[t - 1][1]).all()), len(steps) - 1)
n_random = next((t for t in range(1, len(history)) if history[t] == history[t - 1]), len(history) - 1)
print(f"bad start: labels stop changing after {n_bad} steps (inertia {inertia_at[n_bad]:,.1f}) | "
      f"random start (section 1): after {n_random} steps (inertia {history[n_random]:,.1f})")

# %% [markdown]
# **Reading.** Follow the centres' paths: they leave the corner and spread out, but slowly. After 12
# steps two centres still share the bottom-left blob while one centre covers two blobs, and the
# inertia is still far above its final value. Only when that centre finally crosses over does the
# algorithm settle, in the same solution as section 1, many more steps later. Here a bad start cost
# iterations; on other data it costs a worse local minimum (next section).

# %% tags=["claim"]
assert n_bad > 2 * n_random, f"the bad start should need many more steps: {n_bad} vs {n_random}"
assert abs(inertia_at[n_bad] - history[-1]) < 1e-6 * history[-1], "both starts should end in the same solution here"
assert inertia_at[12] > 2 * inertia_at[n_bad], f"after 12 steps the bad start should still be far off: {inertia_at[12]:.1f}"
share = np.zeros((4, 4))
np.add.at(share, (y_true, steps[12][1]), 1)
share /= share.sum(1, keepdims=True)                 # row: true blob, column: cluster after 12 steps
assert ((share > 0.2).sum(1) >= 2).any(), f"some blob should be split between two centres:\n{share.round(2)}"
assert ((share > 0.2).sum(0) >= 2).any(), f"some centre should cover two blobs:\n{share.round(2)}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "kmeans-q-voronoi", "points": 1}
# **Question.** The Voronoi boundaries are straight lines. Why? (Compare two squared distances.)
#
# ### BEGIN SOLUTION
# A point x is on the boundary between centres $c_1$ and $c_2$ when
# $\lVert x - c_1\rVert^2 = \lVert x - c_2\rVert^2$. Expanding, the $\lVert x\rVert^2$ terms cancel and
# what is left, $2\,x\cdot(c_2 - c_1) = \lVert c_2\rVert^2 - \lVert c_1\rVert^2$, is linear in x: a
# straight line (a hyperplane in D dimensions), perpendicular to $c_2 - c_1$ and through the midpoint
# of the two centres. Each Voronoi region is an intersection of such half-planes, so it is convex.
# ### END SOLUTION

# %% [markdown]
# ## 3. Initialisation: k-means++ versus random
# Lloyd's algorithm only finds a local minimum, and which one depends on the start. **k-means++** picks
# the first centre uniformly at random among the points, and each next one among the points with
# probability proportional to $D(x)^2$, the squared distance from x to the nearest centre chosen so
# far. Far-away points are likely picks, so the centres start spread out.
#
# ### Exercise 3 (k-means++ probabilities)
# Write `kmeanspp_probs(X, C)`: for points `X` (N, D) and the centres chosen so far `C` (M, D), return
# a tensor of N probabilities, one per point, that sum to 1. A point that is already a centre gets
# probability 0. No Python loop over points.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "kmeans-pp-probs"}
def kmeanspp_probs(X, C):
    """k-means++: probability of each point to be the next centre: (N, D), (M, D) -> (N,)."""
    ### BEGIN SOLUTION
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1).min(dim=1).values   # (N,) to the nearest centre
    return d2 / d2.sum()
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "kmeans-pp-probs-test", "points": 2}
from labkit.checks import kmeans as checks01
checks01.kmeanspp_probs(kmeanspp_probs)
### BEGIN HIDDEN TESTS
assert checks01.kmeanspp_probs(kmeanspp_probs, seed=7)
### END HIDDEN TESTS

# %% [markdown]
# Your function is the whole of k-means++ seeding: draw the next centre with these probabilities, and
# repeat. Below, on 12 well-separated blobs, the inertia of the *starting* centres (before any Lloyd
# step) for random points and for your k-means++, over several seeds.

# %%
def kmeanspp_init(X, k, seed):
    """k starting centres: the first uniformly at random, each next one drawn with kmeanspp_probs."""
    g = torch.Generator().manual_seed(seed)
    C = X[torch.randint(len(X), (1,), generator=g)]
    while len(C) < k:
        C = torch.cat([C, X[torch.multinomial(kmeanspp_probs(X, C), 1, generator=g)]])
    return C


X12, _ = make_blobs(n_samples=3000, centers=12, cluster_std=0.6, center_box=(-15, 15), random_state=1)
X12t = torch.tensor(X12)
starts = {"random": [X12t[torch.randperm(3000, generator=torch.Generator().manual_seed(s))[:12]] for s in range(size.n_seeds)],
          "k-means++": [kmeanspp_init(X12t, 12, s) for s in range(size.n_seeds)]}
start_inertia = {name: [inertia(X12t, C, assign(X12t, C)) for C in Cs] for name, Cs in starts.items()}
for name, v in start_inertia.items():
    print(f"{name:10s} inertia of the starting centres: median {np.median(v):9.1f}")

# %% tags=["claim"]
assert np.median(start_inertia["k-means++"]) < 0.5 * np.median(start_inertia["random"]), f"k-means++ should start much lower: {start_inertia}"

# %% [markdown]
# A better start usually means a better end. Below: the *final* inertia after Lloyd's algorithm,
# with scikit-learn-style `KMeans(init=...)`, for both starts over the same number of seeds.

# %%
from labkit.cluster import KMeans
res = {init: [KMeans(12, init=init, n_init=1, random_state=s).fit(X12).inertia_ for s in range(size.n_seeds)]
       for init in ("random", "k-means++")}
fig, ax = plt.subplots(figsize=(5, 3))
ax.boxplot(list(res.values()))
ax.set_xticks([1, 2], list(res))
ax.set(ylabel="final inertia", title=f"{size.n_seeds} seeds each (lower is better)")
for k, v in res.items():
    print(f"{k:10s} best {min(v):9.1f}  worst {max(v):9.1f}  ({len(v)} seeds, this run)")
if cfg.fast:                      # full mode's seeds, shipped with labkit (no need to rerun them)
    from labkit.data.reference import reference_quantized
    ref_pictures, ref = reference_quantized()
    for k, r in ref.results["final_inertia_12_blobs"].items():
        print(f"{k:10s} best {r['best']:9.1f}  worst {r['worst']:9.1f}  ({ref.results['n_seeds']} seeds, "
              f"full-size reference, made by {ref.command})")

# %% [markdown]
# **Reading.** The random starts spread over a wide box, with a worst run several times the best;
# the k-means++ box is short and sits at the bottom, near the best inertia of all runs. Every run
# went on until the labels stopped changing: the difference is which local minimum the start led to.
# In fast mode the last two lines add full mode's 30 seeds: more seeds widen the random spread (its
# worst run ends more than seven times above the best), while k-means++ stays within 15% of the best.

# %% tags=["claim"]
assert max(res["k-means++"]) < max(res["random"]), f"k-means++'s worst run should beat random's worst: {res}"
assert np.median(res["k-means++"]) <= np.median(res["random"]), f"k-means++ should not be worse on median: {res}"
if cfg.fast:
    r_ref = ref.results["final_inertia_12_blobs"]
    assert r_ref["random"]["worst"] > 7 * r_ref["random"]["best"], f"reference: random should spread widely: {r_ref}"
    assert r_ref["k-means++"]["worst"] < 1.15 * r_ref["k-means++"]["best"], f"reference: k-means++ within 15%: {r_ref}"
assert max(res["random"]) > 2 * min(res["random"] + res["k-means++"]), f"some random run should end far above the best: {res}"

# %% [markdown]
# **Question.** Random init sometimes ends far above the best inertia. What does such a solution look
# like (two centres in one blob, one centre for two blobs)? What does `n_init=10` do about it?

# %% [markdown]
# ## 4. Choosing k: elbow and silhouette
# The inertia always falls as k grows (k = n gives 0), so it cannot choose k alone. Look for the **elbow**
# where adding a cluster stops paying off, or maximise the **silhouette** $(b - a)/\max(a, b)$, where a is
# the mean distance to the own cluster and b to the nearest other cluster.

# %%
from labkit.cluster import scan_k
X6, _ = make_blobs(n_samples=size.scan_n, centers=6, cluster_std=1.0, random_state=7)
scan = scan_k(X6, range(2, 11))
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].plot(scan["k"], scan["inertia"], "o-"); axes[0].set(xlabel="k", ylabel="inertia", title="elbow")
axes[1].plot(scan["k"], scan["silhouette"], "o-"); axes[1].set(xlabel="k", ylabel="mean silhouette", title="silhouette")
best_k = scan["k"][int(np.argmax(scan["silhouette"]))]
print("k with the best silhouette:", best_k, "(the data has 6 blobs)")

# %% [markdown]
# **Reading.** Left: the inertia falls steeply up to the number of blobs and almost flat after it;
# that bend is the elbow. Right: the silhouette peaks at the same k. Here both agree with the true
# number of blobs because the blobs are round and well separated.

# %% tags=["claim"]
drop = -np.diff(scan["inertia"])                       # drop[i]: from k = ks[i] to ks[i + 1]
i6 = scan["k"].index(6)
assert best_k == 6, f"the silhouette should pick the 6 blobs, got k = {best_k}"
assert drop[i6 - 1] > 5 * drop[i6], f"the elbow should be sharp at k = 6: drops {drop.round(0)}"

# %% [markdown]
# **Question.** Is the elbow sharp here? Would it be if the blobs overlapped more?

# %% [markdown]
# ## 5. Where k-means fails
# k-means assumes round clusters of similar size: every boundary is the perpendicular bisector of two
# centres. On **moons** (non-convex) and **anisotropic** (stretched) blobs it cuts the clusters the wrong
# way. The right tools: a graph-based method (spectral clustering, which groups points connected
# through chains of near neighbours) for the moons, and a Gaussian mixture with full covariances
# (each cluster an ellipse of its own shape and orientation) for the stretched blobs.
#
# The titles give the **adjusted Rand index** (ARI) against the true groups: the fraction of pairs of
# points on which two clusterings agree (same cluster or not), corrected for chance, so that 1 is the
# same grouping (whatever the cluster numbers) and about 0 is no better than random labels.

# %%
from sklearn.cluster import SpectralClustering
from sklearn.datasets import make_moons
from sklearn.mixture import GaussianMixture
from labkit.cluster import adjusted_rand
Xm, ym = make_moons(n_samples=500, noise=0.06, random_state=0)
Xa, ya = make_blobs(n_samples=600, centers=3, random_state=170)
Xa = Xa @ np.array([[0.6, -0.64], [-0.41, 0.85]])
cases = [("moons", Xm, ym, SpectralClustering(2, affinity="nearest_neighbors", random_state=0)),
         ("anisotropic", Xa, ya, GaussianMixture(3, covariance_type="full", random_state=0))]
fig, axes = plt.subplots(2, 2, figsize=(8, 7))
ari = {}
for row, (name, Xc, yc, right) in zip(axes, cases):
    for ax, model in zip(row, (KMeans(len(set(yc)), n_init=5, random_state=0), right)):
        lab = model.fit_predict(Xc)
        ari[name, type(model).__name__] = adjusted_rand(yc, lab)
        scatter2d(Xc, lab, ax=ax, legend=False, title=f"{name}: {type(model).__name__}\nARI {ari[name, type(model).__name__]:.2f}")
fig.tight_layout()

# %% [markdown]
# **Reading.** Left column: k-means cuts each moon with a straight boundary, and slices the stretched
# blobs across their long axis (it prefers round pieces of similar size), so its ARI is low. Right
# column: the graph-based method follows the moons and the mixture follows the ellipses; both
# recover the true groups. (scikit-learn may warn that the neighbour graph "is not fully connected":
# here that is the point, each moon is a piece of the graph of its own.)

# %% tags=["claim"]
for name in ("moons", "anisotropic"):
    km_ari, right_ari = ari[name, "KMeans"], max(v for (n, m), v in ari.items() if n == name and m != "KMeans")
    assert km_ari < 0.7 < 0.9 < right_ari, f"{name}: k-means should fail (ARI {km_ari:.2f}), the right tool succeed ({right_ari:.2f})"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "kmeans-q-anisotropic", "points": 1}
# **Question.** Would rescaling the features fix the anisotropic case for k-means? Which rescaling?
#
# ### BEGIN SOLUTION
# Not by scaling each feature separately: the blobs are stretched along a diagonal, so making the
# x and y axes comparable leaves them stretched. What works is undoing the linear map that stretched
# them: *whiten* the data with the (shared) within-cluster covariance $\Sigma$, i.e. map x to
# $\Sigma^{-1/2}x$, which makes every blob round again; in the original space this is k-means with the
# Mahalanobis distance. This needs $\Sigma$, which we do not know without the clusters (the mixture
# estimates it); whitening with the covariance of all the data mixes in the spread between the blobs
# and does not in general make them round.
# ### END SOLUTION

# %% [markdown]
# ## 6. Colour quantisation
# An image is a cloud of RGB points. k-means with k centres finds a palette of k colours; replacing every
# pixel by its centre compresses the image to $\log_2 k$ bits per pixel. The model is fitted on a
# random sample of pixels and then predicts all of them. Move the slider.

# %%
from labkit.cluster import load_image, quantize, render_quantized
image = load_image("china.jpg", stride=size.image_stride)
print("image", image.shape)
qview = SliderView(render_quantized, fixed=dict(image=image), title="colour quantisation",
                   k=int_slider("k (colours)", 2, 32, 8))
qview

# %%
if cfg.fast:
    static_grid(render_quantized, [dict(k=k) for k in (2, 4, 16)], fixed=dict(image=image), ncols=3,
                figsize_per=(5, 2.2))
q_error = {k: float(((quantize(image, k) - image) ** 2).sum(-1).mean()) for k in (2, 4, 8, 16, 32)}
print("mean squared colour error per pixel (the inertia / pixels):", {k: round(e, 4) for k, e in q_error.items()})

# %% [markdown]
# **Reading.** At k = 2 the image is a silhouette: one light colour for the sky and the hazy water,
# one dark colour for everything else. Each doubling of k adds detail, but the error printed above falls by less and
# less: the first colours pay off most.

# %% tags=["claim"]
errs = list(q_error.values())
assert all(b < a for a, b in zip(errs, errs[1:])), f"more colours should mean a smaller error: {q_error}"
assert errs[0] - errs[1] > errs[-2] - errs[-1], f"the gain from extra colours should shrink: {q_error}"

# %% [markdown]
# Fast mode uses every 6th pixel of each row and column, full mode every 2nd. In fast mode, below: the
# *full-size reference*: the same quantisation of the image at full mode's resolution (every 2nd pixel), computed
# once by `benchmarks/reference.py --only kmeans_image` and shipped with labkit.

# %%
if cfg.fast:
    fig, axes = plt.subplots(1, len(ref_pictures), figsize=(5 * len(ref_pictures), 2.9), layout="constrained")
    for ax, (k, q) in zip(axes, ref_pictures.items()):
        ax.imshow(q)
        ax.set_axis_off()
        ax.set_title(f"k = {k}: {q.shape[1]} x {q.shape[0]} pixels")
    fig.suptitle(f"full-size reference, made by {ref.command}")
    plt.show()
    for k in (2, 16):
        print(f"colour error at k = {k} | your image ({image.shape[1]} x {image.shape[0]}): {q_error[k]:.4f}; "
              f"full-size reference ({q.shape[1]} x {q.shape[0]}): {ref.results['q_error'][str(k)]:.4f}")

# %% [markdown]
# **Reading.** The error per pixel is nearly the same at both sizes: the palette depends on which
# colours cover the most pixels, and a sample of every 6th pixel has the same colours in the same
# proportions. What the bigger image adds is detail, not better colours: the roof lines of the pagoda
# and single trees, which the coarse fast-mode pixels blur together.

# %% tags=["claim"]
if cfg.fast:
    for k in (2, 16):
        e_ref = ref.results["q_error"][str(k)]
        assert abs(q_error[k] - e_ref) < 0.1 * e_ref, f"k = {k}: the error should hardly depend on the size: {q_error[k]:.4f} vs {e_ref:.4f}"

# %% [markdown]
# **Question.** Which colours survive at k = 2 and k = 4, and why those? (Each pixel counts once in
# the inertia: which colours cover the most pixels?)

# %% [markdown]
# ## 7. labkit versus scikit-learn
# `labkit.cluster.KMeans` is a scikit-learn estimator (it works in `Pipeline`, `GridSearchCV`, `clone`),
# computed in torch on the CPU or a GPU. Given the same initial centres, both run the same Lloyd
# iterations: the inertia must agree. One short timed comparison (a few seconds in fast mode, about
# 30 s at most in full mode on a CPU); `benchmarks/clustering.py` times more sizes.

# %%
import time
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

# %% [markdown]
# **Reading.** Compare the two inertias: they agree to a few parts per million (float32 rounding).
# Which one is faster depends on your hardware and how busy it is; on a GPU labkit's matrix products
# usually win by several times.

# %% tags=["claim"]
assert abs(lk.inertia_ - sk.inertia_) / sk.inertia_ < 1e-3, f"same start, same Lloyd steps: {lk.inertia_} vs {sk.inertia_}"

# %% [markdown]
# Inside, the assignment step computes $\lVert x\rVert^2 - 2\,x\cdot c + \lVert c\rVert^2$ as one matrix
# product per chunk of rows (so a million points fit in memory), and the update step adds points into
# their centre with `index_add_`. On the CPU, `KMeans` also skips the points that cannot have changed
# cluster (Hamerly's distance bounds) and settles near-ties exactly, so its labels are those of exact
# arithmetic.

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
