"""Dated changes of a commitment (增资, 减资, 转让): recorded on the commitment's page with their
rules, and committed, paid-in and unfunded as of any date per LP, per sub-fund and in total, on
the funds overview, on a sub-fund's metrics page and in `fundcrm metrics --json` alike."""

import html
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from fundcrm import clock
from fundcrm.cli import main
from fundcrm.domain.commitments import Position, first_shortfall, schedule
from fundcrm.funds import changes, queries
from fundcrm.funds.positions import positions
from fundcrm.funds.services import SetupError
from fundcrm.models import AuditEntry, Commitment, CommitmentChange, LpFlow
from tests import factories
from tests.conftest import post_form
from tests.ic_fixtures import ENGLISH, client_of
from tests.test_concurrency import all_at_once, posting
from tests.world import snapshot


def wan(amount) -> Decimal:
    return Decimal(amount) * 10_000


def held(committed, paid_in=0) -> Position:
    """A position written in 万元."""
    return Position(wan(committed), wan(paid_in))


@pytest.fixture
def fund(staff, dbs):
    """天使基金: the city LP's 30,000 万元 from the first close (2024-06-01) with 6,000 called on
    2025-03-01, and the district LP's 10,000 from 2025-01-01; 产业基金: the city LP's 20,000.
    A private LP (渝创) has no commitment yet."""
    angel, industry, city = staff["angel"], staff["industry"], staff["lp"]
    district = factories.lp(dbs, "两江新区产业发展投资基金", "district_fof")
    leader = factories.lp(dbs, "渝创机器人产业集团", "industry_leader", government=False)
    district_angel = factories.commitment(dbs, district, angel, "100000000.00",
                                          committed_on=date(2025, 1, 1))  # fmt: skip
    factories.commitment(dbs, city, industry, "200000000.00")
    dbs.add(LpFlow(lp_id=city.id, sub_fund_id=angel.id, flow_on=date(2025, 3, 1), kind="call",
                   amount_yuan=wan(6000)))  # fmt: skip
    dbs.commit()
    return {**staff, "district": district, "leader": leader, "city_angel": staff["commitment"],
            "district_angel": district_angel}  # fmt: skip


def change(app, user, commitment, on, kind, amount, to_lp=None, note=""):
    url = f"/funds/commitments/{commitment.id}"
    form = {"changed_on": str(on), "kind": kind, "amount": str(amount), "note": note,
            "to_lp_id": str(to_lp.id) if to_lp else ""}  # fmt: skip
    return post_form(client_of(app, user), f"{url}/changes", form, token_from=url,
                     headers=ENGLISH)  # fmt: skip


@pytest.fixture
def changed(app, fund):
    """The three kinds: the city LP's 天使基金 commitment increased by 5,000 on 2025-06-01; the
    district LP's decreased by 2,000 on 2025-09-01; 4,000 of the city LP's transferred to 渝创
    (which had no commitment) on 2026-01-10."""
    admin = fund["admin"]
    for commitment, on, kind, amount, to_lp in (
        (fund["city_angel"], "2025-06-01", "increase", 5000, None),
        (fund["district_angel"], "2025-09-01", "decrease", 2000, None),
        (fund["city_angel"], "2026-01-10", "transfer", 4000, fund["leader"]),
    ):
        response = change(app, admin, commitment, on, kind, amount, to_lp)
        assert response.status_code == 302, shown(response)
        assert response.location == f"/funds/commitments/{commitment.id}"
    return fund


def figures(dbs, on: date) -> dict:
    """Every position as of a date: (code, LP name), code and 'total'."""
    dbs.expire_all()
    found = positions(dbs, on)
    rows = {(p.sub_fund.code, r.lp_name): r.position for p in found.sub_funds for r in p.lps}
    return {**rows, **{p.sub_fund.code: p.position for p in found.sub_funds}, "total": found.total}


def shown(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The cells of a table's rows as a reader sees them."""
    part = page[page.index(f'id="{table_id}"') :]
    part = part[: part.index("</table>")]
    cells = r"<t[dh][^>]*>(.*?)</t[dh]>"
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(cells, row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", part, re.S)
    ]


# -- the rule, pure ------------------------------------------------------------------------------


def test_a_schedule_counts_each_change_from_its_own_date():
    amounts = schedule(date(2025, 1, 1), wan(100), [(date(2025, 6, 1), wan(-30)),
                                                    (date(2025, 3, 1), wan(20))])  # fmt: skip
    assert amounts.on(date(2024, 12, 31)) == 0  # before its start
    assert amounts.on(date(2025, 1, 1)) == wan(100)
    assert amounts.on(date(2025, 3, 1)) == wan(120)  # a change counts on its own date
    assert amounts.on(date(2025, 5, 31)) == wan(120)
    assert amounts.on(date(2025, 6, 1)) == amounts.latest() == wan(90)
    undated = schedule(None, wan(50))
    assert undated.on(date(1990, 1, 1)) == wan(50) and undated.started(date(1990, 1, 1))


def test_a_shortfall_is_looked_for_on_every_later_date():
    calls = [(date(2025, 3, 1), wan(60))]
    amounts = schedule(date(2025, 1, 1), wan(100), [(date(2025, 2, 1), wan(-50))])
    short = first_shortfall(amounts, calls, date(2025, 2, 1))
    assert (short.on, short.in_force, short.called) == (date(2025, 3, 1), wan(50), wan(60))
    assert first_shortfall(amounts, [], date(2025, 2, 1)) is None
    below = amounts.with_step(date(2025, 4, 1), wan(-60))
    assert first_shortfall(below, [], date(2025, 2, 1)).in_force == wan(-10)


# -- as of a date ------------------------------------------------------------------------------


def test_changes_count_on_and_after_their_dates_not_before(dbs, changed):
    city, district, leader = (changed[k].name for k in ("lp", "district", "leader"))
    before = figures(dbs, date(2025, 5, 31))
    assert before[("ANGEL", city)] == held(30000, 6000)
    assert before[("ANGEL", district)] == held(10000)
    assert ("ANGEL", leader) not in before
    assert before["ANGEL"] == held(40000, 6000) and before["INDUSTRY"] == held(20000)
    assert before["total"] == held(60000, 6000)
    assert before["total"].unfunded == wan(54000)

    increased = figures(dbs, date(2025, 6, 1))  # the increase's own date
    assert increased[("ANGEL", city)] == held(35000, 6000)
    assert increased[("ANGEL", city)].unfunded == wan(29000)
    assert increased["ANGEL"] == held(45000, 6000) and increased["total"] == held(65000, 6000)

    assert figures(dbs, date(2025, 8, 31))[("ANGEL", district)] == held(10000)
    decreased = figures(dbs, date(2025, 9, 1))
    assert decreased[("ANGEL", district)] == held(8000)
    assert decreased["ANGEL"] == held(43000, 6000) and decreased["total"] == held(63000, 6000)

    assert ("ANGEL", leader) not in figures(dbs, date(2026, 1, 9))
    transferred = figures(dbs, date(2026, 1, 10))
    assert transferred[("ANGEL", city)] == held(31000, 6000)
    assert transferred[("ANGEL", city)].unfunded == wan(25000)
    assert transferred[("ANGEL", leader)] == held(4000)
    # a transfer moves committed capital between LPs: the sub-fund's and the fund's stay
    assert transferred["ANGEL"] == held(43000, 6000) and transferred["total"] == held(63000, 6000)
    assert transferred["INDUSTRY"] == held(20000)


def test_the_transfer_opens_the_receiving_lps_commitment_at_zero_on_its_date(dbs, changed):
    dbs.expire_all()
    opened = queries.commitment_of(dbs, changed["leader"].id, changed["angel"].id)
    assert (opened.committed_yuan, opened.committed_on) == (0, date(2026, 1, 10))
    assert opened.reinvest_ratio is None  # a private LP carries no re-investment requirement
    assert queries.committed_in_force(dbs, changed["leader"].id, changed["angel"].id,
                                      date(2026, 1, 10)) == wan(4000)  # fmt: skip
    transfer = dbs.exec(select(CommitmentChange).where(CommitmentChange.kind == "transfer")).one()
    assert transfer.to_commitment_id == opened.id
    assert transfer.created_by_id == changed["admin"].id
    assert queries.committed_by_sub_fund(dbs)[changed["angel"].id] == wan(43000)


def test_each_change_is_audited_under_its_commitment(dbs, changed):
    entries = dbs.exec(
        select(AuditEntry).where(AuditEntry.table_name == "commitment_changes")
    ).all()
    assert [e.action for e in entries] == ["create"] * 3
    assert {e.parent_id for e in entries} == {str(changed["city_angel"].id),
                                              str(changed["district_angel"].id)}  # fmt: skip
    opened = dbs.exec(select(AuditEntry).where(AuditEntry.table_name == "commitments",
                                               AuditEntry.action == "create")).all()  # fmt: skip
    assert len(opened) == 4  # the fixture's three and the one the transfer opened


def test_the_overview_shows_each_lp_to_who_reads_lp_accounts_and_totals_to_all(app, changed):
    url = "/funds?as_of=2026-01-10"
    page = client_of(app, changed["manager"]).get(url, headers=ENGLISH).get_data(as_text=True)
    rows = table_rows(page, "positions")
    assert rows[0] == ["Sub-fund", "LP", "Committed on", "Committed (万元)", "Paid-in (万元)",
                       "Unfunded (万元)"]  # fmt: skip
    assert ["ANGEL", changed["lp"].name, "Jun 1, 2024", "31,000.00", "6,000.00",
            "25,000.00"] in rows  # fmt: skip
    assert ["ANGEL", changed["district"].name, "Jan 1, 2025", "8,000.00", "0.00",
            "8,000.00"] in rows  # fmt: skip
    assert ["ANGEL", changed["leader"].name, "Jan 10, 2026", "4,000.00", "0.00",
            "4,000.00"] in rows  # fmt: skip
    assert ["ANGEL", "Sub-fund total", "43,000.00", "6,000.00", "37,000.00"] in rows
    assert ["INDUSTRY", "Sub-fund total", "20,000.00", "0.00", "20,000.00"] in rows
    assert rows[-1] == ["Fund total", "63,000.00", "6,000.00", "57,000.00"]
    earlier = client_of(app, changed["manager"]).get("/funds?as_of=2025-05-31", headers=ENGLISH)
    assert table_rows(earlier.get_data(as_text=True), "positions")[-1] == [
        "Fund total", "60,000.00", "6,000.00", "54,000.00"]  # fmt: skip
    names = [changed[k].name for k in ("lp", "district", "leader")]
    for role in ("ic_member", "viewer"):
        other = client_of(app, changed[role]).get(url, headers=ENGLISH).get_data(as_text=True)
        assert not any(name in other for name in names), role
        rows = table_rows(other, "positions")
        assert ["ANGEL ANGEL 子基金", "43,000.00", "6,000.00", "37,000.00"] in rows
        assert rows[-1] == ["Fund total", "63,000.00", "6,000.00", "57,000.00"]


def test_the_overview_is_as_of_today_by_default_and_refuses_a_bad_date(app, changed):
    client = client_of(app, changed["viewer"])
    page = client.get("/funds", headers=ENGLISH).get_data(as_text=True)
    assert f'value="{clock.today().isoformat()}"' in page
    assert table_rows(page, "positions")[-1] == ["Fund total", "63,000.00", "6,000.00",
                                                 "57,000.00"]  # fmt: skip
    for bad in ("2026-02-30", "x", "30/11/2026"):
        response = client.get(f"/funds?as_of={bad}", headers=ENGLISH)
        assert response.status_code == 400 and "YYYY-MM-DD" in shown(response)


def test_the_overview_reads_a_fixed_number_of_statements(app, dbs, fund, count_queries):
    client = client_of(app, fund["manager"])

    def statements() -> int:
        with count_queries() as counted:
            assert client.get("/funds").status_code == 200
        return counted.n

    few = statements()
    for n in range(4):
        lp = factories.lp(dbs, f"第{n}号出资人", "institution", government=False)
        factories.commitment(dbs, lp, fund["industry"], "10000000.00")
        dbs.add(LpFlow(lp_id=lp.id, sub_fund_id=fund["industry"].id, flow_on=date(2025, 1, 1),
                       kind="call", amount_yuan=wan(100)))  # fmt: skip
    dbs.commit()
    change(app, fund["admin"], fund["district_angel"], "2025-09-01", "decrease", 100)
    assert statements() == few


def test_the_metrics_page_lists_each_lps_commitment_in_force(app, changed):
    url = "/funds/ANGEL/metrics?as_of=2026-01-10"
    page = client_of(app, changed["manager"]).get(url, headers=ENGLISH).get_data(as_text=True)
    assert "Committed · 43,000.00 万元" in " ".join(re.sub(r"<[^>]+>", " ", page).split())
    rows = table_rows(page, "lp-accounts")
    assert [changed["lp"].name, "Jun 1, 2024", "31,000.00", "6,000.00", "25,000.00"] in rows
    assert [changed["leader"].name, "Jan 10, 2026", "4,000.00", "0.00", "4,000.00"] in rows
    member = client_of(app, changed["ic_member"]).get(url, headers=ENGLISH).get_data(as_text=True)
    assert table_rows(member, "lp-accounts")[1:] == [
        ["LP 1", "Jun 1, 2024", "31,000.00"], ["LP 2", "Jan 1, 2025", "8,000.00"],
        ["LP 3", "Jan 10, 2026", "4,000.00"]]  # fmt: skip


def test_the_metrics_json_committed_follows_the_changes(app, changed):
    def committed(on: str) -> tuple[str, str]:
        result = app.test_cli_runner().invoke(main, ["metrics", "--as-of", on, "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        (angel,) = [s for s in data["sub_funds"] if s["code"] == "ANGEL"]
        return angel["committed"], data["fund"]["committed"]

    assert committed("2025-05-31") == ("400000000.00", "600000000.00")
    assert committed("2025-06-01") == ("450000000.00", "650000000.00")
    assert committed("2025-09-01") == ("430000000.00", "630000000.00")
    assert committed("2026-01-10") == ("430000000.00", "630000000.00")


def _opened(dbs, fund) -> Commitment:
    """The commitment the transfer opened for 渝创."""
    dbs.expire_all()
    return queries.commitment_of(dbs, fund["leader"].id, fund["angel"].id)


def test_the_commitment_page_lists_its_changes(app, dbs, changed):
    client = client_of(app, changed["admin"])
    transfer = f"{changed['lp'].name} → {changed['leader'].name}"
    url = f"/funds/commitments/{changed['city_angel'].id}"
    page = shown(client.get(url, headers=ENGLISH))
    assert table_rows(page, "changes")[1:] == [
        ["Jun 1, 2025", "Increase", "+5,000.00", "", ""],
        ["Jan 10, 2026", "Transfer", "−4,000.00", transfer, ""],
    ]
    assert "In force today: 31,000.00 万元" in page
    receiver = shown(client.get(f"/funds/commitments/{_opened(dbs, changed).id}", headers=ENGLISH))
    assert table_rows(receiver, "changes")[1:] == [
        ["Jan 10, 2026", "Transfer", "+4,000.00", transfer, ""]
    ]
    assert "In force today: 4,000.00 万元" in receiver


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("which", "on", "kind", "amount", "to", "field", "message"),
    [
        ("city_angel", "tomorrow", "increase", "100", None, "changed_on",
         "A change is dated today or earlier."),
        ("district_angel", "2024-12-31", "increase", "100", None, "changed_on",
         "The commitment starts on Jan 1, 2025: a change is dated on or after it."),
        ("city_angel", "2025-06-01", "increase", "0", None, "amount",
         "The amount must be more than zero."),
        ("city_angel", "2025-06-01", "decrease", "-5", None, "amount",
         "Amounts are positive: the type gives the direction."),
        # below the 6,000 called on 2025-03-01
        ("city_angel", "2025-06-01", "decrease", "25000", None, "amount",
         "The commitment in force on Jun 1, 2025 (5,000.00 万元) would fall below the LP's "
         "calls paid by then (6,000.00 万元)."),
        # dated before the call: the call's own date is where it falls short
        ("city_angel", "2025-02-01", "transfer", "25000", "leader", "amount",
         "The commitment in force on Mar 1, 2025 (5,000.00 万元) would fall below the LP's "
         "calls paid by then (6,000.00 万元)."),
        ("district_angel", "2025-06-01", "decrease", "10000.01", None, "amount",
         "The commitment in force would fall below zero on Jun 1, 2025 (-0.01 万元)."),
        ("city_angel", "2025-06-01", "transfer", "100", None, "to_lp_id",
         "Choose the LP receiving the transfer."),
        ("city_angel", "2025-06-01", "increase", "100", "leader", "to_lp_id",
         "Only a transfer has a receiving LP."),
        # the district LP's commitment starts on 2025-01-01
        ("city_angel", "2024-12-01", "transfer", "100", "district", "changed_on",
         "The receiving LP's commitment starts on Jan 1, 2025, after the transfer."),
    ],
)  # fmt: skip
def test_a_refused_change_writes_nothing_and_says_why(
    app, fund, which, on, kind, amount, to, field, message
):
    on = str(clock.today() + timedelta(days=1)) if on == "tomorrow" else on
    before = snapshot(app)
    response = change(app, fund["admin"], fund[which], on, kind, amount, to and fund[to])
    assert response.status_code == 200
    page = shown(response)
    assert message in page
    # under its field: the field's control is marked invalid
    assert re.search(rf'<(input|select)[^>]*class="[^"]*is-invalid[^"]*"[^>]*name="{field}"'
                     rf'|name="{field}"[^>]*class="[^"]*is-invalid', page), field  # fmt: skip
    assert snapshot(app) == before


def test_a_backdated_change_is_checked_against_the_later_ones(app, dbs, changed):
    """The district LP's 10,000 less 2,000 on 2025-09-01: a decrease of 9,000 dated before that
    leaves 1,000 on its own date, but −1,000 from the later decrease on."""
    admin, district = changed["admin"], changed["district_angel"]
    before = snapshot(app)
    response = change(app, admin, district, "2025-06-01", "decrease", 9000)
    assert "would fall below zero on Sep 1, 2025 (-1,000.00 万元)" in shown(response)
    # 渝创's commitment opened with the transfer of 2026-01-10: nothing reaches it earlier
    response = change(app, admin, district, "2025-06-01", "transfer", 100, changed["leader"])
    assert "The receiving LP's commitment starts on Jan 10, 2026" in shown(response)
    assert snapshot(app) == before
    assert change(app, admin, district, "2025-06-01", "decrease", 8000).status_code == 302
    assert figures(dbs, date(2025, 9, 1))[("ANGEL", changed["district"].name)] == held(0)


def test_the_service_refuses_a_transfer_to_the_same_lp(app, dbs, fund):
    with app.test_request_context(headers=ENGLISH):
        commitment = dbs.get(Commitment, fund["city_angel"].id)
        values = {"changed_on": date(2025, 6, 1), "kind": "transfer", "amount_yuan": wan(10),
                  "to_lp_id": fund["lp"].id}  # fmt: skip
        with pytest.raises(SetupError) as refused:
            changes.record_change(dbs, commitment, values)
    assert (str(refused.value.message), refused.value.field) == (
        "A transfer goes to another LP.", "to_lp_id")  # fmt: skip
    dbs.rollback()
    assert dbs.exec(select(CommitmentChange)).all() == []


def test_the_transfer_form_offers_the_other_lps_only(app, fund):
    url = f"/funds/commitments/{fund['city_angel'].id}"
    page = client_of(app, fund["admin"]).get(url, headers=ENGLISH).get_data(as_text=True)
    start = page.index('name="to_lp_id"')
    offered = page[start : page.index("</select>", start)]
    assert fund["district"].name in offered and fund["leader"].name in offered
    assert fund["lp"].name not in offered
    before = snapshot(app)
    response = change(app, fund["admin"], fund["city_angel"], "2025-06-01", "transfer", 10,
                      fund["lp"])  # fmt: skip
    assert response.status_code == 200 and snapshot(app) == before


# -- editing a commitment that has changes ------------------------------------------------------


def _edit(app, admin, commitment, **values):
    url = f"/funds/commitments/{commitment.id}"
    form = {"lp_id": str(commitment.lp_id), "sub_fund_id": str(commitment.sub_fund_id),
            "committed_wan": "30000", "committed_on": "", "reinvest_ratio": "1.2",
            "reinvest_area": ["chongqing"], "reinvest_base": "committed", **values}  # fmt: skip
    return post_form(client_of(app, admin), url, form, headers=ENGLISH)


def test_an_edit_keeps_what_the_changes_need(app, dbs, changed):
    admin, city = changed["admin"], changed["city_angel"]
    before = snapshot(app)
    refused = [
        ({"committed_on": "2025-07-01"}, "A dated change of Jun 1, 2025 comes before this date."),
        ({"lp_id": str(changed["district"].id), "sub_fund_id": str(changed["industry"].id)},
         "This commitment has dated changes: its LP and sub-fund stay as they are."),
        # 1,000 when the 6,000 were called
        ({"committed_wan": "1000"},
         "The commitment in force on Mar 1, 2025 (1,000.00 万元) would fall below the LP's "
         "calls paid by then (6,000.00 万元)."),
    ]  # fmt: skip
    for values, message in refused:
        response = _edit(app, admin, city, **values)
        assert response.status_code == 200 and message in shown(response), values
    assert snapshot(app) == before
    assert _edit(app, admin, city, committed_wan="32000").status_code == 302
    assert figures(dbs, date(2026, 1, 10))[("ANGEL", changed["lp"].name)] == held(33000, 6000)


def test_the_receiving_commitment_of_zero_stays_editable(app, dbs, changed):
    """Its amount comes from the transfer it received: 0 is its amount at the start; any other
    commitment still needs more than zero."""
    response = _edit(app, changed["admin"], _opened(dbs, changed), committed_wan="0",
                     committed_on="2026-01-10", reinvest_ratio="")  # fmt: skip
    assert response.status_code == 302, shown(response)
    refused = _edit(app, changed["admin"], changed["district_angel"], committed_wan="0",
                    committed_on="2025-01-01")  # fmt: skip
    assert "The committed amount must be more than zero." in shown(refused)


# -- simultaneous changes ------------------------------------------------------------------------


def test_two_simultaneous_decreases_cannot_both_pass(app, dbs, fund):
    """Each 6,000 fits in the district LP's 10,000 alone; together they would leave −2,000."""
    url = f"/funds/commitments/{fund['district_angel'].id}"
    form = {"changed_on": "2025-06-01", "kind": "decrease", "amount": "6000"}
    responses = all_at_once(app, fund["admin"].id, [posting(f"{url}/changes", form, url)] * 2)
    assert sorted(r.status_code for r in responses) == [200, 302]
    assert figures(dbs, date(2025, 6, 1))[("ANGEL", fund["district"].name)] == held(4000)


def test_opposite_transfers_at_once_both_pass(app, dbs, fund):
    """The city LP to the district LP and back, at once: each locks both commitments in the
    same order, so neither waits for the other for ever."""
    city, district = fund["city_angel"], fund["district_angel"]
    sends = [
        posting(f"/funds/commitments/{giver.id}/changes", {"changed_on": "2025-06-01",
                "kind": "transfer", "amount": "1000", "to_lp_id": str(to.id)},
                f"/funds/commitments/{giver.id}")
        for giver, to in ((city, fund["district"]), (district, fund["lp"]))
    ]  # fmt: skip
    assert [r.status_code for r in all_at_once(app, fund["admin"].id, sends)] == [302, 302]
    after = figures(dbs, date(2025, 6, 1))
    assert after[("ANGEL", fund["lp"].name)] == held(30000, 6000)
    assert after[("ANGEL", fund["district"].name)] == held(10000)


def test_the_commitments_export_reimports_unchanged_with_a_transfer_opened_one(
    app, dbs, changed, tmp_path
):
    """The receiving LP's commitment opened by the transfer is 0 on its own: the export writes
    0, and the import accepts it again (as the form does) without changing anything."""
    from fundcrm.cli import main

    out = tmp_path / "commitments.csv"
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["export", "commitments", "--out", str(out)]).exit_code == 0
    assert ",0," in out.read_text("utf-8-sig")
    again = runner.invoke(main, ["import", "commitments", str(out)])
    assert again.exit_code == 0, again.output
    assert "created 0, updated 0" in again.output
