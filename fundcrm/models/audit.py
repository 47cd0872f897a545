"""The audit trail: written only by fundcrm.audit's session hook, never by a view."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fundcrm.models.base import timestamp_column, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __audit__ = False
    __table_args__ = (
        sa.Index("ix_audit_log_record", "table_name", "row_id"),
        sa.Index("ix_audit_log_at", "at"),
        sa.Index("ix_audit_log_actor_id", "actor_id"),
        # The entries of a record's parts (a deal's sub-funds and team, a company's application
        # fields), read with the record's own (see audit.history).
        sa.Index("ix_audit_log_parent", "parent_table", "parent_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    actor_id: int | None = Field(default=None)
    actor_label: str = Field(max_length=254)
    action: str = Field(max_length=10)  # create / update / delete
    table_name: str = Field(max_length=64)
    row_id: str = Field(max_length=64)
    # The record this row is a part of (a model's `__audit_parent__`), none for a whole record.
    parent_table: str | None = Field(default=None, max_length=64)
    parent_id: str | None = Field(default=None, max_length=64)
    changes: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # JSON {field: [old, new]}
