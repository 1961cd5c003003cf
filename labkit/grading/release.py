"""``labkit release SRC DEST``: student notebooks from the instructor's source notebooks.

What happens to each cell (the same as nbgrader's ``generate_assignment``):

* solution cells: every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region becomes
  ``# YOUR CODE HERE`` + ``raise NotImplementedError()`` at the marker's indentation
  (markdown: ``YOUR ANSWER HERE``); a solution cell without markers is replaced whole;
* graded test cells: ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` regions removed;
* locked cells (tests, read-only cells): ``editable`` and ``deletable`` set to false;
* every cell: outputs and execution counts cleared;
* claim cells (tag ``claim``: instructor-only asserts on the prose's claims) removed; nbgrader
  does the same with the config ``labkit nbgrader-config`` writes;
* with ``repo``/``tag``: every Open-in-Colab link and the setup cell's install line point at the
  student repository instead of the course's (``labkit/_repo.py``).

The nbgrader metadata stays (schema 3), so ``labkit grade`` and nbgrader both recognise the
exercises in what students hand back.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

from .nbmeta import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    is_claim,
    is_graded,
    is_solution,
    nbgrader_meta,
    source_text,
    validate_notebook,
)

CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = "YOUR ANSWER HERE"


class ReleaseError(ValueError):
    """The source notebook breaks a metadata or marker rule (the message lists them)."""


def _indent(line: str) -> str:
    return re.match(r"\s*", line).group(0)


def strip_solution(text: str, cell_type: str = "code") -> str:
    """Replace every BEGIN/END SOLUTION region with the stub, keeping the marker's indentation."""
    if BEGIN_SOLUTION not in text:
        return "\n".join(CODE_STUB) if cell_type == "code" else MARKDOWN_STUB
    out, inside = [], False
    for line in text.splitlines():
        if BEGIN_SOLUTION in line:
            inside = True
            ind = _indent(line)
            out.extend(ind + s for s in CODE_STUB) if cell_type == "code" else out.append(
                MARKDOWN_STUB
            )
        elif END_SOLUTION in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def strip_hidden_tests(text: str) -> str:
    """Remove every BEGIN/END HIDDEN TESTS region (markers included)."""
    out, inside = [], False
    for line in text.splitlines():
        if BEGIN_HIDDEN in line:
            inside = True
        elif END_HIDDEN in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out).rstrip("\n")


def release_cell(cell):
    """The student version of one source cell (a copy)."""
    c = copy.deepcopy(cell)
    text = source_text(c)
    if is_solution(c):
        text = strip_solution(text, c["cell_type"])
    if is_graded(c) and not is_solution(c):
        text = strip_hidden_tests(text)
    c["source"] = text
    if c["cell_type"] == "code":
        c["outputs"] = []
        c["execution_count"] = None
    for key in ("execution", "ExecuteTime", "collapsed", "scrolled", "trusted"):
        c["metadata"].pop(key, None)
    meta = nbgrader_meta(c)
    if meta and meta.get("locked"):
        c["metadata"]["editable"] = False
        c["metadata"]["deletable"] = False
    return c


COLAB_RE = re.compile(
    r"https://colab\.research\.google\.com/github/[^/\s)]+/[^/\s)]+/blob/[^/\s)]+/"
)
PIP_RE = re.compile(r"git\+https?://[^\s'\"@]+@[^\s'\"]+")


def point_at(text: str, repo: str, tag: str | None = None) -> str:
    """``text`` with every Colab link and ``git+URL@TAG`` install spec moved to ``repo``@``tag``."""
    from .. import _repo

    tag = tag or _repo.REPO_TAG
    text = COLAB_RE.sub(
        f"https://colab.research.google.com/github/{_repo.github_path(repo)}/blob/{tag}/", text
    )
    return PIP_RE.sub(_repo.pip_spec(repo, tag), text)


def release_notebook(nb, repo: str | None = None, tag: str | None = None):
    """The student version of a source notebook (validated first; raises :class:`ReleaseError`).
    ``repo``/``tag``: the student repository that badges and the install line point at."""
    problems = validate_notebook(nb)
    if problems:
        raise ReleaseError(
            "source notebook breaks the exercise rules:\n  " + "\n  ".join(map(str, problems))
        )
    out = copy.deepcopy(nb)
    out["cells"] = [release_cell(c) for c in nb["cells"] if not is_claim(c)]
    if repo or tag:
        for c in out["cells"]:
            c["source"] = point_at(source_text(c), repo or _default_repo(), tag)
    out["metadata"].pop("widgets", None)
    return out


def _default_repo() -> str:
    from .. import _repo

    return _repo.REPO_URL


def release(
    src,
    dest,
    overwrite: bool = True,
    quiet: bool = False,
    repo: str | None = None,
    tag: str | None = None,
) -> list[Path]:
    """Release one notebook (SRC a file) or every ``*.ipynb`` of a folder into DEST (a folder,
    or a file name when SRC is one notebook). Returns the written paths. ``repo``/``tag``: see
    :func:`release_notebook`."""
    src, dest = Path(src), Path(dest)
    if src.is_dir():
        files = sorted(p for p in src.glob("*.ipynb") if not p.name.startswith("."))
        if not files:
            raise FileNotFoundError(f"no .ipynb files in {src}")
        targets = [dest / p.name for p in files]
    elif src.is_file():
        files = [src]
        targets = [dest if dest.suffix == ".ipynb" else dest / src.name]
    else:
        raise FileNotFoundError(
            f"{src} does not exist (expected a notebook or a folder of notebooks)"
        )
    if src.is_dir() and dest.resolve() == src.resolve():
        raise ValueError("DEST must differ from SRC: releasing in place would delete the solutions")
    written = []
    for f, t in zip(files, targets):
        if t.exists() and not overwrite:
            raise FileExistsError(f"{t} exists (use --force to overwrite)")
        if t.resolve() == f.resolve():
            raise ValueError(f"refusing to overwrite the source {f}")
        nb = nbformat.read(f, as_version=4)
        try:
            student = release_notebook(nb, repo=repo, tag=tag)
        except ReleaseError as e:
            raise ReleaseError(f"{f}: {e}") from None
        t.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(student)
        nbformat.write(student, t)
        written.append(t)
        if not quiet:
            n_sol = sum(is_solution(c) for c in nb.cells)
            n_test = sum(is_graded(c) and not is_solution(c) for c in nb.cells)
            n_claim = sum(is_claim(c) for c in nb.cells)
            print(
                f"released {f} -> {t} ({n_sol} exercise(s), {n_test} test cell(s)"
                + (f", {n_claim} claim cell(s) removed" if n_claim else "")
                + ")"
            )
    return written
