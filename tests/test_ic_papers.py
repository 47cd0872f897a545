"""The IC's papers: the memo and minutes PDFs (read back as a reader's viewer would, every font
embedded), two versions side by side, and the questions and answers on a memo."""

import io
import re
from datetime import date

import pdfplumber
from pdfminer.pdftypes import resolve1
from sqlmodel import select

from fundcrm.models import IcAnswer, IcMemoVersion, IcQuestion, Notification
from tests import factories
from tests.conftest import post_form
from tests.ic_fixtures import ENGLISH, cast, client_of
from tests.test_ic_decisions import close

CHINESE = {"Accept-Language": "zh-CN"}


def read_pdf(response) -> tuple[str, list[dict]]:
    """The PDF's text, and each font it uses with whether the file carries it."""
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        fonts = {}
        for page in pdf.pages:
            for _name, ref in (resolve1(page.page_obj.resources.get("Font")) or {}).items():
                font = resolve1(ref)
                descriptor = resolve1(font.get("FontDescriptor")) or {}
                fonts[str(font.get("BaseFont"))] = any(
                    k in descriptor for k in ("FontFile", "FontFile2", "FontFile3")
                )
    return text, fonts


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_memo_pdf_reads_in_chinese_with_every_font_embedded(app, dbs, committee):
    client = client_of(app, committee["members"][0])
    memo_id = committee["memo"].id
    text, fonts = read_pdf(client.get(f"/ic/memos/{memo_id}/memo.pdf?lang=zh"))
    flat = _flat(text)
    for heading in ("1.摘要", "2.公司与团队", "7.尽调发现", "10.投资建议"):
        assert heading in flat, heading
    assert "机密" in flat and "投资建议书" in flat and committee["deal"].deal_ref in flat
    assert "第1页/共" in flat
    assert "1,000.00" in flat and "2,000.00" in flat  # the proposed amounts in 万元
    assert fonts and all(fonts.values()), fonts
    assert all("WenQuanYi" in name for name in fonts)


def test_the_memo_pdf_in_english_and_any_version(app, dbs, committee):
    client = client_of(app, committee["manager"])
    memo_id = committee["memo"].id
    text, _fonts = read_pdf(client.get(f"/ic/memos/{memo_id}/memo.pdf?lang=en&version=1"))
    assert "Confidential" in text and "IC memo" in text and "Page 1 of" in text
    assert client.get(f"/ic/memos/{memo_id}/memo.pdf?version=9").status_code == 404
    assert client.get(f"/ic/memos/{memo_id}/memo.pdf?lang=fr").status_code == 400
    assert (
        client_of(app, committee["viewer"]).get(f"/ic/memos/{memo_id}/memo.pdf").status_code == 403
    )


def test_a_hostile_memo_is_harmless_in_the_pdf(app, dbs, committee):
    version = dbs.get(IcMemoVersion, committee["version"].id)
    version.sections = {
        **version.sections,
        "summary": "<script>alert(1)</script> [点我](javascript:alert(1)) "
        '<img src=x onerror="alert(2)"> **要点** *强调*\n\n- 一\n- 二\n\n'
        "| 指标 | 数值 |\n|---|---|\n| 收入 | 4800 |",
    }
    dbs.commit()
    response = client_of(app, committee["manager"]).get(
        f"/ic/memos/{committee['memo'].id}/memo.pdf?lang=zh"
    )
    text, _fonts = read_pdf(response)
    raw = response.data
    assert b"/JavaScript" not in raw and b"/JS" not in raw and b"javascript:" not in raw
    assert b"/URI" not in raw  # the javascript: link lost its target in the sanitiser
    flat = _flat(text)
    assert "<script>alert(1)</script>" in flat  # shown as text, as on the page
    assert "要点" in flat and "指标" in flat and "4800" in flat


def test_the_minutes_pdf_has_each_decision_and_hides_a_recused_readers_votes(app, dbs, committee):
    first, second, third = committee["members"]
    from datetime import date

    from fundcrm.models import IcConflict

    dbs.add(IcConflict(member_id=third.id, company_id=committee["company"].id, reason="持股",
                       declared_on=date(2026, 11, 1)))  # fmt: skip
    dbs.commit()
    cast(app, first, committee["item"].id, "approve")
    cast(app, second, committee["item"].id, "reject")
    close(app, committee["admin"], committee)
    url = f"/ic/meetings/{committee['meeting'].id}/minutes.pdf?lang=en"
    text, fonts = read_pdf(client_of(app, first).get(url))
    assert "IC meeting minutes" in text and "Confidential" in text
    assert "Outcome: Rejected" in text.replace("：", ": ")
    assert re.search(r"2\s+2\s+1\s+1\s+0", text)  # eligible, cast, approving, rejecting, abstaining
    assert first.name in text and "Reject" in text
    assert all(fonts.values())
    recused, _fonts = read_pdf(client_of(app, third).get(url))
    assert "Outcome: Rejected" in recused.replace("：", ": ")
    assert "You were recused on this item" in recused
    assert not re.search(r"2\s+2\s+1\s+1\s+0", recused)


def test_two_versions_side_by_side(app, dbs, committee):
    version = committee["version"]
    newer = IcMemoVersion(
        memo_id=version.memo_id,
        number=2,
        sections={**version.sections, "summary": "summary：修订后的正文", "risks": "新增风险"},
        proposed=version.proposed,
    )
    dbs.add(newer)
    dbs.commit()
    client = client_of(app, committee["members"][0])
    url = f"/ic/memos/{version.memo_id}/diff?from={version.id}&to={newer.id}"
    page = client.get(url).get_data(as_text=True)
    summary = page[page.index('id="diff-summary"') : page.index('id="diff-company_team"')]
    assert "<ins>修订后的</ins>" in summary and "<del>" not in summary  # an insertion only
    risks = page[page.index('id="diff-risks"') : page.index('id="diff-mandate_fit"')]
    assert "<del>risks：正文</del>" in risks and "<ins>新增风险</ins>" in risks
    assert 'id="diff-technology" data-changed="0"' in page
    assert client.get(f"/ic/memos/{version.memo_id}/diff?from={version.id}").status_code == 404
    other_deal = factories.deal(dbs, committee["company"], committee["manager"],
                                [(committee["angel"], "5000000")])  # fmt: skip
    _memo, foreign = factories.memo(dbs, other_deal, committee["manager"].id)
    mixed = client.get(f"/ic/memos/{version.memo_id}/diff?from={version.id}&to={foreign.id}")
    assert mixed.status_code == 400
    assert "Only two versions of one memo" in client.get(
        f"/ic/memos/{version.memo_id}/diff?from={version.id}&to={foreign.id}", headers=ENGLISH
    ).get_data(as_text=True)


def test_questions_and_answers_stay_with_their_version(app, dbs, committee):
    member, manager = committee["members"][1], committee["manager"]
    memo_url = f"/ic/memos/{committee['memo'].id}"
    asked = post_form(client_of(app, member), f"{memo_url}/questions",
                      {"text": "2025 年收入确认的依据是什么？", "version": "1"})  # fmt: skip
    question = dbs.exec(select(IcQuestion)).one()
    assert asked.location == f"{memo_url}#question-{question.id}"
    # the deal's owner is told; the asker is not
    told = dbs.exec(select(Notification).where(Notification.kind == "question")).all()
    assert [n.user_id for n in told] == [manager.id]
    answered = post_form(client_of(app, manager), f"/ic/questions/{question.id}/answers",
                         {"text": "以验收单为准。"}, token_from=memo_url)  # fmt: skip
    assert answered.location == f"{memo_url}#question-{question.id}"
    assert [a.text for a in dbs.exec(select(IcAnswer)).all()] == ["以验收单为准。"]
    told = dbs.exec(select(Notification).where(Notification.kind == "answer")).all()
    assert [n.user_id for n in told] == [member.id]
    page = client_of(app, member).get(memo_url, headers=ENGLISH).get_data(as_text=True)
    assert "asked on version 1" in page and "以验收单为准。" in page
    # an empty or a 100 KB question, and an IC member's answer, are refused: nothing written
    for text in ("", "问" * 100_000):
        post_form(client_of(app, member), f"{memo_url}/questions", {"text": text, "version": "1"})
    post_form(
        client_of(app, member), f"{memo_url}/questions", {"text": "第 9 版？", "version": "9"}
    )
    assert len(dbs.exec(select(IcQuestion)).all()) == 1
    refused = post_form(client_of(app, member), f"/ic/questions/{question.id}/answers",
                        {"text": "我来答"}, token_from=memo_url)  # fmt: skip
    assert refused.status_code == 403


def test_a_long_table_breaks_across_pages_with_its_header_repeated(app, dbs, committee):
    version = dbs.get(IcMemoVersion, committee["version"].id)
    rows = "\n".join(f"| 客户{i:03d} | {i * 10} |" for i in range(160))
    version.sections = {
        **version.sections,
        "financials": f"| 客户 | 收入（万元） |\n|---|---|\n{rows}",
    }
    dbs.commit()
    response = client_of(app, committee["manager"]).get(
        f"/ic/memos/{committee['memo'].id}/memo.pdf?lang=zh"
    )
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
    holding = [i for i, text in enumerate(pages) if "客户0" in text or "客户1" in text]
    assert len(holding) >= 2  # the table runs over pages
    assert all(
        "收入（万元）" in _flat(pages[i]) or "收入(万元)" in _flat(pages[i]) for i in holding
    )
    assert "客户159" in "".join(pages)


def test_long_texts_print_across_pages_and_never_fail(app, dbs, committee):
    """A 2,000-character condition in the minutes, a 4,000-character table cell and a list
    eight levels deep in a memo: all print (a table row never splits, so long cells print
    row by row)."""
    from fundcrm.models import IcDecision

    version = dbs.get(IcMemoVersion, committee["version"].id)
    deep = "\n".join("  " * i + "- 层级" for i in range(8))
    long_table = f"| 项 | 说明 |\n|---|---|\n| 长 | {'风' * 4000} |"
    code = "```\n" + "代码" * 200 + "\n```"
    version.sections = {**version.sections, "risks": long_table, "market": deep, "financials": code}
    vote = {"member_id": committee["members"][0].id, "choice": "approve_conditions",
            "condition": "条" * 1990}  # fmt: skip
    decision = IcDecision(deal_id=committee["deal"].id, item_id=committee["item"].id,
                          decided_on=date(2026, 11, 20), outcome="approve_conditions",
                          amounts={}, votes=[vote])  # fmt: skip
    dbs.add(decision)
    dbs.commit()
    client = client_of(app, committee["members"][0])
    memo, _fonts = read_pdf(client.get(f"/ic/memos/{committee['memo'].id}/memo.pdf"))
    assert "风风风" in memo and "层级" in memo
    minutes, _fonts = read_pdf(client.get(f"/ic/meetings/{committee['meeting'].id}/minutes.pdf"))
    assert _flat(minutes).count("条") >= 1990


def test_a_diff_with_an_impossible_version_id_is_not_found(app, dbs, committee):
    client = client_of(app, committee["manager"])
    url = f"/ic/memos/{committee['memo'].id}/diff?from=99999999999999999999&to=1"
    assert client.get(url).status_code == 404
