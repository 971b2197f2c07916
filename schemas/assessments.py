"""assessments: one row per organisation per year (the upper level's yearly assessment)."""
from __future__ import annotations

from collections.abc import Callable

import pandera.polars as pa
import polars as pl

from schemas._common import SchemaContext, build, pv, rule

KIND = "assessments"


def _years_where(ctx: SchemaContext, lf: pl.LazyFrame, asks: Callable[[int], bool]) -> list[int]:
    """The file's distinct years (covered by a rulebook) for which the rulebook says yes:
    asked once per year, then tested set-wise. A year no rulebook covers fails on `year`."""
    years = lf.select(pv("year").unique().drop_nulls()).collect().to_series().to_list()
    return [y for y in years if ctx.rules.covers(int(y)) and asks(int(y))]


def build_schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    def covered(lf: pl.LazyFrame) -> pl.Expr:
        return pv("year").is_in(_years_where(ctx, lf, lambda y: True))

    def required_by(asks: Callable[[int], bool], column: str) -> Callable[[pl.LazyFrame], pl.Expr]:
        def ok(lf: pl.LazyFrame) -> pl.Expr:
            return pl.col(column).is_not_null() | ~pv("year").is_in(_years_where(ctx, lf, asks))
        return ok

    return build(KIND, ctx, {
        "year": [rule("out_of_range", covered, key=True)],
        "targets_met": [rule("out_of_range", pv("targets_met") <= pv("targets_total"))],
        "targets_exceeded": [rule("out_of_range", pv("targets_exceeded") <= pv("targets_met"))],
        "targets_late": [rule("out_of_range", pv("targets_late") <= pv("targets_met")),
                         rule("required", required_by(ctx.rules.rates_timeliness, "targets_late"))],
        "leaders_disciplined": [rule("required", required_by(ctx.rules.rates_timeliness,
                                                             "leaders_disciplined"))],
        "score": [rule("required", required_by(ctx.rules.uses_score, "score"))],
    })
