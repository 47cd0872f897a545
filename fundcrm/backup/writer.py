"""`fundcrm db backup`: one archive with the database, the instance files and the revision,
published under its name only once complete."""

import os
import tempfile
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import Engine

from fundcrm import clock
from fundcrm.backup.archive import DATABASE_FILES, INSTANCE_FOLDERS, BackupError, write_archive
from fundcrm.backup.databases import dump_database


def write_backup(engine: Engine, instance: Path, target: Path) -> tuple[Path, dict]:
    """Write the archive to `target` (a new file, or a name chosen inside a folder)."""
    target = _new_archive_path(Path(target))
    dialect = engine.dialect.name
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fundcrm-backup-") as work:
        dump = Path(work) / "database"
        revision = dump_database(engine, dump)
        files = {DATABASE_FILES[dialect]: dump, **_instance_files(instance)}
        partial = Path(work) / "archive.partial"
        manifest = write_archive(partial, files, dialect, revision)
        _publish(partial, target)
    return target, manifest


def _already_exists(target: Path) -> BackupError:
    return BackupError(_l("%(file)s already exists: choose a new name.", file=str(target)))


def _new_archive_path(target: Path) -> Path:
    if target.is_dir():
        local = clock.now().astimezone(clock.zone())
        return target / f"fundcrm-{local:%Y-%m-%d-%H%M%S}.tar.gz"
    if target.exists() or target.is_symlink():
        raise _already_exists(target)
    if not target.parent.is_dir():
        raise BackupError(_l("The folder %(folder)s does not exist.", folder=str(target.parent)))
    return target


def _instance_files(instance: Path) -> dict[str, Path]:
    files = {}
    for folder in INSTANCE_FOLDERS:
        root = instance / folder
        for path in sorted(root.rglob("*")) if root.is_dir() else ():
            if path.is_file() and not path.is_symlink():
                files[f"{folder}/{path.relative_to(root).as_posix()}"] = path
    return files


def _publish(partial: Path, target: Path) -> None:
    """Give the finished archive its name, never replacing a file that appeared meanwhile."""
    try:
        os.link(partial, target)
    except FileExistsError:
        raise _already_exists(target) from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise _already_exists(target) from None
        os.replace(partial, target)
