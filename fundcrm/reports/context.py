"""What an annual report is asked for (`Ask`), the checks that refuse a bad ask before any work
or file, and what every section reads (`Context`): the scope's sub-funds, the LP of an LP
edition, and the figures of DOMAIN.md section 6 as of 31 December, computed once."""

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from flask_babel import gettext as _
from sqlmodel import Session

from fundcrm.compliance.checks import Settings
from fundcrm.funds.queries import commitment_schedules, lps, sub_funds
from fundcrm.models import LimitedPartner, SubFund
from fundcrm.portfolio import figures

FORMATS = ("pdf", "xlsx")
EDITIONS = ("staff", "lp")
LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}  # the ask's language → the locale it is written in


@dataclass(frozen=True)
class Ask:
    year: int
    sub_fund: str | None = None  # a sub-fund's code; None: the whole fund
    language: str = "zh"
    edition: str = "staff"
    lp_id: int | None = None  # the LP edition's LP
    file_format: str = "pdf"

    @property
    def as_of(self) -> date:
        return date(self.year, 12, 31)

    @property
    def locale(self) -> str:
        return LANGUAGES[self.language]

    def params(self) -> dict:
        """As a job's parameters (JSON)."""
        return {
            "year": self.year,
            "sub_fund": self.sub_fund,
            "language": self.language,
            "edition": self.edition,
            "lp_id": self.lp_id,
            "file_format": self.file_format,
        }

    @classmethod
    def from_params(cls, params: dict) -> "Ask":
        return cls(
            int(params["year"]),
            params.get("sub_fund"),
            params["language"],
            params["edition"],
            params.get("lp_id"),
            params["file_format"],
        )


def format_of(path: str) -> str | None:
    """The output format named by a file's extension (None: not one the report is made in)."""
    extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return extension if extension in FORMATS else None


def lp_named(db: Session, name: str) -> LimitedPartner | None:
    wanted = name.strip()
    return next((lp for lp in lps(db) if lp.name == wanted), None)


def refusals(db: Session, ask: Ask, today: date) -> list[tuple[str, str]]:
    """Why the report cannot be made as asked: (the field, the message in the current
    language) for each reason; empty when it can."""
    found = []
    funds = sub_funds(db)
    if ask.file_format not in FORMATS:
        found.append(
            ("file_format", _("The report is made as PDF (.pdf) or as an Excel workbook (.xlsx)."))
        )
    if ask.language not in LANGUAGES:
        found.append(("language", _("The report is written in Chinese (zh) or English (en).")))
    if ask.edition not in EDITIONS:
        found.append(("edition", _("The edition is staff or lp.")))
    fund = next((f for f in funds if f.code == ask.sub_fund), None)
    if ask.sub_fund is not None and fund is None:
        found.append(("sub_fund", _("No sub-fund has the code %(code)s.", code=ask.sub_fund)))
    closes = [f.first_close for f in funds if f.first_close is not None]
    first = min(closes) if closes else None
    if ask.year > today.year:
        found.append(
            (
                "year",
                _(
                    "%(year)s is in the future: a report is made for a year that has begun.",
                    year=ask.year,
                ),
            )
        )
    elif first is not None and ask.year < first.year:
        found.append(
            (
                "year",
                _(
                    "The fund's first close was in %(year)s: there is no report before it.",
                    year=first.year,
                ),
            )
        )
    if ask.edition == "lp":
        if ask.lp_id is None:
            found.append(("lp", _("An LP edition needs its LP.")))
        else:
            committed = lp_sub_funds(db, ask.lp_id, ask.as_of)
            if not committed:
                found.append(
                    (
                        "lp",
                        _(
                            "This LP had no commitment in force on %(date)s.",
                            date=ask.as_of.isoformat(),
                        ),
                    )
                )
            elif fund is not None and fund.id not in {f.id for f in committed}:
                found.append(("lp", _("This LP has no commitment to %(code)s.", code=fund.code)))
    return found


def lp_sub_funds(db: Session, lp_id: int, on: date | None = None) -> list[SubFund]:
    """The sub-funds the LP has a commitment to (one in force by `on`, when given)."""
    from fundcrm.funds.capital import sub_funds_of

    found = sub_funds_of(db, lp_id)
    if on is None:
        return found
    schedules = commitment_schedules(db)
    return [f for f in found if (s := schedules.get((lp_id, f.id))) is not None and s.started(on)]


@dataclass
class Context:
    """What every section reads. `funds`: the sub-funds in scope (one, the whole fund's, or an
    LP edition's: the LP's sub-funds)."""

    db: Session
    ask: Ask
    funds: list[SubFund]
    lp: LimitedPartner | None
    settings: Settings
    config: dict
    extra: dict = field(default_factory=dict)

    @property
    def as_of(self) -> date:
        return self.ask.as_of

    @property
    def year(self) -> int:
        return self.ask.year

    @property
    def start(self) -> date:
        return date(self.ask.year, 1, 1)

    @property
    def lp_edition(self) -> bool:
        return self.ask.edition == "lp"

    @property
    def fund_ids(self) -> set[int]:
        return {f.id for f in self.funds}

    @property
    def whole_fund(self) -> bool:
        """The report covers every sub-fund (the fund's own totals are the metrics' `fund`)."""
        return self.ask.sub_fund is None and not self.lp_edition

    @cached_property
    def everything(self) -> tuple:
        """Every sub-fund's figures as of 31 December (figures.compute), computed once for the
        metrics, the capital accounts and the figures kept with the report."""
        return figures.compute(self.db, self.as_of)

    @cached_property
    def figures(self) -> tuple:
        """(the scope's total, each sub-fund's figures with its holdings'): fundcrm metrics as
        of 31 December, for the sub-funds in scope."""
        return figures.scoped(self.everything, {f.code for f in self.funds}, self.as_of)


def context(db: Session, ask: Ask, config) -> Context:
    """The context of an ask that `refusals` accepted."""
    funds = sub_funds(db)
    lp = db.get(LimitedPartner, ask.lp_id) if ask.edition == "lp" else None
    if lp is not None:
        mine = {f.id for f in lp_sub_funds(db, lp.id, ask.as_of)}
        funds = [f for f in funds if f.id in mine]
    if ask.sub_fund is not None:
        funds = [f for f in funds if f.code == ask.sub_fund]
    return Context(db, ask, funds, lp, Settings.of(config), config)
