"""A business plan PDF on every demo deal in due diligence or later."""

from pathlib import Path

from fundcrm.workspace import services as workspace

DOCUMENT_STAGES = ("due_diligence", "ic", "signing", "closed")


def seed_business_plan(db, settings, deal) -> None:
    if deal.stage not in DOCUMENT_STAGES:
        return
    workspace.store_document(
        db,
        Path(settings["INSTANCE_PATH"]) / "documents",
        {"deal_id": deal.id},
        "商业计划书",
        "business-plan.pdf",
        demo_pdf(f"Business plan {deal.deal_ref}"),
        None,
        settings["MAX_UPLOAD_MB"] * 2**20,
    )


def demo_pdf(text: str) -> bytes:
    """A small, valid one-page PDF (ASCII text) for the demo documents."""
    stream = f"BT /F1 20 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
