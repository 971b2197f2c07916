"""Benchmark: read + validate 1 million attendance rows from a `;`-separated cp1258 CSV.

Run: .venv/bin/python bench/bench_read_validate.py [rows]
Prints seconds for read, validate, total and the peak RSS of the process.
"""
from __future__ import annotations

import resource
import sys
import tempfile
import time
import unicodedata
from datetime import date
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chibo.read import read_file  # noqa: E402
from chibo.rulebooks import load_rulebooks  # noqa: E402
from chibo.validate import validate_frame  # noqa: E402


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # the combining marks cp1258 encodes


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 the way Excel does: letters cp1258 lacks precomposed are written
    as base letter + combining tone mark."""
    table: dict[int, str] = {}
    for ch in set(text):
        try:
            ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(p for p in parts if p in TONE_MARKS)
            base = "".join(p for p in parts if p not in TONE_MARKS)
            table[ord(ch)] = unicodedata.normalize("NFC", base) + tones
    return text.translate(table).encode("cp1258")


def make_file(path: Path, rows: int) -> None:
    """Vietnamese headers and labels, `;`, cp1258, ~1% bad rows (unknown status, bad id)."""
    statuses = ["Có mặt", "Vắng có lý do", "vang khong ly do", "present", "Miễn sinh hoạt"]
    i = pl.int_range(rows, eager=True)
    frame = pl.DataFrame({
        "Mã buổi sinh hoạt": "MT-" + (i // 30).cast(pl.String),
        "Mã đảng viên": "DV" + (i % 30 + (i // 3000) * 30).cast(pl.String),
        "Tình trạng dự họp": pl.Series(statuses)[(i % 5).to_list()]
        .zip_with(i % 101 != 0, pl.Series(["???"] * rows)),
        "Có phát biểu": pl.Series(["x", "", "0", "có", "Không"])[(i % 5).to_list()],
        "Lý do vắng": pl.Series(["", "Ốm", "", "", ""])[(i % 5).to_list()],
    })
    text = "BẢNG ĐIỂM DANH\n" + frame.write_csv(separator=";")
    path.write_bytes(to_cp1258(text))


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "attendance.csv"
        make_file(path, rows)
        size_mb = path.stat().st_size / 1e6
        t0 = time.perf_counter()
        read = read_file(path, "attendance")
        t1 = time.perf_counter()
        result = validate_frame(read, "attendance", path.name, date(2025, 12, 31),
                                load_rulebooks())
        t2 = time.perf_counter()
    bad = result.quarantine["source_row"].n_unique()
    assert result.rows_read == result.valid.height + bad
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows={rows} file={size_mb:.1f} MB valid={result.valid.height} "
          f"quarantined_rows={bad} problems={result.quarantine.height}")
    print(f"read={t1 - t0:.2f}s validate={t2 - t1:.2f}s total={t2 - t0:.2f}s "
          f"peak_rss={peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
