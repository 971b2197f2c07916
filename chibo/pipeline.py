"""The nightly job's stages, as plain functions over one private warehouse file.

`flows/` orchestrates these with Prefect; tests call them directly. Each stage works on
`ctx.con`, a connection to `<warehouse>.next-<run_id>`; only `publish` makes it visible.
"""
from __future__ import annotations

import datetime as dt
import shutil
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import duckdb

from chibo import warehouse as wh
from chibo.errors import ChiboError
from chibo.settings import Settings

__all__ = ["Settings", "RunContext", "RunSummary", "start_run", "ingest", "integrate", "model",
           "export", "publish", "abort_run", "run_all"]


@dataclass
class RunSummary:
    run_id: str
    as_of: dt.date
    mode: str
    files_by_status: dict[str, int]
    rows: dict[str, int]
    rows_by_kind: dict[str, dict[str, int]]
    levels_by_year: list[dict[str, Any]]
    stage_seconds: dict[str, float]
    warehouse: Path
    exports: Path
    messages: list[str]

    def table(self) -> list[dict[str, Any]]:
        """One row per kind: loaded / quarantined / pending / retracted."""
        return [{"kind": k, **v} for k, v in self.rows_by_kind.items()]

    def markdown(self) -> str:
        lines = [f"# chibo run {self.run_id} ({self.mode}, as of {self.as_of})", "",
                 f"Warehouse: `{self.warehouse}`  ", f"Exports: `{self.exports}`", "",
                 "## Files", "", "| status | files |", "| --- | --- |"]
        lines += [f"| {s} | {n} |" for s, n in sorted(self.files_by_status.items())]
        lines += ["", "## Rows", "", "| kind | loaded | quarantined | pending | retracted |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {k} | {v['loaded']} | {v['quarantined']} | {v['pending']} | {v['retracted']} |"
                  for k, v in self.rows_by_kind.items()]
        if self.levels_by_year:
            lines += ["", "## Organisations per level", "",
                      "| year | excellent | good | completed | failed | not classified | 4 tốt |",
                      "| --- | --- | --- | --- | --- | --- | --- |"]
            lines += [f"| {r['year']} | {r['excellent']} | {r['good']} | {r['completed']} | "
                      f"{r['failed']} | {r['not_classified']} | {r['four_good']} |"
                      for r in self.levels_by_year]
        lines += ["", "## Seconds per stage", "", "| stage | seconds |", "| --- | --- |"]
        lines += [f"| {s} | {t:.2f} |" for s, t in self.stage_seconds.items()]
        if self.messages:
            lines += ["", "## Files not loaded", ""] + [f"- {m}" for m in self.messages[:50]]
        return "\n".join(lines) + "\n"


@dataclass
class RunContext:
    settings: Settings
    run_id: str
    mode: str
    started_at: dt.datetime
    next_file: Path
    con: duckdb.DuckDBPyConnection
    rules: Any
    resources: ExitStack
    stage_seconds: dict[str, float] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[str], None] | None = None
    published: bool = False
    fingerprint: str = ""
    skipped: set[str] = field(default_factory=set)

    @property
    def next_exports(self) -> Path:
        """Where this run writes its reports until it publishes."""
        return self.settings.exports.with_name(f"{self.settings.exports.name}.next-{self.run_id}")

    def timed(self, stage: str, fn: Callable[[], Any]) -> Any:
        if self.progress:
            self.progress(f"{stage} …")
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + time.perf_counter() - t0

    def summary(self) -> RunSummary:
        ing = self.results.get("ingest")
        integ = self.results.get("integrate")
        files = dict(self.results.get("files_by_status", {}))
        rows_by_kind = {}
        if integ is not None:
            rows_by_kind = {k: {"loaded": integ.loaded.get(k, 0),
                                "quarantined": integ.quarantined.get(k, 0),
                                "pending": integ.pending.get(k, 0),
                                "retracted": integ.retracted.get(k, 0)} for k in integ.loaded}
        rows = {
            "read_new": ing.rows_read if ing else 0,
            "loaded": sum(v["loaded"] for v in rows_by_kind.values()),
            "quarantined": sum(v["quarantined"] for v in rows_by_kind.values()),
            "pending": sum(v["pending"] for v in rows_by_kind.values()),
            "retracted": sum(v["retracted"] for v in rows_by_kind.values()),
            "flags": integ.flags if integ else 0,
        }
        return RunSummary(self.run_id, self.settings.as_of, self.mode, files, rows, rows_by_kind,
                          self.results.get("levels_by_year", []), dict(self.stage_seconds),
                          self.settings.warehouse, self.settings.exports,
                          list(ing.messages) if ing else [])


def _load_rules(settings: Settings):
    from chibo.rulebooks import RulebookError, load_rulebooks
    try:
        return load_rulebooks(settings.rulebooks)
    except RulebookError as exc:
        raise ChiboError(f"rulebooks refused: {exc}") from None


def check_can_run(settings: Settings):
    """The reasons a run cannot start, raised as one-line errors; returns the rulebooks."""
    if not settings.raw.is_dir():
        raise ChiboError(f"raw folder not found: {settings.raw}")
    if settings.warehouse.is_dir():
        raise ChiboError(f"--warehouse must be a file path, not a folder: {settings.warehouse}")
    return _load_rules(settings)


def start_run(settings: Settings, rebuild: bool = False,
              progress: Callable[[str], None] | None = None) -> RunContext:
    """Lock the warehouse and open a private copy of it (an empty file for a rebuild)."""
    rules = check_can_run(settings)
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
    resources = ExitStack()
    try:
        resources.enter_context(wh.run_lock(settings.warehouse))
        next_file = wh.prepare_next(settings.warehouse, run_id, fresh=rebuild)
        for stale in settings.exports.parent.glob(f"{settings.exports.name}.next-*"):
            shutil.rmtree(stale, ignore_errors=True)   # reports of a killed run
        try:
            con = duckdb.connect(str(next_file), config=wh.duckdb_config())
        except duckdb.Error as exc:
            raise ChiboError(f"cannot open the warehouse copy {next_file}: {exc}") from None
        wh.ensure_schema(con)
    except BaseException:
        resources.close()
        raise
    return RunContext(settings, run_id, "rebuild" if rebuild else "run",
                      dt.datetime.now(dt.timezone.utc), next_file, con, rules, resources,
                      progress=progress, fingerprint=fingerprint(settings, rules))


def fingerprint(settings: Settings, rules) -> str:
    """What the derived tables depend on besides raw/: the as-of date, the rulebooks and the
    code that integrates, models and exports. Equal fingerprints and no new file: nothing to do."""
    import hashlib
    h = hashlib.sha256(settings.as_of.isoformat().encode())
    package = Path(__file__).resolve().parent
    sources = sorted([*package.glob("integrate/*.py"), *package.glob("model/**/*.sql"),
                      *package.glob("model/*.py"), *package.glob("export/*.py")])
    rulebook_files = sorted({f for rb in rules.rulebooks for f in rb.files})
    for path in [*sources, *map(Path, rulebook_files)]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _nothing_changed(ctx: RunContext) -> bool:
    """No new delivery, and the last run used the same as-of, rulebooks and code."""
    if ctx.mode == "rebuild" or ctx.results["ingest"].files_new:
        return False
    last = ctx.con.execute("SELECT fingerprint FROM runs WHERE status = 'completed' "
                           "ORDER BY finished_at DESC LIMIT 1").fetchall()
    return bool(last) and last[0][0] == ctx.fingerprint


def ingest(ctx: RunContext) -> dict:
    from chibo.integrate import ingest_raw

    def work():
        return ingest_raw(ctx.con, ctx.settings.raw, ctx.settings.as_of, ctx.run_id,
                          ctx.rules, ctx.progress)
    s = ctx.timed("ingest", work)
    ctx.results["ingest"] = s
    return {"files_new": s.files_new, "by_status": s.by_status, "rows_read": s.rows_read,
            "rows_quarantined": s.rows_quarantined}


def integrate(ctx: RunContext) -> dict:
    from chibo.integrate import current_counts, integrate_all

    if _nothing_changed(ctx):
        ctx.skipped.update({"integrate", "model"})
        s = ctx.timed("integrate", lambda: current_counts(ctx.con))
    else:
        s = ctx.timed("integrate", lambda: integrate_all(ctx.con, ctx.settings.allow_shrink,
                                                         ctx.settings.as_of,
                                                         _quota_share(ctx.rules)))
    ctx.results["integrate"] = s
    ctx.results["files_by_status"] = dict(ctx.con.execute(
        "SELECT status, count(*) FROM files WHERE NOT superseded GROUP BY status").fetchall())
    return {"loaded": s.loaded, "pending": s.pending, "quarantined": s.quarantined,
            "retracted": s.retracted, "flags": s.flags}


def _quota_share(rules) -> Callable[[int], Any]:
    """The ≤ 20% quota share of a year's rulebook (for the member_quota_exceeded flag)."""
    return lambda year: rules.for_year(year).thresholds["excellent_quota_share"]


def model(ctx: RunContext) -> dict:
    from chibo.model import build_model

    out = {} if "model" in ctx.skipped else \
        ctx.timed("model", lambda: build_model(ctx.con, ctx.settings.as_of, ctx.rules))
    ctx.results["levels_by_year"] = levels_by_year(ctx.con)
    return out if isinstance(out, dict) else {}


def levels_by_year(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute("""
        SELECT year,
               count(*) FILTER (level = 'excellent'), count(*) FILTER (level = 'good'),
               count(*) FILTER (level = 'completed'), count(*) FILTER (level = 'failed'),
               count(*) FILTER (level IS NULL), count(*) FILTER (four_good)
        FROM org_year_classification GROUP BY year ORDER BY year""").fetchall()
    names = ["year", "excellent", "good", "completed", "failed", "not_classified", "four_good"]
    return [dict(zip(names, r)) for r in rows]


def export(ctx: RunContext) -> dict:
    from chibo.export import document_warehouse, write_exports

    def work():
        document_warehouse(ctx.con)
        # reports go live with the warehouse they come from: written aside, moved in by publish
        return write_exports(ctx.con, ctx.next_exports, ctx.settings.as_of)
    if "model" in ctx.skipped and (ctx.settings.exports / "du-lieu-loi.csv").exists():
        ctx.skipped.add("export")   # the reports of this very state are already there
        return {"exports": []}
    paths = ctx.timed("export", work)
    return {"exports": [str(ctx.settings.exports / Path(p).relative_to(ctx.next_exports))
                        for p in paths or []]}


def publish(ctx: RunContext) -> dict:
    def work():
        s = ctx.summary()
        counts = ctx.con.execute("""
            SELECT count(*) FILTER (status = 'loaded'), count(*) FILTER (status = 'rejected'),
                   count(*) FILTER (status = 'duplicate'),
                   count(*) FILTER (status = 'unsupported_format')
            FROM files WHERE first_run_id = ?""", [ctx.run_id]).fetchall()[0]
        classified = ctx.con.execute(
            "SELECT count(*) FROM org_year_classification WHERE level IS NOT NULL"
        ).fetchall()[0][0] if _has_table(ctx.con, "org_year_classification") else 0
        sec = ctx.stage_seconds
        ctx.con.execute(
            "INSERT INTO runs VALUES (?, ?, now(), ?, 'completed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ctx.run_id, ctx.started_at, ctx.settings.as_of, ctx.mode, ctx.fingerprint,
             ", ".join(sorted(ctx.skipped)) or None,
             ctx.results["ingest"].files_new if "ingest" in ctx.results else 0, *counts,
             s.rows["read_new"], s.rows["loaded"], s.rows["quarantined"], s.rows["pending"],
             s.rows["retracted"], s.rows["flags"], classified,
             sec.get("ingest"), sec.get("integrate"), sec.get("model"), sec.get("export"),
             sec.get("publish")])
        wh.publish_file(ctx.con, ctx.next_file, ctx.settings.warehouse)
        ctx.published = True
        wh.publish_exports(ctx.next_exports, ctx.settings.exports)
        _log_run(ctx, "completed")
    try:
        ctx.timed("publish", work)
    finally:
        ctx.resources.close()
    return {"warehouse": str(ctx.settings.warehouse), "run_id": ctx.run_id}


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
                            "AND schema_name = 'main'", [name]).fetchall()[0][0])


def run_log_path(settings: Settings) -> Path:
    """Every run, failed ones too, one JSON line each (`runs` keeps only published runs)."""
    return settings.warehouse.with_name(settings.warehouse.name + ".runs.jsonl")


def _log_run(ctx: RunContext, status: str, error: BaseException | None = None) -> None:
    import json
    entry = {"run_id": ctx.run_id, "mode": ctx.mode, "as_of": ctx.settings.as_of.isoformat(),
             "started_at": ctx.started_at.isoformat(),
             "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(), "status": status,
             "error": f"{type(error).__name__}: {error}" if error else None,
             "stage_seconds": {k: round(v, 3) for k, v in ctx.stage_seconds.items()}}
    try:
        with open(run_log_path(ctx.settings), "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    except OSError:
        pass   # the log is a convenience; never fail a run over it


def abort_run(ctx: RunContext, error: BaseException | None = None) -> None:
    """Drop the private file; the published warehouse stays as it was."""
    if ctx.published:
        return
    try:
        ctx.con.close()
    except Exception:
        pass
    wh.discard_next(ctx.next_file)
    shutil.rmtree(ctx.next_exports, ignore_errors=True)
    _log_run(ctx, "failed", error)
    ctx.resources.close()


def run_all(settings: Settings, rebuild: bool = False,
            progress: Callable[[str], None] | None = None) -> RunSummary:
    """The whole job without Prefect (library tests; the flow does the same with tasks)."""
    ctx = start_run(settings, rebuild=rebuild, progress=progress)
    try:
        for stage in (ingest, integrate, model, export):
            stage(ctx)
        summary = ctx.summary()
        publish(ctx)
    except BaseException as exc:
        abort_run(ctx, exc)
        raise
    return summary
