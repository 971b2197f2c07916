"""Example rows of each kind (the template's «Ví dụ» sheet and the instructions' example column).

Values are in contract terms: enum codes, True/False, `date`/`time` objects; the workbook writes
enum codes and booleans as their Vietnamese labels, the way a person picks them from the
dropdowns. The rows of all kinds fit together (one cell of one commune) and every row passes
validation: `tests/templates` checks both, and that every contract column has an example.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

D, T = dt.date, dt.time
CELL, COMMUNE, DISTRICT = "H01-X01-C01", "H01-X01", "H01"

EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "org_units": [
        dict(org_id=COMMUNE, valid_from=None, name="Đảng bộ xã Đức Minh", level="dang_bo_co_so",
             parent_id=DISTRICT, kind="commune", established_on=D(1975, 9, 2),
             dissolved_on=None, successor_id=None, decision=None),
        dict(org_id=CELL, valid_from=None, name="Chi bộ thôn 1", level="chi_bo",
             parent_id=COMMUNE, kind="residential", established_on=D(2010, 3, 15),
             dissolved_on=None, successor_id=None, decision="15-QĐ/ĐU ngày 15/3/2010"),
        dict(org_id=CELL, valid_from=D(2025, 7, 1), name="Chi bộ thôn Đức Thành",
             level="chi_bo", parent_id=COMMUNE, kind="residential",
             established_on=D(2010, 3, 15), dissolved_on=None, successor_id=None,
             decision="21-QĐ/ĐU ngày 01/7/2025"),
    ],
    "members": [
        dict(member_id="DV000101", full_name="Nguyễn Văn Bình", birth_date=D(1968, 2, 3),
             sex="male", ethnicity="Kinh", cell_id=CELL, joined_on=D(1995, 5, 19),
             official_on=D(1996, 5, 19), status="active", is_local=True),
        dict(member_id="DV000123", full_name="H' Lan Niê", birth_date=D(1990, 11, 20),
             sex="female", ethnicity="Ê Đê", cell_id=CELL, joined_on=D(2024, 9, 2),
             official_on=None, status="active", is_local=True),
    ],
    "meetings": [
        dict(meeting_id=f"{CELL}.20250310", cell_id=CELL, meeting_date=D(2025, 3, 10),
             meeting_type="combined", start_time=T(19, 30), end_time=T(21, 45),
             topic="Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
             chair_member_id="DV000101", secretary_member_id="DV000123", upper_attendees=1,
             criticism_held=True, hcm_story=True, resolution_adopted=True, minutes_signed=True,
             materials_posted_on=D(2025, 3, 7)),
    ],
    "attendance": [
        dict(meeting_id=f"{CELL}.20250310", member_id="DV000101", status="present",
             spoke=True, absence_reason=None),
        dict(meeting_id=f"{CELL}.20250310", member_id="DV000123", status="excused",
             spoke=None, absence_reason="Đi công tác"),
    ],
    "assessments": [
        dict(org_id=CELL, year=2025, targets_total=10, targets_met=10, targets_exceeded=3,
             targets_late=0, org_disciplined=False, leaders_disciplined=False, disunity=False,
             mass_orgs_good=True, shortcomings_fixed=True, score=92.5),
    ],
    "member_ratings": [
        dict(member_id="DV000101", year=2025, cell_id=CELL, rating="good", disciplined=False),
        dict(member_id="DV000123", year=2025, cell_id=CELL, rating="completed",
             disciplined=False),
    ],
    "official_ratings": [
        dict(org_id=CELL, year=2025, level="good", four_good_awarded=False,
             decided_on=D(2026, 1, 20), decision="35-QĐ/ĐU ngày 20/01/2026"),
    ],
}
