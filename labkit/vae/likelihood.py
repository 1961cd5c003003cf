"""The likelihood a VAE approximates, computed (notebook 04b_vae_likelihood).

For a latent-variable model p(x) = integral p(x|z) p(z) dz with p(z) = N(0, I) and an encoder
q(z|x) = N(mu, diag(exp(logvar))):

* :func:`log_px_grid` / :func:`log_px_adaptive`: log p(x) by numerical integration over a fine
  latent grid (1-D or 2-D latents), with the true posterior p(z|x) and q(z|x) on the same grid;
* :func:`elbo`: E_q[log p(x|z)] - KL(q || p(z)) (Monte Carlo + closed-form KL);
* :func:`iw_log_px` / :func:`iw_curve`: the importance-weighted estimate
  log (1/k) sum_i p(x, z_i) / q(z_i|x), z_i ~ q, which climbs from the ELBO (k = 1) to log p(x);
* models behind one small interface (``latent_dim``, ``encode``, ``loglik_shared``,
  ``loglik_paired``): :class:`BernoulliVAE` wraps the course VAE of ``labkit.vae.models`` (the
  tests check every estimator on a linear-Gaussian model, where log p(x) is known in closed form).

Everything is per example, in nats. Shapes: ``x`` is whatever the model takes (``(B, 1, 28, 28)``
for the course VAE); latent points ``z`` are ``(G, d)`` (shared by all x) or ``(B, K, d)`` (K per
x).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from labkit.vae.losses import kl_normal

LOG2PI = math.log(2 * math.pi)


def log_prior(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I), summed over the last dim."""
    return -0.5 * (z.pow(2).sum(-1) + z.shape[-1] * LOG2PI)


def log_normal_diag(z, mu, logvar) -> torch.Tensor:
    """log N(z; mu, diag(exp(logvar))), summed over the last dim (broadcasts)."""
    return -0.5 * (((z - mu) ** 2) / logvar.exp() + logvar + LOG2PI).sum(-1)


# ---------------------------------------------------------------- models -----------------------


class BernoulliVAE:
    """Adapter for a VAE with a Bernoulli decoder: any ``model`` with ``latent_dim``,
    ``encode(x) -> (mu, logvar)`` and ``decode_logits(z) -> logits`` (the course VAE).

    log p(x|z) = sum_i x_i l_i - softplus(l_i): a real log-probability for binary images
    (for grey values it is the usual BCE, not a normalised density)."""

    def __init__(self, model, chunk: int = 4096):
        for attr in ("latent_dim", "encode", "decode_logits"):
            if not hasattr(model, attr):
                raise ValueError(
                    f"model must have {attr!r} (the VAE interface of labkit.vae.models)"
                )
        self.model, self.chunk = model, int(chunk)
        self.latent_dim = int(model.latent_dim)

    @property
    def device(self):
        return next(self.model.parameters()).device

    @torch.no_grad()
    def encode(self, x):
        mu, logvar = self.model.encode(x.to(self.device))
        return mu.double().cpu(), logvar.double().cpu()

    def _x(self, x):
        return x.reshape(len(x), -1).to(self.device, torch.float32)

    @torch.no_grad()
    def _decode(self, z):
        return self.model.decode_logits(z.to(self.device, torch.float32)).flatten(1)  # (N, D)

    @torch.no_grad()
    def loglik_shared(self, x, z) -> torch.Tensor:
        """log p(x_b | z_g) for every image and every latent point: ``(B, G)`` float64 on the CPU
        (one decode per z, computed in chunks on the model's device)."""
        xf, out = self._x(x), []
        for zc in z.split(self.chunk):
            L = self._decode(zc)  # (g, D)
            out.append((xf @ L.T - F.softplus(L).sum(1)[None]).double().cpu())
        return torch.cat(out, 1)

    @torch.no_grad()
    def loglik_paired(self, x, z) -> torch.Tensor:
        """log p(x_b | z_bk) for ``z (B, K, d)``: ``(B, K)`` float64 on the CPU."""
        B, K, d = z.shape
        xf, zf, out = self._x(x), z.reshape(B * K, d), []
        rows = torch.arange(B * K, device=xf.device) // K  # image of every z
        for start in range(0, B * K, self.chunk):
            L = self._decode(zf[start : start + self.chunk])  # (n, D)
            xc = xf[rows[start : start + self.chunk]]
            out.append(((xc * L).sum(1) - F.softplus(L).sum(1)).double().cpu())
        return torch.cat(out).view(B, K)


# ---------------------------------------------------------------- grid integration -------------


@dataclass
class LatentGrid:
    """Cell centres ``z (G, d)`` of a regular grid over a box in latent space (d = 1 or 2);
    ``axes`` holds the 1-D centres per dimension, ``log_dv`` the log cell volume."""

    z: torch.Tensor
    axes: list
    log_dv: float

    @property
    def shape(self):
        return tuple(len(a) for a in self.axes)[::-1]  # (ny, nx) for imshow / contour

    def image(self, values):
        """``(G,)`` -> ``(ny, nx)`` (2-D) or ``(n,)`` (1-D)."""
        return torch.as_tensor(values).reshape(self.shape)


def latent_grid(lo, hi, n: int = 201, dim: int | None = None) -> LatentGrid:
    """A grid of ``n`` cell centres per dimension over the box ``lo..hi``: per-dim lists, or
    floats with ``dim`` (1 or 2) dimensions."""
    lo = torch.atleast_1d(torch.as_tensor(lo, dtype=torch.float64))
    hi = torch.atleast_1d(torch.as_tensor(hi, dtype=torch.float64))
    if dim is not None:
        lo, hi = lo.expand(dim).clone(), hi.expand(dim).clone()
    if lo.shape != hi.shape or len(lo) not in (1, 2) or not (hi > lo).all() or n < 2:
        raise ValueError(
            f"need lo < hi with 1 or 2 latent dims and n >= 2; got lo={lo}, hi={hi}, n={n}"
        )
    step = (hi - lo) / n
    axes = [lo[j] + (torch.arange(n, dtype=torch.float64) + 0.5) * step[j] for j in range(len(lo))]
    if len(axes) == 1:
        z = axes[0][:, None]
    else:
        zy, zx = torch.meshgrid(axes[1], axes[0], indexing="ij")  # row = z2, column = z1
        z = torch.stack([zx.reshape(-1), zy.reshape(-1)], 1)
    return LatentGrid(z, axes, float(step.log().sum()))


@dataclass
class GridResult:
    """log p(x) of one image by integration, and the densities on its grid."""

    grid: LatentGrid
    log_px: float
    log_joint: torch.Tensor  # (G,) log p(x|z) + log p(z)
    log_post: torch.Tensor  # (G,) log p(z|x), normalised on the grid
    log_q: torch.Tensor  # (G,) log q(z|x)

    @property
    def elbo(self) -> float:
        """The ELBO integrated on the grid: sum q (log p(x, z) - log q) dV."""
        q = (self.log_q + self.grid.log_dv).exp()
        return float((q * (self.log_joint - self.log_q)).sum())

    @property
    def kl(self) -> float:
        """KL(q(z|x) || p(z|x)) on the grid = log p(x) - ELBO."""
        q = (self.log_q + self.grid.log_dv).exp()
        return float((q * (self.log_q - self.log_post)).sum())

    @property
    def q_mass(self) -> float:
        """How much of q falls inside the grid (should be ~1)."""
        return float((self.log_q + self.grid.log_dv).exp().sum())


def _check_model(model):
    if model.latent_dim not in (1, 2):
        raise ValueError(
            "grid integration needs a 1-D or 2-D latent; this model has "
            f"latent_dim={model.latent_dim}. Use iw_log_px for larger latents."
        )


def log_px_grid(model, x, grid: LatentGrid) -> torch.Tensor:
    """log p(x) = log sum_g p(x|z_g) p(z_g) dV for every x on one shared grid: ``(B,)``."""
    _check_model(model)
    lj = model.loglik_shared(x, grid.z) + log_prior(grid.z)[None]  # (B, G)
    return torch.logsumexp(lj, 1) + grid.log_dv


def _result(model, x1, grid) -> GridResult:
    lj = (model.loglik_shared(x1, grid.z) + log_prior(grid.z)[None])[0]  # (G,)
    lp = float(torch.logsumexp(lj, 0)) + grid.log_dv
    mu, logvar = model.encode(x1)
    return GridResult(
        grid, lp, lj, lj - lp, log_normal_diag(grid.z, mu[0].double(), logvar[0].double())
    )


def log_px_adaptive(
    model,
    x,
    lim: float = 5.0,
    n_coarse: int = 61,
    n_fine: int = 101,
    tol: float = 20.0,
    q_sigmas: float = 6.0,
) -> list:
    """log p(x) per image with a grid that zooms in on the posterior (2 stages).

    A coarse grid over ``[-lim, lim]^d`` locates where log p(x, z) is within ``tol`` nats of its
    maximum; the fine grid (``n_fine`` per dim) covers that box, widened by one coarse cell and
    joined with ``q_sigmas`` standard deviations of q(z|x) around its mean. Returns one
    :class:`GridResult` per image."""
    _check_model(model)
    coarse = latent_grid(-lim, lim, n_coarse, dim=model.latent_dim)
    lj = model.loglik_shared(x, coarse.z) + log_prior(coarse.z)[None]  # (B, G)
    mu, logvar = model.encode(x)
    step = 2 * lim / n_coarse
    out = []
    for i in range(len(lj)):
        keep = coarse.z[lj[i] >= lj[i].max() - tol]
        sd = (0.5 * logvar[i].double()).exp()
        lo = torch.minimum(keep.min(0).values - step, mu[i] - q_sigmas * sd)
        hi = torch.maximum(keep.max(0).values + step, mu[i] + q_sigmas * sd)
        out.append(_result(model, x[i : i + 1], latent_grid(lo, hi, n_fine)))
    return out


# ---------------------------------------------------------------- Monte Carlo -------------------


def _sample_q(mu, logvar, k, generator):
    eps = torch.randn((mu.shape[0], k, mu.shape[1]), generator=generator, dtype=torch.float64)
    return mu[:, None] + (0.5 * logvar[:, None]).exp() * eps  # (B, k, d)


def log_weights(model, x, k: int, generator: torch.Generator | None = None, chunk: int = 1000):
    """log w = log p(x|z) + log p(z) - log q(z|x) for k samples z ~ q(z|x): ``(B, k)``."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    generator = generator or torch.Generator().manual_seed(0)
    mu, logvar = (t.double() for t in model.encode(x))
    out = []
    for start in range(0, k, chunk):
        z = _sample_q(mu, logvar, min(chunk, k - start), generator)
        out.append(
            model.loglik_paired(x, z)
            + log_prior(z)
            - log_normal_diag(z, mu[:, None], logvar[:, None])
        )
    return torch.cat(out, 1)


def elbo(model, x, n_samples: int = 100, generator: torch.Generator | None = None) -> torch.Tensor:
    """ELBO per example: E_q[log p(x|z)] - KL(q || N(0, I)).

    The expectation is a Monte Carlo average over ``n_samples``; the KL is in closed form.
    """
    generator = generator or torch.Generator().manual_seed(0)
    mu, logvar = (t.double() for t in model.encode(x))
    z = _sample_q(mu, logvar, n_samples, generator)
    return model.loglik_paired(x, z).mean(1) - kl_normal(mu, logvar)


def iw_log_px(model, x, k: int = 5000, generator: torch.Generator | None = None, chunk: int = 1000):
    """Importance-weighted estimate of log p(x), ``(B,)``: log mean_k exp(log w). k = 1 gives an
    unbiased ELBO sample; it rises toward log p(x) as k grows (Burda et al., 2016)."""
    lw = log_weights(model, x, k, generator, chunk)
    return torch.logsumexp(lw, 1) - math.log(k)


def iw_curve(model, x, ks=(1, 10, 100, 1000), repeats: int = 5, seed: int = 0) -> dict:
    """Importance-weighted estimates for several k: ``{k: (B, repeats)}``. Each repeat draws
    max(ks) samples and uses its first k for every k (nested estimates)."""
    ks = sorted(int(k) for k in ks)
    g = torch.Generator().manual_seed(seed)
    lws = [log_weights(model, x, ks[-1], g) for _ in range(repeats)]
    return {
        k: torch.stack([torch.logsumexp(lw[:, :k], 1) - math.log(k) for lw in lws], 1) for k in ks
    }
