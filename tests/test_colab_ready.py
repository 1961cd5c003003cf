"""Colab readiness: badge + standard first cell in every notebook, the first cell's install path,
preflight advice without a GPU, and no ipywidgets-8-only API in the widget code (Colab ships
ipywidgets 7.7.1). Also run under ipywidgets 7.7.1 by `make widgets7`."""

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import ipywidgets
import pytest

import labkit
from labkit import _repo
from labkit.preflight import preflight

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from nbbuild import setup_source  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
BADGE_IMG = "https://colab.research.google.com/assets/colab-badge.svg"


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_there_are_notebooks():
    assert any(p.name == "00_setup_check.ipynb" for p in NOTEBOOKS)


def test_repo_settings_are_consistent():
    assert _repo.REPO_URL.rstrip("/").endswith("/" + _repo.GITHUB_PATH)
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", _repo.GITHUB_PATH)
    assert _repo.pip_spec() == f"git+{_repo.REPO_URL}@{_repo.REPO_TAG}"
    assert _repo.colab_url("x.ipynb") == (
        f"https://colab.research.google.com/github/{_repo.GITHUB_PATH}/blob/{_repo.REPO_TAG}/notebooks/x.ipynb"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_the_colab_badge_for_itself(path):
    first = _cells(path)[0]
    assert first["cell_type"] == "markdown", (
        f"{path.name}: the first cell must be the markdown header"
    )
    badge = f"[![Open In Colab]({BADGE_IMG})]({_repo.colab_url(path.name)})"
    assert _src(first).startswith(badge), (
        f"{path.name}: the header must start with the Open-in-Colab badge "
        "built from labkit/_repo.py "
        f"({badge}); regenerate it with tools/notebooks/<name>.py"
    )
    assert re.search(r"^# ", _src(first), re.M), f"{path.name}: the header needs a '# title'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_the_standard_setup_cell(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cell"
    src = _src(code[0])
    m = re.search(r"labkit\.setup\(seed=0(?:, threads=(\d+))?\)", src)
    assert m, (
        f"{path.name}: the first code cell must be the standard setup cell "
        "(tools/nbbuild.py setup_source)"
    )
    threads = int(m.group(1)) if m.group(1) else None
    assert src == setup_source(threads), (
        f"{path.name}: the setup cell differs from nbbuild.setup_source()"
    )
    assert _cells(path).index(code[0]) == 1, (
        f"{path.name}: the setup cell must come right after the header"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_metadata_asks_colab_for_a_gpu_and_python3(path):
    meta = json.loads(path.read_text())["metadata"]
    assert meta.get("kernelspec", {}).get("name") == "python3"
    assert meta.get("accelerator") == "GPU"


def _run_setup_cell(monkeypatch, labkit_installed: bool):
    """Execute the real first cell as Colab would, with pip replaced by a recorder."""
    calls = []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    if not labkit_installed:
        monkeypatch.setitem(sys.modules, "labkit", None)  # import labkit -> ImportError

    def fake_run(cmd, check=False, **kw):
        calls.append(cmd)
        sys.modules["labkit"] = labkit  # "installed"
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    ns = {}
    exec(compile(setup_source(), "<setup cell>", "exec"), ns)
    return calls, ns


def test_setup_cell_installs_labkit_in_colab_only_when_missing(monkeypatch, capsys):
    calls, ns = _run_setup_cell(monkeypatch, labkit_installed=False)
    assert calls == [[sys.executable, "-m", "pip", "install", "-q", _repo.pip_spec()]]
    assert ns["cfg"] is not None and "mode" in capsys.readouterr().out.lower()
    calls, _ = _run_setup_cell(monkeypatch, labkit_installed=True)
    assert calls == []


def test_setup_cell_never_installs_the_pypi_labkit_or_pins_torch_or_widgets():
    code = "\n".join(line.split("#")[0] for line in setup_source().splitlines())
    assert "install labkit" not in code and "'labkit'" not in code
    assert _repo.pip_spec() in code
    assert not re.search(r"torch==|ipywidgets==|ipywidgets>=8", code)


def test_preflight_without_gpu_in_colab_says_how_to_get_one(monkeypatch, capsys):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    info = preflight()
    out = capsys.readouterr().out
    assert info["cuda"] is False
    assert any("Runtime > Change runtime type" in p and "GPU" in p for p in info["problems"])
    assert "Change runtime type" in out and "fast mode" in out


def test_preflight_without_gpu_outside_colab(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    info = preflight(verbose=False)
    assert any("No GPU" in p and "CUDA" in p for p in info["problems"])
    assert not any("ipywidgets" in p for p in info["problems"])


def test_preflight_flags_ipywidgets_8_in_colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(ipywidgets, "__version__", "8.1.5")
    info = preflight(verbose=False)
    assert any("ipywidgets==7.7.1" in p for p in info["problems"])
    monkeypatch.setattr(ipywidgets, "__version__", "7.7.1")
    assert not any("ipywidgets" in p for p in preflight(verbose=False)["problems"])


# --------------------------------------------------------------- ipywidgets 7.7 / 8 common API
WIDGET_SOURCES = sorted((ROOT / "labkit" / "widgets").glob("*.py")) + sorted(
    (ROOT / "tools" / "notebooks").glob("*.py")
)
# APIs that exist only in ipywidgets 8 or break in Colab (DESIGN.md, ECOSYSTEM.md)
FORBIDDEN = {
    r"\btooltip\s*=": "tooltip= (8 only; 7.7 has description_tooltip)",
    r"description_allow_html": "description_allow_html (8 only)",
    r"\bFileUpload\b": "FileUpload (.value differs between 7 and 8)",
    r"overflow_[xy]": "Layout.overflow_x/_y (removed in 8)",
    r"\bipympl\b|%matplotlib\s+widget": "ipympl (a custom widget: breaks in Colab)",
    r"\banywidget\b": "anywidget (a custom widget: breaks in Colab)",
    r"enable_custom_widget_manager": "enable_custom_widget_manager (not for core widgets)",
}


@pytest.mark.parametrize("path", WIDGET_SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_widget_code_avoids_apis_that_differ_between_ipywidgets_7_and_8(path):
    text = path.read_text()
    for pattern, why in FORBIDDEN.items():
        assert not re.search(pattern, text), f"{path.name} uses {why}"
    # every ipywidgets class it names must exist in the installed version
    # (7.7.1 under `make widgets7`)
    aliases = {"ipywidgets"} | set(re.findall(r"import ipywidgets as (\w+)", text))
    aliases |= set(re.findall(r"(\w+) = _w\(\)", text))
    names = set()
    for a in aliases:
        names |= set(re.findall(rf"\b{a}\.([A-Z]\w+)\b", text))
    for group in re.findall(r"from ipywidgets import \(?([\w\s,]+)\)?", text):
        names |= {n.strip() for n in group.split(",") if n.strip()}
    missing = sorted(n for n in names if not hasattr(ipywidgets, n))
    assert not missing, f"{path.name} uses {missing}, not in ipywidgets {ipywidgets.__version__}"
