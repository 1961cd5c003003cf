"""Segmentation losses for notebook 03 (UNet): cross-entropy, soft Dice, and their sum.

Shapes: ``logits`` (N, K, H, W) float (raw scores, no softmax), ``target`` (N, H, W) int64 in
[0, K).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from labkit.segmentation.metrics import check_target

__all__ = [
    "check_logits_target",
    "cross_entropy",
    "soft_dice",
    "soft_dice_loss",
    "dice_ce_loss",
]


def check_logits_target(logits: torch.Tensor, target: torch.Tensor, num_classes: int | None = None):
    """ValueError naming the tensor and the expected shape/range if the pair does not fit."""
    if not isinstance(logits, torch.Tensor) or logits.ndim != 4 or not logits.is_floating_point():
        got = (
            f"{tuple(logits.shape)} {logits.dtype}"
            if isinstance(logits, torch.Tensor)
            else type(logits).__name__
        )
        raise ValueError(
            f"logits must be a float tensor of shape (N, num_classes, H, W); got {got}"
        )
    k = logits.shape[1]
    if num_classes is not None and k != num_classes:
        raise ValueError(
            f"logits must have shape (N, num_classes={num_classes}, H, W); "
            f"got {tuple(logits.shape)}"
        )
    check_target(target, k, "target")
    if target.shape != (logits.shape[0], *logits.shape[2:]):
        raise ValueError(
            f"target must have shape (N, H, W) = {(logits.shape[0], *logits.shape[2:])} to match "
            f"logits {tuple(logits.shape)}; got {tuple(target.shape)}"
        )


def cross_entropy(logits, target, weight=None) -> torch.Tensor:
    """Mean per-pixel cross-entropy -log softmax(logits)[target]."""
    check_logits_target(logits, target)
    return F.cross_entropy(logits, target, weight=weight)


def soft_dice(logits, target, eps: float = 1.0) -> torch.Tensor:
    """Per-class soft Dice (K,): (2 sum p_c t_c + eps) / (sum p_c + sum t_c + eps), sums over the
    batch and all pixels, p = softmax(logits), t = one-hot(target). ``eps`` keeps an empty class
    (no pixel in target or prediction) at Dice 1 with a finite gradient."""
    check_logits_target(logits, target)
    k = logits.shape[1]
    p = logits.softmax(1)  # (N, K, H, W)
    t = F.one_hot(target, k).permute(0, 3, 1, 2).to(p.dtype)  # (N, K, H, W)
    inter = (p * t).sum((0, 2, 3))  # (K,)
    denom = p.sum((0, 2, 3)) + t.sum((0, 2, 3))  # (K,)
    return (2 * inter + eps) / (denom + eps)


def soft_dice_loss(logits, target, eps: float = 1.0) -> torch.Tensor:
    """1 - mean over classes of the soft Dice: 0 for a perfect, confident prediction."""
    return 1 - soft_dice(logits, target, eps).mean()


def dice_ce_loss(logits, target, dice_weight: float = 1.0) -> torch.Tensor:
    """Cross-entropy + ``dice_weight`` * soft Dice loss (the usual pairing: CE for per-pixel
    calibration, Dice against the imbalance of small classes)."""
    return cross_entropy(logits, target) + dice_weight * soft_dice_loss(logits, target)
