"""A vocabulary: codes with their Chinese and English labels (fundcrm.domain.vocab holds them)."""

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
        # code → label per language, built once: pages look labels up per cell
        self._zh = {t.code: t.zh for t in terms}
        self._en = {t.code: t.en for t in terms}
        self._choices = {
            True: [(t.code, t.zh) for t in terms],
            False: [(t.code, t.en) for t in terms],
        }

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.terms]

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Term:
        return self._by_code[code]

    def labels(self, locale: str) -> dict[str, str]:
        """Every code's label in the language (a shared dict: read it, do not change it)."""
        return self._zh if locale.startswith("zh") else self._en

    def label(self, code: str, locale: str) -> str:
        return self.labels(locale).get(code, code)

    def choices(self, locale: str) -> list[tuple[str, str]]:
        return list(self._choices[locale.startswith("zh")])


def from_rows(name: str, rows: str) -> Vocabulary:
    """Build a vocabulary from lines of `code|中文|English`."""
    terms = [
        Term(*(part.strip() for part in line.split("|"))) for line in rows.strip().splitlines()
    ]
    return Vocabulary(name, terms)
