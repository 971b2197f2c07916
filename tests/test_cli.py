"""The `chibo` command line as a user meets it: exit codes and one-line errors."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chibo.cli import main
from chibo.settings import Settings
from tests.helpers import write_csv

CHIBO = Path(sys.executable).with_name("chibo")


def chibo(*args, env=None, cwd=None):
    return subprocess.run([str(CHIBO), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def test_validate_good_file_exits_zero(tmp_path):
    p = write_csv(tmp_path, "members", "dv.csv", [dict(
        member_id="M1", full_name="Nguyễn Văn A", birth_date="01/02/1980", sex="Nam",
        cell_id="C1", joined_on="2005-01-01", status="Đang sinh hoạt")])
    r = chibo("validate", str(p), "--as-of", "2025-01-01")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no problems" in r.stdout


def test_validate_prints_every_problem_in_both_languages_and_fails(tmp_path):
    p = write_csv(tmp_path, "meetings", "sh.csv", [dict(
        meeting_id="MT1", cell_id="C1", meeting_date="30/02/2024", meeting_type="thuong ky",
        start_time="19h30", end_time="19h00", chair_member_id="A", secretary_member_id="B",
        upper_attendees="0", criticism_held="có", resolution_adopted="x", minutes_signed="1")])
    r = chibo("validate", str(p), "--as-of", "2025-01-01")
    assert r.returncode == 1
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 2                              # invalid_date and end_before_start
    assert all(ln.startswith(f"{p}:2 [") for ln in lines)   # file and Excel row
    assert any("invalid_date" in ln for ln in lines)
    assert any("end_before_start" in ln for ln in lines)
    assert all("|" in ln for ln in lines)               # Vietnamese | English


def test_validate_takes_kind_option_outside_a_kind_folder(tmp_path):
    p = tmp_path / "loose.csv"
    p.write_text("meeting_id,member_id,status\nMT1,M1,present\n", encoding="utf-8")
    assert chibo("validate", str(p)).returncode == 2
    r = chibo("validate", str(p), "--kind", "attendance")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("args, words", [
    (["validate", "/nonexistent/file.csv"], "file not found"),
    (["run", "--raw", "/nonexistent/raw"], "raw folder not found"),
    (["run", "--as-of", "15/03/2026"], "--as-of must be a date"),
])
def test_a_command_that_cannot_run_says_why_in_one_line(tmp_path, capsys, args, words):
    os.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_invalid_rulebook_override_refused_in_one_line(tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    (tmp_path / "rb").mkdir()
    (tmp_path / "rb" / "qd124.toml").write_text('name = "qd124"\n[thresholds]\nnope = "1"\n')
    assert main(["run", "--raw", str(tmp_path / "raw"), "--rulebooks", str(tmp_path / "rb"),
                 "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err.strip()
    assert "rulebook" in err and len(err.splitlines()) == 1


def test_options_beat_environment_which_beats_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHIBO_RAW", "/data/raw")
    monkeypatch.setenv("CHIBO_AS_OF", "2025-05-05")
    s = Settings.from_sources(raw=None, as_of="2026-01-01")
    assert s.raw == Path("/data/raw")
    assert s.as_of == dt.date(2026, 1, 1)
    assert s.warehouse == tmp_path / "warehouse" / "chibo.duckdb"
    assert Settings.from_sources().as_of == dt.date(2025, 5, 5)


@pytest.mark.parametrize("years, as_of, yearly", [("2024-2024", "2025-03-01", True),
                                                   ("2025", "2025-02-15", False)])  # barely begun
def test_generate_command_writes_a_valid_province(tmp_path, years, as_of, yearly):
    out = tmp_path / "raw"
    r = chibo("generate", "--scale", "province", "--years", years, "--out", str(out),
              "--seed", "3", "--as-of", as_of)
    assert r.returncode == 0, r.stderr
    kinds = {p.name for p in out.iterdir()}
    assert {"org_units", "members", "meetings", "attendance"} <= kinds
    # yearly assessments and ratings of a year arrive in January of the next
    assert ({"assessments", "member_ratings"} <= kinds) == yearly


def test_run_then_rebuild_from_the_command_line(tmp_path):
    """The console script with embedded Prefect, as the nightly job and a re-build use it."""
    from tests.helpers import copy_example_raw, integrated_snapshot
    raw = copy_example_raw(tmp_path / "raw")
    env = {"CHIBO_RAW": str(raw), "CHIBO_AS_OF": "2026-03-15"}
    r = chibo("run", "--warehouse", "w/chibo.duckdb", "--exports", "w/exports", env=env,
              cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "2023" in r.stdout and "HTXSNV" in r.stdout
    assert "Lần chạy này / This run" in r.stdout and "đã nạp / loaded 100" in r.stdout
    assert "Traceback" not in r.stderr
    db = tmp_path / "w" / "chibo.duckdb"
    incremental = integrated_snapshot(db, with_model=True)
    r = chibo("rebuild", "--warehouse", str(db), "--exports", "w/exports", env=env,
              cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert integrated_snapshot(db, with_model=True) == incremental
