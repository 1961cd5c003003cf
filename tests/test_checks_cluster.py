"""The notebook 01/02 self-checks accept correct answers and reject the typical wrong ones."""

import inspect

import pytest
import torch

from labkit.checks import CheckFailed
from labkit.cluster import kmeans_checks as ck
from labkit.cluster import meanshift_checks as cm


def assign_ok(X, C):
    return ((X[:, None] - C[None]) ** 2).sum(-1).argmin(1)


def assign_argmax(X, C):
    return torch.cdist(X, C).argmax(1)


def assign_matrix(X, C):
    return torch.cdist(X, C)


def assign_wrong_axis(X, C):  # distances summed over the points, not the features
    return ((X[:, None] - C[None]) ** 2).sum(0).argmin(1).repeat(len(X))[: len(X)]


def update_ok(X, labels, k):
    return torch.stack([X[labels == j].mean(0) for j in range(k)])


def update_sums(X, labels, k):
    return torch.stack([X[labels == j].sum(0) for j in range(k)])


def update_all(X, labels, k):
    return X.mean(0).expand(k, -1).clone()


def pp_ok(X, C):
    d2 = ((X[:, None] - C[None]) ** 2).sum(-1).min(1).values
    return d2 / d2.sum()


def pp_not_squared(X, C):
    d = torch.cdist(X, C).min(1).values
    return d / d.sum()


def pp_not_normalised(X, C):
    return ((X[:, None] - C[None]) ** 2).sum(-1).min(1).values


def pp_farthest(X, C):
    d2 = ((X[:, None] - C[None]) ** 2).sum(-1).max(1).values
    return d2 / d2.sum()


def pp_summed(X, C):  # distance to all chosen centres, not the nearest
    d2 = ((X[:, None] - C[None]) ** 2).sum(-1).sum(1)
    return d2 / d2.sum()


def pp_matrix(X, C):
    d2 = ((X[:, None] - C[None]) ** 2).sum(-1)
    return d2 / d2.sum()


def step_ok(X, S, bw):
    inside = (torch.cdist(S, X) <= bw).double()
    n = inside.sum(1, keepdim=True)
    return torch.where(n > 0, inside @ X / n.clamp(min=1), S)


def step_nan(X, S, bw):  # divides by zero for a lonely seed
    inside = (torch.cdist(S, X) <= bw).double()
    return inside @ X / inside.sum(1, keepdim=True)


def step_vector(X, S, bw):
    return step_ok(X, S, bw) - S


def step_all(X, S, bw):
    return X.mean(0).expand(len(S), -1).clone()


def step_gaussian(X, S, bw):
    w = torch.exp(-(torch.cdist(S, X) ** 2) / (2 * bw * bw))
    return w @ X / w.sum(1, keepdim=True)


def todo(*args):
    raise NotImplementedError()


CASES = [
    (ck.assign, assign_ok, [assign_argmax, assign_matrix, assign_wrong_axis]),
    (ck.update, update_ok, [update_sums, update_all]),
    (
        ck.kmeanspp_probs,
        pp_ok,
        [pp_not_squared, pp_not_normalised, pp_farthest, pp_summed, pp_matrix],
    ),
    (cm.step, step_ok, [step_nan, step_vector, step_all, step_gaussian]),
]


@pytest.mark.parametrize("check, good, bads", CASES)
def test_student_mode(check, good, bads, monkeypatch, capsys):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    assert check(good) is True
    assert "passed" in capsys.readouterr().out
    for bad in bads:
        assert check(bad) is False, bad.__name__
        assert "failed" in capsys.readouterr().out
    assert check(todo) is False
    assert "not implemented yet" in capsys.readouterr().out


@pytest.mark.parametrize("check, good, bads", CASES)
def test_grading_mode(check, good, bads, monkeypatch):
    monkeypatch.setenv("LABKIT_GRADING", "1")
    assert check(good) is True
    hidden = (
        dict(seed=7) if "seed" in inspect.signature(check).parameters else dict(seeds=(7, 8, 9))
    )
    assert check(good, **hidden) is True  # the hidden-test cases
    for bad in bads:
        with pytest.raises(CheckFailed):
            check(bad, **hidden)
    for bad in bads:
        with pytest.raises(CheckFailed):
            check(bad)
    with pytest.raises(CheckFailed, match="not implemented"):
        check(todo)


def test_hints_name_the_mistake(monkeypatch, capsys):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    ck.assign(assign_argmax)
    assert "FARTHEST" in capsys.readouterr().out
    ck.update(update_sums)
    assert "SUMS" in capsys.readouterr().out
    ck.kmeanspp_probs(pp_not_squared)
    assert "SQUARED" in capsys.readouterr().out
    ck.kmeanspp_probs(pp_not_normalised)
    assert "sum to 1" in capsys.readouterr().out
    ck.kmeanspp_probs(pp_farthest)
    assert "FARTHEST" in capsys.readouterr().out
    ck.kmeanspp_probs(pp_summed)
    assert "already a centre" in capsys.readouterr().out
    cm.step(step_vector)
    assert "VECTOR" in capsys.readouterr().out
    cm.step(step_nan)
    assert "stay where it is" in capsys.readouterr().out


def test_kmeans_checks_use_their_own_generator():
    """A check neither reads nor changes the global torch RNG, and seed=7 builds other cases."""
    torch.manual_seed(123)
    a = torch.rand(3)
    torch.manual_seed(123)
    ck.assign(assign_ok, seed=7)
    ck.update(update_ok, seed=7)
    ck.kmeanspp_probs(pp_ok, seed=7)
    assert torch.equal(torch.rand(3), a)
    assert list(ck._seeds(0, None)) != list(ck._seeds(7, None))


def test_kmeans_hints_never_reveal_the_solution(monkeypatch, capsys):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    for check, _, bads in CASES[:3]:
        for bad in bads:
            check(bad)
    out = capsys.readouterr().out
    for leak in ("X[:, None", "C[None", "cdist", "index_add", "bincount", ".min(1)", "/ d2.sum()"):
        assert leak not in out, leak


WRONG = __import__("pathlib").Path(__file__).parent / "grading_fixtures" / "wrong"


@pytest.mark.parametrize(
    "gid, check, name",
    [
        ("kmeans-assign", ck.assign, "assign"),
        ("kmeans-update", ck.update, "update"),
        ("kmeans-pp-probs", ck.kmeanspp_probs, "kmeanspp_probs"),
    ],
)
def test_typical_wrong_answer_fixture_is_rejected(gid, check, name, monkeypatch):
    """tests/grading_fixtures/wrong/<grade_id>.py (the nbgrader round trip's wrong answer) fails
    its check."""
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    ns = {"torch": torch}
    exec((WRONG / f"{gid}.py").read_text(), ns)
    assert check(ns[name]) is False
    assert check(ns[name], seed=7) is False
