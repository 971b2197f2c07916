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


def test_a_scheduled_night_one_day_later_in_the_same_month_does_no_work(tmp_path):
    """The deployment passes as_of = today: the fingerprint holds the *effective* as-of (the
    last month-end on or before it, the as-of year, the complete years), not the date."""
    from chibo.settings import Settings
    from tests.robustness.conftest import small_world

    raw = small_world().write_raw(tmp_path / "raw")
    s = Settings(raw=raw, warehouse=tmp_path / "wh" / "chibo.duckdb",
                 exports=tmp_path / "wh" / "exports", as_of=dt.date(2024, 6, 15))
    pipeline.run_all(s)
    before = integrated_snapshot(s.warehouse, with_model=True)
    from dataclasses import replace
    pipeline.run_all(replace(s, as_of=dt.date(2024, 6, 16)))        # the next night
    assert _last_run(s.warehouse) == ("export, integrate, model", dt.date(2024, 6, 16))
    pipeline.run_all(replace(s, as_of=dt.date(2024, 6, 29)))
    assert _last_run(s.warehouse)[0] == "export, integrate, model"
    assert integrated_snapshot(s.warehouse, with_model=True) == before
    pipeline.run_all(replace(s, as_of=dt.date(2024, 6, 30)))        # June has ended: re-model
    assert _last_run(s.warehouse)[0] is None


def test_effective_as_of_and_what_the_fingerprint_reads():
    eff = pipeline.effective_as_of
    assert eff(dt.date(2026, 3, 15)) == eff(dt.date(2026, 3, 16)) == eff(dt.date(2026, 3, 30))
    assert eff(dt.date(2026, 3, 31)) != eff(dt.date(2026, 3, 30))
    assert eff(dt.date(2026, 3, 31))["month_end"] == "2026-03-31"
    assert eff(dt.date(2026, 1, 5)) == {"month_end": "2025-12-31", "year": 2026,
                                        "last_complete_year": 2025}
    assert eff(dt.date(2025, 12, 31))["last_complete_year"] == 2025
    names = {p.relative_to(pipeline.Path(pipeline.__file__).resolve().parents[1]).as_posix()
             for p in pipeline.fingerprint_sources()}
    assert {"chibo/contract.py", "schemas/meetings.py", "schemas/rulebooks/qd366.toml",
            "chibo/integrate/integrate.py", "chibo/model/sql/10_meetings.sql"} <= names


def test_an_org_date_inside_the_month_makes_the_night_work(tmp_path):
    """Integrate checks a member's cell on the as-of day itself: an organisation version
    starting between the month-end and the as-of date changes the fingerprint."""
    from chibo.settings import Settings
    from tests.robustness.conftest import small_world

    w = small_world()
    w.org("C1", "chi_bo", "D", valid_from="2024-06-16")              # a new version of C1
    raw = w.write_raw(tmp_path / "raw")
    s = Settings(raw=raw, warehouse=tmp_path / "wh" / "chibo.duckdb",
                 exports=tmp_path / "wh" / "exports", as_of=dt.date(2024, 6, 20))
    pipeline.run_all(s)
    from dataclasses import replace
    pipeline.run_all(replace(s, as_of=dt.date(2024, 6, 19)))         # the version still began
    assert _last_run(s.warehouse)[0] == "export, integrate, model"
    pipeline.run_all(replace(s, as_of=dt.date(2024, 6, 15)))         # before it began: work
    assert _last_run(s.warehouse)[0] is None
    pipeline.run_all(replace(s, as_of=dt.date(2024, 6, 14)))
    assert _last_run(s.warehouse)[0] == "export, integrate, model"
