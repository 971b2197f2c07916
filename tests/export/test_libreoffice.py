"""Open the exports in a real spreadsheet program, as an official would: LibreOffice headless.

CSV and .xlsx open with their Vietnamese text intact; the official workbooks print (→ PDF) on
A4 landscape, one page wide, a few pages for the summary, pages growing with rows and never
with columns.

CI needs: apt-get update && apt-get install -y --no-install-recommends libreoffice-calc
(.ci/run installs it when missing).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import openpyxl
import pytest

from chibo.export import write_exports
from tests.export.test_workbook_cells import HARD_TEXT
from tests.export.test_workbook_cells import _write as write_hard_workbook

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not on PATH; install with "
                       "`apt-get install -y --no-install-recommends libreoffice-calc`"),
    pytest.mark.xdist_group("libreoffice"),
]


def convert(src: Path, target: str, outdir: Path, profile: Path, infilter: str | None = None) -> Path:
    cmd = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--convert-to", target, "--outdir", str(outdir)]
    if infilter:
        cmd.insert(3, f"--infilter={infilter}")
    proc = subprocess.run(cmd + [str(src)], capture_output=True, text=True, timeout=300)
    ext = target.split(":")[0]
    out = outdir / f"{src.stem}.{ext}"
    assert proc.returncode == 0 and out.exists(), (proc.stdout, proc.stderr)
    return out


def pdf_pages(pdf: Path) -> list[tuple[float, float]]:
    """(width, height) in points of every page of a PDF LibreOffice wrote."""
    data = pdf.read_bytes()
    pages = re.findall(rb"/Type\s*/Page\b(?!s)", data)
    boxes = [tuple(float(x) for x in m.groups()) for m in
             re.finditer(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)]
    assert pages, "no page in the PDF"
    return boxes[-len(pages):] if len(boxes) >= len(pages) else [(0.0, 0.0)] * len(pages)


def test_csv_opens_in_libreoffice(exports, tmp_path):
    # CSV (UTF-8 with BOM, comma) -> xlsx through LibreOffice's CSV import: Vietnamese survives
    src = tmp_path / "xep-loai.csv"
    shutil.copy(exports / "2025" / "xep-loai-to-chuc-2025.csv", src)
    out = convert(src, "xlsx", tmp_path / "out", tmp_path / "profile", infilter="CSV:44,34,76,1")
    ws = openpyxl.load_workbook(out).active
    headers = [c.value for c in ws[1]]
    assert headers[:7] == ["Mã tổ chức", "Tên tổ chức", "Cấp", "Mã tổ chức cấp trên",
                           "Tên tổ chức cấp trên", "Xếp loại", "Xếp loại (tên đầy đủ)"]
    assert "Đoàn kết, kỷ luật tốt" in headers and "4 tốt" in headers
    values = {str(c.value) for row in ws.iter_rows(min_row=2) for c in row if c.value is not None}
    assert "Hoàn thành tốt nhiệm vụ" in values and "Đảng bộ xã Cư Jút" in values
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_xlsx_opens_in_libreoffice(exports, tmp_path):
    # official xlsx -> CSV (UTF-8) through LibreOffice: title block, headers and values survive
    src = tmp_path / "xoa-ten.xlsx"
    shutil.copy(exports / "2025" / "de-nghi-xoa-ten-2025.xlsx", src)
    out = convert(src, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "out", tmp_path / "profile")
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "ĐẢNG BỘ TỈNH ĐẮK NÔNG (THỬ NGHIỆM)"
    assert any(r and r[0] == "Số liệu tính đến ngày 15/03/2026" for r in rows)
    h = next(i for i, r in enumerate(rows) if r and r[0] == "Mã đảng viên")
    assert rows[h][:4] == ["Mã đảng viên", "Họ và tên", "Năm sinh", "Chi bộ"]
    assert {r[1] for r in rows[h + 1:h + 3]} == {"Bùi Thị Sơn", "Phan Minh Thắng"}
    assert any("Người lập biểu" in r for r in rows) and any("T/M Ban Thường vụ" in r for r in rows)


def test_reports_print_a4_landscape_one_page_wide(exports, tmp_path):
    for stem in ("tong-hop-xep-loai-2025", "xep-loai-to-chuc-2025", "doi-chieu-xep-loai-2025",
                 "chat-luong-sinh-hoat-chi-bo-2025"):
        pdf = convert(exports / "2025" / f"{stem}.xlsx", "pdf", tmp_path / "pdf", tmp_path / "profile")
        pages = pdf_pages(pdf)
        assert all(w > h for w, h in pages), (stem, pages)          # landscape
        assert all(abs(w - 841.9) < 2 and abs(h - 595.3) < 2 for w, h in pages), (stem, pages)  # A4
        sheets = len(openpyxl.load_workbook(exports / "2025" / f"{stem}.xlsx").sheetnames)
        assert sheets <= len(pages) <= 2 * sheets, (stem, len(pages))   # the example: a page or two
        if stem.startswith("tong-hop"):
            assert len(pages) == 1


def test_pages_grow_with_rows_never_with_columns(example_db, tmp_path):
    # the same classification report with 40× the rows: more pages, each still one page wide
    # (a report whose columns spilled would print every page twice or more)
    db = tmp_path / "big.duckdb"
    shutil.copy(example_db, db)
    c = duckdb.connect(str(db))
    n = c.execute("SELECT count(*) FROM org_year_classification WHERE year = 2025").fetchone()[0]
    for k in range(39):
        c.execute(f"""
            INSERT INTO org_year_classification
            SELECT * REPLACE (org_id || '-K{k}' AS org_id) FROM org_year_classification
            WHERE year = 2025 AND org_id NOT LIKE '%-K%'""")
        c.execute(f"""
            INSERT INTO org_years
            SELECT * REPLACE (org_id || '-K{k}' AS org_id, tree_order + {(k + 1) * 1000} AS tree_order)
            FROM org_years WHERE year = 2025 AND org_id NOT LIKE '%-K%'""")
    write_exports(c, tmp_path / "out", dt.date(2026, 3, 15))
    c.close()
    pdf = convert(tmp_path / "out" / "2025" / "xep-loai-to-chuc-2025.xlsx", "pdf", tmp_path / "pdf",
                  tmp_path / "profile")
    pages = pdf_pages(pdf)
    rows = 40 * n
    assert 2 <= len(pages) <= rows // 8, (len(pages), rows)
    assert all(w > h for w, h in pages)


@pytest.mark.slow
def test_demo_province_prints_in_few_pages(tmp_path):
    # the generated province (a demo-sized year): the summary fits a few pages (it printed as
    # 24 before the print setup), the classification ~30 rows a page (450 pages before)
    from chibo.generate import generate
    from tests.export.conftest import build, export_copy

    as_of = dt.date(2026, 2, 15)
    generate("province", (2025, 2025), tmp_path / "raw", seed=7, as_of=as_of, members=4000)
    db = build(tmp_path / "raw", tmp_path, as_of)
    exports = export_copy(db, tmp_path, as_of)
    summary = convert(exports / "2025" / "tong-hop-xep-loai-2025.xlsx", "pdf", tmp_path / "pdf",
                      tmp_path / "profile")
    assert len(pdf_pages(summary)) <= 8
    classification = convert(exports / "2025" / "xep-loai-to-chuc-2025.xlsx", "pdf", tmp_path / "pdf",
                             tmp_path / "profile")
    rows = len((exports / "2025" / "xep-loai-to-chuc-2025.csv").read_text(encoding="utf-8-sig").splitlines()) - 1
    pages = pdf_pages(classification)
    assert rows / 60 <= len(pages) <= rows / 15, (rows, len(pages))
    assert all(w > h for w, h in pages)


def test_hard_text_cells_open_in_libreoffice(tmp_path):
    # the table cells chibo writes as sheet XML itself: LibreOffice reads back every text,
    # escapes included, and the numbers as numbers
    src = write_hard_workbook(tmp_path / "bao-cao.xlsx")
    out = convert(src, "csv:Text - txt - csv (StarCalc):44,34,76,1",
                  tmp_path / "out", tmp_path / "profile")
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    h = next(i for i, r in enumerate(rows) if r and r[0] == "Tên tổ chức")
    assert [r[0] for r in rows[h + 1:h + 1 + len(HARD_TEXT)]] == HARD_TEXT
    assert [r[1] for r in rows[h + 1:h + 4]] == ["1", "", "3"]
    assert rows[h + 1][3:5] == ["Có", "02/01/2025"]
