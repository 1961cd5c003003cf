"""Every test cell grades correctly under plain nbgrader, with no environment variable.

nbgrader gives a test cell its points when the cell raises nothing, and the public part of a
labkit test cell only prints. So for every test cell of every source notebook
(tools/notebooks/*.py):

* it has a hidden part (### BEGIN/END HIDDEN TESTS);
* the hidden part ``assert``s a call of the check of ITS OWN exercise (the answer cells between
  the previous test cell and this one: a check's ``exercise_name`` is its answer's grade_id);
* it calls no other exercise's check;
* the asserted call differs from every call in the public part (other seeds or shapes).

Checks are found by importing the cell's own ``labkit`` imports and resolving the called names.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from labkit.grading.nbmeta import BEGIN_HIDDEN, END_HIDDEN, nbgrader_meta

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "tools" / "notebooks").glob("*.py"))


def _split(text: str) -> tuple[str, str | None]:
    """(public part, hidden part or None)."""
    public, hidden, inside, seen = [], [], False, False
    for line in text.splitlines():
        if BEGIN_HIDDEN in line:
            inside = seen = True
        elif END_HIDDEN in line:
            inside = False
        else:
            (hidden if inside else public).append(line)
    return "\n".join(public), ("\n".join(hidden) if seen else None)


def test_cells(nb) -> list[tuple[str, str, list[str], str]]:
    """(test grade_id, source, own answer ids, the notebook's labkit imports so far) for every
    autograded test cell of a notebook."""
    out, pending, imports = [], [], []
    for c in nb["cells"]:
        m = nbgrader_meta(c) or {}
        if c["cell_type"] != "code":
            continue
        imports += _labkit_imports(c["source"])
        if m.get("solution"):
            pending.append(m["grade_id"])
        elif m.get("grade"):
            out.append((m["grade_id"], c["source"], pending, "\n".join(imports)))
            pending = []
    return out


def _labkit_imports(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mod = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if mod and (mod == "labkit" or mod.startswith("labkit.")):
                out.append(ast.unparse(node))
    return out


test_cells.__test__ = False  # a helper, not a pytest test


def _imports_ns(imports: list[str]) -> dict:
    ns: dict = {"labkit": __import__("labkit")}
    for stmt in imports:
        exec(stmt, ns)
    return ns


def _check_of(call: ast.Call, ns: dict):
    """The labkit check a call targets (an object with ``exercise_name``), or None."""
    try:
        obj = eval(
            compile(ast.Expression(call.func), "<call>", "eval"), dict(ns)
        )  # names/attributes only
    except Exception:
        return None
    return obj if getattr(obj, "exercise_name", None) else None


def problems(grade_id: str, source: str, own: list[str], imports: str = "") -> list[str]:
    """What is wrong with one test cell (empty: fine); ``imports``: the notebook's labkit imports
    up to this cell (the names a check is called through)."""
    public, hidden = _split(source)
    if hidden is None:
        return [
            f"{grade_id}: no hidden part: under plain nbgrader a blank answer gets full marks "
            "(add ### BEGIN HIDDEN TESTS / assert <check>(..., seed=<other>) "
            "/ ### END HIDDEN TESTS)"
        ]
    ns = _imports_ns(
        _labkit_imports(imports)
        + _labkit_imports(textwrap.dedent(public))
        + _labkit_imports(textwrap.dedent(hidden))
    )
    try:
        htree = ast.parse(textwrap.dedent(hidden))
        ptree = ast.parse(textwrap.dedent(public))
    except SyntaxError as e:
        return [f"{grade_id}: cannot parse the test cell: {e}"]
    public_calls = {
        ast.dump(n) for n in ast.walk(ptree) if isinstance(n, ast.Call) and _check_of(n, ns)
    }
    out, asserted_own = [], []
    for node in ast.walk(htree):
        if (
            isinstance(node, ast.Call)
            and (chk := _check_of(node, ns))
            and chk.exercise_name not in own
        ):
            out.append(
                f"{grade_id}: the hidden part calls the check of {chk.exercise_name!r}, "
                "another exercise "
                f"(this cell tests {', '.join(own) or 'no answer cell'})"
            )
        if isinstance(node, ast.Assert):
            asserted_own += [
                n
                for n in ast.walk(node.test)
                if isinstance(n, ast.Call)
                and (chk := _check_of(n, ns))
                and chk.exercise_name in own
            ]
    if not asserted_own:
        out.append(
            f"{grade_id}: the hidden part does not `assert` a call of its own check "
            f"({', '.join(own) or 'no answer cell before it'}): "
            "a blank answer would pass under plain nbgrader"
        )
    elif all(ast.dump(n) in public_calls for n in asserted_own):
        out.append(
            f"{grade_id}: the hidden part repeats the public call; use other seeds or shapes"
        )
    return out


def _load(path: Path):
    import jupytext

    return jupytext.read(path, fmt="py:percent")


CASES = [(p.stem, *case) for p in SOURCES for case in test_cells(_load(p))]


@pytest.mark.parametrize(
    "notebook,grade_id,source,own,imports", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES]
)
def test_hidden_part_asserts_its_own_check(notebook, grade_id, source, own, imports):
    assert problems(grade_id, source, own, imports) == []


# ----------------------------------------------------------------------------- the walker itself
OWN = ["kmeans-assign"]
IMPORT = "from labkit.checks import kmeans as checks01\nchecks01.assign(assign)\n"


@pytest.mark.parametrize(
    "hidden,expect",
    [
        ("assert checks01.assign(assign, seeds=(7, 8))", None),
        ("checks01.assign(assign, seeds=(7, 8))", "does not `assert`"),
        ("assert checks01.update(update, seeds=(7, 8))", "another exercise"),
        ("assert checks01.assign(assign)", "repeats the public call"),
        (None, "no hidden part"),
    ],
)
def test_walker_on_examples(hidden, expect):
    src = IMPORT + (f"### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS" if hidden else "")
    found = problems("kmeans-assign-test", src, OWN)
    if expect is None:
        assert found == []
    else:
        assert len(found) >= 1 and expect in " ".join(found), found
