"""Read one delivered file (.csv, .csv.gz, .xlsx) into string columns named by contract code.

The reader knows nothing about types: it finds the header, maps column names, keeps Excel's row
numbers, normalises text (NFC, trimmed, empty -> null, control characters removed) and rejects
files that cannot be used. Parsing values and checking rows is `chibo.validate`'s job.

Every problem a file can have surfaces as `FileRejected` (Vietnamese + English, naming the file
and the sheet read), never as another exception: the run's ingest records it as `rejected`.
Sizes are checked before parsing (`chibo.read.limits`), and .xlsx files are parsed in a child
process (`chibo.read.isolation`) so a crash of the spreadsheet library rejects one file instead
of killing the run.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from chibo.contract import ACTION_COLUMN, CONTRACT, Kind
from chibo.read.delimited import Parsed, RowProblem, read_delimited
from chibo.read.errors import FileRejected, Where, fmt_en, fmt_vi
from chibo.read.header import (
    HEADER_SEARCH_ROWS,
    header_names,
    header_warnings,
    label_of,
    required_in_header,
)
from chibo.read.limits import Limits, limits_from_env

if TYPE_CHECKING:
    from chibo.read.isolation import IsolatedReader
from chibo.read.text import (
    CONTROL_PATTERN,
    LINE_SEPARATORS,
    header_key,
    nfc_unstable_class,
    printable,
    row_list,
    trim,
)

SOURCE_ROW = "source_row"
SUPPORTED = (".csv", ".csv.gz", ".xlsx")

__all__ = ["FileRejected", "HEADER_SEARCH_ROWS", "ReadResult", "RowProblem", "SOURCE_ROW",
           "display_name", "header_key", "header_names", "read_file", "read_here",
           "read_problem_cases", "required_in_header", "with_read_problems"]


@dataclass
class ReadResult:
    frame: pl.DataFrame            # code-named String columns (+ action) and source_row (Int64)
    decimal_comma: bool = False    # `;`/tab CSV: "93,5" means 93.5
    warnings: list[str] = field(default_factory=list)   # one line each, "Vietnamese / English"
    sheet: str | None = None       # the sheet read, for a workbook
    # rows the reader itself quarantines (a quote that never closes): validation reports them
    # with these checks instead of its own, so every row read is loaded or quarantined
    problems: list[RowProblem] = field(default_factory=list)


def display_name(path: Path) -> str:
    """How messages name a file when the caller gives no name: its base name, never the
    server's absolute path (undecodable bytes are escaped when shown)."""
    return os.fsdecode(path.name)


def read_file(path: Path | str, kind: str, name: str | None = None,
              limits: Limits | None = None, reader: IsolatedReader | None = None) -> ReadResult:
    """Read `path` as a delivery of `kind`; raise FileRejected if the file cannot be used.

    `name` is how messages call the file (e.g. its path under raw/); default its base name.
    `reader`: the reader process to parse risky files in (one for many files); without it a
    risky file gets a reader process of its own."""
    path = Path(path)
    kind_def = CONTRACT[kind]
    limits = limits if limits is not None else limits_from_env()
    where = Where(name if name is not None else display_name(path))
    if not path.name.lower().endswith(SUPPORTED):
        raise where.reject("unsupported_format")
    if limits.isolated(path.name):
        if reader is not None:
            return reader.read(path, kind, where, limits)
        from chibo.read.isolation import IsolatedReader
        with IsolatedReader() as own:
            return own.read(path, kind, where, limits)
    return read_here(path, kind_def, where, limits)


def read_here(path: Path, kind: Kind, where: Where, limits: Limits) -> ReadResult:
    """Read in this process (the reader process calls this too)."""
    try:
        if path.name.lower().endswith(".xlsx"):
            from chibo.read.workbook import read_workbook
            parsed = read_workbook(path, kind, where, limits)
        else:
            parsed = read_delimited(path, kind, where, limits)
        sheet_where = where.on_sheet(parsed.sheet) if parsed.sheet is not None else where
        return finish(parsed, kind, sheet_where, limits)
    except MemoryError:
        raise where.reject("too_large", "máy không đủ bộ nhớ để đọc tệp",
                           "there is not enough memory to read it") from None


_REPAIR = f"[\r{LINE_SEPARATORS}]|{CONTROL_PATTERN}"


def _repair(values: pl.Series) -> pl.Series:
    """Line breaks -> LF, control characters removed, NFC, trimmed, empty -> null."""
    return trim(values.str.replace_all("\r\n", "\n", literal=True)
                .str.replace_all(f"[\r{LINE_SEPARATORS}]", "\n")
                .str.replace_all(CONTROL_PATTERN, "")
                .str.normalize("NFC")).alias(values.name)


def _clean_values(values: pl.Series) -> tuple[pl.Series, pl.Series | None]:
    """(cleaned, mask of the cells that held control characters or None). The cells come
    trimmed from the format reader; only those that need repair or NFC are touched (one regex
    pass finds them), so a clean column is not copied at all."""
    fix = values.str.contains(f"{_REPAIR}|{nfc_unstable_class()}").fill_null(False)
    if not fix.any():
        return values, None
    idx = fix.arg_true()
    sub = values.gather(idx)
    control = sub.str.contains(CONTROL_PATTERN).fill_null(False)
    values = values.scatter(idx, _repair(sub))
    if not control.any():
        return values, None
    return values, pl.repeat(False, len(values), eager=True).scatter(idx.filter(control), True)


def _clean_column(s: pl.Series) -> tuple[pl.Series, pl.Series | None]:
    """A column cleaned (`_clean_values`); a column of few distinct values needing repair
    (labels, statuses, yes/no in Windows-1258) is repaired once per distinct value."""
    if s.dtype != pl.String:
        s = s.cast(pl.String)
    if len(s) > 50_000:
        sample = s.head(20_000)
        if sample.n_unique() * 20 < len(sample) and \
                sample.str.contains(f"{_REPAIR}|{nfc_unstable_class()}").any():
            distinct = s.unique().drop_nulls()
            if len(distinct) * 20 < len(s):
                cleaned, control = _clean_values(distinct)
                if control is None and cleaned.equals(distinct):
                    return s, None
                out = s.replace_strict(distinct, cleaned, default=None, return_dtype=pl.String)
                had_control = None
                if control is not None:
                    had_control = s.is_in(distinct.filter(control).implode()).fill_null(False)
                return out.alias(s.name), had_control
    return _clean_values(s)


def finish(parsed: Parsed, kind: Kind, where: Where, limits: Limits) -> ReadResult:
    """Clean the cells, apply the cell limit, end the data before a trailing block of rows
    without keys (a signature block), and gather the warnings."""
    # columns in contract order, then action, then the row number
    order = [c for c in (*kind.column_names, ACTION_COLUMN) if c in parsed.frame.columns]
    frame = parsed.frame.select(*order, SOURCE_ROW)
    parsed.frame = frame.clear()      # drop the caller's reference: columns are replaced below
    codes = order
    control_rows: set[int] = set()
    for code in codes:
        cleaned, had_control = _clean_column(frame[code])
        if cleaned is not frame[code]:
            frame = frame.with_columns(cleaned)
        if had_control is not None:
            control_rows.update(frame[SOURCE_ROW].filter(had_control).to_list())
        longest = cleaned.str.len_chars().max()
        if isinstance(longest, int) and longest > limits.max_cell_chars:
            row = frame[SOURCE_ROW].filter(cleaned.str.len_chars() == longest)[0]
            label = label_of(kind, code)
            raise where.reject(
                "too_large",
                f"ô ở dòng {row}, cột «{label}» dài {fmt_vi(longest)} ký tự, quá giới hạn "
                f"{fmt_vi(limits.max_cell_chars)} ký tự (CHIBO_MAX_CELL_CHARS); hãy rút ngắn nội "
                "dung ô",
                f"the cell in row {row}, column '{code}' holds {fmt_en(longest)} characters, "
                f"more than the limit of {fmt_en(limits.max_cell_chars)} (CHIBO_MAX_CELL_CHARS); "
                "shorten it")

    warnings = [where.prefix(vi, en) for vi, en in header_warnings(parsed.header, kind)]
    warnings += parsed.warnings
    frame, trailing = _end_of_data(frame, kind, parsed.problem_rows, where)
    if trailing:
        warnings.append(trailing)
    control_rows &= set(frame[SOURCE_ROW].to_list()) if control_rows else set()
    if control_rows:
        rows = sorted(control_rows)
        warnings.append(where.prefix(
            f"đã xóa ký tự điều khiển (vô hình) khỏi ô ở {len(rows)} dòng: {row_list(rows)}",
            f"removed control (invisible) characters from cells in {len(rows)} "
            f"{'row' if len(rows) == 1 else 'rows'}: {row_list(rows)}"))
    if frame.height == 0:
        raise where.reject("no_data")
    return ReadResult(frame=frame, decimal_comma=parsed.decimal_comma, warnings=warnings,
                      sheet=parsed.sheet, problems=parsed.problems)


def _end_of_data(frame: pl.DataFrame, kind: Kind, problem_rows: set[int],
                 where: Where) -> tuple[pl.DataFrame, str | None]:
    """Rows after the last row with any key value are not data (spec v2: a template's
    signature block); a row in the middle with empty keys stays a data row."""
    keys = [k for k in kind.key if k in frame.columns]
    keyed = pl.any_horizontal([pl.col(k).is_not_null() for k in keys])
    if problem_rows:
        keyed = keyed | pl.col(SOURCE_ROW).is_in(sorted(problem_rows))
    flags = frame.select(keyed.alias("k"))["k"]
    if not flags.any():
        if frame.height == 0:
            return frame, None
        labels_vi = ", ".join(f"«{label_of(kind, k)}»" for k in keys)
        raise where.reject(
            "no_data", f" Không dòng nào có giá trị ở cột khóa {labels_vi}.",
            f" No row has a value in the key columns {', '.join(keys)}.")
    last = flags.arg_true()[-1]
    tail = frame.slice(last + 1)
    if tail.height == 0:
        return frame, None
    rows = tail[SOURCE_ROW].to_list()
    texts: list[str] = []
    for row in tail.drop(SOURCE_ROW).iter_rows():
        texts += [f"«{printable(v, 40)}»" for v in row if v is not None]
        if len(texts) > 3:        # one more than shown: "…" says there is more
            break
    shown = ", ".join(texts[:3]) + (", …" if len(texts) > 3 else "")
    noun = "row" if len(rows) == 1 else "rows"
    message = where.prefix(
        f"bỏ qua {len(rows)} dòng cuối không có mã (cột khóa trống), coi là phần ký tên: "
        f"dòng {row_list(rows)} ({shown})",
        f"skipped {len(rows)} trailing {noun} without key values, taken as a signature block: "
        f"{noun} {row_list(rows)} ({shown})")
    return frame.slice(0, last + 1), message


def with_read_problems(read: ReadResult, cases: pl.DataFrame) -> pl.DataFrame:
    """Validation failure cases with the reader's row problems in place of the checks on
    those rows (a row swallowed by an open quote is reported once, as `unterminated_quote`)."""
    mine = read_problem_cases(read)
    if mine.height == 0:
        return cases
    kept = cases.filter(~pl.col("__pos").is_in(mine["__pos"].implode()))
    return pl.concat([kept, mine.select(kept.columns)])


def read_problem_cases(read: ReadResult) -> pl.DataFrame:
    """The reader's own row problems as validation failure cases (frame position, column,
    check, value), for `chibo.validate` to report in place of its checks on those rows."""
    schema = {"__pos": pl.Int64, "column_name": pl.String, "check_name": pl.String,
              "value": pl.String}
    if not read.problems:
        return pl.DataFrame(schema=schema)
    pos = {row: i for i, row in enumerate(read.frame[SOURCE_ROW].to_list())}
    return pl.DataFrame(
        [(pos[p.source_row], p.column, p.check, p.value) for p in read.problems
         if p.source_row in pos], schema=schema, orient="row")
