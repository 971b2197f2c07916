from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest


from .warehouse_fixture import build_warehouse

from chibo.export import document_warehouse, write_exports  # noqa: E402


@pytest.fixture(scope="session")
def _built(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("wh") / "chibo.duckdb")


@pytest.fixture
def warehouse(_built, tmp_path) -> Path:
    """A private copy of the populated (undocumented) warehouse file."""
    dst = tmp_path / "chibo.duckdb"
    shutil.copy(_built, dst)
    return dst


@pytest.fixture
def con(warehouse):
    c = duckdb.connect(str(warehouse))
    yield c
    c.close()


@pytest.fixture
def documented(con):
    document_warehouse(con)
    return con


@pytest.fixture(scope="session")
def exports(tmp_path_factory, _built) -> Path:
    """Exports of the documented fixture warehouse (written once per session)."""
    base = tmp_path_factory.mktemp("exp")
    db = base / "chibo.duckdb"
    shutil.copy(_built, db)
    c = duckdb.connect(str(db))
    try:
        document_warehouse(c)
        write_exports(c, base / "exports")
    finally:
        c.close()
    return base / "exports"


@pytest.fixture(scope="session")
def documented_readonly(tmp_path_factory, _built):
    """A documented copy of the warehouse opened read-only, as analysts open it."""
    db = tmp_path_factory.mktemp("ro") / "chibo.duckdb"
    shutil.copy(_built, db)
    c = duckdb.connect(str(db))
    document_warehouse(c)
    c.close()
    ro = duckdb.connect(str(db), read_only=True)
    yield ro
    ro.close()
