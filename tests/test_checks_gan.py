"""Lab 05 checks accept correct answers and reject typical wrong ones."""

import pytest
import torch
import torch.nn.functional as F

import labkit.checks.gan as check
from labkit.checks import CheckFailed
from labkit.gan.losses import d_loss, g_loss_nonsaturating, g_loss_saturating


def good_d(r, f):
    return F.softplus(-r).mean() + F.softplus(f).mean()


def naive_d(r, f):  # correct maths, unstable for large logits
    return -(torch.log(torch.sigmoid(r)).mean() + torch.log(1 - torch.sigmoid(f)).mean())


def good_g(f, kind="nonsaturating"):
    return g_loss_saturating(f) if kind == "saturating" else g_loss_nonsaturating(f)


def good_step(G, D, opt_g, opt_d, real, z):
    fake = G(z)
    ld = d_loss(D(real), D(fake.detach()))
    opt_d.zero_grad()
    ld.backward()
    opt_d.step()
    lg = g_loss_nonsaturating(D(fake))
    opt_g.zero_grad()
    lg.backward()
    opt_g.step()
    return ld.item(), lg.item()


def step_no_zero_grad_d(G, D, opt_g, opt_d, real, z):
    fake = G(z)
    ld = d_loss(D(real), D(fake.detach()))
    ld.backward()
    opt_d.step()  # keeps G-step gradients in D
    lg = g_loss_nonsaturating(D(fake))
    opt_g.zero_grad()
    lg.backward()
    opt_g.step()
    return ld.item(), lg.item()


def step_g_first(G, D, opt_g, opt_d, real, z):
    lg = g_loss_nonsaturating(D(G(z)))
    opt_g.zero_grad()
    lg.backward()
    opt_g.step()
    ld = d_loss(D(real), D(G(z).detach()))
    opt_d.zero_grad()
    ld.backward()
    opt_d.step()
    return ld.item(), lg.item()


def step_saturating(G, D, opt_g, opt_d, real, z):
    fake = G(z)
    ld = d_loss(D(real), D(fake.detach()))
    opt_d.zero_grad()
    ld.backward()
    opt_d.step()
    lg = g_loss_saturating(D(fake))
    opt_g.zero_grad()
    lg.backward()
    opt_g.step()
    return ld.item(), lg.item()


def stub(*a, **k):
    raise NotImplementedError()


CASES = [
    (
        check.discriminator_loss,
        good_d,
        [
            (lambda r, f: -good_d(r, f), "sign is flipped"),
            (lambda r, f: good_d(f, r), "swapped"),
            (lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(), "times"),
            (naive_d, "softplus"),
            (lambda r, f: F.softplus(-r) + F.softplus(f), "shape"),
        ],
    ),
    (
        check.generator_loss,
        good_g,
        [
            (lambda f, kind="nonsaturating": -good_g(f, kind), "sign is flipped"),
            (lambda f, kind="nonsaturating": g_loss_nonsaturating(f), "other generator loss"),
            (
                lambda f, kind="nonsaturating": (
                    torch.log(1 - torch.sigmoid(f)).mean()
                    if kind == "saturating"
                    else -torch.log(torch.sigmoid(f)).mean()
                ),
                "inf/NaN",
            ),
        ],
    ),
    (
        check.train_step,
        good_step,
        [
            (step_no_zero_grad_d, "discriminator's parameters are off"),
            (step_g_first, "discriminator's parameters are off"),
            (step_saturating, "generator's parameters are off"),
            (lambda *a: good_step(*a)[0], "tuple"),
        ],
    ),
]


@pytest.mark.parametrize("seed", [0, 7, 123])
@pytest.mark.parametrize("chk,good,bad", CASES, ids=lambda x: getattr(x, "exercise_name", ""))
def test_checks_accept_good_and_reject_bad(chk, good, bad, seed, capsys, monkeypatch):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    assert chk(good, seed=seed) is True
    for fn, hint in bad:
        capsys.readouterr()
        assert chk(fn, seed=seed) is False, hint
        assert hint in capsys.readouterr().out, hint
    assert chk(stub, seed=seed) is False
    assert "not implemented yet" in capsys.readouterr().out
    monkeypatch.setenv("LABKIT_GRADING", "1")
    with pytest.raises(CheckFailed):
        chk(bad[0][0], seed=seed)
    assert chk(good, seed=seed) is True


@pytest.mark.parametrize(
    "chk,good", [(c[0], c[1]) for c in CASES], ids=lambda x: getattr(x, "exercise_name", "")
)
def test_checks_use_their_own_generator(chk, good):
    """A check never reseeds or draws from torch's global generator, and its cases depend on the
    seed."""
    torch.manual_seed(1234)
    state = torch.random.get_rng_state()
    assert chk(good, seed=3) is True
    assert torch.equal(torch.random.get_rng_state(), state)
    seen = {}

    def spy(*args, **kw):
        seen.setdefault(
            len(seen), [a.detach().clone() for a in args if isinstance(a, torch.Tensor)]
        )
        return good(*args, **kw)

    chk(spy, seed=0)
    first = seen.pop(0)
    seen.clear()
    chk(spy, seed=1)
    assert any(a.shape != b.shape or not torch.equal(a, b) for a, b in zip(first, seen[0]))


@pytest.mark.parametrize("chk,bad", [(c[0], fn) for c in CASES for fn, _ in c[2]])
def test_check_never_prints_the_solution(chk, bad, capsys, monkeypatch):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    chk(bad)
    out = capsys.readouterr().out
    for code in (
        "softplus(-",
        "softplus(l",
        "-softplus",
        ".detach()",
        "zero_grad()",
        ".step()",
        "def ",
    ):
        assert code not in out, (code, out)
