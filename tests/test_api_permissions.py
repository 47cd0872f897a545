"""The JSON API's permission matrix, by token: every operation × every role, the exact answer.

The web's matrix (tests/test_permissions.py) leaves every `api.*` endpoint to this file. The
table is written out by hand: a test fails when an operation's access or answer changes without
it. A refused role gets 403 in the API's error shape and nothing changes; a record's rule may
refuse a role that holds the ability (the viewer tied to an LP sees its LP's sub-funds and
holdings only, an IC member the decisions of the meetings it sits on, a manager the deals of
its teams); such a refusal names its rule rather than the role.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import time_machine
from sqlmodel import select

from fundcrm import clock
from fundcrm.models import Activity, Company, Deal, IcDecision, Job, Task
from fundcrm.reports.jobs import KIND
from tests.api_fixtures import ApiClient, token_for
from tests.factories import make_uscc
from tests.world import ROLES, build, client_as, snapshot

EVERYONE = frozenset(ROLES)
STAFF = frozenset({"admin", "manager", "ic_member", "risk"})
EDITORS = frozenset({"admin", "manager"})
COMPANY_EDITORS = frozenset({"admin", "manager", "risk"})
MOVERS = frozenset({"admin", "manager", "risk"})
ADMIN = frozenset({"admin"})
LP_READERS = frozenset({"admin", "manager", "risk", "viewer"})
PUBLIC = {"api.openapi", "api.docs"}
ROLE_REFUSAL = "Your role does not allow this."  # errors.GENERIC[403], in English
# the pipeline: a viewer (an LP's representative) never sees it (DOMAIN.md section 2)
PIPELINE = ("/companies", "/deals", "/activities", "/tasks", "/ic/")


@dataclass(frozen=True)
class Op:
    """One operation on one record: who may, what they get, and for a write its body and the
    change a user would check (`made(dbs, world, answer)`)."""

    method: str
    path: str  # under /api/v1, `{…}` filled from the world
    allowed: frozenset
    status: int = 200
    body: object = None  # world → JSON body
    made: object = None
    # roles holding the operation's ability whom the record's rule refuses (the message names
    # the rule, not the role)
    by_record: frozenset = field(default_factory=frozenset)
    # roles told the record does not exist (404, as for an id no record has): an LP's
    # representative learns nothing of the other LPs' holdings
    hidden: frozenset = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


# -- what the writes change ----------------------------------------------------------------------


def _company_made(dbs, world, answer):
    company = dbs.exec(select(Company).where(Company.uscc == make_uscc(3))).one()
    return answer["id"] == company.id and company.name == "重庆灵犀医疗机器人有限公司"


def _company_changed(dbs, world, answer):
    company = dbs.get(Company, world["company_id"])
    return company.description == "灵巧手" and company.version == world["company_version"] + 1


def _deal_made(dbs, world, answer):
    deal = dbs.get(Deal, answer["id"])
    return deal.company_id == world["company_id"] and deal.stage == "sourcing"


def _deal_noted(key):
    return lambda dbs, world, answer: dbs.get(Deal, world[key]).notes == "估值待议"


def _deal_on_hold(key):
    return lambda dbs, world, answer: dbs.get(Deal, world[key]).stage == "on_hold"


def _activity_made(key):
    def made(dbs, world, answer):
        activity = dbs.get(Activity, answer["id"])
        return activity.deal_id == world[key] and activity.summary == "电话沟通估值"

    return made


def _task_made(key):
    def made(dbs, world, answer):
        task = dbs.get(Task, answer["id"])
        return task.deal_id == world[key] and task.title == "补充尽调材料"

    return made


def _task_done(dbs, world, answer):
    return dbs.get(Task, world["task_id"]).status == "done"


def _task_renamed(dbs, world, answer):
    return dbs.get(Task, world["task_id"]).title == "补充三年财务数据"


def _report_made(edition):
    def made(dbs, world, answer):
        job = dbs.get(Job, answer["id"])
        return job.kind == KIND and job.params["edition"] == edition and job.state == "done"

    return made


def _report_body(edition):
    def body(world):
        asked = {"year": clock.today().year, "sub_fund": "ANGEL", "language": "zh"}
        if edition == "lp":
            return {**asked, "edition": "lp", "lp_id": world["lp_id"]}
        return {**asked, "edition": "staff"}

    return body


def _activity_body(key):
    return lambda w: {"deal_id": w[key], "kind": "call", "occurred_on": w["meeting_date"],
                      "summary": "电话沟通估值"}  # fmt: skip


def _task_body(key):
    return lambda w: {"title": "补充尽调材料", "deal_id": w[key], "due_on": w["meeting_date"]}


OPS = [
    # -- companies
    Op("GET", "/companies", STAFF),
    Op("GET", "/companies/{company_id}", STAFF),
    Op(
        "POST",
        "/companies",
        COMPANY_EDITORS,
        201,
        lambda w: {
            "name": "重庆灵犀医疗机器人有限公司",
            "uscc": make_uscc(3),
            "focus_area": "embodied_ai",
            "enterprise_stage": "growth",
            "district": "渝北区",
        },
        _company_made,
    ),
    Op(
        "PATCH",
        "/companies/{company_id}",
        COMPANY_EDITORS,
        200,
        lambda w: {"version": w["company_version"], "description": "灵巧手"},
        _company_changed,
    ),
    # -- deals: the deal team edits its deals (the matrix's manager is on the world's deal's),
    # risk moves any
    Op("GET", "/deals", STAFF),
    Op("GET", "/deals/{deal_id}", STAFF),
    Op(
        "POST",
        "/deals",
        EDITORS,
        201,
        lambda w: {
            "company_uscc": w["company_uscc"],
            "round": "b",
            "source": "own",
            "sub_funds": [{"code": "ANGEL", "proposed_wan": "1000"}],
        },
        _deal_made,
    ),
    Op(
        "PATCH",
        "/deals/{deal_id}",
        EDITORS,
        200,
        lambda w: {"version": w["deal_version"], "notes": "估值待议"},
        _deal_noted("deal_id"),
    ),
    Op(
        "PATCH",
        "/deals/{unteamed_deal_id}",
        ADMIN,
        200,
        lambda w: {"version": w["unteamed_deal_version"], "notes": "估值待议"},
        _deal_noted("unteamed_deal_id"),
        by_record=frozenset({"manager"}),
    ),
    Op(
        "POST",
        "/deals/{deal_id}/stage",
        MOVERS,
        200,
        lambda w: {"stage": "on_hold"},
        _deal_on_hold("deal_id"),
    ),
    Op(
        "POST",
        "/deals/{unteamed_deal_id}/stage",
        frozenset({"admin", "risk"}),
        200,
        lambda w: {"stage": "on_hold"},
        _deal_on_hold("unteamed_deal_id"),
        by_record=frozenset({"manager"}),
    ),
    # -- activities and tasks: the deal's team
    Op("GET", "/activities", STAFF),
    Op("GET", "/activities/{activity_id}", STAFF),
    Op("POST", "/activities", EDITORS, 201, _activity_body("deal_id"), _activity_made("deal_id")),
    Op(
        "POST",
        "/activities",
        ADMIN,
        201,
        _activity_body("unteamed_deal_id"),
        _activity_made("unteamed_deal_id"),
        by_record=frozenset({"manager"}),
    ),
    Op("GET", "/tasks?who=everyone", STAFF),
    Op("GET", "/tasks/{task_id}", STAFF),
    Op("POST", "/tasks", EDITORS, 201, _task_body("deal_id"), _task_made("deal_id")),
    Op(
        "POST",
        "/tasks",
        ADMIN,
        201,
        _task_body("unteamed_deal_id"),
        _task_made("unteamed_deal_id"),
        by_record=frozenset({"manager"}),
    ),
    # the world's task: set by, and for, the deal's owner; the matrix's manager is on its team
    Op(
        "PATCH",
        "/tasks/{task_id}",
        EDITORS,
        200,
        lambda w: {"version": w["task_version"], "status": "done"},
        _task_done,
        by_record=frozenset({"ic_member", "risk"}),
    ),
    Op(
        "PATCH",
        "/tasks/{task_id}",
        EDITORS,
        200,
        lambda w: {"version": w["task_version"], "title": "补充三年财务数据"},
        _task_renamed,
    ),
    # -- the portfolio: the world's LP (the viewer's) commits to ANGEL, not INDUSTRY
    Op("GET", "/holdings", EVERYONE),
    Op("GET", "/holdings?sub_fund=ANGEL", EVERYONE),
    Op("GET", "/holdings?sub_fund=INDUSTRY", STAFF, by_record=frozenset({"viewer"})),
    Op("GET", "/holdings/{holding_id}", EVERYONE),
    Op("GET", "/holdings/{industry_holding_id}", STAFF, hidden=frozenset({"viewer"})),
    Op("GET", "/sub-funds", EVERYONE),
    Op("GET", "/sub-funds/ANGEL", EVERYONE),
    Op("GET", "/sub-funds/INDUSTRY", STAFF, by_record=frozenset({"viewer"})),
    # -- IC decisions: an IC member reads those of the meetings it sits on, and recorded ones
    Op("GET", "/ic/decisions", STAFF),
    Op("GET", "/ic/decisions/{decision_id}", STAFF),
    Op("GET", "/ic/decisions/{recorded_decision_id}", STAFF),
    Op(
        "GET",
        "/ic/decisions/{unseated_decision_id}",
        frozenset({"admin", "manager", "risk"}),
        by_record=frozenset({"ic_member"}),
    ),
    # -- annual reports: a representative asks for its own LP's edition only; each report is
    # its asker's (the world's is the viewer's) and an administrator's
    Op("POST", "/reports", LP_READERS, 202, _report_body("lp"), _report_made("lp")),
    Op(
        "POST",
        "/reports",
        LP_READERS - {"viewer"},
        202,
        _report_body("staff"),
        _report_made("staff"),
        by_record=frozenset({"viewer"}),
    ),
    Op(
        "GET",
        "/reports/{report_id}",
        frozenset({"admin", "viewer"}),
        by_record=frozenset({"manager", "risk"}),
    ),
    Op(
        "GET",
        "/reports/{report_id}/download",
        frozenset({"admin", "viewer"}),
        by_record=frozenset({"manager", "risk"}),
    ),
]
GETS = [op for op in OPS if op.method == "GET"]
WRITES = [op for op in OPS if op.method != "GET"]


# -- the records, and a token per role -----------------------------------------------------------


@pytest.fixture
def world(app, make_user, dbs):
    found = build(app, make_user, dbs)
    decision_of_item = select(IcDecision.id).where(IcDecision.item_id == found["decided_item_id"])
    recorded = select(IcDecision.id).where(IcDecision.deal_id == found["closing_deal_id"])
    return {
        **found,
        "decision_id": dbs.exec(decision_of_item).one(),
        "recorded_decision_id": dbs.exec(recorded).one(),
        "unteamed_deal_version": dbs.get(Deal, found["unteamed_deal_id"]).version,
    }


@pytest.fixture
def apis(app, world):
    """An API client per role, each token used once already: with the clock stopped, no later
    request writes its last use (at most once a minute), so a snapshot sees only the request."""
    with time_machine.travel(datetime.now(UTC), tick=False):
        clients = {
            role: ApiClient(app.test_client(), token_for(app, world["users"][role]))
            for role in ROLES
        }
        for api in clients.values():
            api.get("/sub-funds")
        yield clients


def _url(op: Op, world: dict) -> str:
    return op.path.format(**world)


def _send(api: ApiClient, op: Op, world: dict):
    kwargs = {"json": op.body(world)} if op.body else {}
    return api.call(op.method, _url(op, world), **kwargs)


def _error_shape(response) -> bool:
    body = response.get_json(silent=True) or {}
    error = body.get("error")
    return (
        response.mimetype == "application/json"
        and set(body) == {"error"}
        and isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
        and error.get("fields") == {}
    )


def _refusal_wrong(response, op: Op, role: str) -> str | None:
    """Why a 403 is not the refusal expected (the role's, or the record rule's), else None."""
    if response.status_code != 403:
        return f"{response.status_code}"
    if not _error_shape(response) or response.json["error"]["code"] != "forbidden":
        return f"shape {response.get_data(as_text=True)[:200]}"
    message = response.json["error"]["message"]
    if role in op.by_record and message == ROLE_REFUSAL:
        return "refused for the role, not by the record's rule"
    if role not in op.by_record and message != ROLE_REFUSAL:
        return f"refused by a record rule ({message}), not for the role"
    return None


# -- the table covers every operation ------------------------------------------------------------


def test_the_table_covers_every_api_operation(app):
    adapter = app.url_map.bind("localhost")
    covered = set()
    for op in OPS:
        path = "/api/v1" + re.sub(r"\{\w+\}", "1", op.path.split("?")[0])
        rule, _args = adapter.match(path, method=op.method, return_rule=True)
        covered.add((rule.endpoint, op.method))
    operations = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in PUBLIC
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert covered == operations


def test_each_role_and_record_is_named_once(world):
    """Every placeholder is a record of the world, and no row is written twice."""
    for op in OPS:
        _url(op, world)
    keys = [(op.id, op.body(world) if op.body else None) for op in OPS]
    assert len({repr(k) for k in keys}) == len(keys)
    assert all(op.by_record <= EVERYONE - op.allowed for op in OPS)


# -- reads -------------------------------------------------------------------------------------


def _shows(op: Op, response, world) -> bool:
    """What an allowed reader sees: the record asked for, or a list with rows in it."""
    if op.path.endswith("/download"):
        return response.get_data().startswith(b"%PDF")
    body = response.json
    last = op.path.split("?")[0].rsplit("/", 1)[-1]
    if last.startswith("{"):
        return body["id"] == world[last.strip("{}")]
    if last in ("ANGEL", "INDUSTRY"):
        return body["code"] == last
    return len(body["items"]) > 0


def _data(app) -> dict:
    """The snapshot without the figures' cache a read may fill (metrics_cache)."""
    return {table: rows for table, rows in snapshot(app).items() if table != "metrics_cache"}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_exactly_what_it_may(app, world, apis, role):
    before, wrong = _data(app), []
    for op in GETS:
        response = _send(apis[role], op, world)
        if role in op.allowed:
            if response.status_code != op.status or not _shows(op, response, world):
                wrong.append((op.id, response.status_code, response.get_data(as_text=True)[:200]))
        elif role in op.hidden:
            if response.status_code != 404 or response.json["error"]["code"] != "not_found":
                wrong.append((op.id, response.status_code, "not hidden as missing"))
        elif (why := _refusal_wrong(response, op, role)) is not None:
            wrong.append((op.id, why))
    assert wrong == []
    assert _data(app) == before


def _ids(response) -> set:
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json["items"]}


def test_the_viewer_lists_its_lps_sub_funds_and_holdings_only(world, apis):
    everything = {world["holding_id"], world["industry_holding_id"]}
    assert _ids(apis["admin"].get("/holdings")) >= everything
    assert _ids(apis["viewer"].get("/holdings")) == {world["holding_id"]}
    codes = [f["code"] for f in apis["viewer"].get("/sub-funds").json["items"]]
    assert codes == ["ANGEL"]
    assert [f["code"] for f in apis["risk"].get("/sub-funds").json["items"]] == [
        "ANGEL",
        "INDUSTRY",
    ]


def test_an_ic_member_lists_only_its_meetings_decisions(world, apis):
    seated = {world["decision_id"], world["recorded_decision_id"]}
    member = _ids(apis["ic_member"].get("/ic/decisions"))
    assert seated <= member and world["unseated_decision_id"] not in member
    assert seated | {world["unseated_decision_id"]} <= _ids(apis["manager"].get("/ic/decisions"))


# -- writes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", WRITES, ids=[op.id for op in WRITES])
def test_roles_without_the_right_get_403_and_nothing_changes(app, world, apis, op):
    before, wrong = snapshot(app), []
    for role in sorted(EVERYONE - op.allowed):
        response = _send(apis[role], op, world)
        if (why := _refusal_wrong(response, op, role)) is not None:
            wrong.append((role, why))
    assert wrong == []
    assert snapshot(app) == before


ALLOWED = [(op, role) for op in WRITES for role in ROLES if role in op.allowed]


@pytest.mark.parametrize(("op", "role"), ALLOWED, ids=[f"{o.id}-{r}" for o, r in ALLOWED])
def test_roles_with_the_right_get_the_documented_answer(app, world, apis, dbs, op, role):
    before = snapshot(app)
    response = _send(apis[role], op, world)
    assert response.status_code == op.status, response.get_data(as_text=True)
    dbs.expire_all()
    assert op.made(dbs, world, response.json)
    assert snapshot(app) != before


# -- no token, and the viewer on the pipeline ----------------------------------------------------


def _without_token(client, op: Op, world: dict):
    kwargs = {"json": op.body(world)} if op.body else {}
    return client.open("/api/v1" + _url(op, world), method=op.method, **kwargs)


def _unauthorised(response) -> bool:
    return (
        response.status_code == 401
        and _error_shape(response)
        and response.json["error"]["code"] == "unauthorized"
        and response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    )


def test_no_token_is_401_on_every_operation_and_nothing_changes(app, world, apis):
    signed_in = client_as(app, world["users"]["admin"])  # a browser session: not a token
    before, wrong = snapshot(app), []
    for op in OPS:
        for who, client in (("nobody", app.test_client()), ("session", signed_in)):
            response = _without_token(client, op, world)
            if not _unauthorised(response):
                wrong.append((op.id, who, response.status_code))
    assert wrong == []
    assert snapshot(app) == before


def test_the_viewer_never_reaches_the_pipeline(app, world, apis):
    pipeline = [op for op in OPS if op.path.startswith(PIPELINE)]
    assert {op.path.split("?")[0].split("/")[1] for op in pipeline} == {
        "companies",
        "deals",
        "activities",
        "tasks",
        "ic",
    }
    before, wrong = snapshot(app), []
    for op in pipeline:
        response = _send(apis["viewer"], op, world)
        if (why := _refusal_wrong(response, op, "viewer")) is not None:
            wrong.append((op.id, why))
    assert wrong == []
    assert snapshot(app) == before
