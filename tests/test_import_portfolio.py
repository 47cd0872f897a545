"""Imports and exports of portfolio transactions, valuation marks, LP flows and fees
(DOMAIN.md section 9): historical transactions open holdings and list their mandate
breaches, marks count at once only from the command line or risk, every bad row is reported
and nothing is written, and an export re-imports unchanged."""

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import func, select

from fundcrm import clock
from fundcrm.models import FundExpense, Holding, LpFlow, PortfolioTransaction, ValuationMark
from tests import factories
from tests.factories import make_uscc
from tests.ic_fixtures import ENGLISH, client_of
from tests.test_imports import run, write

TXN_HEAD = "company_uscc,sub_fund,date,type,amount_wan,exit,round,equity_pct,post_money_wan,note\n"


def count(dbs, model) -> int:
    dbs.expire_all()
    return dbs.exec(select(func.count()).select_from(model)).one()


def mature_company(dbs):
    company = factories.company(dbs, "重庆远航智能装备有限公司", make_uscc(7),
                                enterprise_stage="mature")  # fmt: skip
    dbs.commit()
    return company


def test_a_transactions_file_opens_holdings_lists_breaches_and_reimports_unchanged(
    app, dbs, staff, tmp_path
):
    robot, other = staff["company"], mature_company(dbs)
    path = write(tmp_path, "txns.csv", TXN_HEAD + (
        f"{robot.uscc},ANGEL,2025-03-01,investment,1000,,a,10,10000,首轮\n"
        f"{robot.uscc},ANGEL,2025-09-01,dividend,20,,,,,\n"
        f"{robot.uscc},ANGEL,2026-06-30,proceeds,300,partial,,8,,部分转让\n"
        f"{other.uscc},ANGEL,2025-05-01,investment,500,,b,5,,\n"
    ))  # fmt: skip
    result = run(app, "import", "transactions", path)
    assert result.exit_code == 0, result.output
    # the mature company is outside ANGEL's stages: listed, not refused (historical data)
    breaches = [line for line in result.output.splitlines() if line.startswith("mandate breach")]
    assert len(breaches) == 1 and "row 5" in breaches[0] and "重庆远航" in breaches[0]
    dbs.expire_all()
    found = {h.company_id: h for h in dbs.exec(select(Holding)).all()}
    assert found[robot.id].opened_on == date(2025, 3, 1)
    kinds = [(t.kind, t.amount_yuan, t.exit, t.note) for t in found[robot.id].transactions]
    assert kinds == [
        ("investment", Decimal("10000000.00"), None, "首轮"),
        ("dividend", Decimal("200000.00"), None, ""),
        ("proceeds", Decimal("3000000.00"), "partial", "部分转让"),
    ]
    assert found[robot.id].transactions[0].post_money_yuan == Decimal("100000000.00")
    again = run(app, "import", "transactions", path)
    assert again.exit_code == 0 and count(dbs, PortfolioTransaction) == 4
    # an export re-imports unchanged, and a second export is the same file
    out = tmp_path / "export.csv"
    assert run(app, "export", "transactions", "--out", out).exit_code == 0
    assert run(app, "import", "transactions", out).exit_code == 0
    assert count(dbs, PortfolioTransaction) == 4
    second = tmp_path / "second.csv"
    run(app, "export", "transactions", "--out", second)
    assert out.read_bytes() == second.read_bytes()
    # a matched row's other cells update the record (a correction of the note)
    fixed = write(
        tmp_path, "fix.csv", TXN_HEAD + f"{robot.uscc},ANGEL,2025-09-01,dividend,20,,,,,更正\n"
    )
    assert run(app, "import", "transactions", fixed).exit_code == 0
    dbs.expire_all()
    notes = [t.note for t in dbs.get(Holding, found[robot.id].id).transactions]
    assert notes == ["首轮", "更正", "部分转让"] and count(dbs, PortfolioTransaction) == 4


def test_every_bad_transaction_row_is_reported_and_nothing_is_written(app, dbs, held, tmp_path):
    robot, other = held["company"], mature_company(dbs)
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    before = count(dbs, PortfolioTransaction)
    path = write(tmp_path, "bad.csv", TXN_HEAD + (
        f"{robot.uscc},ANGEL,2026-11-01,dividend,10,,,,,\n"  # 2: before the first investment
        f"{robot.uscc},ANGEL,2026-11-24,write_off,0,,,,,\n"            # 3: fine on its own
        f"{robot.uscc},ANGEL,2026-11-25,investment,100,,,,,\n"         # 4: after the write-off
        f"{robot.uscc},ANGEL,2026-11-26,dividend,-5,,,,,\n"            # 5: negative
        f"{robot.uscc},INDUSTRY,{tomorrow},dividend,5,,,,,\n"          # 6: after today
        f"{robot.uscc},NOPE,2026-11-22,dividend,5,,,,,\n"              # 7: unknown sub-fund
        f"{make_uscc(99)},ANGEL,2026-11-22,dividend,5,,,,,\n"          # 8: unknown company
        f"{other.uscc},ANGEL,2026-11-22,dividend,5,,,,,\n"             # 9: opens with no investment
        f"{robot.uscc},INDUSTRY,2026-11-23,proceeds,5,,,,,\n"          # 10: proceeds need an exit
    ))  # fmt: skip
    result = run(app, "import", "transactions", path)
    assert result.exit_code == 1
    errors = result.output
    for row, column, message in [
        (2, "date", "before the holding's first investment"),
        (4, "type", "fully exited or written off"),
        (5, "amount_wan", ""),
        (6, "date", "today or earlier"),
        (7, "sub_fund", "Unknown sub-fund"),
        (8, "company_uscc", "No company has this USCC"),
        (9, "date", "before the holding's first investment"),
        (10, "exit", "partial or a full exit"),
    ]:
        line = next(
            (x for x in errors.splitlines() if x.startswith(f"row {row}, column {column}:")), None
        )
        assert line is not None and message in line, (row, errors)
    assert "row 3," not in errors
    assert count(dbs, PortfolioTransaction) == before


def test_marks_count_at_once_from_the_command_line_and_risk_else_wait(app, dbs, held, tmp_path):
    robot = held["company"]
    head = "company_uscc,sub_fund,date,fair_value_wan,method,note\n"
    path = write(tmp_path, "marks.csv", head + f"{robot.uscc},ANGEL,2026-11-25,1200,dcf,季度估值\n")
    assert run(app, "import", "valuations", path).exit_code == 0
    assert run(app, "import", "valuations", path).exit_code == 0  # the same mark: unchanged
    dbs.expire_all()
    (mark,) = dbs.exec(select(ValuationMark)).all()
    assert (mark.status, mark.fair_value_yuan, mark.note) == (
        "counted",
        Decimal("12000000.00"),
        "季度估值",
    )
    # on the web: a manager's imported mark waits for risk; risk's counts at once
    for user, value, status in (
        (held["manager"], "1300", "pending"),
        (held["risk"], "1400", "counted"),
    ):
        data = head + f"{robot.uscc},ANGEL,2026-11-26,{value},recent_round,\n"
        assert web_import(app, user, "valuations", data) == 302
        dbs.expire_all()
        marks = {m.fair_value_yuan: m.status for m in dbs.exec(select(ValuationMark)).all()}
        assert marks[Decimal(value) * 10000] == status
    # a mark on a holding the sub-fund does not have, and after the end, is refused
    bad = write(tmp_path, "bad.csv", head + (
        f"{robot.uscc},INDUSTRY,2026-11-25,1,cost,\n"
        f"{mature_company(dbs).uscc},ANGEL,2026-11-25,1,cost,\n"
    ))  # fmt: skip
    result = run(app, "import", "valuations", bad)
    assert (
        result.exit_code == 1
        and "row 3, column company_uscc: The sub-fund holds nothing" in result.output
    )
    assert count(dbs, ValuationMark) == 3


def web_import(app, user, kind: str, text: str) -> int:
    """Upload a CSV on the web and confirm it: the confirmation's status."""
    import io
    import re

    client = client_of(app, user)
    page = client.get("/imports", headers=ENGLISH).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post("/imports", data={"csrf_token": token, "kind": kind,
                         "file": (io.BytesIO(text.encode()), f"{kind}.csv")},
                         content_type="multipart/form-data", headers=ENGLISH)  # fmt: skip
    assert answer.status_code == 302, answer.get_data(as_text=True)[-2000:]
    preview = client.get(answer.location, headers=ENGLISH).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', preview).group(1)
    return client.post(f"{answer.location}/confirm", data={"csrf_token": token}).status_code


def test_lp_flows_stay_within_commitments_and_reimport_unchanged(app, dbs, staff, tmp_path):
    other_lp = factories.lp(dbs, "重庆两江新区产业基金", "district_fof")
    dbs.commit()
    head = "lp_name,sub_fund,date,type,amount_wan\n"
    city = staff["lp"].name  # 30,000 万元 to ANGEL
    bad = write(tmp_path, "bad.csv", head + (
        f"{city},ANGEL,2025-01-10,call,20000\n"
        f"{city},ANGEL,2025-06-10,call,12000\n"         # 3: 32,000 > 30,000
        f"{other_lp.name},ANGEL,2025-01-10,call,100\n"  # 4: no commitment
        f"{city},INDUSTRY,2025-01-10,call,100\n"        # 5: no commitment to INDUSTRY
        f"无名出资人,ANGEL,2025-01-10,call,100\n"         # 6: unknown LP
    ))  # fmt: skip
    result = run(app, "import", "lp_flows", bad)
    assert result.exit_code == 1
    assert "row 3, column amount_wan: The calls would exceed" in result.output
    for row in (4, 5):
        assert f"row {row}, column lp_name: This LP has no commitment" in result.output
    assert "row 6, column lp_name: No LP has this name" in result.output
    assert "row 2," not in result.output and count(dbs, LpFlow) == 0
    good = write(tmp_path, "good.csv", head + (
        f"{city},ANGEL,2025-01-10,call,20000\n{city},ANGEL,2025-06-10,call,10000\n"
        f"{city},ANGEL,2026-06-10,distribution,500\n"
    ))  # fmt: skip
    assert run(app, "import", "lp_flows", good).exit_code == 0
    out = tmp_path / "flows.xlsx"
    assert run(app, "export", "lp_flows", "--out", out).exit_code == 0
    assert run(app, "import", "lp_flows", out).exit_code == 0
    assert count(dbs, LpFlow) == 3
    # one more call now exceeds the commitment with the recorded ones…
    more = write(tmp_path, "more.csv", head + f"{city},ANGEL,2026-01-10,call,1\n")
    assert "The calls would exceed" in run(app, "import", "lp_flows", more).output
    # …until an increase dated before it: the call is checked with the amount in force then
    from fundcrm.funds.changes import record_change

    with app.app_context():
        record_change(dbs, dbs.merge(staff["commitment"]), {
            "changed_on": date(2025, 12, 31), "kind": "increase",
            "amount_yuan": Decimal("5000000"), "to_lp_id": None, "note": "增资"})  # fmt: skip
        dbs.commit()
    assert run(app, "import", "lp_flows", more).exit_code == 0 and count(dbs, LpFlow) == 4
    late = write(tmp_path, "late.csv", head + f"{city},ANGEL,2025-12-30,call,1\n")
    assert "The calls would exceed" in run(app, "import", "lp_flows", late).output


def test_fees_and_expenses_import_and_export(app, dbs, staff, tmp_path):
    head = "sub_fund,date,kind,amount_wan\n"
    path = write(tmp_path, "fees.csv", head + (
        "ANGEL,2025-12-31,management_fee,600\nANGEL,2025-12-31,management_fee,600\n"
        "INDUSTRY,2026-03-31,基金费用,12.5\n"
    ))  # fmt: skip
    assert run(app, "import", "expenses", path).exit_code == 0
    assert run(app, "import", "expenses", path).exit_code == 0  # two equal rows: two records
    assert count(dbs, FundExpense) == 3
    out = tmp_path / "fees.csv"
    assert run(app, "export", "expenses", "--out", out).exit_code == 0
    text = out.read_text("utf-8-sig")
    assert text.splitlines()[0] == "sub_fund,date,kind,amount_wan"
    assert "INDUSTRY,2026-03-31,expense,12.5" in text
    assert run(app, "import", "expenses", out).exit_code == 0 and count(dbs, FundExpense) == 3
    bad = write(tmp_path, "bad.csv", head + "ANGEL,2025-12-31,management_fee,0\n")
    assert "row 2, column amount_wan" in run(app, "import", "expenses", bad).output


def test_each_kind_is_imported_and_exported_by_the_roles_its_forms_allow(app, staff):
    cases = {  # role → (kinds it may import, kinds it may export)
        "manager": ({"companies", "deals", "valuations"}, {"transactions", "lp_flows"}),
        "risk": ({"transactions", "valuations"}, {"transactions", "lp_flows"}),
        "ic_member": (set(), {"transactions"}),
    }
    for role, (imports, exports) in cases.items():
        client = client_of(app, staff[role])
        for kind in ("companies", "deals", "transactions", "valuations", "lp_flows", "expenses"):
            status = client.get(f"/imports/template/{kind}.xlsx").status_code
            assert (status == 200) == (kind in imports), (role, kind, status)
        for kind in ("transactions", "lp_flows"):
            status = client.get(f"/exports/{kind}.csv").status_code
            assert (status == 200) == (kind in exports), (role, kind, status)
    page = client_of(app, staff["risk"]).get("/imports", headers=ENGLISH).get_data(as_text=True)
    assert 'value="valuations"' in page and 'value="deals"' not in page


def test_two_imports_of_one_file_at_once_write_it_once(app, dbs, held, monkeypatch):
    """Both check the file at the same moment; the holding's lock makes the second wait for
    the first and find its rows recorded (on SQLite the write lock does the same). Each
    import, once it has read the holding, waits up to 2 s for the other to have read it too:
    without the lock both would then add the rows."""
    import threading

    from sqlmodel import Session

    from fundcrm.imports.importers.portfolio import TransactionsImporter
    from fundcrm.imports.service import run_import

    read_both = threading.Barrier(2)
    plan_holding = TransactionsImporter._plan_holding

    def after_reading(self, plan):
        try:
            read_both.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass  # the other waits for the lock: it reads after this one's commit
        return plan_holding(self, plan)

    monkeypatch.setattr(TransactionsImporter, "_plan_holding", after_reading)

    robot = held["company"]
    data = (TXN_HEAD + f"{robot.uscc},ANGEL,2026-11-25,dividend,10,,,,,\n"
            f"{robot.uscc},ANGEL,2026-11-26,dividend,20,,,,,\n").encode()  # fmt: skip
    before = count(dbs, PortfolioTransaction)
    barrier, written = threading.Barrier(2), []

    def run_one():
        with app.app_context(), Session(app.extensions["fundcrm.writing_engine"]) as session:
            barrier.wait()
            report = run_import(session, "transactions", data, "t.csv", user=None,
                                settings=app.config)  # fmt: skip
            assert not report.errors, report.errors
            session.commit()
            written.append(report.created)

    threads = [threading.Thread(target=run_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(written) == [0, 2]
    assert count(dbs, PortfolioTransaction) == before + 2


def test_dates_are_judged_by_the_fund_clock_not_utc(app, dbs, staff, tmp_path):
    """At 00:30 in Beijing on 1 December it is still 30 November in UTC: a fee dated 1 December
    is today, one dated 2 December is after today."""
    from datetime import UTC, datetime

    import time_machine

    head = "sub_fund,date,kind,amount_wan\n"
    today = write(tmp_path, "today.csv", head + "ANGEL,2026-12-01,management_fee,1\n")
    later = write(tmp_path, "later.csv", head + "ANGEL,2026-12-02,management_fee,1\n")
    with time_machine.travel(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), tick=False):
        refused = run(app, "import", "expenses", later)
        assert refused.exit_code == 1 and "today or earlier" in refused.output
        assert run(app, "import", "expenses", today).exit_code == 0
    assert count(dbs, FundExpense) == 1
