"""Benchmark for Lab 04: labkit's conv VAE against the pytorch/examples MLP VAE, side by side.

Reference (written here, as in https://github.com/pytorch/examples/blob/main/vae/main.py):
784-400-20 MLP encoder/decoder, loss = summed BCE + KL, Adam(lr=1e-3), batch 128. Both models
are trained on the same images for the same number of epochs and evaluated with the same
seeded single-sample ELBO estimator on the same test images (nats per image).

Also measured: a few-label probe (100 labels: encoder features vs raw pixels vs PCA) and
anomaly detection by reconstruction error (AUROC on corrupted test images, and on a digit class
held out of training).

Data: ``labkit.data.mnist_splits`` — the official 60k/10k split where it can be downloaded (full
mode, Colab), otherwise disjoint parts of the official 10k test split (8k train / 2k test here).

    LABKIT_DATA=../shared/data/mnist .venv/bin/python benchmarks/vae.py [--epochs 10] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from labkit.data import mnist_splits  # noqa: E402
from labkit.density.models import auroc  # noqa: E402
from labkit.vae.losses import ae_loss, evaluate_elbo, vae_loss  # noqa: E402
from labkit.vae.metrics import compare_probes, corrupt, recon_errors  # noqa: E402
from labkit.vae.models import AE, VAE, train_autoencoder  # noqa: E402


class ExamplesVAE(nn.Module):
    """pytorch/examples vae/main.py, with the labkit interface (encode / decode_logits / decode)."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)
        self.latent_dim = 20

    def encode(self, x):
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        return self.fc21(h1), self.fc22(h1)

    def decode_logits(self, z):
        return self.fc4(F.relu(self.fc3(z))).view(-1, 1, 28, 28)

    def decode(self, z):
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decode_logits(z), mu, logvar


def examples_loss(model, batch):
    """BCE summed over pixels and batch + KL, as in pytorch/examples (reported per image)."""
    x = batch[0] if isinstance(batch, (list, tuple)) else batch
    logits, mu, logvar = model(x)
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld, {"neg_elbo": (bce + kld) / len(x)}


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: d.get(k) for k in ("internal_api", "num_threads", "architecture")}
            for d in threadpool_info()
        ]
    except Exception as e:  # pragma: no cover
        return str(e)


@torch.no_grad()
def paired_gain(a, b, images, seed=0):
    """Per-image ELBO of model a minus model b (same images, same noise seed): mean and its
    standard error (paired, so much tighter than comparing the two means)."""
    from labkit.vae.losses import elbo_terms

    d = []
    for i in range(0, len(images), 500):
        x = images[i : i + 500]
        ea = elbo_terms(a, x, 1, torch.Generator().manual_seed(seed + i))["elbo"]
        eb = elbo_terms(b, x, 1, torch.Generator().manual_seed(seed + i))["elbo"]
        d.append(ea - eb)
    d = torch.cat(d)
    return float(d.mean()), float(d.std() / len(d) ** 0.5)


def train(model, images, epochs, loss_fn, lr, batch_size, seed=0):
    t = time.perf_counter()
    hist = train_autoencoder(
        model,
        images,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        loss_fn=loss_fn,
        seed=seed,
        device="cpu",
        progress=False,
    )
    return time.perf_counter() - t, hist


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--latent", type=int, default=20)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--n-train", type=int, default=None, help="default: all available")
    ap.add_argument(
        "--n-test",
        type=int,
        default=None,
        help="default: all available (2k of the 10k if only test)",
    )
    ap.add_argument("--heldout-class", type=int, default=7)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "vae.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    train_set, test_set = mnist_splits(args.n_train, args.n_test)
    print(
        f"data: {len(train_set)} train / {len(test_set)} test | source {train_set.source} | "
        f"{train_set.note or 'official split'}"
    )
    x_tr, x_te = train_set.images, test_set.images
    res = {
        "data": {
            "n_train": len(train_set),
            "n_test": len(test_set),
            "train_split": train_set.split,
            "test_split": test_set.split,
            "note": train_set.note,
        },
        "epochs": args.epochs,
        "threads": args.threads,
        "seed": args.seed,
        "command": " ".join(sys.argv),
        "blas": blas_info(),
        "machine": platform.platform(),
        "torch": torch.__version__,
    }

    # 1. ELBO: reference MLP VAE vs labkit conv VAE, same data, same epochs, same evaluation
    torch.manual_seed(args.seed)
    ref = ExamplesVAE()
    t_ref, h_ref = train(ref, x_tr, args.epochs, examples_loss, 1e-3, 128, args.seed)
    e_ref = evaluate_elbo(ref, x_te, n_samples=1)
    torch.manual_seed(args.seed)
    vae = VAE(latent_dim=args.latent, width=args.width, hidden=256)
    t_vae, h_vae = train(vae, x_tr, args.epochs, vae_loss(), args.lr, args.batch_size, args.seed)
    e_vae = evaluate_elbo(vae, x_te, n_samples=1)
    gain = e_vae["elbo"] - e_ref["elbo"]
    pg, pg_se = paired_gain(vae, ref, x_te)
    n_par = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    res["elbo"] = {
        "reference": {
            **e_ref,
            "train_s": t_ref,
            "params": n_par(ref),
            "train_neg_elbo": h_ref["neg_elbo"],
            "model": "pytorch/examples MLP VAE 784-400-20, Adam 1e-3, batch 128",
        },
        "labkit": {
            **e_vae,
            "train_s": t_vae,
            "params": n_par(vae),
            "train_neg_elbo": h_vae["neg_elbo"],
            "model": f"labkit VAE(latent_dim={args.latent}, width={args.width}), Adam {args.lr:g}, "
            f"batch {args.batch_size}",
        },
        "gain_nats_per_image": gain,
        "paired_gain": pg,
        "paired_gain_se": pg_se,
        "target_gain": 3.0,
        "met": bool(gain >= 3.0),
    }

    # 2. few-label probe: encoder features (VAE mu, and a 16-D AE) vs pixels vs PCA
    torch.manual_seed(args.seed)
    ae = AE(latent_dim=16, width=args.width, hidden=256)
    t_ae, _ = train(ae, x_tr, args.epochs, ae_loss("bce"), args.lr, args.batch_size, args.seed)
    res["probe"] = {
        "vae": compare_probes(vae, train_set, test_set, 100),
        "ae16": compare_probes(ae, train_set, test_set, 100),
    }
    res["probe"]["met"] = bool(
        res["probe"]["ae16"]["encoder"] > res["probe"]["ae16"]["pixels"]
        and res["probe"]["vae"]["encoder"] > res["probe"]["vae"]["pixels"]
    )

    # 3. anomaly detection by reconstruction error (AE-16)
    normal = recon_errors(ae, x_te)
    an = {}
    for name, kind, s in [
        ("noise_0.3", "noise", 0.3),
        ("patch_0.3", "patch", 0.3),
        ("noise_0.1", "noise", 0.1),
    ]:
        bad = recon_errors(ae, corrupt(x_te, kind, s, seed=1))
        an[name] = auroc(
            torch.cat([normal, bad]), torch.cat([torch.zeros(len(normal)), torch.ones(len(bad))])
        )
    # held-out class: an AE trained without digit k; anomalies = test images of digit k
    k = args.heldout_class
    torch.manual_seed(args.seed)
    ae_k = AE(latent_dim=16, width=args.width, hidden=256)
    train(
        ae_k,
        x_tr[train_set.labels != k],
        args.epochs,
        ae_loss("bce"),
        args.lr,
        args.batch_size,
        args.seed,
    )
    err_k = recon_errors(ae_k, x_te)
    is_k = (test_set.labels == k).float()
    an[f"heldout_class_{k}"] = auroc(err_k, is_k)
    res["anomaly_auroc"] = {**an, "target_corrupted": 0.95, "met": bool(an["noise_0.3"] >= 0.95)}

    # table
    r, l = res["elbo"]["reference"], res["elbo"]["labkit"]
    print(f"\n{'':34s}{'reference':>12s}{'labkit':>12s}{'labkit-ref':>12s}")
    print(
        f"{'test ELBO (nats/image, higher=better)':34s}{r['elbo']:12.2f}{l['elbo']:12.2f}"
        f"{gain:12.2f}  (target >= +3)"
    )
    print(
        f"{'  reconstruction -log p(x|z)':34s}{r['recon']:12.2f}{l['recon']:12.2f}"
        f"{l['recon'] - r['recon']:12.2f}"
    )
    print(f"{'  KL':34s}{r['kl']:12.2f}{l['kl']:12.2f}{l['kl'] - r['kl']:12.2f}")
    print(
        f"{'  std. error of the mean':34s}{r['elbo_sem']:12.2f}{l['elbo_sem']:12.2f}"
        f"   paired gain {pg:.2f} +- {pg_se:.2f}"
    )
    print(
        f"{'parameters':34s}{r['params']:12,d}{l['params']:12,d}{l['params'] / r['params']:11.2f}x"
    )
    print(
        f"{'train time (s, ' + str(args.threads) + ' threads)':34s}"
        f"{r['train_s']:12.1f}{l['train_s']:12.1f}{l['train_s'] / r['train_s']:11.2f}x"
    )
    for name, p in res["probe"].items():
        if isinstance(p, dict):
            print(
                f"probe 100 labels, {name:5s}: encoder {p['encoder']:.3f} | "
                f"pixels {p['pixels']:.3f} | "
                f"PCA({p['latent_dim']}) {p['pca']:.3f}"
            )
    print("anomaly AUROC (AE-16): " + ", ".join(f"{k}={v:.3f}" for k, v in an.items()))
    print(
        f"targets met: ELBO +3 nats: {res['elbo']['met']}, probe: {res['probe']['met']}, "
        f"AUROC>=0.95: {res['anomaly_auroc']['met']}"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2, default=float))
    print("wrote", out)
    return res


if __name__ == "__main__":
    main()
