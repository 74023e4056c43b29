"""Demo data: the Jing'an Temple (静安寺街道) business district, Shanghai.

`build_plan(today)` computes the whole district in memory (pure: no Flask, no database) from
fixed random seeds, so the same `today` always gives the same data, and the natural keys (grid
and building names, USCCs, emails) never depend on `today` at all. `seed()` then inserts only
the rows whose natural key is missing and leaves existing rows alone (a user may have edited
them), so a second run changes nothing. It flushes; the caller commits.

On top of the district, about fifty service requests and thirty visits of the last two months
are driven through the real workflow services with the clock frozen at each step, so every
state, rating, dispatch, breach and escalation has a timeline that reads like a real one; a few
requests are received minutes before the seed runs, so their countdowns tick. They are keyed by
enterprise + title (visits: enterprise + summary), never by reference number.

Multinationals appear under their real brand names to make the demo recognisable; every figure
(tax, employees, dates, contacts) is invented.
"""
from __future__ import annotations

import heapq
import itertools
import math
import random
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, insert, select

from app import clock
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import (
    Building,
    Category,
    Channel,
    Department,
    Enterprise,
    EnterpriseStatus,
    Grid,
    HandlingMode,
    HQType,
    KeyTier,
    Level,
    Milestone,
    Priority,
    Role,
    ServiceRequest,
    State,
    TaxRecord,
    Topic,
    User,
    Visit,
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
# Service requests and visits (the "three haves and four handles" workflow)
# ---------------------------------------------------------------------------------------------

TOPIC_PERMITS, TOPIC_TALENT, TOPIC_PROPERTY, TOPIC_POLICY = (
    "Permits and licences", "Talent and household registration", "Property and facilities", "Policy and subsidies",
)
TOPIC_TAX, TOPIC_TRAFFIC, TOPIC_SAFETY, TOPIC_OTHER = "Tax", "Traffic and parking", "Safety", "Other"
DIFFICULTY, PROBLEM, NEED = Category.difficulty, Category.problem, Category.need
PHONE, WALK_IN, VISIT, PORTAL = Channel.phone, Channel.walk_in, Channel.visit, Channel.portal


def _m(n: float) -> timedelta:
    return timedelta(minutes=n)


def _h(n: float) -> timedelta:
    return timedelta(hours=n)


def _d(n: float) -> timedelta:
    return timedelta(days=n)


#: Scenario -> the workflow steps after receipt, as (offset, action). Staged (tracked) scenarios
#: run on days; the others on the 51530 minutes, met on time unless the name says otherwise.
SCENARIOS: dict[str, list[tuple[timedelta, str]]] = {
    # Open now, received minutes before the seed ran: their countdowns tick.
    "waiting_live": [],
    "accepted_live": [(_m(2), "respond")],
    "on_site_live": [(_m(2), "respond"), (_m(9), "arrive")],
    "tracked_live": [(_m(40), "respond")],
    # Open and past due: the breach scan marks them and escalates them.
    "unanswered": [],
    "stuck_accepted": [(_m(4), "respond")],
    "stuck_on_site": [(_m(3), "respond"), (_m(13), "arrive")],
    # Open, every milestone met: a plan is being carried out.
    "plan_given": [(_m(2), "respond"), (_m(12), "arrive"), (_m(27), "give_plan")],
    "plan_given_tracked": [(_h(5), "respond"), (_d(3), "arrive"), (_d(6), "give_plan")],
    # Solved, waiting for the enterprise to confirm.
    "resolved": [(_m(3), "respond"), (_m(13), "arrive"), (_m(26), "resolve")],
    # Closed with a rating.
    "closed": [(_m(2), "respond"), (_m(11), "arrive"), (_m(25), "resolve"), (_d(1), "confirm")],
    "closed_immediate": [(_m(1), "respond"), (_m(2), "arrive"), (_m(9), "resolve"), (_m(40), "confirm")],
    "closed_late": [(_m(9), "respond"), (_m(31), "arrive"), (_h(2), "resolve"), (_d(1), "confirm")],
    "closed_joint": [(_m(3), "respond"), (_m(14), "arrive"), (_m(29), "give_plan"), (_d(4), "resolve"),
                     (_d(5), "confirm")],
    "closed_tracked": [(_h(3), "respond"), (_d(2), "arrive"), (_d(9), "give_plan"), (_d(20), "resolve"),
                       (_d(21), "confirm")],
    # A rating of 1 or 2 reopens the request with a new clock.
    "reopened": [(_m(2), "respond"), (_m(12), "arrive"), (_m(27), "resolve"), (_d(1), "confirm_low")],
    "reopened_then_closed": [(_m(2), "respond"), (_m(14), "arrive"), (_m(28), "resolve"), (_d(1), "confirm_low"),
                             (_d(1) + _m(4), "respond"), (_d(1) + _m(13), "arrive"), (_d(1) + _h(2), "resolve"),
                             (_d(2), "confirm")],
    # Sent back: not a matter for the sub-district (wrong channel).
    "returned": [(_m(4), "return")],
    "returned_after_accept": [(_m(2), "respond"), (_m(12), "return")],
}
#: Scenarios received `ago` minutes before the seed ran, rather than `ago` days before today.
LIVE_SCENARIOS = frozenset({"waiting_live", "accepted_live", "on_site_live", "tracked_live"})
FINAL_STATES: dict[str, State] = {
    "waiting_live": State.submitted, "accepted_live": State.accepted, "on_site_live": State.on_site,
    "tracked_live": State.accepted, "unanswered": State.submitted, "stuck_accepted": State.accepted,
    "stuck_on_site": State.on_site, "plan_given": State.plan_given, "plan_given_tracked": State.plan_given,
    "resolved": State.resolved, "closed": State.closed, "closed_immediate": State.closed,
    "closed_late": State.closed, "closed_joint": State.closed, "closed_tracked": State.closed,
    "reopened": State.reopened, "reopened_then_closed": State.closed, "returned": State.returned,
    "returned_after_accept": State.returned,
}

RESPONSES = [
    "Called the contact back; coming over now.",
    "Acknowledged by phone; on my way.",
    "Taken; I have the details and will be there shortly.",
    "Received and confirmed with the contact.",
]
ARRIVALS = [
    "On site: met the office manager and saw the problem.",
    "Arrived at reception; went through it with the administration team.",
    "On site with the contact person.",
    "Checked in at the enterprise; walked through it with the facilities lead.",
]
STAGED_RESPONSES = [
    "Acknowledged; first staged reply will follow within the week.",
    "Taken on as a tracked request; collecting the documents first.",
]
STAGED_ARRIVALS = [
    "Staged reply: documents checked with the enterprise; the application is complete.",
    "Staged reply: met the enterprise and the responsible department together.",
]


@dataclass(frozen=True)
class VisitSpec:
    #: An enterprise: a word its multinational's name starts with, "ord:N" or "risk:N" (see _pools).
    who: str
    ago: int
    at: str
    summary: str
    #: Visiting officers' emails; empty means the enterprise's own liaison officer.
    officers: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestSpec:
    who: str
    category: Category
    topic: str
    mode: str
    channel: Channel
    scenario: str
    #: Days before today (minutes before now for live scenarios); a visit's request takes the visit's time.
    ago: int
    at: str
    title: str
    description: str
    plan: str | None = None
    resolution: str | None = None
    rating: tuple[int, str] | None = None
    low_rating: tuple[int, str] | None = None
    officer: str | None = None
    priority: Priority = Priority.normal
    departments: tuple[str, ...] = ()
    note: str | None = None
    escalate: str | None = None
    visit: int | None = None


V = VisitSpec
VISITS = [
    V("L'ORÉAL", 40, "10:00", "Annual key-account visit with the HR director: headcount up 8 % this year; the graduate "
      "trainees struggle to find housing near the office.", (XU, LIU)),
    V("SAP", 50, "14:30", "Met the finance and legal leads: they asked how the software enterprise recognition works "
      "and what it changes for their tax.", (CHIEF, ZHAO)),
    V("ord:5", 29, "10:30", "Visit after the company moved its Shenzhen team here: 14 families are relocating and "
      "school places are the main worry."),
    V("Givaudan", 55, "15:00", "Toured the new fragrance lab on 21F; they want it recognised as an R&D centre.", (SUN,)),
    V("ord:8", 15, "11:00", "Routine visit; the office manager complained about the east-core lifts."),
    V("Mars", 1, "10:00", "Quarterly visit: all well, but the street lamp at the Changde Road entrance is out."),
    V("COACH", 45, "10:00", "Quarterly visit with the general manager: retail sales up; the head office stays at "
      "Park Place after the lease renewal.", (OFFICER, CHIEF)),
    V("ADIENT", 37, "14:00", "Met the China CFO about the restructuring of the seating business: no change to "
      "headcount in Jing'an.", (OFFICER,)),
    V("risk:0", 33, "10:30", "Early-warning visit: tax down by a third; the owner is considering a move to Hongqiao "
      "for lower rent. Explained the rent subsidy and offered help with the application."),
    V("risk:1", 26, "15:00", "Early-warning visit: revenue fell after losing a major client; no plan to move. "
      "Follow-up in a month."),
    V("risk:2", 19, "10:00", "Early-warning visit: the group may consolidate into its Hangzhou office. Offered an "
      "introduction to the district investment promotion team."),
    V("Tiffany", 34, "11:00", "Visited the regional office; they asked about renewing the HQ recognition next year.",
      (OFFICER, XU)),
    V("Kering", 31, "14:30", "Met the HR lead: two new brands join the Shanghai office and need 20 more workstations.",
      (XU,)),
    V("DBS", 28, "10:00", "Met the branch president: keen to host a fintech event together with the sub-district.",
      (OFFICER,)),
    V("Allianz", 24, "15:30", "Courtesy visit to the new CEO; introduced the Butler service and the 51530 promise.",
      (CHIEF,)),
    V("Continental", 22, "10:00", "Discussed the product launch they plan on the square in front of Wheelock Square.",
      (OFFICER,)),
    V("Jones Lang LaSalle", 20, "14:00", "Met the property team that manages three of our buildings: vacancy, rents "
      "and the rooftop solar project.", (OFFICER, CHIEF)),
    V("ord:14", 17, "11:30", "Welcome visit to a new tenant: moved in last month with 25 staff; left the Butler "
      "contact card."),
    V("ord:17", 13, "10:00", "Welcome visit to a new tenant: 40 staff, mostly in financial leasing; no issues yet."),
    V("Shiseido", 12, "15:00", "Went through the rejected cosmetics import filing with the regulatory affairs team.",
      (CHIEF, ZHAO)),
    V("Shanghai Jing'an Hilton", 11, "10:30", "Met the hotel's general manager about conference-season traffic and "
      "coach parking.", (ZHOU,)),
    V("Estée", 9, "14:00", "Quarterly visit: the window display changes every month and needs a standing night-time "
      "loading arrangement.", (OFFICER,)),
    V("UBS", 8, "10:00", "Met the country head: business steady; asked for a contact at the district financial "
      "services office.", (LIU,)),
    V("ord:20", 7, "15:30", "Visit after a complaint about a delayed tax refund; explained the process and the "
      "expected timeline."),
    V("Swarovski", 6, "10:00", "Quarterly visit; no issues raised.", (LIU,)),
    V("risk:3", 5, "11:00", "Early-warning follow-up: they decided to stay and signed a two-year lease extension."),
    V("McKinsey", 4, "14:00", "Met the office manager to prepare for next month's fire inspection.", (OFFICER,)),
    V("Burberry", 3, "10:30", "Quarterly visit; staff complain that the air conditioning on 41F stops at 18:00.",
      (OFFICER, XU)),
    V("Dentsu", 2, "15:00", "Met the new managing director and introduced the liaison team.", (SUN,)),
    V("Henkel", 1, "11:00", "Quarterly visit; HR asked how residence permits work for seconded staff.", (OFFICER,)),
]
del V

R = RequestSpec
REQUESTS = [
    # --- open now, received minutes ago ----------------------------------------------------
    R("ADIENT", PROBLEM, TOPIC_PROPERTY, "on-site", PHONE, "waiting_live", 1, "",
      "Access gates on 27F reject new staff cards",
      "Twelve new hires since Monday cannot pass the 27F speed gates; building security says their cards were "
      "issued on the old system.", officer=OFFICER),
    R("Henkel", NEED, TOPIC_TALENT, "immediate", WALK_IN, "waiting_live", 3, "",
      "Residence permit letter for a seconded German manager",
      "HR needs the sub-district's confirmation letter for a residence permit application; the manager arrives "
      "next week.", officer=OFFICER),
    R("ord:29", DIFFICULTY, TOPIC_TRAFFIC, "on-site", PHONE, "waiting_live", 2, "",
      "Delivery vans ticketed at the loading bay on Tongren Road",
      "Three parking tickets this week for vans unloading at the building's own loading bay."),
    R("McKinsey", PROBLEM, TOPIC_SAFETY, "on-site", PHONE, "accepted_live", 4, "",
      "Fire door on the 33F stairwell will not close",
      "The self-closing fire door on the north stairwell stays open; the fire inspection is next month.",
      officer=OFFICER, priority=Priority.high),
    R("Johnson Controls", PROBLEM, TOPIC_PROPERTY, "joint", PHONE, "accepted_live", 5, "",
      "Water leaking from the floor above into the server room",
      "Water is dripping through the ceiling tiles onto the server racks on 19F; the tenant above is closed today.",
      officer=OFFICER, priority=Priority.urgent),
    R("Continental", NEED, TOPIC_PERMITS, "on-site", PHONE, "on_site_live", 10, "",
      "Temporary outdoor event permit for a product launch",
      "A two-day product launch on the square in front of Wheelock Square: stage, tent and a small LED wall.",
      officer=OFFICER),
    R("Swarovski", PROBLEM, TOPIC_PROPERTY, "on-site", WALK_IN, "on_site_live", 12, "",
      "Shop front sign damaged by last night's storm",
      "Part of the illuminated sign above the entrance is hanging loose over the pavement.",
      priority=Priority.high),
    R("COACH", NEED, TOPIC_POLICY, "tracked", PORTAL, "tracked_live", 180, "",
      "Application for the regional headquarters rent subsidy",
      "We would like to apply for the regional headquarters office rent subsidy for this year and need to know "
      "which documents to prepare.", officer=OFFICER,
      note="Checked with the Commerce Commission: the form for this year is out next week."),
    # --- open and past due ---------------------------------------------------------------
    R("ord:3", DIFFICULTY, TOPIC_OTHER, "on-site", PHONE, "unanswered", 6, "21:40",
      "Night-time construction noise next door",
      "The renovation next door works until 2 a.m.; staff on the late shift cannot take calls."),
    R("Tiffany", PROBLEM, TOPIC_TRAFFIC, "on-site", PHONE, "unanswered", 2, "17:50",
      "Taxi rank outside the Plaza 66 entrance blocked by private cars",
      "Private cars wait in the taxi rank every evening; clients cannot get a taxi after events.", officer=OFFICER),
    R("Burberry", PROBLEM, TOPIC_PROPERTY, "on-site", PHONE, "stuck_accepted", 3, "18:20",
      "Air conditioning off after 18:00 on 41F",
      "The building switches off the air conditioning at 18:00; the design team works until 21:00 and it is 30 °C.",
      officer=OFFICER, note="Property management says overtime cooling is charged by the hour; negotiating."),
    R("ord:4", DIFFICULTY, TOPIC_PERMITS, "on-site", WALK_IN, "stuck_accepted", 9, "15:10",
      "Business licence address change stuck at the window",
      "The address change was filed three weeks ago and still shows 'under review'.",
      note="Called the Market Supervision Bureau window twice: no answer yet."),
    R("Savills", NEED, TOPIC_SAFETY, "joint", PHONE, "stuck_on_site", 3, "10:15",
      "Fire inspection before a tenant fit-out handover",
      "A 2,000 m² fit-out on 35F is finished; the tenant moves in on the 1st and needs the fire acceptance first.",
      officer=OFFICER, departments=("Fire Rescue",)),
    R("ord:6", PROBLEM, TOPIC_TAX, "on-site", PHONE, "stuck_on_site", 12, "11:30",
      "Invoice quota too low for the year-end peak",
      "The monthly VAT invoice quota runs out by the 20th; December orders are twice the usual volume.",
      note="The tax bureau wants last quarter's sales figures before it raises the quota."),
    # --- open, plan given ----------------------------------------------------------------
    R("L'ORÉAL", NEED, TOPIC_TALENT, "tracked", VISIT, "plan_given_tracked", 40, "",
      "Talent apartment places for graduate trainees",
      "Thirty graduate trainees start in January; most come from outside Shanghai.",
      plan="Six places in the Jing'an talent apartments from January; the others on the waiting list with priority "
           "and a list of partner landlords.", visit=0),
    R("ord:9", DIFFICULTY, TOPIC_POLICY, "tracked", PHONE, "plan_given_tracked", 26, "14:00",
      "Start-up rent subsidy application returned as incomplete",
      "The application was returned without saying what is missing.",
      plan="The lease must be stamped by the landlord and the tax certificate must cover 12 months; we will "
           "pre-check the new application before it is filed."),
    R("Estée", NEED, TOPIC_TRAFFIC, "joint", PHONE, "plan_given", 5, "16:40",
      "Night-time loading permit for window display changes",
      "The window display changes monthly; the truck needs 2 hours on Nanjing Road West after midnight.",
      plan="Traffic police agree to a standing monthly permit, 00:30–02:30, if the dates are filed a week ahead.",
      officer=OFFICER, departments=("Traffic Police", "Urban Management")),
    R("ord:10", PROBLEM, TOPIC_SAFETY, "joint", WALK_IN, "plan_given", 11, "12:20",
      "Gas smell in the shared kitchen on 3F",
      "Staff smelled gas near the shared kitchen twice this week.",
      plan="The gas company sealed the valve; the landlord replaces the corroded pipe section next week and the "
           "kitchen stays closed until the pressure test passes.",
      priority=Priority.urgent, departments=("Fire Rescue",)),
    R("DBS", NEED, TOPIC_POLICY, "on-site", PHONE, "plan_given", 8, "10:40",
      "Co-hosting a fintech event with the sub-district",
      "The bank would like to co-host a fintech forum for the district's enterprises in the spring.",
      plan="Proposal drafted: a half-day forum in the sub-district's hall, the bank covering speakers and catering.",
      officer=OFFICER, escalate="Co-hosting needs the sub-district's approval: passing to the chief liaison."),
    R("ord:8", PROBLEM, TOPIC_PROPERTY, "on-site", VISIT, "plan_given", 15, "",
      "East-core lifts break down several times a month",
      "Two of the four east-core lifts stopped three times this month; once with people inside.",
      plan="The lift company replaces the control boards of both lifts on the 12th; a weekly check until then.",
      visit=4),
    R("Hugo Boss", DIFFICULTY, TOPIC_TRAFFIC, "on-site", WALK_IN, "plan_given", 19, "09:40",
      "Staff parking spaces lost to the renovation",
      "The Jiuguang car park closed two levels for renovation; 40 staff lost their spaces.",
      plan="Temporary monthly spaces at the Jing'an Temple car park at the same rate until the works end in March."),
    # --- resolved, waiting for confirmation ---------------------------------------------------
    R("Mars", PROBLEM, TOPIC_PROPERTY, "immediate", VISIT, "resolved", 1, "",
      "Broken street lamp at the Changde Road entrance",
      "The street lamp at the Changde Road entrance has been out for a week; the entrance is dark after 17:00.",
      resolution="Urban Management's maintenance team replaced the lamp this afternoon.", visit=5),
    R("ord:34", NEED, TOPIC_TALENT, "on-site", WALK_IN, "resolved", 2, "10:10",
      "Household registration for a new hire with a doctorate",
      "A new hire with a doctorate qualifies for a Shanghai hukou; HR does not know where to start.",
      resolution="Went through the talent-introduction checklist with HR and booked the window appointment.",
      officer=OFFICER),
    R("COACH", PROBLEM, TOPIC_OTHER, "on-site", PORTAL, "resolved", 1, "13:30",
      "Company mail returned to sender by the post office",
      "Letters to our new unit number are being returned: the post office still has the old unit.",
      resolution="The post office updated the unit number and will redeliver the returned letters tomorrow."),
    # --- closed with a rating --------------------------------------------------------------
    R("KPMG", NEED, TOPIC_TAX, "on-site", PHONE, "closed", 44, "10:20",
      "Briefing on the new VAT law for the finance team",
      "The finance team would like a briefing from the tax bureau on what changes for advisory services.",
      resolution="The tax bureau's policy team gave a one-hour briefing at the office; slides sent to the contact.",
      rating=(5, "Very useful, thank you.")),
    R("ord:12", PROBLEM, TOPIC_PERMITS, "immediate", WALK_IN, "closed_immediate", 38, "14:10",
      "Company seal registration after a name change",
      "The company changed its name; the new seals must be registered before the bank accepts them.",
      resolution="Filed the seal registration at the counter with the contact; the receipt was issued on the spot.",
      rating=(5, "Done in ten minutes.")),
    R("Allianz", DIFFICULTY, TOPIC_TALENT, "on-site", PHONE, "closed", 35, "09:50",
      "Work permit renewal blocked by a missing degree certificate",
      "An actuary's work permit expires in three weeks; the authenticated degree certificate was lost in the post.",
      resolution="The permit office accepts the university's verification letter in place of the certificate; "
                 "the renewal is filed.", rating=(4, "Solved in time; the process was not easy.")),
    R("SAP", NEED, TOPIC_POLICY, "on-site", VISIT, "closed", 50, "",
      "Software enterprise recognition and its tax benefit",
      "How to apply for software enterprise recognition, and what it changes for corporate income tax.",
      resolution="Sent the criteria and the checklist; the application was filed with the Commerce Commission.",
      rating=(5, "Clear answers."), visit=1),
    R("ord:31", PROBLEM, TOPIC_TRAFFIC, "on-site", PHONE, "closed_late", 30, "08:45",
      "Shared bikes blocking the fire lane on Anyi Road",
      "Shared bikes are parked three deep across the building's fire lane every morning.",
      resolution="The bike operators cleared the lane and the area is now a no-parking zone in their apps.",
      rating=(3, "Fixed, but it took a while to get someone.")),
    R("Ogilvy", NEED, TOPIC_OTHER, "immediate", WALK_IN, "closed_immediate", 27, "11:15",
      "Venue for a community charity exhibition",
      "The agency wants to show its pro-bono campaign posters for a week in a public space.",
      resolution="Booked the sub-district's community centre lobby for the week requested.",
      rating=(5, "Perfect.")),
    R("ord:15", PROBLEM, TOPIC_PROPERTY, "on-site", PHONE, "closed", 24, "16:05",
      "Water pressure too low on the top floors",
      "Taps on 18F–20F barely run in the mornings.",
      resolution="The booster pump's pressure switch had failed; property management replaced it.",
      rating=(4, "Good.")),
    R("UBS", PROBLEM, TOPIC_SAFETY, "joint", PHONE, "closed_joint", 33, "10:05",
      "Scaffolding over the pavement without protection",
      "Scaffolding on the neighbouring façade has no netting; debris fell on the pavement at our entrance.",
      plan="Urban Management ordered the contractor to net the scaffolding within 48 hours and closed the "
           "pavement until then.",
      resolution="Netting and a covered walkway installed; the pavement reopened.",
      rating=(4, "Thanks for the quick action."), departments=("Urban Management", "Housing Management Bureau"),
      escalate="The contractor works for a district project: the chief liaison should call the project office."),
    R("ord:16", NEED, TOPIC_TAX, "tracked", PHONE, "closed_tracked", 57, "13:20",
      "Moving the tax registration from Minhang",
      "The company moved here from Minhang and wants to move its tax registration without interrupting invoicing.",
      plan="Migration in three steps: clear the Minhang file, transfer, then register here; invoicing switches "
           "over on a Monday.",
      resolution="Tax registration transferred; invoices issued from Jing'an since the 3rd.",
      rating=(5, "Smooth, thank you."), departments=("Tax Bureau",)),
    R("Dentsu", PROBLEM, TOPIC_TRAFFIC, "joint", PHONE, "closed_joint", 46, "17:35",
      "Pedestrian lights at Nanjing Road West and Xikang Road too short",
      "The pedestrian green phase is so short that staff are caught mid-crossing every evening.",
      plan="Traffic police will retime the crossing at the next signal review.",
      resolution="The pedestrian phase was lengthened by 12 seconds in the evening peak.",
      rating=(3, "OK, but it took a month."), departments=("Traffic Police",)),
    R("ord:18", DIFFICULTY, TOPIC_POLICY, "on-site", WALK_IN, "closed", 21, "10:30",
      "Employment subsidy for hiring local graduates",
      "The company hired six local graduates and would like to claim the employment subsidy.",
      resolution="Checked eligibility and helped file the claim online; four of the six qualify.",
      rating=(4, "Helpful.")),
    R("Beiersdorf", NEED, TOPIC_PERMITS, "on-site", PHONE, "closed_late", 18, "15:55",
      "Food business licence for the new staff canteen",
      "The new staff canteen opens next month and needs a food business licence.",
      resolution="Pre-checked the canteen layout with the Market Supervision Bureau; the licence was issued.",
      rating=(4, "Slow to start, then very efficient."), departments=()),
    R("ord:19", PROBLEM, TOPIC_SAFETY, "immediate", WALK_IN, "closed_immediate", 14, "09:25",
      "Fire extinguishers past their inspection date",
      "Every extinguisher on the company's two floors is past its inspection date.",
      resolution="Gave the contacts of the three certified inspection companies; one came the same afternoon.",
      rating=(4, "Quick.")),
    R("Shanghai Jing'an Hilton", PROBLEM, TOPIC_TRAFFIC, "on-site", PHONE, "closed", 10, "11:45",
      "Coach parking for a 300-guest conference",
      "Eight coaches need to drop off and wait during a three-day conference.",
      resolution="Drop-off on Huashan Road approved; the coaches wait at the Exhibition Centre car park.",
      rating=(5, "Excellent.")),
    R("ord:5", NEED, TOPIC_TALENT, "on-site", VISIT, "closed", 29, "",
      "School places for relocated employees' children",
      "Fourteen families are moving from Shenzhen; they need primary and middle school places.",
      resolution="The education bureau's enrolment office confirmed places for all eleven school-age children.",
      rating=(3, "Places found, but not at the schools we asked for."), visit=2),
    R("Jones Lang LaSalle", NEED, TOPIC_PROPERTY, "joint", PHONE, "closed_joint", 52, "14:25",
      "Approval for rooftop solar panels",
      "The landlord wants to install solar panels on the roof and needs to know which approvals apply.",
      plan="A structural report and a filing with the Housing Management Bureau; no planning permit is needed.",
      resolution="Filing accepted; installation starts next month.", rating=(5, "Exactly what we needed."),
      departments=("Housing Management Bureau",)),
    R("ord:20", PROBLEM, TOPIC_TAX, "on-site", PHONE, "closed_late", 7, "16:50",
      "Corporate income tax refund delayed for three months",
      "A refund of overpaid corporate income tax, filed after the annual settlement in May, has not been paid.",
      resolution="A missing bank account confirmation held it up; the refund was approved after the correction.",
      rating=(3, "Finally paid."), note="Tax bureau contact: refund section, ext. 3021."),
    R("Givaudan", NEED, TOPIC_POLICY, "tracked", VISIT, "closed_tracked", 55, "",
      "R&D centre recognition for the fragrance lab",
      "The new fragrance lab on 21F could qualify as a foreign-invested R&D centre.",
      plan="Application prepared with the Commerce Commission; the site inspection is booked.",
      resolution="Recognised as a foreign-invested R&D centre.", rating=(4, "Thank you."),
      departments=("Commerce Commission",), visit=3),
    R("CBRE", PROBLEM, TOPIC_PROPERTY, "on-site", PHONE, "closed", 6, "09:35",
      "Rodents in the basement car park",
      "Staff have seen rats near the B2 lift lobby several times.",
      resolution="The pest control contractor treated B1–B3 and sealed two openings by the refuse room.",
      rating=(4, "Handled well.")),
    R("ord:21", NEED, TOPIC_OTHER, "on-site", WALK_IN, "closed", 4, "14:40",
      "Space for a staff blood donation drive",
      "The company wants to host a blood donation bus for neighbouring offices.",
      resolution="Blood centre bus booked for the square on Friday; the sub-district posts the notice.",
      rating=(5, "Great initiative, thanks.")),
    R("Shiseido", PROBLEM, TOPIC_PERMITS, "on-site", PHONE, "closed", 13, "10:55",
      "Cosmetics import filing rejected for a label error",
      "A filing for a new serum was rejected because of the Chinese label.",
      resolution="Corrected label refiled after a review with the Market Supervision Bureau; the filing passed.",
      rating=(5, "Very fast.")),
    # --- reopened by a low rating -------------------------------------------------------------
    R("ord:28", PROBLEM, TOPIC_PROPERTY, "on-site", PHONE, "reopened", 3, "09:15",
      "Toilets on 8F out of order again",
      "The men's toilets on 8F have been blocked twice this month.",
      resolution="The plumber cleared the blockage.", low_rating=(2, "Blocked again the next morning."),
      officer=OFFICER),
    R("Kering", DIFFICULTY, TOPIC_TRAFFIC, "on-site", PHONE, "reopened", 2, "16:30",
      "Visitor parking refused at the 1788 car park",
      "Visitors to the showroom are turned away from the car park even when it has spaces.",
      resolution="The car park operator agreed to accept visitor bookings.",
      low_rating=(1, "Nothing has changed: visitors were turned away again today.")),
    R("Fidelity", PROBLEM, TOPIC_SAFETY, "on-site", PHONE, "reopened_then_closed", 16, "10:45",
      "Emergency lighting fails the monthly test",
      "Half of the emergency lights on 30F stay dark during the monthly test.",
      resolution="Batteries of the emergency lights on 30F replaced; the test passed.",
      low_rating=(2, "Only some were replaced; the stairwell lights still fail."),
      rating=(4, "All working now.")),
    # --- returned: not a matter for the sub-district -------------------------------------------
    R("ord:23", PROBLEM, TOPIC_OTHER, "on-site", PHONE, "returned", 9, "15:20",
      "Severance dispute with a former employee",
      "A former employee is demanding more severance than the contract provides.",
      resolution="Labour disputes go to the district labour arbitration commission; gave the contact its address "
                 "and the 12333 hotline."),
    R("ord:24", NEED, TOPIC_PROPERTY, "on-site", WALK_IN, "returned_after_accept", 17, "11:05",
      "Rent reduction from the landlord",
      "The company asks the sub-district to make its landlord lower the rent.",
      resolution="Rent is a commercial matter between tenant and landlord; shared the district's rent subsidy "
                 "rules instead, which they may qualify for."),
    R("COACH", NEED, TOPIC_TAX, "on-site", PORTAL, "returned", 23, "20:10",
      "Personal income tax question from an employee",
      "An employee asks how to claim the special deduction for housing rent.",
      resolution="Individual income tax questions are answered by the tax bureau's 12366 hotline; the link to "
                 "the guide was sent to the contact."),
]
del R


def _pools(plan: Plan) -> dict[str, list[EnterprisePlan]]:
    """Enterprises the demo requests and visits may use: multinationals by name, ordinary ones by index."""
    ordinary = plan.enterprises[len(MULTINATIONALS) + len(FIXED_ORDINARY):]
    return {
        "ord": [e for e in ordinary if e.status is EnterpriseStatus.active and e.registered_in_district],
        "risk": [e for e in ordinary if e.status is EnterpriseStatus.at_risk],
    }


def _enterprise_for(who: str, plan: Plan, pools: dict[str, list[EnterprisePlan]]) -> EnterprisePlan:
    if ":" in who:
        pool, index = who.split(":")
        return pools[pool][int(index)]
    matches = [e for e in plan.enterprises if e.name.startswith(who)]
    if len(matches) != 1:
        raise ValueError(f"demo data: {who!r} names {len(matches)} enterprises")
    return matches[0]


def _local(day: date, hhmm: str) -> datetime:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), LOCAL_TZ).astimezone(timezone.utc)


def _working_day(today: date, days_ago: int) -> date:
    """`days_ago` days before today, moved back to the Friday when it falls on a weekend."""
    day = today - timedelta(days=days_ago)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class PlannedVisit:
    spec: VisitSpec
    uscc: str
    at: datetime
    officers: tuple[str, ...]


@dataclass(frozen=True)
class PlannedRequest:
    spec: RequestSpec
    uscc: str
    received_at: datetime
    #: (time, action, text or None), in time order.
    steps: tuple[tuple[datetime, str, str | None], ...]
    visit: PlannedVisit | None


@dataclass
class ServicePlan:
    visits: list[PlannedVisit]
    requests: list[PlannedRequest]


def build_service_plan(plan: Plan, today: date, now: datetime) -> ServicePlan:
    """The demo visits and requests with their times: history relative to `today`, live ones to `now`."""
    pools = _pools(plan)
    visits = []
    for spec in VISITS:
        e = _enterprise_for(spec.who, plan, pools)
        officers = spec.officers or (e.officer,)
        visits.append(PlannedVisit(spec, e.uscc, _local(_working_day(today, spec.ago), spec.at), officers))
    requests = []
    for i, spec in enumerate(REQUESTS):
        e = _enterprise_for(spec.who, plan, pools)
        visit = visits[spec.visit] if spec.visit is not None else None
        if visit is not None:
            received = visit.at + _m(45)
        elif spec.scenario in LIVE_SCENARIOS:
            received = (now - _m(spec.ago)).replace(microsecond=0)
        else:
            received = _local(_working_day(today, spec.ago), spec.at)
        requests.append(PlannedRequest(spec, e.uscc, received, _steps(spec, received, i), visit))
    return ServicePlan(visits, requests)


def _steps(spec: RequestSpec, received: datetime, i: int) -> tuple[tuple[datetime, str, str | None], ...]:
    staged = spec.mode == "tracked"
    steps: list[tuple[datetime, str, str | None]] = []
    for offset, action in SCENARIOS[spec.scenario]:
        text = {
            "respond": (STAGED_RESPONSES if staged else RESPONSES)[i % 2 if staged else i % len(RESPONSES)],
            "arrive": (STAGED_ARRIVALS if staged else ARRIVALS)[i % 2 if staged else i % len(ARRIVALS)],
            "give_plan": spec.plan, "resolve": spec.resolution, "return": spec.resolution,
        }.get(action)
        steps.append((received + offset, action, text))
    first_response = next((at for at, action, _ in steps if action == "respond"), received)
    if spec.note:
        steps.append((first_response + (_h(2) if staged else _m(5)), "note", spec.note))
    if spec.departments:
        steps.append((first_response + (_d(1) if staged else _m(8)), "dispatch", None))
    if spec.escalate:
        steps.append((first_response + _m(55), "escalate", spec.escalate))
    return tuple(sorted(steps, key=lambda s: s[0]))


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


def seed(today: date | None = None, now: datetime | None = None) -> SeedSummary:
    """Load the Jing'an Temple demo district; rows already there (by natural key) are left alone.

    History (tax, visits, requests) is laid out relative to `today`; the few requests still
    running on the 51530 clock are received minutes before `now`, so their countdowns tick.
    Both default to the clock's current time.
    """
    now = now or clock.now()
    today = today or now.astimezone(LOCAL_TZ).date()
    plan = build_plan(today)
    summary = SeedSummary(months=(plan.months[0], plan.months[-1]))
    grid_ids = _seed_grids(summary)
    staff = _seed_staff(summary)
    building_ids = _seed_buildings(grid_ids, staff, summary)
    enterprises = _seed_enterprises(plan, building_ids, staff, summary)
    contact = _seed_contact(plan, enterprises, summary)
    _seed_tax(plan, enterprises, summary)
    _seed_service(plan, today, now, enterprises, staff, summary)
    # The dashboard's derived tables: tax per building for the months seeded, and no stored figures
    # of ended months (the demo writes history with past times, which the app itself never does).
    from app.services.summaries import forget_service_months, refresh_tax_months

    refresh_tax_months(plan.months)
    forget_service_months()
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


def _seed_service(plan: Plan, today: date, now: datetime, enterprises: dict[str, _Stored],
                  staff: dict[str, User], summary: SeedSummary) -> None:
    """Visits and requests driven through the real services, in time order, with the clock frozen at each step.

    Everything happens in one timeline: a visit, then the request raised on it; each request's
    steps; and, a minute after each due time that passes unmet, a breach scan — as the worker
    would run it — so breaches and escalations carry realistic times. Only items whose key
    (enterprise + summary for a visit, enterprise + title for a request) is missing are created.
    """
    from app.services import requests as workflow
    from app.services.visits import log_visit

    try:
        from app.services.sla import scan_breaches
    except ImportError:  # without the scan module the worker marks the breaches when it runs
        scan_breaches = None

    service = build_service_plan(plan, today, now)
    ids = {uscc: s.id for uscc, s in enterprises.items()}
    visit_keys = {
        (row.enterprise_id, row.summary): row.id
        for row in db.session.execute(select(Visit.enterprise_id, Visit.summary, Visit.id)
                                      .where(Visit.enterprise_id.in_(list(ids.values()))))
    }
    request_keys = set(
        db.session.execute(select(ServiceRequest.enterprise_id, ServiceRequest.title)
                           .where(ServiceRequest.enterprise_id.in_(list(ids.values())))).all()
    )
    topics = {t.name: t for t in db.session.scalars(select(Topic))}
    modes = {m.code: m for m in db.session.scalars(select(HandlingMode))}
    departments = {d.name: d for d in db.session.scalars(select(Department))}
    contact = db.session.scalar(select(User).where(func.lower(User.email) == CONTACT.email))
    chief = staff[CHIEF]

    timeline: list[tuple[datetime, int, Callable[[], None]]] = []
    order = itertools.count()
    visits: dict[PlannedVisit, Visit] = {}
    made: dict[int, ServiceRequest] = {}
    scans: set[int] = set()  # milestones with a scan scheduled

    def at(when: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(timeline, (when, next(order), action))

    def schedule_scans(request: ServiceRequest) -> None:
        """A scan just after each unmet due time that passes before `now` (later ones are the worker's)."""
        if scan_breaches is None:
            return
        for m in request.current_milestones():
            tick = m.due_at + timedelta(minutes=1, seconds=7)
            if m.met_at is None and m.breached_at is None and tick <= now and m.id not in scans:
                scans.add(m.id)
                at(tick, lambda m=m, tick=tick: scan_if_missed(m, tick))

    def scan_if_missed(milestone: Milestone, tick: datetime) -> None:
        # Only a milestone still unmet at its tick needs the scan (met on time is the usual case).
        if milestone.met_at is None and milestone.breached_at is None:
            scan_breaches(tick)

    def handler(request: ServiceRequest) -> User:
        officer = request.assigned_officer
        return officer if officer is not None and officer.role in workflow.STAFF_ACTORS else chief

    def create(n: int, p: PlannedRequest) -> None:
        spec = p.spec
        enterprise = db.session.get(Enterprise, ids[p.uscc])
        assigned = staff[spec.officer] if spec.officer else None
        visit = visits.get(p.visit) if p.visit is not None else None
        if spec.channel is Channel.portal and contact is not None and contact.enterprise_id == enterprise.id:
            by = contact
        elif visit is not None:
            by = assigned = assigned or visit.officers[0]
        else:
            by = assigned or enterprise.officer or chief
        made[n] = workflow.create_request(
            enterprise=enterprise, category=spec.category, topic=topics.get(spec.topic) or next(iter(topics.values())),
            handling_mode=modes[spec.mode], channel=spec.channel, title=spec.title, description=spec.description,
            by=by, priority=spec.priority, assigned_officer=assigned, visit=visit,
        )
        schedule_scans(made[n])

    def step(n: int, p: PlannedRequest, action: str, text: str | None) -> None:
        request = made[n]
        officer = handler(request)
        if action == "note":
            workflow.add_note(request, officer, text, internal=True)
        elif action == "dispatch":
            chosen = [departments[name] for name in p.spec.departments if name in departments]
            if chosen:
                workflow.dispatch(request, chief, chosen)
        elif action == "escalate":
            if request.level is not Level.leadership:
                workflow.escalate(request, officer, text)
        elif action in ("confirm", "confirm_low"):
            rating, comment = p.spec.low_rating if action == "confirm_low" else p.spec.rating
            rater = contact if contact is not None and contact.enterprise_id == request.enterprise_id else officer
            if rater is officer:
                comment = f"Confirmed by phone with the contact: {comment}"
            workflow.transition(request, "confirm", rater, rating=rating, text=comment)
        else:
            workflow.transition(request, action, officer, text=text)
        schedule_scans(request)

    created_visits = 0
    for v in service.visits:
        key = (ids[v.uscc], v.spec.summary)
        if key in visit_keys:
            visits[v] = db.session.get(Visit, visit_keys[key])
            continue
        created_visits += 1

        def log(v=v) -> None:
            officers = [staff[email] for email in v.officers]
            visits[v] = log_visit(enterprise=db.session.get(Enterprise, ids[v.uscc]),
                                  visited_on=v.at.astimezone(LOCAL_TZ).date(), officers=officers,
                                  summary=v.spec.summary, by=officers[0])

        at(v.at, log)

    created_requests = 0
    for n, p in enumerate(service.requests):
        if (ids[p.uscc], p.spec.title) in request_keys:
            continue
        created_requests += 1
        at(p.received_at, lambda n=n, p=p: create(n, p))
        for when, action, text in p.steps:
            at(when, lambda n=n, p=p, action=action, text=text: step(n, p, action, text))

    try:
        while timeline:
            when, _, action = heapq.heappop(timeline)
            clock.freeze(when)
            action()
        if created_requests and scan_breaches is not None:
            clock.freeze(now)
            scan_breaches(now)
    finally:
        clock.freeze(None)
    db.session.flush()
    summary.count("visits", created_visits, len(service.visits) - created_visits)
    summary.count("service requests", created_requests, len(service.requests) - created_requests)
