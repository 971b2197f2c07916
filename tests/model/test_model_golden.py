"""The worked example (small province, as-of 2026-03-15) must agree with expected/ exactly."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from chibo.model import build_model
from chibo.rulebooks import load_rulebooks

from .builders import load_raw_plain

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE = FIXTURES / "small-province"
AS_OF = dt.date(2026, 3, 15)
TABLES = ("meetings", "cell_year_metrics", "org_year_classification")


def _snapshot(con):
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def test_worked_example_agrees_and_is_idempotent(tmp_path):
    db = tmp_path / "example.duckdb"
    con = load_raw_plain(db, EXAMPLE / "raw", AS_OF)
    rules = load_rulebooks()
    summary = build_model(con, AS_OF, rules)
    first = _snapshot(con)
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'meetings'"
        " ORDER BY ordinal_position").fetchall()]
    assert build_model(con, AS_OF, rules) == summary
    assert _snapshot(con) == first                       # idempotent
    assert [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'meetings'"
        " ORDER BY ordinal_position").fetchall()] == cols
    # no helper tables left behind
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not {n for n in names if n.startswith("_")}
    con.close()

    assert set(summary["years"]) == {2023, 2024, 2025, 2026}
    assert summary["years"][2026]["not_classified"] == 9

    proc = subprocess.run(
        [sys.executable, str(FIXTURES / "compare.py"), "--expected", str(EXAMPLE / "expected"),
         "--actual-db", str(db)], capture_output=True, text=True)
    last = proc.stdout.strip().splitlines()[-1]
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "(0 fields differ)" in last and "38/38" in last and "347/347" in last, last
