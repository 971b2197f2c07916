"""Errors a user can act on. The CLI prints them as one line, never a traceback.

Two kinds of failure (issue 11): a delivery's own problem is `chibo.read.FileRejected` (the
file is recorded `rejected`) or a row check (the row is quarantined); anything else that goes
wrong during a run is the run's problem: it becomes a `StageFailed` naming the stage and the
file, the run ends non-zero, nothing is published and the file is read again next run.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path


class ChiboError(Exception):
    """A run or command that cannot go on; the message says why in one line."""


class ShrinkGuardError(ChiboError):
    """A run would retract more than the allowed share of a kind's rows."""


class RunLockedError(ChiboError):
    """Another run holds the warehouse lock."""


class PreflightError(ChiboError):
    """A folder the run writes to is not writable or has too little free space."""


class PublishedWithErrors(ChiboError):
    """The warehouse was published but its reports could not all be moved in place."""


STAGE_VI = {"start": "bắt đầu", "ingest": "đọc và kiểm tra tệp", "integrate": "tích hợp",
            "model": "tính chỉ số và xếp loại", "export": "xuất báo cáo", "publish": "công bố"}


def one_line(text: object, limit: int = 400) -> str:
    """Whitespace (newlines of a library's message included) collapsed, cut at `limit`."""
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def describe(exc: BaseException) -> str:
    """`Type: message` of an exception in one line."""
    msg = one_line(exc)
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def is_disk_full(exc: BaseException | None) -> bool:
    """ENOSPC/EDQUOT as an OSError, or DuckDB's text for it (it wraps the OS error)."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc)
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return True
        exc = exc.__cause__
    return False


def nearest_existing(path: Path) -> Path:
    """`path`, or its nearest ancestor that exists (where a mkdir would write)."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding `path` (or its nearest existing ancestor)."""
    p = nearest_existing(path)
    try:
        dev = p.stat().st_dev
        while p != p.parent and p.parent.stat().st_dev == dev:
            p = p.parent
    except OSError:
        pass
    return p


def free_bytes(path: Path) -> int | None:
    try:
        st = os.statvfs(nearest_existing(path))
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def human_bytes(n: int | None) -> str:
    """A size as people read it, in binary units: 512 B, 1.5 MiB, 2 GiB; "?" when unknown."""
    if n is None:
        return "?"
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} B"


def disk_full_parts(path: Path, what_vi: str, what_en: str,
                    needed: int | None = None) -> tuple[str, str]:
    """(Vietnamese, English) of a full disk: the disk (mount point), its free space, what was
    being done and, when known, how much it needed."""
    disk, free = mount_point(path), human_bytes(free_bytes(path))
    need_vi = f", cần khoảng {human_bytes(needed)}" if needed else ""
    need_en = f", needed about {human_bytes(needed)}" if needed else ""
    holding_vi = f" (chứa {path})" if Path(path) != disk else ""
    holding_en = f" (holding {path})" if Path(path) != disk else ""
    return (f"ổ đĩa đầy: ổ {disk}{holding_vi} còn {free} trống{need_vi} để {what_vi}",
            f"disk full: the disk {disk}{holding_en} has {free} free{need_en} to {what_en}")


def disk_full_message(path: Path, what_vi: str, what_en: str, needed: int | None = None) -> str:
    """`ổ đĩa đầy … / disk full …` in one line."""
    return " / ".join(disk_full_parts(path, what_vi, what_en, needed))


class StageFailed(ChiboError):
    """Anything but a file-level rejection or a row check, raised while a stage worked: the
    run fails (nothing is published) and a file being read is not recorded, so it is read
    again by the next run. `__cause__` is the original exception (the Prefect retry looks at
    it: transient I/O errors are retried)."""

    def __init__(self, stage: str, file: str | None, cause: BaseException,
                 disk: Path | None = None, file_bytes: int | None = None) -> None:
        self.stage, self.file, self.cause = stage, file, cause
        where_vi = f"ở bước {STAGE_VI.get(stage, stage)} ({stage})"
        where_en = f"at stage {stage}"
        if file:
            where_vi += f", tệp {file}"
            where_en += f", file {file}"
        if is_disk_full(cause) and disk is not None:
            size = f" (tệp đang đọc: {human_bytes(file_bytes)})" if file_bytes else ""
            size_en = f" (the file being read: {human_bytes(file_bytes)})" if file_bytes else ""
            vi, en = disk_full_parts(disk, f"ghi kho dữ liệu đang dựng{size}",
                                     f"write the warehouse being built{size_en}")
            message = (f"thất bại {where_vi}: {vi} / failed {where_en}: {en} "
                       f"({describe(cause)})")
        else:
            tail_vi = ("; tệp chưa bị đánh dấu từ chối, lần chạy sau sẽ đọc lại"
                       if file else "")
            tail_en = "; the file is not marked rejected and is read again next run" if file else ""
            message = (f"thất bại {where_vi}{tail_vi} / failed {where_en}{tail_en}: "
                       f"{describe(cause)}")
        super().__init__(message)
