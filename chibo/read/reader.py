"""Read one delivered file (.csv, .csv.gz, .xlsx) into string columns named by contract code.

The reader knows nothing about types: it finds the header, maps column names, keeps Excel's row
numbers, normalises text (NFC, trimmed, empty -> null) and rejects files that cannot be used.
Parsing values and checking rows is `chibo.validate`'s job.
"""
from __future__ import annotations

import csv
import gzip
import io
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from chibo.contract import ACTION_COLUMN, ACTION_LABEL, CONTRACT, ROW_CONDITIONAL, Kind
from chibo.messages import file_message

HEADER_SEARCH_ROWS = 10
DELIMITERS: tuple[str, ...] = (",", ";", "\t")
SOURCE_ROW = "source_row"
HEAD_CHARS = 1_000_000


class FileRejected(Exception):
    """The whole file is unusable; the messages name the file and the reason."""

    def __init__(self, message_vi: str, message_en: str, reason: str = "unreadable") -> None:
        super().__init__(message_vi, message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.message_vi} / {self.message_en}"


@dataclass
class ReadResult:
    frame: pl.DataFrame            # code-named String columns (+ action) and source_row (Int64)
    decimal_comma: bool = False    # `;`/tab CSV: "93,5" means 93.5
    warnings: list[str] = field(default_factory=list)


def _reject(reason: str, path: Path, detail_vi: str = "", detail_en: str = "") -> FileRejected:
    vi, en = file_message(reason, str(path), detail_vi, detail_en)
    return FileRejected(vi, en, reason)


def header_key(text: str | None) -> str:
    """How header cells are compared: Unicode form, case and surrounding spaces ignored."""
    return unicodedata.normalize("NFC", text or "").strip().casefold()


def header_names(kind: Kind) -> dict[str, str]:
    """Normalised header text (code name or Vietnamese label) -> code name."""
    names: dict[str, str] = {}
    for col in kind.columns:
        names[header_key(col.name)] = col.name
        names[header_key(col.label_vi)] = col.name
    names[header_key(ACTION_COLUMN)] = ACTION_COLUMN
    names[header_key(ACTION_LABEL)] = ACTION_COLUMN
    return names


def _find_header(rows: list[list[str | None]], kind: Kind) -> tuple[int, dict[int, str], list[str]] | None:
    """First row (index among `rows`) naming every key column: (index, position -> code, unknown)."""
    names = header_names(kind)
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping: dict[int, str] = {}
        unknown: list[str] = []
        for pos, cell in enumerate(row):
            code = names.get(header_key(cell))
            if code is not None and code not in mapping.values():
                mapping[pos] = code
            elif cell is not None and cell.strip():
                unknown.append(cell.strip())
        if all(k in mapping.values() for k in kind.required_key):
            return i, mapping, unknown
    return None


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 (± BOM), UTF-16 with BOM, else Windows-1258; then NFC and LF line ends."""
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text = data[3:].decode("utf-8")
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise _reject("unreadable", path, f"mã hóa ký tự không nhận ra: {exc.reason}",
                      f"unknown character encoding: {exc.reason}") from exc
    # NFC happens per cell after parsing (see _nfc): normalising the whole text in Python
    # costs ~1.3 s per 35 MB, and combining marks never touch delimiters or quotes.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _head_records(text: str, delimiter: str) -> tuple[list[list[str | None]], list[int]]:
    """The first records of the text and, for each, the physical lines consumed so far."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str | None]] = []
    ends: list[int] = []
    try:
        for row in reader:
            records.append(list(row))
            ends.append(reader.line_num)
            if len(records) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass  # a malformed line in the head: search the header among the records before it
    return records, ends


def _line_offset(text: str, lines: int) -> int:
    """Character offset just after `lines` physical lines."""
    pos = 0
    for _ in range(lines):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return len(text)
        pos = nxt + 1
    return pos


def _nfc(expr: pl.Expr) -> pl.Expr:
    """NFC, skipping pure-ASCII cells (most ids and codes), which are already normalised.

    cp1258 stores many letters as base + combining tone mark; NFC makes them one character."""
    return pl.when(expr.str.contains(r"[^\x00-\x7F]")).then(expr.str.normalize("NFC")).otherwise(expr)


def _clean(expr: pl.Expr) -> pl.Expr:
    """Trimmed; empty or only spaces -> null."""
    s = expr.str.strip_chars()
    return pl.when(s != "").then(s)


def _read_csv(path: Path, kind: Kind) -> tuple[pl.DataFrame, int, dict[int, str], list[str], str]:
    """Grid of body cells (c0..cN), header Excel row, column mapping, unknown names, delimiter."""
    try:
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise _reject("unreadable", path, str(exc), str(exc)) from exc
    if not data.strip():
        raise _reject("empty", path)
    text = _decode(data, path)
    if not text.strip():
        raise _reject("empty", path)

    # Try each delimiter; keep the one whose header names the most columns. A title line with
    # commas parses differently per delimiter, which is why we do not count characters.
    best = None
    # The header is among the first 10 records: search a bounded head, not a 35 MB copy x3.
    head = text[:HEAD_CHARS]
    for delim in DELIMITERS:
        records, ends = _head_records(head, delim)
        found = _find_header(records, kind)
        if found and (best is None or len(found[1]) > len(best[1][1])):
            best = (delim, found, records, ends)
    if best is None:
        raise _no_header(path, kind)
    delim, (hidx, mapping, unknown), records, ends = best
    ncols = max(len(records[hidx]), max(mapping) + 1)

    body = text[_line_offset(text, ends[hidx]):]
    if not body.strip():
        raise _reject("no_data", path)
    # A synthetic header fixes the column count: polars infers it from the first line otherwise,
    # and a blank first line would make it one column. Blank lines come back as all-null rows,
    # so row positions stay aligned with Excel's row numbers.
    synthetic = delim.join(f"c{i}" for i in range(ncols)) + "\n"
    try:
        grid = pl.read_csv(
            (synthetic + body).encode("utf-8"), has_header=True, separator=delim,
            infer_schema=False, truncate_ragged_lines=True, quote_char='"',
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise _reject("unreadable", path, str(exc).splitlines()[0], str(exc).splitlines()[0]) from exc
    return grid, hidx + 1, mapping, unknown, delim


def _excel_cells(expr: pl.Expr) -> pl.Expr:
    """Excel dates/times as the text people type: calamine renders them as datetimes."""
    expr = expr.str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$", "$1")
    # Excel times are fractions of day 0 (1899-12-31, or 1899-12-30 in the 1900 system's quirk).
    expr = expr.str.replace(r"^1899-12-3[01][ T](\d{2}:\d{2}):00(?:\.0+)?$", "$1")
    return expr.str.replace(r"^1899-12-3[01][ T](\d{2}:\d{2}:\d{2})(?:\.0+)?$", "$1")


def _read_xlsx(path: Path, kind: Kind) -> tuple[pl.DataFrame, int, dict[int, str], list[str]]:
    import fastexcel

    try:
        reader = fastexcel.read_excel(path)
        names = reader.sheet_names
        if not names:
            raise _reject("empty", path)
        sheet = kind.name if kind.name in names else 0
        # header_row=None + skip_rows=0: keep leading empty rows so positions = Excel rows - 1.
        grid = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string").to_polars()
    except FileRejected:
        raise
    except Exception as exc:  # fastexcel raises its own hierarchy for corrupt/non-xlsx files
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _reject("unreadable", path, msg, msg) from exc
    if grid.height == 0 or grid.width == 0:
        raise _reject("empty", path)
    grid = grid.rename({c: f"c{i}" for i, c in enumerate(grid.columns)})
    grid = grid.with_columns(pl.all().cast(pl.String))
    grid = grid.with_columns(_excel_cells(pl.all()))
    if grid.select(pl.all_horizontal(_clean(pl.all()).is_null()).all()).item():
        raise _reject("empty", path)
    head = [list(r) for r in grid.head(HEADER_SEARCH_ROWS).iter_rows()]
    found = _find_header(head, kind)
    if found is None:
        raise _no_header(path, kind)
    hidx, mapping, unknown = found
    return grid.slice(hidx + 1), hidx + 1, mapping, unknown


def _no_header(path: Path, kind: Kind) -> FileRejected:
    keys_vi = ", ".join(f"{kind.column(k).label_vi} ({k})" for k in kind.required_key)
    keys_en = ", ".join(kind.required_key)
    return _reject("no_header", path, keys_vi, keys_en)


def required_in_header(kind: Kind, has_action: bool) -> tuple[str, ...]:
    """Columns whose absence rejects the file; a file with `action` needs only the key."""
    if has_action:
        return kind.required_key
    conditional = ROW_CONDITIONAL.get(kind.name, ())
    return tuple(c for c in kind.header_required if c not in conditional)


def read_file(path: Path, kind: str) -> ReadResult:
    """Read `path` as a delivery of `kind`; raise FileRejected if the file cannot be used."""
    path = Path(path)
    kind_def = CONTRACT[kind]
    name = path.name.lower()
    decimal_comma = False
    if name.endswith(".xlsx"):
        grid, header_row, mapping, unknown = _read_xlsx(path, kind_def)
    elif name.endswith(".csv") or name.endswith(".csv.gz"):
        grid, header_row, mapping, unknown, delim = _read_csv(path, kind_def)
        decimal_comma = delim in (";", "\t")
    else:
        raise _reject("unsupported_format", path)

    present = set(mapping.values())
    missing = [c for c in required_in_header(kind_def, ACTION_COLUMN in present) if c not in present]
    if missing:
        raise _reject(
            "missing_columns", path,
            ", ".join(f"{kind_def.column(c).label_vi} ({c})" for c in missing),
            ", ".join(missing))

    warnings = [f"Cột không có trong quy định, bỏ qua: «{u}» / Unknown column ignored: '{u}'"
                for u in unknown]
    cells = [c for c in grid.columns]
    # Columns in contract order, then action; position in the grid from the header mapping.
    by_code = {code: pos for pos, code in mapping.items()}
    order = [c for c in kind_def.column_names if c in by_code]
    if ACTION_COLUMN in by_code:
        order.append(ACTION_COLUMN)
    frame = (
        grid.with_row_index("__pos")
        # Excel row = header row + record index (blank records keep their place).
        .with_columns((pl.col("__pos").cast(pl.Int64) + header_row + 1).alias(SOURCE_ROW))
        .with_columns(_clean(pl.col(cells)))
        # A completely empty row (every cell empty, known or unknown column) is skipped.
        .filter(~pl.all_horizontal(pl.col(cells).is_null()))
        .select([_nfc(pl.col(f"c{by_code[c]}")).alias(c) for c in order] + [pl.col(SOURCE_ROW)])
    )
    if frame.height == 0:
        raise _reject("no_data", path)
    return ReadResult(frame=frame, decimal_comma=decimal_comma, warnings=warnings)
