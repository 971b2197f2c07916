"""Prefilled sheets for a cell secretary, from the published warehouse (opened read-only).

- attendance: one row per active member of the cell (members.status `active` or `exempt`,
  members.cell_id = the cell), with the member's id, name (shown, not read) and the meeting id
  if given; exempt members are prefilled `Miễn sinh hoạt`, the others' status is left to pick.
- meetings: one row per month of the year with the cell id and the meeting type: `Thường kỳ`,
  and in the last month of each quarter `Thường kỳ kết hợp chuyên đề` (a quarter needs a
  thematic meeting, rules.md); the secretary fills what happened and may change the type.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from chibo.contract import CELL_LEVELS, CONTRACT, MEMBER_STATUSES, ORG_LEVELS
from chibo.errors import ChiboError
from chibo.templates.workbook import Display, Layout, write_template

ACTIVE_STATUSES = ("active", "exempt")
QUARTER_THEMATIC_MONTHS = (3, 6, 9, 12)


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    if not Path(path).is_file():
        raise ChiboError(f"no warehouse at {path}: run `chibo run` first, or pass --warehouse")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise ChiboError(f"cannot open the warehouse {path} read-only: "
                         f"{str(exc).splitlines()[0]}") from None


def cell_record(con: duckdb.DuckDBPyConnection, cell_id: str) -> tuple[str, str]:
    """(name, level) of the cell's latest version; a clear error if it is not a known cell."""
    row = con.execute(
        "SELECT name, level FROM org_units WHERE org_id = ? "
        "ORDER BY valid_from DESC NULLS LAST LIMIT 1", [cell_id]).fetchall()
    if not row:
        raise ChiboError(f"không có tổ chức {cell_id} trong kho dữ liệu / "
                         f"no organisation {cell_id} in the warehouse")
    name, level = row[0]
    if level not in CELL_LEVELS:
        raise ChiboError(
            f"{cell_id} ({name}) là {ORG_LEVELS[level][0]}, không phải chi bộ / "
            f"{cell_id} is a {level}, not a cell ({', '.join(CELL_LEVELS)})")
    return name, level


def active_members(con: duckdb.DuckDBPyConnection, cell_id: str) -> list[tuple[str, str, str]]:
    """(member_id, full_name, status) of the cell's active and exempt members, by member id."""
    marks = ", ".join("?" for _ in ACTIVE_STATUSES)
    return [(str(r[0]), str(r[1]), str(r[2])) for r in con.execute(
        f"SELECT member_id, full_name, status FROM members WHERE cell_id = ? "
        f"AND status IN ({marks}) ORDER BY member_id", [cell_id, *ACTIVE_STATUSES]).fetchall()]


def attendance_sheet(out: Path, warehouse: Path, cell_id: str,
                     meeting_id: str | None = None) -> Path:
    con = open_warehouse(warehouse)
    try:
        name, _ = cell_record(con, cell_id)
        members = active_members(con, cell_id)
    finally:
        con.close()
    if not members:
        raise ChiboError(f"chi bộ {cell_id} ({name}) không có đảng viên đang sinh hoạt trong kho "
                         f"dữ liệu / the cell {cell_id} has no active member in the warehouse")
    exempt = MEMBER_STATUSES["exempt"][0]
    rows: list[dict[str, Any]] = [
        dict(meeting_id=meeting_id, member_id=mid,
             status="exempt" if status == "exempt" else None)
        for mid, _, status in members]
    meeting = f"Buổi sinh hoạt {meeting_id}" if meeting_id else "Ghi Mã buổi sinh hoạt ở cột đầu"
    context = (f"Chi bộ: {name} ({cell_id}) · {meeting} · {len(members)} đảng viên đang sinh "
               f"hoạt; người {exempt.lower()} đã ghi sẵn")
    layout = Layout(rows=rows, context=context,
                    display=Display("member_id", "Họ và tên", [n for _, n, _ in members]))
    return write_template("attendance", out, layout)


def meeting_rows(cell_id: str, year: int) -> tuple[list[dict[str, Any]], list[str | None]]:
    rows: list[dict[str, Any]] = []
    notes: list[str | None] = []
    for month in range(1, 13):
        kind = "combined" if month in QUARTER_THEMATIC_MONTHS else "regular"
        rows.append(dict(cell_id=cell_id, meeting_type=kind))
        notes.append(f"Tháng {month}/{year}. Gợi ý mã buổi sinh hoạt: {cell_id}.<năm tháng ngày "
                     f"họp>, ví dụ {cell_id}.{year}{month:02d}10")
    return rows, notes


def meetings_sheet(out: Path, cell_id: str, year: int, warehouse: Path | None) -> Path:
    """`warehouse` (if given) checks the cell and names it in the title block."""
    name = None
    if warehouse is not None:
        con = open_warehouse(warehouse)
        try:
            name, _ = cell_record(con, cell_id)
        finally:
            con.close()
    rows, notes = meeting_rows(cell_id, year)
    cell = f"{name} ({cell_id})" if name else cell_id
    combined = CONTRACT["meetings"].column("meeting_type").enum["combined"][0]
    context = (f"Chi bộ: {cell} · năm {year} · mỗi tháng một dòng; tháng cuối quý ghi sẵn "
               f"«{combined}»")
    return write_template("meetings", out, Layout(rows=rows, context=context, row_notes=notes,
                                                  title_suffix=f" NĂM {year}"))
