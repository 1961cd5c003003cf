"""Self-checks for notebook 04b (a VAE's log-likelihood).

``labkit.checks.likelihood.iw_estimate(fn)``: the importance-weighted estimate from log weights.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ._core import Hint, exercise, expect_close, expect_finite, expect_shape, _to_np


def _reference(log_w):
    return (torch.logsumexp(log_w, 1) - math.log(log_w.shape[1])).numpy()


@exercise("vaelik-iw", "3 cases incl. log weights near -1000 nats (exp underflows)")
def iw_estimate(fn, seed: int = 0):
    """``fn(log_w (B, k) tensor) -> (B,)``: log (1/k) sum_i exp(log_w[:, i])."""
    g = torch.Generator().manual_seed(seed)
    cases = [torch.randn(3, 10, generator=g, dtype=torch.float64),
             torch.randn(2, 1, generator=g, dtype=torch.float64) - 5,
             torch.randn(4, 50, generator=g, dtype=torch.float64) * 3 - 1000]
    for i, lw in enumerate(cases):
        got = fn(lw.clone())
        want = _reference(lw)
        g_np = _to_np(got).astype(np.float64)
        expect_shape(g_np, want.shape, "the estimate")
        if i == 2 and not np.isfinite(g_np).all():
            raise Hint("with log weights around -1000, exp(log_w) underflows to 0 and the log gives -inf: "
                       "subtract the largest log weight before exponentiating (torch.logsumexp does that).")
        expect_finite(g_np, "the estimate")
        if np.allclose(g_np, want, rtol=1e-6, atol=1e-6):
            continue
        if np.allclose(g_np, _np_mean(lw), rtol=1e-6):
            raise Hint("that is the mean of the log weights (the ELBO estimate); the IW estimate is the log "
                       "of the mean of the weights.")
        if np.allclose(g_np, want + math.log(lw.shape[1]), rtol=1e-6) and lw.shape[1] > 1:
            raise Hint("you forgot to divide by k (subtract log k): that is the log of the SUM of the weights.")
        expect_close(g_np, want, "the estimate", rtol=1e-6, atol=1e-6)


def _np_mean(lw):
    return lw.mean(1).numpy()
