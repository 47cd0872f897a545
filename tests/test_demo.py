"""The demo data: distinct company names, the action plan's vocabulary, and a `fundcrm demo`
that says what it is creating while it seeds."""

import random
import re
from collections import Counter

from sqlmodel import select

from fundcrm.cli import main
from fundcrm.demo import demo_companies
from fundcrm.demo.portfolio import FOLLOW_ON_NOTE
from fundcrm.domain import uscc
from fundcrm.domain.vocab import APPLICATION_FIELDS, FOCUS_AREAS, SOURCES, STAGES, ZONES
from fundcrm.models import Company, Deal, StageMove, User
from tests.conftest import sign_in

# The action plan (重庆市AI及服务机器人产业集群高质量发展行动计划 2023—2027): the fund invests in
# 大模型、具身智能、机器人本体 (保障措施三) for its six product systems (重点任务四).
PLAN_TECHNOLOGIES = ("大模型", "具身智能", "机器人")
PLAN_PRODUCT_SYSTEMS = ("清洁服务", "物流服务", "医疗服务", "居家服务", "特种服务", "人形机器人")


def _repeated(values) -> list:
    return [value for value, n in Counter(values).items() if n > 1]


def test_the_demo_has_distinct_companies_over_every_stage_field_zone_and_source(app, dbs):
    from fundcrm import db, demo

    with app.app_context():
        demo.seed(db.session(), app.config)
    companies = dbs.exec(select(Company)).all()
    assert len(companies) == 64
    assert _repeated(c.name for c in companies) == []
    assert _repeated(c.name_key for c in companies) == []
    assert _repeated(uscc.name_key(c.name) for c in companies) == []
    assert {c.focus_area for c in companies} == set(FOCUS_AREAS.codes)
    assert {f for c in companies for f in c.application_fields} == set(APPLICATION_FIELDS.codes)
    assert {c.zone for c in companies} == set(ZONES.codes)
    deals = dbs.exec(select(Deal)).all()
    assert {d.stage for d in deals} == set(STAGES.codes)
    assert {d.source for d in deals} == set(SOURCES.codes)
    assert {p.sub_fund.code for d in deals for p in d.participations} == {"ANGEL", "INDUSTRY"}


def test_demo_names_and_fields_use_the_action_plans_terms():
    """The plan's three core technologies name every company; its six product systems are the
    application fields, each held by some company."""
    rows = demo_companies(random.Random(2023))
    for row in rows:
        assert any(term in row["name"] for term in PLAN_TECHNOLOGIES), row["name"]
        assert row["description"] and row["name"].endswith("有限公司")
    held = {APPLICATION_FIELDS[f].zh for row in rows for f in row["application_fields"]}
    assert set(PLAN_PRODUCT_SYSTEMS) <= held


def test_the_demo_command_prints_progress_before_it_serves(app, dbs, monkeypatch):
    import waitress

    served = []
    monkeypatch.setattr(waitress, "serve", lambda app, **options: served.append(options))
    result = app.test_cli_runner().invoke(main, ["demo", "--port", "8123"])
    assert result.exit_code == 0, result.output
    drawn = result.output.splitlines()  # the progress bar redraws its line after a \r
    bar = [line for line in drawn if line.startswith("Companies and deals: [")]
    assert bar[-1] == f"Companies and deals: [{'#' * 30}] 64/64 100%"
    lines = [line for line in drawn if line and line not in bar]
    steps = lines[lines.index("Accounts: 8 added") :]
    assert steps[1:3] == ["Fund, sub-funds and LPs: 9 added", "Commitments: 10 added"]
    assert steps[3] == "Companies and deals: 64 of 64 (added 64 companies, 64 deals)"
    assert steps[4] == "Investment committee: 50 added"
    assert re.fullmatch(r"Portfolio: \d+ added", steps[5])
    assert steps[6] == "Override requests: 1 added"
    assert steps[7] == "A relocation and a company near the cap: 3 added"
    assert re.fullmatch(r"KPIs and milestones: \d+ added", steps[8])
    assert steps[9] == "Closed periods: 1 added"
    assert steps[10] == "Demo data seeded."
    assert lines[-1].startswith("FundCRM is serving on http://127.0.0.1:8123/")
    assert served == [{"host": "127.0.0.1", "port": 8123, "threads": 8, "ident": "FundCRM"}]

    again = app.test_cli_runner().invoke(main, ["demo"])
    assert "Companies and deals: 64 of 64 (added 0 companies, 0 deals)" in again.output
    assert "Investment committee: 0 added" in again.output
    assert "Portfolio: 0 added" in again.output
    assert "already present: nothing added" in again.output


def test_risks_my_deals_shows_a_breach_and_an_override_on_day_one(app, client, dbs):
    """A historical import that broke a mandate, and a deal risk moved on with an override
    reason: both on risk's "My deals" right after seeding."""
    from fundcrm import db, demo

    with app.app_context():
        demo.seed(db.session(), app.config)
    risk = dbs.exec(select(User).where(User.email == "risk@example.com")).one()
    imported = dbs.exec(
        select(StageMove).where(StageMove.kind == "import", StageMove.to_stage == "approved")
    ).all()
    breached = [m for m in imported if m.breaches]
    assert len(breached) == 1
    assert any(name in breached[0].breaches[0] for name in ("Angel Fund", "天使"))
    overridden = dbs.exec(select(StageMove).where(StageMove.override_reason.is_not(None))).all()
    assert [(m.kind, m.by_id, m.to_stage) for m in overridden] == [("move", risk.id, "approved")]
    assert overridden[0].breaches

    sign_in(client, risk.id)
    page = client.get("/deals/mine").get_data(as_text=True)
    for deal_id in (breached[0].deal_id, overridden[0].deal_id):
        deal = dbs.get(Deal, deal_id)
        assert f"/deals/{deal.id}" in page and deal.company.name in page


def test_the_demo_committee_has_decided_and_upcoming_business(app, client, dbs):
    """A past meeting with three decided items (approved with conditions, rejected, and one a
    recused member did not vote on), an upcoming one with a memo under review, and every deal
    at 签约 with its approving decision."""
    from fundcrm import clock, db, demo
    from fundcrm.models import IcDecision, IcMeeting

    with app.app_context():
        demo.seed(db.session(), app.config)
    past, upcoming = dbs.exec(select(IcMeeting).order_by(IcMeeting.held_on)).all()
    assert past.held_on < clock.today() <= upcoming.held_on
    decided = {
        d.item_id: d for d in dbs.exec(select(IcDecision).where(IcDecision.item_id.is_not(None)))
    }
    outcomes = [decided[i.id].outcome for i in past.items]
    assert outcomes == ["approve_conditions", "reject", "approve"]
    recused = decided[past.items[2].id]
    assert len(recused.recused) == 1 and recused.eligible_count == 2
    assert [c.kind for c in decided[past.items[0].id].conditions] == ["precedent", "subsequent"]
    assert [i.is_open for i in upcoming.items] == [True]
    for deal in dbs.exec(select(Deal).where(Deal.stage == "signing")).all():
        latest = dbs.exec(
            select(IcDecision).where(IcDecision.deal_id == deal.id).order_by(IcDecision.id.desc())
        ).first()
        assert latest is not None and latest.approving


def test_the_demo_committee_has_papers_questions_and_notifications(app, client, dbs):
    """The past meeting's minutes and its memos make PDFs; the memos have questions and an
    answer; every member of the fund's staff has notifications (the LP's representative sees
    nothing of the IC, so has none)."""
    from fundcrm import db, demo
    from fundcrm.demo import DEMO_ACCOUNTS
    from fundcrm.models import IcAnswer, IcMeeting, IcMemo, IcQuestion, Notification

    with app.app_context():
        demo.seed(db.session(), app.config)
    assert len(dbs.exec(select(IcQuestion)).all()) == 2
    assert len(dbs.exec(select(IcAnswer)).all()) == 1
    users = {u.email: u for u in dbs.exec(select(User)).all()}
    noted = {n.user_id for n in dbs.exec(select(Notification)).all()}
    for email, _name, roles in DEMO_ACCOUNTS:
        assert (users[email].id in noted) == (roles != ["viewer"]), email
    kinds = {n.kind for n in dbs.exec(select(Notification)).all()}
    assert {"on_agenda", "vote_closed", "vote_closed_recused", "question", "answer",
            "condition_due"} <= kinds  # fmt: skip
    sign_in(client, users["ic1@example.com"].id)
    past = dbs.exec(select(IcMeeting).order_by(IcMeeting.held_on)).first()
    for lang in ("zh", "en"):
        minutes = client.get(f"/ic/meetings/{past.id}/minutes.pdf?lang={lang}")
        assert minutes.status_code == 200 and minutes.data.startswith(b"%PDF")
        for memo in dbs.exec(select(IcMemo)).all():
            paper = client.get(f"/ic/memos/{memo.id}/memo.pdf?lang={lang}")
            assert paper.status_code == 200 and paper.data.startswith(b"%PDF")


def test_the_demo_portfolio_makes_every_figure_meaningful(app, dbs):
    """Calls, fees, investments (two through the closing form), marks up and down, a
    dividend, a partial and a full exit, a write-off, a distribution and a mark waiting for
    risk: the fund's figures are all defined."""
    from fundcrm import clock, db, demo
    from fundcrm.models import Holding, ValuationMark
    from fundcrm.portfolio import holdings
    from fundcrm.portfolio.figures import as_json

    with app.app_context():
        demo.seed(db.session(), app.config)
        figures = as_json(db.session(), clock.today())
    fund = figures["fund"]
    for key in ("paid_in", "distributions", "expenses", "invested", "proceeds", "dividends",
                "fair_value"):  # fmt: skip
        assert float(fund[key]) > 0, key
    for key in ("moic", "dpi", "rvpi", "tvpi", "gross_irr", "net_irr"):
        assert fund[key] is not None, key
    assert {s["code"] for s in figures["sub_funds"]} == {"ANGEL", "INDUSTRY"}
    statuses = [holdings.status(h) for h in dbs.exec(select(Holding)).all()]
    assert {"active", "exited", "written_off"} <= set(statuses)
    assert dbs.exec(select(ValuationMark).where(ValuationMark.status == "pending")).all()
    signing = dbs.exec(select(Deal).where(Deal.stage == "signing")).all()
    assert len(signing) == 3
    # one is a follow-on for a company the fund holds, waiting for its closing form
    (follow_on,) = [d for d in signing if d.notes == FOLLOW_ON_NOTE]
    held = {h.company_id for h in dbs.exec(select(Holding)).all()}
    assert follow_on.company_id in held
