"""The demo's investment committee, through the IC services: memos for the deals at 投决, a
past meeting with three decided items (approved with conditions, rejected, and one a member was
recused on), an upcoming meeting with a memo under review, and the historical decisions of the
deals imported at 签约 and 交割."""

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import force_locale
from sqlmodel import Session, func, select

from fundcrm.auth.queries import find_user
from fundcrm.domain.vocab import MEMO_SECTIONS
from fundcrm.ic import decisions, meetings, prefill, questions, votes
from fundcrm.ic.conflicts import record_conflict
from fundcrm.ic.decisions import ConditionDraft
from fundcrm.models import (
    Deal,
    IcAgendaItem,
    IcAnswer,
    IcCondition,
    IcConflict,
    IcDecision,
    IcMeeting,
    IcMemo,
    IcMemoVersion,
    IcQuestion,
    IcVote,
    StageMove,
    User,
)
from fundcrm.notifications import services as notifications
from fundcrm.workspace import services as workspace

MEMBERS = ("ic1@example.com", "ic2@example.com", "ic3@example.com")  # the first chairs
TEXT = {
    "summary": "建议投资。公司聚焦具身智能核心部件，产品已在两江新区多个场景落地，团队完整。",
    "technology": "自研关节模组与运动控制算法，已获发明专利 12 项；样机通过第三方可靠性测试。",
    "market": "服务机器人市场年增速约 25%，主要竞争对手 3 家，公司在成本与交付周期上具优势。",
    "financials": "2025 年营业收入 4,800 万元，毛利率 38%；预计 2026 年收入 9,000 万元。",
    "risks": "核心零部件进口依赖：已与两家国内供应商联合开发替代方案；客户集中度较高。",
    "recommendation": "建议按拟投金额投资，并将注册地迁入重庆作为投资条件。",
}


def seed_ic(db: Session, settings, today: date) -> int:
    """Create the IC's demo records once; how many records were added."""
    if db.exec(select(IcMeeting.id).limit(1)).first() is not None:
        return 0
    members = [find_user(db, email) for email in MEMBERS]
    admin, risk = find_user(db, "admin@example.com"), find_user(db, "risk@example.com")
    before = _ic_rows(db)
    at_ic = _deals(db, "ic")
    past = today - timedelta(days=21)
    versions = [_submitted_memo(db, deal, past - timedelta(days=7)) for deal in at_ic]
    # the past meeting: three items decided
    held = _meeting(db, past, "两江新区 数字经济产业园 3 楼会议室", members, admin)
    approved, rejected, recused = (meetings.add_item(db, held, v.id, admin) for v in versions[:3])
    record_conflict(
        db,
        {
            "member_id": members[1].id,
            "company_uscc": _deal(db, recused.deal_id).company.uscc,
            "reason": "本人配偶在该公司担任财务总监",
            "declared_on": past - timedelta(days=10),
        },
        members[1],
    )
    _vote(db, approved, members[0], "approve_conditions", "交割前完成创始人代持股权清理")
    _vote(db, approved, members[1], "approve")
    _vote(
        db, approved, members[2], "approve_conditions", "2027 年 6 月 30 日前将注册地迁入两江新区"
    )
    _close(db, approved, members[0], past, [
        ConditionDraft("交割前完成创始人代持股权清理", "precedent", past + timedelta(days=45)),
        ConditionDraft("2027 年 6 月 30 日前将注册地迁入两江新区", "subsequent", date(2027, 6, 30)),
    ])  # fmt: skip
    for member, choice in zip(members, ("reject", "reject", "approve"), strict=True):
        _vote(db, rejected, member, choice)
    _vote(db, recused, members[0], "approve")
    _vote(db, recused, members[2], "approve")
    _close(db, rejected, members[0], past, [])
    _close(db, recused, members[0], past, [])
    meetings.record_attendance(db, held, {m.id for m in members}, held.version)
    # the upcoming meeting: a memo under review, one member has voted
    upcoming = _meeting(
        db, today + timedelta(days=7), "西部科学城 重庆高新区 创新中心 A 座", members, admin
    )
    under_review = meetings.add_item(db, upcoming, versions[3].id, admin)
    _vote(db, under_review, members[2], "approve")
    for index, deal in enumerate(_deals(db, "signing") + _deals(db, "closed")):
        # the first closed deal promised to relocate: that condition falls due in ten days
        due = today + timedelta(days=10) if index == len(_deals(db, "signing")) else None
        _historical(db, deal, risk, due)
    _questions(db, versions, members)
    notifications.notify_conditions_due(db, today, int(settings.get("NOTIFY_DUE_DAYS", 14)))
    _ready_for_ic(db, find_user(db, "manager@example.com"))
    db.flush()
    return _ic_rows(db) - before


def _questions(db: Session, versions: list, members: list) -> None:
    """Questions on the approved memo (answered) and on the memo under review (one open)."""
    approved = db.get(IcMemo, versions[0].memo_id)
    asked = questions.ask(db, approved, versions[0].number, members[0],
                          "核心零部件国产替代方案的时间表是什么？")  # fmt: skip
    owner = db.get(User, approved.deal.owner_id)
    questions.answer(db, asked, approved, owner,
                     "已与两家国内供应商联合开发，预计 2027 年二季度完成验证并切换。")  # fmt: skip
    under_review = db.get(IcMemo, versions[3].memo_id)
    questions.ask(db, under_review, versions[3].number, members[2],
                  "请补充前五大客户的收入占比及回款情况。")  # fmt: skip


IC_TABLES = (IcMemo, IcMemoVersion, IcMeeting, IcAgendaItem, IcVote, IcConflict, IcDecision,
             IcCondition, IcQuestion, IcAnswer)  # fmt: skip


def _ic_rows(db: Session) -> int:
    """The records of the IC: memos and versions, meetings, items, votes, conflicts,
    decisions and conditions."""
    return sum(db.exec(select(func.count()).select_from(t)).one() for t in IC_TABLES)


READY_NOTE = "尽调已完成，待提交投决会。"


def _ready_for_ic(db: Session, manager) -> None:
    """One of the manager's deals in due diligence has its checklist done and waits for its
    memo: the demo's way to the IC (its notes say so, so a search finds it)."""
    deal = next(d for d in _deals(db, "due_diligence") if d.owner_id == manager.id)
    for group in workspace.checklist(db, deal.id).values():
        for item in group:
            if item.status not in ("done", "waived"):
                values = {
                    "status": "done",
                    "owner_id": item.owner_id,
                    "severity": item.severity or "none",
                    "finding": item.finding,
                    "waive_reason": None,
                }
                workspace.update_dd_item(db, item, values)
    deal.notes = f"{deal.notes or ''}{READY_NOTE}"


def _deals(db: Session, stage: str) -> list[Deal]:
    return list(db.exec(select(Deal).where(Deal.stage == stage).order_by(Deal.id)).all())


def _deal(db: Session, deal_id: int) -> Deal:
    return db.get(Deal, deal_id)


def _submitted_memo(db: Session, deal: Deal, on: date) -> IcMemoVersion:
    """The deal's memo: the first draft from its records, the rest written, submitted."""
    memo = IcMemo(deal_id=deal.id, created_by_id=deal.owner_id)
    db.add(memo)
    db.flush()
    with force_locale("zh_Hans_CN"):  # the demo fund writes its memos in Chinese
        sections = prefill.first_draft(db, deal, on)
    sections.update({code: text for code, text in TEXT.items() if not sections.get(code)})
    version = IcMemoVersion(
        memo_id=memo.id,
        sections={code: sections.get(code) or "" for code in MEMO_SECTIONS.codes},
        proposed={str(p.sub_fund_id): str(p.proposed_yuan or 0) for p in deal.participations},
        created_by_id=deal.owner_id,
        status="submitted",
        submitted_by_id=deal.owner_id,
    )
    db.add(version)
    db.flush()
    return version


def _meeting(db: Session, on: date, place: str, members, admin) -> IcMeeting:
    values = {
        "held_on": on,
        "starts_at": None,
        "place": place,
        "chair_id": members[0].id,
        "member_ids": [m.id for m in members],
        "note": "",
    }
    return meetings.save_meeting(db, None, values, None, admin)


def _vote(db: Session, item, member, choice: str, condition: str = "") -> None:
    votes.cast(db, item, member, choice, condition)


def _close(db: Session, item, chair, on: date, drafts: list[ConditionDraft]) -> None:
    """The chair closes the vote and, when it approves, records the memo's amounts and the
    conditions."""
    if decisions.close_vote(db, item, chair, today=on) is None:
        proposed = {k: Decimal(v) for k, v in item.memo_version.proposed.items()}
        decisions.decide(db, item, chair, proposed, drafts, today=on)


def _historical(db: Session, deal: Deal, risk, relocate_by: date | None = None) -> None:
    """The approving decision a deal imported at 签约 or 交割 had, a few days before signing;
    with a condition subsequent to relocate to Chongqing when `relocate_by` is given."""
    signing = db.exec(
        select(StageMove.at).where(StageMove.deal_id == deal.id, StageMove.to_stage == "signing")
    ).first()
    decided_on = (signing.date() if signing else deal.created_on) - timedelta(days=5)
    decisions.record_historical(
        db,
        deal,
        {
            "decided_on": decided_on,
            "outcome": "approve_conditions" if relocate_by else "approve",
            "amounts": {str(p.sub_fund_id): p.proposed_yuan for p in deal.participations},
            "note": f"投决会决议（{decided_on.year} 年）",
            "conditions": [ConditionDraft("交割后将注册地迁入重庆市", "subsequent", relocate_by)]
            if relocate_by
            else [],
        },
        risk,
    )
