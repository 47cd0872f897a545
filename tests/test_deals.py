import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from fundcrm import clock
from fundcrm.models import Company, Deal, StageMove
from tests import factories
from tests.conftest import page_text, post_form, sign_in


def deal_form(staff, **fields):
    return {
        "company_uscc": staff["company"].uscc,
        "round": "b",
        "source": "government",
        "owner_email": staff["manager"].email,
        "sub_fund": ["ANGEL"],
        "proposed_wan_ANGEL": "1500.5",
        "ask_wan": "8000",
        "next_step": "约创始人二次访谈",
        "next_step_due": "2026-12-15",
        **fields,
    }


def deals(dbs):
    dbs.expire_all()
    return list(dbs.exec(select(Deal).order_by(Deal.id)).all())


def move(client, deal_id, to_stage, **extra):
    return client.post(
        f"/deals/{deal_id}/move",
        json={"to_stage": to_stage, **extra},
        headers={"X-CSRFToken": _token(client, deal_id)},
    )


def _token(client, deal_id):
    from tests.conftest import csrf_token

    return csrf_token(client, f"/deals/{deal_id}")


def test_manager_opens_a_deal_for_an_existing_company(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    response = post_form(client, "/deals/new", deal_form(staff), token_from="/deals/new")
    assert response.status_code == 302
    deal = deals(dbs)[-1]
    assert deal.company_id == staff["company"].id and deal.stage == "sourcing"
    assert deal.deal_ref.startswith("XM") and deal.proposed_total_yuan == Decimal("15005000.00")
    assert [m.to_stage for m in deal.moves] == ["sourcing"]
    assert staff["manager"].id in {m.user_id for m in deal.team}


def test_a_new_deal_creates_its_company_in_the_same_step(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    code = factories.make_uscc(55)
    response = post_form(
        client,
        "/deals/new",
        deal_form(
            staff,
            company_uscc=code,
            company_name="重庆启明大模型科技有限公司",
            focus_area="large_model",
            enterprise_stage="startup",
            zone="liangjiang",
        ),
    )
    assert response.status_code == 302
    company = dbs.exec(select(Company).where(Company.uscc == code)).one()
    assert company.name == "重庆启明大模型科技有限公司" and deals(dbs)[-1].company_id == company.id


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"proposed_wan_ANGEL": "-5"}, "金额须为正数"),
        ({"ask_wan": "12.1234567"}, "最多 6 位小数"),
        ({"ask_wan": "一千万"}, "请输入以万元计的金额"),
        ({"round": "series_z"}, "无效的代码：series_z"),
        ({"next_step_due": "2026-13-01"}, "日期"),
        ({"sub_fund": []}, "请至少选择一个参与的子基金"),
        ({"company_uscc": "91500112MA5U0000X9"}, "请填写新企业的名称"),
    ],
)
def test_bad_deal_input_is_refused_and_nothing_written(client, staff, dbs, fields, message):
    sign_in(client, staff["manager"].id)
    before = len(deals(dbs))
    response = post_form(client, "/deals/new", deal_form(staff, **fields), token_from="/deals/new")
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert len(deals(dbs)) == before


def test_move_to_approved_then_ic_is_refused_without_a_memo(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    assert move(client, deal.id, "approved").get_json()["ok"]
    refused = move(client, deal.id, "ic")
    assert refused.status_code == 422
    message = refused.get_json()["errors"][0]
    assert message.startswith("进入投决需要：") and "已提交的投资建议书" in message
    assert "各尽调模块均已完成" in message
    assert deals(dbs)[0].stage == "approved"


def test_every_move_keeps_who_when_and_time_in_stage(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    move(client, deal.id, "screening")
    moves = dbs.exec(
        select(StageMove).where(StageMove.deal_id == deal.id).order_by(StageMove.id)
    ).all()
    last = moves[-1]
    assert (last.from_stage, last.to_stage, last.by_label) == (
        "sourcing",
        "screening",
        staff["manager"].email,
    )
    assert last.seconds_in_stage > 0  # created on 2026-01-05 in the factory
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "项目储备 → <strong>初筛</strong>" in page and staff["manager"].email in page


def test_an_admin_changes_a_gate_and_the_next_move_obeys(client, staff, dbs):
    sign_in(client, staff["admin"].id)
    response = post_form(
        client,
        "/deals/gates",
        {
            "to_stage": "approved",
            "required_fields": ["focus_area", "pre_money_wan"],
            "conditions": [],
        },
    )
    assert response.status_code == 302
    deal = staff["deal"]
    refused = move(client, deal.id, "approved")
    assert "进入立项需要：投前估值" in refused.get_json()["errors"][0]
    deal.pre_money_yuan = Decimal("200000000")
    dbs.commit()
    assert move(client, deal.id, "approved").get_json()["ok"]


def test_passing_needs_a_reason_and_reopens_to_the_stage_left(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    move(client, deal.id, "screening")
    assert "请填写放弃该项目的原因" in move(client, deal.id, "passed").get_json()["errors"][0]
    assert move(client, deal.id, "passed", pass_reason="估值过高").get_json()["ok"]
    current = deals(dbs)[0]
    assert (current.stage, current.return_stage, current.pass_reason) == (
        "passed",
        "screening",
        "估值过高",
    )
    assert "项目不能从放弃移至立项" in move(client, deal.id, "approved").get_json()["errors"][0]
    assert move(client, deal.id, "screening").get_json()["ok"]
    assert deals(dbs)[0].stage == "screening" and deals(dbs)[0].return_stage is None


def test_on_hold_returns_to_the_stage_it_left(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    move(client, deal.id, "approved")
    move(client, deal.id, "on_hold")
    assert move(client, deal.id, "sourcing").status_code == 422
    assert move(client, deal.id, "approved").get_json()["ok"]


def test_mandate_breach_needs_an_override_by_risk_or_admin(client, staff, dbs):
    mature = factories.company(
        dbs, "重庆成熟装备有限公司", factories.make_uscc(9), enterprise_stage="mature"
    )
    deal = factories.deal(dbs, mature, staff["manager"], [(staff["angel"], "1000000")])
    dbs.commit()
    sign_in(client, staff["manager"].id)
    refused = move(client, deal.id, "approved", override_reason="我想投")
    body = refused.get_json()
    breach = "ANGEL 子基金的可投企业阶段为 初创期、成长期；本项目为 成熟期。"
    assert body["errors"] == [breach, "风控合规或系统管理员可填写理由特批。"]
    assert not body["overridable"]
    sign_in(client, staff["risk"].id)
    assert move(client, deal.id, "approved").get_json()["overridable"]
    assert move(client, deal.id, "approved", override_reason="投委会特批：链主企业").get_json()[
        "ok"
    ]
    last = dbs.exec(
        select(StageMove).where(StageMove.deal_id == deal.id).order_by(StageMove.id.desc())
    ).first()
    assert last.override_reason == "投委会特批：链主企业"
    assert last.breaches == [breach]


def test_no_new_companies_after_the_investment_period(client, staff, dbs):
    staff["industry"].investment_end = clock.today() - timedelta(days=1)
    dbs.commit()
    late = factories.deal(dbs, staff["company"], staff["manager"], [(staff["industry"], "1")])
    dbs.commit()
    sign_in(client, staff["manager"].id)
    error = move(client, late.id, "approved").get_json()["errors"][0]
    assert error.startswith("INDUSTRY 子基金的投资期已于") and "不得投资新企业" in error


def test_single_project_cap_is_checked_at_ic(client, staff, dbs):
    # The ANGEL sub-fund has 30,000万 committed: 20% is 6,000万.
    big = factories.deal(dbs, staff["company"], staff["manager"], [(staff["angel"], "60000000.01")])
    dbs.commit()
    sign_in(client, staff["admin"].id)
    post_form(client, "/deals/gates", {"to_stage": "ic", "required_fields": [], "conditions": []})
    errors = move(client, big.id, "ic").get_json()["errors"]
    assert errors[0] == (
        "ANGEL 子基金在本企业的累计投资将达 6,000.000001 万元（已投 0.00 万元 + 拟投 6,000.000001 "
        "万元），超过单项目上限 6,000.00 万元（认缴规模 30,000.00 万元的 20%）。"
    )


def test_closed_only_through_the_closing_form(client, staff, dbs):
    sign_in(client, staff["admin"].id)
    errors = move(client, staff["deal"].id, "closed").get_json()["errors"]
    assert "通过交割表单登记投资" in errors[0]


def test_move_form_without_javascript(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    response = post_form(
        client, f"/deals/{deal.id}/move", {"to_stage": "screening"}, token_from=f"/deals/{deal.id}"
    )
    assert response.status_code == 302 and deals(dbs)[0].stage == "screening"
    response = post_form(
        client,
        f"/deals/{deal.id}/move",
        {"to_stage": "ic"},
        token_from=f"/deals/{deal.id}",
        follow_redirects=True,
    )
    assert "进入投决需要" in response.get_data(as_text=True)


def test_moves_are_refused_for_unknown_stages_and_without_a_token(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    assert move(client, deal.id, "heaven").status_code == 422
    assert client.post(f"/deals/{deal.id}/move", json={"to_stage": "screening"}).status_code == 400
    assert deals(dbs)[0].stage == "sourcing"


def test_stale_deal_edit_is_refused_showing_the_other_change(app, staff, dbs):
    deal = staff["deal"]
    first, second = app.test_client(), app.test_client()
    sign_in(first, staff["manager"].id)
    sign_in(second, staff["admin"].id)
    form = deal_form(staff, sub_fund=["ANGEL"], version=str(deal.version))
    assert (
        post_form(
            second,
            f"/deals/{deal.id}/edit",
            {**form, "next_step": "管理员：约见领投方"},
        ).status_code
        == 302
    )
    page = post_form(
        first, f"/deals/{deal.id}/edit", {**form, "next_step": "经理：实地考察"}
    ).get_data(as_text=True)
    assert "其他人已保存了该记录" in page and "管理员：约见领投方" in page
    assert deals(dbs)[0].next_step == "管理员：约见领投方"


def test_edit_changes_sub_funds_and_the_timeline_shows_it(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    post_form(
        client,
        f"/deals/{deal.id}/edit",
        deal_form(
            staff, sub_fund=["INDUSTRY"], proposed_wan_INDUSTRY="3000", version=str(deal.version)
        ),
    )
    current = deals(dbs)[0]
    assert [(p.sub_fund_id, p.proposed_yuan) for p in current.participations] == [
        (staff["industry"].id, Decimal("30000000.00"))
    ]
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    timeline = page_text(page, 'id="timeline"')
    assert "轮次 : A轮 → B轮" in timeline


def test_my_deals_lists_the_signed_in_managers_deals(client, staff, dbs):
    other = factories.deal(dbs, staff["company"], staff["admin"], [(staff["angel"], "1")])
    dbs.commit()
    sign_in(client, staff["manager"].id)
    response = client.get("/deals/mine", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert staff["deal"].deal_ref in page and other.deal_ref not in page


def _many(dbs, staff, n):
    for i in range(n):
        company = factories.company(
            dbs,
            f"批量企业{i}号",
            factories.make_uscc(1000 + i),
            focus_area=["large_model", "robot_body"][i % 2],
        )
        factories.deal(
            dbs, company, staff["manager"], [(staff["angel"], "100"), (staff["industry"], "200")]
        )
    dbs.commit()


def test_list_filters_named_as_domain_codes(client, staff, dbs):
    _many(dbs, staff, 4)
    sign_in(client, staff["ic_member"].id)

    def refs(url):
        page = client.get(url).get_data(as_text=True)
        return sorted(set(d.deal_ref for d in deals(dbs) if f">{d.deal_ref}<" in page))

    everything = refs("/deals")
    assert len(everything) == 5
    robots = refs("/deals?focus_area=robot_body")
    assert len(robots) == 2
    assert refs("/deals?focus_area=robot_body&focus_area=embodied_ai") == sorted(
        robots + [staff["deal"].deal_ref]
    )
    assert refs("/deals?q=擎天") == [staff["deal"].deal_ref]
    assert refs(f"/deals?q={staff['company'].uscc}") == [staff["deal"].deal_ref]
    assert refs("/deals?sub_fund=angel&round=a&source=own&stage=sourcing") == everything
    assert refs(f"/deals?owner_email={staff['admin'].email}") == []
    assert refs("/deals?created_from=2026-01-05&created_to=2026-01-05") == everything
    assert refs("/deals?created_from=2026-01-06") == []


@pytest.mark.parametrize(
    "query,message",
    [
        ("stage=heaven", "项目阶段 的代码无效：heaven"),
        ("sub_fund=NOPE", "无效的子基金：NOPE"),
        ("created_from=2026-02-30", "创建日期起 必须是 YYYY-MM-DD 格式的日期"),
        ("owner_email=ghost@example.com", "没有邮箱为 ghost@example.com 的用户"),
        ("sort=price", "无效的排序方式：price"),
    ],
)
def test_bad_filters_get_a_message_not_a_500(client, staff, query, message):
    sign_in(client, staff["manager"].id)
    for url in ("/deals", "/deals/board"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_board_counts_and_sums_per_stage(client, staff, dbs):
    _many(dbs, staff, 3)
    sign_in(client, staff["manager"].id)
    move(client, staff["deal"].id, "approved")
    page = client.get("/deals/board").get_data(as_text=True)
    sourcing = page.split('data-stage="sourcing"')[1].split("</header>")[0]
    approved = page.split('data-stage="approved"')[1].split("</header>")[0]
    assert '<span class="count">3</span> · 0.09 万元' in sourcing  # 3 × (100 + 200) yuan
    assert '<span class="count">1</span> · 3,000.00 万元' in approved
    filtered = client.get("/deals/board?focus_area=robot_body").get_data(as_text=True)
    column = filtered.split('data-stage="sourcing"')[1].split('data-stage="screening"')[0]
    assert column.count('<article class="board-card') == 1


@pytest.mark.parametrize(
    "url",
    [
        "/deals",
        "/deals?q=企业&sort=company",
        "/deals/board",
        "/deals?sub_fund=ANGEL&focus_area=robot_body",
        "/companies?q=企业",
    ],
)
def test_lists_run_a_fixed_number_of_statements(client, staff, dbs, count_queries, url):
    sign_in(client, staff["manager"].id)
    _many(dbs, staff, 10)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _many_more = 190
    for i in range(_many_more):
        company = factories.company(
            dbs, f"更多企业{i}", factories.make_uscc(5000 + i), focus_area="robot_body"
        )
        factories.deal(dbs, company, staff["manager"], [(staff["angel"], "1")])
    dbs.commit()
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert small.n == large.n


def test_deal_json_refusal_is_json(client, staff):
    sign_in(client, staff["manager"].id)
    body = move(client, staff["deal"].id, "closed").get_json()
    assert body["ok"] is False and isinstance(body["errors"], list)
    assert json.dumps(body)


def test_an_lp_representative_cannot_own_or_join_a_deal(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    page = client.get("/deals/new").get_data(as_text=True)
    assert staff["viewer"].email not in page
    before = len(deals(dbs))
    response = post_form(client, "/deals/new", deal_form(staff, owner_email=staff["viewer"].email))
    assert response.status_code == 200 and len(deals(dbs)) == before


def test_closed_is_refused_even_when_an_admin_clears_every_gate(client, staff, dbs):
    sign_in(client, staff["admin"].id)
    for stage in ("ic", "signing"):
        post_form(
            client, "/deals/gates", {"to_stage": stage, "required_fields": [], "conditions": []}
        )
    deal = staff["deal"]
    assert move(client, deal.id, "signing").get_json()["ok"]
    assert "通过交割表单登记投资" in move(client, deal.id, "closed").get_json()["errors"][0]


@pytest.mark.parametrize("body", [[1, 2], {"to_stage": 5}, {"to_stage": ["passed"]}])
def test_malformed_json_moves_get_a_400(client, staff, body):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    response = client.post(
        f"/deals/{deal.id}/move", json=body, headers={"X-CSRFToken": _token(client, deal.id)}
    )
    assert response.status_code == 400 and response.get_json()["ok"] is False


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"pre_money_wan": "1111111111111111111"}, "金额过大"),
        ({"ask_wan": "1e3"}, "请输入以万元计的金额"),
        ({"next_step": "", "next_step_due": "2026-12-01"}, "填写截止日期时须同时填写下一步"),
    ],
)
def test_more_bad_amounts_and_next_steps(client, staff, dbs, fields, message):
    sign_in(client, staff["manager"].id)
    response = post_form(client, "/deals/new", deal_form(staff, **fields))
    assert message in response.get_data(as_text=True)


def test_huge_page_numbers_are_harmless(client, staff):
    sign_in(client, staff["manager"].id)
    for url in ("/deals", "/companies", "/admin/audit"):
        assert client.get(f"{url}?page=99999999999999999999999").status_code in (200, 403)


def test_a_deal_creating_a_similar_company_shows_candidates_first(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    form = deal_form(
        staff,
        company_uscc=factories.make_uscc(56),
        company_name="擎天机器人科技（重庆）股份有限公司",
        focus_area="robot_body",
        enterprise_stage="growth",
    )
    page = post_form(client, "/deals/new", form).get_data(as_text=True)
    assert "已存在名称相近的企业" in page and staff["company"].name in page
    assert post_form(client, "/deals/new", {**form, "confirm_similar": "1"}).status_code == 302


def test_a_deal_on_hold_can_be_passed_and_reopens_where_it_was(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    move(client, deal.id, "approved")
    move(client, deal.id, "on_hold")
    assert move(client, deal.id, "passed", pass_reason="创始人退出").get_json()["ok"]
    assert deals(dbs)[0].return_stage == "approved"
    assert move(client, deal.id, "approved").get_json()["ok"]


def test_a_move_to_the_stage_the_deal_is_in_is_refused(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    response = client.post(
        f"/deals/{deal.id}/move",
        json={"to_stage": "sourcing"},
        headers={"X-CSRFToken": _token(client, deal.id), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == ["The deal is already in Sourcing."]
    assert len(deals(dbs)[0].moves) == 1


def test_a_move_from_a_stage_the_deal_has_left_is_refused(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal = staff["deal"]
    page = f"/deals/{deal.id}"
    form = client.get(page).get_data(as_text=True)
    assert 'id="from_stage" name="from_stage" type="hidden" value="sourcing"' in form
    assert move(client, deal.id, "screening", from_stage="sourcing").status_code == 200
    # a second tab still showing 项目储备 sends the stage it saw
    response = post_form(
        client,
        f"/deals/{deal.id}/move",
        {"to_stage": "on_hold", "from_stage": "sourcing"},
        token_from=page,
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "This deal was moved to Screening meanwhile" in response.get_data(as_text=True)
    assert deals(dbs)[0].stage == "screening" and len(deals(dbs)[0].moves) == 2


def test_references_continue_after_existing_and_explicit_ones(app, staff, dbs):
    from fundcrm.deals import services

    factories.deal(
        dbs, staff["company"], staff["manager"], [(staff["angel"], None)], deal_ref="XM2026-0041"
    )
    dbs.commit()
    with app.test_request_context(method="POST"):
        from fundcrm import db

        session = db.session()
        assert services.next_deal_ref(session, "XM", 2026) == "XM2026-0042"
        assert services.next_deal_ref(session, "XM", 2027) == "XM2027-0001"
        services.note_used_ref(session, "XM2027-0009")
        assert services.next_deal_ref(session, "XM", 2027) == "XM2027-0010"
        session.rollback()
