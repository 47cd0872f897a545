"""The vocabularies of DOMAIN.md section 2: codes with their Chinese and English labels."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str

    def label(self, locale: str) -> str:
        return self.zh if locale.startswith("zh") else self.en


class Vocabulary:
    def __init__(self, name: str, terms: list[Term]):
        self.name = name
        self.terms = terms
        self._by_code = {t.code: t for t in terms}

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.terms]

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Term:
        return self._by_code[code]

    def label(self, code: str, locale: str) -> str:
        term = self._by_code.get(code)
        return term.label(locale) if term else code

    def choices(self, locale: str) -> list[tuple[str, str]]:
        return [(t.code, t.label(locale)) for t in self.terms]


ROLES = Vocabulary(
    "role",
    [
        Term("admin", "系统管理员", "Administrator"),
        Term("manager", "投资经理", "Investment manager"),
        Term("ic_member", "投委委员", "IC member"),
        Term("risk", "风控合规", "Risk & compliance"),
        Term("viewer", "出资人代表", "LP representative"),
    ],
)

VOCABULARIES = {v.name: v for v in (ROLES,)}
