"""The guidance-fund rules: relocations, milestones, KPIs, override requests, closed periods

A company's relocations (from, to, effective date, evidence) and milestones; its yearly or
quarterly KPIs; a manager's request to override a mandate breach and its decision; the
closed periods that refuse dated records. A government commitment gains its relocation
multiplier and deadline (blank: the defaults), an LP whether it bears fees (blank: every
type but `gp`), and a viewer account the LP it is tied to.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fundcrm.models.base

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_kpis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=6), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("revenue_yuan", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("cq_revenue_yuan", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("net_profit_yuan", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("headcount", sa.Integer(), nullable=True),
        sa.Column("rd_yuan", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("patents", sa.Integer(), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_kpis_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_kpis")),
        sa.UniqueConstraint("company_id", "period", name=op.f("uq_company_kpis_company_id_period")),
    )
    op.create_table(
        "period_closes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("closed_through", sa.Date(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("reopened_by_id", sa.Integer(), nullable=True),
        sa.Column("reopened_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopen_reason", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_period_closes_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_id"], ["users.id"], name=op.f("fk_period_closes_reopened_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_closes")),
    )
    with op.batch_alter_table("period_closes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_period_closes_closed_through"), ["closed_through"], unique=False
        )

    op.create_table(
        "relocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("from_district", sa.String(length=30), nullable=True),
        sa.Column("from_city", sa.String(length=50), nullable=True),
        sa.Column("to_district", sa.String(length=30), nullable=True),
        sa.Column("to_city", sa.String(length=50), nullable=True),
        sa.Column("evidence", sa.String(length=1000), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_relocations_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_relocations_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relocations")),
    )
    with op.batch_alter_table("relocations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_relocations_company_id_effective_on", ["company_id", "effective_on"], unique=False
        )

    op.create_table(
        "override_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=20), nullable=False),
        sa.Column("to_stage", sa.String(length=20), nullable=False),
        sa.Column("breaches", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=1000), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'performed', 'declined', 'withdrawn')",
            name=op.f("ck_override_requests_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_override_requests_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_override_requests_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_override_requests_requested_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_override_requests")),
    )
    with op.batch_alter_table("override_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_override_requests_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index("ix_override_requests_status_id", ["status", "id"], unique=False)

    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("achieved_on", sa.Date(), nullable=False),
        sa.Column("evidence", sa.String(length=1000), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("relocation_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('technology', 'product', 'scenario', 'introduced', 'recognised')",
            name=op.f("ck_milestones_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_milestones_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_milestones_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_milestones_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["relocation_id"],
            ["relocations.id"],
            name=op.f("fk_milestones_relocation_id_relocations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index(
            "ix_milestones_company_id_achieved_on", ["company_id", "achieved_on"], unique=False
        )

    # Plain ADD COLUMNs: rebuilding a table on SQLite would cascade-delete its children's rows
    # (a user's roles) or fail on the rows that refer to it.
    op.add_column(
        "commitments",
        sa.Column("reinvest_multiplier", sa.Numeric(precision=6, scale=4), nullable=True),
    )
    op.add_column("commitments", sa.Column("reinvest_deadline", sa.Date(), nullable=True))
    op.add_column("lps", sa.Column("bears_fees", sa.Boolean(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its (named) reference in place; a downgrade leaves it there
        # (SQLite drops no column a foreign key names), so an upgrade again finds it
        present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("users")}
        if "lp_id" not in present:
            op.execute(
                "ALTER TABLE users ADD COLUMN lp_id INTEGER"
                " CONSTRAINT fk_users_lp_id_lps REFERENCES lps (id)"
            )
    else:
        op.add_column("users", sa.Column("lp_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_users_lp_id_lps"), "users", "lps", ["lp_id"], ["id"])
    op.create_index(op.f("ix_users_lp_id"), "users", ["lp_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_users_lp_id"), table_name="users")
    if op.get_bind().dialect.name != "sqlite":  # SQLite keeps the column (see upgrade)
        op.drop_constraint(op.f("fk_users_lp_id_lps"), "users", type_="foreignkey")
        op.drop_column("users", "lp_id")
    op.drop_column("lps", "bears_fees")  # SQLite 3.35+ drops a column in place
    op.drop_column("commitments", "reinvest_deadline")
    op.drop_column("commitments", "reinvest_multiplier")
    op.drop_table("milestones")
    op.drop_table("override_requests")
    op.drop_table("relocations")
    op.drop_table("period_closes")
    op.drop_table("company_kpis")
