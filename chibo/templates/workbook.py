"""Write one template workbook (xlsxwriter) for a kind of the data contract.

Sheets, in this order:
- `<kind>` (the code name, e.g. `meetings`, so the reader picks it): a title block the reader
  skips (title; context: the cell, or where the file goes; how to fill it), the header in row
  HEADER_ROW with the Vietnamese labels (the code name of each column in the header cell's
  comment), then the data rows. Every column has an
  input message with its rule; enum and boolean columns a dropdown of the Vietnamese labels;
  date and time columns Excel date/time formats; id and text columns the text format (so
  `001` stays `001`). Required columns have orange headers, optional ones grey.
- `Ví dụ`: the same layout with example rows (never read: the reader takes `<kind>`).
- `Hướng dẫn`: how to fill the sheet, and every column with its type, whether it is required,
  its rule and an example.
- `Danh mục` (hidden): the dropdown lists, referred to by workbook names `ds_<column>`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from chibo.contract import ACTION_COLUMN, CONTRACT
from chibo.templates.examples import EXAMPLES
from chibo.templates.rules import NO, ROW_MEANING, YES, ColumnGuide, kind_guide

HEADER_ROW = 4                    # Excel row of the header (1-based); title block above it
FIRST_DATA_ROW = HEADER_ROW + 1
INPUT_ROWS = 1000                 # rows below the header that get dropdowns and messages
EXAMPLE_SHEET = "Ví dụ"
GUIDE_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
REQUIRED_FILL, OPTIONAL_FILL, PREFILLED_FILL = "#F8CBAD", "#D9D9D9", "#FFF2CC"
NUMBER_FORMATS: dict[str, str] = {
    "date": "dd/mm/yyyy", "time": "hh:mm", "id": "@", "text": "@", "int": "0",
}
WIDTHS: dict[str, int] = {"id": 22, "text": 28, "enum": 24, "date": 13, "time": 10, "int": 11,
                          "decimal": 11, "bool": 12}
DISPLAY_WIDTH = 26
GUIDE_WIDTHS = (5, 28, 20, 16, 18, 70, 24)   # STT, label, code, type, required, rules, example


@dataclass(frozen=True)
class Display:
    """A column shown to the person but not read (its header cell is left empty on purpose:
    a named extra column would be reported as unknown). E.g. the member's name beside the id."""
    after: str                 # code name of the column it follows
    caption: str               # written in the title block above it, and in the comment
    values: Sequence[str]      # one per prefilled row


@dataclass(frozen=True)
class Layout:
    """What goes on the data sheet beyond the contract: prefilled rows and title lines."""
    rows: Sequence[dict[str, Any]] = ()          # contract terms (codes, True/False, dates)
    context: str = ""                            # title row 2 (default: where the file goes)
    display: Display | None = None
    row_notes: Sequence[str | None] = ()          # a comment on each prefilled row's first cell
    title_suffix: str = ""


def cell_text(guide: ColumnGuide, value: Any) -> str:
    """A value as a person reads it (the instructions' example column)."""
    if value is None:
        return ""
    if guide.type == "bool":
        return YES if value else NO
    if guide.type == "enum":
        return _label(guide, value)
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def _label(guide: ColumnGuide, code: str) -> str:
    """The dropdown label of an enum code."""
    return dict(zip(guide.codes, guide.choices)).get(code, code)


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.wb = wb
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.note = wb.add_format({"italic": True, "font_color": "#404040", "text_wrap": True,
                                   "valign": "top"})
        self.context = wb.add_format({"bold": True, "font_color": "#1F3864"})
        self.caption = wb.add_format({"italic": True, "font_color": "#404040", "align": "center",
                                      "valign": "bottom", "text_wrap": True})
        base = {"bold": True, "text_wrap": True, "valign": "vcenter", "align": "center",
                "border": 1}
        self.header_required = wb.add_format({**base, "bg_color": REQUIRED_FILL})
        self.header_optional = wb.add_format({**base, "bg_color": OPTIONAL_FILL})
        self.header_display = wb.add_format({**base, "bg_color": "#FFFFFF", "italic": True})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.bold = wb.add_format({"bold": True})
        self._column: dict[tuple[str, bool], Format] = {}

    def column(self, col_type: str, prefilled: bool = False) -> Format:
        key = (col_type, prefilled)
        if key not in self._column:
            props: dict[str, Any] = {}
            if col_type in NUMBER_FORMATS:
                props["num_format"] = NUMBER_FORMATS[col_type]
            if prefilled:
                props["bg_color"] = PREFILLED_FILL
            self._column[key] = self.wb.add_format(props)
        return self._column[key]


def _validation(guide: ColumnGuide, col_type: str, max_length: int | None,
                lo: float | None, hi: float | None) -> dict[str, Any]:
    """The data validation of a column: dropdown, or a type check with a warning."""
    title = guide.label if len(guide.label) <= 32 else guide.label[:31] + "…"
    message = guide.input_message(255)
    opts: dict[str, Any] = {
        "input_title": title, "input_message": message,
        "error_title": "Giá trị chưa đúng quy định", "error_message": message,
        "error_type": "warning", "ignore_blank": True,
    }
    if guide.choices:
        return {**opts, "validate": "list", "source": f"=ds_{guide.name}"}
    if col_type == "id":
        return {**opts, "validate": "length", "criteria": "between", "minimum": 1, "maximum": 64}
    if col_type == "text" and max_length is not None:
        return {**opts, "validate": "length", "criteria": "<=", "value": max_length}
    if col_type == "date":
        return {**opts, "validate": "date", "criteria": "between",
                "minimum": dt.date(1900, 1, 1), "maximum": dt.date(2100, 12, 31)}
    if col_type == "time":
        return {**opts, "validate": "time", "criteria": "between",
                "minimum": dt.time(0, 0), "maximum": dt.time(23, 59, 59)}
    if col_type in ("int", "decimal"):
        kind = "integer" if col_type == "int" else "decimal"
        if lo is not None and hi is not None:
            return {**opts, "validate": kind, "criteria": "between", "minimum": lo, "maximum": hi}
        if lo is not None:
            return {**opts, "validate": kind, "criteria": ">=", "value": lo}
        if hi is not None:
            return {**opts, "validate": kind, "criteria": "<=", "value": hi}
        return {**opts, "validate": kind, "criteria": "between", "minimum": -(10**9),
                "maximum": 10**9}
    return {**opts, "validate": "any"}


def _write(ws: Worksheet, row: int, col: int, guide: ColumnGuide, value: Any, fmt: Format) -> None:
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif guide.type == "bool":
        ws.write_string(row, col, YES if value else NO, fmt)
    elif guide.type == "enum":
        ws.write_string(row, col, _label(guide, value), fmt)
    elif isinstance(value, (dt.date, dt.time)):
        ws.write_datetime(row, col, value, fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _columns(guides: Sequence[ColumnGuide], layout: Layout) -> list[ColumnGuide | Display]:
    out: list[ColumnGuide | Display] = []
    for guide in guides:
        out.append(guide)
        if layout.display is not None and layout.display.after == guide.name:
            out.append(layout.display)
    return out


def _lines(text: str, width: int) -> int:
    """Lines a wrapped text takes in a column `width` characters wide (a rough measure: Excel
    and LibreOffice do not grow a row for wrapped text written by a library)."""
    words, lines, used = text.split(), 1, 0
    for word in words:
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def _width(guide: ColumnGuide) -> int:
    return max(WIDTHS[guide.type], min(30, len(guide.label) // 2 + 4))


def _merge(ws: Worksheet, row: int, first: int, last: int, text: str, fmt: Format) -> None:
    if last > first:
        ws.merge_range(row, first, row, last, text, fmt)
    elif last == first:
        ws.write_string(row, first, text, fmt)


def _data_sheet(wb: xlsxwriter.Workbook, f: _Formats, name: str, kind: str,
                guides: Sequence[ColumnGuide], layout: Layout, title: str, notes: str,
                validations: bool) -> Worksheet:
    ws = wb.add_worksheet(name)
    kind_def = CONTRACT[kind]
    cols = _columns(guides, layout)
    last = len(cols) - 1
    header = HEADER_ROW - 1
    display_at = next((i for i, c in enumerate(cols) if isinstance(c, Display)), None)
    ws.merge_range(0, 0, 0, last, title, f.title)
    ws.set_row(0, 24)   # room for the tone marks above capitals
    context = layout.context or (f"Gửi tệp vào thư mục raw/{kind}/ · không đổi tên trang "
                                 f"«{kind}» và không sửa dòng tiêu đề")
    ws.merge_range(1, 0, 1, last, context, f.context)
    widths = [DISPLAY_WIDTH if isinstance(c, Display) else _width(c) for c in cols]
    if display_at is None:
        ws.merge_range(2, 0, 2, last, notes, f.note)
        room = sum(widths)
    else:   # the caption of the shown-only column sits above it: the notes go round it
        _merge(ws, 2, 0, display_at - 1, f"Điền từ dòng {FIRST_DATA_ROW} ↓", f.note)
        _merge(ws, 2, display_at + 1, last, notes, f.note)
        room = sum(widths[display_at + 1:])
    ws.set_row(2, 15 * max(2, _lines(notes, int(room * 1.1))))
    ws.set_row(header, 48)
    for i, c in enumerate(cols):
        if isinstance(c, Display):
            ws.set_column(i, i, DISPLAY_WIDTH)
            ws.write_string(2, i, f"{c.caption} ↓", f.caption)
            ws.write_blank(header, i, None, f.header_display)
            ws.write_comment(header, i, f"{c.caption}: chỉ để đối chiếu, chương trình không "
                             "đọc cột này (ô tiêu đề để trống có chủ ý).")
            for r, text in enumerate(c.values):
                ws.write_string(FIRST_DATA_ROW - 1 + r, i, text)
            continue
        col_type = c.type
        ws.set_column(i, i, widths[i], f.column(col_type))
        ws.write_string(header, i, c.label, f.header_required if c.required else f.header_optional)
        comment = "\n".join([f"Mã cột: {c.name}", c.requirement + ".",
                             *(f"• {r}" for r in c.rules)])
        ws.write_comment(header, i, comment, {"x_scale": 2.5, "y_scale": 2.5})
        if validations:
            col_def = kind_def.column(c.name) if c.name != ACTION_COLUMN else None
            ws.data_validation(header + 1, i, header + max(INPUT_ROWS, len(layout.rows) + 200), i,
                               _validation(c, col_type, col_def.max_length if col_def else None,
                                           col_def.min_value if col_def else None,
                                           col_def.max_value if col_def else None))
        for r, row in enumerate(layout.rows):
            if c.name in row and row[c.name] is not None:
                _write(ws, header + 1 + r, i, c, row[c.name], f.column(col_type, prefilled=True))
    for r, note in enumerate(layout.row_notes):
        if note:
            ws.write_comment(header + 1 + r, 0, note)
    ws.freeze_panes(header + 1, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.repeat_rows(header)
    return ws


def _guide_sheet(wb: xlsxwriter.Workbook, f: _Formats, kind: str,
                 guides: Sequence[ColumnGuide]) -> Worksheet:
    ws = wb.add_worksheet(GUIDE_SHEET)
    k = CONTRACT[kind]
    example = EXAMPLES[kind][0] if EXAMPLES.get(kind) else {}
    for j, width in enumerate(GUIDE_WIDTHS):
        ws.set_column(j, j, width)
    ws.write_string(0, 0, f"HƯỚNG DẪN ĐIỀN MẪU: {k.label_vi.upper()} ({kind})", f.title)
    lines = [
        ROW_MEANING[kind],
        f"Điền dữ liệu ở trang «{kind}», từ dòng {FIRST_DATA_ROW}, mỗi dòng một bản ghi. Không "
        f"đổi tên trang, không sửa hay xóa dòng tiêu đề (dòng {HEADER_ROW}).",
        "Cột có tiêu đề tô cam là bắt buộc; cột tô xám có thể để trống. Ô có danh sách thả "
        "xuống: bấm vào ô rồi chọn một giá trị. Khi chọn một ô, Excel hiện quy tắc của cột.",
        "Ngày ghi theo ngày/tháng/năm, ví dụ 05/03/2025; giờ ghi giờ:phút, ví dụ 19:30. Mã "
        "(mã tổ chức, mã đảng viên, mã buổi sinh hoạt) ghi đúng như đã đăng ký, không dấu.",
        f"Lưu tệp dạng .xlsx, tên tệp bắt đầu bằng ngày gửi (ví dụ 2025-03-05-chi-bo-thon-1.xlsx), "
        f"và gửi vào thư mục raw/{kind}/.",
        "Sửa một dòng đã gửi: gửi tệp mới có dòng đã sửa (cùng mã); tệp có tên xếp sau sẽ thay "
        "dòng cũ. Rút bỏ một dòng: chọn «Xóa» ở cột «Thao tác».",
        "Trang «Ví dụ» có dòng mẫu đã điền đúng. Hướng dẫn đầy đủ: docs/huong-dan.md.",
    ]
    for i, text in enumerate(lines):
        ws.merge_range(2 + i, 0, 2 + i, len(GUIDE_WIDTHS) - 1, f"{i + 1}. {text}", f.wrap)
        ws.set_row(2 + i, 15 * _lines(f"{i + 1}. {text}", sum(GUIDE_WIDTHS)))
    top = 3 + len(lines)
    heads = ("STT", "Tiêu đề cột", "Mã cột", "Kiểu dữ liệu", "Bắt buộc", "Quy tắc", "Ví dụ")
    for j, h in enumerate(heads):
        ws.write_string(top, j, h, f.header_optional)
    for i, g in enumerate(guides):
        r = top + 1 + i
        ws.write_number(r, 0, i + 1, f.wrap)
        ws.write_string(r, 1, g.label, f.wrap)
        ws.write_string(r, 2, g.name, f.wrap)
        ws.write_string(r, 3, g.type_vi, f.wrap)
        ws.write_string(r, 4, g.requirement, f.wrap)
        ws.write_string(r, 5, "\n".join(f"• {x}" for x in g.rules), f.wrap)
        example_text = cell_text(g, example.get(g.name))
        ws.write_string(r, 6, example_text, f.wrap)
        cells = (g.label, g.name, g.type_vi, g.requirement, None, example_text)
        needed = [_lines(t, GUIDE_WIDTHS[j + 1]) for j, t in enumerate(cells) if t is not None]
        needed.append(sum(_lines(x, GUIDE_WIDTHS[5] - 2) for x in g.rules))
        ws.set_row(r, 15 * max(needed))
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    return ws


def _lists_sheet(wb: xlsxwriter.Workbook, f: _Formats, guides: Sequence[ColumnGuide]) -> None:
    ws = wb.add_worksheet(LISTS_SHEET)
    col = 0
    for g in guides:
        if not g.choices:
            continue
        ws.write_string(0, col, g.label, f.bold)
        for r, label in enumerate(g.choices):
            ws.write_string(1 + r, col, label)
        letter = xlsxwriter.utility.xl_col_to_name(col)
        wb.define_name(f"ds_{g.name}",
                       f"='{LISTS_SHEET}'!${letter}$2:${letter}${1 + len(g.choices)}")
        ws.set_column(col, col, 30)
        col += 1
    ws.hide()


def write_template(kind: str, out: Path, layout: Layout | None = None) -> Path:
    """Write the template of `kind` (prefilled with `layout.rows` if any) to `out`."""
    layout = layout or Layout()
    guides = kind_guide(kind)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    k = CONTRACT[kind]
    wb = xlsxwriter.Workbook(str(out))
    try:
        wb.set_properties({"title": f"Mẫu nhập liệu: {k.label_vi} ({kind})",
                           "subject": "chibo: mẫu nhập liệu theo quy định dữ liệu",
                           "comments": f"Sinh từ chibo/contract.py bằng `chibo template {kind}`"})
        f = _Formats(wb)
        notes = (f"{ROW_MEANING[kind]} Điền từ dòng {FIRST_DATA_ROW}. Cột tô cam là bắt buộc. "
                 "Chọn giá trị trong danh sách thả xuống; ngày ghi ngày/tháng/năm, giờ ghi "
                 "giờ:phút. Xem trang «Hướng dẫn» và «Ví dụ».")
        title = f"MẪU NHẬP LIỆU: {k.label_vi.upper()} ({kind}){layout.title_suffix}"
        data = _data_sheet(wb, f, kind, kind, guides, layout, title, notes, validations=True)
        example = Layout(rows=EXAMPLES.get(kind, []),
                         context=f"Trang này chỉ để tham khảo: hãy điền ở trang «{kind}».")
        _data_sheet(wb, f, EXAMPLE_SHEET, kind, guides, example,
                    f"VÍ DỤ: {k.label_vi.upper()} ({kind})", notes, validations=False)
        _guide_sheet(wb, f, kind, guides)
        _lists_sheet(wb, f, guides)
        data.activate()
    finally:
        wb.close()
    return out
