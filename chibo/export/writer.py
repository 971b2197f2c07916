"""Which report files a run writes, and where the big workbooks are written.

A night usually changes a few reports: the current year's, and the error lists of the units
that delivered. Writing every workbook again (nationally 7–10 s for each of the two biggest)
costs the same whatever changed. So each file's content has a digest —
everything the file shows except the as-of date of its title block — kept in `report_files`
with the file's size. A file whose digest and size equal what the published folder holds is
not written again: it stays as published, with the as-of date of the run that last changed it
(`report_files.as_of`). The digest also covers the code that lays files out (`layout`), so a
chibo that writes them differently rewrites them all.

Building a report's frames to know its digest costs too. A year's reports are built from the
model's tables of that year and the two before it (the HTML's trend) and the export's code:
`year_inputs` digests those (the model's digests per year, `model_year_inputs`, cover
everything the model read). A year whose inputs digest equals the one its published files
were built from is not built at all (`keep_year`): its files stay as published.

Workbooks are written in a pool of processes (`CHIBO_EXPORT_WORKERS`, default the machine's
cores, at most 2) once the run's workbooks add up to `POOL_MIN_CELLS` cells: a small export
(the worked example, a test) does not pay for starting them.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import multiprocessing
import os
from array import array
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from chibo.export import workbook
from chibo.export.workbook import Heading, Report, write_csv, write_text, write_xlsx
from chibo.warehouse import has_table

log = logging.getLogger(__name__)
POOL_MIN_CELLS = 2_000_000   # ≈ 2 s of writing: below it, starting the writers costs more
REPORT_FILES_DDL = ("CREATE TABLE IF NOT EXISTS report_files (path VARCHAR, digest VARCHAR, "
                    "bytes BIGINT, as_of DATE, inputs_digest VARCHAR);"
                    "ALTER TABLE report_files ADD COLUMN IF NOT EXISTS inputs_digest VARCHAR")
# the years of model tables a year's reports read: its own and the two before (the trend)
REPORT_YEARS_BACK = 2


def export_workers() -> int:
    """CHIBO_EXPORT_WORKERS, else the machine's cores up to 2 (0 or 1: no pool)."""
    raw = os.environ.get("CHIBO_EXPORT_WORKERS", "").strip()
    if raw:
        try:
            return max(int(raw), 0)
        except ValueError:
            pass
    return min(os.cpu_count() or 1, 2)


def _frame_digest(h: hashlib._Hash, df: pl.DataFrame) -> None:
    h.update(repr(list(df.schema.items())).encode())
    h.update(str(df.height).encode())
    if df.height and df.width:
        for seed in (0, 1):   # two 64-bit row hashes: a changed row goes unnoticed ~2^-128
            h.update(array("Q", df.hash_rows(seed=seed).to_list()).tobytes())


@functools.cache
def layout() -> bytes:
    """What lays a file out besides its content: the code that writes CSVs and workbooks
    (a new chibo that formats them differently rewrites every file) and the polars version
    (its row hashes are stable within one version only)."""
    return pl.__version__.encode() + hashlib.sha256(
        Path(workbook.__file__).read_bytes()).digest()


def _new_hash() -> hashlib._Hash:
    return hashlib.sha256(layout())


@functools.cache
def _export_code() -> bytes:
    """The code that builds the reports' frames and views."""
    folder = Path(__file__).resolve().parent
    return hashlib.sha256(b"".join(p.name.encode() + p.read_bytes()
                                   for p in sorted(folder.glob("*.py")))).digest()


def year_inputs(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """What each year's reports are built from (see the module docstring); none when the model
    left no digests (a warehouse of an older chibo): then every year's reports are built."""
    if not has_table(con, "model_year_inputs"):
        return {}
    digests = dict(con.execute("SELECT year, inputs_digest FROM model_year_inputs").fetchall())
    out = {}
    for year in digests:
        h = _new_hash()
        h.update(_export_code())
        h.update(repr([(y, digests[y]) for y in range(year - REPORT_YEARS_BACK, year + 1)
                       if y in digests]).encode())
        out[year] = h.hexdigest()
    return out


def csv_digest(df: pl.DataFrame) -> str:
    h = _new_hash()
    _frame_digest(h, df)
    return h.hexdigest()


def workbook_digest(report: Report, heading: Heading) -> str:
    """Everything the workbook shows but the as-of date."""
    h = _new_hash()
    h.update(repr((heading.issuer, heading.year, heading.rulebook)).encode())
    for s in report.sheets:
        h.update(repr((s.name, s.title, sorted(s.number_formats.items()), s.notes, s.indent,
                       s.wrap, s.empty_text)).encode())
        _frame_digest(h, s.frame)
    return h.hexdigest()


def text_digest(text: str, as_of: dt.date) -> str:
    """A text report's content without its as-of date (in the forms the reports print)."""
    for form in (as_of.isoformat(), as_of.strftime("%d/%m/%Y")):
        text = text.replace(form, "")
    h = _new_hash()
    h.update(text.encode())
    return h.hexdigest()


@dataclass
class _Entry:
    digest: str
    path: Path | None            # the file this run wrote; None when the published one stays
    bytes: int | None = None
    as_of: dt.date | None = None
    inputs: str | None = None    # what a year's file was built from (`year_inputs`)


class ReportWriter:
    """Writes a run's report files under `staged`, leaving out those the `published` folder
    already holds with the same content (`published=None`: write every file)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, staged: Path, published: Path | None,
                 as_of: dt.date, workers: int | None = None,
                 pool_min_cells: int = POOL_MIN_CELLS) -> None:
        self.con, self.staged, self.published, self.as_of = con, staged, published, as_of
        self.workers = export_workers() if workers is None else workers
        self.pool_min_cells = pool_min_cells
        self.pool_started = False
        con.execute(REPORT_FILES_DDL)
        self.previous = {p: _Entry(d, None, b, a, i) for p, d, b, a, i in con.execute(
            "SELECT path, digest, bytes, as_of, inputs_digest FROM report_files").fetchall()}
        self.entries: dict[str, _Entry] = {}
        self._cells = 0
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[tuple[Future[Path], tuple[Report, Heading, Path]]] = deque()

    # -- deciding -------------------------------------------------------------------------
    def _rel(self, path: Path) -> str:
        return path.relative_to(self.staged).as_posix()

    def _published_as_recorded(self, rel: str) -> bool:
        """A file edited, truncated or removed by hand is written again."""
        before = self.previous[rel]
        try:
            return self.published is not None and \
                (self.published / rel).stat().st_size == before.bytes
        except OSError:
            return False

    def _unchanged(self, rel: str, digest: str) -> bool:
        before = self.previous.get(rel)
        return before is not None and before.digest == digest and \
            self._published_as_recorded(rel)

    def _plan(self, path: Path, digest: str, inputs: str | None) -> bool:
        """Record the file; True when it must be written."""
        rel = self._rel(path)
        if self._unchanged(rel, digest):
            before = self.previous[rel]
            self.entries[rel] = _Entry(digest, None, before.bytes, before.as_of, inputs)
            return False
        self.entries[rel] = _Entry(digest, path, as_of=self.as_of, inputs=inputs)
        return True

    def keep_year(self, directory: Path, inputs: str | None) -> bool:
        """Keep every published file of a year's folder, without building its reports, when
        they were built from the same `inputs` and are there as recorded."""
        prefix = self._rel(directory) + "/"
        files = [rel for rel in self.previous if rel.startswith(prefix)]
        if inputs is None or not files or not all(
                self.previous[rel].inputs == inputs and self._published_as_recorded(rel)
                for rel in files):
            return False
        for rel in files:
            self.entries[rel] = self.previous[rel]
        return True

    # -- writing --------------------------------------------------------------------------
    def report(self, report: Report, heading: Heading, directory: Path,
               inputs: str | None = None) -> None:
        """The report's CSV (when it has one) and its workbook."""
        if report.csv is not None:
            path = directory / f"{report.stem}.csv"
            if self._plan(path, csv_digest(report.csv), inputs):
                write_csv(report.csv, path)
        path = directory / f"{report.stem}.xlsx"
        if self._plan(path, workbook_digest(report, heading), inputs):
            self._workbook(report, heading, path)

    def text(self, text: str, path: Path, inputs: str | None = None) -> None:
        if self._plan(path, text_digest(text, self.as_of), inputs):
            write_text(text, path)

    def _workbook(self, report: Report, heading: Heading, path: Path) -> None:
        self._cells += sum(s.frame.height * s.frame.width for s in report.sheets)
        if self._pool is None and self.workers > 1 and self._cells >= self.pool_min_cells:
            self._pool = ProcessPoolExecutor(self.workers,
                                             mp_context=multiprocessing.get_context("spawn"))
            self.pool_started = True
        if self._pool is None:
            write_xlsx(report, heading, path)
            return
        # a bounded queue: the frames waiting for a worker stay in this process's memory
        while len(self._pending) >= 2 * self.workers:
            self._wait_oldest()
        job = (report, heading, path)
        self._pending.append((self._pool.submit(write_xlsx, *job), job))

    def _wait_oldest(self) -> None:
        """The oldest queued workbook written. A pool that broke (a worker killed, or a
        calling script without a `__main__` guard, which the spawned workers re-run) does not
        fail the export: what it had not written is written here, with a warning."""
        future, job = self._pending.popleft()
        try:
            future.result()
        except BrokenProcessPool as exc:
            log.warning("workbook writers stopped (%s); writing the rest in this process", exc)
            jobs = [job, *(j for _, j in self._pending)]
            self._pending.clear()
            self.abandon()
            self.workers = 1
            for report, heading, path in jobs:
                write_xlsx(report, heading, path)

    def close(self) -> list[Path]:
        """Wait for the pool; record every file of this export in `report_files` (those
        written and those kept); return the paths written."""
        try:
            while self._pending:
                self._wait_oldest()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        written = [e.path for e in self.entries.values() if e.path is not None]
        for e in self.entries.values():
            if e.path is not None:
                e.bytes = e.path.stat().st_size
        files = pl.DataFrame(
            [(rel, e.digest, e.bytes, e.as_of, e.inputs)
             for rel, e in sorted(self.entries.items())],
            schema={"path": pl.String, "digest": pl.String, "bytes": pl.Int64,
                    "as_of": pl.Date, "inputs_digest": pl.String}, orient="row")
        self.con.execute("DELETE FROM report_files")
        self.con.register("_report_files_now", files)
        try:
            self.con.execute("INSERT INTO report_files BY NAME SELECT * FROM _report_files_now")
        finally:
            self.con.unregister("_report_files_now")
        return written

    def abandon(self) -> None:
        """After a failure: stop the pool without waiting for what is queued."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
