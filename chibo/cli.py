"""`chibo`: run | rebuild | demo | generate | validate | template | sql | status.

A command that cannot run prints one line saying why (no traceback) and exits non-zero;
bad rows are not a failure. `validate`, `generate` and `template` never start Prefect.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from chibo.contract import KINDS
from chibo.errors import ChiboError

EXIT_CANNOT_RUN = 2
EXIT_PROBLEMS = 1


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--raw", help="raw/ folder (CHIBO_RAW; default raw)")
    p.add_argument("--warehouse", help="warehouse file (CHIBO_WAREHOUSE; default warehouse/chibo.duckdb)")
    p.add_argument("--exports", help="exports folder (CHIBO_EXPORTS; default warehouse/exports)")
    p.add_argument("--as-of", dest="as_of", help="as-of date YYYY-MM-DD (CHIBO_AS_OF; default today in Asia/Ho_Chi_Minh)")
    p.add_argument("--rulebooks", help="folder of rulebook overrides (CHIBO_RULEBOOKS)")
    p.add_argument("--allow-shrink", action="store_true",
                   help="let deletes retract more than 10%% of a kind's rows")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="chibo", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="the nightly job: ingest new files, integrate, classify, export, publish")
    _add_run_options(p)
    p = sub.add_parser("rebuild", help="rebuild the warehouse from raw/ alone, then publish it")
    _add_run_options(p)
    p = sub.add_parser("demo", help="generate the demo province into raw/ (if empty) and run")
    _add_run_options(p)
    p = sub.add_parser("generate", help="write synthetic raw data")
    p.add_argument("--scale", choices=["province", "national"], default="province")
    p.add_argument("--years", default="2023-2025", help="e.g. 2023-2025")
    p.add_argument("--out", required=True, help="output raw/ folder")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--as-of", dest="as_of", help="nothing is dated after it (default today)")
    p = sub.add_parser("validate", help="check one file, or every file under a folder, "
                       "against the data contract")
    p.add_argument("file", help="a file, or a folder (every file under it, e.g. raw/)")
    p.add_argument("--kind", help="the kind (default: the folder each file sits in)")
    p.add_argument("--as-of", dest="as_of", help="as-of date (default today)")
    p = sub.add_parser("template", help="write an Excel template (mẫu nhập liệu) of a kind, "
                       "generated from the data contract; --cell prefills a cell's sheet")
    p.add_argument("kind", nargs="?", help="one of: " + ", ".join(KINDS))
    p.add_argument("--all", action="store_true", dest="all_kinds",
                   help="every kind's blank template into the folder --out")
    p.add_argument("--out", required=True, help="the .xlsx file (with --all: a folder)")
    p.add_argument("--cell", help="attendance: list the cell's active members; meetings: one "
                   "row per month of --year for the cell")
    p.add_argument("--meeting", help="attendance: the meeting id to prefill")
    p.add_argument("--year", type=int, help="meetings: the year of the monthly rows")
    p.add_argument("--warehouse", help="warehouse file read for --cell (CHIBO_WAREHOUSE; "
                   "default warehouse/chibo.duckdb)")
    p = sub.add_parser("sql", help="open the published warehouse read-only in the DuckDB CLI",
                       description="Open the published warehouse read-only in the DuckDB CLI "
                       "of .venv (package duckdb-cli). Arguments after -- go to duckdb, e.g. "
                       "chibo sql -- -csv -c 'SELECT * FROM runs'.")
    p.add_argument("--warehouse",
                   help="warehouse file (CHIBO_WAREHOUSE; default warehouse/chibo.duckdb)")
    p.add_argument("-c", "--command", dest="sql_command", metavar="SQL",
                   help="run this SQL, print the result and exit")
    p.add_argument("duckdb_args", nargs="*", metavar="-- DUCKDB_ARG",
                   help="passed on to duckdb after the file (after --)")
    p = sub.add_parser("status", help="the last runs, failed ones included (Vietnamese and English)")
    p.add_argument("--warehouse",
                   help="warehouse file (CHIBO_WAREHOUSE; default warehouse/chibo.duckdb)")
    p.add_argument("-n", "--last", type=int, default=10, help="how many runs (default 10)")
    return ap


def _settings(args):
    from chibo.settings import Settings
    return Settings.from_sources(args.raw, args.warehouse, args.exports, args.as_of,
                                 args.rulebooks, args.allow_shrink)


def terminal_progress():
    """Progress lines on a terminal (file lines overwrite each other); silent otherwise."""
    if not sys.stderr.isatty():
        return None

    def show(message: str) -> None:
        if message.startswith("["):
            sys.stderr.write("\r\033[K" + message[:120])
        else:
            sys.stderr.write("\r\033[K" + message + "\n")
        sys.stderr.flush()
    return show


def _run_flow(settings, rebuild: bool) -> dict:
    from chibo.pipeline import check_can_run, preflight
    from chibo.prefect_env import configure_prefect_env, resolve_prefect_home, served_api_url
    check_can_run(settings)   # say why at once, before Prefect's server starts
    home = settings.warehouse.parent / ".prefect"
    preflight(settings, resolve_prefect_home(home))   # writable folders with room, in seconds
    if not os.environ.get("PREFECT_API_URL", "").strip():
        served = served_api_url()
        if served:
            os.environ["PREFECT_API_URL"] = served
            print(f"Prefect: báo cáo lần chạy về máy chủ đang chạy {served} / reporting to the "
                  "running server", file=sys.stderr)
    configure_prefect_env(home)
    from flows.nightly import nightly, set_progress   # imports prefect: after its environment
    set_progress(terminal_progress())
    return nightly(raw=str(settings.raw), warehouse=str(settings.warehouse),
                   exports=str(settings.exports), as_of=settings.as_of.isoformat(),
                   rulebooks=str(settings.rulebooks) if settings.rulebooks else None,
                   allow_shrink=settings.allow_shrink, rebuild=rebuild)


def print_run_summary(result) -> None:
    """What the night did, Vietnamese first: this run's new files by status, each new file
    with quarantined or pending rows or not loaded (with its row counts), earlier files whose
    counts changed, the org-years whose level changed and where the error list is; then the
    warehouse's totals and the orgs per level per year. An empty raw/ is one line.

    `result`: what the flow returns (its `summary_lines`), or a `pipeline.RunSummary`."""
    lines = result.lines() if hasattr(result, "lines") else result["summary_lines"]
    print("\n".join(lines))


def cmd_run(args, rebuild: bool = False) -> int:
    settings = _settings(args)
    print_run_summary(_run_flow(settings, rebuild))
    return 0   # bad rows, rejected files or an empty raw/ are reported, not a failure


def has_data_files(raw: Path) -> bool:
    from chibo.integrate import scan_raw
    return raw.is_dir() and any(f.kind for f in scan_raw(raw))


def cmd_demo(args) -> int:
    settings = _settings(args)
    if not has_data_files(settings.raw):
        from chibo.generate import generate
        # the three years ending in the as-of year, data up to the as-of date: the current year
        # has its meetings (and provisional rows), the complete ones their ratings and audit
        years = (settings.as_of.year - 2, settings.as_of.year)
        print(f"chibo demo: generating the demo province {years[0]}–{years[1]} up to "
              f"{settings.as_of} (seed 1) into {settings.raw} …", flush=True)
        generate("province", years, settings.raw, seed=1, as_of=settings.as_of)
    cmd_run(args)
    for line in sql_hint(settings.warehouse):
        print(line)
    return 0


def sql_hint(warehouse: Path) -> list[str]:
    """How to open the demo's warehouse read-only, as commands that work as printed from the
    project folder (`make sql`; the venv's `chibo sql`, which needs no activated venv)."""
    import shlex
    project = Path(__file__).resolve().parent.parent
    chibo = Path(sys.executable).with_name("chibo")
    if (project / ".venv" / "bin" / "chibo").absolute() == chibo.absolute():
        chibo = Path(".venv/bin/chibo")
    try:
        shown = warehouse.absolute().relative_to(project)
    except ValueError:
        shown = warehouse.absolute()
    make = "make sql" if warehouse.absolute() == project / "warehouse" / "chibo.duckdb" else \
        f"CHIBO_WAREHOUSE={shlex.quote(str(warehouse.absolute()))} make sql"
    cmd = f"{shlex.quote(str(chibo))} sql --warehouse {shlex.quote(str(shown))}"
    return [f"Mở kho dữ liệu (chỉ đọc) từ thư mục dự án {project} / open the warehouse "
            "read-only from the project folder:",
            f"  {make}",
            f"  {cmd}",
            f"  {cmd} -c 'SELECT * FROM v_summary_by_parent_year LIMIT 20'"]


def cmd_generate(args) -> int:
    from chibo.generate import generate, parse_years
    from chibo.settings import parse_as_of
    try:
        years = parse_years(args.years)
    except ValueError as exc:
        raise ChiboError(str(exc)) from None
    summary = generate(args.scale, years, Path(args.out), seed=args.seed,
                       as_of=parse_as_of(args.as_of))
    print(summary.markdown())
    return 0


def _kind_of(path: Path) -> str | None:
    """The nearest kind folder the file sits in."""
    return next((p for p in reversed(path.absolute().parent.parts) if p in KINDS), None)


def files_under(folder: Path) -> list[Path]:
    """Every file under the folder, hidden ones aside, in byte order of the path (as a run)."""
    found = [p for p in folder.rglob("*") if p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    return sorted(found, key=lambda p: os.fsencode(p.relative_to(folder)))


def cmd_validate(args) -> int:
    from chibo.settings import parse_as_of
    from chibo.validate.core import check_file, format_problems, format_warnings, no_problems
    path = Path(args.file)
    if args.kind is not None and args.kind not in KINDS:
        raise ChiboError(f"unknown kind {args.kind!r}; one of: {', '.join(KINDS)}")
    if path.is_dir():
        return _validate_folder(path, args)
    if not path.is_file():
        raise ChiboError(f"file not found: {path}")
    kind = args.kind or _kind_of(path)
    if kind is None:
        raise ChiboError(f"cannot tell the kind of {path}: put it in a kind folder or pass "
                         f"--kind ({', '.join(KINDS)})")
    from chibo.rulebooks import RulebookError, load_rulebooks
    overrides = os.environ.get("CHIBO_RULEBOOKS")
    try:   # which years need a score is the rulebooks' to say (QĐ 366 from 2025 by default)
        rules = load_rulebooks(Path(overrides) if overrides else None)
    except RulebookError as exc:
        raise ChiboError(f"rulebooks refused: {exc}") from None
    check = check_file(path, kind, parse_as_of(args.as_of), rules)
    for line in format_warnings(str(path), check.warnings):
        print(line)
    lines = format_problems(check.problems)
    for line in lines:
        print(line)
    if not lines:
        print(no_problems(str(path), len(check.warnings)))
    return EXIT_PROBLEMS if lines else 0   # warnings alone do not fail


def _validate_folder(folder: Path, args) -> int:
    """`chibo validate DIR`: every file under it, its kind from its folder (or --kind)."""
    from chibo.rulebooks import RulebookError, load_rulebooks
    from chibo.settings import parse_as_of
    from chibo.read.text import printable
    from chibo.validate.core import check_file, format_problems, format_warnings, no_problems
    files = files_under(folder)
    if not files:
        raise ChiboError(f"no file under {folder}")
    overrides = os.environ.get("CHIBO_RULEBOOKS")
    try:
        rules = load_rulebooks(Path(overrides) if overrides else None)
    except RulebookError as exc:
        raise ChiboError(f"rulebooks refused: {exc}") from None
    as_of = parse_as_of(args.as_of)
    bad = 0
    for path in files:
        kind = args.kind or _kind_of(path)
        if kind is None:
            bad += 1
            print(f"{printable(str(path), 4096)}: không biết tệp thuộc loại dữ liệu nào: đặt tệp "
                  "vào thư mục của loại "
                  f"(ví dụ raw/meetings/) hoặc dùng --kind | cannot tell the kind: put the file "
                  f"in a kind folder or pass --kind ({', '.join(KINDS)})")
            continue
        check = check_file(path, kind, as_of, rules)
        for line in format_warnings(str(path), check.warnings):
            print(line)
        lines = format_problems(check.problems)
        for line in lines:
            print(line)
        if lines:
            bad += 1
        else:
            print(no_problems(str(path), len(check.warnings)))
    print(f"{len(files)} tệp: {len(files) - bad} không có lỗi, {bad} có lỗi / "
          f"{len(files)} files: {len(files) - bad} without problems, {bad} with problems")
    return EXIT_PROBLEMS if bad else 0


def cmd_template(args) -> int:
    from chibo.templates import make_templates
    for path in make_templates(args.kind, args.out, all_kinds=args.all_kinds, cell=args.cell,
                               meeting=args.meeting, year=args.year, warehouse=args.warehouse):
        print(path)
    return 0


def duckdb_cli_binary() -> Path:
    """The DuckDB CLI binary of the duckdb-cli package in this environment, else `duckdb` on
    PATH. The binary itself, not the package's Python wrapper, so Ctrl-C reaches the shell."""
    import importlib.util
    import shutil
    spec = importlib.util.find_spec("duckdb_cli")
    if spec is not None and spec.origin:
        binary = Path(spec.origin).with_name("duckdb")
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    beside = Path(sys.executable).with_name("duckdb")   # .venv/bin/duckdb, if not activated
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("duckdb")
    if found:
        return Path(found)
    raise ChiboError("the DuckDB CLI is not installed: run `make install` "
                     "(or pip install 'chibo[analyst]')")


CONVERT_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "convert_storage.py"


def _version(text: str) -> tuple[int, ...]:
    import re
    m = re.search(r"v?(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(x) for x in m.groups()) if m else ()


def cmd_sql(args) -> int:
    import subprocess

    import duckdb
    from chibo.settings import DEFAULTS
    warehouse = Path(args.warehouse or os.environ.get("CHIBO_WAREHOUSE")
                     or DEFAULTS["warehouse"]).absolute()
    if not warehouse.is_file():
        raise ChiboError(f"no warehouse at {warehouse}: run `make demo` (or `chibo run`) first")
    binary = duckdb_cli_binary()
    try:   # a file in a newer storage format than the CLI reads: say so, and how to fix it
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            storage = con.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                                  "WHERE database_name = current_database()").fetchall()[0][0]
        finally:
            con.close()
    except duckdb.Error as exc:
        raise ChiboError(f"cannot open {warehouse}: {exc}") from None
    cli = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout
    if storage and _version(cli) and _version(storage) > _version(cli):
        raise ChiboError(
            f"{warehouse} is stored in DuckDB's {storage} format, which this DuckDB CLI "
            f"({cli.split()[0] if cli else '?'}) cannot read: convert it once with "
            f"`{Path(sys.executable).parent / 'python'} {CONVERT_SCRIPT} {warehouse}` "
            "(or `chibo rebuild`)")
    argv = [str(binary), "-readonly", str(warehouse), *args.duckdb_args]
    if args.sql_command:
        argv += ["-c", args.sql_command]
    sys.stdout.flush()
    os.execv(argv[0], argv)   # the analyst's shell takes over this process (and its Ctrl-C)


def cmd_status(args) -> int:
    """The last runs from the published `runs`, the run log and the publish marker."""
    from chibo.pipeline import format_runs, recent_runs, run_log_path
    from chibo.settings import DEFAULTS
    warehouse = Path(args.warehouse or os.environ.get("CHIBO_WAREHOUSE")
                     or DEFAULTS["warehouse"]).absolute()
    runs = recent_runs(warehouse, max(1, args.last))
    if not runs:
        raise ChiboError(f"chưa có lần chạy nào / no run yet: {warehouse} "
                         f"({run_log_path(warehouse).name})")
    print(f"Các lần chạy gần nhất / last runs: {warehouse}")
    for line in format_runs(runs):
        print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "rebuild":
            return cmd_run(args, rebuild=True)
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "generate":
            return cmd_generate(args)
        if args.command == "sql":
            return cmd_sql(args)
        if args.command == "template":
            return cmd_template(args)
        if args.command == "status":
            return cmd_status(args)
        return cmd_validate(args)
    except ChiboError as exc:
        print(f"chibo {args.command}: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        print(f"chibo {args.command}: interrupted; the published warehouse is unchanged",
              file=sys.stderr)
        return 130
    except Exception as exc:   # one line, not a traceback; CHIBO_DEBUG=1 shows it
        if os.environ.get("CHIBO_DEBUG"):
            raise
        print(f"chibo {args.command}: failed: {type(exc).__name__}: {exc} "
              "(set CHIBO_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
