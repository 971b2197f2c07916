"""What the night did, Vietnamese first: the summary `chibo run` prints and the Prefect
artifacts report this run's work (new files by status, each new file with rows not loaded and
its counts, earlier files whose counts changed, org-years whose level changed, where the error
list is) before the totals; an empty raw/ is one line.

A small real world (TINH > H > D > two cells, a full 2024) runs once; the next night brings one
members file with two bad rows and one row of an unknown cell (pending), and a good assessments
correction that makes C1's 2024 level fall. That night runs through the real `chibo run`
(embedded Prefect) in one world and `pipeline.run_all` in a twin world: both must say the same.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from chibo import pipeline
from chibo.cli import print_run_summary, sql_hint
from chibo.settings import Settings
from chibo.warehouse import ensure_schema
from tests.helpers import write_csv
from tests.model.world import World

AS_OF = dt.date(2025, 3, 15)
BAD_FILE = "members/2025-03-20-bo-sung.csv"
BAD_LINE = (f"{BAD_FILE}: đọc / read 4, nạp / loaded 1, bị loại / quarantined 2, "
            "chờ / pending 1")
CORRECTION = "assessments/z-2025-03-20-sua.csv"   # sorts after w.csv: it wins for C1 2024
LEVEL_LINE = "C1 (Tổ chức C1) 2024: HTTNV (good) → KHTNV (failed)"
NOTE = "members/ghi-chu.txt"
CHIBO = Path(sys.executable).with_name("chibo")
REPO = Path(__file__).resolve().parent.parent


def good_world(base: Path) -> Settings:
    w = World()
    w.dang_bo()
    w.cell("C1", members=4)
    w.cell("C2", members=3)
    for cell in ("C1", "C2"):
        w.good_cell_year(cell, 2024)
    raw = w.write_raw(base / "raw")
    return Settings(raw=raw, warehouse=base / "wh" / "chibo.duckdb",
                    exports=base / "wh" / "exports", as_of=AS_OF)


def bad_night(raw: Path) -> None:
    """One file with 4 rows: 1 good, 2 bad (a 31 February, an unknown sex), 1 of a cell no
    org_units file has delivered (pending); and a correction lowering C1's 2024 targets."""
    m = dict(birth_date="1990-01-01", sex="male", joined_on="2025-03-01", status="active",
             is_local="true")
    write_csv(raw, "members", Path(BAD_FILE).name, [
        dict(member_id="C1-M101", full_name="Nguyễn Văn Mới", cell_id="C1", **m),
        dict(member_id="C1-M102", full_name="Trần Sai Ngày", cell_id="C1",
             **{**m, "birth_date": "31/02/1990"}),
        dict(member_id="C1-M103", full_name="Lê Sai Giới", cell_id="C1",
             **{**m, "sex": "khong ro"}),
        dict(member_id="C9-M001", full_name="Phạm Chưa Có Chi Bộ", cell_id="C9", **m),
    ])
    write_csv(raw, "assessments", Path(CORRECTION).name, [dict(
        org_id="C1", year=2024, targets_total=10, targets_met=2, targets_exceeded=0,
        org_disciplined="false", disunity="false", mass_orgs_good="true",
        shortcomings_fixed="true")])


@pytest.fixture(scope="module")
def cli_night(tmp_path_factory):
    """The bad night through the real `chibo run` (embedded Prefect)."""
    base = tmp_path_factory.mktemp("cli-night")
    s = good_world(base)
    pipeline.run_all(s)
    bad_night(s.raw)
    r = subprocess.run([str(CHIBO), "run", "--raw", str(s.raw), "--warehouse", str(s.warehouse),
                        "--exports", str(s.exports), "--as-of", AS_OF.isoformat()],
                       capture_output=True, text=True, timeout=600, cwd=base)
    return s, r


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    """The same nights through `pipeline.run_all`: the first, the bad one, and a third that
    delivers the missing cell C9 (the pending row of the bad file loads) and a note that is
    not a data file (not loaded)."""
    base = tmp_path_factory.mktemp("library-night")
    s = good_world(base)
    first = pipeline.run_all(s)
    bad_night(s.raw)
    bad = pipeline.run_all(s)
    write_csv(s.raw, "org_units", "2025-03-21-c9.csv", [dict(
        org_id="C9", name="Chi bộ 9", level="chi_bo", parent_id="D", kind="residential")])
    (s.raw / NOTE).write_text("gửi kèm danh sách / list attached", encoding="utf-8")
    third = pipeline.run_all(s)
    return s, first, bad, third


def this_run_section(lines: list[str]) -> list[str]:
    """The lines of "Lần chạy này / This run", run id and folders made comparable."""
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Lần chạy này / This run"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("Tổng trong kho dữ liệu"))
    return [re.sub(r"\S*/wh/exports", "<exports>", ln) for ln in lines[start + 1:end]]


def test_cli_summary_names_the_bad_file_with_its_row_counts(cli_night):
    s, r = cli_night
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.splitlines()
    stripped = [ln.strip() for ln in lines]
    this_run = stripped.index(next(ln for ln in stripped if ln.startswith("Lần chạy này")))
    totals = stripped.index("Tổng trong kho dữ liệu / totals in the warehouse:")
    assert this_run < totals                               # this run's work first
    assert "Tệp mới / new files: 2 (đã nạp / loaded 2)" in stripped[this_run:totals]
    assert BAD_LINE in stripped[this_run:totals]
    assert not any(ln.startswith(CORRECTION) for ln in stripped)   # a good file is not listed
    assert LEVEL_LINE in stripped[this_run:totals]
    assert (f"Danh sách dữ liệu lỗi / error list: {s.exports}/du-lieu-loi.csv (và / and .xlsx);"
            f" theo đơn vị / per unit: {s.exports}/loi-theo-don-vi/") in stripped
    assert "Dòng / rows: nạp / loaded 130, bị loại / quarantined 2, chờ / pending 1" in stripped
    assert "Traceback" not in r.stderr
    # the error list it points to holds that file's three rows (two quarantined, one pending)
    with open(s.exports / "du-lieu-loi.csv", encoding="utf-8-sig", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row["Tệp"] == BAD_FILE]
    assert sorted(row["Dòng"] for row in rows) == ["3", "4", "5"]
    assert (s.exports / "loi-theo-don-vi").is_dir()


def test_cli_and_library_say_the_same_of_the_night(cli_night, nights):
    _, r = cli_night
    _, _, bad, _ = nights
    assert r.returncode == 0, r.stderr[-3000:]
    assert this_run_section(r.stdout.splitlines()) == this_run_section(bad.lines())


def test_markdown_artifact_names_the_bad_file_and_the_error_list(nights):
    from chibo.pipeline import SECTIONS, summary_table

    s, _, bad, _ = nights
    md = bad.markdown()
    assert md.startswith(f"# Lần chạy chibo / chibo run {bad.run_id}\n")
    assert "| tình trạng / status | tệp / files |\n| --- | --- |\n| đã nạp / loaded | 2 |" in md
    assert f"| {BAD_FILE} | đã nạp / loaded | 4 | 1 | 2 | 1 |  |" in md
    assert CORRECTION not in md
    assert f"`{s.exports}/du-lieu-loi.csv`" in md and f"`{s.exports}/loi-theo-don-vi/`" in md
    assert "| C1 | Tổ chức C1 | 2024 | HTTNV (good) | KHTNV (failed) |" in md
    assert md.index("## Lần chạy này / This run") < md.index("## Tổng trong kho dữ liệu")

    table = summary_table(bad, bad.stage_seconds)
    assert table[0]["section"] == SECTIONS["new_files"]    # this run first
    mine = {row["measure"]: row["value"] for row in table
            if row["section"] == SECTIONS["problem_files"] and row["item"] == BAD_FILE}
    assert mine == {"tình trạng / status": "đã nạp / loaded", "đọc / read": 4,
                    "nạp / loaded": 1, "bị loại / quarantined": 2, "chờ / pending": 1}
    assert {row["value"] for row in table if row["section"] == SECTIONS["error_list"]} == {
        f"{s.exports}/du-lieu-loi.csv", f"{s.exports}/loi-theo-don-vi/"}


def test_a_level_change_shows_up_as_a_level_change(nights):
    _, first, bad, third = nights
    t = first.this_run
    assert t is not None and (t.levels_changed, t.levels_gone) == (0, 0)
    assert t.levels_new == 8                                # H, D, C1, C2 × 2024, 2025: all new
    t = bad.this_run
    assert t is not None and (t.levels_changed, t.levels_new, t.levels_gone) == (1, 0, 0)
    assert t.level_changes == [{"org_id": "C1", "name": "Tổ chức C1", "year": 2024,
                                "before": "good", "after": "failed"}]
    assert any(ln.strip() == LEVEL_LINE for ln in bad.lines())
    assert third.this_run is not None and third.this_run.levels_changed == 0


def test_rows_of_earlier_files_that_change_are_this_nights_work(nights):
    _, _, bad, third = nights
    assert bad.this_run is not None and bad.this_run.earlier_files == []
    t = third.this_run
    assert t is not None and t.new_files_by_status == {"loaded": 1, "unsupported_format": 1}
    assert [(f["path"], f["status"]) for f in t.problem_files] == [(NOTE, "unsupported_format")]
    assert t.earlier_files == [{"path": BAD_FILE, "quarantined_before": 2, "quarantined": 2,
                                "pending_before": 1, "pending": 0}]
    lines = [ln.strip() for ln in third.lines()]
    assert f"{BAD_FILE}: chờ / pending 1 → 0" in lines
    assert any(ln.startswith(f"{NOTE}: định dạng không hỗ trợ / unsupported format — chỉ đọc tệp")
               for ln in lines)                            # why it was not loaded


def test_rebuild_compares_levels_with_the_published_warehouse(nights):
    s, _, _, third = nights
    rebuilt = pipeline.run_all(s, rebuild=True)
    t = rebuilt.this_run
    assert t is not None and t.levels_compared
    assert (t.levels_changed, t.levels_new, t.levels_gone) == (0, 0, 0)
    assert t.new_files == sum(third.files_by_status.values())   # a rebuild reads every file
    # not loaded first, then those with quarantined rows (the pending one has loaded)
    assert [f["path"] for f in t.problem_files] == [NOTE, BAD_FILE]


def test_empty_raw_is_one_line(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "members").mkdir()                             # a kind folder, still no file
    s = Settings(raw=raw, warehouse=tmp_path / "wh" / "chibo.duckdb",
                 exports=tmp_path / "wh" / "exports", as_of=AS_OF)
    summary = pipeline.run_all(s)                          # not a failure: nothing to do
    line = f"raw/ chưa có tệp dữ liệu nào / raw/ holds no data file yet: {raw}"
    print_run_summary(summary)
    assert capsys.readouterr().out == line + "\n"
    assert summary.markdown() == line + "\n"
    print_run_summary({"summary_lines": summary.lines()})   # as the flow returns it
    assert capsys.readouterr().out == line + "\n"


def test_raw_has_data_counts_only_entries_in_a_kind_folder(tmp_path):
    """The run's "no data yet" and the demo's "generate first" ask the same scan."""
    from chibo.cli import has_data_files
    from chibo.integrate.ingest import ingest_raw
    from chibo.rulebooks import load_rulebooks

    raw = tmp_path / "raw"
    (raw / "members" / ".hidden").mkdir(parents=True)
    (raw / "members" / "sub").mkdir()
    (raw / "notes.txt").write_text("not a delivery")
    (raw / "members" / ".~lock.x.csv#").write_text("")

    def ingested() -> int:
        con = duckdb.connect()
        ensure_schema(con)
        return ingest_raw(con, raw, AS_OF, "t", load_rulebooks(None)).data_entries

    assert not has_data_files(raw) and ingested() == 0
    (raw / "members" / "sub" / "x.csv").write_text("member_id\n")
    assert has_data_files(raw) and ingested() == 1


def test_demo_prints_commands_that_work_from_the_project_folder(nights):
    s, _, _, _ = nights
    default = sql_hint(REPO / "warehouse" / "chibo.duckdb")
    assert default[0].startswith("Mở kho dữ liệu (chỉ đọc)")   # Vietnamese first
    assert "  make sql" in default
    assert "  .venv/bin/chibo sql --warehouse warehouse/chibo.duckdb" in default
    hint = sql_hint(s.warehouse)
    assert f"  CHIBO_WAREHOUSE={s.warehouse} make sql" in hint
    query = hint[-1].strip()
    assert query.startswith(f".venv/bin/chibo sql --warehouse {s.warehouse} -c ")
    r = subprocess.run(query, shell=True, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Tổ chức D" in r.stdout                    # v_summary_by_parent_year
