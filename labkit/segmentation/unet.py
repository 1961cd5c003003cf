"""UNet (Ronneberger et al. 2015) for notebook 03 (semantic segmentation), also the pix2pix
generator of notebook 05.

Shapes (N = batch, C = ``in_channels``, K = ``num_classes``, B = ``base_channels``):

    x (N, C, H, W)                                         input, any H, W >= 1 (odd sizes too)
    encoder level d = 0..depth-1: (N, B*2^d, ceil(H/2^d), ceil(W/2^d))
                                  double conv, then 2x2 max pool
    bottleneck:                   (N, B*2^depth, ceil(H/2^depth), ...)
    decoder level d = depth-1..0: up-conv 2x2/2 -> (N, B*2^d, ...), cropped/padded to the encoder's
                                  size at level d, concatenated with it (the skip) -> double conv
    logits (N, K, H, W)                                    same size as the input

"Same" padding (3x3 convs with padding 1) keeps sizes inside a level; pooling uses
``ceil_mode=True`` so no row is dropped, and the up-step crops (or pads) back to the skip's
size, so the output always matches the input. ``skip=False`` removes the concatenations
(the ablation of notebook 03, section 5): same encoder and decoder, no shortcut for detail.

``cond_dim > 0`` (notebook 06, flow matching) adds conditioning: ``forward(x, cond)`` with a
vector ``cond (N, cond_dim)`` (e.g. an embedding of the time t and the class). After every double
conv a linear map of ``cond`` is added as a per-channel bias, (N, width) -> (N, width, 1, 1).
With the default ``cond_dim=0`` nothing is added: same modules, same state dict, same outputs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from labkit.train import to_model

__all__ = [
    "DoubleConv",
    "Up",
    "UNet",
    "match_size",
    "count_parameters",
    "one_cycle_adam",
    "predict_dataset",
]


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind in ("none", None):
        return nn.Identity()
    raise ValueError(f"norm must be 'batch', 'instance' or 'none', got {kind!r}")


class DoubleConv(nn.Sequential):
    """(conv 3x3, padding 1 -> norm -> ReLU) x 2: (N, in, H, W) -> (N, out, H, W)."""

    def __init__(self, in_channels: int, out_channels: int, norm: str = "batch"):
        bias = norm in ("none", None)
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias),
            _norm(norm, out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=bias),
            _norm(norm, out_channels),
            nn.ReLU(inplace=True),
        )


def match_size(x: torch.Tensor, size) -> torch.Tensor:
    """Centre-crop or zero-pad ``x`` (N, C, h, w) to spatial ``size`` (H, W)."""
    dh, dw = size[0] - x.shape[-2], size[1] - x.shape[-1]
    if dh == 0 and dw == 0:
        return x
    # F.pad with negative amounts crops
    return F.pad(x, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2])


class Up(nn.Module):
    """The up-step: 2x2 transposed conv (halves the channels, doubles H, W), match the skip's
    size, concatenate ``[skip, up]`` on the channel axis, double conv.

    (N, in, h, w) + skip (N, skip_ch, H, W) -> (N, out, H, W); ``skip_channels=0`` means no skip.
    """

    def __init__(
        self, in_channels: int, skip_channels: int, out_channels: int, norm: str = "batch"
    ):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
        self.conv = DoubleConv(in_channels // 2 + skip_channels, out_channels, norm)
        self.skip_channels = skip_channels

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = match_size(self.up(x), skip.shape[-2:])  # (N, in/2, H, W)
        if self.skip_channels:
            x = torch.cat([skip, x], dim=1)  # (N, skip_ch + in/2, H, W)
        return self.conv(x)  # (N, out, H, W)


class UNet(nn.Module):
    """``UNet(in_channels, num_classes, base_channels=16, depth=3, skip=True)``.

    ``forward(x)``: (N, in_channels, H, W) float -> logits (N, num_classes, H, W), any H, W.
    ``features(x)`` returns the activations at every level (for the feature-map figure).
    ``norm``: 'batch' (default), 'instance' or 'none'.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        base_channels: int = 16,
        depth: int = 3,
        skip: bool = True,
        norm: str = "batch",
        cond_dim: int = 0,
    ):
        super().__init__()
        for name, v, lo in (
            ("in_channels", in_channels, 1),
            ("num_classes", num_classes, 1),
            ("base_channels", base_channels, 2),
            ("depth", depth, 0),
        ):
            if not isinstance(v, int) or v < lo:
                raise ValueError(f"UNet: {name} must be an int >= {lo}, got {v!r}")
        self.in_channels, self.num_classes = in_channels, num_classes
        self.base_channels, self.depth, self.skip = base_channels, depth, bool(skip)
        widths = [base_channels * 2**d for d in range(depth + 1)]  # B, 2B, ..., B*2^depth
        self.inc = DoubleConv(in_channels, widths[0], norm)
        self.down = nn.ModuleList(DoubleConv(widths[d], widths[d + 1], norm) for d in range(depth))
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.up = nn.ModuleList(
            Up(widths[d + 1], widths[d] if skip else 0, widths[d], norm)
            for d in reversed(range(depth))
        )
        self.head = nn.Conv2d(widths[0], num_classes, kernel_size=1)
        self.cond_dim = int(cond_dim)
        if self.cond_dim:  # one per-channel bias per block: inc, down 0..depth-1, up
            outs = [widths[0]] + widths[1:] + [widths[d] for d in reversed(range(depth))]
            self.cond_proj = nn.ModuleList(nn.Linear(self.cond_dim, w) for w in outs)

    def _check_input(self, x):
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != self.in_channels:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"UNet input x must have shape (N, {self.in_channels}, H, W) "
                f"(in_channels={self.in_channels}); got {got}"
            )

    def _biases(self, cond, n):
        """Per-block channel biases from ``cond`` (N, cond_dim), or None without conditioning."""
        if not self.cond_dim:
            if cond is not None:
                raise ValueError(
                    "this UNet has cond_dim=0: build it with cond_dim > 0 to pass cond"
                )
            return None
        if cond is None or cond.shape != (n, self.cond_dim):
            got = None if cond is None else tuple(cond.shape)
            raise ValueError(
                f"UNet(cond_dim={self.cond_dim}) needs cond of shape ({n}, {self.cond_dim}); "
                f"got {got}"
            )
        cond = cond.to(self.head.weight.device, self.head.weight.dtype)
        return [p(cond)[:, :, None, None] for p in self.cond_proj]  # (N, width, 1, 1) each

    def features(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> dict:
        """All intermediate maps: 'enc0'..'enc{depth-1}', 'bottleneck', 'dec{depth-1}'..'dec0',
        'logits'."""
        self._check_input(x)
        x = to_model(self, x)
        bias = self._biases(cond, len(x))
        add = (lambda h, i: h + bias[i]) if bias else (lambda h, i: h)
        feats, skips = {}, []
        h = add(self.inc(x), 0)  # (N, B, H, W)
        for d, block in enumerate(self.down):
            feats[f"enc{d}"] = h
            skips.append(h)
            h = add(block(self.pool(h)), 1 + d)  # (N, B*2^(d+1), ceil(H/2^(d+1)), ...)
        feats["bottleneck"] = h
        for i, (d, up) in enumerate(zip(reversed(range(self.depth)), self.up)):
            h = add(up(h, skips[d]), 1 + self.depth + i)  # (N, B*2^d, size of level d)
            feats[f"dec{d}"] = h
        feats["logits"] = self.head(h)  # (N, K, H, W)
        return feats

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        return self.features(x, cond)["logits"]

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Class map (N, H, W) long (eval mode; restores the previous mode)."""
        was = self.training
        self.eval()
        try:
            return self(x).argmax(1)
        finally:
            self.train(was)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters of ``model`` (any module: the UNet here, the GANs of lab 05)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def one_cycle_adam(model: nn.Module, lr: float, total_steps: int) -> torch.optim.Optimizer:
    """Adam whose learning rate follows a one-cycle schedule (warm up to ``lr``, anneal to ~0)
    over ``total_steps`` optimizer steps; pass it to ``labkit.train.fit(optimizer=...)``.
    The schedule advances after every ``optimizer.step()`` (a step hook), so ``fit`` needs no
    scheduler argument. Roughly halves the epochs UNet needs on the shapes set (notebook 03)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, total_steps=max(int(total_steps), 2)
    )

    def advance(*_):
        if sched.last_epoch + 1 < sched.total_steps:
            sched.step()

    opt.register_step_post_hook(advance)
    opt.scheduler = sched
    return opt


@torch.no_grad()
def predict_dataset(
    model: nn.Module, dataset, n: int | None = None, batch_size: int = 128, device=None
):
    """Run ``model`` on the first ``n`` items of a segmentation dataset (all by default).
    Returns ``images (n, 3, H, W)``, ``masks (n, H, W)``, ``preds (n, H, W)`` on the CPU."""
    device = device or next(model.parameters()).device
    n = len(dataset) if n is None else min(n, len(dataset))
    was = model.training
    model.eval()
    images, masks, preds = [], [], []
    for lo in range(0, n, batch_size):
        x, y = dataset.batch(range(lo, min(n, lo + batch_size)))
        images.append(x)
        masks.append(y)
        preds.append(model(x.to(device)).argmax(1).cpu())
    model.train(was)
    return torch.cat(images), torch.cat(masks), torch.cat(preds)
