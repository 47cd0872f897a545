"""API resources: funds (filled in by its module)."""
