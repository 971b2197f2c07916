"""meetings: one row per meeting (the minutes' header)."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas._common import SchemaContext, build, pv, rule

KIND = "meetings"


def build_schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    return build(KIND, ctx, {
        "meeting_date": [rule("out_of_range", pv("meeting_date").dt.year() >= 2000)],
        "end_time": [rule("end_before_start", pv("end_time") > pv("start_time"))],
        "topic": [rule("topic_required", pl.col("topic").is_not_null()
                       | ~pv("meeting_type").is_in(["thematic", "combined"]))],
    })
