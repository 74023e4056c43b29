"""Demo data: the Jing'an Temple (静安寺街道) business district, Shanghai.

`build_plan(today)` computes the whole district in memory (pure: no Flask, no database) from
fixed random seeds, so the same `today` always gives the same data, and the natural keys (grid
and building names, USCCs, emails) never depend on `today` at all. `seed()` then inserts only
the rows whose natural key is missing and leaves existing rows alone (a user may have edited
them), so a second run changes nothing. It flushes; the caller commits.

Multinationals appear under their real brand names to make the demo recognisable; every figure
(tax, employees, dates, contacts) is invented.
"""
from __future__ import annotations

import math
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import (
    Building,
    Enterprise,
    EnterpriseStatus,
    Grid,
    HQType,
    KeyTier,
    Role,
    TaxRecord,
    User,
    building_officers,
)
from app.uscc import ALPHABET
from app.uscc import make as make_uscc

DEMO_PASSWORD = "butler-demo-2026"
#: Jing'an Temple's own address is 1686 Nanjing Road West.
SEED = 1686
TAX_MONTHS = 36

# ---------------------------------------------------------------------------------------------
# Static reference data
# ---------------------------------------------------------------------------------------------

GRIDS = [
    ("Nanjing Road West North", "南京西路北网格"),
    ("Nanjing Road West South", "南京西路南网格"),
    ("Yan'an Road Middle", "延安中路网格"),
    ("Huashan Road", "华山路网格"),
    ("Changle–Julu Road", "长乐巨鹿网格"),
    ("Beijing Road West", "北京西路网格"),
]


@dataclass(frozen=True)
class StaffSpec:
    email: str
    name: str
    role: Role
    phone: str


ADMIN, CHIEF, OFFICER, LEADER = "admin@butler.demo", "chief@butler.demo", "officer@butler.demo", "leader@butler.demo"
XU, LIU, ZHAO, SUN, ZHOU = (
    "xu.jing@butler.demo",
    "liu.yang@butler.demo",
    "zhao.min@butler.demo",
    "sun.hao@butler.demo",
    "zhou.ting@butler.demo",
)
STAFF = [
    StaffSpec(ADMIN, "Chen Jie 陈杰", Role.admin, "13801625580"),
    StaffSpec(CHIEF, "Zhang Wei 张伟", Role.chief, "13916082231"),
    StaffSpec(OFFICER, "Li Na 李娜", Role.officer, "13764410926"),
    StaffSpec(LEADER, "Wang Fang 王芳", Role.leader, "13601897735"),
    StaffSpec(XU, "Xu Jing 徐静", Role.chief, "13917550462"),
    StaffSpec(LIU, "Liu Yang 刘洋", Role.officer, "18621073394"),
    StaffSpec(ZHAO, "Zhao Min 赵敏", Role.officer, "15801932207"),
    StaffSpec(SUN, "Sun Hao 孙浩", Role.officer, "13524786619"),
    StaffSpec(ZHOU, "Zhou Ting 周婷", Role.officer, "18017364458"),
]
COACH = "COACH (Shanghai) Trading Co., Ltd."
CONTACT = StaffSpec("contact@coach.demo", "Lin Jiahui 林佳慧", Role.enterprise, "13671823046")


@dataclass(frozen=True)
class BuildingSpec:
    name: str
    name_zh: str
    address: str
    grid: str
    gross_floor_area: int
    office_area: int
    floors: int
    officers: tuple[str, ...]
    tenants: int
    #: Average monthly tax over the last 12 months, RMB m; None for the four 100m-a-month towers.
    target_m: float | None


NRW_N, NRW_S, YANAN, HUASHAN, CHANGLE, BJW = (g[0] for g in GRIDS)
#: The four towers that each pay about RMB 100 m a month: (name, lowest year-to-date monthly average, RMB m).
TOWERS = {
    "Park Place": 104.0,
    "Wheelock Square": 101.5,
    "1788 International Center": 104.5,
    "Ping'an Building": 102.5,
}
B = BuildingSpec
BUILDINGS = [
    B("Park Place", "嘉里中心", "1601 Nanjing Road West", NRW_S, 162_000, 118_000, 43, (OFFICER, CHIEF), 24, None),
    B("Wheelock Square", "会德丰国际广场", "1717 Nanjing Road West", NRW_S, 110_000, 98_000, 61, (OFFICER,), 24, None),
    B("1788 International Center", "1788国际中心", "1788 Nanjing Road West", NRW_N, 171_000, 135_000, 45, (XU, LIU), 24, None),
    B("Ping'an Building", "平安大厦", "1333 Nanjing Road West", NRW_S, 98_000, 72_000, 38, (CHIEF, ZHAO), 24, None),
    B("Plaza 66", "恒隆广场", "1266 Nanjing Road West", NRW_N, 213_000, 160_000, 66, (XU, OFFICER), 18, 85),
    B("CITIC Square", "中信泰富广场", "1168 Nanjing Road West", NRW_N, 120_000, 78_000, 38, (LIU,), 15, 80),
    B("Shanghai Centre", "上海商城", "1376 Nanjing Road West", NRW_N, 185_000, 55_000, 48, (XU,), 14, 72),
    B("Westgate Tower", "梅龙镇广场", "1038 Nanjing Road West", NRW_N, 128_000, 62_000, 52, (LIU, SUN), 13, 60),
    B("Dong Hai Plaza", "东海广场", "1486 Nanjing Road West", NRW_N, 76_000, 48_000, 32, (SUN,), 12, 52),
    B("Jing'an Financial Plaza", "静安金融大厦", "800 Changde Road", NRW_N, 68_000, 51_000, 30, (ZHAO,), 12, 50),
    B("Jing'an China Tower", "静安中华大厦", "1701 Beijing Road West", BJW, 60_000, 44_000, 33, (ZHOU,), 11, 45),
    B("Yanzhong Plaza", "延中广场", "1228 Yan'an Road Middle", YANAN, 58_000, 41_000, 28, (ZHAO,), 11, 40),
    B("Jiuguang Centre", "久光中心", "1618 Nanjing Road West", NRW_N, 92_000, 30_000, 19, (SUN,), 10, 36),
    B("Huashan Business Centre", "华山商务中心", "328 Huashan Road", HUASHAN, 46_000, 35_000, 22, (ZHOU,), 11, 34),
    B("Jing'an Sunshine Tower", "静安阳光大厦", "1500 Beijing Road West", BJW, 52_000, 38_000, 24, (ZHOU, CHIEF), 11, 33),
    B("Jing'an Temple Plaza", "静安寺广场", "1699 Nanjing Road West", NRW_S, 44_000, 26_000, 18, (OFFICER,), 10, 31),
    B("Tongren Tower", "铜仁大厦", "258 Tongren Road", NRW_N, 39_000, 29_000, 18, (SUN,), 10, 28),
    B("Yuyuan Centre", "愚园中心", "128 Yuyuan Road", BJW, 36_000, 27_000, 20, (ZHOU,), 10, 26),
    B("Exhibition Centre Office Building", "展览中心办公楼", "1000 Yan'an Road Middle", YANAN, 31_000, 18_000, 12, (ZHAO,), 8, 22),
    B("Anyi Tower", "安义大厦", "18 Anyi Road", NRW_N, 28_000, 21_000, 15, (LIU,), 9, 20),
    B("Shanghai Hotel Business Centre", "上海宾馆商务中心", "505 Wulumuqi Road North", HUASHAN, 24_000, 12_000, 26, (ZHOU,), 7, 15),
    B("Changle Creative Centre", "长乐创意中心", "800 Changle Road", CHANGLE, 18_000, 14_000, 8, (SUN, ZHAO), 12, 10),
    B("Julu 818 Media Park", "巨鹿818传媒园", "818 Julu Road", CHANGLE, 15_000, 11_000, 6, (SUN,), 10, 9),
    B("Hilton Shanghai", "静安希尔顿酒店", "250 Huashan Road", HUASHAN, 66_000, 4_000, 43, (ZHOU,), 4, 8),
    B("The PuLi Hotel", "璞丽酒店", "1 Changde Road", YANAN, 38_000, 2_500, 26, (ZHAO,), 3, 6),
    B("Jing'an Guesthouse", "静安宾馆", "370 Huashan Road", HUASHAN, 21_000, 1_500, 9, (ZHOU,), 3, 4),
]
del B

#: Regional headquarters of multinationals (跨国公司地区总部): name, Chinese name, industry, building.
MULTINATIONALS = [
    ("ADIENT (China) Investment Co., Ltd.", "安道拓(中国)投资有限公司", "L", "Wheelock Square"),
    (COACH, "蔻驰贸易(上海)有限公司", "F", "Park Place"),
    ("L'ORÉAL (China) Co., Ltd.", "欧莱雅(中国)有限公司", "F", "1788 International Center"),
    ("Estée Lauder (Shanghai) Commercial Co., Ltd.", "雅诗兰黛(上海)商贸有限公司", "F", "Park Place"),
    ("Shiseido (China) Investment Co., Ltd.", "资生堂(中国)投资有限公司", "L", "Ping'an Building"),
    ("Tiffany & Co. (Shanghai) Commercial Co., Ltd.", "蒂芙尼(上海)商业有限公司", "F", "Plaza 66"),
    ("Burberry (Shanghai) Trading Co., Ltd.", "博柏利(上海)贸易有限公司", "F", "Plaza 66"),
    ("Ralph Lauren (Shanghai) Trading Co., Ltd.", "拉夫劳伦(上海)贸易有限公司", "F", "Westgate Tower"),
    ("Kering (China) Trading Co., Ltd.", "开云(中国)贸易有限公司", "F", "1788 International Center"),
    ("Swarovski (Shanghai) Trading Co., Ltd.", "施华洛世奇(上海)贸易有限公司", "F", "CITIC Square"),
    ("Hugo Boss (Shanghai) Trading Co., Ltd.", "雨果博斯(上海)贸易有限公司", "F", "Jiuguang Centre"),
    ("Moët Hennessy Diageo (Shanghai) Trading Co., Ltd.", "酩悦轩尼诗帝亚吉欧(上海)贸易有限公司", "F", "Shanghai Centre"),
    ("Beiersdorf (China) Investment Co., Ltd.", "拜尔斯道夫(中国)投资有限公司", "L", "Ping'an Building"),
    ("Henkel (China) Investment Co., Ltd.", "汉高(中国)投资有限公司", "L", "Wheelock Square"),
    ("Givaudan (China) Investment Co., Ltd.", "奇华顿(中国)投资有限公司", "L", "Dong Hai Plaza"),
    ("Johnson Controls (China) Investment Co., Ltd.", "江森自控(中国)投资有限公司", "L", "Wheelock Square"),
    ("Mars (China) Investment Co., Ltd.", "玛氏(中国)投资有限公司", "L", "1788 International Center"),
    ("Jones Lang LaSalle Surveyors (Shanghai) Co., Ltd.", "仲量联行测量师事务所(上海)有限公司", "K", "Park Place"),
    ("CBRE (Shanghai) Property Management Co., Ltd.", "世邦魏理仕(上海)物业管理有限公司", "K", "CITIC Square"),
    ("Savills Property Services (Shanghai) Co., Ltd.", "第一太平戴维斯物业顾问(上海)有限公司", "K", "Plaza 66"),
    ("KPMG Advisory (China) Co., Ltd. Shanghai Branch", "毕马威企业咨询(中国)有限公司上海分公司", "L", "Plaza 66"),
    ("McKinsey & Company (Shanghai) Consulting Co., Ltd.", "麦肯锡(上海)咨询有限公司", "L", "Wheelock Square"),
    ("Ogilvy & Mather Advertising Shanghai Co., Ltd.", "上海奥美广告有限公司", "L", "Shanghai Centre"),
    ("Dentsu (China) Investment Co., Ltd.", "电通(中国)投资有限公司", "L", "Westgate Tower"),
    ("DBS Bank (China) Limited Shanghai Branch", "星展银行(中国)有限公司上海分行", "J", "Park Place"),
    ("UBS Asset Management (Shanghai) Limited", "瑞银资产管理(上海)有限公司", "J", "1788 International Center"),
    ("Allianz (China) Insurance Holding Co., Ltd.", "安联(中国)保险控股有限公司", "J", "Ping'an Building"),
    ("Fidelity International (Shanghai) Investment Management Co., Ltd.", "富达国际(上海)投资管理有限公司", "J", "Park Place"),
    ("SAP (China) Co., Ltd. Shanghai Branch", "思爱普(中国)有限公司上海分公司", "I", "Ping'an Building"),
    ("Autodesk Software (China) Co., Ltd.", "欧特克软件(中国)有限公司", "I", "Jing'an Financial Plaza"),
    ("Dassault Systèmes (Shanghai) Information Technology Co., Ltd.", "达索系统(上海)信息技术有限公司", "I", "1788 International Center"),
    ("Continental Automotive Holding (China) Co., Ltd.", "大陆汽车投资(中国)有限公司", "L", "Wheelock Square"),
]

#: Ordinary enterprises with a fixed home: the hotels' operating companies.
FIXED_ORDINARY = [
    ("Shanghai Jing'an Hilton Hotel Co., Ltd.", "上海静安希尔顿酒店有限公司", "H", "Hilton Shanghai", "jinganhilton"),
    ("Shanghai PuLi Hotel Management Co., Ltd.", "上海璞丽酒店管理有限公司", "H", "The PuLi Hotel", "thepuli"),
    ("Shanghai Jing'an Guesthouse Co., Ltd.", "上海静安宾馆有限公司", "H", "Jing'an Guesthouse", "jinganguesthouse"),
]

#: Trade names (字号) for ordinary companies: pinyin and Chinese.
TRADE_NAMES = [
    ("Jinghong", "景宏"), ("Huaxin", "华信"), ("Ruiyuan", "瑞源"), ("Hengtai", "恒泰"), ("Boyuan", "博远"),
    ("Zhongchuang", "众创"), ("Xinghe", "星河"), ("Yuanjing", "远景"), ("Tianrun", "天润"), ("Jiahe", "嘉禾"),
    ("Shengda", "盛达"), ("Kaiyuan", "凯源"), ("Mingde", "明德"), ("Haorui", "浩睿"), ("Yida", "亿达"),
    ("Lianchuang", "联创"), ("Qiming", "启明"), ("Xinyuan", "信源"), ("Huiying", "汇盈"), ("Dingsheng", "鼎盛"),
    ("Ronghui", "融汇"), ("Zhiyuan", "致远"), ("Baichuan", "百川"), ("Chenguang", "晨光"), ("Fengyi", "丰益"),
    ("Guanghua", "光华"), ("Hongyu", "鸿宇"), ("Jiayi", "佳艺"), ("Kunlun", "昆仑"), ("Langyue", "朗悦"),
    ("Meilin", "美林"), ("Puhui", "普惠"), ("Qianhe", "乾和"), ("Ruifeng", "瑞丰"), ("Shangpin", "尚品"),
    ("Taihe", "泰和"), ("Wanxiang", "万象"), ("Xinrui", "新锐"), ("Yaxin", "雅信"), ("Zhongheng", "中恒"),
    ("Anxin", "安信"), ("Bochuang", "博创"), ("Cuiwei", "翠微"), ("Jinghua", "菁华"), ("Fuxin", "富鑫"),
    ("Haina", "海纳"), ("Jingcheng", "静城"), ("Linghang", "领航"), ("Mingyuan", "明源"), ("Qingyun", "青云"),
    ("Ruixiang", "瑞象"), ("Shenghua", "晟华"), ("Xiangyun", "祥云"), ("Yunfan", "云帆"), ("Zhuoyue", "卓越"),
    ("Huayu", "华裕"), ("Youran", "悠然"), ("Sihai", "四海"), ("Jinhui", "金汇"), ("Yuheng", "玉衡"),
]

#: Lines of business: English, Chinese, GB/T 4754 section, weight, may be an HQ institution.
BUSINESSES = [
    ("Investment Management Co., Ltd.", "投资管理有限公司", "L", 4, True),
    ("Enterprise Management Co., Ltd.", "企业管理有限公司", "L", 4, True),
    ("Business Consulting Co., Ltd.", "商务咨询有限公司", "L", 4, False),
    ("Human Resources Co., Ltd.", "人力资源有限公司", "L", 2, False),
    ("Advertising Co., Ltd.", "广告有限公司", "L", 2, False),
    ("Asset Management Co., Ltd.", "资产管理有限公司", "J", 3, True),
    ("Private Equity Fund Management Co., Ltd.", "私募基金管理有限公司", "J", 3, False),
    ("Financial Leasing Co., Ltd.", "融资租赁有限公司", "J", 2, False),
    ("Securities Investment Consulting Co., Ltd.", "证券投资咨询有限公司", "J", 1, False),
    ("Information Technology Co., Ltd.", "信息技术有限公司", "I", 4, False),
    ("Software Co., Ltd.", "软件有限公司", "I", 2, False),
    ("Network Technology Co., Ltd.", "网络科技有限公司", "I", 3, False),
    ("Engineering Consulting Co., Ltd.", "工程咨询有限公司", "M", 2, False),
    ("Architectural Design Co., Ltd.", "建筑设计有限公司", "M", 2, False),
    ("Biotechnology Co., Ltd.", "生物科技有限公司", "M", 1, False),
    ("Testing Technology Co., Ltd.", "检测技术有限公司", "M", 1, False),
    ("Trading Co., Ltd.", "贸易有限公司", "F", 4, True),
    ("Import & Export Co., Ltd.", "进出口有限公司", "F", 2, False),
    ("Commercial Co., Ltd.", "商贸有限公司", "F", 2, False),
    ("Real Estate Development Co., Ltd.", "房地产开发有限公司", "K", 1, False),
    ("Property Management Co., Ltd.", "物业管理有限公司", "K", 2, False),
    ("Real Estate Agency Co., Ltd.", "房地产经纪有限公司", "K", 1, False),
    ("Catering Management Co., Ltd.", "餐饮管理有限公司", "H", 1, False),
    ("Culture Media Co., Ltd.", "文化传媒有限公司", "R", 1, False),
    ("Education Technology Co., Ltd.", "教育科技有限公司", "P", 1, False),
    ("Clinic Co., Ltd.", "门诊部有限公司", "Q", 1, False),
    ("Construction Engineering Co., Ltd.", "建设工程有限公司", "E", 1, False),
    ("Supply Chain Management Co., Ltd.", "供应链管理有限公司", "G", 1, False),
]

MOVE_OUT_REASONS = [
    "Relocated to Lujiazui",
    "Consolidated into Beijing HQ",
    "Moved to Qiantan International Business District",
    "Relocated to Hongqiao for lower rent",
    "Merged into the group company in Hangzhou",
    "Business wound down; deregistered",
    "Moved to Xuhui West Bund after lease expiry",
]

SURNAMES = [
    ("Wang", "王"), ("Li", "李"), ("Zhang", "张"), ("Liu", "刘"), ("Chen", "陈"), ("Yang", "杨"), ("Huang", "黄"),
    ("Zhao", "赵"), ("Wu", "吴"), ("Zhou", "周"), ("Xu", "徐"), ("Sun", "孙"), ("Ma", "马"), ("Zhu", "朱"),
    ("Hu", "胡"), ("Guo", "郭"), ("He", "何"), ("Lin", "林"), ("Gao", "高"), ("Shen", "沈"), ("Gu", "顾"),
    ("Lu", "陆"), ("Jiang", "蒋"), ("Qian", "钱"), ("Tang", "唐"), ("Feng", "冯"),
]
GIVEN_NAMES = [
    ("Wei", "伟"), ("Fang", "芳"), ("Min", "敏"), ("Jing", "静"), ("Lei", "磊"), ("Yan", "燕"), ("Jun", "军"),
    ("Yang", "洋"), ("Yong", "勇"), ("Jie", "杰"), ("Juan", "娟"), ("Tao", "涛"), ("Ming", "明"), ("Chao", "超"),
    ("Xiulan", "秀兰"), ("Xia", "霞"), ("Ping", "平"), ("Gang", "刚"), ("Hui", "慧"), ("Jiayi", "佳怡"),
    ("Zihan", "子涵"), ("Haoran", "浩然"), ("Yuting", "雨婷"), ("Zhiqiang", "志强"), ("Xinyi", "欣怡"),
    ("Yifan", "一帆"), ("Siyuan", "思远"), ("Wenjie", "文杰"), ("Lina", "丽娜"), ("Qiang", "强"),
]

#: Chinese tax seasonality: quarterly CIT prepayments (Jan/Apr/Jul/Oct), annual settlement in May,
#: the Spring Festival lull in February.
SEASON = {1: 1.07, 2: 0.88, 3: 0.97, 4: 1.06, 5: 1.12, 6: 0.97, 7: 1.05, 8: 0.94, 9: 0.97, 10: 1.04, 11: 0.96, 12: 0.97}

N_MOVED_OUT = len(MOVE_OUT_REASONS)
N_AT_RISK = 10
N_MOVED_IN_RECENTLY = 24
N_NOT_REGISTERED = 10
N_HQ_INSTITUTIONS = 18
N_DISTRICT_KEY = 16
N_SUBDISTRICT_KEY = 60

# ---------------------------------------------------------------------------------------------
# The plan (pure)
# ---------------------------------------------------------------------------------------------


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _month_key(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class EnterprisePlan:
    uscc: str
    name: str
    name_zh: str
    industry: str
    building: str
    hq_type: HQType = HQType.none
    hq_recognised_on: date | None = None
    unit: str | None = None
    registered_in_district: bool = True
    employees: int | None = None
    moved_in_on: date | None = None
    moved_out_on: date | None = None
    move_out_reason: str | None = None
    key_tier: KeyTier = KeyTier.normal
    officer: str | None = None
    status: EnterpriseStatus = EnterpriseStatus.active
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    # Planning only, not stored:
    young: bool = False
    moved_in_recently: bool = False
    hq_eligible: bool = False
    slug: str = ""

    def row(self, building_id: int, officer_id: int | None) -> dict:
        """The Enterprise columns, for a bulk insert."""
        return {
            "uscc": self.uscc, "name": self.name, "name_zh": self.name_zh, "industry": self.industry,
            "hq_type": self.hq_type, "hq_recognised_on": self.hq_recognised_on, "building_id": building_id,
            "unit": self.unit, "registered_in_district": self.registered_in_district, "employees": self.employees,
            "moved_in_on": self.moved_in_on, "moved_out_on": self.moved_out_on,
            "move_out_reason": self.move_out_reason, "key_tier": self.key_tier, "officer_id": officer_id,
            "status": self.status, "contact_name": self.contact_name, "contact_phone": self.contact_phone,
            "contact_email": self.contact_email, "uscc_override": False,
        }


@dataclass
class Plan:
    months: list[str]
    enterprises: list[EnterprisePlan]
    #: uscc -> [(month, total_tax, district_tax)]
    tax: dict[str, list[tuple[str, Decimal, Decimal]]]


def build_plan(today: date) -> Plan:
    """The whole demo district for `today`: deterministic, and its natural keys do not depend on `today`."""
    last = _month_index(today) - 1  # the last complete month
    enterprises = _plan_identities(random.Random(SEED))
    _plan_attributes(enterprises, last, random.Random(SEED + 1))
    tax = _plan_tax(enterprises, last, random.Random(SEED + 2))
    _plan_key_tiers(enterprises, tax)
    return Plan([_month_key(m) for m in range(last - TAX_MONTHS + 1, last + 1)], enterprises, tax)


def _org_code(rng: random.Random, *, foreign: bool, young: bool) -> str:
    """The 9-character organisation code part of a USCC (new codes start MA after 2015)."""
    if young:
        return "MA1" + "".join(rng.choice(ALPHABET[:31]) for _ in range(6))
    prefix = rng.choice(["60", "71", "73", "74", "75"] if foreign else ["13", "32", "55", "66", "69", "76", "78"])
    return f"{prefix}{rng.randrange(10**6, 10**7)}"


def _slug(text: str) -> str:
    """ASCII letters and digits only, accents dropped: "L'ORÉAL" -> "loreal"."""
    plain = unicodedata.normalize("NFKD", text).lower()
    return "".join(ch for ch in plain if ch.isascii() and ch.isalnum())


def _plan_identities(rng: random.Random) -> list[EnterprisePlan]:
    """Names, USCCs, buildings and life stories: everything that must not depend on `today`."""
    used_codes: set[str] = set()

    def uscc(foreign: bool, young: bool) -> str:
        while True:
            code = make_uscc(("91310000" if foreign else "91310106") + _org_code(rng, foreign=foreign, young=young))
            if code not in used_codes:
                used_codes.add(code)
                return code

    enterprises = [
        EnterprisePlan(uscc(True, False), name, zh, industry, building, hq_type=HQType.regional_hq,
                       slug=_slug(name.split(" (")[0].split(" ")[0]))
        for name, zh, industry, building in MULTINATIONALS
    ]
    fixed = [
        EnterprisePlan(uscc(False, False), name, zh, industry, building, slug=slug)
        for name, zh, industry, building, slug in FIXED_ORDINARY
    ]

    slots = []
    for spec in BUILDINGS:
        placed = sum(1 for e in enterprises + fixed if e.building == spec.name)
        slots += [spec.name] * (spec.tenants - placed)
    rng.shuffle(slots)

    weights = [b[3] for b in BUSINESSES]
    used_names: set[tuple[int, int]] = set()
    ordinary = []
    for building in slots:
        while True:
            t = rng.randrange(len(TRADE_NAMES))
            b = rng.choices(range(len(BUSINESSES)), weights)[0]
            if (t, b) not in used_names:
                used_names.add((t, b))
                break
        (trade, trade_zh), (biz, biz_zh, industry, _, hq_eligible) = TRADE_NAMES[t], BUSINESSES[b]
        young = rng.random() < 0.4
        ordinary.append(
            EnterprisePlan(
                uscc(False, young), f"Shanghai {trade} {biz}", f"上海{trade_zh}{biz_zh}", industry, building,
                young=young, hq_eligible=hq_eligible, slug=_slug(trade) + _slug(biz.split(" ")[0]),
            )
        )

    # Life stories, drawn only among ordinary companies (no invented relocations for real brands).
    pool = list(range(len(ordinary)))
    rng.shuffle(pool)
    cursor = 0

    def take(n: int) -> list[EnterprisePlan]:
        nonlocal cursor
        chosen = [ordinary[i] for i in pool[cursor:cursor + n]]
        cursor += n
        return chosen

    for e, reason in zip(take(N_MOVED_OUT), MOVE_OUT_REASONS):
        e.status, e.move_out_reason = EnterpriseStatus.moved_out, reason
    for e in take(N_AT_RISK):
        e.status = EnterpriseStatus.at_risk
    for e in take(N_MOVED_IN_RECENTLY):
        e.moved_in_recently = e.young = True
    for e in take(N_NOT_REGISTERED):
        e.registered_in_district = False
    hq_candidates = [e for e in ordinary if e.hq_eligible and e.status is EnterpriseStatus.active]
    for e in rng.sample(hq_candidates, N_HQ_INSTITUTIONS):
        e.hq_type = HQType.hq_institution
    return enterprises + fixed + ordinary



def _person(rng: random.Random) -> tuple[str, str]:
    """A contact: 'Pinyin 汉字' display name and the local part of an email address."""
    (sur, sur_zh), (given, given_zh) = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
    return f"{sur} {given} {sur_zh}{given_zh}", f"{given}.{sur}".lower()


def _plan_attributes(enterprises: list[EnterprisePlan], last: int, rng: random.Random) -> None:
    """Dates, units, people: the same number of draws per enterprise whatever `today` is."""
    anchor = _month_start(last + 1)
    buildings = {b.name: b for b in BUILDINGS}
    units: set[tuple[str, str]] = set()
    for e in enterprises:
        spec = buildings[e.building]
        old_months, young_months, recent_k = rng.randint(40, 320), rng.randint(38, 125), rng.randint(1, 33)
        day, out_k, out_day = rng.randint(0, 27), rng.randint(0, 27), rng.randint(0, 27)
        recognised_after, recognised_floor = rng.randint(200, 2500), rng.randint(30, 400)
        if e.moved_in_recently:
            e.moved_in_on = _month_start(last - recent_k) + timedelta(days=day)
        else:
            months_ago = young_months if e.young else old_months
            e.moved_in_on = _month_start(last - months_ago) + timedelta(days=day)
        if e.status is EnterpriseStatus.moved_out:
            e.moved_out_on = _month_start(last - out_k) + timedelta(days=out_day)
        if e.hq_type is not HQType.none:
            e.hq_recognised_on = min(
                e.moved_in_on + timedelta(days=recognised_after), anchor - timedelta(days=recognised_floor)
            )

        while True:
            floor = rng.randint(2, max(2, spec.floors - 1))
            unit = f"{floor}F-{floor}{rng.randint(1, 12):02d}"
            if (e.building, unit) not in units:
                units.add((e.building, unit))
                e.unit = unit
                break

        size = rng.lognormvariate(3.3, 1.0)
        if e.hq_type is HQType.regional_hq:
            e.employees = rng.randint(120, 1500)
        elif e.hq_type is HQType.hq_institution:
            e.employees = rng.randint(60, 600)
        else:
            e.employees = min(1800, int(size) + 3)

        e.officer = rng.choice(spec.officers)
        name, local = _person(rng)
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        e.contact_name, e.contact_phone, e.contact_email = name, phone, f"{local}@{e.slug}.demo"
        if e.name == COACH:
            e.contact_name, e.contact_phone, e.contact_email = CONTACT.name, CONTACT.phone, CONTACT.email


def _weight_mu(e: EnterprisePlan) -> float:
    if e.hq_type is HQType.regional_hq:
        return 2.3
    if e.hq_type is HQType.hq_institution:
        return 1.6
    return {"J": 1.2, "L": 0.5, "K": 0.5, "I": 0.3, "M": 0.3}.get(e.industry, 0.0)


def _plan_tax(enterprises: list[EnterprisePlan], last: int, rng: random.Random) -> dict[str, list]:
    """Monthly tax per enterprise: size × trend × season × noise, calibrated per building."""
    first = last - TAX_MONTHS + 1
    window = range(first, last + 1)
    raw: dict[str, dict[int, float]] = {}
    ratios: dict[str, Decimal] = {}
    for e in enterprises:
        weight = rng.lognormvariate(_weight_mu(e), 1.0)
        growth = min(0.35, max(-0.2, rng.gauss(0.05, 0.08))) + (0.1 if e.young else 0.0)
        if e.building in TOWERS:  # mature towers: steady, so they stay near 100 m a month all year
            growth = 0.02 + (growth - 0.05) / 3
        amplitude = rng.uniform(0.4, 1.2)
        ratios[e.uscc] = Decimal(f"{rng.uniform(0.25, 0.40):.3f}")
        noise = [rng.gauss(0.0, 0.05) for _ in window]
        if not e.registered_in_district:
            continue  # tax follows the registered address: paid elsewhere
        start = _month_index(e.moved_in_on)
        end = _month_index(e.moved_out_on) if e.moved_out_on else last
        series = {}
        for m, eps in zip(window, noise):
            if m < start or m > end:
                continue
            value = weight * (1 + growth) ** ((m - last) / 12) * (1 + amplitude * (SEASON[m % 12 + 1] - 1))
            value *= math.exp(eps) * {0: 0.45, 1: 0.75}.get(m - start, 1.0)  # ramp-up after moving in
            if e.status is EnterpriseStatus.at_risk:  # down ~45 % year on year by now
                value *= 0.45 + 0.55 * min(last - m, 15) / 15
            if e.moved_out_on:  # fading in the half year before leaving
                value *= 0.55 + 0.45 * min(end - m, 6) / 6
            series[m] = value
        raw[e.uscc] = series

    by_building: dict[str, list[EnterprisePlan]] = defaultdict(list)
    for e in enterprises:
        by_building[e.building].append(e)
    scale: dict[str, float] = {}
    last12 = range(last - 11, last + 1)
    for spec in BUILDINGS:
        totals = defaultdict(float)
        for e in by_building[spec.name]:
            for m, value in raw.get(e.uscc, {}).items():
                totals[m] += value
        if spec.target_m is None:
            # A 100m-a-month tower: its year-to-date average stays above 100 m in each of the last 12 months.
            ytd = [sum(totals[j] for j in range(m - m % 12, m + 1)) / (m % 12 + 1) for m in last12]
            scale[spec.name] = TOWERS[spec.name] * 1e6 / (min(ytd) or 1.0)
        else:
            scale[spec.name] = spec.target_m * 1e6 / ((sum(totals[m] for m in last12) / 12) or 1.0)

    tax: dict[str, list] = {}
    cent = Decimal("0.01")
    for e in enterprises:
        rows = []
        for m, value in sorted(raw.get(e.uscc, {}).items()):
            total = Decimal(f"{value * scale[e.building]:.2f}")
            rows.append((_month_key(m), total, (total * ratios[e.uscc]).quantize(cent)))
        tax[e.uscc] = rows
    return tax


def _plan_key_tiers(enterprises: list[EnterprisePlan], tax: dict[str, list]) -> None:
    """The biggest taxpayers (average over their months) are district-key, the next sub-district-key."""
    def average(e: EnterprisePlan) -> Decimal:
        rows = tax[e.uscc]
        return sum((r[1] for r in rows), Decimal(0)) / len(rows) if rows else Decimal(0)

    ranked = sorted(enterprises, key=lambda e: (average(e), e.uscc), reverse=True)
    for i, e in enumerate(ranked):
        if i < N_DISTRICT_KEY:
            e.key_tier = KeyTier.district_key
        elif i < N_DISTRICT_KEY + N_SUBDISTRICT_KEY or e.hq_type is not HQType.none:
            e.key_tier = KeyTier.subdistrict_key


# ---------------------------------------------------------------------------------------------
# Writing it (idempotent: insert what is missing, never update)
# ---------------------------------------------------------------------------------------------


@dataclass
class SeedSummary:
    #: table -> [created, already there]
    counts: dict[str, list[int]] = field(default_factory=dict)
    #: The demo accounts: (email, role value).
    accounts: list[tuple[str, str]] = field(default_factory=list)
    months: tuple[str, str] = ("", "")

    def count(self, what: str, created: int, existing: int) -> None:
        self.counts[what] = [created, existing]

    @property
    def created(self) -> int:
        return sum(c for c, _ in self.counts.values())

    def lines(self) -> list[str]:
        lines = [f"{what}: {c:,} created, {e:,} already there" for what, (c, e) in self.counts.items()]
        lines.append(f"tax months: {self.months[0]} to {self.months[1]}")
        return lines


def seed(today: date | None = None) -> SeedSummary:
    """Load the Jing'an Temple demo district; rows already there (by natural key) are left alone."""
    plan = build_plan(today or date.today())
    summary = SeedSummary(months=(plan.months[0], plan.months[-1]))
    grid_ids = _seed_grids(summary)
    staff = _seed_staff(summary)
    building_ids = _seed_buildings(grid_ids, staff, summary)
    enterprises = _seed_enterprises(plan, building_ids, staff, summary)
    contact = _seed_contact(plan, enterprises, summary)
    _seed_tax(plan, enterprises, summary)
    summary.accounts = [(s.email, s.role.value) for s in [*STAFF[:4], contact, *STAFF[4:]]]
    db.session.flush()
    return summary


def _seed_grids(summary: SeedSummary) -> dict[str, int]:
    names = [name for name, _ in GRIDS]
    ids = dict(db.session.execute(select(Grid.name, Grid.id).where(Grid.name.in_(names))).all())
    new = [Grid(name=name, name_zh=zh) for name, zh in GRIDS if name not in ids]
    db.session.add_all(new)
    db.session.flush()
    ids.update({g.name: g.id for g in new})
    summary.count("grids", len(new), len(GRIDS) - len(new))
    return ids


def _create_user(spec: StaffSpec, enterprise_id: int | None = None) -> User:
    user = User(email=spec.email, name=spec.name, role=spec.role, phone=spec.phone, enterprise_id=enterprise_id)
    user.set_password(DEMO_PASSWORD)  # only for accounts actually created: scrypt is slow
    db.session.add(user)
    return user


def _seed_staff(summary: SeedSummary) -> dict[str, User]:
    emails = [s.email for s in STAFF]
    users = {u.email.lower(): u for u in db.session.scalars(select(User).where(func.lower(User.email).in_(emails)))}
    new = [_create_user(s) for s in STAFF if s.email not in users]
    db.session.flush()
    users.update({u.email: u for u in new})
    summary.count("staff accounts", len(new), len(STAFF) - len(new))
    return users


def _seed_buildings(grid_ids: dict[str, int], staff: dict[str, User], summary: SeedSummary) -> dict[str, int]:
    names = [b.name for b in BUILDINGS]
    ids = dict(db.session.execute(select(Building.name, Building.id).where(Building.name.in_(names))).all())
    new = [
        Building(
            name=b.name, name_zh=b.name_zh, address=b.address, grid_id=grid_ids[b.grid],
            gross_floor_area=Decimal(b.gross_floor_area), office_area=Decimal(b.office_area), floors=b.floors,
        )
        for b in BUILDINGS
        if b.name not in ids
    ]
    db.session.add_all(new)
    db.session.flush()
    ids.update({b.name: b.id for b in new})
    # Liaison officers are assigned only to buildings created now: existing assignments may have been edited.
    specs = {b.name: b for b in BUILDINGS}
    links = [
        {"building_id": b.id, "user_id": staff[email].id} for b in new for email in specs[b.name].officers
    ]
    link_count = select(func.count()).select_from(building_officers)
    existing_links = db.session.scalar(link_count.where(building_officers.c.building_id.in_(list(ids.values()))))
    if links:
        db.session.execute(insert(building_officers), links)
    summary.count("buildings", len(new), len(BUILDINGS) - len(new))
    summary.count("liaison assignments", len(links), existing_links)
    return ids


@dataclass(frozen=True)
class _Stored:
    id: int
    moved_in_on: date | None
    moved_out_on: date | None
    registered_in_district: bool


def _seed_enterprises(
    plan: Plan, building_ids: dict[str, int], staff: dict[str, User], summary: SeedSummary
) -> dict[str, _Stored]:
    codes = [e.uscc for e in plan.enterprises]
    cols = (Enterprise.uscc, Enterprise.id, Enterprise.moved_in_on, Enterprise.moved_out_on,
            Enterprise.registered_in_district)
    stored = {row[0]: _Stored(*row[1:]) for row in db.session.execute(select(*cols).where(Enterprise.uscc.in_(codes)))}
    missing = [e for e in plan.enterprises if e.uscc not in stored]
    if missing:
        rows = [e.row(building_ids[e.building], staff[e.officer].id if e.officer in staff else None) for e in missing]
        result = db.session.execute(insert(Enterprise).returning(Enterprise.uscc, Enterprise.id), rows)
        new_ids = dict(result.all())
        for e in missing:
            stored[e.uscc] = _Stored(new_ids[e.uscc], e.moved_in_on, e.moved_out_on, e.registered_in_district)
    summary.count("enterprises", len(missing), len(codes) - len(missing))
    return stored


def _seed_contact(plan: Plan, enterprises: dict[str, _Stored], summary: SeedSummary) -> StaffSpec:
    exists = db.session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == CONTACT.email))
    if not exists:
        coach = next(e for e in plan.enterprises if e.name == COACH)
        _create_user(CONTACT, enterprise_id=enterprises[coach.uscc].id)
        db.session.flush()
    summary.count("enterprise contact accounts", 0 if exists else 1, 1 if exists else 0)
    return CONTACT


def _seed_tax(plan: Plan, enterprises: dict[str, _Stored], summary: SeedSummary) -> None:
    ids = [s.id for s in enterprises.values()]
    existing = set(
        db.session.execute(
            select(TaxRecord.enterprise_id, TaxRecord.month).where(
                TaxRecord.enterprise_id.in_(ids), TaxRecord.month.between(plan.months[0], plan.months[-1])
            )
        ).all()
    )
    rows, already = [], 0
    for e in plan.enterprises:
        s = enterprises[e.uscc]
        # Respect the stored life span: an enterprise seeded in an earlier month, or edited since,
        # must not gain tax before it moved in or after it moved out.
        start = _month_key(_month_index(s.moved_in_on)) if s.moved_in_on else ""
        end = _month_key(_month_index(s.moved_out_on)) if s.moved_out_on else "9999-12"
        for month, total, district in plan.tax[e.uscc]:
            if (s.id, month) in existing:
                already += 1
            elif start <= month <= end:
                rows.append({"enterprise_id": s.id, "month": month, "total_tax": total, "district_tax": district})
    if rows:
        db.session.execute(insert(TaxRecord), rows)
    summary.count("tax records", len(rows), already)
