"""The demo's guidance-fund cases, through the services of the forms: a portfolio company of the
angel fund registered in a city outside Chongqing relocates into 渝北区 (in the 两江新区 LP's
re-investment area) after the fund's first investment in it — its relocation, and its
`introduced` milestone — and the angel fund's largest active holding gets a follow-on, entered
directly by risk, that brings it near the single-project cap (93% of it, not over)."""

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from sqlmodel import Session, select

from fundcrm.auth.queries import find_user
from fundcrm.companies import relocations
from fundcrm.companies.queries import relocations_of
from fundcrm.domain import stages
from fundcrm.domain.compliance import committed_size
from fundcrm.domain.location import Place
from fundcrm.funds import queries as fund_queries
from fundcrm.models import Holding, PortfolioTransaction
from fundcrm.portfolio import holdings, queries

WAN = Decimal(10000)
RELOCATED_TO = ("渝北区", "liangjiang")
EVIDENCE = "新营业执照（注册地：重庆市渝北区）及市场监管局变更登记通知书"
FOLLOW_ON_NOTE = "B轮跟投（投决会已同意，历史数据直接录入）"
FOLLOW_ON_REASON = "演示数据：投委会已同意的B轮跟投，接近单项目投资上限，由风控直接录入"
NEAR_SHARE = Decimal("0.93")


def seed_compliance(db: Session, today: date) -> int:
    """The relocation (with its milestone) and the follow-on, when missing; records added."""
    angel = next((f for f in fund_queries.sub_funds(db) if f.code == "ANGEL"), None)
    risk = find_user(db, "risk@example.com")
    if angel is None or risk is None:
        return 0
    return _relocation(db, angel, risk, today) + _near_cap(db, angel, risk, today)


def _by_first_investment(db: Session, angel) -> list[Holding]:
    found = [h for h in queries.holdings_for_list(db, angel.code) if _investments(h)]
    return sorted(found, key=lambda h: (_investments(h)[0].made_on, h.id))


def _investments(holding: Holding) -> list[PortfolioTransaction]:
    return [t for t in holding.transactions if t.kind == "investment"]


def _relocation(db: Session, angel, risk, today: date) -> int:
    """The first angel holding registered outside Chongqing moves to 渝北区 halfway to today
    (at most 45 days) after the fund's first investment in it."""
    for holding in _by_first_investment(db, angel):
        company = holding.company
        if relocations_of(db, company.id):
            return 0  # seeded already
        if Place.of(company.district, company.city).in_chongqing is not False:
            continue
        first = _investments(holding)[0].made_on
        if (today - first).days < 2:
            continue
        district, zone = RELOCATED_TO
        values = {
            "to_district": district,
            "to_city": None,
            "to_zone": zone,
            "effective_on": first + timedelta(days=min(45, (today - first).days // 2)),
            "evidence": EVIDENCE,
        }
        relocations.record_relocation(db, company, values, risk)
        return 2  # the relocation and its milestone
    return 0


def _near_cap(db: Session, angel, risk, today: date) -> int:
    """A follow-on ten days ago bringing the largest active angel holding to 93% of the cap."""
    noted = select(PortfolioTransaction.id).where(PortfolioTransaction.note == FOLLOW_ON_NOTE)
    if db.exec(noted).first() is not None:
        return 0
    active = [h for h in queries.holdings_for_list(db, angel.code)
              if holdings.status(h) == "active" and _investments(h)]  # fmt: skip
    if not active:
        return 0
    holding = max(active, key=lambda h: (sum(t.amount_yuan for t in _investments(h)), -h.id))
    on = max(today - timedelta(days=10), holding.transactions[-1].made_on)
    size = committed_size(fund_queries.commitment_schedules(db), angel.id, on, angel.target_yuan)
    cost = sum((t.amount_yuan for t in _investments(holding)), Decimal(0))
    wanted = stages.cap_limit(size, angel.project_cap_pct) * NEAR_SHARE
    amount = ((wanted - cost) / WAN).quantize(Decimal(1), rounding=ROUND_DOWN) * WAN
    if amount <= 0:
        return 0
    values = holdings.TransactionValues(
        on, "investment", amount, override_reason=FOLLOW_ON_REASON, note=FOLLOW_ON_NOTE
    )
    holdings.record(db, holding, values, risk)
    return 1
