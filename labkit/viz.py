"""Plots every lab shares: image grids, training curves, 2-D scatters, PNG export."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np
import torch

_STYLE = {
    "figure.figsize": (5, 3.5),
    "figure.dpi": 90,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
}


def use_style():
    """One plot style for the whole course (small figures, light grid)."""
    matplotlib.rcParams.update(_STYLE)


def pyplot():
    """``matplotlib.pyplot``, imported on first use (importing labkit stays light and leaves the
    backend alone). Every labkit figure gets pyplot from here."""
    import matplotlib.pyplot as plt

    return plt


def _as_images(images) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    x = x.detach().float().cpu()
    if x.ndim == 2:
        x = x[None, None]
    elif x.ndim == 3:
        x = x[:, None]  # (N, H, W) -> (N, 1, H, W)
    if x.ndim != 4:
        raise ValueError(
            f"images must have shape (N, C, H, W), (N, H, W) or (H, W); got {tuple(x.shape)}"
        )
    if x.shape[1] not in (1, 3):
        raise ValueError(
            f"images must have 1 or 3 channels in dim 1 (N, C, H, W); got shape {tuple(x.shape)}"
        )
    if torch.isnan(x).any():
        raise ValueError("images contain NaN: check the model output (did training diverge?)")
    return x


def image_grid(images, nrow: int = 8, padding: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """(N, C, H, W) tensor in [0, 1] -> (H', W', 3) numpy grid (torchvision ``make_grid``)."""
    from torchvision.utils import make_grid

    x = _as_images(images).clamp(0, 1)
    g = make_grid(x, nrow=nrow, padding=padding, pad_value=pad_value)
    return g.permute(1, 2, 0).numpy()


def show_images(images, nrow: int = 8, title: str | None = None, ax=None, scale: float = 0.6):
    """Show a batch of images as one grid; returns the Axes."""
    plt = pyplot()
    grid = image_grid(images, nrow)
    if ax is None:
        h, w = grid.shape[:2]
        _, ax = plt.subplots(figsize=(max(2, scale * w / 28), max(1.5, scale * h / 28)))
    ax.imshow(grid, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_history(history, keys=None, ax=None, logy=False, title="training curves"):
    """Per-epoch curves from a ``labkit.train.History`` (or any dict of lists)."""
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots()
    keys = keys or [k for k, v in history.items() if len(v)]
    for k in keys:
        v = history[k]
        ax.plot(np.arange(1, len(v) + 1), v, marker="o", ms=3, label=k)
    ax.set_xlabel("epoch")
    ax.set_ylabel("value")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    ax.set_title(title)
    return ax


def scatter2d(X, y=None, ax=None, title=None, s=8, cmap="tab10", legend=True, alpha=0.8):
    """2-D scatter, coloured by integer labels ``y`` if given."""
    plt = pyplot()
    X = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"scatter2d wants points of shape (N, 2); got {X.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    if y is None:
        ax.scatter(X[:, 0], X[:, 1], s=s, alpha=alpha)
    else:
        y = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y)
        sc = ax.scatter(X[:, 0], X[:, 1], c=y, s=s, cmap=cmap, alpha=alpha)
        if legend and len(np.unique(y)) <= 12:
            ax.legend(*sc.legend_elements(), fontsize=7, markerscale=0.7, loc="best")
    if title:
        ax.set_title(title)
    ax.set_aspect("equal", adjustable="datalim")
    return ax


def fig_to_png(fig, dpi: int | None = None) -> bytes:
    """Render a matplotlib Figure to PNG bytes and close it (no stacked figures)."""
    plt = pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def save_png(fig, path) -> Path:
    """Save a figure to PNG (e.g. to look at a notebook's figures outside Jupyter)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fig_to_png(fig))
    return path
