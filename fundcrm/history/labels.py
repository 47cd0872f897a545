"""What every audited table and column is called, and how its values read.

A test walks every audited model and finds each column here, in Chinese and in English.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from fundcrm.deals.refusals import CONDITION_LABELS, FIELD_LABELS

# How a column's values read.
TEXT = "text"
CODE = "code"  # a vocabulary code (or a code of `choices`)
CODES = "codes"  # a list of such codes
REF = "ref"  # the id of another record, shown by its name
REFS = "refs"  # a list of such ids
ACCOUNT = "account"  # a user's email (or cli, demo), shown as the user's name
MONEY = "money"  # yuan, shown in 万元
FLAG = "flag"
DAY = "day"
INSTANT = "instant"
PERCENT = "percent"
MULTIPLE = "multiple"  # a ratio such as 1.2×
SECONDS = "seconds"  # a duration, shown in days
BYTES = "bytes"
MASKED = "masked"  # a secret: only whether it was set

ACTIONS = {"create": _l("created"), "update": _l("updated"), "delete": _l("deleted")}
# Who changed data when no one was signed in (see audit.set_actor).
ACTORS = {"cli": _l("command line"), "demo": _l("demo data"), "system": _l("system")}


@dataclass(frozen=True)
class Column:
    label: object  # a lazy string
    kind: str = TEXT
    vocabulary: str | None = None  # a name in VOCABULARIES, for CODE and CODES
    choices: Mapping[str, object] | None = None  # the labels of codes no vocabulary holds
    target: str | None = None  # the kind of record a REF or REFS names (see NAMES)
    bookkeeping: bool = False  # kept for the trail, left out where people follow a record
    # another column this one only repeats when both read alike (a move's account and mover):
    # then it is left out
    repeats: str | None = None


@dataclass(frozen=True)
class Table:
    label: object
    key: tuple[Column, ...]  # how each part of a row id ("7", "7/risk") reads
    columns: dict[str, Column]
    title: str | None = None  # the column that names a row the database no longer holds


def _text(label):
    return Column(label)


def _code(label, vocabulary=None, choices=None):
    return Column(label, CODE, vocabulary=vocabulary, choices=choices)


def _codes(label, vocabulary=None, choices=None):
    return Column(label, CODES, vocabulary=vocabulary, choices=choices)


def _ref(label, target):
    return Column(label, REF, target=target)


def _kept(label, kind=TEXT):
    return Column(label, kind, bookkeeping=True)


ID = _kept(_l("Record ID"))
VERSION = _kept(_l("Version"))
CREATED = Column(_l("Created"), INSTANT)
UPDATED = _kept(_l("Updated"), INSTANT)
COMPANY = _ref(_l("Company"), "companies")
DEAL = _ref(_l("Deal"), "deals")
SUB_FUND = _ref(_l("Sub-fund"), "sub_funds")
CREATED_BY = _ref(_l("Created by"), "users")
# the search index's tokens of a record's text (fundcrm.search)
SEARCH_TOKENS = _kept(_l("Search tokens"))
# the company list's sort key, repeating the company's first application field
FIRST_FIELD = Column(_l("First application field"), CODE, "application_field", bookkeeping=True)
LANGUAGES = {"zh_CN": "中文", "en": "English"}
TASK_STATUSES = {"open": _l("Open"), "done": _l("Done")}
MOVE_KINDS = {"create": _l("created"), "move": _l("moved"), "import": _l("imported")}


def _own(label, target):
    """The key of a table whose rows are named by their own id."""
    return (_ref(label, target),)


LABELS: dict[str, Table] = {
    "users": Table(
        _l("User"),
        _own(_l("User"), "users"),
        {
            "id": ID,
            "email": _text(_l("Email")),
            "name": _text(_l("Name")),
            "password_hash": Column(_l("Password"), MASKED),
            "active": Column(_l("Active"), FLAG),
            "locale": _code(_l("Language"), choices=LANGUAGES),
            "created_at": CREATED,
            "session_token": Column(_l("Sign-in sessions"), MASKED, bookkeeping=True),
        },
        title="name",
    ),
    "user_roles": Table(
        _l("Role"),
        (_ref(_l("User"), "users"), _code(_l("Role"), "role")),
        {"user_id": _ref(_l("User"), "users"), "role": _code(_l("Role"), "role")},
    ),
    "fund_settings": Table(
        _l("Fund settings"),
        _own(_l("Fund"), "fund_settings"),
        {
            "id": ID,
            "name": _text(_l("Fund name")),
            "name_en": _text(_l("English name")),
            "target_yuan": Column(_l("Target size"), MONEY),
            "phases": _text(_l("Phases")),
        },
        title="name",
    ),
    "sub_funds": Table(
        _l("Sub-fund"),
        _own(_l("Sub-fund"), "sub_funds"),
        {
            "id": ID,
            "code": _text(_l("Code")),
            "name": _text(_l("Sub-fund name")),
            "name_en": _text(_l("English name")),
            "target_yuan": Column(_l("Target size"), MONEY),
            "first_close": Column(_l("First close"), DAY),
            "investment_end": Column(_l("Investment period ends"), DAY),
            "term_end": Column(_l("Term ends"), DAY),
            "allowed_stages": _codes(_l("Allowed enterprise stages"), "enterprise_stage"),
            "focus_areas": _codes(_l("Focus areas"), "focus_area"),
            "project_cap_pct": Column(_l("Single-project cap"), PERCENT),
            "ic_quorum": _text(_l("IC quorum")),
            "ic_threshold": _text(_l("IC approval threshold")),
            "ic_min_eligible": _text(_l("IC minimum eligible members")),
            "veto_holder_ids": Column(_l("Veto holders"), REFS, target="users"),
        },
        title="name",
    ),
    "lps": Table(
        _l("LP"),
        _own(_l("LP"), "lps"),
        {
            "id": ID,
            "name": _text(_l("LP name")),
            "lp_type": _code(_l("LP type"), "lp_type"),
            "is_government": Column(_l("Government LP"), FLAG),
        },
        title="name",
    ),
    "commitments": Table(
        _l("Commitment"),
        _own(_l("Commitment"), "commitments"),
        {
            "id": ID,
            "lp_id": _ref(_l("LP"), "lps"),
            "sub_fund_id": SUB_FUND,
            "committed_yuan": Column(_l("Committed amount"), MONEY),
            "reinvest_ratio": Column(_l("Re-investment ratio"), MULTIPLE),
            "reinvest_area": _codes(_l("Re-investment area"), "reinvest_area"),
            "reinvest_base": _code(_l("Re-investment base"), "reinvest_base"),
            "created_at": CREATED,
        },
    ),
    "companies": Table(
        _l("Company"),
        _own(_l("Company"), "companies"),
        {
            "id": ID,
            "name": _text(_l("Company name")),
            "name_key": _kept(_l("Name for duplicate checks")),
            "uscc": _text(_l("USCC")),
            "name_en": _text(_l("English name")),
            "district": _code(_l("District"), "district"),
            "city": _text(_l("City")),
            "zone": _code(_l("Cluster zone"), "zone"),
            "founded_on": Column(_l("Founded on"), DAY),
            "headcount": _text(_l("Headcount")),
            "website": _text(_l("Website")),
            "focus_area": _code(_l("Focus area"), "focus_area"),
            "enterprise_stage": _code(_l("Enterprise stage"), "enterprise_stage"),
            "specialized_level": _code(_l("Specialised SME level"), "specialized_level"),
            "description": _text(_l("Description")),
            "uscc_override_reason": _text(_l("USCC override reason")),
            "uscc_override_by": Column(_l("USCC override by"), ACCOUNT),
            "first_field": FIRST_FIELD,
            "search_tokens": SEARCH_TOKENS,
            "created_at": CREATED,
            "version": VERSION,
        },
        title="name",
    ),
    "company_fields": Table(
        _l("Application field"),
        (COMPANY, _code(_l("Application field"), "application_field")),
        {"company_id": COMPANY, "field": _code(_l("Application field"), "application_field")},
    ),
    "contacts": Table(
        _l("Contact"),
        _own(_l("Contact"), "contacts"),
        {
            "id": ID,
            "company_id": COMPANY,
            "name": _text(_l("Name")),
            "title": _text(_l("Title")),
            "phone": _text(_l("Phone")),
            "email": _text(_l("Email")),
            "wechat": _text(_l("WeChat")),
        },
        title="name",
    ),
    "deals": Table(
        _l("Deal"),
        _own(_l("Deal"), "deals"),
        {
            "id": ID,
            "deal_ref": _text(_l("Reference")),
            "company_id": COMPANY,
            "round": _code(_l("Round"), "round"),
            "stage": _code(_l("Stage"), "stage"),
            "stage_entered_at": Column(_l("Entered the stage"), INSTANT),
            "return_stage": _code(_l("Stage to return to"), "stage"),
            "source": _code(_l("Source"), "source"),
            "owner_id": _ref(_l("Owner"), "users"),
            "ask_yuan": Column(_l("Amount sought"), MONEY),
            "pre_money_yuan": Column(_l("Pre-money valuation"), MONEY),
            "proposed_total_yuan": Column(_l("Total proposed"), MONEY),
            "next_step": _text(_l("Next step")),
            "next_step_due": Column(_l("Next step due"), DAY),
            "pass_reason": _text(_l("Pass reason")),
            "notes": _text(_l("Notes")),
            "search_tokens": SEARCH_TOKENS,
            "created_on": Column(_l("Created on"), DAY),
            "updated_at": UPDATED,
            "version": VERSION,
        },
        title="deal_ref",
    ),
    "deal_sub_funds": Table(
        _l("Sub-fund share"),
        _own(_l("Sub-fund share"), "deal_sub_funds"),
        {
            "id": ID,
            "deal_id": DEAL,
            "sub_fund_id": SUB_FUND,
            "proposed_yuan": Column(_l("Proposed amount"), MONEY),
        },
    ),
    "deal_team": Table(
        _l("Deal team"),
        (DEAL, _ref(_l("Team member"), "users")),
        {"deal_id": DEAL, "user_id": _ref(_l("Team member"), "users")},
    ),
    "stage_moves": Table(
        _l("Stage move"),
        _own(_l("Stage move"), "stage_moves"),
        {
            "id": ID,
            "deal_id": DEAL,
            "from_stage": _code(_l("From stage"), "stage"),
            "to_stage": _code(_l("To stage"), "stage"),
            "at": Column(_l("When"), INSTANT),
            "by_id": _ref(_l("Moved by"), "users"),
            "by_label": Column(_l("Moved by (account)"), ACCOUNT, repeats="by_id"),
            "seconds_in_stage": Column(_l("Time in the stage left"), SECONDS),
            "kind": _code(_l("Kind"), choices=MOVE_KINDS),
            "reason": _text(_l("Reason")),
            "override_reason": _text(_l("Override reason")),
            "breaches": _text(_l("Mandate breaches")),
        },
    ),
    "stage_gates": Table(
        _l("Gate"),
        (_code(_l("Stage"), "stage"),),
        {
            "to_stage": _code(_l("Stage"), "stage"),
            "required_fields": _codes(_l("Required fields"), choices=FIELD_LABELS),
            "conditions": _codes(_l("Conditions"), choices=CONDITION_LABELS),
        },
    ),
    "deal_ref_counters": Table(
        _l("Deal reference numbers"),
        (_text(_l("Reference prefix")), _text(_l("Year"))),
        {
            "prefix": _text(_l("Reference prefix")),
            "year": _text(_l("Year")),
            "last_number": _text(_l("Last number given")),
        },
    ),
    "activities": Table(
        _l("Activity"),
        _own(_l("Activity"), "activities"),
        {
            "id": ID,
            "company_id": COMPANY,
            "deal_id": DEAL,
            "kind": _code(_l("Kind"), "activity_kind"),
            "occurred_on": Column(_l("Date"), DAY),
            "summary": _text(_l("Summary")),
            "search_tokens": SEARCH_TOKENS,
            "created_by_id": CREATED_BY,
            "created_at": CREATED,
        },
    ),
    "activity_users": Table(
        _l("Activity participant (staff)"),
        (_ref(_l("Activity"), "activities"), _ref(_l("Our participants"), "users")),
        {
            "activity_id": _ref(_l("Activity"), "activities"),
            "user_id": _ref(_l("Our participants"), "users"),
        },
    ),
    "activity_contacts": Table(
        _l("Activity participant (contact)"),
        (_ref(_l("Activity"), "activities"), _ref(_l("Company's participants"), "contacts")),
        {
            "activity_id": _ref(_l("Activity"), "activities"),
            "contact_id": _ref(_l("Company's participants"), "contacts"),
        },
    ),
    "tasks": Table(
        _l("Task"),
        _own(_l("Task"), "tasks"),
        {
            "id": ID,
            "title": _text(_l("Task")),
            "due_on": Column(_l("Due date"), DAY),
            "assignee_id": _ref(_l("Assignee"), "users"),
            "deal_id": DEAL,
            "status": _code(_l("Status"), choices=TASK_STATUSES),
            "is_next_step": Column(_l("The deal's next step"), FLAG),
            "done_at": Column(_l("Done at"), INSTANT),
            "created_by_id": CREATED_BY,
            "created_at": CREATED,
        },
        title="title",
    ),
    "dd_template_items": Table(
        _l("DD template item"),
        _own(_l("DD template item"), "dd_template_items"),
        {
            "id": ID,
            "workstream": _code(_l("Workstream"), "dd_workstream"),
            "title": _text(_l("Item")),
            "position": _text(_l("Position")),
            "active": Column(_l("In use for new checklists"), FLAG),
        },
        title="title",
    ),
    "dd_items": Table(
        _l("DD item"),
        _own(_l("DD item"), "dd_items"),
        {
            "id": ID,
            "deal_id": DEAL,
            "workstream": _code(_l("Workstream"), "dd_workstream"),
            "title": _text(_l("Item")),
            "position": _text(_l("Position")),
            "status": _code(_l("Status"), "dd_status"),
            "waive_reason": _text(_l("Reason for waiving")),
            "owner_id": _ref(_l("Owner"), "users"),
            "finding": _text(_l("Finding")),
            "severity": _code(_l("Severity"), "severity"),
            "updated_at": UPDATED,
        },
        title="title",
    ),
    "documents": Table(
        _l("Document"),
        _own(_l("Document"), "documents"),
        {
            "id": ID,
            "company_id": COMPANY,
            "deal_id": DEAL,
            "dd_item_id": _ref(_l("DD item"), "dd_items"),
            "title": _text(_l("Document title")),
            "version": _text(_l("Version")),
            "filename": _text(_l("File name")),
            "file_type": _text(_l("File type")),
            "size_bytes": Column(_l("Size"), BYTES),
            "sha256": _text(_l("SHA-256 checksum")),
            "storage_name": _kept(_l("Stored as")),
            "uploaded_by_id": _ref(_l("Uploaded by"), "users"),
            "uploaded_at": Column(_l("Uploaded"), INSTANT),
        },
        title="title",
    ),
    "ic_memos": Table(
        _l("IC memo"),
        _own(_l("IC memo"), "ic_memos"),
        {"id": ID, "deal_id": DEAL, "created_by_id": CREATED_BY, "created_at": CREATED},
    ),
    "ic_memo_versions": Table(
        _l("IC memo version"),
        _own(_l("IC memo version"), "ic_memo_versions"),
        {
            "id": ID,
            "memo_id": _ref(_l("IC memo"), "ic_memos"),
            "number": _text(_l("Version")),
            "status": _code(_l("Status"), "memo_status"),
            # the sections and amounts are read on the memo's own page, version by version
            "sections": _kept(_l("Sections")),
            "proposed": _kept(_l("Proposed amounts")),
            "created_by_id": CREATED_BY,
            "created_at": CREATED,
            "submitted_by_id": _ref(_l("Submitted by"), "users"),
            "submitted_at": Column(_l("Submitted"), INSTANT),
            "version": VERSION,
        },
        title="number",
    ),
}
