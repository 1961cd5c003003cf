"""Notebook 05's MNIST DCGAN and conditional GAN (sections 3-4) at full-mode sizes, shipped for
fast mode.

    LABKIT_DATA=../shared/data/mnist LABKIT_OFFLINE=1 \
        .venv/bin/python benchmarks/reference.py --only dcgan --workers 2

Full mode of notebook 05: ``train_image_gan`` with base 64, latent 64, batch 64, Adam(2e-4,
beta1 0.5), 20 epochs on the train part of ``mnist_splits(None, 5000)`` offline (the first 5,000
images of the official 10k test split under its seeded permutation). Both runs train at exactly
those sizes (one process each, ``--threads`` torch threads; ``--workers 2`` runs them side by
side). Two artifacts, because the two generators in fp16 are over 2 MB together: ``dcgan`` and
``cgan`` (generators only: the notebook samples, it does not train them further). Each is scored
on the test part of the same split (held out; fingerprints of the training images ship with it):
the judge's Frechet distance, and for the cGAN the judge's accuracy on the requested labels,
with float32 and with fp16 weights.
"""

from __future__ import annotations

import importlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SIZES = dict(n_train=None, n_test=5000, n_eval=2000, latent=64, base=64, batch=64, lr=2e-4, seed=0)
EPOCHS = 20  # notebook 05's full mode (dc_epochs = cgan_epochs = 20)
ARGS = [
    ("--dcgan-epochs", {"type": int, "default": None, "help": "dcgan: epochs (full mode: 20)"}),
    (
        "--dcgan-which",
        {"nargs": "+", "default": ["dcgan", "cgan"], "choices": ["dcgan", "cgan"]},
    ),
]


def _split(s):
    from labkit.data import mnist_splits

    train, test = mnist_splits(s["n_train"], s["n_test"], seed=s["seed"])
    if train.source != "mnist" or train.split.startswith("train"):
        raise SystemExit(
            f"the shipped reference is made offline from the official 10k test split only "
            f"(got {train.source} {train.split}); set LABKIT_DATA=../shared/data/mnist and "
            f"LABKIT_OFFLINE=1"
        )
    return train, test


def _scores(G, conditional, test, s, judge):
    import torch

    from labkit.gan.metrics import conditional_accuracy, frechet_distance
    from labkit.gan.train import generate_digits

    n = s["n_eval"]
    real = test.images[:n]
    if conditional:
        want = torch.arange(n) % 10
        fake = generate_digits(G, want, seed=1)
        out = {"accuracy": round(conditional_accuracy(fake, want, judge)["accuracy"], 4)}
    else:
        with torch.no_grad():
            z = G.sample_latent(n, torch.Generator().manual_seed(1))
            fake = ((G(z) + 1) / 2).clamp(0, 1)
        out = {}
    out["frechet"] = round(frechet_distance(real, fake, judge), 2)
    return out


def _train(job):
    """One run in its own process: ``(name, arrays, results)``."""
    name, s, threads = job
    import torch

    torch.set_num_threads(threads)
    from labkit.gan.judge import load_classifier
    from labkit.gan.train import train_image_gan

    conditional = name == "cgan"
    train, test = _split(s)
    judge = load_classifier()
    t0, c0 = time.perf_counter(), time.process_time()
    run = train_image_gan(
        train,
        epochs=s["epochs"],
        latent_dim=s["latent"],
        base=s["base"],
        conditional=conditional,
        batch_size=s["batch"],
        lr=s["lr"],
        seed=s["seed"],
        progress=False,
        device="cpu",
    )
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    G = run.G.eval()
    r32 = _scores(G, conditional, test, s, judge)
    state = {k: v.half() if v.is_floating_point() else v for k, v in G.state_dict().items()}
    G.load_state_dict({k: v.float() for k, v in state.items()})
    r16 = _scores(G, conditional, test, s, judge)
    res = {
        **r32,
        **{f"{k}_fp16_weights": v for k, v in r16.items()},
        "epochs": s["epochs"],
        "steps": run.trainer.n_steps,
        "train_s": round(run.seconds, 1),
        "cpu_s": round(cpu, 1),
        "wall_s": round(wall, 1),
        "threads": threads,
        "evaluated_on": f"{test.split}, first {s['n_eval']} images (held out)",
    }
    return name, {f"G.{k}": v.numpy() for k, v in state.items()}, res


def build(a):
    from labkit.data.reference import write_reference

    s = dict(SIZES, epochs=a.dcgan_epochs or EPOCHS)
    jobs = [(name, s, a.threads) for name in a.dcgan_which]
    # benchmarks/reference.py loads this file under no importable name: run the workers on the
    # importable copy of it, so that the process pool can pickle `_train`
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    train_one = importlib.import_module("reference_dcgan")._train
    with ProcessPoolExecutor(min(a.workers, len(jobs))) as ex:
        done = list(ex.map(train_one, jobs))
    train, _ = _split(s)
    entries = {}
    for name, arrays, res in done:
        print(f"  {name}: {res}", flush=True)
        kind = "conditional DCGAN (projection D)" if name == "cgan" else "DCGAN"
        entries[name] = write_reference(
            name,
            arrays,
            command=a.command,
            train_images=train.images,
            trained_on=(
                f"mnist official test split (10k), indices perm[0:{len(train)}) of "
                f"torch.randperm(10000, generator=torch.Generator().manual_seed({s['seed']})), "
                f"i.e. the train part of labkit.data.mnist_splits(None, {s['n_test']}) offline "
                f"(notebook 05's full mode); held out: every other image (checked by image "
                f"fingerprints)"
            ),
            results=res,
            notebook="05_gan",
            sizes=s,
            full_mode=s["epochs"] == EPOCHS,
            contents=f"G.*: state dict (fp16) of the {kind} generator of "
            f"labkit.gan.train_image_gan(conditional={name == 'cgan'}) with the sizes above "
            "(labkit.gan.models.DCGANGenerator(latent, base, n_classes)); the discriminator is "
            "not shipped; train_fingerprints: 64-bit fingerprints of its training images",
        )
    first, *rest = entries.values()
    return {**first, "also_wrote": {e["name"]: e for e in rest}}
