"""Ingest: find new deliveries in raw/, read and validate them, stage their rows.

Only new deliveries are read. Every delivery gets a `files` row: loaded, rejected,
duplicate (same bytes seen first elsewhere) or unsupported_format. Validated rows go to
`staging.<kind>` with their file and Excel row; row problems to `staging.quarantine`.
raw/ is only ever read.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import polars as pl

from chibo.contract import KINDS
from schemas._common import YearRules

SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".xlsx")


@dataclass(frozen=True)
class RawFile:
    path: str          # under raw/, forward slashes: precedence is its byte order
    kind: str | None   # the kind folder it sits in
    absolute: Path
    size: int
    mtime_ns: int


@dataclass
class IngestSummary:
    files_new: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0
    rows_quarantined: int = 0
    messages: list[str] = field(default_factory=list)


def scan_raw(raw: Path) -> list[RawFile]:
    """Every file under raw/, hidden files aside, in byte order of its path."""
    out = []
    for p in raw.rglob("*"):
        rel = p.relative_to(raw)
        if not p.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        kind = rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in KINDS else None
        st = p.stat()
        out.append(RawFile(rel.as_posix(), kind, p, st.st_size, st.st_mtime_ns))
    return sorted(out, key=lambda f: f.path.encode("utf-8"))


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_supported(path: str) -> bool:
    return path.lower().endswith(SUPPORTED_SUFFIXES)


def _known_deliveries(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, int, int]]:
    rows = con.execute(
        "SELECT path, sha256, bytes, mtime_ns FROM files WHERE NOT superseded").fetchall()
    return {p: (s, b, m) for p, s, b, m in rows}


def _seen_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT sha256 FROM files WHERE NOT superseded AND status IN ('loaded', 'rejected')"
    ).fetchall()}


def _supersede(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """A path whose bytes changed is a new delivery; the old bytes no longer count."""
    ids = [r[0] for r in con.execute(
        "SELECT delivery_id FROM files WHERE path = ? AND NOT superseded", [path]).fetchall()]
    if not ids:
        return
    con.execute("UPDATE files SET superseded = true WHERE path = ? AND NOT superseded", [path])
    for kind in KINDS:
        con.execute(f"DELETE FROM staging.{kind} WHERE list_contains(?, delivery_id)", [ids])
    con.execute("DELETE FROM staging.quarantine WHERE list_contains(?, delivery_id)", [ids])


def _record(con, delivery_id, f: RawFile, sha, status, run_id, rows_read=0, rows_quar=0,
            error=None, warnings=None) -> None:
    con.execute(
        "INSERT INTO files (delivery_id, path, kind, sha256, bytes, mtime_ns, status, superseded,"
        " rows_read, rows_loaded, rows_quarantined, rows_pending, error, warnings, first_run_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, false, ?, ?, ?, 0, ?, ?, ?)",
        [delivery_id, f.path, f.kind, sha, f.size, f.mtime_ns, status, rows_read,
         rows_read - rows_quar, rows_quar, error, warnings, run_id])


def ingest_raw(con: duckdb.DuckDBPyConnection, raw: Path, as_of: dt.date, run_id: str,
               rules: YearRules,
               progress: Callable[[str], None] | None = None) -> IngestSummary:
    summary = IngestSummary()
    known = _known_deliveries(con)
    seen = _seen_hashes(con)
    next_id = con.execute("SELECT coalesce(max(delivery_id), 0) + 1 FROM files").fetchall()[0][0]
    files = scan_raw(raw)
    for n, f in enumerate(files, 1):
        prior = known.get(f.path)
        if prior and prior[1] == f.size and prior[2] == f.mtime_ns:
            continue   # same path, size and mtime as a recorded delivery: skip re-hashing
        sha = sha256_of(f.absolute)
        if prior and prior[0] == sha:
            continue
        # one transaction per delivery: a failure (and a task retry) never leaves half a file
        con.execute("BEGIN TRANSACTION")
        try:
            status, rows_read, rows_quar, error, warnings = _deliver(
                con, f, sha, prior is not None, seen, next_id, run_id, as_of, rules)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        next_id += 1
        summary.files_new += 1
        summary.by_status[status] = summary.by_status.get(status, 0) + 1
        summary.rows_read += rows_read
        summary.rows_quarantined += rows_quar
        if error:
            summary.messages.append(f"{f.path}: {error}")
        if progress:
            progress(f"[{n}/{len(files)}] {f.path}: {status}")
    if _release_orphaned_duplicates(con):
        again = ingest_raw(con, raw, as_of, run_id, rules, progress)
        summary.files_new += again.files_new
        summary.rows_read += again.rows_read
        summary.rows_quarantined += again.rows_quarantined
        summary.messages += again.messages
        for k, v in again.by_status.items():
            summary.by_status[k] = summary.by_status.get(k, 0) + v
    return summary


def _release_orphaned_duplicates(con: duckdb.DuckDBPyConnection) -> bool:
    """A copy marked duplicate whose original's bytes were replaced now stands alone:
    re-read it, as a rebuild from raw/ would."""
    orphans = con.execute("""
        SELECT count(*) FROM files d
        WHERE NOT d.superseded AND d.status = 'duplicate'
          AND NOT EXISTS (SELECT 1 FROM files o WHERE NOT o.superseded AND o.sha256 = d.sha256
                          AND o.status IN ('loaded', 'rejected'))""").fetchall()[0][0]
    if orphans:   # forget the duplicate record: the copy is recorded anew when read again
        con.execute("""
            DELETE FROM files d
            WHERE NOT d.superseded AND d.status = 'duplicate'
              AND NOT EXISTS (SELECT 1 FROM files o WHERE NOT o.superseded
                              AND o.sha256 = d.sha256 AND o.status IN ('loaded', 'rejected'))""")
    return bool(orphans)


def _deliver(con, f: RawFile, sha: str, replaces_path: bool, seen: set[str], delivery_id: int,
             run_id: str, as_of: dt.date, rules: YearRules):
    """Record one new delivery: read, validate and stage it unless it is a copy or unsupported."""
    from chibo.read import FileRejected, read_file
    from chibo.validate import validate_frame

    if replaces_path:
        _supersede(con, f.path)
    status, rows_read, rows_quar, error, warnings = "loaded", 0, 0, None, None
    if f.kind is None:
        status, error = "unsupported_format", "not inside a kind folder (org_units, members, …)"
    elif not is_supported(f.path):
        status, error = "unsupported_format", "only .csv, .csv.gz and .xlsx files are read"
    elif sha in seen:
        status = "duplicate"
    else:
        seen.add(sha)
        try:
            read = read_file(f.absolute, f.kind)
            result = validate_frame(read, f.kind, f.path, as_of, rules)
        except FileRejected as exc:
            status, error = "rejected", f"{exc.message_vi} / {exc.message_en}"
        except Exception as exc:   # a file must never crash the run
            status, error = "rejected", f"Không đọc được tệp / cannot read the file: {exc}"
        else:
            rows_read = result.rows_read
            _stage(con, f.kind, f.path, delivery_id, run_id, result.valid, result.quarantine)
            rows_quar = (result.quarantine.select("source_row").n_unique()
                         if result.quarantine.height else 0)
            warnings = "; ".join(read.warnings) or None
    # (path, sha256) identifies a delivery: bytes that come back to a path replace their old record
    con.execute("DELETE FROM files WHERE path = ? AND sha256 = ? AND superseded", [f.path, sha])
    _record(con, delivery_id, f, sha, status, run_id, rows_read, rows_quar, error, warnings)
    return status, rows_read, rows_quar, error, warnings


def _stage(con, kind: str, path: str, delivery_id: int, run_id: str,
           valid: pl.DataFrame, quarantine: pl.DataFrame) -> None:
    if valid.height:
        con.register("_valid", valid)
        con.execute(
            f"INSERT INTO staging.{kind} BY NAME SELECT *, ? AS source_file, ? AS delivery_id "
            "FROM _valid", [path, delivery_id])
        con.unregister("_valid")
    if quarantine.height:
        con.register("_quar", quarantine)
        con.execute(
            "INSERT INTO staging.quarantine BY NAME SELECT *, ? AS delivery_id, ? AS run_id "
            "FROM _quar", [delivery_id, run_id])
        con.unregister("_quar")
