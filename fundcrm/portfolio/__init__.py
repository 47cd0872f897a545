"""The portfolio: closing a deal into holdings, and the holdings' transactions."""
