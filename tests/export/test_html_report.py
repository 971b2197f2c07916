"""The visual report in a real browser: headless Chromium renders `bao-cao-<year>.html` (no
network), takes a screenshot, and the page's own record of what it drew (#chibo-render-check)
shows every chart rendered, no script error, and the warehouse's numbers in the charts.

CI needs: apt-get install -y --no-install-recommends chromium (.ci/run installs it when missing).
"""
from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import duckdb
import pytest

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "",
                             shutil.which("chromium-browser") or "") if p and Path(p).exists()), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CHARTS = ["chart-levels", "chart-meetings", "chart-rates", "chart-trend", "chart-four-good",
          "chart-removal", "chart-audit"]


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180)


def rendered(page: Path, profile: Path) -> dict:
    proc = chromium(["--virtual-time-budget=15000", "--dump-dom", page.as_uri()], profile)
    m = re.search(r'<pre id="chibo-render-check"[^>]*>(.*?)</pre>', proc.stdout, flags=re.S)
    assert m, f"the page did not finish rendering: {proc.stderr[-2000:]}"
    return json.loads(html_lib.unescape(m.group(1)))


def q(db: Path, sql: str, params=None) -> list[tuple]:
    c = duckdb.connect(str(db), read_only=True)
    try:
        return c.execute(sql, params or []).fetchall()
    finally:
        c.close()


def test_self_contained(exports):
    text = (exports / "2025" / "bao-cao-2025.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text) and not re.search(r"<link[^>]+href=", text)
    assert "Plotly.newPlot" in text and len(text) > 1_000_000       # plotly.js inlined
    assert "Báo cáo chất lượng tổ chức đảng" in text and "Số liệu tính đến ngày 15/03/2026" in text


@pytest.mark.xdist_group("chromium")
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed; install with "
                    "`apt-get install -y --no-install-recommends chromium`")
@pytest.mark.parametrize("year", [2024, 2025])
def test_renders_in_chromium_with_the_warehouses_numbers(exports, year, tmp_path):
    page = exports / str(year) / f"bao-cao-{year}.html"
    db = exports.parent / "documented.duckdb"
    shot = tmp_path / "shot.png"
    proc = chromium(["--window-size=1280,4200", f"--screenshot={shot}", page.as_uri()], tmp_path / "p1")
    assert shot.exists() and shot.stat().st_size > 50_000, proc.stderr[-2000:]
    got = rendered(page, tmp_path / "p2")
    assert got["errors"] == []
    assert got["charts"] == got["rendered"] == len(CHARTS) and set(got["data"]) == set(CHARTS)
    data = {k: {t["name"]: t for t in v} for k, v in got["data"].items()}

    units = q(db, "SELECT unit_name, excellent, good, completed, failed, not_classified, four_good_pct, "
                  "audit_agrees, audit_official_higher, unit_id FROM v_summary_by_unit_year "
                  "WHERE year = ? AND unit_level = 'cap_tren_co_so' ORDER BY unit_tree_order", [year])
    names = [u[0] for u in units]
    short = dict(q(db, "SELECT level, level_short_vi FROM levels"))
    for i, code in enumerate(("excellent", "good", "completed", "failed"), 1):
        trace = data["chart-levels"][short[code]]
        assert trace["x"] == names and trace["y"] == [u[i] for u in units]
    assert data["chart-levels"]["Chưa xếp loại"]["y"] == [u[5] for u in units]
    assert data["chart-four-good"]["Tỷ lệ 4 tốt (% trên tổng số tổ chức)"]["y"] == [u[6] for u in units]
    assert data["chart-audit"]["Cao hơn số liệu"]["y"] == [u[8] for u in units]
    assert data["chart-audit"]["Thống nhất với số liệu"]["y"] == [u[7] for u in units]

    # meetings per month: active cells (org_months) and cells holding a regular meeting
    active = Counter(m for (m,) in q(db, "SELECT om.month FROM org_months om JOIN cell_year_metrics c "
                                         "USING (org_id, year) WHERE om.year = ?", [year]))
    months = sorted(active)
    assert data["chart-meetings"]["Chi bộ hoạt động trong tháng"]["y"] == [active[m] for m in months]
    held = q(db, """SELECT DISTINCT mt.cell_id, month(mt.meeting_date) FROM meetings mt
                    JOIN org_months om ON om.org_id = mt.cell_id AND om.year = year(mt.meeting_date)
                     AND om.month = month(mt.meeting_date)
                    JOIN cell_year_metrics c ON c.org_id = om.org_id AND c.year = om.year
                    WHERE year(mt.meeting_date) = ? AND mt.meeting_type IN ('regular', 'combined')""", [year])
    per_month = Counter(m for _, m in held)
    assert data["chart-meetings"]["Chi bộ có sinh hoạt thường kỳ"]["y"] == [per_month[m] for m in months]

    # attendance: every cell's own rate, as the metrics hold it
    rates = sorted(r * 100 for (r,) in q(db, "SELECT attendance_rate FROM cell_year_metrics WHERE year = ? "
                                              "AND attendance_rate IS NOT NULL", [year]))
    drawn = sorted(v for v in data["chart-rates"]["Tỷ lệ dự họp (% trên số lượt phải dự)"]["y"] if v is not None)
    assert drawn == pytest.approx(rates)

    # the trend: the province's rows of the last three years
    trend = q(db, "SELECT year, good_pct FROM v_summary_by_unit_year WHERE unit_depth = 0 AND year BETWEEN ? AND ? "
                  "ORDER BY year", [year - 2, year])
    t = data["chart-trend"][f"{short['good']} (% trên số được xếp loại)"]
    assert t["x"] == [str(y) for y, _ in trend] and t["y"] == [v for _, v in trend]

    # removal candidates per cấp trên cơ sở: the model's candidates, placed by their cells
    per_upper = Counter(u for u, _ in q(db, """
        SELECT DISTINCT y.upper_id, my.member_id FROM member_years my, unnest(my.unexcused_cells) c(cell)
        JOIN org_years y ON y.org_id = c.cell AND y.year = my.year
        WHERE my.removal_candidate AND my.year = ?""", [year]))
    assert data["chart-removal"]["Đảng viên đề nghị xóa tên"]["y"] == [per_upper.get(u[9], 0) for u in units]
