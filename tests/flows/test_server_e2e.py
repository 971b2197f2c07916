"""End to end against a real Prefect server, as deployed by prefect.yaml.

Start ``prefect server`` on a free loopback port with a temporary PREFECT_HOME, create
the ``chibo-pool`` process pool, ``prefect --no-prompt deploy --all`` from the repo,
check the deployment (cron, timezone, pool, no absolute path of this machine), trigger
a run with parameters pointing at a temporary raw/ and warehouse, execute it with a
``process`` worker (``--run-once``), assert the run COMPLETED and the warehouse and
exports exist; then stop everything it started (process groups, started with setsid).

The server's scheduler service is disabled here so the 02:00 schedule cannot create a
run the ``--run-once`` worker would pick up (and late-runs is off); the schedule itself
is still deployed and checked. Checks and the trigger go through the REST API (what
``prefect deployment inspect/run`` and ``flow-run inspect`` call), which saves three
CLI start-ups.  The worker runs without CHIBO_HOME, so the pull step finds the clone the way
it does on any machine with chibo installed from a clone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("prefect-server")]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PREFECT = str(BIN / "prefect")
DEPLOYMENT = "chibo-nightly/chibo-nightly"
AS_OF = "2026-03-15"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_group(proc: subprocess.Popen | None) -> None:
    """Stop a process started with start_new_session=True and everything it spawned."""
    if proc is None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            # the leader is gone; make sure no child of the group lingers
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path, n: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


class _Cli:
    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs = env, logs

    def __call__(self, *args: str, timeout: int = 120) -> str:
        proc = subprocess.run([PREFECT, *args], env=self.env, cwd=REPO, capture_output=True,
                              text=True, timeout=timeout)
        assert proc.returncode == 0, (
            f"prefect {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}\n"
            f"--- server log ---\n{_tail(self.logs / 'server.log')}"
        )
        return proc.stdout


def test_deploy_schedule_and_worker_run(tmp_path, worked_example_raw):
    home, logs = tmp_path / "prefect-home", tmp_path / "logs"
    home.mkdir()
    logs.mkdir()
    raw = tmp_path / "data" / "raw"
    shutil.copytree(worked_example_raw, raw)
    warehouse = tmp_path / "data" / "wh" / "chibo.duckdb"
    exports = tmp_path / "data" / "wh" / "exports"

    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "CHIBO_")) and k != "DO_NOT_TRACK"}
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_CLI_PROMPT": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
    })
    cli = _Cli(env, logs)
    server = worker = http = None
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    try:
        # --- server on a free loopback port, own session/process group
        with open(logs / "server.log", "wb") as out:
            server = subprocess.Popen(
                [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port),
                 "--no-ui"],
                env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, f"server exited:\n{_tail(logs / 'server.log')}"
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, \
                f"server not healthy in 120 s:\n{_tail(logs / 'server.log')}"
            time.sleep(0.5)
        timings["server"] = time.monotonic() - t0

        # --- pool and deployment, exactly as a user would
        cli("work-pool", "create", "chibo-pool", "--type", "process", "--overwrite")
        cli("--no-prompt", "deploy", "--all", timeout=180)
        http = httpx.Client(base_url=api, timeout=30)
        resp = http.get(f"/deployments/name/{DEPLOYMENT}")
        resp.raise_for_status()
        dep = resp.json()
        [sched] = dep["schedules"]
        assert sched["schedule"]["cron"] == "0 2 * * *"
        assert sched["schedule"]["timezone"] == "Asia/Ho_Chi_Minh"
        assert sched["active"] is True
        assert dep["work_pool_name"] == "chibo-pool"
        assert dep["entrypoint"] == "flows/nightly.py:nightly"
        assert dep["path"] is None
        assert str(REPO) not in json.dumps(dep["pull_steps"])
        assert {"raw", "warehouse", "exports", "as_of"} <= set(dep["parameters"])
        timings["deploy"] = time.monotonic() - t0

        # --- trigger a run pointing at temp data (what `prefect deployment run` posts)
        resp = http.post(f"/deployments/{dep['id']}/create_flow_run", json={"parameters": {
            "raw": str(raw), "warehouse": str(warehouse), "exports": str(exports),
            "as_of": AS_OF}})
        resp.raise_for_status()
        flow_run_id = resp.json()["id"]

        # --- a process worker executes it once (no CHIBO_HOME: found via the install)
        with open(logs / "worker.log", "wb") as wout:
            worker = subprocess.Popen(
                [PREFECT, "worker", "start", "--pool", "chibo-pool", "--type", "process",
                 "--run-once"],
                env=env, cwd=tmp_path, stdout=wout, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            worker.wait(timeout=300)
        except subprocess.TimeoutExpired:
            pytest.fail(f"worker did not finish in 300 s:\n{_tail(logs / 'worker.log')}")
        timings["worker"] = time.monotonic() - t0

        resp = http.get(f"/flow_runs/{flow_run_id}")
        resp.raise_for_status()
        run = resp.json()
        assert run["state_type"] == "COMPLETED", (
            f"flow run {run['state_type']}: {run['state']['message']}\n"
            f"--- worker log ---\n{_tail(logs / 'worker.log', 120)}")
        assert run["parameters"]["as_of"] == AS_OF

        # --- the warehouse and the exports were produced where the parameters said
        assert warehouse.is_file()
        assert (exports / "du-lieu-loi.csv").is_file() or any(exports.rglob("*.csv"))
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM runs WHERE status = 'completed'"
                               ).fetchall()[0][0] == 1
        finally:
            con.close()

        # the summary artifacts reached the server
        resp = http.post("/artifacts/filter",
                         json={"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}})
        resp.raise_for_status()
        keys = {a["key"] for a in resp.json()}
        assert {"chibo-nightly-summary", "chibo-nightly-table"} <= keys

        # --- a hand `chibo run` finds the served server (the file serve.sh writes) and
        # reports there instead of starting an embedded one
        (home / "serve").mkdir()
        (home / "serve" / "api_url").write_text(api + "\n")
        hand_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
        hand = subprocess.run(
            [str(BIN / "chibo"), "run", "--raw", str(raw), "--warehouse", str(warehouse),
             "--exports", str(exports), "--as-of", "2026-03-16"],
            env=hand_env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert hand.returncode == 0, hand.stderr[-3000:]
        assert "máy chủ đang chạy" in hand.stderr
        resp = http.post("/flow_runs/filter", json={})
        resp.raise_for_status()
        hand_runs = [r for r in resp.json() if r["id"] != flow_run_id]
        assert [(r["state_type"], r["parameters"]["as_of"]) for r in hand_runs] == \
            [("COMPLETED", "2026-03-16")]
        timings["hand run"] = time.monotonic() - t0
        print(f"e2e timings (s since start): {timings}")
    finally:
        if http is not None:
            http.close()
        _stop_group(worker)
        _stop_group(server)
    assert server.poll() is not None
