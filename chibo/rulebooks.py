"""Rulebooks: the thresholds and texts of rules.md as data (schemas/rulebooks/*.toml).

    rules = load_rulebooks(override_dir)        # raises RulebookError(message)
    rules.for_year(2025).threshold("attendance_rate_above")   -> Fraction(17, 20)
    rules.uses_score(2025)                                    -> True
    rules.reason_text("attendance_low")                       -> (vi, en)
    rules.reason_text("meeting_quality_good:attendance_low")  -> (vi, en)

Thresholds are exact `fractions.Fraction`s (dates for `..._from` dates, ints for counts and
years), so the model compares cross-multiplied integers and never floats.

An override folder holds TOML files. A file whose `name` is a shipped rulebook overrides only
the keys it gives (tables are merged key by key); a file with a new name is a new rulebook and
must be complete. After merging, the years of all rulebooks must not overlap and must leave
no gap.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import schemas

RULEBOOK_DIR = Path(schemas.__file__).resolve().parent / "rulebooks"

LEVELS: tuple[str, ...] = ("excellent", "good", "completed", "failed")
CRITERIA: tuple[str, ...] = (
    "political_task_good", "meeting_quality_good", "unity_discipline_good", "members_good",
)

# threshold name -> kind: "ratio" (Fraction in [0, 1]), "count" (int >= 0),
# "year" (int), "date" (datetime.date), "score" (Fraction in [0, 100])
THRESHOLDS: dict[str, str] = {
    "min_minutes": "count",
    "min_minutes_combined_hd42": "count",
    "min_minutes_combined_hd42_from": "date",
    "attendance_rate_above": "ratio",
    "speaking_rate_min": "ratio",
    "excused_streak_max": "count",
    "removal_unexcused_months": "count",
    "members_good_share_min": "ratio",
    "targets_failed_below": "ratio",
    "members_failed_share_above": "ratio",
    "subunits_disciplined_share_above": "ratio",
    "excellent_exceeded_share_min": "ratio",
    "excellent_quota_share": "ratio",
    "four_good_required_for_excellent_from": "year",
    "subunits_meeting_quality_share_min": "ratio",
    "score_excellent": "score",
    "score_good": "score",
    "score_completed": "score",
    "completed_late_share_max": "ratio",
    "materials_days_before_min": "count",
    "materials_rule_from": "date",
    "excellent_quota_base": "choice",
    "excellent_quota_pool": "choice",
}
# threshold name -> the values a "choice" threshold may take
CHOICES: dict[str, tuple[str, ...]] = {
    "excellent_quota_base": ("good_or_better", "good"),
    "excellent_quota_pool": ("parent", "parent_and_kind"),
}
SCORE_THRESHOLDS = ("score_excellent", "score_good", "score_completed")
TIMELINESS_THRESHOLDS = ("completed_late_share_max",)

LADDERS: tuple[str, ...] = ("cell", "collective")
RUNGS: tuple[str, ...] = ("failed_when", "completed_when", "good_when")
# rules.md's condition vocabulary: every code a ladder rung may name (the model defines each
# once, as a named boolean per org-year)
CONDITIONS: tuple[str, ...] = (
    "targets_below_half", "targets_not_all_met", "targets_late", "targets_late_too_many",
    "targets_exceeded_low", "org_disciplined", "disunity", "leaders_disciplined",
    "mass_orgs_not_good", "shortcomings_not_fixed", "score_below_completed", "score_below_good",
    "score_below_excellent", "members_failed_over_half", "members_not_good",
    "members_disciplined", "meetings_mostly_missing", "regular_month_missing", "attendance_low",
    "subunits_disciplined_too_many", "subunit_failed", "subunit_not_classified",
    "subunit_disciplined", "not_four_good",
)

# rules.md's whole vocabulary: every code needs a (vi, en) text in [reason_texts].
REASON_CODES: tuple[str, ...] = (
    # level reasons: the conditions, and the three codes outside the ladders
    *CONDITIONS, "no_assessment", "no_subunits", "excellent_quota",
    # criteria check codes (used as `criterion:code`)
    "subunit_below_good", "thematic_quarter_missing", "criticism_quarter_missing",
    "short_meeting", "meeting_without_attendance", "unsigned_minutes", "unexcused_absence",
    "excused_streak", "speaking_low", "removal_candidates", "no_member_ratings",
    "members_failed", "members_good_share_low", "subunit_regular_month_missing",
    "subunits_meeting_quality_low", "materials_late",
)

TOP_KEYS = {
    "name", "title_vi", "title_en", "first_year", "last_year", "uses_score", "rates_timeliness",
    "sources", "thresholds", "threshold_sources", "levels", "criteria", "reason_texts",
    "ladders",
}
REQUIRED_TOP = {"name", "first_year", "uses_score", "rates_timeliness", "thresholds", "levels",
                "criteria", "reason_texts", "ladders"}
LEVEL_KEYS = {"vi", "short_vi", "en"}
CRITERION_KEYS = {"vi", "en"}


class RulebookError(Exception):
    """A rulebook file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Rulebook:
    name: str
    first_year: int
    last_year: int | None
    uses_score: bool
    rates_timeliness: bool
    thresholds: dict[str, Any]          # name -> Fraction | int | date
    threshold_sources: dict[str, str]
    levels: dict[str, dict[str, str]]   # level -> {vi, short_vi, en}
    criteria: dict[str, dict[str, str]]  # criterion -> {vi, en}
    reason_texts: dict[str, tuple[str, str]]   # filled from the thresholds
    ladders: dict[str, dict[str, tuple[str, ...]]]   # ladder -> rung -> condition codes
    title_vi: str = ""
    title_en: str = ""
    sources: tuple[str, ...] = ()
    files: tuple[str, ...] = ()

    def covers(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)

    def threshold(self, name: str) -> Any:
        return self.thresholds[name]

    def ratio(self, name: str) -> Fraction:
        return Fraction(self.thresholds[name])

    def level_vi(self, level: str) -> str:
        return self.levels[level]["vi"]


@dataclass(frozen=True, eq=False)      # hashed by identity: one run's rules, cached per run
class RuleSet:
    rulebooks: tuple[Rulebook, ...]     # sorted by first_year

    def covers(self, year: int) -> bool:
        return any(rb.covers(year) for rb in self.rulebooks)

    def rates_timeliness(self, year: int) -> bool:
        """QĐ 366: targets_late and leaders_disciplined are required and rated."""
        return self.for_year(year).rates_timeliness

    def for_year(self, year: int) -> Rulebook:
        for rb in self.rulebooks:
            if rb.covers(year):
                return rb
        raise RulebookError(f"no rulebook covers the year {year} "
                            f"(rulebooks: {', '.join(self.describe())})")

    def uses_score(self, year: int) -> bool:
        return self.for_year(year).uses_score

    def reason_text(self, code: str) -> tuple[str, str]:
        """(vi, en) of a reason code, or of `criterion:code` (criterion name + code text).
        Texts come from the newest rulebook that has them."""
        if ":" in code:
            crit, sub = code.split(":", 1)
            cvi, cen = self.criterion_text(crit)
            vi, en = self.reason_text(sub)
            return f"{cvi}: {vi}", f"{cen}: {en}"
        for rb in reversed(self.rulebooks):
            if code in rb.reason_texts:
                return rb.reason_texts[code]
        raise KeyError(code)

    def criterion_text(self, criterion: str) -> tuple[str, str]:
        for rb in reversed(self.rulebooks):
            if criterion in rb.criteria:
                c = rb.criteria[criterion]
                return c["vi"], c["en"]
        raise KeyError(criterion)

    def level_text(self, level: str, year: int | None = None) -> dict[str, str]:
        rb = self.for_year(year) if year is not None else self.rulebooks[-1]
        return dict(rb.levels[level])

    def describe(self) -> list[str]:
        return [f"{rb.name} {rb.first_year}–{rb.last_year or ''}" for rb in self.rulebooks]


# ---------------------------------------------------------------------------------------------
def _read(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise RulebookError(f"rulebook {path}: not valid TOML (UTF-8): {e}") from None
    except RecursionError:
        raise RulebookError(f"rulebook {path}: nested too deeply to be a rulebook") from None
    except OSError as e:
        raise RulebookError(f"rulebook {path}: cannot be read: {e}") from None


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _parse_threshold(where: str, name: str, kind: str, raw: Any) -> Any:
    if isinstance(raw, bool) or isinstance(raw, float):
        raise RulebookError(f"{where}: threshold {name} = {raw!r}: write it as a decimal "
                            f'string (e.g. "0.85"), never a float')
    text = raw.isoformat() if isinstance(raw, dt.date) else str(raw).strip()
    if kind == "choice":
        if text not in CHOICES[name]:
            raise RulebookError(f"{where}: threshold {name} = {raw!r} must be one of "
                                f"{', '.join(CHOICES[name])}")
        return text
    if kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise RulebookError(f"{where}: threshold {name} = {raw!r} is not a date "
                                f"(YYYY-MM-DD)") from None
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise RulebookError(f"{where}: threshold {name} = {raw!r} is not a number") from None
    if kind in ("count", "year"):
        if value.denominator != 1 or value < 0:
            raise RulebookError(f"{where}: threshold {name} = {raw!r} must be a whole number ≥ 0")
        return int(value)
    if kind == "ratio" and not (0 <= value <= 1):
        raise RulebookError(f"{where}: threshold {name} = {raw!r} must lie between 0 and 1")
    if kind == "score" and not (0 <= value <= 100):
        raise RulebookError(f"{where}: threshold {name} = {raw!r} must lie between 0 and 100")
    return value


def _text_pair(where: str, code: str, v: Any) -> tuple[str, str]:
    if isinstance(v, dict):
        unknown = set(v) - {"vi", "en"}
        if unknown or not {"vi", "en"} <= set(v):
            raise RulebookError(f"{where}: reason_texts.{code} needs exactly vi and en")
        v = [v["vi"], v["en"]]
    if (not isinstance(v, list) or len(v) != 2
            or not all(isinstance(x, str) and x.strip() for x in v)):
        raise RulebookError(f"{where}: reason_texts.{code} must be [\"Vietnamese\", \"English\"]")
    return v[0], v[1]


def _build(data: dict, files: tuple[str, ...]) -> Rulebook:
    where = "rulebook " + " + ".join(files)
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise RulebookError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                            f"(allowed: {', '.join(sorted(TOP_KEYS))})")
    missing = REQUIRED_TOP - set(data)
    if missing:
        raise RulebookError(f"{where}: missing key(s) {', '.join(sorted(missing))}")
    name = data["name"]
    for key in ("first_year", "last_year"):
        if key in data and (not isinstance(data[key], int) or isinstance(data[key], bool)):
            raise RulebookError(f"{where}: {key} = {data[key]!r} must be a whole year")
    first, last = data["first_year"], data.get("last_year")
    if last is not None and last < first:
        raise RulebookError(f"{where}: last_year {last} is before first_year {first}")
    for flag in ("uses_score", "rates_timeliness"):
        if not isinstance(data[flag], bool):
            raise RulebookError(f"{where}: {flag} must be true or false")
    uses_score, rates_timeliness = data["uses_score"], data["rates_timeliness"]

    raw_t = data["thresholds"]
    if not isinstance(raw_t, dict):
        raise RulebookError(f"{where}: [thresholds] must be a table")
    unknown = set(raw_t) - set(THRESHOLDS)
    if unknown:
        raise RulebookError(f"{where}: unknown threshold(s) {', '.join(sorted(unknown))}")
    needed = [n for n in THRESHOLDS if (uses_score or n not in SCORE_THRESHOLDS)
              and (rates_timeliness or n not in TIMELINESS_THRESHOLDS)]
    lacking = [n for n in needed if n not in raw_t]
    if lacking:
        raise RulebookError(f"{where}: missing threshold(s) {', '.join(lacking)}")
    thresholds = {n: _parse_threshold(where, n, THRESHOLDS[n], raw_t[n]) for n in raw_t}

    sources = data.get("threshold_sources", {})
    unknown = set(sources) - set(THRESHOLDS)
    if unknown:
        raise RulebookError(f"{where}: [threshold_sources] names unknown threshold(s) "
                            f"{', '.join(sorted(unknown))}")

    levels = data["levels"]
    if set(levels) != set(LEVELS):
        raise RulebookError(f"{where}: [levels] must name exactly {', '.join(LEVELS)}")
    for lv, t in levels.items():
        if not isinstance(t, dict) or set(t) != LEVEL_KEYS:
            raise RulebookError(f"{where}: levels.{lv} needs exactly vi, short_vi, en")
    criteria = data["criteria"]
    if set(criteria) != set(CRITERIA):
        raise RulebookError(f"{where}: [criteria] must name exactly {', '.join(CRITERIA)}")
    for c, t in criteria.items():
        if not isinstance(t, dict) or set(t) != CRITERION_KEYS:
            raise RulebookError(f"{where}: criteria.{c} needs exactly vi, en")
    texts = data["reason_texts"]
    unknown = set(texts) - set(REASON_CODES)
    if unknown:
        raise RulebookError(f"{where}: unknown reason code(s) {', '.join(sorted(unknown))}")
    untexted = [c for c in REASON_CODES if c not in texts]
    if untexted:
        raise RulebookError(f"{where}: no text for reason code(s) {', '.join(untexted)}")
    return Rulebook(
        name=name, first_year=first, last_year=last, uses_score=uses_score,
        rates_timeliness=rates_timeliness,
        thresholds=thresholds, threshold_sources=dict(sources),
        levels={k: dict(v) for k, v in levels.items()},
        criteria={k: dict(v) for k, v in criteria.items()},
        reason_texts={c: _fill(where, c, _text_pair(where, c, v), thresholds)
                      for c, v in texts.items()},
        ladders=_ladders(where, data["ladders"]),
        title_vi=data.get("title_vi", ""), title_en=data.get("title_en", ""),
        sources=tuple(data.get("sources", ())), files=files,
    )


def threshold_text(value: Any, decimal_mark: str = ",") -> str:
    """How a threshold reads in a text: 0.85 as 85%, 2025-10-28 as 28/10/2025, 3 as 3
    (Vietnamese writes 87,5%; English passes decimal_mark=".")."""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        pct = value * 100
        return (f"{pct.numerator}%" if pct.denominator == 1
                else f"{float(pct):g}%".replace(".", decimal_mark))
    return str(value)


def _fill(where: str, code: str, pair: tuple[str, str], thresholds: dict[str, Any]
          ) -> tuple[str, str]:
    """A text is a template: `{removal_unexcused_months}` is replaced by the threshold."""
    import re

    def one(text: str, decimal_mark: str) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in thresholds:
                raise RulebookError(f"{where}: reason_texts.{code} names {{{name}}}, which is "
                                    f"not a threshold of this rulebook")
            return threshold_text(thresholds[name], decimal_mark)
        out = re.sub(r"\{([a-z0-9_]+)\}", sub, text)
        if "{" in out or "}" in out:
            raise RulebookError(f"{where}: reason_texts.{code} has an unfilled placeholder: {out}")
        return out
    return one(pair[0], ","), one(pair[1], ".")


def _ladders(where: str, raw: Any) -> dict[str, dict[str, tuple[str, ...]]]:
    if not isinstance(raw, dict) or set(raw) != set(LADDERS):
        raise RulebookError(f"{where}: [ladders] must name exactly {', '.join(LADDERS)}")
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for ladder, rungs in raw.items():
        if not isinstance(rungs, dict) or set(rungs) != set(RUNGS):
            raise RulebookError(f"{where}: ladders.{ladder} must name exactly {', '.join(RUNGS)}")
        out[ladder] = {}
        for rung, codes in rungs.items():
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                raise RulebookError(f"{where}: ladders.{ladder}.{rung} must be a list of codes")
            unknown = [c for c in codes if c not in CONDITIONS]
            if unknown:
                raise RulebookError(f"{where}: ladders.{ladder}.{rung}: unknown condition(s) "
                                    f"{', '.join(unknown)} (known: {', '.join(CONDITIONS)})")
            out[ladder][rung] = tuple(dict.fromkeys(codes))
    return out


def _load_dir(folder: Path, what: str) -> list[tuple[Path, dict]]:
    if not folder.is_dir():
        raise RulebookError(f"{what} folder {folder} does not exist")
    out = []
    for path in sorted(folder.glob("*.toml")):
        data = _read(path)
        if not isinstance(data.get("name"), str) or not data["name"].strip():
            raise RulebookError(f"rulebook {path}: missing key name (the rulebook it defines "
                                f"or overrides)")
        out.append((path, data))
    return out


def load_rulebooks(override_dir: Path | None = None) -> RuleSet:
    """The shipped rulebooks, with the files of `override_dir` merged over them."""
    merged: dict[str, tuple[dict, tuple[str, ...]]] = {}
    for path, data in _load_dir(RULEBOOK_DIR, "rulebook"):
        if data["name"] in merged:
            raise RulebookError(f"rulebook {path}: a second rulebook named {data['name']!r}")
        merged[data["name"]] = (data, (str(path),))
    if override_dir is not None:
        for path, data in _load_dir(Path(override_dir), "rulebook override"):
            base, files = merged.get(data["name"], ({}, ()))
            merged[data["name"]] = (_merge(base, data), files + (str(path),))
    books = sorted((_build(d, f) for d, f in merged.values()), key=lambda r: r.first_year)
    if not books:
        raise RulebookError(f"no rulebook found in {RULEBOOK_DIR}")
    for a, b in zip(books, books[1:]):
        if a.last_year is None or a.last_year >= b.first_year:
            raise RulebookError(
                f"rulebooks {a.name} ({' + '.join(a.files)}) and {b.name} "
                f"({' + '.join(b.files)}) overlap: {a.name} covers "
                f"{a.first_year}–{a.last_year or 'onwards'}, {b.name} starts {b.first_year}")
        if a.last_year + 1 != b.first_year:
            raise RulebookError(
                f"rulebooks {a.name} ({' + '.join(a.files)}) and {b.name} "
                f"({' + '.join(b.files)}) leave the years {a.last_year + 1}–"
                f"{b.first_year - 1} without a rulebook")
    return RuleSet(tuple(books))
