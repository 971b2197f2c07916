"""While analysts' clients hold the published warehouse open — the DuckDB CLI of .venv, the 1.4
LTS CLI and DBeaver's JDBC driver, each in its own process — a nightly run still publishes:
the clients keep reading the state they opened (the old inode), a new connection sees the new
one, and the file stays in the storage format those clients read."""
from __future__ import annotations

import datetime as dt
import os
import shutil

import duckdb
import pytest

from tests.clients.clients import Holder, cli_holder, cli_rows, jdbc_holder

pytestmark = [pytest.mark.clients, pytest.mark.slow, pytest.mark.xdist_group("clients")]
RUNS = "SELECT count(*) FROM runs"


def _optional(request, name: str):
    """A client fixture, or the reason it is not available."""
    try:
        return request.getfixturevalue(name), ""
    except pytest.skip.Exception as exc:
        return None, str(exc)


def nightly_run(warehouse) -> None:
    """The real run on the same raw/ (nothing new: an idle run, which still publishes a new
    file with one more `runs` row); on the stand-in, chibo's publishing steps themselves."""
    if not warehouse.why_not_real:
        from chibo import pipeline
        from tests.clients.conftest import _settings
        pipeline.run_all(_settings(warehouse.raw, warehouse.path,
                                   warehouse.path.parent.parent / "exports"))
        return
    from chibo import warehouse as wh
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-held")
    with wh.run_lock(warehouse.path):
        next_file = wh.prepare_next(warehouse.path, run_id, fresh=False)
        con = duckdb.connect(str(next_file), config=wh.duckdb_config())
        con.execute("INSERT INTO runs VALUES (?, now(), 'completed')", [run_id])
        wh.publish_file(con, next_file, warehouse.path)


def test_nightly_run_publishes_while_clients_hold_the_file(request, client_warehouse,
                                                          venv_cli, tmp_path):
    # the session's warehouse stays as it was for the other tests: hold a copy
    db = tmp_path / "wh" / "chibo.duckdb"
    db.parent.mkdir()
    shutil.copyfile(client_warehouse.path, db)
    held = type(client_warehouse)(db, client_warehouse.raw, client_warehouse.why_not_real)

    holders: list[Holder] = [cli_holder("duckdb CLI (.venv)", venv_cli, db)]
    missing = []
    lts, why = _optional(request, "lts_cli")
    if lts:
        holders.append(cli_holder("duckdb CLI 1.4 LTS", lts, db))
    else:
        missing.append(why)
    from tests.clients.conftest import JDBC_VERSIONS, jdbc_jar
    program, why = _optional(request, "java_program")
    for version in JDBC_VERSIONS:
        if program is None:
            missing.append(why)
            break
        try:
            jar = jdbc_jar(version)
        except pytest.skip.Exception as exc:
            missing.append(str(exc))
            continue
        holders.append(jdbc_holder(f"JDBC {version}", jar, program, db, "meetings"))
    try:
        before = {h.name: h.ask(RUNS) for h in holders}
        inode = os.stat(db).st_ino
        nightly_run(held)                              # must not fail on the open readers
        assert os.stat(db).st_ino != inode, "the run did not publish a new file"
        for h in holders:                               # each keeps the state it opened
            assert h.ask(RUNS) == before[h.name], h.name
    finally:
        codes = {h.name: h.close() for h in holders}
    assert all(code == 0 for code in codes.values()), codes
    # a new connection sees the run; the file is still one every client here reads
    after = int(cli_rows(venv_cli, db, "SELECT count(*) AS n FROM runs")[0]["n"])
    assert after == int(next(iter(before.values()))[0]) + 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                           "WHERE database_name = current_database()").fetchall()[0][0] \
            == "v1.4.0+"
    finally:
        con.close()
    if missing:   # what could not be held is reported, not hidden
        print("not held:", *missing, sep="\n  ")
