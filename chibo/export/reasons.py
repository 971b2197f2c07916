"""Reason codes -> Vietnamese text for the exports.

The texts come from the rulebooks (`RuleSet.reason_text(code) -> (vi, en)`) when
`chibo.rulebooks` is importable; `FALLBACK_VI` covers rules.md's whole vocabulary so exports
never show a bare code. `reason_texts()` returns the dict the exports use; pass your own dict
to `write_exports(..., reason_texts=...)` to override.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

CRITERIA_VI: dict[str, str] = {
    "political_task_good": "Hoàn thành tốt nhiệm vụ chính trị",
    "meeting_quality_good": "Chất lượng sinh hoạt tốt",
    "unity_discipline_good": "Đoàn kết, kỷ luật tốt",
    "members_good": "Cán bộ, đảng viên tốt",
}

FALLBACK_VI: dict[str, str] = {
    "no_assessment": "Không có kết quả đánh giá của cấp trên",
    "no_subunits": "Không có chi bộ trực thuộc được xếp loại",
    "targets_below_half": "Hoàn thành dưới 50% chỉ tiêu, nhiệm vụ",
    "org_disciplined": "Tổ chức bị kỷ luật",
    "disunity": "Mất đoàn kết nội bộ",
    "members_failed_over_half": "Trên 50% đảng viên không hoàn thành nhiệm vụ",
    "meetings_mostly_missing": "Thiếu sinh hoạt thường kỳ quá nửa số tháng",
    "score_below_completed": "Tổng điểm dưới 50",
    "subunits_disciplined_too_many": "Trên 20% tổ chức trực thuộc bị kỷ luật",
    "targets_not_all_met": "Chưa hoàn thành hết chỉ tiêu, nhiệm vụ",
    "regular_month_missing": "Có tháng không sinh hoạt thường kỳ",
    "attendance_low": "Tỷ lệ dự họp không trên 85%",
    "score_below_good": "Tổng điểm dưới 70",
    "subunit_failed": "Có chi bộ trực thuộc không hoàn thành nhiệm vụ",
    "targets_exceeded_low": "Vượt mức dưới 30% chỉ tiêu",
    "members_not_good": "Cán bộ, đảng viên chưa đạt tốt",
    "members_disciplined": "Có đảng viên bị kỷ luật",
    "mass_orgs_not_good": "Chính quyền, đoàn thể chưa đạt HTTNV",
    "shortcomings_not_fixed": "Chưa khắc phục hạn chế, khuyết điểm",
    "score_below_excellent": "Tổng điểm dưới 90",
    "not_four_good": "Chưa đạt 4 tốt",
    "subunit_not_classified": "Có chi bộ trực thuộc chưa được xếp loại",
    "subunit_disciplined": "Có chi bộ trực thuộc bị kỷ luật",
    "excellent_quota": "Vượt tỷ lệ 20% HTXSNV, chuyển xuống HTTNV",
    "thematic_quarter_missing": "Có quý không sinh hoạt chuyên đề",
    "criticism_quarter_missing": "Có quý không tự phê bình và phê bình",
    "short_meeting": "Có buổi sinh hoạt không đủ thời lượng",
    "meeting_without_attendance": "Có buổi sinh hoạt không điểm danh",
    "unsigned_minutes": "Có biên bản chưa đủ chữ ký",
    "unexcused_absence": "Có đảng viên vắng không lý do",
    "excused_streak": "Có đảng viên vắng có lý do quá 3 lần liên tiếp",
    "speaking_low": "Tỷ lệ phát biểu dưới 50%",
    "subunit_below_good": "Có chi bộ trực thuộc dưới mức HTTNV",
    "subunit_regular_month_missing": "Có chi bộ trực thuộc thiếu sinh hoạt thường kỳ",
    "subunits_meeting_quality_low": "Dưới 50% chi bộ trực thuộc có chất lượng sinh hoạt tốt",
    "removal_candidates": "Có đảng viên vắng không lý do từ 3 tháng trở lên",
    "no_member_ratings": "Không có kết quả xếp loại đảng viên",
    "members_failed": "Có đảng viên không hoàn thành nhiệm vụ",
    "members_good_share_low": "Dưới 80% đảng viên đạt HTTNV trở lên",
}


def reason_texts(rules=None) -> dict[str, str]:
    """code -> Vietnamese text. Uses `rules.reason_text(code)` when available."""
    texts = dict(FALLBACK_VI)
    if rules is None:
        try:
            from chibo.rulebooks import load_rulebooks  # written concurrently
            rules = load_rulebooks(None)
        except Exception as exc:  # noqa: BLE001 - exports must not fail on rulebook problems
            log.info("rulebooks not available for reason texts (%s); using built-in texts", exc)
            return texts
    for code in list(texts):
        try:
            vi = rules.reason_text(code)[0]
        except Exception:  # noqa: BLE001
            continue
        if vi:
            texts[code] = vi
    return texts


def translate_reason(code: str, texts: dict[str, str]) -> str:
    """One code (`code` or `criterion:code`) -> Vietnamese."""
    if ":" in code:
        crit, sub = code.split(":", 1)
        return f"{CRITERIA_VI.get(crit, crit)}: {texts.get(sub, sub)}"
    return texts.get(code, code)
