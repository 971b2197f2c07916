"""The worked example (small province, as-of 2026-03-15), read, validated and integrated by
the real pipeline, then modelled: it must agree with expected/ exactly, and re-running the
model on the same state must change nothing."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from chibo import pipeline
from chibo.model import build_model
from chibo.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE = FIXTURES / "small-province"
AS_OF = dt.date(2026, 3, 15)
TABLES = ("meetings", "cell_year_metrics", "org_year_classification", "org_years",
          "member_years", "member_rating_audit", "org_months")


def _snapshot(con):
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def test_worked_example_agrees_and_is_idempotent(tmp_path):
    s = Settings(raw=EXAMPLE / "raw", warehouse=tmp_path / "example.duckdb",
                 exports=tmp_path / "exports", as_of=AS_OF)
    ctx = pipeline.start_run(s)
    try:
        pipeline.ingest(ctx)
        pipeline.integrate(ctx)
        con = ctx.con
        summary = build_model(con, AS_OF, ctx.rules)
        first = _snapshot(con)
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'meetings'"
            " ORDER BY ordinal_position").fetchall()]
        assert build_model(con, AS_OF, ctx.rules) == summary
        assert _snapshot(con) == first                       # idempotent
        assert [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'meetings'"
            " ORDER BY ordinal_position").fetchall()] == cols
        # no work table left behind
        names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert not {n for n in names if n.startswith("_")}
        from chibo import warehouse as wh
        wh.publish_file(con, ctx.next_file, s.warehouse)
    finally:
        ctx.resources.close()

    assert set(summary["years"]) == {2023, 2024, 2025, 2026}
    # 2026: two months active, no assessment yet: nothing classified
    assert summary["years"][2026]["levels"] == {"excellent": 0, "good": 0, "completed": 0,
                                                "failed": 0}

    proc = subprocess.run(
        [sys.executable, str(FIXTURES / "compare.py"), "--expected", str(EXAMPLE / "expected"),
         "--actual-db", str(s.warehouse)], capture_output=True, text=True)
    last = proc.stdout.strip().splitlines()[-1]
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "classification: 71/71 org-years agree (0 fields differ)" in last, last
    assert "org_years: 78/78" in last and "member_rating_audit: 4/4" in last, last
