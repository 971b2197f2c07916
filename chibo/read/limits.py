"""How much one delivered file may hold, and how it is read: settings with documented defaults.

Every limit is checked before the file is parsed (sizes declared in the file and sizes found by
a streaming pass), so a hostile or broken file is refused with one line instead of exhausting
the machine. The defaults are above any real delivery (a province's year of attendance in one
CSV is about 6 M rows, 300 MB; an Excel sheet has at most 1 048 576 rows) and are listed, with
their variables, in docs/reliability.md ("Bounded reading").

Values are whole numbers, optionally with a suffix: k, M, G (×1000) or Ki, Mi, Gi (×1024);
`CHIBO_READ_TIMEOUT` is in seconds.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields

from chibo.errors import ChiboError

ISOLATION_MODES = ("xlsx", "all", "none")
_SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "ki": 2**10, "mi": 2**20, "gi": 2**30}


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):   # not Linux: assume a small server
        return 8 * 2**30


@dataclass(frozen=True)
class Limits:
    max_rows: int = 10_000_000                # CHIBO_MAX_ROWS: rows of a sheet, lines of a CSV
    max_columns: int = 200                    # CHIBO_MAX_COLUMNS: columns of the header / sheet
    max_cells: int = 50_000_000               # CHIBO_MAX_CELLS: rows × columns of a sheet's
    #                                           extent (calamine allocates them all: 32 B each)
    max_cell_chars: int = 65_536              # CHIBO_MAX_CELL_CHARS: characters in one cell
    max_file_bytes: int = 2 * 2**30           # CHIBO_MAX_FILE_BYTES: decompressed bytes of a file
    read_memory: int = 0                      # CHIBO_READ_MEMORY: address space of the reader
    #                                           process (0 = half the machine's memory)
    read_timeout: int = 900                   # CHIBO_READ_TIMEOUT: seconds for one isolated read
    isolation: str = "xlsx"                   # CHIBO_READ_ISOLATION: which files are parsed in
    #                                           a child process: xlsx | all | none

    @property
    def max_line_bytes(self) -> int:
        """The longest CSV line a file within the other limits can have (4 bytes a character)."""
        return self.max_columns * self.max_cell_chars * 4

    @property
    def memory_ceiling(self) -> int:
        return self.read_memory or _physical_memory() // 2

    def isolated(self, name: str) -> bool:
        if self.isolation == "none":
            return False
        return self.isolation == "all" or name.lower().endswith(".xlsx")


ENV = {
    "max_rows": "CHIBO_MAX_ROWS", "max_columns": "CHIBO_MAX_COLUMNS",
    "max_cells": "CHIBO_MAX_CELLS",
    "max_cell_chars": "CHIBO_MAX_CELL_CHARS", "max_file_bytes": "CHIBO_MAX_FILE_BYTES",
    "read_memory": "CHIBO_READ_MEMORY", "read_timeout": "CHIBO_READ_TIMEOUT",
    "isolation": "CHIBO_READ_ISOLATION",
}


def parse_amount(text: str, variable: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([kKmMgG]i?)?\s*[bB]?\s*", text)
    if not m:
        raise ChiboError(f"{variable} must be a whole number, optionally with k, M, G, Ki, Mi "
                         f"or Gi (e.g. 1M, 2Gi); got {text!r}")
    return int(m.group(1)) * _SUFFIX[(m.group(2) or "").lower()]


def limits_from_env(environ: dict[str, str] | None = None) -> Limits:
    """The limits of this process: CHIBO_* variables over the defaults. A bad value stops the
    run (it is the operator's setting, not a file's fault)."""
    env = os.environ if environ is None else environ
    values: dict[str, int | str] = {}
    for f in fields(Limits):
        raw = env.get(ENV[f.name], "")
        if raw.strip() == "":
            continue
        if f.name == "isolation":
            mode = raw.strip().lower()
            if mode not in ISOLATION_MODES:
                raise ChiboError(f"CHIBO_READ_ISOLATION must be one of {', '.join(ISOLATION_MODES)}"
                                 f"; got {raw!r}")
            values[f.name] = mode
            continue
        amount = parse_amount(raw, ENV[f.name])
        if amount <= 0 and f.name != "read_memory":
            raise ChiboError(f"{ENV[f.name]} must be positive; got {raw!r}")
        values[f.name] = amount
    return Limits(**values)  # type: ignore[arg-type]
