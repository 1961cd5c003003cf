"""Every course notebook follows nbgrader's cell-metadata schema 3 and the marker rules, so
nbgrader (and ``labkit release`` / ``labkit grade``) read the exercises as they are."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from labkit.grading.nbmeta import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    GRADE_ID_RE,
    nbgrader_meta,
    source_text,
    validate_cell_meta,
    validate_notebook,
)

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
# Known violations of the course rule below, owned by the lab's author; xfail (not strict) keeps
# CI green and turns into XPASS once fixed. Remove the entry with the fix.
PUBLIC_ASSERT_KNOWN: dict[str, str] = {}


def _with_known(paths, known):
    return [
        pytest.param(p, id=p.stem, marks=[pytest.mark.xfail(reason=known[p.stem], strict=False)])
        if p.stem in known
        else pytest.param(p, id=p.stem)
        for p in paths
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_follows_nbgrader_schema3(path):
    nb = nbformat.read(path, as_version=4)
    problems = validate_notebook(nb)
    assert not problems, f"{path.name}:\n" + "\n".join(map(str, problems))
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta is None:
            continue
        assert meta["schema_version"] == 3
        assert {"grade", "solution", "locked"} <= set(meta)
        assert GRADE_ID_RE.match(meta["grade_id"])
        if meta["grade"]:
            assert meta["points"] >= 0
        if meta["solution"] and cell.cell_type == "code":
            assert BEGIN_SOLUTION in source_text(cell)
        if BEGIN_HIDDEN in source_text(cell):
            assert meta["grade"] and not meta["solution"]


@pytest.mark.parametrize("path", _with_known(NOTEBOOKS, PUBLIC_ASSERT_KNOWN))
def test_public_tests_do_not_assert(path):
    """Course rule: the public part of a test cell calls checks without ``assert``. A check
    prints and returns a bool for students (and raises when grading), so an unanswered exercise
    says "not implemented yet" in the released notebook instead of crashing it. Asserts belong in
    the ### BEGIN/END HIDDEN TESTS part (removed on release, still run by nbval and the grader)."""
    import ast

    from labkit.grading.release import strip_hidden_tests

    bad = []
    for cell in nbformat.read(path, as_version=4).cells:
        meta = nbgrader_meta(cell) or {}
        if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
            public = strip_hidden_tests(source_text(cell))
            try:
                tree = ast.parse(public)
            except SyntaxError:
                continue
            bad += [
                f"{meta['grade_id']} line {n.lineno}: {ast.unparse(n)[:70]}"
                for n in ast.walk(tree)
                if isinstance(n, ast.Assert)
            ]
    assert not bad, (
        f"{path.name}: public test code uses assert (move it into ### BEGIN/END HIDDEN TESTS, "
        "call the check without assert):\n  " + "\n  ".join(bad)
    )


def test_grade_ids_unique_across_the_course():
    seen = {}
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            gid = (nbgrader_meta(cell) or {}).get("grade_id")
            if gid:
                assert gid not in seen, f"grade_id {gid!r} in {path.name} and {seen[gid]}"
                seen[gid] = path.name


def _cell(meta, cell_type="code", source="x = 1"):
    return {"cell_type": cell_type, "source": source, "metadata": {"nbgrader": meta}}


GOOD = {
    "schema_version": 3,
    "grade": True,
    "solution": False,
    "locked": True,
    "grade_id": "a-test",
    "points": 2,
}


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(schema_version=2), "schema_version must be 3"),
        (dict(schema_version=3.0), "schema_version must be 3"),
        (dict(checksum="abc"), "checksum must be a 32-character string"),
        (dict(grade="yes"), "'grade' must be true or false"),
        (dict(grade_id="bad id!"), "must match"),
        (dict(points=-1), "points must be a number >= 0"),
        (dict(points=None), "needs 'points'"),
        (dict(grade_id=None), "grade_id is required"),
        (dict(extra=1), "keys not in nbgrader schema 3"),
    ],
)
def test_validator_rejects(change, message):
    meta = dict(GOOD, **change)
    meta = {k: v for k, v in meta.items() if v is not None}
    errors = validate_cell_meta(meta)
    assert any(message in e for e in errors), errors


def test_validator_missing_required_key():
    meta = dict(GOOD)
    del meta["locked"]
    assert any("missing required key 'locked'" in e for e in validate_cell_meta(meta))


def test_validator_notebook_rules():
    sol = {"schema_version": 3, "grade": False, "solution": True, "locked": False, "grade_id": "a"}
    nb = {
        "cells": [
            _cell(
                sol, source="def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
            ),
            _cell(
                GOOD,
                source="assert f() == 1\n### BEGIN HIDDEN TESTS\nassert f()\n### END HIDDEN TESTS",
            ),
        ]
    }
    assert validate_notebook(nb) == []
    dup = {"cells": nb["cells"] + [_cell(GOOD)]}
    assert any("used twice" in str(p) for p in validate_notebook(dup))
    no_markers = {"cells": [_cell(sol, source="def f():\n    return 1")]}
    assert any("needs '### BEGIN SOLUTION'" in str(p) for p in validate_notebook(no_markers))
    stray = {
        "cells": [
            {"cell_type": "code", "source": "### BEGIN SOLUTION\n### END SOLUTION", "metadata": {}}
        ]
    }
    assert any("not a solution cell" in str(p) for p in validate_notebook(stray))
    hidden_in_answer = {
        "cells": [
            _cell(
                sol,
                source="### BEGIN SOLUTION\n### END SOLUTION\n"
                "### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS",
            )
        ]
    }
    assert any(
        "HIDDEN TESTS markers are only allowed" in str(p)
        for p in validate_notebook(hidden_in_answer)
    )
    unpaired = {"cells": [_cell(sol, source="def f():\n    ### BEGIN SOLUTION\n    return 1")]}
    assert any("without" in str(p) for p in validate_notebook(unpaired))
    md_grade = {"cells": [_cell(dict(GOOD, locked=False), cell_type="markdown")]}
    assert any(
        "markdown cell must also be a solution" in str(p) for p in validate_notebook(md_grade)
    )
