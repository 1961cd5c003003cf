"""Flow matching on the course UNet (notebook 06, section 2).

A **velocity field** v(x, t) moves noise x_0 ~ N(0, I) (t = 0) to data x_1 (t = 1) along
dx/dt = v(x, t). Flow matching (Lipman et al., 2023; "rectified flow", Liu et al., 2023) trains it
by regression on straight paths between a noise sample and a data sample:

    x_t = (1 - t) x_0 + t x_1,      target velocity  x_1 - x_0,
    loss  mean |v(x_t, t) - (x_1 - x_0)|^2

Sampling integrates the ODE with Euler steps x <- x + dt v(x, t). With class labels y the network
also gets y (or a "no label" token, dropped at random during training), and **classifier-free
guidance** (Ho & Salimans, 2022) extrapolates: v = v(x, t) + w (v(x, t, y) - v(x, t)).

Shapes: images are scaled to [-1, 1], ``x (N, 1, 28, 28)``; ``t (N,)`` in [0, 1]; ``y (N,)`` long.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from ..config import seeded_by
from ..segmentation.unet import UNet

__all__ = ["FlowUNet", "flow_matching_loss", "euler_step", "train_flow", "sample_flow", "to_pixels"]


class FlowUNet(nn.Module):
    """Lab 03's UNet as a velocity field: ``forward(x, t, y=None) -> v (N, 1, H, W)``.

    The time t (sinusoidal features -> MLP) and the class y (an embedding; index ``n_classes``
    means "no label") are summed into one vector that the UNet adds as per-channel biases after
    each block (``UNet(cond_dim=...)``). No BatchNorm: the statistics would mix times."""

    def __init__(
        self, base: int = 16, depth: int = 2, n_classes: int = 10, emb: int = 64, size: int = 28
    ):
        super().__init__()
        self.size = size  # the side of the images it works on (28, or 14 in fast mode)
        self.unet = UNet(1, 1, base_channels=base, depth=depth, norm="none", cond_dim=emb)
        self.n_classes, self.emb = n_classes, emb
        self.class_emb = nn.Embedding(n_classes + 1, emb)
        self.time_mlp = nn.Sequential(nn.Linear(emb, emb), nn.SiLU(), nn.Linear(emb, emb))

    def time_features(self, t: torch.Tensor) -> torch.Tensor:
        half = self.emb // 2  # (N,) -> (N, emb)
        freqs = torch.exp(torch.linspace(0, math.log(1000.0), half, device=t.device))
        a = t.float()[:, None] * freqs[None]
        return torch.cat([a.sin(), a.cos()], 1)

    def forward(self, x, t, y=None):
        t = torch.as_tensor(t, dtype=torch.float32, device=x.device)
        t = t.expand(len(x)) if t.ndim == 0 else t.reshape(-1)  # (N,)
        if y is None:
            y = torch.full((len(x),), self.n_classes, dtype=torch.long)
        y = y.to(x.device)
        cond = self.time_mlp(self.time_features(t)) + self.class_emb(y.long())  # (N, emb)
        return self.unet(x, cond)  # (N, 1, H, W)


def flow_matching_loss(
    velocity, x1: torch.Tensor, x0: torch.Tensor, t: torch.Tensor
) -> torch.Tensor:
    """mean |velocity(x_t, t) - (x1 - x0)|^2 with x_t = (1 - t) x0 + t x1; ``t (N,)``."""
    tt = t.view(-1, *([1] * (x1.ndim - 1)))  # (N, 1, 1, 1)
    xt = (1 - tt) * x0 + tt * x1
    return ((velocity(xt, t) - (x1 - x0)) ** 2).mean()


def euler_step(velocity, x: torch.Tensor, t: torch.Tensor, dt: float) -> torch.Tensor:
    """One Euler step of dx/dt = v(x, t): x + dt * v(x, t)."""
    return x + dt * velocity(x, t)


def to_pixels(x: torch.Tensor, size: int = 28) -> torch.Tensor:
    """[-1, 1] -> [0, 1] images (clamped), resized (bilinear) to ``size`` x ``size`` if needed."""
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return ((x + 1) / 2).clamp(0, 1)


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """``(N, 1, 28, 28)`` -> ``(N, 1, size, size)`` by area averaging (fast mode trains at
    14 x 14)."""
    return (
        images
        if images.shape[-1] == size
        else F.interpolate(images, size=(size, size), mode="area")
    )


@seeded_by("seed")
def train_flow(
    model: FlowUNet,
    images: torch.Tensor,
    labels: torch.Tensor | None = None,
    epochs: int = 2,
    batch_size: int = 64,
    lr: float = 2e-3,
    p_uncond: float = 0.1,
    seed: int = 0,
    progress: bool = True,
    loss=flow_matching_loss,
    device=None,
):
    """Train the velocity field on ``images (N, 1, H, W)`` in [0, 1] (scaled to [-1, 1]); with
    ``labels``, each label is replaced by "no label" with probability ``p_uncond`` (so one network
    learns both v(x, t, y) and v(x, t) for guidance). Images are resized to ``model.size``.
    Returns a :class:`labkit.train.FitResult` (``.history``, ``.seconds``)."""
    from ..train import fit_timed

    g = torch.Generator().manual_seed(seed)
    y_all = labels.long() if labels is not None else torch.full((len(images),), model.n_classes)
    data = torch.utils.data.TensorDataset(2 * resize(images, getattr(model, "size", 28)) - 1, y_all)
    loader = torch.utils.data.DataLoader(
        data, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )

    def loss_fn(m, batch):
        x1, y = batch
        x0 = torch.randn(x1.shape, generator=g).to(x1.device)
        t = torch.rand(len(x1), generator=g).to(x1.device)
        drop = (torch.rand(len(y), generator=g) < p_uncond).to(y.device)
        y = torch.where(drop, torch.full_like(y, m.n_classes), y)
        return loss(lambda xt, tt: m(xt, tt, y), x1, x0, t)

    return fit_timed(
        model,
        loader,
        loss_fn=loss_fn,
        epochs=epochs,
        lr=lr,
        device=device,
        progress=progress,
        desc="flow matching",
    )


def guided_velocity(model: FlowUNet, y: torch.Tensor | None = None, w: float = 1.0):
    """v(x, t) for sampling: unconditional if ``y`` is None, else classifier-free guidance
    v_uncond + w (v_cond - v_uncond) (w = 0: unconditional, w = 1: plain conditional)."""
    if y is None:
        return lambda x, t: model(x, t)

    def v(x, t):
        if w == 1.0:
            return model(x, t, y)
        both = model(
            torch.cat([x, x]),
            torch.cat([t, t]),
            torch.cat([y, torch.full_like(y, model.n_classes)]),
        )  # one batch of 2N
        vc, vu = both.chunk(2)
        return vu + w * (vc - vu)

    return v


@torch.no_grad()
def sample_flow(
    model: FlowUNet,
    n: int,
    steps: int = 20,
    y: torch.Tensor | None = None,
    w: float = 1.0,
    seed: int = 0,
    keep: bool = False,
    step_fn=euler_step,
    batch_size: int = 500,
    x0=None,
    size: int | None = None,
):
    """Euler integration from t = 0 (noise) to t = 1 with ``steps`` steps; images in [0, 1]
    ``(n, 1, 28, 28)``. ``keep=True`` also returns the trajectory ``(steps + 1, n, 1, 28, 28)``
    (in [0, 1]) for the time slider. ``step_fn(velocity, x, t, dt)`` may be your own Euler step.
    ``size``: the side the model works at (``model.size`` by default); outputs are always 28 x 28.
    The wall time is in ``sample_flow.last_seconds``."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    size = size or getattr(model, "size", 28)
    x0 = torch.randn(n, 1, size, size, generator=g) if x0 is None else x0
    dev = next(model.parameters()).device
    t0, outs, trajs = time.perf_counter(), [], []
    for lo in range(0, n, batch_size):
        x = x0[lo : lo + batch_size].to(dev)
        yb = None if y is None else y[lo : lo + batch_size].to(dev)
        v, traj = guided_velocity(model, yb, w), [to_pixels(x).cpu()] if keep else None
        for k in range(steps):
            x = step_fn(v, x, torch.full((len(x),), k / steps, device=dev), 1.0 / steps)
            if keep:
                traj.append(to_pixels(x).cpu())
        outs.append(to_pixels(x).cpu())
        if keep:
            trajs.append(torch.stack(traj))
    sample_flow.last_seconds = time.perf_counter() - t0
    out = torch.cat(outs)
    return (out, torch.cat(trajs, 1)) if keep else out


sample_flow.last_seconds = float("nan")
