"""Company first field: the company list sorts its application fields column by a stored key

`companies.first_field` holds the first of a company's application fields by code (the one the
list shows first; None without any), kept by the company services with the fields themselves.
The list sorts by it through `ix_companies_first_field_id`, companies without a field last
going up, instead of a correlated min() over company_fields per company. Existing companies are
filled in one UPDATE from their fields.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

companies = sa.table("companies", sa.column("id", sa.Integer), sa.column("first_field", sa.String))
company_fields = sa.table(
    "company_fields", sa.column("company_id", sa.Integer), sa.column("field", sa.String)
)


def upgrade() -> None:
    op.add_column(
        "companies",
        sa.Column("first_field", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    )
    _backfill()
    op.create_index(
        "ix_companies_first_field_id",
        "companies",
        [sa.literal_column("(first_field IS NULL)"), "first_field", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_companies_first_field_id", table_name="companies")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_column("first_field")


def _backfill() -> None:
    """Each company with fields gets its first one (by code), on SQLite and PostgreSQL alike."""
    first = (
        sa.select(sa.func.min(company_fields.c.field))
        .where(company_fields.c.company_id == companies.c.id)
        .scalar_subquery()
    )
    op.execute(
        companies.update()
        .where(companies.c.id.in_(sa.select(company_fields.c.company_id)))
        .values(first_field=first)
    )
