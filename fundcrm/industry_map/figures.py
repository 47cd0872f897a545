"""The industry map's figures: the ask (measure, the list filters, as-of date, selected district,
re-investment layer) read from the request's arguments, and one tally of the places behind the
map, its table and its export (fundcrm.domain.places), so the three cannot disagree.

Deal measures group the deals the deal list's filters select by their company's place, in one
statement kept under the pipeline's data version (fundcrm.portfolio.cache). Portfolio measures
add up the portfolio list's rows as of the date (its cached rows, fundcrm.portfolio.listing),
with the filters that apply to a holding. Places are the companies' registered locations as the
lists filter them (today's); the re-investment layer judges the as-of date, as the rules do.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from fundcrm.domain import places
from fundcrm.domain.vocab import DISTRICTS
from fundcrm.industry_map import measures as m
from fundcrm.industry_map import queries
from fundcrm.listing import ListFilters, parse_filters
from fundcrm.permissions import tied_lp_id, user_can
from fundcrm.portfolio import cache, listing

# the deal tallies hold whatever the date: one entry per filter set and pipeline version
KEPT_AS_OF = date(2000, 1, 1)
SCOPE = "map-deals-v1"
PORTFOLIO_SCOPE = "map-portfolio-v1"  # names the stored tally's layout (places.stored)


UNTIED = _l(
    "Your account is not tied to an LP: an administrator ties a representative's account to the "
    "LP it represents."
)


class MapRefused(ValueError):
    """An ask the map cannot answer (a 400), every reason in the user's language."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


class MapForbidden(ValueError):
    """An ask beyond what the user may see (a 403), in the user's language."""


@dataclass
class Ask:
    measure: m.Measure
    filters: ListFilters  # the deal list's filters, checked
    given: dict[str, list[str]]  # the filters as given (DEAL_FILTERS), for the lists' links
    as_of: date
    district: str | None = None  # the district selected on the map
    commitment_id: int | None = None  # the re-investment layer's commitment
    lp_id: int | None = None  # a tied LP viewer's LP: the map shows its sub-funds only
    sub_funds: list[str] = field(default_factory=list)  # the codes in scope (all: empty)
    as_of_given: bool = False

    @property
    def ignored(self) -> list[str]:
        """The filters given that do not apply to the measure: a holding has no stage, round,
        source, owner or creation date; a deal no status, and deals are counted as they are
        today whatever the as-of date."""
        if self.measure.portfolio:
            return [name for name in self.given if name not in m.PORTFOLIO_FILTERS]
        found = [name for name in self.given if name not in m.DEAL_FILTERS]
        # the as-of date applies to the re-investment layer beside a deal measure
        return found + (["as_of"] if self.as_of_given and self.commitment_id is None else [])

    @property
    def ignored_names(self) -> list[str]:
        return [str(m.FILTER_NAMES.get(name, name)) for name in self.ignored]

    @property
    def portfolio_filters(self) -> dict[str, list[str]]:
        """The filters as the portfolio list names them."""
        found = {m.PORTFOLIO_FILTERS[k]: v for k, v in self.given.items()
                 if k in m.PORTFOLIO_FILTERS}  # fmt: skip
        if self.sub_funds:
            found["sub_fund"] = self.sub_funds
        return found


def _given(args, names) -> dict[str, list[str]]:
    """The filters given among `names`, as the lists read them (a sub-fund's code in
    capitals)."""
    found = {name: values for name in names
             if (values := [v.strip() for v in args.getlist(name) if v.strip()])}  # fmt: skip
    if "sub_fund" in found:
        found["sub_fund"] = [c.upper() for c in found["sub_fund"]]
    return found


def _filters(args, db: Session, lp_id: int | None, errors: list) -> tuple[dict, ListFilters]:
    """(the filters given, the deal list's filters checked). An LP's representative gives
    only the portfolio's filters, and its sub-fund is checked against its LP's (_lp_scope), so
    a refusal never tells it which sub-funds or users exist."""
    names = m.VIEWER_FILTERS if lp_id is not None else (*m.DEAL_FILTERS, "status")
    given = _given(args, names)
    checked = [n for n in names if n in m.DEAL_FILTERS and (lp_id is None or n != "sub_fund")]
    filters = parse_filters(_only(args, checked), db, {"updated": ()}, "updated")
    errors.extend(filters.errors)
    if bad := [s for s in given.get("status", []) if s not in m.STATUSES]:
        errors.append(str(_l("Unknown code for %(name)s: %(code)s", name=m.FILTER_NAMES["status"],
                             code=", ".join(bad))))  # fmt: skip
    return given, filters


def read_ask(args, db: Session, user, today: date, lp_sub_funds) -> Ask:
    """The map's ask from the request's arguments. Raises MapRefused (400) with every reason,
    or MapForbidden (403). `lp_sub_funds(lp_id)`: the codes of a tied LP's sub-funds."""
    errors = []
    lp_id = None if user_can(user, "read_portfolio") else tied_lp_id(user)
    default = m.DEALS if user_can(user, "read_pipeline") else m.PORTFOLIO
    code = args.get("measure", "").strip() or m.DEFAULT_MEASURE[default]
    measure = m.MEASURES.get(code)
    if measure is None:
        known = ", ".join(m.MEASURES)
        errors.append(str(_l("Unknown measure: %(code)s (one of %(known)s)", code=code,
                             known=known)))  # fmt: skip
    elif not user_can(user, "read_map", measure):
        if not user_can(user, "read_portfolio") and lp_id is None:
            raise MapForbidden(str(UNTIED))
        raise MapForbidden(str(_l("Your role does not see this measure on the map.")))
    given, filters = _filters(args, db, lp_id, errors)
    as_of = _as_of(args.get("as_of", ""), today, errors)
    district = args.get("district", "").strip() or None
    if district is not None and district not in DISTRICTS:
        errors.append(str(_l("Not one of Chongqing's 38 districts: %(name)s", name=district)))
    commitment_id = _commitment(args.get("commitment", ""), user, errors)
    if errors:
        raise MapRefused(errors)
    ask = Ask(measure, filters, given, as_of, district, commitment_id, lp_id,
              as_of_given=bool(args.get("as_of", "").strip()))  # fmt: skip
    if lp_id is not None:
        ask.sub_funds = _lp_scope(given.get("sub_fund", []), lp_sub_funds(lp_id))
    return ask


def _only(args, names) -> MultiDict:
    return MultiDict([(k, v) for k, v in args.items(multi=True) if k in names])


def _as_of(text: str, today: date, errors: list) -> date:
    if not text.strip():
        return today
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        errors.append(str(_l("Give the date as YYYY-MM-DD.")))
        return today
    if day > today:
        errors.append(str(_l("The as-of date is in the future: %(day)s (today is %(today)s).",
                             day=day.isoformat(), today=today.isoformat())))  # fmt: skip
    return day


def _commitment(text: str, user, errors: list) -> int | None:
    if not text.strip():
        return None
    if not user_can(user, "read_compliance"):
        raise MapForbidden(str(_l("Your role does not see the re-investment rules.")))
    if not (text.strip().isascii() and text.strip().isdigit()):
        errors.append(str(_l("Unknown government commitment: %(id)s", id=text.strip())))
        return None
    return int(text)


def _lp_scope(asked: list[str], own: list[str]) -> list[str]:
    """A tied LP viewer's sub-fund: the one asked for among its LP's, else its first."""
    if not own:
        raise MapForbidden(str(_l("Your LP has no commitment to any sub-fund.")))
    codes = [c.strip().upper() for c in asked]
    if any(c not in own for c in codes):
        raise MapForbidden(str(_l("An LP representative sees only its LP's sub-funds.")))
    return codes[:1] or own[:1]


# -- the tally ----------------------------------------------------------------------------


def _key(values: dict) -> str:
    """A cache key of a set of filters."""
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 (a cache key)


def deal_tally(db: Session, filters: ListFilters) -> places.Tally:
    stored = cache.cached(
        db,
        KEPT_AS_OF,
        f"{SCOPE}:{_key(filters.values)}",
        lambda: {"rows": queries.deal_places(db, filters)},
        name=cache.PIPELINE,
    )
    items = ((places.Where(d, c, z), (n, total)) for d, c, z, n, total in stored["rows"])
    return places.tally(items, [kind for _code, kind in m.SOURCE_MEASURES[m.DEALS]])


def portfolio_tally(db: Session, as_of: date, wanted: dict) -> places.Tally:
    """The portfolio list's rows as of the date, filtered, added up by place: kept under the
    metrics' data version per date and filter set (a repeat view reads a few kilobytes rather
    than every holding's row)."""
    kinds = [kind for _code, kind in m.SOURCE_MEASURES[m.PORTFOLIO]]
    compute = lambda: places.stored(_portfolio_tally(db, as_of, wanted, kinds))  # noqa: E731
    found = cache.cached(db, as_of, f"{PORTFOLIO_SCOPE}:{_key(wanted)}", compute)
    return places.restored(found, kinds)


def _portfolio_tally(db: Session, as_of: date, wanted: dict, kinds: list) -> places.Tally:
    rows = listing.rows(db, as_of, wanted)
    fields = [listing.AT[name] for name in ("district", "city", "zone", "invested", "fair_value",
                                            "company_id")]  # fmt: skip
    items = (
        (places.Where(r.stored[fields[0]], r.stored[fields[1]], r.stored[fields[2]]),
         (r.stored[fields[3]], r.stored[fields[4]], r.stored[fields[5]]))
        for r in rows
    )  # fmt: skip
    return places.tally(items, kinds)


def tally(db: Session, ask: Ask) -> places.Tally:
    """The figures of every place for the ask's measure's source (all its measures)."""
    if ask.measure.portfolio:
        return portfolio_tally(db, ask.as_of, ask.portfolio_filters)
    return deal_tally(db, ask.filters)
