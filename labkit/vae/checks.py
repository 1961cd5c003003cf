"""Self-checks for notebook 04_autoencoders_vae.

Each check runs the student's function on small cases built from its own ``seed`` (a private
``torch.Generator``; the global random state is left as it was) and compares it with labkit's own
implementation (computed privately; never printed), plus Monte Carlo and gradient tests. Hidden
tests call the same check with other seeds.
"""

from __future__ import annotations

import math

import torch

from labkit.checks._core import (
    Hint,
    exercise,
    expect_close,
    expect_finite,
    expect_shape,
    expect_true,
    expect_type,
)

__all__ = ["anomaly_scores", "elbo", "kl_divergence", "reparameterize"]


def _case(b=4, d=3, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(b, d, generator=g, dtype=dtype)
    logvar = torch.randn(b, d, generator=g, dtype=dtype).clamp(-2, 2)
    return mu, logvar


def _call_tensor(fn, *args, what="your function"):
    out = fn(*args)
    expect_type(out, torch.Tensor, f"the result of {what}")
    return out


@exercise("vae-reparam", "mean, std and gradients to mu and logvar match")
def reparameterize(fn, seed: int = 0):
    """``fn(mu, logvar) -> z`` of the same shape, z ~ N(mu, exp(logvar)), differentiable.

    The student's noise comes from torch's global generator; it is drawn inside ``fork_rng`` so
    the notebook's random state is the same whether or not the check ran. The tolerances are
    7-10 standard errors of 20,000 samples, so the result does not depend on that state."""
    mu, logvar = _case(2, 3, seed=1 + 7 * seed)
    big_mu = mu.repeat(20_000, 1).requires_grad_(True)  # (40000, 3)
    big_lv = logvar.repeat(20_000, 1).requires_grad_(True)
    with torch.random.fork_rng(devices=[]):
        z = _call_tensor(fn, big_mu, big_lv, what="reparameterize")
    expect_shape(z, big_mu.shape, "z")
    expect_finite(z, "z")
    expect_true(
        z.requires_grad,
        "z does not depend on mu/logvar through autograd: compute it from mu and "
        "logvar with torch operations and draw only the noise at random (no torch.normal, "
        "no .detach(), no numpy).",
    )
    zz = z.detach().view(20_000, 2, 3)
    std = (0.5 * logvar).exp()
    mean_err = float(((zz.mean(0) - mu) / std).abs().max())
    expect_true(
        mean_err < 0.05,
        f"the sample mean is {mean_err:.2f} standard deviations away from mu "
        "(the mean of z should be mu).",
    )
    ratio = zz.std(0) / std
    if float((ratio - 1).abs().max()) > 0.05:
        hint = "the spread of z is wrong"
        if torch.allclose(zz.std(0), logvar.exp(), rtol=0.05):
            hint += (
                ": it equals the variance exp(logvar), but the noise must be scaled by the "
                "standard deviation (the square root of the variance)"
            )
        elif float(zz.std(0).max()) < 1e-6:
            hint += ": z has no noise at all"
        raise Hint(
            hint + f" (std/expected ranges {float(ratio.min()):.2f}..{float(ratio.max()):.2f})."
        )
    z.sum().backward()
    if big_mu.grad is None or big_lv.grad is None:
        raise Hint("no gradient reaches mu or logvar: keep both in the autograd graph.")
    expect_close(big_mu.grad, torch.ones_like(big_mu), "dz/dmu", rtol=1e-4, atol=1e-5)
    # z = mu + exp(logvar/2) eps  =>  dz/dlogvar = (z - mu) / 2
    expect_close(
        big_lv.grad, 0.5 * (z.detach() - big_mu.detach()), "dz/dlogvar", rtol=1e-3, atol=1e-5
    )


@exercise("vae-kl", "closed form, Monte Carlo and gradients match")
def kl_divergence(fn, seed: int = 0):
    """``fn(mu, logvar) -> (B,)``: KL(N(mu, exp(logvar)) || N(0, I)) per example.

    Summed over the latent dimensions.
    """
    from labkit.vae.losses import kl_normal

    for i, (b, d) in enumerate([(4, 3), (2, 7)]):
        mu, logvar = _case(b + seed % 3, d + seed % 2, seed=10 + i + 100 * seed)
        b, d = mu.shape
        mu.requires_grad_(True)
        logvar.requires_grad_(True)
        got = _call_tensor(fn, mu, logvar, what="kl_divergence")
        if got.shape == (b, d):
            raise Hint(
                f"the KL has shape {(b, d)}: sum it over the latent dimensions to get one value "
                "per example (B,)."
            )
        if got.ndim == 0:
            raise Hint(
                "the KL is a single number: return one value per example, shape (B,) "
                "(do not average over the batch)."
            )
        want = kl_normal(mu.detach(), logvar.detach())
        expect_close(got, want, "KL", rtol=1e-4, atol=1e-6)
        expect_true(bool((got.detach() >= -1e-9).all()), "a KL divergence can never be negative.")
        got.sum().backward()
        expect_true(
            mu.grad is not None and logvar.grad is not None,
            "no gradient reaches mu or logvar (use torch operations, no .detach() / numpy).",
        )
        expect_close(mu.grad, mu.detach(), "dKL/dmu", rtol=1e-4, atol=1e-6)
        expect_close(
            logvar.grad, 0.5 * (logvar.detach().exp() - 1), "dKL/dlogvar", rtol=1e-4, atol=1e-6
        )
    # Monte Carlo agreement (an independent estimate of the same quantity), private generator
    mu, logvar = _case(1, 2, seed=3 + 100 * seed)
    sd = (0.5 * logvar).exp()
    zs = mu + sd * torch.randn(
        (100_000, 1, 2), generator=torch.Generator().manual_seed(seed), dtype=mu.dtype
    )
    q = torch.distributions.Normal(mu, sd)
    mc = (q.log_prob(zs) - torch.distributions.Normal(0.0, 1.0).log_prob(zs)).sum(-1).mean()
    got = fn(mu, logvar)
    expect_true(
        abs(float(got.reshape(-1)[0]) - float(mc)) < 0.05 + 0.02 * abs(float(mc)),
        "the KL disagrees with a Monte Carlo estimate of E_q[log q(z) - log p(z)].",
    )


@exercise("vae-elbo", "per-image ELBO in nats matches")
def elbo(fn, seed: int = 0):
    """``fn(x_logits, x, mu, logvar) -> (B,)``: log p(x|z) (Bernoulli, summed over pixels)
    minus the KL, per image, in nats (a negative number of a few hundred for MNIST)."""
    from labkit.vae.losses import kl_normal, log_bernoulli

    g = torch.Generator().manual_seed(5 + 1000 * seed)
    for b in (3 + seed % 2, 5):
        logits = torch.randn(b, 1, 28, 28, generator=g, dtype=torch.float64) * 2
        x = torch.rand(b, 1, 28, 28, generator=g, dtype=torch.float64).round()
        mu, logvar = _case(b, 2 + seed % 3, seed=b + 100 * seed)
        got = _call_tensor(fn, logits, x, mu, logvar, what="elbo")
        if got.ndim == 0:
            raise Hint("the ELBO is a single number: return one value per image, shape (B,).")
        expect_shape(got, (b,), "ELBO")
        rec, kl = log_bernoulli(logits, x), kl_normal(mu, logvar)
        want = rec - kl
        if torch.allclose(got, -want, rtol=1e-4):
            raise Hint(
                "the sign is flipped: the ELBO is a log-probability minus a KL "
                "(a negative number); the training loss is its negative."
            )
        if torch.allclose(got, rec + kl, rtol=1e-4):
            raise Hint("the KL has the wrong sign: the ELBO subtracts it.")
        if torch.allclose(got, rec, rtol=1e-4):
            raise Hint("the KL term is missing.")
        sig_twice = log_bernoulli(torch.sigmoid(logits), x) - kl
        if torch.allclose(got, sig_twice, rtol=1e-4):
            raise Hint(
                "x_logits are logits already: a sigmoid applied before a loss that takes logits "
                "counts the sigmoid twice."
            )
        if torch.allclose(got, rec / 784 - kl, rtol=1e-4):
            raise Hint(
                "the reconstruction term is averaged over pixels: sum over the 784 pixels "
                "(nats per image)."
            )
        expect_close(got, want, "ELBO", rtol=1e-4, atol=1e-4)


def _tiny_ae(seed: int):
    """A small AE with weights from a private generator (the global random state is untouched)."""
    from labkit.vae.models import AE

    with torch.random.fork_rng(devices=[]):
        model = AE(latent_dim=2, width=4, hidden=16).eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = p[0].numel() if p.ndim > 1 else p.numel()
            p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) / math.sqrt(fan_in))
    return model


@exercise("ae-anomaly-score", "per-image reconstruction errors match")
def anomaly_scores(fn, seed: int = 0):
    """``fn(model, images) -> (N,)``: summed squared error between each image and
    ``model.reconstruct(image)`` (higher = more anomalous)."""
    model = _tiny_ae(seed)
    n = 6 + seed % 4
    x = torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(1 + 10 * seed))
    got = _call_tensor(fn, model, x, what="anomaly_scores")
    if got.ndim == 0:
        raise Hint("one score per image is needed, shape (N,), not a single number.")
    if got.ndim > 1 and got.shape[0] == n:
        raise Hint(
            f"the scores have shape {tuple(got.shape)}: reduce over every pixel to get "
            "one score per image (N,)."
        )
    expect_shape(got, (n,), "scores")
    with torch.no_grad():
        want = (model.reconstruct(x) - x).pow(2).flatten(1).sum(1)
        logit_err = (model(x) - x).pow(2).flatten(1).sum(1)
    g64 = got.detach().double()
    if torch.allclose(g64, logit_err.double(), rtol=1e-4):
        raise Hint(
            "model(x) returns logits, not images: compare the reconstructed images "
            "(values in [0, 1]) with x."
        )
    if torch.allclose(g64, want.sqrt().double(), rtol=1e-4):
        raise Hint(
            "that is the Euclidean distance: the score is the summed SQUARED error "
            "(no square root)."
        )
    if torch.allclose(g64, want.double() / 784, rtol=1e-4):
        raise Hint(
            "every score is 784 times too small: sum the squared errors over the pixels, "
            "do not average."
        )
    if torch.allclose(
        g64, (model.reconstruct(x) - x).detach().abs().flatten(1).sum(1).double(), rtol=1e-4
    ):
        raise Hint("that is the summed ABSOLUTE error: square the differences instead.")
    expect_close(got.detach(), want, "scores", rtol=1e-4, atol=1e-4)
    expect_true(math.isfinite(float(got.sum())), "scores must be finite")
