"""The demo's user accounts, one or two per role."""

from fundcrm.admin.services import tie_to_lp
from fundcrm.auth import services as accounts

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

# The LP representative's account and the LP it represents (DOMAIN.md section 2).
REPRESENTATIVE = ("lp@example.com", "两江新区产业发展投资基金")

# The managers who own the demo deals.
DEAL_OWNERS = ("manager@example.com", "manager2@example.com")


def seed_accounts(db, settings) -> int:
    """Create the missing demo accounts; how many were added."""
    added = 0
    for email, name, roles in DEMO_ACCOUNTS:
        if accounts.find_user(db, email) is None:
            accounts.create_user(
                db, email=email, name=name, roles=roles, password=DEMO_PASSWORD, settings=settings
            )
            added += 1
    return added


def deal_owners(db) -> list:
    return [accounts.find_user(db, email) for email in DEAL_OWNERS]


def risk_officer(db):
    """The risk account: it overrides a mandate breach in the demo."""
    return accounts.find_user(db, "risk@example.com")


def tie_representative(db, lps) -> None:
    """Tie the LP representative's account to its LP (`lps`: every LP) unless it is tied
    already: a second seed changes nothing."""
    email, lp_name = REPRESENTATIVE
    user = accounts.find_user(db, email)
    lp = next((lp for lp in lps if lp.name == lp_name), None)
    if user is not None and lp is not None and user.lp_id is None:
        tie_to_lp(db, user, lp.id, sorted(user.role_codes))
