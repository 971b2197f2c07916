"""The data checks that guard a run before it publishes (chibo/model/checks/*.sql).

Each check passes on the warehouse the real pipeline built from the worked example, and each
fails, naming itself, once the model tables are broken the way it guards against.
"""
from __future__ import annotations

import pytest

from chibo.model import DataCheckFailed, data_checks, run_data_checks

# one way to break what each check guards, applied to a copy of the published warehouse
BREAKS = {
    "cells_have_metrics": """
        DELETE FROM cell_year_metrics WHERE (org_id, year) IN (
            SELECT (org_id, year) FROM org_years WHERE level = 'chi_bo' LIMIT 1)""",
    "collectives_classified": """
        DELETE FROM org_year_classification WHERE (org_id, year) IN (
            SELECT (org_id, year) FROM org_years WHERE level = 'dang_bo_co_so' LIMIT 1)""",
    "file_counts_add_up": """
        UPDATE files SET rows_read = rows_read + 1 WHERE path = (
            SELECT min(path) FROM files WHERE status = 'loaded' AND NOT superseded)""",
    "reason_codes_have_texts": """
        UPDATE reason_texts SET text_en = '' WHERE (rulebook, code) IN (
            SELECT (rulebook, unnest(reasons)) FROM org_year_classification
            WHERE len(reasons) > 0 LIMIT 1)""",
    "unique_cell_year_metrics":
        "INSERT INTO cell_year_metrics SELECT * FROM cell_year_metrics LIMIT 1",
    "unique_org_year_classification":
        "INSERT INTO org_year_classification SELECT * FROM org_year_classification LIMIT 1",
    "unique_member_cell_years":
        "INSERT INTO member_cell_years SELECT * FROM member_cell_years LIMIT 1",
    "unique_org_years": "INSERT INTO org_years SELECT * FROM org_years LIMIT 1",
}


def test_every_check_has_a_way_to_break_it_here():
    assert sorted(BREAKS) == [name for name, _ in data_checks()]


def test_the_real_pipelines_warehouse_passes_every_check(con):
    run_data_checks(con)


@pytest.mark.parametrize("check", sorted(BREAKS))
def test_a_broken_table_fails_its_check_by_name(con, check):
    con.execute(BREAKS[check])
    with pytest.raises(DataCheckFailed, match=f"data check {check} failed"):
        run_data_checks(con)


def test_a_placeholder_left_in_the_model_sql_stops_the_model(con, monkeypatch):
    import chibo.model as model
    from chibo.rulebooks import load_rulebooks
    from tests.helpers import EXAMPLE_AS_OF

    real = model.sql_text
    monkeypatch.setattr(model, "sql_text", lambda name: real(name).replace(
        "{levels}", "{levle}") if name == "quota.sql" else real(name))
    with pytest.raises(ValueError, match=r"quota.sql: placeholder \{levle\} left unfilled"):
        model.build_model(con, EXAMPLE_AS_OF, load_rulebooks(None))
