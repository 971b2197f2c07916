"""Ingest: find new deliveries in raw/, read and validate them, stage their rows.

Only new deliveries are read. Every delivery gets a `files` row: loaded, rejected,
duplicate (same bytes seen first elsewhere) or unsupported_format. Validated rows go to
`staging.<kind>` with their file and Excel row; row problems to `staging.quarantine`.
raw/ is only ever read. The next delivery is read and validated in a thread while this one
is staged (`_ReadAhead`).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import stat
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import duckdb
import polars as pl

from chibo.contract import CONTRACT, KINDS
from chibo.errors import ChiboError, StageFailed
from chibo.read.isolation import IsolatedReader
from chibo.settings import kill_point
from schemas._common import YearRules

if TYPE_CHECKING:
    from chibo.read.reader import ReadResult
    from chibo.validate.core import ValidationResult

SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".xlsx")


@dataclass(frozen=True)
class RawFile:
    path: str          # under raw/, forward slashes, undecodable bytes escaped (\\xNN)
    kind: str | None   # the kind folder it sits in
    absolute: Path
    size: int
    mtime_ns: int
    special: str | None = None   # why this entry is never opened (a link, a FIFO, …)
    sort_key: bytes = b""        # the path's own bytes: precedence is their order


@dataclass
class IngestSummary:
    files_new: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0
    rows_quarantined: int = 0
    messages: list[str] = field(default_factory=list)
    # entries inside a kind folder (what a run reads as deliveries), new or not: none means
    # raw/ holds no data yet
    data_entries: int = 0


# what an entry under raw/ that is not a regular file is recorded as (never opened)
SPECIAL_VI_EN = {
    "symlink": ("liên kết tượng trưng (symlink), không được đọc",
                "a symbolic link, not followed"),
    "dangling_symlink": ("liên kết tượng trưng trỏ tới nơi không tồn tại, không được đọc",
                         "a dangling symbolic link, not followed"),
    "dir_symlink": ("liên kết tượng trưng tới một thư mục, không được đọc",
                    "a symbolic link to a folder, not followed"),
    "fifo": ("tệp đặc biệt (FIFO), không được đọc", "a FIFO (named pipe), never opened"),
    "socket": ("tệp đặc biệt (socket), không được đọc", "a socket, never opened"),
    "device": ("tệp thiết bị, không được đọc", "a device file, never opened"),
    "unlistable": ("không liệt kê được thư mục", "cannot list the folder"),
    "unreadable": ("không có quyền đọc tệp", "cannot open the file"),
}


def display_name(raw_bytes: bytes) -> str:
    """A name as bytes shown as text: UTF-8 where it is, other bytes escaped as \\xNN
    (what unzipping a Windows archive produces is shown, not a crash)."""
    return raw_bytes.decode("utf-8", "backslashreplace")


def _special_kind(st: os.stat_result, entry_path: bytes) -> str | None:
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.stat(entry_path)   # stat only: the target is never opened
        except OSError:
            return "dangling_symlink"
        return "dir_symlink" if stat.S_ISDIR(target.st_mode) else "symlink"
    if stat.S_ISFIFO(st.st_mode):
        return "fifo"
    if stat.S_ISSOCK(st.st_mode):
        return "socket"
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return "device"
    return None


def scan_raw(raw: Path) -> list[RawFile]:
    """Every entry under raw/, hidden ones aside, in byte order of its path.

    Names are handled as bytes (a name that is not valid UTF-8 sorts by its bytes and is
    shown with those bytes escaped). Nothing is followed: a symbolic link (to a file or a
    folder, inside raw/ or out of it, or dangling), a FIFO, a socket or a device gets its own
    entry with `special` set and is recorded `unsupported_format`, never opened. raw/ itself
    may be a link (the operator chose it)."""
    out: list[RawFile] = []
    root = os.fsencode(Path(raw))

    def walk(folder: bytes, rel_parts: tuple[bytes, ...]) -> None:
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            if rel_parts:   # raw/ itself unreadable is the run's problem, not a delivery
                rel = b"/".join(rel_parts)
                out.append(_entry(raw, rel_parts, rel, None, "unlistable", exc.strerror))
                return
            raise
        for e in entries:
            name = e.name if isinstance(e.name, bytes) else os.fsencode(e.name)
            if name.startswith(b"."):
                continue
            parts = (*rel_parts, name)
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue   # vanished while scanning
            if stat.S_ISDIR(st.st_mode):
                walk(e.path if isinstance(e.path, bytes) else os.fsencode(e.path), parts)
                continue
            special = None if stat.S_ISREG(st.st_mode) else \
                _special_kind(st, e.path if isinstance(e.path, bytes) else os.fsencode(e.path))
            out.append(_entry(raw, parts, b"/".join(parts), st, special))

    walk(root, ())
    return sorted(out, key=lambda f: f.sort_key)


def _entry(raw: Path, parts: tuple[bytes, ...], rel: bytes, st: os.stat_result | None,
           special: str | None, detail: str | None = None) -> RawFile:
    first = display_name(parts[0])
    kind = first if len(parts) > 1 and first in KINDS else None
    if special == "unlistable" and detail:
        special = f"unlistable:{detail}"
    return RawFile(display_name(rel), kind, Path(os.fsdecode(os.path.join(os.fsencode(raw), rel))),
                   st.st_size if st else 0, st.st_mtime_ns if st else 0, special, rel)


def special_reason(special: str) -> str:
    """The files.error text of an entry that is never opened, Vietnamese first."""
    code, _, detail = special.partition(":")
    vi, en = SPECIAL_VI_EN.get(code, (code, code))
    if detail:
        vi, en = f"{vi} ({detail})", f"{en} ({detail})"
    return f"{vi} / {en}"


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
        con.execute(f"INSERT INTO staging.changed SELECT DISTINCT '{kind}', "
                    f"{CONTRACT[kind].key[0]} FROM staging.{kind} "
                    "WHERE list_contains(?, delivery_id)", [ids])
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
    # one reader process for the risky files of the whole run, stopped when ingest ends
    with IsolatedReader() as reader:
        return _ingest(con, raw, as_of, run_id, rules, progress, reader)


class _ReadAhead:
    """Reads and validates the deliveries in one thread, the next one while the main thread
    stages this one: reading is polars (and the reader process), staging is DuckDB, and each
    on its own leaves a core idle much of the time. The thread touches no DuckDB connection.
    A file read ahead that turns out not to need reading (the same bytes as another) is
    dropped; whatever reading raises is raised by `read` in the main thread, as before."""

    def __init__(self, files: list[RawFile], known: dict[str, tuple[str, int, int]],
                 as_of: dt.date, rules: YearRules, reader: IsolatedReader) -> None:
        self.files, self.known, self.as_of, self.rules, self.reader = \
            files, known, as_of, rules, reader
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="chibo-read")
        self._ahead: dict[int, Future[tuple[ReadResult, ValidationResult]]] = {}

    def __enter__(self) -> _ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def read(self, n: int) -> tuple[ReadResult, ValidationResult]:
        """File n's read and validation (`files[n]`); file n+1's (the next to read) starts."""
        for early in [m for m in self._ahead if m < n]:
            self._ahead.pop(early).cancel()
        future = self._ahead.pop(n, None) or self._pool.submit(self._work, self.files[n])
        following = next((m for m in range(n + 1, len(self.files))
                          if self._to_read(self.files[m])), None)
        if following is not None and following not in self._ahead:
            self._ahead[following] = self._pool.submit(self._work, self.files[following])
        return future.result()

    def _to_read(self, f: RawFile) -> bool:
        """Whether the loop will read `f`, unless its bytes turn out to be already known."""
        return not _as_recorded(self.known.get(f.path), f) and _not_read(f) is None

    def _work(self, f: RawFile) -> tuple[ReadResult, ValidationResult]:
        from chibo.read import read_file
        from chibo.validate import validate_frame
        assert f.kind is not None
        read = read_file(f.absolute, f.kind, name=f.path, reader=self.reader)
        return read, validate_frame(read, f.kind, f.path, self.as_of, self.rules)


def _not_read(f: RawFile) -> tuple[str, str] | None:
    """Why a delivery is recorded without being read (its status and message), or None."""
    if f.special is not None and f.special.startswith("unreadable"):
        return "rejected", special_reason(f.special)
    if f.special is not None:   # a link, FIFO, socket or device: recorded, never opened
        return "unsupported_format", special_reason(f.special)
    if f.kind is None:
        return "unsupported_format", ("không nằm trong thư mục của một loại dữ liệu "
                                      "(org_units, members, …) / not inside a kind "
                                      "folder (org_units, members, …)")
    if not is_supported(f.path):
        return "unsupported_format", ("chỉ đọc tệp .csv, .csv.gz và .xlsx / only "
                                      ".csv, .csv.gz and .xlsx files are read")
    return None


def _as_recorded(prior: tuple[str, int, int] | None, f: RawFile) -> bool:
    """The entry has the size and mtime of its recorded delivery (`prior`: sha256, size,
    mtime_ns)."""
    return prior is not None and prior[0] is not None and \
        prior[1] == f.size and prior[2] == f.mtime_ns


def _ingest(con: duckdb.DuckDBPyConnection, raw: Path, as_of: dt.date, run_id: str,
            rules: YearRules, progress: Callable[[str], None] | None,
            reader: IsolatedReader) -> IngestSummary:
    summary = IngestSummary()
    known = _known_deliveries(con)
    seen = _seen_hashes(con)
    next_id = con.execute("SELECT coalesce(max(delivery_id), 0) + 1 FROM files").fetchall()[0][0]
    disk = raw_disk(con)   # asked now: after a full disk the connection may be unusable
    files = scan_raw(raw)
    summary.data_entries = sum(1 for f in files if f.kind)
    with _ReadAhead(files, known, as_of, rules, reader) as ahead:
        for n, f in enumerate(files):
            prior = known.get(f.path)
            if _as_recorded(prior, f):
                continue   # same path, size and mtime as a recorded delivery: skip re-hashing
            # one transaction per delivery: a failure (and a task retry) never leaves half a
            # file. Only a FileRejected (the file's own problem) is recorded; any other
            # exception is the run's: the transaction is rolled back, the file is not recorded
            # and is read again by the next run.
            began = False
            try:
                f, sha = _identity(f)
                if prior and prior[0] == sha and \
                        (sha is not None or prior[1:] == (f.size, f.mtime_ns)):
                    continue
                con.execute("BEGIN TRANSACTION")
                began = True
                status, rows_read, rows_quar, error, warnings = _deliver(
                    con, f, sha, prior is not None, seen, next_id, run_id,
                    functools.partial(ahead.read, n))
                con.execute("COMMIT")
            except BaseException as exc:
                if began:
                    _rollback(con)
                if isinstance(exc, Exception) and not isinstance(exc, ChiboError):
                    raise StageFailed("ingest", f.path, exc, disk=disk, file_bytes=f.size) from exc
                raise
            next_id += 1
            summary.files_new += 1
            summary.by_status[status] = summary.by_status.get(status, 0) + 1
            summary.rows_read += rows_read
            summary.rows_quarantined += rows_quar
            if error:
                summary.messages.append(f"{f.path}: {error}")
            if progress:
                progress(f"[{n + 1}/{len(files)}] {f.path}: {status}")
            kill_point("ingest")
    if _release_orphaned_duplicates(con):
        again = ingest_raw(con, raw, as_of, run_id, rules, progress)
        summary.files_new += again.files_new
        summary.rows_read += again.rows_read
        summary.rows_quarantined += again.rows_quarantined
        summary.messages += again.messages
        for k, v in again.by_status.items():
            summary.by_status[k] = summary.by_status.get(k, 0) + v
    return summary


def _identity(f: RawFile) -> tuple[RawFile, str | None]:
    """SHA-256 of a file's bytes; of its kind and link text for an entry never opened (a link
    to /proc/self/environ is the same entry every night, not a new delivery). A file chibo may
    not open is recorded rejected without a hash, and tried again every run."""
    if f.special is None:
        try:
            return f, sha256_of(f.absolute)
        except PermissionError as exc:
            return replace(f, special=f"unreadable:{exc.strerror}"), None
    if f.special.startswith("unreadable"):
        return f, None
    h = hashlib.sha256(b"chibo-special:" + f.special.encode())
    if f.special.endswith("symlink"):
        try:
            h.update(os.readlink(os.fsencode(f.absolute)))
        except OSError:
            pass
    return f, h.hexdigest()


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back without hiding the real error: when DuckDB already aborted the transaction
    (a full disk on the .wal), ROLLBACK itself fails with "no transaction is active"."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


def raw_disk(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The folder of the warehouse file being built (what fills up while ingesting)."""
    try:
        row = con.execute("SELECT path FROM duckdb_databases() "
                          "WHERE database_name = current_database()").fetchall()
    except duckdb.Error:
        return None
    return Path(row[0][0]).parent if row and row[0][0] else None


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


def _deliver(con, f: RawFile, sha: str | None, replaces_path: bool, seen: set[str],
             delivery_id: int, run_id: str,
             read_and_validate: Callable[[], tuple[ReadResult, ValidationResult]]):
    """Record one new delivery: read, validate and stage it unless it is a copy or unsupported."""
    from chibo.read import FileRejected

    if replaces_path:
        _supersede(con, f.path)
    status, rows_read, rows_quar, error, warnings = "loaded", 0, 0, None, None
    unread = _not_read(f)
    if unread is not None:
        status, error = unread
    elif sha is None or sha in seen:   # (a file without a hash is unreadable, above)
        status = "duplicate"
    else:
        seen.add(sha)
        try:
            read, result = read_and_validate()
        except FileRejected as exc:   # the file's own problem; anything else fails the run
            status, error = "rejected", f"{exc.message_vi} / {exc.message_en}"
        else:
            assert f.kind is not None   # a delivery outside a kind folder is not read
            rows_read = result.rows_read
            _stage(con, f.kind, f.path, delivery_id, run_id, result.valid, result.quarantine)
            rows_quar = (result.quarantine.select("source_row").n_unique()
                         if result.quarantine.height else 0)
            warnings = "\n".join(read.warnings) or None   # one a line (a warning may hold "; ")
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
        con.execute(f"INSERT INTO staging.changed SELECT DISTINCT '{kind}', "
                    f"{CONTRACT[kind].key[0]} FROM _valid")
        con.unregister("_valid")
    if quarantine.height:
        con.register("_quar", quarantine)
        con.execute(
            "INSERT INTO staging.quarantine BY NAME SELECT *, ? AS delivery_id, ? AS run_id "
            "FROM _quar", [delivery_id, run_id])
        con.unregister("_quar")
