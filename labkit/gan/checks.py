"""Self-checks for notebook 05_gan.

Each check runs the student's function on small seeded cases and compares it with labkit's own
losses / a private reference step (never printed).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from labkit.checks._core import (
    Hint,
    exercise,
    expect_close,
    expect_finite,
    expect_true,
    expect_type,
)

__all__ = ["discriminator_loss", "generator_loss", "train_step"]


def _logits(n, g, scale=2.0):
    return scale * torch.randn(n, generator=g, dtype=torch.float64)


def _sizes(g, k=2):
    """``k`` batch sizes in 2..9 from the check's own generator (never equal in a pair when k=2)."""
    a = int(torch.randint(2, 10, (1,), generator=g))
    return [a] + [2 + (a + 1 + i) % 8 for i in range(k - 1)]


def _scalar(out, what):
    expect_type(out, torch.Tensor, what)
    if out.ndim != 0:
        raise Hint(
            f"{what} has shape {tuple(out.shape)}: average over the batch to return one number "
            "(a 0-d tensor)."
        )
    expect_finite(out, what)
    return out


@exercise("gan-d-loss", "values, gradients and large logits match")
def discriminator_loss(fn, seed: int = 0):
    """``fn(real_logits, fake_logits) -> scalar``: -E log D(x) - E log(1 - D(G(z))).

    Cases come from ``torch.Generator().manual_seed(seed)``: one with equal batch sizes (to spot
    swapped arguments), one with different sizes (to spot a sum instead of a mean)."""
    from labkit.gan.losses import d_loss

    g = torch.Generator().manual_seed(seed)
    n = _sizes(g)
    for n_real, n_fake in ((n[0], n[0]), (n[0], n[1])):
        r, f = _logits(n_real, g).requires_grad_(True), _logits(n_fake, g).requires_grad_(True)
        got = _scalar(fn(r, f), "the discriminator loss")
        want = d_loss(r.detach(), f.detach())
        swapped = d_loss(f.detach(), r.detach()) if n_real == n_fake else None
        if (
            swapped is not None
            and torch.allclose(got.detach(), swapped, atol=1e-6)
            and not torch.allclose(swapped, want, atol=1e-6)
        ):
            raise Hint(
                "real and fake are swapped: the discriminator should output 1 (real) "
                "on real_logits and 0 on fake_logits."
            )
        expect_close(got, want, "the discriminator loss", rtol=1e-5, atol=1e-6)
        got.backward()
        expect_true(
            r.grad is not None and f.grad is not None,
            "no gradient reaches the logits: keep the computation in torch (no .item(), numpy).",
        )
        expect_close(
            r.grad,
            -torch.sigmoid(-r.detach()) / n_real,
            "d loss / d real_logits",
            rtol=1e-4,
            atol=1e-7,
        )
    # a confident discriminator: logits of +-60..100 must not give inf/NaN
    big = 60 + 40 * torch.rand(2, generator=g, dtype=torch.float64)
    out = fn(-big, big)
    expect_type(out, torch.Tensor, "the discriminator loss")
    if not torch.isfinite(out):
        raise Hint(
            f"for logits of +-{float(big.min()):.0f}..{float(big.max()):.0f} the loss is inf/NaN: "
            "log(sigmoid(.)) underflows to log(0) when D is confident. Rewrite each log term as a "
            "function of the logit that never takes log(0) (softplus, or a cross-entropy that "
            "accepts logits)."
        )


@exercise("gan-g-loss", "saturating and non-saturating values and gradients match")
def generator_loss(fn, seed: int = 0):
    """``fn(fake_logits, kind) -> scalar`` with kind ``"saturating"``: E log(1 - D(G(z))) or
    ``"nonsaturating"``: -E log D(G(z)) (both minimised by the generator). Cases from ``seed``."""
    from labkit.gan.losses import g_loss_nonsaturating, g_loss_saturating

    g = torch.Generator().manual_seed(seed)
    sizes = _sizes(g)
    for kind, ref in (("saturating", g_loss_saturating), ("nonsaturating", g_loss_nonsaturating)):
        for n in sizes:
            f = _logits(n, g).requires_grad_(True)
            got = _scalar(fn(f, kind), f"the {kind} generator loss")
            want = ref(f.detach())
            other = (g_loss_nonsaturating if kind == "saturating" else g_loss_saturating)(
                f.detach()
            )
            if torch.allclose(got.detach(), other, atol=1e-6) and not torch.allclose(
                other, want, atol=1e-6
            ):
                raise Hint(f"for kind={kind!r} you return the other generator loss.")
            expect_close(got, want, f"the {kind} generator loss", rtol=1e-5, atol=1e-6)
            got.backward()
            expect_true(
                f.grad is not None,
                "no gradient reaches fake_logits: keep the computation in torch.",
            )
            f2 = f.detach().clone().requires_grad_(True)
            ref(f2).backward()
            expect_close(f.grad, f2.grad, f"d {kind} loss / d fake_logits", rtol=1e-4, atol=1e-7)
        big = torch.tensor([-900.0, 60.0], dtype=torch.float64)
        out = fn(big, kind)
        expect_type(out, torch.Tensor, f"the {kind} generator loss")
        if not torch.isfinite(out):
            raise Hint(
                f"the {kind} loss is inf/NaN for very confident logits (-900 and 60): "
                "compute it from logits with softplus instead of log(sigmoid(.))."
            )


# ---- one alternating step -------------------------------------------------------------------
def _toy_models(g):
    """Tiny G and D initialised from the check's own generator ``g`` (no global seeding)."""

    def lin(i, o):  # uninitialised: draws nothing from torch's global RNG
        return nn.utils.skip_init(nn.Linear, i, o, dtype=torch.float64)

    G = nn.Sequential(lin(2, 16), nn.ReLU(), lin(16, 2))
    D = nn.Sequential(lin(2, 16), nn.LeakyReLU(0.2), lin(16, 1), nn.Flatten(0))
    with torch.no_grad():
        for p in list(G.parameters()) + list(D.parameters()):
            p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return G, D


def _reference_step(G, D, opt_g, opt_d, real, z):
    from labkit.gan.losses import d_loss, g_loss_nonsaturating

    fake = G(z)
    loss_d = d_loss(D(real), D(fake.detach()))
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    loss_g = g_loss_nonsaturating(D(fake))
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()


def _params(m):
    return torch.cat([p.detach().flatten() for p in m.parameters()])


@exercise("gan-train-step", "two consecutive steps update D then G exactly like the reference")
def train_step(fn, seed: int = 0):
    """``fn(G, D, opt_g, opt_d, real, z) -> (d_loss, g_loss)``: one discriminator update on
    ``real`` and ``G(z)``, then one generator update (non-saturating loss) against the updated D.
    Two pairs of toy models and batches, all from ``torch.Generator().manual_seed(seed)``."""
    g = torch.Generator().manual_seed(seed)
    for _ in range(2):
        G, D = _toy_models(g)
        Gr, Dr = copy.deepcopy(G), copy.deepcopy(D)
        opts = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (G, D)]
        opts_r = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (Gr, Dr)]
        for it in range(2):  # two steps: catches missing zero_grad
            real = torch.randn(8, 2, generator=g, dtype=torch.float64) + 2
            z = torch.randn(8, 2, generator=g, dtype=torch.float64)
            d0 = _params(D)
            out = fn(G, D, opts[0], opts[1], real, z)
            want = _reference_step(Gr, Dr, opts_r[0], opts_r[1], real, z)
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise Hint("return the two losses as a tuple (d_loss, g_loss).")
            if torch.equal(d0, _params(D)):
                raise Hint(
                    "the discriminator's parameters did not change: its optimiser never took "
                    "a step after the discriminator loss was backpropagated."
                )
            dd = (_params(D) - _params(Dr)).abs().max().item()
            if dd > 1e-8:
                raise Hint(
                    f"after step {it + 1} the discriminator's parameters are off by up to "
                    f"{dd:.2g}. D must be updated first, on the real batch and on fakes that "
                    "carry no gradient back into G, with D's old gradients cleared before its "
                    "backward (the generator step leaves gradients in D)."
                )
            dg = (_params(G) - _params(Gr)).abs().max().item()
            if dg > 1e-8:
                raise Hint(
                    f"after step {it + 1} the generator's parameters are off by up to {dg:.2g}. "
                    "G must be updated second, with the non-saturating loss scored by the "
                    "*updated* D, its old gradients cleared first (the D step may leave some "
                    "in G if the fakes were not cut from G's graph)."
                )
            for name, o, w in (("d_loss", out[0], want[0]), ("g_loss", out[1], want[1])):
                expect_close(
                    torch.as_tensor(float(o)),
                    torch.as_tensor(w),
                    f"the returned {name}",
                    rtol=1e-6,
                    atol=1e-8,
                )
