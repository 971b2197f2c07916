"""Make the screenshots of docs/huong-dan.md with the project's own tooling.

    .venv/bin/python docs/img/make_screenshots.py        # writes docs/img/*.png

Runs the worked example (tests/model/fixtures/small-province) through `chibo.pipeline.run_all`
together with an attendance sheet a secretary filled from `chibo template attendance --cell`
with three typical mistakes, then opens a template, its instructions sheet and the error list
`du-lieu-loi.xlsx` in LibreOffice headless (→ PDF) and renders the first page of each with
`pdftoppm -png -r 60`. Needs `soffice` (libreoffice-calc) and `pdftoppm` (poppler-utils).
"""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import openpyxl  # noqa: E402

from chibo.pipeline import run_all  # noqa: E402
from chibo.settings import Settings  # noqa: E402
from chibo.templates import (  # noqa: E402
    GUIDE_SHEET,
    attendance_sheet,
    meetings_sheet,
    write_template,
)
from tests.templates.filling import fill, prefilled  # noqa: E402

OUT = REPO / "docs" / "img"
EXAMPLE_RAW = REPO / "tests" / "model" / "fixtures" / "small-province" / "raw"
AS_OF = dt.date(2026, 3, 15)
CELL = "H01-X001-C01"
MEETING = f"{CELL}.20260310"


def to_png(xlsx: Path, name: str, work: Path, crop: tuple[int, int] = (702, 330),
           dpi: int = 60) -> Path:
    """The top left part (width, height in pixels) of the workbook's first page as
    LibreOffice prints it."""
    pdf_dir = work / "pdf"
    subprocess.run(["soffice", f"-env:UserInstallation={(work / 'profile').as_uri()}",
                    "--headless", "--norestore", "--convert-to", "pdf", "--outdir",
                    str(pdf_dir), str(xlsx)], check=True, capture_output=True, timeout=300)
    target = OUT / name
    cmd = ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
           "-x", "0", "-y", "0", "-W", str(crop[0]), "-H", str(crop[1])]
    subprocess.run([*cmd, str(pdf_dir / f"{xlsx.stem}.pdf"), str(target.with_suffix(""))],
                   check=True, timeout=120)
    return target


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="chibo-screenshots-"))
    raw = work / "raw"
    shutil.copytree(EXAMPLE_RAW, raw)
    settings = Settings(raw=raw, warehouse=work / "wh" / "chibo.duckdb",
                        exports=work / "exports", as_of=AS_OF)
    run_all(settings)

    # the secretary's attendance sheet, prefilled from the warehouse, then filled in
    sheet = attendance_sheet(work / "diem-danh.xlsx", settings.warehouse, CELL, MEETING)
    rows = []
    for i, row in enumerate(prefilled(sheet, "attendance")):
        if row.get("status"):
            continue
        rows.append(dict(member_id=row["member_id"], status="Có mặt",
                         spoke="Có" if i % 2 else "Không"))
    rows[1] = dict(member_id=rows[1]["member_id"], status="Vắng có lý do")       # no reason
    rows[2] = dict(member_id=rows[2]["member_id"], status="Vắng không lý do", spoke="Có")
    rows[3] = dict(member_id=rows[3]["member_id"], status="Vắng")                # not in list
    filled = fill(sheet, "attendance", rows[:3], match="member_id", out=work / "filled.xlsx")
    # "Vắng" is typed, not picked: fill() only accepts dropdown values, so write it by hand
    wb = openpyxl.load_workbook(filled)
    ws = wb["attendance"]
    target_row = next(r for r in range(5, ws.max_row + 1)
                      if ws.cell(r, 2).value == rows[3]["member_id"])
    ws.cell(target_row, 4).value = "Vắng"
    for r in range(5, ws.max_row + 1):       # the rest present
        if ws.cell(r, 4).value is None and ws.cell(r, 2).value:
            ws.cell(r, 4).value = "Có mặt"
    delivered = raw / "attendance" / "2026-03-12-h01-x001-c01.xlsx"
    wb.save(delivered)
    shutil.copy(delivered, work / "diem-danh-da-dien.xlsx")
    # the meeting itself, so the attendance rows are not pending
    fill(write_template("meetings", work / "sinh-hoat.xlsx"), "meetings", [dict(
        meeting_id=MEETING, cell_id=CELL, meeting_type="Thường kỳ",
        meeting_date=dt.date(2026, 3, 10), start_time=dt.time(19, 30),
        end_time=dt.time(21, 30), topic="Học tập và làm theo Bác", chair_member_id="DV0001",
        secretary_member_id="DV0002", upper_attendees=0, criticism_held="Có",
        resolution_adopted="Có", minutes_signed="Có")],
        out=raw / "meetings" / "2026-03-12-h01-x001-c01.xlsx")
    run_all(settings)

    OUT.mkdir(parents=True, exist_ok=True)
    print(to_png(work / "diem-danh-da-dien.xlsx", "mau-diem-danh.png", work))
    sheet = meetings_sheet(work / "mau-sinh-hoat.xlsx", CELL, 2026, settings.warehouse)
    print(to_png(sheet, "mau-sinh-hoat.png", work))
    wb = openpyxl.load_workbook(sheet)      # the instructions sheet alone: its first page
    for name in wb.sheetnames:
        if name != GUIDE_SHEET:
            del wb[name]
    wb.save(work / "huong-dan.xlsx")
    # the instructions and the error list are printed one A4 page wide: too small at 60 dpi,
    # so their top left part at a higher resolution
    print(to_png(work / "huong-dan.xlsx", "mau-huong-dan.png", work, crop=(900, 520), dpi=110))
    print(to_png(settings.exports / "du-lieu-loi.xlsx", "danh-sach-loi.png", work,
                 crop=(820, 300), dpi=130))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
