"""Self-checks for notebook 03 (UNet): the double-conv block, the up-step with concatenation,
the soft Dice loss. Each runs the student's function on small cases and prints pass or a hint.
"""

from __future__ import annotations

import torch
from torch import nn

from labkit.checks._core import Hint, exercise, expect_close, expect_shape, expect_true, expect_type

__all__ = ["double_conv", "up_step", "dice_loss"]


def _modules(block, kind):
    return [m for m in block.modules() if isinstance(m, kind)]


def _fill_(module, g, scale=0.3):
    """Overwrite every parameter of ``module`` with values from the generator ``g`` (the check's own
    random numbers: no global reseeding, the same values whatever ran before)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)


@exercise("unet-double-conv", "two 3x3 convs with padding 1, each followed by batch norm and ReLU")
def double_conv(fn, seed: int = 0):
    """``fn(in_channels, out_channels) -> nn.Module``: (conv 3x3 pad 1 -> BatchNorm -> ReLU) x 2."""
    g = torch.Generator().manual_seed(300 + seed)
    cin, cout = 3 + seed % 2, 5 + seed % 3
    block = fn(cin, cout)
    expect_type(block, nn.Module, f"double_conv({cin}, {cout})")
    convs = _modules(block, nn.Conv2d)
    expect_true(
        len(convs) == 2, f"the block should hold exactly 2 nn.Conv2d layers, found {len(convs)}."
    )
    c1, c2 = convs
    expect_true(
        c1.in_channels == cin
        and c1.out_channels == cout
        and c2.in_channels == cout
        and c2.out_channels == cout,
        f"channels: the first conv should map {cin} -> {cout} and the second {cout} -> {cout}; got "
        f"{c1.in_channels} -> {c1.out_channels} and {c2.in_channels} -> {c2.out_channels}.",
    )
    for c in convs:
        expect_true(
            tuple(c.kernel_size) == (3, 3),
            f"use 3x3 kernels (kernel_size=3), got {tuple(c.kernel_size)}.",
        )
        expect_true(
            tuple(c.padding) == (1, 1),
            f"use padding=1 so the output keeps the input's size "
            f"('same' padding); got padding={c.padding}.",
        )
    bns = _modules(block, nn.BatchNorm2d)
    expect_true(len(bns) == 2, f"put an nn.BatchNorm2d after each conv; found {len(bns)}.")
    h, w = 9 + seed % 4, 11 - seed % 3
    x = torch.randn(2, cin, h, w, generator=g)
    block.eval()
    with torch.no_grad():
        for c in convs:
            _fill_(c, g)
        for bn in bns:  # non-trivial statistics, so order matters
            bn.running_mean.copy_(torch.rand(cout, generator=g) - 0.5)
            bn.running_var.copy_(0.5 + 1.5 * torch.rand(cout, generator=g))
            bn.weight.copy_(0.5 + torch.rand(cout, generator=g))
            bn.bias.copy_(torch.rand(cout, generator=g) - 0.5)
        y = block(x)
        expect_shape(
            y, (2, cout, h, w), f"double_conv({cin}, {cout}) applied to x {tuple(x.shape)}"
        )
        expect_true(
            bool((y >= 0).all()),
            "the block should end with a ReLU (the output has negative values).",
        )
        relu = torch.relu
        want = relu(bns[1](c2(relu(bns[0](c1(x))))))
        expect_close(y, want, "the block's output (eval mode)", rtol=1e-4, atol=1e-5)


def _ref_up(x, skip, up, conv):
    from labkit.segmentation.unet import match_size

    y = match_size(up(x), skip.shape[-2:])
    return conv(torch.cat([skip, y], dim=1))


@exercise("unet-up-step", "even and odd sizes, values match the reference up-step")
def up_step(fn, seed: int = 0):
    """``fn(x, skip, up, conv) -> tensor``: upsample ``x`` with ``up``, crop/pad it to ``skip``'s
    height and width, concatenate ``[skip, upsampled]`` on the channel axis, apply ``conv``."""
    from labkit.segmentation.unet import DoubleConv

    g = torch.Generator().manual_seed(100 + seed)
    c = 8 + 2 * (seed % 2)
    up = nn.ConvTranspose2d(c, c // 2, kernel_size=2, stride=2)
    conv = DoubleConv(c, c // 2).eval()
    _fill_(up, g)
    _fill_(conv, g)
    s = seed % 3  # other seeds, other (odd and even) sizes
    for (h, w), (H, W) in [
        ((4 + s, 5), (8 + 2 * s, 10)),
        ((4, 4 + s), (7, 7 + 2 * s)),
        ((3, 4), (7 - 2 * (s > 0), 9)),
    ]:
        x, skip = torch.randn(2, c, h, w, generator=g), torch.randn(2, c // 2, H, W, generator=g)
        with torch.no_grad():
            got = fn(x, skip, up, conv)
            want = _ref_up(x, skip, up, conv)
        expect_type(got, torch.Tensor, "up_step(...)")
        expect_shape(
            got, want.shape, f"up_step for x {tuple(x.shape)} and skip {tuple(skip.shape)}"
        )
        with torch.no_grad():
            swapped = conv(torch.cat([_ref_up_only(x, skip, up), skip], dim=1))
        if torch.allclose(got, swapped, atol=1e-5):
            raise Hint(
                "the channels are in the wrong order: concatenate [skip, upsampled], skip first."
            )
        expect_close(
            got,
            want,
            f"up_step output for x {tuple(x.shape)}, skip {tuple(skip.shape)}"
            + (
                " (odd skip size: crop or pad the upsampled map to the skip's size, centred)"
                if (H % 2 or W % 2)
                else ""
            ),
            rtol=1e-4,
            atol=1e-5,
        )


def _ref_up_only(x, skip, up):
    from labkit.segmentation.unet import match_size

    return match_size(up(x), skip.shape[-2:])


@exercise("unet-dice", "soft Dice loss: random logits, an empty class, gradients")
def dice_loss(fn, seed: int = 0):
    """``fn(logits (N, K, H, W), target (N, H, W), eps=1.0) -> scalar``:
    1 - mean_c (2 sum p_c t_c + eps) / (sum p_c + sum t_c + eps), p = softmax over classes,
    t = one-hot target, sums over the batch and all pixels."""
    from labkit.segmentation.losses import soft_dice_loss

    g = torch.Generator().manual_seed(200 + seed)
    cases = [
        (torch.randn(2, 3, 5, 4, generator=g) * 2, torch.randint(0, 3, (2, 5, 4), generator=g)),
        (torch.randn(1, 4, 6, 6, generator=g), torch.randint(0, 2, (1, 6, 6), generator=g)),
    ]  # 2 empty classes
    for logits, target in cases:
        logits = logits.clone().requires_grad_(True)
        got = fn(logits, target)
        expect_type(got, torch.Tensor, "dice_loss(...)")
        expect_true(
            got.ndim == 0,
            f"dice_loss should return a scalar (0-dim tensor); got shape {tuple(got.shape)}. "
            "Average over classes (and sum over batch and pixels).",
        )
        want = soft_dice_loss(logits, target)
        if (
            abs(float(got.detach()) - (1 - float(want.detach()))) < 1e-5
            and abs(float(want.detach()) - 0.5) > 1e-3
        ):
            raise Hint("you returned the Dice coefficient; the loss is 1 - Dice (lower is better).")
        raw = logits.detach()
        expect_true(
            not torch.allclose(got.detach(), _dice_no_softmax(raw, target), atol=1e-5),
            "apply softmax over the class axis (dim=1) before comparing with the one-hot target.",
        )
        expect_close(
            got.detach(),
            want.detach(),
            f"dice_loss for logits {tuple(logits.shape)}",
            rtol=1e-4,
            atol=1e-5,
        )
        expect_true(
            got.requires_grad, "the loss has no gradient: do not detach, use torch ops only."
        )
        got.backward()
        expect_true(
            logits.grad is not None and bool(torch.isfinite(logits.grad).all()),
            "the gradient is not finite; keep eps in both numerator and denominator.",
        )
    # an all-background batch: every object class is empty
    logits = torch.zeros(2, 3, 4, 4, requires_grad=True)
    target = torch.zeros(2, 4, 4, dtype=torch.long)
    loss = fn(logits, target)
    expect_close(
        loss.detach(),
        soft_dice_loss(logits, target).detach(),
        "dice_loss on an all-background batch",
    )
    loss.backward()
    expect_true(
        bool(torch.isfinite(logits.grad).all()),
        "the gradient is NaN/inf when a class is empty: "
        "keep eps in both numerator and denominator.",
    )


def _dice_no_softmax(logits, target, eps=1.0):
    k = logits.shape[1]
    t = nn.functional.one_hot(target, k).permute(0, 3, 1, 2).float()
    inter, den = (logits * t).sum((0, 2, 3)), logits.sum((0, 2, 3)) + t.sum((0, 2, 3))
    return 1 - ((2 * inter + eps) / (den + eps)).mean()
