"""API resources: portfolio (filled in by its module)."""
