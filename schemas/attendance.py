"""attendance: one row per member per meeting."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas._common import SchemaContext, build, pv, rule

KIND = "attendance"


def build_schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    return build(KIND, ctx, {
        # Unknown status: reported as unknown_enum, so these rules pass (null -> pass).
        "spoke": [rule("spoke_while_absent", ~pv("spoke") | (pv("status") == "present"))],
        "absence_reason": [rule("reason_required", pl.col("absence_reason").is_not_null()
                                | (pv("status") != "excused"))],
    })
