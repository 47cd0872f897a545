"""Engine and the one session per request: views commit once, errors roll back."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, create_engine

WRITES = "fundcrm_writes"  # execution option of the engine that writing sessions use
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
SQLITE_CACHE_KIB = 64 * 1024


SQLITE_BUSY_SECONDS = 30  # how long a connection waits for SQLite's write lock


def make_engine(url: str) -> Engine:
    """An engine for SQLite (WAL, foreign keys on) or PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def sqlite_pragma(connection, setting: str, during, after):
    """On SQLite, `PRAGMA setting=during` for the block and `=after` when it ends (a pooled
    connection keeps what it is set to); nothing on other databases."""
    sqlite_ = connection.dialect.name == "sqlite"
    if sqlite_:
        connection.exec_driver_sql(f"PRAGMA {setting}={during}")
    try:
        yield
    finally:
        if sqlite_:
            connection.exec_driver_sql(f"PRAGMA {setting}={after}")


@contextmanager
def bulk_cache(connection):
    """SQLite: a page cache of SQLITE_CACHE_KIB for the connection while a bulk write runs (a
    bulk import writes the search index's pages again and again, and with SQLite's 2 MB default
    they spill to disk: a 50,000-company import spent 12 s on index writes instead of 4.7),
    then the default again, so connections that read stay small."""
    with sqlite_pragma(connection, "cache_size", f"-{SQLITE_CACHE_KIB}", "-2000"):
        yield


def _sqlite_begin(connection) -> None:
    """A writing session takes SQLite's write lock when it begins (waiting up to the busy
    timeout), so its reads see the latest commit and its writes cannot fail: a read
    transaction that tried to write after another writer committed would get 'database is
    locked' at once. Other sessions keep pysqlite's own lazy BEGIN before their first write."""
    if connection.get_execution_options().get(WRITES, False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["fundcrm.engine"] = engine
    app.extensions["fundcrm.writing_engine"] = engine.execution_options(**{WRITES: True})
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    return current_app.extensions["fundcrm.engine"]


def session() -> Session:
    """The request's (or CLI command's) session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(_bind(), expire_on_commit=False)
    return g.db_session


def _bind() -> Engine:
    """State-changing requests (and CLI commands) write; on SQLite they queue for the write
    lock when their transaction begins, so concurrent writers run one after another."""
    if has_request_context() and request.method in READ_ONLY_METHODS:
        return engine()
    return current_app.extensions["fundcrm.writing_engine"]


def _close_session(exc):
    db_session = g.pop("db_session", None)
    if db_session is None:
        return
    if exc is not None:
        db_session.rollback()
    db_session.close()


def upsert(db_session: Session, table):
    """`INSERT … ON CONFLICT` for the session's database (SQLite and PostgreSQL share it)."""
    dialect = postgresql if db_session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


@contextmanager
def refused_if_taken(db_session: Session, refusal: Exception) -> Iterator[None]:
    """Write in a savepoint; a unique key taken by a simultaneous save, after the service's
    check looked, raises `refusal` (the check's own message) instead of an IntegrityError."""
    try:
        with db_session.begin_nested():
            yield
    except IntegrityError:
        raise refusal from None


def lock_for_edit(db_session: Session, record, *relationships: str) -> None:
    """Lock a record being edited (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's writer lock
    already holds) and read it again with its linked rows, so two simultaneous edits of it
    run one after the other instead of both inserting the same link row."""
    if record.id is None:
        return
    # FOR UPDATE OF the record's own table: a relationship loaded with it by an outer join
    # (the signed-in user's roles) cannot be locked on PostgreSQL, and need not be.
    db_session.refresh(record, with_for_update={"of": type(record)})
    if relationships:
        db_session.refresh(record, list(relationships))


def rollback_if_open() -> None:
    """Roll back the request's session, if it has one (error pages render after a failure)."""
    db_session = g.get("db_session")
    if db_session is not None:
        db_session.rollback()


def discard_session() -> None:
    """Drop the request's session after its connection failed; nothing more is asked of it."""
    db_session = g.pop("db_session", None)
    if db_session is None:
        return
    try:
        db_session.close()
    except SQLAlchemyError:  # the connection is already gone: there is nothing to release
        pass
