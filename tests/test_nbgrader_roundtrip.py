"""The nbgrader round trip (labkit/grading/roundtrip.py), for every notebook with exercises.

One nbgrader course, one assignment holding all the notebooks (their exercise slices):
``nbgrader generate_assignment``, then ``nbgrader autograde`` and ``labkit grade`` on three
students: ``solution`` (full marks), ``blank`` (the release unanswered: 0) and ``wrong`` (each
answer cell holds tests/grading_fixtures/wrong/<grade_id>.py: 0 for every exercise). Both graders
must give those points, per exercise. Written (manual) answers are excluded by both.

``make test`` runs this file in the background, alongside the main pytest run (``make roundtrip``
runs it alone). The table goes to build/roundtrip.json (untracked; the committed
benchmarks/results/roundtrip.json is a copy of one such run).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import nbformat
import pytest

from labkit.grading.nbmeta import is_graded
from labkit.grading.roundtrip import problems, run, table

ROOT = Path(__file__).resolve().parent.parent
WRONG = Path(__file__).parent / "grading_fixtures" / "wrong"
RESULT = ROOT / "build" / "roundtrip.json"  # a test never rewrites a tracked file
NOTEBOOKS = [
    p
    for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
    if any(is_graded(c) for c in nbformat.read(p, as_version=4).cells)
]


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    t0 = time.monotonic()
    res = run(NOTEBOOKS, tmp_path_factory.mktemp("roundtrip"), WRONG)
    res["wall_seconds"] = round(time.monotonic() - t0, 1)
    res["machine"] = dict(
        cpus=os.cpu_count(),
        load_average=[round(x, 1) for x in os.getloadavg()],
        python=platform.python_version(),
    )
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(res, indent=1) + "\n")
    print(f"\nnbgrader round trip ({res['wall_seconds']:.0f} s):\n{table(res)}")
    return res


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_nbgrader_and_labkit_agree(roundtrip, path):
    mine = dict(
        roundtrip,
        rows=[r for r in roundtrip["rows"] if r["notebook"] == path.stem],
        missing_wrong={k: v for k, v in roundtrip["missing_wrong"].items() if k == path.stem},
    )
    assert mine["rows"], f"{path.stem}: no graded cell in the round trip"
    bad = problems(mine)
    assert not bad, f"{path.stem}:\n" + table(mine) + "\n" + "\n".join(bad)
