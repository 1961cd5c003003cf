"""Notebook 00's tiny MNIST classifier at full-mode size (section 4), shipped for fast mode.

    LABKIT_DATA=../shared/data/mnist LABKIT_OFFLINE=1 \
        .venv/bin/python benchmarks/reference.py --only mnist_mlp

The same network as the notebook (784 -> 64 -> 10 MLP, Adam lr 1e-2, batch 100, through
``labkit.train.fit``) trained on the train part of ``mnist_splits(8000, 1000)`` (the first 8,000
images of the official 10k test split under its seeded permutation) for full mode's 10 epochs;
fast mode trains 1,000 images for 2 epochs. Scored on the last 1,000 images of that permutation
(the notebook's test part in both modes offline); float32 and fp16 weights are both measured.
"""

from __future__ import annotations

import os
import time

SIZES = dict(n_train=8000, n_test=1000, hidden=64, epochs=10, batch_size=100, lr=1e-2, seed=0)
ARGS = []


def mlp(hidden: int):
    """The notebook's network (notebook 00, section 4)."""
    from torch import nn

    return nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def _accuracy(net, data) -> float:
    import torch

    with torch.no_grad():
        return float((net(data.images).argmax(1) == data.labels).float().mean())


def build(a):
    import torch
    from torch import nn

    from labkit.data import mnist_splits
    from labkit.data.reference import write_reference
    from labkit.train import fit, supervised

    torch.set_num_threads(a.threads)
    s = dict(SIZES, epochs=a.epochs or SIZES["epochs"])
    train, test = mnist_splits(s["n_train"], s["n_test"], seed=s["seed"])
    if train.source != "mnist" or train.split.startswith("train"):
        raise SystemExit(
            f"the shipped reference is made offline from the official 10k test split only "
            f"(got {train.source} {train.split}); set LABKIT_DATA=../shared/data/mnist and "
            f"LABKIT_OFFLINE=1"
        )
    torch.manual_seed(s["seed"])
    net = mlp(s["hidden"])
    t0, c0 = time.perf_counter(), time.process_time()
    history = fit(
        net,
        train.loader(batch_size=s["batch_size"], seed=s["seed"]),
        loss_fn=supervised(nn.CrossEntropyLoss()),
        epochs=s["epochs"],
        lr=s["lr"],
        device="cpu",
        progress=False,
    )
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    net.eval()
    acc32 = _accuracy(net, test)
    state = {k: v.half() for k, v in net.state_dict().items()}
    net.load_state_dict({k: v.float() for k, v in state.items()})
    acc16 = _accuracy(net, test)
    res = {
        "accuracy": round(acc32, 4),
        "accuracy_fp16_weights": round(acc16, 4),
        "loss_per_epoch": [round(v, 4) for v in history["loss"]],
        "evaluated_on": f"{test.split} ({len(test)} images)",
        "cpu_s": round(cpu, 1),
        "wall_s": round(wall, 1),
        "threads": a.threads,
    }
    print(
        f"  mnist_mlp: test accuracy {acc32:.4f} (fp16 weights {acc16:.4f}), "
        f"{s['epochs']} epochs on {len(train)} images, {cpu:.0f} s CPU",
        flush=True,
    )
    return write_reference(
        "mnist_mlp",
        {f"model.{k}": v for k, v in state.items()},
        command=a.command,
        train_images=train.images,
        trained_on=(
            f"mnist official test split (10k), indices perm[0:{len(train)}) of "
            f"torch.randperm(10000, generator=torch.Generator().manual_seed({s['seed']})), "
            f"i.e. the train part of labkit.data.mnist_splits({s['n_train']}, {s['n_test']}) "
            f"offline; held out: every other image (checked by image fingerprints)"
        ),
        results=res,
        notebook="00_setup_check",
        sizes=s,
        environment={k: os.environ.get(k) for k in ("LABKIT_DATA", "LABKIT_OFFLINE")},
        contents="model.*: state dict (fp16) of nn.Sequential(Flatten, Linear(784, hidden), "
        "ReLU, Linear(hidden, 10)); train_fingerprints: 64-bit fingerprints of its training "
        "images",
    )
