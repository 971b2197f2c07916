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
EXTRA_P = 0.03
SLOTS = [450, 480, 840, 1140, 1170]  # 07:30 08:00 14:00 19:00 19:30


def _lst(vals: list, idx: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(vals)).gather(idx)


def pick(vals: list, idx: pl.Expr) -> pl.Expr:
    """vals[idx] per row (idx an integer expression)."""
    return pl.lit(pl.Series(vals)).gather(idx.cast(pl.UInt32))


# ---------------------------------------------------------------- specs
@dataclass
class ProvinceSpec:
    number: int                     # 1..63
    prefix: str                     # id prefix ("" for the province scale)
    name: str
    districts: list[tuple[str, str, list[str]]]
    other_dbcs_per_district: int
    n_cbcs: int
    n_chibo: int
    n_members: int
    rich: bool                      # xlsx / Excel CSV / corrections / bad rows
    group_by_district: bool
    slug: str = ""


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
    files: int = 0
    files_by_kind: dict = field(default_factory=dict)
    files_by_style: dict = field(default_factory=dict)
    bad_rows: list = field(default_factory=list)


def dak_nong_spec(members: int = 27_541) -> ProvinceSpec:
    return ProvinceSpec(1, "", N.PROVINCE_NAME, N.DISTRICTS, 12, 271, 1716, members,
                        rich=True, group_by_district=True, slug="dak-nong")


def national_spec(p: int) -> ProvinceSpec:
    r = pyrandom("national-names", p)
    districts = []
    for k in range(18):
        dname = f"{r.choice(N.PLACE_SYLLABLES)} {r.choice(N.PLACE_SYLLABLES)}"
        communes = [f"xã {r.choice(N.PLACE_SYLLABLES)} {r.choice(N.PLACE_SYLLABLES)}" for _ in range(9)]
        districts.append((f"huyện {dname}", f"h{k + 1:02d}", communes))
    return ProvinceSpec(p, f"T{p:02d}-", N.PROVINCES_63[p - 1], districts, 12, 610, 3834, 88_889,
                        rich=False, group_by_district=False, slug=f"t{p:02d}")


# ---------------------------------------------------------------- the tree
def build_tree(spec: ProvinceSpec, seed: int, start: dt.date, end: dt.date) -> pl.DataFrame:
    """Every org of the province, with internal columns (district, mix, cell, est/diss)."""
    r = pyrandom(seed, "tree", spec.number)
    rows: list[dict] = []
    root = f"{spec.prefix}TINH" if spec.prefix else "TINH"

    def add(org_id, name, level, parent, kind, district, mix=0, est=None, weight=1.0):
        rows.append(dict(org_id=org_id, name=name, level=level, parent_id=parent, kind=kind,
                         established_on=est, dissolved_on=None, district=district, mix=mix,
                         weight=weight))

    add(root, f"Đảng bộ tỉnh {spec.name}", "tinh", None, "other", -1)
    nd = len(spec.districts)
    # grassroots organisations
    dbcs: list[tuple[str, str, int, str, bool]] = []  # (id, kind, district, commune name, urban)
    for i, (dname, _slug, communes) in enumerate(spec.districts):
        hid = f"{spec.prefix}H{i + 1:02d}"
        add(hid, f"Đảng bộ {dname}", "cap_tren_co_so", root, "other", i)
        for j, c in enumerate(communes):
            xid = f"{hid}-X{j + 1:02d}"
            add(xid, f"Đảng bộ {c}", "dang_bo_co_so", hid, "commune", i)
            dbcs.append((xid, "commune", i, c, not c.startswith("xã")))
        for j in range(spec.other_dbcs_per_district):
            nm, kind = N.AGENCY_DBCS[j % len(N.AGENCY_DBCS)]
            nm = nm.format(p=r.choice(N.PLACE_SYLLABLES) + " " + r.choice(N.PLACE_SYLLABLES))
            did = f"{hid}-D{j + 1:02d}"
            add(did, f"Đảng bộ {nm}", "dang_bo_co_so", hid, kind, i,
                est=dt.date(r.randint(1976, 2015), r.randint(1, 12), r.randint(1, 28)) if r.random() < 0.4 else None)
            dbcs.append((did, kind, i, dname, False))
    # chi bộ cơ sở, spread over districts
    for k in range(spec.n_cbcs):
        i = k % nd
        hid = f"{spec.prefix}H{i + 1:02d}"
        nm, kind = N.CBCS_NAMES[r.randrange(len(N.CBCS_NAMES))]
        nm = nm.format(p=r.choice(N.PLACE_SYLLABLES) + " " + r.choice(N.PLACE_SYLLABLES),
                       d=spec.districts[i][0])
        add(f"{hid}-B{k // nd + 1:03d}", f"Chi bộ {nm}", "chi_bo_co_so", hid, kind, i,
            est=dt.date(r.randint(1980, 2018), r.randint(1, 12), r.randint(1, 28)) if r.random() < 0.5 else None,
            weight=0.8)
    # chi bộ under đảng bộ cơ sở
    w = [(2.3 if kind == "commune" else 1.0) * (0.7 + 0.6 * r.random()) for (_, kind, *_x) in dbcs]
    extra = spec.n_chibo - 3 * len(dbcs)
    counts = [3] * len(dbcs)
    for k in r.choices(range(len(dbcs)), weights=w, k=extra):
        counts[k] += 1
    for (did, kind, i, cname, urban), n in zip(dbcs, counts):
        district_name = spec.districts[i][0]
        hmong_area = ("Glong" in district_name or "Tuy Đức" in district_name)
        for j in range(n):
            cid = f"{did}-C{j + 1:02d}"
            est = dt.date(r.randint(1980, 2018), r.randint(1, 12), r.randint(1, 28)) if r.random() < 0.35 else None
            if kind == "commune":
                special = [("Chi bộ Quân sự", "armed_forces"), ("Chi bộ Công an", "armed_forces"),
                           ("Chi bộ Trường Tiểu học", "public_service"), ("Chi bộ Cơ quan", "agency")]
                if n >= 8 and j < 4:
                    nm, k2 = special[j]
                    nm = f"{nm} {cname}" if j != 2 else f"{nm} {r.choice(N.PLACE_SYLLABLES)} {r.choice(N.PLACE_SYLLABLES)}"
                    add(cid, nm, "chi_bo", did, k2, i, est=est, weight=0.7)
                    continue
                mix, x = 0, r.random()
                if urban:
                    nm = f"Chi bộ Tổ dân phố {j + 1}"
                elif x < 0.2:
                    nm, mix = f"Chi bộ bon {N.BON_NAMES[j % len(N.BON_NAMES)]}", 1
                elif x < 0.27:
                    nm, mix = f"Chi bộ {N.BUON_NAMES[j % len(N.BUON_NAMES)]}", 2
                elif hmong_area and x < 0.4:
                    nm, mix = f"Chi bộ thôn {j + 1}", 3
                else:
                    nm = f"Chi bộ thôn {j + 1}"
                add(cid, nm, "chi_bo", did, "residential", i, mix=mix, est=est, weight=1.3)
            else:
                names = N.AGENCY_CELLS.get(kind, N.AGENCY_CELLS["agency"])
                nm = names[j % len(names)] + (f" {j // len(names) + 1}" if j >= len(names) else "")
                add(cid, f"Chi bộ {nm}", "chi_bo", did, kind, i, est=est, weight=0.9)
    df = pl.DataFrame(rows, schema={
        "org_id": pl.String, "name": pl.String, "level": pl.String, "parent_id": pl.String,
        "kind": pl.String, "established_on": pl.Date, "dissolved_on": pl.Date,
        "district": pl.Int32, "mix": pl.Int32, "weight": pl.Float64})
    # cells established or dissolved during the period
    nyears = end.year - start.year + 1
    span = max(60, (end - start).days)
    n_change = max(2, round(0.0015 * spec.n_chibo * nyears))
    chibo = df.filter(pl.col("level") == "chi_bo", pl.col("kind") == "residential")["org_id"].to_list()
    dissolved = r.sample(chibo, n_change)
    diss_dates = {c: start + dt.timedelta(days=r.randrange(40, span)) for c in dissolved}
    df = df.with_columns(pl.col("org_id").replace_strict(diss_dates, default=None, return_dtype=pl.Date)
                         .alias("dissolved_on"))
    new_rows = []
    parents = df.filter(pl.col("level") == "dang_bo_co_so", pl.col("kind") == "commune").rows(named=True)
    for k in range(n_change):
        p = parents[r.randrange(len(parents))]
        est = start + dt.timedelta(days=r.randrange(20, span))
        new_rows.append(dict(org_id=f"{p['org_id']}-N{k + 1:02d}", name=f"Chi bộ Khu dân cư mới số {k + 1}",
                             level="chi_bo", parent_id=p["org_id"], kind="residential",
                             established_on=est, dissolved_on=None, district=p["district"], mix=0, weight=0.0))
    df = pl.concat([df, pl.DataFrame(new_rows, schema=df.schema)])
    return df


# ---------------------------------------------------------------- the register
def build_members(spec: ProvinceSpec, cells: pl.DataFrame, seed: int, start: dt.date,
                  end: dt.date, as_of: dt.date) -> pl.DataFrame:
    """cells: cell rows with cell (index), weight, mix, kind, est/diss, move_to."""
    r = pyrandom(seed, "members", spec.number)
    cell_list = cells["cell"].to_list()
    weights = cells["weight"].to_list()
    is_new = cells["weight"].eq(0).to_list()
    new_sizes = {c: r.randint(6, 12) for c, nw in zip(cell_list, is_new) if nw}
    n_base = spec.n_members - sum(new_sizes.values())
    base_cells = [c for c, nw in zip(cell_list, is_new) if not nw]
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
            s = _to_strings(df, kind, "plain")
            s = mutate(s, rel)
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
    posted = pl.when(pl.col("v_mat") < 0.6).then(pl.col("date") - 1 - (pl.col("v_mat2") * 5).floor().cast(pl.Int32)).otherwise(None)
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


def _cells_of(tree: pl.DataFrame, seed: int, p: int, members_first: dict | None = None) -> pl.DataFrame:
    cells = tree.filter(pl.col("level").is_in(["chi_bo", "chi_bo_co_so"])).with_row_index("cell")
    cells = cells.with_columns(pl.col("cell").cast(pl.Int32), pl.col("org_id").alias("cell_id"),
                               pl.col("established_on").cast(pl.Int32).alias("est"),
                               pl.col("dissolved_on").cast(pl.Int32).alias("diss"),
                               (pl.col("weight") == 0).alias("is_new"),
                               uniform(cells.height, seed, "pers", p).alias("pers"))
    # est before the period does not matter for activity; keep it (≤ start)
    r = pyrandom(seed, "moves", p)
    rows = cells.select("cell", "parent_id", "diss", "is_new").rows()
    by_parent: dict = {}
    for c, par, diss, new in rows:
        if diss is None and not new:
            by_parent.setdefault(par, []).append(c)
    move = [r.choice(by_parent.get(par) or [c]) if diss is not None else None for c, par, diss, _ in rows]
    return cells.with_columns(pl.Series("move_to", move, dtype=pl.Int32))


def generate_one(spec: ProvinceSpec, years: tuple[int, int], out: Path, seed: int, as_of: dt.date,
                 c: Counters) -> None:
    start, end = dt.date(years[0], 1, 1), dt.date(years[1], 12, 31)
    p = spec.number
    dv = Deliverer(out, spec, seed, as_of, c)
    tree = build_tree(spec, seed, start, end)
    tree = tree.filter(pl.col("established_on").is_null() | (pl.col("established_on") <= as_of))
    tree = tree.with_columns(pl.when(pl.col("dissolved_on") <= as_of).then(pl.col("dissolved_on")).otherwise(None).alias("dissolved_on"))
    cells = _cells_of(tree, seed, p)
    mem = build_members(spec, cells, seed, start, end, as_of)
    mem = mem.filter(pl.col("joined") <= o(as_of), pl.col("start") <= o(as_of))
    first2 = mem.group_by("cell").agg(pl.col("member_id").sort().first().alias("chair"),
                                      pl.col("member_id").sort().slice(1, 1).first().alias("secretary"))
    cells = cells.join(first2, on="cell", how="left", maintain_order="left").with_columns(
        pl.col("chair").fill_null("DV000000"), pl.col("secretary").fill_null(pl.col("chair")).fill_null("DV000000"))
    org_cols = [col.name for col in CONTRACT["org_units"].columns]
    s_o = o(start)
    groups = list(range(len(spec.districts))) if spec.group_by_district else [None]

    def gname(g):
        return spec.districts[g][1] if g is not None else spec.slug

    def split(df: pl.DataFrame, col: str = "district"):
        for g in groups:
            yield g, (df.filter(pl.col(col) == g) if g is not None else df)

    # ---- the org tree: initial file + changes in the month they happen
    deliv0 = min(dt.date(years[0], 1, 5), as_of)
    initial = tree.filter(pl.col("established_on").is_null() | (pl.col("established_on") <= start))
    init_rows = initial.select(org_cols).with_columns(pl.lit(None, dtype=pl.Date).alias("dissolved_on"))
    mut = None
    if spec.rich:
        def mut(s, rel):  # a cell typed with its dissolution before its establishment
            bad = pl.DataFrame({k: [None] for k in s.columns}, schema=s.schema).with_columns(
                pl.lit("H01-X01-C99").alias("org_id"), pl.lit("Chi bộ thôn 99 (nhập thử)").alias("name"),
                pl.lit("chi_bo").alias("level"), pl.lit("H01-X01").alias("parent_id"),
                pl.lit("residential").alias("kind"), pl.lit("2020-05-01").alias("established_on"),
                pl.lit("2019-05-01").alias("dissolved_on"))
            _bad(c, "org_units", rel, s.height, "dissolved_on", "dissolved_before_established")
            return pl.concat([s, bad])
    dv.write(init_rows, "org_units", deliv0, f"{spec.slug}-cay-to-chuc", mutate=mut)
    c.orgs += tree.height

    # ---- the initial register
    init_mem = mem.filter(pl.col("start") <= s_o, pl.col("joiner").not_(), pl.col("is_new").not_())
    st0 = pl.when(pl.col("exempt")).then(pl.lit("exempt")).otherwise(pl.lit("active"))
    init_mem = init_mem.join(cells.select("cell", "district"), on="cell", how="left", maintain_order="left")
    for g, part in split(init_mem):
        rows = member_rows(part, cells, status=st0)
        style, mut = dv.style("members", gname(g), "init"), None
        if spec.rich and g == 1:
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
        dv.write(rows, "members", deliv0, f"{gname(g)}-so-dang-vien", style, mutate=mut)
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
            c.meetings += mt.height
            c.attendance_rows += att.height
            f_o, l_o = o(first), o(month_last(y, m))
            # register changes of the month
            chg = []
            j = mem.filter(((pl.col("joiner") | pl.col("is_new")) & (pl.col("start") >= f_o) & (pl.col("start") <= l_o)))
            if j.height:
                chg.append(member_rows(j, cells, status=pl.lit("active")).with_columns(j["cell"]))
            mv = mem.filter(pl.col("move_day").is_between(f_o, l_o))
            if mv.height:
                chg.append(member_rows(mv, cells, "new_cell", status=st0).with_columns(mv["new_cell"].alias("cell")))
            lv = mem.filter(pl.col("end").is_between(f_o, l_o))
            if lv.height:
                chg.append(member_rows(lv, cells).with_columns(lv["cell"]))
            rm = mem.filter(pl.col("removed_from").is_between(f_o, l_o))
            if rm.height:
                chg.append(member_rows(rm, cells, status=pl.lit("removed")).with_columns(rm["cell"]))
            chg_df = (pl.concat(chg).unique("member_id", keep="last", maintain_order=True)
                      .join(cells.select("cell", "district"), on="cell", how="left", maintain_order="left")
                      if chg else None)
            org_chg = tree.filter(pl.col("established_on").is_between(first, month_last(y, m)) |
                                  pl.col("dissolved_on").is_between(first, month_last(y, m)))
            for g, mpart in split(mt):
                name = gname(g)
                style = dv.style("meetings", name, (y, m))
                mut_m = mut_a = None
                if spec.rich and (y, m) == bad_month and g == 0:
                    style = "plain"
                    mut_m, mut_a = _meeting_mutations(c), _attendance_mutations(c)
                if org_chg.height:
                    part = org_chg if g is None else org_chg.filter(pl.col("district") == g)
                    dv.write(part.select(org_cols), "org_units", deliv, f"{name}-thanh-lap-giai-the")
                if chg_df is not None:
                    part = chg_df if g is None else chg_df.filter(pl.col("district") == g)
                    dv.write(part.drop("cell", "district"), "members", deliv, f"{name}-bien-dong")
                dv.write(mpart.select(MEETING_COLS), "meetings", deliv, name, style, mutate=mut_m)
                apart = att if g is None else att.filter(pl.col("district") == g)
                dv.write(apart.select(ATT_COLS), "attendance", deliv, name, style, mutate=mut_a)
                # corrections, delivered ten days later so the path sorts after the original
                corr = deliv + dt.timedelta(days=10)
                if spec.rich and corr <= as_of and ((y, m) == bad_month and g == 0 or
                                                    pyrandom(seed, "corr", name, y, m).random() < 0.08):
                    _corrections(dv, mpart, apart, corr, name, seed, y, m, fix_bad=((y, m) == bad_month and g == 0))
        # removal realised in February of the next year for most candidates
        rem_day = o(dt.date(y + 1, 2, 10))
        if rem_day <= o(as_of):
            rm_ids = my.filter(pl.col("removal"), pl.col("r1") < 0.6 / 1.0)["mi"]
            mem = mem.with_columns(pl.when(pl.col("mi").is_in(rm_ids.implode()) & (pl.col("end") > rem_day))
                                   .then(pl.lit(rem_day)).otherwise(pl.col("removed_from")).cast(pl.Int32).alias("removed_from"))
        # yearly assessments and ratings, delivered in January of the next year
        da, dr = dt.date(y + 1, 1, 20), dt.date(y + 1, 1, 25)
        if da <= as_of:
            ass = _assessments(tree, cy, seed, p, y, as_of)
            c.assessments += ass.height
            for g, part in split(ass):
                name = gname(g)
                style, mut = dv.style("assessments", name, y), None
                if spec.rich and y == years[0] and g == 2:
                    style, mut = "plain", _assessment_mutations(c)
                dv.write(part.drop("district"), "assessments", da, f"{name}-danh-gia", style, mutate=mut)
        if dr <= as_of:
            rat = _ratings(mem, my, cells, seed, p, y)
            c.member_ratings += rat.height
            for g, part in split(rat):
                name = gname(g)
                style, mut = dv.style("member_ratings", name, y), None
                if spec.rich and y == years[0] and g == 3:
                    style, mut = "plain", _rating_mutations(c)
                dv.write(part.drop("district"), "member_ratings", dr, f"{name}-xep-loai", style, mutate=mut)


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


def _corrections(dv: Deliverer, mpart: pl.DataFrame, apart: pl.DataFrame, corr: dt.date, name: str,
                 seed: int, y: int, m: int, fix_bad: bool) -> None:
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


def _active_in_year(y: int, as_of: dt.date) -> pl.Expr:
    cond = pl.lit(False)
    for m in range(1, 13):
        first, last = dt.date(y, m, 1), month_last(y, m)
        if last > as_of:
            break
        cond = cond | ((pl.col("established_on").is_null() | (pl.col("established_on") <= first)) &
                       (pl.col("dissolved_on").is_null() | (pl.col("dissolved_on") >= last)))
    return cond


def _assessments(tree: pl.DataFrame, cy: pl.DataFrame, seed: int, p: int, y: int, as_of: dt.date) -> pl.DataFrame:
    orgs = tree.filter(pl.col("level").is_in(["dang_bo_co_so", "chi_bo_co_so", "chi_bo"]), _active_in_year(y, as_of))
    orgs = orgs.join(cy.select(pl.col("cell_id").alias("org_id"), pl.col("tier").alias("ctier")), on="org_id", how="left",
                     maintain_order="left")
    n = orgs.height
    k = (seed, "ass", p, y)
    orgs = orgs.with_columns(*[uniform(n, *k, x).alias(x) for x in ("t", "tot", "met", "exc", "mode", "mass", "fix", "sc", "miss")])
    own = pl.when(pl.col("t") < 0.5).then(0).when(pl.col("t") < 0.9).then(1).when(pl.col("t") < 0.98).then(2).otherwise(3)
    orgs = orgs.with_columns(pl.coalesce(pl.col("ctier"), own).cast(pl.Int32).alias("tier"),
                             (8 + (pl.col("tot") * 13).floor()).cast(pl.Int32).alias("targets_total"))
    t, tot = pl.col("tier"), pl.col("targets_total")
    mode = pl.when(t == 3).then((pl.col("mode") * 3).floor()).otherwise(-1)
    met = (pl.when(t == 0).then(tot)
           .when(t == 1).then(pl.when(pl.col("met") < 0.82).then(tot).otherwise(tot - 1))
           .when(mode == 0).then((tot * (0.25 + 0.2 * pl.col("met"))).floor())
           .otherwise((tot * (0.55 + 0.45 * pl.col("met"))).floor())).cast(pl.Int32)
    orgs = orgs.with_columns(met.alias("targets_met"), mode.alias("fmode"))
    exc = (pl.when(t == 0).then((tot * (0.3 + 0.3 * pl.col("exc"))).ceil())
           .when(t == 1).then((tot * (0.05 + 0.3 * pl.col("exc"))).floor())
           .otherwise((tot * 0.12 * pl.col("exc")).floor()))
    score = (pick([90.0, 70.0, 50.0, 30.0], t) + pl.col("sc") * pick([9.75, 21.0, 26.0, 19.75], t))
    score = (score * 4).floor() / 4
    orgs = orgs.with_columns(
        pl.min_horizontal(exc.cast(pl.Int32), pl.col("targets_met")).alias("targets_exceeded"),
        (pl.col("fmode") == 1).alias("org_disciplined"),
        (pl.col("fmode") == 2).alias("disunity"),
        (pl.col("mass") < pick([0.97, 0.9, 0.75, 0.5], t)).alias("mass_orgs_good"),
        (pl.col("fix") < pick([0.96, 0.88, 0.7, 0.5], t)).alias("shortcomings_fixed"),
        (pl.when(pl.lit(y >= 2025)).then(score).otherwise(None)).cast(pl.Float64).alias("score"))
    cols = [col.name for col in CONTRACT["assessments"].columns]
    return orgs.filter(pl.col("miss") >= 0.01).with_columns(pl.lit(y, dtype=pl.Int32).alias("year")).select(*cols, "district")


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
