"""The project's own promises: installable package, matching conda env, the two commands."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _norm(req: str) -> str:
    name = re.split(r"[<>=!\[; ]", req.strip(), maxsplit=1)[0].lower()
    return {"pytorch": "torch", "scikit_learn": "scikit-learn"}.get(name, name)


def test_environment_yml_lists_pyproject_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = {_norm(d) for d in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_norm(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    pip_part = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert deps == conda, (
        f"only in pyproject: {deps - conda}; only in environment.yml: {conda - deps}"
    )
    assert any(p.startswith("-e .") for p in pip_part), (
        "environment.yml must install labkit from the checkout"
    )


def test_pyproject_stays_colab_friendly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = {_norm(d): d for d in project["dependencies"]}
    assert deps["ipywidgets"].replace(" ", "") == "ipywidgets>=7.7,<9"
    for pkg in ("torch", "torchvision", "numpy"):
        assert "==" not in deps[pkg] and "<" not in deps[pkg], f"{pkg} must have a lower bound only"
    assert project["name"] != "labkit", "PyPI's 'labkit' is an unrelated package"
    assert project["scripts"]["labkit"] == "labkit.cli:main"


def test_constraints_pin_the_local_venv():
    text = (ROOT / "constraints.txt").read_text()
    for pin in ("torch==2.14.1", "torchvision==0.29.1"):
        assert pin in text
    assert re.search(r"^ipywidgets==8\.", text, re.M) and re.search(r"^jupyterlab==4\.", text, re.M)


def test_ci_calls_make_test_and_readme_states_commands():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme


def test_console_script():
    out = subprocess.run(
        [sys.executable, "-m", "labkit.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "info" in out.stdout


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "jupyter").exists(), reason="needs the Makefile's .venv"
)
def test_make_lab_starts_jupyterlab():
    port, token = _free_port(), secrets.token_hex(16)
    args = f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.token={token}"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args += " --allow-root"
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_ARGS={args}"],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 120
        status = None
        while time.time() < deadline and status is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2
                ) as r:
                    status = r.read().decode()
            except OSError:
                time.sleep(1)
        assert status and "started" in status, "JupyterLab did not answer /api/status"
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=5
        ) as r:
            listing = r.read().decode()
        assert "00_setup_check.ipynb" in listing, "make lab must open on notebooks/"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
