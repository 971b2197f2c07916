"""The warehouse file: its bookkeeping tables, and publishing by build-then-rename.

A run never writes the file analysts read. It copies the published file to a private
`<name>.next-<run_id>`, works there, checkpoints, closes every connection and
`os.replace`s it over the published path. Readers holding the old file keep the old inode.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from chibo.contract import CONTRACT, DUCKDB_TYPES, KINDS
from chibo.errors import ChiboError, RunLockedError, disk_full_message, is_disk_full

# The bookkeeping tables, column by column: `ensure_schema` creates them and adds the columns an
# older warehouse lacks (an upgrade never breaks publishing).
FILES_COLUMNS = [
    ("delivery_id", "BIGINT"), ("path", "VARCHAR"), ("kind", "VARCHAR"), ("sha256", "VARCHAR"),
    ("bytes", "BIGINT"), ("mtime_ns", "BIGINT"), ("status", "VARCHAR"),
    ("superseded", "BOOLEAN DEFAULT false"), ("rows_read", "BIGINT"), ("rows_loaded", "BIGINT"),
    ("rows_quarantined", "BIGINT"), ("rows_pending", "BIGINT"), ("error", "VARCHAR"),
    ("warnings", "VARCHAR"), ("first_run_id", "VARCHAR")]
QUARANTINE_COLUMNS = [
    ("delivery_id", "BIGINT"), ("kind", "VARCHAR"), ("file", "VARCHAR"), ("source_row", "BIGINT"),
    ("column_name", "VARCHAR"), ("check_name", "VARCHAR"), ("value", "VARCHAR"),
    ("message_vi", "VARCHAR"), ("message_en", "VARCHAR"), ("run_id", "VARCHAR")]
RUNS_COLUMNS = [
    ("run_id", "VARCHAR"), ("started_at", "TIMESTAMPTZ"), ("finished_at", "TIMESTAMPTZ"),
    ("as_of", "DATE"), ("status", "VARCHAR"), ("mode", "VARCHAR"), ("fingerprint", "VARCHAR"),
    ("skipped", "VARCHAR"), ("files_new", "BIGINT"), ("files_loaded", "BIGINT"),
    ("files_rejected", "BIGINT"), ("files_duplicate", "BIGINT"), ("files_unsupported", "BIGINT"),
    ("rows_read", "BIGINT"), ("rows_loaded", "BIGINT"), ("rows_quarantined", "BIGINT"),
    ("rows_pending", "BIGINT"), ("rows_retracted", "BIGINT"), ("flags", "BIGINT"),
    ("orgs_classified", "BIGINT"), ("seconds_ingest", "DOUBLE"), ("seconds_integrate", "DOUBLE"),
    ("seconds_model", "DOUBLE"), ("seconds_export", "DOUBLE"), ("seconds_publish", "DOUBLE"),
    # a run that did not complete: the one-line error and the stage it failed at
    ("error", "VARCHAR"), ("stage", "VARCHAR")]
# the first key value (meeting_id, member_id, org_id …) of every staged row added or removed
# since the last integrate: what an incremental integrate re-derives (chibo.integrate)
CHANGED_COLUMNS = [("kind", "VARCHAR"), ("part", "VARCHAR")]
BOOKKEEPING = {("main", "files"): FILES_COLUMNS, ("staging", "quarantine"): QUARANTINE_COLUMNS,
               ("main", "runs"): RUNS_COLUMNS, ("staging", "changed"): CHANGED_COLUMNS}
#: `runs.status`: completed; published_with_errors (warehouse in place, reports not all moved);
#: interrupted (killed between the warehouse rename and the publish marker); failed (nothing
#: published: the row comes from the run log, added by the next run that publishes)
PUBLISHED_STATUSES = ("completed", "published_with_errors", "interrupted")


def _columns_ddl(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} {typ}" for name, typ in columns)


BOOKKEEPING_DDL = "CREATE SCHEMA IF NOT EXISTS staging;\n" + "\n".join(
    f"CREATE TABLE IF NOT EXISTS {schema}.{table} ({_columns_ddl(cols)});"
    for (schema, table), cols in BOOKKEEPING.items())


DEFAULT_MEMORY_LIMIT_GB = 5


def has_table(con: duckdb.DuckDBPyConnection, name: str, database: str | None = None) -> bool:
    """Is there a table `name` in `database`'s main schema (default: the run's own; `temp`:
    the connection's temporary tables)?"""
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ? "
        "AND database_name = coalesce(?, current_database())", [name, database]).fetchall()[0][0])


def duckdb_config() -> dict[str, str | bool | int | float | list[str]]:
    """Bound DuckDB's memory so a national year fits beside polars on one machine: beyond the
    limit, intermediate results spill to `<file>.tmp/`. CHIBO_MEMORY_LIMIT (e.g. `8GB`)
    overrides the default: half the machine's memory, at most DEFAULT_MEMORY_LIMIT_GB, so that
    a national run (DuckDB, polars, Python and the export's workbook writers) stays within
    8 GiB (docs/benchmarks.md measures it).

    A warehouse *created* with this config is written in the storage format of DuckDB
    CHIBO_STORAGE_VERSION (default v1.4.0, so DuckDB 1.4 LTS, 1.5 and 2.x clients — the CLI,
    DBeaver's JDBC driver — can open it; `latest` is this library's own newest format). An
    existing file keeps the format it was created with (scripts/convert_storage.py converts
    one once)."""
    limit = os.environ.get("CHIBO_MEMORY_LIMIT")
    if not limit:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        limit = f"{max(1, min(total // 2 // 2**30, DEFAULT_MEMORY_LIMIT_GB))}GB"
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


def _kind_columns(kind: str, staging: bool) -> list[tuple[str, str]]:
    cols = [(c.name, DUCKDB_TYPES[c.type]) for c in CONTRACT[kind].columns]
    if staging:
        return [*cols, ("action", "VARCHAR"), ("source_file", "VARCHAR"),
                ("source_row", "BIGINT"), ("delivery_id", "BIGINT")]
    return [*cols, ("source_file", "VARCHAR"), ("source_row", "BIGINT")]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what a new warehouse needs; on an older one, add the columns it lacks."""
    con.execute(BOOKKEEPING_DDL)
    tables = dict(BOOKKEEPING)
    for kind in KINDS:
        con.execute(
            f"CREATE TABLE IF NOT EXISTS staging.{kind} ({contract_columns_ddl(kind)}, "
            "action VARCHAR, source_file VARCHAR, source_row BIGINT, delivery_id BIGINT)")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {kind} ({contract_columns_ddl(kind)}, "
            "source_file VARCHAR, source_row BIGINT)")
        tables[("staging", kind)] = _kind_columns(kind, staging=True)
        tables[("main", kind)] = _kind_columns(kind, staging=False)
    present: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in con.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = current_database()").fetchall():
        present.setdefault((schema, table), set()).add(column)
    for (schema, table), cols in tables.items():
        have = present.get((schema, table))
        if have is None:   # a view or a table another layer owns under that name
            continue
        for name, typ in cols:
            if name not in have:
                con.execute(f"ALTER TABLE {schema}.{table} ADD COLUMN {name} {typ}")


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


def lock_held(published: Path) -> bool:
    """True while a run holds the warehouse lock (asked without taking it for long)."""
    lock_path = published.with_name(published.name + ".lock")
    try:
        fh = open(lock_path, "rb")
    except OSError:
        return False
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


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
    """The private file this run builds: a copy of the published one, or empty (rebuild).
    Leftovers of a killed run are removed first (they may be what fills the disk)."""
    remove_stale_next_files(published)
    target = next_path(published, run_id)
    if not fresh and published.exists():
        try:
            shutil.copyfile(published, target)
        except OSError as exc:
            target.unlink(missing_ok=True)   # a partial copy must not fill the disk
            if is_disk_full(exc):
                raise ChiboError(disk_full_message(
                    published.parent, "sao chép kho dữ liệu đã công bố",
                    "copy the published warehouse", needed=published.stat().st_size)) from None
            raise ChiboError(f"không sao chép được kho dữ liệu {published} / cannot copy the "
                             f"warehouse {published}: {exc.strerror}") from None
    return target


def keep_permissions(new: Path, old: Path) -> None:
    """The published warehouse keeps the mode and group of the file it replaces (a first
    warehouse keeps what the umask gave it): `chmod 640` + a group survive every run."""
    try:
        st = old.stat()
    except FileNotFoundError:
        return
    os.chmod(new, stat.S_IMODE(st.st_mode))
    try:
        os.chown(new, -1, st.st_gid)
    except PermissionError:   # not a member of that group: the mode is kept, the group is not
        pass


def publish_file(con: duckdb.DuckDBPyConnection, next_file: Path, published: Path) -> None:
    con.execute("CHECKPOINT")
    con.close()
    wal = next_file.with_name(next_file.name + ".wal")
    if wal.exists():   # a checkpointed, closed database leaves none; never publish half a state
        raise ChiboError(f"{wal} still exists after checkpoint; not publishing")
    keep_permissions(next_file, published)
    os.replace(next_file, published)
    shutil.rmtree(next_file.with_name(next_file.name + ".tmp"), ignore_errors=True)


def current_umask() -> int:
    """The process umask, read without changing it (Linux), else by setting it back."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def publish_exports(staged: Path, exports: Path,
                    after_each: Callable[[Path], None] | None = None,
                    remove: list[str] | None = None) -> int:
    """Delete `remove` (paths relative to `exports`: reports of the last export this run no
    longer writes, such as the error list of a unit that has no errors left), then move the
    run's reports over the published ones, file by file (each an atomic rename). Each file gets
    the mode the umask allows (`tempfile.mkstemp` makes 0600 files). Returns the number of
    files moved."""
    root = exports.resolve()
    for rel in remove or []:
        gone = (exports / rel).resolve()
        if gone.parent.is_relative_to(root):   # only what chibo wrote, inside the folder
            gone.unlink(missing_ok=True)
    if not staged.is_dir():
        return 0
    mode = 0o666 & ~current_umask()
    moved = 0
    for src in sorted(p for p in staged.rglob("*") if p.is_file()):
        dest = exports / src.relative_to(staged)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(src, mode)
        os.replace(src, dest)
        moved += 1
        if after_each is not None:
            after_each(dest)
    shutil.rmtree(staged, ignore_errors=True)
    return moved


def marker_path(published: Path) -> Path:
    """`<warehouse>.published`: written last by a publishing run, once warehouse and reports
    are both in place; a run starting finds the reports out of step when it does not name
    the warehouse's last published run."""
    return published.with_name(published.name + ".published")


def write_marker(published: Path, entry: dict) -> None:
    import json
    target = marker_path(published)
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def read_marker(published: Path) -> dict | None:
    import json
    try:
        entry = json.loads(marker_path(published).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) else None


def discard_next(next_file: Path) -> None:
    for p in (next_file, next_file.with_name(next_file.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(next_file.with_name(next_file.name + ".tmp"), ignore_errors=True)
