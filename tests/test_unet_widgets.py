"""Segmentation figures (labkit.segmentation.plots) and the prediction slider
(labkit.segmentation.views), headless."""

import numpy as np
import pytest
import torch

from labkit.data.segmentation import shapes_splits
from labkit.segmentation.plots import (
    PALETTE,
    error_overlay,
    mask_to_rgb,
    show_ablation,
    show_feature_maps,
    show_segmentation,
)
from labkit.segmentation.unet import UNet, one_cycle_adam, predict_dataset
from labkit.segmentation.views import (
    BROWSER_TITLE,
    SLIDER_DESCRIPTION,
    prediction_browser,
    render_prediction,
)
from labkit.views import to_png


@pytest.fixture(scope="module")
def small():
    torch.manual_seed(0)
    _, val = shapes_splits(2, 6, size=16, seed=0)
    net = UNet(3, val.num_classes, base_channels=4, depth=2)
    images, masks, preds = predict_dataset(net, val, batch_size=4)
    return val, net, images, masks, preds


def test_mask_to_rgb_and_errors():
    m = torch.tensor([[0, 1], [2, 4]])
    rgb = mask_to_rgb(m)
    assert rgb.shape == (2, 2, 3) and np.allclose(rgb[0, 1], PALETTE[1])
    with pytest.raises(ValueError, match="mask values"):
        mask_to_rgb(torch.tensor([[99]]))
    over = error_overlay(
        torch.rand(3, 2, 2), torch.tensor([[0, 1], [2, 4]]), torch.tensor([[0, 1], [2, 0]])
    )
    assert np.allclose(over[1, 1], [1.0, 0.1, 0.1]) and not np.allclose(over[0, 0], [1.0, 0.1, 0.1])


def test_predict_dataset(small):
    val, net, images, masks, preds = small
    assert images.shape == (6, 3, 16, 16) and masks.shape == preds.shape == (6, 16, 16)
    assert torch.equal(masks, val.masks) and net.training  # mode restored


def test_figures_render(small):
    val, net, images, masks, preds = small
    assert len(to_png(show_segmentation(images, masks, classes=val.classes, n=3))) > 1000
    assert len(to_png(show_segmentation(images, masks, preds, classes=val.classes, n=3))) > 1000
    assert (
        len(to_png(show_ablation(images, masks, {"a": preds, "b": preds}, val.classes, n=2))) > 1000
    )
    feats = net.eval().features(images[:1])
    fig = show_feature_maps(feats, n_channels=3)
    assert len(fig.axes) == 3 * (len(feats) - 1)
    to_png(fig)


def test_render_and_slider(small):
    val, _, images, masks, preds = small
    png0 = to_png(render_prediction(0, images, masks, preds, val.classes))
    png1 = to_png(render_prediction(1, images, masks, preds, val.classes, extra={"other": preds}))
    assert png0[:4] == b"\x89PNG" and png0 != png1
    with pytest.raises(ValueError, match=r"index must be in \[0, 5\]"):
        render_prediction(6, images, masks, preds, val.classes)
    view = prediction_browser(images, masks, preds, val.classes)
    assert view.controls["index"].description == SLIDER_DESCRIPTION and BROWSER_TITLE
    before = view.image.value
    view.controls["index"].value = 3
    assert view.image.value != before and view.n_renders == 2


def test_one_cycle_adam_schedule():
    net = torch.nn.Linear(2, 1)
    opt = one_cycle_adam(net, 0.1, total_steps=10)
    assert opt.param_groups[0]["lr"] < 0.01  # warm-up starts low
    lrs = []
    for _ in range(12):  # stepping past the end must not raise
        opt.zero_grad()
        net(torch.ones(1, 2)).sum().backward()
        opt.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert max(lrs) == pytest.approx(0.1, rel=0.05) and lrs[-1] < 0.01 and lrs[0] < 0.1
