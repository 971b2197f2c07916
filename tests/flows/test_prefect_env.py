"""chibo.prefect_env and the deployment config, without starting Prefect.

configure_prefect_env changes os.environ (and refreshes an imported prefect), so each
case runs in a fresh interpreter with a controlled environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def _run_py(code: str, env: dict[str, str], timeout: int = 120) -> dict:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("PREFECT_", "CHIBO_")) and k != "DO_NOT_TRACK"}
    proc = subprocess.run([sys.executable, "-c", code], env={**base, **env},
                          capture_output=True, text=True, timeout=timeout, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


_SHOW_ENV = """
import json, os, sys
from chibo.prefect_env import configure_prefect_env
configure_prefect_env({home!r})
keys = ["PREFECT_HOME", "PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK",
        "PREFECT_LOGGING_LEVEL", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
        "PREFECT_SERVER_EPHEMERAL_ENABLED", "PREFECT_API_URL", "PREFECT_UI_ENABLED"]
out = {{k: os.environ.get(k) for k in keys}}
out["prefect_imported"] = "prefect" in sys.modules
print(json.dumps(out))
"""


def test_defaults_are_quiet_offline_and_do_not_import_prefect(tmp_path):
    home = tmp_path / "wh" / ".prefect"
    out = _run_py(_SHOW_ENV.format(home=str(home)), {"HOME": str(tmp_path)})
    assert out["PREFECT_HOME"] == str(home.resolve())
    assert home.is_dir()
    assert out["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert out["DO_NOT_TRACK"] == "1"
    assert out["PREFECT_LOGGING_LEVEL"] == "WARNING"
    assert out["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "120"
    assert out["PREFECT_SERVER_EPHEMERAL_ENABLED"] == "true"
    assert out["PREFECT_API_URL"] is None
    assert out["prefect_imported"] is False


def test_user_values_win_except_telemetry(tmp_path):
    env = {
        "HOME": str(tmp_path),
        "PREFECT_HOME": str(tmp_path / "mine"),
        "PREFECT_LOGGING_LEVEL": "DEBUG",
        "PREFECT_API_URL": "http://127.0.0.1:9/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "true",
        "DO_NOT_TRACK": "0",
    }
    out = _run_py(_SHOW_ENV.format(home=str(tmp_path / "ignored")), env)
    assert out["PREFECT_HOME"] == str((tmp_path / "mine").resolve())
    assert not (tmp_path / "ignored").exists()
    assert out["PREFECT_LOGGING_LEVEL"] == "DEBUG"
    assert out["PREFECT_API_URL"] == "http://127.0.0.1:9/api"
    # a configured server: no ephemeral-only settings
    assert out["PREFECT_SERVER_EPHEMERAL_ENABLED"] is None
    assert out["PREFECT_UI_ENABLED"] is None
    # nothing is ever sent over the network
    assert out["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert out["DO_NOT_TRACK"] == "1"


def test_default_home_is_user_data_dir_not_dot_prefect(tmp_path):
    out = _run_py(_SHOW_ENV.format(home=None), {"HOME": str(tmp_path),
                                                "XDG_DATA_HOME": str(tmp_path / "data")})
    assert out["PREFECT_HOME"] == str(tmp_path / "data" / "chibo" / "prefect")
    assert not (tmp_path / ".prefect").exists()


def test_prefect_sees_the_settings_when_configured_before_import(tmp_path):
    code = """
import json
from chibo.prefect_env import configure_prefect_env
configure_prefect_env({home!r})
from prefect.settings import get_current_settings
s = get_current_settings()
print(json.dumps({{"home": str(s.home), "analytics": s.server.analytics_enabled,
                   "timeout": s.server.ephemeral.startup_timeout_seconds,
                   "ephemeral": s.server.ephemeral.enabled, "level": s.logging.level}}))
""".format(home=str(tmp_path / "h"))
    out = _run_py(code, {"HOME": str(tmp_path)})
    assert out == {"home": str((tmp_path / "h").resolve()), "analytics": False, "timeout": 120,
                   "ephemeral": True, "level": "WARNING"}


def test_called_after_import_prefect_refreshes_and_warns(tmp_path):
    code = """
import json, warnings
import prefect
from chibo.prefect_env import configure_prefect_env
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    configure_prefect_env({home!r})
from prefect.settings import get_current_settings
s = get_current_settings()
print(json.dumps({{"home": str(s.home), "timeout": s.server.ephemeral.startup_timeout_seconds,
                   "warned": any(issubclass(w.category, RuntimeWarning) for w in caught)}}))
""".format(home=str(tmp_path / "late"))
    out = _run_py(code, {"HOME": str(tmp_path)})
    assert out == {"home": str((tmp_path / "late").resolve()), "timeout": 120, "warned": True}


@pytest.mark.parametrize(
    "exc, transient",
    [
        (ConnectionResetError(), True),
        (TimeoutError(), True),
        (OSError(5, "Input/output error"), True),
        (FileNotFoundError("raw"), False),
        (PermissionError(), False),
        (ValueError("bad"), False),
        (None, False),
    ],
)
def test_only_transient_io_errors_are_retried(exc, transient):
    from flows.nightly import is_transient_io_error

    assert is_transient_io_error(exc) is transient


def test_duckdb_io_error_is_transient():
    import duckdb

    from flows.nightly import is_transient_io_error

    assert is_transient_io_error(duckdb.IOException("Could not set lock on file"))


# ---------------------------------------------------------------- prefect.yaml


def _deployment() -> tuple[dict, dict]:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    [dep] = [d for d in config["deployments"] if d["name"] == "chibo-nightly"]
    return config, dep


def test_prefect_yaml_schedule_pool_and_parameters():
    config, dep = _deployment()
    assert dep["entrypoint"] == "flows/nightly.py:nightly"
    assert (REPO / "flows" / "nightly.py").is_file()
    assert dep["schedules"] == [
        {"cron": "0 2 * * *", "timezone": "Asia/Ho_Chi_Minh", "active": True}
    ]
    assert dep["work_pool"]["name"] == "chibo-pool"
    assert set(dep["parameters"]) == {"raw", "warehouse", "exports", "as_of"}
    # relative defaults: resolved inside the clone the flow runs in
    for key in ("raw", "warehouse", "exports"):
        assert not Path(dep["parameters"][key]).is_absolute()


def test_prefect_yaml_has_no_absolute_path_and_a_clone_independent_pull():
    text = (REPO / "prefect.yaml").read_text(encoding="utf-8")
    assert str(REPO) not in text
    config, dep = _deployment()
    steps = [next(iter(step)) for step in config["pull"]]
    assert steps == ["flows.deploy_steps.locate_repo",
                     "prefect.deployments.steps.set_working_directory"]
    directory = config["pull"][1]["prefect.deployments.steps.set_working_directory"]["directory"]
    assert directory == "{{ chibo_repo.directory }}"


def test_locate_repo_finds_this_clone_or_chibo_home(tmp_path, monkeypatch):
    from flows.deploy_steps import locate_repo

    monkeypatch.delenv("CHIBO_HOME", raising=False)
    assert locate_repo() == {"directory": str(REPO)}
    monkeypatch.setenv("CHIBO_HOME", str(REPO))
    assert locate_repo() == {"directory": str(REPO)}
    monkeypatch.setenv("CHIBO_HOME", str(tmp_path))
    with pytest.raises(RuntimeError, match="not a chibo clone"):
        locate_repo()


def test_a_hand_run_uses_the_served_server_only_when_it_answers(tmp_path, monkeypatch):
    """No serve state, or a server that does not answer: the run starts its own (None)."""
    from chibo.prefect_env import served_api_url
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    assert served_api_url() is None
    (tmp_path / "serve").mkdir()
    (tmp_path / "serve" / "api_url").write_text("http://127.0.0.1:9/api\n")   # nothing there
    assert served_api_url(timeout=0.5) is None
    (tmp_path / "serve" / "api_url").write_text("not a url\n")
    assert served_api_url(timeout=0.5) is None
