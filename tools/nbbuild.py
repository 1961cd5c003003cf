"""Build course notebooks from short Python scripts (tools/notebooks/<name>.py).

Every notebook gets the same header (Open-in-Colab badge + setup cell, both built from
labkit/_repo.py) and nbgrader-compatible exercise cells (schema 3):

    nb = Notebook("01_kmeans.ipynb", "Lab 01 - k-Means")
    nb.md("## 1. ...")
    nb.code("X = ...")
    nb.solution("kmeans-assign", '''def assign(X, C):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION''')
    nb.test("kmeans-assign-test", 2, "labkit.checks.kmeans.assign(assign)")
    nb.write()

The .ipynb files in notebooks/ are what students and instructors use; these scripts are
how the course authors regenerate them (outputs always empty).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from labkit._repo import colab_url, pip_spec  # noqa: E402

ID_RE = re.compile(r"^[a-zA-Z0-9_-]+$")


def setup_source(threads: int | None = None) -> str:
    extra = f", threads={threads}" if threads else ""
    return (
        "# Setup (same first cell in every notebook). In Colab this installs labkit from the course\n"
        "# repository (never `pip install labkit`: that PyPI name is an unrelated package) and keeps\n"
        "# Colab's own torch and ipywidgets 7.7.1.\n"
        "import sys, subprocess\n"
        "if 'google.colab' in sys.modules:\n"
        "    try:\n"
        "        import labkit\n"
        "    except ImportError:\n"
        f"        subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '{pip_spec()}'], check=True)\n"
        "import labkit\n"
        f"cfg = labkit.setup(seed=0{extra})"
    )


class Notebook:
    def __init__(self, filename: str, title: str, intro: str = "", threads: int | None = None):
        self.filename = filename
        self.cells = []
        self.ids: set[str] = set()
        badge = f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(filename)})"
        self.md(f"{badge}\n\n# {title}\n\n{intro}".rstrip(), id="header")
        self.code(setup_source(threads), id="setup")

    def _add(self, cell, id):
        id = id or f"cell-{len(self.cells):03d}"
        if id in self.ids:
            raise ValueError(f"duplicate cell id {id}")
        self.ids.add(id)
        cell["id"] = id
        self.cells.append(cell)
        return cell

    def md(self, text: str, id: str | None = None):
        return self._add(new_markdown_cell(text.strip("\n")), id)

    def code(self, src: str, id: str | None = None, tags=()):
        c = new_code_cell(src.strip("\n"))
        if tags:
            c.metadata["tags"] = list(tags)
        return self._add(c, id)

    def solution(self, grade_id: str, src: str):
        """An autograded answer cell: code with ### BEGIN/END SOLUTION markers."""
        if not ID_RE.match(grade_id):
            raise ValueError(f"grade_id {grade_id!r} must match {ID_RE.pattern}")
        if "### BEGIN SOLUTION" not in src or "### END SOLUTION" not in src:
            raise ValueError(f"solution cell {grade_id} needs ### BEGIN SOLUTION / ### END SOLUTION")
        c = self.code(src, id=grade_id)
        c.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": True,
                                  "locked": False, "grade_id": grade_id}
        return c

    def test(self, grade_id: str, points: float, src: str):
        """A locked, graded test cell (optionally with ### BEGIN/END HIDDEN TESTS)."""
        if not ID_RE.match(grade_id):
            raise ValueError(f"grade_id {grade_id!r} must match {ID_RE.pattern}")
        c = self.code(src, id=grade_id)
        c.metadata["nbgrader"] = {"schema_version": 3, "grade": True, "solution": False,
                                  "locked": True, "grade_id": grade_id, "points": points}
        return c

    def write(self, out_dir: Path | None = None) -> Path:
        nb = new_notebook(cells=self.cells, metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "colab": {"provenance": []}, "accelerator": "GPU"})
        nbformat.validate(nb)
        path = (out_dir or ROOT / "notebooks") / self.filename
        nbformat.write(nb, path)
        print("wrote", path)
        return path
