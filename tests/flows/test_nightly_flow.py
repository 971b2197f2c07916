"""The nightly flow under real Prefect (session harness), real DuckDB, the worked example.

One successful run is shared by the module (a flow run costs seconds); each test that
changes state works on its own copy of the published warehouse.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.xdist_group("prefect"), pytest.mark.usefixtures("prefect_harness")]

AS_OF = "2026-03-15"


def _run(raw: Path, warehouse: Path, exports: Path, **kwargs):
    """Call the flow; return (state, result or exception)."""
    from flows.nightly import nightly

    state = nightly(raw=str(raw), warehouse=str(warehouse), exports=str(exports),
                    as_of=AS_OF, return_state=True, **kwargs)
    return state, state.result(raise_on_failure=False)


def _runs(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT run_id, status FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()


def _artifacts(flow_run_id) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: a.type for a in arts}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, worked_example_raw):
    base = tmp_path_factory.mktemp("nightly")
    raw = base / "raw"
    shutil.copytree(worked_example_raw, raw)
    warehouse, exports = base / "wh" / "chibo.duckdb", base / "wh" / "exports"
    state, result = _run(raw, warehouse, exports)
    return {"base": base, "raw": raw, "warehouse": warehouse, "exports": exports,
            "state": state, "result": result}


def _copy_published(first_run, tmp_path) -> tuple[Path, Path]:
    """A private copy of the first run's published warehouse (and its raw/)."""
    assert first_run["state"].is_completed(), first_run["result"]
    warehouse = tmp_path / "wh" / "chibo.duckdb"
    warehouse.parent.mkdir(parents=True)
    shutil.copy2(first_run["warehouse"], warehouse)
    return warehouse, tmp_path / "exports"


def test_nightly_completes_on_the_worked_example(first_run):
    state, result = first_run["state"], first_run["result"]
    assert state.is_completed(), result
    assert result["status"] == "completed"
    assert list(result["stages"]) == ["ingest", "integrate", "model", "export", "publish"]
    assert set(result["stage_seconds"]) >= {"ingest", "integrate", "model", "export"}
    assert result["markdown"].startswith(f"# Lần chạy chibo / chibo run {result['run_id']}")
    from chibo.pipeline import SECTIONS

    sections = [row["section"] for row in result["table"]]
    assert sections[0] == SECTIONS["new_files"]            # this run first, then the totals
    assert {SECTIONS[s] for s in ("new_files", "levels", "error_list", "files", "rows",
                                  "orgs per level", "seconds per stage")} <= set(sections)
    assert result["summary_markdown"] == result["markdown"]
    assert result["summary_lines"][0].startswith("Lần chạy này / This run")
    assert result["this_run"]["new_files"] == sum(result["this_run"]["new_files_by_status"]
                                                   .values()) > 0

    warehouse = first_run["warehouse"]
    assert warehouse.is_file()
    # published atomically: no private next file or WAL left beside it
    leftovers = [p.name for p in warehouse.parent.iterdir()
                 if p.name != warehouse.name and p.name.startswith(warehouse.name)
                 and not p.name.endswith((".lock", ".runs.jsonl", ".published"))]
    assert leftovers == []
    assert any(first_run["exports"].rglob("*.csv"))

    runs = _runs(warehouse)
    assert len(runs) == 1
    assert runs[0][0] == result["run_id"]
    assert runs[0][1] == "completed"


def test_nightly_publishes_summary_artifacts(first_run):
    state = first_run["state"]
    assert state.is_completed(), first_run["result"]
    artifacts = _artifacts(state.state_details.flow_run_id)
    assert artifacts.get("chibo-nightly-summary") == "markdown"
    assert artifacts.get("chibo-nightly-table") == "table"
    assert artifacts.get("chibo-nightly-rows") == "table"


def test_rerun_retries_a_transient_read_error_and_adds_a_run(first_run, tmp_path, monkeypatch):
    import chibo.pipeline as pipeline

    warehouse, exports = _copy_published(first_run, tmp_path)
    real_ingest, calls = pipeline.ingest, []

    def flaky_ingest(ctx):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("network share hiccup")
        return real_ingest(ctx)

    import flows.nightly

    real_start, seen_progress = pipeline.start_run, []

    def spy_start(settings, rebuild=False, **kwargs):
        seen_progress.append(kwargs.get("progress"))
        return real_start(settings, rebuild=rebuild, **kwargs)

    def progress(message: str) -> None:
        pass

    monkeypatch.setattr(pipeline, "ingest", flaky_ingest)
    monkeypatch.setattr(pipeline, "start_run", spy_start)
    flows.nightly.set_progress(progress)
    try:
        state, result = _run(first_run["raw"], warehouse, exports)
    finally:
        flows.nightly.set_progress(None)
    assert state.is_completed(), result
    assert len(calls) == 2
    assert seen_progress == [progress]  # set_progress reaches chibo.pipeline.start_run
    assert len(_runs(warehouse)) == 2


def test_failing_run_leaves_the_published_warehouse_unchanged(first_run, tmp_path, monkeypatch):
    import chibo.pipeline as pipeline

    warehouse, exports = _copy_published(first_run, tmp_path)
    before = warehouse.read_bytes()
    calls = []

    def broken_model(ctx):
        calls.append(1)
        raise RuntimeError("model exploded")

    monkeypatch.setattr(pipeline, "model", broken_model)
    state, result = _run(first_run["raw"], warehouse, exports)

    assert state.is_failed()
    assert isinstance(result, RuntimeError) and "model exploded" in str(result)
    assert len(calls) == 1  # not a transient I/O error: no retry
    assert warehouse.read_bytes() == before
    leftovers = [p.name for p in warehouse.parent.iterdir()
                 if p.name != warehouse.name
                 and not p.name.endswith((".lock", ".runs.jsonl", ".published"))]
    assert leftovers == []  # abort_run dropped the private copy
    assert len(_runs(warehouse)) == 1


def test_flow_raises_the_original_error_when_called_plainly(first_run, tmp_path, monkeypatch):
    """What `chibo run` sees: the library's own exception, after abort_run."""
    import chibo.pipeline as pipeline
    from flows.nightly import nightly

    warehouse, exports = _copy_published(first_run, tmp_path)
    before = warehouse.read_bytes()
    aborted = []
    real_abort = pipeline.abort_run

    def spy_abort(ctx, error):
        aborted.append(error)
        real_abort(ctx, error)

    def broken_export(ctx):
        raise ValueError("export exploded")

    monkeypatch.setattr(pipeline, "export", broken_export)
    monkeypatch.setattr(pipeline, "abort_run", spy_abort)
    with pytest.raises(ValueError, match="export exploded"):
        nightly(raw=str(first_run["raw"]), warehouse=str(warehouse), exports=str(exports),
                as_of=AS_OF)
    assert len(aborted) == 1 and isinstance(aborted[0], ValueError)
    assert warehouse.read_bytes() == before
