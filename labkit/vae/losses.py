"""Reconstruction losses, the reparameterisation trick, the closed-form KL and the ELBO
(notebook 04_autoencoders_vae). All per-image quantities are in nats, summed over the 784
pixels (and latent dimensions), so the ELBO reads as "nats per image".

For a VAE with a Bernoulli decoder (logits ``l``) and a Gaussian encoder
``N(mu, diag(exp(logvar)))``:

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))
    log p(x|z) = -sum_i BCE_with_logits(l_i, x_i)
    KL = 0.5 * sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = [
    "reparameterize",
    "kl_normal",
    "bce_recon",
    "mse_recon",
    "recon_loss",
    "elbo_terms",
    "vae_loss",
    "ae_loss",
    "evaluate_elbo",
    "add_noise",
    "log_bernoulli",
]


def _check_pair(a, b, an, bn):
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        raise ValueError(
            f"{an} and {bn} must be torch tensors, got {type(a).__name__} and {type(b).__name__}"
        )
    if a.shape != b.shape:
        raise ValueError(
            f"{an} has shape {tuple(a.shape)} but {bn} has shape {tuple(b.shape)}; they must match."
        )


def reparameterize(mu, logvar, generator: torch.Generator | None = None):
    """z = mu + exp(logvar / 2) * eps, eps ~ N(0, I): a sample of N(mu, exp(logvar)) that is
    differentiable in mu and logvar (the noise is the only random part)."""
    _check_pair(mu, logvar, "mu", "logvar")
    if generator is None:
        eps = torch.randn_like(mu)
    else:
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_normal(mu, logvar, reduce_dims: bool = True):
    """KL(N(mu, exp(logvar)) || N(0, 1)) in closed form: per example (B,), summed over latent
    dims; ``reduce_dims=False`` keeps one value per dimension (B, D)."""
    _check_pair(mu, logvar, "mu", "logvar")
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)  # (B, D)
    return kl.sum(dim=-1) if reduce_dims else kl


def log_bernoulli(logits, x):
    """log p(x | logits) per image (B,), summed over pixels (x in [0, 1])."""
    _check_pair(logits, x, "logits", "x")
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def bce_recon(logits, x):
    """Per-image summed binary cross-entropy (B,) = -log p(x|z) for a Bernoulli decoder."""
    return -log_bernoulli(logits, x)


def mse_recon(x_hat, x):
    """Per-image summed squared error (B,) (a Gaussian decoder with unit variance, up to
    constants, times 2)."""
    _check_pair(x_hat, x, "x_hat", "x")
    return (x_hat - x).pow(2).flatten(1).sum(1)


def recon_loss(logits, x, kind: str = "bce"):
    """Per-image reconstruction loss (B,): ``bce`` (from logits) or ``mse`` (on sigmoid(logits))."""
    if kind == "bce":
        return bce_recon(logits, x)
    if kind == "mse":
        return mse_recon(torch.sigmoid(logits), x)
    raise ValueError(f"kind must be 'bce' or 'mse', got {kind!r}")


def elbo_terms(model, x, n_samples: int = 1, generator: torch.Generator | None = None) -> dict:
    """Single-batch ELBO pieces for a VAE, per image (B,): ``recon`` = E_q[-log p(x|z)]
    (Monte Carlo with ``n_samples``), ``kl`` (closed form), ``elbo`` = -(recon + kl)."""
    mu, logvar = model.encode(x)
    rec = 0.0
    for _ in range(n_samples):
        z = reparameterize(mu, logvar, generator)
        rec = rec + bce_recon(model.decode_logits(z), x)
    rec = rec / n_samples
    kl = kl_normal(mu, logvar)
    return {"recon": rec, "kl": kl, "elbo": -(rec + kl), "mu": mu, "logvar": logvar}


def vae_loss(
    beta: float | None = None, recon_weight: float = 1.0, kind: str = "bce", warmup_steps: int = 0
):
    """A ``loss_fn(model, batch)`` for ``labkit.train.fit``: mean over the batch of
    ``recon_weight * recon + beta * KL`` (beta defaults to ``model.beta``).

    ``recon_weight=0`` gives the "KL only" model, ``beta=0`` the "reconstruction only" one.
    ``warmup_steps > 0`` ramps the KL weight linearly from 0 to beta over that many training
    steps (KL annealing: avoids the early "posterior collapse" of short runs); the logged
    ``neg_elbo`` is always the true -ELBO (beta = 1).
    """
    if kind not in ("bce", "mse"):
        raise ValueError(f"kind must be 'bce' or 'mse', got {kind!r}")
    state = {"step": 0}

    def loss_fn(model, batch):
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        mu, logvar = model.encode(x)
        z = reparameterize(mu, logvar)
        rec = recon_loss(model.decode_logits(z), x, kind)  # (B,)
        kl = kl_normal(mu, logvar)  # (B,)
        b = model.beta if beta is None else beta
        if warmup_steps and model.training:
            state["step"] += 1
            b = b * min(1.0, state["step"] / warmup_steps)
        loss = (recon_weight * rec + b * kl).mean()
        return loss, {"recon": rec.mean(), "kl": kl.mean(), "neg_elbo": (rec + kl).mean()}

    return loss_fn


def add_noise(x, std: float, generator: torch.Generator | None = None):
    """Gaussian pixel noise with standard deviation ``std``, clamped back to [0, 1]."""
    if std < 0:
        raise ValueError(f"noise std must be >= 0, got {std}")
    if std == 0:
        return x
    noise = torch.randn(x.shape, generator=generator).to(x.device)
    return (x + std * noise).clamp(0, 1)


def ae_loss(kind: str = "mse", noise: float = 0.0):
    """A ``loss_fn(model, batch)`` for an AE: per-image summed ``mse`` or ``bce``, averaged
    over the batch. ``noise > 0`` trains a denoising AE (noisy input, clean target)."""
    if kind not in ("bce", "mse"):
        raise ValueError(f"kind must be 'bce' or 'mse', got {kind!r}")

    def loss_fn(model, batch):
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        logits = model(add_noise(x, noise) if noise else x)
        return recon_loss(logits, x, kind).mean()

    return loss_fn


@torch.no_grad()
def evaluate_elbo(model, images, batch_size: int = 500, n_samples: int = 1, seed: int = 0) -> dict:
    """Mean ELBO over ``images`` (N, 1, 28, 28) in nats per image, with its recon and KL parts
    and the standard error of the mean. Seeded, so the same model gives the same number."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    dev = next(model.parameters()).device
    parts = {"elbo": [], "recon": [], "kl": []}
    for i in range(0, len(images), batch_size):
        t = elbo_terms(model, images[i : i + batch_size].to(dev), n_samples, g)
        for k in parts:
            parts[k].append(t[k].cpu())
    out = {k: torch.cat(v) for k, v in parts.items()}
    n = len(out["elbo"])
    res = {k: float(v.mean()) for k, v in out.items()}
    res["elbo_sem"] = float(out["elbo"].std() / math.sqrt(n)) if n > 1 else float("nan")
    res["n"] = n
    return res
