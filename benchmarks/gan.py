"""Lab 05 benchmark: mode coverage on the PacGAN/VEEGAN 2-D mixtures (5 seeds), the plain
minimax baseline in the same run, and the conditional GAN's judge accuracy.

    .venv/bin/python benchmarks/gan.py                    # 5 seeds, both mixtures, both recipes
    .venv/bin/python benchmarks/gan.py --seeds 0 --workers 1 --cgan none    # quick look
    python benchmarks/gan.py --batched cuda --cgan none     # each recipe's seeds as one
                                                            # stacked model

``--batched DEVICE`` trains the seeds of each (mixture, recipe) as ONE stacked model
(:func:`labkit.gan.train.train_mixture_gans`, torch.func vmap) on DEVICE and writes
benchmarks/results/gan_batched.json; per-run times are the batch's divided by the number of seeds.

Protocol (PacGAN, Lin et al. 2018; VEEGAN, Srivastava et al. 2017): 2,500 samples; a sample is high
quality (HQ) if within 3 std of its nearest mode; a mode is covered if it has an HQ sample. Every
run's samples are saved in benchmarks/results/gan_samples.npz (git-ignored) so the metric can be
recomputed. Time per run: CPU seconds of the worker process (what the run costs on one core,
independent of how loaded the machine is) and wall seconds (inflated when the machine is shared).
Writes benchmarks/results/gan.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"

PUBLISHED = {  # modes, HQ %, from PacGAN Table 1 / VEEGAN (long GPU runs)
    "ring": {"PacGAN4": (7.8, 95.9), "VEEGAN": (8.0, 52.9), "true samples": (8.0, 98.9)},
    "grid": {"PacGAN4": (24.8, 93.6), "VEEGAN": (24.6, 40.0), "true samples": (25.0, 98.9)},
}
TARGETS = {"ring": (8.0, 0.97), "grid": (24.8, 0.95)}


def run_one(args):
    mixture, recipe, seed, steps = args
    import torch

    torch.set_num_threads(1)
    from labkit.gan.metrics import mode_coverage
    from labkit.gan.train import train_mixture_gan

    t0, c0 = time.perf_counter(), time.process_time()
    run = train_mixture_gan(mixture, recipe, steps=steps, seed=seed, n_snapshots=1)
    G = run.G
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    x = G.sample(2500, torch.Generator().manual_seed(10_000 + seed)).numpy()
    r = mode_coverage(x, mixture)
    return {
        "mixture": mixture,
        "recipe": recipe,
        "seed": seed,
        "steps": steps,
        "modes": r["modes"],
        "hq": r["hq"],
        "cpu_s": cpu,
        "wall_s": wall,
        "diagnosis": run.diagnosis[:3],
        "samples": x,
    }


def run_batched(mixture, recipe, seeds, steps, device):
    import torch

    torch.set_num_threads(1)
    from labkit.gan.metrics import mode_coverage
    from labkit.gan.train import train_mixture_gans

    t0, c0 = time.perf_counter(), time.process_time()
    out = train_mixture_gans(
        mixture, recipe, steps=steps, seeds=seeds, n_snapshots=1, device=device
    )
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()
    cpu, wall = (time.process_time() - c0) / len(seeds), (time.perf_counter() - t0) / len(seeds)
    rows = []
    for seed, run in zip(seeds, out):
        x = run.G.sample(2500, torch.Generator().manual_seed(10_000 + seed)).cpu().numpy()
        r = mode_coverage(x, mixture)
        rows.append(
            {
                "mixture": mixture,
                "recipe": recipe,
                "seed": seed,
                "steps": steps,
                "modes": r["modes"],
                "hq": r["hq"],
                "cpu_s": cpu,
                "wall_s": wall,
                "diagnosis": [],
                "samples": x,
                "batched_on": str(device),
            }
        )
    return rows


def run_cgan(mode: str, seed: int = 0):
    import torch

    torch.set_num_threads(1)
    from labkit.data import mnist_splits
    from labkit.gan.judge import load_classifier
    from labkit.gan.metrics import conditional_accuracy, frechet_distance
    from labkit.gan.train import generate_digits, train_image_gan

    sizes = {
        "fast": dict(n_train=4000, epochs=8, base=32, lr=5e-4),  # as notebook 05_gan
        "full": dict(n_train=None, epochs=20, base=64, lr=2e-4),
    }[mode]
    train, test = mnist_splits(sizes["n_train"], 2000)
    if train.source != "mnist":
        raise SystemExit(
            f"the conditional GAN benchmark needs real MNIST, got {train.source!r} ({train.note}). "
            "Set LABKIT_DATA to a folder with MNIST/raw (e.g. ../shared/data/mnist) or go online; "
            "or pass --cgan none."
        )
    judge = load_classifier()
    t0, c0 = time.perf_counter(), time.process_time()
    G = train_image_gan(
        train,
        epochs=sizes["epochs"],
        base=sizes["base"],
        lr=sizes["lr"],
        conditional=True,
        seed=seed,
        progress=False,
    ).G
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    want = torch.arange(2000) % 10
    fake = generate_digits(G, want, seed=1)
    acc = conditional_accuracy(fake, want, judge)
    return {
        "mode": mode,
        "seed": seed,
        "n_train": len(train),
        **sizes,
        "accuracy": acc["accuracy"],
        "per_label": acc["per_label"],
        "frechet_classifier": frechet_distance(test.images, fake, judge),
        "frechet_real_floor": frechet_distance(test.images, train.images[:2000], judge),
        "judge_accuracy_real": judge.test_accuracy,
        "cpu_s": cpu,
        "wall_s": wall,
        "target": 0.80 if mode == "fast" else 0.95,
    }


def summarize(rows):
    out = {}
    for mix, rec in sorted({(r["mixture"], r["recipe"]) for r in rows}):
        rs = [r for r in rows if r["mixture"] == mix and r["recipe"] == rec]
        m, h = np.array([r["modes"] for r in rs]), np.array([r["hq"] for r in rs])
        out[f"{mix}/{rec}"] = {
            "mixture": mix,
            "recipe": rec,
            "seeds": [r["seed"] for r in rs],
            "steps": rs[0]["steps"],
            "modes_mean": float(m.mean()),
            "modes_std": float(m.std()),
            "modes": m.tolist(),
            "hq_mean": float(h.mean()),
            "hq_std": float(h.std()),
            "hq": h.round(4).tolist(),
            "cpu_s_max": float(max(r["cpu_s"] for r in rs)),
            "wall_s_max": float(max(r["wall_s"] for r in rs)),
            "diagnosis": sorted({d.split(" (step")[0] for r in rs for d in r["diagnosis"]}),
        }
        if rec == "tuned":
            tm, th = TARGETS[mix]
            out[f"{mix}/{rec}"]["target"] = {
                "modes": tm,
                "hq": th,
                "met_modes": bool(m.mean() >= tm),
                "met_hq": bool(h.mean() >= th),
                "met_time_5min_cpu": bool(max(r["cpu_s"] for r in rs) <= 300),
            }
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument(
        "--mixtures",
        nargs="+",
        default=["ring", "grid"],
        choices=["ring", "grid", "none"],
        help="'none': only the conditional GAN; the 2-D results already in --out are kept",
    )
    ap.add_argument("--recipes", nargs="+", default=["minimax", "tuned"])
    from labkit.gan.train import MIXTURE_STEPS

    ap.add_argument("--steps-ring", type=int, default=MIXTURE_STEPS["ring"])
    ap.add_argument("--steps-grid", type=int, default=MIXTURE_STEPS["grid"])
    ap.add_argument("--workers", type=int, default=min(5, os.cpu_count() or 1))
    ap.add_argument("--cgan", choices=["fast", "full", "none"], default="fast")
    ap.add_argument(
        "--batched",
        metavar="DEVICE",
        default=None,
        help="train each recipe's seeds as one stacked model on DEVICE (cpu, cuda)",
    )
    ap.add_argument(
        "--out", default=None, help="default: results/gan.json (gan_batched.json with --batched)"
    )
    a = ap.parse_args(argv)
    a.out = a.out or str(RESULTS / ("gan_batched.json" if a.batched else "gan.json"))
    steps = {"ring": a.steps_ring, "grid": a.steps_grid}
    a.mixtures = [m for m in a.mixtures if m != "none"]
    previous = (
        json.loads(Path(a.out).read_text()) if not a.mixtures and Path(a.out).exists() else None
    )
    if not a.mixtures and a.cgan == "none":
        ap.error("nothing to run: --mixtures none and --cgan none")
    jobs = [(m, r, s, steps[m]) for m in a.mixtures for r in a.recipes for s in a.seeds]
    jobs.sort(key=lambda j: -j[3])  # long runs first
    t0 = time.perf_counter()
    load0 = os.getloadavg()
    rows = []
    if a.batched:
        groups = [(m, r) for m in a.mixtures for r in a.recipes]
        results = (
            row for m, r in groups for row in run_batched(m, r, a.seeds, steps[m], a.batched)
        )
    else:
        ex = ProcessPoolExecutor(a.workers)
        results = ex.map(run_one, jobs)
    for row in results:
        rows.append(row)
        print(
            f"  {row['mixture']:4s} {row['recipe']:8s} seed {row['seed']}: "
            f"{row['modes']:2d} modes, "
            f"{100 * row['hq']:5.1f}% HQ  ({row['cpu_s']:.0f} s CPU, {row['wall_s']:.0f} s wall)",
            flush=True,
        )
    if not a.batched:
        ex.shutdown()
    RESULTS.mkdir(parents=True, exist_ok=True)
    samples_path = Path(a.out).with_name(Path(a.out).stem + "_samples.npz")
    if rows:
        np.savez_compressed(
            samples_path,
            **{f"{r['mixture']}_{r['recipe']}_seed{r['seed']}": r["samples"] for r in rows},
        )
    summary = summarize(rows)
    print(
        f"\n{'mixture/recipe':16s} {'steps':>6s} {'modes':>11s} {'HQ %':>12s} "
        f"{'CPU s/run':>9s} {'wall s':>7s}  target"
    )
    for k, v in summary.items():
        tgt = v.get("target")
        t = (
            ""
            if not tgt
            else (
                f"modes>={tgt['modes']}: {'met' if tgt['met_modes'] else 'MISSED'}, "
                f"HQ>={100 * tgt['hq']:.0f}%: {'met' if tgt['met_hq'] else 'MISSED'}"
            )
        )
        print(
            f"{k:16s} {v['steps']:6d} {v['modes_mean']:5.1f} ± {v['modes_std']:3.1f} "
            f"{100 * v['hq_mean']:5.1f} ± {100 * v['hq_std']:4.1f} "
            f"{v['cpu_s_max']:9.0f} {v['wall_s_max']:7.0f}  {t}"
        )
    for mix in a.mixtures:
        for name, (m, h) in PUBLISHED[mix].items():
            print(f"{mix + '/' + name:16s} {'':6s} {m:5.1f}        {h:5.1f}          (published)")
        if f"{mix}/tuned" in summary and f"{mix}/minimax" in summary:
            t, b = summary[f"{mix}/tuned"], summary[f"{mix}/minimax"]
            print(
                f"{mix}: tuned / minimax ratio: "
                f"modes x{t['modes_mean'] / max(b['modes_mean'], 1e-9):.2f}, "
                f"HQ x{t['hq_mean'] / max(b['hq_mean'], 1e-9):.2f}; tuned / PacGAN4: modes "
                f"x{t['modes_mean'] / PUBLISHED[mix]['PacGAN4'][0]:.3f}, "
                f"HQ x{100 * t['hq_mean'] / PUBLISHED[mix]['PacGAN4'][1]:.3f}"
            )
    cgan = None
    if a.cgan != "none":
        cgan = run_cgan(a.cgan)
        print(
            f"\nconditional GAN ({a.cgan} sizes: {cgan['n_train']} images, "
            f"{cgan['epochs']} epochs): judge accuracy "
            f"{100 * cgan['accuracy']:.1f}% (target >= {100 * cgan['target']:.0f}%: "
            f"{'met' if cgan['accuracy'] >= cgan['target'] else 'MISSED'}), "
            "classifier-feature Frechet "
            f"{cgan['frechet_classifier']:.2f} "
            f"(real-vs-real floor {cgan['frechet_real_floor']:.2f}; NOT Inception-FID), "
            f"{cgan['cpu_s']:.0f} s CPU"
        )
    try:
        from threadpoolctl import threadpool_info

        blas = [
            {k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for i in threadpool_info()
        ]
    except Exception:  # pragma: no cover
        blas = []
    load1 = os.getloadavg()
    if previous is not None:  # --mixtures none: keep the 2-D part as it was
        previous["conditional_gan"] = cgan
        previous["conditional_gan_command"] = " ".join(["benchmarks/gan.py"] + sys.argv[1:])
        Path(a.out).write_text(json.dumps(previous, indent=1, default=float))
        print(f"\nupdated the conditional GAN part of {a.out}")
        return
    result = {
        "benchmark": "gan",
        "command": " ".join(["benchmarks/gan.py"] + sys.argv[1:]),
        "protocol": "PacGAN/VEEGAN: 2500 samples, HQ within 3 std, covered if >=1 HQ sample",
        "summary": summary,
        "published": PUBLISHED,
        "conditional_gan": cgan,
        "runs": [{k: v for k, v in r.items() if k != "samples"} for r in rows],
        "samples_file": f"{samples_path.name} next to this file (git-ignored)",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "workers": a.workers,
            "torch_threads_per_run": 1,
            "loadavg_start": load0,
            "loadavg_end": load1,
            "blas": blas,
        },
        "total_wall_s": time.perf_counter() - t0,
    }
    Path(a.out).write_text(json.dumps(result, indent=1, default=float))
    print(
        f"\nwrote {a.out}; load average {load0[0]:.1f} -> {load1[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
