"""Synthetic raw deliveries: ``generate(scale, years, out, seed)``.

``province``: Đắk Nông-shaped (8 district-level units, ~167 đảng bộ cơ sở, ~271 chi bộ cơ sở,
~1,716 chi bộ, ~27,500 members) delivered like real life (plain CSV, Excel-style CSV in
Windows-1258, XLSX with title blocks, corrections, a few bad rows listed in the summary).
``national``: 63 province-shaped trees (~280,000 cells, ~5.6 million members), plain CSV,
streamed per province and month.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Literal

from chibo.generate.core import BadRow, Counters, dak_nong_spec, generate_one, national_spec

__all__ = ["generate", "parse_years", "GenerateSummary", "BadRow"]


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

    def as_dict(self) -> dict:
        d = asdict(self)
        d["out"], d["as_of"] = str(self.out), self.as_of.isoformat()
        d["intended_bad_rows"] = self.intended_bad_rows
        return d

    def markdown(self) -> str:
        lines = [f"Generated {self.scale} {self.years[0]}–{self.years[1]} (seed {self.seed}, as-of {self.as_of}) "
                 f"into {self.out} in {self.seconds:.1f} s",
                 f"- orgs {self.orgs:,}, members {self.members:,}, meetings {self.meetings:,}, "
                 f"attendance rows {self.attendance_rows:,}, assessments {self.assessments:,}, "
                 f"member ratings {self.member_ratings:,}",
                 f"- files {self.files:,}: " + ", ".join(f"{k} {v}" for k, v in sorted(self.files_by_kind.items())),
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


def generate(scale: Literal["province", "national"], years: tuple[int, int], out: Path, seed: int = 1,
             as_of: dt.date | None = None, *, provinces: int | None = None,
             members: int | None = None) -> GenerateSummary:
    """Write synthetic raw deliveries into ``out/<kind>/``. Deterministic for a seed and as-of.

    ``provinces`` (national only) limits the run to the first N provinces (benchmarks, tests);
    ``members`` (province only) overrides the register size (fast tests).
    """
    t0 = time.perf_counter()
    as_of = as_of or dt.date.today()
    out = Path(out)
    if isinstance(years, str):
        years = parse_years(years)
    c = Counters()
    if scale == "province":
        spec = dak_nong_spec() if members is None else dak_nong_spec(members)
        generate_one(spec, years, out, seed, as_of, c)
    elif scale == "national":
        for p in range(1, (provinces or 63) + 1):
            generate_one(national_spec(p), years, out, seed, as_of, c)
    else:
        raise ValueError(f"scale must be province or national, got {scale!r}")
    counts = {f.name: getattr(c, f.name) for f in fields(c)}
    return GenerateSummary(**counts, scale=scale, years=tuple(years), seed=seed, as_of=as_of,
                           out=out, seconds=time.perf_counter() - t0)
