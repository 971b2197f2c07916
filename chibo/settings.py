"""Where a run reads and writes, from options, then CHIBO_* variables, then defaults."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from chibo.errors import ChiboError

PROVINCE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULTS = {
    "raw": "raw",
    "warehouse": "warehouse/chibo.duckdb",
    "exports": "warehouse/exports",
}


#: free space a run needs in each folder it writes (the warehouse folder also needs room for
#: the copy of the published warehouse): CHIBO_MIN_FREE_MB, default 100 MB
DEFAULT_MIN_FREE_MB = 100


def min_free_bytes() -> int:
    """The free space preflight asks of every folder a run writes to, in bytes."""
    value = os.environ.get("CHIBO_MIN_FREE_MB", "").strip()
    if not value:
        return DEFAULT_MIN_FREE_MB * 2**20
    try:
        mb = float(value)
    except ValueError:
        raise ChiboError(
            f"CHIBO_MIN_FREE_MB must be a number of megabytes, got {value!r}") from None
    return max(0, int(mb * 2**20))


def kill_point(name: str) -> None:
    """Test hook: with CHIBO_TEST_KILL_AT=<name> the process SIGKILLs itself at the named point
    (ingest, publish:before-warehouse, publish:after-warehouse, publish:mid-reports,
    publish:before-marker), which is how tests/robustness kills a run at an exact instant."""
    if os.environ.get("CHIBO_TEST_KILL_AT") == name:
        import signal
        os.kill(os.getpid(), signal.SIGKILL)


def today_in_vietnam() -> dt.date:
    return dt.datetime.now(PROVINCE_TZ).date()


def parse_as_of(value: str | dt.date | None) -> dt.date:
    if value is None or value == "":
        return today_in_vietnam()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ChiboError(f"--as-of must be a date YYYY-MM-DD, got {value!r}") from None


def _pick(option, env_name: str, default):
    if option not in (None, ""):
        return option
    env = os.environ.get(env_name)
    if env not in (None, ""):
        return env
    return default


@dataclass(frozen=True)
class Settings:
    raw: Path
    warehouse: Path
    exports: Path
    as_of: dt.date
    rulebooks: Path | None = None
    allow_shrink: bool = False

    @classmethod
    def from_sources(cls, raw=None, warehouse=None, exports=None, as_of=None,
                     rulebooks=None, allow_shrink: bool = False) -> "Settings":
        """An option beats its CHIBO_* variable, which beats the default."""
        rb = _pick(rulebooks, "CHIBO_RULEBOOKS", None)
        return cls(
            raw=Path(_pick(raw, "CHIBO_RAW", DEFAULTS["raw"])).absolute(),
            warehouse=Path(_pick(warehouse, "CHIBO_WAREHOUSE", DEFAULTS["warehouse"])).absolute(),
            exports=Path(_pick(exports, "CHIBO_EXPORTS", DEFAULTS["exports"])).absolute(),
            as_of=parse_as_of(_pick(as_of, "CHIBO_AS_OF", None)),
            rulebooks=Path(rb).absolute() if rb else None,
            allow_shrink=bool(allow_shrink),
        )
