"""List sorts: an index behind every sortable column of the deal, company and task lists

Composite (column, id) indexes replace the single-column ones they cover. Stage and round sort
in pipeline and financing order through indexed CASE expressions, and nullable dates put rows
without a value last through an indexed `(column IS NULL)` (the same SQL that
`fundcrm.models.deals.code_order` and `unset_last` build: adding a stage or round code means
recreating its index).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_companies_created_at"), table_name="companies")
    op.drop_index(op.f("ix_companies_district"), table_name="companies")
    op.drop_index(op.f("ix_companies_enterprise_stage"), table_name="companies")
    op.drop_index(op.f("ix_companies_focus_area"), table_name="companies")
    op.drop_index(op.f("ix_companies_zone"), table_name="companies")
    op.create_index("ix_companies_created_at_id", "companies", ["created_at", "id"], unique=False)
    op.create_index("ix_companies_district_id", "companies", ["district", "id"], unique=False)
    op.create_index(
        "ix_companies_enterprise_stage_id", "companies", ["enterprise_stage", "id"], unique=False
    )
    op.create_index("ix_companies_focus_area_id", "companies", ["focus_area", "id"], unique=False)
    op.create_index("ix_companies_name_id", "companies", ["name", "id"], unique=False)
    op.create_index("ix_companies_zone_id", "companies", ["zone", "id"], unique=False)
    op.drop_index(op.f("ix_deals_company_id"), table_name="deals")
    op.drop_index(op.f("ix_deals_created_on"), table_name="deals")
    op.drop_index(op.f("ix_deals_owner_id"), table_name="deals")
    op.drop_index(op.f("ix_deals_updated_at"), table_name="deals")
    op.create_index("ix_deals_company_id_id", "deals", ["company_id", "id"], unique=False)
    op.create_index("ix_deals_created_on_id", "deals", ["created_on", "id"], unique=False)
    op.create_index(
        "ix_deals_next_step_due_id",
        "deals",
        [sa.literal_column("(next_step_due IS NULL)"), "next_step_due", "id"],
        unique=False,
    )
    op.create_index("ix_deals_owner_id_id", "deals", ["owner_id", "id"], unique=False)
    op.create_index(
        "ix_deals_owner_id_updated_at", "deals", ["owner_id", "updated_at"], unique=False
    )
    op.create_index(
        "ix_deals_proposed_total_yuan_id", "deals", ["proposed_total_yuan", "id"], unique=False
    )
    op.create_index(
        "ix_deals_round_order_id",
        "deals",
        [
            sa.literal_column(
                "(CASE round WHEN 'angel' THEN 0 WHEN 'pre_a' THEN 1 WHEN 'a' THEN 2 WHEN 'a_plus' THEN 3 WHEN 'b' THEN 4 WHEN 'c' THEN 5 WHEN 'd_plus' THEN 6 WHEN 'pre_ipo' THEN 7 WHEN 'strategic' THEN 8 ELSE 9 END)"
            ),
            "id",
        ],
        unique=False,
    )
    op.create_index(
        "ix_deals_stage_order_id",
        "deals",
        [
            sa.literal_column(
                "(CASE stage WHEN 'sourcing' THEN 0 WHEN 'screening' THEN 1 WHEN 'approved' THEN 2 WHEN 'due_diligence' THEN 3 WHEN 'ic' THEN 4 WHEN 'signing' THEN 5 WHEN 'closed' THEN 6 WHEN 'on_hold' THEN 7 WHEN 'passed' THEN 8 ELSE 9 END)"
            ),
            "id",
        ],
        unique=False,
    )
    op.create_index("ix_deals_updated_at_id", "deals", ["updated_at", "id"], unique=False)
    op.drop_index(op.f("ix_tasks_assignee_id_status_due_on"), table_name="tasks")
    op.create_index(
        "ix_tasks_assignee_id_status_due_on",
        "tasks",
        ["assignee_id", "status", sa.literal_column("(due_on IS NULL)"), "due_on"],
        unique=False,
    )
    op.create_index(
        "ix_tasks_assignee_id_deal_id", "tasks", ["assignee_id", "deal_id"], unique=False
    )
    op.create_index(
        "ix_tasks_assignee_id_due_on",
        "tasks",
        ["assignee_id", sa.literal_column("(due_on IS NULL)"), "due_on"],
        unique=False,
    )
    op.create_index("ix_tasks_assignee_id_title", "tasks", ["assignee_id", "title"], unique=False)
    op.create_index(
        "ix_tasks_status_due_on",
        "tasks",
        ["status", sa.literal_column("(due_on IS NULL)"), "due_on"],
        unique=False,
    )
    op.create_index("ix_tasks_status_title", "tasks", ["status", "title"], unique=False)
    op.create_index("ix_users_name_id", "users", ["name", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_users_name_id", table_name="users")
    op.drop_index("ix_tasks_status_title", table_name="tasks")
    op.drop_index("ix_tasks_status_due_on", table_name="tasks")
    op.drop_index("ix_tasks_assignee_id_title", table_name="tasks")
    op.drop_index("ix_tasks_assignee_id_due_on", table_name="tasks")
    op.drop_index("ix_tasks_assignee_id_deal_id", table_name="tasks")
    op.drop_index("ix_tasks_assignee_id_status_due_on", table_name="tasks")
    op.create_index(
        op.f("ix_tasks_assignee_id_status_due_on"),
        "tasks",
        ["assignee_id", "status", "due_on"],
        unique=False,
    )
    op.drop_index("ix_deals_updated_at_id", table_name="deals")
    op.drop_index("ix_deals_stage_order_id", table_name="deals")
    op.drop_index("ix_deals_round_order_id", table_name="deals")
    op.drop_index("ix_deals_proposed_total_yuan_id", table_name="deals")
    op.drop_index("ix_deals_owner_id_updated_at", table_name="deals")
    op.drop_index("ix_deals_owner_id_id", table_name="deals")
    op.drop_index("ix_deals_next_step_due_id", table_name="deals")
    op.drop_index("ix_deals_created_on_id", table_name="deals")
    op.drop_index("ix_deals_company_id_id", table_name="deals")
    op.create_index(op.f("ix_deals_updated_at"), "deals", ["updated_at"], unique=False)
    op.create_index(op.f("ix_deals_owner_id"), "deals", ["owner_id"], unique=False)
    op.create_index(op.f("ix_deals_created_on"), "deals", ["created_on"], unique=False)
    op.create_index(op.f("ix_deals_company_id"), "deals", ["company_id"], unique=False)
    op.drop_index("ix_companies_zone_id", table_name="companies")
    op.drop_index("ix_companies_name_id", table_name="companies")
    op.drop_index("ix_companies_focus_area_id", table_name="companies")
    op.drop_index("ix_companies_enterprise_stage_id", table_name="companies")
    op.drop_index("ix_companies_district_id", table_name="companies")
    op.drop_index("ix_companies_created_at_id", table_name="companies")
    op.create_index(op.f("ix_companies_zone"), "companies", ["zone"], unique=False)
    op.create_index(op.f("ix_companies_focus_area"), "companies", ["focus_area"], unique=False)
    op.create_index(
        op.f("ix_companies_enterprise_stage"), "companies", ["enterprise_stage"], unique=False
    )
    op.create_index(op.f("ix_companies_district"), "companies", ["district"], unique=False)
    op.create_index(op.f("ix_companies_created_at"), "companies", ["created_at"], unique=False)
