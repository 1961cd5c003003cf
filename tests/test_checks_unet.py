"""labkit.checks.unet: each check accepts a correct answer and rejects typical wrong ones."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from labkit.checks import CheckFailed
from labkit.checks import unet as checks


# ---------------------------------------------------------------- double conv
def double_conv_ok(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
    )


def double_conv_nobias(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def double_conv_nopad(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
        nn.Conv2d(cout, cout, 3),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
    )


def double_conv_relu_before_bn(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.ReLU(),
        nn.BatchNorm2d(cout),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.ReLU(),
        nn.BatchNorm2d(cout),
    )


def double_conv_one(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


def double_conv_no_bn(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.ReLU(),
    )


# ---------------------------------------------------------------- up step
def up_ok(x, skip, up, conv):
    y = up(x)
    dh, dw = skip.shape[2] - y.shape[2], skip.shape[3] - y.shape[3]
    y = F.pad(y, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2])
    return conv(torch.cat([skip, y], dim=1))


def up_swapped(x, skip, up, conv):
    y = up(x)
    dh, dw = skip.shape[2] - y.shape[2], skip.shape[3] - y.shape[3]
    y = F.pad(y, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2])
    return conv(torch.cat([y, skip], dim=1))


def up_no_crop(x, skip, up, conv):
    return conv(torch.cat([skip, up(x)], dim=1))


def up_interpolate(x, skip, up, conv):  # resizes instead of padding/cropping: values differ
    y = F.interpolate(up(x), size=skip.shape[-2:])
    return conv(torch.cat([skip, y], dim=1))


def up_add(x, skip, up, conv):
    return conv(torch.cat([skip + 0 * skip, skip], dim=1))


# ---------------------------------------------------------------- dice
def dice_ok(logits, target, eps=1.0):
    k = logits.shape[1]
    p = logits.softmax(1)
    t = F.one_hot(target, k).permute(0, 3, 1, 2).float()
    inter = (p * t).sum((0, 2, 3))
    den = p.sum((0, 2, 3)) + t.sum((0, 2, 3))
    return 1 - ((2 * inter + eps) / (den + eps)).mean()


def dice_coefficient(logits, target, eps=1.0):
    return 1 - dice_ok(logits, target, eps)


def dice_no_softmax(logits, target, eps=1.0):
    k = logits.shape[1]
    t = F.one_hot(target, k).permute(0, 3, 1, 2).float()
    inter, den = (logits * t).sum((0, 2, 3)), logits.sum((0, 2, 3)) + t.sum((0, 2, 3))
    return 1 - ((2 * inter + eps) / (den + eps)).mean()


def dice_no_eps(logits, target, eps=1.0):
    return dice_ok(logits, target, 0.0)


def dice_per_class_vector(logits, target, eps=1.0):
    k = logits.shape[1]
    p = logits.softmax(1)
    t = F.one_hot(target, k).permute(0, 3, 1, 2).float()
    return 1 - (2 * (p * t).sum((0, 2, 3)) + eps) / (p.sum((0, 2, 3)) + t.sum((0, 2, 3)) + eps)


def dice_detached(logits, target, eps=1.0):
    return dice_ok(logits.detach(), target, eps)


def todo(*a, **k):
    raise NotImplementedError()


CASES = [
    (
        checks.double_conv,
        [double_conv_ok, double_conv_nobias],
        [double_conv_nopad, double_conv_relu_before_bn, double_conv_one, double_conv_no_bn],
    ),
    (checks.up_step, [up_ok], [up_swapped, up_no_crop, up_interpolate, up_add]),
    (
        checks.dice_loss,
        [dice_ok],
        [dice_coefficient, dice_no_softmax, dice_no_eps, dice_per_class_vector, dice_detached],
    ),
]


@pytest.mark.parametrize("check,good,bad", CASES, ids=["double_conv", "up_step", "dice"])
def test_student_mode(check, good, bad, monkeypatch, capsys):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    for fn in good:
        assert check(fn) is True, fn.__name__
        assert check(fn, seed=1) is True, fn.__name__
    for fn in bad:
        assert check(fn) is False, fn.__name__
    out = capsys.readouterr().out
    assert "failed" in out and "passed" in out


@pytest.mark.parametrize("check,good,bad", CASES, ids=["double_conv", "up_step", "dice"])
def test_grading_mode_raises(check, good, bad, monkeypatch):
    monkeypatch.setenv("LABKIT_GRADING", "1")
    assert check(good[0]) is True
    for fn in bad:
        with pytest.raises(CheckFailed):
            check(fn)


@pytest.mark.parametrize("check", [c for c, _, _ in CASES])
def test_not_implemented(check, monkeypatch, capsys):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    assert check(todo) is False
    assert "not implemented yet" in capsys.readouterr().out
    monkeypatch.setenv("LABKIT_GRADING", "1")
    with pytest.raises(CheckFailed):
        check(todo)


def test_hints_are_specific(monkeypatch, capsys):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    checks.up_step(up_swapped)
    checks.dice_loss(dice_coefficient)
    checks.dice_loss(dice_no_softmax)
    checks.double_conv(double_conv_nopad)
    out = capsys.readouterr().out
    assert "wrong order" in out and "1 - Dice" in out and "softmax" in out and "padding=1" in out


# ---------------------------------------------------------------- grading: seeds, fixtures
def test_checks_vary_with_seed(monkeypatch):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    shapes = []

    def spy_up(x, skip, up, conv):
        shapes.append((tuple(x.shape), tuple(skip.shape), float(x.sum())))
        return up_ok(x, skip, up, conv)

    assert checks.double_conv(double_conv_ok, seed=0) and checks.double_conv(double_conv_ok, seed=2)
    assert checks.up_step(spy_up, seed=0) and checks.up_step(spy_up, seed=1)
    assert checks.dice_loss(dice_ok, seed=3)
    assert shapes[:3] != shapes[3:]  # other seeds, other cases (values and shapes)
    assert {s[:2] for s in shapes[:3]} != {s[:2] for s in shapes[3:]}


def test_checks_do_not_reseed_globally(monkeypatch):
    """Cases come from the check's own generator: the global RNG is never reseeded (a student's
    nn.Conv2d may still draw from it when it initialises its weights)."""
    import inspect

    src = inspect.getsource(checks)
    assert "torch.manual_seed" not in src and "np.random.seed" not in src
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    torch.manual_seed(123)
    want = torch.rand(3)
    torch.manual_seed(123)
    checks.dice_loss(dice_ok, seed=1)  # the student's function draws nothing here
    assert torch.equal(torch.rand(3), want)


WRONG = __import__("pathlib").Path(__file__).parent / "grading_fixtures" / "wrong"


@pytest.mark.parametrize(
    "grade_id, check, name",
    [
        ("unet-double-conv", checks.double_conv, "double_conv"),
        ("unet-up-step", checks.up_step, "up_step"),
        ("unet-dice", checks.dice_loss, "dice_loss"),
    ],
)
def test_wrong_fixture_is_rejected(grade_id, check, name, monkeypatch):
    """tests/grading_fixtures/wrong/<grade_id>.py: a typical wrong answer that its own check
    rejects, on the public and on the hidden seed."""
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    ns = {"torch": torch, "F": F, "nn": nn}
    exec((WRONG / f"{grade_id}.py").read_text(), ns)
    assert check(ns[name]) is False
    assert check(ns[name], seed=1) is False and check(ns[name], seed=3) is False
