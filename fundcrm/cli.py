"""The `fundcrm` command: Flask's run/shell/routes plus db, users, tokens and demo."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_babel import gettext as _

from fundcrm import backup, create_app, db, demo, migrate, progress, serving
from fundcrm.audit import set_actor
from fundcrm.auth import services, tokens
from fundcrm.domain.vocab import ROLES
from fundcrm.imports.commands import _actor as audit_actor
from fundcrm.imports.commands import export_command, import_command
from fundcrm.jobs import queue
from fundcrm.jobs.commands import worker_command
from fundcrm.portfolio.commands import metrics_command
from fundcrm.reports.commands import report_group


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main():
    """FundCRM: deal-flow CRM for the Chongqing AI & Service Robot Fund."""


main.add_command(import_command)
main.add_command(export_command)
main.add_command(worker_command)
main.add_command(metrics_command)
main.add_command(report_group)


@main.group("db")
def db_group():
    """Database schema (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision):
    """Upgrade the schema to REVISION (default: head)."""
    migrate.upgrade(db.engine(), revision)
    click.echo(f"Schema at {migrate.current_revision(db.engine())}")


@db_group.command("revision")
@click.argument("message")
@with_appcontext
def db_revision(message):
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    command.revision(migrate.alembic_config(db.engine()), message=message, autogenerate=True)


@db_group.command("current")
@with_appcontext
def db_current():
    """Print the schema revision of the database."""
    revision = migrate.current_revision(db.engine())
    head = migrate.head_revision(db.engine())
    click.echo(f"{revision or '(empty)'}{' (head)' if revision == head else f' (head is {head})'}")


@db_group.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@with_appcontext
def db_backup(file):
    """Write one archive: the database, the documents and the schema revision.

    FILE must not exist; if it is a folder, the archive is named by the date and time inside it.
    """
    instance = Path(current_app.instance_path)
    try:
        target, manifest = backup.write_backup(db.engine(), instance, file)
    except (backup.BackupError, OSError) as error:
        raise click.ClickException(str(error)) from None
    documents = len(manifest["files"]) - 1
    click.echo(
        _(
            "Backup written to %(file)s (schema %(revision)s; instance files: %(n)d).",
            file=str(target),
            revision=manifest["schema_revision"],
            n=documents,
        )
    )


@db_group.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@with_appcontext
def db_restore(file):
    """Replace the database and the documents with a backup's, then upgrade to head.

    Refused while FundCRM is serving or another fundcrm command runs on this instance.
    """
    app = current_app._get_current_object()
    serving.release(app)  # this command's own share of the lock
    try:
        manifest = backup.restore(db.engine(), Path(app.instance_path), file)
    except (backup.BackupError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        _(
            "Restored the backup of %(created)s (schema %(revision)s); the schema is now at "
            "%(head)s.",
            created=manifest.get("created_at"),
            revision=manifest["schema_revision"],
            head=migrate.current_revision(db.engine()),
        )
    )


@main.group("users")
def users_group():
    """User accounts."""


@users_group.command("create")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLES.codes),
    help="Repeat for several roles.",
)
@click.option("--name", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_create(email, roles, name, password_stdin):
    """Create a user; the password is prompted for unless --password-stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = db.session()
    set_actor(session, None, "cli")
    try:
        user = services.create_user(
            session,
            email=email,
            name=name,
            roles=list(roles),
            password=password,
            settings=current_app.config,
        )
    except services.AccountError as error:
        session.rollback()
        raise click.ClickException(str(error.message)) from None
    session.commit()
    click.echo(f"Created {user.email} ({', '.join(sorted(user.role_codes))})")


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--quiet", is_flag=True, help="No progress bar while seeding.")
@click.option(
    "--seed-only", is_flag=True, help="Upgrade and seed, then exit (to serve with gunicorn)."
)
@with_appcontext
def demo_command(host, port, threads, quiet, seed_only):
    """Upgrade the schema, seed the demo data once, and serve the app (waitress) with a
    background-job worker in the same process."""
    from waitress import serve

    app = current_app._get_current_object()
    click.echo(f"Database: {db.engine().url.render_as_string(hide_password=True)}")
    migrate.upgrade(db.engine())
    click.echo(
        _(
            "Schema at %(revision)s; seeding the demo data…",
            revision=migrate.current_revision(db.engine()),
        )
    )
    with progress.bar_on_terminal(_("Companies and deals"), quiet):
        added = demo.seed(db.session(), app.config, say=click.echo)
    db.session().close()
    click.echo("Demo data " + ("seeded." if added else "already present: nothing added."))
    click.echo(f"Demo accounts (password: {demo.DEMO_PASSWORD}):")
    for email, _name, roles in demo.DEMO_ACCOUNTS:
        click.echo(f"  {email:<24} {', '.join(roles)}")
    if seed_only:
        return
    if not app.config["JOBS_IMMEDIATE"]:
        queue.start_in_process(app)  # the quick start needs no separate `fundcrm worker`
    click.echo(f"FundCRM is serving on http://{host}:{port}/  (Ctrl+C to stop)")
    serve(app, host=host, port=port, threads=threads, ident="FundCRM")


@main.group("tokens")
def tokens_group():
    """Personal API tokens (README "JSON API"): shown once, revocable, expiring."""


def _token_owner(session, email: str):
    from fundcrm.auth.queries import find_user

    user = find_user(session, email)
    if user is None:
        raise click.ClickException(f"No user has the email {email}.")
    return user


def _when(value) -> str:
    """A token's instant in the fund's time zone, or '-'."""
    from flask_babel import format_datetime

    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else "-"


@tokens_group.command("create")
@click.argument("email")
@click.option(
    "--expires-days",
    type=int,
    help=f"Days until it expires, 1 to {tokens.MAX_TOKEN_DAYS} (default: API_TOKEN_DAYS).",
)
@click.option("--name", default="command line", show_default=True, help="What uses it.")
@click.option("--as", "as_email", metavar="EMAIL", help="Audit the change as this user.")
@with_appcontext
def tokens_create(email, expires_days, name, as_email):
    """Make a token acting as EMAIL. The token alone is printed on standard output (its
    description on standard error), once: `token=$(fundcrm tokens create EMAIL)`."""
    session = db.session()
    audit_actor(session, as_email)
    user = _token_owner(session, email)
    if not user.active:
        raise click.ClickException(f"{user.email} is disabled: a token would not sign in.")
    days = current_app.config["API_TOKEN_DAYS"] if expires_days is None else expires_days
    try:
        made = tokens.create_token(session, user, name, days)
    except tokens.TokenError as error:
        session.rollback()
        raise click.ClickException(str(error.message)) from None
    session.commit()
    record = made.record
    click.echo(
        f"Token {record.id} “{record.name}” for {user.email}, expires "
        f"{_when(record.expires_at)} (shown this once):",
        err=True,
    )
    click.echo(made.secret)


@tokens_group.command("list")
@click.argument("email")
@with_appcontext
def tokens_list(email):
    """The tokens of EMAIL, newest first (times in the fund's time zone)."""
    from fundcrm.models.base import utcnow

    session = db.session()
    user = _token_owner(session, email)
    now = utcnow()
    rows = [("id", "name", "starts with", "created", "expires", "last used", "status")]
    for token in tokens.tokens_of(session, user.id):
        status = (
            "revoked"
            if token.revoked_at
            else ("active" if tokens.is_live(token, now) else "expired")
        )
        rows.append(
            (
                str(token.id),
                token.name,
                token.prefix + "…",
                _when(token.created_at),
                _when(token.expires_at) if token.expires_at else "never",
                _when(token.last_used_at),
                status,
            )
        )
    if len(rows) == 1:
        click.echo(f"{user.email} has no API token.")
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


@tokens_group.command("revoke")
@click.argument("email")
@click.argument("token_id", type=int)
@click.option("--as", "as_email", metavar="EMAIL", help="Audit the change as this user.")
@with_appcontext
def tokens_revoke(email, token_id, as_email):
    """Revoke token TOKEN_ID of EMAIL: it no longer signs in."""
    from fundcrm.models import ApiToken

    session = db.session()
    audit_actor(session, as_email)
    user = _token_owner(session, email)
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise click.ClickException(f"{user.email} has no token {token_id} (fundcrm tokens list).")
    if token.revoked_at is not None:
        click.echo(f"Token {token_id} “{token.name}” was already revoked.")
        return
    tokens.revoke_token(session, token)
    session.commit()
    click.echo(f"Revoked token {token_id} “{token.name}” of {user.email}.")
