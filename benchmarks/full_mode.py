"""Run the notebooks end to end in a chosen mode (default: full) and record what each took.

    .venv/bin/python benchmarks/full_mode.py                          # every notebook, full mode
    .venv/bin/python benchmarks/full_mode.py --mode fast 00_setup_check --jobs 1
    python benchmarks/full_mode.py --jobs 9 --deadline 420 --executed /tmp/out   # on a GPU machine

Each notebook runs in its own kernel (nbclient) with ``LABKIT_MODE`` set, from ``notebooks/``, in
parallel (``--jobs``). A shared wall-clock ``--deadline`` stops every run still going at that point
and says which cell it had reached, so a short lease on a GPU still returns partial results. The
text each cell printed is kept (``--executed`` also writes the executed notebooks, figures
included). Writes benchmarks/results/full_mode_<device>.json: per notebook the status, wall
seconds, the cell reached and the printed lines; plus the device, torch version and the mode.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
RESULTS = ROOT / "benchmarks" / "results"


def _printed(cell) -> list[str]:
    lines = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            lines += [
                s
                for s in "".join(out.get("text", "")).splitlines()
                if s.strip() and "it/s]" not in s
            ]
        elif out.get("output_type") == "error":
            lines.append(f"{out.get('ename')}: {out.get('evalue')}")
    return lines


def run_notebook(
    path: Path, mode: str, deadline: float, executed: Path | None, override: str | None = None
) -> dict:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NB_DIR)}}
    )
    row = {
        "notebook": path.stem,
        "status": "ok",
        "cells": len(nb.cells),
        "cell_reached": 0,
        "printed": [],
        "sizes_overridden": override,
    }
    if override:  # right after the cell that picks the sizes
        at = next(
            (i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "by_mode(" in c.source),
            None,
        )
        if at is None:
            raise SystemExit(f"{path.name}: no cell with by_mode( to override after")
        nb.cells.insert(
            at + 1,
            nbformat.v4.new_code_cell(f"# sizes overridden by benchmarks/full_mode.py\n{override}"),
        )
    t0 = time.perf_counter()
    try:
        with client.setup_kernel(env={**os.environ, "LABKIT_MODE": mode}):
            for i, cell in enumerate(nb.cells):
                row["cell_reached"] = i
                left = deadline - time.time()
                if left <= 5:
                    row["status"] = f"stopped at the deadline before cell {i} of {len(nb.cells)}"
                    break
                if cell.cell_type != "code":
                    continue
                client.timeout = int(left)
                try:
                    client.execute_cell(cell, i)
                except Exception as e:  # CellExecutionError, timeout
                    last = str(e).strip().splitlines()[-1][:300]
                    row["status"] = f"error in cell {i}: {type(e).__name__}: {last}"
                    break
                finally:
                    row["printed"] += [f"[{i}] {s}" for s in _printed(cell)]
            else:
                row["cell_reached"] = len(nb.cells)
    except Exception as e:
        row["status"] = f"kernel failed: {type(e).__name__}: {e}"[:400]
    row["wall_s"] = round(time.perf_counter() - t0, 1)
    if executed is not None:
        executed.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, executed / path.name)
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("notebooks", nargs="*", help="names without .ipynb (default: all)")
    ap.add_argument("--mode", choices=["fast", "full"], default="full")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument(
        "--deadline", type=float, default=3600, help="seconds from now for all runs together"
    )
    ap.add_argument("--executed", type=Path, default=None, help="folder for the executed notebooks")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NOTEBOOK=CODE",
        help="run CODE right after NOTEBOOK's sizes cell, e.g. '05_gan=S.steps_2d = 2000' "
        "(a shorter check of the later sections; recorded in the results)",
    )
    a = ap.parse_args(argv)
    names = a.notebooks or sorted(p.stem for p in NB_DIR.glob("*.ipynb"))
    overrides = {}
    for item in a.set:
        name, _, code = item.partition("=")
        overrides[name] = (overrides[name] + "\n" if name in overrides else "") + code
    paths = [NB_DIR / f"{n}.ipynb" for n in names]
    for p in paths:
        if not p.exists():
            ap.error(f"no notebook {p}")
    import torch

    device = (
        torch.cuda.get_device_name(0)
        if torch.cuda.is_available()
        else f"cpu ({os.cpu_count()} cores)"
    )
    deadline = time.time() + a.deadline
    t0 = time.perf_counter()
    print(
        f"{len(paths)} notebooks, mode {a.mode}, {a.jobs} at a time, device {device}, "
        f"torch {torch.__version__}",
        flush=True,
    )
    rows = []
    with ThreadPoolExecutor(a.jobs) as ex:
        futures = [
            ex.submit(run_notebook, p, a.mode, deadline, a.executed, overrides.get(p.stem))
            for p in paths
        ]
        for f in futures:
            r = f.result()
            rows.append(r)
            extra = (
                f"  (sizes overridden: {r['sizes_overridden']})" if r["sizes_overridden"] else ""
            )
            print(f"{r['notebook']:32s} {r['wall_s']:7.1f} s  {r['status']}{extra}", flush=True)
            for s in r["printed"][-12:]:
                print(f"    {s[:160]}")
    tag = "cuda" if torch.cuda.is_available() else "cpu"
    out = a.out or RESULTS / f"{a.mode}_mode_{tag}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "benchmark": "notebooks end to end",
                "mode": a.mode,
                "device": device,
                "torch": torch.__version__,
                "python": platform.python_version(),
                "jobs": a.jobs,
                "cpus": os.cpu_count(),
                "total_wall_s": round(time.perf_counter() - t0, 1),
                "notebooks": rows,
            },
            indent=1,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
