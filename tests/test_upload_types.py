"""Uploaded documents are taken for what their bytes are, not what their names claim."""

import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlmodel import select

from fundcrm.demo import demo_pdf
from fundcrm.domain import filetypes
from fundcrm.models import Document
from tests.conftest import post_form, sign_in
from tests.world import snapshot

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32


def docx() -> bytes:
    """The smallest Word document: a zip holding word/document.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def xlsx() -> bytes:
    book = Workbook()
    book.active.append(["项目", "金额"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("bp.pdf", demo_pdf("bp"), "pdf"),
        ("memo.docx", docx(), "docx"),
        ("model.XLSX", xlsx(), "xlsx"),
        ("photo.png", PNG, "png"),
        ("list.csv", "名称,金额\n擎天,100\n".encode("gb18030"), "csv"),
    ],
)
def test_real_files_are_accepted_as_their_type(name, data, kind):
    assert filetypes.check(name, data) == kind


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("bp.pdf", PNG, "mismatch"),  # a picture renamed to look like a PDF
        ("memo.docx", xlsx(), "mismatch"),  # one Office type renamed as another
        ("memo.docx", plain_zip(), "mismatch"),  # a zip that is no Office file
        ("memo.docx", b"PK\x03\x04 broken", "mismatch"),
        ("notes.txt", b"\x00\x01binary", "mismatch"),
        ("run.exe", demo_pdf("x"), "not_allowed"),
        ("no-extension", demo_pdf("x"), "not_allowed"),
        ("bp.pdf", b"", "empty"),
    ],
)
def test_a_file_whose_content_is_not_its_name_is_refused(name, data, reason):
    with pytest.raises(ValueError, match=reason):
        filetypes.check(name, data)


def upload(client, deal_id: int, name: str, data: bytes):
    page = f"/deals/{deal_id}"
    form = {"owner": f"deal:{deal_id}", "title": "材料", "file": (io.BytesIO(data), name)}
    return post_form(
        client,
        "/documents",
        form,
        token_from=page,
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_a_png_renamed_as_pdf_is_refused_on_the_web_and_nothing_is_kept(app, client, staff):
    sign_in(client, staff["manager"].id)
    before = snapshot(app)
    page = upload(client, staff["deal"].id, "商业计划书.pdf", PNG).get_data(as_text=True)
    assert "文件内容与扩展名不符" in page
    assert snapshot(app) == before  # no row, no stored file


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("bp.pdf", demo_pdf("bp"), "application/pdf"),
        ("memo.docx", docx(), filetypes.MIME_TYPES["docx"]),
        ("model.xlsx", xlsx(), filetypes.MIME_TYPES["xlsx"]),
    ],
)
def test_a_real_pdf_docx_or_xlsx_is_stored_and_served_as_its_type(
    app, client, staff, dbs, name, data, mime
):
    sign_in(client, staff["manager"].id)
    page = upload(client, staff["deal"].id, name, data).get_data(as_text=True)
    assert "版本 1" in page
    document = dbs.exec(select(Document)).one()
    assert document.filename == name and document.file_type == name.rsplit(".", 1)[1]
    response = client.get(f"/documents/{document.id}")
    assert response.status_code == 200 and response.data == data
    assert response.mimetype == mime
