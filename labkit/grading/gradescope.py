"""``labkit gradescope NOTEBOOK... -o autograder.zip``: a Gradescope autograder for labkit
notebooks.

Gradescope runs the autograders of large courses on its own machines, one container per
submission, so thousands of submissions are graded without a farm of your own. Its autograder
format ("Autograder Specifications", gradescope-autograders.readthedocs.io): a zip with
``setup.sh`` (installs dependencies on Ubuntu) and ``run_autograder`` at its root. The zip is
unpacked in ``/autograder/source``, the student's files are in ``/autograder/submission``, and
``run_autograder`` writes ``/autograder/results/results.json``::

    {"score": 7.0, "execution_time": 12.3, "output": "...", "stdout_visibility": "hidden",
     "tests": [{"name": ..., "score": ..., "max_score": ..., "output": ..., "visibility": ...}]}

The zip built here holds the source notebooks (solutions, hidden tests), a copy of labkit (with
``pyproject.toml`` and ``constraints.txt``), ``setup.sh`` (a venv with CPU torch and labkit) and
``run_autograder`` (``python -m labkit.grading.gradescope run``: ``labkit grade`` on the
submission, then results.json). Per exercise there are two entries: ``<exercise> (public
check)``, 0 points, visible at once, saying whether the public check passes; and ``<exercise>``
with its points, ``after_published`` when the test cell has hidden tests (students see it when
you publish the grades), else ``visible``. Written answers are left to Gradescope's manual
grading and named in the output.
"""

from __future__ import annotations

import json
import sys
import time
import zipfile
from pathlib import Path

import nbformat

from labkit import config

from .nbmeta import BEGIN_HIDDEN, is_autograded_test, nbgrader_meta, source_text

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image. The pinned versions in
# constraints.txt need Python 3.11 or newer: pick a base image that has it (e.g. Ubuntu 24.04).
set -euo pipefail
cd /autograder/source
apt-get update -q && apt-get install -y -q python3 python3-venv python3-pip git
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "labkit's pinned packages need Python >= 3.11; this image has $(python3 --version)." \
       "Choose a newer base image (e.g. Ubuntu 24.04) in the autograder settings." >&2; exit 1; }
python3 -m venv /autograder/venv
PIP="/autograder/venv/bin/pip"
"$PIP" install -q --upgrade pip
C=""; [ -f labkit-src/constraints.txt ] && C="-c labkit-src/constraints.txt"
# CPU torch: grading runs in fast mode, and the CUDA wheels are gigabytes
"$PIP" install -q $C --index-url https://download.pytorch.org/whl/cpu torch torchvision
"$PIP" install -q $C ./labkit-src
# MNIST for the notebooks' data cells (grading runs offline; without it labkit falls back to
# scikit-learn's digits and says so)
LABKIT_DATA=/autograder/source/data /autograder/venv/bin/python -c \\
  "from torchvision.datasets import MNIST; \
MNIST('/autograder/source/data', train=False, download=True)" || true
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. LABKIT_AUTOGRADER_ROOT / _PYTHON exist for labkit's own
# test (a fake /autograder tree); Gradescope sets neither.
ROOT="${LABKIT_AUTOGRADER_ROOT:-/autograder}"
PY="${LABKIT_AUTOGRADER_PYTHON:-/autograder/venv/bin/python}"
export LABKIT_DATA="${LABKIT_DATA:-$ROOT/source/data}"
exec "$PY" -m labkit.grading.gradescope run --root "$ROOT"
"""


# ----------------------------------------------------------------------------- building the zip
def _add_tree(z: zipfile.ZipFile, folder: Path, arc: str):
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and "__pycache__" not in rel.parts and p.suffix not in (".pyc", ".ipynb"):
            z.write(p, f"{arc}/{rel.as_posix()}")


def build(notebooks, out) -> Path:
    """Write the autograder zip for the given source notebooks; returns its path."""
    import labkit

    from .nbmeta import validate_notebook

    notebooks = [Path(n) for n in notebooks]
    for n in notebooks:
        problems = validate_notebook(nbformat.read(n, as_version=4))
        if problems:
            raise ValueError(
                f"{n}: source notebook breaks the exercise rules:\n  "
                + "\n  ".join(map(str, problems))
            )
    pkg = Path(labkit.__file__).resolve().parent
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16  # executable, as Gradescope expects
            z.writestr(info, text)
        for n in notebooks:
            z.write(n, f"notebooks/{n.name}")
        _add_tree(z, pkg, "labkit-src/labkit")
        for extra in ("pyproject.toml", "constraints.txt", "README.md"):
            if (pkg.parent / extra).is_file():
                z.write(pkg.parent / extra, f"labkit-src/{extra}")
    return out


# ----------------------------------------------------------------------------- results.json
def _has_hidden(source_nb) -> dict[str, bool]:
    return {
        nbgrader_meta(c)["grade_id"]: BEGIN_HIDDEN in source_text(c)
        for c in source_nb.cells
        if is_autograded_test(c)
    }


def results_json(results, sources: dict, seconds: float = 0.0) -> dict:
    """Gradescope's results.json for graded submissions (``labkit.grading.grade.Result`` list);
    ``sources``: notebook name -> source notebook."""
    tests, notes, manual = [], [], []
    for r in results:
        hidden = _has_hidden(sources[r.notebook]) if r.notebook in sources else {}
        for row in r.rows:
            gid, status, detail = row["exercise"], row["status"], str(row["detail"] or "")
            if status == "manual":
                manual.append(f"{gid} ({row['max_points']:g} points)")
                continue
            name = f"{r.notebook}: {gid}" if gid else r.notebook
            if hidden.get(gid):
                public_ok = status == "passed" or row.get("hidden_failed", False)
                tests.append(
                    dict(
                        name=f"{name} (public check)",
                        score=0.0,
                        max_score=0.0,
                        output="passed" if public_ok else f"{status}: {detail}".rstrip(": "),
                        visibility="visible",
                    )
                )
            tests.append(
                dict(
                    name=name,
                    score=float(row["points"]),
                    max_score=float(row["max_points"]),
                    output=f"{status}" + (f": {detail}" if detail else ""),
                    visibility="after_published" if hidden.get(gid) else "visible",
                )
            )
        notes += r.notes
    output = []
    if manual:
        output.append("Written answers, graded by hand: " + ", ".join(manual) + ".")
    output += notes
    if not results:
        output.append("No notebook (.ipynb) found in the submission: upload your notebook file.")
    return dict(
        score=sum(t["score"] for t in tests),
        execution_time=round(seconds, 1),
        output="\n".join(output),
        stdout_visibility="hidden",
        tests=tests,
    )


def validate_results(res: dict) -> list[str]:
    """Problems with a results.json dict against Gradescope's documented schema (empty: valid)."""
    errs = []
    if not isinstance(res.get("tests"), list):
        return ["'tests' must be a list"]
    if "score" in res and not isinstance(res["score"], (int, float)):
        errs.append("'score' must be a number")
    for k in ("visibility", "stdout_visibility"):
        if k in res and res[k] not in VISIBILITIES:
            errs.append(f"{k} {res[k]!r} not in {VISIBILITIES}")
    for i, t in enumerate(res["tests"]):
        for k, typ in (
            ("name", str),
            ("score", (int, float)),
            ("max_score", (int, float)),
            ("output", str),
        ):
            if not isinstance(t.get(k), typ):
                errs.append(f"tests[{i}].{k} missing or not a {typ}")
        if t.get("visibility", "visible") not in VISIBILITIES:
            errs.append(f"tests[{i}].visibility {t.get('visibility')!r} not in {VISIBILITIES}")
    return errs


def run(root) -> dict:
    """Grade ``ROOT/submission`` against ``ROOT/source/notebooks`` and write
    ``ROOT/results/results.json``; returns the dict written."""
    from .grade import Options, grade, load_sources

    root = Path(root)
    source = root / "source" / "notebooks"
    t0 = time.monotonic()
    sub = root / "submission"
    found = (
        sorted(p for p in sub.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        if sub.is_dir()
        else []
    )
    results = grade(found, source, opts=Options(jobs=1), quiet=True) if found else []
    sources = {name: s.nb for name, s in load_sources(source).items()}
    res = results_json(results, sources, time.monotonic() - t0)
    problems = validate_results(res)
    if problems:  # Gradescope would show the student nothing: fail loudly in the autograder log
        raise RuntimeError(
            "labkit built a results.json that Gradescope would reject: " + "; ".join(problems)
        )
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1))
    return res


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m labkit.grading.gradescope")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="grade /autograder/submission (what run_autograder calls)")
    r.add_argument("--root", default=config.autograder_root())
    args = ap.parse_args(argv)
    res = run(args.root)
    print(f"score {res['score']:g} / {sum(t['max_score'] for t in res['tests']):g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
