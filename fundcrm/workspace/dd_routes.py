"""Due-diligence checklists (one form per workstream), their templates, and documents."""

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundcrm import db
from fundcrm.auth.queries import users_who_can
from fundcrm.domain.filetypes import MIME_TYPES
from fundcrm.domain.text import CONTROL
from fundcrm.domain.vocab import DD_WORKSTREAMS
from fundcrm.i18n import vocab_label
from fundcrm.models import Company, DDItem, DDTemplateItem, Deal, Document
from fundcrm.permissions import authorize, requires
from fundcrm.views import flash_form_errors, get_or_404, record_id, submit
from fundcrm.workspace import queries, services
from fundcrm.workspace.forms import NewDDItemForm, TemplateItemForm, UploadForm, WorkstreamForm
from fundcrm.workspace.routes import bp

# Due diligence ----------------------------------------------------------------------------


@bp.get("/deals/<int:deal_id>/dd")
@requires("read_pipeline")
def checklist(deal_id: int):
    return _checklist_page(get_or_404(Deal, deal_id))


def _owner_choices() -> list:
    """Who may own an item: whoever sees the pipeline."""
    people = users_who_can(db.session(), "read_pipeline")
    return [("", "—"), *((u.id, u.name) for u in people)]


def _checklist_page(deal: Deal, posted: WorkstreamForm | None = None, stream=None, status=200):
    """The checklist, a form per workstream; a refused one keeps what the user typed."""
    session = db.session()
    grouped = services.checklist(session, deal.id)
    choices = _owner_choices()
    forms = {
        code: WorkstreamForm(items, choices, services.item_fingerprint)
        for code, items in grouped.items()
    }
    if posted is not None:
        forms[stream] = posted
    return render_template(
        "workspace/checklist.html",
        deal=deal,
        grouped=grouped,
        forms=forms,
        new_form=NewDDItemForm(),
        item_documents=queries.checklist_documents(session, deal.id),
        upload=UploadForm(),
        closed=services.workstream_closed,
    ), status


@bp.post("/deals/<int:deal_id>/dd/<workstream>")
@requires("work_on_deals")
def save_workstream(deal_id: int, workstream: str):
    """Every item of one workstream saved with one button, all or nothing."""
    deal = get_or_404(Deal, deal_id)
    if workstream not in DD_WORKSTREAMS:
        abort(404)
    authorize("work_on_deals", deal)
    items = services.checklist(db.session(), deal.id)[workstream]
    form = WorkstreamForm(items, _owner_choices(), services.item_fingerprint, request.form)
    saved = submit(
        form,
        lambda: services.save_workstream(db.session(), deal, workstream, form.values()),
        _("Saved: %(workstream)s", workstream=vocab_label("dd_workstream", workstream)),
        url_for("workspace.checklist", deal_id=deal_id) + f"#ws-{workstream}",
    )
    # a form opened before someone else's save is a conflict; anything else, a bad form
    return saved or _checklist_page(deal, form, workstream, 409 if form.changed_items else 400)


@bp.post("/deals/<int:deal_id>/dd/items")
@requires("work_on_deals")
def add_dd_item(deal_id: int):
    deal = get_or_404(Deal, deal_id)
    authorize("work_on_deals", deal)
    form = NewDDItemForm()
    page = url_for("workspace.checklist", deal_id=deal.id)
    saved = submit(
        form,
        lambda: services.add_dd_item(db.session(), deal, form.workstream.data, form.title.data),
        _("Item added."),
        page,
    )
    if saved is None:  # posted from the checklist: the errors go back to it
        flash_form_errors(form)
    return saved or redirect(page)


@bp.route("/admin/dd-templates", methods=["GET", "POST"])
@requires("manage_checklists")
def dd_templates():
    form = TemplateItemForm()
    saved = submit(
        form,
        lambda: services.save_template_item(
            db.session(),
            DDTemplateItem(workstream="", title=""),
            {"workstream": form.workstream.data, "title": form.title.data, "active": True},
        ),
        _("Item added."),
        url_for("workspace.dd_templates"),
    )
    if saved:
        return saved
    items = queries.all_templates(db.session())
    return render_template("workspace/dd_templates.html", form=form, items=items)


@bp.post("/admin/dd-templates/<int:item_id>")
@requires("manage_checklists")
def edit_dd_template(item_id: int):
    item = get_or_404(DDTemplateItem, item_id)
    form = TemplateItemForm()
    values = {"workstream": form.workstream.data, "title": form.title.data}
    saved = submit(
        form,
        lambda: services.save_template_item(
            db.session(), item, {**values, "active": form.active.data}
        ),
        _("Saved."),
        url_for("workspace.dd_templates"),
    )
    if saved is None:  # posted from the list: the errors go back to it
        flash_form_errors(form)
    return saved or redirect(url_for("workspace.dd_templates"))


# Documents --------------------------------------------------------------------------------

OWNER_KINDS = {
    "company": ("company_id", Company),
    "deal": ("deal_id", Deal),
    "dd_item": ("dd_item_id", DDItem),
}


def documents_folder() -> Path:
    return Path(current_app.instance_path) / "documents"


def _owner_page(key: str, record) -> str:
    if key == "company_id":
        return url_for("companies.show", company_id=record.id) + "#documents"
    if key == "deal_id":
        return url_for("deals.show", deal_id=record.id) + "#documents"
    return url_for("workspace.checklist", deal_id=record.deal_id) + f"#item-{record.id}"


def _upload_owner(form: UploadForm):
    """The record an upload goes on (`company:12`, `deal:3`, `dd_item:40`): 400 for no kind,
    404 for no record."""
    kind, _sep, owner_id = (form.owner.data or "").partition(":")
    try:
        owner_id = record_id(owner_id)
    except ValueError:
        abort(400)
    if kind not in OWNER_KINDS:
        abort(400)
    key, model = OWNER_KINDS[kind]
    return key, get_or_404(model, owner_id)


def _authorize_upload(key: str, record) -> None:
    """A deal's documents and its checklist's are its team's; a company's, anyone's who works
    on deals (the route's declaration)."""
    if key == "deal_id":
        authorize("work_on_deals", record)
    elif key == "dd_item_id":
        authorize("work_on_deals", db.session().get(Deal, record.deal_id))


@bp.post("/documents")
@requires("work_on_deals")
def upload_document():
    form = UploadForm()
    key, record = _upload_owner(form)
    _authorize_upload(key, record)
    upload = form.file.data
    limit = current_app.config["MAX_UPLOAD_MB"] * 2**20
    saved = submit(
        form,
        lambda: services.store_document(
            db.session(),
            documents_folder(),
            {key: record.id},
            form.title.data,
            upload.filename or "",
            upload.read(limit + 1),
            current_user,
            limit,
        ),
        lambda document: _uploaded(document, upload.filename or ""),
        _owner_page(key, record),
    )
    if saved is None:  # posted from the record's page: the errors go back to it
        flash_form_errors(form)
        return redirect(_owner_page(key, record))
    return saved


def _uploaded(document: Document, sent_name: str) -> str:
    """The message of a stored upload; a file name that lost control characters says so."""
    if CONTROL.search(sent_name):
        flash(
            _(
                "Invisible control characters were removed from the file name: %(name)s.",
                name=document.filename,
            ),
            "warning",
        )
    return _(
        "Uploaded %(title)s (version %(version)s).", title=document.title, version=document.version
    )


@bp.get("/documents/<int:document_id>")
@requires("read_pipeline")
def download_document(document_id: int):
    """Served as an attachment with its checked type, only to those who may see the record."""
    document = get_or_404(Document, document_id)
    path = services.document_path(documents_folder(), document)
    if not path.exists():
        abort(404)
    return send_file(
        path,
        mimetype=MIME_TYPES[document.file_type],
        as_attachment=True,
        download_name=document.filename,
    )
