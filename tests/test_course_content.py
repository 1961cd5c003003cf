"""What issue 14 promises about every notebook, counted on the sources (notebooks/*.ipynb):
graded code exercises, manual written answers, claim cells, no slider-assert cells."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LABS = [p for p in NOTEBOOKS if re.match(r"0[1-6]", p.stem)]  # 01 ... 06: code exercises
FROM_00B = [p for p in NOTEBOOKS if p.stem != "00_setup_check"]  # written answers, claims


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _nbg(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.mark.parametrize("path", LABS, ids=lambda p: p.stem)
def test_at_least_three_graded_code_exercises(path):
    cells = _cells(path)
    answers = [c for c in cells if c["cell_type"] == "code" and _nbg(c).get("solution")]
    tests = [
        c
        for c in cells
        if c["cell_type"] == "code" and _nbg(c).get("grade") and not _nbg(c).get("solution")
    ]
    assert len(answers) >= 3 and len(tests) >= 3, (
        f"{path.stem}: {len(answers)} code exercises, {len(tests)} test cells; "
        "a lab needs >= 3 graded code exercises"
    )


@pytest.mark.parametrize("path", FROM_00B, ids=lambda p: p.stem)
def test_at_least_two_manual_written_answers_with_model_answers(path):
    manual = [
        c
        for c in _cells(path)
        if c["cell_type"] == "markdown" and _nbg(c).get("solution") and _nbg(c).get("grade")
    ]
    assert len(manual) >= 2, f"{path.stem}: {len(manual)} manual answer cells (need >= 2)"
    for c in manual:
        src = _src(c)
        assert _nbg(c).get("points", 0) > 0, (
            f"{path.stem}/{_nbg(c).get('grade_id')}: manual answer without points"
        )
        assert "### BEGIN SOLUTION" in src and "### END SOLUTION" in src, (
            f"{path.stem}/{_nbg(c).get('grade_id')}: "
            "the model answer goes between ### BEGIN/END SOLUTION"
        )


@pytest.mark.parametrize("path", FROM_00B, ids=lambda p: p.stem)
def test_claim_cells_assert_on_computed_values(path):
    claims = [c for c in _cells(path) if "claim" in c.get("metadata", {}).get("tags", [])]
    assert len(claims) >= 2, (
        f"{path.stem}: {len(claims)} claim cells (the lesson's claims must be checked)"
    )
    for c in claims:
        assert c["cell_type"] == "code" and "assert" in _src(c), (
            f"{path.stem}: a claim cell must assert"
        )
        assert not _nbg(c), f"{path.stem}: a claim cell is not an nbgrader cell"


SLIDER_ASSERT = re.compile(r"\.controls\[[^\]]+\]\.value\s*=")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_slider_assert_cells(path):
    bad = [
        c.get("id")
        for c in _cells(path)
        if c["cell_type"] == "code" and SLIDER_ASSERT.search(_src(c))
    ]
    assert not bad, (
        f"{path.stem}: cells {bad} move a slider from code; that check belongs in "
        "tests/test_views_<notebook>.py, not in the student notebook"
    )


# ---- issue 17: every fast-mode notebook shows a full-size reference beside the student's run ----
REFERENCE_MANIFEST = ROOT / "labkit" / "data" / "reference" / "manifest.json"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_fast_mode_shows_a_full_size_reference(path):
    code = "\n".join(_src(c) for c in _cells(path) if c["cell_type"] == "code")
    assert "full-size reference" in code, (
        f"{path.stem}: no cell prints 'full-size reference' beside the student's own result; "
        "ship one with benchmarks/reference.py and show it in fast mode (issue 17)"
    )
    assert re.search(r"\breference_\w+\(|\bload_reference\(", code), (
        f"{path.stem}: the reference must be loaded from a shipped artifact "
        "(labkit.data.reference), not typed into the notebook"
    )


def test_every_shipped_reference_is_shown_by_its_notebook():
    artifacts = json.loads(REFERENCE_MANIFEST.read_text())["artifacts"]
    for name, entry in artifacts.items():
        nb = ROOT / "notebooks" / f"{entry.get('notebook', '?')}.ipynb"
        assert nb.exists(), f"reference {name}: manifest names no existing notebook ({nb.name})"
