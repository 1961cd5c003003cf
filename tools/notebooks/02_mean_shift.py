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
# # Lab 02 · Mean Shift
#
# k-means needs k. **Mean shift** does not: it estimates the density of the data and lets every point
# climb to a peak (a *mode*) of that density; points that reach the same mode form one cluster. The
# only knob is the **bandwidth**, the size of the kernel.
#
# **Objectives.** After this lab you can
# 1. explain mean shift as hill climbing on a kernel density estimate, and implement one step;
# 2. see how the bandwidth sets the number of clusters;
# 3. compare mean shift and k-means when the number of clusters is unknown;
# 4. segment an image in (colour, position) space, and use `labkit.cluster.MeanShift` (torch, CPU or
#    GPU) as a drop-in for scikit-learn's, many times faster. (In fast mode scikit-learn runs with `n_jobs=None`: starting worker processes costs more than it saves on a few hundred points.)

# %%
import labkit
cfg = labkit.setup(seed=0)

# %%
import time
import numpy as np
import torch
import matplotlib.pyplot as plt
from sklearn.datasets import make_blobs
from labkit.viz import use_style, scatter2d
from labkit.cluster import (KMeans, MeanShift, estimate_bandwidth, kernel_density,
                            mean_shift_trajectories)
from labkit.metrics.clustering import adjusted_rand
from labkit.widgets import SliderView, float_slider, static_grid
from labkit.widgets.cluster import (render_meanshift_bandwidth, render_segmentation, plot_trajectories,
                                    load_image, segment_features)
use_style()
size = labkit.by_mode(fast=dict(image_stride=12, cmp_n=600, cmp_pixels=600, scale_n=(150, 300, 600), sk_jobs=None),
                      full=dict(image_stride=4, cmp_n=20_000, cmp_pixels=17_000, scale_n=(2500, 5000, 10_000), sk_jobs=2))

# %% [markdown]
# ## 1. Kernel density and climbing to the mode
# A kernel density estimate puts a small bump $K$ of width $h$ (the bandwidth) on every point:
# $\hat p(x) \propto \frac1n \sum_i K\big(\lVert x - x_i \rVert / h\big)$. Its gradient points to the
# local **mean** of the data around $x$: for the flat kernel (used by scikit-learn) the new position is
# simply the mean of the points within distance $h$,
#
# $$x \leftarrow m(x) = \frac{\sum_{i:\ \lVert x_i - x\rVert \le h} x_i}{\#\{i: \lVert x_i - x\rVert \le h\}} ,$$
#
# and the *mean-shift vector* $m(x) - x$ is a gradient step of the density (Comaniciu & Meer, 2002). Repeating
# it climbs to a mode.

# %%
X, y_true = make_blobs(n_samples=500, centers=[[0, 0], [4, 4], [5, -1]], cluster_std=[1.0, 0.7, 0.6],
                       random_state=0)
X = torch.tensor(X)
gx, gy = np.meshgrid(np.linspace(-4, 8, 120), np.linspace(-4, 7, 110))
dens = kernel_density(X, np.c_[gx.ravel(), gy.ravel()], bandwidth=0.8).reshape(gx.shape)
fig, ax = plt.subplots(figsize=(5, 4))
ax.contourf(gx, gy, dens, levels=15, cmap="Blues")
ax.scatter(X[:, 0], X[:, 1], s=4, c="k", alpha=0.5)
ax.set(xlabel="$x_1$", ylabel="$x_2$", title="kernel density estimate (h = 0.8)")


# %% [markdown]
# ### Exercise 1 (one mean-shift step)
# Write `shift_step(X, S, bandwidth)`: for every seed (row of `S`, shape (M, D)) return its new position,
# the mean of the points of `X` within distance `bandwidth` (distance <= bandwidth). A seed with no point
# that close stays where it is. All seeds at once: no Python loop.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "meanshift-step"}
def shift_step(X, S, bandwidth):
    """One flat-kernel mean-shift step for all seeds: (N, D), (M, D) -> (M, D)."""
    ### BEGIN SOLUTION
    inside = (torch.cdist(S, X) <= bandwidth).to(X.dtype)   # (M, N) 1 if x within the window
    counts = inside.sum(1, keepdim=True)                    # (M, 1)
    means = inside @ X / counts.clamp(min=1)
    return torch.where(counts > 0, means, S)
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "meanshift-step-test", "points": 3}
from labkit.checks import meanshift as checks02
checks02.step(shift_step)
### BEGIN HIDDEN TESTS
checks02.step(shift_step, seeds=(5, 6, 7))
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Seeds climbing the density
# Start from 40 points and apply your step again and again. Every path goes uphill and ends on a mode;
# the three blobs give three end points.

# %%
S = X[::12].clone()
path = [S]
for _ in range(15):
    path.append(shift_step(X, path[-1], 1.5))
traj = torch.stack(path).numpy()                              # (16, M, 2)
ref = mean_shift_trajectories(X, S, 1.5, n_steps=15)        # labkit's version agrees
assert np.allclose(traj, ref)
ax = plot_trajectories(X, traj)
ax.contour(gx, gy, dens, levels=8, colors="0.5", linewidths=0.5)
print("distinct end points (rounded):", len(np.unique(traj[-1].round(1), axis=0)))

# %% [markdown]
# **Question.** Why do the steps get shorter near a mode? What does this mean for the stopping rule (scikit-learn stops a seed when it moves less than 1e-3 x bandwidth)?

# %% [markdown]
# ## 3. The bandwidth decides the number of clusters
# `MeanShift` shifts every point, then merges modes closer than one bandwidth (the strongest first, as
# scikit-learn does) and labels every point by its nearest mode. A small bandwidth sees every bump of the
# density; a large one smooths them into one. The dashed circle is the kernel.

# %%
Xn = X.numpy()
bview = SliderView(render_meanshift_bandwidth, fixed=dict(X=Xn), title="mean shift bandwidth",
                   bandwidth=float_slider("bandwidth", 0.3, 6.0, 1.5, step=0.1))
bview

# %%
before = bview.image.value
bview.controls["bandwidth"].value = 0.6
assert bview.image.value != before
if cfg.fast:
    static_grid(render_meanshift_bandwidth, [dict(bandwidth=b) for b in (0.5, 1.0, 2.0, 5.0)],
                fixed=dict(X=Xn), ncols=4)

# %% [markdown]
# **Question.** Plot (in your head) the number of clusters against the bandwidth. Where is it flat, and why is a flat stretch a good sign?

# %% [markdown]
# ## 4. When the number of clusters is unknown: mean shift versus k-means
# Five blobs of different sizes. k-means must be told k; a wrong guess splits or merges blobs.
# Mean shift with `estimate_bandwidth` (the mean distance from a point to its k-th nearest neighbour,
# k = quantile x n; here quantile 0.1) finds the number by itself.

# %%
X5, y5 = make_blobs(n_samples=[300, 200, 150, 100, 60], centers=[[0, 0], [6, 0], [3, 5], [9, 6], [-4, 6]],
                    cluster_std=[1.0, 0.8, 0.7, 0.6, 0.5], random_state=2)
bw = estimate_bandwidth(X5, quantile=0.1)
ms = MeanShift(bandwidth=bw).fit(X5)
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
for ax, k in zip(axes[:2], (3, 8)):
    lab = KMeans(k, n_init=5, random_state=0).fit_predict(X5)
    scatter2d(X5, lab, ax=ax, legend=False, title=f"k-means, k = {k}: ARI {adjusted_rand(y5, lab):.2f}")
scatter2d(X5, ms.labels_, ax=axes[2], legend=False,
          title=f"mean shift, bw = {bw:.2f}: {len(ms.cluster_centers_)} clusters, ARI {adjusted_rand(y5, ms.labels_):.2f}")
fig.tight_layout()

# %% [markdown]
# **Question.** Mean shift did not need k, but it needed a bandwidth. Which is easier to choose, and why?

# %% [markdown]
# ## 5. Image segmentation in (colour, position) space
# Each pixel becomes a point $(r, g, b, s\cdot\text{row}, s\cdot\text{col})$: mean shift groups pixels that
# are similar in colour *and* close in the image. Seeds are placed on a grid (`bin_seeding=True`) to keep
# it fast. Move the bandwidth: small gives many small segments, large gives a few big ones.

# %%
image = load_image("china.jpg", stride=size.image_stride)
feats = segment_features(image, spatial=0.5)
print("image", image.shape, "-> features", feats.shape)
sview = SliderView(render_segmentation, fixed=dict(image=image, spatial=0.5), title="mean shift segmentation",
                   bandwidth=float_slider("bandwidth", 0.08, 0.4, 0.2, step=0.02))
sview

# %%
before = sview.image.value
sview.controls["bandwidth"].value = 0.3
assert sview.image.value != before
if cfg.fast:
    static_grid(render_segmentation, [dict(bandwidth=b) for b in (0.2, 0.3)],
                fixed=dict(image=image, spatial=0.5), ncols=2, figsize_per=(5, 2.2))

# %% [markdown]
# **Question.** What happens with `spatial=0` (colour only)? Try it: are the segments still connected regions?

# %% [markdown]
# ## 6. labkit versus scikit-learn
# `labkit.cluster.MeanShift` runs the same algorithm with the same stopping rule and the same merge, so
# the clusters must agree (adjusted Rand index 1.0 = identical partitions). Inside, all seeds move at
# once; on the CPU in 2-3 dimensions a grid restricts each group of seeds to the points that can be
# within one bandwidth, and seeds that have stopped leave the batch.

# %%
from sklearn.cluster import MeanShift as SKMeanShift
from sklearn.cluster import estimate_bandwidth as sk_estimate_bandwidth
rng = np.random.RandomState(0)
pixels = image.reshape(-1, 3)[rng.permutation(image.shape[0] * image.shape[1])[:size.cmp_pixels]]
blobs, _ = make_blobs(n_samples=size.cmp_n, centers=6, cluster_std=0.8, random_state=0)
for name, data, q in (("blobs", blobs, 0.2), ("image colours", pixels, 0.1)):
    bw = sk_estimate_bandwidth(data, quantile=q, n_samples=3000, random_state=0)
    t = time.perf_counter(); sk = SKMeanShift(bandwidth=bw, n_jobs=size.sk_jobs).fit(data); t_sk = time.perf_counter() - t
    t = time.perf_counter(); lk = MeanShift(bandwidth=bw).fit(data); t_lk = time.perf_counter() - t
    ari = adjusted_rand(sk.labels_, lk.labels_)
    print(f"{name:14s} n={len(data):6,d} | sklearn {t_sk:6.2f} s, {len(sk.cluster_centers_)} clusters | "
          f"labkit {t_lk:5.2f} s, {len(lk.cluster_centers_)} clusters | {t_sk / t_lk:4.1f}x faster, ARI {ari:.3f}")
    assert ari > 0.99

# %% [markdown]
# How do both scale with n? (The benchmark `benchmarks/clustering.py` measures up to 20,000 points.)

# %%
times = {"sklearn": [], "labkit": []}
for n in size.scale_n:
    data = make_blobs(n_samples=n, centers=6, cluster_std=0.8, random_state=0)[0]
    bw = sk_estimate_bandwidth(data, quantile=0.2, random_state=0)
    for name, model in (("sklearn", SKMeanShift(bandwidth=bw, n_jobs=size.sk_jobs)), ("labkit", MeanShift(bandwidth=bw))):
        t = time.perf_counter(); model.fit(data); times[name].append(time.perf_counter() - t)
fig, ax = plt.subplots(figsize=(5, 3))
for name, ts in times.items():
    ax.loglog(size.scale_n, ts, "o-", label=name)
ax.set(xlabel="number of points n", ylabel="fit time (s)", title="mean shift: time versus n")
ax.legend()

# %% [markdown]
# **Question.** Both curves grow faster than linearly. Why must mean shift with every point as a seed be at least quadratic, and what does `bin_seeding=True` change?

# %% [markdown]
# ## Summary
# - Mean shift climbs the kernel density estimate: each step moves a seed to the mean of its window.
# - The modes are the clusters; their number follows from the bandwidth, not from a k chosen in advance.
# - Merging (strongest mode first, suppress within one bandwidth) and nearest-mode labelling finish the job.
# - In (colour, position) space the same algorithm segments images.
#
# ## Questions
# 1. With a Gaussian kernel (`MeanShift(kernel="gaussian")`) every point pulls every seed. What changes
#    in the result and in the cost?
# 2. Why is mean shift hard in high dimensions (think about how many points fall in a ball of fixed radius)?
# 3. k-means is a special case of a "mean of the points assigned to me" update too. What is the key
#    difference between the two algorithms' windows?
# 4. How would you choose the spatial weight for segmentation of a new image?
