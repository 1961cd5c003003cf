"""Clustering scores (notebooks 01 and 02): inertia, silhouette, label matching, a k scan."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["inertia", "silhouette", "adjusted_rand", "scan_k"]


def _t(x) -> torch.Tensor:
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    return t.double() if t.is_floating_point() else t


def _check(X, labels):
    X, labels = _t(X), _t(labels).long().to(_t(X).device)
    if X.ndim != 2:
        raise ValueError(
            f"X must have shape (n_samples, n_features); got {tuple(X.shape)}. "
            "Fix: X.reshape(-1, 1) for one feature."
        )
    if labels.shape != (X.shape[0],):
        raise ValueError(
            f"labels must have shape ({X.shape[0]},), one per row of X; got {tuple(labels.shape)}."
        )
    return X, labels


def inertia(X, centers, labels) -> float:
    """Sum of squared distances of each point to its centre: the k-means objective."""
    X, labels = _check(X, labels)
    C = _t(centers).to(X.device)
    return float(((X - C[labels]) ** 2).sum())


def silhouette(X, labels, sample_size: int | None = 2000, random_state=0) -> float:
    """Mean silhouette (b - a) / max(a, b) in torch, chunked (as
    ``sklearn.metrics.silhouette_score``; on a random subsample of ``sample_size`` points when
    there are more)."""
    X, labels = _check(X, labels)
    if sample_size is not None and X.shape[0] > sample_size:
        idx = torch.as_tensor(
            np.random.RandomState(random_state).permutation(X.shape[0])[:sample_size]
        )
        X, labels = X[idx], labels[idx]
    uniq, lab = torch.unique(labels, return_inverse=True)
    k = len(uniq)
    if not 2 <= k <= X.shape[0] - 1:
        raise ValueError(
            f"silhouette needs 2 <= number of clusters <= n_samples - 1; got {k} clusters "
            f"for {X.shape[0]} points."
        )
    counts = torch.bincount(lab, minlength=k).double()
    sil = torch.empty(X.shape[0], dtype=torch.float64)
    for s in range(0, X.shape[0], 1024):
        d = torch.cdist(X[s : s + 1024], X)  # (B, N)
        sums = torch.zeros(d.shape[0], k, dtype=torch.float64).index_add_(1, lab, d)  # (B, K)
        own = lab[s : s + 1024]
        n_own = counts[own]
        a = sums.gather(1, own[:, None])[:, 0] / (n_own - 1).clamp(min=1)
        mean_other = sums / counts
        mean_other.scatter_(1, own[:, None], float("inf"))
        b = mean_other.min(1).values
        sil[s : s + 1024] = torch.where(
            n_own > 1, (b - a) / torch.maximum(a, b), torch.zeros_like(a)
        )
    return float(torch.nan_to_num(sil).mean())


def adjusted_rand(a, b) -> float:
    """Adjusted Rand index (1 = same partition up to relabelling, ~0 = chance)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(np.asarray(_t(a).cpu()), np.asarray(_t(b).cpu())))


def scan_k(X, ks, random_state=0, n_init=3, sample_size=2000, device=None) -> dict:
    """Fit labkit's KMeans for every k (notebook 01, "choosing k"): {'k', 'inertia',
    'silhouette'}."""
    from labkit.cluster import KMeans

    out = {"k": [], "inertia": [], "silhouette": []}
    for k in ks:
        km = KMeans(k, n_init=n_init, random_state=random_state, device=device).fit(X)
        out["k"].append(int(k))
        out["inertia"].append(km.inertia_)
        out["silhouette"].append(silhouette(X, km.labels_, sample_size) if k > 1 else float("nan"))
    return out
