"""write_exports on warehouses the real pipeline built: files, BOM, Vietnamese headers, each
year's tree, reasons from reason_texts, official workbooks, the audit, the error lists."""
from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from chibo.export import document_warehouse, write_exports
from chibo.export.workbook import neutralise
from tests.helpers import EXAMPLE_AS_OF

BOM = b"\xef\xbb\xbf"
STEMS = ["xep-loai-to-chuc", "tong-hop-xep-loai", "chat-luong-sinh-hoat-chi-bo", "de-nghi-xoa-ten",
         "doi-chieu-xep-loai"]
FIRST_HEADERS = {
    "xep-loai-to-chuc": ["Mã tổ chức", "Tên tổ chức", "Cấp", "Mã tổ chức cấp trên", "Tên tổ chức cấp trên",
                         "Xếp loại", "Xếp loại (tên đầy đủ)", "Hoàn thành tốt nhiệm vụ chính trị",
                         "Chất lượng sinh hoạt tốt", "Đoàn kết, kỷ luật tốt", "Cán bộ, đảng viên tốt", "4 tốt",
                         "Lý do xếp loại", "Lý do chưa đạt tiêu chí 4 tốt"],
    "tong-hop-xep-loai": ["Mã tổ chức cấp trên", "Tổ chức cấp trên", "Đối tượng xếp loại", "Tổng số tổ chức",
                          "Số tổ chức được xếp loại", "HTXSNV: số lượng",
                          "HTXSNV: tỷ lệ (% trên số tổ chức được xếp loại)"],
    "chat-luong-sinh-hoat-chi-bo": ["Mã chi bộ", "Tên chi bộ", "Tổ chức cấp trên", "Số tháng hoạt động",
                                    "Số tháng có sinh hoạt thường kỳ", "Các tháng thiếu sinh hoạt thường kỳ"],
    "de-nghi-xoa-ten": ["Mã đảng viên", "Họ và tên", "Năm sinh", "Chi bộ", "Mã chi bộ", "Tổ chức cấp trên",
                        "Các tháng vắng không lý do", "Số tháng vắng không lý do", "Số buổi vắng không lý do"],
    "doi-chieu-xep-loai": ["Phần", "Nhóm đối chiếu", "Mã", "Họ tên / Tên tổ chức", "Cấp", "Đơn vị",
                           "Xếp loại chính thức", "Xếp loại theo số liệu", "Chênh lệch (bậc)"],
}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
CODE = re.compile(r"\b[a-z]+(_[a-z]+)+\b")


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(BOM), f"{path.name} has no UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def header(path: Path) -> list[str]:
    return next(csv.reader(io.StringIO(path.read_bytes()[3:].decode("utf-8"), newline="")))


def q(db: Path, sql: str, params=None) -> list[dict]:
    c = duckdb.connect(str(db), read_only=True)
    try:
        rel = c.sql(sql, params=params or [])
        return [dict(zip(rel.columns, r)) for r in rel.fetchall()]
    finally:
        c.close()


def table(ws, first_header: str) -> tuple[int, list[str], list[list]]:
    """(header row, headers, rows) of an official sheet: the table under the title block."""
    for row in ws.iter_rows(min_row=1, max_row=30):
        if row[0].value == first_header:
            h = row[0].row
            headers = [c.value for c in ws[h] if c.value is not None]
            break
    else:
        raise AssertionError(f"no header row starting with {first_header!r}")
    body = []
    for row in ws.iter_rows(min_row=h + 1, values_only=True):
        if all(v is None for v in row) or (row[0] is not None and len(headers) > 2
                                            and all(v is None for v in row[1:len(headers)])):
            break
        body.append(list(row[:len(headers)]))
    return h, headers, body


YEARS = (2023, 2024, 2025, 2026)


# --------------------------------------------------------------------------------------------
def test_files_written(exports):
    names = sorted(str(p.relative_to(exports)) for p in exports.rglob("*") if p.is_file())
    expected = ["du-lieu-loi.csv", "du-lieu-loi.xlsx"]
    for y in YEARS:
        expected.append(f"{y}/bao-cao-{y}.html")
        for stem in STEMS:
            expected += [f"{y}/{stem}-{y}.csv", f"{y}/{stem}-{y}.xlsx"]
    units = [n for n in names if n.startswith("loi-theo-don-vi/")]
    assert sorted(set(names) - set(units)) == sorted(expected)       # no temp file left behind
    assert units and all(n.endswith(".xlsx") for n in units)


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_files_honour_the_umask(warehouse, tmp_path, umask):
    c = duckdb.connect(str(warehouse))
    old = os.umask(umask)
    try:
        paths = write_exports(c, tmp_path / "out", EXAMPLE_AS_OF)
    finally:
        os.umask(old)
        c.close()
    assert {oct(p.stat().st_mode & 0o777) for p in paths} == {oct(0o666 & ~umask)}


def test_return_value_and_rewrite(warehouse, tmp_path):
    c = duckdb.connect(str(warehouse))
    document_warehouse(c)
    first = write_exports(c, tmp_path / "out", EXAMPLE_AS_OF)
    second = write_exports(c, tmp_path / "out", EXAMPLE_AS_OF)     # overwrites in place
    c.close()
    assert first == second and all(p.exists() for p in first)
    assert sorted(first) == sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert not list((tmp_path / "out").rglob(".tmp-*"))


@pytest.mark.parametrize("stem", STEMS)
@pytest.mark.parametrize("year", YEARS)
def test_bom_and_vietnamese_headers(exports, stem, year):
    h = header(exports / str(year) / f"{stem}-{year}.csv")
    assert h[: len(FIRST_HEADERS[stem])] == FIRST_HEADERS[stem]
    assert len(h) == len(set(h))


# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("year", YEARS)
def test_classification_follows_the_years_tree(exports, example_db, year):
    rows = read_csv(exports / str(year) / f"xep-loai-to-chuc-{year}.csv")
    model = q(example_db, """
        SELECT c.org_id, y.name, p.name AS parent_name, c.level, c.reasons, c.criteria_reasons, c.rulebook
        FROM org_year_classification c JOIN org_years y USING (org_id, year)
        LEFT JOIN org_years p ON p.org_id = c.parent_id AND p.year = c.year
        WHERE c.year = ? ORDER BY y.tree_order""", [year])
    assert [r["Mã tổ chức"] for r in rows] == [m["org_id"] for m in model]
    texts = {(r["rulebook"], r["code"]): r["text_vi"] for r in q(example_db, "SELECT * FROM reason_texts")}
    short = {r["level"]: r["level_short_vi"] for r in q(example_db, "SELECT * FROM levels")}
    for r, m in zip(rows, model):
        assert r["Tên tổ chức"] == m["name"] and r["Tên tổ chức cấp trên"] == (m["parent_name"] or "")
        assert r["Xếp loại"] == (short[m["level"]] if m["level"] else "")
        assert r["Lý do xếp loại"] == "; ".join(texts[(m["rulebook"], c)] for c in m["reasons"])
        assert r["Lý do chưa đạt tiêu chí 4 tốt"] == "; ".join(
            texts[(m["rulebook"], c)] for c in m["criteria_reasons"])
        for col in ("Lý do xếp loại", "Lý do chưa đạt tiêu chí 4 tốt"):
            assert not CODE.search(r[col]), r[col]


def test_classification_2025_under_the_new_commune(exports):
    by = {r["Mã tổ chức"]: r for r in read_csv(exports / "2025" / "xep-loai-to-chuc-2025.csv")}
    assert by["H02-X002-C01"]["Mã tổ chức cấp trên"] == "U01"
    assert by["H02-X002-C01"]["Tên tổ chức cấp trên"] == "Đảng bộ xã Cư Jút"
    by24 = {r["Mã tổ chức"]: r for r in read_csv(exports / "2024" / "xep-loai-to-chuc-2024.csv")}
    assert by24["H02-X002-C01"]["Mã tổ chức cấp trên"] == "H02-X002"


def test_summary_csv_is_the_view_in_tree_order(exports, example_db):
    rows = read_csv(exports / "2025" / "tong-hop-xep-loai-2025.csv")
    view = q(exports.parent / "documented.duckdb",
             "SELECT * FROM v_summary_by_parent_year WHERE year = 2025 ORDER BY parent_tree_order")
    assert [r["Mã tổ chức cấp trên"] for r in rows] == [v["parent_id"] for v in view]
    for r, v in zip(rows, view):
        assert int(r["Tổng số tổ chức"]) == v["orgs"] and int(r["HTTNV: số lượng"]) == v["good"]
        want = "" if v["good_pct"] is None else str(round(v["good_pct"], 2))
        assert r["HTTNV: tỷ lệ (% trên số tổ chức được xếp loại)"] == want


def test_summary_workbook_has_subtotals_and_the_provinces_total(exports, example_db):
    ws = openpyxl.load_workbook(exports / "2025" / "tong-hop-xep-loai-2025.xlsx").active
    _, headers, body = table(ws, "Mã tổ chức cấp trên")
    assert "4 tốt: tỷ lệ (% trên tổng số tổ chức)" in headers
    col = {h: i for i, h in enumerate(headers)}
    total = body[-1]
    assert total[col["Tổ chức cấp trên"]] == "Toàn tỉnh"
    n, classified = q(example_db, "SELECT count(*) AS n, count(level) AS c FROM org_year_classification "
                                  "WHERE year = 2025")[0].values()
    assert (total[col["Tổng số tổ chức"]], total[col["Số tổ chức được xếp loại"]]) == (n, classified)
    subtotals = [r for r in body if str(r[col["Tổ chức cấp trên"]]).startswith("Cộng ")]
    assert subtotals, "a parent whose subtree holds further parents gets a subtotal"
    ub = [r for r in subtotals if r[col["Mã tổ chức cấp trên"]] == "P-UB"][0]
    below = q(example_db, "SELECT count(*) AS n FROM org_year_classification c JOIN org_years y "
                          "USING (org_id, year) WHERE c.year = 2025 AND list_contains(y.path, 'P-UB') "
                          "AND c.org_id <> 'P-UB'")[0]["n"]
    assert ub[col["Tổng số tổ chức"]] == below
    # the subtotal comes after the whole subtree, and the tree is indented by depth
    ids = [r[col["Mã tổ chức cấp trên"]] for r in body]
    assert ids.index("H01-X003-P1") < [i for i, r in enumerate(body) if r in subtotals and
                                       r[col["Mã tổ chức cấp trên"]] == "H01-X003"][0]
    cell = ws.cell(row=table(ws, "Mã tổ chức cấp trên")[0] + 1 + ids.index("H01-X003-P1"), column=2)
    assert cell.alignment.indent >= 2


def test_metrics(exports, example_db):
    rows = read_csv(exports / "2025" / "chat-luong-sinh-hoat-chi-bo-2025.csv")
    model = q(example_db, "SELECT m.*, y.name FROM cell_year_metrics m JOIN org_years y USING (org_id, year) "
                          "WHERE m.year = 2025 ORDER BY y.tree_order")
    assert [r["Mã chi bộ"] for r in rows] == [m["org_id"] for m in model]
    for r, m in zip(rows, model):
        assert r["Tên chi bộ"] == m["name"]
        assert int(r["Số tháng có sinh hoạt thường kỳ"]) == m["regular_months"]
        rate = r["Tỷ lệ dự họp cả năm (% trên số lượt đảng viên phải dự)"]
        assert rate == ("" if m["attendance_rate"] is None else str(round(m["attendance_rate"] * 100, 2)))
        missing = [int(x) for x in r["Các tháng thiếu sinh hoạt thường kỳ"].split(", ") if x]
        assert len(missing) == m["months_active"] - m["regular_months"]


@pytest.mark.parametrize("year", YEARS)
def test_removal_candidates_are_the_models(exports, example_db, year):
    rows = read_csv(exports / str(year) / f"de-nghi-xoa-ten-{year}.csv")
    model = q(example_db, "SELECT * FROM member_years WHERE removal_candidate AND year = ?", [year])
    assert sorted(r["Mã đảng viên"] for r in rows) == sorted(m["member_id"] for m in model)
    by = {m["member_id"]: m for m in model}
    for r in rows:
        m = by[r["Mã đảng viên"]]
        assert int(r["Số tháng vắng không lý do"]) == m["unexcused_months"]
        assert r["Các tháng vắng không lý do"] == ", ".join(map(str, m["unexcused_month_list"]))
        assert int(r["Số tháng theo quy định"]) == m["removal_threshold_months"]
    assert {r["Năm sinh"] for r in rows} <= {""}     # names are distinct: no birth year needed


def test_audit_report_order_and_reasons(exports, example_db):
    rows = read_csv(exports / "2025" / "doi-chieu-xep-loai-2025.csv")
    model = q(example_db, "SELECT * FROM org_year_classification WHERE year = 2025 AND official_level IS NOT NULL")
    orgs = [r for r in rows if r["Phần"] == "Tổ chức"]
    groups = [r["Nhóm đối chiếu"] for r in orgs]
    order = ["Xếp loại chính thức cao hơn số liệu", "Xếp loại chính thức thấp hơn số liệu",
             "Chưa xếp loại được theo số liệu", "Công nhận 4 tốt nhưng chưa đạt tiêu chí"]
    assert groups == sorted(groups, key=order.index)
    higher = [r for r in orgs if r["Nhóm đối chiếu"] == order[0]]
    assert {r["Mã"] for r in higher} == {m["org_id"] for m in model if m["audit"] == "official_higher"}
    gaps = [int(r["Chênh lệch (bậc)"]) for r in higher]
    assert gaps == sorted(gaps, reverse=True) and all(g > 0 for g in gaps)
    assert {r["Mã"] for r in orgs if r["Nhóm đối chiếu"] == order[1]} == \
        {m["org_id"] for m in model if m["audit"] == "official_lower"}
    assert {r["Mã"] for r in orgs if r["Nhóm đối chiếu"] == order[2]} == \
        {m["org_id"] for m in model if m["audit"] == "not_computed"}
    texts = {r["code"]: r["text_vi"] for r in q(example_db, "SELECT * FROM reason_texts WHERE rulebook = 'qd366'")}
    by = {m["org_id"]: m for m in model}
    for r in orgs:
        assert r["Lý do xếp loại theo số liệu"] == "; ".join(texts[c] for c in by[r["Mã"]]["reasons"])
    # then the unsupported member ratings, by unit
    members = [r for r in rows if r["Phần"] == "Đảng viên"]
    assert rows[len(orgs):] == members
    audit = q(example_db, "SELECT * FROM member_rating_audit WHERE year = 2025")
    assert sorted(r["Mã"] for r in members) == sorted(a["member_id"] for a in audit)
    assert all(r["Lý do xếp loại theo số liệu"] for r in members)


def test_audit_workbook_sheets(exports):
    wb = openpyxl.load_workbook(exports / "2024" / "doi-chieu-xep-loai-2024.xlsx")
    assert wb.sheetnames == ["Đối chiếu tổ chức", "Đảng viên", "Tổng hợp"]
    _, headers, body = table(wb["Tổng hợp"], "Mã tổ chức cấp trên")
    col = {h: i for i, h in enumerate(headers)}
    assert body[-1][col["Tổ chức cấp trên"]] == "Toàn tỉnh"
    assert body[-1][col["Cao hơn số liệu"]] == sum(r[col["Cao hơn số liệu"]] for r in body[:-1])
    assert any(h.startswith("Cao hơn: tỷ lệ (% trên số tổ chức có xếp loại chính thức)") for h in headers)


# --------------------------------------------------------------------------------------------
# Official workbooks
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stem", STEMS)
def test_official_title_block_print_setup_and_signatures(exports, stem):
    wb = openpyxl.load_workbook(exports / "2025" / f"{stem}-2025.xlsx")
    for ws in wb.worksheets:
        text = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
        assert text[0] == "ĐẢNG BỘ TỈNH ĐẮK NÔNG (THỬ NGHIỆM)"            # the root that year
        assert "Số liệu tính đến ngày 15/03/2026" in text
        assert any("Năm 2025" in t and "Quy định áp dụng: Quy định 366-QĐ/TW" in t for t in text)
        assert "Người lập biểu" in text and "T/M Ban Thường vụ" in text
        h, _, _ = table(ws, ws.cell(row=next(r for r in range(1, 30)
                                             if ws.cell(r, 1).fill.fgColor.rgb in ("FFDDEBF7", "00DDEBF7")),
                                    column=1).value)
        assert ws.freeze_panes == f"A{h + 1}"
        assert ws.print_title_rows == f"${h}:${h}"
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0


@pytest.mark.parametrize("stem", ["xep-loai-to-chuc", "chat-luong-sinh-hoat-chi-bo", "de-nghi-xoa-ten"])
def test_xlsx_twin_holds_the_csv(exports, stem):
    csv_path = exports / "2025" / f"{stem}-2025.csv"
    ws = openpyxl.load_workbook(csv_path.with_suffix(".xlsx")).active
    want = read_csv(csv_path)
    h, headers, body = table(ws, header(csv_path)[0])
    assert headers == header(csv_path) and len(body) == len(want)
    for i, (row, exp) in enumerate(zip(body, want)):
        for j, (col, value) in enumerate(exp.items()):
            cell = ws.cell(h + 1 + i, j + 1)
            assert cell.data_type != "f", f"{cell.coordinate} is a formula"
            got = "" if row[j] is None else row[j]
            if isinstance(got, (int, float)) and not isinstance(got, bool):
                assert float(value) == got, (cell.coordinate, got, value)
                continue
            expect = value[1:] if value[:1] == "'" and value[1:2] in DANGEROUS else value
            assert got == expect, (cell.coordinate, got, value)


def test_injection_neutralised_everywhere(warehouse, tmp_path):
    c = duckdb.connect(str(warehouse))
    c.execute("UPDATE org_years SET name = '=HYPERLINK(\"http://x\")' WHERE org_id = 'U01'")
    c.execute("UPDATE members SET full_name = '-Lê Văn Cường' WHERE member_id = 'DV000153'")
    write_exports(c, tmp_path, EXAMPLE_AS_OF)
    c.close()
    by = {r["Mã tổ chức"]: r for r in read_csv(tmp_path / "2025" / "xep-loai-to-chuc-2025.csv")}
    assert by["U01"]["Tên tổ chức"] == "'=HYPERLINK(\"http://x\")"
    assert by["H02-X002-C01"]["Tên tổ chức cấp trên"] == "'=HYPERLINK(\"http://x\")"
    names = [r["Họ và tên"] for r in read_csv(tmp_path / "2025" / "de-nghi-xoa-ten-2025.csv")]
    assert "'-Lê Văn Cường" in names
    for path in tmp_path.rglob("*.csv"):
        for row in csv.reader(io.StringIO(path.read_bytes()[3:].decode("utf-8"), newline="")):
            for cell in row:
                if cell and cell[0] in DANGEROUS:
                    assert re.fullmatch(r"-?\d+(\.\d+)?", cell), f"{path.name}: {cell!r}"
    for path in tmp_path.rglob("*.xlsx"):
        wb = openpyxl.load_workbook(path)
        assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


def test_neutralise_unit():
    df = pl.DataFrame({"a": ["=1+1", "+x", "-y", "@z", "\tt", "\rr", "ok", "", None, "a=b"], "n": list(range(-5, 5))})
    got = neutralise(df)
    assert got["a"].to_list() == ["'=1+1", "'+x", "'-y", "'@z", "'\tt", "'\rr", "ok", None, None, "a=b"]
    assert got["n"].to_list() == list(range(-5, 5))


def test_removal_birth_year_only_for_shared_names(warehouse, tmp_path, example_db):
    both = q(example_db, "SELECT member_id FROM member_years WHERE removal_candidate AND year = 2025 "
                         "ORDER BY member_id")
    a, b = both[0]["member_id"], both[1]["member_id"]
    c = duckdb.connect(str(warehouse))
    c.execute("UPDATE members SET full_name = 'Nguyễn Văn An' WHERE member_id IN (?, ?)", [a, b])
    write_exports(c, tmp_path, EXAMPLE_AS_OF)
    years = dict(c.execute("SELECT member_id, year(birth_date) FROM members WHERE member_id IN (?, ?)",
                           [a, b]).fetchall())
    c.close()
    rows = read_csv(tmp_path / "2025" / "de-nghi-xoa-ten-2025.csv")
    assert {r["Mã đảng viên"]: r["Năm sinh"] for r in rows} == {a: str(years[a]), b: str(years[b])}


# --------------------------------------------------------------------------------------------
# Error lists (messy delivery)
# --------------------------------------------------------------------------------------------
ERROR_HEADERS = ["Tệp", "Dòng", "Loại dữ liệu", "Cột", "Giá trị", "Nội dung lỗi", "Tình trạng", "Mã kiểm tra",
                 "Nội dung lỗi (tiếng Anh)", "Mã đảng bộ cấp trên cơ sở", "Đảng bộ cấp trên cơ sở",
                 "Mã tổ chức cơ sở đảng", "Tổ chức cơ sở đảng"]


def test_errors_file(messy_exports, messy_db):
    path = messy_exports / "du-lieu-loi.csv"
    assert header(path) == ERROR_HEADERS
    rows = read_csv(path)
    keys = [(r["Tệp"], int(r["Dòng"]) if r["Dòng"] else -1) for r in rows]
    assert keys == sorted(keys)
    problems = q(messy_db, "SELECT count(*) AS n FROM quarantine")[0]["n"]
    pending = q(messy_db, "SELECT count(*) AS n FROM pending")[0]["n"]
    rejected = q(messy_db, "SELECT count(*) AS n FROM files WHERE NOT superseded "
                           "AND status IN ('rejected', 'unsupported_format')")[0]["n"]
    # the messy members file has a column the contract does not know ("Ghi chú"): the reader's
    # warning is listed too, as "Cảnh báo" (the file loaded; nothing was lost)
    assert Counter(r["Tình trạng"] for r in rows) == Counter(
        {"Bị loại": problems, "Đang chờ": pending, "Tệp bị từ chối": 1, "Định dạng không hỗ trợ": 1,
         "Cảnh báo": 1})
    assert rejected == 2
    warned = [r for r in rows if r["Tình trạng"] == "Cảnh báo"]
    assert [(r["Tệp"], r["Dòng"], r["Loại dữ liệu"], r["Cột"], r["Mã kiểm tra"], r["Nội dung lỗi"],
             r["Nội dung lỗi (tiếng Anh)"]) for r in warned] == [
        ("members/2024-01-15-dang-vien.csv", "", "Đảng viên", "", "read_warning",
         "Cột K «Ghi chú» không có trong quy định, bỏ qua",
         "Column K 'Ghi chú' is not in the contract, ignored")]
    for r in rows:
        assert r["Nội dung lỗi"] and r["Nội dung lỗi (tiếng Anh)"]
        assert "/tmp" not in r["Nội dung lỗi"] + r["Nội dung lỗi (tiếng Anh)"]     # paths under raw/
        assert not r["Tệp"].startswith("/")
    rej = [r for r in rows if r["Tệp"] == "attendance/2024-03-01/khong-co-tieu-de.csv"][0]
    assert rej["Nội dung lỗi"].startswith("Tệp attendance/2024-03-01/khong-co-tieu-de.csv:")
    assert rej["Nội dung lỗi (tiếng Anh)"].startswith("File attendance/2024-03-01/khong-co-tieu-de.csv:")
    docx = [r for r in rows if r["Tệp"] == "ghi-chu.docx"][0]
    assert "thư mục" in docx["Nội dung lỗi"] and docx["Nội dung lỗi (tiếng Anh)"].startswith("not inside")
    p = [r for r in rows if r["Tình trạng"] == "Đang chờ"][0]
    assert p["Nội dung lỗi"].startswith("Chưa có buổi sinh hoạt mã SH-KHONG-CO") and p["Cột"] == "Mã buổi sinh hoạt"


def _unit_rows(path: Path) -> list[list]:
    ws = openpyxl.load_workbook(path).active
    _, headers, body = table(ws, "Tệp")
    assert headers == ERROR_HEADERS
    return [["" if v is None else v for v in r] for r in body]


def test_error_lists_per_unit_add_up(messy_exports):
    province = [[r[h] for h in ERROR_HEADERS] for r in read_csv(messy_exports / "du-lieu-loi.csv")]
    folder = messy_exports / "loi-theo-don-vi"
    books = {p.name: _unit_rows(p) for p in sorted(folder.glob("*.xlsx"))}
    assert "DM-huyen-duc-mach.xlsx" in books or any(n.startswith("DM-") for n in books)
    uppers = [n for n in books if n.startswith("DM-") and not n.startswith("DM-X")]
    root = [n for n in books if n.startswith("DN-")]
    assert len(uppers) == 1 and len(root) == 1
    norm = lambda rows: sorted(tuple(str(v) for v in r) for r in rows)   # noqa: E731
    assert norm(books[uppers[0]] + books[root[0]]) == norm(province)
    upper_rows = books[uppers[0]]
    assert upper_rows and all(r[ERROR_HEADERS.index("Mã đảng bộ cấp trên cơ sở")] == "DM" for r in upper_rows)
    # a grassroots organisation's list is the part of its cấp trên cơ sở's that is its own
    grassroots = [n for n in books if n.startswith("DM-X1-")]
    assert len(grassroots) == 1
    own = [r for r in upper_rows if r[ERROR_HEADERS.index("Mã tổ chức cơ sở đảng")] == "DM-X1"]
    assert norm(books[grassroots[0]]) == norm(own) and own
    # the rejected and unsupported files stay with the province
    assert {r[0] for r in books[root[0]]} >= {"ghi-chu.docx", "attendance/2024-03-01/khong-co-tieu-de.csv"}


def test_error_lists_every_upper_gets_one(exports, example_db):
    folder = exports / "loi-theo-don-vi"
    latest = q(example_db, "SELECT org_id FROM org_years WHERE year = (SELECT max(year) FROM org_years) "
                           "AND level = 'cap_tren_co_so'")
    names = {p.name.split("-")[0] for p in folder.glob("*.xlsx")}
    have = {p.name for p in folder.glob("*.xlsx")}
    for r in latest:
        assert any(n.startswith(r["org_id"] + "-") for n in have), r["org_id"]
    assert names
    for p in folder.glob("*.xlsx"):
        assert _unit_rows(p) == []          # the worked example has no bad row
