"""Self-checks for notebook 02 (Mean Shift): one flat-kernel mean-shift step.

The reference answers are computed here privately (never printed)."""
from __future__ import annotations

import torch

from ._core import Hint, exercise, expect_close, expect_shape, expect_type


def _reference(X, S, bw):
    inside = (torch.cdist(S, X) <= bw).double()                    # (M, N)
    cnt = inside.sum(1, keepdim=True)
    new = inside @ X / cnt.clamp(min=1)
    return torch.where(cnt > 0, new, S)


@exercise("meanshift-step", "flat kernel, 3 random cases incl. a seed with no neighbour")
def step(fn, seeds=(0, 1, 2)):
    """Check ``fn(X, S, bandwidth) -> S_new``: each seed moves to the mean of the points within
    ``bandwidth`` of it (distance <= bandwidth); a seed with no such point stays where it is."""
    for seed in seeds:
        g = torch.Generator().manual_seed(seed)
        X = torch.randn(60 + 7 * seed, 2, generator=g, dtype=torch.float64)
        S = torch.cat([X[:9] + 0.1 * torch.randn(9, 2, generator=g, dtype=torch.float64),
                       torch.tensor([[50.0, 50.0]], dtype=torch.float64)])   # the last seed is alone
        bw = 0.8 + 0.2 * seed
        got = fn(X.clone(), S.clone(), bw)
        expect_type(got, torch.Tensor, "step(X, S, bandwidth)")
        expect_shape(got, S.shape, "step(X, S, bandwidth)")
        want = _reference(X, S, bw)
        g64 = got.double()
        if torch.allclose(g64[:-1], X.mean(0).expand(len(S) - 1, -1)):
            raise Hint("every seed moved to the mean of ALL points; average only the points within the bandwidth.")
        if torch.allclose(g64, want - S):
            raise Hint("this is the mean-shift VECTOR (mean - seed); return the new positions (the mean).")
        if not bool(torch.isfinite(g64[-1]).all()) or not torch.allclose(g64[-1], S[-1]):
            raise Hint("a seed with no point within the bandwidth should stay where it is (no division by zero).")
        expect_close(got, want, "step(X, S, bandwidth)", rtol=1e-6, atol=1e-8)
