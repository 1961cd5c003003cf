"""Self-checks for notebook 01 (k-Means): the assignment step and the update step.

The reference answers are computed here privately (never printed)."""
from __future__ import annotations

import torch

from ._core import Hint, exercise, expect_close, expect_dtype, expect_shape, expect_type


def _cases(seeds=(0, 1, 2)):
    for seed in seeds:
        g = torch.Generator().manual_seed(seed)
        n, d, k = 50 + 13 * seed, 2 + seed, 3 + seed
        X = torch.randn(n, d, generator=g, dtype=torch.float64) * 3
        C = torch.randn(k, d, generator=g, dtype=torch.float64) * 3
        yield X, C


def _nearest(X, C):
    return torch.cdist(X, C).argmin(1)


@exercise("kmeans-assign", "nearest centre for every point, 3 random cases")
def assign(fn, seeds=(0, 1, 2)):
    """Check ``fn(X, C) -> labels``: X (N, D), C (K, D) float64 tensors; labels (N,) integer tensor."""
    for X, C in _cases(seeds):
        got = fn(X.clone(), C.clone())
        expect_type(got, torch.Tensor, "assign(X, C)")
        if got.shape == (X.shape[0], C.shape[0]):
            raise Hint("assign returned an (N, K) matrix; it should return one label per point, shape (N,) "
                       "(take the argmin over the centres).")
        expect_shape(got, (X.shape[0],), "assign(X, C)")
        expect_dtype(got, "int", "assign(X, C)")
        want = _nearest(X, C)
        if torch.equal(got.long(), want):
            continue
        if torch.equal(got.long(), torch.cdist(X, C).argmax(1)):
            raise Hint("every point got its FARTHEST centre: use argmin, not argmax.")
        wrong = int((got.long() != want).sum())
        raise Hint(f"{wrong} of {len(want)} points got a label that is not their nearest centre "
                   "(check the distance: squared differences summed over the features, axis/dim 1 vs 0).")


@exercise("kmeans-update", "centre = mean of its points, 3 random cases")
def update(fn, seeds=(0, 1, 2)):
    """Check ``fn(X, labels, k) -> C``: the mean of the points of each cluster, shape (k, D)."""
    for X, C in _cases(seeds):
        k = C.shape[0]
        labels = _nearest(X, C)
        labels[:k] = torch.arange(k)                               # no empty cluster
        got = fn(X.clone(), labels.clone(), k)
        expect_type(got, torch.Tensor, "update(X, labels, k)")
        expect_shape(got, (k, X.shape[1]), "update(X, labels, k)")
        want = torch.stack([X[labels == j].mean(0) for j in range(k)])
        sums = torch.stack([X[labels == j].sum(0) for j in range(k)])
        if torch.allclose(got.double(), sums):
            raise Hint("these are the SUMS of the points of each cluster; divide by the number of points.")
        if torch.allclose(got.double(), X.mean(0).expand(k, -1)):
            raise Hint("every centre is the mean of ALL points; average only the points with that label.")
        expect_close(got, want, "update(X, labels, k)", rtol=1e-6, atol=1e-8)
