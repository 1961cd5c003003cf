"""Interactive views for notebook 03 (UNet): browse validation predictions with a slider.

``render_prediction(index, images, masks, preds, classes)`` is the pure render function (tested
headlessly); ``prediction_browser(...)`` wraps it in a :class:`labkit.views.SliderView`.
"""

from __future__ import annotations

import torch

from labkit.views import SliderView, int_slider

__all__ = ["render_prediction", "prediction_browser", "BROWSER_TITLE", "SLIDER_DESCRIPTION"]

BROWSER_TITLE = "UNet predictions on validation images"
SLIDER_DESCRIPTION = "validation image"


def render_prediction(index: int, images, masks, preds, classes, extra: dict | None = None):
    """One validation image: image | ground truth | prediction | errors (red), titled with its
    mIoU and pixel accuracy. ``extra``: more prediction rows, e.g. ``{"no skips": preds2}``."""
    import matplotlib.pyplot as plt

    from labkit.segmentation.metrics import mean_iou, pixel_accuracy
    from labkit.segmentation.plots import class_legend, error_overlay, mask_to_rgb

    n = len(images)
    if not 0 <= index < n:
        raise ValueError(f"index must be in [0, {n - 1}], got {index}")
    rows = {"UNet": preds, **(extra or {})}
    k = len(classes)
    fig, axes = plt.subplots(len(rows), 4, figsize=(8, 2.2 * len(rows) + 0.4), squeeze=False)
    img, truth = images[index], masks[index]
    for r, (name, p) in enumerate(rows.items()):
        pred = p[index]
        miou = mean_iou(torch.as_tensor(pred)[None], torch.as_tensor(truth)[None], k)
        acc = pixel_accuracy(torch.as_tensor(pred)[None], torch.as_tensor(truth)[None], k)
        panels = [
            img.permute(1, 2, 0).clamp(0, 1).cpu().numpy(),
            mask_to_rgb(truth),
            mask_to_rgb(pred),
            error_overlay(img, pred, truth),
        ]
        titles = [
            "image",
            "ground truth",
            f"{name}: mIoU {miou:.2f}",
            f"errors: {100 * (1 - acc):.1f}% of pixels",
        ]
        for ax, panel, title in zip(axes[r], panels, titles):
            ax.imshow(panel, interpolation="nearest")
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(f"validation image {index}", fontsize=10)
    class_legend(fig, classes)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def prediction_browser(
    images, masks, preds, classes, extra: dict | None = None, index: int = 0
) -> SliderView:
    """A slider over validation images showing image / ground truth / prediction / errors."""
    return SliderView(
        render_prediction,
        title=BROWSER_TITLE,
        fixed=dict(images=images, masks=masks, preds=preds, classes=classes, extra=extra),
        index=int_slider(SLIDER_DESCRIPTION, 0, len(images) - 1, index),
    )
