"""`/api/v1/deals`: the list is /deals's (filters, search, sorts, pages), one deal, create and
update through the deal rules (409 when stale), moves through the gates (their reasons in the
request's language), and who may do what."""

import re
from datetime import UTC, date, datetime

import pytest
from sqlmodel import func, select

from fundcrm.models import Deal, StageMove, User
from tests import factories
from tests.api_fixtures import ApiClient, token_for
from tests.conftest import sign_in
from tests.test_moves import _gate

ROW_RE = re.compile(r'<td class="text-nowrap"><a href="/deals/\d+">([^<]+)</a>')


@pytest.fixture
def deals(staff, dbs, make_user):
    """Seven deals besides the pipeline's, differing in stage, round, owner, amounts, dates."""
    second = dbs.get(User, make_user("manager")[0])
    rows = [
        ("丁企业", "ic", "b", "500", second, 9, "ANGEL", "渝北区"),
        ("甲企业", "sourcing", "angel", "20", staff["manager"], 5, "INDUSTRY", "江北区"),
        ("丙企业", "passed", "pre_a", "3000", second, 7, "ANGEL", "渝北区"),
        ("乙企业", "approved", "a", "1", staff["manager"], 8, "INDUSTRY", "渝中区"),
        ("戊企业", "screening", "angel", "20", staff["manager"], 6, "ANGEL", "渝北区"),
        ("己机器人", "screening", "b", "75", second, 3, "INDUSTRY", "江北区"),
        ("庚机器人", "ic", "a", "75", staff["manager"], 4, "ANGEL", "渝北区"),
    ]
    made = []
    for n, (name, stage, round_, wan, owner, day, code, district) in enumerate(rows):
        company = factories.company(dbs, name, factories.make_uscc(800 + n), district=district)
        fund = staff["angel"] if code == "ANGEL" else staff["industry"]
        deal = factories.deal(
            dbs,
            company,
            owner,
            [(fund, str(int(wan) * 10000))],
            round=round_,
            at=datetime(2026, 1, day, 2, 0, tzinfo=UTC),
        )
        deal.stage = stage
        made.append(deal)
    dbs.commit()
    return {**staff, "second": second, "deals": made}


def web_refs(client, query: str) -> list[str]:
    response = client.get(f"/deals?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return ROW_RE.findall(response.get_data(as_text=True))


def manager_api(app, user_id, language="en") -> ApiClient:
    return ApiClient(app.test_client(), token_for(app, user_id), language)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "sort=stage",
        "sort=-proposed",
        "sort=company",
        "sort=owner&stage=ic&stage=screening",
        "sub_fund=ANGEL&sort=ref",
        "round=angel&round=b&sort=-created",
        "district=渝北区&focus_area=embodied_ai&sort=due",
        "created_from=2026-01-05&created_to=2026-01-08&sort=created",
        "q=机器人",
        "q=企业&sort=-round",
    ],
)
def test_the_list_is_the_web_lists_rows_in_its_order(app, client, deals, query):
    manager = deals["manager"]
    sign_in(client, manager.id)
    api = manager_api(app, manager.id)
    listed = api.get(f"/deals?per_page=20&{query}")
    assert listed.status_code == 200, listed.json
    refs = [d["deal_ref"] for d in listed.json["items"]]
    assert refs == web_refs(client, query)
    assert listed.json["page"]["total"] == len(refs)
    assert refs, query


def test_the_owner_filter_and_search_find_the_right_deals(app, deals):
    api = manager_api(app, deals["manager"].id)
    second = deals["second"]
    mine = api.get("/deals", query_string={"owner_email": second.email, "sort": "ref"}).json
    expected = sorted(d.deal_ref for d in deals["deals"] if d.owner_id == second.id)
    assert [d["deal_ref"] for d in mine["items"]] == expected
    robots = api.get("/deals", query_string={"q": "机器人", "sort": "ref"}).json["items"]
    assert [d["company_name"] for d in robots] == [
        "重庆擎天机器人科技有限公司",
        "己机器人",
        "庚机器人",
    ]
    by_uscc = api.get("/deals", query_string={"q": deals["company"].uscc[-6:]}).json["items"]
    assert [d["deal_ref"] for d in by_uscc] == [deals["deal"].deal_ref]


def test_a_deal_reads_as_domain_fields(app, deals):
    api = manager_api(app, deals["manager"].id)
    first = deals["deal"]
    body = api.get(f"/deals/{first.id}").json
    assert body == {
        "id": first.id,
        "version": first.version,
        "deal_ref": first.deal_ref,
        "company_id": deals["company"].id,
        "company_uscc": deals["company"].uscc,
        "company_name": "重庆擎天机器人科技有限公司",
        "round": "a",
        "stage": "sourcing",
        "source": "own",
        "owner_email": deals["manager"].email,
        "team_emails": [deals["manager"].email],
        "sub_funds": [
            {"code": "ANGEL", "proposed_wan": "1000"},
            {"code": "INDUSTRY", "proposed_wan": "2000"},
        ],
        "ask_wan": "3000",
        "pre_money_wan": None,
        "proposed_wan": "3000",
        "next_step": None,
        "next_step_due": None,
        "pass_reason": None,
        "notes": None,
        "created_on": "2026-01-05",
        "updated_at": body["updated_at"],
    }
    assert api.get("/deals/999999").status_code == 404


def test_pages_are_stable_and_at_most_200_long(app, deals):
    api = manager_api(app, deals["manager"].id)
    every = [d["id"] for d in api.get("/deals?per_page=200&sort=round").json["items"]]
    assert len(every) == 8
    paged = []
    for number in (1, 2, 3):
        page = api.get(f"/deals?per_page=3&page={number}&sort=round").json
        paged += [d["id"] for d in page["items"]]
        assert page["page"]["has_next"] == (number < 3) and page["page"]["total"] == 8
    assert paged == every
    refused = api.get("/deals?per_page=201")
    assert refused.status_code == 400 and "per_page" in refused.json["error"]["fields"]


def test_a_filter_naming_nothing_known_is_422_and_a_bad_code_400(app, deals):
    api = manager_api(app, deals["manager"].id)
    for query, words in [
        ("sub_fund=NOPE", "Unknown sub-fund: NOPE"),
        ("owner_email=nobody@example.com", "No user has the email nobody@example.com."),
    ]:
        refused = api.get(f"/deals?{query}")
        assert refused.status_code == 422, query
        assert refused.json["error"]["code"] == "bad_filter"
        assert words in refused.json["error"]["message"], query
    # the codes and sorts are the description's enums: another one is a malformed request
    for query, field in [
        ("stage=nope", "stage.0"),
        ("stage=ic&stage=nope", "stage.1"),
        ("sort=bogus", "sort"),
        ("created_from=2026-13-45", "created_from"),
        ("colour=red", "colour"),
    ]:
        refused = api.get(f"/deals?{query}")
        assert refused.status_code == 400, query
        assert refused.json["error"]["code"] == "validation_failed"
        assert field in refused.json["error"]["fields"], (query, refused.json)
    wanted = api.get("/deals?stage=ic&sort=-ref").json["items"]
    assert sorted((d["deal_ref"] for d in wanted), reverse=True) == [d["deal_ref"] for d in wanted]
    assert {d["stage"] for d in wanted} == {"ic"} and len(wanted) == 2


def test_the_lists_statements_do_not_depend_on_the_number_of_deals(app, deals, dbs, count_queries):
    api = manager_api(app, deals["manager"].id)

    statements = {}

    def counted(query):
        with count_queries() as counter:
            assert api.get(f"/deals?{query}").status_code == 200
        statements[query] = counter.statements
        return counter.n

    queries = ["", "sort=company", "stage=ic&sub_fund=ANGEL", "q=机器人"]
    counted("")  # the token's first use notes when it was used
    before = [counted(q) for q in queries]
    for n in range(20):
        company = factories.company(dbs, f"辛{n}机器人", factories.make_uscc(900 + n))
        deal = factories.deal(dbs, company, deals["second"], [(deals["angel"], "1000")])
        deal.stage = "ic"
        dbs.add(factories.deal(dbs, company, deals["manager"], [(deals["industry"], None)]))
    dbs.commit()
    assert [counted(q) for q in queries] == before
    assert len(api.get("/deals?per_page=200").json["items"]) == 48
    assert max(before) <= 14, statements  # PostgreSQL: a broad search sets and resets a flag


NEW = {"round": "pre_a", "source": "referral", "ask_wan": "1500.5", "next_step": "尽调"}


def test_create_reads_the_company_sub_funds_and_owner(app, deals, dbs):
    api = manager_api(app, deals["manager"].id)
    created = api.post(
        "/deals",
        json={
            **NEW,
            "company_uscc": deals["company"].uscc.lower(),
            "sub_funds": [{"code": "INDUSTRY", "proposed_wan": "800.25"}],
            "owner_email": deals["second"].email,
            "team_emails": [deals["manager"].email],
            "next_step_due": "2026-12-20",
        },
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["company_id"] == deals["company"].id and body["stage"] == "sourcing"
    assert body["sub_funds"] == [{"code": "INDUSTRY", "proposed_wan": "800.25"}]
    assert body["proposed_wan"] == "800.25" and body["ask_wan"] == "1500.5"
    assert body["owner_email"] == deals["second"].email
    assert body["team_emails"] == sorted([deals["manager"].email, deals["second"].email])
    assert body["deal_ref"].startswith("XM") and body["version"] == 1
    deal = dbs.get(Deal, body["id"])
    assert deal.proposed_total_yuan == 8002500 and deal.ask_yuan == 15005000
    by_id = api.post(
        "/deals",
        json={
            "company_id": deals["company"].id,
            "sub_funds": [{"code": "ANGEL"}],
            "owner_email": None,
        },
    )
    assert by_id.status_code == 201 and by_id.json["owner_email"] == deals["manager"].email


@pytest.mark.parametrize(
    "change, status, field",
    [
        ({"company_uscc": "91500000MA5U000000"}, 422, "company_uscc"),
        ({"company_id": 999999}, 422, "company_id"),
        ({"sub_funds": [{"code": "NOPE"}]}, 422, "sub_funds"),
        ({"owner_email": "nobody@example.com"}, 422, "owner_email"),
        ({"team_emails": ["nobody@example.com"]}, 422, "team_emails"),
        ({"sub_funds": [{"code": "ANGEL", "proposed_wan": 800}]}, 400, "sub_funds.0.proposed_wan"),
        ({"round": "series_z"}, 400, "round"),
        ({"next_step": None, "next_step_due": "2026-12-01"}, 422, "next_step"),
        ({"sub_funds": []}, 400, "sub_funds"),
        ({"company_id": "5"}, 400, "company_id"),  # a string, not an id
        ({"next_step_due": 0}, 400, "next_step_due"),
        ({"next_step_due": "2026-13-45"}, 400, "next_step_due"),
        ({"next_step_due": "2026-12-01T00:00:00"}, 400, "next_step_due"),
        ({"sub_funds": [{"code": 5}]}, 400, "sub_funds.0.code"),
    ],
)
def test_create_refusals_name_the_field_and_write_nothing(app, deals, dbs, change, status, field):
    api = manager_api(app, deals["manager"].id)
    body = {"company_id": deals["company"].id, "sub_funds": [{"code": "ANGEL"}], **change}
    if "company_uscc" in change:
        del body["company_id"]
    refused = api.post("/deals", json=body)
    assert refused.status_code == status, refused.json
    assert field in refused.json["error"]["fields"], refused.json
    assert dbs.exec(select(func.count()).select_from(Deal)).one() == 8


def test_an_unviewable_owner_is_refused(app, deals, make_user, dbs):
    api = manager_api(app, deals["manager"].id)
    _id, viewer_email = make_user("viewer")
    refused = api.post(
        "/deals",
        json={"company_id": deals["company"].id, "sub_funds": [{"code": "ANGEL"}],
              "owner_email": viewer_email},
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json["error"]["fields"] == {"owner_email": "Choose an active user as owner."}


def test_update_changes_what_is_sent_and_a_stale_version_gets_409(app, deals, dbs):
    api = manager_api(app, deals["manager"].id)
    deal = deals["deal"]
    changed = api.patch(
        f"/deals/{deal.id}",
        json={
            "version": deal.version,
            "pre_money_wan": "20000",
            "sub_funds": [{"code": "ANGEL", "proposed_wan": "1200"}],
            "owner_email": deals["second"].email,
        },
    )
    assert changed.status_code == 200, changed.json
    body = changed.json
    assert body["version"] == deal.version + 1 and body["pre_money_wan"] == "20000"
    assert body["sub_funds"] == [{"code": "ANGEL", "proposed_wan": "1200"}]
    assert body["proposed_wan"] == "1200" and body["ask_wan"] == "3000"  # kept
    assert body["owner_email"] == deals["second"].email
    assert deals["manager"].email in body["team_emails"]  # the team as it was, and the owner
    assert deals["second"].email in body["team_emails"]
    stale = api.patch(f"/deals/{deal.id}", json={"version": deal.version, "notes": "旧版本"})
    assert stale.status_code == 409
    error = stale.json["error"]
    assert error["code"] == "stale_version"
    assert error["current"]["version"] == body["version"]
    assert error["current"]["pre_money_wan"] == "20000" and error["current"]["notes"] is None
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).notes is None


@pytest.mark.parametrize(
    "change, field",
    [
        ({"owner_email": None}, "owner_email"),
        ({"sub_funds": None}, "sub_funds"),
        ({"company_id": None}, "company_id"),
        ({"company_uscc": None}, "company_uscc"),
        ({"version": "1"}, "version"),
        ({"version": None}, "version"),
        ({"next_step_due": 0}, "next_step_due"),
    ],
)
def test_an_update_may_not_empty_what_a_deal_requires(app, deals, dbs, change, field):
    api = manager_api(app, deals["manager"].id)
    deal = deals["deal"]
    refused = api.patch(f"/deals/{deal.id}", json={"version": deal.version, **change})
    assert refused.status_code == 400, refused.json
    assert field in refused.json["error"]["fields"], refused.json
    assert (
        api.patch(f"/deals/{deal.id}", data="", content_type="application/json").json["error"][
            "code"
        ]
        == "no_body"
    )
    dbs.expire_all()
    kept = dbs.get(Deal, deal.id)
    assert (kept.version, kept.owner_id) == (deal.version, deals["manager"].id)
    # a whole number written 1.0 is JSON's integer 1
    written = api.patch(f"/deals/{deal.id}", json={"version": float(deal.version), "notes": "ok"})
    assert written.status_code == 200 and written.json["notes"] == "ok"


def test_a_move_returns_the_deal_and_a_pass_keeps_its_reason(app, deals, dbs):
    api = manager_api(app, deals["manager"].id)
    deal = deals["deal"]
    moved = api.post(
        f"/deals/{deal.id}/stage", json={"stage": "screening", "seen_stage": "sourcing"}
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["stage"] == "screening"
    passed = api.post(f"/deals/{deal.id}/stage", json={"stage": "passed", "reason": "估值过高"})
    assert passed.status_code == 200
    assert passed.json["stage"] == "passed" and passed.json["pass_reason"] == "估值过高"
    dbs.expire_all()
    assert [m.to_stage for m in dbs.get(Deal, deal.id).moves] == ["sourcing", "screening", "passed"]


def test_an_unknown_stage_code_is_400(app, deals):
    api = manager_api(app, deals["manager"].id)
    refused = api.post(f"/deals/{deals['deal'].id}/stage", json={"stage": "won"})
    assert refused.status_code == 400
    assert refused.json["error"]["fields"]["stage"].startswith("Unknown code “won”")


@pytest.mark.parametrize(
    "language, reasons",
    [
        ("en", ["Moving to Approved needs: pre-money valuation; next step."]),
        ("zh-CN", ["进入立项需要：投前估值；下一步。"]),
    ],
)
def test_a_refused_move_gives_the_gates_reasons_in_the_language(app, deals, dbs, language, reasons):
    _gate(app, "approved", ["pre_money_wan", "next_step"])
    api = manager_api(app, deals["manager"].id, language)
    deal = deals["deal"]
    refused = api.post(f"/deals/{deal.id}/stage", json={"stage": "approved"})
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "gate_refused"
    assert refused.json["error"]["reasons"] == reasons
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).stage == "sourcing"


def test_closing_is_the_closing_forms(app, deals, dbs):
    _gate(app, "ic")
    _gate(app, "signing")
    api = manager_api(app, deals["manager"].id)
    refused = api.post(f"/deals/{deals['deal'].id}/stage", json={"stage": "closed"})
    assert refused.status_code == 422
    assert refused.json["error"]["reasons"] == [
        "Moving to Closed (invested) needs: the closing form, which records the investment."
    ]


def test_a_viewer_may_do_nothing_with_deals(app, deals, make_user, dbs):
    viewer = manager_api(app, make_user("viewer")[0])
    deal = deals["deal"]
    calls = [
        viewer.get("/deals"),
        viewer.get(f"/deals/{deal.id}"),
        viewer.post("/deals", json={"company_id": deals["company"].id,
                                    "sub_funds": [{"code": "ANGEL"}]}),
        viewer.patch(f"/deals/{deal.id}", json={"version": deal.version, "notes": "x"}),
        viewer.post(f"/deals/{deal.id}/stage", json={"stage": "screening"}),
    ]  # fmt: skip
    assert [c.status_code for c in calls] == [403] * 5
    assert all(c.json["error"]["code"] == "forbidden" for c in calls)
    dbs.expire_all()
    assert dbs.exec(select(func.count()).select_from(Deal)).one() == 8
    assert dbs.get(Deal, deal.id).notes is None and dbs.get(Deal, deal.id).stage == "sourcing"


def test_a_manager_off_the_team_may_not_change_or_move_the_deal(app, deals, make_user, dbs):
    outsider = manager_api(app, make_user("manager")[0])
    deal = deals["deal"]
    changed = outsider.patch(f"/deals/{deal.id}", json={"version": deal.version, "notes": "x"})
    moved = outsider.post(f"/deals/{deal.id}/stage", json={"stage": "screening"})
    assert changed.status_code == moved.status_code == 403
    assert "owner and team" in changed.json["error"]["message"]
    assert "owner and team" in moved.json["error"]["message"]
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).notes is None and dbs.get(Deal, deal.id).stage == "sourcing"
    assert dbs.exec(select(func.count()).select_from(StageMove)).one() == 8
    assert outsider.get(f"/deals/{deal.id}").status_code == 200  # reading is every manager's
    assert date.fromisoformat(outsider.get(f"/deals/{deal.id}").json["created_on"])
