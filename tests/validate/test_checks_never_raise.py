"""No row check can raise, whatever a cell holds (issue: failures land where they belong).

Every kind's schema is run on frames of arbitrary text — huge numbers, empty strings, control
characters, out-of-range years, dates that do not exist — and must return a verdict for every
row: each row is either valid or quarantined with a known check code, never an exception."""
from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chibo.contract import CONTRACT, KINDS
from chibo.read import ReadResult
from chibo.rulebooks import load_rulebooks
from chibo.validate import validate_frame

RULES = load_rulebooks()
AS_OF = dt.date(2025, 12, 31)
CHECK_CODES = {
    "required", "invalid_id", "invalid_date", "invalid_time", "invalid_int", "invalid_decimal",
    "invalid_bool", "unknown_enum", "out_of_range", "too_long", "date_after_as_of",
    "end_before_start", "topic_required", "reason_required", "spoke_while_absent",
    "under_18_at_joining", "official_before_joined", "dissolved_before_established",
    "duplicate_key_in_file",
}
# plausible and hostile cell texts: values of every type, edge numbers, control characters
CELL = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["1999", "2000", "2025", "2026", "99999999999999999999", "-1", "0", "1e9",
                     "93,5", "93.456", "30/02/1975", "2025-13-01", "19h30", "25:00", "x", "có",
                     "Không", "HTXSNV", "delete", "Xóa", "\x1b]0;t\x07", "\u202e", "\x00", " ",
                     "=1+1", "A" * 300]),
    st.integers(min_value=-10**12, max_value=10**12).map(str),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_kind_returns_a_verdict_per_row(data):
    kind = data.draw(st.sampled_from(KINDS))
    cols = [*CONTRACT[kind].column_names, "action"]
    n = data.draw(st.integers(min_value=1, max_value=6))
    rows = {c: [data.draw(CELL) for _ in range(n)] for c in cols}
    frame = pl.DataFrame(rows, schema={c: pl.String for c in cols}).with_columns(
        pl.int_range(2, n + 2, dtype=pl.Int64).alias("source_row"))
    result = validate_frame(ReadResult(frame=frame), kind, "f.csv", AS_OF, RULES)
    valid_rows = set(result.valid["source_row"].to_list())
    bad_rows = set(result.quarantine["source_row"].to_list())
    assert valid_rows | bad_rows == set(range(2, n + 2))
    assert not valid_rows & bad_rows
    assert set(result.quarantine["check_name"].to_list()) <= CHECK_CODES
    assert result.quarantine["message_vi"].null_count() == 0
