"""What the requests to override a mandate breach, the closed periods and the issued annual
reports are called in the audit trail (merged into fundcrm.history.labels)."""

from flask_babel import lazy_gettext as _l

from fundcrm.history.columns import (
    ACCOUNT,
    BYTES,
    CREATED,
    DAY,
    DEAL,
    ID,
    INSTANT,
    VERSION,
    Column,
    Table,
    code,
    kept,
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
    "issued_reports": Table(
        _l("Issued annual report"),
        own(_l("Issued annual report"), "issued_reports"),
        {
            "id": ID,
            "year": text(_l("Year")),
            "sub_fund_code": text(_l("Sub-fund")),
            "edition": text(_l("Edition")),
            "lp_id": ref(_l("LP"), "lps"),
            "language": text(_l("Language")),
            "file_format": text(_l("Format")),
            "file_name": kept(_l("Stored file")),
            "download_name": text(_l("File name")),
            "sha256": text(_l("SHA-256 checksum")),
            "size_bytes": Column(_l("Size"), BYTES),
            "figures": kept(_l("Figures kept")),
            "issued_by_id": ref(_l("Issued by"), "users"),
            "issued_by_label": kept(_l("Issued by (as recorded)"), ACCOUNT),
            "issued_at": Column(_l("Issued at"), INSTANT),
        },
    ),
}
