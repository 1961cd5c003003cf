"""What ``labkit grade`` writes: the CSV (one row per exercise), merged shard CSVs, the summary
table, and one feedback file per student (.md and .html)."""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .grade import Result

CSV_FIELDS = ["student", "notebook", "exercise", "points", "max_points", "status", "detail"]


def _key(student: str, notebook: str) -> tuple[str, str]:
    return (student, notebook)


def summary_table(results: list[Result]) -> str:
    """Per exercise: how many passed, mean points, the most common other status."""
    stats: dict[tuple, dict] = {}
    for r in results:
        for row in r.rows:
            if not row["exercise"]:
                continue
            s = stats.setdefault(
                (row["notebook"], row["exercise"]),
                dict(n=0, passed=0, pts=0.0, mx=row["max_points"], other={}),
            )
            s["n"] += 1
            s["pts"] += row["points"]
            if row["status"] == "passed":
                s["passed"] += 1
            else:
                s["other"][row["status"]] = s["other"].get(row["status"], 0) + 1
    lines = [f"{'notebook':<28} {'exercise':<28} {'passed':>7} {'mean pts':>9}  other"]
    for (nb, ex), s in stats.items():
        other = ", ".join(f"{k} {v}" for k, v in sorted(s["other"].items(), key=lambda kv: -kv[1]))
        lines.append(
            f"{nb:<28} {ex:<28} {s['passed']:>3}/{s['n']:<3} "
            f"{s['pts'] / s['n']:>6.2f}/{s['mx']:g}  {other}"
        )
    return "\n".join(lines)


def write_csv(results: list[Result], path):
    """One row per exercise, submissions in (student, notebook) order (so shards merge back)."""
    rows = [
        row for r in sorted(results, key=lambda r: _key(r.student, r.notebook)) for row in r.rows
    ]
    _write_rows(rows, path)


def _write_rows(rows: list[dict], path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        for row in rows:
            w.writerow(
                {k: (f"{row[k]:g}" if isinstance(row[k], float) else row[k]) for k in CSV_FIELDS}
            )


def merge_csv(paths, out) -> int:
    """Merge the CSVs of ``labkit grade --shard`` runs into one, as one run would have written it.
    Returns the number of rows; ValueError if a submission appears in two shards."""
    groups: dict[tuple, list] = {}
    where: dict[tuple, str] = {}
    for p in map(Path, paths):
        with open(p, newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != CSV_FIELDS:
                raise ValueError(f"{p}: not a labkit grade CSV (columns {reader.fieldnames})")
            mine: dict[tuple, list] = {}
            for row in reader:
                mine.setdefault(_key(row["student"], row["notebook"]), []).append(row)
        for k, rows in mine.items():
            if k in groups:
                raise ValueError(
                    f"{k[0]}'s {k[1]} is in both {where[k]} and {p}: were the shards of one run?"
                )
            groups[k], where[k] = rows, str(p)
    rows = [row for k in sorted(groups) for row in groups[k]]
    _write_rows(rows, out)
    return len(rows)


def _safe_filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", name).strip("._") or "student"


def feedback_markdown(student: str, results: list[Result]) -> str:
    lines = [f"# Feedback for {student}", ""]
    for r in results:
        lines += [
            f"## {r.notebook}: {r.points:g} / {r.max_points:g} points",
            "",
            "| exercise | points | status | details |",
            "|---|---|---|---|",
        ]
        for row in r.rows:
            det = str(row["detail"]).replace("|", "\\|").replace("\n", " ")
            lines.append(
                f"| {row['exercise']} | {row['points']:g} / {row['max_points']:g} "
                f"| {row['status']} | {det} |"
            )
        if r.notes:
            lines += ["", "Notes:"] + [f"- {n}" for n in r.notes]
        lines.append("")
    return "\n".join(lines)


def feedback_html(student: str, results: list[Result]) -> str:
    e = html.escape
    parts = [
        f"<!doctype html><meta charset='utf-8'><title>Feedback: {e(student)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em}td,th{border:1px solid #ccc;padding:4px}"
        "table{border-collapse:collapse}.passed{color:#080}.failed,.error,.timeout{color:#b00}</style>",
        f"<h1>Feedback for {e(student)}</h1>",
    ]
    for r in results:
        parts.append(f"<h2>{e(r.notebook)}: {r.points:g} / {r.max_points:g} points</h2>")
        parts.append(
            "<table><tr><th>exercise</th><th>points</th><th>status</th><th>details</th></tr>"
        )
        for row in r.rows:
            parts.append(
                f"<tr><td>{e(str(row['exercise']))}</td>"
                f"<td>{row['points']:g} / {row['max_points']:g}</td>"
                f"<td class='{e(row['status'].split()[0])}'>{e(row['status'])}</td>"
                f"<td>{e(str(row['detail']))}</td></tr>"
            )
        parts.append("</table>")
        if r.notes:
            parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in r.notes) + "</ul>")
    return "\n".join(parts)


def write_feedback(results: list[Result], folder) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    by_student: dict[str, list] = {}
    for r in results:
        by_student.setdefault(r.student, []).append(r)
    written = []
    for student, rs in by_student.items():
        name = _safe_filename(student)
        (folder / f"{name}.md").write_text(feedback_markdown(student, rs))
        (folder / f"{name}.html").write_text(feedback_html(student, rs))
        written.append(folder / f"{name}.md")
    return written
