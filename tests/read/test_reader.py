"""The reader on real files: encodings, delimiters, headers, row numbers, xlsx, rejections."""
from __future__ import annotations

import datetime as dt
import gzip
import sys
import unicodedata
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from chibo.read import FileRejected, read_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_messy import to_cp1258  # noqa: E402

ORG_HEADER = "org_id,name,level,parent_id,kind"


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_utf8_comma_code_names_rows_start_at_2(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", f"{ORG_HEADER}\nT,Tỉnh,tinh,,other\nA,Huyện A,cap_tren_co_so,T,other\n")
    res = read_file(path, "org_units")
    assert res.frame.columns == ["org_id", "name", "level", "parent_id", "kind", "source_row"]
    assert res.frame["source_row"].to_list() == [2, 3]
    assert res.frame["source_row"].dtype == pl.Int64
    assert res.frame["parent_id"].to_list() == [None, "T"]
    assert res.decimal_comma is False


def test_utf8_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", "\ufeff" + f"{ORG_HEADER}\nT,Tỉnh,tinh,,other\n")
    assert read_file(path, "org_units").frame["org_id"].to_list() == ["T"]


def test_utf16_tab_vietnamese_labels(tmp_path: Path) -> None:
    text = "Mã tổ chức\tTên tổ chức\tCấp\tMã tổ chức cấp trên\tLoại hình\nT\tĐảng bộ tỉnh\ttinh\t\tKhác\n"
    res = read_file(write(tmp_path, "o.csv", text.encode("utf-16")), "org_units")
    assert res.frame["name"].to_list() == ["Đảng bộ tỉnh"]
    assert res.decimal_comma is True


def test_cp1258_semicolon_is_nfc_and_decimal_comma(tmp_path: Path) -> None:
    text = ("Mã tổ chức;Năm;Số chỉ tiêu, nhiệm vụ;Số hoàn thành;Số vượt mức;Tổ chức bị kỷ luật;"
            "Mất đoàn kết nội bộ;Chính quyền, đoàn thể đạt HTTNV trở lên;"
            "Đã khắc phục hạn chế, khuyết điểm;Tổng điểm\nB1;2024;10;9;1;không;không;có;có;93,5\n")
    raw = to_cp1258(text)
    assert b"\xcc" in raw or b"\xec" in raw or b"\xd2" in raw   # really has combining marks
    res = read_file(write(tmp_path, "a.csv", raw), "assessments")
    assert res.decimal_comma is True
    assert res.frame["score"].to_list() == ["93,5"]
    value = res.frame["org_disciplined"].item()
    assert value == "không" and unicodedata.is_normalized("NFC", value)


def test_header_case_and_unicode_form_and_spaces(tmp_path: Path) -> None:
    header = [unicodedata.normalize("NFD", "  MÃ TỔ CHỨC "), "TÊN TỔ CHỨC", "cấp", "PARENT_ID", " Kind"]
    path = write(tmp_path, "o.csv", ",".join(header) + "\nT,Tỉnh,tinh,,other\n")
    assert read_file(path, "org_units").frame["org_id"].to_list() == ["T"]


def test_title_block_blank_rows_and_unknown_column(tmp_path: Path) -> None:
    text = ("DANH SÁCH TỔ CHỨC\n\n"                      # rows 1-2
            f"{ORG_HEADER},ghi chú\n"                   # row 3
            "T,Tỉnh,tinh,,other,\n"                     # row 4
            "\n"                                        # row 5 (blank line)
            ",,,,,\n"                                   # row 6 (only delimiters)
            " A , Huyện A ,cap_tren_co_so,T,other,x\n")  # row 7
    res = read_file(write(tmp_path, "o.csv", text), "org_units")
    assert res.frame["source_row"].to_list() == [4, 7]
    assert res.frame["org_id"].to_list() == ["T", "A"]
    assert res.frame["name"].to_list() == ["Tỉnh", "Huyện A"]
    assert len(res.warnings) == 1 and "ghi chú" in res.warnings[0]


def test_multiline_quoted_field_counts_records_and_keeps_lf(tmp_path: Path) -> None:
    text = (f"{ORG_HEADER}\r\n"
            'T,"Đảng bộ\r\ntỉnh\r\nĐắk Nông",tinh,,other\r\n'
            "A,Huyện,cap_tren_co_so,T,other\r\n")
    res = read_file(write(tmp_path, "o.csv", text), "org_units")
    assert res.frame["source_row"].to_list() == [2, 3]
    assert res.frame["name"].to_list() == ["Đảng bộ\ntỉnh\nĐắk Nông", "Huyện"]


def test_csv_gz(tmp_path: Path) -> None:
    data = gzip.compress(f"{ORG_HEADER}\nT,Tỉnh,tinh,,other\n".encode())
    assert read_file(write(tmp_path, "o.csv.gz", data), "org_units").frame.height == 1


def test_action_header_needs_only_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", "Thao tác;Mã tổ chức\nXóa;T\n")
    res = read_file(path, "org_units")
    assert res.frame.columns == ["org_id", "action", "source_row"]


@pytest.mark.parametrize("name,data,reason", [
    ("e.csv", b"", "empty"),
    ("e.csv", b"  \n\n", "empty"),
    ("h.csv", f"{ORG_HEADER}\n".encode(), "no_data"),
    ("h2.csv", f"{ORG_HEADER}\n\n,,,,\n".encode(), "no_data"),
    ("n.csv", b"a,b,c\n1,2,3\n", "no_header"),
    ("g.csv.gz", b"not gzip at all", "unreadable"),
    ("x.xlsx", b"PK\x03\x04 broken zip", "unreadable"),
    ("o.txt", b"org_id\nT\n", "unsupported_format"),
])
def test_file_rejections(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(FileRejected) as err:
        read_file(path, "org_units")
    assert err.value.reason == reason
    assert name in err.value.message_vi and name in err.value.message_en


def test_header_beyond_row_10_is_not_found(tmp_path: Path) -> None:
    text = "tiêu đề\n" * 10 + f"{ORG_HEADER}\nT,Tỉnh,tinh,,other\n"
    with pytest.raises(FileRejected) as err:
        read_file(write(tmp_path, "o.csv", text), "org_units")
    assert err.value.reason == "no_header"


def test_missing_columns_names_every_one(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "meeting_id,cell_id,topic\nM1,C1,x\n")
    with pytest.raises(FileRejected) as err:
        read_file(path, "meetings")
    assert err.value.reason == "missing_columns"
    for col in ("meeting_date", "meeting_type", "start_time", "end_time", "chair_member_id",
                "secretary_member_id", "upper_attendees", "criticism_held",
                "resolution_adopted", "minutes_signed"):
        assert col in err.value.message_en
    assert "Ngày sinh hoạt" in err.value.message_vi
    # Row-conditional and optional columns are not demanded.
    assert "hcm_story" not in err.value.message_en and "topic" not in err.value.message_en.split(":")[1]


def _xlsx(path: Path, sheets: list[str], data_sheet: str, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = sheets[0]
    for name in sheets[1:]:
        wb.create_sheet(name)
    ws = wb[data_sheet]
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=i, column=j, value=value)
    wb.save(path)
    return path


MEETING_HEADER = ["Mã buổi sinh hoạt", "Mã chi bộ", "Ngày sinh hoạt", "Loại sinh hoạt",
                  "Giờ bắt đầu", "Giờ kết thúc", "Người chủ trì", "Thư ký",
                  "Số cấp ủy viên cấp trên dự", "Có tự phê bình và phê bình",
                  "Có nghị quyết được biểu quyết", "Biên bản có đủ chữ ký"]


def test_xlsx_native_dates_times_title_block_named_sheet(tmp_path: Path) -> None:
    rows = [[None], [None, "BIÊN BẢN SINH HOẠT"], [], MEETING_HEADER,
            ["M1", "C1", dt.date(2024, 3, 5), "Thường kỳ", dt.time(19, 30), dt.time(21, 0),
             "U1", "U2", 2, "có", "có", "có"],
            [],
            ["M2", "C1", dt.datetime(2024, 3, 6), "regular", "8h", "10:00", "U1", "U2", 0,
             1, 0, True]]
    path = _xlsx(tmp_path / "m.xlsx", ["Hướng dẫn", "meetings"], "meetings", rows)
    res = read_file(path, "meetings")
    f = res.frame
    assert f["source_row"].to_list() == [5, 7]
    assert f["meeting_date"].to_list() == ["2024-03-05", "2024-03-06"]
    assert f["start_time"].to_list() == ["19:30", "8h"]
    assert f["end_time"].to_list() == ["21:00", "10:00"]
    assert f["upper_attendees"].to_list() == ["2", "0"]


def test_xlsx_first_sheet_when_no_sheet_named_by_kind(tmp_path: Path) -> None:
    rows = [["org_id", "name", "level", "parent_id", "kind"], ["T", "Tỉnh", "tinh", None, "other"]]
    path = _xlsx(tmp_path / "o.xlsx", ["Data", "Other"], "Data", rows)
    res = read_file(path, "org_units")
    assert res.frame["org_id"].to_list() == ["T"] and res.frame["source_row"].to_list() == [2]


def test_xlsx_empty_sheet_rejected(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "o.xlsx", ["org_units"], "org_units", [])
    with pytest.raises(FileRejected) as err:
        read_file(path, "org_units")
    assert err.value.reason in ("empty", "unreadable")
