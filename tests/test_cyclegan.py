"""CycleGAN (labkit.gan.cyclegan): loss values by hand, shapes, a training step, evaluation
helpers."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from labkit.data.domains import make_domains
from labkit.gan.cyclegan import (
    CycleGAN,
    CycleGANTrainer,
    Translator,
    cycle_consistency_loss,
    identity_loss,
    label_preserved_rate,
    lsgan_d_loss,
    lsgan_g_loss,
    patch_discriminator,
    round_trip,
    train_cyclegan,
    translate,
)

torch.set_num_threads(1)


class Scale(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s

    def forward(self, x):
        return self.s * x


class ConstD(nn.Module):
    """A 'discriminator' that always answers c (per 7x7 patch)."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return torch.full((x.shape[0], 1, 7, 7), self.c) + 0 * self.w


X = torch.tensor([[[[0.5, -1.0], [0.25, 0.0]]]])  # mean |x| = 0.4375


def test_cycle_loss_by_hand():
    ident = nn.Identity()
    assert cycle_consistency_loss(X, ident, ident).item() == 0
    assert cycle_consistency_loss(X, Scale(-1), Scale(-1)).item() == 0  # a perfect inverse pair
    # g_back(g_fwd(x)) = 0.5 x: error 0.5 |x|, mean 0.21875
    assert cycle_consistency_loss(X, Scale(0.5), ident).item() == pytest.approx(0.21875)
    assert cycle_consistency_loss(X, Scale(2.0), Scale(0.25)).item() == pytest.approx(0.21875)


def test_identity_loss_by_hand():
    assert identity_loss(X, nn.Identity()).item() == 0
    assert identity_loss(X, Scale(-1)).item() == pytest.approx(2 * 0.4375)  # |-x - x| = 2|x|


def test_lsgan_losses_by_hand():
    real, fake = torch.full((2, 1, 7, 7), 1.0), torch.full((2, 1, 7, 7), 0.0)
    assert lsgan_d_loss(real, fake).item() == 0
    assert lsgan_d_loss(fake, real).item() == pytest.approx(1.0)  # 0.5 * (1 + 1)
    assert lsgan_g_loss(torch.full((3, 1, 7, 7), 0.5)).item() == pytest.approx(0.25)


def test_generator_objective_combines_terms():
    """Total = adv + lambda_cycle * (cyc_a + cyc_b) + lambda_id * (id_a + id_b), checked on
    hand-made networks: g_ab(x) = 0.5 x, g_ba = identity, D always says 0.5."""
    xa = torch.full((2, 1, 28, 28), 0.8)
    xb = torch.full((2, 1, 28, 28), -0.4)
    m = CycleGAN(g_ab=Scale(0.5), g_ba=nn.Identity(), d_a=ConstD(0.5), d_b=ConstD(0.5))
    t = CycleGANTrainer(m, lambda_cycle=10.0, lambda_identity=2.0, device="cpu")
    losses, fake_a, fake_b = t.generator_losses(xa, xb)
    assert losses["adv_ab"].item() == pytest.approx(0.25) and losses[
        "adv_ba"
    ].item() == pytest.approx(0.25)
    assert losses["cycle_a"].item() == pytest.approx(0.4)  # |0.5*0.8 - 0.8|
    assert losses["cycle_b"].item() == pytest.approx(0.2)  # |0.5*(-0.4) + 0.4|
    assert losses["identity_a"].item() == pytest.approx(0.0)  # g_ba(a) = a
    assert losses["identity_b"].item() == pytest.approx(0.2)  # |0.5*(-0.4) + 0.4|
    assert losses["total"].item() == pytest.approx(0.5 + 10 * 0.6 + 2 * 0.2)
    torch.testing.assert_close(fake_b, 0.5 * xa)
    t0 = CycleGANTrainer(m, lambda_cycle=0.0, device="cpu")
    l0, _, _ = t0.generator_losses(xa, xb)
    assert l0["total"].item() == pytest.approx(0.5) and l0["cycle_a"].item() == pytest.approx(0.4)
    assert "identity_a" not in l0


def test_networks_shapes_and_range():
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    g, d = Translator(8, 1), patch_discriminator(8)
    assert g(x).shape == (3, 1, 28, 28) and g(x).abs().max() <= 1
    assert d(x).shape == (3, 1, 7, 7)
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        g(torch.rand(3, 28, 28))
    with pytest.raises(ValueError, match="lambda"):
        CycleGANTrainer(CycleGAN(4, 1), lambda_cycle=-1)


def test_step_updates_both_sides_and_cycle_switch():
    torch.manual_seed(0)
    m = CycleGAN(4, 1)
    t = CycleGANTrainer(m, device="cpu")
    before = {k: v.clone() for k, v in m.state_dict().items()}
    out = t.step((torch.rand(4, 1, 28, 28), torch.rand(4, 1, 28, 28)))
    assert set(out) == {"loss_g", "loss_d", "cycle", "adv"} and all(
        torch.isfinite(v) for v in out.values()
    )
    changed = {k.split(".")[0] for k, v in m.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"g_ab", "g_ba", "d_a", "d_b"}


def test_cycle_loss_makes_translation_invertible():
    """Same nets, same data, same steps: with the cycle loss the round trip A -> B -> A ends
    much closer to the input than without it."""
    g = torch.Generator().manual_seed(0)  # smooth random images
    xa, xb = (
        F.interpolate(torch.rand(8, 1, 7, 7, generator=g), size=28, mode="bilinear") for _ in "ab"
    )
    final = {}
    for lam in (0.0, 10.0):
        torch.manual_seed(0)
        t = CycleGANTrainer(CycleGAN(4, 1), lambda_cycle=lam, lr=3e-3, device="cpu")
        for _ in range(20):
            out = t.step((xa, xb))
        final[lam] = float(out["cycle"])
    assert final[10.0] < 0.5 * final[0.0]


def test_train_translate_round_trip_and_label_rate():
    torch.manual_seed(0)
    x = torch.rand(40, 1, 28, 28)
    labels = torch.arange(40) % 10
    dom = make_domains(x, labels)
    run = train_cyclegan(
        dom, steps=3, batch_size=8, channels=4, n_res=1, device="cpu", progress=False
    )
    assert len(run.history.steps["loss_g"]) == 3 and run.seconds > 0
    fake_b, rec_a = round_trip(run.model, dom.a)
    assert fake_b.shape == rec_a.shape == dom.a.shape and 0 <= fake_b.min() and fake_b.max() <= 1
    torch.testing.assert_close(translate(run.model.g_ab, dom.a), fake_b)
    assert label_preserved_rate(lambda im: labels[: len(im)], fake_b, labels[:20]) == 1.0
    assert label_preserved_rate(lambda im: (labels[: len(im)] + 1) % 10, fake_b, labels[:20]) == 0.0
    with pytest.raises(ValueError, match="shape"):
        label_preserved_rate(lambda im: labels[:3], fake_b, labels[:20])
    with pytest.raises(ValueError, match="Domains"):
        train_cyclegan(x, steps=1)


def test_evaluate_translation_by_hand():
    from labkit.data.domains import dilate
    from labkit.gan.cyclegan import evaluate_translation

    x = torch.zeros(2, 1, 28, 28)
    x[..., 4:24, 13:15] = 1.0
    labels = torch.tensor([1, 7])
    r = evaluate_translation(
        dilate(x),
        labels,
        lambda im: torch.tensor([1, 1]),
        truth_b=dilate(x),
        source_a=x,
        reconstructed_a=x,
    )
    assert r["label_kept"] == 0.5 and r["l1_to_truth"] == 0 and r["round_trip_l1"] == 0
    assert r["stroke_width"] > 3


def test_render_round_trip_and_translations():
    import matplotlib.pyplot as plt

    from labkit.gan.beyond_views import render_round_trip, render_translations
    from labkit.views import SliderView, dropdown, int_slider

    xa = torch.rand(10, 1, 28, 28)
    trips = {"good": (xa, xa.flip(-1), xa), "bad": (xa, xa, torch.zeros_like(xa))}
    fig = render_round_trip(trips, "good", 0, n=4)
    assert (
        "= 0.000" in fig.axes[0].get_title(loc="left") and fig.axes[2].get_ylabel() == "A -> B -> A"
    )
    plt.close(fig)
    fig = render_round_trip(trips, "bad", 2, n=4)
    assert f"= {float(xa[2:6].mean()):.3f}" in fig.axes[0].get_title(loc="left")
    plt.close(fig)
    view = SliderView(
        render_round_trip,
        fixed={"trips": trips},
        model=dropdown("model", list(trips)),
        start=int_slider("first test image", 0, 2, 0),
    )
    before = view.image.value
    view.controls["model"].value = "bad"
    assert view.image.value != before
    fig = render_translations(xa, {"m1": xa, "m2": xa}, truth=xa, scores={"m1": "kept 50%"}, n=5)
    assert len(fig.axes) == 4 and "kept 50%" in fig.axes[2].get_ylabel()
    plt.close(fig)
    with pytest.raises(ValueError, match="unknown model"):
        render_round_trip(trips, "nope")
    with pytest.raises(ValueError, match="start"):
        render_round_trip(trips, "good", 5, n=8)


def test_pix2pix_paired_baseline_uses_the_pairs(monkeypatch):
    """The paired baseline trains lab 05's pix2pix with input = the A image of each pair and
    target = its own B image (checked by spying on the trainer's step)."""
    from labkit.gan import train as gan_train
    from labkit.gan.cyclegan import train_pix2pix_paired

    torch.manual_seed(0)
    x = torch.rand(24, 1, 28, 28)
    pairs = make_domains(x, torch.zeros(24, dtype=torch.long), "thin-thick", paired=True)
    seen = []
    real_step = gan_train.Pix2PixTrainer.step

    def spy(self, y):
        seen.append((self.derive(y), y))
        return real_step(self, y)

    monkeypatch.setattr(gan_train.Pix2PixTrainer, "step", spy)
    run = train_pix2pix_paired(
        pairs, steps=2, batch_size=8, base_channels=4, device="cpu", progress=False
    )
    assert len(seen) == 2
    for xa, yb in seen:  # input and target are a true pair
        idx = [int((pairs.a == row).flatten(1).all(1).nonzero()) for row in xa]
        assert torch.equal(yb, pairs.b[idx])
    out = translate(run.model, pairs.a[:5])
    assert out.shape == (5, 1, 28, 28) and 0 <= out.min() and out.max() <= 1
    with pytest.raises(ValueError, match="paired=True"):
        train_pix2pix_paired(make_domains(x, torch.zeros(24, dtype=torch.long)), steps=1)
