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
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

__all__ = ["configure_prefect_env", "default_prefect_home", "PREFECT_DEFAULTS", "PREFECT_FORCED"]

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


def configure_prefect_env(home: Path | str | None = None) -> None:
    """Prepare ``os.environ`` for an embedded, quiet, offline Prefect run.

    Call before ``import prefect`` (see the module docstring).  ``home`` is the
    ``PREFECT_HOME`` to use unless the user exported one (the CLI passes
    ``<warehouse dir>/.prefect``); ``None`` means :func:`default_prefect_home`.
    Idempotent.
    """
    env = os.environ
    before = {k: env.get(k) for k in _all_keys()}

    user_home = env.get("PREFECT_HOME", "").strip()
    if user_home:
        resolved = Path(user_home).expanduser().resolve()
    else:
        resolved = Path(home).expanduser().resolve() if home is not None else default_prefect_home()
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
