"""Small synthetic worlds for the model's boundary tests, as row lists by kind.

Only row dicts are produced here; `builders.make_db` turns them into input tables.
Default: TINH > H (cap_tren_co_so) > D (dang_bo_co_so) > cells.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from chibo.contract import KINDS
from chibo.model import build_model
from chibo.rulebooks import load_rulebooks

from .builders import make_db


class World:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {k: [] for k in KINDS}
        self.members_of: dict[str, list[str]] = {}
        self._n = 0
        self.org("TINH", "tinh", None)
        self.org("H", "cap_tren_co_so", "TINH")

    # --- tree ---------------------------------------------------------------------------------
    def org(self, org_id, level, parent, established_on=None, dissolved_on=None):
        self.rows["org_units"].append(dict(
            org_id=org_id, name=f"Tổ chức {org_id}", level=level, parent_id=parent,
            kind="residential", established_on=established_on, dissolved_on=dissolved_on))
        return org_id

    def dang_bo(self, org_id="D", parent="H", **kw):
        return self.org(org_id, "dang_bo_co_so", parent, **kw)

    def cell(self, org_id, parent="D", level="chi_bo", members=10, **kw):
        self.org(org_id, level, parent, **kw)
        ids = [f"{org_id}-M{i:03d}" for i in range(1, members + 1)]
        self.members_of[org_id] = ids
        for m in ids:
            self.rows["members"].append(dict(
                member_id=m, full_name=f"Đảng viên {m}", birth_date="1980-01-01", sex="male",
                cell_id=org_id, joined_on="2010-01-01", official_on="2011-01-01",
                status="active", is_local=True))
        return org_id

    # --- meetings -----------------------------------------------------------------------------
    def meeting(self, cell, date, meeting_type="combined", minutes=150, statuses=None,
                spoke=True, criticism=True, signed=True, upper=0, meeting_id=None,
                attendance=True):
        """statuses: {member_id: status}; members not named are present."""
        self._n += 1
        date = dt.date.fromisoformat(date) if isinstance(date, str) else date
        mid = meeting_id or f"{cell}.{date:%Y%m%d}.{self._n}"
        start = dt.datetime(2000, 1, 1, 8, 0)
        end = start + dt.timedelta(minutes=minutes)
        self.rows["meetings"].append(dict(
            meeting_id=mid, cell_id=cell, meeting_date=date, meeting_type=meeting_type,
            start_time=start.time(), end_time=end.time(),
            topic=None if meeting_type in ("regular", "extraordinary") else "Chuyên đề",
            chair_member_id="X1", secretary_member_id="X2", upper_attendees=upper,
            criticism_held=criticism, hcm_story=False, resolution_adopted=True,
            minutes_signed=signed))
        if attendance:
            statuses = statuses or {}
            for m in self.members_of[cell]:
                st = statuses.get(m, "present")
                self.rows["attendance"].append(dict(
                    meeting_id=mid, member_id=m, status=st,
                    spoke=spoke if st == "present" else False,
                    absence_reason="Ốm" if st == "excused" else None))
        return mid

    def perfect_year(self, cell, year, last_month=12, first_month=1):
        """One 150-minute combined meeting a month, everyone present and speaking."""
        for m in range(first_month, last_month + 1):
            self.meeting(cell, dt.date(year, m, 10))

    # --- yearly data --------------------------------------------------------------------------
    def assessment(self, org, year, total=10, met=10, exceeded=5, score=None, **flags):
        row = dict(org_id=org, year=year, targets_total=total, targets_met=met,
                   targets_exceeded=exceeded, org_disciplined=False, disunity=False,
                   mass_orgs_good=True, shortcomings_fixed=True, score=score)
        row.update(flags)
        self.rows["assessments"].append(row)

    def ratings(self, cell, year, excellent=0, good=None, completed=0, failed=0,
                disciplined=0):
        ids = self.members_of[cell]
        good = len(ids) - excellent - completed - failed if good is None else good
        levels = (["excellent"] * excellent + ["good"] * good + ["completed"] * completed
                  + ["failed"] * failed)
        for i, (m, lv) in enumerate(zip(ids, levels)):
            self.rows["member_ratings"].append(dict(
                member_id=m, year=year, cell_id=cell, rating=lv, disciplined=i < disciplined))

    def good_cell_year(self, cell, year, score=None, last_month=12, **assessment):
        """A cell-year that is excellent on every count (before the quota)."""
        self.perfect_year(cell, year, last_month=last_month)
        self.ratings(cell, year, excellent=2)
        if score is None and year >= 2025:
            score = 95
        self.assessment(cell, year, score=score, **assessment)

    # --- run ----------------------------------------------------------------------------------
    def build(self, tmp_path: Path, as_of="2025-03-15", rules=None, name="w.duckdb"):
        con = make_db(tmp_path / name, self.rows)
        as_of = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        build_model(con, as_of, rules or load_rulebooks())
        return con


def row(con, table, **key) -> dict | None:
    where = " AND ".join(f"{k} = ?" for k in key)
    rel = con.execute(f"SELECT * FROM {table} WHERE {where}", list(key.values()))
    cols = [d[0] for d in rel.description]
    rows = rel.fetchall()
    assert len(rows) <= 1
    return dict(zip(cols, rows[0])) if rows else None


def cls(con, org_id, year):
    return row(con, "org_year_classification", org_id=org_id, year=year)


def metrics(con, org_id, year):
    return row(con, "cell_year_metrics", org_id=org_id, year=year)


def meeting(con, meeting_id):
    return row(con, "meetings", meeting_id=meeting_id)
