"""The IC's papers as PDF (fundcrm.pdf): a memo version, and a meeting's minutes with every
agenda item's decision record. Written in the language of the request (the view forces it);
the minutes leave out the votes and the tally of an item the reader was recused on."""

from decimal import Decimal

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlmodel import Session

from fundcrm import clock
from fundcrm.domain.vocab import MEMO_SECTIONS
from fundcrm.funds.queries import fund_settings, users_by_id
from fundcrm.i18n import current_locale, format_wan, list_separator, vocab_label
from fundcrm.ic import queries
from fundcrm.models import IcMeeting, IcMemo, IcMemoVersion
from fundcrm.pdf import PAGE_WIDTH, Frame, build, para, table
from fundcrm.pdf.markdown import flowables


def _frame(db: Session, title: str) -> Frame:
    settings = fund_settings(db)
    chinese = current_locale().startswith("zh")
    fund = (
        (settings.name if chinese or not settings.name_en else settings.name_en) if settings else ""
    )
    return Frame(fund, title, _("Confidential"), _("Page %(page)s of %(pages)s"))


def _colon() -> str:
    return "：" if current_locale().startswith("zh") else ": "


def _names(people: dict, ids) -> str:
    return list_separator().join(people[i].name if i in people else f"#{i}" for i in ids) or "—"


def _amounts(funds, amounts: dict) -> list:
    header = [_("Sub-fund"), _("Amount (万元)")]
    rows = [
        [f.name, format_wan(Decimal(amounts[str(f.id)]))] for f in funds if str(f.id) in amounts
    ]
    return [table(header, rows, [PAGE_WIDTH * 0.7, PAGE_WIDTH * 0.3], right=[1])]


def memo_pdf(db: Session, memo: IcMemo, version: IcMemoVersion) -> bytes:
    deal = memo.deal
    title = _("IC memo") + f" · {deal.deal_ref} {deal.company.name}"
    status = vocab_label("memo_status", version.status)
    when = format_datetime(version.submitted_at, "short") if version.submitted_at else ""
    story = [
        para(_("IC memo"), "title"),
        para(
            f"{deal.deal_ref} · {deal.company.name} · "
            + _("Version %(n)s of %(total)s", n=version.number, total=len(memo.versions))
            + f" · {status} {when}",
            "subtitle",
        ),  # fmt: skip
        table(
            [_("Company"), _("USCC"), _("Round"), _("Focus area")],
            [
                [
                    deal.company.name,
                    deal.company.uscc,
                    vocab_label("round", deal.round),
                    vocab_label("focus_area", deal.company.focus_area),
                ]
            ],  # fmt: skip
            [PAGE_WIDTH * w for w in (0.34, 0.26, 0.16, 0.24)],
        ),
        para(_("Proposed amounts"), "h2"),
        *_amounts(queries.rules_of(db, version.proposed.keys()), version.proposed),
    ]
    for number, term in enumerate(MEMO_SECTIONS.terms, start=1):
        story.append(para(f"{number}. {term.label(current_locale())}", "h1"))
        story += flowables(version.sections.get(term.code, "")) or [para(_("(empty)"), "muted")]
    story += _questions(db, memo, version)
    return build(story, _frame(db, title))


def _questions(db: Session, memo: IcMemo, version: IcMemoVersion) -> list:
    asked = [q for q in queries.questions_of(db, memo.id) if q.version_id == version.id]
    if not asked:
        return []
    people = users_by_id(db)
    q_label, a_label = _("Q"), _("A")
    story = [para(_("Questions and answers"), "h1")]
    for question in asked:
        who = people[question.asked_by_id].name if question.asked_by_id in people else ""
        story.append(para(f"{q_label} ({who}){_colon()}{question.text}", "body"))
        for reply in question.answers:
            name = people[reply.answered_by_id].name if reply.answered_by_id in people else ""
            story.append(para(f"{a_label} ({name}){_colon()}{reply.text}", "quote"))
    return story


def minutes_pdf(db: Session, meeting: IcMeeting, reader) -> bytes:
    people = users_by_id(db)
    title = _("IC meeting minutes") + f" · {format_date(meeting.held_on)}"
    time = f" {meeting.starts_at.strftime('%H:%M')}" if meeting.starts_at else ""
    attendance = {True: _("attended"), False: _("absent"), None: "—"}
    story = [
        para(_("IC meeting minutes"), "title"),
        para(f"{format_date(meeting.held_on)}{time} · {meeting.place} · "
             + _("printed %(when)s", when=format_datetime(clock.now(), "short")), "subtitle"),
        table(
            [_("Member"), _("Chair"), _("Attendance")],
            [[people[m.member_id].name if m.member_id in people else m.member_id,
              _("Chair") if m.member_id == meeting.chair_id else "", attendance[m.attended]]
             for m in meeting.members],
            [PAGE_WIDTH * 0.5, PAGE_WIDTH * 0.2, PAGE_WIDTH * 0.3],
        ),
    ]  # fmt: skip
    ids = [i.id for i in meeting.items]
    deals, decisions = queries.items_with_deals(db, ids), queries.decisions_of_items(db, ids)
    for number, item in enumerate(meeting.items, start=1):
        ref, company, _memo_id, version = deals[item.id]
        story.append(para(_("Item %(n)s: %(deal)s %(company)s", n=number, deal=ref,
                            company=company), "h1"))  # fmt: skip
        story.append(para(_("IC memo") + " · " + _("Version %(n)s", n=version), "muted"))
        decision = decisions.get(item.id)
        if decision is None:
            still = (
                _("The vote is open.")
                if item.is_open
                else _("The vote is closed; the decision is being recorded.")
            )
            story.append(para(still, "body"))
            continue
        seat = queries.item_seat(db, item)
        story += _decision(
            db, decision, people, reader.id not in decision.recused + list(seat.recused_ids)
        )
    return build(story, _frame(db, title))


def _decision(db: Session, decision, people: dict, sees_votes: bool) -> list:
    rule = decision.rule
    story = [
        para(_("Outcome") + _colon() + vocab_label("decision_outcome", decision.outcome) + " · "
             + _("Decided on %(date)s", date=format_date(decision.decided_on)), "h3"),
    ]  # fmt: skip
    if sees_votes:
        story.append(para(_("Rule applied") + _colon() + _(
            "quorum %(q)s, threshold %(t)s, at least %(m)s eligible",
            q=rule.get("quorum"), t=rule.get("threshold"), m=rule.get("min_eligible"),
        ) + f" ({list_separator().join(rule.get('sub_funds', []))})", "body"))  # fmt: skip
        counts = [decision.eligible_count, decision.cast_count, decision.approving_count,
                  decision.rejecting_count, decision.abstaining_count]  # fmt: skip
        header = [_("Eligible"), _("Votes cast"), _("Approving"), _("Rejecting"), _("Abstaining")]
        story.append(table(header, [[str(c) for c in counts]], right=range(5)))

        def name(member_id):
            return people[member_id].name if member_id in people else str(member_id)

        votes = [[name(v["member_id"]), vocab_label("vote_choice", v["choice"])]
                 for v in decision.votes]  # fmt: skip
        story.append(para(_("Votes"), "h3"))
        story.append(table([_("Member"), _("Vote")], votes, [PAGE_WIDTH * 0.5, PAGE_WIDTH * 0.5]))
        # conditions as paragraphs: a long one would not fit a table row, which never splits
        for v in decision.votes:
            if v.get("condition"):
                story.append(para(_("Attached conditions") + f" · {name(v['member_id'])}"
                                  + _colon() + v["condition"], "body"))  # fmt: skip
        if decision.vetoed_by:
            story.append(para(_("Vetoed by") + _colon() + _names(people, decision.vetoed_by)))
    else:
        story.append(
            para(
                _("You were recused on this item: its votes and tally are not shown to you."),
                "muted",
            )
        )
    if decision.recused:
        story.append(para(_("Recused (回避)") + _colon() + _names(people, decision.recused)))
    if decision.amounts:
        story.append(para(_("Approved amounts"), "h3"))
        story += _amounts(queries.rules_of(db, decision.amounts.keys()), decision.amounts)
    if decision.conditions:
        today = clock.today()
        story.append(para(_("Conditions of the decision"), "h3"))
        for c in decision.conditions:
            head = " · ".join((vocab_label("condition_kind", c.kind),
                               _("due %(date)s", date=format_date(c.due_on)),
                               vocab_label("condition_status", c.shown_status(today))))  # fmt: skip
            story.append(para(head + _colon() + c.text, "body"))
    return story
