"""A company's relocation (DOMAIN.md section 1): recorded once on the company page (from, to,
effective date, evidence) by those who edit companies; it moves the company there, and a move
from a city outside Chongqing into one of its districts is also its `introduced` milestone.
Refusals say why, on their field, and write nothing. A held company's district or city changes
only so: the company form and the companies import refuse to change it directly."""

import html
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from sqlmodel import select

from fundcrm.cli import main
from fundcrm.domain.location import Move, Place, location_on
from fundcrm.models import AuditEntry, Company, Holding, Milestone, PortfolioTransaction, Relocation
from tests import factories
from tests.conftest import page_text, post_form
from tests.factories import make_uscc
from tests.ic_fixtures import ENGLISH, client_of
from tests.world import snapshot

TODAY = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # the fund's clock: 2026-06-15


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def shanghai(dbs, staff):
    """A company registered in 上海 (founded 2020-05-01), held by the angel fund since 2025."""
    founded = date(2020, 5, 1)
    company = factories.company(dbs, "上海灵巧机器人有限公司", make_uscc(61), district=None,
                                city="上海", zone="outside", founded_on=founded)  # fmt: skip
    holding = Holding(sub_fund_id=staff["angel"].id, company_id=company.id,
                      opened_on=date(2025, 3, 1))  # fmt: skip
    dbs.add(holding)
    dbs.flush()
    dbs.add(PortfolioTransaction(holding_id=holding.id, made_on=date(2025, 3, 1),
                                 kind="investment", amount_yuan=Decimal("10000000")))  # fmt: skip
    dbs.commit()
    return {**staff, "shanghai": company}


def relocate(app, user, company, headers=ENGLISH, **fields):
    form = {"to_district": "渝北区", "to_zone": "liangjiang", "effective_on": "2026-03-01",
            "evidence": "新营业执照（渝北区市场监管局 2026-03-01 核发）", **fields}  # fmt: skip
    url = f"/companies/{company.id}/relocations"
    return post_form(client_of(app, user), url, form, token_from=f"/companies/{company.id}",
                     headers=headers)  # fmt: skip


def test_a_move_into_chongqing_is_recorded_with_its_introduced_milestone(app, dbs, shanghai):
    company = shanghai["shanghai"]
    answer = relocate(app, shanghai["manager"], company)
    assert answer.status_code == 302 and answer.location.endswith("#relocations")
    dbs.expire_all()
    (moved,) = dbs.exec(select(Relocation)).all()
    assert (moved.from_district, moved.from_city) == (None, "上海")
    assert (moved.to_district, moved.to_city, moved.effective_on) == (
        "渝北区", None, date(2026, 3, 1)
    )  # fmt: skip
    assert moved.created_by_id == shanghai["manager"].id
    now = dbs.get(Company, company.id)
    assert (now.district, now.city, now.zone) == ("渝北区", None, "liangjiang")
    (milestone,) = dbs.exec(select(Milestone)).all()
    assert (milestone.kind, milestone.title, milestone.achieved_on) == (
        "introduced", "迁入渝北区", date(2026, 3, 1)
    )  # fmt: skip
    assert milestone.relocation_id == moved.id and milestone.evidence == moved.evidence
    audited = {e.table_name for e in dbs.exec(select(AuditEntry)).all() if e.action != "refused"}
    assert {"relocations", "milestones", "companies"} <= audited
    reader = client_of(app, shanghai["ic_member"])
    shown = reader.get(f"/companies/{company.id}", headers=ENGLISH).get_data(as_text=True)
    page = page_text(shown, 'id="relocations"')
    assert "Mar 1, 2026 上海 Yubei District 新营业执照" in page
    assert 'id="relocation-form"' not in page  # an IC member does not edit companies


def test_a_move_within_chongqing_makes_no_milestone(app, dbs, staff):
    company = staff["company"]  # 渝北区
    answer = relocate(app, staff["risk"], company, to_district="沙坪坝区", to_zone="science_city")
    assert answer.status_code == 302
    dbs.expire_all()
    assert dbs.get(Company, company.id).district == "沙坪坝区"
    assert dbs.exec(select(Relocation)).one().from_district == "渝北区"
    assert dbs.exec(select(Milestone)).all() == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"effective_on": "2020-04-30"}, "on or after the company's founding date"),
        ({"effective_on": "2026-06-16"}, "dated today or earlier"),
        ({"to_district": "", "to_city": "上海", "to_zone": "outside"}, "registered there already"),
        ({"to_district": ""}, "Give the district it moves to"),
        ({"to_city": "深圳"}, "a district or a city outside Chongqing, not both"),
        ({"to_district": "", "to_city": "重庆市", "to_zone": "other_cq"}, "names the district"),
        ({"to_zone": "outside"}, "exactly when the company moves to a city outside Chongqing"),
        ({"to_district": "", "to_city": "深圳", "to_zone": "central"}, "exactly when"),
        ({"evidence": "  "}, "This field is required"),
        ({"effective_on": "2026-02-30"}, "Not a valid date"),
        ({"to_district": "浦东新区"}, "Unknown code"),
    ],
)
def test_refusals_say_why_and_write_nothing(app, shanghai, fields, message):
    before = snapshot(app)
    answer = relocate(app, shanghai["manager"], shanghai["shanghai"], **fields)
    assert answer.status_code == 400
    assert message in html.unescape(answer.get_data(as_text=True))
    assert snapshot(app) == before


def test_a_relocation_is_never_dated_before_the_latest_one(app, dbs, shanghai):
    company = shanghai["shanghai"]
    assert relocate(app, shanghai["manager"], company).status_code == 302
    before = snapshot(app)
    answer = relocate(app, shanghai["manager"], company, to_district="江北区",
                      effective_on="2026-02-28")  # fmt: skip
    assert answer.status_code == 400
    assert "on or after the company's latest relocation (2026-03-01)" in html.unescape(
        answer.get_data(as_text=True)
    )
    assert snapshot(app) == before
    later = relocate(app, shanghai["manager"], company, to_district="江北区")  # the same day
    assert later.status_code == 302


def test_only_company_editors_relocate(app, dbs, shanghai):
    before = snapshot(app)
    for role in ("ic_member", "viewer"):
        assert relocate(app, shanghai[role], shanghai["shanghai"]).status_code == 403
    assert snapshot(app) == before


# -- the company form and the import leave a held company's location to relocations ---------


def edit_form(company, **fields) -> dict:
    return {"name": company.name, "uscc": company.uscc, "focus_area": company.focus_area,
            "enterprise_stage": company.enterprise_stage, "zone": company.zone or "",
            "district": company.district or "", "city": company.city or "",
            "application_fields": company.application_fields, "version": str(company.version),
            **fields}  # fmt: skip


def test_the_company_form_refuses_to_move_a_held_company(app, dbs, shanghai):
    company = shanghai["shanghai"]
    client = client_of(app, shanghai["manager"])
    url = f"/companies/{company.id}/edit"
    assert "record a move with “Record relocation”" in html.unescape(
        client.get(url, headers=ENGLISH).get_data(as_text=True)
    )
    before = snapshot(app)
    moved = edit_form(company, district="渝北区", city="", zone="liangjiang")
    answer = post_form(client, url, moved, headers=ENGLISH)
    assert answer.status_code == 200
    assert "changes only by a relocation" in html.unescape(answer.get_data(as_text=True))
    assert snapshot(app) == before
    kept = post_form(client, url, edit_form(company, description="上海研发中心"), headers=ENGLISH)
    assert kept.status_code == 302  # the rest of the company stays editable


def test_a_company_no_sub_fund_holds_is_corrected_on_the_form(app, dbs, staff):
    company = staff["company"]
    url = f"/companies/{company.id}/edit"
    answer = post_form(client_of(app, staff["manager"]), url,
                       edit_form(company, district="江北区"), headers=ENGLISH)  # fmt: skip
    assert answer.status_code == 302
    dbs.expire_all()
    assert dbs.get(Company, company.id).district == "江北区"
    assert dbs.exec(select(Relocation)).all() == []


def run(app, *args):
    return app.test_cli_runner().invoke(main, [str(a) for a in args])


def test_the_companies_import_refuses_to_move_a_held_company(app, dbs, shanghai, tmp_path):
    held, free = shanghai["shanghai"], shanghai["company"]
    path = tmp_path / "companies.csv"
    head = "name,uscc,focus_area,enterprise_stage,district,city,zone,description\n"
    path.write_text(
        head + f"{held.name},{held.uscc},embodied_ai,growth,渝北区,,liangjiang,\n"
        f"{free.name},{free.uscc},embodied_ai,growth,江北区,,,已更正\n",
        "utf-8",
    )
    result = run(app, "import", "companies", path)
    assert result.exit_code == 1
    assert "changes only by a relocation" in result.output
    dbs.expire_all()
    assert dbs.get(Company, free.id).district == "渝北区"  # all or nothing
    path.write_text(
        head + f"{held.name},{held.uscc},embodied_ai,growth,,,,研发中心\n"
        f"{free.name},{free.uscc},embodied_ai,growth,江北区,,,已更正\n",
        "utf-8",
    )
    result = run(app, "import", "companies", path)
    assert result.exit_code == 0, result.output
    dbs.expire_all()
    assert dbs.get(Company, free.id).district == "江北区"
    assert dbs.get(Company, held.id).city == "上海"


# -- the location on a date -------------------------------------------------------------------


def test_the_location_on_a_date_reads_the_relocations():
    shanghai, yubei, jiangbei = Place(city="上海"), Place("渝北区"), Place("江北区")
    moves = [Move(date(2025, 9, 1), shanghai, yubei), Move(date(2026, 1, 1), yubei, jiangbei)]
    assert location_on(jiangbei, moves, date(2025, 8, 31)) == shanghai  # before the first
    assert location_on(jiangbei, moves, date(2025, 9, 1)) == yubei  # from its date
    assert location_on(jiangbei, moves, date(2025, 12, 31)) == yubei
    assert location_on(jiangbei, moves, date(2026, 1, 1)) == jiangbei
    assert location_on(jiangbei, [], date(2020, 1, 1)) == jiangbei  # no relocation: as it is
