"""`fundcrm metrics`: the figures of DOMAIN.md section 6 as JSON."""

import json
from datetime import date

import click
from flask.cli import with_appcontext

from fundcrm import clock, db
from fundcrm.funds.queries import sub_funds
from fundcrm.portfolio.figures import as_json


@click.command("metrics")
@click.option("--sub-fund", "code", help="One sub-fund's code (default: every sub-fund).")
@click.option("--as-of", "as_of", help="YYYY-MM-DD (default: today in the fund's time zone).")
@click.option("--json", "as_json_flag", is_flag=True, required=True, help="Print JSON.")
@with_appcontext
def metrics_command(code, as_of, as_json_flag):
    """Print the fund's, each sub-fund's and each holding's figures as of a date."""
    try:
        when = date.fromisoformat(as_of) if as_of else clock.today()
    except ValueError:
        raise click.BadParameter("give the date as YYYY-MM-DD", param_hint="--as-of") from None
    session = db.session()
    if code and code not in {f.code for f in sub_funds(session)}:
        raise click.BadParameter(f"no sub-fund has the code {code}", param_hint="--sub-fund")
    click.echo(json.dumps(as_json(session, when, code), ensure_ascii=False, indent=2))
