"""What writing the warehouse in an older storage format costs: `chibo run` on the worked
example with CHIBO_STORAGE_VERSION=v1.4.0 (the default) and =latest (DuckDB's own newest).

    .venv/bin/python scripts/bench_storage_version.py [--raw DIR] [--repeats N]

Each repeat, alternating the two settings: a first run into an empty folder, then an idle run
(nothing new), then the README's analyst queries timed on the published file (read-only).
Prints a Markdown table (medians) for docs/benchmarks.md.

    .venv/bin/python scripts/bench_storage_version.py --from-warehouse FILE [--repeats N]

The storage format alone, on a bigger warehouse than the worked example: FILE copied
(`COPY FROM DATABASE`, then CHECKPOINT) into a new file in each format, and the README queries
timed on each copy.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
SETTINGS = ("v1.4.0", "latest")


def readme_queries(readme: Path) -> list[str]:
    text = readme.read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


def one_run(chibo: list[str], raw: Path, work: Path, as_of: str,
            storage: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one `chibo run`."""
    env = {**os.environ, "CHIBO_STORAGE_VERSION": storage}
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([*chibo, "run", "--raw", str(raw), "--warehouse", str(work / "w.duckdb"),
                    "--exports", str(work / "exports"), "--as-of", as_of],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)


def query_seconds(db: Path, queries: list[str]) -> float:
    con = duckdb.connect(str(db), read_only=True)
    try:
        t0 = time.perf_counter()
        for _ in range(3):
            for q in queries:
                con.sql(q).fetchall()
        return (time.perf_counter() - t0) / 3
    finally:
        con.close()


def storage_tag(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                           "WHERE NOT internal").fetchall()[0][0]
    finally:
        con.close()


def copy_into(src: Path, dest: Path, storage: str) -> float:
    t0 = time.perf_counter()
    con = duckdb.connect(str(dest), config={"storage_compatibility_version": storage})
    try:
        con.execute(f"ATTACH '{src}' AS src (READ_ONLY)")
        db = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute(f'COPY FROM DATABASE src TO "{db}"')
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return time.perf_counter() - t0


def copy_bench(src: Path, repeats: int, queries: list[str]) -> None:
    res: dict[str, dict[str, list[float]]] = {
        s: {"copy": [], "bytes": [], "queries": []} for s in SETTINGS}
    tags = {}
    for i in range(repeats):
        for storage in SETTINGS if i % 2 == 0 else reversed(SETTINGS):
            with tempfile.TemporaryDirectory(prefix="chibo-bench-storage-") as tmp:
                db = Path(tmp) / "w.duckdb"
                res[storage]["copy"].append(copy_into(src, db, storage))
                res[storage]["bytes"].append(db.stat().st_size)
                res[storage]["queries"].append(query_seconds(db, queries))
                tags[storage] = storage_tag(db)
    print(f"| storage | copy + CHECKPOINT (s) | file (MiB) | {len(queries)} README queries (ms) |")
    print("| --- | --- | --- | --- |")
    for storage in SETTINGS:
        r = res[storage]
        print(f"| `{storage}` ({tags[storage]}) | {statistics.median(r['copy']):.2f} "
              f"| {statistics.median(r['bytes']) / 2**20:.1f} "
              f"| {1000 * statistics.median(r['queries']):.0f} |")
    print(f"\nmedians of {repeats} repeats; source {src.stat().st_size / 2**20:.1f} MiB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", default="/work/shared/examples/small-province/raw")
    ap.add_argument("--as-of", default="2026-03-15")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chibo", default=str(Path(sys.executable).with_name("chibo")),
                    help="the command that runs chibo (default: the one beside this python)")
    ap.add_argument("--readme", default=str(REPO / "README.md"),
                    help="whose ```sql blocks are the analyst queries")
    ap.add_argument("--from-warehouse", help="time the storage format alone on this file")
    args = ap.parse_args()
    chibo = shlex.split(args.chibo)
    queries = readme_queries(Path(args.readme))
    if args.from_warehouse:
        copy_bench(Path(args.from_warehouse), args.repeats, queries)
        return 0
    results: dict[str, dict[str, list[float]]] = {
        s: {"first": [], "first_cpu": [], "idle": [], "queries": [], "bytes": []}
        for s in SETTINGS}
    tags: dict[str, str] = {}
    for i in range(args.repeats):
        for storage in SETTINGS if i % 2 == 0 else reversed(SETTINGS):
            with tempfile.TemporaryDirectory(prefix="chibo-bench-storage-") as tmp:
                work = Path(tmp)
                r = results[storage]
                wall, cpu = one_run(chibo, Path(args.raw), work, args.as_of, storage)
                r["first"].append(wall)
                r["first_cpu"].append(cpu)
                r["idle"].append(one_run(chibo, Path(args.raw), work, args.as_of, storage)[0])
                db = work / "w.duckdb"
                r["bytes"].append(db.stat().st_size)
                r["queries"].append(query_seconds(db, queries))
                tags[storage] = storage_tag(db)
            print(f"repeat {i + 1} {storage}: first {r['first'][-1]:.1f} s, "
                  f"idle {r['idle'][-1]:.1f} s", file=sys.stderr)
    print(f"| CHIBO_STORAGE_VERSION | file's storage | first run (s) | first run CPU (s) "
          f"| idle run (s) | file (MiB) | {len(queries)} README queries (ms) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for storage in SETTINGS:
        r = results[storage]
        print(f"| `{storage}` | {tags[storage]} | {statistics.median(r['first']):.1f} "
              f"| {statistics.median(r['first_cpu']):.1f} "
              f"| {statistics.median(r['idle']):.1f} "
              f"| {statistics.median(r['bytes']) / 2**20:.2f} "
              f"| {1000 * statistics.median(r['queries']):.0f} |")
    print(f"\nmedians of {args.repeats} repeats; min first run: "
          + ", ".join(f"{s} {min(results[s]['first']):.1f} s" for s in SETTINGS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
