"""``labkit release``: solutions stubbed (indentation kept), hidden tests gone, outputs cleared,
test cells locked, claim cells and model answers gone, links pointing at the student repo;
the released fixture runs top to bottom to the first exercise and its check says "not implemented
yet"; and every real course notebook releases cleanly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_notebook_metadata import PUBLIC_ASSERT_KNOWN, _with_known  # noqa: E402

from labkit.grading.nbmeta import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    is_graded,
    is_solution,
    nbgrader_meta,
    source_text,
    validate_notebook,
)
from labkit.grading.release import (
    ReleaseError,
    release,
    release_notebook,
    strip_hidden_tests,
    strip_solution,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "grading_fixtures"
NOTEBOOKS = [
    p
    for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
    if any(is_graded(c) or is_solution(c) for c in nbformat.read(p, as_version=4).cells)
]


def test_strip_solution_keeps_indentation():
    src = (
        "class A:\n    def f(self, x):\n        y = x + 1\n"
        "        ### BEGIN SOLUTION\n        return y * 2\n"
        "        ### END SOLUTION\n\n    def g(self):\n        ### BEGIN SOLUTION\n        pass\n"
        "        ### END SOLUTION\n        return 0"
    )
    out = strip_solution(src)
    assert "return y * 2" not in out and "pass" not in out and "SOLUTION" not in out
    assert out.count("        # YOUR CODE HERE\n        raise NotImplementedError()") == 2
    assert out.endswith("        return 0")
    compile(out, "<released>", "exec")
    assert strip_solution("x = 1") == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert (
        strip_solution("### BEGIN SOLUTION\nIt is 4.\n### END SOLUTION", "markdown")
        == "YOUR ANSWER HERE"
    )


def test_strip_hidden_tests():
    src = "check(f)\n### BEGIN HIDDEN TESTS\ncheck(f, seed=1)\n### END HIDDEN TESTS\nprint('ok')"
    assert strip_hidden_tests(src) == "check(f)\nprint('ok')"


def test_release_fixture(tmp_path, capsys):
    out = release(FIXTURES, tmp_path)
    assert [p.name for p in out] == ["demo.ipynb"]
    nb = nbformat.read(out[0], as_version=4)
    assert validate_notebook(nb, markers=False) == []
    text = nbformat.writes(nb)
    for marker in (
        BEGIN_SOLUTION,
        END_SOLUTION,
        BEGIN_HIDDEN,
        END_HIDDEN,
        "x * x",
        "AEIOU",
        "seed=1",
    ):
        assert marker not in text
    for c in nb.cells:
        meta = nbgrader_meta(c)
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
        if meta and meta["locked"]:
            assert c.metadata["editable"] is False and c.metadata["deletable"] is False
    assert "released" in capsys.readouterr().out


def test_release_refuses_bad_sources(tmp_path):
    nb = nbformat.read(FIXTURES / "demo.ipynb", as_version=4)
    nb.cells[2].source = "def square(x):\n    return x * x"  # markers gone
    with pytest.raises(ReleaseError, match="BEGIN SOLUTION"):
        release_notebook(nb)
    with pytest.raises(ValueError, match="DEST must differ"):
        release(FIXTURES, FIXTURES)


def test_released_fixture_runs_to_first_exercise(tmp_path, monkeypatch):
    """Student mode: the first check prints "not implemented yet" and does not raise."""
    from nbclient import NotebookClient

    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    release(FIXTURES, tmp_path, quiet=True)
    nb = nbformat.read(tmp_path / "demo.ipynb", as_version=4)
    first_test = next(i for i, c in enumerate(nb.cells) if is_graded(c))
    nb.cells = nb.cells[: first_test + 1]
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    out = "".join(o.get("text", "") for o in nb.cells[first_test].outputs)
    assert "not implemented yet" in out


def test_cli_release_and_validate(tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "labkit.cli",
            "release",
            str(FIXTURES / "demo.ipynb"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "labkit.cli",
            "validate",
            "--released",
            str(tmp_path / "demo.ipynb"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "1/1" in r.stdout


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_release_real_notebook(path, tmp_path):
    src = nbformat.read(path, as_version=4)
    (out,) = release(path, tmp_path, quiet=True)
    nb = nbformat.read(out, as_version=4)
    assert validate_notebook(nb, markers=False) == []
    claims = [c for c in src.cells if "claim" in c.metadata.get("tags", [])]
    assert len(nb.cells) == len(src.cells) - len(claims)
    assert not any("claim" in c.metadata.get("tags", []) for c in nb.cells), (
        "claim cells must not be released"
    )
    src = nbformat.from_dict({**src, "cells": [c for c in src.cells if c not in claims]})
    n_regions = sum(
        source_text(c).count(BEGIN_SOLUTION) or 1
        for c in src.cells
        if is_solution(c) and c.cell_type == "code"
    )
    n_written = sum(
        source_text(c).count(BEGIN_SOLUTION) or 1
        for c in src.cells
        if is_solution(c) and c.cell_type == "markdown"
    )
    text = "\n".join(source_text(c) for c in nb.cells)
    assert text.count("raise NotImplementedError()") >= n_regions
    assert text.count("YOUR ANSWER HERE") >= n_written
    for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN):
        assert marker not in text
    for s, c in zip(src.cells, nb.cells):
        if is_solution(s):  # nothing of the solution body survives
            body = re.findall(
                r"BEGIN SOLUTION\n(.*?)\n[ \t]*### END SOLUTION", source_text(s), re.S
            )
            for line in "\n".join(body).splitlines():
                if (
                    len(line.strip()) > 12
                    and line.strip() not in source_text(s).split(BEGIN_SOLUTION)[0]
                ):
                    assert line.strip() not in source_text(c), (
                        f"{s.get('id')}: solution line left: {line!r}"
                    )
        if c.cell_type == "code":
            assert c.outputs == []
        meta = nbgrader_meta(c)
        if meta and meta["locked"]:
            assert c.metadata["editable"] is False
    assert any(is_graded(c) for c in nb.cells)


@pytest.mark.slow
@pytest.mark.parametrize("path", _with_known(NOTEBOOKS, PUBLIC_ASSERT_KNOWN))
def test_released_real_notebook_runs_to_first_check(path, tmp_path, monkeypatch):
    """A student opening the released notebook can run it top to bottom up to the first exercise,
    and its check says "not implemented yet" instead of crashing."""
    from nbclient import NotebookClient

    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    monkeypatch.setenv("LABKIT_MODE", "fast")
    (out,) = release(path, tmp_path, quiet=True)
    nb = nbformat.read(out, as_version=4)
    first_test = next(i for i, c in enumerate(nb.cells) if is_graded(c) and not is_solution(c))
    nb.cells = nb.cells[: first_test + 1]
    from nbclient.exceptions import CellExecutionError

    try:
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    except CellExecutionError as e:
        pytest.fail(
            f"the released {path.name} crashes before/at its first check "
            "(a student sees a traceback "
            "instead of 'not implemented yet'). "
            "Public test code must call the check without assert; "
            f"cells before it must not call the student's function.\n{str(e)[-1500:]}"
        )
    out_text = "".join(o.get("text", "") for o in nb.cells[first_test].outputs)
    assert "not implemented yet" in out_text, out_text


def _demo_with_claim_and_written_answer():
    nb = nbformat.read(FIXTURES / "demo.ipynb", as_version=4)
    claim = nbformat.v4.new_code_cell(
        "assert square(3) == 9, 'the claim the prose makes'",
        metadata={"tags": ["claim"]},
        id="claim-square",
    )
    written = nbformat.v4.new_markdown_cell(
        "Why does squaring lose the sign?\n\n### BEGIN SOLUTION\n"
        "Because (-x)^2 = x^2 (MODEL-ANSWER).\n"
        "### END SOLUTION",
        id="demo-q-sign",
        metadata={
            "nbgrader": {
                "schema_version": 3,
                "grade": True,
                "solution": True,
                "locked": False,
                "grade_id": "demo-q-sign",
                "points": 1,
            }
        },
    )
    nb.cells[4:4] = [claim, written]
    return nb


def test_release_strips_claim_cells_and_model_answers():
    nb = _demo_with_claim_and_written_answer()
    assert validate_notebook(nb) == []
    out = release_notebook(nb)
    assert [c.get("id") for c in out.cells] == [
        c.get("id") for c in nb.cells if c.get("id") != "claim-square"
    ]
    text = nbformat.writes(out)
    assert "the claim the prose makes" not in text and "MODEL-ANSWER" not in text
    q = next(c for c in out.cells if c.get("id") == "demo-q-sign")
    assert q.source == "Why does squaring lose the sign?\n\nYOUR ANSWER HERE"


def test_claim_cells_are_instructor_only():
    nb = _demo_with_claim_and_written_answer()
    nb.cells[4].metadata["nbgrader"] = {
        "schema_version": 3,
        "grade": True,
        "solution": False,
        "locked": True,
        "grade_id": "claim-square",
        "points": 1,
    }
    assert any("claim cell" in p.message for p in validate_notebook(nb))


def test_grader_skips_claim_cells_and_lists_written_answers(tmp_path):
    from labkit.grading.grade import load_source

    nb = _demo_with_claim_and_written_answer()
    nbformat.write(nb, tmp_path / "demo.ipynb")
    src = load_source(tmp_path / "demo.ipynb")
    assert not any("the claim the prose makes" in c["source"] for c in src.cells)
    assert {t["grade_id"]: t["kind"] for t in src.tests}["demo-q-sign"] == "manual"


def test_release_points_links_at_the_student_repo(tmp_path):
    from labkit import _repo

    path = next(p for p in NOTEBOOKS)
    (out,) = release(
        path,
        tmp_path,
        quiet=True,
        repo="https://github.com/prof-x/genmodels-students",
        tag="fall26",
    )
    text = nbformat.writes(nbformat.read(out, as_version=4))
    assert _repo.REPO_URL not in text and _repo.github_path() not in text
    assert (
        "https://colab.research.google.com/github/prof-x/genmodels-students/blob/fall26/notebooks/"
        + path.name
    ) in text
    assert "git+https://github.com/prof-x/genmodels-students@fall26" in text
    (plain,) = release(path, tmp_path / "plain", quiet=True)
    assert _repo.pip_spec() in nbformat.writes(nbformat.read(plain, as_version=4))


def test_nbgrader_config_drops_claim_cells(tmp_path):
    """nbgrader's own generate_assignment, with the config `labkit nbgrader-config` writes."""
    import os

    r = subprocess.run(
        [sys.executable, "-m", "labkit.cli", "nbgrader-config", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    (tmp_path / "source" / "a").mkdir(parents=True)
    nbformat.write(_demo_with_claim_and_written_answer(), tmp_path / "source" / "a" / "demo.ipynb")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    r = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "generate_assignment", "a", "--force"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    nb = nbformat.read(tmp_path / "release" / "a" / "demo.ipynb", as_version=4)
    text = nbformat.writes(nb)
    assert (
        "the claim the prose makes" not in text
        and "MODEL-ANSWER" not in text
        and "seed=1" not in text
    )
    assert len(nb.cells) == len(_demo_with_claim_and_written_answer().cells) - 1
