"""Validate a `ReadResult` with the kind's pandera schema; split valid rows from quarantine."""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandera.polars as pa
import polars as pl
from polars._typing import PolarsDataType

from chibo.contract import ACTION_COLUMN, CONTRACT, Kind
from chibo.messages import row_message
from chibo.read import SOURCE_ROW, FileRejected, ReadResult, read_file, with_read_problems
from chibo.read.text import printable
from chibo.validate.parse import add_parsed, decimal_text
from schemas._common import ACTION_CODE, DELETE, SchemaContext, YearRules, v

QUARANTINE_SCHEMA: dict[str, PolarsDataType] = {
    "kind": pl.String, "file": pl.String, "source_row": pl.Int64, "column_name": pl.String,
    "check_name": pl.String, "value": pl.String, "message_vi": pl.String, "message_en": pl.String,
}
VALID_TYPES: dict[str, PolarsDataType] = {
    "id": pl.String, "text": pl.String, "enum": pl.String, "date": pl.Date, "time": pl.Time,
    "int": pl.Int32, "decimal": pl.Decimal(5, 2), "bool": pl.Boolean,
}


@dataclass
class ValidationResult:
    valid: pl.DataFrame        # contract columns typed, + action, source_row
    quarantine: pl.DataFrame   # QUARANTINE_SCHEMA, one row per problem
    rows_read: int


@functools.lru_cache(maxsize=64)
def schema_for(kind: str, as_of: date, rules: YearRules) -> pa.DataFrameSchema:
    """The kind's schema; built once per (kind, as-of, rulebooks) — a run reads many files."""
    module = importlib.import_module(f"schemas.{kind}")
    return module.build_schema(SchemaContext(as_of=as_of, rules=rules))


def _failure_cases(schema: pa.DataFrameSchema, work: pl.DataFrame) -> pl.DataFrame:
    """Every (row, column, check) that fails, with the raw text typed in that cell.

    The pandera schema is the record of the checks; its checks are evaluated here as one polars
    select over the file (pandera's own validate runs one collect per check, ~96 per file).
    `pandera_failure_cases` gives the same answer through pandera (the tests compare them)."""
    lf = work.lazy()
    exprs: list[pl.Expr] = []
    labels: list[tuple[str, str]] = []
    for column, col in schema.columns.items():
        if column not in work.columns:
            continue
        for check in col.checks:
            exprs.append(check.chibo_ok(lf).alias(f"__ok{len(labels)}"))
            labels.append((column, check.name))
    if not exprs:
        return _no_failures()
    verdicts = lf.select(*exprs).collect()
    parts = []
    for i, (column, check_name) in enumerate(labels):
        positions = verdicts.select(pl.arg_where(~pl.col(f"__ok{i}")).cast(pl.Int64)).to_series()
        if positions.len():
            parts.append(pl.DataFrame({
                "__pos": positions,
                "column_name": pl.repeat(column, positions.len(), eager=True),
                "check_name": pl.repeat(check_name, positions.len(), eager=True),
                "value": work[column].gather(positions).cast(pl.String),
            }))
    return pl.concat(parts) if parts else _no_failures()


def _no_failures() -> pl.DataFrame:
    return pl.DataFrame(schema={"__pos": pl.Int64, "column_name": pl.String,
                                "check_name": pl.String, "value": pl.String})


def pandera_failure_cases(schema: pa.DataFrameSchema, work: pl.DataFrame) -> pl.DataFrame:
    """The failure cases as pandera itself reports them (the schema of record)."""
    try:
        schema.validate(work, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        schema_level = cases.filter(pl.col("index").is_null())
        if schema_level.height:
            # Cannot happen with frames built by add_parsed; fail loudly rather than drop rows.
            raise RuntimeError(f"schema-level failures: {schema_level.to_dicts()}") from exc
        return cases.select(pl.col("index").cast(pl.Int64).alias("__pos"),
                            pl.col("column").alias("column_name"),
                            pl.col("check").alias("check_name"),
                            pl.col("failure_case").alias("value"))
    return _no_failures()


def _messages(kind: str, problems: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """(column, check) -> messages, computed once per distinct pair."""
    pairs = problems.select("column_name", "check_name").unique()
    rows = [(c, k, *row_message(kind, c, k, as_of)) for c, k in pairs.iter_rows()]
    return pl.DataFrame(rows, schema=["column_name", "check_name", "message_vi", "message_en"],
                        orient="row")


def _quarantine(kind_def: Kind, file: str, work: pl.DataFrame, cases: pl.DataFrame,
                as_of: date) -> pl.DataFrame:
    rows = work.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("__pos"), SOURCE_ROW,
                       key_text=pl.concat_str([pl.col(k) for k in kind_def.key],
                                              separator=" / ", ignore_nulls=True))
    # Several rules can share a code on one column (e.g. two range bounds): one problem each.
    q = cases.unique(["__pos", "column_name", "check_name"]).join(rows, on="__pos", how="left")
    # For a duplicate key the offending value is the whole key, not just its first column.
    q = q.with_columns(
        pl.when(pl.col("check_name") == "duplicate_key_in_file").then(pl.col("key_text"))
        .otherwise(pl.col("value")).alias("value"))
    if q.height:
        q = q.join(_messages(kind_def.name, q, as_of), on=["column_name", "check_name"], how="left")
    else:
        q = q.with_columns(message_vi=pl.lit(None, pl.String), message_en=pl.lit(None, pl.String))
    order = {c: i for i, c in enumerate((*kind_def.column_names, ACTION_COLUMN))}
    q = q.with_columns(pl.lit(kind_def.name).alias("kind"), pl.lit(file).alias("file"),
                       pl.col("column_name").replace_strict(order, default=99,
                                                            return_dtype=pl.Int32).alias("__o"))
    return q.sort(SOURCE_ROW, "__o", "check_name").select(
        [pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()])


def _valid(kind_def: Kind, work: pl.DataFrame, bad: pl.Series, decimal_comma: bool) -> pl.DataFrame:
    good = work.with_row_index("__pos").filter(~pl.col("__pos").is_in(bad.implode()))
    exprs: list[pl.Expr] = []
    for col in kind_def.columns:
        if col.type == "decimal":
            # From the normalised text, not the float, so 93.45 stays exactly 93.45.
            val = decimal_text(pl.col(col.name), decimal_comma).cast(VALID_TYPES["decimal"])
        else:
            val = pl.col(v(col.name)).cast(VALID_TYPES[col.type])
        if col.name == "spoke":
            val = val.fill_null(False)   # contract: optional, default false
        if not col.key:
            # A delete row carries only its key: other cells are not checked, so not loaded.
            val = pl.when(pl.col(DELETE)).then(None).otherwise(val)
        exprs.append(val.alias(col.name))
    exprs.append(pl.col(ACTION_CODE).alias(ACTION_COLUMN))
    exprs.append(pl.col(SOURCE_ROW).cast(pl.Int64))
    return good.select(exprs)


def validate_frame(read: ReadResult, kind: str, file: str, as_of: date,
                   rules: YearRules) -> ValidationResult:
    """Check every row of one read file; rows with any problem go to quarantine only."""
    kind_def = CONTRACT[kind]
    work = add_parsed(read.frame, kind_def, read.decimal_comma)
    cases = _failure_cases(schema_for(kind, as_of, rules), work)
    cases = with_read_problems(read, cases)   # rows the reader quarantined (an open quote)
    quarantine = _quarantine(kind_def, file, work, cases, as_of)
    valid = _valid(kind_def, work, cases["__pos"].unique(), read.decimal_comma)
    return ValidationResult(valid=valid, quarantine=quarantine, rows_read=read.frame.height)


@dataclass(frozen=True)
class Problem:
    """One line of `chibo validate` output: a quarantined cell or a rejected file."""
    file: str
    source_row: int | None
    column_name: str | None
    check_name: str
    value: str | None
    message_vi: str
    message_en: str


@dataclass
class FileCheck:
    """What `chibo validate` says of one file: its problems (a quarantined cell, or the file's
    rejection) and the reader's warnings (ignored columns, a skipped signature block, removed
    control characters, the sheet read…), which do not stop a row from loading."""
    problems: list[Problem]
    warnings: list[str]         # the reader's, one line each, "Vietnamese / English"
    rows_read: int = 0
    rows_quarantined: int = 0   # rows with at least one problem


def check_file(path: Path, kind: str, as_of: date, rules: YearRules) -> FileCheck:
    """Read and validate one file; a rejection is a single problem with check `file_rejected`."""
    path = Path(path)
    try:
        read = read_file(path, kind)
    except FileRejected as exc:
        return FileCheck([Problem(str(path), None, None, "file_rejected", None, exc.message_vi,
                                  exc.message_en)], [])
    result = validate_frame(read, kind, str(path), as_of, rules)
    problems = [Problem(r["file"], r["source_row"], r["column_name"], r["check_name"], r["value"],
                        r["message_vi"], r["message_en"])
                for r in result.quarantine.iter_rows(named=True)]
    quarantined = result.quarantine["source_row"].n_unique() if result.quarantine.height else 0
    return FileCheck(problems, list(read.warnings), result.rows_read, quarantined)


def validate_file(path: Path, kind: str, as_of: date, rules: YearRules) -> list[Problem]:
    """The problems of `check_file` (its warnings aside)."""
    return check_file(path, kind, as_of, rules).problems


# How `chibo validate` and the error list name a reader warning (in place of a check's code).
WARNING_CHECK = "read_warning"


def mask_quoted(text: str) -> str:
    """`text` with what it quotes in «…» blanked out (same length): a cell value or a sheet
    name a message quotes may hold " / " or "; ", the wording around it never does."""
    out: list[str] = []
    depth = 0
    for ch in text:
        if ch == "«":
            depth += 1
        elif ch == "»":
            depth = max(depth - 1, 0)
        out.append("\0" if depth and ch != "«" else ch)
    return "".join(out)


def split_warning(warning: str) -> tuple[str, str]:
    """A reader warning "Vietnamese / English" -> (Vietnamese, English), at the first " / "
    outside «…» (a quoted date line "15 / 3 / 2026" is not the separator)."""
    i = mask_quoted(warning).find(" / ")
    return (warning[:i], warning[i + 3:]) if i >= 0 else (warning, warning)


def _shown(file: str) -> str:
    """A file name as a terminal may show it: a name unzipped from anywhere can hold escape
    sequences (ESC ] 0; … BEL retitles the terminal) or undecodable bytes."""
    return printable(file, 4096)


def format_warnings(file: str, warnings: list[str]) -> list[str]:
    """One line per reader warning, as `format_problems` prints a problem."""
    shown = _shown(file)
    return [f"{shown} {WARNING_CHECK}: {vi} | {en}" for vi, en in map(split_warning, warnings)]


def no_problems(file: str, warnings: int) -> str:
    """The line `chibo validate` prints for a file without problems (warnings counted)."""
    file = _shown(file)
    if not warnings:
        return f"{file}: không có lỗi / no problems"
    return (f"{file}: không có lỗi, {warnings} cảnh báo / no problems, {warnings} "
            f"warning{'s' if warnings > 1 else ''}")


def format_problems(problems: list[Problem]) -> list[str]:
    """One line per problem: where, what was typed, then the Vietnamese and English message."""
    lines: list[str] = []
    for p in problems:
        name = _shown(p.file)
        where = name if p.source_row is None else f"{name}:{p.source_row}"
        if p.column_name:
            where += f" [{p.column_name}]"
        value = "" if p.value is None else f" «{p.value}»"
        lines.append(f"{where} {p.check_name}{value}: {p.message_vi} | {p.message_en}")
    return lines
