"""Tolerant reading, with nothing lost (the issue's done-when cases), with the exact messages.

A trailing signature block ends the data and is skipped with a warning naming its rows, while a
row in the middle with empty keys is still quarantined; headers and enum values match across
tone placement (`uỷ` = `ủy`); a workbook's data sheet is the one named as the kind (or its
Vietnamese name); a column the contract does not know is a warning that `chibo validate` prints
and the error list carries; an unrecognised header with a required column missing is named in
the rejection with the nearest label; Excel serials and day fractions in text cells are dates
and times; a library's English never reaches the Vietnamese message.

Every message is asserted whole, in both languages, as the code writes it; every file's rows
are accounted for (read = loaded + quarantined, the signature block not read at all).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from chibo import pipeline
from chibo.export.errors import split_warnings
from chibo.read import FileRejected, read_file
from chibo.read.text import header_key, modern_tones
from chibo.rulebooks import load_rulebooks
from chibo.settings import Settings
from chibo.validate.core import Problem, check_file, split_warning, validate_frame
from tests.model.world import World

AS_OF = dt.date(2026, 3, 15)
RULES = load_rulebooks()
CHIBO = Path(sys.executable).with_name("chibo")

# the meetings header as the template writes it (Vietnamese labels, contract order)
LABELS = ["Mã buổi sinh hoạt", "Mã chi bộ", "Ngày sinh hoạt", "Loại sinh hoạt", "Giờ bắt đầu",
          "Giờ kết thúc", "Chủ đề", "Người chủ trì", "Thư ký", "Số cấp ủy viên cấp trên dự",
          "Có tự phê bình và phê bình", "Có học tập và làm theo Bác",
          "Có nghị quyết được biểu quyết", "Biên bản có đủ chữ ký", "Ngày đăng tài liệu"]
WIDTH = len(LABELS)


def meeting(meeting_id: str | None, day: int, start: str = "19:30", end: str = "21:00",
            date: str | None = None) -> list[str]:
    """One meeting row of C1 in January 2026 (15 cells, contract order)."""
    return [meeting_id or "", "C1", date or f"2026-01-{day:02d}", "Thường kỳ", start, end, "",
            "C1-M001", "C1-M002", "0", "có", "không", "có", "có", ""]


def footer_cells(column: int, text: str) -> list[str]:
    """A row of the signature block: `text` in `column` (0-based), the rest empty."""
    return [text if i == column else "" for i in range(WIDTH)]


# A template's signature block: the date line and the signers under the table (columns H, N).
SIGNATURE = [footer_cells(13, "Hà Nội, ngày 15 tháng 3 năm 2026"),
             [*footer_cells(7, "Người lập biểu")[:13], "Bí thư chi bộ", ""],
             [*footer_cells(7, "(ký, ghi rõ họ tên)")[:13], "(ký, ghi rõ họ tên)", ""],
             [*footer_cells(7, "Trần Thị B")[:13], "Nguyễn Văn A", ""]]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = LABELS) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook of the given sheets in order, each from its first row (None = empty cell)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row, start=1):
                if value not in (None, ""):
                    ws.cell(row=i, column=j, value=value)
    wb.save(path)
    return path


def rejection(path: Path, kind: str = "meetings") -> FileRejected:
    with pytest.raises(FileRejected) as err:
        read_file(path, kind)
    return err.value


# the signature block's warning, for the rows and texts of SIGNATURE
def signature_warning(rows: str) -> tuple[str, str]:
    shown = "«Hà Nội, ngày 15 tháng 3 năm 2026», «Người lập biểu», «Bí thư chi bộ», …"
    return (f"bỏ qua 4 dòng cuối không có mã (cột khóa trống), coi là phần ký tên: dòng {rows} "
            f"({shown})",
            f"skipped 4 trailing rows without key values, taken as a signature block: rows {rows} "
            f"({shown})")


REQUIRED_ID_VI = "Cột «Mã buổi sinh hoạt»: Ô bị trống: cột này bắt buộc phải điền"
REQUIRED_ID_EN = "Column 'meeting_id': Empty cell: this column is required"


# --------------------------------------------------------------------------------------------
# Signature block
# --------------------------------------------------------------------------------------------
def test_csv_signature_block_is_skipped_and_a_middle_row_without_key_is_quarantined(
        tmp_path: Path) -> None:
    rows = [meeting("C1.20260110", 10),      # row 2
            meeting(None, 12),               # row 3: no key, in the middle: a data row
            meeting("C1.20260124", 24),      # row 4
            [""] * WIDTH,                    # row 5: blank (only delimiters)
            *SIGNATURE]                      # rows 6-9
    path = write_csv(tmp_path / "sh.csv", rows)
    read = read_file(path, "meetings")
    vi, en = signature_warning("6–9")
    assert read.warnings == [f"{vi} / {en}"]
    assert read.frame["source_row"].to_list() == [2, 3, 4]

    check = check_file(path, "meetings", AS_OF, RULES)
    assert check.warnings == [f"{vi} / {en}"]
    assert check.problems == [Problem(str(path), 3, "meeting_id", "required", None,
                                      REQUIRED_ID_VI, REQUIRED_ID_EN)]
    # 3 rows read (the blank row and the signature block are not rows), 2 loaded, 1 quarantined
    assert (check.rows_read, check.rows_read - check.rows_quarantined,
            check.rows_quarantined) == (3, 2, 1)


def test_xlsx_signature_block_is_skipped_and_the_warning_names_the_sheet(tmp_path: Path) -> None:
    title = [["BIÊN BẢN SINH HOẠT CHI BỘ C1"], [], LABELS]      # header on Excel row 3
    rows = [meeting("C1.20260110", 10),      # row 4
            meeting(None, 12),               # row 5
            meeting("C1.20260124", 24),      # row 6
            [],                              # row 7
            *SIGNATURE]                      # rows 8-11
    path = write_xlsx(tmp_path / "sh.xlsx", {"meetings": [*title, *rows]})
    read = read_file(path, "meetings")
    vi, en = signature_warning("8–11")
    warning = f"Trang «meetings»: {vi} / Sheet 'meetings': {en}"
    assert read.sheet == "meetings"
    assert read.warnings == [warning]
    assert read.frame["source_row"].to_list() == [4, 5, 6]

    check = check_file(path, "meetings", AS_OF, RULES)
    assert check.warnings == [warning]
    assert check.problems == [Problem(str(path), 5, "meeting_id", "required", None,
                                      REQUIRED_ID_VI, REQUIRED_ID_EN)]
    assert (check.rows_read, check.rows_quarantined) == (3, 1)


# --------------------------------------------------------------------------------------------
# Tone placement
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("old,new", [("Hoà", "Hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"),
                                     ("uỷ", "ủy"), ("HOÀ", "HÒA"), ("Quý", "Quý")])
def test_tone_placement_is_brought_to_the_contracts(old: str, new: str) -> None:
    assert modern_tones(old) == new
    assert header_key(old) == header_key(new)


def test_uy_header_with_old_tone_placement_is_the_contracts_column(tmp_path: Path) -> None:
    header = [*LABELS[:9], "Số cấp uỷ viên cấp trên dự", *LABELS[10:]]   # uỷ, not ủy
    path = write_csv(tmp_path / "sh.csv", [meeting("C1.20260110", 10)], header=header)
    read = read_file(path, "meetings")
    assert read.warnings == []
    assert read.frame["upper_attendees"].to_list() == ["0"]
    check = check_file(path, "meetings", AS_OF, RULES)
    assert (check.problems, check.warnings, check.rows_read, check.rows_quarantined) == \
        ([], [], 1, 0)


def test_enum_values_with_tone_variants_are_accepted(tmp_path: Path) -> None:
    """No enum label of the contract has an open `oa`/`oe`/`uy` syllable (`hòa`), so the tone
    variants people type are on the `oa` of `Hoàn`/`hoạt`: on the o, on the a, and decomposed."""
    ratings = tmp_path / "xl.csv"
    ratings.write_text("Mã đảng viên,Năm,Mã chi bộ,Xếp loại,Bị kỷ luật trong năm\n"
                       "M1,2025,C1,Hòan thành tốt nhiệm vụ,không\n"
                       "M2,2025,C1,Hoàn thành xuất sắc nhiệm vụ,không\n"
                       "M3,2025,C1,HÒAN THÀNH NHIỆM VỤ,không\n"
                       "M4,2025,C1,Hoa\u0300n tha\u0300nh tốt nhiệm vụ,không\n", encoding="utf-8")
    check = check_file(ratings, "member_ratings", AS_OF, RULES)
    assert (check.problems, check.warnings, check.rows_read) == ([], [], 4)

    attendance = tmp_path / "dd.csv"
    attendance.write_text("Mã buổi sinh hoạt,Mã đảng viên,Tình trạng dự họp\n"
                          "C1.20260110,M1,Miễn công tác và sinh họat đảng\n"
                          "C1.20260110,M2,Miễn công tác và sinh hoạt đảng\n", encoding="utf-8")
    check = check_file(attendance, "attendance", AS_OF, RULES)
    assert (check.problems, check.warnings, check.rows_read) == ([], [], 2)


# --------------------------------------------------------------------------------------------
# Sheet choice
# --------------------------------------------------------------------------------------------
INSTRUCTIONS = [["HƯỚNG DẪN NHẬP LIỆU"],
                ["Cột", "Cách ghi"],
                # names the key column: a header to a reader that took the first sheet
                ["Mã buổi sinh hoạt", "mã do chi bộ đặt, không trùng"],
                ["Ngày sinh hoạt", "ngày/tháng/năm"]]


def test_named_sheet_after_an_instructions_sheet_is_read(tmp_path: Path) -> None:
    data = [[*LABELS, "Ghi chú"], [*meeting("C1.20260110", 10), "họp đúng giờ"],
            meeting("C1.20260124", 24)]
    path = write_xlsx(tmp_path / "sh.xlsx", {"Hướng dẫn": INSTRUCTIONS, "Buổi sinh hoạt": data})
    read = read_file(path, "meetings")
    assert read.sheet == "Buổi sinh hoạt"
    assert read.warnings == [
        "Trang «Buổi sinh hoạt»: Cột P «Ghi chú» không có trong quy định, bỏ qua / "
        "Sheet 'Buổi sinh hoạt': Column P 'Ghi chú' is not in the contract, ignored"]
    assert read.frame["meeting_id"].to_list() == ["C1.20260110", "C1.20260124"]
    assert read.frame["source_row"].to_list() == [2, 3]
    check = check_file(path, "meetings", AS_OF, RULES)
    assert (check.problems, check.rows_read, check.rows_quarantined) == ([], 2, 0)


def test_first_sheet_with_a_header_when_none_is_named_and_the_warning_says_so(
        tmp_path: Path) -> None:
    instructions = [r for r in INSTRUCTIONS if r[0] != "Mã buổi sinh hoạt"]
    path = write_xlsx(tmp_path / "sh.xlsx", {"Hướng dẫn": instructions,
                                            "Dữ liệu": [LABELS, meeting("C1.20260110", 10)]})
    read = read_file(path, "meetings")
    assert read.sheet == "Dữ liệu"
    assert read.warnings == [
        "Trang «Dữ liệu»: không có trang tên «meetings» hay «Buổi sinh hoạt»: đã đọc trang đầu "
        "tiên có dòng tiêu đề / Sheet 'Dữ liệu': no sheet is named 'meetings' or 'Buổi sinh "
        "hoạt': read the first sheet with a header"]


def test_a_problem_of_the_named_sheet_is_named_with_the_sheet(tmp_path: Path) -> None:
    header = [*LABELS[:5], "Gio ket thuc", *LABELS[6:]]
    path = write_xlsx(tmp_path / "sh.xlsx", {"Hướng dẫn": INSTRUCTIONS,
                                            "Buổi sinh hoạt": [header, meeting("C1.1", 10)]})
    err = rejection(path)
    assert err.reason == "missing_columns"
    assert err.message_vi == (
        "Tệp sh.xlsx (trang «Buổi sinh hoạt») thiếu cột bắt buộc: Giờ kết thúc (end_time). "
        "Trong dòng tiêu đề (dòng 1): không nhận ra cột «Gio ket thuc»; có phải là «Giờ kết "
        "thúc»?")
    assert err.message_en == (
        "File sh.xlsx (sheet 'Buổi sinh hoạt') lacks required columns: end_time. In the header "
        "(row 1): unrecognised column 'Gio ket thuc'; did you mean 'end_time' (Giờ kết thúc)?")
    check = check_file(path, "meetings", AS_OF, RULES)
    assert check.problems == [Problem(str(path), None, None, "file_rejected", None,
                                      err.message_vi, err.message_en)]
    assert (check.warnings, check.rows_read) == ([], 0)


# --------------------------------------------------------------------------------------------
# Unrecognised headers
# --------------------------------------------------------------------------------------------
def test_unrecognised_header_and_missing_column_are_named_with_the_nearest_label(
        tmp_path: Path) -> None:
    header = [*LABELS[:5], "Gio ket thuc", *LABELS[6:]]
    path = write_csv(tmp_path / "sh.csv", [meeting("C1.20260110", 10)], header=header)
    err = rejection(path)
    assert err.reason == "missing_columns"
    assert err.message_vi == (
        "Tệp sh.csv thiếu cột bắt buộc: Giờ kết thúc (end_time). Trong dòng tiêu đề (dòng 1): "
        "không nhận ra cột «Gio ket thuc»; có phải là «Giờ kết thúc»?")
    assert err.message_en == (
        "File sh.csv lacks required columns: end_time. In the header (row 1): unrecognised "
        "column 'Gio ket thuc'; did you mean 'end_time' (Giờ kết thúc)?")


def test_unrecognised_header_without_missing_column_is_a_warning_with_the_nearest_label(
        tmp_path: Path) -> None:
    # "Ngay dang tai lieu" (no diacritics) for an optional column: the file loads, the column
    # is ignored, and the warning names it with the label it probably meant
    header = [*LABELS[:14], "Ngay dang tai lieu"]
    path = write_csv(tmp_path / "sh.csv", [meeting("C1.20260110", 10)], header=header)
    assert read_file(path, "meetings").warnings == [
        "Cột O «Ngay dang tai lieu» không có trong quy định, bỏ qua (có phải là «Ngày đăng tài "
        "liệu»?) / Column O 'Ngay dang tai lieu' is not in the contract, ignored (did you mean "
        "'materials_posted_on' (Ngày đăng tài liệu)?)"]


# --------------------------------------------------------------------------------------------
# Extra column: `chibo validate` and the error list
# --------------------------------------------------------------------------------------------
EXTRA_VI = "Cột P «Ghi chú» không có trong quy định, bỏ qua"
EXTRA_EN = "Column P 'Ghi chú' is not in the contract, ignored"


def chibo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHIBO), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ})


def test_chibo_validate_prints_the_extra_column_warning_and_exits_zero(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "sh.csv", [[*meeting("C1.20260110", 10), "họp đúng giờ"]],
                     header=[*LABELS, "Ghi chú"])
    r = chibo("validate", str(path), "--kind", "meetings", "--as-of", "2026-03-15")
    assert r.returncode == 0, r.stdout + r.stderr      # a warning alone is not a problem
    assert r.stdout.splitlines() == [
        f"{path} read_warning: {EXTRA_VI} | {EXTRA_EN}",
        f"{path}: không có lỗi, 1 cảnh báo / no problems, 1 warning"]


def test_chibo_validate_prints_warnings_then_problems_and_fails(tmp_path: Path) -> None:
    rows = [[*meeting("C1.20260110", 10), ""], [*meeting(None, 12), ""],
            [*meeting("C1.20260124", 24), ""], *[[*r, ""] for r in SIGNATURE]]
    path = write_csv(tmp_path / "sh.csv", rows, header=[*LABELS, "Ghi chú"])
    vi, en = signature_warning("5–8")
    r = chibo("validate", str(path), "--kind", "meetings", "--as-of", "2026-03-15")
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        f"{path} read_warning: {EXTRA_VI} | {EXTRA_EN}",
        f"{path} read_warning: {vi} | {en}",
        f"{path}:3 [meeting_id] required: {REQUIRED_ID_VI} | {REQUIRED_ID_EN}"]


def test_chibo_validate_a_folder_prints_the_warnings_of_every_file(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    warned = write_csv(raw / "meetings" / "a.csv", [[*meeting("C1.20260110", 10), "x"]],
                       header=[*LABELS, "Ghi chú"])
    clean = write_csv(raw / "meetings" / "b.csv", [meeting("C1.20260124", 24)])
    r = chibo("validate", str(raw), "--as-of", "2026-03-15")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        f"{warned} read_warning: {EXTRA_VI} | {EXTRA_EN}",
        f"{warned}: không có lỗi, 1 cảnh báo / no problems, 1 warning",
        f"{clean}: không có lỗi / no problems",
        "2 tệp: 2 không có lỗi, 0 có lỗi / 2 files: 2 without problems, 0 with problems"]


def test_pipeline_error_list_carries_the_warnings_with_the_rows_accounted(tmp_path: Path) -> None:
    world = World()
    world.dang_bo()
    world.cell("C1", members=2)
    raw = world.write_raw(tmp_path / "raw")
    rows = [[*meeting("C1.20260110", 10), "họp đúng giờ"],     # row 2
            [*meeting(None, 12), ""],                          # row 3: quarantined
            [*meeting("C1.20260124", 24), ""],                 # row 4
            *[[*r, ""] for r in SIGNATURE]]                    # rows 5-8
    write_csv(raw / "meetings" / "2026-02-01-c1.csv", rows, header=[*LABELS, "Ghi chú"])
    # rejected: a header cell holding " / " in place of a required column
    write_csv(raw / "meetings" / "2026-02-02-c1.csv", [meeting("C1.20260131", 31)],
              header=[*LABELS[:5], "Giờ kết thúc / End", *LABELS[6:]])
    s = Settings(raw=raw, warehouse=tmp_path / "wh" / "chibo.duckdb",
                 exports=tmp_path / "wh" / "exports", as_of=AS_OF)
    pipeline.run_all(s)

    vi, en = signature_warning("5–8")
    con = duckdb.connect(str(s.warehouse), read_only=True)
    try:
        files = con.execute(
            "SELECT status, rows_read, rows_loaded, rows_quarantined, rows_pending, warnings "
            "FROM files WHERE path = 'meetings/2026-02-01-c1.csv'").fetchall()
        loaded = con.execute("SELECT meeting_id FROM meetings ORDER BY 1").fetchall()
    finally:
        con.close()
    # the warnings are stored one a line (a warning may itself hold "; ")
    assert files == [("loaded", 3, 2, 1, 0, f"{EXTRA_VI} / {EXTRA_EN}\n{vi} / {en}")]
    assert loaded == [("C1.20260110",), ("C1.20260124",)]

    with open(s.exports / "du-lieu-loi.csv", encoding="utf-8-sig", newline="") as fh:
        listed = [r for r in csv.DictReader(fh) if r["Tệp"] == "meetings/2026-02-01-c1.csv"]
    assert [(r["Dòng"], r["Loại dữ liệu"], r["Cột"], r["Tình trạng"], r["Mã kiểm tra"],
             r["Nội dung lỗi"], r["Nội dung lỗi (tiếng Anh)"]) for r in listed] == [
        ("", "Buổi sinh hoạt", "", "Cảnh báo", "read_warning", EXTRA_VI, EXTRA_EN),
        ("", "Buổi sinh hoạt", "", "Cảnh báo", "read_warning", vi, en),
        ("3", "Buổi sinh hoạt", "Mã buổi sinh hoạt", "Bị loại", "required", REQUIRED_ID_VI,
         REQUIRED_ID_EN)]
    # the file's rows belong to C1, so its warnings are in its units' lists too
    assert {r["Mã đảng bộ cấp trên cơ sở"] for r in listed} == {"H"}

    with open(s.exports / "du-lieu-loi.csv", encoding="utf-8-sig", newline="") as fh:
        [rejected] = [r for r in csv.DictReader(fh) if r["Tệp"] == "meetings/2026-02-02-c1.csv"]
    state, vi, en = (rejected[c] for c in ("Tình trạng", "Nội dung lỗi",
                                            "Nội dung lỗi (tiếng Anh)"))
    assert (state, vi, en) == ("Tệp bị từ chối",
            "Tệp meetings/2026-02-02-c1.csv thiếu cột bắt buộc: Giờ kết thúc (end_time). Trong "
            "dòng tiêu đề (dòng 1): không nhận ra cột «Giờ kết thúc / End»; có phải là «Giờ kết "
            "thúc»?",
            "File meetings/2026-02-02-c1.csv lacks required columns: end_time. In the header "
            "(row 1): unrecognised column 'Giờ kết thúc / End'; did you mean 'end_time' (Giờ kết "
            "thúc)?")


def test_stored_warnings_split_back_one_by_one_in_the_new_and_the_old_form(
        tmp_path: Path) -> None:
    """`files.warnings` is written one a line; warehouses written before joined them with "; ",
    which a warning may hold itself (an open quote's message, a quoted cell value)."""
    extra = read_file(write_csv(tmp_path / "a.csv", [[*meeting("C1.1", 10), "x"]],
                                header=[*LABELS, "Ghi chú"]), "meetings").warnings
    opened = write_csv(tmp_path / "b.csv", [meeting("C1.1", 10)])
    with open(opened, "a", encoding="utf-8") as fh:          # row 3 opens a quote, never closed
        fh.write('C1.2,"C1,2026-01-11\nC1.3,C1\n')
    quote = read_file(opened, "meetings").warnings
    date_line = footer_cells(13, "Ngày 15 / 3 / 2026; Hà Nội")
    signature = read_file(write_csv(tmp_path / "c.csv", [meeting("C1.1", 10), date_line]),
                          "meetings").warnings
    assert quote == [
        'Dòng 3: dấu ngoặc kép (") mở ở cột B không được đóng; phần còn lại của tệp (dòng văn '
        'bản 3–4) được tính là một dòng bị cách ly / Row 3: a double quote opened in column B '
        'never closes; the rest of the file (text lines 3–4) counts as one quarantined row']
    vi = ("bỏ qua 1 dòng cuối không có mã (cột khóa trống), coi là phần ký tên: dòng 3 («Ngày "
          "15 / 3 / 2026; Hà Nội»)")
    en = ("skipped 1 trailing row without key values, taken as a signature block: row 3 («Ngày "
          "15 / 3 / 2026; Hà Nội»)")
    assert signature == [f"{vi} / {en}"]
    assert split_warning(signature[0]) == (vi, en)
    assert split_warning(extra[0]) == (EXTRA_VI, EXTRA_EN)

    for warnings in ([*extra, *quote, *signature], [*quote, *extra, *signature, *quote],
                     [*signature, *quote], quote, signature):
        assert split_warnings("\n".join(warnings)) == warnings          # as ingest writes them
        assert split_warnings("; ".join(warnings)) == warnings          # as it wrote them before
    assert split_warnings(None) == split_warnings("") == []


# --------------------------------------------------------------------------------------------
# Excel serials and day fractions in text cells
# --------------------------------------------------------------------------------------------
def test_excel_serial_and_day_fraction_in_text_cells_are_dates_and_times(tmp_path: Path) -> None:
    row = meeting("C1.20240119", 19, start="0.8125", end="0,875", date="45310")
    row[14] = "45308"                                  # materials_posted_on: 2024-01-17
    csv_path = write_csv(tmp_path / "sh.csv", [row])
    # in a workbook, the same as text cells (a column formatted as Text, or typed with ')
    xlsx_path = write_xlsx(tmp_path / "sh.xlsx", {"meetings": [LABELS, row]})
    assert openpyxl.load_workbook(xlsx_path)["meetings"]["C2"].data_type == "s"
    for path in (csv_path, xlsx_path):
        check = check_file(path, "meetings", AS_OF, RULES)
        assert (check.problems, check.warnings, check.rows_read) == ([], [], 1), path
    result = validate_frame(read_file(csv_path, "meetings"), "meetings", "sh.csv", AS_OF, RULES)
    assert result.valid.select("meeting_date", "start_time", "end_time",
                               "materials_posted_on").row(0) == (
        dt.date(2024, 1, 19), dt.time(19, 30), dt.time(21, 0), dt.date(2024, 1, 17))


# --------------------------------------------------------------------------------------------
# Library errors stay out of the Vietnamese message
# --------------------------------------------------------------------------------------------
SAVE_AGAIN_VI = "Hãy lưu lại dạng .xlsx hoặc CSV rồi gửi lại."
SAVE_AGAIN_EN = "Save it again as .xlsx or CSV and resend."
DAMAGED_VI = "tệp .xlsx bị hỏng hoặc không đầy đủ (không phải bảng tính Excel hoàn chỉnh)"
DAMAGED_EN = "the .xlsx file is damaged or incomplete (not a complete Excel workbook)"


def _corrupt_sheet(path: Path) -> Path:
    """A real workbook whose sheet points at a shared string that does not exist."""
    good = write_xlsx(path.with_name("good.xlsx"), {"meetings": [LABELS]})
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = (b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>99</v></c>"
                        b"</row></sheetData></worksheet>")
            dst.writestr(info, data)
    return path


@pytest.mark.parametrize("name,make,vi_detail,en_pattern", [
    ("pk.xlsx", lambda p: p.write_bytes(b"PK" + bytes(range(256)) * 4),
     "tệp mang đuôi .xlsx nhưng không phải bảng tính Excel",
     re.escape("the file is named .xlsx but is not an Excel workbook")),
    ("zip.xlsx", lambda p: p.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4),
     DAMAGED_VI, re.escape(f"{DAMAGED_EN} (File is not a zip file)")),
    ("sheet.xlsx", _corrupt_sheet,
     "nội dung bảng tính bị hỏng hoặc có dạng không hỗ trợ",
     re.escape("the workbook's content is damaged or unsupported (") + r"[^()]*\S[^()]*\)"),
    ("sh.csv.gz", lambda p: p.write_bytes(b"\x1f\x8b\x08garbage" * 10),
     "tệp nén .gz bị hỏng hoặc không đầy đủ",
     re.escape("the .gz archive is damaged or incomplete (") + r"[^()]*\S[^()]*\)"),
])
def test_library_errors_give_a_vietnamese_message_without_library_english(
        tmp_path: Path, name, make, vi_detail: str, en_pattern: str) -> None:
    path = tmp_path / name
    make(path)
    err = rejection(path)
    where = f"{name} (trang «meetings»)" if name == "sheet.xlsx" else name
    where_en = f"{name} (sheet 'meetings')" if name == "sheet.xlsx" else name
    assert err.reason == "unreadable"
    assert err.message_vi == f"Tệp {where} không đọc được ({vi_detail}). {SAVE_AGAIN_VI}"
    # the library's own words, if any, come in parentheses in the English message only
    assert re.fullmatch(re.escape(f"File {where_en} cannot be read (") + en_pattern
                        + re.escape(f"). {SAVE_AGAIN_EN}"), err.message_en), err.message_en
    library = re.findall(r"\(([^()]*)\)\)\. Save", err.message_en)
    for words in library:
        assert words not in err.message_vi
    wording = err.message_vi.replace(name, "").replace(".xlsx", "").replace(".gz", "")
    assert not re.search(r"\b(?:zip|error|file|calamine|gzip|stream|workbook)\b", wording,
                         re.IGNORECASE), wording
