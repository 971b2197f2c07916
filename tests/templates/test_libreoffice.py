"""The templates in a real spreadsheet program: LibreOffice headless opens each one and saves
it again (`--convert-to xlsx` into another folder); the dropdowns, their lists, the input
messages and the header survive, and a template saved by LibreOffice still reads clean.

CI needs: apt-get install -y --no-install-recommends libreoffice-calc (.ci/run does it).
"""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from chibo.contract import CONTRACT, KINDS
from chibo.rulebooks import load_rulebooks
from chibo.templates import GUIDE_SHEET, HEADER_ROW, write_all
from chibo.validate import validate_file
from tests.templates.filling import dropdowns, fill, header, validations

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not on PATH; install with "
                       "`apt-get install -y --no-install-recommends libreoffice-calc`"),
    pytest.mark.xdist_group("libreoffice"),
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """kind -> (template as written, the same file opened and saved by LibreOffice)."""
    tmp = tmp_path_factory.mktemp("lo-templates")
    written = write_all(tmp / "in")
    out = tmp / "out"
    assert SOFFICE is not None
    cmd = [SOFFICE, f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless",
           "--norestore", "--convert-to", "xlsx", "--outdir", str(out), *map(str, written)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    pairs = {p.stem: (p, out / p.name) for p in written}
    assert all(o.is_file() for _, o in pairs.values()), (proc.stdout, proc.stderr)
    return pairs


@pytest.mark.parametrize("kind", KINDS)
def test_libreoffice_keeps_the_dropdowns_and_messages(converted, kind):
    src, dst = converted[kind]
    before, after = openpyxl.load_workbook(src), openpyxl.load_workbook(dst)
    assert after.sheetnames == before.sheetnames
    ws_before, ws_after = before[kind], after[kind]
    assert [c.value for c in ws_after[HEADER_ROW]] == [c.value for c in ws_before[HEADER_ROW]]
    lists = dropdowns(after, ws_after)
    cols = header(ws_after, kind)
    for col in CONTRACT[kind].columns:
        if col.type == "enum":
            assert lists[cols[col.label_vi]] == [labels[0] for labels in col.enum.values()]
        elif col.type == "bool":
            assert lists[cols[col.label_vi]] == ["Có", "Không"]
    assert lists == dropdowns(before, ws_before)
    prompts = {c: dv.prompt for c, dv in validations(ws_after).items()}
    assert prompts == {c: dv.prompt for c, dv in validations(ws_before).items()}
    assert len(prompts) == len(CONTRACT[kind].columns) + 1
    assert after[GUIDE_SHEET].max_row == before[GUIDE_SHEET].max_row


def test_a_template_saved_by_libreoffice_reads_clean(converted, tmp_path):
    _, dst = converted["meetings"]
    path = fill(dst, "meetings", [dict(
        meeting_id="C1.20250310", cell_id="C1", meeting_date=dt.date(2025, 3, 10),
        meeting_type="Chuyên đề", start_time=dt.time(8, 0), end_time=dt.time(10, 0),
        topic="Chuyển đổi số", chair_member_id="DV1", secretary_member_id="DV2",
        upper_attendees=1, criticism_held="Không", resolution_adopted="Có",
        minutes_signed="Có")], out=tmp_path / "meetings" / "lo.xlsx")
    assert validate_file(path, "meetings", dt.date(2026, 1, 1), load_rulebooks()) == []
