"""The ONLY place the model tests know how input tables are made.

`make_db(path, rows)` creates the six integrated tables (contract columns with
chibo.contract.DUCKDB_TYPES, plus source_file/source_row) in a DuckDB file from small Python
row lists (dicts by code name; missing optional columns are null).

`load_raw_plain(path, raw_dir, as_of)` is a simple, test-only loader for the worked example's
plain raw folder (UTF-8 CSV, code-name headers, ISO dates): files of each kind applied in path
byte order, a later row with the same key replaces, `action=delete` retracts. It is meant to be
swapped for the real pipeline later.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any, Iterable

import decimal

import duckdb
import pyarrow as pa

from chibo.contract import CONTRACT, DUCKDB_TYPES, KINDS

BOOL_TRUE = {"true", "1", "yes", "x", "có", "co"}


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for kind in KINDS:
        cols = ", ".join(f'"{c.name}" {DUCKDB_TYPES[c.type]}' for c in CONTRACT[kind].columns)
        con.execute(f"CREATE OR REPLACE TABLE {kind} ({cols}, source_file VARCHAR, "
                    f"source_row BIGINT)")


def _convert(col, value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, str):
        v = value.strip()
        if col.type == "date":
            return dt.date.fromisoformat(v)
        if col.type == "time":
            return dt.time.fromisoformat(v if len(v) > 4 else "0" + v)
        if col.type == "int":
            return int(v)
        if col.type == "decimal":
            return decimal.Decimal(v).quantize(decimal.Decimal("0.01"))
        if col.type == "bool":
            return v.lower() in BOOL_TRUE
        return v
    if col.type == "decimal" and not isinstance(value, decimal.Decimal):
        return decimal.Decimal(str(value)).quantize(decimal.Decimal("0.01"))
    return value


ARROW_TYPES = {
    "id": pa.string(), "text": pa.string(), "enum": pa.string(), "date": pa.date32(),
    "time": pa.time64("us"), "int": pa.int32(), "decimal": pa.decimal128(5, 2),
    "bool": pa.bool_(),
}


def insert_rows(con: duckdb.DuckDBPyConnection, kind: str, rows: Iterable[dict],
                source_file: str = "test.csv") -> None:
    k = CONTRACT[kind]
    data = []
    for i, r in enumerate(rows, start=2):
        unknown = set(r) - set(k.column_names) - {"source_file", "source_row"}
        if unknown:
            raise KeyError(f"{kind}: unknown column(s) {unknown}")
        data.append([_convert(c, r.get(c.name)) for c in k.columns]
                    + [r.get("source_file", source_file), r.get("source_row", i)])
    if not data:
        return
    names = list(k.column_names) + ["source_file", "source_row"]
    types = [ARROW_TYPES[c.type] for c in k.columns] + [pa.string(), pa.int64()]
    table = pa.table({n: pa.array([r[i] for r in data], type=t)
                      for i, (n, t) in enumerate(zip(names, types))})
    con.register("_builder_rows", table)
    try:
        con.execute(f"INSERT INTO {kind} SELECT * FROM _builder_rows")
    finally:
        con.unregister("_builder_rows")


def make_db(path: Path, rows: dict[str, list[dict]]) -> duckdb.DuckDBPyConnection:
    """A DuckDB file at `path` holding the six input tables filled with `rows` (by kind).
    Returns an open read-write connection."""
    con = duckdb.connect(str(path))
    create_tables(con)
    for kind, kind_rows in rows.items():
        insert_rows(con, kind, kind_rows)
    return con


def load_raw_plain(path: Path, raw_dir: Path, as_of: dt.date) -> duckdb.DuckDBPyConnection:
    """Test-only plain loader of a contract-form raw folder (see module doc)."""
    current: dict[str, dict[tuple, dict]] = {}
    for kind in KINDS:
        k = CONTRACT[kind]
        state: dict[tuple, dict] = {}
        folder = raw_dir / kind
        files = sorted((p for p in folder.rglob("*.csv")),
                       key=lambda p: str(p.relative_to(folder)).encode())
        for f in files:
            with f.open(encoding="utf-8-sig", newline="") as fh:
                for n, row in enumerate(csv.DictReader(fh), start=2):
                    row = {c: (v.strip() if isinstance(v, str) else v) for c, v in row.items()}
                    key = tuple(row[c] for c in k.key)
                    if (row.get("action") or "upsert").lower() == "delete":
                        state.pop(key, None)
                        continue
                    row.pop("action", None)
                    row["source_file"] = str(f.relative_to(raw_dir))
                    row["source_row"] = n
                    state[key] = row
        current[kind] = state
    con = duckdb.connect(str(path))
    create_tables(con)
    for kind in KINDS:
        insert_rows(con, kind, current[kind].values())
    return con
