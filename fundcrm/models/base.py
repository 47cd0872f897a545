"""Shared pieces of every table: naming convention, UTC timestamps."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import SQLModel

from fundcrm import clock

# Stable constraint names, so Alembic can alter and drop them on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """This instant in UTC, from the fund clock (the default of every timestamp column)."""
    return clock.now()


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware timestamp; SQLite keeps no zone, so values are stored and read as UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp_column(**kwargs) -> sa.Column:
    return sa.Column(UTCDateTime(), **kwargs)


def version_column() -> sa.Column:
    """The optimistic lock's counter: name it in `__mapper_args__ = {"version_id_col": ...}` so
    every UPDATE carries `WHERE version = :seen` and the mapper counts it up."""
    return sa.Column("version", sa.Integer, nullable=False)


def money_column(**kwargs) -> sa.Column:
    """Yuan with 2 decimals: NUMERIC(20,2), Decimal in Python."""
    return sa.Column(sa.Numeric(20, 2, asdecimal=True), **kwargs)
