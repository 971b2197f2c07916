"""Spec v2 rules on small hand-made trees, through the real pipeline: organisation versions and
the tree of each year, cấp trên cơ sở and đảng bộ bộ phận, the QĐ 366 ladder at its boundaries,
quota pools and options, HD 42 materials, QĐ 24 per member, the official-rating audit."""
from __future__ import annotations

import datetime as dt

import pytest

from .world import World, cls, meeting, metrics, row


def _good_cells(w: World, cells: list[str], parent: str, year: int = 2025, **kw) -> None:
    for c in cells:
        w.cell(c, parent=parent, **kw)
        w.good_cell_year(c, year)


# --- the Lang Biang shape: a phường with chi bộ directly under it --------------------------
def test_phuong_with_direct_cells_loads_and_is_classified(tmp_path):
    w = World()
    w.org("PH", "cap_tren_co_so", "TINH", kind="commune")
    w.dang_bo("DB", parent="PH")
    _good_cells(w, ["PH-C1", "PH-C2"], parent="PH")          # chi bộ trực thuộc the phường
    _good_cells(w, ["DB-C1"], parent="DB")
    w.cell("CS", parent="PH", level="chi_bo_co_so")
    w.good_cell_year("CS", 2025)
    w.assessment("DB", 2025, score=95)
    w.assessment("PH", 2025, score=95)
    con = w.build(tmp_path, as_of="2026-03-15")               # asserts nothing quarantined
    ph = cls(con, "PH", 2025)
    assert ph["org_level"] == "cap_tren_co_so" and ph["level"] is not None
    assert ph["four_good"] is False                           # never "4 tốt"
    # sub-units of the phường: its chi bộ, chi bộ cơ sở and đảng bộ cơ sở
    tree = dict(con.execute("SELECT org_id, upper_id FROM org_years WHERE year = 2025").fetchall())
    assert tree["PH-C1"] == tree["DB-C1"] == tree["CS"] == "PH"
    gr = dict(con.execute("SELECT org_id, grassroots_id FROM org_years WHERE year = 2025").fetchall())
    assert gr["PH-C1"] == "PH" and gr["DB-C1"] == "DB" and gr["CS"] == "CS"


# --- versions: a cell re-parented on 2025-07-01 -------------------------------------------
def _reform_world() -> World:
    w = World()
    w.dang_bo("OLD", parent="H", dissolved_on="2025-06-30")
    w.org("NEW", "cap_tren_co_so", "TINH", established_on="2025-07-01", kind="commune")
    w.cell("MOVED", parent="OLD")
    w.org("MOVED", "chi_bo", "NEW", valid_from="2025-07-01")  # the new version
    w.cell("STAY", parent="OLD", dissolved_on="2025-06-30")
    for y in (2024, 2025):
        w.perfect_year("MOVED", y)
        w.ratings("MOVED", y, excellent=2)
        w.assessment("MOVED", y, score=95 if y >= 2025 else None)
    w.good_cell_year("STAY", 2024)
    # MOVED failed 2024: the old đảng bộ must see it in 2024, the new one in 2025
    w.rows["assessments"][0].update(targets_met=3, targets_exceeded=0)
    w.assessment("OLD", 2024)
    w.assessment("NEW", 2025, score=95)
    return w


def test_reparented_cell_has_each_years_parent(tmp_path):
    con = _reform_world().build(tmp_path, as_of="2026-03-15")
    assert cls(con, "MOVED", 2024)["parent_id"] == "OLD"
    assert cls(con, "MOVED", 2025)["parent_id"] == "NEW"
    # the old đảng bộ keeps its 2024 sub-units: the moved cell's failure holds it back in 2024
    old = cls(con, "OLD", 2024)
    assert old["level"] == "completed" and old["reasons"] == ["subunit_failed"]
    assert "political_task_good:subunit_below_good" in old["criteria_reasons"]
    # versions are kept, with valid_to
    versions = con.execute("SELECT valid_from, valid_to, parent_id FROM org_units "
                           "WHERE org_id = 'MOVED' ORDER BY valid_from NULLS FIRST").fetchall()
    assert versions == [(None, dt.date(2025, 6, 30), "OLD"), (dt.date(2025, 7, 1), None, "NEW")]
    # 2025 metrics follow the id, whichever parent it had (12 months)
    assert metrics(con, "MOVED", 2025)["months_active"] == 12
    assert cls(con, "NEW", 2025)["level"] is not None


def test_versions_in_any_order_equal_one_delivery(tmp_path):
    """A later version delivered first, the base tree a night later = both at once."""
    from chibo import pipeline
    from chibo.settings import Settings
    w = _reform_world()
    raw = w.write_raw(tmp_path / "raw")
    base = raw / "org_units" / "w.csv"
    lines = base.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    new_version = [r for r in rows if r.startswith("MOVED,2025-07-01")]
    rest = [r for r in rows if r not in new_version]
    base.unlink()
    (raw / "org_units" / "b-version.csv").write_text("\n".join([header, *new_version]) + "\n",
                                                     encoding="utf-8")

    def night(s, rebuild=False):
        ctx = pipeline.start_run(s, rebuild=rebuild)
        try:
            for stage in (pipeline.ingest, pipeline.integrate, pipeline.model):
                stage(ctx)
            from chibo import warehouse as wh
            wh.publish_file(ctx.con, ctx.next_file, s.warehouse)
        finally:
            ctx.resources.close()

    s = Settings(raw=raw, warehouse=tmp_path / "inc.duckdb", exports=tmp_path / "e1",
                 as_of=dt.date(2026, 3, 15))
    night(s)                                  # the version alone: pending (no parent tree)
    (raw / "org_units" / "a-tree.csv").write_text("\n".join([header, *rest]) + "\n",
                                                  encoding="utf-8")
    night(s)
    r = Settings(raw=raw, warehouse=tmp_path / "reb.duckdb", exports=tmp_path / "e2",
                 as_of=dt.date(2026, 3, 15))
    night(r, rebuild=True)
    import duckdb
    q = ("SELECT * EXCLUDE (source_file, source_row) FROM {} ORDER BY ALL")
    for table in ("org_units", "org_years", "org_year_classification", "cell_year_metrics"):
        a = duckdb.connect(str(s.warehouse), read_only=True)
        b = duckdb.connect(str(r.warehouse), read_only=True)
        sql = q.format(table) if table == "org_units" else f"SELECT * FROM {table} ORDER BY ALL"
        assert a.execute(sql).fetchall() == b.execute(sql).fetchall(), table
        a.close(), b.close()


def test_wrong_parent_level_checked_against_the_parent_version_of_that_day(tmp_path):
    # X is a đảng bộ cơ sở until 2025-07-01, then becomes a chi bộ cơ sở: a chi_bo may hang
    # under it before, not after
    w = World()
    w.dang_bo("X")
    w.org("X", "chi_bo_co_so", "H", valid_from="2025-07-01")
    w.cell("EARLY", parent="X")
    w.org("LATE", "chi_bo", "X", valid_from="2025-08-01")
    from chibo import pipeline
    from chibo.settings import Settings
    raw = w.write_raw(tmp_path / "raw")
    s = Settings(raw=raw, warehouse=tmp_path / "w.duckdb", exports=tmp_path / "e",
                 as_of=dt.date(2026, 3, 15))
    ctx = pipeline.start_run(s)
    try:
        pipeline.ingest(ctx)
        pipeline.integrate(ctx)
        from chibo import warehouse as wh
        wh.publish_file(ctx.con, ctx.next_file, s.warehouse)
    finally:
        ctx.resources.close()
    import duckdb
    con = duckdb.connect(str(s.warehouse), read_only=True)
    q = con.execute("SELECT check_name, value FROM quarantine WHERE kind = 'org_units'").fetchall()
    assert q == [("wrong_parent_level", "X")]
    assert con.execute("SELECT count(*) FROM org_units WHERE org_id = 'EARLY'").fetchall() == [(1,)]


# --- quota pools --------------------------------------------------------------------------
def test_chi_bo_directly_under_cap_tren_co_so_pooled_there(tmp_path):
    w = World()
    w.org("PH", "cap_tren_co_so", "TINH", kind="commune")
    _good_cells(w, [f"P{i}" for i in range(5)], parent="PH")
    w.dang_bo("DB", parent="PH")
    _good_cells(w, [f"D{i}" for i in range(4)], parent="DB")
    con = w.build(tmp_path, as_of="2026-03-15")
    kept = [r[0] for r in con.execute("SELECT org_id FROM org_year_classification "
                                      "WHERE level = 'excellent' ORDER BY org_id").fetchall()]
    # pool PH: 5 excellent → floor(0.2 × 5) = 1 kept; pool DB: 4 → none
    assert kept == ["P0"]


def test_bo_phan_cells_pooled_under_their_dang_bo(tmp_path):
    w = World()
    w.dang_bo("DB")
    w.org("BP", "dang_bo_bo_phan", "DB")
    _good_cells(w, ["B1", "B2", "B3"], parent="BP")
    _good_cells(w, ["C1", "C2"], parent="DB")
    w.assessment("DB", 2025, score=95)
    con = w.build(tmp_path, as_of="2026-03-15")
    levels = dict(con.execute("SELECT org_id, level FROM org_year_classification "
                              "WHERE org_level = 'chi_bo' AND year = 2025").fetchall())
    assert sorted(levels.values()) == ["excellent", "good", "good", "good", "good"]
    assert "BP" not in {r[0] for r in con.execute("SELECT org_id FROM org_year_classification").fetchall()}
    # the bộ phận's cells are the đảng bộ's sub-units: 5 of them
    db = cls(con, "DB", 2025)
    assert db["level"] is not None


@pytest.mark.parametrize("base, kept", [("good_or_better", 1), ("good", 0)])
def test_quota_base_option(tmp_path, base, kept):
    # 5 candidates, one more cell rated good: n = 6 (good_or_better) or 1 (good)
    w = World()
    w.dang_bo()
    _good_cells(w, [f"C{i}" for i in range(5)], parent="D")
    w.cell("G", parent="D")
    w.good_cell_year("G", 2025, score=80)
    over = tmp_path / "over"
    over.mkdir()
    (over / "q.toml").write_text(f'name = "qd366"\n[thresholds]\nexcellent_quota_base = "{base}"\n',
                                 encoding="utf-8")
    con = w.build(tmp_path, as_of="2026-03-15", rulebooks=over)
    n = con.execute("SELECT count(*) FROM org_year_classification WHERE level = 'excellent'").fetchall()[0][0]
    assert n == kept


@pytest.mark.parametrize("pool, kept", [("parent", 2), ("parent_and_kind", 1)])
def test_quota_pool_by_kind(tmp_path, pool, kept):
    # 10 candidates: 5 residential + 5 agency; one pool keeps 2, two pools keep 1 each... of 5
    w = World()
    w.dang_bo()
    for i in range(10):
        c = f"C{i}"
        w.cell(c, parent="D")
        if i >= 5:
            w.rows["org_units"][-1]["kind"] = "agency"
        w.good_cell_year(c, 2025)
    over = tmp_path / "over"
    over.mkdir()
    (over / "q.toml").write_text(f'name = "qd366"\n[thresholds]\nexcellent_quota_pool = "{pool}"\n',
                                 encoding="utf-8")
    con = w.build(tmp_path, as_of="2026-03-15", rulebooks=over)
    n = con.execute("SELECT count(*) FROM org_year_classification WHERE level = 'excellent'").fetchall()[0][0]
    assert n == kept * (1 if pool == "parent" else 2)


# --- the QĐ 366 ladder at its boundaries --------------------------------------------------
def _one(tmp_path, year=2025, **assessment):
    w = World()
    w.dang_bo()
    w.cell("C1")
    w.perfect_year("C1", year)
    w.ratings("C1", year, excellent=2)
    a = dict(total=12, met=12, exceeded=4, score=95)
    a.update(assessment)
    w.assessment("C1", year, **a)
    return cls(w.build(tmp_path, as_of="2026-03-15"), "C1", year)


@pytest.mark.parametrize("assessment, level, reasons", [
    (dict(met=11), "failed", ["targets_not_all_met"]),
    (dict(met=12), "excellent", []),
    (dict(targets_late=2), "completed", ["targets_late"]),              # 2/12 ≤ 20%
    (dict(targets_late=3), "failed", ["targets_late_too_many"]),        # 3/12 > 20%
    (dict(score="89.99"), "good", ["score_below_excellent"]),
    (dict(score="90"), "excellent", []),
    (dict(score="69.99"), "completed", ["score_below_good"]),
    (dict(score="70"), "good", ["score_below_excellent"]),
    (dict(score="49.99"), "failed", ["score_below_completed"]),
    (dict(score="50"), "completed", ["score_below_good"]),
    (dict(leaders_disciplined=True), "good", ["leaders_disciplined"]),
    (dict(exceeded=3), "good", ["targets_exceeded_low"]),               # 3/12 < 30%
    (dict(mass_orgs_good=False), "excellent", []),                      # QĐ 366 does not ask it
])
def test_qd366_cell_ladder_boundaries(tmp_path, assessment, level, reasons):
    c = _one(tmp_path, **assessment)
    # a lone excellent candidate is demoted by the quota (n = 1): its rung had no reason
    rung_reasons = [] if c["quota_demoted"] else c["reasons"]
    assert (c["provisional_level"], rung_reasons) == (level, reasons)
    assert c["rulebook"] == "qd366"


def test_qd124_unchanged_for_2024(tmp_path):
    # 11 of 12 targets under QĐ 124 is "completed", not failed
    c = _one(tmp_path, year=2024, met=11, score=None)
    assert (c["provisional_level"], c["reasons"], c["rulebook"]) == (
        "completed", ["targets_not_all_met"], "qd124")


def test_late_tasks_fail_political_task_criterion(tmp_path):
    c = _one(tmp_path, targets_late=1)
    assert "political_task_good:targets_late" in c["criteria_reasons"]
    assert c["political_task_good"] is False and c["four_good"] is False


def test_disciplined_subunit_and_mixed_cap_tren_co_so(tmp_path):
    w = World()
    w.org("PH", "cap_tren_co_so", "TINH", kind="commune")
    w.dang_bo("DB", parent="PH")
    _good_cells(w, ["A1", "A2"], parent="DB")
    w.rows["assessments"][-1]["org_disciplined"] = True          # A2 disciplined → failed
    w.assessment("DB", 2025, score=95)
    _good_cells(w, ["P1"], parent="PH")
    w.assessment("PH", 2025, score=95)
    con = w.build(tmp_path, as_of="2026-03-15")
    assert cls(con, "A2", 2025)["level"] == "failed"
    db = cls(con, "DB", 2025)
    # a failed sub-unit holds the đảng bộ at completed (QĐ 366 collective ladder)
    assert (db["level"], db["reasons"]) == ("completed", ["subunit_failed"])
    assert "unity_discipline_good:subunit_disciplined" in db["criteria_reasons"]
    ph = cls(con, "PH", 2025)
    # the phường's sub-units are DB (completed) and P1 (good): none failed or disciplined, so
    # the ladder leaves it excellent; alone in its pool (n = 1) the quota makes it good
    assert (ph["provisional_level"], ph["level"], ph["reasons"]) == (
        "excellent", "good", ["excellent_quota"])
    assert "political_task_good:subunit_below_good" in ph["criteria_reasons"]
    assert ph["four_good"] is False


def test_override_moves_a_condition_between_rungs(tmp_path):
    w = World()
    w.dang_bo()
    w.cell("C1")
    w.good_cell_year("C1", 2025)
    w.rows["assessments"][-1]["targets_late"] = 1
    con = w.build(tmp_path, as_of="2026-03-15")
    assert cls(con, "C1", 2025)["level"] == "completed"
    over = tmp_path / "over"
    over.mkdir()
    (over / "ladder.toml").write_text(
        'name = "qd366"\n[ladders.cell]\n'
        'failed_when = ["score_below_completed", "org_disciplined", "disunity", '
        '"targets_not_all_met", "targets_late_too_many", "meetings_mostly_missing", "targets_late"]\n'
        'completed_when = ["score_below_good", "regular_month_missing", "attendance_low"]\n',
        encoding="utf-8")
    con2 = w.build(tmp_path, as_of="2026-03-15", rulebooks=over, name="w2.duckdb")
    c = cls(con2, "C1", 2025)
    assert (c["level"], c["reasons"]) == ("failed", ["targets_late"])
    ladder = con2.execute("SELECT list(condition ORDER BY position) FROM rulebook_ladders "
                          "WHERE rulebook = 'qd366' AND ladder = 'cell' AND rung = 'failed_when'"
                          ).fetchall()[0][0]
    assert ladder[-1] == "targets_late"


# --- HD 42 materials ----------------------------------------------------------------------
@pytest.mark.parametrize("date, days_before, late", [
    ("2025-11-10", 1, False), ("2025-11-10", 0, True), ("2025-11-10", None, True),
    ("2025-10-27", 0, False), ("2025-10-28", 0, True),
])
def test_materials_rule_by_meeting_date(tmp_path, date, days_before, late):
    w = World()
    w.dang_bo()
    w.cell("C1")
    mid = w.meeting("C1", date, materials_days_before=days_before)
    con = w.build(tmp_path, as_of="2026-03-15")
    m = meeting(con, mid)
    assert ("materials_late" in m["standard_failures"]) is late
    assert metrics(con, "C1", 2025)["materials_late_meetings"] == int(late)


# --- QĐ 24: removal candidates counted per member over every cell --------------------------
def test_member_moved_mid_year_keeps_unexcused_months(tmp_path):
    w = World()
    w.dang_bo()
    w.cell("C1")
    w.cell("C2")
    m = w.members_of["C1"][0]
    w.members_of["C2"].append(m)           # the member attends C2 after moving
    for month in (1, 2):
        w.meeting("C1", dt.date(2024, month, 10), meeting_type="regular",
                  statuses={m: "unexcused"})
    w.members_of["C1"].remove(m)
    w.meeting("C2", "2024-08-10", meeting_type="regular", statuses={m: "unexcused"})
    w.rows["member_ratings"].append(dict(member_id=m, year=2024, cell_id="C2", rating="good",
                                         disciplined=False))
    con = w.build(tmp_path)
    assert metrics(con, "C1", 2024)["removal_candidates"] == 1
    assert metrics(con, "C2", 2024)["removal_candidates"] == 1
    my = row(con, "member_years", member_id=m, year=2024)
    assert (my["unexcused_months"], my["unexcused_cells"], my["removal_candidate"]) == (
        3, ["C1", "C2"], True)
    audit = row(con, "member_rating_audit", member_id=m, year=2024)
    assert (audit["rating"], audit["audit"], audit["unexcused_months"]) == (
        "good", "rating_unsupported", 3)


# --- official ratings against the evidence ------------------------------------------------
def test_audit_values_and_re_rating(tmp_path):
    w = World()
    w.dang_bo()
    _good_cells(w, ["A", "B", "C"], parent="D", year=2024)
    w.rows["assessments"][1].update(targets_met=3, targets_exceeded=0)   # B: under half: failed
    w.cell("N")                                             # N: no assessment → null level
    w.perfect_year("N", 2024)
    w.official("A", 2024, "good", four_good_awarded=True)        # A excellent→quota good
    w.official("B", 2024, "excellent", four_good_awarded=True)   # inflated by 3
    w.official("C", 2024, "completed")
    w.official("N", 2024, "good")
    w.official("C", 2024, "good", file="x-xep-loai-lai.csv")     # re-rating of C
    con = w.build(tmp_path)
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT org_id, level, official_level, audit, rank_gap, four_good_audit "
        "FROM org_year_classification WHERE year = 2024 AND org_level = 'chi_bo'").fetchall()}
    # A and C are the only candidates (n = 2): the quota keeps none, both become good
    assert got["A"] == ("good", "good", "agrees", 0, "agrees")
    assert got["B"] == ("failed", "excellent", "official_higher", 3, "awarded_not_met")
    assert got["C"] == ("good", "good", "agrees", 0, None)  # the later file replaced "completed"
    assert got["N"] == (None, "good", "not_computed", None, None)
    assert cls(con, "D", 2024)["official_level"] is None


def test_audit_lower_not_awarded_not_computed_and_before_and_after_a_re_rating(tmp_path):
    w = World()
    w.dang_bo()
    _good_cells(w, ["G", "F", "R"], parent="D")
    extra = {a["org_id"]: a for a in w.rows["assessments"]}
    extra["G"].update(targets_exceeded=2)     # 2/10 exceeded < 30%: good, and "4 tốt"
    extra["F"].update(targets_exceeded=2)
    extra["R"].update(score=80)               # under 90 points: good
    w.cell("N")                               # N: meetings but no assessment → no level
    w.perfect_year("N", 2025)
    w.dang_bo("E", parent="H")                # E: assessed but without sub-units → no level
    w.assessment("E", 2025, score=95)
    w.official("G", 2025, "completed")                          # below the records
    w.official("F", 2025, "good", four_good_awarded=False)      # "4 tốt" met but not awarded
    w.official("R", 2025, "excellent")                          # the first decision...
    w.official("N", 2025, "good")
    w.official("E", 2025, "good")
    cols = ("org_id, level, official_level, audit, rank_gap, four_good, four_good_audit, "
            "reasons")

    def audit(con):
        return {r[0]: r[1:] for r in con.execute(
            f"SELECT {cols} FROM org_year_classification WHERE year = 2025 "
            "AND official_level IS NOT NULL").fetchall()}

    before = audit(w.build(tmp_path, as_of="2026-03-15", name="before.duckdb"))
    assert before["G"] == ("good", "completed", "official_lower", -1, True, None,
                           ["targets_exceeded_low"])
    assert before["F"] == ("good", "good", "agrees", 0, True, "met_not_awarded",
                           ["targets_exceeded_low"])
    assert before["R"] == ("good", "excellent", "official_higher", 1, True, None,
                           ["score_below_excellent"])
    # not classified: `not_computed`, and the reasons say why
    assert before["N"] == (None, "good", "not_computed", None, False, None, ["no_assessment"])
    assert before["E"] == (None, "good", "not_computed", None, False, None, ["no_subunits"])

    # ...re-rated (HD 43 Mẫu 03) in a later file: the later decision is the official one
    w.official("R", 2025, "good", file="x-xep-loai-lai.csv")
    after = audit(w.build(tmp_path, as_of="2026-03-15", name="after.duckdb"))
    assert after["R"] == ("good", "good", "agrees", 0, True, None, ["score_below_excellent"])
    assert {k: v for k, v in after.items() if k != "R"} == {
        k: v for k, v in before.items() if k != "R"}
