"""64 invented companies with valid USCCs and distinct names, in the action plan's terms."""

import random
from datetime import date

from fundcrm.companies import queries as company_queries
from fundcrm.companies import services as companies
from fundcrm.domain import uscc
from fundcrm.models import Company

COMPANY_COUNT = 64

BRANDS = [
    "智元", "云脑", "擎天", "灵犀", "渝芯", "星途", "极智", "深蓝",
    "启明", "天枢", "凌云", "瑞驰", "汇川", "巴渝", "山城", "朝天门",
    "嘉陵", "长江", "缙云", "歌乐", "两江", "金凤", "弘毅", "博川",
    "睿行", "知行", "乐途", "安巡", "洁宝", "医联", "康复", "小象",
]  # fmt: skip
# The trade in a company's name, its focus area and application fields: the plan's three
# core technologies (大模型, 具身智能, 机器人本体) and its six product systems.
TRADES = [
    ("大模型科技", "large_model", ["general"]),
    ("具身智能科技", "embodied_ai", ["humanoid", "general"]),
    ("清洁机器人", "robot_body", ["cleaning"]),
    ("物流机器人", "embodied_ai", ["logistics"]),
    ("医疗机器人", "robot_body", ["medical"]),
    ("居家服务机器人", "robot_body", ["home"]),
    ("特种机器人", "robot_body", ["special"]),
    ("人形机器人", "embodied_ai", ["humanoid"]),
]
DESCRIPTIONS = {
    "大模型科技": "服务机器人专用大模型与业务大模型，提供多轮人机对话、任务规划与知识技能平台。",
    "具身智能科技": "具身智能解决方案，融合全模态感知、自主决策与运动控制，落地物流与居家场景。",
    "清洁机器人": "面向商场、酒店、社区的清洁服务机器人，具备智能行为规划与智能运动控制能力。",
    "物流机器人": "无人配送、分拣及AGV智能寻迹搬运机器人，服务智慧商贸物流与智慧园区运营。",
    "医疗机器人": "医疗服务机器人：辅助超声诊断和筛查、医疗物资配送与康复外骨骼。",
    "居家服务机器人": "家务、教育、养老陪伴等居家服务机器人整机研发，核心部件自主可控。",
    "特种机器人": "电力巡检、安防与救援、危化品巡检等特种服务机器人研发制造。",
    "人形机器人": "人形机器人通用原型机研发，攻关灵巧臂—手建模与复杂运动控制技术。",
}
# (district, 6-digit area code, cluster zone)
PLACES = [
    ("渝北区", "500112", "liangjiang"),
    ("江北区", "500105", "liangjiang"),
    ("北碚区", "500109", "liangjiang"),
    ("沙坪坝区", "500106", "science_city"),
    ("九龙坡区", "500107", "science_city"),
    ("璧山区", "500120", "science_city"),
    ("渝中区", "500103", "central"),
    ("南岸区", "500108", "central"),
    ("永川区", "500118", "west"),
    ("江津区", "500116", "west"),
    ("涪陵区", "500102", "other_cq"),
    (None, "440300", "outside"),
    (None, "310115", "outside"),
]
CITIES = {"440300": "深圳", "310115": "上海"}


def demo_companies(rng: random.Random) -> list[dict]:
    """The companies' values, spread over focus areas, zones and stages; no two share a brand
    and a trade, so names (and their loose keys) are distinct."""
    rows = []
    for i in range(COMPANY_COUNT):
        brand = BRANDS[i % len(BRANDS)]
        # The second pass over the brands shifts the trade, so a brand never repeats one.
        trade, focus, fields = TRADES[(i * 3 + i // len(BRANDS)) % len(TRADES)]
        district, area_code, zone = PLACES[i % len(PLACES)]
        prefix = CITIES.get(area_code, "重庆")
        org = "".join(rng.choice(uscc.ALPHABET) for _ in range(9))
        rows.append(
            {
                "name": f"{prefix}{brand}{trade}有限公司",
                "uscc": uscc.complete(f"91{area_code}{org}"),
                "focus_area": focus,
                "application_fields": fields,
                "enterprise_stage": ["startup", "growth", "mature"][i % 3 if i % 7 else 1],
                "district": district,
                "city": None if district else prefix,
                "zone": zone,
                "founded_on": date(2012 + i % 12, 1 + i % 12, 1 + i % 27),
                "headcount": 15 + (i * 37) % 600,
                "specialized_level": ["none", "province", "little_giant"][i % 3],
                "description": DESCRIPTIONS[trade],
                "name_en": None,
                "website": None,
            }
        )
    return rows


def find_or_create_company(db, values: dict) -> tuple[Company, bool]:
    """The company with these values' USCC, created through the company rules if missing;
    whether it was created."""
    company = company_queries.by_uscc(db, values["uscc"])
    if company is not None:
        return company, False
    company = companies.save_company(
        db,
        Company(name="", name_key="", uscc="", focus_area="", enterprise_stage=""),
        values,
        user=None,
        confirmed_similar=True,
    )
    return company, True
