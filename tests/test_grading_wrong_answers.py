"""Each typical wrong answer (tests/grading_fixtures/wrong/<grade_id>.py) fails the hidden test of
its own exercise, ALONE: the notebook's other answers are the solutions, so a 0 in the nbgrader
round trip (where every answer is wrong at once) is not borrowed from another exercise. And it
leaves the other exercises' hidden tests passing.

Only the answer and test cells run (no data, no training): a namespace with the usual imports,
every solution answer cell of the notebook in order, then the wrong file in place of its cell.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest

from labkit.grading.nbmeta import BEGIN_HIDDEN, END_HIDDEN, nbgrader_meta, source_text

ROOT = Path(__file__).resolve().parent.parent
WRONG = Path(__file__).parent / "grading_fixtures" / "wrong"
PRELUDE = (
    "import math\nimport numpy as np\nimport torch\nimport torch.nn as nn\n"
    "import torch.nn.functional as F\nimport labkit\nimport labkit.checks\n"
)


def _hidden(text: str) -> str:
    out, inside = [], False
    for line in text.splitlines():
        if BEGIN_HIDDEN in line:
            inside = True
        elif END_HIDDEN in line:
            inside = False
        elif inside:
            out.append(line)
    return textwrap.dedent("\n".join(out))


def _labkit_imports(code: str) -> list[str]:
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [
        ast.unparse(n)
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        and ((n.module or "") if isinstance(n, ast.ImportFrom) else n.names[0].name).startswith(
            "labkit"
        )
    ]


def _exercises(path: Path):
    """[(answer grade_ids, test grade_id, test source)] and {answer grade_id: solution source}."""
    nb = nbformat.read(path, as_version=4)
    tests, answers, pending, imports = [], {}, [], []
    for c in nb.cells:
        m = nbgrader_meta(c) or {}
        if c.cell_type != "code":
            continue
        src = source_text(c)
        imports += _labkit_imports(src)
        if m.get("solution"):
            answers[m["grade_id"]] = src
            pending.append(m["grade_id"])
        elif m.get("grade"):
            tests.append((pending, m["grade_id"], "\n".join(imports) + "\n" + _hidden(src)))
            pending = []
    return tests, answers


def _run(tests, answers, wrong_gid, wrong_src):
    """{test grade_id: passed?} with one answer replaced by the wrong one."""
    ns: dict = {}
    exec(PRELUDE, ns)
    for gid, src in answers.items():
        exec(wrong_src if gid == wrong_gid else src, ns)
    out = {}
    for _, tid, code in tests:
        try:
            exec(code, dict(ns))
            out[tid] = True
        except Exception:  # AssertionError from the hidden assert, or the wrong code crashing
            out[tid] = False
    return out


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CASES = []
for _p in NOTEBOOKS:
    _tests, _answers = _exercises(_p)
    for _gid in _answers:
        if nbgrader_meta(
            next(
                c
                for c in nbformat.read(_p, as_version=4).cells
                if (nbgrader_meta(c) or {}).get("grade_id") == _gid
            )
        ).get("grade"):
            continue  # a written (manual) answer
        CASES.append((_p, _gid))


@pytest.mark.parametrize("path,gid", CASES, ids=[f"{p.stem}:{g}" for p, g in CASES])
def test_wrong_answer_fails_its_own_exercise_only(path, gid, monkeypatch):
    monkeypatch.setenv("LABKIT_MODE", "fast")
    monkeypatch.delenv("LABKIT_GRADING", raising=False)
    f = WRONG / f"{gid}.py"
    assert f.is_file(), f"no typical wrong answer for {gid}: write {f.relative_to(ROOT)}"
    tests, answers = _exercises(path)
    right = _run(tests, answers, None, None)
    assert all(right.values()), (
        f"{path.stem}: the solutions fail hidden tests when run alone: {right}"
    )
    got = _run(tests, answers, gid, f.read_text())
    own = [tid for ans, tid, _ in tests if gid in ans]
    assert own, f"{gid}: no test cell after it"
    assert not any(got[t] for t in own), f"{gid}: the wrong answer passes its own test {own}"
    others = [t for t, ok in got.items() if not ok and t not in own]
    # a later exercise may build on this one (e.g. a train step calling the losses): allowed only
    # there
    later_users = {
        tid
        for ans, tid, code in tests
        if any(a != gid for a in ans)
        and any(gid_name in answers[a] for a in ans for gid_name in _defined_names(answers[gid]))
    }
    assert set(others) <= later_users, (
        f"{gid}: the wrong answer also breaks {sorted(set(others) - later_users)}"
    )


def _defined_names(src: str) -> set[str]:
    import ast

    try:
        tree = ast.parse(src)
    except SyntaxError:
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
