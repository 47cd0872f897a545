"""`fundcrm db restore`: the whole archive is read and checked before anything changes; then
the database and the instance folders are replaced and the schema upgraded to head."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.script import ScriptDirectory
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import Engine

from fundcrm import migrate, serving
from fundcrm.backup.archive import DATABASE_FILES, INSTANCE_FOLDERS, BackupError, paths, unpack
from fundcrm.backup.databases import restore_database


def restore(engine: Engine, instance: Path, archive: Path) -> dict:
    """Replace the database and the instance folders with the archive's, at the head revision.

    Refused while any other process uses the instance (see `serving`)."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(_l("There is no file at %(file)s.", file=str(archive)))
    try:
        with serving.exclusive(instance), _staging(instance) as staging:
            manifest = unpack(archive, staging)
            _check_compatible(manifest, engine)
            dump = staging / DATABASE_FILES[engine.dialect.name]
            restore_database(engine, dump, manifest["schema_revision"])
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
    if dialect != engine.dialect.name or DATABASE_FILES[dialect] not in paths(manifest):
        raise BackupError(
            _l(
                "The backup holds a %(theirs)s database, but FundCRM is configured for %(ours)s.",
                theirs=str(dialect),
                ours=engine.dialect.name,
            )
        )


def _replace_folders(instance: Path, staging: Path) -> None:
    """Swap each instance folder for the archive's by renaming (the old one goes with staging)."""
    for folder in INSTANCE_FOLDERS:
        restored, live = staging / folder, instance / folder
        restored.mkdir(exist_ok=True)
        if live.exists():
            os.replace(live, staging / f".replaced-{folder}")
        os.replace(restored, live)
