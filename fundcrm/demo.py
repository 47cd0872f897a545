"""Demo data, seeded once: running the seed again adds nothing."""

from sqlmodel import Session

from fundcrm.audit import set_actor
from fundcrm.auth import services

DEMO_PASSWORD = "fundcrm-demo"  # noqa: S105 - documented demo-only password

DEMO_ACCOUNTS = [
    ("admin@example.com", "系统管理员 王敏", ["admin"]),
    ("manager@example.com", "投资经理 李响", ["manager"]),
    ("manager2@example.com", "投资经理 陈思远", ["manager"]),
    ("ic1@example.com", "投委委员 张建国", ["ic_member"]),
    ("ic2@example.com", "投委委员 刘芳", ["ic_member"]),
    ("ic3@example.com", "投委委员 赵志强", ["ic_member"]),
    ("risk@example.com", "风控合规 周静", ["risk"]),
    ("lp@example.com", "出资人代表 孙立", ["viewer"]),
]


def seed(db: Session, settings: dict) -> int:
    """Create whatever demo records are missing; returns how many accounts were added."""
    set_actor(db, None, "demo")
    added = 0
    for email, name, roles in DEMO_ACCOUNTS:
        if services.find_user(db, email) is None:
            services.create_user(
                db, email=email, name=name, roles=roles, password=DEMO_PASSWORD, settings=settings
            )
            added += 1
    db.commit()
    return added
