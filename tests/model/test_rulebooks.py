"""Rulebooks: shipped values, overrides, and refusal of invalid files with a clear message."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from chibo.rulebooks import REASON_CODES, RulebookError, load_rulebooks


def test_shipped_rulebooks():
    rules = load_rulebooks()
    assert [rb.name for rb in rules.rulebooks] == ["qd124", "qd366"]
    assert rules.for_year(2024).name == "qd124" and rules.for_year(2025).name == "qd366"
    assert rules.for_year(2000).name == "qd124" and rules.for_year(2099).name == "qd366"
    assert rules.uses_score(2025) and not rules.uses_score(2024)
    t = rules.for_year(2025).thresholds
    assert t["attendance_rate_above"] == Fraction(85, 100)
    assert t["score_good"] == 70 and t["excused_streak_max"] == 3
    assert str(t["min_minutes_combined_hd42_from"]) == "2025-10-28"
    assert "score_good" not in rules.for_year(2024).thresholds
    for rb in rules.rulebooks:
        assert set(rb.threshold_sources) == set(rb.thresholds)      # every value has a source
        assert rb.levels["excellent"] == {"vi": "Hoàn thành xuất sắc nhiệm vụ",
                                          "short_vi": "HTXSNV",
                                          "en": "Completed tasks excellently"}
    for code in REASON_CODES:
        vi, en = rules.reason_text(code)
        assert vi and en
    vi, en = rules.reason_text("meeting_quality_good:attendance_low")
    assert vi.startswith("Chất lượng sinh hoạt tốt") and "85%" in en
    with pytest.raises(RulebookError, match="1999"):
        rules.for_year(1999)


def _over(tmp_path, name, text):
    d = tmp_path / "over"
    d.mkdir(exist_ok=True)
    (d / name).write_text(text, encoding="utf-8")
    return d


def test_override_merges_keys(tmp_path):
    d = _over(tmp_path, "a.toml", 'name = "qd366"\n[thresholds]\nscore_good = "72.5"\n')
    rules = load_rulebooks(d)
    assert rules.for_year(2025).thresholds["score_good"] == Fraction(145, 2)
    assert rules.for_year(2025).thresholds["score_excellent"] == 90      # untouched
    assert rules.for_year(2024).thresholds["attendance_rate_above"] == Fraction(17, 20)


def test_new_rulebook_for_later_years(tmp_path):
    d = _over(tmp_path, "a-qd366.toml", 'name = "qd366"\nlast_year = 2026\n')
    full = (load_rulebooks().for_year(2025).files[0])
    text = Path(full).read_text(encoding="utf-8").replace('name = "qd366"', 'name = "qd999"')
    text = text.replace("first_year = 2025", "first_year = 2027")
    (d / "b-qd999.toml").write_text(text, encoding="utf-8")
    rules = load_rulebooks(d)
    assert rules.for_year(2026).name == "qd366" and rules.for_year(2027).name == "qd999"


@pytest.mark.parametrize("text, message", [
    ('name = "qd124"\ncolour = "red"\n', "unknown key(s) colour"),
    ('name = "qd124"\n[thresholds]\nattendance_rate = "0.9"\n', "unknown threshold(s) attendance_rate"),
    ('name = "qd124"\n[thresholds]\nattendance_rate_above = "abc"\n', "is not a number"),
    ('name = "qd124"\n[thresholds]\nattendance_rate_above = 0.9\n', "decimal string"),
    ('name = "qd124"\n[thresholds]\nattendance_rate_above = "1.5"\n', "between 0 and 1"),
    ('name = "qd124"\n[thresholds]\nexcused_streak_max = "3.5"\n', "whole number"),
    ('name = "qd124"\nlast_year = 2025\n', "overlap"),
    ('name = "qd124"\nlast_year = 2023\n', "leave the years 2024–2024 without a rulebook"),
    ('name = "qd366"\nuses_score = "yes"\n', "uses_score must be true or false"),
    ('name = "qd124"\nuses_score = true\n', "missing threshold(s) score_excellent"),
    ('name = "qd124"\n[reason_texts]\nfoo = ["a", "b"]\n', "unknown reason code(s) foo"),
    ('name = "qd124"\n[thresholds\n', "not valid TOML"),
    ('[thresholds]\nmin_minutes = "90"\n', "missing key name"),
    ('name = "qd777"\nfirst_year = 2030\nuses_score = false\n', "missing key(s)"),
    ('name = "qd366"\n[ladders.cell]\ngood_when = ["tasks_late"]\n',
     "ladders.cell.good_when: unknown condition(s) tasks_late"),
    ('name = "qd366"\n[ladders.branch]\ngood_when = []\n', "[ladders] must name exactly"),
    ('name = "qd366"\n[reason_texts]\nattendance_low = ["dưới {attendance_floor}", "b"]\n',
     "not a threshold of this rulebook"),
    ('name = "qd366"\n[thresholds]\nexcellent_quota_pool = "district"\n', "must be one of"),
    ('name = "qd124"\nrates_timeliness = 1\n', "rates_timeliness must be true or false"),
])
def test_invalid_rulebook_is_refused_with_a_clear_message(tmp_path, text, message):
    d = _over(tmp_path, "bad.toml", text)
    with pytest.raises(RulebookError) as e:
        load_rulebooks(d)
    assert message in str(e.value)
    assert "bad.toml" in str(e.value)


def test_missing_override_folder(tmp_path):
    with pytest.raises(RulebookError, match="does not exist"):
        load_rulebooks(tmp_path / "nope")


def test_texts_are_filled_from_the_thresholds(tmp_path):
    rules = load_rulebooks()
    assert rules.for_year(2024).reason_texts["removal_candidates"][0].startswith(
        "Có đảng viên vắng không lý do 3 tháng")
    d = _over(tmp_path, "o.toml", 'name = "qd124"\n[thresholds]\nremoval_unexcused_months = "1"\n'
                                  'attendance_rate_above = "0.875"\n')
    over = load_rulebooks(d).for_year(2024)
    assert "vắng không lý do 1 tháng" in over.reason_texts["removal_candidates"][0]
    assert over.reason_texts["attendance_low"] == (
        "Tỷ lệ đảng viên dự sinh hoạt không trên 87,5%", "Attendance not above 87.5%")


def test_shipped_texts_name_no_threshold_value():
    """Every number a shipped text shows comes from a {placeholder}: a province that changes a
    threshold never reads a stale explanation."""
    import re
    import tomllib

    from chibo.rulebooks import RULEBOOK_DIR
    for path in RULEBOOK_DIR.glob("*.toml"):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for code, pair in data["reason_texts"].items():
            for text in pair:
                bare = re.sub(r"\{[a-z0-9_]+\}", "", text).replace("100%", "").replace("4 tốt", "")
                bare = bare.replace("'4", "").replace("four goods", "")
                assert not re.search(r"\d", bare), (path.name, code, text)


def test_every_code_the_model_can_emit_has_both_texts():
    from chibo.rulebooks import CONDITIONS, CRITERIA, REASON_CODES
    rules = load_rulebooks()
    for rb in rules.rulebooks:
        for code in (*CONDITIONS, *REASON_CODES):
            vi, en = rb.reason_texts[code]
            assert vi.strip() and en.strip() and vi != en, (rb.name, code)
        assert set(rb.criteria) == set(CRITERIA)
