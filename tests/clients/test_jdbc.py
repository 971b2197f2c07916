"""DBeaver's way in: DuckDB's JDBC driver (Maven org.duckdb:duckdb_jdbc, a 1.4.x and the
current release) opens the published warehouse read-only and reads a table and its comments
through DatabaseMetaData, as DBeaver's navigator does."""
from __future__ import annotations

import pytest

from tests.clients.clients import jdbc_facts

pytestmark = [pytest.mark.clients, pytest.mark.slow, pytest.mark.xdist_group("clients")]


def test_jdbc_reads_a_table_and_its_comments_read_only(jdbc_driver, java_program,
                                                       client_warehouse):
    facts = jdbc_facts(jdbc_driver, java_program, client_warehouse.path, "meetings")
    version = jdbc_driver.parent.name                       # e.g. 1.4.4.0
    assert facts["library_version"][0].lstrip("v").startswith(".".join(version.split(".")[:2]))
    assert int(facts["rows"][0]) > 0
    assert len(facts["table_remarks"]) == 1                 # main.meetings only, not staging
    assert " / " in facts["table_remarks"][0]               # English / Tiếng Việt
    remarks = dict(r.split("=", 1) for r in facts["column_remarks"])
    assert remarks.get("meeting_id") not in (None, "", "null"), remarks
    assert facts["write"][0].startswith("refused"), facts["write"]
