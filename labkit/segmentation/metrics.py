"""Segmentation metrics for notebook 03 (UNet): confusion matrix, per-class IoU, mean IoU,
pixel accuracy, and a ``metrics=`` callback for ``labkit.train.fit``.

Shapes: ``pred`` is a class map (N, H, W) int64 or logits (N, K, H, W) (argmax taken);
``target`` is (N, H, W) int64 with values in [0, K).
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "check_target",
    "as_class_map",
    "confusion_matrix",
    "iou_per_class",
    "mean_iou",
    "pixel_accuracy",
    "evaluate",
    "segmentation_metrics",
    "boundary_mask",
    "error_by_region",
]


def check_target(target: torch.Tensor, num_classes: int, name: str = "target") -> torch.Tensor:
    """Raise ValueError unless ``target`` is an integer (N, H, W) mask with values in
    [0, num_classes)."""
    if not isinstance(target, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of class indices (N, H, W), got {type(target).__name__}"
        )
    if target.is_floating_point() or target.dtype == torch.bool:
        raise ValueError(
            f"{name} must hold integer class indices (int64), got dtype {target.dtype}. "
            f"Fix: {name}.long() (if it holds class indices, not one-hot or probabilities)"
        )
    if target.ndim != 3:
        raise ValueError(
            f"{name} must have shape (N, H, W) (one class index per pixel); "
            f"got {tuple(target.shape)}"
        )
    if target.numel():
        lo, hi = int(target.min()), int(target.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(
                f"{name} has class indices in [{lo}, {hi}], but num_classes={num_classes}: "
                f"values must be in [0, {num_classes - 1}]"
            )
    return target


def as_class_map(pred: torch.Tensor, num_classes: int, name: str = "pred") -> torch.Tensor:
    """Logits (N, K, H, W) -> argmax (N, H, W); a class map is checked and returned."""
    if not isinstance(pred, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(pred).__name__}")
    if pred.ndim == 4:
        if pred.shape[1] != num_classes:
            raise ValueError(
                f"{name} logits must have shape (N, num_classes={num_classes}, H, W); "
                f"got {tuple(pred.shape)}"
            )
        return pred.argmax(1)
    return check_target(pred, num_classes, name)


def confusion_matrix(pred, target, num_classes: int) -> torch.Tensor:
    """(K, K) int64 counts: rows = true class, columns = predicted class."""
    target = check_target(target, num_classes)
    pred = as_class_map(pred, num_classes)
    if pred.shape != target.shape:
        raise ValueError(
            f"pred has shape {tuple(pred.shape)} but target has {tuple(target.shape)}; "
            "they must match (N, H, W)"
        )
    idx = (target.reshape(-1) * num_classes + pred.reshape(-1).to(target.device)).long()
    return torch.bincount(idx, minlength=num_classes**2).reshape(num_classes, num_classes).cpu()


def _iou_from_cm(cm: torch.Tensor) -> torch.Tensor:
    cm = cm.double()
    inter = cm.diag()
    union = cm.sum(0) + cm.sum(1) - inter
    return torch.where(union > 0, inter / union.clamp_min(1), torch.full_like(inter, math.nan))


def iou_per_class(pred, target, num_classes: int) -> torch.Tensor:
    """IoU_c = |pred == c and target == c| / |pred == c or target == c|, (K,) float64;
    NaN for a class absent from both (it does not count in the mean)."""
    return _iou_from_cm(confusion_matrix(pred, target, num_classes))


def mean_iou(pred, target, num_classes: int) -> float:
    """Mean of the per-class IoU over the classes present in pred or target."""
    return float(torch.nanmean(iou_per_class(pred, target, num_classes)))


def pixel_accuracy(pred, target, num_classes: int | None = None) -> float:
    """Fraction of pixels whose predicted class equals the true class."""
    k = (
        num_classes
        if num_classes is not None
        else (pred.shape[1] if pred.ndim == 4 else int(max(int(pred.max()), int(target.max())) + 1))
    )
    cm = confusion_matrix(pred, target, k)
    return float(cm.diag().sum() / cm.sum().clamp_min(1))


@torch.no_grad()
def evaluate(model, loader, num_classes: int, class_names=None, device=None) -> dict:
    """Run ``model`` over ``loader`` of (image, mask) batches; returns
    ``{'miou', 'pixel_acc', 'iou_<class>'...}`` from one confusion matrix over the whole set."""
    was = model.training
    model.eval()
    device = device or next(model.parameters()).device
    cm = torch.zeros(num_classes, num_classes, dtype=torch.long)
    for x, y in loader:
        cm += confusion_matrix(model(x.to(device)), y.to(device), num_classes)
    model.train(was)
    iou = _iou_from_cm(cm)
    names = class_names or [str(c) for c in range(num_classes)]
    out = {
        "miou": float(torch.nanmean(iou)),
        "pixel_acc": float(cm.diag().sum() / cm.sum().clamp_min(1)),
    }
    out.update({f"iou_{n}": float(v) for n, v in zip(names, iou)})
    return out


def segmentation_metrics(num_classes: int, class_names=None):
    """A ``metrics=`` callback for ``labkit.train.fit``: ``(model, val_loader) -> dict``."""

    def metrics(model, loader):
        return evaluate(model, loader, num_classes, class_names)

    return metrics


def boundary_mask(target: torch.Tensor, width: int = 1) -> torch.Tensor:
    """(N, H, W) bool: pixels within ``width`` pixels of a different class (object outlines)."""
    t = target.float()[:, None]  # (N, 1, H, W)
    k = 2 * width + 1
    hi = torch.nn.functional.max_pool2d(t, k, stride=1, padding=width)
    lo = -torch.nn.functional.max_pool2d(-t, k, stride=1, padding=width)
    return (hi != lo)[:, 0]


def error_by_region(pred, target, num_classes: int, width: int = 1) -> dict:
    """Pixel error rate on object outlines (``boundary``) and away from them (``interior``):
    where a model loses detail, the boundary error grows first."""
    target = check_target(target, num_classes)
    wrong = as_class_map(pred, num_classes) != target
    edge = boundary_mask(target, width)
    return {
        "boundary": float(wrong[edge].float().mean()) if edge.any() else math.nan,
        "interior": float(wrong[~edge].float().mean()) if (~edge).any() else math.nan,
        "boundary_share": float(edge.float().mean()),
    }
