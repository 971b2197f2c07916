"""The official workbooks' table cells, which chibo writes as sheet XML itself (not through
xlsxwriter's per-cell calls): every value reads back as the frame holds it, with its row's
format, on every sheet, whatever the text holds."""
from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from chibo.export.workbook import EXCEL_ROWS, Heading, Report, Sheet, write_xlsx

HARD_TEXT = ["Chi bộ A & <B>", "  lề trái", "có\x07chuông", "_x0041_ nguyên văn", "",
             "dòng một\ndòng hai\ndòng ba", "=1+1", "Đảng bộ xã Cư Jút"]
# a control character is held as Excel's escape, which openpyxl shows as it is (its cells cannot
# hold one); Excel and LibreOffice read the character back (see test_libreoffice.py)
EXCEL_ESCAPES = {"có\x07chuông": "có_x0007_chuông"}


def _frame() -> pl.DataFrame:
    n = len(HARD_TEXT)
    return pl.DataFrame({
        "Tên tổ chức": HARD_TEXT,
        "Số đảng viên": [1, None, 3, 4, 5, 6, 7, 8],
        "Tỷ lệ": [0.5, 1 / 3, float("nan"), float("inf"), None, 0.0, 1.0, 0.25],
        "4 tốt": [True, False, None, True, False, True, False, True],
        "Ngày họp": [dt.date(2025, 1, 2), None] + [dt.date(2025, 12, 31)] * (n - 2),
        "_style": ["total", "subtotal"] + [""] * (n - 2),
        "_depth": [0, 1, 2, 2, 3, 1, 0, None],
    })


def _write(path: Path) -> Path:
    main = Sheet("Xếp loại", "Xếp loại tổ chức", _frame(),
                 number_formats={"Tỷ lệ": "0.0%"}, indent="Tên tổ chức", wrap=("Tên tổ chức",))
    second = Sheet("Khác", "Bảng thứ hai", pl.DataFrame({"Mã": ["x"], "Giá trị": [2.5]}))
    empty = Sheet("Trống", "Bảng trống", pl.DataFrame(schema={"Mã": pl.String}))
    report = Report("bao-cao", None, [main, empty, second])
    return write_xlsx(report, Heading("Đảng bộ tỉnh", dt.date(2026, 3, 15), 2025, "QĐ 366"),
                      path)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> openpyxl.Workbook:
    return openpyxl.load_workbook(_write(tmp_path_factory.mktemp("wb") / "bao-cao.xlsx"))


def _table(ws) -> tuple[int, list[list[object]]]:
    header = next(r for r in range(1, ws.max_row + 1)
                  if ws.cell(r, 1).value in ("Tên tổ chức", "Mã"))
    rows = []
    for r in range(header + 1, ws.max_row + 1):
        if ws.cell(r, 1).value is not None and str(ws.cell(r, 1).value).startswith("……"):
            break
        rows.append([ws.cell(r, c).value for c in range(1, ws.max_column + 1)])
    return header, [row for row in rows if any(v is not None for v in row)]


def test_every_value_reads_back_as_the_frame_holds_it(workbook):
    header, rows = _table(workbook["Xếp loại"])
    expected = []
    for row in _frame().drop("_style", "_depth").iter_rows():
        name, members, rate, four, day = row
        expected.append([
            EXCEL_ESCAPES.get(name, name),
            members,
            "#NUM!" if rate is not None and math.isnan(rate) else
            "#DIV/0!" if rate is not None and math.isinf(rate) else rate,
            None if four is None else ("Có" if four else "Không"),
            None if day is None else day.strftime("%d/%m/%Y"),
        ])
    assert rows == expected
    assert [c.value for c in workbook["Xếp loại"][header]] == [
        "Tên tổ chức", "Số đảng viên", "Tỷ lệ", "4 tốt", "Ngày họp"]


def test_text_cells_are_text_never_formulas(workbook):
    ws = workbook["Xếp loại"]
    header, _ = _table(ws)
    cells = [ws.cell(r, 1) for r in range(header + 1, header + 1 + len(HARD_TEXT))]
    assert [c.data_type for c in cells] == ["s"] * len(HARD_TEXT)


def test_rows_keep_their_kind_format_and_height(workbook):
    ws = workbook["Xếp loại"]
    header, _ = _table(ws)
    total, subtotal, plain = (ws.cell(header + i, 1) for i in (1, 2, 3))
    assert total.font.b and total.fill.fgColor.rgb == "FFF2F2F2"
    assert subtotal.font.b and subtotal.fill.fill_type is None
    assert not plain.font.b and plain.font.name == "Times New Roman"
    indents = [ws.cell(header + i, 1).alignment.indent for i in range(1, 9)]
    assert indents == [0, 1, 2, 2, 3, 1, 0, 0]
    assert ws.cell(header + 1, 3).number_format == "0.0%"
    assert ws.cell(header + 1, 2).border.left.style == "thin"
    # three printed lines for the three-line name; one line (the default) for the others
    assert ws.row_dimensions[header + 6].height == 45
    assert ws.row_dimensions[header + 1].height is None


def test_every_sheet_has_its_rows_and_the_signatures_after_them(workbook):
    assert workbook.sheetnames == ["Xếp loại", "Trống", "Khác"]
    assert _table(workbook["Khác"])[1] == [["x", 2.5]]
    empty = [c.value for row in workbook["Trống"].iter_rows() for c in row if c.value]
    assert "Không có dòng nào." in empty
    for ws in workbook.worksheets:
        signed = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Người lập biểu"]
        assert len(signed) == 1 and signed[0] > _table(ws)[0]


def test_text_cells_point_into_the_shared_strings(tmp_path):
    path = _write(tmp_path / "bao-cao.xlsx")
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        sst = z.read("xl/sharedStrings.xml").decode()
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    indices = [int(i) for sheet in sheets for i in re.findall(r' t="s"><v>(\d+)</v>', sheet)]
    unique = int(re.search(r'uniqueCount="(\d+)"', sst).group(1))
    assert unique == sst.count("<si>") and max(indices) == unique - 1
    assert int(re.search(r' count="(\d+)"', sst).group(1)) >= len(indices)
    assert "_x0007_" in sst and "_x005F_x0041_" in sst and "A &amp; &lt;B&gt;" in sst
    assert not list(tmp_path.glob(".tmp-*"))


def test_a_table_longer_than_a_sheet_is_refused_not_cut(tmp_path):
    frame = pl.DataFrame({"Mã": pl.int_range(EXCEL_ROWS, eager=True)})
    report = Report.single("qua-dai", Sheet("Dài", "Quá dài", frame))
    with pytest.raises(ValueError, match="do not fit in an Excel sheet"):
        write_xlsx(report, Heading("Đảng bộ tỉnh", dt.date(2026, 3, 15)), tmp_path / "x.xlsx")
    assert not list(tmp_path.iterdir())
