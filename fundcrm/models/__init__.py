"""Every table model, imported here so SQLModel.metadata is complete for Alembic."""

from fundcrm.models.audit import AuditEntry
from fundcrm.models.base import utcnow
from fundcrm.models.users import LoginThrottle, User, UserRole

__all__ = ["AuditEntry", "LoginThrottle", "User", "UserRole", "utcnow"]
