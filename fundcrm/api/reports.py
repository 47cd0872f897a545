"""API resources: reports (filled in by its module)."""
