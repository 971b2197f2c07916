"""Integration contract: precedence by path order, deletes, pending, tree checks, counts,
idempotence, any arrival order, rebuild = incremental, and the delete guard."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from chibo.errors import ShrinkGuardError
from tests.helpers import (EXAMPLE_AS_OF, copy_example_raw, integrate_only, integrated_snapshot,
                           settings, table_rows, write_csv)

TREE = [
    dict(org_id="T", name="Tỉnh", level="tinh", parent_id="", kind="other"),
    dict(org_id="H1", name="Huyện 1", level="cap_tren_co_so", parent_id="T", kind="other"),
    dict(org_id="X1", name="Xã 1", level="dang_bo_co_so", parent_id="H1", kind="commune"),
    dict(org_id="C1", name="Chi bộ thôn 1", level="chi_bo", parent_id="X1", kind="residential"),
    dict(org_id="C2", name="Chi bộ thôn 2", level="chi_bo", parent_id="X1", kind="residential"),
]


def member(mid, cell="C1", **kw):
    return dict(member_id=mid, full_name=f"Nguyễn Văn {mid}", birth_date="1980-01-01", sex="male",
                cell_id=cell, joined_on="2005-01-01", status="active", **kw)


def meeting(mid, cell="C1", date="2025-01-10", **kw):
    row = dict(meeting_id=mid, cell_id=cell, meeting_date=date, meeting_type="regular",
               start_time="08:00", end_time="10:00", chair_member_id="A", secretary_member_id="B",
               upper_attendees="0", criticism_held="true", resolution_adopted="true",
               minutes_signed="true")
    row.update(kw)
    return row


def db_count(db: Path, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture
def tree_raw(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw, "org_units", "2025-01-01-cay.csv", TREE)
    write_csv(raw, "members", "2025-01-01-dv.csv", [member("M1"), member("M2"), member("M3", "C2")])
    return raw


def test_worked_example_loads_with_nothing_quarantined_or_pending(tmp_path):
    raw = copy_example_raw(tmp_path / "raw")
    s = settings(tmp_path, raw, as_of=EXAMPLE_AS_OF)
    integrate_only(s)
    db = s.warehouse
    assert db_count(db, "SELECT count(*) FROM quarantine") == 0
    assert db_count(db, "SELECT count(*) FROM pending") == 0
    assert db_count(db, "SELECT string_agg(path || '=' || status) FROM files "
                        "WHERE status <> 'loaded'") == "attendance/2024-10-10-h02.csv=duplicate"   # "-gui-lai" sorts first
    # corrections applied: the late-sorting file's meeting date wins
    assert db_count(db, "SELECT meeting_date FROM meetings WHERE meeting_id = "
                        "'H02-X002-C01.20240612.R152'") == dt.date(2024, 6, 12)
    # delete rows retract their keys
    assert db_count(db, "SELECT count(*) FROM meetings WHERE meeting_id LIKE '%-DUP'") == 0
    # every file's counts add up
    assert db_count(db, "SELECT count(*) FROM files WHERE rows_read <> rows_loaded + "
                        "rows_quarantined + rows_pending") == 0
    assert not list(s.warehouse.parent.glob("*.next-*"))


def test_second_run_with_same_as_of_changes_nothing(tmp_path):
    raw = copy_example_raw(tmp_path / "raw")
    s = settings(tmp_path, raw, as_of=EXAMPLE_AS_OF)
    integrate_only(s)
    drop = {"run_id"}   # nothing differs, provenance included
    before = {t: table_rows(s.warehouse, t, drop) for t in
              ["org_units", "meetings", "attendance", "files", "quarantine", "pending", "flags"]}
    integrate_only(s)
    after = {t: table_rows(s.warehouse, t, drop) for t in before}
    assert before == after
    assert db_count(s.warehouse, "SELECT count(*) FROM runs") == 2


def _deliver_in_batches(src: Path, raw: Path, batches: list[list[Path]], s) -> None:
    for batch in batches:
        for f in batch:
            dest = raw / f.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
        integrate_only(s)


def test_any_arrival_order_equals_one_night_and_rebuild(tmp_path):
    one = tmp_path / "one"
    raw_one = copy_example_raw(one / "raw")
    s_one = settings(one, raw_one, as_of=EXAMPLE_AS_OF)
    integrate_only(s_one)
    expected = integrated_snapshot(s_one.warehouse)

    src = raw_one
    files = sorted(p for p in src.rglob("*.csv"))
    # nights in reverse path order, corrections before originals
    nights = [files[i::3][::-1] for i in range(3)][::-1]
    many = tmp_path / "many"
    raw_many = many / "raw"
    raw_many.mkdir(parents=True)
    s_many = settings(many, raw_many, as_of=EXAMPLE_AS_OF)
    _deliver_in_batches(src, raw_many, nights, s_many)
    assert integrated_snapshot(s_many.warehouse) == expected

    integrate_only(s_many, rebuild=True)
    assert integrated_snapshot(s_many.warehouse) == expected


def test_late_correction_that_sorts_early_loses(tmp_path, tree_raw):
    s = settings(tmp_path, tree_raw)
    write_csv(tree_raw, "meetings", "2025-02-10-h1.csv", [meeting("MT1", upper_attendees="1")])
    integrate_only(s)
    # delivered later, but its path sorts before the file already applied
    write_csv(tree_raw, "meetings", "2025-02-01-h1.csv", [meeting("MT1", upper_attendees="7")])
    integrate_only(s)
    assert db_count(s.warehouse, "SELECT upper_attendees FROM meetings") == 1
    # one that sorts after wins
    write_csv(tree_raw, "meetings", "2025-02-20-h1-dinh-chinh.csv",
              [meeting("MT1", upper_attendees="3")])
    integrate_only(s)
    assert db_count(s.warehouse, "SELECT upper_attendees FROM meetings") == 3


def test_a_unit_delivered_again_without_valid_from_keeps_one_version_the_last(tmp_path, tree_raw):
    # an empty valid_from is part of the key: the renamed row replaces the first, in one
    # night and after a rebuild alike, instead of standing beside it
    write_csv(tree_raw, "org_units", "2025-03-01-cay-dinh-chinh.csv",
              [dict(TREE[3], name="Chi bộ thôn Một")])
    s = settings(tmp_path, tree_raw)
    for rebuild in (False, True):
        integrate_only(s, rebuild=rebuild)
        assert db_count(s.warehouse, "SELECT string_agg(name) FROM org_units "
                                     "WHERE org_id = 'C1'") == "Chi bộ thôn Một"
        assert db_count(s.warehouse, "SELECT count(*) FROM org_units") == len(TREE)


def test_pending_integrates_when_reference_arrives_and_returns_when_retracted(tmp_path, tree_raw):
    s = settings(tmp_path, tree_raw)
    write_csv(tree_raw, "attendance", "2025-02-10-dd.csv",
              [dict(meeting_id="MT1", member_id="M1", status="present", spoke="true")])
    integrate_only(s)
    assert db_count(s.warehouse, "SELECT count(*) FROM attendance") == 0
    assert db_count(s.warehouse, "SELECT missing_kind || ':' || missing_key FROM pending") \
        == "meetings:MT1"
    assert db_count(s.warehouse, "SELECT rows_pending FROM files WHERE kind = 'attendance'") == 1

    write_csv(tree_raw, "meetings", "2025-02-10-sh.csv", [meeting("MT1")])
    integrate_only(s)
    assert db_count(s.warehouse, "SELECT count(*) FROM attendance") == 1
    assert db_count(s.warehouse, "SELECT count(*) FROM pending") == 0
    assert db_count(s.warehouse, "SELECT rows_loaded FROM files WHERE kind = 'attendance'") == 1

    write_csv(tree_raw, "meetings", "2025-02-11-xoa.csv",
              [dict(meeting_id="MT1", action="delete")], columns=["meeting_id", "action"])
    integrate_only(settings(tmp_path, tree_raw, allow_shrink=True))   # 1 of 1 meetings
    assert db_count(s.warehouse, "SELECT count(*) FROM attendance") == 0
    assert db_count(s.warehouse, "SELECT count(*) FROM pending WHERE kind = 'attendance'") == 1


def test_unknown_delete_is_a_noop_that_counts_as_loaded(tmp_path, tree_raw):
    s = settings(tmp_path, tree_raw)
    write_csv(tree_raw, "members", "2025-03-01-xoa.csv",
              [dict(member_id="NOPE", action="delete")], columns=["member_id", "action"])
    integrate_only(s)
    assert db_count(s.warehouse, "SELECT count(*) FROM members") == 3
    assert db_count(s.warehouse, "SELECT rows_loaded FROM files WHERE path LIKE '%xoa%'") == 1


def test_tree_checks_wrong_level_cycle_and_rows_below_are_pending(tmp_path, tree_raw):
    s = settings(tmp_path, tree_raw)
    write_csv(tree_raw, "org_units", "2025-01-02-them.csv", [
        # a đảng bộ bộ phận belongs inside a đảng bộ cơ sở: wrong parent level
        dict(org_id="BAD", name="Sai cấp", level="dang_bo_bo_phan", parent_id="H1", kind="other"),
        # a cycle of two đảng bộ... via chi_bo_co_so <-> cap_tren_co_so
        dict(org_id="CY1", name="Vòng 1", level="cap_tren_co_so", parent_id="CY2", kind="other"),
        dict(org_id="CY2", name="Vòng 2", level="cap_tren_co_so", parent_id="CY1", kind="other"),
        dict(org_id="UNDER", name="Dưới vòng", level="dang_bo_co_so", parent_id="CY1",
             kind="other"),
        dict(org_id="ORPH", name="Chưa có cấp trên", level="chi_bo", parent_id="LATER",
             kind="other"),
    ])
    write_csv(tree_raw, "members", "2025-01-02-dv.csv", [member("M9", cell="ORPH"),
                                                         member("M8", cell="X1")])
    integrate_only(s)
    q = dict(((r[0], r[1]) for r in duckdb.connect(str(s.warehouse), read_only=True).execute(
        "SELECT value || '@' || source_row, check_name FROM quarantine").fetchall()))
    checks = sorted(q.values())
    assert checks.count("parent_cycle") == 2
    assert "wrong_parent_level" in checks
    assert "wrong_level_reference" in checks     # M8's cell X1 is a đảng bộ cơ sở
    pend = {r[0]: r[1] for r in duckdb.connect(str(s.warehouse), read_only=True).execute(
        "SELECT key, missing_key FROM pending").fetchall()}
    # org_units keys are (org_id, valid_from): an empty valid_from reads as '' in the key
    assert pend["UNDER|"] == "CY1"    # below a quarantined org
    assert pend["ORPH|"] == "LATER"   # parent not delivered yet
    assert pend["M9"] == "ORPH"       # member of a cell that is not integrated
    # the parent arrives in a later-sorted file: fine
    write_csv(tree_raw, "org_units", "2025-01-03-them.csv", [
        dict(org_id="LATER", name="Xã sau", level="dang_bo_co_so", parent_id="H1", kind="commune")])
    integrate_only(s)
    assert db_count(s.warehouse, "SELECT count(*) FROM org_units WHERE org_id IN ('LATER', 'ORPH')") == 2


def test_duplicate_bytes_changed_bytes_and_unsupported_files(tmp_path, tree_raw):
    s = settings(tmp_path, tree_raw)
    p = write_csv(tree_raw, "meetings", "2025-02-10-a.csv", [meeting("MT1"), meeting("MT2")])
    shutil.copy(p, tree_raw / "meetings" / "2025-02-11-a-gui-lai.csv")
    (tree_raw / "meetings" / "ghi-chu.pdf").write_bytes(b"%PDF-1.4")
    integrate_only(s)
    status = dict(duckdb.connect(str(s.warehouse), read_only=True).execute(
        "SELECT path, status FROM files WHERE kind = 'meetings'").fetchall())
    assert status == {"meetings/2025-02-10-a.csv": "loaded",
                      "meetings/2025-02-11-a-gui-lai.csv": "duplicate",
                      "meetings/ghi-chu.pdf": "unsupported_format"}
    # the same path with new bytes is a new delivery; its old rows no longer count
    write_csv(tree_raw, "meetings", "2025-02-10-a.csv", [meeting("MT3")])
    integrate_only(s)
    got = sorted(r[0] for r in duckdb.connect(str(s.warehouse), read_only=True).execute(
        "SELECT meeting_id FROM meetings").fetchall())
    # the re-sent copy of the old bytes now stands alone and loads, as a rebuild would
    assert got == ["MT1", "MT2", "MT3"]
    assert db_count(s.warehouse, "SELECT status FROM files WHERE NOT superseded AND path = "
                                 "'meetings/2025-02-11-a-gui-lai.csv'") == "loaded"
    assert db_count(s.warehouse, "SELECT count(*) FROM files WHERE path = "
                                 "'meetings/2025-02-10-a.csv'") == 2
    # bytes coming back to a path are a delivery again; (path, sha256) stays a key
    shutil.copy(tree_raw / "meetings" / "2025-02-11-a-gui-lai.csv",
                tree_raw / "meetings" / "2025-02-10-a.csv")
    integrate_only(s)
    assert db_count(s.warehouse, "SELECT count(*) - count(DISTINCT (path, sha256)) FROM files") == 0
    got = sorted(r[0] for r in duckdb.connect(str(s.warehouse), read_only=True).execute(
        "SELECT meeting_id FROM meetings").fetchall())
    assert got == ["MT1", "MT2"]


def test_delete_guard_trips_keeps_warehouse_and_allow_shrink_passes(tmp_path, tree_raw):
    s = settings(tmp_path, tree_raw)
    integrate_only(s)
    before = s.warehouse.read_bytes()
    write_csv(tree_raw, "members", "2025-03-01-xoa.csv",
              [dict(member_id="M1", action="delete")], columns=["member_id", "action"])
    with pytest.raises(ShrinkGuardError, match="members/2025-03-01-xoa.csv"):
        integrate_only(s)
    assert s.warehouse.read_bytes() == before
    assert not list(s.warehouse.parent.glob("*.next-*"))
    log = [json.loads(line) for line in
           s.warehouse.with_name("chibo.duckdb.runs.jsonl").read_text().splitlines()]
    # a line when each run starts, one when it ends
    assert [e["status"] for e in log] == ["started", "completed", "started", "failed"]
    assert "members/2025-03-01-xoa.csv" in log[-1]["error"]
    integrate_only(settings(tmp_path, tree_raw, allow_shrink=True))
    assert db_count(s.warehouse, "SELECT count(*) FROM members") == 2


def test_member_quota_flag_follows_the_rulebook_of_the_year(tmp_path, tree_raw):
    """4 excellent of 12 rated good-or-better: over 0.2 (flagged), not over an override 0.4."""
    from dataclasses import replace
    ratings = [dict(member_id=f"R{i}", year="2024", cell_id="C1",
                    rating="excellent" if i < 4 else "good", disciplined="false")
               for i in range(12)]
    write_csv(tree_raw, "members", "2025-01-02-dv.csv", [member(f"R{i}") for i in range(12)])
    write_csv(tree_raw, "member_ratings", "2025-01-25-xl.csv", ratings)
    s = settings(tmp_path, tree_raw)
    integrate_only(s)
    assert db_count(s.warehouse, "SELECT key || ':' || flag FROM flags") == \
        "C1|2024:member_quota_exceeded"
    rb = tmp_path / "rb"
    rb.mkdir()
    (rb / "qd124.toml").write_text('name = "qd124"\n[thresholds]\n'
                                   'excellent_quota_share = "0.4"\n', encoding="utf-8")
    integrate_only(replace(settings(tmp_path, tree_raw, warehouse=tmp_path / "w2.duckdb"),
                           rulebooks=rb))
    assert db_count(tmp_path / "w2.duckdb", "SELECT count(*) FROM flags") == 0
