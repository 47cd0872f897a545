"""API resources: ic (filled in by its module)."""
