"""Shared test setup.

* Before any test module is imported, point Prefect at a throw-away ``PREFECT_HOME``
  (one per pytest process / xdist worker), drop any ``PREFECT_API_URL`` /
  ``PREFECT_API_KEY`` / ``PREFECT_PROFILE`` the developer exported (tests never report
  to a real server), and apply :func:`chibo.prefect_env.configure_prefect_env`
  (telemetry off, quiet, 120 s startup timeout).  This only sets variables; it does
  not import or start Prefect.
* ``prefect_harness``: one session-scoped ``prefect_test_harness`` (~18 s to start),
  started only by the tests that request it.  Mark those tests
  ``@pytest.mark.xdist_group("prefect")`` so ``pytest -n 2 --dist loadgroup`` runs
  them in one worker and the harness starts once.  Library tests never request it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# the project's copy of ../shared/examples (tests need nothing outside the clone)
WORKED_EXAMPLE = REPO / "tests" / "model" / "fixtures" / "small-province"

_PREFECT_HOME: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _PREFECT_HOME
    _PREFECT_HOME = Path(tempfile.mkdtemp(prefix="chibo-test-prefect-home-"))
    for key in ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_PROFILE"):
        os.environ.pop(key, None)
    os.environ["PREFECT_HOME"] = str(_PREFECT_HOME)
    from chibo.prefect_env import configure_prefect_env

    configure_prefect_env(_PREFECT_HOME)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _PREFECT_HOME is not None:
        shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``--dist loadgroup`` honour ``xdist_group`` under pytest 9.

    pytest-xdist 3.8 tags grouped items by assigning ``item._nodeid``; pytest 9 keeps the
    node id in ``item._id``, so the tag is lost and grouped tests scatter over workers
    (each worker would then start its own Prefect harness). Add the ``@group`` suffix the
    xdist scheduler splits on, the way xdist itself does on older pytest.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # older pytest: xdist's own hook works
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if not names or "@" in item.nodeid or not hasattr(item, "_id"):
            continue
        item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API (subprocess server + SQLite) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def worked_example_raw() -> Path:
    """The raw/ folder of the small-province worked example (read-only: copy it)."""
    raw = WORKED_EXAMPLE / "raw"
    if not raw.is_dir():  # fail, not skip: CI must run the flow tests for real
        pytest.fail(f"worked example not found at {raw}")
    return raw
