"""`chibo template`: workbooks generated from the data contract, and what each one promises."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from chibo.cli import main
from chibo.contract import CONTRACT, KINDS
from chibo.read import read_file
from chibo.rulebooks import load_rulebooks
from chibo.templates import (
    EXAMPLE_SHEET,
    FIRST_DATA_ROW,
    GUIDE_SHEET,
    HEADER_ROW,
    LISTS_SHEET,
    attendance_sheet,
    meetings_sheet,
    write_all,
    write_template,
)
from chibo.templates.examples import EXAMPLES
from chibo.templates.rules import ROW_MEANING
from chibo.validate import validate_file
from tests.helpers import integrate_only, settings
from tests.templates.filling import dropdowns, fill, header, header_row, prefilled, validations

AS_OF = dt.date(2026, 3, 1)


def labels(kind: str) -> list[str]:
    return [c.label_vi for c in CONTRACT[kind].columns] + ["Thao tác"]


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("templates")
    return {p.stem: p for p in write_all(folder)}


def test_a_template_for_every_kind(templates):
    assert sorted(templates) == sorted(KINDS)
    for kind, path in templates.items():
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == [kind, EXAMPLE_SHEET, GUIDE_SHEET, LISTS_SHEET]
        assert wb.active.title == kind
        assert wb[LISTS_SHEET].sheet_state == "hidden"


@pytest.mark.parametrize("kind", KINDS)
def test_header_is_the_labels_below_a_title_block_with_code_names_in_comments(templates, kind):
    ws = openpyxl.load_workbook(templates[kind])[kind]
    assert header_row(ws, kind) == HEADER_ROW <= 10
    assert [c.value for c in ws[HEADER_ROW]] == labels(kind)
    codes = [*CONTRACT[kind].column_names, "action"]
    assert [c.comment.text.splitlines()[0] for c in ws[HEADER_ROW]] == [
        f"Mã cột: {code}" for code in codes]
    assert ws["A1"].value.startswith("MẪU NHẬP LIỆU") and f"({kind})" in ws["A1"].value
    assert ROW_MEANING[kind] in ws["A3"].value and f"raw/{kind}/" in ws["A2"].value
    # an untouched template: the reader finds the header and says only that no row was filled
    problems = validate_file(templates[kind], kind, AS_OF, load_rulebooks())
    assert [p.check_name for p in problems] == ["file_rejected"]
    assert "chỉ có dòng tiêu đề, không có dòng dữ liệu nào" in problems[0].message_vi


@pytest.mark.parametrize("kind", KINDS)
def test_every_enum_and_boolean_column_has_a_dropdown_of_its_labels(templates, kind):
    wb = openpyxl.load_workbook(templates[kind])
    ws = wb[kind]
    cols = header(ws, kind)
    lists = dropdowns(wb, ws)
    for col in CONTRACT[kind].columns:
        if col.type == "enum":
            assert lists[cols[col.label_vi]] == [labels[0] for labels in col.enum.values()]
        elif col.type == "bool":
            assert lists[cols[col.label_vi]] == ["Có", "Không"]
        else:
            assert cols[col.label_vi] not in lists
    assert lists[cols["Thao tác"]] == ["Cập nhật", "Xóa"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_column_has_an_input_message_and_its_format(templates, kind):
    ws = openpyxl.load_workbook(templates[kind])[kind]
    cols = header(ws, kind)
    checks = validations(ws)
    formats = {}
    for dim in ws.column_dimensions.values():
        for i in range(dim.min, dim.max + 1):
            formats[i] = dim.number_format
    for col in CONTRACT[kind].columns:
        dv = checks[cols[col.label_vi]]
        first = ws.cell(FIRST_DATA_ROW, cols[col.label_vi]).coordinate
        assert str(dv.sqref).startswith(f"{first}:")
        assert dv.showInputMessage and 0 < len(dv.prompt) <= 255 and len(dv.promptTitle) <= 32
        assert dv.prompt.startswith(("Bắt buộc", "Không bắt buộc"))
        expected = {"date": "dd/mm/yyyy", "time": "hh:mm", "id": "@", "text": "@", "int": "0"}
        if col.type in expected:
            assert formats[cols[col.label_vi]] == expected[col.type], col.name
        if col.type == "enum":   # the choices are in the message
            assert all(labels[0] in dv.prompt for labels in col.enum.values())


def test_input_messages_carry_the_rules_of_the_contract(templates):
    ws = openpyxl.load_workbook(templates["meetings"])["meetings"]
    cols = header(ws, "meetings")
    prompt = {label: validations(ws)[c].prompt for label, c in cols.items()}
    assert "Giờ kết thúc phải sau Giờ bắt đầu" in prompt["Giờ kết thúc"]
    assert "chuyên đề" in prompt["Chủ đề"] and prompt["Chủ đề"].startswith("Bắt buộc trong")
    assert "từ 0 đến 50" in prompt["Số cấp ủy viên cấp trên dự"]
    assert "DD/MM/YYYY" in prompt["Ngày sinh hoạt"]
    ws = openpyxl.load_workbook(templates["assessments"])["assessments"]
    cols = header(ws, "assessments")
    prompt = {label: validations(ws)[c].prompt for label, c in cols.items()}
    assert prompt["Tổng điểm"].startswith("Bắt buộc từ năm 2025")   # from the rulebooks


@pytest.mark.parametrize("kind", KINDS)
def test_instructions_sheet_lists_every_column(templates, kind):
    ws = openpyxl.load_workbook(templates[kind])[GUIDE_SHEET]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    top = next(i for i, r in enumerate(rows) if r[0] == "STT")
    assert rows[top] == ["STT", "Tiêu đề cột", "Mã cột", "Kiểu dữ liệu", "Bắt buộc", "Quy tắc",
                         "Ví dụ"]
    table = rows[top + 1:]
    assert [r[1] for r in table] == labels(kind)
    assert [r[2] for r in table] == [*CONTRACT[kind].column_names, "action"]
    for col, r in zip(CONTRACT[kind].columns, table):
        assert r[3] and r[5], col.name
        assert r[4].startswith("Bắt buộc") if col.is_required and not col.optional_key else r[4]
    # every required column has an example
    assert all(r[6] for col, r in zip(CONTRACT[kind].columns, table) if col.is_required)


@pytest.mark.parametrize("kind", KINDS)
def test_examples_cover_every_column_and_pass_validation(templates, kind, tmp_path):
    assert all(set(row) == set(CONTRACT[kind].column_names) for row in EXAMPLES[kind])
    # the example sheet copied into the data sheet, as a person would copy it
    wb = openpyxl.load_workbook(templates[kind])
    ex, ws = wb[EXAMPLE_SHEET], wb[kind]
    assert header_row(ex, kind) == HEADER_ROW
    n = 0
    for r in range(FIRST_DATA_ROW, ex.max_row + 1):
        for c in range(1, ex.max_column + 1):
            ws.cell(r, c).value = ex.cell(r, c).value
        n += 1
    out = tmp_path / kind / "vi-du.xlsx"
    out.parent.mkdir()
    wb.save(out)
    assert n == len(EXAMPLES[kind])
    assert validate_file(out, kind, AS_OF, load_rulebooks()) == []
    assert read_file(out, kind).frame.height == n


# --- prefilled sheets ----------------------------------------------------------------------

CELL, OTHER = "X1-C1", "X1-C2"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """A warehouse whose cell X1-C1 has 3 active, 1 exempt and 2 inactive members."""
    tmp = tmp_path_factory.mktemp("prefill")
    raw = tmp / "raw"
    orgs = [dict(org_id="T", name="Đảng bộ tỉnh", level="Đảng bộ tỉnh", kind="Khác"),
            dict(org_id="X1", name="Đảng bộ xã Một", level="Đảng bộ cơ sở", parent_id="T",
                 kind="Xã, phường, đặc khu"),
            dict(org_id=CELL, name="Chi bộ thôn Một", level="Chi bộ trực thuộc", parent_id="X1",
                 kind="Khu dân cư"),
            dict(org_id=OTHER, name="Chi bộ thôn Hai", level="Chi bộ trực thuộc",
                 parent_id="X1", kind="Khu dân cư")]
    fill(write_template("org_units", tmp / "o.xlsx"), "org_units", orgs,
         out=raw / "org_units" / "o.xlsx")
    people = [("M04", "Đinh Văn Bốn", CELL, "Đang sinh hoạt"),
              ("M01", "Ngô Thị Một", CELL, "Đang sinh hoạt"),
              ("M02", "Lý Văn Hai", CELL, "Miễn sinh hoạt"),
              ("M03", "Bùi Thị Ba", CELL, "Chuyển đi"),
              ("M05", "Mai Văn Năm", CELL, "Từ trần"),
              ("M06", "Tô Thị Sáu", CELL, "Đang sinh hoạt"),
              ("M07", "Hồ Văn Bảy", OTHER, "Đang sinh hoạt")]
    fill(write_template("members", tmp / "m.xlsx"), "members", [
        dict(member_id=m, full_name=n, birth_date=dt.date(1980, 1, 1), sex="Nam", cell_id=c,
             joined_on=dt.date(2005, 1, 1), status=s) for m, n, c, s in people],
        out=raw / "members" / "m.xlsx")
    s = settings(tmp, raw, as_of=AS_OF)
    integrate_only(s)
    return s.warehouse


def test_prefilled_attendance_lists_exactly_the_active_members(warehouse, tmp_path):
    path = attendance_sheet(tmp_path / "dd.xlsx", warehouse, CELL, "X1-C1.20260210")
    rows = prefilled(path, "attendance")
    assert [(r["meeting_id"], r["member_id"], r.get("status")) for r in rows] == [
        ("X1-C1.20260210", "M01", None), ("X1-C1.20260210", "M02", "Miễn sinh hoạt"),
        ("X1-C1.20260210", "M04", None), ("X1-C1.20260210", "M06", None)]
    wb = openpyxl.load_workbook(path)
    ws = wb["attendance"]
    # the name beside the id, under an empty header cell (shown, not read)
    assert [ws.cell(r, 3).value for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 4)] == [
        "Ngô Thị Một", "Lý Văn Hai", "Đinh Văn Bốn", "Tô Thị Sáu"]
    assert ws.cell(HEADER_ROW, 3).value is None
    assert ws.cell(HEADER_ROW - 1, 3).value.startswith("Họ và tên")
    assert "Chi bộ thôn Một (X1-C1)" in ws["A2"].value
    assert dropdowns(wb, ws)[header(ws, "attendance")["Tình trạng dự họp"]][0] == "Có mặt"
    # filled in by the secretary: clean, nothing unknown read
    done = fill(path, "attendance", [
        dict(member_id="M01", status="Có mặt", spoke="Có"),
        dict(member_id="M04", status="Vắng có lý do", absence_reason="Ốm"),
        dict(member_id="M06", status="Vắng không lý do")], match="member_id",
        out=tmp_path / "attendance" / "dd.xlsx")
    assert validate_file(done, "attendance", AS_OF, load_rulebooks()) == []
    read = read_file(done, "attendance")
    assert read.warnings == []
    assert read.frame["member_id"].to_list() == ["M01", "M02", "M04", "M06"]
    assert read.frame["source_row"].to_list() == [5, 6, 7, 8]


def test_prefilled_attendance_without_a_meeting_leaves_its_id_to_fill(warehouse, tmp_path):
    rows = prefilled(attendance_sheet(tmp_path / "dd.xlsx", warehouse, CELL), "attendance")
    assert [r.get("meeting_id") for r in rows] == [None] * 4


def test_prefilled_meetings_has_a_row_per_month(warehouse, tmp_path):
    path = meetings_sheet(tmp_path / "sh.xlsx", CELL, 2026, warehouse)
    rows = prefilled(path, "meetings")
    assert [(r["cell_id"], r["meeting_type"]) for r in rows] == [
        (CELL, "Thường kỳ kết hợp chuyên đề" if m % 3 == 0 else "Thường kỳ") for m in range(1, 13)]
    ws = openpyxl.load_workbook(path)["meetings"]
    assert "NĂM 2026" in ws["A1"].value and "Chi bộ thôn Một" in ws["A2"].value
    assert ws.cell(FIRST_DATA_ROW + 2, 1).comment.text.startswith("Tháng 3/2026")


@pytest.mark.parametrize("args, words", [
    (["attendance", "--cell", "NOPE"], "không có tổ chức NOPE"),
    (["attendance", "--cell", "X1"], "không phải chi bộ"),
    (["meetings", "--cell", CELL], "needs --year"),
    (["members", "--cell", CELL], "attendance and meetings templates only"),
    (["members", "--meeting", "M"], "attendance template only"),
])
def test_template_misuse_says_why(warehouse, tmp_path, capsys, args, words):
    code = main(["template", *args, "--warehouse", str(warehouse),
                 "--out", str(tmp_path / "x.xlsx")])
    assert code == 2
    assert words in capsys.readouterr().err


def test_template_command_writes_files(tmp_path, capsys, monkeypatch):
    assert main(["template", "official_ratings", "--out", str(tmp_path / "xl.xlsx")]) == 0
    assert (tmp_path / "xl.xlsx").is_file()
    assert main(["template", "--all", "--out", str(tmp_path / "all")]) == 0
    assert sorted(p.stem for p in (tmp_path / "all").glob("*.xlsx")) == sorted(KINDS)
    assert main(["template", "meetings", "--out", str(tmp_path / "x.csv")]) == 2
    assert "--out must name an .xlsx file" in capsys.readouterr().err
    # a prefilled meetings sheet needs no warehouse, unless one is named
    assert main(["template", "meetings", "--cell", "C9", "--year", "2026",
                 "--warehouse", str(tmp_path / "none.duckdb"),
                 "--out", str(tmp_path / "m.xlsx")]) == 2
    assert "no warehouse at" in capsys.readouterr().err
    monkeypatch.setenv("CHIBO_WAREHOUSE", str(tmp_path / "none.duckdb"))
    assert main(["template", "meetings", "--cell", "C9", "--year", "2026",
                 "--out", str(tmp_path / "m.xlsx")]) == 0
    assert [r["cell_id"] for r in prefilled(tmp_path / "m.xlsx", "meetings")] == ["C9"] * 12
