"""Issue 19 items 1 and 6: every entry under raw/ gets a `files` row, names are bytes, and
nothing is followed out of raw/ (nor inside it): links, dangling links, FIFOs and devices are
recorded `unsupported_format` with a reason and never opened."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from chibo import pipeline
from chibo.integrate import scan_raw
from tests.robustness.conftest import query

NON_UTF8 = b"2024-04-10-bi\xean-b\xe1n.csv"   # what unzipping a Windows archive gives


def _meetings_file(raw: Path) -> Path:
    return raw / "meetings" / "w.csv"


def test_a_file_name_that_is_not_utf8_is_read_shown_escaped_and_ordered_by_bytes(world):
    raw, s = world
    src = _meetings_file(raw)
    target = os.path.join(os.fsencode(raw / "meetings"), NON_UTF8)
    text = src.read_text(encoding="utf-8").replace(".2024", ".Z2024")   # other meeting ids
    with open(target, "wb") as fh:
        fh.write(text.encode("utf-8"))
    summary = pipeline.run_all(s)
    assert summary.files_by_status.get("rejected", 0) == 0
    paths = [r[0] for r in query(s.warehouse, "SELECT path FROM files WHERE kind = 'meetings' "
                                 "ORDER BY delivery_id")]
    shown = "meetings/2024-04-10-bi\\xean-b\\xe1n.csv"
    assert paths == [shown, "meetings/w.csv"]            # byte order: '2' < 'w'
    [(status, loaded)] = query(s.warehouse, "SELECT status, rows_loaded FROM files "
                               "WHERE path = ?", [shown])
    assert status == "loaded" and loaded > 0
    assert query(s.warehouse, "SELECT count(*) FROM meetings WHERE source_file = ?",
                 [shown])[0][0] == loaded
    pipeline.run_all(s)                                  # the same name next night: nothing new
    assert query(s.warehouse, "SELECT files_new FROM runs ORDER BY started_at DESC LIMIT 1"
                 ) == [(0,)]


def test_scan_orders_by_the_bytes_of_the_path(tmp_path):
    raw = tmp_path / "raw"
    (raw / "meetings").mkdir(parents=True)
    names = [b"b.csv", b"a\xff.csv", "ă.csv".encode(), b"a.csv", b"A.csv"]
    for n in names:
        open(os.path.join(os.fsencode(raw / "meetings"), n), "wb").close()
    got = [f.sort_key for f in scan_raw(raw)]
    assert got == sorted(b"meetings/" + n for n in names)


@pytest.mark.skipif(sys.platform != "linux", reason="/proc, /dev and FIFOs as on Linux")
def test_links_and_special_files_get_a_row_each_and_are_never_opened(world, tmp_path):
    raw, s = world
    meetings = raw / "meetings"
    outside = tmp_path / "outside"
    outside.mkdir()
    stolen = outside / "2099-01-01-ngoai.csv"      # valid rows outside raw/: must not load
    shutil.copy(_meetings_file(raw), stolen)
    stolen.write_text(stolen.read_text(encoding="utf-8").replace("C1.2024", "OUT.2024"),
                      encoding="utf-8")
    (meetings / "ngoai.csv").symlink_to(stolen)
    (meetings / "passwd.csv").symlink_to("/etc/passwd")
    (meetings / "environ.csv").symlink_to("/proc/self/environ")
    (meetings / "zero.csv").symlink_to("/dev/zero")
    (meetings / "mat.csv").symlink_to(tmp_path / "does-not-exist.csv")
    (meetings / "ban-sao.csv").symlink_to(_meetings_file(raw))      # a link inside raw/
    (raw / "attendance" / "thu-muc").symlink_to(outside, target_is_directory=True)
    os.mkfifo(meetings / "ong.csv")                # opening it for reading would block forever
    os.symlink("/dev/null", raw / "members" / "null.csv")
    pipeline.run_all(s)

    rows = dict((p, (st, err)) for p, st, err in query(
        s.warehouse, "SELECT path, status, error FROM files WHERE status <> 'loaded'"))
    expected = {"meetings/ngoai.csv": "symbolic link", "meetings/passwd.csv": "symbolic link",
                "meetings/environ.csv": "symbolic link", "meetings/zero.csv": "symbolic link",
                "meetings/mat.csv": "dangling", "meetings/ban-sao.csv": "symbolic link",
                "attendance/thu-muc": "link to a folder", "meetings/ong.csv": "FIFO",
                "members/null.csv": "symbolic link"}
    assert set(rows) == set(expected)
    for path, words in expected.items():
        status, error = rows[path]
        assert status == "unsupported_format", path
        vi, _, en = error.partition(" / ")
        assert vi.startswith(("liên kết", "tệp đặc biệt")) and words in en, (path, error)
    # nothing from outside raw/ loaded, the link inside raw/ did not count its target twice
    assert query(s.warehouse, "SELECT count(*) FROM meetings WHERE meeting_id LIKE 'OUT%'"
                 ) == [(0,)]
    assert query(s.warehouse, "SELECT count(*) FROM staging.meetings "
                 "WHERE source_file = 'meetings/ban-sao.csv'") == [(0,)]
    pipeline.run_all(s)                  # the environ link is the same entry every night
    assert query(s.warehouse, "SELECT files_new FROM runs ORDER BY started_at DESC LIMIT 1"
                 ) == [(0,)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_a_file_chibo_may_not_open_is_rejected_and_tried_again(world):
    raw, s = world
    locked = raw / "meetings" / "khoa.csv"
    shutil.copy(_meetings_file(raw), locked)
    locked.chmod(0)
    try:
        pipeline.run_all(s)
        [(status, error)] = query(s.warehouse, "SELECT status, error FROM files "
                                  "WHERE path = 'meetings/khoa.csv'")
        assert status == "rejected" and "cannot open the file" in error
    finally:
        locked.chmod(0o644)
    pipeline.run_all(s)
    assert query(s.warehouse, "SELECT status FROM files WHERE path = 'meetings/khoa.csv' "
                 "AND NOT superseded") == [("duplicate",)]
