"""Backups that restore: one archive holding the database, the instance files the records point
to and the schema revision, and the restore that checks it all before changing anything.

`archive` is the file format (writing it, and reading it back with every checksum checked),
`databases` the copy and replacement of a SQLite or PostgreSQL database, `writer` the backup
and `restorer` the restore.
"""

from fundcrm.backup.archive import MANIFEST, BackupError
from fundcrm.backup.databases import libpq_connection
from fundcrm.backup.restorer import restore
from fundcrm.backup.writer import write_backup

__all__ = ["MANIFEST", "BackupError", "libpq_connection", "restore", "write_backup"]
