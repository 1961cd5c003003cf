"""Notebook 00's shipped full-size MNIST classifier (benchmarks/reference_mnist_mlp.py): it
loads offline with its checksum, rebuilds the notebook's network, never scores its own training
images, and reproduces its recorded accuracy on the held-out part."""

import pytest
import torch

from labkit.data import reference as R


def test_loads_offline_and_rebuilds_the_notebook_network(no_network):
    net, ref = R.reference_mnist_mlp()
    assert ref.meta["sha256"] == R.sha256(R.REFERENCE_DIR / ref.meta["file"])
    assert net(torch.rand(3, 1, 28, 28)).shape == (3, 10) and not net.training
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert ref.results["accuracy_fp16_weights"] == pytest.approx(ref.results["accuracy"], abs=0.005)


def test_held_out_is_exactly_the_part_it_never_saw(offline_test_split):
    test = offline_test_split
    _, ref = R.reference_mnist_mlp()
    perm = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))
    seen = ref.is_training_image(test.images[perm])
    assert seen[:8000].all() and not seen[8000:].any()
    with pytest.raises(R.SelfEvaluationError):
        ref.check_held_out(test.images[perm[:50]])
    assert len(ref.held_out(test)) == len(test) - 8000


def test_reproduces_its_recorded_accuracy(offline_test_split):
    from labkit.data.mnist import mnist_splits

    net, ref = R.reference_mnist_mlp()
    _, test = mnist_splits(1000, 1000)  # notebook 00's test part offline (fast and full mode)
    held = ref.held_out(test)
    assert len(held) == len(test) == 1000
    with torch.no_grad():
        acc = float((net(held.images).argmax(1) == held.labels).float().mean())
    assert acc == pytest.approx(ref.results["accuracy_fp16_weights"], abs=1e-4)
