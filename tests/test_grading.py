"""labkit grade on the three-exercise fixture (tests/grading_fixtures/demo.ipynb).

All submissions are graded in ONE run (module fixture, --jobs 3), so each kind of bad
submission is also checked not to disturb anyone else's grade. Max points: square 2,
center 3, vowels 1.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from labkit.grading.grade import Options, grade
from labkit.grading.release import release

FIXTURES = Path(__file__).parent / "grading_fixtures"
SQ, CE, VO = "demo-square-test", "demo-center-test", "demo-vowels-test"
MAX = {SQ: 2.0, CE: 3.0, VO: 1.0}

GOOD = {
    "demo-square": "def square(x):\n    return x ** 2",
    "demo-center": "def center(X):\n    return X - X.mean(axis=0, keepdims=True)",
    "demo-vowels": "def count_vowels(s):\n    return sum(c in 'aeiou' for c in s.lower())",
}
WRONG_SQUARE = "def square(x):\n    return 2 * x\n"

# Each tamper submission has a WRONG square and tries to get its 2 points anyway.
TAMPER = {
    "t_patch_check": WRONG_SQUARE
    + (
        "import labkit.checks._demo as _d\n"
        "_d.square = lambda *a, **k: True\n"
        "checks.square = lambda *a, **k: True\n"
    ),
    "t_patch_labkit": WRONG_SQUARE
    + (
        "import labkit.checks._core as _c\n"
        "_c.expect_close = lambda *a, **k: None\n"
        "_c.expect_shape = lambda *a, **k: None\n"
        "_c.grading_mode = lambda: False\n"
        "_c._FORCE_GRADING = False\n"
        "_c._report = lambda *a, **k: True\n"
        "import labkit.checks as _ck\n"
        "_ck.expect_close = _c.expect_close\n"
    ),
    "t_import_hook": WRONG_SQUARE
    + (
        "import sys, types\n"
        "class _Fake:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        return None\n"
        "fake = types.ModuleType('labkit.checks._demo')\n"
        "fake.square = lambda *a, **k: True\n"
        "fake.center = lambda *a, **k: True\n"
        "sys.modules['labkit.checks._demo'] = fake\n"
        "sys.meta_path.insert(0, _Fake())\n"
        "checks = fake\n"
    ),
    "t_env": WRONG_SQUARE
    + ("import os\nos.environ['LABKIT_GRADING'] = '0'\nos.environ.pop('LABKIT_GRADING', None)\n"),
    "t_fake_print": (
        "def square(x):\n"
        "    print('\\u2705 demo-square: passed')\n"
        "    return 2 * x\n"
        "print('\\u2705 demo-square: passed')\n"
    ),
    "t_transformer": WRONG_SQUARE
    + (
        "ip = get_ipython()\n"
        "ip.input_transformers_post.append(lambda lines: ['pass\\n'])\n"
        "ip.events.register('pre_run_cell', lambda *a: None)\n"
    ),
    "t_shadow": WRONG_SQUARE
    + (
        "import json\n"
        "def _forge(*a):\n"
        "    tok, gid = a[-1], next(x for x in a if isinstance(x, str) and x.endswith('-test'))\n"
        "    return json.dumps(dict(token=tok, grade_id=gid, status='passed', detail='',"
        " line=None))\n"
        "def exec(src, d=None, *rest):\n"
        "    if d is not None:\n"
        "        d['__labkit_grade_run'] = _forge\n"
        "class _LabkitGraderHook:\n"
        "    run = staticmethod(_forge)\n"
    ),
    "t_edit_files": WRONG_SQUARE
    + (
        "import labkit.checks._demo as _d, os, stat\n"
        "p = _d.__file__\n"
        "os.chmod(p, 0o644)\n"
        "open(p, 'a').write('\\ndef square(*a, **k):\\n    return True\\n')\n"
    ),
}
# Reads the hidden tests from wherever the grader could leak the instructor's files.
STEAL = r'''
import os, re, sys, glob
def _hidden_answers():
    roots = [os.getcwd(), os.path.dirname(os.getcwd())]
    roots += [v for v in os.environ.values() if os.path.isdir(v)]
    roots += [
        p for p in sys.path
        if p and os.path.isdir(p) and "site-packages" not in p and "lib/python" not in p
    ]
    import labkit
    d = os.path.dirname(os.path.abspath(labkit.__file__))
    roots += [d, os.path.dirname(d), os.path.dirname(os.path.dirname(d))]
    try:
        pp = os.getppid()
        roots.append(os.readlink(f"/proc/{pp}/cwd"))
        roots += [a for a in open(f"/proc/{pp}/cmdline").read().split("\0") if os.path.isdir(a)]
    except OSError:
        pass
    found = {}
    for r in roots:
        nbs = glob.glob(os.path.join(r, "*.ipynb")) + glob.glob(os.path.join(r, "*", "*.ipynb"))
        for f in nbs[:200]:
            try:
                text = open(f).read()
            except OSError:
                continue
            if "BEGIN HIDDEN TESTS" in text:
                for s, n in re.findall(r'count_vowels\(\\"(.*?)\\"\) == (\d+)', text):
                    found[s] = int(n)
    return found
_ANSWERS = _hidden_answers()
def count_vowels(s):
    if s in _ANSWERS:
        return _ANSWERS[s]
    return sum(c in "aeiou" for c in s)   # wrong: misses upper case
'''


def _cells_by_id(nb):
    return {c.get("id"): c for c in nb.cells}


def _answer(nb, gid, src):
    _cells_by_id(nb)[gid].source = src


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    src = tmp / "source"
    src.mkdir()
    shutil.copy(FIXTURES / "demo.ipynb", src / "demo.ipynb")
    release(src, tmp / "released", quiet=True)
    released = nbformat.read(tmp / "released" / "demo.ipynb", as_version=4)
    subs = tmp / "submissions"
    subs.mkdir()

    def put(student, nb):
        (subs / student).mkdir()
        nbformat.write(nb, subs / student / "demo.ipynb")

    put("solution", nbformat.read(src / "demo.ipynb", as_version=4))
    put("released", released)
    one = copy.deepcopy(released)
    _answer(one, "demo-center", GOOD["demo-center"])
    put("one", one)
    full = copy.deepcopy(released)
    for gid, code in GOOD.items():
        _answer(full, gid, code)
    put("full", full)

    loop = copy.deepcopy(full)
    _answer(loop, "demo-square", "def square(x):\n    while True:\n        pass")
    put("loop", loop)
    hang = copy.deepcopy(full)  # ignores the interrupt: the kernel must be restarted
    _answer(
        hang,
        "demo-square",
        "import time\nwhile True:\n    try:\n        time.sleep(0.2)\n"
        "    except KeyboardInterrupt:\n        pass\ndef square(x):\n    return x * x",
    )
    put("hang", hang)
    crash = copy.deepcopy(full)
    _answer(crash, "demo-square", "import os\nos._exit(3)\ndef square(x):\n    return x * x")
    put("crash", crash)
    mem = copy.deepcopy(full)
    _answer(
        mem,
        "demo-center",
        "import numpy as np\ndef center(X):\n    big = np.ones(2**29)  # 4 GiB\n"
        "    return X - X.mean(axis=0)",
    )
    put("memory", mem)
    (subs / "corrupt").mkdir()
    (subs / "corrupt" / "demo.ipynb").write_text('{"cells": [ this is not json')

    for name, code in TAMPER.items():
        nb = copy.deepcopy(released)
        _answer(nb, "demo-square", code)
        put(name, nb)
    steal = copy.deepcopy(released)
    _answer(steal, "demo-vowels", STEAL)
    put("t_steal", steal)
    points = copy.deepcopy(released)  # overwrite the points in the submission's metadata
    _answer(points, "demo-square", WRONG_SQUARE)
    c = _cells_by_id(points)
    c[SQ].metadata["nbgrader"]["points"] = 100
    c["demo-square"].metadata["nbgrader"].update(grade=True, points=50)
    c[SQ].source = "print('\\u2705 demo-square: passed')"  # edited test cell
    put("t_points", points)

    # structure: copied answer cell (stub copy after it), deleted test cell, answer cell retyped
    # to markdown, inserted cells that would break things, no cell ids (older Jupyter / Colab)
    st = copy.deepcopy(full)
    cells = st.cells
    i_sq = next(i for i, c in enumerate(cells) if c.get("id") == "demo-square")
    dup = copy.deepcopy(cells[i_sq])
    dup.source = "def square(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    dup.id = "copy-1"
    cells.insert(i_sq + 1, dup)
    cells.insert(
        i_sq + 2, nbformat.v4.new_code_cell("square = None\nraise SystemExit", id="inserted")
    )
    cells[:] = [c for c in cells if c.get("id") != CE]
    vo = next(c for c in cells if c.get("id") == "demo-vowels")
    retyped = nbformat.v4.new_markdown_cell(vo.source, id="demo-vowels")
    retyped.metadata = vo.metadata
    cells[cells.index(vo)] = retyped
    put("structure", st)
    nometa = json.loads(nbformat.writes(full))
    for cell in nometa["cells"]:
        cell.pop("id", None)
        cell["metadata"] = {}
    nometa["nbformat_minor"] = 4
    (subs / "nometa").mkdir()
    (subs / "nometa" / "demo.ipynb").write_text(json.dumps(nometa))

    out, fb = tmp / "grades.csv", tmp / "feedback"
    opts = Options(cell_timeout=10, notebook_timeout=120, memory_gb=2, jobs=3, interrupt_grace=3)
    results = grade([subs], src, out=out, feedback=fb, opts=opts, quiet=True)
    rows = list(csv.DictReader(open(out)))
    table = {}
    for r in rows:
        table.setdefault(r["student"], {})[r["exercise"]] = r
    return dict(
        results={r.student: r for r in results}, rows=rows, table=table, feedback=fb, tmp=tmp
    )


def points(graded, student):
    return {ex: float(r["points"]) for ex, r in graded["table"][student].items()}


def statuses(graded, student):
    return {ex: r["status"] for ex, r in graded["table"][student].items()}


def test_solution_notebook_gets_full_marks(graded):
    assert points(graded, "solution") == MAX
    assert points(graded, "full") == MAX


def test_released_notebook_gets_zero_and_says_not_implemented(graded):
    assert points(graded, "released") == {SQ: 0, CE: 0, VO: 0}
    assert set(statuses(graded, "released").values()) == {"not implemented"}


def test_exactly_one_answer_gets_exactly_its_points(graded):
    assert points(graded, "one") == {SQ: 0, CE: 3, VO: 0}


def test_csv_columns_and_max_points(graded):
    assert list(graded["rows"][0]) == [
        "student",
        "notebook",
        "exercise",
        "points",
        "max_points",
        "status",
        "detail",
    ]
    for r in graded["rows"]:
        assert r["notebook"] == "demo"
        if r["exercise"]:
            assert float(r["max_points"]) == MAX[r["exercise"]]


def test_infinite_loop_is_cut_and_the_rest_graded(graded):
    assert points(graded, "loop") == {SQ: 0, CE: 3, VO: 1}
    assert statuses(graded, "loop")[SQ] == "timeout"


def test_loop_that_ignores_interrupts_restarts_the_kernel(graded):
    assert points(graded, "hang") == {SQ: 0, CE: 3, VO: 1}
    assert statuses(graded, "hang")[SQ] == "timeout"
    assert any("restarted" in n for n in graded["results"]["hang"].notes)


def test_kernel_crash_is_isolated(graded):
    assert points(graded, "crash") == {SQ: 0, CE: 3, VO: 1}
    assert statuses(graded, "crash")[SQ] == "crashed"
    assert any("died" in n for n in graded["results"]["crash"].notes)


def test_memory_hungry_answer_fails_alone(graded):
    assert points(graded, "memory") == {SQ: 2, CE: 0, VO: 1}
    assert "MemoryError" in graded["table"]["memory"][CE]["detail"]


def test_corrupt_file_is_reported(graded):
    rows = graded["table"]["corrupt"]
    assert {r["status"] for r in rows.values()} == {"malformed"}
    assert all("not JSON" in r["detail"] for r in rows.values())
    assert sum(float(r["points"]) for r in rows.values()) == 0


@pytest.mark.parametrize("student", sorted(TAMPER) + ["t_points"])
def test_tampering_gets_no_points(graded, student):
    assert points(graded, student)[SQ] == 0, graded["table"][student][SQ]


def test_overwritten_points_are_ignored(graded):
    assert {ex: float(r["max_points"]) for ex, r in graded["table"]["t_points"].items()} == MAX


def test_modified_labkit_files_mark_the_submission(graded):
    assert {r["status"] for r in graded["table"]["t_edit_files"].values()} == {"tampered"}


def test_reading_hidden_tests_from_instructor_files_gains_nothing(graded):
    row = graded["table"]["t_steal"][VO]
    assert float(row["points"]) == 0 and row["status"] == "failed", row
    assert "hidden" in row["detail"]


def test_tampering_is_flagged_for_review(graded):
    notes = " ".join(graded["results"]["t_patch_labkit"].notes)
    assert "flagged for review" in notes


def test_copied_deleted_retyped_and_inserted_cells(graded):
    assert points(graded, "structure") == MAX
    notes = " ".join(graded["results"]["structure"].notes)
    assert "2 cells carry this exercise id" in notes and "markdown" in notes and "not run" in notes


def test_answers_found_without_metadata_or_ids(graded):
    assert points(graded, "nometa") == MAX
    assert "first line" in " ".join(graded["results"]["nometa"].notes)


def test_feedback_files(graded):
    md = (graded["feedback"] / "one.md").read_text()
    assert "demo: 3 / 6 points" in md and "not implemented" in md
    assert "BEGIN HIDDEN" not in md and "count_vowels(\"AEIOU" not in md
    html = (graded["feedback"] / "loop.html").read_text()
    assert "<table>" in html and "timeout" in html


def test_the_hidden_test_thief_works_when_a_path_leaks(tmp_path, monkeypatch):
    """Control for the test above: with the source in the working folder, the same code finds
    the hidden answer, so 0 points there means the grader leaked no path."""
    shutil.copy(FIXTURES / "demo.ipynb", tmp_path / "demo.ipynb")
    monkeypatch.chdir(tmp_path)
    ns = {}
    exec(STEAL, ns)
    assert ns["count_vowels"]("AEIOU xyz") == 5


def test_cli_grade(tmp_path):
    import subprocess
    import sys

    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(FIXTURES / "demo.ipynb", subs / "ann_demo.ipynb")
    (subs / "bob_demo.ipynb").write_text("not a notebook")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "labkit.cli",
            "grade",
            str(subs),
            "--source",
            str(FIXTURES),
            "--out",
            str(tmp_path / "g.csv"),
            "--feedback",
            str(tmp_path / "fb"),
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(tmp_path / "g.csv")))
    assert {(r["student"], r["status"]) for r in rows} == {("ann", "passed"), ("bob", "malformed")}
    assert (tmp_path / "fb" / "ann.md").exists() and (tmp_path / "fb" / "bob.html").exists()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "labkit.cli",
            "grade",
            str(subs),
            "--source",
            str(tmp_path / "none"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "no source notebooks" in r.stderr


def test_collect_zip_names_and_matching(tmp_path):
    import zipfile
    from pathlib import PurePosixPath

    from labkit.grading.grade import collect, load_sources, match, student_name

    data = (FIXTURES / "demo.ipynb").read_bytes()
    with zipfile.ZipFile(tmp_path / "lms.zip", "w") as z:
        z.writestr("export/alice/demo.ipynb", data)
        z.writestr("export/bob_demo.ipynb", data)
        z.writestr("export/carol/renamed_final.ipynb", data)  # matched by its exercise ids
        z.writestr("export/__MACOSX/._x.ipynb", b"junk")
    subs = collect([tmp_path / "lms.zip"])
    sources = load_sources(FIXTURES)
    for s in subs:
        match(s, sources)
    assert sorted((s.student, s.source.name) for s in subs) == [
        ("alice", "demo"),
        ("bob", "demo"),
        ("carol", "demo"),
    ]
    assert (
        student_name(PurePosixPath("smith_john_1234_demo (1).ipynb"), "demo") == "smith_john_1234"
    )


def test_output_flood_and_fd_writes_do_not_hurt_the_grader(tmp_path):
    src = tmp_path / "source"
    src.mkdir()
    shutil.copy(FIXTURES / "demo.ipynb", src / "demo.ipynb")
    release(src, tmp_path / "rel", quiet=True)
    nb = nbformat.read(tmp_path / "rel" / "demo.ipynb", as_version=4)
    _answer(
        nb,
        "demo-square",
        "import os, sys\nfor _ in range(2000):\n    print('x' * 1000)\n"
        "    os.write(2, b'y' * 1000)\ndef square(x):\n    return x * x",
    )
    (tmp_path / "subs").mkdir()
    nbformat.write(nb, tmp_path / "subs" / "flood_demo.ipynb")
    (res,) = grade([tmp_path / "subs"], src, opts=Options(cell_timeout=30, jobs=1), quiet=True)
    assert {r["exercise"]: r["points"] for r in res.rows}[SQ] == 2


def test_skip_grading_tag_and_trailing_cells_are_not_run(tmp_path):
    from labkit.grading.grade import load_source

    nb = nbformat.read(FIXTURES / "demo.ipynb", as_version=4)
    nb.cells.insert(
        5,
        nbformat.v4.new_code_cell(
            "show_a_big_figure()", id="plot", metadata={"tags": ["skip-grading"]}
        ),
    )
    nb.cells.append(nbformat.v4.new_code_cell("train_for_an_hour()", id="after-last-test"))
    nbformat.write(nb, tmp_path / "demo.ipynb")
    src = load_source(tmp_path / "demo.ipynb")
    codes = [c["source"] for c in src.cells]
    assert "show_a_big_figure()" not in codes and "train_for_an_hour()" not in codes
    assert [t["grade_id"] for t in src.tests] == [SQ, CE, VO]
    assert src.tests[1]["answers"] == ["demo-center"]


def test_result_without_this_runs_token_is_rejected():
    from labkit.grading._worker import _parse_result

    good = json.dumps(dict(token="T", grade_id="g", status="passed", detail="", line=None))
    ue = lambda s: {"r": {"status": "ok", "data": {"text/plain": repr(s)}}}  # noqa: E731
    assert _parse_result(ue(good), "T", "g")[0] == "passed"
    assert _parse_result(ue(good), "OTHER", "g")[0] == "error"
    assert _parse_result(ue(good), "T", "other-test")[0] == "error"
    assert _parse_result({"r": {"status": "error", "ename": "NameError"}}, "T", "g")[0] == "error"
    assert _parse_result({}, "T", "g")[0] == "error"
