"""assessments: one row per organisation per year (the upper level's yearly assessment)."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas._common import SchemaContext, build, pv, rule

KIND = "assessments"


def build_schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    def score_present(lf: pl.LazyFrame) -> pl.Expr:
        # The rulebook decides per year whether the score is required; ask it once per
        # distinct year in the file, then test membership set-wise.
        years = lf.select(pv("year").unique().drop_nulls()).collect().to_series().to_list()
        scored = [y for y in years if ctx.score_required(int(y))]
        return pl.col("score").is_not_null() | ~pv("year").is_in(scored)

    return build(KIND, ctx, {
        "targets_met": [rule("out_of_range", pv("targets_met") <= pv("targets_total"))],
        "targets_exceeded": [rule("out_of_range", pv("targets_exceeded") <= pv("targets_met"))],
        "score": [rule("required", score_present)],
    })
