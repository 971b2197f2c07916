"""Vietnamese + English messages for quarantine rows and file-level rejections.

Messages are written for a cell secretary who has to fix the spreadsheet: they name the column
by its Vietnamese label (as in the template) and say what a valid value looks like.
"""
from __future__ import annotations

from datetime import date

from chibo.contract import ACTION_COLUMN, ACTION_LABEL, ACTIONS, CONTRACT, Column

# check code -> (Vietnamese, English). Placeholders: {max}, {as_of}, {choices_vi}, {choices_en},
# {range_vi}, {range_en}, {key_vi}, {key_en}.
CHECK_MESSAGES: dict[str, tuple[str, str]] = {
    "required": (
        "Ô bị trống: cột này bắt buộc phải điền",
        "Empty cell: this column is required",
    ),
    "invalid_id": (
        "Mã không hợp lệ (1–64 ký tự gồm chữ không dấu, chữ số, dấu chấm, gạch dưới, gạch ngang; "
        "bắt đầu bằng chữ hoặc số)",
        "Invalid code (1–64 characters of A–Z, a–z, 0–9, '.', '_', '-', starting with a letter or "
        "digit)",
    ),
    "invalid_date": (
        "Ngày không hợp lệ (dùng dạng DD/MM/YYYY hoặc YYYY-MM-DD, và phải là ngày có thật)",
        "Invalid date (use DD/MM/YYYY or YYYY-MM-DD, and a real day)",
    ),
    "invalid_time": (
        "Giờ không hợp lệ (dùng dạng HH:MM, ví dụ 19:30, hoặc 19h30, 8h)",
        "Invalid time (use HH:MM such as 19:30, or 19h30, 8h)",
    ),
    "invalid_int": (
        "Số nguyên không hợp lệ (chỉ ghi chữ số, ví dụ 3)",
        "Invalid whole number (digits only, e.g. 3)",
    ),
    "invalid_decimal": (
        "Số không hợp lệ (ví dụ 93,5 hoặc 93.5; tối đa 2 chữ số thập phân)",
        "Invalid number (e.g. 93.5; at most 2 decimal places)",
    ),
    "invalid_bool": (
        "Giá trị không hợp lệ (ghi Có/Không, 1/0 hoặc x cho Có)",
        "Invalid yes/no value (use Có/Không, yes/no, 1/0, or x for yes)",
    ),
    "unknown_enum": (
        "Giá trị không có trong danh mục (chọn một trong: {choices_vi})",
        "Value not in the list (use one of: {choices_en})",
    ),
    "out_of_range": (
        "Giá trị ngoài phạm vi cho phép ({range_vi})",
        "Value out of the allowed range ({range_en})",
    ),
    "too_long": (
        "Quá dài: tối đa {max} ký tự",
        "Too long: at most {max} characters",
    ),
    "date_after_as_of": (
        "Ngày nằm sau ngày chốt số liệu {as_of}: kiểm tra lại ngày, tháng, năm",
        "Date is after the as-of date {as_of}: check day, month and year",
    ),
    "end_before_start": (
        "Giờ kết thúc phải sau Giờ bắt đầu (trong cùng ngày)",
        "End time must be after start time (same day)",
    ),
    "topic_required": (
        "Buổi sinh hoạt chuyên đề hoặc kết hợp chuyên đề phải ghi Chủ đề",
        "A thematic or combined meeting needs a topic",
    ),
    "reason_required": (
        "Vắng có lý do thì phải ghi Lý do vắng",
        "An excused absence needs an absence reason",
    ),
    "spoke_while_absent": (
        "Chỉ đảng viên có mặt mới được ghi Có phát biểu",
        "Only a member who was present can be marked as having spoken",
    ),
    "under_18_at_joining": (
        "Ngày vào Đảng khi chưa đủ 18 tuổi: kiểm tra Ngày sinh và Ngày vào Đảng",
        "Member was under 18 on the joining date: check birth date and joining date",
    ),
    "official_before_joined": (
        "Ngày chính thức phải bằng hoặc sau Ngày vào Đảng",
        "Official date must be on or after the joining date",
    ),
    "dissolved_before_established": (
        "Ngày giải thể phải bằng hoặc sau Ngày thành lập",
        "Dissolution date must be on or after the establishment date",
    ),
    "duplicate_key_in_file": (
        "Trùng {key_vi} với dòng khác trong cùng tệp: giữ lại một dòng đúng, xóa các dòng trùng",
        "Same {key_en} as another row of this file: keep one correct row, delete the others",
    ),
    # Integration checks (done by chibo.integrate, texts kept here so all messages live together).
    "wrong_parent_level": (
        "Tổ chức cấp trên không đúng cấp",
        "The parent organisation has the wrong level",
    ),
    "parent_cycle": (
        "Quan hệ cấp trên tạo thành vòng lặp: kiểm tra Mã tổ chức cấp trên",
        "The parent chain forms a cycle: check the parent ids",
    ),
    # Reading (done by chibo.read): a CSV record whose quoted field never closes.
    "unterminated_quote": (
        "Dấu ngoặc kép (\") mở ở dòng này không bao giờ được đóng, nên từ dòng này đến hết tệp "
        "không đọc được thành dữ liệu: đóng dấu ngoặc kép (hoặc xóa nó) rồi gửi lại tệp",
        "A double quote (\") opened on this row is never closed, so from this row to the end of "
        "the file nothing could be read as data: close the quote (or delete it) and resend the "
        "file",
    ),
    "wrong_level_reference": (
        "Tổ chức được tham chiếu không đúng cấp",
        "The referenced organisation has the wrong level",
    ),
}

# (kind, column) -> (Vietnamese, English) description of the allowed range; {year} = as-of year.
RANGE_TEXT: dict[tuple[str, str], tuple[str, str]] = {
    ("members", "birth_date"): ("phải sau ngày 01/01/1900", "must be after 1900-01-01"),
    ("meetings", "meeting_date"): ("năm từ 2000 trở đi", "year 2000 or later"),
    ("meetings", "upper_attendees"): ("từ 0 đến 50", "0 to 50"),
    ("assessments", "year"): ("từ 2000 đến {year}", "2000 to {year}"),
    ("member_ratings", "year"): ("từ 2000 đến {year}", "2000 to {year}"),
    ("assessments", "targets_total"): ("ít nhất 1", "at least 1"),
    ("assessments", "targets_met"): ("từ 0 đến Số chỉ tiêu, nhiệm vụ",
                                     "0 to targets_total"),
    ("assessments", "targets_exceeded"): ("từ 0 đến Số hoàn thành", "0 to targets_met"),
    ("assessments", "score"): ("từ 0 đến 100", "0 to 100"),
}

# Reasons a whole file is rejected: reason -> (Vietnamese, English); {file}, {detail_vi/en}.
# {file} is the file's name (and, for a workbook, the sheet read). A library's own English text
# may follow in parentheses in the English detail only, never in the Vietnamese one.
FILE_MESSAGES: dict[str, tuple[str, str]] = {
    "unreadable": (
        "Tệp {file} không đọc được ({detail_vi}). Hãy lưu lại dạng .xlsx hoặc CSV rồi gửi lại.",
        "File {file} cannot be read ({detail_en}). Save it again as .xlsx or CSV and resend.",
    ),
    "empty": (
        "Tệp {file} trống, không có dữ liệu.",
        "File {file} is empty.",
    ),
    "no_data": (
        "Tệp {file} chỉ có dòng tiêu đề, không có dòng dữ liệu nào.{detail_vi}",
        "File {file} has a header but no data rows.{detail_en}",
    ),
    "no_header": (
        "Tệp {file}: không tìm thấy dòng tiêu đề có đủ cột khóa ({detail_vi}) trong 10 dòng đầu.",
        "File {file}: no header row naming the key columns ({detail_en}) within the first "
        "10 rows.",
    ),
    "missing_columns": (
        "Tệp {file} thiếu cột bắt buộc: {detail_vi}",
        "File {file} lacks required columns: {detail_en}",
    ),
    "unsupported_format": (
        "Tệp {file} không đúng định dạng (chỉ nhận .csv, .csv.gz, .xlsx).",
        "File {file} has an unsupported format (only .csv, .csv.gz, .xlsx).",
    ),
    "too_large": (
        "Tệp {file} vượt giới hạn đọc: {detail_vi}.",
        "File {file} exceeds a reading limit: {detail_en}.",
    ),
    "mixed_encoding": (
        "Tệp {file} trộn hai bảng mã chữ: {detail_vi}. Tệp có lẽ được ghép từ hai nguồn; hãy "
        "mở tệp, lưu lại một lần dạng «CSV UTF-8» rồi gửi lại.",
        "File {file} mixes two character encodings: {detail_en}. It was probably joined from "
        "two sources; open it, save it once as \"CSV UTF-8\" and resend.",
    ),
    "reader_crashed": (
        "Tệp {file} làm chương trình đọc dừng đột ngột: {detail_vi}. Tệp có thể bị hỏng hoặc "
        "cố ý tạo để gây lỗi; hãy mở bằng Excel, lưu thành tệp mới rồi gửi lại.",
        "File {file} made the reader stop abruptly: {detail_en}. The file may be damaged or "
        "crafted to break readers; open it in Excel, save it as a new file and resend.",
    ),
}


def file_label(file: str, sheet: str | None = None) -> tuple[str, str]:
    """How a message names the file: its name, and for a workbook the sheet read."""
    if sheet is None:
        return file, file
    return f"{file} (trang «{sheet}»)", f"{file} (sheet '{sheet}')"


def file_message(reason: str, file: str, detail_vi: str = "", detail_en: str = "",
                 sheet: str | None = None) -> tuple[str, str]:
    vi, en = FILE_MESSAGES[reason]
    file_vi, file_en = file_label(file, sheet)
    return (vi.format(file=file_vi, detail_vi=detail_vi, detail_en=detail_en),
            en.format(file=file_en, detail_vi=detail_vi, detail_en=detail_en))


def column_label(kind: str, column: str) -> str:
    if column == ACTION_COLUMN:
        return ACTION_LABEL
    try:
        return CONTRACT[kind].column(column).label_vi
    except StopIteration:
        return column


def _choices(kind: str, column: str) -> tuple[str, str]:
    if column == ACTION_COLUMN:
        enum = {code: (label,) for code, label in ACTIONS.items()}
    else:
        enum = CONTRACT[kind].column(column).enum
    vi = ", ".join(labels[0] for labels in enum.values())
    en = ", ".join(enum)
    return vi, en


def _range(kind: str, col: Column | None, column: str, as_of: date) -> tuple[str, str]:
    if (kind, column) in RANGE_TEXT:
        vi, en = RANGE_TEXT[(kind, column)]
        return vi.format(year=as_of.year), en.format(year=as_of.year)
    lo = col.min_value if col else None
    hi = col.max_value if col else None
    return f"từ {lo} đến {hi}", f"{lo} to {hi}"


def row_message(kind: str, column: str, check: str, as_of: date) -> tuple[str, str]:
    """The (Vietnamese, English) message of one quarantine problem, prefixed by the column."""
    vi, en = CHECK_MESSAGES.get(check, (f"Lỗi kiểm tra {check}", f"Check {check} failed"))
    col = None
    if column != ACTION_COLUMN and column in CONTRACT[kind].column_names:
        col = CONTRACT[kind].column(column)
    fields: dict[str, str] = {"as_of": as_of.strftime("%d/%m/%Y"), "max": ""}
    if col is not None and col.max_length:
        fields["max"] = str(col.max_length)
    if check == "unknown_enum":
        fields["choices_vi"], fields["choices_en"] = _choices(kind, column)
    if check == "out_of_range":
        fields["range_vi"], fields["range_en"] = _range(kind, col, column, as_of)
    if check == "duplicate_key_in_file":
        key = CONTRACT[kind].key
        fields["key_vi"] = " + ".join(column_label(kind, k) for k in key)
        fields["key_en"] = " + ".join(key)
    label = column_label(kind, column)
    return (f"Cột «{label}»: " + vi.format(**fields), f"Column '{column}': " + en.format(**fields))
