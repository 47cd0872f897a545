"""Records made in memory by the rule functions, as ORM objects or as plain rows.

A function that builds new records (deals.services.build_deal, deals.moves.apply_move, the
workspace's next-step task and checklist) takes `new`: `orm` (the default) makes model
objects for a session, `row` makes a `Row` — the same columns with the same defaults, as a dict
with attribute access — for a bulk writer (fundcrm.imports.importers.new_deals). Making a
SQLModel object costs about 250 µs through the ORM's instrumentation; a Row, a few µs.
"""

from functools import cache

import sqlalchemy as sa
from pydantic_core import PydanticUndefined

MODEL_KEY = "__model__"  # where a Row keeps its model (never a column name)


def orm(model, **values):
    return model(**values)


class Row(dict):
    """A record's column values (and, for a one-to-many relationship, a list of Rows)."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value

    @property
    def model(self):
        return self[MODEL_KEY]

    def columns(self) -> dict:
        """The values of the model's table columns, as an INSERT takes them."""
        return {c.key: self[c.key] for c in self[MODEL_KEY].__table__.columns}


def row(model, **values) -> Row:
    """A new `model` record as a Row: its fields' defaults, then `values`."""
    static, factories, lists = _defaults(model)
    record = Row(static)
    for name, factory in factories:
        if name not in values:
            record[name] = factory()
    for name in lists:
        record[name] = []
    record[MODEL_KEY] = model
    record.update(values)
    return record


@cache
def _defaults(model) -> tuple[dict, list, list]:
    """The model's constant defaults, its default factories, and its list relationships."""
    columns = {c.key for c in model.__table__.columns}
    static, factories = {}, []
    for name, info in model.model_fields.items():
        if name not in columns:
            continue
        if info.default_factory is not None:
            factories.append((name, info.default_factory))
        else:
            static[name] = None if info.default is PydanticUndefined else info.default
    lists = [r.key for r in sa.inspect(model).relationships if r.uselist]
    return static, factories, lists
