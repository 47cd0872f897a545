"""The demo portfolio companies' KPIs and milestones, through the services of the holding page's
forms: an annual row for each of the last two full years (sized by the company's stage; a
company registered outside Chongqing earns little of its revenue there), the four quarters of
last year for two companies (one of them without the annual row, so the targets page sums its
quarters), this year's four quarters for every company once the fourth has begun (its figures
to date), and milestones of every kind dated after the fund's first investment in each company.
The demo's investments were made in the last few months, and the targets page counts a year's
revenue only of companies first invested in by its end: this year's quarters give its default
year (the latest with KPIs) a figure with the companies behind it. The `introduced` milestone
normally comes with the demo's relocation; one is added here only when no relocation made one.
Seeded once: a second run adds nothing."""

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session, select

from fundcrm.auth.queries import find_user
from fundcrm.compliance import kpi_queries, kpis, milestones
from fundcrm.errors import ServiceError
from fundcrm.models import Company, CompanyKpi, Milestone

WAN = Decimal(10000)
# enterprise stage → (revenue range in 万元, yearly growth, net margin range, R&D share, patents)
PROFILES = {
    "startup": ((300, 2500), (1.3, 1.9), (-0.6, -0.1), (0.3, 0.6), (5, 40)),
    "growth": ((2500, 18000), (1.15, 1.45), (-0.15, 0.08), (0.12, 0.25), (30, 150)),
    "mature": ((20000, 90000), (1.05, 1.2), (0.03, 0.12), (0.06, 0.1), (120, 400)),
}
TECHNOLOGIES = [
    ("服务机器人多模态感知大模型通过行业测评", "中国信通院测评报告"),
    ("灵巧臂—手协同控制技术突破", "省级科技成果鉴定证书"),
    ("复杂地形运动控制算法突破", "国家机器人检测与评定中心（重庆）检测报告"),
    ("视深导航定位精度达到厘米级", "第三方检测报告"),
    ("高功率密度一体化关节模组研制成功", "发明专利授权通知书"),
    ("多轮人机对话专用大模型完成备案", "生成式人工智能服务备案公示"),
]
PRODUCTS = {
    "cleaning": "商用清洁服务机器人 C 系列量产",
    "logistics": "全轮驱动重载移动机器人上市",
    "medical": "辅助超声诊断机器人取得二类医疗器械注册证",
    "home": "养老陪护机器人量产交付",
    "special": "电力巡检机器人通过首台（套）认定",
    "humanoid": "人形机器人通用原型机发布",
    "general": "服务机器人通用操作系统 2.0 发布",
}
SCENARIOS = {
    "cleaning": "两江新区市政环卫无人清扫示范线",
    "logistics": "国家物流枢纽园区无人配送示范",
    "medical": "三甲医院智慧医院物资配送场景",
    "home": "渝中区社区居家养老示范场景",
    "special": "轨道交通隧道智能巡检示范",
    "humanoid": "智博会人形机器人导览服务",
    "general": "入选重庆市重点鼓励采购产品目录的应用",
}
RECOGNITIONS = [
    ("获评国家级专精特新“小巨人”企业", "工业和信息化部公示名单"),
    ("入选重庆市独角兽企业（种子）名单", "市经济信息委公示名单"),
    ("获评重庆市瞪羚企业", "市科技局公示名单"),
]
INTRODUCED = ("研发总部引进落户两江新区", "两江新区招商引资协议及新设分公司营业执照")


def seed_kpis(db: Session, today: date) -> int:
    """The KPI rows and milestones, when missing; how many records were added."""
    first = kpi_queries.first_investments(db)
    if not first:
        return 0
    companies = kpi_queries.companies_by_id(db, first)
    ordered = sorted(first, key=lambda i: (first[i], i))
    rng = random.Random(2027)  # the action plan's target year: the same demo every time
    return _kpis(db, [companies[i] for i in ordered], rng, today) + _milestones(
        db, [(companies[i], first[i]) for i in ordered], rng, today
    )


def _wan(value: float) -> Decimal:
    return (Decimal(str(value)) * WAN).quantize(Decimal("100"), rounding=ROUND_HALF_UP)


def _years(company: Company, years, moved_in: date | None, rng: random.Random) -> list[dict]:
    """Plausible figures (yuan) of each year: a company registered outside Chongqing that year
    (before a relocation into it) earns little of its revenue there."""
    revenue_range, growth, margin, rd_share, patents = PROFILES[company.enterprise_stage]
    revenue = rng.uniform(*revenue_range)
    count = rng.randint(*patents)
    found = []
    for year in years:
        in_cq = company.district is not None and (moved_in is None or moved_in.year <= year)
        share = rng.uniform(0.6, 0.95) if in_cq else rng.uniform(0.05, 0.25)
        found.append({
            "revenue_yuan": _wan(revenue),
            "cq_revenue_yuan": _wan(revenue * share),
            "net_profit_yuan": _wan(revenue * rng.uniform(*margin)),
            "headcount": max(20, int(revenue / rng.uniform(45, 80))),
            "rd_yuan": _wan(revenue * rng.uniform(*rd_share)),
            "patents": count,
        })  # fmt: skip
        revenue *= rng.uniform(*growth)
        count += rng.randint(3, 25)
    return found


QUARTER_SHARES = (Decimal("0.2"), Decimal("0.23"), Decimal("0.26"))  # Q4: the rest
FLOWS = ("revenue_yuan", "cq_revenue_yuan", "net_profit_yuan", "rd_yuan")


def _quarters(year_values: dict) -> list[dict]:
    """A year's flows spread over its quarters (growing; they add up to the year), the
    headcount growing to the year-end's in Q4."""
    parts = [
        {name: (year_values[name] * share).quantize(Decimal(100)) for name in FLOWS}
        for share in QUARTER_SHARES
    ]
    parts.append({name: year_values[name] - sum(p[name] for p in parts) for name in FLOWS})
    for index, part in enumerate(parts):
        part["headcount"] = year_values["headcount"] - (3 - index) * 4
        part["patents"] = year_values["patents"]
    return parts


def _kpis(db: Session, companies: list[Company], rng: random.Random, today: date) -> int:
    if db.exec(select(CompanyKpi.id).limit(1)).first() is not None:
        return 0
    years = (today.year - 2, today.year - 1)
    # this year's quarters only once they have all begun: before, they would not make a year
    this_year = (today.year,) if today >= date(today.year, 10, 1) else ()
    moved = kpi_queries.moved_into_chongqing(db, [c.id for c in companies])
    added = 0
    for index, company in enumerate(companies):
        figures = _years(company, years + this_year, moved.get(company.id), rng)
        for year, values in zip(years + this_year, figures, strict=True):
            if year != today.year and not (index == 0 and year == years[1]):
                added += _record(db, company.id, str(year), values, today)
            if year == today.year or (year == years[1] and index in (0, 1)):
                for q, part in enumerate(_quarters(values), start=1):
                    added += _record(db, company.id, f"{year}Q{q}", part, today)
    return added


def _record(db: Session, company_id: int, period: str, values: dict, today: date) -> int:
    """1 when recorded; 0 when the rules refuse it (e.g. a period closed in this database)."""
    try:
        with db.begin_nested():
            kpis.record_kpi(db, company_id, period, values, today)
    except ServiceError:
        return 0
    return 1


def _milestones(db: Session, held: list[tuple], rng: random.Random, today: date) -> int:
    own = select(Milestone.id).where(Milestone.relocation_id.is_(None)).limit(1)
    if db.exec(own).first() is not None:
        return 0
    manager = find_user(db, "manager@example.com")
    plan = []
    for index, (company, since) in enumerate(held):
        field = (company.application_fields or ["general"])[0]
        if index % 2 == 0:
            plan.append((company, since, "technology", *TECHNOLOGIES[index // 2 % 6]))
        if index % 3 != 2:
            plan.append((company, since, "product", PRODUCTS[field], "产品发布会及检测报告"))
        if index % 2 == 1:
            plan.append((company, since, "scenario", SCENARIOS[field], "示范应用合同及验收报告"))
        if index % 4 == 0:
            plan.append((company, since, "recognised", *RECOGNITIONS[index // 4 % 3]))
    if not _introduced_by_relocation(db) and held:
        plan.append((*held[-1], "introduced", *INTRODUCED))
    added = 0
    for company, since, kind, title, evidence in plan:
        on = _after(since, today, rng)
        if on is None:
            continue
        values = {"kind": kind, "title": title, "achieved_on": on, "evidence": evidence}
        try:
            with db.begin_nested():
                milestones.add_milestone(db, company.id, values, manager, today)
        except ServiceError:
            continue
        added += 1
    return added


def _introduced_by_relocation(db: Session) -> bool:
    query = select(Milestone.id).where(Milestone.kind == "introduced").limit(1)
    return db.exec(query).first() is not None


def _after(since: date, today: date, rng: random.Random) -> date | None:
    """A day strictly after the first investment and before today, or None if there is none."""
    span = (today - since).days - 2
    if span < 1:
        return None
    return since + timedelta(days=rng.randint(1, span))
