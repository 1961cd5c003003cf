"""Render functions for notebook 06's slider views (pure: parameters in, Figure out).

- :func:`render_pixel_step`: the PixelCNN's image after ``index`` pixels and its probability
  map for the next pixel;
- :func:`render_flow_time`: the flow's images at step k of the Euler trajectory (t = k / steps);
- :func:`render_guidance`: one digit per class at a given classifier-free guidance weight.
"""

from __future__ import annotations

import numpy as np
import torch

from ..viz import pyplot

__all__ = ["render_pixel_step", "render_flow_time", "render_guidance"]


def render_pixel_step(model, samples: torch.Tensor, index: int = 0, n: int = 3):
    """For the first ``n`` samples ``(N, 1, H, W)`` of :func:`pixelcnn.sample_pixelcnn`: top row,
    the image with its first ``index`` pixels (raster order) filled, the rest grey; bottom row, the
    model's p(x_j = 1 | pixels before j) from one forward pass of that partial image: exact at the
    next pixel (red square), the later pixels assume the unfilled ones are 0."""
    from .pixelcnn import next_pixel_map

    x = samples[:n]
    H, W = x.shape[-2:]
    index = int(np.clip(index, 0, H * W))
    filled = (torch.arange(H * W) < index).view(1, 1, H, W).float()
    partial = x * filled
    probs = next_pixel_map(model, partial)
    shown = partial + 0.5 * (1 - filled)  # unfilled pixels grey
    plt = pyplot()
    fig, axes = plt.subplots(2, len(x), figsize=(2.2 * len(x), 4.6), squeeze=False)
    r, c = divmod(min(index, H * W - 1), W)
    for j in range(len(x)):
        axes[0, j].imshow(shown[j, 0], cmap="gray", vmin=0, vmax=1)
        im = axes[1, j].imshow(probs[j, 0], cmap="magma", vmin=0, vmax=1)
        for ax in axes[:, j]:
            ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="red", lw=1.5))
            ax.set_xticks([]), ax.set_yticks([])
        p_next = float(probs[j, 0, r, c]) if index < H * W else float("nan")
        axes[1, j].set_title(f"p(next = 1) = {p_next:.2f}", fontsize=8)
    axes[0, 0].set_ylabel(f"{index} of {H * W} pixels", fontsize=8)
    axes[1, 0].set_ylabel("p(x_j = 1 | before)", fontsize=8)
    fig.colorbar(im, ax=axes[1, :].tolist(), shrink=0.8)
    return fig


def render_flow_time(trajectory: torch.Tensor, step: int = 0, n: int = 10):
    """Images at Euler step ``step`` of a trajectory ``(steps + 1, N, 1, H, W)`` in [0, 1]."""
    from ..viz import image_grid

    steps = len(trajectory) - 1
    step = int(np.clip(step, 0, steps))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(0.75 * min(n, 10) + 0.4, 0.75 * -(-n // 10) + 0.6))
    ax.imshow(image_grid(trajectory[step, :n], nrow=10))
    ax.set_axis_off()
    ax.set_title(f"t = {step / steps:.2f} (Euler step {step} of {steps})", fontsize=9)
    return fig


def render_guidance(model, w: float = 1.0, steps: int = 10, seed: int = 0, per_class: int = 1):
    """One row per seed draw, digits 0..9 requested, classifier-free guidance weight ``w``
    (0: unconditional, 1: conditional, > 1: guided). Same noise for every w."""
    from ..viz import image_grid
    from . import flow

    y = torch.arange(10).repeat(per_class)
    s = getattr(model, "size", 28)
    x0 = torch.randn(len(y), 1, s, s, generator=torch.Generator().manual_seed(seed))
    x = flow.sample_flow(model, len(y), steps=steps, y=y, w=float(w), x0=x0)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.9, 0.8 * per_class + 0.5))
    ax.imshow(image_grid(x, nrow=10))
    ax.set_axis_off()
    ax.set_title(f"digits 0..9 requested, guidance w = {w:.1f}", fontsize=9)
    return fig
