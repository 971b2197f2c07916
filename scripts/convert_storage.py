"""Convert a published warehouse, once, to the storage format chibo writes (CHIBO_STORAGE_VERSION,
default v1.4.0), so that DuckDB 1.4 LTS and later clients (the DuckDB CLI, DBeaver's JDBC driver)
can open it.

    .venv/bin/python scripts/convert_storage.py [WAREHOUSE] [--to v1.4.0]

A file keeps the storage format it was created with: a warehouse first built by a chibo that
wrote DuckDB's newest format (before CHIBO_STORAGE_VERSION existed) stays unreadable to older
clients, run after run, until it is converted (or rebuilt with `chibo rebuild`, which re-derives
everything from raw/ and starts the `runs` history anew). This keeps every table, view, comment
and row, `runs` and `files` history included.

Published like a run: under the run lock, the copy is built in the private
`<name>.next-convert-<time>`, checked (same tables, views, row counts and comments),
checkpointed, closed and moved over the published path with os.replace; analysts holding the
old file keep reading it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

import duckdb

from chibo import warehouse as wh
from chibo.errors import ChiboError
from chibo.settings import DEFAULTS


def storage_version(con: duckdb.DuckDBPyConnection, database: str) -> str:
    rows = con.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                       "WHERE database_name = ?", [database]).fetchall()
    return str(rows[0][0])


def inventory(con: duckdb.DuckDBPyConnection, database: str) -> list[tuple]:
    """What must survive the copy: every table with its row count and comment, every view and
    column with its comment."""
    tables = con.execute(
        "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = ? "
        "ORDER BY ALL", [database]).fetchall()
    counted = []
    for schema, table, comment in tables:
        n = con.execute(f'SELECT count(*) FROM "{database}"."{schema}"."{table}"').fetchone()
        counted.append(("table", schema, table, comment, n[0] if n else None))
    views = con.execute(
        "SELECT 'view', schema_name, view_name, comment, NULL FROM duckdb_views() "
        "WHERE database_name = ? AND NOT internal ORDER BY ALL", [database]).fetchall()
    columns = con.execute(
        "SELECT 'column', schema_name, table_name || '.' || column_name, comment, NULL "
        "FROM duckdb_columns() WHERE database_name = ? ORDER BY ALL", [database]).fetchall()
    return [*counted, *views, *columns]


def convert(published: Path, target: str) -> str:
    """Returns what was done, in one line."""
    if not published.is_file():
        raise ChiboError(f"no warehouse at {published}")
    os.environ["CHIBO_STORAGE_VERSION"] = target
    config = wh.duckdb_config()   # validates target; the same settings as a run's
    with wh.run_lock(published):
        probe = duckdb.connect(str(published), read_only=True)
        try:
            before = storage_version(probe, probe.execute("SELECT current_database()")
                                     .fetchall()[0][0])
        finally:
            probe.close()
        if before.rstrip("+") == target:
            return f"{published}: already stored as {before}; nothing to do"
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        next_file = wh.next_path(published, f"convert-{stamp}")
        wh.remove_stale_next_files(published)
        con = duckdb.connect(str(next_file), config=config)
        try:
            new_db = con.execute("SELECT current_database()").fetchall()[0][0]
            con.execute(f"ATTACH '{published}' AS chibo_src (READ_ONLY)")
            con.execute(f'COPY FROM DATABASE chibo_src TO "{new_db}"')
            old_inv = inventory(con, "chibo_src")
            con.execute("DETACH chibo_src")
            new_inv = inventory(con, new_db)
            if old_inv != new_inv:
                missing = sorted(set(old_inv) - set(new_inv))[:5]
                raise ChiboError(f"the copy differs from {published} (e.g. {missing}); "
                                 "not publishing")
            wh.publish_file(con, next_file, published)   # CHECKPOINT, close, no WAL, replace
        except BaseException:
            con.close()
            wh.discard_next(next_file)
            raise
    check = duckdb.connect(str(published), read_only=True)
    try:
        after = storage_version(check, check.execute("SELECT current_database()")
                                .fetchall()[0][0])
    finally:
        check.close()
    return (f"{published}: converted from {before} to {after} "
            f"({sum(1 for x in new_inv if x[0] == 'table')} tables, "
            f"{sum(x[4] or 0 for x in new_inv if x[0] == 'table')} rows)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse", nargs="?",
                    default=os.environ.get("CHIBO_WAREHOUSE") or DEFAULTS["warehouse"])
    ap.add_argument("--to", default=os.environ.get("CHIBO_STORAGE_VERSION") or None,
                    help="storage version (default: CHIBO_STORAGE_VERSION, else chibo's default)")
    args = ap.parse_args(argv)
    target = args.to or str(wh.duckdb_config()["storage_compatibility_version"])
    try:
        print(convert(Path(args.warehouse).absolute(), target))
    except (ChiboError, duckdb.Error) as exc:
        print(f"convert_storage: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
