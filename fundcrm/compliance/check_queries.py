"""The reads of the compliance checks (fundcrm.compliance.checks): plain rows (no ORM objects)
from a fixed number of statements, whatever the portfolio's size; one sub-fund's, or every
sub-fund's (None)."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from fundcrm.models import (
    Commitment,
    Company,
    Deal,
    DealSubFund,
    Holding,
    IcCondition,
    LimitedPartner,
    PortfolioTransaction,
    Relocation,
    StageMove,
)

_commitment, _lp = Commitment.__table__, LimitedPartner.__table__
_holding, _txn, _company = Holding.__table__, PortfolioTransaction.__table__, Company.__table__
_relocation, _move, _deal = Relocation.__table__, StageMove.__table__, Deal.__table__
_part, _condition = DealSubFund.__table__, IcCondition.__table__


def _rows(db: Session, query) -> list:
    return db.connection().execute(query).all()


def _of_fund(query, column, sub_fund_id: int | None):
    return query if sub_fund_id is None else query.where(column == sub_fund_id)


def government_commitments(db: Session, sub_fund_id: int | None = None) -> list:
    """The government LPs' commitments carrying a re-investment requirement: id, lp_id,
    sub_fund_id, lp (its name), ratio, area, base, multiplier, deadline."""
    c = _commitment.c
    query = (
        sa.select(c.id, c.lp_id, c.sub_fund_id, _lp.c.name.label("lp"),
                  c.reinvest_ratio.label("ratio"), c.reinvest_area.label("area"),
                  c.reinvest_base.label("base"), c.reinvest_multiplier.label("multiplier"),
                  c.reinvest_deadline.label("deadline"))
        .join(_lp, _lp.c.id == c.lp_id)
        .where(_lp.c.is_government.is_(True), c.reinvest_ratio.is_not(None))
        .order_by(c.sub_fund_id, _lp.c.name, c.id)
    )  # fmt: skip
    return _rows(db, _of_fund(query, c.sub_fund_id, sub_fund_id))


def investments(db: Session, sub_fund_id: int | None = None) -> list:
    """Every investment of the sub-fund's holdings, oldest first: sub_fund_id, company_id,
    made_on, amount, id, deal_id, override (its reason), by_id, at."""
    t = _txn.c
    query = (
        sa.select(_holding.c.sub_fund_id, _holding.c.company_id, t.made_on,
                  t.amount_yuan.label("amount"), t.id, t.deal_id,
                  t.override_reason.label("override"), t.created_by_id.label("by_id"),
                  t.created_at.label("at"))
        .join(_holding, _holding.c.id == t.holding_id)
        .where(t.kind == "investment")
        .order_by(t.made_on, t.id)
    )  # fmt: skip
    return _rows(db, _of_fund(query, _holding.c.sub_fund_id, sub_fund_id))


def _held(sub_fund_id: int | None):
    query = sa.select(_holding.c.company_id)
    return _of_fund(query, _holding.c.sub_fund_id, sub_fund_id)


def held_companies(db: Session, sub_fund_id: int | None = None) -> list:
    """The companies the sub-fund holds: id, name, district, city, zone, focus_area,
    enterprise_stage."""
    c = _company.c
    query = sa.select(c.id, c.name, c.district, c.city, c.zone, c.focus_area,
                      c.enterprise_stage).where(c.id.in_(_held(sub_fund_id)))  # fmt: skip
    return _rows(db, query)


def relocations(db: Session, sub_fund_id: int | None = None) -> list:
    """The relocations of the companies the sub-fund holds, in the order they took effect (and
    were recorded): company_id, effective_on, from_district, from_city, to_district,
    to_city."""
    r = _relocation.c
    query = (
        sa.select(r.company_id, r.effective_on, r.from_district, r.from_city, r.to_district,
                  r.to_city)
        .where(r.company_id.in_(_held(sub_fund_id)))
        .order_by(r.company_id, r.effective_on, r.id)
    )  # fmt: skip
    return _rows(db, query)


def _deals_of(sub_fund_id: int | None):
    return _of_fund(sa.select(_part.c.deal_id), _part.c.sub_fund_id, sub_fund_id)


def breach_moves(db: Session, sub_fund_id: int) -> list:
    """The moves of the sub-fund's deals that recorded mandate breaches or an override, oldest
    first: id, deal_id, deal_ref, company_id, company, from_stage, to_stage, at, by_id,
    by_label, kind, override, breaches."""
    m = _move.c
    query = (
        sa.select(m.id, m.deal_id, _deal.c.deal_ref, _deal.c.company_id,
                  _company.c.name.label("company"), m.from_stage, m.to_stage, m.at, m.by_id,
                  m.by_label, m.kind, m.override_reason.label("override"), m.breaches)
        .join(_deal, _deal.c.id == m.deal_id)
        .join(_company, _company.c.id == _deal.c.company_id)
        .where(m.deal_id.in_(_deals_of(sub_fund_id)))
        .where(sa.or_(m.override_reason.is_not(None), sa.cast(m.breaches, sa.String) != "[]"))
        .order_by(m.at, m.id)
    )  # fmt: skip
    return _rows(db, query)


def overridden_companies(db: Session) -> set[tuple[int, int]]:
    """(sub_fund_id, company_id) of every deal whose move a mandate override let through."""
    query = (
        sa.select(_part.c.sub_fund_id, _deal.c.company_id)
        .join(_deal, _deal.c.id == _part.c.deal_id)
        .join(_move, _move.c.deal_id == _deal.c.id)
        .where(_move.c.override_reason.is_not(None))
        .distinct()
    )
    return {tuple(row) for row in _rows(db, query)}


def _overdue(day: date):
    """A condition subsequent due before `day` and neither met nor waived by then."""
    c = _condition.c
    unresolved = sa.or_(c.status == "open", c.resolved_on > day)
    return [c.kind == "subsequent", c.due_on < day, unresolved]


def overdue_conditions(db: Session, sub_fund_id: int, day: date) -> list:
    """The open conditions subsequent of the sub-fund's deals due before `day`: id, deal_id,
    deal_ref, company, text, due_on."""
    c = _condition.c
    query = (
        sa.select(c.id, c.deal_id, _deal.c.deal_ref, _company.c.name.label("company"), c.text,
                  c.due_on)
        .join(_deal, _deal.c.id == c.deal_id)
        .join(_company, _company.c.id == _deal.c.company_id)
        .where(*_overdue(day), c.deal_id.in_(_deals_of(sub_fund_id)))
        .order_by(c.due_on, c.id)
    )  # fmt: skip
    return _rows(db, query)


def overdue_counts(db: Session, day: date) -> dict[int, int]:
    """Each sub-fund's number of overdue conditions subsequent (of its deals)."""
    c = _condition.c
    query = (
        sa.select(_part.c.sub_fund_id, sa.func.count(sa.distinct(c.id)))
        .join(_part, _part.c.deal_id == c.deal_id)
        .where(*_overdue(day))
        .group_by(_part.c.sub_fund_id)
    )
    return dict(_rows(db, query))
