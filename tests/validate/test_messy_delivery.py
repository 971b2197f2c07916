"""The committed messy province delivery goes through with every row accounted for."""
from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import polars as pl

from chibo.read import read_file
from chibo.rulebooks import load_rulebooks
from chibo.validate import validate_frame
from chibo.validate.core import _failure_cases, pandera_failure_cases, schema_for
from chibo.validate.parse import add_parsed
from chibo.contract import CONTRACT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_messy import AS_OF, EXPECTED, ROOT  # noqa: E402

RULES = load_rulebooks()


def test_every_file_of_the_messy_delivery_is_accounted_for() -> None:
    delivered = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file())
    assert delivered == sorted(EXPECTED)
    for rel, (rows, valid, quarantined) in EXPECTED.items():
        kind = rel.split("/")[0]
        res = validate_frame(read_file(ROOT / rel, kind), kind, rel, AS_OF, RULES)
        bad = res.quarantine["source_row"].n_unique()
        assert (res.rows_read, res.valid.height, bad) == (rows, valid, quarantined), rel
        assert res.rows_read == res.valid.height + bad
        # A row is either valid or quarantined, never both.
        assert not set(res.valid["source_row"]) & set(res.quarantine["source_row"]), rel


def test_messy_values_are_decoded_and_typed() -> None:
    members = validate_frame(read_file(ROOT / "members/2024-01-15-dang-vien.csv", "members"),
                             "members", "m", AS_OF, RULES)
    assert members.valid["full_name"].to_list()[:2] == ["Y Bhăm Êban", "Hoàng Thị Lụa"]
    assert members.valid["ethnicity"].to_list()[0] == "Ê Đê"
    assessments = validate_frame(
        read_file(ROOT / "assessments/2025-12-31-danh-gia.csv", "assessments"),
        "assessments", "a", AS_OF, RULES)
    assert [str(s) if s is not None else None for s in assessments.valid["score"]] == [None, "93.50"]
    meetings = validate_frame(read_file(ROOT / "meetings/2024-02-01-bien-ban.csv.gz", "meetings"),
                              "meetings", "m", AS_OF, RULES)
    assert meetings.valid.filter(pl.col("meeting_id") == "SH-2024-02")["topic"].item() == \
        "Học tập Nghị quyết\nĐại hội"


def test_xlsx_row_numbers_match_what_excel_shows() -> None:
    path = ROOT / "org_units/2024-01-10-cay-to-chuc.xlsx"
    ws = openpyxl.load_workbook(path)["org_units"]
    excel_row = next(c.row for c in ws["A"] if c.value == "DM-X1-B2")
    res = validate_frame(read_file(path, "org_units"), "org_units", "o", AS_OF, RULES)
    assert res.quarantine["source_row"].to_list() == [excel_row]
    assert res.valid["established_on"].cast(pl.String).to_list() == \
        ["2004-01-01", "2004-01-01", "2005-03-05", "2006-06-01"]


def test_one_select_gives_pandera_s_verdicts() -> None:
    """The checks run as one polars select per file; pandera (the schema of record) must
    report exactly the same (row, column, check, value) for every messy file."""
    for rel in EXPECTED:
        kind = rel.split("/")[0]
        read = read_file(ROOT / rel, kind)
        work = add_parsed(read.frame, CONTRACT[kind], read.decimal_comma)
        schema = schema_for(kind, AS_OF, RULES)
        ours = _failure_cases(schema, work).sort(pl.all())
        theirs = pandera_failure_cases(schema, work).unique().sort(pl.all())
        assert ours.unique().sort(pl.all()).to_dicts() == theirs.to_dicts(), rel
