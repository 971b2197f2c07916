"""Small real worlds for the run-level robustness tests: raw CSV files written as a delivery
would be, real pipeline runs on real DuckDB files, and helpers to run chibo in a child
process (for kills: SIGKILL at a named point, CHIBO_TEST_KILL_AT, see docs/reliability.md)."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from chibo.settings import Settings
from tests.model.world import World

REPO = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2024, 6, 30)


def small_world(months: int = 3) -> World:
    """TINH > H > D > two cells, a few months of meetings in 2024."""
    w = World()
    w.dang_bo()
    w.cell("C1", members=4)
    w.cell("C2", members=3)
    for m in range(1, months + 1):
        w.meeting("C1", f"2024-{m:02d}-10")
        w.meeting("C2", f"2024-{m:02d}-12")
    return w


def more_meetings(raw: Path, month: int = 5) -> None:
    """A later delivery: one more meeting of C1 with its attendance (changes the derived
    tables and the reports)."""
    w = small_world(months=0)
    w.meeting("C1", f"2024-{month:02d}-10", meeting_id=f"C1.later.{month}")
    extra = World()
    extra.rows = {k: [] for k in extra.rows}
    extra.later = [("meetings", f"2024-{month:02d}-10-c1.csv", w.rows["meetings"]),
                   ("attendance", f"2024-{month:02d}-10-c1.csv", w.rows["attendance"])]
    extra.write_raw(raw)


def big_meetings(raw: Path, n: int, name: str = "2024-04-30-lon.csv") -> Path:
    """A large valid delivery: `n` meetings of C1 in April 2024 (no attendance)."""
    w = small_world(months=0)
    for i in range(n):
        w.meeting("C1", f"2024-04-{1 + i % 28:02d}", meeting_id=f"BIG-{i:07d}", attendance=False)
    extra = World()
    extra.rows = {k: [] for k in extra.rows}
    extra.later = [("meetings", name, w.rows["meetings"])]
    extra.write_raw(raw)
    return raw / "meetings" / name


@pytest.fixture
def world(tmp_path) -> tuple[Path, Settings]:
    raw = small_world().write_raw(tmp_path / "raw")
    s = Settings(raw=raw, warehouse=tmp_path / "wh" / "chibo.duckdb",
                 exports=tmp_path / "wh" / "exports", as_of=AS_OF)
    return raw, s


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def reports(exports: Path, suffix: str = ".csv") -> dict[str, bytes]:
    """The CSV reports by relative path (the .xlsx twins carry a creation time)."""
    return {p.relative_to(exports).as_posix(): p.read_bytes()
            for p in sorted(exports.rglob(f"*{suffix}")) if p.is_file()}


RUNNER = textwrap.dedent("""
    import datetime as dt, sys
    from pathlib import Path
    from chibo import pipeline
    from chibo.settings import Settings
    raw, wh, exports, as_of = sys.argv[1:5]
    s = Settings(raw=Path(raw), warehouse=Path(wh), exports=Path(exports),
                 as_of=dt.date.fromisoformat(as_of))
    pipeline.run_all(s)
""")


def run_in_child(s: Settings, kill_at: str | None = None, timeout: int = 120,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`pipeline.run_all` in a child process; with `kill_at` it SIGKILLs itself there."""
    child_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    child_env.pop("CHIBO_TEST_KILL_AT", None)
    if kill_at:
        child_env["CHIBO_TEST_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-c", RUNNER, str(s.raw), str(s.warehouse),
                           str(s.exports), s.as_of.isoformat()], capture_output=True, text=True,
                          timeout=timeout, env=child_env)


CHIBO = Path(sys.executable).with_name("chibo")


def chibo(*args: str, env: dict[str, str] | None = None, timeout: int = 300,
          cwd: Path | None = None) -> subprocess.CompletedProcess:
    child_env = {**os.environ, **(env or {})}
    return subprocess.run([str(CHIBO), *args], capture_output=True, text=True, timeout=timeout,
                          env=child_env, cwd=cwd)
