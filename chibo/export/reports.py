"""CSV + XLSX reports for provincial staff (`write_exports`).

Per year under `exports_dir/<year>/`: classification of every org, summary per parent,
cell meeting-quality metrics, removal candidates; plus `exports_dir/du-lieu-loi.csv`.
Every CSV: UTF-8 with BOM, comma-separated, Vietnamese headers, rows in org-tree order (depth
first, siblings by org_id), text cells starting with = + - @ tab CR prefixed with `'`, written
to a temporary name in the same directory and then `os.replace`d. Every report also gets an
`.xlsx` twin (frozen header row, filters, column widths; text stored as text, never formulas).
"""
from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from chibo.contract import CONTRACT, LEVEL_SHORT_VI, ORG_LEVELS, REFERENCES, ACTION_COLUMN, ACTION_LABEL
from chibo.export.descriptions import COLUMNS
from chibo.export.reasons import CRITERIA_VI, reason_texts as default_reason_texts, translate_reason
from chibo.export.views import ORG_TREE_SELECT, create_views

log = logging.getLogger(__name__)

YES, NO = "Có", "Không"
NOT_CLASSIFIED = "Chưa xếp loại"
RULEBOOK_VI = {"qd124": "QĐ 124-QĐ/TW", "qd366": "QĐ 366-QĐ/TW"}
INJECTION_PATTERN = r"^[=+\-@\t\r]"
ERRORS_FILE = "du-lieu-loi"


@dataclass
class Report:
    stem: str                       # file name without extension
    sheet: str                      # xlsx sheet name (≤ 31 characters)
    frame: pl.DataFrame             # Vietnamese headers, final order
    number_formats: dict[str, str] = field(default_factory=dict)   # header -> Excel format


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def neutralise(df: pl.DataFrame) -> pl.DataFrame:
    """Prefix `'` to text cells starting with = + - @ tab or CR (CSV injection); "" -> empty."""
    exprs = [
        pl.when(pl.col(c) == "").then(None)
        .when(pl.col(c).str.contains(INJECTION_PATTERN))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, t in df.schema.items() if t == pl.String
    ]
    return df.with_columns(exprs) if exprs else df


def _tmp_in(directory: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    return Path(name)


def write_csv(df: pl.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_in(path.parent, ".csv")
    try:
        neutralise(df).write_csv(tmp, include_bom=True, separator=",", line_terminator="\r\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_xlsx(report: Report, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_in(path.parent, ".xlsx")
    df = report.frame
    try:
        wb = xlsxwriter.Workbook(str(tmp), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "nan_inf_to_errors": True})
        ws = wb.add_worksheet(report.sheet[:31])
        head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top",
                              "bg_color": "#DDEBF7", "border": 1})
        widths = _column_widths(df)
        for j, col in enumerate(df.columns):
            fmt = wb.add_format({"num_format": report.number_formats[col]}) \
                if col in report.number_formats else None
            ws.set_column(j, j, widths[col], fmt)
            ws.write_string(0, j, col, head)
            if df.height:
                ws.write_column(1, j, df.get_column(col).to_list(), fmt)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(df.height, 1), max(len(df.columns) - 1, 0))
        ws.set_row(0, 45)
        wb.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _column_widths(df: pl.DataFrame) -> dict[str, float]:
    if df.height:
        lens = df.select(pl.all().cast(pl.String).str.len_chars().max()).row(0, named=True)
    else:
        lens = {c: 0 for c in df.columns}
    out = {}
    for col in df.columns:
        header = max((len(w) for w in col.split()), default=4)
        data = lens.get(col) or 0
        out[col] = float(min(60, max(8, data + 2, min(len(col), 24) + 2, header + 2)))
    return out


def write_report(report: Report, directory: Path) -> list[Path]:
    return [write_csv(report.frame, directory / f"{report.stem}.csv"),
            write_xlsx(report, directory / f"{report.stem}.xlsx")]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal "
        "UNION SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


def _yes_no(col: str) -> pl.Expr:
    return pl.when(pl.col(col)).then(pl.lit(YES)).otherwise(pl.lit(NO))


def _translate_list(col: str, texts: dict[str, str], codes: list[str]) -> pl.Expr:
    mapping = {c: translate_reason(c, texts) for c in codes}
    return (pl.col(col).list.eval(pl.element().replace(mapping))
            .list.join("; ").fill_null(""))


def _all_codes(df: pl.DataFrame, *cols: str) -> list[str]:
    codes: set[str] = set()
    for c in cols:
        if df.height:
            codes |= set(df.get_column(c).explode().drop_nulls().unique().to_list())
    return sorted(codes)


ORG_LEVEL_VI = {k: v[0] for k, v in ORG_LEVELS.items()}


def _tree(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE _export_tree AS " + ORG_TREE_SELECT)


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------
def classification_report(con, year: int, texts: dict[str, str]) -> Report:
    df = con.sql(f"""
        SELECT c.org_id, o.name, c.org_level, c.parent_id, p.name AS parent_name,
               c.level, c.level_vi, c.political_task_good, c.meeting_quality_good,
               c.unity_discipline_good, c.members_good, c.four_good, c.reasons,
               c.criteria_reasons, c.provisional_level, c.quota_demoted, c.rulebook,
               c.year_complete
        FROM org_year_classification c
        LEFT JOIN org_units o ON o.org_id = c.org_id
        LEFT JOIN org_units p ON p.org_id = c.parent_id
        LEFT JOIN _export_tree t ON t.org_id = c.org_id
        WHERE c.year = {int(year)}
        ORDER BY t.tree_order NULLS LAST, c.org_id""").pl()
    codes = _all_codes(df, "reasons", "criteria_reasons")
    out = df.select(
        pl.col("org_id").alias("Mã tổ chức"),
        pl.col("name").alias("Tên tổ chức"),
        pl.col("org_level").replace_strict(ORG_LEVEL_VI, default=pl.col("org_level")).alias("Cấp"),
        pl.col("parent_id").alias("Mã tổ chức cấp trên"),
        pl.col("parent_name").alias("Tên tổ chức cấp trên"),
        pl.col("level").replace_strict(LEVEL_SHORT_VI, default=None, return_dtype=pl.String)
        .fill_null("").alias("Xếp loại"),
        pl.col("level_vi").fill_null(NOT_CLASSIFIED).alias("Xếp loại (tên đầy đủ)"),
        _yes_no("political_task_good").alias(CRITERIA_VI["political_task_good"]),
        _yes_no("meeting_quality_good").alias(CRITERIA_VI["meeting_quality_good"]),
        _yes_no("unity_discipline_good").alias(CRITERIA_VI["unity_discipline_good"]),
        _yes_no("members_good").alias(CRITERIA_VI["members_good"]),
        _yes_no("four_good").alias("4 tốt"),
        _translate_list("reasons", texts, codes).alias("Lý do xếp loại"),
        _translate_list("criteria_reasons", texts, codes).alias("Lý do chưa đạt tiêu chí 4 tốt"),
        pl.col("provisional_level").replace_strict(LEVEL_SHORT_VI, default=None, return_dtype=pl.String)
        .fill_null("").alias("Xếp loại trước khi áp tỷ lệ"),
        _yes_no("quota_demoted").alias("Hạ do vượt tỷ lệ 20% HTXSNV"),
        pl.col("rulebook").replace_strict(RULEBOOK_VI, default=pl.col("rulebook")).alias("Quy định áp dụng"),
        _yes_no("year_complete").alias("Số liệu đủ cả năm"),
    )
    return Report(f"xep-loai-to-chuc-{year}", f"Xếp loại tổ chức {year}", out)


def summary_report(con, year: int) -> Report:
    df = con.sql(f"""
        SELECT s.*, pt.tree_order
        FROM v_summary_by_parent_year s
        LEFT JOIN _export_tree pt ON pt.org_id = s.parent_id
        WHERE s.year = {int(year)}
        ORDER BY pt.tree_order NULLS LAST, s.parent_id""").pl()
    pct = lambda c: pl.col(c).round(2)  # noqa: E731
    cols = [
        pl.col("parent_id").alias("Mã tổ chức cấp trên"),
        pl.col("parent_name").alias("Tổ chức cấp trên"),
        pl.when(pl.col("parent_level") == "dang_bo_co_so").then(pl.lit("Chi bộ trực thuộc"))
        .otherwise(pl.lit("Tổ chức cơ sở đảng")).alias("Đối tượng xếp loại"),
        pl.col("orgs").alias("Tổng số tổ chức"),
        pl.col("classified").alias("Số tổ chức được xếp loại"),
    ]
    fmts = {}
    for code in ("excellent", "good", "completed", "failed"):
        short = LEVEL_SHORT_VI[code]
        cols += [pl.col(code).alias(f"{short}: số lượng"),
                 pct(f"{code}_pct").alias(f"{short}: tỷ lệ (%)")]
        fmts[f"{short}: tỷ lệ (%)"] = "0.00"
    cols += [pl.col("not_classified").alias("Chưa xếp loại"),
             pl.col("four_good").alias("4 tốt: số lượng"),
             pct("four_good_pct").alias("4 tốt: tỷ lệ (%)")]
    fmts["4 tốt: tỷ lệ (%)"] = "0.00"
    return Report(f"tong-hop-xep-loai-{year}", f"Tổng hợp xếp loại {year}", df.select(cols), fmts)


METRIC_ORDER = [
    "months_active", "regular_months", "quarters_active", "thematic_quarters",
    "criticism_quarters", "meetings_total", "meetings_meeting_standard", "short_meetings",
    "meetings_without_attendance", "unsigned_minutes", "attendance_rate", "speaking_rate",
    "unexcused_members", "excused_streak_members", "removal_candidates", "upper_visit_meetings",
    "hcm_story_meetings", "distinct_secretaries", "rated_members", "rated_excellent",
    "rated_good", "rated_completed", "rated_failed", "disciplined_members", "members_active",
    "local_members",
]


def metrics_report(con, year: int) -> Report:
    df = con.sql(f"""
        SELECT m.*, o.name, o.parent_id, p.name AS parent_name,
               array_to_string(mm.missing_months, ', ') AS missing_months,
               array_to_string(mm.missing_quarters, ', ') AS missing_quarters
        FROM cell_year_metrics m
        LEFT JOIN org_units o ON o.org_id = m.org_id
        LEFT JOIN org_units p ON p.org_id = o.parent_id
        LEFT JOIN v_cells_missing_months mm ON mm.org_id = m.org_id AND mm.year = m.year
        LEFT JOIN _export_tree t ON t.org_id = m.org_id
        WHERE m.year = {int(year)}
        ORDER BY t.tree_order NULLS LAST, m.org_id""").pl()
    cols = [pl.col("org_id").alias("Mã chi bộ"), pl.col("name").alias("Tên chi bộ"),
            pl.col("parent_name").alias("Tổ chức cấp trên")]
    fmts = {}
    for c in METRIC_ORDER:
        if c not in df.columns:
            continue
        label = COLUMNS[("cell_year_metrics", c)][1]
        if c in ("attendance_rate", "speaking_rate"):
            label = f"{label} (%)"
            cols.append((pl.col(c) * 100).round(2).alias(label))
            fmts[label] = "0.00"
        else:
            cols.append(pl.col(c).alias(label))
        if c == "regular_months":
            cols.append(pl.col("missing_months").fill_null("").alias("Các tháng thiếu sinh hoạt thường kỳ"))
        if c == "thematic_quarters":
            cols.append(pl.col("missing_quarters").fill_null("").alias("Các quý thiếu sinh hoạt chuyên đề"))
    cols.append(_yes_no("year_complete").alias("Số liệu đủ cả năm"))
    return Report(f"chat-luong-sinh-hoat-chi-bo-{year}", f"Chất lượng sinh hoạt {year}",
                  df.select(cols), fmts)


def removal_report(con, year: int) -> Report:
    # One row per member (a member flagged in two cells gets one row listing both).
    # The birth year is shown only where two candidates share a name.
    df = con.sql(f"""
        WITH r AS (
            SELECT r.*, t.tree_order FROM v_removal_candidates r
            LEFT JOIN _export_tree t ON t.org_id = r.cell_id
            WHERE r.year = {int(year)}
        ), months AS (
            SELECT member_id, list(DISTINCT mon ORDER BY mon) AS months
            FROM (SELECT member_id, unnest(unexcused_months) AS mon FROM r) GROUP BY member_id
        ), g AS (
            SELECT r.member_id, any_value(r.full_name) AS full_name,
                   any_value(r.birth_year) AS birth_year,
                   string_agg(r.cell_name, '; ' ORDER BY r.tree_order NULLS LAST, r.cell_id) AS cells,
                   string_agg(r.cell_id, '; ' ORDER BY r.tree_order NULLS LAST, r.cell_id) AS cell_ids,
                   string_agg(DISTINCT r.parent_name, '; ') AS parents,
                   sum(r.unexcused_meetings) AS meetings,
                   min(r.tree_order) AS tree_order
            FROM r GROUP BY r.member_id
        )
        SELECT g.*, array_to_string(m.months, ', ') AS months_text, len(m.months) AS month_count,
               count(*) OVER (PARTITION BY g.full_name) > 1 AS name_shared
        FROM g JOIN months m USING (member_id)
        ORDER BY g.tree_order NULLS LAST, g.full_name, g.member_id""").pl()
    out = df.select(
        pl.col("member_id").alias("Mã đảng viên"),
        pl.col("full_name").alias("Họ và tên"),
        pl.when(pl.col("name_shared")).then(pl.col("birth_year")).otherwise(None)
        .cast(pl.Int64).alias("Năm sinh"),
        pl.col("cells").alias("Chi bộ"),
        pl.col("cell_ids").alias("Mã chi bộ"),
        pl.col("parents").alias("Tổ chức cấp trên"),
        pl.col("months_text").alias("Các tháng vắng không lý do"),
        pl.col("month_count").cast(pl.Int64).alias("Số tháng vắng không lý do"),
        pl.col("meetings").cast(pl.Int64).alias("Số buổi vắng không lý do"),
    )
    return Report(f"de-nghi-xoa-ten-{year}", f"Đề nghị xóa tên {year}", out)


def _column_labels() -> pl.DataFrame:
    rows = [(k.name, c.name, c.label_vi, i) for k in CONTRACT.values() for i, c in enumerate(k.columns)]
    rows += [(k, ACTION_COLUMN, ACTION_LABEL, -1) for k in CONTRACT]
    return pl.DataFrame(rows, schema=["kind", "column_name", "label", "position"], orient="row")


def errors_report(con) -> Report:
    tables = _tables(con)
    kinds = {k: v.label_vi for k, v in CONTRACT.items()}
    ref_col = {(kind, target): col for kind, refs in REFERENCES.items() for col, target, _ in refs}
    parts = []
    if "quarantine" in tables:
        parts.append(con.sql("""
            SELECT file, source_row, kind, column_name, value, message_vi, check_name,
                   'Bị loại' AS state FROM quarantine""").pl())
    if "pending" in tables:
        pend = con.sql("SELECT file, source_row, kind, missing_kind, missing_key FROM pending").pl()
        refs = pl.DataFrame([(k, t, c) for (k, t), c in ref_col.items()],
                            schema=["kind", "missing_kind", "column_name"], orient="row")
        pend = pend.join(refs, on=["kind", "missing_kind"], how="left")
        parts.append(pend.select(
            "file", "source_row", "kind", "column_name",
            pl.col("missing_key").alias("value"),
            (pl.lit("Chưa có ") + pl.col("missing_kind").replace_strict(kinds, default=pl.col("missing_kind")).str.to_lowercase()
             + pl.lit(" mã ") + pl.col("missing_key").fill_null("")
             + pl.lit("; dòng này đang chờ và sẽ được nạp khi dữ liệu đó được nộp")).alias("message_vi"),
            pl.lit("pending").alias("check_name"),
            pl.lit("Đang chờ").alias("state")))
    if "files" in tables:
        superseded = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'files' "
                                 "AND schema_name = 'main' AND column_name = 'superseded'").fetchall()[0][0]
        current = " AND NOT coalesce(superseded, false)" if superseded else ""
        parts.append(con.sql(f"""
            SELECT path AS file, CAST(NULL AS BIGINT) AS source_row, kind,
                   CAST(NULL AS VARCHAR) AS column_name, CAST(NULL AS VARCHAR) AS value,
                   coalesce(error, CASE status WHEN 'unsupported_format'
                       THEN 'Định dạng tệp không được hỗ trợ (chỉ nhận .csv, .csv.gz, .xlsx)'
                       ELSE 'Tệp bị từ chối' END) AS message_vi,
                   status AS check_name,
                   CASE status WHEN 'unsupported_format' THEN 'Định dạng không hỗ trợ'
                        ELSE 'Tệp bị từ chối' END AS state
            FROM files WHERE status IN ('rejected', 'unsupported_format'){current}""").pl())
    schema = {"file": pl.String, "source_row": pl.Int64, "kind": pl.String, "column_name": pl.String,
              "value": pl.String, "message_vi": pl.String, "check_name": pl.String, "state": pl.String}
    parts = [p.select([pl.col(c).cast(t) for c, t in schema.items()]) for p in parts]
    df = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    df = (df.join(_column_labels(), on=["kind", "column_name"], how="left")
            .sort(["file", "source_row", "position", "column_name", "check_name"], nulls_last=False))
    out = df.select(
        pl.col("file").alias("Tệp"),
        pl.col("source_row").alias("Dòng"),
        pl.col("kind").replace_strict(kinds, default=pl.col("kind")).alias("Loại dữ liệu"),
        pl.coalesce("label", "column_name").alias("Cột"),
        pl.col("value").alias("Giá trị"),
        pl.col("message_vi").alias("Nội dung lỗi"),
        pl.col("state").alias("Tình trạng"),
        pl.col("check_name").alias("Mã kiểm tra"),
    )
    return Report(ERRORS_FILE, "Dữ liệu lỗi", out)


# --------------------------------------------------------------------------------------------
def export_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    tables = _tables(con)
    parts = [f"SELECT DISTINCT year FROM {t}" for t in ("org_year_classification", "cell_year_metrics")
             if t in tables]
    if not parts:
        return []
    return [int(r[0]) for r in con.execute(" UNION ".join(parts) + " ORDER BY 1").fetchall()
            if r[0] is not None]


def write_exports(con: duckdb.DuckDBPyConnection, exports_dir: Path,
                  reason_texts: dict[str, str] | None = None) -> list[Path]:
    """Write every report (CSV + XLSX twin); return the paths written.

    `reason_texts`: reason code -> Vietnamese text (default: the rulebooks' texts, else the
    built-in ones of `chibo.export.reasons`).
    """
    exports_dir = Path(exports_dir)
    texts = reason_texts if reason_texts is not None else default_reason_texts()
    create_views(con, only_missing=True)
    _tree(con)
    tables = _tables(con)
    written: list[Path] = []
    try:
        for year in export_years(con):
            ydir = exports_dir / str(year)
            reports = []
            if "org_year_classification" in tables:
                reports += [classification_report(con, year, texts), summary_report(con, year)]
            if "cell_year_metrics" in tables:
                reports.append(metrics_report(con, year))
                if {"attendance", "meetings"} <= tables:
                    reports.append(removal_report(con, year))
            for rep in reports:
                written += write_report(rep, ydir)
        written += write_report(errors_report(con), exports_dir)
    finally:
        con.execute("DROP TABLE IF EXISTS _export_tree")
    return written
