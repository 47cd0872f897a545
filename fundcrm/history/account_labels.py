"""What a user's personal API tokens are called in the audit trail (merged into
fundcrm.history.labels). The token itself is never kept: only its hash, masked."""

from flask_babel import lazy_gettext as _l

from fundcrm.history.columns import (
    CREATED,
    ID,
    INSTANT,
    MASKED,
    Column,
    Table,
    kept,
    own,
    ref,
    text,
)

ACCOUNT_LABELS: dict[str, Table] = {
    "api_tokens": Table(
        _l("API token"),
        own(_l("API token"), "api_tokens"),
        {
            "id": ID,
            "user_id": ref(_l("User"), "users"),
            "name": text(_l("Token name")),
            "token_hash": Column(_l("API token"), MASKED),
            "prefix": text(_l("Starts with")),
            "created_at": CREATED,
            "expires_at": Column(_l("Expires"), INSTANT),
            "last_used_at": kept(_l("Last used"), INSTANT),
            "revoked_at": Column(_l("Revoked"), INSTANT),
        },
        title="name",
    ),
}
