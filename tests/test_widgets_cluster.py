"""Render functions of the clustering labs: headless, correct content, and the slider views
update."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from labkit.cluster import lloyd_steps
from labkit.cluster.views import (
    load_image,
    quantize,
    render_kmeans_step,
    render_meanshift_bandwidth,
    render_quantized,
    render_segmentation,
    segment,
    segment_features,
)
from labkit.views import SliderView, float_slider, int_slider, to_png


@pytest.fixture(scope="module")
def X():
    return make_blobs(200, centers=3, cluster_std=0.6, random_state=0)[0]


@pytest.fixture(scope="module")
def image():
    return load_image("china.jpg", stride=16)  # (27, 40, 3)


def test_kmeans_step_view(X):
    hist = lloyd_steps(X, X[:3], n_steps=4)
    fig = render_kmeans_step(X, hist, 2)
    assert fig.axes[0].get_title().startswith("iteration 2: inertia")
    view = SliderView(
        render_kmeans_step,
        fixed=dict(X=X, history=hist),
        title="k-means step-through",
        iteration=int_slider("iteration", 0, 4),
    )
    before = view.image.value
    view.controls["iteration"].value = 4
    assert view.image.value != before and view.n_renders == 2


def test_quantize(image):
    q = quantize(image, 4, n_fit=500)
    assert q.shape == image.shape
    assert len(np.unique(q.reshape(-1, 3), axis=0)) <= 4
    err4 = ((q - image) ** 2).mean()
    err16 = ((quantize(image, 16, n_fit=500) - image) ** 2).mean()
    assert err16 < err4  # more colours, closer to the image
    assert render_quantized(image, 4, n_fit=500).axes[1].get_title() == "k = 4 colours"
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        quantize(image[..., 0], 4)


def test_meanshift_bandwidth_view(X):
    small = render_meanshift_bandwidth(X, 0.4).axes[0].get_title()
    large = render_meanshift_bandwidth(X, 8.0).axes[0].get_title()
    n_small, n_large = int(small.split(": ")[1].split()[0]), int(large.split(": ")[1].split()[0])
    assert n_small > n_large == 1
    view = SliderView(
        render_meanshift_bandwidth,
        fixed=dict(X=X),
        title="mean shift bandwidth",
        bandwidth=float_slider("bandwidth", 0.3, 6.0, 1.5),
    )
    before = view.image.value
    view.controls["bandwidth"].value = 3.0
    assert view.image.value != before


def test_segmentation(image):
    f = segment_features(image, spatial=0.5)
    assert f.shape == (27 * 40, 5) and f[:, 3:].max() <= 0.5
    labels, colours = segment(image, bandwidth=0.25)
    assert labels.shape == image.shape[:2] and colours.shape == (labels.max() + 1, 3)
    n_fine = len(segment(image, bandwidth=0.12)[1])
    assert n_fine > len(colours)
    png = to_png(render_segmentation(image, 0.25))
    assert png[:4] == b"\x89PNG"
