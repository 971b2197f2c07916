"""Warehouses the real pipeline built, for the export tests.

* `example_db`: the worked example (tests/model/fixtures/small-province/raw, as of
  2026-03-15) through ingest → integrate → model → publish: every model and rulebook table
  as production makes it, not yet documented (the export stage is what these tests test).
* `messy_db`: the committed messy delivery plus a rejected file, an unsupported file and an
  attendance file waiting for a meeting nobody delivered: quarantined, pending and rejected
  rows for the error lists.
"""
from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from chibo import pipeline
from chibo.export import document_warehouse, write_exports
from chibo.settings import Settings
from tests.helpers import EXAMPLE, EXAMPLE_AS_OF

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_messy import AS_OF as MESSY_AS_OF, ROOT as MESSY_RAW  # noqa: E402


def build(raw: Path, base: Path, as_of: dt.date, rulebooks: Path | None = None) -> Path:
    """ingest → integrate → model → publish with the real pipeline; returns the warehouse."""
    s = Settings(raw=raw, warehouse=base / "chibo.duckdb", exports=base / "exports", as_of=as_of,
                 rulebooks=rulebooks)
    ctx = pipeline.start_run(s)
    try:
        for stage in (pipeline.ingest, pipeline.integrate, pipeline.model):
            stage(ctx)
        pipeline.publish(ctx)
    except BaseException as exc:
        pipeline.abort_run(ctx, exc)
        raise
    return s.warehouse


def export_copy(db: Path, base: Path, as_of: dt.date) -> Path:
    """Document a copy of `db` and write its exports under `base/exports`."""
    copy = base / "documented.duckdb"
    shutil.copy(db, copy)
    con = duckdb.connect(str(copy))
    try:
        document_warehouse(con)
        write_exports(con, base / "exports", as_of)
    finally:
        con.close()
    return base / "exports"


@pytest.fixture(scope="session")
def example_db(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("example")
    return build(EXAMPLE / "raw", base, EXAMPLE_AS_OF)


@pytest.fixture(scope="session")
def messy_db(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("messy")
    raw = base / "raw"
    shutil.copytree(MESSY_RAW, raw)
    (raw / "ghi-chu.docx").write_bytes(b"PK not a data file")
    (raw / "attendance" / "2024-03-01").mkdir(parents=True)
    (raw / "attendance" / "2024-03-01" / "khong-co-tieu-de.csv").write_text(
        "a,b\n1,2\n", encoding="utf-8")
    (raw / "attendance" / "2024-03-01" / "cho-buoi-hop.csv").write_text(
        "meeting_id,member_id,status,spoke,absence_reason\nSH-KHONG-CO,DV001,present,true,\n",
        encoding="utf-8")
    return build(raw, base, MESSY_AS_OF)


@pytest.fixture
def warehouse(example_db, tmp_path) -> Path:
    """A private copy of the worked example's (undocumented) warehouse file."""
    dst = tmp_path / "chibo.duckdb"
    shutil.copy(example_db, dst)
    return dst


@pytest.fixture
def con(warehouse):
    c = duckdb.connect(str(warehouse))
    yield c
    c.close()


@pytest.fixture
def documented(con):
    document_warehouse(con)
    return con


@pytest.fixture(scope="session")
def exports(tmp_path_factory, example_db) -> Path:
    """Exports of the documented worked example (written once per session)."""
    return export_copy(example_db, tmp_path_factory.mktemp("exp"), EXAMPLE_AS_OF)


@pytest.fixture(scope="session")
def messy_exports(tmp_path_factory, messy_db) -> Path:
    return export_copy(messy_db, tmp_path_factory.mktemp("messy-exp"), MESSY_AS_OF)


MEETINGS_HEADER = ("meeting_id,cell_id,meeting_date,meeting_type,start_time,end_time,topic,"
                   "chair_member_id,secretary_member_id,upper_attendees,criticism_held,hcm_story,"
                   "resolution_adopted,minutes_signed,materials_posted_on")


@pytest.fixture(scope="session")
def analyst_db(tmp_path_factory) -> Path:
    """The worked example plus a few bad deliveries (a quarantined meeting, an attendance row
    waiting for its meeting, a rejected and an unsupported file): the warehouse the README's
    questions are run against."""
    base = tmp_path_factory.mktemp("analyst")
    raw = base / "raw"
    shutil.copytree(EXAMPLE / "raw", raw)
    (raw / "meetings" / "2026-03-01-h01-bo-sung.csv").write_text(
        MEETINGS_HEADER + "\nH01-X001-C01.20260220.X1,H01-X001-C01,2026-02-20,extraordinary,"
        "16:00,15:00,,DV000001,DV000002,0,false,false,false,true,\n", encoding="utf-8")
    (raw / "attendance" / "2026-03-01-h01-bo-sung.csv").write_text(
        "meeting_id,member_id,status,spoke,absence_reason\nH01-X001-C01.20260227.R99,DV000001,present,true,\n",
        encoding="utf-8")
    (raw / "attendance" / "2026-03-01-khong-tieu-de.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (raw / "ghi-chu.docx").write_bytes(b"x")
    return build(raw, base, EXAMPLE_AS_OF)


@pytest.fixture(scope="session")
def documented_readonly(tmp_path_factory, analyst_db):
    """A documented copy of the README's warehouse opened read-only, as analysts open it."""
    db = tmp_path_factory.mktemp("ro") / "chibo.duckdb"
    shutil.copy(analyst_db, db)
    c = duckdb.connect(str(db))
    document_warehouse(c)
    c.close()
    ro = duckdb.connect(str(db), read_only=True)
    yield ro
    ro.close()
