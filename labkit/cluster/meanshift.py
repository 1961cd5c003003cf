"""Mean Shift in torch, CPU or CUDA, with the scikit-learn API (notebook 02).

Every seed climbs the density: one step moves it to the mean of the points within
``bandwidth`` (flat kernel, as scikit-learn) or to the Gaussian-weighted mean of all points
(``kernel="gaussian"``). All seeds move at once (batched); a seed stops as in scikit-learn
(step <= 1e-3 * bandwidth, or ``max_iter``), and stopped seeds leave the batch. The modes are
merged exactly as ``sklearn.cluster.MeanShift`` does (sort by intensity, suppress centres
within one bandwidth of a stronger one), and each point gets the label of its nearest centre.

Speed (flat kernel, 1-3 features): seeds are grouped by a grid of cells of size bandwidth/2;
a group only looks at the points within one bandwidth of its seeds' bounding box (found from
the cached 3^d neighbouring cells of size bandwidth), so most of the n x n distances of a plain
batched loop are never computed. Distances are computed in float32 relative to the group's
centre (small numbers, no cancellation); means, stopping rule and merge in float64.
"""

from __future__ import annotations

import itertools
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._common import Workers, auto_chunk, check_X, like_input, resolve_device, sq_dists

_GRID_MIN_PAIRS = 1_000_000  # below this many seed x point pairs, one brute-force batch is cheaper

__all__ = [
    "MeanShift",
    "estimate_bandwidth",
    "get_bin_seeds",
    "mean_shift_step",
    "mean_shift_trajectories",
    "kernel_density",
]


def _as_t(X, device=None) -> torch.Tensor:
    t = X if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X, dtype=np.float64))
    return t.to(device=device or t.device, dtype=torch.float64)


def estimate_bandwidth(X, *, quantile=0.3, n_samples=None, random_state=0, device=None) -> float:
    """Mean distance from each point to its ``int(n * quantile)``-th nearest neighbour (the point
    itself counts as the first), as ``sklearn.cluster.estimate_bandwidth``; O(n^2) in chunks."""
    if not 0 <= quantile <= 1:
        raise ValueError(f"quantile must be in [0, 1]; got {quantile!r}.")
    X = _as_t(X, resolve_device(device))
    if X.ndim != 2:
        raise ValueError(
            f"estimate_bandwidth expects X of shape (n_samples, n_features); got {tuple(X.shape)}. "
            "Fix: X.reshape(-1, 1) for a single feature."
        )
    if n_samples is not None:
        idx = check_random_state(random_state).permutation(X.shape[0])[:n_samples]
        X = X[torch.as_tensor(idx, device=X.device)]
    k = max(1, int(X.shape[0] * quantile))
    x2 = (X * X).sum(1)
    total = 0.0
    chunk = auto_chunk(X.shape[0], 1 << 22)
    for s in range(0, X.shape[0], chunk):
        d = sq_dists(X[s : s + chunk], X, x2[s : s + chunk], x2)  # (B, N)
        total += float(d.kthvalue(k, dim=1).values.sqrt().sum())
    return total / X.shape[0]


def get_bin_seeds(X, bin_size: float, min_bin_freq: int = 1):
    """Seeds on a grid of step ``bin_size``: the occupied bins with >= ``min_bin_freq`` points
    (scikit-learn's ``get_bin_seeds``, vectorised). Returns a numpy array."""
    X = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X)
    if bin_size == 0:
        return X
    bins, counts = np.unique(np.round(X / bin_size), axis=0, return_counts=True)
    seeds = bins[counts >= min_bin_freq].astype(np.float32)
    if len(seeds) == len(X):
        warnings.warn(
            f"Binning data failed with provided bin_size={bin_size:f}, using data points as seeds."
        )
        return X
    return seeds * bin_size


def mean_shift_step(X, seeds, bandwidth: float, kernel: str = "flat"):
    """One mean-shift step for every seed (notebook 02, section 2). (N, D), (M, D) -> (M, D).

    flat: mean of the points within ``bandwidth`` (a seed with none stays put);
    gaussian: mean weighted by exp(-||x - s||^2 / (2 bandwidth^2))."""
    X = _as_t(X)
    S = _as_t(seeds, X.device)
    new, _ = _brute_sums(X, S, bandwidth, kernel)
    return new


def _brute_sums(X, S, bw, kernel="flat", dtype=torch.float64):
    """All points against chunks of seeds: new positions (M, D) (float64) and intensities (M,) =
    #points within bw. ``dtype`` is used for the distances and sums (float32: X should be
    centred)."""
    Xf = X.to(dtype)
    Xo = torch.cat([Xf, torch.ones_like(Xf[:, :1])], 1)  # (N, D+1): sums and counts at once
    x2 = (Xf * Xf).sum(1)
    new = S.clone()
    counts = torch.zeros(S.shape[0], dtype=torch.long, device=X.device)
    chunk = auto_chunk(X.shape[0], 1 << 21)
    for s in range(0, S.shape[0], chunk):
        q = S[s : s + chunk].to(dtype)
        d2 = torch.addmm(x2.unsqueeze(0), q, Xf.T, alpha=-2.0)  # (B, N)
        d2 += (q * q).sum(1, keepdim=True)
        inside = (d2 <= bw * bw).to(dtype)
        w = inside if kernel == "flat" else torch.exp(d2.clamp_(min=0).div_(-2 * bw * bw))
        acc = (w @ Xo).double()  # (B, D+1)
        counts[s : s + chunk] = (acc[:, -1] if kernel == "flat" else inside.sum(1)).round().long()
        ok = acc[:, -1] > 0
        new[s : s + chunk][ok] = acc[ok, :-1] / acc[ok, -1:]
    return new, counts


class _Grid:
    """Points sorted by cells of size ``bw``; the candidates of a cell are the points of its 3^d
    neighbours, cached in float32 relative to the cell's corner, with a ones column (counts)."""

    def __init__(self, X, bw):
        self.X, self.bw = X, bw
        self.lo = X.min(0).values - bw
        cells = torch.floor((X - self.lo) / bw).long()  # (N, D), all >= 1
        self.shape = (cells.max(0).values + 2).tolist()
        key = self._key(cells)
        order = torch.argsort(key)
        self.Xs = X[order]
        self.keys, counts = torch.unique_consecutive(key[order], return_counts=True)
        self.starts = (torch.cumsum(counts, 0) - counts).tolist()
        self.counts = counts.tolist()
        self.offsets = torch.tensor(
            list(itertools.product((-1, 0, 1), repeat=X.shape[1])), device=X.device
        )
        self.cache = {}

    def _key(self, cells):
        key = torch.zeros(cells.shape[:-1], dtype=torch.long, device=cells.device)
        for j, n in enumerate(self.shape):
            key = key * (n + 1) + cells[..., j]
        return key

    def candidates(self, cell: tuple):
        """(origin (D,) float64, points - origin as float32 (C, D+1) with a ones column)."""
        if cell not in self.cache:
            ct = torch.tensor(cell, device=self.X.device)
            nb = self._key(ct + self.offsets)
            pos = torch.searchsorted(self.keys, nb).clamp(max=len(self.keys) - 1)
            hit = (self.keys[pos] == nb).tolist()
            parts = [
                self.Xs[self.starts[p] : self.starts[p] + self.counts[p]]
                for p, h in zip(pos.tolist(), hit)
                if h
            ]
            origin = self.lo + ct * self.bw
            pts = torch.cat(parts) if parts else self.X[:0]
            rel = torch.cat([(pts - origin), torch.ones_like(pts[:, :1])], 1).float()
            self.cache[cell] = (origin, rel)
        return self.cache[cell]


def _group_sums(grid, S, idx, cell, bw2):
    """Flat-kernel sums for the seeds S[idx] of one group: (idx, new positions, counts)."""
    origin, cand = grid.candidates(cell)  # (D,), (C, D+1)
    q = (S[idx] - origin).float()  # (m, D)
    if len(idx) >= 16:  # keep points within bw of the seeds' box
        lo, hi = q.min(0).values, q.max(0).values
        gap = torch.clamp(torch.maximum(lo - cand[:, :-1], cand[:, :-1] - hi), min=0)
        cand = cand[(gap * gap).sum(1) <= bw2 * (1 + 1e-5)]
    c = cand[:, :-1]
    d2 = torch.addmm((c * c).sum(1).unsqueeze(0), q, c.T, alpha=-2.0)  # (m, C)
    d2 += (q * q).sum(1, keepdim=True)
    acc = (d2 <= bw2).float() @ cand  # (m, D+1): sums and counts
    cnt = acc[:, -1].round().long()
    new = origin + acc[:, :-1].double() / acc[:, -1:].double().clamp(min=1)
    return idx, new, cnt


def _grid_sums(grid: _Grid, S, bw, workers):
    """Flat-kernel sums for seeds S (M, D) via the grid: new positions (M, D), intensities (M,)."""
    g = torch.floor((S - grid.lo) / (bw / 2)).long()  # group cells of size bw/2
    key = grid._key(g)
    order = torch.argsort(key)
    _, sizes = torch.unique_consecutive(key[order], return_counts=True)
    pcell = torch.div(g[order], 2, rounding_mode="floor")  # enclosing point cell (size bw)
    ends = torch.cumsum(sizes, 0)
    groups = [
        (order[e - n : e], tuple(pcell[e - n].tolist()))
        for n, e in zip(sizes.tolist(), ends.tolist())
    ]
    bw2 = bw * bw

    def run(part):
        return [_group_sums(grid, S, idx, cell, bw2) for idx, cell in part]

    res = [r for part in workers.map(run, groups) for r in part]
    new, counts = S.clone(), torch.zeros(S.shape[0], dtype=torch.long, device=S.device)
    idx = torch.cat([r[0] for r in res])
    new[idx] = torch.cat([r[1] for r in res])
    counts[idx] = torch.cat([r[2] for r in res])
    return new, counts


def _shift_all(X, seeds, bw, max_iter, kernel, n_threads=None):
    """Move every seed until it stops (scikit-learn's rule); returns means (M, D), intensities (M,),
    completed iterations (M,)."""
    use_grid = kernel == "flat" and X.shape[1] <= 3 and X.device.type == "cpu"
    grid = _Grid(X, bw) if use_grid else None
    pos = seeds.clone()
    intensity = torch.zeros(len(pos), dtype=torch.long, device=X.device)
    done_iter = torch.zeros(len(pos), dtype=torch.long, device=X.device)
    active = torch.arange(len(pos), device=X.device)
    stop = 1e-3 * bw
    it = 0
    n_threads = n_threads or torch.get_num_threads()
    with Workers(n_threads if use_grid else 1) as workers:
        while len(active):
            old = pos[active]
            # seeds at exactly the same position move identically: shift each position once
            # (seeds that share their neighbours land on the same mean and then coincide)
            uniq, inv = torch.unique(old, dim=0, return_inverse=True)
            if (
                use_grid and len(uniq) * X.shape[0] > _GRID_MIN_PAIRS
            ):  # grid pays off for many seeds
                new, cnt = _grid_sums(grid, uniq, bw, workers)
            else:
                new, cnt = _brute_sums(X, uniq, bw, kernel, torch.float32)
            new, cnt = new[inv], cnt[inv]
            intensity[active] = cnt
            empty = cnt == 0  # nothing near: stop where it is
            new[empty] = old[empty]
            pos[active] = new
            finished = empty | ((new - old).norm(dim=1) <= stop) | (it == max_iter)
            done_iter[active] = it
            active = active[~finished]
            it += 1
    return pos, intensity, done_iter


def _merge(centers: np.ndarray, intensity: np.ndarray, bw: float) -> np.ndarray:
    """scikit-learn's post-processing: strongest first, drop centres within bw of a kept one."""
    # identical centres collapse (sklearn keys a dict by the centre; the last seed's intensity wins)
    _, last = np.unique(centers[::-1], axis=0, return_index=True)
    keep_idx = np.sort(len(centers) - 1 - last)
    c, w = centers[keep_idx], intensity[keep_idx]
    order = np.lexsort(tuple(c[:, j] for j in range(c.shape[1] - 1, -1, -1)) + (w,))[::-1]
    c = torch.as_tensor(c[order])  # sorted by (intensity, centre) desc
    unique = torch.ones(len(c), dtype=torch.bool)
    i = 0
    while i < len(c):  # one pass per kept centre
        unique[((c - c[i]) ** 2).sum(1).sqrt() <= bw] = False
        unique[i] = True
        rest = torch.nonzero(unique[i + 1 :]).flatten()
        i = int(rest[0]) + i + 1 if len(rest) else len(c)
    return c[unique].numpy()


def kernel_density(X, query, bandwidth: float, kernel: str = "gaussian") -> torch.Tensor:
    """Kernel density estimate at ``query`` points (notebook 02, section 1), up to a constant:
    the mean over X of exp(-||q - x||^2 / (2 bw^2)) (gaussian) or of [||q - x|| <= bw] (flat).
    (Q,)"""
    X = _as_t(X)
    Q = _as_t(query, X.device)
    out = torch.empty(Q.shape[0], dtype=torch.float64, device=X.device)
    for s in range(0, Q.shape[0], 4096):
        d2 = sq_dists(Q[s : s + 4096], X)
        k = (
            torch.exp(-d2 / (2 * bandwidth**2))
            if kernel == "gaussian"
            else (d2 <= bandwidth**2).double()
        )
        out[s : s + 4096] = k.mean(1)
    return out


def mean_shift_trajectories(
    X, seeds, bandwidth: float, n_steps: int = 30, kernel: str = "flat"
) -> np.ndarray:
    """Positions of ``seeds`` after 0..n_steps mean-shift steps (notebook 02): (n_steps+1, M, D)."""
    X = _as_t(X)
    S = _as_t(seeds, X.device)
    out = [S.cpu().numpy()]
    for _ in range(n_steps):
        S = mean_shift_step(X, S, bandwidth, kernel)
        out.append(S.cpu().numpy())
    return np.stack(out)


class MeanShift(ClusterMixin, BaseEstimator):
    """Mean Shift clustering, a drop-in for ``sklearn.cluster.MeanShift`` (same defaults:
    every point is a seed unless ``bin_seeding``, ``cluster_all=True``, flat kernel).

    ``kernel="gaussian"`` weights every point by exp(-d^2 / (2 bandwidth^2)) instead.
    ``device``: where the work runs (``None``: CUDA when available). Fitted attributes (numpy):
    ``cluster_centers_`` (K, D), ``labels_`` (N,), ``n_iter_`` (most steps taken by a seed),
    ``bandwidth_`` (the bandwidth used, estimated when ``bandwidth=None``).
    """

    def __init__(
        self,
        *,
        bandwidth=None,
        seeds=None,
        bin_seeding=False,
        min_bin_freq=1,
        cluster_all=True,
        max_iter=300,
        kernel="flat",
        device=None,
    ):
        self.bandwidth = bandwidth
        self.seeds = seeds
        self.bin_seeding = bin_seeding
        self.min_bin_freq = min_bin_freq
        self.cluster_all = cluster_all
        self.max_iter = max_iter
        self.kernel = kernel
        self.device = device

    def _check_params(self):
        if self.bandwidth is not None and (
            not isinstance(self.bandwidth, Real) or not self.bandwidth > 0
        ):
            raise ValueError(
                f"MeanShift: bandwidth must be a positive float (the kernel radius); got "
                f"{self.bandwidth!r}. Fix: pass bandwidth=estimate_bandwidth(X) or a value > 0, "
                "or None to estimate it."
            )
        if not isinstance(self.max_iter, Integral) or self.max_iter < 0:
            raise ValueError(f"MeanShift: max_iter must be an int >= 0; got {self.max_iter!r}.")
        if not isinstance(self.min_bin_freq, Integral) or self.min_bin_freq < 1:
            raise ValueError(
                f"MeanShift: min_bin_freq must be an int >= 1; got {self.min_bin_freq!r}."
            )
        if self.kernel not in ("flat", "gaussian"):
            raise ValueError(
                f"MeanShift: kernel must be 'flat' or 'gaussian'; got {self.kernel!r}."
            )

    def fit(self, X, y=None):
        """Shift all seeds to their modes, merge the modes, label every point."""
        self._check_params()
        dev = resolve_device(self.device)
        Xt = check_X(self, X, reset=True, device=dev).double()
        bw = self.bandwidth if self.bandwidth is not None else estimate_bandwidth(Xt, device=dev)
        if not bw > 0:
            raise ValueError(
                f"The estimated bandwidth is {bw} with n_samples={Xt.shape[0]}: too few points, "
                "or all identical. Fix: pass a positive bandwidth explicitly, or more data."
            )
        bw = float(bw)
        if self.seeds is not None:
            seeds = _as_t(self.seeds, dev)
            if seeds.ndim != 2 or seeds.shape[1] != Xt.shape[1]:
                raise ValueError(
                    f"seeds must have shape (n_seeds, {Xt.shape[1]}); got {tuple(seeds.shape)}."
                )
        elif self.bin_seeding:
            seeds = _as_t(get_bin_seeds(Xt.cpu().numpy(), bw, self.min_bin_freq), dev)
        else:
            seeds = Xt
        shift = Xt.mean(0)  # centred coordinates inside
        pos, intensity, n_iter = _shift_all(
            Xt - shift, seeds - shift, bw, self.max_iter, self.kernel
        )
        pos = pos + shift
        ok = intensity > 0
        if not bool(ok.any()):
            raise ValueError(
                f"No point was within bandwidth={bw:f} of any seed. Fix: increase the bandwidth "
                "or use other seeds (e.g. seeds=None)."
            )
        self.n_iter_ = int(n_iter.max())
        centers = _merge(pos[ok].cpu().numpy(), intensity[ok].cpu().numpy(), bw)
        C = torch.as_tensor(centers, device=dev)
        d2 = sq_dists(Xt, C)
        labels = d2.argmin(1)
        if not self.cluster_all:
            labels[d2.gather(1, labels[:, None])[:, 0] > bw * bw] = -1
        self.bandwidth_ = bw
        self.cluster_centers_ = centers
        self.labels_ = labels.cpu().numpy()
        return self

    def predict(self, X):
        """Label of the nearest cluster centre for each row of X."""
        check_is_fitted(self)
        Xt = check_X(self, X, reset=False, device=resolve_device(self.device)).double()
        C = torch.as_tensor(self.cluster_centers_, device=Xt.device, dtype=torch.float64)
        labels = sq_dists(Xt, C).argmin(1)
        return like_input(X, labels)
