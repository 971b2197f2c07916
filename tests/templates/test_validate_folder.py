"""`chibo validate DIR`: every file under the folder, each file's kind from its folder."""
from __future__ import annotations

from chibo.cli import main
from tests.helpers import write_csv

GOOD_MEMBER = dict(member_id="M1", full_name="Nguyễn Văn A", birth_date="01/02/1980", sex="Nam",
                   cell_id="C1", joined_on="2005-01-01", status="Đang sinh hoạt")


def test_validate_a_raw_folder_checks_every_file(tmp_path, capsys):
    raw = tmp_path / "raw"
    good = write_csv(raw, "members", "2025-01-05-dv.csv", [GOOD_MEMBER])
    bad = write_csv(raw, "attendance", "sub/2025-02-10-dd.csv",
                    [dict(meeting_id="MT1", member_id="M1", status="có mặt lắm")])
    (raw / "meetings").mkdir()
    (raw / "meetings" / ".~lock.x.xlsx#").write_text("lock")          # hidden: not a delivery
    loose = raw / "ghi-chu.csv"                                       # in no kind folder
    loose.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["validate", str(raw), "--as-of", "2025-06-30"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{bad}:2 [status] unknown_enum «có mặt lắm»")
    assert out[1].startswith(f"{loose}: không biết tệp thuộc loại dữ liệu nào")
    assert out[2] == f"{good}: không có lỗi / no problems"
    assert out[3] == ("3 tệp: 1 không có lỗi, 2 có lỗi / 3 files: 1 without problems, "
                      "2 with problems")


def test_validate_a_kind_folder_takes_the_kind_from_it(tmp_path, capsys):
    raw = tmp_path / "raw"
    write_csv(raw, "members", "a.csv", [GOOD_MEMBER])
    write_csv(raw, "members", "b.csv", [{**GOOD_MEMBER, "member_id": "M2"}])
    assert main(["validate", str(raw / "members"), "--as-of", "2025-06-30"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("2 tệp: 2 không có lỗi, 0 có lỗi")


def test_validate_a_folder_with_kind_option_and_empty_folder(tmp_path, capsys):
    loose = tmp_path / "loose"
    loose.mkdir()
    assert main(["validate", str(loose)]) == 2
    assert "no file under" in capsys.readouterr().err
    (loose / "x.csv").write_text("meeting_id,member_id,status\nMT1,M1,present\n", encoding="utf-8")
    assert main(["validate", str(loose), "--kind", "attendance"]) == 0
    assert main(["validate", str(loose), "--kind", "nope"]) == 2
