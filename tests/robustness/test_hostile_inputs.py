"""Issue 19, hostile deliveries: a file built to break the reader is one `rejected` row with a
one-line Vietnamese + English reason, read within bounded memory, never a crash of the run.

- dimension bombs (a 4.8 KB .xlsx declaring 16 384 × 1 048 576 cells) and decompression bombs
  (.csv.gz, .xlsx), sparse and over-long files: rejected `too_large` before they are parsed; the
  peak memory of each read is measured in a child process (`MEMORY_CEILING`);
- arbitrary, truncated and corrupted bytes (hypothesis): a result or `FileRejected`, nothing else;
- text hygiene: mixed encodings, control characters, CSV injection, paths relative to raw/,
  a quote that never closes;
- rulebook overrides of garbage or nested 50 000 deep: one line naming the file;
- on a raw/ folder mixing good and hostile deliveries every entry has a `files` row and every
  loaded file's rows add up.
docs/reliability.md lists what each test proves.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import random
import re
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterable
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chibo import pipeline
from chibo.export.workbook import neutralise, write_csv
from chibo.messages import FILE_MESSAGES
from chibo.read import FileRejected, Limits, ReadResult, read_file
from tests.fixtures.make_messy import to_cp1258
from tests.robustness.conftest import REPO, chibo, query

MIB = 2**20
GIB = 2**30
# The most reading one hostile file may cost: the peak resident memory of the process that reads
# it plus that of its reader process (both can be alive at once). A small delivery's read costs
# ~100 MB; a read whose memory grows with what the file decompresses to breaks it on the bombs
# below (before the quoted-field fix, the 256 MiB field alone cost ~2 GB).
MEMORY_CEILING = 1536 * MIB
CONTROLS = ("\x1b", "\x07", "\u202e", "\x00")
SEMICOLON_EXCEL_DANGER = "=+-@"


# --- files --------------------------------------------------------------------------------------
def _meetings(raw: Path) -> tuple[str, list[str]]:
    """The header and rows of the world's meetings delivery (meeting_id comes first)."""
    header, *rows = (raw / "meetings" / "w.csv").read_text(encoding="utf-8").splitlines()
    return header, rows


def _renamed(rows: Iterable[str], prefix: str) -> list[str]:
    """The same meetings under other ids (another delivery's rows)."""
    return [prefix + r for r in rows]


def _dimension_bomb(path: Path, cells: dict[str, str], lie: bool = False) -> Path:
    """openpyxl's workbook with a sheet `meetings` holding `cells`: its <dimension> declares
    the whole extent; with `lie` it declares A1:A1 and only the cells themselves tell."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "meetings"
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    if lie:
        _rewrite_part(path, "xl/worksheets/sheet1.xml",
                      lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A1"',
                                         xml))
    return path


def _good_workbook(folder: Path) -> Path:
    """A valid two-row workbook of deletions (`action` needs only the key column)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "meetings"
    for row in (["meeting_id", "action"], ["M1", "delete"], ["M2", "delete"]):
        ws.append(row)
    path = folder / "tot.xlsx"
    wb.save(path)
    return path


def _rewrite_part(path: Path, part: str, change) -> None:
    with zipfile.ZipFile(path) as zin:
        parts = [(i.filename, zin.read(i)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts:
            zout.writestr(name, change(data) if name == part else data)


_NS = b'xmlns="http://schemas.openxmlformats.org/'
_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types ' + _NS + b'package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    b'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    b'worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
_REL = b'<Relationship Id="%s" Type="http://schemas.openxmlformats.org/officeDocument/2006/' \
    b'relationships/%s" Target="%s"/>'
_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships ' + _NS
         + b'package/2006/relationships">%s</Relationships>')
_WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8"?><workbook ' + _NS
             + b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
             b'officeDocument/2006/relationships"><sheets><sheet name="meetings" sheetId="1" '
             b'r:id="rId1"/></sheets></workbook>')
_SHEET_START = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + _NS
                + b'spreadsheetml/2006/main"><sheetData>')


def _inline(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _xlsx(path: Path, rows: Iterable[bytes], shared: Iterable[bytes] = ()) -> Path:
    """A minimal workbook (sheet `meetings`), its sheet rows and shared strings written in a
    stream: a part of gigabytes costs its compressed size on disk, not memory."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS % (_REL % (b"rId1", b"officeDocument",
                                                    b"xl/workbook.xml")))
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _RELS % (
            _REL % (b"rId1", b"worksheet", b"worksheets/sheet1.xml")
            + _REL % (b"rId2", b"sharedStrings", b"sharedStrings.xml")))
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8"?><sst ' + _NS
                     + b'spreadsheetml/2006/main"><si><t>')
            for chunk in shared:
                fh.write(chunk)
            fh.write(b"</t></si></sst>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(_SHEET_START)
            for chunk in rows:
                fh.write(chunk)
            fh.write(b"</sheetData></worksheet>")
    return path


def _gz(path: Path, head: bytes, body: bytes, times: int, tail: bytes = b"") -> Path:
    """`head`, `body` × `times`, `tail` as a .gz of several members (gzip reads them as one
    stream): a member is compressed once, so gigabytes cost a second to write."""
    member = gzip.compress(body, compresslevel=9, mtime=0)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(head, mtime=0))
        for _ in range(times):
            fh.write(member)
        if tail:
            fh.write(gzip.compress(tail, mtime=0))
    return path


# --- checks -------------------------------------------------------------------------------------
def _said(reason: str) -> tuple[str, str]:
    """What the Vietnamese and English rejection of `reason` says after the file's name."""
    vi, en = FILE_MESSAGES[reason]
    return (vi.split("{file}")[1].split("{detail")[0].strip(" :("),
            en.split("{file}")[1].split("{detail")[0].strip(" :("))


def _assert_rejection(reason: str, vi: str, en: str, reasons: tuple[str, ...], name: str,
                      *words: str) -> None:
    """One line each, the file named as given (never a server path), the reason said in both
    languages, and `words` (a limit's variable, a cell reference) in both."""
    assert reason in reasons, (reason, en)
    assert "\n" not in vi and "\n" not in en
    assert vi.startswith(f"Tệp {name}") and en.startswith(f"File {name}"), (vi, en)
    said_vi, said_en = _said(reason)
    assert said_vi in vi and said_en in en, (vi, en)
    for w in words:
        assert w in vi and w in en, (w, vi, en)


def _assert_rejected(exc: FileRejected, reasons: tuple[str, ...], name: str, *words: str) -> None:
    _assert_rejection(exc.reason, exc.message_vi, exc.message_en, reasons, name, *words)


CHILD_READ = textwrap.dedent("""
    import json, resource, sys
    from chibo.read import FileRejected, read_file
    from chibo.read.isolation import IsolatedReader
    # closing the reader process waits for it: its peak counts in RUSAGE_CHILDREN
    with IsolatedReader() as reader:
        try:
            read_file(sys.argv[1], sys.argv[2], reader=reader)
            out = {"reason": None}
        except FileRejected as exc:
            out = {"reason": exc.reason, "vi": exc.message_vi, "en": exc.message_en}
    # this process's own peak: VmHWM starts afresh at exec, ru_maxrss keeps the forking
    # pytest's (the reader process's ru_maxrss keeps this small process's: a few MB too many)
    with open("/proc/self/status") as fh:
        hwm = [int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:")]
    out["self"] = (hwm or [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss])[0] * 1024
    out["reader"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps(out))
""")


def read_in_child(path: Path, kind: str, env: dict[str, str] | None = None) -> dict:
    """`read_file` in a fresh process (CHIBO_* limits from `env`): its outcome and peak memory."""
    r = subprocess.run([sys.executable, "-c", CHILD_READ, str(path), kind], capture_output=True,
                       text=True, timeout=600,
                       env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.splitlines()[-1])
    out["peak"] = out["self"] + out["reader"]
    print(f"{path.name}: {out['reason']}, peak {out['peak'] / MIB:.0f} MiB "
          f"(reader process {out['reader'] / MIB:.0f} MiB)")
    return out


# --- 1. dimension bombs ---------------------------------------------------------------------------
BOMBS = {"xfd": {"A1": "meeting_id", "XFD1048576": "x"},
         "zz": {"A1": "meeting_id", "ZZ1": "x", "A1048576": "y"}}


@pytest.mark.parametrize("lie", [False, True], ids=["declared", "real-extent"])
@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_a_dimension_bomb_is_rejected_before_it_is_parsed(tmp_path, bomb, lie):
    path = _dimension_bomb(tmp_path / "bom.xlsx", BOMBS[bomb], lie)
    assert path.stat().st_size < 10_000                  # 4.8 KB asking calamine for 512 GiB
    with pytest.raises(FileRejected) as caught:
        read_file(path, "meetings")
    corner = "XFD1048576" if bomb == "xfd" else "ZZ1048576"
    _assert_rejected(caught.value, ("too_large",), "bom.xlsx (", corner)
    assert "trang «meetings»" in caught.value.message_vi
    # which check stopped it: the extent the sheet declares, else the cells found in a stream
    said = f"trang có ô ở tận {corner}" if lie else f"trang khai báo vùng dữ liệu A1:{corner}"
    assert said in caught.value.message_vi
    assert read_file(_good_workbook(tmp_path), "meetings").frame.height == 2   # still reading


def test_a_native_crash_of_the_spreadsheet_library_rejects_one_file_only(tmp_path):
    """With the size checks opened wide, calamine really asks for 512 GiB and aborts: the
    reader process dies, this process survives, the file is rejected, the next file reads."""
    path = _dimension_bomb(tmp_path / "bom.xlsx", BOMBS["xfd"])
    wide = Limits(max_rows=2**31, max_columns=2**20, max_cells=2**62, read_memory=2 * GIB)
    with pytest.raises(FileRejected) as caught:
        read_file(path, "meetings", limits=wide)
    _assert_rejected(caught.value, ("reader_crashed",), "bom.xlsx")
    assert read_file(_good_workbook(tmp_path), "meetings", limits=wide).frame.height == 2


def test_a_dimension_bomb_in_raw_is_rejected_and_the_good_file_loads(world, tmp_path):
    raw, s = world
    _dimension_bomb(raw / "meetings" / "bom.xlsx", BOMBS["xfd"])
    _, rows = _meetings(raw)
    summary = pipeline.run_all(s)
    assert summary.files_by_status.get("rejected") == 1
    files = {p: (outcome, n, err) for p, outcome, n, err in query(
        s.warehouse, "SELECT path, status, rows_loaded, error FROM files WHERE kind = 'meetings'")}
    status, _, error = files["meetings/bom.xlsx"]
    assert status == "rejected"
    vi, _, en = error.partition(" / ")
    _assert_rejection("too_large", vi, en, ("too_large",), "meetings/bom.xlsx (", "XFD1048576")
    assert str(tmp_path) not in error
    assert files["meetings/w.csv"][:2] == ("loaded", len(rows))
    assert query(s.warehouse, "SELECT count(*) FROM meetings") == [(len(rows),)]


# --- 2. decompression bombs, memory bounded -------------------------------------------------------
def _newline_bomb(folder: Path) -> Path:
    return _gz(folder / "xuong-dong.csv.gz", b"meeting_id,action\n", b"\n" * (64 * MIB), 32)


def _long_line_bomb(folder: Path) -> Path:
    return _gz(folder / "dong-dai.csv.gz", b"meeting_id,action\n", b"a" * (16 * MIB), 4,
               b",delete\n")


def _quoted_field_bomb(folder: Path) -> Path:
    return _gz(folder / "o-dai.csv.gz", b'meeting_id,action\n"', (b"a" * 1023 + b"\n") * 2**14,
               16, b'",delete\n')


def _bytes_bomb(folder: Path) -> Path:
    return _gz(folder / "nhieu-byte.csv.gz", b"meeting_id,action\n",
               (b"M," + b"a" * 1021 + b"\n") * 2**14, 64)


def _rows_bomb(folder: Path) -> Path:
    """150 000 identical rows, no row numbers, no declared dimension: only counting tells."""
    row = b"<row>" + b'<c t="inlineStr"><is><t>M</t></is></c>' * 2 + b"</row>"
    head = b"<row>" + _inline("A1", "meeting_id") + _inline("B1", "action") + b"</row>"
    return _xlsx(folder / "nhieu-dong.xlsx", [head, row * 150_000])


def _shared_string_bomb(folder: Path) -> Path:
    """One 256 MiB shared string (260 KB compressed) in a well-formed workbook."""
    rows = [b"<row r=\"1\">" + _inline("A1", "meeting_id") + _inline("B1", "action")
            + b'</row><row r="2"><c r="A2" t="s"><v>0</v></c>' + _inline("B2", "delete")
            + b"</row>"]
    return _xlsx(folder / "chuoi-dai.xlsx", rows, (b"a" * MIB for _ in range(256)))


# (builder, CHIBO_* settings of the read, accepted reasons, words of the message)
DECOMPRESSION_BOMBS = {
    "2 GiB of line breaks in a .csv.gz": (_newline_bomb, {}, ("too_large",), "CHIBO_MAX_ROWS"),
    "a 64 MiB line in a .csv.gz": (_long_line_bomb, {}, ("too_large",), "52"),
    "a quoted 256 MiB field over many lines": (_quoted_field_bomb, {}, ("too_large",),
                                               "CHIBO_MAX_CELL_CHARS"),
    "1 GiB of text over a lowered byte limit": (_bytes_bomb, {"CHIBO_MAX_FILE_BYTES": "64Mi"},
                                                ("too_large",), "64 MiB"),
    "identical .xlsx rows over a lowered row limit": (_rows_bomb, {"CHIBO_MAX_ROWS": "100k"},
                                                      ("too_large",), "100"),
    # the reader process's address space is what bounds a workbook's parse: with it at 1.5 GiB
    # the 256 MiB string (2.4 GB to parse under the default cap) stops inside the reader
    "a 256 MiB shared string under a 1.5 GiB reader cap": (
        _shared_string_bomb, {"CHIBO_READ_MEMORY": "1536Mi"}, ("too_large", "reader_crashed"),
        ""),
}


@pytest.mark.parametrize("case", list(DECOMPRESSION_BOMBS))
def test_a_decompression_bomb_is_rejected_within_bounded_memory(tmp_path, case):
    build, env, reasons, word = DECOMPRESSION_BOMBS[case]
    path = build(tmp_path)
    assert path.stat().st_size < 8 * MIB
    out = read_in_child(path, "meetings", env)
    _assert_rejection(out["reason"], out["vi"], out["en"], reasons, path.name,
                      *([word] if word else []))
    assert out["peak"] < MEMORY_CEILING, f"{out['peak'] / MIB:.0f} MiB"


def test_the_reader_cap_used_above_still_reads_a_normal_workbook(tmp_path):
    out = read_in_child(_good_workbook(tmp_path), "meetings", {"CHIBO_READ_MEMORY": "1536Mi"})
    assert out["reason"] is None


def test_a_sparse_file_over_the_byte_limit_is_refused_without_being_read(tmp_path, monkeypatch):
    big = tmp_path / "thua.csv"
    with open(big, "wb") as fh:
        fh.write(b"meeting_id,action\nM1,delete\n")
        fh.seek(3 * GIB)
        fh.write(b"\n")
    if big.stat().st_blocks * 512 > 64 * MIB:
        pytest.skip("this file system does not make sparse files")
    with pytest.raises(FileRejected) as caught:
        read_file(big, "meetings")                        # the default: 2 GiB
    _assert_rejected(caught.value, ("too_large",), "thua.csv", "2 GiB", "CHIBO_MAX_FILE_BYTES")
    small = tmp_path / "nho.csv"
    with open(small, "wb") as fh:
        fh.write(b"meeting_id,action\nM1,delete\n")
        fh.truncate(4 * MIB)
    monkeypatch.setenv("CHIBO_MAX_FILE_BYTES", "1Mi")
    with pytest.raises(FileRejected) as caught:
        read_file(small, "meetings")
    _assert_rejected(caught.value, ("too_large",), "nho.csv", "1 MiB", "CHIBO_MAX_FILE_BYTES")


def test_a_cell_over_the_character_limit_is_rejected_naming_row_and_column(tmp_path):
    path = tmp_path / "o.csv.gz"
    path.write_bytes(gzip.compress(b"meeting_id,action\nM1,delete\n" + b"M" * 70_000
                                   + b",delete\n"))
    with pytest.raises(FileRejected) as caught:
        read_file(path, "meetings")
    _assert_rejected(caught.value, ("too_large",), "o.csv.gz", "CHIBO_MAX_CELL_CHARS", "3")
    assert "Mã buổi sinh hoạt" in caught.value.message_vi


# --- 3. arbitrary, truncated and corrupted bytes --------------------------------------------------
REASONS = tuple(FILE_MESSAGES)


def _read_or_reject(path: Path, kind: str = "meetings") -> ReadResult | FileRejected:
    """`read_file`'s outcome; any exception but FileRejected propagates (it is a bug)."""
    try:
        result = read_file(path, kind)
    except FileRejected as exc:
        assert exc.reason in REASONS
        assert "\n" not in exc.message_vi and "\n" not in exc.message_en
        assert str(path.parent) not in str(exc)
        return exc
    assert result.frame.height > 0 and "source_row" in result.frame.columns
    return result


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".csv", ".csv.gz", ".xlsx"]))
def test_arbitrary_bytes_are_a_result_or_a_rejection(scratch, data, suffix):
    path = scratch / f"rac{suffix}"
    path.write_bytes(data)
    _read_or_reject(path)


# CSV-like text: the contract's header, then cells, delimiters, quotes, line ends, controls,
# Vietnamese letters and bytes of other encodings
PIECES = st.sampled_from([",", ";", "\t", '"', '""', "\n", "\r\n", "\r", "\x00", "\x1b", "\u202e",
                          "\ufeff", "M1", "delete", "Xóa", "Chuyên đề", "2024-01-10", " ", "=1+1",
                          "\u2028", "é"])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp1258", "utf-16", "reversed-utf-8"])


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "cp1258":
        return to_cp1258(text.replace("\u202e", "").replace("\ufeff", "").replace("\u2028", ""))
    if encoding == "reversed-utf-8":   # bytes that are neither UTF-8 nor text
        return text.encode("utf-8", "replace")[::-1]
    return text.encode(encoding)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.sampled_from(["meeting_id,action", "meeting_id;action", "Mã buổi sinh hoạt\t"
                                                                           "Thao tác"]),
       pieces=st.lists(PIECES, max_size=60), encoding=ENCODINGS, gz=st.booleans())
def test_csv_like_text_is_a_result_or_a_rejection(scratch, header, pieces, encoding, gz):
    data = _encode(header + "\n" + "".join(pieces), encoding)
    path = scratch / ("van-ban.csv.gz" if gz else "van-ban.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    _read_or_reject(path)


@pytest.fixture(scope="module")
def good_files() -> dict[str, bytes]:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "meetings"
    ws.append(["meeting_id", "action"])
    for i in range(30):
        ws.append([f"M{i}", "delete"])
    buf = io.BytesIO()
    wb.save(buf)
    text = "meeting_id,action\n" + "".join(f"M{i},delete\n" for i in range(30))
    return {".xlsx": buf.getvalue(), ".csv.gz": gzip.compress(text.encode(), mtime=0)}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(suffix=st.sampled_from([".xlsx", ".csv.gz"]), cut=st.floats(0, 1),
       flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                      max_size=4))
def test_truncated_or_corrupted_archives_are_a_result_or_a_rejection(scratch, good_files, suffix,
                                                                     cut, flips):
    data = bytearray(good_files[suffix][: int(len(good_files[suffix]) * cut)])
    for where, value in flips:
        if data:
            data[int(where * len(data))] = value
    path = scratch / f"cat{suffix}"
    path.write_bytes(bytes(data))
    _read_or_reject(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(part=st.integers(0, 20), flips=st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6))
def test_a_workbook_with_a_damaged_part_is_a_result_or_a_rejection(scratch, good_files, part,
                                                                   flips):
    """The zip is sound, one part inside it (XML, relationships, styles) is not."""
    with zipfile.ZipFile(io.BytesIO(good_files[".xlsx"])) as zin:
        parts = [(i.filename, zin.read(i)) for i in zin.infolist()]
    name, xml = parts[part % len(parts)]
    damaged = bytearray(xml)
    for where, value in flips:
        damaged[int(where * len(damaged))] = value
    path = scratch / "hong.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for n, d in parts:
            zout.writestr(n, bytes(damaged) if n == name else d)
    _read_or_reject(path)


# --- 4. text hygiene ------------------------------------------------------------------------------
@pytest.mark.parametrize("utf8_rows", [3, 20_000], ids=["first-block", "past-the-first-mib"])
def test_a_file_mixing_utf8_and_windows_1258_is_rejected_naming_a_line_of_each(world, tmp_path,
                                                                               utf8_rows):
    raw, _ = world
    header, rows = _meetings(raw)
    assert "Chuyên đề" in rows[0]
    utf8 = "".join(f"U{i}{rows[0]}\n" for i in range(utf8_rows))
    cp1258 = "".join(f"W{i}{rows[1]}\n" for i in range(5))
    path = tmp_path / "tron.csv"
    path.write_bytes(f"{header}\n{utf8}".encode() + to_cp1258(cp1258))
    with pytest.raises(FileRejected) as caught:
        read_file(path, "meetings")
    _assert_rejected(caught.value, ("mixed_encoding",), "tron.csv", "UTF-8", "Windows-1258")
    assert f"dòng 2 viết bằng UTF-8 nhưng dòng {utf8_rows + 2} bằng Windows-1258" \
        in caught.value.message_vi


def _with_controls(rows: list[str], every: int = 2) -> list[str]:
    """The topic of every `every`-th row (from the first) carries ESC, BEL, U+202E and NUL."""
    return [r.replace("Chuyên đề", "Chuyên\x1b]0;title\x07 đề\u202e\x00") if i % every == 0 else r
            for i, r in enumerate(rows)]


def test_control_characters_are_removed_with_a_warning_naming_the_rows(world, tmp_path):
    raw, _ = world
    header, rows = _meetings(raw)
    path = tmp_path / "dieu-khien.csv"
    path.write_text("\n".join([header, *_with_controls(rows)]) + "\n", encoding="utf-8")
    read = read_file(path, "meetings")
    topics = read.frame["topic"].to_list()
    assert topics[0] == "Chuyên]0;title đề" and topics[1] == "Chuyên đề"
    assert not any(c in t for t in topics for c in CONTROLS)
    dirty = list(range(2, len(rows) + 2, 2))
    [warning] = [w for w in read.warnings if "ký tự điều khiển" in w]
    assert f"ở {len(dirty)} dòng: {dirty[0]}, {dirty[1]}" in warning
    assert f"in {len(dirty)} rows: {dirty[0]}, {dirty[1]}" in warning


def test_chibo_validate_shows_no_terminal_escape_from_a_value(world, tmp_path):
    raw, s = world
    header, rows = _meetings(raw)
    bad = rows[0].replace(",X1,X2,0,", ",X1,X2,\x1b]0;title\x07,")
    assert bad != rows[0]
    folder = tmp_path / "kiem-tra" / "meetings"
    folder.mkdir(parents=True)
    (folder / "sai.csv").write_text(f"{header}\n{bad}\n", encoding="utf-8")
    r = chibo("validate", str(folder / "sai.csv"), "--as-of", s.as_of.isoformat(), timeout=120)
    assert r.returncode == 1, r.stderr
    assert "[upper_attendees] invalid_int «]0;title»" in r.stdout
    assert not any(c in r.stdout + r.stderr for c in ("\x1b", "\x07"))


def test_chibo_validate_shows_no_terminal_escape_from_a_file_name(world, tmp_path):
    raw, s = world
    header, rows = _meetings(raw)
    folder = tmp_path / "kiem-tra" / "meetings"
    folder.mkdir(parents=True)
    (folder / "a\x1b]0;title\x07.csv").write_text(f"{header}\n{rows[0]}\n", encoding="utf-8")
    r = chibo("validate", str(folder.parent), "--as-of", s.as_of.isoformat(), timeout=120)
    assert not any(c in r.stdout + r.stderr for c in ("\x1b", "\x07"))


def _semicolon_excel(line: str) -> list[str]:
    """The cells an Excel whose list separator is `;` makes of one physical CSV line."""
    return line.split(";")


def test_csv_injection_after_a_semicolon_or_a_line_break_is_neutralised(tmp_path):
    values = ["x;=1+1", "a;+SUM(A1)", "b;-2+3", "c;@A1", "tên\n=HYPERLINK(\"http://x\")",
              "=1+1", "a;b", "a=b", "Nguyễn; Văn"]
    got = neutralise(pl.DataFrame({"v": values}))["v"].to_list()
    assert got == ["x;'=1+1", "a;'+SUM(A1)", "b;'-2+3", "c;'@A1",
                   "tên\n'=HYPERLINK(\"http://x\")", "'=1+1", "a;b", "a=b", "Nguyễn; Văn"]
    path = write_csv(pl.DataFrame({"Mã": [f"U{i}" for i in range(len(values))], "Tên": values}),
                     tmp_path / "bao-cao.csv")
    text = path.read_bytes().decode("utf-8-sig")
    for line in text.splitlines():
        for cell in _semicolon_excel(line):
            assert cell[:1] not in SEMICOLON_EXCEL_DANGER, (line, cell)
    assert [r["Tên"] for r in csv.DictReader(io.StringIO(text, newline=""))] == got


def test_an_unterminated_quote_quarantines_from_that_record_on(world, tmp_path):
    raw, _ = world
    header, rows = _meetings(raw)
    broken = rows[2].replace(",Chuyên đề,", ',"Chuyên đề,')
    path = tmp_path / "ngoac.csv"
    path.write_text("\n".join([header, *rows[:2], broken, *rows[3:]]) + "\n", encoding="utf-8")
    read = read_file(path, "meetings")
    assert read.frame["source_row"].to_list() == [2, 3, 4]
    assert read.frame["meeting_id"].to_list()[:2] == [r.split(",")[0] for r in rows[:2]]
    [problem] = read.problems
    assert (problem.source_row, problem.check, problem.column) == (4, "unterminated_quote",
                                                                   "topic")
    [warning] = [w for w in read.warnings if "ngoặc kép" in w]
    assert warning.startswith("Dòng 4: dấu ngoặc kép (\") mở ở cột G không được đóng")
    assert f"(dòng văn bản 4–{len(rows) + 1})" in warning


# --- 5. rulebook overrides ------------------------------------------------------------------------
DEEP = 50_000
RULEBOOK_GARBAGE = {
    "random-bytes": random.Random(19).randbytes(4096),
    "nested-arrays": b"a = " + b"[" * DEEP + b"]" * DEEP + b"\n",
    "nested-tables": b'name = "qd124"\nlevels = ' + b"{a = " * DEEP + b"1" + b"}" * DEEP + b"\n",
}


@pytest.mark.parametrize("case", list(RULEBOOK_GARBAGE))
def test_a_garbage_rulebook_override_stops_the_run_in_one_line_naming_it(tmp_path, case):
    folder = tmp_path / "rulebooks"
    folder.mkdir()
    bad = folder / f"{case}.toml"
    bad.write_bytes(RULEBOOK_GARBAGE[case])
    (tmp_path / "raw").mkdir()
    r = chibo("run", "--raw", str(tmp_path / "raw"), "--rulebooks", str(folder), "--warehouse",
              str(tmp_path / "wh" / "chibo.duckdb"), "--as-of", "2024-06-30", timeout=120)
    assert r.returncode == 2
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("chibo run: rulebooks refused: rulebook ") and str(bad) in err
    assert not (tmp_path / "wh" / "chibo.duckdb").exists()


# --- 6. counts add up -----------------------------------------------------------------------------
def _entries(raw: Path) -> set[str]:
    return {p.relative_to(raw).as_posix() for p in raw.rglob("*")
            if not p.is_dir() and not any(part.startswith(".") for part in p.parts)}


def test_every_entry_of_a_hostile_raw_has_a_row_and_the_counts_add_up(world, tmp_path):
    raw, s = world
    meetings = raw / "meetings"
    header, rows = _meetings(raw)
    _dimension_bomb(meetings / "bom.xlsx", BOMBS["zz"])
    _gz(meetings / "xuong-dong.csv.gz", b"meeting_id,action\n", b"\n" * (64 * MIB), 16)
    (meetings / "tron.csv").write_bytes(
        f"{header}\n{'Q' + rows[0]}\n".encode() + to_cp1258(f"R{rows[1]}\n"))
    (meetings / "rac.csv").write_bytes(random.Random(1).randbytes(3000))
    (meetings / "rac.xlsx").write_bytes(random.Random(2).randbytes(3000))
    good = _good_workbook(tmp_path).read_bytes()
    (meetings / "cat.xlsx").write_bytes(good[: len(good) // 2])
    (meetings / "rong.csv").write_bytes(b"")
    (meetings / "ghi-chu.txt").write_text("không phải dữ liệu", encoding="utf-8")
    (raw / "le.csv").write_text(f"{header}\n{rows[0]}\n", encoding="utf-8")
    (meetings / "x-ban-sao.csv").write_bytes((meetings / "w.csv").read_bytes())
    quoted = _renamed(rows, "N")
    quoted[3] = quoted[3].replace(",Chuyên đề,", ',"Chuyên đề,')
    (meetings / "ngoac.csv").write_text("\n".join([header, *quoted]) + "\n", encoding="utf-8")
    (meetings / "dieu-khien.csv").write_text(
        "\n".join([header, *_with_controls(_renamed(rows, "K"), every=3)]) + "\n",
        encoding="utf-8")

    pipeline.run_all(s)
    files = {r[0]: r[1:] for r in query(
        s.warehouse, "SELECT path, status, rows_read, rows_loaded, rows_quarantined, "
        "rows_pending, error, warnings FROM files WHERE NOT superseded")}
    assert set(files) == _entries(raw)                   # nothing lost, nothing invented
    status = {p: v[0] for p, v in files.items()}
    assert {p for p, v in status.items() if v == "loaded"} == {
        "attendance/w.csv", "members/w.csv", "org_units/w.csv", "meetings/w.csv",
        "meetings/ngoac.csv", "meetings/dieu-khien.csv"}
    assert {p for p, v in status.items() if v == "rejected"} == {
        "meetings/bom.xlsx", "meetings/xuong-dong.csv.gz", "meetings/tron.csv", "meetings/rac.csv",
        "meetings/rac.xlsx", "meetings/cat.xlsx", "meetings/rong.csv"}
    assert status["meetings/x-ban-sao.csv"] == "duplicate"
    assert status["meetings/ghi-chu.txt"] == status["le.csv"] == "unsupported_format"

    for path, (outcome, read, loaded, quarantined, pending, error, warnings) in files.items():
        if outcome == "loaded":
            assert read == loaded + quarantined + pending, path
        if outcome == "rejected":
            assert error.startswith(f"Tệp {path}") and " / File " in error, error
            assert "\n" not in error and str(tmp_path) not in error, error
        assert warnings is None or str(tmp_path) not in warnings, warnings
    assert query(s.warehouse, (REPO / "chibo/model/checks/file_counts_add_up.sql").read_text(
        encoding="utf-8")) == []

    # the open quote: the rows before it load, from it on one quarantined row
    assert files["meetings/ngoac.csv"][1:4] == (4, 3, 1)
    [(check, message)] = query(s.warehouse, "SELECT check_name, message_vi FROM "
                               "staging.quarantine WHERE file = 'meetings/ngoac.csv'")
    assert check == "unterminated_quote"
    assert message.startswith("Cột «Chủ đề»: Dấu ngoặc kép (\") mở ở dòng này không bao giờ")
    # control characters: stored without them, the warning names the rows
    stored = [t for (t,) in query(s.warehouse, "SELECT topic FROM meetings "
                                  "WHERE source_file = 'meetings/dieu-khien.csv'")]
    assert len(stored) == len(rows) and "Chuyên]0;title đề" in stored
    assert not any(c in t for t in stored if t for c in CONTROLS)
    assert "đã xóa ký tự điều khiển" in files["meetings/dieu-khien.csv"][6]
