"""The synthetic generator: counts, determinism, behaviours, validity of every file, the
reorganisation of 1/7/2025 in the tree, QĐ 366 assessments, materials, official ratings."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl
import pytest

from chibo.contract import PARENT_LEVELS
from chibo.generate import MANIFEST_DIR, PLANTED_RATINGS, generate, parse_years
from chibo.generate.core import national_specs
from chibo.generate.writers import encode_cp1258

AS_OF = dt.date(2026, 3, 15)
EVE, REFORM = dt.date(2025, 6, 30), dt.date(2025, 7, 1)
RANK = {"excellent": 1, "good": 2, "completed": 3, "failed": 4}
pytestmark = pytest.mark.xdist_group("generate")


@pytest.fixture(scope="module")
def rules():
    from chibo.rulebooks import load_rulebooks
    return load_rulebooks()


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    out = tmp_path_factory.mktemp("prov")
    return generate("province", (2023, 2025), out, seed=1, as_of=AS_OF)


def _read_kind(root: Path, kind: str, rules, *, corrections: bool = False) -> pl.DataFrame:
    """Valid rows of every file of a kind in path order (the file name in `_file`)."""
    from chibo.read import read_file
    from chibo.validate import validate_frame
    frames = []
    for p in sorted((root / kind).rglob("*"), key=lambda p: p.relative_to(root).as_posix().encode()):
        if "dinh-chinh" in p.name and not corrections:
            continue
        f = validate_frame(read_file(p, kind), kind, str(p), AS_OF, rules).valid.drop("source_row")
        frames.append(f.with_columns(pl.lit(p.name).alias("_file")))
    return pl.concat(frames, how="diagonal_relaxed")


@pytest.fixture(scope="module")
def read_kind(province, rules):
    """`_read_kind` of the province, each kind read once for the module's tests."""
    read: dict[str, pl.DataFrame] = {}

    def kind_rows(kind: str) -> pl.DataFrame:
        if kind not in read:
            read[kind] = _read_kind(province.out, kind, rules)
        return read[kind]
    return kind_rows


def _latest(df: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """The row of each key from the last file in path order (as integration keeps it)."""
    return df.unique(key, keep="last", maintain_order=True)


@pytest.fixture(scope="module")
def versions(read_kind) -> pl.DataFrame:
    org = read_kind("org_units")
    return _latest(org, ["org_id", "valid_from"]).sort("org_id", "valid_from", nulls_last=False)


@pytest.fixture(scope="module")
def whole(versions) -> pl.DataFrame:
    """Org-level facts (latest version counts) and the first and last version's parent/level."""
    return versions.group_by("org_id", maintain_order=True).agg(
        pl.col("dissolved_on").last(), pl.col("successor_id").last(), pl.col("established_on").last(),
        pl.col("level").first().alias("level0"), pl.col("level").last().alias("level1"),
        pl.col("parent_id").first().alias("parent0"), pl.col("parent_id").last().alias("parent1"),
        pl.col("kind").last(), pl.col("name").last(), pl.len().alias("n_versions"))


def test_parse_years():
    assert parse_years("2023-2025") == (2023, 2025)
    assert parse_years("2024") == (2024, 2024)
    with pytest.raises(ValueError):
        parse_years("2025-2023")


def test_cp1258_round_trip():
    text = "Đảng bộ xã Đắk R'Moan; Nguyễn Thị Huyền; H'Bla Êban; Vắng có lý do; Thường kỳ kết hợp chuyên đề; ậ ố ữ ỷ"
    data = encode_cp1258(text)
    import unicodedata
    assert unicodedata.normalize("NFC", data.decode("cp1258")) == text


def test_province_counts(province, read_kind):
    """The old Đắk Nông at the start (its first tree file): the sourced figures of domain.md."""
    first = read_kind("org_units").filter(pl.col("_file").str.contains("dak-nong-cay-to-chuc"))
    by = dict(first.group_by("level").len().iter_rows())
    for level, want in (("dang_bo_co_so", 167), ("chi_bo_co_so", 271), ("chi_bo", 1716)):
        assert abs(by[level] - want) <= 0.05 * want, (level, by[level])
    assert by["cap_tren_co_so"] == 8 + 2          # districts and the two đảng bộ khối
    assert by["tinh"] == 1 and by["dang_bo_bo_phan"] >= 2
    assert abs(province.members - 32_141) <= 0.05 * 32_141
    names = set(first.filter(pl.col("level") == "cap_tren_co_so")["name"])
    for d in ("Gia Nghĩa", "Cư Jút", "Đắk Glong", "Đắk Mil", "Đắk R'lấp", "Đắk Song", "Krông Nô", "Tuy Đức"):
        assert any(d in n for n in names), d
    assert province.files_by_style.get("xlsx", 0) > 0 and province.files_by_style.get("excel_csv", 0) > 0
    assert 10 <= province.intended_bad_rows <= 30


def test_two_old_provinces_under_a_new_root(whole):
    roots = whole.filter(pl.col("level1") == "tinh")
    old = roots.filter(pl.col("dissolved_on").is_not_null())
    new = roots.filter(pl.col("dissolved_on").is_null())
    assert new.height == 1 and new["established_on"][0] == REFORM and "Lâm Đồng" in new["name"][0]
    assert set(old["org_id"]) == {"TINH", "LD-TINH"}
    assert set(old["dissolved_on"]) == {EVE} and set(old["successor_id"]) == {new["org_id"][0]}


def test_districts_khoi_and_communes_dissolved_with_successors(whole):
    known = set(whole["org_id"])
    new_ctcs = whole.filter(pl.col("level1") == "cap_tren_co_so", pl.col("established_on") == REFORM)
    old_ctcs = whole.filter(pl.col("level1") == "cap_tren_co_so", pl.col("established_on").is_null())
    assert old_ctcs.height == 8 + 2 + 2 + 2   # both provinces' districts and khối
    assert set(old_ctcs["dissolved_on"]) == {EVE}
    assert old_ctcs["successor_id"].is_in(list(new_ctcs["org_id"])).all()
    communes = whole.filter(pl.col("level0") == "dang_bo_co_so", pl.col("kind") == "commune")
    assert communes.height == 71 + 26 and set(communes["dissolved_on"]) == {EVE}
    assert communes["successor_id"].is_in(list(known)).all()
    # the new đảng ủy xã/phường: new ids, fewer than the communes, kind commune, under the new root
    xa = new_ctcs.filter(pl.col("kind") == "commune")
    assert 0.25 * communes.height <= xa.height <= 0.5 * communes.height
    assert set(communes["successor_id"]) == set(xa["org_id"])
    assert any("Lang Biang" in n for n in xa["name"])
    bodies = {n: i for i, n in zip(new_ctcs["org_id"], new_ctcs["name"])}
    cqd = next(i for n, i in bodies.items() if n.startswith("Đảng bộ Các cơ quan Đảng tỉnh"))
    ub = next(i for n, i in bodies.items() if n.startswith("Đảng bộ Ủy ban nhân dân tỉnh"))
    khoi = old_ctcs.filter(pl.col("name").str.starts_with("Đảng bộ Khối"))
    assert khoi.height == 4 and set(khoi["successor_id"]) == {cqd, ub}
    assert whole.filter(pl.col("parent1").is_in([cqd, ub]), pl.col("n_versions") == 2).height >= 20


def test_cells_reparented_by_versions_under_the_new_communes(versions, whole):
    xa = set(whole.filter(pl.col("level1") == "cap_tren_co_so", pl.col("kind") == "commune",
                          pl.col("established_on") == REFORM)["org_id"])
    v = versions.filter(pl.col("valid_from").is_not_null())
    assert set(v["valid_from"]) == {REFORM}
    under = v.filter(pl.col("parent_id").is_in(list(xa)))
    by_level = dict(under.group_by("level").len().iter_rows())
    assert by_level["chi_bo"] > 1000            # chi bộ trực thuộc directly under the đảng ủy xã
    assert by_level["dang_bo_co_so"] >= 20 and by_level["chi_bo_co_so"] >= 100
    kinds = set(under.filter(pl.col("level").is_in(["dang_bo_co_so", "chi_bo_co_so"]))["kind"])
    assert {"public_service", "armed_forces", "enterprise"} <= kinds
    # a re-parented cell keeps its id; its first version stays under its old commune
    moved = whole.filter(pl.col("level0") == "chi_bo", pl.col("n_versions") == 2, pl.col("parent1").is_in(list(xa)))
    old_parents = whole.filter(pl.col("org_id").is_in(list(moved["parent0"])))
    assert set(old_parents["dissolved_on"]) == {EVE}


def test_bo_phan_level_change_and_merged_cells(whole, read_kind):
    bp = set(whole.filter(pl.col("level1") == "dang_bo_bo_phan")["org_id"])
    assert bp and whole.filter(pl.col("parent1").is_in(list(bp)), pl.col("level1") == "chi_bo").height >= 6
    changed = whole.filter(pl.col("level0") != pl.col("level1"))
    assert changed.height >= 1 and set(changed["level0"]) == {"chi_bo"} and set(changed["level1"]) == {"chi_bo_co_so"}
    merged = whole.filter(pl.col("level0") == "chi_bo", pl.col("dissolved_on") == EVE)
    assert merged.height >= 10
    targets = whole.filter(pl.col("org_id").is_in(list(merged["successor_id"])))
    assert set(targets["level1"]) == {"chi_bo"} and set(targets["established_on"]) == {REFORM}
    assert merged.group_by("successor_id").len()["len"].min() >= 2
    # the merged cells' members sit in the new cell in the latest register
    mem = _latest(read_kind("members"), ["member_id"])
    assert mem.filter(pl.col("cell_id").is_in(list(targets["org_id"]))).height > 0
    assert mem.filter(pl.col("cell_id").is_in(list(merged["org_id"])), pl.col("status") == "active").height == 0


def test_every_version_has_an_allowed_parent(versions):
    """The tree checks of the contract on the tree of every change date."""
    def in_force(on: dt.date | None) -> dict[str, str]:
        v = versions.filter(pl.col("valid_from").is_null() | (pl.col("valid_from") <= (on or dt.date.min)))
        first = versions.group_by("org_id", maintain_order=True).first()
        v = pl.concat([first, v]).unique("org_id", keep="last", maintain_order=True)
        return dict(zip(v["org_id"], v["level"]))
    for on in (None, REFORM):
        level = in_force(on)
        rows = versions.filter(pl.col("valid_from").is_null() if on is None else pl.col("valid_from") == on)
        for org, lv, par in rows.select("org_id", "level", "parent_id").iter_rows():
            if lv == "tinh":
                assert par is None
            else:
                assert level.get(par) in PARENT_LEVELS[lv], (org, lv, par, level.get(par), on)


def test_every_file_validates_except_the_planted_rows(province, rules):
    from chibo.validate import validate_file
    got = set()
    for p in sorted(province.out.rglob("*")):
        rel = p.relative_to(province.out)
        if p.is_file() and not rel.parts[0].startswith("."):
            for pr in validate_file(p, rel.parts[0], AS_OF, rules):
                assert pr.check_name != "file_rejected", pr
                got.add((str(rel), pr.source_row, pr.check_name))
    want = {(b.file, b.row, b.check) for b in province.bad_rows}
    assert got == want
    listed = pl.read_csv(province.out / MANIFEST_DIR / "bad_rows.csv")
    assert set(zip(listed["file"], listed["row"], listed["check"])) == want


def test_paths_in_time_order_and_nothing_after_as_of(province):
    for kind_dir in province.out.iterdir():
        if kind_dir.name.startswith("."):
            continue
        for p in kind_dir.iterdir():
            assert dt.date.fromisoformat(p.name[:10]) <= AS_OF
    corr = sorted(province.out.glob("attendance/*dinh-chinh-2.csv"))
    assert corr
    for c in corr:
        d = dt.date.fromisoformat(c.name[:10]) - dt.timedelta(days=10)
        stem = c.name[11:].replace("-dinh-chinh-2.csv", "")
        originals = list((province.out / "attendance").glob(f"{d.isoformat()}-{stem}.*"))
        assert len(originals) == 1 and str(originals[0]) < str(c)


def test_behaviours_occur(read_kind):
    mt = read_kind("meetings")
    assert set(mt["meeting_type"]) == {"regular", "thematic", "combined", "extraordinary"}
    hm = lambda c: pl.col(c).dt.hour().cast(pl.Int32) * 60 + pl.col(c).dt.minute().cast(pl.Int32)  # noqa: E731
    mt = mt.with_columns((hm("end_time") - hm("start_time")).alias("dur"))
    assert mt.filter(pl.col("dur") < 90, pl.col("meeting_type") != "extraordinary").height > 0
    assert mt.filter(pl.col("meeting_type") == "combined", pl.col("meeting_date") >= dt.date(2025, 10, 28),
                     pl.col("dur").is_between(90, 119)).height > 0
    assert mt.filter(pl.col("minutes_signed").not_()).height > 0
    # skipped months and missing thematic quarters (cell-years of 2024)
    y = mt.filter(pl.col("meeting_date").dt.year() == 2024)
    reg = y.filter(pl.col("meeting_type").is_in(["regular", "combined"])).group_by("cell_id").agg(
        pl.col("meeting_date").dt.month().n_unique().alias("months"))
    assert reg.filter(pl.col("months") < 12).height > 0 and reg.filter(pl.col("months") == 12).height > 0
    th = y.filter(pl.col("meeting_type").is_in(["thematic", "combined"])).group_by("cell_id").agg(
        pl.col("meeting_date").dt.quarter().n_unique().alias("q"))
    assert th.filter(pl.col("q") < 4).height > 0 and th.filter(pl.col("q") == 4).height > 0
    at = read_kind("attendance").join(
        mt.select("meeting_id", "cell_id", "meeting_date", "meeting_type"), on="meeting_id")
    assert {"present", "excused", "unexcused", "exempt", "special_duty"} <= set(at["status"])
    at = at.with_columns(pl.col("meeting_date").dt.year().alias("y"), pl.col("meeting_date").dt.month().alias("m"))
    removal = at.filter(pl.col("status") == "unexcused").group_by("member_id", "y").agg(pl.col("m").n_unique().alias("n"))
    assert removal.filter(pl.col("n") >= 3).height > 0
    streak = (at.filter(pl.col("meeting_type").is_in(["regular", "combined"])).sort("member_id", "meeting_date")
              .with_columns((pl.col("status") != "excused").cum_sum().over("member_id", "y").alias("grp"))
              .filter(pl.col("status") == "excused").group_by("member_id", "y", "grp").len())
    assert streak.filter(pl.col("len") >= 4).height > 0
    pres = at.filter(pl.col("status") == "present").group_by("cell_id", "y").agg(
        pl.col("spoke").fill_null(False).mean().alias("sp"))
    assert pres.filter(pl.col("sp") < 0.5).height > 0 and pres.filter(pl.col("sp") >= 0.5).height > 0
    meeting_ids = set(at["meeting_id"])
    assert mt.filter(~pl.col("meeting_id").is_in(list(meeting_ids)), pl.col("meeting_type") != "extraordinary").height > 0
    rat = read_kind("member_ratings")
    assert {"excellent", "good", "completed", "failed"} <= set(rat["rating"])
    assert rat.filter(pl.col("disciplined")).height > 0
    org = read_kind("org_units")
    churn = org.filter(pl.col("established_on").dt.year().is_in([2023, 2024, 2025]), pl.col("established_on") != REFORM)
    assert churn.height > 0 and org.filter(pl.col("dissolved_on").is_not_null(), pl.col("dissolved_on") != EVE).height > 0
    mem = read_kind("members")
    assert {"active", "exempt", "transferred_out", "deceased", "removed"} <= set(mem["status"])
    assert {"Kinh", "M'Nông", "Ê Đê", "H'Mông", "Tày", "Nùng"} <= set(mem["ethnicity"].drop_nulls())


def test_materials_posted_for_most_meetings_late_or_not_at_all_for_some(read_kind):
    mt = read_kind("meetings").filter(
        pl.col("meeting_date") >= dt.date(2025, 10, 28), pl.col("meeting_type") != "extraordinary")
    days = (pl.col("meeting_date") - pl.col("materials_posted_on")).dt.total_days()
    on_time = mt.filter(days >= 1).height
    same_day = mt.filter(days == 0).height
    never = mt.filter(pl.col("materials_posted_on").is_null()).height
    assert on_time > 0.8 * mt.height and same_day > 0 and never > 0
    assert mt.filter(days < 0).height == 0     # never posted after the meeting


def test_assessments_follow_the_rulebooks(whole, read_kind):
    ass = read_kind("assessments")
    a24, a25 = ass.filter(pl.col("year") == 2024), ass.filter(pl.col("year") == 2025)
    for col in ("score", "targets_late", "leaders_disciplined"):
        assert a25[col].null_count() == 0, col
        assert a24[col].null_count() == a24.height, col
    # a spread that reaches every rung of the QĐ 366 ladder
    late, tot = pl.col("targets_late"), pl.col("targets_total")
    assert a25.filter(pl.col("score") < 50).height > 0
    assert a25.filter(pl.col("score").is_between(50, 69.99)).height > 0
    assert a25.filter(pl.col("score").is_between(70, 89.99)).height > 0
    assert a25.filter(pl.col("score") >= 90).height > 0
    assert a25.filter(late >= 1, late * 5 <= tot).height > 0 and a25.filter(late * 5 > tot).height > 0
    assert a25.filter(pl.col("targets_met") < tot).height > 0
    assert a25.filter(pl.col("leaders_disciplined")).height > 0
    assert a25.filter(pl.col("org_disciplined")).height > 0 and a25.filter(pl.col("disunity")).height > 0
    ctcs = set(whole.filter(pl.col("level1") == "cap_tren_co_so")["org_id"])
    for y in (2024, 2025):
        assert ass.filter(pl.col("year") == y, pl.col("org_id").is_in(list(ctcs))).height >= 10, y
    # orgs dissolved on 2025-06-30 are not assessed for 2025
    gone = set(whole.filter(pl.col("dissolved_on") == EVE)["org_id"])
    assert a25.filter(pl.col("org_id").is_in(list(gone))).height == 0


def test_official_ratings_and_the_planted_ones(province, read_kind):
    root = province.out
    off = read_kind("official_ratings")
    ass = read_kind("assessments")
    for y in (2023, 2024, 2025):
        n_off = off.filter(pl.col("year") == y).select("org_id").n_unique()
        assert n_off >= 0.7 * ass.filter(pl.col("year") == y).height, y       # most org-years
    # re-ratings: a later file replaces an earlier row of the same key with another level
    again = off.filter(pl.col("_file").str.contains("xep-loai-lai"))
    assert again.height > 0
    first = off.filter(~pl.col("_file").str.contains("xep-loai-lai"))
    j = again.join(first, on=["org_id", "year"], suffix="_first")
    assert j.height == again.height and (j["level"] != j["level_first"]).all()
    final = _latest(off, ["org_id", "year"])
    planted = pl.read_csv(root / MANIFEST_DIR / PLANTED_RATINGS)
    assert planted.height == len(province.planted_ratings)
    inflated = planted.filter(pl.col("what") == "inflated")
    assert inflated.height >= 10 and set(inflated["year"]) == {2023, 2024, 2025}
    assert set(inflated["best_supported"]) <= {"completed", "failed"}
    for r in inflated.iter_rows(named=True):
        assert RANK[r["official_level"]] < RANK[r["best_supported"]], r
    got = planted.join(final, on=["org_id", "year"])
    assert got.height == planted.height and (got["official_level"] == got["level"]).all()
    assert {"lower", "four_good_not_met"} <= set(planted["what"])
    fg = planted.filter(pl.col("what") == "four_good_not_met").join(final, on=["org_id", "year"])
    assert fg["four_good_awarded"].all()
    # "4 tốt" is never awarded outside the planted rows
    awarded = final.filter(pl.col("four_good_awarded").fill_null(False))
    assert set(zip(awarded["org_id"], awarded["year"])) == set(zip(fg["org_id"], fg["year"]))


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_deterministic(tmp_path):
    kw = dict(as_of=dt.date(2025, 4, 20), members=3000)
    a = generate("province", (2024, 2025), tmp_path / "a", seed=7, **kw)
    b = generate("province", (2024, 2025), tmp_path / "b", seed=7, **kw)
    generate("province", (2024, 2025), tmp_path / "c", seed=8, **kw)
    da, db, dc = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert da == db and a.attendance_rows == b.attendance_rows
    assert da != dc
    # as-of in 2025: 2024 assessed in January 2025, 2025 not; no file after the as-of date;
    # the reorganisation (1/7/2025) not delivered yet
    assert any(k.startswith("assessments/2025-01-20") for k in da)
    assert not any(k.startswith("assessments/2026") for k in da)
    assert max(k.split("/")[1][:10] for k in da if not k.startswith(".")) <= "2025-04-20"
    assert not any(k.startswith("org_units/2025-07") for k in da)


def test_deterministic_through_the_reform_and_a_later_start(tmp_path):
    kw = dict(as_of=dt.date(2025, 9, 10), members=2500)
    generate("province", (2025, 2025), tmp_path / "a", seed=3, **kw)
    generate("province", (2025, 2025), tmp_path / "b", seed=3, **kw)
    da = _digest(tmp_path / "a")
    assert da == _digest(tmp_path / "b")
    reform = {k.rsplit(".", 1)[0] for k in da if k.startswith("org_units/2025-07-01")}
    assert reform == {f"org_units/2025-07-01-{s}-{w}" for s in ("dak-nong", "lam-dong")
                      for w in ("giai-the", "sap-xep", "thanh-lap")}
    # a period that starts after the reform: the tree delivered at its start is already the new one
    s = generate("province", (2026, 2026), tmp_path / "late", seed=3, as_of=dt.date(2026, 5, 10), members=2500)
    from chibo.read import read_file
    tree = read_file(next((tmp_path / "late" / "org_units").glob("2026-01-05-dak-nong-*")), "org_units").frame
    assert "valid_from" in tree.columns and (tree["valid_from"] == "2025-07-01").sum() > 100
    assert s.meetings > 0


def test_national_is_34_provinces_of_63():
    specs = national_specs()
    assert len(specs) == 34 and sum(len(s.olds) for s in specs) == 63
    assert len({o.number for s in specs for o in s.olds}) == 63
    assert sum(not s.continuing for s in specs) == 23


def test_national_fraction(tmp_path):
    s = generate("national", (2025, 2025), tmp_path, seed=1, as_of=dt.date(2025, 3, 10), provinces=1)
    assert abs(s.members - 5_600_000 / 63) < 0.05 * 5_600_000 / 63
    assert s.bad_rows == [] and s.files_by_style == {"plain": s.files}
    f = sorted((tmp_path / "attendance").iterdir())[0]
    assert pl.read_csv(f).height > 10_000


def test_national_goes_through_the_reform(tmp_path, rules):
    """The first new province (two old ones): old roots and districts dissolved, new communes."""
    s = generate("national", (2025, 2025), tmp_path, seed=1, as_of=dt.date(2025, 7, 20), provinces=2)
    first = national_specs()[0]
    org = _latest(_read_kind(tmp_path, "org_units", rules), ["org_id", "valid_from"])
    gone = org.filter(pl.col("org_id").is_in([o.root for o in first.olds]))
    assert set(gone["dissolved_on"]) == {EVE} and set(gone["successor_id"]) == {first.root}
    xa = org.filter(pl.col("org_id").str.starts_with(first.prefix + "U"), pl.col("level") == "cap_tren_co_so")
    assert xa.height > 30 and org.filter(pl.col("valid_from") == REFORM, pl.col("parent_id").is_in(list(xa["org_id"]))).height > 1000
    assert s.bad_rows == []
