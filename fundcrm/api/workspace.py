"""API resources: workspace (filled in by its module)."""
