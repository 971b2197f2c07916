"""Parse the reader's text columns into typed `c__v` columns, set-based with polars expressions.

A value that does not parse becomes null in `c__v`; the schema compares it with the raw column
to report the problem. Vocabulary lookups (enums, booleans, actions) are computed once per
distinct value and applied with `replace_strict`, because a column holds few distinct values.
"""
from __future__ import annotations

import unicodedata
from datetime import date

import polars as pl

from chibo.contract import ACTION_COLUMN, ACTIONS, Column, Kind
from schemas._common import ACTION_CODE, DELETE, ID_PATTERN, v

BOOLEANS: dict[str, bool] = {
    "1": True, "0": False, "true": True, "false": False, "yes": True, "no": False,
    "co": True, "khong": False, "x": True,
}


def fold_text(text: str) -> str:
    """Case- and diacritics-insensitive form (Python side, for vocabularies)."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped).replace("đ", "d")


def fold_expr(expr: pl.Expr) -> pl.Expr:
    """The same fold as `fold_text`, as a polars expression (applied to distinct values)."""
    return (expr.str.to_lowercase().str.normalize("NFD").str.replace_all(r"\p{Mn}", "")
            .str.normalize("NFC").str.replace_all("đ", "d", literal=True))


def enum_vocabulary(enum: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Folded code or label -> code."""
    vocab: dict[str, str] = {}
    for code, labels in enum.items():
        vocab[fold_text(code)] = code
        for label in labels:
            vocab[fold_text(label)] = code
    return vocab


def _lookup(frame: pl.DataFrame, column: str, vocab: dict, dtype: pl.DataType) -> pl.Expr:
    """Map each distinct raw value through the fold + vocabulary; unknown -> null."""
    distinct = frame.select(pl.col(column).unique().drop_nulls())
    folded = distinct.with_columns(fold_expr(pl.col(column)).alias("__k"))
    mapping = dict(zip(folded[column].to_list(),
                       (vocab.get(k) for k in folded["__k"].to_list())))
    mapping = {raw: val for raw, val in mapping.items() if val is not None}
    return pl.col(column).replace_strict(mapping, default=None, return_dtype=dtype)


# Excel's day 0 in the 1900 date system (serial 1 = 1900-01-01, counting its phantom 29/02/1900).
EXCEL_EPOCH = date(1899, 12, 30)
# An Excel date serial typed or kept as text: 5 digits (10000 = 1927-05-18 … 99999 = 2173);
# 4 digits would be read as a year by the person, so they are not taken as serials.
SERIAL = r"^(\d{5})(?:\.0+)?$"
# An Excel time kept as text: a fraction of a day (0.8125 = 19:30), point or comma.
DAY_FRACTION = r"^0?[.,]\d+$"


def parse_date(expr: pl.Expr) -> pl.Expr:
    """YYYY-MM-DD, DD/MM/YYYY or D/M/YYYY, or an Excel date serial (45310 = 2024-01-19);
    impossible days (30/02) -> null."""
    dmy = expr.str.extract_groups(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
    iso = pl.when(expr.str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(expr).otherwise(
        pl.concat_str([dmy.struct[2], dmy.struct[1].str.zfill(2), dmy.struct[0].str.zfill(2)],
                      separator="-"))
    serial = expr.str.extract(SERIAL, 1).cast(pl.Int64, strict=False)
    from_serial = pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)
    return pl.when(serial.is_not_null()).then(from_serial.cast(pl.Date)).otherwise(
        iso.str.to_date("%Y-%m-%d", strict=False))


def parse_time(expr: pl.Expr) -> pl.Expr:
    """HH:MM, H:MM (optional :SS from Excel), 19h30, 8h, or an Excel time as a fraction of a
    day (0.8125 = 19:30, to the nearest second)."""
    g = expr.str.extract_groups(r"^(\d{1,2})(?::(\d{2})(?::(\d{2}))?|[hH](\d{2})?)$")
    h = g.struct[0].cast(pl.Int32)
    m = pl.coalesce(g.struct[1], g.struct[3], pl.lit("0")).cast(pl.Int32)
    s = pl.coalesce(g.struct[2], pl.lit("0")).cast(pl.Int32)
    fraction = pl.when(expr.str.contains(DAY_FRACTION)).then(
        expr.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False))
    seconds = (fraction * 86400).round(0).cast(pl.Int64, strict=False)
    h = pl.when(seconds.is_not_null()).then((seconds // 3600).cast(pl.Int32)).otherwise(h)
    m = pl.when(seconds.is_not_null()).then((seconds % 3600 // 60).cast(pl.Int32)).otherwise(m)
    s = pl.when(seconds.is_not_null()).then((seconds % 60).cast(pl.Int32)).otherwise(s)
    ok = (h < 24) & (m < 60) & (s < 60)
    # Clip inside the constructor so out-of-range rows never reach pl.time (it would raise).
    return pl.when(ok).then(pl.time(h.clip(0, 23), m.clip(0, 59), s.clip(0, 59)))


def parse_int(expr: pl.Expr) -> pl.Expr:
    """Digits with an optional sign; at most 9 digits so every value fits Int32."""
    return pl.when(expr.str.contains(r"^[+-]?\d{1,9}$")).then(expr.cast(pl.Int64, strict=False))


def decimal_text(expr: pl.Expr, decimal_comma: bool) -> pl.Expr:
    """Normalised decimal text (point separator, ≤ 2 decimals) or null."""
    if decimal_comma:
        expr = pl.when(expr.str.contains(r"^[+-]?\d*,\d+$")).then(
            expr.str.replace(",", ".", literal=True)).otherwise(expr)
    # Trailing zeros do not count as decimal places (93.50 = 93.5).
    ok = expr.str.contains(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
    ok = ok & ~expr.str.contains(r"\.\d{2}\d*[1-9]")
    return pl.when(ok).then(expr)


def add_parsed(frame: pl.DataFrame, kind: Kind, decimal_comma: bool) -> pl.DataFrame:
    """Add every contract column missing from the file (as null) and the parsed `c__v` columns."""
    missing = [c for c in kind.column_names if c not in frame.columns]
    frame = frame.with_columns([pl.lit(None, pl.String).alias(c) for c in missing])
    if ACTION_COLUMN not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias(ACTION_COLUMN))

    exprs: list[pl.Expr] = []
    for col in kind.columns:
        exprs.append(_parse_column(frame, col, decimal_comma).alias(v(col.name)))
    action_vocab = enum_vocabulary({code: (label,) for code, label in ACTIONS.items()})
    action = pl.when(pl.col(ACTION_COLUMN).is_null()).then(pl.lit("upsert")).otherwise(
        _lookup(frame, ACTION_COLUMN, action_vocab, pl.String))
    exprs.append(action.alias(ACTION_CODE))
    frame = frame.with_columns(exprs)
    return frame.with_columns((pl.col(ACTION_CODE) == "delete").fill_null(False).alias(DELETE))


def _parse_column(frame: pl.DataFrame, col: Column, decimal_comma: bool) -> pl.Expr:
    raw = pl.col(col.name)
    if col.type == "id":
        return pl.when(raw.str.contains(ID_PATTERN)).then(raw)
    if col.type == "text":
        return raw
    if col.type == "date":
        return parse_date(raw)
    if col.type == "time":
        return parse_time(raw)
    if col.type == "int":
        return parse_int(raw)
    if col.type == "decimal":
        return decimal_text(raw, decimal_comma).cast(pl.Float64, strict=False)
    if col.type == "bool":
        return _lookup(frame, col.name, BOOLEANS, pl.Boolean)
    if col.type == "enum":
        return _lookup(frame, col.name, enum_vocabulary(col.enum), pl.String)
    raise ValueError(f"unknown column type {col.type}")
