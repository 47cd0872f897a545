"""Bulk inserts for large imports, audited row by row as fundcrm.audit's hook audits a flush.

The ORM costs about ten times more per new row than an executemany INSERT, and a bulk INSERT
fires no flush event; so the rows' audit entries are written here, in the very form the hook
writes for a created record (action `create`, the table, the primary key, and every column
that has a value as [null, value], as sorted JSON), under the session's actor, in the same
transaction. tests/test_imports.py compares the two forms.
"""

import json

import sqlalchemy as sa
from sqlmodel import Session

from fundcrm import audit
from fundcrm.imports.importers.base import chunks
from fundcrm.models import AuditEntry

INSERT_CHUNK = 1000


def insert(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """Insert in the session's transaction: COPY on PostgreSQL, executemany elsewhere; the
    cached results of the data it changes are stale from then on."""
    if not rows:
        return
    from fundcrm.portfolio import cache

    cache.raise_for_table(session, table)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, table, rows)
    elif connection.dialect.paramstyle == "qmark":
        _executemany(connection, table, rows)
    else:
        for chunk in chunks(rows, INSERT_CHUNK):
            connection.execute(sa.insert(table), chunk)


def take_ids(session: Session, table: sa.Table, count: int) -> list[int]:
    """`count` new ids for rows about to be inserted with their ids given. PostgreSQL: from
    the table's sequence (taken for good, as any insert takes them). SQLite hands out the
    highest id + 1, so the next ones above the highest; should another writer take one first
    (a write transaction on the web holds the lock from its start; the command's from its
    first write), the insert fails on the key and the import writes nothing, refused as a
    simultaneous change."""
    if count == 0:
        return []
    connection = session.connection()
    id_column = table.c.id
    if connection.dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(table.name, "id")
        query = sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count))
        return list(connection.execute(query).scalars())
    highest = connection.execute(sa.select(sa.func.max(id_column))).scalar() or 0
    return list(range(highest + 1, highest + 1 + count))


def _processed(connection: sa.Connection, table: sa.Table, rows: list[dict]):
    """Column names, and each row's values after its column type's bind processing (as an
    INSERT through SQLAlchemy would send them)."""
    names = list(rows[0])
    processors = [table.c[n].type.bind_processor(connection.dialect) for n in names]
    pairs = list(zip(names, processors, strict=True))
    values = ([p(row[n]) if p else row[n] for n, p in pairs] for row in rows)
    return names, values


def _executemany(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """SQLite: one executemany straight to the driver, without SQLAlchemy's per-row work."""
    names = list(rows[0])
    compiled = sa.insert(table).compile(dialect=connection.dialect, column_keys=names)
    order = [names.index(key) for key in compiled.positiontup]
    _names, values = _processed(connection, table, rows)
    connection.exec_driver_sql(str(compiled), [tuple(v[i] for i in order) for v in values])


def _copy(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """PostgreSQL's COPY, about ten times faster than INSERT for thousands of rows."""
    names, values = _processed(connection, table, rows)
    documents = [i for i, n in enumerate(names) if isinstance(table.c[n].type, sa.JSON)]
    if documents:  # COPY would send a list as an array: JSON goes as its text
        values = (_with_json(row, documents) for row in values)
    quote = connection.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in values:
            copy.write_row(row)


def _with_json(row: list, positions: list[int]) -> list:
    for i in positions:
        if row[i] is not None:
            row[i] = json.dumps(row[i], ensure_ascii=False)
    return row


def audit_created(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """The `create` entries of rows just inserted (each with its primary key filled in)."""
    insert(session, AuditEntry.__table__, audit.created_entries(session, table, rows))
