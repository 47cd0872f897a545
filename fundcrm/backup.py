"""Backups that restore: one archive holding the database, the instance files the records point
to and the schema revision, and the restore that checks it all before changing anything.

An archive is a gzip'd tar: the database (`database/fundcrm.sqlite3`, a copy made with SQLite's
online backup API, or `database/fundcrm.pgdump`, a `pg_dump --format=custom`), then every file
of the instance folders in INSTANCE_FOLDERS, then `manifest.json` (format, dialect, schema
revision, creation time and each file's size and SHA-256). The manifest comes last because each
checksum is taken while its file is written, so a file cannot differ from its checksum.
"""

import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask_babel import lazy_gettext as _l
from sqlalchemy import text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from fundcrm import clock, migrate, serving
from fundcrm import db as database

FORMAT = "fundcrm-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Instance subfolders the records point to (documents now; issued reports and PDFs later).
# A backup holds each whole; a restore replaces each whole.
INSTANCE_FOLDERS = ("documents",)
DATABASE_FILES = {"sqlite": "database/fundcrm.sqlite3", "postgresql": "database/fundcrm.pgdump"}
# psql in one transaction, stopping at the first error: the old schema stays unless all loads.
REPLACE_SCHEMA = (
    "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
    "-c", "SET client_min_messages = warning",
    "-c", "DROP SCHEMA public CASCADE", "-c", "CREATE SCHEMA public",
)  # fmt: skip
MANIFEST_MAX_BYTES = 64 * 2**20
CHUNK = 2**20


class BackupError(Exception):
    """A refusal with a message for the operator; nothing was written."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


# Backup -----------------------------------------------------------------------------------


def write_backup(engine: Engine, instance: Path, target: Path) -> tuple[Path, dict]:
    """Write the archive to `target` (a new file, or a name chosen inside a folder)."""
    target = _new_archive_path(Path(target))
    dialect = engine.dialect.name
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fundcrm-backup-") as work:
        dump = Path(work) / "database"
        revision = _dump_database(engine, dump)
        files = {DATABASE_FILES[dialect]: dump, **_instance_files(instance)}
        partial = Path(work) / "archive.partial"
        manifest = _write_archive(partial, files, dialect, revision)
        _publish(partial, target)
    return target, manifest


def _new_archive_path(target: Path) -> Path:
    if target.is_dir():
        local = clock.now().astimezone(clock.zone())
        return target / f"fundcrm-{local:%Y-%m-%d-%H%M%S}.tar.gz"
    if target.exists() or target.is_symlink():
        raise BackupError(_l("%(file)s already exists: choose a new name.", file=str(target)))
    if not target.parent.is_dir():
        raise BackupError(_l("The folder %(folder)s does not exist.", folder=str(target.parent)))
    return target


def _dump_database(engine: Engine, dump: Path) -> str:
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


def _copy_sqlite(source: Path, dump: Path) -> None:
    """The online backup API: a consistent copy while the app keeps writing."""
    if not source.is_file():
        raise BackupError(_l("There is no database file at %(file)s.", file=str(source)))
    with _sqlite(source) as live, _sqlite(dump) as copy:
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file


def _instance_files(instance: Path) -> dict[str, Path]:
    files = {}
    for folder in INSTANCE_FOLDERS:
        root = instance / folder
        for path in sorted(root.rglob("*")) if root.is_dir() else ():
            if path.is_file() and not path.is_symlink():
                files[f"{folder}/{path.relative_to(root).as_posix()}"] = path
    return files


def _write_archive(partial: Path, files: dict[str, Path], dialect: str, revision: str) -> dict:
    entries = []
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
        for name, path in files.items():
            entries.append(_add_file(archive, name, path))
        manifest = _manifest(dialect, revision, entries)
        _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
    return manifest


def _add_file(archive: tarfile.TarFile, name: str, path: Path) -> dict:
    """Add one file, hashing exactly the bytes written (a file is read once)."""
    with open(path, "rb") as source:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = os.fstat(source.fileno()).st_size, 0, 0o600
        reader = _HashingReader(source)
        archive.addfile(info, reader)
    return {"path": name, "size": info.size, "sha256": reader.sha256.hexdigest()}


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(clock.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


class _HashingReader:
    def __init__(self, source):
        self.source, self.sha256 = source, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.sha256.update(data)
        return data


def _manifest(dialect: str, revision: str, entries: list[dict]) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": clock.now().isoformat(timespec="seconds"),
        "dialect": dialect,
        "schema_revision": revision,
        "instance_folders": list(INSTANCE_FOLDERS),
        "files": entries,
    }


def _publish(partial: Path, target: Path) -> None:
    """Give the finished archive its name, never replacing a file that appeared meanwhile."""
    try:
        os.link(partial, target)
    except FileExistsError:
        raise BackupError(
            _l("%(file)s already exists: choose a new name.", file=str(target))
        ) from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise BackupError(
                _l("%(file)s already exists: choose a new name.", file=str(target))
            ) from None
        os.replace(partial, target)


# Restore ----------------------------------------------------------------------------------


def restore(engine: Engine, instance: Path, archive: Path) -> dict:
    """Replace the database and the instance folders with the archive's, at the head revision.

    The whole archive is read and checked before anything changes; refused while any other
    process uses the instance (see `serving`)."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(_l("There is no file at %(file)s.", file=str(archive)))
    try:
        with serving.exclusive(instance), _staging(instance) as staging:
            manifest = _unpack(archive, staging)
            _check_compatible(manifest, engine)
            dump = staging / DATABASE_FILES[engine.dialect.name]
            if engine.dialect.name == "sqlite":
                _restore_sqlite(engine, dump, manifest["schema_revision"])
            else:
                _restore_postgresql(engine, dump)
            _replace_folders(instance, staging)
    except serving.InUse:
        raise BackupError(
            _l(
                "FundCRM is running (a server or another fundcrm command uses %(folder)s): "
                "stop it, then restore.",
                folder=str(instance),
            )
        ) from None
    return manifest


@contextmanager
def _staging(instance: Path) -> Iterator[Path]:
    """A scratch folder beside the instance folders, so they are swapped by renaming."""
    path = Path(tempfile.mkdtemp(dir=instance, prefix=".restore-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _not_a_backup(archive: Path, detail: str = "") -> BackupError:
    message = _l("%(file)s is not a FundCRM backup, or it is damaged.", file=str(archive))
    return BackupError(f"{message} {detail}".strip())


def _unpack(archive: Path, staging: Path) -> dict:
    """Extract into `staging`, checking names, sizes and checksums against the manifest."""
    written, manifest = {}, None
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if manifest is not None:
                    raise _not_a_backup(archive)  # the manifest closes the archive
                if member.name == MANIFEST and member.isfile():
                    manifest = _read_manifest(tar, member, archive)
                else:
                    written[member.name] = _extract(tar, member, staging, archive)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise _not_a_backup(archive, f"({error})") from None
    if manifest is None:
        raise _not_a_backup(archive)
    _check_files(manifest, written, archive)
    return manifest


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, staging: Path, archive: Path):
    """Copy one member below `staging`; its size and SHA-256."""
    name = PurePosixPath(member.name)
    safe = (
        name.parts and not name.is_absolute() and ".." not in name.parts and "\\" not in str(name)
    )
    if not (member.isfile() and safe):
        raise _not_a_backup(archive)
    path = staging.joinpath(*name.parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, source = hashlib.sha256(), tar.extractfile(member)
    with open(path, "xb") as target:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return {"size": member.size, "sha256": digest.hexdigest()}


def _read_manifest(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path) -> dict:
    if member.size > MANIFEST_MAX_BYTES:
        raise _not_a_backup(archive)
    try:
        manifest = json.loads(tar.extractfile(member).read())
    except ValueError:
        raise _not_a_backup(archive) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_backup(archive)
    if not isinstance(manifest.get("schema_revision"), str):
        raise _not_a_backup(archive)
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            _l(
                "%(file)s was made by a newer version of FundCRM: upgrade FundCRM first.",
                file=str(archive),
            )
        )
    return manifest


def _check_files(manifest: dict, written: dict, archive: Path) -> None:
    try:
        listed = {f["path"]: {"size": f["size"], "sha256": f["sha256"]} for f in manifest["files"]}
    except (KeyError, TypeError):
        raise _not_a_backup(archive) from None
    for name in sorted(listed.keys() | written.keys()):
        if listed.get(name) != written.get(name):
            raise BackupError(
                _l(
                    "%(file)s is damaged: %(member)s does not match its checksum. "
                    "Nothing was restored.",
                    file=str(archive),
                    member=name,
                )
            )


def _check_compatible(manifest: dict, engine: Engine) -> None:
    """The archive's revision is one this code knows, and its database is of our kind."""
    revision = manifest.get("schema_revision")
    scripts = ScriptDirectory.from_config(migrate.alembic_config(engine))
    known = {script.revision for script in scripts.walk_revisions()}
    if revision not in known:
        raise BackupError(
            _l(
                "The backup's schema revision %(revision)s is newer than this version of "
                "FundCRM knows (head %(head)s): upgrade FundCRM, then restore.",
                revision=str(revision),
                head=migrate.head_revision(engine),
            )
        )
    dialect = manifest.get("dialect")
    if dialect != engine.dialect.name or DATABASE_FILES[dialect] not in _paths(manifest):
        raise BackupError(
            _l(
                "The backup holds a %(theirs)s database, but FundCRM is configured for %(ours)s.",
                theirs=str(dialect),
                ours=engine.dialect.name,
            )
        )


def _paths(manifest: dict) -> set[str]:
    return {entry["path"] for entry in manifest["files"]}


def _replace_folders(instance: Path, staging: Path) -> None:
    """Swap each instance folder for the archive's by renaming (the old one goes with staging)."""
    for folder in INSTANCE_FOLDERS:
        restored, live = staging / folder, instance / folder
        restored.mkdir(exist_ok=True)
        if live.exists():
            os.replace(live, staging / f".replaced-{folder}")
        os.replace(restored, live)


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
        raise _missing(command[0]) from None
    if done.returncode != 0:
        raise _failed(command[0], done.stderr)
    return done


def _missing(program: str) -> BackupError:
    return BackupError(
        _l("%(program)s was not found: install the PostgreSQL client.", program=program)
    )


def _failed(program: str, error: str) -> BackupError:
    return BackupError(_l("%(program)s failed: %(error)s", program=program, error=error[-2000:]))


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
    with engine.connect() as connection:
        others = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
        ).scalar_one()
    engine.dispose()
    if others:
        raise BackupError(
            _l(
                "Other connections to the database are open (%(n)d): stop every FundCRM "
                "server and command using it, then restore.",
                n=others,
            )
        )
