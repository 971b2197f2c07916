"""The committed messy delivery (cp1258 `;` CSV with Vietnamese headers, .xlsx with a title
block, UTF-16, .csv.gz, bad rows) goes through the whole pipeline with every row accounted for."""
from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import duckdb

from chibo import pipeline
from tests.helpers import settings

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
from make_messy import AS_OF, EXPECTED, ROOT  # noqa: E402


def test_messy_delivery_every_row_loaded_quarantined_or_pending(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(ROOT, raw)
    s = settings(tmp_path, raw, as_of=AS_OF)
    delivered = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in raw.rglob("*") if p.is_file()}
    pipeline.run_all(s)
    # raw/ is read-only to the pipeline: nothing moved, edited or added
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns)
            for p in raw.rglob("*") if p.is_file()} == delivered
    con = duckdb.connect(str(s.warehouse), read_only=True)
    files = con.execute("SELECT path, status, rows_read, rows_loaded, rows_quarantined, "
                        "rows_pending FROM files ORDER BY path").fetchall()
    assert [f[0] for f in files] == sorted(EXPECTED)
    for path, status, read, loaded, quarantined, pending in files:
        assert status == "loaded", path
        assert read == EXPECTED[path][0], path
        assert read == loaded + quarantined + pending, path
        # at least the rows validation rejected are quarantined
        assert quarantined >= EXPECTED[path][2], path
    # every problem says where and what, in both languages
    bad = con.execute("SELECT count(*) FROM quarantine WHERE source_row IS NULL OR file IS NULL "
                      "OR check_name IS NULL OR coalesce(message_vi, '') = '' "
                      "OR coalesce(message_en, '') = ''").fetchall()[0][0]
    assert bad == 0
    n_problem_rows = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT file, source_row FROM quarantine "
        "UNION SELECT DISTINCT file, source_row FROM pending)").fetchall()[0][0]
    con.close()
    # the error list sent back to the cells holds every quarantined and pending row
    with open(s.exports / "du-lieu-loi.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len({tuple(r[:2]) for r in rows[1:]}) >= n_problem_rows > 0
