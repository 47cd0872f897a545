"""Every vocabulary reads in both languages, and pages in English show the English labels."""

import re

import pytest

from fundcrm.domain.vocab import DISTRICTS, VOCABULARIES, lookup
from tests import factories

CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
# Labels that are the same in both languages because Chinese uses the English term as is.
SAME_IN_BOTH: set[tuple[str, str]] = set()


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_every_code_has_an_english_label_of_its_own(name):
    vocabulary = VOCABULARIES[name]
    assert vocabulary.terms, name
    for term in vocabulary.terms:
        assert term.code and term.zh.strip() and term.en.strip(), (name, term)
        assert not CJK.search(term.en), f"{name}.{term.code}: Chinese in {term.en!r}"
        if (name, term.code) not in SAME_IN_BOTH:
            assert term.en != term.zh, f"{name}.{term.code} reads {term.en!r} in both"
        assert vocabulary.label(term.code, "en") == term.en
        assert vocabulary.label(term.code, "zh_Hans_CN") == term.zh


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_labels_are_unique_so_a_label_names_one_code(name):
    """Imports accept a label as well as a code: two codes with one label would be ambiguous."""
    vocabulary = VOCABULARIES[name]
    for language in ("zh", "en"):
        labels = [getattr(term, language) for term in vocabulary.terms]
        assert len(labels) == len(set(labels)), (name, language)
    for term in vocabulary.terms:
        assert lookup(vocabulary, term.en) == lookup(vocabulary, term.zh) == term.code


def test_the_38_districts_carry_their_official_english_names():
    assert len(DISTRICTS.terms) == 38
    assert DISTRICTS.label("渝中区", "en") == "Yuzhong District"
    assert DISTRICTS.label("南岸区", "en") == "Nan'an District"
    assert DISTRICTS.label("忠县", "en") == "Zhong County"
    assert DISTRICTS.label("石柱土家族自治县", "en") == "Shizhu Tujia Autonomous County"
    for term in DISTRICTS.terms:
        suffix = "County" if term.zh.endswith("县") else "District"
        assert term.en.endswith(suffix), term


def shown(page: str) -> str:
    """The page without its form values: a district's code is its Chinese name (DOMAIN.md
    section 2), which the relocation form's options carry as values, not as text."""
    return re.sub(r'\svalue="[^"]*"', "", page)


def test_a_company_page_in_english_shows_the_district_in_english(client, login_as, dbs):
    login_as("manager")
    company = factories.company(
        dbs, "重庆渝中测试机器人有限公司", factories.make_uscc(7), district="渝中区", zone="central"
    )
    dbs.commit()
    english = {"Accept-Language": "en"}
    page = shown(client.get(f"/companies/{company.id}", headers=english).get_data(as_text=True))
    assert "Yuzhong District" in page and "渝中区" not in page
    listing = client.get("/companies", headers=english).get_data(as_text=True)
    assert "Yuzhong District" in listing
    chinese = {"Accept-Language": "zh-CN"}
    page = client.get(f"/companies/{company.id}", headers=chinese).get_data(as_text=True)
    assert "渝中区" in page and "Yuzhong District" not in page
