"""Boundary tests of rules.md: each pair of cases sits on both sides of a verdict flip."""
from __future__ import annotations

import datetime as dt

import pytest

from chibo.rulebooks import load_rulebooks

from .world import World, cls, meeting, metrics


def _one_cell(year=2024, **kw):
    w = World()
    w.dang_bo()
    w.cell("C1", **kw)
    return w


# --- attendance: strictly above 0.85, exactly ------------------------------------------------
@pytest.mark.parametrize("present, ok", [(136, False), (137, True)])
def test_attendance_136_of_160_is_not_above_085(tmp_path, present, ok):
    w = _one_cell(members=160)
    ids = w.members_of["C1"]
    mid = w.meeting("C1", "2024-01-10", statuses={m: "excused" for m in ids[present:]})
    con = w.build(tmp_path)
    m = meeting(con, mid)
    assert (m["present"], m["excused"]) == (present, 160 - present)
    assert ("attendance_low" in m["standard_failures"]) is not ok
    assert m["meets_standard"] is ok
    c = cls(con, "C1", 2024)
    assert ("meeting_quality_good:attendance_low" in c["criteria_reasons"]) is not ok


@pytest.mark.parametrize("present, ok", [(204, False), (205, True)])
def test_cell_attendance_204_of_240_is_not_above_085(tmp_path, present, ok):
    # 12 meetings of 20 members = 240 scope rows; 204/240 = 0.85 exactly
    w = _one_cell(members=20)
    w.ratings("C1", 2024, excellent=4)
    w.assessment("C1", 2024)
    ids = w.members_of["C1"]
    absent = 240 - present
    for month in range(1, 13):
        k = min(absent, 3)
        absent -= k
        # rotate the absent members so nobody has a streak
        w.meeting("C1", dt.date(2024, month, 10),
                  statuses={ids[(3 * month + j) % 20]: "excused" for j in range(k)})
    con = w.build(tmp_path)
    mt = metrics(con, "C1", 2024)
    assert mt["excused_streak_members"] == 0
    assert mt["attendance_rate"] == pytest.approx(present / 240)
    c = cls(con, "C1", 2024)
    assert ("meeting_quality_good:attendance_low" in c["criteria_reasons"]) is not ok
    assert c["provisional_level"] == ("excellent" if ok else "completed")
    if not ok:
        assert c["reasons"] == ["attendance_low"]


# --- excused streaks -------------------------------------------------------------------------
@pytest.mark.parametrize("run, members", [(3, 0), (4, 1)])
def test_excused_streak_3_vs_4(tmp_path, run, members):
    w = _one_cell()
    m1 = w.members_of["C1"][0]
    for month in range(1, 13):
        st = {m1: "excused"} if month <= run else {}
        w.meeting("C1", dt.date(2024, month, 10), meeting_type="regular", statuses=st)
        if month == 2:      # a thematic meeting inside the run is not in the sequence
            w.meeting("C1", dt.date(2024, month, 20), meeting_type="thematic")
    con = w.build(tmp_path)
    assert metrics(con, "C1", 2024)["excused_streak_members"] == members


def test_exempt_breaks_a_run_missing_row_does_not(tmp_path):
    w = _one_cell()
    m1, m2 = w.members_of["C1"][:2]
    seq1 = ["excused", "excused", "exempt", "excused", "excused"]         # broken: no streak
    for i, st in enumerate(seq1, start=1):
        w.meeting("C1", dt.date(2024, i, 10), meeting_type="regular", statuses={m1: st})
    # m2: excused, excused, (no row), excused, excused -> a run of 4
    w2 = World()
    w2.dang_bo()
    w2.cell("C2")
    m2 = w2.members_of["C2"][0]
    for i in range(1, 6):
        mid = w2.meeting("C2", dt.date(2024, i, 10), meeting_type="regular",
                         statuses={m2: "excused"})
        if i == 3:
            w2.rows["attendance"] = [r for r in w2.rows["attendance"]
                                     if not (r["meeting_id"] == mid and r["member_id"] == m2)]
    con = w.build(tmp_path)
    assert metrics(con, "C1", 2024)["excused_streak_members"] == 0
    con2 = w2.build(tmp_path, name="w2.duckdb")
    assert metrics(con2, "C2", 2024)["excused_streak_members"] == 1


# --- scores (qd366) ---------------------------------------------------------------------------
SCORE_CASES = [
    (89.99, "good", "score_below_excellent"), (90, "excellent", None),
    (69.99, "completed", "score_below_good"), (70, "good", "score_below_excellent"),
    (49.99, "failed", "score_below_completed"), (50, "completed", "score_below_good"),
    (89.9, "good", "score_below_excellent"),
]


def test_score_thresholds(tmp_path):
    # one cell per case, each under its own đảng bộ (pools of one: the quota demotes)
    w = World()
    for i, (score, _, _) in enumerate(SCORE_CASES):
        w.dang_bo(f"D{i}")
        w.cell(f"S{i}", parent=f"D{i}")
        w.good_cell_year(f"S{i}", 2025, score=score)
    con = w.build(tmp_path, as_of="2026-03-15")
    for i, (score, level, reason) in enumerate(SCORE_CASES):
        c = cls(con, f"S{i}", 2025)
        assert c["rulebook"] == "qd366"
        assert c["provisional_level"] == level, score
        assert c["reasons"] == ([reason] if reason else ["excellent_quota"]), score


def test_score_ignored_before_2025(tmp_path):
    w = _one_cell()
    w.good_cell_year("C1", 2024, score=10)
    con = w.build(tmp_path)
    assert cls(con, "C1", 2024)["provisional_level"] == "excellent"


# --- combined meetings and HD 42 -------------------------------------------------------------
HD42_CASES = [
    ("2025-10-27", 100, False, 90), ("2025-10-28", 100, True, 120),
    ("2025-10-28", 119, True, 120), ("2025-10-28", 120, False, 120),
    ("2025-10-27", 89, True, 90),
]


def test_combined_meeting_minimum_follows_meeting_date(tmp_path):
    w = World()
    w.dang_bo()
    mids = []
    for i, (date, minutes, _, _) in enumerate(HD42_CASES):
        w.cell(f"C{i}")
        mids.append(w.meeting(f"C{i}", date, meeting_type="combined", minutes=minutes))
    reg = w.meeting("C0", "2025-11-05", meeting_type="regular", minutes=100)
    con = w.build(tmp_path, as_of="2026-03-15")
    for i, (date, minutes, short, min_minutes) in enumerate(HD42_CASES):
        m = meeting(con, mids[i])
        assert (m["duration_minutes"], m["min_minutes"]) == (minutes, min_minutes)
        assert ("short_meeting" in m["standard_failures"]) is short
        assert metrics(con, f"C{i}", 2025)["short_meetings"] == int(short)
    assert meeting(con, reg)["min_minutes"] == 90            # regular stays at 90


def test_extraordinary_meeting_has_no_standard(tmp_path):
    w = _one_cell()
    mid = w.meeting("C1", "2024-03-05", meeting_type="extraordinary", minutes=30)
    con = w.build(tmp_path)
    m = meeting(con, mid)
    assert m["meets_standard"] is None and m["standard_failures"] is None
    assert m["counted"] is False
    mt = metrics(con, "C1", 2024)
    assert (mt["meetings_total"], mt["short_meetings"], mt["regular_months"]) == (1, 0, 0)


# --- four goods required from 2024 ------------------------------------------------------------
@pytest.mark.parametrize("year, level, reasons", [
    (2023, "excellent", []), (2024, "good", ["not_four_good"])])
def test_four_good_required_from_2024(tmp_path, year, level, reasons):
    w = _one_cell()
    w.good_cell_year("C1", year)
    w.meeting("C1", dt.date(year, 6, 20), meeting_type="thematic", signed=False)
    con = w.build(tmp_path)
    c = cls(con, "C1", year)
    assert c["criteria_reasons"] == ["meeting_quality_good:unsigned_minutes"]
    assert c["four_good"] is False and c["meeting_quality_good"] is False
    assert (c["provisional_level"], c["reasons"]) == (level, reasons or ["excellent_quota"])


# --- the quota --------------------------------------------------------------------------------
@pytest.mark.parametrize("siblings, kept", [(4, 0), (5, 1), (10, 2)])
def test_quota_4_5_10_siblings(tmp_path, siblings, kept):
    w = World()
    w.dang_bo()
    for i in range(1, siblings + 1):
        w.cell(f"C{i:02d}", members=5)
        w.good_cell_year(f"C{i:02d}", 2025, score=90 + i % 7)
    con = w.build(tmp_path, as_of="2026-03-15")
    rows = con.execute("SELECT org_id, level, provisional_level, quota_demoted, reasons, score "
                       "FROM org_year_classification JOIN assessments USING (org_id, year) "
                       "WHERE org_level = 'chi_bo' ORDER BY score DESC, org_id").fetchall()
    assert all(r[2] == "excellent" for r in rows)
    assert [r[1] for r in rows] == ["excellent"] * kept + ["good"] * (siblings - kept)
    for r in rows[kept:]:
        assert r[3] is True and r[4] == ["excellent_quota"]


def test_quota_counts_good_orgs_in_n(tmp_path):
    # 1 excellent + 4 good: n = 5, one excellent may stay
    w = World()
    w.dang_bo()
    for i in range(1, 6):
        w.cell(f"C{i}", members=5)
        w.good_cell_year(f"C{i}", 2025, exceeded=5 if i == 1 else 1)
    con = w.build(tmp_path, as_of="2026-03-15")
    assert cls(con, "C1", 2025)["level"] == "excellent"
    assert cls(con, "C2", 2025)["reasons"] == ["targets_exceeded_low"]


def _quota_pool(tmp_path, specs, year=2025):
    """specs: org_id -> (score, exceeded, total, absent_per_meeting); 5 siblings, 1 kept."""
    w = World()
    w.dang_bo()
    specs = {"Z" + k: v for k, v in specs.items()}        # not to clash with đảng bộ "D"
    for org, (score, exceeded, total, absent) in specs.items():
        w.cell(org, members=20)
        ids = w.members_of[org]
        for month in range(1, 13):
            w.meeting(org, dt.date(year, month, 10),
                      statuses={ids[(month + j) % 20]: "excused" for j in range(absent)})
        w.ratings(org, year, excellent=2)
        w.assessment(org, year, total=total, met=total, exceeded=exceeded, score=score)
    con = w.build(tmp_path, as_of="2026-03-15")
    kept = [r[0][1:] for r in con.execute(
        "SELECT org_id FROM org_year_classification WHERE level = 'excellent'").fetchall()]
    assert all(cls(con, o, year)["provisional_level"] == "excellent" for o in specs)
    return kept


def test_quota_ranking_score_first(tmp_path):
    assert _quota_pool(tmp_path, {"A": (95, 3, 10, 0), "B": (96, 3, 10, 1), "C": (95, 9, 10, 0),
                                  "D": (91, 10, 10, 0), "E": (90, 3, 10, 0)}) == ["B"]


def test_quota_ranking_exceeded_share_exact_then_attendance_then_id(tmp_path):
    # equal scores; C 6/10 = E 3/5 (exact tie) beat A 5/10; C has lower attendance than E
    assert _quota_pool(tmp_path, {"A": (95, 5, 10, 0), "B": (95, 5, 10, 0), "C": (95, 6, 10, 2),
                                  "D": (95, 5, 10, 0), "E": (95, 3, 5, 1)}) == ["E"]
    # full tie -> org_id asc
    assert _quota_pool(tmp_path / "..", {
        "Q": (95, 5, 10, 0), "P": (95, 5, 10, 0), "R": (95, 5, 10, 0), "S": (95, 5, 10, 0),
        "T": (95, 5, 10, 0)}) == ["P"]


def test_quota_score_nulls_last_before_2025(tmp_path):
    w = World()
    w.dang_bo()
    for i, score in enumerate([None, 60, None, None, None], start=1):
        w.cell(f"C{i}", members=5)
        w.good_cell_year(f"C{i}", 2024, score=score, exceeded=9 if score is None else 3)
    con = w.build(tmp_path)
    assert [r[0] for r in con.execute(
        "SELECT org_id FROM org_year_classification WHERE level = 'excellent'").fetchall()] \
        == ["C2"]


# --- active months, incomplete years, empty cells --------------------------------------------
ACTIVE_CASES = [
    ("2024-03-15", None, 9, 3), ("2024-03-01", None, 10, 4), (None, "2024-05-03", 4, 2),
    (None, "2024-04-30", 4, 2), (None, "2024-04-29", 3, 1), ("2024-02-01", "2024-02-29", 1, 1),
]


def test_mid_year_established_dissolved(tmp_path):
    w = World()
    w.dang_bo()
    for i, (established, dissolved, _, _) in enumerate(ACTIVE_CASES):
        w.cell(f"C{i}", established_on=established, dissolved_on=dissolved)
        w.perfect_year(f"C{i}", 2024)
        w.assessment(f"C{i}", 2024)
    con = w.build(tmp_path)
    for i, (established, dissolved, months, quarters) in enumerate(ACTIVE_CASES):
        mt = metrics(con, f"C{i}", 2024)
        assert (mt["months_active"], mt["quarters_active"]) == (months, quarters), i
        assert mt["regular_months"] == months
        assert mt["meetings_total"] == 12                   # counted whether or not active
        assert "meeting_quality_good:regular_month_missing" not in \
            cls(con, f"C{i}", 2024)["criteria_reasons"]


def test_org_without_active_month_gets_no_row(tmp_path):
    w = _one_cell(established_on="2024-12-15")
    w.perfect_year("C1", 2024)
    con = w.build(tmp_path, as_of="2025-03-15")
    assert metrics(con, "C1", 2024) is None and cls(con, "C1", 2024) is None
    assert metrics(con, "C1", 2025)["months_active"] == 2


def test_incomplete_year(tmp_path):
    w = _one_cell()
    w.perfect_year("C1", 2025, last_month=8)
    con = w.build(tmp_path, as_of="2025-08-20")
    mt = metrics(con, "C1", 2025)
    assert (mt["months_active"], mt["quarters_active"], mt["year_complete"]) == (7, 2, False)
    assert (mt["regular_months"], mt["thematic_quarters"]) == (7, 2)
    assert cls(con, "C1", 2025)["year_complete"] is False
    # as-of before the first month-end of a year: no rows for that year
    w2 = _one_cell()
    w2.meeting("C1", "2025-01-10")
    con2 = w2.build(tmp_path, as_of="2025-01-30", name="w2.duckdb")
    assert con2.execute("SELECT count(*) FROM cell_year_metrics WHERE year = 2025").fetchone()[0] == 0


def test_cell_with_no_data_still_gets_rows(tmp_path):
    w = World()
    w.dang_bo()
    w.cell("C1")
    w.cell("EMPTY", members=0)
    w.good_cell_year("C1", 2024)
    con = w.build(tmp_path)
    mt = metrics(con, "EMPTY", 2024)
    assert mt["months_active"] == 12 and mt["meetings_total"] == 0
    assert mt["attendance_rate"] is None and mt["speaking_rate"] is None
    assert mt["rated_members"] == 0 and mt["members_active"] == 0
    c = cls(con, "EMPTY", 2024)
    assert c["level"] is None and c["reasons"] == ["no_assessment"]
    assert c["four_good"] is False and c["meeting_quality_good"] is False
    assert c["quota_demoted"] is False and c["level_vi"] is None
    assert "meeting_quality_good:regular_month_missing" in c["criteria_reasons"]
    assert "political_task_good:no_assessment" in c["criteria_reasons"]


# --- đảng bộ cơ sở ----------------------------------------------------------------------------
def test_dang_bo_with_failed_subunit(tmp_path):
    w = World()
    w.dang_bo()
    w.assessment("D", 2024)
    for c in ("C1", "C2"):
        w.cell(c)
        w.good_cell_year(c, 2024)
    w.rows["assessments"][-1]["disunity"] = True            # C2 fails
    w.ratings  # noqa: B018
    con = w.build(tmp_path)
    assert cls(con, "C2", 2024)["level"] == "failed"
    d = cls(con, "D", 2024)
    assert d["level"] == "completed" and d["reasons"] == ["subunit_failed"]
    assert "political_task_good:subunit_below_good" in d["criteria_reasons"]
    assert d["political_task_good"] is False


def test_dang_bo_without_subunits(tmp_path):
    w = World()
    w.dang_bo()
    w.assessment("D", 2024)
    w.cell("B1", parent="H", level="chi_bo_co_so")
    w.good_cell_year("B1", 2024)
    con = w.build(tmp_path)
    d = cls(con, "D", 2024)
    assert d["level"] is None and d["reasons"] == ["no_subunits"]
    assert d["criteria_reasons"] == ["members_good:no_member_ratings"]
    # spec v2: criteria are evaluated literally on a null-level row ("every sub-unit" holds
    # vacuously), so only members_good fails and 4 tốt is false through it
    assert d["four_good"] is False and d["members_good"] is False
    assert d["political_task_good"] is True and d["meeting_quality_good"] is True
    # chi_bo_co_so is classified like a cell, in the pool of its parent (n = 1: demoted)
    b = cls(con, "B1", 2024)
    assert (b["provisional_level"], b["level"], b["quota_demoted"]) == ("excellent", "good", True)


def test_dang_bo_excellent_path(tmp_path):
    w = World()
    w.dang_bo()
    w.assessment("D", 2024, exceeded=5)
    for c in ("C1", "C2"):
        w.cell(c)
        w.good_cell_year(c, 2024, exceeded=1)                # good, not excellent
    con = w.build(tmp_path)
    d = cls(con, "D", 2024)
    assert d["four_good"] is True and d["criteria_reasons"] == []
    assert d["provisional_level"] == "excellent" and d["level"] == "good"   # pool of 1
    assert d["level_vi"] == "Hoàn thành tốt nhiệm vụ"


# --- members good share -----------------------------------------------------------------------
@pytest.mark.parametrize("good, ok", [(8, True), (7, False)])
def test_members_good_8_of_10(tmp_path, good, ok):
    w = _one_cell()
    w.perfect_year("C1", 2024)
    w.assessment("C1", 2024)
    w.ratings("C1", 2024, excellent=1, good=good - 1, completed=10 - good)
    con = w.build(tmp_path)
    c = cls(con, "C1", 2024)
    assert c["members_good"] is ok
    assert ("members_not_good" in c["reasons"]) is not ok


# --- rulebook override, no code change --------------------------------------------------------
def test_override_attendance_threshold_changes_verdict(tmp_path):
    w = _one_cell()
    ids = w.members_of["C1"]
    w.ratings("C1", 2024, excellent=2)
    w.assessment("C1", 2024)
    mids = [w.meeting("C1", dt.date(2024, m, 10), statuses={ids[m % 10]: "excused"})
            for m in range(1, 13)]                          # 9/10 = 0.9 every meeting
    con = w.build(tmp_path)
    assert cls(con, "C1", 2024)["provisional_level"] == "excellent"
    over = tmp_path / "overrides"
    over.mkdir()
    (over / "qd124.toml").write_text('name = "qd124"\n[thresholds]\n'
                                     'attendance_rate_above = "0.90"\n', encoding="utf-8")
    con2 = w.build(tmp_path, rulebooks=over, name="w2.duckdb")
    c = cls(con2, "C1", 2024)
    assert c["provisional_level"] == "completed" and c["reasons"] == ["attendance_low"]
    assert "attendance_low" in meeting(con2, mids[0])["standard_failures"]
