"""The demo's portfolio and fund money, through the services of the forms: LP calls from each
sub-fund's first close, yearly management fees; the deals imported at 交割 invested on the day
they closed (historical data, as an import records them), two deals at 签约 closed through the
closing form; marks up and down (one waiting for risk), a dividend, a partial and a full exit,
a write-off, and a distribution to the LPs of the exit's proceeds."""

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, func, select

from fundcrm.auth.queries import find_user
from fundcrm.funds import flows
from fundcrm.ic import queries as ic_queries
from fundcrm.models import (
    Commitment,
    Deal,
    FundExpense,
    Holding,
    LpFlow,
    PortfolioTransaction,
    StageMove,
    SubFund,
    ValuationMark,
)
from fundcrm.portfolio import closing, holdings, queries
from fundcrm.portfolio.holdings import TransactionValues

WAN = Decimal(10000)


def seed_portfolio(db: Session, today: date) -> int:
    if db.exec(select(Holding.id).limit(1)).first() is not None:
        return 0
    before = _rows(db)
    risk, manager = find_user(db, "risk@example.com"), find_user(db, "manager@example.com")
    _money(db, today)
    closed = list(db.exec(select(Deal).where(Deal.stage == "closed").order_by(Deal.id)).all())
    for deal in closed:
        _historical_investment(db, deal, risk)
    signing = list(db.exec(select(Deal).where(Deal.stage == "signing").order_by(Deal.id)).all())
    for deal in signing[:2]:
        _close(db, deal, risk, today)
    db.flush()
    _life(db, risk, manager, today)
    return _rows(db) - before


def _rows(db: Session) -> int:
    """Holdings, their transactions and marks, LP flows and fees."""
    tables = (Holding, PortfolioTransaction, ValuationMark, LpFlow, FundExpense)
    return sum(db.exec(select(func.count()).select_from(t)).one() for t in tables)


def _money(db: Session, today: date) -> None:
    """Calls of 30% at each sub-fund's first close and 20% a year later; a 2% yearly fee."""
    for commitment, fund in queries.commitments_with_funds(db):
        start = fund.first_close or date(2024, 6, 30)
        for years, share in ((0, "0.3"), (1, "0.2")):
            on = start + timedelta(days=365 * years)
            if on <= today:
                flows.record_flow(
                    db,
                    {
                        "lp_id": commitment.lp_id,
                        "sub_fund_id": fund.id,
                        "flow_on": on,
                        "kind": "call",
                        "note": "",
                        "amount_yuan": commitment.committed_yuan * Decimal(share),
                    },
                )
    for fund in db.exec(select(SubFund)).all():
        committed = sum(
            (c.committed_yuan for c, f in queries.commitments_with_funds(db) if f.id == fund.id),
            Decimal(0),
        )
        start = fund.first_close or date(2024, 6, 30)
        for year in range(3):
            on = start + timedelta(days=365 * year)
            if on <= today and committed:
                flows.record_expense(
                    db,
                    {
                        "sub_fund_id": fund.id,
                        "spent_on": on,
                        "kind": "management_fee",
                        "note": "",
                        "amount_yuan": committed * Decimal("0.02"),
                    },
                )


def _closed_on(db: Session, deal: Deal) -> date:
    at = db.exec(
        select(StageMove.at).where(StageMove.deal_id == deal.id, StageMove.to_stage == "closed")
    ).first()
    return at.date() if at else deal.created_on


def _historical_investment(db: Session, deal: Deal, user) -> None:
    """A deal imported at 交割: its investments as historical data, on the day it closed."""
    for part in deal.participations:
        on = max(_closed_on(db, deal), part.sub_fund.first_close or date(2024, 6, 30))
        holding = queries.holding_of(db, part.sub_fund_id, deal.company_id)
        if holding is None:
            holding = Holding(
                sub_fund_id=part.sub_fund_id, company_id=deal.company_id, opened_on=on
            )
            db.add(holding)
            db.flush()
        db.add(
            PortfolioTransaction(
                holding_id=holding.id,
                deal_id=deal.id,
                made_on=on,
                kind="investment",
                amount_yuan=part.proposed_yuan,
                equity_pct=Decimal("8"),
                round=deal.round,
                created_by_id=user.id,
            )
        )
    db.flush()


def _close(db: Session, deal: Deal, risk, today: date) -> None:
    """A deal at 签约 closed through the closing form's service, its IC amounts."""
    decision = ic_queries.latest_decision(db, deal.id)
    on = min(today, max(decision.decided_on + timedelta(days=20), today - timedelta(days=30)))
    rows = [
        closing.Investment(
            p.sub_fund_id,
            on,
            decision.approved_yuan[p.sub_fund_id],
            Decimal("6"),
            decision.approved_yuan[p.sub_fund_id] * 12,
        )
        for p in deal.participations
    ]
    closing.close_deal(db, deal, rows, risk, override="演示数据：投委会已同意的例外")


def _life(db: Session, risk, manager, today: date) -> None:
    """Marks, a dividend, exits and a write-off on the holdings, oldest first."""
    found = sorted(queries.holdings_for_list(db), key=lambda h: (h.opened_on, h.id))
    marked_on = today - timedelta(days=45)
    for index, holding in enumerate(found):
        if holding.opened_on >= marked_on:
            continue
        cost = sum(
            (t.amount_yuan for t in holding.transactions if t.kind == "investment"), Decimal(0)
        )
        factor = ("1.8", "1.3", "0.7", "1.1", "2.4", "0.9")[index % 6]
        holdings.add_mark(
            db,
            holding,
            {
                "marked_on": marked_on,
                "method": "recent_round",
                "fair_value_yuan": (cost * Decimal(factor)).quantize(Decimal("0.01")),
                "note": "年度估值",
            },
            risk,
            counted=True,
        )
    old = [h for h in found if h.opened_on < marked_on]
    if len(old) < 4:
        return
    day = today - timedelta(days=20)
    first, second, third, fourth = old[:4]
    holdings.record(db, first, TransactionValues(day, "dividend", 50 * WAN), risk)
    holdings.record(
        db, second, TransactionValues(day, "proceeds", 600 * WAN, "partial", Decimal("5")), risk
    )
    holdings.record(
        db,
        third,
        TransactionValues(day, "proceeds", _cost(third) * Decimal("2.2"), "full", Decimal("0")),
        risk,
    )
    holdings.record(db, fourth, TransactionValues(day, "write_off", Decimal(0)), risk)
    # a mark waiting for risk's second pair of eyes on day one
    if len(old) > 4:
        holdings.add_mark(
            db,
            old[4],
            {
                "marked_on": today - timedelta(days=5),
                "method": "comparables",
                "fair_value_yuan": _cost(old[4]) * 3,
                "note": "新一轮融资意向",
            },
            manager,
        )
    _distribute(db, third.sub_fund_id, _cost(third) * Decimal("2.2"), day + timedelta(days=3))


def _cost(holding: Holding) -> Decimal:
    return sum((t.amount_yuan for t in holding.transactions if t.kind == "investment"), Decimal(0))


def _distribute(db: Session, sub_fund_id: int, amount: Decimal, on: date) -> None:
    """The exit's proceeds to the sub-fund's LPs, pro rata to their commitments."""
    commitments = list(
        db.exec(select(Commitment).where(Commitment.sub_fund_id == sub_fund_id)).all()
    )
    total = sum((c.committed_yuan for c in commitments), Decimal(0))
    for c in commitments:
        share = (amount * c.committed_yuan / total).quantize(Decimal("0.01"))
        if share > 0:
            flows.record_flow(
                db,
                {
                    "lp_id": c.lp_id,
                    "sub_fund_id": sub_fund_id,
                    "flow_on": on,
                    "kind": "distribution",
                    "amount_yuan": share,
                    "note": "退出分配",
                },
            )
