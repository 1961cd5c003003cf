"""Self-checks for notebook 01 (k-Means): the assignment step, the update step and the
k-means++ seeding probabilities.

Every check takes a ``seed`` (hidden tests use other seeds than the public call) and builds its
cases with its own ``torch.Generator`` (no global reseeding). The reference answers are
computed here privately (never printed)."""

from __future__ import annotations

import torch

from labkit.checks._core import (
    Hint,
    exercise,
    expect_close,
    expect_dtype,
    expect_shape,
    expect_type,
)

__all__ = ["assign", "kmeanspp_probs", "update"]


def _seeds(seed: int, seeds) -> tuple:
    """Three case seeds per ``seed`` (0 -> 0, 1, 2; 7 -> 21, 22, 23), or the explicit ``seeds``."""
    return tuple(seeds) if seeds is not None else tuple(range(3 * int(seed), 3 * int(seed) + 3))


def _cases(seeds):
    for s in seeds:
        g = torch.Generator().manual_seed(s)
        r = s % 5
        n, d, k = 50 + 13 * r, 2 + r, 3 + r
        X = torch.randn(n, d, generator=g, dtype=torch.float64) * 3
        C = torch.randn(k, d, generator=g, dtype=torch.float64) * 3
        yield X, C


def _dist(X, C):
    return torch.cdist(X, C, compute_mode="donot_use_mm_for_euclid_dist")  # (N, K), exact


def _nearest(X, C):
    return _dist(X, C).argmin(1)


@exercise("kmeans-assign", "nearest centre for every point, 3 random cases")
def assign(fn, seed: int = 0, seeds=None):
    """Check ``fn(X, C) -> labels``: X (N, D), C (K, D) float64 tensors; labels (N,) integer
    tensor."""
    for X, C in _cases(_seeds(seed, seeds)):
        got = fn(X.clone(), C.clone())
        expect_type(got, torch.Tensor, "assign(X, C)")
        if got.shape == (X.shape[0], C.shape[0]):
            raise Hint(
                "assign returned an (N, K) matrix; it should return one label per point, "
                "shape (N,) (reduce over the centres)."
            )
        expect_shape(got, (X.shape[0],), "assign(X, C)")
        expect_dtype(got, "int", "assign(X, C)")
        want = _nearest(X, C)
        if torch.equal(got.long(), want):
            continue
        if torch.equal(got.long(), _dist(X, C).argmax(1)):
            raise Hint(
                "every point got its FARTHEST centre: pick the smallest distance, not the largest."
            )
        wrong = int((got.long() != want).sum())
        raise Hint(
            f"{wrong} of {len(want)} points got a label that is not their nearest centre "
            "(check the distance: squared differences summed over the features, "
            "not over the points)."
        )


@exercise("kmeans-update", "centre = mean of its points, 3 random cases")
def update(fn, seed: int = 0, seeds=None):
    """Check ``fn(X, labels, k) -> C``: the mean of the points of each cluster, shape (k, D)."""
    for X, C in _cases(_seeds(seed, seeds)):
        k = C.shape[0]
        labels = _nearest(X, C)
        labels[:k] = torch.arange(k)  # no empty cluster
        got = fn(X.clone(), labels.clone(), k)
        expect_type(got, torch.Tensor, "update(X, labels, k)")
        expect_shape(got, (k, X.shape[1]), "update(X, labels, k)")
        want = torch.stack([X[labels == j].mean(0) for j in range(k)])
        sums = torch.stack([X[labels == j].sum(0) for j in range(k)])
        if torch.allclose(got.double(), sums):
            raise Hint(
                "these are the SUMS of the points of each cluster; divide by the number of points."
            )
        if torch.allclose(got.double(), X.mean(0).expand(k, -1)):
            raise Hint(
                "every centre is the mean of ALL points; average only the points with that label."
            )
        expect_close(got, want, "update(X, labels, k)", rtol=1e-6, atol=1e-8)


def _pp_cases(seeds):
    for X, C in _cases(seeds):
        m = 1 + C.shape[0] % 3  # 1 to 3 centres chosen so far
        C = X[:m].clone()  # chosen centres are data points
        yield X, C


@exercise("kmeans-pp-probs", "k-means++ probabilities, 3 random cases with 1-3 chosen centres")
def kmeanspp_probs(fn, seed: int = 0, seeds=None):
    """Check ``fn(X, C) -> p``: X (N, D), C (M, D) chosen centres; p (N,) sums to 1, proportional to
    the squared distance of each point to its nearest chosen centre."""
    for X, C in _pp_cases(_seeds(seed, seeds)):
        got = fn(X.clone(), C.clone())
        expect_type(got, torch.Tensor, "kmeanspp_probs(X, C)")
        if got.shape == (X.shape[0], C.shape[0]):
            raise Hint(
                "kmeanspp_probs returned an (N, M) matrix; it should return one probability per "
                "point, shape (N,) (reduce over the chosen centres)."
            )
        expect_shape(got, (X.shape[0],), "kmeanspp_probs(X, C)")
        g = got.double()
        if not bool(torch.isfinite(g).all()) or bool((g < 0).any()):
            raise Hint("probabilities must be finite and non-negative.")
        dist = _dist(X, C)  # (N, M)
        d2 = dist.min(1).values ** 2
        want = d2 / d2.sum()
        if abs(float(g.sum()) - 1) > 1e-6:
            if torch.allclose(g / g.sum(), want, rtol=1e-5, atol=1e-9):
                raise Hint(
                    f"your values have the right proportions but sum to {float(g.sum()):.4g}; "
                    "probabilities over the points must sum to 1."
                )
            raise Hint(f"your probabilities sum to {float(g.sum()):.4g}, expected 1.")
        d1 = dist.min(1).values
        if torch.allclose(g, d1 / d1.sum(), rtol=1e-5, atol=1e-9):
            raise Hint(
                "your probabilities grow like the distance; k-means++ uses the SQUARED distance "
                "(a point twice as far should be 4 times as likely, not 2 times)."
            )
        far = dist.max(1).values ** 2
        if C.shape[0] > 1 and torch.allclose(g, far / far.sum(), rtol=1e-5, atol=1e-9):
            raise Hint("you used the distance to the FARTHEST chosen centre; use the nearest one.")
        if bool((g[: C.shape[0]] > 1e-12).any()):
            raise Hint(
                "a point that is already a centre got a non-zero probability; the distance that "
                "counts is the one to the nearest chosen centre (0 for a chosen point)."
            )
        expect_close(g, want, "kmeanspp_probs(X, C)", rtol=1e-5, atol=1e-9)
