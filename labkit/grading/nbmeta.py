"""nbgrader cell metadata (schema version 3) and the course's marker rules.

Every exercise cell carries ``metadata.nbgrader`` exactly as nbgrader 0.9 writes it
(``nbgrader/nbgraderformat/v3.json``), so a course already on nbgrader can use the notebooks
as they are:

* ``schema_version`` (3), ``grade``, ``solution``, ``locked``: always, booleans;
* ``grade_id`` matching ``^[a-zA-Z0-9_-]*$``: required when any of the three is true;
* ``points`` (a number >= 0): required on graded cells;
* optional ``task`` (markdown only), ``checksum`` (32 chars), ``cell_type``; no other keys;
* a markdown graded cell must also be a solution cell; ``grade_id`` unique in the notebook.

labkit adds: an autograded answer cell (code, ``solution``) holds ``### BEGIN SOLUTION`` /
``### END SOLUTION``; markers appear only in the cells they belong to (solution markers in
solution cells, ``### BEGIN/END HIDDEN TESTS`` in graded cells), paired and in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCHEMA_VERSION = 3
GRADE_ID_RE = re.compile(r"^[a-zA-Z0-9_-]*$")
REQUIRED = ("schema_version", "grade", "solution", "locked")
ALLOWED = set(REQUIRED) | {"grade_id", "points", "task", "checksum", "cell_type"}

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
CLAIM_TAG = (
    "claim"  # instructor-only cells that assert the prose's claims: released never, graded never
)


def nbgrader_meta(cell) -> dict | None:
    """The cell's ``metadata.nbgrader`` dict, or None."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else None


def is_solution(cell) -> bool:
    m = nbgrader_meta(cell)
    return bool(m and m.get("solution"))


def is_graded(cell) -> bool:
    m = nbgrader_meta(cell)
    return bool(m and m.get("grade"))


def is_autograded_test(cell) -> bool:
    """A code cell with tests: graded, not an answer (nbgrader's "Autograder tests")."""
    return cell.get("cell_type") == "code" and is_graded(cell) and not is_solution(cell)


def is_claim(cell) -> bool:
    """An instructor-only claim cell (tag ``claim``): stripped by release, skipped by the grader."""
    tags = cell.get("metadata", {}).get("tags", [])
    return isinstance(tags, list) and CLAIM_TAG in tags


def source_text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _marker_lines(text: str, begin: str, end: str):
    """Yield (kind, line_no) for every begin/end marker line (nbgrader: substring match)."""
    for i, line in enumerate(text.splitlines()):
        if begin in line:
            yield "begin", i
        elif end in line:
            yield "end", i


def _pairing_errors(text: str, begin: str, end: str) -> list[str]:
    depth, errors = 0, []
    for kind, i in _marker_lines(text, begin, end):
        if kind == "begin":
            if depth:
                errors.append(f"line {i + 1}: nested '{begin}'")
            depth += 1
        else:
            if not depth:
                errors.append(f"line {i + 1}: '{end}' without '{begin}'")
            depth = max(0, depth - 1)
    if depth:
        errors.append(f"'{begin}' without '{end}'")
    return errors


def has_markers(text: str, begin: str, end: str) -> bool:
    return any(True for _ in _marker_lines(text, begin, end))


@dataclass
class Problem:
    cell: int  # index in nb.cells
    cell_id: str  # grade_id or cell id, for the message
    message: str

    def __str__(self):
        return f"cell {self.cell} ({self.cell_id}): {self.message}"


def validate_cell_meta(meta) -> list[str]:
    """nbgrader schema-3 rules for one ``metadata.nbgrader`` value (cell type aside)."""
    if not isinstance(meta, dict):
        return [f"metadata.nbgrader must be a dict, got {type(meta).__name__}"]
    errs = []
    for key in REQUIRED:
        if key not in meta:
            errs.append(f"missing required key {key!r}")
    sv = meta.get("schema_version")
    if "schema_version" in meta and (
        not isinstance(sv, int) or isinstance(sv, bool) or sv != SCHEMA_VERSION
    ):
        errs.append(f"schema_version must be {SCHEMA_VERSION}, got {meta['schema_version']!r}")
    for key in ("grade", "solution", "locked", "task"):
        if key in meta and not isinstance(meta[key], bool):
            errs.append(f"{key!r} must be true or false, got {meta[key]!r}")
    extra = set(meta) - ALLOWED
    if extra:
        errs.append(f"keys not in nbgrader schema 3: {sorted(extra)} (allowed: {sorted(ALLOWED)})")
    needs_id = any(meta.get(k) is True for k in ("grade", "solution", "locked", "task"))
    gid = meta.get("grade_id")
    if needs_id and not gid:
        errs.append("grade_id is required when grade, solution, locked or task is true")
    if gid is not None and (not isinstance(gid, str) or not GRADE_ID_RE.match(gid)):
        errs.append(f"grade_id {gid!r} must match {GRADE_ID_RE.pattern}")
    if meta.get("grade") is True or meta.get("task") is True:
        pts = meta.get("points")
        if pts is None:
            errs.append("graded cell needs 'points'")
        elif isinstance(pts, bool) or not isinstance(pts, (int, float)) or pts < 0:
            errs.append(f"points must be a number >= 0, got {pts!r}")
    elif "points" in meta and (
        isinstance(meta["points"], bool)
        or not isinstance(meta["points"], (int, float))
        or meta["points"] < 0
    ):
        errs.append(f"points must be a number >= 0, got {meta['points']!r}")
    if "checksum" in meta and not (
        isinstance(meta["checksum"], str) and len(meta["checksum"]) == 32
    ):
        errs.append("checksum must be a 32-character string")
    return errs


def validate_notebook(nb, markers: bool = True) -> list[Problem]:
    """All problems in a notebook (a dict / NotebookNode). Empty list = valid.

    ``markers=True`` also applies labkit's marker rules (source notebooks);
    pass ``markers=False`` for released notebooks, which have none left.
    """
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(nb.get("cells", [])):
        ctype = cell.get("cell_type")
        meta = cell.get("metadata", {}).get("nbgrader")
        text = source_text(cell)
        label = (meta or {}).get("grade_id") if isinstance(meta, dict) else None
        label = label or cell.get("id", "?")

        def add(msg):
            problems.append(Problem(i, label, msg))

        sol_marks = has_markers(text, BEGIN_SOLUTION, END_SOLUTION)
        hid_marks = has_markers(text, BEGIN_HIDDEN, END_HIDDEN)
        if (
            is_claim(cell)
            and meta is not None
            and any(meta.get(k) for k in ("grade", "solution", "locked"))
        ):
            add("a claim cell (tag 'claim') is instructor-only: it cannot also be an nbgrader cell")
        if meta is None:
            if markers and sol_marks:
                add("has BEGIN/END SOLUTION markers but is not a solution cell (metadata.nbgrader)")
            if markers and hid_marks:
                add("has BEGIN/END HIDDEN TESTS markers but is not a graded cell")
            continue
        for e in validate_cell_meta(meta):
            add(e)
        if not isinstance(meta, dict):
            continue
        if meta.get("task") and ctype != "markdown":
            add("'task' cells must be markdown")
        if meta.get("grade") and ctype == "markdown" and not meta.get("solution"):
            add("a graded markdown cell must also be a solution cell")
        if "cell_type" in meta and meta["cell_type"] not in ("code", "markdown", "raw"):
            add(f"cell_type {meta['cell_type']!r} is not a notebook cell type")
        gid = meta.get("grade_id")
        if gid:
            if gid in seen:
                add(f"grade_id {gid!r} is used twice (first in cell {seen[gid]})")
            else:
                seen[gid] = i
        if not markers:
            continue
        if meta.get("solution"):
            if ctype == "code" and not sol_marks:
                add("solution code cell needs '### BEGIN SOLUTION' / '### END SOLUTION' markers")
            for e in _pairing_errors(text, BEGIN_SOLUTION, END_SOLUTION):
                add(e)
        elif sol_marks:
            add("BEGIN/END SOLUTION markers are only allowed in solution cells")
        if hid_marks:
            if not meta.get("grade") or meta.get("solution"):
                add("HIDDEN TESTS markers are only allowed in graded test cells")
            for e in _pairing_errors(text, BEGIN_HIDDEN, END_HIDDEN):
                add(e)
    return problems
