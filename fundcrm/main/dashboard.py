"""The home page's dashboard, per role: what each chart and its table show, computed by the same
functions as the annual report (fundcrm.domain.pipeline, breakdown, deployment) from counts
grouped in the database, so its cost does not grow with the number of deals.

Which panels a user sees is asked of fundcrm.permissions only: a user without read_pipeline
(an LP's representative) gets no pipeline figure at all."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import url_for
from flask_babel import gettext as _
from sqlmodel import Session

from fundcrm.deals import queries as deal_queries
from fundcrm.domain import deployment as deployed
from fundcrm.domain.breakdown import breakdown
from fundcrm.domain.money import rounded_wan
from fundcrm.domain.pipeline import funnel
from fundcrm.domain.stages import ALL_STAGES, OFF_PATH, PATH
from fundcrm.domain.vocab import FOCUS_AREAS, ZONES
from fundcrm.funds.queries import commitment_schedules
from fundcrm.i18n import vocab_label
from fundcrm.ic.queries import Seat
from fundcrm.main import queries
from fundcrm.models import Company, Deal
from fundcrm.permissions import user_can
from fundcrm.portfolio import cache as metrics_cache

NEXT_MEETINGS = 3
MARK_HOLDINGS = 5
DEPLOYMENT_SCOPE = "dashboard:deployment"
PANELS = ("mine", "funnel", "stages", "focus_areas", "zones", "deployment", "meetings", "marks")


@dataclass(frozen=True)
class Bar:
    """One segment of a chart and one row of its table: the list behind it at `url`."""

    code: str | None
    label: str
    count: int
    url: str | None


@dataclass(frozen=True)
class Chart:
    key: str  # the element ids: chart-<key>, table-<key>
    kind: str  # funnel (horizontal bars in the path's order), hbar, bar or pie
    title: str
    bars: list[Bar]
    extra: list[Bar] = field(default_factory=list)  # shown in the table only (off the path)

    @property
    def total(self) -> int:
        return sum(b.count for b in self.bars) + sum(b.count for b in self.extra)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "items": [{"label": b.label, "value": b.count, "url": b.url} for b in self.bars],
        }


@dataclass(frozen=True)
class Deployment:
    """Investment cost to date against the commitments in force, at each quarter's end."""

    points: list[deployed.Point]
    urls: list[str]

    def as_json(self) -> dict:
        return {
            "kind": "deployment",
            "dates": [p.on.isoformat() for p in self.points],
            "invested": [str(rounded_wan(p.invested)) for p in self.points],
            "committed": [str(rounded_wan(p.committed)) for p in self.points],
            "urls": self.urls,
            "labels": {"invested": _("Invested (cost)"), "committed": _("Commitments in force")},
            "unit": _("万元"),
        }


@dataclass(frozen=True)
class Meeting:
    id: int
    held_on: date
    starts_at: object
    place: str
    items: int


@dataclass(frozen=True)
class Marks:
    count: int
    holdings: list[tuple[int, str, str, int]]  # (holding id, company, sub-fund, marks)


@dataclass
class Dashboard:
    panels: list[str] = field(default_factory=list)  # in the order the user sees them
    charts: dict[str, Chart] = field(default_factory=dict)
    deployment: Deployment | None = None
    meetings: list[Meeting] | None = None
    marks: Marks | None = None

    def chart_json(self) -> dict:
        found = {key: chart.as_json() for key, chart in self.charts.items()}
        if self.deployment is not None:
            found["deployment"] = self.deployment.as_json()
        return found


def build(db: Session, user, today: date) -> Dashboard:
    """The panels the user may see, in the order its roles put first."""
    board = Dashboard()
    if user_can(user, "read_pipeline"):
        if user_can(user, "edit_pipeline"):  # a deal team: its own deals first
            board.charts["mine"] = my_pipeline(db, user)
        board.charts.update(pipeline_charts(db))
    if user_can(user, "read_portfolio"):
        board.deployment = deployment(db, today)
    if user_can(user, "read_meetings"):
        board.meetings = next_meetings(db, user, today)
    if user_can(user, "review_marks"):
        board.marks = marks(db)
    board.panels = panel_order(user, board)
    return board


def panel_order(user, board: Dashboard) -> list[str]:
    """A deal team's own pipeline first, an IC member's next meetings, risk's marks waiting for
    review; then the fund's charts."""
    lead = ["mine"]
    if user_can(user, "sit_on_ic"):
        lead.append("meetings")
    if user_can(user, "review_marks"):
        lead.append("marks")
    shown = set(board.charts)
    shown |= {"deployment"} if board.deployment is not None else set()
    shown |= {"meetings"} if board.meetings is not None else set()
    shown |= {"marks"} if board.marks is not None else set()
    order = [*lead, *PANELS]
    return [key for key in dict.fromkeys(order) if key in shown]


# the counts hold whatever the date: one entry each, replaced when the pipeline's version moves
COUNTS_KEPT_AS_OF = date(2000, 1, 1)


def my_pipeline(db: Session, user) -> Chart:
    """The user's own deals at each stage, each bar opening that stage of "My deals". Those are
    the deals the user owns or is on the team of, unless its roles add others (an IC member's
    meetings, risk's flagged moves): then "My deals"' own condition is counted."""
    condition, reasons = deal_queries.my_deals(user, counting=True)
    if len(reasons) == 1:  # only deals.queries.on_team: the same deals, spelled faster
        # kept under the pipeline's version (deals, teams): one statement on a repeat view
        stored = metrics_cache.cached(
            db,
            COUNTS_KEPT_AS_OF,
            f"dashboard-mine:{user.id}",
            lambda: queries.stage_counts(db, Deal.id.in_(queries.on_team_ids(user))),
            name=metrics_cache.PIPELINE,
        )
        return _funnel_chart("mine", _("My pipeline"), stored, "deals.mine")
    counts = queries.stage_counts(db, condition)
    return _funnel_chart("mine", _("My pipeline"), counts, "deals.mine")


def _pipeline_counts(db: Session) -> dict:
    """The deals per stage, focus area and cluster zone (as pairs: a company may have none)."""
    return {
        "stages": queries.stage_counts(db),
        "focus": list(queries.counts_by_company(db, Company.focus_area).items()),
        "zones": list(queries.counts_by_company(db, Company.zone).items()),
    }


def pipeline_charts(db: Session) -> dict[str, Chart]:
    """The funnel, and the deals by stage, focus area and cluster zone: three grouped counts."""
    stored = metrics_cache.cached(
        db,
        COUNTS_KEPT_AS_OF,
        "dashboard-pipeline",
        lambda: _pipeline_counts(db),
        name=metrics_cache.PIPELINE,
    )
    by_stage = stored["stages"]
    stages = [
        Bar(s, vocab_label("stage", s), by_stage.get(s, 0), url_for("deals.index", stage=s))
        for s in ALL_STAGES
    ]
    by_focus, by_zone = dict(map(tuple, stored["focus"])), dict(map(tuple, stored["zones"]))
    return {
        "funnel": _funnel_chart("funnel", _("Pipeline funnel"), by_stage, "deals.index"),
        "stages": Chart("stages", "bar", _("Deals by stage"), stages),
        "focus_areas": _breakdown_chart(
            "focus_areas", "pie", _("Deals by focus area"), by_focus, FOCUS_AREAS, "focus_area"
        ),
        "zones": _breakdown_chart(
            "zones", "hbar", _("Deals by cluster zone"), by_zone, ZONES, "zone"
        ),
    }


def _funnel_chart(key: str, title: str, counts: dict[str, int], endpoint: str) -> Chart:
    steps = funnel(counts, PATH)
    bars = [_stage_bar(s.stage, s.count, endpoint) for s in steps]
    extra = [_stage_bar(s, counts.get(s, 0), endpoint) for s in OFF_PATH]
    return Chart(key, "funnel", title, bars, extra)


def _stage_bar(stage: str, count: int, endpoint: str) -> Bar:
    return Bar(stage, vocab_label("stage", stage), count, url_for(endpoint, stage=stage))


def _breakdown_chart(key, kind, title, counts: dict, vocabulary, name: str) -> Chart:
    """Deal counts grouped by one of the company's vocabularies (breakdown, as the report)."""
    slices, _totals = breakdown(
        (((code,), (Decimal(n),)) for code, n in counts.items()), vocabulary.codes
    )
    bars = [
        Bar(
            s.key,
            vocab_label(name, s.key) if s.key else _("Not set"),
            int(s.amounts[0]),
            url_for("deals.index", **{name: s.key}) if s.key else None,
        )
        for s in slices
    ]
    return Chart(key, kind, title, bars)


def deployment(db: Session, today: date) -> Deployment | None:
    """Investment cost to each quarter's end since the first close (or the first investment),
    against the commitments in force then; None before any commitment or investment. Kept in
    the metrics cache: it changes only with the portfolio and the commitments."""
    stored = metrics_cache.cached(db, today, DEPLOYMENT_SCOPE, lambda: _deployment(db, today))
    if stored["points"] is None:
        return None
    points = [
        deployed.Point(date.fromisoformat(on), Decimal(invested), Decimal(committed))
        for on, invested, committed in stored["points"]
    ]
    urls = [url_for("portfolio.portfolio", as_of=p.on.isoformat()) for p in points]
    return Deployment(points, urls)


def _deployment(db: Session, today: date) -> dict:
    invested = queries.investments_by_day(db, today)
    schedules = commitment_schedules(db)
    starts = [d for d in (queries.first_close(db), invested[0][0] if invested else None) if d]
    if not starts or not (schedules or invested):
        return {"points": None}
    points = deployed.deployment(
        invested,
        lambda day: sum((s.on(day) for s in schedules.values()), Decimal(0)),
        deployed.quarter_ends(min(starts), today),
    )
    return {"points": [[p.on.isoformat(), str(p.invested), str(p.committed)] for p in points]}


def next_meetings(db: Session, user, today: date) -> list[Meeting]:
    """The next IC meetings the user may read (an IC member: those it sits on)."""
    reads_all = user_can(user, "read_meetings", Seat(0, 0, frozenset()))
    rows = queries.upcoming_meetings(db, None if reads_all else user.id, today, NEXT_MEETINGS)
    return [Meeting(*row) for row in rows]


def marks(db: Session) -> Marks:
    """The valuation marks waiting for risk's review, and the holdings with the most of them."""
    return Marks(
        queries.pending_mark_count(db), queries.pending_marks_by_holding(db, MARK_HOLDINGS)
    )
