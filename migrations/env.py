"""Alembic environment: the app's engine and SQLModel's metadata."""

from alembic import context
from sqlmodel import SQLModel

import fundcrm.models  # noqa: F401 - registers every table on SQLModel.metadata

config = context.config
target_metadata = SQLModel.metadata


def _engine():
    engine = config.attributes.get("engine")
    if engine is None:  # run through the plain alembic command
        from fundcrm import create_app, db

        with create_app().app_context():
            engine = db.engine()
    return engine


def run_migrations_online() -> None:
    engine = _engine()
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; use `fundcrm db upgrade`.")
run_migrations_online()
