"""document_warehouse on a warehouse the real pipeline built: bilingual comments on everything,
and analyst views that agree with the model's tables (they only select and join)."""
from __future__ import annotations

import importlib.util
import re
from collections import Counter, defaultdict
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
    "org_year_classification": CLASS_COLUMNS + ["official_level", "audit", "rank_gap", "four_good_audit"],
    "meetings": MEETING_EXTRA,
    "org_units": ["valid_to"],
    "org_years": ["org_id", "year", "level", "parent_id", "name", "kind", "depth", "path",
                  "tree_order", "grassroots_id", "upper_id"],
    "member_rating_audit": ["member_id", "year", "cell_id", "rating", "audit", "unexcused_months",
                            "longest_excused_streak"],
    "reason_texts": ["rulebook", "code", "criterion", "text_vi", "text_en"],
    "levels": ["level", "rank", "level_vi", "level_short_vi", "level_en"],
}


def rows(con, sql, params=None):
    rel = con.sql(sql, params=params or [])
    cols = rel.columns
    return [dict(zip(cols, r)) for r in rel.fetchall()]


def test_dictionary_covers_the_spec_columns():
    from chibo.contract import CONTRACT
    missing = [f"{k}.{c.name}" for k, kind in CONTRACT.items()
               for c in kind.columns if column_comment(k, c.name) is None]
    missing += [f"{k}.{c}" for k in CONTRACT for c in ("source_file", "source_row")
                if column_comment(k, c) is None]
    missing += [f"{t}.{c}" for t, cols in SPEC_COLUMNS.items() for c in cols
                if column_comment(t, c) is None]
    missing += [t for t in list(SPEC_COLUMNS) + list(CONTRACT) + list(VIEW_NAMES)
                if table_comment(t) is None]
    assert missing == []


def test_every_table_view_and_column_is_documented(documented):
    # The dictionary is complete for the warehouse the pipeline builds: a new column without
    # a description makes this fail.
    assert undocumented(documented) == []
    objs = documented.execute("""
        SELECT table_name, comment FROM duckdb_tables() WHERE NOT internal AND NOT temporary
        UNION ALL
        SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND NOT temporary""").fetchall()
    names = {n for n, _ in objs}
    assert {"org_units", "members", "meetings", "attendance", "assessments", "member_ratings",
            "official_ratings", "files", "quarantine", "pending", "flags", "runs", "org_years",
            "org_months", "member_years", "cell_year_metrics", "org_year_classification",
            "member_rating_audit", "rulebooks", "rulebook_thresholds", "rulebook_ladders",
            "reason_texts", "levels", *VIEW_NAMES} <= names
    cols = documented.execute("""
        SELECT c.table_name, c.column_name, c.comment FROM duckdb_columns() c
        WHERE NOT c.internal AND c.table_name IN (
            SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary
            UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary)""").fetchall()
    assert len(cols) > 300
    for name, comment in objs + [(f"{t}.{c}", cm) for t, c, cm in cols]:
        assert comment, f"{name} has no comment"
        en, sep, vi = comment.partition(" / ")
        assert sep and en.strip() and vi.strip(), f"{name}: {comment!r} is not 'English / Tiếng Việt'"
        assert VIETNAMESE.search(vi) or any(ord(ch) > 127 for ch in vi), f"{name}: Vietnamese part {vi!r}"


def test_no_comment_names_a_default_threshold(documented):
    # a province that changes a threshold must not read the old number in a comment
    texts = [r[0] for r in documented.execute(
        "SELECT comment FROM duckdb_columns() WHERE comment IS NOT NULL").fetchall()]
    stale = [t for t in texts if re.search(r"\b(3 or more months|từ 3 tháng|90; 120|85%|20%)", t)]
    assert stale == []


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


@pytest.mark.parametrize("view", VIEW_NAMES)
def test_views_queryable_read_only(documented_readonly, view):
    documented_readonly.execute(f"SELECT count(*) FROM {view}").fetchall()


# --------------------------------------------------------------------------------------------
# The views agree with the model's tables
# --------------------------------------------------------------------------------------------
def test_org_tree_is_each_years_tree(documented):
    tree = rows(documented, "SELECT * FROM v_org_tree ORDER BY year, tree_order")
    model = rows(documented, "SELECT * FROM org_years ORDER BY year, tree_order")
    assert [(r["year"], r["org_id"], r["parent_id"], r["depth"]) for r in tree] == \
        [(r["year"], r["org_id"], r["parent_id"], r["depth"]) for r in model]
    names = {(r["year"], r["org_id"]): r["name"] for r in model}
    for r in tree:
        if r["parent_id"] is not None:
            assert r["parent_name"] == names[(r["year"], r["parent_id"])]
    # 2025: the village cells belong to the new đảng ủy xã, named as it is named that year
    c = [r for r in tree if r["year"] == 2025 and r["org_id"] == "H02-X002-C01"][0]
    assert (c["parent_id"], c["upper_id"]) == ("U01", "U01") and c["parent_name"] == names[(2025, "U01")]
    c24 = [r for r in tree if r["year"] == 2024 and r["org_id"] == "H02-X002-C01"][0]
    assert c24["parent_id"] == "H02-X002" and c24["upper_id"] == "H02"


def test_classification_explained_uses_reason_texts(documented):
    got = rows(documented, "SELECT year, org_id, rulebook, reasons, reasons_vi, criteria_reasons, "
                           "criteria_reasons_vi FROM v_classification_explained")
    texts = {(r["rulebook"], r["code"]): r["text_vi"] for r in rows(documented, "SELECT * FROM reason_texts")}
    assert len(got) == documented.execute("SELECT count(*) FROM org_year_classification").fetchone()[0]
    for r in got:
        assert r["reasons_vi"] == [texts[(r["rulebook"], c)] for c in r["reasons"]]
        assert r["criteria_reasons_vi"] == [texts[(r["rulebook"], c)] for c in r["criteria_reasons"]]


def test_summary_by_parent_year_counts_the_model(documented):
    cls = rows(documented, "SELECT * FROM org_year_classification")
    want: dict = defaultdict(Counter)
    for r in cls:
        k = (r["year"], r["parent_id"])
        want[k]["orgs"] += 1
        want[k]["classified"] += r["level"] is not None
        want[k][r["level"] or "not_classified"] += 1
        want[k]["four_good"] += bool(r["four_good"])
        want[k]["official_rated"] += r["official_level"] is not None
        want[k]["audit_official_higher"] += r["audit"] == "official_higher"
    got = rows(documented, "SELECT * FROM v_summary_by_parent_year")
    assert {(r["year"], r["parent_id"]) for r in got} == set(want)
    for r in got:
        w = want[(r["year"], r["parent_id"])]
        for k in ("orgs", "classified", "excellent", "good", "completed", "failed", "not_classified",
                  "four_good", "official_rated", "audit_official_higher"):
            assert r[k] == w[k], (r["year"], r["parent_id"], k)
        if w["classified"]:
            assert r["excellent_pct"] == w["excellent"] * 100 / w["classified"]
        else:
            assert r["excellent_pct"] is None
        assert r["four_good_pct"] == w["four_good"] * 100 / w["orgs"]
    # parents named as in that year's tree
    names = {(r["year"], r["org_id"]): r["name"] for r in rows(documented, "SELECT * FROM org_years")}
    assert all(r["parent_name"] == names.get((r["year"], r["parent_id"])) for r in got)


def test_summary_by_unit_year_root_is_the_province(documented):
    for year, n, classified in documented.execute(
            "SELECT year, count(*), count(level) FROM org_year_classification GROUP BY year").fetchall():
        r = rows(documented, "SELECT * FROM v_summary_by_unit_year WHERE year = ? AND unit_depth = 0", [year])
        assert len(r) == 1 and (r[0]["orgs"], r[0]["classified"]) == (n, classified)


def test_removal_candidates_are_the_models(documented):
    got = rows(documented, "SELECT * FROM v_removal_candidates ORDER BY year, member_id")
    model = rows(documented, "SELECT * FROM member_years WHERE removal_candidate ORDER BY year, member_id")
    assert [(r["year"], r["member_id"], r["unexcused_months"], r["unexcused_month_list"])
            for r in got] == \
        [(r["year"], r["member_id"], r["unexcused_months"], r["unexcused_month_list"]) for r in model]
    assert got, "the worked example has removal candidates"
    # one row per member and year; per cell they are cell_year_metrics.removal_candidates
    per_cell = Counter((r["year"], c) for r in got for c in r["cell_ids"])
    for year, org_id, n in documented.execute(
            "SELECT year, org_id, removal_candidates FROM cell_year_metrics").fetchall():
        assert per_cell.get((year, org_id), 0) == n, (year, org_id)
    names = {(r["year"], r["org_id"]): r["name"] for r in rows(documented, "SELECT * FROM org_years")}
    for r in got:
        assert r["cell_names"] == [names[(r["year"], c)] for c in r["cell_ids"]]
        assert r["unexcused_meetings"] >= r["unexcused_months"]


def test_cells_missing_months_from_the_calendar(documented):
    got = rows(documented, "SELECT * FROM v_cells_missing_months")
    active = defaultdict(set)
    for org_id, year, month in documented.execute("SELECT org_id, year, month FROM org_months").fetchall():
        active[(org_id, year)].add(month)
    held = defaultdict(set)
    for cell, d in documented.execute("SELECT cell_id, meeting_date FROM meetings "
                                      "WHERE meeting_type IN ('regular', 'combined')").fetchall():
        held[(cell, d.year)].add(d.month)
    assert got
    for r in got:
        k = (r["org_id"], r["year"])
        assert r["missing_months"] == sorted(active[k] - held[k])
        assert len(r["missing_months"]) == r["months_active"] - r["regular_months"]
        assert len(r["missing_quarters"]) == r["quarters_active"] - r["thematic_quarters"]
    want = {(r[0], r[1]) for r in documented.execute(
        "SELECT org_id, year FROM cell_year_metrics WHERE regular_months < months_active "
        "OR thematic_quarters < quarters_active").fetchall()}
    assert {(r["org_id"], r["year"]) for r in got} == want


def test_org_lineage_finds_todays_organisation(documented):
    got = {r["org_id"]: r for r in rows(documented, "SELECT * FROM v_org_lineage")}
    assert (got["H01"]["current_id"], got["H01"]["lineage_status"]) == ("P-CQD", "current")
    assert (got["H02"]["current_id"], got["H02"]["lineage_status"]) == ("U01", "current")
    assert got["H02-X002"]["lineage_status"] == "unknown_successor"
    assert got["H02-X002"]["current_id"] is None
    dissolved = {r[0] for r in documented.execute(
        "SELECT org_id FROM org_units WHERE valid_to IS NULL AND dissolved_on IS NOT NULL").fetchall()}
    assert set(got) == dissolved


def test_org_lineage_follows_chains_and_stops_on_cycles(documented):
    documented.execute("""
        INSERT INTO org_units (org_id, name, level, parent_id, kind, dissolved_on, successor_id)
        VALUES ('A1', 'A1', 'chi_bo', 'U01', 'residential', DATE '2024-01-31', 'A2'),
               ('A2', 'A2', 'chi_bo', 'U01', 'residential', DATE '2024-06-30', 'A3'),
               ('A3', 'A3', 'chi_bo', 'U01', 'residential', NULL, NULL),
               ('B1', 'B1', 'chi_bo', 'U01', 'residential', DATE '2024-01-31', 'B2'),
               ('B2', 'B2', 'chi_bo', 'U01', 'residential', DATE '2024-01-31', 'B1'),
               ('C1', 'C1', 'chi_bo', 'U01', 'residential', DATE '2024-01-31', NULL)""")
    from chibo.model import sql_text
    documented.execute(sql_text("80_org_lineage.sql"))   # the model's lineage stage, again
    got = {r["org_id"]: r for r in rows(documented, "SELECT * FROM v_org_lineage")}
    assert got["A1"]["successor_chain"] == ["A2", "A3"] and got["A1"]["current_id"] == "A3"
    assert got["A2"]["successor_chain"] == ["A3"] and got["A2"]["current_id"] == "A3"
    assert got["B1"]["lineage_status"] == "cycle" and got["B1"]["current_id"] is None
    assert got["C1"]["lineage_status"] == "no_successor" and got["C1"]["successor_chain"] == []


def test_official_rating_audit_view(documented):
    got = rows(documented, "SELECT * FROM v_official_rating_audit")
    model = rows(documented, "SELECT * FROM org_year_classification WHERE official_level IS NOT NULL")
    assert {(r["year"], r["org_id"], r["audit"], r["rank_gap"]) for r in got} == \
        {(r["year"], r["org_id"], r["audit"], r["rank_gap"]) for r in model}
    assert {r["audit"] for r in got} >= {"agrees", "official_higher", "official_lower", "not_computed"}
    for r in got:
        if r["audit"] not in ("not_computed",):
            assert r["rank_gap"] == r["level_rank"] - r["official_rank"]


def test_data_errors_by_file(messy_db, tmp_path):
    import shutil
    db = tmp_path / "m.duckdb"
    shutil.copy(messy_db, db)
    c = duckdb.connect(str(db))
    document_warehouse(c)
    got = {r["file"]: r for r in rows(c, "SELECT * FROM v_data_errors_by_file")}
    files = {r["path"]: r for r in rows(c, "SELECT * FROM files WHERE NOT superseded")}
    q = Counter(f for (f,) in c.execute("SELECT file FROM quarantine").fetchall())
    p = Counter(f for (f,) in c.execute("SELECT file FROM pending").fetchall())
    c.close()
    assert got["ghi-chu.docx"]["status"] == "unsupported_format"
    assert got["attendance/2024-03-01/khong-co-tieu-de.csv"]["status"] == "rejected"
    assert got["attendance/2024-03-01/cho-buoi-hop.csv"]["pending_rows"] == 1
    for f, r in got.items():
        assert r["problems"] == q.get(f, 0) and r["pending_rows"] == p.get(f, 0)
        assert r["rows_read"] == files[f]["rows_read"]
