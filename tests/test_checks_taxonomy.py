"""Lab 06 checks accept the right answers and reject typical wrong ones (incl. the fixtures)."""

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import labkit.checks.taxonomy as check
from labkit.checks import CheckFailed
from labkit.taxonomy import flow as FL
from labkit.taxonomy import pixelcnn as P

WRONG = Path(__file__).parent / "grading_fixtures" / "wrong"
NAMES = {
    "taxonomy-mask": ("causal_mask", check.causal_mask),
    "taxonomy-bernoulli": ("bernoulli_log_likelihood", check.bernoulli_log_likelihood),
    "taxonomy-fm-loss": ("flow_matching_loss", check.flow_matching_loss),
    "taxonomy-euler": ("euler_step", check.euler_step),
}
RIGHT = {
    "taxonomy-mask": P.causal_mask,
    "taxonomy-bernoulli": P.bernoulli_log_likelihood,
    "taxonomy-fm-loss": FL.flow_matching_loss,
    "taxonomy-euler": FL.euler_step,
}


@pytest.mark.parametrize("gid", sorted(NAMES))
@pytest.mark.parametrize("seed", [0, 3, 11])
def test_right_answers_pass(gid, seed):
    assert NAMES[gid][1](RIGHT[gid], seed=seed)


@pytest.mark.parametrize("gid", sorted(NAMES))
def test_wrong_fixture_is_rejected_and_leaves_other_checks_alone(gid, capsys):
    ns = {"torch": torch, "F": F}
    exec((WRONG / f"{gid}.py").read_text(), ns)
    fn_name, chk = NAMES[gid]
    assert not chk(ns[fn_name])
    assert not chk(ns[fn_name], seed=7)
    for other, (_, other_chk) in NAMES.items():
        if other != gid:
            assert other_chk(RIGHT[other])
    assert "failed" in capsys.readouterr().out


def _raise(*a, **k):
    raise NotImplementedError()


def test_blank_answers_report_not_implemented(capsys):
    for _, chk in NAMES.values():
        assert not chk(_raise)
    assert capsys.readouterr().out.count("not implemented yet") == 4


def mask_no_centre_b(k, kind):
    return P.causal_mask(k, "A")


def mask_left_half(k, kind):  # only the centre row
    m = torch.zeros(k, k)
    m[k // 2, : k // 2 + (kind == "B")] = 1
    return m


def mask_future(k, kind):
    return 1 - P.causal_mask(k, kind)


def ll_naive(logits, x):  # right maths, underflows for confident logits
    p = torch.sigmoid(logits)
    return (x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)


def ll_total(logits, x):  # one number for the batch
    return (x * logits - F.softplus(logits)).sum()


def ll_sign(logits, x):
    return -(x * logits - F.softplus(logits)).flatten(1).sum(1)


def fm_reversed_path(velocity, x1, x0, t):
    tt = t.view(-1, 1, 1, 1)
    return ((velocity(tt * x0 + (1 - tt) * x1, t) - (x1 - x0)) ** 2).mean()


def fm_sum(velocity, x1, x0, t):
    tt = t.view(-1, 1, 1, 1)
    return ((velocity((1 - tt) * x0 + tt * x1, t) - (x1 - x0)) ** 2).sum()


def euler_backwards(velocity, x, t, dt):
    return x - dt * velocity(x, t)


def euler_no_dt(velocity, x, t, dt):
    return x + velocity(x, t)


@pytest.mark.parametrize(
    "chk,fn,hint",
    [
        (check.causal_mask, mask_no_centre_b, "excludes the centre"),
        (check.causal_mask, mask_left_half, "hides pixels"),
        (check.causal_mask, mask_future, "BELOW"),
        (check.bernoulli_log_likelihood, ll_naive, "inf/NaN"),
        (check.bernoulli_log_likelihood, ll_total, "one log-likelihood per image"),
        (check.bernoulli_log_likelihood, ll_sign, "positive"),
        (check.flow_matching_loss, fm_reversed_path, "wrong way"),
        (check.flow_matching_loss, fm_sum, "times the expected"),
        (check.euler_step, euler_backwards, "against the velocity"),
        (check.euler_step, euler_no_dt, "off"),
    ],
)
def test_typical_mistakes_get_a_hint(chk, fn, hint, capsys):
    assert not chk(fn)
    assert hint in capsys.readouterr().out


def test_grading_mode_raises(monkeypatch):
    monkeypatch.setenv("LABKIT_GRADING", "1")
    with pytest.raises(CheckFailed):
        check.euler_step(euler_backwards)
