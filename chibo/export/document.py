"""`document_warehouse`: analyst views plus an English / Vietnamese COMMENT on everything."""
from __future__ import annotations

import logging

import duckdb

from chibo.export.descriptions import column_comment, table_comment
from chibo.export.views import create_views

log = logging.getLogger(__name__)


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(*parts: str) -> str:
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def _objects(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(schema, name, 'TABLE'|'VIEW') of the user's tables and views in this database."""
    rows = con.execute("""
        SELECT schema_name, table_name, 'TABLE' FROM duckdb_tables()
        WHERE database_name = current_database() AND NOT internal AND NOT temporary
        UNION ALL
        SELECT schema_name, view_name, 'VIEW' FROM duckdb_views()
        WHERE database_name = current_database() AND NOT internal AND NOT temporary
        ORDER BY 1, 2""").fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def _columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    rows = con.execute("""
        SELECT c.schema_name, c.table_name, c.column_name
        FROM duckdb_columns() c
        WHERE c.database_name = current_database() AND NOT c.internal
          AND (c.schema_name, c.table_name) IN (
              SELECT (schema_name, table_name) FROM duckdb_tables()
              WHERE database_name = current_database() AND NOT internal AND NOT temporary
              UNION ALL
              SELECT (schema_name, view_name) FROM duckdb_views()
              WHERE database_name = current_database() AND NOT internal AND NOT temporary)
        ORDER BY 1, 2, c.column_index""").fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def undocumented(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables/views (`t`) and columns (`t.c`) of the warehouse with no description."""
    missing = [name if schema == "main" else f"{schema}.{name}"
               for schema, name, _ in _objects(con) if table_comment(name, schema) is None]
    missing += [f"{t}.{c}" for _, t, c in _columns(con) if column_comment(t, c) is None]
    return missing


def document_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Create the analyst views, then COMMENT ON every table, view and column.

    Everything is read from `con`: the views select from the model's and the run's rulebook
    tables (`rulebook_thresholds`, `reason_texts`, `levels`, …), never from a rulebook file.
    Comments read "English text / Tiếng Việt". An object without a description is logged and
    left uncommented (the test suite fails on it; the nightly run does not).
    """
    create_views(con)
    statements: list[str] = []
    for schema, name, typ in _objects(con):
        text = table_comment(name, schema)
        if text is None:
            log.warning("no description for %s %s.%s", typ.lower(), schema, name)
            continue
        statements.append(f"COMMENT ON {typ} {_ident(schema, name)} IS {_q(text)}")
    for schema, table, col in _columns(con):
        text = column_comment(table, col)
        if text is None:
            log.warning("no description for column %s.%s.%s", schema, table, col)
            continue
        statements.append(f"COMMENT ON COLUMN {_ident(schema, table, col)} IS {_q(text)}")
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:      # the caller already holds a transaction
        for st in statements:
            con.execute(st)
        return
    try:
        for st in statements:
            con.execute(st)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
