"""Round trip: every template, filled as a person would, validates clean and a real run loads
every row.

Phase 1 delivers the org tree and the member register (from the blank templates) and runs;
phase 2 takes the prefilled meetings sheet of a cell and one prefilled attendance sheet per
meeting from that warehouse, the blank assessment and rating templates, fills them and runs
again: every file is loaded, nothing is quarantined or pending, every row is in its table.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from chibo.contract import KINDS
from chibo.pipeline import run_all
from chibo.rulebooks import load_rulebooks
from chibo.settings import Settings
from chibo.templates import attendance_sheet, meetings_sheet, write_template
from chibo.validate import validate_file
from tests.templates.filling import fill, prefilled

AS_OF = dt.date(2026, 1, 31)
YEAR = 2025
C1, C2 = "H01-X01-C01", "H01-X01-C02"
YES, NO = "Có", "Không"
pytestmark = pytest.mark.slow

ORGS = [
    dict(org_id="TINH", name="Đảng bộ tỉnh Thử Nghiệm", level="Đảng bộ tỉnh", kind="Khác",
         established_on=dt.date(1975, 1, 1)),
    dict(org_id="H01", name="Đảng bộ huyện Đức Minh", level="Cấp trên cơ sở",
         parent_id="TINH", kind="Khác"),
    dict(org_id="H01-X01", name="Đảng bộ xã Đức Minh", level="Đảng bộ cơ sở", parent_id="H01",
         kind="Xã, phường, đặc khu", decision="12-QĐ/HU"),
    dict(org_id=C1, name="Chi bộ thôn 1", level="Chi bộ trực thuộc", parent_id="H01-X01",
         kind="Khu dân cư", established_on=dt.date(2001, 3, 15)),
    dict(org_id=C2, name="Chi bộ thôn 2", level="Chi bộ trực thuộc", parent_id="H01-X01",
         kind="Khu dân cư"),
    # a later version: the cell renamed on 1 July 2025 (the key includes «Hiệu lực từ»)
    dict(org_id=C1, valid_from=dt.date(2025, 7, 1), name="Chi bộ thôn Đức Thành",
         level="Chi bộ trực thuộc", parent_id="H01-X01", kind="Khu dân cư",
         decision="21-QĐ/ĐU ngày 01/7/2025"),
]


def _member(mid: str, name: str, cell: str, status: str, sex: str = "Nam") -> dict:
    return dict(member_id=mid, full_name=name, birth_date=dt.date(1970, 5, int(mid[-2:])),
                sex=sex, ethnicity="Kinh", cell_id=cell, joined_on=dt.date(2000, 5, 19),
                official_on=dt.date(2001, 5, 19), status=status, is_local=YES)


MEMBERS = [
    _member("DV0001", "Nguyễn Văn An", C1, "Đang sinh hoạt"),
    _member("DV0002", "Trần Thị Bình", C1, "Đang sinh hoạt", "Nữ"),
    _member("DV0003", "Lê Văn Cường", C1, "Đang sinh hoạt"),
    _member("DV0004", "Phạm Thị Dung", C1, "Đang sinh hoạt", "Nữ"),
    _member("DV0005", "Hoàng Văn Em", C1, "Miễn sinh hoạt"),
    _member("DV0006", "Vũ Văn Phúc", C1, "Chuyển đi"),
    _member("DV0007", "Đỗ Thị Giang", C2, "Đang sinh hoạt", "Nữ"),
]
ACTIVE_C1 = ["DV0001", "DV0002", "DV0003", "DV0004", "DV0005"]


def meeting_id(month: int) -> str:
    return f"{C1}.{YEAR}{month:02d}10"


def _check_clean(path: Path, kind: str) -> None:
    problems = validate_file(path, kind, AS_OF, load_rulebooks())
    assert problems == [], [(p.source_row, p.column_name, p.check_name, p.value, p.message_vi)
                            for p in problems]


def _settings(tmp: Path) -> Settings:
    return Settings(raw=tmp / "raw", warehouse=tmp / "wh" / "chibo.duckdb",
                    exports=tmp / "exports", as_of=AS_OF)


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("round-trip")
    raw, blank = tmp / "raw", tmp / "blank"
    expected: dict[str, int] = {}

    # phase 1: the org tree and the register, from the blank templates
    for kind, rows in (("org_units", ORGS), ("members", MEMBERS)):
        path = fill(write_template(kind, blank / f"{kind}.xlsx"), kind, rows,
                    out=raw / kind / f"2025-01-05-{kind}.xlsx")
        _check_clean(path, kind)
        expected[kind] = len(rows)
    run_all(_settings(tmp))

    # phase 2: the cell's prefilled meetings sheet and one attendance sheet per meeting
    wh = _settings(tmp).warehouse
    sheet = meetings_sheet(blank / "meetings.xlsx", C1, YEAR, wh)
    months = []
    for i, row in enumerate(prefilled(sheet, "meetings")):
        month = i + 1
        months.append(dict(
            cell_id=row["cell_id"],           # the prefilled cell, untouched
            meeting_id=meeting_id(month), meeting_date=dt.date(YEAR, month, 10),
            start_time=dt.time(19, 30), end_time=dt.time(21, 30),
            topic="Học tập và làm theo Bác" if row["meeting_type"] != "Thường kỳ" else None,
            chair_member_id="DV0001", secretary_member_id="DV0002", upper_attendees=0,
            criticism_held=YES, hcm_story=YES, resolution_adopted=YES, minutes_signed=YES,
            materials_posted_on=dt.date(YEAR, month, 5)))
    # the sheet has one prefilled row per month, in order: fill them top to bottom
    path = fill(sheet, "meetings", months, out=raw / "meetings" / f"{YEAR}-12-20-c01.xlsx")
    _check_clean(path, "meetings")
    expected["meetings"] = 12

    expected["attendance"] = 0
    for month in range(1, 13):
        mid = meeting_id(month)
        sheet = attendance_sheet(blank / f"attendance-{month}.xlsx", wh, C1, mid)
        rows = []
        for row in prefilled(sheet, "attendance"):
            if row.get("status") == "Miễn sinh hoạt":      # prefilled: leave it as it is
                continue
            if row["member_id"] == "DV0004" and month == 4:
                rows.append(dict(member_id="DV0004", status="Vắng có lý do",
                                 absence_reason="Đi công tác"))
            else:
                rows.append(dict(member_id=row["member_id"], status="Có mặt", spoke=YES))
        path = fill(sheet, "attendance", rows, match="member_id",
                    out=raw / "attendance" / f"{YEAR}-{month:02d}-10-c01.xlsx")
        _check_clean(path, "attendance")
        expected["attendance"] += len(ACTIVE_C1)

    yearly = {
        "assessments": [dict(
            org_id=org, year=YEAR, targets_total=10, targets_met=9, targets_exceeded=2,
            targets_late=1, org_disciplined=NO, leaders_disciplined=NO, disunity=NO,
            mass_orgs_good=YES, shortcomings_fixed=YES, score=88.5)
            for org in ("H01", "H01-X01", C1, C2)],
        "member_ratings": [dict(member_id=m, year=YEAR, cell_id=C1, rating=rating, disciplined=NO)
                           for m, rating in zip(ACTIVE_C1, ["Hoàn thành xuất sắc nhiệm vụ",
                                                            *["Hoàn thành tốt nhiệm vụ"] * 4])],
        "official_ratings": [dict(org_id=org, year=YEAR, level="Hoàn thành tốt nhiệm vụ",
                                  four_good_awarded=NO, decided_on=dt.date(2026, 1, 20),
                                  decision="35-QĐ/HU")
                             for org in ("H01-X01", C1)],
    }
    for kind, rows in yearly.items():
        path = fill(write_template(kind, blank / f"{kind}.xlsx"), kind, rows,
                    out=raw / kind / f"2026-01-25-{kind}.xlsx")
        _check_clean(path, kind)
        expected[kind] = len(rows)
    run_all(_settings(tmp))
    return {"warehouse": wh, "expected": expected}


def test_every_kind_is_delivered_through_its_template(province):
    assert set(province["expected"]) == set(KINDS)


def test_every_file_is_loaded_with_every_row(province):
    con = duckdb.connect(str(province["warehouse"]), read_only=True)
    try:
        files = con.execute("SELECT path, status, rows_read, rows_loaded, rows_quarantined, "
                            "rows_pending, error FROM files ORDER BY path").fetchall()
        assert files and all(f[1] == "loaded" and f[2] == f[3] and f[2] > 0 for f in files), files
        assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM pending").fetchall() == [(0,)]
        for kind, n in province["expected"].items():
            assert con.execute(f"SELECT count(*) FROM {kind}").fetchall() == [(n,)], kind
    finally:
        con.close()


def test_values_picked_from_dropdowns_arrive_as_codes(province):
    con = duckdb.connect(str(province["warehouse"]), read_only=True)
    try:
        types = dict(con.execute("SELECT month(meeting_date), meeting_type FROM meetings "
                                 "").fetchall())
        assert types == {m: "combined" if m % 3 == 0 else "regular" for m in range(1, 13)}
        statuses = con.execute("SELECT status, count(*) FROM attendance GROUP BY 1 "
                               "ORDER BY 1").fetchall()
        assert statuses == [("excused", 1), ("exempt", 12), ("present", 47)]
        assert con.execute("SELECT start_time, end_time FROM meetings LIMIT 1").fetchall() == [
            (dt.time(19, 30), dt.time(21, 30))]
        assert con.execute("SELECT name FROM org_units WHERE org_id = ? ORDER BY valid_from "
                           "NULLS FIRST", [C1]).fetchall() == [("Chi bộ thôn 1",),
                                                               ("Chi bộ thôn Đức Thành",)]
        assert con.execute("SELECT rating, count(*) FROM member_ratings GROUP BY 1 "
                           "ORDER BY 1").fetchall() == [("excellent", 1), ("good", 4)]
        assert con.execute("SELECT score FROM assessments WHERE org_id = ?",
                           [C1]).fetchall()[0][0] == pytest.approx(88.5)
    finally:
        con.close()
