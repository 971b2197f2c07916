-- The quota (rules.md "The quota (≤ 20% excellent)"), applied to the provisional rows of
-- {source}: pool = classified orgs with the same parent and year; n = pool members whose
-- provisional level is excellent or good; at most floor(share × n) stay excellent, ranked by
-- score (desc, nulls last), targets_exceeded / targets_total (desc), attendance_rate (desc,
-- nulls last), org_id. Writes {target}(org_id, year, quota_demoted).
--
-- The exceeded share is ordered as a DOUBLE: both are integers far below 2^26, so the
-- correctly rounded quotients keep the exact order and equality of the fractions.

CREATE OR REPLACE TEMP TABLE {target} AS
WITH pool AS (
    SELECT
        s.*,
        count(*) FILTER (WHERE s.provisional_level IN ('excellent', 'good'))
            OVER (PARTITION BY s.parent_id, s.year)                    AS n_good_or_better
    FROM {source} s
    WHERE s.provisional_level IS NOT NULL
),
ranked AS (
    SELECT
        p.org_id, p.year,
        (p.n_good_or_better * r.quota_num) // r.quota_den              AS allowed,
        row_number() OVER (
            PARTITION BY p.parent_id, p.year
            ORDER BY p.score DESC NULLS LAST,
                     p.targets_exceeded::DOUBLE / p.targets_total DESC NULLS LAST,
                     p.attendance_rate DESC NULLS LAST,
                     p.org_id ASC)                                     AS rank_in_pool
    FROM pool p
    JOIN rulebook_years r USING (year)
    WHERE p.provisional_level = 'excellent'
)
SELECT org_id, year, rank_in_pool > allowed AS quota_demoted
FROM ranked;
