"""Toy target distributions for lab 05 (GANs): a 1-D density and the 2-D Gaussian mixtures of
the PacGAN / VEEGAN mode-collapse benchmarks.

- ``ring``: 8 Gaussians, means on the unit circle at 8 *distinct* angles ``2*pi*k/8`` (no
  duplicated endpoint, the ``linspace(0, 2*pi, 8)`` bug), std 0.01.
- ``grid``: 25 Gaussians, means at ``{-4, -2, 0, 2, 4}^2``, std 0.05.

``sample_mixture(name, n, seed)`` returns ``(n, 2)`` float32 points; ``mixture_modes(name)`` the
``(K, 2)`` means and the std (used by :func:`labkit.gan.metrics.mode_coverage`).
"""

from __future__ import annotations

import math

import numpy as np
import torch

MIXTURES = ("ring", "grid")


def mixture_modes(name: str) -> tuple[np.ndarray, float]:
    """``(means (K, 2), std)`` of the named 2-D mixture (``"ring"`` or ``"grid"``)."""
    if name == "ring":
        angles = 2 * np.pi * np.arange(8) / 8  # 8 distinct angles
        return np.stack([np.cos(angles), np.sin(angles)], 1), 0.01
    if name == "grid":
        v = np.arange(-4, 5, 2, dtype=np.float64)  # -4 -2 0 2 4
        gx, gy = np.meshgrid(v, v, indexing="ij")
        return np.stack([gx.ravel(), gy.ravel()], 1), 0.05
    raise ValueError(f"unknown mixture {name!r}; expected one of {MIXTURES}")


def sample_mixture(name: str, n: int, seed: int | None = None, generator=None) -> torch.Tensor:
    """``n`` samples ``(n, 2)`` float32 from the named mixture (equal weights per mode)."""
    if int(n) < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    means, std = mixture_modes(name)
    g = (
        generator
        if generator is not None
        else (torch.Generator().manual_seed(seed) if seed is not None else None)
    )
    k = torch.randint(len(means), (int(n),), generator=g)
    eps = torch.randn(int(n), 2, generator=g)
    return (torch.as_tensor(means, dtype=torch.float32)[k] + std * eps).float()


class MixtureStream:
    """An endless iterable of fresh batches (GANs want new samples each step); ``len`` = steps
    per "epoch" so :func:`labkit.train.fit` shows a progress bar."""

    def __init__(self, sampler, batch_size: int = 256, steps: int = 100, seed: int = 0):
        self.sampler, self.batch_size, self.steps = sampler, int(batch_size), int(steps)
        self.g = torch.Generator().manual_seed(seed)

    def __len__(self):
        return self.steps

    def __iter__(self):
        for _ in range(self.steps):
            yield self.sampler(self.batch_size, self.g)


# ---- 1-D target (section 1) ----------------------------------------------------------------
# A bimodal mixture: 0.6 N(-1.5, 0.4^2) + 0.4 N(2, 0.6^2)
TARGET_1D = ((0.6, -1.5, 0.4), (0.4, 2.0, 0.6))


def sample_1d(n: int, seed: int | None = None, generator=None) -> torch.Tensor:
    """``(n, 1)`` float32 samples of the 1-D target of section 1 (a two-bump mixture)."""
    if int(n) < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    g = (
        generator
        if generator is not None
        else (torch.Generator().manual_seed(seed) if seed is not None else None)
    )
    w = torch.tensor([c[0] for c in TARGET_1D])
    k = torch.multinomial(w, int(n), replacement=True, generator=g)
    mu = torch.tensor([c[1] for c in TARGET_1D])[k]
    sd = torch.tensor([c[2] for c in TARGET_1D])[k]
    return (mu + sd * torch.randn(int(n), generator=g))[:, None].float()


def density_1d(x) -> np.ndarray:
    """The exact density of the 1-D target at ``x`` (for the plots)."""
    x = np.asarray(x, dtype=np.float64)
    return sum(
        w / (s * math.sqrt(2 * math.pi)) * np.exp(-0.5 * ((x - m) / s) ** 2)
        for w, m, s in TARGET_1D
    )


def stream_1d(batch_size: int = 256, steps: int = 100, seed: int = 0) -> MixtureStream:
    return MixtureStream(lambda n, g: sample_1d(n, generator=g), batch_size, steps, seed)
