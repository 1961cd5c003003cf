"""MNIST with an offline path.

Order of sources:
1. torchvision ``MNIST`` when all four official files are present (or downloadable).
2. labkit's own reader for whichever official IDX files are present (e.g. only the
   10k test split, as in CI: ``LABKIT_DATA=../shared/data/mnist``).
3. scikit-learn's bundled 8x8 digits, resized to 28x28, with a visible warning.

Every result says which source and split it came from (``.source``, ``.split``, ``.note``).
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

# md5 of the official files (as published with torchvision.datasets.MNIST)
OFFICIAL = {
    "train": {
        "images": ("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        "labels": ("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432"),
    },
    "test": {
        "images": ("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3"),
        "labels": ("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c"),
    },
}
SPLITS = ("train", "test")


@dataclass
class MNISTData:
    """Images ``(N, 1, 28, 28)`` float32 in [0, 1] and labels ``(N,)`` int64."""

    images: torch.Tensor
    labels: torch.Tensor
    source: str  # "mnist" (official files) or "digits" (scikit-learn fallback)
    split: str  # "train", "test", or e.g. "test[:8000]"
    reader: str = ""  # "torchvision", "idx" or "sklearn"
    note: str = ""
    extra: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.labels)

    def dataset(self):
        return torch.utils.data.TensorDataset(self.images, self.labels)

    def loader(self, batch_size=128, shuffle=True, seed=0, **kw):
        g = torch.Generator().manual_seed(seed)
        return torch.utils.data.DataLoader(
            self.dataset(), batch_size=batch_size, shuffle=shuffle, generator=g, **kw
        )

    def subset(self, n, seed=0):
        """A seeded random subset of ``n`` examples (all of them if ``n`` >= len)."""
        if n is None or n >= len(self):
            return self
        idx = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n]
        return MNISTData(
            self.images[idx],
            self.labels[idx],
            self.source,
            f"{self.split}[random {n}]",
            self.reader,
            self.note,
        )

    def __repr__(self):
        return (
            f"MNISTData(n={len(self)}, source={self.source!r}, split={self.split!r}, "
            f"reader={self.reader!r}{', note=' + repr(self.note) if self.note else ''})"
        )


def _candidate_roots(root=None):
    from ..config import data_dir

    bases = [Path(root)] if root else []
    if not root:
        try:
            bases.append(data_dir())
        except FileNotFoundError:
            raise
    out = []
    for b in bases:
        out += [b, b / "mnist"]
    return out


def _raw_dir(root=None) -> Path | None:
    """The first folder holding ``MNIST/raw`` with any official file."""
    for b in _candidate_roots(root):
        raw = b / "MNIST" / "raw"
        if raw.is_dir() and any(raw.glob("*-ubyte*")):
            return raw
    return None


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _find_file(raw: Path, name: str, md5: str) -> Path | None:
    gz = raw / (name + ".gz")
    if gz.exists():
        got = _md5(gz)
        if got != md5:
            raise ValueError(
                f"{gz} is corrupt (md5 {got}, expected {md5}). Delete it and download again."
            )
        return gz
    plain = raw / name
    return plain if plain.exists() else None


def read_idx(path) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into a numpy array of its stored shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path} is too short to be an IDX file")
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (magic {data[:4].hex()})")
    shape = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(shape)):
        raise ValueError(
            f"{path}: header says shape {shape} but holds {arr.size} values (truncated file?)"
        )
    return arr.reshape(shape)


def _available_splits(raw: Path | None) -> dict:
    found = {}
    if raw is None:
        return found
    for split, files in OFFICIAL.items():
        paths = {k: _find_file(raw, n, m) for k, (n, m) in files.items()}
        if all(paths.values()):
            found[split] = paths
    return found


def _try_torchvision(root, split, download) -> MNISTData | None:
    """torchvision's MNIST: first the folders we read from (no download), then a download into
    a writable cache (never into LABKIT_DATA, which may be a shared read-only folder)."""
    from torchvision.datasets import MNIST

    from ..config import cache_dir

    attempts = [(b, False) for b in _candidate_roots(root) if (b / "MNIST").is_dir()]
    if download:
        attempts.append((Path(root) if root else cache_dir(), True))
    for b, dl in attempts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = MNIST(str(b), train=(split == "train"), download=dl)
        except Exception:
            continue
        x = ds.data.unsqueeze(1).float().div_(255.0)
        return MNISTData(x, ds.targets.long(), "mnist", split, "torchvision")
    return None


def _digits_fallback(split: str) -> MNISTData:
    import torch.nn.functional as F
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (1797, 1, 8, 8)
    x = F.interpolate(x, size=(20, 20), mode="bilinear", align_corners=False)
    x = F.pad(x, (4, 4, 4, 4)).clamp_(0, 1)  # MNIST-like 20x20 in 28x28
    y = torch.tensor(d.target, dtype=torch.long)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    cut = int(0.8 * len(y))
    idx = perm[:cut] if split == "train" else perm[cut:]
    note = (
        "MNIST not found offline and not downloadable: using scikit-learn's 8x8 digits "
        "resized to 28x28 (1,797 images). Results will differ from real MNIST."
    )
    warnings.warn(note, stacklevel=3)
    print("WARNING:", note)
    return MNISTData(x[idx], y[idx], "digits", split, "sklearn", note)


def _want_download(download):
    if download is not None:
        return download
    from labkit.config import offline

    return not offline()


def load_mnist(
    split: str = "train", root=None, download: bool | None = None, allow_fallback: bool = True
) -> MNISTData:
    """Load one MNIST split as tensors.

    ``root`` defaults to ``labkit.config.data_dir()`` (``LABKIT_DATA``); both ``root/MNIST/raw``
    and ``root/mnist/MNIST/raw`` are searched. ``download`` defaults to True unless
    ``LABKIT_OFFLINE=1``. With ``allow_fallback=False`` a missing split raises FileNotFoundError.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    raw = _raw_dir(root)
    found = _available_splits(raw)
    if split in found:
        paths = found[split]
        x = torch.from_numpy(read_idx(paths["images"]).copy()).unsqueeze(1).float().div_(255.0)
        y = torch.from_numpy(read_idx(paths["labels"]).astype(np.int64))
        if len(x) != len(y):
            raise ValueError(f"MNIST {split}: {len(x)} images but {len(y)} labels in {raw}")
        return MNISTData(x, y, "mnist", split, "idx", extra={"raw_dir": str(raw)})
    if _want_download(download):
        got = _try_torchvision(root, split, download=True)
        if got is not None:
            return got
    if not allow_fallback:
        where = raw or [str(b / 'MNIST' / 'raw') for b in _candidate_roots(root)]
        raise FileNotFoundError(
            f"MNIST {split} split not found in {where} and could not be downloaded. "
            "Fix: set LABKIT_DATA to a folder holding MNIST/raw/*-ubyte.gz, "
            "or run where the network reaches torchvision."
        )
    return _digits_fallback(split)


def mnist_splits(
    n_train: int | None = None,
    n_test: int | None = None,
    root=None,
    download: bool | None = None,
    seed: int = 0,
):
    """Train and test sets for a notebook, whatever is available.

    With both official splits: they are used as they are (subsampled to ``n_train``/``n_test``).
    With only the official 10k test split (CI): it is split into disjoint train/test parts, and
    ``.note`` says so. With neither: the digits fallback.
    """
    train = (
        load_mnist("train", root, download, allow_fallback=False)
        if _has_or_can("train", root, download)
        else None
    )
    test = (
        load_mnist("test", root, download, allow_fallback=False)
        if _has_or_can("test", root, download)
        else None
    )
    if train is not None and test is not None:
        return train.subset(n_train, seed), test.subset(n_test, seed + 1)
    only = train or test
    if only is None:
        return _digits_fallback("train").subset(n_train, seed), _digits_fallback("test").subset(
            n_test, seed
        )
    n = len(only)
    n_te = min(n_test or n // 5, n // 2)
    n_tr = min(n_train or n - n_te, n - n_te)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    note = (
        f"only the official {only.split} split is available offline: using disjoint parts of it "
        f"({n_tr} for training, {n_te} for testing)"
    )
    tr_idx, te_idx = perm[:n_tr], perm[n - n_te :]
    mk = lambda idx, name: MNISTData(
        only.images[idx],
        only.labels[idx],
        "mnist",
        f"{only.split}[{name} {len(idx)}]",
        only.reader,
        note,
    )
    return mk(tr_idx, "train part"), mk(te_idx, "test part")


def _has_or_can(split, root, download):
    try:
        if split in _available_splits(_raw_dir(root)):
            return True
    except FileNotFoundError:
        return False
    if not _want_download(download):
        return False
    return _try_torchvision(root, split, download=True) is not None


def describe_source(root=None) -> str:
    """One line saying where MNIST will come from (printed by ``labkit.setup``)."""
    try:
        raw = _raw_dir(root)
    except FileNotFoundError as e:
        return f"error: {e}"
    found = _available_splits(raw)
    if found:
        return f"mnist (official IDX files: {', '.join(sorted(found))} in {raw})"
    if _want_download(None):
        return (
            "mnist via torchvision download (if the network allows), "
            "else scikit-learn digits fallback"
        )
    return "scikit-learn digits fallback (no MNIST files found; LABKIT_OFFLINE=1)"
