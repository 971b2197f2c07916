"""The synthetic generator: counts, determinism, behaviours, validity of every file."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl
import pytest

from chibo.generate import generate, parse_years
from chibo.generate.writers import encode_cp1258

AS_OF = dt.date(2026, 11, 27)
pytestmark = pytest.mark.xdist_group("generate")


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    out = tmp_path_factory.mktemp("prov")
    return generate("province", (2023, 2025), out, seed=1, as_of=AS_OF)


def _read_kind(root: Path, kind: str) -> pl.DataFrame:
    from chibo.read import read_file
    from chibo.validate import validate_frame
    from chibo.validate.core import default_score_required
    frames = []
    for p in sorted((root / kind).rglob("*")):
        if "dinh-chinh" in p.name:
            continue
        f = validate_frame(read_file(p, kind), kind, str(p), AS_OF, default_score_required).valid.drop("source_row")
        frames.append(f.with_columns(pl.lit(p.name).alias("_file")))
    return pl.concat(frames, how="diagonal_relaxed")


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


def test_province_counts(province):
    root = province.out
    org = _read_kind(root, "org_units").unique("org_id", keep="last")
    by = dict(org.group_by("level").len().iter_rows())
    for level, want in (("dang_bo_co_so", 167), ("chi_bo_co_so", 271), ("chi_bo", 1716), ("cap_tren_co_so", 8)):
        assert abs(by[level] - want) <= 0.05 * want, (level, by[level])
    assert abs(province.members - 27_541) <= 0.05 * 27_541
    names = set(org.filter(pl.col("level") == "cap_tren_co_so")["name"])
    for d in ("Gia Nghĩa", "Cư Jút", "Đắk Glong", "Đắk Mil", "Đắk R'lấp", "Đắk Song", "Krông Nô", "Tuy Đức"):
        assert any(d in n for n in names), d
    assert province.files_by_style.get("xlsx", 0) > 0 and province.files_by_style.get("excel_csv", 0) > 0
    assert 10 <= province.intended_bad_rows <= 30


def test_paths_in_time_order_and_nothing_after_as_of(province):
    for kind_dir in province.out.iterdir():
        for p in kind_dir.iterdir():
            assert dt.date.fromisoformat(p.name[:10]) <= AS_OF
    corr = sorted(province.out.glob("attendance/*dinh-chinh-2.csv"))
    assert corr
    for c in corr:
        d = dt.date.fromisoformat(c.name[:10]) - dt.timedelta(days=10)
        stem = c.name[11:].replace("-dinh-chinh-2.csv", "")
        originals = list((province.out / "attendance").glob(f"{d.isoformat()}-{stem}.*"))
        assert len(originals) == 1 and str(originals[0]) < str(c)


def test_behaviours_occur(province):
    root = province.out
    mt = _read_kind(root, "meetings").filter(pl.col("meeting_type").is_in(["regular", "thematic", "combined", "extraordinary"]))
    assert set(mt["meeting_type"]) == {"regular", "thematic", "combined", "extraordinary"}
    hm = lambda c: pl.col(c).dt.hour().cast(pl.Int32) * 60 + pl.col(c).dt.minute().cast(pl.Int32)
    mt = mt.with_columns((hm("end_time") - hm("start_time")).alias("dur"))
    assert mt.filter(pl.col("dur") < 90, pl.col("meeting_type") != "extraordinary").height > 0
    assert mt.filter(pl.col("meeting_type") == "combined", pl.col("meeting_date") >= dt.date(2025, 10, 28),
                     pl.col("dur").is_between(90, 119)).height > 0
    assert mt.filter(pl.col("minutes_signed").not_()).height > 0
    # skipped months and missing thematic quarters (cell-years of 2024, all cells alive all year)
    y = mt.filter(pl.col("meeting_date").dt.year() == 2024)
    reg = y.filter(pl.col("meeting_type").is_in(["regular", "combined"])).group_by("cell_id").agg(
        pl.col("meeting_date").dt.month().n_unique().alias("months"))
    assert reg.filter(pl.col("months") < 12).height > 0 and reg.filter(pl.col("months") == 12).height > 0
    th = y.filter(pl.col("meeting_type").is_in(["thematic", "combined"])).group_by("cell_id").agg(
        pl.col("meeting_date").dt.quarter().n_unique().alias("q"))
    assert th.filter(pl.col("q") < 4).height > 0 and th.filter(pl.col("q") == 4).height > 0
    at = _read_kind(root, "attendance").join(
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
    ass = _read_kind(root, "assessments")
    assert ass.filter(pl.col("org_disciplined")).height > 0
    assert ass.filter(pl.col("disunity")).height > 0
    a25 = ass.filter(pl.col("year") == 2025)
    assert a25.height > 0 and a25["score"].null_count() == 0
    assert ass.filter(pl.col("year") == 2023)["score"].null_count() == ass.filter(pl.col("year") == 2023).height
    rat = _read_kind(root, "member_ratings")
    assert {"excellent", "good", "completed", "failed"} <= set(rat["rating"])
    assert rat.filter(pl.col("disciplined")).height > 0
    org = _read_kind(root, "org_units")
    est = org.filter(pl.col("established_on").dt.year().is_in([2023, 2024, 2025]))
    assert est.height > 0 and org["dissolved_on"].drop_nulls().dt.year().is_in([2023, 2024, 2025]).any()
    mem = _read_kind(root, "members")
    assert {"active", "exempt", "transferred_out", "deceased", "removed"} <= set(mem["status"])
    assert {"Kinh", "M'Nông", "Ê Đê", "H'Mông", "Tày", "Nùng"} <= set(mem["ethnicity"].drop_nulls())


def test_only_intended_rows_fail(province):
    from chibo.validate import validate_file
    got = set()
    for p in sorted(province.out.rglob("*")):
        if p.is_file():
            kind = p.relative_to(province.out).parts[0]
            for pr in validate_file(p, kind, AS_OF):
                assert pr.check_name != "file_rejected", pr
                got.add((str(p.relative_to(province.out)), pr.source_row, pr.check_name))
    want = {(b.file, b.row, b.check) for b in province.bad_rows}
    assert got == want


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
    # as-of in 2025: 2024 assessed in January 2025, 2025 not; no file after the as-of date
    assert any(k.startswith("assessments/2025-01-20") for k in da)
    assert not any(k.startswith("assessments/2026") for k in da)
    assert max(k.split("/")[1][:10] for k in da) <= "2025-04-20"


def test_national_fraction(tmp_path):
    s = generate("national", (2025, 2025), tmp_path, seed=1, as_of=dt.date(2025, 3, 10), provinces=1)
    assert abs(s.members - 5_600_000 / 63) < 0.05 * 5_600_000 / 63
    assert s.bad_rows == [] and s.files_by_style == {"plain": s.files}
    f = sorted((tmp_path / "attendance").iterdir())[0]
    assert pl.read_csv(f).height > 10_000
