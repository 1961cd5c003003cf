"""Progressive growing (labkit.gan.progan): shapes per stage, the fade-in blend, the schedule."""

import pytest
import torch
import torch.nn.functional as F

from labkit.gan.progan import (
    RESOLUTIONS,
    GrowthSchedule,
    MinibatchStd,
    PixelNorm,
    ProDiscriminator,
    ProGANTrainer,
    ProGenerator,
    real_at,
    sample,
    train_progan,
    upsample_to,
)

torch.set_num_threads(1)
CH = (16, 8, 4)


@pytest.fixture
def nets():
    torch.manual_seed(0)
    return ProGenerator(8, CH), ProDiscriminator(CH)


@pytest.mark.parametrize("stage", [0, 1, 2])
@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_shapes_at_each_stage(nets, stage, alpha):
    G, D = nets
    x = G(torch.randn(5, 8), stage, alpha)
    r = RESOLUTIONS[stage]
    assert x.shape == (5, 1, r, r)
    assert x.abs().max() <= 1
    assert D(x, alpha).shape == (5,)
    assert real_at(torch.rand(5, 1, 28, 28), stage, alpha).shape == (5, 1, r, r)


@pytest.mark.parametrize("stage", [1, 2])
def test_generator_fade_in_endpoints(nets, stage):
    G, _ = nets
    z = torch.randn(6, 8)
    low = G(z, stage - 1, 1.0)  # the previous, smaller network
    up = F.interpolate(low, scale_factor=2, mode="nearest")
    # alpha = 0: the grown network computes exactly the upsampled low-resolution output
    torch.testing.assert_close(G(z, stage, 0.0), up)
    # alpha = 1: only the new block's path, computed by hand here
    h, _ = G.features(z, stage)
    new = torch.tanh(G.to_rgb[stage](h))
    torch.testing.assert_close(G(z, stage, 1.0), new)
    # in between: the linear blend, and it really differs from both ends
    mid = G(z, stage, 0.25)
    torch.testing.assert_close(mid, 0.75 * up + 0.25 * new)
    assert (mid - up).abs().max() > 1e-4 and (mid - new).abs().max() > 1e-4


@pytest.mark.parametrize("stage", [1, 2])
def test_discriminator_fade_in_endpoints(nets, stage):
    _, D = nets
    r = RESOLUTIONS[stage]
    x = torch.rand(4, 1, r, r) * 2 - 1
    # alpha = 0: D on the grown input equals the small D on the average-pooled input
    small = D(F.avg_pool2d(x, 2), 1.0)
    torch.testing.assert_close(D(x, 0.0), small)
    assert (D(x, 1.0) - small).abs().max() > 1e-5


def test_fade_in_keeps_trained_low_res_function():
    """Growing must not destroy what the small network learnt: right after growth (alpha=0)
    the 14x14 output is the 7x7 output, pixel for pixel, whatever the new block's weights."""
    torch.manual_seed(1)
    G = ProGenerator(8, CH)
    z = torch.randn(3, 8)
    before = G(z, 0)
    with torch.no_grad():
        for p in G.blocks[0].parameters():
            p.normal_()  # any new-block weights
        for p in G.to_rgb[1].parameters():
            p.normal_()
    torch.testing.assert_close(G(z, 1, 0.0), upsample_to(before, 14))


def test_real_at_blend():
    x = torch.rand(2, 1, 28, 28)
    x14 = F.avg_pool2d(x, 2)
    coarse = F.interpolate(F.avg_pool2d(x14, 2), scale_factor=2, mode="nearest")
    torch.testing.assert_close(real_at(x, 1, 1.0), x14)
    torch.testing.assert_close(real_at(x, 1, 0.0), coarse)
    torch.testing.assert_close(real_at(x, 1, 0.4), 0.6 * coarse + 0.4 * x14)
    torch.testing.assert_close(real_at(x, 0), F.avg_pool2d(x, 4))
    torch.testing.assert_close(real_at(x, 2), x)


def test_pixelnorm_and_minibatch_std():
    h = torch.randn(3, 5, 2, 2) * 7
    rms = PixelNorm()(h).pow(2).mean(1).sqrt()
    torch.testing.assert_close(rms, torch.ones_like(rms), atol=1e-4, rtol=1e-4)
    h = torch.tensor([[[[0.0]]], [[[2.0]]]])  # std over batch = 1
    out = MinibatchStd()(h)
    assert out.shape == (2, 2, 1, 1) and torch.allclose(out[:, 1], torch.ones(2, 1, 1))


def test_schedule():
    s = GrowthSchedule(100, (0.2, 0.4, 0.4), fade_fraction=0.5)
    assert s.starts() == (0, 20, 60)
    assert s(0) == (0, 1.0) and s(19) == (0, 1.0)
    assert s(20) == (1, pytest.approx(1 / 20)) and s(39) == (1, 1.0) and s(59) == (1, 1.0)
    assert s(60)[0] == 2 and s(60)[1] < 0.1 and s(79) == (2, 1.0) and s(99) == (2, 1.0)
    alphas = [s(t)[1] for t in range(20, 40)]
    assert all(b > a for a, b in zip(alphas, alphas[1:]))  # alpha rises monotonically
    assert all(GrowthSchedule.fixed(50)(t) == (2, 1.0) for t in range(50))
    assert GrowthSchedule(10, fade_fraction=0.0)(5) == (1, 1.0)  # no fade: jump straight in


@pytest.mark.parametrize(
    "kw, msg",
    [
        (dict(total_steps=0), "total_steps"),
        (dict(total_steps=10, stage_fractions=(0.5, 0.5)), "stage_fractions"),
        (dict(total_steps=10, fade_fraction=2), "fade_fraction"),
    ],
)
def test_schedule_bad_input(kw, msg):
    with pytest.raises(ValueError, match=msg):
        GrowthSchedule(**kw)


def test_bad_input(nets):
    G, D = nets
    with pytest.raises(ValueError, match="stage"):
        G(torch.randn(2, 8), 3)
    with pytest.raises(ValueError, match="alpha"):
        G(torch.randn(2, 8), 1, 1.5)
    with pytest.raises(ValueError, match=r"\(N, 8\)"):
        G(torch.randn(2, 9), 0)
    with pytest.raises(ValueError, match="r in"):
        D(torch.randn(2, 1, 20, 20))
    with pytest.raises(ValueError, match="28x28"):
        real_at(torch.rand(2, 1, 14, 14), 1)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        train_progan(torch.rand(10, 28, 28), steps=2)


def test_trainer_follows_schedule_and_snapshots(nets):
    G, D = nets
    sched = GrowthSchedule(9, (1 / 3, 1 / 3, 1 / 3), fade_fraction=0.5)
    tr = ProGANTrainer(G, D, sched, n_snapshots=3, n_show=4, device="cpu")
    x = torch.rand(8, 1, 28, 28)
    seen = [tr.step((x,)) for _ in range(9)]
    assert [v["stage"] for v in seen] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert all(torch.isfinite(v["loss_d"]) and torch.isfinite(v["loss_g"]) for v in seen)
    res = {s["step"]: s["images"].shape[-1] for s in tr.snapshots}
    assert res[0] == 7 and res[8] == 28 and res[2] == 7  # snapshot just before growth
    assert all(s["images"].min() >= 0 and s["images"].max() <= 1 for s in tr.snapshots)


def test_train_progan_same_budget_and_sample():
    x = torch.rand(64, 1, 28, 28)
    prog = train_progan(
        x, steps=6, batch_size=16, latent_dim=8, channels=CH, device="cpu", progress=False
    )
    fixed = train_progan(
        x,
        steps=6,
        progressive=False,
        batch_size=16,
        latent_dim=8,
        channels=CH,
        device="cpu",
        progress=False,
    )
    assert len(prog.history.steps["loss_d"]) == len(fixed.history.steps["loss_d"]) == 6
    assert prog.history.steps["stage"] == [0, 0, 1, 1, 2, 2] and set(
        fixed.history.steps["stage"]
    ) == {2}
    s1, s2 = sample(prog.G, 10, seed=3), sample(prog.G, 10, seed=3)
    assert s1.shape == (10, 1, 28, 28) and torch.equal(s1, s2) and 0 <= s1.min() and s1.max() <= 1
    assert sample(prog.G, 4, stage=0).shape == (4, 1, 28, 28)  # 7x7 shown upsampled
    again = train_progan(
        x, steps=6, batch_size=16, latent_dim=8, channels=CH, device="cpu", progress=False
    )
    assert torch.equal(sample(again.G, 10, seed=3), s1)  # same seed, same numbers


def test_render_growth():
    import matplotlib.pyplot as plt

    from labkit.gan.beyond_views import render_growth
    from labkit.views import SliderView, int_slider, to_png

    sched = GrowthSchedule(9, (1 / 3, 1 / 3, 1 / 3))
    snaps = [
        {
            "step": t,
            "stage": s,
            "alpha": a,
            "resolution": RESOLUTIONS[s],
            "images": torch.rand(4, 1, RESOLUTIONS[s], RESOLUTIONS[s]),
        }
        for t, (s, a) in ((t, sched(t)) for t in (0, 3, 8))
    ]
    fig = render_growth(snaps, 1, sched, nrow=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert "step 3: 14x14, fading in (alpha=0.50)" in titles and "growth schedule" in titles
    assert (
        fig.axes[1].get_xlabel() == "training step"
        and fig.axes[1].get_ylabel() == "image size (pixels)"
    )
    plt.close(fig)
    view = SliderView(
        render_growth,
        fixed={"snapshots": snaps, "schedule": sched},
        index=int_slider("snapshot", 0, 2, 2),
    )
    before = view.image.value
    view.controls["index"].value = 0
    assert view.image.value != before and view.image.value[:4] == b"\x89PNG"
    assert to_png(render_growth(snaps, 2))[:4] == b"\x89PNG"  # without a schedule
    with pytest.raises(ValueError, match="index"):
        render_growth(snaps, 3)
    with pytest.raises(ValueError, match="snapshots"):
        render_growth([], 0)
