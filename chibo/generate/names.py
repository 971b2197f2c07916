"""Vietnamese names, places and texts for the synthetic data (all NFC)."""
from __future__ import annotations

PROVINCE_NAME = "Đắk Nông"

# (name with its type, slug, communes [(name, type)])
DISTRICTS: list[tuple[str, str, list[str]]] = [
    ("thành phố Gia Nghĩa", "gia-nghia", [
        "phường Nghĩa Đức", "phường Nghĩa Thành", "phường Nghĩa Phú", "phường Nghĩa Tân",
        "phường Nghĩa Trung", "phường Quảng Thành", "xã Đắk Nia", "xã Đắk R'Moan"]),
    ("huyện Cư Jút", "cu-jut", [
        "thị trấn Ea T'ling", "xã Cư Knia", "xã Đắk Drông", "xã Đắk Wil", "xã Ea Pô",
        "xã Nam Dong", "xã Tâm Thắng", "xã Trúc Sơn"]),
    ("huyện Đắk Glong", "dak-glong", [
        "xã Quảng Khê", "xã Đắk Som", "xã Đắk Ha", "xã Đắk R'Măng", "xã Quảng Hòa",
        "xã Quảng Sơn", "xã Đắk Plao"]),
    ("huyện Đắk Mil", "dak-mil", [
        "thị trấn Đắk Mil", "xã Đắk Lao", "xã Đắk R'La", "xã Đắk Gằn", "xã Đức Mạnh",
        "xã Đắk N'Drót", "xã Long Sơn", "xã Đắk Sắk", "xã Thuận An", "xã Đức Minh"]),
    ("huyện Đắk R'lấp", "dak-rlap", [
        "thị trấn Kiến Đức", "xã Quảng Tín", "xã Đắk Ru", "xã Đắk Sin", "xã Hưng Bình",
        "xã Đắk Wer", "xã Nhân Cơ", "xã Nhân Đạo", "xã Nghĩa Thắng", "xã Đạo Nghĩa",
        "xã Kiến Thành"]),
    ("huyện Đắk Song", "dak-song", [
        "thị trấn Đức An", "xã Đắk Môl", "xã Đắk Hòa", "xã Nam Bình", "xã Thuận Hà",
        "xã Thuận Hạnh", "xã Đắk N'Drung", "xã Nâm N'Jang", "xã Trường Xuân"]),
    ("huyện Krông Nô", "krong-no", [
        "thị trấn Đắk Mâm", "xã Đắk Sôr", "xã Nam Xuân", "xã Buôn Choáh", "xã Nam Đà",
        "xã Tân Thành", "xã Đắk Drô", "xã Nâm Nung", "xã Đức Xuyên", "xã Đắk Nang",
        "xã Quảng Phú", "xã Nâm N'Đir"]),
    ("huyện Tuy Đức", "tuy-duc", [
        "xã Quảng Trực", "xã Đắk Búk So", "xã Quảng Tâm", "xã Đắk R'Tíh", "xã Đắk Ngo",
        "xã Quảng Tân"]),
]

PROVINCES_63: list[str] = [
    "Hà Nội", "Hà Giang", "Cao Bằng", "Bắc Kạn", "Tuyên Quang", "Lào Cai", "Điện Biên",
    "Lai Châu", "Sơn La", "Yên Bái", "Hòa Bình", "Thái Nguyên", "Lạng Sơn", "Quảng Ninh",
    "Bắc Giang", "Phú Thọ", "Vĩnh Phúc", "Bắc Ninh", "Hải Dương", "Hải Phòng", "Hưng Yên",
    "Thái Bình", "Hà Nam", "Nam Định", "Ninh Bình", "Thanh Hóa", "Nghệ An", "Hà Tĩnh",
    "Quảng Bình", "Quảng Trị", "Thừa Thiên Huế", "Đà Nẵng", "Quảng Nam", "Quảng Ngãi",
    "Bình Định", "Phú Yên", "Khánh Hòa", "Ninh Thuận", "Bình Thuận", "Kon Tum", "Gia Lai",
    "Đắk Lắk", "Đắk Nông", "Lâm Đồng", "Bình Phước", "Tây Ninh", "Bình Dương", "Đồng Nai",
    "Bà Rịa - Vũng Tàu", "Thành phố Hồ Chí Minh", "Long An", "Tiền Giang", "Bến Tre",
    "Trà Vinh", "Vĩnh Long", "Đồng Tháp", "An Giang", "Kiên Giang", "Cần Thơ", "Hậu Giang",
    "Sóc Trăng", "Bạc Liêu", "Cà Mau",
]

PLACE_SYLLABLES = [
    "An", "Bình", "Hòa", "Phú", "Tân", "Thạnh", "Long", "Hưng", "Phước", "Thuận", "Đức",
    "Quang", "Minh", "Xuân", "Trung", "Nghĩa", "Sơn", "Hải", "Lộc", "Thành", "Vĩnh", "Yên",
]

AGENCY_DBCS = [
    ("Cơ quan Huyện ủy", "agency"), ("Cơ quan chính quyền huyện", "agency"),
    ("Quân sự huyện", "armed_forces"), ("Công an huyện", "armed_forces"),
    ("Trung tâm Y tế huyện", "public_service"), ("Trường THPT {p}", "public_service"),
    ("Công ty TNHH MTV Cà phê {p}", "enterprise"), ("Công ty Cổ phần Cao su {p}", "enterprise"),
    ("Công ty Lâm nghiệp {p}", "enterprise"), ("Khối Mặt trận và các đoàn thể huyện", "agency"),
    ("Trường THPT Dân tộc nội trú {p}", "public_service"), ("Bệnh viện đa khoa {p}", "public_service"),
]
AGENCY_CELLS = {
    "agency": ["Văn phòng", "Phòng Nội vụ", "Phòng Tài chính - Kế hoạch", "Phòng Tài nguyên và Môi trường",
               "Phòng Giáo dục và Đào tạo", "Phòng Lao động - Thương binh và Xã hội", "Ban Tổ chức",
               "Ban Tuyên giáo", "Ủy ban Kiểm tra", "Phòng Nông nghiệp"],
    "armed_forces": ["Ban Chỉ huy", "Đội Cảnh sát hình sự", "Đội An ninh", "Đội Cảnh sát giao thông",
                     "Trung đội dân quân cơ động", "Ban Hậu cần", "Đội Tham mưu", "Đồn Công an"],
    "public_service": ["Khoa Nội", "Khoa Ngoại", "Khoa Nhi", "Tổ Toán - Tin", "Tổ Ngữ văn",
                       "Tổ Khoa học tự nhiên", "Phòng Hành chính", "Khoa Dược", "Tổ Ngoại ngữ"],
    "enterprise": ["Phân xưởng chế biến", "Đội sản xuất số 1", "Đội sản xuất số 2", "Phòng Kỹ thuật",
                   "Phòng Kinh doanh", "Nông trường", "Phòng Tổ chức - Hành chính"],
}
CBCS_NAMES = [
    ("Trường Tiểu học {p}", "public_service"), ("Trường THCS {p}", "public_service"),
    ("Trường Mầm non {p}", "public_service"), ("Chi cục Thuế khu vực {p}", "agency"),
    ("Tòa án nhân dân {d}", "agency"), ("Viện Kiểm sát nhân dân {d}", "agency"),
    ("Ngân hàng Chính sách xã hội {d}", "agency"), ("Chi cục Thi hành án dân sự {d}", "agency"),
    ("Công ty TNHH {p}", "enterprise"), ("Hợp tác xã Nông nghiệp {p}", "enterprise"),
    ("Bưu điện {d}", "enterprise"), ("Trung tâm Văn hóa - Thể thao {d}", "public_service"),
    ("Ban Quản lý rừng phòng hộ {p}", "public_service"), ("Đồn Biên phòng {p}", "armed_forces"),
]
BON_NAMES = ["Bu Dăr", "Bu Prăng", "Bu N'Đơr", "Bu Sóp", "N'Jiêng", "Sar Pa", "Ja Ráh", "R'Bút",
             "Bu Đách", "Phi Mur", "Ol Bu Tung", "Yok Ju", "Bu Bia", "Ting Wel Đăm"]
BUON_NAMES = ["Buôn Trum", "Buôn Ea Pô", "Buôn Nui", "Buôn Ea Rông", "Buôn Ka La", "Buôn Buôr"]

KINH_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
               "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Đoàn", "Lương", "Mai", "Cao",
               "Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Công", "Thanh", "Ngọc", "Xuân", "Đình", "Văn", "Văn"]
MIDDLE_F = ["Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Kim", "Hồng", "Mỹ", "Thúy"]
GIVEN_M = ["Hùng", "Dũng", "Tuấn", "Sơn", "Hải", "Long", "Nam", "Phong", "Quang", "Thắng", "Trung",
           "Cường", "Hiếu", "Khánh", "Lâm", "Nghĩa", "Phúc", "Tài", "Thành", "Việt", "Bình", "Đạt",
           "Hòa", "Huy", "Kiên", "Lực", "Mạnh", "Tùng", "Sáng", "Toàn", "Vinh", "Quý"]
GIVEN_F = ["Hoa", "Hương", "Lan", "Mai", "Nga", "Ngọc", "Nhung", "Phương", "Thảo", "Trang", "Tuyết",
           "Yến", "Hạnh", "Hằng", "Hiền", "Huyền", "Linh", "Loan", "Oanh", "Quyên", "Thủy", "Vân",
           "Xuân", "Dung", "Liên", "Nhàn"]
# ethnicity -> family names (men, women) ; special forms handled in core
ETHNIC_FAMILY = {
    "Kinh": KINH_FAMILY,
    "M'Nông": ["Điểu", "Thị", "Điểu", "K'"],
    "Ê Đê": ["Y", "H'"],
    "Mạ": ["K'", "Ka"],
    "Tày": ["Hoàng", "Nông", "Lục", "Hà", "Ma", "Hoàng"],
    "Nùng": ["Hoàng", "Nông", "Lương", "Vi", "Lăng"],
    "H'Mông": ["Giàng", "Sùng", "Vàng", "Thào", "Hờ", "Mùa", "Lý"],
    "Thái": ["Lò", "Lường", "Cầm", "Quàng", "Vi"],
    "Mường": ["Bùi", "Đinh", "Quách", "Hà"],
    "Dao": ["Triệu", "Bàn", "Đặng", "Lý"],
}
INDIGENOUS_GIVEN = ["Bríp", "Đơ", "Krang", "Lăng", "Ja", "Mơ", "Srê", "Blui", "Trang", "Bình", "Dơng",
                    "Kông", "Bla", "Ngơi", "Rơi", "Ju", "Hơn", "Thông"]
EDE_CLANS = ["Niê", "Mlô", "Êban", "Byă", "Ksơr", "Adrơng"]
HMONG_GIVEN = ["Páo", "Chứ", "Dình", "Sính", "Mỷ", "Dợ", "Sú", "Chá", "Mua", "Pàng"]

# (ethnicity, weight) per population mix: 0 general, 1 bon (M'Nông), 2 buôn (Ê Đê), 3 H'Mông village
ETHNIC_MIX: list[list[tuple[str, float]]] = [
    [("Kinh", 0.80), ("M'Nông", 0.05), ("Tày", 0.04), ("Nùng", 0.04), ("Ê Đê", 0.015),
     ("H'Mông", 0.015), ("Thái", 0.02), ("Mường", 0.015), ("Dao", 0.01), ("Mạ", 0.005)],
    [("M'Nông", 0.75), ("Kinh", 0.2), ("Mạ", 0.05)],
    [("Ê Đê", 0.75), ("Kinh", 0.2), ("M'Nông", 0.05)],
    [("H'Mông", 0.65), ("Dao", 0.1), ("Tày", 0.1), ("Kinh", 0.15)],
]

TOPICS = [
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Quán triệt Nghị quyết của cấp ủy cấp trên",
    "Xây dựng nông thôn mới, đô thị văn minh",
    "Phòng, chống tham nhũng, tiêu cực",
    "Bảo vệ nền tảng tư tưởng của Đảng",
    "Giảm nghèo bền vững trong đồng bào dân tộc thiểu số",
    "Chuyển đổi số trong hoạt động của chi bộ",
    "Giữ gìn an ninh trật tự ở khu dân cư",
    "Nâng cao chất lượng sinh hoạt chi bộ",
    "Phát triển đảng viên trong thôn, bon, buôn",
    "Bảo vệ rừng và phòng cháy chữa cháy rừng",
    "Sắp xếp tổ chức bộ máy tinh gọn, hiệu lực, hiệu quả",
]
ABSENCE_REASONS = ["Ốm", "Đi công tác", "Việc gia đình", "Đi học", "Nằm viện", "Chăm người thân ốm",
                   "Đi làm ăn xa", "Có giấy xin phép"]
AWAY_REASONS = ["Đi làm ăn xa", "Ốm điều trị dài ngày", "Đi học dài hạn", "Đi công tác dài ngày"]

# district agencies whose đảng bộ is dissolved with the district on 30/6/2025 (their cells go
# to the district seat's new đảng ủy xã/phường): indexes into AGENCY_DBCS
AGENCY_DBCS_DISSOLVED = {0, 1, 9}
# chi bộ cơ sở of a district: where they go on 1/7/2025 (default: under a new xã/phường)
CBCS_FATE = {
    "Chi cục Thuế khu vực {p}": "ub", "Ngân hàng Chính sách xã hội {d}": "ub",
    "Chi cục Thi hành án dân sự {d}": "ub", "Tòa án nhân dân {d}": "cqd",
    "Viện Kiểm sát nhân dân {d}": "cqd",
}
# the đảng bộ khối of an old province: (name, kind, new body: cqd = Đảng bộ Các cơ quan Đảng
# tỉnh, ub = Đảng bộ UBND tỉnh); {t} is the province
KHOI_CQ_DBCS = [
    ("Văn phòng Tỉnh ủy {t}", "agency", "cqd"), ("Ban Tổ chức Tỉnh ủy {t}", "agency", "cqd"),
    ("Báo {t}", "public_service", "cqd"), ("Sở Giáo dục và Đào tạo {t}", "agency", "ub"),
    ("Sở Y tế {t}", "agency", "ub"), ("Sở Tài chính {t}", "agency", "ub"),
    ("Sở Nông nghiệp và Môi trường {t}", "agency", "ub"), ("Văn phòng Ủy ban nhân dân tỉnh {t}", "agency", "ub"),
]
KHOI_DN_DBCS = [
    ("Công ty Điện lực {t}", "enterprise", "ub"), ("Công ty Cổ phần Cấp thoát nước {t}", "enterprise", "ub"),
    ("Công ty TNHH MTV Xổ số kiến thiết {t}", "enterprise", "ub"), ("Công ty TNHH MTV Cao su {t}", "enterprise", "ub"),
]
KHOI_CQ_CBCS = [
    ("Ban Tuyên giáo Tỉnh ủy {t}", "agency", "cqd"), ("Ủy ban Kiểm tra Tỉnh ủy {t}", "agency", "cqd"),
    ("Ủy ban Mặt trận Tổ quốc tỉnh {t}", "agency", "cqd"), ("Tỉnh đoàn {t}", "agency", "cqd"),
    ("Sở Nội vụ {t}", "agency", "ub"), ("Sở Tư pháp {t}", "agency", "ub"),
    ("Sở Xây dựng {t}", "agency", "ub"), ("Thanh tra tỉnh {t}", "agency", "ub"),
    ("Sở Công Thương {t}", "agency", "ub"), ("Sở Văn hóa, Thể thao và Du lịch {t}", "agency", "ub"),
]

# The province scale's second old province: Lâm Đồng (before 7/2025), two of its districts,
# kept small; on 1/7/2025 it merges with Đắk Nông into the new Lâm Đồng.
LAM_DONG_OLD = "Lâm Đồng"
LAM_DONG_DISTRICTS: list[tuple[str, str, list[str]]] = [
    ("thành phố Đà Lạt", "da-lat", [
        "phường 1", "phường 2", "phường 3", "phường 4", "phường 5", "phường 7", "phường 8",
        "phường 9", "phường 10", "phường 11", "phường 12", "xã Xuân Thọ", "xã Xuân Trường",
        "xã Trạm Hành", "xã Tà Nung"]),
    ("thành phố Bảo Lộc", "bao-loc", [
        "phường 1", "phường 2", "phường B'Lao", "phường Lộc Phát", "phường Lộc Sơn",
        "phường Lộc Tiến", "xã Đại Lào", "xã Lộc Châu", "xã Đạm Bri", "xã Lộc Thanh", "xã Lộc Nga"]),
]
# names of the new đảng ủy xã/phường (1/7/2025) per old district, in the order they are formed
LAM_DONG_NEW_NAMES = {
    "da-lat": ["phường Xuân Hương - Đà Lạt", "phường Cam Ly - Đà Lạt", "phường Lâm Viên - Đà Lạt",
               "phường Lang Biang - Đà Lạt", "xã Xuân Trường - Đà Lạt", "phường Đà Lạt"],
    "bao-loc": ["phường 1 Bảo Lộc", "phường 2 Bảo Lộc", "phường B'Lao", "xã Đạm Bri", "phường 3 Bảo Lộc"],
}
NEW_PROVINCE_NAME = "Lâm Đồng"

# 63 provinces -> 34 (Nghị quyết of the National Assembly, 12/6/2025; in force 1/7/2025):
# (new name, [old names]); the first old name leads (ids of the new bodies are made with it).
PROVINCES_34: list[tuple[str, list[str]]] = [
    ("Tuyên Quang", ["Hà Giang", "Tuyên Quang"]), ("Lào Cai", ["Yên Bái", "Lào Cai"]),
    ("Thái Nguyên", ["Bắc Kạn", "Thái Nguyên"]), ("Phú Thọ", ["Vĩnh Phúc", "Hòa Bình", "Phú Thọ"]),
    ("Bắc Ninh", ["Bắc Giang", "Bắc Ninh"]), ("Hưng Yên", ["Thái Bình", "Hưng Yên"]),
    ("Hải Phòng", ["Hải Dương", "Hải Phòng"]), ("Ninh Bình", ["Hà Nam", "Nam Định", "Ninh Bình"]),
    ("Quảng Trị", ["Quảng Bình", "Quảng Trị"]), ("Đà Nẵng", ["Quảng Nam", "Đà Nẵng"]),
    ("Quảng Ngãi", ["Kon Tum", "Quảng Ngãi"]), ("Gia Lai", ["Gia Lai", "Bình Định"]),
    ("Khánh Hòa", ["Ninh Thuận", "Khánh Hòa"]), ("Lâm Đồng", ["Đắk Nông", "Bình Thuận", "Lâm Đồng"]),
    ("Đắk Lắk", ["Phú Yên", "Đắk Lắk"]),
    ("Thành phố Hồ Chí Minh", ["Bình Dương", "Bà Rịa - Vũng Tàu", "Thành phố Hồ Chí Minh"]),
    ("Đồng Nai", ["Bình Phước", "Đồng Nai"]), ("Tây Ninh", ["Long An", "Tây Ninh"]),
    ("Cần Thơ", ["Sóc Trăng", "Hậu Giang", "Cần Thơ"]), ("Vĩnh Long", ["Bến Tre", "Trà Vinh", "Vĩnh Long"]),
    ("Đồng Tháp", ["Tiền Giang", "Đồng Tháp"]), ("Cà Mau", ["Bạc Liêu", "Cà Mau"]),
    ("An Giang", ["Kiên Giang", "An Giang"]),
    ("Hà Nội", ["Hà Nội"]), ("Thừa Thiên Huế", ["Thừa Thiên Huế"]), ("Lai Châu", ["Lai Châu"]),
    ("Điện Biên", ["Điện Biên"]), ("Sơn La", ["Sơn La"]), ("Lạng Sơn", ["Lạng Sơn"]),
    ("Quảng Ninh", ["Quảng Ninh"]), ("Thanh Hóa", ["Thanh Hóa"]), ("Nghệ An", ["Nghệ An"]),
    ("Hà Tĩnh", ["Hà Tĩnh"]), ("Cao Bằng", ["Cao Bằng"]),
]
