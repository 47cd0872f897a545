"""Alembic, driven from the app: the same migrations for `fundcrm db`, the demo and the tests."""

import warnings

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from fundcrm import ROOT

MIGRATIONS = ROOT / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)
    refresh_statistics(engine)


def refresh_statistics(engine: Engine) -> None:
    """Let SQLite plan joins from the tables' real sizes (ANALYZE, sampled: milliseconds at
    100,000 deals). Without statistics it sorted the deals by company through a scan of every
    deal instead of walking the company-name index. Run after upgrades and bulk writes;
    PostgreSQL's autovacuum keeps its own statistics."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA analysis_limit=1000")
        connection.exec_driver_sql("ANALYZE")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def drop_everything(engine: Engine) -> None:
    """Drop every table, Alembic's version included, so the migrations start from nothing.

    For test and benchmark databases only: on PostgreSQL it drops the `public` schema.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        else:
            meta = sa.MetaData()
            with warnings.catch_warnings():  # indexes on expressions go with their tables
                warnings.filterwarnings("ignore", "Skipped unsupported reflection")
                meta.reflect(connection)
            meta.drop_all(connection)
