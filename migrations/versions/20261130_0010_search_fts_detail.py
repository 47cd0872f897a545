"""Search index on SQLite: FTS5 keeps only which rows hold a token (detail=none)

The search asks the FTS5 tables of migration 0009 one thing: the rows holding every token of a
query. With FTS5's default detail (full) each token's positions were kept as well, which the
search never reads and which made every insert into companies, deals and activities about
twice as slow (a 50,000-company import: 18 s of FTS work instead of 9). Each `<table>_fts` is
made again with detail=none and rebuilt from the rows. PostgreSQL is not touched.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

from fundcrm.search import SOURCES, drop_sqlite_fts, sqlite_fts

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _remake(detail="none")


def downgrade() -> None:
    _remake(detail="full")


def _remake(detail: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in SOURCES:
        for statement in [*drop_sqlite_fts(table), *sqlite_fts(table, detail)]:
            op.execute(statement)
