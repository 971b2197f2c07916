"""Open the exports in a real spreadsheet program: LibreOffice headless.

CI needs: apt-get update && apt-get install -y --no-install-recommends libreoffice-calc
"""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

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
    proc = subprocess.run(cmd + [str(src)], capture_output=True, text=True, timeout=180)
    ext = target.split(":")[0]
    out = outdir / f"{src.stem}.{ext}"
    assert proc.returncode == 0 and out.exists(), (proc.stdout, proc.stderr)
    return out


def test_csv_opens_in_libreoffice(exports, tmp_path):
    # CSV (UTF-8 with BOM, comma) -> xlsx through LibreOffice's CSV import: Vietnamese survives,
    # and neutralised cells stay text, not formulas.
    src = tmp_path / "xep-loai.csv"
    shutil.copy(exports / "2023" / "xep-loai-to-chuc-2023.csv", src)
    out = convert(src, "xlsx", tmp_path / "out", tmp_path / "profile", infilter="CSV:44,34,76,1")
    ws = openpyxl.load_workbook(out).active
    headers = [c.value for c in ws[1]]
    assert headers[:7] == ["Mã tổ chức", "Tên tổ chức", "Cấp", "Mã tổ chức cấp trên",
                           "Tên tổ chức cấp trên", "Xếp loại", "Xếp loại (tên đầy đủ)"]
    assert "Đoàn kết, kỷ luật tốt" in headers and "4 tốt" in headers
    values = {str(c.value) for row in ws.iter_rows(min_row=2) for c in row if c.value is not None}
    assert "Hoàn thành xuất sắc nhiệm vụ" in values and "Không hoàn thành nhiệm vụ" in values
    assert "'=Đảng bộ xã Đức Mạnh" in values
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_xlsx_opens_in_libreoffice(exports, tmp_path):
    # xlsx -> CSV (UTF-8) through LibreOffice: sheet, headers and Vietnamese values survive.
    src = tmp_path / "xoa-ten.xlsx"
    shutil.copy(exports / "2024" / "de-nghi-xoa-ten-2024.xlsx", src)
    out = convert(src, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "out",
                  tmp_path / "profile")
    text = out.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["Mã đảng viên", "Họ và tên", "Năm sinh", "Chi bộ", "Mã chi bộ", "Tổ chức cấp trên",
                       "Các tháng vắng không lý do", "Số tháng vắng không lý do", "Số buổi vắng không lý do"]
    names = [r[1] for r in rows[1:]]
    assert names == ["-Lê Văn Cường", "Nguyễn Văn An", '=HYPERLINK("http://x")']   # text, not evaluated
    assert rows[1][3] == "-Chi bộ thôn Đức Thành" and rows[1][6] == "1, 3, 5"
