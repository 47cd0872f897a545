"""What an import found and did: per-row status, errors, warnings, counts; kept as JSON for the
web preview (in the instance folder) and printed by the command."""

import json
from dataclasses import asdict, dataclass, field

from flask_babel import lazy_gettext as _l

NEW, UPDATE, UNCHANGED, ERROR = "new", "update", "unchanged", "error"
STATUS_LABELS = {
    NEW: _l("New"),
    UPDATE: _l("Update"),
    UNCHANGED: _l("Unchanged"),
    ERROR: _l("Error"),
}


@dataclass
class Issue:
    """A message about a cell: row 0 is the file as a whole, row 1 the header."""

    row: int
    column: str
    message: str

    def line(self) -> str:
        if self.row == 0:
            return self.message
        if not self.column:
            return f"row {self.row}: {self.message}"
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class RowResult:
    row: int
    key: str  # what identifies the record in the file: USCC, code, deal reference…
    status: str
    changed: list[str] = field(default_factory=list)  # column codes an update changes
    label: str = ""  # a name to show beside the key


@dataclass
class ImportReport:
    kind: str
    filename: str
    sha256: str
    dry_run: bool = False
    locale: str = ""
    rows: list[RowResult] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    breaches: list[Issue] = field(default_factory=list)  # mandate breaches of imported stages
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row: int, column: str, message) -> None:
        self.errors.append(Issue(row, column, str(message)))

    def warn(self, row: int, column: str, message) -> None:
        self.warnings.append(Issue(row, column, str(message)))

    def sorted_errors(self) -> list[Issue]:
        return sorted(self.errors, key=lambda i: i.row)

    def issues_by_row(self) -> dict[int, dict[str, list[Issue]]]:
        found: dict[int, dict[str, list[Issue]]] = {}
        for name in ("errors", "warnings", "breaches"):
            for issue in getattr(self, name):
                found.setdefault(issue.row, {}).setdefault(name, []).append(issue)
        return found

    def count(self, statuses: dict[str, str]) -> None:
        """Counts of records (a deal spans rows): `statuses` maps record key → status."""
        values = list(statuses.values())
        self.created, self.updated = values.count(NEW), values.count(UPDATE)
        self.unchanged = values.count(UNCHANGED)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "ImportReport":
        data = json.loads(text)
        data["rows"] = [RowResult(**r) for r in data["rows"]]
        for name in ("errors", "warnings", "breaches"):
            data[name] = [Issue(**i) for i in data[name]]
        return cls(**data)
