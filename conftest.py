"""Repository-wide pytest hooks: one line per notebook with its fast-mode wall time (nbval).

`make test` prints, after the run, e.g. `notebook 03_unet: 84.2 s (budget 120 s)`. The budgets are
the course's promise for a 2-core laptop in fast mode (GAN notebooks and lab 06: 3 minutes); an
over-budget notebook is flagged, not failed (timing targets live in benchmarks, not in tests).
"""

import time
from pathlib import Path

_START: dict[str, float] = {}
_END: dict[str, float] = {}
_FAILED: set[str] = set()
LONG = ("05_gan", "05b_gan_beyond", "06_taxonomy")


def _notebook(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]  # only the course notebooks, not test fixtures
    return Path(path).stem if path.endswith(".ipynb") and path.startswith("notebooks/") else None


def pytest_runtest_logstart(nodeid, location):
    nb = _notebook(nodeid)
    if nb:
        _START.setdefault(nb, time.perf_counter())


def pytest_runtest_logfinish(nodeid, location):
    nb = _notebook(nodeid)
    if nb:
        _END[nb] = time.perf_counter()


def pytest_runtest_logreport(report):
    nb = _notebook(report.nodeid)
    if nb and report.failed:
        _FAILED.add(nb)


def budget_s(name: str) -> int:
    return 180 if name.startswith(LONG) else 120


def pytest_terminal_summary(terminalreporter):
    if not _START:
        return
    tr = terminalreporter
    tr.section("fast-mode wall time per notebook (nbval)")
    for nb in sorted(_START):
        secs = _END.get(nb, _START[nb]) - _START[nb]
        flag = "  OVER BUDGET" if secs > budget_s(nb) else ""
        failed = "  (failed)" if nb in _FAILED else ""
        tr.write_line(f"notebook {nb}: {secs:6.1f} s (budget {budget_s(nb)} s){flag}{failed}")
