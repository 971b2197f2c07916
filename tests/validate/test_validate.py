"""Row checks on real CSV files: every check code, typed output, counting invariant."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from chibo.read import read_file
from chibo.validate import (
    QUARANTINE_SCHEMA,
    ValidationResult,
    format_problems,
    validate_file,
    validate_frame,
)

AS_OF = dt.date(2025, 6, 30)


@dataclass(frozen=True)
class Rules:
    """The rulebook questions validation asks (chibo.rulebooks.RuleSet), fixed for the test:
    every year from 2000 covered, the score required from `score_from`, timeliness not rated."""
    score_from: int = 2025

    def covers(self, year: int) -> bool:
        return year >= 2000

    def uses_score(self, year: int) -> bool:
        return year >= self.score_from

    def rates_timeliness(self, year: int) -> bool:
        return False


RULES = Rules()


def run(tmp_path: Path, kind: str, text: str, as_of: dt.date = AS_OF,
        rules: Rules = RULES, name: str = "f.csv") -> ValidationResult:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    res = validate_frame(read_file(path, kind), kind, name, as_of, rules)
    # The counting invariant holds for every file.
    assert res.rows_read == res.valid.height + res.quarantine["source_row"].n_unique()
    assert dict(res.quarantine.schema) == QUARANTINE_SCHEMA
    assert res.quarantine["message_vi"].null_count() == 0
    return res


def problems(res: ValidationResult) -> set[tuple[int, str, str]]:
    return {(r, c, k) for r, c, k in res.quarantine.select("source_row", "column_name",
                                                          "check_name").iter_rows()}


ORG = "org_id;name;level;parent_id;kind;established_on;dissolved_on\n"


def test_org_units_checks(tmp_path: Path) -> None:
    text = ORG + (
        "T;Tỉnh;Đảng bộ tỉnh;;Khác;01/01/2004;\n"                       # 2 ok
        "_bad;Huyện;cap_tren_co_so;T;other;;\n"                         # 3 invalid_id
        "A;;cap tren co so;T;other;;\n"                                 # 4 required name
        f"B;{'x' * 201};chi_bo;A;other;;\n"                             # 5 too_long
        "C;Chi bộ;chi_bo;;other;;\n"                                    # 6 parent required
        "D;Chi bộ;cap_tren;A;other;;\n"                                 # 7 unknown_enum level
        "E;Chi bộ;chi_bo;A;khu dan cu;2010-01-01;2009-12-31\n"          # 8 dissolved before
        "F;Chi bộ;chi_bo;A;other;2026-01-01;\n"                         # 9 date_after_as_of
        "G;Chi bộ;chi_bo;A;other;30/02/2010;\n"                         # 10 invalid_date
        f"H;{'ẫ' * 200};chi_bo;A;other;{AS_OF:%d/%m/%Y};\n"              # 11 ok: 200 chars, = as_of
    )
    res = run(tmp_path, "org_units", text)
    assert problems(res) == {
        (3, "org_id", "invalid_id"), (4, "name", "required"), (5, "name", "too_long"),
        (6, "parent_id", "required"), (7, "level", "unknown_enum"),
        (8, "dissolved_on", "dissolved_before_established"),
        (9, "established_on", "date_after_as_of"), (10, "established_on", "invalid_date"),
    }
    assert res.valid["org_id"].to_list() == ["T", "H"]
    assert res.valid["established_on"].to_list() == [dt.date(2004, 1, 1), AS_OF]
    assert res.quarantine.filter(pl.col("check_name") == "invalid_date")["value"].item() == "30/02/2010"


def test_members_checks(tmp_path: Path) -> None:
    text = ("member_id,full_name,birth_date,sex,cell_id,joined_on,official_on,status,is_local\n"
            "U1,An,12/5/1980,Nam,C1,2005-02-03,03/02/2006,Đang sinh hoạt,x\n"       # 2 ok
            "U2,Bình,2000-01-01,nữ,C1,2017-12-31,,active,\n"                        # 3 under 18
            "U3,Cúc,2000-01-01,Nữ,C1,2018-01-01,2017-06-01,active,\n"               # 4 official
            "U4,Dũng,1900-01-01,Nam,C1,1930-01-01,,active,\n"                       # 5 birth range
            "U5,Em,1980-01-01,Nam,C1,2005-01-01,,active,maybe\n")                   # 6 bool
    res = run(tmp_path, "members", text)
    assert problems(res) == {
        (3, "joined_on", "under_18_at_joining"), (4, "official_on", "official_before_joined"),
        (5, "birth_date", "out_of_range"), (6, "is_local", "invalid_bool"),
    }
    row = res.valid.row(0, named=True)
    assert row["birth_date"] == dt.date(1980, 5, 12) and row["sex"] == "male"
    assert row["is_local"] is True and row["status"] == "active" and row["action"] == "upsert"


MEET = ("meeting_id;cell_id;meeting_date;meeting_type;start_time;end_time;topic;chair_member_id;"
        "secretary_member_id;upper_attendees;criticism_held;hcm_story;resolution_adopted;"
        "minutes_signed\n")


def test_meetings_checks(tmp_path: Path) -> None:
    text = MEET + (
        "M1;C1;05/01/2024;Thường kỳ;19h30;21:00;;U1;U2;1;có;co;CÓ;x\n"            # 2 ok
        "M2;C1;15/01/2024;Chuyen de;8h;10h30;;U1;U2;0;1;0;1;1\n"                  # 3 topic
        "M3;C1;1999-12-31;regular;21:00;19:30;;U1;U2;51;1;;1;1\n"                 # 4 range x2, end
        "M4;C1;2024-02-01;regular;25:00;9:61;;U1;U2;abc;1;;1;1\n"                 # 5 time x2, int
        "M5;C1;2024-02-01;combined;8:00;9:00;Nghị quyết;U1;U2;0;1;;1;\n"          # 6 required bool
    )
    res = run(tmp_path, "meetings", text)
    assert problems(res) == {
        (3, "topic", "topic_required"), (4, "meeting_date", "out_of_range"),
        (4, "upper_attendees", "out_of_range"), (4, "end_time", "end_before_start"),
        (5, "start_time", "invalid_time"), (5, "end_time", "invalid_time"),
        (5, "upper_attendees", "invalid_int"), (6, "minutes_signed", "required"),
    }
    row = res.valid.row(0, named=True)
    assert row["start_time"] == dt.time(19, 30) and row["meeting_type"] == "regular"
    assert row["upper_attendees"] == 1 and res.valid["upper_attendees"].dtype == pl.Int32
    assert row["hcm_story"] is True and row["minutes_signed"] is True


def test_attendance_checks_and_duplicates(tmp_path: Path) -> None:
    text = ("meeting_id\tmember_id\tstatus\tspoke\tabsence_reason\n"
            "M1\tU1\tCó mặt\tx\t\n"                    # 2 ok
            "M1\tU2\tVắng có lý do\t1\t\n"             # 3 spoke while absent + reason
            "M1\tU3\tvang co ly do\t\tỐm\n"            # 4 ok
            "M1\tU4\tpresent\t\t\n"                    # 5 dup
            "M1\tU4\tpresent\t\t\n"                    # 6 dup
            "M1\tU4\tpresent\t\t\n"                    # 7 dup
            "\tU5\tpresent\t\t\n")                     # 8 required key
    res = run(tmp_path, "attendance", text)
    assert problems(res) == {
        (3, "spoke", "spoke_while_absent"), (3, "absence_reason", "reason_required"),
        (5, "meeting_id", "duplicate_key_in_file"), (6, "meeting_id", "duplicate_key_in_file"),
        (7, "meeting_id", "duplicate_key_in_file"), (8, "meeting_id", "required"),
    }
    dup = res.quarantine.filter(pl.col("check_name") == "duplicate_key_in_file")
    assert dup["value"].to_list() == ["M1 / U4"] * 3
    assert res.valid["spoke"].to_list() == [True, False]          # default false
    assert res.valid["status"].to_list() == ["present", "excused"]


ASSESS = ("org_id;year;targets_total;targets_met;targets_exceeded;org_disciplined;disunity;"
          "mass_orgs_good;shortcomings_fixed;score\n")


def test_assessments_checks_decimal_comma_and_score_rule(tmp_path: Path) -> None:
    text = ASSESS + (
        "B1;2024;10;9;1;0;0;1;1;\n"              # 2 ok: score optional before 2025
        "B1;2025;10;9;1;0;0;1;1;93,5\n"          # 3 ok
        "B2;2025;10;9;1;0;0;1;1;\n"              # 4 score required
        "B3;2025;0;11;12;0;0;1;1;100,001\n"      # 5 total<1, met>total, exc>met, 3 decimals
        "B4;2026;10;9;1;0;0;1;1;101\n"           # 6 year > as_of year, score > 100
        "B5;1999;10;9;1;0;0;1;1;9x\n"            # 7 year < 2000, bad decimal
    )
    res = run(tmp_path, "assessments", text)
    assert problems(res) == {
        (4, "score", "required"), (5, "targets_total", "out_of_range"),
        (5, "targets_met", "out_of_range"), (5, "targets_exceeded", "out_of_range"),
        (5, "score", "invalid_decimal"), (6, "year", "out_of_range"), (6, "score", "out_of_range"),
        (7, "year", "out_of_range"), (7, "score", "invalid_decimal"),
    }
    assert res.valid["score"].to_list() == [None, Decimal("93.50")]
    assert res.valid["score"].dtype == pl.Decimal(5, 2)
    # A rulebook that never requires the score accepts row 4.
    lenient = run(tmp_path, "assessments", text, rules=Rules(score_from=9999), name="g.csv")
    assert 4 not in lenient.quarantine["source_row"].to_list()


def test_timeliness_optional_for_2024_and_required_from_2025(tmp_path: Path) -> None:
    """The shipped rulebooks: QĐ 124 (to 2024) does not rate timeliness, QĐ 366 (from 2025)
    does, so targets_late and leaders_disciplined are required from 2025 only."""
    from chibo.rulebooks import load_rulebooks
    rules = load_rulebooks()
    assert not rules.rates_timeliness(2024) and rules.rates_timeliness(2025)
    text = (ASSESS.rstrip("\n") + ";targets_late;leaders_disciplined\n"
            "B1;2024;10;9;1;0;0;1;1;;;\n"              # 2 ok: not rated before 2025
            "B2;2025;10;9;1;0;0;1;1;93,5;;\n"          # 3 both required
            "B3;2025;10;9;1;0;0;1;1;93,5;2;0\n")       # 4 ok
    res = run(tmp_path, "assessments", text, as_of=dt.date(2026, 3, 15), rules=rules)
    assert problems(res) == {(3, "targets_late", "required"),
                             (3, "leaders_disciplined", "required")}
    assert res.valid["org_id"].to_list() == ["B1", "B3"]
    assert res.valid["targets_late"].to_list() == [None, 2]
    assert res.valid["leaders_disciplined"].to_list() == [None, False]


def test_member_ratings_labels_and_action(tmp_path: Path) -> None:
    text = ("member_id,year,cell_id,rating,disciplined,action\n"
            "U1,2024,C1,HTXSNV,không,\n"                    # 2 ok
            "U2,2024,C1,hoan thanh tot nhiem vu,0,Cập nhật\n"  # 3 ok
            "U3,2024,,,,xoa\n"                              # 4 delete: only key checked
            "U4,2024,C1,good,0,sửa\n"                       # 5 unknown action
            ",2024,,,,Xóa\n")                               # 6 delete without key
    res = run(tmp_path, "member_ratings", text)
    assert problems(res) == {(5, "action", "unknown_enum"), (6, "member_id", "required")}
    assert res.valid["action"].to_list() == ["upsert", "upsert", "delete"]
    assert res.valid["rating"].to_list() == ["excellent", "good", None]
    assert res.valid["year"].dtype == pl.Int32


def test_valid_has_every_contract_column_in_order(tmp_path: Path) -> None:
    res = run(tmp_path, "meetings", MEET + "M1;C1;05/01/2024;regular;19:30;21:00;;U1;U2;0;1;;1;1\n")
    from chibo.contract import CONTRACT
    assert res.valid.columns == [*CONTRACT["meetings"].column_names, "action", "source_row"]
    assert res.valid["materials_posted_on"].dtype == pl.Date
    assert res.valid["start_time"].dtype == pl.Time


def test_validate_file_and_format_problems(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("member_id;full_name\nU1;An\n", encoding="utf-8")
    rejected = validate_file(path, "members", AS_OF, RULES)
    assert [p.check_name for p in rejected] == ["file_rejected"]
    assert "birth_date" in rejected[0].message_en
    path.write_text("org_id,name,level,parent_id,kind\nT,Tỉnh,tinh,,bogus\n", encoding="utf-8")
    probs = validate_file(path, "org_units", AS_OF, RULES)
    lines = format_problems(probs)
    assert len(lines) == 1
    assert ":2 [kind] unknown_enum «bogus»" in lines[0]
    assert "danh mục" in lines[0] and "Value not in the list" in lines[0]


@pytest.mark.parametrize("raw,expected", [
    ("2024-03-05", dt.date(2024, 3, 5)), ("05/03/2024", dt.date(2024, 3, 5)),
    ("5/3/2024", dt.date(2024, 3, 5)), ("29/02/2024", dt.date(2024, 2, 29)),
    ("29/02/2023", None), ("2024-3-5", None), ("05-03-2024", None),
])
def test_date_forms(tmp_path: Path, raw: str, expected: dt.date | None) -> None:
    res = run(tmp_path, "org_units", ORG + f"T;Tỉnh;tinh;;other;{raw};\n")
    if expected is None:
        assert problems(res) == {(2, "established_on", "invalid_date")}
    else:
        assert res.valid["established_on"].to_list() == [expected]


@pytest.mark.parametrize("raw,expected", [
    ("1", True), ("0", False), ("TRUE", True), ("false", False), ("Yes", True), ("no", False),
    ("Có", True), ("KHÔNG", False), ("co", True), ("khong", False), ("X", True), ("2", None),
])
def test_bool_forms(tmp_path: Path, raw: str, expected: bool | None) -> None:
    res = run(tmp_path, "attendance", f"meeting_id,member_id,status,spoke\nM1,U1,present,{raw}\n")
    if expected is None:
        assert problems(res) == {(2, "spoke", "invalid_bool")}
    else:
        assert res.valid["spoke"].to_list() == [expected]


@pytest.mark.parametrize("raw,expected", [
    ("19:30", dt.time(19, 30)), ("8:05", dt.time(8, 5)), ("19h30", dt.time(19, 30)),
    ("8h", dt.time(8, 0)), ("08H15", dt.time(8, 15)), ("24:00", None), ("7.30", None),
])
def test_time_forms(tmp_path: Path, raw: str, expected: dt.time | None) -> None:
    res = run(tmp_path, "meetings",
              MEET + f"M1;C1;05/01/2024;regular;{raw};23:59;;U1;U2;0;1;;1;1\n")
    if expected is None:
        assert problems(res) == {(2, "start_time", "invalid_time")}
    else:
        assert res.valid["start_time"].to_list() == [expected]
