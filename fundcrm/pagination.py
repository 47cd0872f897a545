"""One way to cut a query into pages, used by every list."""

from dataclasses import dataclass

from flask import current_app, request
from sqlmodel import Session, func, select

MAX_PAGE = 1_000_000  # beyond any list; keeps OFFSET within the databases' integers


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int
    # the count stopped at its cap: `total` is the cap, the rows go on beyond it; whether
    # another page follows is known from this one (`more`)
    capped: bool = False
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.more if self.capped else self.number < self.pages


def requested_page() -> int:
    number = request.args.get("page", 1, type=int)
    return min(number, MAX_PAGE) if number and number > 0 else 1


def paginate(
    db: Session,
    query,
    number: int | None = None,
    per_page: int | None = None,
    counted=None,
    cap: int | None = None,
    gathered: bool = False,
) -> Page:
    """One count and one page of rows, whatever the table's size. `counted`: the same rows
    without what only the order needs (a join for a sort by company), to count cheaply.
    `cap`: count no further than this (a broad search), the page then says "cap+".
    `gathered`: the database gathers and sorts every row to give any page (a narrow search's
    matches from the index), so the count comes with the page in one statement instead of
    gathering them twice."""
    number = number or requested_page()
    per_page = per_page or current_app.config["PER_PAGE"]
    if gathered and cap is None:
        windowed = query.add_columns(func.count().over())
        rows = db.execute(windowed.limit(per_page).offset((number - 1) * per_page)).all()
        if rows:
            return Page([row[0] for row in rows], number, per_page, rows[0][-1])
        if number == 1:  # nothing matches
            return Page([], 1, per_page, 0)
        # a page past the end: counted below, and the last page shown
    counting = (query if counted is None else counted).order_by(None)
    if cap is not None:
        counting = counting.limit(cap + 1)
    total = db.exec(select(func.count()).select_from(counting.subquery())).one()
    if cap is not None and total > cap:
        # one row more than the page tells whether another page follows
        rows = list(db.exec(query.limit(per_page + 1).offset((number - 1) * per_page)).all())
        return Page(rows[:per_page], number, per_page, cap, capped=True, more=len(rows) > per_page)
    number = min(number, max(1, -(-total // per_page)))  # past the end: the last page
    items = db.exec(query.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(items=list(items), number=number, per_page=per_page, total=total)
