"""Publishing by build-then-rename, proven with real concurrent processes.

- an analyst process holding a read-only connection for the whole run neither fails nor makes
  the run fail, and keeps reading one consistent state;
- a run killed midway leaves the published warehouse byte-for-byte, and the next run completes
  as if the killed one never started.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from chibo import pipeline
from chibo.errors import ChiboError
from tests.helpers import EXAMPLE, EXAMPLE_AS_OF, integrated_snapshot, settings

pytestmark = pytest.mark.xdist_group("publishing")

ANALYST = textwrap.dedent("""
    import json, sys, time, duckdb
    db, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    con = duckdb.connect(db, read_only=True)          # held for the whole run
    seen = set()
    import os
    while not os.path.exists(stop):
        seen.add(con.execute(
            "SELECT (SELECT count(*) FROM meetings), (SELECT count(*) FROM runs), "
            "(SELECT sum(rows_loaded) FROM files)").fetchall()[0])
        time.sleep(0.05)
    json.dump(sorted(seen), open(out, "w"))
""")


def _copy_kinds(dest: Path, year_prefixes: tuple[str, ...]) -> None:
    for f in sorted((EXAMPLE / "raw").rglob("*.csv")):
        rel = f.relative_to(EXAMPLE / "raw")
        if rel.parts[0] == "org_units" or rel.name.startswith(year_prefixes):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest / rel)


def _state(db: Path):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(con.execute(
            "SELECT (SELECT count(*) FROM meetings), (SELECT count(*) FROM runs), "
            "(SELECT sum(rows_loaded) FROM files)").fetchall()[0])
    finally:
        con.close()


def test_reader_holding_the_warehouse_open_never_blocks_nor_sees_half_a_run(tmp_path):
    raw = tmp_path / "raw"
    _copy_kinds(raw, ("2023",))
    s = settings(tmp_path, raw, as_of=EXAMPLE_AS_OF)
    pipeline.run_all(s)
    first = _state(s.warehouse)

    out, stop = tmp_path / "seen.json", tmp_path / "stop"
    analyst = subprocess.Popen([sys.executable, "-c", ANALYST, str(s.warehouse), str(out),
                                str(stop)])
    try:
        time.sleep(1.0)            # the analyst is connected before the run starts
        _copy_kinds(raw, ("2024", "2025", "2026"))
        pipeline.run_all(s)        # must not fail on the analyst's open connection
    finally:
        stop.touch()
        assert analyst.wait(timeout=60) == 0, "the analyst process failed"
    seen = [tuple(x) for x in json.loads(out.read_text())]
    assert seen == [first]         # one consistent state, the one published when it connected
    second = _state(s.warehouse)   # a new connection sees the new state
    assert second[0] > first[0] and second[1] == 2


RUNNER = textwrap.dedent("""
    import sys, datetime as dt
    from pathlib import Path
    from chibo import pipeline
    from chibo.settings import Settings
    raw, wh = Path(sys.argv[1]), Path(sys.argv[2])
    s = Settings(raw=raw, warehouse=wh, exports=wh.parent / "exports",
                 as_of=dt.date(2026, 3, 15))
    pipeline.run_all(s, progress=lambda m: print(m, flush=True))
""")


def test_killed_run_leaves_published_warehouse_and_next_run_completes(tmp_path):
    raw = tmp_path / "raw"
    _copy_kinds(raw, ("2023",))
    s = settings(tmp_path, raw, as_of=EXAMPLE_AS_OF)
    pipeline.run_all(s)
    before = s.warehouse.read_bytes()

    _copy_kinds(raw, ("2024", "2025", "2026"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(raw), str(s.warehouse)],
                            stdout=subprocess.PIPE, text=True, env=env)
    for _ in range(5):             # kill it in the middle of ingesting new files
        assert proc.stdout.readline(), "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert s.warehouse.read_bytes() == before
    assert list(s.warehouse.parent.glob("*.next-*")), "the killed run left its private file"

    pipeline.run_all(s)            # completes as if the killed run never started
    assert not list(s.warehouse.parent.glob("*.next-*"))
    clean = tmp_path / "clean"
    s_clean = settings(clean, raw, as_of=EXAMPLE_AS_OF)
    pipeline.run_all(s_clean)
    assert integrated_snapshot(s.warehouse, with_model=True) == \
        integrated_snapshot(s_clean.warehouse, with_model=True)


def test_reports_go_live_only_with_their_warehouse(tmp_path, monkeypatch):
    from chibo import warehouse

    raw = tmp_path / "raw"
    _copy_kinds(raw, ("2023",))
    s = settings(tmp_path, raw, as_of=EXAMPLE_AS_OF)
    pipeline.run_all(s)
    reports = {p: p.read_bytes() for p in s.exports.rglob("*") if p.is_file()}
    warehouse_before = s.warehouse.read_bytes()

    _copy_kinds(raw, ("2024",))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(warehouse, "publish_file", disk_full)
    with pytest.raises(ChiboError, match="failed at stage publish: disk full"):
        pipeline.run_all(s)
    # the failed run wrote its reports aside and dropped them: the published ones are intact
    assert {p: p.read_bytes() for p in s.exports.rglob("*") if p.is_file()} == reports
    assert s.warehouse.read_bytes() == warehouse_before
    assert not list(tmp_path.glob("exports.next-*"))

    monkeypatch.undo()
    pipeline.run_all(s)
    assert not list(tmp_path.glob("exports.next-*"))
    # the run that published also put its (different) reports in place
    assert {p: p.read_bytes() for p in s.exports.rglob("*") if p.is_file()} != reports
