"""``labkit gradescope``: the zip has Gradescope's layout, and its ``run_autograder``, run against a
fake /autograder tree, writes a results.json in Gradescope's schema whose points equal
``labkit grade`` on the same submissions (solution, blank, wrong) of the demo fixture."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from labkit.grading.grade import Options, grade
from labkit.grading.gradescope import build, validate_results
from labkit.grading.release import release
from labkit.grading.roundtrip import make_submission

FIXTURES = Path(__file__).parent / "grading_fixtures"
DEMO = FIXTURES / "demo.ipynb"
WRONG = FIXTURES / "wrong"


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gradescope")
    zpath = build([DEMO], tmp / "autograder.zip")
    src = tmp / "autograder" / "source"
    with zipfile.ZipFile(zpath) as z:
        z.extractall(src)
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    for name in ("setup.sh", "run_autograder"):
        (src / name).chmod(modes[name] & 0o777)
    release(DEMO, tmp / "release", quiet=True)
    return tmp, src, modes


def test_zip_layout(autograder):
    tmp, src, modes = autograder
    for name in ("setup.sh", "run_autograder"):
        assert modes[name] & stat.S_IXUSR, f"{name} must be executable in the zip"
        assert subprocess.run(["bash", "-n", str(src / name)]).returncode == 0, (
            f"{name}: bash syntax"
        )
    setup = (src / "setup.sh").read_text()
    assert "download.pytorch.org/whl/cpu" in setup and "./labkit-src" in setup
    assert (src / "notebooks" / "demo.ipynb").is_file()
    assert (src / "labkit-src" / "pyproject.toml").is_file()
    assert (src / "labkit-src" / "labkit" / "checks" / "_demo.py").is_file()


def _submission(tmp, kind):
    released = nbformat.read(tmp / "release" / "demo.ipynb", as_version=4)
    nb, missing = make_submission(released, nbformat.read(DEMO, as_version=4), kind, WRONG)
    assert not missing, f"no wrong answer for {missing}"
    return nb


@pytest.mark.parametrize("kind", ["solution", "blank", "wrong"])
def test_run_autograder(autograder, kind):
    tmp, src, _ = autograder
    root = tmp / f"root-{kind}"
    shutil.copytree(src, root / "source")
    (root / "submission").mkdir()
    nbformat.write(_submission(tmp, kind), root / "submission" / "my notebook.ipynb")
    env = dict(
        os.environ, LABKIT_AUTOGRADER_ROOT=str(root), LABKIT_AUTOGRADER_PYTHON=sys.executable
    )
    r = subprocess.run(
        [str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads((root / "results" / "results.json").read_text())
    assert validate_results(res) == []
    graded = [t for t in res["tests"] if t["max_score"] > 0]
    assert {t["name"] for t in graded} == {
        "demo: demo-square-test",
        "demo: demo-center-test",
        "demo: demo-vowels-test",
    }
    assert all(
        t["visibility"] == "after_published" for t in graded
    )  # every demo test has hidden tests
    assert all(t["visibility"] == "visible" for t in res["tests"] if t["max_score"] == 0)
    # the same submission under labkit grade: equal points per exercise
    (tmp / f"lab-{kind}").mkdir()
    nbformat.write(_submission(tmp, kind), tmp / f"lab-{kind}" / "demo.ipynb")
    (lab,) = grade([tmp / f"lab-{kind}"], DEMO, opts=Options(jobs=1), quiet=True)
    want = {f"demo: {row['exercise']}": float(row["points"]) for row in lab.rows}
    assert {t["name"]: t["score"] for t in graded} == want
    assert res["score"] == pytest.approx(lab.points)
    assert res["score"] == {"solution": 6.0, "blank": 0.0, "wrong": 0.0}[kind]


def test_empty_submission_says_what_to_upload(autograder):
    tmp, src, _ = autograder
    root = tmp / "root-empty"
    shutil.copytree(src, root / "source")
    (root / "submission").mkdir()
    env = dict(
        os.environ, LABKIT_AUTOGRADER_ROOT=str(root), LABKIT_AUTOGRADER_PYTHON=sys.executable
    )
    subprocess.run(
        [str(root / "source" / "run_autograder")],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    res = json.loads((root / "results" / "results.json").read_text())
    assert (
        validate_results(res) == []
        and res["score"] == 0
        and "upload your notebook" in res["output"]
    )


def test_validate_results_catches_schema_errors():
    assert (
        validate_results({"tests": [{"name": "a", "score": 1, "max_score": 1, "output": ""}]}) == []
    )
    assert validate_results(
        {
            "tests": [
                {"name": "a", "score": "1", "max_score": 1, "output": "", "visibility": "later"}
            ]
        }
    )
    assert validate_results({"score": 1})
