"""What a deal team would have left on each demo deal: a contact, activities and DD progress
with findings (two red flags among them)."""

from datetime import timedelta

from fundcrm.companies import services as companies
from fundcrm.models import Activity, Contact
from fundcrm.workspace import queries as workspace_queries
from fundcrm.workspace import services as workspace

ACTIVITY_NOTES = {
    "meeting": "与创始团队首次会谈，了解核心技术路线、融资计划及在渝落地意向。",
    "call": "电话沟通本轮估值与领投方进展，对方预计两周内确定条款。",
    "site_visit": "实地考察生产线与测试场地，样机已在园区开展清洁与配送示范应用。",
    "email": "收到补充材料：近两年财务报表、专利清单及主要客户合同。",
    "roadshow": "参加AI及服务机器人创新创业大赛路演，项目获评委关注，约定后续尽调。",
}
CONTACT_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈杰"]
FINDINGS = [
    ("financial", "收入确认", "部分项目收入提前确认，需调整约 320 万元。", "medium"),
    ("legal", "知识产权", "核心专利登记在创始人个人名下，尚未转让至公司。", "red_flag"),
    ("technical", "样机测试", "续航测试低于宣称指标约 15%。", "low"),
]
WAIVE_REASON = "该企业为轻资产研发型企业，不适用"


def seed_workspace(db, rng, company, deal, today) -> None:
    """The company's contact, 1–3 activities on the deal and its DD progress."""
    contact = _contact(db, rng, company)
    for offset, kind in enumerate(rng.sample(list(ACTIVITY_NOTES), rng.randint(1, 3))):
        when = deal.created_on + timedelta(days=7 * (offset + 1))
        workspace.save_activity(
            db,
            Activity(company_id=company.id, kind="", summary=""),
            {
                "company_id": company.id,
                "deal_id": deal.id,
                "kind": kind,
                "occurred_on": min(when, today),
                "summary": ACTIVITY_NOTES[kind],
                "user_ids": [deal.owner_id],
                "contact_ids": [contact.id],
            },
            None,
        )
    _dd_progress(db, rng, deal)


def _contact(db, rng, company) -> Contact:
    contacts = workspace_queries.company_contacts(db, company.id)
    if contacts:
        return contacts[0]
    return companies.save_contact(
        db,
        Contact(company_id=company.id, name=""),
        {
            "name": rng.choice(CONTACT_NAMES),
            "title": "创始人、CEO",
            "phone": f"139{rng.randint(10000000, 99999999)}",
            "email": None,
            "wechat": f"cq_{company.id}",
        },
    )


def _dd_progress(db, rng, deal) -> None:
    """Checklists of deals past 投决 are closed; earlier ones are partly done, and every third
    deal in due diligence carries the findings."""
    items = [i for group in workspace.checklist(db, deal.id).values() for i in group]
    if not items:
        return
    finished = deal.stage in ("ic", "signing", "closed")
    for item in items:
        if finished or rng.random() < 0.4:
            waive = finished and rng.random() < 0.1
            _update(
                db,
                item,
                "waived" if waive else "done",
                waive_reason=WAIVE_REASON if waive else None,
            )
        elif rng.random() < 0.3:
            item.status = "in_progress"
    if deal.stage == "due_diligence" and deal.id % 3 == 0:
        for stream, title, finding, severity in FINDINGS:
            item = next(i for i in items if i.workstream == stream)
            _update(db, item, "in_progress", severity=severity, finding=f"{title}：{finding}")


def _update(db, item, status, severity="none", finding=None, waive_reason=None) -> None:
    workspace.update_dd_item(
        db,
        item,
        {
            "status": status,
            "owner_id": item.owner_id,
            "severity": severity,
            "finding": finding,
            "waive_reason": waive_reason,
        },
    )
