"""IC meetings (投决会), their members and agenda, and the members' votes (DOMAIN.md section 4).

An agenda item is a meeting × a submitted memo version; votes belong to an item, one per member
(the database's unique key). An item is open until its vote is closed; the decision is then
written once (fundcrm.models.ic_decisions) and the item's votes never change again.
"""

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.models.base import timestamp_column, utcnow, version_column
from fundcrm.models.ic import IcMemoVersion

_MEETING_VERSION = version_column()
_VOTE_VERSION = version_column()


def _parent(table: str, column: str = "id") -> sa.Column:
    return sa.Column(
        sa.Integer, sa.ForeignKey(f"{table}.{column}", ondelete="CASCADE"), nullable=False
    )


class IcMeeting(SQLModel, table=True):
    __tablename__ = "ic_meetings"
    __mapper_args__ = {"version_id_col": _MEETING_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    held_on: date = Field(index=True)
    starts_at: time | None = None
    place: str = Field(max_length=200)
    chair_id: int = Field(foreign_key="users.id")
    note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    version: int = Field(default=1, sa_column=_MEETING_VERSION)

    members: list["IcMeetingMember"] = Relationship(
        back_populates="meeting",
        sa_relationship_kwargs={"lazy": "selectin", "cascade": "all, delete-orphan"},
    )
    items: list["IcAgendaItem"] = Relationship(
        back_populates="meeting",
        sa_relationship_kwargs={"order_by": "IcAgendaItem.position", "lazy": "selectin"},
    )

    @property
    def member_ids(self) -> list[int]:
        return [m.member_id for m in self.members]


class IcMeetingMember(SQLModel, table=True):
    """An IC member sitting on a meeting, and whether they attended (None: not yet recorded)."""

    __tablename__ = "ic_meeting_members"
    __audit_parent__ = ("ic_meetings", "meeting_id")
    __table_args__ = (sa.UniqueConstraint("meeting_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(sa_column=_parent("ic_meetings"))
    member_id: int = Field(foreign_key="users.id", index=True)
    attended: bool | None = None

    meeting: IcMeeting | None = Relationship(back_populates="members")


class IcAgendaItem(SQLModel, table=True):
    """A submitted memo version on a meeting's agenda; open until its vote is closed."""

    __tablename__ = "ic_agenda_items"
    __audit_parent__ = ("ic_meetings", "meeting_id")
    __table_args__ = (sa.UniqueConstraint("meeting_id", "memo_version_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(sa_column=_parent("ic_meetings"))
    memo_version_id: int = Field(foreign_key="ic_memo_versions.id", index=True)
    # the memo's deal, kept on the item: a deal's items and a member's deals read it directly
    deal_id: int = Field(foreign_key="deals.id", index=True)
    position: int = Field(default=1)
    closed_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    closed_by_id: int | None = Field(default=None, foreign_key="users.id")
    added_by_id: int | None = Field(default=None, foreign_key="users.id")

    meeting: IcMeeting | None = Relationship(back_populates="items")
    memo_version: IcMemoVersion | None = Relationship()

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class IcVote(SQLModel, table=True):
    """A member's vote on an item; changed in place until the vote closes."""

    __tablename__ = "ic_votes"
    __audit_parent__ = ("ic_agenda_items", "item_id")
    # the trail's readers (administrators, risk) must not read a vote before its item closes:
    # the trail records that a vote was cast or changed; the decision keeps each vote
    __audit_masked__ = ("choice", "condition")
    __table_args__ = (
        sa.UniqueConstraint("item_id", "member_id"),
        sa.CheckConstraint(
            "choice IN ('approve', 'approve_conditions', 'reject', 'abstain')", name="choice_known"
        ),
    )
    __mapper_args__ = {"version_id_col": _VOTE_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(sa_column=_parent("ic_agenda_items"))
    member_id: int = Field(foreign_key="users.id")
    choice: str = Field(max_length=20)
    condition: str = Field(default="", max_length=2000)
    cast_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    version: int = Field(default=1, sa_column=_VOTE_VERSION)
