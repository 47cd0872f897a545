"""FundCRM: deal-flow CRM for the Chongqing AI & Service Robot Fund."""

from pathlib import Path

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest

import config as fundcrm_config
from fundcrm import headers
from fundcrm.api.errors import http_error_response, is_api_request
from fundcrm.domain.text import first_illegal, strip_illegal
from fundcrm.errors import ExplainedBadRequest, ExplainedNotFound
from fundcrm.permissions import RecordRefused

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


def create_app(config: fundcrm_config.Config | dict | None = None) -> Flask:
    """Build the app; `config` is a Config instance, a dict of overrides, or None (from env)."""
    settings = (
        config
        if isinstance(config, fundcrm_config.Config)
        else fundcrm_config.load((config or {}).get("ENV_NAME"))
    )
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(settings.INSTANCE_PATH),
    )
    app.config.from_mapping(settings.as_dict())
    if isinstance(config, dict):
        app.config.update(config)
    if not app.testing:  # the suite restores into its own app's database, in one process
        from fundcrm import serving

        serving.hold(app)  # `fundcrm db restore` refuses while any app holds it
    register_extensions(app)
    from fundcrm.views import RecordIdConverter

    app.url_map.converters["int"] = RecordIdConverter  # before the routes that use it
    register_blueprints(app)
    # Browsers ask for /favicon.ico whatever the page links: serve the static file there too.
    app.add_url_rule("/favicon.ico", "static", defaults={"filename": "favicon.ico"})
    register_error_pages(app)
    headers.init_app(app)
    app.before_request(_refuse_unsafe_query)
    return app


MAX_QUERY_VALUE = 2000  # characters: longer than any filter, search or link a page makes


class UnsafeQuery(BadRequest):
    """A query parameter no page can use: its message is shown on the 400 page."""


def _refuse_unsafe_query():
    """No query parameter reaches a view with text the database cannot take (NUL makes
    PostgreSQL raise) or longer than any page sends."""
    for name, value in request.args.items(multi=True):
        if found := first_illegal(name) or first_illegal(value):
            raise UnsafeQuery(
                _(
                    "The address holds an invisible control character (%(char)s) in "
                    "“%(name)s”: remove it and try again.",
                    char=found,
                    name=strip_illegal(name)[:50],
                )
            )
        if len(value) > MAX_QUERY_VALUE:
            raise UnsafeQuery(
                _(
                    "The value of “%(name)s” in the address is too long (at most %(n)s "
                    "characters).",
                    name=strip_illegal(name)[:50],
                    n=MAX_QUERY_VALUE,
                )
            )


def register_extensions(app: Flask) -> None:
    from fundcrm import api, audit, db, i18n, outage, permissions  # noqa: F401 - audit's hook
    from fundcrm.auth import login_manager

    db.init_app(app)
    outage.init_app(app)  # first: an unreachable database answers 503 on every page
    login_manager.init_app(app)
    i18n.init_app(app)
    api.init_app(app)  # before permissions: the API's user is the token's
    permissions.init_app(app)  # before CSRF: who may act is decided first
    csrf.init_app(app)
    from fundcrm.jobs import queue

    queue.init_app(app)


def register_blueprints(app: Flask) -> None:
    from fundcrm.admin.routes import bp as admin_bp
    from fundcrm.api import routes as api_routes
    from fundcrm.auth.routes import bp as auth_bp
    from fundcrm.companies.routes import bp as companies_bp
    from fundcrm.compliance.check_routes import bp as compliance_bp
    from fundcrm.compliance.kpi_routes import bp as kpis_bp
    from fundcrm.compliance.override_routes import bp as overrides_bp
    from fundcrm.compliance.period_routes import bp as periods_bp
    from fundcrm.deals.routes import bp as deals_bp
    from fundcrm.funds.routes import bp as funds_bp
    from fundcrm.ic import decision_routes, meeting_routes, paper_routes, routes  # noqa: F401
    from fundcrm.ic.blueprint import bp as ic_bp
    from fundcrm.imports.routes import bp as imports_bp
    from fundcrm.industry_map.routes import bp as industry_map_bp
    from fundcrm.jobs.routes import bp as jobs_bp
    from fundcrm.main.routes import bp as main_bp
    from fundcrm.notifications.routes import bp as notifications_bp
    from fundcrm.portfolio import holding_routes, metric_routes  # noqa: F401 - on portfolio_bp
    from fundcrm.portfolio.routes import bp as portfolio_bp
    from fundcrm.reports.routes import bp as reports_bp
    from fundcrm.workspace.routes import bp as workspace_bp

    blueprints = (
        main_bp,
        auth_bp,
        admin_bp,
        funds_bp,
        companies_bp,
        deals_bp,
        workspace_bp,
        imports_bp,
        jobs_bp,
        ic_bp,
        notifications_bp,
        portfolio_bp,
        compliance_bp,
        kpis_bp,
        overrides_bp,
        periods_bp,
        reports_bp,
        industry_map_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    api_routes.register(app)


def register_error_pages(app: Flask) -> None:
    titles = {
        400: lambda: _("Bad request"),
        403: lambda: _("Access denied"),
        404: lambda: _("Page not found"),
        405: lambda: _("Method not allowed"),
        409: lambda: _("Changed meanwhile"),
        410: lambda: _("No longer available"),
        413: lambda: _("File too large"),
        500: lambda: _("Something went wrong"),
    }
    messages = {
        400: lambda: _("The request could not be understood."),
        403: lambda: _("Your role does not give access to this page."),
        404: lambda: _("There is no page at this address."),
        405: lambda: _("This address does not accept that kind of request."),
        409: lambda: _(
            "Someone else saved the same record at the same moment. Nothing was saved: "
            "reload the page and try again."
        ),
        410: lambda: _("What was here has been removed."),
        413: lambda: _("The file is larger than this site accepts. Nothing was saved."),
        500: lambda: _(
            "The error has been logged and nothing was saved. Try again, "
            "and tell an administrator if it happens again."
        ),
    }

    def page(code: int, message: str | None = None, failed_write: bool = False, error=None):
        if failed_write or code in (409, 500):  # the session may be mid-transaction
            from fundcrm import db

            db.rollback_if_open()
        if is_api_request():  # the API answers every refusal in its own JSON shape
            return http_error_response(code, message, error.get_headers() if error else None)
        return render_template(
            "errors/error.html",
            code=code,
            title=titles.get(code, titles[400])(),
            message=message or messages.get(code, messages[400])(),
        ), code

    for code in titles:
        app.register_error_handler(code, lambda e, code=code: page(code, error=e))
    for code in (401, 422, 429):  # given by the API only (a token, a gate, a rate limit)
        app.register_error_handler(code, lambda e, code=code: page(code, error=e))
    app.register_error_handler(UnsafeQuery, lambda e: page(400, e.description))
    app.register_error_handler(ExplainedBadRequest, lambda e: page(400, e.description))
    app.register_error_handler(ExplainedNotFound, lambda e: page(404, e.description))
    # a refusal about one record names its rule (the role is fine): permissions.RECORD_REFUSALS
    app.register_error_handler(RecordRefused, lambda e: page(403, e.description))
    # a version check lost at the UPDATE where no form handles it (merges, imports)
    app.register_error_handler(StaleDataError, lambda e: page(409))
    # a value the database refuses that no check caught (a length grown by normalising)
    app.register_error_handler(
        DataError,
        lambda e: page(
            400,
            _("A value is too long or out of range for the database. Nothing was saved."),
            failed_write=True,
        ),
    )
    app.register_error_handler(
        CSRFError,
        lambda e: page(
            400,
            _(
                "The form has expired or was not sent from this site. "
                "Reload the page and try again."
            ),
        ),
    )
