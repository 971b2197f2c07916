"""Issue 11, run level: a bug fails the run (one line, stage and file, the file is read again
next run); publishing is all or nothing for the user; every run is visible in `runs` and in
`chibo status`; an older warehouse is migrated; files honour the umask and the warehouse keeps
its mode and group."""
from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import duckdb
import pytest

from chibo import pipeline
from chibo import warehouse as wh
from chibo.cli import main
from chibo.errors import ChiboError, PublishedWithErrors, StageFailed
from tests.robustness.conftest import more_meetings, query, reports


def _runs(db: Path) -> list[tuple]:
    return query(db, "SELECT run_id, status, stage, error, skipped FROM runs ORDER BY started_at")


def test_a_bug_in_validation_fails_the_run_and_the_file_is_read_again(world, monkeypatch):
    raw, s = world
    pipeline.run_all(s)
    before = s.warehouse.read_bytes()
    more_meetings(raw)

    import chibo.validate

    def bug(*args, **kwargs):
        raise RuntimeError("a regression in validation\n(second line of the message)")
    monkeypatch.setattr(chibo.validate, "validate_frame", bug)
    with pytest.raises(StageFailed) as caught:
        pipeline.run_all(s)
    message = str(caught.value)
    assert "\n" not in message                                   # one line
    assert message.startswith("thất bại ở bước")                 # Vietnamese first
    assert "at stage ingest" in message and "attendance/2024-05-10-c1.csv" in message
    assert "RuntimeError: a regression in validation (second line" in message
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert s.warehouse.read_bytes() == before                    # nothing published
    assert not list(s.warehouse.parent.glob("*.next-*"))
    [last] = [json.loads(x) for x in pipeline.run_log_path(s).read_text().splitlines()][-1:]
    assert last["status"] == "failed" and last["stage"] == "ingest"

    monkeypatch.undo()                                           # the bug is fixed
    pipeline.run_all(s)
    files = query(s.warehouse, "SELECT path, status FROM files WHERE path LIKE '%2024-05-10%' "
                  "ORDER BY path")
    assert files == [("attendance/2024-05-10-c1.csv", "loaded"),
                     ("meetings/2024-05-10-c1.csv", "loaded")]   # never recorded rejected
    runs = _runs(s.warehouse)
    assert [r[1] for r in runs] == ["completed", "failed", "completed"]
    assert runs[1][2] == "ingest" and "a regression in validation" in runs[1][3]


def test_a_bug_reading_ahead_names_the_file_it_hit_not_the_one_being_staged(world,
                                                                         monkeypatch):
    # the next delivery is read while this one is staged: a bug on the next one is still
    # that file's, and the one before it is not held responsible
    raw, s = world
    pipeline.run_all(s)
    more_meetings(raw)

    import chibo.validate
    validate = chibo.validate.validate_frame

    def bug_on_meetings(read, kind, *args, **kwargs):
        if kind == "meetings":
            raise RuntimeError("a regression in validating meetings")
        return validate(read, kind, *args, **kwargs)
    monkeypatch.setattr(chibo.validate, "validate_frame", bug_on_meetings)
    with pytest.raises(StageFailed) as caught:
        pipeline.run_all(s)
    assert "meetings/2024-05-10-c1.csv" in str(caught.value)
    assert "attendance/2024-05-10-c1.csv" not in str(caught.value)

    monkeypatch.undo()
    pipeline.run_all(s)
    files = query(s.warehouse, "SELECT path, status FROM files WHERE path LIKE '%2024-05-10%' "
                  "ORDER BY path")
    assert files == [("attendance/2024-05-10-c1.csv", "loaded"),
                     ("meetings/2024-05-10-c1.csv", "loaded")]


def test_a_file_level_rejection_is_still_recorded_rejected(world):
    raw, s = world
    (raw / "meetings" / "rong.csv").write_bytes(b"")
    pipeline.run_all(s)
    [(status, error)] = query(s.warehouse, "SELECT status, error FROM files "
                              "WHERE path = 'meetings/rong.csv'")
    assert status == "rejected" and " / " in error


def test_reports_that_cannot_be_moved_leave_the_run_published_with_errors(world, monkeypatch):
    raw, s = world
    pipeline.run_all(s)
    more_meetings(raw)

    def fails(staged, exports, after_each=None):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(wh, "publish_exports", fails)
    with pytest.raises(PublishedWithErrors) as caught:
        pipeline.run_all(s)
    assert str(caught.value).startswith("kho dữ liệu đã được công bố")
    assert "\n" not in str(caught.value)
    # the warehouse is the new one, but the run does not count as completed
    assert [r["status"] for r in pipeline.recent_runs(s.warehouse)][:1] == ["published_with_errors"]
    assert not list(s.exports.parent.glob("exports.next-*"))
    monkeypatch.undo()

    pipeline.run_all(s)                 # nothing new: the reports are written again all the same
    runs = _runs(s.warehouse)
    assert [r[1] for r in runs] == ["completed", "published_with_errors", "completed"]
    assert "export" not in (runs[-1][4] or "")
    assert {"integrate", "model"} <= set((runs[-1][4] or "").split(", "))
    assert wh.read_marker(s.warehouse)["run_id"] == runs[-1][0]

    clean = s.__class__(raw=raw, warehouse=s.warehouse.parent.parent / "clean" / "c.duckdb",
                        exports=s.warehouse.parent.parent / "clean" / "exports", as_of=s.as_of)
    pipeline.run_all(clean)
    assert reports(s.exports) == reports(clean.exports)


def test_a_failed_run_appears_in_runs_after_the_next_run_and_in_chibo_status(world, capsys,
                                                                              monkeypatch):
    raw, s = world
    pipeline.run_all(s)
    more_meetings(raw)
    import chibo.model

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(chibo.model, "build_model", broken)
    with pytest.raises(StageFailed, match="at stage model"):
        pipeline.run_all(s)
    monkeypatch.undo()

    assert main(["status", "--warehouse", str(s.warehouse)]) == 0     # before the next run
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Các lần chạy gần nhất / last runs")
    assert "thất bại / failed" in out[1] and "stage model" in out[1]
    assert "ZeroDivisionError: division by zero" in out[1]
    assert "hoàn thành / completed" in out[2]

    pipeline.run_all(s)
    runs = _runs(s.warehouse)
    assert [r[1] for r in runs] == ["completed", "failed", "completed"]
    assert runs[1][2] == "model" and "ZeroDivisionError" in runs[1][3]
    assert main(["status", "--warehouse", str(s.warehouse), "-n", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and "completed" in out[1] and "failed" in out[2]


def test_a_run_stopped_by_the_shrink_guard_is_visible(world):
    raw, s = world
    pipeline.run_all(s)
    members = [r[0] for r in query(s.warehouse, "SELECT member_id FROM members")]
    (raw / "members" / "xoa.csv").write_text(
        "member_id,action\n" + "".join(f"{m},delete\n" for m in members), encoding="utf-8")
    with pytest.raises(ChiboError):
        pipeline.run_all(s)
    (raw / "members" / "xoa.csv").unlink()
    # the stopped run published nothing; the next run shows it
    pipeline.run_all(s)
    [(status, stage, error)] = query(s.warehouse, "SELECT status, stage, error FROM runs "
                                     "WHERE status <> 'completed'")
    assert status == "failed" and stage == "integrate" and error


def test_status_says_no_run_yet(tmp_path, capsys):
    assert main(["status", "--warehouse", str(tmp_path / "none.duckdb")]) == 2
    err = capsys.readouterr().err.strip()
    assert "chưa có lần chạy nào / no run yet" in err and len(err.splitlines()) == 1


def test_an_older_warehouse_is_migrated_and_runs_are_inserted_by_name(world):
    raw, s = world
    s.warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(s.warehouse))
    # the runs table as it was before `fingerprint`, `skipped`, `error` and `stage`
    con.execute("""CREATE TABLE runs (run_id VARCHAR, started_at TIMESTAMPTZ,
        finished_at TIMESTAMPTZ, as_of DATE, status VARCHAR, mode VARCHAR, files_new BIGINT,
        files_loaded BIGINT, files_rejected BIGINT, files_duplicate BIGINT,
        files_unsupported BIGINT, rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
        rows_pending BIGINT, rows_retracted BIGINT, flags BIGINT, orgs_classified BIGINT,
        seconds_ingest DOUBLE, seconds_integrate DOUBLE, seconds_model DOUBLE,
        seconds_export DOUBLE, seconds_publish DOUBLE)""")
    con.execute("INSERT INTO runs (run_id, status, mode) VALUES ('old-run', 'completed', 'run')")
    con.execute("CREATE TABLE files (delivery_id BIGINT, path VARCHAR, kind VARCHAR, "
                "sha256 VARCHAR, bytes BIGINT, mtime_ns BIGINT, status VARCHAR)")
    con.close()
    pipeline.run_all(s)
    cols = [r[0] for r in query(s.warehouse, "SELECT column_name FROM duckdb_columns() "
                                "WHERE table_name = 'runs' ORDER BY column_index")]
    assert {"fingerprint", "skipped", "error", "stage"} <= set(cols)
    rows = query(s.warehouse, "SELECT run_id, status, fingerprint IS NOT NULL, "
                 "seconds_publish > 0 FROM runs ORDER BY started_at NULLS FIRST")
    assert rows[0][:2] == ("old-run", "completed")
    assert rows[1][1:] == ("completed", True, True)           # seconds_publish is measured


def test_reports_and_warehouse_follow_the_umask(world):
    raw, s = world
    old = os.umask(0o022)
    try:
        pipeline.run_all(s)
        files = [p for p in s.exports.rglob("*") if p.is_file()]
        assert files and {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o644}
        assert stat.S_IMODE(s.warehouse.stat().st_mode) == 0o644
        first = {p: p.stat().st_ino for p in files}
        os.umask(0o002)
        more_meetings(raw)
        pipeline.run_all(s)
        # the files the night wrote follow the new umask; those it kept stay as they were
        new = [p for p in s.exports.rglob("*.csv") if p.stat().st_ino != first.get(p)]
        kept = [p for p in s.exports.rglob("*.csv") if p.stat().st_ino == first.get(p)]
        assert new and {stat.S_IMODE(p.stat().st_mode) for p in new} == {0o664}
        assert {stat.S_IMODE(p.stat().st_mode) for p in kept} <= {0o644}
    finally:
        os.umask(old)


def test_the_published_warehouse_keeps_its_mode_and_group(world):
    raw, s = world
    pipeline.run_all(s)
    os.chmod(s.warehouse, 0o640)
    gid = os.getgid()
    if os.geteuid() == 0:   # root may give it any group: one that is not its own
        gid = 4242
        os.chown(s.warehouse, -1, gid)
    more_meetings(raw)
    pipeline.run_all(s)
    st = s.warehouse.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == gid
    pipeline.run_all(s.__class__(**{**s.__dict__, "as_of": dt.date(2024, 7, 31)}))
    assert stat.S_IMODE(s.warehouse.stat().st_mode) == 0o640


def test_retry_sees_through_stage_failed_and_never_retries_a_full_disk():
    from flows.nightly import is_transient_io_error
    assert is_transient_io_error(StageFailed("ingest", "a.csv", ConnectionResetError()))
    assert not is_transient_io_error(StageFailed("ingest", "a.csv", RuntimeError("bug")))
    assert not is_transient_io_error(OSError(28, "No space left on device"))
    assert not is_transient_io_error(duckdb.IOException(
        "Could not write file \"x.wal\": No space left on device"))
