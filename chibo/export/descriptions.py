"""English / Vietnamese descriptions of every warehouse table, view and column.

`document_warehouse` turns these into `COMMENT ON` statements ("English text / Tiếng Việt").
The dictionary must stay complete: `tests/export/test_document.py` fails on any column of a
populated warehouse that has no entry here (the run itself only logs a warning).
"""
from __future__ import annotations

from chibo.contract import CONTRACT

# --------------------------------------------------------------------------------------------
# Tables and views
# --------------------------------------------------------------------------------------------
TABLES: dict[str, tuple[str, str]] = {
    "org_units": ("Party organisations: every integrated version (org_id, valid_from), valid_to the day "
                  "before the next version",
                  "Tổ chức đảng: mọi phiên bản đã tích hợp (mã, hiệu lực từ), hiệu lực đến ngày trước "
                  "phiên bản sau"),
    "members": ("Member register, current integrated rows",
                "Danh sách đảng viên, dữ liệu hiện hành đã tích hợp"),
    "meetings": ("Cell meetings (minutes header) with computed attendance and meeting standard",
                 "Buổi sinh hoạt chi bộ (phần đầu biên bản) kèm số liệu dự họp và đánh giá đạt chuẩn"),
    "attendance": ("Attendance: one row per member per meeting",
                   "Điểm danh: mỗi đảng viên một dòng cho mỗi buổi sinh hoạt"),
    "assessments": ("Yearly assessment of an organisation by the upper level",
                    "Kết quả đánh giá hằng năm của cấp trên đối với tổ chức đảng"),
    "member_ratings": ("Yearly rating of each member",
                       "Xếp loại chất lượng đảng viên hằng năm"),
    "official_ratings": ("The level the committee decided for an organisation and year (re-ratings replace)",
                         "Kết quả xếp loại chính thức do cấp ủy quyết định (xếp loại lại thay thế bản trước)"),
    "files": ("Every delivered file and what became of its rows",
              "Mọi tệp đã nộp và kết quả xử lý các dòng của tệp"),
    "quarantine": ("Rejected rows: one row per problem of a row",
                   "Dòng dữ liệu bị loại: mỗi lỗi của một dòng là một bản ghi"),
    "pending": ("Rows waiting for a reference that is not known yet",
                "Dòng dữ liệu đang chờ đối tượng được tham chiếu chưa có"),
    "flags": ("Data-quality flags that do not block loading",
              "Cảnh báo chất lượng dữ liệu (không ngăn việc nạp dữ liệu)"),
    "runs": ("One row per pipeline run", "Mỗi lần chạy quy trình một dòng"),
    "report_files": ("Every report file of the last export with its content digest: a run "
                     "writes only the files whose content changed",
                     "Mọi tệp báo cáo của lần xuất gần nhất và dấu nội dung: mỗi lần chạy chỉ "
                     "ghi lại các tệp có nội dung thay đổi"),
    "staging.changed": ("Partitions (a kind's first key value: meeting, member, organisation) "
                        "whose staged rows changed since the last integrate: what the next "
                        "integrate derives again",
                        "Các nhóm dữ liệu (giá trị khóa đầu tiên) có dòng trung gian thay đổi "
                        "kể từ lần tích hợp trước: lần tích hợp sau sẽ tính lại"),
    "model_year_inputs": ("A digest per year of everything the model read for that year: a "
                          "run derives again only the years whose digest changed",
                          "Dấu dữ liệu đầu vào của từng năm: mỗi lần chạy chỉ tính lại các năm "
                          "có dữ liệu đầu vào thay đổi"),
    "org_years": ("The tree of each year: every org with an active month, its version of that year, "
                  "depth, path and report order",
                  "Cây tổ chức của từng năm: mọi tổ chức có tháng hoạt động, phiên bản áp dụng trong năm, "
                  "độ sâu, đường dẫn và thứ tự báo cáo"),
    "org_months": ("The calendar: every active month of every organisation",
                   "Lịch hoạt động: mọi tháng hoạt động của từng tổ chức"),
    "org_lineage": ("Every dissolved organisation with its chain of successors and the organisation it "
                    "is today (the model's; v_org_lineage shows it)",
                    "Mọi tổ chức đã giải thể, chuỗi tổ chức kế thừa và tổ chức hiện nay"),
    "member_cell_years": ("Absence evidence per member, cell and year: the rows member_years "
                          "adds up over the member's cells",
                          "Số liệu vắng họp của đảng viên theo chi bộ và năm (member_years cộng "
                          "trên các chi bộ)"),
    "member_years": ("Absence evidence per member and year over all cells (removal candidates)",
                     "Số liệu vắng họp của đảng viên theo năm trên mọi chi bộ (đề nghị xóa tên)"),
    "cell_year_metrics": ("Meeting-quality metrics per cell and year",
                          "Chỉ số chất lượng sinh hoạt theo chi bộ và năm"),
    "org_year_classification": ("Yearly classification (level, four goods, reasons, official-rating audit) "
                                "of every organisation",
                                "Kết quả xếp loại hằng năm (mức xếp loại, 4 tốt, lý do, đối chiếu xếp loại "
                                "chính thức) của từng tổ chức đảng"),
    "member_rating_audit": ("Member ratings of excellent or good that the attendance does not support",
                            "Đảng viên được xếp loại HTXSNV hoặc HTTNV nhưng số liệu dự họp không chứng minh"),
    "rulebooks": ("The run's rulebooks as used (after overrides)",
                  "Các bộ quy định áp dụng trong lần chạy (sau khi ghi đè)"),
    "rulebook_thresholds": ("Every threshold of the rulebook of each classified year, with its source",
                            "Mọi ngưỡng của bộ quy định áp dụng cho từng năm, kèm căn cứ"),
    "rulebook_ladders": ("The ladders: which conditions hold an organisation at which rung",
                         "Thang xếp loại: điều kiện giữ tổ chức ở từng mức"),
    "reason_texts": ("Vietnamese and English text of every reason and criterion code, thresholds filled in",
                     "Nội dung tiếng Việt và tiếng Anh của mọi mã lý do và tiêu chí (đã điền ngưỡng)"),
    "levels": ("The four levels with their rank and names", "Bốn mức xếp loại, thứ hạng và tên gọi"),
    # views
    "v_org_tree": ("The tree of each year in report order (depth first, siblings by org_id), with names",
                   "Cây tổ chức từng năm theo thứ tự báo cáo (duyệt theo chiều sâu, cùng cấp theo mã), kèm tên"),
    "v_classification_explained": (
        "Every classification row with that year's names and its reasons in the rulebook's words",
        "Mọi dòng xếp loại kèm tên theo cây của năm và lý do bằng lời của bộ quy định"),
    "v_official_rating_audit": (
        "Official ratings against the evidence: every org-year with an official rating",
        "Đối chiếu xếp loại chính thức với số liệu: mọi tổ chức-năm có xếp loại chính thức"),
    "v_summary_by_parent_year": (
        "Classification summary of the direct sub-units of each parent and year (counts and exact percentages)",
        "Tổng hợp kết quả xếp loại các tổ chức trực thuộc theo tổ chức cấp trên và năm (số lượng và tỷ lệ chính xác)"),
    "v_summary_by_unit_year": (
        "Classification summary of everything below each organisation of a year's tree (the root: the province)",
        "Tổng hợp kết quả xếp loại toàn bộ tổ chức bên dưới từng tổ chức (gốc: toàn tỉnh)"),
    "v_removal_candidates": (
        "Removal candidates: one row per member and year (member_years), with the cells of the absences",
        "Đảng viên đề nghị xóa tên: mỗi đảng viên một dòng mỗi năm, kèm các chi bộ có buổi vắng"),
    "v_cells_missing_months": (
        "Cell-years missing a monthly regular meeting or a quarterly thematic meeting, and which",
        "Chi bộ trong năm thiếu sinh hoạt thường kỳ hằng tháng hoặc chuyên đề hằng quý, và tháng/quý nào"),
    "v_org_lineage": (
        "Every dissolved organisation with its chain of successors and the organisation it is today",
        "Mọi tổ chức đã giải thể, chuỗi tổ chức kế thừa và tổ chức hiện nay"),
    "v_cells_without_local_members": (
        "Current cells with no active or exempt member living locally",
        "Chi bộ hiện có không có đảng viên tại chỗ (đang sinh hoạt hoặc miễn sinh hoạt)"),
    "v_data_errors_by_file": (
        "Quarantined and pending rows counted per delivered file",
        "Số dòng bị loại và đang chờ theo từng tệp đã nộp"),
}

# --------------------------------------------------------------------------------------------
# Columns. Lookup order: (table, column), then column alone.
# --------------------------------------------------------------------------------------------
_CONTRACT_EN: dict[tuple[str, str], str] = {
    ("org_units", "org_id"): "Organisation id",
    ("org_units", "valid_from"): "First day this version is in force (null: since the beginning)",
    ("org_units", "name"): "Organisation name",
    ("org_units", "level"): "Level code: tinh, cap_tren_co_so, dang_bo_co_so, dang_bo_bo_phan, chi_bo_co_so, chi_bo",
    ("org_units", "parent_id"): "Parent organisation id (null for the province)",
    ("org_units", "kind"): "Kind code: residential, commune, agency, public_service, enterprise, armed_forces, other",
    ("org_units", "established_on"): "Date established",
    ("org_units", "dissolved_on"): "Date dissolved",
    ("org_units", "successor_id"): "Organisation that took over a dissolved one (v_org_lineage follows the chain)",
    ("org_units", "decision"): "Number of the decision behind this version",
    ("members", "member_id"): "Member id",
    ("members", "full_name"): "Full name",
    ("members", "birth_date"): "Date of birth",
    ("members", "sex"): "Sex code: male, female",
    ("members", "ethnicity"): "Ethnicity",
    ("members", "cell_id"): "Id of the member's cell",
    ("members", "joined_on"): "Date of joining the Party",
    ("members", "official_on"): "Date of becoming an official member (null = probationary)",
    ("members", "status"): "Status code: active, exempt, transferred_out, deceased, removed",
    ("members", "is_local"): "Lives locally (người tại chỗ)",
    ("meetings", "meeting_id"): "Meeting id",
    ("meetings", "cell_id"): "Id of the cell that met",
    ("meetings", "meeting_date"): "Meeting date",
    ("meetings", "meeting_type"): "Meeting type code: regular, thematic, combined, extraordinary",
    ("meetings", "start_time"): "Start time",
    ("meetings", "end_time"): "End time",
    ("meetings", "topic"): "Topic (thematic and combined meetings)",
    ("meetings", "chair_member_id"): "Member id of the chair",
    ("meetings", "secretary_member_id"): "Member id of the secretary (minutes)",
    ("meetings", "upper_attendees"): "Number of upper-level committee members attending",
    ("meetings", "criticism_held"): "Criticism and self-criticism held",
    ("meetings", "hcm_story"): "Studied and followed Ho Chi Minh's example",
    ("meetings", "resolution_adopted"): "A resolution was voted",
    ("meetings", "minutes_signed"): "Minutes fully signed",
    ("meetings", "materials_posted_on"): "Date the materials were posted",
    ("attendance", "meeting_id"): "Meeting id",
    ("attendance", "member_id"): "Member id",
    ("attendance", "status"): "Attendance code: present, excused, unexcused, exempt, special_duty",
    ("attendance", "spoke"): "Spoke at the meeting",
    ("attendance", "absence_reason"): "Reason for the absence",
    ("assessments", "org_id"): "Assessed organisation id",
    ("assessments", "year"): "Year assessed",
    ("assessments", "targets_total"): "Number of targets and tasks",
    ("assessments", "targets_met"): "Targets met",
    ("assessments", "targets_exceeded"): "Targets exceeded",
    ("assessments", "targets_late"): "Tasks done behind schedule (QĐ 366)",
    ("assessments", "leaders_disciplined"): "A member of the leadership collective was disciplined (QĐ 366)",
    ("assessments", "org_disciplined"): "The organisation was disciplined",
    ("assessments", "disunity"): "Internal disunity",
    ("assessments", "mass_orgs_good"): "Government and mass organisations rated good or better",
    ("assessments", "shortcomings_fixed"): "Shortcomings have been fixed",
    ("assessments", "score"): "Total score out of 100 (QĐ 366, from 2025)",
    ("member_ratings", "member_id"): "Member id",
    ("member_ratings", "year"): "Year rated",
    ("member_ratings", "cell_id"): "Id of the cell that rated the member that year",
    ("member_ratings", "rating"): "Rating code: excellent, good, completed, failed",
    ("member_ratings", "disciplined"): "Disciplined during the year",
    ("official_ratings", "org_id"): "Rated organisation id",
    ("official_ratings", "year"): "Year rated",
    ("official_ratings", "level"): "Level the committee decided: excellent, good, completed, failed",
    ("official_ratings", "four_good_awarded"): "The committee awarded '4 tốt'",
    ("official_ratings", "decided_on"): "Date of the decision",
    ("official_ratings", "decision"): "Number of the decision",
}

COLUMNS: dict[tuple[str, str] | str, tuple[str, str]] = {}
for _kind in CONTRACT.values():
    for _col in _kind.columns:
        COLUMNS[(_kind.name, _col.name)] = (_CONTRACT_EN[(_kind.name, _col.name)], _col.label_vi)

COLUMNS.update({
    "action": ("Row action: upsert or delete", "Thao tác: cập nhật hoặc xóa"),
    "delivery_id": ("Id of the delivery (files.delivery_id)", "Mã lần nộp tệp (files.delivery_id)"),
    # provenance (integrated tables)
    "source_file": ("File the row was loaded from (path under raw/)",
                    "Tệp chứa dòng dữ liệu (đường dẫn trong raw/)"),
    "source_row": ("Row number in the file as Excel shows it (header = row 1)",
                   "Số dòng trong tệp như Excel hiển thị (dòng tiêu đề = dòng 1)"),
    # meetings: computed
    ("meetings", "duration_minutes"): ("Duration in whole minutes (end − start)",
                                       "Thời lượng tính bằng phút (giờ kết thúc − giờ bắt đầu)"),
    ("meetings", "min_minutes"): ("Minimum duration for this meeting (rulebook: min_minutes, or "
                                  "min_minutes_combined_hd42 for a combined meeting from its date)",
                                  "Thời lượng tối thiểu của buổi họp theo bộ quy định"),
    ("meetings", "materials_late"): ("Under the materials rule and materials not posted the rulebook's days before",
                                     "Thuộc quy định đăng tài liệu và tài liệu không được đăng trước đủ số ngày quy định"),
    ("meetings", "counted"): ("Counted meeting (regular, thematic or combined)",
                              "Buổi sinh hoạt được tính (thường kỳ, chuyên đề hoặc kết hợp)"),
    ("meetings", "attendance_rows"): ("Number of attendance rows", "Số dòng điểm danh"),
    ("meetings", "present"): ("Members present", "Số đảng viên có mặt"),
    ("meetings", "excused"): ("Members absent with reason", "Số đảng viên vắng có lý do"),
    ("meetings", "unexcused"): ("Members absent without reason", "Số đảng viên vắng không lý do"),
    ("meetings", "speakers"): ("Members present who spoke", "Số đảng viên có mặt có phát biểu"),
    ("meetings", "attendance_rate"): ("present ÷ (present + excused + unexcused), unrounded; null if 0 ÷ 0",
                                      "Tỷ lệ dự họp = có mặt ÷ (có mặt + vắng có lý do + vắng không lý do)"),
    ("meetings", "speaking_rate"): ("present and spoke ÷ present, unrounded; null if 0 ÷ 0",
                                    "Tỷ lệ phát biểu = số phát biểu ÷ số có mặt"),
    ("meetings", "meets_standard"): ("Meets the meeting standard (null for extraordinary meetings)",
                                     "Buổi sinh hoạt đạt chuẩn (để trống với sinh hoạt bất thường)"),
    ("meetings", "standard_failures"): ("Sorted codes of the failed standard checks",
                                        "Danh sách mã tiêu chí chuẩn không đạt"),
    # files
    ("files", "path"): ("Path of the delivery under raw/", "Đường dẫn tệp trong raw/"),
    ("files", "kind"): ("Kind of data (folder name)", "Loại dữ liệu (tên thư mục)"),
    ("files", "sha256"): ("SHA-256 of the file's bytes", "Mã băm SHA-256 của tệp"),
    ("files", "bytes"): ("File size in bytes", "Kích thước tệp (byte)"),
    ("files", "status"): ("loaded, rejected, duplicate or unsupported_format",
                          "Trạng thái: đã nạp, bị từ chối, trùng lặp hoặc định dạng không hỗ trợ"),
    ("files", "rows_read"): ("Data rows read", "Số dòng đã đọc"),
    ("files", "rows_loaded"): ("Rows loaded", "Số dòng đã nạp"),
    ("files", "rows_quarantined"): ("Rows quarantined", "Số dòng bị loại"),
    ("files", "rows_pending"): ("Rows pending a reference", "Số dòng đang chờ"),
    ("files", "error"): ("File-level rejection message", "Lý do từ chối cả tệp"),
    ("files", "first_run_id"): ("Run that first saw the file", "Lần chạy đầu tiên nhận tệp"),
    ("files", "delivery_id"): ("Id of the delivery", "Mã lần nộp tệp"),
    ("files", "mtime_ns"): ("File modification time (ns since 1970) when read", "Thời điểm sửa tệp khi đọc (nano giây)"),
    ("files", "superseded"): ("Replaced by a later delivery of the same path (or a duplicate no longer needed)",
                              "Đã được thay bằng lần nộp sau của cùng đường dẫn"),
    ("files", "warnings"): ("Reader warnings (e.g. unknown columns ignored)", "Cảnh báo khi đọc tệp (ví dụ cột lạ bị bỏ qua)"),
    ("files", "message_en"): ("File-level rejection message (English)", "Lý do từ chối cả tệp (tiếng Anh)"),
    ("files", "message_vi"): ("File-level rejection message (Vietnamese)", "Lý do từ chối cả tệp (tiếng Việt)"),
    ("files", "seen_at"): ("When the file was first seen", "Thời điểm nhận tệp"),
    ("files", "mtime"): ("File modification time", "Thời điểm sửa tệp"),
    # quarantine
    ("quarantine", "kind"): ("Kind of data", "Loại dữ liệu"),
    ("quarantine", "file"): ("File of the rejected row (path under raw/)", "Tệp chứa dòng bị loại"),
    ("quarantine", "source_row"): ("Row number as Excel shows it", "Số dòng như Excel hiển thị"),
    ("quarantine", "column_name"): ("Column that failed (code name)", "Cột bị lỗi (tên mã)"),
    ("quarantine", "check_name"): ("Check that failed", "Mã kiểm tra không đạt"),
    ("quarantine", "value"): ("Offending value", "Giá trị gây lỗi"),
    ("quarantine", "message_vi"): ("Message in Vietnamese", "Thông báo lỗi tiếng Việt"),
    ("quarantine", "message_en"): ("Message in English", "Thông báo lỗi tiếng Anh"),
    ("quarantine", "run_id"): ("Run that quarantined the row", "Lần chạy phát hiện lỗi"),
    ("quarantine", "key"): ("Key of the row, values joined by |", "Khóa của dòng (các giá trị nối bằng |)"),
    # pending
    ("pending", "kind"): ("Kind of the waiting row", "Loại dữ liệu của dòng đang chờ"),
    ("pending", "key"): ("Key of the waiting row, values joined by |", "Khóa của dòng đang chờ (nối bằng |)"),
    ("pending", "missing_kind"): ("Kind of the missing reference", "Loại dữ liệu được tham chiếu còn thiếu"),
    ("pending", "missing_key"): ("Key of the missing reference", "Mã của đối tượng được tham chiếu còn thiếu"),
    ("pending", "file"): ("File of the waiting row", "Tệp chứa dòng đang chờ"),
    ("pending", "source_row"): ("Row number as Excel shows it", "Số dòng như Excel hiển thị"),
    ("pending", "column_name"): ("Column holding the missing reference", "Cột chứa tham chiếu còn thiếu"),
    ("pending", "run_id"): ("Run that found the row pending", "Lần chạy ghi nhận dòng đang chờ"),
    # flags
    ("flags", "kind"): ("Kind of the flagged row", "Loại dữ liệu của dòng bị cảnh báo"),
    ("flags", "key"): ("Key of the flagged row, values joined by |", "Khóa của dòng bị cảnh báo (nối bằng |)"),
    ("flags", "flag"): ("Flag code (member_of_other_cell, member_quota_exceeded)", "Mã cảnh báo"),
    ("flags", "detail"): ("Details of the flag", "Chi tiết cảnh báo"),
    ("flags", "file"): ("File of the flagged row", "Tệp chứa dòng bị cảnh báo"),
    ("flags", "source_row"): ("Row number as Excel shows it", "Số dòng như Excel hiển thị"),
    ("flags", "run_id"): ("Run that raised the flag", "Lần chạy phát hiện cảnh báo"),
    # runs
    ("runs", "run_id"): ("Run id", "Mã lần chạy"),
    ("runs", "started_at"): ("Start time of the run", "Thời điểm bắt đầu"),
    ("runs", "finished_at"): ("End time of the run", "Thời điểm kết thúc"),
    ("runs", "as_of"): ("As-of date of the run", "Ngày chốt số liệu của lần chạy"),
    ("runs", "status"): ("Outcome of the run: completed, published_with_errors (warehouse "
                         "published, reports not all moved), interrupted (killed while "
                         "publishing), failed (nothing published; from the run log)",
                         "Kết quả lần chạy: hoàn thành, đã công bố kho nhưng lỗi báo cáo, "
                         "bị dừng khi công bố, thất bại"),
    ("runs", "mode"): ("run or rebuild", "Chế độ chạy (thường hoặc dựng lại)"),
    ("runs", "fingerprint"): ("Hash of the as-of date, rulebooks and model SQL the run used: an idle "
                              "run with the same fingerprint reuses the last model",
                              "Mã băm của ngày chốt số liệu, bộ quy tắc và mã SQL mô hình của lần chạy"),
    ("runs", "skipped"): ("Stages skipped because nothing they depend on changed",
                          "Các bước bỏ qua vì dữ liệu đầu vào không đổi"),
    ("runs", "rebuild"): ("The run rebuilt the warehouse from raw/", "Lần chạy dựng lại kho từ raw/"),
    ("runs", "message"): ("Message of the run", "Thông báo của lần chạy"),
    ("runs", "error"): ("Error that stopped the run", "Lỗi làm dừng lần chạy"),
    ("changed", "part"): ("Value of the kind's first key column (meeting_id, member_id, org_id)",
                          "Giá trị cột khóa đầu tiên của loại dữ liệu"),
    ("model_year_inputs", "context_digest"): (
        "Hash of all of inputs_digest but the year's own rows: equal to the last model's, "
        "only the cells of the meetings integrated again are derived",
        "Dấu của mọi dữ liệu đầu vào trừ dữ liệu của chính năm đó: không đổi thì chỉ tính lại "
        "các chi bộ có cuộc họp thay đổi"),
    ("model_year_inputs", "inputs_digest"): (
        "Hash of the year's meetings, attendance, assessments and ratings, the whole tree and "
        "register, the rulebooks, the model's code and the as-of date's last month-end in the "
        "year",
        "Dấu của các cuộc họp, điểm danh, đánh giá, xếp loại của năm, cây tổ chức, sổ đảng viên, "
        "sổ quy tắc, mã mô hình và tháng cuối đã kết thúc trong năm"),
    ("report_files", "path"): ("The file, relative to the exports folder",
                               "Tệp, tính từ thư mục báo cáo"),
    ("report_files", "digest"): ("Hash of everything the file shows except its as-of date",
                                 "Dấu nội dung của tệp (mọi thứ trừ ngày số liệu)"),
    ("report_files", "bytes"): ("Size of the file as written", "Dung lượng tệp khi ghi"),
    ("report_files", "as_of"): ("As-of date printed in the file: that of the run that last "
                                "changed its content",
                                "Ngày số liệu in trên tệp: của lần chạy gần nhất làm thay đổi "
                                "nội dung tệp"),
    ("report_files", "inputs_digest"): (
        "For a year's reports: hash of what they were built from (the model's digests of the "
        "year and the two before it, the export's code); a year whose hash is unchanged is "
        "not built again",
        "Với báo cáo của một năm: dấu dữ liệu dùng để lập (dấu mô hình của năm đó và hai năm "
        "trước, mã xuất báo cáo); năm có dấu không đổi thì không lập lại"),
    ("runs", "stage"): ("Stage at which a run that did not complete stopped (ingest, integrate, "
                        "model, export, publish, start)",
                        "Bước mà lần chạy không hoàn thành bị dừng lại"),
    ("runs", "files_seen"): ("Files seen", "Số tệp đã thấy"),
    ("runs", "files_new"): ("New files", "Số tệp mới"),
    ("runs", "files_loaded"): ("Files loaded", "Số tệp đã nạp"),
    ("runs", "files_rejected"): ("Files rejected", "Số tệp bị từ chối"),
    ("runs", "files_duplicate"): ("Duplicate files", "Số tệp trùng lặp"),
    ("runs", "files_unsupported"): ("Files of unsupported format", "Số tệp định dạng không hỗ trợ"),
    ("runs", "rows_read"): ("Rows read", "Số dòng đã đọc"),
    ("runs", "rows_loaded"): ("Rows loaded", "Số dòng đã nạp"),
    ("runs", "rows_quarantined"): ("Rows quarantined", "Số dòng bị loại"),
    ("runs", "rows_pending"): ("Rows pending", "Số dòng đang chờ"),
    ("runs", "rows_retracted"): ("Rows retracted by delete rows", "Số dòng bị xóa"),
    ("runs", "flags"): ("Data-quality flags", "Số cảnh báo"),
    ("runs", "org_years"): ("Org-years classified", "Số lượt tổ chức-năm được xếp loại"),
    ("runs", "cell_years"): ("Cell-years with metrics", "Số lượt chi bộ-năm có chỉ số"),
    ("runs", "exports"): ("Export files written", "Số tệp báo cáo đã ghi"),
    ("runs", "seconds"): ("Duration in seconds", "Thời gian chạy (giây)"),
    ("runs", "orgs_classified"): ("Org-years with a level", "Số lượt tổ chức-năm được xếp loại"),
    ("runs", "seconds_ingest"): ("Seconds spent reading and validating new files", "Thời gian đọc và kiểm tra tệp mới (giây)"),
    ("runs", "seconds_integrate"): ("Seconds spent integrating", "Thời gian tích hợp dữ liệu (giây)"),
    ("runs", "seconds_model"): ("Seconds spent computing metrics and classification", "Thời gian tính chỉ số và xếp loại (giây)"),
    ("runs", "seconds_export"): ("Seconds spent documenting and exporting", "Thời gian ghi chú thích và xuất báo cáo (giây)"),
    ("runs", "seconds_publish"): ("Seconds spent publishing", "Thời gian công bố kho dữ liệu (giây)"),
    ("runs", "rows_read_new"): ("Rows read from new files", "Số dòng đọc từ tệp mới"),
    # shared model keys
    ("cell_year_metrics", "org_id"): ("Cell id", "Mã chi bộ"),
    "year": ("Year", "Năm"),
    "year_complete": ("31 December of the year is on or before the as-of date",
                      "Năm đã kết thúc (31/12 không sau ngày chốt số liệu)"),
    # cell_year_metrics
    ("cell_year_metrics", "months_active"): ("Active months of the cell in the year", "Số tháng hoạt động"),
    ("cell_year_metrics", "quarters_active"): ("Active quarters", "Số quý hoạt động"),
    ("cell_year_metrics", "meetings_total"): ("All meetings of the year (extraordinary included)",
                                              "Tổng số buổi sinh hoạt (kể cả bất thường)"),
    ("cell_year_metrics", "regular_months"): ("Active months holding a regular or combined meeting",
                                              "Số tháng có sinh hoạt thường kỳ"),
    ("cell_year_metrics", "thematic_quarters"): ("Active quarters holding a thematic or combined meeting",
                                                 "Số quý có sinh hoạt chuyên đề"),
    ("cell_year_metrics", "criticism_quarters"): ("Active quarters with criticism at a regular/combined meeting",
                                                  "Số quý có tự phê bình và phê bình"),
    ("cell_year_metrics", "short_meetings"): ("Counted meetings shorter than their minimum",
                                              "Số buổi không đủ thời lượng"),
    ("cell_year_metrics", "meetings_without_attendance"): ("Counted meetings with no attendance row",
                                                           "Số buổi không có điểm danh"),
    ("cell_year_metrics", "unsigned_minutes"): ("Counted meetings whose minutes are not signed",
                                                "Số buổi biên bản chưa đủ chữ ký"),
    ("cell_year_metrics", "meetings_meeting_standard"): ("Counted meetings meeting the standard",
                                                         "Số buổi sinh hoạt đạt chuẩn"),
    ("cell_year_metrics", "attendance_rate"): ("Attendance rate over the year's counted meetings (unrounded)",
                                               "Tỷ lệ dự họp cả năm"),
    ("cell_year_metrics", "speaking_rate"): ("Speaking rate over the year's counted meetings (unrounded)",
                                             "Tỷ lệ phát biểu cả năm"),
    ("cell_year_metrics", "unexcused_members"): ("Members with an unexcused absence",
                                                 "Số đảng viên vắng không lý do"),
    ("cell_year_metrics", "excused_streak_members"): ("Members absent with reason 4 or more times in a row",
                                                      "Số đảng viên vắng có lý do từ 4 lần liên tiếp"),
    ("cell_year_metrics", "removal_candidates"): ("Members of the cell-year who are removal candidates "
                                                  "(member_years.removal_candidate)",
                                                  "Số đảng viên thuộc diện đề nghị xóa tên"),
    ("cell_year_metrics", "materials_late_meetings"): ("Counted meetings under the materials rule with materials late",
                                                       "Số buổi đăng tài liệu muộn (theo HD 42)"),
    ("cell_year_metrics", "upper_visit_meetings"): ("Meetings attended by upper-level committee members",
                                                    "Số buổi có cấp ủy cấp trên dự"),
    ("cell_year_metrics", "hcm_story_meetings"): ("Meetings studying Ho Chi Minh's example",
                                                  "Số buổi có học tập và làm theo Bác"),
    ("cell_year_metrics", "distinct_secretaries"): ("Distinct meeting secretaries", "Số thư ký khác nhau"),
    ("cell_year_metrics", "rated_members"): ("Members rated by the cell", "Số đảng viên được xếp loại"),
    ("cell_year_metrics", "rated_excellent"): ("Members rated excellent", "Số đảng viên HTXSNV"),
    ("cell_year_metrics", "rated_good"): ("Members rated good", "Số đảng viên HTTNV"),
    ("cell_year_metrics", "rated_completed"): ("Members rated completed", "Số đảng viên HTNV"),
    ("cell_year_metrics", "rated_failed"): ("Members rated failed", "Số đảng viên KHTNV"),
    ("cell_year_metrics", "disciplined_members"): ("Members disciplined in the year", "Số đảng viên bị kỷ luật"),
    ("cell_year_metrics", "members_active"): ("Register members active or exempt (today)",
                                              "Số đảng viên đang sinh hoạt hoặc miễn sinh hoạt"),
    ("cell_year_metrics", "local_members"): ("Of those, living locally", "Trong đó, số đảng viên tại chỗ"),
    # org_year_classification
    ("org_year_classification", "org_id"): ("Organisation id", "Mã tổ chức"),
    ("org_year_classification", "org_level"): ("Level of the organisation", "Cấp tổ chức"),
    ("org_year_classification", "parent_id"): ("Parent organisation id", "Mã tổ chức cấp trên"),
    ("org_year_classification", "level"): ("Final level: excellent, good, completed, failed or null",
                                           "Mức xếp loại cuối cùng"),
    ("org_year_classification", "level_vi"): ("Full Vietnamese name of the level", "Tên mức xếp loại"),
    ("org_year_classification", "provisional_level"): ("Level before the excellent quota",
                                                       "Mức xếp loại trước khi áp tỷ lệ"),
    ("org_year_classification", "quota_demoted"): ("Moved from excellent to good by the excellent quota (excellent_quota_share)",
                                                   "Bị hạ từ HTXSNV xuống HTTNV do vượt tỷ lệ HTXSNV theo quy định"),
    ("org_year_classification", "four_good"): ("All four goods (4 tốt)", "Đạt 4 tốt"),
    ("org_year_classification", "political_task_good"): ("Political tasks done well",
                                                         "Hoàn thành tốt nhiệm vụ chính trị"),
    ("org_year_classification", "meeting_quality_good"): ("Good meeting quality", "Chất lượng sinh hoạt tốt"),
    ("org_year_classification", "unity_discipline_good"): ("Good unity and discipline", "Đoàn kết, kỷ luật tốt"),
    ("org_year_classification", "members_good"): ("Good cadres and members", "Cán bộ, đảng viên tốt"),
    ("org_year_classification", "criteria_reasons"): ("criterion:code for every false criterion check",
                                                      "Lý do không đạt từng tiêu chí (tiêu chí:mã)"),
    ("org_year_classification", "reasons"): ("Reason codes of the level", "Mã lý do của mức xếp loại"),
    ("org_year_classification", "rulebook"): ("Rulebook applied (qd124, qd366)", "Quy định áp dụng"),
    # view columns
    "org_name": ("Organisation name", "Tên tổ chức"),
    "org_level": ("Level of the organisation", "Cấp tổ chức"),
    "org_id": ("Organisation id", "Mã tổ chức"),
    "name": ("Name", "Tên"),
    "level": ("Level code", "Mã cấp"),
    "parent_id": ("Parent organisation id", "Mã tổ chức cấp trên"),
    "parent_name": ("Parent organisation name", "Tên tổ chức cấp trên"),
    "parent_level": ("Level of the parent organisation", "Cấp của tổ chức cấp trên"),
    "depth": ("Depth in the tree (root = 0)", "Độ sâu trong cây (gốc = 0)"),
    "path": ("Org ids from the root down to this org", "Chuỗi mã tổ chức từ gốc đến tổ chức này"),
    "tree_order": ("Position in report order", "Thứ tự trong báo cáo"),
    "kind": ("Kind code", "Mã loại hình"),
    "grassroots_id": ("Grassroots organisation (đảng bộ cơ sở or chi bộ cơ sở) at or above the org",
                      "Mã tổ chức cơ sở đảng chứa tổ chức này"),
    "district_id": ("District-level unit (cấp trên cơ sở) above the org",
                    "Mã đảng bộ cấp trên trực tiếp cơ sở chứa tổ chức này"),
    "member_id": ("Member id", "Mã đảng viên"),
    "full_name": ("Full name", "Họ và tên"),
    "birth_year": ("Year of birth", "Năm sinh"),
    "register_cell_id": ("Cell of the member in today's register", "Chi bộ của đảng viên theo danh sách hiện tại"),
    "cell_id": ("Cell id", "Mã chi bộ"),
    "cell_name": ("Cell name", "Tên chi bộ"),
    "unexcused_months": ("Months (1–12) with an unexcused absence", "Các tháng vắng không lý do"),
    "unexcused_month_count": ("Number of such months", "Số tháng vắng không lý do"),
    "unexcused_meetings": ("Meetings missed without reason", "Số buổi vắng không lý do"),
    "removal_threshold_months": ("Months required by the rulebook", "Số tháng theo quy định"),
    "months_active": ("Active months", "Số tháng hoạt động"),
    "regular_months": ("Active months holding a regular or combined meeting", "Số tháng có sinh hoạt thường kỳ"),
    "missing_months": ("Active months with no regular or combined meeting", "Các tháng thiếu sinh hoạt thường kỳ"),
    "quarters_active": ("Active quarters", "Số quý hoạt động"),
    "thematic_quarters": ("Active quarters holding a thematic or combined meeting", "Số quý có sinh hoạt chuyên đề"),
    "missing_quarters": ("Active quarters with no thematic or combined meeting", "Các quý thiếu sinh hoạt chuyên đề"),
    "members_active": ("Register members active or exempt", "Số đảng viên đang sinh hoạt hoặc miễn sinh hoạt"),
    "local_members": ("Of those, living locally", "Trong đó, số đảng viên tại chỗ"),

    ("org_units", "valid_to"): ("Last day of this version (the day before the next one; null for the latest)",
                                "Hiệu lực đến (ngày trước phiên bản sau; để trống với phiên bản mới nhất)"),
    # org_year_classification: the audit
    ("org_year_classification", "official_level"): ("Level the committee decided (official_ratings)",
                                                    "Xếp loại chính thức do cấp ủy quyết định"),
    ("org_year_classification", "audit"): ("Official rating against the computed level: agrees, official_higher, "
                                           "official_lower, not_computed (null without an official rating)",
                                           "Đối chiếu xếp loại chính thức với kết quả theo số liệu"),
    ("org_year_classification", "rank_gap"): ("Computed rank − official rank (positive: the official rating is higher)",
                                              "Chênh lệch thứ hạng (dương: xếp loại chính thức cao hơn số liệu)"),
    ("org_year_classification", "four_good_audit"): ("'4 tốt' awarded against the criteria: agrees, awarded_not_met, "
                                                     "met_not_awarded", "Đối chiếu công nhận 4 tốt với tiêu chí"),
    # org_years
    ("org_years", "org_id"): ("Organisation id", "Mã tổ chức"),
    ("org_years", "level"): ("Level of the organisation that year (its version on its last active day)",
                             "Cấp của tổ chức trong năm (phiên bản tại ngày hoạt động cuối cùng)"),
    ("org_years", "parent_id"): ("Parent that year", "Tổ chức cấp trên trong năm"),
    ("org_years", "name"): ("Name that year", "Tên tổ chức trong năm"),
    ("org_years", "kind"): ("Kind that year", "Loại hình trong năm"),
    ("org_years", "valid_from"): ("valid_from of the version used that year", "Hiệu lực từ của phiên bản áp dụng"),
    ("org_years", "months_active"): ("Active months in the year", "Số tháng hoạt động"),
    ("org_years", "quarters_active"): ("Active quarters in the year", "Số quý hoạt động"),
    ("org_years", "depth"): ("Depth in that year's tree (root = 0)", "Độ sâu trong cây của năm (gốc = 0)"),
    ("org_years", "path"): ("Org ids from the root down to this org", "Chuỗi mã tổ chức từ gốc đến tổ chức này"),
    ("org_years", "tree_order"): ("Position in that year's report order (depth first, siblings by org_id)",
                                  "Thứ tự trong báo cáo của năm"),
    ("org_years", "grassroots_id"): ("Its đảng bộ cơ sở or chi bộ cơ sở that year", "Tổ chức cơ sở đảng của tổ chức trong năm"),
    ("org_years", "upper_id"): ("Its cấp trên cơ sở that year", "Đảng bộ cấp trên trực tiếp cơ sở trong năm"),
    # org_months
    ("org_months", "org_id"): ("Organisation id", "Mã tổ chức"),
    ("org_months", "month"): ("Month (1–12)", "Tháng"),
    ("org_months", "quarter"): ("Quarter of the month (1–4)", "Quý"),
    ("org_months", "month_end"): ("Last day of the month", "Ngày cuối tháng"),
    ("org_months", "quarter_active"): ("The quarter ended on or before the as-of date (an active quarter)",
                                       "Quý đã kết thúc trước ngày chốt số liệu (quý hoạt động)"),
    ("org_months", "regular_held"): ("A regular or combined meeting of the org was held in the month",
                                     "Có sinh hoạt thường kỳ (hoặc kết hợp chuyên đề) trong tháng"),
    ("org_months", "thematic_held_in_quarter"): (
        "A thematic or combined meeting of the org was held in the month's quarter",
        "Có sinh hoạt chuyên đề (hoặc kết hợp) trong quý của tháng"),
    ("org_months", "criticism_held_in_quarter"): (
        "A regular or combined meeting with criticism and self-criticism was held in the month's quarter",
        "Có buổi sinh hoạt thường kỳ có phê bình và tự phê bình trong quý của tháng"),
    # member_cell_years
    ("member_cell_years", "member_id"): ("Member id", "Mã đảng viên"),
    ("member_cell_years", "cell_id"): ("Cell of the counted meetings", "Chi bộ có buổi sinh hoạt"),
    ("member_cell_years", "unexcused_month_list"): (
        "Months (1–12) with an unexcused absence at the cell's counted meetings",
        "Các tháng vắng không lý do tại chi bộ"),
    ("member_cell_years", "unexcused_meetings"): (
        "Counted meetings of the cell the member missed without reason",
        "Số buổi sinh hoạt của chi bộ vắng không lý do"),
    ("member_cell_years", "longest_excused_streak"): (
        "Longest run of excused absences at the cell's regular meetings (0: none)",
        "Số lần vắng có lý do liên tiếp dài nhất tại chi bộ (0: không có)"),
    # member_years
    ("member_years", "member_id"): ("Member id", "Mã đảng viên"),
    ("member_years", "unexcused_months"): ("Distinct months with an unexcused absence at counted meetings of any cell",
                                           "Số tháng có vắng không lý do (mọi chi bộ)"),
    ("member_years", "unexcused_month_list"): ("Those months (1–12)", "Các tháng vắng không lý do"),
    ("member_years", "unexcused_cells"): ("Cells of those absences", "Các chi bộ có buổi vắng không lý do"),
    ("member_years", "unexcused_meetings"): ("Counted meetings (any cell) the member missed without reason",
                                             "Số buổi sinh hoạt vắng không lý do (mọi chi bộ)"),
    ("member_years", "longest_excused_streak"): ("Longest run of excused absences over the member's cell-years",
                                                 "Số lần vắng có lý do liên tiếp dài nhất"),
    ("member_years", "removal_threshold_months"): ("Months the year's rulebook requires (removal_unexcused_months)",
                                                   "Số tháng theo quy định của năm"),
    ("member_years", "removal_candidate"): ("Removal candidate (unexcused months ≥ the threshold)",
                                            "Thuộc diện đề nghị xóa tên"),
    # member_rating_audit
    ("member_rating_audit", "member_id"): ("Member id", "Mã đảng viên"),
    ("member_rating_audit", "cell_id"): ("Cell of the rating", "Chi bộ xếp loại đảng viên"),
    ("member_rating_audit", "rating"): ("Rating given: excellent or good", "Xếp loại được công nhận"),
    ("member_rating_audit", "audit"): ("rating_unsupported: the attendance does not support it",
                                       "Xếp loại không được số liệu dự họp chứng minh"),
    ("member_rating_audit", "unexcused_months"): ("Distinct months with an unexcused absence (any cell)",
                                                  "Số tháng vắng không lý do (mọi chi bộ)"),
    ("member_rating_audit", "longest_excused_streak"): ("Longest run of excused absences",
                                                        "Số lần vắng có lý do liên tiếp dài nhất"),
    # rulebook tables
    "rulebook": ("Rulebook code (qd124, qd366, or a province's own)", "Mã bộ quy định"),
    ("rulebooks", "title_vi"): ("Title in Vietnamese", "Tên bộ quy định (tiếng Việt)"),
    ("rulebooks", "title_en"): ("Title in English", "Tên bộ quy định (tiếng Anh)"),
    ("rulebooks", "first_year"): ("First year it covers", "Năm đầu áp dụng"),
    ("rulebooks", "last_year"): ("Last year it covers (null: open-ended)", "Năm cuối áp dụng (để trống: đến nay)"),
    ("rulebooks", "uses_score"): ("Rates by the 100-point score", "Có chấm điểm thang 100"),
    ("rulebooks", "rates_timeliness"): ("Rates tasks on time and leaders disciplined (QĐ 366)",
                                        "Có đánh giá tiến độ nhiệm vụ và kỷ luật tập thể lãnh đạo"),
    ("rulebooks", "source_files"): ("Files it was read from (shipped, then overrides)", "Các tệp quy định đã đọc"),
    ("rulebook_thresholds", "name"): ("Threshold name (rules.md)", "Tên ngưỡng"),
    ("rulebook_thresholds", "value"): ("Value as written (decimal, whole number, date or choice)", "Giá trị"),
    ("rulebook_thresholds", "numerator"): ("Exact numerator of a numeric value", "Tử số (giá trị chính xác)"),
    ("rulebook_thresholds", "denominator"): ("Exact denominator of a numeric value", "Mẫu số (giá trị chính xác)"),
    ("rulebook_thresholds", "source"): ("Where the threshold comes from", "Căn cứ của ngưỡng"),
    ("rulebook_ladders", "ladder"): ("Ladder: cell (chi bộ, chi bộ cơ sở) or collective (đảng bộ cơ sở, cấp trên cơ sở)",
                                     "Thang: chi bộ hoặc tập thể (đảng bộ cơ sở, cấp trên cơ sở)"),
    ("rulebook_ladders", "rung"): ("Rung: failed_when, completed_when, good_when", "Mức của thang"),
    ("rulebook_ladders", "position"): ("Position of the condition in the rung", "Thứ tự điều kiện trong mức"),
    ("rulebook_ladders", "condition"): ("Condition code", "Mã điều kiện"),
    ("reason_texts", "code"): ("Code as in reasons, criteria_reasons (criterion:code) and standard_failures",
                               "Mã lý do như trong danh sách lý do"),
    ("reason_texts", "criterion"): ("Criterion of a criterion:code code", "Tiêu chí (với mã tiêu chí:mã)"),
    "text_vi": ("Text in Vietnamese", "Nội dung tiếng Việt"),
    "text_en": ("Text in English", "Nội dung tiếng Anh"),
    ("levels", "level"): ("Level code", "Mã mức xếp loại"),
    ("levels", "rank"): ("Rank: excellent 1, good 2, completed 3, failed 4", "Thứ hạng (1 cao nhất)"),
    "level_vi": ("Full Vietnamese name of the level", "Tên đầy đủ của mức xếp loại"),
    "level_short_vi": ("Short Vietnamese name of the level (HTXSNV …)", "Tên viết tắt của mức xếp loại"),
    ("levels", "level_en"): ("English name of the level", "Tên tiếng Anh của mức xếp loại"),
    # view columns (v_*)
    "grassroots_name": ("Name of its grassroots organisation that year", "Tên tổ chức cơ sở đảng trong năm"),
    "upper_id": ("Its cấp trên cơ sở that year", "Mã đảng bộ cấp trên trực tiếp cơ sở trong năm"),
    "upper_name": ("Name of its cấp trên cơ sở that year", "Tên đảng bộ cấp trên trực tiếp cơ sở trong năm"),
    "valid_from": ("valid_from of the version used that year", "Hiệu lực từ của phiên bản áp dụng"),
    "level_rank": ("Rank of the computed level (1 = excellent)", "Thứ hạng của mức xếp loại theo số liệu"),
    "reasons_vi": ("The reasons in Vietnamese (reason_texts of the row's rulebook)", "Lý do xếp loại (tiếng Việt)"),
    "reasons_en": ("The reasons in English", "Lý do xếp loại (tiếng Anh)"),
    "criteria_reasons_vi": ("The failed criterion checks in Vietnamese", "Lý do chưa đạt từng tiêu chí (tiếng Việt)"),
    "criteria_reasons_en": ("The failed criterion checks in English", "Lý do chưa đạt từng tiêu chí (tiếng Anh)"),
    "rulebook_title_vi": ("Title of the rulebook applied", "Tên bộ quy định áp dụng"),
    "official_level_vi": ("Full Vietnamese name of the official level", "Tên mức xếp loại chính thức"),
    "official_level_short_vi": ("Short Vietnamese name of the official level", "Tên viết tắt mức xếp loại chính thức"),
    "official_rank": ("Rank of the official level (1 = excellent)", "Thứ hạng của xếp loại chính thức"),
    ("v_official_rating_audit", "level"): ("Computed level (the evidence)", "Mức xếp loại theo số liệu"),
    ("v_official_rating_audit", "audit_order"): ("Reading order: official_higher 1, official_lower 2, not_computed 3, agrees 4",
                                                 "Thứ tự đọc: cao hơn, thấp hơn, chưa xếp loại, thống nhất"),
    ("v_official_rating_audit", "four_good_awarded"): ("The committee awarded '4 tốt'", "Được công nhận 4 tốt"),
    ("v_official_rating_audit", "decided_on"): ("Date of the official decision", "Ngày quyết định"),
    ("v_official_rating_audit", "decision"): ("Number of the official decision", "Số quyết định"),
    "parent_depth": ("Depth of the parent in that year's tree", "Độ sâu của tổ chức cấp trên"),
    "parent_tree_order": ("Report order of the parent", "Thứ tự báo cáo của tổ chức cấp trên"),
    "unit_id": ("Organisation whose whole subtree is counted", "Mã tổ chức được tổng hợp toàn bộ cấp dưới"),
    "unit_name": ("Its name that year", "Tên tổ chức"),
    "unit_level": ("Its level that year", "Cấp của tổ chức"),
    "unit_depth": ("Its depth in that year's tree", "Độ sâu trong cây"),
    "unit_tree_order": ("Its report order", "Thứ tự báo cáo"),
    "cell_ids": ("Cells of the unexcused absences, in report order", "Các chi bộ có buổi vắng không lý do"),
    "cell_names": ("Their names that year", "Tên các chi bộ đó trong năm"),
    "parent_ids": ("Parents of those cells that year", "Mã tổ chức cấp trên của các chi bộ đó"),
    "parent_names": ("Names of those parents", "Tên tổ chức cấp trên của các chi bộ đó"),
    "grassroots_ids": ("Grassroots organisations of those cells", "Tổ chức cơ sở đảng của các chi bộ đó"),
    "upper_ids": ("Cấp trên cơ sở of those cells", "Đảng bộ cấp trên cơ sở của các chi bộ đó"),
    ("v_removal_candidates", "tree_order"): ("Report order of the first of those cells", "Thứ tự báo cáo"),
    ("v_removal_candidates", "unexcused_months"): ("Distinct months with an unexcused absence (any cell)",
                                                   "Số tháng vắng không lý do"),
    "unexcused_month_list": ("Those months (1–12)", "Các tháng vắng không lý do"),
    "longest_excused_streak": ("Longest run of excused absences", "Số lần vắng có lý do liên tiếp dài nhất"),
    "successor_chain": ("Successor ids followed from the dissolved org, in order", "Chuỗi mã tổ chức kế thừa"),
    "current_id": ("The organisation it is today (end of the chain, not dissolved)", "Mã tổ chức hiện nay"),
    "current_name": ("Name of the organisation today", "Tên tổ chức hiện nay"),
    "current_level": ("Level of the organisation today", "Cấp của tổ chức hiện nay"),
    "lineage_status": ("current, unknown_successor (an id nobody delivered), no_successor or cycle",
                       "Tình trạng chuỗi kế thừa"),
    "dissolved_on": ("Date dissolved", "Ngày giải thể"),
    "successor_id": ("Direct successor", "Tổ chức kế thừa trực tiếp"),
    "decision": ("Decision number", "Số quyết định"),
    ("v_data_errors_by_file", "file"): ("Delivered file (path under raw/)", "Tệp đã nộp"),
    ("v_data_errors_by_file", "kind"): ("Kind of data", "Loại dữ liệu"),
    ("v_data_errors_by_file", "status"): ("Status of the file", "Trạng thái tệp"),
    ("v_data_errors_by_file", "rows_read"): ("Rows read", "Số dòng đã đọc"),
    ("v_data_errors_by_file", "rows_loaded"): ("Rows loaded", "Số dòng đã nạp"),
    ("v_data_errors_by_file", "quarantined_rows"): ("Distinct rows quarantined", "Số dòng bị loại"),
    ("v_data_errors_by_file", "problems"): ("Problems found (a row may have several)", "Số lỗi (một dòng có thể nhiều lỗi)"),
    ("v_data_errors_by_file", "pending_rows"): ("Rows pending a reference", "Số dòng đang chờ"),
    ("v_data_errors_by_file", "error"): ("File-level rejection message", "Lý do từ chối cả tệp"),
})


# the two summary views count the same things over different sets of organisations
_SUMMARY_COLUMNS: dict[str, tuple[str, str]] = {
    "orgs": ("Organisations with a classification row", "Tổng số tổ chức"),
    "classified": ("Organisations with a level (the base of the level percentages)", "Số tổ chức được xếp loại"),
    "excellent": ("Rated excellent (HTXSNV)", "Số HTXSNV"),
    "excellent_pct": ("Excellent as % of the classified organisations (exact)", "Tỷ lệ % HTXSNV trên số tổ chức được xếp loại"),
    "good": ("Rated good (HTTNV)", "Số HTTNV"),
    "good_pct": ("Good as % of the classified organisations (exact)", "Tỷ lệ % HTTNV trên số tổ chức được xếp loại"),
    "completed": ("Rated completed (HTNV)", "Số HTNV"),
    "completed_pct": ("Completed as % of the classified organisations (exact)", "Tỷ lệ % HTNV trên số tổ chức được xếp loại"),
    "failed": ("Rated failed (KHTNV)", "Số KHTNV"),
    "failed_pct": ("Failed as % of the classified organisations (exact)", "Tỷ lệ % KHTNV trên số tổ chức được xếp loại"),
    "not_classified": ("Organisations without a level", "Số chưa xếp loại"),
    "four_good": ("Organisations with all four goods", "Số đạt 4 tốt"),
    "four_good_pct": ("Four goods as % of all organisations counted (orgs; exact)",
                      "Tỷ lệ % đạt 4 tốt trên tổng số tổ chức"),
    "official_rated": ("Organisations with an official rating", "Số tổ chức có xếp loại chính thức"),
    "audit_agrees": ("Official rating agrees with the evidence", "Số xếp loại chính thức thống nhất với số liệu"),
    "audit_official_higher": ("Official rating higher than the evidence", "Số xếp loại chính thức cao hơn số liệu"),
    "audit_official_lower": ("Official rating lower than the evidence", "Số xếp loại chính thức thấp hơn số liệu"),
    "audit_not_computed": ("Officially rated but not classified by the evidence", "Số có xếp loại chính thức nhưng chưa xếp loại theo số liệu"),
}
for _view in ("v_summary_by_parent_year", "v_summary_by_unit_year"):
    for _name, _text in _SUMMARY_COLUMNS.items():
        COLUMNS[(_view, _name)] = _text


STAGING = ("Staging, every validated row of every delivery before the current state per key: ",
           "Dữ liệu trung gian, mọi dòng hợp lệ của mọi lần nộp trước khi chọn bản hiện hành: ")


def table_comment(table: str, schema: str = "main") -> str | None:
    if schema != "main":
        d = TABLES.get(f"{schema}.{table}")
        if d is None and schema == "staging" and table in TABLES:
            base = TABLES[table]
            d = (STAGING[0] + base[0][0].lower() + base[0][1:], STAGING[1] + base[1][0].lower() + base[1][1:])
    else:
        d = TABLES.get(table)
    return f"{d[0]} / {d[1]}" if d else None


# views whose columns are a table's columns where the view does not say otherwise
VIEW_SOURCES = {"v_classification_explained": "org_year_classification",
                "v_official_rating_audit": "org_year_classification"}


def column_comment(table: str, column: str) -> str | None:
    d = COLUMNS.get((table, column))
    if d is None and table in VIEW_SOURCES:
        d = COLUMNS.get((VIEW_SOURCES[table], column))
    d = d or COLUMNS.get(column)
    return f"{d[0]} / {d[1]}" if d else None
