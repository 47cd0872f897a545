"""Closed periods (DOMAIN.md section 8): risk or an administrator closes the books through a
date (today or earlier by the fund's clock, later than the period closed already, no mark in
it waiting for risk); transactions, marks, LP flows and expenses dated in it are then refused on
the web and in imports, nothing written, until the close is reopened with a reason; closes and
reopenings are audited; a close and a backdated write at the same moment never both succeed."""

import json
import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from sqlmodel import Session, func, select

from fundcrm.models import (
    AuditEntry,
    FundExpense,
    Holding,
    LpFlow,
    PeriodClose,
    PortfolioTransaction,
    ValuationMark,
)
from tests.conftest import page_text, post_form, sign_in
from tests.test_imports import run, write

ENGLISH = {"Accept-Language": "en"}  # messages new in this module, before translation
CLOSED = "The period through 2025-06-30 is closed: nothing dated on or before it can be recorded"


def client_of(app, user):
    client = app.test_client()
    sign_in(client, user.id)
    return client


def count(dbs, model) -> int:
    dbs.expire_all()
    return dbs.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def ledger(staff, dbs):
    """The angel fund's holding of the pipeline's company: 1,000 万元 invested on 2025-03-01,
    10%; the city LP's commitment to the angel fund (30,000 万元) takes calls."""
    holding = Holding(
        sub_fund_id=staff["angel"].id, company_id=staff["company"].id, opened_on=date(2025, 3, 1)
    )
    dbs.add(holding)
    dbs.flush()
    dbs.add(
        PortfolioTransaction(
            holding_id=holding.id,
            made_on=date(2025, 3, 1),
            kind="investment",
            amount_yuan=Decimal("10000000"),
            equity_pct=Decimal("10"),
        )
    )
    dbs.commit()
    return {**staff, "holding": holding}


def close(app, user, through: str, note: str = ""):
    client = client_of(app, user)
    data = {"closed_through": through, "note": note}
    return post_form(client, "/funds/periods", data, headers=ENGLISH), client


def closed(app, ledger, through="2025-06-30"):
    answer, _client = close(app, ledger["risk"], through)
    assert answer.location == "/funds/periods", answer.get_data(as_text=True)[-2000:]


def reopen(app, user, close_id: int, reason: str):
    url = f"/funds/periods/{close_id}/reopen"
    return post_form(
        client_of(app, user), url, {"reason": reason}, token_from="/funds/periods", headers=ENGLISH
    )


def closes(dbs) -> list[PeriodClose]:
    dbs.expire_all()
    return list(dbs.exec(select(PeriodClose).order_by(PeriodClose.id)).all())


def entries(dbs, table: str, action: str) -> list[AuditEntry]:
    dbs.expire_all()
    query = select(AuditEntry).where(AuditEntry.table_name == table, AuditEntry.action == action)
    return list(dbs.exec(query.order_by(AuditEntry.id)).all())


# -- closing and reopening ------------------------------------------------------------------------


def test_risk_closes_a_period_and_the_close_is_listed_and_audited(app, ledger, dbs):
    answer, client = close(app, ledger["risk"], "2025-06-30", "2025 年半年度关账")
    assert answer.location == "/funds/periods"
    page = client.get("/funds/periods", headers=ENGLISH).get_data(as_text=True)
    assert "The books are closed through 2025-06-30: nothing dated on or before it" in page
    assert "The books are closed through Jun 30, 2025." in page_text(page)
    rows = page_text(page, 'id="period-closes"')
    assert "Jun 30, 2025" in rows and ledger["risk"].name in rows and "2025 年半年度关账" in rows
    (row,) = closes(dbs)
    assert (row.closed_through, row.closed_by_id, row.reopened_at) == (
        date(2025, 6, 30),
        ledger["risk"].id,
        None,
    )
    (entry,) = entries(dbs, "period_closes", "create")
    assert entry.actor_id == ledger["risk"].id
    assert json.loads(entry.changes)["closed_through"] == [None, "2025-06-30"]


def test_only_risk_and_administrators_close_periods(app, ledger, dbs):
    for role in ("manager", "ic_member", "viewer"):
        assert client_of(app, ledger[role]).get("/funds/periods").status_code == 403, role
        answer, _client = close(app, ledger[role], "2025-06-30")
        assert answer.status_code == 403, role
    answer, _client = close(app, ledger["admin"], "2025-06-30")
    assert answer.location == "/funds/periods" and len(closes(dbs)) == 1


def test_a_close_is_refused_while_a_mark_dated_in_it_waits_for_risk(app, ledger, dbs):
    mark = ValuationMark(
        holding_id=ledger["holding"].id,
        marked_on=date(2025, 6, 30),
        fair_value_yuan=Decimal("15000000"),
        method="recent_round",
        author_id=ledger["manager"].id,
    )
    dbs.add(mark)
    dbs.commit()
    answer, _client = close(app, ledger["risk"], "2025-06-30")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert (
        "1 valuation mark dated on or before 2025-06-30 waits for risk&#39;s review: approve "
        "or reject it first."
    ) in page
    listed = page_text(page, 'id="pending-marks"')
    assert "> 重庆擎天机器人科技有限公司 · ANGEL · Jun 30, 2025 · 1,500.00 万元 " in listed
    assert f'href="/portfolio/{ledger["holding"].id}#marks"' in page
    assert closes(dbs) == [] and entries(dbs, "period_closes", "create") == []
    # the day before the mark closes; once risk approves it, the day of the mark too
    closed(app, ledger, "2025-06-29")
    mark = dbs.get(ValuationMark, mark.id)
    mark.status, mark.reviewer_id = "counted", ledger["risk"].id
    dbs.commit()
    closed(app, ledger, "2025-06-30")


def test_a_close_is_refused_in_the_future_by_the_fund_clock(app, ledger, dbs):
    """At 00:30 in Beijing on 1 December it is still 30 November in UTC: the books close
    through 1 December, not 2 December."""
    with time_machine.travel(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), tick=False):
        answer, _client = close(app, ledger["risk"], "2026-12-02")
        assert answer.status_code == 200
        assert "A period is closed through today or an earlier date." in answer.get_data(
            as_text=True
        )
        assert closes(dbs) == []
        closed(app, ledger, "2026-12-01")
    assert [c.closed_through for c in closes(dbs)] == [date(2026, 12, 1)]


def test_a_close_is_refused_unless_later_than_the_period_closed(app, ledger, dbs):
    closed(app, ledger, "2025-06-30")
    for through in ("2025-06-30", "2025-03-31"):
        answer, _client = close(app, ledger["admin"], through)
        assert answer.status_code == 200
        assert (
            "The books are closed through 2025-06-30 already: close a later date, or reopen "
            "that close first."
        ) in answer.get_data(as_text=True)
    assert len(closes(dbs)) == 1
    closed(app, ledger, "2025-09-30")
    assert [c.closed_through for c in closes(dbs)] == [date(2025, 6, 30), date(2025, 9, 30)]


def test_a_reopening_needs_a_reason_and_is_audited(app, ledger, dbs):
    closed(app, ledger)
    (row,) = closes(dbs)
    answer = reopen(app, ledger["admin"], row.id, "  ")
    assert answer.status_code == 200
    assert "Give the reason for reopening the period." in answer.get_data(as_text=True)
    assert closes(dbs)[0].reopened_at is None and entries(dbs, "period_closes", "update") == []
    answer = reopen(app, ledger["admin"], row.id, "补录 2025 年 6 月的分红")
    assert answer.location == "/funds/periods"
    (row,) = closes(dbs)
    assert (row.reopened_by_id, row.reopen_reason) == (
        ledger["admin"].id,
        "补录 2025 年 6 月的分红",
    )
    assert row.reopened_at is not None
    (entry,) = entries(dbs, "period_closes", "update")
    assert entry.actor_id == ledger["admin"].id
    assert json.loads(entry.changes)["reopen_reason"] == [None, "补录 2025 年 6 月的分红"]
    page = client_of(app, ledger["risk"]).get("/funds/periods", headers=ENGLISH)
    text = page_text(page.get_data(as_text=True))
    assert "No period is closed." in text and "补录 2025 年 6 月的分红" in text
    # reopened once: a second reopening is refused
    answer = reopen(app, ledger["risk"], row.id, "再次重开")
    assert "This close was reopened already." in answer.get_data(as_text=True)


def test_an_earlier_close_is_reopened_only_after_the_later_one(app, ledger, dbs):
    closed(app, ledger, "2025-03-31")
    closed(app, ledger, "2025-06-30")
    first, second = closes(dbs)
    answer = reopen(app, ledger["risk"], first.id, "补录一季度分红")
    assert "also closed through 2025-06-30: reopen that later close first" in page_text(
        answer.get_data(as_text=True)
    )
    assert all(c.reopened_at is None for c in closes(dbs))
    assert reopen(app, ledger["risk"], second.id, "审计调整").location == "/funds/periods"
    assert reopen(app, ledger["risk"], first.id, "补录一季度分红").location == "/funds/periods"
    assert all(c.reopened_at is not None for c in closes(dbs))


# -- what a closed period refuses, on the web ---------------------------------------------------


def _dividend(ledger, on):
    return (
        f"/portfolio/{ledger['holding'].id}/transactions",
        {"made_on": on, "kind": "dividend", "amount": "12.5"},
        PortfolioTransaction,
    )


def _mark(ledger, on):
    return (
        f"/portfolio/{ledger['holding'].id}/marks",
        {"marked_on": on, "fair_value": "1800", "method": "comparables"},
        ValuationMark,
    )


def _call(ledger, on):
    return (
        "/funds/ANGEL/flows",
        {"lp_id": str(ledger["lp"].id), "flow_on": on, "kind": "call", "amount": "3000"},
        LpFlow,
    )


def _fee(ledger, on):
    return (
        "/funds/ANGEL/expenses",
        {"spent_on": on, "kind": "management_fee", "amount": "150"},
        FundExpense,
    )


WRITES = {"transaction": _dividend, "mark": _mark, "lp_flow": _call, "expense": _fee}
RECORDS = {
    "transaction": "holdings",
    "mark": "holdings",
    "lp_flow": "sub_funds",
    "expense": "sub_funds",
}


@pytest.mark.parametrize("kind", WRITES)
def test_a_write_dated_in_a_closed_period_is_refused_on_the_web(app, ledger, dbs, kind):
    closed(app, ledger)
    client = client_of(app, ledger["admin"])
    url, form, model = WRITES[kind](ledger, "2025-06-30")
    back = "/funds/ANGEL/metrics" if "funds" in url else f"/portfolio/{ledger['holding'].id}"
    before = count(dbs, model)
    answer = post_form(client, url, form, token_from=back, headers=ENGLISH)
    assert answer.location == back
    page = client.get(back, headers=ENGLISH).get_data(as_text=True)
    assert CLOSED in page
    assert count(dbs, model) == before
    (refusal,) = entries(dbs, RECORDS[kind], "refused")
    assert CLOSED in json.loads(refusal.changes)["reason"][1]
    # the day after the closed period is recorded
    url, form, model = WRITES[kind](ledger, "2025-07-01")
    assert post_form(client, url, form, token_from=back).location == back
    assert count(dbs, model) == before + 1
    # reopened, the closed day is recorded too
    reopen(app, ledger["risk"], closes(dbs)[0].id, "补录")
    url, form, model = WRITES[kind](ledger, "2025-06-30")
    assert post_form(client, url, form, token_from=back).location == back
    assert count(dbs, model) == before + 2


def test_the_forms_that_record_dated_rows_show_the_closed_period(app, ledger):
    closed(app, ledger)
    client = client_of(app, ledger["admin"])
    hint = "The books are closed through Jun 30, 2025: nothing dated on or before it can be"
    for url in (f"/portfolio/{ledger['holding'].id}", "/funds/ANGEL/metrics", "/imports"):
        page = page_text(client.get(url, headers=ENGLISH).get_data(as_text=True))
        assert hint in page, url


def test_approving_a_mark_dated_in_a_closed_period_is_refused(app, ledger, dbs):
    mark = ValuationMark(
        holding_id=ledger["holding"].id,
        marked_on=date(2025, 6, 30),
        fair_value_yuan=Decimal("15000000"),
        method="recent_round",
        author_id=ledger["manager"].id,
    )
    # a close made while the mark waited (as a file restored from elsewhere could hold)
    dbs.add_all([mark, PeriodClose(closed_through=date(2025, 6, 30))])
    dbs.commit()
    client = client_of(app, ledger["risk"])
    url = f"/portfolio/marks/{mark.id}/review"
    back = f"/portfolio/{ledger['holding'].id}"
    post_form(client, url, {"decision": "approve"}, token_from=back, headers=ENGLISH)
    dbs.expire_all()
    assert dbs.get(ValuationMark, mark.id).status == "pending"
    post_form(client, url, {"decision": "reject", "reason": "估值依据不足"}, token_from=back)
    dbs.expire_all()
    assert dbs.get(ValuationMark, mark.id).status == "rejected"


def test_the_closing_form_refuses_an_investment_dated_in_a_closed_period(app, dbs, committee):
    from tests.test_closing import at_signing, form_for, transactions
    from tests.test_closing import close as close_deal

    deal = at_signing(dbs, committee)
    dbs.add(PeriodClose(closed_through=date(2026, 11, 20), closed_by_id=committee["risk"].id))
    dbs.commit()
    with time_machine.travel(datetime(2026, 12, 15, 4, 0, tzinfo=UTC), tick=False):
        answer = close_deal(app, committee["manager"], deal.id, form_for(committee))
        assert answer.status_code == 200
        assert (
            "The period through 2026-11-20 is closed: nothing dated on or before it can be recorded"
        ) in answer.get_data(as_text=True)
        assert transactions(dbs) == []
        answer = close_deal(
            app, committee["manager"], deal.id, form_for(committee, on="2026-11-21")
        )
        assert answer.location == f"/deals/{deal.id}"
    assert [t.made_on for t in transactions(dbs)] == [date(2026, 11, 21)] * 2


# -- what a closed period refuses, in imports ----------------------------------------------------

IMPORTS = {
    "transactions": (
        "company_uscc,sub_fund,date,type,amount_wan\n",
        "{uscc},ANGEL,{on},dividend,20\n",
        PortfolioTransaction,
    ),
    "valuations": (
        "company_uscc,sub_fund,date,fair_value_wan,method\n",
        "{uscc},ANGEL,{on},1600,cost\n",
        ValuationMark,
    ),
    "lp_flows": (
        "lp_name,sub_fund,date,type,amount_wan\n",
        "重庆市产业投资母基金,ANGEL,{on},call,500\n",
        LpFlow,
    ),
    "expenses": ("sub_fund,date,kind,amount_wan\n", "ANGEL,{on},management_fee,10\n", FundExpense),
}


@pytest.mark.parametrize("kind", IMPORTS)
def test_an_import_row_dated_in_a_closed_period_is_an_error(app, ledger, dbs, tmp_path, kind):
    closed(app, ledger)
    head, line, model = IMPORTS[kind]
    rows = [line.format(uscc=ledger["company"].uscc, on=on) for on in ("2025-07-01", "2025-06-30")]
    path = write(tmp_path, f"{kind}.csv", head + "".join(rows))
    before = count(dbs, model)
    result = run(app, "import", kind, path)
    assert result.exit_code == 1
    assert f"row 3, column date: {CLOSED} until it is reopened." in result.output
    assert "row 2" not in result.output and count(dbs, model) == before
    later = write(tmp_path, "later.csv", head + rows[0])
    assert run(app, "import", kind, later).exit_code == 0
    assert count(dbs, model) == before + 1
    # the recorded row again changes nothing: no error, even with the period closed
    closed(app, ledger, "2025-07-31")
    again = run(app, "import", kind, later)
    assert again.exit_code == 0, again.output
    reopen(app, ledger["risk"], closes(dbs)[-1].id, "补录")
    reopen(app, ledger["risk"], closes(dbs)[0].id, "补录")
    assert run(app, "import", kind, path).exit_code == 0
    assert count(dbs, model) == before + 2


def test_an_import_updating_a_transaction_in_a_closed_period_is_an_error(
    app, ledger, dbs, tmp_path
):
    closed(app, ledger)
    head = "company_uscc,sub_fund,date,type,amount_wan,round,equity_pct\n"
    path = write(
        tmp_path,
        "t.csv",
        head + f"{ledger['company'].uscc},ANGEL,2025-03-01,investment,1000,a,12\n",
    )
    result = run(app, "import", "transactions", path)
    assert result.exit_code == 1 and f"row 2, column date: {CLOSED}" in result.output
    dbs.expire_all()
    (txn,) = dbs.exec(select(PortfolioTransaction)).all()
    assert txn.equity_pct == Decimal("10") and txn.round is None


# -- a close and a backdated write at the same moment --------------------------------------------


def test_a_close_and_a_backdated_mark_at_once_never_both_succeed(app, ledger, dbs, monkeypatch):
    """Each side waits (up to 2 s) after its check for the other to have checked too: without
    the lock both would find nothing in the way (no close; no pending mark) and both write. With
    it one waits for the other's commit and is refused: the close by the waiting mark, or the
    mark by the close."""
    from fundcrm import db as fundcrm_db
    from fundcrm.compliance import periods
    from fundcrm.portfolio import holdings

    checked = threading.Barrier(2)
    read_closes, read_marks = periods.closed_through, periods.queries.pending_marks_through

    def after(read):
        def waiting(*args, **kwargs):
            found = read(*args, **kwargs)
            try:
                checked.wait(timeout=2)
            except threading.BrokenBarrierError:
                pass  # the other waits for the lock: it checks after this one's commit
            return found

        return waiting

    monkeypatch.setattr(periods, "closed_through", after(read_closes))
    monkeypatch.setattr(periods.queries, "pending_marks_through", after(read_marks))
    start, outcomes = threading.Barrier(2), {}

    def attempt(name, action):
        with app.test_request_context(method="POST", headers=ENGLISH):
            session = fundcrm_db.session()
            start.wait()
            try:
                action(session)
                session.commit()
                outcomes[name] = "written"
            except periods.ServiceError as refusal:
                session.rollback()
                outcomes[name] = str(refusal.message)

    risk_id, manager_id = ledger["risk"].id, ledger["manager"].id
    values = {
        "marked_on": date(2025, 6, 30),
        "fair_value_yuan": Decimal("18000000"),
        "method": "comparables",
    }
    threads = [
        threading.Thread(
            target=attempt,
            args=(
                "close",
                lambda s: periods.close_period(
                    s, date(2025, 6, 30), s.get(type(ledger["risk"]), risk_id)
                ),
            ),
        ),
        threading.Thread(
            target=attempt,
            args=(
                "mark",
                lambda s: holdings.add_mark(
                    s,
                    s.get(Holding, ledger["holding"].id),
                    values,
                    s.get(type(ledger["manager"]), manager_id),
                ),
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["close", "mark"]
    assert list(outcomes.values()).count("written") == 1, outcomes
    with Session(app.extensions["fundcrm.engine"]) as fresh:
        marks = fresh.exec(select(ValuationMark)).all()
        made = fresh.exec(select(PeriodClose)).all()
    assert len(marks) + len(made) == 1


@pytest.mark.parametrize(
    "form",
    [
        {"closed_through": "2025-13-45"},
        {"closed_through": ""},
        {"closed_through": "2025-06-30\x00"},
        {"closed_through": "2025-06-30", "note": "长" * 1001},
    ],
)
def test_a_bad_close_form_is_shown_again_and_nothing_is_written(app, ledger, dbs, form):
    client = client_of(app, ledger["risk"])
    answer = post_form(client, "/funds/periods", form, headers=ENGLISH)
    assert answer.status_code == 200 and 'class="invalid-feedback"' in answer.get_data(as_text=True)
    assert closes(dbs) == []


def test_a_bad_reopen_form_is_shown_again_and_nothing_is_written(app, ledger, dbs):
    closed(app, ledger)
    close_id = closes(dbs)[0].id
    for reason in ("理" * 1001, "补录\x00"):
        answer = reopen(app, ledger["risk"], close_id, reason)
        assert answer.status_code == 200
    assert reopen(app, ledger["risk"], 987654, "补录").status_code == 404
    assert closes(dbs)[0].reopened_at is None
