"""Issue 11 (preflight) and issue 19 item 8: read-only and full folders give one line naming
the path within seconds, before Prefect starts; a full disk during a run names the disk and
what it needed (never DuckDB's "cannot rollback"), and no partial copy is left to fill it.

Read-only and full file systems are real where the test may make them: as root, a read-only
bind mount and a small tmpfs (skipped when mounting is not allowed); otherwise the folder's
mode, and CHIBO_MIN_FREE_MB forced above the free space (the same statvfs check)."""
from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

import pytest

from chibo import pipeline
from chibo.errors import ChiboError, PreflightError, StageFailed
from tests.robustness.conftest import big_meetings, chibo

ROOT = os.geteuid() == 0


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextlib.contextmanager
def read_only(folder: Path):
    """`folder` read-only for this process: a read-only bind mount as root, else mode 555."""
    if ROOT:
        if not (_mount("--bind", str(folder), str(folder))
                and _mount("-o", "remount,bind,ro", str(folder))):
            subprocess.run(["umount", str(folder)], capture_output=True)
            pytest.skip("cannot make a read-only bind mount here")
        try:
            yield
        finally:
            subprocess.run(["umount", str(folder)], check=True)
    else:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(mode)


@contextlib.contextmanager
def tmpfs(folder: Path, size: str):
    if not ROOT:
        pytest.skip("a small tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    if not _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)):
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def _cli_run(s, env=None):
    t0 = time.monotonic()
    r = chibo("run", "--raw", str(s.raw), "--warehouse", str(s.warehouse), "--exports",
              str(s.exports), "--as-of", s.as_of.isoformat(), env=env, timeout=60)
    return r, time.monotonic() - t0


def test_a_read_only_warehouse_folder_is_one_line_within_seconds(world):
    raw, s = world
    pipeline.run_all(s)
    with read_only(s.warehouse.parent):
        r, seconds = _cli_run(s)
    assert r.returncode == 2
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"không ghi được vào thư mục kho dữ liệu {s.warehouse.parent}" in err
    assert f"cannot write to the warehouse folder {s.warehouse.parent}" in err
    assert ("read-only file system" if ROOT else "permission denied") in err
    assert seconds < 10


def test_a_read_only_prefect_home_is_one_line(world, tmp_path):
    raw, s = world
    home = tmp_path / "prefect-home"
    home.mkdir()
    with read_only(home):
        r, seconds = _cli_run(s, env={"PREFECT_HOME": str(home)})
    assert r.returncode == 2 and seconds < 10
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "the Prefect home" in err and str(home) in err


def test_too_little_free_space_is_one_line_naming_the_folder(world):
    raw, s = world
    r, seconds = _cli_run(s, env={"CHIBO_MIN_FREE_MB": str(10**12)})
    assert r.returncode == 2 and seconds < 10
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("chibo run: không đủ chỗ trống cho thư mục kho dữ liệu")
    assert f"not enough free space for the warehouse folder {s.warehouse.parent}" in err
    assert not s.warehouse.parent.exists() or not list(s.warehouse.parent.iterdir())


def test_preflight_counts_the_copy_of_the_warehouse(world, monkeypatch):
    raw, s = world
    pipeline.run_all(s)
    size_mb = s.warehouse.stat().st_size / 2**20
    from chibo.errors import free_bytes
    free_mb = free_bytes(s.warehouse.parent) / 2**20
    monkeypatch.setenv("CHIBO_MIN_FREE_MB", str(free_mb - size_mb / 2))   # margin fits, copy not
    with pytest.raises(PreflightError, match="not enough free space for the warehouse folder"):
        pipeline.preflight(s)


def test_a_full_disk_at_the_warehouse_copy_names_the_disk_and_leaves_no_partial_copy(
        world, tmp_path, monkeypatch):
    raw, s = world
    pipeline.run_all(s)
    size = s.warehouse.stat().st_size
    with tmpfs(tmp_path / "small", f"{size + size // 2}") as disk:
        small = s.__class__(raw=raw, warehouse=disk / "chibo.duckdb", exports=s.exports,
                            as_of=s.as_of)
        small.warehouse.write_bytes(s.warehouse.read_bytes())
        before = small.warehouse.read_bytes()
        monkeypatch.setattr(pipeline, "preflight", lambda *a, **k: None)   # the disk fills later
        with pytest.raises(ChiboError) as caught:
            pipeline.run_all(small)
        message = str(caught.value)
        assert message.startswith(f"ổ đĩa đầy: ổ {disk}")
        assert f"disk full: the disk {disk}" in message
        assert "to copy the published warehouse" in message
        assert "needed about" in message
        assert not list(disk.glob("*.next-*"))           # the partial copy was removed
        assert small.warehouse.read_bytes() == before


def test_a_stale_copy_of_a_killed_run_is_removed_before_copying(world, tmp_path):
    raw, s = world
    pipeline.run_all(s)
    size = s.warehouse.stat().st_size
    with tmpfs(tmp_path / "small", f"{3 * size + 4 * 2**20}") as disk:
        small = s.__class__(raw=raw, warehouse=disk / "chibo.duckdb", exports=s.exports,
                            as_of=s.as_of)
        small.warehouse.write_bytes(s.warehouse.read_bytes())
        (disk / "chibo.duckdb.next-20240101T000000Z-dead00").write_bytes(b"\0" * size)
        os.environ["CHIBO_MIN_FREE_MB"] = "1"
        try:
            pipeline.run_all(small)                          # room once the leftover is gone
        finally:
            del os.environ["CHIBO_MIN_FREE_MB"]
        assert not list(disk.glob("*.next-*"))


def test_a_full_disk_during_ingest_names_the_disk_not_a_rollback(world, tmp_path, monkeypatch):
    raw, s = world
    pipeline.run_all(s)
    size = s.warehouse.stat().st_size
    big = big_meetings(raw, 100_000)
    with tmpfs(tmp_path / "small", f"{2 * size + 3 * 2**20}") as disk:
        small = s.__class__(raw=raw, warehouse=disk / "chibo.duckdb", exports=s.exports,
                            as_of=s.as_of)
        small.warehouse.write_bytes(s.warehouse.read_bytes())
        before = small.warehouse.read_bytes()
        monkeypatch.setenv("CHIBO_MIN_FREE_MB", "0.5")
        with pytest.raises(ChiboError) as caught:
            pipeline.run_all(small)
        message = str(caught.value)
        assert isinstance(caught.value, StageFailed), message
        assert "\n" not in message and "rollback" not in message.lower(), message
        assert "at stage ingest" in message and f"file meetings/{big.name}" in message
        assert f"disk full: the disk {disk}" in message
        assert "the file being read:" in message
        assert small.warehouse.read_bytes() == before
        assert not list(disk.glob("*.next-*"))
