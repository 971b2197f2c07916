"""document_warehouse: bilingual comments on everything, analyst views queryable and right."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import duckdb
import pytest

from chibo.export import document_warehouse, undocumented
from chibo.export.descriptions import column_comment, table_comment
from chibo.export.views import VIEW_NAMES

VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I)

# Column lists of the spec: the worked example's compare.py states them (a copy of shared/).
_spec = importlib.util.spec_from_file_location(
    "compare", Path(__file__).resolve().parents[1] / "model" / "fixtures" / "compare.py")
_compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_compare)
METRIC_COLUMNS, CLASS_COLUMNS = _compare.METRIC_COLUMNS, _compare.CLASS_COLUMNS
MEETING_EXTRA = ["duration_minutes", "min_minutes", "counted", "attendance_rows", "present",
                 "excused", "unexcused", "attendance_rate", "speaking_rate", "meets_standard",
                 "standard_failures"]
SPEC_COLUMNS = {
    "files": ["path", "kind", "sha256", "bytes", "status", "rows_read", "rows_loaded",
              "rows_quarantined", "rows_pending", "error", "first_run_id"],
    "quarantine": ["kind", "file", "source_row", "column_name", "check_name", "value",
                   "message_vi", "message_en", "run_id"],
    "pending": ["kind", "key", "missing_kind", "missing_key", "file", "source_row"],
    "flags": ["kind", "key", "flag", "detail"],
    "runs": ["run_id", "started_at", "finished_at", "as_of", "status"],
    "cell_year_metrics": METRIC_COLUMNS,
    "org_year_classification": CLASS_COLUMNS,
    "meetings": MEETING_EXTRA,
}


def test_dictionary_covers_the_spec_columns():
    from chibo.contract import CONTRACT
    missing = [f"{k}.{c.name}" for k, kind in CONTRACT.items()
               for c in kind.columns + () if column_comment(k, c.name) is None]
    missing += [f"{k}.{c}" for k in CONTRACT for c in ("source_file", "source_row")
                if column_comment(k, c) is None]
    missing += [f"{t}.{c}" for t, cols in SPEC_COLUMNS.items() for c in cols
                if column_comment(t, c) is None]
    missing += [t for t in list(SPEC_COLUMNS) + list(CONTRACT) + list(VIEW_NAMES)
                if table_comment(t) is None]
    assert missing == []


def test_every_table_view_and_column_is_documented(documented):
    # The dictionary is complete for the populated warehouse: a new column without a
    # description makes this fail.
    assert undocumented(documented) == []
    objs = documented.execute("""
        SELECT table_name, comment FROM duckdb_tables() WHERE NOT internal AND NOT temporary
        UNION ALL
        SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND NOT temporary""").fetchall()
    names = {n for n, _ in objs}
    assert {"org_units", "members", "meetings", "attendance", "assessments", "member_ratings",
            "files", "quarantine", "pending", "flags", "runs", "cell_year_metrics",
            "org_year_classification", *VIEW_NAMES} <= names
    cols = documented.execute("""
        SELECT c.table_name, c.column_name, c.comment FROM duckdb_columns() c
        WHERE NOT c.internal AND c.table_name IN (
            SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary
            UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary)""").fetchall()
    assert len(cols) > 150
    for name, comment in objs + [(f"{t}.{c}", cm) for t, c, cm in cols]:
        assert comment, f"{name} has no comment"
        en, sep, vi = comment.partition(" / ")
        assert sep and en.strip() and vi.strip(), f"{name}: {comment!r} is not 'English / Tiếng Việt'"
        assert VIETNAMESE.search(vi) or vi == vi.upper() or any(ord(ch) > 127 for ch in vi), \
            f"{name}: Vietnamese part {vi!r}"


def test_unknown_column_is_not_fatal_but_reported(documented):
    documented.execute("CREATE TABLE something_new (x INTEGER)")
    documented.execute("ALTER TABLE runs ADD COLUMN brand_new_counter INTEGER")
    document_warehouse(documented)      # does not raise
    assert set(undocumented(documented)) == {"something_new", "something_new.x",
                                             "runs.brand_new_counter"}


def test_document_is_repeatable_and_survives_reopen(warehouse):
    c = duckdb.connect(str(warehouse))
    document_warehouse(c)
    document_warehouse(c)
    c.close()
    ro = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert ro.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'members'"
                          ).fetchone()[0].startswith("Member register")
        for v in VIEW_NAMES:
            ro.execute(f"SELECT * FROM {v}").fetchall()
    finally:
        ro.close()


def rows(con, sql):
    rel = con.sql(sql)
    cols = rel.columns
    return [dict(zip(cols, r)) for r in rel.fetchall()]


def test_org_tree_order(documented):
    got = [r["org_id"] for r in rows(documented, "SELECT org_id FROM v_org_tree ORDER BY tree_order")]
    assert got == ["T", "H01", "H01-CB1", "H01-X01", "H01-X01-C01", "H01-X01-C02", "H01-X01-C03",
                   "H02", "H02-CB1"]
    r = rows(documented, "SELECT * FROM v_org_tree WHERE org_id = 'H01-X01-C02'")[0]
    assert (r["grassroots_id"], r["district_id"], r["depth"]) == ("H01-X01", "H01", 3)


def test_summary_by_parent_year(documented):
    r = rows(documented, "SELECT * FROM v_summary_by_parent_year WHERE parent_id = 'H01-X01' AND year = 2023")[0]
    assert (r["orgs"], r["classified"], r["excellent"], r["good"], r["completed"], r["failed"],
            r["not_classified"], r["four_good"]) == (3, 3, 1, 0, 1, 1, 0, 1)
    assert r["excellent_pct"] == 100 / 3 and r["good_pct"] == 0.0
    assert r["four_good_pct"] == 100 / 3
    assert r["parent_name"] == "=Đảng bộ xã Đức Mạnh"
    types = dict(documented.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'v_summary_by_parent_year'"
    ).fetchall())
    assert all(types[f"{c}_pct"] == "DOUBLE" for c in ("excellent", "good", "completed", "failed", "four_good"))
    h02 = rows(documented, "SELECT * FROM v_summary_by_parent_year WHERE parent_id = 'H02' AND year = 2023")[0]
    assert h02["not_classified"] == 1 and h02["excellent_pct"] is None and h02["four_good_pct"] == 0.0


def test_removal_candidates(documented):
    got = rows(documented, "SELECT member_id, cell_id, year, unexcused_months, unexcused_month_count "
                           "FROM v_removal_candidates ORDER BY year, member_id")
    assert got == [
        {"member_id": "M03", "cell_id": "H01-X01-C01", "year": 2023, "unexcused_months": [1, 2, 4],
         "unexcused_month_count": 3},
        {"member_id": "M05", "cell_id": "H01-X01-C02", "year": 2024, "unexcused_months": [1, 3, 5],
         "unexcused_month_count": 3},
        {"member_id": "M06", "cell_id": "H01-X01-C02", "year": 2024, "unexcused_months": [1, 3, 4],
         "unexcused_month_count": 3},
        {"member_id": "M11", "cell_id": "H02-CB1", "year": 2024, "unexcused_months": [2, 3, 4],
         "unexcused_month_count": 3},
    ]
    # agrees with the model's count
    assert rows(documented, """
        SELECT m.org_id, m.year FROM cell_year_metrics m
        LEFT JOIN (SELECT cell_id, year, count(*) n FROM v_removal_candidates GROUP BY ALL) r
               ON r.cell_id = m.org_id AND r.year = m.year
        WHERE m.removal_candidates <> coalesce(r.n, 0)""") == []


def test_cells_missing_months(documented):
    got = rows(documented, "SELECT org_id, year, missing_months, missing_quarters "
                           "FROM v_cells_missing_months ORDER BY org_id, year")
    assert got == [
        {"org_id": "H01-X01-C01", "year": 2023, "missing_months": [5], "missing_quarters": []},
        {"org_id": "H01-X01-C02", "year": 2024, "missing_months": [2], "missing_quarters": []},
        {"org_id": "H01-X01-C03", "year": 2023, "missing_months": [], "missing_quarters": [2]},
    ]


def test_cells_missing_months_respects_establishment(documented):
    # C02 was established 2023-03-15: active from April, so its 2023 months are 4..12.
    documented.execute("DELETE FROM meetings WHERE meeting_id = 'H01-X01-C02.202304.R'")
    documented.execute("UPDATE cell_year_metrics SET regular_months = 8 "
                       "WHERE org_id = 'H01-X01-C02' AND year = 2023")
    r = rows(documented, "SELECT * FROM v_cells_missing_months WHERE org_id = 'H01-X01-C02' AND year = 2023")
    assert r[0]["missing_months"] == [4]


def test_cells_without_local_members(documented):
    got = {r["org_id"]: (r["members_active"], r["local_members"])
           for r in rows(documented, "SELECT * FROM v_cells_without_local_members")}
    assert got == {"H01-X01-C02": (3, 0), "H02-CB1": (2, 0)}


def test_data_errors_by_file(documented):
    got = {r["file"]: (r["quarantined_rows"], r["problems"], r["pending_rows"], r["status"])
           for r in rows(documented, "SELECT * FROM v_data_errors_by_file")}
    assert got == {
        "members/a.csv": (1, 1, 1, "loaded"),
        "meetings/2023.csv": (2, 3, 0, "loaded"),
        "attendance/2024-05-thon-2.csv": (0, 0, 2, "loaded"),
        "attendance/bad.xlsx": (0, 0, 0, "rejected"),
        "meetings/notes.docx": (0, 0, 0, "unsupported_format"),
    }


@pytest.mark.parametrize("view", VIEW_NAMES)
def test_views_queryable_read_only(warehouse, view):
    c = duckdb.connect(str(warehouse))
    document_warehouse(c)
    c.close()
    ro = duckdb.connect(str(warehouse), read_only=True)
    try:
        ro.execute(f"SELECT count(*) FROM {view}").fetchall()
    finally:
        ro.close()
