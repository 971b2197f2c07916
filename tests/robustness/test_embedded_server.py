"""`chibo run` as a user meets it, with its embedded Prefect server (real processes):

- issue 19 item 7: a run killed with SIGKILL takes its embedded server with it;
- issue 11: a bug injected into validation ends `chibo run` with one line naming the stage and
  the file, exit 2, and the next run (bug gone) loads the file.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.robustness.conftest import REPO, query

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("embedded-prefect")]

PARENT_VAR = b"CHIBO_PREFECT_PARENT_PID="


def _servers_of(pid: int) -> list[int]:
    """Processes whose environment names `pid` as their run (the guarded embedded server)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            env = (d / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if PARENT_VAR + str(pid).encode() in env:
            found.append(int(d.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL",)}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    env["PYTHONPATH"] = str(REPO)
    return env


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_killed_run_takes_its_embedded_server_with_it(world, tmp_path):
    raw, s = world
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("chibo")), "run", "--raw", str(raw),
         "--warehouse", str(s.warehouse), "--exports", str(s.exports),
         "--as-of", s.as_of.isoformat()],
        env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    servers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not servers and proc.poll() is None and time.monotonic() < deadline:
            servers = _servers_of(proc.pid)
            time.sleep(0.05)
        assert servers, "the run never started its embedded server (or finished first)"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        t0 = time.monotonic()
        while any(_alive(p) for p in servers) and time.monotonic() - t0 < 15:
            time.sleep(0.2)
        gone_after = time.monotonic() - t0
        assert not any(_alive(p) for p in servers), "the embedded server outlived its run"
        assert gone_after < 10
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in servers:
            if _alive(p):
                os.kill(p, signal.SIGKILL)


BUGGY_RUN = textwrap.dedent("""
    import sys
    import chibo.validate
    def bug(*args, **kwargs):
        raise KeyError("a regression")
    chibo.validate.validate_frame = bug
    from chibo.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_a_bug_ends_chibo_run_with_one_line_and_the_next_run_loads_the_file(world, tmp_path):
    raw, s = world
    args = ["run", "--raw", str(raw), "--warehouse", str(s.warehouse), "--exports",
            str(s.exports), "--as-of", s.as_of.isoformat()]
    env = _env(tmp_path)
    r = subprocess.run([sys.executable, "-c", BUGGY_RUN, *args], capture_output=True,
                       text=True, env=env, timeout=240)
    assert r.returncode == 2, r.stderr[-3000:]
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr[-3000:]
    assert lines[0].startswith("chibo run: thất bại ở bước đọc và kiểm tra tệp (ingest), tệp ")
    assert "failed at stage ingest, file " in lines[0] and "KeyError: 'a regression'" in lines[0]
    assert not s.warehouse.exists()                    # nothing was published

    r = subprocess.run([str(Path(sys.executable).with_name("chibo")), *args],
                       capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    assert query(s.warehouse, "SELECT count(*) FROM files WHERE status = 'rejected'") == [(0,)]
    assert query(s.warehouse, "SELECT status, stage FROM runs ORDER BY started_at") == [
        ("failed", "ingest"), ("completed", None)]
