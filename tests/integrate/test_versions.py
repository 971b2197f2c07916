"""Organisation versions (spec v2, data-contract.md org_units): every version kept with
valid_to, one version retracted by a delete, successors flagged when unknown, and references
checked against the version in force on the row's date or year."""
from __future__ import annotations

import datetime as dt

import duckdb

from tests.helpers import integrate_only, settings, write_csv

TREE = [
    dict(org_id="T", name="Tỉnh", level="tinh", parent_id="", kind="other"),
    dict(org_id="H1", name="Huyện 1", level="cap_tren_co_so", parent_id="T", kind="other",
         dissolved_on="2025-06-30", successor_id="U1"),
    dict(org_id="X1", name="Xã 1", level="dang_bo_co_so", parent_id="H1", kind="commune",
         dissolved_on="2025-06-30", successor_id="NOBODY"),
    dict(org_id="U1", name="Đảng ủy xã mới", level="cap_tren_co_so", parent_id="T",
         kind="commune", established_on="2025-07-01"),
    dict(org_id="C1", name="Chi bộ thôn 1", level="chi_bo", parent_id="X1", kind="residential"),
    dict(org_id="C1", valid_from="2025-07-01", name="Chi bộ thôn 1 (xã mới)", level="chi_bo",
         parent_id="U1", kind="residential"),
    # a cell that becomes a đảng bộ cơ sở on 2025-07-01
    dict(org_id="C2", name="Chi bộ thôn 2", level="chi_bo", parent_id="X1", kind="residential"),
    dict(org_id="C2", valid_from="2025-07-01", name="Đảng bộ 2", level="dang_bo_co_so",
         parent_id="U1", kind="residential"),
]


def meeting(mid, cell, date):
    return dict(meeting_id=mid, cell_id=cell, meeting_date=date, meeting_type="regular",
                start_time="08:00", end_time="10:00", chair_member_id="A",
                secretary_member_id="B", upper_attendees="0", criticism_held="true",
                resolution_adopted="true", minutes_signed="true")


def q(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_versions_successors_and_references_by_date(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw, "org_units", "2025-01-01-cay.csv", TREE)
    write_csv(raw, "meetings", "2025-08-01-bb.csv", [
        meeting("M-OLD", "C2", "2025-05-10"),      # C2 is a cell that day: loads
        meeting("M-NEW", "C2", "2025-08-10"),      # a đảng bộ cơ sở that day: wrong level
    ])
    write_csv(raw, "assessments", "2025-08-01-dg.csv", [
        dict(org_id="H1", year="2024", targets_total="10", targets_met="10",
             targets_exceeded="3", org_disciplined="false", disunity="false",
             mass_orgs_good="true", shortcomings_fixed="true")])
    write_csv(raw, "official_ratings", "2025-08-01-xl.csv", [
        dict(org_id="T", year="2024", level="HTTNV"),          # a tỉnh is not rated
        dict(org_id="X1", year="2024", level="Hoàn thành tốt nhiệm vụ")])
    s = settings(tmp_path, raw, as_of=dt.date(2025, 9, 1))
    integrate_only(s)
    db = s.warehouse
    assert q(db, "SELECT valid_from, valid_to, parent_id FROM org_units WHERE org_id = 'C1' "
                 "ORDER BY valid_from NULLS FIRST") == [
        (None, dt.date(2025, 6, 30), "X1"), (dt.date(2025, 7, 1), None, "U1")]
    assert q(db, "SELECT key, flag FROM flags WHERE kind = 'org_units'") == [
        ("X1", "unknown_successor")]                             # U1 is known: no flag
    quarantined = q(db, "SELECT kind, column_name, check_name, value FROM quarantine "
                        "ORDER BY kind")
    assert quarantined == [("meetings", "cell_id", "wrong_level_reference", "C2"),
                           ("official_ratings", "org_id", "wrong_level_reference", "T")]
    assert q(db, "SELECT meeting_id FROM meetings") == [("M-OLD",)]
    assert q(db, "SELECT org_id FROM assessments") == [("H1",)]   # a cấp trên cơ sở is assessed
    assert q(db, "SELECT org_id, level FROM official_ratings") == [("X1", "good")]

    # a delete retracts one version (its key includes valid_from)
    write_csv(raw, "org_units", "2025-08-02-xoa.csv", [
        dict(org_id="C1", valid_from="2025-07-01", action="delete")])
    integrate_only(settings(tmp_path, raw, as_of=dt.date(2025, 9, 1), allow_shrink=True))
    assert q(db, "SELECT valid_from, valid_to, parent_id FROM org_units WHERE org_id = 'C1'") == [
        (None, None, "X1")]


def test_a_cycle_only_in_a_dated_tree_is_quarantined_and_the_earlier_versions_load(tmp_path):
    """The tree "since the beginning" is sound; the versions valid from 2025-07-01 make A and
    B each the other's parent: the tree of that date has a cycle, both versions are
    quarantined `parent_cycle`, and the earlier versions load."""
    raw = tmp_path / "raw"
    write_csv(raw, "org_units", "2025-01-01-cay.csv", [
        dict(org_id="T", name="Tỉnh", level="tinh", parent_id="", kind="other"),
        dict(org_id="A", name="Huyện A", level="cap_tren_co_so", parent_id="T", kind="other"),
        dict(org_id="B", name="Xã B", level="dang_bo_co_so", parent_id="A", kind="commune"),
        dict(org_id="A", valid_from="2025-07-01", name="Huyện A (mới)", level="cap_tren_co_so",
             parent_id="B", kind="other"),
        dict(org_id="B", valid_from="2025-07-01", name="Xã B (mới)", level="dang_bo_co_so",
             parent_id="A", kind="commune"),
    ])
    s = settings(tmp_path, raw, as_of=dt.date(2025, 9, 1))
    integrate_only(s)
    db = s.warehouse
    # rows 5 and 6 of the file (the header is row 1): A's and B's versions of 2025-07-01
    assert q(db, "SELECT source_row, column_name, check_name, value FROM quarantine "
                 "WHERE kind = 'org_units' ORDER BY source_row") == [
        (5, "parent_id", "parent_cycle", "B"), (6, "parent_id", "parent_cycle", "A")]
    assert q(db, "SELECT org_id, valid_from, valid_to, parent_id, name FROM org_units "
                 "ORDER BY org_id") == [
        ("A", None, None, "T", "Huyện A"), ("B", None, None, "A", "Xã B"),
        ("T", None, None, None, "Tỉnh")]
    assert q(db, "SELECT count(*) FROM pending") == [(0,)]
