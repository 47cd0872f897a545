"""Deals: one financing round of one company, moving through the pipeline's stages."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.domain.stages import ALL_STAGES
from fundcrm.domain.vocab import ROUNDS
from fundcrm.models.base import money_column, timestamp_column, utcnow, version_column
from fundcrm.models.companies import Company
from fundcrm.models.funds import SubFund
from fundcrm.models.users import User

_VERSION = version_column()


def code_order(column: str, codes) -> sa.TextClause:
    """A column's codes in their vocabulary's order (the pipeline's, for stages) as SQL.

    Written with literals, never parameters, so that ORDER BY repeats the indexed expression
    exactly: both SQLite and PostgreSQL use an index on an expression only then."""
    cases = " ".join(f"WHEN '{code}' THEN {n}" for n, code in enumerate(codes))
    return sa.text(f"(CASE {column} {cases} ELSE {len(codes)} END)")  # no code: last going up


def unset_last(column: str) -> sa.TextClause:
    """Sorts before a nullable column so that rows without a value come last going up on
    both databases (SQLite puts NULL first, PostgreSQL last); indexed like `code_order`."""
    return sa.text(f"({column} IS NULL)")


# Ordering by stage follows the pipeline and by round the financing sequence, not the
# alphabet. An index on the expression (rather than a stored order column) has nothing to keep
# in sync: moves, imports, the demo and bulk updates all write `stage` alone.
STAGE_ORDER = code_order("deals.stage", ALL_STAGES)
ROUND_ORDER = code_order("deals.round", list(ROUNDS.codes))
DUE_UNSET = unset_last("deals.next_step_due")


class Deal(SQLModel, table=True):
    __tablename__ = "deals"
    __pipeline__ = True  # the dashboard's counts (fundcrm.portfolio.cache)
    __mapper_args__ = {"version_id_col": _VERSION}
    __table_args__ = (
        sa.Index("ix_deals_stage_updated_at", "stage", "updated_at"),
        # lets the board count and sum a stage from the index alone
        sa.Index("ix_deals_stage_proposed_total_yuan", "stage", "proposed_total_yuan"),
        # One index per sort of the deal lists (deals.queries.DEAL_SORTS); the id breaks ties,
        # so each order, ascending or descending, is one scan of its index. They replace the
        # single-column indexes on created_on, updated_at, company_id and owner_id.
        sa.Index("ix_deals_stage_order_id", code_order("stage", ALL_STAGES), "id"),
        sa.Index("ix_deals_round_order_id", code_order("round", list(ROUNDS.codes)), "id"),
        sa.Index("ix_deals_proposed_total_yuan_id", "proposed_total_yuan", "id"),
        sa.Index("ix_deals_next_step_due_id", unset_last("next_step_due"), "next_step_due", "id"),
        sa.Index("ix_deals_updated_at_id", "updated_at", "id"),
        sa.Index("ix_deals_created_on_id", "created_on", "id"),
        # sorting by company or owner walks companies.name / users.name, then these
        sa.Index("ix_deals_company_id_id", "company_id", "id"),
        sa.Index("ix_deals_owner_id_id", "owner_id", "id"),
        # My deals: an owner's deals, most recently updated first
        sa.Index("ix_deals_owner_id_updated_at", "owner_id", "updated_at"),
        # the search (fundcrm.search): a GIN index of the tokens; SQLite's is an FTS5 table
        sa.Index(
            "ix_deals_search_tokens",
            sa.text("to_tsvector('simple', search_tokens)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: int | None = Field(default=None, primary_key=True)
    deal_ref: str = Field(max_length=30, unique=True)
    company_id: int = Field(foreign_key="companies.id")
    round: str | None = Field(default=None, max_length=20, index=True)
    stage: str = Field(default="sourcing", max_length=20)
    stage_entered_at: datetime = Field(
        default_factory=utcnow, sa_column=timestamp_column(nullable=False)
    )
    return_stage: str | None = Field(default=None, max_length=20)  # where on_hold/passed go back
    source: str | None = Field(default=None, max_length=20, index=True)
    owner_id: int = Field(foreign_key="users.id")
    ask_yuan: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    pre_money_yuan: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    # Σ of the participations' proposed amounts, kept by deals.services with them
    proposed_total_yuan: Decimal = Field(
        default=Decimal(0), sa_column=money_column(nullable=False, server_default="0")
    )
    next_step: str | None = Field(default=None, max_length=300)
    next_step_due: date | None = None
    pass_reason: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    # unigrams and bigrams of the notes (fundcrm.domain.search), kept by fundcrm.search
    search_tokens: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_on: date
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_column=timestamp_column(nullable=False, onupdate=utcnow),
    )
    version: int = Field(default=1, sa_column=_VERSION)

    company: Company | None = Relationship()
    owner: User | None = Relationship()
    participations: list["DealSubFund"] = Relationship(
        back_populates="deal",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "DealSubFund.id"},
    )
    team: list["DealMember"] = Relationship(
        back_populates="deal", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )
    moves: list["StageMove"] = Relationship(
        back_populates="deal",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "StageMove.id"},
    )


class DealSubFund(SQLModel, table=True):
    """A sub-fund taking part in a deal, with its proposed amount."""

    __tablename__ = "deal_sub_funds"
    __audit_parent__ = ("deals", "deal_id")
    __pipeline__ = True  # the industry map's deals by sub-fund (fundcrm.portfolio.cache)
    __table_args__ = (sa.UniqueConstraint("deal_id", "sub_fund_id"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    )
    sub_fund_id: int = Field(foreign_key="sub_funds.id", index=True)
    proposed_yuan: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))

    deal: Deal | None = Relationship(back_populates="participations")
    sub_fund: SubFund | None = Relationship()


class DealMember(SQLModel, table=True):
    __tablename__ = "deal_team"
    __pipeline__ = True  # the dashboard's "my pipeline" (fundcrm.portfolio.cache)
    __audit_parent__ = ("deals", "deal_id")

    deal_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
        )
    )
    user_id: int = Field(foreign_key="users.id", primary_key=True, index=True)

    deal: Deal | None = Relationship(back_populates="team")
    user: User | None = Relationship()


class StageMove(SQLModel, table=True):
    """Every move of a deal: from, to, when, who, time spent in the stage left."""

    __tablename__ = "stage_moves"
    __audit_parent__ = ("deals", "deal_id")
    __table_args__ = (sa.Index("ix_stage_moves_deal_id_at", "deal_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), nullable=False
        )
    )
    from_stage: str | None = Field(default=None, max_length=20)
    to_stage: str = Field(max_length=20, index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    by_id: int | None = Field(default=None, foreign_key="users.id")
    by_label: str = Field(max_length=254)
    seconds_in_stage: int | None = None
    kind: str = Field(default="move", max_length=10)  # create / move / import
    reason: str | None = Field(default=None, max_length=500)  # why a deal was passed
    override_reason: str | None = Field(default=None, max_length=500)
    breaches: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))

    deal: Deal | None = Relationship(back_populates="moves")


class StageGate(SQLModel, table=True):
    """The rule for entering a stage: required fields and conditions, edited by admins."""

    __tablename__ = "stage_gates"

    to_stage: str = Field(max_length=20, primary_key=True)
    required_fields: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    conditions: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )


class DealRefCounter(SQLModel, table=True):
    """The last number handed out for deal references `<prefix><year>-<number>`: the row is
    locked while a number is taken, so simultaneous new deals never get the same reference."""

    __tablename__ = "deal_ref_counters"

    prefix: str = Field(max_length=20, primary_key=True)
    year: int = Field(primary_key=True)
    last_number: int = Field(default=0)
