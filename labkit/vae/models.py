"""Autoencoders and VAEs for MNIST (notebook 04_autoencoders_vae).

Every model has the same small interface, so plots, metrics and other notebooks can use a
trained model without knowing its insides:

- ``AE(latent_dim=...)``:  ``encode(x) -> z`` ``(B, latent_dim)``;
  ``decode(z) -> (B, 1, 28, 28)`` in [0, 1].
- ``VAE(latent_dim=...)``: ``encode(x) -> (mu, logvar)``, each ``(B, latent_dim)``;
  ``decode(z) -> (B, 1, 28, 28)``: the Bernoulli means p(x_i = 1 | z) in [0, 1];
  ``decode_logits(z)``: the same before the sigmoid (use it for log-likelihoods:
  ``log p(x|z) = -BCE_with_logits(decode_logits(z), x).sum()``).
- both: ``embed(x)`` (the deterministic code: z for the AE, mu for the VAE) and
  ``reconstruct(x) = decode(embed(x))``.

Inputs ``x`` are ``(B, 1, 28, 28)`` float tensors in [0, 1]; anything else raises a ValueError
that says what to change. The encoder/decoder are small conv nets (two stride-2 convolutions,
28 -> 14 -> 7) whose ``width`` sets the channel count: 8-16 for the CPU fast mode, 32-64 on a GPU.
"""

from __future__ import annotations

import torch
from torch import nn

from labkit.config import seeded_by
from labkit.train import to_model

__all__ = [
    "ConvEncoder",
    "ConvDecoder",
    "AE",
    "VAE",
    "check_images",
    "check_latents",
    "IMAGE_SHAPE",
    "train_autoencoder",
    "lab_sizes",
]

IMAGE_SHAPE = (1, 28, 28)


def check_images(x, what: str = "x") -> torch.Tensor:
    """Validate a batch of MNIST-like images: (B, 1, 28, 28) float in [0, 1], finite."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(
            f"{what} must be a torch.Tensor of shape (B, 1, 28, 28), got {type(x).__name__}. "
            "Fix: torch.as_tensor(x, dtype=torch.float32)."
        )
    if x.ndim != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
        fix = ""
        if x.ndim == 2 and x.shape[-1] == 784:
            fix = " Fix: x.view(-1, 1, 28, 28)."
        elif x.ndim == 3 and tuple(x.shape[1:]) == (28, 28):
            fix = " Fix: x.unsqueeze(1)."
        elif x.ndim == 3 and tuple(x.shape) == IMAGE_SHAPE:
            fix = " Fix: x.unsqueeze(0) for a single image."
        raise ValueError(f"{what} must have shape (B, 1, 28, 28), got {tuple(x.shape)}.{fix}")
    if not x.is_floating_point():
        raise ValueError(
            f"{what} has dtype {x.dtype}; expected float images in [0, 1]. "
            "Fix: x.float() / 255 for uint8 pixels."
        )
    if not torch.isfinite(x).all():
        raise ValueError(f"{what} contains NaN or inf values.")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1e-4 or hi > 1 + 1e-4:
        raise ValueError(
            f"{what} must hold pixel values in [0, 1], got range [{lo:.3g}, {hi:.3g}]. "
            "Fix: divide uint8 pixels by 255, or clamp noisy images with x.clamp(0, 1)."
        )
    return x


def check_latents(z, latent_dim: int, what: str = "z") -> torch.Tensor:
    """Validate latent codes: (B, latent_dim) float, finite."""
    if not isinstance(z, torch.Tensor):
        raise ValueError(
            f"{what} must be a torch.Tensor of shape (B, {latent_dim}), got {type(z).__name__}."
        )
    if z.ndim == 1 and z.shape[0] == latent_dim:
        raise ValueError(
            f"{what} has shape {tuple(z.shape)}; expected (B, {latent_dim}). "
            "Fix: z.unsqueeze(0) for a single code."
        )
    if z.ndim != 2 or z.shape[1] != latent_dim:
        raise ValueError(
            f"{what} must have shape (B, {latent_dim}) for this model, got {tuple(z.shape)}."
        )
    if not z.is_floating_point() or not torch.isfinite(z).all():
        raise ValueError(f"{what} must be a finite float tensor (dtype {z.dtype}).")
    return z


class ConvEncoder(nn.Module):
    """(B, 1, 28, 28) -> (B, out_dim): two stride-2 convs (28 -> 14 -> 7), then an MLP head."""

    def __init__(self, out_dim: int, width: int = 32, hidden: int = 256):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1),
            nn.ReLU(),  # (B, w, 14, 14)
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.ReLU(),  # (B, 2w, 7, 7)
            nn.Flatten(),  # (B, 2w * 49)
            nn.Linear(2 * width * 49, hidden),
            nn.ReLU(),
        )
        self.head = nn.Linear(hidden, out_dim)

    def forward(self, x):
        return self.head(self.features(x))


class ConvDecoder(nn.Module):
    """(B, latent_dim) -> logits (B, 1, 28, 28): MLP, then two stride-2 transposed convs."""

    def __init__(self, latent_dim: int, width: int = 32, hidden: int = 256):
        super().__init__()
        self.width = width
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 2 * width * 49), nn.ReLU()
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),
            nn.ReLU(),  # (B, w, 14, 14)
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),
        )  # (B, 1, 28, 28)
        # start from mostly-dark images (MNIST mean pixel ~0.13 = sigmoid(-2)):
        # faster early training
        nn.init.constant_(self.up[-1].bias, -2.0)

    def forward(self, z):
        h = self.fc(z).view(-1, 2 * self.width, 7, 7)
        return self.up(h)


class _Base(nn.Module):
    kind = "base"

    def __init__(self, latent_dim: int, width: int, hidden: int, enc_out: int):
        super().__init__()
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive int, got {latent_dim!r}")
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive int, got {width!r}")
        self.latent_dim, self.width, self.hidden = latent_dim, width, hidden
        self.encoder = ConvEncoder(enc_out, width, hidden)
        self.decoder = ConvDecoder(latent_dim, width, hidden)

    @property
    def device(self):
        return next(self.parameters()).device

    def decode_logits(self, z):
        """Pre-sigmoid decoder output (B, 1, 28, 28): the Bernoulli logits."""
        z = check_latents(z, self.latent_dim)
        p = next(self.parameters())
        return self.decoder(z.to(device=p.device, dtype=p.dtype))

    def decode(self, z):
        """Images (B, 1, 28, 28) in [0, 1] (the Bernoulli means)."""
        return torch.sigmoid(self.decode_logits(z))

    def reconstruct(self, x):
        """decode(embed(x)): the deterministic reconstruction, on the device of ``x`` (so that
        ``reconstruct(x) - x`` works whether or not the model sits on the GPU)."""
        return self.decode(self.embed(x)).to(x.device)  # embed validates x

    def extra_repr(self):
        from labkit.segmentation.unet import count_parameters

        n = count_parameters(self)
        return (
            f"latent_dim={self.latent_dim}, width={self.width}, hidden={self.hidden}, params={n:,}"
        )


class AE(_Base):
    """Deterministic autoencoder.

    ``encode(x) -> z``, ``decode(z) -> images``; ``forward(x)`` = logits.
    """

    kind = "ae"

    def __init__(self, latent_dim: int = 2, width: int = 32, hidden: int = 256):
        super().__init__(latent_dim, width, hidden, latent_dim)

    def encode(self, x):
        return self.encoder(to_model(self, check_images(x)))

    embed = encode

    def forward(self, x):
        """Reconstruction logits (B, 1, 28, 28) (apply sigmoid for images)."""
        return self.decode_logits(self.encode(x))


class VAE(_Base):
    """Variational autoencoder with a diagonal Gaussian encoder and a Bernoulli decoder.

    ``encode(x) -> (mu, logvar)``; ``decode(z)`` -> Bernoulli means; ``forward(x)`` draws one
    z = mu + sigma * eps and returns ``(logits, mu, logvar)``. ``beta`` is stored for
    beta-VAE training (``labkit.vae.losses.vae_loss`` reads it) and does not change the network.
    """

    kind = "vae"

    def __init__(self, latent_dim: int = 2, width: int = 32, hidden: int = 256, beta: float = 1.0):
        super().__init__(latent_dim, width, hidden, 2 * latent_dim)
        if not beta >= 0:
            raise ValueError(f"beta must be >= 0, got {beta!r}")
        self.beta = float(beta)

    def encode(self, x):
        h = self.encoder(to_model(self, check_images(x)))  # (B, 2 * latent_dim)
        mu, logvar = h.chunk(2, dim=1)  # (B, latent_dim) each
        return mu, logvar

    def embed(self, x):
        return self.encode(x)[0]

    def sample(self, n: int, generator: torch.Generator | None = None):
        """n images decoded from z ~ N(0, I) (Bernoulli means)."""
        z = torch.randn(n, self.latent_dim, generator=generator).to(self.device)
        return self.decode(z)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decoder(z), mu, logvar

    def extra_repr(self):
        return super().extra_repr() + f", beta={self.beta:g}"


@seeded_by("seed")
def train_autoencoder(
    model,
    images,
    *,
    epochs: int = 2,
    batch_size: int = 64,
    lr: float = 2e-3,
    loss_fn=None,
    seed: int = 0,
    device=None,
    progress: bool = True,
    desc: str | None = None,
):
    """Train an AE or VAE on ``images`` (N, 1, 28, 28) with ``labkit.train.fit`` and a seeded
    loader. ``loss_fn`` defaults to ``ae_loss("bce")`` for an AE and ``vae_loss()`` for a VAE.
    Returns the :class:`labkit.train.History`; the model ends in eval mode."""
    from labkit.train import fit
    from labkit.vae.losses import ae_loss, vae_loss

    check_images(images[:1], "images")
    if loss_fn is None:
        loss_fn = vae_loss() if isinstance(model, VAE) else ae_loss("bce")
    loader = torch.utils.data.DataLoader(
        images, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    return fit(
        model,
        loader,
        loss_fn=loss_fn,
        epochs=epochs,
        lr=lr,
        device=device,
        progress=progress,
        desc=desc or f"{type(model).__name__}(latent_dim={model.latent_dim})",
    )


def lab_sizes():
    """Notebook 04's sizes for the current mode (``LABKIT_MODE``): data, epochs, network width.

    fast (CPU, tests): 6k training images, 3 epochs, width 8 — every model trains in seconds.
    full (GPU): all training images (the official 60k where available), 10 epochs, width 32.
    """
    from labkit.config import by_mode

    return by_mode(
        fast=dict(n_train=6000, n_test=1000, epochs=3, batch_size=32, width=8, hidden=64, lr=2e-3),
        full=dict(
            n_train=None, n_test=10000, epochs=10, batch_size=128, width=32, hidden=256, lr=1e-3
        ),
    )
