"""The reader process: `python -m chibo.read.worker MEMORY_BYTES PARENT_PID`.

Reads requests from stdin and answers on (a duplicate of) stdout; anything a library prints
goes to stderr. See chibo.read.isolation.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback


def _limit_memory(limit: int) -> None:
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):   # not available here: the parent's checks stay
        pass


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(1.0)


def main(argv: list[str]) -> int:
    memory, parent = int(argv[1]), int(argv[2])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory > 0:
        _limit_memory(memory)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    # the protocol owns the real stdout; stray prints go to stderr
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer

    from pathlib import Path

    import fastexcel  # noqa: F401  (imported once, before the first request)

    from chibo.contract import CONTRACT
    from chibo.read.errors import FileRejected, Where
    from chibo.read.isolation import read_message, write_message
    from chibo.read.reader import read_here

    while True:
        try:
            request = read_message(inp)
        except EOFError:
            return 0
        _, path, kind, name, limits = request
        reply: tuple[str, object]
        try:
            result = read_here(Path(path), CONTRACT[kind], Where(name), limits)
            reply = ("ok", result)
        except FileRejected as exc:
            reply = ("rejected", exc)
        except Exception:
            reply = ("bug", traceback.format_exc())
        write_message(out, reply)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
