"""The nightly job as a Prefect flow: orchestration only.

``chibo.pipeline`` does the work; this module only sequences its stages, times them,
retries the stages whose I/O can fail transiently, and publishes the run summary as
Prefect artifacts.  One task per stage (never per file or row):

    start-run -> ingest (read + validate) -> integrate -> model -> export -> publish

* No task is cached (``NO_CACHE``): they all write, and the run context holds an open
  DuckDB connection that cannot be hashed or serialised.  The context is passed to the
  tasks wrapped in :func:`prefect.utilities.annotations.quote` so Prefect never walks
  or copies it.
* ``ingest`` and ``export`` retry (twice, 2 s apart) but only on transient I/O errors
  (``OSError`` other than missing/permission errors and a full disk, DuckDB I/O errors),
  also when the pipeline wrapped one in a ``StageFailed`` naming the stage and file; a chibo
  error such as a rejected rulebook or the shrink guard, or a bug, fails at once.
* Importing this module guards Prefect's embedded server so that it dies with the run
  (``chibo.prefect_env.guard_embedded_server``; no effect against a real server).
* On any failure after ``start_run`` the flow calls ``abort_run(ctx, exc)`` (the
  published warehouse stays as it was) and re-raises, so the flow run is FAILED.

Call :func:`chibo.prefect_env.configure_prefect_env` before importing this module when
running embedded (``chibo run`` does).
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Callable

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

try:   # the embedded server (if any) dies with the process that runs us
    from chibo.prefect_env import guard_embedded_server

    guard_embedded_server()
except ImportError:  # pragma: no cover - deploying needs only this file
    pass

__all__ = ["nightly", "STAGES", "is_transient_io_error", "set_progress"]

#: the stage functions of chibo.pipeline, in order
STAGES = ("ingest", "integrate", "model", "export", "publish")

_NON_TRANSIENT_OS_ERRORS = (
    FileNotFoundError,
    NotADirectoryError,
    IsADirectoryError,
    PermissionError,
    FileExistsError,
)


#: the progress callback of an in-process caller, for the flow it is about to call (a context
#: variable: each caller's own, never shared between runs or threads that did not set it)
_PROGRESS: ContextVar[Callable[[str], None] | None] = ContextVar("chibo_progress", default=None)


def set_progress(callback: Callable[[str], None] | None) -> None:
    """In-process callers (``chibo run`` on a terminal) may pass a progress callback to
    ``chibo.pipeline.start_run``; a flow parameter cannot carry a function."""
    _PROGRESS.set(callback)


def _pipeline():
    """chibo.pipeline, imported when a run starts (deploying needs only this file)."""
    import chibo.pipeline

    return chibo.pipeline


def is_transient_io_error(exc: BaseException | None) -> bool:
    """True for errors a retry can cure: I/O hiccups, not bad input, a full disk or bugs."""
    if exc is None:
        return False
    from chibo.errors import StageFailed, is_disk_full

    if isinstance(exc, StageFailed):   # the pipeline named the stage; the cause decides
        exc = exc.cause
    if is_disk_full(exc):
        return False
    if isinstance(exc, _NON_TRANSIENT_OS_ERRORS):
        return False
    if isinstance(exc, (OSError, TimeoutError)):
        return True
    try:
        import duckdb
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, duckdb.IOException)


def _retry_on_transient_io(task_obj, task_run, state) -> bool:
    """Prefect ``retry_condition_fn``: retry only transient I/O failures."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception as error:  # the result itself could not be read
        exc = error
    return isinstance(exc, BaseException) and is_transient_io_error(exc)


def _resolve(path: str | None) -> str | None:
    """Relative paths are taken against the current working directory."""
    if path is None or str(path).strip() == "":
        return None
    return str(Path(path).expanduser().absolute())


def _run_stage(ctx: Any, name: str) -> dict:
    """Call ``chibo.pipeline.<name>(ctx)`` and record its wall time."""
    logger = get_run_logger()
    started = time.perf_counter()
    result = getattr(_pipeline(), name)(ctx)
    seconds = time.perf_counter() - started
    stage_seconds = getattr(ctx, "stage_seconds", None)
    if isinstance(stage_seconds, dict) and name not in stage_seconds:
        stage_seconds[name] = seconds  # the pipeline did not time it: use ours
    logger.info("stage %s done in %.2f s: %s", name, seconds, result)
    return result if isinstance(result, dict) else {"result": result}


@task(name="start-run", cache_policy=NO_CACHE, persist_result=False)
def start_run_task(settings: Any, rebuild: bool = False) -> Any:
    """Open a run: copy the published warehouse to a private next file."""
    progress = _PROGRESS.get()
    if progress is not None:
        return _pipeline().start_run(settings, rebuild=rebuild, progress=progress)
    return _pipeline().start_run(settings, rebuild=rebuild)


@task(
    name="ingest",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_retry_on_transient_io,
)
def ingest_task(ctx: Any) -> dict:
    """Read and validate every new file under raw/."""
    return _run_stage(ctx, "ingest")


@task(name="integrate", cache_policy=NO_CACHE, persist_result=False)
def integrate_task(ctx: Any) -> dict:
    return _run_stage(ctx, "integrate")


@task(name="model", cache_policy=NO_CACHE, persist_result=False)
def model_task(ctx: Any) -> dict:
    return _run_stage(ctx, "model")


@task(
    name="export",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_retry_on_transient_io,
)
def export_task(ctx: Any) -> dict:
    """Document the warehouse and write the CSV/XLSX exports."""
    return _run_stage(ctx, "export")


@task(name="publish", cache_policy=NO_CACHE, persist_result=False)
def publish_task(ctx: Any) -> dict:
    """Swap the next warehouse in atomically and record the run."""
    return _run_stage(ctx, "publish")


_STAGE_TASKS = {
    "ingest": ingest_task,
    "integrate": integrate_task,
    "model": model_task,
    "export": export_task,
    "publish": publish_task,
}


def _publish_artifacts(ctx: Any) -> dict:
    """The run summary as Prefect artifacts; returns it as plain data.

    Vietnamese first, this run's work before the totals (as ``chibo run`` prints it):

    * ``chibo-nightly-summary`` (markdown): ``summary.markdown()``: the new files by status,
      each new file with quarantined or pending rows or not loaded (path under raw/ and its
      row counts), earlier files whose counts changed, the org-years whose level changed,
      the paths of the error lists (``du-lieu-loi.csv``, ``loi-theo-don-vi/``); then the
      totals (files, rows per kind, orgs per level per year, seconds per stage)
    * ``chibo-nightly-table`` (table): the same as section / item / measure / value rows
    * ``chibo-nightly-rows`` (table): ``summary.table()``, one row per kind (headers in
      Vietnamese and English; the returned ``rows_by_kind`` keeps the column names)
    """
    from chibo.pipeline import MEASURES, json_cell, summary_table

    summary = ctx.summary()
    markdown = summary.markdown()
    kind_table = [{k: json_cell(v) for k, v in row.items()} for row in summary.table()]
    stage_seconds = {k: float(v) for k, v in (getattr(summary, "stage_seconds", None)
                                               or getattr(ctx, "stage_seconds", None)
                                               or {}).items()}
    table = summary_table(summary, stage_seconds)
    run_id = getattr(ctx, "run_id", None)
    create_markdown_artifact(
        key="chibo-nightly-summary",
        markdown=markdown,
        description=f"chibo: lần chạy / run {run_id}",
    )
    create_table_artifact(
        key="chibo-nightly-table",
        table=table,
        description=f"chibo: lần chạy / run {run_id}: lần chạy này, rồi tổng / this run, "
                    "then the totals",
    )
    if kind_table:
        create_table_artifact(
            key="chibo-nightly-rows",
            table=[{MEASURES.get(k, "loại dữ liệu / kind" if k == "kind" else k): v
                    for k, v in row.items()} for row in kind_table],
            description=f"chibo: lần chạy / run {run_id}: dòng theo loại dữ liệu / rows per kind",
        )
    this_run = getattr(summary, "this_run", None)
    return {
        "run_id": json_cell(run_id),
        "markdown": markdown,
        "summary_markdown": markdown,
        "summary_lines": summary.lines(),
        "this_run": this_run.as_dict() if this_run is not None else None,
        "table": table,
        "rows_by_kind": kind_table,
        "stage_seconds": stage_seconds,
    }


@flow(name="chibo-nightly", persist_result=False, log_prints=False)
def nightly(
    raw: str | None = "raw",
    warehouse: str | None = "warehouse/chibo.duckdb",
    exports: str | None = "warehouse/exports",
    as_of: str | None = None,
    rulebooks: str | None = None,
    allow_shrink: bool = False,
    rebuild: bool = False,
) -> dict:
    """Ingest new files, integrate, model, export and publish the warehouse.

    Relative paths are resolved against the current working directory; ``None``
    means the ``CHIBO_*`` variable or the default.  ``as_of`` is ``YYYY-MM-DD``
    (``None``: today in Asia/Ho_Chi_Minh).  Returns the stage results and the run
    summary (``markdown`` = ``summary_markdown``, ``summary_lines`` as ``chibo run``
    prints them, ``this_run`` as plain data, ``table``, ``stage_seconds``, ``run_id``).
    """
    pipeline = _pipeline()
    settings = pipeline.Settings.from_sources(
        raw=_resolve(raw),
        warehouse=_resolve(warehouse),
        exports=_resolve(exports),
        as_of=as_of or None,
        rulebooks=_resolve(rulebooks),
        allow_shrink=allow_shrink,
    )
    ctx = start_run_task(quote(settings), rebuild=rebuild)
    stages: dict[str, dict] = {}
    try:
        for name in STAGES:
            stages[name] = _STAGE_TASKS[name](quote(ctx))
    except BaseException as exc:
        try:
            pipeline.abort_run(ctx, exc)
        except Exception as abort_error:  # keep the original error
            get_run_logger().error("abort_run failed: %r", abort_error)
        raise
    summary = _publish_artifacts(ctx)
    return {"status": "completed", "stages": stages, **summary}
