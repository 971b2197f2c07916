"""Find a file's header row and map its cells to contract columns.

The header is the first row, among the first 10, that names every key column a row must have
(`Kind.required_key`), by code name or Vietnamese label, compared with `text.header_key` (case,
Unicode form, tone placement, spaces and line breaks ignored). Cells it does not recognise are
named in the warnings and, when the file is rejected for a missing column, in the rejection,
with the nearest label (difflib).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chibo.contract import ACTION_COLUMN, ACTION_LABEL, ROW_CONDITIONAL, Kind
from chibo.read.errors import FileRejected, Where, fmt_en, fmt_vi
from chibo.read.limits import Limits
from chibo.read.text import column_letter, header_key, nearest, printable

HEADER_SEARCH_ROWS = 10
MAX_NAMED = 10          # unknown header cells named in one message


@dataclass
class Header:
    index: int                                   # among the rows searched (0 = first row)
    mapping: dict[int, str]                      # cell position -> code name
    unknown: list[tuple[int, str]] = field(default_factory=list)     # (position, text)
    repeated: list[tuple[int, str]] = field(default_factory=list)    # (position, code name)
    width: int = 0                               # cells in the header row


def header_names(kind: Kind) -> dict[str, str]:
    """Normalised header text (code name or Vietnamese label) -> code name."""
    names: dict[str, str] = {}
    for col in kind.columns:
        names[header_key(col.name)] = col.name
        names[header_key(col.label_vi)] = col.name
    names[header_key(ACTION_COLUMN)] = ACTION_COLUMN
    names[header_key(ACTION_LABEL)] = ACTION_COLUMN
    return names


def label_of(kind: Kind, code: str) -> str:
    return ACTION_LABEL if code == ACTION_COLUMN else kind.column(code).label_vi


def _map_row(row: Sequence[str | None], names: dict[str, str], index: int) -> Header:
    header = Header(index=index, mapping={}, width=len(row))
    for pos, cell in enumerate(row):
        if cell is None or not header_key(cell):
            continue
        code = names.get(header_key(cell))
        if code is None:
            header.unknown.append((pos, cell.strip()))
        elif code in header.mapping.values():
            header.repeated.append((pos, code))
        else:
            header.mapping[pos] = code
    return header


def find_header(rows: Sequence[Sequence[str | None]], kind: Kind) -> Header | None:
    """The first row among the first 10 naming every required key column."""
    names = header_names(kind)
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        header = _map_row(row, names, i)
        if all(k in header.mapping.values() for k in kind.required_key):
            return header
    return None


def best_guess(rows: Sequence[Sequence[str | None]], kind: Kind) -> Header | None:
    """When no header is found: the row that looks most like one (most recognised cells, else
    most filled cells), so the rejection can name its cells."""
    names = header_names(kind)
    candidates = [_map_row(row, names, i) for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])]
    candidates = [h for h in candidates if h.mapping or len(h.unknown) >= 2]
    if not candidates:
        return None
    return max(candidates, key=lambda h: (len(h.mapping), len(h.unknown), -h.index))


def required_in_header(kind: Kind, has_action: bool) -> tuple[str, ...]:
    """Columns whose absence rejects the file; a file with `action` needs only the key."""
    if has_action:
        return kind.required_key
    conditional = ROW_CONDITIONAL.get(kind.name, ())
    return tuple(c for c in kind.header_required if c not in conditional)


def missing_columns(header: Header, kind: Kind) -> list[str]:
    present = set(header.mapping.values())
    return [c for c in required_in_header(kind, ACTION_COLUMN in present) if c not in present]


def _suggestion(text: str, kind: Kind, exclude: set[str]) -> str | None:
    """The label (or code name) nearest to an unrecognised header cell, among columns the file
    does not already have."""
    shown: dict[str, str] = {}
    for col in kind.columns:
        if col.name not in exclude:
            shown[col.label_vi] = col.name
            shown[col.name] = col.name
    if ACTION_COLUMN not in exclude:
        shown[ACTION_LABEL] = ACTION_COLUMN
        shown[ACTION_COLUMN] = ACTION_COLUMN
    best = nearest(text, shown)
    return shown[best] if best is not None else None


def unknown_notes(header: Header, kind: Kind) -> tuple[str, str]:
    """`không nhận ra cột «…»; có phải là «…»?` for each unrecognised cell (Vietnamese, English)."""
    present = set(header.mapping.values())
    vi: list[str] = []
    en: list[str] = []
    for _pos, text in header.unknown[:MAX_NAMED]:
        code = _suggestion(text, kind, present)
        shown = printable(text, 60)
        if code is None:
            vi.append(f"không nhận ra cột «{shown}»")
            en.append(f"unrecognised column '{shown}'")
        else:
            vi.append(f"không nhận ra cột «{shown}»; có phải là «{label_of(kind, code)}»?")
            en.append(f"unrecognised column '{shown}'; did you mean '{code}' "
                      f"({label_of(kind, code)})?")
    more = len(header.unknown) - MAX_NAMED
    if more > 0:
        vi.append(f"và {more} cột khác")
        en.append(f"and {more} more")
    return "; ".join(vi), "; ".join(en)


def header_warnings(header: Header, kind: Kind) -> list[tuple[str, str]]:
    """Warnings of an accepted header: unknown columns (ignored) and repeated columns."""
    present = set(header.mapping.values())
    out: list[tuple[str, str]] = []
    for pos, text in header.unknown:
        shown = printable(text, 60)
        code = _suggestion(text, kind, present)
        hint_vi = f" (có phải là «{label_of(kind, code)}»?)" if code else ""
        hint_en = f" (did you mean '{code}' ({label_of(kind, code)})?)" if code else ""
        letter = column_letter(pos)
        out.append((f"Cột {letter} «{shown}» không có trong quy định, bỏ qua{hint_vi}",
                    f"Column {letter} '{shown}' is not in the contract, ignored{hint_en}"))
    for pos, code in header.repeated:
        first = next(p for p, c in header.mapping.items() if c == code)
        out.append((f"Cột {column_letter(pos)} «{label_of(kind, code)}» lặp lại cột "
                    f"{column_letter(first)}: chỉ đọc cột {column_letter(first)}",
                    f"Column {column_letter(pos)} repeats '{code}' of column "
                    f"{column_letter(first)}: only column {column_letter(first)} is read"))
    return out


def no_header(where: Where, kind: Kind, rows: Sequence[Sequence[str | None]]) -> FileRejected:
    """No row names the key columns: say which, and name the cells of the likeliest row."""
    keys_vi = ", ".join(f"{kind.column(k).label_vi} ({k})" for k in kind.required_key)
    keys_en = ", ".join(kind.required_key)
    guess = best_guess(rows, kind)
    if guess is not None and guess.unknown:
        vi, en = unknown_notes(guess, kind)
        return where.reject("no_header", f"{keys_vi}; dòng {guess.index + 1}: {vi}",
                            f"{keys_en}; row {guess.index + 1}: {en}")
    return where.reject("no_header", keys_vi, keys_en)


def check_header(header: Header, kind: Kind, where: Where, limits: Limits) -> None:
    """Reject before the body is read: too many columns, or a required column missing (every
    one named, with the header cells that were not recognised)."""
    width = max([header.width, *[p + 1 for p in header.mapping]])
    if width > limits.max_columns:
        raise where.reject(
            "too_large",
            f"dòng tiêu đề có {fmt_vi(width)} cột, nhiều hơn giới hạn "
            f"{fmt_vi(limits.max_columns)} cột (CHIBO_MAX_COLUMNS)",
            f"the header has {fmt_en(width)} columns, more than the limit of "
            f"{fmt_en(limits.max_columns)} (CHIBO_MAX_COLUMNS)")
    missing = missing_columns(header, kind)
    if not missing:
        return
    detail_vi = ", ".join(f"{kind.column(c).label_vi} ({c})" for c in missing)
    detail_en = ", ".join(missing)
    if header.unknown:
        vi, en = unknown_notes(header, kind)
        detail_vi += f". Trong dòng tiêu đề (dòng {header.index + 1}): {vi}"
        detail_en += f". In the header (row {header.index + 1}): {en}"
    if not detail_vi.endswith("?"):
        detail_vi, detail_en = detail_vi + ".", detail_en + "."
    raise where.reject("missing_columns", detail_vi, detail_en)
