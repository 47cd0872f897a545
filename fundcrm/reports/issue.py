"""Making a report's file, from the command line or a job, and keeping it once issued.

A report for a year whose period is closed through 31 December is issued: its file goes to
<instance>/reports (written whole under a temporary name, then renamed) and a row keeps it with
the figures it was made of, who made it and when (the audit trail records the row). Before the
close the report is a draft: watermarked, handed to whoever asked, and not kept."""

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from fundcrm import audit
from fundcrm.models import IssuedReport
from fundcrm.reports import annual
from fundcrm.reports.context import Ask
from fundcrm.reports.model import Report

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Made:
    report: Report
    data: bytes
    download_name: str
    issued: IssuedReport | None  # None: a draft


def reports_folder(instance_path: str) -> Path:
    return Path(instance_path) / "reports"


def download_name(ask: Ask, draft: bool) -> str:
    """What the browser saves the file as: ASCII, saying what it is."""
    parts = ["annual-report", str(ask.year), ask.sub_fund or "fund", ask.edition]
    if ask.lp_id is not None and ask.edition == "lp":
        parts.append(f"lp{ask.lp_id}")
    parts.append(ask.language)
    if draft:
        parts.append("draft")
    return "-".join(parts) + f".{ask.file_format}"


def make(db: Session, ask: Ask, config, instance_path: str, user=None, label: str = "") -> Made:
    """The report's file; issued and kept when its period is closed. `user` made it (None from
    the command line, named by `label`)."""
    by = label or (user.name if user is not None else "")
    report = annual.build(db, ask, config, by)
    data = annual.render(report)
    name = download_name(ask, report.draft)
    issued = None if report.draft else _keep(db, ask, report, data, name, instance_path, user, by)
    return Made(report, data, name, issued)


def _keep(db, ask: Ask, report: Report, data: bytes, name: str, instance_path, user, by: str):
    folder = reports_folder(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{ask.year}-{secrets.token_hex(8)}.{ask.file_format}"
    part = folder / f".{stored}.part"
    part.write_bytes(data)
    os.replace(part, folder / stored)
    if user is not None:
        audit.set_actor(db, user.id, user.email)
    else:
        audit.set_actor(db, None, by or "command line")
    issued = IssuedReport(
        year=ask.year,
        sub_fund_code=ask.sub_fund,
        edition=ask.edition,
        lp_id=ask.lp_id if ask.edition == "lp" else None,
        language=ask.language,
        file_format=ask.file_format,
        file_name=stored,
        download_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        figures=report.figures,
        issued_by_id=user.id if user is not None else None,
        issued_by_label=(user.email if user is not None else by) or "command line",
    )
    db.add(issued)
    try:
        db.commit()
    except Exception:
        db.rollback()
        (folder / stored).unlink(missing_ok=True)
        raise
    return issued


def issued_path(instance_path: str, issued: IssuedReport) -> Path | None:
    path = reports_folder(instance_path) / issued.file_name
    return path if path.is_file() else None
