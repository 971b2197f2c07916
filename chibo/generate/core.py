"""Synthetic raw deliveries for one province (Đắk Nông-shaped) or the whole country.

Everything per row is vectorised with polars (uniform draws from Arrow's generator, keyed by
seed/province/year/month so output is byte-identical for a seed). Work is streamed per
province and month: only one province's register and one month's meetings are in memory.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from chibo.contract import CONTRACT
from chibo.generate import names as N
from chibo.generate.rng import pyrandom, uniform
from chibo.generate.tree import EVE, REFORM, MergedSpec, ProvinceSpec, build_tree, org_year
from chibo.generate.writers import write_frame

EPOCH = dt.date(1970, 1, 1)
FAR = 10 ** 6  # an ordinal far in the future


def o(d: dt.date) -> int:
    return (d - EPOCH).days


def d_(x: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(x))


def month_last(y: int, m: int) -> dt.date:
    return (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1))


# ---------------------------------------------------------------- tier parameters
# tiers: 0 strong, 1 medium, 2 weak, 3 failing
SKIP_P = [0.0, 0.012, 0.12, 0.35]
THEM_MISS_P = [0.0, 0.05, 0.3, 0.5]
SHORT_P = [0.0, 0.03, 0.12, 0.2]
UNSIGNED_P = [0.0, 0.015, 0.06, 0.1]
CRIT_P = [0.97, 0.85, 0.6, 0.5]
SPEAK_P = [0.74, 0.6, 0.4, 0.3]
UNEXC_P = [0.0, 0.004, 0.02, 0.04]
EXC_P = [0.035, 0.07, 0.1, 0.14]
AWAY_P = [0.0, 0.01, 0.025, 0.03]
REMOVAL_P = [0.0, 0.004, 0.015, 0.03]
NO_ATT_P = [0.0, 0.0, 0.02, 0.04]
MAT_ON_TIME_P = [0.97, 0.9, 0.75, 0.6]
MATERIALS_RULE_FROM = dt.date(2025, 10, 28)   # HD 42-HD/BTCTW
EXTRA_P = 0.03
SLOTS = [450, 480, 840, 1140, 1170]  # 07:30 08:00 14:00 19:00 19:30


def _lst(vals: list, idx: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(vals)).gather(idx)


def pick(vals: list, idx: pl.Expr) -> pl.Expr:
    """vals[idx] per row (idx an integer expression)."""
    return pl.lit(pl.Series(vals)).gather(idx.cast(pl.UInt32))


# ---------------------------------------------------------------- specs
@dataclass
class BadRow:
    kind: str
    file: str
    row: int
    column: str
    check: str


MIN_ROWS_TO_MUTATE = 12


@dataclass
class Counters:
    orgs: int = 0
    members: int = 0
    meetings: int = 0
    attendance_rows: int = 0
    assessments: int = 0
    member_ratings: int = 0
    official_ratings: int = 0
    files: int = 0
    files_by_kind: dict = field(default_factory=dict)
    files_by_style: dict = field(default_factory=dict)
    bad_rows: list = field(default_factory=list)
    planted_ratings: list = field(default_factory=list)


DAK_NONG_MEMBERS = 27_541
LAM_DONG_MEMBERS = 4_600


def province_spec(members: int | None = None) -> MergedSpec:
    """The demo province: Đắk Nông (as of 11/2022: 8 districts, 71 communes, ~27,500 members)
    and two districts of the old Lâm Đồng, merged on 1/7/2025 into the new Lâm Đồng."""
    total = DAK_NONG_MEMBERS + LAM_DONG_MEMBERS
    m_dn = DAK_NONG_MEMBERS if members is None else max(300, round(members * DAK_NONG_MEMBERS / total))
    m_ld = LAM_DONG_MEMBERS if members is None else max(150, members - m_dn)
    dn = ProvinceSpec(1, "", N.PROVINCE_NAME, N.DISTRICTS, 11, 271, 1716, m_dn, rich=True,
                      group_by_district=True, slug="dak-nong", plant_bad=True, n_bophan=4)
    ld = ProvinceSpec(2, "LD-", N.LAM_DONG_OLD, N.LAM_DONG_DISTRICTS, 6, 40, 260, m_ld, rich=True,
                      group_by_district=True, slug="lam-dong", n_bophan=1, new_names=N.LAM_DONG_NEW_NAMES)
    return MergedSpec(1, "M-", N.NEW_PROVINCE_NAME, "lam-dong-moi", [dn, ld])


def _national_old(p: int) -> ProvinceSpec:
    r = pyrandom("national-names", p)
    districts = []
    for k in range(18):
        dname = f"{r.choice(N.PLACE_SYLLABLES)} {r.choice(N.PLACE_SYLLABLES)}"
        communes = [f"xã {r.choice(N.PLACE_SYLLABLES)} {r.choice(N.PLACE_SYLLABLES)}" for _ in range(9)]
        districts.append((f"huyện {dname}", f"h{k + 1:02d}", communes))
    return ProvinceSpec(p, f"T{p:02d}-", N.PROVINCES_63[p - 1], districts, 11, 610, 3834, 88_889,
                        rich=False, group_by_district=False, slug=f"t{p:02d}")


def national_specs() -> list[MergedSpec]:
    """63 province-shaped trees (~5.6 million members) merged into the 34 provinces of 1/7/2025."""
    out = []
    for k, (name, olds) in enumerate(N.PROVINCES_34, start=1):
        specs = [_national_old(N.PROVINCES_63.index(x) + 1) for x in olds]
        out.append(MergedSpec(k, f"M{k:02d}-", name, f"m{k:02d}", specs))
    return out

# ---------------------------------------------------------------- the register
def build_members(spec: ProvinceSpec, cells: pl.DataFrame, seed: int, start: dt.date,
                  end: dt.date, as_of: dt.date) -> pl.DataFrame:
    """cells: cell rows with cell (index), weight, mix, kind, est/diss, move_to."""
    r = pyrandom(seed, "members", spec.number)
    cell_list = cells["cell"].to_list()
    weights = cells["weight"].to_list()
    is_new = cells["is_new"].to_list()
    new_sizes = {c: r.randint(6, 12) for c, nw in zip(cell_list, is_new) if nw}
    n_base = spec.n_members - sum(new_sizes.values())
    # every cell of the start gets 3 members at least; cells made by a merger get theirs from
    # the merged cells, cells set up later their own new members
    base_cells = [c for c, w in zip(cell_list, weights) if w > 0]
    assign = base_cells * 3
    assign += r.choices(cell_list, weights=weights, k=n_base - len(assign))
    for c, s in new_sizes.items():
        assign += [c] * s
    n = len(assign)
    key = (seed, "m", spec.number)
    U = {k: uniform(n, *key, k) for k in
         ("sex", "eth", "fam", "mid", "giv", "clan", "age", "age2", "join", "off", "ex", "loc",
          "new", "newd", "leave", "leaved", "dec")}
    m = pl.DataFrame({"cell": pl.Series(assign, dtype=pl.Int32)}).sort("cell")
    m = m.with_columns(pl.int_range(pl.len(), dtype=pl.Int32).alias("mi"))
    m = m.join(cells.select("cell", "cell_id", "mix", "kind", "est", "diss", "move_to", "is_new"),
               on="cell", how="left", maintain_order="left")
    m = m.with_columns([v.alias("u_" + k) for k, v in U.items()])
    s_ord, a_ord = o(start), o(min(end, as_of))
    nyears = end.year - start.year + 1
    # ethnicity by population mix
    eth = pl.lit(None, dtype=pl.String)
    for mix_i, table in reversed(list(enumerate(N.ETHNIC_MIX))):
        cum, expr = 0.0, pl.lit(table[-1][0])
        bounds = []
        for e_name, wgt in table:
            cum += wgt
            bounds.append((cum, e_name))
        tot = cum
        for b, e_name in reversed(bounds[:-1]):
            expr = pl.when(pl.col("u_eth") * tot < b).then(pl.lit(e_name)).otherwise(expr)
        eth = pl.when(pl.col("mix") == mix_i).then(expr).otherwise(eth)
    m = m.with_columns(eth.alias("ethnicity"),
                       pl.when(pl.col("u_sex") < 0.36).then(pl.lit("female")).otherwise(pl.lit("male")).alias("sex"))
    fem = pl.col("sex") == "female"
    def g(vals, u):
        return pick(vals, (pl.col(u) * len(vals)).floor())
    kinh = g(N.KINH_FAMILY, "u_fam") + " " + pl.when(fem).then(g(N.MIDDLE_F, "u_mid")).otherwise(g(N.MIDDLE_M, "u_mid")) \
        + " " + pl.when(fem).then(g(N.GIVEN_F, "u_giv")).otherwise(g(N.GIVEN_M, "u_giv"))
    name = kinh
    for e_name, fams in N.ETHNIC_FAMILY.items():
        if e_name in ("Kinh", "M'Nông", "Ê Đê", "H'Mông", "Mạ"):
            continue
        name = pl.when(pl.col("ethnicity") == e_name).then(
            g(fams, "u_fam") + " " + pl.when(fem).then(g(N.MIDDLE_F, "u_mid")).otherwise(g(N.MIDDLE_M, "u_mid"))
            + " " + pl.when(fem).then(g(N.GIVEN_F, "u_giv")).otherwise(g(N.GIVEN_M, "u_giv"))).otherwise(name)
    ind = g(N.INDIGENOUS_GIVEN, "u_giv")
    name = (pl.when(pl.col("ethnicity") == "M'Nông").then(pl.when(fem).then(pl.lit("Thị ")).otherwise(pl.lit("Điểu ")) + ind)
            .when(pl.col("ethnicity") == "Mạ").then(pl.lit("K'") + ind + " " + g(["Điểu", "Ka", "K'"], "u_mid"))
            .when(pl.col("ethnicity") == "Ê Đê").then(pl.when(fem).then(pl.lit("H'")).otherwise(pl.lit("Y ")) + ind + " " + g(N.EDE_CLANS, "u_clan"))
            .when(pl.col("ethnicity") == "H'Mông").then(g(N.ETHNIC_FAMILY["H'Mông"], "u_fam") + pl.when(fem).then(pl.lit(" Thị ")).otherwise(pl.lit(" A ")) + g(N.HMONG_GIVEN, "u_giv"))
            .otherwise(name))
    new_frac = min(0.3, 0.045 * nyears)
    is_joiner = (pl.col("u_new") < new_frac) & pl.col("is_new").not_()
    age = (23 + (pl.col("u_age").pow(1.4) * 56).floor()).cast(pl.Int32)
    join_new = (s_ord + (pl.col("u_newd") * (a_ord - s_ord)).floor()).cast(pl.Int32)
    m = m.with_columns(name.alias("full_name"), age.alias("age"), is_joiner.alias("joiner"),
                       join_new.alias("join_new"))
    birth = pl.when(pl.col("joiner")).then(
        pl.col("join_new") - ((18.3 + pl.col("u_age2") * 14) * 365.25).floor().cast(pl.Int32)
    ).otherwise(s_ord - pl.col("age") * 365 - (pl.col("u_age2") * 364).floor().cast(pl.Int32))
    m = m.with_columns(birth.cast(pl.Int32).alias("birth"))
    cap = pl.min_horizontal(pl.col("age").cast(pl.Float64), pl.lit(45.0)) - 18.3
    joined = pl.when(pl.col("joiner")).then(pl.col("join_new")).otherwise(
        pl.col("birth") + ((18.3 + pl.col("u_join") * cap) * 365.25).floor().cast(pl.Int32))
    m = m.with_columns(joined.cast(pl.Int32).alias("joined"))
    off = pl.col("joined") + 365 + (pl.col("u_off") * 40).floor().cast(pl.Int32)
    m = m.with_columns(pl.when(off <= o(as_of)).then(off).otherwise(None).alias("official"))
    # start of attendance: joiners from joining, members of new cells from the cell's creation
    m = m.with_columns(
        pl.when(pl.col("joiner")).then(pl.col("joined"))
        .when(pl.col("is_new")).then(pl.col("est")).otherwise(pl.lit(s_ord)).cast(pl.Int32).alias("start"))
    # leavers (transferred out, deceased) during the period
    leave_p = 0.012 * nyears
    leave_ord = (pl.col("start") + 30 + (pl.col("u_leaved") * (a_ord - pl.col("start") - 30)).floor()).cast(pl.Int32)
    leaver = (pl.col("u_leave") < leave_p) & (leave_ord > pl.col("start") + 29) & (leave_ord <= a_ord)
    exempt = (((pl.col("age") >= 68) & (pl.col("u_ex") < 0.35)) | (pl.col("u_ex") < 0.015)) & pl.col("joiner").not_() & leaver.not_()
    m = m.with_columns(
        pl.when(leaver).then(leave_ord).otherwise(pl.lit(FAR)).cast(pl.Int32).alias("end"),
        pl.when(leaver).then(pl.when((pl.col("u_dec") < 0.3) & (pl.col("age") > 55)).then(pl.lit("deceased")).otherwise(pl.lit("transferred_out")))
        .when(exempt).then(pl.lit("exempt")).otherwise(pl.lit("active")).alias("final_status"),
        exempt.alias("exempt"),
        pl.when(pl.col("kind") == "residential").then(pl.col("u_loc") < 0.85).otherwise(pl.col("u_loc") < 0.25).alias("is_local"),
    )
    width = 6 if not spec.prefix else 6
    idp = "DV" if not spec.prefix else f"DV{spec.number:02d}"
    m = m.with_columns((pl.lit(idp) + (pl.col("mi") + 1).cast(pl.String).str.zfill(width)).alias("member_id"))
    # members of a dissolved cell move to a sibling the day after
    m = m.with_columns(pl.col("diss").alias("move_day"), pl.col("move_to").alias("new_cell"))
    m = m.with_columns(pl.lit(FAR, dtype=pl.Int32).alias("removed_from"))
    return m.select("mi", "member_id", "full_name", "birth", "sex", "ethnicity", "cell", "joined",
                    "official", "final_status", "exempt", "is_local", "start", "end", "move_day",
                    "new_cell", "joiner", "is_new", "removed_from")


def member_rows(m: pl.DataFrame, cells: pl.DataFrame, cell_col: str = "cell",
                status: pl.Expr | None = None) -> pl.DataFrame:
    """Register rows in contract columns."""
    ids = cells.select(pl.col("cell"), pl.col("cell_id"))
    x = m.join(ids.rename({"cell": cell_col}), on=cell_col, how="left", maintain_order="left")
    return x.select(
        "member_id", "full_name", pl.col("birth").cast(pl.Date).alias("birth_date"), "sex", "ethnicity",
        "cell_id", pl.col("joined").cast(pl.Date).alias("joined_on"),
        pl.col("official").cast(pl.Date).alias("official_on"),
        (status if status is not None else pl.col("final_status")).alias("status"), "is_local")


# ---------------------------------------------------------------- deliveries
class Deliverer:
    def __init__(self, out: Path, spec: ProvinceSpec, seed: int, as_of: dt.date, counters: Counters):
        self.out, self.spec, self.seed, self.as_of, self.c = out, spec, seed, as_of, counters
        self.on_touch = None

    def style(self, kind: str, group: str, tag: object) -> str:
        if not self.spec.rich:
            return "plain"
        u = pyrandom(self.seed, "style", kind, group, tag).random()
        return "xlsx" if u < 0.10 else "excel_csv" if u < 0.28 else "plain"

    def write(self, df: pl.DataFrame, kind: str, delivery: dt.date, name: str, style: str = "plain",
              mutate=None, title: list[str] | None = None) -> str | None:
        if df.height == 0:
            return None
        ext = {"plain": "csv", "excel_csv": "csv", "xlsx": "xlsx"}[style]
        rel = f"{kind}/{delivery.isoformat()}-{name}.{ext}"
        path = self.out / rel
        # the planted bad rows need a file of a dozen rows (a short first month of a small run
        # has fewer): such a file is written clean instead
        if mutate is not None and df.height >= MIN_ROWS_TO_MUTATE:
            from chibo.generate.writers import _to_strings
            s0 = _to_strings(df, kind, "plain")
            s = mutate(s0, rel)
            if self.on_touch is not None:   # the rows a planted problem spoils
                a = s.head(s0.height).select(pl.all().fill_null("\0"))
                same = (a == s0.select(pl.all().fill_null("\0"))).select(pl.all_horizontal(pl.all())).to_series()
                changed = ~same
                changed = pl.concat([changed, pl.Series([True] * (s.height - s0.height), dtype=pl.Boolean)])
                self.on_touch(kind, s.filter(changed))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(s.write_csv().encode("utf-8"))
        else:
            if style == "xlsx" and title is None:
                r = pyrandom(self.seed, "title", rel)
                if r.random() < 0.6:
                    title = [f"ĐẢNG BỘ TỈNH {self.spec.name.upper()}", f"{CONTRACT[kind].label_vi.upper()} - {name}"]
                    if r.random() < 0.5:
                        title.append(f"Ngày gửi: {delivery.strftime('%d/%m/%Y')}")
            write_frame(df, kind, path, style, title=title, created=delivery)
        self.c.files += 1
        self.c.files_by_kind[kind] = self.c.files_by_kind.get(kind, 0) + 1
        self.c.files_by_style[style] = self.c.files_by_style.get(style, 0) + 1
        return rel


def _set(s: pl.DataFrame, row: int, col: str, value) -> pl.DataFrame:
    return s.with_columns(pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value, dtype=pl.String))
                          .otherwise(pl.col(col)).alias(col))


def _bad(c: Counters, kind: str, rel: str, row: int, col: str, check: str) -> None:
    c.bad_rows.append(BadRow(kind, rel, row + 2, col, check))


def next_month_5(y: int, m: int) -> dt.date:
    return dt.date(y + (m == 12), m % 12 + 1, 5)


MEETING_COLS = [c.name for c in CONTRACT["meetings"].columns]
ATT_COLS = [c.name for c in CONTRACT["attendance"].columns]


def _time_str(minutes: pl.Expr) -> pl.Expr:
    return ((minutes // 60).cast(pl.String).str.zfill(2) + ":" + (minutes % 60).cast(pl.String).str.zfill(2))


def _year_cells(cells: pl.DataFrame, seed: int, p: int, y: int) -> pl.DataFrame:
    n = cells.height
    k = (seed, "cy", p, y)
    cy = cells.with_columns([uniform(n, *k, nm).alias(nm) for nm in
                             ("t", "day", "slot", "spk")] +
                            [uniform(n, *k, f"q{q}{x}").alias(f"q{q}{x}") for q in range(4) for x in "abc"])
    score = 0.62 * pl.col("pers") + 0.38 * pl.col("t")
    tier = (pl.when(score < 0.5).then(0).when(score < 0.8).then(1).when(score < 0.965).then(2).otherwise(3)).cast(pl.Int32)
    cy = cy.with_columns(tier.alias("tier"),
                         (3 + (pl.col("day") * 20).floor()).cast(pl.Int32).alias("day_pref"),
                         pick(SLOTS, (pl.col("slot") * len(SLOTS)).floor()).alias("start_min"))
    cy = cy.with_columns(
        (pick(SPEAK_P, pl.col("tier")) + (pl.col("spk") - 0.5) * 0.16).alias("speak_p"),
        *[pl.when(pl.col(f"q{q}a") < pick(THEM_MISS_P, pl.col("tier"))).then(0)
          .when(pl.col(f"q{q}b") < 0.35).then(2).otherwise(1).cast(pl.Int32).alias(f"tmode{q}") for q in range(4)],
        *[(pl.col(f"q{q}c") * 3).floor().cast(pl.Int32).alias(f"tpos{q}") for q in range(4)],
    )
    return cy.drop("t", "day", "slot", "spk", *[f"q{q}{x}" for q in range(4) for x in "abc"])


def _month_meetings(cy: pl.DataFrame, seed: int, p: int, y: int, m: int, as_of: dt.date) -> pl.DataFrame:
    first, last = dt.date(y, m, 1), month_last(y, m)
    f_o, l_o, a_o = o(first), o(last), o(as_of)
    nd = last.day
    q, pos = (m - 1) // 3, (m - 1) % 3
    k = (seed, "mm", p, y, m)
    live = cy.filter((pl.col("est").is_null() | (pl.col("est") <= l_o)) & (pl.col("diss").is_null() | (pl.col("diss") >= f_o)))
    n = live.height
    live = live.with_columns(uniform(n, *k, "skip").alias("u1"), uniform(n, *k, "jit").alias("u2"),
                             uniform(n, *k, "ext").alias("u3"), uniform(n, *k, "extd").alias("u4"))
    reg = live.filter(pl.col("u1") >= pick(SKIP_P, pl.col("tier"))).with_columns(
        (f_o + (pl.col("day_pref") + (pl.col("u2") * 5).floor().cast(pl.Int32) - 2).clip(0, nd - 1)).cast(pl.Int32).alias("date"),
        pl.when((pl.col(f"tmode{q}") == 2) & (pl.col(f"tpos{q}") == pos)).then(pl.lit("combined")).otherwise(pl.lit("regular")).alias("meeting_type"))
    them = live.filter((pl.col(f"tmode{q}") == 1) & (pl.col(f"tpos{q}") == pos)).with_columns(
        (f_o + (pl.col("day_pref") + 8 + (pl.col("u2") * 4).floor().cast(pl.Int32)) % nd).cast(pl.Int32).alias("date"),
        pl.lit("thematic").alias("meeting_type"))
    ext = live.filter(pl.col("u3") < EXTRA_P).with_columns(
        (f_o + (pl.col("u4") * nd).floor().cast(pl.Int32)).cast(pl.Int32).alias("date"),
        pl.lit("extraordinary").alias("meeting_type"))
    mt = pl.concat([reg, them, ext], how="vertical")
    mt = mt.filter(pl.col("date") <= a_o, pl.col("est").is_null() | (pl.col("date") >= pl.col("est")),
                   pl.col("diss").is_null() | (pl.col("date") <= pl.col("diss")))
    letter = pl.col("meeting_type").replace_strict({"regular": "R", "thematic": "T", "combined": "K", "extraordinary": "B"})
    mt = mt.with_columns(letter.alias("letter")).sort("cell", "date", "letter")
    n = mt.height
    U = {nm: uniform(n, *k, "m", nm) for nm in ("dur", "short", "sig", "crit", "hcm", "res", "up", "up2", "mat", "mat2", "top", "noatt", "slot")}
    mt = mt.with_columns([v.alias("v_" + nm) for nm, v in U.items()])
    tier = pl.col("tier")
    mtype = pl.col("meeting_type")
    dur = (pl.when(mtype == "combined").then(
        pl.when(tier == 0).then(122 + (pl.col("v_dur") * 55).floor()).otherwise(100 + (pl.col("v_dur") * 70).floor()))
        .when(mtype == "extraordinary").then(60 + (pl.col("v_dur") * 60).floor())
        .otherwise(95 + (pl.col("v_dur") * 55).floor()))
    dur = pl.when((mtype != "extraordinary") & (pl.col("v_short") < pick(SHORT_P, tier))).then(
        45 + (pl.col("v_dur") * 43).floor()).otherwise(dur).cast(pl.Int32)
    start_min = pl.when(pl.col("v_slot") < 0.15).then(pick(SLOTS, (pl.col("v_slot") * 33).floor() % len(SLOTS))).otherwise(pl.col("start_min"))
    mt = mt.with_columns(start_min.cast(pl.Int32).alias("s_min"), dur.alias("dur"))
    # materials on Sổ tay đảng viên: 1–5 days before for most, on the day (late) or never for
    # some; from HD 42 (2025-10-28) the rule counts and weaker cells break it more often
    on_time = pl.when(pl.col("date") >= o(MATERIALS_RULE_FROM)).then(pick(MAT_ON_TIME_P, tier)).otherwise(0.7)
    posted = (pl.when(pl.col("v_mat") < on_time).then(pl.col("date") - 1 - (pl.col("v_mat2") * 5).floor().cast(pl.Int32))
              .when(pl.col("v_mat") < on_time + (1 - on_time) * 0.5).then(pl.col("date")).otherwise(None))
    mt = mt.with_columns(
        (pl.col("cell_id") + "." + pl.col("date").cast(pl.Date).dt.strftime("%Y%m%d") + "." + pl.col("letter")).alias("meeting_id"),
        pl.col("date").cast(pl.Date).alias("meeting_date"),
        _time_str(pl.col("s_min")).alias("start_time"),
        _time_str(pl.col("s_min") + pl.col("dur")).alias("end_time"),
        pl.when(mtype.is_in(["thematic", "combined"])).then(pick(N.TOPICS, (pl.col("v_top") * len(N.TOPICS)).floor())).otherwise(None).alias("topic"),
        pl.col("chair").alias("chair_member_id"), pl.col("secretary").alias("secretary_member_id"),
        pl.when(pl.col("v_up") < 0.12).then(1 + (pl.col("v_up2") * 3).floor()).otherwise(0).cast(pl.Int32).alias("upper_attendees"),
        pl.when(mtype.is_in(["regular", "combined"])).then(pl.col("v_crit") < pick(CRIT_P, tier))
        .when(mtype == "thematic").then(pl.col("v_crit") < 0.15).otherwise(False).alias("criticism_held"),
        (pl.col("v_hcm") < 0.7).alias("hcm_story"),
        pl.when(mtype == "thematic").then(pl.col("v_res") < 0.6).otherwise(pl.col("v_res") < 0.96).alias("resolution_adopted"),
        (pl.col("v_sig") >= pick(UNSIGNED_P, tier)).alias("minutes_signed"),
        posted.cast(pl.Date).alias("materials_posted_on"),
        (pl.col("v_noatt") < pick(NO_ATT_P, tier)).alias("no_att"),
    )
    return mt


def _month_attendance(mt: pl.DataFrame, mem: pl.DataFrame, my: pl.DataFrame, seed: int, p: int,
                      y: int, m: int) -> pl.DataFrame:
    f_o = o(dt.date(y, m, 1))
    eff = mem.select("mi", "member_id", "start", "end", "removed_from", "exempt",
                     pl.when(pl.col("move_day") < f_o).then(pl.col("new_cell")).otherwise(pl.col("cell")).alias("cell"))
    eff = eff.join(my, on="mi", how="left", maintain_order="left")
    mts = mt.filter(pl.col("no_att").not_()).select(
        pl.int_range(pl.len(), dtype=pl.Int32).alias("mo"), "meeting_id", "cell", "date", "meeting_type", "tier",
        "speak_p", (pl.col("kind") == "armed_forces").alias("armed"))
    a = mts.join(eff, on="cell", how="inner")
    a = a.filter((pl.col("date") >= pl.col("start")) & (pl.col("date") <= pl.col("end")) &
                 (pl.col("date") < pl.col("removed_from"))).sort("mo", "mi")
    n = a.height
    k = (seed, "att", p, y, m)
    a = a.with_columns(uniform(n, *k, "s").alias("us"), uniform(n, *k, "sp").alias("usp"),
                       uniform(n, *k, "r").alias("ur"), uniform(n, *k, "d").alias("ud"))
    away = (pl.col("away_m0") > 0) & (pl.lit(m) >= pl.col("away_m0")) & (pl.lit(m) < pl.col("away_m0") + pl.col("away_len"))
    rem = ((pl.col("rem_mask") // (2 ** (m - 1))) % 2 == 1) & (pl.col("meeting_type") != "extraordinary")
    unexc = pick(UNEXC_P, pl.col("tier"))
    status = (pl.when(pl.col("exempt")).then(pl.lit("exempt"))
              .when(pl.col("armed") & (pl.col("ud") < 0.05)).then(pl.lit("special_duty"))
              .when(away).then(pl.lit("excused"))
              .when(rem).then(pl.lit("unexcused"))
              .when(pl.col("us") < unexc).then(pl.lit("unexcused"))
              .when(pl.col("us") < unexc + pick(EXC_P, pl.col("tier"))).then(pl.lit("excused"))
              .otherwise(pl.lit("present")))
    a = a.with_columns(status.alias("status"), away.alias("away"))
    a = a.with_columns(
        pl.when(pl.col("status") == "excused").then(
            pl.when(pl.col("away")).then(pick(N.AWAY_REASONS, (pl.col("ur") * len(N.AWAY_REASONS)).floor()))
            .otherwise(pick(N.ABSENCE_REASONS, (pl.col("ur") * len(N.ABSENCE_REASONS)).floor()))).otherwise(None).alias("absence_reason"))
    return a.rename({"usp": "_"}).with_columns(pl.col("status").eq("present").and_(pl.col("_") < pl.col("speak_p")).alias("spoke"))


# ---------------------------------------------------------------- cells and evidence
CELL_LEVELS = ("chi_bo", "chi_bo_co_so")
ASSESSED = ("cap_tren_co_so", "dang_bo_co_so", "chi_bo_co_so", "chi_bo")


def _cells_of(tree: pl.DataFrame, seed: int, p: int) -> pl.DataFrame:
    """One row per cell (an org that is a cell in any of its versions), with its internal index."""
    ids = tree.filter(pl.col("level").is_in(CELL_LEVELS))["org_id"].unique()
    cells = tree.filter(pl.col("valid_from").is_null(), pl.col("org_id").is_in(ids.implode())).with_row_index("cell")
    cells = cells.with_columns(pl.col("cell").cast(pl.Int32), pl.col("org_id").alias("cell_id"),
                               pl.col("established_on").cast(pl.Int32).alias("est"),
                               pl.col("dissolved_on").cast(pl.Int32).alias("diss"),
                               pl.col("churn_new").alias("is_new"),
                               uniform(cells.height, seed, "pers", p).alias("pers"))
    # members of a merged cell go to the new cell; of another dissolved cell, to a sibling that
    # lives through the whole period
    r = pyrandom(seed, "moves", p)
    index = dict(zip(cells["cell_id"].to_list(), cells["cell"].to_list()))
    rows = cells.select("cell", "parent_id", "diss", "is_new", "merge_target", "successor_id").rows()
    by_parent: dict = {}
    for c, par, diss, new, target, _s in rows:
        if diss is None and not new and not target:
            by_parent.setdefault(par, []).append(c)
    move: list[int | None] = []
    for c, par, diss, _n, _t, succ in rows:
        if diss is None:
            move.append(None)
        elif succ in index:
            move.append(index[succ])
        else:
            move.append(r.choice(by_parent.get(par) or [c]))
    return cells.with_columns(pl.Series("move_to", move, dtype=pl.Int32))


class Evidence:
    """What chibo will read of each cell-year, gathered month by month (the counted meetings
    and their attendance rows), and the org-years the planted problems spoil."""

    def __init__(self) -> None:
        self.meet: list[pl.DataFrame] = []
        self.att: list[pl.DataFrame] = []
        self.spoiled: dict[int | None, set[str]] = {}
        self.bad_members: set[str] = set()   # register rows a planted problem spoils

    def spoil(self, ids, year: int | None) -> None:
        self.spoiled.setdefault(year, set()).update(x for x in ids if x)

    def spoiled_in(self, year: int) -> list[str]:
        return sorted(self.spoiled.get(year, set()) | self.spoiled.get(None, set()))

    def on_touch(self, kind: str, rows: pl.DataFrame) -> None:
        if kind == "meetings":
            for cid, d in rows.select("cell_id", "meeting_date").iter_rows():
                self.spoil([cid], int(d[:4]) if d and d[:4].isdigit() else None)
        elif kind == "attendance":
            for mid in rows["meeting_id"].to_list():
                parts = (mid or "").split(".")
                self.spoil([parts[0]], int(parts[1][:4]) if len(parts) > 1 and parts[1][:4].isdigit() else None)
        elif kind == "members":
            self.spoil(rows["cell_id"].to_list(), None)
            self.bad_members.update(x for x in rows["member_id"].to_list() if x)
        elif kind in ("assessments", "official_ratings"):
            for oid, y in rows.select("org_id", "year").iter_rows():
                self.spoil([oid], int(y) if y and y.isdigit() else None)
        elif kind == "member_ratings":
            for cid, y in rows.select("cell_id", "year").iter_rows():
                self.spoil([cid], int(y) if y and y.isdigit() else None)

    def add_month(self, m: int, mt: pl.DataFrame, att: pl.DataFrame) -> None:
        """The month's counted meetings (extraordinary ones count for nothing) and their rows."""
        counted = pl.col("meeting_type") != "extraordinary"
        self.meet.append(mt.filter(counted).select(
            "cell", "meeting_id", "meeting_type", pl.col("date").cast(pl.Int32),
            pl.col("dur").cast(pl.Int32), "minutes_signed", "criticism_held",
            pl.col("materials_posted_on").cast(pl.Int32).alias("posted"), "no_att"))
        self.att.append(att.filter(counted).select(
            "cell", "meeting_id", "member_id", pl.col("date").cast(pl.Int32), "meeting_type",
            "status", "spoke"))

    def year_frame(self, cells: pl.DataFrame, y: int, as_of: dt.date, rb) -> pl.DataFrame:
        """Per cell: what the model's cell-year metrics will hold (official.EVIDENCE_COLUMNS)
        from the meetings and attendance written for year y; resets. Cells whose rows meet a
        spoiled register row are spoiled for the year."""
        meet = pl.concat(self.meet) if self.meet else None
        att = pl.concat(self.att) if self.att else None
        self.meet, self.att = [], []
        if att is not None and self.bad_members:
            bad = att.filter(pl.col("member_id").is_in(sorted(self.bad_members)))["cell"].unique()
            self.spoil(cells.filter(pl.col("cell").is_in(bad.implode()))["cell_id"].to_list(), y)
        from chibo.generate.official import cell_evidence
        return cell_evidence(cells, meet, att, y, as_of, rb, self.spoiled_in(y),
                             sorted(self.bad_members))


# ---------------------------------------------------------------- org_units deliveries
ORG_COLS = [col.name for col in CONTRACT["org_units"].columns]
V2_OPTIONAL = ("valid_from", "successor_id", "decision")


def _org_rows(df: pl.DataFrame, known_by: dt.date) -> pl.DataFrame:
    """Contract columns; a dissolution (date, successor, decision) only once it has happened."""
    known = pl.col("dissolved_on").is_not_null() & (pl.col("dissolved_on") <= known_by)
    return df.with_columns(
        pl.when(known).then(pl.col("dissolved_on")).otherwise(None).alias("dissolved_on"),
        pl.when(known).then(pl.col("successor_id")).otherwise(None).alias("successor_id"),
        pl.when(known | (pl.col("dissolved_on").is_null() & pl.col("established_on").is_not_null()))
        .then(pl.col("decision")).otherwise(None).alias("decision")).select(ORG_COLS)


def _deliver_tree(dv: Deliverer, tree: pl.DataFrame, spec: ProvinceSpec, start: dt.date, end: dt.date,
                  as_of: dt.date, c: Counters) -> None:
    deliv0 = min(start + dt.timedelta(days=4), as_of)
    init = tree.filter((pl.col("established_on").is_null() | (pl.col("established_on") <= start)) &
                       (pl.col("valid_from").is_null() | (pl.col("valid_from") <= start)))
    init_rows = _org_rows(init, start - dt.timedelta(days=1))
    # a period that starts before the reform gets its first tree in the v1 layout
    init_rows = init_rows.drop([k for k in V2_OPTIONAL if init_rows[k].null_count() == init_rows.height])
    mut = None
    if spec.plant_bad:
        def mut(s, rel):  # a cell typed with its dissolution before its establishment
            bad = pl.DataFrame({k: [None] for k in s.columns}, schema=s.schema).with_columns(
                pl.lit(f"{spec.prefix}H01-X01-C99").alias("org_id"), pl.lit("Chi bộ thôn 99 (nhập thử)").alias("name"),
                pl.lit("chi_bo").alias("level"), pl.lit(f"{spec.prefix}H01-X01").alias("parent_id"),
                pl.lit("residential").alias("kind"), pl.lit("2020-05-01").alias("established_on"),
                pl.lit("2019-05-01").alias("dissolved_on"))
            _bad(c, "org_units", rel, s.height, "dissolved_on", "dissolved_before_established")
            return pl.concat([s, bad])
    dv.write(init_rows, "org_units", deliv0, f"{spec.slug}-cay-to-chuc", mutate=mut)
    # the reorganisation, delivered on 1/7/2025: dissolutions, new versions, new organisations
    if start < REFORM <= min(end, as_of):
        gone = tree.filter(pl.col("role") == "reform", pl.col("dissolved_on") == EVE)
        dv.write(_org_rows(gone, REFORM), "org_units", REFORM, f"{spec.slug}-giai-the")
        moved = tree.filter(pl.col("valid_from") == REFORM)
        dv.write(_org_rows(moved, REFORM), "org_units", REFORM, f"{spec.slug}-sap-xep",
                 dv.style("org_units", spec.slug, "reform"))
        made = tree.filter(pl.col("role").is_in(["reform", "shared"]), pl.col("established_on") == REFORM)
        dv.write(_org_rows(made, REFORM), "org_units", REFORM, f"{spec.slug}-thanh-lap")


def _deliver_churn(dv: Deliverer, tree: pl.DataFrame, first: dt.date, last: dt.date, deliv: dt.date,
                   split, gname) -> None:
    """Cells set up or dissolved in a month: every version known by the delivery."""
    chg = tree.filter(pl.col("role") == "churn",
                      pl.col("established_on").is_between(first, last) | pl.col("dissolved_on").is_between(first, last))
    if not chg.height:
        return
    chg = chg.filter(pl.col("valid_from").is_null() | (pl.col("valid_from") <= deliv))
    for g, part in split(chg):
        dv.write(_org_rows(part, deliv), "org_units", deliv, f"{gname(g)}-thanh-lap-giai-the")


# ---------------------------------------------------------------- one province
@dataclass
class GroupState:
    """What the new provincial bodies (shared by the old provinces of one new province) need
    to be rated: their sub-units' estimates, collected from each old province."""
    subs: dict = field(default_factory=dict)        # year -> [frames]
    own: dict = field(default_factory=dict)         # year -> (org-year frame, assessment frame)


def generate_group(ns: MergedSpec, years: tuple[int, int], out: Path, seed: int, as_of: dt.date,
                   c: Counters, limit: int | None = None) -> int:
    """Every old province of one new province; returns how many old provinces it generated."""
    state = GroupState()
    done = 0
    for oi, spec in enumerate(ns.olds):
        if limit is not None and done >= limit:
            break
        generate_one(spec, ns, oi, years, out, seed, as_of, c, state)
        done += 1
    lead = ns.olds[0]
    dv = Deliverer(out, lead, seed, as_of, c)
    for y in sorted(state.own):
        oy, ass = state.own[y]
        subs = pl.concat(state.subs.get(y, [])) if state.subs.get(y) else None
        _deliver_official(dv, lead, y, oy, ass, None, None, subs, seed, as_of, c, Evidence(),
                          lambda df: [(None, df)], lambda g: ns.slug, shared_only=True, state=None, ns=ns)
    return done


def generate_one(spec: ProvinceSpec, ns: MergedSpec, oi: int, years: tuple[int, int], out: Path, seed: int,
                 as_of: dt.date, c: Counters, state: GroupState) -> None:
    start, end = dt.date(years[0], 1, 1), dt.date(years[1], 12, 31)
    p = spec.number
    dv = Deliverer(out, spec, seed, as_of, c)
    ev = Evidence()
    dv.on_touch = ev.on_touch
    tree = build_tree(spec, ns, oi, seed, start, end)
    tree = tree.filter((pl.col("established_on").is_null() | (pl.col("established_on") <= as_of)) &
                       (pl.col("valid_from").is_null() | (pl.col("valid_from") <= as_of)))
    later = pl.col("dissolved_on") > as_of
    tree = tree.with_columns(*[pl.when(later).then(None).otherwise(pl.col(k)).alias(k)
                               for k in ("dissolved_on", "successor_id", "decision")])
    cells = _cells_of(tree, seed, p)
    mem = build_members(spec, cells, seed, start, end, as_of)
    mem = mem.filter(pl.col("joined") <= o(as_of), pl.col("start") <= o(as_of))
    s_o = o(start)
    # the cell a member sits in at the start, and the cells chaired from the members' cells
    mem = mem.with_columns(pl.when(pl.col("move_day") < s_o).then(pl.col("new_cell")).otherwise(pl.col("cell"))
                           .alias("cell0"))
    seats = pl.concat([mem.select("cell", "member_id"),
                       mem.filter(pl.col("new_cell").is_not_null()).select(pl.col("new_cell").alias("cell"), "member_id")])
    first2 = seats.group_by("cell").agg(pl.col("member_id").sort().first().alias("chair"),
                                        pl.col("member_id").sort().slice(1, 1).first().alias("secretary"))
    cells = cells.join(first2, on="cell", how="left", maintain_order="left").with_columns(
        pl.col("chair").fill_null("DV000000"), pl.col("secretary").fill_null(pl.col("chair")).fill_null("DV000000"))
    groups = list(range(len(spec.districts) + 1)) if spec.group_by_district else [None]

    def gname(g):
        if g is None:
            return spec.slug
        return spec.districts[g][1] if g < len(spec.districts) else f"{spec.slug}-khoi"

    def split(df: pl.DataFrame, col: str = "district"):
        for g in groups:
            yield g, (df.filter(pl.col(col) == g) if g is not None else df)

    _deliver_tree(dv, tree, spec, start, end, as_of, c)
    c.orgs += tree["org_id"].n_unique()

    # ---- the initial register
    init_mem = mem.filter(pl.col("start") <= s_o, pl.col("joiner").not_(), pl.col("is_new").not_())
    st0 = pl.when(pl.col("exempt")).then(pl.lit("exempt")).otherwise(pl.lit("active"))
    init_mem = init_mem.join(cells.select(pl.col("cell").alias("cell0"), "district"), on="cell0", how="left",
                             maintain_order="left")
    for g, part in split(init_mem):
        rows = member_rows(part, cells, "cell0", status=st0)
        style, mut = dv.style("members", gname(g), "init"), None
        if spec.plant_bad and g == 1:
            style = "plain"

            def mut(s, rel):
                s = _set(s, 4, "official_on", "1950-01-01")
                _bad(c, "members", rel, 4, "official_on", "official_before_joined")
                j = s["joined_on"][9]
                s = _set(s, 9, "birth_date", f"{int(j[:4]) - 15}{j[4:]}")
                _bad(c, "members", rel, 9, "joined_on", "under_18_at_joining")
                s = _set(s, 14, "birth_date", "12/13/1980")
                _bad(c, "members", rel, 14, "birth_date", "invalid_date")
                return s
        dv.write(rows, "members", min(start + dt.timedelta(days=4), as_of), f"{gname(g)}-so-dang-vien", style,
                 mutate=mut)
    c.members += mem.height

    bad_month = (years[0], 3)
    for y in range(years[0], years[1] + 1):
        if dt.date(y, 1, 1) > as_of:
            break
        cy = _year_cells(cells, seed, p, y)
        # member-year behaviours
        nm = mem.height
        k = (seed, "my", p, y)
        mid_o = o(dt.date(y, 7, 1))
        my = mem.select("mi", "exempt", pl.when(pl.col("move_day") < mid_o).then(pl.col("new_cell")).otherwise(pl.col("cell")).alias("cell"))
        my = my.join(cy.select("cell", "tier"), on="cell", how="left", maintain_order="left").with_columns(
            *[uniform(nm, *k, x).alias(x) for x in ("a", "a1", "a2", "r", "r1", "r2", "r3", "dis")])
        my = my.with_columns(
            pl.when((pl.col("a") < pick(AWAY_P, pl.col("tier"))) & pl.col("exempt").not_())
            .then(1 + (pl.col("a1") * 8).floor()).otherwise(0).cast(pl.Int32).alias("away_m0"),
            (4 + (pl.col("a2") * 3).floor()).cast(pl.Int32).alias("away_len"),
            ((pl.col("r") < pick(REMOVAL_P, pl.col("tier"))) & pl.col("exempt").not_()).alias("removal"),
            (pl.col("dis") < pl.when(pl.col("tier") == 3).then(0.03).otherwise(0.006)).alias("disciplined"))
        m1 = 1 + (pl.col("r1") * 4).floor().cast(pl.Int32)
        m2 = m1 + 1 + (pl.col("r2") * 3).floor().cast(pl.Int32)
        m3 = m2 + 1 + (pl.col("r3") * 4).floor().cast(pl.Int32)
        mask = pl.lit(2, dtype=pl.Int32).pow(m1 - 1) + pl.lit(2, dtype=pl.Int32).pow(m2 - 1) + pl.lit(2, dtype=pl.Int32).pow(m3 - 1)
        my = my.with_columns(pl.when(pl.col("removal")).then(mask).otherwise(0).cast(pl.Int32).alias("rem_mask"))
        my_att = my.select("mi", "away_m0", "away_len", "rem_mask")
        for m in range(1, 13):
            first = dt.date(y, m, 1)
            if first > as_of:
                break
            deliv = min(next_month_5(y, m), as_of)
            mt = _month_meetings(cy, seed, p, y, m, as_of)
            att = _month_attendance(mt, mem, my_att, seed, p, y, m)
            att = att.join(cells.select("cell", "district"), on="cell", how="left", maintain_order="left")
            ev.add_month(m, mt, att)
            c.meetings += mt.height
            c.attendance_rows += att.height
            f_o, l_o = o(first), o(month_last(y, m))
            # register changes of the month
            chg = []
            # a register row names the cell the member sits in that month (after a move, the new one)
            cur = pl.when(pl.col("move_day") < f_o).then(pl.col("new_cell")).otherwise(pl.col("cell")).alias("cur")
            j = mem.with_columns(cur).filter(((pl.col("joiner") | pl.col("is_new")) & (pl.col("start") >= f_o) & (pl.col("start") <= l_o)))
            if j.height:
                chg.append(member_rows(j, cells, "cur", status=pl.lit("active")).with_columns(j["cur"].alias("cell")))
            mv = mem.filter(pl.col("move_day").is_between(f_o, l_o))
            if mv.height:
                chg.append(member_rows(mv, cells, "new_cell", status=st0).with_columns(mv["new_cell"].alias("cell")))
            lv = mem.with_columns(cur).filter(pl.col("end").is_between(f_o, l_o))
            if lv.height:
                chg.append(member_rows(lv, cells, "cur").with_columns(lv["cur"].alias("cell")))
            rm = mem.with_columns(cur).filter(pl.col("removed_from").is_between(f_o, l_o))
            if rm.height:
                chg.append(member_rows(rm, cells, "cur", status=pl.lit("removed")).with_columns(rm["cur"].alias("cell")))
            chg_df = (pl.concat(chg).unique("member_id", keep="last", maintain_order=True)
                      .join(cells.select("cell", "district"), on="cell", how="left", maintain_order="left")
                      if chg else None)
            _deliver_churn(dv, tree, first, month_last(y, m), deliv, split, gname)
            for g, mpart in split(mt):
                name = gname(g)
                style = dv.style("meetings", name, (y, m))
                mut_m = mut_a = None
                if spec.plant_bad and (y, m) == bad_month and g == 0:
                    style = "plain"
                    mut_m, mut_a = _meeting_mutations(c), _attendance_mutations(c)
                if chg_df is not None:
                    part = chg_df if g is None else chg_df.filter(pl.col("district") == g)
                    dv.write(part.drop("cell", "district"), "members", deliv, f"{name}-bien-dong")
                dv.write(mpart.select(MEETING_COLS), "meetings", deliv, name, style, mutate=mut_m)
                apart = att if g is None else att.filter(pl.col("district") == g)
                dv.write(apart.select(ATT_COLS), "attendance", deliv, name, style, mutate=mut_a)
                # corrections, delivered ten days later so the path sorts after the original
                corr = deliv + dt.timedelta(days=10)
                bad_here = spec.plant_bad and (y, m) == bad_month and g == 0
                if spec.rich and corr <= as_of and (bad_here or pyrandom(seed, "corr", name, y, m).random() < 0.08):
                    _corrections(dv, ev, mpart, apart, corr, name, y, fix_bad=bad_here)
        evidence = ev.year_frame(cells, y, as_of, _rulebook(y))
        # removal realised in February of the next year for most candidates
        rem_day = o(dt.date(y + 1, 2, 10))
        if rem_day <= o(as_of):
            rm_ids = my.filter(pl.col("removal"), pl.col("r1") < 0.6 / 1.0)["mi"]
            mem = mem.with_columns(pl.when(pl.col("mi").is_in(rm_ids.implode()) & (pl.col("end") > rem_day))
                                   .then(pl.lit(rem_day)).otherwise(pl.col("removed_from")).cast(pl.Int32).alias("removed_from"))
        # yearly assessments and ratings, delivered in January of the next year
        da, dr = dt.date(y + 1, 1, 20), dt.date(y + 1, 1, 25)
        oy = org_year(tree, y, as_of)
        ass = rat = None
        if da <= as_of:
            ass = _assessments(oy, cy, seed, p, y)
            c.assessments += ass.height
            for g, part in split(ass):
                name = gname(g)
                style, mut = dv.style("assessments", name, y), None
                if spec.plant_bad and y == years[0] and g == 2:
                    style, mut = "plain", _assessment_mutations(c)
                dv.write(part.drop("district"), "assessments", da, f"{name}-danh-gia", style, mutate=mut)
        if dr <= as_of:
            rat = _ratings(mem, my, cells, seed, p, y)
            c.member_ratings += rat.height
            for g, part in split(rat):
                name = gname(g)
                style, mut = dv.style("member_ratings", name, y), None
                if spec.plant_bad and y == years[0] and g == 3:
                    style, mut = "plain", _rating_mutations(c)
                dv.write(part.drop("district"), "member_ratings", dr, f"{name}-xep-loai", style, mutate=mut)
        if ass is not None and rat is not None:
            _deliver_official(dv, spec, y, oy, ass, evidence, rat, None, seed, as_of, c, ev, split, gname,
                              shared_only=False, state=state, ns=ns)

def _first_idx(s: pl.DataFrame, col: str, values: list[str], after: int, avoid: set[int]) -> int | None:
    idx = s.with_row_index("i").filter(pl.col(col).is_in(values), pl.col("i") > after)["i"].to_list()
    return next((i for i in idx if i not in avoid), None)


def _meeting_mutations(c: Counters):
    def mut(s: pl.DataFrame, rel: str) -> pl.DataFrame:
        y = s["meeting_date"][1][:4]
        s = _set(s, 1, "meeting_date", f"{y}-02-30"); _bad(c, "meetings", rel, 1, "meeting_date", "invalid_date")
        s = _set(s, 3, "meeting_type", "họp chi bộ"); _bad(c, "meetings", rel, 3, "meeting_type", "unknown_enum")
        st, en = s["start_time"][5], s["end_time"][5]
        s = _set(_set(s, 5, "start_time", en), 5, "end_time", st); _bad(c, "meetings", rel, 5, "end_time", "end_before_start")
        s = _set(s, 7, "upper_attendees", "75"); _bad(c, "meetings", rel, 7, "upper_attendees", "out_of_range")
        s = _set(s, 9, "minutes_signed", "chưa rõ"); _bad(c, "meetings", rel, 9, "minutes_signed", "invalid_bool")
        i = _first_idx(s, "meeting_type", ["thematic", "combined"], 10, set())
        if i is not None:
            s = _set(s, i, "topic", None); _bad(c, "meetings", rel, i, "topic", "topic_required")
        return s
    return mut


def _attendance_mutations(c: Counters):
    def mut(s: pl.DataFrame, rel: str) -> pl.DataFrame:
        used = {2, 6}
        s = _set(s, 2, "status", "vang mat"); _bad(c, "attendance", rel, 2, "status", "unknown_enum")
        i = _first_idx(s, "status", ["excused"], 10, used)
        if i is not None:
            used.add(i)
            s = _set(s, i, "absence_reason", None); _bad(c, "attendance", rel, i, "absence_reason", "reason_required")
        j = _first_idx(s, "status", ["unexcused", "excused"], 10, used)
        if j is not None:
            s = _set(s, j, "spoke", "true"); _bad(c, "attendance", rel, j, "spoke", "spoke_while_absent")
        _bad(c, "attendance", rel, 6, "meeting_id", "duplicate_key_in_file")
        _bad(c, "attendance", rel, s.height, "meeting_id", "duplicate_key_in_file")
        return pl.concat([s, s.slice(6, 1)])
    return mut


def _assessment_mutations(c: Counters):
    def mut(s: pl.DataFrame, rel: str) -> pl.DataFrame:
        s = _set(s, 0, "targets_met", str(int(s["targets_total"][0]) + 2)); _bad(c, "assessments", rel, 0, "targets_met", "out_of_range")
        s = _set(s, 3, "targets_exceeded", "ba"); _bad(c, "assessments", rel, 3, "targets_exceeded", "invalid_int")
        return s
    return mut


def _rating_mutations(c: Counters):
    def mut(s: pl.DataFrame, rel: str) -> pl.DataFrame:
        s = _set(s, 0, "rating", "Tốt"); _bad(c, "member_ratings", rel, 0, "rating", "unknown_enum")
        s = _set(s, 3, "disciplined", "không rõ"); _bad(c, "member_ratings", rel, 3, "disciplined", "invalid_bool")
        return s
    return mut


def _corrections(dv: Deliverer, ev: Evidence, mpart: pl.DataFrame, apart: pl.DataFrame, corr: dt.date,
                 name: str, y: int, fix_bad: bool) -> None:
    if mpart.height < 12 or apart.height < 20:
        return
    rows = [1, 3, 5] if fix_bad else [2, 4]
    mc = mpart.select(MEETING_COLS).with_row_index("i").filter(pl.col("i").is_in(rows)).drop("i")
    if not fix_bad:
        mc = mc.with_columns(pl.lit(True).alias("minutes_signed"))
    mc = mc.with_columns(pl.lit("upsert").alias("action"))
    dv.write(mc, "meetings", corr, f"{name}-dinh-chinh-2")
    a = apart.select(ATT_COLS)
    up = (a.with_row_index("i").filter(pl.col("status") == "unexcused", pl.col("i") > 10).head(3).drop("i")
          .with_columns(pl.lit("excused").alias("status"), pl.lit(False).alias("spoke"),
                        pl.lit("Ốm, bổ sung giấy xin phép").alias("absence_reason")))
    dl = a.slice(a.height - 3, 2).select(
        "meeting_id", "member_id", pl.lit(None, dtype=pl.String).alias("status"),
        pl.lit(None, dtype=pl.Boolean).alias("spoke"), pl.lit(None, dtype=pl.String).alias("absence_reason"))
    ac = pl.concat([up.with_columns(pl.lit("upsert").alias("action")),
                    dl.with_columns(pl.lit("delete").alias("action"))])
    dv.write(ac, "attendance", corr, f"{name}-dinh-chinh-2")
    ev.spoil(mc["cell_id"].to_list() + [m.split(".")[0] for m in ac["meeting_id"].to_list()], y)


# ---------------------------------------------------------------- yearly assessments
_RULES = None


def rules():
    """The shipped rulebooks (which years use the score and rate timeliness; ladders)."""
    global _RULES
    if _RULES is None:
        from chibo.rulebooks import load_rulebooks
        _RULES = load_rulebooks()
    return _RULES


def _rulebook(y: int):
    try:
        return rules().for_year(y)
    except Exception:   # a year no rulebook covers: assessments without score; no official ratings
        return None


ASSESS_COLS = [col.name for col in CONTRACT["assessments"].columns]


def _assessments(oy: pl.DataFrame, cy: pl.DataFrame, seed: int, p: int, y: int) -> pl.DataFrame:
    """One assessment per org of an assessed level in the year's tree (cấp trên cơ sở included),
    except those dissolved before July and 1% never assessed. From the years whose rulebook rates
    timeliness (QĐ 366) with targets_late and leaders_disciplined, so that every rung occurs."""
    rb = _rulebook(y)
    uses_score = bool(rb and rb.uses_score)
    timely = bool(rb and rb.rates_timeliness)
    half = dt.date(y, 7, 1)
    orgs = oy.filter(pl.col("level").is_in(ASSESSED),
                     pl.col("dissolved_on").is_null() | (pl.col("dissolved_on") >= half))
    orgs = orgs.join(cy.select(pl.col("cell_id").alias("org_id"), pl.col("tier").alias("ctier")), on="org_id",
                     how="left", maintain_order="left")
    n = orgs.height
    k = (seed, "ass", p, y)
    orgs = orgs.with_columns(*[uniform(n, *k, x).alias(x) for x in
                               ("t", "tot", "met", "exc", "mode", "mass", "fix", "sc", "miss", "late", "lead", "sc2", "ex2")])
    own = pl.when(pl.col("t") < 0.5).then(0).when(pl.col("t") < 0.9).then(1).when(pl.col("t") < 0.98).then(2).otherwise(3)
    orgs = orgs.with_columns(pl.coalesce(pl.col("ctier"), own).cast(pl.Int32).alias("tier"),
                             (8 + (pl.col("tot") * 13).floor()).cast(pl.Int32).alias("targets_total"))
    t, tot = pl.col("tier"), pl.col("targets_total")
    if timely:
        # QĐ 366: failed below 50 points, disciplined, disunity, a task not done, > 20% late
        mode = pl.when(t == 3).then((pl.col("mode") * 5).floor()).otherwise(-1)
        met = (pl.when(mode == 0).then((tot * (0.3 + 0.3 * pl.col("met"))).floor())
               .when(mode == 3).then(tot - 1 - (pl.col("met") * 2).floor())
               .when((t == 1) & (pl.col("met") < 0.03)).then(tot - 1)
               .otherwise(tot)).cast(pl.Int32)
        late = (pl.when(t == 0).then(0)
                .when(t == 1).then(pl.when(pl.col("late") < 0.15).then(1).otherwise(0))
                .when(t == 2).then(pl.when(pl.col("late") < 0.2).then(0).otherwise(1 + (pl.col("late") * 2).floor()))
                .when(mode == 4).then((tot * 0.2).floor() + 1 + (pl.col("late") * 2).floor())
                .otherwise((pl.col("late") * 2).floor()))
        score = (pl.when(t == 0).then(pl.when(pl.col("sc2") < 0.12).then(84 + pl.col("sc") * 5.75).otherwise(90 + pl.col("sc") * 9.75))
                 .when(t == 1).then(70 + pl.col("sc") * 21.0)
                 .when(t == 2).then(50 + pl.col("sc") * 24.0)
                 .when(mode == 0).then(25 + pl.col("sc") * 24.75)
                 .otherwise(45 + pl.col("sc") * 35.0))
        exc = (pl.when(t == 0).then(pl.when(pl.col("ex2") < 0.1).then((tot * 0.2 * pl.col("exc")).floor())
                                    .otherwise((tot * (0.3 + 0.3 * pl.col("exc"))).ceil()))
               .when(t == 1).then((tot * (0.05 + 0.3 * pl.col("exc"))).floor())
               .otherwise((tot * 0.12 * pl.col("exc")).floor()))
        orgs = orgs.with_columns(met.alias("targets_met"), mode.alias("fmode"))
        orgs = orgs.with_columns(
            pl.min_horizontal(late.cast(pl.Int32), pl.col("targets_met")).alias("targets_late"),
            (pl.col("lead") < pick([0.03, 0.03, 0.05, 0.15], t)).alias("leaders_disciplined"))
    else:
        mode = pl.when(t == 3).then((pl.col("mode") * 3).floor()).otherwise(-1)
        met = (pl.when(t == 0).then(tot)
               .when(t == 1).then(pl.when(pl.col("met") < 0.82).then(tot).otherwise(tot - 1))
               .when(mode == 0).then((tot * (0.25 + 0.2 * pl.col("met"))).floor())
               .otherwise((tot * (0.55 + 0.45 * pl.col("met"))).floor())).cast(pl.Int32)
        exc = (pl.when(t == 0).then((tot * (0.3 + 0.3 * pl.col("exc"))).ceil())
               .when(t == 1).then((tot * (0.05 + 0.3 * pl.col("exc"))).floor())
               .otherwise((tot * 0.12 * pl.col("exc")).floor()))
        score = (pick([90.0, 70.0, 50.0, 30.0], t) + pl.col("sc") * pick([9.75, 21.0, 26.0, 19.75], t))
        orgs = orgs.with_columns(met.alias("targets_met"), mode.alias("fmode"),
                                 pl.lit(None, dtype=pl.Int32).alias("targets_late"),
                                 pl.lit(None, dtype=pl.Boolean).alias("leaders_disciplined"))
    score = (score * 4).floor() / 4
    orgs = orgs.with_columns(
        pl.min_horizontal(exc.cast(pl.Int32), pl.col("targets_met")).alias("targets_exceeded"),
        ((pl.col("fmode") == 1) | ((t >= 1) & (pl.col("lead") > 0.996))).alias("org_disciplined"),
        (pl.col("fmode") == 2).alias("disunity"),
        (pl.col("mass") < pick([0.97, 0.9, 0.75, 0.5], t)).alias("mass_orgs_good"),
        (pl.col("fix") < pick([0.96, 0.88, 0.7, 0.5], t)).alias("shortcomings_fixed"),
        (score if uses_score else pl.lit(None)).cast(pl.Float64).alias("score"))
    return (orgs.filter(pl.col("miss") >= 0.01).with_columns(pl.lit(y, dtype=pl.Int32).alias("year"))
            .select(*ASSESS_COLS, "district"))


# ---------------------------------------------------------------- official ratings
OFFICIAL_COLS = [col.name for col in CONTRACT["official_ratings"].columns]
SHARED_LEVEL = "cap_tren_co_so"


def _estimates(spec: ProvinceSpec, ns: MergedSpec, y: int, oy: pl.DataFrame, ass: pl.DataFrame,
               evidence: pl.DataFrame, rat: pl.DataFrame, ev: Evidence, rb, state: GroupState) -> pl.DataFrame:
    from chibo.generate.official import (
        BELOW,
        EVIDENCE_COLUMNS,
        estimate_cells,
        estimate_collectives,
    )
    spoiled = ev.spoiled_in(y)
    a = ass.drop("district").with_columns(pl.lit(True).alias("has_assessment"))
    shared = [ns.cqd, ns.ub]

    def with_assessment(df: pl.DataFrame) -> pl.DataFrame:
        return (df.join(a, on="org_id", how="left").with_columns(
            pl.col("has_assessment").fill_null(False),
            pl.col("org_id").is_in(spoiled).alias("touched")))
    ratings = rat.group_by("cell_id").agg(
        pl.len().cast(pl.Int64).alias("rated"),
        (pl.col("rating") == "excellent").sum().cast(pl.Int64).alias("rated_excellent"),
        (pl.col("rating") == "good").sum().cast(pl.Int64).alias("rated_good"),
        (pl.col("rating") == "failed").sum().cast(pl.Int64).alias("rated_failed"),
        pl.col("disciplined").sum().cast(pl.Int64).alias("disciplined_members")).rename({"cell_id": "org_id"})
    cells = (oy.filter(pl.col("level").is_in(CELL_LEVELS)).select("org_id", "months_active")
             .join(evidence.drop("cell").rename({"cell_id": "org_id"}), on="org_id", how="left")
             .join(ratings, on="org_id", how="left")
             .with_columns(*[pl.col(x).fill_null(0) for x in
                             (*EVIDENCE_COLUMNS, "rated", "rated_excellent", "rated_good",
                              "rated_failed", "disciplined_members")]))
    est_c = estimate_cells(with_assessment(cells), rb, y)
    tree_y = oy.select("org_id", "level", "parent_id", "kind")
    parent_level = tree_y.select(pl.col("org_id").alias("parent_id"), pl.col("level").alias("parent_level"),
                                 pl.col("parent_id").alias("grand_id"))
    placed = lambda est: (est.join(tree_y, on="org_id", how="left")                      # noqa: E731
                          .join(parent_level, on="parent_id", how="left"))
    pc = placed(est_c)
    # sub-units of a đảng bộ cơ sở: its chi bộ, also through a đảng bộ bộ phận
    subs_d = pc.filter(pl.col("level") == "chi_bo").with_columns(
        pl.when(pl.col("parent_level") == "dang_bo_bo_phan").then(pl.col("grand_id")).otherwise(pl.col("parent_id")).alias("parent"))
    dbcs = with_assessment(oy.filter(pl.col("level") == "dang_bo_co_so").select("org_id", "level"))
    est_d = estimate_collectives(dbcs, subs_d, rb, y)
    pd_ = placed(est_d)
    cols = ["parent", "is_null", "best", "worst", "mq_good", "sub_disciplined", "touched", *BELOW]
    subs_u = pl.concat([pc.filter(pl.col("parent_level") == "cap_tren_co_so").with_columns(pl.col("parent_id").alias("parent")).select(cols),
                        pd_.filter(pl.col("parent_level") == "cap_tren_co_so").with_columns(pl.col("parent_id").alias("parent")).select(cols)])
    state.subs.setdefault(y, []).append(subs_u.filter(pl.col("parent").is_in(shared)))
    own = oy.filter(pl.col("org_id").is_in(shared))
    if own.height:
        state.own[y] = (own, ass.filter(pl.col("org_id").is_in(shared)))
    ctcs = with_assessment(oy.filter(pl.col("level") == "cap_tren_co_so", ~pl.col("org_id").is_in(shared))
                           .select("org_id", "level"))
    est_u = estimate_collectives(ctcs, subs_u.filter(~pl.col("parent").is_in(shared)), rb, y)
    # the quota, stage by stage (chi bộ per grassroots organisation; chi bộ cơ sở and đảng
    # bộ cơ sở per parent; cấp trên cơ sở per parent); a pool another old province or the
    # new provincial bodies share is open: its members are not all estimated here
    open_ids = set(shared)
    if not ns.continuing or oy.filter(pl.col("org_id").is_in(shared)).height:
        open_ids.add(ns.root)
    by_parent = ("org_id", pl.col("parent_id").alias("pool_id"))
    stages = [subs_d.select("org_id", pl.col("parent").alias("pool_id")),
              pl.concat([pc.filter(pl.col("level") == "chi_bo_co_so").select(*by_parent),
                         pd_.select(*by_parent)]),
              placed(est_u).select(*by_parent)]
    est = pl.concat([est_c, est_d, est_u], how="vertical_relaxed")
    final = pl.concat([_quota(est, stage, tree_y, open_ids, rb) for stage in stages])
    keep = ["org_id", "is_null", "best", "worst", "four_good_false", "touched"]
    return est.select(keep).join(final, on="org_id", how="left").sort("org_id")


def _quota(est: pl.DataFrame, stage: pl.DataFrame, tree_y: pl.DataFrame, open_ids: set,
           rb) -> pl.DataFrame:
    """quota_final over one stage's org-years (org_id, pool_id), pooled as the rulebook says."""
    from chibo.generate.official import quota_final
    by_kind = rb.thresholds.get("excellent_quota_pool") == "parent_and_kind"
    f = stage.join(tree_y.select("org_id", "kind"), on="org_id", how="left").with_columns(
        pl.col("pool_id").fill_null("").alias("pool_id"))
    key = pl.col("pool_id") + ("|" + pl.col("kind").fill_null("") if by_kind else pl.lit(""))
    f = f.with_columns(key.alias("pool"))
    open_pools = set(f.filter(pl.col("pool_id").is_in(sorted(open_ids)))["pool"].to_list())
    return quota_final(f.select("org_id", "pool").join(est, on="org_id", how="inner"), rb,
                       open_pools)


def _deliver_official(dv: Deliverer, spec: ProvinceSpec, y: int, oy: pl.DataFrame, ass: pl.DataFrame,
                      evidence: pl.DataFrame | None, rat: pl.DataFrame | None, shared_subs: pl.DataFrame | None,
                      seed: int, as_of: dt.date, c: Counters, ev: Evidence, split, gname, *, shared_only: bool,
                      state: GroupState | None, ns: MergedSpec) -> None:
    """The committee's decisions for year y (1 February of y + 1) and the re-ratings (1 March)."""
    from chibo.generate.official import (
        BELOW,
        choose,
        decision_columns,
        estimate_collectives,
        quota_final,
    )
    d1, d2 = dt.date(y + 1, 2, 1), dt.date(y + 1, 3, 1)
    rb = _rulebook(y)
    if d1 > as_of or rb is None:
        return
    if shared_only:
        coll = (oy.select("org_id", "level").join(ass.drop("district").with_columns(pl.lit(True).alias("has_assessment")),
                                                  on="org_id", how="left")
                .with_columns(pl.col("has_assessment").fill_null(False), pl.lit(False).alias("touched")))
        subs = shared_subs if shared_subs is not None else pl.DataFrame(schema={
            "parent": pl.String, "is_null": pl.Boolean, "best": pl.Int8, "worst": pl.Int8,
            "mq_good": pl.Boolean, "sub_disciplined": pl.Boolean, "touched": pl.Boolean,
            **{k: pl.Int64 for k in BELOW}})
        est = estimate_collectives(coll, subs, rb, y)
        # their quota pool: the new province's, every cấp trên cơ sở (not estimated here)
        final = quota_final(est.with_columns(pl.lit("root").alias("pool")), rb, {"root"})
        est = est.select("org_id", "is_null", "best", "worst", "four_good_false", "touched").join(
            final, on="org_id", how="left").sort("org_id")
        key = ("shared", ns.number)
    else:
        est = _estimates(spec, ns, y, oy, ass, evidence, rat, ev, rb, state)
        key = ("own", spec.number)
    n = est.height
    k = (seed, "off", *key, y)
    u = est.select("org_id", *[uniform(n, *k, x).alias(x) for x in ("u_pick", "u_plant", "u_gap", "u_fg", "u_re")])
    off = choose(est, oy.select("org_id", "level"), u, y)
    off = off.join(oy.select("org_id", "level", "district").rename({"level": "org_level"}), on="org_id", how="left")
    who = pl.when(pl.col("org_level").is_in(["chi_bo"])).then(pl.lit("ĐU")).otherwise(pl.lit("TU"))
    n = off.height
    off = decision_columns(off, uniform(n, *k, "day"), uniform(n, *k, "no"), y, who)
    rerate = d2 <= as_of
    first = off.with_columns(pl.lit(y, dtype=pl.Int32).alias("year"),
                             (pl.coalesce("rerate_from", "level") if rerate else pl.col("level")).alias("level"))
    again = off.filter(pl.col("rerate_from").is_not_null()) if rerate else off.head(0)
    again = again.with_columns(
        pl.lit(y, dtype=pl.Int32).alias("year"),
        pl.lit(dt.date(y + 1, 2, 25)).alias("decided_on"),
        (pl.lit(f"0{1 + y % 9}-QĐ/TU (Mẫu 03)")).alias("decision"))
    c.official_ratings += off.height
    for g, part in split(first):
        name = gname(g)
        rel = dv.write(part.select(OFFICIAL_COLS), "official_ratings", d1, f"{name}-ket-qua-xep-loai",
                       dv.style("official_ratings", name, y))
        for r in part.filter((pl.col("planted") != "") | pl.col("four_good_planted")).iter_rows(named=True):
            if r["planted"]:
                c.planted_ratings.append(dict(org_id=r["org_id"], year=y, what=r["planted"], official_level=r["level"],
                                              best_supported=r["best_supported"], four_good_awarded=r["four_good_awarded"],
                                              file=rel))
            if r["four_good_planted"]:
                c.planted_ratings.append(dict(org_id=r["org_id"], year=y, what="four_good_not_met",
                                              official_level=r["level"], best_supported=r["best_supported"],
                                              four_good_awarded=True, file=rel))
    for g, part in split(again):
        dv.write(part.select(OFFICIAL_COLS), "official_ratings", d2, f"{gname(g)}-xep-loai-lai")



def _ratings(mem: pl.DataFrame, my: pl.DataFrame, cells: pl.DataFrame, seed: int, p: int, y: int) -> pl.DataFrame:
    dec = o(dt.date(y, 12, 31))
    r = mem.filter(pl.col("start") <= dec, pl.col("end") > dec, pl.col("removed_from") > dec, pl.col("exempt").not_())
    r = r.select("mi", "member_id", pl.when(pl.col("move_day") <= dec).then(pl.col("new_cell")).otherwise(pl.col("cell")).alias("cell"))
    r = r.join(my.select("mi", "away_m0", "removal", "disciplined"), on="mi", how="left", maintain_order="left")
    r = r.join(cells.select("cell", "cell_id", "district"), on="cell", how="left", maintain_order="left")
    r = r.join(_year_cells(cells, seed, p, y).select("cell", "tier"), on="cell", how="left", maintain_order="left")
    n = r.height
    u = uniform(n, seed, "rat", p, y)
    r = r.with_columns(u.alias("u"))
    t = pl.col("tier")
    base = (pl.when(pl.col("u") < pick([0.16, 0.1, 0.05, 0.02], t)).then(pl.lit("excellent"))
            .when(pl.col("u") < pick([0.97, 0.85, 0.66, 0.45], t)).then(pl.lit("good"))
            .when(pl.col("u") < pick([1.0, 0.99, 0.95, 0.75], t)).then(pl.lit("completed"))
            .otherwise(pl.lit("failed")))
    rating = (pl.when(pl.col("removal")).then(pl.lit("failed"))
              .when(pl.col("disciplined")).then(pl.when(pl.col("u") < 0.6).then(pl.lit("completed")).otherwise(pl.lit("failed")))
              .when(pl.col("away_m0") > 0).then(pl.lit("completed")).otherwise(base))
    return r.select("member_id", pl.lit(y, dtype=pl.Int32).alias("year"), "cell_id", rating.alias("rating"),
                    "disciplined", "district")
