"""Full-size reference results shipped in labkit/data/reference/ (loaded offline by the notebooks).

    .venv/bin/python benchmarks/reference.py --only gan2d        # notebook 05, section 2
    LABKIT_DATA=../shared/data/mnist .venv/bin/python benchmarks/reference.py --only vae
    .venv/bin/python benchmarks/reference.py --only unet

Each artifact is one ``.npz`` (weights in float16 where the figures do not change; the benchmark
measures both) plus its manifest entry (sha256, bytes, this exact command, what it was trained on,
its results, date): see labkit/data/reference.py. MNIST models train on the official 10k test
split's first part under the seeded permutation of ``labkit.data.mnist.mnist_splits`` (the only
MNIST split offline) and ship fingerprints of their training images, so no notebook can score them
on those images. Writes benchmarks/results/reference.json (sizes, times, results).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
COMMAND = "benchmarks/reference.py"
N_SAMPLES = 2500  # the PacGAN/VEEGAN protocol of benchmarks/gan.py


def _fp16(state: dict, prefix: str) -> dict:
    return {
        f"{prefix}.{k}": v.detach()
        .cpu()
        .to(**({"dtype": __import__("torch").float16} if v.is_floating_point() else {}))
        .numpy()
        for k, v in state.items()
    }


# ---- (a) the 2-D GAN of notebook 05: tuned and minimax, ring and grid, seed 0, full budget -------
def _gan2d_run(job):
    mixture, recipe, steps, seed, cache = job
    done = Path(cache) / f"gan2d_{mixture}_{recipe}_{steps}_{seed}.pkl" if cache else None
    if done and done.exists():  # --cache DIR: a rerun resumes from finished runs
        import pickle

        return pickle.loads(done.read_bytes())
    out = _gan2d_train(mixture, recipe, steps, seed)
    if done:
        import pickle

        done.parent.mkdir(parents=True, exist_ok=True)
        done.write_bytes(pickle.dumps(out))
    return out


def _gan2d_train(mixture, recipe, steps, seed):
    import copy

    import torch

    torch.set_num_threads(1)
    from labkit.gan.metrics import mode_coverage
    from labkit.gan.train import train_mixture_gan

    t0, c0 = time.perf_counter(), time.process_time()
    run = train_mixture_gan(mixture, recipe, steps=steps, seed=seed, n_snapshots=1)
    G, D = run.G, run.D
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    g = torch.Generator().manual_seed(10_000 + seed)
    with torch.no_grad():
        x32 = G.sample(N_SAMPLES, g).numpy()
        G16 = copy.deepcopy(G)
        G16.load_state_dict(
            {k: v.half().float() if v.is_floating_point() else v for k, v in G.state_dict().items()}
        )
        x16 = G16.sample(N_SAMPLES, torch.Generator().manual_seed(10_000 + seed)).numpy()
    r32, r16 = mode_coverage(x32, mixture), mode_coverage(x16, mixture)
    arrays = {
        **_fp16(G.state_dict(), f"{mixture}_{recipe}.G"),
        **_fp16(D.state_dict(), f"{mixture}_{recipe}.D"),
        f"{mixture}_{recipe}.samples": x32.astype(np.float16),
    }
    res = {
        "steps": steps,
        "seed": seed,
        "modes": r32["modes"],
        "hq": round(float(r32["hq"]), 4),
        "modes_fp16_weights": r16["modes"],
        "hq_fp16_weights": round(float(r16["hq"]), 4),
        "cpu_s": round(cpu, 1),
        "wall_s": round(wall, 1),
    }
    return mixture, recipe, arrays, res


def build_gan2d(a):
    from labkit.data.reference import write_reference
    from labkit.gan.train import MIXTURE_RECIPES, MIXTURE_STEPS

    jobs = [
        (m, r, a.steps or MIXTURE_STEPS[m], 0, a.cache)
        for m in a.mixtures
        for r in ("tuned", "minimax")
    ]
    arrays, results = {}, {}
    with ProcessPoolExecutor(a.workers) as ex:
        for m, r, arr, res in ex.map(_gan2d_run, jobs):
            arrays.update(arr)
            results[f"{m}/{r}"] = res
            print(
                f"  gan2d {m:4s} {r:8s}: {res['modes']} modes, {100 * res['hq']:.1f}% HQ "
                f"(fp16 weights: {res['modes_fp16_weights']}, "
                f"{100 * res['hq_fp16_weights']:.1f}%), "
                f"{res['steps']} steps, {res['cpu_s']:.0f} s CPU",
                flush=True,
            )
    config = {
        r: {k: v for k, v in MIXTURE_RECIPES[r].items() if k != "cfg"} for r in MIXTURE_RECIPES
    }
    return write_reference(
        "gan2d",
        arrays,
        command=a.command,
        trained_on="generated 2-D mixtures (labkit.data.mixtures, seeded stream, seed 0): no "
        "images",
        results=results,
        notebook="05_gan",
        recipes=config,
        contents="per '<mixture>_<recipe>': .G / .D state dicts (fp16) of labkit.gan.models "
        "MLPGenerator/"
        "MLPDiscriminator as train_mixture_gan builds them, .samples (2500, 2) fp16 drawn with "
        "torch.Generator().manual_seed(10000) from the float32 weights",
    )


# ---- (b) the 2-D VAE of notebook 04 at full-mode sizes -------------------------------------------
VAE_SIZES = dict(
    latent_dim=2, width=32, hidden=256, epochs=10, batch_size=128, lr=1e-3
)  # lab_sizes() full
VAE_SPLIT = dict(n_train=8000, n_test=2000, seed=0)  # as benchmarks/vae.py


def build_vae(a):
    import torch

    torch.set_num_threads(a.threads)
    from labkit.data import mnist_splits
    from labkit.data.reference import write_reference
    from labkit.vae.losses import evaluate_elbo, vae_loss
    from labkit.vae.models import VAE, train_autoencoder

    train, test = mnist_splits(VAE_SPLIT["n_train"], VAE_SPLIT["n_test"], seed=VAE_SPLIT["seed"])
    if train.source != "mnist" or train.split.startswith("train"):
        raise SystemExit(
            f"the shipped VAE reference is made offline from the official 10k test split only "
            f"(got {train.source} {train.split}); set LABKIT_DATA=../shared/data/mnist and "
            f"LABKIT_OFFLINE=1"
        )
    s = dict(VAE_SIZES, epochs=a.epochs or VAE_SIZES["epochs"])
    torch.manual_seed(0)
    m = VAE(latent_dim=s["latent_dim"], width=s["width"], hidden=s["hidden"])
    t0, c0 = time.perf_counter(), time.process_time()
    train_autoencoder(
        m,
        train.images,
        loss_fn=vae_loss(),
        epochs=s["epochs"],
        batch_size=s["batch_size"],
        lr=s["lr"],
        progress=False,
    )
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    r32 = evaluate_elbo(m, test.images)
    m.load_state_dict(
        {k: v.half().float() if v.is_floating_point() else v for k, v in m.state_dict().items()}
    )
    r16 = evaluate_elbo(m, test.images)
    res = {
        "elbo": round(r32["elbo"], 2),
        "elbo_fp16_weights": round(r16["elbo"], 2),
        "elbo_sem": round(r32["elbo_sem"], 2),
        "recon": round(r32["recon"], 2),
        "kl": round(r32["kl"], 2),
        "evaluated_on": f"{test.split} ({len(test)} images)",
        "cpu_s": round(cpu, 1),
        "wall_s": round(wall, 1),
        "threads": a.threads,
    }
    print(
        f"  vae: test ELBO {res['elbo']:.1f} nats/image (fp16 weights "
        f"{res['elbo_fp16_weights']:.1f}), "
        f"{s['epochs']} epochs, {cpu:.0f} s CPU",
        flush=True,
    )
    return write_reference(
        "vae",
        _fp16(m.state_dict(), "model"),
        command=a.command,
        train_images=train.images,
        trained_on=(
            f"mnist official test split (10k), indices perm[0:{len(train)}) of "
            f"torch.randperm(10000, generator=torch.Generator().manual_seed({VAE_SPLIT['seed']})), "
            f"i.e. the train part of labkit.data.mnist_splits({VAE_SPLIT['n_train']}, "
            f"{VAE_SPLIT['n_test']}) offline; "
            f"held out: every other image (checked by image fingerprints)"
        ),
        results=res,
        notebook="04_autoencoders_vae",
        sizes=s,
        environment={k: os.environ.get(k) for k in ("LABKIT_DATA", "LABKIT_OFFLINE")},
        contents="model.*: state dict (fp16) of labkit VAE(latent_dim, width, hidden) as in sizes; "
        "train_fingerprints: 64-bit fingerprints of its training images",
    )


# ---- (c) the UNet of notebook 03 on the synthetic shapes -----------------------------------------
# Full mode (64x64, 8000 images, base 32, depth 4, 30 epochs) costs hours on a 2-core CPU; the
# shipped reference is benchmarks/unet.py's CPU-affordable proxy of it, at the notebook's fast image
# size (32x32)
# so that it is scored on the notebook's own validation images.
UNET_SIZES = dict(
    size=32, n_train=4000, n_val=300, base=16, depth=3, epochs=12, batch_size=32, lr=3e-3
)
UNET_FULL = dict(
    size=64, n_train=8000, n_val=1000, base=32, depth=4, epochs=30, batch_size=64, lr=3e-3
)


def build_unet(a):
    import torch

    torch.set_num_threads(a.threads)
    from labkit.data.reference import write_reference
    from labkit.data.segmentation import shapes_splits
    from labkit.segmentation.losses import dice_ce_loss
    from labkit.segmentation.metrics import evaluate
    from labkit.segmentation.unet import UNet, one_cycle_adam
    from labkit.train import fit, supervised

    s = dict(UNET_SIZES, epochs=a.epochs or UNET_SIZES["epochs"])
    train, val = shapes_splits(s["n_train"], s["n_val"], size=s["size"], seed=0)
    arrays, res = {}, {}
    for name, skip in (("skip", True), ("noskip", False)):
        torch.manual_seed(0)
        net = UNet(3, train.num_classes, base_channels=s["base"], depth=s["depth"], skip=skip)
        loader = train.loader(s["batch_size"], seed=0)
        opt = one_cycle_adam(net, s["lr"], s["epochs"] * len(loader))
        t0, c0 = time.perf_counter(), time.process_time()
        fit(
            net,
            loader,
            loss_fn=supervised(dice_ce_loss),
            optimizer=opt,
            epochs=s["epochs"],
            progress=False,
        )
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        net.eval()
        r32 = evaluate(net, val.loader(200, shuffle=False), train.num_classes, train.classes)
        net.load_state_dict(
            {
                k: v.half().float() if v.is_floating_point() else v
                for k, v in net.state_dict().items()
            }
        )
        r16 = evaluate(net, val.loader(200, shuffle=False), train.num_classes, train.classes)
        res[name] = {
            "miou": round(float(r32["miou"]), 4),
            "miou_fp16_weights": round(float(r16["miou"]), 4),
            "pixel_acc": round(float(r32["pixel_acc"]), 4),
            "cpu_s": round(cpu, 1),
            "wall_s": round(wall, 1),
        }
        arrays.update(_fp16(net.state_dict(), name))
        print(
            f"  unet {name}: val mIoU {r32['miou']:.3f} (fp16 weights {r16['miou']:.3f}), "
            f"{cpu:.0f} s CPU",
            flush=True,
        )
    res["evaluated_on"] = (
        f"shapes_splits(..., size={s['size']}, seed=0) validation part ({len(val)} images, "
        f"generator seed 1)"
    )
    return write_reference(
        "unet",
        arrays,
        command=a.command,
        train_images=train.images,
        trained_on=(
            f"synthetic shapes {s['size']}x{s['size']}, labkit.data.segmentation.shapes_splits("
            f"{s['n_train']}, {s['n_val']}, size={s['size']}, seed=0) train part (generator "
            f"seed 0); "
            f"every validation part of seed 0 (generator seed 1) is held out"
        ),
        results=res,
        notebook="03_unet",
        sizes=s,
        full_mode_sizes=UNET_FULL,
        reduced=(
            "CPU-affordable proxy of full mode: the notebook's fast image size 32x32 and network "
            "(base 16, depth 3), 4000 images and 12 epochs instead of full mode's 64x64, base "
            "32, depth 4, "
            "8000 images, 30 epochs (hours on a 2-core CPU)"
        ),
        contents="skip.* / noskip.*: state dicts (fp16) of labkit UNet(3, 5, base_channels, "
        "depth, skip=True/False); "
        "train_fingerprints: 64-bit fingerprints of its training images",
    )


BUILDERS = {"gan2d": build_gan2d, "vae": build_vae, "unet": build_unet}


def _plugins() -> dict:
    """More builders, one file each: ``benchmarks/reference_<name>.py`` defining ``build(args)``
    (returns ``write_reference``'s entry) and optionally ``ARGS``, a list of
    ``(flag, argparse keyword dict)`` for its own options."""
    import importlib.util

    found = {}
    for path in sorted(Path(__file__).resolve().parent.glob("reference_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found[path.stem[len("reference_") :]] = module
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    plugins = _plugins()
    builders = {**BUILDERS, **{name: m.build for name, m in plugins.items()}}
    ap.add_argument("--only", nargs="+", choices=sorted(builders), default=sorted(builders))
    ap.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    ap.add_argument(
        "--steps", type=int, default=None, help="gan2d: override the full budget (tests only)"
    )
    ap.add_argument(
        "--mixtures", nargs="+", default=["grid", "ring"], choices=["grid", "ring"], help="gan2d"
    )
    ap.add_argument(
        "--cache", default=None, help="gan2d: keep each finished run here; a rerun resumes"
    )
    ap.add_argument("--threads", type=int, default=1, help="vae/unet: torch threads")
    ap.add_argument(
        "--epochs", type=int, default=None, help="vae/unet: override the full-mode epochs"
    )
    for m in plugins.values():
        for flag, kw in getattr(m, "ARGS", []):
            ap.add_argument(flag, **kw)
    a = ap.parse_args(argv)
    a.command = " ".join([COMMAND] + (sys.argv[1:] if argv is None else list(argv)))
    out = RESULTS / "reference.json"
    from labkit.data.reference import REFERENCE_DIR, locked

    for name in a.only:
        t0 = time.perf_counter()
        load0 = os.getloadavg()[0]
        entry = builders[name](a)
        entry = {
            **entry,
            "total_wall_s": round(time.perf_counter() - t0, 1),
            "loadavg_start_end": [round(load0, 2), round(os.getloadavg()[0], 2)],
            "cpus": os.cpu_count(),
        }
        with locked(out):  # builders of other artifacts may run beside this one
            log = (
                json.loads(out.read_text())
                if out.exists()
                else {"benchmark": "reference", "artifacts": {}}
            )
            log["artifacts"][name] = entry
            total = sum(p.stat().st_size for p in REFERENCE_DIR.glob("*") if p.is_file())
            log["total_bytes"] = total
            RESULTS.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(log, indent=1, default=float) + "\n")
        print(
            f"wrote labkit/data/reference/{entry['file']}: {entry['bytes'] / 1e3:.0f} kB, "
            f"sha256 {entry['sha256'][:12]}, {entry['total_wall_s']:.0f} s wall"
        )
    print(f"all shipped references: {total / 1e6:.2f} MB (limit 20 MB)")


if __name__ == "__main__":
    main()
