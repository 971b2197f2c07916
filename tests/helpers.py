"""Shared test helpers: real raw files in temp dirs, real pipeline stages, real DuckDB."""
from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb

from chibo import pipeline
from chibo.contract import CONTRACT, KINDS
from chibo.settings import Settings

# a copy of ../shared/examples (the worked example), so the golden test needs nothing outside
FIXTURES = Path(__file__).resolve().parent / "model" / "fixtures"
EXAMPLE = FIXTURES / "small-province"
COMPARE = FIXTURES / "compare.py"
EXAMPLE_AS_OF = dt.date(2026, 3, 15)


def write_csv(raw: Path, kind: str, name: str, rows: list[dict], columns=None) -> Path:
    """A plain UTF-8 CSV with code-name headers (the contract's plain form)."""
    cols = columns or [c for c in [*CONTRACT[kind].column_names, "action"]
                       if any(c in r for r in rows)]
    path = raw / kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})
    return path


def settings(tmp: Path, raw: Path, as_of=dt.date(2025, 6, 30), allow_shrink=False,
             warehouse: Path | None = None) -> Settings:
    return Settings(raw=raw, warehouse=warehouse or tmp / "wh" / "chibo.duckdb",
                    exports=tmp / "exports", as_of=as_of, allow_shrink=allow_shrink)


def integrate_only(s: Settings, rebuild: bool = False) -> pipeline.RunContext:
    """ingest → integrate → publish: the integration contract without model or exports."""
    ctx = pipeline.start_run(s, rebuild=rebuild)
    try:
        pipeline.ingest(ctx)
        pipeline.integrate(ctx)
        pipeline.publish(ctx)
    except BaseException as exc:
        pipeline.abort_run(ctx, exc)
        raise
    return ctx


PROVENANCE = {"source_file", "source_row", "run_id", "first_run_id", "file"}


def table_rows(db: Path, table: str, drop=PROVENANCE) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main' "
            "ORDER BY column_index", [table]).fetchall() if r[0] not in drop]
        if not cols:
            return []
        sel = ", ".join(cols)
        return sorted(con.execute(f"SELECT {sel} FROM {table}").fetchall(), key=repr)
    finally:
        con.close()


def integrated_snapshot(db: Path, with_model: bool = False) -> dict[str, list[tuple]]:
    tables = [*KINDS, "quarantine", "pending", "flags"]
    if with_model:
        tables += ["cell_year_metrics", "org_year_classification"]
    return {t: table_rows(db, t) for t in tables}


def copy_example_raw(dest: Path) -> Path:
    shutil.copytree(EXAMPLE / "raw", dest)
    return dest
