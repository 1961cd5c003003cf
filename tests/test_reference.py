"""Shipped full-size references (labkit/data/reference.py): checksums, manifest, offline load,
and the rule that a model is never evaluated on its own training images."""

import json
import socket
from fnmatch import fnmatch
from pathlib import Path

import pytest
import tomllib
import torch

from labkit.data import reference as R

ROOT = Path(__file__).resolve().parent.parent


def _images(n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 1, 28, 28), generator=g).float() / 255.0


@pytest.fixture
def tiny(tmp_path):
    train = _images(40, 0)
    R.write_reference(
        "tiny",
        {
            "model.w": torch.randn(3, 4, generator=torch.Generator().manual_seed(1)).half(),
            "model.n": torch.tensor([7]),
        },
        command="benchmarks/reference.py --only tiny",
        trained_on="40 random images, seed 0",
        results={"score": 0.5},
        train_images=train,
        directory=tmp_path,
    )
    return tmp_path, train


def test_manifest_lists_file_checksum_size_and_the_command(tiny):
    d, _ = tiny
    entry = json.loads((d / "manifest.json").read_text())["artifacts"]["tiny"]
    assert entry["command"] == "benchmarks/reference.py --only tiny"
    assert entry["file"] == "tiny.npz" and entry["bytes"] == (d / "tiny.npz").stat().st_size
    assert entry["sha256"] == R.sha256(d / "tiny.npz")
    assert (
        entry["trained_on"]
        and entry["created"].endswith("Z")
        and entry["results"] == {"score": 0.5}
    )


def test_load_round_trip_and_state_dict(tiny):
    d, _ = tiny
    ref = R.load_reference("tiny", directory=d)
    sd = ref.state_dict("model")
    assert sd["w"].dtype == torch.float32 and sd["w"].shape == (3, 4)  # fp16 on disk -> float32
    assert sd["n"].dtype == torch.int64 and int(sd["n"]) == 7
    assert "train_fingerprints" not in ref.arrays and ref.train_fingerprints.shape == (40,)
    assert "trained by `benchmarks/reference.py`" in ref.label()
    with pytest.raises(KeyError, match="no tensors under"):
        ref.state_dict("other")


def test_checksum_mismatch_raises_and_says_what_to_do(tiny):
    d, _ = tiny
    data = bytearray((d / "tiny.npz").read_bytes())
    data[-10] ^= 0xFF
    (d / "tiny.npz").write_bytes(bytes(data))
    with pytest.raises(
        R.ReferenceError, match="sha256.*changed or is corrupt.*benchmarks/reference.py --only tiny"
    ):
        R.load_reference("tiny", directory=d)


def test_missing_file_and_unknown_name_raise(tiny):
    d, _ = tiny
    with pytest.raises(R.ReferenceError, match="no shipped reference named 'nope'.*--only nope"):
        R.load_reference("nope", directory=d)
    (d / "tiny.npz").unlink()
    with pytest.raises(R.ReferenceError, match="is missing"):
        R.load_reference("tiny", directory=d)


def test_loads_offline(tiny, monkeypatch):
    d, _ = tiny

    def no_network(*a, **k):
        raise AssertionError("a reference must load without the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert R.load_reference("tiny", directory=d).name == "tiny"
    for name in R.list_references():  # the shipped ones too
        R.load_reference(name)


def test_refuses_its_own_training_images(tiny):
    d, train = tiny
    ref = R.load_reference("tiny", directory=d)
    other = _images(30, 5)
    mixed = torch.cat([other[:10], train[3:4], other[10:]])
    with pytest.raises(R.SelfEvaluationError, match="1 of 31 images were used to train.*held_out"):
        ref.evaluate(lambda m, x: x.mean(), None, mixed)
    with pytest.raises(R.SelfEvaluationError):
        ref.check_held_out(train)
    assert ref.evaluate(lambda m, x, k=0: len(x) + k, None, other, k=1) == 31
    kept = ref.held_out(mixed)
    assert len(kept) == 30 and torch.equal(kept, other)
    # the rule holds whichever reader produced the floats (float64, uint8 / 255 rounding)
    assert ref.is_training_image(train.double()[:5]).all()
    assert ref.is_training_image((train * 255).round().to(torch.uint8).float().div(255)[:5]).all()


def test_held_out_keeps_mnistdata_labels_aligned(tiny):
    from labkit.data.mnist import MNISTData

    d, train = tiny
    ref = R.load_reference("tiny", directory=d)
    imgs = torch.cat([train[:4], _images(6, 9)])
    data = MNISTData(imgs, torch.arange(10), "mnist", "test")
    kept = ref.held_out(data)
    assert len(kept) == 6 and kept.labels.tolist() == [4, 5, 6, 7, 8, 9]
    assert "minus 4 training images" in kept.split


def test_shipped_references_fit_the_budget_and_record_their_command():
    refs = R.list_references()
    total = sum(p.stat().st_size for p in R.REFERENCE_DIR.glob("*") if p.is_file())
    assert total <= 20e6, f"shipped references take {total / 1e6:.1f} MB, over the 20 MB limit"
    for name, e in refs.items():
        assert e["command"].startswith("benchmarks/reference.py"), (name, e["command"])
        assert (R.REFERENCE_DIR / e["file"]).stat().st_size == e["bytes"]
        assert e["trained_on"] and e["created"]


def test_package_data_globs_ship_the_references():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = cfg["tool"]["setuptools"]["package-data"]["labkit"]
    for p in list(R.REFERENCE_DIR.glob("*")):
        rel = p.relative_to(ROOT / "labkit").as_posix()
        assert any(fnmatch(rel, g) for g in globs), f"{rel} is not covered by package-data {globs}"


def test_shipped_mnist_reference_never_scores_its_training_part():
    """CI's offline 10k test split: the notebook's test part is held out, the training part
    refused."""
    if "vae" not in R.list_references():
        pytest.skip("no shipped VAE reference")
    from labkit.data.mnist import load_mnist

    try:
        test = load_mnist("test", download=False, allow_fallback=False)
    except FileNotFoundError:
        pytest.skip("MNIST test split not available offline")
    ref = R.load_reference("vae")
    perm = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))
    seen = ref.is_training_image(test.images[perm])
    assert seen[:8000].all() and not seen[8000:].any()
    with pytest.raises(R.SelfEvaluationError):
        ref.check_held_out(test.images[perm[:100]])
    assert len(ref.held_out(test)) == len(test) - 8000


def test_shipped_models_rebuild_and_reproduce_their_recorded_results():
    refs = R.list_references()
    if "vae" in refs:
        from labkit.data.mnist import mnist_splits
        from labkit.vae.losses import evaluate_elbo

        m, ref = R.reference_vae()
        _, test = mnist_splits(8000, 2000)
        if test.source == "mnist" and test.split.startswith("test["):  # CI's offline split
            elbo = ref.evaluate(evaluate_elbo, m, test.images)["elbo"]
            assert abs(elbo - ref.results["elbo_fp16_weights"]) < 0.05, (elbo, ref.results)
    if "unet" in refs:
        net, ref = R.reference_unet(skip=False)
        assert net.skip is False and net(torch.rand(2, 3, 32, 32)).shape == (
            2,
            net.num_classes,
            32,
            32,
        )
    if "gan2d" in refs:
        from labkit.gan.metrics import mode_coverage

        ref = R.load_reference("gan2d")
        for key in ref.results:
            mixture, recipe = key.split("/")
            G, D, _ = R.reference_mixture_gan(mixture, recipe)
            x = G.sample(2500, torch.Generator().manual_seed(10_000))
            r = mode_coverage(x, mixture)
            assert r["modes"] == ref.results[key]["modes_fp16_weights"], (key, r, ref.results[key])
            assert D(x[:5]).shape[0] == 5
