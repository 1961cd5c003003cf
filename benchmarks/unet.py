"""Benchmark for Lab 03 (UNet) on the synthetic shapes set.

Trains the UNet with and without skip connections (same budget) at the notebook's fast and/or full
sizes, next to two references on the same validation set: "all background" and a per-pixel
logistic regression (scikit-learn) on the 3x3 colour neighbourhood. Prints a table, writes
benchmarks/results/unet.json.

    .venv/bin/python benchmarks/unet.py --modes fast            # ~2-4 min CPU
    .venv/bin/python benchmarks/unet.py --modes fast full       # full: meant for a GPU
    .venv/bin/python benchmarks/unet.py --modes full --epochs 8 --n-train 3000   # reduced full run
    # a CPU-affordable proxy of full mode:
    .venv/bin/python benchmarks/unet.py --modes full --set size=32 base=16 depth=3 n_train=4000 \
        epochs=12
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labkit.data.segmentation import shapes_splits  # noqa: E402
from labkit.segmentation.losses import dice_ce_loss  # noqa: E402
from labkit.segmentation.metrics import error_by_region, evaluate, mean_iou, pixel_accuracy  # noqa: E402
from labkit.segmentation.unet import UNet, count_parameters, one_cycle_adam, predict_dataset  # noqa: E402
from labkit.train import fit, supervised  # noqa: E402

# the sizes of notebooks/03_unet.ipynb (tools/notebooks/03_unet.py), keep in sync
SIZES = {
    "fast": dict(
        size=32, n_train=1500, n_val=300, base=16, depth=3, epochs=5, batch_size=32, lr=5e-3
    ),
    "full": dict(
        size=64, n_train=8000, n_val=1000, base=32, depth=4, epochs=30, batch_size=64, lr=3e-3
    ),
}
TARGET = {"fast": 0.85, "full": 0.95}


def train_one(s, train, val, skip, device):
    torch.manual_seed(0)
    net = UNet(3, train.num_classes, base_channels=s["base"], depth=s["depth"], skip=skip)
    loader = train.loader(s["batch_size"], seed=0)
    opt = one_cycle_adam(net, s["lr"], s["epochs"] * len(loader))
    t0, c0 = time.perf_counter(), time.process_time()
    hist = fit(
        net,
        loader,
        loss_fn=supervised(dice_ce_loss),
        optimizer=opt,
        epochs=s["epochs"],
        device=device,
        progress=False,
    )
    if device.type == "cuda":
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    _, masks, preds = predict_dataset(net, val)
    out = evaluate(net, val.loader(200, shuffle=False), train.num_classes, train.classes)
    out.update(error_by_region(preds, masks, train.num_classes))
    out.update(
        params=count_parameters(net),
        train_wall_s=wall,
        train_cpu_s=cpu,
        s_per_epoch=wall / s["epochs"],
        loss_last=hist["loss"][-1],
    )
    return out


def pixel_logreg(train, val, n_pixels=60000, seed=0):
    """Reference: logistic regression per pixel on its 3x3 RGB neighbourhood (27 features)."""
    from sklearn.linear_model import LogisticRegression

    def feats(images):
        x = torch.nn.functional.unfold(images, 3, padding=1)  # (N, 27, H*W)
        return x.permute(0, 2, 1).reshape(-1, 27).numpy()

    t0 = time.perf_counter()
    X, y = feats(train.images), train.masks.reshape(-1).numpy()
    idx = np.random.default_rng(seed).choice(len(X), min(n_pixels, len(X)), replace=False)
    clf = LogisticRegression(max_iter=300).fit(X[idx], y[idx])
    pred = torch.from_numpy(clf.predict(feats(val.images))).reshape(val.masks.shape)
    k = train.num_classes
    return {
        "miou": mean_iou(pred, val.masks, k),
        "pixel_acc": pixel_accuracy(pred, val.masks, k),
        "train_wall_s": time.perf_counter() - t0,
    }


def run_mode(mode, args, device):
    s = dict(SIZES[mode])
    for key in ("epochs", "n_train"):
        if getattr(args, key) is not None:
            s[key] = getattr(args, key)
    for item in args.set or []:
        key, _, value = item.partition("=")
        if key not in s:
            raise SystemExit(f"--set {item}: unknown size {key!r}; known: {sorted(s)}")
        s[key] = type(s[key])(float(value)) if isinstance(s[key], int) else float(value)
    t0 = time.perf_counter()
    train, val = shapes_splits(s["n_train"], s["n_val"], size=s["size"], seed=0)
    data_s = time.perf_counter() - t0
    k = train.num_classes
    res = {"sizes": s, "data_s": data_s, "target_miou": TARGET[mode], "reduced": s != SIZES[mode]}
    bg = torch.zeros_like(val.masks)
    res["all_background"] = {
        "miou": mean_iou(bg, val.masks, k),
        "pixel_acc": pixel_accuracy(bg, val.masks, k),
    }
    res["pixel_logreg"] = pixel_logreg(train, val)
    res["unet"] = train_one(s, train, val, True, device)
    res["unet_noskip"] = train_one(s, train, val, False, device)
    res["skip_gap_miou"] = res["unet"]["miou"] - res["unet_noskip"]["miou"]
    res["meets_target"] = res["unet"]["miou"] >= TARGET[mode]
    return res


def table(mode, r):
    print(
        f"\n== {mode} mode: {r['sizes']['size']}x{r['sizes']['size']}, "
        f"{r['sizes']['n_train']} train / "
        f"{r['sizes']['n_val']} val, {r['sizes']['epochs']} epochs"
        + (" (REDUCED budget)" if r["reduced"] else "")
    )
    print(f"{'method':<28}{'mIoU':>7}{'pix acc':>9}{'vs UNet':>9}{'train s':>9}{'s/epoch':>9}")
    u = r["unet"]["miou"]
    rows = [
        ("all background", r["all_background"]),
        ("pixel logreg 3x3 (sklearn)", r["pixel_logreg"]),
        ("UNet, no skips", r["unet_noskip"]),
        ("UNet (labkit)", r["unet"]),
    ]
    for name, v in rows:
        print(
            f"{name:<28}{v['miou']:>7.3f}{v['pixel_acc']:>9.3f}{v['miou'] / u:>9.2f}"
            f"{v.get('train_wall_s', float('nan')):>9.1f}{v.get('s_per_epoch', float('nan')):>9.2f}"
        )
    print(
        f"skip gap (mIoU with - without): {r['skip_gap_miou']:+.3f}; "
        "boundary error with/without skips: "
        f"{100 * r['unet']['boundary']:.1f}% / {100 * r['unet_noskip']['boundary']:.1f}%; "
        f"target mIoU >= {r['target_miou']}: {'MET' if r['meets_target'] else 'NOT MET'}"
    )


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--modes", nargs="+", default=["fast"], choices=["fast", "full"])
    ap.add_argument(
        "--epochs", type=int, default=None, help="override the epochs (marks the run as reduced)"
    )
    ap.add_argument("--n-train", dest="n_train", type=int, default=None)
    ap.add_argument(
        "--set",
        nargs="*",
        metavar="KEY=VALUE",
        help="override any size, e.g. --set size=32 base=16 depth=3 (marks the run as reduced)",
    )
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--device", default=None)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "unet.json"))
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from labkit.config import get_device

    device = get_device(args.device)
    info = {
        "device": str(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "gpu": torch.cuda.get_device_name() if device.type == "cuda" else None,
    }
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: d.get(k) for k in ("internal_api", "num_threads", "architecture")}
            for d in threadpool_info()
        ]
    except Exception:  # pragma: no cover
        pass
    out_path = Path(args.out)
    results = json.loads(out_path.read_text()) if out_path.exists() else {}
    for mode in args.modes:
        r = run_mode(mode, args, device)
        r["machine"] = {**info, "loadavg_end": os.getloadavg()}
        results[mode if not r["reduced"] else f"{mode}_reduced"] = r
        table(mode, r)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(results, indent=1, default=float))
    print(
        f"\nwrote {out_path}  (machine: {info['device']}, {info['threads']} threads, "
        f"load {info['loadavg_start'][0]:.1f} at start)"
    )


if __name__ == "__main__":
    main()
