"""The model layer: meeting standard, cell_year_metrics, org_year_classification.

    from chibo.model import build_model
    summary = build_model(con, as_of, rules)

Reads the integrated tables (org_units, members, meetings, attendance, assessments,
member_ratings) of `con` and (re)creates `cell_year_metrics`, `org_year_classification` and
`meetings` (its own columns plus the computed ones). All the work is set-based SQL in
`chibo/model/sql/`, run in file order:

    00_macros                 exact ratio comparisons, code lists
    10_meetings               meeting facts + meeting standard, rebuilds `meetings`
    20_org_calendar           active months / quarters per org and year
    30_cell_year_metrics      member_cell_years, member_years, the metrics of every cell-year
    40_cell_classification    four goods + provisional level of every cell
    quota (_quota_cells)      quota per đảng bộ cơ sở over its chi_bo
    50_dang_bo_classification đảng bộ cơ sở from its sub-units' final levels
    quota (_quota_grassroots) quota per parent over đảng bộ cơ sở + chi bộ cơ sở
    70_org_year_classification the published table
    80_org_lineage            where every dissolved organisation is today

Python only prepares two small parameter tables, `model_params(as_of)` and
`rulebook_years` (one row per year: the year's rulebook and its thresholds as integer
numerators/denominators) plus `rulebook_levels`; the SQL joins on year and never hard-codes a
threshold. Idempotent: computed columns of `meetings` from an earlier run are dropped first.

Years are independent of one another (every stage joins on year; the register and the tree
are read whole). So the model derives only the years whose inputs changed since the last
build: `model_year_inputs` holds a digest per year of everything the year reads (its
meetings, attendance, assessments and ratings; the whole tree and register; the rulebooks;
the model's code; the last month-end of the as-of date inside the year). The other years'
rows of the per-year tables (YEAR_TABLES) and of `meetings` are kept as they are. A warehouse
without digests, or whose earlier model tables are missing, is derived whole.

Inside a derived year, cell by cell: when the year's context digest (all of the above but the
year's own rows) is as before and integrate derived only some partitions (TOUCHED_MEETINGS),
the attendance-level work (attendance counts per meeting, `member_cell_years`) is done for the
cells of those meetings only; the other cells' rows are kept. What stands above a cell-year
(member-years over a member's cells, metrics, ladders, quota pools, collectives) is derived
for the whole year from them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from chibo.contract import CONTRACT
from chibo.errors import ChiboError
from chibo.integrate.integrate import TOUCHED_MEETINGS
from chibo.rulebooks import CONDITIONS, LEVELS, RuleSet, threshold_text
from chibo.warehouse import has_table

_CELLS = "('chi_bo', 'chi_bo_co_so')"
SQL_STAGES: tuple[tuple[str, dict[str, str]], ...] = (
    ("00_macros.sql", {}),
    ("10_meetings.sql", {}),
    ("20_org_calendar.sql", {}),
    ("30_cell_year_metrics.sql", {}),
    ("40_cell_classification.sql", {}),
    # order of work (rules.md "The quota"): chi bộ pools, then đảng bộ cơ sở and chi bộ cơ sở
    # (from their sub-units' final levels), then cấp trên cơ sở
    ("ladder.sql", {"levels": _CELLS}),
    ("quota.sql", {"levels": "('chi_bo',)"}),
    ("50_collective_classification.sql", {"level": "dang_bo_co_so"}),
    ("ladder.sql", {"levels": "('chi_bo_co_so', 'dang_bo_co_so')"}),
    ("quota.sql", {"levels": "('chi_bo_co_so', 'dang_bo_co_so')"}),
    ("50_collective_classification.sql", {"level": "cap_tren_co_so"}),
    ("ladder.sql", {"levels": "('cap_tren_co_so',)"}),
    ("quota.sql", {"levels": "('cap_tren_co_so',)"}),
    ("70_org_year_classification.sql", {}),
    ("80_org_lineage.sql", {}),
)

# columns build_model adds to `meetings` (dropped before recomputing)
MEETING_COMPUTED = (
    "duration_minutes", "min_minutes", "counted", "attendance_rows", "present", "excused",
    "unexcused", "speakers", "attendance_rate", "speaking_rate", "materials_late",
    "meets_standard", "standard_failures",
)
# the attendance counts of a meeting (the rest of its facts come from its own row)
ATTENDANCE_COUNTS = ("attendance_rows", "present", "excused", "unexcused", "speakers")

# the model's tables with one row per (..., year)
YEAR_TABLES = ("org_months", "org_years", "member_cell_years", "member_years",
               "cell_year_metrics", "org_year_classification", "member_rating_audit")
INPUTS_TABLE = "model_year_inputs"
# meetings' computed columns as the last model left them (integrate rewrites `meetings`)
PREVIOUS_MEETING_FACTS = "_previous_meeting_facts"
# integrated tables read per year (by the year column, or a meeting's year) and whole
_YEAR_READS = ("assessments", "member_ratings", "official_ratings")
_WHOLE_READS = ("org_units", "members")

# rulebook_years column prefix -> threshold name (stored as <prefix>_num / <prefix>_den)
RATIO_COLUMNS = {
    "attendance": "attendance_rate_above",
    "speaking": "speaking_rate_min",
    "members_good": "members_good_share_min",
    "targets_failed": "targets_failed_below",
    "members_failed": "members_failed_share_above",
    "subunits_disciplined": "subunits_disciplined_share_above",
    "exceeded": "excellent_exceeded_share_min",
    "quota": "excellent_quota_share",
    "subunits_mq": "subunits_meeting_quality_share_min",
    "score_excellent": "score_excellent",
    "score_good": "score_good",
    "score_completed": "score_completed",
    "late": "completed_late_share_max",
}


def sql_text(name: str) -> str:
    return resources.files("chibo.model").joinpath("sql", name).read_text(encoding="utf-8")


def _years(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[int]:
    """From the earliest year of any meeting, assessment or member rating to the as-of year."""
    lo, hi = con.execute(  # type: ignore[misc]  # an aggregate always returns one row
        """
        SELECT min(y), max(y) FROM (
            SELECT min(year(meeting_date))::INTEGER AS y FROM meetings
            UNION ALL SELECT max(year(meeting_date))::INTEGER FROM meetings
            UNION ALL SELECT min(year)::INTEGER FROM assessments
            UNION ALL SELECT min(year)::INTEGER FROM member_ratings
        )
        """).fetchone()
    if lo is None or lo > as_of.year:
        return []
    return list(range(lo, max(as_of.year, hi or as_of.year) + 1))


def _params(con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: RuleSet,
            years: list[int]) -> None:
    ratio_cols = []
    for prefix in RATIO_COLUMNS:
        ratio_cols += [f"{prefix}_num BIGINT", f"{prefix}_den BIGINT"]
    con.execute("CREATE OR REPLACE TEMP TABLE model_params (as_of DATE)")
    con.execute("INSERT INTO model_params VALUES (?)", [as_of])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rulebook_years (year INTEGER, rulebook VARCHAR, "
        "uses_score BOOLEAN, rates_timeliness BOOLEAN, year_complete BOOLEAN, "
        "four_good_required BOOLEAN, "
        "min_minutes INTEGER, min_minutes_combined INTEGER, combined_min_from DATE, "
        "excused_streak_max INTEGER, removal_unexcused_months INTEGER, "
        "materials_rule_from DATE, materials_days_before_min INTEGER, quota_base VARCHAR, "
        "quota_pool VARCHAR, "
        + ", ".join(ratio_cols) + ")")
    rows = []
    for year in years:
        rb = rules.for_year(year)
        t = rb.thresholds
        row: list[Any] = [
            year, rb.name, rb.uses_score, rb.rates_timeliness, dt.date(year, 12, 31) <= as_of,
            year >= t["four_good_required_for_excellent_from"],
            t["min_minutes"], t["min_minutes_combined_hd42"],
            t["min_minutes_combined_hd42_from"],
            t["excused_streak_max"], t["removal_unexcused_months"],
            t["materials_rule_from"], t["materials_days_before_min"],
            t["excellent_quota_base"], t["excellent_quota_pool"],
        ]
        for name in RATIO_COLUMNS.values():
            if name in t:
                f = Fraction(t[name])
                row += [f.numerator, f.denominator]
            else:   # score / timeliness thresholds of a rulebook that does not rate them
                row += [None, None]
        rows.append(row)
    if rows:
        con.executemany(
            f"INSERT INTO rulebook_years VALUES ({', '.join('?' * len(rows[0]))})", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE rulebook_levels "
                "(rulebook VARCHAR, level VARCHAR, level_vi VARCHAR, level_short_vi VARCHAR, "
                "level_en VARCHAR)")
    con.executemany(
        "INSERT INTO rulebook_levels VALUES (?, ?, ?, ?, ?)",
        [[rb.name, lv, rb.levels[lv]["vi"], rb.levels[lv]["short_vi"], rb.levels[lv]["en"]]
         for rb in rules.rulebooks for lv in LEVELS])


def _meeting_columns(con: duckdb.DuckDBPyConnection) -> str:
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'meetings' AND table_schema = current_schema() "
        "ORDER BY ordinal_position").fetchall()]
    keep = [c for c in cols if c not in MEETING_COMPUTED]
    missing = [c for c in CONTRACT["meetings"].column_names if c not in keep]
    if missing:
        raise ValueError(f"meetings lacks contract column(s): {', '.join(missing)}")
    return ", ".join(f'm."{c}"' for c in keep)


_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def last_month_end(as_of: dt.date) -> dt.date:
    """The last month-end on or before `as_of`: the model counts the months and quarters that
    ended by then, so two as-of dates of one month give the same tables."""
    first = as_of.replace(day=1)
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    return as_of if as_of == next_month - dt.timedelta(days=1) else first - dt.timedelta(days=1)


def keep_meeting_facts(con: duckdb.DuckDBPyConnection) -> None:
    """Keep meetings' computed columns before integrate rewrites `meetings`: the years the
    next model does not derive take theirs from here. Nothing when no model has run."""
    cols = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'meetings' "
        "AND schema_name = 'main' AND NOT internal").fetchall()}
    if not set(MEETING_COMPUTED) <= cols:
        return
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {PREVIOUS_MEETING_FACTS} AS
        SELECT meeting_id, cell_id, year(meeting_date)::INTEGER AS year,
               {", ".join(MEETING_COMPUTED)}
        FROM meetings""")


def _row_hash(con: duckdb.DuckDBPyConnection, table: str, alias: str) -> str:
    """A row's hash over the columns the model reads: where it came from only for `meetings`,
    which carries it (a row sent again unchanged changes no other year)."""
    skip = MEETING_COMPUTED if table == "meetings" else ("source_file", "source_row")
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main' "
        "AND database_name = current_database() ORDER BY column_index", [table]).fetchall()
            if r[0] not in skip]
    return "hash(" + ", ".join(f'{alias}."{c}"' for c in cols) + ")"


def input_digests(con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: RuleSet,
                  years: list[int]) -> dict[int, tuple[str, str]]:
    """Two digests per year (see the module docstring): of everything the model reads for
    that year (equal digests, equal rows of that year), and of its context alone — all of it
    but the year's own rows (equal contexts: only the year's meetings, attendance,
    assessments and ratings can have changed the year)."""
    whole = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted([*package.glob("sql/*.sql"), package / "__init__.py",
                        package.parent / "contract.py", package.parent / "rulebooks.py"]):
        whole.update(path.name.encode() + path.read_bytes())
    whole.update(repr(rules.rulebooks).encode())
    # order-free sums of row hashes (keys are unique, so no two rows cancel out)
    parts = [f"SELECT NULL::INTEGER AS year, '{t}' AS part, count(*) AS n, "
             f"sum({_row_hash(con, t, 't')}) AS h FROM {t} t" for t in _WHOLE_READS]
    parts.append(f"SELECT year(t.meeting_date)::INTEGER, 'meetings', count(*), "
                 f"sum({_row_hash(con, 'meetings', 't')}) FROM meetings t GROUP BY 1")
    parts.append(f"SELECT year(m.meeting_date)::INTEGER, 'attendance', count(*), "
                 f"sum({_row_hash(con, 'attendance', 't')}) "
                 "FROM attendance t JOIN meetings m USING (meeting_id) GROUP BY 1")
    parts += [f"SELECT t.year::INTEGER, '{t}', count(*), sum({_row_hash(con, t, 't')}) "
              f"FROM {t} t GROUP BY 1" for t in _YEAR_READS]
    rows = con.execute(" UNION ALL ".join(parts) + " ORDER BY 1 NULLS FIRST, 2").fetchall()
    for year, part, n, h in rows:
        if year is None:
            whole.update(f"{part}:{n}:{h};".encode())
    month_end = last_month_end(as_of)
    out = {}
    for year in years:
        context = whole.copy()
        # what the as-of date changes in a year: its months ended by the last month-end
        context.update(min(max(month_end, dt.date(year - 1, 12, 31)), dt.date(year, 12, 31))
                       .isoformat().encode())
        h = context.copy()
        for y, part, n, digest in rows:
            if y == year:
                h.update(f"{part}:{n}:{digest};".encode())
        out[year] = (h.hexdigest(), context.hexdigest())
    return out


def _derived_before(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, str]]:
    """The digests (inputs, context) of the years the warehouse's model tables hold; none
    (derive every year) when a table is missing or meetings' earlier computed columns were
    not kept."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "OR (temporary AND table_name = ?)", [PREVIOUS_MEETING_FACTS]).fetchall()}
    if not {INPUTS_TABLE, PREVIOUS_MEETING_FACTS, *YEAR_TABLES} <= tables:
        return {}
    columns = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
        "AND database_name = current_database()", [INPUTS_TABLE]).fetchall()}
    if "context_digest" not in columns:   # a model before the cell-by-cell derivation
        return {}
    return {y: (d, c) for y, d, c in con.execute(
        f"SELECT year, inputs_digest, context_digest FROM {INPUTS_TABLE}").fetchall()}


def _by_cell_years(con: duckdb.DuckDBPyConnection, derived: list[int],
                   before: dict[int, tuple[str, str]],
                   digests: dict[int, tuple[str, str]]) -> list[int]:
    """The derived years to derive cell by cell: their context is as the last model saw it
    and integrate named the meetings it derived again (TOUCHED_MEETINGS), so only those
    meetings' cells can differ. Every year in full otherwise (a rebuild, the tree or the
    register changed)."""
    if not has_table(con, TOUCHED_MEETINGS, "temp"):
        return []
    return [y for y in derived if y in before and before[y][1] == digests[y][1]]


def _cells_to_derive(con: duckdb.DuckDBPyConnection, derived: list[int], by_cell: list[int],
                     kept: list[int]) -> str:
    """What the SQL reads for the years derived: for a year derived cell by cell, the
    attendance of its touched cells' meetings (the old and the new cell of a meeting that
    moved), the other meetings' attendance counts and member-cell rows as the last model
    left them. Returns the `{attendance}` relation."""
    full = [y for y in derived if y not in by_cell]
    if by_cell:
        touched, facts, member_cells = TOUCHED_MEETINGS, PREVIOUS_MEETING_FACTS, "member_cell_years"
    else:   # nothing reused (those tables may not exist): empty relations of their columns
        touched = "(SELECT NULL::VARCHAR AS meeting_id WHERE false)"
        facts = ("(SELECT NULL::VARCHAR AS meeting_id, NULL::VARCHAR AS cell_id, "
                 "NULL::INTEGER AS year, "
                 + ", ".join(f"NULL::BIGINT AS {c}" for c in ATTENDANCE_COUNTS) + " WHERE false)")
        member_cells = ("(SELECT NULL::VARCHAR AS member_id, NULL::VARCHAR AS cell_id, "
                        "NULL::INTEGER AS year, NULL::INTEGER[] AS unexcused_month_list, "
                        "NULL::INTEGER AS unexcused_meetings, "
                        "NULL::INTEGER AS longest_excused_streak WHERE false)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _derived_cells AS
        SELECT * FROM (
            SELECT cell_id, year(meeting_date)::INTEGER AS year FROM meetings
            WHERE meeting_id IN (SELECT meeting_id FROM {touched})
            UNION
            SELECT cell_id, year FROM {facts}
            WHERE meeting_id IN (SELECT meeting_id FROM {touched}))
        WHERE list_contains(?, year)""", [by_cell])
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _fresh_meetings AS
        SELECT meeting_id FROM meetings m
        WHERE list_contains(?, year(m.meeting_date)::INTEGER)
           OR EXISTS (SELECT 1 FROM _derived_cells d
                      WHERE d.cell_id = m.cell_id AND d.year = year(m.meeting_date))""", [full])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _kept_attendance_counts AS
        SELECT p.meeting_id, {", ".join(f"p.{c}" for c in ATTENDANCE_COUNTS)} FROM {facts} p
        WHERE list_contains(?, p.year)
          AND p.meeting_id NOT IN (SELECT meeting_id FROM _fresh_meetings)""", [by_cell])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _untouched_member_cells AS
        SELECT * FROM {member_cells} t
        WHERE list_contains(?, t.year)
          AND NOT EXISTS (SELECT 1 FROM _derived_cells d
                          WHERE d.cell_id = t.cell_id AND d.year = t.year)""", [by_cell])
    # every attendance row when nothing is kept or reused: a national year's 80 M rows are
    # not probed for nothing
    kept_meetings = bool(kept) and bool(con.execute(
        "SELECT count(*) FROM meetings WHERE list_contains(?, year(meeting_date)::INTEGER)",
        [kept]).fetchall()[0][0])
    if not kept_meetings and not by_cell:
        return "attendance"
    fresh = "(SELECT a.* FROM attendance a SEMI JOIN _fresh_meetings f USING (meeting_id))"
    if by_cell and not full:   # a few cells' rows: picked out of the 80 M once, not per stage
        con.execute(f"CREATE OR REPLACE TEMP TABLE _fresh_attendance AS SELECT * FROM {fresh}")
        return "_fresh_attendance"
    return fresh


def _keep_years(con: duckdb.DuckDBPyConnection, kept: list[int]) -> None:
    """Set aside the rows of the years not derived now (`_kept_<table>`,
    `_kept_meeting_facts`) while the SQL rebuilds the tables with the derived years."""
    years = "[" + ", ".join(map(str, kept)) + "]::INTEGER[]"
    for table in YEAR_TABLES if kept else ():
        con.execute(f"CREATE OR REPLACE TEMP TABLE _kept_{table} AS "
                    f"SELECT * FROM {table} WHERE list_contains({years}, year)")
    facts = (f"SELECT * EXCLUDE (cell_id, year) FROM {PREVIOUS_MEETING_FACTS} "
             f"WHERE list_contains({years}, year)" if kept else
             "SELECT NULL::VARCHAR AS meeting_id, "
             + ", ".join(f"NULL AS {c}" for c in MEETING_COMPUTED) + " WHERE false")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _kept_meeting_facts AS {facts}")


def _merge_kept_years(con: duckdb.DuckDBPyConnection) -> None:
    """The kept years' rows back beside the derived ones (after them: a table's row order is
    not kept anyway, the warehouse does not preserve insertion order)."""
    for table in YEAR_TABLES:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _kept_{table}")


def build_model(con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: RuleSet) -> dict:
    """(Re)create cell_year_metrics, org_year_classification and meetings' computed columns.

    Returns a summary: {"as_of", "years_derived": [year, ...], "years": {year: {"rulebook",
    "orgs", "levels": {level: n}, "not_classified", "four_good", "cells"}}}.
    """
    own_tx = True
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:
        own_tx = False                      # the caller holds a transaction
    try:
        years = _years(con, as_of)
        digests = input_digests(con, as_of, rules, years)
        before = _derived_before(con)
        derived = [y for y in years if y not in before or before[y][0] != digests[y][0]]
        kept = [y for y in years if y not in derived]
        by_cell = _by_cell_years(con, derived, before, digests)
        _keep_years(con, kept)
        attendance = _cells_to_derive(con, derived, by_cell, kept)
        _params(con, as_of, rules, derived)
        meeting_columns = _meeting_columns(con)
        write_rulebook_tables(con, rules, years)
        conditions = ", ".join(CONDITIONS)
        for name, subst in SQL_STAGES:
            sql = sql_text(name)
            for k, v in {"meeting_columns": meeting_columns, "conditions": conditions,
                         "attendance": attendance, **subst}.items():
                sql = sql.replace("{" + k + "}", v)
            left = _PLACEHOLDER.search(sql)
            if left:   # a typo in a placeholder would otherwise run as a SQL struct or fail late
                raise ValueError(f"{name}: placeholder {left.group(0)} left unfilled")
            _run(con, sql)
        if kept:
            _merge_kept_years(con)
        con.execute(f"CREATE OR REPLACE TABLE {INPUTS_TABLE} "
                    "(year INTEGER, inputs_digest VARCHAR, context_digest VARCHAR)")
        if digests:
            con.executemany(f"INSERT INTO {INPUTS_TABLE} VALUES (?, ?, ?)",
                            [(y, d, c) for y, (d, c) in sorted(digests.items())])
        summary = _summary(con, as_of)
        summary["years_derived"] = derived
        summary["years_derived_by_cell"] = by_cell
        _drop_work_tables(con)
        run_data_checks(con)
        if own_tx:
            con.execute("COMMIT")
    except BaseException:
        if own_tx:
            con.execute("ROLLBACK")
        raise
    return summary


class DataCheckFailed(ChiboError):
    """A data check of the built warehouse found offending rows: the run must not publish."""


def data_checks() -> list[tuple[str, str]]:
    """(name, SQL) of every data check: one file each under chibo/model/checks/."""
    folder = resources.files("chibo.model").joinpath("checks")
    return sorted((f.name.removesuffix(".sql"), f.read_text(encoding="utf-8"))
                  for f in folder.iterdir() if f.name.endswith(".sql"))


def run_data_checks(con: duckdb.DuckDBPyConnection) -> None:
    """Like dbt tests: each check returns the rows that break it; any row stops the run."""
    for name, sql in data_checks():
        rows = con.execute(f"SELECT * FROM ({sql}) LIMIT 3").fetchall()
        if rows:
            raise DataCheckFailed(
                f"kiểm tra dữ liệu «{name}» không đạt / data check {name} failed "
                f"(e.g. {', '.join(map(str, rows))}); not publishing")


def _drop_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The model's work tables are the temporary ones it made; none outlives the stage."""
    for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall():
        if name.startswith("_") or name in ("model_params", "rulebook_years", "rulebook_levels"):
            con.execute(f'DROP TABLE temp.main."{name}"')


def write_rulebook_tables(con: duckdb.DuckDBPyConnection, rules: RuleSet,
                          years: list[int]) -> None:
    """The run's rulebooks as used (after overrides): analysts and reports read them here."""
    con.execute("CREATE OR REPLACE TABLE rulebooks (rulebook VARCHAR, title_vi VARCHAR, "
                "title_en VARCHAR, first_year INTEGER, last_year INTEGER, uses_score BOOLEAN, "
                "rates_timeliness BOOLEAN, source_files VARCHAR[])")
    con.executemany("INSERT INTO rulebooks VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        [rb.name, rb.title_vi, rb.title_en, rb.first_year, rb.last_year, rb.uses_score,
         rb.rates_timeliness, [_shown_path(f) for f in rb.files]] for rb in rules.rulebooks])
    con.execute("CREATE OR REPLACE TABLE rulebook_thresholds (year INTEGER, rulebook VARCHAR, "
                "name VARCHAR, value VARCHAR, numerator BIGINT, denominator BIGINT, "
                "source VARCHAR)")
    rows = []
    for year in years:
        rb = rules.for_year(year)
        for name, value in rb.thresholds.items():
            num = den = None
            if isinstance(value, (Fraction, int)) and not isinstance(value, bool):
                f = Fraction(value)
                num, den = f.numerator, f.denominator
            text = value.isoformat() if isinstance(value, dt.date) else (
                str(value) if not isinstance(value, Fraction) else _decimal(value))
            rows.append([year, rb.name, name, text, num, den, rb.threshold_sources.get(name)])
    if rows:
        con.executemany("INSERT INTO rulebook_thresholds VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("CREATE OR REPLACE TABLE rulebook_ladders (rulebook VARCHAR, ladder VARCHAR, "
                "rung VARCHAR, position INTEGER, condition VARCHAR)")
    ladder_rows = [[rb.name, ladder, rung, i, code]
                   for rb in rules.rulebooks for ladder, rungs in rb.ladders.items()
                   for rung, codes in rungs.items() for i, code in enumerate(codes, 1)]
    if ladder_rows:
        con.executemany("INSERT INTO rulebook_ladders VALUES (?, ?, ?, ?, ?)", ladder_rows)
    con.execute("CREATE OR REPLACE TABLE reason_texts (rulebook VARCHAR, code VARCHAR, "
                "criterion VARCHAR, text_vi VARCHAR, text_en VARCHAR)")
    texts = []
    for rb in rules.rulebooks:
        for code, (vi, en) in rb.reason_texts.items():
            texts.append([rb.name, code, None, vi, en])
            for crit, ct in rb.criteria.items():
                texts.append([rb.name, f"{crit}:{code}", crit, f"{ct['vi']}: {vi}",
                              f"{ct['en']}: {en}"])
    con.executemany("INSERT INTO reason_texts VALUES (?, ?, ?, ?, ?)", texts)
    newest = rules.rulebooks[-1]
    con.execute("CREATE OR REPLACE TABLE levels (level VARCHAR, rank INTEGER, level_vi VARCHAR, "
                "level_short_vi VARCHAR, level_en VARCHAR)")
    con.executemany("INSERT INTO levels VALUES (?, ?, ?, ?, ?)", [
        [lv, i, newest.levels[lv]["vi"], newest.levels[lv]["short_vi"], newest.levels[lv]["en"]]
        for i, lv in enumerate(LEVELS, 1)])


def _decimal(value: Fraction) -> str:
    """An exact ratio as the decimal people wrote (0.85), or p/q when it has none."""
    text = threshold_text(value)
    if value.denominator == 1:
        return text
    for digits in range(1, 12):
        if (value * 10**digits).denominator == 1:
            return f"{float(value):.{digits}f}"
    return f"{value.numerator}/{value.denominator}"


def _shown_path(path: str) -> str:
    """A rulebook file as shown to analysts: relative to the package for shipped ones."""
    from chibo.rulebooks import RULEBOOK_DIR
    p = Path(path)
    try:
        return "schemas/rulebooks/" + str(p.resolve().relative_to(RULEBOOK_DIR))
    except ValueError:
        return str(p)


def _summary(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict:
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "years": {}}
    rows = con.execute(
        """
        SELECT c.year, any_value(c.rulebook), count(*),
               count(*) FILTER (WHERE level = 'excellent'),
               count(*) FILTER (WHERE level = 'good'),
               count(*) FILTER (WHERE level = 'completed'),
               count(*) FILTER (WHERE level = 'failed'),
               count(*) FILTER (WHERE level IS NULL),
               count(*) FILTER (WHERE four_good),
               count(*) FILTER (WHERE org_level IN ('chi_bo', 'chi_bo_co_so')),
               bool_and(year_complete)
        FROM org_year_classification c
        GROUP BY c.year ORDER BY c.year
        """).fetchall()
    for (year, rb, n, exc, good, comp, failed, none, four, cells, complete) in rows:
        out["years"][year] = {
            "rulebook": rb, "orgs": n, "cells": cells, "year_complete": complete,
            "levels": {"excellent": exc, "good": good, "completed": comp, "failed": failed},
            "not_classified": none, "four_good": four,
        }
    return out
