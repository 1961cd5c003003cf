"""``labkit grade --shard I/N`` + ``labkit grade-merge``: two shards merged give the CSV of one
run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path, PurePosixPath

import nbformat
import pytest

from labkit.grading.grade import Submission, merge_csv, parse_shard, shard
from labkit.grading.release import release
from labkit.grading.roundtrip import make_submission

FIXTURES = Path(__file__).parent / "grading_fixtures"
DEMO = FIXTURES / "demo.ipynb"


def _grade(args):
    r = subprocess.run(
        [sys.executable, "-m", "labkit.cli", "grade", *map(str, args)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def test_two_shards_merged_equal_one_run(tmp_path):
    release(DEMO, tmp_path / "release", quiet=True)
    released = nbformat.read(tmp_path / "release" / "demo.ipynb", as_version=4)
    subs = tmp_path / "submissions"
    for student, kind in (("ana", "solution"), ("bo", "blank"), ("cy", "wrong")):
        nb, _ = make_submission(
            released, nbformat.read(DEMO, as_version=4), kind, FIXTURES / "wrong"
        )
        (subs / student).mkdir(parents=True)
        nbformat.write(nb, subs / student / "demo.ipynb")
    _grade([subs, "--source", DEMO, "--out", tmp_path / "all.csv"])
    for i in (1, 2):
        r = _grade(
            [subs, "--source", DEMO, "--out", tmp_path / f"shard{i}.csv", "--shard", f"{i}/2"]
        )
        assert f"shard {i}/2" in r.stderr
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "labkit.cli",
            "grade-merge",
            tmp_path / "shard2.csv",
            tmp_path / "shard1.csv",
            "-o",
            tmp_path / "merged.csv",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    one = (tmp_path / "all.csv").read_text()
    assert (tmp_path / "merged.csv").read_text() == one
    assert one.count("\n") == 1 + 3 * 3  # header + 3 students x 3 exercises
    assert (tmp_path / "shard1.csv").read_text() != one  # each shard graded only its share
    with pytest.raises(ValueError, match="in both"):
        merge_csv([tmp_path / "shard1.csv", tmp_path / "shard1.csv"], tmp_path / "dup.csv")


def test_shards_cover_every_submission_once():
    subs = [
        Submission(f"s{i}", PurePosixPath(f"s{i}/demo.ipynb"), b"", student=f"s{i:02d}")
        for i in range(7)
    ]
    for n in (1, 2, 3, 7, 9):
        parts = [shard(subs, i, n) for i in range(1, n + 1)]
        labels = sorted(s.label for p in parts for s in p)
        assert labels == sorted(s.label for s in subs)
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/2", "3/2", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)
