"""official_ratings: the level the competent committee decided, one row per org per year."""
from __future__ import annotations

import pandera.polars as pa

from schemas._common import SchemaContext, build

KIND = "official_ratings"


def build_schema(ctx: SchemaContext) -> pa.DataFrameSchema:
    # Every rule of this kind is a standard one (required, id, enum, bool, year range, dups);
    # the org's level is checked at integration, against its version in that year.
    return build(KIND, ctx)
