"""k-Means (Lloyd's algorithm) in torch, CPU or CUDA, with the scikit-learn API (notebook 01).

The two steps of Lloyd's algorithm (notebook 01, section 1) are :func:`assign_labels`
(nearest centre, via ||x||^2 - 2 x.c + ||c||^2 as one matmul per chunk of rows) and
:func:`update_centers` (mean of each cluster, via ``index_add_``). :class:`KMeans` runs them in
fused, chunked passes, so 10^6 points fit in memory, and follows scikit-learn's
``algorithm="lloyd"`` exactly: tolerance scaled by the data variance, strict convergence when
no label changes, empty clusters moved to the farthest points, a final assignment step.

Speed: on the CPU it skips, with Hamerly's bounds (Hamerly 2010, "Making k-means even faster"), the
rows whose nearest centre cannot have changed. The bounds are kept lazily (a per-row offset plus a
per-centre running sum of moves: an iteration updates K numbers, not 2N). Each step is a few large
torch ops on chunks of rows (up to 64k), which torch splits over its CPU threads. Skipping
must not change a label, and the matmul's rounding depends on the BLAS, the batch a row is in and
its position (MKL: a row's float32 distances differ between a chunk and a gathered subset), so the
assignment is made exact instead: rows whose two nearest centres are closer than the rounding error
bound are decided in float64 without cancellation, and exact ties in rational arithmetic, ties going
to the lower index. Cluster sums are kept on a fixed-point grid in float64, exact in any order. The
bounded and the plain algorithm thus give the same labels and centres bit for bit
(tests/test_cluster_kmeans.py checks it on near-tie data). On a GPU (``algorithm="auto"``) the plain
algorithm runs, with the same exact assignment.
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._common import auto_chunk, check_X, like_input, resolve_device, sq_dists

__all__ = ["KMeans", "assign_labels", "kmeans_plusplus", "lloyd_steps", "update_centers"]


def _t(X, dtype=None, device=None) -> torch.Tensor:
    t = X if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X))
    return t.to(
        device=device or t.device,
        dtype=dtype or (t.dtype if t.is_floating_point() else torch.float64),
    )


_INF_BITS = 0x7F800000  # float32 +inf as int32 bits


def _unit_roundoff(X: torch.Tensor) -> float:
    """Unit roundoff of the matmul that computes distances (larger under TF32/bf16 matmul modes)."""
    if X.dtype == torch.float64:
        return 2.0**-53
    return {"highest": 2.0**-24, "high": 2.0**-11}.get(
        torch.get_float32_matmul_precision(), 2.0**-8
    )


def _top2(d: torch.Tensor):
    """Nearest and second-nearest column of a (B, K) block of squared distances (overwritten):
    labels (B,), their values v1, v2 as float64 (B,), and r, the relative error of v1 and v2.

    CPU float32 with K <= 256 uses a packed argmin, ~6x faster than ``argmin``: the column index
    goes into the lowest mantissa bits (float bits of non-negative numbers sort like integers),
    then one integer ``amin``; the values then carry a relative error r = 2^(bits - 23)."""
    K = d.shape[1]
    bits = max(1, (K - 1).bit_length())
    if d.device.type == "cpu" and d.dtype == torch.float32 and bits <= 8:
        mask = (1 << bits) - 1
        v = d.clamp_(min=0).view(torch.int32)  # (B, K), same ordering as d
        v.bitwise_and_(~mask).bitwise_or_(torch.arange(K, dtype=torch.int32))
        m1 = v.amin(1)  # (B,)
        lab = (m1 & mask).long()
        flat = torch.arange(0, d.numel(), K).add_(lab)  # (B,) flat index (scatter_: 3x slower)
        v.view(-1).index_fill_(0, flat, _INF_BITS)
        m2 = v.amin(1)
        return (
            lab,
            m1.view(torch.float32).double(),
            m2.view(torch.float32).double(),
            2.0 ** (bits - 23),
        )
    lab = d.argmin(1)
    v1 = d.gather(1, lab.unsqueeze(1)).squeeze(1)
    d.scatter_(1, lab.unsqueeze(1), float("inf"))
    return lab, v1.double(), d.amin(1).double(), 0.0


def _duplicates(C: torch.Tensor) -> torch.Tensor:
    """(K,) bool: centre j equals a centre of lower index (it can never win a row: exact tie)."""
    K = C.shape[0]
    if K * K * C.shape[1] <= 1 << 22:
        same = (C.unsqueeze(1) == C).all(-1)  # (K, K)
        return torch.tril(same, -1).any(1)
    _, inv = torch.unique(C, dim=0, return_inverse=True)
    ar = torch.arange(K, device=C.device)
    first = torch.full((K,), K, device=C.device).scatter_reduce_(0, inv, ar, "amin")
    return first[inv] != ar


def _exact_row(x, Cl, row, dup, hi, rho):
    """Exact rational squared distances for one undecided row -> label, hi, lo (floats)."""

    def sq(c):
        return sum(((Fraction(a) - Fraction(b)) ** 2 for a, b in zip(x, c)), Fraction(0))

    ex = {j: sq(Cl[j]) for j in range(len(Cl)) if not dup[j] and row[j] * (1 - rho) <= hi}
    best = min(ex, key=lambda j: (ex[j], j))
    lo = min(
        (
            math.nextafter(float(ex[j]), -math.inf) if j in ex else row[j] * (1 - rho)
            for j in range(len(Cl))
            if j != best
        ),
        default=math.inf,
    )
    return best, math.nextafter(float(ex[best]), math.inf), lo


def _resolve(xs: torch.Tensor, cen: _Centres):
    """Rows the matmul could not decide: direct float64 distances (relative error <= rho, no
    cancellation), and for ties at that precision exact rational arithmetic. A centre equal to
    one of lower index never wins (exact tie). -> labels, hi, lo: float64 bounds on the true
    squared distance to the label and to every other centre."""
    K, D = cen.C.shape
    rho = 2 * (D + 3) * 2.0**-53
    Cd = cen.Cd
    step = max(1, (1 << 21) // (K * D))
    labs, his, los = [], [], []
    for s in range(0, len(xs), step):
        d = ((xs[s : s + step].double().unsqueeze(1) - Cd) ** 2).sum(-1)  # (m, K)
        lab, v1, v2, _ = _top2(d.clone())
        hi, lo = v1.mul_(1 + rho), v2.mul_(1 - rho)
        bad = torch.nonzero(lo <= hi).flatten()
        if len(bad) and bool(cen.dup.any()):
            # a duplicated centre ties with its original and never wins: label among the others,
            # lo over all other centres (the duplicates included)
            lab, v1, v2, _ = _top2(d.masked_fill(cen.dup, float("inf")))
            hi, lo = v1.mul_(1 + rho), v2.mul_(1 - rho)
            bad = torch.nonzero(lo <= hi).flatten()
            lo = d.clone().scatter_(1, lab.unsqueeze(1), float("inf")).amin(1).mul_(1 - rho)
        bad = bad.tolist()
        rows = {i: d[i].tolist() for i in bad}
        if bad:
            Cl, dl = Cd.cpu().tolist(), cen.dup.tolist()
            for i in bad:
                lab[i], hi[i], lo[i] = _exact_row(
                    xs[s + i].double().tolist(), Cl, rows[i], dl, float(hi[i]), rho
                )
        labs.append(lab), his.append(hi), los.append(lo)
    if len(labs) == 1:
        return labs[0], his[0], los[0]
    return torch.cat(labs), torch.cat(his), torch.cat(los)


class _Centres:
    """Centres (K, D) with what an assignment needs: ||c||^2 (K,), the largest norm, and (only
    for near-ties) a float64 copy and the mask of duplicates."""

    def __init__(self, C: torch.Tensor):
        self.C, self.Cd = C, C.double()  # (K, D) and its float64 copy
        self.c2 = (C * C).sum(1)  # (K,)
        self.cmax = float(self.c2.double().max().sqrt())
        self._dup = None

    @property
    def dup(self):
        if self._dup is None:  # only near-ties need it
            self._dup = _duplicates(self.C)
        return self._dup


class _Geometry:
    """What every assignment of X needs: x2 = ||x||^2 (N,), the norms, the matmul's unit
    roundoff."""

    def __init__(self, X: torch.Tensor, cmax=None, cmin=0.0):
        """``cmax``: a bound on the norm of every centre to come (default: the larger of
        ``cmin`` and max ||x||, which bounds every mean of points)."""
        self.X = X
        self.x2 = torch.linalg.vecdot(X, X)  # (N,) ||x||^2
        self.xmax = math.sqrt(float(self.x2.max()))
        self.cmax = max(self.xmax * (1 + 2.0**-20), cmin) if cmax is None else cmax
        tiny = 1e-30 if X.dtype == torch.float32 else 1e-300  # keeps E out of subnormals
        c = 4 * (X.shape[1] + 2) * _unit_roundoff(X)
        self.E = self.x2.double().sqrt().add_(self.cmax).square_().mul_(c).clamp_(min=tiny)  # (N,)

    def nearest(self, idx, cen: _Centres):
        """Exact nearest centre of rows ``idx`` (a slice or an index tensor): labels (B,), the
        squared-distance bounds hi (to the label) and lo (to any other centre), float64 (B,), and
        the rows themselves (B, D).

        The matmul form ||x||^2 - 2 x.c + ||c||^2 is fast but rounds with error at most
        E = (2D + 4) u (||x|| + ||c||)^2 (any summation order, with the rounding of ||x||^2 and
        ||c||^2; E below is twice that). A row whose
        runner-up is farther than the nearest by more than the errors is decided; the others
        (near-ties) go to :func:`_resolve`. So the labels are those of exact arithmetic (ties to
        the lower index), whatever the BLAS, the chunking or the device: the plain and the bounded
        k-means give the same labels."""
        take = (lambda t: t[idx]) if isinstance(idx, slice) else (lambda t: t.index_select(0, idx))
        E, xb = take(self.E), take(self.X)
        d = torch.addmm(cen.c2.unsqueeze(0), xb, cen.C.T, alpha=-2.0)  # (B, K) = ||c||^2 - 2 x.c
        d += take(self.x2).unsqueeze(1)  # + ||x||^2
        lab, v1, v2, r = _top2(d)
        if cen.cmax > self.cmax:
            raise RuntimeError("a centre lies outside the ball the error margins assume")  # never
        hi = v1.mul_(1 + 2 * r).add_(E)
        lo = v2.mul_(1 - r).sub_(E)
        bad = torch.nonzero(lo <= hi).flatten()
        if len(bad):
            rl, rh, rlo = _resolve(xb.index_select(0, bad), cen)
            lab.index_copy_(0, bad, rl), hi.index_copy_(0, bad, rh), lo.index_copy_(0, bad, rlo)
        return lab, hi, lo, xb


class _FixedSum:
    """Per-cluster sums on the grid 2^-s, held in float64: every point is rounded to the grid
    (``q``) and N * max|x| * 2^s < 2^51, so every sum of grid values is an integer multiple of
    2^-s below 2^52 * 2^-s, which float64 adds exactly, in any order: sums updated point by point
    equal sums recomputed from scratch (plain == bounded k-means), and float64 ``index_add_`` is
    4x faster than int64. The grid is 2^-(51 - log2 N) relative to max|x|: finer than float32
    for N < 2^27."""

    def __init__(self, X: torch.Tensor):
        lo, hi = torch.aminmax(X)
        m, n = max(-float(lo), float(hi)), X.shape[0]
        e = math.frexp(m)[1] if m > 0 else 0  # max|x| < 2^e
        self.scale = 2.0 ** min(1000, 51 - e - n.bit_length())

    def q(self, xb: torch.Tensor) -> torch.Tensor:
        """(B, D) float64 integers, a new tensor."""
        if xb.dtype == torch.float32 and self.scale <= 2.0**100:
            # a power-of-two scale is exact in float32 (a product below 1/2 may lose bits as a
            # subnormal, but rounds to 0 either way): same integers, a third of the float64 traffic
            return (xb * self.scale).round_().double()
        return (xb.double() * self.scale).round_()

    def centres(self, sums, counts, C_old):
        """Means (K, D) in C_old's dtype; an empty cluster keeps its old centre."""
        mean = sums / self.scale / counts.clamp(min=1).double().unsqueeze(1)
        return torch.where((counts > 0).unsqueeze(1), mean, C_old.double()).to(C_old.dtype)


class _Bounds:
    """Hamerly's bounds (Hamerly 2010) for every row, kept lazily, so that an iteration updates K
    numbers instead of 2N: with ``grown``, ``shrunk`` (K,) the running sums of the centres' moves,
    U = a + grown[label] bounds the distance to the label from above, and
    gap = b - shrunk[label] bounds (the distance to any other centre) - U from below: gap > 0
    keeps the label. float64; every move adds a slack that covers the rounding of these sums."""

    def __init__(self, G: _Geometry, K: int):
        N, dev = G.X.shape[0], G.X.device
        self.a = torch.empty(N, dtype=torch.float64, device=dev)
        self.b = torch.empty_like(self.a)
        self.grown = torch.zeros(K, dtype=torch.float64, device=dev)
        self.shrunk = torch.zeros_like(self.grown)
        self.scale = 3 * (G.xmax + G.cmax)  # bounds |U|, |gap| and the running sums
        self.half = None

    def set(self, idx, lab, hi, lo):
        """Rows ``idx`` were just assigned ``lab`` (B,), with squared-distance bounds hi, lo."""
        U = hi.sqrt_()
        gap = lo.clamp_(min=0).sqrt_().sub_(U)
        U.sub_(self.grown.index_select(0, lab))
        gap.add_(self.shrunk.index_select(0, lab))
        if isinstance(idx, slice):
            self.a[idx], self.b[idx] = U, gap
        else:
            self.a.index_copy_(0, idx, U), self.b.index_copy_(0, idx, gap)

    def moved(self, old: _Centres, cen: _Centres):
        """The centres moved from ``old`` to ``cen``: by the triangle inequality U grows at most by
        its centre's move, the gap shrinks at most by that plus the largest move of another one."""
        move = (cen.Cd - old.Cd).square_().sum(1).sqrt_().mul_(1 + 2.0**-40)  # (K,)
        top = move.topk(2)
        (m0, m1), i0 = top.values.tolist(), int(top.indices[0])
        other = torch.full_like(move, m0)  # the largest move of another centre
        other[i0] = m1
        self.scale += 2 * m0
        slack = self.scale * 2.0**-48  # float64 rounding of the sums and of a, b
        self.grown += move + slack
        self.shrunk += move + other + 2 * slack
        self.half = _half_separation(cen) - slack  # (K,)

    def failing(self, labels, most: int) -> torch.Tensor | None:
        """Rows (indices (M,)) whose label the bounds cannot keep: gap <= 0, and U not below half
        the distance from their centre to the nearest other one (Hamerly's s). ``None`` when more
        than ``most`` rows fail the gap test (early on, when the centres move far): reassigning
        every row is then cheaper than gathering the ones that fail."""
        fail = self.b <= self.shrunk.index_select(0, labels)  # (N,)
        if int(fail.sum()) > most:
            return None
        need = torch.nonzero(fail).flatten()
        ln = labels.index_select(0, need)
        U = self.a.index_select(0, need).add_(self.grown.index_select(0, ln))
        h = self.half.index_select(0, ln)
        kept = torch.nonzero(U < h).flatten()
        if len(kept):  # the half test keeps them: their gap is >= 2 (half - U) (triangle
            ln = ln.index_select(0, kept)  # inequality), which lets them pass the first test
            gap = h.index_select(0, kept).sub_(U.index_select(0, kept)).mul_(2)
            rows = need.index_select(0, kept)
            self.b.index_copy_(0, rows, gap.add_(self.shrunk.index_select(0, ln)))
        return need[U >= h]


def assign_labels(X, centers, chunk_size: int | None = None) -> torch.Tensor:
    """Assignment step: index of the nearest centre for every point. (N, D), (K, D) -> (N,) int64.
    Exact: the labels of exact arithmetic, ties to the lower index (see
    :meth:`_Geometry.nearest`)."""
    X = _t(X)
    C = _t(centers, X.dtype, X.device)
    cen = _Centres(C)
    G = _Geometry(X, cen.cmax)
    chunk = chunk_size or auto_chunk(C.shape[0])
    out = torch.empty(X.shape[0], dtype=torch.long, device=X.device)
    for s in range(0, X.shape[0], chunk):
        out[s : s + chunk] = G.nearest(slice(s, s + chunk), cen)[0]
    return out


def update_centers(X, labels, n_clusters: int, old_centers=None) -> torch.Tensor:
    """Update step: mean of the points of each cluster. (N, D), (N,) -> (K, D).

    An empty cluster keeps its old centre (if given) or gets NaN."""
    X = _t(X)
    labels = _t(labels, torch.long, X.device)
    sums = torch.zeros(n_clusters, X.shape[1], dtype=torch.float64, device=X.device)
    sums.index_add_(0, labels, X.double())  # (K, D)
    counts = torch.bincount(labels, minlength=n_clusters).double()  # (K,)
    C = (sums / counts.unsqueeze(1)).to(X.dtype)
    if old_centers is not None:
        empty = counts == 0
        C[empty] = _t(old_centers, X.dtype, X.device)[empty]
    return C


def kmeans_plusplus(
    X, n_clusters: int, random_state=None, n_local_trials: int | None = None
) -> torch.Tensor:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii 2007; scikit-learn's variant):
    each new centre is the best of ``2 + log k`` candidates drawn with probability ~ D(x)^2."""
    X = _t(X)
    rs = check_random_state(random_state)
    n = X.shape[0]
    trials = n_local_trials or 2 + int(math.log(n_clusters))
    x2 = (X * X).sum(1)
    C = torch.empty(n_clusters, X.shape[1], dtype=X.dtype, device=X.device)
    C[0] = X[int(rs.randint(n))]
    closest = sq_dists(X, C[:1], x2)[:, 0].double()  # (N,) D(x)^2
    pot = closest.sum()
    for c in range(1, n_clusters):
        r = torch.as_tensor(rs.uniform(size=trials), device=X.device) * pot
        cand = torch.searchsorted(torch.cumsum(closest, 0), r).clamp_(max=n - 1)  # (T,)
        d = torch.minimum(closest.unsqueeze(1), sq_dists(X, X[cand], x2).double())  # (N, T)
        pots = d.sum(0)
        best = int(pots.argmin())
        C[c], closest, pot = X[cand[best]], d[:, best].contiguous(), pots[best]
    return C


def _half_separation(cen) -> torch.Tensor:
    """(K,) lower bounds on half the distance from each centre to its nearest other centre (float64
    matmul form, less its rounding bound); a point closer than that to its centre stays there."""
    Cd = cen.Cd
    c2 = (Cd * Cd).sum(1)  # (K,) in float64: the rounding bound below is float64's
    cn = c2.sqrt()
    cc = torch.addmm(c2.unsqueeze(1) + c2, Cd, Cd.T, alpha=-2.0)  # (K, K)
    cc -= (cn.unsqueeze(1) + cn).square_().mul_(8 * (cen.C.shape[1] + 2) * 2.0**-53)
    cc.fill_diagonal_(float("inf"))
    return cc.amin(1).clamp_(min=0).sqrt_().mul_(0.5 * (1 - 2.0**-40))


_GATHER_MOST = 0.5  # a Hamerly step reassigns every row when more than this share fail the gap test


def _pass(G, cen, labels, chunk, fs=None, bounds=None, full=True):
    """One assignment step, in chunks of rows.

    ``full``: every row is assigned; with ``fs`` returns the fixed-point sums (K, D) and counts
    (K,) from scratch. Else (Hamerly's step) only the rows whose ``bounds`` fail are reassigned
    (every row, in whole chunks, when more than ``_GATHER_MOST`` of them fail the gap test), and
    with ``fs`` the changes of the sums and counts are returned. Also returns the number of
    changed labels; updates ``labels`` and ``bounds`` in place."""
    X = G.X
    (N, D), K = X.shape, cen.C.shape[0]
    sums = torch.zeros(K, D, dtype=torch.float64, device=X.device) if fs is not None else None
    counts = torch.zeros(K, dtype=torch.long, device=X.device)
    changed = torch.zeros((), dtype=torch.long, device=X.device)  # no GPU sync per chunk
    parts = [slice(t, min(t + chunk, N)) for t in range(0, N, chunk)]
    if not full:
        need = bounds.failing(labels, most=int(_GATHER_MOST * N))  # (M,) or None: all rows
        if need is not None:
            parts = [need[t : t + chunk] for t in range(0, len(need), chunk)]
    for idx in parts:
        new, hi, lo, xb = G.nearest(idx, cen)
        if isinstance(idx, slice):
            prev = labels[idx].clone()
            labels[idx] = new
        else:
            prev = labels.index_select(0, idx)
            labels.index_copy_(0, idx, new)
        if bounds is not None:
            bounds.set(idx, new, hi, lo)
        if full:
            changed += (new != prev).sum()
            if fs is not None:
                sums.index_add_(0, new, fs.q(xb))
                counts += torch.bincount(new, minlength=K)
            continue
        ch = torch.nonzero(new != prev).flatten()
        changed += len(ch)
        if fs is not None and len(ch):
            q = fs.q(xb.index_select(0, ch))
            new, prev = new.index_select(0, ch), prev.index_select(0, ch)
            sums.index_add_(0, new, q).index_add_(0, prev, q.neg_())
            counts += torch.bincount(new, minlength=K) - torch.bincount(prev, minlength=K)
    return sums, counts, int(changed)


def _relocate_empty(X, C_old, sums, counts, labels, fs):
    """scikit-learn's rule: an empty cluster takes the point farthest from its own centre."""
    empty = torch.nonzero(counts == 0).flatten()
    if len(empty) == 0:
        return
    far = ((X - C_old[labels]) ** 2).sum(1)  # (N,)
    if float(far.max()) == 0:
        return  # fewer distinct points than clusters
    idx = torch.topk(far, len(empty)).indices
    for e, i in zip(empty.tolist(), idx.tolist()):
        old = int(labels[i])
        qi = fs.q(X[i : i + 1])[0]
        sums[old] -= qi
        counts[old] -= 1
        sums[e] = qi
        counts[e] = 1


def _inertia(X, C, labels, chunk) -> float:
    """Sum of squared distances to the assigned centres, float64 sums per chunk."""
    tot = torch.zeros((), dtype=torch.float64, device=X.device)
    for s in range(0, X.shape[0], chunk):
        sc = slice(s, s + chunk)
        tot += (X[sc] - C.index_select(0, labels[sc])).square_().sum(dtype=torch.float64)
    return float(tot)


def _lloyd(X, C, max_iter, tol, chunk, bounded=True):
    """Lloyd iterations exactly as scikit-learn's ``_kmeans_single_lloyd``; ``bounded`` skips the
    distances that Hamerly's bounds rule out, with the same labels and centres, bit for bit
    (exact assignment, fixed-point sums)."""
    fs, cen = _FixedSum(X), _Centres(C)
    N, K = X.shape[0], C.shape[0]
    G = _Geometry(X, cmin=cen.cmax)  # cmin: the initial centres
    bounds = _Bounds(G, K) if bounded and K > 1 else None
    labels = torch.zeros(N, dtype=torch.long, device=X.device)
    sums, counts, _ = _pass(G, cen, labels, chunk, fs, bounds)
    strict, old, changed = False, cen, None
    for i in range(max_iter):
        if i > 0 and bounds is not None:
            bounds.moved(old, cen)
            dsums, dcounts, changed = _pass(G, cen, labels, chunk, fs, bounds, full=False)
            sums += dsums
            counts += dcounts
        elif i > 0:
            sums, counts, changed = _pass(G, cen, labels, chunk, fs)
        s, c = sums.clone(), counts.clone()  # the relocation lasts one update
        _relocate_empty(X, cen.C, s, c, labels, fs)
        old, cen = cen, _Centres(fs.centres(s, c, cen.C))
        shift = float(((cen.Cd - old.Cd) ** 2).sum())
        if i > 0 and changed == 0:
            strict = True
            break
        if shift <= tol:
            break
    if not strict and bounds is not None:
        bounds.moved(old, cen)
        _pass(G, cen, labels, chunk, bounds=bounds, full=False)
    elif not strict:
        _pass(G, cen, labels, chunk)
    return labels, cen.C, _inertia(X, cen.C, labels, chunk), i + 1


def _mean_variance(X, chunk=16384) -> float:
    """Mean over features of the variance (scikit-learn's tolerance scale), one chunked pass on data
    shifted by a rough mean (no cancellation), sums in float64: 20x faster than
    ``X.double().var(0)``."""
    shift = X[:chunk].mean(0)  # (D,)
    s1 = torch.zeros(X.shape[1], dtype=torch.float64, device=X.device)
    s2 = torch.zeros_like(s1)
    for s in range(0, X.shape[0], chunk):
        dev = X[s : s + chunk] - shift
        s1 += dev.sum(0)
        s2 += dev.square_().sum(0)
    n = X.shape[0]
    return float((s2 / n - (s1 / n) ** 2).mean())


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
    available, else CPU). ``algorithm``: ``"lloyd"`` computes every distance at every iteration;
    ``"hamerly"`` (alias ``"elkan"``) skips the rows that Hamerly's bounds keep in their cluster;
    ``"auto"``: hamerly on the CPU, lloyd on a GPU. All give the same labels and centres, bit for
    bit: the assignment is exact (ties to the lower index), the sums are exact fixed point.
    Input may be numpy, pandas or torch (any device). Fitted attributes are numpy arrays:
    ``cluster_centers_`` (K, D), ``labels_`` (N,), plus ``inertia_``, ``n_iter_``.
    ``predict``/``transform`` return torch when given torch, numpy otherwise.
    ``chunk_size`` rows are processed at a time (default: ~2M distances per chunk);
    ``n_threads``: torch's CPU threads during ``fit`` (default: ``torch.get_num_threads()``;
    the setting is restored afterwards).
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init=1,
        max_iter=300,
        tol=1e-4,
        random_state=None,
        algorithm="auto",
        device=None,
        chunk_size=None,
        n_threads=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.algorithm = algorithm
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
            raise ValueError(
                f"n_samples={n} should be >= n_clusters={self.n_clusters}: {name} cannot make "
                f"more clusters than there are points. Fix: use n_clusters <= {n} or more data."
            )
        if self.algorithm not in ("auto", "lloyd", "hamerly", "elkan"):
            raise ValueError(
                f"{name}: algorithm must be 'auto', 'lloyd', 'hamerly' or 'elkan'; "
                f"got {self.algorithm!r}."
            )
        if isinstance(self.init, str) and self.init not in ("k-means++", "random"):
            raise ValueError(
                f"{name}: init must be 'k-means++', 'random' or an array of shape "
                f"(n_clusters, n_features); got {self.init!r}."
            )

    def _init_centers(self, X, rs):
        if isinstance(self.init, str):
            if self.init == "k-means++":
                return kmeans_plusplus(X, self.n_clusters, rs)
            idx = torch.as_tensor(rs.permutation(X.shape[0])[: self.n_clusters], device=X.device)
            return X[idx].clone()
        C = self.init(X.cpu().numpy(), self.n_clusters, rs) if callable(self.init) else self.init
        C = _t(C, X.dtype, X.device)
        if tuple(C.shape) != (self.n_clusters, X.shape[1]):
            raise ValueError(
                f"The init array has shape {tuple(C.shape)}; it should be "
                f"(n_clusters, n_features) = ({self.n_clusters}, {X.shape[1]})."
            )
        if not bool(torch.isfinite(C).all()):
            raise ValueError(
                "The init array contains NaN or infinity; give finite initial centres."
            )
        return C

    def fit(self, X, y=None):
        """Run Lloyd's algorithm ``n_init`` times, keep the run with the lowest inertia."""
        dev = resolve_device(self.device)
        threads = torch.get_num_threads()
        if dev.type == "cpu" and self.n_threads:
            torch.set_num_threads(self.n_threads)  # each op splits its rows over the threads
        try:
            return self._fit(X, dev)
        finally:
            torch.set_num_threads(threads)

    def _fit(self, X, dev):
        X = check_X(self, X, reset=True, device=dev)
        self._check_params(X)
        tol = _mean_variance(X) * self.tol
        rs = check_random_state(self.random_state)
        chunk = self.chunk_size or min(65536, auto_chunk(self.n_clusters))
        n_init = self.n_init if isinstance(self.init, str) else 1
        best = None
        bounded = self.algorithm in ("hamerly", "elkan") or (
            self.algorithm == "auto" and X.device.type == "cpu"
        )
        for _ in range(n_init):
            res = _lloyd(X, self._init_centers(X, rs), self.max_iter, tol, chunk, bounded)
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
        return (
            like_input(X, labels)
            if isinstance(X, torch.Tensor)
            else labels.cpu().numpy().astype(np.int32)
        )

    def fit_predict(self, X, y=None):
        self.fit(X)
        return (
            torch.as_tensor(self.labels_).long().to(X.device)
            if isinstance(X, torch.Tensor)
            else self.labels_
        )

    def transform(self, X):
        """Euclidean distance of every row of X to every centre, shape (N, K)."""
        check_is_fitted(self)
        Xt = check_X(self, X, reset=False, device=resolve_device(self.device))
        return like_input(X, sq_dists(Xt, self._centers_like(Xt)).sqrt_())

    def score(self, X, y=None):
        """Opposite of the inertia of X under the fitted centres (higher is better), as in
        sklearn."""
        check_is_fitted(self)
        Xt = check_X(self, X, reset=False, device=resolve_device(self.device))
        C = self._centers_like(Xt)
        chunk = self.chunk_size or auto_chunk(len(C))
        return -_inertia(Xt, C, assign_labels(Xt, C, chunk), chunk)
