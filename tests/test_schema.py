"""Migrations: an empty database upgraded to head has exactly the models' schema."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from fundcrm import migrate


@pytest.mark.filterwarnings("ignore:.*expression-based index")  # see EXPRESSION_INDEXES
def test_upgrade_from_empty_gives_the_models_schema(app):
    engine = app.extensions["fundcrm.engine"]
    migrate.drop_everything(engine)
    try:
        migrate.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
            assert _textual(differences) == []
            assert _expression_indexes(connection) >= _expected_indexes(connection)
        assert migrate.current_revision(engine) == migrate.head_revision(engine)
    finally:
        migrate.drop_everything(engine)
        migrate.upgrade(engine)


# Indexes on an expression (the lists' stage and round order, undated rows last): PostgreSQL
# reflects them in its own spelling (`'angel'::text`), so the comparison reports each as
# removed and added again; SQLite does not reflect them at all. They are checked by name.
EXPRESSION_INDEXES = {
    "ix_deals_stage_order_id",
    "ix_deals_round_order_id",
    "ix_deals_next_step_due_id",
    "ix_companies_first_field_id",
    "ix_tasks_assignee_id_status_due_on",
    "ix_tasks_assignee_id_due_on",
    "ix_tasks_status_due_on",
}


# The search's GIN indexes (fundcrm.search) exist on PostgreSQL only; SQLite's search index is
# an FTS5 virtual table per searched table, `<table>_fts` with its shadow tables
# (`<table>_fts_data`, …), made by the migration and unknown to the models.
SEARCH_INDEXES = {
    "ix_companies_search_tokens",
    "ix_deals_search_tokens",
    "ix_activities_search_tokens",
}
SEARCH_TABLES = ("companies_fts", "deals_fts", "activities_fts")


def _textual(differences: list) -> list:
    return [
        d
        for d in differences
        if not (
            d[0] in ("add_index", "remove_index")
            and d[1].name in EXPRESSION_INDEXES | SEARCH_INDEXES
        )
        and not (d[0] == "remove_table" and d[1].name.startswith(SEARCH_TABLES))
    ]


def _expected_indexes(connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        return EXPRESSION_INDEXES
    return EXPRESSION_INDEXES | SEARCH_INDEXES


def _expression_indexes(connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'"))
    else:
        rows = connection.execute(sa.text("SELECT indexname FROM pg_indexes"))
    return {name for (name,) in rows} & _expected_indexes(connection)


def test_healthz_reports_database_and_revision(client, app):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["revision"] == migrate.head_revision(app.extensions["fundcrm.engine"])


def test_healthz_says_when_the_database_is_unreachable(tmp_path_factory):
    from fundcrm import create_app
    from tests.conftest import settings_for_tests

    settings = settings_for_tests(tmp_path_factory)
    settings.DATABASE_URL = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    response = create_app(settings).test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"
