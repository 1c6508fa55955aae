"""Vocabulary of the generated registry: names, places and company words, Vietnamese and other.

Vietnamese members write about half of their text with diacritics and half folded to ASCII, as
the real APNIC data does; `fold` makes the ASCII form.
"""
from __future__ import annotations

import functools
import unicodedata

VN_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
             "Ngô", "Dương", "Lý", "Đào", "Đoàn", "Vương", "Trương", "Cao", "Lâm", "Châu")
VN_MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Quang", "Thanh", "Ngọc", "Xuân", "Công", "Thu",
             "Hồng", "Quốc", "Tiến", "Bích", "Gia", "Khắc", "Như")
VN_GIVEN = ("Anh", "Bảo", "Cường", "Chi", "Dũng", "Duyên", "Đông", "Giang", "Hà", "Hải", "Hằng",
            "Hiền", "Hiếu", "Hòa", "Huệ", "Hưng", "Khang", "Khuê", "Lâm", "Liên", "Lợi", "Luân",
            "Mận", "Nghĩa", "Nhân", "Nhi", "Phát", "Phương", "Quyên", "Quỳnh", "Sang", "Tài", "Thắm",
            "Thịnh", "Thơ", "Tiên", "Trâm", "Trí", "Tùng", "Uyên", "Vy", "Xuyến", "Yên", "Ý")
VN_COMPANY = ("Công ty Cổ phần", "Công ty TNHH", "Công ty TNHH Một thành viên", "Tổng Công ty",
              "Tập đoàn", "Chi nhánh Công ty", "Ngân hàng Thương mại Cổ phần", "Trường Đại học",
              "Trung tâm", "Viện")
VN_TRADE = ("Viễn thông", "Truyền thông", "Công nghệ", "Dịch vụ Trực tuyến", "Mạng và Truyền số liệu",
            "Hạ tầng Số", "Giải pháp Điện toán", "Dữ liệu", "Truyền hình Số", "Phần mềm và Mạng")
VN_BRAND = ("Ánh Sao", "Bạch Mã", "Biển Xanh", "Cánh Diều", "Chân Trời", "Đại Dương", "Đông Đô",
            "Gia Định", "Hải Vân", "Hoàng Sa", "Hương Sen", "Kim Cương", "Lam Sơn", "Lũy Tre",
            "Mặt Trời", "Miền Tây", "Ngàn Sao", "Nhật Tân", "Phù Đổng", "Phương Đông", "Sao Mai",
            "Sông Hồng", "Sông Lam", "Tân Cảng", "Thái Bình", "Thiên Phú", "Thuận An", "Trúc Xanh",
            "Trường Thành", "Tuệ Minh", "Văn Lang", "Việt Tiến", "Vĩnh Hưng", "Xuân Hòa", "Yên Bình")
VN_STREETS = ("Trần Phú", "Lê Thánh Tông", "Nguyễn Huệ", "Hàng Bài", "Tràng Thi", "Đội Cấn",
              "Nguyễn Chí Thanh", "Hoàng Hoa Thám", "Pasteur", "Lý Tự Trọng", "Võ Thị Sáu",
              "Nguyễn Đình Chiểu", "Phan Đình Phùng", "Trường Chinh", "Cộng Hòa", "Lạc Long Quân",
              "Âu Cơ", "Bà Triệu", "Thái Hà", "Chùa Bộc")
# city, its districts, telephone area code (after +84), relative weight
VN_CITIES = (
    ("Hà Nội", ("Quận Ba Đình", "Quận Hoàn Kiếm", "Quận Đống Đa", "Quận Cầu Giấy", "Quận Tây Hồ",
                "Quận Hoàng Mai"), "24", 42),
    ("Thành phố Hồ Chí Minh", ("Quận 1", "Quận 3", "Quận 10", "Quận Gò Vấp", "Quận Bình Thạnh",
                               "Thành phố Thủ Đức"), "28", 38),
    ("Đà Nẵng", ("Quận Hải Châu", "Quận Ngũ Hành Sơn"), "236", 7),
    ("Hải Phòng", ("Quận Hồng Bàng", "Quận Kiến An"), "225", 5),
    ("Cần Thơ", ("Quận Bình Thủy", "Quận Ninh Kiều"), "292", 4),
    ("Huế", ("Phường Phú Hội", "Phường Vĩnh Ninh"), "234", 2),
    ("Nghệ An", ("Thành phố Vinh",), "238", 2),
)
WORDS = ("Aurora", "Banyan", "Cascade", "Cobalt", "Comet", "Condor", "Emerald", "Falcon", "Frontier",
         "Garnet", "Glacier", "Granite", "Harbor", "Indigo", "Juniper", "Kestrel", "Lagoon", "Maple",
         "Meridian", "Monarch", "Nimbus", "Northstar", "Opal", "Orchid", "Pinnacle", "Polaris",
         "Quartz", "Radiant", "Redwood", "Sapphire", "Sequoia", "Sierra", "Solstice", "Sparrow",
         "Stellar", "Tempest", "Terra", "Tidal", "Topaz", "Trident", "Vanguard", "Velocity", "Willow",
         "Zenith", "Cedar", "Anchor", "Atlas", "Lumen")
TRADE = ("Networks", "Telecom", "Broadband", "Internet", "Data", "Cloud", "Communications", "Online",
         "Infotech", "Connect")
FIRST = ("Aarav", "Akira", "Amelia", "Ananya", "Bao", "Chloe", "Dian", "Farida", "Haruto", "Hyun",
         "Ishaan", "Jia", "Kai", "Karan", "Lakshmi", "Mahmud", "Meera", "Noah", "Olivia", "Putri",
         "Rizal", "Sakura", "Seo-yeon", "Tariq", "Thomas", "Wira", "Xin", "Yusuf", "Zara", "Zhen")
LAST = ("Ahmed", "Bose", "Chang", "Das", "Fernando", "Gao", "Hasan", "Ito", "Jung", "Kato", "Khan",
        "Lin", "Mehta", "Mori", "Nair", "Ong", "Pratama", "Rao", "Saito", "Sato", "Shin", "Sun",
        "Tan", "Thapa", "Wu", "Yamada", "Yoon", "Zhou", "Hughes", "Walker")
STREETS = ("George Street", "Queen Street", "Market Road", "Bridge Road", "Church Street", "Beach Road",
           "Hill Street", "Lake Road", "Temple Road", "Garden Avenue", "Station Street", "King Street")
# country -> (cities with postcode and phone prefix), company suffixes, e-mail domain suffix
COUNTRIES = {
    "AU": ((("Sydney", "NSW 2000", "+61-2"), ("Melbourne", "VIC 3000", "+61-3"), ("Perth", "WA 6000", "+61-8")),
           ("Pty Ltd", "Networks Pty Ltd"), ".com.au"),
    "NZ": ((("Auckland", "1010", "+64-9"), ("Christchurch", "8011", "+64-3")), ("Limited",), ".co.nz"),
    "IN": ((("Mumbai", "400001", "+91-22"), ("Pune", "411001", "+91-20"), ("Hyderabad", "500001", "+91-40")),
           ("Private Limited", "Pvt Ltd"), ".co.in"),
    "BD": ((("Dhaka", "1000", "+880-2"), ("Chattogram", "4000", "+880-31")), ("Limited",), ".com.bd"),
    "PK": ((("Lahore", "54000", "+92-42"), ("Islamabad", "44000", "+92-51")), ("(Pvt) Ltd",), ".com.pk"),
    "ID": ((("Jakarta", "10110", "+62-21"), ("Bandung", "40111", "+62-22")), ("PT",), ".co.id"),
    "CN": ((("Beijing", "100000", "+86-10"), ("Hangzhou", "310000", "+86-571"), ("Chengdu", "610000", "+86-28")),
           ("Co., Ltd.",), ".com.cn"),
    "JP": ((("Tokyo", "100-0001", "+81-3"), ("Fukuoka", "810-0001", "+81-92")), ("K.K.", "Co., Ltd."), ".co.jp"),
    "KR": ((("Seoul", "04500", "+82-2"), ("Daejeon", "34000", "+82-42")), ("Co., Ltd.", "Inc."), ".co.kr"),
    "TW": ((("Taipei", "100", "+886-2"), ("Kaohsiung", "800", "+886-7")), ("Co., Ltd.",), ".com.tw"),
    "TH": ((("Bangkok", "10500", "+66-2"), ("Chiang Mai", "50000", "+66-53")), ("Co., Ltd.",), ".co.th"),
    "MY": ((("Kuala Lumpur", "50000", "+60-3"), ("Penang", "10000", "+60-4")), ("Sdn Bhd",), ".com.my"),
    "SG": ((("Singapore", "049315", "+65"),), ("Pte Ltd",), ".com.sg"),
    "PH": ((("Manila", "1000", "+63-2"), ("Cebu City", "6000", "+63-32")), ("Inc.",), ".com.ph"),
    "HK": ((("Hong Kong", "", "+852"),), ("Limited",), ".com.hk"),
    "KH": ((("Phnom Penh", "12000", "+855-23"),), ("Co., Ltd.",), ".com.kh"),
    "LA": ((("Vientiane", "01000", "+856-21"),), ("Sole Co., Ltd.",), ".la"),
    "MN": ((("Ulaanbaatar", "15160", "+976-11"),), ("LLC",), ".mn"),
    "NP": ((("Kathmandu", "44600", "+977-1"),), ("Pvt. Ltd.",), ".com.np"),
    "LK": ((("Colombo", "00100", "+94-11"),), ("(Private) Limited",), ".lk"),
}
VN_DOMAINS = (".vn", ".com.vn", ".net.vn")
SERVICES = ("Broadband", "FTTH", "Hosting", "Data Center", "Enterprise", "Mobile", "Leased Line",
            "Cloud", "Government", "Education", "Wifi", "IPTV")
VN_SERVICES = ("Băng rộng", "Cáp quang FTTH", "Trung tâm Dữ liệu", "Doanh nghiệp", "Di động",
               "Kênh thuê riêng", "Điện toán Đám mây", "Chính phủ điện tử", "Giáo dục", "Truyền hình IPTV")


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Vietnamese text without diacritics ("Đống Đa" -> "Dong Da"), as half of the real records are."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
