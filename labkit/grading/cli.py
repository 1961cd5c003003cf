"""Instructor commands added to ``labkit``'s parser: ``release``, ``grade`` (``--shard``),
``grade-merge``, ``validate``, ``gradescope``, ``nbgrader-config``, ``course set-repo``."""

from __future__ import annotations

import argparse
import sys


def _release(args) -> int:
    from .release import ReleaseError, release

    try:
        release(args.src, args.dest, overwrite=True, repo=args.repo, tag=args.tag)
    except (ReleaseError, FileNotFoundError, ValueError) as e:
        print(f"labkit release: {e}", file=sys.stderr)
        return 2
    return 0


def _grade(args) -> int:
    from .grade import Options, grade, parse_shard

    try:
        shard = parse_shard(args.shard) if args.shard else None
        opts = Options(
            cell_timeout=args.timeout,
            notebook_timeout=args.notebook_timeout,
            memory_gb=args.memory_gb,
            jobs=args.jobs,
            mode=args.mode,
            shard=shard,
        )
        grade(args.submissions, args.source, out=args.out, feedback=args.feedback, opts=opts)
    except (FileNotFoundError, ValueError) as e:
        print(f"labkit grade: {e}", file=sys.stderr)
        return 2
    return 0


def _grade_merge(args) -> int:
    from .grade import merge_csv

    try:
        n = merge_csv(args.csvs, args.out)
    except (ValueError, FileNotFoundError, KeyError) as e:
        print(f"labkit grade-merge: {e}", file=sys.stderr)
        return 2
    print(f"merged {len(args.csvs)} CSV(s), {n} row(s) -> {args.out}")
    return 0


def _gradescope(args) -> int:
    from .gradescope import build

    try:
        out = build(args.notebooks, args.out)
    except (ValueError, FileNotFoundError) as e:
        print(f"labkit gradescope: {e}", file=sys.stderr)
        return 2
    print(
        f"wrote {out}: upload it as the autograder of a Gradescope programming assignment "
        "(students submit their .ipynb)"
    )
    return 0


def _course(args) -> int:
    from .course import set_repo

    try:
        for line in set_repo(args.url, args.tag, root=args.root, build=not args.no_build):
            print(line)
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"labkit course set-repo: {e}", file=sys.stderr)
        return 2
    print(
        "Commit labkit/_repo.py and notebooks/, then push the tag: "
        "the badges and install lines point there."
    )
    return 0


def _nbgrader_config(args) -> int:
    from .nbgrader import write_config

    print("wrote", write_config(args.folder, args.course_id, args.timeout))
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
    print(
        f"{len(args.notebooks) - bad}/{len(args.notebooks)} notebooks "
        "follow the nbgrader schema-3 rules"
    )
    return 1 if bad else 0


def add_parsers(sub) -> None:
    r = sub.add_parser(
        "release",
        help="write student notebooks: solutions stubbed, hidden tests removed",
        description="Student notebooks from source notebooks: each ### BEGIN/END SOLUTION "
        "region becomes '# YOUR CODE HERE' + 'raise NotImplementedError()' (written answers: "
        "'YOUR ANSWER HERE'), hidden tests and claim cells (tag 'claim') are removed, outputs "
        "cleared, test cells locked; --repo/--tag point badges and the install line at the "
        "student repository.",
    )
    r.add_argument("src", help="a source notebook or a folder of them (e.g. notebooks/)")
    r.add_argument("dest", help="output folder (or .ipynb file when SRC is one notebook)")
    r.add_argument(
        "--repo",
        default=None,
        help="the STUDENT repository (https://github.com/OWNER/NAME): Colab "
        "badges and the setup cell's install line point there instead of at the course sources",
    )
    r.add_argument(
        "--tag",
        default=None,
        help="tag or branch of the student repository (default: labkit/_repo.py's)",
    )
    r.set_defaults(func=_release)

    gs = sub.add_parser(
        "gradescope",
        help="build a Gradescope autograder zip for source notebooks",
        description="Build autograder.zip: setup.sh (venv, CPU torch, labkit) and run_autograder "
        "(labkit grade on /autograder/submission -> /autograder/results/results.json).",
    )
    gs.add_argument(
        "notebooks", nargs="+", help="source notebooks (with solutions and hidden tests)"
    )
    gs.add_argument("-o", "--out", default="autograder.zip")
    gs.set_defaults(func=_gradescope)

    c = sub.add_parser("course", help="course settings: set-repo URL --tag TAG")
    csub = c.add_subparsers(dest="course_cmd", required=True)
    sr = csub.add_parser(
        "set-repo",
        help="point every badge and install line at this repository and tag",
        description="Rewrite labkit/_repo.py (the one place that names the course repository) "
        "and rebuild every notebook from tools/notebooks/, so Colab badges and the setup cell's "
        "install line point at URL@TAG.",
    )
    sr.add_argument("url", help="https://github.com/OWNER/NAME")
    sr.add_argument(
        "--tag", required=True, help="the tag (or branch) students install from, e.g. v1"
    )
    sr.add_argument(
        "--root", default=None, help="the course checkout (default: the one holding this labkit)"
    )
    sr.add_argument("--no-build", action="store_true", help="only rewrite labkit/_repo.py")
    sr.set_defaults(func=_course)

    n = sub.add_parser(
        "nbgrader-config",
        help="write nbgrader_config.py for grading these notebooks with nbgrader",
        description="Write nbgrader_config.py (course id; claim cells removed by "
        "generate_assignment; cell timeout) into FOLDER.",
    )
    n.add_argument("folder", nargs="?", default=".", help="the nbgrader course folder (default: .)")
    n.add_argument("--course-id", default="labkit")
    n.add_argument(
        "--timeout", type=int, default=300, help="seconds per cell for nbgrader autograde"
    )
    n.set_defaults(func=_nbgrader_config)

    g = sub.add_parser(
        "grade",
        help="autograde submitted notebooks against the source notebooks",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Rebuild each submission from its source notebook (instructor cells and "
        "tests from the source, answers from the submission), run it in a fresh kernel in fast "
        "mode with time and memory limits, and score the public and hidden tests.",
    )
    g.add_argument(
        "submissions",
        nargs="+",
        help="folders (student/notebook.ipynb or student_notebook.ipynb), "
        ".ipynb files or .zip files",
    )
    g.add_argument(
        "--source",
        required=True,
        help="folder of source notebooks (with solutions and hidden tests)",
    )
    g.add_argument(
        "--out",
        default="grades.csv",
        help="CSV: student, notebook, exercise, points, max_points, status, detail",
    )
    g.add_argument(
        "--feedback", default=None, help="folder for one feedback file per student (.md and .html)"
    )
    g.add_argument("--jobs", "-j", type=int, default=1, help="submissions graded in parallel")
    g.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds per cell (CI runs fast-mode cells with 300)",
    )
    g.add_argument("--notebook-timeout", type=float, default=1800.0, help="seconds per notebook")
    g.add_argument(
        "--memory-gb",
        type=float,
        default=8.0,
        help="address-space limit per kernel in GiB (0: none, needed to grade on a GPU)",
    )
    g.add_argument(
        "--mode", default="fast", choices=["fast", "full"], help="LABKIT_MODE for the kernels"
    )
    g.add_argument(
        "--shard",
        default=None,
        metavar="I/N",
        help="grade only the I-th of N shares of the submissions (1 <= I <= N; e.g. a Slurm array "
        "task or a CI matrix job), then join the CSVs with `labkit grade-merge`",
    )
    g.set_defaults(func=_grade)

    m = sub.add_parser(
        "grade-merge",
        help="join the CSVs of `labkit grade --shard I/N` runs into one",
        description="Merge shard CSVs into the CSV one `labkit grade` run would have written.",
    )
    m.add_argument("csvs", nargs="+", help="the shards' CSV files")
    m.add_argument("-o", "--out", default="grades.csv")
    m.set_defaults(func=_grade_merge)

    v = sub.add_parser(
        "validate", help="check notebooks against the nbgrader schema-3 and marker rules"
    )
    v.add_argument("notebooks", nargs="+")
    v.add_argument(
        "--released", action="store_true", help="student notebooks (no markers expected)"
    )
    v.set_defaults(func=_validate)
