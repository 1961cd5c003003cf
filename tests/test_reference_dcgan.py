"""Notebook 05's shipped full-size DCGAN and conditional GAN (benchmarks/reference_dcgan.py): they
load offline with their checksums, rebuild the notebook's generators, are scored only on images
they never saw, and keep their recorded figures with fp16 weights."""

import shutil

import pytest
import torch

from labkit.data import reference as R


@pytest.mark.parametrize("conditional", [False, True])
def test_loads_offline_and_rebuilds_the_notebook_generator(conditional, no_network):
    G, ref = R.reference_image_gan(conditional)
    assert ref.name == ("cgan" if conditional else "dcgan")
    assert ref.meta["sha256"] == R.sha256(R.REFERENCE_DIR / ref.meta["file"])
    assert ref.meta["bytes"] <= 2_000_000, "each artifact stays under 2 MB"
    z = G.sample_latent(4, torch.Generator().manual_seed(0))
    with torch.no_grad():
        x = G(z, torch.arange(4)) if conditional else G(z)
    assert x.shape == (4, 1, 28, 28) and not G.training and x.abs().max() <= 1
    assert all(p.dtype == torch.float32 for p in G.parameters())
    res = ref.results
    assert res["frechet_fp16_weights"] == pytest.approx(res["frechet"], rel=0.02)
    if conditional:
        assert res["accuracy_fp16_weights"] == pytest.approx(res["accuracy"], abs=0.01)


def test_a_changed_file_is_refused(tmp_path):
    for p in R.REFERENCE_DIR.iterdir():
        shutil.copy(p, tmp_path / p.name)
    R.reference_image_gan(False, directory=tmp_path)  # an intact copy loads
    with open(tmp_path / "dcgan.npz", "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(R.ReferenceError, match="sha256"):
        R.reference_image_gan(False, directory=tmp_path)


@pytest.mark.parametrize("conditional", [False, True])
def test_held_out_is_exactly_the_part_it_never_saw(offline_test_split, conditional):
    from labkit.data.mnist import mnist_splits

    test = offline_test_split
    _, ref = R.reference_image_gan(conditional)
    perm = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))
    seen = ref.is_training_image(test.images[perm])
    assert seen[:5000].all() and not seen[5000:].any()
    with pytest.raises(R.SelfEvaluationError):
        ref.check_held_out(test.images[perm[:50]])
    _, fast_test = mnist_splits(4000, 1000)  # notebook 05's fast-mode test part: all held out
    assert len(ref.held_out(fast_test)) == len(fast_test) == 1000
