"""Records for tests, made through the same services the app uses."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import Session, select

from fundcrm.companies import services as companies
from fundcrm.deals import moves
from fundcrm.deals import services as deals
from fundcrm.domain import uscc
from fundcrm.funds import services as funds
from fundcrm.models import Commitment, Company, Contact, LimitedPartner, SubFund, User

VALID_USCC = ["914403001922038216", "91310110666007217T"]


def make_uscc(n: int, area: str = "500112") -> str:
    """A valid, distinct USCC for the n-th test company."""
    return uscc.complete(f"91{area}{n:09d}")


def sub_fund(db: Session, code: str, **values) -> SubFund:
    base = {
        "code": code,
        "name": f"{code} 子基金",
        "name_en": None,
        "target_yuan": Decimal("1000000000.00"),
        "first_close": date(2024, 6, 1),
        "investment_end": date(2029, 6, 30),
        "term_end": date(2034, 6, 30),
        "allowed_stages": [],
        "focus_areas": [],
        "project_cap_pct": Decimal("20"),
        "ic_quorum": "2/3",
        "ic_threshold": "2/3",
        "veto_holder_ids": [],
    }
    return funds.save_sub_fund(db, SubFund(code="", name="", target_yuan=0), {**base, **values})


def lp(db: Session, name: str, lp_type: str = "city_fof", government: bool = True):
    return funds.save_lp(
        db,
        LimitedPartner(name="", lp_type=""),
        {"name": name, "lp_type": lp_type, "is_government": government},
    )


def commitment(db: Session, lp_row, fund, yuan: str, **values) -> Commitment:
    base = {
        "lp_id": lp_row.id,
        "sub_fund_id": fund.id,
        "committed_yuan": Decimal(yuan),
        "reinvest_ratio": Decimal("1.2"),
        "reinvest_area": ["chongqing"],
        "reinvest_base": "committed",
    }
    return funds.save_commitment(
        db, Commitment(lp_id=0, sub_fund_id=0, committed_yuan=0), {**base, **values}
    )


def company(db: Session, name: str, code: str, **values) -> Company:
    base = {
        "name": name,
        "uscc": code,
        "focus_area": "embodied_ai",
        "enterprise_stage": "growth",
        "application_fields": ["logistics"],
        "zone": "liangjiang",
        "district": "渝北区",
        "description": None,
    }
    return companies.save_company(
        db,
        Company(name="", name_key="", uscc="", focus_area="", enterprise_stage=""),
        {**base, **values},
        user=None,
        confirmed_similar=True,
    )


def contact(db: Session, company_row, name="王经理") -> Contact:
    return companies.save_contact(
        db,
        Contact(company_id=company_row.id, name=""),
        {"name": name, "title": "CEO", "phone": "13800000000"},
    )


def deal(db: Session, company_row, owner: User, funds_and_amounts, **values):
    base = {
        "company_id": company_row.id,
        "round": "a",
        "source": "own",
        "owner_id": owner.id,
        "participations": [(f.id, Decimal(a) if a else None) for f, a in funds_and_amounts],
        "ask_yuan": Decimal("30000000.00"),
        "notes": None,
    }
    return deals.create_deal(
        db,
        {**base, **values},
        owner,
        prefix="XM",
        at=values.pop("at", None) or datetime(2026, 1, 5, 2, 0, tzinfo=UTC),
    )


def pipeline(db: Session, owner: User) -> dict:
    """A small fund: two sub-funds, a government LP's commitment, a company with a contact and
    a deal; committed so requests see it."""
    angel = sub_fund(db, "ANGEL", allowed_stages=["startup", "growth"])
    industry = sub_fund(db, "INDUSTRY", allowed_stages=["growth", "mature"])
    city = lp(db, "重庆市产业投资母基金")
    pledge = commitment(db, city, angel, "300000000.00")
    robot = company(db, "重庆擎天机器人科技有限公司", make_uscc(1))
    person = contact(db, robot)
    first = deal(db, robot, owner, [(angel, "10000000"), (industry, "20000000")])
    db.commit()
    return {
        "angel": angel,
        "industry": industry,
        "lp": city,
        "commitment": pledge,
        "company": robot,
        "contact": person,
        "deal": first,
    }


def workspace(db: Session, records: dict, documents_folder) -> dict:
    """An activity, a task, a DD checklist and a document on the pipeline's deal: their ids."""
    from fundcrm.demo import demo_pdf
    from fundcrm.models import Activity, DDItem, DDTemplateItem, Task, utcnow
    from fundcrm.workspace import services as work

    deal, owner = records["deal"], records["deal"].owner
    activity = work.save_activity(
        db,
        Activity(company_id=0, kind="", summary=""),
        {
            "company_id": deal.company_id,
            "deal_id": deal.id,
            "kind": "meeting",
            "occurred_on": date(2026, 1, 6),
            "summary": "首次会谈",
            "user_ids": [owner.id],
            "contact_ids": [records["contact"].id],
        },
        owner,
    )
    task = work.save_task(
        db,
        Task(title="", assignee_id=owner.id),
        {
            "title": "补充财务数据",
            "due_on": date(2026, 1, 20),
            "assignee_id": owner.id,
            "deal_id": deal.id,
        },
        owner,
    )
    moves.record_import_move(db, deal, "approved", utcnow())
    item = db.exec(select(DDItem).where(DDItem.deal_id == deal.id)).first()
    template = db.exec(select(DDTemplateItem)).first()
    document = work.store_document(
        db,
        documents_folder,
        {"deal_id": deal.id},
        "商业计划书",
        "bp.pdf",
        demo_pdf("bp"),
        owner,
        2**20,
    )
    db.commit()
    return {
        "activity_id": activity.id,
        "task_id": task.id,
        "dd_item_id": item.id,
        "template_id": template.id,
        "document_id": document.id,
    }


MEMO_TEXT = {
    code: f"{code}：正文" for code in ("summary", "company_team", "technology", "market",
                                      "financials", "valuation_terms", "dd_findings", "risks",
                                      "mandate_fit", "recommendation")
}  # fmt: skip


def memo(db: Session, deal_row, author_id: int, submitted: bool = True):
    """The deal's IC memo with version 1, every section written (submitted unless told)."""
    from fundcrm.models import IcMemo, IcMemoVersion

    row = IcMemo(deal_id=deal_row.id, created_by_id=author_id)
    db.add(row)
    db.flush()
    proposed = {str(p.sub_fund_id): str(p.proposed_yuan) for p in deal_row.participations}
    status = "submitted" if submitted else "draft"
    version = IcMemoVersion(memo_id=row.id, sections=MEMO_TEXT, proposed=proposed, status=status)
    db.add(version)
    db.commit()
    return row, version


def meeting(db: Session, chair_id: int, member_ids, held_on, items=()):
    """An IC meeting of these members with these memo versions on its agenda, committed."""
    from fundcrm.models import IcAgendaItem, IcMeeting, IcMeetingMember, IcMemo

    row = IcMeeting(held_on=held_on, place="两江新区 会议室 A", chair_id=chair_id)
    row.members = [IcMeetingMember(member_id=m) for m in member_ids]
    db.add(row)
    db.flush()
    for position, version in enumerate(items, start=1):
        deal_id = db.get(IcMemo, version.memo_id).deal_id
        item = IcAgendaItem(
            meeting_id=row.id, memo_version_id=version.id, deal_id=deal_id, position=position
        )
        db.add(item)
    db.commit()
    return row
