"""The closing form: a deal at 签约 becomes 交割 with its investments recorded."""

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import db
from fundcrm.deals import queries as deal_queries
from fundcrm.ic import queries as ic_queries
from fundcrm.permissions import authorize, requires
from fundcrm.portfolio import closing
from fundcrm.portfolio.forms import closing_form
from fundcrm.views import submit

bp = Blueprint("portfolio", __name__)


@bp.route("/deals/<int:deal_id>/close", methods=["GET", "POST"])
@requires("move_deals")
def close_deal(deal_id: int):
    session = db.session()
    deal = deal_queries.deal_for_page(session, deal_id) or abort(404)
    authorize("move_deals", deal)
    decision = ic_queries.latest_decision(session, deal.id)
    form = closing_form(deal.participations)
    if request.method == "GET" and decision is not None:
        for part in deal.participations:
            form[f"sub_fund_{part.sub_fund_id}_amount"].data = decision.approved_yuan.get(
                part.sub_fund_id
            )
    ids = [p.sub_fund_id for p in deal.participations]
    done = submit(
        form,
        lambda: closing.close_deal(
            session, deal, form.investments(ids), current_user, form.override_reason.data
        ),
        _("The deal is closed: its investments are recorded on the holdings."),
        url_for("deals.show", deal_id=deal.id),
    )
    conditions = ic_queries.open_conditions(session, deal.id)
    return done or render_template(
        "portfolio/close.html", deal=deal, form=form, decision=decision, conditions=conditions
    )
