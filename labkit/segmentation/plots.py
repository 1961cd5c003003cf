"""Segmentation figures for notebook 03 (UNet): coloured masks, image / ground truth / prediction /
error panels, the skip ablation side by side, feature maps at each depth.

Shapes: images (N, 3, H, W) float [0, 1]; masks and predictions (N, H, W) int64 class indices.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = [
    "PALETTE",
    "mask_to_rgb",
    "error_overlay",
    "class_legend",
    "show_segmentation",
    "show_ablation",
    "show_feature_maps",
]

# background dark grey, then distinct colours (colour-blind friendly order of tab10)
PALETTE = np.array(
    [
        [0.20, 0.20, 0.20],
        [0.90, 0.37, 0.0],
        [0.0, 0.62, 0.45],
        [0.0, 0.45, 0.70],
        [0.94, 0.89, 0.26],
        [0.80, 0.47, 0.65],
        [0.34, 0.71, 0.91],
        [0.6, 0.6, 0.6],
    ]
)


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def mask_to_rgb(mask) -> np.ndarray:
    """Class map (H, W) -> colours (H, W, 3) from ``PALETTE``."""
    m = _np(mask).astype(int)
    if m.ndim != 2:
        raise ValueError(f"mask must have shape (H, W); got {m.shape}")
    if m.min() < 0 or m.max() >= len(PALETTE):
        raise ValueError(
            f"mask values must be in [0, {len(PALETTE) - 1}] to be coloured; "
            f"got [{m.min()}, {m.max()}]"
        )
    return PALETTE[m]


def error_overlay(image, pred, target) -> np.ndarray:
    """The image in grey with wrong pixels in red: (3, H, W), (H, W), (H, W) -> (H, W, 3)."""
    img = _np(image).transpose(1, 2, 0)
    grey = np.repeat(img.mean(-1, keepdims=True), 3, -1) * 0.6 + 0.2
    wrong = _np(pred) != _np(target)
    grey[wrong] = [1.0, 0.1, 0.1]
    return grey


def class_legend(fig, classes, ncol=None):
    from matplotlib.patches import Patch

    handles = [Patch(color=PALETTE[i], label=c) for i, c in enumerate(classes)]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=ncol or len(classes),
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, -0.02),
    )


def _iou_text(pred, target, k):
    from labkit.segmentation.metrics import mean_iou

    return f"mIoU {mean_iou(torch.as_tensor(pred)[None], torch.as_tensor(target)[None], k):.2f}"


def show_segmentation(images, masks, preds=None, classes=None, n: int = 6, scale: float = 1.6):
    """Grid with one column per image and rows image / ground truth / prediction / errors
    (the last two when ``preds`` is given). Returns the Figure."""
    import matplotlib.pyplot as plt

    n = min(n, len(images))
    k = len(classes) if classes else int(_np(masks).max()) + 1
    rows = ["image", "ground truth"] + (["prediction", "errors (red)"] if preds is not None else [])
    fig, axes = plt.subplots(
        len(rows), n, figsize=(scale * n, scale * len(rows) + 0.4), squeeze=False
    )
    for j in range(n):
        panels = [_np(images[j]).transpose(1, 2, 0).clip(0, 1), mask_to_rgb(masks[j])]
        if preds is not None:
            panels += [mask_to_rgb(preds[j]), error_overlay(images[j], preds[j], masks[j])]
        for i, p in enumerate(panels):
            ax = axes[i, j]
            _panel(ax, p, rows[i] if j == 0 else None)
        if preds is not None:
            axes[2, j].set_title(_iou_text(preds[j], masks[j], k), fontsize=8)
    if classes:
        class_legend(fig, classes)
    fig.tight_layout(rect=(0, 0.04 if classes else 0, 1, 1))
    return fig


def _panel(ax, img, ylabel=None):
    """One image cell of a segmentation grid: no ticks, the row name on the first column."""
    ax.imshow(img, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=9)


def show_ablation(images, masks, preds_by_name: dict, classes, n: int = 6, scale: float = 1.6):
    """Rows: image, ground truth, then one row of predictions per model (e.g. with / without
    skips), each titled with that image's mIoU. Returns the Figure."""
    import matplotlib.pyplot as plt

    n = min(n, len(images))
    k = len(classes)
    rows = ["image", "ground truth"] + list(preds_by_name)
    fig, axes = plt.subplots(
        len(rows), n, figsize=(scale * n, scale * len(rows) + 0.4), squeeze=False
    )
    for j in range(n):
        panels = [_np(images[j]).transpose(1, 2, 0).clip(0, 1), mask_to_rgb(masks[j])]
        panels += [mask_to_rgb(p[j]) for p in preds_by_name.values()]
        for i, p in enumerate(panels):
            ax = axes[i, j]
            _panel(ax, p, rows[i] if j == 0 else None)
            if i >= 2:
                ax.set_title(
                    _iou_text(list(preds_by_name.values())[i - 2][j], masks[j], k), fontsize=8
                )
    class_legend(fig, classes)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def show_feature_maps(feats: dict, n_channels: int = 6, keys=None, scale: float = 1.2):
    """One row per level ('enc0', ..., 'bottleneck', ..., 'dec0'), the ``n_channels`` most active
    channels of the first image in the batch, each normalised to its own range. Returns the
    Figure."""
    import matplotlib.pyplot as plt

    keys = keys or [k for k in feats if k != "logits"]
    fig, axes = plt.subplots(
        len(keys), n_channels, figsize=(scale * n_channels, scale * len(keys)), squeeze=False
    )
    for i, key in enumerate(keys):
        f = feats[key][0].detach().cpu()  # (C, h, w)
        order = f.flatten(1).std(1).argsort(descending=True)[:n_channels]
        for j in range(n_channels):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j < len(order):
                ax.imshow(f[order[j]].numpy(), cmap="viridis", interpolation="nearest")
            if j == 0:
                ax.set_ylabel(f"{key}\n{tuple(f.shape)}", fontsize=7)
    fig.suptitle("feature maps (most varied channels), first image", fontsize=9)
    fig.tight_layout()
    return fig
