"""Moving deals: each named check and its message, the mandate messages, the move form's
choice, a reopened deal's pass reason, and who may move which deal."""

import html
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlmodel import select

from fundcrm import clock, db
from fundcrm.deals import move_routes, moves, services
from fundcrm.domain import stages
from fundcrm.errors import ServiceError
from fundcrm.models import Deal, StageMove, User, utcnow
from tests import factories
from tests.conftest import csrf_token, post_form, sign_in


@contextmanager
def request_session(app, language="en"):
    with app.test_request_context(headers={"Accept-Language": language}):
        yield db.session()


def refusal(app, deal_id, to_stage, user_id, language="en", **given) -> moves.MoveRefused:
    """What move_stage answers, in the language asked for; nothing is saved."""
    with request_session(app, language) as session:
        deal, user = session.get(Deal, deal_id), session.get(User, user_id)
        with pytest.raises(moves.MoveRefused) as refused:
            moves.move_stage(session, deal, to_stage, user, **given)
        session.rollback()
    return refused.value


def move(client, deal_id, to_stage, language="zh-CN", **extra):
    return client.post(
        f"/deals/{deal_id}/move",
        json={"to_stage": to_stage, **extra},
        headers={
            "X-CSRFToken": csrf_token(client, f"/deals/{deal_id}"),
            "Accept-Language": language,
        },
    )


def _gate(app, to_stage, fields=(), conditions=()):
    with request_session(app) as session:
        moves.save_gate(session, to_stage, list(fields), list(conditions))
        session.commit()


def _import_move(app, deal_id, to_stage):
    with request_session(app) as session:
        moves.record_import_move(session, session.get(Deal, deal_id), to_stage, utcnow())
        session.commit()


# -- each named check, through move_stage --------------------------------------------------


def _already_there(app, staff):
    return "sourcing", {}


def _reachable_from_here(app, staff):
    _import_move(app, staff["deal"].id, "closed")
    return "signing", {}


def _pass_reason_given(app, staff):
    return "passed", {"pass_reason": "  "}


def _required_fields(app, staff):
    _gate(app, "approved", ["pre_money_wan", "next_step"])
    return "approved", {}


def _memo_submitted(app, staff):
    _gate(app, "ic", conditions=["memo_submitted"])
    return "ic", {}


def _workstreams_closed(app, staff):
    _gate(app, "ic", conditions=["dd_closed"])
    return "ic", {}


def _ic_decision(app, staff):
    _gate(app, "ic")
    return "signing", {}


def _closing_form(app, staff):
    _gate(app, "ic")
    _gate(app, "signing")
    return "closed", {}


CHECK_CASES = {
    "already_there": (_already_there, "The deal is already in Sourcing."),
    "reachable_from_here": (
        _reachable_from_here,
        "A deal cannot move from Closed (invested) to Signing.",
    ),
    "pass_reason_given": (_pass_reason_given, "Give the reason for passing on this deal."),
    "required_fields": (
        _required_fields,
        "Moving to Approved needs: pre-money valuation; next step.",
    ),
    "memo_submitted": (
        _memo_submitted,
        "Moving to Investment committee needs: a submitted IC memo.",
    ),
    "workstreams_closed": (
        _workstreams_closed,
        "Moving to Investment committee needs: every due-diligence workstream closed or waived "
        "with a reason.",
    ),
    "ic_decision": (
        _ic_decision,
        "Moving to Signing needs: an IC decision to approve (with or without conditions).",
    ),
    "closing_form": (
        _closing_form,
        "Moving to Closed (invested) needs: the closing form, which records the investment.",
    ),
}


def test_every_named_check_is_tested():
    named = {check.__name__ for step in moves.CHECKS for check in step}
    assert named - {"within_mandates"} == set(CHECK_CASES)
    rules = {rule.__name__ for rule in stages.MANDATE_RULES}
    assert rules == {"outside_stages", "outside_focus", "after_investment_period", "over_cap"}


@pytest.mark.parametrize("name", sorted(CHECK_CASES))
def test_each_check_refuses_with_its_message(app, staff, dbs, name):
    arrange, expected = CHECK_CASES[name]
    to_stage, given = arrange(app, staff)
    before = dbs.exec(select(StageMove)).all()
    refused = refusal(app, staff["deal"].id, to_stage, staff["manager"].id, **given)
    assert refused.messages == [expected]
    assert isinstance(refused, ServiceError) and refused.field == "to_stage"
    assert not refused.overridable
    dbs.expire_all()
    assert len(dbs.exec(select(StageMove)).all()) == len(before)


def test_the_gates_shortfalls_are_named_in_one_sentence(app, staff):
    refused = refusal(app, staff["deal"].id, "ic", staff["manager"].id)
    assert refused.messages == [
        "Moving to Investment committee needs: a submitted IC memo; every due-diligence "
        "workstream closed or waived with a reason."
    ]


def test_a_move_from_a_stage_left_meanwhile_names_the_current_one(app, staff):
    _import_move(app, staff["deal"].id, "screening")
    refused = refusal(app, staff["deal"].id, "approved", staff["manager"].id, seen_stage="sourcing")
    assert refused.messages == [
        "This deal was moved to Screening meanwhile: look at it again before moving it."
    ]


# -- mandate refusals: what is allowed, what the deal has, who may override -------------------


@pytest.fixture
def focused(staff, dbs):
    """产业基金 (Industry Fund) invests in large models and embodied AI; a robot-body company's
    deal with it."""
    fund = factories.sub_fund(
        dbs,
        "FOCUS",
        name="产业基金",
        name_en="Industry Fund",
        focus_areas=["large_model", "embodied_ai"],
    )
    body = factories.company(
        dbs, "重庆机器人本体制造有限公司", factories.make_uscc(71), focus_area="robot_body"
    )
    deal = factories.deal(dbs, body, staff["manager"], [(fund, "5000000")])
    dbs.commit()
    return deal


def test_a_focus_refusal_names_the_allowed_areas_the_deals_and_who_may_override(
    client, staff, focused
):
    sign_in(client, staff["manager"].id)
    zh = move(client, focused.id, "approved").get_json()
    assert zh["errors"] == [
        "产业基金的投资方向为 大模型、具身智能；本项目为 机器人本体。",
        "风控合规或系统管理员可填写理由特批。",
    ]
    en = move(client, focused.id, "approved", language="en").get_json()
    assert en["errors"] == [
        "Industry Fund invests in these focus areas: Large models, Embodied AI; "
        "this company's is Robot body.",
        "Risk or an administrator may override this with a reason.",
    ]
    assert not en["overridable"]  # a manager may not: risk or an administrator may


def test_a_stage_refusal_in_both_languages(client, staff, dbs):
    mature = factories.company(
        dbs, "重庆成熟装备有限公司", factories.make_uscc(72), enterprise_stage="mature"
    )
    deal = factories.deal(dbs, mature, staff["manager"], [(staff["angel"], "1000000")])
    dbs.commit()
    sign_in(client, staff["risk"].id)
    zh = move(client, deal.id, "approved").get_json()
    assert zh["errors"][0] == "ANGEL 子基金的可投企业阶段为 初创期、成长期；本项目为 成熟期。"
    assert zh["overridable"]
    en = move(client, deal.id, "approved", language="en").get_json()
    assert en["errors"][0] == (
        "ANGEL 子基金 invests in companies at these enterprise stages: Start-up, Growth; "
        "this company is Mature."
    )


def test_a_cap_refusal_gives_the_amounts_in_wan_and_the_cap(app, client, staff, dbs):
    # ANGEL has 30,000万 committed; its cap is 20%: 6,000万.
    big = factories.deal(dbs, staff["company"], staff["manager"], [(staff["angel"], "70000000")])
    dbs.commit()
    _gate(app, "ic")
    sign_in(client, staff["manager"].id)
    zh = move(client, big.id, "ic").get_json()["errors"]
    assert zh[0] == (
        "ANGEL 子基金在本企业的累计投资将达 7,000.00 万元（已投 0.00 万元 + 拟投 7,000.00 万元），"
        "超过单项目上限 6,000.00 万元（认缴规模 30,000.00 万元的 20%）。"
    )
    en = move(client, big.id, "ic", language="en").get_json()["errors"]
    assert en[0] == (
        "ANGEL 子基金 would hold 7,000.00 万元 in this company (0.00 万元 invested + 7,000.00 万元 "
        "proposed), over its single-project cap of 6,000.00 万元 (20% of 30,000.00 万元)."
    )


def test_an_investment_period_refusal_names_its_end(app, staff, dbs):
    staff["industry"].investment_end = clock.today() - timedelta(days=1)
    dbs.commit()
    deal = factories.deal(dbs, staff["company"], staff["manager"], [(staff["industry"], "1")])
    dbs.commit()
    refused = refusal(app, deal.id, "approved", staff["risk"].id)
    assert refused.messages[0].startswith("INDUSTRY 子基金's investment period ended on ")
    assert refused.messages[0].endswith(": no new companies.") and refused.overridable


def test_an_override_keeps_the_breaches_on_the_move(client, staff, focused, dbs):
    sign_in(client, staff["risk"].id)
    assert move(client, focused.id, "approved", override_reason="链主企业配套").get_json()["ok"]
    last = dbs.exec(select(StageMove).where(StageMove.deal_id == focused.id)).all()[-1]
    assert last.override_reason == "链主企业配套"
    assert last.breaches == ["产业基金的投资方向为 大模型、具身智能；本项目为 机器人本体。"]


# -- the move form: the next forward stage, never a backward one ------------------------------


@pytest.mark.parametrize(
    "path,chosen",
    [
        ([], "screening"),
        (["screening", "approved"], "due_diligence"),
        (["screening", "approved", "due_diligence", "ic"], "signing"),
        (["approved", "on_hold"], "approved"),
        (["screening", "passed"], "screening"),
    ],
)
def test_the_move_form_chooses_the_next_forward_stage(app, staff, path, chosen):
    for stage in path:
        _import_move(app, staff["deal"].id, stage)
    with request_session(app) as session:
        form = move_routes.move_form_for(session.get(Deal, staff["deal"].id))
    assert form.to_stage.data == chosen
    offered = [code for code, _label in form.to_stage.choices]
    assert chosen in offered and "closed" not in offered


def test_at_signing_nothing_backward_is_chosen(app, staff, client):
    for stage in ("screening", "approved", "due_diligence", "ic", "signing"):
        _import_move(app, staff["deal"].id, stage)
    with request_session(app) as session:
        form = move_routes.move_form_for(session.get(Deal, staff["deal"].id))
    assert form.to_stage.data == "" and form.to_stage.choices[0][0] == ""
    sign_in(client, staff["manager"].id)
    page = client.get(f"/deals/{staff['deal'].id}").get_data(as_text=True)
    form_html = page.split('id="move-form"')[1].split("</form>")[0]
    assert '<option selected value="">' in form_html and 'selected value="ic"' not in form_html


def test_the_deal_page_preselects_the_next_stage(client, staff):
    sign_in(client, staff["manager"].id)
    page = client.get(f"/deals/{staff['deal'].id}").get_data(as_text=True)
    form_html = page.split('id="move-form"')[1].split("</form>")[0]
    assert '<option selected value="screening">初筛</option>' in form_html
    assert form_html.count("selected") == 1


# -- a reopened deal keeps its pass reason in history only -------------------------------------


def test_a_reopened_deal_keeps_its_pass_reason_in_the_timeline_only(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal_id = staff["deal"].id
    assert move(client, deal_id, "screening").get_json()["ok"]
    assert move(client, deal_id, "passed", pass_reason="估值过高").get_json()["ok"]
    page = client.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert "估值过高" in page.split('id="off-path"')[1].split("</div>")[0]

    assert move(client, deal_id, "screening").get_json()["ok"]
    dbs.expire_all()
    deal = dbs.get(Deal, deal_id)
    assert (deal.stage, deal.pass_reason, deal.return_stage) == ("screening", None, None)
    passed = [m for m in deal.moves if m.to_stage == "passed"]
    assert [m.reason for m in passed] == ["估值过高"]
    page = client.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert 'id="off-path"' not in page
    timeline = page.split('id="timeline"')[1]
    assert "初筛 → <strong>放弃</strong>" in timeline and "估值过高" in timeline


def test_passing_again_records_the_new_reason(client, staff, dbs):
    sign_in(client, staff["manager"].id)
    deal_id = staff["deal"].id
    move(client, deal_id, "passed", pass_reason="估值过高")
    move(client, deal_id, "sourcing")
    assert move(client, deal_id, "passed", pass_reason="创始人退出").get_json()["ok"]
    dbs.expire_all()
    assert dbs.get(Deal, deal_id).pass_reason == "创始人退出"


# -- who may move which deal ---------------------------------------------------------------------


@pytest.fixture
def other_manager(make_user, dbs):
    return dbs.get(User, make_user("manager")[0])


def test_a_manager_off_the_team_may_not_move_the_deal(client, staff, other_manager, dbs):
    deal_id = staff["deal"].id
    sign_in(client, other_manager.id)
    response = move(client, deal_id, "screening", language="en")
    assert response.status_code == 403
    assert response.get_json() == {
        "ok": False,
        "errors": ["Only the deal's owner and team, risk or an administrator may move this deal."],
    }
    form = post_form(
        client,
        f"/deals/{deal_id}/move",
        {"to_stage": "screening"},
        token_from=f"/deals/{deal_id}",
        headers={"Accept-Language": "en"},
    )
    assert form.status_code == 403
    assert "risk or an administrator may move this deal" in html.unescape(form.get_data(True))
    dbs.expire_all()
    assert dbs.get(Deal, deal_id).stage == "sourcing"
    page = client.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert 'id="move-form"' not in page
    board = client.get("/deals/board").get_data(as_text=True)
    card = board.split(f'id="card-{deal_id}"')[0].rsplit("<article", 1)[1]
    assert "movable" not in card and "draggable" not in board.split(f'id="card-{deal_id}"')[1][:300]


@pytest.mark.parametrize("who", ["owner", "team", "risk", "admin"])
def test_the_team_risk_and_admin_may_move_the_deal(client, staff, other_manager, dbs, who):
    deal = staff["deal"]
    if who == "team":
        services.update_deal(dbs, deal, {"team_ids": [other_manager.id]})
        dbs.commit()
    mover = {
        "owner": staff["manager"],
        "team": other_manager,
        "risk": staff["risk"],
        "admin": staff["admin"],
    }[who]
    sign_in(client, mover.id)
    assert move(client, deal.id, "screening").get_json()["ok"]
    board = client.get("/deals/board").get_data(as_text=True)
    assert f'<article class="board-card movable" id="card-{deal.id}"' in board


# -- the board's cards ---------------------------------------------------------------------------


def test_a_card_shows_days_in_stage_the_next_step_and_an_overdue_mark(client, staff, dbs):
    deal = staff["deal"]
    deal.next_step, deal.next_step_due = "补充财务数据", clock.today() - timedelta(days=1)
    dbs.commit()
    sign_in(client, staff["manager"].id)
    board = client.get("/deals/board", headers={"Accept-Language": "en"}).get_data(as_text=True)
    card = board.split(f'id="card-{deal.id}"')[1].split("</article>")[0]
    days = (clock.today() - clock.local_date(deal.stage_entered_at)).days
    assert f"{days} days in this stage" in card
    assert "→ 补充财务数据" in card and "overdue-mark" in card
    opening = board.split(f'id="card-{deal.id}"')[0].rsplit("<article", 1)[1]
    assert "overdue" in opening
    targets = board.split(f'id="card-{deal.id}"')[1].split('data-targets="')[1].split('"')[0]
    assert targets.split() == ["screening", "approved", "due_diligence", "ic", "signing"]


def _menu_of(client, deal_id) -> dict[str, list[str]]:
    """The groups of a card's ⋯ menu, as the board page offers them."""
    board = client.get("/deals/board").get_data(as_text=True)
    card = board.split(f'id="card-{deal_id}"')[1].split(">")[0]
    return {
        key: card.split(f'data-{key}="')[1].split('"')[0].split()
        for key in ("targets", "back", "aside", "suggested")
    }


@pytest.mark.parametrize(
    "path, ahead, back, aside",
    [
        (["screening"], ["approved", "due_diligence", "ic", "signing"], ["sourcing"], None),
        (["screening", "approved", "due_diligence", "ic", "signing"], [], None, None),
        (["screening", "approved", "on_hold"], ["approved"], [], ["passed"]),
        (["screening", "passed"], ["screening"], [], []),
    ],
)
def test_a_cards_menu_starts_with_the_next_stage_and_keeps_backward_moves_apart(
    client, staff, path, ahead, back, aside
):
    for stage in path:
        _import_move(client.application, staff["deal"].id, stage)
    sign_in(client, staff["manager"].id)
    menu = _menu_of(client, staff["deal"].id)
    assert menu["targets"] == ahead and menu["suggested"] == ahead[:1]
    before = stages.PATH[: stages.PATH.index(path[-1])] if path[-1] in stages.PATH else []
    assert menu["back"] == (back if back is not None else before)
    assert menu["aside"] == (aside if aside is not None else ["on_hold", "passed"])
    offered = [*menu["targets"], *menu["back"], *menu["aside"]]
    assert "closed" not in offered and path[-1] not in offered
    with request_session(client.application) as session:
        form = move_routes.move_form_for(session.get(Deal, staff["deal"].id))
    codes = [code for code, _label in form.to_stage.choices if code]
    assert codes == offered  # the deal page's list in the same order


# -- passing a deal ends its next step -----------------------------------------------------------


def test_a_passed_deal_loses_its_next_step_and_its_open_task(client, staff, dbs):
    from fundcrm import audit
    from fundcrm.models import Task

    deal, owner = staff["deal"], staff["manager"]
    sign_in(client, owner.id)
    due = clock.today() + timedelta(days=3)
    services.update_deal(dbs, deal, {"next_step": "约创始人二次访谈", "next_step_due": due})
    dbs.commit()
    assert "约创始人二次访谈" in client.get("/tasks").get_data(as_text=True)

    assert move(client, deal.id, "on_hold").get_json()["ok"]  # on hold keeps it
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).next_step == "约创始人二次访谈"
    assert "约创始人二次访谈" in client.get("/tasks").get_data(as_text=True)

    assert move(client, deal.id, "passed", pass_reason="估值过高").get_json()["ok"]
    dbs.expire_all()
    passed = dbs.get(Deal, deal.id)
    assert (passed.next_step, passed.next_step_due) == (None, None)
    task = dbs.exec(select(Task).where(Task.deal_id == deal.id, Task.is_next_step)).one()
    assert task.status == "done"
    for page in ("/tasks", "/deals?stage=passed", "/deals/board"):
        assert "约创始人二次访谈" not in client.get(page).get_data(as_text=True), page
    changes = [e.changes for e in audit.history(dbs, "deals", deal.id)]
    assert any("约创始人二次访谈" in c and due.isoformat() in c for c in changes)

    assert move(client, deal.id, "sourcing").get_json()["ok"]  # reopening does not bring it back
    dbs.expire_all()
    assert dbs.get(Deal, deal.id).next_step is None
    assert "约创始人二次访谈" not in client.get("/tasks").get_data(as_text=True)
