"""labkit.checks.vae: accepts correct answers, rejects typical wrong ones with a useful hint,
raises in grading mode, and reports stubs as not implemented."""

import pytest
import torch
import torch.nn.functional as F

import labkit.checks.vae as C
from labkit.checks import CheckFailed


@pytest.fixture(autouse=True)
def _student_mode(monkeypatch):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    torch.set_num_threads(1)


def _stub(*a, **k):
    raise NotImplementedError()


# ---- reparameterisation ----
def rep_ok(mu, logvar):
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


REP_WRONG = {
    "variance instead of std": lambda mu, lv: mu + torch.exp(lv) * torch.randn_like(mu),
    "no noise": lambda mu, lv: mu + 0 * lv,
    "logvar as std": lambda mu, lv: mu + lv * torch.randn_like(mu),
    "detached": lambda mu, lv: (mu + torch.exp(0.5 * lv) * torch.randn_like(mu)).detach(),
    "torch.normal": lambda mu, lv: torch.normal(mu.detach(), torch.exp(0.5 * lv.detach())),
    "std from mu": lambda mu, lv: mu + torch.exp(0.5 * lv).detach() * torch.randn_like(mu),
}


# ---- KL ----
def kl_ok(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)


KL_WRONG = {
    "sign flipped": lambda mu, lv: -kl_ok(mu, lv),
    "no 0.5": lambda mu, lv: 2 * kl_ok(mu, lv),
    "not summed": lambda mu, lv: 0.5 * (mu.pow(2) + lv.exp() - 1 - lv),
    "mean over dims": lambda mu, lv: 0.5 * (mu.pow(2) + lv.exp() - 1 - lv).mean(1),
    "batch mean": lambda mu, lv: kl_ok(mu, lv).mean(),
    "logvar as variance": lambda mu, lv: (
        0.5 * (mu.pow(2) + lv - 1 - lv.clamp_min(1e-6).log()).sum(1)
    ),
    "minus mu^2": lambda mu, lv: 0.5 * (-mu.pow(2) + lv.exp() - 1 - lv).sum(1),
}


# ---- ELBO ----
def elbo_ok(logits, x, mu, logvar):
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(
        1
    ) - kl_ok(mu, logvar)


ELBO_WRONG = {
    "loss (sign)": lambda l, x, m, v: -elbo_ok(l, x, m, v),
    "KL added": lambda l, x, m, v: elbo_ok(l, x, m, v) + 2 * kl_ok(m, v),
    "no KL": lambda l, x, m, v: elbo_ok(l, x, m, v) + kl_ok(m, v),
    "pixel mean": lambda l, x, m, v: (
        -F.binary_cross_entropy_with_logits(l, x, reduction="none").flatten(1).mean(1) - kl_ok(m, v)
    ),
    "batch mean": lambda l, x, m, v: elbo_ok(l, x, m, v).mean(),
    "sigmoid twice": lambda l, x, m, v: elbo_ok(torch.sigmoid(l), x, m, v),
}


# ---- anomaly score ----
def score_ok(model, images):
    with torch.no_grad():
        return (model.reconstruct(images) - images).pow(2).flatten(1).sum(1)


SCORE_WRONG = {
    "logits": lambda m, x: (m(x) - x).pow(2).flatten(1).sum(1),
    "mean": lambda m, x: score_ok(m, x).mean(),
    "sqrt": lambda m, x: score_ok(m, x).sqrt(),
    "per pixel": lambda m, x: (m.reconstruct(x) - x).pow(2),
    "pixel mean": lambda m, x: score_ok(m, x) / 784,
    "absolute error": lambda m, x: (m.reconstruct(x) - x).abs().flatten(1).sum(1),
}

CASES = [
    (C.reparameterize, rep_ok, REP_WRONG),
    (C.kl_divergence, kl_ok, KL_WRONG),
    (C.elbo, elbo_ok, ELBO_WRONG),
    (C.anomaly_scores, score_ok, SCORE_WRONG),
]


@pytest.mark.parametrize("check, ok, _", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_accepts_correct_answer(check, ok, _, capsys):
    assert check(ok) is True
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "check, wrong",
    [(c, w) for c, _, ws in CASES for w in ws.values()],
    ids=[f"{c.__name__}-{k}" for c, _, ws in CASES for k in ws],
)
def test_rejects_typical_mistakes(check, wrong, capsys):
    assert check(wrong) is False
    out = capsys.readouterr().out
    assert "failed" in out
    assert "def " not in out and "0.5 * (mu" not in out  # no reference code leaks


def test_hints_name_the_mistake(capsys):
    C.reparameterize(REP_WRONG["variance instead of std"])
    assert "standard deviation" in capsys.readouterr().out
    C.kl_divergence(KL_WRONG["not summed"])
    assert "sum it over the latent" in capsys.readouterr().out
    C.kl_divergence(KL_WRONG["sign flipped"])
    assert "sign" in capsys.readouterr().out
    C.elbo(ELBO_WRONG["loss (sign)"])
    assert "sign is flipped" in capsys.readouterr().out
    C.elbo(ELBO_WRONG["pixel mean"])
    assert "sum over the 784 pixels" in capsys.readouterr().out
    C.reparameterize(REP_WRONG["torch.normal"])
    assert "autograd" in capsys.readouterr().out
    C.anomaly_scores(SCORE_WRONG["logits"])
    assert "logits" in capsys.readouterr().out


@pytest.mark.parametrize("check", [c for c, _, _ in CASES], ids=lambda c: c.__name__)
def test_stub_is_not_implemented_and_grading_raises(check, capsys, monkeypatch):
    assert check(_stub) is False
    assert "not implemented yet" in capsys.readouterr().out
    monkeypatch.setenv("LABKIT_GRADING", "1")
    with pytest.raises(CheckFailed):
        check(_stub)
    wrong = next(iter(dict((c, w) for c, _, w in CASES)[check].values()))
    with pytest.raises(CheckFailed):
        check(wrong)
    ok = dict((c, o) for c, o, _ in CASES)[check]
    assert check(ok) is True


def test_crashing_answer_is_reported(capsys):
    assert C.kl_divergence(lambda mu, lv: mu.nonexistent) is False
    assert "AttributeError" in capsys.readouterr().out


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 7, 8])  # 2-8: the hidden tests of 04
@pytest.mark.parametrize("check, ok, wrongs", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_other_seeds_accept_right_and_reject_wrong(check, ok, wrongs, seed):
    """Hidden tests call the checks with other seeds: the same verdicts there."""
    assert check(ok, seed=seed) is True
    for wrong in wrongs.values():
        assert check(wrong, seed=seed) is False


def test_checks_leave_the_global_random_state_alone():
    for check, ok, _ in CASES:
        torch.manual_seed(123)
        before = torch.rand(3)
        torch.manual_seed(123)
        check(ok, seed=1)
        assert torch.equal(torch.rand(3), before), check.__name__


def test_more_hints(capsys):
    C.anomaly_scores(SCORE_WRONG["sqrt"])
    assert "SQUARED" in capsys.readouterr().out
    C.anomaly_scores(SCORE_WRONG["pixel mean"])
    assert "784" in capsys.readouterr().out
    C.anomaly_scores(SCORE_WRONG["per pixel"])
    assert "one score per image" in capsys.readouterr().out
    C.elbo(ELBO_WRONG["sigmoid twice"])
    assert "twice" in capsys.readouterr().out


def test_hints_do_not_give_the_solution(capsys):
    for check, _, wrongs in CASES:
        for wrong in wrongs.values():
            check(wrong)
    out = capsys.readouterr().out
    for leak in (
        "exp(0.5",
        "exp(logvar / 2)",
        "mu + std",
        "randn_like",
        "binary_cross_entropy",
        "logvar.exp() - 1",
        ".pow(2).flatten",
        "reconstruct(x)",
    ):
        assert leak not in out, leak
