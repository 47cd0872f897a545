"""Background jobs: work too long for a request (big exports and imports), run by
`fundcrm worker` from a huey queue, with its progress and result kept per job (models.Job)."""
