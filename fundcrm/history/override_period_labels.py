"""What the requests to override a mandate breach and the closed periods are called in the
audit trail (merged into fundcrm.history.labels)."""

from flask_babel import lazy_gettext as _l

from fundcrm.history.columns import (
    CREATED,
    DAY,
    DEAL,
    ID,
    INSTANT,
    VERSION,
    Column,
    Table,
    code,
    own,
    ref,
    text,
)

OVERRIDE_PERIOD_LABELS: dict[str, Table] = {
    "override_requests": Table(
        _l("Override request"),
        own(_l("Override request"), "override_requests"),
        {
            "id": ID,
            "deal_id": DEAL,
            "from_stage": code(_l("From stage"), "stage"),
            "to_stage": code(_l("To stage"), "stage"),
            "breaches": text(_l("Mandate breaches")),
            "note": text(_l("Why the override is asked")),
            "status": code(_l("Status"), "override_status"),
            "requested_by_id": ref(_l("Requested by"), "users"),
            "decided_by_id": ref(_l("Decision made by"), "users"),
            "decided_at": Column(_l("Decision made at"), INSTANT),
            "decision_reason": text(_l("Reason for the decision")),
            "created_at": CREATED,
            "version": VERSION,
        },
    ),
    "period_closes": Table(
        _l("Closed period"),
        own(_l("Closed period"), "period_closes"),
        {
            "id": ID,
            "closed_through": Column(_l("Closed through"), DAY),
            "closed_by_id": ref(_l("Period closed by"), "users"),
            "closed_at": Column(_l("Closed at"), INSTANT),
            "note": text(_l("Note")),
            "reopened_by_id": ref(_l("Reopened by"), "users"),
            "reopened_at": Column(_l("Reopened at"), INSTANT),
            "reopen_reason": text(_l("Reason for reopening")),
        },
    ),
}
