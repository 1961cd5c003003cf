"""The nbgrader round trip: the same submissions graded by nbgrader 0.9.6 and by ``labkit grade``.

For the notebooks given (one nbgrader course, one assignment holding all of them):

1. the source each grader gets is the notebook's *exercise slice* (:func:`exercise_slice`): the
   setup cell, every answer and test cell, and the earlier code cells that define a name those
   use (transitively), up to the last test cell; claim and ``skip-grading`` cells dropped. That
   is what grading needs; training and figures that no test reads are left out, so the round
   trip of every notebook fits in CI;
2. ``nbgrader generate_assignment`` releases it (config from :mod:`labkit.grading.nbgrader`);
3. three students hand in, built from nbgrader's release: ``solution`` (every answer cell holds
   the source's solution), ``blank`` (the release as it is) and ``wrong`` (every code answer cell
   holds ``WRONG_DIR/<grade_id>.py``, a typical wrong answer);
4. ``nbgrader autograde`` and ``labkit grade`` grade the three; :func:`table` puts the points side
   by side per notebook, exercise and submission. Written (manual) answers are listed as
   ``manual`` by both and left out of the comparison.

``python -m labkit.grading.roundtrip NOTEBOOK... --wrong DIR --json OUT`` runs it and prints the
table.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from labkit import config

from .nbmeta import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    is_autograded_test,
    is_claim,
    nbgrader_meta,
    source_text,
)

ASSIGNMENT = "labkit"
STUDENTS = ("solution", "blank", "wrong")
SKIP_TAG = "skip-grading"


# ----------------------------------------------------------------------------- slicing
def _stored(nodes) -> set[str]:
    out = set()
    for n in nodes:
        for m in ast.walk(n):
            if isinstance(m, ast.Name) and isinstance(m.ctx, (ast.Store, ast.Del)):
                out.add(m.id)
            elif isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(m.name)
    return out


def _free(node, bound: frozenset, out: set) -> None:
    """Names ``node`` reads from the notebook's namespace (function parameters, function locals and
    comprehension variables are not: they cannot come from another cell)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = node.args
        params = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x}
        for d in (
            list(getattr(node, "decorator_list", [])) + a.defaults + [d for d in a.kw_defaults if d]
        ):
            _free(d, bound, out)
        body = node.body if isinstance(node.body, list) else [node.body]
        inner = bound | params | _stored(body)
        for stmt in body:
            _free(stmt, frozenset(inner), out)
        return
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        inner = bound | _stored([g.target for g in node.generators])
        for child in ast.iter_child_nodes(node):
            _free(child, frozenset(inner), out)
        return
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound:
        out.add(node.id)
    for child in ast.iter_child_nodes(node):
        _free(child, bound, out)


def _names(code: str) -> tuple[set[str], set[str]] | None:
    """(names the cell binds at top level, names it reads from the namespace), or None if it
    cannot be parsed."""
    from .grade import _transform

    try:
        tree = ast.parse(_transform(code))
    except SyntaxError:
        return None
    binds = set()
    for node in tree.body:
        binds |= (
            _stored([node])
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            else {node.name}
        )
        for imp in ast.walk(node):
            if isinstance(imp, (ast.Import, ast.ImportFrom)):
                binds |= {
                    "*" if x.name == "*" else (x.asname or x.name.split(".")[0]) for x in imp.names
                }
    uses: set[str] = set()
    _free(tree, frozenset(), uses)
    return binds, uses


def exercise_slice(nb):
    """The cells grading needs (see the module docstring), as a new notebook."""
    cells = nb["cells"]
    last = max((i for i, c in enumerate(cells) if is_autograded_test(c)), default=-1)
    keep, needed = set(), set()
    for i in range(last, -1, -1):
        c = cells[i]
        if (
            c["cell_type"] != "code"
            or is_claim(c)
            or SKIP_TAG in c.get("metadata", {}).get("tags", [])
        ):
            continue
        names = _names(source_text(c))
        essential = i == 1 or nbgrader_meta(c) is not None or names is None or "*" in names[0]
        if essential or names[0] & needed:
            keep.add(i)
            if names:
                needed |= names[1]
    out = copy.deepcopy(nb)
    out["cells"] = [
        copy.deepcopy(c)
        for i, c in enumerate(cells)
        if i in keep or i == 0 or (c["cell_type"] == "markdown" and nbgrader_meta(c))
    ]
    return out


# ----------------------------------------------------------------------------- submissions
def _without_markers(text: str) -> str:
    return "\n".join(
        ln for ln in text.splitlines() if BEGIN_SOLUTION not in ln and END_SOLUTION not in ln
    )


def answer_cells(nb) -> dict[str, dict]:
    return {m["grade_id"]: c for c in nb["cells"] if (m := nbgrader_meta(c)) and m.get("solution")}


def make_submission(
    released, source, kind: str, wrong_dir: Path | None = None
) -> tuple[dict, list[str]]:
    """One student's notebook built from the release; returns it and the answer ids that have no
    wrong answer file (``kind='wrong'`` only)."""
    nb = copy.deepcopy(released)
    solutions = answer_cells(source)
    missing = []
    for gid, cell in answer_cells(nb).items():
        if kind == "solution":
            cell["source"] = _without_markers(source_text(solutions[gid]))
        elif kind == "wrong" and cell["cell_type"] == "code":
            f = Path(wrong_dir) / f"{gid}.py"
            if f.is_file():
                cell["source"] = f.read_text().rstrip("\n")
            else:
                missing.append(gid)
    return nb, missing


# ----------------------------------------------------------------------------- running
def _env() -> dict:
    env = dict(
        os.environ,
        LABKIT_MODE="fast",
        LABKIT_OFFLINE="1" if config.offline(default=True) else "0",
        MPLBACKEND="Agg",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    env.pop("LABKIT_GRADING", None)  # plain nbgrader: no grading switch
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")  # alembic
    return env


def _nbgrader(course: Path, *args: str, log: list) -> None:
    cmd = [str(Path(sys.executable).parent / "nbgrader"), *args, "--force"]
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=course, env=_env(), capture_output=True, text=True)
    log.append(
        dict(cmd=" ".join(cmd[1:]), seconds=round(time.monotonic() - t0, 1), rc=r.returncode)
    )
    if r.returncode:
        raise RuntimeError(
            f"nbgrader {' '.join(args)} failed (exit {r.returncode}):\n{r.stdout[-3000:]}\n"
            f"{r.stderr[-3000:]}"
        )


def run(notebooks, workdir, wrong_dir, jobs: int = 1) -> dict:
    """The whole round trip; returns the result dict (:func:`table` reads it)."""
    from .grade import Options, grade
    from .nbgrader import gradebook_points, write_config

    t0 = time.monotonic()
    course = Path(workdir) / "course"
    src_dir = course / "source" / ASSIGNMENT
    src_dir.mkdir(parents=True, exist_ok=True)
    write_config(course)
    sources = {}
    for p in map(Path, notebooks):
        nb = exercise_slice(nbformat.read(p, as_version=4))
        nbformat.write(nb, src_dir / p.name)
        sources[p.stem] = nb
    log: list = []
    _nbgrader(course, "generate_assignment", ASSIGNMENT, log=log)
    missing = {}
    for name, src in sources.items():
        released = nbformat.read(course / "release" / ASSIGNMENT / f"{name}.ipynb", as_version=4)
        for kind in STUDENTS:
            sub, miss = make_submission(released, src, kind, wrong_dir)
            if miss:
                missing[name] = miss
            out = course / "submitted" / kind / ASSIGNMENT / f"{name}.ipynb"
            out.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(sub, out)
    _nbgrader(course, "autograde", ASSIGNMENT, log=log)
    nbg = gradebook_points(course, ASSIGNMENT)
    t1 = time.monotonic()
    results = grade(
        [course / "submitted"],
        src_dir,
        out=Path(workdir) / "labkit_grades.csv",
        opts=Options(jobs=jobs, cell_timeout=300),
        quiet=True,
    )
    log.append(
        dict(
            cmd=f"labkit grade ({len(results)} submissions)",
            seconds=round(time.monotonic() - t1, 1),
            rc=0,
        )
    )
    lab = {
        (r.student, r.notebook, row["exercise"]): (
            None if row["status"] == "manual" else float(row["points"]),
            row["status"],
            row["max_points"],
        )
        for r in results
        for row in r.rows
    }
    rows = []
    for name, src in sources.items():
        for c in src["cells"]:
            m = nbgrader_meta(c)
            if not (m and m.get("grade")):
                continue
            gid = m["grade_id"]
            manual = not is_autograded_test(c)
            row = dict(
                notebook=name,
                exercise=gid,
                max_points=float(m.get("points", 0)),
                kind="manual" if manual else "auto",
            )
            for kind in STUDENTS:
                n = nbg.get((kind, name, gid), "missing")
                lp, status, _ = lab.get((kind, name, gid), ("missing", "missing", None))
                row[kind] = dict(nbgrader=n, labkit=lp, labkit_status=status)
            rows.append(row)
    return dict(
        notebooks=list(sources),
        rows=rows,
        missing_wrong=missing,
        commands=log,
        seconds=round(time.monotonic() - t0, 1),
    )


def problems(result: dict) -> list[str]:
    """Every way the round trip falls short: expected points and agreement per exercise."""
    out = [
        f"{nb}: no wrong answer file for {', '.join(ids)} "
        "(tests/grading_fixtures/wrong/<grade_id>.py)"
        for nb, ids in result["missing_wrong"].items()
    ]
    for r in result["rows"]:
        if r["kind"] == "manual":
            continue
        want = dict(solution=r["max_points"], blank=0.0, wrong=0.0)
        for kind in STUDENTS:
            g = r[kind]
            where = f"{r['notebook']} {r['exercise']} ({kind})"
            if g["nbgrader"] != g["labkit"]:
                out.append(
                    f"{where}: nbgrader gives {g['nbgrader']}, "
                    f"labkit {g['labkit']} ({g['labkit_status']})"
                )
            for who in ("nbgrader", "labkit"):
                if g[who] != want[kind]:
                    out.append(
                        f"{where}: {who} gives {g[who]}, expected {want[kind]:g}"
                        + (f" (labkit status: {g['labkit_status']})" if who == "labkit" else "")
                    )
    return out


def table(result: dict) -> str:
    lines = [
        f"{'notebook':<34} {'exercise':<28} {'max':>4}  "
        + "  ".join(f"{k + ' nbg/lab':>15}" for k in STUDENTS)
    ]
    for r in result["rows"]:

        def cell(g):
            f = lambda v: "-" if v is None else (v if isinstance(v, str) else f"{v:g}")
            return f"{f(g['nbgrader'])}/{f(g['labkit'])}"

        cells = "  ".join(f"{cell(r[k]):>15}" for k in STUDENTS)
        lines.append(
            f"{r['notebook']:<34} {r['exercise']:<28} {r['max_points']:>4g}  {cells}"
            + ("  (manual)" if r["kind"] == "manual" else "")
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description="nbgrader round trip (see the module docstring)")
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--wrong", required=True, help="folder of <grade_id>.py wrong answers")
    ap.add_argument("--json", default=None, help="write the result here")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="labkit-roundtrip-") as tmp:
        res = run(args.notebooks, args.workdir or tmp, args.wrong)
    print(table(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
    bad = problems(res)
    print(
        "\n".join(bad) if bad else "round trip: every exercise agrees", f"({res['seconds']:.0f} s)"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
