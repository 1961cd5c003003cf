"""Notebook 01's slider views (k-means step-through, colour quantisation), built as the notebook
builds them on small inputs and driven headlessly: moving a slider changes the picture."""

import torch
from sklearn.datasets import make_blobs

from labkit.cluster import lloyd_steps, load_image, render_kmeans_step, render_quantized
from labkit.views import SliderView, int_slider


def test_step_through_view_moves_with_the_iteration():
    X = torch.tensor(make_blobs(n_samples=200, centers=4, cluster_std=1.1, random_state=3)[0])
    steps = lloyd_steps(X, X[X[:, 0].argsort()[:4]], n_steps=6)
    view = SliderView(
        render_kmeans_step,
        fixed=dict(X=X, history=steps),
        title="k-means step-through",
        iteration=int_slider("iteration", 0, len(steps) - 1, 0),
    )
    before = view.image.value
    view.controls["iteration"].value = 3
    assert view.image.value != before


def test_quantisation_view_moves_with_k():
    image = load_image("china.jpg", stride=16)
    view = SliderView(
        render_quantized,
        fixed=dict(image=image, n_fit=500),
        title="colour quantisation",
        k=int_slider("k (colours)", 2, 32, 8),
    )
    before = view.image.value
    view.controls["k"].value = 4
    assert view.image.value != before
