"""A populated fund for the access and form tests: a user of each role, the pipeline with its
workspace, every id a URL or form needs, and a way to see that nothing changed."""

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from fundcrm import clock
from fundcrm.auth.tokens import create_token
from fundcrm.models import (
    Company,
    CompanyKpi,
    Deal,
    DealMember,
    Holding,
    IcAgendaItem,
    IcCondition,
    IcDecision,
    IcQuestion,
    IcVote,
    Job,
    Notification,
    PortfolioTransaction,
    Task,
    User,
    ValuationMark,
)
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import make_uscc

ROLES = ["admin", "manager", "ic_member", "risk", "viewer"]
NO_IMPORT = "AAAAAAAAAAAAAAAAAAAAAA"  # the shape of an import token that matches none


def build(app, make_user, dbs) -> dict:
    users = {role: make_user(role)[0] for role in ROLES}
    owner_id, owner_email = make_user("manager")
    records = factories.pipeline(dbs, dbs.get(User, owner_id))
    other = factories.company(dbs, "重庆另一家机器人有限公司", make_uscc(2), zone="science_city")
    spare = factories.contact(dbs, records["company"], name="赵助理")
    # The manager of the role matrix is on the deal's team: tests/test_record_permissions.py
    # covers the deals, tasks and activities of someone else.
    dbs.add(DealMember(deal_id=records["deal"].id, user_id=users["manager"]))
    dbs.commit()
    ids = factories.workspace(dbs, records, Path(app.instance_path) / "documents")
    # The matrix's viewer represents the world's LP (DOMAIN.md section 2).
    dbs.get(User, users["viewer"]).lp_id = records["lp"].id
    dbs.commit()
    extra: dict = {}
    # -- world: capital accounts and the LP's view
    # -- world: compliance and relocations
    from fundcrm.companies.relocations import record_relocation

    moved = {"to_district": "沙坪坝区", "to_city": None, "to_zone": "science_city",
             "effective_on": clock.today() - timedelta(days=30),
             "evidence": "新营业执照"}  # fmt: skip
    extra["relocation_id"] = record_relocation(dbs, other, moved, None).id
    dbs.commit()
    # -- world: KPIs, milestones and targets
    kpi = CompanyKpi(
        company_id=other.id,
        period="2025",
        period_end=date(2025, 12, 31),
        revenue_yuan=Decimal("10000000"),
        cq_revenue_yuan=Decimal("6000000"),
    )
    dbs.add(kpi)
    dbs.commit()
    extra["kpi_id"], extra["kpi_version"] = kpi.id, kpi.version
    # -- world: annual reports
    extra["issued_report_id"] = _issued_report(app, dbs, records["lp"])
    # -- world: the administrator's personal API token
    extra["token_id"] = create_token(dbs, dbs.get(User, users["admin"]), "BI", 30).record.id
    dbs.commit()
    # -- world: override requests and closed periods
    extra.update(_overrides_and_periods(dbs, users, records))
    # -- world: the JSON API's matrix (tests/test_api_permissions.py)
    extra.update(_api_records(app, dbs, make_user, users, records, other))
    dbs.expire_all()
    return {
        **extra,
        "users": users,
        "user_id": owner_id,
        "owner_email": owner_email,
        **{f"{n}_id": records[n].id for n in ("company", "contact", "deal", "lp", "commitment")},
        "sub_fund_id": records["angel"].id,
        "industry_id": records["industry"].id,
        "spare_contact_id": spare.id,
        "other_company_id": other.id,
        "other_uscc": other.uscc,
        "company_uscc": records["company"].uscc,
        "company_version": dbs.get(Company, records["company"].id).version,
        "deal_version": dbs.get(Deal, records["deal"].id).version,
        "task_version": dbs.get(Task, ids["task_id"]).version,
        "import_token": NO_IMPORT,
        "job_id": _finished_job(app, dbs, users["admin"]),
        **_memo(dbs, records["deal"], owner_id, users["ic_member"]),
        "dd_deal_id": _deal_in_dd(dbs, other, records, users["manager"]),
        **_committee(dbs, users, make_user, other, records),
        **ids,
    }


MEMO_SECTIONS = factories.MEMO_TEXT


def _memo(dbs, deal, author_id: int, asker_id: int) -> dict:
    """The deal's IC memo: version 1, a draft with every section written, and an IC member's
    question on it."""
    memo, version = factories.memo(dbs, deal, author_id, submitted=False)
    question = IcQuestion(memo_id=memo.id, version_id=version.id, asked_by_id=asker_id,
                          text="收入确认的依据？")  # fmt: skip
    dbs.add(question)
    dbs.commit()
    return {"memo_id": memo.id, "memo_version_id": version.id, "question_id": question.id}


def _committee(dbs, users: dict, make_user, other_company, records) -> dict:
    """An IC meeting the matrix's IC member chairs (with a second member), with two items: an
    open one (a third deal's submitted memo) and a closed one whose approving decision has an
    open condition precedent."""
    second = make_user("ic_member")[0]
    owner = dbs.get(User, users["manager"])
    open_deal = factories.deal(dbs, other_company, owner, [(records["angel"], "3000000")])
    decided_deal = factories.deal(dbs, other_company, owner, [(records["angel"], "4000000")])
    for deal in (open_deal, decided_deal):
        deal.stage = "ic"
    _memo_row, open_version = factories.memo(dbs, open_deal, users["manager"])
    _memo_row, decided_version = factories.memo(dbs, decided_deal, users["manager"])
    chair = users["ic_member"]
    meeting = factories.meeting(
        dbs, chair, [chair, second], clock.today(), [open_version, decided_version]
    )
    open_item, decided_item = meeting.items
    decided_item.closed_at = clock.now()
    decision = IcDecision(
        deal_id=decided_deal.id,
        item_id=decided_item.id,
        decided_on=clock.today(),
        outcome="approve_conditions",
        amounts={str(records["angel"].id): "4000000"},
    )
    dbs.add(decision)
    dbs.flush()
    condition = IcCondition(
        decision_id=decision.id,
        deal_id=decided_deal.id,
        kind="precedent",
        text="完成工商变更",
        due_on=clock.today(),
    )
    dbs.add(condition)
    dbs.commit()
    approved_item = _closed_approving_item(dbs, factories, other_company, owner, records, meeting,
                                           [chair, second], users["manager"])  # fmt: skip
    words = {"deal_ref": "XM", "company": "擎天", "outcome": "approve"}
    notification = Notification(user_id=users["admin"], kind="vote_closed",
                                subject_table="ic_decisions", subject_id=decision.id,
                                params=words)  # fmt: skip
    dbs.add(notification)
    waiting_deal = factories.deal(dbs, other_company, owner, [(records["angel"], "2000000")])
    waiting_deal.stage = "ic"
    _memo_row, waiting_version = factories.memo(dbs, waiting_deal, users["manager"])
    return {
        "approved_item_id": approved_item,
        "notification_id": notification.id,
        "second_member_id": second,
        "waiting_version_id": waiting_version.id,
        "meeting_id": meeting.id,
        "meeting_date": meeting.held_on.isoformat(),
        "meeting_version": meeting.version,
        "item_id": open_item.id,
        "decided_item_id": decided_item.id,
        "decided_deal_id": decided_deal.id,
        "condition_id": condition.id,
        "signing_deal_id": _deal_at_signing(dbs, other_company, records, owner),
        "closing_deal_id": _deal_to_close(dbs, other_company, records, owner),
        **_holding(dbs, other_company, records, users["manager"]),
    }


def _closed_approving_item(dbs, factories, company, owner, records, meeting, members, author):
    """An item whose vote closed approving, its decision not recorded yet (the closer's form)."""
    deal = factories.deal(dbs, company, owner, [(records["angel"], "2500000")])
    deal.stage = "ic"
    _memo_row, version = factories.memo(dbs, deal, author)
    item = IcAgendaItem(meeting_id=meeting.id, memo_version_id=version.id, deal_id=deal.id,
                        position=3, closed_at=clock.now())  # fmt: skip
    dbs.add(item)
    dbs.flush()
    dbs.add_all([IcVote(item_id=item.id, member_id=m, choice="approve") for m in members])
    dbs.commit()
    return item.id


def _holding(dbs, company, records, author_id: int) -> dict:
    """The angel fund's holding of the second company (1,000 万元 invested a year ago) with a
    mark the matrix's manager entered, waiting for risk."""
    opened = clock.today() - timedelta(days=365)
    holding = Holding(sub_fund_id=records["angel"].id, company_id=company.id, opened_on=opened)
    dbs.add(holding)
    dbs.flush()
    cost = Decimal("10000000")
    dbs.add(PortfolioTransaction(holding_id=holding.id, made_on=opened, kind="investment",
                                 amount_yuan=cost, equity_pct=Decimal("10")))  # fmt: skip
    mark = ValuationMark(holding_id=holding.id, marked_on=clock.today() - timedelta(days=30),
                         fair_value_yuan=Decimal("15000000"), method="recent_round",
                         author_id=author_id)  # fmt: skip
    dbs.add(mark)
    dbs.commit()
    return {"holding_id": holding.id, "mark_id": mark.id}


def _deal_to_close(dbs, company, records, owner) -> int:
    """A deal at 签约 with its approving decision (2,000 万元 for the angel fund)."""
    deal = factories.deal(dbs, company, owner, [(records["angel"], "20000000")])
    deal.stage = "signing"
    dbs.flush()
    dbs.add(IcDecision(deal_id=deal.id, decided_on=clock.today(), outcome="approve",
                       recorded=True, amounts={str(records["angel"].id): "20000000"}))  # fmt: skip
    dbs.commit()
    return deal.id


def _deal_at_signing(dbs, company, records, owner) -> int:
    """A deal imported at 签约 without its IC decision: risk records the historical one."""
    deal = factories.deal(dbs, company, owner, [(records["angel"], "6000000")])
    deal.stage = "signing"
    dbs.commit()
    return deal.id


def _issued_report(app, dbs, lp) -> int:
    """An issued LP edition of the world's LP, its file under <instance>/reports."""
    from fundcrm.models import IssuedReport
    from fundcrm.reports.issue import reports_folder

    folder = reports_folder(app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "2025-world.pdf").write_bytes(b"%PDF-1.4 world")
    issued = IssuedReport(year=2025, edition="lp", lp_id=lp.id, language="zh", file_format="pdf",
                          file_name="2025-world.pdf", download_name="annual-report-2025.pdf",
                          sha256="0" * 64, size_bytes=14, figures={},
                          issued_by_label="world")  # fmt: skip
    dbs.add(issued)
    dbs.commit()
    return issued.id


def _overrides_and_periods(dbs, users: dict, records) -> dict:
    """A mature company's deal in the angel fund (start-ups and growth only), at 项目储备, the
    matrix's manager its owner: moving it to 立项 breaks the mandate (the manager asks for an
    override), and the manager's request to move it to 尽职调查 waits for risk. And a close in
    force through 2000-12-31, before anything else the world dates."""
    from datetime import date

    from fundcrm.models import OverrideRequest, PeriodClose

    mature = factories.company(dbs, "重庆成熟机器人装备有限公司", make_uscc(14_401),
                               enterprise_stage="mature")  # fmt: skip
    owner = dbs.get(User, users["manager"])
    deal = factories.deal(dbs, mature, owner, [(records["angel"], "5000000")])
    dbs.flush()
    breach = "ANGEL 子基金的可投企业阶段为 初创期、成长期；本项目为 成熟期。"
    request = OverrideRequest(deal_id=deal.id, from_stage="sourcing", to_stage="due_diligence",
                              breaches=[breach], note="链主企业配套项目，建议特批",
                              requested_by_id=users["manager"])  # fmt: skip
    close = PeriodClose(closed_through=date(2000, 12, 31), closed_by_id=users["risk"],
                        note="历史期间")  # fmt: skip
    dbs.add_all([request, close])
    dbs.commit()
    return {
        # no "_id" in this key: the page is the manager's only, so the missing-record check
        # (made as an administrator) leaves it out; tests/test_override_requests.py covers it
        "override_deal": deal.id,
        "override_deal_id": deal.id,
        "override_request_id": request.id,
        "period_close_id": close.id,
    }


def _api_records(app, dbs, make_user, users: dict, records, company) -> dict:
    """What the API's matrix refuses per record: a holding of the industry fund, in which the
    world's LP (the viewer's) has no commitment; a decision of a meeting the world's IC member
    does not sit on; a deal the matrix's manager is not on the team of; and the viewer's
    finished annual report (the LP edition of its LP)."""
    from fundcrm.reports.jobs import KIND

    members = [make_user("ic_member")[0], make_user("ic_member")[0]]  # before dbs writes
    opened = clock.today() - timedelta(days=200)
    holding = Holding(sub_fund_id=records["industry"].id, company_id=company.id, opened_on=opened)
    dbs.add(holding)
    dbs.flush()
    cost = {"amount_yuan": Decimal("8000000"), "equity_pct": Decimal("5")}
    dbs.add(PortfolioTransaction(holding_id=holding.id, made_on=opened, kind="investment", **cost))
    owner = dbs.get(User, users["manager"])
    deal = factories.deal(dbs, company, owner, [(records["angel"], "3500000")])
    deal.stage = "ic"
    _memo_row, version = factories.memo(dbs, deal, users["manager"])
    meeting = factories.meeting(dbs, members[0], members, clock.today(), [version])
    (item,) = meeting.items
    item.closed_at = clock.now()
    decision = IcDecision(deal_id=deal.id, item_id=item.id, decided_on=clock.today(),
                          outcome="reject")  # fmt: skip
    dbs.add(decision)
    # a deal the matrix's manager is not on the team of (its owner is the world's other manager)
    unteamed = factories.deal(dbs, company, records["deal"].owner, [(records["angel"], "1500000")])
    folder = Path(app.instance_path) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "world-report.pdf").write_bytes(b"%PDF-1.4 report")
    params = {"year": clock.today().year - 1, "sub_fund": "ANGEL", "language": "zh",
              "edition": "lp", "lp_id": records["lp"].id, "file_format": "pdf",
              "locale": "zh_Hans_CN"}  # fmt: skip
    report = Job(kind=KIND, user_id=users["viewer"], title="年度报告", state="done",
                 result_file="world-report.pdf", result_name="annual-report.pdf",
                 expires_at=clock.now() + timedelta(days=7), params=params)  # fmt: skip
    dbs.add(report)
    dbs.commit()
    return {
        "industry_holding_id": holding.id,
        "unseated_decision_id": decision.id,
        "report_id": report.id,
        "unteamed_deal_id": unteamed.id,
    }


def _deal_in_dd(dbs, company, records, member_id: int) -> int:
    """A second deal, in due diligence and without a memo, the matrix's manager on its team."""
    deal = factories.deal(dbs, company, dbs.get(User, member_id), [(records["angel"], "5000000")])
    deal.stage = "due_diligence"
    dbs.commit()
    return deal.id


def _finished_job(app, dbs, user_id: int) -> int:
    """An export job the administrator ran, done, with its file."""
    folder = Path(app.instance_path) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "world-export.csv").write_text("name\n", "utf-8")
    job = Job(
        kind="export",
        user_id=user_id,
        title="Export",
        state="done",
        result_file="world-export.csv",
        result_name="companies.csv",
        expires_at=clock.now() + timedelta(days=7),
        params={"export_kind": "companies", "format": "csv", "args": [], "locale": "en"},
    )
    dbs.add(job)
    dbs.commit()
    return job.id


def snapshot(app) -> dict:
    """Every row of every table and every stored file: what 'nothing changed' compares."""
    engine = app.extensions["fundcrm.engine"]
    with engine.connect() as connection:
        state = {
            table.name: sorted(map(tuple, connection.execute(sa.select(table))), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }
    folder = Path(app.instance_path)
    state["files"] = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    return state


def without_refusals(state: dict) -> dict:
    """A snapshot without the audit entries of refused attempts (audit.refusal): a refused
    request writes only those."""
    action = [c.name for c in SQLModel.metadata.tables["audit_log"].columns].index("action")
    kept = [row for row in state["audit_log"] if row[action] != "refused"]
    return {**state, "audit_log": kept}


def client_as(app, user_id: int | None):
    client = app.test_client()
    if user_id is not None:
        sign_in(client, user_id)
    return client


def import_csv() -> dict:
    """The upload form's fields for a CSV that passes every check and that every role that
    imports may import: a valuation mark of the angel fund's holding of the second company."""
    text = "company_uscc,sub_fund,date,fair_value_wan,method\n"
    text += f"{make_uscc(2)},ANGEL,{clock.today() - timedelta(days=10)},1600,cost\n"
    return {"kind": "valuations", "file": (io.BytesIO(text.encode()), "marks.csv")}


def pending_import(app, user_id: int) -> str:
    """A checked upload waiting for its uploader's confirmation: its token."""
    client = client_as(app, user_id)
    data = {**import_csv(), "csrf_token": csrf_token(client, "/imports")}
    response = client.post("/imports", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location.rsplit("/", 1)[-1]
