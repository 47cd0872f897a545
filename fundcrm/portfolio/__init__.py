"""The portfolio: closing a deal into holdings, and the holdings' transactions."""

from fundcrm.portfolio import cache  # noqa: F401 (its flush hook raises the metrics version)
