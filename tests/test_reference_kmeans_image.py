"""Notebook 01's shipped full-mode results (benchmarks/reference_kmeans_image.py): they load
offline with their checksum, and the pictures are exactly what ``quantize`` gives at full size."""

import numpy as np
import pytest

from labkit.data import reference as R


def test_loads_offline_with_its_checksum(no_network):
    pictures, ref = R.reference_quantized()
    assert ref.meta["sha256"] == R.sha256(R.REFERENCE_DIR / ref.meta["file"])
    assert ref.command == "benchmarks/reference.py --only kmeans_image"
    assert ref.train_fingerprints is None  # no MNIST images involved
    H, W, _ = ref.results["image_shape"]
    for k, q in pictures.items():
        assert q.shape == (H, W, 3) and len(np.unique(q.reshape(-1, 3), axis=0)) == k
    errors = [ref.results["q_error"][str(k)] for k in (2, 4, 8, 16, 32)]
    assert all(b < a for a, b in zip(errors, errors[1:]))


def test_pictures_are_quantize_at_full_size():
    from labkit.cluster import load_image, quantize

    pictures, ref = R.reference_quantized()
    image = load_image("china.jpg", stride=ref.meta["sizes"]["image_stride"])
    q = quantize(image, 2)
    assert np.array_equal(pictures[2], q)
    err = float(((q - image) ** 2).sum(-1).mean())
    assert err == pytest.approx(ref.results["q_error"]["2"], abs=1e-6)
