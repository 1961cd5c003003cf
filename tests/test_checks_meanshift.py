"""labkit.checks.meanshift (notebook 02): each check accepts the right answer, rejects each typical
mistake with the hint that names it, varies its cases with the seed, and never reseeds globally."""

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from labkit.checks import CheckFailed
from labkit.cluster import meanshift_checks as cm

WRONG = Path(__file__).parent / "grading_fixtures" / "wrong"


# ---------------------------------------------------------------- merge
def merge_ok(modes, intensity, bw):
    kept = []
    for i in torch.argsort(intensity, descending=True).tolist():
        if all(float((modes[i] - modes[j]).norm()) > bw for j in kept):
            kept.append(i)
    return modes[kept]


def merge_vectorised(modes, intensity, bw):  # another right answer: a boolean mask
    order = torch.argsort(intensity, descending=True)
    m = modes[order]
    d = torch.cdist(m, m)
    keep = torch.ones(len(m), dtype=torch.bool)
    for i in range(len(m)):
        if keep[i]:
            keep[(d[i] <= bw) & (torch.arange(len(m)) > i)] = False
    return m[keep]


def merge_unsorted(modes, intensity, bw):
    kept = []
    for i in range(len(modes)):
        if all(float((modes[i] - modes[j]).norm()) > bw for j in kept):
            kept.append(i)
    return modes[kept]


def merge_ascending(modes, intensity, bw):
    kept = []
    for i in torch.argsort(intensity).tolist():
        if all(float((modes[i] - modes[j]).norm()) > bw for j in kept):
            kept.append(i)
    return modes[kept]


def merge_against_all(modes, intensity, bw):  # a dropped mode still removes its neighbours
    order = torch.argsort(intensity, descending=True).tolist()
    kept = [
        i
        for k, i in enumerate(order)
        if all(float((modes[i] - modes[j]).norm()) > bw for j in order[:k])
    ]
    return modes[kept]


def merge_nothing(modes, intensity, bw):
    return modes[torch.argsort(intensity, descending=True)]


def merge_index_order(modes, intensity, bw):  # right modes, returned in input order
    keep = merge_ok(modes, intensity, bw)
    mask = torch.cdist(modes, keep).min(1).values < 1e-12
    return modes[mask]


# ---------------------------------------------------------------- features
def features_ok(image, spatial):
    H, W, _ = image.shape
    r, c = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    S = max(H, W)
    return np.column_stack([image.reshape(-1, 3), spatial * r.ravel() / S, spatial * c.ravel() / S])


def features_torch(image, spatial):  # a tensor is fine too
    return torch.as_tensor(features_ok(image, spatial))


def features_swapped(image, spatial):
    f = features_ok(image, spatial)
    return f[:, [0, 1, 2, 4, 3]]


def features_no_spatial(image, spatial):
    return features_ok(image, 1.0)


def features_pixels(image, spatial):
    return features_ok(image, spatial) * np.array(
        [1, 1, 1, max(image.shape[:2])] * 1 + [max(image.shape[:2])]
    )


def features_per_side(image, spatial):
    H, W, _ = image.shape
    r, c = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    return np.column_stack([image.reshape(-1, 3), spatial * r.ravel() / H, spatial * c.ravel() / W])


def features_linspace(image, spatial):
    H, W, _ = image.shape
    r, c = np.meshgrid(np.linspace(0, 1, H), np.linspace(0, 1, W), indexing="ij")
    return np.column_stack([image.reshape(-1, 3), spatial * r.ravel(), spatial * c.ravel()])


def features_fortran(image, spatial):  # pixels column by column
    H, W, _ = image.shape
    r, c = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    S = max(H, W)
    return np.column_stack(
        [image.reshape(-1, 3, order="F"), spatial * r.ravel("F") / S, spatial * c.ravel("F") / S]
    )


def features_image_shaped(image, spatial):
    H, W, _ = image.shape
    return features_ok(image, spatial).reshape(H, W, 5)


def todo(*a, **k):
    raise NotImplementedError()


CASES = {
    "merge": (
        cm.merge,
        [merge_ok, merge_vectorised],
        [
            (merge_unsorted, "strongest first"),
            (merge_ascending, "strongest first"),
            (merge_against_all, "KEPT"),
            (merge_nothing, "nothing was merged"),
            (merge_index_order, "wrong order"),
        ],
        dict(seeds=(5, 6, 7)),
    ),
    "features": (
        cm.features,
        [features_ok, features_torch],
        [
            (features_swapped, "swapped"),
            (features_no_spatial, "spatial weight"),
            (features_pixels, "in pixels"),
            (features_per_side, "same length"),
            (features_linspace, "same length"),
            (features_fortran, "row-major"),
            (features_image_shaped, "one ROW per pixel"),
        ],
        dict(seed=3),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_accepts_right_rejects_wrong_with_hint(name, monkeypatch, capsys):
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    check, goods, bads, other = CASES[name]
    for fn in goods:
        assert check(fn) is True, fn.__name__
        assert check(fn, **other) is True, fn.__name__
    capsys.readouterr()
    for fn, hint in bads:
        assert check(fn) is False, fn.__name__
        out = capsys.readouterr().out
        assert hint in out, (fn.__name__, out)
        assert check(fn, **other) is False, fn.__name__
    assert check(todo) is False
    assert "not implemented yet" in capsys.readouterr().out


@pytest.mark.parametrize("name", CASES)
def test_grading_mode_raises(name, monkeypatch):
    monkeypatch.setenv("LABKIT_GRADING", "1")
    check, goods, bads, other = CASES[name]
    assert check(goods[0], **other) is True
    for fn, _ in bads:
        with pytest.raises(CheckFailed):
            check(fn, **other)
    with pytest.raises(CheckFailed, match="not implemented"):
        check(todo)


def test_step_hidden_seeds(monkeypatch):
    monkeypatch.setenv("LABKIT_GRADING", "1")

    def step_ok(X, S, bw):
        inside = (torch.cdist(S, X) <= bw).double()
        n = inside.sum(1, keepdim=True)
        return torch.where(n > 0, inside @ X / n.clamp(min=1), S)

    def step_vector(X, S, bw):
        return step_ok(X, S, bw) - S

    assert cm.step(step_ok, seeds=(5, 6, 7))
    with pytest.raises(CheckFailed, match="VECTOR"):
        cm.step(step_vector, seeds=(5, 6, 7))


def test_seeds_change_the_cases_and_leave_global_rng_alone():
    seen = []

    def spy_merge(modes, intensity, bw):
        seen.append((modes.shape, float(modes.sum())))
        return merge_ok(modes, intensity, bw)

    def spy_features(image, spatial):
        seen.append((image.shape, float(image.sum())))
        return features_ok(image, spatial)

    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    np.random.seed(0)
    np_before = np.random.rand(3)
    np.random.seed(0)
    cm.merge(spy_merge, seeds=(0,))
    cm.merge(spy_merge, seeds=(5,))
    cm.features(spy_features, seed=0)
    cm.features(spy_features, seed=4)
    assert torch.equal(torch.rand(3), before), "a check reseeded or consumed torch's global RNG"
    assert np.array_equal(np.random.rand(3), np_before), "a check consumed numpy's global RNG"
    assert seen[0] != seen[1] and seen[2] != seen[4]


@pytest.mark.parametrize(
    "grade_id, check, name",
    [
        ("meanshift-step", cm.step, "shift_step"),
        ("meanshift-merge", cm.merge, "merge_modes"),
        ("meanshift-features", cm.features, "pixel_features"),
    ],
)
def test_wrong_fixture_is_rejected(grade_id, check, name, monkeypatch):
    """tests/grading_fixtures/wrong/<grade_id>.py: a typical wrong answer that its own check
    rejects."""
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    ns = {"torch": torch, "np": np, "F": F}
    exec((WRONG / f"{grade_id}.py").read_text(), ns)
    assert check(ns[name]) is False
    others = [c for c in (cm.step, cm.merge, cm.features) if c is not check]
    assert all(c.exercise_name != check.exercise_name for c in others)
