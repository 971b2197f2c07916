"""member_ratings: one row per member per year."""
from __future__ import annotations

import pandera.polars as pa

from schemas._common import SchemaContext, build

KIND = "member_ratings"


def build_schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    # Every rule of this kind is a standard one (required, id, enum, bool, year range, dups).
    return build(KIND, ctx)
