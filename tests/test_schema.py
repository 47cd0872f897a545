"""Migrations: an empty database upgraded to head has exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from fundcrm import migrate


def test_upgrade_from_empty_gives_the_models_schema(app):
    engine = app.extensions["fundcrm.engine"]
    migrate.drop_everything(engine)
    try:
        migrate.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
        assert migrate.current_revision(engine) == migrate.head_revision(engine)
    finally:
        migrate.drop_everything(engine)
        migrate.upgrade(engine)


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
