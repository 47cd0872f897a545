"""The new deals of a deals import, written in bulk.

Each new deal is built in memory by the same functions the deal form and a stage move use
(deals.services.build_deal, deals.moves.apply_move, workspace.next_step_task and
checklist_items), as plain rows (models.records.row) rather than ORM objects. Its rows and those
of its parts (sub-funds, team, moves, next-step task, due-diligence checklist) are inserted a
thousand deals at a time, with ids taken from the tables' sequences beforehand, and audited row
by row in the flush hook's form (fundcrm.imports.bulk): about twenty statements per deal
through the ORM become a few per thousand deals.

The result equals creating each deal with deals.services.create_deal and setting its stage with
deals.moves.record_import_move (tests/test_import_deals_bulk.py), except that each deal is
written once, in its final state: version 1 and one `create` entry in the audit trail, where
the ORM path writes the deal in `sourcing` and then updates it.
"""

from fundcrm import progress, search
from fundcrm.deals import moves, services
from fundcrm.domain import stages
from fundcrm.imports import bulk
from fundcrm.imports.importers.base import chunks
from fundcrm.imports.importers.deal_rows import SERVICE_FIELDS, Group
from fundcrm.models import DDItem, Deal, DealMember, DealSubFund, StageMove, Task
from fundcrm.models.records import Row, row
from fundcrm.workspace import queries as workspace_queries
from fundcrm.workspace import services as workspace

BATCH = 1000  # deals per round of inserts
# the tables a new deal writes, parents first
TABLES = (Deal, DealSubFund, DealMember, StageMove, Task, DDItem)


def write_new(importer, groups: list[Group]) -> None:
    """Create the deals of `groups` (none of which exists yet); each group's ref is set."""
    if not groups:
        return
    db, ctx = importer.db, importer.ctx
    _assign_refs(db, groups, ctx.settings["DEAL_REF_PREFIX"], ctx.today)
    templates = workspace_queries.active_templates(db)
    label = services.actor_label(db, ctx.user)
    for part in chunks(groups, BATCH):
        _insert(db, [_build(importer, group, label, templates) for group in part])
        progress.advance(sum(len(group.rows) for group in part))


def _assign_refs(db, groups: list[Group], prefix: str, today) -> None:
    """The references the file gives advance the counters first, so an assigned one never
    takes a number the file uses; the rest get the next numbers of their creation year."""
    services.note_used_refs(db, [g.ref for g in groups if g.ref])
    by_year: dict[int, list[Group]] = {}
    for group in groups:
        if not group.ref:
            by_year.setdefault((group.values.get("created_on") or today).year, []).append(group)
    for year, waiting in by_year.items():
        refs = services.take_refs(db, prefix, year, len(waiting))
        for group, ref in zip(waiting, refs, strict=True):
            group.ref = ref


def _build(importer, group: Group, label: str, templates) -> tuple[Row, list[Row]]:
    """The deal and its parts, as create_deal and record_import_move would make them."""
    user, at = importer.ctx.user, importer.move_at(group)
    values = {
        **{a: group.changed.get(a) for a in SERVICE_FIELDS if a != "company_id"},
        "company_id": group.company.id,
        "participations": group.participations,
        "created_on": group.values.get("created_on") or importer.ctx.today,
    }
    deal = services.build_deal(values, group.ref, at, user, label, new=row)
    if group.changed.get("pass_reason"):
        deal.pass_reason = group.changed["pass_reason"]
    task = workspace.next_step_task(deal, row) if deal.next_step else None
    items = []
    if group.to_stage:
        passed = group.to_stage == "passed"
        reason = group.values.get("pass_reason") or deal.pass_reason
        move = moves.apply_move(
            deal,
            group.to_stage,
            at,
            user,
            label,
            kind="import",
            reason=reason if passed else None,
            breaches=group.breaches,
            new=row,
        )
        deal.moves.append(move)
        if passed and task is not None:
            workspace.close_next_step(task)
        if stages.opens_checklist(group.to_stage):
            items = workspace.checklist_items(deal, templates, row)
    parts = [*deal.participations, *deal.team, *deal.moves, *([task] if task else []), *items]
    return deal, parts


def _insert(db, built: list[tuple[Row, list[Row]]]) -> None:
    """Ids from the sequences, then each table's rows in one bulk insert, then their audit."""
    deals = [deal for deal, _parts in built]
    _take_ids(db, deals)
    records: dict[type, list] = {model: [] for model in TABLES}
    records[Deal] = deals
    for deal, parts in built:
        for part in parts:
            part.deal_id = deal.id
            records[part.model].append(part)
    for model in TABLES:
        objects = records[model]
        if not objects:
            continue
        if model is not Deal and model is not DealMember:  # a member's key is its deal and user
            _take_ids(db, objects)
        rows = [obj.columns() for obj in objects]
        if model.__tablename__ in search.TOKENS:
            search.fill_tokens(model.__tablename__, rows)
        bulk.insert(db, model.__table__, rows)
        bulk.audit_created(db, model.__table__, rows)


def _take_ids(db, objects: list) -> None:
    table = objects[0].model.__table__
    for obj, new_id in zip(objects, bulk.take_ids(db, table, len(objects)), strict=True):
        obj.id = new_id
