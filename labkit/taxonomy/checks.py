"""Self-checks for notebook 06_taxonomy.

Every check builds its cases with its own ``torch.Generator(seed)`` and compares the student's
function with a private reference (never printed); the hints say which property is violated.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from labkit.checks._core import (
    Hint,
    exercise,
    expect_close,
    expect_finite,
    expect_shape,
    expect_true,
    expect_type,
)

__all__ = ["causal_mask", "bernoulli_log_likelihood", "flow_matching_loss", "euler_step"]


def _ref_mask(k, kind):
    m, c = torch.zeros(k, k), k // 2
    m[:c] = 1
    m[c, :c] = 1
    if kind == "B":
        m[c, c] = 1
    return m


@exercise("taxonomy-mask", "masks A and B for several kernel sizes match")
def causal_mask(fn, seed: int = 0):
    """``fn(k, kind) -> (k, k)`` float mask (1 = the weight may see that input pixel)."""
    g = torch.Generator().manual_seed(seed)
    sizes = [3, 5, 7] + [int(2 * torch.randint(1, 6, (1,), generator=g) + 1)]
    for k in sizes:
        for kind in ("A", "B"):
            got = fn(k, kind)
            expect_type(got, torch.Tensor, f"causal_mask({k}, {kind!r})")
            expect_shape(got, (k, k), f"causal_mask({k}, {kind!r})")
            got = got.float()
            want, c = _ref_mask(k, kind), k // 2
            if torch.equal(got, want):
                continue
            if got[c + 1 :].any():
                raise Hint(
                    f"causal_mask({k}, {kind!r}) lets the weights see rows BELOW the centre: "
                    "those pixels come later in raster order."
                )
            if got[c, c + 1 :].any():
                raise Hint(
                    f"causal_mask({k}, {kind!r}) lets the weights see pixels RIGHT of the centre "
                    "in its row: those come later in raster order."
                )
            if kind == "A" and got[c, c] != 0:
                raise Hint(
                    f"mask A (k={k}) includes the centre: the first layer would see the very "
                    "pixel it predicts."
                )
            if kind == "B" and got[c, c] != 1:
                raise Hint(
                    f"mask B (k={k}) excludes the centre: later layers may (and should) use their "
                    "own position, which already depends only on earlier pixels."
                )
            raise Hint(
                f"causal_mask({k}, {kind!r}) hides pixels that come before the centre "
                "(every row above, and the left part of the centre row, are allowed)."
            )


@exercise("taxonomy-bernoulli", "values per image, large logits and gradients match")
def bernoulli_log_likelihood(fn, seed: int = 0):
    """``fn(logits, x) -> (N,)``: sum over pixels of log Bernoulli(x | sigmoid(logits))."""
    g = torch.Generator().manual_seed(seed)
    for shape in [(3, 1, 4, 4), (2, 1, 5, 3)]:
        logits = (3 * torch.randn(shape, generator=g, dtype=torch.float64)).requires_grad_(True)
        x = (torch.rand(shape, generator=g) < 0.5).double()
        got = fn(logits, x)
        expect_type(got, torch.Tensor, "the log-likelihood")
        if got.ndim == 0:
            raise Hint("you return one number: return one log-likelihood per image, shape (N,).")
        expect_shape(got, (shape[0],), "the log-likelihood (one value per image)")
        expect_finite(got, "the log-likelihood")
        want = (x * logits - F.softplus(logits)).flatten(1).sum(1).detach()
        if (got.detach() > 0).any():
            raise Hint(
                "some log-likelihoods are positive: a log-probability of binary pixels is <= 0."
            )
        expect_close(got, want, "the log-likelihood per image", rtol=1e-5, atol=1e-6)
        got.sum().backward()
        expect_true(
            logits.grad is not None,
            "no gradient reaches the logits: keep the computation in torch.",
        )
        expect_close(
            logits.grad,
            x - torch.sigmoid(logits.detach()),
            "d log p / d logits",
            rtol=1e-4,
            atol=1e-7,
        )
    big = torch.tensor([[60.0, -80.0, 200.0]], dtype=torch.float64)
    out = fn(big, torch.tensor([[0.0, 1.0, 1.0]], dtype=torch.float64))
    if not torch.isfinite(torch.as_tensor(out)).all():
        raise Hint(
            "for confident logits (+-60..200) the result is inf/NaN: log(sigmoid(l)) underflows. "
            "Work on the logits directly, with a numerically stable function of them."
        )
    expect_close(
        out,
        torch.tensor([-60.0 - 80.0]),
        "the log-likelihood for very confident logits",
        rtol=1e-6,
        atol=1e-4,
    )


def _toy_velocity(seed):
    """A velocity field that depends on x and t (so swapped arguments show)."""
    g = torch.Generator().manual_seed(1000 + seed)
    a, b = torch.randn(2, generator=g, dtype=torch.float64)

    def v(x, t):
        expect_true(
            isinstance(t, torch.Tensor) and t.shape == (len(x),),
            f"call the velocity with t as a tensor of shape ({len(x)},), one time per image.",
        )
        return a * x + b * t.view(-1, *([1] * (x.ndim - 1))) ** 2 + 0.3 * torch.sin(3 * x)

    return v


@exercise("taxonomy-fm-loss", "interpolant, target velocity and loss value match")
def flow_matching_loss(fn, seed: int = 0):
    """``fn(velocity, x1, x0, t) -> scalar``: mean |v(x_t, t) - (x1 - x0)|^2,
    x_t = (1 - t) x0 + t x1."""
    g = torch.Generator().manual_seed(seed)
    for shape in [(4, 1, 3, 3), (3, 2, 2, 5)]:
        v = _toy_velocity(seed)
        x1 = torch.randn(shape, generator=g, dtype=torch.float64)
        x0 = torch.randn(shape, generator=g, dtype=torch.float64)
        t = torch.rand(shape[0], generator=g, dtype=torch.float64)
        got = fn(v, x1, x0, t)
        expect_type(got, torch.Tensor, "the flow-matching loss")
        if got.ndim != 0:
            raise Hint(
                f"the loss has shape {tuple(got.shape)}: average everything into one number."
            )
        tt = t.view(-1, 1, 1, 1)
        xt = (1 - tt) * x0 + tt * x1
        want = ((v(xt, t) - (x1 - x0)) ** 2).mean()
        flipped_path = (1 - tt) * x1 + tt * x0
        if torch.allclose(
            got, ((v(flipped_path, t) - (x1 - x0)) ** 2).mean()
        ) and not torch.allclose(got, want):
            raise Hint(
                "the interpolant runs the wrong way: at t = 0 x_t must be the noise x0, "
                "at t = 1 the data x1."
            )
        if torch.allclose(got, ((v(xt, t) - (x0 - x1)) ** 2).mean()) and not torch.allclose(
            got, want
        ):
            raise Hint(
                "the target velocity points the wrong way: along the path from noise to data."
            )
        expect_close(got, want, "the flow-matching loss", rtol=1e-6, atol=1e-9)


@exercise("taxonomy-euler", "one step, at the right time, matches on several fields")
def euler_step(fn, seed: int = 0):
    """``fn(velocity, x, t, dt) -> x_next``: one Euler step of dx/dt = v(x, t)."""
    g = torch.Generator().manual_seed(seed)
    for shape, dt in [((3, 1, 2, 2), 0.1), ((2, 1, 3, 1), 0.25)]:
        v = _toy_velocity(seed + 1)
        x = torch.randn(shape, generator=g, dtype=torch.float64)
        t = torch.rand(shape[0], generator=g, dtype=torch.float64) * (1 - dt)
        got = fn(v, x.clone(), t.clone(), dt)
        expect_type(got, torch.Tensor, "the Euler step")
        expect_shape(got, shape, "the Euler step")
        want = x + dt * v(x, t)
        if torch.allclose(got, x - dt * v(x, t)) and not torch.allclose(got, want):
            raise Hint(
                "the step goes against the velocity: time runs forward from 0 (noise) to 1 (data)."
            )
        if torch.allclose(got, x + dt * v(x, t + dt)) and not torch.allclose(got, want):
            raise Hint(
                "the velocity is evaluated at the END of the step: Euler uses the current time t."
            )
        expect_close(got, want, "the Euler step", rtol=1e-6, atol=1e-9)
