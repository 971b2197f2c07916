"""The model derives only the years whose inputs changed, and the result equals a rebuild.

The worked example's files arrive night by night in the order of their dates, then random
corrections of earlier years follow (attendance flipped, a meeting moved across a year, a
row deleted, an assessment lowered) with the as-of date moving inside and across a month.
After every night the model's tables of the warehouse built night by night equal, row for
row and in order, those of a warehouse built from the same raw/ in one run.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
from pathlib import Path

import duckdb
import pytest

from chibo import pipeline
from chibo.model import YEAR_TABLES
from tests.helpers import EXAMPLE, settings, write_csv

MODEL_TABLES = (*YEAR_TABLES, "meetings", "org_lineage", "model_year_inputs")


def _night(raw: Path, warehouse: Path, as_of: dt.date) -> list[int]:
    """ingest → integrate → model → publish; the years the model derived."""
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
    return list(out.get("years_derived", []))


def _tables(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t}").fetchall() for t in MODEL_TABLES}
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


def _correction(raw: Path, rng: random.Random, step: int) -> set[int]:
    """One random correction file of an earlier year; the years its rows change."""
    name = f"2026-03-2{step}-zz-dinh-chinh.csv"
    meetings = {r["meeting_id"]: r for r in _all_rows(raw, "meetings")}
    if step == 0:     # attendance of 2024 flipped
        rows = [r for r in _all_rows(raw, "attendance")
                if meetings.get(r["meeting_id"], {}).get("meeting_date", "")[:4] == "2024"]
        picked = rng.sample(rows, 5)
        write_csv(raw, "attendance", name, [
            {**r, "absence_reason": "", **({"status": "unexcused", "spoke": ""}
                                           if r["status"] == "present"
                                           else {"status": "present", "spoke": "false"})}
            for r in picked])
        return {2024}
    if step == 1:     # a regular meeting of 2025 moved back into December 2024
        m = rng.choice([r for r in meetings.values()
                        if r["meeting_date"][:4] == "2025" and r["meeting_type"] == "regular"])
        write_csv(raw, "meetings", name, [{**m, "meeting_date": "2024-12-30",
                                           "materials_posted_on": "2024-12-20"}])
        return {2024, 2025}
    if step == 2:     # an attendance row of 2023 retracted
        r = rng.choice([r for r in _all_rows(raw, "attendance")
                        if meetings.get(r["meeting_id"], {}).get("meeting_date", "")[:4] == "2023"])
        write_csv(raw, "attendance", name, [{"meeting_id": r["meeting_id"],
                                             "member_id": r["member_id"], "action": "delete"}])
        return {2023}
    rows = [r for r in _all_rows(raw, "assessments") if r["year"] == "2025"]   # step 3
    a = rng.choice(rows)
    write_csv(raw, "assessments", name, [{**a, "targets_met": "0", "targets_exceeded": "0"}])
    return {2025}


@pytest.mark.parametrize("seed", [7])
def test_a_night_derives_the_years_it_touches_and_equals_a_rebuild(tmp_path, seed):
    rng = random.Random(seed)
    raw = tmp_path / "raw"
    night_wh = tmp_path / "night" / "wh" / "chibo.duckdb"
    nights = 0

    def night(as_of: dt.date) -> list[int]:
        nonlocal nights
        nights += 1
        derived = _night(raw, night_wh, as_of)
        whole = tmp_path / f"whole-{nights}" / "wh" / "chibo.duckdb"
        _night(raw, whole, as_of)
        assert _tables(night_wh) == _tables(whole), f"night {nights} ({as_of})"
        return derived

    _deliver_until(raw, "2024-04-10")
    assert night(dt.date(2024, 4, 15)) == [2023, 2024]           # the first build: every year
    _deliver_until(raw, "2025-10-10")     # the 2025 tree and register: every year again
    assert night(dt.date(2025, 10, 12)) == [2023, 2024, 2025]
    _deliver_until(raw, "2026-03-15")
    night(dt.date(2026, 3, 15))

    # corrections of earlier years, same month: only the years they touch
    for step in range(4):
        touched = _correction(raw, rng, step)
        assert night(dt.date(2026, 3, 16 + step)) == sorted(touched), f"correction {step}"
    # a row sent again unchanged, and the as-of date crossing a month-end: only the as-of
    # year changes
    write_csv(raw, "assessments", "2026-04-02-zz-gui-lai.csv",
              [r for r in _all_rows(raw, "assessments") if r["year"] == "2025"][:1])
    assert night(dt.date(2026, 4, 2)) == [2026]
