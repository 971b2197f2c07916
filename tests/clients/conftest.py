"""The analysts' own clients on a warehouse the real pipeline built.

* ``client_warehouse``: the worked example run by the real pipeline (``pipeline.run_all``,
  as-of 2026-03-15) into a session temp folder, with chibo's own connection settings. If the
  pipeline cannot build it (it is being rewritten by others), a small warehouse of plain
  DuckDB tables with comments is built instead, with the same storage settings
  (``duckdb_config()``), and the tests that need the real tables skip, saying why.
* ``venv_cli``: the DuckDB CLI of .venv (package duckdb-cli, `make install`).
* ``lts_cli``: the DuckDB 1.4 LTS CLI (duckdb-cli 1.4.4 from PyPI, pip-installed once into
  ~/.cache/chibo/clients/).
* ``jdbc_driver``: DuckDB's JDBC driver (the one DBeaver uses), a 1.4.x and the current
  version, fetched by Maven into ~/.m2 once, plus the small Java program
  ``java/ReadWarehouse.java`` compiled with javac.

Every client that cannot be had (no network to its registry, no Java) skips with the reason.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
WORKED_EXAMPLE_RAW = REPO / "tests" / "model" / "fixtures" / "small-province" / "raw"
AS_OF = "2026-03-15"
LTS_CLI_VERSION = "1.4.4.post2"   # 1.4.4 and .post1 ship no binary (they download one)
# a 1.4 LTS release and the current one; CHIBO_JDBC_VERSIONS="a b" tries others
JDBC_VERSIONS = tuple(os.environ.get("CHIBO_JDBC_VERSIONS", "1.4.4.0 2.0.0.1").split())
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "chibo" / "clients"
M2 = Path.home() / ".m2" / "repository"
MAVEN_GET = "org.apache.maven.plugins:maven-dependency-plugin:3.11.0:get"


@dataclass(frozen=True)
class Warehouse:
    path: Path
    raw: Path | None        # the raw/ it was built from (None: the plain stand-in)
    why_not_real: str       # empty when the real pipeline built it

    def require_real(self) -> None:
        if self.why_not_real:
            pytest.skip(f"the real pipeline did not build the warehouse ({self.why_not_real}); "
                        "ran on a plain stand-in")


def _settings(raw: Path, warehouse: Path, exports: Path):
    import datetime as dt

    from chibo.settings import Settings
    return Settings(raw=raw, warehouse=warehouse, exports=exports,
                    as_of=dt.date.fromisoformat(AS_OF))


def build_stand_in(path: Path) -> None:
    """Plain tables with comments, written with chibo's connection settings: what the client
    tests need when the pipeline cannot run."""
    from chibo.warehouse import duckdb_config
    con = duckdb.connect(str(path), config=duckdb_config())
    try:
        con.execute("CREATE SCHEMA staging")
        for schema in ("main", "staging"):
            con.execute(f"CREATE TABLE {schema}.meetings (meeting_id VARCHAR, cell_id VARCHAR, "
                        "meeting_date DATE, meeting_type VARCHAR, present INTEGER)")
        con.execute("INSERT INTO main.meetings VALUES "
                    "('M1', 'C1', DATE '2024-07-05', 'regular', 12), "
                    "('M2', 'C1', DATE '2024-08-02', 'thematic', 11)")
        con.execute("INSERT INTO staging.meetings SELECT * FROM main.meetings")
        con.execute("CREATE TABLE runs (run_id VARCHAR, started_at TIMESTAMPTZ, status VARCHAR)")
        con.execute("INSERT INTO runs VALUES ('r1', now(), 'completed')")
        con.execute("COMMENT ON TABLE main.meetings IS "
                    "'Meetings of party cells / Các cuộc sinh hoạt chi bộ'")
        for col, text in [("meeting_id", "Meeting id / Mã cuộc họp"),
                          ("cell_id", "Cell / Chi bộ"), ("meeting_date", "Date / Ngày họp"),
                          ("meeting_type", "Type / Loại sinh hoạt"),
                          ("present", "Members present / Số có mặt")]:
            con.execute(f"COMMENT ON COLUMN main.meetings.{col} IS '{text}'")
        con.execute("COMMENT ON TABLE runs IS 'Runs of the pipeline / Các lần chạy'")
        con.execute("CHECKPOINT")
    finally:
        con.close()


@pytest.fixture(scope="session")
def client_warehouse(tmp_path_factory) -> Warehouse:
    base = tmp_path_factory.mktemp("clients")
    path = base / "wh" / "chibo.duckdb"
    path.parent.mkdir()
    try:
        from chibo import pipeline
        pipeline.run_all(_settings(WORKED_EXAMPLE_RAW, path, base / "exports"))
        return Warehouse(path, WORKED_EXAMPLE_RAW, "")
    except Exception as exc:   # noqa: BLE001 - any failure of the pipeline: build the stand-in
        why = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
        for p in path.parent.iterdir():
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink()
        build_stand_in(path)
        return Warehouse(path, None, why)


@pytest.fixture(scope="session")
def venv_cli() -> Path:
    from chibo.cli import duckdb_cli_binary
    from chibo.errors import ChiboError
    try:
        return duckdb_cli_binary()
    except ChiboError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def lts_cli() -> Path:
    """The DuckDB CLI of the 1.4 LTS line, from PyPI's duckdb-cli wheel (a bundled binary)."""
    target = CACHE / f"duckdb-cli-{LTS_CLI_VERSION}"

    def binary_in(folder: Path) -> Path | None:   # wheels put it in either place
        found = [p for p in (folder / "bin" / "duckdb", folder / "duckdb_cli" / "duckdb")
                 if p.is_file()]
        return found[0] if found else None

    if binary_in(target) is None:
        tmp = target.with_name(target.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        p = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                            "--disable-pip-version-check", "--target", str(tmp),
                            f"duckdb-cli=={LTS_CLI_VERSION}"], capture_output=True, text=True)
        if p.returncode != 0 or binary_in(tmp) is None:
            shutil.rmtree(tmp, ignore_errors=True)
            last = (p.stderr.strip().splitlines() or ["?"])[-1]
            pytest.skip(f"duckdb-cli=={LTS_CLI_VERSION} could not be installed from PyPI: {last}")
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    binary = binary_in(target)
    assert binary is not None
    binary.chmod(0o755)
    return binary


@pytest.fixture(scope="session")
def java_program(tmp_path_factory) -> Path:
    """ReadWarehouse.java compiled once; skips without a JDK."""
    if not (shutil.which("java") and shutil.which("javac")):
        pytest.skip("no JDK (java, javac): .ci/run installs default-jdk-headless")
    out = tmp_path_factory.mktemp("java")
    p = subprocess.run(["javac", "-d", str(out), str(Path(__file__).parent / "java" /
                                                      "ReadWarehouse.java")],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return out


_MAVEN_FAILURES: dict[str, str] = {}


def jdbc_jar(version: str) -> Path:
    """org.duckdb:duckdb_jdbc:<version> from ~/.m2, fetched by Maven the first time."""
    jar = M2 / "org" / "duckdb" / "duckdb_jdbc" / version / f"duckdb_jdbc-{version}.jar"
    if jar.is_file():
        return jar
    if version in _MAVEN_FAILURES:
        pytest.skip(_MAVEN_FAILURES[version])
    if not shutil.which("mvn"):
        pytest.skip("no Maven (mvn): .ci/run installs the Debian package maven")
    try:
        p = subprocess.run(["mvn", "-B", "-q", "-Dstyle.color=never", MAVEN_GET,
                            f"-Dartifact=org.duckdb:duckdb_jdbc:{version}", "-Dtransitive=false"],
                           capture_output=True, text=True, timeout=600)
        out = p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        out = "timed out after 600 s"
    if not jar.is_file():
        out = re.sub(r"\x1b\[[0-9;]*m", "", out)
        errors = [ln for ln in out.splitlines() if "ERROR" in ln] or out.splitlines() or ["?"]
        why = errors[0].replace("-> [Help 1]", "").strip()
        reason = (f"Maven could not fetch org.duckdb:duckdb_jdbc:{version} into {M2}: "
                  f"...{why[-220:]}")
        _MAVEN_FAILURES[version] = reason
        pytest.skip(reason)
    return jar


@pytest.fixture(params=JDBC_VERSIONS, ids=[f"jdbc-{v}" for v in JDBC_VERSIONS])
def jdbc_driver(request) -> Path:
    return jdbc_jar(request.param)
