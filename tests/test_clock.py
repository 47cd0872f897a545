"""Business dates come from the fund clock: at instants where the UTC and Beijing dates
differ, every surface shows and uses the Beijing date (DOMAIN.md section 5)."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlmodel import select

from fundcrm import clock
from fundcrm.models import Deal, Task
from fundcrm.workspace import services as work
from tests import factories
from tests.conftest import post_form, sign_in
from tests.test_deals import deal_form, move

BEIJING = timezone(timedelta(hours=8))
# 00:30 and 07:59 on 1 January in Beijing: still 31 December in UTC.
NEW_YEAR_INSTANTS = [
    datetime(2026, 12, 31, 16, 30, tzinfo=UTC),
    datetime(2027, 1, 1, 7, 59, tzinfo=BEIJING),
]


@pytest.fixture(params=NEW_YEAR_INSTANTS, ids=["00:30+08", "07:59+08"])
def new_year(request):
    """The clock stopped early on 1 January 2027 in Beijing (31 December in UTC)."""
    with time_machine.travel(request.param, tick=False):
        yield request.param


def test_today_is_the_beijing_date(app, new_year):
    assert datetime.now(UTC).date() == date(2026, 12, 31)
    with app.app_context():
        assert clock.today() == date(2027, 1, 1)
        assert clock.start_of_day(date(2027, 1, 1)) == datetime(2026, 12, 31, 16, tzinfo=UTC)


def test_the_time_zone_is_a_setting(app, new_year, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "Europe/London")
    with app.app_context():
        assert clock.today() == date(2026, 12, 31)


def test_a_deal_opened_on_new_years_night_gets_the_new_years_reference(client, staff, dbs):
    with time_machine.travel(NEW_YEAR_INSTANTS[0], tick=False):
        sign_in(client, staff["manager"].id)  # a session cookie lives a month: sign in then
        response = post_form(client, "/deals/new", deal_form(staff), token_from="/deals/new")
        assert response.status_code == 302
        listed = client.get("/deals?created_from=2027-01-01&created_to=2027-01-01")
        page = listed.get_data(as_text=True)
        before = client.get("/deals?created_to=2026-12-31").get_data(as_text=True)
    deal = dbs.exec(select(Deal).order_by(Deal.id.desc())).first()
    assert (deal.deal_ref, deal.created_on) == ("XM2027-0001", date(2027, 1, 1))
    assert "XM2027-0001" in page and "2027年1月1日" in page
    assert staff["deal"].deal_ref not in page
    assert "XM2027-0001" not in before and staff["deal"].deal_ref in before


def test_company_created_dates_show_and_filter_by_the_beijing_day(client, staff, dbs, new_year):
    company = factories.company(dbs, "重庆元旦机器人有限公司", factories.make_uscc(77))
    dbs.commit()
    sign_in(client, staff["manager"].id)
    found = client.get("/companies?created_from=2027-01-01&created_to=2027-01-01")
    page = found.get_data(as_text=True)
    assert company.name in page and "2027年1月1日" in page
    assert staff["company"].name not in page
    earlier = client.get("/companies?created_to=2026-12-31").get_data(as_text=True)
    assert company.name not in earlier


def test_the_investment_period_ends_at_midnight_beijing_time(client, staff, dbs):
    staff["industry"].investment_end = date(2026, 12, 31)
    dbs.commit()
    late = factories.deal(dbs, staff["company"], staff["manager"], [(staff["industry"], "1")])
    other = factories.deal(dbs, staff["company"], staff["manager"], [(staff["industry"], "1")])
    dbs.commit()
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=BEIJING), tick=False):
        sign_in(client, staff["manager"].id)
        assert move(client, other.id, "approved").get_json()["ok"]
    with time_machine.travel(NEW_YEAR_INSTANTS[0], tick=False):
        refused = move(client, late.id, "approved").get_json()
    assert not refused["ok"] and "投资期已于" in refused["errors"][0]


def test_export_file_names_carry_the_beijing_date(client, staff, new_year):
    sign_in(client, staff["manager"].id)
    response = client.get("/exports/deals.csv")
    assert response.status_code == 200
    assert "deals-2027-01-01.csv" in response.headers["Content-Disposition"]


def test_a_task_due_on_new_years_eve_is_overdue_after_midnight_beijing(client, staff, dbs):
    owner = staff["manager"]
    values = {"title": "提交年度报告", "due_on": date(2026, 12, 31), "assignee_id": owner.id}
    work.save_task(dbs, Task(title="", assignee_id=owner.id), values, owner)
    dbs.commit()
    with time_machine.travel(datetime(2026, 12, 31, 23, 59, tzinfo=BEIJING), tick=False):
        sign_in(client, owner.id)
        assert "已逾期" not in client.get("/tasks").get_data(as_text=True)
    for instant in NEW_YEAR_INSTANTS:
        with time_machine.travel(instant, tick=False):
            assert "已逾期" in client.get("/tasks").get_data(as_text=True)


def test_the_audit_filter_uses_the_beijing_day(client, staff, dbs, new_year):
    factories.company(dbs, "重庆跨年审计有限公司", factories.make_uscc(78))
    dbs.commit()
    sign_in(client, staff["risk"].id)
    that_day = client.get("/admin/audit?date_from=2027-01-01&date_to=2027-01-01")
    assert "重庆跨年审计有限公司" in that_day.get_data(as_text=True)
    day_before = client.get("/admin/audit?date_from=2026-12-31&date_to=2026-12-31")
    assert "重庆跨年审计有限公司" not in day_before.get_data(as_text=True)
