"""Real-browser harness: a private JupyterLab server + headless Debian Chromium via Playwright.

* JupyterLab runs on 127.0.0.1 with a fresh random token (``--allow-root`` when root), on a
  temporary copy of notebooks/ (the committed notebooks are never written), with isolated
  Jupyter config/data/runtime/settings/workspace dirs. Galata's in-page helpers are loaded with
  ``jupyterlab.galata.configure_jupyter_server`` (``window.galata``, ``window.jupyterapp``);
  ``windowingMode: none`` (settings overrides) keeps every cell in the DOM.
* The kernel inherits ``LABKIT_MODE=fast``, ``LABKIT_OFFLINE=1`` and ``LABKIT_DATA``.
* Teardown stops every process it started: kernels through the server, then the server's
  process group, then any left-over child by pid.

Environment knobs: ``LABKIT_E2E_CHROMIUM`` (default /usr/bin/chromium), ``LABKIT_E2E_TIMEOUT``
(seconds per notebook run, default 1800), ``LABKIT_E2E_BREAK=raise|constant`` (append a cell that
breaks every SliderView's render function: used to show that the tests catch it),
``LABKIT_E2E_ARTIFACTS`` (where screenshots go; default tests/e2e/artifacts),
``LABKIT_E2E_PARALLEL`` (notebooks running at once, default 2).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = Path(
    os.environ.get("LABKIT_E2E_ARTIFACTS") or Path(__file__).resolve().parent / "artifacts"
)
CHROMIUM = os.environ.get("LABKIT_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"

OVERRIDES = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"checkForUpdates": False, "fetchNews": "false"},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
}

BREAK_CELL = '''# injected by tests/e2e (LABKIT_E2E_BREAK={how}): break every slider view on purpose
import gc as _gc
from labkit.views import SliderView as _SV
def _e2e_broken(view, how):
    frozen = bytes(view.image.value)
    def render(**params):
        if how == "raise":
            raise RuntimeError("deliberately broken render (LABKIT_E2E_BREAK)")
        return frozen            # "constant": ignores its parameters
    return render
_views = [o for o in _gc.get_objects() if isinstance(o, _SV)]
for _v in _views:
    _v.render = _e2e_broken(_v, "{how}")
print("LABKIT_E2E_BREAK: broke", len(_views), "views")'''


def missing_requirements() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "playwright is not installed (pip install playwright; its own browsers are not needed)"
        )
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _break_notebook(path: Path, how: str):
    nb = json.loads(path.read_text())
    nb["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "e2e-break",
            "metadata": {},
            "outputs": [],
            "source": BREAK_CELL.format(how=how),
        }
    )
    path.write_text(json.dumps(nb))


class LabServer:
    def __init__(self, work: Path):
        self.work = work
        self.root = work / "notebooks"
        self.port = _free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None

    def prepare(self, break_how: str | None):
        shutil.copytree(NOTEBOOKS, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        if break_how:
            for nb in self.root.glob("*.ipynb"):
                _break_notebook(nb, break_how)
        for d in (
            "config",
            "data",
            "runtime",
            "tmp",
            "ipython",
            "user-settings",
            "workspaces",
            "app-settings",
        ):
            (self.work / d).mkdir()
        (self.work / "app-settings" / "overrides.json").write_text(json.dumps(OVERRIDES, indent=1))
        cfg = self.work / "config" / "jupyter_server_config.py"
        cfg.write_text(f'''
from jupyterlab.galata import configure_jupyter_server
# window.galata + window.jupyterapp; then make it private again:
configure_jupyter_server(c)
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = {self.port}
c.ServerApp.port_retries = 0
c.ServerApp.open_browser = False
c.ServerApp.root_dir = {str(self.root)!r}
c.IdentityProvider.token = {self.token!r}
c.ServerApp.disable_check_xsrf = False
c.LabApp.workspaces_dir = {str(self.work / "workspaces")!r}
c.LabApp.user_settings_dir = {str(self.work / "user-settings")!r}
c.LabApp.app_settings_dir = {str(self.work / "app-settings")!r}
c.ServerApp.terminals_enabled = False
c.LanguageServerManager.autodetect = False
''')

    def env(self) -> dict:
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # the kernel must use the inline backend
        env.pop("JUPYTER_PATH", None)
        data = env.get("LABKIT_DATA") or (str(SHARED_MNIST) if SHARED_MNIST.is_dir() else None)
        if data:
            env["LABKIT_DATA"] = data
        env.update(
            LABKIT_MODE="fast",
            LABKIT_OFFLINE="1",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
            JUPYTER_CONFIG_DIR=str(self.work / "config"),
            JUPYTER_DATA_DIR=str(self.work / "data"),
            JUPYTER_RUNTIME_DIR=str(self.work / "runtime"),
            TMPDIR=str(self.work / "tmp"),
            IPYTHONDIR=str(self.work / "ipython"),
            JUPYTERLAB_GALATA_ROOT_DIR=str(self.root),
            JUPYTER_PLATFORM_DIRS="1",
        )
        return env

    def start(self, timeout=180):
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            f"--config={self.work / 'config' / 'jupyter_server_config.py'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=self.env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                self.api("GET", "/api/status")
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{self.log_tail()}")

    def api(self, method, path, timeout=10):
        req = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def log_tail(self, n=4000) -> str:
        try:
            return self.log_path.read_text()[-n:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        children = []
        try:
            import psutil

            children = psutil.Process(self.proc.pid).children(recursive=True)
        except Exception:  # noqa: BLE001
            pass
        try:  # kernels first, politely
            for k in self.api("GET", "/api/kernels"):
                self.api("DELETE", f"/api/kernels/{k['id']}", timeout=30)
        except Exception:  # noqa: BLE001
            pass
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        for c in children:  # kernels live in their own sessions
            try:
                if c.is_running():
                    c.kill()
            except Exception:  # noqa: BLE001
                pass
        self._log.close()
        self.proc = None


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    why = missing_requirements()
    if why:
        pytest.skip(f"browser tests skipped: {why}")
    server = LabServer(tmp_path_factory.mktemp("e2e-lab"))
    server.prepare(os.environ.get("LABKIT_E2E_BREAK") or None)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(server.log_path, ARTIFACTS / "jupyterlab.log")


@pytest.fixture(scope="session")
def browser(lab_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()
