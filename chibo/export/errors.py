"""The data-error lists: province-wide `du-lieu-loi.csv` (+ .xlsx) and one workbook per unit
under `loi-theo-don-vi/`.

One row per problem: every quarantined row's problems, every pending row, every rejected or
unsupported file (its current delivery), and every warning the reader gave on a loaded file
(`files.warnings`: an unknown column ignored, a signature block skipped, control characters
removed, the sheet read…; Tình trạng "Cảnh báo": nothing was lost, the cell may want to know),
with the path under raw/, the Vietnamese message and the English one in its own column.

**Which unit a row belongs to.** A rejected row is not in the warehouse, so a row is placed by
its file: the organisations the file's current rows reference (org_units → the org, members /
meetings / member_ratings → the cell, attendance → the meeting's cell, assessments /
official_ratings → the org), each in its latest year's tree (`org_years`). When they all lie
under one cấp trên cơ sở the file is that unit's; when they all lie under one đảng bộ cơ sở (or
chi bộ cơ sở) it is that grassroots organisation's too. A file that spans several units, names
the province itself, or has no loaded row (a rejected file) stays with the province: the
root organisation's own list. So the lists of the cấp trên cơ sở plus the province's add up to
`du-lieu-loi.csv`; a đảng bộ cơ sở's list is the part of its cấp trên cơ sở's that is its own.
"""
from __future__ import annotations

import re
import unicodedata

import duckdb
import polars as pl

from chibo.contract import ACTION_COLUMN, ACTION_LABEL, CONTRACT, KINDS, REFERENCES
from chibo.export.workbook import Heading, Report, Sheet
from chibo.export.writer import ReportWriter
from chibo.validate.core import WARNING_CHECK, mask_quoted, split_warning

ERRORS_FILE = "du-lieu-loi"
UNIT_DIR = "loi-theo-don-vi"
UPPER = "Mã đảng bộ cấp trên cơ sở"       # the columns a unit's list is cut by
GRASSROOTS = "Mã tổ chức cơ sở đảng"
HEADERS = ["Tệp", "Dòng", "Loại dữ liệu", "Cột", "Giá trị", "Nội dung lỗi", "Tình trạng",
           "Mã kiểm tra", "Nội dung lỗi (tiếng Anh)", "Mã đảng bộ cấp trên cơ sở",
           "Đảng bộ cấp trên cơ sở", "Mã tổ chức cơ sở đảng", "Tổ chức cơ sở đảng"]
WARNING_STATE = "Cảnh báo"
UNSUPPORTED_VI = {
    None: "Tệp không nằm trong thư mục của một loại dữ liệu ({kinds}): chuyển tệp vào đúng thư mục",
    "format": "Định dạng tệp không được hỗ trợ: chỉ đọc tệp .csv, .csv.gz và .xlsx",
}

# the organisation each kind's row concerns (attendance: through its meeting), for the files
# with a row in the lists (`_error_files`: a national attendance table is 80 M rows)
_ERROR_FILE = "source_file IN (SELECT file FROM _error_files)"
_ORG_OF_ROWS = f"""
    SELECT source_file AS file, org_id FROM org_units WHERE {_ERROR_FILE}
    UNION ALL SELECT source_file, cell_id FROM members WHERE {_ERROR_FILE}
    UNION ALL SELECT source_file, cell_id FROM meetings WHERE {_ERROR_FILE}
    UNION ALL SELECT a.source_file, m.cell_id
              FROM (SELECT source_file, meeting_id FROM attendance WHERE {_ERROR_FILE}) a
              JOIN meetings m USING (meeting_id)
    UNION ALL SELECT source_file, org_id FROM assessments WHERE {_ERROR_FILE}
    UNION ALL SELECT source_file, cell_id FROM member_ratings WHERE {_ERROR_FILE}
    UNION ALL SELECT source_file, org_id FROM official_ratings WHERE {_ERROR_FILE}
"""

FILE_UNITS = f"""
WITH refs AS (SELECT DISTINCT file, org_id FROM ({_ORG_OF_ROWS}) WHERE org_id IS NOT NULL),
latest AS (
    SELECT org_id, arg_max(upper_id, year) AS upper_id, arg_max(grassroots_id, year) AS grassroots_id
    FROM org_years GROUP BY org_id
), placed AS (
    SELECT r.file, l.upper_id, l.grassroots_id
    FROM refs r JOIN latest l USING (org_id)
)
SELECT file,
       CASE WHEN count(DISTINCT coalesce(upper_id, '')) = 1 THEN max(upper_id) END AS upper_id,
       CASE WHEN count(DISTINCT coalesce(grassroots_id, '')) = 1 THEN max(grassroots_id) END AS grassroots_id
FROM placed GROUP BY file
"""


def _column_labels() -> pl.DataFrame:
    rows = [(k.name, c.name, c.label_vi, i) for k in CONTRACT.values() for i, c in enumerate(k.columns)]
    rows += [(k, ACTION_COLUMN, ACTION_LABEL, -1) for k in CONTRACT]
    return pl.DataFrame(rows, schema=["kind", "column_name", "label", "position"], orient="row")


def _relative(message: str | None, path: str) -> str | None:
    """Messages name files by their path under raw/, never the server's absolute path."""
    if not message:
        return message
    return re.sub(r"[^\s'\"«»]*/" + re.escape(path), path, message)


def _split(error: str | None) -> tuple[str | None, str | None]:
    """A rejection "Vietnamese / English" -> (Vietnamese, English), at the first " / " outside
    «…» (a header cell the message quotes may hold " / ")."""
    if error and " / " in mask_quoted(error):
        return split_warning(error)
    return None, error


def _separators(text: str) -> int:
    """How many " / " (Vietnamese / English) stand outside «…»."""
    return mask_quoted(text).count(" / ")


def _looks_vietnamese(text: str) -> bool:
    return any(ch.isalpha() and not ch.isascii() for ch in mask_quoted(text))


def split_warnings(stored: str | None) -> list[str]:
    """`files.warnings` -> one warning each ("Vietnamese / English").

    Ingest writes them one a line. A warehouse written before holds them joined with "; ",
    which a warning may itself contain (an unterminated quote's message, a quoted cell value):
    that form is split at a "; " outside «…» only where the text before is a whole warning
    (it has its " / ") and the text after starts another (its own " / ", or Vietnamese
    wording); one warning stays whole."""
    if not stored:
        return []
    if "\n" in stored:
        return [w for w in stored.split("\n") if w.strip()]
    if _separators(stored) < 2:
        return [stored]
    masked = mask_quoted(stored)
    cuts = [i for i in range(len(masked)) if masked.startswith("; ", i)]
    pieces: list[str] = []
    start = 0
    for cut in [*cuts, len(stored)]:
        pieces.append(stored[start:cut])
        start = cut + 2
    out: list[str] = []
    for piece in pieces:
        if out and _separators(out[-1]) and (_separators(piece) or _looks_vietnamese(piece)):
            out.append(piece)
        elif out:
            out[-1] += "; " + piece
        else:
            out.append(piece)
    return out


def _warning_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """One row per reader warning of each current delivery."""
    rows = []
    for path, kind, stored in con.execute("""
            SELECT path, kind, warnings FROM files
            WHERE NOT superseded AND warnings IS NOT NULL ORDER BY path""").fetchall():
        for warning in split_warnings(stored):
            vi, en = split_warning(warning)
            rows.append({"file": path, "source_row": None, "kind": kind, "column_name": None,
                         "value": None, "message_vi": _relative(vi, path),
                         "check_name": WARNING_CHECK, "state": WARNING_STATE,
                         "message_en": _relative(en, path)})
    return rows


def error_rows(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every problem, sorted by file and row, with its unit (see the module's docstring)."""
    kinds_vi = {k: v.label_vi for k, v in CONTRACT.items()}
    schema = {"file": pl.String, "source_row": pl.Int64, "kind": pl.String, "column_name": pl.String,
              "value": pl.String, "message_vi": pl.String, "check_name": pl.String,
              "state": pl.String, "message_en": pl.String}
    quarantined = con.sql("""
        SELECT file, source_row, kind, column_name, value, message_vi, check_name,
               'Bị loại' AS state, message_en FROM quarantine""").pl()
    pend = con.sql("SELECT file, source_row, kind, missing_kind, missing_key FROM pending").pl()
    refs = pl.DataFrame([(k, t, c) for k, rs in REFERENCES.items() for c, t, _ in rs],
                        schema=["kind", "missing_kind", "column_name"], orient="row")
    refs = refs.unique(["kind", "missing_kind"], keep="first")
    pend = pend.join(refs, on=["kind", "missing_kind"], how="left").select(
        "file", "source_row", "kind", "column_name",
        pl.col("missing_key").alias("value"),
        (pl.lit("Chưa có ") + pl.col("missing_kind").replace_strict(kinds_vi, default=pl.col("missing_kind"))
         .str.to_lowercase() + pl.lit(" mã ") + pl.col("missing_key").fill_null("")
         + pl.lit("; dòng này đang chờ và sẽ được nạp khi dữ liệu đó được nộp")).alias("message_vi"),
        pl.lit("pending").alias("check_name"),
        pl.lit("Đang chờ").alias("state"),
        (pl.lit("No ") + pl.col("missing_kind") + pl.lit(" ") + pl.col("missing_key").fill_null("")
         + pl.lit(" yet; the row waits and loads once it is delivered")).alias("message_en"))
    files = con.execute("""
        SELECT path, kind, status, error FROM files
        WHERE NOT superseded AND status IN ('rejected', 'unsupported_format')""").fetchall()
    file_rows = []
    for path, kind, status, error in files:
        vi, en = _split(error)
        if status == "unsupported_format" and vi is None:
            vi = (UNSUPPORTED_VI[None].format(kinds=", ".join(KINDS)) if kind is None
                  else UNSUPPORTED_VI["format"])
        if vi is None:
            vi = "Tệp bị từ chối"
        state = "Định dạng không hỗ trợ" if status == "unsupported_format" else "Tệp bị từ chối"
        file_rows.append({"file": path, "source_row": None, "kind": kind, "column_name": None,
                          "value": None, "message_vi": _relative(vi, path), "check_name": status,
                          "state": state, "message_en": _relative(en, path)})
    parts = [quarantined, pend, pl.DataFrame(file_rows, schema=schema),
             pl.DataFrame(_warning_rows(con), schema=schema)]
    df = pl.concat([p.select([pl.col(c).cast(t) for c, t in schema.items()]) for p in parts])
    df = df.with_row_index("__seq")     # a file's warnings keep the reader's order
    con.register("_error_files", df.select("file").unique())
    try:
        units = con.sql(f"""
            WITH names AS (SELECT org_id, arg_max(name, year) AS name FROM org_years
                           GROUP BY org_id)
            SELECT u.file, u.upper_id, up.name AS upper_name, u.grassroots_id,
                   g.name AS grassroots_name
            FROM ({FILE_UNITS}) u
            LEFT JOIN names up ON up.org_id = u.upper_id
            LEFT JOIN names g ON g.org_id = u.grassroots_id""").pl()
    finally:
        con.unregister("_error_files")
    df = (df.join(units, on="file", how="left")
            .join(_column_labels(), on=["kind", "column_name"], how="left")
            .with_columns(pl.when(pl.col("upper_id").is_null()).then(None)
                          .otherwise(pl.col("grassroots_id")).alias("grassroots_id"))
            .with_columns(pl.when(pl.col("grassroots_id").is_null()).then(None)
                          .otherwise(pl.col("grassroots_name")).alias("grassroots_name"))
            .sort(["file", "source_row", "position", "column_name", "check_name", "__seq"],
                  nulls_last=False))
    return df.select(
        pl.col("file").alias("Tệp"),
        pl.col("source_row").alias("Dòng"),
        pl.col("kind").replace_strict(kinds_vi, default=pl.col("kind")).alias("Loại dữ liệu"),
        pl.coalesce("label", "column_name").alias("Cột"),
        pl.col("value").alias("Giá trị"),
        pl.col("message_vi").alias("Nội dung lỗi"),
        pl.col("state").alias("Tình trạng"),
        pl.col("check_name").alias("Mã kiểm tra"),
        pl.col("message_en").alias("Nội dung lỗi (tiếng Anh)"),
        pl.col("upper_id").alias("Mã đảng bộ cấp trên cơ sở"),
        pl.col("upper_name").alias("Đảng bộ cấp trên cơ sở"),
        pl.col("grassroots_id").alias("Mã tổ chức cơ sở đảng"),
        pl.col("grassroots_name").alias("Tổ chức cơ sở đảng"),
    )


def slug(text: str) -> str:
    """ASCII file-name part of a Vietnamese name: "Đảng bộ xã Cư Jút" -> "dang-bo-xa-cu-jut"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _sheet(title: str, rows: pl.DataFrame) -> Sheet:
    return Sheet("Dữ liệu lỗi", title, rows,
                 wrap=("Tệp", "Nội dung lỗi", "Nội dung lỗi (tiếng Anh)", "Giá trị"),
                 empty_text="Không có dữ liệu lỗi.")


def write_error_lists(con: duckdb.DuckDBPyConnection, writer: ReportWriter) -> None:
    """`du-lieu-loi.csv`/.xlsx and `loi-theo-don-vi/<org_id>-<name>.xlsx`: one per cấp trên
    cơ sở of the latest year's tree (and any other with errors), one per đảng bộ cơ sở or chi
    bộ cơ sở with errors, and the province's own (rows no cấp trên cơ sở owns). A unit's list
    that is no longer written disappears when the run publishes (`report_files`)."""
    rows = error_rows(con)
    latest = con.execute("SELECT max(year) FROM org_years").fetchall()[0][0]
    root = con.execute("SELECT org_id, name FROM org_years WHERE year = ? AND depth = 0 "
                       "ORDER BY tree_order LIMIT 1", [latest]).fetchall()
    root_id, issuer = root[0] if root else ("", "")
    heading = Heading(issuer, writer.as_of)
    writer.report(Report.single(ERRORS_FILE, _sheet("Danh sách dữ liệu lỗi", rows)), heading,
                  writer.staged)

    names = dict(con.execute("SELECT org_id, arg_max(name, year) FROM org_years GROUP BY org_id").fetchall())
    uppers = [r[0] for r in con.execute(
        "SELECT org_id FROM org_years WHERE year = ? AND level = 'cap_tren_co_so' ORDER BY tree_order",
        [latest]).fetchall()]
    uppers += sorted(set(rows.get_column(UPPER).drop_nulls().to_list()) - set(uppers))
    grassroots = sorted(set(rows.get_column(GRASSROOTS).drop_nulls().to_list()))
    folder = writer.staged / UNIT_DIR
    empty = rows.clear()
    for col, units in ((UPPER, uppers), (GRASSROOTS, grassroots)):
        parts = {k[0]: v for k, v in rows.partition_by(col, as_dict=True, maintain_order=True).items()}
        for org_id in units:
            name = names.get(org_id, org_id)
            stem = f"{org_id}-{slug(name)}"
            writer.report(Report(stem, None, [_sheet(f"Danh sách dữ liệu lỗi của {name}",
                                                     parts.get(org_id, empty))]),
                          heading, folder)
    # the province's own: rows no cấp trên cơ sở owns
    part = rows.filter(pl.col(UPPER).is_null())
    stem = f"{root_id or 'tinh'}-{slug(issuer) or 'tinh'}"
    writer.report(Report(stem, None, [_sheet(
        f"Danh sách dữ liệu lỗi không thuộc riêng đảng bộ cấp trên cơ sở nào của {issuer}", part)]),
        heading, folder)
