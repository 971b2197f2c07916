"""The generated province, through the whole pipeline, shows every verdict the rules can give:
every level, both outcomes of each "4 tốt" criterion, the quota, and only the intended bad rows
quarantined (issue: a demo must show the product whole)."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from chibo import pipeline
from chibo.generate import generate
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
