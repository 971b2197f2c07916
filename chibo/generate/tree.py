"""The party tree of one old province, through the reorganisation of 1 July 2025.

Before the reform (domain.md, "The 2025 reorganisation"): a `tinh` root, district committees
and two đảng bộ khối (`cap_tren_co_so`), đảng bộ xã/thị trấn and agency đảng bộ
(`dang_bo_co_so`, a few with a đảng bộ bộ phận), chi bộ cơ sở, chi bộ trực thuộc.

On 2025-06-30 the old root (when provinces merge), every district, every đảng bộ khối and every
đảng bộ xã is dissolved with a successor; on 2025-07-01 new đảng ủy xã/phường (new ids,
`cap_tren_co_so`, kind `commune`) take the communes' cells directly (chi bộ trực thuộc, new
versions `valid_from` 2025-07-01, renamed), the communes' special cells of one kind merge into a
new cell (`successor_id`), a school's chi bộ becomes a chi bộ cơ sở (a level change), the
district agencies' đảng bộ cơ sở and chi bộ cơ sở move under a new xã or under the new
provincial bodies (Đảng bộ Các cơ quan Đảng tỉnh, Đảng bộ UBND tỉnh), which also take the
khối's organisations. Ids survive wherever an organisation continues.

An organisation is an `Org` with at most two versions: its first (empty `valid_from`) and the
one from 2025-07-01 (`new_version`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from chibo.generate import names as N
from chibo.generate.rng import pyrandom

REFORM = dt.date(2025, 7, 1)  # the two-level administration (QĐ 294-QĐ/TW)
EVE = dt.date(2025, 6, 30)  # old organisations dissolved
DECIDED_EVE = "ngày 30/6/2025"
DECIDED_REFORM = "ngày 01/7/2025"


@dataclass
class ProvinceSpec:
    """An old province (before 1/7/2025)."""

    number: int  # 1..63 (national), 1..2 (province scale)
    prefix: str  # id prefix ("" for Đắk Nông at the province scale)
    name: str
    districts: list[tuple[str, str, list[str]]]
    other_dbcs_per_district: int
    n_cbcs: int
    n_chibo: int
    n_members: int
    rich: bool  # xlsx / Excel CSV / corrections
    group_by_district: bool
    slug: str = ""
    plant_bad: bool = False  # the planted invalid rows live in this province's files
    n_bophan: int = 2  # đảng bộ bộ phận set up inside large đảng bộ cơ sở
    new_names: dict[str, list[str]] = field(default_factory=dict)  # district slug -> new xã names

    @property
    def root(self) -> str:
        return f"{self.prefix}TINH"

    @property
    def khoi_group(self) -> int:
        return len(self.districts)


@dataclass
class MergedSpec:
    """A province after 1/7/2025: one or more old provinces under one root."""

    number: int
    prefix: str  # prefix of the ids the reform creates
    name: str
    slug: str
    olds: list[ProvinceSpec]

    @property
    def continuing(self) -> bool:  # a province not merged keeps its root
        return len(self.olds) == 1

    @property
    def root(self) -> str:
        return self.olds[0].root if self.continuing else f"{self.prefix}TINH"

    @property
    def cqd(self) -> str:
        return f"{self.prefix}CQD"

    @property
    def ub(self) -> str:
        return f"{self.prefix}UB"


@dataclass
class Org:
    org_id: str
    name: str
    level: str
    parent_id: str | None
    kind: str
    group: int
    mix: int = 0
    weight: float = 1.0
    est: dt.date | None = None
    diss: dt.date | None = None
    successor: str | None = None
    decision: str | None = None
    role: str = ""  # "reform" (made or ended by the reorganisation), "churn", "shared"
    fate: str = ""  # what the reform does with it (internal)
    new_version: tuple | None = None  # (name, level, parent_id, kind) from REFORM
    merge_target: bool = False  # a cell made by merging cells (its members come from them)
    churn_new: bool = False  # a cell set up during the period with members of its own


def _d(r, y0: int, y1: int) -> dt.date:
    return dt.date(r.randint(y0, y1), r.randint(1, 12), r.randint(1, 28))


def _strip_type(commune: str) -> tuple[str, str]:
    for t in ("thị trấn ", "phường ", "xã "):
        if commune.startswith(t):
            return t.strip(), commune[len(t) :]
    return "xã", commune


def build_old_tree(
    spec: ProvinceSpec, seed: int
) -> tuple[dict[str, Org], list[tuple[str, int, list[str]]]]:
    """The tree before the reform; returns the orgs and the communes
    [(dbcs id, district, cells)]."""
    r = pyrandom(seed, "tree", spec.number)
    orgs: dict[str, Org] = {}

    def add(org_id, name, level, parent, kind, group, **kw) -> Org:
        org = Org(org_id, name, level, parent, kind, group, **kw)
        orgs[org_id] = org
        return org

    def place() -> str:
        return r.choice(N.PLACE_SYLLABLES) + " " + r.choice(N.PLACE_SYLLABLES)

    root = spec.root
    add(root, f"Đảng bộ tỉnh {spec.name}", "tinh", None, "other", spec.khoi_group)
    nd = len(spec.districts)
    dbcs: list[tuple[str, str, int, str, bool]] = []  # (id, kind, group, commune name, urban)
    for i, (dname, _slug, commune_names) in enumerate(spec.districts):
        hid = f"{spec.prefix}H{i + 1:02d}"
        add(hid, f"Đảng bộ {dname}", "cap_tren_co_so", root, "other", i)
        for j, c in enumerate(commune_names):
            xid = f"{hid}-X{j + 1:02d}"
            add(xid, f"Đảng bộ {c}", "dang_bo_co_so", hid, "commune", i, fate="commune")
            dbcs.append((xid, "commune", i, c, not c.startswith("xã")))
        for j in range(spec.other_dbcs_per_district):
            nm, kind = N.AGENCY_DBCS[j % len(N.AGENCY_DBCS)]
            nm = nm.format(p=place())
            did = f"{hid}-D{j + 1:02d}"
            fate = (
                "dissolve"
                if j % len(N.AGENCY_DBCS) in N.AGENCY_DBCS_DISSOLVED
                else ("ub" if kind == "public_service" and r.random() < 0.5 else "xa")
            )
            add(
                did,
                f"Đảng bộ {nm}",
                "dang_bo_co_so",
                hid,
                kind,
                i,
                fate=fate,
                est=_d(r, 1976, 2015) if r.random() < 0.4 else None,
            )
            dbcs.append((did, kind, i, dname, False))
    # the đảng bộ khối of the province and their organisations
    kg = spec.khoi_group
    k1, k2 = f"{spec.prefix}K1", f"{spec.prefix}K2"
    add(
        k1,
        f"Đảng bộ Khối các cơ quan tỉnh {spec.name}",
        "cap_tren_co_so",
        root,
        "agency",
        kg,
        fate="cqd",
    )
    add(
        k2,
        f"Đảng bộ Khối Doanh nghiệp tỉnh {spec.name}",
        "cap_tren_co_so",
        root,
        "enterprise",
        kg,
        fate="ub",
    )
    n_khoi_cbcs = 0
    for k_id, table in ((k1, N.KHOI_CQ_DBCS), (k2, N.KHOI_DN_DBCS)):
        for j, (nm, kind, fate) in enumerate(table):
            did = f"{k_id}-D{j + 1:02d}"
            add(
                did, f"Đảng bộ {nm.format(t=spec.name)}", "dang_bo_co_so", k_id, kind, kg, fate=fate
            )
            dbcs.append((did, kind, kg, spec.name, False))
    for j, (nm, kind, fate) in enumerate(N.KHOI_CQ_CBCS):
        add(
            f"{k1}-B{j + 1:02d}",
            f"Chi bộ {nm.format(t=spec.name)}",
            "chi_bo_co_so",
            k1,
            kind,
            kg,
            fate=fate,
            weight=0.8,
        )
        n_khoi_cbcs += 1
    # chi bộ cơ sở, spread over districts
    for k in range(max(0, spec.n_cbcs - n_khoi_cbcs)):
        i = k % nd
        hid = f"{spec.prefix}H{i + 1:02d}"
        nm, kind = N.CBCS_NAMES[r.randrange(len(N.CBCS_NAMES))]
        fate = N.CBCS_FATE.get(nm, "xa")
        nm = nm.format(p=place(), d=spec.districts[i][0])
        add(
            f"{hid}-B{k // nd + 1:03d}",
            f"Chi bộ {nm}",
            "chi_bo_co_so",
            hid,
            kind,
            i,
            fate=fate,
            est=_d(r, 1980, 2018) if r.random() < 0.5 else None,
            weight=0.8,
        )
    # chi bộ under đảng bộ cơ sở
    w = [(2.3 if kind == "commune" else 1.0) * (0.7 + 0.6 * r.random()) for (_, kind, *_x) in dbcs]
    extra = max(0, spec.n_chibo - 3 * len(dbcs))
    counts = [3] * len(dbcs)
    for k in r.choices(range(len(dbcs)), weights=w, k=extra):
        counts[k] += 1
    communes: list[tuple[str, int, list[str]]] = []
    special = [
        ("Chi bộ Quân sự", "armed_forces"),
        ("Chi bộ Công an", "armed_forces"),
        ("Chi bộ Trường Tiểu học", "public_service"),
        ("Chi bộ Cơ quan", "agency"),
    ]
    for (did, kind, i, cname, urban), n in zip(dbcs, counts):
        district_name = spec.districts[i][0] if i < nd else ""
        hmong_area = "Glong" in district_name or "Tuy Đức" in district_name
        cells = []
        for j in range(n):
            cid = f"{did}-C{j + 1:02d}"
            cells.append(cid)
            est = _d(r, 1980, 2018) if r.random() < 0.35 else None
            if kind == "commune":
                if n >= 8 and j < 4:
                    nm, k2_ = special[j]
                    nm = f"{nm} {cname}" if j != 2 else f"{nm} {place()}"
                    add(cid, nm, "chi_bo", did, k2_, i, est=est, weight=0.7, fate=f"special{j}")
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
        if kind == "commune":
            communes.append((did, i, cells))
    # a few đảng bộ bộ phận inside large đảng bộ cơ sở that continue after the reform
    big = [
        (did, n)
        for (did, kind, *_x), n in zip(dbcs, counts)
        if kind in ("enterprise", "public_service", "armed_forces")
        and n >= 6
        and orgs[did].fate != "dissolve"
    ]
    for did, n in sorted(big, key=lambda x: (-x[1], x[0]))[: spec.n_bophan]:
        d = orgs[did]
        pid = f"{did}-P1"
        add(pid, f"Đảng bộ bộ phận Khối 1, {d.name}", "dang_bo_bo_phan", did, d.kind, d.group)
        for j in range(n // 2):
            orgs[f"{did}-C{j + 1:02d}"].parent_id = pid
    return orgs, communes


def apply_reform(
    orgs: dict[str, Org],
    communes: list[tuple[str, int, list[str]]],
    spec: ProvinceSpec,
    ns: MergedSpec,
    oi: int,
    seed: int,
) -> None:
    """The reorganisation of 1/7/2025 on one old province's orgs (in place)."""
    r = pyrandom(seed, "reform", spec.number)
    np_ = ns.prefix
    seq = iter(range(100, 10**6))

    def dec(kind: str, when: str) -> str:
        return f"{next(seq)}-QĐ/{kind} {when}"

    new: dict[str, Org] = {}

    def add(org: Org) -> Org:
        new[org.org_id] = org
        return org

    lead = oi == 0
    if lead:
        if not ns.continuing:
            add(
                Org(
                    ns.root,
                    f"Đảng bộ tỉnh {ns.name}",
                    "tinh",
                    None,
                    "other",
                    spec.khoi_group,
                    est=REFORM,
                    decision=dec("TW", DECIDED_EVE),
                    role="shared",
                )
            )
        add(
            Org(
                ns.cqd,
                f"Đảng bộ Các cơ quan Đảng tỉnh {ns.name}",
                "cap_tren_co_so",
                ns.root,
                "agency",
                spec.khoi_group,
                est=REFORM,
                decision=dec("TU", DECIDED_EVE),
                role="shared",
            )
        )
        add(
            Org(
                ns.ub,
                f"Đảng bộ Ủy ban nhân dân tỉnh {ns.name}",
                "cap_tren_co_so",
                ns.root,
                "agency",
                spec.khoi_group,
                est=REFORM,
                decision=dec("TU", DECIDED_EVE),
                role="shared",
            )
        )
    # the old root
    if not ns.continuing:
        o_ = orgs[spec.root]
        o_.diss, o_.successor, o_.decision, o_.role = EVE, ns.root, dec("TW", DECIDED_EVE), "reform"
    # new đảng ủy xã/phường from the communes, district by district
    n_xa = 0
    seat: dict[int, str] = {}
    xa_of: dict[str, str] = {}  # old commune dbcs -> new xã
    xas_of_district: dict[int, list[str]] = {}
    by_district: dict[int, list[tuple[str, list[str]]]] = {}
    for did, i, cells in communes:
        by_district.setdefault(i, []).append((did, cells))
    for i in sorted(by_district):
        items = by_district[i]
        chunks, k = [], 0
        while k < len(items):
            size = r.choice((2, 2, 2, 3, 3, 4))
            if len(items) - (k + size) == 1:
                size += 1
            chunks.append(items[k : k + size])
            k += size
        special_names = spec.new_names.get(spec.districts[i][1], [])
        for ci, chunk in enumerate(chunks):
            n_xa += 1
            uid = f"{np_}U{oi + 1}-{n_xa:03d}"
            typed = [_strip_type(orgs[did].name.removeprefix("Đảng bộ ")) for did, _ in chunk]
            typ = "phường" if any(t != "xã" for t, _ in typed) else "xã"
            xname = special_names[ci] if ci < len(special_names) else f"{typ} {typed[0][1]}"
            add(
                Org(
                    uid,
                    f"Đảng bộ {xname}",
                    "cap_tren_co_so",
                    ns.root,
                    "commune",
                    i,
                    est=REFORM,
                    decision=dec("TU", DECIDED_EVE),
                    role="reform",
                )
            )
            seat.setdefault(i, uid)
            xas_of_district.setdefault(i, []).append(uid)
            n_cell = 0
            specials: dict[int, list[str]] = {}
            residential: list[str] = []
            for did, cells in chunk:
                d = orgs[did]
                d.diss, d.successor, d.decision, d.role = EVE, uid, dec("TU", DECIDED_EVE), "reform"
                xa_of[did] = uid
                commune = d.name.removeprefix("Đảng bộ ")
                for cid in cells:
                    c = orgs[cid]
                    if c.fate.startswith("special"):
                        specials.setdefault(int(c.fate[-1]), []).append(cid)
                    elif c.kind == "residential":
                        residential.append(cid)
                    c.new_version = (f"{c.name}, {commune}", "chi_bo", uid, c.kind)
            # cells of one kind from several communes merge into one new cell
            merges = [specials[j] for j in (0, 1, 3) if len(specials.get(j, [])) >= 2]
            if len(residential) >= 6 and r.random() < 0.35:
                pair = sorted(r.sample(residential, 2))
                merges.append(pair)
            for group in merges:
                n_cell += 1
                first = orgs[group[0]]
                short = [orgs[g].name.removeprefix("Chi bộ ") for g in group]
                if first.fate.startswith("special"):
                    label = dict(((0, "Quân sự"), (1, "Công an"), (3, "Cơ quan")))[
                        int(first.fate[-1])
                    ]
                    nm = f"Chi bộ {label} {xname}"
                else:
                    nm = "Chi bộ " + " - ".join(short)
                tid = f"{uid}-C{n_cell:02d}"
                add(
                    Org(
                        tid,
                        nm[:200],
                        "chi_bo",
                        uid,
                        first.kind,
                        i,
                        mix=first.mix,
                        weight=0.0,
                        est=REFORM,
                        decision=dec("ĐU", DECIDED_REFORM),
                        role="reform",
                        merge_target=True,
                    )
                )
                for g in group:
                    c = orgs[g]
                    c.new_version = None
                    c.diss, c.successor, c.decision, c.role = (
                        EVE,
                        tid,
                        dec("ĐU", DECIDED_EVE),
                        "reform",
                    )
    # one school's chi bộ becomes a chi bộ cơ sở directly under its new xã (a level change)
    schools = [c for c in orgs.values() if c.fate == "special2" and c.new_version is not None]
    pool = schools or [
        c
        for c in orgs.values()
        if c.level == "chi_bo" and c.new_version is not None and c.new_version[2] in new
    ]
    if pool and pool[0].new_version is not None:
        c = pool[0]
        c.new_version = (c.name, "chi_bo_co_so", pool[0].new_version[2], c.kind)
        c.fate = "level_change"
    # districts, their agencies and chi bộ cơ sở; the đảng bộ khối
    body = {"cqd": ns.cqd, "ub": ns.ub}
    for o_ in list(orgs.values()):
        if o_.role == "reform":
            continue
        if o_.level == "cap_tren_co_so":
            if o_.org_id.startswith(f"{spec.prefix}K"):
                o_.diss, o_.successor = EVE, body[o_.fate]
            else:
                o_.diss, o_.successor = EVE, seat.get(o_.group) or ns.cqd
            o_.decision, o_.role = dec("TU", DECIDED_EVE), "reform"
        elif o_.level in ("dang_bo_co_so", "chi_bo_co_so") and o_.fate in (
            "dissolve",
            "xa",
            "ub",
            "cqd",
        ):
            xas = xas_of_district.get(o_.group) or [seat.get(o_.group) or ns.ub]
            if o_.fate == "dissolve":
                succ = seat.get(o_.group) or ns.cqd
                o_.diss, o_.successor, o_.decision, o_.role = (
                    EVE,
                    succ,
                    dec("TU", DECIDED_EVE),
                    "reform",
                )
                for c in orgs.values():
                    if c.parent_id == o_.org_id and c.level == "chi_bo":
                        c.new_version = (
                            f"{c.name}, {o_.name.removeprefix('Đảng bộ ')}",
                            "chi_bo",
                            succ,
                            c.kind,
                        )
            else:
                parent = body.get(o_.fate) or xas[r.randrange(len(xas))]
                o_.new_version = (o_.name, o_.level, parent, o_.kind)
    orgs.update(new)


def add_churn(
    orgs: dict[str, Org], spec: ProvinceSpec, seed: int, start: dt.date, end: dt.date, reform: bool
) -> None:
    """Village cells set up or dissolved during the period (members of a dissolved one move to
    a sibling that lives through the whole period)."""
    r = pyrandom(seed, "churn", spec.number)
    nyears = end.year - start.year + 1
    span = max(60, (end - start).days)
    n_change = max(2, round(0.0015 * spec.n_chibo * nyears))
    chibo = [
        o_.org_id
        for o_ in orgs.values()
        if o_.level == "chi_bo"
        and o_.kind == "residential"
        and o_.role == ""
        and not o_.merge_target
        and o_.diss is None
    ]
    dissolved = r.sample(chibo, min(n_change, len(chibo)))
    for cid in dissolved:
        c = orgs[cid]
        c.diss, c.role = start + dt.timedelta(days=r.randrange(40, span)), "churn"
        if c.diss < REFORM:
            c.new_version = None
    parents = [
        o_
        for o_ in orgs.values()
        if o_.level == "dang_bo_co_so" and o_.kind == "commune" and o_.fate == "commune"
    ]
    for k in range(n_change):
        p = parents[r.randrange(len(parents))]
        est = start + dt.timedelta(days=r.randrange(20, span))
        cid = f"{p.org_id}-N{k + 1:02d}"
        nm = f"Chi bộ Khu dân cư mới số {k + 1}"
        if reform and p.successor and est >= REFORM:
            orgs[cid] = Org(
                cid,
                nm,
                "chi_bo",
                p.successor,
                "residential",
                p.group,
                weight=0.0,
                est=est,
                role="churn",
                churn_new=True,
            )
        else:
            nv = (
                (f"{nm}, {p.name.removeprefix('Đảng bộ ')}", "chi_bo", p.successor, "residential")
                if reform and p.successor
                else None
            )
            orgs[cid] = Org(
                cid,
                nm,
                "chi_bo",
                p.org_id,
                "residential",
                p.group,
                weight=0.0,
                est=est,
                role="churn",
                churn_new=True,
                new_version=nv,
            )


TREE_SCHEMA = {
    "org_id": pl.String,
    "valid_from": pl.Date,
    "name": pl.String,
    "level": pl.String,
    "parent_id": pl.String,
    "kind": pl.String,
    "established_on": pl.Date,
    "dissolved_on": pl.Date,
    "successor_id": pl.String,
    "decision": pl.String,
    "district": pl.Int32,
    "mix": pl.Int32,
    "weight": pl.Float64,
    "role": pl.String,
    "merge_target": pl.Boolean,
    "churn_new": pl.Boolean,
    "fate": pl.String,
}


def build_tree(
    spec: ProvinceSpec, ns: MergedSpec, oi: int, seed: int, start: dt.date, end: dt.date
) -> pl.DataFrame:
    """Every version of every org of the old province (and, for the lead, of the new
    provincial bodies); org-level columns repeated on each version row."""
    orgs, communes = build_old_tree(spec, seed)
    reform = REFORM <= end  # a period that reaches past 1/7/2025 goes through the reform
    if reform:
        apply_reform(orgs, communes, spec, ns, oi, seed)
    add_churn(orgs, spec, seed, start, end, reform)
    rows = []
    for o_ in orgs.values():
        common = dict(
            org_id=o_.org_id,
            established_on=o_.est,
            dissolved_on=o_.diss,
            successor_id=o_.successor,
            decision=o_.decision,
            district=o_.group,
            mix=o_.mix,
            weight=o_.weight,
            role=o_.role,
            merge_target=o_.merge_target,
            churn_new=o_.churn_new,
            fate=o_.fate,
        )
        rows.append(
            dict(
                common,
                valid_from=None,
                name=o_.name,
                level=o_.level,
                parent_id=o_.parent_id,
                kind=o_.kind,
            )
        )
        if o_.new_version is not None:
            nm, lv, par, kd = o_.new_version
            rows.append(
                dict(common, valid_from=REFORM, name=nm[:200], level=lv, parent_id=par, kind=kd)
            )
    return pl.DataFrame(rows, schema=TREE_SCHEMA)


def org_year(tree: pl.DataFrame, y: int, as_of: dt.date) -> pl.DataFrame:
    """The tree of year y (rules.md): every org with an active month in y, with its version in
    force on its last active day of y: org_id, level, parent_id, kind, district, months_active,
    last_day, established_on, dissolved_on."""
    first = tree.filter(pl.col("valid_from").is_null())
    active = []
    for m in range(1, 13):
        f, last = dt.date(y, m, 1), (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1))
        if last > as_of:
            break
        active.append(
            (
                (pl.col("established_on").is_null() | (pl.col("established_on") <= f))
                & (pl.col("dissolved_on").is_null() | (pl.col("dissolved_on") >= last)),
                last,
            )
        )
    if not active:
        return first.head(0).with_columns(
            pl.lit(0, pl.Int32).alias("months_active"), pl.lit(None, pl.Date).alias("last_day")
        )
    months = pl.sum_horizontal([a.cast(pl.Int32) for a, _ in active]).alias("months_active")
    last_day = pl.coalesce([pl.when(a).then(pl.lit(d)) for a, d in reversed(active)]).alias(
        "last_day"
    )
    ids = first.select("org_id", months, last_day).filter(pl.col("months_active") > 0)
    v = tree.join(ids, on="org_id", how="inner").filter(
        pl.col("valid_from").is_null() | (pl.col("valid_from") <= pl.col("last_day"))
    )
    return (
        v.sort("org_id", "valid_from", nulls_last=False)
        .group_by("org_id", maintain_order=True)
        .last()
        .select(
            "org_id",
            "level",
            "parent_id",
            "kind",
            "district",
            "months_active",
            "last_day",
            "established_on",
            "dissolved_on",
        )
    )
