"""The archive format: a gzip'd tar of the database dump, the instance files and, last,
`manifest.json` (format, dialect, schema revision, creation time and each file's size and
SHA-256). The manifest comes last because each checksum is taken while its file is written, so
a file cannot differ from its checksum; reading checks every file against it."""

import hashlib
import io
import json
import os
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from flask_babel import lazy_gettext as _l

from fundcrm import clock

FORMAT = "fundcrm-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Instance subfolders the records point to (documents now; issued reports and PDFs later).
# A backup holds each whole; a restore replaces each whole.
INSTANCE_FOLDERS = ("documents",)
DATABASE_FILES = {"sqlite": "database/fundcrm.sqlite3", "postgresql": "database/fundcrm.pgdump"}
MANIFEST_MAX_BYTES = 64 * 2**20
CHUNK = 2**20


class BackupError(Exception):
    """A refusal with a message for the operator; nothing was written."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


# Writing ----------------------------------------------------------------------------------


def write_archive(partial: Path, files: dict[str, Path], dialect: str, revision: str) -> dict:
    """Write `files` (archive name: path) and their manifest to the new file `partial`."""
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


# Reading ----------------------------------------------------------------------------------


def not_a_backup(archive: Path, detail: str = "") -> BackupError:
    message = _l("%(file)s is not a FundCRM backup, or it is damaged.", file=str(archive))
    return BackupError(f"{message} {detail}".strip())


def unpack(archive: Path, staging: Path) -> dict:
    """Extract into `staging`, checking names, sizes and checksums against the manifest."""
    written, manifest = {}, None
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if manifest is not None:
                    raise not_a_backup(archive)  # the manifest closes the archive
                if member.name == MANIFEST and member.isfile():
                    manifest = _read_manifest(tar, member, archive)
                else:
                    written[member.name] = _extract(tar, member, staging, archive)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise not_a_backup(archive, f"({error})") from None
    if manifest is None:
        raise not_a_backup(archive)
    _check_files(manifest, written, archive)
    return manifest


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, staging: Path, archive: Path):
    """Copy one member below `staging`; its size and SHA-256."""
    name = PurePosixPath(member.name)
    safe = (
        name.parts and not name.is_absolute() and ".." not in name.parts and "\\" not in str(name)
    )
    if not (member.isfile() and safe):
        raise not_a_backup(archive)
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
        raise not_a_backup(archive)
    try:
        manifest = json.loads(tar.extractfile(member).read())
    except ValueError:
        raise not_a_backup(archive) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise not_a_backup(archive)
    if not isinstance(manifest.get("schema_revision"), str):
        raise not_a_backup(archive)
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
        raise not_a_backup(archive) from None
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


def paths(manifest: dict) -> set[str]:
    return {entry["path"] for entry in manifest["files"]}
