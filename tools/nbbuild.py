"""Build notebooks/<name>.ipynb from its source, tools/notebooks/<name>.py
(jupytext percent format).

    .venv/bin/python tools/nbbuild.py            # rebuild every notebook
    .venv/bin/python tools/nbbuild.py 01_kmeans  # rebuild one
    .venv/bin/python tools/nbbuild.py --check    # exit 1 if a committed notebook differs
                                                 # from its source

A source is a notebook saved as text: `# %%` starts a code cell, `# %% [markdown]` a markdown cell,
and cell metadata sits in the cell header as JSON, e.g.

    # %% nbgrader={"grade": true, "grade_id": "kmeans-assign-test", "locked": true,
    #              "points": 2, ...}

With jupytext installed (the [dev] extras), JupyterLab opens these files as notebooks: edit, run,
save, then rebuild. Two cells are shared by every notebook and come from this file only:
- the first cell (markdown, "# title" + intro) gets the Open-in-Colab badge in front;
- the second cell (`import labkit` / `cfg = labkit.setup(seed=0[, threads=N])`) becomes the
  standard setup cell, which installs labkit in Colab (`setup_source`).
Cell ids: a cell's `id` metadata, else its nbgrader grade_id, else `cell-NNN` (its position).
Outputs are always empty in git.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tools" / "notebooks"
sys.path.insert(0, str(ROOT))
from labkit._repo import colab_url, pip_spec  # noqa: E402

SETUP_RE = re.compile(r"^import labkit\ncfg = labkit\.setup\(seed=0(?:, threads=(\d+))?\)$")
ID_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
NB_METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
    "colab": {"provenance": []},
    "accelerator": "GPU",
}


def setup_source(threads: int | None = None) -> str:
    """The first code cell of every notebook (shown in Colab; the source holds its last two
    lines)."""
    extra = f", threads={threads}" if threads else ""
    return (
        "# Setup (same first cell in every notebook). In Colab this installs labkit from the"
        " course\n"
        "# repository (never `pip install labkit`: that PyPI name is an unrelated package) and"
        " keeps\n"
        "# Colab's own torch and ipywidgets 7.7.1.\n"
        "import sys, subprocess\n"
        "if 'google.colab' in sys.modules:\n"
        "    try:\n"
        "        import labkit\n"
        "    except ImportError:\n"
        f"        spec = '{pip_spec()}'\n"
        "        r = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', spec],"
        " capture_output=True, text=True)\n"
        "        if r.returncode:\n"
        "            raise SystemExit(f'labkit could not be installed from {spec}."
        " Check that the repository and the tag exist '\n"
        "                             'and are public (Colab cannot read a private repository),"
        " and that this runtime '\n"
        "                             'is online; then rerun this cell. Ask your instructor if"
        " it still fails. pip said: '\n"
        "                             + ((r.stderr or r.stdout).strip().splitlines()"
        " or ['nothing'])[-1])\n"
        "import labkit\n"
        f"cfg = labkit.setup(seed=0{extra})"
    )


def badge(filename: str) -> str:
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(filename)})"


def sources() -> list[Path]:
    return sorted(SOURCES.glob("*.py"))


def build(src: Path) -> nbformat.NotebookNode:
    """The notebook that `src` describes (no outputs), validated."""
    import jupytext

    text = jupytext.read(src, fmt="py:percent")
    cells = text.cells
    name = src.stem + ".ipynb"
    if len(cells) < 2 or cells[0].cell_type != "markdown" or not cells[0].source.startswith("# "):
        raise ValueError(f"{src.name}: the first cell must be markdown starting with '# <title>'")
    m = SETUP_RE.match(cells[1].source.strip()) if cells[1].cell_type == "code" else None
    if m is None:
        raise ValueError(
            f"{src.name}: the second cell must be exactly 'import labkit' / "
            "'cfg = labkit.setup(seed=0[, threads=N])'"
        )
    out, seen = [], set()
    for i, cell in enumerate(cells):
        meta = dict(cell.metadata)
        cid = (
            meta.pop("id", None)
            or meta.get("nbgrader", {}).get("grade_id")
            or ("header" if i == 0 else "setup" if i == 1 else f"cell-{i:03d}")
        )
        if not ID_RE.match(cid) or cid in seen:
            raise ValueError(f"{src.name}: cell {i} has a bad or duplicate id {cid!r}")
        seen.add(cid)
        source = cell.source.strip("\n")
        if i == 0:
            source = f"{badge(name)}\n\n{source}"
        elif i == 1:
            source = setup_source(int(m.group(1)) if m.group(1) else None)
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(source, metadata=meta)
        elif cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(source, metadata=meta)
        else:
            raise ValueError(
                f"{src.name}: cell {i} is a {cell.cell_type} cell; use code or markdown"
            )
        new["id"] = cid
        out.append(new)
    nb = new_notebook(cells=out, metadata=dict(NB_METADATA))
    nbformat.validate(nb)
    return nb


def render(nb) -> str:
    return nbformat.writes(nb) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help="notebook names (default: all), e.g. 01_kmeans")
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 on a difference")
    ap.add_argument("--out", type=Path, default=ROOT / "notebooks")
    args = ap.parse_args(argv)
    srcs = [
        SOURCES / f"{n.removesuffix('.py').removesuffix('.ipynb')}.py" for n in args.names
    ] or sources()
    stale = []
    for src in srcs:
        if not src.exists():
            ap.error(f"no source {src}")
        dest = args.out / (src.stem + ".ipynb")
        text = render(build(src))
        if args.check:
            if not dest.exists() or dest.read_text() != text:
                stale.append(dest.name)
        elif not dest.exists() or dest.read_text() != text:
            dest.write_text(text)
            print("wrote", dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest)
    if stale:
        print("out of date (run: .venv/bin/python tools/nbbuild.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
