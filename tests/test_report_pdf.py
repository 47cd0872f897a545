"""The annual report's PDF (fundcrm.reports.pdf) read back as a reader's viewer would: the cover,
the contents with the right pages, headers and footers on every page, tables running over pages
with their header repeated, amounts in 万元, a draft's watermark, the embedded font, and charts
drawing exactly their tables' figures."""

import io
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pdfplumber
import pytest
from flask_babel import force_locale
from pdfminer.pdftypes import resolve1

from fundcrm.reports import pdf, pdf_charts
from fundcrm.reports.model import Chart
from tests.report_sample import sample_report

ENGLISH = {
    "confidential": "Confidential",
    "draft": "DRAFT · not issued",
    "contents": "Contents",
    "page_of": "Page %(page)s of %(pages)s",
    "unit_note": "Amounts in 万元 unless stated.",
    "workbook_unit_note": "Amounts in yuan.",
    "none": "None.",
    "total": "Total",
    "not_meaningful": "n.m.",
    "generated": "Generated %(when)s by %(who)s",
    "edition": "LP edition for %(lp)s",
}


def english_report(draft: bool = True):
    report = sample_report(draft=draft, language="en")
    report.labels = dict(ENGLISH)
    report.fund_name, report.title = "Chongqing AI Fund", "Annual portfolio report 2025"
    report.edition, report.lp_name = "lp", "Liangjiang Capital"
    return report


def wan(yuan: Decimal) -> str:
    """Yuan as the report must show it: 万元, two places rounded half up, grouped."""
    return f"{(yuan / 10000).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def _turned(char: dict) -> bool:
    """Whether a letter is set at an angle (the watermark's)."""
    return abs(char["matrix"][1]) > 0.01


def read(app, report) -> dict:
    """The rendered report's pages (text, lines, the watermark's rotated letters) and fonts."""
    with app.app_context(), force_locale(report.locale):
        data = pdf.render(report)
    pages, fonts = [], {}
    with pdfplumber.open(io.BytesIO(data)) as paper:
        for page in paper.pages:
            upright = page.filter(lambda o: o["object_type"] != "char" or not _turned(o))
            text = upright.extract_text() or ""  # the watermark's letters apart
            rotated = "".join(c["text"] for c in page.chars if _turned(c))
            flat, rotated = re.sub(r"\s+", "", text), re.sub(r"\s+", "", rotated)
            letters = [c for c in page.chars if not _turned(c)]
            edges = (min(c["x0"] for c in letters), max(c["x1"] for c in letters), page.width)
            pages.append(
                {
                    "text": text,
                    "flat": flat,
                    "lines": text.splitlines(),
                    "rotated": rotated,
                    "edges": edges,
                }
            )
            for ref in (resolve1(page.page_obj.resources.get("Font")) or {}).values():
                font = resolve1(ref)
                descriptor = resolve1(font.get("FontDescriptor")) or {}
                fonts[str(font.get("BaseFont"))] = "FontFile2" in descriptor
    return {"pages": pages, "fonts": fonts, "report": report}


@pytest.fixture(scope="module")
def papers(app):
    return {
        "draft": read(app, sample_report(draft=True)),
        "issued": read(app, sample_report(draft=False)),
        "english": read(app, english_report()),
    }


def test_the_cover_says_what_the_report_is(papers):
    cover = papers["draft"]["pages"][0]["flat"]
    for words in ("重庆AI及服务机器人基金", "2025年度投资组合报告", "全基金", "员工版",
                  "2025年12月31日", "2026-01-0510:30由周静生成", "金额单位：万元。"):  # fmt: skip
        assert words in cover, words
    english = papers["english"]["pages"][0]["text"]
    assert "LP edition for Liangjiang Capital" in english
    assert "As of December 31, 2025" in english
    assert "Generated 2026-01-05 10:30 by 周静" in english


def test_the_contents_list_every_section_at_its_page(papers):
    for name in ("draft", "english"):
        paper = papers[name]
        pages, report = paper["pages"], paper["report"]
        assert pages[1]["lines"][1] == report.labels["contents"]
        listed = {}
        for line in pages[1]["lines"]:
            found = re.match(r"^(\d+[a-z]?)\. (.+?)[ .]+(\d+)$", line)
            if found:
                listed[found[1]] = (found[2], int(found[3]))
        assert list(listed) == [s.number for s in report.sections]
        for section in report.sections:
            title, page = listed[section.number]
            assert title == section.title
            heading = f"{section.number}. {section.title}"
            assert heading in pages[page - 1]["lines"], (heading, page)
            assert not any(heading in p["lines"] for p in pages[: page - 1])


def test_every_page_has_its_number_and_the_confidential_mark(papers):
    for name, pattern, mark in (("draft", "第{n}页，共{m}页", "机密"),
                                ("english", "Page{n}of{m}", "Confidential")):  # fmt: skip
        pages = papers[name]["pages"]
        assert len(pages) >= 5
        for n, page in enumerate(pages, start=1):
            assert pattern.format(n=n, m=len(pages)) in page["flat"], (name, n)
            assert page["flat"].count(mark) >= 2, (name, n)  # header and footer


def test_nothing_runs_past_the_margins(papers):
    margin = 18 / 25.4 * 72  # fundcrm.pdf's 18 mm
    for paper in papers.values():
        for n, page in enumerate(paper["pages"], start=1):
            left, right, width = page["edges"]
            assert left >= margin - 0.5 and right <= width - margin + 0.5, (n, left, right)


def test_the_schedule_runs_over_pages_with_its_header_on_each(papers):
    report, pages = papers["draft"]["report"], papers["draft"]["pages"]
    holding = re.compile(r"重庆样例智能科技有限公司(\d{3})")
    on_pages = {}
    for n, page in enumerate(pages):
        for line in page["lines"]:
            if found := holding.search(line):
                on_pages.setdefault(n, []).append(int(found[1]))
    assert len(on_pages) >= 2
    assert sorted(i for rows in on_pages.values() for i in rows) == list(range(60))
    for n in on_pages:
        assert "公司首次投资投资成本持股公允价值MOIC毛IRR万元万元" in pages[n]["flat"], n
    table = report.table("schedule")
    assert table.total[2] == sum(table.values("invested"))
    totals = [line for p in pages for line in p["lines"] if line.startswith("合计 ")]
    assert f"合计 {wan(table.total[2])} {wan(table.total[4])}" in totals


def test_each_holding_reads_in_wan_and_its_ratios_as_written(papers):
    report, pages = papers["draft"]["report"], papers["draft"]["pages"]
    lines = [line for p in pages for line in p["lines"]]
    for company, first_on, invested, pct, value, moic, irr in report.table("schedule").rows:
        line = next(line for line in lines if line.startswith(company))
        rate = "—" if irr.value is None else "12.3%" if irr.annualised else "n.m."
        shown = f"{first_on.isoformat()} {wan(invested)} {pct}0% {wan(value)}"
        assert line == f"{company} {shown} {'—' if moic is None else f'{moic}×'} {rate}"
    flows = report.table("cash_flows_net")
    for sub_fund, on, kind, amount in flows.rows:
        assert f"{sub_fund} {on.isoformat()} {kind} {wan(amount)}" in lines
    assert "ANGEL 2025-12-31 净资产 6,100.00" in lines  # 61,000,000.55 yuan


def test_an_empty_table_says_so():
    report = sample_report()
    exits = report.table("exits")
    assert pdf._table(exits, report)[1].getPlainText() == "年内无退出。"
    exits.empty = ""
    assert pdf._table(exits, report)[1].getPlainText() == "无。"


def test_a_draft_is_watermarked_on_every_page_and_an_issued_report_on_none(papers):
    assert all(p["rotated"] == "草稿·未发布" for p in papers["draft"]["pages"])
    assert all(p["rotated"] == "DRAFT·notissued" for p in papers["english"]["pages"])
    assert not any(p["rotated"] for p in papers["issued"]["pages"])
    assert len(papers["issued"]["pages"]) == len(papers["draft"]["pages"])


def test_every_font_is_the_embedded_cjk_one(papers):
    for paper in papers.values():
        fonts = paper["fonts"]
        assert fonts and all(fonts.values()), fonts
        assert all("WenQuanYi" in name and "STSong" not in name for name in fonts), fonts


def charts(report) -> dict[str, Chart]:
    return {c.key: c for s in report.sections for c in s.charts()}


def drawn(app, chart: Chart):
    with app.app_context(), force_locale("zh_Hans_CN"):
        return pdf_charts.drawing(chart)


def in_wan(values) -> list[float]:
    return [float(v / Decimal(10000)) for v in values]


def test_the_pie_draws_its_tables_amounts_and_shares(app, papers):
    report = sample_report()
    chart = charts(report)["allocation_focus_area"]
    figure = drawn(app, chart)
    categories, (costs,) = chart.series()
    assert figure.plot.data == in_wan(costs) == [100.000001, 200.000001, 300.000001]
    table = report.table("allocation_focus_area")
    legend = [name for _colour, name in figure.legend.colorNamePairs]
    for name, category, cost, share in zip(legend, categories, costs, table.values("cost_share"),
                                           strict=True):  # fmt: skip
        shown = f"{(share * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"
        assert name == f"{category}  {wan(cost)} 万元  {shown}"
    assert "大模型100.00万元16.7%" in "".join(p["flat"] for p in papers["draft"]["pages"])


def test_the_bars_funnel_and_lines_draw_their_tables_figures(app):
    found = charts(sample_report())
    bars = drawn(app, found["allocation_focus_area_bar"]).plot
    categories, series = found["allocation_focus_area_bar"].series()
    assert bars.categoryAxis.categoryNames == categories
    assert bars.data == [in_wan(values) for values in series]
    assert bars.barLabelArray == [[wan(v) for v in values] for values in series]
    funnel = drawn(app, found["funnel"]).plot
    assert funnel.categoryAxis.categoryNames == ["项目储备", "初筛", "立项", "尽职调查"]
    assert funnel.data == [[120.0, 60.0, 30.0, 12.0]] and funnel.categoryAxis.reverseDirection
    line = drawn(app, found["deployment"]).plot
    dates, (invested, committed) = found["deployment"].series()
    assert line.data == [[(d.toordinal(), w) for d, w in zip(dates, in_wan(v), strict=True)]
                         for v in (invested, committed)]  # fmt: skip
    assert dates[0] == date(2025, 3, 31) and in_wan(invested)[0] == 1000.0


def test_a_chart_with_nothing_to_draw_says_so(app):
    report = sample_report()
    chart = charts(report)["funnel"]
    chart.table.rows = []
    assert drawn(app, chart) is None
    with app.app_context():
        assert pdf._chart(chart, report)[1].getPlainText() == "无。"
