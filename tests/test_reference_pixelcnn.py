"""Notebook 06's shipped PixelCNN (benchmarks/reference_pixelcnn.py): it loads offline with its
checksum, rebuilds the notebook's full-mode network, never scores its own training images, and
its shipped samples and log-likelihoods are what the manifest says."""

import pytest
import torch

from labkit.data import reference as R


def test_loads_offline_and_rebuilds_the_full_mode_network(no_network):
    net, ref = R.reference_pixelcnn()
    assert ref.meta["sha256"] == R.sha256(R.REFERENCE_DIR / ref.meta["file"])
    assert ref.meta["bytes"] <= 2_000_000 and ref.meta["notebook"] == "06_taxonomy"
    s, full = ref.meta["sizes"], ref.meta["full_mode_sizes"]
    assert (s["n_layers"], s["first_k"]) == (full["n_layers"], full["first_k"])  # same reach
    assert s["channels"] <= full["channels"] and s["epochs"] <= full["epochs"]
    assert "epochs" in ref.meta["reduced"] and "channels" in ref.meta["reduced"]  # said so
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 1, 28, 28) and not net.training
    x = ref.arrays["samples"]
    assert x.shape == (200, 1, 28, 28) and set(x.unique().tolist()) <= {0.0, 1.0}
    assert 0.02 < x.mean() < 0.4  # digits: mostly background, some ink
    r = ref.results
    assert r["test_nll_nats_fp16_weights"] == pytest.approx(r["test_nll_nats"], abs=0.1)


def test_held_out_is_exactly_the_part_it_never_saw(offline_test_split):
    test = offline_test_split
    _, ref = R.reference_pixelcnn()
    perm = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))
    seen = ref.is_training_image(test.images[perm])
    assert seen[:8000].all() and not seen[8000:].any()
    with pytest.raises(R.SelfEvaluationError):
        ref.check_held_out(test.images[perm[:50]])


def test_scores_the_fast_notebooks_test_part_near_its_recorded_nll(offline_test_split):
    from labkit.data.mnist import mnist_splits
    from labkit.taxonomy import binarise, log_prob

    net, ref = R.reference_pixelcnn()
    _, test = mnist_splits(4000, 500)  # notebook 06's fast split: its test part is held out
    held = ref.held_out(test)
    assert len(held) == len(test) == 500
    nll = -float(log_prob(net, binarise(held.images[:100], seed=1)).mean())
    assert abs(nll - ref.results["test_nll_nats"]) < 10, (nll, ref.results["test_nll_nats"])
    assert float(log_prob(net, ref.arrays["samples"][:20]).max()) < 0  # a log-probability
