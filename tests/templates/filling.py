"""Fill a template with openpyxl the way a person does in Excel, and read its dropdowns back.

A person sees Vietnamese headers and picks enum and yes/no values from the dropdowns: the rows
given here are keyed by Vietnamese label and every value of a dropdown column must be one of
the options of that column's dropdown (read from the workbook, not from the contract).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from chibo.contract import ACTION_COLUMN, ACTION_LABEL, CONTRACT


def header_row(ws: Worksheet, kind: str) -> int:
    """The Excel row naming the first key column, among the first 10 (as the reader does)."""
    first_key = CONTRACT[kind].column(CONTRACT[kind].key[0]).label_vi
    for r in range(1, 11):
        if any(c.value == first_key for c in ws[r]):
            return r
    raise AssertionError(f"no header row in {ws.title}")


def header(ws: Worksheet, kind: str) -> dict[str, int]:
    """Header label -> column number (1-based)."""
    r = header_row(ws, kind)
    return {c.value: c.column for c in ws[r] if c.value}


def _resolve(wb: Workbook, ref: str) -> list[Any]:
    ref = ref.lstrip("=")
    if ref in wb.defined_names:
        ref = wb.defined_names[ref].attr_text
    sheet, cells = ref.rsplit("!", 1)
    rng = wb[sheet.strip("'")][cells.replace("$", "")]
    return [row[0].value for row in rng]


def dropdowns(wb: Workbook, ws: Worksheet) -> dict[int, list[Any]]:
    """Column number -> the options of its list validation."""
    out: dict[int, list[Any]] = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list":
            continue
        for rng in dv.sqref.ranges:
            out[rng.min_col] = _resolve(wb, dv.formula1)
    return out


def validations(ws: Worksheet) -> dict[int, Any]:
    """Column number -> its data validation (any type)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[rng.min_col] = dv
    return out


def _put(ws: Worksheet, row: int, col: int, value: Any, options: list[Any] | None) -> None:
    if options is not None and value not in (None, ""):
        assert value in options, f"{value!r} is not in the dropdown {options}"
    cell = ws.cell(row, col)
    cell.value = value
    if isinstance(value, dt.time):
        cell.number_format = "hh:mm"
    elif isinstance(value, dt.date):
        cell.number_format = "dd/mm/yyyy"


def label(kind: str, column: str) -> str:
    return ACTION_LABEL if column == ACTION_COLUMN else CONTRACT[kind].column(column).label_vi


def fill(path: Path, kind: str, rows: list[dict[str, Any]], out: Path | None = None,
         match: str | None = None) -> Path:
    """Write `rows` (column code -> what the person types or picks) below the header, or, with
    `match` (a column code), into the prefilled row whose `match` cell holds the row's value.
    Columns are found by their Vietnamese header. Saves to `out` (default: path)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[kind]
    cols = {code: header(ws, kind)[label(kind, code)] for code in {k for r in rows for k in r}}
    options = dropdowns(wb, ws)
    top = header_row(ws, kind) + 1
    for i, row in enumerate(rows):
        if match is None:
            r = top + i
        else:
            r = next(x for x in range(top, ws.max_row + 1)
                     if ws.cell(x, cols[match]).value == row[match])
        for code, value in row.items():
            _put(ws, r, cols[code], value, options.get(cols[code]))
    target = out or path
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def prefilled(path: Path, kind: str) -> list[dict[str, Any]]:
    """The data rows of a sheet as column code -> value (empty cells left out)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[kind]
    by_label = header(ws, kind)
    cols = {code: by_label[label(kind, code)]
            for code in (*CONTRACT[kind].column_names, ACTION_COLUMN)}
    rows = []
    for r in range(header_row(ws, kind) + 1, ws.max_row + 1):
        row = {code: ws.cell(r, c).value for code, c in cols.items()
               if ws.cell(r, c).value is not None}
        if row:
            rows.append(row)
    return rows
