"""Issue 19 item 4: a kill at any instant leaves warehouse and reports in step.

A real child process runs `pipeline.run_all` and SIGKILLs itself at a named point
(CHIBO_TEST_KILL_AT, read by chibo at exactly that instant; docs/reliability.md lists them).
After the kill the published warehouse is the old one byte for byte, or the new one with the
run not yet confirmed (no publish marker: `chibo status` says interrupted); the next run, with
nothing new in raw/, puts the reports in step with the warehouse, and the killed run is not
recorded `completed`."""
from __future__ import annotations

import signal

import pytest

from chibo import pipeline
from chibo import warehouse as wh
from chibo.settings import Settings
from tests.robustness.conftest import (
    AS_OF,
    more_meetings,
    query,
    reports,
    run_in_child,
    small_world,
)

pytestmark = pytest.mark.slow

# (kill point, the warehouse was already replaced when the process died)
POINTS = [("ingest", False), ("publish:before-warehouse", False),
          ("publish:after-warehouse", True), ("publish:mid-reports", True),
          ("publish:before-marker", True)]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The same raw/ as the tests end with, built in one run: its reports and meetings."""
    base = tmp_path_factory.mktemp("clean")
    raw = small_world().write_raw(base / "raw")
    more_meetings(raw)
    s = Settings(raw=raw, warehouse=base / "c.duckdb", exports=base / "exports", as_of=AS_OF)
    pipeline.run_all(s)
    return reports(s.exports), query(s.warehouse, "SELECT count(*) FROM meetings")


@pytest.mark.parametrize("point, replaced", POINTS)
def test_a_kill_leaves_warehouse_and_reports_in_step(world, clean, point, replaced):
    raw, s = world
    pipeline.run_all(s)
    old_db, old_reports = s.warehouse.read_bytes(), reports(s.exports)
    old_files = reports(s.exports, "")
    more_meetings(raw)                                   # the killed run has something to do

    killed = run_in_child(s, kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    if replaced:
        assert s.warehouse.read_bytes() != old_db
        status = pipeline.recent_runs(s.warehouse)[0]
        assert status["status"] == "interrupted"         # at once, before any other run
    else:
        assert s.warehouse.read_bytes() == old_db
        assert reports(s.exports) == old_reports
        assert pipeline.recent_runs(s.warehouse)[0]["error"] == pipeline.KILLED_ERROR
    if point == "publish:mid-reports":                   # the window the issue describes
        now = reports(s.exports, "")
        assert now != old_files and set(now) == set(old_files)   # one file new, others old

    pipeline.run_all(s)                                  # nothing new in raw/ now
    runs = query(s.warehouse, "SELECT status, skipped FROM runs ORDER BY started_at")
    assert runs[0][0] == "completed" and runs[-1][0] == "completed"
    assert runs[1][0] == ("interrupted" if replaced else "failed")
    assert "export" not in (runs[-1][1] or "")           # the reports were written again
    assert wh.read_marker(s.warehouse)["run_id"] == query(
        s.warehouse, "SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1")[0][0]
    assert not list(s.warehouse.parent.glob("*.next-*"))
    assert not list(s.exports.parent.glob("exports.next-*"))

    clean_reports, clean_meetings = clean
    assert reports(s.exports) == clean_reports           # in step with this very state
    assert query(s.warehouse, "SELECT count(*) FROM meetings") == clean_meetings


def test_without_a_kill_point_the_child_run_completes(world):
    raw, s = world
    done = run_in_child(s)
    assert done.returncode == 0, done.stderr[-2000:]
    assert wh.read_marker(s.warehouse)["run_id"] == query(
        s.warehouse, "SELECT run_id FROM runs")[0][0]
