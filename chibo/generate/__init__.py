"""Synthetic raw deliveries: ``generate(scale, years, out, seed)``.

``province``: the demo province, shaped on the real reorganisation of 1 July 2025: Đắk Nông
(8 districts, 71 communes, ~167 đảng bộ cơ sở, ~271 chi bộ cơ sở, ~1,716 chi bộ, ~27,500
members) and two districts of the old Lâm Đồng, each with its đảng bộ khối, merged into the
new Lâm Đồng: old roots, districts, khối and communes dissolved on 2025-06-30 with successors,
new đảng ủy xã/phường with chi bộ trực thuộc, the new provincial bodies, merged cells, a level
change, đảng bộ bộ phận (chibo/generate/tree.py). Delivered like real life (plain CSV,
Excel-style CSV in Windows-1258, XLSX with title blocks, corrections, a few planted bad rows
listed in the summary and in ``.generated/bad_rows.csv``), with the committee's official
ratings, some planted inflated ones listed in ``.generated/official_ratings_planted.csv``.
``national``: 63 province-shaped trees (~280,000 cells, ~5.6 million members) merged into the
34 provinces of 1/7/2025, plain CSV, streamed per old province and month.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Literal

import polars as pl

from chibo.generate.core import BadRow, Counters, generate_group, national_specs, province_spec

__all__ = ["generate", "parse_years", "GenerateSummary", "BadRow", "MANIFEST_DIR", "PLANTED_RATINGS"]

# beside the data, in a hidden folder the pipeline does not read (raw/ scanning skips it)
MANIFEST_DIR = ".generated"
PLANTED_RATINGS = "official_ratings_planted.csv"
BAD_ROWS = "bad_rows.csv"


@dataclass(kw_only=True)
class GenerateSummary(Counters):
    """What `generate` wrote: the counters of the run plus where, when and how."""
    scale: str
    years: tuple[int, int]
    seed: int
    as_of: dt.date
    out: Path
    seconds: float = 0.0

    @property
    def intended_bad_rows(self) -> int:
        return len({(b.file, b.row) for b in self.bad_rows})

    @property
    def inflated_ratings(self) -> list[dict]:
        """The planted official ratings higher than the records support (audit `official_higher`)."""
        return [r for r in self.planted_ratings if r["what"] == "inflated"]

    def as_dict(self) -> dict:
        d = asdict(self)
        d["out"], d["as_of"] = str(self.out), self.as_of.isoformat()
        d["intended_bad_rows"] = self.intended_bad_rows
        return d

    def markdown(self) -> str:
        what: dict[str, int] = {}
        for r in self.planted_ratings:
            what[r["what"]] = what.get(r["what"], 0) + 1
        lines = [f"Generated {self.scale} {self.years[0]}–{self.years[1]} (seed {self.seed}, as-of {self.as_of}) "
                 f"into {self.out} in {self.seconds:.1f} s",
                 f"- orgs {self.orgs:,}, members {self.members:,}, meetings {self.meetings:,}, "
                 f"attendance rows {self.attendance_rows:,}, assessments {self.assessments:,}, "
                 f"member ratings {self.member_ratings:,}, official ratings {self.official_ratings:,}",
                 f"- files {self.files:,}: " + ", ".join(f"{k} {v}" for k, v in sorted(self.files_by_kind.items())),
                 "- planted official ratings: " + (", ".join(f"{k} {v}" for k, v in sorted(what.items())) or "none")
                 + f" ({MANIFEST_DIR}/{PLANTED_RATINGS})",
                 f"- intended bad rows: {self.intended_bad_rows}"]
        lines += [f"  - {b.file} row {b.row}: {b.column} ({b.check})" for b in self.bad_rows]
        return "\n".join(lines)


def parse_years(text: str) -> tuple[int, int]:
    """``"2023-2025"`` -> (2023, 2025); ``"2024"`` -> (2024, 2024)."""
    m = re.fullmatch(r"\s*(\d{4})\s*(?:[-–:]\s*(\d{4}))?\s*", text)
    if not m:
        raise ValueError(f"years must look like 2023-2025, got {text!r}")
    a, b = int(m.group(1)), int(m.group(2) or m.group(1))
    if not (2000 <= a <= b <= 2100):
        raise ValueError(f"invalid year range {text!r}")
    return a, b


def _write_manifests(out: Path, c: Counters) -> None:
    d = out / MANIFEST_DIR
    d.mkdir(parents=True, exist_ok=True)
    cols = {"org_id": pl.String, "year": pl.Int32, "what": pl.String, "official_level": pl.String,
            "best_supported": pl.String, "four_good_awarded": pl.Boolean, "file": pl.String}
    pl.DataFrame(c.planted_ratings, schema=cols).sort("year", "org_id", "what").write_csv(d / PLANTED_RATINGS)
    pl.DataFrame([asdict(b) for b in c.bad_rows],
                 schema={"kind": pl.String, "file": pl.String, "row": pl.Int64, "column": pl.String,
                         "check": pl.String}).write_csv(d / BAD_ROWS)


def generate(scale: Literal["province", "national"], years: tuple[int, int], out: Path, seed: int = 1,
             as_of: dt.date | None = None, *, provinces: int | None = None,
             members: int | None = None) -> GenerateSummary:
    """Write synthetic raw deliveries into ``out/<kind>/``. Deterministic for a seed and as-of.

    ``provinces`` (national only) limits the run to the first N old provinces (of 63, in the
    order of the 34 new ones: benchmarks, tests); ``members`` (province only) overrides the
    register size (fast tests).
    """
    t0 = time.perf_counter()
    as_of = as_of or dt.date.today()
    out = Path(out)
    if isinstance(years, str):
        years = parse_years(years)
    c = Counters()
    if scale == "province":
        generate_group(province_spec(members), years, out, seed, as_of, c)
    elif scale == "national":
        left = provinces or 63
        for ns in national_specs():
            if left <= 0:
                break
            left -= generate_group(ns, years, out, seed, as_of, c, limit=left)
    else:
        raise ValueError(f"scale must be province or national, got {scale!r}")
    _write_manifests(out, c)
    counts = {f.name: getattr(c, f.name) for f in fields(c)}
    return GenerateSummary(**counts, scale=scale, years=tuple(years), seed=seed, as_of=as_of,
                           out=out, seconds=time.perf_counter() - t0)
