"""The annual report as a background job (fundcrm.jobs): `annual_report`, one file per job,
its progress named by the section being gathered."""

from flask_babel import gettext as _

from fundcrm import clock
from fundcrm.jobs.kinds import JobContext, JobRefused, Outcome, register
from fundcrm.permissions import user_can
from fundcrm.reports.context import Ask, refusals
from fundcrm.reports.issue import make

KIND = "annual_report"


def report_title(params: dict) -> str:
    ask = Ask.from_params(params)
    scope = ask.sub_fund or _("the whole fund")
    edition = _("LP edition") if ask.edition == "lp" else _("staff edition")
    return _(
        "Annual report %(year)s, %(scope)s, %(edition)s (%(format)s)",
        year=ask.year,
        scope=scope,
        edition=edition,
        format=ask.file_format.upper(),
    )


@register(KIND, "make_reports", title=report_title)
def annual_report_job(context: JobContext) -> Outcome:
    ask = Ask.from_params(context.job.params)
    if not user_can(context.user, "make_reports", ask):
        raise JobRefused(_("Your role no longer allows this report."))
    refused = refusals(context.session, ask, clock.today())
    if refused:  # the fund's data changed since the job was queued (an LP's commitment gone)
        raise JobRefused(" ".join(message for _field, message in refused))
    made = make(context.session, ask, context.config, context.instance_path, context.user)
    path = context.folder / f"report-{context.job.id}-{context.job.attempt}.{ask.file_format}"
    part = path.with_name(f".{path.name}.part")
    part.write_bytes(made.data)
    part.replace(path)
    if made.issued is not None:
        message = _("The report is issued and kept under Reports.")
    else:
        message = _(
            "This is a draft: the period is not closed through 31 December %(year)s, so the "
            "report is watermarked and not kept.",
            year=ask.year,
        )
    return Outcome(message=message, file=path, download_name=made.download_name)
