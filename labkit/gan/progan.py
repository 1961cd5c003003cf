"""Progressive growing of GANs (Karras et al. 2018) on MNIST (notebook 05b, part 1).

Resolutions: 7x7 -> 14x14 -> 28x28.

The generator and the discriminator start at 7x7. Growing to a new resolution adds one
block to each; the new block is *faded in*: for ``alpha`` going 0 -> 1 the output is

    G(z) = (1 - alpha) * upsample(old_to_rgb(h))  +  alpha * new_to_rgb(new_block(upsample(h)))

and the discriminator mixes ``old_from_rgb(downsample(x))`` with ``new_block(new_from_rgb(x))``
the same way. At alpha = 0 the grown network computes exactly what the small one did (only
upsampled); at alpha = 1 the new block has taken over.

The same classes trained with ``GrowthSchedule.fixed(...)`` (stage 2, alpha 1 from step 0)
are the fixed-resolution 28x28 baseline of the same-budget comparison.
Images in [-1, 1] inside the models; ``sample`` returns [0, 1].
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from labkit.config import seeded_by
from labkit.gan.train import GANRun
from labkit.train import to_model

__all__ = [
    "RESOLUTIONS",
    "PixelNorm",
    "MinibatchStd",
    "ProGenerator",
    "ProDiscriminator",
    "GrowthSchedule",
    "real_at",
    "ProGANTrainer",
    "GrowthRun",
    "train_progan",
    "sample",
    "upsample_to",
]

RESOLUTIONS = (7, 14, 28)  # stage 0, 1, 2


class PixelNorm(nn.Module):
    """Normalise each pixel's feature vector to unit RMS.

    ProGAN's replacement for batch norm in G.
    """

    def forward(self, h):  # (N, C, H, W)
        return h * torch.rsqrt(h.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class MinibatchStd(nn.Module):
    """Append one feature map: the batch's mean standard deviation. Lets D see a lack of variety."""

    def forward(self, h):  # (N, C, H, W) -> (N, C + 1, H, W)
        std = h.std(dim=0, unbiased=False).mean() if h.shape[0] > 1 else h.new_zeros(())
        return torch.cat([h, std.expand(h.shape[0], 1, *h.shape[2:])], dim=1)


def _conv(cin, cout, k=3):
    return nn.Conv2d(cin, cout, k, padding=k // 2)


def _g_block(cin, cout):
    return nn.Sequential(
        _conv(cin, cout),
        nn.LeakyReLU(0.2),
        PixelNorm(),
        _conv(cout, cout),
        nn.LeakyReLU(0.2),
        PixelNorm(),
    )


def _check_stage(stage, alpha):
    if stage not in (0, 1, 2):
        raise ValueError(f"stage must be 0 (7x7), 1 (14x14) or 2 (28x28), got {stage!r}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(
            f"alpha (fade-in weight of the newest block) must be in [0, 1], got {alpha}"
        )


def upsample_to(x, size: int = 28):
    """Nearest-neighbour upsampling of (N, C, r, r) images to size x size (pixels stay visible)."""
    if x.shape[-1] == size:
        return x
    if size % x.shape[-1]:
        raise ValueError(
            f"cannot upsample {x.shape[-1]}x{x.shape[-1]} to {size}x{size} by an integer factor"
        )
    return F.interpolate(x, scale_factor=size // x.shape[-1], mode="nearest")


class ProGenerator(nn.Module):
    """z (N, latent_dim) -> images (N, 1, r, r) in [-1, 1], r = 7 * 2**stage.

    ``channels[s]`` is the width at stage s. ``forward(z, stage, alpha)``; ``alpha < 1`` blends
    the newest block with the upsampled output of the previous stage (the fade-in).
    """

    def __init__(self, latent_dim: int = 64, channels=(128, 64, 32)):
        super().__init__()
        if len(channels) != 3:
            raise ValueError(
                f"channels needs one width per stage (7, 14, 28): 3 values, got {channels}"
            )
        self.latent_dim = latent_dim
        c0 = channels[0]
        self.stem = nn.Sequential(
            nn.Linear(latent_dim, c0 * 7 * 7),
            nn.Unflatten(1, (c0, 7, 7)),
            nn.LeakyReLU(0.2),
            PixelNorm(),
            _conv(c0, c0),
            nn.LeakyReLU(0.2),
            PixelNorm(),
        )
        self.blocks = nn.ModuleList([_g_block(channels[s - 1], channels[s]) for s in (1, 2)])
        self.to_rgb = nn.ModuleList([nn.Conv2d(c, 1, 1) for c in channels])

    def features(self, z, stage: int):
        """Feature maps at ``stage`` and at the stage before (None at stage 0)."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        h, prev = self.stem(to_model(self, z)), None  # (N, c0, 7, 7)
        for s in range(1, stage + 1):
            prev = h
            h = self.blocks[s - 1](upsample_to(h, RESOLUTIONS[s]))  # (N, c_s, 7*2^s, 7*2^s)
        return h, prev

    def forward(self, z, stage: int = 2, alpha: float = 1.0):
        _check_stage(stage, alpha)
        h, prev = self.features(z, stage)
        new = torch.tanh(self.to_rgb[stage](h))  # (N, 1, r, r): the new block's image
        if stage == 0 or alpha >= 1.0:
            return new
        old = upsample_to(torch.tanh(self.to_rgb[stage - 1](prev)), RESOLUTIONS[stage])
        return (1.0 - alpha) * old + alpha * new  # fade-in blend


class ProDiscriminator(nn.Module):
    """images (N, 1, r, r) in [-1, 1] -> logits (N,). The stage is read from r (7, 14 or 28)."""

    def __init__(self, channels=(128, 64, 32)):
        super().__init__()
        if len(channels) != 3:
            raise ValueError(
                f"channels needs one width per stage (7, 14, 28): 3 values, got {channels}"
            )
        self.from_rgb = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(1, c, 1), nn.LeakyReLU(0.2)) for c in channels]
        )
        self.blocks = nn.ModuleList(
            [
                nn.Sequential(
                    _conv(channels[s], channels[s]),
                    nn.LeakyReLU(0.2),
                    _conv(channels[s], channels[s - 1]),
                    nn.LeakyReLU(0.2),
                    nn.AvgPool2d(2),
                )
                for s in (1, 2)
            ]
        )  # block s-1: r_s -> r_{s-1}
        c0 = channels[0]
        self.head = nn.Sequential(
            MinibatchStd(),
            _conv(c0 + 1, c0),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(c0 * 7 * 7, 1),
        )

    def forward(self, x, alpha: float = 1.0):
        if (
            x.ndim != 4
            or x.shape[1] != 1
            or x.shape[-1] not in RESOLUTIONS
            or x.shape[-2] != x.shape[-1]
        ):
            raise ValueError(
                f"D expects images (N, 1, r, r) with r in {RESOLUTIONS}, got {tuple(x.shape)}"
            )
        stage = RESOLUTIONS.index(x.shape[-1])
        _check_stage(stage, alpha)
        x = to_model(self, x)
        h = self.from_rgb[stage](x)
        if stage > 0:
            h = self.blocks[stage - 1](h)  # (N, c_{s-1}, r/2, r/2)
            if alpha < 1.0:
                old = self.from_rgb[stage - 1](F.avg_pool2d(x, 2))
                h = (1.0 - alpha) * old + alpha * h  # fade-in blend, mirror of G
            for s in range(stage - 1, 0, -1):
                h = self.blocks[s - 1](h)
        return self.head(h).squeeze(1)  # (N,)


def real_at(x, stage: int, alpha: float = 1.0):
    """Real 28x28 images brought to ``stage``'s resolution by average pooling. During a fade-in
    the real images are blended the same way as G's output (sharp new resolution with the
    upsampled coarse one), so D cannot tell real from fake by sharpness alone."""
    _check_stage(stage, alpha)
    if x.shape[-1] != 28:
        raise ValueError(f"real images must be 28x28, got {tuple(x.shape)}")
    r = RESOLUTIONS[stage]
    xs = F.avg_pool2d(x, 28 // r) if r < 28 else x  # (N, 1, r, r)
    if stage == 0 or alpha >= 1.0:
        return xs
    coarse = upsample_to(F.avg_pool2d(xs, 2), r)
    return (1.0 - alpha) * coarse + alpha * xs


@dataclass
class GrowthSchedule:
    """Which (stage, alpha) to train at a given step.

    ``total_steps`` are split between the stages by ``stage_fractions``; the first
    ``fade_fraction`` of stage 1 and stage 2 fades the new block in (alpha 0 -> 1).
    ``GrowthSchedule.fixed(total_steps)`` trains at 28x28 throughout (the baseline).
    """

    total_steps: int
    stage_fractions: tuple = (0.25, 0.35, 0.4)
    fade_fraction: float = 0.5
    fixed_stage: int | None = None

    def __post_init__(self):
        if self.total_steps < 1:
            raise ValueError(f"total_steps must be >= 1, got {self.total_steps}")
        if (
            len(self.stage_fractions) != 3
            or abs(sum(self.stage_fractions) - 1) > 1e-6
            or min(self.stage_fractions) <= 0
        ):
            raise ValueError(
                "stage_fractions must be 3 positive numbers summing to 1, "
                f"got {self.stage_fractions}"
            )
        if not 0 <= self.fade_fraction <= 1:
            raise ValueError(f"fade_fraction must be in [0, 1], got {self.fade_fraction}")

    @classmethod
    def fixed(cls, total_steps: int, stage: int = 2):
        return cls(total_steps, fixed_stage=stage)

    def starts(self):
        """First step of each stage."""
        b1 = round(self.total_steps * self.stage_fractions[0])
        b2 = b1 + round(self.total_steps * self.stage_fractions[1])
        return (0, b1, b2)

    def __call__(self, step: int):
        if self.fixed_stage is not None:
            return self.fixed_stage, 1.0
        starts = self.starts()
        stage = 2 if step >= starts[2] else 1 if step >= starts[1] else 0
        if stage == 0:
            return 0, 1.0
        end = starts[stage + 1] if stage < 2 else self.total_steps
        fade = (
            max(1, round((end - starts[stage]) * self.fade_fraction))
            if self.fade_fraction > 0
            else 0
        )
        alpha = 1.0 if fade == 0 else min(1.0, (step - starts[stage] + 1) / fade)
        return stage, float(alpha)


class ProGANTrainer:
    """One D step and one G step per batch (non-saturating logistic loss), at the schedule's
    (stage, alpha). Keeps snapshots of G on a fixed batch of z for the growth slider."""

    def __init__(
        self,
        G: ProGenerator,
        D: ProDiscriminator,
        schedule: GrowthSchedule,
        lr: float = 2e-4,
        betas=(0.5, 0.99),
        n_snapshots: int = 12,
        n_show: int = 16,
        device=None,
        seed: int = 0,
    ):
        self.G, self.D, self.schedule = G, D, schedule
        self.device = torch.device(device) if device is not None else next(G.parameters()).device
        self.opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
        gen = torch.Generator().manual_seed(seed)
        self.fixed_z = torch.randn(n_show, G.latent_dim, generator=gen)
        every = max(1, schedule.total_steps // max(1, n_snapshots))
        self.snapshot_steps = set(range(0, schedule.total_steps, every)) | {
            schedule.total_steps - 1
        }
        self.snapshot_steps |= {
            max(0, s - 1) for s in schedule.starts()[1:]
        }  # just before each growth
        self.t = 0
        self.snapshots: list[dict] = []
        self.seconds = 0.0

    def step(self, batch):
        t0 = time.perf_counter()
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        x = x.to(self.device) * 2 - 1  # [0, 1] -> [-1, 1]
        stage, alpha = self.schedule(self.t)
        real = real_at(x, stage, alpha)
        z = torch.randn(x.shape[0], self.G.latent_dim, device=self.device)
        fake = self.G(z, stage, alpha)
        loss_d = (
            F.softplus(self.D(fake.detach(), alpha)).mean()
            + F.softplus(-self.D(real, alpha)).mean()
        )
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        loss_g = F.softplus(-self.D(fake, alpha)).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.seconds += time.perf_counter() - t0
        if self.t in self.snapshot_steps:
            self.snapshot(stage, alpha)
        self.t += 1
        return {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "stage": stage,
            "alpha": alpha,
        }

    @torch.no_grad()
    def snapshot(self, stage, alpha):
        self.G.eval()
        img = (self.G(self.fixed_z.to(self.device), stage, alpha) + 1) / 2
        self.G.train()
        self.snapshots.append(
            {
                "step": self.t,
                "stage": stage,
                "alpha": alpha,
                "resolution": RESOLUTIONS[stage],
                "images": img.clamp(0, 1).cpu(),
            }
        )


@dataclass
class GrowthRun(GANRun):
    """What ``train_progan`` returns: a :class:`labkit.gan.train.GANRun` (the trained nets, the
    per-step history, the seconds spent in training steps, the snapshots: dicts with step, stage,
    alpha, resolution, images (n, 1, r, r) in [0, 1]) plus the growth ``schedule``."""

    schedule: GrowthSchedule | None = None


@seeded_by("seed")
def train_progan(
    images,
    steps: int,
    progressive: bool = True,
    batch_size: int = 64,
    latent_dim: int = 64,
    channels=(128, 64, 32),
    lr: float = 2e-4,
    device=None,
    seed: int = 0,
    n_snapshots: int = 12,
    stage_fractions=(0.25, 0.35, 0.4),
    fade_fraction: float = 0.5,
    progress: bool = True,
) -> GrowthRun:
    """Train a GAN on ``images`` (N, 1, 28, 28) in [0, 1] for ``steps`` batches.

    ``progressive=True`` grows 7 -> 14 -> 28 with fade-ins; ``False`` trains the same
    architecture at 28x28 from the first step (same steps, same batch size: same budget).
    """
    from labkit.config import get_device
    from labkit.train import fit

    if (
        not isinstance(images, torch.Tensor)
        or images.ndim != 4
        or tuple(images.shape[1:]) != (1, 28, 28)
    ):
        raise ValueError(
            f"images must be a tensor (N, 1, 28, 28) in [0, 1], got "
            f"{tuple(images.shape) if hasattr(images, 'shape') else type(images).__name__}"
        )
    if len(images) < batch_size:
        raise ValueError(f"need at least batch_size={batch_size} images, got {len(images)}")
    device = torch.device(device) if device is not None else get_device()
    G, D = ProGenerator(latent_dim, channels).to(device), ProDiscriminator(channels).to(device)
    schedule = (
        GrowthSchedule(steps, tuple(stage_fractions), fade_fraction)
        if progressive
        else GrowthSchedule.fixed(steps)
    )
    trainer = ProGANTrainer(
        G, D, schedule, lr=lr, n_snapshots=n_snapshots, device=device, seed=seed
    )
    data = torch.utils.data.TensorDataset(images)
    sampler = torch.utils.data.RandomSampler(
        data, num_samples=steps * batch_size, generator=torch.Generator().manual_seed(seed)
    )
    loader = torch.utils.data.DataLoader(
        data, batch_size=batch_size, sampler=sampler, drop_last=True
    )
    nets = nn.ModuleDict({"G": G, "D": D})  # exactly `steps` batches in one pass
    history = fit(
        nets,
        loader,
        step=trainer.step,
        epochs=1,
        device=device,
        progress=progress,
        desc="ProGAN 7->14->28" if progressive else "GAN at 28x28",
    )
    return GrowthRun(
        history,
        trainer.seconds,
        G=G,
        D=D,
        snapshots=trainer.snapshots,
        trainer=trainer,
        schedule=schedule,
    )


@torch.no_grad()
def sample(
    G: ProGenerator,
    n: int,
    stage: int = 2,
    alpha: float = 1.0,
    seed: int = 0,
    batch_size: int = 500,
    size: int = 28,
):
    """``n`` samples in [0, 1], upsampled (nearest) to ``size`` x ``size``; seeded."""
    was = G.training
    G.eval()
    device = next(G.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, n, batch_size):
        z = torch.randn(min(batch_size, n - i), G.latent_dim, generator=gen).to(device)
        out.append(upsample_to((G(z, stage, alpha) + 1) / 2, size).clamp(0, 1).cpu())
    G.train(was)
    return torch.cat(out)
