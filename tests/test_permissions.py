"""Every endpoint declares who may use it, and each role gets exactly its answer.

The matrix is written out by hand: the tests fail when a route's access or answer changes
without these tables changing with it. Every POST is sent with a valid CSRF token, so a
refusal is the role's, never the token's.
"""

import io
import re
from dataclasses import dataclass

import pytest

from fundcrm import clock
from fundcrm.demo import demo_pdf
from fundcrm.permissions import declaration
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.factories import make_uscc
from tests.world import (
    NO_IMPORT,
    ROLES,
    build,
    client_as,
    import_csv,
    pending_import,
    snapshot,
)

EVERYONE = set(ROLES)
STAFF = {"admin", "manager", "ic_member", "risk"}
EDITORS = {"admin", "manager"}
IMPORTERS = {"admin", "manager", "risk"}  # each kind needs its own ability too
COMPANY_EDITORS = {"admin", "manager", "risk"}
MOVERS = {"admin", "manager", "risk"}
ADMIN = {"admin"}
CONFLICTS = {"admin", "risk", "ic_member"}
CHAIRS = {"admin", "ic_member"}  # the world's IC member chairs its meeting
RESOLVERS = {"admin", "ic_member", "risk"}
RECORDERS = {"admin", "risk"}
UNDECLARED_OK = {"static"}
PUBLIC = {"auth.login", "main.healthz", "main.set_language", "api.openapi", "api.docs"}
# the page every signed-in user may open: where a refused role's browser got its token
TOKEN_PAGE = "/account/password"
IMPORT_TOKEN = r"/imports/[A-Za-z0-9_-]+"

# GET endpoint → (url, roles allowed, answer to an allowed role: a status, or a redirect's
# location as a regular expression)
PAGES = {
    "main.home": ("/", EVERYONE, 200),
    "auth.change_password": ("/account/password", EVERYONE, 200),
    "auth.api_tokens": ("/account/tokens", EVERYONE, 200),
    "admin.users": ("/admin/users", ADMIN, 200),
    "admin.new_user": ("/admin/users/new", ADMIN, 200),
    "admin.edit_user": ("/admin/users/{user_id}", ADMIN, 200),
    "admin.audit": ("/admin/audit", {"admin", "risk"}, 200),
    "funds.overview": ("/funds", EVERYONE, 200),
    "funds.edit_settings": ("/funds/settings", ADMIN, 200),
    "funds.edit_sub_fund": ("/funds/sub-funds/{sub_fund_id}", ADMIN, 200),
    "funds.edit_lp": ("/funds/lps/{lp_id}/edit", ADMIN, 200),
    "funds.edit_commitment": ("/funds/commitments/{commitment_id}", ADMIN, 200),
    "companies.index": ("/companies", STAFF, 200),
    "companies.show": ("/companies/{company_id}", STAFF, 200),
    "companies.lookup": ("/companies/lookup?q=擎天", STAFF, 200),
    "companies.new": ("/companies/new", COMPANY_EDITORS, 200),
    "companies.edit": ("/companies/{company_id}/edit", COMPANY_EDITORS, 200),
    "companies.edit_contact": (
        "/companies/{company_id}/contacts/{contact_id}",
        COMPANY_EDITORS,
        200,
    ),
    "companies.merge": ("/companies/{company_id}/merge", ADMIN, 200),
    "deals.index": ("/deals", STAFF, 200),
    "deals.mine": ("/deals/mine", STAFF, 200),
    "deals.board": ("/deals/board", STAFF, 200),
    "deals.show": ("/deals/{deal_id}", STAFF, 200),
    "deals.new": ("/deals/new", EDITORS, 200),
    "deals.edit": ("/deals/{deal_id}/edit", EDITORS, 200),
    "deals.gates": ("/deals/gates", ADMIN, 200),
    "workspace.new_activity": ("/companies/{company_id}/activities/new", EDITORS, 200),
    "workspace.edit_activity": ("/activities/{activity_id}", EDITORS, 200),
    "workspace.my_tasks": ("/tasks", STAFF, 200),
    "workspace.new_task": ("/tasks/new", EDITORS, 200),
    "workspace.edit_task": ("/tasks/{task_id}", EDITORS, 200),
    "workspace.checklist": ("/deals/{deal_id}/dd", STAFF, 200),
    "workspace.dd_templates": ("/admin/dd-templates", ADMIN, 200),
    "workspace.download_document": ("/documents/{document_id}", STAFF, 200),
    "imports.index": ("/imports", IMPORTERS, 200),
    "imports.preview": ("/imports/{import_token}", IMPORTERS, 200),
    "imports.template_file": ("/imports/template/companies.xlsx", EDITORS, 200),
    "imports.export": ("/exports/deals.xlsx", STAFF, 200),
    "jobs.index": ("/jobs", EVERYONE, 200),  # a viewer's own report jobs
    "ic.show_memo": ("/ic/memos/{memo_id}", STAFF, 200),
    "ic.edit_memo": ("/ic/memos/{memo_id}/edit", EDITORS, 200),
    "ic.conflicts": ("/ic/conflicts", CONFLICTS, 200),
    "ic.new_conflict": ("/ic/conflicts/new", CONFLICTS, 200),
    "ic.index": ("/ic", STAFF, 200),
    "ic.new_meeting": ("/ic/meetings/new", ADMIN, 200),
    "ic.edit_meeting": ("/ic/meetings/{meeting_id}/edit", ADMIN, 200),
    "ic.show_meeting": ("/ic/meetings/{meeting_id}", STAFF, 200),
    "ic.show_item": ("/ic/items/{item_id}", STAFF, 200),
    "ic.decide_item": ("/ic/items/{approved_item_id}/decide", CHAIRS, 200),
    "ic.memo_pdf": ("/ic/memos/{memo_id}/memo.pdf", STAFF, 200),
    "ic.minutes_pdf": ("/ic/meetings/{meeting_id}/minutes.pdf", STAFF, 200),
    "ic.diff": ("/ic/memos/{memo_id}/diff?from={memo_version_id}&to={memo_version_id}", STAFF, 200),
    "notifications.index": ("/notifications", EVERYONE, 200),
    "portfolio.close_deal": ("/deals/{closing_deal_id}/close", MOVERS, 200),
    "portfolio.portfolio": ("/portfolio", STAFF, 200),
    "portfolio.show_holding": ("/portfolio/{holding_id}", STAFF, 200),
    "portfolio.metrics_page": ("/funds/ANGEL/metrics", STAFF, 200),
    "ic.record_decision": ("/deals/{signing_deal_id}/decision", RECORDERS, 200),
    # the world's job is the administrator's: the other roles may see jobs, not this one
    "jobs.show": ("/jobs/{job_id}", ADMIN, 200),
    "jobs.status": ("/jobs/{job_id}/status", ADMIN, 200),
    "jobs.download": ("/jobs/{job_id}/download", ADMIN, 200),
    # -- pages: capital accounts and the LP's view
    # the world's viewer represents the world's LP: it reads that LP's account
    "funds.lp_account": ("/funds/lps/{lp_id}", {"admin", "manager", "risk", "viewer"}, 200),
    "funds.lp_statement_pdf": (
        "/funds/lps/{lp_id}/statement.pdf",
        {"admin", "manager", "risk", "viewer"},
        200,
    ),
    "funds.lp_portfolio": (
        "/funds/lps/{lp_id}/portfolio",
        {"admin", "manager", "risk", "viewer"},
        200,
    ),
    # -- pages: compliance and relocations
    "compliance.page": ("/funds/ANGEL/compliance", STAFF, 200),
    "compliance.alerts": ("/compliance/alerts", STAFF, 200),
    # -- pages: KPIs, milestones and targets
    "kpis.targets_page": ("/funds/targets", STAFF, 200),
    "kpis.edit_kpi": ("/portfolio/{holding_id}/kpis/{kpi_id}", {"admin", "manager", "risk"}, 200),
    # -- pages: override requests and closed periods
    # a manager on the deal's team asks for the override of a move its mandate refuses
    "overrides.new_request": (
        "/deals/{override_deal}/override-request?to=approved&seen=sourcing",
        {"manager"},
        200,
    ),
    "overrides.index": ("/overrides", RECORDERS, 200),
    "periods.index": ("/funds/periods", RECORDERS, 200),
    # -- pages: annual reports
    # the world's issued report is the LP edition of the LP the world's viewer represents
    "reports.index": ("/reports", {"admin", "manager", "risk", "viewer"}, 200),
    "reports.issued": (
        "/reports/issued/{issued_report_id}",
        {"admin", "manager", "risk", "viewer"},
        200,
    ),
    # -- pages: the industry map (a tied viewer: its LP's portfolio measures)
    "industry_map.page": ("/map", EVERYONE, 200),
    "industry_map.data": ("/map/data.json", EVERYONE, 200),
    "industry_map.table": ("/map/table.csv", EVERYONE, 200),
    "industry_map.geojson": ("/map/districts.geojson", EVERYONE, 200),
}


@dataclass
class Post:
    """One POST: who may send it, a valid form and its answer, and optionally a bad form.

    `good`/`bad` build the form from the test's records; an answer is a status or the
    location of a redirect (a regular expression, formatted with the records' ids).
    """

    endpoint: str
    url: str
    allowed: set[str]
    good: object
    answer: object
    bad: object = None
    bad_answer: object = None
    writes: bool = True  # whether the good form changes the database or the stored files
    multipart: bool = False


def _company(ctx, **extra):
    return {
        "name": "重庆擎天机器人科技有限公司",
        "uscc": ctx["company_uscc"],
        "focus_area": "embodied_ai",
        "enterprise_stage": "growth",
        "zone": "liangjiang",
        "district": "渝北区",
        "version": str(ctx["company_version"]),
        **extra,
    }


def _deal(ctx, **extra):
    return {
        "company_uscc": ctx["company_uscc"],
        "round": "b",
        "source": "own",
        "owner_email": ctx["owner_email"],
        "sub_fund": ["ANGEL"],
        "proposed_wan_ANGEL": "1000",
        **extra,
    }


def _sub_fund(code):
    return {
        "code": code,
        "name": f"{code} 早期子基金",
        "target_wan": "100000",
        "allowed_stages": ["startup", "growth"],
        "project_cap_pct": "20",
        "ic_quorum": "2/3",
        "ic_threshold": "2/3",
        "ic_min_eligible": "2",
    }


def _commitment(ctx, sub_fund):
    return {
        "lp_id": str(ctx["lp_id"]),
        "sub_fund_id": str(ctx[sub_fund]),
        "committed_wan": "35000",
        "reinvest_ratio": "1.2",
        "reinvest_area": ["chongqing"],
        "reinvest_base": "committed",
    }


# The world's DD item is the first of its checklist: workstreams come in code order.
DD_WORKSTREAM = "business"


def _dd_item(ctx, status="in_progress"):
    """A row of the workstream form, opened at the item's state as the world created it."""
    from types import SimpleNamespace

    from fundcrm.workspace.services import item_fingerprint

    opened = SimpleNamespace(
        id=ctx["dd_item_id"],
        status="open",
        owner_id=ctx["user_id"],
        severity="none",
        finding=None,
        waive_reason=None,
    )
    prefix = f"item{ctx['dd_item_id']}-"
    return {
        f"{prefix}seen": item_fingerprint(opened),
        f"{prefix}status": status,
        f"{prefix}owner_id": str(ctx["user_id"]),
        f"{prefix}severity": "low",
        f"{prefix}finding": "无",
    }


def _document(ctx):
    return {
        "owner": f"deal:{ctx['deal_id']}",
        "title": "尽调报告",
        "file": (io.BytesIO(demo_pdf("dd")), "dd.pdf"),
    }


def _memo_form(ctx):
    from tests.world import MEMO_SECTIONS

    amounts = {
        f"proposed_{ctx[f]}": a for f, a in (("sub_fund_id", "1000"), ("industry_id", "2000"))
    }
    return {**MEMO_SECTIONS, **amounts, "seen": "1"}


def nothing(_ctx):
    return {}


def _meeting_form(ctx, **extra):
    members = [str(ctx["users"]["ic_member"]), str(ctx["second_member_id"])]
    return {
        "held_on": ctx["meeting_date"],
        "place": "两江新区 会议室 B",
        "member_ids": members,
        "chair_id": members[0],
        "seen": str(ctx["meeting_version"]),
        **extra,
    }


POSTS = [
    Post("auth.logout", "/logout", EVERYONE, nothing, "/login", writes=False),
    Post(
        "auth.change_password",
        "/account/password",
        EVERYONE,
        lambda c: {
            "current_password": PASSWORD,
            "password": "a-new-password-2026",
            "confirm": "a-new-password-2026",
        },
        "/",
        nothing,
        200,
    ),
    Post(
        "admin.new_user",
        "/admin/users/new",
        ADMIN,
        lambda c: {
            "email": "new.user@example.com",
            "name": "新同事",
            "roles": ["viewer"],
            "password": "a-long-password-1",
        },
        "/admin/users",
        nothing,
        200,
    ),
    Post(
        "admin.edit_user",
        "/admin/users/{user_id}",
        ADMIN,
        lambda c: {"name": "李想", "roles": ["manager"], "active": "y"},
        "/admin/users",
        nothing,
        200,
    ),
    Post(
        "funds.edit_settings",
        "/funds/settings",
        ADMIN,
        lambda c: {"name": "重庆人工智能与服务机器人基金", "target_wan": "500000"},
        "/funds",
        nothing,
        200,
    ),
    Post(
        "funds.edit_sub_fund",
        "/funds/sub-funds/new",
        ADMIN,
        lambda c: _sub_fund("SEED"),
        "/funds",
        nothing,
        200,
    ),
    Post(
        "funds.edit_sub_fund",
        "/funds/sub-funds/{sub_fund_id}",
        ADMIN,
        lambda c: _sub_fund("ANGEL"),
        "/funds",
        nothing,
        200,
    ),
    Post(
        "funds.edit_lp",
        "/funds/lps/new",
        ADMIN,
        lambda c: {"name": "渝北区产业引导基金", "lp_type": "district_fof", "is_government": "y"},
        "/funds",
        nothing,
        200,
    ),
    Post(
        "funds.edit_lp",
        "/funds/lps/{lp_id}/edit",
        ADMIN,
        lambda c: {"name": "重庆市产业投资母基金", "lp_type": "city_fof"},
        "/funds",
        nothing,
        200,
    ),
    Post(
        "funds.edit_commitment",
        "/funds/commitments/new",
        ADMIN,
        lambda c: _commitment(c, "industry_id"),
        "/funds",
        nothing,
        200,
    ),
    Post(
        "funds.edit_commitment",
        "/funds/commitments/{commitment_id}",
        ADMIN,
        lambda c: _commitment(c, "sub_fund_id"),
        "/funds",
        nothing,
        200,
    ),
    Post(
        "companies.new",
        "/companies/new",
        COMPANY_EDITORS,
        lambda c: _company(c, name="重庆灵犀医疗机器人有限公司", uscc=make_uscc(3), version=""),
        r"/companies/\d+",
        nothing,
        200,
    ),
    Post(
        "companies.edit",
        "/companies/{company_id}/edit",
        COMPANY_EDITORS,
        lambda c: _company(c, description="灵巧手"),
        "/companies/{company_id}",
        nothing,
        200,
    ),
    Post(
        "companies.add_contact",
        "/companies/{company_id}/contacts",
        COMPANY_EDITORS,
        lambda c: {"name": "李总", "title": "CTO"},
        "/companies/{company_id}#contacts",
        nothing,
        400,
    ),
    Post(
        "companies.edit_contact",
        "/companies/{company_id}/contacts/{contact_id}",
        COMPANY_EDITORS,
        lambda c: {"name": "王经理", "title": "CFO"},
        "/companies/{company_id}#contacts",
        lambda c: {"name": ""},
        200,
    ),
    Post(
        "companies.delete_contact",
        "/companies/{company_id}/contacts/{spare_contact_id}/delete",
        COMPANY_EDITORS,
        nothing,
        "/companies/{company_id}#contacts",
    ),
    Post(
        "companies.merge",
        "/companies/{company_id}/merge",
        ADMIN,
        lambda c: {"other_uscc": c["other_uscc"], "confirm": "y"},
        "/companies/{company_id}",
        nothing,
        200,
    ),
    Post(
        "deals.new",
        "/deals/new",
        EDITORS,
        lambda c: _deal(c, notes="新项目"),
        r"/deals/\d+",
        nothing,
        200,
    ),
    Post(
        "deals.edit",
        "/deals/{deal_id}/edit",
        EDITORS,
        lambda c: _deal(c, version=str(c["deal_version"])),
        "/deals/{deal_id}",
        nothing,
        200,
    ),
    Post(
        "deals.move",
        "/deals/{deal_id}/move",
        MOVERS,
        lambda c: {"to_stage": "on_hold"},
        "/deals/{deal_id}",
        lambda c: {"to_stage": "nowhere"},
        "/deals/{deal_id}",
    ),
    Post(
        "deals.gates",
        "/deals/gates",
        ADMIN,
        lambda c: {"to_stage": "screening", "required_fields": ["round"]},
        "/deals/gates",
        lambda c: {"to_stage": "nowhere"},
        200,
    ),
    Post(
        "workspace.new_activity",
        "/companies/{company_id}/activities/new",
        EDITORS,
        lambda c: {"kind": "call", "occurred_on": "2026-03-02", "summary": "电话沟通"},
        "/companies/{company_id}",
        nothing,
        200,
    ),
    Post(
        "workspace.edit_activity",
        "/activities/{activity_id}",
        EDITORS,
        lambda c: {
            "kind": "meeting",
            "occurred_on": "2026-01-06",
            "deal_id": str(c["deal_id"]),
            "summary": "首次会谈（补记）",
        },
        "/deals/{deal_id}",
        nothing,
        200,
    ),
    Post(
        "workspace.delete_activity",
        "/activities/{activity_id}/delete",
        EDITORS,
        nothing,
        "/deals/{deal_id}",
    ),
    Post(
        "workspace.new_task",
        "/tasks/new",
        EDITORS,
        lambda c: {"title": "约访CTO", "assignee_id": str(c["user_id"]), "deal_id": ""},
        "/tasks",
        nothing,
        200,
    ),
    Post(
        "workspace.edit_task",
        "/tasks/{task_id}",
        EDITORS,
        lambda c: {
            "title": "补充财务数据",
            "assignee_id": str(c["user_id"]),
            "deal_id": str(c["deal_id"]),
            "due_on": "2026-02-01",
        },
        "/deals/{deal_id}",
        lambda c: {"title": ""},
        200,
    ),
    # Anyone who reads the pipeline reaches the view; only the assignee or the deal team
    # may tick the task off, so risk and IC members are refused by the view itself.
    Post(
        "workspace.complete_task",
        "/tasks/{task_id}/done",
        EDITORS,
        lambda c: {"done": "1"},
        "/tasks",
    ),
    Post(
        "workspace.save_workstream",
        "/deals/{deal_id}/dd/" + DD_WORKSTREAM,
        EDITORS,
        _dd_item,
        "/deals/{deal_id}/dd#ws-" + DD_WORKSTREAM,
        lambda c: _dd_item(c, status="finished"),
        400,
    ),
    Post(
        "workspace.add_dd_item",
        "/deals/{deal_id}/dd/items",
        EDITORS,
        lambda c: {"workstream": "legal", "title": "核查专利权属"},
        "/deals/{deal_id}/dd",
        nothing,
        "/deals/{deal_id}/dd",
    ),
    Post(
        "workspace.dd_templates",
        "/admin/dd-templates",
        ADMIN,
        lambda c: {"workstream": "technical", "title": "核心算法自主性"},
        "/admin/dd-templates",
        nothing,
        200,
    ),
    Post(
        "workspace.edit_dd_template",
        "/admin/dd-templates/{template_id}",
        ADMIN,
        lambda c: {"workstream": "financial", "title": "审计报告", "active": "y"},
        "/admin/dd-templates",
        nothing,
        "/admin/dd-templates",
    ),
    Post(
        "workspace.upload_document",
        "/documents",
        EDITORS,
        _document,
        "/deals/{deal_id}#documents",
        lambda c: {"owner": "meeting:1", "file": (io.BytesIO(b"%PDF-1.4"), "x.pdf")},
        400,
        multipart=True,
    ),
    Post(
        "imports.index",
        "/imports",
        IMPORTERS,
        lambda c: import_csv(),
        IMPORT_TOKEN,
        nothing,
        200,
        multipart=True,
    ),
    Post(
        "imports.confirm",
        "/imports/{import_token}/confirm",
        IMPORTERS,
        nothing,
        "/imports/{import_token}",
    ),
    Post(
        "imports.discard",
        "/imports/{import_token}/discard",
        IMPORTERS,
        nothing,
        "/imports",
    ),
    Post("imports.export_job", "/exports/companies.csv", STAFF, nothing, r"/jobs/\d+"),
    Post(
        "ic.start_memo",
        "/deals/{dd_deal_id}/memo",
        EDITORS,
        nothing,
        r"/ic/memos/\d+/edit",
    ),
    Post(
        "ic.edit_memo",
        "/ic/memos/{memo_id}/edit",
        EDITORS,
        _memo_form,
        "/ic/memos/{memo_id}",
        bad=lambda c: {**_memo_form(c), "summary": "x" * 100_001},
        bad_answer=200,
    ),
    Post(
        "ic.new_conflict",
        "/ic/conflicts/new",
        CONFLICTS,
        lambda c: {
            "member_id": str(c["users"]["ic_member"]),
            "company_uscc": c["company_uscc"],
            "reason": "持股",
        },
        "/ic/conflicts",
        bad=lambda c: {"member_id": str(c["users"]["ic_member"]), "company_uscc": "", "reason": ""},
        bad_answer=200,
    ),
    Post(
        "ic.submit_memo",
        "/ic/memos/{memo_id}/submit",
        EDITORS,
        lambda c: {"seen": "1"},
        "/ic/memos/{memo_id}",
    ),  # fmt: skip
    Post(
        "ic.new_meeting",
        "/ic/meetings/new",
        ADMIN,
        _meeting_form,
        r"/ic/meetings/\d+",
        bad=lambda c: _meeting_form(c, place=""),
        bad_answer=200,
    ),
    Post(
        "ic.edit_meeting",
        "/ic/meetings/{meeting_id}/edit",
        ADMIN,
        _meeting_form,
        "/ic/meetings/{meeting_id}",
        bad=lambda c: _meeting_form(c, member_ids=[str(c["users"]["ic_member"])]),
        bad_answer=200,
    ),
    Post(
        "ic.record_attendance",
        "/ic/meetings/{meeting_id}/attendance",
        CHAIRS,
        lambda c: {"attended": [str(c["users"]["ic_member"])], "seen": str(c["meeting_version"])},
        "/ic/meetings/{meeting_id}",
        bad=lambda c: {"attended": ["987654"], "seen": str(c["meeting_version"])},
        bad_answer="/ic/meetings/{meeting_id}",
    ),
    Post(
        "ic.add_item",
        "/ic/meetings/{meeting_id}/items",
        ADMIN,
        lambda c: {"memo_version_id": str(c["waiting_version_id"])},
        "/ic/meetings/{meeting_id}",
    ),
    Post(
        "ic.remove_item", "/ic/items/{item_id}/remove", ADMIN, nothing, "/ic/meetings/{meeting_id}"
    ),
    Post(
        "ic.vote",
        "/ic/items/{item_id}/vote",
        {"ic_member"},
        lambda c: {"choice": "approve"},
        "/ic/items/{item_id}",
        bad=lambda c: {"choice": "yes please"},
        bad_answer="/ic/items/{item_id}",
    ),
    # nobody has voted on the world's open item: closing it decides `no_quorum` at once
    Post("ic.close_item", "/ic/items/{item_id}/close", CHAIRS, nothing, "/ic/items/{item_id}"),
    Post(
        "ic.decide_item",
        "/ic/items/{approved_item_id}/decide",
        CHAIRS,
        lambda c: {f"amount_{c['sub_fund_id']}": "200"},
        "/ic/items/{approved_item_id}",
        bad=lambda c: {f"amount_{c['sub_fund_id']}": "abc"},
        bad_answer=200,
    ),
    Post(
        "ic.ask",
        "/ic/memos/{memo_id}/questions",
        {"admin", "ic_member"},
        lambda c: {"text": "估值依据是什么？", "version": "1"},
        r"/ic/memos/{memo_id}#question-\d+",
        bad=lambda c: {"text": "问" * 5001, "version": "1"},
        bad_answer="/ic/memos/{memo_id}#qa",
    ),
    Post(
        "ic.answer",
        "/ic/questions/{question_id}/answers",
        EDITORS,
        lambda c: {"text": "按 2025 年审计报告确认。"},
        "/ic/memos/{memo_id}#question-{question_id}",
        bad=lambda c: {"text": ""},
        bad_answer="/ic/memos/{memo_id}#question-{question_id}",
    ),
    Post(
        "portfolio.close_deal",
        "/deals/{closing_deal_id}/close",
        MOVERS,
        lambda c: {
            f"sub_fund_{c['sub_fund_id']}_on": c["meeting_date"],
            f"sub_fund_{c['sub_fund_id']}_amount": "1500",
            f"sub_fund_{c['sub_fund_id']}_equity": "8",
        },
        "/deals/{closing_deal_id}",
        bad=lambda c: {f"sub_fund_{c['sub_fund_id']}_amount": "2500"},
        bad_answer=200,
    ),
    Post(
        "portfolio.record_transaction",
        "/portfolio/{holding_id}/transactions",
        MOVERS,
        lambda c: {"made_on": c["meeting_date"], "kind": "dividend", "amount": "12.5"},
        "/portfolio/{holding_id}",
        bad=lambda c: {"made_on": "", "kind": "dividend", "amount": "12.5"},
        bad_answer="/portfolio/{holding_id}",
    ),
    Post(
        "funds.add_commitment_change",
        "/funds/commitments/{commitment_id}/changes",
        ADMIN,
        lambda c: {"changed_on": c["meeting_date"], "kind": "increase", "amount": "1000"},
        "/funds/commitments/{commitment_id}",
        bad=lambda c: {"changed_on": c["meeting_date"], "kind": "increase", "amount": ""},
        bad_answer=200,
    ),
    Post(
        "portfolio.add_mark",
        "/portfolio/{holding_id}/marks",
        MOVERS,
        lambda c: {"marked_on": c["meeting_date"], "fair_value": "1800", "method": "comparables"},
        "/portfolio/{holding_id}",
        bad=lambda c: {"marked_on": c["meeting_date"], "fair_value": "", "method": "dcf"},
        bad_answer="/portfolio/{holding_id}",
    ),
    Post(
        "portfolio.record_flow",
        "/funds/ANGEL/flows",
        ADMIN,
        lambda c: {
            "lp_id": str(c["lp_id"]),
            "flow_on": c["meeting_date"],
            "kind": "call",
            "amount": "3000",
        },  # fmt: skip
        "/funds/ANGEL/metrics",
        bad=lambda c: {"lp_id": str(c["lp_id"]), "flow_on": "", "kind": "call", "amount": "1"},
        bad_answer="/funds/ANGEL/metrics",
    ),
    Post(
        "portfolio.record_expense",
        "/funds/ANGEL/expenses",
        ADMIN,
        lambda c: {"spent_on": c["meeting_date"], "kind": "management_fee", "amount": "150"},
        "/funds/ANGEL/metrics",
        bad=lambda c: {"spent_on": c["meeting_date"], "kind": "management_fee", "amount": "x"},
        bad_answer="/funds/ANGEL/metrics",
    ),
    # risk reviews the manager's mark (a risk user never reviews its own)
    Post(
        "portfolio.review_mark",
        "/portfolio/marks/{mark_id}/review",
        {"risk"},
        lambda c: {"decision": "approve"},
        "/portfolio/{holding_id}",
        bad=lambda c: {"decision": "maybe"},
        bad_answer="/portfolio/{holding_id}",
    ),
    # a personal API token: anyone makes their own (the page shows its secret once)
    Post(
        "auth.api_tokens",
        "/account/tokens",
        EVERYONE,
        lambda c: {"name": "BI 报表", "expires_days": "30"},
        200,
        lambda c: {"name": "", "expires_days": "30"},
        200,
    ),
    # the world's token is the administrator's: any other user gets the record's 403
    Post(
        "auth.revoke_api_token",
        "/account/tokens/{token_id}/revoke",
        ADMIN,
        nothing,
        "/account/tokens",
    ),
    # the world's notification is the administrator's: any other user gets the record's 403
    Post(
        "notifications.open_notification",
        "/notifications/{notification_id}/open",
        ADMIN,
        nothing,
        "/ic/items/{decided_item_id}",
    ),
    # only the administrator has a notification to mark read in the world
    Post(
        "notifications.mark_all_read",
        "/notifications/read",
        EVERYONE,
        nothing,
        "/notifications",
        writes=False,
    ),
    # risk confirms evidence, the chair or an administrator waives: risk's waiver is refused,
    # and the refusal is what its post writes (to the audit trail)
    Post(
        "ic.resolve_condition",
        "/ic/conditions/{condition_id}",
        RESOLVERS,
        lambda c: {"action": "waived", "text": "已由股东会决议替代", "seen": "1"},
        "/deals/{decided_deal_id}#ic",
        bad=lambda c: {"action": "waived", "text": "", "seen": "1"},
        bad_answer="/deals/{decided_deal_id}#ic",
    ),
    Post(
        "ic.record_decision",
        "/deals/{signing_deal_id}/decision",
        RECORDERS,
        lambda c: {
            "decided_on": "2026-01-10",
            "outcome": "approve",
            f"amount_{c['sub_fund_id']}": "600",
        },
        "/deals/{signing_deal_id}#ic",
        bad=lambda c: {"outcome": "approve", f"amount_{c['sub_fund_id']}": "600"},
        bad_answer=200,
    ),
    # a retry of a job that succeeded: refused with a message on the job's page
    Post("jobs.retry", "/jobs/{job_id}/retry", ADMIN, nothing, "/jobs/{job_id}", writes=False),
    # -- posts: annual reports
    Post(
        "reports.generate",
        "/reports",
        {"admin", "manager", "risk", "viewer"},
        lambda c: {
            "year": str(clock.today().year),
            "sub_fund": "ANGEL",
            "language": "zh",
            "edition": "lp",
            "lp": str(c["lp_id"]),
            "xlsx": "y",
        },  # fmt: skip
        "/reports",
        bad=lambda c: {
            "year": str(clock.today().year + 1),
            "sub_fund": "ANGEL",
            "language": "zh",
            "edition": "lp",
            "lp": str(c["lp_id"]),
            "xlsx": "y",
        },  # fmt: skip
        bad_answer=400,
    ),
    # -- posts: capital accounts and the LP's view
    # -- posts: compliance and relocations
    Post(
        "companies.record_relocation",
        "/companies/{company_id}/relocations",
        COMPANY_EDITORS,
        lambda c: {
            "to_district": "江北区",
            "to_zone": "liangjiang",
            "effective_on": c["meeting_date"],
            "evidence": "新营业执照",
        },  # fmt: skip
        "/companies/{company_id}#relocations",
        bad=lambda c: {
            "to_district": "江北区",
            "to_zone": "liangjiang",
            "effective_on": c["meeting_date"],
            "evidence": "",
        },  # fmt: skip
        bad_answer=400,
    ),
    # -- posts: KPIs, milestones and targets
    Post(
        "kpis.record_kpi",
        "/portfolio/{holding_id}/kpis",
        {"admin", "manager", "risk"},
        lambda c: {"period": "2024", "revenue": "800", "cq_revenue": "500", "headcount": "60"},
        "/portfolio/{holding_id}#kpis",
        bad=lambda c: {"period": "", "revenue": "800"},
        bad_answer="/portfolio/{holding_id}#kpis",
    ),
    Post(
        "kpis.edit_kpi",
        "/portfolio/{holding_id}/kpis/{kpi_id}",
        {"admin", "manager", "risk"},
        lambda c: {"revenue": "1200", "cq_revenue": "700", "version": str(c["kpi_version"])},
        "/portfolio/{holding_id}#kpis",
        bad=lambda c: {"revenue": "12x", "version": str(c["kpi_version"])},
        bad_answer=200,
    ),
    Post(
        "kpis.add_milestone",
        "/portfolio/{holding_id}/milestones",
        {"admin", "manager", "risk"},
        lambda c: {"kind": "product", "title": "巡检样机发布", "achieved_on": c["meeting_date"]},
        "/portfolio/{holding_id}#milestones",
        bad=lambda c: {"kind": "product", "title": "巡检样机发布", "achieved_on": ""},
        bad_answer="/portfolio/{holding_id}#milestones",
    ),
    # -- posts: override requests and closed periods
    Post(
        "overrides.new_request",
        "/deals/{override_deal_id}/override-request",
        {"manager"},
        lambda c: {"to_stage": "approved", "from_stage": "sourcing", "note": "链主配套，建议特批"},
        "/deals/{override_deal_id}#override-requests",
        bad=lambda c: {"to_stage": "approved", "from_stage": "sourcing", "note": ""},
        bad_answer=200,
    ),
    # the world's request is the matrix's manager's: only it withdraws it
    Post(
        "overrides.withdraw",
        "/overrides/{override_request_id}/withdraw",
        {"manager"},
        nothing,
        "/deals/{override_deal_id}#override-requests",
    ),
    Post(
        "overrides.perform",
        "/overrides/{override_request_id}/perform",
        RECORDERS,
        lambda c: {"reason": "投委会同意作为例外", "seen": "1"},
        "/overrides",
        # too long for the form (a blank reason is the service's refusal, which is audited)
        bad=lambda c: {"reason": "理" * 501, "seen": "1"},
        bad_answer="/overrides#request-{override_request_id}",
    ),
    Post(
        "overrides.decline",
        "/overrides/{override_request_id}/decline",
        RECORDERS,
        lambda c: {"reason": "不符合天使基金定位", "seen": "1"},
        "/overrides",
        # too long for the form (a blank reason is the service's refusal, which is audited)
        bad=lambda c: {"reason": "理" * 501, "seen": "1"},
        bad_answer="/overrides#request-{override_request_id}",
    ),
    # the world's close is through 2000-12-31; no mark waits in 2001
    Post(
        "periods.index",
        "/funds/periods",
        RECORDERS,
        lambda c: {"closed_through": "2001-12-31", "note": "2001 年度关账"},
        "/funds/periods",
        bad=lambda c: {"closed_through": "2000-06-30"},
        bad_answer=200,
    ),
    Post(
        "periods.reopen",
        "/funds/periods/{period_close_id}/reopen",
        RECORDERS,
        lambda c: {"reason": "补录历史交易"},
        "/funds/periods",
        bad=lambda c: {"reason": ""},
        bad_answer=200,
    ),
]
POST_IDS = [f"{p.endpoint}:{p.url}" for p in POSTS]


# -- declarations ----------------------------------------------------------------------------


def test_every_endpoint_declares_who_may_use_it(app):
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in UNDECLARED_OK
        and declaration(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


def api_endpoints(app) -> set[str]:
    """The JSON API's operations: their matrix, by token, is tests/test_api_permissions.py."""
    return {endpoint for endpoint in app.view_functions if endpoint.startswith("api.")} - PUBLIC


def test_the_matrix_covers_every_endpoint(app):
    covered = set(PAGES) | {p.endpoint for p in POSTS} | PUBLIC | api_endpoints(app)
    assert set(app.view_functions) - UNDECLARED_OK == covered


def test_every_post_address_is_exercised(app):
    """Each URL rule that takes a POST (both the /new and the /<id> forms of an editor) has a
    case below, so a new form cannot slip in unexercised."""
    adapter = app.url_map.bind("localhost")
    exercised = {
        adapter.match(re.sub(r"\{\w+\}", "1", p.url), method="POST", return_rule=True)[0].rule
        for p in POSTS
    }
    posting = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
        and rule.endpoint not in PUBLIC
        and rule.endpoint not in api_endpoints(app)
    }
    assert posting == exercised


def test_public_endpoints_are_exactly_these(app):
    public = {e for e, v in app.view_functions.items() if declaration(v) == "public"}
    assert public == PUBLIC


# -- the records every URL and form is filled with ----------------------------------------------


@pytest.fixture
def world(app, make_user, dbs):
    return build(app, make_user, dbs)


def _matches(response, answer, ctx) -> bool:
    if isinstance(answer, int):
        return response.status_code == answer
    pattern = answer.format(**ctx)
    return response.status_code == 302 and re.fullmatch(pattern, response.location) is not None


def _post(client, case: Post, form: dict, url: str):
    data = {**form, "csrf_token": csrf_token(client, TOKEN_PAGE)}
    kwargs = {"content_type": "multipart/form-data"} if case.multipart else {}
    return client.post(url, data=data, **kwargs)


def _describe(response) -> str:
    return f"{response.status_code} {response.location or ''}"


# -- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_pages(app, world, role):
    user_id = world["users"][role]
    if role in IMPORTERS:
        world = {**world, "import_token": pending_import(app, user_id)}
    wrong = []
    for endpoint, (url, allowed, answer) in PAGES.items():
        response = client_as(app, user_id).get(url.format(**world))
        expected = answer if role in allowed else 403
        if not _matches(response, expected, world):
            wrong.append((endpoint, _describe(response), expected))
    assert wrong == []


def test_signed_out_users_are_sent_to_login_and_nothing_changes(app, world):
    before, wrong = snapshot(app), []
    for url, _allowed, _answer in PAGES.values():
        response = client_as(app, None).get(url.format(**world))
        if not response.location or not response.location.startswith("/login?next="):
            wrong.append(("GET", url, _describe(response)))
    for case in POSTS:
        client = client_as(app, None)
        data = {**case.good(world), "csrf_token": csrf_token(client, "/login")}
        kwargs = {"content_type": "multipart/form-data"} if case.multipart else {}
        response = client.post(case.url.format(**world), data=data, **kwargs)
        if not response.location or not response.location.startswith("/login?next="):
            wrong.append(("POST", case.url, _describe(response)))
    assert wrong == []
    assert snapshot(app) == before


# -- every POST, as every role -----------------------------------------------------------------


def _with_pending_import(app, world, case, user_id):
    if "{import_token}" in case.url:
        return {**world, "import_token": pending_import(app, user_id)}
    return world


@pytest.mark.parametrize("case", POSTS, ids=POST_IDS)
def test_roles_without_the_right_get_403_and_nothing_changes(app, world, case):
    """Each refused role posts the valid form with a valid token; and a role with the right
    posting a bad form gets its documented answer (a re-rendered form, 400, or back to the
    page with a message), with nothing changed either."""
    world = _with_pending_import(app, world, case, world["users"]["admin"])
    url = case.url.format(**world)
    before, wrong = snapshot(app), []
    for role in sorted(EVERYONE - case.allowed):
        response = _post(client_as(app, world["users"][role]), case, case.good(world), url)
        if response.status_code != 403:
            wrong.append((role, _describe(response)))
    if case.bad:
        role = next(r for r in reversed(ROLES) if r in case.allowed)  # the least privileged
        response = _post(client_as(app, world["users"][role]), case, case.bad(world), url)
        if not _matches(response, case.bad_answer, world):
            wrong.append((role, "bad form", _describe(response), case.bad_answer))
    assert wrong == []
    assert snapshot(app) == before


ALLOWED = [(case, role) for case in POSTS for role in ROLES if role in case.allowed]


@pytest.mark.parametrize(
    ("case", "role"), ALLOWED, ids=[f"{c.endpoint}:{c.url}-{r}" for c, r in ALLOWED]
)
def test_roles_with_the_right_get_the_documented_answer(app, world, case, role):
    """A valid form: the redirect after success, and the change is made."""
    user_id = world["users"][role]
    world = _with_pending_import(app, world, case, user_id)
    before = snapshot(app)
    response = _post(client_as(app, user_id), case, case.good(world), case.url.format(**world))
    assert _matches(response, case.answer, world), _describe(response)
    if case.writes:
        assert snapshot(app) != before


def test_the_assignee_ticks_off_a_task_that_risk_may_not(app, world, make_user, dbs):
    """Ticking a task off is open to readers of the pipeline, but only for their own tasks
    unless they work on deals."""
    from fundcrm.models import Task

    risk = world["users"]["risk"]
    task = dbs.get(Task, world["task_id"])
    task.assignee_id = risk
    dbs.commit()
    client = client_as(app, risk)
    response = _post(client, POSTS[0], {"done": "1"}, f"/tasks/{world['task_id']}/done")
    assert response.location == "/tasks"
    dbs.expire_all()
    assert dbs.get(Task, world["task_id"]).status == "done"


def test_a_refused_move_from_the_board_gets_422_and_changes_nothing(app, world):
    client = client_as(app, world["users"]["risk"])
    before = snapshot(app)
    response = client.post(
        f"/deals/{world['deal_id']}/move",
        json={"to_stage": "nowhere"},
        headers={"X-CSRFToken": csrf_token(client, TOKEN_PAGE)},
    )
    assert response.status_code == 422 and response.json["ok"] is False
    assert snapshot(app) == before


# -- missing records ---------------------------------------------------------------------------

MISSING = 987654


def _with_missing_ids(url: str) -> str:
    return re.sub(r"\{\w+_id\}", str(MISSING), url)


def test_a_missing_record_is_404_and_nothing_changes(app, world):
    client = client_as(app, world["users"]["admin"])
    before, wrong = snapshot(app), []
    for url, _allowed, _answer in PAGES.values():
        if "_id}" in url and client.get(_with_missing_ids(url)).status_code != 404:
            wrong.append(("GET", url))
    for case in POSTS:
        if "_id}" in case.url:
            # a role that may send it (only IC members vote)
            role = "admin" if "admin" in case.allowed else sorted(case.allowed)[0]
            sender = client if role == "admin" else client_as(app, world["users"][role])
            response = _post(sender, case, case.good(world), _with_missing_ids(case.url))
            if response.status_code != 404:
                wrong.append(("POST", case.url, _describe(response)))
    assert wrong == []
    assert snapshot(app) == before


def test_an_unknown_import_leads_back_to_the_upload_page(app, world):
    client = client_as(app, world["users"]["manager"])
    assert client.get(f"/imports/{NO_IMPORT}").location == "/imports"
    for action in ("confirm", "discard"):
        response = _post(client, POSTS[0], {}, f"/imports/{NO_IMPORT}/{action}")
        assert response.location == "/imports"


# -- public endpoints and mixed roles ------------------------------------------------------------


def test_public_posts_answer_everyone(app, world):
    for user_id, page in ((None, "/login"), (world["users"]["viewer"], TOKEN_PAGE)):
        client = client_as(app, user_id)
        token = csrf_token(client, page)
        response = client.post("/language", data={"locale": "en", "csrf_token": token})
        assert response.status_code == 302 and response.location == "/"
    response = client_as(app, world["users"]["viewer"]).get("/login")
    assert response.status_code == 302 and response.location == "/"
    assert client_as(app, None).get("/healthz").status_code == 200


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
