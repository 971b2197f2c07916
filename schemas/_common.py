"""Building blocks shared by the per-kind pandera schemas.

The frame a schema validates (built by `chibo.validate`) holds, for every contract column `c`:
- `c`: the raw text as read (NFC, trimmed, empty -> null). Checks are attached to these columns,
  so pandera's `failure_case` is the offending raw text a person typed;
- `c__v`: the parsed value (null when the text is empty or does not parse);
plus `__action` (`upsert`/`delete`, null when the action text is unknown) and `__delete`.

Every check is vectorised: it returns one boolean column computed from the whole frame
(`data.lazyframe`), so cross-column rules can be reported on the column a person must fix.
Rows with `action = delete` are checked only on their key columns.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from dataclasses import dataclass
from datetime import date

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from chibo.contract import ACTION_COLUMN, CONTRACT, Column, Kind

ACTION_CODE = "__action"
DELETE = "__delete"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
PARSE_CHECK: dict[str, str] = {
    "id": "invalid_id", "date": "invalid_date", "time": "invalid_time", "int": "invalid_int",
    "decimal": "invalid_decimal", "bool": "invalid_bool", "enum": "unknown_enum",
}


def v(column: str) -> str:
    """Name of the parsed-value column of `column`."""
    return f"{column}__v"


def pv(column: str) -> pl.Expr:
    return pl.col(v(column))


class YearRules(Protocol):
    """What validation asks the run's rulebooks about a year (chibo.rulebooks.RuleSet)."""

    def __hash__(self) -> int: ...          # one run's rules: schemas are cached per run
    def covers(self, year: int) -> bool: ...
    def uses_score(self, year: int) -> bool: ...
    def rates_timeliness(self, year: int) -> bool: ...


@dataclass(frozen=True)
class SchemaContext:
    as_of: date
    rules: YearRules


def rule(name: str, ok: pl.Expr | Callable[[pl.LazyFrame], pl.Expr], *, key: bool = False) -> pa.Check:
    """A vectorised check named by its contract check code.

    `ok` is true for good rows; null counts as good (a missing or unparsable input is reported
    by its own check, once). Unless `key`, rows with action = delete always pass.
    `ok` may be a function of the lazyframe when it needs frame-level facts (e.g. unique years).
    """
    def ok_expr(lf: pl.LazyFrame) -> pl.Expr:
        expr = ok(lf) if callable(ok) and not isinstance(ok, pl.Expr) else ok
        expr = expr.fill_null(True)
        return expr if key else expr | pl.col(DELETE)

    def fn(data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(ok_expr(data.lazyframe).alias("ok"))

    check = pa.Check(fn, name=name, error=name, ignore_na=False)
    # the same verdict as one expression, so a file's checks run in one polars select
    check.chibo_ok = ok_expr  # type: ignore[attr-defined]
    return check


def standard_checks(kind: Kind, col: Column, ctx: SchemaContext) -> list[pa.Check]:
    """Checks every column gets from its contract entry: required, parse, length, range, as-of."""
    raw, val = pl.col(col.name), pv(col.name)
    checks: list[pa.Check] = []
    if col.is_required:
        checks.append(rule("required", raw.is_not_null(), key=col.key))
    if col.type in PARSE_CHECK:
        checks.append(rule(PARSE_CHECK[col.type], raw.is_null() | val.is_not_null(), key=col.key))
    if col.max_length is not None:
        checks.append(rule("too_long", raw.str.len_chars() <= col.max_length, key=col.key))
    if col.type in ("int", "decimal"):
        # `year` (assessments, member_ratings) ends at the run's year, known only at run time.
        hi = ctx.as_of.year if col.name == "year" else col.max_value
        ok = pl.lit(True)
        if col.min_value is not None:
            ok = ok & (val >= col.min_value)
        if hi is not None:
            ok = ok & (val <= hi)
        if col.min_value is not None or hi is not None:
            checks.append(rule("out_of_range", ok, key=col.key))
    if col.type == "date":
        checks.append(rule("date_after_as_of", val <= pl.lit(ctx.as_of), key=col.key))
    return checks


def duplicate_key_check(kind: Kind) -> pa.Check:
    """Every row of a key that occurs more than once in the file fails (deletes included)."""
    keys = [pl.coalesce(pv(k).cast(pl.String), pl.col(k)) for k in kind.key]
    complete = pl.all_horizontal([pl.col(k).is_not_null() for k in kind.required_key])
    # Null keys are reported as `required`; they do not form a duplicate group.
    ok = ~complete | (pl.len().over(keys) == 1)
    return rule("duplicate_key_in_file", ok, key=True)


def action_column() -> pa.Column:
    return pa.Column(pl.String, nullable=True, required=False, checks=[
        rule("unknown_enum", pl.col(ACTION_COLUMN).is_null() | pl.col(ACTION_CODE).is_not_null(),
             key=True),
    ])


def build(kind_name: str, ctx: SchemaContext,
          extra: dict[str, list[pa.Check]] | None = None) -> pa.DataFrameSchema:
    """The kind's schema: standard checks per column, the kind's own rules, duplicate keys."""
    kind = CONTRACT[kind_name]
    extra = extra or {}
    columns: dict[str, pa.Column] = {}
    for col in kind.columns:
        checks = standard_checks(kind, col, ctx) + extra.get(col.name, [])
        if col.name == kind.key[0]:
            checks.append(duplicate_key_check(kind))
        # nullable: emptiness is the `required` check, reported with our code and message.
        columns[col.name] = pa.Column(pl.String, nullable=True, checks=checks)
    columns[ACTION_COLUMN] = action_column()
    return pa.DataFrameSchema(columns, name=kind_name, strict=False)
