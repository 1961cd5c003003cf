"""Notebook 05b's translation models (section 2), thin -> thick digits: CycleGAN with and without
its cycle loss, and paired pix2pix, shipped for fast mode.

    LABKIT_DATA=../shared/data/mnist LABKIT_OFFLINE=1 \
        .venv/bin/python benchmarks/reference.py --only cyclegan

Trained at full-mode sizes (the notebook's ``S`` for ``full``: CycleGAN channels 16, 2 residual
blocks, batch 16, lr 1e-3, 1,000 steps; pix2pix base 16, depth 2, same steps; the medium sizes of
``benchmarks/gan_beyond.py``, which reached the true stroke width at 800 steps), so in fast mode
the notebook shows what its own full mode gives. All three train on the domains of the notebook's
full mode: ``make_domains(train.images, train.labels, "thin-thick", seed=0)`` (unpaired, disjoint
halves) and, for pix2pix, the paired version of the same images, where ``train`` is the train part
of ``mnist_splits(None, 5000)`` offline (the first 5,000 images of the official 10k test split
under its seeded permutation). Scored on the paired version of the held-out test part with
``evaluate_translation`` (the judge's label_kept, stroke width, L1 to the true thick digit, round
trip); float32 and fp16 weights are both measured.
"""

from __future__ import annotations

import os
import time

SIZES = dict(
    n_train=None,
    n_test=5000,
    n_eval=2000,
    channels=16,
    n_res=2,
    batch=16,
    lr=1e-3,
    steps=1000,
    pix_base=16,
    pix_depth=2,
    seed=0,
)
FULL = dict(channels=16, n_res=2, batch=16, lr=1e-3, steps=1000)  # 05b's S for full mode
ARGS = [("--cyclegan-steps", {"type": int, "default": None, "help": "cyclegan: training steps"})]


def _half(state):
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def build(a):
    import torch

    from labkit.data import mnist_splits
    from labkit.data.domains import make_domains
    from labkit.data.reference import write_reference
    from labkit.gan.cyclegan import (
        evaluate_translation,
        round_trip,
        train_cyclegan,
        train_pix2pix_paired,
        translate,
    )
    from labkit.gan.judge import load_classifier

    torch.set_num_threads(a.threads)
    s = dict(SIZES, steps=a.cyclegan_steps or SIZES["steps"])
    train, test = mnist_splits(s["n_train"], s["n_test"], seed=s["seed"])
    if train.source != "mnist" or train.split.startswith("train"):
        raise SystemExit(
            f"the shipped reference is made offline from the official 10k test split only "
            f"(got {train.source} {train.split}); set LABKIT_DATA=../shared/data/mnist and "
            f"LABKIT_OFFLINE=1"
        )
    judge = load_classifier()
    classify = lambda x: judge(x).argmax(1)  # noqa: E731
    dom = make_domains(train.images, train.labels, "thin-thick", seed=s["seed"])
    pairs = make_domains(train.images, train.labels, "thin-thick", paired=True)
    test_pairs = make_domains(test.images, test.labels, "thin-thick", paired=True)
    xa, truth = test_pairs.a[: s["n_eval"]], test_pairs.b[: s["n_eval"]]
    labels = test_pairs.labels_a[: s["n_eval"]]
    arrays = {}
    res = {"true B": evaluate_translation(truth, labels, classify, truth)}

    def score(name, model, cpu, wall):
        out = {}
        for tag in ("", "_fp16_weights"):
            if tag:
                model.load_state_dict({k: v.float() for k, v in _half(model.state_dict()).items()})
            if name == "pix2pix":
                r = evaluate_translation(translate(model, xa), labels, classify, truth)
            else:
                fake_b, rec_a = round_trip(model, xa)
                r = evaluate_translation(fake_b, labels, classify, truth, xa, rec_a)
            out.update({k + tag: round(v, 4) for k, v in r.items()})
        out.update(cpu_s=round(cpu, 1), wall_s=round(wall, 1))
        arrays.update({f"{name}.{k}": v for k, v in _half(model.state_dict()).items()})
        res[name] = out
        print(f"  cyclegan {name}: {out}", flush=True)

    kw = dict(batch_size=s["batch"], lr=s["lr"], device="cpu", seed=s["seed"], progress=False)
    for name, lam in (("cycle", 10.0), ("nocycle", 0.0)):
        t0, c0 = time.perf_counter(), time.process_time()
        run = train_cyclegan(
            dom, s["steps"], lambda_cycle=lam, channels=s["channels"], n_res=s["n_res"], **kw
        )
        score(name, run.model.eval(), time.process_time() - c0, time.perf_counter() - t0)
    t0, c0 = time.perf_counter(), time.process_time()
    pix = train_pix2pix_paired(
        pairs, s["steps"], base_channels=s["pix_base"], depth=s["pix_depth"], **kw
    )
    score("pix2pix", pix.model.eval(), time.process_time() - c0, time.perf_counter() - t0)
    res["evaluated_on"] = (
        f"make_domains(test, paired=True) of {test.split}: first {s['n_eval']} thin digits, "
        f"their true thick versions and labels"
    )
    res["threads"] = a.threads
    return write_reference(
        "cyclegan",
        arrays,
        command=a.command,
        train_images=train.images,
        trained_on=(
            f"mnist official test split (10k), indices perm[0:{len(train)}) of "
            f"torch.randperm(10000, generator=torch.Generator().manual_seed({s['seed']})), "
            f"i.e. the train part of labkit.data.mnist_splits(None, {s['n_test']}) offline "
            f"(notebook 05b's full mode), as thin/thick domains (CycleGAN: disjoint halves, "
            f"seed {s['seed']}; pix2pix: paired); held out: every other image (checked by "
            f"image fingerprints of the untransformed digits)"
        ),
        results=res,
        notebook="05b_gan_beyond",
        sizes=s,
        full_mode_sizes=FULL,
        **(
            {}
            if all(s[k] == v for k, v in FULL.items())
            else {"reduced": f"{s['steps']} steps instead of full mode's {FULL['steps']}"}
        ),
        environment={k: os.environ.get(k) for k in ("LABKIT_DATA", "LABKIT_OFFLINE")},
        contents="cycle.* / nocycle.*: state dicts (fp16) of labkit.gan.cyclegan.CycleGAN("
        "channels, n_res) trained with lambda_cycle 10 / 0; pix2pix.*: state dict (fp16) of "
        "labkit.gan.models.Pix2Pix(base_channels, depth) trained on pairs; "
        "train_fingerprints: 64-bit fingerprints of the untransformed training digits",
    )
