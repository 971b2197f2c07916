-- Helper macros of the model (temporary: they live only in the building connection).
-- Every ratio comparison is exact: a ratio part/whole is compared with a threshold num/den
-- as cross-multiplied integers, never as floats.

-- part / whole > num / den
CREATE OR REPLACE TEMP MACRO share_above(part, whole, num, den) AS
    part::HUGEINT * den > num::HUGEINT * whole;
-- part / whole >= num / den
CREATE OR REPLACE TEMP MACRO share_at_least(part, whole, num, den) AS
    part::HUGEINT * den >= num::HUGEINT * whole;
-- part / whole < num / den
CREATE OR REPLACE TEMP MACRO share_below(part, whole, num, den) AS
    part::HUGEINT * den < num::HUGEINT * whole;
-- a DECIMAL(5,2) score >= num / den (a null score never reaches a threshold)
CREATE OR REPLACE TEMP MACRO score_at_least(score, num, den) AS
    coalesce((score * 100)::HUGEINT * den >= num::HUGEINT * 100, false);
-- a DECIMAL(5,2) score < num / den (a null score is not "below")
CREATE OR REPLACE TEMP MACRO score_below(score, num, den) AS
    coalesce((score * 100)::HUGEINT * den < num::HUGEINT * 100, false);
-- seconds since midnight of a TIME
CREATE OR REPLACE TEMP MACRO time_seconds(t) AS
    hour(t) * 3600 + minute(t) * 60 + second(t);
-- the non-null codes of a list, distinct and sorted (never null: [] when none)
CREATE OR REPLACE TEMP MACRO codes(l) AS
    coalesce(list_sort(list_distinct(list_filter(l, lambda x: x IS NOT NULL))), []::VARCHAR[]);
-- prefix every code of a list with its criterion
CREATE OR REPLACE TEMP MACRO criterion_codes(criterion, l) AS
    list_transform(codes(l), lambda x: criterion || ':' || x);
