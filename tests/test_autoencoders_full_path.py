"""The full-mode code path of notebook 04 and the benchmark, exercised on whatever MNIST is here
(CI: only the official 10k test split, so mnist_splits gives disjoint parts of it)."""

import os

import pytest
import torch

from labkit.vae.losses import evaluate_elbo, vae_loss
from labkit.vae.models import VAE, lab_sizes, train_autoencoder

HAS_MNIST = bool(os.environ.get("LABKIT_DATA"))


def test_lab_sizes_per_mode(monkeypatch):
    monkeypatch.setenv("LABKIT_MODE", "fast")
    fast = lab_sizes()
    monkeypatch.setenv("LABKIT_MODE", "full")
    full = lab_sizes()
    assert vars(fast).keys() == vars(full).keys()
    assert full.n_train is None and full.width > fast.width and full.epochs >= 10


@pytest.mark.skipif(not HAS_MNIST, reason="needs LABKIT_DATA with the official MNIST files")
def test_full_mode_sizes_train_and_evaluate(monkeypatch):
    from labkit.data import mnist_splits

    monkeypatch.setenv("LABKIT_MODE", "full")
    cfg = lab_sizes()
    train, test = mnist_splits(cfg.n_train, cfg.n_test)
    assert train.source == "mnist" and len(train) >= 5000 and len(test) >= 2000
    torch.set_num_threads(1)
    torch.manual_seed(0)
    m = VAE(latent_dim=20, width=cfg.width, hidden=cfg.hidden)
    # a few full-size steps: same code as the notebook and the benchmark, just shorter
    hist = train_autoencoder(
        m,
        train.images[: 4 * cfg.batch_size],
        epochs=1,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        loss_fn=vae_loss(),
        progress=False,
        device="cpu",
    )
    assert hist["neg_elbo"][0] > 0
    res = evaluate_elbo(m, test.images[:500])
    assert -600 < res["elbo"] < -100 and res["n"] == 500


def test_benchmark_reference_model_interface():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "bench_vae", Path(__file__).parents[1] / "benchmarks" / "vae.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    ref = bench.ExamplesVAE()
    assert sum(p.numel() for p in ref.parameters()) == 652_824  # 784-400-20 as in pytorch/examples
    x = torch.rand(3, 1, 28, 28)
    mu, logvar = ref.encode(x)
    assert mu.shape == (3, 20) and ref.decode(mu).shape == (3, 1, 28, 28)
    loss, logs = bench.examples_loss(ref, x)
    # summed over the batch; the logged value is per image
    torch.testing.assert_close(loss / 3, logs["neg_elbo"])
