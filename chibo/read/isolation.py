"""Parse risky files in a child process, so a native crash rejects one file, not the run.

calamine (through fastexcel) is Rust: an allocation it cannot make aborts the whole process
(`memory allocation of 549755813888 bytes failed`, rc 134) and Python cannot catch it. So an
.xlsx (every file with CHIBO_READ_ISOLATION=all) is read by a reader process:

- one child (`python -m chibo.read.worker`) per `IsolatedReader` (a run's ingest holds one),
  started on the first file and reused, so a file costs a round trip, not a Python start;
- the child's address space is capped (`CHIBO_READ_MEMORY`, default half the machine): a file
  that needs more fails inside the child (MemoryError or an abort), never the machine;
- each file has a deadline (`CHIBO_READ_TIMEOUT`); past it the child is killed;
- a child that dies while reading (a signal, an abort, an exit) rejects that file with
  `reader_crashed`; the next file starts a fresh child. A child found dead before the request
  was sent (killed from outside between files) is restarted once, silently;
- the child ignores Ctrl-C (the parent decides) and exits when its parent goes away (end of
  input, or a watchdog noticing it was re-parented), so it never outlives the run.
Requests and replies are length-prefixed pickles over the child's stdin/stdout; its stderr goes
to a temporary file whose last line (e.g. Rust's allocation message) is quoted in the English
part of the rejection.
"""
from __future__ import annotations

import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from chibo.read.errors import FileRejected, Where, printable
from chibo.read.limits import Limits

_HEADER = struct.Struct("!Q")


class ReaderBug(RuntimeError):
    """The reader process hit an unexpected exception: a bug, not a file's fault."""


class _Died(Exception):
    def __init__(self, returncode: int | None, timed_out: bool, before_request: bool,
                 last_line: str) -> None:
        super().__init__(returncode)
        self.returncode = returncode
        self.timed_out = timed_out
        self.before_request = before_request
        self.last_line = last_line


def write_message(stream, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def read_exact(stream, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = stream.read(n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_message(stream) -> Any:
    head = read_exact(stream, _HEADER.size)
    if head is None:
        raise EOFError
    body = read_exact(stream, _HEADER.unpack(head)[0])
    if body is None:
        raise EOFError
    return pickle.loads(body)


class _Worker:
    def __init__(self, memory: int) -> None:
        self.memory = memory
        fd, errpath = tempfile.mkstemp(prefix="chibo-reader-", suffix=".log")
        os.close(fd)
        self.errfd = os.open(errpath, os.O_RDWR | os.O_APPEND)
        os.unlink(errpath)
        env = dict(os.environ, RUST_BACKTRACE="0", CHIBO_READ_ISOLATION="none")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chibo.read.worker", str(memory), str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errfd, env=env,
            close_fds=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def last_line(self) -> str:
        size = os.lseek(self.errfd, 0, os.SEEK_END)
        data = os.pread(self.errfd, 4096, max(0, size - 4096))
        lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
        # Rust prints its allocation failure first, then (if enabled) a backtrace
        for ln in lines:
            if "memory allocation" in ln or "panicked" in ln:
                return ln
        return lines[-1] if lines else ""

    def request(self, message: Any, timeout: float) -> Any:
        os.ftruncate(self.errfd, 0)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            write_message(self.proc.stdin, message)
        except (BrokenPipeError, OSError):
            self.proc.wait()
            raise _Died(self.proc.returncode, False, True, self.last_line()) from None
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            self.proc.kill()

        timer = threading.Timer(timeout, expire)
        timer.daemon = True
        timer.start()
        try:
            return read_message(self.proc.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            self.proc.wait()
            raise _Died(self.proc.returncode, timed_out.is_set(), False,
                        self.last_line()) from None
        finally:
            timer.cancel()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()        # end of input: the child exits
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        try:
            os.close(self.errfd)
        except OSError:
            pass


class IsolatedReader:
    """The reader process of a sequence of reads (a run's ingest, a folder checked by `chibo
    validate`): started by the first file that needs it, reused by the next ones, replaced
    after a crash, stopped on `close` (a `with` block). Owned by its caller, so nothing of it
    outlives the caller's work."""

    def __init__(self) -> None:
        self._worker: _Worker | None = None
        self._lock = threading.Lock()   # Prefect may run a stage's work in a worker thread

    def __enter__(self) -> IsolatedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the reader process (its peak memory then counts in RUSAGE_CHILDREN)."""
        with self._lock:
            if self._worker is not None:
                self._worker.close()
                self._worker = None

    def _get(self, memory: int) -> _Worker:
        if self._worker is not None and (not self._worker.alive()
                                         or self._worker.memory != memory):
            self._worker.close()
            self._worker = None
        if self._worker is None:
            self._worker = _Worker(memory)
        return self._worker

    def read(self, path: Path, kind: str, where: Where, limits: Limits) -> Any:
        """`reader.read_here` in the reader process; a crash or a timeout rejects the file."""
        message = ("read", os.fspath(path), kind, where.name, limits)
        with self._lock:
            for attempt in (1, 2):
                worker = self._get(limits.memory_ceiling)
                try:
                    status, payload = worker.request(message, limits.read_timeout)
                except _Died as died:
                    worker.close()
                    self._worker = None
                    if died.before_request and attempt == 1:
                        continue
                    raise _rejection(where, died, limits) from None
                if status == "ok":
                    return payload
                if status == "rejected":
                    raise payload
                raise ReaderBug(f"the reader process failed on {printable(where.name)}:\n"
                                f"{payload}")
        raise AssertionError("unreachable")


def _signal_name(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def _rejection(where: Where, died: _Died, limits: Limits) -> FileRejected:
    if died.timed_out:
        return where.reject(
            "reader_crashed",
            f"đọc quá {limits.read_timeout} giây nên đã bị dừng (giới hạn CHIBO_READ_TIMEOUT)",
            f"reading took more than {limits.read_timeout} s and was stopped "
            "(limit CHIBO_READ_TIMEOUT)")
    how = _signal_name(died.returncode)
    detail = f"; {printable(died.last_line, 160)}" if died.last_line else ""
    return where.reject(
        "reader_crashed",
        f"tiến trình đọc tệp bị dừng ({how}), thường vì tệp đòi quá nhiều bộ nhớ",
        f"the reader process died ({how}{detail}), usually because the file asks for too much "
        "memory")
