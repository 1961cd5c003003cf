"""The measurements of notebook 06's table, one row per family, all on the same MNIST split.

A row holds: log p(x) of the test part in nats (exact, a bound, or none), the judge-classifier
Frechet distance of the samples to the test part (lab 05's 128-d features, lower is better), the
judge's accuracy on the requested labels (conditional models only), digit coverage (how many of
the 10 classes the judge assigns to at least ``min_share`` of the samples), samples per second and
training seconds.
"""

from __future__ import annotations

import math
import time

import torch

__all__ = ["timed", "digit_coverage", "measure_row", "format_table", "plot_family_samples"]


def timed(fn, *args, **kwargs):
    """``(result, seconds)`` of one call."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


@torch.no_grad()
def judge_predictions(images: torch.Tensor, judge) -> torch.Tensor:
    judge.eval()
    return torch.cat(
        [judge(images[i : i + 500].float()).argmax(1) for i in range(0, len(images), 500)]
    )


def digit_coverage(images: torch.Tensor, judge, min_share: float = 0.01) -> int:
    """Number of digit classes the judge assigns to at least ``min_share`` of ``images``."""
    counts = torch.bincount(judge_predictions(images, judge), minlength=10)
    return int((counts >= max(1, math.ceil(min_share * len(images)))).sum())


def measure_row(
    name: str,
    samples: torch.Tensor,
    sample_seconds: float | None,
    train_seconds: float | None,
    judge,
    test_images: torch.Tensor,
    loglik: str = "none",
    labels=None,
) -> dict:
    """One table row from a model's ``samples (n, 1, 28, 28)`` in [0, 1]. ``sample_seconds`` /
    ``train_seconds`` ``None``: not measured here (a shipped reference), shown as "-"."""
    from ..gan.metrics import conditional_accuracy, frechet_distance

    row = dict(
        model=name,
        loglik=loglik,
        frechet=frechet_distance(test_images, samples, judge),
        label_acc=None,
        coverage=digit_coverage(samples, judge),
        samples_per_s=None if sample_seconds is None else len(samples) / max(sample_seconds, 1e-9),
        train_s=None if train_seconds is None else float(train_seconds),
        n=len(samples),
    )
    if labels is not None:
        row["label_acc"] = conditional_accuracy(samples, labels, judge)["accuracy"]
    return row


def format_table(rows: list[dict]) -> str:
    """The rows as aligned text (one line per model)."""
    head = (
        f"{'model':24s} {'log p(x), nats':>24s} {'judge-Frechet':>13s} {'label acc':>9s} "
        f"{'coverage':>8s} {'samples/s':>10s} {'train s':>8s}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        acc = "-" if r["label_acc"] is None else f"{r['label_acc']:.1%}"
        speed = "-" if r["samples_per_s"] is None else f"{r['samples_per_s']:.1f}"
        train = "-" if r["train_s"] is None else f"{r['train_s']:.1f}"
        lines.append(
            f"{r['model']:24s} {r['loglik']:>24s} {r['frechet']:13.2f} {acc:>9s} "
            f"{r['coverage']:>5d}/10 {speed:>10s} {train:>8s}"
        )
    return "\n".join(lines)


def plot_family_samples(samples: dict, n: int = 20, nrow: int = 10, scale: float = 0.45):
    """One panel of ``n`` samples per family (``{name: images (N, 1, 28, 28)}``). Returns the
    Figure."""
    import matplotlib.pyplot as plt

    from ..viz import image_grid

    k = len(samples)
    ncols = min(k, 3)
    nrows = -(-k // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(4.2 * ncols, (4.2 * -(-n // nrow) / nrow + 0.45) * nrows),
        squeeze=False,
    )
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, (name, x) in zip(axes.flat, samples.items()):
        ax.imshow(image_grid(x[:n], nrow=nrow), cmap="gray", vmin=0, vmax=1)
        ax.set_title(name, fontsize=9)
        ax.set_axis_off()
    fig.tight_layout()
    return fig
