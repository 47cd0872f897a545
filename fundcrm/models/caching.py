"""Figures kept between requests, shared by every worker process: a version per kind of data
that every write affecting it raises, and results computed from one version of the data."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class DataVersion(SQLModel, table=True):
    """One row per kind of data (`metrics`): raised in the same transaction as each write."""

    __tablename__ = "data_versions"
    __audit__ = False

    name: str = Field(primary_key=True, max_length=30)
    version: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))


class MetricsCache(SQLModel, table=True):
    """A result of the metrics as of a date, for one version of the data: an entry of an older
    version is never read again (and is removed when a newer one is stored)."""

    __tablename__ = "metrics_cache"
    __audit__ = False

    as_of: date = Field(primary_key=True)
    scope: str = Field(primary_key=True, max_length=80)
    # the data version it was computed from: `metrics` or `pipeline` (fundcrm.portfolio.cache)
    name: str = Field(
        default="metrics", max_length=30, sa_column_kwargs={"server_default": "metrics"}
    )
    version: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True))
    payload: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
