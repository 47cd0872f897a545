"""What the IC's audited tables and columns are called (merged into fundcrm.history.labels)."""

from flask_babel import lazy_gettext as _l

from fundcrm.history.columns import (
    COMPANY,
    CREATED,
    CREATED_BY,
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

IC_LABELS: dict[str, Table] = {
    "ic_memos": Table(
        _l("IC memo"),
        own(_l("IC memo"), "ic_memos"),
        {"id": ID, "deal_id": DEAL, "created_by_id": CREATED_BY, "created_at": CREATED},
    ),
    "ic_memo_versions": Table(
        _l("IC memo version"),
        own(_l("IC memo version"), "ic_memo_versions"),
        {
            "id": ID,
            "memo_id": ref(_l("IC memo"), "ic_memos"),
            "number": text(_l("Version")),
            "status": code(_l("Status"), "memo_status"),
            # the sections and amounts are read on the memo's own page, version by version
            "sections": kept(_l("Sections")),
            "proposed": kept(_l("Proposed amounts")),
            "created_by_id": CREATED_BY,
            "created_at": CREATED,
            "submitted_by_id": ref(_l("Submitted by"), "users"),
            "submitted_at": Column(_l("Submitted"), INSTANT),
            "version": VERSION,
        },
        title="number",
    ),
    "ic_conflicts": Table(
        _l("IC conflict"),
        own(_l("IC conflict"), "ic_conflicts"),
        {
            "id": ID,
            "member_id": ref(_l("IC member"), "users"),
            "company_id": COMPANY,
            "reason": text(_l("Reason")),
            "declared_on": Column(_l("Declared on"), DAY),
            "recorded_by_id": ref(_l("Recorded by"), "users"),
            "created_at": CREATED,
        },
        title="reason",
    ),
}
