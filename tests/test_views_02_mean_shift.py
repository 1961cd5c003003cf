"""The slider views of notebook 02, driven as the notebook builds them: moving a slider changes the
picture (these asserts used to sit in the notebook)."""

import numpy as np
import torch
from sklearn.datasets import make_blobs

from labkit.cluster import load_image, render_meanshift_bandwidth, render_segmentation
from labkit.views import SliderView, float_slider


def test_bandwidth_view_changes_with_the_slider():
    X = make_blobs(
        n_samples=120,
        centers=[[0, 0], [4, 4], [5, -1]],
        cluster_std=[1.0, 0.7, 0.6],
        random_state=0,
    )[0]
    Xn = torch.tensor(X).numpy()
    view = SliderView(
        render_meanshift_bandwidth,
        fixed=dict(X=Xn),
        title="mean shift bandwidth",
        bandwidth=float_slider("bandwidth", 0.3, 6.0, 1.5, step=0.1),
    )
    before = view.image.value
    assert before[:4] == b"\x89PNG"
    view.controls["bandwidth"].value = 0.6
    assert view.image.value != before and view.n_renders == 2


def test_segmentation_view_changes_with_the_slider():
    image = load_image("china.jpg", stride=24)  # small: (18, 27, 3)
    view = SliderView(
        render_segmentation,
        fixed=dict(image=image, spatial=0.5),
        title="mean shift segmentation",
        bandwidth=float_slider("bandwidth", 0.08, 0.4, 0.2, step=0.02),
    )
    before = view.image.value
    view.controls["bandwidth"].value = 0.3
    assert view.image.value != before and view.n_renders == 2
    assert np.asarray(image).shape[2] == 3
