"""Prefect deployment steps for chibo (used by the ``pull:`` section of prefect.yaml).

A deployment must not carry the deploying machine's absolute path, yet the flow run
has to start in the clone (the flow file lives there and the default ``raw/`` and
``warehouse/`` paths are relative to it).  :func:`locate_repo` finds the clone on the
machine that *runs* the flow:

1. ``$CHIBO_HOME`` if set (a clone of this repository), else
2. the clone this Python environment installed chibo from: ``flows`` is installed
   editable (``pip install -e .``), so its package directory sits in the clone.

It returns ``{"directory": ...}``; prefect.yaml passes that to Prefect's own
``set_working_directory`` step.
"""

from __future__ import annotations

import os
from pathlib import Path

MARKERS = ("prefect.yaml", "flows/nightly.py")


def _is_clone(path: Path) -> bool:
    return all((path / marker).is_file() for marker in MARKERS)


def locate_repo() -> dict[str, str]:
    """The directory of the chibo clone on this machine, as ``{"directory": path}``."""
    env = os.environ.get("CHIBO_HOME", "").strip()
    if env:
        path = Path(env).expanduser().resolve()
        if not _is_clone(path):
            raise RuntimeError(
                f"CHIBO_HOME={env!r} is not a chibo clone (no prefect.yaml / flows/nightly.py)"
            )
        return {"directory": str(path)}
    here = Path(__file__).resolve().parent.parent
    if _is_clone(here):
        return {"directory": str(here)}
    raise RuntimeError(
        "cannot find the chibo clone: install it editable (pip install -e .) or set "
        "CHIBO_HOME to the clone's directory in the worker's environment"
    )
