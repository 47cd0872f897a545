from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import audit, db
from fundcrm.companies import queries, relocations, services
from fundcrm.companies.forms import CompanyForm, ContactForm, MergeForm, RelocationForm
from fundcrm.domain import uscc
from fundcrm.history import readable
from fundcrm.i18n import vocab_label
from fundcrm.listing import parse_filters
from fundcrm.models import Company, Contact
from fundcrm.pagination import paginate
from fundcrm.permissions import requires, user_can
from fundcrm.versioning import form_version
from fundcrm.views import get_or_404, submit
from fundcrm.workspace import services as workspace

bp = Blueprint("companies", __name__, url_prefix="/companies")


@bp.get("")
@requires("read_pipeline")
def index():
    session = db.session()
    filters = parse_filters(request.args, session, queries.COMPANY_SORTS, queries.DEFAULT_SORT)
    if filters.errors:
        page = paginate(session, queries.no_companies(filters))
        return render_template("companies/index.html", page=page, filters=filters), 400
    page = paginate(
        session, queries.company_query(filters), cap=filters.count_cap, gathered=filters.gathers
    )
    return render_template("companies/index.html", page=page, filters=filters)


@bp.get("/lookup")
@requires("read_pipeline")
def lookup():
    """The new-deal form's company picker: companies whose name or USCC holds `q`, as JSON."""
    q = request.args.get("q", "").strip()
    if not queries.LOOKUP_MIN <= len(q) <= queries.LOOKUP_MAX:
        message = _(
            "Type %(min)s to %(max)s characters of the company's name or USCC.",
            min=queries.LOOKUP_MIN,
            max=queries.LOOKUP_MAX,
        )
        return jsonify(error=message), 400
    found = queries.lookup(db.session(), q)
    return jsonify(
        companies=[
            {
                "id": c.id,
                "name": c.name,
                "uscc": c.uscc,
                "district": vocab_label("district", c.district) or c.city or "",
            }
            for c in found
        ]
    )


def _save_company(form: CompanyForm, company: Company | None):
    """Create or update through the company rules; a refusal (a USCC already taken, similar
    names, a stale version) shows on the form, which is rendered again."""
    form.existing = None

    def save():
        override = (
            form.uscc_override_reason.data if user_can(current_user, "accept_pilot_uscc") else None
        )
        options = {
            "user": current_user,
            "override_reason": override,
            "confirmed_similar": form.confirm_similar.data == "1",
        }
        if company is None:
            return services.create_company(db.session(), form.values(), **options)
        version = form_version(form.version)
        return services.update_company(
            db.session(), company, form.values(), expected_version=version, **options
        )

    done = submit(
        form,
        save,
        lambda saved: _("Company %(name)s saved.", name=saved.name),
        lambda saved: url_for("companies.show", company_id=saved.id),
    )
    held = company is not None and queries.is_held(db.session(), company.id)
    return done or render_template("companies/form.html", form=form, company=company, held=held)


@bp.route("/new", methods=["GET", "POST"])
@requires("edit_companies")
def new():
    return _save_company(CompanyForm(), None)


@bp.route("/<int:company_id>/edit", methods=["GET", "POST"])
@requires("edit_companies")
def edit(company_id: int):
    company = get_or_404(Company, company_id)
    form = CompanyForm(obj=company)
    if not form.is_submitted():
        form.application_fields.data = company.application_fields
        form.version.data = str(company.version)
        form.uscc_override_reason.data = company.uscc_override_reason
    return _save_company(form, company)


@bp.get("/<int:company_id>")
@requires("read_pipeline")
def show(company_id: int):
    return _company_page(get_or_404(Company, company_id), ContactForm())


def _company_page(
    company: Company, contact_form: ContactForm, relocation_form: RelocationForm | None = None
):
    """The company page; a refused contact or relocation form comes back with what was typed."""
    session = db.session()
    relocation_form = relocation_form or RelocationForm(formdata=None)
    history = readable(
        session,
        audit.history(
            session, "companies", company.id, children=("company_fields", "relocations"), limit=30
        ),
        hide={"company_id"},
    )
    return render_template(
        "companies/show.html",
        activities=queries.activities_of(session, company.id),
        company_documents=workspace.documents_of(session, company_id=company.id),
        company=company,
        deals=queries.deals_of(session, company.id),
        history=history,
        contact_form=contact_form,
        relocation_form=relocation_form,
        relocations=queries.relocations_of(session, company.id),
        uscc_valid=uscc.check(company.uscc).valid,
    ), (400 if contact_form.errors or relocation_form.errors else 200)


@bp.post("/<int:company_id>/contacts")
@requires("edit_companies")
def add_contact(company_id: int):
    company = get_or_404(Company, company_id)
    form = ContactForm()
    done = submit(
        form,
        lambda: services.save_contact(
            db.session(), Contact(company_id=company.id, name=""), form.values()
        ),
        _("Contact added."),
        url_for("companies.show", company_id=company.id) + "#contacts",
    )
    return done or _company_page(company, form)


@bp.post("/<int:company_id>/relocations")
@requires("edit_companies")
def record_relocation(company_id: int):
    """A relocation (companies.relocations): the company moves there from its date on."""
    company = get_or_404(Company, company_id)
    form = RelocationForm()
    done = submit(
        form,
        lambda: relocations.record_relocation(db.session(), company, form.values(), current_user),
        _("The relocation is recorded: the company is registered there from its date on."),
        url_for("companies.show", company_id=company.id) + "#relocations",
    )
    return done or _company_page(company, ContactForm(formdata=None), form)


@bp.route("/<int:company_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@requires("edit_companies")
def edit_contact(company_id: int, contact_id: int):
    contact = get_or_404(Contact, contact_id)
    if contact.company_id != company_id:
        abort(404)
    form = ContactForm(obj=contact)
    done = submit(
        form,
        lambda: services.save_contact(db.session(), contact, form.values()),
        _("Contact saved."),
        url_for("companies.show", company_id=company_id) + "#contacts",
    )
    return done or render_template("companies/contact_form.html", form=form, contact=contact)


@bp.post("/<int:company_id>/contacts/<int:contact_id>/delete")
@requires("edit_companies")
def delete_contact(company_id: int, contact_id: int):
    contact = get_or_404(Contact, contact_id)
    if contact.company_id != company_id:
        abort(404)
    try:
        services.delete_contact(db.session(), contact)
    except services.CompanyError as error:
        db.session().rollback()
        flash(str(error.message), "danger")
    else:
        db.session().commit()
        flash(_("Contact deleted."), "success")
    return redirect(url_for("companies.show", company_id=company_id) + "#contacts")


@bp.route("/<int:company_id>/merge", methods=["GET", "POST"])
@requires("merge_companies")
def merge(company_id: int):
    session = db.session()
    keep = get_or_404(Company, company_id)
    form = MergeForm()
    done = submit(
        form,
        lambda: services.merge_by_uscc(session, keep, form.other_uscc.data, form.confirm.data),
        lambda other: _("%(other)s was merged into %(name)s.", other=other, name=keep.name),
        url_for("companies.show", company_id=keep.id),
    )
    return done or render_template(
        "companies/merge.html",
        form=form,
        company=keep,
        similar=services.similar_companies(session, keep.name, keep.id),
    )
