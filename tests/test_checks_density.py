"""labkit.checks.density: each check accepts a correct answer and rejects typical wrong ones."""

import numpy as np
import pytest

from labkit.checks import CheckFailed
from labkit.checks import density as C


@pytest.fixture(autouse=True)
def student_mode(monkeypatch):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)


def good_normalise(values, cell_area):
    return values / (values.sum() * cell_area)


def good_bayes(pyx, px, py):
    return pyx * px[:, None] / py[None, :]


def good_abstain(proba, log_px, threshold):
    return np.where(log_px < threshold, -1, proba.argmax(axis=1))


def stub(*args):
    raise NotImplementedError()


CASES = {
    "normalise": (
        C.normalise,
        good_normalise,
        {
            "forgot the cell area": (lambda v, a: v / v.sum(), "cell area"),
            "multiplied by the area": (lambda v, a: v / v.sum() * a, "integrates to"),
            "unnormalised": (lambda v, a: v, "integrates to"),
            "in place": (lambda v, a: np.divide(v, v.sum() * a, out=v), "in place"),
            "wrong shape": (lambda v, a: (v / (v.sum() * a))[None], "shape"),
        },
    ),
    "bayes": (
        C.bayes,
        good_bayes,
        {
            "joint, no division": (lambda pyx, px, py: pyx * px[:, None], "divide by P(y)"),
            "multiplied by P(y)": (
                lambda pyx, px, py: pyx * px[:, None] * py,
                "multiplied by P(y)",
            ),
            "transposed": (lambda pyx, px, py: (pyx * px[:, None] / py).T, "one column per class"),
            "divided by P(x)": (lambda pyx, px, py: pyx / px[:, None] * py, "off"),
        },
    ),
    "abstain": (
        C.abstain,
        good_abstain,
        {
            "inverted": (lambda p, lp, t: np.where(lp >= t, -1, p.argmax(1)), "ABOVE"),
            "never abstains": (lambda p, lp, t: p.argmax(1), "should get -1"),
            "argmax over points": (
                lambda p, lp, t: np.where(lp < t, -1, p.argmin(1)),
                "most probable",
            ),
            "float labels": (
                lambda p, lp, t: np.where(lp < t, -1.0, p.argmax(1).astype(float)),
                "dtype",
            ),
            "wrong shape": (lambda p, lp, t: np.where(lp < t, -1, p.argmax(1))[:, None], "shape"),
        },
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_check_accepts_correct_answer(name, capsys):
    check, good, _ = CASES[name]
    assert check(good) is True
    assert check(good, seed=1) is True
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("name,wrong", [(n, w) for n in CASES for w in CASES[n][2]])
def test_check_rejects_wrong_answer_with_hint(name, wrong, capsys, monkeypatch):
    check, _, wrongs = CASES[name]
    fn, hint = wrongs[wrong]
    assert check(fn) is False
    out = capsys.readouterr().out
    assert "failed" in out and hint in out, out
    monkeypatch.setenv("LABKIT_GRADING", "1")
    with pytest.raises(CheckFailed):
        check(fn)


@pytest.mark.parametrize("name", CASES)
def test_check_reports_not_implemented(name, capsys, monkeypatch):
    check = CASES[name][0]
    assert check(stub) is False
    assert "not implemented yet" in capsys.readouterr().out
    monkeypatch.setenv("LABKIT_GRADING", "1")
    with pytest.raises(CheckFailed):
        check(stub)


def test_crashing_answer_is_reported(capsys):
    assert C.bayes(lambda pyx, px, py: pyx @ px) is False
    assert "raised" in capsys.readouterr().out


def test_hints_never_reveal_the_solution(capsys):
    for name, (check, _, wrongs) in CASES.items():
        for fn, _ in wrongs.values():
            check(fn)
    out = capsys.readouterr().out
    for leak in ("values.sum() * cell_area", "p_x[:, None] / p_y", "np.where(log_px"):
        assert leak not in out


@pytest.mark.parametrize("name", CASES)
def test_check_uses_its_own_generator_and_seed_changes_the_cases(name, monkeypatch):
    """Checks neither read nor reseed the global numpy RNG; another seed gives other cases."""
    check, good, _ = CASES[name]
    np.random.seed(123)
    want = np.random.rand(3)
    np.random.seed(123)
    seen = []
    assert check(lambda *a: (seen.append([np.asarray(x).copy() for x in a]), good(*a))[1], seed=7)
    assert np.array_equal(np.random.rand(3), want)
    first7 = seen[0]
    seen.clear()
    check(lambda *a: (seen.append([np.asarray(x).copy() for x in a]), good(*a))[1], seed=0)
    assert any(a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(first7, seen[0]))


@pytest.mark.parametrize("name", CASES)
def test_typical_wrong_answer_fixture_is_rejected(name):
    """tests/grading_fixtures/wrong/density-<name>.py (the nbgrader round trip's wrong answer)
    fails."""
    from pathlib import Path

    ns = {"np": np}
    exec(
        (Path(__file__).parent / "grading_fixtures" / "wrong" / f"density-{name}.py").read_text(),
        ns,
    )
    check = CASES[name][0]
    assert check(ns[name]) is False
    assert check(ns[name], seed=1) is False
