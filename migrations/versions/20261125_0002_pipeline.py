"""Deal pipeline: fund setup, companies, deals, stage moves and gates

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import fundcrm.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("founded_on", sa.Date(), nullable=True),
        sa.Column("headcount", sa.Integer(), nullable=True),
        sa.Column("website", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("focus_area", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("enterprise_stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("specialized_level", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "uscc_override_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
        ),
        sa.Column("uscc_override_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("uscc", name=op.f("uq_companies_uscc")),
    )
    op.create_index("ix_companies_created_at", "companies", ["created_at"])
    op.create_index("ix_companies_district", "companies", ["district"])
    op.create_index("ix_companies_enterprise_stage", "companies", ["enterprise_stage"])
    op.create_index("ix_companies_focus_area", "companies", ["focus_area"])
    op.create_index("ix_companies_name_key", "companies", ["name_key"])
    op.create_index("ix_companies_zone", "companies", ["zone"])

    op.create_table(
        "fund_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("target_yuan", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("phases", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_settings")),
    )
    op.create_table(
        "lps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("lp_type", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("is_government", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lps")),
        sa.UniqueConstraint("name", name=op.f("uq_lps_name")),
    )
    op.create_table(
        "stage_gates",
        sa.Column("to_stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("required_fields", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("to_stage", name=op.f("pk_stage_gates")),
    )
    op.create_table(
        "sub_funds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("target_yuan", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("first_close", sa.Date(), nullable=True),
        sa.Column("investment_end", sa.Date(), nullable=True),
        sa.Column("term_end", sa.Date(), nullable=True),
        sa.Column("allowed_stages", sa.JSON(), nullable=False),
        sa.Column("focus_areas", sa.JSON(), nullable=False),
        sa.Column("project_cap_pct", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("ic_quorum", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("ic_threshold", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("veto_holder_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sub_funds")),
        sa.UniqueConstraint("code", name=op.f("uq_sub_funds_code")),
    )
    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lp_id", sa.Integer(), nullable=False),
        sa.Column("sub_fund_id", sa.Integer(), nullable=False),
        sa.Column("committed_yuan", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("reinvest_ratio", sa.Numeric(precision=6, scale=4), nullable=True),
        sa.Column("reinvest_area", sa.JSON(), nullable=False),
        sa.Column("reinvest_base", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("created_at", fundcrm.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lp_id"], ["lps.id"], name=op.f("fk_commitments_lp_id_lps")),
        sa.ForeignKeyConstraint(
            ["sub_fund_id"], ["sub_funds.id"], name=op.f("fk_commitments_sub_fund_id_sub_funds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitments")),
        sa.UniqueConstraint("lp_id", "sub_fund_id", name=op.f("uq_commitments_lp_id_sub_fund_id")),
    )
    op.create_index("ix_commitments_lp_id", "commitments", ["lp_id"])
    op.create_index("ix_commitments_sub_fund_id", "commitments", ["sub_fund_id"])

    op.create_table(
        "company_fields",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_fields_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", "field", name=op.f("pk_company_fields")),
    )
    op.create_index("ix_company_fields_field", "company_fields", ["field"])

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("wechat", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_contacts_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index("ix_contacts_company_id", "contacts", ["company_id"])

    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_ref", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("round", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("stage_entered_at", fundcrm.models.base.UTCDateTime(), nullable=False),
        sa.Column("return_stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("ask_yuan", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("pre_money_yuan", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column(
            "proposed_total_yuan",
            sa.Numeric(precision=20, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column("next_step", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("next_step_due", sa.Date(), nullable=True),
        sa.Column("pass_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("updated_at", fundcrm.models.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_deals_company_id_companies")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_deals_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("deal_ref", name=op.f("uq_deals_deal_ref")),
    )
    op.create_index("ix_deals_company_id", "deals", ["company_id"])
    op.create_index("ix_deals_created_on", "deals", ["created_on"])
    op.create_index("ix_deals_owner_id", "deals", ["owner_id"])
    op.create_index("ix_deals_round", "deals", ["round"])
    op.create_index("ix_deals_source", "deals", ["source"])
    op.create_index("ix_deals_stage_proposed_total_yuan", "deals", ["stage", "proposed_total_yuan"])
    op.create_index("ix_deals_stage_updated_at", "deals", ["stage", "updated_at"])
    op.create_index("ix_deals_updated_at", "deals", ["updated_at"])

    op.create_table(
        "deal_sub_funds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("sub_fund_id", sa.Integer(), nullable=False),
        sa.Column("proposed_yuan", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_deal_sub_funds_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sub_fund_id"], ["sub_funds.id"], name=op.f("fk_deal_sub_funds_sub_fund_id_sub_funds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_sub_funds")),
        sa.UniqueConstraint(
            "deal_id", "sub_fund_id", name=op.f("uq_deal_sub_funds_deal_id_sub_fund_id")
        ),
    )
    op.create_index("ix_deal_sub_funds_deal_id", "deal_sub_funds", ["deal_id"])
    op.create_index("ix_deal_sub_funds_sub_fund_id", "deal_sub_funds", ["sub_fund_id"])

    op.create_table(
        "deal_team",
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_deal_team_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_deal_team_user_id_users")),
        sa.PrimaryKeyConstraint("deal_id", "user_id", name=op.f("pk_deal_team")),
    )
    op.create_index("ix_deal_team_user_id", "deal_team", ["user_id"])

    op.create_table(
        "stage_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("to_stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("at", fundcrm.models.base.UTCDateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("by_label", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("seconds_in_stage", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("override_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("breaches", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_stage_moves_by_id_users")),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_stage_moves_deal_id_deals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_moves")),
    )
    op.create_index("ix_stage_moves_deal_id_at", "stage_moves", ["deal_id", "at"])
    op.create_index("ix_stage_moves_to_stage", "stage_moves", ["to_stage"])


def downgrade() -> None:
    op.drop_table("stage_moves")
    op.drop_table("deal_team")
    op.drop_table("deal_sub_funds")
    op.drop_table("deals")
    op.drop_table("contacts")
    op.drop_table("company_fields")
    op.drop_table("commitments")
    op.drop_table("sub_funds")
    op.drop_table("stage_gates")
    op.drop_table("lps")
    op.drop_table("fund_settings")
    op.drop_table("companies")
