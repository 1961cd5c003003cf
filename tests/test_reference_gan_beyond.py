"""Notebook 05b's shipped ProGAN pair and translation models (benchmarks/reference_progan.py,
benchmarks/reference_cyclegan.py): they load offline with their checksums, rebuild the
notebook's networks, never score their own training images, and reproduce a recorded figure
on the held-out part."""

import pytest
import torch

from labkit.data import reference as R


def test_progan_loads_offline_and_samples(no_network):
    from labkit.gan.progan import ProGenerator, sample

    g_pro, g_fixed, ref = R.reference_progan()
    assert ref.meta["sha256"] == R.sha256(R.REFERENCE_DIR / ref.meta["file"])
    assert ref.meta["bytes"] <= 2_000_000 and "proxy" in ref.meta["reduced"]
    for G in (g_pro, g_fixed):
        assert isinstance(G, ProGenerator) and not G.training
        x = sample(G, 5, seed=0)
        assert x.shape == (5, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    r = ref.results
    for name in ("progressive", "fixed"):
        assert r[name]["frechet_fp16_weights"] == pytest.approx(r[name]["frechet"], rel=0.05)
        assert r["floor_real_vs_real"] < r[name]["frechet"]


def test_translators_load_offline_and_translate(no_network):
    from labkit.gan.cyclegan import round_trip, translate

    models, ref = R.reference_translators()
    assert ref.meta["sha256"] == R.sha256(R.REFERENCE_DIR / ref.meta["file"])
    assert ref.meta["bytes"] <= 2_000_000 and "reduced" not in ref.meta  # full mode's own sizes
    assert all(ref.meta["sizes"][k] == v for k, v in ref.meta["full_mode_sizes"].items())
    x = torch.rand(4, 1, 28, 28)
    for name, m in models.items():
        out = translate(m, x) if "pix2pix" in name else round_trip(m, x)[1]
        assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1
    r = ref.results
    for name in ("cycle", "nocycle", "pix2pix"):
        assert r[name]["label_kept_fp16_weights"] == pytest.approx(r[name]["label_kept"], abs=0.01)


@pytest.mark.parametrize("loader", [R.reference_progan, R.reference_translators])
def test_held_out_is_exactly_the_part_it_never_saw(offline_test_split, loader):
    test = offline_test_split
    ref = loader()[-1]
    perm = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))
    seen = ref.is_training_image(test.images[perm])
    assert seen[:5000].all() and not seen[5000:].any()
    with pytest.raises(R.SelfEvaluationError):
        ref.check_held_out(test.images[perm[:20]])
    assert len(ref.held_out(test)) == len(test) - 5000


def test_translator_reproduces_its_recorded_scores(offline_test_split):
    from labkit.data.domains import make_domains
    from labkit.data.mnist import mnist_splits
    from labkit.gan.cyclegan import evaluate_translation, round_trip
    from labkit.gan.judge import load_classifier

    models, ref = R.reference_translators()
    n = ref.meta["sizes"]["n_eval"]
    _, test = mnist_splits(None, 5000)  # 05b's full-mode test part offline
    held = ref.held_out(test)
    assert len(held) == len(test)
    pairs = make_domains(held.images, held.labels, "thin-thick", paired=True)
    judge = load_classifier()
    fake_b, rec_a = round_trip(models["with cycle loss"], pairs.a[:n])
    got = evaluate_translation(
        fake_b, pairs.labels_a[:n], lambda x: judge(x).argmax(1), pairs.b[:n], pairs.a[:n], rec_a
    )
    want = ref.results["cycle"]
    assert got["round_trip_l1"] == pytest.approx(want["round_trip_l1_fp16_weights"], abs=2e-3)
    assert got["stroke_width"] == pytest.approx(want["stroke_width_fp16_weights"], abs=2e-2)


def test_cyclegan_reference_has_the_notebooks_full_mode_sizes():
    """The manifest calls it full size (no ``reduced``): 05b's full-mode sizes must stay equal."""
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "tools" / "notebooks" / "05b_gan_beyond.py"
    call = next(
        n
        for n in ast.walk(ast.parse(src.read_text()))
        if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "by_mode"
    )
    full = next(k.value for k in call.keywords if k.arg == "full")  # dict(key=literal, ...)
    full = {k.arg: ast.literal_eval(k.value) for k in full.keywords}
    s = R.load_reference("cyclegan").meta["sizes"]
    ours = {"channels": "cyc_channels", "n_res": "cyc_res", "batch": "cyc_batch"}
    ours.update(lr="cyc_lr", steps="cyc_steps")
    assert {k: s[k] for k in ours} == {k: full[v] for k, v in ours.items()}
