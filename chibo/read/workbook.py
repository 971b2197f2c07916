"""Read an .xlsx: choose the sheet, check its sizes, then let calamine (fastexcel) parse it.

Before calamine sees a sheet, the zip directory and the sheet itself are checked in a stream:
- the uncompressed sizes the zip directory declares (sum of every part) against
  `max_file_bytes`; the parts calamine reads (workbook, relationships, shared strings, styles,
  the sheet) are decompressed once to count their real size against what was declared;
- the sheet's declared `<dimension ref="A1:…">` and its real extent (the highest row number and
  column letter of any row or cell) against `max_rows` and `max_columns`.
calamine allocates rows × columns cells for the range it finds (a 4.8 KB file with cells at A1
and XFD1048576 asks for 512 GiB and aborts the process), so these checks come first; the parse
itself runs in a child process (chibo.read.isolation) in case anything else brings it down.

Sheet choice (spec v2): the sheet named as the kind's folder (`meetings`) or as the kind's
Vietnamese name (`Buổi sinh hoạt`), compared like headers; else the first visible worksheet
whose first 10 rows hold a header. Every message names the sheet read.
"""
from __future__ import annotations

import html
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from chibo.contract import Kind
from chibo.errors import human_bytes
from chibo.read.delimited import Parsed
from chibo.read.errors import FileRejected, Where, fmt_en, fmt_vi, library_text
from chibo.read.header import HEADER_SEARCH_ROWS, check_header, find_header, no_header
from chibo.read.limits import Limits
from chibo.read.text import (
    blank,
    column_letter,
    column_number,
    header_key,
    printable,
    trim_expr,
)

BLOCK = 1 << 20
_P = rb"(?:[A-Za-z_][\w.-]*:)?"             # an optional namespace prefix (x:row)
DIMENSION = re.compile(rb"<" + _P + rb"dimension\b[^>]*?\sref=[\"']([A-Za-z$0-9:]+)[\"']")
ROW_NUMBER = re.compile(rb"<" + _P + rb"row\b[^>]*?\sr=[\"'](\d{1,10})[\"']")
ROW_TAG = re.compile(rb"<" + _P + rb"row[\s>/]")
CELL_COLUMN = re.compile(rb"<" + _P + rb"c\b[^>]*?\sr=[\"']\$?([A-Za-z]{1,4})\$?\d")
REF = re.compile(r"\$?([A-Za-z]{1,4})\$?(\d{1,10})")
SHEET = re.compile(rb"<" + _P + rb"sheet\b([^>]*)/?>")
ATTR = re.compile(rb"([\w:]+)\s*=\s*[\"']([^\"']*)[\"']")
RELATIONSHIP = re.compile(rb"<" + _P + rb"Relationship\b([^>]*)/?>")
WORKBOOK_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml",
                  "xl/styles.xml", "[Content_Types].xml")
META_CEILING = 64 * 2**20                   # workbook.xml / rels read whole: 64 MiB at most


@dataclass(frozen=True)
class SheetEntry:
    name: str
    part: str | None        # path inside the zip (None: the workbook does not say)
    visible: bool
    worksheet: bool


def _damaged(where: Where, exc: BaseException | None = None) -> FileRejected:
    en = "the .xlsx file is damaged or incomplete (not a complete Excel workbook)"
    if exc is not None:
        en += f" ({library_text(exc)})"
    return where.reject("unreadable", "tệp .xlsx bị hỏng hoặc không đầy đủ (không phải bảng "
                        "tính Excel hoàn chỉnh)", en)


def _magic(path: Path, where: Where) -> None:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise where.reject("empty")
    if head.startswith(b"PK\x03\x04"):
        return
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise where.reject(
            "unreadable", "đây là bảng tính Excel đời cũ (.xls) hoặc bảng tính có đặt mật khẩu: "
            "hãy bỏ mật khẩu và lưu lại dạng .xlsx",
            "this is an old Excel workbook (.xls) or a password-protected one: remove the "
            "password and save it as .xlsx")
    raise where.reject("unreadable", "tệp mang đuôi .xlsx nhưng không phải bảng tính Excel",
                       "the file is named .xlsx but is not an Excel workbook")


def _read_part(zf: zipfile.ZipFile, name: str, ceiling: int) -> bytes | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    with zf.open(info) as fh:
        data = fh.read(ceiling + 1)
    return data[:ceiling]


def _attrs(raw: bytes) -> dict[str, str]:
    out = {}
    for key, value in ATTR.findall(raw):
        out[key.decode("utf-8", "replace").split(":")[-1]] = html.unescape(
            value.decode("utf-8", "replace"))
    return out


def _sheet_entries(zf: zipfile.ZipFile) -> list[SheetEntry]:
    """Sheets in workbook order with their parts, from workbook.xml and its relationships."""
    workbook = _read_part(zf, "xl/workbook.xml", META_CEILING) or b""
    rels = _read_part(zf, "xl/_rels/workbook.xml.rels", META_CEILING) or b""
    targets: dict[str, tuple[str, bool]] = {}
    for raw in RELATIONSHIP.findall(rels):
        a = _attrs(raw)
        if "Id" in a and "Target" in a:
            target = a["Target"]
            part = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
            targets[a["Id"]] = (part, a.get("Type", "").endswith("/worksheet"))
    entries = []
    for raw in SHEET.findall(workbook):
        a = _attrs(raw)
        if "name" not in a:
            continue
        found = targets.get(a.get("id", ""))
        sheet_part, is_sheet = found if found else (None, True)
        entries.append(SheetEntry(a["name"], sheet_part, a.get("state", "visible") == "visible",
                                  is_sheet))
    return entries


def _check_archive(zf: zipfile.ZipFile, where: Where, limits: Limits) -> None:
    """Declared sizes (zip directory) and the real size of the parts calamine always reads."""
    infos = zf.infolist()
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_file_bytes:
        raise where.reject(
            "too_large",
            f"bảng tính khai báo giải nén ra {human_bytes(declared)}, hơn giới hạn "
            f"{human_bytes(limits.max_file_bytes)} (CHIBO_MAX_FILE_BYTES); hãy chia thành nhiều "
            "tệp nhỏ hơn rồi gửi lại",
            f"the workbook declares {human_bytes(declared)} uncompressed, more than the limit of "
            f"{human_bytes(limits.max_file_bytes)} (CHIBO_MAX_FILE_BYTES); split it into smaller "
            "files and resend")
    for name in WORKBOOK_PARTS:
        try:
            info = zf.getinfo(name)
        except KeyError:
            continue
        _stream_part(zf, info, where, limits, None)


def _extent_text(rows: int, cols: int) -> tuple[str, str]:
    return (f"{fmt_vi(rows)} dòng × {fmt_vi(cols)} cột", f"{fmt_en(rows)} rows × {fmt_en(cols)} "
            "columns")


def _over(rows: int, cols: int, limits: Limits) -> bool:
    return rows > limits.max_rows or cols > limits.max_columns or rows * cols > limits.max_cells


def _limits_text(limits: Limits) -> tuple[str, str]:
    return (f"giới hạn {fmt_vi(limits.max_rows)} dòng, {fmt_vi(limits.max_columns)} cột, "
            f"{fmt_vi(limits.max_cells)} ô (CHIBO_MAX_ROWS, CHIBO_MAX_COLUMNS, CHIBO_MAX_CELLS)",
            f"the limits are {fmt_en(limits.max_rows)} rows, {fmt_en(limits.max_columns)} columns, "
            f"{fmt_en(limits.max_cells)} cells (CHIBO_MAX_ROWS, CHIBO_MAX_COLUMNS, "
            "CHIBO_MAX_CELLS)")


def _stream_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: Where, limits: Limits,
                 sheet: list[int] | None) -> None:
    """Decompress one part in a stream: its real size against the declared one and the
    ceiling; for a sheet (`sheet` = [max row, max column, rows seen]) its extent."""
    total = 0
    carry = b""
    first = True
    try:
        with zf.open(info) as fh:
            while True:
                block = fh.read(BLOCK)
                total += len(block)
                if total > info.file_size + BLOCK or total > limits.max_file_bytes:
                    raise where.reject(
                        "too_large",
                        f"phần «{printable(info.filename, 60)}» của bảng tính giải nén ra nhiều "
                        f"hơn mức khai báo ({human_bytes(info.file_size)}) hoặc hơn giới hạn "
                        f"{human_bytes(limits.max_file_bytes)}",
                        f"part '{printable(info.filename, 60)}' decompresses to more than it "
                        f"declares ({human_bytes(info.file_size)}) or than the limit of "
                        f"{human_bytes(limits.max_file_bytes)}")
                if sheet is None:
                    if not block:
                        break
                    continue
                data = carry + block
                cut = data.rfind(b">") + 1 if block else len(data)
                carry, data = data[cut:], data[:cut]
                if len(carry) > BLOCK:         # no tag end in a whole block: not a sheet
                    raise _damaged(where)
                if first:
                    _check_dimension(data, where, limits)
                    first = False
                numbers = ROW_NUMBER.findall(data)
                if numbers:
                    sheet[0] = max(sheet[0], max(map(int, numbers)))
                sheet[2] += len(ROW_TAG.findall(data))
                letters = set(CELL_COLUMN.findall(data))
                if letters:
                    sheet[1] = max(sheet[1], max(column_number(x.decode()) for x in letters))
                rows = max(sheet[0], sheet[2])
                if _over(rows, sheet[1], limits):
                    vi, en = _extent_text(rows, sheet[1])
                    lim_vi, lim_en = _limits_text(limits)
                    raise where.reject(
                        "too_large",
                        f"trang có ô ở tận {column_letter(max(sheet[1], 1) - 1)}{rows} ({vi}); "
                        f"{lim_vi}. Hãy xóa các dòng, cột thừa rồi gửi lại",
                        f"the sheet has cells as far as {column_letter(max(sheet[1], 1) - 1)}"
                        f"{rows} ({en}); {lim_en}. Delete the extra rows and columns and resend")
                if not block:
                    break
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError) as exc:
        raise _damaged(where, exc) from exc


def _check_dimension(data: bytes, where: Where, limits: Limits) -> None:
    m = DIMENSION.search(data[:65536])
    if not m:
        return
    ref = m.group(1).decode("ascii", "replace")
    corners = [REF.fullmatch(part) for part in ref.split(":")]
    if not all(corners):
        return
    rows = max(int(c.group(2)) for c in corners if c)
    cols = max(column_number(c.group(1)) for c in corners if c)
    if _over(rows, cols, limits):
        vi, en = _extent_text(rows, cols)
        lim_vi, lim_en = _limits_text(limits)
        raise where.reject(
            "too_large",
            f"trang khai báo vùng dữ liệu {printable(ref, 30)} ({vi}); {lim_vi}. Hãy xóa các "
            "dòng, cột thừa rồi gửi lại",
            f"the sheet declares the range {printable(ref, 30)} ({en}); {lim_en}. Delete the "
            "extra rows and columns and resend")


def check_sheet(zf: zipfile.ZipFile, part: str, where: Where, limits: Limits) -> None:
    try:
        info = zf.getinfo(part)
    except KeyError:
        raise _damaged(where) from None
    _stream_part(zf, info, where, limits, [0, 0, 0])


def _excel_cells(expr: pl.Expr) -> pl.Expr:
    """Excel dates/times as the text people type: calamine renders them as datetimes."""
    expr = expr.str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$", "$1")
    # Excel times are fractions of day 0 (1899-12-31, or 1899-12-30 in the 1900 system's quirk).
    expr = expr.str.replace(r"^1899-12-3[01][ T](\d{2}:\d{2}):00(?:\.0+)?$", "$1")
    return expr.str.replace(r"^1899-12-3[01][ T](\d{2}:\d{2}:\d{2})(?:\.0+)?$", "$1")


def _reraise_interrupts(exc: BaseException) -> None:
    """A Rust panic reaches Python as pyo3's PanicException (a BaseException): that is the
    file's fault; Ctrl-C, exit and memory exhaustion are not."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)):
        raise exc


def _calamine_error(where: Where, exc: BaseException) -> FileRejected:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text:
        return where.reject("unreadable", "bảng tính có đặt mật khẩu: hãy bỏ mật khẩu rồi lưu lại",
                            f"the workbook is password-protected ({library_text(exc)})")
    if "zip" in text:
        return _damaged(where, exc)
    return where.reject("unreadable", "nội dung bảng tính bị hỏng hoặc có dạng không hỗ trợ",
                        f"the workbook's content is damaged or unsupported ({library_text(exc)})")


def _candidates(entries: list[SheetEntry], names: list[str], kind: Kind) -> tuple[list[str], bool]:
    """(sheets to try in order, whether the first was chosen by its name)."""
    wanted = {header_key(kind.name), header_key(kind.label_vi)}
    named = [n for n in names if header_key(n) == header_key(kind.name)] or \
        [n for n in names if header_key(n) in wanted]
    if named:
        return named[:1], True
    state = {e.name: e for e in entries}
    return [n for n in names if n not in state or (state[n].visible and state[n].worksheet)], False


def read_workbook(path: Path, kind: Kind, where: Where, limits: Limits) -> Parsed:
    import fastexcel

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise where.reject("unreadable", "không mở được tệp",
                           f"the file cannot be opened ({library_text(exc)})") from exc
    if size > limits.max_file_bytes:
        raise where.reject(
            "too_large", f"lớn hơn {human_bytes(limits.max_file_bytes)} (giới hạn "
            "CHIBO_MAX_FILE_BYTES); hãy chia thành nhiều tệp nhỏ hơn rồi gửi lại",
            f"larger than {human_bytes(limits.max_file_bytes)} (limit CHIBO_MAX_FILE_BYTES); "
            "split it into smaller files and resend")
    _magic(path, where)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged(where, exc) from exc
    with zf:
        _check_archive(zf, where, limits)
        entries = _sheet_entries(zf)
        try:
            reader = fastexcel.read_excel(path)
            names = list(reader.sheet_names)
        except BaseException as exc:   # fastexcel's own hierarchy, and pyo3 panics
            _reraise_interrupts(exc)
            raise _calamine_error(where, exc) from exc
        if not names:
            raise where.reject("empty")
        parts = {e.name: e.part for e in entries}
        order, by_name = _candidates(entries, names, kind)
        tried: list[str] = []
        for name in order:
            sheet_where = where.on_sheet(name)
            part = parts.get(name)
            if part is None:     # the workbook's own map is unclear: check every sheet part
                for info in zf.infolist():
                    if info.filename.startswith("xl/worksheets/") and \
                            info.filename.endswith(".xml"):
                        check_sheet(zf, info.filename, sheet_where, limits)
            else:
                check_sheet(zf, part, sheet_where, limits)
            parsed = _read_sheet(reader, name, kind, sheet_where, limits, required=by_name)
            tried.append(name)
            if parsed is not None:
                if not by_name and len(names) > 1:
                    parsed.warnings.append(sheet_where.prefix(
                        f"không có trang tên «{kind.name}» hay «{kind.label_vi}»: đã đọc trang "
                        "đầu tiên có dòng tiêu đề",
                        f"no sheet is named '{kind.name}' or '{kind.label_vi}': read the first "
                        "sheet with a header"))
                return parsed
    keys_vi = ", ".join(f"{kind.column(k).label_vi} ({k})" for k in kind.required_key)
    keys_en = ", ".join(kind.required_key)
    shown = ", ".join(f"«{printable(n, 40)}»" for n in tried) or "—"
    shown_en = ", ".join(f"'{printable(n, 40)}'" for n in tried) or "—"
    raise where.reject("no_header", f"{keys_vi}; không trang nào có, đã xem các trang {shown}",
                       f"{keys_en}; no sheet has one, looked at the sheets {shown_en}")


def _read_sheet(reader, name: str, kind: Kind, where: Where, limits: Limits,
                required: bool) -> Parsed | None:
    """The sheet's body, or None when it has no header and another sheet may be tried."""
    try:
        grid = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()
    except BaseException as exc:   # fastexcel's hierarchy, arrow errors, pyo3 panics
        _reraise_interrupts(exc)
        raise _calamine_error(where, exc) from exc
    if grid.height == 0 or grid.width == 0:
        if required:
            raise where.reject("empty")
        return None
    if _over(grid.height, grid.width, limits):
        vi, en = _extent_text(grid.height, grid.width)
        lim_vi, lim_en = _limits_text(limits)
        raise where.reject("too_large", f"trang có {vi}; {lim_vi}", f"the sheet has {en}; {lim_en}")
    cells = [f"c{i}" for i in range(grid.width)]
    grid = grid.rename(dict(zip(grid.columns, cells)))
    grid = grid.with_columns(_excel_cells(pl.col(c).cast(pl.String)) for c in cells)
    if grid.select(pl.all_horizontal(blank(pl.col(c)) for c in cells).all()).item():
        if required:
            raise where.reject("empty")
        return None
    head = [list(r) for r in grid.head(HEADER_SEARCH_ROWS).iter_rows()]
    header = find_header(head, kind)
    if header is None:
        if required:
            raise no_header(where, kind, head)
        return None
    check_header(header, kind, where, limits)
    first_data = header.index + 1              # grid position of the first data row
    frame = (
        grid.slice(first_data)
        .with_row_index("__pos")
        .filter(~pl.all_horizontal(blank(pl.col(c)) for c in cells))
        .select([trim_expr(pl.col(f"c{p}")).alias(code)
                 for p, code in sorted(header.mapping.items())]
                # grid row 0 is Excel row 1 (fastexcel keeps leading empty rows)
                + [(pl.col("__pos").cast(pl.Int64) + first_data + 1).alias("source_row")]))
    return Parsed(frame, header, sheet=name)
