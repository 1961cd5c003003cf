"""Run mode, device, seeding and data directory: the first cell of every notebook.

``LABKIT_MODE`` is ``fast`` (tests, CI, CPU: every notebook end to end in under
two minutes) or ``full`` (published-quality sizes, meant for a GPU). Default:
``full`` when CUDA is available, else ``fast``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

MODES = ("fast", "full")
DEFAULT_SEED = 0


def _cuda_available() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:  # pragma: no cover - torch missing is reported by preflight
        return False


def get_mode() -> str:
    """The run mode: ``LABKIT_MODE`` if set, else ``full`` with CUDA, else ``fast``."""
    mode = os.environ.get("LABKIT_MODE", "").strip().lower()
    if not mode:
        return "full" if _cuda_available() else "fast"
    if mode not in MODES:
        raise ValueError(
            f"LABKIT_MODE={mode!r} is not a run mode; expected one of {MODES}. "
            "Fix: os.environ['LABKIT_MODE'] = 'fast' (or unset it) before calling labkit.setup()."
        )
    return mode


def is_fast() -> bool:
    return get_mode() == "fast"


def by_mode(fast: dict, full: dict) -> SimpleNamespace:
    """Pick the sizes for the current mode.

    Example: ``cfg = by_mode(fast=dict(epochs=2), full=dict(epochs=20))``.

    Both dicts must have the same keys, so a notebook reads the same names in both modes.
    """
    if set(fast) != set(full):
        raise ValueError(
            f"fast and full sizes must have the same keys; only in one: {set(fast) ^ set(full)}"
        )
    return SimpleNamespace(**(fast if is_fast() else full))


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def env_flag(name: str, default: bool = False) -> bool:
    """A boolean ``LABKIT_*`` switch, parsed one way everywhere: 1/true/yes/on or 0/false/no/off
    (unset: ``default``)."""
    if name not in os.environ:
        return default
    value = os.environ[name].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{name}={os.environ[name]!r} is not a switch; expected one of {_TRUE + _FALSE[1:]}. "
        f"Fix: os.environ[{name!r}] = '1' (or '0')."
    )


def offline(default: bool = False) -> bool:
    """``LABKIT_OFFLINE``: never download (data, weights); use what is on disk. ``default`` when
    unset (the grader passes True: a grading kernel never downloads unless told to)."""
    return env_flag("LABKIT_OFFLINE", default)


def data_setting() -> str | None:
    """``LABKIT_DATA`` exactly as set (None when unset), for passing on to a child process;
    use :func:`data_dir` to find the data."""
    return os.environ.get("LABKIT_DATA") or None


def autograder_root() -> str:
    """``LABKIT_AUTOGRADER_ROOT``: where a Gradescope autograder looks (default ``/autograder``;
    set only by tests that run it in a temporary folder)."""
    return os.environ.get("LABKIT_AUTOGRADER_ROOT", "/autograder")


def grading_requested() -> bool:
    """``LABKIT_GRADING``: checks raise instead of printing (set by ``labkit grade``)."""
    return env_flag("LABKIT_GRADING")


def get_device(prefer: str | None = None):
    """The torch device to use.

    ``prefer`` if given, else ``LABKIT_DEVICE``, else cuda > mps > cpu.
    """
    import torch

    name = prefer or os.environ.get("LABKIT_DEVICE")
    if name:
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = DEFAULT_SEED, deterministic: bool = False) -> int:
    """Seed python, numpy and torch (all devices). ``deterministic`` also asks cuDNN for
    deterministic kernels (slower on GPU). Returns the seed."""
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import torch

        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
        if deterministic:
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False
    except ImportError:  # pragma: no cover
        pass
    return seed


@contextlib.contextmanager
def seeded(seed: int):
    """Run a block on torch's global RNG seeded with ``seed`` (model initialisation, dropout and
    unseeded sampling draw from it), then give the caller's RNG state back (CPU and CUDA).
    Library trainers use this instead of reseeding: a notebook's global random state changes
    only in ``setup()``, once per notebook."""
    import torch

    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield


def seeded_by(arg: str = "seed"):
    """Decorator: the function runs inside :func:`seeded` with the value of its ``arg`` argument."""

    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            with seeded(bound.arguments[arg]):
                return fn(*args, **kwargs)

        return wrapper

    return decorate


def _repo_root() -> Path | None:
    here = Path(__file__).resolve().parent.parent
    return here if (here / "pyproject.toml").exists() and (here / "notebooks").exists() else None


def data_dir(create: bool = True) -> Path:
    """Where data lives: ``LABKIT_DATA``, else the repo's ``data/`` (source checkout),
    else ``~/.cache/labkit`` (pip install, e.g. Colab)."""
    env = os.environ.get("LABKIT_DATA")
    if env:
        path = Path(env).expanduser()
        if not path.exists():
            raise FileNotFoundError(
                f"LABKIT_DATA={env!r} does not exist. Fix: point LABKIT_DATA at an existing folder "
                "(or unset it to use the default data/ folder)."
            )
        return path
    root = _repo_root()
    path = (
        root / "data"
        if root
        else Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "labkit"
    )
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """A writable folder for downloads, checkpoints and trained helpers (e.g. the judge classifier):
    ``LABKIT_CACHE``, else the repo's ``data/`` (source checkout), else ``~/.cache/labkit``.
    Never ``LABKIT_DATA`` itself: that may be a shared, read-mostly data folder."""
    env = os.environ.get("LABKIT_CACHE")
    root = _repo_root()
    if env:
        path = Path(env).expanduser()
    elif root is not None and os.access(root, os.W_OK):
        path = root / "data"
    else:
        path = Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "labkit"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Setup:
    mode: str
    device: object
    seed: int
    data_dir: Path
    data_source: str

    @property
    def fast(self) -> bool:
        return self.mode == "fast"


def in_colab() -> bool:
    return "google.colab" in sys.modules


def setup(
    seed: int = DEFAULT_SEED,
    deterministic: bool = False,
    quiet: bool = False,
    threads: int | None = None,
) -> Setup:
    """One call for the first cell of every notebook: seeds everything, picks mode and
    device, and prints them with how to change them."""
    import torch

    mode = get_mode()
    device = get_device()
    seed_everything(seed, deterministic)
    if threads:
        torch.set_num_threads(threads)
        try:  # BLAS threads too (scikit-learn, numpy): oversubscribed BLAS can be 10-100x slower
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=threads)
        except ImportError:  # pragma: no cover
            pass
    ddir = data_dir()
    from .data.mnist import describe_source

    source = describe_source()
    if not quiet:
        print(
            f"labkit {__import__('labkit').__version__} | mode: {mode} | device: {device} | "
            f"seed: {seed}"
        )
        print(f"data dir: {ddir}")
        print(f"MNIST source: {source}")
        print(
            "Change with: os.environ['LABKIT_MODE'] = 'fast'|'full' / 'LABKIT_DEVICE' / "
            "'LABKIT_DATA' before labkit.setup(); setup(seed=...)"
        )
        if mode == "full" and device.type == "cpu":
            print(
                "Warning: full mode on a CPU is slow (minutes to hours). "
                "Use fast mode or a GPU runtime."
            )
    return Setup(mode, device, seed, ddir, source)
