"""Notebook 05b's ProGAN (section 1): the progressive 7->14->28 GAN and the fixed-28x28 baseline of
the same budget, shipped for fast mode.

    LABKIT_DATA=../shared/data/mnist LABKIT_OFFLINE=1 \
        .venv/bin/python benchmarks/reference.py --only progan

Full mode (channels (128, 64, 32), latent 64, batch 64, 3,000 steps) costs about 2.7 s a step on
one CPU thread (hours for the two runs), so the shipped pair is a CPU-affordable proxy: fast mode's
widths (32, 16, 8) and batch 32, full mode's latent size and learning rate, 2,000 steps (the medium
sizes of ``benchmarks/gan_beyond.py``, a little longer). Both runs train on the train part of
``mnist_splits(None, 5000)`` offline (the first 5,000 images of the official 10k test split under
its seeded permutation, as the notebook's full mode) and are scored by the judge's Frechet distance
on the last images of that permutation (held out); float32 and fp16 weights are both measured. Only
the generators are shipped.
"""

from __future__ import annotations

import os
import time

SIZES = dict(
    n_train=None,
    n_test=5000,
    n_eval=2000,
    latent=64,
    channels=(32, 16, 8),
    steps=2000,
    batch=32,
    lr=2e-4,
    seed=0,
)
FULL = dict(latent=64, channels=(128, 64, 32), steps=3000, batch=64, lr=2e-4)  # 05b full
ARGS = [("--progan-steps", {"type": int, "default": None, "help": "progan: training steps"})]


def build(a):
    import torch

    from labkit.data import mnist_splits
    from labkit.data.reference import write_reference
    from labkit.gan.judge import load_classifier
    from labkit.gan.metrics import frechet_distance
    from labkit.gan.progan import sample, train_progan

    torch.set_num_threads(a.threads)
    s = dict(SIZES, steps=a.progan_steps or SIZES["steps"])
    train, test = mnist_splits(s["n_train"], s["n_test"], seed=s["seed"])
    if train.source != "mnist" or train.split.startswith("train"):
        raise SystemExit(
            f"the shipped reference is made offline from the official 10k test split only "
            f"(got {train.source} {train.split}); set LABKIT_DATA=../shared/data/mnist and "
            f"LABKIT_OFFLINE=1"
        )
    judge = load_classifier()
    real = test.images[: s["n_eval"]]
    arrays, res = {}, {}
    res["floor_real_vs_real"] = round(frechet_distance(real, test.images[-s["n_eval"] :], judge), 2)
    for name, progressive in (("progressive", True), ("fixed", False)):
        t0, c0 = time.perf_counter(), time.process_time()
        run = train_progan(
            train.images,
            s["steps"],
            progressive=progressive,
            batch_size=s["batch"],
            latent_dim=s["latent"],
            channels=s["channels"],
            lr=s["lr"],
            device="cpu",
            seed=s["seed"],
            progress=False,
        )
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        G = run.G.eval()
        fd32 = frechet_distance(real, sample(G, s["n_eval"], seed=1), judge)
        state = {k: v.half() if v.is_floating_point() else v for k, v in G.state_dict().items()}
        G.load_state_dict({k: v.float() for k, v in state.items()})
        fd16 = frechet_distance(real, sample(G, s["n_eval"], seed=1), judge)
        arrays.update({f"{name}.{k}": v for k, v in state.items()})
        res[name] = {
            "frechet": round(fd32, 2),
            "frechet_fp16_weights": round(fd16, 2),
            "cpu_s": round(cpu, 1),
            "wall_s": round(wall, 1),
            "step_seconds": round(run.seconds, 1),
        }
        print(
            f"  progan {name}: Frechet {fd32:.2f} (fp16 weights {fd16:.2f}; floor "
            f"{res['floor_real_vs_real']:.2f}), {s['steps']} steps, {cpu:.0f} s CPU",
            flush=True,
        )
    res["evaluated_on"] = (
        f"{test.split}: first {s['n_eval']} images vs {s['n_eval']} samples (seed 1); floor = "
        f"those images vs the last {s['n_eval']} of the same part"
    )
    res["threads"] = a.threads
    return write_reference(
        "progan",
        arrays,
        command=a.command,
        train_images=train.images,
        trained_on=(
            f"mnist official test split (10k), indices perm[0:{len(train)}) of "
            f"torch.randperm(10000, generator=torch.Generator().manual_seed({s['seed']})), "
            f"i.e. the train part of labkit.data.mnist_splits(None, {s['n_test']}) offline "
            f"(notebook 05b's full mode); held out: every other image (checked by image "
            f"fingerprints)"
        ),
        results=res,
        notebook="05b_gan_beyond",
        sizes=s,
        full_mode_sizes=FULL,
        reduced=(
            f"CPU-affordable proxy of full mode: channels {s['channels']} instead of "
            f"{FULL['channels']} and {s['steps']} steps instead of {FULL['steps']} (full mode "
            f"costs about 2.7 s a step on one CPU thread), batch {s['batch']} instead of "
            f"{FULL['batch']}; latent {s['latent']} and lr {s['lr']} as in full mode"
        ),
        environment={k: os.environ.get(k) for k in ("LABKIT_DATA", "LABKIT_OFFLINE")},
        contents="progressive.* / fixed.*: state dicts (fp16) of labkit.gan.progan.ProGenerator("
        "latent, channels) trained by train_progan(progressive=True/False); "
        "train_fingerprints: 64-bit fingerprints of its training images",
    )
