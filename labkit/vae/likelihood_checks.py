"""Self-checks for notebook 04b (a VAE's log-likelihood).

- ``grid_log_px(fn)``: log p(x) by the midpoint rule from log p(x, z) on a latent grid;
- ``log_weights(fn)``: the importance weights log p(x|z) + log p(z) - log q(z|x);
- ``iw_estimate(fn)``: the importance-weighted estimate from log weights.

Each check builds its cases from its own ``seed`` (a private ``torch.Generator``) and computes the
reference privately (never printed). Hidden tests call the same check with other seeds.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from labkit.checks._core import (
    Hint,
    _to_np,
    exercise,
    expect_close,
    expect_finite,
    expect_shape,
    expect_type,
)

__all__ = ["grid_log_px", "iw_estimate", "log_weights"]


def _lse(a, dim=1):
    return torch.logsumexp(a, dim)


# ---------------------------------------------------------------- grid (section 1) ------------


@exercise("vaelik-grid", "3 grids incl. log joints near -900 nats (exp underflows)")
def grid_log_px(fn, seed: int = 0):
    """``fn(log_joint (B, G) tensor, log_dv float) -> (B,)``: log sum_g exp(log_joint[:, g]) dV."""
    g = torch.Generator().manual_seed(seed)
    cases = [
        (torch.randn(2, 25, generator=g, dtype=torch.float64), math.log(0.05)),
        (
            torch.randn(3, 100, generator=g, dtype=torch.float64) * 2 - 3,
            math.log(0.02 + 0.01 * (seed % 3)),
        ),
        (torch.randn(4, 400, generator=g, dtype=torch.float64) * 5 - 900, math.log(2.5e-3)),
    ]
    for i, (lj, log_dv) in enumerate(cases):
        got = fn(lj.clone(), log_dv)
        expect_type(got, torch.Tensor, "grid_log_px(log_joint, log_dv)")
        want = _lse(lj) + log_dv
        if got.ndim == 0:
            raise Hint("one log p(x) per image is needed, shape (B,), not a single number.")
        expect_shape(got, want.shape, "log p(x)")
        g64 = got.detach().double()
        if i == 2 and not torch.isfinite(g64).all():
            raise Hint(
                "with log p(x, z) around -900 nats, exp() underflows to 0 and the log gives -inf: "
                "factor the largest term out of the sum before exponentiating."
            )
        expect_finite(g64, "log p(x)")
        if torch.allclose(g64, want, rtol=1e-7, atol=1e-6):
            continue
        if torch.allclose(g64, want - log_dv, rtol=1e-7, atol=1e-6):
            raise Hint(
                "the cell size is missing: the midpoint rule multiplies each density value by the "
                "volume of its cell (in log space: adds log_dv)."
            )
        if torch.allclose(g64, want - log_dv - math.log(lj.shape[1]), rtol=1e-7, atol=1e-6):
            raise Hint(
                "that is the log of the MEAN of p(x, z) over the grid: an integral sums the cells, "
                "each weighted by its volume."
            )
        if torch.allclose(g64, lj.mean(1) + log_dv, rtol=1e-7, atol=1e-6):
            raise Hint(
                "that averages the LOG densities; the integral is over the densities themselves."
            )
        expect_close(g64, want, "log p(x)", rtol=1e-7, atol=1e-6)


# ---------------------------------------------------------------- log weights (section 2) ------


def _lw_case(seed):
    g = torch.Generator().manual_seed(1000 + seed)
    B, k, d = 2 + seed % 3, 4 + seed % 5, 2 + seed % 2
    mu = torch.randn(B, d, generator=g, dtype=torch.float64)
    logvar = torch.randn(B, d, generator=g, dtype=torch.float64).clamp(-2, 1) - 0.5
    z = mu[:, None] + (0.5 * logvar[:, None]).exp() * torch.randn(
        B, k, d, generator=g, dtype=torch.float64
    )
    log_pxz = -100 - 50 * torch.rand(B, k, generator=g, dtype=torch.float64)
    return log_pxz, z, mu, logvar


def _log_n(z, mu, var):
    return -0.5 * (((z - mu) ** 2) / var + var.log() + math.log(2 * math.pi)).sum(-1)


@exercise("vaelik-log-weights", "3 random cases: shape, prior term, q term")
def log_weights(fn, seed: int = 0):
    """``fn(log_px_given_z (B, k), z (B, k, d), mu (B, d), logvar (B, d)) -> (B, k)``:
    log p(x|z) + log N(z; 0, I) - log N(z; mu, diag(exp(logvar)))."""
    for s in (3 * seed, 3 * seed + 1, 3 * seed + 2):
        lpxz, z, mu, logvar = _lw_case(s)
        got = fn(lpxz.clone(), z.clone(), mu.clone(), logvar.clone())
        expect_type(got, torch.Tensor, "log_weights(...)")
        B, k, d = z.shape
        if got.shape == (B, k, d):
            raise Hint(
                f"the log weights have shape {(B, k, d)}: a log density of a vector sums over its "
                "d latent coordinates, one weight per sample (B, k)."
            )
        expect_shape(got, (B, k), "log w")
        g64 = got.detach().double()
        expect_finite(g64, "log w")
        zeros = torch.zeros_like(mu[:, None])
        log_p = _log_n(z, zeros, torch.ones_like(z))
        var = logvar[:, None].exp()
        log_q = _log_n(z, mu[:, None], var)
        want = lpxz + log_p - log_q
        if torch.allclose(g64, want, rtol=1e-7, atol=1e-6):
            continue
        if torch.allclose(g64, lpxz + log_p + log_q, rtol=1e-7, atol=1e-6):
            raise Hint("log q(z|x) has the wrong sign: the weight is p(x, z) DIVIDED by q(z|x).")
        if torch.allclose(g64, lpxz - log_q, rtol=1e-7, atol=1e-6):
            raise Hint("the prior term is missing: p(x, z) = p(x|z) p(z), and p(z) = N(0, I).")
        if torch.allclose(g64, lpxz + log_p, rtol=1e-7, atol=1e-6):
            raise Hint("the proposal term log q(z|x) is missing.")
        if torch.allclose(
            g64, lpxz + log_p - _log_n(z, mu[:, None], var.pow(2)), rtol=1e-7, atol=1e-6
        ):
            raise Hint(
                "q's spread is off: exp(logvar) is already the VARIANCE; you used it as the "
                "standard deviation."
            )
        if torch.allclose(
            g64, lpxz + log_p - _log_n(z, mu[:, None], var.sqrt()), rtol=1e-7, atol=1e-6
        ):
            raise Hint(
                "q's spread is off: exp(logvar) is the variance; you used its square root "
                "as the variance."
            )
        no_norm = lpxz + log_p - (log_q + 0.5 * logvar[:, None].sum(-1))
        if torch.allclose(g64, no_norm, rtol=1e-7, atol=1e-6):
            raise Hint(
                "q's normalising constant is incomplete: a Gaussian's log density also depends "
                "on its variance through the log-determinant term, not only through the "
                "squared distance."
            )
        raise Hint(
            f"log w is off by up to {float((g64 - want).abs().max()):.3g} nats "
            "(check both Gaussian log densities: prior N(0, I) and q = N(mu, diag(exp(logvar))), "
            "each summed over the latent dims)."
        )


# ---------------------------------------------------------------- IW estimate (section 2) ------


def _reference(log_w):
    return (torch.logsumexp(log_w, 1) - math.log(log_w.shape[1])).numpy()


@exercise("vaelik-iw", "3 cases incl. log weights near -1000 nats (exp underflows)")
def iw_estimate(fn, seed: int = 0):
    """``fn(log_w (B, k) tensor) -> (B,)``: log (1/k) sum_i exp(log_w[:, i])."""
    g = torch.Generator().manual_seed(seed)
    cases = [
        torch.randn(3, 10, generator=g, dtype=torch.float64),
        torch.randn(2, 1, generator=g, dtype=torch.float64) - 5,
        torch.randn(4, 50, generator=g, dtype=torch.float64) * 3 - 1000,
    ]
    for i, lw in enumerate(cases):
        got = fn(lw.clone())
        want = _reference(lw)
        g_np = _to_np(got).astype(np.float64)
        expect_shape(g_np, want.shape, "the estimate")
        if i == 2 and not np.isfinite(g_np).all():
            raise Hint(
                "with log weights around -1000, exp(log_w) underflows to 0 and the log gives -inf: "
                "factor the largest weight out of the sum before exponentiating."
            )
        expect_finite(g_np, "the estimate")
        if np.allclose(g_np, want, rtol=1e-6, atol=1e-6):
            continue
        if np.allclose(g_np, _np_mean(lw), rtol=1e-6):
            raise Hint(
                "that is the mean of the log weights (the ELBO estimate); the IW estimate is "
                "the log of the mean of the weights."
            )
        if np.allclose(g_np, want + math.log(lw.shape[1]), rtol=1e-6) and lw.shape[1] > 1:
            raise Hint(
                "that is the log of the SUM of the weights: the estimate averages them over "
                "the k samples."
            )
        expect_close(g_np, want, "the estimate", rtol=1e-6, atol=1e-6)


def _np_mean(lw):
    return lw.mean(1).numpy()
