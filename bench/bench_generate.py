"""Benchmark the generator: wall time and peak RSS, each in a fresh process.

python bench/bench_generate.py [--provinces N]   (national is measured on the first N of the 63
old provinces, in the order of the 34 new ones — N = 2 is the first merged pair, through the
reorganisation of 1/7/2025 — for one year and extrapolated linearly: work is strictly per old
province and month)
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile

CHILD = """
import datetime as dt, json, resource, sys, time
from chibo.generate import generate
scale, years, out, prov = sys.argv[1], (int(sys.argv[2]), int(sys.argv[3])), sys.argv[4], int(sys.argv[5])
t = time.perf_counter()
kw = {"provinces": prov} if scale == "national" else {}
s = generate(scale, years, out, seed=1, as_of=dt.date(years[1] + 1, 2, 1), **kw)
print(json.dumps({"seconds": time.perf_counter() - t, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "members": s.members, "meetings": s.meetings, "attendance_rows": s.attendance_rows, "files": s.files,
                  "orgs": s.orgs, "official_ratings": s.official_ratings, "inflated": len(s.inflated_ratings)}))
"""


def run(scale: str, y0: int, y1: int, provinces: int) -> dict:
    out = tempfile.mkdtemp(prefix="bench-gen-")
    try:
        r = subprocess.run([sys.executable, "-c", CHILD, scale, str(y0), str(y1), out, str(provinces)],
                           check=True, capture_output=True, text=True)
        res = json.loads(r.stdout.strip().splitlines()[-1])
        res["bytes"] = int(subprocess.run(["du", "-sb", out], capture_output=True, text=True).stdout.split()[0])
        return res
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--provinces", type=int, default=2)
    a = ap.parse_args()
    p = run("province", 2023, 2025, 0)
    print(f"province 2023-2025: {p['seconds']:.1f} s, peak RSS {p['rss_mb']:.0f} MB, {p['orgs']:,} orgs, "
          f"{p['members']:,} members, {p['attendance_rows']:,} attendance rows, {p['official_ratings']:,} official "
          f"ratings ({p['inflated']} planted inflated), {p['files']} files, {p['bytes'] / 1e6:.0f} MB")
    n = run("national", 2025, 2025, a.provinces)
    f = 63 / a.provinces
    print(f"national 2025, {a.provinces}/63 provinces: {n['seconds']:.1f} s, peak RSS {n['rss_mb']:.0f} MB, "
          f"{n['members']:,} members, {n['attendance_rows']:,} attendance rows, {n['bytes'] / 1e6:.0f} MB")
    print(f"  extrapolated to 63 provinces: {n['seconds'] * f / 60:.1f} min, "
          f"{n['attendance_rows'] * f / 1e6:.0f} M attendance rows, {n['bytes'] * f / 1e9:.1f} GB "
          f"(peak RSS does not grow with provinces)")


if __name__ == "__main__":
    main()
