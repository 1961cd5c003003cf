"""Notebook 06's flow-matching UNet as a shipped reference (issue 17): ``--only flow``.

    LABKIT_DATA=../shared/data/mnist LABKIT_OFFLINE=1 \
        .venv/bin/python benchmarks/reference.py --only flow

A CPU proxy of the notebook's full-mode velocity field: 28 x 28 images, UNet depth 2, labels with
10 % "no label" for classifier-free guidance, 50 Euler steps, as full mode; half its width (base 16
and a 64-d time/label embedding instead of 32 and 128) and 8 epochs at batch 32 instead of 15 at
batch 128 (more optimiser steps per CPU second), on the same data, the train part of
``mnist_splits(None, 2000)`` offline (8,000 images of the official 10k test split). Full mode costs
about 32 min on one CPU thread here (measured: 127 s per epoch), over the 20-min limit of a
reference builder. Ships fp16 weights, the builder's 200 unconditional and
200 guided samples at full mode's 50 Euler steps (uint8; drawing them costs minutes on a CPU, too
long for a fast-mode notebook) and the training-image fingerprints.
"""

from __future__ import annotations

import copy
import time

import numpy as np

SIZES = dict(size=28, base=16, emb=64, epochs=8, batch_size=32, lr=2e-3, steps=50, w=2.0)
FULL = dict(size=28, base=32, emb=128, epochs=15, batch_size=128, lr=1e-3, steps=50, w=2.0)
SPLIT = dict(n_train=None, n_test=2000, seed=0)  # the notebook's full-mode split
FAST_SPLIT = (4000, 500)  # the fast notebook's split: its test part is what it scores on
N_SAMPLES, SEED = 200, 6  # the notebook's table: n_gen samples, seed 6
ARGS = [("--flow-epochs", {"type": int, "default": None, "help": "flow: epochs"})]


def _fp16(state, prefix):
    return {
        f"{prefix}.{k}": (v.half() if v.is_floating_point() else v).cpu().numpy()
        for k, v in state.items()
    }


def _u8(x):
    return np.rint(x.clamp(0, 1).numpy() * 255).astype(np.uint8)


def build(a):
    import torch

    torch.set_num_threads(a.threads)
    from labkit.data import mnist_splits
    from labkit.data.reference import write_reference
    from labkit.gan import conditional_accuracy, frechet_distance, load_classifier
    from labkit.taxonomy import flow as FL

    train, _ = mnist_splits(SPLIT["n_train"], SPLIT["n_test"], seed=SPLIT["seed"])
    if train.source != "mnist" or train.split.startswith("train"):
        raise SystemExit(
            f"the shipped flow reference is made offline from the official 10k test split only "
            f"(got {train.source} {train.split}); set LABKIT_DATA=../shared/data/mnist and "
            f"LABKIT_OFFLINE=1"
        )
    s = dict(SIZES, epochs=a.flow_epochs or a.epochs or SIZES["epochs"])
    torch.manual_seed(0)
    net = FL.FlowUNet(base=s["base"], depth=2, emb=s["emb"], size=s["size"])
    c0 = time.process_time()
    run = FL.train_flow(
        net,
        train.images,
        train.labels,
        epochs=s["epochs"],
        batch_size=s["batch_size"],
        lr=s["lr"],
        progress=False,
    )
    train_cpu = time.process_time() - c0
    want = torch.arange(N_SAMPLES) % 10
    x_u = FL.sample_flow(net, N_SAMPLES, s["steps"], seed=SEED)
    s_u = FL.sample_flow.last_seconds
    x_c = FL.sample_flow(net, N_SAMPLES, s["steps"], y=want, w=s["w"], seed=SEED)
    s_c = FL.sample_flow.last_seconds
    net16 = copy.deepcopy(net)
    net16.load_state_dict(
        {k: v.half().float() if v.is_floating_point() else v for k, v in net.state_dict().items()}
    )
    n16 = N_SAMPLES // 4
    x_c16 = FL.sample_flow(net16, n16, s["steps"], y=want[:n16], w=s["w"], seed=SEED)

    judge = load_classifier()
    _, test = mnist_splits(*FAST_SPLIT)  # perm[9500:], inside the held-out perm[8000:]
    q_u, q_c = torch.from_numpy(_u8(x_u)) / 255, torch.from_numpy(_u8(x_c)) / 255
    res = {
        "frechet_uncond": round(frechet_distance(test.images, x_u, judge), 2),
        "frechet_uncond_uint8": round(frechet_distance(test.images, q_u, judge), 2),
        "frechet_guided": round(frechet_distance(test.images, x_c, judge), 2),
        "frechet_guided_uint8": round(frechet_distance(test.images, q_c, judge), 2),
        "label_acc_guided": round(conditional_accuracy(x_c, want, judge)["accuracy"], 4),
        "label_acc_guided_uint8": round(conditional_accuracy(q_c, want, judge)["accuracy"], 4),
        "label_acc_guided_first50": round(
            conditional_accuracy(x_c[:n16], want[:n16], judge)["accuracy"], 4
        ),
        "label_acc_guided_first50_fp16_weights": round(
            conditional_accuracy(x_c16, want[:n16], judge)["accuracy"], 4
        ),
        "max_pixel_diff_fp16_weights": round(float((x_c16 - x_c[:n16]).abs().max()), 4),
        "evaluated_on": (
            f"the fast notebook's test part {test.split} ({len(test)} images, held out), "
            f"{N_SAMPLES} samples, judge of labkit.gan.load_classifier()"
        ),
        "train_history": [round(float(h), 4) for h in run.history["loss"]],
        "train_wall_s": round(run.seconds, 1),
        "train_cpu_s": round(train_cpu, 1),
        "sample_s_uncond": round(s_u, 1),
        "sample_s_guided": round(s_c, 1),
        "threads": a.threads,
    }
    print(
        f"  flow: judge-Frechet {res['frechet_uncond']:.1f} (no label), "
        f"{res['frechet_guided']:.1f} (w={s['w']:g}), label acc {res['label_acc_guided']:.1%} "
        f"(fp16 weights, first {n16}: {res['label_acc_guided_first50_fp16_weights']:.1%} vs "
        f"{res['label_acc_guided_first50']:.1%}, max pixel diff "
        f"{res['max_pixel_diff_fp16_weights']:.3f}), {run.seconds:.0f} s train",
        flush=True,
    )
    arrays = {
        **_fp16(net.state_dict(), "model"),
        "samples_uncond": _u8(x_u),
        "samples_guided": _u8(x_c),
        "samples_guided_labels": want.numpy().astype(np.uint8),
    }
    return write_reference(
        "flow",
        arrays,
        command=a.command,
        train_images=train.images,
        trained_on=(
            f"mnist official test split (10k), indices perm[0:{len(train)}) of "
            f"torch.randperm(10000, generator=torch.Generator().manual_seed({SPLIT['seed']})), "
            f"i.e. the train part of labkit.data.mnist_splits(None, {SPLIT['n_test']}) offline, "
            f"with their labels; held out: every other image (checked by image fingerprints)"
        ),
        results=res,
        notebook="06_taxonomy",
        sizes=s,
        full_mode_sizes=FULL,
        reduced=(
            f"full mode's data (8,000 images at 28 x 28), sampler (50 Euler steps, w = 2) and "
            f"UNet depth, at half the width (base {s['base']} and a {s['emb']}-d embedding "
            f"instead of {FULL['base']} and {FULL['emb']}), {s['epochs']} epochs at batch "
            f"{s['batch_size']} instead of {FULL['epochs']} at batch {FULL['batch_size']}: full "
            f"mode takes about 32 min on one CPU thread here (127 s per epoch), over the 20-min "
            f"limit of a reference builder, and this machine was shared by several jobs when it "
            f"was built"
        ),
        contents=(
            "model.*: state dict (fp16) of labkit.taxonomy.FlowUNet(base, depth=2, emb, size) as "
            f"in sizes; samples_uncond / samples_guided: ({N_SAMPLES}, 1, 28, 28) uint8 "
            f"(round(255 x)) drawn by flow.sample_flow(model, {N_SAMPLES}, {s['steps']}, "
            f"seed={SEED}) "
            f"from the float32 weights, without labels / with y = arange({N_SAMPLES}) % 10 "
            f"(samples_guided_labels) and guidance w = {s['w']:g}; train_fingerprints: 64-bit "
            "fingerprints of its training images"
        ),
    )
