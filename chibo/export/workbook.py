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

xlsxwriter lays out everything but the table's rows: the title block, header, signatures,
formats and print setup. The rows are most of a national workbook (millions of cells) and
xlsxwriter writes them one Python call per cell, so they are made as sheet XML by polars
expressions, a chunk of rows at a time, and put into the sheet xlsxwriter wrote, before the
signature block (`_splice`); their texts go into xlsxwriter's shared strings. Each cell keeps
the format xlsxwriter registered for its row kind.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name

INJECTION_PATTERN = r"^[=+\-@\t\r]"
# inside a cell: where an Excel whose list separator is `;` (regional settings with a decimal
# comma, as in Vietnam) starts a new cell when it opens the CSV: after a `;` or a line break
INNER_INJECTION_PATTERN = r"([;\r\n])([=+\-@])"
STYLE = "_style"        # hidden column of a sheet's frame: "", "subtotal" or "total"
DEPTH = "_depth"        # hidden column: indentation level of the sheet's `indent` column
HIDDEN = (STYLE, DEPTH)
PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"
SIGNERS = (("Người lập biểu", "(Ký, ghi rõ họ tên)"), ("T/M Ban Thường vụ", "(Ký tên, đóng dấu)"))
ROW_HEIGHT = 15                  # points per printed line of a row
EXCEL_ROWS = 1_048_576           # rows of a sheet
BODY_CHUNK_ROWS = 20_000         # table rows made into XML at a time (bounds the memory)
ZIP_LEVEL = 6                    # zlib's default, as xlsxwriter: level 1 is twice as fast on a
                                 # national workbook and makes it 40 % bigger
# what Excel cannot hold as such in XML text: control characters, and text that reads as one
# of Excel's _xHHHH_ escapes (written as _x005F_xHHHH_, as Excel does)
CONTROL_PATTERN = r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_"


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


def _printed_lines(text: pl.Expr, width: float) -> pl.Expr:
    """Printed lines of a wrapped cell (about one character per unit of column width)."""
    per_line = max(int(width * 1.05) - 1, 1)
    return text.str.split("\n").list.eval(
        ((pl.element().str.len_chars() + per_line - 1) // per_line).clip(lower_bound=1)
    ).list.sum()


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self._cache: dict[tuple, Format] = {}

    def get(self, **props) -> Format:
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
                 style: str, depth: int) -> list[Format]:
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


ROW = "_row"           # the body's working column: the row's number in the sheet
TEXT = "_text"         # the shared strings' working columns: a text and its index
INDEX = "_index"
SHARED_STRINGS = "xl/sharedStrings.xml"


@dataclass
class _Body:
    """A sheet's table rows, to be put into the sheet XML xlsxwriter wrote."""
    member: str                          # the sheet's file inside the workbook
    before: str                          # the first row after the table (the signatures)
    frame: pl.DataFrame                  # the table's columns and each row's kind
    first_row: int                       # the sheet row (1-based) of the table's first row
    xf: dict[tuple[str, int], list[int]]  # row kind -> each column's cell format index
    wrap: dict[str, float]               # wrapped column -> its width

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c not in HIDDEN]

    def texts(self) -> list[pl.Series]:
        """Each text column's cells as the sheet shows them (yes/no and dates as the reports
        print them)."""
        return [self.frame.select(text.alias(TEXT)).get_column(TEXT)
                for c in self.columns if (text := _text(c, self.frame.schema[c])) is not None]

    def xml(self, strings: pl.DataFrame) -> Iterator[bytes]:
        """The rows as sheet XML, a chunk at a time; text cells point into `strings`."""
        frame, cells = self.frame, []
        for j, col in enumerate(self.columns):
            dtype = frame.schema[col]
            text = _text(col, dtype)
            if text is not None:    # the text's index in the shared strings, in a column
                index = f"{INDEX}{j}"
                frame = frame.with_columns(text.alias(TEXT)).join(
                    strings.rename({INDEX: index}), on=TEXT, how="left",
                    maintain_order="left").drop(TEXT)
            cells.append(_cell(col, dtype, xl_col_to_name(j), self._xf(j), f"{INDEX}{j}"))
        row = pl.concat_str([pl.lit('<row r="'), pl.col(ROW), pl.lit('"'), self._height(),
                             pl.lit(">"), *cells, pl.lit("</row>")])
        for offset in range(0, frame.height, BODY_CHUNK_ROWS):
            chunk = frame.slice(offset, BODY_CHUNK_ROWS).with_columns(
                (pl.int_range(pl.len()) + (self.first_row + offset)).cast(pl.String).alias(ROW))
            yield chunk.select(row.str.join("")).item().encode()

    def _xf(self, j: int) -> pl.Expr:
        """Column j's cell format index, by the row's kind."""
        indices = {kind: str(formats[j]) for kind, formats in self.xf.items()}
        if len(set(indices.values())) == 1:
            return pl.lit(next(iter(indices.values())))
        kind = pl.concat_str(pl.col(STYLE), pl.col(DEPTH).cast(pl.String), separator="|")
        return kind.replace_strict({f"{style}|{depth}": xf
                                    for (style, depth), xf in indices.items()})

    def _height(self) -> pl.Expr:
        """A row as tall as its longest wrapped text (as `_printed_lines` counts); default
        height otherwise."""
        if not self.wrap:
            return pl.lit("")
        lines = []
        for col, width in self.wrap.items():
            text = pl.col(col).cast(pl.String)
            lines.append(pl.when(text.is_not_null() & (text != ""))
                         .then(_printed_lines(text, width)))
        tall = pl.max_horizontal(lines).fill_null(1)
        return pl.when(tall > 1).then(pl.concat_str(
            pl.lit(' ht="'), (tall * ROW_HEIGHT).cast(pl.String), pl.lit('" customHeight="1"'))
        ).otherwise(pl.lit(""))


def _text(col: str, dtype: pl.DataType) -> pl.Expr | None:
    """A column's cells as text, when the sheet shows them as text."""
    value = pl.col(col)
    if dtype == pl.String:
        return value
    if dtype == pl.Boolean:
        return pl.when(value).then(pl.lit("Có")).otherwise(pl.lit("Không"))
    if dtype.is_temporal():
        return value.dt.strftime("%d/%m/%Y")
    return None


def _cell(col: str, dtype: pl.DataType, letter: str, xf: pl.Expr, index: str) -> pl.Expr:
    """One column's cells, as xlsxwriter writes them: text as an index into the shared strings
    (column `index`), numbers as numbers, NaN and infinity as Excel's errors, a missing value
    as an empty cell that keeps its format."""
    value = pl.col(col)
    blank = pl.lit("/>")
    if _text(col, dtype) is not None:
        content = pl.when(value.is_null()).then(blank).otherwise(pl.concat_str(
            pl.lit(' t="s"><v>'), pl.col(index).cast(pl.String), pl.lit("</v></c>")))
    elif dtype.is_numeric():
        number = pl.concat_str(pl.lit("><v>"), value.cast(pl.String), pl.lit("</v></c>"))
        content = pl.when(value.is_null()).then(blank)
        if dtype.is_float():
            content = content.when(value.is_nan()).then(pl.lit(' t="e"><v>#NUM!</v></c>')) \
                .when(value.is_infinite()).then(pl.lit(' t="e"><v>#DIV/0!</v></c>'))
        content = content.otherwise(number)
    elif dtype == pl.Null:
        content = blank
    else:
        raise TypeError(f"column {col!r}: no workbook cell for {dtype}")
    return pl.concat_str(pl.lit(f'<c r="{letter}'), pl.col(ROW), pl.lit('" s="'), xf,
                         pl.lit('"'), content)


def _shared_strings(texts: list[pl.Series], first: int) -> pl.DataFrame:
    """Every distinct text of the rows, numbered from `first` (after xlsxwriter's own)."""
    if not texts:
        return pl.DataFrame(schema={TEXT: pl.String, INDEX: pl.Int64})
    return pl.concat(texts).drop_nulls().unique().to_frame(TEXT).with_columns(
        (pl.int_range(pl.len()) + first).alias(INDEX))


def _escape_control(text: str) -> str:
    """Control characters as Excel's _xHHHH_ escapes, and text that reads as one escaped
    (as xlsxwriter does; only the few strings that hold one come here)."""
    text = re.sub(r"(_x[0-9a-fA-F]{4}_)", r"_x005F\1", text)
    text = re.sub(r"([\x00-\x08\x0b-\x1f])", lambda m: f"_x{ord(m.group(1)):04X}_", text)
    return text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def _string_items(strings: pl.DataFrame) -> bytes:
    """The shared strings' `<si>` items, in index order."""
    control = strings.get_column(TEXT).str.contains(CONTROL_PATTERN)
    if control.any():
        strings = pl.concat([strings.filter(~control), strings.filter(control).with_columns(
            pl.col(TEXT).map_elements(_escape_control, return_dtype=pl.String))])
    text = pl.col(TEXT)
    escaped = (text.str.replace_all("&", "&amp;", literal=True)
               .str.replace_all("<", "&lt;", literal=True)
               .str.replace_all(">", "&gt;", literal=True))
    space = pl.when(text.str.contains(r"^\s|\s$")).then(pl.lit(' xml:space="preserve"')) \
        .otherwise(pl.lit(""))
    item = pl.concat_str(pl.lit("<si><t"), space, pl.lit(">"), escaped, pl.lit("</t></si>"))
    return strings.sort(INDEX).select(item.str.join("")).item().encode()


def _with_strings(sst: bytes, strings: pl.DataFrame, references: int) -> bytes:
    """xlsxwriter's shared strings with the rows' appended, and the counts updated."""
    def add(attribute: bytes, extra: int, xml: bytes) -> bytes:
        return re.sub(rb' ' + attribute + rb'="(\d+)"',
                      lambda m: b' %s="%d"' % (attribute, int(m.group(1)) + extra), xml, count=1)
    head, end, tail = sst.rpartition(b"</sst>")
    if not end:
        raise RuntimeError(f"{SHARED_STRINGS} has no </sst>")
    head = add(b"count", references, add(b"uniqueCount", strings.height, head))
    return head + _string_items(strings) + end + tail


def _splice(path: Path, bodies: list[_Body]) -> None:
    """Put each sheet's table rows into the workbook xlsxwriter wrote at `path`, and their
    texts into its shared strings; the other files of the workbook are copied as they are."""
    out = _tmp_in(path.parent, ".xlsx")
    try:
        by_member = {body.member: body for body in bodies}
        with zipfile.ZipFile(path) as src, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as dst:
            sst = src.read(SHARED_STRINGS)
            found = re.search(rb'uniqueCount="(\d+)"', sst)
            if found is None:
                raise RuntimeError(f"{path.name}: {SHARED_STRINGS} has no uniqueCount")
            texts = [t for body in bodies for t in body.texts()]
            strings = _shared_strings(texts, int(found.group(1)))
            references = sum(t.count() for t in texts)
            for info in src.infolist():
                body = by_member.pop(info.filename, None)
                if info.filename == SHARED_STRINGS:
                    dst.writestr(info.filename, _with_strings(sst, strings, references))
                elif body is None:
                    dst.writestr(info, src.read(info))
                else:
                    _put_rows(dst, info.filename, src.read(info), body, strings)
        if by_member:
            raise RuntimeError(f"{path.name}: no sheet {sorted(by_member)} to put rows into")
        os.replace(out, path)
    finally:
        out.unlink(missing_ok=True)


def _put_rows(dst: zipfile.ZipFile, member: str, xml: bytes, body: _Body,
              strings: pl.DataFrame) -> None:
    """The sheet's XML, with the body's rows before its signature block, streamed into `dst`."""
    at = xml.find(body.before.encode())
    if at < 0:
        raise RuntimeError(f"{member} has no {body.before}>, before which the rows go")
    big = body.frame.height * body.frame.width * 200 > zipfile.ZIP64_LIMIT
    with dst.open(member, "w", force_zip64=big) as sheet_xml:
        sheet_xml.write(xml[:at])
        for chunk in body.xml(strings):
            sheet_xml.write(chunk)
        sheet_xml.write(xml[at:])


def _row_kinds(frame: pl.DataFrame) -> pl.DataFrame:
    """Each row's kind: its style ("" when none) and depth (0 when none)."""
    style = pl.col(STYLE).cast(pl.String).fill_null("") if STYLE in frame.columns else pl.lit("")
    depth = (pl.col(DEPTH).cast(pl.Int64).fill_null(0) if DEPTH in frame.columns
             else pl.lit(0, pl.Int64))
    return frame.with_columns(style.alias(STYLE), depth.alias(DEPTH)).select(STYLE, DEPTH)


def _write_sheet(wb: xlsxwriter.Workbook, fm: _Formats, sheet: Sheet,
                 heading: Heading) -> _Body | None:
    """Lay out the sheet but its table's rows; return those rows, to be put in by `_splice`."""
    kinds = _row_kinds(sheet.frame)
    df = sheet.frame.drop([c for c in HIDDEN if c in sheet.frame.columns])
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

    # table: the header here, the rows by `_splice`
    widths = _column_widths(df, sheet.wrap)
    head = fm.get(**base, bold=True, text_wrap=True, valign="vcenter", align="center",
                  bg_color="#DDEBF7", border=1)
    for j, col in enumerate(df.columns):
        ws.set_column(j, j, widths[col])
        ws.write_string(header_row, j, col, head)
    header_lines = pl.select(pl.max_horizontal(
        pl.lit(3), *[_printed_lines(pl.lit(c, pl.String), widths[c]) for c in df.columns])).item()
    ws.set_row(header_row, ROW_HEIGHT * header_lines)
    end = header_row + df.height
    if end + 7 > EXCEL_ROWS:   # xlsxwriter dropped such rows without a word; say so instead
        raise ValueError(f"{sheet.name}: {df.height:,} rows do not fit in an Excel sheet "
                         f"({EXCEL_ROWS:,} rows)")
    body = None
    if df.height:
        # a row's cell formats depend only on its kind: registered once per kind, not per cell
        xf = {(style, depth): [f._get_xf_index() for f in
                               _row_formats(fm, sheet, df.columns, base, style, depth)]
              for style, depth in kinds.unique().iter_rows()}
        body = _Body(member=f"xl/worksheets/sheet{ws.index + 1}.xml",
                     before=f'<row r="{end + 3}"',     # the signature block's first row
                     frame=pl.concat([df, kinds], how="horizontal"),
                     first_row=header_row + 2, xf=xf,
                     wrap={c: widths[c] for c in df.columns if c in sheet.wrap})
    else:
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
    return body


def write_xlsx(report: Report, heading: Heading, path: Path) -> Path:
    tmp = _tmp_in(path.parent, ".xlsx")
    try:
        wb = xlsxwriter.Workbook(str(tmp), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "nan_inf_to_errors": True})
        fm = _Formats(wb)
        bodies = [body for sheet in report.sheets
                  if (body := _write_sheet(wb, fm, sheet, heading)) is not None]
        wb.close()
        if bodies:
            _splice(tmp, bodies)
        return _install(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

