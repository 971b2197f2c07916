"""Official ratings (the level the committee decided) held against what the generated evidence
can support.

The generator cannot know chibo's computed level exactly (the quota, "4 tốt", summed member
figures), but it knows every row it wrote. For each org-year it evaluates the rulebook's ladder
conditions in three-valued logic (True, False, unknown = null) from the generated assessments,
meetings, attendance and member ratings, which gives the **best** and the **worst** level the
records can give. Then:

- an ordinary official rating is the worst possible level (excellent never: the quota may
  demote), so it is never higher than the computed one, and equal to it almost always;
- a **planted inflated** rating is set one or two ranks above the *best* possible level of an
  org-year the records clearly hold at completed or failed: chibo's audit must list it as
  `official_higher`, and it is written to the manifest;
- a **planted lower** rating is one rank below an org-year that is certainly `good`;
- **"4 tốt" awarded without the criteria**: `four_good_awarded` true where a criterion certainly
  fails (from the assessment); elsewhere it is false only where "4 tốt" is certainly not met;
- org-years whose records the generator spoiled on purpose (planted bad rows, corrections) or
  whose level it cannot pin down get no official rating.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import polars as pl

RANK = {"excellent": 1, "good": 2, "completed": 3, "failed": 4}
LEVEL_OF = {v: k for k, v in RANK.items()}
NULLB = pl.lit(None, dtype=pl.Boolean)


def _lt_share(num: str, share: Fraction, den: str) -> pl.Expr:
    """num < share × den, exactly (integers cross-multiplied)."""
    return (
        pl.col(num).cast(pl.Int64) * share.denominator
        < pl.col(den).cast(pl.Int64) * share.numerator
    )


def _gt_share(num: str, share: Fraction, den: str) -> pl.Expr:
    return (
        pl.col(num).cast(pl.Int64) * share.denominator
        > pl.col(den).cast(pl.Int64) * share.numerator
    )


def _assessment_conditions(rb) -> dict[str, pl.Expr]:
    """Conditions read from the own assessment (certain: the generator wrote it)."""
    th = rb.thresholds
    score = pl.col("score").cast(pl.Float64)
    c = {
        "targets_below_half": _lt_share(
            "targets_met", Fraction(th["targets_failed_below"]), "targets_total"
        ),
        "targets_not_all_met": pl.col("targets_met") < pl.col("targets_total"),
        "targets_late": pl.col("targets_late").fill_null(0) >= 1,
        "targets_late_too_many": _gt_share(
            "late0", Fraction(th.get("completed_late_share_max", 1)), "targets_total"
        ),
        "targets_exceeded_low": _lt_share(
            "targets_exceeded", Fraction(th["excellent_exceeded_share_min"]), "targets_total"
        ),
        "org_disciplined": pl.col("org_disciplined"),
        "disunity": pl.col("disunity"),
        "leaders_disciplined": pl.col("leaders_disciplined").fill_null(False),
        "mass_orgs_not_good": pl.col("mass_orgs_good").not_(),
        "shortcomings_not_fixed": pl.col("shortcomings_fixed").not_(),
    }
    for rung in ("completed", "good", "excellent"):
        name = f"score_{rung}"
        if rb.uses_score and name in th:
            c[f"score_below_{rung}"] = score.fill_null(101.0) < float(Fraction(th[name]))
        else:
            c[f"score_below_{rung}"] = pl.lit(False)
    return c


def _political_fails(rb) -> pl.Expr:
    """political_task_good certainly false (assessment part)."""
    e = pl.col("targets_met") < pl.col("targets_total")
    if rb.uses_score and "score_good" in rb.thresholds:
        e = e | (
            pl.col("score").cast(pl.Float64).fill_null(101.0)
            < float(Fraction(rb.thresholds["score_good"]))
        )
    if rb.rates_timeliness:
        e = e | (pl.col("targets_late").fill_null(0) >= 1)
    return e


def _unity_fails() -> pl.Expr:
    return pl.col("org_disciplined") | pl.col("disunity")


def _interval(
    frame: pl.DataFrame, conds: dict[str, pl.Expr], ladder: dict[str, tuple[str, ...]]
) -> pl.DataFrame:
    """best/worst rank from the ladder's rungs in three-valued logic (an unknown code is null)."""

    def any_of(rung: str) -> pl.Expr:
        codes = ladder.get(f"{rung}_when", ())
        e = pl.lit(False)
        for code in codes:
            e = e | conds.get(code, NULLB)
        return e

    f = frame.with_columns(
        any_of("failed").alias("_F"), any_of("completed").alias("_C"), any_of("good").alias("_G")
    )
    best = (
        pl.when(pl.col("_F").fill_null(False))
        .then(4)
        .when(pl.col("_C").fill_null(False))
        .then(3)
        .when(pl.col("_G").fill_null(False))
        .then(2)
        .otherwise(1)
    )
    worst = (
        pl.when(pl.col("_F").is_null() | pl.col("_F"))
        .then(4)
        .when(pl.col("_C").is_null() | pl.col("_C"))
        .then(3)
        .otherwise(2)
    )  # excellent candidates may be demoted by the quota
    return f.with_columns(
        best.cast(pl.Int8).alias("best"), worst.cast(pl.Int8).alias("worst")
    ).drop("_F", "_C", "_G")


def estimate_cells(cells: pl.DataFrame, rb, year: int) -> pl.DataFrame:
    """cells: org_id, months_active, regular_months, present, excused, unexcused, rated,
    rated_excellent, rated_good, rated_failed, disciplined_members, touched, has_assessment +
    the assessment columns. Returns org_id, is_null, best, worst, four_good_false,
    sub_disciplined, touched."""
    th = rb.thresholds
    ev_known = pl.col("touched").not_()
    att_share = Fraction(th["attendance_rate_above"])
    den = pl.col("present") + pl.col("excused") + pl.col("unexcused")
    attendance_low = (den == 0) | (
        pl.col("present").cast(pl.Int64) * att_share.denominator
        <= den.cast(pl.Int64) * att_share.numerator
    )
    members_good = (
        (pl.col("rated") >= 1)
        & (pl.col("rated_failed") == 0)
        & ~_lt_share("rated_eg", Fraction(th["members_good_share_min"]), "rated")
    )
    conds = _assessment_conditions(rb)
    known = {
        "meetings_mostly_missing": 2 * pl.col("regular_months") < pl.col("months_active"),
        "regular_month_missing": pl.col("regular_months") < pl.col("months_active"),
        "attendance_low": attendance_low,
        "members_failed_over_half": (pl.col("rated") >= 1)
        & _gt_share("rated_failed", Fraction(th["members_failed_share_above"]), "rated"),
        "members_not_good": members_good.not_(),
        "members_disciplined": pl.col("disciplined_members") >= 1,
    }
    for k, e in known.items():
        conds[k] = pl.when(ev_known).then(e).otherwise(NULLB)
    for k in (
        "subunits_disciplined_too_many",
        "subunit_failed",
        "subunit_not_classified",
        "subunit_disciplined",
    ):
        conds[k] = pl.lit(False)
    four_good_false = (
        _political_fails(rb)
        | _unity_fails()
        | (
            ev_known
            & (
                members_good.not_()
                | (pl.col("regular_months") < pl.col("months_active"))
                | (pl.col("disciplined_members") >= 1)
            )
        )
    )
    from_year = int(th.get("four_good_required_for_excellent_from", 10**4))
    conds["not_four_good"] = (
        pl.lit(False) if year < from_year else pl.when(four_good_false).then(True).otherwise(NULLB)
    )
    f = cells.with_columns(
        (pl.col("rated_excellent") + pl.col("rated_good")).alias("rated_eg"),
        pl.col("targets_late").fill_null(0).alias("late0"),
    )
    f = _interval(f, conds, rb.ladders["cell"]).with_columns(
        four_good_false.fill_null(False).alias("four_good_false")
    )
    return f.select(
        "org_id",
        pl.col("has_assessment").not_().alias("is_null"),
        "best",
        "worst",
        "four_good_false",
        pl.col("org_disciplined").fill_null(False).alias("sub_disciplined"),
        pl.col("touched"),
    )


def estimate_collectives(coll: pl.DataFrame, subs: pl.DataFrame, rb, year: int) -> pl.DataFrame:
    """coll: org_id, level, has_assessment, touched + assessment columns; subs: parent (the
    collective), is_null, best, worst, sub_disciplined, touched (one row per sub-unit)."""
    th = rb.thresholds
    agg = subs.group_by("parent").agg(
        pl.len().alias("n_sub"),
        (pl.col("touched").any()).alias("sub_touched"),
        ((pl.col("best") == 4) & pl.col("is_null").not_()).any().alias("sub_failed_sure"),
        ((pl.col("worst") == 4) & pl.col("is_null").not_()).any().alias("sub_failed_maybe"),
        pl.col("is_null").any().alias("sub_null"),
        pl.col("sub_disciplined").sum().alias("n_sub_disc"),
    )
    f = coll.join(agg.rename({"parent": "org_id"}), on="org_id", how="left").with_columns(
        pl.col("n_sub").fill_null(0),
        pl.col("n_sub_disc").fill_null(0),
        *[
            pl.col(c).fill_null(False)
            for c in ("sub_touched", "sub_failed_sure", "sub_failed_maybe", "sub_null")
        ],
    )
    conds = _assessment_conditions(rb)
    unknown_subs = pl.col("sub_touched")
    conds["subunit_failed"] = (
        pl.when(pl.col("sub_failed_sure"))
        .then(True)
        .when(pl.col("sub_failed_maybe") | unknown_subs)
        .then(NULLB)
        .otherwise(False)
    )
    conds["subunit_not_classified"] = (
        pl.when(unknown_subs).then(NULLB).otherwise(pl.col("sub_null"))
    )
    conds["subunit_disciplined"] = (
        pl.when(unknown_subs).then(NULLB).otherwise(pl.col("n_sub_disc") >= 1)
    )
    conds["subunits_disciplined_too_many"] = (
        pl.when(unknown_subs)
        .then(NULLB)
        .otherwise(
            _gt_share("n_sub_disc", Fraction(th["subunits_disciplined_share_above"]), "n_sub")
        )
    )
    for k in ("members_failed_over_half", "members_not_good", "members_disciplined"):
        conds[k] = NULLB  # summed over the cells below: not estimated
    for k in ("meetings_mostly_missing", "regular_month_missing", "attendance_low"):
        conds[k] = pl.lit(False)  # cell conditions
    four_good_false = (pl.col("level") == "dang_bo_co_so") & (
        _political_fails(rb) | _unity_fails() | (pl.col("n_sub_disc") >= 1)
    )
    from_year = int(th.get("four_good_required_for_excellent_from", 10**4))
    conds["not_four_good"] = (
        pl.lit(False)
        if year < from_year
        else pl.when(pl.col("level") != "dang_bo_co_so")
        .then(False)
        .when(four_good_false)
        .then(True)
        .otherwise(NULLB)
    )
    f = f.with_columns(pl.col("targets_late").fill_null(0).alias("late0"))
    f = _interval(f, conds, rb.ladders["collective"]).with_columns(
        four_good_false.fill_null(False).alias("four_good_false")
    )
    return f.select(
        "org_id",
        (pl.col("has_assessment").not_() | (pl.col("n_sub") == 0)).alias("is_null"),
        "best",
        "worst",
        "four_good_false",
        pl.col("org_disciplined").fill_null(False).alias("sub_disciplined"),
        (pl.col("touched") | pl.col("sub_touched")).alias("touched"),
    )


def choose(est: pl.DataFrame, levels: pl.DataFrame, u: pl.DataFrame, year: int) -> pl.DataFrame:
    """Official rows for the estimated org-years.

    est: org_id, is_null, best, worst, four_good_false, touched; levels: org_id, level (the
    org's level in the year's tree); u: org_id + uniform columns u_pick, u_plant, u_gap, u_fg,
    u_re. Returns org_id, level (official), four_good_awarded, planted ('' | inflated | lower),
    four_good_planted, rerate_from (a first decision replaced later, or null), best."""
    f = est.join(levels, on="org_id", how="left").join(u, on="org_id", how="left")
    sure = pl.col("is_null").not_() & pl.col("touched").not_()
    clear_low = sure & (pl.col("best") >= 3)  # at most completed, for sure
    exact = sure & (
        (pl.col("best") == pl.col("worst")) | ((pl.col("best") == 1) & (pl.col("worst") == 2))
    )
    inflated = clear_low & (pl.col("u_plant") < 0.06)
    lower = exact & (pl.col("best") == 2) & (pl.col("worst") == 2) & (pl.col("u_plant") < 0.02)
    gap = pl.when(pl.col("u_gap") < 0.6).then(1).otherwise(2)
    official = (
        pl.when(inflated)
        .then(pl.max_horizontal(pl.col("best") - gap, pl.lit(1)))
        .when(lower)
        .then(pl.col("worst") + 1)
        .otherwise(pl.col("worst"))
    )
    keep = inflated | (exact & (pl.col("u_pick") >= 0.06))
    f = f.filter(keep).with_columns(
        official.cast(pl.Int8).alias("rank"),
        pl.when(inflated)
        .then(pl.lit("inflated"))
        .when(lower)
        .then(pl.lit("lower"))
        .otherwise(pl.lit(""))
        .alias("planted"),
    )
    can_4t = pl.col("level").is_in(["chi_bo", "chi_bo_co_so", "dang_bo_co_so"])
    fg_planted = (
        can_4t & pl.col("four_good_false") & ((pl.col("rank") == 1) | (pl.col("u_fg") < 0.05))
    )
    fg = (
        pl.when(fg_planted)
        .then(True)
        .when(can_4t & pl.col("four_good_false") & (pl.col("u_fg") < 0.8))
        .then(False)
        .otherwise(None)
    )
    # a re-rating (HD 43 Mẫu 03): the first decision one rank higher, corrected later
    rerate = (pl.col("planted") == "") & (pl.col("rank") >= 2) & (pl.col("u_re") < 0.02)
    return f.select(
        "org_id",
        pl.col("rank").replace_strict(LEVEL_OF, return_dtype=pl.String).alias("level"),
        fg.alias("four_good_awarded"),
        "planted",
        fg_planted.alias("four_good_planted"),
        pl.when(rerate)
        .then(pl.col("rank") - 1)
        .otherwise(None)
        .cast(pl.Int8)
        .replace_strict(LEVEL_OF, default=None, return_dtype=pl.String)
        .alias("rerate_from"),
        pl.col("best").replace_strict(LEVEL_OF, return_dtype=pl.String).alias("best_supported"),
    )


def decision_columns(
    df: pl.DataFrame, u_day: pl.Series, u_no: pl.Series, year: int, who: pl.Expr
) -> pl.DataFrame:
    """decided_on in the second half of January of year + 1 (some missing), decision number."""
    base = dt.date(year + 1, 1, 15)
    day = pl.lit(base) + pl.duration(days=(u_day * 14).floor().cast(pl.Int64))
    return df.with_columns(
        pl.when(u_day < 0.9).then(day).otherwise(None).cast(pl.Date).alias("decided_on"),
        pl.when(u_no < 0.92)
        .then((10 + (u_no * 290).floor().cast(pl.Int32)).cast(pl.String) + "-QĐ/" + who)
        .otherwise(None)
        .alias("decision"),
    )
