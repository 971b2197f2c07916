"""The worked example through the whole pipeline (read → validate → integrate → model →
export → publish) agrees with the spec's expected tables, checked by the spec's compare.py."""
from __future__ import annotations

import subprocess
import sys

import duckdb

from chibo import pipeline
from tests.helpers import COMPARE, EXAMPLE, EXAMPLE_AS_OF, copy_example_raw, settings


def test_worked_example_end_to_end_agrees_with_expected(tmp_path):
    raw = copy_example_raw(tmp_path / "raw")
    s = settings(tmp_path, raw, as_of=EXAMPLE_AS_OF)
    summary = pipeline.run_all(s)
    assert summary.rows["quarantined"] == 0 and summary.rows["pending"] == 0
    out = subprocess.run(
        [sys.executable, str(COMPARE), "--expected", str(EXAMPLE / "expected"),
         "--actual-db", str(s.warehouse), "--report", str(tmp_path / "report.md")],
        capture_output=True, text=True)
    last = out.stdout.strip().splitlines()[-1]
    assert out.returncode == 0, last
    assert "classification: 71/71 org-years agree (0 fields differ)" in last, last
    assert "org_years: 78/78" in last and "member_rating_audit: 4/4" in last, last
    # the published file is the only one left, and analysts can open it read-only
    assert [p.name for p in s.warehouse.parent.iterdir() if "next" in p.name] == []
    con = duckdb.connect(str(s.warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM runs").fetchall()[0][0] == 1
    con.close()
    assert (s.exports / "du-lieu-loi.csv").exists()
