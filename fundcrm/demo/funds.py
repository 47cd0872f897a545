"""The fund, its two sub-funds with their LPA settings, six LPs (the LP representative's account
tied to one of them) and ten commitments."""

from datetime import date
from decimal import Decimal

from fundcrm.demo.people import tie_representative
from fundcrm.domain.money import wan_to_yuan
from fundcrm.funds import queries as fund_queries
from fundcrm.funds import services as funds
from fundcrm.models import Commitment, LimitedPartner, SubFund

FUND = {
    "name": "重庆AI及服务机器人基金",
    "name_en": "Chongqing AI & Service Robot Fund",
    "target_yuan": wan_to_yuan(Decimal(1_000_000)),
    "phases": "一期（2024年）：首期规模50亿元，设立天使基金与产业基金\n"
    "二期（2026年起）：视投资进度再募50亿元",
}

SUB_FUNDS = [
    {
        "code": "ANGEL",
        "name": "重庆AI及服务机器人天使基金",
        "name_en": "Angel Fund",
        "target_yuan": wan_to_yuan(Decimal(100_000)),
        "first_close": date(2024, 6, 28),
        "investment_end": date(2029, 6, 30),
        "term_end": date(2034, 6, 30),
        "allowed_stages": ["startup", "growth"],
        "focus_areas": [],
        "project_cap_pct": Decimal("20"),
        "ic_quorum": "2/3",
        "ic_threshold": "2/3",
        "veto_holder_ids": [],
    },
    {
        "code": "INDUSTRY",
        "name": "重庆AI及服务机器人产业基金",
        "name_en": "Industry Fund",
        "target_yuan": wan_to_yuan(Decimal(400_000)),
        "first_close": date(2024, 9, 30),
        "investment_end": date(2029, 9, 30),
        "term_end": date(2034, 9, 30),
        "allowed_stages": ["growth", "mature"],
        "focus_areas": [],
        "project_cap_pct": Decimal("20"),
        "ic_quorum": "2/3",
        "ic_threshold": "2/3",
        "veto_holder_ids": [],
    },
]

# name, type, government: the plan's city and district funds of funds, an industry leader and
# a professional investor, and the GP.
LPS = [
    ("重庆市产业投资母基金", "city_fof", True),
    ("两江新区产业发展投资基金", "district_fof", True),
    ("西部科学城重庆高新区创新投资基金", "district_fof", True),
    ("渝创机器人产业集团有限公司", "industry_leader", False),
    ("重庆科创投资管理有限公司", "institution", False),
    ("重庆AI及服务机器人基金管理有限公司", "gp", False),
]

# lp, sub-fund, committed 万元, re-investment ratio, area, base
COMMITMENTS = [
    ("重庆市产业投资母基金", "ANGEL", 30_000, "1.2", ["chongqing"], "committed"),
    (
        "两江新区产业发展投资基金",
        "ANGEL",
        20_000,
        "1.5",
        ["渝北区", "江北区", "北碚区"],
        "committed",
    ),
    (
        "西部科学城重庆高新区创新投资基金",
        "ANGEL",
        20_000,
        "1.5",
        ["沙坪坝区", "九龙坡区"],
        "paid_in",
    ),
    ("重庆科创投资管理有限公司", "ANGEL", 25_000, None, [], None),
    ("重庆AI及服务机器人基金管理有限公司", "ANGEL", 5_000, None, [], None),
    ("重庆市产业投资母基金", "INDUSTRY", 120_000, "1.2", ["chongqing"], "committed"),
    (
        "西部科学城重庆高新区创新投资基金",
        "INDUSTRY",
        50_000,
        "1.5",
        ["沙坪坝区", "九龙坡区", "璧山区"],
        "committed",
    ),
    ("渝创机器人产业集团有限公司", "INDUSTRY", 150_000, None, [], None),
    ("重庆科创投资管理有限公司", "INDUSTRY", 70_000, None, [], None),
    ("重庆AI及服务机器人基金管理有限公司", "INDUSTRY", 10_000, None, [], None),
]


def seed_fund(db) -> int:
    """The fund settings, sub-funds and LPs that are missing; how many were added."""
    added = 0
    if funds.fund_settings(db) is None:
        funds.save_fund_settings(db, FUND)
        added += 1
    existing = {f.code for f in funds.sub_funds(db)}
    for values in SUB_FUNDS:
        if values["code"] not in existing:
            funds.save_sub_fund(db, SubFund(code="", name="", target_yuan=0), values)
            added += 1
    have = {lp.name for lp in fund_queries.lps(db)}
    for name, lp_type, government in LPS:
        if name not in have:
            funds.save_lp(
                db,
                LimitedPartner(name="", lp_type=""),
                {"name": name, "lp_type": lp_type, "is_government": government},
            )
            added += 1
    tie_representative(db, fund_queries.lps(db))  # a link, not a record: not counted
    return added


def seed_commitments(db) -> int:
    """The missing commitments, through the same rules as the setup form."""
    lps = {lp.name: lp.id for lp in fund_queries.lps(db)}
    sub_funds = {f.code: f.id for f in funds.sub_funds(db)}
    have = {(c.lp_id, c.sub_fund_id) for c in fund_queries.commitments(db)}
    added = 0
    for lp, code, wan, ratio, area, base in COMMITMENTS:
        if (lps[lp], sub_funds[code]) in have:
            continue
        funds.save_commitment(
            db,
            Commitment(lp_id=0, sub_fund_id=0, committed_yuan=0),
            {
                "lp_id": lps[lp],
                "sub_fund_id": sub_funds[code],
                "committed_yuan": wan_to_yuan(Decimal(wan)),
                "reinvest_ratio": Decimal(ratio) if ratio else None,
                "reinvest_area": area,
                "reinvest_base": base,
            },
        )
        added += 1
    return added
