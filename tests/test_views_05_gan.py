"""The slider views of notebook 05_gan, built as the notebook builds them (same render function,
same controls), on small inputs: moving each control changes the picture.

These replace the notebook's former "move the slider from code and assert" cells."""

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
torch.set_num_threads(1)

from viewcheck import moves  # noqa: E402

from labkit.gan import views as W  # noqa: E402
from labkit.gan.models import DCGANGenerator  # noqa: E402
from labkit.gan.train import train_1d_gan, train_mixture_gan  # noqa: E402
from labkit.views import SliderView, dropdown, float_slider, int_slider  # noqa: E402


def _gen(n_classes=0):
    G = DCGANGenerator(8, 8, n_classes=n_classes).eval()
    with torch.no_grad():  # own generator: no global seeding in tests either
        g = torch.Generator().manual_seed(0)
        for p in G.parameters():
            p.copy_(0.2 * torch.randn(p.shape, generator=g))
    return G


def test_section1_step_slider():
    snaps = train_1d_gan(steps=40, n_snapshots=2, seed=0).snapshots
    view = SliderView(
        W.render_1d,
        fixed=dict(snapshots=snaps),
        title="1-D GAN",
        step_index=int_slider("snapshot", 0, len(snaps) - 1, 0),
    )
    assert moves(view, "step_index", len(snaps) - 1)


def test_section2_snapshot_slider():
    run = train_mixture_gan("grid", "tuned", steps=40, n_snapshots=2, seed=0)
    G, D, snaps = run.G, run.D, run.snapshots
    view = SliderView(
        W.render_mixture,
        fixed=dict(snapshots=snaps, mixture="grid", G=G, D=D),
        title="grid, tuned",
        step_index=int_slider("snapshot", 0, len(snaps) - 1, 0),
    )
    assert moves(view, "step_index", len(snaps) - 1)


def test_section3_epoch_slider():
    g = torch.Generator().manual_seed(0)
    snaps = [{"epoch": e + 1, "images": torch.rand(8, 1, 28, 28, generator=g)} for e in range(3)]
    view = SliderView(
        W.render_epoch_samples,
        fixed=dict(snapshots=snaps),
        title="DCGAN",
        epoch_index=int_slider("epoch", 0, len(snaps) - 1, len(snaps) - 1),
    )
    assert moves(view, "epoch_index", 0)


def test_section3_interpolation_method_and_t():
    G = _gen()
    g = torch.Generator().manual_seed(3)
    z0, z1 = G.sample_latent(4, g), G.sample_latent(4, g)
    view = SliderView(
        W.render_interpolation,
        fixed=dict(G=G, z0=z0, z1=z1),
        title="latent interpolation",
        t=float_slider("t", 0.0, 1.0, 0.5, step=0.05),
        method=dropdown("method", ["linear", "spherical"], "linear"),
    )
    assert moves(view, "method", "spherical")
    assert moves(view, "t", 0.25)


@pytest.mark.parametrize("dim", ["dim0", "dim1", "dim2"])
def test_section3_perturbation_sliders(dim):
    G = _gen()
    z = G.sample_latent(4, torch.Generator().manual_seed(3))
    view = SliderView(
        W.render_perturbation,
        fixed=dict(G=G, z=z),
        title="latent perturbation",
        **{
            d: float_slider(f"z[{d[3:]}] offset", -3, 3, 0.0, step=0.25)
            for d in ("dim0", "dim1", "dim2")
        },
    )
    assert moves(view, dim, 3.0)


def test_section4_conditional_digit():
    G = _gen(n_classes=10)
    view = SliderView(
        W.render_conditional,
        fixed=dict(
            G=G, classifier=None, z_base=G.sample_latent(8, torch.Generator().manual_seed(5))
        ),
        title="conditional GAN",
        digit=dropdown("digit", list(range(10)), 3),
        z0=float_slider("z[0]", -3, 3, 0.0, step=0.25),
        z1=float_slider("z[1]", -3, 3, 0.0, step=0.25),
    )
    assert moves(view, "digit", 7)
    assert moves(view, "z0", 2.0)
