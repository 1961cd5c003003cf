"""GAN models for lab 05: MLPs for the 1-D/2-D toys, DCGAN for MNIST, conditional versions,
a PatchGAN discriminator and a pix2pix wrapper around lab 03's UNet.

Shapes: MLP generators map ``(N, latent_dim [+ n_categories])`` to ``(N, out_dim)``; image
generators map ``(N, latent_dim)`` (and labels ``(N,)``) to ``(N, 1, 28, 28)`` in [-1, 1]
(``tanh``; show with ``(x + 1) / 2``). Discriminators return *logits* ``(N,)``
(patch: ``(N, 1, h, w)``).
"""

from __future__ import annotations

import torch
from torch import nn

from labkit.segmentation.unet import count_parameters  # noqa: F401  (notebook 05 imports it from here)
from labkit.train import to_model


def _mlp(d_in, hidden, depth, d_out, act):
    layers, d = [], d_in
    for _ in range(depth):
        layers += [nn.Linear(d, hidden), act()]
        d = hidden
    return nn.Sequential(*layers, nn.Linear(d, d_out))


class MLPGenerator(nn.Module):
    """Noise -> point. The latent is Gaussian ``z ~ N(0, I_latent_dim)``, optionally joined by a
    one-hot categorical code with ``n_categories`` values (a mixture prior: each category can
    take one mode of a multimodal target). Sections 1-2."""

    def __init__(
        self,
        latent_dim: int = 2,
        out_dim: int = 2,
        hidden: int = 128,
        depth: int = 3,
        n_categories: int = 0,
    ):
        super().__init__()
        self.latent_dim, self.out_dim, self.n_categories = latent_dim, out_dim, n_categories
        self.net = _mlp(latent_dim + n_categories, hidden, depth, out_dim, nn.ReLU)

    def sample_latent(self, n: int, generator=None, device=None) -> torch.Tensor:
        z = torch.randn(n, self.latent_dim, generator=generator)
        if self.n_categories:
            k = torch.randint(self.n_categories, (n,), generator=generator)
            z = torch.cat([z, nn.functional.one_hot(k, self.n_categories).float()], 1)
        p = next(self.parameters())
        return z.to(device=device or p.device, dtype=p.dtype)  # float32 draws, the model's dtype

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim + self.n_categories:
            raise ValueError(
                f"z must have shape (N, {self.latent_dim + self.n_categories}); "
                f"got {tuple(z.shape)}"
            )
        return self.net(to_model(self, z))

    @torch.no_grad()
    def sample(self, n: int, generator=None) -> torch.Tensor:
        return self(self.sample_latent(n, generator))


class MLPDiscriminator(nn.Module):
    """Point -> logit. ``pac > 1`` packs ``pac`` samples into one decision (PacGAN): the input
    is ``(N * pac, in_dim)`` viewed as ``(N, pac * in_dim)``. Sections 1-2."""

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3, pac: int = 1):
        super().__init__()
        self.in_dim, self.pac = in_dim, pac
        self.net = _mlp(in_dim * pac, hidden, depth, 1, lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"x must have shape (N, {self.in_dim}); got {tuple(x.shape)}")
        if x.shape[0] % self.pac:
            raise ValueError(f"batch size {x.shape[0]} must be a multiple of pac={self.pac}")
        return self.net(to_model(self, x).reshape(-1, self.in_dim * self.pac)).squeeze(
            1
        )  # (N / pac,)


def dcgan_init(module: nn.Module) -> nn.Module:
    """DCGAN initialisation (Radford et al. 2016): conv weights N(0, 0.02), BatchNorm weights
    N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


class DCGANGenerator(nn.Module):
    """z (N, latent_dim) -> (N, 1, 28, 28) in [-1, 1]: project to 7x7, two stride-2 transposed
    convolutions with BatchNorm + ReLU, tanh out. ``n_classes > 0``: conditional on a label
    (embedding concatenated to z). Sections 3-4."""

    def __init__(self, latent_dim: int = 64, base: int = 64, n_classes: int = 0):
        super().__init__()
        self.latent_dim, self.n_classes = latent_dim, n_classes
        self.embed = nn.Embedding(n_classes, latent_dim) if n_classes else None
        d_in = latent_dim * (2 if n_classes else 1)
        self.project = nn.Sequential(
            nn.Linear(d_in, 2 * base * 7 * 7, bias=False),
            nn.BatchNorm1d(2 * base * 7 * 7),
            nn.ReLU(),
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * base, base, 4, 2, 1, bias=False),
            nn.BatchNorm2d(base),
            nn.ReLU(),  # 14x14
            nn.ConvTranspose2d(base, 1, 4, 2, 1),
            nn.Tanh(),
        )  # 28x28
        self.base = base
        dcgan_init(self)

    def sample_latent(self, n: int, generator=None, device=None) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, generator=generator).to(
            device or next(self.parameters()).device
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}); got {tuple(z.shape)}")
        z, labels = to_model(self, z, labels)
        if self.n_classes:
            if labels is None:
                raise ValueError(
                    "this generator is conditional: call G(z, labels) with labels (N,) in 0..9"
                )
            z = torch.cat([z, self.embed(labels.long())], 1)
        h = self.project(z).view(-1, 2 * self.base, 7, 7)  # (N, 2b, 7, 7)
        return self.net(h)  # (N, 1, 28, 28)


class DCGANDiscriminator(nn.Module):
    """(N, 1, 28, 28) in [-1, 1] -> logits (N,): stride-2 convolutions with LeakyReLU(0.2) and
    BatchNorm (not on the first layer), as in DCGAN. ``n_classes > 0``: a projection
    discriminator (Miyato & Koyama 2018): logit = w.h + embed(y).h. Sections 3-4."""

    def __init__(self, base: int = 64, n_classes: int = 0, batchnorm: bool = True):
        super().__init__()
        self.n_classes = n_classes
        norm = (lambda c: nn.BatchNorm2d(c)) if batchnorm else (lambda c: nn.Identity())
        self.net = nn.Sequential(
            nn.Conv2d(1, base, 4, 2, 1),
            nn.LeakyReLU(0.2),  # 14x14
            nn.Conv2d(base, 2 * base, 4, 2, 1, bias=False),
            norm(2 * base),
            nn.LeakyReLU(0.2),  # 7x7
            nn.Flatten(),
        )
        self.out = nn.Linear(2 * base * 7 * 7, 1)
        self.embed = nn.Embedding(n_classes, 2 * base * 7 * 7) if n_classes else None
        dcgan_init(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"x must have shape (N, 1, 28, 28); got {tuple(x.shape)}")
        x, labels = to_model(self, x, labels)
        h = self.net(x)  # (N, 2b*49)
        logit = self.out(h).squeeze(1)
        if self.n_classes:
            if labels is None:
                raise ValueError("this discriminator is conditional: call D(x, labels)")
            logit = logit + (self.embed(labels.long()) * h).sum(1)
        return logit


class PatchDiscriminator(nn.Module):
    """PatchGAN: one logit per overlapping patch instead of one per image.

    pix2pix (section 5) judges (condition, image) pairs, concatenated along channels
    (``in_channels + out_channels``); CycleGAN (lab 05b) judges single images (``out_channels=0``).
    Output ``(N, 1, H/4, W/4)`` for ``n_layers=2`` (28x28 -> 7x7, each logit sees ~18x18 pixels).
    ``norm``: ``"batch"`` (pix2pix) or ``"instance"`` (CycleGAN); ``init="dcgan"`` draws weights
    from N(0, 0.02) (:func:`dcgan_init`), ``"default"`` keeps PyTorch's initialisation."""

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 1,
        base: int = 32,
        n_layers: int = 2,
        norm: str = "batch",
        init: str = "dcgan",
    ):
        super().__init__()
        if norm not in ("batch", "instance") or init not in ("dcgan", "default"):
            raise ValueError(
                f"norm must be 'batch' or 'instance' and init 'dcgan' or 'default'; "
                f"got norm={norm!r}, init={init!r}"
            )
        self.channels = in_channels + out_channels
        layers, c = [], self.channels
        for i in range(n_layers):
            c_next = base * 2**i
            normalise = (
                nn.BatchNorm2d(c_next)
                if norm == "batch"
                else nn.InstanceNorm2d(c_next, affine=True)
            )
            layers += [
                nn.Conv2d(c, c_next, 4, 2, 1),
                *([normalise] if i else []),
                nn.LeakyReLU(0.2),
            ]
            c = c_next
        layers += [nn.Conv2d(c, 1, 3, 1, 1)]
        self.net = nn.Sequential(*layers)
        if init == "dcgan":
            dcgan_init(self)

    def forward(self, *images: torch.Tensor) -> torch.Tensor:
        """``D(image)`` or ``D(condition, image)`` -> patch logits ``(N, 1, h, w)``."""
        if len(images) == 2:
            condition, image = images
            if condition.shape[0] != image.shape[0] or condition.shape[2:] != image.shape[2:]:
                raise ValueError(
                    f"condition {tuple(condition.shape)} and image {tuple(image.shape)} must "
                    "share batch size and height/width"
                )
        x = torch.cat(to_model(self, *images), 1) if len(images) > 1 else to_model(self, images[0])
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(
                f"discriminator input must be a tensor (N, {self.channels}, H, W) in all, got "
                f"{tuple(x.shape) if hasattr(x, 'shape') else type(x).__name__}"
            )
        return self.net(x)


class Pix2Pix(nn.Module):
    """pix2pix = a UNet generator (lab 03's :class:`labkit.segmentation.unet.UNet`, image in, image
    out, skip connections carry the input's layout) + a :class:`PatchDiscriminator`. The
    generator's output passes through a sigmoid: images in [0, 1]. Section 5."""

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 1,
        base_channels: int = 16,
        depth: int = 2,
        d_base: int = 32,
        d_layers: int = 2,
    ):
        super().__init__()
        from labkit.segmentation.unet import UNet

        self.G = UNet(
            in_channels, out_channels, base_channels=base_channels, depth=depth, skip=True
        )
        self.D = PatchDiscriminator(in_channels, out_channels, d_base, d_layers)

    def forward(self, condition: torch.Tensor) -> torch.Tensor:
        """G's image in [0, 1], on the device of ``condition`` (compared with targets there)."""
        return torch.sigmoid(self.G(condition)).to(condition.device)


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between latent vectors (rows), t in [0, 1] (section 3)."""
    n0, n1 = z0 / z0.norm(dim=-1, keepdim=True), z1 / z1.norm(dim=-1, keepdim=True)
    omega = torch.acos((n0 * n1).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * z0 + (torch.sin(t * omega) / so) * z1


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    return (1 - t) * z0 + t * z1
