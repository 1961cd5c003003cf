"""labkit.vae.losses: KL vs Monte Carlo and torch.distributions, reparameterisation gradients,
the ELBO of a known case, the loss functions used for training."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Normal, kl_divergence

from labkit.vae.losses import (
    add_noise,
    ae_loss,
    bce_recon,
    elbo_terms,
    evaluate_elbo,
    kl_normal,
    log_bernoulli,
    mse_recon,
    recon_loss,
    reparameterize,
    vae_loss,
)
from labkit.vae.models import AE, VAE

G = lambda s=0: torch.Generator().manual_seed(s)  # noqa: E731


def test_kl_matches_torch_distributions_and_monte_carlo():
    mu = torch.randn(4, 3, generator=G(1), dtype=torch.float64)
    logvar = torch.randn(4, 3, generator=G(2), dtype=torch.float64)
    ours = kl_normal(mu, logvar)
    ref = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(ours, ref)
    # Monte Carlo: E_q[log q(z) - log p(z)] with 200k samples
    q = Normal(mu, (0.5 * logvar).exp())
    z = q.sample((200_000,))
    mc = (q.log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(-1).mean(0)
    assert torch.allclose(ours, mc, atol=0.03, rtol=0.02), (ours, mc)
    assert kl_normal(mu, logvar, reduce_dims=False).shape == (4, 3)
    # zero exactly at the prior
    assert torch.equal(kl_normal(torch.zeros(2, 5), torch.zeros(2, 5)), torch.zeros(2))


def test_kl_gradients_are_analytic():
    mu = torch.randn(3, 4, generator=G(0), dtype=torch.float64, requires_grad=True)
    logvar = torch.randn(3, 4, generator=G(1), dtype=torch.float64, requires_grad=True)
    kl_normal(mu, logvar).sum().backward()
    torch.testing.assert_close(mu.grad, mu.detach())
    torch.testing.assert_close(logvar.grad, 0.5 * (logvar.detach().exp() - 1))


def test_reparameterize_distribution_and_gradients():
    mu = (
        torch.tensor([[1.5, -2.0]], dtype=torch.float64)
        .expand(100_000, 2)
        .clone()
        .requires_grad_(True)
    )
    logvar = torch.tensor([[0.0, math.log(0.25)]], dtype=torch.float64).expand(100_000, 2).clone()
    logvar.requires_grad_(True)
    z = reparameterize(mu, logvar, generator=G(0))
    assert torch.allclose(z.mean(0), torch.tensor([1.5, -2.0], dtype=torch.float64), atol=0.02)
    assert torch.allclose(z.std(0), torch.tensor([1.0, 0.5], dtype=torch.float64), atol=0.01)
    z.sum().backward()
    torch.testing.assert_close(mu.grad, torch.ones_like(mu))
    # dz/dlogvar = 0.5 * sigma * eps = 0.5 * (z - mu)
    torch.testing.assert_close(logvar.grad, 0.5 * (z - mu).detach())
    # seeded generator -> same sample
    torch.testing.assert_close(reparameterize(mu, logvar, G(0)), z)


def test_bernoulli_terms_match_torch_distributions():
    logits = torch.randn(3, 1, 28, 28, generator=G(0))
    x = torch.rand(3, 1, 28, 28, generator=G(1)).round()
    ref = Bernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(log_bernoulli(logits, x), ref)
    torch.testing.assert_close(bce_recon(logits, x), -ref)
    torch.testing.assert_close(recon_loss(logits, x, "bce"), -ref)
    torch.testing.assert_close(
        recon_loss(logits, x, "mse"), ((torch.sigmoid(logits) - x) ** 2).flatten(1).sum(1)
    )
    torch.testing.assert_close(mse_recon(x, x), torch.zeros(3))
    with pytest.raises(ValueError, match="kind"):
        recon_loss(logits, x, "l1")
    with pytest.raises(ValueError, match="shape"):
        bce_recon(logits, x[:, :, :10])


class _Known(torch.nn.Module):
    """A 'VAE' whose encoder always says q = N(mu0, I*s^2) and whose decoder logits are fixed:
    its ELBO is known in closed form."""

    latent_dim = 1

    def __init__(self, mu0, logvar0, logits):
        super().__init__()
        self.p = torch.nn.Parameter(torch.zeros(1))
        self.mu0, self.lv0, self.logits = mu0, logvar0, logits

    def encode(self, x):
        b = x.shape[0]
        return torch.full((b, 1), self.mu0), torch.full((b, 1), self.lv0)

    def decode_logits(self, z):
        return self.logits.expand(z.shape[0], 1, 28, 28) + 0 * z.sum()


def test_elbo_of_a_known_case():
    # decoder ignores z: E_q[log p(x|z)] = log p(x) exactly; KL closed form
    logits = torch.zeros(1, 1, 28, 28)  # p = 0.5 everywhere
    m = _Known(1.0, math.log(0.5), logits)
    x = torch.rand(4, 1, 28, 28, generator=G(0)).round()
    t = elbo_terms(m, x, n_samples=3)
    kl = 0.5 * (1.0 + 0.5 - 1 - math.log(0.5))
    torch.testing.assert_close(t["recon"], torch.full((4,), 784 * math.log(2)))
    torch.testing.assert_close(t["kl"], torch.full((4,), kl))
    torch.testing.assert_close(t["elbo"], -torch.full((4,), 784 * math.log(2) + kl))
    res = evaluate_elbo(m, x, batch_size=3)
    assert res["n"] == 4 and abs(res["elbo"] + 784 * math.log(2) + kl) < 1e-3


def test_vae_loss_variants_and_warmup():
    torch.manual_seed(0)
    m = VAE(latent_dim=2, width=4, hidden=8, beta=4.0)
    x = torch.rand(6, 1, 28, 28, generator=G(0))
    torch.manual_seed(1)
    loss, logs = vae_loss()(m, (x, torch.zeros(6)))
    torch.testing.assert_close(loss, logs["recon"] + 4.0 * logs["kl"])
    torch.testing.assert_close(logs["neg_elbo"], logs["recon"] + logs["kl"])
    torch.manual_seed(1)
    loss0, logs0 = vae_loss(beta=0.0)(m, x)
    torch.testing.assert_close(loss0, logs0["recon"])
    loss_kl, logs_kl = vae_loss(recon_weight=0.0, beta=1.0)(m, x)
    torch.testing.assert_close(loss_kl, logs_kl["kl"])
    # warm-up: the first step has KL weight beta/10
    fn = vae_loss(beta=1.0, warmup_steps=10)
    m.train()
    torch.manual_seed(1)
    lw, lg = fn(m, x)
    torch.testing.assert_close(lw, lg["recon"] + 0.1 * lg["kl"])
    with pytest.raises(ValueError):
        vae_loss(kind="l2")


def test_ae_loss_and_noise():
    torch.manual_seed(0)
    m = AE(latent_dim=2, width=4, hidden=8)
    x = torch.rand(5, 1, 28, 28, generator=G(0))
    torch.testing.assert_close(
        ae_loss("bce")(m, x), F.binary_cross_entropy_with_logits(m(x), x, reduction="sum") / 5
    )
    torch.testing.assert_close(ae_loss("mse")(m, [x]), ((torch.sigmoid(m(x)) - x) ** 2).sum() / 5)
    noisy = add_noise(x, 0.5, generator=G(3))
    assert noisy.min() >= 0 and noisy.max() <= 1 and not torch.equal(noisy, x)
    assert add_noise(x, 0.0) is x
    # denoising loss compares against the clean x
    torch.manual_seed(2)
    assert float(ae_loss("mse", noise=0.5)(m, x).detach()) > 0
    with pytest.raises(ValueError):
        add_noise(x, -0.1)
    with pytest.raises(ValueError):
        ae_loss("hinge")


def test_a_short_training_run_improves_the_elbo():
    from labkit.train import fit

    torch.set_num_threads(1)
    torch.manual_seed(0)
    # structured synthetic data: 4 bar patterns with noise
    base = torch.zeros(4, 1, 28, 28)
    for i in range(4):
        base[i, 0, 4 + 5 * i : 8 + 5 * i, 4:24] = 1
    x = (base.repeat(64, 1, 1, 1) + 0.05 * torch.rand(256, 1, 28, 28)).clamp(0, 1)
    m = VAE(latent_dim=2, width=4, hidden=32)
    before = evaluate_elbo(m, x)["elbo"]
    fit(
        m,
        torch.utils.data.DataLoader(x, batch_size=32, shuffle=True),
        loss_fn=vae_loss(),
        epochs=8,
        lr=5e-3,
        device="cpu",
        progress=False,
    )
    after = evaluate_elbo(m, x)
    assert after["elbo"] > before + 100, (before, after)
    assert evaluate_elbo(m, x)["elbo"] == after["elbo"]  # seeded evaluation
