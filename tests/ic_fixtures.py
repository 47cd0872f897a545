"""Helpers of the IC tests (their `committee` fixture is in conftest.py)."""

from sqlmodel import select

from fundcrm.models import AuditEntry, IcAgendaItem, IcVote
from tests.conftest import post_form, sign_in

ENGLISH = {"Accept-Language": "en"}


def client_of(app, user):
    client = app.test_client()
    sign_in(client, user.id)
    return client


def cast(app, member, item_id: int, choice: str, condition: str = ""):
    url = f"/ic/items/{item_id}"
    return post_form(
        client_of(app, member),
        f"{url}/vote",
        {"choice": choice, "condition": condition},
        token_from=url,
        headers=ENGLISH,
    )


def votes(dbs, item_id: int) -> dict[int, str]:
    dbs.expire_all()
    rows = dbs.exec(select(IcVote).where(IcVote.item_id == item_id)).all()
    return {v.member_id: v.choice for v in rows}


def refusals(dbs, table: str) -> list[AuditEntry]:
    dbs.expire_all()
    query = select(AuditEntry).where(AuditEntry.action == "refused", AuditEntry.table_name == table)
    return list(dbs.exec(query.order_by(AuditEntry.id)).all())


def item_page(app, user, item_id: int) -> str:
    response = client_of(app, user).get(f"/ic/items/{item_id}", headers=ENGLISH)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def item_of(dbs, item_id: int) -> IcAgendaItem:
    dbs.expire_all()
    return dbs.get(IcAgendaItem, item_id)
