"""Benchmark for notebook 05b (issue 10, GAN half): progressive growing vs a GAN trained at 28x28
from the start on the same budget, and CycleGAN with / without its cycle loss vs paired pix2pix.

    python benchmarks/gan_beyond.py [--part progan|cyclegan|all] [--size medium|small|large]
                                    [--seeds 0 1]
    python benchmarks/gan_beyond.py --print [--out FILE]      # tables of an existing results file

``small`` = the notebook's fast-mode sizes (results/gan_beyond_small.json); ``medium`` = a CPU-hour
budget (results/gan_beyond.json; parts/seeds can run as parallel processes); ``large`` = full
mode (GPU).

ProGAN: same networks, same steps and batch size; Frechet distance in the judge classifier's
feature space (labkit.gan.metrics, NOT Inception-FID) between ``n_eval`` samples and ``n_eval``
held-out real digits; the real-vs-real distance of the same size is the floor.
CycleGAN: thin -> thick on held-out paired test digits: label kept (judge), stroke width,
L1 to the true thick digit, round-trip error. Writes benchmarks/results/gan_beyond.json
(each part updates its own section, so the parts can run as separate processes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

import torch

SIZES = {
    "small": dict(
        n_train=2000,
        n_eval=500,
        latent=32,
        pro_channels=(32, 16, 8),
        pro_steps=80,
        batch=32,
        cyc_channels=8,
        cyc_res=1,
        cyc_steps=60,
        cyc_batch=16,
        pro_lr=1e-3,
        cyc_lr=1e-3,
    ),
    "medium": dict(
        n_train=None,
        n_eval=2000,
        latent=32,
        pro_channels=(32, 16, 8),
        pro_steps=1500,
        batch=32,
        cyc_channels=16,
        cyc_res=2,
        cyc_steps=800,
        cyc_batch=16,
        pro_lr=2e-4,
        cyc_lr=1e-3,
    ),
    "large": dict(
        n_train=None,
        n_eval=5000,
        latent=64,
        pro_channels=(128, 64, 32),
        pro_steps=6000,
        batch=64,
        cyc_channels=32,
        cyc_res=3,
        cyc_steps=4000,
        cyc_batch=32,
        pro_lr=2e-4,
        cyc_lr=2e-4,
    ),
}
OUT = Path(__file__).resolve().parent / "results" / "gan_beyond.json"


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: i.get(k) for k in ("internal_api", "architecture", "num_threads")}
            for i in threadpool_info()
        ]
    except Exception as e:  # pragma: no cover
        return str(e)


def record(out: Path, part: str, row: str, seed, values: dict, meta: dict):
    """Add one run's numbers to the JSON right away (re-read first: parts and seeds may run
    as parallel processes). Layout: res[part]["rows"][row][str(seed)] = {metric: value}."""
    res = json.loads(out.read_text()) if out.exists() else {}
    sec = res.setdefault(part, {})
    sec.update(meta)
    sec.setdefault("rows", {}).setdefault(row, {})[str(seed)] = values
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(res, indent=1, default=float))
    os.replace(tmp, out)


def run_progan(S, seeds, device, out, meta, only=None):
    from labkit.data import mnist_splits
    from labkit.gan.judge import load_classifier
    from labkit.gan.metrics import frechet_distance
    from labkit.gan.progan import sample, train_progan

    train, test = mnist_splits(S["n_train"], S["n_eval"])
    judge = load_classifier()
    real = test.images[: S["n_eval"]]
    meta = {
        **meta,
        "n_train": len(train),
        "n_eval": S["n_eval"],
        "data": train.note or train.source,
    }
    n_floor = min(S["n_eval"], len(train))
    record(
        out,
        "progan",
        "real vs real (floor)",
        "-",
        {"fd": frechet_distance(real[:n_floor], train.images[:n_floor], judge)},
        meta,
    )
    for seed in seeds:
        for name, prog in [("progressive 7->14->28", True), ("fixed 28x28", False)]:
            if only and not any(o in name for o in only):
                continue
            c0, t0 = cpu_seconds(), time.perf_counter()
            run = train_progan(
                train.images,
                S["pro_steps"],
                progressive=prog,
                batch_size=S["batch"],
                latent_dim=S["latent"],
                channels=S["pro_channels"],
                lr=S["pro_lr"],
                device=device,
                seed=seed,
                progress=False,
            )
            wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
            fd = frechet_distance(real, sample(run.G, S["n_eval"], seed=1000 + seed), judge)
            record(
                out,
                "progan",
                name,
                seed,
                {"fd": fd, "train_wall_s": wall, "train_cpu_s": cpu},
                {**meta, "load_avg_end": os.getloadavg()},
            )
            print(
                f"[progan] seed {seed} {name}: FD {fd:.2f}, {wall:.0f}s wall, {cpu:.0f}s CPU",
                flush=True,
            )


def run_cyclegan(S, seeds, device, out, meta, only=None):
    from labkit.data import mnist_splits
    from labkit.data.domains import make_domains
    from labkit.gan.cyclegan import (
        evaluate_translation,
        round_trip,
        train_cyclegan,
        train_pix2pix_paired,
        translate,
    )
    from labkit.gan.judge import load_classifier

    train, test = mnist_splits(S["n_train"], S["n_eval"])
    judge = load_classifier()
    classify = lambda x: judge(x).argmax(1)  # noqa: E731
    test_pairs = make_domains(test.images, test.labels, "thin-thick", paired=True)
    xa, labels, truth = test_pairs.a, test_pairs.labels_a, test_pairs.b
    meta = {**meta, "n_train": len(train), "n_eval": len(xa), "task": "thin -> thick"}
    record(
        out,
        "cyclegan",
        "true thick (ceiling)",
        "-",
        evaluate_translation(truth, labels, classify, truth),
        meta,
    )
    record(
        out,
        "cyclegan",
        "input thin (identity map)",
        "-",
        evaluate_translation(xa, labels, classify, truth),
        meta,
    )
    kw = dict(
        batch_size=S["cyc_batch"],
        channels=S["cyc_channels"],
        n_res=S["cyc_res"],
        lr=S["cyc_lr"],
        device=device,
        progress=False,
    )
    for seed in seeds:
        dom = make_domains(train.images, train.labels, "thin-thick", seed=seed)
        pairs = make_domains(train.images, train.labels, "thin-thick", paired=True)
        runs = [
            (
                "CycleGAN (cycle 10)",
                lambda: train_cyclegan(dom, S["cyc_steps"], 10.0, seed=seed, **kw),
            ),
            ("no cycle loss", lambda: train_cyclegan(dom, S["cyc_steps"], 0.0, seed=seed, **kw)),
            (
                "pix2pix (paired)",
                lambda: train_pix2pix_paired(
                    pairs,
                    S["cyc_steps"],
                    S["cyc_batch"],
                    lr=S["cyc_lr"],
                    device=device,
                    seed=seed,
                    progress=False,
                ),
            ),
            (
                "CycleGAN + identity 5",
                lambda: train_cyclegan(dom, S["cyc_steps"], 10.0, 5.0, seed=seed, **kw),
            ),
        ]
        for name, train_fn in runs:
            if only and not any(o in name for o in only):
                continue
            c0, t0 = cpu_seconds(), time.perf_counter()
            run = train_fn()
            wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
            if name.startswith("pix2pix"):
                r = evaluate_translation(translate(run.model, xa), labels, classify, truth)
            else:
                fake_b, rec_a = round_trip(run.model, xa)
                r = evaluate_translation(fake_b, labels, classify, truth, xa, rec_a)
            r.update(train_wall_s=wall, train_cpu_s=cpu)
            record(out, "cyclegan", name, seed, r, {**meta, "load_avg_end": os.getloadavg()})
            print(
                f"[cyclegan] seed {seed} {name}: "
                + ", ".join(f"{k}={v:.3f}" for k, v in r.items()),
                flush=True,
            )


def mean(v):
    return sum(v) / len(v)


def _avg(row: dict, key: str):
    vals = [r[key] for r in row.values() if key in r]
    return mean(vals) if vals else None


def print_tables(res):
    if "progan" in res:
        p = res["progan"]
        rows = p["rows"]
        print(
            f"\nProGAN vs fixed 28x28, same steps ({p['size']['pro_steps']}) "
            f"and batch ({p['size']['batch']}), "
            f"lr {p['size']['pro_lr']}; judge-feature Frechet distance, "
            f"{p['n_eval']} vs {p['n_eval']} "
            "(not Inception-FID)"
        )
        base = _avg(rows.get("fixed 28x28", {}), "fd")
        print(
            f"{'model':26s} {'FD':>9s} {'FD/fixed':>9s} {'train CPU s':>12s} "
            f"{'CPU/fixed':>10s}  FD per seed"
        )
        cbase = _avg(rows.get("fixed 28x28", {}), "train_cpu_s")
        for name, row in rows.items():
            fd, cpu = _avg(row, "fd"), _avg(row, "train_cpu_s")
            print(
                f"{name:26s} {fd:9.2f} "
                + (f"{fd / base:9.2f} " if base else f"{'-':>9s} ")
                + (f"{cpu:12.0f} " if cpu else f"{'-':>12s} ")
                + (f"{cpu / cbase:10.2f}" if cpu and cbase else f"{'-':>10s}")
                + "  "
                + " ".join(f"s{k}:{v['fd']:.1f}" for k, v in row.items())
            )
    if "cyclegan" in res:
        c = res["cyclegan"]
        print(
            f"\nthin -> thick on {c['n_eval']} held-out paired digits, "
            f"{c['size']['cyc_steps']} steps each, "
            f"lr {c['size']['cyc_lr']}"
        )
        keys = ["label_kept", "stroke_width", "l1_to_truth", "round_trip_l1", "train_cpu_s"]
        print(f"{'model':26s} " + " ".join(f"{k:>13s}" for k in keys) + "  seeds")
        for name, row in c["rows"].items():
            vals = [_avg(row, k) for k in keys]
            print(
                f"{name:26s} "
                + " ".join(f"{v:13.3f}" if v is not None else f"{'-':>13s}" for v in vals)
                + "  "
                + ",".join(row)
            )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=["progan", "cyclegan", "all"], default="all")
    ap.add_argument("--size", choices=list(SIZES), default="medium")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--only", nargs="+", help="run only the rows whose name contains one of these")
    ap.add_argument(
        "--print", action="store_true", help="only print the tables of the existing JSON"
    )
    a = ap.parse_args(argv)
    if a.print:
        print_tables(json.loads(Path(a.out).read_text()))
        return
    import labkit

    torch.set_num_threads(a.threads)
    cfg = labkit.setup(seed=0, quiet=True)
    S = SIZES[a.size]
    out = Path(a.out)
    meta = {
        "size": S,
        "size_name": a.size,
        "device": str(cfg.device),
        "threads": a.threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "blas": blas_info(),
        "load_avg_start": os.getloadavg(),
        "cpu_count": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    for part, fn in [("progan", run_progan), ("cyclegan", run_cyclegan)]:
        if a.part in (part, "all"):
            fn(S, a.seeds, cfg.device, out, meta, a.only)
    if out.exists():
        print_tables(json.loads(out.read_text()))
        print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
