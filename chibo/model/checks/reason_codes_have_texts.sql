-- every reason code the model emitted has a Vietnamese and an English text in its rulebook
WITH used AS (
    SELECT rulebook, unnest(reasons) AS code FROM org_year_classification
    UNION SELECT rulebook, unnest(criteria_reasons) FROM org_year_classification
    UNION SELECT r.rulebook, unnest(m.standard_failures)
          FROM meetings m JOIN rulebook_thresholds r
            ON r.year = year(m.meeting_date) AND r.name = 'min_minutes'
)
SELECT u.rulebook, u.code FROM used u
LEFT JOIN reason_texts t ON t.rulebook = u.rulebook AND t.code = u.code
WHERE t.code IS NULL OR coalesce(t.text_vi, '') = '' OR coalesce(t.text_en, '') = ''
