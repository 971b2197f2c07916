"""The data contract of ../shared/spec/data-contract.md as data.

Every layer (readers, pandera models, integration, generator, exports) takes column names,
Vietnamese labels, key columns, types and enum vocabularies from here, so the contract is
written down once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["id", "text", "enum", "date", "time", "int", "decimal", "bool"]

KINDS: tuple[str, ...] = (
    "org_units", "members", "meetings", "attendance", "assessments", "member_ratings",
    "official_ratings",
)

# The optional column every kind accepts: `upsert` (default) or `delete` (retracts the key).
ACTION_COLUMN = "action"
ACTION_LABEL = "Thao tác"
ACTIONS: dict[str, str] = {"upsert": "Cập nhật", "delete": "Xóa"}


@dataclass(frozen=True)
class Column:
    name: str
    label_vi: str
    type: ColumnType
    required: bool = False          # null fails the row (enum columns are always required)
    key: bool = False
    # enum code -> Vietnamese labels (first is the canonical label shown to people)
    enum: dict[str, tuple[str, ...]] = field(default_factory=dict)
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    description_en: str = ""

    @property
    def is_required(self) -> bool:
        return self.required or (self.key and not self.optional_key) or self.type == "enum"

    @property
    def optional_key(self) -> bool:
        return self.key and self.type == "date"   # org_units.valid_from: empty = since the start


@dataclass(frozen=True)
class Kind:
    name: str
    label_vi: str
    columns: tuple[Column, ...]

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    @property
    def required_key(self) -> tuple[str, ...]:
        """Key columns a row (and a header) must have; org_units.valid_from may be empty."""
        return tuple(c.name for c in self.columns if c.key and not c.optional_key)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def header_required(self) -> tuple[str, ...]:
        """Columns whose absence from a header rejects the file (unless it has `action`)."""
        return tuple(c.name for c in self.columns if c.is_required)


ORG_LEVELS: dict[str, tuple[str, ...]] = {
    "tinh": ("Đảng bộ tỉnh",),
    "cap_tren_co_so": ("Cấp trên cơ sở", "Đảng bộ cấp trên trực tiếp cơ sở"),
    "dang_bo_co_so": ("Đảng bộ cơ sở",),
    "dang_bo_bo_phan": ("Đảng bộ bộ phận",),
    "chi_bo_co_so": ("Chi bộ cơ sở",),
    "chi_bo": ("Chi bộ trực thuộc",),
}
CELL_LEVELS: tuple[str, ...] = ("chi_bo", "chi_bo_co_so")
# the levels that are classified every year (and so may be assessed and officially rated)
ASSESSED_LEVELS: tuple[str, ...] = ("cap_tren_co_so", "dang_bo_co_so", "chi_bo_co_so", "chi_bo")
# level -> the levels its parent may have
PARENT_LEVELS: dict[str, tuple[str, ...]] = {
    "tinh": (),
    "cap_tren_co_so": ("tinh",),
    "dang_bo_co_so": ("cap_tren_co_so", "tinh"),
    "dang_bo_bo_phan": ("dang_bo_co_so",),
    "chi_bo_co_so": ("cap_tren_co_so", "tinh"),
    "chi_bo": ("dang_bo_co_so", "dang_bo_bo_phan", "cap_tren_co_so"),
}
ORG_KINDS: dict[str, tuple[str, ...]] = {
    "residential": ("Khu dân cư",),
    "commune": ("Xã, phường, đặc khu", "Xã, phường, thị trấn"),
    "agency": ("Cơ quan",),
    "public_service": ("Đơn vị sự nghiệp",),
    "enterprise": ("Doanh nghiệp",),
    "armed_forces": ("Lực lượng vũ trang",),
    "other": ("Khác",),
}
SEXES: dict[str, tuple[str, ...]] = {"male": ("Nam",), "female": ("Nữ",)}
MEMBER_STATUSES: dict[str, tuple[str, ...]] = {
    "active": ("Đang sinh hoạt",),
    "exempt": ("Miễn sinh hoạt",),
    "transferred_out": ("Chuyển đi",),
    "deceased": ("Từ trần",),
    "removed": ("Ra khỏi Đảng",),
}
MEETING_TYPES: dict[str, tuple[str, ...]] = {
    "regular": ("Thường kỳ",),
    "thematic": ("Chuyên đề",),
    "combined": ("Thường kỳ kết hợp chuyên đề",),
    "extraordinary": ("Bất thường",),
}
COUNTED_MEETING_TYPES: tuple[str, ...] = ("regular", "thematic", "combined")
ATTENDANCE_STATUSES: dict[str, tuple[str, ...]] = {
    "present": ("Có mặt",),
    "excused": ("Vắng có lý do",),
    "unexcused": ("Vắng không lý do",),
    "exempt": ("Miễn sinh hoạt", "Miễn công tác và sinh hoạt đảng"),
    "special_duty": ("Làm nhiệm vụ đặc biệt",),
}
RATINGS: dict[str, tuple[str, ...]] = {
    "excellent": ("Hoàn thành xuất sắc nhiệm vụ", "HTXSNV"),
    "good": ("Hoàn thành tốt nhiệm vụ", "HTTNV"),
    "completed": ("Hoàn thành nhiệm vụ", "HTNV"),
    "failed": ("Không hoàn thành nhiệm vụ", "KHTNV"),
}
LEVEL_SHORT_VI: dict[str, str] = {
    "excellent": "HTXSNV", "good": "HTTNV", "completed": "HTNV", "failed": "KHTNV",
}

C = Column
CONTRACT: dict[str, Kind] = {
    "org_units": Kind("org_units", "Tổ chức đảng", (
        C("org_id", "Mã tổ chức", "id", key=True),
        # key, but optional: empty means "since the organisation began" (one version)
        C("valid_from", "Hiệu lực từ", "date", key=True),
        C("name", "Tên tổ chức", "text", required=True, max_length=200),
        C("level", "Cấp", "enum", enum=ORG_LEVELS),
        C("parent_id", "Mã tổ chức cấp trên", "id"),   # required unless level = tinh
        C("kind", "Loại hình", "enum", enum=ORG_KINDS),
        C("established_on", "Ngày thành lập", "date"),
        C("dissolved_on", "Ngày giải thể", "date"),
        C("successor_id", "Tổ chức kế thừa", "id"),
        C("decision", "Số quyết định", "text", max_length=100),
    )),
    "members": Kind("members", "Đảng viên", (
        C("member_id", "Mã đảng viên", "id", key=True),
        C("full_name", "Họ và tên", "text", required=True),
        C("birth_date", "Ngày sinh", "date", required=True),
        C("sex", "Giới tính", "enum", enum=SEXES),
        C("ethnicity", "Dân tộc", "text"),
        C("cell_id", "Mã chi bộ", "id", required=True),
        C("joined_on", "Ngày vào Đảng", "date", required=True),
        C("official_on", "Ngày chính thức", "date"),
        C("status", "Tình trạng", "enum", enum=MEMBER_STATUSES),
        C("is_local", "Người tại chỗ", "bool"),
    )),
    "meetings": Kind("meetings", "Buổi sinh hoạt", (
        C("meeting_id", "Mã buổi sinh hoạt", "id", key=True),
        C("cell_id", "Mã chi bộ", "id", required=True),
        C("meeting_date", "Ngày sinh hoạt", "date", required=True),
        C("meeting_type", "Loại sinh hoạt", "enum", enum=MEETING_TYPES),
        C("start_time", "Giờ bắt đầu", "time", required=True),
        C("end_time", "Giờ kết thúc", "time", required=True),
        C("topic", "Chủ đề", "text"),                  # required for thematic/combined
        C("chair_member_id", "Người chủ trì", "id", required=True),
        C("secretary_member_id", "Thư ký", "id", required=True),
        C("upper_attendees", "Số cấp ủy viên cấp trên dự", "int", required=True,
          min_value=0, max_value=50),
        C("criticism_held", "Có tự phê bình và phê bình", "bool", required=True),
        C("hcm_story", "Có học tập và làm theo Bác", "bool"),
        C("resolution_adopted", "Có nghị quyết được biểu quyết", "bool", required=True),
        C("minutes_signed", "Biên bản có đủ chữ ký", "bool", required=True),
        C("materials_posted_on", "Ngày đăng tài liệu", "date"),
    )),
    "attendance": Kind("attendance", "Điểm danh", (
        C("meeting_id", "Mã buổi sinh hoạt", "id", key=True),
        C("member_id", "Mã đảng viên", "id", key=True),
        C("status", "Tình trạng dự họp", "enum", enum=ATTENDANCE_STATUSES),
        C("spoke", "Có phát biểu", "bool"),
        C("absence_reason", "Lý do vắng", "text"),      # required when excused
    )),
    "assessments": Kind("assessments", "Đánh giá tổ chức", (
        C("org_id", "Mã tổ chức", "id", key=True),
        C("year", "Năm", "int", key=True, min_value=2000),   # max: the run's year
        C("targets_total", "Số chỉ tiêu, nhiệm vụ", "int", required=True, min_value=1),
        C("targets_met", "Số hoàn thành", "int", required=True, min_value=0),
        C("targets_exceeded", "Số vượt mức", "int", required=True, min_value=0),
        C("targets_late", "Số nhiệm vụ chậm tiến độ", "int", min_value=0),  # required by rulebook
        C("org_disciplined", "Tổ chức bị kỷ luật", "bool", required=True),
        C("leaders_disciplined", "Thành viên tập thể lãnh đạo bị kỷ luật", "bool"),  # by rulebook
        C("disunity", "Mất đoàn kết nội bộ", "bool", required=True),
        C("mass_orgs_good", "Chính quyền, đoàn thể đạt HTTNV trở lên", "bool", required=True),
        C("shortcomings_fixed", "Đã khắc phục hạn chế, khuyết điểm", "bool", required=True),
        C("score", "Tổng điểm", "decimal", min_value=0, max_value=100),  # required by rulebook
    )),
    "member_ratings": Kind("member_ratings", "Xếp loại đảng viên", (
        C("member_id", "Mã đảng viên", "id", key=True),
        C("year", "Năm", "int", key=True, min_value=2000),
        C("cell_id", "Mã chi bộ", "id", required=True),
        C("rating", "Xếp loại", "enum", enum=RATINGS),
        C("disciplined", "Bị kỷ luật trong năm", "bool", required=True),
    )),
    "official_ratings": Kind("official_ratings", "Xếp loại chính thức", (
        C("org_id", "Mã tổ chức", "id", key=True),
        C("year", "Năm", "int", key=True, min_value=2000),
        C("level", "Xếp loại", "enum", enum=RATINGS),
        C("four_good_awarded", "Được công nhận 4 tốt", "bool"),
        C("decided_on", "Ngày quyết định", "date"),
        C("decision", "Số quyết định", "text", max_length=100),
    )),
}
del C

# Columns that are not required in the header because they are required only for some rows.
ROW_CONDITIONAL: dict[str, tuple[str, ...]] = {
    "meetings": ("topic",),
    "attendance": ("absence_reason",),
    "assessments": ("score", "targets_late", "leaders_disciplined"),
    "org_units": ("parent_id",),
}

# Reference columns (integration): kind -> [(column, referenced kind, allowed levels or None)]
REFERENCES: dict[str, tuple[tuple[str, str, tuple[str, ...] | None], ...]] = {
    "org_units": (("parent_id", "org_units", None),),   # level rule: PARENT_LEVELS
    "members": (("cell_id", "org_units", CELL_LEVELS),),
    "meetings": (("cell_id", "org_units", CELL_LEVELS),),
    "attendance": (("meeting_id", "meetings", None), ("member_id", "members", None)),
    "assessments": (("org_id", "org_units", ASSESSED_LEVELS),),
    "member_ratings": (("member_id", "members", None), ("cell_id", "org_units", CELL_LEVELS)),
    "official_ratings": (("org_id", "org_units", ASSESSED_LEVELS),),
}

# DuckDB types of the integrated tables.
DUCKDB_TYPES: dict[str, str] = {
    "id": "VARCHAR", "text": "VARCHAR", "enum": "VARCHAR", "date": "DATE", "time": "TIME",
    "int": "INTEGER", "decimal": "DECIMAL(5,2)", "bool": "BOOLEAN",
}
