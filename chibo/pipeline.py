"""The nightly job's stages, as plain functions over one private warehouse file.

`flows/` orchestrates these with Prefect; tests call them directly. Each stage works on
`ctx.con`, a connection to `<warehouse>.next-<run_id>`; only `publish` makes it visible.

Failures (docs/reliability.md): a stage that raises anything but a `ChiboError` fails the run
as a `StageFailed` naming the stage (and, in ingest, the file); `abort_run` drops the private
file and the staged reports and logs the run to `<warehouse>.runs.jsonl`, from where the next
publishing run adds it to `runs`. Publishing is warehouse rename, then reports, then the
marker `<warehouse>.published`: a run that starts and finds the marker not naming the
warehouse's last run knows the reports are out of step (it re-exports, and records that run
`interrupted` or `published_with_errors`).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import duckdb

from chibo import warehouse as wh
from chibo.errors import (
    STAGE_VI,
    ChiboError,
    PreflightError,
    PublishedWithErrors,
    StageFailed,
    describe,
    disk_full_message,
    free_bytes,
    human_bytes,
    is_disk_full,
    nearest_existing,
    one_line,
)
from chibo.settings import Settings, kill_point, min_free_bytes

__all__ = ["Settings", "RunContext", "RunSummary", "preflight", "start_run", "ingest",
           "integrate", "model", "export", "publish", "abort_run", "run_all", "recent_runs"]


#: `files.status` as a person reads it, Vietnamese first
FILE_STATUS_VI_EN = {"loaded": "đã nạp / loaded", "rejected": "bị từ chối / rejected",
                     "duplicate": "trùng lặp / duplicate",
                     "unsupported_format": "định dạng không hỗ trợ / unsupported format"}
#: the lists a summary shows before "… và N … khác / … and N more" (the full list of problem
#: rows is du-lieu-loi.csv); what a run keeps in memory of each list
SHOWN_FILES, SHOWN_LEVELS, SHOWN_MARKDOWN, KEPT = 20, 10, 50, 200
#: the temporary copy of the published classification, for the levels that changed
PREVIOUS_LEVELS = "night_previous_levels"
#: the temporary copy of each loaded file's quarantined and pending rows, for the files of
#: earlier runs that this run changed
PREVIOUS_FILES = "night_previous_files"


@dataclass
class ThisRun:
    """What this run did, read set-based from the warehouse it built: the files it recorded
    (`files.first_run_id`), the rows of earlier files whose state it changed, and the
    org-years whose level differs from the published warehouse it started from."""
    raw: Path
    error_list: Path                 # exports/du-lieu-loi.csv (+ .xlsx)
    error_lists_by_unit: Path        # exports/loi-theo-don-vi/
    raw_has_data: bool = True
    new_files_by_status: dict[str, int] = field(default_factory=dict)
    # new files with quarantined or pending rows, or not loaded (the first KEPT): path, kind,
    # status, rows_read, rows_loaded, rows_quarantined, rows_pending, error
    problem_files: list[dict[str, Any]] = field(default_factory=list)
    problem_files_total: int = 0
    # files of earlier runs whose quarantined or pending rows this run changed (a new org
    # resolves pending members, …): path, quarantined_before, quarantined, pending_before, pending
    earlier_files: list[dict[str, Any]] = field(default_factory=list)
    earlier_files_total: int = 0
    levels_compared: bool = True     # False: the published classification could not be read
    levels_changed: int = 0          # org-years in both, with another level
    levels_new: int = 0              # org-years the published warehouse did not have
    levels_gone: int = 0             # org-years it had that this run no longer has
    # the first KEPT changes, latest year first: org_id, name, year, before, after
    level_changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def new_files(self) -> int:
        return sum(self.new_files_by_status.values())

    def as_dict(self) -> dict[str, Any]:
        """Plain data (JSON types only), as the flow returns it."""
        import dataclasses
        return {k: str(v) if isinstance(v, Path) else v
                for k, v in dataclasses.asdict(self).items()} | {"new_files": self.new_files}


def level_label(level: str | None) -> str:
    """A level as a person reads it: "HTTNV (good)", "chưa xếp loại (not classified)"."""
    from chibo.contract import LEVEL_SHORT_VI
    if not level:
        return "chưa xếp loại (not classified)"
    return f"{LEVEL_SHORT_VI.get(level, level)} ({level})"


def _statuses(counts: dict[str, int]) -> str:
    return ", ".join(f"{FILE_STATUS_VI_EN.get(s, s)} {n}" for s, n in sorted(counts.items()))


def _file_list(heading: str, shown: list[str], total: int) -> list[str]:
    """A heading, the files shown (at most SHOWN_FILES) and how many more there are."""
    if not total:
        return []
    more = [_more(total - len(shown), "tệp", "files")] if total > len(shown) else []
    return [f"  {heading}", *(f"    {line}" for line in [*shown, *more])]


def _file_line(f: dict[str, Any]) -> str:
    """One new file: its row counts, or why it was not loaded."""
    if f["status"] == "loaded":
        return (f"{f['path']}: đọc / read {f['rows_read']}, nạp / loaded {f['rows_loaded']}, "
                f"bị loại / quarantined {f['rows_quarantined']}, chờ / pending "
                f"{f['rows_pending']}")
    line = f"{f['path']}: {FILE_STATUS_VI_EN.get(f['status'], f['status'])}"
    return line + (f" — {one_line(f['error'], 300)}" if f.get("error") else "")


def _earlier_line(f: dict[str, Any]) -> str:
    parts = []
    if f["quarantined"] != f["quarantined_before"]:
        parts.append(f"bị loại / quarantined {f['quarantined_before']} → {f['quarantined']}")
    if f["pending"] != f["pending_before"]:
        parts.append(f"chờ / pending {f['pending_before']} → {f['pending']}")
    return f"{f['path']}: " + ", ".join(parts)


def _level_line(c: dict[str, Any]) -> str:
    name = f" ({c['name']})" if c.get("name") else ""
    return (f"{c['org_id']}{name} {c['year']}: {level_label(c['before'])} → "
            f"{level_label(c['after'])}")


def _levels_headline(t: ThisRun) -> str:
    if not t.levels_compared:
        return ("Xếp loại: không đọc được xếp loại của kho đã công bố để so sánh / levels: "
                "the published classification could not be read to compare")
    return (f"Xếp loại thay đổi so với lần công bố trước / levels changed since the last "
            f"published run: {t.levels_changed} tổ chức-năm / org-years (mới / new "
            f"{t.levels_new}, không còn / gone {t.levels_gone})")


def _more(n: int, what_vi: str, what_en: str) -> str:
    return f"… và {n} {what_vi} khác / … and {n} more {what_en}"


MODE_VI_EN = {"run": "chạy / run", "rebuild": "dựng lại / rebuild"}
STAGE_VI_EN = {stage: f"{vi} / {stage}" for stage, vi in STAGE_VI.items()}
LEVELS_HEAD = ("năm/year", "HTXSNV", "HTTNV", "HTNV", "KHTNV", "chưa xếp loại", "4 tốt")


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
    this_run: ThisRun | None = None
    skipped: list[str] = field(default_factory=list)

    def table(self) -> list[dict[str, Any]]:
        """One row per kind: loaded / quarantined / pending / retracted."""
        return [{"kind": k, **v} for k, v in self.rows_by_kind.items()]

    @property
    def nothing_to_show(self) -> bool:
        """raw/ holds no data file and the warehouse has recorded none: the summary is the
        one line that says so."""
        return self.this_run is not None and not self.this_run.raw_has_data and \
            not self.files_by_status

    def _no_data_line(self) -> list[str]:
        t = self.this_run
        if t is None or t.raw_has_data:
            return []
        return [f"raw/ chưa có tệp dữ liệu nào / raw/ holds no data file yet: {t.raw}"]

    def _skipped_line(self) -> list[str]:
        if not self.skipped:
            return []
        return ["Không có gì mới so với lần chạy trước, bỏ qua / nothing new since the last "
                "run, skipped: " + ", ".join(STAGE_VI_EN.get(s, s) for s in self.skipped)]

    def lines(self) -> list[str]:
        """The run summary `chibo run` prints, Vietnamese first: this run's work (new files
        by status, the files with rows not loaded, earlier files this run changed, levels
        changed, where the error list is), then the totals of the warehouse."""
        out = self._no_data_line()
        if self.nothing_to_show:
            return out
        out.append(f"Lần chạy này / This run: {self.run_id} "
                   f"({MODE_VI_EN.get(self.mode, self.mode)}, ngày chốt / as of {self.as_of})")
        out += ["  " + s for s in self._skipped_line()]
        t = self.this_run
        if t is not None:
            out.append(f"  Tệp mới / new files: {t.new_files}"
                       + (f" ({_statuses(t.new_files_by_status)})" if t.new_files else ""))
            out += _file_list("Tệp mới có dòng bị loại hoặc đang chờ, hoặc không được nạp / "
                              "new files with quarantined or pending rows, or not loaded:",
                              [_file_line(f) for f in t.problem_files[:SHOWN_FILES]],
                              t.problem_files_total)
            out += _file_list("Tệp của các lần trước có số dòng thay đổi / files of earlier "
                              "runs whose row counts changed:",
                              [_earlier_line(f) for f in t.earlier_files[:SHOWN_FILES]],
                              t.earlier_files_total)
            out.append("  " + _levels_headline(t))
            out += [f"    {_level_line(c)}" for c in t.level_changes[:SHOWN_LEVELS]]
            if t.levels_changed > SHOWN_LEVELS:
                out.append("    " + _more(t.levels_changed - SHOWN_LEVELS, "tổ chức-năm",
                                          "org-years"))
            out.append(f"  Danh sách dữ liệu lỗi / error list: {t.error_list} (và / and .xlsx);"
                       f" theo đơn vị / per unit: {t.error_lists_by_unit}/")
        out.append("Tổng trong kho dữ liệu / totals in the warehouse:")
        out.append("  Tệp / files: " + (_statuses(self.files_by_status) or "0"))
        out.append(f"  Dòng / rows: nạp / loaded {self.rows.get('loaded', 0)}, bị loại / "
                   f"quarantined {self.rows.get('quarantined', 0)}, chờ / pending "
                   f"{self.rows.get('pending', 0)}")
        if self.levels_by_year:
            rows = [(r["year"], r["excellent"], r["good"], r["completed"], r["failed"],
                     r["not_classified"], r["four_good"]) for r in self.levels_by_year]
            widths = [max(len(str(x)) for x in col) for col in zip(LEVELS_HEAD, *rows)]
            out += ["  " + "  ".join(str(x).rjust(w) for x, w in zip(row, widths))
                    for row in (LEVELS_HEAD, *rows)]
        out.append(f"Kho dữ liệu / warehouse: {self.warehouse}")
        out.append(f"Báo cáo / exports: {self.exports}")
        return out

    def markdown(self) -> str:
        """The Prefect artifact `chibo-nightly-summary`: the same as `lines`, as tables."""
        def cell(value: Any) -> str:
            return str(value).replace("|", "\\|").replace("\n", " ")

        out = self._no_data_line()
        if self.nothing_to_show:
            return "\n".join(out) + "\n"
        t = self.this_run
        lines = [f"# Lần chạy chibo / chibo run {self.run_id}", "",
                 f"{MODE_VI_EN.get(self.mode, self.mode)}, ngày chốt / as of {self.as_of}", ""]
        lines += [*out, ""] if out else []
        lines += [f"Kho dữ liệu / Warehouse: `{self.warehouse}`  ",
                  f"Báo cáo / Exports: `{self.exports}`  "]
        if t is not None:
            lines += [f"Danh sách dữ liệu lỗi / Error list: `{t.error_list}` (và / and .xlsx); "
                      f"theo đơn vị / per unit: `{t.error_lists_by_unit}/`"]
        lines += ["", "## Lần chạy này / This run", ""]
        lines += [*self._skipped_line(), ""] if self.skipped else []
        if t is not None:
            lines += [f"### Tệp mới theo tình trạng / New files by status: {t.new_files}", ""]
            if t.new_files:
                lines += ["| tình trạng / status | tệp / files |", "| --- | --- |"]
                lines += [f"| {FILE_STATUS_VI_EN.get(s, s)} | {n} |"
                          for s, n in sorted(t.new_files_by_status.items())]
                lines.append("")
            if t.problem_files_total:
                lines += ["### Tệp mới có dòng bị loại hoặc đang chờ, hoặc không được nạp / "
                          "New files with quarantined or pending rows, or not loaded", "",
                          "| tệp / file | tình trạng / status | đọc / read | nạp / loaded | "
                          "bị loại / quarantined | chờ / pending | lỗi / error |",
                          "| --- | --- | --- | --- | --- | --- | --- |"]
                lines += [f"| {cell(f['path'])} | {FILE_STATUS_VI_EN.get(f['status'], f['status'])}"
                          f" | {f['rows_read']} | {f['rows_loaded']} | {f['rows_quarantined']} | "
                          f"{f['rows_pending']} | {cell(one_line(f.get('error') or '', 300))} |"
                          for f in t.problem_files[:SHOWN_MARKDOWN]]
                if t.problem_files_total > SHOWN_MARKDOWN:
                    lines += ["", _more(t.problem_files_total - SHOWN_MARKDOWN, "tệp", "files")]
                lines.append("")
            if t.earlier_files_total:
                lines += ["### Tệp của các lần trước có số dòng thay đổi / Files of earlier runs "
                          "whose row counts changed", "",
                          "| tệp / file | bị loại trước / quarantined before | bị loại / "
                          "quarantined | chờ trước / pending before | chờ / pending |",
                          "| --- | --- | --- | --- | --- |"]
                lines += [f"| {cell(f['path'])} | {f['quarantined_before']} | {f['quarantined']}"
                          f" | {f['pending_before']} | {f['pending']} |"
                          for f in t.earlier_files[:SHOWN_MARKDOWN]]
                if t.earlier_files_total > SHOWN_MARKDOWN:
                    lines += ["", _more(t.earlier_files_total - SHOWN_MARKDOWN, "tệp", "files")]
                lines.append("")
            lines += ["### " + _levels_headline(t), ""]
            if t.level_changes:
                lines += ["| tổ chức / org | tên / name | năm / year | trước / before | "
                          "sau / after |", "| --- | --- | --- | --- | --- |"]
                lines += [f"| {cell(c['org_id'])} | {cell(c.get('name') or '')} | {c['year']} | "
                          f"{level_label(c['before'])} | {level_label(c['after'])} |"
                          for c in t.level_changes[:SHOWN_MARKDOWN]]
                if t.levels_changed > SHOWN_MARKDOWN:
                    lines += ["", _more(t.levels_changed - SHOWN_MARKDOWN, "tổ chức-năm",
                                        "org-years")]
                lines.append("")
        lines += ["## Tổng trong kho dữ liệu / Totals in the warehouse", "",
                  "### Tệp theo tình trạng / Files by status", "",
                  "| tình trạng / status | tệp / files |", "| --- | --- |"]
        lines += [f"| {FILE_STATUS_VI_EN.get(s, s)} | {n} |"
                  for s, n in sorted(self.files_by_status.items())]
        lines += ["", "### Dòng theo loại dữ liệu / Rows per kind", "",
                  "| loại dữ liệu / kind | nạp / loaded | bị loại / quarantined | chờ / pending | "
                  "rút lại / retracted |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {k} | {v['loaded']} | {v['quarantined']} | {v['pending']} | {v['retracted']} |"
                  for k, v in self.rows_by_kind.items()]
        if self.levels_by_year:
            lines += ["", "### Tổ chức theo mức xếp loại / Organisations per level", "",
                      "| năm / year | HTXSNV (excellent) | HTTNV (good) | HTNV (completed) | "
                      "KHTNV (failed) | chưa xếp loại / not classified | 4 tốt |",
                      "| --- | --- | --- | --- | --- | --- | --- |"]
            lines += [f"| {r['year']} | {r['excellent']} | {r['good']} | {r['completed']} | "
                      f"{r['failed']} | {r['not_classified']} | {r['four_good']} |"
                      for r in self.levels_by_year]
        lines += ["", "### Thời gian theo bước / Seconds per stage", "",
                  "| bước / stage | giây / seconds |", "| --- | --- |"]
        lines += [f"| {STAGE_VI_EN.get(s, s)} | {t_:.2f} |" for s, t_ in self.stage_seconds.items()]
        return "\n".join(lines) + "\n"


def json_cell(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


#: the table artifact's sections and measures, as a person reads them (Vietnamese first)
SECTIONS = {
    "raw": "raw/",
    "new_files": "lần chạy này: tệp mới / this run: new files",
    "problem_files": "lần chạy này: tệp có dòng bị loại, đang chờ hoặc không được nạp / "
                     "this run: files with quarantined or pending rows, or not loaded",
    "earlier_files": "lần chạy này: tệp cũ có số dòng thay đổi / "
                     "this run: earlier files whose row counts changed",
    "levels": "lần chạy này: xếp loại thay đổi / this run: levels changed",
    "error_list": "danh sách dữ liệu lỗi / error list",
    "files": "tổng: tệp / totals: files",
    "rows": "tổng: dòng / totals: rows",
    "orgs per level": "tổng: tổ chức theo mức / totals: orgs per level",
    "seconds per stage": "thời gian theo bước / seconds per stage",
}
MEASURES = {
    "files": "tệp / files", "rows_read": "đọc / read", "rows_loaded": "nạp / loaded",
    "loaded": "nạp / loaded", "rows_quarantined": "bị loại / quarantined",
    "quarantined": "bị loại / quarantined", "rows_pending": "chờ / pending",
    "pending": "chờ / pending", "retracted": "rút lại / retracted",
    "status": "tình trạng / status", "error": "lỗi / error",
    "quarantined_before": "bị loại trước / quarantined before",
    "pending_before": "chờ trước / pending before",
    "excellent": "HTXSNV", "good": "HTTNV", "completed": "HTNV", "failed": "KHTNV",
    "not_classified": "chưa xếp loại / not classified", "four_good": "4 tốt",
    "seconds": "giây / seconds", "changed": "thay đổi / changed", "new": "mới / new",
    "gone": "không còn / gone", "before": "trước / before", "after": "sau / after",
    "path": "đường dẫn / path", "no_data_file": "chưa có tệp dữ liệu nào / holds no data file",
}


def summary_table(summary: Any, stage_seconds: dict[str, float]) -> list[dict]:
    """One long table of the run, this run first (new files by status, the files with rows
    not loaded, earlier files whose counts changed, levels changed, the error list), then
    the totals: files by status, rows per kind, orgs per level, time."""
    rows: list[dict] = []

    def add(section: str, item: Any, measure: str, value: Any) -> None:
        rows.append({"section": SECTIONS.get(section, section), "item": json_cell(item),
                     "measure": MEASURES.get(measure, measure), "value": json_cell(value)})

    def status(code: Any) -> Any:
        return FILE_STATUS_VI_EN.get(code, code)

    this_run = getattr(summary, "this_run", None)
    if this_run is not None:
        if not this_run.raw_has_data:
            add("raw", str(this_run.raw), "no_data_file", True)
        for code, n in sorted(this_run.new_files_by_status.items()):
            add("new_files", status(code), "files", n)
        for f in this_run.problem_files[:SHOWN_MARKDOWN]:
            add("problem_files", f["path"], "status", status(f["status"]))
            for measure in ("rows_read", "rows_loaded", "rows_quarantined", "rows_pending"):
                add("problem_files", f["path"], measure, f[measure])
            if f.get("error"):
                add("problem_files", f["path"], "error", f["error"])
        for f in this_run.earlier_files[:SHOWN_MARKDOWN]:
            for measure in ("quarantined_before", "quarantined", "pending_before", "pending"):
                add("earlier_files", f["path"], measure, f[measure])
        if this_run.levels_compared:
            for measure in ("changed", "new", "gone"):
                add("levels", "tổ chức-năm / org-years", measure,
                    getattr(this_run, f"levels_{measure}"))
            for c in this_run.level_changes[:SHOWN_MARKDOWN]:
                org = f"{c['org_id']} {c['year']}" + (f" ({c['name']})" if c.get("name") else "")
                add("levels", org, "before", level_label(c["before"]))
                add("levels", org, "after", level_label(c["after"]))
        add("error_list", "du-lieu-loi", "path", str(this_run.error_list))
        add("error_list", "loi-theo-don-vi", "path", f"{this_run.error_lists_by_unit}/")
    for code, n in sorted((getattr(summary, "files_by_status", None) or {}).items()):
        add("files", status(code), "files", n)
    for kind, counts in (getattr(summary, "rows_by_kind", None) or {}).items():
        for measure, n in counts.items():
            add("rows", kind, measure, n)
    for level_row in getattr(summary, "levels_by_year", None) or []:
        year = level_row.get("year")
        for measure, n in level_row.items():
            if measure != "year":
                add("orgs per level", year, measure, n)
    for stage, seconds in stage_seconds.items():
        add("seconds per stage", STAGE_VI_EN.get(stage, stage), "seconds", round(float(seconds), 3))
    return rows


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
    stage: str = "start"              # the stage working now (named by a failure)
    reports_stale: bool = False       # the published reports are not those of the warehouse
    logged: bool = False              # this run's line is in the run log

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
                          list(ing.messages) if ing else [], self.this_run(),
                          sorted(self.skipped))

    def this_run(self) -> ThisRun:
        """What this run did, from what the stages recorded in `results` (never the
        connection: the flow asks after publishing, when it is closed)."""
        from chibo.export.errors import ERRORS_FILE, UNIT_DIR
        exports = self.settings.exports
        t = ThisRun(self.settings.raw, exports / f"{ERRORS_FILE}.csv", exports / UNIT_DIR,
                    raw_has_data=self.results.get("raw_has_data", True))
        for part in ("new_files", "levels"):
            for name, value in self.results.get(f"this_run_{part}", {}).items():
                setattr(t, name, value)
        return t


def _load_rules(settings: Settings):
    from chibo.rulebooks import RulebookError, load_rulebooks
    try:
        return load_rulebooks(settings.rulebooks)
    except RulebookError as exc:
        raise ChiboError(f"rulebooks refused: {exc}") from None


def check_can_run(settings: Settings):
    """The reasons a run cannot start, raised as one-line errors; returns the rulebooks."""
    if not settings.raw.is_dir():
        raise ChiboError(f"không thấy thư mục raw / raw folder not found: {settings.raw}")
    if settings.warehouse.is_dir():
        raise ChiboError(f"--warehouse phải là đường dẫn tệp, không phải thư mục / "
                         f"--warehouse must be a file path, not a folder: {settings.warehouse}")
    return _load_rules(settings)


def _writable(folder: Path) -> str | None:
    """None if a file can be created in `folder` (tried for real: root ignores modes, a
    read-only mount does not), else the problem in Vietnamese / English."""
    import errno
    import tempfile
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".chibo-preflight-")
    except OSError as exc:
        if exc.errno == errno.EROFS:
            return "hệ thống tệp chỉ đọc / read-only file system"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "không có quyền ghi / permission denied"
        if is_disk_full(exc):
            return "ổ đĩa đầy / no space left on the device"
        return f"không ghi được / cannot write: {exc.strerror}"
    os.close(fd)
    os.unlink(name)
    return None


def preflight(settings: Settings, prefect_home: Path | None = None) -> None:
    """Before anything starts (Prefect's server included): every folder the run writes to is
    writable and its disk has room, else one line naming the folder and the problem.

    Folders: the warehouse's (the private copy, the lock, the run log), the exports' (the
    reports and their staging folder beside it) and, for `chibo run`, the Prefect home. Room:
    CHIBO_MIN_FREE_MB (default 100 MB) on each disk, plus the size of the published
    warehouse on the warehouse's disk (the copy a run works on) less the leftovers of a
    killed run, which are removed before copying."""
    need = min_free_bytes()
    folders = [("thư mục kho dữ liệu", "the warehouse folder", settings.warehouse.parent),
               ("thư mục báo cáo", "the exports folder", settings.exports),
               ("thư mục chứa thư mục báo cáo", "the folder of the exports folder",
                settings.exports.parent)]
    if prefect_home is not None:
        folders.append(("thư mục của Prefect (PREFECT_HOME)", "the Prefect home", prefect_home))
    copy = 0
    if settings.warehouse.is_file():
        copy = settings.warehouse.stat().st_size
        for stale in settings.warehouse.parent.glob(f"{settings.warehouse.name}.next-*"):
            if stale.is_file():
                copy -= stale.stat().st_size
        copy = max(copy, 0)
    needs: dict[int, int] = {}
    checked: set[Path] = set()
    for vi, en, folder in folders:
        target = nearest_existing(folder)
        if target in checked:
            continue
        checked.add(target)
        if target != folder:   # created by the run: what is checked is where it will be made
            vi = f"{vi} {folder} (chưa có, nằm trong"
            en = f"{en} {folder} (not there yet, inside"
            target_vi, target_en = f"{target})", f"{target})"
        else:
            target_vi = target_en = str(target)
        if not target.is_dir():
            raise PreflightError(f"{vi} {target_vi} không phải là thư mục / {en} "
                                 f"{target_en} is not a folder")
        problem = _writable(target)
        if problem:
            vi_p, _, en_p = problem.partition(" / ")
            raise PreflightError(f"không ghi được vào {vi} {target_vi}: {vi_p} / cannot write "
                                 f"to {en} {target_en}: {en_p}")
        dev = target.stat().st_dev
        needs[dev] = needs.get(dev, 0) + (need if dev not in needs else 0) + \
            (copy if folder == settings.warehouse.parent else 0)
        free = free_bytes(target)
        if free is not None and free < needs[dev]:
            raise PreflightError(
                f"không đủ chỗ trống cho {vi} {target_vi}: còn {human_bytes(free)}, cần "
                f"{human_bytes(needs[dev])} / not enough free space for {en} {target_en}: "
                f"{human_bytes(free)} free, {human_bytes(needs[dev])} needed "
                "(CHIBO_MIN_FREE_MB sets the margin)")


def _new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


def start_run(settings: Settings, rebuild: bool = False,
              progress: Callable[[str], None] | None = None) -> RunContext:
    """Lock the warehouse and open a private copy of it (an empty file for a rebuild)."""
    run_id = _new_run_id()
    started = dt.datetime.now(dt.timezone.utc)
    mode = "rebuild" if rebuild else "run"
    resources = ExitStack()
    try:
        rules = check_can_run(settings)
        preflight(settings)
        resources.enter_context(wh.run_lock(settings.warehouse))
        # a run killed later (SIGKILL, power) leaves only this line: the next run shows it
        _log_entry(settings, run_id, mode, started, "started", None, None)
        next_file = wh.prepare_next(settings.warehouse, run_id, fresh=rebuild)
        for stale in settings.exports.parent.glob(f"{settings.exports.name}.next-*"):
            shutil.rmtree(stale, ignore_errors=True)   # reports of a killed run
        try:
            con = duckdb.connect(str(next_file), config=wh.duckdb_config())
        except duckdb.Error as exc:
            if is_disk_full(exc):
                raise ChiboError(disk_full_message(next_file.parent, "mở kho dữ liệu đang dựng",
                                                   "open the warehouse being built")) from None
            raise ChiboError(f"không mở được bản sao kho dữ liệu {next_file} / cannot open the "
                             f"warehouse copy {next_file}: {one_line(exc)}") from None
        try:
            wh.ensure_schema(con)
            if rebuild:   # the file is empty: what it replaces is read from the published one
                with _published_attached(con, settings.warehouse) as published:
                    if published:
                        _keep_run_history(con, published)
                    _remember_published(con, published, files=False)
            else:   # the run's file starts as a copy of the published one
                current = con.execute("SELECT current_database()").fetchall()[0][0]
                _remember_published(con, current, files=True)
            stale_reports = _settle_last_publish(con, settings)
            _add_logged_runs(con, settings, run_id)
            print_ = fingerprint(settings, rules, con)
        except BaseException:
            con.close()
            raise
    except BaseException as exc:
        resources.close()
        if isinstance(exc, Exception):
            _log_entry(settings, run_id, mode, started, "failed", exc, "start")
        raise
    ctx = RunContext(settings, run_id, mode, started, next_file, con, rules, resources,
                     progress=progress, fingerprint=print_, reports_stale=stale_reports)
    return ctx


@contextmanager
def _published_attached(con: duckdb.DuckDBPyConnection, published: Path) -> Iterator[str | None]:
    """The published warehouse attached read-only (its database name), or None when there is
    none or it cannot be opened: a damaged warehouse is what a rebuild is for."""
    if not published.is_file():
        yield None
        return
    try:
        con.execute(f"ATTACH '{str(published).replace(chr(39), chr(39) * 2)}' AS published_wh "
                    "(READ_ONLY)")
    except duckdb.Error:
        yield None
        return
    try:
        yield "published_wh"
    finally:
        con.execute("DETACH published_wh")



def _remember_published(con: duckdb.DuckDBPyConnection, database: str | None,
                        files: bool) -> None:
    """What the summary compares this run with, taken before any stage changes it, as two
    temporary tables: PREVIOUS_LEVELS, the published classification (org_id, year, level;
    absent if it cannot be read), and PREVIOUS_FILES, the quarantined and pending rows of each
    loaded file (empty for a rebuild, which reads every file anew). `database`: where the
    published state is (the run's own database for a run, which starts from a copy of it)."""
    try:
        if database and wh.has_table(con, "org_year_classification", database):
            levels = f"SELECT org_id, year, level FROM {database}.main.org_year_classification"
        else:
            levels = ("SELECT NULL::VARCHAR AS org_id, NULL::INTEGER AS year, "
                      "NULL::VARCHAR AS level WHERE false")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {PREVIOUS_LEVELS} AS {levels}")
    except duckdb.Error:
        con.execute(f"DROP TABLE IF EXISTS temp.main.{PREVIOUS_LEVELS}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {PREVIOUS_FILES} AS
        SELECT path, coalesce(rows_quarantined, 0) AS quarantined,
               coalesce(rows_pending, 0) AS pending
        FROM files WHERE NOT superseded AND status = 'loaded'{"" if files else " AND false"}""")


def _keep_run_history(con: duckdb.DuckDBPyConnection, published: str) -> None:
    """A rebuild starts from an empty file, but the runs it replaces stay in `runs`, and the
    report files the published folder holds stay known (`report_files`: unchanged ones are
    kept, those no longer written are removed at publish)."""
    try:
        cols = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = ? "
            "AND table_name = 'runs'", [published]).fetchall()}
        if cols:
            sel = ", ".join(c for c, _ in wh.RUNS_COLUMNS if c in cols)
            con.execute(f"INSERT INTO runs ({sel}) SELECT {sel} FROM {published}.main.runs")
        if wh.has_table(con, "report_files", published):
            con.execute(f"CREATE TABLE report_files AS FROM {published}.main.report_files")
    except duckdb.Error:
        pass   # runs of a damaged warehouse are lost with it


def _settle_last_publish(con: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
    """Did the last publishing run get its reports in place? The marker it writes last says
    so. If not (killed between the warehouse rename and the marker, or the reports failed to
    move), record it as such in `runs` and return True: this run re-exports."""
    last = con.execute("SELECT run_id, status FROM runs WHERE status IN "
                       f"{wh.PUBLISHED_STATUSES} ORDER BY finished_at DESC LIMIT 1").fetchall()
    if not last:
        return False
    run_id, status = last[0]
    marker = wh.read_marker(settings.warehouse)
    if marker and marker.get("run_id") == run_id and \
            marker.get("exports") == str(settings.exports):
        return False
    if marker and marker.get("run_id") == run_id:
        return True   # reports published elsewhere: write them here
    log = _read_log(settings)
    entry = _final_entries(log).get(run_id)
    started = any(e["run_id"] == run_id and e.get("status") == "started" for e in log)
    if entry is None and started and status == "completed":   # killed before its last line
        con.execute("UPDATE runs SET status = 'interrupted', stage = 'publish', error = ? "
                    "WHERE run_id = ?",
                    ["bị dừng giữa lúc công bố: kho dữ liệu đã thay, báo cáo có thể chưa khớp "
                     "(lần chạy sau ghi lại báo cáo) / killed while publishing: the warehouse "
                     "was replaced, the reports may not match it (the next run rewrites them)",
                     run_id])
    elif entry is not None and entry.get("status") == "published_with_errors" and \
            status != "published_with_errors":
        con.execute("UPDATE runs SET status = 'published_with_errors', stage = 'publish', "
                    "error = ? WHERE run_id = ?", [entry.get("error"), run_id])
    return True


KILLED_ERROR = ("bị dừng đột ngột (SIGKILL, mất điện, hết bộ nhớ…) trước khi ghi được lý do / "
                "killed (SIGKILL, power loss, out of memory…) before it could log why")


def _final_entries(log: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per run, its last line other than `started` (a run has none when it was killed)."""
    return {e["run_id"]: e for e in log if e.get("status") != "started"}


def _killed_entries(log: list[dict[str, Any]], current: str | None = None) -> list[dict]:
    """Runs that logged `started` and nothing after: killed (the lock says none is running)."""
    final = _final_entries(log)
    return [{**e, "status": "failed", "error": KILLED_ERROR, "stage": None}
            for e in log if e.get("status") == "started" and e["run_id"] not in final
            and e["run_id"] != current]


def _add_logged_runs(con: duckdb.DuckDBPyConnection, settings: Settings,
                     current: str) -> None:
    """Runs that published nothing (failed, stopped by the shrink guard, refused at start,
    killed) are only in the run log: add them to `runs`, so the next published warehouse
    shows them."""
    known = {r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()}
    log = _read_log(settings)
    for e in [*_final_entries(log).values(), *_killed_entries(log, current)]:
        if e.get("status") != "failed" or e.get("run_id") in known:
            continue
        known.add(e["run_id"])
        row = {"run_id": e["run_id"], "started_at": e.get("started_at"),
               "finished_at": e.get("finished_at"), "as_of": e.get("as_of"),
               "status": "failed", "mode": e.get("mode"), "error": e.get("error"),
               "stage": e.get("stage")}
        for stage_name, sec in (e.get("stage_seconds") or {}).items():
            if f"seconds_{stage_name}" in dict(wh.RUNS_COLUMNS):
                row[f"seconds_{stage_name}"] = sec
        _insert_run(con, row)


def _insert_run(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    """INSERT INTO runs by column name."""
    cols = [c for c, _ in wh.RUNS_COLUMNS if c in row]
    con.execute(f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [row[c] for c in cols])


def effective_as_of(as_of: dt.date) -> dict[str, Any]:
    """What the derived tables take from the as-of date: the model counts months and quarters
    that ended on or before it (so the last month-end on or before it decides), which years are
    complete, and the years it classifies run to the as-of year. Two as-of dates of one month
    give the same tables (organisation dates inside the month aside: see `fingerprint`)."""
    from chibo.model import last_month_end
    month_end = last_month_end(as_of)
    last_complete = as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1
    return {"month_end": month_end.isoformat(), "year": as_of.year,
            "last_complete_year": last_complete}


def fingerprint(settings: Settings, rules, con: duckdb.DuckDBPyConnection | None = None) -> str:
    """What the derived tables depend on besides raw/: the *effective* as-of (the last
    month-end on or before it, the as-of year, the complete years), the rulebooks, the data
    contract, the schemas and the code that integrates, models and exports. Equal
    fingerprints and no new file: nothing to do.

    Integrate checks a member's cell on the as-of day itself; so an organisation date
    (valid_from, established_on, dissolved_on) between the month-end and the as-of date is
    part of the fingerprint too (rare; such a night re-derives)."""
    import hashlib
    eff = effective_as_of(settings.as_of)
    if con is not None:
        try:
            eff["org_dates"] = [d.isoformat() for (d,) in con.execute("""
                SELECT DISTINCT d FROM (SELECT valid_from AS d FROM org_units
                    UNION ALL SELECT established_on FROM org_units
                    UNION ALL SELECT dissolved_on FROM org_units)
                WHERE d > ?::DATE AND d <= ?::DATE ORDER BY d""",
                [eff["month_end"], settings.as_of]).fetchall()]
        except duckdb.Error:   # not the table integrate writes: be safe, use the day itself
            eff["as_of"] = settings.as_of.isoformat()
    h = hashlib.sha256(json.dumps(eff, sort_keys=True).encode())
    root = Path(__file__).resolve().parent.parent
    rulebook_files = sorted({f for rb in rules.rulebooks for f in rb.files})
    for path in [*fingerprint_sources(), *map(Path, rulebook_files)]:
        try:
            name = path.relative_to(root).as_posix()
        except ValueError:
            name = path.name
        h.update(name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def fingerprint_sources() -> list[Path]:
    """The code and data the derived tables depend on: integrate, model and export, the data
    contract and the schemas (pandera models, shipped rulebooks)."""
    package = Path(__file__).resolve().parent
    schemas = package.parent / "schemas"
    return sorted([*package.glob("integrate/*.py"), *package.glob("model/**/*.sql"),
                   *package.glob("model/*.py"), *package.glob("export/*.py"),
                   package / "contract.py", *schemas.glob("**/*.py"), *schemas.glob("**/*.toml")])


def _same_fingerprint(ctx: RunContext) -> bool:
    """The last published run used the same effective as-of, rulebooks and code: only new
    deliveries can make this run's tables differ from it."""
    if ctx.mode == "rebuild":
        return False
    last = ctx.con.execute(f"SELECT fingerprint FROM runs WHERE status IN {wh.PUBLISHED_STATUSES}"
                           " ORDER BY finished_at DESC LIMIT 1").fetchall()
    return bool(last) and last[0][0] == ctx.fingerprint


def _nothing_changed(ctx: RunContext) -> bool:
    """No new delivery, and the same fingerprint as the last published run."""
    return not ctx.results["ingest"].files_new and _same_fingerprint(ctx)


def _guarded(ctx: RunContext, stage: str, fn: Callable[[], Any]) -> Any:
    """Run a stage; an exception that is not a `ChiboError` is the run's problem (a bug, a
    full disk, an I/O error): it becomes one `StageFailed` line naming the stage."""
    ctx.stage = stage
    try:
        return fn()
    except ChiboError:
        raise
    except Exception as exc:
        raise StageFailed(stage, None, exc, disk=ctx.next_file.parent) from exc


def ingest(ctx: RunContext) -> dict:
    from chibo.integrate import ingest_raw

    def work():
        return ingest_raw(ctx.con, ctx.settings.raw, ctx.settings.as_of, ctx.run_id,
                          ctx.rules, ctx.progress)
    s = _guarded(ctx, "ingest", lambda: ctx.timed("ingest", work))
    ctx.results["ingest"] = s
    ctx.results["raw_has_data"] = s.data_entries > 0
    return {"files_new": s.files_new, "by_status": s.by_status, "rows_read": s.rows_read,
            "rows_quarantined": s.rows_quarantined}


def integrate(ctx: RunContext) -> dict:
    return _guarded(ctx, "integrate", lambda: _integrate(ctx))


def _integrate(ctx: RunContext) -> dict:
    from chibo.integrate import current_counts, integrate_all, integrate_changed
    from chibo.model import keep_meeting_facts

    def work() -> Any:
        keep_meeting_facts(ctx.con)   # the years the model keeps need them
        args = (ctx.con, ctx.settings.allow_shrink, ctx.settings.as_of, _quota_share(ctx.rules))
        # only the new deliveries differ from the last published run: derive what they touch
        changed = integrate_changed(*args) if _same_fingerprint(ctx) else None
        return changed if changed is not None else integrate_all(*args)
    if _nothing_changed(ctx):
        ctx.skipped.update({"integrate", "model"})
        s = ctx.timed("integrate", lambda: current_counts(ctx.con))
    else:
        s = ctx.timed("integrate", work)
    ctx.results["integrate"] = s
    ctx.results["files_by_status"] = dict(ctx.con.execute(
        "SELECT status, count(*) FROM files WHERE NOT superseded GROUP BY status").fetchall())
    ctx.results["this_run_new_files"] = this_run_files(ctx.con, ctx.run_id)
    ctx.con.execute(f"DROP TABLE IF EXISTS temp.main.{PREVIOUS_FILES}")
    return {"loaded": s.loaded, "pending": s.pending, "quarantined": s.quarantined,
            "retracted": s.retracted, "flags": s.flags}


def this_run_files(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """The files this run recorded (`first_run_id`) by status; those of them with
    quarantined or pending rows or not loaded, with their counts; and the loaded files of
    earlier runs whose quarantined or pending rows changed since the start of the run
    (PREVIOUS_FILES). After integrate, which counts each file's rows."""
    by_status = dict(con.execute("SELECT status, count(*) FROM files WHERE first_run_id = ? "
                                 "GROUP BY status", [run_id]).fetchall())
    problem = """
        FROM files WHERE first_run_id = ? AND (status IN ('rejected', 'unsupported_format')
                                              OR rows_quarantined > 0 OR rows_pending > 0)"""
    total = con.execute(f"SELECT count(*) {problem}", [run_id]).fetchall()[0][0]
    files = _dicts(con.execute(f"""
        SELECT path, kind, status, coalesce(rows_read, 0) AS rows_read,
               coalesce(rows_loaded, 0) AS rows_loaded,
               coalesce(rows_quarantined, 0) AS rows_quarantined,
               coalesce(rows_pending, 0) AS rows_pending, error
        {problem} ORDER BY status = 'loaded', path LIMIT {KEPT}""", [run_id]))
    changed = f"""
        FROM files f JOIN {PREVIOUS_FILES} b USING (path)
        WHERE NOT f.superseded AND f.status = 'loaded' AND f.first_run_id IS DISTINCT FROM ?
          AND (b.quarantined, b.pending)
              <> (coalesce(f.rows_quarantined, 0), coalesce(f.rows_pending, 0))"""
    earlier_total = con.execute(f"SELECT count(*) {changed}", [run_id]).fetchall()[0][0]
    earlier = _dicts(con.execute(f"""
        SELECT path, b.quarantined AS quarantined_before,
               coalesce(f.rows_quarantined, 0) AS quarantined,
               b.pending AS pending_before, coalesce(f.rows_pending, 0) AS pending
        {changed} ORDER BY path LIMIT {KEPT}""", [run_id]))
    return {"new_files_by_status": by_status, "problem_files": files,
            "problem_files_total": total, "earlier_files": earlier,
            "earlier_files_total": earlier_total}


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def this_run_levels(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The org-years whose level differs from the published warehouse's (PREVIOUS_LEVELS,
    taken at the start of the run): changed (in both, another level), new, gone; the first
    KEPT changes, the latest year first. One join over org_year_classification."""
    if not wh.has_table(con, PREVIOUS_LEVELS, "temp"):
        return {"levels_compared": False}
    if not wh.has_table(con, "org_year_classification"):
        return {"levels_gone": con.execute(
            f"SELECT count(*) FROM {PREVIOUS_LEVELS}").fetchall()[0][0]}
    changed, new, gone = con.execute(f"""
        SELECT count(*) FILTER (c.org_id IS NOT NULL AND p.org_id IS NOT NULL
                                AND c.level IS DISTINCT FROM p.level),
               count(*) FILTER (p.org_id IS NULL), count(*) FILTER (c.org_id IS NULL)
        FROM org_year_classification c
        FULL JOIN {PREVIOUS_LEVELS} p ON p.org_id = c.org_id AND p.year = c.year""").fetchall()[0]
    name = "(SELECT y.name FROM org_years y WHERE y.org_id = c.org_id AND y.year = c.year " \
           "LIMIT 1)" if wh.has_table(con, "org_years") else "NULL"
    examples = [dict(zip(("org_id", "name", "year", "before", "after"), r)) for r in con.execute(f"""
        SELECT c.org_id, {name}, c.year, p.level, c.level
        FROM org_year_classification c JOIN {PREVIOUS_LEVELS} p USING (org_id, year)
        WHERE c.level IS DISTINCT FROM p.level
        ORDER BY c.year DESC, c.org_id LIMIT {KEPT}""").fetchall()]
    return {"levels_changed": changed, "levels_new": new, "levels_gone": gone,
            "level_changes": examples}


def _quota_share(rules) -> Callable[[int], Any]:
    """The ≤ 20% quota share of a year's rulebook (for the member_quota_exceeded flag)."""
    return lambda year: rules.for_year(year).thresholds["excellent_quota_share"]


def model(ctx: RunContext) -> dict:
    return _guarded(ctx, "model", lambda: _model(ctx))


def _model(ctx: RunContext) -> dict:
    from chibo.model import build_model

    out = {} if "model" in ctx.skipped else \
        ctx.timed("model", lambda: build_model(ctx.con, ctx.settings.as_of, ctx.rules))
    ctx.results["levels_by_year"] = levels_by_year(ctx.con)
    ctx.results["this_run_levels"] = this_run_levels(ctx.con)
    ctx.con.execute(f"DROP TABLE IF EXISTS temp.main.{PREVIOUS_LEVELS}")
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
    return _guarded(ctx, "export", lambda: _export(ctx))


def _export(ctx: RunContext) -> dict:
    from chibo.export import document_warehouse, write_exports

    def work():
        document_warehouse(ctx.con)
        before = set(report_paths(ctx.con))
        # reports go live with the warehouse they come from: written aside, moved in by
        # publish; a file the published folder holds with the same content stays as it is,
        # unless that folder may not match the warehouse it was published with
        written = write_exports(ctx.con, ctx.next_exports, ctx.settings.as_of,
                                published=None if ctx.reports_stale else ctx.settings.exports)
        ctx.results["reports_gone"] = sorted(before - set(report_paths(ctx.con)))
        return written
    if "model" in ctx.skipped and not ctx.reports_stale and \
            (ctx.settings.exports / "du-lieu-loi.csv").exists():
        ctx.skipped.add("export")   # the reports of this very state are already there
        return {"exports": []}
    paths = ctx.timed("export", work)
    return {"exports": [str(ctx.settings.exports / Path(p).relative_to(ctx.next_exports))
                        for p in paths or []]}


def report_paths(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The report files of the warehouse's last export, relative to the exports folder."""
    if not wh.has_table(con, "report_files"):
        return []
    return [r[0] for r in con.execute("SELECT path FROM report_files").fetchall()]


def publish(ctx: RunContext) -> dict:
    """CHECKPOINT, record the run, rename the warehouse into place, move the reports in, and
    last write the marker that says both are in place. A failure before the rename publishes
    nothing; a failure moving the reports is `published_with_errors` (one line, non-zero exit),
    and the next run rewrites the reports."""
    ctx.stage = "publish"
    if ctx.progress:
        ctx.progress("publish …")
    t0 = time.perf_counter()
    try:
        try:
            row = _run_row(ctx)
            ctx.con.execute("CHECKPOINT")   # the costly part of publishing, so it is measured
            row["seconds_publish"] = time.perf_counter() - t0
            _insert_run(ctx.con, row)
            kill_point("publish:before-warehouse")
            wh.publish_file(ctx.con, ctx.next_file, ctx.settings.warehouse)
        except ChiboError:
            raise
        except Exception as exc:
            raise StageFailed("publish", None, exc, disk=ctx.next_file.parent) from exc
        ctx.published = True
        kill_point("publish:after-warehouse")
        try:
            moved = wh.publish_exports(ctx.next_exports, ctx.settings.exports,
                                       after_each=lambda _: kill_point("publish:mid-reports"),
                                       remove=ctx.results.get("reports_gone", []))
            kill_point("publish:before-marker")
            wh.write_marker(ctx.settings.warehouse, {
                "run_id": ctx.run_id, "exports": str(ctx.settings.exports),
                "reports_moved": moved,
                "published_at": dt.datetime.now(dt.timezone.utc).isoformat()})
        except Exception as exc:
            ctx.stage_seconds["publish"] = time.perf_counter() - t0
            err = PublishedWithErrors(
                f"kho dữ liệu đã được công bố nhưng không chuyển được báo cáo vào "
                f"{ctx.settings.exports}, lần chạy sau sẽ ghi lại báo cáo / the warehouse was "
                f"published but the reports could not be moved into {ctx.settings.exports}; "
                f"the next run rewrites them: {describe(exc)}")
            _log_run(ctx, "published_with_errors", err)
            raise err from exc
        ctx.stage_seconds["publish"] = time.perf_counter() - t0
        _log_run(ctx, "completed")
    finally:
        ctx.resources.close()
    return {"warehouse": str(ctx.settings.warehouse), "run_id": ctx.run_id}


def _run_row(ctx: RunContext) -> dict[str, Any]:
    """This run's `runs` row, by column name."""
    s = ctx.summary()
    counts = ctx.con.execute("""
        SELECT count(*) FILTER (status = 'loaded'), count(*) FILTER (status = 'rejected'),
               count(*) FILTER (status = 'duplicate'),
               count(*) FILTER (status = 'unsupported_format')
        FROM files WHERE first_run_id = ?""", [ctx.run_id]).fetchall()[0]
    classified = ctx.con.execute(
        "SELECT count(*) FROM org_year_classification WHERE level IS NOT NULL"
    ).fetchall()[0][0] if wh.has_table(ctx.con, "org_year_classification") else 0
    sec = ctx.stage_seconds
    # over the tables as published (the org dates of this run's integration), which is what
    # the next run compares its own start-of-run fingerprint with
    ctx.fingerprint = fingerprint(ctx.settings, ctx.rules, ctx.con)
    return {
        "run_id": ctx.run_id, "started_at": ctx.started_at,
        "finished_at": dt.datetime.now(dt.timezone.utc), "as_of": ctx.settings.as_of,
        "status": "completed", "mode": ctx.mode, "fingerprint": ctx.fingerprint,
        "skipped": ", ".join(sorted(ctx.skipped)) or None,
        "files_new": ctx.results["ingest"].files_new if "ingest" in ctx.results else 0,
        "files_loaded": counts[0], "files_rejected": counts[1], "files_duplicate": counts[2],
        "files_unsupported": counts[3], "rows_read": s.rows["read_new"],
        "rows_loaded": s.rows["loaded"], "rows_quarantined": s.rows["quarantined"],
        "rows_pending": s.rows["pending"], "rows_retracted": s.rows["retracted"],
        "flags": s.rows["flags"], "orgs_classified": classified,
        "seconds_ingest": sec.get("ingest"), "seconds_integrate": sec.get("integrate"),
        "seconds_model": sec.get("model"), "seconds_export": sec.get("export")}


def run_log_path(settings: Settings | Path) -> Path:
    """Every run, failed ones too, one JSON line each, beside the warehouse. A run that
    publishes adds the failed ones to `runs`; `chibo status` reads both."""
    warehouse = settings.warehouse if isinstance(settings, Settings) else Path(settings)
    return warehouse.with_name(warehouse.name + ".runs.jsonl")


def _read_log(settings: Settings | Path) -> list[dict[str, Any]]:
    try:
        lines = run_log_path(settings).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue   # a line cut by a kill
        if isinstance(entry, dict) and entry.get("run_id"):
            out.append(entry)
    return out


def _error_line(error: BaseException | None) -> str | None:
    if error is None:
        return None
    return one_line(error) if isinstance(error, ChiboError) else describe(error)


def _log_entry(settings: Settings, run_id: str, mode: str, started_at: dt.datetime,
               status: str, error: BaseException | None, stage: str | None,
               stage_seconds: dict[str, float] | None = None) -> None:
    entry = {"run_id": run_id, "mode": mode, "as_of": settings.as_of.isoformat(),
             "started_at": started_at.isoformat(),
             "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(), "status": status,
             "stage": stage if status != "completed" else None,
             "error": _error_line(error),
             "stage_seconds": {k: round(v, 3) for k, v in (stage_seconds or {}).items()}}
    try:
        with open(run_log_path(settings), "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    except OSError:
        pass   # the log is a convenience; never fail a run over it


def _log_run(ctx: RunContext, status: str, error: BaseException | None = None) -> None:
    _log_entry(ctx.settings, ctx.run_id, ctx.mode, ctx.started_at, status, error, ctx.stage,
               ctx.stage_seconds)
    ctx.logged = True


def abort_run(ctx: RunContext, error: BaseException | None = None) -> None:
    """Drop the private file and the staged reports; the published warehouse stays as it was
    (or, past the warehouse rename, the run is logged `published_with_errors`)."""
    if ctx.published:
        shutil.rmtree(ctx.next_exports, ignore_errors=True)
        if not ctx.logged:
            _log_run(ctx, "published_with_errors", error)
        ctx.resources.close()
        return
    try:
        ctx.con.close()
    except Exception:
        pass
    wh.discard_next(ctx.next_file)
    shutil.rmtree(ctx.next_exports, ignore_errors=True)
    if not ctx.logged:
        _log_run(ctx, "failed", error)
    ctx.resources.close()


STATUS_VI_EN = {"completed": "hoàn thành / completed", "failed": "thất bại / failed",
                "published_with_errors": "đã công bố kho, lỗi báo cáo / published with errors",
                "interrupted": "bị dừng khi công bố / interrupted while publishing",
                "running": "đang chạy / running"}


_EPOCH = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, str) and value:
        try:
            return _as_datetime(dt.datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def recent_runs(warehouse: Path, limit: int = 10) -> list[dict[str, Any]]:
    """The last runs, newest first: the published `runs` table, plus what only the run log
    and the publish marker know yet (failed runs, a run whose reports did not all move, a run
    killed while publishing)."""
    rows: dict[str, dict[str, Any]] = {}
    if warehouse.is_file():
        try:
            con = duckdb.connect(str(warehouse), read_only=True)
        except duckdb.Error as exc:
            raise ChiboError(f"không mở được kho dữ liệu / cannot open {warehouse}: "
                             f"{one_line(exc)}") from None
        try:
            cur = con.execute("SELECT * FROM runs")
            names = [d[0] for d in cur.description]
            for r in cur.fetchall():
                rows[r[names.index("run_id")]] = dict(zip(names, r))
        except duckdb.Error:
            pass
        finally:
            con.close()
    log = _read_log(warehouse)
    final = _final_entries(log)
    for e in [*final.values(), *_killed_entries(log)]:
        known = rows.get(e["run_id"])
        if known is None:
            if e.get("status") != "completed":
                rows[e["run_id"]] = {k: e.get(k) for k in (
                    "run_id", "started_at", "finished_at", "as_of", "status", "mode", "error",
                    "stage")}
        elif e.get("status") == "published_with_errors":
            known.update(status="published_with_errors", error=e.get("error"), stage="publish")
    if wh.lock_held(warehouse):   # the newest run that only said `started` is still going
        going = sorted((run for run in rows.values() if run.get("error") == KILLED_ERROR),
                       key=lambda run: _as_datetime(run.get("started_at")) or _EPOCH)
        for run in going[-1:]:
            run.update(status="running", error=None)
    published = sorted((r for r in rows.values() if r.get("status") in wh.PUBLISHED_STATUSES),
                       key=lambda r: _as_datetime(r.get("finished_at")) or _EPOCH)
    if published:
        last = published[-1]
        marker = wh.read_marker(warehouse)
        started = any(e["run_id"] == last["run_id"] and e.get("status") == "started"
                      for e in log)
        if last.get("status") == "completed" and last["run_id"] not in final and started and \
                (marker is None or marker.get("run_id") != last["run_id"]):
            last.update(status="interrupted", stage="publish",
                        error="bị dừng giữa lúc công bố, báo cáo có thể chưa khớp kho dữ liệu / "
                              "killed while publishing: the reports may not match the warehouse")
    out = sorted(rows.values(), key=lambda r: _as_datetime(r.get("started_at")) or _EPOCH,
                 reverse=True)
    return out[:limit]


def format_runs(runs: list[dict[str, Any]]) -> list[str]:
    """`chibo status`: one line a run, Vietnamese first, times in Asia/Ho_Chi_Minh."""
    from chibo.settings import PROVINCE_TZ
    lines = []
    for r in runs:
        started = _as_datetime(r.get("started_at"))
        when = started.astimezone(PROVINCE_TZ).strftime("%Y-%m-%d %H:%M:%S") if started else "?"
        status = STATUS_VI_EN.get(r.get("status") or "", r.get("status") or "?")
        mode = {"run": "chạy / run", "rebuild": "dựng lại / rebuild"}.get(r.get("mode") or "",
                                                                          r.get("mode") or "?")
        line = f"{when}  {status}  [{mode}; ngày chốt / as of {r.get('as_of')}]  {r['run_id']}"
        if r.get("status") == "completed" or r.get("files_new") is not None:
            secs = sum(r.get(f"seconds_{s}") or 0 for s in
                       ("ingest", "integrate", "model", "export", "publish"))
            line += (f"  tệp mới / new files {r.get('files_new') or 0}, dòng nạp / rows loaded "
                     f"{r.get('rows_loaded') or 0}, dòng bị loại / quarantined "
                     f"{r.get('rows_quarantined') or 0}, {secs:.1f} s")
            if r.get("skipped"):
                line += f", bỏ qua / skipped: {r['skipped']}"
        if r.get("status") != "completed":
            stage = r.get("stage")
            if stage:
                line += f"  bước / stage {stage}"
            if r.get("error"):
                line += f": {one_line(r['error'], 300)}"
        lines.append(line)
    return lines


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
