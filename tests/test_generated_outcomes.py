"""The generated province, through the whole pipeline, shows every verdict the rules can give:
every level, both outcomes of each "4 tốt" criterion, the quota, and only the intended bad rows
quarantined (issue: a demo must show the product whole)."""
from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from chibo import pipeline
from chibo.generate import MANIFEST_DIR, PLANTED_RATINGS, generate
from tests.helpers import settings

pytestmark = pytest.mark.xdist_group("generate")
AS_OF = dt.date(2026, 2, 15)


@pytest.fixture(scope="module")
def generated_warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gen")
    summary = generate("province", (2025, 2025), tmp / "raw", seed=7, as_of=AS_OF, members=4000)
    s = settings(tmp, tmp / "raw", as_of=AS_OF)
    pipeline.run_all(s)
    return s.warehouse, summary


def test_every_level_and_both_outcomes_of_each_criterion_appear(generated_warehouse):
    db, _ = generated_warehouse
    con = duckdb.connect(str(db), read_only=True)
    levels = {r[0] for r in con.execute(
        "SELECT DISTINCT level FROM org_year_classification WHERE level IS NOT NULL").fetchall()}
    assert levels == {"excellent", "good", "completed", "failed"}
    for criterion in ("political_task_good", "meeting_quality_good", "unity_discipline_good",
                      "members_good", "four_good"):
        outcomes = {r[0] for r in con.execute(
            f"SELECT DISTINCT {criterion} FROM org_year_classification "
            "WHERE level IS NOT NULL").fetchall()}
        assert outcomes == {True, False}, criterion
    assert con.execute("SELECT bool_or(quota_demoted) FROM org_year_classification").fetchall()[0][0]


def test_only_the_intended_bad_rows_are_quarantined(generated_warehouse):
    db, summary = generated_warehouse
    con = duckdb.connect(str(db), read_only=True)
    quarantined = {(f, r) for f, r in con.execute(
        "SELECT DISTINCT file, source_row FROM quarantine").fetchall()}
    intended = {(b.file, b.row) for b in summary.bad_rows}
    assert quarantined and quarantined <= intended


def test_the_audit_lists_exactly_the_planted_ratings(generated_warehouse):
    """Ordinary official ratings are the level the records support after the quota: the audit
    flags the planted ones of the manifest and nothing else."""
    db, summary = generated_warehouse
    planted = pl.read_csv(summary.out / MANIFEST_DIR / PLANTED_RATINGS)

    def manifest(what: str) -> set[tuple[str, int]]:
        rows = planted.filter(pl.col("what") == what)
        return set(zip(rows["org_id"], rows["year"]))

    con = duckdb.connect(str(db), read_only=True)

    def audited(column: str, value: str) -> set[tuple[str, int]]:
        return set(con.execute(f"SELECT org_id, year FROM org_year_classification "
                               f"WHERE {column} = ?", [value]).fetchall())

    assert manifest("inflated") and manifest("lower") and manifest("four_good_not_met")
    assert audited("audit", "official_higher") == manifest("inflated")
    assert audited("audit", "official_lower") == manifest("lower")
    assert audited("four_good_audit", "awarded_not_met") == manifest("four_good_not_met")
    assert not audited("audit", "not_computed") and not audited("four_good_audit",
                                                               "met_not_awarded")
    # and the committee rates most org-years, excellent ones among them
    official = dict(con.execute("SELECT official_level, count(*) FROM org_year_classification "
                                "WHERE audit = 'agrees' GROUP BY ALL").fetchall())
    assert official.get("excellent", 0) >= 10 and sum(official.values()) >= 1000
