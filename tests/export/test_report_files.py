"""A night writes only the reports whose content changed (`report_files`), and the published
folder then holds exactly what a full export of the warehouse would write."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from chibo.export import document_warehouse, write_exports
from chibo.export.writer import ReportWriter
from chibo.pipeline import run_all
from chibo.settings import Settings
from tests.helpers import EXAMPLE

FIRST, NEXT = dt.date(2026, 3, 15), dt.date(2026, 3, 16)
# a 2025 meeting of the worked example, its attendance row corrected the next day
ROW = "H01-X001-C01.20251013.R39,DV000001"
HEADER = "meeting_id,member_id,status,spoke,absence_reason\n"


def _settings(base: Path, as_of: dt.date) -> Settings:
    return Settings(raw=base / "raw", warehouse=base / "wh" / "chibo.duckdb",
                    exports=base / "exports", as_of=as_of)


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def _as_of_line(path: Path) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        lines = [c for row in wb.worksheets[0].iter_rows(max_row=8, values_only=True)
                 for c in row if isinstance(c, str) and c.startswith("Số liệu tính đến ngày")]
    finally:
        wb.close()
    return lines[0]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE / "raw", tmp_path / "raw")
    return tmp_path


def test_a_night_rewrites_only_the_reports_whose_content_changed(base: Path, tmp_path: Path):
    run_all(_settings(base, FIRST))
    edited = base / "exports" / "2023" / "xep-loai-to-chuc-2023.xlsx"
    edited.write_bytes(edited.read_bytes() + b"edited in Excel")   # by someone, by hand
    before = _files(base / "exports")
    (base / "raw" / "attendance" / "2026-03-16-h01-dinh-chinh.csv").write_text(
        HEADER + f"{ROW},excused,false,Đi công tác\n", encoding="utf-8")
    run_all(_settings(base, NEXT))
    after = _files(base / "exports")

    assert set(after) == set(before)
    rewritten = {p for p in after if after[p] != before[p]}
    # 2023 and 2024 do not see a 2025 meeting: their files stay as published, but the one
    # edited by hand is written again
    assert {p for p in rewritten if p.startswith(("2023/", "2024/"))} == \
        {"2023/xep-loai-to-chuc-2023.xlsx"}
    assert not edited.read_bytes().endswith(b"edited in Excel")
    assert "2025/chat-luong-sinh-hoat-chi-bo-2025.csv" in rewritten   # the corrected meeting's year
    assert "du-lieu-loi.xlsx" not in rewritten             # no new error
    out = base / "exports"
    assert _as_of_line(out / "2024" / "xep-loai-to-chuc-2024.xlsx").endswith("15/03/2026")
    assert _as_of_line(out / "2025" / "chat-luong-sinh-hoat-chi-bo-2025.xlsx") \
        .endswith("16/03/2026")
    with duckdb.connect(str(base / "wh" / "chibo.duckdb"), read_only=True) as con:
        recorded = dict(con.execute("SELECT path, as_of FROM report_files").fetchall())
        assert set(recorded) == set(after)
        assert {recorded[p] for p in after if p in rewritten} == {NEXT}
        assert {recorded[p] for p in after if p not in rewritten} == {FIRST}
        # what stays published is what a full export of this warehouse writes
        shutil.copy(base / "wh" / "chibo.duckdb", tmp_path / "copy.duckdb")
    with duckdb.connect(str(tmp_path / "copy.duckdb")) as con:
        full = write_exports(con, tmp_path / "full", NEXT)
    assert {p.relative_to(tmp_path / "full").as_posix() for p in full} == set(after)
    for p in full:
        if p.suffix == ".csv":
            assert p.read_bytes() == (out / p.relative_to(tmp_path / "full")).read_bytes()


def _lists(folder: Path) -> dict[str, bool]:
    """Each unit's error list: does it name the unknown member?"""
    return {p.name: any("DV999999" in str(c) for row in openpyxl.load_workbook(p).active
                        .iter_rows(values_only=True) for c in row)
            for p in folder.glob("*.xlsx")}


def test_a_units_error_list_goes_once_its_errors_are_fixed(base: Path):
    sent = base / "raw" / "attendance" / "2026-03-16-h01-gui-bo-sung.csv"
    # a good row places the file at its unit; a member the register does not know waits
    sent.write_text(HEADER + f"{ROW},present,true,\n"
                    "H01-X001-C01.20251013.R39,DV999999,present,true,\n", encoding="utf-8")
    run_all(_settings(base, FIRST))
    units = base / "exports" / "loi-theo-don-vi"
    first = _lists(units)
    with duckdb.connect(str(base / "wh" / "chibo.duckdb"), read_only=True) as con:
        uppers = {r[0] for r in con.execute(
            "SELECT org_id FROM org_years WHERE level = 'cap_tren_co_so' "
            "AND year = (SELECT max(year) FROM org_years)").fetchall()}
    own = {n for n, has in first.items()
           if has and not any(n.startswith(f"{u}-") for u in uppers | {"TINH"})}
    assert len(own) == 1                           # the grassroots unit's own list
    mine = units / "ghi-chu-cua-toi.xlsx"           # a file chibo did not write
    mine.write_bytes(b"not chibo's")

    sent.write_text(HEADER + f"{ROW},present,true,\n", encoding="utf-8")   # sent again, fixed
    run_all(_settings(base, NEXT))
    assert mine.read_bytes() == b"not chibo's"
    mine.unlink()
    second = _lists(units)
    assert not own & set(second)                    # no error left: no list
    assert set(second) == set(first) - own          # the cấp trên cơ sở's lists stay
    assert not any(second.values())


def test_big_exports_write_their_workbooks_in_worker_processes(example_db: Path, exports: Path,
                                                              tmp_path: Path):
    """The pool's files are the same workbooks the run's own process writes."""
    shutil.copy(example_db, tmp_path / "a.duckdb")
    with duckdb.connect(str(tmp_path / "a.duckdb")) as con:
        document_warehouse(con)   # the views the reports read, as the export stage makes them
        writer = ReportWriter(con, tmp_path / "pool", None, FIRST, workers=2, pool_min_cells=1)
        from chibo.export.reports import Year, classification_report
        y = Year(con, 2025, FIRST)
        writer.report(classification_report(y), y.heading(), tmp_path / "pool")
        written = writer.close()
        assert writer.pool_started
    assert [p.name for p in written] == ["xep-loai-to-chuc-2025.csv", "xep-loai-to-chuc-2025.xlsx"]
    pool = openpyxl.load_workbook(tmp_path / "pool" / "xep-loai-to-chuc-2025.xlsx")
    here = openpyxl.load_workbook(exports / "2025" / "xep-loai-to-chuc-2025.xlsx")
    assert [[c for c in r] for r in pool.active.iter_rows(values_only=True)] == \
        [[c for c in r] for r in here.active.iter_rows(values_only=True)]


NO_MAIN_GUARD = '''
import datetime as dt, logging, sys
from pathlib import Path
import duckdb, polars as pl
from chibo.export.workbook import Heading, Report, Sheet
from chibo.export.writer import ReportWriter
logging.basicConfig(level=logging.WARNING)
out = Path(sys.argv[1])
writer = ReportWriter(duckdb.connect(), out, None, dt.date(2026, 3, 15), workers=2,
                      pool_min_cells=1)
frame = pl.DataFrame({"Mã": ["A", "B"], "Số": [1, 2]})
writer.report(Report.single("thu", Sheet("Thu", "THỬ", frame)),
              Heading("Tỉnh", dt.date(2026, 3, 15)), out)
print(sorted(p.name for p in writer.close()))
'''


def test_a_calling_script_without_a_main_guard_still_gets_its_workbooks(tmp_path: Path):
    """The spawned writers re-run such a script and die: the export writes the workbooks in
    its own process instead of failing."""
    import subprocess
    import sys
    script = tmp_path / "export_script.py"
    script.write_text(NO_MAIN_GUARD, encoding="utf-8")
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().splitlines()[-1] == "['thu.csv', 'thu.xlsx']"
    assert "writing the rest in this process" in run.stderr
    ws = openpyxl.load_workbook(tmp_path / "out" / "thu.xlsx").active
    assert any(row[:2] == ("A", 1) for row in ws.iter_rows(values_only=True))


def test_a_new_layout_writes_every_file_again(base: Path, tmp_path: Path, monkeypatch):
    """Same content, other writing code (a chibo upgrade that formats workbooks differently):
    nothing published may keep the old layout."""
    from chibo.export import writer
    run_all(_settings(base, FIRST))
    published = base / "exports"
    shutil.copy(base / "wh" / "chibo.duckdb", tmp_path / "copy.duckdb")
    with duckdb.connect(str(tmp_path / "copy.duckdb")) as con:
        assert write_exports(con, tmp_path / "same", FIRST, published=published) == []
        monkeypatch.setattr(writer, "layout", lambda: b"another layout")
        again = write_exports(con, tmp_path / "again", FIRST, published=published)
    assert {p.relative_to(tmp_path / "again").as_posix() for p in again} == \
        set(_files(published))


def test_a_year_whose_model_inputs_did_not_change_is_not_built_again(base: Path):
    """A night's export builds only the years whose model inputs changed (and the years whose
    trend shows them): the others' files stay as published without their reports being built.
    Seen here by a 2023 level altered in the warehouse behind the model's back: the 2023
    files are not built from it, while a file of 2023 removed by hand makes the year built."""
    run_all(_settings(base, FIRST))
    wh = base / "wh" / "chibo.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("UPDATE org_year_classification SET level = 'failed' "
                    "WHERE year = 2023 AND org_level = 'chi_bo'")
    out = base / "exports"
    before = _files(out)
    (base / "raw" / "attendance" / "2026-03-16-h01-dinh-chinh.csv").write_text(
        HEADER + f"{ROW},excused,false,Đi công tác\n", encoding="utf-8")
    run_all(_settings(base, NEXT))
    after = _files(out)
    assert {p: after[p] for p in after if p.startswith(("2023/", "2024/"))} == \
        {p: before[p] for p in before if p.startswith(("2023/", "2024/"))}
    assert any(after[p] != before[p] for p in after if p.startswith("2025/"))

    (out / "2023" / "de-nghi-xoa-ten-2023.csv").unlink()
    (base / "raw" / "attendance" / "2026-03-17-h01-dinh-chinh.csv").write_text(
        HEADER + f"{ROW},present,true,\n", encoding="utf-8")
    run_all(_settings(base, NEXT + dt.timedelta(days=1)))
    rebuilt = _files(out)
    assert (out / "2023" / "de-nghi-xoa-ten-2023.csv").exists()
    # built from the warehouse as it now is: the altered levels show
    assert rebuilt["2023/xep-loai-to-chuc-2023.csv"] != after["2023/xep-loai-to-chuc-2023.csv"]
    assert rebuilt["2024/xep-loai-to-chuc-2024.csv"] == after["2024/xep-loai-to-chuc-2024.csv"]
