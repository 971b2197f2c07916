-- The quota (rules.md "The quota (≤ 20% excellent)") over the provisional levels of the
-- org-years in {levels}: a pool is the classified orgs of one year with the same `pool_id`
-- (split by `kind` when the rulebook's excellent_quota_pool is parent_and_kind); n = pool
-- members rated excellent or good (excellent_quota_base good_or_better) or only good (good);
-- at most floor(excellent_quota_share × n) stay excellent, ranked by score (desc, nulls last),
-- targets_exceeded / targets_total (desc), attendance_rate (desc, nulls last), org_id. The
-- result is appended to `_final`.
--
-- The exceeded share is ordered as a DOUBLE: both are integers far below 2^26, so the
-- correctly rounded quotients keep the exact order and equality of the fractions.

INSERT INTO _final
WITH pool AS (
    SELECT
        c.org_id, c.year, c.score, c.targets_exceeded, c.targets_total, c.attendance_rate,
        p.provisional_level, p.provisional_reasons,
        r.quota_num, r.quota_den,
        c.pool_id || CASE WHEN r.quota_pool = 'parent_and_kind' THEN '|' || c.kind ELSE '' END
                                                                       AS pool_key
    FROM _checks c
    JOIN _provisional p USING (org_id, year)
    JOIN rulebook_years r USING (year)
    WHERE c.org_level IN {levels}
),
counted AS (
    SELECT
        *,
        count(*) FILTER (WHERE provisional_level = 'good'
                            OR (provisional_level = 'excellent'
                                AND (SELECT quota_base FROM rulebook_years y
                                     WHERE y.year = pool.year) = 'good_or_better'))
            OVER (PARTITION BY pool_key, year)                         AS n_base,
        row_number() OVER (
            PARTITION BY pool_key, year, provisional_level = 'excellent'
            ORDER BY score DESC NULLS LAST,
                     targets_exceeded::DOUBLE / targets_total DESC NULLS LAST,
                     attendance_rate DESC NULLS LAST,
                     org_id ASC)                                       AS rank_in_pool
    FROM pool
)
SELECT
    org_id, year,
    CASE WHEN coalesce(demoted, false) THEN 'good' ELSE provisional_level END           AS level,
    provisional_level,
    CASE WHEN coalesce(demoted, false) THEN ['excellent_quota'] ELSE provisional_reasons END AS reasons,
    coalesce(demoted, false)                                           AS quota_demoted
FROM (SELECT *, provisional_level = 'excellent'
                AND rank_in_pool > (n_base * quota_num) // quota_den AS demoted
      FROM counted);
