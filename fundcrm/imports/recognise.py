"""Which kind a file holds, when the uploader does not say: from an XLSX sheet named after a
kind (templates and exports name theirs so), else from the header row (codes or Chinese
labels, DOMAIN.md section 9)."""

from flask_babel import gettext as _

from fundcrm.imports import reader
from fundcrm.imports.formats import KINDS, Kind


def kind_of(data: bytes, ext: str, limits: reader.Limits) -> str:
    """The kind's code; FileRefused when the file cannot be read or its header fits no kind,
    or more than one, saying which kinds there are."""
    sheet = reader.read(data, ext, None, limits)
    if sheet.name.strip().lower() in KINDS:
        return sheet.name.strip().lower()
    return kind_of_header(sheet.header)


def kind_of_header(header: list) -> str:
    """The kind that knows every named column and finds its required ones; else one that knows
    every named column; else one that finds its required columns among others. (The import
    itself then reports a missing or an unknown column.)"""
    names = [str(cell).strip() for cell in header if cell is not None and str(cell).strip()]
    known = [kind for kind in KINDS.values() if all(kind.resolve(name) for name in names)]
    complete = [kind for kind in KINDS.values() if _has_required(kind, names)]
    tiers = [[k for k in known if k in complete], known, complete]
    found = next((tier for tier in tiers if tier), [])
    if len(found) == 1:
        return found[0].code
    if found:
        raise reader.FileRefused(
            _(
                "Row 1 fits more than one kind (%(kinds)s): choose what the file holds.",
                kinds=_names(found),
            )
        )
    raise reader.FileRefused(
        _(
            "Row 1 does not name the columns of any kind (%(kinds)s): choose what the file "
            "holds, or compare row 1 with the kind's template.",
            kinds=_names(KINDS.values()),
        )
    )


def _has_required(kind: Kind, names: list[str]) -> bool:
    given = {column.code for column in map(kind.resolve, names) if column is not None}
    return all(column.code in given for column in kind.columns if column.required)


def _names(kinds) -> str:
    return ", ".join(f"{kind.title} ({kind.code})" for kind in kinds)
