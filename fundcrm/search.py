"""The search index: tokens kept current on every write, and the condition that asks the index.

Each searchable record holds `search_tokens` (fundcrm.domain.search): set here before every ORM
insert or update, and by the bulk writers (imports, bench.generate) through `fill_tokens`.
PostgreSQL indexes the column with a GIN `to_tsvector('simple', …)`; SQLite with an FTS5
(unicode61) external-content table `<table>_fts`, kept in step by triggers the migration makes.
`token_match` narrows a search to the records holding all the query's tokens; the caller then
rechecks with the plain substring condition, so results equal a substring match exactly.
"""

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from fundcrm.domain.search import company_tokens, query_tokens, text_tokens
from fundcrm.models import Activity, Company, Deal

# table → the columns searched, and the function of a row's values giving its tokens
SOURCES = {
    "companies": ("name", "uscc", "description"),
    "deals": ("notes",),
    "activities": ("summary",),
}
TOKENS = {
    "companies": lambda v: company_tokens(v("name"), v("uscc"), v("description")),
    "deals": lambda v: text_tokens(v("notes")),
    "activities": lambda v: text_tokens(v("summary")),
}
SEARCHED = (Company, Deal, Activity)


def sqlite_fts(table: str, detail: str) -> list[str]:
    """SQLite: the statements that make `<table>_fts`, an FTS5 (unicode61) external-content
    table over the table's tokens, fill it from the rows, and keep it in step by triggers.
    `detail`: what FTS5 keeps of each token (migration 0010 chose "none": a row holds a token or
    not — the search asks nothing more — at about half the cost of "full" on every write)."""
    fts = f"{table}_fts"
    # the names are the migrations' own, never input
    add = f"INSERT INTO {fts}(rowid, search_tokens) VALUES (new.id, new.search_tokens);"  # noqa: S608
    remove = (
        f"INSERT INTO {fts}({fts}, rowid, search_tokens) "  # noqa: S608
        "VALUES ('delete', old.id, old.search_tokens);"
    )
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_tokens, content='{table}', "
        f"content_rowid='id', tokenize='unicode61', detail={detail})",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_tokens ON {table} "
        f"BEGIN {remove} {add} END",
    ]


def drop_sqlite_fts(table: str) -> list[str]:
    return [f"DROP TRIGGER {table}_fts_{s}" for s in ("insert", "delete", "update")] + [
        f"DROP TABLE {table}_fts"
    ]


def fill_tokens(table_name: str, rows: list[dict]) -> None:
    """Give each row about to be bulk-inserted its `search_tokens`."""
    tokens = TOKENS[table_name]
    for row in rows:
        row["search_tokens"] = tokens(row.get)


def _set_tokens(_mapper, _connection, target) -> None:
    target.search_tokens = TOKENS[target.__tablename__](lambda name: getattr(target, name))


def _update_tokens(mapper, connection, target) -> None:
    """Only when a searched column changed: most updates (a stage, an owner) leave them."""
    state = sa.inspect(target)
    if any(state.attrs[name].history.has_changes() for name in SOURCES[target.__tablename__]):
        _set_tokens(mapper, connection, target)


for _model in SEARCHED:
    event.listen(_model, "before_insert", _set_tokens)
    event.listen(_model, "before_update", _update_tokens)


class TokenMatch(ColumnElement):
    """True for the rows of `table` whose tokens hold every token of the query.

    One bound value serves both databases: the tokens, each in double quotes, space-separated.
    FTS5 reads each quoted token as a string, never as syntax (tokens are letters and digits
    only, so none holds a quote), and ANDs them; PostgreSQL's plainto_tsquery parses them as
    to_tsvector parsed the column, drops the quotes and ANDs them, with no tsquery syntax.
    The value is a bound parameter, so the statement's compiled form is cached once.
    """

    inherit_cache = True
    type = sa.Boolean()
    _is_implicitly_boolean = True  # a condition as it stands: no `= 1` on SQLite
    _traverse_internals = [
        ("table", InternalTraversal.dp_clauseelement),
        ("pattern", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, table: sa.Table, tokens: list[str]):
        self.table = table
        self.pattern = sa.bindparam(
            "search_tokens", " ".join(f'"{t}"' for t in tokens), sa.Text, unique=True
        )


@compiles(TokenMatch, "postgresql")
def _match_postgresql(element, compiler, **kw):
    vector = sa.func.to_tsvector(sa.literal_column("'simple'"), element.table.c.search_tokens)
    query = sa.func.plainto_tsquery(sa.literal_column("'simple'"), element.pattern)
    return compiler.process(vector.op("@@")(query), **kw)


@compiles(TokenMatch, "sqlite")
def _match_sqlite(element, compiler, **kw):
    fts = sa.table(f"{element.table.name}_fts", sa.column("rowid"))
    matching = sa.select(fts.c.rowid).where(
        sa.literal_column(fts.name).op("MATCH")(element.pattern)
    )
    return compiler.process(element.table.c.id.in_(matching), **kw)


def token_match(model, q: str):
    """The index condition for `q` on a searchable model, or None when `q` has no token."""
    tokens = query_tokens(q)
    return TokenMatch(model.__table__, tokens) if tokens else None
