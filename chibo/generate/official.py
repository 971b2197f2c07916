"""Official ratings (the level the committee decided) held against what the generated evidence
supports.

The generator knows every row it wrote. For each org-year it mirrors what chibo's model will
compute (rules.md "Cell-year metrics", "The four goods", "The level", "The quota") in
three-valued logic (True, False, unknown = null): the cell-year metrics from the meetings and
attendance written that year (`cell_evidence`), the four goods and the ladder's conditions from
them, the assessments and the member ratings, which gives the **best** and the **worst**
provisional level the records can give; then the quota over each pool (`quota_final`), which
gives the **final** level where it is certain. Then:

- an ordinary official rating is the final level, so the audit agrees with it; an org-year
  whose final level is not certain (records the generator spoiled on purpose, a quota pool
  shared with another old province, an unknown removal candidate) gets no official rating;
- a **planted inflated** rating is set one or two ranks above the *best* possible level of an
  org-year the records clearly hold at completed or failed: chibo's audit must list it as
  `official_higher`, and it is written to the manifest;
- a **planted lower** rating is one rank below an org-year whose final level is certainly
  `good`: the audit lists it as `official_lower`;
- **"4 tốt" awarded without the criteria**: `four_good_awarded` true where a criterion certainly
  fails; elsewhere it is false only where "4 tốt" is certainly not met.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import polars as pl

RANK = {"excellent": 1, "good": 2, "completed": 3, "failed": 4}
LEVEL_OF = {v: k for k, v in RANK.items()}
NULLB = pl.lit(None, dtype=pl.Boolean)

# what `cell_evidence` gives per cell (besides cell, cell_id): the model's cell-year metrics
EVIDENCE_COLUMNS = (
    "regular_months", "quarters_active", "thematic_quarters", "criticism_quarters",
    "short_meetings", "meetings_without_attendance", "unsigned_minutes",
    "materials_late_meetings", "present", "excused", "unexcused", "spoke", "unexcused_members",
    "excused_streak_members", "rc_min", "rc_max",
)
# the sums over the cells below a collective (rules.md "Collectives"), carried by every sub-unit
BELOW = ("n_reg_missing", "disc_below", "rc_min", "rc_max", "rated", "rated_eg", "rated_failed")


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


def _ge_share(num: str, share: Fraction, den: str) -> pl.Expr:
    return (
        pl.col(num).cast(pl.Int64) * share.denominator
        >= pl.col(den).cast(pl.Int64) * share.numerator
    )


def _days(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


# ---------------------------------------------------------------- cell-year evidence
def cell_evidence(cells: pl.DataFrame, meet: pl.DataFrame | None, att: pl.DataFrame | None,
                  y: int, as_of: dt.date, rb, spoiled: list[str],
                  bad_members: list[str]) -> pl.DataFrame:
    """The model's cell-year metrics of year y (30_cell_year_metrics.sql, the calendar of
    20_org_calendar.sql) from what the generator wrote.

    cells: cell, cell_id, est, diss (days since 1970); meet: the counted meetings (cell,
    meeting_id, meeting_type, date, dur, minutes_signed, criticism_held, posted, no_att); att:
    their attendance rows (cell, meeting_id, member_id, date, meeting_type, status, spoke).
    Returns cell, cell_id and EVIDENCE_COLUMNS (rc_min / rc_max: the cell's members absent
    without reason who certainly / possibly are removal candidates over all their cells)."""
    base = cells.select("cell", "cell_id")
    if rb is None:
        return base
    th = rb.thresholds
    if meet is None:
        meet = pl.DataFrame(schema={"cell": pl.Int32, "meeting_id": pl.String,
                                    "meeting_type": pl.String, "date": pl.Int32, "dur": pl.Int32,
                                    "minutes_signed": pl.Boolean, "criticism_held": pl.Boolean,
                                    "posted": pl.Int32, "no_att": pl.Boolean})
    if att is None:
        att = pl.DataFrame(schema={"cell": pl.Int32, "meeting_id": pl.String,
                                   "member_id": pl.String, "date": pl.Int32,
                                   "meeting_type": pl.String, "status": pl.String,
                                   "spoke": pl.Boolean})
    # the calendar: a month is active when the cell existed the whole month and it has ended
    months = []
    for m in range(1, 13):
        first = dt.date(y, m, 1)
        last = dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
        if last > as_of:
            break
        q_end = dt.date(y + (m > 9), (((m - 1) // 3 + 1) * 3) % 12 + 1, 1) - dt.timedelta(days=1)
        months.append((m, (m - 1) // 3 + 1, _days(first), _days(last), q_end <= as_of))
    cal = pl.DataFrame(months, schema={"m": pl.Int32, "q": pl.Int32, "f": pl.Int32, "l": pl.Int32,
                                       "q_active": pl.Boolean}, orient="row")
    active = (cells.select("cell", "est", "diss").join(cal, how="cross")
              .filter((pl.col("est").is_null() | (pl.col("est") <= pl.col("f")))
                      & (pl.col("diss").is_null() | (pl.col("diss") >= pl.col("l"))))
              .select("cell", "m", "q", "q_active"))
    in_year = pl.col("date").cast(pl.Date).dt.year() == y
    meet = meet.filter(in_year).with_columns(
        pl.col("date").cast(pl.Date).dt.month().cast(pl.Int32).alias("m"))
    meet = meet.with_columns(((pl.col("m") - 1) // 3 + 1).cast(pl.Int32).alias("q"))
    att = att.filter(in_year).with_columns(
        pl.col("date").cast(pl.Date).dt.month().cast(pl.Int32).alias("m"))
    regular = pl.col("meeting_type").is_in(["regular", "combined"])
    thematic = pl.col("meeting_type").is_in(["thematic", "combined"])
    cov = active.group_by("cell").agg(
        pl.len().alias("months_active"),
        pl.col("q").filter(pl.col("q_active")).n_unique().alias("quarters_active"))
    held_m = meet.filter(regular).select("cell", "m").unique()
    held_t = meet.filter(thematic).select("cell", "q").unique()
    held_c = meet.filter(regular & pl.col("criticism_held")).select("cell", "q").unique()
    reg = active.join(held_m, on=["cell", "m"]).group_by("cell").agg(
        pl.len().alias("regular_months"))
    aq = active.filter(pl.col("q_active")).select("cell", "q").unique()
    them = aq.join(held_t, on=["cell", "q"]).group_by("cell").agg(
        pl.len().alias("thematic_quarters"))
    crit = aq.join(held_c, on=["cell", "q"]).group_by("cell").agg(
        pl.len().alias("criticism_quarters"))
    # the meeting standard's parts (10_meetings.sql)
    min_minutes = (pl.when((pl.col("meeting_type") == "combined")
                           & (pl.col("date") >= _days(th["min_minutes_combined_hd42_from"])))
                   .then(int(th["min_minutes_combined_hd42"])).otherwise(int(th["min_minutes"])))
    late = ((pl.col("date") >= _days(th["materials_rule_from"]))
            & (pl.col("posted").is_null()
               | (pl.col("posted") > pl.col("date") - int(th["materials_days_before_min"]))))
    mm = meet.group_by("cell").agg(
        (pl.col("dur") < min_minutes).sum().alias("short_meetings"),
        pl.col("no_att").sum().alias("meetings_without_attendance"),
        pl.col("minutes_signed").not_().sum().alias("unsigned_minutes"),
        late.sum().alias("materials_late_meetings"))
    present = pl.col("status") == "present"
    sums = att.group_by("cell").agg(
        present.sum().cast(pl.Int64).alias("present"),
        (pl.col("status") == "excused").sum().cast(pl.Int64).alias("excused"),
        (pl.col("status") == "unexcused").sum().cast(pl.Int64).alias("unexcused"),
        (present & pl.col("spoke").fill_null(False)).sum().cast(pl.Int64).alias("spoke"))
    # the members' rows count only in a cell-year the model has (one active month at least)
    scope = att.join(cov.select("cell"), on="cell")
    unexc = scope.filter(pl.col("status") == "unexcused")
    # QĐ 24 counts the member over all cells; a member with a row in a spoiled cell (or a
    # spoiled register row) may count otherwise in chibo: unknown
    spoiled_cells = cells.filter(pl.col("cell_id").is_in(spoiled))["cell"]
    unsure = (scope.filter(pl.col("cell").is_in(spoiled_cells.implode())
                           | pl.col("member_id").is_in(bad_members))
              .select("member_id").unique().with_columns(pl.lit(True).alias("unsure")))
    cand = (unexc.group_by("member_id").agg(pl.col("m").n_unique().alias("months"))
            .with_columns((pl.col("months") >= int(th["removal_unexcused_months"])).alias("cand"))
            .join(unsure, on="member_id", how="left")
            .with_columns(pl.col("unsure").fill_null(False)))
    per_cell = unexc.select("cell", "member_id").unique().join(cand, on="member_id", how="left")
    mem = per_cell.group_by("cell").agg(
        pl.len().alias("unexcused_members"),
        (pl.col("cand") & pl.col("unsure").not_()).sum().alias("rc_min"),
        (pl.col("cand") | pl.col("unsure")).sum().alias("rc_max"))
    # excused streaks: runs of `excused` in a member's regular/combined rows of the cell-year
    seq = (scope.filter(regular).sort("cell", "member_id", "date", "meeting_id")
           .with_columns(((pl.col("status") != pl.col("status").shift(1))
                          | (pl.col("cell") != pl.col("cell").shift(1))
                          | (pl.col("member_id") != pl.col("member_id").shift(1)))
                         .fill_null(True).cum_sum().alias("run")))
    runs = (seq.filter(pl.col("status") == "excused").group_by("cell", "member_id", "run")
            .agg(pl.len().alias("n")).group_by("cell", "member_id").agg(pl.col("n").max()))
    streaks = (runs.filter(pl.col("n") > int(th["excused_streak_max"])).group_by("cell")
               .agg(pl.len().alias("excused_streak_members")))
    out = base
    for f in (cov, reg, them, crit, mm, sums, mem, streaks):
        out = out.join(f, on="cell", how="left")
    return out.select("cell", "cell_id", *[pl.col(c).fill_null(0).cast(pl.Int64)
                                           for c in EVIDENCE_COLUMNS])


# ---------------------------------------------------------------- the ladder's conditions
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


def _members_good(rb) -> pl.Expr:
    """The "members good" criterion from rated / rated_eg / rated_failed."""
    return (
        (pl.col("rated") >= 1)
        & (pl.col("rated_failed") == 0)
        & _ge_share("rated_eg", Fraction(rb.thresholds["members_good_share_min"]), "rated")
    )


def _no_removal() -> pl.Expr:
    """No removal candidate among the members counted: certain from rc_min / rc_max."""
    return (pl.when(pl.col("rc_max") == 0).then(True)
            .when(pl.col("rc_min") > 0).then(False).otherwise(NULLB))


def _not_four_good(rb, year: int, four_good: pl.Expr, eligible: pl.Expr | None = None) -> pl.Expr:
    """The ladder's not_four_good: from the rulebook's year on, "4 tốt" not met (false for an
    org that is never "4 tốt" when `eligible` says so)."""
    from_year = int(rb.thresholds.get("four_good_required_for_excellent_from", 10**4))
    if year < from_year:
        return pl.lit(False)
    if eligible is None:
        return four_good.not_()
    return pl.when(eligible.not_()).then(False).otherwise(four_good.not_())


def _interval(
    frame: pl.DataFrame, conds: dict[str, pl.Expr], ladder: dict[str, tuple[str, ...]]
) -> pl.DataFrame:
    """best/worst provisional rank from the ladder's rungs in three-valued logic (an unknown
    code is null): best takes every unknown condition as false, worst as true."""

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
        pl.when(pl.col("_F").fill_null(True))
        .then(4)
        .when(pl.col("_C").fill_null(True))
        .then(3)
        .when(pl.col("_G").fill_null(True))
        .then(2)
        .otherwise(1)
    )
    return f.with_columns(
        best.cast(pl.Int8).alias("best"), worst.cast(pl.Int8).alias("worst")
    ).drop("_F", "_C", "_G")


def estimate_cells(cells: pl.DataFrame, rb, year: int) -> pl.DataFrame:
    """cells: org_id, months_active, EVIDENCE_COLUMNS, rated, rated_excellent, rated_good,
    rated_failed, disciplined_members, touched, has_assessment + the assessment columns.

    Returns org_id, is_null, best, worst, four_good_false, mq_good, sub_disciplined, touched,
    the sums BELOW (of the cell itself) and the quota's ordering keys (score, exceeded_ratio,
    attendance_rate)."""
    th = rb.thresholds
    ev_known = pl.col("touched").not_()
    att_share = Fraction(th["attendance_rate_above"])
    den = pl.col("present") + pl.col("excused") + pl.col("unexcused")
    attendance_low = (den == 0) | (
        pl.col("present").cast(pl.Int64) * att_share.denominator
        <= den.cast(pl.Int64) * att_share.numerator
    )
    members_good = _members_good(rb)
    mq_good = (
        (pl.col("regular_months") == pl.col("months_active"))
        & (pl.col("thematic_quarters") == pl.col("quarters_active"))
        & (pl.col("criticism_quarters") == pl.col("quarters_active"))
        & (pl.col("short_meetings") == 0)
        & (pl.col("meetings_without_attendance") == 0)
        & (pl.col("unsigned_minutes") == 0)
        & attendance_low.not_()
        & (pl.col("unexcused_members") == 0)
        & (pl.col("excused_streak_members") == 0)
        & (pl.col("present") > 0)
        & _ge_share("spoke", Fraction(th["speaking_rate_min"]), "present")
        & (pl.col("materials_late_meetings") == 0)
    )
    political_good = pl.col("has_assessment") & _political_fails(rb).not_()
    unity_good = (_unity_fails().not_() & (pl.col("disciplined_members") == 0) & _no_removal())
    four_good = (
        pl.when(ev_known)
        .then(political_good & mq_good & unity_good & members_good)
        .when(political_good.not_() | _unity_fails())
        .then(False)
        .otherwise(NULLB)
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
    conds["not_four_good"] = _not_four_good(rb, year, pl.col("four_good"))
    f = cells.with_columns(
        (pl.col("rated_excellent") + pl.col("rated_good")).alias("rated_eg"),
        pl.col("targets_late").fill_null(0).alias("late0"),
    ).with_columns(four_good.alias("four_good"))
    f = _interval(f, conds, rb.ladders["cell"]).with_columns(
        (pl.col("four_good") == False).fill_null(False).alias("four_good_false"),  # noqa: E712
        pl.when(ev_known).then(mq_good).otherwise(NULLB).alias("mq_good"),
    )
    return f.select(
        "org_id",
        pl.col("has_assessment").not_().alias("is_null"),
        "best",
        "worst",
        "four_good_false",
        "mq_good",
        pl.col("org_disciplined").fill_null(False).alias("sub_disciplined"),
        pl.col("touched"),
        (pl.col("regular_months") < pl.col("months_active")).cast(pl.Int64).alias("n_reg_missing"),
        pl.col("disciplined_members").cast(pl.Int64).alias("disc_below"),
        *[pl.col(c).cast(pl.Int64)
          for c in ("rc_min", "rc_max", "rated", "rated_eg", "rated_failed")],
        pl.col("score").cast(pl.Float64),
        (pl.col("targets_exceeded").cast(pl.Float64) / pl.col("targets_total").cast(pl.Float64))
        .alias("exceeded_ratio"),
        pl.when(den > 0).then(pl.col("present").cast(pl.Float64) / den.cast(pl.Float64))
        .otherwise(None).alias("attendance_rate"),
    )


def estimate_collectives(coll: pl.DataFrame, subs: pl.DataFrame, rb, year: int) -> pl.DataFrame:
    """coll: org_id, level, has_assessment, touched + assessment columns; subs: parent (the
    collective), is_null, best, worst, mq_good, sub_disciplined, touched and the sums BELOW
    (one row per sub-unit). Returns the columns of `estimate_cells`."""
    th = rb.thresholds
    mq_share = Fraction(th["subunits_meeting_quality_share_min"])
    agg = subs.group_by("parent").agg(
        pl.len().alias("n_sub"),
        (pl.col("touched").any()).alias("sub_touched"),
        ((pl.col("best") == 4) & pl.col("is_null").not_()).any().alias("sub_failed_sure"),
        ((pl.col("worst") == 4) & pl.col("is_null").not_()).any().alias("sub_failed_maybe"),
        pl.col("is_null").any().alias("sub_null"),
        pl.col("sub_disciplined").sum().alias("n_sub_disc"),
        # sub-units at good or better (final = provisional there: the quota keeps them good)
        ((pl.col("is_null") | (pl.col("best") >= 3)).any()).alias("sub_below_good_sure"),
        ((pl.col("is_null") | (pl.col("worst") >= 3)).any()).alias("sub_below_good_maybe"),
        pl.col("mq_good").fill_null(False).sum().alias("n_mq_min"),
        pl.col("mq_good").fill_null(True).sum().alias("n_mq_max"),
        *[pl.col(c).sum() for c in BELOW],
    )
    f = coll.join(agg.rename({"parent": "org_id"}), on="org_id", how="left").with_columns(
        pl.col("n_sub").fill_null(0),
        pl.col("n_sub_disc").fill_null(0),
        *[pl.col(c).fill_null(0) for c in ("n_mq_min", "n_mq_max", *BELOW)],
        *[
            pl.col(c).fill_null(False)
            for c in ("sub_touched", "sub_failed_sure", "sub_failed_maybe", "sub_null",
                      "sub_below_good_sure", "sub_below_good_maybe")
        ],
    )
    conds = _assessment_conditions(rb)
    unknown_subs = pl.col("sub_touched")

    def from_subs(e: pl.Expr) -> pl.Expr:
        return pl.when(unknown_subs).then(NULLB).otherwise(e)

    conds["subunit_failed"] = (
        pl.when(pl.col("sub_failed_sure"))
        .then(True)
        .when(pl.col("sub_failed_maybe") | unknown_subs)
        .then(NULLB)
        .otherwise(False)
    )
    conds["subunit_not_classified"] = from_subs(pl.col("sub_null"))
    conds["subunit_disciplined"] = from_subs(pl.col("n_sub_disc") >= 1)
    conds["subunits_disciplined_too_many"] = from_subs(
        _gt_share("n_sub_disc", Fraction(th["subunits_disciplined_share_above"]), "n_sub"))
    members_good = _members_good(rb)
    conds["members_not_good"] = from_subs(members_good.not_())
    conds["members_disciplined"] = from_subs(pl.col("disc_below") >= 1)
    conds["members_failed_over_half"] = pl.lit(False)
    for k in ("meetings_mostly_missing", "regular_month_missing", "attendance_low"):
        conds[k] = pl.lit(False)  # cell conditions
    subs_good = (pl.when(pl.col("sub_below_good_sure")).then(False)
                 .when(pl.col("sub_below_good_maybe")).then(NULLB).otherwise(True))
    mq_good = (
        (pl.col("n_reg_missing") == 0)
        & pl.when(_lt_share("n_mq_max", mq_share, "n_sub")).then(False)
        .when(_lt_share("n_mq_min", mq_share, "n_sub")).then(NULLB).otherwise(True)
    )
    political_good = pl.col("has_assessment") & _political_fails(rb).not_()
    unity_good = _unity_fails().not_() & (pl.col("n_sub_disc") == 0) & (pl.col("disc_below") == 0)
    four_good = (
        pl.when(pl.col("level") != "dang_bo_co_so")
        .then(False)
        .when(unknown_subs.not_())
        .then(political_good & subs_good & mq_good & unity_good & _no_removal() & members_good)
        .when(political_good.not_() | _unity_fails() | (pl.col("n_sub_disc") >= 1))
        .then(False)
        .otherwise(NULLB)
    )
    conds["not_four_good"] = _not_four_good(rb, year, pl.col("four_good"),
                                            pl.col("level") == "dang_bo_co_so")
    f = f.with_columns(
        pl.col("targets_late").fill_null(0).alias("late0"), four_good.alias("four_good"))
    f = _interval(f, conds, rb.ladders["collective"]).with_columns(
        ((pl.col("level") == "dang_bo_co_so") & (pl.col("four_good") == False))  # noqa: E712
        .fill_null(False).alias("four_good_false"),
        pl.when(unknown_subs).then(NULLB).otherwise(mq_good).alias("mq_good"),
    )
    return f.select(
        "org_id",
        (pl.col("has_assessment").not_() | (pl.col("n_sub") == 0)).alias("is_null"),
        "best",
        "worst",
        "four_good_false",
        "mq_good",
        pl.col("org_disciplined").fill_null(False).alias("sub_disciplined"),
        (pl.col("touched") | pl.col("sub_touched")).alias("touched"),
        *[pl.col(c).cast(pl.Int64) for c in BELOW],
        pl.col("score").cast(pl.Float64),
        (pl.col("targets_exceeded").cast(pl.Float64) / pl.col("targets_total").cast(pl.Float64))
        .alias("exceeded_ratio"),
        pl.lit(None, dtype=pl.Float64).alias("attendance_rate"),
    )


# ---------------------------------------------------------------- the quota
def quota_final(est: pl.DataFrame, rb, open_pools: set[str] | frozenset = frozenset()
                ) -> pl.DataFrame:
    """The final level where it is certain (quota.sql): est holds every org-year of one quota
    stage with org_id, pool (the pool key), is_null, best, worst, touched, score,
    exceeded_ratio, attendance_rate. `open_pools`: pools with members the caller has not
    estimated (shared with another old province). Returns org_id, final (rank or null)."""
    th = rb.thresholds
    q = Fraction(th["excellent_quota_share"])
    cert = pl.col("touched").not_()
    valued = cert & pl.col("is_null").not_()
    exc_sure = valued & (pl.col("worst") == 1)
    exc_maybe = pl.col("touched") | (pl.col("is_null").not_() & (pl.col("best") == 1))
    if th.get("excellent_quota_base", "good_or_better") == "good":
        base_sure = valued & (pl.col("best") == 2) & (pl.col("worst") == 2)
        base_maybe = pl.col("touched") | (
            pl.col("is_null").not_() & (pl.col("best") <= 2) & (pl.col("worst") >= 2))
    else:
        base_sure = valued & (pl.col("worst") <= 2)
        base_maybe = pl.col("touched") | (pl.col("is_null").not_() & (pl.col("best") <= 2))
    f = est.with_columns(exc_sure.alias("_es"), exc_maybe.alias("_em"), cert.alias("_c"),
                         base_sure.alias("_bs"), base_maybe.alias("_bm"))
    # the quota's order among the certain rows: score, exceeded share, attendance (desc, nulls
    # last), org_id; a spoiled row's place is unknown: it may stand before anyone
    f = f.sort(["pool", "score", "exceeded_ratio", "attendance_rate", "org_id"],
               descending=[False, True, True, True, False], nulls_last=True)
    ahead_sure = (pl.col("_es") & pl.col("_c")).cast(pl.Int64)
    ahead_maybe = (pl.col("_em") & pl.col("_c")).cast(pl.Int64)
    f = f.with_columns(
        (ahead_sure.cum_sum().over("pool") - ahead_sure).alias("_as"),
        (ahead_maybe.cum_sum().over("pool") - ahead_maybe
         + pl.col("_c").not_().cast(pl.Int64).sum().over("pool")).alias("_am"),
        (pl.col("_bs").cast(pl.Int64).sum().over("pool") * q.numerator // q.denominator)
        .alias("_kmin"),
        (pl.col("_bm").cast(pl.Int64).sum().over("pool") * q.numerator // q.denominator)
        .alias("_kmax"),
        pl.col("pool").is_in(sorted(open_pools)).alias("_open"),
    )
    survives = pl.col("_open").not_() & (pl.col("_am") + 1 <= pl.col("_kmin"))
    demoted = pl.col("_open").not_() & (pl.col("_as") + 1 > pl.col("_kmax"))
    final = (
        pl.when(pl.col("touched") | pl.col("is_null"))
        .then(None)
        .when((pl.col("best") == pl.col("worst")) & (pl.col("best") >= 2))
        .then(pl.col("best"))
        .when((pl.col("best") == 1) & (pl.col("worst") == 1))
        .then(pl.when(survives).then(1).when(demoted).then(2).otherwise(None))
        .when((pl.col("best") == 1) & (pl.col("worst") == 2) & demoted)
        .then(2)
        .otherwise(None)
    )
    return f.select("org_id", final.cast(pl.Int8).alias("final"))


# ---------------------------------------------------------------- the committee's decisions
def choose(est: pl.DataFrame, levels: pl.DataFrame, u: pl.DataFrame, year: int) -> pl.DataFrame:
    """Official rows for the estimated org-years.

    est: org_id, is_null, best, worst, final, four_good_false, touched; levels: org_id, level
    (the org's level in the year's tree); u: org_id + uniform columns u_pick, u_plant, u_gap,
    u_fg, u_re. Returns org_id, level (official), four_good_awarded, planted ('' | inflated |
    lower), four_good_planted, rerate_from (a first decision replaced later, or null), best."""
    f = est.join(levels, on="org_id", how="left").join(u, on="org_id", how="left")
    sure = pl.col("is_null").not_() & pl.col("touched").not_()
    clear_low = sure & (pl.col("best") >= 3)  # at most completed, for sure
    known = sure & pl.col("final").is_not_null()
    inflated = clear_low & (pl.col("u_plant") < 0.06)
    lower = known & (pl.col("final") == 2) & (pl.col("u_plant") < 0.02)
    gap = pl.when(pl.col("u_gap") < 0.6).then(1).otherwise(2)
    official = (
        pl.when(inflated)
        .then(pl.max_horizontal(pl.col("best") - gap, pl.lit(1)))
        .when(lower)
        .then(pl.col("final") + 1)
        .otherwise(pl.col("final"))
    )
    keep = inflated | (known & (pl.col("u_pick") >= 0.06))
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
