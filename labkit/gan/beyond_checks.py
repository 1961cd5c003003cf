"""Self-checks for notebook 05b_gan_beyond.

They cover the ProGAN fade-in and the CycleGAN cycle and identity losses.

Each check builds its cases with its own ``torch.Generator(seed)`` (no global reseeding), computes
the reference privately and never prints it; a hint says which property is violated.
"""

from __future__ import annotations

import torch

from labkit.checks._core import (
    Hint,
    exercise,
    expect_close,
    expect_finite,
    expect_true,
    expect_type,
)

__all__ = ["cycle_loss", "fade_in", "identity_loss"]


def _images(g, n, r, dtype=torch.float64):
    return torch.rand(n, 1, r, r, generator=g, dtype=dtype) * 2 - 1  # (n, 1, r, r) in [-1, 1]


def _up(x):  # nearest x2, like ProGenerator
    return x.repeat_interleave(2, dim=-2).repeat_interleave(2, dim=-1)


@exercise(
    "gan-beyond-fade-in", "shape, alpha = 0 / 1 end points, blends in between and gradients match"
)
def fade_in(fn, seed: int = 0):
    """``fn(old_rgb (N, 1, r, r), new_rgb (N, 1, 2r, 2r), alpha) -> (N, 1, 2r, 2r)``."""
    g = torch.Generator().manual_seed(seed)
    n, r = 2 + seed % 3, (7, 4, 14)[seed % 3]
    old, new = _images(g, n, r), _images(g, n, 2 * r)
    alphas = [0.0, 1.0, float(torch.rand((), generator=g, dtype=torch.float64)) * 0.6 + 0.2]
    for alpha in alphas:
        o, w = old.clone().requires_grad_(True), new.clone().requires_grad_(True)
        try:
            got = fn(o, w, alpha)
        except RuntimeError as e:
            if "must match the size" not in str(e):
                raise
            raise Hint(
                f"your blend adds images of different sizes ({r}x{r} and {2 * r}x{2 * r}): "
                "bring the old image to the new resolution first."
            ) from None
        expect_type(got, torch.Tensor, "the result of fade_in")
        if tuple(got.shape) != (n, 1, 2 * r, 2 * r):
            raise Hint(
                f"for old images {tuple(old.shape)} and new ones {tuple(new.shape)} "
                f"the blend has shape {tuple(got.shape)}, expected {(n, 1, 2 * r, 2 * r)}: "
                "the old image must first be brought to the new resolution."
            )
        expect_finite(got, "the blend")
        want = (1 - alpha) * _up(old) + alpha * new
        if torch.allclose(got.detach(), want, atol=1e-6):
            continue
        if alpha == 0.0:
            if torch.allclose(got.detach(), new, atol=1e-6):
                raise Hint(
                    "at alpha = 0 your blend is the NEW block's image; it must be the old one "
                    "(alpha is the weight of the new block): the weights are swapped."
                )
            if float((got.detach() - _up(old)).abs().max()) < 0.8 * float(
                (_up(old) - new).abs().max()
            ):
                raise Hint(
                    "at alpha = 0 your blend is close to the old image but not equal to it: "
                    "upsample by repeating each pixel into a 2x2 block (nearest neighbour), "
                    "as the generator does; an interpolating upsampling changes the image "
                    "the small network produced."
                )
            raise Hint(
                "at alpha = 0 the blend must be exactly the old image at the new resolution."
            )
        if alpha == 1.0:
            raise Hint(
                "at alpha = 1 the blend must be exactly the new block's image "
                "(the weights of the two images must add up to 1 for every alpha)."
            )
        expect_close(got, want, f"the blend at alpha = {alpha:.2f}", rtol=1e-5, atol=1e-6)
    expect_true(
        got.requires_grad,
        "your blend carries no gradient: build it from the two images with torch "
        "operations (no .detach(), no numpy), so that both toRGB layers keep learning.",
    )
    got.sum().backward()
    expect_true(
        o.grad is not None and w.grad is not None,
        "no gradient reaches one of the two images: build the blend from them with torch "
        "operations (no .detach(), no numpy), so that both the old and the new toRGB "
        "layer keep learning.",
    )
    expect_close(
        w.grad,
        torch.full_like(new, alphas[-1]),
        "the gradient to the new image",
        rtol=1e-5,
        atol=1e-6,
    )


class _Affine:
    """A toy 'generator' with a learnable scale: x -> tanh(s * x + b) (shape-preserving)."""

    def __init__(self, s, b):
        self.s = torch.tensor(float(s), dtype=torch.float64, requires_grad=True)
        self.b = float(b)

    def __call__(self, x):
        return torch.tanh(self.s * x + self.b)


def _gens(seed):
    g = torch.Generator().manual_seed(1000 + seed)
    u = torch.rand(4, generator=g, dtype=torch.float64)
    return _Affine(0.6 + u[0], 0.3 * u[1] + 0.1), _Affine(1.2 + u[2], -0.4 * u[3] - 0.1)


def _two_domains(seed):
    g = torch.Generator().manual_seed(seed)
    n = 3 + seed % 3
    return _images(g, n, 28), _images(
        g, n + 1, 28
    )  # different batch sizes: the domains are unpaired


def _l1(x, y):
    return (x - y).abs().mean()


def _same(v: float, value) -> bool:
    value = float(value.detach())
    return abs(v - value) < 1e-6 * max(1.0, abs(value))


def _loss_value(got, want, wrong: dict, what: str):
    """Compare a scalar loss with ``want``; when it differs, name the typical mistake it equals
    (``wrong``: description -> the value that mistake gives), else report how far off it is."""
    v = float(got.detach())
    if not _same(v, want):
        for mistake, value in wrong.items():
            if _same(v, value):
                raise Hint(f"your value matches {mistake.strip()}.")
        expect_close(got, want, what, rtol=1e-5, atol=1e-7)


def _generator_gradients(got, want, g_ab, g_ba, no_grad_hint: str):
    """The loss trains both toy generators, with the reference's gradients."""
    expect_true(
        got.requires_grad,
        "your loss carries no gradient: keep the generators' outputs in the autograd "
        "graph (no .detach(), no torch.no_grad(), no .item()), or the loss cannot train them.",
    )
    got.backward()
    expect_true(g_ab.s.grad is not None and g_ba.s.grad is not None, no_grad_hint)
    want_grad = torch.autograd.grad(want, [g_ab.s, g_ba.s])
    expect_close(
        torch.stack([g_ab.s.grad, g_ba.s.grad]),
        torch.stack(want_grad),
        "the gradients to the generators",
        rtol=1e-5,
        atol=1e-8,
    )


@exercise("gan-beyond-cycle-loss", "both round trips, L1, mean over pixels and gradients match")
def cycle_loss(fn, seed: int = 0):
    """``fn(xa, xb, g_ab, g_ba) -> scalar``: L_cyc of one batch (both directions)."""
    xa, xb = _two_domains(seed)
    g_ab, g_ba = _gens(seed)
    got = fn(xa, xb, g_ab, g_ba)
    expect_type(got, torch.Tensor, "the cycle loss")
    if got.ndim != 0:
        raise Hint(
            f"the cycle loss has shape {tuple(got.shape)}: it must be one number "
            "(average over the pixels)."
        )
    expect_finite(got, "the cycle loss")
    aba, bab = g_ba(g_ab(xa)), g_ab(g_ba(xb))
    want = _l1(aba, xa) + _l1(bab, xb)
    wrong = {
        "only the A -> B -> A round trip: L_cyc has one term per domain": _l1(aba, xa),
        "only the B -> A -> B round trip: L_cyc has one term per domain": _l1(bab, xb),
        "a squared error: the cycle loss is an L1 error (absolute values)": ((aba - xa) ** 2).mean()
        + ((bab - xb) ** 2).mean(),
        "an image compared with its one-way translation: the loss must compare an image "
        "with what comes back after BOTH generators": _l1(g_ab(xa), xa) + _l1(g_ba(xb), xb),
        "round trips that apply the generators in the wrong order "
        "(each round trip must start with the generator that reads its domain)": (
            _l1(g_ab(g_ba(xa)), xa) + _l1(g_ba(g_ab(xb)), xb)
        ),
        "missing absolute values (positive and negative errors cancel)": (aba - xa).mean()
        + (bab - xb).mean(),
    }
    _loss_value(got, want, wrong, "the cycle loss")
    _generator_gradients(
        got,
        want,
        g_ab,
        g_ba,
        "no gradient reaches one of the generators: keep the translations in the autograd graph "
        "(no .detach(), no torch.no_grad()), the cycle loss must train both.",
    )


@exercise("gan-beyond-identity-loss", "both generators, L1, mean over pixels and gradients match")
def identity_loss(fn, seed: int = 0):
    """``fn(xa, xb, g_ab, g_ba) -> scalar``: the identity loss of one batch (both generators)."""
    xa, xb = _two_domains(seed + 50)
    g_ab, g_ba = _gens(seed + 50)
    got = fn(xa, xb, g_ab, g_ba)
    expect_type(got, torch.Tensor, "the identity loss")
    if got.ndim != 0:
        raise Hint(
            f"the identity loss has shape {tuple(got.shape)}: it must be one number "
            "(average over the pixels)."
        )
    expect_finite(got, "the identity loss")
    want = _l1(g_ab(xb), xb) + _l1(g_ba(xa), xa)
    wrong = {
        "generators fed images from their SOURCE domain: the identity loss shows each "
        "generator an image that is already in the domain it produces": (
            _l1(g_ab(xa), xa) + _l1(g_ba(xb), xb)
        ),
        "a round trip (that is the cycle loss, not the identity loss)": _l1(g_ba(g_ab(xa)), xa)
        + _l1(g_ab(g_ba(xb)), xb),
        "only one of the two generators: the identity loss has one term per generator": _l1(
            g_ab(xb), xb
        ),
        "only one of the two generators: the identity loss has one term per generator ": _l1(
            g_ba(xa), xa
        ),
        "a squared error: the identity loss is an L1 error (absolute values)": (
            (g_ab(xb) - xb) ** 2
        ).mean()
        + ((g_ba(xa) - xa) ** 2).mean(),
    }
    _loss_value(got, want, wrong, "the identity loss")
    _generator_gradients(
        got,
        want,
        g_ab,
        g_ba,
        "no gradient reaches one of the generators: keep the outputs in the autograd graph.",
    )
