"""write_exports: files, BOM, Vietnamese headers, tree order, neutralisation, xlsx twins."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from chibo.export import document_warehouse, write_exports
from chibo.export.reports import neutralise

BOM = b"\xef\xbb\xbf"
TREE_ORGS = ["H01-CB1", "H01-X01", "H01-X01-C01", "H01-X01-C02", "H01-X01-C03", "H02-CB1"]
TREE_CELLS = ["H01-CB1", "H01-X01-C01", "H01-X01-C02", "H01-X01-C03", "H02-CB1"]
REPORTS = {   # stem -> (sheet prefix, first headers)
    "xep-loai-to-chuc": ("Xếp loại tổ chức", ["Mã tổ chức", "Tên tổ chức", "Cấp", "Mã tổ chức cấp trên",
                                             "Tên tổ chức cấp trên", "Xếp loại", "Xếp loại (tên đầy đủ)",
                                             "Hoàn thành tốt nhiệm vụ chính trị", "Chất lượng sinh hoạt tốt",
                                             "Đoàn kết, kỷ luật tốt", "Cán bộ, đảng viên tốt", "4 tốt",
                                             "Lý do xếp loại", "Lý do chưa đạt tiêu chí 4 tốt"]),
    "tong-hop-xep-loai": ("Tổng hợp xếp loại", ["Mã tổ chức cấp trên", "Tổ chức cấp trên",
                                                "Đối tượng xếp loại", "Tổng số tổ chức",
                                                "Số tổ chức được xếp loại", "HTXSNV: số lượng",
                                                "HTXSNV: tỷ lệ (%)", "HTTNV: số lượng", "HTTNV: tỷ lệ (%)",
                                                "HTNV: số lượng", "HTNV: tỷ lệ (%)", "KHTNV: số lượng",
                                                "KHTNV: tỷ lệ (%)", "Chưa xếp loại", "4 tốt: số lượng",
                                                "4 tốt: tỷ lệ (%)"]),
    "chat-luong-sinh-hoat-chi-bo": ("Chất lượng sinh hoạt", ["Mã chi bộ", "Tên chi bộ", "Tổ chức cấp trên",
                                                             "Số tháng hoạt động",
                                                             "Số tháng có sinh hoạt thường kỳ",
                                                             "Các tháng thiếu sinh hoạt thường kỳ"]),
    "de-nghi-xoa-ten": ("Đề nghị xóa tên", ["Mã đảng viên", "Họ và tên", "Năm sinh", "Chi bộ", "Mã chi bộ",
                                            "Tổ chức cấp trên", "Các tháng vắng không lý do",
                                            "Số tháng vắng không lý do", "Số buổi vắng không lý do"]),
}
ERROR_HEADERS = ["Tệp", "Dòng", "Loại dữ liệu", "Cột", "Giá trị", "Nội dung lỗi", "Tình trạng", "Mã kiểm tra"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(BOM), f"{path.name} has no UTF-8 BOM"
    text = raw[3:].decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def header(path: Path) -> list[str]:
    return next(csv.reader(io.StringIO(path.read_bytes()[3:].decode("utf-8"), newline="")))


def test_files_written(exports):
    names = sorted(str(p.relative_to(exports)) for p in exports.rglob("*") if p.is_file())
    expected = ["du-lieu-loi.csv", "du-lieu-loi.xlsx"]
    for y in (2023, 2024):
        for stem in REPORTS:
            expected += [f"{y}/{stem}-{y}.csv", f"{y}/{stem}-{y}.xlsx"]
    assert names == sorted(expected)       # no temp file left behind


def test_return_value_and_rewrite(warehouse, tmp_path):
    c = duckdb.connect(str(warehouse))
    document_warehouse(c)
    first = write_exports(c, tmp_path / "out")
    second = write_exports(c, tmp_path / "out")     # overwrites in place (os.replace)
    c.close()
    assert first == second and all(p.exists() for p in first)
    assert len(first) == 2 * (1 + 2 * len(REPORTS))
    assert not list((tmp_path / "out").rglob(".tmp-*"))


@pytest.mark.parametrize("stem", REPORTS)
@pytest.mark.parametrize("year", [2023, 2024])
def test_bom_and_vietnamese_headers(exports, stem, year):
    path = exports / str(year) / f"{stem}-{year}.csv"
    h = header(path)
    assert h[: len(REPORTS[stem][1])] == REPORTS[stem][1]
    assert len(h) == len(set(h))


def test_classification(exports):
    rows = read_csv(exports / "2023" / "xep-loai-to-chuc-2023.csv")
    assert [r["Mã tổ chức"] for r in rows] == TREE_ORGS          # depth first, siblings by id
    by = {r["Mã tổ chức"]: r for r in rows}
    c2 = by["H01-X01-C02"]
    assert (c2["Xếp loại"], c2["Xếp loại (tên đầy đủ)"], c2["4 tốt"]) == \
        ("HTXSNV", "Hoàn thành xuất sắc nhiệm vụ", "Có")
    assert c2["Tên tổ chức"] == "'-Chi bộ thôn Đức Thành"        # neutralised
    assert c2["Tên tổ chức cấp trên"] == "'=Đảng bộ xã Đức Mạnh"
    assert c2["Cấp"] == "Chi bộ trực thuộc" and by["H01-X01"]["Cấp"] == "Đảng bộ cơ sở"
    c3 = by["H01-X01-C03"]
    assert c3["Xếp loại"] == "KHTNV" and c3["Chất lượng sinh hoạt tốt"] == "Không"
    assert c3["Lý do xếp loại"].count(";") == 1
    assert "Đoàn kết, kỷ luật tốt: " in c3["Lý do chưa đạt tiêu chí 4 tốt"]
    un = by["H02-CB1"]
    assert (un["Xếp loại"], un["Xếp loại (tên đầy đủ)"]) == ("", "Chưa xếp loại")
    assert by["H01-CB1"]["Hạ do vượt tỷ lệ 20% HTXSNV"] == "Có"
    code = re.compile(r"\b[a-z]+(_[a-z]+)+\b")
    for r in rows:       # every reason translated, no bare code left
        for col in ("Lý do xếp loại", "Lý do chưa đạt tiêu chí 4 tốt"):
            assert not code.search(r[col]), r[col]
    assert by["H02-CB1"]["Lý do xếp loại"] and any(ord(ch) > 127 for ch in by["H02-CB1"]["Lý do xếp loại"])


def test_reason_texts_can_be_plugged(warehouse, tmp_path):
    c = duckdb.connect(str(warehouse))
    write_exports(c, tmp_path, reason_texts={"no_assessment": "Thiếu đánh giá (thử)"})
    c.close()
    rows = read_csv(tmp_path / "2024" / "xep-loai-to-chuc-2024.csv")
    assert {r["Lý do xếp loại"] for r in rows} == {"Thiếu đánh giá (thử)"}


def test_summary(exports):
    rows = read_csv(exports / "2023" / "tong-hop-xep-loai-2023.csv")
    assert [r["Mã tổ chức cấp trên"] for r in rows] == ["H01", "H01-X01", "H02"]
    x = rows[1]
    assert x["Đối tượng xếp loại"] == "Chi bộ trực thuộc"
    assert (x["Tổng số tổ chức"], x["HTXSNV: số lượng"], x["HTXSNV: tỷ lệ (%)"], x["KHTNV: tỷ lệ (%)"],
            x["Chưa xếp loại"], x["4 tốt: số lượng"], x["4 tốt: tỷ lệ (%)"]) == \
        ("3", "1", "33.33", "33.33", "0", "1", "33.33")
    h02 = rows[2]
    assert h02["Chưa xếp loại"] == "1" and h02["HTXSNV: tỷ lệ (%)"] == ""
    assert rows[0]["Đối tượng xếp loại"] == "Tổ chức cơ sở đảng"


def test_metrics(exports):
    rows = read_csv(exports / "2023" / "chat-luong-sinh-hoat-chi-bo-2023.csv")
    assert [r["Mã chi bộ"] for r in rows] == TREE_CELLS
    by = {r["Mã chi bộ"]: r for r in rows}
    assert by["H01-X01-C01"]["Các tháng thiếu sinh hoạt thường kỳ"] == "5"
    assert by["H01-X01-C03"]["Các quý thiếu sinh hoạt chuyên đề"] == "2"
    assert by["H01-X01-C01"]["Tỷ lệ dự họp cả năm (%)"] == "91.11"
    assert by["H01-X01-C02"]["Số tháng hoạt động"] == "9"
    assert by["H02-CB1"]["Tên chi bộ"] == "'+Chi bộ Sở Tài chính"
    assert rows[0]["Số liệu đủ cả năm"] == "Có"


def test_removal_candidates(exports):
    rows = read_csv(exports / "2024" / "de-nghi-xoa-ten-2024.csv")
    assert [r["Mã đảng viên"] for r in rows] == ["M05", "M06", "M11"]   # tree order of the cells
    m5 = rows[0]
    assert m5["Họ và tên"] == "'-Lê Văn Cường"
    assert (m5["Chi bộ"], m5["Các tháng vắng không lý do"], m5["Số tháng vắng không lý do"]) == \
        ("'-Chi bộ thôn Đức Thành", "1, 3, 5", "3")
    assert rows[2]["Họ và tên"].startswith("'=HYPERLINK")
    assert {r["Năm sinh"] for r in rows} == {""}        # not needed: names are distinct
    assert "Ngày sinh" not in rows[0] and "Giới tính" not in rows[0]


def test_removal_birth_year_only_for_shared_names(warehouse, tmp_path):
    c = duckdb.connect(str(warehouse))
    c.execute("UPDATE members SET full_name = 'Nguyễn Văn An' WHERE member_id = 'M05'")
    write_exports(c, tmp_path)
    c.close()
    rows = read_csv(tmp_path / "2024" / "de-nghi-xoa-ten-2024.csv")
    assert {r["Mã đảng viên"]: r["Năm sinh"] for r in rows} == {"M05": "1985", "M06": "1992", "M11": ""}


def test_errors_file(exports):
    path = exports / "du-lieu-loi.csv"
    assert header(path) == ERROR_HEADERS
    rows = read_csv(path)
    keys = [(r["Tệp"], int(r["Dòng"]) if r["Dòng"] else -1) for r in rows]
    assert keys == sorted(keys)
    assert {r["Tệp"] for r in rows} == {"members/a.csv", "meetings/2023.csv", "attendance/2024-05-thon-2.csv",
                                         "attendance/bad.xlsx", "meetings/notes.docx"}
    q = [r for r in rows if r["Tệp"] == "meetings/2023.csv"]
    assert [(r["Dòng"], r["Cột"]) for r in q] == [("12", "Loại sinh hoạt"), ("12", "Chủ đề"), ("40", "Giờ kết thúc")]
    assert q[2]["Giá trị"] == "'=1+1" and q[2]["Nội dung lỗi"] == "Giờ kết thúc phải sau giờ bắt đầu"
    p = [r for r in rows if r["Tình trạng"] == "Đang chờ"]
    assert len(p) == 3 and all(r["Nội dung lỗi"].startswith("Chưa có ") for r in p)
    assert {r["Cột"] for r in p} == {"Mã buổi sinh hoạt", "Mã chi bộ"}
    rej = [r for r in rows if r["Tệp"] == "attendance/bad.xlsx"][0]
    assert rej["Tình trạng"] == "Tệp bị từ chối" and "Tình trạng dự họp" in rej["Nội dung lỗi"]
    assert rej["Loại dữ liệu"] == "Điểm danh"


def test_no_csv_cell_starts_with_a_formula_character(exports):
    for path in exports.rglob("*.csv"):
        text = path.read_bytes()[3:].decode("utf-8")
        for row in csv.reader(io.StringIO(text, newline="")):
            for cell in row:
                if cell and cell[0] in DANGEROUS:
                    assert re.fullmatch(r"-?\d+(\.\d+)?", cell), f"{path.name}: {cell!r}"


def test_neutralise_unit():
    df = pl.DataFrame({"a": ["=1+1", "+x", "-y", "@z", "\tt", "\rr", "ok", "", None, "a=b"], "n": list(range(-5, 5))})
    got = neutralise(df)
    assert got["a"].to_list() == ["'=1+1", "'+x", "'-y", "'@z", "'\tt", "'\rr", "ok", None, None, "a=b"]
    assert got["n"].to_list() == list(range(-5, 5))        # numbers untouched


@pytest.mark.parametrize("stem", [*REPORTS, "du-lieu-loi"])
def test_xlsx_twin(exports, stem):
    if stem == "du-lieu-loi":
        csv_path, sheet = exports / "du-lieu-loi.csv", "Dữ liệu lỗi"
    else:
        csv_path, sheet = exports / "2023" / f"{stem}-2023.csv", f"{REPORTS[stem][0]} 2023"
    wb = openpyxl.load_workbook(csv_path.with_suffix(".xlsx"))
    assert wb.sheetnames == [sheet] and len(sheet) <= 31
    ws = wb[sheet]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == header(csv_path)
    rows = read_csv(csv_path)
    assert ws.max_row == len(rows) + 1
    for i, row in enumerate(rows, start=2):
        for j, (col, value) in enumerate(row.items(), start=1):
            cell = ws.cell(i, j)
            assert cell.data_type != "f", f"{sheet} {cell.coordinate} is a formula"
            got = "" if cell.value is None else cell.value
            if isinstance(got, (int, float)) and not isinstance(got, bool):
                assert float(value) == got, (sheet, cell.coordinate, got, value)
                continue
            want = value[1:] if value[:1] == "'" and value[1:2] in DANGEROUS else value
            assert cell.data_type == "s" or want == "", (sheet, cell.coordinate)
            assert got == want, (sheet, cell.coordinate, got, value)
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width for j in range(1, ws.max_column + 1)]
    assert all(8 <= (w or 0) <= 61 for w in widths)
