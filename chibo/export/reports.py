"""The reports for provincial staff (`write_exports`).

Per year under `exports_dir/<year>/`: the classification of every org, the summary per parent
(subtotals and the province's total in the workbook), the cell meeting-quality metrics, the
removal candidates, the audit of the official ratings (`doi-chieu-xep-loai-<year>`) and the
visual report `bao-cao-<year>.html`; beside them `du-lieu-loi.csv` and the error lists per
unit under `loi-theo-don-vi/`. Each CSV is a plain machine table; each .xlsx twin is an
official document (`chibo.export.workbook`).

Everything comes from the warehouse: rows, names and parents from each year's tree
(`org_years`, depth-first order), levels and reasons from the run's rulebook tables
(`levels`, `reason_texts`, `rulebook_thresholds`) through the analyst views. No rule is
evaluated here and no rulebook file is read.
"""
from __future__ import annotations

import datetime as dt
import logging
from fractions import Fraction
from pathlib import Path

import duckdb
import polars as pl

from chibo.contract import ORG_LEVELS
from chibo.export.descriptions import COLUMNS
from chibo.export.views import create_views
from chibo.export.workbook import DEPTH, STYLE, Heading, Report, Sheet
from chibo.export.writer import ReportWriter, year_inputs

log = logging.getLogger(__name__)

YES, NO = "Có", "Không"
NOT_CLASSIFIED = "Chưa xếp loại"
ORG_LEVEL_VI = {k: v[0] for k, v in ORG_LEVELS.items()}
PCT_FORMAT = "0.00"
AUDIT_VI = {
    "official_higher": "Xếp loại chính thức cao hơn số liệu",
    "official_lower": "Xếp loại chính thức thấp hơn số liệu",
    "not_computed": "Chưa xếp loại được theo số liệu",
    "agrees": "Thống nhất",
    "four_good_awarded_not_met": "Công nhận 4 tốt nhưng chưa đạt tiêu chí",
}
FOUR_GOOD_AUDIT_VI = {
    "agrees": "Thống nhất",
    "awarded_not_met": "Công nhận 4 tốt nhưng chưa đạt tiêu chí",
    "met_not_awarded": "Đạt tiêu chí nhưng không được công nhận 4 tốt",
}
CRITERIA = ("political_task_good", "meeting_quality_good", "unity_discipline_good", "members_good")


# --------------------------------------------------------------------------------------------
# What the warehouse says about a year
# --------------------------------------------------------------------------------------------
class Year:
    """The facts of one year the reports name: issuing unit, rulebook, level and criterion
    names, thresholds — all read from the warehouse."""

    def __init__(self, con: duckdb.DuckDBPyConnection, year: int, as_of: dt.date):
        self.con, self.year, self.as_of = con, year, as_of
        root = con.execute("SELECT name FROM org_years WHERE year = ? AND depth = 0 "
                           "ORDER BY tree_order LIMIT 1", [year]).fetchall()
        self.issuer = root[0][0] if root else ""
        rb = con.execute("SELECT DISTINCT t.rulebook, r.title_vi FROM rulebook_thresholds t "
                         "JOIN rulebooks r USING (rulebook) WHERE t.year = ?", [year]).fetchall()
        self.rulebook: str | None = rb[0][0] if rb else None
        self.rulebook_title: str | None = rb[0][1] if rb else None
        self.thresholds = {name: (value, num, den) for name, value, num, den in con.execute(
            "SELECT name, value, numerator, denominator FROM rulebook_thresholds WHERE year = ?",
            [year]).fetchall()}
        self.levels = {lv: (vi, short) for lv, vi, short in con.execute(
            "SELECT level, level_vi, level_short_vi FROM levels ORDER BY rank").fetchall()}
        self.criteria = criterion_names(con, self.rulebook)

    def heading(self) -> Heading:
        return Heading(self.issuer, self.as_of, self.year, self.rulebook_title)

    def percent(self, name: str) -> str:
        """A ratio threshold as people write it: 0.2 -> 20%."""
        value, num, den = self.thresholds[name]
        if num is None:
            return value
        pct = Fraction(num, den) * 100
        return f"{pct.numerator}%" if pct.denominator == 1 else f"{float(pct):g}%".replace(".", ",")

    def value(self, name: str) -> str:
        return self.thresholds[name][0]

    def short(self, col: str) -> pl.Expr:
        mapping = {k: v[1] for k, v in self.levels.items()}
        return pl.col(col).replace_strict(mapping, default=None, return_dtype=pl.String)


def criterion_names(con: duckdb.DuckDBPyConnection, rulebook: str | None) -> dict[str, str]:
    """criterion -> its Vietnamese name, as the rulebook's `criterion:code` texts spell it
    ("<criterion>: <check>")."""
    rows = con.execute("""
        SELECT t.criterion,
               any_value(left(t.text_vi, length(t.text_vi) - length(b.text_vi) - 2))
        FROM reason_texts t
        JOIN reason_texts b ON b.rulebook = t.rulebook AND b.criterion IS NULL
                           AND t.code = t.criterion || ':' || b.code
        WHERE t.criterion IS NOT NULL AND t.rulebook = coalesce(?, t.rulebook)
        GROUP BY t.criterion""", [rulebook]).fetchall()
    return dict(rows)


def _yes_no(col: str) -> pl.Expr:
    return pl.when(pl.col(col)).then(pl.lit(YES)).otherwise(pl.lit(NO))


def _joined(col: str, sep: str = "; ") -> pl.Expr:
    return pl.col(col).list.join(sep).fill_null("")


def _org_level(col: str) -> pl.Expr:
    return pl.col(col).replace_strict(ORG_LEVEL_VI, default=pl.col(col))


def _sql(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> pl.DataFrame:
    return con.sql(query, params=params or []).pl()


# --------------------------------------------------------------------------------------------
# Classification of every org
# --------------------------------------------------------------------------------------------
def classification_report(y: Year) -> Report:
    df = _sql(y.con, "SELECT * FROM v_classification_explained WHERE year = ? "
                     "ORDER BY tree_order NULLS LAST, org_id", [y.year])
    quota = f"Hạ từ HTXSNV xuống HTTNV do vượt tỷ lệ {y.percent('excellent_quota_share')}"
    cols = [
        pl.col("org_id").alias("Mã tổ chức"),
        pl.col("name").alias("Tên tổ chức"),
        _org_level("org_level").alias("Cấp"),
        pl.col("parent_id").alias("Mã tổ chức cấp trên"),
        pl.col("parent_name").alias("Tên tổ chức cấp trên"),
        y.short("level").fill_null("").alias("Xếp loại"),
        pl.col("level_vi").fill_null(NOT_CLASSIFIED).alias("Xếp loại (tên đầy đủ)"),
        *[_yes_no(c).alias(y.criteria.get(c, c)) for c in CRITERIA],
        _yes_no("four_good").alias("4 tốt"),
        _joined("reasons_vi").alias("Lý do xếp loại"),
        _joined("criteria_reasons_vi").alias("Lý do chưa đạt tiêu chí 4 tốt"),
        y.short("provisional_level").fill_null("").alias("Xếp loại trước khi áp tỷ lệ"),
        _yes_no("quota_demoted").alias(quota),
        y.short("official_level").fill_null("").alias("Xếp loại chính thức"),
        pl.col("audit").replace_strict(AUDIT_VI, default=None, return_dtype=pl.String)
        .fill_null("").alias("Đối chiếu xếp loại chính thức"),
        _yes_no("year_complete").alias("Số liệu đủ cả năm"),
        pl.col("depth").alias(DEPTH),
    ]
    out = df.select(cols)
    sheet = Sheet(f"Xếp loại tổ chức {y.year}", f"Kết quả xếp loại chất lượng tổ chức đảng năm {y.year}",
                  out, indent="Tên tổ chức",
                  wrap=("Tên tổ chức", "Tên tổ chức cấp trên", "Lý do xếp loại",
                        "Lý do chưa đạt tiêu chí 4 tốt"))
    return Report.single(f"xep-loai-to-chuc-{y.year}", sheet)


# --------------------------------------------------------------------------------------------
# Summary per parent, with subtotals and the province's total in the workbook
# --------------------------------------------------------------------------------------------
LEVEL_CODES = ("excellent", "good", "completed", "failed")
PCT_BASE = "% trên số tổ chức được xếp loại"
FOUR_GOOD_BASE = "% trên tổng số tổ chức"


def _summary_columns(y: Year, name_col: str) -> tuple[list[pl.Expr], dict[str, str]]:
    cols = [pl.col(name_col).alias("Tổ chức cấp trên"),
            pl.col("orgs").alias("Tổng số tổ chức"),
            pl.col("classified").alias("Số tổ chức được xếp loại")]
    fmts = {}
    for code in LEVEL_CODES:
        short = y.levels[code][1]
        pct = f"{short}: tỷ lệ ({PCT_BASE})"
        cols += [pl.col(code).alias(f"{short}: số lượng"), pl.col(f"{code}_pct").round(2).alias(pct)]
        fmts[pct] = PCT_FORMAT
    pct = f"4 tốt: tỷ lệ ({FOUR_GOOD_BASE})"
    cols += [pl.col("not_classified").alias("Chưa xếp loại"),
             pl.col("four_good").alias("4 tốt: số lượng"),
             pl.col("four_good_pct").round(2).alias(pct)]
    fmts[pct] = PCT_FORMAT
    return cols, fmts


def summary_report(y: Year) -> Report:
    direct = _sql(y.con, """
        SELECT s.*, p.path AS parent_path FROM v_summary_by_parent_year s
        LEFT JOIN org_years p ON p.org_id = s.parent_id AND p.year = s.year
        WHERE s.year = ? ORDER BY s.parent_tree_order NULLS LAST, s.parent_id""", [y.year])
    units = _sql(y.con, "SELECT * FROM v_summary_by_unit_year WHERE year = ? "
                        "ORDER BY unit_tree_order", [y.year])
    cols, fmts = _summary_columns(y, "parent_name")
    subject = (pl.when(pl.col("parent_level").is_in(["dang_bo_co_so", "dang_bo_bo_phan"]))
               .then(pl.lit("Chi bộ trực thuộc"))
               .when(pl.col("parent_level") == "tinh").then(pl.lit("Đảng bộ trực thuộc tỉnh"))
               .otherwise(pl.lit("Tổ chức cơ sở đảng")).alias("Đối tượng xếp loại"))
    csv = direct.select(pl.col("parent_id").alias("Mã tổ chức cấp trên"), *cols[:1], subject, *cols[1:])

    # the workbook: each parent's row in tree order (indented by its depth), after the rows
    # of a parent's subtree that holds further parents the subtotal of that subtree
    # (v_summary_by_unit_year), and the province's total (the root's subtree) at the end
    parents = direct.to_dicts()
    subtree = {r["unit_id"]: r for r in units.to_dicts()}
    rows: list[dict] = []
    pending: list[str] = []          # units whose subtotal follows their subtree
    # parents above another parent: one set, not a scan of every parent per parent (nationally
    # ≈ 20,000 parents: the scan cost five minutes a night)
    above_a_parent = {a for q in parents for a in (q["parent_path"] or [])[:-1]}

    def subtotal(unit: str) -> dict:
        r = subtree[unit]
        return {**r, "parent_id": unit, "label": f"Cộng {r['unit_name'] or unit}",
                "parent_level": r["unit_level"], STYLE: "subtotal", DEPTH: r["unit_depth"]}

    for p in parents:
        path = p["parent_path"] or []
        while pending and pending[-1] not in path:
            rows.append(subtotal(pending.pop()))
        rows.append({**p, "label": p["parent_name"] or p["parent_id"], STYLE: "",
                     DEPTH: p["parent_depth"] or 0})
        if p["parent_id"] in above_a_parent and p["parent_id"] in subtree and \
                (p["parent_depth"] or 0) > 0:
            pending.append(p["parent_id"])
    while pending:
        rows.append(subtotal(pending.pop()))
    for root in units.filter(pl.col("unit_depth") == 0).to_dicts():
        rows.append({**root, "parent_id": root["unit_id"], "label": "Toàn tỉnh",
                     "parent_level": None, STYLE: "total", DEPTH: 0})
    keep = ["parent_id", "label", "parent_level", "orgs", "classified", *LEVEL_CODES,
            *[f"{c}_pct" for c in LEVEL_CODES], "not_classified", "four_good", "four_good_pct",
            STYLE, DEPTH]
    book = pl.DataFrame([{k: r.get(k) for k in keep} for r in rows], schema={
        **{k: pl.String for k in ("parent_id", "label", "parent_level", STYLE)},
        **{k: pl.Int64 for k in ("orgs", "classified", *LEVEL_CODES, "not_classified", "four_good", DEPTH)},
        **{f"{c}_pct": pl.Float64 for c in (*LEVEL_CODES, "four_good")}}).select(keep)
    book_cols, _ = _summary_columns(y, "label")
    frame = book.select(pl.col("parent_id").alias("Mã tổ chức cấp trên"), *book_cols[:1], subject,
                        *book_cols[1:], STYLE, DEPTH)
    frame = frame.with_columns(pl.when(pl.col(STYLE) == "").then(pl.col("Đối tượng xếp loại"))
                               .otherwise(None).alias("Đối tượng xếp loại"))
    sheet = Sheet(f"Tổng hợp xếp loại {y.year}",
                  f"Tổng hợp kết quả xếp loại chất lượng tổ chức đảng năm {y.year}", frame, fmts,
                  notes=[f"Tỷ lệ các mức xếp loại tính {PCT_BASE}; tỷ lệ 4 tốt tính {FOUR_GOOD_BASE}. "
                         "Mỗi dòng tính các tổ chức trực thuộc trực tiếp; dòng «Cộng» tính toàn bộ "
                         "tổ chức bên dưới."],
                  indent="Tổ chức cấp trên", wrap=("Tổ chức cấp trên",))
    return Report(f"tong-hop-xep-loai-{y.year}", csv, [sheet])


# --------------------------------------------------------------------------------------------
# Cell meeting quality
# --------------------------------------------------------------------------------------------
METRIC_ORDER = [
    "months_active", "regular_months", "quarters_active", "thematic_quarters",
    "criticism_quarters", "meetings_total", "meetings_meeting_standard", "short_meetings",
    "meetings_without_attendance", "unsigned_minutes", "materials_late_meetings",
    "attendance_rate", "speaking_rate", "unexcused_members", "excused_streak_members",
    "removal_candidates", "upper_visit_meetings", "hcm_story_meetings", "distinct_secretaries",
    "rated_members", "rated_excellent", "rated_good", "rated_completed", "rated_failed",
    "disciplined_members", "members_active", "local_members",
]
RATE_BASE = {"attendance_rate": "% trên số lượt đảng viên phải dự", "speaking_rate": "% trên số lượt có mặt"}


def metrics_report(y: Year) -> Report:
    df = _sql(y.con, """
        SELECT m.*, t.name, t.parent_name, t.depth, mm.missing_months, mm.missing_quarters
        FROM cell_year_metrics m
        LEFT JOIN v_org_tree t ON t.org_id = m.org_id AND t.year = m.year
        LEFT JOIN v_cells_missing_months mm ON mm.org_id = m.org_id AND mm.year = m.year
        WHERE m.year = ? ORDER BY t.tree_order NULLS LAST, m.org_id""", [y.year])
    cols = [pl.col("org_id").alias("Mã chi bộ"), pl.col("name").alias("Tên chi bộ"),
            pl.col("parent_name").alias("Tổ chức cấp trên")]
    fmts = {}
    for c in METRIC_ORDER:
        label = COLUMNS[("cell_year_metrics", c)][1]
        if c in RATE_BASE:
            label = f"{label} ({RATE_BASE[c]})"
            cols.append((pl.col(c) * 100).round(2).alias(label))
            fmts[label] = PCT_FORMAT
        else:
            cols.append(pl.col(c).alias(label))
        if c == "regular_months":
            cols.append(pl.col("missing_months").cast(pl.List(pl.String)).list.join(", ").fill_null("")
                        .alias("Các tháng thiếu sinh hoạt thường kỳ"))
        if c == "thematic_quarters":
            cols.append(pl.col("missing_quarters").cast(pl.List(pl.String)).list.join(", ").fill_null("")
                        .alias("Các quý thiếu sinh hoạt chuyên đề"))
    cols.append(_yes_no("year_complete").alias("Số liệu đủ cả năm"))
    sheet = Sheet(f"Chất lượng sinh hoạt {y.year}",
                  f"Chất lượng sinh hoạt chi bộ năm {y.year}", df.select(cols), fmts,
                  wrap=("Tên chi bộ", "Tổ chức cấp trên"))
    return Report.single(f"chat-luong-sinh-hoat-chi-bo-{y.year}", sheet)


# --------------------------------------------------------------------------------------------
# Removal candidates: one row per member (v_removal_candidates)
# --------------------------------------------------------------------------------------------
def removal_report(y: Year) -> Report:
    df = _sql(y.con, """
        SELECT r.*, count(*) OVER (PARTITION BY r.full_name) > 1 AS name_shared
        FROM v_removal_candidates r WHERE r.year = ?
        ORDER BY r.tree_order NULLS LAST, r.full_name, r.member_id""", [y.year])
    out = df.select(
        pl.col("member_id").alias("Mã đảng viên"),
        pl.col("full_name").alias("Họ và tên"),
        pl.when(pl.col("name_shared")).then(pl.col("birth_year")).otherwise(None)
        .cast(pl.Int64).alias("Năm sinh"),
        _joined("cell_names").alias("Chi bộ"),
        _joined("cell_ids").alias("Mã chi bộ"),
        _joined("parent_names").alias("Tổ chức cấp trên"),
        pl.col("unexcused_month_list").cast(pl.List(pl.String)).list.join(", ").fill_null("")
        .alias("Các tháng vắng không lý do"),
        pl.col("unexcused_months").cast(pl.Int64).alias("Số tháng vắng không lý do"),
        pl.col("unexcused_meetings").cast(pl.Int64).alias("Số buổi vắng không lý do"),
        pl.col("removal_threshold_months").cast(pl.Int64).alias("Số tháng theo quy định"),
    )
    months = y.value("removal_unexcused_months")
    sheet = Sheet(f"Đề nghị xóa tên {y.year}",
                  f"Danh sách đảng viên bỏ sinh hoạt không lý do từ {months} tháng trở lên trong năm {y.year}",
                  out, wrap=("Chi bộ", "Tổ chức cấp trên"),
                  notes=["Số tháng vắng không lý do tính trên mọi chi bộ đảng viên sinh hoạt trong năm "
                         "(đảng viên chuyển chi bộ giữ nguyên số tháng đã vắng)."])
    return Report.single(f"de-nghi-xoa-ten-{y.year}", sheet)


# --------------------------------------------------------------------------------------------
# Official ratings against the evidence (doi-chieu-xep-loai-<year>)
# --------------------------------------------------------------------------------------------
AUDIT_CSV = ["Phần", "Nhóm đối chiếu", "Mã", "Họ tên / Tên tổ chức", "Cấp", "Đơn vị",
             "Xếp loại chính thức", "Xếp loại theo số liệu", "Chênh lệch (bậc)",
             "Lý do xếp loại theo số liệu", "Tiêu chí chưa đạt", "Công nhận 4 tốt", "Đối chiếu 4 tốt",
             "Số tháng vắng không lý do", "Số lần vắng có lý do liên tiếp dài nhất",
             "Số quyết định", "Ngày quyết định"]


def audit_frames(y: Year) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(org-years in reading order, unsupported member ratings by unit, summary per parent)."""
    orgs = _sql(y.con, """
        SELECT a.*,
               CASE WHEN a.audit = 'agrees' AND a.four_good_audit = 'awarded_not_met'
                    THEN 'four_good_awarded_not_met' ELSE a.audit END AS grp,
               CASE WHEN a.audit = 'agrees' AND a.four_good_audit = 'awarded_not_met' THEN 4
                    ELSE a.audit_order END AS grp_order
        FROM v_official_rating_audit a
        WHERE a.year = ? AND (a.audit <> 'agrees' OR a.four_good_audit = 'awarded_not_met')
        ORDER BY grp_order,
                 CASE WHEN a.audit = 'official_higher' THEN -a.rank_gap
                      WHEN a.audit = 'official_lower' THEN a.rank_gap END NULLS LAST,
                 a.tree_order NULLS LAST, a.org_id""", [y.year])
    removal_vi = _text(y, "removal_candidates")
    streak_vi = _text(y, "excused_streak")
    members = _sql(y.con, """
        SELECT a.*, mb.full_name, t.name AS cell_name, t.grassroots_id, t.grassroots_name,
               t.upper_id, t.upper_name, t.tree_order, my.removal_candidate,
               a.longest_excused_streak > CAST(th.value AS INTEGER) AS streak_too_long
        FROM member_rating_audit a
        LEFT JOIN members mb ON mb.member_id = a.member_id
        LEFT JOIN v_org_tree t ON t.org_id = a.cell_id AND t.year = a.year
        LEFT JOIN member_years my ON my.member_id = a.member_id AND my.year = a.year
        LEFT JOIN rulebook_thresholds th ON th.year = a.year AND th.name = 'excused_streak_max'
        WHERE a.year = ?
        ORDER BY t.tree_order NULLS LAST, a.cell_id, mb.full_name, a.member_id""", [y.year])
    members = members.with_columns(
        pl.concat_list(
            pl.when(pl.col("removal_candidate")).then(pl.lit(removal_vi)).otherwise(None),
            pl.when(pl.col("streak_too_long")).then(pl.lit(streak_vi)).otherwise(None),
        ).list.drop_nulls().list.join("; ").alias("evidence_vi"))
    summary = _sql(y.con, """
        SELECT s.*, p.path AS parent_path FROM v_summary_by_parent_year s
        LEFT JOIN org_years p ON p.org_id = s.parent_id AND p.year = s.year
        WHERE s.year = ? AND s.official_rated > 0
        ORDER BY s.parent_tree_order NULLS LAST, s.parent_id""", [y.year])
    return orgs, members, summary


def _text(y: Year, code: str) -> str:
    row = y.con.execute("SELECT text_vi FROM reason_texts WHERE rulebook = ? AND code = ?",
                        [y.rulebook, code]).fetchall()
    return row[0][0] if row else code


def audit_report(y: Year) -> Report:
    orgs, members, summary = audit_frames(y)
    date_text = pl.col("decided_on").dt.strftime("%d/%m/%Y").fill_null("")
    four = pl.when(pl.col("four_good_awarded").is_null()).then(pl.lit("")) \
        .otherwise(_yes_no("four_good_awarded"))
    org_rows = orgs.select(
        pl.lit("Tổ chức").alias("Phần"),
        pl.col("grp").replace_strict(AUDIT_VI, default=pl.col("grp")).alias("Nhóm đối chiếu"),
        pl.col("org_id").alias("Mã"),
        pl.col("name").alias("Họ tên / Tên tổ chức"),
        _org_level("org_level").alias("Cấp"),
        pl.col("parent_name").alias("Đơn vị"),
        y.short("official_level").alias("Xếp loại chính thức"),
        y.short("level").fill_null(NOT_CLASSIFIED).alias("Xếp loại theo số liệu"),
        pl.col("rank_gap").cast(pl.Int64).alias("Chênh lệch (bậc)"),
        _joined("reasons_vi").alias("Lý do xếp loại theo số liệu"),
        _joined("criteria_reasons_vi").alias("Tiêu chí chưa đạt"),
        four.alias("Công nhận 4 tốt"),
        pl.col("four_good_audit").replace_strict(FOUR_GOOD_AUDIT_VI, default=None, return_dtype=pl.String)
        .fill_null("").alias("Đối chiếu 4 tốt"),
        pl.lit(None, pl.Int64).alias("Số tháng vắng không lý do"),
        pl.lit(None, pl.Int64).alias("Số lần vắng có lý do liên tiếp dài nhất"),
        pl.col("decision").alias("Số quyết định"),
        date_text.alias("Ngày quyết định"),
    )
    member_rows = members.select(
        pl.lit("Đảng viên").alias("Phần"),
        pl.lit("Xếp loại đảng viên không được số liệu dự họp chứng minh").alias("Nhóm đối chiếu"),
        pl.col("member_id").alias("Mã"),
        pl.col("full_name").alias("Họ tên / Tên tổ chức"),
        pl.lit("Đảng viên").alias("Cấp"),
        pl.col("cell_name").alias("Đơn vị"),
        y.short("rating").alias("Xếp loại chính thức"),
        pl.lit("").alias("Xếp loại theo số liệu"),
        pl.lit(None, pl.Int64).alias("Chênh lệch (bậc)"),
        pl.col("evidence_vi").alias("Lý do xếp loại theo số liệu"),
        pl.lit("").alias("Tiêu chí chưa đạt"),
        pl.lit("").alias("Công nhận 4 tốt"),
        pl.lit("").alias("Đối chiếu 4 tốt"),
        pl.col("unexcused_months").cast(pl.Int64).alias("Số tháng vắng không lý do"),
        pl.col("longest_excused_streak").cast(pl.Int64).alias("Số lần vắng có lý do liên tiếp dài nhất"),
        pl.lit(None, pl.String).alias("Số quyết định"),
        pl.lit("").alias("Ngày quyết định"),
    )
    csv = pl.concat([org_rows, member_rows], how="vertical_relaxed").select(AUDIT_CSV)

    org_sheet = org_rows.drop("Phần", "Số tháng vắng không lý do",
                              "Số lần vắng có lý do liên tiếp dài nhất").rename(
        {"Họ tên / Tên tổ chức": "Tên tổ chức", "Đơn vị": "Tổ chức cấp trên"})
    member_sheet = members.select(
        pl.col("member_id").alias("Mã đảng viên"),
        pl.col("full_name").alias("Họ và tên"),
        pl.col("cell_name").alias("Chi bộ"),
        pl.col("grassroots_name").alias("Tổ chức cơ sở đảng"),
        pl.col("upper_name").alias("Đảng bộ cấp trên cơ sở"),
        y.short("rating").alias("Xếp loại được công nhận"),
        pl.col("unexcused_months").cast(pl.Int64).alias("Số tháng vắng không lý do"),
        pl.col("longest_excused_streak").cast(pl.Int64).alias("Số lần vắng có lý do liên tiếp dài nhất"),
        pl.col("evidence_vi").alias("Số liệu không chứng minh"),
    )
    base = "% trên số tổ chức có xếp loại chính thức"
    higher_pct = f"Cao hơn: tỷ lệ ({base})"
    sums = summary.select("official_rated", "audit_agrees", "audit_official_higher",
                          "audit_official_lower", "audit_not_computed").sum()
    summary_rows = summary.select(
        pl.col("parent_id"), pl.col("parent_name").fill_null(pl.col("parent_id")).alias("label"),
        "official_rated", "audit_agrees", "audit_official_higher", "audit_official_lower",
        "audit_not_computed", pl.lit("").alias(STYLE),
        (pl.col("parent_depth").fill_null(1) - 1).clip(0).cast(pl.Int64).alias(DEPTH))
    if summary.height:
        summary_rows = pl.concat([summary_rows, sums.with_columns(
            parent_id=pl.lit(""), label=pl.lit("Toàn tỉnh"), **{STYLE: pl.lit("total"), DEPTH: pl.lit(0, pl.Int64)}
        ).select(summary_rows.columns)], how="vertical_relaxed")
    summary_sheet = summary_rows.select(
        pl.col("parent_id").alias("Mã tổ chức cấp trên"),
        pl.col("label").alias("Tổ chức cấp trên"),
        pl.col("official_rated").alias("Số tổ chức có xếp loại chính thức"),
        pl.col("audit_agrees").alias("Thống nhất với số liệu"),
        pl.col("audit_official_higher").alias("Cao hơn số liệu"),
        (pl.col("audit_official_higher") * 100 / pl.col("official_rated")).round(2).alias(higher_pct),
        pl.col("audit_official_lower").alias("Thấp hơn số liệu"),
        pl.col("audit_not_computed").alias("Chưa xếp loại được theo số liệu"),
        STYLE, DEPTH)
    title = f"Đối chiếu xếp loại chính thức với số liệu năm {y.year}"
    sheets = [
        Sheet("Đối chiếu tổ chức", title, org_sheet,
              notes=["Thứ tự: xếp loại chính thức cao hơn số liệu (chênh lệch lớn trước), thấp hơn số liệu, "
                     "chưa xếp loại được theo số liệu, rồi công nhận 4 tốt khi chưa đạt tiêu chí. "
                     "Lý do là lý do của mức xếp loại theo số liệu."],
              wrap=("Tên tổ chức", "Tổ chức cấp trên", "Lý do xếp loại theo số liệu", "Tiêu chí chưa đạt"),
              empty_text="Không có tổ chức nào có xếp loại chính thức khác số liệu."),
        Sheet("Đảng viên", f"Xếp loại đảng viên không được số liệu chứng minh năm {y.year}", member_sheet,
              wrap=("Chi bộ", "Tổ chức cơ sở đảng", "Số liệu không chứng minh"),
              empty_text="Không có đảng viên nào."),
        Sheet("Tổng hợp", f"Tổng hợp đối chiếu xếp loại theo tổ chức cấp trên năm {y.year}",
              summary_sheet, {higher_pct: PCT_FORMAT}, indent="Tổ chức cấp trên",
              notes=[f"Tỷ lệ cao hơn tính {base}."], wrap=("Tổ chức cấp trên",)),
    ]
    return Report(f"doi-chieu-xep-loai-{y.year}", csv, sheets)


# --------------------------------------------------------------------------------------------
def export_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [int(r[0]) for r in con.execute(
        "SELECT year FROM org_year_classification UNION SELECT year FROM cell_year_metrics "
        "ORDER BY 1").fetchall() if r[0] is not None]


def _views_exist(con: duckdb.DuckDBPyConnection) -> bool:
    from chibo.export.views import VIEW_NAMES
    have = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    return set(VIEW_NAMES) <= have


def write_exports(con: duckdb.DuckDBPyConnection, exports_dir: Path, as_of: dt.date,
                  published: Path | None = None) -> list[Path]:
    """Write the reports into `exports_dir`; return the paths written.

    `as_of` is the run's as-of date ("Số liệu tính đến ngày …" on every official report).
    `published`: the folder the reports go live in; a file it already holds with the same
    content is not written again (see `chibo.export.writer`). The views are created when
    `document_warehouse` has not run on `con`.
    """
    from chibo.export.errors import write_error_lists
    from chibo.export.html import render

    exports_dir = Path(exports_dir)
    if not _views_exist(con):
        create_views(con)
    writer = ReportWriter(con, exports_dir, published, as_of)
    try:
        inputs_by_year = year_inputs(con)
        for year in export_years(con):
            ydir = exports_dir / str(year)
            inputs = inputs_by_year.get(year)
            if writer.keep_year(ydir, inputs):
                continue   # built from what the published files were built from
            y = Year(con, year, as_of)
            for rep in (classification_report(y), summary_report(y), metrics_report(y),
                        removal_report(y), audit_report(y)):
                writer.report(rep, y.heading(), ydir, inputs)
            writer.text(render(y), ydir / f"bao-cao-{year}.html", inputs)
        write_error_lists(con, writer)
    except BaseException:
        writer.abandon()
        raise
    return writer.close()
