"""Installing labkit changes nothing of Colab's Jupyter stack (issue: pip install <labkit> once
upgraded jupyter-client and jupyter-server and added jupyterlab, nbval and pytest in Colab).

pip resolves labkit together with Colab's preinstalled versions, as a dry run: if labkit's runtime
dependencies needed another version of any of them, the resolution fails; the report must also add
none of the development tools. torch is checked against Colab's version by specifier (that build
is not on this machine's index)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
COLAB = {  # Colab's preinstalled versions (checked 2026, see ../shared/ECOSYSTEM.md)
    "notebook": "6.5.7",
    "ipykernel": "6.17.1",
    "ipython": "7.34.0",
    "jupyter-client": "6.1.12",
    "jupyter-server": "1.24.0",
    "tornado": "6.4.2",
    "ipywidgets": "7.7.1",
}
COLAB_TORCH = "2.11.0"
# nbclient is not here: Colab's own notebook 6.5.7 brings it
NEVER_ADDED = {"jupyterlab", "nbval", "pytest", "nbgrader", "jupytext", "playwright", "ruff"}


def _runtime_deps():
    return [
        Requirement(d)
        for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    ]


def test_runtime_dependencies_are_only_what_labkit_imports():
    names = {r.name.lower() for r in _runtime_deps()}
    assert not names & NEVER_ADDED, (
        f"development tools in the runtime dependencies: {names & NEVER_ADDED}"
    )
    assert {
        "torch",
        "torchvision",
        "numpy",
        "matplotlib",
        "ipywidgets",
        "scikit-learn",
        "tqdm",
    } <= names


def test_colab_torch_satisfies_the_torch_requirement():
    for r in _runtime_deps():
        if r.name == "torch":
            assert r.specifier.contains(COLAB_TORCH), (
                f"{r} would replace Colab's torch {COLAB_TORCH}"
            )
        assert "==" not in str(r.specifier), f"{r}: no exact pins at run time (Colab keeps its own)"


def test_pip_install_keeps_colab_versions(tmp_path):
    report = tmp_path / "report.json"
    pins = [f"{k}=={v}" for k, v in COLAB.items()]
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--report",
        str(report),
        str(ROOT),
        *pins,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    err = out.stderr[-3000:]
    if (
        out.returncode != 0
        and (
            "No matching distribution" in err
            or "Could not fetch" in err
            or "NewConnectionError" in err
        )
        and "ResolutionImpossible" not in err
    ):
        pytest.skip(f"package index unreachable: {err[-300:]}")
    assert out.returncode == 0, f"labkit cannot be installed beside Colab's stack:\n{err}"
    installed = {
        i["metadata"]["name"].lower().replace("_", "-"): i["metadata"]["version"]
        for i in json.loads(report.read_text())["install"]
    }
    for name, version in COLAB.items():
        assert installed.get(name) == version, (
            f"{name}: Colab has {version}, labkit would install {installed.get(name)}"
        )
    added = NEVER_ADDED & set(installed)
    assert not added, f"pip install labkit would add {sorted(added)} to Colab"
