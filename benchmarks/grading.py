"""Time to grade 20 submissions of one lab with ``labkit grade --jobs 2``.

Submissions are made from the lab's source notebook: released notebooks with a seeded random
subset of exercises answered with the source solution, including 2 complete and 2 empty ones.
Expected points: max for complete, 0 for empty; for a partial one at least the tests whose answers
and all earlier answers are given, at most the tests whose own answers are given (a test may use
earlier answers). Reference: one plain nbclient run of the source notebook
(no grading), i.e. what executing the lab costs anyway.

    LABKIT_DATA=../shared/data/mnist .venv/bin/python benchmarks/grading.py \
        [--notebook notebooks/04_autoencoders_vae.ipynb] [-n 20] [--jobs 2]

Writes benchmarks/results/grading.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from labkit.grading.grade import Options, grade, load_source  # noqa: E402
from labkit.grading.nbmeta import is_graded, nbgrader_meta  # noqa: E402
from labkit.grading.release import release  # noqa: E402


def pick_notebook() -> Path:
    labs = [
        p
        for p in sorted((ROOT / "notebooks").glob("0[1-5]_*.ipynb"))
        if any(is_graded(c) for c in nbformat.read(p, as_version=4).cells)
    ]
    return labs[0] if labs else ROOT / "tests" / "grading_fixtures" / "demo.ipynb"


def make_submissions(src_path: Path, released_path: Path, out: Path, n: int, seed: int = 0):
    src = nbformat.read(src_path, as_version=4)
    rel = nbformat.read(released_path, as_version=4)
    source = load_source(src_path)
    answers = {
        (nbgrader_meta(c) or {}).get("grade_id"): c.source
        for c in src.cells
        if (nbgrader_meta(c) or {}).get("solution")
    }
    tests = source.tests
    rng = random.Random(seed)
    expected = {}
    for k in range(n):
        chosen = (
            set(answers)
            if k < 2
            else set()
            if k < 4
            else {a for a in answers if rng.random() < 0.5}
        )
        nb = copy.deepcopy(rel)
        for c in nb.cells:
            gid = (nbgrader_meta(c) or {}).get("grade_id")
            if gid in chosen:
                c.source = answers[gid]
        student = f"student{k:02d}"
        (out / student).mkdir(parents=True)
        nbformat.write(nb, out / student / src_path.name)
        # a test may also use earlier answers (hidden tests, helpers): bounds, exact for full/empty
        upper = sum(t["points"] for t in tests if t.get("answers") and set(t["answers"]) <= chosen)
        lower, seen = 0.0, set()
        for t in tests:
            seen |= set(t.get("answers", []))
            if seen <= chosen:
                lower += t["points"]
        expected[student] = (lower, upper)
    return expected


def plain_run(path: Path) -> float:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebook", type=Path, default=None)
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args(argv)
    os.environ.setdefault("LABKIT_MODE", "fast")
    nb_path = (args.notebook or pick_notebook()).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src_dir = tmp / "source"
        src_dir.mkdir()
        (src_dir / nb_path.name).write_bytes(nb_path.read_bytes())
        release(src_dir, tmp / "release", quiet=True)
        expected = make_submissions(
            src_dir / nb_path.name, tmp / "release" / nb_path.name, tmp / "subs", args.n
        )
        ref = None if args.no_reference else plain_run(src_dir / nb_path.name)
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        results = grade(
            [tmp / "subs"],
            src_dir,
            out=tmp / "grades.csv",
            feedback=tmp / "feedback",
            opts=Options(jobs=args.jobs),
            quiet=True,
        )
        total = time.perf_counter() - t0
    per = [r.seconds for r in results]
    got = {r.student: r.points for r in results}
    mismatches = {
        s: (got.get(s), e)
        for s, e in expected.items()
        if got.get(s) is None or not e[0] <= got[s] <= e[1]
    }
    statuses = {}
    for r in results:
        for row in r.rows:
            statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    print(
        f"notebook: {nb_path.name}   submissions: {args.n}   jobs: {args.jobs}   "
        f"load average at start: {load:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'':34}{'labkit grade':>14}{'plain nbclient run':>20}{'ratio':>8}")
    print(
        f"{'one notebook (s, median)':34}{statistics.median(per):14.1f}"
        + (f"{ref:20.1f}{statistics.median(per) / ref:8.2f}" if ref else "")
    )
    print(
        f"{'all %d submissions (s, wall)' % args.n:34}{total:14.1f}"
        + (f"{ref * args.n:20.1f}{total / (ref * args.n):8.2f}" if ref else "")
        + ("   (reference: sequential)" if ref else "")
    )
    print(f"statuses: {statuses}")
    full = next((r for r in results if r.student == "student00"), None)
    slow = sorted(full.timings, key=lambda t: -t[3])[:6] if full else []
    print("slowest cells of a complete submission (index, kind, grade_id, s):", slow)
    print(
        "points as expected (full: max, empty: 0, partial: within the bounds its answers allow): "
        + ("yes" if not mismatches else f"NO {mismatches}")
    )
    out = ROOT / "benchmarks" / "results" / "grading.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            dict(
                notebook=nb_path.name,
                submissions=args.n,
                jobs=args.jobs,
                wall_seconds=round(total, 1),
                per_submission_median_s=round(statistics.median(per), 1),
                per_submission_max_s=round(max(per), 1),
                plain_run_s=round(ref, 1) if ref else None,
                statuses=statuses,
                expected_points_ok=not mismatches,
                mismatches=mismatches,
                slowest_cells=slow,
                load_average=round(load, 1),
                cpus=os.cpu_count(),
                python=platform.python_version(),
            ),
            indent=2,
        )
    )
    print("wrote", out.relative_to(ROOT))
    return 0 if not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
