"""Hosting the course: ``labkit course set-repo`` rewrites the one place that names the repository
and rebuilds every notebook (badges and install lines follow); the setup cell turns a failed
Colab install into one paragraph saying what to check. (``labkit release --repo/--tag`` is tested
in test_grading_release.py.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from nbbuild import setup_source  # noqa: E402

URL, TAG = "https://github.com/prof-x/genmodels", "fall26"


@pytest.fixture()
def checkout(tmp_path):
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for d in ("labkit", "tools"):
        shutil.copytree(ROOT / d, tmp_path / d, ignore=ignore)
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    return tmp_path


def test_set_repo_rewrites_repo_file_and_every_notebook(checkout):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "labkit.cli",
            "course",
            "set-repo",
            URL,
            "--tag",
            TAG,
            "--root",
            str(checkout),
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    repo = (checkout / "labkit" / "_repo.py").read_text()
    assert f'REPO_URL = "{URL}"' in repo and f'REPO_TAG = "{TAG}"' in repo
    sources = sorted((checkout / "tools" / "notebooks").glob("*.py"))
    built = sorted((checkout / "notebooks").glob("*.ipynb"))
    assert [p.stem for p in built] == [p.stem for p in sources]
    for p in built:
        nb = nbformat.read(p, as_version=4)
        assert (
            f"https://colab.research.google.com/github/prof-x/genmodels/blob/{TAG}/notebooks/{p.name}"
            in nb.cells[0].source
        ), p.name
        assert f"git+{URL}@{TAG}" in nb.cells[1].source, p.name
        assert "labkit-course/labkit" not in nbformat.writes(nb), p.name
    readme = (checkout / "README.md").read_text()
    assert "colab.research.google.com/github/labkit-course" not in readme
    assert (
        f"colab.research.google.com/github/prof-x/genmodels/blob/{TAG}/notebooks/01_kmeans.ipynb"
        in readme
    )


def test_set_repo_refuses_a_bad_url(checkout):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "labkit.cli",
            "course",
            "set-repo",
            "not a url",
            "--tag",
            TAG,
            "--root",
            str(checkout),
            "--no-build",
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "repository URL" in r.stderr


def test_failed_colab_install_says_what_to_check(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setitem(sys.modules, "labkit", None)  # import labkit -> ImportError

    def failing_pip(cmd, **kw):
        return subprocess.CompletedProcess(
            cmd, 1, "", "  fatal: repository 'https://github.com/x/y/' not found\n"
        )

    monkeypatch.setattr(subprocess, "run", failing_pip)
    with pytest.raises(SystemExit) as e:
        exec(compile(setup_source(), "<setup cell>", "exec"), {})
    msg = str(e.value)
    assert "\n" not in msg and len(msg) < 600
    for what in (
        "could not be installed",
        "exist",
        "public",
        "private",
        "online",
        "rerun",
        "not found",
    ):
        assert what in msg, what
    assert not re.search(r"Traceback|CalledProcessError", msg)
