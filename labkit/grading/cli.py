"""``labkit release``, ``labkit grade`` and ``labkit validate`` (added to ``labkit``'s parser)."""
from __future__ import annotations

import argparse
import sys


def _release(args) -> int:
    from .release import ReleaseError, release
    try:
        release(args.src, args.dest, overwrite=True)
    except (ReleaseError, FileNotFoundError, ValueError) as e:
        print(f"labkit release: {e}", file=sys.stderr)
        return 2
    return 0


def _grade(args) -> int:
    from .grade import Options, grade
    opts = Options(cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                   memory_gb=args.memory_gb, jobs=args.jobs, mode=args.mode)
    try:
        grade(args.submissions, args.source, out=args.out, feedback=args.feedback, opts=opts)
    except (FileNotFoundError, ValueError) as e:
        print(f"labkit grade: {e}", file=sys.stderr)
        return 2
    return 0


def _validate(args) -> int:
    import nbformat
    from .nbmeta import validate_notebook
    bad = 0
    for path in args.notebooks:
        problems = validate_notebook(nbformat.read(path, as_version=4), markers=not args.released)
        for p in problems:
            print(f"{path}: {p}")
        bad += bool(problems)
    print(f"{len(args.notebooks) - bad}/{len(args.notebooks)} notebooks follow the nbgrader schema-3 rules")
    return 1 if bad else 0


def add_parsers(sub) -> None:
    r = sub.add_parser("release", help="write student notebooks: solutions stubbed, hidden tests removed",
                       description="Student notebooks from source notebooks: each ### BEGIN/END SOLUTION "
                       "region becomes '# YOUR CODE HERE' + 'raise NotImplementedError()', hidden tests are "
                       "removed, outputs cleared, test cells locked.")
    r.add_argument("src", help="a source notebook or a folder of them (e.g. notebooks/)")
    r.add_argument("dest", help="output folder (or .ipynb file when SRC is one notebook)")
    r.set_defaults(func=_release)

    g = sub.add_parser("grade", help="autograde submitted notebooks against the source notebooks",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Rebuild each submission from its source notebook (instructor cells and "
                       "tests from the source, answers from the submission), run it in a fresh kernel in fast "
                       "mode with time and memory limits, and score the public and hidden tests.")
    g.add_argument("submissions", nargs="+",
                   help="folders (student/notebook.ipynb or student_notebook.ipynb), .ipynb files or .zip files")
    g.add_argument("--source", required=True, help="folder of source notebooks (with solutions and hidden tests)")
    g.add_argument("--out", default="grades.csv", help="CSV: student, notebook, exercise, points, max_points, "
                   "status, detail")
    g.add_argument("--feedback", default=None, help="folder for one feedback file per student (.md and .html)")
    g.add_argument("--jobs", "-j", type=int, default=1, help="submissions graded in parallel")
    g.add_argument("--timeout", type=float, default=300.0, help="seconds per cell (CI runs fast-mode cells with 300)")
    g.add_argument("--notebook-timeout", type=float, default=1800.0, help="seconds per notebook")
    g.add_argument("--memory-gb", type=float, default=8.0,
                   help="address-space limit per kernel in GiB (0: none, needed to grade on a GPU)")
    g.add_argument("--mode", default="fast", choices=["fast", "full"], help="LABKIT_MODE for the kernels")
    g.set_defaults(func=_grade)

    v = sub.add_parser("validate", help="check notebooks against the nbgrader schema-3 and marker rules")
    v.add_argument("notebooks", nargs="+")
    v.add_argument("--released", action="store_true", help="student notebooks (no markers expected)")
    v.set_defaults(func=_validate)
