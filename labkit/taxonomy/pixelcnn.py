"""A small PixelCNN (van den Oord et al., 2016) for binarised images: notebook 06, section 1.

An autoregressive model writes p(x) = prod_i p(x_i | x_<i) over the pixels in raster order
(row by row, left to right). A **masked convolution** sees only the pixels before the centre:

    mask "A" (first layer):  rows above the centre + the pixels left of it, NOT the centre
    mask "B" (later layers): the same plus the centre (the layer's own input at that position
                             already depends only on earlier pixels, so it may be used)

Shapes: images ``x (N, 1, H, W)`` in {0, 1}; logits ``(N, 1, H, W)``: the logit of
p(x_i = 1 | x_<i) at every pixel i, all in one forward pass (training and exact log p(x));
sampling needs one pass per pixel (H * W passes).
"""

from __future__ import annotations

import copy
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from ..config import seeded_by

__all__ = [
    "causal_mask",
    "MaskedConv2d",
    "PixelCNN",
    "bernoulli_log_likelihood",
    "log_prob",
    "train_pixelcnn",
    "sample_pixelcnn",
    "all_binary_images",
    "total_probability",
    "binarise",
]


def causal_mask(k: int, kind: str) -> torch.Tensor:
    """``(k, k)`` float mask: 1 above the centre row, 1 left of the centre in its row, the
    centre itself only for ``kind="B"``."""
    if kind not in ("A", "B"):
        raise ValueError(f"kind must be 'A' or 'B', got {kind!r}")
    if k < 1 or k % 2 == 0:
        raise ValueError(f"k must be an odd kernel size, got {k}")
    m, c = torch.zeros(k, k), k // 2
    m[:c, :] = 1  # rows above the centre
    m[c, :c] = 1  # left of the centre in its row
    if kind == "B":
        m[c, c] = 1
    return m


class MaskedConv2d(nn.Conv2d):
    """``Conv2d(cin, cout, k, padding=k // 2)`` whose weights are multiplied by a causal mask."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, kind: str, mask_fn=causal_mask
    ):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.kind = kind
        self.register_buffer(
            "mask", mask_fn(kernel_size, kind).to(self.weight.dtype)[None, None].clone()
        )

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PixelCNN(nn.Module):
    """Mask-A conv ``first_k x first_k`` (1 -> C), ``n_layers`` residual mask-B 3x3 convs (C -> C),
    two 1x1 convs -> one logit per pixel. ``forward(x (N, 1, H, W)) -> logits (N, 1, H, W)``.

    ``reach``: how far (rows up, columns either side) the output at a pixel looks; sampling
    computes only that window around the next pixel."""

    def __init__(
        self, channels: int = 32, n_layers: int = 5, first_k: int = 7, mask_fn=causal_mask
    ):
        super().__init__()
        self.first = MaskedConv2d(1, channels, first_k, "A", mask_fn)
        self.layers = nn.ModuleList(
            MaskedConv2d(channels, channels, 3, "B", mask_fn) for _ in range(n_layers)
        )
        self.out = nn.Sequential(
            nn.ReLU(), nn.Conv2d(channels, channels, 1), nn.ReLU(), nn.Conv2d(channels, 1, 1)
        )
        self.reach = first_k // 2 + n_layers

    def forward(self, x):
        h = F.relu(self.first(2 * x - 1))  # (N, C, H, W); inputs centred to {-1, 1}
        for conv in self.layers:
            h = h + F.relu(conv(h))  # residual, still causal
        return self.out(h)  # (N, 1, H, W) logits


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """sum over the pixels of log Bernoulli(x | sigmoid(logits)), per image: ``(N, ...) -> (N,)``.
    log p = x * l - softplus(l), stable for large |l|."""
    return (x * logits - F.softplus(logits)).flatten(1).sum(1)


def log_prob(model: nn.Module, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Exact log p(x) in nats for binary images ``(N, 1, H, W)``: ``(N,)`` (one forward per
    batch)."""
    was, dev = model.training, _device(model)
    model.eval()
    with torch.no_grad():
        out = []
        for i in range(0, len(x), batch_size):
            xb = x[i : i + batch_size].to(dev, next(model.parameters()).dtype)
            out.append(bernoulli_log_likelihood(model(xb), xb).cpu())
    model.train(was)
    return torch.cat(out)


def _device(model):
    return next(model.parameters()).device


def binarise(images: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Each pixel 1 with probability its grey value (one fixed draw, as papers and lab 04b do)."""
    return torch.bernoulli(images.clamp(0, 1), generator=torch.Generator().manual_seed(seed))


@seeded_by("seed")
def train_pixelcnn(
    model: nn.Module,
    x: torch.Tensor,
    epochs: int = 2,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    progress: bool = True,
    device=None,
):
    """Maximum likelihood: minimise the mean -log p(x) (nats per image) with Adam.
    Returns a :class:`labkit.train.FitResult` (``.history``, ``.seconds``)."""
    from ..train import fit_timed

    loader = torch.utils.data.DataLoader(
        x, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    return fit_timed(
        model,
        loader,
        loss_fn=lambda m, b: -bernoulli_log_likelihood(m(b), b).mean(),
        epochs=epochs,
        lr=lr,
        device=device,
        progress=progress,
        desc="PixelCNN",
    )


@torch.no_grad()
def sample_pixelcnn(
    model: PixelCNN,
    n: int,
    size=(28, 28),
    seed: int = 0,
    keep_probs: bool = False,
    upto: int | None = None,
    start: torch.Tensor | None = None,
):
    """Draw ``n`` images pixel by pixel (raster order). Each step runs the model on the window of
    rows r - reach .. r and columns c - reach .. c + reach only (exactly what the output at (r, c)
    sees), so a step costs the same anywhere in the image.

    ``upto``: stop after that many pixels (the rest stays 0). ``keep_probs``: also return the
    probability p(x_i = 1 | x_<i) used at each step ``(n, 1, H, W)``.
    Returns ``x`` (and ``probs``), plus the wall time in ``sample_pixelcnn.last_seconds``."""
    model.eval()
    H, W = size
    g = torch.Generator().manual_seed(seed)
    dev = _device(model)
    x = torch.zeros(n, 1, H, W, device=dev) if start is None else start.clone().to(dev)
    probs = torch.zeros(n, 1, H, W, device=dev)
    R, t0 = model.reach, time.perf_counter()
    steps = H * W if upto is None else min(int(upto), H * W)
    for i in range(steps):
        r, c = divmod(i, W)
        r0, c0, c1 = max(0, r - R), max(0, c - R), min(W, c + R + 1)
        logit = model(x[:, :, r0 : r + 1, c0:c1])[:, 0, r - r0, c - c0]  # (n,)
        p = torch.sigmoid(logit)
        probs[:, 0, r, c] = p
        x[:, 0, r, c] = (torch.rand(n, generator=g).to(dev) < p).float()  # a Bernoulli draw
    x, probs = x.cpu(), probs.cpu()  # (also waits for the GPU)
    sample_pixelcnn.last_seconds = time.perf_counter() - t0
    return (x, probs) if keep_probs else x


sample_pixelcnn.last_seconds = float("nan")


@torch.no_grad()
def next_pixel_map(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """p(x_i = 1 | x_<i) at every pixel for images ``x``, one forward pass: ``(N, 1, H, W)``."""
    model.eval()
    return torch.sigmoid(model(x.to(_device(model)))).cpu()


def all_binary_images(h: int = 4, w: int = 4) -> torch.Tensor:
    """Every binary image of size h x w: ``(2^(h*w), 1, h, w)`` (65,536 for 4 x 4)."""
    bits = torch.arange(2 ** (h * w))[:, None] >> torch.arange(h * w - 1, -1, -1)[None]
    return (bits & 1).float().view(-1, 1, h, w)


def total_probability(model: nn.Module, h: int = 4, w: int = 4) -> float:
    """sum over all 2^(h*w) binary images of p(x), computed in float64 from log p(x): exactly 1
    for a correctly masked autoregressive model, whatever its weights."""
    x = all_binary_images(h, w)
    m = copy.deepcopy(model).double()
    lp = log_prob(m, x.double(), batch_size=8192)
    return float(torch.logsumexp(lp, 0).exp())


def nats_to_bits_per_pixel(nll_nats: float, n_pixels: int = 784) -> float:
    """A negative log-likelihood in nats per image as bits per pixel (divide by n_pixels ln 2),
    the unit papers report for image models (notebook 06, section 1)."""
    return nll_nats / (n_pixels * math.log(2))
