"""The slider views of notebook 05b_gan_beyond, built as the notebook builds them (same render
function, same controls), on small inputs: moving each control changes the picture.

These replace the notebook's former "move the slider from code and assert" cells."""

import matplotlib
import torch

matplotlib.use("Agg")
torch.set_num_threads(1)

from viewcheck import moves

from labkit.gan.beyond_views import render_growth, render_round_trip
from labkit.gan.cyclegan import CycleGAN, round_trip
from labkit.gan.progan import train_progan
from labkit.views import SliderView, dropdown, int_slider


def _images(n, seed):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def test_growth_snapshot_slider():
    run = train_progan(
        _images(16, 0),
        steps=8,
        batch_size=4,
        latent_dim=4,
        channels=(4, 4, 4),
        n_snapshots=4,
        progress=False,
    )
    snaps = run.snapshots
    view = SliderView(
        render_growth,
        fixed={"snapshots": snaps, "schedule": run.schedule},
        title="Progressive growing: samples over training",
        index=int_slider("snapshot", 0, len(snaps) - 1, len(snaps) - 1),
    )
    assert {s["resolution"] for s in snaps} == {7, 14, 28}
    assert moves(view, "index", 0)


def test_round_trip_model_dropdown_and_start_slider():
    xa = _images(12, 1)
    torch.manual_seed(0)
    models = {"with cycle loss": CycleGAN(4, 1), "without cycle loss": CycleGAN(4, 1)}
    trips = {name: (xa, *round_trip(m, xa)) for name, m in models.items()}
    view = SliderView(
        render_round_trip,
        fixed={"trips": trips, "names": ("thin", "thick")},
        title="CycleGAN round trips thin -> thick -> thin",
        model=dropdown("model", list(trips)),
        start=int_slider("first test image", 0, len(xa) - 8, 0),
    )
    assert moves(view, "model", "without cycle loss")
    assert moves(view, "start", 4)
