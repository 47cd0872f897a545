"""Which uploads are allowed, decided from the content, not only the file name."""

import io
import zipfile

# extension → (file type, MIME type sent on download)
ALLOWED = {
    "pdf": ("pdf", "application/pdf"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "png": ("png", "image/png"),
    "jpg": ("jpg", "image/jpeg"),
    "jpeg": ("jpg", "image/jpeg"),
    "csv": ("csv", "text/csv"),
    "txt": ("txt", "text/plain"),
}
MIME_TYPES = {kind: mime for kind, mime in ALLOWED.values()}
_OFFICE_PARTS = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
}


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _office_kind(data: bytes) -> str | None:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        return None
    return next((kind for kind, part in _OFFICE_PARTS.items() if part in names), None)


def sniff(data: bytes) -> str | None:
    """The file type the bytes really are, among the allowed ones, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    return "txt" if data and _is_text(data[:65536]) else None


def check(filename: str, data: bytes) -> str:
    """The file type of an upload; ValueError('not_allowed' | 'mismatch' | 'empty') if refused."""
    if not data:
        raise ValueError("empty")
    declared = ALLOWED.get(extension(filename))
    if declared is None:
        raise ValueError("not_allowed")
    found = sniff(data)
    kind = declared[0]
    if found == kind or (found == "txt" and kind == "csv"):
        return kind
    raise ValueError("mismatch")
