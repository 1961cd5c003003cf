"""The prediction browser of notebook 03, built as the notebook builds it: moving the slider changes
the picture (this assert used to sit in the notebook)."""

import torch

from labkit.data.segmentation import shapes_splits
from labkit.segmentation.unet import UNet, predict_dataset
from labkit.segmentation.views import prediction_browser


def test_prediction_browser_changes_with_the_slider():
    torch.manual_seed(0)
    _, val = shapes_splits(2, 8, size=16, seed=0)
    net = UNet(3, val.num_classes, base_channels=4, depth=2)
    images, masks, preds = predict_dataset(net, val, batch_size=4)
    view = prediction_browser(images, masks, preds, val.classes)
    before = view.image.value
    assert before[:4] == b"\x89PNG"
    view.controls["index"].value = 5
    assert view.image.value != before, "the image should change when the slider moves"
    assert view.n_renders == 2
