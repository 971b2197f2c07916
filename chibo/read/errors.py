"""The one exception a file's problems surface as, and how messages name the file."""
from __future__ import annotations

from dataclasses import dataclass, replace

from chibo.messages import file_message
from chibo.read.text import printable


class FileRejected(Exception):
    """The whole file is unusable; the messages name the file (and sheet) and the reason."""

    def __init__(self, message_vi: str, message_en: str, reason: str = "unreadable") -> None:
        super().__init__(message_vi, message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.message_vi} / {self.message_en}"

    def __reduce__(self):   # crosses the reader process boundary intact
        return (FileRejected, (self.message_vi, self.message_en, self.reason))


@dataclass(frozen=True)
class Where:
    """The file as messages name it (never the server's absolute path) and the sheet read."""
    name: str
    sheet: str | None = None

    def on_sheet(self, sheet: str) -> Where:
        return replace(self, sheet=sheet)

    def reject(self, reason: str, detail_vi: str = "", detail_en: str = "") -> FileRejected:
        vi, en = file_message(reason, printable(self.name, 200), detail_vi, detail_en,
                              None if self.sheet is None else printable(self.sheet, 60))
        return FileRejected(vi, en, reason)

    def prefix(self, vi: str, en: str) -> str:
        """One warning line (Vietnamese / English), naming the sheet read in a workbook."""
        if self.sheet is None:
            return f"{vi} / {en}"
        sheet = printable(self.sheet, 60)
        return f"Trang «{sheet}»: {vi} / Sheet '{sheet}': {en}"


def library_text(exc: BaseException) -> str:
    """A library's message, one line, for the English part of a message only."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return printable(text, 160)


def fmt_vi(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def fmt_en(n: int) -> str:
    return f"{n:,}"
