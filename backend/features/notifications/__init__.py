"""In-app notifications, email delivery and follow-up reminders."""
