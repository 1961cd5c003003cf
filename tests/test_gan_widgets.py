"""Lab 05 render functions (headless) and their slider views."""

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
torch.set_num_threads(1)

from labkit.gan import views as W  # noqa: E402
from labkit.gan.models import DCGANGenerator  # noqa: E402
from labkit.gan.train import train_1d_gan, train_mixture_gan  # noqa: E402
from labkit.views import SliderView, dropdown, float_slider, int_slider, to_png  # noqa: E402


@pytest.fixture(scope="module")
def run1d():
    return train_1d_gan(steps=60, n_snapshots=3, seed=0)


@pytest.fixture(scope="module")
def run2d():
    return train_mixture_gan("grid", "tuned", steps=60, n_snapshots=3, seed=0)


def test_render_1d_and_slider(run1d):
    snaps = run1d.snapshots
    assert len(snaps) == 4 and snaps[0]["step"] == 0 and snaps[-1]["step"] == 60
    fig = W.render_1d(snaps, 1)
    assert fig.axes[0].get_xlabel() == "x" and "D(x)" in fig.axes[1].get_ylabel()
    view = SliderView(
        W.render_1d,
        fixed=dict(snapshots=snaps),
        title="1-D",
        step_index=int_slider("snapshot", 0, len(snaps) - 1, 0),
    )
    before = view.image.value
    view.controls["step_index"].value = 3
    assert view.image.value != before
    with pytest.raises(ValueError, match="step_index"):
        W.render_1d(snaps, 9)


def test_render_mixture_shows_d_surface(run2d):
    G, D, snaps = run2d.G, run2d.D, run2d.snapshots
    fig = W.render_mixture(snaps, 0, "grid", G=G, D=D)
    assert "modes" in fig.axes[0].get_title() and fig.axes[0].get_xlabel() == "x1"
    a, b = (
        to_png(W.render_mixture(snaps, 0, "grid", G=G, D=D)),
        to_png(W.render_mixture(snaps, 2, "grid", G=G, D=D)),
    )
    assert a != b
    xs, p = W.decision_surface(D, 5.0, n=20)
    assert p.shape == (20, 20) and (p >= 0).all() and (p <= 1).all()
    with pytest.raises(ValueError, match="G= and D="):
        W.render_mixture(snaps, 0, "grid")
    W.plot_mixture_runs({"tuned": G}, "grid")


def test_image_views():
    torch.manual_seed(0)
    G = DCGANGenerator(8, 8).eval()
    z0, z1 = G.sample_latent(4), G.sample_latent(4)
    lin = to_png(W.render_interpolation(G, z0, z1, 0.5, "linear"))
    sph = to_png(W.render_interpolation(G, z0, z1, 0.5, "spherical"))
    assert lin != sph
    with pytest.raises(ValueError, match="method"):
        W.render_interpolation(G, z0, z1, 0.5, "cubic")
    view = SliderView(
        W.render_perturbation,
        fixed=dict(G=G, z=z0),
        title="perturb",
        dim0=float_slider("z[0] offset", -3, 3, 0.0),
    )
    before = view.image.value
    view.controls["dim0"].value = 2.0
    assert view.image.value != before
    snaps = [
        {"epoch": 1, "images": torch.rand(8, 1, 28, 28)},
        {"epoch": 2, "images": torch.rand(8, 1, 28, 28)},
    ]
    assert "epoch 2" in W.render_epoch_samples(snaps, 1).axes[0].get_title()
    cG = DCGANGenerator(8, 8, n_classes=10).eval()
    view = SliderView(
        W.render_conditional,
        fixed=dict(G=cG),
        title="cgan",
        digit=dropdown("digit", list(range(10)), 3),
        z0=float_slider("z[0]", -3, 3, 0.0),
    )
    before = view.image.value
    view.controls["digit"].value = 5
    assert view.image.value != before
    fig = W.plot_per_label_accuracy({"accuracy": 0.5, "per_label": {d: d / 10 for d in range(10)}})
    assert fig.axes[0].get_xlabel() == "requested digit"
    W.plot_pix2pix(
        torch.rand(4, 1, 28, 28), torch.rand(4, 1, 28, 28), torch.rand(4, 1, 28, 28), n=4
    )
