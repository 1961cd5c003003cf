"""Notebook 00b's shipped full-size section-6 models (benchmarks/reference_density_mnist.py):
they load offline with their checksum, rebuild as a classifier and a density, never score their
own training images, and reproduce their recorded results on the notebook's fast test sets."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from labkit.data import reference as R

ROOT = Path(__file__).resolve().parent.parent


def test_loads_offline_and_rebuilds_both_models(no_network):
    (clf, dens), ref = R.reference_density_mnist()
    assert ref.meta["sha256"] == R.sha256(R.REFERENCE_DIR / ref.meta["file"])
    assert "reduced" in ref.meta and ref.meta["full_mode_sizes"]["n_train"] == 20000
    x = np.random.default_rng(0).random((4, 1, 28, 28)).astype(np.float32)
    p = clf.predict_proba(x.reshape(4, -1))
    assert p.shape == (4, 10) and np.allclose(p.sum(1), 1)
    assert dens.score_samples(x).shape == (4,) and len(dens.components_) == 50


def test_held_out_is_exactly_the_part_it_never_saw(offline_test_split):
    test = offline_test_split
    _, ref = R.reference_density_mnist()
    perm = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))
    seen = ref.is_training_image(test.images[perm])
    assert seen[:8000].all() and not seen[8000:].any()
    with pytest.raises(R.SelfEvaluationError):
        ref.check_held_out(test.images[perm[:50]])


def test_reproduces_its_recorded_results(offline_test_split):
    from labkit.data.mnist import mnist_splits

    spec = importlib.util.spec_from_file_location(
        "reference_density_mnist", ROOT / "benchmarks" / "reference_density_mnist.py"
    )
    b = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(b)
    (clf, dens), ref = R.reference_density_mnist()
    _, test = mnist_splits(b.FAST_EVAL["n_train"], b.FAST_EVAL["n_test"])
    held = ref.held_out(test)
    assert len(held) == len(test)  # the notebook's fast test part is all held out offline
    got = b.scores(
        clf, dens, b.outlier_sets(held.images.numpy(), b.FAST_EVAL["n_out"]), held.labels.numpy()
    )
    want = ref.results["fp16_weights"]
    assert got["accuracy"] == pytest.approx(want["accuracy"], abs=1e-4)
    for name in ("uniform noise", "letters"):
        for k in ("auroc_confidence", "auroc_log_px"):
            assert got[name][k] == pytest.approx(want[name][k], abs=2e-4), (name, k)
