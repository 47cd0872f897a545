"""`fundcrm db backup` and `fundcrm db restore` on the suite's own database (SQLite or
PostgreSQL): a restore brings back the records and the documents of the backup, and every
refusal leaves the database and the documents as they were."""

import io
import json
import sqlite3
import tarfile
import threading
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.engine import make_url
from sqlmodel import select

from fundcrm import backup, create_app, db, migrate, serving
from fundcrm.backup import databases
from fundcrm.cli import main
from fundcrm.demo import demo_pdf
from fundcrm.models import Company, Document, User
from fundcrm.models.base import UTCDateTime
from fundcrm.workspace import services as work
from tests import factories
from tests.conftest import settings_for_tests


def run(app, *args):
    """Run a command as an operator would; an uncaught exception (a traceback) fails the test."""
    result = app.test_cli_runner().invoke(main, [str(arg) for arg in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def engine_of(app):
    return app.extensions["fundcrm.engine"]


def documents_folder(app) -> Path:
    return Path(app.instance_path) / "documents"


def add_company(dbs, name: str, n: int) -> Company:
    company = factories.company(dbs, name, factories.make_uscc(n))
    dbs.commit()
    return company


def upload(app, dbs, company: Company, title: str) -> Path:
    """A document on the company, stored as the upload form stores it; its file."""
    document = work.store_document(
        dbs,
        documents_folder(app),
        {"company_id": company.id},
        title,
        f"{title}.pdf",
        demo_pdf(title),
        None,
        2**20,
    )
    dbs.commit()
    return work.document_path(documents_folder(app), document)


def company_names(dbs) -> set[str]:
    dbs.rollback()  # read afresh, and hold no connection while a restore runs
    names = set(dbs.exec(select(Company.name)).all())
    dbs.rollback()
    return names


def backed_up(app, dbs, tmp_path) -> Path:
    """One company with one document, backed up; the archive."""
    company = add_company(dbs, "重庆旧数据科技有限公司", 1)
    upload(app, dbs, company, "Business plan 2026")
    archive = tmp_path / "nightly.tar.gz"
    result = run(app, "db", "backup", archive)
    assert result.exit_code == 0, result.output
    return archive


def rewritten(archive: Path, target: Path, **manifest_changes) -> Path:
    """A copy of the archive whose manifest says something else (its checksums still hold)."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as copy:
        for member in source:
            data = source.extractfile(member).read()
            if member.name == backup.MANIFEST:
                data = json.dumps({**json.loads(data), **manifest_changes}).encode()
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return target


def assert_unchanged(app, dbs, names: set[str], files: set[Path]):
    assert company_names(dbs) == names
    assert stored_files(app) == files
    assert not list(Path(app.instance_path).glob(".restore-*"))
    assert migrate.current_revision(engine_of(app)) == migrate.head_revision(engine_of(app))


def stored_files(app) -> set[Path]:
    return {p for p in documents_folder(app).rglob("*") if p.is_file()}


# Backup and restore -----------------------------------------------------------------------


def test_restore_brings_back_the_records_and_documents_of_the_backup(
    app, dbs, client, login_as, tmp_path
):
    login_as("manager")
    archive = backed_up(app, dbs, tmp_path)
    old_files = stored_files(app)
    company = dbs.exec(select(Company)).one()
    company.name = "改名后的公司"
    newer = add_company(dbs, "重庆新数据科技有限公司", 2)
    new_file = upload(app, dbs, newer, "Term sheet")
    new_document = dbs.exec(select(Document.id).where(Document.title == "Term sheet")).one()
    dbs.rollback()  # holds no connection: the restore refuses while any is open

    result = run(app, "db", "restore", archive)

    assert result.exit_code == 0, result.output
    assert company_names(dbs) == {"重庆旧数据科技有限公司"}
    (document,) = dbs.exec(select(Document)).all()
    assert document.title == "Business plan 2026"
    download = client.get(f"/documents/{document.id}")
    assert download.status_code == 200
    assert download.data == demo_pdf("Business plan 2026")
    assert client.get(f"/documents/{new_document}").status_code == 404
    assert stored_files(app) == old_files and not new_file.exists()
    assert migrate.current_revision(engine_of(app)) == migrate.head_revision(engine_of(app))


def test_the_archive_lists_every_file_with_its_checksum(app, dbs, tmp_path):
    archive = backed_up(app, dbs, tmp_path)
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(backup.MANIFEST).read())
    assert manifest["format"] == "fundcrm-backup"
    assert manifest["dialect"] == engine_of(app).dialect.name
    assert manifest["schema_revision"] == migrate.head_revision(engine_of(app))
    listed = [entry["path"] for entry in manifest["files"]]
    assert names == [*listed, backup.MANIFEST]
    assert listed[0].startswith("database/") and listed[1].startswith("documents/")
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"])


def test_a_backup_into_a_folder_is_named_by_the_fund_date(app, dbs, tmp_path):
    add_company(dbs, "重庆旧数据科技有限公司", 1)
    with time_machine.travel("2026-12-31T16:30:00Z", tick=False):
        result = run(app, "db", "backup", tmp_path)
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["fundcrm-2027-01-01-003000.tar.gz"]


def test_restore_upgrades_an_archive_from_an_older_revision(app, dbs, tmp_path):
    engine, archive = engine_of(app), tmp_path / "old.tar.gz"
    users = sa.table(
        "users",
        *(sa.column(name) for name in ("email", "name", "password_hash", "active")),
        sa.column("created_at", UTCDateTime()),
    )
    try:  # the suite's database, briefly at revision 0003 with one user
        migrate.drop_everything(engine)
        migrate.upgrade(engine, "0003")
        with engine.begin() as connection:
            connection.execute(
                sa.insert(users).values(
                    email="old@example.com",
                    name="老用户",
                    password_hash="x",
                    active=True,
                    created_at=datetime(2026, 11, 1, tzinfo=UTC),
                )
            )
        assert run(app, "db", "backup", archive).exit_code == 0
    finally:
        migrate.drop_everything(engine)
        migrate.upgrade(engine)
    add_company(dbs, "重庆新数据科技有限公司", 2)

    result = run(app, "db", "restore", archive)

    assert result.exit_code == 0, result.output
    assert "schema 0003" in result.output
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    dbs.rollback()
    assert [u.email for u in dbs.exec(select(User)).all()] == ["old@example.com"]
    assert company_names(dbs) == set()


def test_stale_wal_files_do_not_corrupt_the_restore(app, dbs, tmp_path):
    if engine_of(app).dialect.name != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    archive = backed_up(app, dbs, tmp_path)
    add_company(dbs, "重庆新数据科技有限公司", 2)  # sits in the -wal until a checkpoint
    live = Path(engine_of(app).url.database)
    logs = {suffix: live.with_name(live.name + suffix) for suffix in ("-wal", "-shm")}
    kept = {suffix: path.read_bytes() for suffix, path in logs.items()}
    assert len(kept["-wal"]) > 0
    engine_of(app).dispose()  # the last connection folds the log in and removes it
    for suffix, path in logs.items():  # as a crash would have left them
        path.write_bytes(kept[suffix])

    result = run(app, "db", "restore", archive)

    assert result.exit_code == 0, result.output
    assert company_names(dbs) == {"重庆旧数据科技有限公司"}
    with sqlite3.connect(live) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# Refusals ---------------------------------------------------------------------------------


def test_backup_refuses_a_path_that_exists(app, dbs, tmp_path):
    add_company(dbs, "重庆旧数据科技有限公司", 1)
    existing = tmp_path / "nightly.tar.gz"
    existing.write_text("yesterday's backup")
    result = run(app, "db", "backup", existing)
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert existing.read_text() == "yesterday's backup"
    assert list(tmp_path.iterdir()) == [existing]


def test_backup_refuses_a_missing_folder(app, tmp_path):
    result = run(app, "db", "backup", tmp_path / "no-such-folder" / "a.tar.gz")
    assert result.exit_code == 1 and "does not exist" in result.output


def test_restore_refuses_while_the_app_is_serving(app, dbs, tmp_path, tmp_path_factory):
    archive = backed_up(app, dbs, tmp_path)
    add_company(dbs, "重庆新数据科技有限公司", 2)
    settings = settings_for_tests(tmp_path_factory)
    settings.TESTING = False
    server = create_app(settings)  # as each gunicorn worker or `fundcrm demo` builds it
    try:
        refused = run(app, "db", "restore", archive)
    finally:
        serving.release(server)
    assert refused.exit_code == 1
    assert "FundCRM is running" in refused.output
    assert len(company_names(dbs)) == 2
    assert run(app, "db", "restore", archive).exit_code == 0
    assert len(company_names(dbs)) == 1


def test_restore_refuses_while_another_connection_is_open(app, dbs, tmp_path):
    archive = backed_up(app, dbs, tmp_path)
    add_company(dbs, "重庆新数据科技有限公司", 2)
    files = stored_files(app)
    other = db.make_engine(app.config["DATABASE_URL"])
    try:
        with other.connect() as connection:
            connection.execute(sa.text("SELECT count(*) FROM companies"))
            result = run(app, "db", "restore", archive)
    finally:
        other.dispose()
    assert result.exit_code == 1
    assert "open" in result.output and "stop every FundCRM server" in result.output
    assert_unchanged(app, dbs, {"重庆旧数据科技有限公司", "重庆新数据科技有限公司"}, files)


def test_restore_waits_for_a_connection_that_is_closing(app, dbs, tmp_path):
    """A backend stays listed for a moment after its client closed (the command's own pool,
    disposed just before the check): the restore waits for it instead of refusing."""
    if engine_of(app).dialect.name != "postgresql":
        pytest.skip("PostgreSQL lists connections in pg_stat_activity")
    other = db.make_engine(app.config["DATABASE_URL"])
    connection = other.connect()
    connection.execute(sa.text("SELECT 1"))
    closing = threading.Timer(0.5, other.dispose)
    closing.start()
    connection.close()  # back to the pool, still open until the timer disposes the pool
    started = time.monotonic()
    try:
        databases._refuse_if_postgresql_in_use(engine_of(app))
    finally:
        closing.join()
    assert time.monotonic() - started >= 0.4


def test_restore_refuses_files_that_are_not_backups(app, dbs, tmp_path):
    archive = backed_up(app, dbs, tmp_path)
    add_company(dbs, "重庆新数据科技有限公司", 2)
    names, files = company_names(dbs), stored_files(app)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a backup")
    empty = tmp_path / "empty.tar.gz"
    empty.write_bytes(b"")
    zipped = tmp_path / "documents.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("manifest.json", "{}")
    no_manifest = tmp_path / "plain.tar.gz"
    with tarfile.open(no_manifest, "w:gz") as tar:
        tar.add(text_file, arcname="notes.txt")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    foreign = rewritten(archive, tmp_path / "other.tar.gz", format="something-else")
    no_revision = rewritten(archive, tmp_path / "odd.tar.gz", schema_revision=[])

    for bad in (text_file, empty, zipped, no_manifest, truncated, foreign, no_revision):
        result = run(app, "db", "restore", bad)
        assert result.exit_code == 1, bad
        assert "is not a FundCRM backup" in result.output, result.output
    result = run(app, "db", "restore", tmp_path / "missing.tar.gz")
    assert result.exit_code == 1 and "There is no file" in result.output
    assert_unchanged(app, dbs, names, files)


def test_restore_refuses_an_archive_whose_files_do_not_match_their_checksums(app, dbs, tmp_path):
    archive = backed_up(app, dbs, tmp_path)
    add_company(dbs, "重庆新数据科技有限公司", 2)
    names, files = company_names(dbs), stored_files(app)
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(tampered, "w:gz") as copy:
        for member in source:
            data = source.extractfile(member).read()
            if member.name.startswith("documents/"):
                data = data.replace(b"Business", b"Busyness")
            copy.addfile(member, io.BytesIO(data))
    result = run(app, "db", "restore", tampered)
    assert result.exit_code == 1
    assert "does not match its checksum" in result.output
    assert_unchanged(app, dbs, names, files)


def test_restore_refuses_an_archive_from_a_newer_schema(app, dbs, tmp_path):
    archive = backed_up(app, dbs, tmp_path)
    add_company(dbs, "重庆新数据科技有限公司", 2)
    names, files = company_names(dbs), stored_files(app)
    newer = rewritten(archive, tmp_path / "newer.tar.gz", schema_revision="9999")
    result = run(app, "db", "restore", newer)
    assert result.exit_code == 1
    assert "9999 is newer than this version of FundCRM knows" in result.output
    newer_format = rewritten(archive, tmp_path / "format.tar.gz", format_version=2)
    result = run(app, "db", "restore", newer_format)
    assert result.exit_code == 1 and "newer version of FundCRM" in result.output
    assert_unchanged(app, dbs, names, files)


def test_restore_refuses_an_archive_of_the_other_database(app, dbs, tmp_path):
    archive = backed_up(app, dbs, tmp_path)
    names, files = company_names(dbs), stored_files(app)
    ours = engine_of(app).dialect.name
    theirs = "postgresql" if ours == "sqlite" else "sqlite"
    other = rewritten(archive, tmp_path / "other.tar.gz", dialect=theirs)
    result = run(app, "db", "restore", other)
    assert result.exit_code == 1
    assert f"holds a {theirs} database, but FundCRM is configured for {ours}" in result.output
    assert_unchanged(app, dbs, names, files)


def test_pg_tools_get_a_libpq_address_and_the_password_apart():
    url = make_url("postgresql+psycopg://fund:s3cr%40t@db.example:5433/fundcrm?sslmode=require")
    address, env = backup.libpq_connection(url)
    assert address == "postgresql://fund@db.example:5433/fundcrm?sslmode=require"
    assert env["PGPASSWORD"] == "s3cr@t"
