"""Driving the real clients: one-shot DuckDB CLI calls, and clients that hold the file open."""
from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
END = "__END__"


def readme_sql_blocks() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def readme_comment_query() -> str:
    """The README's inline query that lists comments (over duckdb_columns())."""
    found = re.findall(r"`(SELECT [^`]*duckdb_columns\(\)[^`]*)`",
                       README.read_text(encoding="utf-8"))
    assert found, "README lists no comment query over duckdb_columns()"
    return found[0]


def cli(binary: Path, db: Path, sql: str, *extra: str,
        timeout: float = 120) -> subprocess.CompletedProcess:
    """`duckdb -readonly -csv DB -c SQL` as an analyst would type it."""
    return subprocess.run([str(binary), "-readonly", "-csv", *extra, str(db), "-c", sql],
                          capture_output=True, text=True, timeout=timeout)


def cli_rows(binary: Path, db: Path, sql: str) -> list[dict[str, str]]:
    p = cli(binary, db, sql)
    assert p.returncode == 0 and not p.stderr.strip(), (p.returncode, p.stderr)
    return list(csv.DictReader(io.StringIO(p.stdout)))


def cli_version(binary: Path) -> str:
    return subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                          timeout=60).stdout.split()[0]


class Holder:
    """A client process holding the warehouse open and answering one query at a time (the
    first column of each row)."""

    def __init__(self, name: str, argv: list[str], cli_protocol: bool, ready: str | None = None):
        self.name = name
        self.cli_protocol = cli_protocol
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1,
                                     encoding="utf-8")
        self.preamble: list[str] = []
        if ready:   # wait for the line that says the connection is open
            while True:
                line = self._readline()
                self.preamble.append(line)
                if line.startswith(ready):
                    break

    def _readline(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"{self.name} ended: {err[-2000:]}")
        return line.rstrip("\n")

    def ask(self, sql: str) -> list[str]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{sql};\n.print {END}\n" if self.cli_protocol else f"{sql}\n")
        self.proc.stdin.flush()
        out = []
        while (line := self._readline()) != END:
            out.append(line)
        return out

    def close(self) -> int:
        if self.proc.stdin:
            try:
                self.proc.stdin.write(".quit\n" if self.cli_protocol else "\n")
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            return self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


def cli_holder(name: str, binary: Path, db: Path) -> Holder:
    return Holder(name, [str(binary), "-readonly", "-csv", "-noheader", str(db)],
                  cli_protocol=True)


def jdbc_holder(name: str, jar: Path, program: Path, db: Path, table: str) -> Holder:
    return Holder(name, ["java", "-cp", f"{jar}:{program}", "ReadWarehouse", str(db), table,
                         "hold"], cli_protocol=False, ready="holding\t")


def jdbc_facts(jar: Path, program: Path, db: Path, table: str) -> dict[str, list[str]]:
    p = subprocess.run(["java", "-cp", f"{jar}:{program}", "ReadWarehouse", str(db), table],
                       capture_output=True, text=True, timeout=300, encoding="utf-8")
    assert p.returncode == 0, p.stderr[-3000:]
    facts: dict[str, list[str]] = {}
    for line in p.stdout.splitlines():
        key, _, value = line.partition("\t")
        facts.setdefault(key, []).append(value)
    return facts
