"""The guidance-fund rules (DOMAIN.md sections 1, 7 and 8): closed periods, re-investment,
the single-project cap and the mandate as of a date, relocations, KPIs and milestones, the
contribution to the action plan's targets and the requests to override a mandate breach."""
