"""A portfolio company's milestones (DOMAIN.md sections 2, 7 and 9): added on the holding page
with their evidence (a text, one of the company's documents), refused with a message and
nothing written (no date, a future date, a company the fund does not hold, another company's
document), shown as a timeline, imported and exported."""

import html
import io
import re
from datetime import date

import pytest
from sqlmodel import select

from fundcrm.models import Document, Milestone
from tests.conftest import page_text, post_form
from tests.ic_fixtures import ENGLISH, client_of
from tests.kpi_fixtures import build_world, entries, frozen, page, post
from tests.test_imports import audit_count, run, write
from tests.test_imports_web import token_of


@pytest.fixture
def kpi_world(staff, dbs):
    with frozen():
        yield build_world(staff, dbs)


HEAD = "company_uscc,kind,title,date,evidence\n"


def milestones(dbs) -> list[Milestone]:
    dbs.expire_all()
    return list(dbs.exec(select(Milestone).order_by(Milestone.id)).all())


def document(dbs, title: str, **owner) -> Document:
    stored = Document(title=title, filename=f"{title}.pdf", file_type="pdf", size_bytes=100,
                      sha256="0" * 64, storage_name=f"{title}-{len(owner)}", **owner)  # fmt: skip
    dbs.add(stored)
    dbs.commit()
    return stored


def test_a_milestone_with_its_evidence_shows_on_the_timeline(app, dbs, kpi_world):
    holding, robot = kpi_world["holding"], kpi_world["robot"]
    report = document(dbs, "检测报告", company_id=robot.id)
    plan = document(dbs, "商业计划书", deal_id=kpi_world["deal"].id)
    url = f"/portfolio/{holding.id}/milestones"
    answer = post(app, kpi_world["manager"], url, {
        "kind": "product", "title": "商用清洁机器人 C2 量产", "achieved_on": "2026-06-18",
        "evidence": "首批 500 台交付", "document_id": str(report.id),
    })  # fmt: skip
    assert answer.status_code == 302 and answer.location == f"/portfolio/{holding.id}#milestones"
    post(app, kpi_world["risk"], url, {"kind": "technology", "title": "视觉导航算法突破",
                                      "achieved_on": "2025-09-01",
                                      "document_id": str(plan.id)})  # fmt: skip
    saved = milestones(dbs)
    assert [(m.kind, m.achieved_on, m.document_id) for m in saved] == [
        ("product", date(2026, 6, 18), report.id),
        ("technology", date(2025, 9, 1), plan.id),
    ]
    assert (
        saved[0].evidence == "首批 500 台交付" and saved[0].created_by_id == kpi_world["manager"].id
    )
    assert [e.action for e in entries(dbs, "milestones")] == ["create", "create"]
    text = page(app, kpi_world["ic_member"], f"/portfolio/{holding.id}")
    timeline = page_text(text, 'id="milestone-timeline"')
    # newest first, with the kind's label, the evidence and a link to the document
    assert timeline.index("C2 量产") < timeline.index("视觉导航算法突破")
    assert "High-tech product" in timeline and "Key core technology breakthrough" in timeline
    assert "首批 500 台交付" in timeline and "检测报告 · 检测报告.pdf" in timeline
    assert f'href="/documents/{report.id}"' in text and f'href="/documents/{plan.id}"' in text


@pytest.mark.parametrize(
    ("form", "message", "audited"),
    [
        ({"kind": "product", "title": "样机", "achieved_on": ""},
         "Give the date the milestone was reached.", False),
        ({"kind": "product", "title": "样机", "achieved_on": "2026-12-01"},
         "A milestone is dated today or earlier.", True),
        ({"kind": "award", "title": "样机", "achieved_on": "2026-01-01"}, "Unknown code: award",
         False),
        ({"kind": "product", "title": "", "achieved_on": "2026-01-01"}, "This field is required",
         False),
    ],
)  # fmt: skip
def test_a_refused_milestone_writes_nothing(app, dbs, kpi_world, form, message, audited):
    url = f"/portfolio/{kpi_world['holding'].id}/milestones"
    shown = post(app, kpi_world["manager"], url, form, follow=True)
    assert message in html.unescape(shown.get_data(as_text=True))
    assert milestones(dbs) == []
    assert len(entries(dbs, "companies", "refused")) == (1 if audited else 0)


def test_a_company_not_held_or_another_companys_document_is_refused(app, dbs, kpi_world):
    other_document = document(dbs, "别家的报告", company_id=kpi_world["stranger"].id)
    url = f"/portfolio/{kpi_world['holding'].id}/milestones"
    form = {"kind": "scenario", "title": "医院物流场景落地", "achieved_on": "2026-05-01"}
    post(app, kpi_world["admin"], url, {**form, "document_id": str(other_document.id)})
    post(app, kpi_world["admin"], f"/portfolio/{kpi_world['empty_holding'].id}/milestones", form)
    assert milestones(dbs) == []
    reasons = [e.changes for e in entries(dbs, "companies", "refused")]
    assert "Choose one of the company's documents." in reasons[0]
    assert "The fund holds no investment in this company" in reasons[1]


def test_a_milestone_file_imports_reimports_unchanged_and_exports_safely(
    app, dbs, kpi_world, tmp_path
):
    robot = kpi_world["robot"].uscc
    path = write(tmp_path, "milestones.csv", HEAD + (
        f"{robot},technology,=SUM(1) 视觉算法,2025-06-01,+86 023 检测\n"
        f"{robot},关键核心技术突破,力控关节,2025-08-01,\n"
        f"{robot},recognised,入选重庆市独角兽企业,2026-03-15,市经信委公示\n"
    ))  # fmt: skip
    result = run(app, "import", "milestones", path)
    assert result.exit_code == 0, result.output
    assert "created 3, updated 0, unchanged 0" in result.output
    assert [(m.kind, m.title) for m in milestones(dbs)][:2] == [
        ("technology", "=SUM(1) 视觉算法"), ("technology", "力控关节"),
    ]  # fmt: skip
    before = audit_count(dbs)
    assert "created 0, updated 0, unchanged 3" in run(app, "import", "milestones", path).output
    assert audit_count(dbs) == before
    # the evidence of a recorded milestone is corrected by a row naming it
    fix = write(tmp_path, "fix.csv", HEAD + f"{robot},technology,力控关节,2025-08-01,专利证书\n")
    assert "created 0, updated 1, unchanged 0" in run(app, "import", "milestones", fix).output
    assert milestones(dbs)[1].evidence == "专利证书"
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"export.{fmt}"
        assert run(app, "export", "milestones", "--out", out).exit_code == 0
        if fmt == "csv":
            text = out.read_text("utf-8-sig")
            assert "'=SUM(1) 视觉算法" in text and "'+86 023 检测" in text
        before = audit_count(dbs)
        result = run(app, "import", "milestones", out)
        assert "created 0, updated 0, unchanged 3" in result.output, result.output
        assert audit_count(dbs) == before


def test_an_exported_milestone_of_a_company_not_held_reimports_unchanged(
    app, dbs, kpi_world, tmp_path
):
    """A relocation records its company's `introduced` milestone whether held or not: the
    export of it still re-imports (a row that changes nothing is not judged again)."""
    dbs.add(Milestone(company_id=kpi_world["stranger"].id, kind="introduced",
                      title="注册迁入两江新区", achieved_on=date(2026, 2, 1)))  # fmt: skip
    dbs.commit()
    out = tmp_path / "all.csv"
    run(app, "export", "milestones", "--out", out)
    assert "created 0, updated 0, unchanged 1" in run(app, "import", "milestones", out).output


def test_a_bad_milestone_file_reports_every_row_and_writes_nothing(app, dbs, kpi_world, tmp_path):
    robot, stranger = kpi_world["robot"].uscc, kpi_world["stranger"].uscc
    path = write(tmp_path, "bad.csv", HEAD + (
        f"{kpi_world['unheld'].uscc[:-1]}0,product,样机,2026-01-01,\n"  # row 2: a bad USCC
        f"{stranger},product,样机,2026-01-01,\n"   # row 3: not held
        f"{robot},product,样机,,\n"                # row 4: no date
        f"{robot},product,样机,2026-12-01,\n"      # row 5: after today
        f"{robot},award,样机,2026-01-01,\n"        # row 6: unknown kind
        f"{robot},scenario,,2026-01-01,\n"         # row 7: no title
        f"{robot},scenario,园区巡检,2026-01-01,\n"  # row 8: fine
    ))  # fmt: skip
    result = run(app, "import", "milestones", path)
    assert result.exit_code == 1
    for expected in (
        "row 2, column company_uscc:",
        "row 3, column company_uscc: The fund holds no investment in this company",
        "row 4, column date: Give the date the milestone was reached.",
        "row 5, column date: A milestone is dated today or earlier.",
        "row 6, column kind: Unknown code: award",
        "row 7, column title: A value is needed here",
    ):
        assert expected in result.output, (expected, result.output)
    assert "row 8," not in result.output
    assert milestones(dbs) == []


def test_a_milestones_file_uploaded_on_the_web_is_recognised_and_confirmed(app, dbs, kpi_world):
    client = client_of(app, kpi_world["manager"])
    listing = client.get("/imports").get_data(as_text=True)
    assert 'id="kind-kpis"' in listing and 'id="kind-milestones"' in listing
    data = ("企业统一社会信用代码,类别,名称,日期,佐证\n"
            f"{kpi_world['robot'].uscc},应用场景,医院物流场景落地,2026-05-01,合同\n")  # fmt: skip
    answer = post_form(
        client, "/imports", {"kind": "", "file": (io.BytesIO(data.encode()), "m.csv")}
    )
    token = token_of(answer)
    preview = client.get(f"/imports/{token}", headers=ENGLISH).get_data(as_text=True)
    assert "this file holds Milestones" in html.unescape(preview) and "1 to create" in preview
    post_form(client, f"/imports/{token}/confirm", {}, token_from=f"/imports/{token}")
    (saved,) = milestones(dbs)
    assert (saved.kind, saved.created_by_id) == ("scenario", kpi_world["manager"].id)
    assert re.search(r"医院物流场景落地", page(app, kpi_world["manager"],
                                             f"/portfolio/{kpi_world['holding'].id}"))  # fmt: skip
