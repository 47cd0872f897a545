"""The demo's portfolio and fund money, through the services of the forms: LP calls from each
sub-fund's first close, yearly management fees; the deals imported at 交割 invested on the day
they closed (historical data, as an import records them), two deals at 签约 closed through the
closing form; marks up and down (one waiting for risk), a dividend, a partial and a full exit,
a write-off, a distribution to the LPs of the exit's proceeds, and a follow-on deal at 签约
waiting for its closing form."""

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, func, select

from fundcrm import clock
from fundcrm.auth.queries import find_user
from fundcrm.deals import moves
from fundcrm.deals import services as deals
from fundcrm.domain.vocab import ROUNDS
from fundcrm.funds import changes, flows
from fundcrm.funds import queries as fund_queries
from fundcrm.ic import decisions
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
    _commitment_changes(db, risk, today)
    closed = list(db.exec(select(Deal).where(Deal.stage == "closed").order_by(Deal.id)).all())
    for deal in closed:
        _historical_investment(db, deal, risk)
    signing = list(db.exec(select(Deal).where(Deal.stage == "signing").order_by(Deal.id)).all())
    for deal in signing[:2]:
        _close(db, deal, risk, today)
    db.flush()
    _life(db, risk, manager, today)
    _follow_on(db, manager, risk, today)
    return _rows(db) - before


FOLLOW_ON_NOTE = "跟投：投决会已同意，待交割"


def _follow_on(db: Session, manager, risk, today: date) -> None:
    """A follow-on for the next round of an active holding with a counted mark: a new deal at
    签约 with its IC decision, waiting for the closing form (which extends the holding)."""
    marked = {m.holding_id for m in db.exec(select(ValuationMark)).all() if m.status == "counted"}
    found = sorted(queries.holdings_for_list(db), key=lambda h: (h.opened_on, h.id))
    companies = [h.company_id for h in found]
    held = next(
        (h for h in found if h.id in marked and holdings.status(h) == "active"
         and companies.count(h.company_id) == 1),
        None,
    )  # fmt: skip
    if held is None:
        return
    rounds = ROUNDS.codes
    current = next((t.round for t in reversed(held.transactions) if t.round), "a")
    next_round = rounds[min(rounds.index(current) + 1, len(rounds) - 1)]
    deal = deals.create_deal(
        db,
        {
            "company_id": held.company_id,
            "round": next_round,
            "source": "own",
            "owner_id": manager.id,
            "participations": [(held.sub_fund_id, 500 * WAN)],
            "ask_yuan": 5000 * WAN,
            "notes": FOLLOW_ON_NOTE,
        },
        manager,
        prefix="XM",
    )
    moves.record_import_move(db, deal, "signing", clock.now(), risk)
    decisions.record_historical(
        db,
        deal,
        {
            "decided_on": today - timedelta(days=3),
            "outcome": "approve",
            "amounts": {str(held.sub_fund_id): 500 * WAN},
            "note": "跟投决议",
            "conditions": [],
        },
        risk,
    )


def _commitment_changes(db: Session, risk, today: date) -> None:
    """The district LP raises its angel commitment by 5,000 万元 a year after the first close;
    the institution transfers 2,000 万元 of its uncalled angel commitment to the industry leader
    two months ago (which opens the leader's angel commitment)."""
    angel = next(f for f in fund_queries.sub_funds(db) if f.code == "ANGEL")
    by_name = {lp.name: lp for lp in fund_queries.lps(db)}
    raised = fund_queries.commitment_of(db, by_name["两江新区产业发展投资基金"].id, angel.id)
    given = fund_queries.commitment_of(db, by_name["重庆科创投资管理有限公司"].id, angel.id)
    start = angel.first_close or date(2024, 6, 28)
    for commitment, values in (
        (raised, {"changed_on": start + timedelta(days=365), "kind": "increase",
                  "amount_yuan": 5000 * WAN, "to_lp_id": None, "note": "二期增资"}),
        (given, {"changed_on": today - timedelta(days=60), "kind": "transfer",
                 "amount_yuan": 2000 * WAN, "to_lp_id": by_name["渝创机器人产业集团有限公司"].id,
                 "note": "未实缴份额转让"}),
    ):  # fmt: skip
        if commitment is not None and values["changed_on"] <= today:
            changes.record_change(db, commitment, values, risk.id)


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
