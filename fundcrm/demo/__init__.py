"""Demo data, seeded once through the same services as the UI and imports: running the seed
again adds nothing. Names are invented; the vocabulary follows the city's action plan
(重庆市AI及服务机器人产业集群高质量发展行动计划 2023—2027).

One module per capability: people (accounts), funds (fund, sub-funds, LPs, commitments),
companies, deals (stage histories), workspace (contacts, activities, DD) and documents.
"""

import random
from collections.abc import Callable
from datetime import date

from flask_babel import gettext as _
from sqlmodel import Session

from fundcrm import clock, progress
from fundcrm.audit import set_actor
from fundcrm.demo.companies import BRANDS, TRADES, demo_companies, find_or_create_company
from fundcrm.demo.compliance import seed_compliance
from fundcrm.demo.deals import (
    FINAL_STAGES,
    NEXT_STEPS,
    PASS_REASONS,
    has_deal,
    open_demo_deal,
    risk_case,
)
from fundcrm.demo.documents import demo_pdf, seed_business_plan
from fundcrm.demo.funds import FUND, SUB_FUNDS, seed_commitments, seed_fund
from fundcrm.demo.ic import seed_ic
from fundcrm.demo.kpis import seed_kpis
from fundcrm.demo.overrides import seed_override_request
from fundcrm.demo.people import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    deal_owners,
    risk_officer,
    seed_accounts,
)
from fundcrm.demo.periods import seed_closed_year
from fundcrm.demo.portfolio import seed_portfolio
from fundcrm.demo.workspace import seed_workspace
from fundcrm.funds import services as funds

__all__ = [
    "BRANDS",
    "DEMO_ACCOUNTS",
    "DEMO_PASSWORD",
    "FUND",
    "NEXT_STEPS",
    "PASS_REASONS",
    "SUB_FUNDS",
    "TRADES",
    "demo_companies",
    "demo_pdf",
    "seed",
]


def seed(
    db: Session,
    settings: dict,
    today: date | None = None,
    say: Callable[[str], None] | None = None,
) -> int:
    """Create whatever demo records are missing; returns how many records were added.

    `say` receives a line for each step as it happens (the `fundcrm demo` command prints it)."""
    say = say or (lambda _line: None)
    set_actor(db, None, "demo")
    today = today or clock.today()
    steps = [
        (_("Accounts"), lambda: seed_accounts(db, settings)),
        (_("Fund, sub-funds and LPs"), lambda: seed_fund(db)),
        (_("Commitments"), lambda: seed_commitments(db)),
    ]
    added = 0
    for label, step in steps:
        count = step()
        say(_("%(step)s: %(n)d added", step=label, n=count))
        added += count
    added += _pipeline(db, settings, today, say)
    count = seed_ic(db, settings, today)
    say(_("%(step)s: %(n)d added", step=_("Investment committee"), n=count))
    added += count
    count = seed_portfolio(db, today)
    say(_("%(step)s: %(n)d added", step=_("Portfolio"), n=count))
    added += count
    count = seed_override_request(db)
    say(_("%(step)s: %(n)d added", step=_("Override requests"), n=count))
    added += count
    count = seed_compliance(db, today)
    say(_("%(step)s: %(n)d added", step=_("A relocation and a company near the cap"), n=count))
    added += count
    count = seed_kpis(db, today)
    say(_("%(step)s: %(n)d added", step=_("KPIs and milestones"), n=count))
    added += count
    count = seed_closed_year(db, today)
    say(_("%(step)s: %(n)d added", step=_("Closed periods"), n=count))
    added += count
    db.commit()
    return added


def _pipeline(db, settings, today: date, say: Callable[[str], None]) -> int:
    """Each company with its deal, history, workspace and documents; progress as it goes."""
    rng = random.Random(2023)  # the action plan's year: the same demo every time
    owners, risk = deal_owners(db), risk_officer(db)
    sub_funds = {f.code: f for f in funds.sub_funds(db)}
    rows = demo_companies(rng)
    companies_added = deals_added = 0
    cases: set[str] = set()  # risk's cases given out (a second seed adds no deal, so none)
    progress.begin(len(rows), "demo")
    for i, values in enumerate(rows):
        company, created = find_or_create_company(db, values)
        companies_added += created
        stage = FINAL_STAGES[i % len(FINAL_STAGES)]
        if case := risk_case(company, stage, cases):
            cases.add(case)
        if not has_deal(db, company):
            deal = open_demo_deal(
                db, settings, rng, company, stage, owners, sub_funds, today, case, risk
            )
            seed_workspace(db, rng, company, deal, today)
            seed_business_plan(db, settings, deal)
            deals_added += 1
        progress.advance()
        if i + 1 == len(rows):
            say(
                _(
                    "Companies and deals: %(done)d of %(total)d (added %(companies)d "
                    "companies, %(deals)d deals)",
                    done=i + 1,
                    total=len(rows),
                    companies=companies_added,
                    deals=deals_added,
                )
            )
    return companies_added + deals_added
