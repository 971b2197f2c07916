"""Writing reports: plain CSV tables for tools, official .xlsx documents for people.

A `Report` is one CSV (the machine table: UTF-8 with BOM, comma-separated, Vietnamese
headers, CSV-injection neutralised) and one .xlsx twin of one or more `Sheet`s, each laid out
as an official document of the board:

    <issuing unit: the root organisation that year>          ĐẢNG CỘNG SẢN VIỆT NAM
                              <REPORT NAME>
                <Năm 2025 · Quy định áp dụng: …>
                  Số liệu tính đến ngày 15/03/2026
    <notes: what each percentage is a share of>
    | header row (repeated on every printed page, frozen) |
    | rows (the tree indented by depth; totals and subtotals in bold) |
    Người lập biểu                                       T/M Ban Thường vụ

printed landscape on A4, one page wide (pages grow with rows, never with columns). Every file
is written to a temporary name beside its target, given the permissions the umask allows (as
`open` would), then `os.replace`d.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import xlsxwriter

INJECTION_PATTERN = r"^[=+\-@\t\r]"
# inside a cell: where an Excel whose list separator is `;` (regional settings with a decimal
# comma, as in Vietnam) starts a new cell when it opens the CSV: after a `;` or a line break
INNER_INJECTION_PATTERN = r"([;\r\n])([=+\-@])"
STYLE = "_style"        # hidden column of a sheet's frame: "", "subtotal" or "total"
DEPTH = "_depth"        # hidden column: indentation level of the sheet's `indent` column
HIDDEN = (STYLE, DEPTH)
PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"
SIGNERS = (("Người lập biểu", "(Ký, ghi rõ họ tên)"), ("T/M Ban Thường vụ", "(Ký tên, đóng dấu)"))


@dataclass
class Sheet:
    name: str                        # sheet name (≤ 31 characters)
    title: str                       # report name printed on top
    frame: pl.DataFrame              # Vietnamese headers, final order (+ optional _style, _depth)
    number_formats: dict[str, str] = field(default_factory=dict)   # header -> Excel format
    notes: list[str] = field(default_factory=list)                # lines under the title
    indent: str | None = None        # the column indented by _depth
    wrap: tuple[str, ...] = ()       # long text columns, wrapped
    empty_text: str = "Không có dòng nào."


@dataclass
class Heading:
    """The title block's facts, the same on every sheet of a report."""
    issuer: str                      # the root organisation's name that year
    as_of: dt.date
    year: int | None = None
    rulebook: str | None = None      # title of the year's rulebook

    def lines(self) -> list[str]:
        parts = []
        if self.year is not None:
            parts.append(f"Năm {self.year}")
        if self.rulebook:
            parts.append(f"Quy định áp dụng: {self.rulebook}")
        return [" · ".join(parts)] if parts else []


@dataclass
class Report:
    stem: str                        # file name without extension
    csv: pl.DataFrame | None         # the machine table (None: workbook only)
    sheets: list[Sheet]

    @classmethod
    def single(cls, stem: str, sheet: Sheet) -> Report:
        return cls(stem, sheet.frame.drop([c for c in HIDDEN if c in sheet.frame.columns]), [sheet])


# --------------------------------------------------------------------------------------------
def neutralise(df: pl.DataFrame) -> pl.DataFrame:
    """Prefix `'` to text cells starting with = + - @ tab or CR, and to = + - @ after a `;` or a
    line break inside a cell (CSV injection); "" -> empty."""
    exprs = [
        pl.when(pl.col(c) == "").then(None)
        .when(pl.col(c).str.contains(INJECTION_PATTERN))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c))
        .str.replace_all(INNER_INJECTION_PATTERN, "${1}'${2}").alias(c)
        for c, t in df.schema.items() if t == pl.String
    ]
    return df.with_columns(exprs) if exprs else df


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _tmp_in(directory: Path, suffix: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    return Path(name)


def _install(tmp: Path, path: Path) -> Path:
    """mkstemp makes 0600 files: give the file what the umask allows, then move it in."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)
    return path


def write_csv(df: pl.DataFrame, path: Path) -> Path:
    tmp = _tmp_in(path.parent, ".csv")
    try:
        neutralise(df).write_csv(tmp, include_bom=True, separator=",", line_terminator="\r\n")
        return _install(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(text: str, path: Path) -> Path:
    tmp = _tmp_in(path.parent, path.suffix)
    try:
        tmp.write_text(text, encoding="utf-8")
        return _install(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _column_widths(df: pl.DataFrame, wrap: tuple[str, ...]) -> dict[str, float]:
    if df.height:
        lens = df.select(pl.all().cast(pl.String).str.len_chars().max()).row(0, named=True)
    else:
        lens = {c: 0 for c in df.columns}
    out = {}
    for col in df.columns:
        longest_word = max((len(w) for w in col.split()), default=4)
        data = lens.get(col) or 0
        if df.schema[col].is_numeric():     # a number: as wide as its header's longest word
            width = max(8, data + 2, longest_word + 2)
        else:
            width = max(8, min(data + 2, 28), min(len(col), 16) + 2, longest_word + 2)
            if col in wrap:
                width = min(max(width, 16), 32)
        out[col] = float(min(48, width))
    return out


def _lines(text: str, width: float) -> int:
    """Printed lines of a wrapped cell (about one character per unit of column width)."""
    per_line = max(int(width * 1.05) - 1, 1)
    lines = 0
    for part in text.split("\n"):
        lines += max(1, -(-len(part) // per_line))
    return lines


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self._cache: dict[tuple, object] = {}

    def get(self, **props) -> object:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self.wb.add_format(dict(props))
        return self._cache[key]


def _merge(ws, row: int, c0: int, c1: int, text: str, fmt) -> None:
    if c1 > c0:
        ws.merge_range(row, c0, row, c1, text, fmt)
    else:
        ws.write_string(row, c0, text, fmt)


def _row_formats(fm: _Formats, sheet: Sheet, columns: list[str], base: dict[str, object],
                 style: str, depth: int) -> list[object]:
    """The cell format of every column of a table row: bold for totals and subtotals, shaded
    for totals, the sheet's number formats, wrapped long text, the tree indented by depth."""
    out = []
    for col in columns:
        props = dict(base, border=1, valign="top", bold=style in ("total", "subtotal"))
        if style == "total":
            props["bg_color"] = "#F2F2F2"
        if col in sheet.number_formats:
            props["num_format"] = sheet.number_formats[col]
        if col in sheet.wrap:
            props["text_wrap"] = True
        if col == sheet.indent and depth:
            props["indent"] = depth
            props["align"] = "left"
        out.append(fm.get(**props))
    return out


def _write_sheet(wb: xlsxwriter.Workbook, fm: _Formats, sheet: Sheet, heading: Heading) -> None:
    df = sheet.frame
    style = df.get_column(STYLE).to_list() if STYLE in df.columns else [""] * df.height
    depth = df.get_column(DEPTH).to_list() if DEPTH in df.columns else [0] * df.height
    df = df.drop([c for c in HIDDEN if c in df.columns])
    ncol = max(len(df.columns), 2)
    last = ncol - 1
    ws = wb.add_worksheet(sheet.name[:31])
    base = {"font_name": "Times New Roman", "font_size": 11}

    # title block
    right = max(last - 2, 1)
    _merge(ws, 0, 0, right - 1, heading.issuer.upper(), fm.get(**base, bold=True))
    _merge(ws, 0, right, last, PARTY, fm.get(**base, bold=True, align="right"))
    _merge(ws, 2, 0, last, sheet.title.upper(),
                   fm.get(**{**base, "font_size": 14}, bold=True, align="center", text_wrap=True))
    r = 3
    for line in heading.lines():
        _merge(ws, r, 0, last, line, fm.get(**base, align="center", text_wrap=True))
        r += 1
    _merge(ws, r, 0, last, f"Số liệu tính đến ngày {heading.as_of.strftime('%d/%m/%Y')}",
                   fm.get(**base, italic=True, align="center"))
    r += 1
    for note in sheet.notes:
        small = fm.get(**{**base, "font_size": 10}, italic=True, text_wrap=True)
        _merge(ws, r, 0, last, note, small)
        r += 1
    r += 1
    header_row = r

    # table
    widths = _column_widths(df, sheet.wrap)
    head = fm.get(**base, bold=True, text_wrap=True, valign="vcenter", align="center",
                  bg_color="#DDEBF7", border=1)
    for j, col in enumerate(df.columns):
        ws.set_column(j, j, widths[col])
        ws.write_string(header_row, j, col, head)
    ws.set_row(header_row, 15 * max([3] + [_lines(c, widths[c]) for c in df.columns]))
    columns = [df.get_column(c).to_list() for c in df.columns]
    wrapped = [(j, widths[c]) for j, c in enumerate(df.columns) if c in sheet.wrap]
    # a row's cell formats depend only on its style and depth: made once per pair, not per cell
    row_formats: dict[tuple[str, int], list[object]] = {}
    for i in range(df.height):
        row = header_row + 1 + i
        tall = max([_lines(str(columns[j][i]), width) for j, width in wrapped
                    if columns[j][i]] or [1])
        if tall > 1:
            ws.set_row(row, 15 * tall)
        key = (style[i], int(depth[i] or 0))
        formats = row_formats.get(key)
        if formats is None:
            formats = row_formats[key] = _row_formats(fm, sheet, df.columns, base, *key)
        for j, f in enumerate(formats):
            value = columns[j][i]
            if value is None:
                ws.write_blank(row, j, None, f)
            elif isinstance(value, str):
                ws.write_string(row, j, value, f)
            elif isinstance(value, bool):
                ws.write_string(row, j, "Có" if value else "Không", f)
            elif isinstance(value, (dt.date, dt.datetime)):
                ws.write_string(row, j, value.strftime("%d/%m/%Y"), f)
            else:
                ws.write_number(row, j, value, f)
    end = header_row + df.height
    if not df.height:
        end += 1
        _merge(ws, end, 0, last, sheet.empty_text, fm.get(**base, italic=True, border=1))

    # signatures
    r = end + 2
    sign = fm.get(**base, bold=True, align="center")
    hint = fm.get(**base, italic=True, align="center")
    half = max(ncol // 2, 1)
    _merge(ws, r, 0, last, "……, ngày …… tháng …… năm ……",
                   fm.get(**base, italic=True, align="right"))
    for k, (who, how) in enumerate(SIGNERS):
        c0, c1 = (0, half - 1) if k == 0 else (half, last)
        _merge(ws, r + 1, c0, c1, who, sign)
        _merge(ws, r + 2, c0, c1, how, hint)
    bottom = r + 6

    # print setup: A4 landscape, one page wide, header repeated, frozen header
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.freeze_panes(header_row + 1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer("&C&\"Times New Roman\"&9Trang &P/&N")
    ws.print_area(0, 0, bottom, last)
    if df.height:
        ws.autofilter(header_row, 0, end, len(df.columns) - 1)


def write_xlsx(report: Report, heading: Heading, path: Path) -> Path:
    tmp = _tmp_in(path.parent, ".xlsx")
    try:
        wb = xlsxwriter.Workbook(str(tmp), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "nan_inf_to_errors": True})
        fm = _Formats(wb)
        for sheet in report.sheets:
            _write_sheet(wb, fm, sheet, heading)
        wb.close()
        return _install(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

