"""The industry map (`/map`): its page, its figures as JSON, its table as CSV or XLSX and the
districts' shapes. The four read one ask (figures.read_ask) and one set of rows (view.rows)."""

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import clock, db
from fundcrm.auth.queries import users_who_can
from fundcrm.compliance.checks import Settings
from fundcrm.domain import geo
from fundcrm.funds import capital
from fundcrm.funds.queries import sub_funds
from fundcrm.i18n import vocab_labels
from fundcrm.industry_map import export, figures, layer, view
from fundcrm.industry_map import measures as m
from fundcrm.permissions import RecordRefused, requires, user_can

bp = Blueprint("industry_map", __name__)

FILES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class Shown:
    """The ask, the layer and the rows of one request."""

    def __init__(self):
        session = db.session()
        self.ask = figures.read_ask(request.args, session, current_user, clock.today(), _lp_codes)
        self.layer = None
        if self.ask.commitment_id is not None:
            settings = Settings.of(current_app.config)
            self.layer = layer.build(session, self.ask.commitment_id, self.ask.as_of, settings)
            if self.layer is None:
                raise figures.MapRefused(
                    [_("Unknown government commitment: %(id)s", id=self.ask.commitment_id)]
                )
        self.rows = view.rows(self.ask, figures.tally(session, self.ask), self.layer)


def _lp_codes(lp_id: int) -> list[str]:
    """The codes of the sub-funds a tied LP viewer sees."""
    return [f.code for f in capital.sub_funds_of(db.session(), lp_id)]


def _shown() -> Shown:
    """The request's figures; a refusal as the 400 or 403 page saying why."""
    try:
        return Shown()
    except figures.MapRefused as refusal:
        shown = render_template("industry_map/refused.html", messages=refusal.messages)
        abort(make_response(shown, 400))
    except figures.MapForbidden as refusal:
        raise RecordRefused(description=str(refusal)) from None


@bp.get("/map")
@requires("read_map")
def page():
    """Chongqing's districts coloured by a measure, the zones and the cities outside beside
    them, the same figures as a table under the map."""
    shown = _shown()
    session = db.session()
    tied = shown.ask.lp_id is not None
    funds = capital.sub_funds_of(session, shown.ask.lp_id) if tied else sub_funds(session)
    return render_template(
        "industry_map/page.html",
        ask=shown.ask,
        rows=shown.rows,
        layer=shown.layer,
        measures=[x for x in m.MEASURES.values() if user_can(current_user, "read_map", x)],
        source_measures=view.source_measures(shown.ask.measure),
        money={x.code: x.money for x in m.MEASURES.values()},
        map_data=view.page_data(shown.ask, shown.rows, shown.layer),
        legend=view.legend(shown.ask.measure),
        sub_funds=funds,
        owners=[] if tied else users_who_can(session, "read_pipeline"),
        commitments=_commitment_choices(session),
        zone_districts=geo.ZONE_DISTRICTS,
        statuses=m.STATUSES,
    )


def _commitment_choices(session) -> list[tuple[int, str]]:
    """(id, "LP · sub-fund · area") of each government commitment the layer can show, for
    those who read the re-investment rules."""
    if not user_can(current_user, "read_compliance"):
        return []
    codes = {f.id: f.code for f in sub_funds(session)}
    return [
        (c.id, f"{c.lp} · {codes.get(c.sub_fund_id, '')} · {vocab_labels('reinvest_area', c.area)}")
        for c in layer.commitments(session)
    ]


@bp.get("/map/data.json")
@requires("read_map")
def data():
    """The map's figures (the route contract); a refusal as JSON with every reason."""
    try:
        shown = Shown()
    except figures.MapRefused as refusal:
        return _json_error(400, "bad_request", refusal.messages)
    except figures.MapForbidden as refusal:
        return _json_error(403, "forbidden", [str(refusal)])
    return jsonify(view.data(shown.ask, shown.rows, shown.layer))


def _json_error(status: int, code: str, messages: list[str]):
    error = {"code": code, "message": " ".join(messages), "messages": messages}
    return jsonify({"error": error}), status


@bp.get("/map/table.<fmt>")
@requires("read_map")
def table(fmt: str):
    """The table under the map as a file, headers in the user's language."""
    if fmt not in FILES:
        abort(404)
    shown = _shown()
    headers, body = view.table(shown.ask, shown.rows, shown.layer)
    if fmt == "csv":
        content = export.write_csv(headers, body)
    else:
        content = export.write_xlsx(_("Industry map"), headers, body)
    response = current_app.response_class(content, content_type=FILES[fmt])
    name = f"industry-map-{shown.ask.as_of.isoformat()}.{fmt}"
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/map/districts.geojson")
@requires("read_map")
def geojson():
    """The 38 districts' shapes the browser's map registers: the same for every user and
    request until the app changes, so the browser keeps them."""
    response = current_app.response_class(geo.geojson(), mimetype="application/geo+json")
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.add_etag()
    return response.make_conditional(request)
