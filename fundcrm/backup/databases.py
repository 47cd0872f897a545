"""The database side of a backup, per dialect: a consistent copy of a live database (SQLite's
online backup API, or `pg_dump --format=custom`) and the replacement of the live database by a
copy, upgraded to the current schema, refused while anyone else is connected."""

import os
import secrets
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.util import CommandError
from flask_babel import lazy_gettext as _l
from sqlalchemy import text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from fundcrm import db as database
from fundcrm import migrate
from fundcrm.backup.archive import BackupError

# psql in one transaction, stopping at the first error: the old schema stays unless all loads.
REPLACE_SCHEMA = (
    "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
    "-c", "SET client_min_messages = warning",
    "-c", "DROP SCHEMA public CASCADE", "-c", "CREATE SCHEMA public",
)  # fmt: skip


def dump_database(engine: Engine, dump: Path) -> str:
    """Copy the database to `dump` as it is at one instant; its schema revision."""
    if engine.dialect.name == "sqlite":
        _copy_sqlite(_sqlite_path(engine), dump)
        revision = _sqlite_revision(dump)
    else:
        revision = migrate.current_revision(engine)
        _run(
            ["pg_dump", "--format=custom", f"--file={dump}", libpq_connection(engine.url)[0]],
            engine.url,
        )
    if not revision:
        raise BackupError(_l("The database has no schema yet: run `fundcrm db upgrade` first."))
    return revision


def restore_database(engine: Engine, dump: Path, revision: str) -> None:
    """Replace the live database with `dump` (of `revision`), upgraded to head."""
    if engine.dialect.name == "sqlite":
        _restore_sqlite(engine, dump, revision)
    else:
        _restore_postgresql(engine, dump)


def _upgrade(engine: Engine) -> None:
    try:
        migrate.upgrade(engine)
    except (SQLAlchemyError, CommandError) as error:
        raise BackupError(
            _l(
                "Upgrading the restored database to the current schema failed: %(error)s",
                error=str(error).splitlines()[0],
            )
        ) from None


# SQLite -----------------------------------------------------------------------------------


def _sqlite_path(engine: Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:":
        raise BackupError(_l("An in-memory database cannot be backed up or restored."))
    return Path(name).resolve()


@contextmanager
def _sqlite(path: Path, timeout: float = 30) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, timeout=timeout)
    try:
        yield connection
    finally:
        connection.close()


def _copy_sqlite(source: Path, dump: Path) -> None:
    """The online backup API: a consistent copy while the app keeps writing."""
    if not source.is_file():
        raise BackupError(_l("There is no database file at %(file)s.", file=str(source)))
    with _sqlite(source) as live, _sqlite(dump) as copy:
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file


def _sqlite_revision(path: Path) -> str | None:
    try:
        with _sqlite(path) as connection:
            if connection.execute("PRAGMA quick_check").fetchone() != ("ok",):
                return None
            return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except (sqlite3.DatabaseError, TypeError):
        return None


def _restore_sqlite(engine: Engine, dump: Path, revision: str) -> None:
    """Upgrade a copy beside the live file, then rename it into place."""
    live = _sqlite_path(engine)
    candidate = live.with_name(f".{live.name}.restore-{secrets.token_hex(4)}")
    try:
        live.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dump, candidate)
        if live.exists():
            shutil.copymode(live, candidate)  # a database kept private stays private
        if _sqlite_revision(candidate) != revision:
            raise BackupError(_l("The backup's database is damaged. Nothing was restored."))
        _upgrade_sqlite_file(candidate)
        engine.dispose()
        _refuse_if_sqlite_in_use(live)
        _remove_wal_files(live)  # a stale log would be replayed onto the restored file
        os.replace(candidate, live)
    finally:
        candidate.unlink(missing_ok=True)
        _remove_wal_files(candidate)


def _upgrade_sqlite_file(path: Path) -> None:
    scratch = database.make_engine(f"sqlite:///{path}")
    try:
        _upgrade(scratch)
    finally:
        scratch.dispose()
    with _sqlite(path) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")  # folds the log into the file


def _refuse_if_sqlite_in_use(path: Path) -> None:
    """Leaving WAL mode needs the only connection: it fails at once if another is open."""
    if not path.exists():
        return
    try:
        with _sqlite(path, timeout=0) as connection:
            connection.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise BackupError(
                _l(
                    "Another program has the database open: stop every FundCRM server and "
                    "command using it, then restore."
                )
            ) from None
    except sqlite3.DatabaseError:
        pass  # a damaged live file is about to be replaced


def _remove_wal_files(path: Path) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


# PostgreSQL -------------------------------------------------------------------------------


def libpq_connection(url: URL) -> tuple[str, dict]:
    """A libpq connection URI for pg_dump/psql, and an environment carrying the password.

    `postgresql+psycopg://u:p@h/db` becomes `postgresql://u@h/db`; the password goes in
    PGPASSWORD so it never shows in the process list."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], url: URL, **options) -> subprocess.CompletedProcess:
    options.setdefault("stdout", subprocess.PIPE)
    try:
        done = subprocess.run(  # noqa: S603 - fixed programs, arguments from our own settings
            command,
            env=libpq_connection(url)[1],
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            **options,
        )
    except FileNotFoundError:
        raise BackupError(
            _l("%(program)s was not found: install the PostgreSQL client.", program=command[0])
        ) from None
    if done.returncode != 0:
        raise BackupError(
            _l("%(program)s failed: %(error)s", program=command[0], error=done.stderr[-2000:])
        )
    return done


OTHERS_GONE_WITHIN = 2.0  # seconds


def _restore_postgresql(engine: Engine, dump: Path) -> None:
    """Replace the public schema with the dump's in one transaction, then upgrade to head."""
    script = dump.with_suffix(".sql")  # written in full first: a failed read changes nothing
    _run(["pg_restore", "--no-owner", f"--file={script}", str(dump)], engine.url)
    engine.dispose()
    _refuse_if_postgresql_in_use(engine)
    load = [*REPLACE_SCHEMA, "-f", str(script), libpq_connection(engine.url)[0]]
    _run(load, engine.url, stdout=subprocess.DEVNULL)
    try:
        _upgrade(engine)
    finally:
        engine.dispose()


def _refuse_if_postgresql_in_use(engine: Engine) -> None:
    """Refuse while another client is connected. A backend whose client has just closed (this
    command's own pool, disposed a moment ago) stays listed until its process exits, so the
    count is asked again for up to OTHERS_GONE_WITHIN seconds before refusing."""
    deadline = time.monotonic() + OTHERS_GONE_WITHIN
    with engine.connect() as connection:
        while True:
            others = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            ).scalar_one()
            if not others or time.monotonic() > deadline:
                break
            connection.rollback()  # pg_stat_activity is a snapshot per transaction
            time.sleep(0.05)
    engine.dispose()
    if others:
        raise BackupError(
            _l(
                "Other connections to the database are open (%(n)d): stop every FundCRM "
                "server and command using it, then restore.",
                n=others,
            )
        )
