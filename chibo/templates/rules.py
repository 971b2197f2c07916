"""What a template says about each column, derived from the data contract and its checks.

Nothing here restates a rule by hand: the column list, labels, types, enums, lengths and ranges
come from `chibo.contract`; the checks a column gets come from the kind's pandera schema
(`schemas/<kind>.py`); the Vietnamese wording of a check is the one the error list uses
(`chibo.messages`); which years need a column comes from the rulebooks. What is left here is
the few sentences that tell a person what one row of each kind is.
"""
from __future__ import annotations

import datetime as dt
import importlib
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from chibo.contract import (
    ACTION_COLUMN,
    ACTION_LABEL,
    ACTIONS,
    CONTRACT,
    ORG_LEVELS,
    PARENT_LEVELS,
    REFERENCES,
    ROW_CONDITIONAL,
    Column,
    Kind,
)
from chibo.messages import CHECK_MESSAGES, RANGE_TEXT
from schemas._common import PARSE_CHECK, SchemaContext, YearRules

# What one row is, in the words of the person who fills the sheet.
ROW_MEANING: dict[str, str] = {
    "org_units": "Mỗi dòng là một tổ chức đảng. Khi tổ chức đổi tên, đổi cấp hoặc đổi tổ chức "
                 "cấp trên, thêm một dòng mới có ghi «Hiệu lực từ».",
    "members": "Mỗi dòng là một đảng viên.",
    "meetings": "Mỗi dòng là một buổi sinh hoạt chi bộ (phần đầu biên bản).",
    "attendance": "Mỗi dòng là một đảng viên trong một buổi sinh hoạt (sổ điểm danh).",
    "assessments": "Mỗi dòng là kết quả đánh giá một tổ chức đảng trong một năm.",
    "member_ratings": "Mỗi dòng là kết quả xếp loại một đảng viên trong một năm.",
    "official_ratings": "Mỗi dòng là mức xếp loại chính thức mà cấp có thẩm quyền đã quyết định "
                        "cho một tổ chức đảng trong một năm.",
}

TYPE_VI: dict[str, str] = {
    "id": "Mã", "text": "Chữ", "enum": "Chọn trong danh sách", "date": "Ngày", "time": "Giờ",
    "int": "Số nguyên", "decimal": "Số (thập phân)", "bool": "Có / Không",
}
YES, NO = "Có", "Không"
BOOL_LABELS: tuple[str, str] = (YES, NO)

# assessments: which rulebook question makes a conditional column required (schemas/assessments)
RULEBOOK_REQUIRED: dict[tuple[str, str], str] = {
    ("assessments", "score"): "uses_score",
    ("assessments", "targets_late"): "rates_timeliness",
    ("assessments", "leaders_disciplined"): "rates_timeliness",
}
# the checks every column gets from its contract entry (schemas._common.standard_checks)
STANDARD_CHECKS = {"required", "too_long", "out_of_range", "date_after_as_of",
                   "duplicate_key_in_file", *PARSE_CHECK.values()}
LEVEL_VI = {code: labels[0] for code, labels in ORG_LEVELS.items()}


@dataclass(frozen=True)
class ColumnGuide:
    """One column of a template as a person reads it."""
    name: str                  # code name (ACTION_COLUMN for the action column)
    label: str                 # Vietnamese label: the header cell
    type: str                  # contract type (enum for the action column)
    requirement: str           # "Bắt buộc", "Không bắt buộc", "Bắt buộc khi …"
    required: bool             # shown as a required (orange) column
    rules: tuple[str, ...]     # sentences, most important first
    choices: tuple[str, ...]   # dropdown labels (enum and bool columns)
    codes: tuple[str, ...] = ()  # the enum code of each choice (enum columns)

    @property
    def type_vi(self) -> str:
        return TYPE_VI[self.type]

    def input_message(self, limit: int = 255) -> str:
        """Excel's input message: requirement, then as many whole rules as fit."""
        text = self.requirement + "."
        for rule in self.rules:
            candidate = f"{text} {rule}"
            if len(candidate) > limit:
                break
            text = candidate
        return text[:limit]


def _parse_rule(col: Column) -> str:
    """The parenthetical of the type's error message: `(dùng dạng DD/MM/YYYY …)`."""
    vi = CHECK_MESSAGES[PARSE_CHECK[col.type]][0]
    m = re.search(r"\((.*)\)\s*$", vi)
    text = m.group(1) if m else vi
    return text[0].upper() + text[1:]


def _years_where(rules: YearRules, question: str) -> int | None:
    """The first year the rulebooks answer `question` with yes (None: never)."""
    for year in range(2000, 2101):
        if rules.covers(year) and getattr(rules, question)(year):
            return year
    return None


@cache
def _schema_checks(kind: str) -> dict[str, tuple[str, ...]]:
    """column -> the check codes of the kind's schema (as-of and rulebooks do not change them)."""
    from chibo.rulebooks import load_rulebooks

    module = importlib.import_module(f"schemas.{kind}")
    schema = module.build_schema(SchemaContext(as_of=dt.date(2100, 1, 1), rules=load_rulebooks()))
    return {name: tuple(str(c.name) for c in col.checks) for name, col in schema.columns.items()}


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " hoặc " + items[-1]


def _range_rule(kind: Kind, col: Column) -> str | None:
    if col.type == "date" and (kind.name, col.name) in RANGE_TEXT:
        vi = RANGE_TEXT[(kind.name, col.name)][0]
        return vi[0].upper() + vi[1:]
    if (kind.name, col.name) in RANGE_TEXT:
        vi = RANGE_TEXT[(kind.name, col.name)][0].format(year="năm chốt số liệu")
    elif col.name == "year":
        vi = f"từ {col.min_value:g} đến năm chốt số liệu" if col.min_value is not None else ""
    elif col.min_value is not None and col.max_value is not None:
        vi = f"từ {col.min_value:g} đến {col.max_value:g}"
    elif col.min_value is not None:
        vi = f"từ {col.min_value:g} trở lên"
    elif col.max_value is not None:
        vi = f"không quá {col.max_value:g}"
    else:
        return None
    return f"Giá trị {vi}" if vi else None


def _reference_rule(kind: Kind, col: Column) -> str | None:
    for column, target, levels in REFERENCES.get(kind.name, ()):
        if column != col.name or column == "parent_id":
            continue
        where = f"Phải là mã đã có trong danh sách «{CONTRACT[target].label_vi}»"
        if levels:
            where += " (" + _or([LEVEL_VI[lv] for lv in levels]) + ")"
        return where + "; nếu chưa có, dòng được giữ lại chờ đến khi có"
    return None


def _parent_rules() -> tuple[str, ...]:
    roots = [LEVEL_VI[lv] for lv, parents in PARENT_LEVELS.items() if not parents]
    allowed = "; ".join(
        f"{LEVEL_VI[lv]} → " + ", ".join(LEVEL_VI[p] for p in parents)
        for lv, parents in PARENT_LEVELS.items() if parents)
    return (f"Để trống chỉ khi Cấp là {_or(roots)}",
            f"Cấp của tổ chức cấp trên: {allowed}")


def _requirement(kind: Kind, col: Column, rules: YearRules) -> tuple[str, bool, tuple[str, ...]]:
    """(requirement text, shown as required, extra rules) of a column."""
    if col.name in ROW_CONDITIONAL.get(kind.name, ()):
        if col.name == "parent_id":
            return "Bắt buộc, trừ tổ chức cấp cao nhất", True, _parent_rules()
        question = RULEBOOK_REQUIRED.get((kind.name, col.name))
        if question is not None:
            year = _years_where(rules, question)
            if year is None:
                return "Không bắt buộc", False, ()
            for_year = getattr(rules, "for_year", None)
            title = for_year(year).title_vi.split(" về ")[0] if for_year else ""
            why = f", theo {title}" if title else ""
            return f"Bắt buộc từ năm {year}", False, (
                f"Bắt buộc với các năm từ {year}{why}; các năm trước có thể để trống",)
        # a column required for some rows: the rule is the check's own message
        conditional = [c for c in _schema_checks(kind.name)[col.name] if c not in STANDARD_CHECKS]
        texts = tuple(CHECK_MESSAGES[c][0] for c in conditional)
        return "Bắt buộc trong một số trường hợp", False, texts
    if col.optional_key:
        return "Không bắt buộc", False, (
            "Để trống nếu dòng có hiệu lực từ khi tổ chức được thành lập; ghi ngày khi đây là "
            "một thay đổi (đổi tên, đổi cấp, đổi tổ chức cấp trên)",)
    if col.is_required:
        return "Bắt buộc", True, ()
    return "Không bắt buộc", False, ()


def column_guide(kind_name: str, col: Column, rules: YearRules) -> ColumnGuide:
    kind = CONTRACT[kind_name]
    requirement, required, conditional = _requirement(kind, col, rules)
    found: list[str] = []
    choices: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    if col.type == "enum":
        codes = tuple(col.enum)
        choices = tuple(labels[0] for labels in col.enum.values())
        found.append("Chọn một trong: " + "; ".join(choices))
    elif col.type == "bool":
        choices = BOOL_LABELS
        found.append(f"Chọn {YES} hoặc {NO}")
    elif col.type == "text":
        found.append("Ghi chữ")
    else:
        found.append(_parse_rule(col))
    found.extend(conditional)
    if col.key:
        others = [kind.column(k).label_vi for k in kind.key if k != col.name]
        if not others:
            found.append("Không được trùng với dòng khác trong cùng tệp")
        elif col.name == kind.key[0]:
            together = " + ".join(f"«{kind.column(k).label_vi}»" for k in kind.key)
            found.append(f"Mỗi cặp {together} chỉ một dòng trong tệp")
    checks = _schema_checks(kind_name).get(col.name, ())
    if col.max_length is not None:
        found.append(f"Tối đa {col.max_length} ký tự")
    if "out_of_range" in checks:
        rng = _range_rule(kind, col)
        if rng:
            found.append(rng)
    for check in checks:
        if check not in STANDARD_CHECKS and CHECK_MESSAGES[check][0] not in found:
            found.append(CHECK_MESSAGES[check][0])
    if "date_after_as_of" in checks:
        found.append("Không được sau ngày chốt số liệu")
    ref = _reference_rule(kind, col)
    if ref:
        found.append(ref)
    if kind_name == "attendance" and col.name == "spoke":
        found.append(f"Để trống là {NO}")
    return ColumnGuide(col.name, col.label_vi, col.type, requirement, required,
                       tuple(found), choices, codes)


def action_guide(kind_name: str) -> ColumnGuide:
    """The optional `Thao tác` column every kind accepts."""
    kind = CONTRACT[kind_name]
    keys = ", ".join(f"«{kind.column(k).label_vi}»" for k in kind.key)
    choices = tuple(ACTIONS.values())
    return ColumnGuide(ACTION_COLUMN, ACTION_LABEL, "enum", "Không bắt buộc", False, (
        f"Để trống hoặc chọn {ACTIONS['upsert']} để thêm mới hay sửa một dòng đã gửi",
        f"Chọn {ACTIONS['delete']} để rút bỏ dòng đã gửi có cùng {keys}: chỉ cần điền "
        "các cột đó",
    ), choices, tuple(ACTIONS))


def kind_guide(kind_name: str, rules: YearRules | None = None) -> tuple[ColumnGuide, ...]:
    """Every contract column of the kind, in contract order, then `Thao tác`."""
    if rules is None:   # the rulebooks a run would use (CHIBO_RULEBOOKS overrides them)
        from chibo.rulebooks import load_rulebooks
        overrides = os.environ.get("CHIBO_RULEBOOKS")
        rules = load_rulebooks(Path(overrides) if overrides else None)
    cols = tuple(column_guide(kind_name, c, rules) for c in CONTRACT[kind_name].columns)
    return (*cols, action_guide(kind_name))
