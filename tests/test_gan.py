"""Lab 05: GAN losses (hand-computed values), models (shapes, DCGAN init), the alternating
trainer (one step, divergence reported in words), pix2pix."""

import math

import pytest
import torch
from torch import nn

from labkit.gan.losses import (
    d_loss,
    g_loss,
    g_loss_nonsaturating,
    g_loss_saturating,
    pix2pix_g_loss,
    r1_penalty,
)
from labkit.gan.models import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    PatchDiscriminator,
    Pix2Pix,
    lerp,
    slerp,
)
from labkit.gan.train import (
    GANConfig,
    GANDiverged,
    GANTrainer,
    Pix2PixTrainer,
    digit_edges,
    train_mixture_gan,
)

torch.set_num_threads(1)


def test_losses_match_hand_computed_values():
    r, f = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    sig = torch.sigmoid
    want_d = -(torch.log(sig(r)).mean() + torch.log(1 - sig(f)).mean())
    assert d_loss(r, f).item() == pytest.approx(want_d.item(), rel=1e-6)
    assert g_loss_saturating(f).item() == pytest.approx(
        torch.log(1 - sig(f)).mean().item(), rel=1e-6
    )
    assert g_loss_nonsaturating(f).item() == pytest.approx(
        -torch.log(sig(f)).mean().item(), rel=1e-6
    )
    assert g_loss(f, "minimax").item() == g_loss_saturating(f).item()
    # at the equilibrium D = 1/2 everywhere: d_loss = 2 log 2
    z = torch.zeros(5)
    assert d_loss(z, z).item() == pytest.approx(2 * math.log(2))
    # stable for huge logits (no inf from log(0))
    big = torch.tensor([200.0, -200.0])
    assert torch.isfinite(d_loss(big, -big)) and torch.isfinite(g_loss_nonsaturating(big))
    with pytest.raises(ValueError, match="unknown generator loss"):
        g_loss(f, "wasserstein")
    with pytest.raises(ValueError, match="float tensor"):
        d_loss(torch.tensor([1, 2]), f)


def test_saturating_gradient_vanishes_when_d_wins():
    # the lecture's point: when D rejects fakes confidently, d/dlogit log(1 - D) ~ 0, -log D ~ -1
    f = torch.tensor([-8.0], requires_grad=True)
    (gs,) = torch.autograd.grad(g_loss_saturating(f), f)
    (gn,) = torch.autograd.grad(g_loss_nonsaturating(f), f)
    assert abs(gs.item()) < 1e-3 and abs(gn.item()) > 0.99


def test_r1_penalty_on_a_linear_discriminator():
    w = torch.tensor([3.0, 4.0])
    D = lambda x: x @ w  # |grad| = 5 everywhere
    x = torch.randn(7, 2).requires_grad_(True)
    assert r1_penalty(D(x), x, gamma=2.0).item() == pytest.approx(25.0)
    runs = torch.randn(3, 7, 2).requires_grad_(True)  # stacked runs: one value per run
    assert r1_penalty(D(runs), runs, gamma=2.0, batch_dims=2).tolist() == pytest.approx([25.0] * 3)


def test_pix2pix_loss():
    y = torch.rand(2, 1, 4, 4)
    total, parts = pix2pix_g_loss(torch.zeros(2, 1, 2, 2), y + 0.1, y, l1_weight=10)
    assert parts["l1"].item() == pytest.approx(0.1, rel=1e-5)
    assert total.item() == pytest.approx(math.log(2) + 1.0, rel=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        pix2pix_g_loss(torch.zeros(2), y, y[:, :, :2])


def test_model_shapes_and_dcgan_init():
    torch.manual_seed(0)  # the init statistics below are checked on one fixed draw
    G = MLPGenerator(2, 2, 32, 2, n_categories=8)
    z = G.sample_latent(5)
    assert z.shape == (5, 10) and torch.all(z[:, 2:].sum(1) == 1)
    assert G(z).shape == (5, 2)
    assert MLPDiscriminator(2, 32, 2)(torch.randn(6, 2)).shape == (6,)
    assert MLPDiscriminator(2, 32, 2, pac=3)(torch.randn(6, 2)).shape == (2,)
    with pytest.raises(ValueError, match="shape"):
        G(torch.randn(5, 3))
    g, d = DCGANGenerator(16, 8), DCGANDiscriminator(8)
    x = g(g.sample_latent(4))
    assert x.shape == (4, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert d(x).shape == (4,)
    conv = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)][0]
    assert abs(conv.weight.std().item() - 0.02) < 0.003
    bn = [m for m in d.modules() if isinstance(m, nn.BatchNorm2d)][0]
    assert abs(bn.weight.mean().item() - 1) < 0.01 and bn.bias.abs().max() == 0
    cg, cd = DCGANGenerator(16, 8, n_classes=10), DCGANDiscriminator(8, n_classes=10)
    y = torch.arange(4)
    assert cd(cg(cg.sample_latent(4), y), y).shape == (4,)
    with pytest.raises(ValueError, match="conditional"):
        cg(cg.sample_latent(4))
    p = PatchDiscriminator(1, 1, 8, 2)
    assert p(torch.rand(3, 1, 28, 28), torch.rand(3, 1, 28, 28)).shape == (3, 1, 7, 7)


def test_interpolation():
    z0, z1 = torch.randn(3, 8), torch.randn(3, 8)
    assert torch.allclose(slerp(z0, z1, 0.0), z0, atol=1e-5)
    assert torch.allclose(slerp(z0, z1, 1.0), z1, atol=1e-5)
    assert torch.allclose(lerp(z0, z1, 0.5), (z0 + z1) / 2)
    # for vectors of equal norm, slerp keeps the norm; lerp shrinks it in the middle
    a = torch.tensor([[1.0, 0.0]])
    b = torch.tensor([[0.0, 1.0]])
    assert slerp(a, b, 0.5).norm().item() == pytest.approx(1.0)
    assert lerp(a, b, 0.5).norm().item() == pytest.approx(math.sqrt(0.5))


def test_one_alternating_step_moves_both_players():
    torch.manual_seed(0)
    G, D = MLPGenerator(2, 2, 16, 2), MLPDiscriminator(2, 16, 2)
    tr = GANTrainer(
        G, D, GANConfig(r1=0.1, noise_std=0.1, noise_until=0.5, ema=0.9), total_steps=10
    )
    g0 = [p.clone() for p in G.parameters()]
    d0 = [p.clone() for p in D.parameters()]
    out = tr.step(torch.randn(32, 2))
    assert set(out) == {"d_loss", "g_loss", "D(x)", "D(G(z))"}
    assert all(not torch.equal(a, b) for a, b in zip(g0, G.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(d0, D.parameters()))
    assert tr.noise_std() == pytest.approx(0.1 * (1 - 0.1 / 0.5))
    ema = [p for p in tr.G_ema.parameters()]
    assert not torch.equal(ema[0], list(G.parameters())[0])  # EMA lags G


def test_lazy_r1_runs_every_kth_d_update_with_k_times_the_weight():
    class LinearD(torch.nn.Module):  # D(x) = w.x: |grad_x D|^2 = |w|^2 = 25
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))

        def forward(self, x):
            return x @ self.w

    def d_losses(r1_every, steps=4):
        torch.manual_seed(0)
        G, D = MLPGenerator(2, 2, 8, 1), LinearD()
        tr = GANTrainer(
            G, D, GANConfig(r1=0.1, r1_every=r1_every, lr_d=0.0, lr_g=0.0), total_steps=steps
        )
        xs = [torch.randn(16, 2, generator=torch.Generator().manual_seed(i)) for i in range(steps)]
        return [tr.step(x)["d_loss"] for x in xs]

    plain = d_losses(1)  # penalty 0.5 * 0.1 * 25 = 1.25 every step
    lazy = d_losses(2)  # 0.5 * 0.2 * 25 = 2.5 on steps 0 and 2 only
    none = [a - 1.25 for a in plain]
    assert lazy[0] == pytest.approx(none[0] + 2.5) and lazy[2] == pytest.approx(none[2] + 2.5)
    assert lazy[1] == pytest.approx(none[1]) and lazy[3] == pytest.approx(none[3])
    with pytest.raises(ValueError, match="r1_every"):
        GANConfig(r1_every=0)


def test_divergence_is_reported_in_words():
    torch.manual_seed(0)
    G, D = MLPGenerator(2, 2, 16, 2), MLPDiscriminator(2, 16, 2)
    # a discriminator that always wins: real far away, huge D lr, saturating G loss
    tr = GANTrainer(
        G,
        D,
        GANConfig(loss="saturating", lr_d=1e-2, lr_g=1e-6, window=20, on_divergence="raise"),
        total_steps=500,
    )
    with pytest.raises(GANDiverged, match="winning outright"):
        for _ in range(500):
            tr.step(torch.randn(64, 2) + 20)
    # NaN input -> NaN loss -> explained
    tr = GANTrainer(G, D, GANConfig(), total_steps=5)
    with pytest.raises(GANDiverged, match="NaN"):
        tr.step(torch.full((8, 2), float("nan")))
    with pytest.raises(ValueError, match="on_divergence"):
        GANConfig(on_divergence="explode")


def test_train_mixture_gan_is_seeded_and_snapshots():
    a = train_mixture_gan("ring", "minimax", steps=40, seed=3, n_snapshots=4)
    b = train_mixture_gan("ring", "minimax", steps=40, seed=3, n_snapshots=4)
    assert [s["step"] for s in a.snapshots] == [10, 20, 30, 40]
    assert a.history["d_loss"] == b.history["d_loss"]
    assert a.seconds > 0 and a.trainer is not None and a.diagnosis == a.trainer.diagnosis
    x = a.G.sample(10, torch.Generator().manual_seed(0))
    y = b.G.sample(10, torch.Generator().manual_seed(0))
    assert torch.equal(x, y)


def test_tuned_recipe_uses_per_mixture_categories_and_lazy_r1():
    for mixture, k in (("ring", 32), ("grid", 50)):
        run = train_mixture_gan(mixture, "tuned", steps=3, seed=0, n_snapshots=1)
        G, trainer = run.G, run.trainer
        assert G.n_categories == k
        assert (
            trainer.cfg.r1_every == 8
            and trainer.cfg.noise_std == {"ring": 0.1, "grid": 0.3}[mixture]
        )
        assert G.sample(5).shape == (5, 2)


def test_derived_inputs_and_pix2pix_step():
    img = torch.zeros(2, 1, 28, 28)
    img[:, :, 8:20, 8:20] = 1.0
    e = digit_edges(img)
    assert e.shape == img.shape and set(e.unique().tolist()) <= {0.0, 1.0}
    assert e[0, 0, 14, 14] == 0 and e[0, 0, 8, 14] == 1  # inside flat, border is an edge
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        digit_edges(torch.zeros(28, 28))
    torch.manual_seed(0)
    model = Pix2Pix(base_channels=4, depth=2, d_base=8)
    tr = Pix2PixTrainer(model)
    out = tr.step((torch.rand(4, 1, 28, 28), torch.zeros(4)))
    assert {"d_loss", "g_adv", "l1"} <= set(out)
    assert model(digit_edges(torch.rand(2, 1, 28, 28))).shape == (2, 1, 28, 28)
