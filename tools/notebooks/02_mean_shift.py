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
# 1. explain mean shift as hill climbing on a kernel density estimate, and implement one step and
#    the merge of the modes;
# 2. see how the bandwidth sets the number of clusters;
# 3. compare mean shift and k-means when the number of clusters is unknown;
# 4. segment an image in (colour, position) space, and use `labkit.cluster.MeanShift` (torch, CPU or
#    GPU) as a drop-in for scikit-learn's, many times faster. (In fast mode scikit-learn runs with
#    `n_jobs=None`: starting worker processes costs more than it saves on a few hundred points.)

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
# scikit-learn's side of section 7 stays under about 30 s in full mode (its time grows faster than n)
size = labkit.by_mode(fast=dict(image_stride=12, cmp_pixels=400, scale_n=(100, 200, 400), sk_jobs=None),
                      full=dict(image_stride=4, cmp_pixels=2000, scale_n=(1000, 2000, 3000), sk_jobs=2))

# %% [markdown]
# ## 1. Kernel density and climbing to the mode
# A kernel density estimate puts a small bump $K$ of width $h$ (the bandwidth) on every point:
# $\hat p(x) \propto \frac1n \sum_i K\big(\lVert x - x_i \rVert / h\big)$. Its gradient points to the
# local **mean** of the data around $x$: for the flat kernel (used by scikit-learn: $K = 1$ inside
# distance $h$, 0 outside) the new position is simply the mean of the points within distance $h$,
#
# $$x \leftarrow m(x) = \frac{\sum_{i:\ \lVert x_i - x\rVert \le h} x_i}{\#\{i: \lVert x_i - x\rVert \le h\}} ,$$
#
# and the *mean-shift vector* $m(x) - x$ is a gradient step of the density (Comaniciu & Meer, 2002). Repeating
# it climbs to a mode. The figure below draws the density with a Gaussian bump, which gives a smooth
# picture with the same peaks.

# %%
from labkit.cluster import kernel_density
X, y_true = make_blobs(n_samples=500, centers=[[0, 0], [4, 4], [5, -1]], cluster_std=[1.0, 0.7, 0.6],
                       random_state=0)
X = torch.tensor(X)
gx, gy = np.meshgrid(np.linspace(-4, 8, 120), np.linspace(-4, 7, 110))
dens = kernel_density(X, np.c_[gx.ravel(), gy.ravel()], bandwidth=0.8).reshape(gx.shape)
fig, ax = plt.subplots(figsize=(5, 4))
ax.contourf(gx, gy, dens, levels=15, cmap="Blues")
ax.scatter(X[:, 0], X[:, 1], s=4, c="k", alpha=0.5)
ax.set(xlabel="$x_1$", ylabel="$x_2$", title="kernel density estimate (h = 0.8)")
plt.show()

# %% [markdown]
# **Reading.** Darker is denser. Each blob of points makes one peak of the estimate; between the
# blobs the density falls almost to zero. These peaks are what mean shift will find.
#
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
assert checks02.step(shift_step, seeds=(5, 6, 7))
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Seeds climbing the density
# Start from every 12th point of the data and apply your step 15 times with bandwidth 1.5. Every path
# goes uphill and ends on a mode.

# %%
from labkit.cluster import mean_shift_trajectories, plot_trajectories
S = X[::12].clone()
path = [S]
for _ in range(15):
    path.append(shift_step(X, path[-1], 1.5))
traj = torch.stack(path).numpy()                              # (16, M, 2)
ref = mean_shift_trajectories(X, S, 1.5, n_steps=15)        # labkit's version of the same paths
print("your paths agree with labkit's:", np.allclose(traj, ref))
ax = plot_trajectories(X, traj)
ax.contour(gx, gy, dens, levels=8, colors="0.5", linewidths=0.5)
plt.show()
last_move = np.linalg.norm(traj[-1] - traj[-2], axis=1).max()
ends, n_per_end = np.unique(traj[-1].round(1), axis=0, return_counts=True)
print(f"{len(S)} seeds; largest move in the last step: {last_move:.2g}")
print("distinct end points (rounded to 0.1):", len(ends), "| seeds per end point:", n_per_end.tolist())

# %% [markdown]
# **Reading.** The long first steps shrink as the seeds approach a peak, and every seed of a blob ends
# on its blob's star: the last step moves nothing, so the paths have converged. Yet the count of
# distinct end points above can exceed three: seeds of one blob can stop a hair apart, because a flat
# window that holds slightly different points has a slightly different mean. Section 3's merge
# removes such near-duplicates.

# %% tags=["claim"]
assert np.allclose(traj, ref), "the paths of shift_step and of labkit's mean_shift_trajectories differ"
assert last_move < 1e-3 * 1.5, f"the seeds should have converged after 15 steps; last move {last_move:.3g}"
assert len(ends) >= 3, f"three blobs should give at least three end points, got {len(ends)}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "meanshift-q-stopping", "points": 1}
# **Question.** Why do the steps get shorter near a mode? What does this mean for the stopping rule
# (scikit-learn stops a seed when it moves less than 1e-3 x bandwidth)?
#
# ### BEGIN SOLUTION
# The step is the mean-shift vector, which points up the density and is proportional to its slope.
# Near a mode the window's points surround the seed almost evenly, their mean is almost the seed
# itself, and the slope goes to zero, so the steps get short. With a smooth (Gaussian) kernel they
# shrink towards zero without ever reaching it, so "stop when the move is 0" would never fire; with
# the flat kernel a seed stops exactly once its window's content stops changing, but may take many
# tiny steps first. A threshold relative to the bandwidth stops every seed once its moves are far
# below the scale at which two modes are told apart (one bandwidth), so stopping there changes no
# cluster; `max_iter` bounds the rest.
# ### END SOLUTION

# %% [markdown]
# ## 3. Merging the modes
# Many seeds climb to the same peak, and seeds of one peak can stop a little apart. Mean shift
# therefore merges its end points: visit them **strongest first** (the *intensity* of a mode is the
# number of points within one bandwidth of it) and keep a mode only if no mode already kept lies
# within one bandwidth of it. Every point is then labelled by its nearest kept mode.
#
# ### Exercise 2 (merge the modes)
# Write `merge_modes(modes, intensity, bandwidth)`: `modes` (M, D), `intensity` (M,). Return the kept
# modes, shape (K, D), strongest first. A mode that was itself dropped removes nothing.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "meanshift-merge"}
def merge_modes(modes, intensity, bandwidth):
    """Greedy merge, strongest first: (M, D), (M,) -> (K, D) kept modes."""
    ### BEGIN SOLUTION
    kept = []
    for i in torch.argsort(intensity, descending=True).tolist():
        if all(float((modes[i] - modes[j]).norm()) > bandwidth for j in kept):
            kept.append(i)
    return modes[kept]
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "meanshift-merge-test", "points": 2}
checks02.merge(merge_modes)
### BEGIN HIDDEN TESTS
assert checks02.merge(merge_modes, seeds=(5, 6, 7))
### END HIDDEN TESTS

# %% [markdown]
# Merge the end points of section 2 (intensity: the number of points within one bandwidth):

# %%
ends_t = torch.tensor(traj[-1])
intensity = (torch.cdist(ends_t, X) <= 1.5).sum(1).double()
modes = merge_modes(ends_t, intensity, 1.5)
print(f"{len(ends_t)} end points -> {len(modes)} modes:")
print(modes.numpy().round(2))

# %% [markdown]
# One mode per blob, near the blob centres used to make the data: (0, 0), (4, 4) and (5, -1).

# %% tags=["claim"]
assert len(modes) == 3, f"merging should leave one mode per blob (3), got {len(modes)}"
true_centres = torch.tensor([[0.0, 0.0], [4.0, 4.0], [5.0, -1.0]], dtype=modes.dtype)
assert torch.cdist(true_centres, modes).min(1).values.max() < 0.5, "each blob centre should have a mode nearby"

# %% [markdown]
# ## 4. The bandwidth decides the number of clusters
# `labkit.cluster.MeanShift` shifts every point, merges the modes as you just did, and labels every
# point by its nearest mode. A small bandwidth sees every bump of the density; a large one smooths
# them into one. The dashed circle is the kernel. Move the slider (in JupyterLab or Colab).

# %%
from labkit.cluster import render_meanshift_bandwidth
from labkit.views import SliderView, float_slider, static_grid
Xn = X.numpy()
bview = SliderView(render_meanshift_bandwidth, fixed=dict(X=Xn), title="mean shift bandwidth",
                   bandwidth=float_slider("bandwidth", 0.3, 6.0, 1.5, step=0.1))
bview

# %% [markdown]
# The same view at four bandwidths, side by side:

# %%
bandwidths = (0.5, 1.0, 2.0, 5.0)
from labkit.cluster import MeanShift
static_grid(render_meanshift_bandwidth, [dict(bandwidth=b) for b in bandwidths], fixed=dict(X=Xn), ncols=4)
plt.show()
n_clusters = [len(MeanShift(bandwidth=b).fit(Xn).cluster_centers_) for b in bandwidths]
print("bandwidth:", bandwidths, "-> clusters:", n_clusters)

# %% [markdown]
# **Reading.** At the smallest bandwidth a window holds only a few points, so every small clump of
# noise is a mode and the blobs shatter into many clusters. Around 2 the three blobs come out; at 5
# one window covers all the data and everything is one cluster.

# %% tags=["claim"]
assert all(a >= b for a, b in zip(n_clusters, n_clusters[1:])), f"clusters should not increase with bandwidth: {n_clusters}"
assert n_clusters[0] > 3 and n_clusters[2] == 3 and n_clusters[-1] == 1, f"expected many / 3 / 1 clusters: {n_clusters}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "meanshift-q-bandwidth", "points": 1}
# **Question.** Picture the number of clusters as a function of the bandwidth. Where is it flat, and
# why is a flat stretch a good sign?
#
# ### BEGIN SOLUTION
# It falls from about one cluster per point (tiny bandwidth) to one cluster (bandwidth as large as the
# data). It is flat over the range of bandwidths that are larger than the bumps inside a blob but
# smaller than the gaps between blobs. A long flat stretch means the answer does not hinge on the exact
# bandwidth: the clusters are well separated and the number is a property of the data, not of the knob.
# ### END SOLUTION

# %% [markdown]
# ## 5. When the number of clusters is unknown: mean shift versus k-means
# Five blobs of different sizes. k-means must be told k; a wrong guess splits or merges blobs.
# Mean shift with `estimate_bandwidth` (the mean distance from a point to its k-th nearest neighbour,
# k = quantile x n; here quantile 0.1) finds the number by itself. Each title gives the **adjusted Rand
# index** (ARI) against the true blobs: 1 = the same partition, about 0 = no better than chance.

# %%
from labkit.cluster import KMeans, adjusted_rand, estimate_bandwidth
X5, y5 = make_blobs(n_samples=[300, 200, 150, 100, 60], centers=[[0, 0], [6, 0], [3, 5], [9, 6], [-4, 6]],
                    cluster_std=[1.0, 0.8, 0.7, 0.6, 0.5], random_state=2)
bw = estimate_bandwidth(X5, quantile=0.1)
ms = MeanShift(bandwidth=bw).fit(X5)
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
ari_km = {}
for ax, k in zip(axes[:2], (3, 8)):
    lab = KMeans(k, n_init=5, random_state=0).fit_predict(X5)
    ari_km[k] = adjusted_rand(y5, lab)
    scatter2d(X5, lab, ax=ax, legend=False, title=f"k-means, k = {k}: ARI {ari_km[k]:.2f}")
ari_ms = adjusted_rand(y5, ms.labels_)
scatter2d(X5, ms.labels_, ax=axes[2], legend=False,
          title=f"mean shift, bw = {bw:.2f}: {len(ms.cluster_centers_)} clusters, ARI {ari_ms:.2f}")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Reading.** With k = 3, k-means has to put two pairs of blobs into shared clusters; with k = 8 it
# cuts the two large blobs into pieces. Mean shift finds the five blobs, small ones included, and
# scores the highest ARI of the three.

# %% tags=["claim"]
assert len(ms.cluster_centers_) == 5, f"mean shift should find the 5 blobs, found {len(ms.cluster_centers_)}"
assert ari_ms > max(ari_km.values()), f"mean shift should beat both k-means guesses: {ari_ms:.3f} vs {ari_km}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "meanshift-q-k-or-bandwidth", "points": 1}
# **Question.** Mean shift did not need k, but it needed a bandwidth. Which is easier to choose, and why?
#
# ### BEGIN SOLUTION
# The bandwidth is usually easier: it is a length in the units of the data ("how far apart must two
# groups be to count as separate"), it can be estimated from the data (nearest-neighbour distances, as
# `estimate_bandwidth` does), and a range of values gives the same answer (the flat stretch of section 4).
# k is exactly the unknown we want to discover. But one global bandwidth fails when clusters have very
# different spreads: then no single value separates the tight clusters without shattering the wide ones.
# ### END SOLUTION

# %% [markdown]
# ## 6. Image segmentation in (colour, position) space
# Each pixel becomes a point $(r, g, b, s\cdot\text{row}/S, s\cdot\text{col}/S)$, with $S$ the image's
# longer side and $s$ the *spatial weight*: mean shift then groups pixels that are similar in colour
# *and* close in the image.
#
# ### Exercise 3 (pixel features)
# Write `pixel_features(image, spatial)`: for an `(H, W, 3)` array with colours in [0, 1] return an
# `(H*W, 5)` array, one row per pixel in row-major order (row by row, each row left to right): the
# pixel's r, g, b, then `spatial` x its row / S and `spatial` x its column / S, with S = max(H, W).
# Dividing both coordinates by the same length keeps a step down as long as a step across.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "meanshift-features"}
def pixel_features(image, spatial):
    """(H, W, 3) image -> (H*W, 5) features (r, g, b, spatial*row/S, spatial*col/S), S = max(H, W)."""
    ### BEGIN SOLUTION
    H, W, _ = image.shape
    rows, cols = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")   # (H, W) each
    S = max(H, W)
    return np.column_stack([image.reshape(-1, 3), spatial * rows.ravel() / S, spatial * cols.ravel() / S])
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "meanshift-features-test", "points": 2}
checks02.features(pixel_features)
### BEGIN HIDDEN TESTS
assert checks02.features(pixel_features, seed=3)
assert checks02.features(pixel_features, seed=4)
### END HIDDEN TESTS

# %% [markdown]
# `labkit.cluster.segment` builds the same features and runs `MeanShift` on them, with seeds
# on a grid (`bin_seeding=True`) to keep it fast. Move the bandwidth: small gives many small
# segments, large gives a few big ones.

# %%
from labkit.cluster import load_image, render_segmentation, segment
image = load_image("china.jpg", stride=size.image_stride)
feats = pixel_features(image, 0.5)
print("image", image.shape, "-> features", feats.shape)
sview = SliderView(render_segmentation, fixed=dict(image=image, spatial=0.5), title="mean shift segmentation",
                   bandwidth=float_slider("bandwidth", 0.08, 0.4, 0.2, step=0.02))
sview

# %%
static_grid(render_segmentation, [dict(bandwidth=b) for b in (0.2, 0.3)],
            fixed=dict(image=image, spatial=0.5), ncols=2, figsize_per=(5, 2.2))
plt.show()
n_segments = {b: len(segment(image, b, 0.5)[1]) for b in (0.2, 0.3)}
print("segments per bandwidth:", n_segments)

# %% [markdown]
# **Reading.** Each segment is painted in its mean colour. At 0.2 the sky, the pale haze over the
# water, the dark pagoda and the trees fall into different segments; at 0.3 the windows are wide
# enough to swallow most of them, and only two large segments are left: the sky with the hazy water,
# and everything else.

# %% tags=["claim"]
assert n_segments[0.2] > n_segments[0.3], f"a larger bandwidth should give fewer segments: {n_segments}"
assert n_segments[0.3] == 2, f"at 0.3 only two segments should be left: {n_segments}"

# %% [markdown]
# Fast mode segments every 12th pixel of each row and column, full mode every 4th. In fast mode,
# below: the *full-size reference*, the same segmentation at full mode's resolution, computed once by
# `benchmarks/reference.py --only meanshift_image` and shipped with labkit.

# %%
if cfg.fast:
    from labkit.data.reference import reference_segmented
    ref_segments, ref = reference_segmented()
    fig, axes = plt.subplots(1, len(ref_segments), figsize=(5 * len(ref_segments), 2.9), layout="constrained")
    for ax, (b, (labels, colours)) in zip(axes, ref_segments.items()):
        ax.imshow(colours[labels])
        ax.set_axis_off()
        ax.set_title(f"bandwidth {b:.2f}: {len(colours)} segments, {labels.shape[1]} x {labels.shape[0]} pixels")
    fig.suptitle(f"full-size reference, made by {ref.command}")
    plt.show()
    for b in (0.2, 0.3):
        print(f"segments at bandwidth {b} | your image ({image.shape[1]} x {image.shape[0]}): {n_segments[b]}; "
              f"full-size reference ({labels.shape[1]} x {labels.shape[0]}): {ref.results['n_segments'][str(b)]}")

# %% [markdown]
# **Reading.** At full resolution the segment borders follow the roof edges and the tree line instead of
# coarse blocks, and bandwidth 0.2 gives fewer segments than in fast mode: small groups of a few
# coarse pixels with an unusual colour, such as the orange highlights on the pagoda, no longer make
# segments of their own. At 0.3 both sizes end with the same two segments: the sky with the water, and the rest.

# %% tags=["claim"]
if cfg.fast:
    n_ref = {b: ref.results["n_segments"][str(b)] for b in (0.2, 0.3)}
    assert n_ref[0.2] > n_ref[0.3], f"reference: a larger bandwidth should give fewer segments: {n_ref}"
    assert n_ref[0.2] < n_segments[0.2], f"at 0.2 the reference should have fewer segments: {n_ref} vs {n_segments}"
    assert n_ref[0.3] == n_segments[0.3] == 2, f"at 0.3 both should have two segments: {n_ref} vs {n_segments}"

# %% [markdown]
# **Question.** What happens with `spatial=0` (colour only)? Try it: are the segments still connected regions?

# %% [markdown]
# ## 7. labkit versus scikit-learn
# `labkit.cluster.MeanShift` runs the same algorithm with the same stopping rule and the same merge, so
# the clusters must agree (ARI between the two labelings = 1.0, identical partitions). Inside, all seeds
# move at once; on the CPU in 2-3 dimensions a grid restricts each group of seeds to the points that can
# be within one bandwidth, and seeds that have stopped leave the batch. One short timed comparison:
# blobs of growing size, and a sample of the image's pixel colours. (Larger sizes, up to 20,000
# points, are measured by the benchmark `benchmarks/clustering.py`; the plot below adds its results.)

# %%
import time
from sklearn.cluster import MeanShift as SKMeanShift
from sklearn.cluster import estimate_bandwidth as sk_estimate_bandwidth
rng = np.random.RandomState(0)
pixels = image.reshape(-1, 3)[rng.permutation(image.shape[0] * image.shape[1])[:size.cmp_pixels]]
runs = [("blobs", make_blobs(n_samples=n, centers=6, cluster_std=0.8, random_state=0)[0], 0.2) for n in size.scale_n]
times, aris = {"sklearn": [], "labkit": []}, []
for name, data, q in runs + [("image colours", pixels, 0.1)]:
    bw = sk_estimate_bandwidth(data, quantile=q, n_samples=3000, random_state=0)
    t = time.perf_counter(); sk = SKMeanShift(bandwidth=bw, n_jobs=size.sk_jobs).fit(data); t_sk = time.perf_counter() - t
    t = time.perf_counter(); lk = MeanShift(bandwidth=bw).fit(data); t_lk = time.perf_counter() - t
    aris.append(adjusted_rand(sk.labels_, lk.labels_))
    times["sklearn"].append(t_sk); times["labkit"].append(t_lk)
    print(f"{name:14s} n={len(data):6,d} | sklearn {t_sk:6.2f} s, {len(sk.cluster_centers_)} clusters | "
          f"labkit {t_lk:5.2f} s, {len(lk.cluster_centers_)} clusters | {t_sk / t_lk:5.1f}x faster, ARI {aris[-1]:.3f}")

# %% [markdown]
# Every row should show the same number of clusters on both sides and ARI 1.000. How do both times
# grow with n?

# %% tags=["claim"]
assert min(aris) > 0.99, f"labkit and scikit-learn should find the same clusters: ARI {aris}"
speedup = times["sklearn"][len(runs) - 1] / times["labkit"][len(runs) - 1]
assert speedup > 3, f"labkit should be several times faster on the largest blobs, got {speedup:.1f}x"

# %%
import json
from pathlib import Path
bench_file = Path("../benchmarks/results/clustering.json")       # in a clone of the course repository
bench = [r for r in json.loads(bench_file.read_text())["results"] if r["task"].startswith("MeanShift blobs")] \
    if bench_file.exists() else []
bench_n = [int(r["task"].split()[2].split("x")[0]) for r in bench]   # "MeanShift blobs 2500x2" -> 2500
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for (name, ts), c in zip(times.items(), ("C0", "C1")):
    ax.loglog(size.scale_n, ts[:len(runs)], "o-", color=c, label=f"{name} (this run)")
    if bench:
        ax.loglog(bench_n, [r[f"{name}_s"] for r in bench], "s--", color=c, mfc="none", label=f"{name} (benchmark)")
ax.set(xlabel="number of points n", ylabel="fit time (s)", title="mean shift on blobs: time versus n")
ax.legend(fontsize=8)
plt.show()
for r in bench:
    print(f"benchmark {r['task']:24s}: sklearn {r['sklearn_s']:6.1f} s, labkit {r['labkit_s']:5.2f} s, ARI {r['ari']:.2f}")
if not bench:
    print("benchmark results not found: they are in the course repository, benchmarks/results/clustering.json")

# %% [markdown]
# **Reading.** scikit-learn's time grows steadily with n: it moves one seed at a time, and every seed
# queries its neighbours. labkit's line sits far below it at every size; at small n its time is mostly
# fixed overhead, so it grows more slowly there than across the benchmark's larger sizes.

# %% [markdown]
# **Question.** Why must mean shift with every point as a seed cost at least quadratic time in n
# (per iteration, without a spatial index), and what does `bin_seeding=True` change?

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
