"""`make bench`: the small version of every benchmark, in a few minutes on 2 cores.

    .venv/bin/python bench/run_all.py [--workdir /tmp/chibo-bench-small]

1. read + validate 1 M attendance rows (bench_read_validate.py);
2. the nightly pipeline on national-shaped data of 1 province: a first load, an idle night and
   a night with one correction (bench_pipeline.py --provinces 1);
3. the acceptance comparison once: chibo's full run against the plain-DuckDB floor on about
   1,000 cells × 3 years (bench_floor.py --repeats 1; the issue's figure takes --repeats 3).
The full-size figures (a whole national year) are in docs/benchmarks.md with their commands.
Nothing is written inside the repository.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", default="/tmp/chibo-bench-small")
    a = ap.parse_args()
    steps = [
        [sys.executable, str(HERE / "bench_read_validate.py")],
        [sys.executable, str(HERE / "bench_pipeline.py"), "--provinces", "1",
         "--workdir", a.workdir],
        [sys.executable, str(HERE / "bench_floor.py"), "--repeats", "1", "--prefect", "warm",
         "--workdir", a.workdir],
    ]
    for cmd in steps:
        print("$", " ".join(cmd[1:]), flush=True)
        rc = subprocess.run(cmd).returncode
        if rc:
            print(f"benchmark failed (exit {rc}): {' '.join(cmd[1:])}", file=sys.stderr)
            return rc
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
