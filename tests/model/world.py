"""Small synthetic worlds for the model's boundary tests, as row lists by kind.

Only row dicts are produced here; `build` writes them as the contract's plain CSV files into
a raw/ folder and runs the real pipeline on them (read, validate, integrate, model), so the
model tests see exactly the tables a delivery would give.
Default: TINH > H (cap_tren_co_so) > D (dang_bo_co_so) > cells.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import csv

import duckdb

from chibo import pipeline
from chibo import warehouse as wh
from chibo.contract import CONTRACT, KINDS
from chibo.settings import Settings


class World:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {k: [] for k in KINDS}
        self.members_of: dict[str, list[str]] = {}
        # further deliveries, written after the main files: (kind, file name, rows)
        self.later: list[tuple[str, str, list[dict]]] = []
        self._n = 0
        self.org("TINH", "tinh", None)
        self.org("H", "cap_tren_co_so", "TINH")

    # --- tree ---------------------------------------------------------------------------------
    def org(self, org_id, level, parent, established_on=None, dissolved_on=None,
            valid_from=None, kind="residential", successor_id=None):
        self.rows["org_units"].append(dict(
            org_id=org_id, valid_from=valid_from, name=f"Tổ chức {org_id}", level=level,
            parent_id=parent, kind=kind, established_on=established_on,
            dissolved_on=dissolved_on, successor_id=successor_id))
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
                attendance=True, materials_days_before: int | None = 2):
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
            minutes_signed=signed,
            # HD 42: posted in time unless a test says otherwise
            materials_posted_on=(date - dt.timedelta(days=materials_days_before)
                                 if materials_days_before is not None else None)))
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
        if year >= 2025:   # QĐ 366 rates timeliness: required from 2025
            row.update(targets_late=0, leaders_disciplined=False)
        row.update(flags)
        self.rows["assessments"].append(row)

    def official(self, org, year, level, four_good_awarded=None, file=None):
        """The committee's decided rating; `file` delivers it in a later file (a re-rating)."""
        row = dict(org_id=org, year=year, level=level, four_good_awarded=four_good_awarded)
        if file is None:
            self.rows["official_ratings"].append(row)
        else:
            self.later.append(("official_ratings", file, [row]))

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
    def write_raw(self, raw: Path) -> Path:
        """One plain CSV per kind (code-name headers, ISO dates), as a delivery would be."""
        files = [(k, "w.csv", rows) for k, rows in self.rows.items()] + self.later
        for kind, name, rows in files:
            if not rows:
                continue
            cols = [c for c in CONTRACT[kind].column_names if any(c in r for r in rows)]
            path = raw / kind / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh)
                out.writerow(cols)
                for r in rows:
                    out.writerow([_text(r.get(c)) for c in cols])
        return raw

    def build(self, tmp_path: Path, as_of="2025-03-15", rulebooks: Path | None = None,
              name="w.duckdb") -> duckdb.DuckDBPyConnection:
        """Run the real pipeline (no exports) on the world; a read-only connection to it."""
        as_of = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        base = tmp_path / name.replace(".duckdb", "")
        raw = self.write_raw(base / "raw")
        s = Settings(raw=raw, warehouse=base / name, exports=base / "exports", as_of=as_of,
                     rulebooks=rulebooks)
        ctx = pipeline.start_run(s)
        try:
            pipeline.ingest(ctx)
            pipeline.integrate(ctx)
            pipeline.model(ctx)
            not_loaded = ctx.con.execute(
                "SELECT (SELECT count(*) FROM quarantine) + (SELECT count(*) FROM pending)"
            ).fetchall()[0][0]
            quarantine = ctx.con.execute("SELECT * FROM quarantine LIMIT 5").fetchall()
            wh.publish_file(ctx.con, ctx.next_file, s.warehouse)
        finally:
            ctx.resources.close()
        assert not_loaded == 0, f"a test world must load whole: {quarantine}"
        return duckdb.connect(str(s.warehouse), read_only=True)


def _text(value) -> str:
    """A cell as a person types it (dates ISO, times HH:MM, booleans true/false)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


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
