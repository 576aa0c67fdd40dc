"""In-app notifications, email delivery and follow-up reminders (SPEC §7)."""
