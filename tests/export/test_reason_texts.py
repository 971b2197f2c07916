"""Every reason code the model can emit has a Vietnamese and an English text in `reason_texts`,
for every rulebook of the run: the level reasons (the ladder conditions and no_assessment,
no_subunits, excellent_quota), every criterion check as `criterion:code`, and every meeting
standard failure."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb

from chibo.rulebooks import CONDITIONS, CRITERIA, REASON_CODES

MODEL_SQL = Path(__file__).resolve().parents[2] / "chibo" / "model" / "sql"


def emitted_by_the_model() -> set[str]:
    """Codes the model's SQL writes (`THEN 'code' END`, `'no_assessment'` …) and the ladder's
    conditions, which become reasons by name."""
    codes = set(CONDITIONS) | {"no_assessment", "no_subunits", "excellent_quota"}
    for path in MODEL_SQL.glob("*.sql"):
        codes |= set(re.findall(r"THEN '([a-z_]+)' END", path.read_text(encoding="utf-8")))
    return codes


def test_the_model_emits_only_known_codes():
    assert emitted_by_the_model() <= set(REASON_CODES), emitted_by_the_model() - set(REASON_CODES)
    assert len(emitted_by_the_model()) > 30


def test_every_code_has_both_texts_in_every_rulebook(example_db):
    con = duckdb.connect(str(example_db), read_only=True)
    try:
        texts = {(rb, code): (vi, en) for rb, code, vi, en in con.execute(
            "SELECT rulebook, code, text_vi, text_en FROM reason_texts").fetchall()}
        rulebooks = [r[0] for r in con.execute("SELECT rulebook FROM rulebooks").fetchall()]
        used = set()
        for col in ("reasons", "criteria_reasons"):
            used |= {(rb, c) for rb, c in con.execute(
                f"SELECT DISTINCT rulebook, unnest({col}) FROM org_year_classification").fetchall()}
        used |= {(rb, c) for rb, c in con.execute("""
            SELECT DISTINCT t.rulebook, unnest(m.standard_failures)
            FROM meetings m JOIN rulebook_thresholds t
              ON t.year = year(m.meeting_date) AND t.name = 'min_minutes'""").fetchall()}
    finally:
        con.close()
    assert set(rulebooks) == {"qd124", "qd366"}
    codes = emitted_by_the_model()
    wanted = {(rb, c) for rb in rulebooks for c in codes}
    wanted |= {(rb, f"{crit}:{c}") for rb in rulebooks for crit in CRITERIA for c in codes}
    wanted |= used
    missing = sorted(k for k in wanted if k not in texts)
    assert missing == []
    for key in wanted:
        vi, en = texts[key]
        assert vi.strip() and en.strip(), key
        assert "{" not in vi + en, (key, vi, en)                 # every placeholder filled
        assert re.search(r"[^\x00-\x7f]", vi), (key, vi)          # Vietnamese, not English
