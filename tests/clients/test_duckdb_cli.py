"""The DuckDB CLI opens the published warehouse read-only and the README's questions run there
unchanged: the CLI of .venv (duckdb-cli, what `make sql` opens) and the 1.4 LTS CLI."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.clients.clients import (
    cli,
    cli_rows,
    cli_version,
    readme_comment_query,
    readme_sql_blocks,
)

pytestmark = [pytest.mark.clients, pytest.mark.slow, pytest.mark.xdist_group("clients")]
CHIBO = Path(sys.executable).with_name("chibo")


@pytest.fixture(params=["venv", "lts"], ids=["cli-venv", "cli-1.4-lts"])
def any_cli(request) -> Path:
    return request.getfixturevalue("venv_cli" if request.param == "venv" else "lts_cli")


def test_published_file_is_in_the_configured_storage_format(client_warehouse):
    con = duckdb.connect(str(client_warehouse.path), read_only=True)
    try:
        tag = con.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                          "WHERE database_name = current_database()").fetchall()[0][0]
    finally:
        con.close()
    assert tag == "v1.4.0+"


def test_venv_cli_is_a_1_4_or_later_registry_build(venv_cli):
    version = cli_version(venv_cli)
    major, minor = (int(x) for x in version.lstrip("v").split(".")[:2])
    assert (major, minor) >= (1, 4), version


def test_lts_cli_is_1_4(lts_cli):
    assert cli_version(lts_cli).startswith("v1.4."), cli_version(lts_cli)


def test_cli_reads_a_table_and_its_comments(any_cli, client_warehouse):
    db = client_warehouse.path
    n = cli_rows(any_cli, db, "SELECT count(*) AS n FROM meetings")
    assert int(n[0]["n"]) > 0
    table = cli_rows(any_cli, db, "SELECT comment FROM duckdb_tables() "
                                  "WHERE schema_name = 'main' AND table_name = 'meetings'")
    assert len(table) == 1 and " / " in table[0]["comment"]   # English / Tiếng Việt
    # the README's comment query: one row per column of the analyst table, none from staging
    cols = cli_rows(any_cli, db, readme_comment_query())
    names = [r["column_name"] for r in cols]
    assert names and len(names) == len(set(names)), names
    assert all(r["comment"] for r in cols if r["column_name"] in ("meeting_id", "cell_id"))


def test_cli_connection_is_read_only(any_cli, client_warehouse):
    p = cli(any_cli, client_warehouse.path, "CREATE TABLE analyst_scratch (x INTEGER)")
    assert p.returncode != 0 and "read-only" in p.stderr.lower(), p.stderr


def test_readme_questions_run_unchanged_in_the_cli(any_cli, client_warehouse):
    client_warehouse.require_real()
    blocks = readme_sql_blocks()
    assert len(blocks) >= 12
    failed, answered = [], 0
    for i, sql in enumerate(blocks, 1):
        p = cli(any_cli, client_warehouse.path, sql)
        if p.returncode != 0 or p.stderr.strip():
            failed.append(f"block {i}: {p.stderr.strip()[:300]}")
        elif len(p.stdout.splitlines()) > 1:   # a header and at least one row
            answered += 1
    assert not failed, "\n".join(failed)
    assert answered >= len(blocks) // 2, f"only {answered} of {len(blocks)} blocks had rows"


def test_chibo_sql_opens_the_warehouse_read_only(venv_cli, client_warehouse):
    p = subprocess.run([str(CHIBO), "sql", "--warehouse", str(client_warehouse.path),
                        "-c", "SELECT count(*) AS n FROM meetings", "--", "-csv"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == "n" and int(p.stdout.splitlines()[1]) > 0
    p = subprocess.run([str(CHIBO), "sql", "--warehouse", str(client_warehouse.path),
                        "-c", "CREATE TABLE analyst_scratch (x INTEGER)"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0 and "read-only" in (p.stdout + p.stderr).lower()


def test_chibo_sql_without_a_warehouse_says_what_to_do(tmp_path):
    p = subprocess.run([str(CHIBO), "sql", "--warehouse", str(tmp_path / "none.duckdb")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and "make demo" in p.stderr
