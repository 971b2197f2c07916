"""A province overrides every threshold of both rulebooks (and a reason text) in a `--rulebooks`
folder: every view and report that shows a consequence agrees with the model's tables, and
shows the new numbers and the new text (issue 10). The export never reads a rulebook file."""
from __future__ import annotations

import csv
import io
import re
import tomllib
from collections import Counter
from pathlib import Path

import duckdb
import openpyxl
import pytest

from chibo.rulebooks import RULEBOOK_DIR
from tests.export.conftest import build, export_copy
from tests.helpers import EXAMPLE, EXAMPLE_AS_OF

# a value for every threshold a rulebook may have, each unlike the shipped one
OVERRIDES = {
    "min_minutes": "100", "min_minutes_combined_hd42": "130",
    "min_minutes_combined_hd42_from": "2025-11-01", "attendance_rate_above": "0.9",
    "speaking_rate_min": "0.6", "excused_streak_max": "2", "removal_unexcused_months": "1",
    "members_good_share_min": "0.9", "targets_failed_below": "0.6",
    "members_failed_share_above": "0.4", "subunits_disciplined_share_above": "0.1",
    "excellent_exceeded_share_min": "0.5", "excellent_quota_share": "0.5",
    "four_good_required_for_excellent_from": "2025", "subunits_meeting_quality_share_min": "0.6",
    "score_excellent": "85", "score_good": "65", "score_completed": "45",
    "completed_late_share_max": "0.3", "materials_days_before_min": "2",
    "materials_rule_from": "2025-11-01", "excellent_quota_base": "good",
    "excellent_quota_pool": "parent_and_kind",
}
NEW_TEXT = ("Vượt mức dưới {excellent_exceeded_share_min} chỉ tiêu (theo quy định của tỉnh)",
            "Under {excellent_exceeded_share_min} of the targets exceeded (provincial rule)")
BOM = b"\xef\xbb\xbf"


def shipped_thresholds(name: str) -> dict:
    with open(RULEBOOK_DIR / f"{name}.toml", "rb") as fh:
        return tomllib.load(fh)["thresholds"]


@pytest.fixture(scope="module")
def overridden(tmp_path_factory):
    base = tmp_path_factory.mktemp("override")
    folder = base / "rulebooks"
    folder.mkdir()
    for name in ("qd124", "qd366"):
        keys = shipped_thresholds(name)
        lines = [f'name = "{name}"', "", "[thresholds]"]
        lines += [f'{k} = "{OVERRIDES[k]}"' for k in keys]
        if name == "qd366":
            lines += ["", "[reason_texts]", f'targets_exceeded_low = ["{NEW_TEXT[0]}", "{NEW_TEXT[1]}"]']
        (folder / f"{name}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = build(EXAMPLE / "raw", base, EXAMPLE_AS_OF, rulebooks=folder)
    exports = export_copy(db, base, EXAMPLE_AS_OF)
    return base / "documented.duckdb", exports


def q(db: Path, sql: str, params=None) -> list[dict]:
    c = duckdb.connect(str(db), read_only=True)
    try:
        rel = c.sql(sql, params=params or [])
        return [dict(zip(rel.columns, r)) for r in rel.fetchall()]
    finally:
        c.close()


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(BOM)
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def years(db: Path) -> list[int]:
    return [r["year"] for r in q(db, "SELECT DISTINCT year FROM org_year_classification ORDER BY 1")]


def test_the_override_covers_every_threshold_of_both_rulebooks(overridden):
    db, _ = overridden
    assert set(shipped_thresholds("qd124")) | set(shipped_thresholds("qd366")) <= set(OVERRIDES)
    got = q(db, "SELECT year, rulebook, name, value FROM rulebook_thresholds")
    assert got and all(r["value"] == OVERRIDES[r["name"]] for r in got), \
        [r for r in got if r["value"] != OVERRIDES[r["name"]]]


def test_removal_candidates_agree_for_every_year(overridden):
    db, exports = overridden
    for year in years(db):
        model = {r["member_id"] for r in q(db, "SELECT member_id FROM member_years "
                                              "WHERE removal_candidate AND year = ?", [year])}
        view = [r for r in q(db, "SELECT * FROM v_removal_candidates WHERE year = ?", [year])]
        report = read_csv(exports / str(year) / f"de-nghi-xoa-ten-{year}.csv")
        assert {r["member_id"] for r in view} == model == {r["Mã đảng viên"] for r in report}, year
        assert all(r["removal_threshold_months"] == 1 for r in view)
        assert {r["Số tháng theo quy định"] for r in report} <= {"1"}
        per_cell = Counter(c for r in view for c in r["cell_ids"])
        for r in q(db, "SELECT org_id, removal_candidates FROM cell_year_metrics WHERE year = ?", [year]):
            assert per_cell.get(r["org_id"], 0) == r["removal_candidates"], (year, r["org_id"])
        ws = openpyxl.load_workbook(exports / str(year) / f"de-nghi-xoa-ten-{year}.xlsx").active
        assert "TỪ 1 THÁNG TRỞ LÊN" in ws.cell(3, 1).value
    # with 1 month instead of 3 there are more candidates than the shipped rule gives
    assert sum(len(read_csv(exports / str(y) / f"de-nghi-xoa-ten-{y}.csv")) for y in years(db)) > 4


def test_classification_report_shows_the_models_levels_in_the_new_words(overridden):
    db, exports = overridden
    texts = {(r["rulebook"], r["code"]): r["text_vi"] for r in q(db, "SELECT * FROM reason_texts")}
    assert texts[("qd366", "targets_exceeded_low")] == "Vượt mức dưới 50% chỉ tiêu (theo quy định của tỉnh)"
    assert "90%" in texts[("qd124", "attendance_low")] and "85%" not in texts[("qd124", "attendance_low")]
    short = {r["level"]: r["level_short_vi"] for r in q(db, "SELECT * FROM levels")}
    seen_new_text = False
    for year in years(db):
        rows = {r["Mã tổ chức"]: r for r in read_csv(exports / str(year) / f"xep-loai-to-chuc-{year}.csv")}
        model = q(db, "SELECT * FROM org_year_classification WHERE year = ?", [year])
        assert set(rows) == {m["org_id"] for m in model}
        for m in model:
            r = rows[m["org_id"]]
            assert r["Xếp loại"] == (short[m["level"]] if m["level"] else "")
            assert r["Lý do xếp loại"] == "; ".join(texts[(m["rulebook"], c)] for c in m["reasons"])
            seen_new_text |= "(theo quy định của tỉnh)" in r["Lý do xếp loại"]
        header = next(csv.reader(io.StringIO((exports / str(year) / f"xep-loai-to-chuc-{year}.csv")
                                             .read_bytes()[3:].decode("utf-8"))))
        assert "Hạ từ HTXSNV xuống HTTNV do vượt tỷ lệ 50%" in header
    assert seen_new_text, "the overridden text of targets_exceeded_low shows in the report"


def test_summary_and_audit_agree_with_the_model(overridden):
    db, exports = overridden
    for year in years(db):
        rows = read_csv(exports / str(year) / f"tong-hop-xep-loai-{year}.csv")
        for r in rows:
            m = q(db, "SELECT count(*) AS n, count(*) FILTER (WHERE level = 'excellent') AS e, "
                      "count(*) FILTER (WHERE four_good) AS f FROM org_year_classification "
                      "WHERE year = ? AND parent_id = ?", [year, r["Mã tổ chức cấp trên"]])[0]
            assert (int(r["Tổng số tổ chức"]), int(r["HTXSNV: số lượng"]), int(r["4 tốt: số lượng"])) == \
                (m["n"], m["e"], m["f"])
        audit = read_csv(exports / str(year) / f"doi-chieu-xep-loai-{year}.csv")
        higher = {r["Mã"] for r in audit if r["Nhóm đối chiếu"] == "Xếp loại chính thức cao hơn số liệu"}
        assert higher == {r["org_id"] for r in q(db, "SELECT org_id FROM org_year_classification "
                                                     "WHERE year = ? AND audit = 'official_higher'", [year])}


def test_metrics_report_and_html_follow_the_override(overridden):
    db, exports = overridden
    for year in years(db):
        rows = {r["Mã chi bộ"]: r for r in read_csv(exports / str(year) / f"chat-luong-sinh-hoat-chi-bo-{year}.csv")}
        for m in q(db, "SELECT * FROM cell_year_metrics WHERE year = ?", [year]):
            r = rows[m["org_id"]]
            assert int(r["Số buổi không đủ thời lượng"]) == m["short_meetings"]
            assert int(r["Số buổi sinh hoạt đạt chuẩn"]) == m["meetings_meeting_standard"]
            assert int(r["Số đảng viên thuộc diện đề nghị xóa tên"]) == m["removal_candidates"]
        page = (exports / str(year) / f"bao-cao-{year}.html").read_text(encoding="utf-8")
        assert "từ 1 tháng trở lên" in page


def test_no_text_carries_a_shipped_number(overridden):
    db, _ = overridden
    for r in q(db, "SELECT * FROM reason_texts"):
        assert not re.search(r"\b(85%|3 tháng|90 phút|120 phút|28/10/2025)", r["text_vi"]), r
