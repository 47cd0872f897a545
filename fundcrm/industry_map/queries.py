"""The SELECTs of the industry map: the filtered deals grouped by their company's place."""

import sqlalchemy as sa
from sqlmodel import Session, select

from fundcrm.deals.queries import deal_conditions
from fundcrm.listing import ListFilters
from fundcrm.models import Company, Deal


def deal_places(db: Session, filters: ListFilters) -> list[list]:
    """[district, city, zone, deals, Σ proposed (yuan, text)] per place of the filtered deals'
    companies: one statement, grouped by the database."""
    query = (
        select(
            Company.district,
            Company.city,
            Company.zone,
            sa.func.count(Deal.id),
            sa.func.coalesce(sa.func.sum(Deal.proposed_total_yuan), 0),
        )
        .join(Company, Company.id == Deal.company_id)
        .where(*deal_conditions(filters))
        .group_by(Company.district, Company.city, Company.zone)
    )
    return [[d, c, z, n, str(total)] for d, c, z, n, total in db.exec(query)]
