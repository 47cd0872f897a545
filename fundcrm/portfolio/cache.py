"""Results computed once per as-of date and version of the data, shared by every worker.

Two kinds of data have a version. Every flush that adds, changes or deletes a record of a model
marked `__metrics__ = True` (holdings, transactions, marks, commitments and their changes, LP
flows, fees, sub-funds, companies) raises the `metrics` version in the same transaction; one
that writes a model marked `__pipeline__ = True` (deals, deal teams, companies) raises the
`pipeline` version; a bulk insert of an import raises the versions of its table's model
(`raise_for_table`). So a result is never read once the data it came from has changed: entries
are keyed by (as-of date, scope, version) in the `metrics_cache` table, with the name of the
version they came from, and older versions of that name are removed when a newer result is
stored. A result is written in a transaction of its own, so a page that reads never commits
its session.
"""

import json
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession

from fundcrm.db import WRITES
from fundcrm.models import DataVersion, MetricsCache

NAME = "metrics"
PIPELINE = "pipeline"
MARKERS = {NAME: "__metrics__", PIPELINE: "__pipeline__"}  # version → the models' marker
_versions, _cache = DataVersion.__table__, MetricsCache.__table__


def _insert(connection, table):
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _bumped(name: str) -> str:
    return f"{name}_version_raised"  # session.info: raised in this transaction already


def raise_version(connection, name: str = NAME) -> None:
    """One more version of the data (the row is made by the first write)."""
    statement = _insert(connection, _versions).values(name=name, version=1)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[_versions.c.name], set_={"version": _versions.c.version + 1}
        )
    )


def _raise_once(session, name: str) -> None:
    if not session.info.get(_bumped(name)):
        raise_version(session.connection(), name)
        session.info[_bumped(name)] = True


@event.listens_for(OrmSession, "before_flush")
def _raise_on_writes(session, _context, _instances) -> None:
    changed = None
    for name, marker in MARKERS.items():
        if session.info.get(_bumped(name)):
            continue
        changed = changed or (*session.new, *session.dirty, *session.deleted)
        if any(getattr(type(obj), marker, False) for obj in changed):
            _raise_once(session, name)


def raise_for_table(session, table: sa.Table) -> None:
    """A bulk insert into `table` (no flush sees it): raise the versions its model is marked
    with."""
    from sqlmodel import SQLModel

    for mapper in SQLModel._sa_registry.mappers:
        if mapper.local_table is table:
            for name, marker in MARKERS.items():
                if getattr(mapper.class_, marker, False):
                    _raise_once(session, name)


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_rollback")
def _forget(session) -> None:
    for name in MARKERS:
        session.info.pop(_bumped(name), None)


def cached(session, as_of, scope: str, compute: Callable[[], dict], name: str = NAME) -> dict:
    """The result for (as_of, scope) at the current version of the data `name` (metrics or
    pipeline): read in one statement, else computed (`compute` returns a JSON-able dict) and
    stored for the next reader."""
    found = (
        session.connection()
        .execute(
            sa.select(_versions.c.version, _cache.c.payload)
            .select_from(_versions)
            .outerjoin(
                _cache,
                sa.and_(
                    _cache.c.version == _versions.c.version,
                    _cache.c.name == _versions.c.name,
                    _cache.c.as_of == as_of,
                    _cache.c.scope == scope,
                ),
            )
            .where(_versions.c.name == name)
        )
        .first()
    )
    if found is not None and found.payload is not None:
        return json.loads(found.payload)
    result = compute()
    version = found.version if found else None
    bind = session.get_bind()
    if bind.get_execution_options().get(WRITES):  # a command or a form: in its transaction
        _store(session.connection(), as_of, scope, version, result, name)
    else:  # a page: a transaction of its own, so the page's session never commits
        with bind.begin() as connection:
            _store(connection, as_of, scope, version, result, name)
    return result


def _store(connection, as_of, scope: str, version: int | None, result: dict, name: str) -> None:
    """Keep the result under the version it was computed from (none yet: the first version,
    0); a result of an older version goes, and a second worker storing the same is a no-op."""
    if version is None:
        connection.execute(
            _insert(connection, _versions)
            .values(name=name, version=0)
            .on_conflict_do_nothing(index_elements=[_versions.c.name])
        )
        version = 0
    connection.execute(_cache.delete().where(_cache.c.name == name, _cache.c.version < version))
    connection.execute(
        _insert(connection, _cache)
        .values(as_of=as_of, scope=scope, name=name, version=version, payload=json.dumps(result))
        .on_conflict_do_nothing()
    )
