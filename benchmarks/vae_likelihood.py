"""The course VAE's test log-likelihood reported the way papers do (issue 10, notebook 04b).

For each latent size: train ``labkit.vae.models.VAE`` on statically binarised MNIST
(each pixel 1 with probability its grey value, one fixed draw), then on held-out binarised test
images report, in nats per image (higher is better):

* the ELBO (closed-form KL + 100 Monte Carlo samples of E_q[log p(x|z)]),
* the importance-weighted estimate of log p(x) with k = 5000 (Burda et al., 2016: the number papers
  report as "test log-likelihood"),
* for a 2-D latent also the reference: log p(x) by numerical integration over an adaptive latent
  grid, and the ratios/differences of the two estimates to it.

    .venv/bin/python benchmarks/vae_likelihood.py           # CPU sizes (~15-30 min on 2 cores)
    .venv/bin/python benchmarks/vae_likelihood.py --quick   # a smoke run (~2 min)
    .venv/bin/python benchmarks/vae_likelihood.py --full    # GPU sizes (all 10k test images)

Published context (dynamically binarised MNIST, 50-D latent, 2 deterministic hidden layers,
thousands of epochs): a VAE reaches about -86 to -87 nats with k = 5000 (Burda et al., 2016,
"Importance Weighted Autoencoders", Table 1). A 2-D latent is far weaker by design.
Writes benchmarks/results/vae_likelihood.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from labkit.data import mnist_splits  # noqa: E402
from labkit.vae import likelihood as L  # noqa: E402
from labkit.vae.models import VAE, train_autoencoder  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "vae_likelihood.json"
SIZES = {
    "quick": dict(n_train=2000, n_test=20, epochs=2, width=8, hidden=64, k=5000, latents=[2]),
    "cpu": dict(n_train=8000, n_test=100, epochs=10, width=8, hidden=64, k=5000, latents=[2, 16]),
    "full": dict(
        n_train=None, n_test=10000, epochs=50, width=32, hidden=256, k=5000, latents=[2, 16]
    ),
}


def env_info(device):
    from threadpoolctl import threadpool_info

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "blas": [
            f"{i.get('internal_api')} {i.get('architecture', '')} threads={i.get('num_threads')}"
            for i in threadpool_info()
        ],
        "loadavg_start": os.getloadavg(),
    }


def binarise(images, seed):
    return torch.bernoulli(images, generator=torch.Generator().manual_seed(seed))


def run_one(latent, size, x_train, x_test, device, batch=50):
    torch.manual_seed(0)
    vae = VAE(latent_dim=latent, width=size["width"], hidden=size["hidden"])
    t = time.perf_counter()
    hist = train_autoencoder(
        vae, x_train, epochs=size["epochs"], batch_size=64, lr=1e-3, device=device, progress=False
    )
    t_train = time.perf_counter() - t
    vae.eval()
    model = L.BernoulliVAE(vae, chunk=8192)
    g = torch.Generator().manual_seed(1)
    t = time.perf_counter()
    elbo = torch.cat([L.elbo(model, xb, n_samples=100, generator=g) for xb in x_test.split(batch)])
    t_elbo = time.perf_counter() - t
    t = time.perf_counter()
    iw = torch.cat(
        [L.iw_log_px(model, xb, k=size["k"], generator=g, chunk=1000) for xb in x_test.split(batch)]
    )
    t_iw = time.perf_counter() - t
    row = {
        "latent_dim": latent,
        "params": sum(p.numel() for p in vae.parameters()),
        "train_neg_elbo_last_epoch": hist["neg_elbo"][-1],
        "n_test": len(x_test),
        "k": size["k"],
        "elbo": float(elbo.mean()),
        f"iw_k{size['k']}": float(iw.mean()),
        "iw_minus_elbo": float((iw - elbo).mean()),
        "seconds": {"train": t_train, "elbo": t_elbo, "iw": t_iw},
    }
    if latent <= 2:
        t = time.perf_counter()
        grid = torch.tensor(
            [r.log_px for r in L.log_px_adaptive(model, x_test, n_coarse=41, n_fine=81)],
            dtype=torch.float64,
        )
        row["seconds"]["grid"] = time.perf_counter() - t
        row["grid_log_px"] = float(grid.mean())
        row["iw_minus_grid"] = float((iw - grid).mean())
        diff = iw - grid
        row["iw_minus_grid_min"], row["iw_minus_grid_max"] = float(diff.min()), float(diff.max())
        row["iw_minus_grid_median"] = float(diff.median())
        row["elbo_minus_grid"] = float((elbo - grid).mean())
        # has the grid converged? a finer, wider grid on the 10 images where IW and grid differ most
        worst = diff.abs().argsort(descending=True)[:10]
        t = time.perf_counter()
        fine = torch.tensor(
            [
                r.log_px
                for r in L.log_px_adaptive(model, x_test[worst], n_coarse=81, n_fine=161, tol=30.0)
            ],
            dtype=torch.float64,
        )
        row["seconds"]["grid_check"] = time.perf_counter() - t
        row["grid_check_10_worst"] = {
            "iw_minus_grid": diff[worst].tolist(),
            "refined_minus_grid": (fine - grid[worst]).tolist(),
        }
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true")
    ap.add_argument(
        "--latents", type=str, default=None, help="comma-separated latent sizes, e.g. 2,16"
    )
    ap.add_argument("--n-test", type=int, default=None)
    ap.add_argument("--device", default=None)
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "full" if args.full else "cpu"
    size = dict(SIZES[mode])
    if args.latents:
        size["latents"] = [int(v) for v in args.latents.split(",")]
    if args.n_test:
        size["n_test"] = args.n_test
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cpu":
        torch.set_num_threads(1)
    train, test = mnist_splits(size["n_train"], size["n_test"])
    x_train, x_test = binarise(train.images, 0), binarise(test.images, 1)
    result = {
        "mode": mode,
        "sizes": size,
        "data": {
            "train": train.split,
            "test": test.split,
            "note": train.note,
            "binarisation": "static, torch.bernoulli, seeds 0/1",
        },
        "env": env_info(device),
        "published_reference": {
            "what": "VAE, 50-D latent, dynamically binarised MNIST, IW k=5000",
            "log_px_nats": "about -86 to -87",
            "source": "Burda, Grosse, Salakhutdinov 2016, Table 1",
        },
        "rows": [],
    }
    if OUT.exists():  # keep rows of other latent sizes from the same protocol
        old = json.loads(OUT.read_text())
        if old.get("mode") == mode and {
            k: v for k, v in old.get("sizes", {}).items() if k != "latents"
        } == {k: v for k, v in size.items() if k != "latents"}:
            result["rows"] = [r for r in old["rows"] if r["latent_dim"] not in size["latents"]]
    print(
        f"mode {mode}: train {len(x_train)} / test {len(x_test)} binarised images, "
        f"k={size['k']}, device {device}"
    )
    hdr = (
        f"{'latent':>6} {'ELBO':>9} {'IW k=' + str(size['k']):>11} {'grid':>9} "
        f"{'IW-grid':>8} {'ELBO-grid':>9} {'IW-ELBO':>8}"
    )
    print(hdr)
    for latent in size["latents"]:
        row = run_one(latent, size, x_train, x_test, device)
        result["rows"] = sorted(result["rows"] + [row], key=lambda r: r["latent_dim"])
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(result, indent=2))
        g = row.get("grid_log_px")
        f = (lambda v: f"{v:9.2f}") if g is not None else (lambda v: f"{'-':>9}")
        print(
            f"{latent:>6} {row['elbo']:9.2f} {row['iw_k' + str(size['k'])]:11.2f} "
            f"{f(g) if g else f(0)} "
            f"{(row['iw_minus_grid'] if g else float('nan')):8.3f} "
            f"{(row['elbo_minus_grid'] if g else float('nan')):9.3f} "
            f"{row['iw_minus_elbo']:8.3f}   ({row['seconds']})",
            flush=True,
        )
    result["env"]["loadavg_end"] = os.getloadavg()
    OUT.write_text(json.dumps(result, indent=2))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
