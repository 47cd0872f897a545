"""Who may do what: the one place every endpoint's access is declared and checked.

Each view is marked with `@public` or `@requires(ABILITY)`; a before-request hook refuses any
endpoint that carries no mark, so a forgotten declaration fails closed (and a test fails).
"""

from collections.abc import Callable

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

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
    "merge_companies": frozenset({"admin"}),
    # Imports write business data in bulk; exports read what the lists show.
    "import_data": frozenset({"admin", "manager"}),
    "export_data": frozenset({"admin", "manager", "ic_member", "risk"}),
    # The deal team's workspace: activities, tasks, due diligence, documents.
    "work_on_deals": frozenset({"admin", "manager"}),
    "manage_checklists": frozenset({"admin"}),
}

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


def user_can(user, ability: str) -> bool:
    if not (user and user.is_authenticated):
        return False
    holders = ABILITIES[ability]
    return holders == ANY_SIGNED_IN or user.has_role(*holders)


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
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if mark is None or not user_can(current_user, mark):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    app.before_request(_enforce)
    app.jinja_env.globals.update(
        can=lambda ability: user_can(current_user, ability), can_access=can_access
    )
