"""Demo data, seeded once through the same services as the UI and imports: running the seed
again adds nothing. Names are invented; the vocabulary follows the city's action plan."""

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select

from fundcrm import clock
from fundcrm.audit import set_actor
from fundcrm.auth import services as accounts
from fundcrm.companies import services as companies
from fundcrm.deals import services as deals
from fundcrm.domain import stages, uscc
from fundcrm.domain.money import wan_to_yuan
from fundcrm.domain.vocab import APPLICATION_FIELDS, ROUNDS, SOURCES
from fundcrm.funds import services as funds
from fundcrm.models import (
    Activity,
    Commitment,
    Company,
    Contact,
    Deal,
    LimitedPartner,
    SubFund,
    User,
)
from fundcrm.workspace import services as workspace

DEMO_PASSWORD = "fundcrm-demo"  # noqa: S105 - documented demo-only password

DEMO_ACCOUNTS = [
    ("admin@example.com", "系统管理员 王敏", ["admin"]),
    ("manager@example.com", "投资经理 李响", ["manager"]),
    ("manager2@example.com", "投资经理 陈思远", ["manager"]),
    ("ic1@example.com", "投委委员 张建国", ["ic_member"]),
    ("ic2@example.com", "投委委员 刘芳", ["ic_member"]),
    ("ic3@example.com", "投委委员 赵志强", ["ic_member"]),
    ("risk@example.com", "风控合规 周静", ["risk"]),
    ("lp@example.com", "出资人代表 孙立", ["viewer"]),
]

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

# name, type, government
LPS = [
    ("重庆市产业投资母基金", "city_fof", True),
    ("两江新区产业发展投资基金", "district_fof", True),
    ("西部科学城重庆高新区创新投资基金", "district_fof", True),
    ("渝创机器人产业集团有限公司", "industry_leader", False),
    ("重庆科创投资管理有限公司", "institution", False),
    ("重庆AI及服务机器人基金管理有限公司", "gp", False),
]

# lp, sub-fund, committed 万元, ratio, area, base
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

BRANDS = [
    "智元",
    "云脑",
    "擎天",
    "灵犀",
    "渝芯",
    "星途",
    "极智",
    "深蓝",
    "启明",
    "天枢",
    "凌云",
    "瑞驰",
    "汇川",
    "巴渝",
    "山城",
    "朝天门",
    "嘉陵",
    "长江",
    "缙云",
    "歌乐",
    "两江",
    "金凤",
    "弘毅",
    "博川",
    "睿行",
    "知行",
    "乐途",
    "安巡",
    "洁宝",
    "医联",
    "康复",
    "小象",
]
TRADES = [
    ("大模型科技", "large_model", ["general"]),
    ("具身智能科技", "embodied_ai", ["humanoid", "general"]),
    ("机器人科技", "robot_body", ["cleaning", "logistics"]),
    ("医疗机器人", "robot_body", ["medical"]),
    ("物流科技", "embodied_ai", ["logistics"]),
    ("智能装备", "robot_body", ["special"]),
    ("人工智能", "large_model", ["home", "general"]),
    ("清洁机器人", "robot_body", ["cleaning"]),
]
# (district, 6-digit area code, zone)
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
DESCRIPTIONS = {
    "large_model": "面向服务机器人的行业大模型，提供多轮对话、任务规划与知识技能平台。",
    "embodied_ai": "具身智能解决方案，融合全模态感知与运动控制，落地物流与居家场景。",
    "robot_body": "服务机器人整机及关键零部件研发制造，核心部件自主可控。",
}
# How many demo deals end in each stage.
STAGE_PLAN = {
    "sourcing": 10,
    "screening": 9,
    "approved": 8,
    "due_diligence": 8,
    "ic": 6,
    "signing": 4,
    "closed": 9,
    "on_hold": 5,
    "passed": 5,
}
PASS_REASONS = [
    "估值过高，与团队预期差距较大",
    "核心技术壁垒不足",
    "不符合返投要求且无落地计划",
    "创始团队股权结构不清晰",
    "市场空间有限",
]
NEXT_STEPS = [
    "约创始人二次访谈",
    "实地考察生产线",
    "补充财务数据",
    "与领投方沟通条款",
    "组织技术专家评审",
    "提交立项申请",
]


def seed(db: Session, settings: dict, today: date | None = None) -> int:
    """Create whatever demo records are missing; returns how many records were added."""
    set_actor(db, None, "demo")
    today = today or clock.today()
    added = _accounts(db, settings) + _fund(db) + _commitments(db)
    added += _pipeline(db, settings, today)
    db.commit()
    return added


def _accounts(db, settings) -> int:
    added = 0
    for email, name, roles in DEMO_ACCOUNTS:
        if accounts.find_user(db, email) is None:
            accounts.create_user(
                db, email=email, name=name, roles=roles, password=DEMO_PASSWORD, settings=settings
            )
            added += 1
    return added


def _fund(db) -> int:
    added = 0
    if funds.fund_settings(db) is None:
        funds.save_fund_settings(db, FUND)
        added += 1
    existing = {f.code for f in funds.sub_funds(db)}
    for values in SUB_FUNDS:
        if values["code"] not in existing:
            funds.save_sub_fund(db, SubFund(code="", name="", target_yuan=0), values)
            added += 1
    have = set(db.exec(select(LimitedPartner.name)).all())
    for name, lp_type, government in LPS:
        if name not in have:
            funds.save_lp(
                db,
                LimitedPartner(name="", lp_type=""),
                {"name": name, "lp_type": lp_type, "is_government": government},
            )
            added += 1
    return added


def _commitments(db) -> int:
    lps = {lp.name: lp.id for lp in db.exec(select(LimitedPartner)).all()}
    sub_funds = {f.code: f.id for f in funds.sub_funds(db)}
    have = set(db.exec(select(Commitment.lp_id, Commitment.sub_fund_id)).all())
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


def demo_companies(rng: random.Random) -> list[dict]:
    """64 invented companies with valid USCCs, spread over focus areas, zones and stages."""
    rows = []
    for i in range(64):
        brand, (trade, focus, fields) = BRANDS[i % len(BRANDS)], TRADES[(i * 3) % len(TRADES)]
        district, area_code, zone = PLACES[i % len(PLACES)]
        prefix = "重庆" if district else ("深圳" if area_code == "440300" else "上海")
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
                "description": DESCRIPTIONS[focus],
                "name_en": None,
                "website": None,
            }
        )
    return rows


def _pipeline(db, settings, today: date) -> int:
    rng = random.Random(2023)  # the action plan's year: the same demo every time
    owners = [
        db.exec(select(User).where(User.email == e)).one()
        for e in ("manager@example.com", "manager2@example.com")
    ]
    sub_funds = {f.code: f for f in funds.sub_funds(db)}
    plan = [stage for stage, n in STAGE_PLAN.items() for _ in range(n)]
    added = 0
    for i, values in enumerate(demo_companies(rng)):
        company = db.exec(select(Company).where(Company.uscc == values["uscc"])).first()
        if company is None:
            company = companies.save_company(
                db,
                Company(name="", name_key="", uscc="", focus_area="", enterprise_stage=""),
                values,
                user=None,
                confirmed_similar=True,
            )
            added += 1
        if db.exec(select(Deal.id).where(Deal.company_id == company.id)).first() is None:
            _demo_deal(db, settings, rng, company, plan[i % len(plan)], owners, sub_funds, today)
            added += 1
    return added


def _demo_deal(db, settings, rng, company, final_stage, owners, sub_funds, today) -> Deal:
    deal = _open_demo_deal(db, settings, rng, company, final_stage, owners, sub_funds, today)
    _workspace(db, settings, rng, company, deal, today)
    return deal


def _open_demo_deal(db, settings, rng, company, final_stage, owners, sub_funds, today) -> Deal:
    created = today - timedelta(days=rng.randint(60, 720))
    at = datetime.combine(created, time(9, 30), UTC)
    owner = owners[rng.randrange(2)]
    chosen = (
        ["ANGEL"]
        if company.enterprise_stage == "startup"
        else (
            ["INDUSTRY"]
            if company.enterprise_stage == "mature"
            else rng.choice([["ANGEL"], ["INDUSTRY"], ["ANGEL", "INDUSTRY"]])
        )
    )
    ask = Decimal(rng.choice([1500, 3000, 5000, 8000, 12000, 20000]))
    deal = deals.create_deal(
        db,
        {
            "company_id": company.id,
            "round": rng.choice(ROUNDS.codes[:7]),
            "source": SOURCES.codes[company.id % len(SOURCES.codes)],
            "owner_id": owner.id,
            "team_ids": [o.id for o in owners] if rng.random() < 0.3 else [owner.id],
            "participations": [
                (sub_funds[c].id, wan_to_yuan(ask * Decimal("0.3") / len(chosen))) for c in chosen
            ],
            "ask_yuan": wan_to_yuan(ask),
            "pre_money_yuan": wan_to_yuan(ask * rng.choice([5, 8, 10])),
            "next_step": rng.choice(NEXT_STEPS),
            "next_step_due": today + timedelta(days=rng.randint(-10, 30)),
            "notes": f"{APPLICATION_FIELDS.label(company.application_fields[0], 'zh')}场景，"
            f"团队来自{rng.choice(['重庆大学', '电子科技大学', '华为', '科大讯飞', '中科院'])}。",
            "created_on": created,
        },
        None,
        prefix=settings["DEAL_REF_PREFIX"],
        at=at,
    )
    _walk_history(db, rng, deal, final_stage, at, today)
    return deal


def _walk_history(db, rng, deal, final_stage, at, today) -> None:
    """Move the deal along the path to its final stage, as an import would, spread in time."""
    target = final_stage if final_stage in stages.PATH else rng.choice(stages.PATH[1:4])
    path = stages.PATH[1 : stages.PATH.index(target) + 1]
    latest = datetime.combine(today - timedelta(days=1), time(17, 0), UTC)
    budget = (latest - at).days
    steps = len(path) + (1 if final_stage in stages.OFF_PATH else 0)
    for stage in path:
        at += timedelta(days=max(1, rng.randint(budget // (steps + 2), budget // (steps + 1))))
        deals.record_import_move(db, deal, stage, min(at, latest))
    if final_stage in ("closed", "passed"):
        deal.next_step, deal.next_step_due = None, None
        workspace.sync_next_step(db, deal)
    if final_stage in stages.OFF_PATH:
        at = min(at + timedelta(days=rng.randint(3, 20)), latest)
        reason = rng.choice(PASS_REASONS) if final_stage == "passed" else None
        deals.record_import_move(db, deal, final_stage, at, pass_reason=reason)


ACTIVITY_NOTES = {
    "meeting": "与创始团队首次会谈，了解核心技术路线、融资计划及在渝落地意向。",
    "call": "电话沟通本轮估值与领投方进展，对方预计两周内确定条款。",
    "site_visit": "实地考察生产线与测试场地，样机已在园区开展清洁与配送试运行。",
    "email": "收到补充材料：近两年财务报表、专利清单及主要客户合同。",
    "roadshow": "参加两江新区机器人路演，项目获评委关注，约定后续尽调。",
}
FINDINGS = [
    ("financial", "收入确认", "部分项目收入提前确认，需调整约 320 万元。", "medium"),
    ("legal", "知识产权", "核心专利登记在创始人个人名下，尚未转让至公司。", "red_flag"),
    ("technical", "样机测试", "续航测试低于宣称指标约 15%。", "low"),
]


def _workspace(db, settings, rng, company, deal, today) -> None:
    """Contacts, activities, DD progress and a document, as a deal team would have left them."""
    contact = db.exec(select(Contact).where(Contact.company_id == company.id)).first()
    if contact is None:
        contact = companies.save_contact(
            db,
            Contact(company_id=company.id, name=""),
            {
                "name": rng.choice(["张伟", "王芳", "李娜", "刘洋", "陈杰"]),
                "title": "创始人、CEO",
                "phone": f"139{rng.randint(10000000, 99999999)}",
                "email": None,
                "wechat": f"cq_{company.id}",
            },
        )
    for offset, kind in enumerate(rng.sample(list(ACTIVITY_NOTES), rng.randint(1, 3))):
        when = max(deal.created_on + timedelta(days=7 * (offset + 1)), deal.created_on)
        workspace.save_activity(
            db,
            Activity(company_id=company.id, kind="", summary=""),
            {
                "company_id": company.id,
                "deal_id": deal.id,
                "kind": kind,
                "occurred_on": min(when, today),
                "summary": ACTIVITY_NOTES[kind],
                "user_ids": [deal.owner_id],
                "contact_ids": [contact.id],
            },
            None,
        )
    _dd_progress(db, rng, deal)
    if deal.stage in ("due_diligence", "ic", "signing", "closed"):
        workspace.store_document(
            db,
            Path(settings["INSTANCE_PATH"]) / "documents",
            {"deal_id": deal.id},
            "商业计划书",
            "business-plan.pdf",
            demo_pdf(f"Business plan {deal.deal_ref}"),
            None,
            settings["MAX_UPLOAD_MB"] * 2**20,
        )


def _dd_progress(db, rng, deal) -> None:
    items = [i for group in workspace.checklist(db, deal.id).values() for i in group]
    if not items:
        return
    finished = deal.stage in ("ic", "signing", "closed")
    for item in items:
        if finished or rng.random() < 0.4:
            waive = finished and rng.random() < 0.1
            workspace.update_dd_item(
                db,
                item,
                {
                    "status": "waived" if waive else "done",
                    "owner_id": item.owner_id,
                    "severity": "none",
                    "finding": None,
                    "waive_reason": "该企业为轻资产研发型企业，不适用" if waive else None,
                },
            )
        elif rng.random() < 0.3:
            item.status = "in_progress"
    if deal.stage == "due_diligence" and deal.id % 3 == 0:
        for stream, title, finding, severity in FINDINGS:
            item = next(i for i in items if i.workstream == stream)
            workspace.update_dd_item(
                db,
                item,
                {
                    "status": "in_progress",
                    "owner_id": item.owner_id,
                    "severity": severity,
                    "finding": f"{title}：{finding}",
                    "waive_reason": None,
                },
            )


def demo_pdf(text: str) -> bytes:
    """A small, valid one-page PDF (ASCII text) for the demo documents."""
    stream = f"BT /F1 20 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
