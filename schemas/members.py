"""members: the member register."""
from __future__ import annotations

from datetime import date

import pandera.polars as pa

from schemas._common import SchemaContext, build, pv, rule

KIND = "members"


def build_schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    return build(KIND, ctx, {
        "birth_date": [rule("out_of_range", pv("birth_date") > date(1900, 1, 1))],
        # At least 18 on the joining day: the 18th birthday is on or before joined_on.
        "joined_on": [rule("under_18_at_joining",
                           pv("birth_date").dt.offset_by("18y") <= pv("joined_on"))],
        "official_on": [rule("official_before_joined", pv("official_on") >= pv("joined_on"))],
    })
