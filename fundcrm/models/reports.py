"""Issued annual reports (DOMAIN.md section 8): once its period is closed through 31 December, a
report is kept — its file under <instance>/reports, the figures it was made of, who made it and
when. A draft (the period still open) is not kept here."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fundcrm.models.base import timestamp_column, utcnow


class IssuedReport(SQLModel, table=True):
    __tablename__ = "issued_reports"
    __table_args__ = (
        sa.CheckConstraint("edition IN ('staff', 'lp')", name="edition_known"),
        sa.CheckConstraint("file_format IN ('pdf', 'xlsx')", name="format_known"),
        sa.CheckConstraint("edition = 'staff' OR lp_id IS NOT NULL", name="lp_edition_has_lp"),
        sa.Index("ix_issued_reports_lp_id_id", "lp_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int
    sub_fund_code: str | None = Field(default=None, max_length=30)  # None: the whole fund
    edition: str = Field(max_length=10)
    lp_id: int | None = Field(default=None, foreign_key="lps.id")
    language: str = Field(max_length=5)
    file_format: str = Field(max_length=5)
    file_name: str = Field(max_length=200)  # under <instance>/reports
    download_name: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    size_bytes: int
    figures: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    issued_by_id: int | None = Field(default=None, foreign_key="users.id")
    issued_by_label: str = Field(max_length=254)  # a user's email, or "command line"
    issued_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(nullable=False))
