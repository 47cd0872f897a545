"""`fundcrm report annual`: the annual report as a PDF or a workbook, with a progress bar."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from fundcrm import clock, db, progress
from fundcrm.reports.context import Ask, format_of, lp_named, refusals
from fundcrm.reports.issue import make


@click.group("report")
def report_group():
    """Reports to the fund's LPs and the city."""


@report_group.command("annual")
@click.option(
    "--year",
    type=click.IntRange(1900, 9999),
    required=True,
    help="The report's year (as of 31 December).",
)
@click.option("--sub-fund", "code", help="One sub-fund's code (default: the whole fund).")
@click.option(
    "--lang", "language", type=click.Choice(["zh", "en"]), default="zh", show_default=True
)
@click.option("--edition", type=click.Choice(["staff", "lp"]), default="staff", show_default=True)
@click.option("--lp", "lp_name", help="The LP of an LP edition, by its name.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="FILE.pdf or FILE.xlsx",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def annual_command(year, code, language, edition, lp_name, out: Path, quiet):
    """Make the annual portfolio report; issued and kept when its period is closed."""
    session = db.session()
    problems = []
    file_format = format_of(out.name)
    lp = None
    if edition == "lp" and not lp_name:
        problems.append("--lp: an LP edition needs its LP (--lp NAME).")
    elif lp_name:
        lp = lp_named(session, lp_name)
        if lp is None:
            problems.append(f"--lp: no LP is named {lp_name}.")
    ask = Ask(year, code, language, edition, lp.id if lp else None, file_format or "")
    with force_locale("en"):
        for field, message in refusals(session, ask, clock.today()):
            if field == "lp" and lp is None:
                continue  # said above
            problems.append(f"--{_OPTIONS[field]}: {message}")
    if problems:
        raise click.UsageError("\n".join(problems))
    with force_locale(ask.locale):
        by = _("command line")  # who made it, as the report's cover says
    with progress.bar_on_terminal("Annual report", quiet=quiet):
        made = make(session, ask, current_app.config, current_app.instance_path, label=by)
    part = out.with_name(f".{out.name}.part")
    part.write_bytes(made.data)
    part.replace(out)
    state = f"issued (kept as report {made.issued.id})" if made.issued else "draft (not kept)"
    click.echo(f"{out}: {len(made.data):,} bytes, {state}")


_OPTIONS = {
    "year": "year",
    "sub_fund": "sub-fund",
    "language": "lang",
    "edition": "edition",
    "lp": "lp",
    "file_format": "out",
}
