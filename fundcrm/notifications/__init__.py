"""In-app notifications (and email, when SMTP is configured)."""
