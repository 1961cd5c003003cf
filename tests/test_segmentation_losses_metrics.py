"""Segmentation losses and metrics against hand-computed values; bad input; empty-mask gradients."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from labkit.segmentation.losses import (
    cross_entropy,
    dice_ce_loss,
    soft_dice,
    soft_dice_loss,
)
from labkit.segmentation.metrics import (
    confusion_matrix,
    evaluate,
    iou_per_class,
    mean_iou,
    pixel_accuracy,
    segmentation_metrics,
)

# a 1 x 3 x 3 example, 3 classes; computed by hand below
TARGET = torch.tensor([[[0, 0, 1], [0, 1, 1], [2, 2, 1]]])
PRED = torch.tensor([[[0, 1, 1], [0, 1, 1], [0, 2, 2]]])


def test_confusion_matrix_by_hand():
    cm = confusion_matrix(PRED, TARGET, 3)
    # rows = true, cols = predicted
    want = torch.tensor(
        [
            [2, 1, 0],  # true 0: (0,0)->0 (0,1)->1 (1,0)->0
            [0, 3, 1],  # true 1: (0,2)->1 (1,1)->1 (1,2)->1 (2,2)->2
            [1, 0, 1],
        ]
    )  # true 2: (2,0)->0 (2,1)->2
    assert torch.equal(cm, want)


def test_iou_by_hand():
    iou = iou_per_class(PRED, TARGET, 3)
    # class 0: inter 2, pred 3, true 3 -> 2 / 4; class 1: 3 / (4 + 4 - 3) = 3/5;
    # class 2: 1 / (2 + 2 - 1) = 1/3
    np.testing.assert_allclose(iou.numpy(), [2 / 4, 3 / 5, 1 / 3])
    assert mean_iou(PRED, TARGET, 3) == pytest.approx((0.5 + 0.6 + 1 / 3) / 3)
    assert pixel_accuracy(PRED, TARGET, 3) == pytest.approx(6 / 9)


def test_iou_matches_sklearn_jaccard():
    from sklearn.metrics import jaccard_score

    g = torch.Generator().manual_seed(0)
    t = torch.randint(0, 4, (3, 7, 5), generator=g)
    p = torch.randint(0, 4, (3, 7, 5), generator=g)
    ref = jaccard_score(t.flatten().numpy(), p.flatten().numpy(), average=None, labels=range(4))
    np.testing.assert_allclose(iou_per_class(p, t, 4).numpy(), ref)
    assert mean_iou(p, t, 4) == pytest.approx(ref.mean())


def test_absent_class_is_nan_and_skipped_in_mean():
    t = torch.zeros(1, 2, 2, dtype=torch.long)
    p = torch.zeros(1, 2, 2, dtype=torch.long)
    iou = iou_per_class(p, t, 3)
    assert iou[0] == 1 and math.isnan(iou[1]) and math.isnan(iou[2])
    assert mean_iou(p, t, 3) == 1.0


def test_logits_accepted_as_pred():
    logits = F.one_hot(PRED, 3).permute(0, 3, 1, 2).float() * 5
    assert mean_iou(logits, TARGET, 3) == pytest.approx(mean_iou(PRED, TARGET, 3))


def test_cross_entropy_by_hand():
    logits = torch.tensor([[[[2.0]], [[0.0]]]])  # (1, 2, 1, 1)
    t = torch.tensor([[[0]]])
    assert float(cross_entropy(logits, t)) == pytest.approx(
        -math.log(math.exp(2) / (math.exp(2) + 1))
    )


def test_soft_dice_by_hand():
    # 2 classes, 2 pixels; probabilities p = softmax([a, 0]) chosen via logits
    logits = torch.tensor(
        [[[[0.0, math.log(3.0)]], [[0.0, 0.0]]]]
    )  # p0 = [0.5, 0.75], p1 = [0.5, 0.25]
    t = torch.tensor([[[0, 1]]])  # one-hot t0 = [1, 0], t1 = [0, 1]
    d = soft_dice(logits, t, eps=0.0)
    # class 0: 2 * 0.5 / (1.25 + 1) ; class 1: 2 * 0.25 / (0.75 + 1)
    np.testing.assert_allclose(d.numpy(), [1.0 / 2.25, 0.5 / 1.75], rtol=1e-6)
    assert float(soft_dice_loss(logits, t, eps=0.0)) == pytest.approx(
        1 - (1 / 2.25 + 0.5 / 1.75) / 2
    )


def test_dice_perfect_prediction_is_near_zero_and_ce_dice_sum():
    logits = F.one_hot(TARGET, 3).permute(0, 3, 1, 2).float() * 30
    assert float(soft_dice_loss(logits, TARGET)) < 1e-6
    logits = torch.randn(2, 3, 4, 4)
    t = torch.randint(0, 3, (2, 4, 4))
    assert float(dice_ce_loss(logits, t)) == pytest.approx(
        float(cross_entropy(logits, t) + soft_dice_loss(logits, t))
    )
    assert float(dice_ce_loss(logits, t, 0.5)) == pytest.approx(
        float(cross_entropy(logits, t) + 0.5 * soft_dice_loss(logits, t))
    )


def test_dice_gradient_finite_at_empty_masks():
    # class 1 and 2 never appear in the target; all-background target
    logits = torch.zeros(2, 3, 5, 5, requires_grad=True)
    t = torch.zeros(2, 5, 5, dtype=torch.long)
    soft_dice_loss(logits, t).backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
    # even with eps = 0 and saturated logits the loss stays finite where some class is present
    logits = torch.full((1, 2, 3, 3), -50.0, requires_grad=True)
    soft_dice_loss(logits, torch.zeros(1, 3, 3, dtype=torch.long)).backward()
    assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize("fn", [cross_entropy, soft_dice_loss, dice_ce_loss])
def test_bad_input_messages(fn):
    logits = torch.randn(2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"target has class indices in \[5, 5\].*num_classes=3"):
        fn(logits, torch.full((2, 4, 4), 5))
    with pytest.raises(ValueError, match=r"target.*\[0, 2\]"):
        fn(logits, torch.full((2, 4, 4), -1))
    with pytest.raises(
        ValueError, match=r"logits must be a float tensor of shape \(N, num_classes, H, W\)"
    ):
        fn(torch.randn(3, 4, 4), torch.zeros(2, 4, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"target must hold integer class indices"):
        fn(logits, torch.zeros(2, 4, 4))
    with pytest.raises(ValueError, match=r"target must have shape \(N, H, W\) = \(2, 4, 4\)"):
        fn(logits, torch.zeros(2, 5, 4, dtype=torch.long))


def test_metric_bad_input():
    with pytest.raises(ValueError, match=r"target has class indices in \[1, 3\].*num_classes=3"):
        mean_iou(PRED, TARGET + 1, 3)
    with pytest.raises(ValueError, match=r"pred logits must have shape \(N, num_classes=3, H, W\)"):
        mean_iou(torch.randn(1, 4, 3, 3), TARGET, 3)
    with pytest.raises(ValueError, match="must match"):
        mean_iou(PRED[:, :2], TARGET, 3)


def test_evaluate_over_loader():
    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return F.one_hot(PRED.expand(len(x), -1, -1), 3).permute(0, 3, 1, 2).float()

    loader = [(torch.zeros(1, 3, 3, 3), TARGET), (torch.zeros(1, 3, 3, 3), TARGET)]
    out = segmentation_metrics(3, ["bg", "a", "b"])(Fixed(), loader)
    assert out["miou"] == pytest.approx((0.5 + 0.6 + 1 / 3) / 3)
    assert out["iou_b"] == pytest.approx(1 / 3) and out["pixel_acc"] == pytest.approx(6 / 9)
    assert evaluate(Fixed(), loader, 3)["iou_0"] == pytest.approx(0.5)
