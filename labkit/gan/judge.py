"""A small MNIST classifier that labkit trains reproducibly (lab 05, sections 3-5).

It is the *judge* of the GAN lab: its accuracy on generated digits measures a conditional GAN
(:func:`labkit.gan.metrics.conditional_accuracy`) and its 128-d penultimate features give a
Frechet distance (:func:`labkit.gan.metrics.frechet_distance`). That distance is **not**
Inception-FID: numbers are comparable only with other numbers from this same classifier.

    clf = load_classifier()          # trained once (seeded), cached in labkit.config.cache_dir()
    logits = clf(x)                  # x: (N, 1, 28, 28) in [0, 1]
    feats = clf.features(x)          # (N, 128)

Script: ``python -m labkit.gan.judge [--seed 0] [--epochs 4] [--force]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch import nn

from labkit.train import to_model

FEATURE_DIM = 128
_MEMO: dict = {}


class MNISTClassifier(nn.Module):
    """conv(32)-pool-conv(64)-pool-fc(128)-fc(10); input (N, 1, 28, 28) in [0, 1]."""

    def __init__(self, feature_dim: int = FEATURE_DIM):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 64, 7, 7)
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, feature_dim),
            nn.ReLU(),
        )  # (N, 128)
        self.head = nn.Linear(feature_dim, 10)

    def _check(self, x):
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(
                f"MNISTClassifier wants images of shape (N, 1, 28, 28); got {tuple(x.shape)}"
            )
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations ``(N, 128)`` (the space of the Frechet distance)."""
        return self.body(to_model(self, self._check(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (N, 10) logits


def _data_tag(data) -> str:
    return f"{data.source}-{len(data)}".replace("/", "_")


def cache_path(seed: int = 0, epochs: int = 4, tag: str = "") -> Path:
    from labkit.config import cache_dir

    return (
        cache_dir() / "classifier" / f"mnist_cnn_seed{seed}_e{epochs}{'_' + tag if tag else ''}.pt"
    )


@torch.no_grad()
def accuracy(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000
) -> float:
    model.eval()
    dev = next(model.parameters()).device
    correct = 0
    for i in range(0, len(images), batch_size):
        pred = model(images[i : i + batch_size].to(dev)).argmax(1).cpu()
        correct += int((pred == labels[i : i + batch_size]).sum())
    return correct / max(len(images), 1)


def train_classifier(
    seed: int = 0,
    epochs: int = 4,
    cache: bool = True,
    force: bool = False,
    progress: bool = False,
    device=None,
) -> MNISTClassifier:
    """Train (or load from the cache) the judge classifier; same seed, same weights on one device.

    Trains on the training part of :func:`labkit.data.mnist_splits` (all of it), with Adam 1e-3,
    batch 128, light random shifts. The held-out accuracy is stored as ``model.test_accuracy``.
    """
    from labkit.config import get_device, seeded
    from labkit.data import mnist_splits
    from labkit.train import fit, save_checkpoint

    train, test = mnist_splits(seed=0)
    path = cache_path(seed, epochs, _data_tag(train))
    if cache and path.exists() and not force:
        with seeded(seed):  # the layers' initial draws touch no caller state
            model = MNISTClassifier()
        state = torch.load(path, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        model.test_accuracy = state["extra"].get("test_accuracy", float("nan"))
        return model.eval()
    device = torch.device(device) if device is not None else get_device()
    g = torch.Generator().manual_seed(seed)

    def loss_fn(net, batch):  # random shifts of up to 2 pixels
        x, y = batch
        dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()
        return nn.functional.cross_entropy(net(torch.roll(x, (dx, dy), (2, 3))), y)

    t0 = time.perf_counter()
    with seeded(seed):
        model = MNISTClassifier()
        fit(
            model,
            train.loader(128, seed=seed),
            loss_fn=loss_fn,
            epochs=epochs,
            lr=1e-3,
            device=device,
            progress=progress,
            desc="classifier",
        )
    model = model.cpu().eval()
    model.test_accuracy = accuracy(model, test.images, test.labels)
    print(
        f"judge classifier: trained in {time.perf_counter() - t0:.0f}s on {len(train)} images "
        f"({train.source}); held-out accuracy {model.test_accuracy:.2%}"
    )
    if cache:
        save_checkpoint(
            path,
            model,
            test_accuracy=model.test_accuracy,
            seed=seed,
            epochs=epochs,
            data=train.split,
            source=train.source,
        )
    return model


def load_classifier(seed: int = 0, epochs: int = 4) -> MNISTClassifier:
    """The cached judge classifier (trained on first use, ~30 s on a CPU); memoised per process
    and per data source (the MNIST files found, or the digits fallback, in the data folder)."""
    from labkit.config import data_dir
    from labkit.data.mnist import describe_source

    key = (seed, epochs, str(data_dir()), describe_source())
    if key not in _MEMO:
        _MEMO[key] = train_classifier(seed=seed, epochs=epochs)
    for p in _MEMO[key].parameters():
        p.requires_grad_(False)
    return _MEMO[key]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Train (or reload) labkit's MNIST judge classifier.")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--force", action="store_true", help="retrain even if a cached copy exists")
    a = ap.parse_args(argv)
    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    model = train_classifier(seed=a.seed, epochs=a.epochs, force=a.force, progress=True)
    where = cache_path(a.seed, a.epochs).parent
    print(f"held-out accuracy: {model.test_accuracy:.2%}; cached under {where}")


if __name__ == "__main__":
    main()
