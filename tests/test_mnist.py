import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from labkit.data import mnist as M

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def _write_idx(path, arr):
    arr = np.asarray(arr, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 8, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.tobytes())


def test_read_idx_roundtrip(tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "x.gz", a)
    np.testing.assert_array_equal(M.read_idx(tmp_path / "x.gz"), a)


def test_read_idx_rejects_truncated(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(struct.pack(">HBB", 0, 8, 2) + struct.pack(">II", 10, 10) + b"\x00" * 5)
    with pytest.raises(ValueError, match="truncated"):
        M.read_idx(p)
    p.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="IDX"):
        M.read_idx(p)


def test_corrupt_file_detected_by_md5(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    _write_idx(raw / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28)))
    _write_idx(raw / "t10k-labels-idx1-ubyte.gz", np.zeros(3))
    with pytest.raises(ValueError, match="corrupt"):
        M.load_mnist("test", root=tmp_path, download=False)


def test_bad_split():
    with pytest.raises(ValueError, match="train"):
        M.load_mnist("validation")


def test_fallback_to_digits_warns(tmp_path, capsys):
    with pytest.warns(UserWarning, match="digits"):
        d = M.load_mnist("train", root=tmp_path, download=False)
    assert d.source == "digits" and d.images.shape[1:] == (1, 28, 28)
    assert 0 <= d.images.min() and d.images.max() <= 1
    assert "WARNING" in capsys.readouterr().out


def test_no_fallback_raises_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="LABKIT_DATA"):
        M.load_mnist("test", root=tmp_path, download=False, allow_fallback=False)


@pytest.mark.skipif(
    not (SHARED / "MNIST" / "raw").is_dir() and not os.environ.get("CI"),
    reason="shared MNIST test split not present",
)
def test_real_mnist_test_split_from_shared():
    root = os.environ.get("LABKIT_DATA") or SHARED
    d = M.load_mnist("test", root=root, download=False)
    assert d.source == "mnist", d  # CI must load the real images, never the fallback
    assert d.reader == "idx" and d.split == "test"
    assert d.images.shape == (10000, 1, 28, 28) and d.images.dtype == torch.float32
    assert torch.bincount(d.labels).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    tr, te = M.mnist_splits(n_train=500, n_test=200, root=root, download=False)
    assert tr.source == te.source == "mnist" and len(tr) == 500 and len(te) == 200
    assert "only the official test split" in tr.note


def test_ci_uses_real_mnist():
    if not os.environ.get("CI"):
        pytest.skip("only in CI")
    assert os.environ.get("LABKIT_DATA"), ".ci/run must set LABKIT_DATA"
    assert M.load_mnist("test").source == "mnist"


def test_splits_disjoint_when_only_test(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    imgs = np.arange(50 * 28 * 28, dtype=np.uint64).reshape(50, 28, 28) % 251
    # uncompressed official names are accepted without md5 (torchvision extracts them so)
    (raw / "t10k-images-idx3-ubyte").write_bytes(
        struct.pack(">HBB", 0, 8, 3)
        + struct.pack(">III", 50, 28, 28)
        + imgs.astype(np.uint8).tobytes()
    )
    (raw / "t10k-labels-idx1-ubyte").write_bytes(
        struct.pack(">HBB", 0, 8, 1)
        + struct.pack(">I", 50)
        + (np.arange(50) % 10).astype(np.uint8).tobytes()
    )
    tr, te = M.mnist_splits(root=tmp_path, download=False)
    assert len(tr) + len(te) == 50
    flat = lambda d: {tuple(x.flatten()[:40].tolist()) for x in d.images}
    assert not (flat(tr) & flat(te))
