"""Input checks and conversions shared by :mod:`labkit.cluster` (numpy or torch in, torch inside).

Errors say what was expected, what was given, and how to fix it.
"""

from __future__ import annotations

import numpy as np
import torch

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    _sk_validate_data = None


def resolve_device(device) -> torch.device:
    """``None`` -> the course default (``labkit.get_device()``, CUDA when present); else as
    given."""
    if device is None:
        from ..config import get_device

        dev = get_device()
        return dev if dev.type in ("cuda", "cpu") else torch.device("cpu")  # no float64 on mps
    return torch.device(device)


def _torch_dtype(x: torch.Tensor) -> torch.dtype:
    return x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float64


def check_X(estimator, X, reset: bool, device: torch.device, name: str = "X") -> torch.Tensor:
    """Validate ``X`` (numpy, list, pandas or torch) and return a float tensor (N, D) on ``device``.

    float32 input stays float32 (as in scikit-learn); everything else becomes float64.
    Sets ``n_features_in_`` when ``reset`` (in ``fit``) and checks it otherwise.
    """
    cls = type(estimator).__name__
    if isinstance(X, torch.Tensor):
        if X.ndim != 2:
            fix = (
                "Reshape it with X.reshape(-1, 1) if it has a single feature, or X.reshape(1, -1) "
                "if it is a single sample."
                if X.ndim == 1
                else "Flatten each sample: X.reshape(len(X), -1)."
            )
            raise ValueError(
                f"{cls} expects a 2-D {name} of shape (n_samples, n_features); got a "
                f"{X.ndim}-D tensor of shape {tuple(X.shape)}. {fix}"
            )
        if X.is_complex() or X.dtype == torch.bool:
            raise ValueError(
                f"{cls} expects real numbers in {name}; got dtype {X.dtype}. Fix: X.float()."
            )
        if X.shape[0] < 1:
            raise ValueError(
                f"{cls}: {name} has 0 samples (shape {tuple(X.shape)}); at least 1 is required."
            )
        if X.shape[1] < 1:
            raise ValueError(
                f"{cls}: {name} has 0 features (shape {tuple(X.shape)}); at least 1 is required."
            )
        X = X.detach().to(device=device, dtype=_torch_dtype(X))
        bad = ~torch.isfinite(X)
        if bool(bad.any()):
            kind = "NaN" if bool(torch.isnan(X).any()) else "infinity"
            raise ValueError(
                f"Input {name} contains {kind} ({int(bad.sum())} values) in {cls}. "
                "Fix: drop those rows or impute them first (e.g. sklearn.impute.SimpleImputer)."
            )
        if reset:
            estimator.n_features_in_ = int(X.shape[1])
        elif X.shape[1] != estimator.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {cls} is expecting "
                f"{estimator.n_features_in_} features as input (the number it was fitted on)."
            )
        return X
    arr = np.ascontiguousarray(
        _sk_validate_data(estimator, X, reset=reset, dtype=[np.float64, np.float32])
    )
    if not arr.flags.writeable:
        arr = arr.copy()
    return torch.from_numpy(arr).to(device)


def like_input(X_in, t: torch.Tensor):
    """Return ``t`` as a torch tensor if the caller passed a tensor, else as a numpy array."""
    return t if isinstance(X_in, torch.Tensor) else t.cpu().numpy()


def auto_chunk(n_cols: int, budget: int = 1 << 21) -> int:
    """Rows per chunk so that a (rows, n_cols) block holds about ``budget`` numbers (cache
    friendly)."""
    return max(256, budget // max(1, n_cols))


def sq_dists(
    X: torch.Tensor, C: torch.Tensor, x2: torch.Tensor | None = None, c2: torch.Tensor | None = None
) -> torch.Tensor:
    """Squared distances (N, K) = ||x||^2 - 2 x.c + ||c||^2 (one matmul), clamped at 0."""
    x2 = (X * X).sum(1) if x2 is None else x2  # (N,)
    c2 = (C * C).sum(1) if c2 is None else c2  # (K,)
    d = torch.addmm(c2.unsqueeze(0), X, C.T, alpha=-2.0)  # (N, K)
    d += x2.unsqueeze(1)
    return d.clamp_(min=0)


class Workers:
    """Run the chunks of one pass on ``n`` threads (the calling one and ``n - 1`` in a pool), each
    doing single-threaded torch ops (torch releases the GIL). One join per pass instead of one
    OpenMP barrier per op: much faster for small per-chunk ops, and robust when the CPU is shared
    (oversubscribed OpenMP barriers stall for a whole time slice). ``n == 1`` runs inline."""

    def __init__(self, n: int):
        self.n = max(1, n)
        self.pool = None

    def __enter__(self):
        self.old_threads = torch.get_num_threads()
        if self.n > 1:
            from concurrent.futures import ThreadPoolExecutor

            torch.set_num_threads(1)
            # torch.set_num_threads is per thread for OpenMP and MKL (mkl_set_num_threads_local):
            # without it in each worker, every matmul there forks an MKL team of all the cores
            self.pool = ThreadPoolExecutor(
                self.n - 1, initializer=torch.set_num_threads, initargs=(1,)
            )
        return self

    def map(self, fn, starts):
        if self.pool is None:
            return [fn(starts)]
        parts = [starts[i :: self.n] for i in range(self.n)]
        futures = [self.pool.submit(fn, p) for p in parts[1:]]  # the first part in this thread
        return [fn(parts[0]), *(f.result() for f in futures)]

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown()
            torch.set_num_threads(self.old_threads)
