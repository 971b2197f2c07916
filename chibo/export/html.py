"""The visual report `exports/<year>/bao-cao-<year>.html`: one self-contained file.

Charts are drawn by plotly (plotly.js inlined once in the page: no network at view time),
labelled in Vietnamese, from the warehouse's tables and views only:

* levels per cấp trên cơ sở (`v_summary_by_unit_year`)
* meeting quality per month and quarter: active cells and cells that held their regular /
  thematic meeting (the model's calendar `org_months` and `meetings`)
* attendance and speaking rates of the cells per cấp trên cơ sở (`cell_year_metrics`)
* the three-year trend of the province (`v_summary_by_unit_year`, the root's rows)
* "4 tốt" share per cấp trên cơ sở, removal candidates per cấp trên cơ sở
* the official ratings against the evidence (`v_official_rating_audit`)

A small script at the end of the page records what rendered (`#chibo-render-check`: the
charts, their data, script errors), which the browser test reads.
"""
from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

import plotly.graph_objects as go
import plotly.io
import plotly.offline

if TYPE_CHECKING:
    from chibo.export.reports import Year

LEVEL_CODES = ("excellent", "good", "completed", "failed")
COLORS = {"excellent": "#1a7f37", "good": "#54aeff", "completed": "#d4a72c", "failed": "#cf222e",
          None: "#8c959f"}
CHECK_SCRIPT = """
<script>
window.addEventListener('load', function () {
  var plain = function (v) {
    if (v && ArrayBuffer.isView(v)) { return Array.from(v); }
    return v === undefined ? null : v;
  };
  var out = {charts: 0, rendered: 0, errors: window.chiboErrors || [], data: {}};
  document.querySelectorAll('.js-plotly-plot').forEach(function (gd) {
    out.charts += 1;
    if (gd.querySelector('svg.main-svg')) { out.rendered += 1; }
    out.data[gd.id] = (gd.data || []).map(function (t) {
      return {name: t.name === undefined ? null : t.name, x: plain(t.x), y: plain(t.y),
              type: t.type || null};
    });
  });
  var pre = document.createElement('pre');
  pre.id = 'chibo-render-check';
  pre.style.display = 'none';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""
ERROR_TRAP = """
<script>
window.chiboErrors = [];
window.addEventListener('error', function (e) { window.chiboErrors.push(String(e.message)); });
</script>
"""
STYLE = """
<style>
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; margin: 24px auto; max-width: 1100px;
       color: #1f2328; }
header { border-bottom: 2px solid #cf222e; margin-bottom: 16px; }
header .issuer { font-weight: bold; text-transform: uppercase; }
h1 { font-size: 1.5em; margin: 8px 0; }
h2 { font-size: 1.15em; margin-top: 28px; }
.meta { color: #57606a; }
table { border-collapse: collapse; font-size: 0.9em; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #ddebf7; }
.empty { color: #57606a; font-style: italic; }
</style>
"""


def _units(y: Year) -> list[dict]:
    """The cấp trên cơ sở of the year (else the organisations at depth 1), in tree order."""
    rows = y.con.sql("""
        SELECT * FROM v_summary_by_unit_year WHERE year = ? AND unit_level = 'cap_tren_co_so'
        ORDER BY unit_tree_order""", params=[y.year]).pl().to_dicts()
    if not rows:
        rows = y.con.sql("""
            SELECT * FROM v_summary_by_unit_year WHERE year = ? AND unit_depth = 1
            ORDER BY unit_tree_order""", params=[y.year]).pl().to_dicts()
    return rows


def _layout(fig: go.Figure, title: str, ytitle: str, **kw) -> go.Figure:
    fig.update_layout(title=title, yaxis_title=ytitle, template="plotly_white", height=420,
                      legend_orientation="h", legend_y=-0.2, margin=dict(t=60, b=40, l=60, r=20),
                      separators=",.", **kw)
    return fig


def levels_chart(y: Year, units: list[dict]) -> go.Figure:
    names = [u["unit_name"] for u in units]
    fig = go.Figure()
    for code in LEVEL_CODES:
        fig.add_bar(name=y.levels[code][1], x=names, y=[u[code] for u in units],
                    marker_color=COLORS[code])
    fig.add_bar(name="Chưa xếp loại", x=names, y=[u["not_classified"] for u in units],
                marker_color=COLORS[None])
    return _layout(fig, f"Kết quả xếp loại tổ chức đảng theo đảng bộ cấp trên cơ sở, năm {y.year}",
                   "Số tổ chức", barmode="stack", yaxis_tickformat="d")


def meetings_chart(y: Year) -> go.Figure:
    months = y.con.execute("""
        SELECT om.month, count(*) AS active, count(*) FILTER (WHERE om.regular_held) AS held
        FROM org_months om
        JOIN cell_year_metrics cm ON cm.org_id = om.org_id AND cm.year = om.year
        WHERE om.year = ? GROUP BY om.month ORDER BY om.month""", [y.year]).fetchall()
    quarters = y.con.execute("""
        WITH q AS (SELECT DISTINCT om.org_id, om.quarter, om.thematic_held_in_quarter AS held
                   FROM org_months om
                   JOIN cell_year_metrics cm ON cm.org_id = om.org_id AND cm.year = om.year
                   WHERE om.year = ? AND om.quarter_active)
        SELECT quarter, count(*) AS active, count(*) FILTER (WHERE held) AS held
        FROM q GROUP BY quarter ORDER BY quarter""", [y.year]).fetchall()
    mx = [f"Tháng {m}" for m, _, _ in months]
    qx = [f"Quý {q}" for q, _, _ in quarters]
    fig = go.Figure()
    fig.add_bar(name="Chi bộ hoạt động trong tháng", x=mx, y=[a for _, a, _ in months], marker_color="#d0d7de")
    fig.add_bar(name="Chi bộ có sinh hoạt thường kỳ", x=mx, y=[h for _, _, h in months], marker_color="#0969da")
    fig.add_bar(name="Chi bộ hoạt động trong quý", x=qx, y=[a for _, a, _ in quarters], marker_color="#eaeef2")
    fig.add_bar(name="Chi bộ có sinh hoạt chuyên đề", x=qx, y=[h for _, _, h in quarters], marker_color="#8250df")
    return _layout(fig, f"Sinh hoạt thường kỳ theo tháng và sinh hoạt chuyên đề theo quý, năm {y.year}",
                   "Số chi bộ", barmode="group", yaxis_tickformat="d")


def rates_chart(y: Year) -> dict:
    """One point per cell. The points go into the figure's dict after plotly checked the rest:
    plotly checks a list element by element, 14 s for a national year's 300 k cells."""
    rows = y.con.execute("""
        SELECT coalesce(t.upper_name, t.grassroots_name, 'Khác') AS unit, m.org_id,
               m.attendance_rate * 100 AS attendance, m.speaking_rate * 100 AS speaking
        FROM cell_year_metrics m
        JOIN v_org_tree t ON t.org_id = m.org_id AND t.year = m.year
        WHERE m.year = ? ORDER BY t.tree_order""", [y.year]).fetchall()
    fig = go.Figure()
    fig.add_box(name="Tỷ lệ dự họp (% trên số lượt phải dự)", boxpoints="all", marker_color="#0969da")
    fig.add_box(name="Tỷ lệ phát biểu (% trên số lượt có mặt)", boxpoints="all", marker_color="#bf8700")
    checked = _layout(fig, f"Tỷ lệ dự họp và phát biểu của các chi bộ theo đảng bộ cấp trên cơ sở, "
                           f"năm {y.year}", "Tỷ lệ (%)", boxmode="group").to_dict()
    units, orgs = [r[0] for r in rows], [r[1] for r in rows]
    for trace, column in zip(checked["data"], (2, 3)):
        trace.update(x=units, y=[r[column] for r in rows], text=orgs)
    return checked


def trend_chart(y: Year) -> go.Figure:
    rows = y.con.execute("""
        SELECT year, excellent_pct, good_pct, completed_pct, failed_pct, four_good_pct
        FROM v_summary_by_unit_year WHERE unit_depth = 0 AND year BETWEEN ? AND ?
        ORDER BY year""", [y.year - 2, y.year]).fetchall()
    years = [str(r[0]) for r in rows]
    fig = go.Figure()
    for i, code in enumerate(LEVEL_CODES, 1):
        fig.add_scatter(name=f"{y.levels[code][1]} (% trên số được xếp loại)", x=years,
                        y=[r[i] for r in rows], mode="lines+markers", line_color=COLORS[code])
    fig.add_scatter(name="4 tốt (% trên tổng số tổ chức)", x=years, y=[r[5] for r in rows],
                    mode="lines+markers", line_dash="dash", line_color="#6e7781")
    return _layout(fig, "Xu hướng ba năm của toàn tỉnh", "Tỷ lệ (%)")


def four_good_chart(y: Year, units: list[dict]) -> go.Figure:
    fig = go.Figure(go.Bar(name="Tỷ lệ 4 tốt (% trên tổng số tổ chức)", x=[u["unit_name"] for u in units],
                           y=[u["four_good_pct"] for u in units],
                           text=[f"{u['four_good']}/{u['orgs']}" for u in units], marker_color="#1a7f37"))
    return _layout(fig, f"Tỷ lệ tổ chức đạt 4 tốt theo đảng bộ cấp trên cơ sở, năm {y.year}", "Tỷ lệ (%)")


def removal_chart(y: Year, units: list[dict]) -> go.Figure:
    counts = dict(y.con.execute("""
        SELECT u.upper_id, count(DISTINCT r.member_id)
        FROM v_removal_candidates r, unnest(r.upper_ids) AS u(upper_id)
        WHERE r.year = ? GROUP BY u.upper_id""", [y.year]).fetchall())
    fig = go.Figure(go.Bar(name="Đảng viên đề nghị xóa tên", x=[u["unit_name"] for u in units],
                           y=[counts.get(u["unit_id"], 0) for u in units], marker_color="#cf222e"))
    months = y.value("removal_unexcused_months")
    return _layout(fig, f"Đảng viên vắng sinh hoạt không lý do từ {months} tháng trở lên, năm {y.year}",
                   "Số đảng viên", yaxis_tickformat="d")


def audit_chart(y: Year, units: list[dict]) -> go.Figure:
    names = [u["unit_name"] for u in units]
    fig = go.Figure()
    for col, label, color in (("audit_agrees", "Thống nhất với số liệu", "#1a7f37"),
                              ("audit_official_higher", "Cao hơn số liệu", "#cf222e"),
                              ("audit_official_lower", "Thấp hơn số liệu", "#54aeff"),
                              ("audit_not_computed", "Chưa xếp loại được theo số liệu", "#8c959f")):
        fig.add_bar(name=label, x=names, y=[u[col] for u in units], marker_color=color)
    return _layout(fig, f"Xếp loại chính thức đối chiếu với số liệu, năm {y.year}", "Số tổ chức",
                   barmode="stack", yaxis_tickformat="d")


def _audit_table(y: Year) -> str:
    rows = y.con.execute("""
        SELECT name, parent_name, official_level_vi, coalesce(level_vi, 'Chưa xếp loại'), rank_gap,
               array_to_string(reasons_vi, '; ')
        FROM v_official_rating_audit WHERE year = ? AND audit = 'official_higher'
        ORDER BY rank_gap DESC, tree_order""", [y.year]).fetchall()
    if not rows:
        return '<p class="empty">Không có tổ chức nào được xếp loại chính thức cao hơn số liệu.</p>'
    head = ("<tr><th>Tổ chức</th><th>Tổ chức cấp trên</th><th>Xếp loại chính thức</th>"
            "<th>Xếp loại theo số liệu</th><th>Chênh lệch (bậc)</th><th>Lý do theo số liệu</th></tr>")
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v if v is not None else ''))}</td>" for v in r)
                   + "</tr>" for r in rows)
    return f"<table>{head}{body}</table>"


def render(y: Year) -> str:
    units = _units(y)
    charts = [
        ("levels", "Kết quả xếp loại", levels_chart(y, units)),
        ("meetings", "Chất lượng sinh hoạt", meetings_chart(y)),
        ("rates", "Dự họp và phát biểu", rates_chart(y)),
        ("trend", "Xu hướng ba năm", trend_chart(y)),
        ("four-good", "Chi bộ, đảng bộ 4 tốt", four_good_chart(y, units)),
        ("removal", "Đề nghị xóa tên", removal_chart(y, units)),
        ("audit", "Đối chiếu xếp loại chính thức", audit_chart(y, units)),
    ]
    sections = []
    for key, heading, fig in charts:
        div = plotly.io.to_html(fig, full_html=False, include_plotlyjs=False, div_id=f"chart-{key}",
                                default_height="420px", validate=isinstance(fig, go.Figure),
                                config={"displaylogo": False, "responsive": True})
        extra = _audit_table(y) if key == "audit" else ""
        sections.append(f'<section id="{key}"><h2>{html.escape(heading)}</h2>{div}{extra}</section>')
    meta = [f"Năm {y.year}", f"Số liệu tính đến ngày {y.as_of.strftime('%d/%m/%Y')}"]
    if y.rulebook_title:
        meta.append(f"Quy định áp dụng: {y.rulebook_title}")
    title = f"Báo cáo chất lượng tổ chức đảng và sinh hoạt chi bộ năm {y.year}"
    plotly_js = plotly.offline.get_plotlyjs()
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="vi">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>", STYLE, ERROR_TRAP,
        f'<script type="text/javascript">{plotly_js}</script>', "</head>", "<body>",
        f'<header><div class="issuer">{html.escape(y.issuer)}</div><h1>{html.escape(title)}</h1>'
        f'<p class="meta">{html.escape(" · ".join(meta))}</p></header>',
        *sections,
        f'<script type="application/json" id="chibo-meta">{json.dumps({"year": y.year, "as_of": y.as_of.isoformat()})}</script>',
        CHECK_SCRIPT, "</body>", "</html>"])

