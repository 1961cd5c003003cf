"""Render functions for notebook 05b (GANs beyond the basics): growth over training, round trips.

Each is pure (data in, Figure out) and used by a :class:`labkit.views.SliderView` in the
notebook and by :func:`labkit.views.static_grid` in fast mode.
"""

from __future__ import annotations

import numpy as np
import torch

from labkit.viz import pyplot

__all__ = ["render_growth", "render_round_trip", "render_translations", "row_grid"]


def row_grid(ax, images, label=None, title=None):
    """One row of images (N, 1, H, W) in [0, 1] on ``ax``, with a row label on the left."""
    from labkit.viz import image_grid

    ax.imshow(image_grid(images, nrow=len(images)), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)
    if label:
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        ax.set_title(title, fontsize=9, loc="left")


def render_growth(snapshots, index: int = 0, schedule=None, nrow: int = 4):
    """Snapshot ``index`` of a progressive run: the generator's samples on fixed z at the
    resolution it had then (left, pixels shown as they are), and where that step sits in the
    growth schedule (right: resolution over training, fade-ins shaded)."""
    from labkit.gan.progan import RESOLUTIONS, upsample_to
    from labkit.viz import image_grid

    if not snapshots:
        raise ValueError("no snapshots: train with train_progan(...) first (run.snapshots)")
    if not 0 <= index < len(snapshots):
        raise ValueError(f"index must be in 0..{len(snapshots) - 1}, got {index}")
    plt = pyplot()
    snap = snapshots[index]
    fig, (ax0, ax1) = plt.subplots(
        1, 2, figsize=(7.6, 3.4), gridspec_kw={"width_ratios": [1, 1.25]}
    )
    ax0.imshow(image_grid(upsample_to(snap["images"], 28), nrow=nrow), interpolation="nearest")
    ax0.set_axis_off()
    r = snap["resolution"]
    fade = (
        f", fading in (alpha={snap['alpha']:.2f})"
        if snap["stage"] > 0 and snap["alpha"] < 1
        else ""
    )
    ax0.set_title(f"step {snap['step']}: {r}x{r}{fade}", fontsize=9)
    total = schedule.total_steps if schedule is not None else snapshots[-1]["step"] + 1
    t = np.arange(total)
    if schedule is not None:
        sa = [schedule(int(i)) for i in t]
        res = [
            RESOLUTIONS[s]
            if s == 0
            else RESOLUTIONS[s - 1] + a * (RESOLUTIONS[s] - RESOLUTIONS[s - 1])
            for s, a in sa
        ]
        ax1.plot(t, res, color="C0", label="resolution (fade-in: blend)")
        fading = np.array([s > 0 and a < 1 for s, a in sa])
        ax1.fill_between(t, 0, 30, where=fading, color="C1", alpha=0.2, label="fade-in")
    steps = [s["step"] for s in snapshots]
    ax1.plot(steps, [s["resolution"] for s in snapshots], "o", ms=3, color="0.5", label="snapshots")
    ax1.axvline(snap["step"], color="C3", lw=1.5, label="this snapshot")
    ax1.set_yticks(RESOLUTIONS)
    ax1.set_ylim(4, 30)
    ax1.set_xlim(0, max(total - 1, 1))
    ax1.set_xlabel("training step")
    ax1.set_ylabel("image size (pixels)")
    ax1.legend(fontsize=7, loc="lower right")
    ax1.set_title("growth schedule", fontsize=9)
    fig.tight_layout()
    return fig


def render_round_trip(
    trips: dict, model: str | None = None, start: int = 0, n: int = 8, names=("A", "B")
):
    """A -> B -> A for ``n`` images from ``start``: ``trips[model] = (xa, fake_b, rec_a)``,
    each (N, 1, 28, 28) in [0, 1]. The title gives the mean round-trip error of the shown images."""
    if not trips:
        raise ValueError("trips is empty: pass {name: (xa, fake_b, rec_a)}")
    model = model if model is not None else next(iter(trips))
    if model not in trips:
        raise ValueError(f"unknown model {model!r}; choose one of {list(trips)}")
    xa, fake_b, rec_a = trips[model]
    if not 0 <= start <= len(xa) - n:
        raise ValueError(f"start must be in 0..{len(xa) - n}, got {start}")
    sl = slice(start, start + n)
    err = float((rec_a[sl] - xa[sl]).abs().mean())
    plt = pyplot()
    fig, axes = plt.subplots(3, 1, figsize=(0.62 * n + 1.4, 2.6))
    a, b = names
    row_grid(
        axes[0],
        xa[sl],
        f"{a} (input)",
        f"{model}: round trip, mean |{a}->{b}->{a} - {a}| = {err:.3f}",
    )
    row_grid(axes[1], fake_b[sl], f"{a} -> {b}")
    row_grid(axes[2], rec_a[sl], f"{a} -> {b} -> {a}")
    fig.tight_layout(h_pad=0.2)
    return fig


def render_translations(
    xa,
    outputs: dict,
    truth=None,
    start: int = 0,
    n: int = 8,
    scores: dict | None = None,
    names=("A", "B"),
):
    """Several A -> B translators side by side.

    Input row, the true B (if known) and one row per model (``outputs[name]`` (N, 1, 28, 28)
    in [0, 1]); ``scores[name]`` is appended to the label.
    """
    if not 0 <= start <= len(xa) - n:
        raise ValueError(f"start must be in 0..{len(xa) - n}, got {start}")
    sl = slice(start, start + n)
    rows = [(f"{names[0]} (input)", xa)] + (
        [(f"true {names[1]}", truth)] if truth is not None else []
    )
    rows += [
        (f"{k}" + (f"\n{scores[k]}" if scores and k in scores else ""), v)
        for k, v in outputs.items()
    ]
    plt = pyplot()
    fig, axes = plt.subplots(len(rows), 1, figsize=(0.62 * n + 2.0, 0.85 * len(rows) + 0.3))
    for ax, (label, imgs) in zip(np.atleast_1d(axes), rows):
        row_grid(ax, torch.as_tensor(imgs)[sl], label)
    fig.tight_layout(h_pad=0.2)
    return fig
