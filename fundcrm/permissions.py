"""Who may do what: the one place every permission decision is made.

Each view is marked with `@public` or `@requires(ABILITY)`; a before-request hook refuses any
endpoint that carries no mark, so a forgotten declaration fails closed (and a test fails).
An ability is held by roles; some abilities also have a record rule (`RECORD_RULES`) that
decides for one record: `user_can(user, "edit_pipeline", deal)`. Views, services, templates
(`can('edit_pipeline', deal)`) and pick-lists (`roles_with`) all ask `user_can`; no other module
reads a user's roles.
"""

from collections.abc import Callable

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import Forbidden

ANY_SIGNED_IN = "any_signed_in"

# ability → roles holding it (ANY_SIGNED_IN: every signed-in user, whatever the role)
ABILITIES: dict[str, frozenset[str] | str] = {
    "use_app": ANY_SIGNED_IN,
    "manage_users": frozenset({"admin"}),
    "read_audit": frozenset({"admin", "risk"}),
    "read_funds": ANY_SIGNED_IN,
    "manage_funds": frozenset({"admin"}),
    "manage_gates": frozenset({"admin"}),
    # The pipeline is confidential to the fund's staff: LP representatives do not see it.
    "read_pipeline": frozenset({"admin", "manager", "ic_member", "risk"}),
    "edit_pipeline": frozenset({"admin", "manager"}),
    # Risk edits companies too: accepting a pilot-era USCC is its call.
    "edit_companies": frozenset({"admin", "manager", "risk"}),
    "move_deals": frozenset({"admin", "manager", "risk"}),
    "override_mandate": frozenset({"admin", "risk"}),
    # Risk's "My deals" are the deals whose moves broke a mandate or overrode a breach.
    "review_mandates": frozenset({"risk"}),
    "merge_companies": frozenset({"admin"}),
    # Imports write business data in bulk (each kind needs its own ability too:
    # KIND_ABILITIES); exports read what the lists show.
    "import_data": frozenset({"admin", "manager", "risk"}),
    "export_data": frozenset({"admin", "manager", "ic_member", "risk"}),
    # Background jobs are started by exports and imports; RECORD_RULES: each job is its owner's.
    "see_jobs": frozenset({"admin", "manager", "ic_member", "risk", "viewer"}),
    "see_all_jobs": frozenset({"admin"}),
    # IC memos: the fund's staff read them; the deal team (and an administrator) writes them.
    "read_memos": frozenset({"admin", "manager", "ic_member", "risk"}),
    "write_memos": frozenset({"admin", "manager"}),
    # The IC's members, and the register of their conflicts (回避): a member declares their own,
    # risk and administrators record anyone's (RECORD_RULES).
    "sit_on_ic": frozenset({"ic_member"}),
    "read_conflicts": frozenset({"admin", "risk", "ic_member"}),
    "record_conflicts": frozenset({"admin", "risk", "ic_member"}),
    "record_any_conflict": frozenset({"admin", "risk"}),
    # IC meetings: the staff read them (an IC member the meetings it sits on, RECORD_RULES);
    # an administrator (the IC's secretariat) schedules them and sets their agendas.
    "read_meetings": frozenset({"admin", "manager", "ic_member", "risk"}),
    "manage_meetings": frozenset({"admin"}),
    # A seat: a member of the item's meeting not recused on it votes (RECORD_RULES).
    "cast_votes": frozenset({"ic_member"}),
    # The chair (unless recused on the item) or an administrator closes a vote, records a
    # meeting's attendance and waives a condition of its decisions.
    "chair_meetings": frozenset({"admin", "ic_member"}),
    # The portfolio: the staff read it; transactions and marks are entered by the deal teams,
    # risk and administrators; a direct investment (history, corrections) is risk's or an
    # administrator's; a mark counts once a second person with the risk role approves it.
    "read_portfolio": frozenset({"admin", "manager", "ic_member", "risk"}),
    "record_transactions": frozenset({"admin", "manager", "risk"}),
    "record_direct_investments": frozenset({"admin", "risk"}),
    "review_marks": frozenset({"risk"}),
    # Each LP's committed, paid-in and unfunded amounts; the other staff see the totals.
    "read_lp_accounts": frozenset({"admin", "risk", "manager"}),
    # Each user's own notifications (RECORD_RULES).
    "see_notifications": ANY_SIGNED_IN,
    # Questions on a memo: the IC members (and administrators) ask, its deal team answers.
    "ask_questions": frozenset({"admin", "ic_member"}),
    # A condition's evidence is confirmed by risk (DOMAIN.md section 4); the chair or an
    # administrator waives one: the page resolving conditions is theirs.
    "confirm_conditions": frozenset({"risk"}),
    "resolve_conditions": frozenset({"admin", "ic_member", "risk"}),
    # Decisions taken before the system, for deals imported at 签约 or 交割.
    "record_decisions": frozenset({"admin", "risk"}),
    # The deal team's workspace: activities, tasks, due diligence, documents.
    "work_on_deals": frozenset({"admin", "manager"}),
    "manage_checklists": frozenset({"admin"}),
    # Record-level abilities: the roles that may ever do it; RECORD_RULES decide per record.
    "edit_activity": frozenset({"admin", "manager"}),
    "edit_task": frozenset({"admin", "manager"}),
    "complete_task": frozenset({"admin", "manager", "ic_member", "risk"}),
    # A pilot-era USCC that fails the checksum is accepted on the web only by risk or admin.
    "accept_pilot_uscc": frozenset({"admin", "risk"}),
    # An LP's capital account: the staff who read LP accounts, and the representative (viewer)
    # tied to that LP (RECORD_RULES); its sub-funds' performance and portfolio summaries too.
    "read_lp_account": frozenset({"admin", "risk", "manager", "viewer"}),
    # Compliance with the guidance-fund rules (DOMAIN.md section 1), and the action plan's
    # targets: the fund's staff.
    "read_compliance": frozenset({"admin", "manager", "ic_member", "risk"}),
    # A manager whose move a mandate breach refused asks risk or an administrator to perform it
    # (who decide with override_mandate); only on a deal the manager may move (RECORD_RULES).
    "request_overrides": frozenset({"manager"}),
    # Closing and reopening a period (DOMAIN.md section 8).
    "close_periods": frozenset({"admin", "risk"}),
    # A portfolio company's KPIs and milestones: the deal teams, risk and administrators.
    "record_kpis": frozenset({"admin", "manager", "risk"}),
    # The annual report (DOMAIN.md section 8): the staff who read LP accounts make any edition;
    # an LP's representative only the LP edition of its own LP (RECORD_RULES), and downloads
    # only those issued editions.
    "make_reports": frozenset({"admin", "risk", "manager", "viewer"}),
    "make_staff_reports": frozenset({"admin", "risk", "manager"}),
    # The industry map: each measure is seen by who reads its source (the pipeline's or the
    # portfolio's), and a representative tied to an LP sees the portfolio measures of its LP's
    # sub-funds (RECORD_RULES, per measure).
    "read_map": frozenset({"admin", "manager", "ic_member", "risk", "viewer"}),
    # Personal API tokens: every user makes and revokes their own (RECORD_RULES).
    "manage_own_tokens": ANY_SIGNED_IN,
}


def on_deal_team(user, deal) -> bool:
    """The deal's owner or a member of its team."""
    return deal.owner_id == user.id or any(m.user_id == user.id for m in deal.team)


def _is_admin(user) -> bool:
    return user.has_role("admin")


def sees_votes(user, seat) -> bool:
    """Whether the user may see an item's votes and tally once closed: anyone who reads the
    IC, but not a member recused on it (DOMAIN.md section 4)."""
    return user_can(user, "read_meetings") and user.id not in seat.recused_ids


def _deal_of(record):
    return getattr(record, "deal", None)


# What importing or exporting each kind of file needs besides import_data / export_data: what
# its records' forms need. Historical transactions are risk's or an administrator's (as a
# direct investment is); LP flows and fees the administrator's; each LP's flows are read with
# read_lp_accounts.
KIND_ABILITIES = {
    "import": {
        "sub_funds": "edit_pipeline",
        "commitments": "edit_pipeline",
        "companies": "edit_pipeline",
        "deals": "edit_pipeline",
        "transactions": "record_direct_investments",
        "valuations": "record_transactions",
        "lp_flows": "manage_funds",
        "expenses": "manage_funds",
        "kpis": "record_kpis",
        "milestones": "record_kpis",
    },
    "export": {
        "transactions": "read_portfolio",
        "valuations": "read_portfolio",
        "lp_flows": "read_lp_accounts",
        "expenses": "read_portfolio",
        "kpis": "read_portfolio",
        "milestones": "read_portfolio",
    },
}


def may_import(user, kind: str) -> bool:
    return user_can(user, KIND_ABILITIES["import"].get(kind, "manage_funds"))


def may_export(user, kind: str) -> bool:
    return user_can(user, KIND_ABILITIES["export"].get(kind, "export_data"))


def tied_lp_id(user) -> int | None:
    """The LP a representative's account is tied to (DOMAIN.md section 2), if any."""
    return getattr(user, "lp_id", None)


RECORD_RULES: dict[str, Callable] = {
    # The staff who read LP accounts read any LP's; a representative only its own LP's.
    "read_lp_account": lambda user, lp: (
        user.has_role("admin", "risk", "manager") or (lp is not None and tied_lp_id(user) == lp.id)
    ),
    # A report asked for or issued (its `edition` and `lp_id`): the staff's any; a
    # representative's the LP edition of its own LP.
    "make_reports": lambda user, report: (
        user_can(user, "make_staff_reports")
        or (
            report.edition == "lp" and report.lp_id is not None and tied_lp_id(user) == report.lp_id
        )
    ),
    # A measure of the industry map (fundcrm.industry_map.measures): its source's readers; a
    # tied representative the portfolio's measures (scoped to its LP's sub-funds by the map).
    "read_map": lambda user, measure: (
        user_can(user, measure.ability) or (measure.portfolio and tied_lp_id(user) is not None)
    ),
    # A request to override is made on a deal its author may move.
    "request_overrides": lambda user, deal: user_can(user, "move_deals", deal),
    # A kind of file (its code) is imported or exported by the roles its records' forms allow.
    "import_data": may_import,
    "export_data": may_export,
    # A job, its progress and its result file are its owner's; an administrator sees all.
    "see_jobs": lambda user, job: user_can(user, "see_all_jobs") or job.user_id == user.id,
    # The deal team edits its deals; an administrator any deal.
    "edit_pipeline": lambda user, deal: _is_admin(user) or on_deal_team(user, deal),
    # A deal's workspace (checklist, documents, its activities and tasks) is its team's.
    "work_on_deals": lambda user, deal: _is_admin(user) or on_deal_team(user, deal),
    # A deal's IC memo is written by its team (or an administrator).
    "write_memos": lambda user, deal: _is_admin(user) or on_deal_team(user, deal),
    # A conflict (its member_id) is declared by the member, or recorded by risk or an admin.
    "record_conflicts": lambda user, conflict: (
        user_can(user, "record_any_conflict") or conflict.member_id == user.id
    ),
    "see_notifications": lambda user, notification: notification.user_id == user.id,
    "manage_own_tokens": lambda user, token: token.user_id == user.id,
    # A holding's transactions and marks: risk and administrators, and the teams of its deals.
    "record_transactions": lambda user, holding: (
        user.has_role("admin", "risk") or user.id in holding.team_ids
    ),
    # An IC member reads the meetings it sits on; the other staff read every meeting.
    "read_meetings": lambda user, seat: (
        not user.has_role("ic_member")
        or user.has_role("admin", "manager", "risk")
        or user.id in seat.member_ids
    ),
    # A seat on the item's meeting, not recused on its company.
    "cast_votes": lambda user, seat: user.id in seat.member_ids and user.id not in seat.recused_ids,
    # The meeting's chair, unless recused on the item; an administrator always.
    "chair_meetings": lambda user, seat: (
        _is_admin(user) or (seat.chair_id == user.id and user.id not in seat.recused_ids)
    ),
    # Risk moves any deal too: overriding a mandate breach is its call.
    "move_deals": lambda user, deal: user.has_role("admin", "risk") or on_deal_team(user, deal),
    # An activity's note is its author's and, on a deal, the deal team's.
    "edit_activity": lambda user, activity: (
        _is_admin(user)
        or activity.created_by_id == user.id
        or (_deal_of(activity) is not None and on_deal_team(user, activity.deal))
    ),
    # A task is edited by whoever set it, its assignee or the deal's team.
    "edit_task": lambda user, task: (
        _is_admin(user)
        or user.id in (task.created_by_id, task.assignee_id)
        or (_deal_of(task) is not None and on_deal_team(user, task.deal))
    ),
    # Ticking a task off: its assignee, whatever the role, besides those who may edit it.
    "complete_task": lambda user, task: (
        task.assignee_id == user.id or user_can(user, "edit_task", task)
    ),
}

# What a refused record-level action says (the 403 page): the rule beside it, in words, as the
# role itself is fine. One per ability in RECORD_RULES (a test checks).
RECORD_REFUSALS = {
    "read_lp_account": _l("An LP representative sees only the account of the LP it represents."),
    "request_overrides": _l(
        "Only the deal's owner and team may ask for an override of this deal's move."
    ),
    "make_reports": _l("An LP representative gets only the LP edition of its own LP's report."),
    "read_map": _l(
        "An LP representative sees only the portfolio measures of its LP's sub-funds on the map."
    ),
    "import_data": _l(
        "Your role does not import this kind of file: it is imported by those who enter its "
        "records."
    ),
    "export_data": _l("Your role does not export this kind of file."),
    "record_transactions": _l(
        "Only the teams of the holding's deals, risk or an administrator record its "
        "transactions and marks."
    ),
    "see_notifications": _l("A notification is its recipient's only."),
    "manage_own_tokens": _l("An API token is its user's only: only they may revoke it."),
    "read_meetings": _l("An IC member sees the meetings it sits on."),
    "cast_votes": _l(
        "Only the meeting's IC members vote, and not on a company they have a conflict with."
    ),
    "chair_meetings": _l(
        "Only the meeting's chair (unless recused on this item) or an administrator may do this."
    ),
    "write_memos": _l("Only the deal's owner and team or an administrator may write its IC memo."),
    "record_conflicts": _l(
        "An IC member declares their own conflicts; risk or an administrator records anyone's."
    ),
    "see_jobs": _l("Only whoever started this job or an administrator may see it and its file."),
    "edit_pipeline": _l("Only the deal's owner and team or an administrator may change this deal."),
    "work_on_deals": _l(
        "Only the deal's owner and team or an administrator may work on this deal's activities, "
        "tasks, checklist and documents."
    ),
    "move_deals": _l(
        "Only the deal's owner and team, risk or an administrator may move this deal."
    ),
    "edit_activity": _l(
        "Only the activity's author, the deal's owner and team or an administrator may change "
        "this activity."
    ),
    "edit_task": _l(
        "Only whoever set the task, its assignee, the deal's owner and team or an administrator "
        "may change this task."
    ),
    "complete_task": _l(
        "Only the task's assignee, whoever set it, the deal's owner and team or an administrator "
        "may tick off this task."
    ),
}


class RecordRefused(Forbidden):
    """A 403 about one record, not the role: its description names the rule."""


PUBLIC = "public"
_MARK = "__fundcrm_permission__"


def public(view: Callable) -> Callable:
    """Reachable without signing in (login, health check, language choice)."""
    setattr(view, _MARK, PUBLIC)
    return view


def requires(ability: str) -> Callable[[Callable], Callable]:
    if ability not in ABILITIES:
        raise KeyError(f"unknown ability {ability!r}")

    def mark(view: Callable) -> Callable:
        setattr(view, _MARK, ability)
        return view

    return mark


def declaration(view: Callable) -> str | None:
    return getattr(view, _MARK, None)


def roles_with(ability: str) -> frozenset[str]:
    """The roles holding an ability (every role for one open to all signed-in users)."""
    from fundcrm.domain.vocab import ROLES

    holders = ABILITIES[ability]
    return frozenset(ROLES.codes) if holders == ANY_SIGNED_IN else holders


def user_can(user, ability: str, record=None) -> bool:
    """Whether the user holds the ability and, for a record, whether its rule allows it.

    Without a record only the roles are asked (a route's declaration, a menu entry)."""
    if not (user and user.is_authenticated):
        return False
    holders = ABILITIES[ability]
    if holders != ANY_SIGNED_IN and not user.has_role(*holders):
        return False
    rule = RECORD_RULES.get(ability)
    return record is None or rule is None or rule(user, record)


def authorize(ability: str, record=None) -> None:
    """Refuse the request (403) unless the signed-in user may do this to this record; a
    refusal by the record's rule (the role is fine) names the rule."""
    if user_can(current_user, ability, record):
        return
    if record is not None and ability in RECORD_REFUSALS and user_can(current_user, ability):
        raise RecordRefused(description=str(RECORD_REFUSALS[ability]))
    abort(403)


def can_access(endpoint: str) -> bool:
    """Whether the signed-in user may open an endpoint (navigation uses this)."""
    view = current_app.view_functions.get(endpoint)
    mark = declaration(view) if view else None
    if mark == PUBLIC:
        return True
    return mark is not None and user_can(current_user, mark)


def _enforce():
    if request.endpoint is None or request.endpoint == "static":
        return None
    mark = declaration(current_app.view_functions[request.endpoint])
    if mark == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if request.blueprint == "api":  # a program has no login page to go to
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if mark is None or not user_can(current_user, mark):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    app.before_request(_enforce)
    app.jinja_env.globals.update(
        # the user itself, not the proxy: a board asks once per card
        can=lambda ability, record=None: user_can(
            current_user._get_current_object(), ability, record
        ),
        can_access=can_access,
    )
