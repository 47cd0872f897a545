"""What a deal team records between first meeting and IC: activities, tasks, due-diligence
checklists and documents."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.models.base import timestamp_column, utcnow
from fundcrm.models.companies import Contact
from fundcrm.models.deals import Deal, unset_last
from fundcrm.models.users import User


def _cascade_fk(target: str, **kwargs) -> sa.Column:
    return sa.Column(sa.Integer, sa.ForeignKey(target, ondelete="CASCADE"), **kwargs)


class Activity(SQLModel, table=True):
    __tablename__ = "activities"
    __table_args__ = (
        # the search (fundcrm.search): a GIN index of the tokens; SQLite's is an FTS5 table
        sa.Index(
            "ix_activities_search_tokens",
            sa.text("to_tsvector('simple', search_tokens)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="companies.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deals.id", index=True)
    kind: str = Field(max_length=20)
    occurred_on: date = Field(index=True)
    summary: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    # unigrams and bigrams of the summary (fundcrm.domain.search), kept by fundcrm.search
    search_tokens: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))

    users: list["ActivityUser"] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin"}
    )
    contacts: list["ActivityContact"] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin"}
    )
    # read by the record rules: the deal's team may edit it
    deal: Deal | None = Relationship(sa_relationship_kwargs={"viewonly": True})


class ActivityUser(SQLModel, table=True):
    __tablename__ = "activity_users"

    activity_id: int = Field(sa_column=_cascade_fk("activities.id", primary_key=True))
    user_id: int = Field(foreign_key="users.id", primary_key=True)

    user: User | None = Relationship(sa_relationship_kwargs={"lazy": "selectin"})


class ActivityContact(SQLModel, table=True):
    __tablename__ = "activity_contacts"

    activity_id: int = Field(sa_column=_cascade_fk("activities.id", primary_key=True))
    contact_id: int = Field(sa_column=_cascade_fk("contacts.id", primary_key=True))

    contact: Contact | None = Relationship(sa_relationship_kwargs={"lazy": "selectin"})


# A task's optimistic lock (an API update carries the version it read); the server default
# numbers the tasks that existed before it.
_TASK_VERSION = sa.Column("version", sa.Integer, nullable=False, server_default="1")


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __mapper_args__ = {"version_id_col": _TASK_VERSION}
    # One index per sort of the tasks list, for one assignee's tasks and for everyone's open
    # ones (deal and company sorts join through ix_tasks_deal_id to the deals' reference and
    # the companies' name indexes).
    __table_args__ = (
        sa.Index(
            "ix_tasks_assignee_id_status_due_on",
            "assignee_id",
            "status",
            unset_last("due_on"),
            "due_on",
        ),
        sa.Index("ix_tasks_assignee_id_due_on", "assignee_id", unset_last("due_on"), "due_on"),
        sa.Index("ix_tasks_assignee_id_title", "assignee_id", "title"),
        sa.Index("ix_tasks_assignee_id_deal_id", "assignee_id", "deal_id"),
        sa.Index("ix_tasks_status_due_on", "status", unset_last("due_on"), "due_on"),
        sa.Index("ix_tasks_status_title", "status", "title"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    due_on: date | None = None
    assignee_id: int = Field(foreign_key="users.id")
    deal_id: int | None = Field(default=None, sa_column=_cascade_fk("deals.id", index=True))
    status: str = Field(default="open", max_length=10)  # open / done
    version: int = Field(default=1, sa_column=_TASK_VERSION)
    is_next_step: bool = Field(default=False)  # mirrors the deal's next step
    done_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))

    assignee: User | None = Relationship(
        sa_relationship_kwargs={"foreign_keys": "Task.assignee_id", "lazy": "selectin"}
    )
    # read by the record rules (the deal's team) and the task rows (reference, company)
    deal: Deal | None = Relationship(sa_relationship_kwargs={"viewonly": True})


class DDTemplateItem(SQLModel, table=True):
    """An item every new checklist of a workstream starts with; admins edit the list."""

    __tablename__ = "dd_template_items"

    id: int | None = Field(default=None, primary_key=True)
    workstream: str = Field(max_length=20)
    title: str = Field(max_length=300)
    position: int = Field(default=0)
    active: bool = Field(default=True)


class DDItem(SQLModel, table=True):
    __tablename__ = "dd_items"
    __audit_parent__ = ("deals", "deal_id")

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(sa_column=_cascade_fk("deals.id", index=True, nullable=False))
    workstream: str = Field(max_length=20)
    title: str = Field(max_length=300)
    position: int = Field(default=0)
    status: str = Field(default="open", max_length=20)  # open / in_progress / done / waived
    waive_reason: str | None = Field(default=None, max_length=500)
    owner_id: int | None = Field(default=None, foreign_key="users.id")
    finding: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    severity: str = Field(default="none", max_length=20)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamp_column(nullable=False, onupdate=utcnow)
    )

    owner: User | None = Relationship(sa_relationship_kwargs={"lazy": "selectin"})


class Document(SQLModel, table=True):
    """A stored file on a company, deal or DD item; a new upload under a title adds a version."""

    __tablename__ = "documents"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int | None = Field(default=None, foreign_key="companies.id", index=True)
    deal_id: int | None = Field(default=None, sa_column=_cascade_fk("deals.id", index=True))
    dd_item_id: int | None = Field(default=None, sa_column=_cascade_fk("dd_items.id", index=True))
    title: str = Field(max_length=200)
    version: int = Field(default=1)
    filename: str = Field(max_length=255)
    file_type: str = Field(max_length=10)  # pdf, docx, … as checked from the content
    size_bytes: int
    sha256: str = Field(max_length=64)
    storage_name: str = Field(max_length=80, unique=True)
    uploaded_by_id: int | None = Field(default=None, foreign_key="users.id")
    uploaded_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamp_column(nullable=False)
    )

    uploaded_by: User | None = Relationship(sa_relationship_kwargs={"lazy": "selectin"})
