"""Write a canonical frame (code names, typed) in one of the delivery styles.

Styles: ``plain`` (UTF-8 CSV, code-name headers, ISO dates), ``excel_csv`` (Windows-1258,
``;``, Vietnamese headers and labels, DD/MM/YYYY, decimal comma) and ``xlsx`` (sheet named
as the kind, optional title block, Vietnamese headers, native Excel dates).
"""
from __future__ import annotations

import datetime as dt
import io
import unicodedata
from pathlib import Path

import polars as pl

from chibo.contract import ACTION_COLUMN, ACTION_LABEL, ACTIONS, CONTRACT

_LETTER_MARKS = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn: precomposed in cp1258


def _cp1258_fallback(ch: str) -> str:
    """A string cp1258 can encode whose NFC is ``ch`` (base letter + combining tone mark)."""
    try:
        ch.encode("cp1258")
        return ch
    except UnicodeEncodeError:
        pass
    nfd = unicodedata.normalize("NFD", ch)
    base, marks = nfd[0], nfd[1:]
    letter = "".join(m for m in marks if m in _LETTER_MARKS)
    tone = "".join(m for m in marks if m not in _LETTER_MARKS)
    out = unicodedata.normalize("NFC", base + letter) + tone
    out.encode("cp1258")  # raises if impossible: a text the generator must not produce
    return out


def encode_cp1258(text: str) -> bytes:
    text = unicodedata.normalize("NFC", text)
    table = {ord(c): _cp1258_fallback(c) for c in set(text)}
    data = text.translate(table).encode("cp1258")
    if unicodedata.normalize("NFC", data.decode("cp1258")) != text:  # pragma: no cover
        raise ValueError("cp1258 round trip failed")
    return data


def _labels(kind: str) -> dict[str, str]:
    d = {c.name: c.label_vi for c in CONTRACT[kind].columns}
    d[ACTION_COLUMN] = ACTION_LABEL
    return d


def _enum_label_expr(kind: str, col: str) -> pl.Expr:
    c = CONTRACT[kind].column(col) if col != ACTION_COLUMN else None
    mapping = {k: v[0] for k, v in (c.enum if c else ACTIONS).items()}
    return pl.col(col).replace_strict(mapping, default=pl.col(col), return_dtype=pl.String)


def _to_strings(df: pl.DataFrame, kind: str, style: str) -> pl.DataFrame:
    exprs = []
    for name, dtype in df.schema.items():
        col = None if name == ACTION_COLUMN else CONTRACT[kind].column(name)
        e = pl.col(name)
        if dtype == pl.Date:
            e = e.dt.strftime("%Y-%m-%d" if style == "plain" else "%d/%m/%Y")
        elif dtype == pl.Boolean:
            if style == "plain":
                e = pl.when(e).then(pl.lit("true")).when(e.not_()).then(pl.lit("false"))
            else:
                e = pl.when(e).then(pl.lit("có")).when(e.not_()).then(pl.lit("không"))
        elif col is not None and col.type == "enum" or name == ACTION_COLUMN:
            e = _enum_label_expr(kind, name) if style != "plain" else e.cast(pl.String)
        elif col is not None and col.type == "decimal" and style != "plain":
            e = e.cast(pl.String).str.replace(".", ",", literal=True)
        else:
            e = e.cast(pl.String)
        exprs.append(e.alias(name))
    return df.select(exprs)


def write_frame(df: pl.DataFrame, kind: str, path: Path, style: str, *,
                title: list[str] | None = None, created: dt.date | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if style == "plain":
        buf = io.BytesIO()
        _to_strings(df, kind, "plain").write_csv(buf)
        path.write_bytes(buf.getvalue())
    elif style == "excel_csv":
        s = _to_strings(df, kind, "excel").rename(_labels(kind), strict=False)
        text = s.write_csv(separator=";", line_terminator="\r\n")
        path.write_bytes(encode_cp1258(text))
    elif style == "xlsx":
        _write_xlsx(df, kind, path, title or [], created or dt.date(2000, 1, 1))
    else:  # pragma: no cover
        raise ValueError(style)


def _write_xlsx(df: pl.DataFrame, kind: str, path: Path, title: list[str], created: dt.date) -> None:
    import xlsxwriter

    labels = _labels(kind)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": dt.datetime.combine(created, dt.time(8, 0)),
                       "author": "Văn phòng cấp ủy", "title": CONTRACT[kind].label_vi})
    ws = wb.add_worksheet(kind)
    fmt_date = wb.add_format({"num_format": "dd/mm/yyyy"})
    fmt_head = wb.add_format({"bold": True})
    r = 0
    for line in title:
        ws.write_string(r, 0, line, fmt_head)
        r += 1
    cols = df.columns
    for j, c in enumerate(cols):
        ws.write_string(r, j, labels[c], fmt_head)
    r += 1
    kinds = []
    for c in cols:
        dtype = df.schema[c]
        col = None if c == ACTION_COLUMN else CONTRACT[kind].column(c)
        if dtype == pl.Date:
            kinds.append("date")
        elif dtype == pl.Boolean:
            kinds.append("opt_bool" if col is not None and not col.is_required else "bool")
        elif c == ACTION_COLUMN or (col is not None and col.type == "enum"):
            kinds.append("enum")
        elif col is not None and col.type == "time":
            kinds.append("time")
        elif dtype.is_numeric():
            kinds.append("num")
        else:
            kinds.append("str")
    enum_maps = {}
    for c, k in zip(cols, kinds):
        if k == "enum":
            src = ACTIONS if c == ACTION_COLUMN else CONTRACT[kind].column(c).enum
            enum_maps[c] = {code: (lab if isinstance(lab, str) else lab[0]) for code, lab in src.items()}
    for row in df.iter_rows():
        for j, (v, k) in enumerate(zip(row, kinds)):
            if v is None:
                continue
            if k == "date":
                ws.write_datetime(r, j, dt.datetime.combine(v, dt.time()), fmt_date)
            elif k == "bool":
                ws.write_string(r, j, "Có" if v else "Không")
            elif k == "opt_bool":
                if v:
                    ws.write_string(r, j, "x")
            elif k == "enum":
                ws.write_string(r, j, enum_maps[cols[j]].get(v, v))
            elif k == "time":
                h, m = v.split(":")
                ws.write_string(r, j, f"{int(h)}h{m}" if m != "00" else f"{int(h)}h")
            elif k == "num":
                ws.write_number(r, j, v)
            else:
                ws.write_string(r, j, str(v))
        r += 1
    wb.close()
