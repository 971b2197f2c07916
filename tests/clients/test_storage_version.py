"""The storage format of the warehouse file: chibo writes DuckDB 1.4's (CHIBO_STORAGE_VERSION),
a file keeps the format it was created with, and a file of an older chibo (DuckDB's newest
format) is converted once by scripts/convert_storage.py, keeping everything."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from chibo.errors import ChiboError
from chibo.warehouse import duckdb_config
from tests.clients.clients import REPO, cli, cli_rows

pytestmark = [pytest.mark.clients, pytest.mark.slow, pytest.mark.xdist_group("clients")]
CONVERT = REPO / "scripts" / "convert_storage.py"
CHIBO = Path(sys.executable).with_name("chibo")


def storage(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                           "WHERE database_name = current_database()").fetchall()[0][0]
    finally:
        con.close()


def contents(path: Path) -> list[tuple]:
    """Tables with row counts and comments, views and column comments, staging included."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("SELECT schema_name, table_name, comment FROM duckdb_tables() "
                             "ORDER BY ALL").fetchall()
        out = [(s, t, c, con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchall()[0][0])
               for s, t, c in tables]
        out += con.execute("SELECT schema_name, view_name, comment, sql FROM duckdb_views() "
                           "WHERE NOT internal ORDER BY ALL").fetchall()
        out += con.execute("SELECT schema_name, table_name, column_name, comment "
                           "FROM duckdb_columns() ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


def older_chibo_copy(src: Path, dest: Path) -> None:
    """The same warehouse as a chibo before CHIBO_STORAGE_VERSION wrote it: DuckDB's default
    (newest) storage format."""
    con = duckdb.connect(str(dest))
    try:
        con.execute(f"ATTACH '{src}' AS src (READ_ONLY)")
        db = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute(f'COPY FROM DATABASE src TO "{db}"')
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def test_new_files_take_chibo_storage_version(tmp_path, monkeypatch):
    monkeypatch.delenv("CHIBO_STORAGE_VERSION", raising=False)
    assert duckdb_config()["storage_compatibility_version"] == "v1.4.0"
    for setting, expected in [(None, "v1.4.0+"), ("v1.5.0", "v1.5.0+"), ("latest", "v2.0.0+")]:
        if setting:
            monkeypatch.setenv("CHIBO_STORAGE_VERSION", setting)
        path = tmp_path / f"{setting}.duckdb"
        con = duckdb.connect(str(path), config=duckdb_config())
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        con.close()
        assert storage(path) == expected, setting
    monkeypatch.setenv("CHIBO_STORAGE_VERSION", "1.4")
    with pytest.raises(ChiboError, match="CHIBO_STORAGE_VERSION"):
        duckdb_config()


def test_an_existing_file_keeps_the_format_it_was_created_with(client_warehouse, tmp_path):
    """Why a run does not convert by itself: it copies the published file and opens the copy
    with chibo's settings, and DuckDB keeps the copy's format."""
    old = tmp_path / "old.duckdb"
    older_chibo_copy(client_warehouse.path, old)
    assert storage(old) == "v2.0.0+"
    con = duckdb.connect(str(old), config=duckdb_config())   # a run's connection
    con.execute("CREATE TABLE written_by_a_run AS SELECT range AS x FROM range(100000)")
    con.execute("CHECKPOINT")
    con.close()
    assert storage(old) == "v2.0.0+"


def test_older_chibo_warehouse_is_converted_once_keeping_everything(
        client_warehouse, venv_cli, tmp_path):
    wh = tmp_path / "wh" / "chibo.duckdb"
    wh.parent.mkdir()
    older_chibo_copy(client_warehouse.path, wh)
    before = contents(wh)
    # the CLI cannot open it, and `chibo sql` says how to fix that, in one line
    p = cli(venv_cli, wh, "SELECT 1")
    assert p.returncode != 0 and "version" in p.stderr.lower(), p.stderr
    p = subprocess.run([str(CHIBO), "sql", "--warehouse", str(wh)], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 2 and "convert_storage.py" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    # an analyst (DuckDB 2.x) holds the old file open while it is converted
    reader = duckdb.connect(str(wh), read_only=True)
    try:
        p = subprocess.run([sys.executable, str(CONVERT), str(wh)], capture_output=True,
                           text=True, timeout=600)
        assert p.returncode == 0, p.stderr
        assert "converted from v2.0.0+ to v1.4.0+" in p.stdout
        assert reader.execute("SELECT count(*) FROM runs").fetchall()[0][0] >= 1
    finally:
        reader.close()
    assert storage(wh) == "v1.4.0+"
    assert contents(wh) == before
    assert sorted(p.name for p in wh.parent.iterdir()) == ["chibo.duckdb", "chibo.duckdb.lock"]
    assert cli_rows(venv_cli, wh, "SELECT count(*) AS n FROM runs")[0]["n"] != "0"
    p = subprocess.run([sys.executable, str(CONVERT), str(wh)], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0 and "nothing to do" in p.stdout, (p.stdout, p.stderr)
