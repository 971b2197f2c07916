"""The warehouse file: its bookkeeping tables, and publishing by build-then-rename.

A run never writes the file analysts read. It copies the published file to a private
`<name>.next-<run_id>`, works there, checkpoints, closes every connection and
`os.replace`s it over the published path. Readers holding the old file keep the old inode.
"""
from __future__ import annotations

import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from chibo.contract import CONTRACT, DUCKDB_TYPES, KINDS
from chibo.errors import ChiboError, RunLockedError

BOOKKEEPING_DDL = """
CREATE SCHEMA IF NOT EXISTS staging;
CREATE TABLE IF NOT EXISTS files (
    delivery_id BIGINT, path VARCHAR, kind VARCHAR, sha256 VARCHAR, bytes BIGINT,
    mtime_ns BIGINT, status VARCHAR, superseded BOOLEAN DEFAULT false,
    rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, rows_pending BIGINT,
    error VARCHAR, warnings VARCHAR, first_run_id VARCHAR);
CREATE TABLE IF NOT EXISTS staging.quarantine (
    delivery_id BIGINT, kind VARCHAR, file VARCHAR, source_row BIGINT, column_name VARCHAR,
    check_name VARCHAR, value VARCHAR, message_vi VARCHAR, message_en VARCHAR, run_id VARCHAR);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, as_of DATE,
    status VARCHAR, mode VARCHAR, fingerprint VARCHAR, skipped VARCHAR, files_new BIGINT, files_loaded BIGINT, files_rejected BIGINT,
    files_duplicate BIGINT, files_unsupported BIGINT, rows_read BIGINT, rows_loaded BIGINT,
    rows_quarantined BIGINT, rows_pending BIGINT, rows_retracted BIGINT, flags BIGINT,
    orgs_classified BIGINT, seconds_ingest DOUBLE, seconds_integrate DOUBLE,
    seconds_model DOUBLE, seconds_export DOUBLE, seconds_publish DOUBLE);
"""


def duckdb_config() -> dict[str, str | bool | int | float | list[str]]:
    """Bound DuckDB's memory so a national year fits beside polars on one machine: beyond the
    limit, intermediate results spill to `<file>.tmp/`. CHIBO_MEMORY_LIMIT (e.g. `8GB`)
    overrides the default of half the machine's memory.

    A warehouse *created* with this config is written in the storage format of DuckDB
    CHIBO_STORAGE_VERSION (default v1.4.0, so DuckDB 1.4 LTS, 1.5 and 2.x clients — the CLI,
    DBeaver's JDBC driver — can open it; `latest` is this library's own newest format). An
    existing file keeps the format it was created with (scripts/convert_storage.py converts
    one once)."""
    limit = os.environ.get("CHIBO_MEMORY_LIMIT")
    if not limit:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        limit = f"{max(1, total // 2 // 2**30)}GB"
    import re
    storage = os.environ.get("CHIBO_STORAGE_VERSION") or "v1.4.0"
    if not re.fullmatch(r"v\d+\.\d+\.\d+|latest", storage):
        raise ChiboError(f"CHIBO_STORAGE_VERSION={storage!r}: expected a DuckDB version "
                         "such as v1.4.0, or latest")
    # checkpoint_threshold: not a checkpoint at every delivery's commit, only every GB of WAL
    return {"memory_limit": limit, "preserve_insertion_order": "false",
            "checkpoint_threshold": "1GB", "storage_compatibility_version": storage}


def contract_columns_ddl(kind: str) -> str:
    return ", ".join(f"{c.name} {DUCKDB_TYPES[c.type]}" for c in CONTRACT[kind].columns)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what a new warehouse needs; a no-op on an existing one."""
    con.execute(BOOKKEEPING_DDL)
    for kind in KINDS:
        con.execute(
            f"CREATE TABLE IF NOT EXISTS staging.{kind} ({contract_columns_ddl(kind)}, "
            "action VARCHAR, source_file VARCHAR, source_row BIGINT, delivery_id BIGINT)")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {kind} ({contract_columns_ddl(kind)}, "
            "source_file VARCHAR, source_row BIGINT)")


@contextmanager
def run_lock(published: Path) -> Iterator[None]:
    """One run at a time per warehouse (DuckDB allows one writer; two runs would race)."""
    published.parent.mkdir(parents=True, exist_ok=True)
    lock_path = published.with_name(published.name + ".lock")
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(
                f"another chibo run is using {published} (lock {lock_path}); try again later"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def next_path(published: Path, run_id: str) -> Path:
    return published.with_name(f"{published.name}.next-{run_id}")


def remove_stale_next_files(published: Path) -> None:
    """Leftovers of a killed run: the next run completes as if it never started."""
    for p in published.parent.glob(f"{published.name}.next-*"):
        if p.is_dir():   # DuckDB's spill folder of a killed run
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def prepare_next(published: Path, run_id: str, fresh: bool) -> Path:
    """The private file this run builds: a copy of the published one, or empty (rebuild)."""
    remove_stale_next_files(published)
    target = next_path(published, run_id)
    if not fresh and published.exists():
        try:
            shutil.copyfile(published, target)
        except OSError as exc:
            raise ChiboError(f"cannot copy the warehouse {published}: {exc.strerror}") from None
    return target


def publish_file(con: duckdb.DuckDBPyConnection, next_file: Path, published: Path) -> None:
    con.execute("CHECKPOINT")
    con.close()
    wal = next_file.with_name(next_file.name + ".wal")
    if wal.exists():   # a checkpointed, closed database leaves none; never publish half a state
        raise ChiboError(f"{wal} still exists after checkpoint; not publishing")
    os.replace(next_file, published)
    shutil.rmtree(next_file.with_name(next_file.name + ".tmp"), ignore_errors=True)


def publish_exports(staged: Path, exports: Path) -> None:
    """Move a run's reports over the published ones, file by file (each an atomic rename)."""
    if not staged.is_dir():
        return
    for src in sorted(p for p in staged.rglob("*") if p.is_file()):
        dest = exports / src.relative_to(staged)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
    shutil.rmtree(staged, ignore_errors=True)


def discard_next(next_file: Path) -> None:
    for p in (next_file, next_file.with_name(next_file.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(next_file.with_name(next_file.name + ".tmp"), ignore_errors=True)
