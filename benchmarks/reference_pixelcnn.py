"""Notebook 06's PixelCNN as a shipped reference (issue 17): ``--only pixelcnn``.

    LABKIT_DATA=../shared/data/mnist LABKIT_OFFLINE=1 \
        .venv/bin/python benchmarks/reference.py --only pixelcnn

A CPU proxy of the notebook's full mode: the same depth and kernels (7 mask-B layers after a 7x7
mask-A layer, so the same reach), half the width (32 channels instead of 64) and 4 of its 15
epochs, on the same data, the binarised train part of ``mnist_splits(None, 2000)`` offline (8,000
images of the official 10k test split). Full mode costs about 45 min on one CPU thread here
(measured: 177 s per epoch), over the 20-min limit of a reference builder.
Ships fp16 weights, 200 samples drawn by the builder (bit-packed: sampling this network costs
about a minute on a CPU, too long for a fast-mode notebook) and the training-image fingerprints.
"""

from __future__ import annotations

import copy
import time

import numpy as np

SIZES = dict(channels=32, n_layers=7, first_k=7, epochs=4, batch_size=64, lr=2e-3)
FULL = dict(channels=64, n_layers=7, first_k=7, epochs=15, batch_size=64, lr=2e-3)
SPLIT = dict(n_train=None, n_test=2000, seed=0)  # the notebook's full-mode split
N_SAMPLES, SAMPLE_SEED, BINARISE_SEED = 200, 1, 0
ARGS = [("--pixelcnn-epochs", {"type": int, "default": None, "help": "pixelcnn: epochs"})]


def _fp16(state, prefix):

    return {
        f"{prefix}.{k}": (v.half() if v.is_floating_point() else v).cpu().numpy()
        for k, v in state.items()
    }


def build(a):
    import torch

    torch.set_num_threads(a.threads)
    from labkit.data import mnist_splits
    from labkit.data.reference import write_reference
    from labkit.taxonomy import pixelcnn as P

    train, test = mnist_splits(SPLIT["n_train"], SPLIT["n_test"], seed=SPLIT["seed"])
    if train.source != "mnist" or train.split.startswith("train"):
        raise SystemExit(
            f"the shipped PixelCNN reference is made offline from the official 10k test split "
            f"only (got {train.source} {train.split}); set LABKIT_DATA=../shared/data/mnist and "
            f"LABKIT_OFFLINE=1"
        )
    s = dict(SIZES, epochs=a.pixelcnn_epochs or a.epochs or SIZES["epochs"])
    xb_train = P.binarise(train.images, seed=BINARISE_SEED)
    xb_test = P.binarise(test.images, seed=1)
    torch.manual_seed(0)
    net = P.PixelCNN(s["channels"], s["n_layers"], s["first_k"])
    c0 = time.process_time()
    run = P.train_pixelcnn(
        net, xb_train, epochs=s["epochs"], batch_size=s["batch_size"], lr=s["lr"], progress=False
    )
    train_cpu = time.process_time() - c0
    lp32 = P.log_prob(net, xb_test)
    net16 = copy.deepcopy(net)
    net16.load_state_dict(
        {k: v.half().float() if v.is_floating_point() else v for k, v in net.state_dict().items()}
    )
    lp16 = P.log_prob(net16, xb_test)
    x = P.sample_pixelcnn(net, N_SAMPLES, seed=SAMPLE_SEED)
    sample_s = P.sample_pixelcnn.last_seconds
    nll = -float(lp32.mean())
    res = {
        "test_nll_nats": round(nll, 2),
        "test_nll_nats_fp16_weights": round(-float(lp16.mean()), 2),
        "test_nll_sem": round(float(lp32.std() / len(lp32) ** 0.5), 2),
        "bits_per_pixel": round(P.nats_to_bits_per_pixel(nll), 4),
        "evaluated_on": f"{test.split} ({len(test)} images, binarised with seed 1)",
        "train_history": [round(float(h), 2) for h in run.history["loss"]],
        "train_wall_s": round(run.seconds, 1),
        "train_cpu_s": round(train_cpu, 1),
        "sample_s": round(sample_s, 1),
        "n_samples": N_SAMPLES,
        "threads": a.threads,
    }
    print(
        f"  pixelcnn: test NLL {nll:.2f} nats/image (fp16 weights "
        f"{res['test_nll_nats_fp16_weights']:.2f}), {s['epochs']} epochs, "
        f"{run.seconds:.0f} s train, {sample_s:.0f} s for {N_SAMPLES} samples",
        flush=True,
    )
    arrays = {
        **_fp16(net.state_dict(), "model"),
        "samples_packed": np.packbits(x.numpy().astype(np.uint8).reshape(N_SAMPLES, -1), axis=1),
    }
    return write_reference(
        "pixelcnn",
        arrays,
        command=a.command,
        train_images=train.images,
        trained_on=(
            f"mnist official test split (10k), indices perm[0:{len(train)}) of "
            f"torch.randperm(10000, generator=torch.Generator().manual_seed({SPLIT['seed']})), "
            f"i.e. the train part of labkit.data.mnist_splits(None, {SPLIT['n_test']}) offline, "
            f"binarised with labkit.taxonomy.pixelcnn.binarise(seed={BINARISE_SEED}); "
            f"held out: every other image (checked by image fingerprints of the grey images)"
        ),
        results=res,
        notebook="06_taxonomy",
        sizes=s,
        full_mode_sizes=FULL,
        reduced=(
            f"full mode's data (8,000 images) and depth (7 mask-B layers after a 7x7 mask-A "
            f"layer: the same reach), {s['channels']} channels instead of {FULL['channels']}, "
            f"{s['epochs']} epochs instead of {FULL['epochs']}: full mode takes about 45 min on "
            f"one CPU thread here (177 s per epoch), over the 20-min limit of a reference builder, "
            f"and this machine was shared by several jobs when it was built"
        ),
        contents=(
            "model.*: state dict (fp16) of labkit.taxonomy.PixelCNN(channels, n_layers, first_k) "
            f"as in sizes; samples_packed: ({N_SAMPLES}, 98) uint8, np.packbits of {N_SAMPLES} "
            f"binary 28x28 samples drawn by pixelcnn.sample_pixelcnn(model, {N_SAMPLES}, "
            f"seed={SAMPLE_SEED}) from the float32 weights; train_fingerprints: 64-bit "
            "fingerprints of its (grey) training images"
        ),
    )
