"""`fundcrm import KIND FILE` and `fundcrm export KIND --out FILE`, added to the `fundcrm`
group by fundcrm.cli."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.datastructures import MultiDict

from fundcrm import db, migrate, progress
from fundcrm.audit import set_actor
from fundcrm.imports import exports, queries
from fundcrm.imports.exports import LIST_FILTERS
from fundcrm.imports.formats import KINDS
from fundcrm.imports.report import ImportReport
from fundcrm.imports.service import run_import
from fundcrm.models import User

REPEATABLE = {
    "sub_fund",
    "stage",
    "round",
    "source",
    "focus_area",
    "enterprise_stage",
    "application_fields",
    "zone",
    "district",
}


def _actor(session, email: str | None) -> User | None:
    """Whom the audit trail names: the --as user, or `cli`."""
    if not email:
        set_actor(session, None, "cli")
        return None
    user = queries.active_user(session, email)
    if user is None:
        raise click.ClickException(f"No active user has the email {email} (--as).")
    set_actor(session, user.id, user.email)
    return user


@click.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)), metavar="KIND")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--as", "as_email", metavar="EMAIL", help="Audit the changes as this user.")
@click.option("--quiet", is_flag=True, help="No progress bar (for scripts).")
@with_appcontext
def import_command(kind, file: Path, dry_run, as_email, quiet):
    """Import FILE (.csv or .xlsx) of KIND: all rows or, if any row is invalid, none."""
    session = db.session()
    user = _actor(session, as_email)
    with progress.bar_on_terminal(f"{'Checking' if dry_run else 'Importing'} {file.name}", quiet):
        report = run_import(
            session,
            kind,
            file.read_bytes(),
            file.name,
            user=user,
            settings=current_app.config,
            dry_run=dry_run,
        )
    if report.written:
        session.commit()
        migrate.refresh_statistics(db.engine())  # the tables may have grown a lot at once
    _print(report)
    if report.errors:
        raise SystemExit(1)


def _print(report: ImportReport) -> None:
    for issue in report.sorted_errors():
        click.echo(issue.line(), err=True)
    for issue in report.warnings:
        click.echo(f"warning: {issue.line()}")
    for issue in report.breaches:
        click.echo(f"mandate breach: {issue.line()}")
    counts = f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}"
    if report.errors:
        click.echo(f"{len(report.errors)} error(s): nothing was written.", err=True)
    elif report.dry_run:
        click.echo(f"Dry run, nothing written: would be {counts}.")
    else:
        click.echo(f"Imported {report.filename}: {counts}.")
    if report.warnings:
        click.echo(f"{len(report.warnings)} warning(s).")


def _filter_options(command):
    for name in reversed(LIST_FILTERS):
        kinds = ", ".join(LIST_FILTERS[name])
        command = click.option(
            f"--{name.replace('_', '-')}",
            name,
            multiple=name in REPEATABLE,
            help=f"List filter `{name}` ({kinds}){'; repeatable' if name in REPEATABLE else ''}.",
        )(command)
    return command


@click.command("export")
@click.argument("kind", type=click.Choice(list(KINDS)), metavar="KIND")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="FILE.xlsx or FILE.csv",
)
@click.option(
    "--labels",
    is_flag=True,
    help="For reading: labels instead of codes, headers in --lang, amounts in 万元 rounded. "
    "Not for importing again.",
)
@click.option(
    "--lang",
    type=click.Choice(exports.LANGUAGES),
    help="The language of --labels (default zh).",
)
@click.option("--quiet", is_flag=True, help="No progress bar (for scripts).")
@_filter_options
@with_appcontext
def export_command(kind, out: Path, labels: bool, lang: str | None, quiet: bool, **options):
    """Export KIND in the import's columns, filtered like the lists (/deals, /companies)."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in exports.FORMATS:
        raise click.UsageError("--out must end in .xlsx or .csv")
    if lang and not labels:
        raise click.UsageError("--lang goes with --labels (the default export has codes only)")
    args = _filter_args(kind, options)
    language = (lang or "zh") if labels else None
    try:
        with progress.bar_on_terminal(f"Exporting {kind}", quiet):
            exports.write_file(db.session(), kind, fmt, args, out, language)
    except exports.ExportError as error:
        raise click.ClickException("; ".join(error.messages)) from None
    click.echo(f"Exported {kind} to {out}{' for reading' if labels else ''}.")


def _filter_args(kind: str, options: dict) -> MultiDict:
    args = MultiDict()
    for name, value in options.items():
        values = list(value) if isinstance(value, tuple) else [value] if value else []
        if not values:
            continue
        if kind not in LIST_FILTERS[name]:
            option = f"--{name.replace('_', '-')}"
            raise click.UsageError(f"{option} does not apply to {kind}")
        for item in values:
            args.add(name, item)
    return args
