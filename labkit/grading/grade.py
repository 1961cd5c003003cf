"""``labkit grade SUBMISSIONS --source notebooks/ --out grades.csv``: autograde submissions.

For each submitted notebook:

1. match it to its source notebook (by file name, else by the exercise ids it carries);
2. rebuild it from the SOURCE's cell list: every instructor cell and every test cell (hidden
   tests included) comes from the source; only the answer cells come from the submission,
   found by their nbgrader ``grade_id`` (else the cell id, else the answer's first line). A
   student who deletes, edits, copies or retypes a test cell, or inserts cells, changes
   nothing: inserted cells are not run, test cells are always the instructor's;
3. run it in a fresh kernel (``labkit.grading._worker``): empty temporary folder, sanitised
   environment, fast mode, a time limit per cell and per notebook, a memory limit;
4. score each test cell from the grader's side: the test runs through ``_runner`` with a fresh
   copy of labkit's checks and reports back in the execute reply with a per-run token; the
   points come from the source's metadata only.

One submission that crashes, hangs, eats memory or is not JSON never stops the run or
changes anyone else's grade: it runs in its own processes and is reported with the reason.
"""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from labkit import config

from .nbmeta import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    is_autograded_test,
    is_claim,
    nbgrader_meta,
    source_text,
    validate_notebook,
)
from .release import strip_solution
from .report import (  # noqa: F401
    CSV_FIELDS,
    _key,
    feedback_html,
    feedback_markdown,
    merge_csv,
    summary_table,
    write_csv,
    write_feedback,
)

SKIP_TAG = "skip-grading"  # source cells with this tag are not run by the grader (plots, widgets)

# Answer code that reaches for the grader's machinery: flagged for a human to look at.
SUSPICIOUS = [
    (r"\bsys\.modules\b", "sys.modules"),
    (r"\bget_ipython\b", "get_ipython"),
    (r"\b(input|ast)_transformers", "IPython transformers"),
    (r"\bevents\.register\b", "IPython events"),
    (r"\bmeta_path\b|\bpath_hooks\b", "import hooks"),
    (r"\b__builtins__\b|\bimport builtins\b", "builtins"),
    (r"\b_getframe\b|\binspect\.(stack|currentframe)", "frame inspection"),
    (r"LABKIT_|\bos\.environ\b", "environment variables"),
    (r"labkit\.(checks|grading)\b", "labkit.checks"),
    (r"\.ipynb\b", "notebook files"),
    (r"/proc/", "/proc"),
    (r"\bos\._exit\b|\bos\.kill\b", "process control"),
    (r"\bsetattr\s*\(\s*labkit", "setattr on labkit"),
    (r"\bctypes\b", "ctypes"),
    (r"\bgc\.get_(objects|referrers)\b", "gc introspection"),
]


# ----------------------------------------------------------------------------- sources
@dataclass
class Source:
    name: str  # file stem, e.g. "01_kmeans"
    path: Path
    nb: dict
    cells: list  # [dict(kind, grade_id, source, stub, first_line, modules, hidden)]
    tests: list  # [dict(grade_id, points, kind)] in notebook order
    imports: list
    answer_ids: set = field(default_factory=set)

    @property
    def max_points(self) -> float:
        return sum(t["points"] for t in self.tests)


def _transform(src: str) -> str:
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(src)
    except Exception:
        return src


def _labkit_imports(code: str) -> list[str]:
    try:
        tree = ast.parse(_transform(code))
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name == "labkit" or a.name.startswith("labkit.") for a in node.names
        ):
            out.append(ast.unparse(node))
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and (node.module == "labkit" or node.module.startswith("labkit."))
        ):
            out.append(ast.unparse(node))
    return out


def _first_line(src: str) -> str:
    for line in src.splitlines():
        s = line.strip()
        if s and not s.startswith("#"):
            return s
    return ""


def _hidden_lines(src: str) -> set[int]:
    out, inside = set(), False
    for i, line in enumerate(src.splitlines(), 1):
        if BEGIN_HIDDEN in line:
            inside = True
        elif END_HIDDEN in line:
            inside = False
        elif inside:
            out.add(i)
    return out


def load_source(path) -> Source:
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    problems = validate_notebook(nb)
    if problems:
        raise ValueError(
            f"{path}: source notebook breaks the exercise rules:\n  "
            + "\n  ".join(map(str, problems))
        )
    cells, tests, imports = [], [], ["import labkit", "import labkit.checks"]
    pending: list[str] = []  # answer cells since the previous test cell
    # code runs up to the last autograded test cell; written answers after it are only listed
    last_test = max((i for i, c in enumerate(nb.cells) if is_autograded_test(c)), default=-1)
    for i, c in enumerate(nb.cells):
        meta = nbgrader_meta(c) or {}
        src = source_text(c)
        gid = meta.get("grade_id")
        if c.cell_type != "code":
            if meta.get("grade"):  # graded markdown answer: a human grades it
                tests.append(dict(grade_id=gid, points=float(meta.get("points", 0)), kind="manual"))
            continue
        if i > last_test or SKIP_TAG in c.metadata.get("tags", []) or is_claim(c):
            if meta.get("grade") and meta.get("solution"):  # a code answer graded by hand
                tests.append(dict(grade_id=gid, points=float(meta.get("points", 0)), kind="manual"))
            continue
        if meta.get("solution"):
            cells.append(
                dict(
                    kind="answer",
                    grade_id=gid,
                    source=src,
                    stub=strip_solution(src),
                    first_line=_first_line(src.split(BEGIN_SOLUTION)[0]),
                )
            )
            pending.append(gid)
            if meta.get("grade"):
                tests.append(dict(grade_id=gid, points=float(meta.get("points", 0)), kind="manual"))
            continue
        for imp in _labkit_imports(src):
            if imp not in imports:
                imports.append(imp)
        if meta.get("grade"):
            code = _transform(src)
            cells.append(
                dict(
                    kind="test",
                    grade_id=gid,
                    source=code,
                    hidden=sorted(_hidden_lines(code)),
                    modules=sorted(set(re.findall(r"\blabkit(?:\.[A-Za-z_]\w*)+", code))),
                )
            )
            tests.append(
                dict(
                    grade_id=gid, points=float(meta.get("points", 0)), kind="auto", answers=pending
                )
            )
            pending = []
        else:
            cells.append(dict(kind="code", source=src))
    answer_ids = {c["grade_id"] for c in cells if c["kind"] == "answer"}
    return Source(path.stem, path, nb, cells, tests, imports, answer_ids)


def load_sources(source) -> dict[str, Source]:
    source = Path(source)
    files = sorted(source.glob("*.ipynb")) if source.is_dir() else [source]
    if not files or not all(f.is_file() for f in files):
        raise FileNotFoundError(f"no source notebooks at {source}")
    out = {}
    for f in files:
        s = load_source(f)
        if s.tests:
            out[s.name] = s
    if not out:
        raise ValueError(
            f"no notebook in {source} has graded cells (metadata.nbgrader with grade: true)"
        )
    return out


# ----------------------------------------------------------------------------- submissions
@dataclass
class Submission:
    label: str  # where it came from, for messages
    relpath: PurePosixPath
    data: bytes
    mtime: float = 0.0
    student: str = ""
    source: Source | None = None
    nb: dict | None = None
    error: str = ""  # why it cannot be graded (the message)
    status: str = ""  # ... as a status: "malformed" or "unmatched"


def _common_prefix_len(paths) -> int:
    parts = [p.parts[:-1] for p in paths]
    n = 0
    while parts and all(len(p) > n for p in parts) and len({p[n] for p in parts}) == 1:
        n += 1
    return n


def collect(paths) -> list[Submission]:
    """Every ``*.ipynb`` in the given files, folders and .zip archives."""
    subs = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*.ipynb")):
                rel = f.relative_to(p)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                subs.append(
                    Submission(str(f), PurePosixPath(*rel.parts), f.read_bytes(), f.stat().st_mtime)
                )
        elif p.suffix == ".zip":
            with zipfile.ZipFile(p) as z:
                infos = [
                    i
                    for i in z.infolist()
                    if i.filename.endswith(".ipynb")
                    and not i.is_dir()
                    and not any(
                        x.startswith((".", "__MACOSX")) for x in PurePosixPath(i.filename).parts
                    )
                ]
                n = _common_prefix_len([PurePosixPath(i.filename) for i in infos])
                for i in infos:
                    rel = PurePosixPath(*PurePosixPath(i.filename).parts[n:])
                    subs.append(
                        Submission(
                            f"{p}:{i.filename}",
                            rel,
                            z.read(i),
                            time.mktime(i.date_time + (0, 0, -1)),
                        )
                    )
        elif p.is_file():
            subs.append(
                Submission(str(p), PurePosixPath(p.name), p.read_bytes(), p.stat().st_mtime)
            )
        else:
            raise FileNotFoundError(f"{p} does not exist")
    return subs


def parse_notebook(data: bytes) -> dict:
    """The notebook as a dict with a list of cells; ValueError saying why if it is not one."""
    try:
        d = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 text ({e.reason})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(d, dict):
        raise ValueError("not a notebook (the JSON is not an object)")
    if "worksheets" in d and "cells" not in d:
        d = dict(nbformat.convert(nbformat.from_dict(d), 4))
    if not isinstance(d.get("cells"), list):
        raise ValueError("not a notebook (no list of cells)")
    d["cells"] = [c for c in d["cells"] if isinstance(c, dict)]
    return d


def _ids_in(nb: dict) -> set[str]:
    out = set()
    for c in nb.get("cells", []):
        m = nbgrader_meta(c)
        if m and isinstance(m.get("grade_id"), str):
            out.add(m["grade_id"])
        if isinstance(c.get("id"), str):
            out.add(c["id"])
    return out


def match(sub: Submission, sources: dict[str, Source]):
    """Set sub.source (by file name, else by exercise ids), sub.nb and sub.student."""
    name = sub.relpath.name
    by_name = [s for s in sources.values() if s.name in name]
    src = max(by_name, key=lambda s: len(s.name)) if by_name else None
    try:
        sub.nb = parse_notebook(sub.data)
    except ValueError as e:
        sub.error, sub.status = f"malformed: {e}", "malformed"
    if src is None and sub.nb is not None:
        ids = _ids_in(sub.nb)
        scored = [
            (len(ids & (s.answer_ids | {t['grade_id'] for t in s.tests})), s)
            for s in sources.values()
        ]
        best = max(scored, key=lambda x: x[0], default=(0, None))
        if best[0]:
            src = best[1]
    sub.source = src
    if src is None and not sub.error:
        sub.error, sub.status = (
            "unmatched: no source notebook has this file name or its exercise ids",
            "unmatched",
        )
    sub.student = student_name(sub.relpath, src.name if src else None)


def student_name(rel: PurePosixPath, source_name: str | None) -> str:
    """``alice/01_kmeans.ipynb`` -> alice; ``alice_01_kmeans.ipynb`` -> alice."""
    if len(rel.parts) > 1:
        return rel.parts[0]
    s = rel.stem.replace("Copy of ", "")
    if source_name:
        s = s.replace(source_name, "")
    s = re.sub(r"\(\d+\)$", "", s.strip()).strip(" _-.")
    return s or rel.stem


# ----------------------------------------------------------------------------- rebuild
def _is_stub(text: str) -> bool:
    return "raise NotImplementedError()" in text and "# YOUR CODE HERE" in text


@dataclass
class _Index:
    """The submission's cells, found by nbgrader grade_id and by cell id."""

    cells: list
    by_meta: dict = field(default_factory=dict)
    by_id: dict = field(default_factory=dict)

    @classmethod
    def of(cls, cells: list) -> "_Index":
        ix = cls(cells)
        for c in cells:
            m = nbgrader_meta(c)
            if m and isinstance(m.get("grade_id"), str):
                ix.by_meta.setdefault(m["grade_id"], []).append(c)
            if isinstance(c.get("id"), str):
                ix.by_id.setdefault(c["id"], []).append(c)
        return ix


def _candidates(sc: dict, ix: _Index, claimed: set, source: Source) -> tuple[list, str]:
    """The submission's cells that may hold the answer to source answer cell ``sc``, and how they
    were found ("" = by its exercise metadata)."""
    gid = sc["grade_id"]
    if ix.by_meta.get(gid):
        return ix.by_meta[gid], ""
    if ix.by_id.get(gid):
        return ix.by_id[gid], "its cell id"
    if not sc["first_line"]:
        return [], ""
    cands = [
        c
        for c in ix.cells
        if id(c) not in claimed
        and (nbgrader_meta(c) or {}).get("grade_id") not in source.answer_ids
        and sc["first_line"] in [ln.strip() for ln in source_text(c).splitlines()[:50]]
    ]
    return cands, f"its first line `{sc['first_line']}` (the cell's exercise metadata was missing)"


def _choose_answer(sc: dict, ix: _Index, claimed: set, source: Source, notes: list) -> str:
    """The answer text for one exercise (the stub if none), noting how it was found."""
    gid = sc["grade_id"]
    cands, how = _candidates(sc, ix, claimed, source)
    if not cands:
        notes.append(f"{gid}: no answer cell found (deleted?); graded as unanswered")
        return sc["stub"]
    answered = [c for c in cands if not _is_stub(source_text(c)) and source_text(c).strip()]
    chosen = (answered or cands)[-1]
    claimed.add(id(chosen))
    if how:
        notes.append(f"{gid}: answer cell found by {how}")
    if len(cands) > 1:
        notes.append(
            f"{gid}: {len(cands)} cells carry this exercise id (copied cell?); "
            f"graded the last {'answered ' if answered else ''}one"
        )
    if chosen.get("cell_type") != "code":
        notes.append(
            f"{gid}: the answer cell was changed to {chosen.get('cell_type')}; "
            "graded its text as code"
        )
    return source_text(chosen)


def _cell_notes(ix: _Index, source: Source, claimed: set) -> list[str]:
    """Test cells the student deleted, and code cells the student added (not run)."""
    from .release import release_cell

    notes = []
    student_texts = {source_text(c).strip() for c in ix.cells}
    known_texts = set()
    for c in source.nb.cells:
        released = source_text(release_cell(c)).strip()
        known_texts.add(released)
        meta = nbgrader_meta(c) or {}
        if meta.get("grade") and not meta.get("solution"):
            gid = meta.get("grade_id")
            if not (ix.by_meta.get(gid) or ix.by_id.get(gid)) and released not in student_texts:
                notes.append(
                    f"{gid}: test cell missing from the submission; the instructor's was used"
                )
    source_ids = {c.get("id") for c in source.nb.cells}
    extra = [
        c
        for c in ix.cells
        if c.get("cell_type") == "code"
        and c.get("id") not in source_ids
        and id(c) not in claimed
        and source_text(c).strip()
        and source_text(c).strip() not in known_texts
    ]
    if extra:
        notes.append(
            f"{len(extra)} code cell(s) added by the student were not run "
            "(only answer cells are graded: put helper code inside the answer cell)"
        )
    return notes


def rebuild(sub_nb: dict, source: Source) -> tuple[list[dict], list[str], dict[str, str]]:
    """The cells to run (source cells + the student's answers), notes for the feedback, and the
    answers by exercise id."""
    notes: list[str] = []
    ix = _Index.of(sub_nb.get("cells", []))
    claimed: set = set()
    answers = {
        sc["grade_id"]: _choose_answer(sc, ix, claimed, source, notes)
        for sc in source.cells
        if sc["kind"] == "answer"
    }
    notes += _cell_notes(ix, source, claimed)
    out = [
        dict(sc, source=answers[sc["grade_id"]]) if sc["kind"] == "answer" else sc
        for sc in source.cells
    ]
    return out, notes, answers


def suspicious(answers: dict[str, str]) -> list[str]:
    flags = []
    for gid, code in answers.items():
        hits = sorted({label for pat, label in SUSPICIOUS if re.search(pat, code)})
        if hits:
            flags.append(f"{gid}: answer uses {', '.join(hits)}: flagged for review")
    return flags


# ----------------------------------------------------------------------------- running
@dataclass
class Options:
    cell_timeout: float = 300.0
    notebook_timeout: float = 1800.0
    memory_gb: float = 8.0
    jobs: int = 1
    shard: tuple[int, int] | None = None  # (i, n): grade only the i-th of n shares (1 <= i <= n)
    mode: str = "fast"
    startup_timeout: float = 60.0
    max_restarts: int = 3
    interrupt_grace: float = 10.0


def _labkit_paths() -> tuple[Path, Path]:
    import labkit

    pkg = Path(labkit.__file__).resolve().parent
    return pkg, pkg.parent


def kernel_env(opts: Options, hide: list[Path]) -> dict:
    """The environment for workers and kernels: no path to the sources or submissions."""
    hide_s = [str(p.resolve()) for p in hide]
    env = {}
    for k, v in os.environ.items():
        if k in (
            "PWD",
            "OLDPWD",
            "PYTHONPATH",
            "PYTHONSTARTUP",
            "JUPYTER_RUNTIME_DIR",
            "IPYTHONDIR",
        ) or k.startswith(("JPY_", "LABKIT_", "PYTEST", "NBVAL")):
            continue
        if any(h in v for h in hide_s):
            if os.pathsep not in v:
                continue
            v = os.pathsep.join(e for e in v.split(os.pathsep) if not any(h in e for h in hide_s))
        env[k] = v
    threads = str(max(1, (os.cpu_count() or 1) // max(1, opts.jobs)))
    data = config.data_setting()
    if not data:
        try:
            from labkit.config import data_dir

            data = str(data_dir(create=False))
        except Exception:
            data = ""
    env.update(
        LABKIT_MODE=opts.mode,
        LABKIT_GRADING="1",
        LABKIT_OFFLINE="1" if config.offline(default=True) else "0",
        MPLBACKEND="Agg",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED="0",
        OMP_NUM_THREADS=threads,
        MKL_NUM_THREADS=threads,
        OPENBLAS_NUM_THREADS=threads,
        TQDM_DISABLE="1",
    )
    if data and not any(h in data for h in hide_s):
        env["LABKIT_DATA"] = data
    import site

    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if not user_site or not any(
        str(getattr(m, "__file__", "") or "").startswith(user_site)
        for m in list(sys.modules.values())
    ):
        env["PYTHONNOUSERSITE"] = "1"  # a submission can't plant usercustomize.py for later kernels
    if opts.memory_gb > 0:
        env["CUDA_VISIBLE_DEVICES"] = ""  # CUDA needs far more address space than RLIMIT_AS allows
    return env


def exposure_warnings(source: Path, env: dict) -> list[str]:
    """Paths the kernel sees anyway (its Python, the data folder) that sit in the same folder
    tree as the source notebooks: student code could walk from them to the hidden tests."""
    src = source.resolve()
    root = src.parent if src.is_dir() else src.parent.parent
    out = []
    for what, path in (
        ("the Python environment", Path(sys.prefix)),
        ("LABKIT_DATA", Path(env.get("LABKIT_DATA", "/"))),
    ):
        try:
            path.resolve().relative_to(root)
        except ValueError:
            continue
        out.append(
            f"{what} ({path}) is inside {root}, next to the source notebooks: "
            "a submission can find the hidden tests from there. "
            "If that matters, grade in a container or as a user who cannot read them "
            "(see 'What is not protected' in the README)."
        )
    return out


class WorkerFailed(RuntimeError):
    """The worker process itself failed (not the submission's kernel): the message says how."""


def run_worker(job: dict, env: dict, timeout: float):
    """Run one job in a worker subprocess; its :class:`WorkerResult`, or :class:`WorkerFailed`."""
    from ._worker import BOOTSTRAP, WorkerResult

    with tempfile.TemporaryDirectory(prefix="labkit-worker-") as cwd:
        proc = subprocess.Popen(
            [sys.executable, "-c", BOOTSTRAP],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
            text=True,
        )
        try:
            out, err = proc.communicate(json.dumps(job), timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            proc.communicate()
            raise WorkerFailed(f"grading stopped after {timeout:.0f} s") from None
    marker = "@@LABKIT-RESULT@@"
    for line in reversed(out.splitlines()):
        if line.startswith(marker):
            try:
                return WorkerResult.from_dict(json.loads(line[len(marker) :]))
            except (json.JSONDecodeError, KeyError, TypeError):
                break
    tail = (err or out or "").strip().splitlines()[-3:]
    raise WorkerFailed(f"grader worker failed (exit {proc.returncode}): {' | '.join(tail)[-400:]}")


@dataclass
class Result:
    student: str
    notebook: str
    label: str
    rows: list
    notes: list
    seconds: float = 0.0
    timings: list = field(default_factory=list)  # (cell index, kind, grade_id, seconds)

    @property
    def points(self) -> float:
        return sum(r["points"] for r in self.rows)

    @property
    def max_points(self) -> float:
        return sum(r["max_points"] for r in self.rows)


def _rows_for_error(sub: Submission, status: str, detail: str) -> list[dict]:
    if sub.source is None:
        return [
            dict(
                student=sub.student,
                notebook=sub.relpath.name,
                exercise="",
                points=0,
                max_points=0,
                status=status,
                detail=detail,
            )
        ]
    return [
        dict(
            student=sub.student,
            notebook=sub.source.name,
            exercise=t["grade_id"],
            points=0,
            max_points=t["points"],
            status=status,
            detail=detail,
        )
        for t in sub.source.tests
    ]


def _job(cells: list, src: Source, opts: Options, env: dict) -> dict:
    pkg, grader_path = _labkit_paths()
    return dict(
        cells=cells,
        imports=src.imports,
        token=secrets.token_hex(16),
        labkit_dir=str(pkg),
        grader_path=str(grader_path),
        env=env,
        cell_timeout=opts.cell_timeout,
        notebook_timeout=opts.notebook_timeout,
        mem_bytes=int(opts.memory_gb * 2**30),
        startup_timeout=opts.startup_timeout,
        max_restarts=opts.max_restarts,
        interrupt_grace=opts.interrupt_grace,
    )


def _answer_problems(test: dict, res) -> tuple[list[str], object]:
    """What went wrong in the answer cells a test depends on: messages, and the first answer
    that was left out (it killed or hung the kernel), or None."""
    errs, left = [], None
    for a in test.get("answers", []):
        e = res.answer_errors.get(a)
        if e is None:
            continue
        errs.append(
            f"your answer cell {a} {e.message}"
            if e.kind in ("left_out", "timeout")
            else f"your answer cell {a} raised {e.message}"
        )
        if e.kind == "left_out" and left is None:
            left = e
    return errs, left


def score_test(test: dict, res, hidden_lines: set) -> tuple[str, str, bool]:
    """(status, detail, whether it failed in the hidden part) of one exercise from the worker's
    result."""
    gid = test["grade_id"]
    if res.tampered:
        return "tampered", res.tampered, False
    if test["kind"] == "manual":
        return "manual", "graded by hand", False
    outcome = res.results.get(gid)
    if outcome is None:
        return (
            "not run",
            (res.notes[-1] if res.notes else "the notebook stopped before this test"),
            False,
        )
    status, detail = outcome.status, outcome.detail
    in_hidden = status == "failed" and outcome.line in hidden_lines
    if in_hidden:
        detail = "a hidden test failed" + (
            f": {detail}" if detail and "AssertionError" not in detail else ""
        )
    errs, left = _answer_problems(test, res)
    if errs and status != "passed":
        if left is not None and status == "not implemented":
            status, detail = ("timeout" if left.timed_out else "crashed"), ""
        detail = "; ".join(errs + ([detail] if detail else []))
    return status, detail, in_hidden


def grade_one(sub: Submission, opts: Options, env: dict) -> Result:
    if sub.error:
        return Result(
            sub.student,
            sub.source.name if sub.source else sub.relpath.name,
            sub.label,
            _rows_for_error(sub, sub.status, sub.error),
            [sub.error],
        )
    src = sub.source
    cells, notes, answers = rebuild(sub.nb, src)
    notes += suspicious(answers)
    try:
        res = run_worker(
            _job(cells, src, opts, env), env, opts.notebook_timeout + 2 * opts.startup_timeout + 60
        )
    except WorkerFailed as e:
        return Result(
            sub.student,
            src.name,
            sub.label,
            _rows_for_error(sub, "error", str(e)),
            notes + [str(e)],
        )
    notes += res.notes
    hidden = {c["grade_id"]: set(c["hidden"]) for c in cells if c["kind"] == "test"}
    rows = []
    for t in src.tests:
        status, detail, in_hidden = score_test(t, res, hidden.get(t["grade_id"], set()))
        rows.append(
            dict(
                student=sub.student,
                notebook=src.name,
                exercise=t["grade_id"],
                points=t["points"] if status == "passed" else 0,
                max_points=t["points"],
                status=status,
                detail=detail,
                hidden_failed=in_hidden,
            )
        )
    if res.tampered:
        notes.append(res.tampered)
    return Result(sub.student, src.name, sub.label, rows, notes, res.seconds, res.timings)


def grade(
    submissions, source, out=None, feedback=None, opts: Options | None = None, quiet: bool = False
) -> list[Result]:
    """Grade every submission; write the CSV (``out``) and feedback files (``feedback`` folder)."""
    opts = opts or Options()
    if isinstance(submissions, (str, Path)):
        submissions = [submissions]
    sources = load_sources(source)
    subs = collect(submissions)
    for s in subs:
        try:
            match(s, sources)
        except Exception as e:  # an odd file must not stop the run
            if not s.error:
                s.error, s.status = f"malformed: {type(e).__name__}: {e}", "malformed"
            s.student = s.student or student_name(s.relpath, None)
    subs = _dedupe(subs, quiet)
    if opts.shard:
        subs = shard(subs, *opts.shard)
        if not quiet:
            print(
                f"shard {opts.shard[0]}/{opts.shard[1]}: {len(subs)} submission(s)", file=sys.stderr
            )
    hide = [Path(source)] + [Path(p) for p in submissions] + ([Path(feedback)] if feedback else [])
    env = kernel_env(opts, hide)
    if not quiet:
        for w in exposure_warnings(Path(source), env):
            print("note:", w, file=sys.stderr)
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        results = list(pool.map(lambda s: _safe_grade(s, opts, env, quiet), subs))
    if out:
        write_csv(results, out)
    if feedback:
        write_feedback(results, feedback)
    if not quiet:
        print(summary_table(results))
        print(
            f"graded {len(results)} submission(s) in {time.monotonic() - t0:.1f} s"
            + (f"; wrote {out}" if out else "")
            + (f" and feedback in {feedback}/" if feedback else "")
        )
    return results


def _safe_grade(sub, opts, env, quiet) -> Result:
    try:
        r = grade_one(sub, opts, env)
    except Exception as e:  # a bug or an odd file must not stop the run
        r = Result(
            sub.student,
            sub.source.name if sub.source else sub.relpath.name,
            sub.label,
            _rows_for_error(sub, "error", f"grader error: {type(e).__name__}: {e}"),
            [str(e)],
        )
    if not quiet:
        print(
            f"{r.student:>16}  {r.notebook:<28} {r.points:g}/{r.max_points:g}"
            f"  ({r.seconds:.1f} s){'  ' + r.notes[-1] if r.notes else ''}",
            flush=True,
        )
    return r


def shard(subs: list[Submission], i: int, n: int) -> list[Submission]:
    """The i-th of n shares (1 <= i <= n) of the submissions, by position in (student, notebook)
    order: every submission lands in exactly one share, the same one on every machine."""
    if not (n >= 1 and 1 <= i <= n):
        raise ValueError(f"shard {i}/{n}: expected I/N with 1 <= I <= N")
    ordered = sorted(
        subs, key=lambda s: _key(s.student, s.source.name if s.source else s.relpath.name)
    )
    return ordered[i - 1 :: n]


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4)."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected I/N, e.g. 2/4") from None
    if not (n >= 1 and 1 <= i <= n):
        raise ValueError(f"--shard {text!r}: expected I/N with 1 <= I <= N")
    return i, n


def _dedupe(subs: list[Submission], quiet: bool) -> list[Submission]:
    best: dict[tuple, Submission] = {}
    order = []
    for s in subs:
        key = (s.student, s.source.name if s.source else s.label)
        if key in best:
            keep, drop = (s, best[key]) if s.mtime >= best[key].mtime else (best[key], s)
            if not quiet:
                print(
                    f"warning: {drop.label} and {keep.label} are both {key[0]}'s {key[1]}; "
                    f"grading the newer {keep.label}",
                    file=sys.stderr,
                )
            best[key] = keep
        else:
            best[key] = s
            order.append(key)
    return [best[k] for k in order]
