"""Notebook 04b's shipped VAE on binarised MNIST (benchmarks/reference_vaelik.py): it loads
offline with its checksum, rebuilds a Bernoulli VAE with a 2-D latent, never scores its own
training images (grey or binarised), and reproduces its recorded ELBO on the held-out part."""

import pytest
import torch

from labkit.data import reference as R

pytestmark = pytest.mark.skipif(
    "vaelik" not in R.list_references(), reason="no shipped vaelik reference"
)


def test_loads_offline_and_rebuilds_a_2d_bernoulli_vae(no_network):
    vae, ref = R.reference_vaelik()
    assert ref.meta["sha256"] == R.sha256(R.REFERENCE_DIR / ref.meta["file"])
    assert ref.meta["bytes"] <= 2e6 and ref.meta["reduced"]
    assert vae.latent_dim == 2 and not vae.training
    assert all(p.dtype == torch.float32 for p in vae.parameters())
    mu, logvar = vae.encode(torch.rand(3, 1, 28, 28))
    assert mu.shape == logvar.shape == (3, 2) and vae.decode(mu).shape == (3, 1, 28, 28)
    r = ref.results["shipped"]
    assert r["elbo_fp16_weights"] == pytest.approx(r["elbo"], abs=0.1)  # fp16 changes no nats
    assert r["iw_k1000_fp16_weights"] == pytest.approx(r["iw_k1000"], abs=0.1)


def test_held_out_is_exactly_the_part_it_never_saw_grey_or_binarised(offline_test_split):
    test = offline_test_split
    _, ref = R.reference_vaelik()
    perm = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))
    seen = ref.is_training_image(test.images[perm])
    assert seen[:8000].all() and not seen[8000:].any()
    assert len(ref.held_out(test)) == len(test) - 8000
    # the binarised copies it trained on are refused too (the builder's draw, seed 0)
    x_train = torch.bernoulli(test.images[perm[:8000]], generator=torch.Generator().manual_seed(0))
    with pytest.raises(R.SelfEvaluationError):
        ref.check_held_out(x_train[:20])
    with pytest.raises(R.SelfEvaluationError):
        ref.check_held_out(test.images[perm[:20]])


def test_reproduces_its_recorded_elbo_on_the_held_out_part(offline_test_split):
    from labkit.data.mnist import mnist_splits
    from labkit.vae import evaluate_elbo

    vae, ref = R.reference_vaelik()
    _, test = mnist_splits(8000, 2000)  # the builder's held-out part offline
    x = torch.bernoulli(test.images, generator=torch.Generator().manual_seed(1))
    elbo = ref.evaluate(evaluate_elbo, vae, x)["elbo"]
    assert elbo == pytest.approx(ref.results["shipped"]["elbo_fp16_weights"], abs=0.05)
