"""Notebook sources (tools/notebooks/*.py, jupytext percent format) and the committed notebooks
agree.

Edit a source (in JupyterLab with jupytext, or as text), then rebuild:
`.venv/bin/python tools/nbbuild.py`.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nbbuild  # noqa: E402

SOURCES = nbbuild.sources()


def test_every_notebook_has_a_source_and_back():
    built = {p.stem for p in SOURCES}
    committed = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert built == committed, (
        f"sources without notebook or notebooks without source: {built ^ committed}"
    )


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_committed_notebook_equals_its_source(src):
    want = nbbuild.render(nbbuild.build(src))
    got = (ROOT / "notebooks" / f"{src.stem}.ipynb").read_text()
    assert got == want, (
        f"notebooks/{src.stem}.ipynb differs from tools/notebooks/{src.name}. "
        "Fix: edit the source, then run .venv/bin/python tools/nbbuild.py"
    )


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_source_is_a_percent_notebook_with_code_as_code(src):
    text = src.read_text()
    assert "# %%" in text and "format_name: percent" in text, (
        f"{src.name} is not a jupytext percent file"
    )
    assert "from nbbuild import" not in text and "nb.code(" not in text, (
        f"{src.name} is still a builder script"
    )
    nb = nbbuild.build(src)
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.source.lstrip().startswith(("%", "!")):
            ast.parse(cell.source)  # every code cell is real Python, not a string literal
    assert nb.cells[1].source.startswith(nbbuild.setup_source().split("import sys")[0])


def test_check_mode_reports_a_stale_notebook(tmp_path):
    src = SOURCES[0]
    out = tmp_path / "nb"
    out.mkdir()
    assert nbbuild.main([src.stem, "--out", str(out)]) == 0  # writes it
    assert nbbuild.main([src.stem, "--out", str(out), "--check"]) == 0
    (out / f"{src.stem}.ipynb").write_text("{}")
    assert nbbuild.main([src.stem, "--out", str(out), "--check"]) == 1


def test_build_rejects_a_source_without_the_setup_cell(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("# %% [markdown]\n# # Title\n\n# %%\nimport numpy\n")
    with pytest.raises(ValueError, match="second cell"):
        nbbuild.build(bad)
