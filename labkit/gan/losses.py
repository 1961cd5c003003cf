"""Adversarial losses for lab 05, all on discriminator *logits* (numerically stable: log D(x) =
-softplus(-logit), log(1 - D(x)) = -softplus(logit)).

The minimax game  min_G max_D  E_x log D(x) + E_z log(1 - D(G(z))):

- :func:`d_loss`: the discriminator minimises  -E log D(x) - E log(1 - D(G(z)))  (binary
  cross-entropy: real = 1, fake = 0).
- :func:`g_loss_saturating`: the generator of the original minimax game minimises
  E log(1 - D(G(z))); its gradient vanishes when D confidently rejects the fakes (early training).
- :func:`g_loss_nonsaturating`: the fix from the same paper: minimise  -E log D(G(z)).
- :func:`r1_penalty`: gamma/2 E ||grad_x D(x)||^2 on real data (Mescheder et al. 2018).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _check(logits, what):
    if not isinstance(logits, torch.Tensor):
        raise ValueError(
            f"{what} must be a torch.Tensor of discriminator logits, got {type(logits).__name__}"
        )
    if not logits.is_floating_point():
        raise ValueError(f"{what} must be a float tensor of logits, got dtype {logits.dtype}")
    return logits


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-E log D(x) - E log(1 - D(G(z))): a scalar (means over each batch, then summed)."""
    _check(real_logits, "real_logits"), _check(fake_logits, "fake_logits")
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """E log(1 - D(G(z))) (to minimise): the generator's side of the original minimax game."""
    return -F.softplus(_check(fake_logits, "fake_logits")).mean()


def g_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """-E log D(G(z)) (to minimise): same fixed point, strong gradients when D wins."""
    return F.softplus(-_check(fake_logits, "fake_logits")).mean()


G_LOSSES = {
    "saturating": g_loss_saturating,
    "minimax": g_loss_saturating,
    "nonsaturating": g_loss_nonsaturating,
    "ns": g_loss_nonsaturating,
}


def g_loss(fake_logits: torch.Tensor, kind: str = "nonsaturating") -> torch.Tensor:
    if kind not in G_LOSSES:
        raise ValueError(f"unknown generator loss {kind!r}; expected one of {sorted(G_LOSSES)}")
    return G_LOSSES[kind](fake_logits)


def r1_penalty(
    real_logits: torch.Tensor, real_in: torch.Tensor, gamma: float = 1.0, batch_dims: int = 1
) -> torch.Tensor:
    """gamma/2 * E ||grad_x D(x)||^2 on real samples (a zero-centred gradient penalty).

    ``real_in`` requires grad and ``real_logits = D(real_in)`` (the trainer reuses its D pass).
    The squared gradient is summed over each sample's dims and averaged over the sample axis
    (the last of ``batch_dims``): a scalar for ``batch_dims=1``, one value per run for stacked runs
    ``(N, n, ...)`` with ``batch_dims=2``."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real_in, create_graph=True)
    return 0.5 * gamma * grad.flatten(batch_dims).pow(2).sum(-1).mean(-1)


def pix2pix_g_loss(
    fake_logits: torch.Tensor, fake: torch.Tensor, target: torch.Tensor, l1_weight: float = 100.0
) -> tuple[torch.Tensor, dict]:
    """pix2pix generator loss: non-saturating adversarial + ``l1_weight`` * |G(x) - y|_1."""
    if fake.shape != target.shape:
        raise ValueError(
            f"fake {tuple(fake.shape)} and target {tuple(target.shape)} must have the same shape"
        )
    adv = g_loss_nonsaturating(fake_logits)
    l1 = (fake - target).abs().mean()
    return adv + l1_weight * l1, {"g_adv": adv.detach(), "l1": l1.detach()}
