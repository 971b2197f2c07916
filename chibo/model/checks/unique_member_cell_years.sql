-- a member's absences in a cell-year are counted once: derived now or kept from the last
-- model (a year derived cell by cell), never both
SELECT member_id, cell_id, year, count(*) AS n FROM member_cell_years
GROUP BY member_id, cell_id, year HAVING count(*) > 1
