"""Benchmark the nightly pipeline on national-shaped data: time per stage, memory, disk.

    .venv/bin/python bench/bench_pipeline.py --provinces N [--workdir /tmp/chibo-bench]
        [--years 2025-2025 | 2024-2025 | 2023-2025] [--profile | --profile-only]
        [--runs initial,idle,day,correction] [--memory-limit 2.4GB] [--keep] [--regenerate]

1. generates national data of YEARS (default 2025 alone) for the first N of 63 provinces (seed
   1, as-of 2026-01-31) into WORKDIR/raw-N-YEARS (kept and reused while its .bench.json says N,
   YEARS and the same layout; `--regenerate` forces it). One day of the last month is always
   held back from the monthly files when the folder is prepared (see `hold_back_day`): the
   ≈ 1/30 latest meetings of December of the last year of every province and their attendance
   rows go to WORKDIR/raw-N-YEARS/.bench-day/ (hidden: not a delivery), with 20 corrected
   attendance rows of earlier months. Every run sees the monthly files without that day;
2. runs `chibo.pipeline.run_all` on WORKDIR/wh-N-YEARS, each run in a fresh process:
   `initial` (empty warehouse, every file new), `idle` (nothing new: the usual nightly run),
   `day` (a national night with one day's deliveries: the held-back day's meeting and
   attendance file of every province and one correction file, copied into raw/ and removed
   again afterwards), `correction` (one new 200-row attendance correction file of November's
   meetings, removed again afterwards);
3. prints markdown tables: seconds per stage (`start` = run_all's wall time not in any stage:
   lock + copying the published warehouse to the private next file), peak RSS of the process
   (`ru_maxrss`; per stage: sampled VmRSS every 0.1 s and VmHWM at the stage's end), the
   warehouse size, peak bytes in the warehouse folder during the run (published + next file +
   DuckDB spill), rows read and loaded.

`--profile` adds a fourth, separate initial run (fresh warehouse) under cProfile with every
SQL statement timed and profiled by DuckDB (multi-statement model scripts split into their
statements): it prints the slowest statements with their costliest operators, peak buffer
memory and spill, and the top Python functions; files under WORKDIR/profile-N/.

`--memory-limit` sets CHIBO_MEMORY_LIMIT (DuckDB's memory_limit for the run; default half
the machine) for the runs: N provinces under N/63 of the default emulate the national
data-to-memory ratio.

Nothing is written inside the repository. Stage timings come from `RunSummary.stage_seconds`.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 1, 31)
STAGES = ("start", "ingest", "integrate", "model", "export", "publish")
CORRECTION = "attendance/2026-01-20-t01-dinh-chinh.csv"   # sorts after every monthly file
YEARS = ("2025-2025", "2024-2025", "2023-2025")
# raw-N's layout: 2 = the held-back day of the last month in raw/.bench-day (a folder of
# layout 1, everything in the monthly files, is regenerated)
LAYOUT = 2
DAY_DIR = ".bench-day"   # inside raw/: hidden entries are never deliveries (ingest.scan_raw)
MONTHLY = re.compile(r"(\d{4}-\d{2}-\d{2})-(t\d{2})\.csv")   # a national monthly delivery
DAY_REASON = "Ốm (đính chính ngày)"


# ------------------------------------------------------------------------------------------
# child side (fresh process per measured run)
# ------------------------------------------------------------------------------------------
def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _dir_bytes(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_blocks * 512   # allocated, not apparent
            except OSError:
                pass
    return total


def _tree_rss_kb(pid: int) -> int:
    """VmRSS of `pid` and every process below it (the export's workbook writers, the reader
    process): what the run holds on the machine at that instant."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(line.split()[1]) for line in fh
                               if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue   # a child that just ended
    return total


class Sampler(threading.Thread):
    """VmRSS every 0.1 s attributed to the current stage (also summed over the process tree);
    bytes of the warehouse folder every 1 s."""

    def __init__(self, wh_dir: Path):
        super().__init__(daemon=True)
        self.wh_dir = wh_dir
        self.stage = "start"
        self.rss_max: dict[str, int] = {}
        self.tree_max = 0
        self.hwm_end: dict[str, int] = {}
        self.disk_max = 0
        self.stop = threading.Event()

    def set_stage(self, stage: str) -> None:
        self.hwm_end[self.stage] = _status_kb("VmHWM")
        self.stage = stage

    def run(self) -> None:
        n = 0
        while not self.stop.wait(0.1):
            rss = _status_kb("VmRSS")
            self.rss_max[self.stage] = max(self.rss_max.get(self.stage, 0), rss)
            self.tree_max = max(self.tree_max, _tree_rss_kb(os.getpid()))
            if n % 10 == 0:
                self.disk_max = max(self.disk_max, _dir_bytes(self.wh_dir))
            n += 1


class TimedConnection:
    """Wraps a DuckDB connection: times every statement, optionally DuckDB-profiles it."""

    def __init__(self, con, log: list, sampler: Sampler, prof_dir: Path | None):
        self._con, self._log, self._sampler, self._prof_dir = con, log, sampler, prof_dir
        if prof_dir:
            con.execute("PRAGMA enable_profiling = 'json'")

    def execute(self, sql, parameters=None):
        import duckdb
        queries = [sql]
        if self._prof_dir and parameters is None and isinstance(sql, str) and sql.count(";") > 1:
            queries = [s.query for s in duckdb.extract_statements(sql)]
        result = None
        for q in queries:
            n = len(self._log)
            out = None
            if self._prof_dir:
                out = self._prof_dir / f"q{n:05d}.json"
                self._con.execute(f"SET profiling_output = '{out}'")
            t0 = time.perf_counter()
            result = (self._con.execute(q) if parameters is None
                      else self._con.execute(q, parameters))
            sec = time.perf_counter() - t0
            self._log.append({"n": n, "stage": self._sampler.stage, "seconds": sec,
                              "sql": " ".join(str(q).split())[:4000]})
            if out is not None and sec < 0.5 and out.exists():
                out.unlink()              # keep DuckDB profiles of the slow statements only
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


def child_run(a: argparse.Namespace) -> None:
    import duckdb
    from chibo.pipeline import Settings, run_all

    real_connect = duckdb.connect
    wh = Path(a.warehouse)
    sampler = Sampler(wh.parent)
    marks: list[tuple[str, float, float]] = []   # (stage, wall, process CPU user+sys)
    sql_log: list = []
    prof_dir = Path(a.profile_dir) if a.profile_dir else None
    if prof_dir:
        prof_dir.mkdir(parents=True, exist_ok=True)

        def timed_connect(*args, **kw):
            return TimedConnection(real_connect(*args, **kw), sql_log, sampler, prof_dir)
        duckdb.connect = timed_connect   # chibo.pipeline looks duckdb.connect up at call time

    def progress(msg: str) -> None:
        if msg.endswith(" …"):
            sampler.set_stage(msg[:-2])
            marks.append((msg[:-2], time.perf_counter(), _cpu()))

    settings = Settings(raw=Path(a.raw), warehouse=wh, exports=Path(a.exports), as_of=AS_OF)
    sampler.start()
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    marks.append(("start", t0, _cpu()))
    if prof_dir:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        s = prof.runcall(run_all, settings, progress=progress)
    else:
        s = run_all(settings, progress=progress)
    t1 = time.perf_counter()
    total = t1 - t0
    sampler.set_stage("done")
    sampler.stop.set()
    sampler.join()
    # RunSummary is taken before publish: its stage_seconds has ingest..export; `start`
    # (lock + copy of the published file) and `publish` come from the progress marks
    ends = marks[1:] + [("end", t1, _cpu())]
    wall = {m[0]: e[1] - m[1] for m, e in zip(marks, ends)}
    stage_cpu = {m[0]: e[2] - m[2] for m, e in zip(marks, ends)}
    stage_seconds = {"start": wall.get("start", 0.0), **s.stage_seconds,
                     "publish": wall.get("publish", 0.0)}
    with real_connect(str(wh), read_only=True) as con:
        mem, threads = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
        try:   # the pipeline's own connection settings (chibo.warehouse.duckdb_config)
            from chibo.warehouse import duckdb_config
            mem = duckdb_config().get("memory_limit", mem)
        except ImportError:
            pass
        files_new = con.execute(
            "SELECT files_new FROM runs ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
        table_rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                      for t in ("org_units", "members", "meetings", "attendance",
                                "cell_year_metrics", "org_year_classification")}
        day_corrected = con.execute("SELECT count(*) FROM attendance WHERE absence_reason = ?",
                                    [DAY_REASON]).fetchone()[0]
    res = {
        "total": total, "files_new": files_new, "stage_seconds": stage_seconds,
        "stage_cpu": stage_cpu, "cpu_total": sum(stage_cpu.values()), "loadavg_start": load0,
        "loadavg_end": os.getloadavg()[0], "rows": s.rows,
        "files_by_status": s.files_by_status, "table_rows": table_rows,
        "day_corrected": day_corrected,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "vmhwm_mb": _status_kb("VmHWM") / 1024,
        "stage_rss_mb": {k: v / 1024 for k, v in sampler.rss_max.items()},
        "tree_rss_mb": sampler.tree_max / 1024,
        "stage_hwm_mb": {k: v / 1024 for k, v in sampler.hwm_end.items()},
        "warehouse_bytes": wh.stat().st_size,
        "wh_dir_peak_bytes": sampler.disk_max,
        "exports_bytes": _dir_bytes(Path(a.exports)),
        "duckdb": {"version": duckdb.__version__, "memory_limit": mem, "threads": threads},
    }
    if prof_dir:
        import io
        (prof_dir / "sql_log.json").write_text(json.dumps(sql_log, ensure_ascii=False, indent=1))
        prof.dump_stats(str(prof_dir / "run.pstats"))
        buf = io.StringIO()
        st = pstats.Stats(prof, stream=buf)
        st.sort_stats("tottime").print_stats(25)
        st.sort_stats("cumulative").print_stats(40)
        (prof_dir / "python_top.txt").write_text(buf.getvalue())
        res["profile_dir"] = str(prof_dir)
    print(json.dumps(res))


def child_generate(a: argparse.Namespace) -> None:
    from chibo.generate import generate
    t = time.perf_counter()
    from chibo.generate import parse_years
    s = generate("national", parse_years(a.years), Path(a.raw), seed=1, as_of=AS_OF,
                 provinces=a.provinces)
    print(json.dumps({"seconds": time.perf_counter() - t,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "orgs": s.orgs, "members": s.members, "meetings": s.meetings,
                      "attendance_rows": s.attendance_rows, "files": s.files}))


# ------------------------------------------------------------------------------------------
# parent side
# ------------------------------------------------------------------------------------------
def _child(args: list[str], memory_limit: str | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if memory_limit:
        env["CHIBO_MEMORY_LIMIT"] = memory_limit
    r = subprocess.run([sys.executable, __file__, *args], cwd=REPO, capture_output=True,
                       text=True, env=env)
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-5000:] + r.stderr[-5000:])
        raise SystemExit(f"child {args[:2]} failed with exit {r.returncode}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def ensure_raw(raw: Path, provinces: int, years: str, regenerate: bool) -> dict:
    marker = raw / ".bench.json"
    if not regenerate and marker.exists():
        info = json.loads(marker.read_text())
        if (info.get("provinces"), info.get("years"), info.get("layout")) == \
                (provinces, years, LAYOUT):
            info["reused"] = True
            return info
    shutil.rmtree(raw, ignore_errors=True)
    info = _child(["--child", "generate", "--raw", str(raw), "--provinces", str(provinces),
                   "--years", years])
    info.update(provinces=provinces, years=years, layout=LAYOUT, raw_bytes=_dir_bytes(raw))
    info["day"] = hold_back_day(raw, int(years[-4:]), provinces)
    marker.write_text(json.dumps(info))
    info["reused"] = False
    return info


def _split_lines(path: Path) -> tuple[bytes, list[bytes]]:
    """A generated CSV's header line and data lines, bytes as written (one record a line)."""
    lines = path.read_bytes().splitlines(keepends=True)
    if not lines or not lines[0].lstrip(b"\xef\xbb\xbf").startswith(b"meeting_id,"):
        raise SystemExit(f"{path}: expected a CSV whose first column is meeting_id")
    eol = b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
    data = [ln if ln.endswith(b"\n") else ln + eol for ln in lines[1:] if ln.strip()]
    if any(ln.count(b'"') % 2 for ln in data):   # a quoted line break: not one record a line
        raise SystemExit(f"{path}: a record spans lines; the split needs one a line")
    return lines[0], data


def _first_field(line: bytes) -> bytes:
    return line.split(b",", 1)[0]


def _write_atomic(path: Path, header: bytes, lines: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(header + b"".join(lines))
    os.replace(tmp, path)


def hold_back_day(raw: Path, last_year: int, provinces: int, corrections: int = 20) -> dict:
    """Hold one day's deliveries back from the generated monthly files (deterministic).

    For every province, of its meetings file of December of `last_year` (delivered on
    5 January, `meetings/<date>-tNN.csv`), the round(1/30) latest meetings by (meeting_date,
    meeting_id) are removed, with their attendance rows from the attendance file of the same
    month, and written as that province's day delivery `<kind>/<AS_OF>-tNN-ngay.csv` under
    raw/.bench-day/ (the same header and bytes a line as the originals). Plus one correction
    file `attendance/<AS_OF>-tNN-ngay-dinh-chinh.csv` of the first province: `corrections`
    present rows of its ten monthly attendance files before December, 2 a file, now excused
    (its name sorts after the files it corrects: the later path wins). chibo reads no date
    from a file name; the names say when the files were delivered, as the generator's do."""
    deliv = min(dt.date(last_year + 1, 1, 5), AS_OF).isoformat()
    month = f"{last_year}-12-"
    day = raw / DAY_DIR
    shutil.rmtree(day, ignore_errors=True)
    for kind in ("meetings", "attendance"):
        odd = [f.name for f in (raw / kind).iterdir() if not MONTHLY.fullmatch(f.name)]
        if odd:   # national data has none: the meeting ids they name could not be held back
            raise SystemExit(f"{raw / kind}: not a monthly national delivery: {odd[:3]}")
    codes = sorted(m.group(2) for f in (raw / "meetings").glob(f"{deliv}-t*.csv")
                   if (m := MONTHLY.fullmatch(f.name)))
    if len(codes) != provinces:
        raise SystemExit(f"{raw}: {len(codes)} meetings files of {deliv}, expected {provinces}")
    held_meetings = held_attendance = 0
    files = []
    for code in codes:
        m_path = raw / "meetings" / f"{deliv}-{code}.csv"
        a_path = raw / "attendance" / f"{deliv}-{code}.csv"
        header, lines = _split_lines(m_path)
        cols = next(csv.reader([header.decode("utf-8-sig")]))
        i_date = cols.index("meeting_date")
        keyed = []
        for ln in lines:
            rec = next(csv.reader([ln.decode("utf-8")]))
            if not rec[i_date].startswith(month):
                raise SystemExit(f"{m_path}: a meeting of {rec[i_date]}, not of {month}")
            keyed.append((rec[i_date], rec[0]))
        k = max(1, round(len(keyed) / 30))
        held = {mid.encode() for _, mid in sorted(keyed, reverse=True)[:k]}
        day_m = [ln for ln in lines if _first_field(ln) in held]
        _write_atomic(day / "meetings" / f"{AS_OF}-{code}-ngay.csv", header, day_m)
        _write_atomic(m_path, header, [ln for ln in lines if _first_field(ln) not in held])
        a_header, a_lines = _split_lines(a_path)
        day_a = [ln for ln in a_lines if _first_field(ln) in held]
        _write_atomic(day / "attendance" / f"{AS_OF}-{code}-ngay.csv", a_header, day_a)
        _write_atomic(a_path, a_header, [ln for ln in a_lines if _first_field(ln) not in held])
        held_meetings += len(day_m)
        held_attendance += len(day_a)
        files += [f"meetings/{AS_OF}-{code}-ngay.csv", f"attendance/{AS_OF}-{code}-ngay.csv"]
    # the corrections: earlier months of the first province
    earlier = sorted(p for p in (raw / "attendance").glob(f"*-{codes[0]}.csv")
                     if p.name < f"{deliv}-{codes[0]}.csv")[-corrections // 2:]
    out: list[bytes] = []
    header = b""
    for src in earlier:
        header, lines = _split_lines(src)
        cols = next(csv.reader([header.decode("utf-8-sig")]))
        eol = "\r\n" if header.endswith(b"\r\n") else "\n"
        present = [ln for ln in lines
                   if next(csv.reader([ln.decode("utf-8")]))[cols.index("status")] == "present"]
        for ln in (present[0], present[len(present) // 2]):
            row = dict(zip(cols, next(csv.reader([ln.decode("utf-8")]))))
            row.update(status="excused", spoke="false", absence_reason=DAY_REASON)
            buf = io.StringIO()
            csv.writer(buf, lineterminator=eol).writerow([row[c] for c in cols])
            out.append(buf.getvalue().encode("utf-8"))
    if len(out) != corrections:
        raise SystemExit(f"{raw}: {len(out)} correction rows, expected {corrections}")
    corr = f"attendance/{AS_OF}-{codes[0]}-ngay-dinh-chinh.csv"
    _write_atomic(day / corr, header, out)
    files.append(corr)
    return {"meetings": held_meetings, "attendance": held_attendance, "corrected": len(out),
            "files": files, "month_file": deliv}


def install_day(raw: Path, day: dict) -> list[Path]:
    """Copy the held-back day's files into raw/ (new paths); returns what to remove afterwards."""
    copied = []
    for rel in day["files"]:
        dst = raw / rel
        if dst.exists():
            raise SystemExit(f"{dst} exists already")
        shutil.copyfile(raw / DAY_DIR / rel, dst)
        copied.append(dst)
    return copied


def write_correction(raw: Path, rows: int = 200) -> Path:
    """A later correction of 200 attendance rows of the first province's December file:
    present -> excused with a reason (a realistic small delivery: same keys, new values)."""
    december = sorted((raw / "attendance").glob("2025-12-05-t*.csv"))
    if not december:
        raise SystemExit(f"no December attendance file under {raw / 'attendance'}")
    src = december[0]
    dst = raw / CORRECTION
    with open(src, newline="", encoding="utf-8") as fh, \
         open(dst, "w", newline="", encoding="utf-8") as out:
        r = csv.DictReader(fh)
        w = csv.DictWriter(out, fieldnames=r.fieldnames)
        w.writeheader()
        n = 0
        for row in r:
            if row["status"] == "present":
                row.update(status="excused", spoke="false", absence_reason="Ốm (đính chính)")
                w.writerow(row)
                n += 1
                if n == rows:
                    break
    return dst


def _mb(b: float) -> str:
    return f"{b / 1e6:,.0f} MB" if b < 1e9 else f"{b / 1e9:,.2f} GB"


def report(n: int, years: str, gen: dict, runs: dict[str, dict]) -> str:
    try:
        rev = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        rev = "?"
    y0, y1 = years.split("-")
    yt = y0 if y0 == y1 else f"{y0}–{y1}"
    day = gen["day"]
    L = [f"### {n} of 63 provinces, {yt} (seed 1, as-of {AS_OF}; code at {rev})", "",
         f"Data: {gen['orgs']:,} orgs, {gen['members']:,} members, {gen['meetings']:,} meetings, "
         f"{gen['attendance_rows']:,} attendance rows, {gen['files']:,} files, "
         f"{_mb(gen['raw_bytes'])} CSV (generated in {gen['seconds']:.0f} s"
         f"{', reused' if gen.get('reused') else ''}). Held back from every run but `day`: "
         f"{day['meetings']:,} meetings of December {y1} (1/30 of each province's month, the "
         f"latest) and their {day['attendance']:,} attendance rows; `day` delivers them, one "
         f"meetings and one attendance file a province, with {day['corrected']} corrected "
         f"attendance rows of earlier months in one file ({len(day['files'])} files).", ""]
    d = next(iter(runs.values()))["duckdb"]
    L += [f"DuckDB {d['version']}, threads {d['threads']}, memory_limit {d['memory_limit']}.", ""]
    L += ["| run | files new | rows read | " + " | ".join(STAGES) + " | total | peak RSS "
          "| peak RSS, process tree | warehouse | peak disk in warehouse dir |",
          "| --- | ---: | ---: | " + " | ".join("---:" for _ in STAGES)
          + " | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in runs.items():
        ss = r["stage_seconds"]
        L.append(f"| {name} | {r['files_new']:,} | {r['rows']['read_new']:,} | "
                 + " | ".join(f"{ss.get(s, 0):.1f}" for s in STAGES)
                 + f" | {r['total']:.1f} | {r['ru_maxrss_mb']:,.0f} MB "
                 f"| {r.get('tree_rss_mb', 0):,.0f} MB | {_mb(r['warehouse_bytes'])} "
                 f"| {_mb(r['wh_dir_peak_bytes'])} |")
    L += ["", "CPU seconds per stage (user + system of the process, both DuckDB threads; less "
          "sensitive to other load than wall time), and the 1-min load average at the run's start:", "",
          "| run | " + " | ".join(STAGES) + " | total CPU | load |",
          "| --- | " + " | ".join("---:" for _ in STAGES) + " | ---: | ---: |"]
    for name, r in runs.items():
        L.append(f"| {name} | " + " | ".join(f"{r['stage_cpu'].get(s, 0):.1f}" for s in STAGES)
                 + f" | {r['cpu_total']:.1f} | {r['loadavg_start']:.1f} |")
    L += ["", "Peak memory per stage, MB (sampled max VmRSS / VmHWM at the stage's end):", "",
          "| run | " + " | ".join(STAGES) + " | ru_maxrss |",
          "| --- | " + " | ".join("---:" for _ in STAGES) + " | ---: |"]
    for name, r in runs.items():
        L.append(f"| {name} | " + " | ".join(
            f"{r['stage_rss_mb'].get(s, 0):,.0f} / {r['stage_hwm_mb'].get(s, 0):,.0f}"
            for s in STAGES) + f" | {r['ru_maxrss_mb']:,.0f} |")
    L += ["", "Rows per run (loaded, quarantined, pending: the whole warehouse after the run):",
          "", "| run | files new | rows read | loaded | quarantined | pending | meetings "
          "| attendance |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in runs.items():
        rw, t = r["rows"], r["table_rows"]
        L.append(f"| {name} | {r['files_new']:,} | {rw['read_new']:,} | {rw['loaded']:,} | "
                 f"{rw['quarantined']:,} | {rw['pending']:,} | {t['meetings']:,} | "
                 f"{t['attendance']:,} |")
    t = next(iter(runs.values()))["table_rows"]
    L += ["", "Rows in the warehouse after the initial run: "
          + ", ".join(f"{k} {v:,}" for k, v in t.items()) + f"; loaded {runs['initial']['rows']['loaded']:,}, "
          f"quarantined {runs['initial']['rows']['quarantined']:,}, pending {runs['initial']['rows']['pending']:,}.", ""]
    return "\n".join(L)


def profile_report(prof_dir: Path, top: int = 12) -> str:
    log = json.loads((prof_dir / "sql_log.json").read_text())
    total = sum(e["seconds"] for e in log)
    by_stage: dict[str, float] = {}
    for e in log:
        by_stage[e["stage"]] = by_stage.get(e["stage"], 0) + e["seconds"]
    L = ["", "SQL time by stage (s): " + ", ".join(f"{k} {v:.1f}" for k, v in by_stage.items())
         + f"; all statements {total:.1f}", "", f"Slowest statements (profiles in {prof_dir}):", ""]
    for e in sorted(log, key=lambda e: -e["seconds"])[:top]:
        L.append(f"- {e['seconds']:.1f} s [{e['stage']}] #{e['n']}: {e['sql'][:160]}")
        p = prof_dir / f"q{e['n']:05d}.json"
        if p.exists():
            d = json.loads(p.read_text())
            ops: list[tuple[float, str, int]] = []

            def walk(node):
                ops.append((node.get("timing", 0), node.get("name", "?"),
                            node.get("intermediate_rows", 0)))
                for c in node.get("children", []):
                    walk(c)
            for node in d.get("operator", []):
                walk(node)
            sysd = d.get("system", {})
            L.append(f"    peak buffer {sysd.get('peak_buffer_memory', 0) / 1e6:,.0f} MB, "
                     f"spilled {sysd.get('total_bytes_spilled', 0) / 1e6:,.0f} MB; operators: "
                     + "; ".join(f"{nm} {t:.1f}s ({rows:,} rows)" for t, nm, rows in
                                 sorted(ops, reverse=True)[:4]))
    L += ["", f"Python: {prof_dir / 'python_top.txt'}"]
    return "\n".join(L)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--provinces", type=int, default=2)
    ap.add_argument("--years", default=YEARS[0], choices=YEARS,
                    help="history to generate (chibo generate --years); as-of stays 2026-01-31")
    ap.add_argument("--workdir", default="/tmp/chibo-bench")
    ap.add_argument("--profile", action="store_true", help="add a profiled initial run")
    ap.add_argument("--profile-only", action="store_true", help="only the profiled run")
    ap.add_argument("--keep", action="store_true", help="keep the warehouse and exports")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--runs", default="initial,idle,correction",
                    help="which of initial,idle,day,correction to measure (in that order; "
                    "initial always)")
    ap.add_argument("--memory-limit", help="CHIBO_MEMORY_LIMIT for the runs, e.g. 1.4GB "
                    "(emulates the national data/memory ratio on fewer provinces)")
    ap.add_argument("--child", choices=["run", "generate"], help=argparse.SUPPRESS)
    ap.add_argument("--raw", help=argparse.SUPPRESS)
    ap.add_argument("--warehouse", help=argparse.SUPPRESS)
    ap.add_argument("--exports", help=argparse.SUPPRESS)
    ap.add_argument("--profile-dir", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child == "run":
        return child_run(a)
    if a.child == "generate":
        return child_generate(a)

    work = Path(a.workdir).absolute()
    if work == REPO or REPO in work.parents:
        raise SystemExit("--workdir must be outside the repository")
    n = a.provinces
    wanted = set(a.runs.split(",")) if not a.profile_only else set()
    unknown = wanted - {"initial", "idle", "day", "correction"}
    if unknown:
        raise SystemExit(f"--runs: unknown {sorted(unknown)}")
    name = f"{n}-{a.years}"
    raw, whd = work / f"raw-{name}", work / f"wh-{name}"
    work.mkdir(parents=True, exist_ok=True)
    gen = ensure_raw(raw, n, a.years, a.regenerate)
    print(f"raw data ready in {raw} ({gen['attendance_rows']:,} attendance rows, "
          f"{gen['day']['attendance']:,} of them held back for the day run)", file=sys.stderr)

    def run(label: str, fresh: bool, profile_dir: Path | None = None) -> dict:
        if fresh:
            shutil.rmtree(whd, ignore_errors=True)
        args = ["--child", "run", "--raw", str(raw), "--warehouse", str(whd / "chibo.duckdb"),
                "--exports", str(whd / "exports")]
        if profile_dir:
            shutil.rmtree(profile_dir, ignore_errors=True)
            args += ["--profile-dir", str(profile_dir)]
        r = _child(args, a.memory_limit)
        print(f"{label}: {r['total']:.1f} s ({r['cpu_total']:.0f} CPU s, "
              f"load {r['loadavg_start']:.1f}), peak RSS {r['ru_maxrss_mb']:,.0f} MB (tree {r.get('tree_rss_mb', 0):,.0f} MB), "
              f"stages {json.dumps({k: round(v, 1) for k, v in r['stage_seconds'].items()})}",
              file=sys.stderr)
        return r

    runs: dict[str, dict] = {}
    out = ""
    tag = f"-mem{a.memory_limit}" if a.memory_limit else ""
    correction = raw / CORRECTION
    day_files: list[Path] = []
    day_problems: list[str] | None = None
    try:
        if wanted:
            runs["initial"] = run("initial", fresh=True)
        if "idle" in wanted:
            runs["idle"] = run("idle", fresh=False)
        if "day" in wanted:
            day_files = install_day(raw, gen["day"])
            runs["day"] = run("day (one day's deliveries)", fresh=False)
            for f in day_files:
                f.unlink(missing_ok=True)
            day_problems = check_day(runs, gen["day"])
        if "correction" in wanted:
            write_correction(raw)
            runs["correction"] = run("correction (200 rows)", fresh=False)
            correction.unlink(missing_ok=True)
        if runs:
            out = report(n, a.years, gen, runs)
            if day_problems:
                out += "\n**The day run's check failed**: " + "; ".join(day_problems) + ".\n"
            elif day_problems is not None:
                out += ("\nChecked: the day run read and loaded exactly the held-back rows (its "
                        "meetings and attendance tables grew by them, the corrections are in), "
                        "and neither run quarantined or left pending a row.\n")
        if a.profile or a.profile_only:
            pdir = work / f"profile-{name}"
            r = run("profiled initial", fresh=True, profile_dir=pdir)
            out += "\n" + profile_report(pdir)
            out += (f"\n(profiled run: {r['total']:.1f} s in all, stages "
                    + ", ".join(f"{k} {v:.1f}" for k, v in r["stage_seconds"].items()) + ")\n")
    finally:
        correction.unlink(missing_ok=True)
        for f in day_files:
            f.unlink(missing_ok=True)
        if not a.keep:
            shutil.rmtree(whd, ignore_errors=True)
    print(out)
    (work / f"result-{name}{tag}.md").write_text(out)
    (work / f"result-{name}{tag}.json").write_text(json.dumps({"generate": gen, "runs": runs}, indent=1))


def check_day(runs: dict[str, dict], day: dict) -> list[str]:
    """What is wrong with the day run: it should load exactly the held-back rows, and neither
    it nor the initial run quarantine or leave pending a row (national data has no bad rows)."""
    before, after = runs["initial"], runs["day"]
    problems = []
    for t in ("meetings", "attendance"):
        got = after["table_rows"][t] - before["table_rows"][t]
        if got != day[t]:
            problems.append(f"{t} grew by {got:,}, {day[t]:,} held back")
    if after["rows"]["read_new"] != day["meetings"] + day["attendance"] + day["corrected"]:
        problems.append(f"rows read {after['rows']['read_new']:,}")
    if after["files_new"] != len(day["files"]):
        problems.append(f"files new {after['files_new']}, {len(day['files'])} delivered")
    if after["day_corrected"] != day["corrected"]:
        problems.append(f"{after['day_corrected']} corrected rows in the warehouse")
    for r in ("initial", "day"):
        if runs[r]["rows"]["quarantined"] or runs[r]["rows"]["pending"]:
            problems.append(f"{r}: {runs[r]['rows']['quarantined']:,} quarantined, "
                            f"{runs[r]['rows']['pending']:,} pending")
    print("day run check: " + ("; ".join(problems) if problems else "ok"), file=sys.stderr)
    return problems


if __name__ == "__main__":
    main()
