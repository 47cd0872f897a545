"""Random input to every create and edit form, as each role that may use it: never a 5xx, and
a refused form changes nothing.

Each form gets a bounded number of examples (FUNDCRM_FUZZ_EXAMPLES, default 20), drawn the
same way on every run so a failure is reproducible; FUNDCRM_FUZZ_RANDOM=1 explores anew.
Values mix what a browser would send (vocabulary codes, real ids, dates, amounts) with what
a hostile or broken client would: any Unicode, CJK, control characters and NUL, very long
strings, numbers as text, blanks, missing fields, unknown codes and ids.
"""

import csv
import io
import os
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from fundcrm.demo import demo_pdf
from fundcrm.domain import stages
from fundcrm.domain.vocab import (
    ACTIVITY_KINDS,
    APPLICATION_FIELDS,
    COMMITMENT_CHANGE_KINDS,
    CONDITION_KINDS,
    DD_STATUSES,
    DD_WORKSTREAMS,
    DISTRICTS,
    ENTERPRISE_STAGES,
    FOCUS_AREAS,
    LP_TYPES,
    MEMO_SECTIONS,
    REINVEST_AREAS,
    REINVEST_BASES,
    ROLES,
    ROUNDS,
    SEVERITIES,
    SOURCES,
    SPECIALIZED_LEVELS,
    VOTE_CHOICES,
    ZONES,
)
from fundcrm.imports.formats import KINDS
from fundcrm.models import Company, CompanyKpi, Deal
from tests.conftest import PASSWORD, csrf_token
from tests.factories import make_uscc
from tests.test_permissions import DD_WORKSTREAM, POSTS
from tests.world import build, client_as, snapshot, without_refusals

EXAMPLES = int(os.environ.get("FUNDCRM_FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FUNDCRM_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TOKEN_PAGE = "/account/password"
EVERYONE = set(ROLES.codes)
EDITORS = {"admin", "manager"}
COMPANY_EDITORS = {"admin", "manager", "risk"}
MOVERS = {"admin", "manager", "risk"}
ADMIN = {"admin"}
REFUSED_FLASHES = {"danger", "warning"}

# -- values ----------------------------------------------------------------------------------

CONTROL = st.characters(min_codepoint=0, max_codepoint=31) | st.just("\x7f")
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
TEXT = st.one_of(
    st.text(max_size=40),  # any code point but surrogates: controls and NUL included
    st.text(CJK, min_size=1, max_size=30),
    st.text(CONTROL, min_size=1, max_size=4),
    st.builds(
        lambda unit, n: unit * n,
        st.sampled_from(["长", "x", "a\x00", "\r\n", "🤖"]),
        st.integers(100, 25_000),
    ),
    st.integers(-(10**30), 10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.sampled_from(
        ["", " ", "0", "-1", "1e9999", "NaN", "null", "<script>x</script>", "%00", "'; --"]
    ),
)
DATES = st.dates().map(lambda d: d.isoformat())
AMOUNTS = st.one_of(
    st.decimals(min_value=0, max_value=10**9, places=2).map(str),
    st.integers(0, 10**7).map(str),
)


def value(*good) -> st.SearchStrategy:
    """A field's value, or None for a field left out of the post."""
    choices = [st.none(), TEXT]
    if good:
        choices.append(st.sampled_from([str(g) for g in good]))
    return st.one_of(*choices)


def values(*good) -> st.SearchStrategy:
    """A multi-valued field (check boxes): a list of offered and random values, or none."""
    item = st.one_of(TEXT, st.sampled_from([str(g) for g in good])) if good else TEXT
    return st.none() | st.lists(item, max_size=4)


def codes(vocabulary) -> list[str]:
    return list(vocabulary.codes)


def ids(world, *names) -> list[int]:
    """Real ids of the world's records, and some that match none."""
    return [world[n] for n in names] + [0, -1, 987654, 2**63]


def uscc_values(world):
    return value(world["company_uscc"], world["other_uscc"]) | st.integers(3, 10**6).map(make_uscc)


# -- the forms -------------------------------------------------------------------------------


@dataclass
class Form:
    name: str
    url: str  # formatted with the world's ids
    roles: set[str]
    fields: object  # world → {field name: strategy}
    multipart: bool = False
    json: bool = False


def company_fields(w):
    return {
        "name": value("重庆灵犀医疗机器人有限公司", "重庆擎天机器人科技有限公司"),
        "uscc": uscc_values(w),
        "name_en": value("Lingxi Robotics"),
        "focus_area": value(*codes(FOCUS_AREAS)),
        "enterprise_stage": value(*codes(ENTERPRISE_STAGES)),
        "application_fields": values(*codes(APPLICATION_FIELDS)),
        "zone": value(*codes(ZONES)),
        "district": value(*codes(DISTRICTS)),
        "city": value("成都"),
        "founded_on": value() | DATES,
        "headcount": value("120", "0", "10000001"),
        "website": value("https://example.com"),
        "specialized_level": value(*codes(SPECIALIZED_LEVELS)),
        "description": value("专注灵巧手"),
        "uscc_override_reason": value("试点期代码"),
        "confirm_similar": value("1"),
        "version": value(w["company_version"]),
    }


def contact_fields(_w):
    return {
        "name": value("李总"),
        "title": value("CTO"),
        "phone": value("13800000000"),
        "email": value("li@example.com"),
        "wechat": value("li_wx"),
    }


def deal_fields(w):
    return {
        "company_uscc": uscc_values(w),
        "company_name": value("重庆新创机器人有限公司"),
        "focus_area": value(*codes(FOCUS_AREAS)),
        "enterprise_stage": value(*codes(ENTERPRISE_STAGES)),
        "zone": value(*codes(ZONES)),
        "round": value(*codes(ROUNDS)),
        "source": value(*codes(SOURCES)),
        "owner_email": value(w["owner_email"]),
        "team": values(*ids(w, "user_id")),
        "sub_fund": values("ANGEL", "INDUSTRY"),
        "proposed_wan_ANGEL": value() | AMOUNTS,
        "proposed_wan_INDUSTRY": value() | AMOUNTS,
        "ask_wan": value() | AMOUNTS,
        "pre_money_wan": value() | AMOUNTS,
        "next_step": value("约访CTO"),
        "next_step_due": value() | DATES,
        "notes": value("备注"),
        "version": value(w["deal_version"]),
        "confirm_similar": value("1"),
    }


def move_fields(_w):
    return {
        "to_stage": value(*stages.ALL_STAGES),
        "pass_reason": value("估值过高"),
        "override_reason": value("投委会特批"),
    }


JSON_VALUES = st.one_of(
    TEXT, st.integers(), st.booleans(), st.none(), st.lists(TEXT, max_size=3), st.just({})
)


def json_move_fields(_w):
    return {
        "to_stage": st.one_of(st.sampled_from(stages.ALL_STAGES), JSON_VALUES),
        "pass_reason": JSON_VALUES,
        "override_reason": JSON_VALUES,
    }


def gate_fields(_w):
    return {
        "to_stage": value(*stages.ALL_STAGES),
        "required_fields": values(*stages.GATE_FIELDS),
        "conditions": values(*stages.GATE_CONDITIONS),
    }


def activity_fields(w):
    return {
        "kind": value(*codes(ACTIVITY_KINDS)),
        "occurred_on": value() | DATES,
        "deal_id": value("", *ids(w, "deal_id")),
        "user_ids": values(*ids(w, "user_id")),
        "contact_ids": values(*ids(w, "contact_id", "spare_contact_id")),
        "summary": value("首次会谈"),
    }


def task_fields(w):
    return {
        "title": value("补充财务数据"),
        "due_on": value() | DATES,
        "assignee_id": value(*ids(w, "user_id")),
        "deal_id": value("", *ids(w, "deal_id")),
    }


def dd_item_fields(w):
    prefix = f"item{w['dd_item_id']}-"
    return {
        f"{prefix}seen": value("0" * 16),
        f"{prefix}status": value(*codes(DD_STATUSES)),
        f"{prefix}owner_id": value("", *ids(w, "user_id")),
        f"{prefix}severity": value(*codes(SEVERITIES)),
        f"{prefix}finding": value("发现问题"),
        f"{prefix}waive_reason": value("不适用"),
    }


def dd_new_item_fields(_w):
    return {"workstream": value(*codes(DD_WORKSTREAMS)), "title": value("核查专利权属")}


def dd_template_fields(_w):
    return {**dd_new_item_fields(_w), "active": value("y")}


FILE_CONTENT = st.one_of(
    st.just(demo_pdf("fuzz")),
    st.just(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
    st.binary(max_size=300),
    TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
)
FILE_NAMES = st.one_of(
    st.sampled_from(["bp.pdf", "photo.png", "memo.txt", "data.csv", "x.exe", "", ".pdf"]),
    TEXT,
    st.builds(lambda t, ext: f"{t}.{ext}", TEXT, st.sampled_from(["pdf", "png", "csv", "txt"])),
)


def upload_fields(w):
    owners = [
        f"deal:{w['deal_id']}",
        f"company:{w['company_id']}",
        f"dd_item:{w['dd_item_id']}",
        "deal:987654",
        "meeting:1",
        "deal:-1",
        "deal:１",
    ]
    return {
        "owner": st.sampled_from(owners) | TEXT,
        "title": value("商业计划书"),
        "file": st.none() | st.tuples(FILE_CONTENT, FILE_NAMES),
    }


def settings_fields(_w):
    return {
        "name": value("重庆人工智能与服务机器人基金"),
        "name_en": value("Chongqing AI Fund"),
        "target_wan": value() | AMOUNTS,
        "phases": value("一期\n二期"),
    }


def sub_fund_fields(w):
    return {
        "code": value("ANGEL", "INDUSTRY", "SEED"),
        "name": value("天使子基金"),
        "name_en": value("Angel"),
        "target_wan": value() | AMOUNTS,
        "first_close": value() | DATES,
        "investment_end": value() | DATES,
        "term_end": value() | DATES,
        "allowed_stages": values(*codes(ENTERPRISE_STAGES)),
        "focus_areas": values(*codes(FOCUS_AREAS)),
        "project_cap_pct": value("20", "100", "101", "-5", "20%"),
        "ic_quorum": value("2/3", "1/2", "3/2", "0/0"),
        "ic_threshold": value("2/3", "1/1"),
        "ic_min_eligible": value("2", "3", "0", "x"),
        "veto_holder_ids": values(*ids(w, "user_id")),
    }


def lp_fields(_w):
    return {
        "name": value("渝北区产业引导基金"),
        "lp_type": value(*codes(LP_TYPES)),
        "is_government": value("y"),
        "bears_fees": value("", "yes", "no"),
    }


def commitment_fields(w):
    return {
        "lp_id": value(*ids(w, "lp_id")),
        "sub_fund_id": value(*ids(w, "sub_fund_id", "industry_id")),
        "committed_wan": value() | AMOUNTS,
        "reinvest_ratio": value("1.2", "0", "10", "11", "-1"),
        "reinvest_area": values(*codes(REINVEST_AREAS)),
        "reinvest_base": value(*codes(REINVEST_BASES)),
    }


def commitment_change_fields(w):
    return {
        "changed_on": value() | DATES,
        "kind": value(*codes(COMMITMENT_CHANGE_KINDS)),
        "amount": value() | AMOUNTS,
        "to_lp_id": value("", *ids(w, "lp_id")),
        "note": value("出资人内部调整"),
    }


def user_fields(_w, new: bool):
    fields = {
        "name": value("新同事"),
        "roles": values(*codes(ROLES)),
        "password": value("a-long-password-1", "short"),
        "lp_id": value("", *ids(_w, "lp_id")),
    }
    if new:
        fields["email"] = value("new.user@example.com") | st.emails().map(str)
    else:
        fields["active"] = value("y")
    return fields


def password_fields(_w):
    return {
        "current_password": value(PASSWORD),
        "password": value("a-new-password-2026", "short"),
        "confirm": value("a-new-password-2026", "short"),
    }


COLUMNS = sorted({c.code for kind in KINDS.values() for c in kind.columns})


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:  # a spreadsheet cannot hold control characters at all
        book.active.append([re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ROWS = st.builds(
    lambda header, body: [header, *body],
    st.lists(st.sampled_from(COLUMNS) | TEXT, min_size=1, max_size=6),
    st.lists(st.lists(TEXT, max_size=6), max_size=4),
)
SPREADSHEETS = st.one_of(
    ROWS.map(lambda rows: (_csv(rows), "data.csv")),
    ROWS.map(lambda rows: (_xlsx(rows), "data.xlsx")),
    st.tuples(FILE_CONTENT, FILE_NAMES),
)


def memo_fields(w):
    sections = {
        code: value("## 标题\n\n- 要点", "<script>x</script>") for code in MEMO_SECTIONS.codes
    }
    amounts = {f"proposed_{w[k]}": value("1000", "0", "-5") for k in ("sub_fund_id", "industry_id")}
    return {**sections, **amounts, "seen": value("1", "2", "0")}


def conflict_fields(w):
    return {
        "member_id": value(w["users"]["ic_member"], w["users"]["manager"]),
        "company_uscc": value(w["company_uscc"], "91500000000000000X"),
        "reason": value("持股"),
        "declared_on": value() | DATES,
    }


def meeting_fields(w):
    members = (w["users"]["ic_member"], w["second_member_id"], w["users"]["manager"])
    return {
        "held_on": value() | DATES,
        "starts_at": value("14:30", "25:99"),
        "place": value("两江新区 会议室"),
        "member_ids": values(*members),
        "chair_id": value(*members),
        "note": value(),
        "seen": value(w["meeting_version"], 0),
    }


def vote_fields(_w):
    return {"choice": value(*codes(VOTE_CHOICES)), "condition": value("交割前完成工商变更")}


def close_fields(w):
    return {"seen": value(""), f"amount_{w['sub_fund_id']}": value("300") | AMOUNTS}


def historical_decision_fields(w):
    return {
        "decided_on": value() | DATES,
        "outcome": value("approve", "approve_conditions", "reject"),
        f"amount_{w['sub_fund_id']}": value("600") | AMOUNTS,
        "note": value("2025 年第 3 次投决会"),
        "cond_0_text": value("迁入两江新区"),
        "cond_0_kind": value(*codes(CONDITION_KINDS)),
        "cond_0_due_on": value() | DATES,
    }


def condition_fields(_w):
    return {"action": value("met", "waived"), "text": value("工商变更已完成"), "seen": value(1, 0)}


def kpi_fields(w):
    return {
        "period": value("2025", "2025Q3", "2026q1", "2027", "2025Q5", "1800"),
        "revenue": value("800", "-5", "1.1234567") | AMOUNTS,
        "cq_revenue": value("500", "900") | AMOUNTS,
        "net_profit": value("-120.5", "--1", "300") | AMOUNTS,
        "headcount": value("60", "-1", "10000001"),
        "rd": value("80") | AMOUNTS,
        "patents": value("12", "1.5"),
        "version": value(w["kpi_version"], 0, "x"),
    }


def milestone_fields(w):
    return {
        "kind": value("technology", "product", "scenario", "introduced", "recognised"),
        "title": value("巡检机器人样机发布"),
        "achieved_on": value("2099-01-01") | DATES,
        "evidence": value("检测报告"),
        "document_id": value(*ids(w, "document_id")),
    }


def import_fields(_w):
    return {"kind": value(*KINDS), "file": st.none() | SPREADSHEETS}


FORMS = [
    Form("new company", "/companies/new", COMPANY_EDITORS, company_fields),
    Form("edit company", "/companies/{company_id}/edit", COMPANY_EDITORS, company_fields),
    Form("add contact", "/companies/{company_id}/contacts", COMPANY_EDITORS, contact_fields),
    Form(
        "edit contact",
        "/companies/{company_id}/contacts/{contact_id}",
        COMPANY_EDITORS,
        contact_fields,
    ),
    Form("new deal", "/deals/new", EDITORS, deal_fields),
    Form("edit deal", "/deals/{deal_id}/edit", EDITORS, deal_fields),
    Form("move form", "/deals/{deal_id}/move", MOVERS, move_fields),
    Form("board move", "/deals/{deal_id}/move", MOVERS, json_move_fields, json=True),
    Form("gates", "/deals/gates", ADMIN, gate_fields),
    Form("new activity", "/companies/{company_id}/activities/new", EDITORS, activity_fields),
    Form("edit activity", "/activities/{activity_id}", EDITORS, activity_fields),
    Form("new task", "/tasks/new", EDITORS, task_fields),
    Form("edit task", "/tasks/{task_id}", EDITORS, task_fields),
    Form("DD workstream", "/deals/{deal_id}/dd/" + DD_WORKSTREAM, EDITORS, dd_item_fields),
    Form("new DD item", "/deals/{deal_id}/dd/items", EDITORS, dd_new_item_fields),
    Form("new DD template item", "/admin/dd-templates", ADMIN, dd_new_item_fields),
    Form("DD template item", "/admin/dd-templates/{template_id}", ADMIN, dd_template_fields),
    Form("document", "/documents", EDITORS, upload_fields, multipart=True),
    Form("fund settings", "/funds/settings", ADMIN, settings_fields),
    Form("new sub-fund", "/funds/sub-funds/new", ADMIN, sub_fund_fields),
    Form("edit sub-fund", "/funds/sub-funds/{sub_fund_id}", ADMIN, sub_fund_fields),
    Form("new LP", "/funds/lps/new", ADMIN, lp_fields),
    Form("edit LP", "/funds/lps/{lp_id}/edit", ADMIN, lp_fields),
    Form("new commitment", "/funds/commitments/new", ADMIN, commitment_fields),
    Form("edit commitment", "/funds/commitments/{commitment_id}", ADMIN, commitment_fields),
    Form(
        "commitment change",
        "/funds/commitments/{commitment_id}/changes",
        ADMIN,
        commitment_change_fields,
    ),  # fmt: skip
    Form("new user", "/admin/users/new", ADMIN, lambda w: user_fields(w, new=True)),
    Form("edit user", "/admin/users/{user_id}", ADMIN, lambda w: user_fields(w, new=False)),
    Form("import upload", "/imports", EDITORS, import_fields, multipart=True),
    Form("edit IC memo", "/ic/memos/{memo_id}/edit", EDITORS, memo_fields),
    Form("IC conflict", "/ic/conflicts/new", {"admin", "risk", "ic_member"}, conflict_fields),
    Form("IC meeting", "/ic/meetings/new", ADMIN, meeting_fields),
    Form("edit IC meeting", "/ic/meetings/{meeting_id}/edit", ADMIN, meeting_fields),
    Form("IC vote", "/ic/items/{item_id}/vote", {"ic_member"}, vote_fields),
    Form("close an IC vote", "/ic/items/{item_id}/close", {"admin", "ic_member"}, close_fields),
    Form(
        "IC condition",
        "/ic/conditions/{condition_id}",
        {"admin", "ic_member", "risk"},
        condition_fields,
    ),  # fmt: skip
    Form(
        "historical IC decision",
        "/deals/{signing_deal_id}/decision",
        {"admin", "risk"},
        historical_decision_fields,
    ),  # fmt: skip
    Form("record KPIs", "/portfolio/{holding_id}/kpis", MOVERS, kpi_fields),
    Form("edit KPIs", "/portfolio/{holding_id}/kpis/{kpi_id}", MOVERS, kpi_fields),
    Form("add a milestone", "/portfolio/{holding_id}/milestones", MOVERS, milestone_fields),
    Form("change password", "/account/password", EVERYONE, password_fields),
]


# -- posting ---------------------------------------------------------------------------------


def _body(drawn: dict) -> dict:
    body = {name: v for name, v in drawn.items() if v is not None}
    if isinstance(body.get("file"), tuple) and isinstance(body["file"][0], bytes):
        body["file"] = (io.BytesIO(body["file"][0]), body["file"][1])
    return body


def _valid(form: Form, world, dbs) -> dict:
    """A form that passes (taken from the access tests), with the records' current versions."""
    dbs.expire_all()
    current = {
        "company_version": dbs.get(Company, world["company_id"]).version,
        "deal_version": dbs.get(Deal, world["deal_id"]).version,
        "kpi_version": dbs.get(CompanyKpi, world["kpi_id"]).version,
    }
    good = next(p.good for p in POSTS if p.url == form.url)
    return good({**world, **current})


def _draw(data, form: Form, fields: dict, world, dbs) -> dict:
    """Mostly a valid form with one to three fields spoiled, so the checks behind the first
    one are reached too; sometimes every field at random."""
    if data.draw(st.integers(0, 4), label="all random") == 0:
        return data.draw(st.fixed_dictionaries(fields), label="form")
    spoiled = data.draw(st.sets(st.sampled_from(sorted(fields)), min_size=1, max_size=3))
    return {
        **_valid(form, world, dbs),
        **{name: data.draw(fields[name], label=name) for name in sorted(spoiled)},
    }


def _post(client, form: Form, url: str, body: dict, token: str):
    if form.json:
        return client.post(url, json=body, headers={"X-CSRFToken": token})
    kwargs = {"content_type": "multipart/form-data"} if form.multipart else {}
    return client.post(url, data={**body, "csrf_token": token}, **kwargs)


def _refused(client, response) -> bool:
    """Whether the answer refuses the post: anything but a redirect, or a redirect that
    flashed a refusal."""
    with client.session_transaction() as session:
        flashed = {category for category, _message in session.pop("_flashes", [])}
    if response.is_json:
        return not response.json.get("ok")
    return response.status_code != 302 or bool(flashed & REFUSED_FLASHES)


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_random_input_never_breaks_a_form(app, make_user, dbs, form):
    world = build(app, make_user, dbs)
    url = form.url.format(**world)
    fields = form.fields(world)
    clients = {role: client_as(app, world["users"][role]) for role in sorted(form.roles)}
    tokens = {role: csrf_token(client, TOKEN_PAGE) for role, client in clients.items()}

    state = {"now": snapshot(app)}  # one example's state after is the next one's before

    @FUZZ
    @given(role=st.sampled_from(sorted(form.roles)), data=st.data())
    def post(role, data):
        body = _body(_draw(data, form, fields, world, dbs))
        try:
            response = _post(clients[role], form, url, body, tokens[role])
            assert response.status_code < 500, response.status_code
            refused = _refused(clients[role], response)
        finally:
            before, state["now"] = state["now"], snapshot(app)
        if refused:  # nothing changed but the audit trail's record of the refused attempt
            assert without_refusals(state["now"]) == without_refusals(before), (
                f"{response.status_code} {response.location}"
            )

    post()


# -- cases the fuzzer found, kept as plain tests -----------------------------------------------


@pytest.mark.parametrize(
    ("url", "field", "message"),
    [
        ("/funds/settings", "target_wan", "Enter an amount in 万元"),
        ("/funds/sub-funds/{sub_fund_id}", "target_wan", "Enter an amount in 万元"),
        ("/funds/sub-funds/{sub_fund_id}", "project_cap_pct", "Enter a percentage, e.g. 20."),
        ("/funds/commitments/{commitment_id}", "committed_wan", "Enter an amount in 万元"),
    ],
)
def test_blanks_in_a_required_number_are_a_form_error(app, make_user, dbs, url, field, message):
    """Blanks pass InputRequired but parse to no value: refused, not saved as NULL (a 500)."""
    world = build(app, make_user, dbs)
    client = client_as(app, world["users"]["admin"])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = csrf_token(client, TOKEN_PAGE)
    good = next(p for p in POSTS if p.url == url).good(world)
    assert client.post(url.format(**world), data={**good, "csrf_token": token}).status_code == 302
    before = snapshot(app)
    body = {**good, field: " \r\n ", "csrf_token": token}
    response = client.post(url.format(**world), data=body)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert snapshot(app) == before
