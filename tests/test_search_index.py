"""The list search answers from its index (tokens of name, USCC, description, deal notes and
activity summaries) and still finds exactly what a plain substring match finds; every write
path keeps the tokens current; search syntax in a query is literal text."""

import html
import random
import re
from datetime import date
from urllib.parse import quote

from sqlmodel import select

from fundcrm import db, demo
from fundcrm.companies import queries as company_queries
from fundcrm.deals import queries as deal_queries
from fundcrm.domain import search
from fundcrm.domain.search import company_tokens, text_tokens
from fundcrm.listing import ListFilters, uscc_part
from fundcrm.models import Activity, Company, Deal
from tests import factories
from tests.conftest import page_text, post_form, sign_in
from tests.test_deal_lists import listed
from tests.test_imports import COMPANY_HEAD, run, write

ALPHABET = "科技智能机器人重庆云数据医疗" + "AB12"
PUNCTUATION = "，。（）- %_"


def _text(rng: random.Random, low: int, high: int) -> str:
    length = rng.randint(low, high)
    return "".join(rng.choice(ALPHABET + PUNCTUATION[rng.randrange(2) :]) for _ in range(length))


def _holds(text: str | None, q: str) -> bool:
    """The list's substring rule: case-insensitive only where the query has a Latin letter."""
    if text is None:
        return False
    if any("a" <= ch.lower() <= "z" for ch in q):
        return q.lower() in text.lower()
    return q in text


def _random_records(dbs, staff, rng: random.Random) -> dict:
    """Thirty companies, each with a deal and an activity, of random Chinese text (and the
    pipeline's own company and deal)."""
    records = {"companies": [staff["company"]], "deals": [staff["deal"]], "activities": []}
    for n in range(30):
        company = factories.company(
            dbs,
            "重庆" + _text(rng, 2, 10),
            factories.make_uscc(rng.randrange(10**9), area=rng.choice(["500112", "310110"])),
            description=_text(rng, 0, 40) or None,
        )
        deal = factories.deal(
            dbs, company, staff["manager"], [(staff["angel"], "1")], notes=_text(rng, 0, 30) or None
        )
        activity = Activity(
            company_id=company.id,
            deal_id=deal.id if n % 3 else None,
            kind="meeting",
            occurred_on=date(2026, 3, 1),
            summary=_text(rng, 1, 25),
            created_by_id=staff["manager"].id,
        )
        dbs.add(activity)
        records["companies"].append(company)
        records["deals"].append(deal)
        records["activities"].append(activity)
    dbs.commit()
    return records


def _expected(records: dict, q: str) -> tuple[set, set]:
    """The companies and deals a plain Python substring scan finds for `q`."""
    part = uscc_part(q)
    logged = [a for a in records["activities"] if _holds(a.summary, q)]
    companies = {
        c.id
        for c in records["companies"]
        if _holds(c.name, q) or _holds(c.description, q) or (part and part in c.uscc)
    } | {a.company_id for a in logged}
    deals = {
        d.id
        for d in records["deals"]
        if d.company_id in companies or _holds(d.notes, q) or d.deal_ref == q.upper()
    } | {a.deal_id for a in logged if a.deal_id}
    return companies, deals


def _found(dbs, q: str, broad: bool = False) -> tuple[set, set]:
    """The companies and deals the list queries of /companies and /deals find for `q`: from
    the index, or (`broad`) checked on each row as a broad search does."""
    filters = ListFilters(values={"q": q}, sort="-created", broad=broad)
    companies = dbs.exec(company_queries.company_query(filters)).all()
    filters.sort = "updated"
    deals = dbs.exec(deal_queries.ordered_deals(filters)).all()
    return {c.id for c in companies}, {d.id for d in deals}


def _queries(records: dict, rng: random.Random) -> list[str]:
    """Pieces of the records' texts of 1, 2, 3 and 8 characters, random strings of the same
    lengths (mostly absent), and parts of USCCs as people type them."""
    texts = [c.name for c in records["companies"]]
    texts += [c.description for c in records["companies"] if c.description]
    texts += [d.notes for d in records["deals"] if d.notes]
    texts += [a.summary for a in records["activities"]]
    queries = []
    for length in (1, 2, 3, 8):
        for text in rng.sample([t for t in texts if len(t) >= length], 12):
            start = rng.randrange(len(text) - length + 1)
            queries.append(text[start : start + length])
        queries += ["".join(rng.choice(ALPHABET) for _ in range(length)) for _ in range(4)]
    for company in rng.sample(records["companies"], 10):
        start, length = rng.randrange(12), rng.randint(3, 8)
        piece = company.uscc[start : start + length]
        queries += [piece, piece.lower(), f" {piece[:2]} {piece[2:]}"]
    return [q.strip() for q in queries if q.strip()]


def test_indexed_search_finds_exactly_what_a_substring_scan_finds(app, staff, dbs):
    rng = random.Random(20261129)
    records = _random_records(dbs, staff, rng)
    queries = _queries(records, rng)
    assert len(queries) > 80
    hits = 0
    for q in queries:
        expected = _expected(records, q)
        assert _found(dbs, q) == expected, q
        assert _found(dbs, q, broad=True) == expected, q
        hits += bool(expected[0])
    assert hits > len(queries) // 2  # most queries find something: the comparison means much


def _tokens_current(dbs) -> None:
    """Every record's stored tokens are those of its current text."""
    dbs.expire_all()
    for c in dbs.exec(select(Company)).all():
        assert c.search_tokens == company_tokens(c.name, c.uscc, c.description), c.name
    for d in dbs.exec(select(Deal)).all():
        assert d.search_tokens == text_tokens(d.notes), d.deal_ref
    for a in dbs.exec(select(Activity)).all():
        assert a.search_tokens == text_tokens(a.summary), a.id


def _company_names(dbs, q: str) -> set[str]:
    dbs.expire_all()
    found = dbs.exec(
        company_queries.company_query(ListFilters(values={"q": q}, sort="-created"))
    ).all()
    return {c.name for c in found}


def test_the_company_form_keeps_the_tokens_current(client, staff, dbs):
    company = staff["company"]
    sign_in(client, staff["manager"].id)
    form = {
        "name": company.name,
        "uscc": company.uscc,
        "focus_area": "embodied_ai",
        "enterprise_stage": "growth",
        "application_fields": ["logistics"],
        "zone": "liangjiang",
        "district": "渝北区",
        "description": "国产独角兽",
        "version": str(company.version),
    }
    assert post_form(client, f"/companies/{company.id}/edit", form).status_code == 302
    assert _company_names(dbs, "独角") == {company.name}
    dbs.expire_all()
    form = {**form, "description": "灵巧手", "version": str(dbs.get(Company, company.id).version)}
    assert post_form(client, f"/companies/{company.id}/edit", form).status_code == 302
    assert _company_names(dbs, "独角") == set()
    assert _company_names(dbs, "巧手") == {company.name}
    _tokens_current(dbs)


def test_imports_keep_the_tokens_current(app, dbs, tmp_path):
    code = factories.make_uscc(31)
    line = f"重庆乙智能装备有限公司,{code},embodied_ai,growth,,{{}}\n"
    created = write(tmp_path, "a.csv", COMPANY_HEAD + line.format("焊接机器人"))
    assert run(app, "import", "companies", created).exit_code == 0
    assert _company_names(dbs, "焊接") == {"重庆乙智能装备有限公司"}
    assert _company_names(dbs, code[5:11].lower()) == {"重庆乙智能装备有限公司"}
    updated = write(tmp_path, "b.csv", COMPANY_HEAD + line.format("喷涂机器人"))
    result = run(app, "import", "companies", updated)
    assert "created 0, updated 1" in result.output
    assert _company_names(dbs, "焊接") == set()
    assert _company_names(dbs, "喷涂") == {"重庆乙智能装备有限公司"}
    _tokens_current(dbs)


def test_the_demo_seed_fills_the_tokens(app, dbs):
    with app.app_context():
        demo.seed(db.session(), app.config)
    _tokens_current(dbs)
    company = dbs.exec(select(Company)).first()
    assert company.name in _company_names(dbs, company.name[-3:])


LITERAL = {  # a company name holding each piece of query syntax → the query
    "重庆百分之%科技": "%",
    "重庆下划_线科技": "_",
    "重庆反斜\\杠科技": "\\",
    '重庆引"号科技': '"',
    "重庆星*号科技": "*",
    "重庆AND联合科技": "AND",
    "重庆NEAR(近)科技": "NEAR(",
    "重庆逗，号科技": " ， ",
}


def test_query_syntax_is_literal_text(client, staff, dbs):
    made = {}
    for n, name in enumerate(LITERAL):
        company = factories.company(dbs, name, factories.make_uscc(600 + n))
        made[name] = factories.deal(dbs, company, staff["manager"], [(staff["angel"], "1")])
    dbs.commit()
    sign_in(client, staff["ic_member"].id)
    for name, q in LITERAL.items():
        response = client.get("/companies", query_string={"q": q})
        assert response.status_code == 200, q
        page = html.unescape(response.get_data(as_text=True))
        assert {n for n in LITERAL if n in page} == {name}, q
        assert listed(client, f"/deals?q={quote(q)}") == [made[name].deal_ref], q
    for q in ('"擎天" OR *', "NEAR(擎天 机器人)", "擎天*", "擎天 AND 机器人"):
        response = client.get("/companies", query_string={"q": q})
        assert response.status_code == 200, q
        assert staff["company"].name not in html.unescape(response.get_data(as_text=True)), q


def test_a_500_character_query_is_literal_text_and_a_longer_one_is_refused(client, staff, dbs):
    """The index is asked for a few of its character pairs (search.MAX_QUERY_TOKENS); the
    substring check then tells apart a description that differs in the last character."""
    rng = random.Random(500)
    text = "".join(rng.choice(ALPHABET) for _ in range(500))
    near = factories.company(dbs, "重庆相近科技有限公司", factories.make_uscc(651))
    near.description = f"前言{text[:-1]}{'甲' if text[-1] != '甲' else '乙'}结语"
    held = factories.company(dbs, "重庆长文科技有限公司", factories.make_uscc(652))
    held.description = f"前言{text}结语"
    deal = factories.deal(dbs, held, staff["manager"], [(staff["angel"], "1")])
    factories.deal(dbs, near, staff["manager"], [(staff["angel"], "1")])
    dbs.commit()
    assert len(search.query_tokens(text)) == search.MAX_QUERY_TOKENS
    sign_in(client, staff["ic_member"].id)
    response = client.get("/companies", query_string={"q": text})
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert held.name in page and near.name not in page
    assert listed(client, f"/deals?q={quote(text)}") == [deal.deal_ref]
    response = client.get(
        "/deals", query_string={"q": text + "擎"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert "Search for at most 500 characters (501 given)." in response.get_data(as_text=True)


def test_the_search_asks_the_index(app, dbs):
    """The list's search goes through the index: FTS5 on SQLite, the GIN tsvector on
    PostgreSQL (the planner may still scan a table this small, so the SQL is checked there)."""
    query = deal_queries.ordered_deals(ListFilters(values={"q": "机器人"}))
    connection = dbs.connection()
    sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        plan = " ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        for table in ("companies_fts", "deals_fts", "activities_fts"):
            assert f"SCAN {table} VIRTUAL TABLE INDEX" in plan, plan
    else:
        for table in ("companies", "deals", "activities"):
            assert f"to_tsvector('simple', {table}.search_tokens) @@ plainto_tsquery" in sql, sql


def _next_disabled(html_text: str) -> bool:
    return (
        re.search(r'page-item disabled">\s*<a class="page-link"[^>]*>Next<', html_text) is not None
    )


def english(client, url: str) -> str:
    return client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_a_broad_search_walks_the_list_and_caps_its_count(app, client, staff, dbs):
    """Held by more companies than SEARCH_BROAD_OVER, a search is checked on each row in the
    list's order and counted only up to SEARCH_COUNT_CAP: the page says "More than N
    records", pages on while rows remain, and shows the same rows as the exact search."""
    broad = [
        factories.company(dbs, f"重庆宽泛{n}号科技有限公司", factories.make_uscc(700 + n))
        for n in range(7)
    ]
    refs = [
        factories.deal(dbs, company, staff["manager"], [(staff["angel"], "1000000")]).deal_ref
        for company in broad[:3]
    ]
    dbs.commit()
    sign_in(client, staff["admin"].id)
    exact = page_text(english(client, "/companies?q=宽泛&sort=name"))
    assert "7 records" in exact and "More than" not in exact

    app.config.update(SEARCH_BROAD_OVER=3, SEARCH_COUNT_CAP=4, PER_PAGE=5)
    try:
        first = english(client, "/companies?q=宽泛&sort=name")
        second = english(client, "/companies?q=宽泛&sort=name&page=2")
        narrow = english(client, "/companies?q=擎天")
        board = english(client, "/deals/board?q=宽泛")
    finally:
        app.config.update(SEARCH_BROAD_OVER=1000, SEARCH_COUNT_CAP=1000, PER_PAGE=20)
    names = [f"重庆宽泛{n}号科技有限公司" for n in range(7)]
    assert "More than 4 records" in page_text(first) and "Page 1" in page_text(first)
    assert [n for n in names if n in first] == names[:5]
    assert [n for n in names if n in second] == names[5:]
    # Next only while rows remain
    assert not _next_disabled(first) and _next_disabled(second)
    assert "1 records" in page_text(narrow)  # one company holds 擎天: counted exactly
    # the board counts and sums every match of a broad search, and shows its cards
    assert re.search(r'class="count">3</span> · 300\.00', board)
    assert all(ref in board for ref in refs)
