"""What every API resource shares: reading a record or 404, a page of a list, one commit per
request, and the services' refusals answered in the API's error shape."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask_babel import gettext as _

from fundcrm import db
from fundcrm.api.errors import ApiError
from fundcrm.api.fields import PageQuery
from fundcrm.deals.refusals import MoveRefused
from fundcrm.errors import ServiceError
from fundcrm.pagination import paginate
from fundcrm.versioning import StaleEdit


def record_or_404(model, record_id: int, name: str):
    record = db.session().get(model, record_id)
    if record is None:
        raise ApiError(404, _("No %(name)s has the id %(id)s.", name=name, id=record_id))
    return record


def page_of(query, paging: PageQuery, counted=None, cap=None, gathered=False):
    """One page of a list's query (its order must end on a unique column: stable pages)."""
    return paginate(
        db.session(),
        query,
        number=paging.page,
        per_page=paging.per_page,
        counted=counted,
        cap=cap,
        gathered=gathered,
    )


@contextmanager
def refusals_answered(current: Callable[[], dict] | None = None) -> Iterator[None]:
    """Run a service; its refusals become the API's answers: a stale version 409 with the
    record as it is now (`current()`), a refused stage move 422 with the gate's reasons, any
    other rule 422 naming its field. Nothing is written (the request's session rolls back)."""
    session = db.session()
    try:
        yield
    except StaleEdit:
        session.rollback()
        raise ApiError(
            409,
            _("The record was changed since the version you sent. Nothing was saved."),
            code="stale_version",
            current=current() if current else None,
        ) from None
    except MoveRefused as refused:
        session.rollback()
        raise ApiError(
            422,
            _("The move was refused. Nothing was saved."),
            code="gate_refused",
            reasons=refused.messages,
        ) from None
    except ServiceError as refusal:
        session.rollback()
        fields = {refusal.field: refusal.message} if refusal.field else {}
        raise ApiError(422, refusal.message, code="refused", fields=fields) from None


def commit() -> None:
    db.session().commit()
