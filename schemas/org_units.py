"""org_units: the party tree. Tree checks (parent level, cycles) are integration checks."""
from __future__ import annotations


import pandera.polars as pa
import polars as pl

from schemas._common import SchemaContext, build, pv, rule

KIND = "org_units"


def build_schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    return build(KIND, ctx, {
        # parent_id is required for every level but the province (tinh).
        "parent_id": [rule("required", pl.col("parent_id").is_not_null() | (pv("level") == "tinh")
                           | pv("level").is_null())],
        "dissolved_on": [rule("dissolved_before_established",
                              pv("dissolved_on") >= pv("established_on"))],
    })



