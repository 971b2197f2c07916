"""The acceptance comparison: chibo's full run against a plain-DuckDB floor on the same CSVs.

    .venv/bin/python bench/bench_floor.py [--repeats 3] [--districts 4]
        [--prefect cold,warm,served] [--workdir /tmp/chibo-floor] [--keep] [--regenerate]

1. generates a clean, national-shaped province of about 1,000 cells (chi bộ + chi bộ cơ sở)
   for 2023–2025 (seed 1, as-of 2026-01-31) into WORKDIR/raw-dN, reused while
   WORKDIR/raw-dN.json says the same: the first old province of `chibo generate --scale
   national` (18 districts, ~4,400 cells, 3.6 M attendance rows for three years) cut to its
   first N districts, its chi bộ cơ sở, chi bộ and members scaled by N/18 (the generator's
   own spec, so the tree, the 1/7/2025 reorganisation, the register and the meetings stay
   consistent). Plain UTF-8 CSV only: the province scale's XLSX and Windows-1258 files
   cannot be read by plain DuckDB;
2. runs, alternately and each in a fresh process started from this one (one process tree),
   on fresh output folders: the **floor**, then **chibo**, `--repeats` times:
   - floor: one `duckdb.connect` on a fresh file; each kind's CSVs read by `read_csv` (files
     grouped by header, columns and types from chibo.contract), the last delivered row per
     key kept (file name order, as integrate does; `delete` rows retract), org_units given
     valid_to and the organisation's facts from its latest version; then chibo's model SQL
     (`chibo.model.build_model`, shipped rulebooks, its data checks switched off) and
     `COPY … TO` CSV of org_year_classification and cell_year_metrics. No validation,
     quarantine, tree or reference checks, versioning, lineage, Prefect, exports or reports;
   - chibo: `chibo run --raw … --warehouse <empty> --exports … --as-of 2026-01-31` (ingest,
     integrate, model, export, publish), once per Prefect mode of `--prefect`: `cold` (a
     fresh Prefect home: the embedded server creates its database, as on a machine's first
     run), `warm` (an embedded server on a Prefect home used before: every later hand run),
     `served` (reporting to a `prefect server` this bench starts, as a hand run does while
     `make serve` runs);
3. prints markdown: every run's wall seconds (`time.perf_counter` around `subprocess.run`),
   CPU seconds (user + system of the process tree) and the 1-min load average at its start,
   the medians and their ratio chibo / floor; chibo's seconds per stage (its warehouse's
   `runs` row) and the floor's (load / model / copy); whether the floor's levels agree with
   chibo's per org-year, and how many whole rows of the two outputs differ (differences can
   come from what the floor does not check).

Both sides run the code of this checkout (PYTHONPATH = the repository). The markdown and a
JSON are also written to WORKDIR/result-floor-dN.{md,json}. Nothing is written inside the
repository; the run folders are removed unless `--keep`.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 1, 31)
YEARS = (2023, 2025)
SEED = 1
OUTPUTS = ("org_year_classification", "cell_year_metrics")
STAGES = ("ingest", "integrate", "model", "export", "publish")


# ------------------------------------------------------------------------------------------
# child side: the data, and the floor
# ------------------------------------------------------------------------------------------
def child_generate(raw: Path, districts: int) -> dict[str, Any]:
    """The first old province of the national scale, cut to its first `districts` districts."""
    import duckdb

    from chibo.generate import core

    merged = core.national_specs()[0]
    old = merged.olds[0]
    share = districts / len(old.districts)
    small = dataclasses.replace(
        old, districts=old.districts[:districts], n_cbcs=round(old.n_cbcs * share),
        n_chibo=round(old.n_chibo * share), n_members=round(old.n_members * share))
    counters = core.Counters()
    t0 = time.perf_counter()
    core.generate_group(dataclasses.replace(merged, olds=[small]), YEARS, raw, SEED, AS_OF,
                        counters)
    seconds = time.perf_counter() - t0
    cells = duckdb.connect().execute(
        f"SELECT count(DISTINCT org_id) FROM read_csv('{raw}/org_units/*.csv', "
        "union_by_name = true, all_varchar = true) WHERE level IN ('chi_bo', 'chi_bo_co_so')"
    ).fetchall()[0][0]
    files = sorted(raw.glob("*/*.csv"))
    return {"province": old.name, "districts": districts, "of_districts": len(old.districts),
            "seconds": seconds, "cells": cells, "orgs": counters.orgs,
            "members": counters.members, "meetings": counters.meetings,
            "attendance_rows": counters.attendance_rows, "files": len(files),
            "csv_bytes": sum(f.stat().st_size for f in files)}


def _header(path: Path) -> tuple[str, ...]:
    with open(path, encoding="utf-8-sig") as fh:
        return tuple(fh.readline().strip().split(","))


def read_kind_sql(raw: Path, kind: str, table: str) -> str:
    """The kind's CSVs as one table of contract types, the last delivered row per key.

    Files are grouped by header and each group read by one `read_csv` with the columns given
    (no sniffing: `union_by_name` would sniff every file, ≈ 2 s here)."""
    from chibo.contract import ACTION_COLUMN, CONTRACT, DUCKDB_TYPES

    spec = CONTRACT[kind]
    types = {c.name: DUCKDB_TYPES[c.type] for c in spec.columns}
    groups: dict[tuple[str, ...], list[str]] = {}
    for f in sorted(raw.glob(f"{kind}/*.csv")):
        groups.setdefault(_header(f), []).append(str(f))
    reads = []
    for header, files in groups.items():
        columns = ", ".join(f"'{c}': '{types.get(c, 'VARCHAR')}'" for c in header)
        reads.append(f"""
            SELECT * FROM read_csv({files!r}, header = true, auto_detect = false, delim = ',',
                                   quote = '"', escape = '"', filename = true,
                                   columns = {{{columns}}})""")
    present = {c for header in groups for c in header}
    cols = [c.name if c.name in present else f"NULL::{types[c.name]} AS {c.name}"
            for c in spec.columns]
    action = ACTION_COLUMN if ACTION_COLUMN in present else f"NULL AS {ACTION_COLUMN}"
    return f"""
        CREATE TABLE {table} AS
        SELECT * EXCLUDE ({ACTION_COLUMN}) FROM (
            SELECT {', '.join(cols)}, {action}, filename AS source_file
            FROM ({' UNION ALL BY NAME '.join(reads)})
            QUALIFY row_number() OVER (PARTITION BY {', '.join(spec.key)}
                                       ORDER BY filename DESC) = 1)
        WHERE {ACTION_COLUMN} IS DISTINCT FROM 'delete'"""


# integrate's org_units: every version with valid_to; the organisation's own facts (bounds,
# successor, decision) from its latest version
ORG_UNITS_SQL = """
    CREATE TABLE org_units AS
    SELECT o.* REPLACE (last_value(o.established_on) OVER whole AS established_on,
                        last_value(o.dissolved_on) OVER whole AS dissolved_on,
                        last_value(o.successor_id) OVER whole AS successor_id,
                        last_value(o.decision) OVER whole AS decision),
           lead(o.valid_from) OVER w - 1 AS valid_to
    FROM org_units_delivered o
    WINDOW w AS (PARTITION BY o.org_id ORDER BY o.valid_from ASC NULLS FIRST),
           whole AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING);
    DROP TABLE org_units_delivered"""


def child_floor(raw: Path, db: Path, out: Path) -> dict[str, Any]:
    """The floor: CSVs -> the tables chibo's model reads -> chibo's model -> two CSVs."""
    from unittest import mock

    import duckdb

    from chibo import model
    from chibo.contract import KINDS
    from chibo.rulebooks import load_rulebooks

    t0 = time.perf_counter()
    con = duckdb.connect(str(db))
    for kind in KINDS:
        table = "org_units_delivered" if kind == "org_units" else kind
        con.execute(read_kind_sql(raw, kind, table))
    con.execute(ORG_UNITS_SQL)
    t1 = time.perf_counter()
    with mock.patch.object(model, "run_data_checks", lambda con: None):   # no validation
        model.build_model(con, AS_OF, load_rulebooks())
    t2 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    for table in OUTPUTS:
        con.execute(f"COPY {table} TO '{out / table}.csv' (HEADER)")
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in (*KINDS, *OUTPUTS)}
    con.close()
    return {"seconds": {"load": t1 - t0, "model": t2 - t1, "copy": time.perf_counter() - t2},
            "rows": rows}


# ------------------------------------------------------------------------------------------
# parent side
# ------------------------------------------------------------------------------------------
def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1"}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one measured process; wall and CPU seconds of its tree, load average at its start."""
    load = os.getloadavg()[0]
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        rc = subprocess.run(cmd, cwd=REPO, env={**_env(), **(env or {})}, stdout=fh,
                            stderr=subprocess.STDOUT, text=True).returncode
    wall = time.perf_counter() - t0
    if rc:
        sys.stderr.write(log.read_text()[-5000:])
        raise SystemExit(f"{cmd[1:3]} failed with exit {rc} (log: {log})")
    return {"wall": wall, "cpu": _children_cpu() - cpu0, "load": load}


def _child(args: list[str], log: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A bench child (this file, --child …): its timing and the JSON of its last output line."""
    t = timed([sys.executable, __file__, *args], log)
    return t, json.loads(log.read_text().strip().splitlines()[-1])


def ensure_raw(work: Path, districts: int, regenerate: bool) -> tuple[Path, dict[str, Any]]:
    raw, marker = work / f"raw-d{districts}", work / f"raw-d{districts}.json"
    wanted = {"districts": districts, "years": list(YEARS), "seed": SEED,
              "as_of": AS_OF.isoformat()}
    if not regenerate and marker.exists() and raw.is_dir():
        info = json.loads(marker.read_text())
        if {k: info.get(k) for k in wanted} == wanted:
            return raw, {**info, "reused": True}
    shutil.rmtree(raw, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    _, info = _child(["--child", "generate", "--raw", str(raw), "--districts", str(districts)],
                     work / "generate.log")
    info.update(wanted)
    marker.write_text(json.dumps(info, indent=1))
    return raw, {**info, "reused": False}


def chibo_command() -> list[str]:
    script = Path(sys.executable).parent / "chibo"
    if not script.exists():
        raise SystemExit(f"no chibo console script beside {sys.executable}: "
                         "run this with .venv/bin/python")
    return [str(script)]


def run_floor(raw: Path, d: Path) -> dict[str, Any]:
    t, res = _child(["--child", "floor", "--raw", str(raw), "--db", str(d / "floor.duckdb"),
                     "--out", str(d / "out")], d / "floor.log")
    return {**t, **res}


def run_chibo(raw: Path, d: Path, env: dict[str, str]) -> dict[str, Any]:
    import duckdb

    wh = d / "chibo.duckdb"
    env = {**env, "PREFECT_HOME": env.get("PREFECT_HOME") or str(d / "prefect-home")}
    t = timed([*chibo_command(), "run", "--raw", str(raw), "--warehouse", str(wh),
               "--exports", str(d / "exports"), "--as-of", AS_OF.isoformat()], d / "chibo.log",
              env)
    cols = ", ".join(f"seconds_{s}" for s in STAGES)
    with duckdb.connect(str(wh), read_only=True) as con:
        row = con.execute(f"SELECT {cols} FROM runs ORDER BY finished_at DESC LIMIT 1").fetchone()
        rows = {k: con.execute(f"SELECT count(*) FROM {k}").fetchall()[0][0] for k in OUTPUTS}
    return {**t, "stages": dict(zip(STAGES, row or ())), "rows": rows}


def agreement(floor_dir: Path, chibo_dir: Path) -> dict[str, int]:
    """Floor vs chibo: org_year_classification's level per org-year, and whole rows of both
    outputs (all the floor's columns but source_file / source_row) in one and not the other."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{floor_dir / 'floor.duckdb'}' AS f (READ_ONLY)")
    con.execute(f"ATTACH '{chibo_dir / 'chibo.duckdb'}' AS k (READ_ONLY)")
    row = con.execute("""
        SELECT count(*) FILTER (f.org_id IS NOT NULL AND k.org_id IS NOT NULL
                                AND f.level IS NOT DISTINCT FROM k.level),
               count(*) FILTER (f.org_id IS NOT NULL AND k.org_id IS NOT NULL
                                AND f.level IS DISTINCT FROM k.level),
               count(*) FILTER (k.org_id IS NULL), count(*) FILTER (f.org_id IS NULL)
        FROM f.org_year_classification f
        FULL JOIN k.org_year_classification k USING (org_id, year)""").fetchone()
    out = dict(zip(("level_agrees", "level_differs", "only_floor", "only_chibo"), row or ()))
    for t in OUTPUTS:
        cols = ", ".join(c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'f' "
            "AND table_name = ? AND column_name NOT IN ('source_file', 'source_row') "
            "ORDER BY ordinal_position", [t]).fetchall())
        for a, b in (("f", "k"), ("k", "f")):
            out[f"{t}_rows_only_{'floor' if a == 'f' else 'chibo'}"] = con.execute(
                f"SELECT count(*) FROM (SELECT {cols} FROM {a}.{t} "
                f"EXCEPT ALL SELECT {cols} FROM {b}.{t})").fetchall()[0][0]
    con.close()
    return out


def _commit() -> str:
    git = ["git", "-C", str(REPO)]
    rev = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if rev.returncode:
        return "unknown (not a git checkout)"
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return rev.stdout.strip() + (" + uncommitted changes" if dirty else "")


def machine() -> str:
    import duckdb

    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{len(os.sched_getaffinity(0))} cores, {ram:.1f} GiB RAM; DuckDB "
            f"{duckdb.__version__}; Python {sys.version.split()[0]}; code {_commit()}")


def report(gen: dict[str, Any], runs: list[dict[str, Any]], agree: dict[str, int]) -> str:
    sides = list(dict.fromkeys(r["side"] for r in runs))
    med = {(s, m): statistics.median(r[m] for r in runs if r["side"] == s)
           for s in sides for m in ("wall", "cpu")}
    chibo = [r for r in runs if r["side"] != "floor"]
    floor = [r for r in runs if r["side"] == "floor"]
    org_years = chibo[-1]["rows"]["org_year_classification"]
    L = ["### Acceptance comparison: chibo's full run against the plain-DuckDB floor", "",
         f"Data: national-shaped province ({gen['province']}, first {gen['districts']} of "
         f"{gen['of_districts']} districts), {YEARS[0]}–{YEARS[1]}, seed {SEED}, as-of {AS_OF}: "
         f"{gen['cells']:,} cells, {gen['orgs']:,} orgs, {org_years:,} org-years, "
         f"{gen['members']:,} members, {gen['meetings']:,} meetings, "
         f"{gen['attendance_rows']:,} attendance rows, {gen['files']:,} files, "
         f"{gen['csv_bytes'] / 1e6:.0f} MB CSV.", "",
         f"Machine: {machine()}.", "",
         "| # | run | wall s | CPU s | load (1 min) |", "| ---: | --- | ---: | ---: | ---: |"]
    for r in runs:
        L.append(f"| {r['n']} | {r['side']} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['load']:.2f} |")
    L += [f"| median | {s} | {med[s, 'wall']:.1f} | {med[s, 'cpu']:.1f} | |" for s in sides]
    L += ["", "Ratio chibo / floor (median wall; median CPU seconds, less sensitive to other "
          "load), target ≤ 2×, goal 1.5×. Prefect modes: `cold` = a fresh warehouse folder and "
          "Prefect home (the first run on a machine: Prefect creates its database), `warm` = "
          "a Prefect home used before (every later hand run), `served` = reporting to a "
          "running Prefect server (`make serve`, which a hand run finds by itself):", ""]
    L += [f"- **{s}: {med[s, 'wall'] / med['floor', 'wall']:.2f}×** wall, "
          f"{med[s, 'cpu'] / med['floor', 'cpu']:.2f}× CPU" for s in sides if s != "floor"]
    L += ["", "chibo's seconds per stage (its `runs` row; 'outside' = wall minus the stages: "
          "process and Prefect start-up, lock, copies, exit):", "",
          "| # | mode | " + " | ".join(STAGES) + " | outside | wall |",
          "| ---: | --- | " + " | ".join("---:" for _ in STAGES) + " | ---: | ---: |"]
    for r in chibo:
        st = r["stages"]
        outside = r["wall"] - sum(v or 0 for v in st.values())
        L.append(f"| {r['n']} | {r['side']} | " + " | ".join(f"{st.get(s) or 0:.1f}"
                                                          for s in STAGES)
                 + f" | {outside:.1f} | {r['wall']:.1f} |")
    L += ["", "The floor's seconds (inside its process: read CSVs / chibo's model / COPY):", "",
          "| # | load | model | copy | wall |", "| ---: | ---: | ---: | ---: | ---: |"]
    for r in floor:
        s = r["seconds"]
        L.append(f"| {r['n']} | {s['load']:.1f} | {s['model']:.1f} | {s['copy']:.1f} "
                 f"| {r['wall']:.1f} |")
    L += ["", f"Agreement (last floor run vs last chibo run): org_year_classification's level "
          f"agrees on {agree['level_agrees']:,} org-years and differs on "
          f"{agree['level_differs']:,}; org-years only in the floor {agree['only_floor']:,}, "
          f"only in chibo {agree['only_chibo']:,}. Whole rows in one and not the other "
          "(floor / chibo): " + "; ".join(
              f"{t} {agree[f'{t}_rows_only_floor']:,} / {agree[f'{t}_rows_only_chibo']:,}"
              for t in OUTPUTS) + ". Rows: floor " + ", ".join(
              f"{k} {v:,}" for k, v in floor[-1]["rows"].items() if k in OUTPUTS)
          + "; chibo " + ", ".join(f"{k} {v:,}" for k, v in chibo[-1]["rows"].items()) + ".", ""]
    return "\n".join(L)


PREFECT_MODES = ("cold", "warm", "served")


def _free_port() -> int:
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def prefect_modes(wanted: list[str], work: Path, raw: Path) -> Iterator[dict[str, dict[str, str]]]:
    """Each chibo side's environment: `cold` a fresh Prefect home per run; `warm` one home,
    prepared by an untimed run first; `served` a `prefect server` started here (waited on
    its health) and stopped at the end."""
    import urllib.request

    modes: dict[str, dict[str, str]] = {}
    server: subprocess.Popen[bytes] | None = None
    try:
        for mode in wanted:
            if mode == "cold":
                modes["chibo-cold"] = {}
            elif mode == "warm":
                home = work / "prefect-warm"
                shutil.rmtree(home, ignore_errors=True)
                env = {"PREFECT_HOME": str(home)}
                scratch = work / "warm-up"
                shutil.rmtree(scratch, ignore_errors=True)
                scratch.mkdir(parents=True)
                run_chibo(raw, scratch, env)
                shutil.rmtree(scratch, ignore_errors=True)
                modes["chibo-warm"] = env
            else:
                home = work / "prefect-served"
                shutil.rmtree(home, ignore_errors=True)
                home.mkdir(parents=True)
                api = f"http://127.0.0.1:{_free_port()}/api"
                env = {"PREFECT_HOME": str(home)}
                with open(work / "prefect-server.log", "wb") as log:
                    server = subprocess.Popen(
                        [str(Path(sys.executable).parent / "prefect"), "server", "start",
                         "--host", "127.0.0.1", "--port", api.split(":")[2].split("/")[0],
                         "--no-ui"], env={**_env(), **env}, stdout=log,
                        stderr=subprocess.STDOUT, start_new_session=True)
                deadline = time.monotonic() + 180
                while True:
                    try:
                        with urllib.request.urlopen(f"{api}/health", timeout=2) as answer:
                            if answer.status == 200:
                                break
                    except OSError:
                        pass
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"prefect server did not start (log: {log.name})")
                    time.sleep(0.5)
                modes["chibo-served"] = {**env, "PREFECT_API_URL": api}
        yield modes
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


def measure(raw: Path, runs_dir: Path, repeats: int,
            modes: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Alternately: the floor, then chibo in each Prefect mode (its environment)."""
    runs: list[dict[str, Any]] = []
    for n in range(1, repeats + 1):
        for side in ["floor", *modes]:
            d = runs_dir / f"{side}-{n}"
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
            res = run_floor(raw, d) if side == "floor" else run_chibo(raw, d, modes[side])
            r = {"n": n, "side": side, **res}
            print(f"{side} {n}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU, "
                  f"load {r['load']:.2f}", file=sys.stderr, flush=True)
            runs.append(r)
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="floor/chibo pairs (alternating)")
    ap.add_argument("--districts", type=int, default=4,
                    help="districts of the 18 kept (≈ 250 cells each; 4 ≈ 1,000 cells)")
    ap.add_argument("--workdir", default="/tmp/chibo-floor")
    ap.add_argument("--keep", action="store_true", help="keep the run folders")
    ap.add_argument("--prefect", default="cold,warm,served",
                    help="how chibo's runs meet Prefect (a list of cold, warm, served)")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--child", choices=["generate", "floor"], help=argparse.SUPPRESS)
    ap.add_argument("--raw", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child == "generate":
        print(json.dumps(child_generate(Path(a.raw), a.districts)))
        return
    if a.child == "floor":
        print(json.dumps(child_floor(Path(a.raw), Path(a.db), Path(a.out))))
        return

    work = Path(a.workdir).absolute()
    if work == REPO or REPO in work.parents:
        raise SystemExit("--workdir must be outside the repository")
    raw, gen = ensure_raw(work, a.districts, a.regenerate)
    print(f"data ready in {raw} ({gen['cells']:,} cells, {gen['attendance_rows']:,} attendance "
          f"rows{', reused' if gen['reused'] else ''})", file=sys.stderr, flush=True)
    runs_dir = work / f"runs-d{a.districts}"
    wanted = [m.strip() for m in a.prefect.split(",") if m.strip()]
    if not wanted or set(wanted) - set(PREFECT_MODES):
        raise SystemExit(f"--prefect: a list of {', '.join(PREFECT_MODES)}")
    with prefect_modes(wanted, work, raw) as modes:
        try:
            runs = measure(raw, runs_dir, a.repeats, modes)
            agree = agreement(runs_dir / f"floor-{a.repeats}",
                              runs_dir / f"{next(iter(modes))}-{a.repeats}")
        finally:
            if not a.keep:
                shutil.rmtree(runs_dir, ignore_errors=True)
    out = report(gen, runs, agree)
    print(out)
    stem = work / f"result-floor-d{a.districts}"
    stem.with_suffix(".md").write_text(out)
    stem.with_suffix(".json").write_text(json.dumps(
        {"generate": gen, "runs": runs, "agreement": agree}, indent=1))


if __name__ == "__main__":
    main()
