"""One deal per demo company, spread over every stage, with its stage history entered as
historical data (import moves: no gates) over the last two years."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from fundcrm.deals import moves
from fundcrm.deals import services as deals
from fundcrm.domain import stages
from fundcrm.domain.money import wan_to_yuan
from fundcrm.domain.vocab import APPLICATION_FIELDS, ROUNDS, SOURCES
from fundcrm.models import Deal
from fundcrm.workspace import queries as workspace_queries
from fundcrm.workspace import services as workspace

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
FINAL_STAGES = [stage for stage, n in STAGE_PLAN.items() for _ in range(n)]
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
TEAMS_FROM = ["重庆大学", "电子科技大学", "华为", "科大讯飞", "中科院"]
ASKS_WAN = [1500, 3000, 5000, 8000, 12000, 20000]


def has_deal(db, company) -> bool:
    return bool(workspace_queries.company_deals(db, company.id))


# Risk's cases (its "My deals"): the first mature company ending in each of these stages has
# the angel fund co-investing outside its mandate (start-ups and growth only). The one in due
# diligence came in as historical data, its breach recorded on the import move; the one at
# 立项 was moved there by risk with an override reason.
RISK_CASES = {"due_diligence": "import", "approved": "override"}
OVERRIDE_REASON = "产业链协同项目：天使基金小比例跟投，投委会同意作为例外，投后重点跟踪"


def risk_case(company, final_stage: str, taken: set[str]) -> str | None:
    """Which of risk's cases this company's deal is, if any ("import" or "override")."""
    case = RISK_CASES.get(final_stage)
    if case is None or case in taken or company.enterprise_stage != "mature":
        return None
    return case


def open_demo_deal(
    db, settings, rng, company, final_stage, owners, sub_funds, today, case=None, risk=None
) -> Deal:
    """Open the company's deal through the deal rules and walk it to `final_stage`; a risk
    `case` adds the angel fund outside its mandate (see RISK_CASES)."""
    created = today - timedelta(days=rng.randint(60, 720))
    at = datetime.combine(created, time(9, 30), UTC)
    owner = owners[rng.randrange(2)]
    chosen = _sub_funds_for(rng, company.enterprise_stage)
    if case:
        chosen = ["INDUSTRY", "ANGEL"]
    ask = Decimal(rng.choice(ASKS_WAN))
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
            f"团队来自{rng.choice(TEAMS_FROM)}。",
            "created_on": created,
        },
        None,
        prefix=settings["DEAL_REF_PREFIX"],
        at=at,
    )
    if case == "override":
        _walk_history(db, rng, deal, "screening", at, today)
        _override_by_risk(db, deal, final_stage, risk, today)
    else:
        _walk_history(db, rng, deal, final_stage, at, today)
    return deal


def _override_by_risk(db, deal, to_stage: str, risk, today: date) -> None:
    """Risk moves the deal on through the gates, overriding the mandate breach with a reason."""
    at = max(
        datetime.combine(today - timedelta(days=2), time(15, 0), UTC),
        deal.stage_entered_at + timedelta(hours=1),
    )
    moves.move_stage(db, deal, to_stage, risk, override_reason=OVERRIDE_REASON, now=at)


def _sub_funds_for(rng, enterprise_stage: str) -> list[str]:
    """Start-ups go to the angel fund, mature companies to the industry fund, growth to either
    or both (the sub-funds' mandates)."""
    if enterprise_stage == "startup":
        return ["ANGEL"]
    if enterprise_stage == "mature":
        return ["INDUSTRY"]
    return rng.choice([["ANGEL"], ["INDUSTRY"], ["ANGEL", "INDUSTRY"]])


def _walk_history(db, rng, deal, final_stage, at, today: date) -> None:
    """Move the deal along the path to its final stage, as an import would, spread in time."""
    target = final_stage if final_stage in stages.PATH else rng.choice(stages.PATH[1:4])
    path = stages.PATH[1 : stages.PATH.index(target) + 1]
    latest = datetime.combine(today - timedelta(days=1), time(17, 0), UTC)
    budget = (latest - at).days
    steps = len(path) + (1 if final_stage in stages.OFF_PATH else 0)
    for stage in path:
        at += timedelta(days=max(1, rng.randint(budget // (steps + 2), budget // (steps + 1))))
        moves.record_import_move(db, deal, stage, min(at, latest))
    if final_stage == "closed":  # a passed deal loses its next step as it is passed
        deal.next_step, deal.next_step_due = None, None
        workspace.sync_next_step(db, deal)
    if final_stage in stages.OFF_PATH:
        at = min(at + timedelta(days=rng.randint(3, 20)), latest)
        reason = rng.choice(PASS_REASONS) if final_stage == "passed" else None
        moves.record_import_move(db, deal, final_stage, at, pass_reason=reason)
