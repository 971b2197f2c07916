"""A night derives what its deliveries touch, and the result equals a rebuild.

The worked example's files arrive night by night in the order of their dates; then random
corrections follow: attendance of an earlier year changed, a meeting moved across a year, a
row retracted, a meeting deleted (its attendance becomes pending), attendance of a meeting
not yet delivered and the meeting a night later, a meeting of an organisation of the wrong
level, a correction file sent again with other bytes, an assessment lowered, and the as-of
date crossing a month-end. After every night, the integrated tables (with quarantine,
pending, flags and the files' counts) and the model's tables of the warehouse built night by
night equal those of a warehouse built from the same raw/ in one run; and a night that
touches neither the tree nor the register integrates only the partitions it touches, the
model only the years.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
from pathlib import Path
from typing import Any

import duckdb

from chibo import pipeline
from chibo.contract import KINDS
from chibo.model import YEAR_TABLES
from tests.helpers import EXAMPLE, settings, write_csv

# compared as sets of rows: the warehouse does not preserve insertion order
TABLES = (*KINDS, "quarantine", "pending", "flags", *YEAR_TABLES, "meetings", "org_lineage",
          "model_year_inputs")
RUN_IDS = {"run_id", "first_run_id", "delivery_id"}


Night = tuple[int | None, list[int], list[int]]


def _night(raw: Path, warehouse: Path, as_of: dt.date) -> Night:
    """ingest → integrate → model → publish: (partitions integrated again, None for all;
    the years the model derived; those of them it derived cell by cell)."""
    s = settings(warehouse.parent.parent, raw, as_of=as_of, warehouse=warehouse)
    ctx = pipeline.start_run(s)
    try:
        pipeline.ingest(ctx)
        pipeline.integrate(ctx)
        out = pipeline.model(ctx)
        pipeline.publish(ctx)
    except BaseException as exc:
        pipeline.abort_run(ctx, exc)
        raise
    return (ctx.results["integrate"].changed_parts, list(out.get("years_derived", [])),
            list(out.get("years_derived_by_cell", [])))


def _tables(db: Path) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out: dict[str, Any] = {}
        for t in TABLES:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                "AND schema_name = 'main' ORDER BY column_index", [t]).fetchall()
                if r[0] not in RUN_IDS]
            out[t] = sorted(con.execute(f"SELECT {', '.join(cols)} FROM {t}").fetchall(), key=repr)
        out["files"] = con.execute(
            "SELECT path, kind, status, rows_read, rows_loaded, rows_quarantined, rows_pending "
            "FROM files WHERE NOT superseded ORDER BY path").fetchall()
        return out
    finally:
        con.close()


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _all_rows(raw: Path, kind: str) -> list[dict[str, str]]:
    return [r for f in sorted((raw / kind).glob("*.csv")) for r in _rows(f)]


def _deliver_until(raw: Path, day: str) -> None:
    for f in sorted(EXAMPLE.joinpath("raw").glob("*/*.csv")):
        if f.name[:10] <= day and not (raw / f.parent.name / f.name).exists():
            (raw / f.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(f, raw / f.parent.name / f.name)


class Corrections:
    """Random correction files (seeded), each returning the years whose records it changes."""

    def __init__(self, raw: Path, rng: random.Random) -> None:
        self.raw, self.rng = raw, rng
        self.meetings = {r["meeting_id"]: r for r in _all_rows(raw, "meetings")}

    def _attendance_of(self, year: str) -> list[dict[str, str]]:
        return [r for r in _all_rows(self.raw, "attendance")
                if self.meetings.get(r["meeting_id"], {}).get("meeting_date", "")[:4] == year]

    def _regular(self, year: str) -> dict[str, str]:
        return self.rng.choice([r for r in self.meetings.values() if r["meeting_date"][:4] == year
                                and r["meeting_type"] == "regular"])

    def attendance_changed(self, name: str, year: str, n: int) -> set[int]:
        write_csv(self.raw, "attendance", name, [
            {**r, "absence_reason": "", **({"status": "unexcused", "spoke": ""}
                                           if r["status"] == "present"
                                           else {"status": "present", "spoke": "false"})}
            for r in self.rng.sample(self._attendance_of(year), n)])
        return {int(year)}

    def meeting_moved(self, name: str) -> set[int]:
        """A 2025 meeting with an absence without reason moved into 2024: its cell's 2025
        members lose that absence."""
        absent = {r["meeting_id"] for r in self._attendance_of("2025")
                  if r["status"] == "unexcused"}
        meeting = self.rng.choice([r for r in self.meetings.values()
                                   if r["meeting_id"] in absent and r["meeting_type"] == "regular"])
        moved = {**meeting, "meeting_date": "2024-12-30", "materials_posted_on": "2024-12-20"}
        write_csv(self.raw, "meetings", name, [moved])
        return {2024, 2025}

    def attendance_retracted(self, name: str) -> set[int]:
        r = self.rng.choice(self._attendance_of("2023"))
        write_csv(self.raw, "attendance", name, [{"meeting_id": r["meeting_id"],
                                                  "member_id": r["member_id"], "action": "delete"}])
        return {2023}

    def meeting_of_wrong_level(self, name: str) -> set[int]:
        """A new meeting whose cell is a đảng bộ: the integration quarantines it."""
        wrong = {**self._regular("2025"), "meeting_id": "SAI-CAP.20250505", "cell_id": "H01"}
        write_csv(self.raw, "meetings", name, [wrong])
        return set()

    def meeting_deleted(self, name: str) -> set[int]:
        write_csv(self.raw, "meetings", name, [{"meeting_id": self._regular("2024")["meeting_id"],
                                                "action": "delete"}])
        return {2024}

    def attendance_early(self, name: str) -> tuple[set[int], dict[str, str]]:
        """Attendance of a meeting not delivered yet (pending); the meeting to send later."""
        m = {**self._regular("2025"), "meeting_id": "MUON.20250612", "meeting_date": "2025-06-12",
             "materials_posted_on": "2025-06-01"}
        rows = [r for r in _all_rows(self.raw, "attendance")
                if self.meetings[r["meeting_id"]]["cell_id"] == m["cell_id"]][:4]
        write_csv(self.raw, "attendance", name,
                  [{**r, "meeting_id": m["meeting_id"]} for r in rows])
        return set(), m

    def assessment_lowered(self, name: str) -> set[int]:
        a = self.rng.choice([r for r in _all_rows(self.raw, "assessments") if r["year"] == "2025"])
        write_csv(self.raw, "assessments", name,
                  [{**a, "targets_met": "0", "targets_exceeded": "0"}])
        return {2025}


def test_a_night_derives_what_it_touches_and_equals_a_rebuild(tmp_path):
    rng = random.Random(7)
    raw = tmp_path / "raw"
    night_wh = tmp_path / "night" / "wh" / "chibo.duckdb"
    nights = 0

    def night(as_of: dt.date) -> Night:
        nonlocal nights
        nights += 1
        done = _night(raw, night_wh, as_of)
        whole = tmp_path / f"whole-{nights}" / "wh" / "chibo.duckdb"
        _night(raw, whole, as_of)
        assert _tables(night_wh) == _tables(whole), f"night {nights} ({as_of})"
        return done

    _deliver_until(raw, "2024-04-10")
    assert night(dt.date(2024, 4, 15)) == (None, [2023, 2024], [])   # the first build: everything
    _deliver_until(raw, "2025-10-10")     # the 2025 tree and register: everything again
    assert night(dt.date(2025, 10, 12)) == (None, [2023, 2024, 2025], [])
    _deliver_until(raw, "2026-03-15")
    night(dt.date(2026, 3, 15))

    # corrections of earlier years within the month: only what they touch, cell by cell
    c = Corrections(raw, rng)
    first = c.attendance_changed("2026-03-16-a-dinh-chinh.csv", "2024", 5)
    parts, years, by_cell = night(dt.date(2026, 3, 16))
    assert parts is not None and 0 < parts <= 5 and years == by_cell == sorted(first)

    touched = (c.meeting_moved("2026-03-17-a-doi-ngay.csv")
               | c.attendance_retracted("2026-03-17-b-xoa.csv")
               | c.meeting_of_wrong_level("2026-03-17-c-sai-cap.csv"))
    parts, years, by_cell = night(dt.date(2026, 3, 17))
    assert parts is not None and years == by_cell == sorted(touched)

    early, late_meeting = c.attendance_early("2026-03-18-a-diem-danh-som.csv")
    touched = early | c.meeting_deleted("2026-03-18-b-xoa-buoi.csv") \
        | c.assessment_lowered("2026-03-18-c-danh-gia.csv")
    parts, years, by_cell = night(dt.date(2026, 3, 18))
    assert parts is not None and years == by_cell == sorted(touched)

    # the late meeting arrives; the first correction file comes again with other bytes
    write_csv(raw, "meetings", "2026-03-19-a-buoi-muon.csv", [late_meeting])
    again = c.attendance_changed("2026-03-16-a-dinh-chinh.csv", "2024", 3)
    parts, years, by_cell = night(dt.date(2026, 3, 19))
    assert parts is not None and years == by_cell == sorted({2025} | again)

    # nothing new, the as-of date crosses a month-end: the model derives the as-of year only
    assert night(dt.date(2026, 4, 2)) == (None, [2026], [])
