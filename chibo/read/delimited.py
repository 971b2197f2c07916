"""Read a .csv or .csv.gz within bounded memory.

1. A .csv.gz is decompressed in a stream into a temporary file, stopping at the byte and line
   ceilings (`Limits`); a UTF-16 file (BOM) is transcoded to UTF-8 the same way.
2. One streaming pass over the bytes (1 MiB blocks, cut at line ends) counts lines and quotes,
   finds the longest line and decides the encoding of the whole file: UTF-8 (± BOM) or, if any
   block is not UTF-8, Windows-1258. A file with both UTF-8 Vietnamese letters and bytes that
   are not UTF-8 mixes encodings and is rejected (docs/reliability.md).
3. Windows-1258 text, or a file with bare CR line ends, is transcoded in a stream into a
   temporary UTF-8 file (LF line ends) — the only copy of the file the reader makes.
4. The header is searched among the first records of the first MiB, for each delimiter.
5. polars reads the body from the file (streaming engine): no copy of the file in Python.
   Malformed quoting (a quote inside a field, a quote that never closes) makes polars refuse;
   those files are read again with Python's csv module (as Excel reads them) in batches, and
   so is a file where a quote stays open over more than `max_line_bytes` (polars would hold
   that one field whole, several times over: ~2 GB for a 256 MiB field, docs/reliability.md).
   A quote that never closes swallows the rest of the file into one record: the records before
   it load, and that record is returned as one row with an `unterminated_quote` problem.
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import os
import re
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from chibo.contract import Kind
from chibo.errors import human_bytes
from chibo.read.errors import FileRejected, Where, fmt_en, fmt_vi, library_text
from chibo.read.header import HEADER_SEARCH_ROWS, Header, check_header, find_header, no_header
from chibo.read.limits import Limits
from chibo.read.text import blank, column_letter, is_blank, printable, trim_expr

DELIMITERS: tuple[str, ...] = (",", ";", "\t")
BLOCK = 1 << 20
HEAD_BYTES = 1 << 20
BATCH_RECORDS = 50_000
# UTF-8 encodings of Vietnamese letters (U+00C0–U+01BF, U+1EA0–U+1EFF) and of the five tone
# marks as combining characters: what a UTF-8 Vietnamese text is made of and Windows-1258 text
# practically never contains (a letter byte followed by a symbol byte).
UTF8_VIETNAMESE = re.compile(
    rb"[\xc3-\xc6][\x80-\xbf]|\xe1[\xba\xbb][\x80-\xbf]|\xcc[\x80\x81\x83\x89]|\xcc\xa3")
NON_ASCII = re.compile(rb"[\x80-\xff]")


@dataclass
class RowProblem:
    """A row the reader itself quarantines (validation reports it with these values)."""
    source_row: int
    column: str
    check: str
    value: str


@dataclass
class Parsed:
    """What a format reader hands to `reader.finish`."""
    frame: pl.DataFrame              # raw code-named String columns + source_row (Int64)
    header: Header
    decimal_comma: bool = False
    sheet: str | None = None
    warnings: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    # positions of `frame` rows that a problem replaces (never trailing, never cleaned away)
    problem_rows: set[int] = field(default_factory=set)


@dataclass
class Scan:
    encoding: str = "utf-8"
    lines: int = 0
    quotes: int = 0
    bare_cr: bool = False
    # a quoted field runs on over more than `max_line_bytes`: polars would hold the whole record
    # (several times over) in memory, so the file is read by the bounded Python reader instead
    long_record: bool = False


def _too_many_rows(where: Where, limits: Limits) -> FileRejected:
    return where.reject(
        "too_large",
        f"có hơn {fmt_vi(limits.max_rows)} dòng (giới hạn CHIBO_MAX_ROWS); hãy chia thành "
        "nhiều tệp nhỏ hơn rồi gửi lại",
        f"more than {fmt_en(limits.max_rows)} rows (limit CHIBO_MAX_ROWS); split it into "
        "smaller files and resend")


def _too_many_bytes(where: Where, limits: Limits, compressed: bool) -> FileRejected:
    if compressed:
        return where.reject(
            "too_large",
            f"giải nén ra hơn {human_bytes(limits.max_file_bytes)} (giới hạn "
            "CHIBO_MAX_FILE_BYTES); hãy chia thành nhiều tệp nhỏ hơn rồi gửi lại",
            f"decompresses to more than {human_bytes(limits.max_file_bytes)} "
            "(limit CHIBO_MAX_FILE_BYTES); split it into smaller files and resend")
    return where.reject(
        "too_large",
        f"lớn hơn {human_bytes(limits.max_file_bytes)} (giới hạn CHIBO_MAX_FILE_BYTES); hãy "
        "chia thành nhiều tệp nhỏ hơn rồi gửi lại",
        f"larger than {human_bytes(limits.max_file_bytes)} (limit CHIBO_MAX_FILE_BYTES); split "
        "it into smaller files and resend")


def _gunzip(path: Path, out: Path, where: Where, limits: Limits) -> None:
    """Decompress in a stream, never past the byte or line ceiling."""
    total = lines = 0
    try:
        with gzip.open(path, "rb") as src, open(out, "wb") as dst:
            while block := src.read(BLOCK):
                total += len(block)
                lines += block.count(b"\n")
                if total > limits.max_file_bytes:
                    raise _too_many_bytes(where, limits, compressed=True)
                if lines > limits.max_rows + HEADER_SEARCH_ROWS:
                    raise _too_many_rows(where, limits)
                dst.write(block)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise where.reject(
            "unreadable", "tệp nén .gz bị hỏng hoặc không đầy đủ",
            f"the .gz archive is damaged or incomplete ({library_text(exc)})") from exc


def _magic(path: Path, where: Where) -> bytes:
    """The first bytes; a workbook or an archive named .csv is refused with what it is."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):
        raise where.reject("unreadable", "đây là bảng tính Excel (.xlsx) hoặc tệp nén .zip "
                           "mang đuôi .csv: hãy đặt đúng đuôi .xlsx",
                           "this is an Excel workbook (.xlsx) or a .zip archive named .csv: "
                           "give it the .xlsx extension")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise where.reject("unreadable", "đây là bảng tính Excel đời cũ (.xls): hãy lưu lại "
                           "dạng .xlsx", "this is an old Excel workbook (.xls): save it as .xlsx")
    if head.startswith(b"\x1f\x8b"):
        raise where.reject("unreadable", "đây là tệp nén gzip: hãy đặt đuôi .csv.gz",
                           "this is a gzip archive: name it .csv.gz")
    if not head.startswith((b"\xff\xfe", b"\xfe\xff")) and head.count(b"\x00") > len(head) // 10:
        raise where.reject("unreadable", "tệp không phải là văn bản (có nhiều byte rỗng NUL)",
                           "this is not a text file (it holds many NUL bytes)")
    return head


def _transcode(src: Path, out: Path, encoding: str, where: Where, limits: Limits) -> None:
    """`src` in `encoding` -> UTF-8 with LF line ends, in a stream (lines never split)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    carry = ""
    written = 0
    try:
        with open(src, "rb") as fh, open(out, "w", encoding="utf-8", newline="") as dst:
            while True:
                block = fh.read(BLOCK)
                text = carry + decoder.decode(block, final=not block)
                if block:
                    cut = max(text.rfind("\n"), text.rfind("\r"))
                    if cut == len(text) - 1 and text.endswith("\r"):
                        cut = text.rfind("\n", 0, cut)        # a CR may be half of CR LF
                    if cut < 0:
                        if len(text) < 4 * BLOCK:
                            carry = text
                            continue
                        cut = len(text) - 1
                    carry, text = text[cut + 1:], text[:cut + 1]
                # NFC is the cells' (reader.finish): per distinct value it costs far less
                text = text.replace("\r\n", "\n").replace("\r", "\n")
                written += dst.write(text)
                if written > limits.max_file_bytes:
                    raise _too_many_bytes(where, limits, compressed=False)
                if not block:
                    break
    except UnicodeDecodeError as exc:
        raise where.reject(
            "unreadable", "tệp UTF-16 bị hỏng (có ký tự không giải mã được)",
            f"the UTF-16 text is damaged ({library_text(exc)})") from exc


def _scan(src: Path, where: Where, limits: Limits, bom_utf8: bool) -> Scan:
    """One pass over the bytes: lines, quotes, bare CRs, longest line, and the encoding."""
    scan = Scan()
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    first_utf8: int | None = 1 if bom_utf8 else None
    first_1258: int | None = None
    bad_1258: int | None = None
    pending = 0                       # length of a line continuing from the previous block
    quoted = 0                        # bytes of whole blocks ending inside a quoted field
    line_no = 1                       # line number at the start of the current block
    carry = b""
    with open(src, "rb") as fh:
        while True:
            block = fh.read(BLOCK)
            data = carry + block
            if block:
                cut = data.rfind(b"\n")
                if cut < 0 and len(data) < 4 * BLOCK:
                    carry = data
                    continue
                cut = cut if cut >= 0 else len(data) - 1
                carry, data = data[cut + 1:], data[:cut + 1]
            if not data:
                break
            crs, crlfs = data.count(b"\r"), data.count(b"\r\n")
            newlines = data.count(b"\n")
            scan.bare_cr = scan.bare_cr or crs != crlfs
            scan.lines += newlines + crs - crlfs
            scan.quotes += data.count(b'"')
            quoted = quoted + len(data) if scan.quotes % 2 else 0   # odd: a quote is open here
            scan.long_record = scan.long_record or quoted > limits.max_line_bytes
            if pending + len(data) > limits.max_line_bytes:   # only then can a line be too long
                parts = (data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if crs != crlfs
                         else data).split(b"\n")
                longest = max(pending + len(parts[0]), max(map(len, parts)))
            else:
                longest = 0
            pending = 0 if data.endswith(b"\n") else pending + len(data) - data.rfind(b"\n") - 1
            if longest > limits.max_line_bytes:
                raise where.reject(
                    "too_large",
                    f"có dòng dài hơn {fmt_vi(limits.max_line_bytes)} byte (gần dòng "
                    f"{line_no}): tệp không phải bảng dữ liệu CSV, hoặc bị hỏng",
                    f"a line is longer than {fmt_en(limits.max_line_bytes)} bytes "
                    f"(near line {line_no}): not a CSV table, or damaged")
            if scan.lines > limits.max_rows + HEADER_SEARCH_ROWS:
                raise _too_many_rows(where, limits)
            if not data.isascii():
                try:
                    utf8.decode(data, final=not block)
                    if first_utf8 is None:
                        first_utf8 = line_no + data[:NON_ASCII.search(data).start()].count(b"\n")  # type: ignore[union-attr]
                except UnicodeDecodeError as exc:
                    utf8.reset()
                    if first_1258 is None:
                        first_1258 = line_no + data[:exc.start].count(b"\n")
                    # valid UTF-8 sequences survive a decode that drops the rest: look for
                    # Vietnamese letters among them only when there are any
                    if first_utf8 is None and not data.decode("utf-8", "ignore").isascii():
                        m = UTF8_VIETNAMESE.search(data)
                        if m is not None:
                            first_utf8 = line_no + data[:m.start()].count(b"\n")
                    if bad_1258 is None:
                        try:
                            data.decode("cp1258")
                        except UnicodeDecodeError as bad:
                            bad_1258 = line_no + data[:bad.start].count(b"\n")
                if first_utf8 is not None and first_1258 is not None:
                    raise where.reject(
                        "mixed_encoding",
                        f"dòng {first_utf8} viết bằng UTF-8 nhưng dòng {first_1258} bằng "
                        "Windows-1258 (bảng mã của Excel tiếng Việt cũ)",
                        f"line {first_utf8} is UTF-8 but line {first_1258} is Windows-1258")
            line_no += newlines + crs - crlfs
            if not block:
                break
    if data_ends_without_newline(src):
        scan.lines += 1
    if first_1258 is not None:
        if bad_1258 is not None:
            raise where.reject(
                "unreadable",
                f"dòng {bad_1258} có byte không thuộc bảng mã UTF-8 lẫn Windows-1258: tệp không "
                "phải văn bản CSV, hoặc bị hỏng",
                f"line {bad_1258} holds bytes that are neither UTF-8 nor Windows-1258: not a "
                "CSV text, or damaged")
        scan.encoding = "cp1258"
    return scan


def data_ends_without_newline(src: Path) -> bool:
    size = src.stat().st_size
    if size == 0:
        return False
    with open(src, "rb") as fh:
        fh.seek(size - 1)
        return fh.read(1) not in (b"\n", b"\r")


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


def _head_text(src: Path) -> str:
    with open(src, "rb") as fh:
        raw = fh.read(HEAD_BYTES)
    return codecs.getincrementaldecoder("utf-8-sig")("replace").decode(raw, final=False)


@contextlib.contextmanager
def _csv_field_limit(chars: int) -> Iterator[None]:
    """Python's csv refuses fields over a process-wide limit: raise it (never lower it) while
    this file is read, so the cell limit, not csv's default, decides."""
    old = csv.field_size_limit()
    if chars > old:
        csv.field_size_limit(chars)
    try:
        yield
    finally:
        if chars > old:
            csv.field_size_limit(old)


class _Lines:
    """The file's physical lines, counting them and their quote characters."""

    def __init__(self, fh: io.TextIOBase) -> None:
        self.fh = fh
        self.count = 0
        self.quotes = 0

    def __iter__(self) -> Iterator[str]:
        for line in self.fh:
            self.count += 1
            self.quotes += line.count('"')
            yield line


def _python_body(src: Path, skip: int, delim: str, total_lines: int, header: Header,
                 header_row: int, kind: Kind, where: Where, limits: Limits) -> Parsed:
    """The body as Python's csv module (Excel's rules) reads it, in batches of records."""
    wanted = sorted(header.mapping)
    columns: dict[int, list[str | None]] = {p: [] for p in wanted}
    rows: list[int] = []
    frames: list[pl.DataFrame] = []
    index = 0                                   # records read below the header
    start_line = skip + 1                       # physical line where the current record starts
    start_quotes = 0
    broken: tuple[int, int] | None = None       # (record index, its first line)

    def flush() -> None:
        if rows:
            frames.append(pl.DataFrame(
                {**{header.mapping[p]: pl.Series(columns[p], dtype=pl.String) for p in wanted},
                 "source_row": pl.Series(rows, dtype=pl.Int64)}))
            rows.clear()
            for p in wanted:
                columns[p].clear()

    with open(src, encoding="utf-8-sig", newline="") as fh, \
            _csv_field_limit(limits.max_cell_chars + 1):
        for _ in range(skip):
            fh.readline()
        lines = _Lines(fh)
        lines.count = skip
        reader = csv.reader(lines, delimiter=delim, quotechar='"', strict=False)
        try:
            for record in reader:
                # A record that runs to the end of the file over several lines with an odd
                # number of quotes is a quote that never closes.
                if (lines.count >= total_lines and lines.count > start_line
                        and (lines.quotes - start_quotes) % 2 == 1):
                    broken = (index, start_line)
                    break
                if not all(is_blank(c) for c in record):
                    for p in wanted:
                        columns[p].append(record[p] if p < len(record) else None)
                    rows.append(header_row + 1 + index)
                    if len(rows) >= BATCH_RECORDS:
                        flush()
                index += 1
                start_line, start_quotes = lines.count + 1, lines.quotes
        except csv.Error as exc:
            if "field larger than field limit" not in str(exc):
                raise where.reject("unreadable", "có dòng CSV sai cấu trúc",
                                   f"malformed CSV ({library_text(exc)})") from exc
            for _ in lines:          # count the quotes to the end: does this field ever close?
                pass
            if (lines.quotes - start_quotes) % 2 == 0:
                raise where.reject(
                    "too_large",
                    f"ô ở dòng {header_row + 1 + index} dài hơn {fmt_vi(limits.max_cell_chars)} "
                    "ký tự (giới hạn CHIBO_MAX_CELL_CHARS); hãy rút ngắn nội dung ô",
                    f"a cell in row {header_row + 1 + index} is longer than "
                    f"{fmt_en(limits.max_cell_chars)} characters (limit CHIBO_MAX_CELL_CHARS); "
                    "shorten it"
                ) from exc
            broken = (index, start_line)
    parsed = Parsed(pl.DataFrame(), header)
    if broken is not None:
        index, line = broken
        first = _line_text(src, line)
        try:
            opened = len(next(csv.reader([first], delimiter=delim, strict=False))) - 1
        except (csv.Error, StopIteration):
            opened = 0
        code = header.mapping.get(opened, kind.required_key[0])
        row = header_row + 1 + index
        for p in wanted:
            columns[p].append(None)
        rows.append(row)
        parsed.problem_rows.add(row)
        parsed.problems.append(RowProblem(row, code, "unterminated_quote",
                                          printable(first.rstrip("\r\n"), 60)))
        parsed.warnings.append(where.prefix(
            f"Dòng {row}: dấu ngoặc kép (\") mở ở cột {column_letter(opened)} không được đóng; "
            f"phần còn lại của tệp (dòng văn bản {line}–{total_lines}) được tính là một dòng bị "
            "cách ly",
            f"Row {row}: a double quote opened in column {column_letter(opened)} never "
            f"closes; the rest of the file (text lines {line}–{total_lines}) counts as one "
            "quarantined row"))
    flush()
    frame = (pl.concat(frames, how="vertical", rechunk=False) if frames else pl.DataFrame(
        {**{header.mapping[p]: pl.Series([], dtype=pl.String) for p in wanted},
         "source_row": pl.Series([], dtype=pl.Int64)}))
    parsed.frame = frame.with_columns(trim_expr(pl.col(c)) for c in frame.columns
                                      if c != "source_row")
    return parsed


def _line_text(src: Path, number: int) -> str:
    with open(src, encoding="utf-8-sig", errors="replace", newline="") as fh:
        for i, line in enumerate(fh, 1):
            if i == number:
                return line
    return ""


def _polars_body(src: Path, skip: int, delim: str, ncols: int, header: Header,
                 header_row: int) -> pl.DataFrame:
    cells = [f"c{i}" for i in range(ncols)]
    lf = pl.scan_csv(
        src, has_header=False, skip_lines=skip, separator=delim, quote_char='"',
        schema={c: pl.String for c in cells}, truncate_ragged_lines=True,
        missing_columns="insert", extra_columns="ignore", raise_if_empty=False)
    return (
        lf.with_row_index("__pos")
        # A completely empty record (every cell empty, known or unknown column) is skipped;
        # blank lines are records too, so positions stay Excel's row numbers.
        .filter(~pl.all_horizontal([blank(pl.col(c)) for c in cells]))
        .select([trim_expr(pl.col(f"c{p}")).alias(code)
                 for p, code in sorted(header.mapping.items())]
                + [(pl.col("__pos").cast(pl.Int64) + header_row + 1).alias("source_row")])
        .collect(engine="streaming"))


def _nameable(path: Path, tmp: Path) -> Path:
    """`path`, or a link to it under a UTF-8 name: polars takes paths as UTF-8 text only, and
    a name unzipped from a Windows archive is not."""
    try:
        os.fsencode(path).decode("utf-8")
        return path
    except UnicodeDecodeError:
        alias = tmp / "source"
        os.symlink(os.path.abspath(os.fsencode(path)), os.fsencode(alias))
        return alias


def read_delimited(path: Path, kind: Kind, where: Where, limits: Limits) -> Parsed:
    gz = path.name.lower().endswith(".gz")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise where.reject("unreadable", "không mở được tệp",
                           f"the file cannot be opened ({library_text(exc)})") from exc
    if not gz and size > limits.max_file_bytes:
        raise _too_many_bytes(where, limits, compressed=False)
    with tempfile.TemporaryDirectory(prefix="chibo-read-") as tmp:
        src = _nameable(path, Path(tmp))
        try:
            if gz:
                src = Path(tmp) / "gunzipped"
                _gunzip(path, src, where, limits)
            head = _magic(src, where)
            if head.startswith((b"\xff\xfe", b"\xfe\xff")):
                utf16 = Path(tmp) / "utf16"
                _transcode(src, utf16, "utf-16", where, limits)
                src = utf16
                head = _magic(src, where)
            scan = _scan(src, where, limits, head.startswith(b"\xef\xbb\xbf"))
            if scan.encoding != "utf-8" or scan.bare_cr:
                text = Path(tmp) / "utf8"
                _transcode(src, text, scan.encoding, where, limits)
                src = text
            return _read_text(src, kind, where, limits, scan)
        except OSError as exc:
            raise where.reject("unreadable", "không đọc được tệp",
                               f"the file cannot be read ({library_text(exc)})") from exc


def _read_text(src: Path, kind: Kind, where: Where, limits: Limits, scan: Scan) -> Parsed:
    """`src` is UTF-8 (± BOM) with LF or CR LF line ends."""
    head = _head_text(src)
    if is_blank(head):
        raise where.reject("empty" if src.stat().st_size <= HEAD_BYTES else "no_header")
    # Try each delimiter; keep the one whose header names the most columns. A title line with
    # commas parses differently per delimiter, which is why we do not count characters.
    best = None
    for delim in DELIMITERS:
        records, ends = _head_records(head, delim)
        found = find_header(records, kind)
        if found and (best is None or len(found.mapping) > len(best[1].mapping)):
            best = (delim, found, records, ends)
    if best is None:
        rows = max((_head_records(head, d)[0] for d in DELIMITERS),
                   key=lambda r: max((len(x) for x in r), default=0))
        raise no_header(where, kind, rows)
    delim, header, records, ends = best
    check_header(header, kind, where, limits)
    header_row = header.index + 1
    skip = ends[header.index]
    ncols = max(header.width, max(header.mapping) + 1)
    if skip >= scan.lines:
        raise where.reject("no_data")
    parsed = None
    if scan.quotes % 2 == 0 and not scan.long_record:
        try:
            frame = _polars_body(src, skip, delim, ncols, header, header_row)
            parsed = Parsed(frame, header)
        except pl.exceptions.PolarsError:
            parsed = None   # malformed quoting: read as Excel does, below
    if parsed is None:
        parsed = _python_body(src, skip, delim, scan.lines, header, header_row, kind, where,
                              limits)
    parsed.decimal_comma = delim in (";", "\t")
    return parsed


