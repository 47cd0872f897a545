"""The reads of imports and exports: records fetched in bulk by their keys, and the rows of the
kinds that have no list page."""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session, select

from fundcrm.companies.queries import company_query
from fundcrm.compliance.kpi_queries import kpis_to_export, milestones_to_export
from fundcrm.deals.queries import DEAL_ORDERS, DEAL_SORTS, deal_conditions
from fundcrm.listing import ListFilters
from fundcrm.models import (
    Commitment,
    Company,
    CompanyField,
    Deal,
    DealSubFund,
    FundExpense,
    Holding,
    LimitedPartner,
    LpFlow,
    PortfolioTransaction,
    SubFund,
    User,
    ValuationMark,
)

IN_CHUNK = 2000  # values per IN (…) list: well under SQLite's and PostgreSQL's limits


def chunks(values: Iterable, size: int = IN_CHUNK):
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lps(db: Session) -> list[LimitedPartner]:
    return list(db.exec(select(LimitedPartner)).all())


def commitments(db: Session) -> list[Commitment]:
    query = select(Commitment).options(selectinload(Commitment.sub_fund))
    return list(db.exec(query).all())


def active_user(db: Session, email: str) -> User | None:
    user = db.exec(select(User).where(User.email == email.strip().lower())).first()
    return user if user is not None and user.active else None


def accepted_pilot_codes(db: Session) -> frozenset[str]:
    """USCCs that fail the checksum and that risk or an administrator accepted on the web."""
    query = select(Company.uscc).where(Company.uscc_override_reason.is_not(None))
    return frozenset(db.exec(query).all())


def by_key(db: Session, model, column, values: Iterable, *options) -> dict:
    """The records whose `column` is one of `values`, by that value, in chunks."""
    found = {}
    for chunk in chunks(v for v in values if v is not None):
        query = select(model).where(column.in_(chunk)).options(*options)
        for record in db.exec(query).all():
            found[getattr(record, column.key)] = record
    return found


def deals_of_companies(db: Session, company_ids: Iterable[int]) -> dict[int, list[Deal]]:
    """Each company's deals with their participating sub-funds."""
    found: dict[int, list[Deal]] = {}
    for chunk in chunks(company_ids):
        query = (
            select(Deal)
            .where(Deal.company_id.in_(chunk))
            .options(selectinload(Deal.participations))
        )
        for deal in db.exec(query).all():
            found.setdefault(deal.company_id, []).append(deal)
    return found


def application_fields(connection, company_ids: list[int]) -> dict[int, list[str]]:
    """The companies' application fields (plain rows, for exports of many companies)."""
    table = CompanyField.__table__
    query = sa.select(table.c.company_id, table.c.field).where(table.c.company_id.in_(company_ids))
    fields: dict[int, list[str]] = {}
    for company_id, field in connection.execute(query.order_by(table.c.field)):
        fields.setdefault(company_id, []).append(field)
    return fields


# The columns of a companies export, by column code (application fields come per batch).
COMPANY_EXPORT_COLUMNS = (
    Company.id,
    Company.name,
    Company.uscc,
    Company.name_en,
    Company.district,
    Company.city,
    Company.zone,
    Company.founded_on,
    Company.headcount,
    Company.website,
    Company.focus_area,
    Company.enterprise_stage,
    Company.specialized_level,
    Company.description,
)


def companies_to_export(filters: ListFilters):
    """The list's companies in the list's order, as rows of the export's columns (Core)."""
    return company_query(filters).with_only_columns(*COMPANY_EXPORT_COLUMNS)


def count_rows(db: Session, query, at_most: int | None = None) -> int:
    """The number of rows of an export's statement, counting no further than `at_most`."""
    counting = query.order_by(None)
    if at_most is not None:
        counting = counting.limit(at_most)
    return db.execute(sa.select(sa.func.count()).select_from(counting.subquery())).scalar_one()


def deal_rows_to_export(filters: ListFilters):
    """One row per participation (or one for a deal without any) of the list's deals in the
    list's order, with the company, the owner's email and the sub-fund joined: one statement."""
    # Aliases: the filters' own subqueries on deal_sub_funds must not correlate with this join.
    part, fund = aliased(DealSubFund), aliased(SubFund)
    key = filters.sort.removeprefix("-")
    direction = sa.desc if DEAL_SORTS[filters.sort] else sa.asc
    columns = (
        Deal.deal_ref,
        Company.uscc.label("company_uscc"),
        Company.name.label("company_name"),
        Deal.round,
        Deal.stage,
        Deal.source,
        User.email.label("owner_email"),
        Deal.ask_yuan.label("ask_wan"),
        Deal.pre_money_yuan.label("pre_money_wan"),
        Deal.next_step,
        Deal.next_step_due,
        Deal.pass_reason,
        Deal.created_on,
        fund.code.label("sub_fund"),
        fund.name.label("sub_fund_name"),
        sa.func.coalesce(sa.func.nullif(fund.name_en, ""), fund.name).label("sub_fund_name_en"),
        part.proposed_yuan.label("proposed_wan"),
    )
    order = [direction(c) for c in (*DEAL_ORDERS[key], Deal.id)]
    return (
        sa.select(*columns)
        .select_from(Deal)
        .join(Company, Deal.company_id == Company.id)
        .join(User, Deal.owner_id == User.id)
        .outerjoin(part, part.deal_id == Deal.id)
        .outerjoin(fund, fund.id == part.sub_fund_id)
        .where(*deal_conditions(filters))
        .order_by(*order, part.id)  # a deal's participations in their own order
    )


def sub_funds_by_code(db: Session) -> list[SubFund]:
    return list(db.exec(select(SubFund).order_by(SubFund.code)).all())


def unknown_sub_funds(db: Session, codes: list[str]) -> list[str]:
    known = set(db.exec(select(SubFund.code).where(SubFund.code.in_(codes))).all())
    return [c for c in codes if c not in known]


def commitments_to_export(db: Session, codes: list[str]):
    """Commitments by LP name and sub-fund code, of the given sub-funds (all when none)."""
    query = (
        select(Commitment)
        .join(LimitedPartner)
        .join(SubFund)
        .options(selectinload(Commitment.lp), selectinload(Commitment.sub_fund))
        .order_by(LimitedPartner.name, SubFund.code)
    )
    if codes:
        query = query.where(SubFund.code.in_(codes))
    return db.exec(query)


def _sub_fund_columns(fund) -> tuple:
    """The sub-fund's code (the file's column) and its names (for an export for reading)."""
    return (
        fund.c.code.label("sub_fund"),
        fund.c.name.label("sub_fund_name"),
        fund.c.name_en.label("sub_fund_name_en"),
    )


def _of_holdings(table, columns: tuple, dated, codes: list[str]):
    """Rows of a table of holdings' records (transactions, marks) with the company's USCC and
    the sub-fund first, by sub-fund, company and date; of the given sub-funds (all if none)."""
    holding, fund, company = Holding.__table__, SubFund.__table__, Company.__table__
    query = (
        sa.select(company.c.uscc.label("company_uscc"), *_sub_fund_columns(fund), *columns)
        .join(holding, holding.c.id == table.c.holding_id)
        .join(fund, fund.c.id == holding.c.sub_fund_id)
        .join(company, company.c.id == holding.c.company_id)
        .order_by(fund.c.code, company.c.uscc, dated, table.c.id)
    )
    return query.where(fund.c.code.in_(codes)) if codes else query


def _of_sub_funds(table, columns: tuple, order: tuple, codes: list[str]):
    """Rows of a table of sub-funds' records (LP flows, fees) with the sub-fund first."""
    fund = SubFund.__table__
    query = (
        sa.select(*_sub_fund_columns(fund), *columns)
        .join(fund, fund.c.id == table.c.sub_fund_id)
        .order_by(fund.c.code, *order, table.c.id)
    )
    return query.where(fund.c.code.in_(codes)) if codes else query


def transactions_to_export(codes: list[str]):
    txn = PortfolioTransaction.__table__
    columns = (
        txn.c.made_on.label("date"),
        txn.c.kind.label("type"),
        txn.c.amount_yuan.label("amount_wan"),
        txn.c.exit,
        txn.c.round,
        txn.c.equity_pct,
        txn.c.post_money_yuan.label("post_money_wan"),
        sa.func.nullif(txn.c.note, "").label("note"),
    )
    return _of_holdings(txn, columns, txn.c.made_on, codes)


def valuations_to_export(codes: list[str]):
    """Counted and pending marks (a rejected mark is no valuation)."""
    mark = ValuationMark.__table__
    columns = (
        mark.c.marked_on.label("date"),
        mark.c.fair_value_yuan.label("fair_value_wan"),
        mark.c.method,
        sa.func.nullif(mark.c.note, "").label("note"),
    )
    return _of_holdings(mark, columns, mark.c.marked_on, codes).where(mark.c.status != "rejected")


def lp_flows_to_export(codes: list[str]):
    flow, lp = LpFlow.__table__, LimitedPartner.__table__
    columns = (
        lp.c.name.label("lp_name"),
        flow.c.flow_on.label("date"),
        flow.c.kind.label("type"),
        flow.c.amount_yuan.label("amount_wan"),
    )
    query = _of_sub_funds(flow, columns, (flow.c.flow_on, lp.c.name), codes)
    return query.join(lp, lp.c.id == flow.c.lp_id)


def expenses_to_export(codes: list[str]):
    spent = FundExpense.__table__
    columns = (
        spent.c.spent_on.label("date"),
        spent.c.kind,
        spent.c.amount_yuan.label("amount_wan"),
    )
    return _of_sub_funds(spent, columns, (spent.c.spent_on,), codes)


# the exports of these kinds: their statement, given the sub-fund codes asked for
LEDGER_EXPORTS = {
    "transactions": transactions_to_export,
    "valuations": valuations_to_export,
    "lp_flows": lp_flows_to_export,
    "expenses": expenses_to_export,
    "kpis": kpis_to_export,
    "milestones": milestones_to_export,
}
