"""k-Means (Lloyd's algorithm) in torch, CPU or CUDA, with the scikit-learn API (notebook 01).

The two steps of Lloyd's algorithm (notebook 01, section 1) are :func:`assign_labels`
(nearest centre, via ||x||^2 - 2 x.c + ||c||^2 as one matmul per chunk of rows) and
:func:`update_centers` (mean of each cluster, via ``index_add_``). :class:`KMeans` runs them in
one fused, chunked pass per iteration, so 10^6 points fit in memory, and follows scikit-learn's
``algorithm="lloyd"`` exactly: tolerance scaled by the data variance, strict convergence when
no label changes, empty clusters moved to the farthest points, a final assignment step.
"""
from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._common import Workers as _Workers
from ._common import auto_chunk, check_X, like_input, resolve_device, sq_dists

__all__ = ["KMeans", "kmeans_plusplus", "assign_labels", "update_centers", "lloyd_steps"]


def _t(X, dtype=None, device=None) -> torch.Tensor:
    t = X if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X))
    return t.to(device=device or t.device, dtype=dtype or (t.dtype if t.is_floating_point() else torch.float64))


def _packed_argmin(d: torch.Tensor) -> torch.Tensor:
    """argmin over dim 1 of a non-negative (B, K) float block, ~6x faster than ``argmin`` on CPU:
    the column index goes into the lowest mantissa bits (float bits of non-negative numbers sort
    like integers), then one integer ``amin``. Ties closer than 2^-(23 - log2 K) relative may pick
    the smaller index. Used for float32 with K <= 256 on the CPU; elsewhere plain ``argmin``."""
    K = d.shape[1]
    bits = max(1, (K - 1).bit_length())
    if d.device.type != "cpu" or d.dtype != torch.float32 or bits > 8:
        return d.argmin(1)
    v = d.clamp_(min=0).view(torch.int32)                          # (B, K), same ordering as d
    idx = torch.arange(K, dtype=torch.int32, device=d.device)
    v.bitwise_and_(~((1 << bits) - 1)).bitwise_or_(idx)
    return v.amin(1).bitwise_and_((1 << bits) - 1).long()          # (B,)


def _nearest(xb, C, c2, x2b) -> torch.Tensor:
    d = torch.addmm(c2.unsqueeze(0), xb, C.T, alpha=-2.0)          # (B, K) = ||c||^2 - 2 x.c
    d += x2b.unsqueeze(1)                                          # + ||x||^2 (>= 0 up to rounding)
    return _packed_argmin(d)


def assign_labels(X, centers, chunk_size: int | None = None) -> torch.Tensor:
    """Assignment step: index of the nearest centre for every point. (N, D), (K, D) -> (N,) int64."""
    X = _t(X)
    C = _t(centers, X.dtype, X.device)
    c2, x2 = (C * C).sum(1), (X * X).sum(1)                        # (K,), (N,)
    chunk = chunk_size or auto_chunk(C.shape[0])
    out = torch.empty(X.shape[0], dtype=torch.long, device=X.device)
    for s in range(0, X.shape[0], chunk):
        out[s:s + chunk] = _nearest(X[s:s + chunk], C, c2, x2[s:s + chunk])
    return out


def update_centers(X, labels, n_clusters: int, old_centers=None) -> torch.Tensor:
    """Update step: mean of the points of each cluster. (N, D), (N,) -> (K, D).

    An empty cluster keeps its old centre (if given) or gets NaN."""
    X = _t(X)
    labels = _t(labels, torch.long, X.device)
    sums = torch.zeros(n_clusters, X.shape[1], dtype=torch.float64, device=X.device)
    sums.index_add_(0, labels, X.double())                         # (K, D)
    counts = torch.bincount(labels, minlength=n_clusters).double()  # (K,)
    C = (sums / counts.unsqueeze(1)).to(X.dtype)
    if old_centers is not None:
        empty = counts == 0
        C[empty] = _t(old_centers, X.dtype, X.device)[empty]
    return C


def kmeans_plusplus(X, n_clusters: int, random_state=None, n_local_trials: int | None = None) -> torch.Tensor:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii 2007; scikit-learn's variant):
    each new centre is the best of ``2 + log k`` candidates drawn with probability ~ D(x)^2."""
    X = _t(X)
    rs = check_random_state(random_state)
    n = X.shape[0]
    trials = n_local_trials or 2 + int(math.log(n_clusters))
    x2 = (X * X).sum(1)
    C = torch.empty(n_clusters, X.shape[1], dtype=X.dtype, device=X.device)
    C[0] = X[int(rs.randint(n))]
    closest = sq_dists(X, C[:1], x2)[:, 0].double()                # (N,) D(x)^2
    pot = closest.sum()
    for c in range(1, n_clusters):
        r = torch.as_tensor(rs.uniform(size=trials), device=X.device) * pot
        cand = torch.searchsorted(torch.cumsum(closest, 0), r).clamp_(max=n - 1)   # (T,)
        d = torch.minimum(closest.unsqueeze(1), sq_dists(X, X[cand], x2).double())  # (N, T)
        pots = d.sum(0)
        best = int(pots.argmin())
        C[c], closest, pot = X[cand[best]], d[:, best].contiguous(), pots[best]
    return C


def _lloyd_pass(X, x2, C, chunk, update=True, workers=None):
    """One fused pass: labels (N,), and if ``update`` per-cluster sums (K, D) and counts (K,) in float64."""
    K, D = C.shape
    c2 = (C * C).sum(1)
    labels = torch.empty(X.shape[0], dtype=torch.long, device=X.device)

    def run(starts):
        sums = torch.zeros(K, D, dtype=torch.float64, device=X.device)
        part = torch.zeros(K, D, dtype=X.dtype, device=X.device)
        for s in starts:
            xb = X[s:s + chunk]
            lb = _nearest(xb, C, c2, x2[s:s + chunk])              # (B,)
            labels[s:s + chunk] = lb
            if update:
                part.zero_().index_add_(0, lb, xb)                 # float32 inside a chunk,
                sums += part                                       # float64 across chunks
        return sums

    starts = list(range(0, X.shape[0], chunk))
    parts = workers.map(run, starts) if workers is not None else [run(starts)]
    sums = torch.stack(parts).sum(0) if len(parts) > 1 else parts[0]
    counts = torch.bincount(labels, minlength=K) if update else None
    return labels, sums, counts


def _relocate_empty(X, C_old, sums, counts, labels):
    """scikit-learn's rule: an empty cluster takes the point farthest from its own centre."""
    empty = torch.nonzero(counts == 0).flatten()
    if len(empty) == 0:
        return
    far = ((X - C_old[labels]) ** 2).sum(1)                        # (N,)
    if float(far.max()) == 0:
        return                                                     # fewer distinct points than clusters
    idx = torch.topk(far, len(empty)).indices
    for e, i in zip(empty.tolist(), idx.tolist()):
        old = int(labels[i])
        sums[old] -= X[i].double()
        counts[old] -= 1
        sums[e] = X[i].double()
        counts[e] = 1


def _inertia(X, C, labels, chunk) -> float:
    tot = torch.zeros((), dtype=torch.float64, device=X.device)
    for s in range(0, X.shape[0], chunk):
        tot += ((X[s:s + chunk] - C[labels[s:s + chunk]]) ** 2).sum(dtype=torch.float64)
    return float(tot)


def _lloyd(X, C, max_iter, tol, chunk, workers=None):
    """Lloyd iterations exactly as scikit-learn's ``_kmeans_single_lloyd``."""
    x2 = (X * X).sum(1)                                            # (N,)
    labels_old = None
    strict = False
    for i in range(max_iter):
        labels, sums, counts = _lloyd_pass(X, x2, C, chunk, workers=workers)
        _relocate_empty(X, C, sums, counts, labels)
        nonempty = (counts > 0).unsqueeze(1)
        C_new = torch.where(nonempty, sums / counts.clamp(min=1).unsqueeze(1), C.double()).to(X.dtype)
        shift = float(((C_new.double() - C.double()) ** 2).sum())
        C = C_new
        if labels_old is not None and torch.equal(labels, labels_old):
            strict = True
            break
        if shift <= tol:
            break
        labels_old = labels
    if not strict:
        labels = _lloyd_pass(X, x2, C, chunk, update=False, workers=workers)[0]
    return labels, C, _inertia(X, C, labels, chunk), i + 1


def lloyd_steps(X, init_centers, n_steps: int = 10):
    """The k-means iterations for the step-through widget (notebook 01, section 2):
    a list of ``(centers (K, D), labels (N,))`` numpy pairs, element t after t update steps."""
    X = _t(X)
    C = _t(init_centers, X.dtype, X.device)
    out = []
    for _ in range(n_steps + 1):
        labels = assign_labels(X, C)
        out.append((C.cpu().numpy().copy(), labels.cpu().numpy()))
        C = update_centers(X, labels, C.shape[0], old_centers=C)
    return out


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """k-Means clustering (Lloyd), a drop-in for ``sklearn.cluster.KMeans(algorithm="lloyd")``.

    Parameters follow scikit-learn; ``device`` picks where the work runs (``None``: CUDA when
    available, else CPU). Input may be numpy, pandas or torch (any device). Fitted attributes are
    numpy arrays: ``cluster_centers_`` (K, D), ``labels_`` (N,), plus ``inertia_``, ``n_iter_``.
    ``predict``/``transform`` return torch when given torch, numpy otherwise.
    ``chunk_size`` rows are processed at a time (default: ~2M distances per chunk);
    ``n_threads`` CPU threads run the chunks (default: ``torch.get_num_threads()``).
    """

    def __init__(self, n_clusters=8, *, init="k-means++", n_init=1, max_iter=300, tol=1e-4,
                 random_state=None, device=None, chunk_size=None, n_threads=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.device = device
        self.chunk_size = chunk_size
        self.n_threads = n_threads

    def _check_params(self, X):
        name = type(self).__name__
        for p, lo in (("n_clusters", 1), ("n_init", 1), ("max_iter", 1)):
            v = getattr(self, p)
            if not isinstance(v, Integral) or isinstance(v, bool) or v < lo:
                raise ValueError(f"{name}: {p} must be an int >= {lo}; got {v!r}.")
        if not isinstance(self.tol, Real) or self.tol < 0:
            raise ValueError(f"{name}: tol must be a float >= 0; got {self.tol!r}.")
        n = X.shape[0]
        if n < self.n_clusters:
            raise ValueError(f"n_samples={n} should be >= n_clusters={self.n_clusters}: {name} cannot make "
                             f"more clusters than there are points. Fix: use n_clusters <= {n} or more data.")
        if isinstance(self.init, str) and self.init not in ("k-means++", "random"):
            raise ValueError(f"{name}: init must be 'k-means++', 'random' or an array of shape "
                             f"(n_clusters, n_features); got {self.init!r}.")

    def _init_centers(self, X, rs):
        if isinstance(self.init, str):
            if self.init == "k-means++":
                return kmeans_plusplus(X, self.n_clusters, rs)
            idx = torch.as_tensor(rs.permutation(X.shape[0])[:self.n_clusters], device=X.device)
            return X[idx].clone()
        C = self.init(X.cpu().numpy(), self.n_clusters, rs) if callable(self.init) else self.init
        C = _t(C, X.dtype, X.device)
        if tuple(C.shape) != (self.n_clusters, X.shape[1]):
            raise ValueError(f"The init array has shape {tuple(C.shape)}; it should be (n_clusters, n_features) = "
                             f"({self.n_clusters}, {X.shape[1]}).")
        if not bool(torch.isfinite(C).all()):
            raise ValueError("The init array contains NaN or infinity; give finite initial centres.")
        return C

    def fit(self, X, y=None):
        """Run Lloyd's algorithm ``n_init`` times, keep the run with the lowest inertia."""
        dev = resolve_device(self.device)
        X = check_X(self, X, reset=True, device=dev)
        self._check_params(X)
        tol = float(X.double().var(0, unbiased=False).mean()) * self.tol
        rs = check_random_state(self.random_state)
        chunk = self.chunk_size or min(16384, auto_chunk(self.n_clusters))
        n_init = self.n_init if isinstance(self.init, str) else 1
        best = None
        n_threads = self.n_threads or (torch.get_num_threads() if X.device.type == "cpu" else 1)
        with _Workers(n_threads) as workers:
            for _ in range(n_init):
                res = _lloyd(X, self._init_centers(X, rs), self.max_iter, tol, chunk, workers)
                if best is None or res[2] < best[2]:
                    best = res
        labels, C, inertia, n_iter = best
        self.cluster_centers_ = C.cpu().numpy()
        self.labels_ = labels.cpu().numpy().astype(np.int32)
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        self._n_features_out = self.n_clusters
        return self

    def _centers_like(self, X):
        return torch.as_tensor(self.cluster_centers_).to(device=X.device, dtype=X.dtype)

    def predict(self, X):
        """Index of the nearest centre for each row of X."""
        check_is_fitted(self)
        Xt = check_X(self, X, reset=False, device=resolve_device(self.device))
        labels = assign_labels(Xt, self._centers_like(Xt), self.chunk_size)
        return like_input(X, labels) if isinstance(X, torch.Tensor) else labels.cpu().numpy().astype(np.int32)

    def fit_predict(self, X, y=None):
        self.fit(X)
        return torch.as_tensor(self.labels_).long().to(X.device) if isinstance(X, torch.Tensor) else self.labels_

    def transform(self, X):
        """Euclidean distance of every row of X to every centre, shape (N, K)."""
        check_is_fitted(self)
        Xt = check_X(self, X, reset=False, device=resolve_device(self.device))
        return like_input(X, sq_dists(Xt, self._centers_like(Xt)).sqrt_())

    def score(self, X, y=None):
        """Opposite of the inertia of X under the fitted centres (higher is better), as in sklearn."""
        check_is_fitted(self)
        Xt = check_X(self, X, reset=False, device=resolve_device(self.device))
        C = self._centers_like(Xt)
        chunk = self.chunk_size or auto_chunk(len(C))
        return -_inertia(Xt, C, assign_labels(Xt, C, chunk), chunk)
