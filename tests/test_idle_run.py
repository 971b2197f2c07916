"""A nightly run with nothing new does no work, and anything the tables depend on makes it
work again: a new file, another as-of date, a rulebook override, missing reports."""
from __future__ import annotations

import datetime as dt
import shutil

import duckdb

from chibo import pipeline
from tests.helpers import EXAMPLE, EXAMPLE_AS_OF, integrated_snapshot, settings


def _last_run(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT skipped, as_of FROM runs ORDER BY finished_at DESC LIMIT 1"
                           ).fetchall()[0]
    finally:
        con.close()


def _files_read_by_last_run(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT files_new FROM runs ORDER BY finished_at DESC LIMIT 1"
                           ).fetchall()[0][0]
    finally:
        con.close()


def test_idle_run_skips_and_changes_nothing_until_something_changes(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLE / "raw", raw, ignore=shutil.ignore_patterns("2025-*", "2026-*"))
    s = settings(tmp_path, raw, as_of=EXAMPLE_AS_OF)
    pipeline.run_all(s)
    before = integrated_snapshot(s.warehouse, with_model=True)

    pipeline.run_all(s)                                      # nothing new
    assert _last_run(s.warehouse)[0] == "export, integrate, model"
    assert _files_read_by_last_run(s.warehouse) == 0          # only new files are read
    assert integrated_snapshot(s.warehouse, with_model=True) == before

    shutil.rmtree(s.exports)                                 # reports lost: written again
    pipeline.run_all(s)
    assert _last_run(s.warehouse)[0] == "integrate, model"
    assert (s.exports / "du-lieu-loi.csv").exists()

    later = settings(tmp_path, raw, as_of=dt.date(2026, 6, 30))   # another as-of: re-model
    pipeline.run_all(later)
    assert _last_run(s.warehouse) == (None, dt.date(2026, 6, 30))

    rb = tmp_path / "rulebooks"                                   # a threshold changes
    rb.mkdir()
    (rb / "qd124.toml").write_text('name = "qd124"\n[thresholds]\n'
                                   'attendance_rate_above = "0.90"\n', encoding="utf-8")
    from dataclasses import replace
    pipeline.run_all(replace(later, rulebooks=rb))
    assert _last_run(s.warehouse)[0] is None

    for f in sorted((EXAMPLE / "raw").rglob("2025-*.csv")):        # new files
        dest = raw / f.relative_to(EXAMPLE / "raw")
        shutil.copy2(f, dest)
    pipeline.run_all(later)
    assert _last_run(s.warehouse)[0] is None
    assert _files_read_by_last_run(s.warehouse) == len(list((EXAMPLE / "raw").rglob("2025-*.csv")))
    assert integrated_snapshot(s.warehouse, with_model=True) != before
