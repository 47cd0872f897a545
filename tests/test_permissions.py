"""Every endpoint declares who may use it, and each role gets exactly its pages."""

from pathlib import Path

import pytest

from fundcrm.models import User
from fundcrm.permissions import declaration
from tests import factories
from tests.conftest import sign_in

ROLES = ["admin", "manager", "ic_member", "risk", "viewer"]
EVERYONE = set(ROLES)
STAFF = {"admin", "manager", "ic_member", "risk"}
EDITORS = {"admin", "manager"}
COMPANY_EDITORS = {"admin", "manager", "risk"}
ADMIN = {"admin"}
UNDECLARED_OK = {"static"}
PUBLIC = {"auth.login", "main.healthz", "main.set_language"}

# endpoint → (method, url, roles allowed). Written out by hand: the test fails when a route's
# access changes without this table changing with it.
MATRIX = {
    "main.home": ("GET", "/", EVERYONE),
    "auth.logout": ("POST", "/logout", EVERYONE),
    "auth.change_password": ("GET", "/account/password", EVERYONE),
    "admin.users": ("GET", "/admin/users", {"admin"}),
    "admin.new_user": ("GET", "/admin/users/new", {"admin"}),
    "admin.edit_user": ("GET", "/admin/users/{user_id}", {"admin"}),
    "admin.audit": ("GET", "/admin/audit", {"admin", "risk"}),
    "funds.overview": ("GET", "/funds", EVERYONE),
    "funds.edit_settings": ("GET", "/funds/settings", ADMIN),
    "funds.edit_sub_fund": ("GET", "/funds/sub-funds/{sub_fund_id}", ADMIN),
    "funds.edit_lp": ("GET", "/funds/lps/{lp_id}", ADMIN),
    "funds.edit_commitment": ("GET", "/funds/commitments/{commitment_id}", ADMIN),
    "companies.index": ("GET", "/companies", STAFF),
    "companies.show": ("GET", "/companies/{company_id}", STAFF),
    "companies.new": ("GET", "/companies/new", COMPANY_EDITORS),
    "companies.edit": ("GET", "/companies/{company_id}/edit", COMPANY_EDITORS),
    "companies.add_contact": ("POST", "/companies/{company_id}/contacts", COMPANY_EDITORS),
    "companies.edit_contact": (
        "GET",
        "/companies/{company_id}/contacts/{contact_id}",
        COMPANY_EDITORS,
    ),
    "companies.delete_contact": (
        "POST",
        "/companies/{company_id}/contacts/{contact_id}/delete",
        COMPANY_EDITORS,
    ),
    "companies.merge": ("GET", "/companies/{company_id}/merge", ADMIN),
    "deals.index": ("GET", "/deals", STAFF),
    "deals.mine": ("GET", "/deals/mine", STAFF),
    "deals.board": ("GET", "/deals/board", STAFF),
    "deals.show": ("GET", "/deals/{deal_id}", STAFF),
    "deals.new": ("GET", "/deals/new", EDITORS),
    "deals.edit": ("GET", "/deals/{deal_id}/edit", EDITORS),
    "deals.move": ("POST", "/deals/{deal_id}/move", {"admin", "manager", "risk"}),
    "deals.gates": ("GET", "/deals/gates", ADMIN),
    # the deal workspace
    "workspace.new_activity": ("GET", "/companies/{company_id}/activities/new", EDITORS),
    "workspace.edit_activity": ("GET", "/activities/{activity_id}", EDITORS),
    "workspace.delete_activity": ("POST", "/activities/{activity_id}/delete", EDITORS),
    "workspace.my_tasks": ("GET", "/tasks", STAFF),
    "workspace.new_task": ("GET", "/tasks/new", EDITORS),
    "workspace.edit_task": ("GET", "/tasks/{task_id}", EDITORS),
    "workspace.complete_task": ("POST", "/tasks/{task_id}/done", STAFF),
    "workspace.checklist": ("GET", "/deals/{deal_id}/dd", STAFF),
    "workspace.update_dd_item": ("POST", "/dd/items/{dd_item_id}", EDITORS),
    "workspace.add_dd_item": ("POST", "/deals/{deal_id}/dd/items", EDITORS),
    "workspace.dd_templates": ("GET", "/admin/dd-templates", ADMIN),
    "workspace.edit_dd_template": ("POST", "/admin/dd-templates/{template_id}", ADMIN),
    "workspace.upload_document": ("POST", "/documents", EDITORS),
    "workspace.download_document": ("GET", "/documents/{document_id}", STAFF),
    # imports and exports
    "imports.index": ("GET", "/imports", EDITORS),
    "imports.preview": ("GET", "/imports/AAAAAAAAAAAAAAAAAAAAAA", EDITORS),
    "imports.confirm": ("POST", "/imports/AAAAAAAAAAAAAAAAAAAAAA/confirm", EDITORS),
    "imports.discard": ("POST", "/imports/AAAAAAAAAAAAAAAAAAAAAA/discard", EDITORS),
    "imports.template_file": ("GET", "/imports/template/companies.xlsx", EDITORS),
    "imports.export": ("GET", "/exports/deals.xlsx", STAFF),
}


def test_every_endpoint_declares_who_may_use_it(app):
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in UNDECLARED_OK
        and declaration(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


def test_the_matrix_covers_every_endpoint(app):
    assert set(app.view_functions) - UNDECLARED_OK == set(MATRIX) | PUBLIC


def test_public_endpoints_are_exactly_these(app):
    public = {e for e, v in app.view_functions.items() if declaration(v) == "public"}
    assert public == PUBLIC


def _call(client, method, url):
    # Permission is decided before the CSRF check, so a refused role gets 403 either way.
    return client.open(url, method=method, data={})


@pytest.fixture
def ids(app, make_user, dbs):
    """Ids for every URL parameter in the matrix."""
    target_id, _ = make_user("manager")
    records = factories.pipeline(dbs, dbs.get(User, target_id))
    return {
        "user_id": target_id,
        **{
            f"{name}_id": records[name].id
            for name in ("company", "contact", "deal", "lp", "commitment")
        },
        "sub_fund_id": records["angel"].id,
        **factories.workspace(dbs, records, Path(app.instance_path) / "documents"),
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_pages(app, make_user, ids, role):
    user_id, _ = make_user(role)
    for endpoint, (method, url, allowed) in MATRIX.items():
        client = app.test_client()
        sign_in(client, user_id)
        response = _call(client, method, url.format(**ids))
        if role in allowed:
            assert response.status_code not in (403, 404), (role, endpoint, response.status_code)
            assert "/login" not in (response.location or ""), (role, endpoint)
        else:
            assert response.status_code == 403, (role, endpoint, response.status_code)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_signed_out_users_are_sent_to_login(client, ids, endpoint):
    method, url, _allowed = MATRIX[endpoint]
    response = _call(client, method, url.format(**ids))
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_a_user_with_two_roles_gets_both_roles_pages(client, make_user):
    user_id, _ = make_user("manager", "risk")
    sign_in(client, user_id)
    assert client.get("/admin/audit").status_code == 200
    assert client.get("/admin/users").status_code == 403


def test_navigation_shows_only_the_roles_pages(client, make_user):
    user_id, _ = make_user("risk")
    sign_in(client, user_id)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/admin/audit"' in page and 'href="/admin/users"' not in page
