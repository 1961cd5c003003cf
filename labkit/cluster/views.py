"""Render functions for the clustering labs (notebooks 01 and 02), one per slider view.

Each ``render_...`` is pure (data + slider values -> Figure), tested headlessly, and used with
``labkit.views.SliderView``. Slow fits are cached per slider value so moving a slider back is
instant.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

from labkit.viz import pyplot

__all__ = [
    "render_kmeans_step",
    "quantize",
    "render_quantized",
    "render_meanshift_bandwidth",
    "segment_features",
    "segment",
    "render_segmentation",
    "plot_trajectories",
    "load_image",
]


def load_image(name: str = "china.jpg", stride: int = 4) -> np.ndarray:
    """A scikit-learn sample image (``china.jpg`` or ``flower.jpg``), every ``stride``-th pixel,
    as floats in [0, 1], shape (H, W, 3)."""
    from sklearn.datasets import load_sample_image

    if stride < 1:
        raise ValueError(f"stride must be >= 1; got {stride}")
    return load_sample_image(name)[::stride, ::stride].astype(np.float64) / 255.0


def _regions(ax, centers, xlim, ylim, n=200):
    from labkit.cluster import assign_labels

    gx, gy = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    grid = np.c_[gx.ravel(), gy.ravel()]
    lab = assign_labels(grid, np.asarray(centers, dtype=np.float64)).numpy().reshape(n, n)
    ax.imshow(
        lab,
        extent=(*xlim, *ylim),
        origin="lower",
        cmap="tab10",
        vmin=0,
        vmax=9,
        alpha=0.18,
        interpolation="nearest",
        aspect="auto",
    )


def render_kmeans_step(X, history, iteration: int = 0, figsize=(5, 4.2)):
    """Lloyd's algorithm after ``iteration`` steps: points coloured by cluster, the Voronoi
    regions of the centres, the centres and their paths so far. ``history`` from
    ``labkit.cluster.lloyd_steps``."""
    plt = pyplot()
    X = np.asarray(X)
    t = int(np.clip(iteration, 0, len(history) - 1))
    C, labels = history[t]
    pad = 0.05 * (X.max(0) - X.min(0))
    xlim, ylim = (
        (X[:, 0].min() - pad[0], X[:, 0].max() + pad[0]),
        (X[:, 1].min() - pad[1], X[:, 1].max() + pad[1]),
    )
    fig, ax = plt.subplots(figsize=figsize)
    _regions(ax, C, xlim, ylim)
    ax.scatter(X[:, 0], X[:, 1], c=labels % 10, cmap="tab10", vmin=0, vmax=9, s=8, alpha=0.8)
    path = np.stack([h[0] for h in history[: t + 1]])  # (t+1, K, 2)
    for k in range(C.shape[0]):
        ax.plot(path[:, k, 0], path[:, k, 1], "-", color="k", lw=1, alpha=0.6)
    ax.scatter(
        C[:, 0], C[:, 1], marker="X", s=140, c="k", edgecolors="w", linewidths=1.5, label="centres"
    )
    inertia = float(((X - C[labels]) ** 2).sum())
    ax.set(
        xlim=xlim,
        ylim=ylim,
        xlabel="$x_1$",
        ylabel="$x_2$",
        title=f"iteration {t}: inertia {inertia:,.1f}",
    )
    ax.legend(loc="upper right", fontsize=8)
    return fig


@lru_cache(maxsize=64)
def _quantize_cached(key, k, n_fit, random_state):
    image = _IMAGES[key]
    from labkit.cluster import KMeans

    pixels = image.reshape(-1, 3)
    rs = np.random.RandomState(random_state)
    sample = pixels[rs.choice(len(pixels), min(n_fit, len(pixels)), replace=False)]
    km = KMeans(k, n_init=1, random_state=random_state, device="cpu").fit(sample)
    return km.cluster_centers_[km.predict(pixels)].reshape(image.shape)


_IMAGES: dict = {}


def _key(image) -> str:
    """The caches below are keyed by the image's content (shape, dtype, bytes), never by ``id()``:
    a new array at a recycled address, or an array changed in place, gets its own key."""
    image = np.ascontiguousarray(image)
    digest = hashlib.sha1(image.view(np.uint8).reshape(-1)).hexdigest()
    key = f"{image.shape}-{image.dtype}-{digest}"
    _IMAGES.setdefault(key, image.copy())
    return key


def quantize(image, k: int, n_fit: int = 5000, random_state: int = 0) -> np.ndarray:
    """Colour quantisation (notebook 01): k-means on ``n_fit`` random pixels (RGB), then every
    pixel replaced by its nearest centre. (H, W, 3) in [0, 1] -> (H, W, 3) with k colours."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must have shape (H, W, 3); got {image.shape}")
    return _quantize_cached(_key(image), int(k), int(n_fit), int(random_state))


def render_quantized(image, k: int = 8, n_fit: int = 5000, figsize=(8, 3.2)):
    """The image next to its k-colour version (notebook 01, section 6)."""
    plt = pyplot()
    q = quantize(image, k, n_fit)
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    axes[0].imshow(image)
    axes[0].set_title(f"original ({len(np.unique(image.reshape(-1, 3), axis=0)):,} colours)")
    axes[1].imshow(q)
    axes[1].set_title(f"k = {k} colours")
    for ax in axes:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


@lru_cache(maxsize=64)
def _meanshift_cached(key, bandwidth, bin_seeding):
    from labkit.cluster import MeanShift

    return MeanShift(bandwidth=bandwidth, bin_seeding=bin_seeding, device="cpu").fit(_IMAGES[key])


def render_meanshift_bandwidth(
    X, bandwidth: float = 1.0, bin_seeding: bool = False, figsize=(5, 4.2)
):
    """Mean shift with one bandwidth: points coloured by cluster, the modes found, and a circle of
    radius ``bandwidth`` (the flat kernel) around the first mode."""
    plt = pyplot()
    X = np.asarray(X)
    ms = _meanshift_cached(_key(X), float(bandwidth), bool(bin_seeding))
    C = ms.cluster_centers_
    fig, ax = plt.subplots(figsize=figsize)
    ax.scatter(X[:, 0], X[:, 1], c=ms.labels_ % 10, cmap="tab10", vmin=0, vmax=9, s=8, alpha=0.7)
    ax.scatter(C[:, 0], C[:, 1], marker="*", s=220, c="k", edgecolors="w", label="modes")
    ax.add_patch(plt.Circle(C[0], bandwidth, fill=False, ls="--", color="k", lw=1, label="kernel"))
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=f"bandwidth {bandwidth:.2f}: {len(C)} clusters")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def plot_trajectories(X, traj, ax=None, every: int = 1):
    """Seeds climbing the density (notebook 02): ``traj`` (T, M, 2) from
    ``labkit.cluster.mean_shift_trajectories``, drawn over the points."""
    plt = pyplot()
    X, traj = np.asarray(X), np.asarray(traj)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.2))
    ax.scatter(X[:, 0], X[:, 1], s=5, c="0.7", label="points")
    for m in range(0, traj.shape[1], every):
        ax.plot(traj[:, m, 0], traj[:, m, 1], "-", lw=1, color="C0", alpha=0.7)
    ax.scatter(traj[0, ::every, 0], traj[0, ::every, 1], s=12, c="C0", label="start")
    ax.scatter(
        traj[-1, ::every, 0],
        traj[-1, ::every, 1],
        s=60,
        marker="*",
        c="C3",
        label=f"after {len(traj) - 1} steps",
    )
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title="seeds climbing to the modes")
    ax.legend(fontsize=8)
    return ax


def segment_features(image, spatial: float = 0.5) -> np.ndarray:
    """Per-pixel features for segmentation (notebook 02): (r, g, b, spatial*row/S, spatial*col/S)
    with S = max(H, W). ``spatial=0`` clusters by colour only. (H, W, 3) -> (H*W, 5)."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must have shape (H, W, 3); got {image.shape}")
    H, W, _ = image.shape
    rows, cols = np.mgrid[0:H, 0:W] / max(H, W)
    return np.c_[image.reshape(-1, 3), spatial * rows.ravel(), spatial * cols.ravel()]


@lru_cache(maxsize=64)
def _segment_cached(key, bandwidth, spatial):
    from labkit.cluster import MeanShift

    image = _IMAGES[key]
    ms = MeanShift(bandwidth=bandwidth, bin_seeding=True, device="cpu").fit(
        segment_features(image, spatial)
    )
    labels = ms.labels_.reshape(image.shape[:2])
    colours = np.stack(
        [image.reshape(-1, 3)[ms.labels_ == k].mean(0) for k in range(len(ms.cluster_centers_))]
    )
    return labels, colours


def segment(image, bandwidth: float = 0.2, spatial: float = 0.5):
    """Mean-shift segmentation in (colour, position) space: labels (H, W) and the mean colour of
    each segment (K, 3). Seeds on a grid (``bin_seeding``) keep it fast."""
    return _segment_cached(_key(np.asarray(image)), float(bandwidth), float(spatial))


def render_segmentation(image, bandwidth: float = 0.2, spatial: float = 0.5, figsize=(8, 3.2)):
    """The image next to its mean-shift segmentation (each segment painted in its mean colour)."""
    plt = pyplot()
    labels, colours = segment(image, bandwidth, spatial)
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    axes[0].imshow(image)
    axes[0].set_title("original")
    axes[1].imshow(colours[labels])
    axes[1].set_title(f"bandwidth {bandwidth:.2f}: {len(colours)} segments")
    for ax in axes:
        ax.set_axis_off()
    fig.tight_layout()
    return fig
