"""What the KPI, milestone and targets tests share: the fund's clock held still, a portfolio
company the angel fund invested in, a company with a holding but no investment (not held) and
one without any holding."""

from datetime import UTC, date, datetime
from decimal import Decimal

import time_machine
from sqlmodel import func, select

from fundcrm.models import AuditEntry, Holding, PortfolioTransaction
from tests import factories
from tests.conftest import post_form
from tests.factories import make_uscc
from tests.ic_fixtures import ENGLISH, client_of

# 2026-11-30 at noon in Beijing: "today" for every test of these files
NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def invest(dbs, fund, company, on: date, yuan: str = "10000000") -> Holding:
    """The sub-fund's holding of the company (opened if need be) with an investment on `on`."""
    holding = dbs.exec(
        select(Holding).where(Holding.sub_fund_id == fund.id, Holding.company_id == company.id)
    ).first()
    if holding is None:
        holding = Holding(sub_fund_id=fund.id, company_id=company.id, opened_on=on)
        dbs.add(holding)
        dbs.flush()
    dbs.add(PortfolioTransaction(holding_id=holding.id, made_on=on, kind="investment",
                                 amount_yuan=Decimal(yuan), equity_pct=Decimal("5")))  # fmt: skip
    dbs.commit()
    return holding


def frozen():
    """The fund's clock held at NOW (each test module's `kpi_world` fixture runs in it)."""
    return time_machine.travel(NOW, tick=False)


def build_world(staff: dict, dbs) -> dict:
    """擎天 held by the angel fund since 2025-03-01; 未投 with an industry holding that has no
    investment; 路过 with no holding at all."""
    robot = staff["company"]
    holding = invest(dbs, staff["angel"], robot, date(2025, 3, 1))
    unheld = factories.company(dbs, "重庆未投机器人有限公司", make_uscc(3))
    stranger = factories.company(dbs, "重庆路过科技有限公司", make_uscc(4))
    empty = Holding(sub_fund_id=staff["industry"].id, company_id=unheld.id,
                    opened_on=date(2025, 6, 1))  # fmt: skip
    dbs.add(empty)
    dbs.commit()
    return {**staff, "robot": robot, "holding": holding, "unheld": unheld,
            "stranger": stranger, "empty_holding": empty}  # fmt: skip


def post(app, user, url: str, form: dict, follow: bool = False):
    """Post a holding page's form as the user (English pages); `follow`: the page it leads to."""
    return post_form(client_of(app, user), url, form, token_from="/account/password",
                     headers=ENGLISH, follow_redirects=follow)  # fmt: skip


def page(app, user, url: str) -> str:
    response = client_of(app, user).get(url, headers=ENGLISH)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def count(dbs, model) -> int:
    dbs.expire_all()
    return dbs.exec(select(func.count()).select_from(model)).one()


def entries(dbs, table: str, action: str | None = None) -> list[AuditEntry]:
    dbs.expire_all()
    query = select(AuditEntry).where(AuditEntry.table_name == table)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(dbs.exec(query.order_by(AuditEntry.id)).all())
