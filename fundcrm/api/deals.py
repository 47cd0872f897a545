"""API resources: deals (filled in by its module)."""
