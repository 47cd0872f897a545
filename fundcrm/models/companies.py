"""Companies (identified by USCC) and their contacts."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from fundcrm.models.base import timestamp_column, utcnow, version_column

_VERSION = version_column()

# Companies without an application field come last going up on both databases (SQLite puts
# NULL first, PostgreSQL last), as models.deals.unset_last does for the deal lists.
FIELD_UNSET = sa.text("(first_field IS NULL)")


class Company(SQLModel, table=True):
    __tablename__ = "companies"
    # the portfolio list shows its name, focus, stage and zone (fundcrm.portfolio.cache)
    __metrics__ = True
    __pipeline__ = True  # the dashboard's deals by focus area and zone
    __mapper_args__ = {"version_id_col": _VERSION}
    __table_args__ = (
        # One index per sort of the company list (companies.queries.COMPANY_SORTS; the USCC's
        # unique index serves its own): the id breaks ties, so each order, ascending or
        # descending, is one scan of its index. They serve the list's filters too, and replace
        # the single-column indexes on focus_area, enterprise_stage, zone, district and
        # created_at. The deal list sorted by company walks the first one.
        sa.Index("ix_companies_name_id", "name", "id"),
        sa.Index("ix_companies_focus_area_id", "focus_area", "id"),
        sa.Index("ix_companies_enterprise_stage_id", "enterprise_stage", "id"),
        sa.Index("ix_companies_zone_id", "zone", "id"),
        sa.Index("ix_companies_district_id", "district", "id"),
        sa.Index("ix_companies_created_at_id", "created_at", "id"),
        sa.Index("ix_companies_first_field_id", FIELD_UNSET, "first_field", "id"),
        # the search (fundcrm.search): a GIN index of the tokens; SQLite's is an FTS5 table
        sa.Index(
            "ix_companies_search_tokens",
            sa.text("to_tsvector('simple', search_tokens)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, index=True)  # loose duplicate match (domain.uscc)
    uscc: str = Field(max_length=18, unique=True)
    name_en: str | None = Field(default=None, max_length=200)
    district: str | None = Field(default=None, max_length=30)
    city: str | None = Field(default=None, max_length=50)
    zone: str | None = Field(default=None, max_length=20)
    founded_on: date | None = None
    headcount: int | None = None
    website: str | None = Field(default=None, max_length=200)
    focus_area: str = Field(max_length=20)
    enterprise_stage: str = Field(max_length=20)
    specialized_level: str | None = Field(default=None, max_length=20)
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    # unigrams and bigrams of name, USCC and description (fundcrm.domain.search), kept by
    # fundcrm.search
    search_tokens: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    uscc_override_reason: str | None = Field(default=None, max_length=500)
    uscc_override_by: str | None = Field(default=None, max_length=254)
    # The first of the application fields (by code, as the list shows them), which the list
    # sorts that column by: kept by companies.services.set_application_fields and new_company.
    first_field: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
    version: int = Field(default=1, sa_column=_VERSION)

    fields: list["CompanyField"] = Relationship(
        back_populates="company",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin"},
    )
    contacts: list["Contact"] = Relationship(
        back_populates="company",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "Contact.id"},
    )

    @property
    def application_fields(self) -> list[str]:
        return sorted(f.field for f in self.fields)


class CompanyField(SQLModel, table=True):
    """An application field (应用领域) of a company; any number per company."""

    __tablename__ = "company_fields"
    __audit_parent__ = ("companies", "company_id")
    __metrics__ = True  # the portfolio list and the industry map filter on them
    __pipeline__ = True

    company_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
        )
    )
    field: str = Field(max_length=20, primary_key=True, index=True)

    company: Company | None = Relationship(back_populates="fields")


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    __audit_parent__ = ("companies", "company_id")

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="companies.id", index=True)
    name: str = Field(max_length=100)
    title: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=254)
    wechat: str | None = Field(default=None, max_length=100)

    company: Company | None = Relationship(back_populates="contacts")
