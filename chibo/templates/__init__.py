"""Excel templates (mẫu nhập liệu) generated from the data contract: `chibo template`.

`write_template(kind, out)` writes the blank workbook of a kind; `write_all(folder)` one per
kind; `attendance_sheet` and `meetings_sheet` prefill a cell's sheet from the warehouse.
Every label, rule, dropdown and format comes from `chibo.contract` and the kinds' schemas
(`chibo.templates.rules`), so a template never drifts from what the reader accepts.
"""
from __future__ import annotations

import os
from pathlib import Path

from chibo.contract import KINDS
from chibo.errors import ChiboError
from chibo.templates.prefill import attendance_sheet, meetings_sheet
from chibo.templates.workbook import (
    EXAMPLE_SHEET,
    FIRST_DATA_ROW,
    GUIDE_SHEET,
    HEADER_ROW,
    LISTS_SHEET,
    Layout,
    write_template,
)

__all__ = ["EXAMPLE_SHEET", "FIRST_DATA_ROW", "GUIDE_SHEET", "HEADER_ROW", "LISTS_SHEET",
           "Layout", "attendance_sheet", "meetings_sheet", "make_templates", "write_all",
           "write_template"]


def write_all(folder: Path) -> list[Path]:
    """One blank template per kind: `<folder>/<kind>.xlsx`."""
    return [write_template(kind, Path(folder) / f"{kind}.xlsx") for kind in KINDS]


def _default_warehouse() -> Path:
    from chibo.settings import DEFAULTS
    return Path(os.environ.get("CHIBO_WAREHOUSE") or DEFAULTS["warehouse"]).absolute()


def make_templates(kind: str | None, out: str, *, all_kinds: bool = False,
                   cell: str | None = None, meeting: str | None = None,
                   year: int | None = None, warehouse: str | None = None) -> list[Path]:
    """What `chibo template` does; a misuse raises ChiboError with one line saying why."""
    if all_kinds:
        if kind or cell or meeting or year or warehouse:
            raise ChiboError("--all writes every blank template: give no kind, --cell, "
                             "--meeting, --year or --warehouse with it")
        return write_all(Path(out))
    if kind is None:
        raise ChiboError(f"name a kind ({', '.join(KINDS)}) or pass --all")
    target = Path(out)
    if target.suffix.lower() != ".xlsx":
        raise ChiboError(f"--out must name an .xlsx file, got {out}")
    if meeting and kind != "attendance":
        raise ChiboError("--meeting is for the attendance template only")
    if year is not None and kind != "meetings":
        raise ChiboError("--year is for the meetings template only")
    if cell is None:
        if meeting or year is not None:
            raise ChiboError("--meeting and --year need --cell")
        if warehouse:
            raise ChiboError("--warehouse is for a prefilled sheet: pass --cell too")
        return [write_template(kind, target)]
    if kind == "attendance":
        return [attendance_sheet(target, Path(warehouse) if warehouse else _default_warehouse(),
                                 cell, meeting)]
    if kind == "meetings":
        if year is None:
            raise ChiboError("a prefilled meetings sheet needs --year")
        if not 2000 <= year <= 2100:
            raise ChiboError(f"--year must be between 2000 and 2100, got {year}")
        wh: Path | None = Path(warehouse) if warehouse else _default_warehouse()
        if warehouse is None and wh is not None and not wh.is_file():
            wh = None   # no warehouse yet: the sheet names the cell by its id only
        return [meetings_sheet(target, cell, year, wh)]
    raise ChiboError("--cell prefills the attendance and meetings templates only")
