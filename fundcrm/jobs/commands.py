"""`fundcrm worker`: the consumer that runs background jobs."""

import click
from flask import current_app
from flask.cli import with_appcontext

from fundcrm.jobs import queue


@click.command("worker")
@click.option("--threads", default=2, show_default=True, type=int, help="Jobs run at once.")
@with_appcontext
def worker_command(threads: int):
    """Run background jobs (exports, imports) until stopped (Ctrl+C or SIGTERM)."""
    app = current_app._get_current_object()
    where = "Redis" if app.config.get("REDIS_URL") else str(queue.queue_file(app.instance_path))
    click.echo(f"FundCRM worker: {threads} thread(s), queue {where}")
    consumer = queue.queue(app).create_consumer(
        workers=threads, worker_type="thread", max_delay=queue.POLL_AT_MOST_EVERY
    )
    consumer.run()
