"""The deal team's workspace: activities, tasks, due-diligence checklists and documents."""
