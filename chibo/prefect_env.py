"""Environment for running the chibo Prefect flows quietly and offline.

Prefect reads its settings from the environment **when it is imported** (the root
settings context and logging are built at ``import prefect``).  So
:func:`configure_prefect_env` must run before anything imports ``prefect``:

    from chibo.prefect_env import configure_prefect_env
    configure_prefect_env(home=warehouse.parent / ".prefect")
    from flows.nightly import nightly          # imports prefect: import it lazily
    nightly(...)

This module never imports prefect at module level.  If prefect was already imported
when it is called, it still sets the variables and then asks prefect to rebuild its
global settings context and logging (best effort; a warning says so).

What it sets (a value the user already exported wins, except where marked *forced*):

* ``PREFECT_HOME`` - ``home`` if given, else ``$XDG_DATA_HOME/chibo/prefect`` (or
  ``~/.local/share/chibo/prefect``).  Never ``~/.prefect`` by accident.  Made absolute
  and created.
* ``PREFECT_SERVER_ANALYTICS_ENABLED=false`` (*forced*) and ``DO_NOT_TRACK=1`` (*forced*):
  nothing is sent over the network; the embedded server otherwise tries to send
  telemetry and prints a ``database is locked`` traceback.
* ``PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY=false`` (*forced*).
* ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120`` (the embedded server takes
  12-26 s to start here; Prefect's default of 20 s times out).
* ``PREFECT_SERVER_EPHEMERAL_ENABLED=true`` when no ``PREFECT_API_URL`` is set, so a
  user profile without the ephemeral flag still runs in-process.
* ``PREFECT_LOGGING_LEVEL=WARNING``, ``PREFECT_SERVER_LOGGING_LEVEL=WARNING``,
  ``PREFECT_LOGGING_LOG_PRINTS=false``: the terminal shows chibo's own lines.
* ``PREFECT_CLI_PROMPT=false``: never block on an interactive prompt.
* ``PREFECT_UI_ENABLED=false`` when running embedded (no UI to build or serve).
* ``PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL`` / ``..._TASK_RUNS_LEVEL=CRITICAL``
  when running embedded: no flow/task-run tracebacks on the terminal; the failure
  reaches the caller as the original exception (export them as ``WARNING`` to see
  them).
* ``PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS=false``: no resource sampling thread.

With ``PREFECT_API_URL`` set, flows report to that server (the variables above still
keep the client quiet and untracked).

The embedded server dies with its run (:func:`guard_embedded_server`): Prefect starts it as
a child process (``python -m uvicorn --factory prefect.server.api.server:create_app``) and
stops it at exit, but a run killed with SIGKILL (or by the OOM killer) never reaches its exit
handlers, and the server was left reparented to PID 1 holding ``prefect.db`` and a port. The
guard starts the same app through :func:`guarded_server_app`, which watches the parent's PID
and shuts the server down (SIGTERM, then exit) within a second of the run's death.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

__all__ = ["configure_prefect_env", "default_prefect_home", "resolve_prefect_home",
           "served_api_url", "guard_embedded_server", "guarded_server_app", "PREFECT_DEFAULTS",
           "PREFECT_FORCED"]

#: the embedded server's parent (the run): the server exits when it is gone
PARENT_PID_VAR = "CHIBO_PREFECT_PARENT_PID"
_PREFECT_FACTORY = "prefect.server.api.server:create_app"
_GUARDED_FACTORY = "chibo.prefect_env:guarded_server_app"

#: set only when the user has not set them
PREFECT_DEFAULTS: dict[str, str] = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
    "PREFECT_CLI_PROMPT": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
}

#: set only when no PREFECT_API_URL is configured (embedded server)
PREFECT_EMBEDDED_DEFAULTS: dict[str, str] = {
    "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
    "PREFECT_UI_ENABLED": "false",
    # flow/task-run logs (including failure tracebacks) stay off the terminal: the
    # error reaches the caller as an exception and the CLI prints it in one line
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "CRITICAL",
}

#: always set: nothing may leave the machine
PREFECT_FORCED: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
}


def default_prefect_home() -> Path:
    """The per-user data directory used when no home is given and none is exported."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "chibo" / "prefect"


def resolve_prefect_home(home: Path | str | None = None) -> Path:
    """The PREFECT_HOME :func:`configure_prefect_env` will use (nothing is created): an
    exported PREFECT_HOME, else ``home``, else :func:`default_prefect_home`."""
    user_home = os.environ.get("PREFECT_HOME", "").strip()
    if user_home:
        return Path(user_home).expanduser().resolve()
    return Path(home).expanduser().resolve() if home is not None else default_prefect_home()


def served_api_url(timeout: float = 1.0) -> str | None:
    """The API of the Prefect server `make serve` (scripts/serve.sh) runs on this machine, when
    it answers its health check within `timeout`: a hand `chibo run` reports there instead of
    paying an embedded server's start (≈ 4 s of a run's ≈ 9 s when there is nothing new).
    serve.sh writes the URL to `$PREFECT_HOME/serve/api_url` (its PREFECT_HOME defaults to
    the clone's `.prefect/`) and removes it on stop."""
    import urllib.request
    home = os.environ.get("PREFECT_HOME", "").strip() or \
        str(Path(__file__).resolve().parents[1] / ".prefect")
    try:
        url = (Path(home).expanduser() / "serve" / "api_url").read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not url.startswith(("http://", "https://")):
        return None
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as answer:
            return url if answer.status == 200 else None
    except (OSError, ValueError):
        return None


def configure_prefect_env(home: Path | str | None = None) -> None:
    """Prepare ``os.environ`` for an embedded, quiet, offline Prefect run.

    Call before ``import prefect`` (see the module docstring).  ``home`` is the
    ``PREFECT_HOME`` to use unless the user exported one (the CLI passes
    ``<warehouse dir>/.prefect``); ``None`` means :func:`default_prefect_home`.
    Idempotent.
    """
    env = os.environ
    before = {k: env.get(k) for k in _all_keys()}

    resolved = resolve_prefect_home(home)
    resolved.mkdir(parents=True, exist_ok=True)
    env["PREFECT_HOME"] = str(resolved)

    for key, value in PREFECT_DEFAULTS.items():
        if not env.get(key, "").strip():
            env[key] = value

    embedded = not env.get("PREFECT_API_URL", "").strip()
    if embedded:
        env.pop("PREFECT_API_URL", None)  # an empty value would be taken as a URL
        for key, value in PREFECT_EMBEDDED_DEFAULTS.items():
            if not env.get(key, "").strip():
                env[key] = value

    env.update(PREFECT_FORCED)

    changed = any(env.get(k) != v for k, v in before.items())
    if changed and "prefect" in sys.modules:
        _refresh_imported_prefect()


def _all_keys() -> list[str]:
    return ["PREFECT_HOME", "PREFECT_API_URL", *PREFECT_DEFAULTS, *PREFECT_EMBEDDED_DEFAULTS,
            *PREFECT_FORCED]


def _refresh_imported_prefect() -> None:
    """prefect was imported too early: rebuild its settings and logging from the env."""
    warnings.warn(
        "configure_prefect_env() called after 'import prefect'; refreshing Prefect's "
        "settings (call it before importing prefect)",
        RuntimeWarning,
        stacklevel=3,
    )
    try:
        import prefect.context
        import prefect.logging.configuration

        prefect.context.refresh_global_settings_context()
        prefect.logging.configuration.setup_logging()
    except Exception:  # pragma: no cover - best effort only
        pass


class _GuardedSubprocess:
    """Stands in for the `subprocess` module inside Prefect's server module: the server is
    started through `guarded_server_app` with the run's PID in its environment."""

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    @staticmethod
    def Popen(args: Any = None, *rest: Any, **kwargs: Any) -> subprocess.Popen:  # noqa: N802
        if isinstance(args, list | tuple) and _PREFECT_FACTORY in args:
            args = [_GUARDED_FACTORY if a == _PREFECT_FACTORY else a for a in args]
            kwargs["env"] = {**(kwargs.get("env") or os.environ),
                             PARENT_PID_VAR: str(os.getpid())}
        return subprocess.Popen(args, *rest, **kwargs)


def guard_embedded_server() -> bool:
    """Make Prefect's embedded (ephemeral) server die with the process that started it.
    Call after ``import prefect`` (flows/nightly.py does at import). Idempotent; returns
    False when this Prefect has no such server to guard (nothing is changed then)."""
    try:
        from prefect.server.api import server as srv
    except Exception:   # pragma: no cover - another Prefect layout
        return False
    if not hasattr(srv, "SubprocessASGIServer") or not hasattr(srv, "subprocess"):
        return False
    if not isinstance(srv.subprocess, _GuardedSubprocess):
        srv.subprocess = _GuardedSubprocess()  # type: ignore[assignment]
    return True


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    import signal
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGTERM)   # uvicorn shuts down and closes prefect.db
        time.sleep(5)
        os._exit(1)

    threading.Thread(target=watch, name="chibo-parent-watch", daemon=True).start()


def guarded_server_app() -> Any:
    """The uvicorn factory of the guarded embedded server: Prefect's own app, plus a thread
    that ends the server when its parent (the run) is gone."""
    parent = int(os.environ.get(PARENT_PID_VAR, "0") or 0)
    if parent:
        if os.getppid() != parent:   # the run died before the server even started
            os._exit(1)
        _watch_parent(parent)
    from prefect.server.api.server import create_app

    return create_app()
