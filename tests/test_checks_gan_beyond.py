"""Lab 05b checks accept correct answers and reject typical wrong ones with the right hint."""

import pytest
import torch
import torch.nn.functional as F

import labkit.checks.gan_beyond as check
from labkit.checks import CheckFailed


def good_fade(old, new, alpha):
    return (1 - alpha) * F.interpolate(old, scale_factor=2, mode="nearest") + alpha * new


def good_cycle(xa, xb, g_ab, g_ba):
    return (g_ba(g_ab(xa)) - xa).abs().mean() + (g_ab(g_ba(xb)) - xb).abs().mean()


def good_identity(xa, xb, g_ab, g_ba):
    return (g_ab(xb) - xb).abs().mean() + (g_ba(xa) - xa).abs().mean()


def up(x):
    return F.interpolate(x, scale_factor=2, mode="nearest")


def stub(*a, **k):
    raise NotImplementedError()


CASES = [
    (
        check.fade_in,
        good_fade,
        [
            (lambda o, n, a: a * up(o) + (1 - a) * n, "swapped"),
            (lambda o, n, a: (1 - a) * o + a * n, "resolution"),
            (lambda o, n, a: (1 - a) * o.repeat(1, 1, 2, 2) + a * n, "alpha = 0"),
            (
                lambda o, n, a: (1 - a) * F.interpolate(o, scale_factor=2, mode="bilinear") + a * n,
                "nearest",
            ),
            (lambda o, n, a: up(o) + a * n, "alpha = 1"),
            (lambda o, n, a: ((1 - a) * up(o) + a * n).detach(), "gradient"),
            (lambda o, n, a: (1 - a) * up(o).detach() + a * n, "gradient"),
            (lambda o, n, a: 0.5 * up(o) + 0.5 * n, "alpha = 0"),
        ],
    ),
    (
        check.cycle_loss,
        good_cycle,
        [
            (lambda xa, xb, ab, ba: (ba(ab(xa)) - xa).abs().mean(), "A -> B -> A"),
            (lambda xa, xb, ab, ba: (ab(ba(xb)) - xb).abs().mean(), "B -> A -> B"),
            (
                lambda xa, xb, ab, ba: (
                    ((ba(ab(xa)) - xa) ** 2).mean() + ((ab(ba(xb)) - xb) ** 2).mean()
                ),
                "squared",
            ),
            (
                lambda xa, xb, ab, ba: (ab(xa) - xa).abs().mean() + (ba(xb) - xb).abs().mean(),
                "BOTH generators",
            ),
            (
                lambda xa, xb, ab, ba: (
                    (ab(ba(xa)) - xa).abs().mean() + (ba(ab(xb)) - xb).abs().mean()
                ),
                "wrong order",
            ),
            (
                lambda xa, xb, ab, ba: (ba(ab(xa)) - xa).mean() + (ab(ba(xb)) - xb).mean(),
                "absolute",
            ),
            (
                lambda xa, xb, ab, ba: (
                    (ba(ab(xa)) - xa).abs().sum() + (ab(ba(xb)) - xb).abs().sum()
                ),
                "off",
            ),
            (lambda xa, xb, ab, ba: good_cycle(xa, xb, ab, ba).detach(), "gradient"),
            (lambda xa, xb, ab, ba: (ba(ab(xa)) - xa).abs().mean(dim=(1, 2, 3)), "shape"),
        ],
    ),
    (
        check.identity_loss,
        good_identity,
        [
            (
                lambda xa, xb, ab, ba: (ab(xa) - xa).abs().mean() + (ba(xb) - xb).abs().mean(),
                "SOURCE",
            ),
            (lambda xa, xb, ab, ba: good_cycle(xa, xb, ab, ba), "round trip"),
            (lambda xa, xb, ab, ba: (ab(xb) - xb).abs().mean(), "one of the two"),
            (lambda xa, xb, ab, ba: (ba(xa) - xa).abs().mean(), "one of the two"),
            (
                lambda xa, xb, ab, ba: ((ab(xb) - xb) ** 2).mean() + ((ba(xa) - xa) ** 2).mean(),
                "squared",
            ),
            (lambda xa, xb, ab, ba: good_identity(xa, xb, ab, ba).detach(), "gradient"),
        ],
    ),
]


@pytest.mark.parametrize("chk,good", [(c, g) for c, g, _ in CASES])
@pytest.mark.parametrize("seed", [0, 1, 2, 7])
def test_accepts_the_right_answer(chk, good, seed, capsys):
    assert chk(good, seed=seed) is True
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("chk,bad,hint", [(c, b, h) for c, _, bads in CASES for b, h in bads])
@pytest.mark.parametrize("seed", [0, 3])
def test_rejects_a_typical_mistake_with_its_hint(chk, bad, hint, seed, capsys):
    assert chk(bad, seed=seed) is False
    out = capsys.readouterr().out
    assert "failed" in out and hint in out, out


@pytest.mark.parametrize("chk", [c for c, _, _ in CASES])
def test_unanswered_says_not_implemented_and_raises_when_grading(chk, capsys, monkeypatch):
    assert chk(stub) is False
    assert "not implemented yet" in capsys.readouterr().out
    monkeypatch.setenv("LABKIT_GRADING", "1")
    with pytest.raises(CheckFailed):
        chk(stub, seed=5)


def test_checks_do_not_touch_the_global_rng():
    torch.manual_seed(123)
    want = torch.rand(3)
    torch.manual_seed(123)
    for chk, good, _ in CASES:
        chk(good, seed=4)
    assert torch.equal(torch.rand(3), want)


def test_cases_depend_on_the_seed():
    seen = []

    def spy(old, new, alpha):
        seen.append(tuple(old.shape))
        return good_fade(old, new, alpha)

    check.fade_in(spy, seed=0)
    check.fade_in(spy, seed=1)
    assert seen[0] != seen[-1]


def test_hints_never_print_the_reference(capsys):
    for chk, _, bads in CASES:
        for bad, _ in bads:
            chk(bad)
    out = capsys.readouterr().out
    for leak in ("interpolate(", "repeat_interleave", ".abs().mean()", "(1 - alpha)"):
        assert leak not in out
