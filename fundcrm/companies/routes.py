from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from fundcrm import db
from fundcrm.companies import services
from fundcrm.companies.forms import CompanyForm, ContactForm, MergeForm
from fundcrm.deals.queries import COMPANY_SORTS, company_query, parse_filters
from fundcrm.domain import uscc
from fundcrm.models import Activity, AuditEntry, Company, Contact, Deal
from fundcrm.pagination import paginate
from fundcrm.permissions import requires, user_can
from fundcrm.versioning import StaleEdit, VersionMissing, form_version
from fundcrm.views import apply_error, get_or_404
from fundcrm.workspace import services as workspace

bp = Blueprint("companies", __name__, url_prefix="/companies")


@bp.get("")
@requires("read_pipeline")
def index():
    session = db.session()
    filters = parse_filters(request.args, session, COMPANY_SORTS, "created")
    if filters.errors:
        page = paginate(session, company_query(filters).where(Company.id.is_(None)))
        return render_template("companies/index.html", page=page, filters=filters), 400
    page = paginate(session, company_query(filters))
    return render_template("companies/index.html", page=page, filters=filters)


def _save_company(form: CompanyForm, company: Company, template: str, **context):
    """Validate and save; refusals, similar names and stale versions re-render the form."""
    similar, stale = [], None
    if form.validate_on_submit():
        override = (
            form.uscc_override_reason.data if user_can(current_user, "accept_pilot_uscc") else None
        )
        try:
            version = form_version(form.version) if company.id else None
            services.save_company(
                db.session(),
                company,
                form.values(),
                user=current_user,
                override_reason=override,
                confirmed_similar=form.confirm_similar.data == "1",
                expected_version=version,
            )
        except (services.CompanyError, VersionMissing) as error:
            db.session().rollback()
            apply_error(form, error)
            context["existing"] = getattr(error, "existing", None)
        except services.SimilarNames as found:
            db.session().rollback()
            similar = found.candidates
            form.confirm_similar.data = "1"
        except StaleEdit as conflict:
            db.session().rollback()
            stale = conflict.changes
        else:
            db.session().commit()
            flash(_("Company %(name)s saved.", name=company.name), "success")
            return redirect(url_for("companies.show", company_id=company.id))
    return render_template(
        template, form=form, company=company, similar=similar, stale=stale, **context
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("edit_companies")
def new():
    form = CompanyForm()
    return _save_company(
        form,
        Company(name="", name_key="", uscc="", focus_area="", enterprise_stage=""),
        "companies/form.html",
    )


@bp.route("/<int:company_id>/edit", methods=["GET", "POST"])
@requires("edit_companies")
def edit(company_id: int):
    company = get_or_404(Company, company_id)
    form = CompanyForm(obj=company)
    if not form.is_submitted():
        form.application_fields.data = company.application_fields
        form.version.data = str(company.version)
        form.uscc_override_reason.data = company.uscc_override_reason
    return _save_company(form, company, "companies/form.html")


@bp.get("/<int:company_id>")
@requires("read_pipeline")
def show(company_id: int):
    return _company_page(get_or_404(Company, company_id), ContactForm())


def _company_page(company: Company, contact_form: ContactForm):
    """The company page; a refused contact form comes back with what was typed."""
    session = db.session()
    deals = session.exec(
        select(Deal).where(Deal.company_id == company.id).order_by(Deal.created_on.desc())
    ).all()
    history = session.exec(
        select(AuditEntry)
        .where(
            (AuditEntry.table_name == "companies") & (AuditEntry.row_id == str(company.id))
            | (AuditEntry.table_name == "company_fields")
            & AuditEntry.row_id.startswith(f"{company.id}/")
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(30)
    ).all()
    activities = session.exec(
        select(Activity)
        .where(Activity.company_id == company.id)
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
    ).all()
    return render_template(
        "companies/show.html",
        activities=activities,
        company_documents=workspace.documents_of(session, company_id=company.id),
        company=company,
        deals=deals,
        history=history,
        contact_form=contact_form,
        uscc_valid=uscc.check(company.uscc).valid,
    ), (400 if contact_form.errors else 200)


@bp.post("/<int:company_id>/contacts")
@requires("edit_companies")
def add_contact(company_id: int):
    company = get_or_404(Company, company_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _company_page(company, form)
    services.save_contact(db.session(), Contact(company_id=company.id, name=""), form.values())
    db.session().commit()
    flash(_("Contact added."), "success")
    return redirect(url_for("companies.show", company_id=company.id) + "#contacts")


@bp.route("/<int:company_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@requires("edit_companies")
def edit_contact(company_id: int, contact_id: int):
    contact = get_or_404(Contact, contact_id)
    if contact.company_id != company_id:
        abort(404)
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        services.save_contact(db.session(), contact, form.values())
        db.session().commit()
        flash(_("Contact saved."), "success")
        return redirect(url_for("companies.show", company_id=company_id) + "#contacts")
    return render_template("companies/contact_form.html", form=form, contact=contact)


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
    other = None
    if form.validate_on_submit():
        other = session.exec(
            select(Company).where(Company.uscc == uscc.normalise(form.other_uscc.data))
        ).first()
        if other is None:
            form.other_uscc.errors.append(_("No company has this USCC."))
        elif not form.confirm.data:
            form.confirm.errors.append(_("Tick the box to confirm the merge."))
        else:
            try:
                name = other.name
                services.merge_companies(session, keep, other)
            except services.CompanyError as error:
                session.rollback()
                apply_error(form, error)
            else:
                session.commit()
                flash(
                    _("%(other)s was merged into %(name)s.", other=name, name=keep.name), "success"
                )
                return redirect(url_for("companies.show", company_id=keep.id))
    return render_template(
        "companies/merge.html",
        form=form,
        company=keep,
        other=other,
        similar=services.similar_companies(session, keep.name, keep.id),
    )
