"""Text rules of the reader: header keys, tone placement, control characters, safe display.

Tone placement: Vietnamese offices write the tone of `oa`, `oe`, `uy` at the end of a syllable
either on the first vowel (`hòa`, `khỏe`, `thủy`, `ủy`: the placement the contract's labels use,
"modern" in the spec) or on the second (`hoà`, `khoẻ`, `thuỷ`, `uỷ`). Both sides of a
comparison are brought to the contract's placement first.
"""
from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable

import polars as pl

# Tone marks as NFD combining characters: grave, acute, tilde, hook above, dot below.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
# `oa`/`oe`/`uy` (not the `uy` of `qu`) ending a syllable, tone written on the second vowel.
_SECOND_VOWEL_TONE = re.compile(
    rf"(?:(?<![qQ])([uU])([yY])|([oO])([aAeE]))([{_TONES}])(?![\w\u0300-\u036f])")

# Characters removed from every cell (with a warning): C0/C1 controls other than tab and line
# breaks, DEL, bidirectional overrides/embeddings/isolates and marks, zero-width space, word
# joiner, byte order mark, interlinear annotation controls.
CONTROL_CLASS = (r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u061C\u200B\u200E\u200F\u202A-\u202E"
                 r"\u2060\u2066-\u2069\uFEFF\uFFF9-\uFFFB")
CONTROL_PATTERN = f"[{CONTROL_CLASS}]"
_CONTROL = re.compile(CONTROL_PATTERN)
# Unicode line and paragraph separators are line breaks: they become LF like CR LF does.
LINE_SEPARATORS = "\u2028\u2029"
_SPACES = re.compile(r"\s+")
# What a blank cell may hold: white space and the removed control characters.
# (every white-space character is below U+3001; the controls above it are listed)
BLANK_CHARS = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace() or _CONTROL.match(ch)) \
    + "\ufeff\ufff9\ufffa\ufffb"


def blank(expr: pl.Expr) -> pl.Expr:
    """True for a null cell or one holding only spaces and control characters."""
    return expr.is_null() | (expr.str.strip_chars(BLANK_CHARS) == "")


def trim_expr(expr: pl.Expr) -> pl.Expr:
    """Trimmed; empty or only spaces -> null."""
    stripped = expr.str.strip_chars()
    return pl.when(stripped != "").then(stripped)


def trim(values: pl.Series) -> pl.Series:
    return pl.select(trim_expr(pl.lit(values))).to_series().alias(values.name)


def is_blank(text: str | None) -> bool:
    return text is None or not text.strip(BLANK_CHARS)


def modern_tones(text: str) -> str:
    """`hoà` -> `hòa`, `thuỷ` -> `thủy`, `uỷ` -> `ủy` (any case); returns NFC."""
    nfd = unicodedata.normalize("NFD", text)
    moved = _SECOND_VOWEL_TONE.sub(
        lambda m: (m.group(1) + m.group(5) + m.group(2)) if m.group(1)
        else (m.group(3) + m.group(5) + m.group(4)), nfd)
    return unicodedata.normalize("NFC", moved)


def strip_controls(text: str) -> str:
    return _CONTROL.sub("", text)


def header_key(text: str | None) -> str:
    """How header cells (and sheet names) are compared: Unicode form, case, tone placement,
    surrounding spaces and runs of spaces or line breaks inside ignored."""
    cleaned = strip_controls(text or "")
    return _SPACES.sub(" ", modern_tones(cleaned)).strip().casefold()


def fold(text: str) -> str:
    """Case- and diacritics-free form (for suggesting the nearest label)."""
    decomposed = unicodedata.normalize("NFD", header_key(text))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d")


def nearest(text: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `text`, compared without case and diacritics (difflib)."""
    target = fold(text)
    by_fold = {fold(display): display for display in candidates}
    match = difflib.get_close_matches(target, list(by_fold), n=1, cutoff=0.6)
    return by_fold[match[0]] if match else None


@functools.cache
def nfc_unstable_class() -> str:
    """A regex class of the characters NFC may change or combine: combining marks, Hangul
    vowel/final jamo, and every BMP character NFC maps elsewhere (singletons). A cell with none
    of them is already NFC, so only the (rare) others are normalised."""
    codes = [c for c in range(0x10000)
             if unicodedata.combining(chr(c)) or unicodedata.normalize("NFC", chr(c)) != chr(c)]
    codes += [*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)]
    ranges: list[list[int]] = []
    for c in sorted(set(codes)):
        if 0xD800 <= c <= 0xDFFF:
            continue
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    parts = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[\\p{{M}}{parts}\\x{{1D15E}}-\\x{{1D1C0}}\\x{{2F800}}-\\x{{2FA1F}}]"


def printable(text: object, limit: int = 80) -> str:
    """Text safe to put in a message or a terminal: control and invisible characters, line
    breaks and undecodable bytes (surrogate escapes of a file name) shown as escapes; cut at
    `limit` characters."""
    s = str(text)
    out: list[str] = []
    for ch in s:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:                     # a byte a file name could not decode
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == "\n":
            out.append("\\n")
        elif ch in "\r\t" or _CONTROL.match(ch) or ch in LINE_SEPARATORS \
                or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    shown = "".join(out)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def column_letter(position: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (as Excel names columns)."""
    letters = ""
    n = position + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def column_number(letters: str) -> int:
    """A -> 1, Z -> 26, AA -> 27, XFD -> 16384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def row_list(rows: list[int], limit: int = 8) -> str:
    """`5, 7–9, 12` (ranges joined), at most `limit` items then `…`."""
    items: list[str] = []
    start = prev = None
    for r in sorted(set(rows)):
        if prev is not None and r == prev + 1:
            prev = r
            continue
        if start is not None:
            items.append(str(start) if start == prev else f"{start}–{prev}")
        start = prev = r
    if start is not None:
        items.append(str(start) if start == prev else f"{start}–{prev}")
    shown = ", ".join(items[:limit])
    return shown + (", …" if len(items) > limit else "")
