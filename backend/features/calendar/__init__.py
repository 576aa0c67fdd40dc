"""A user's private iCalendar feed of interviews and follow-ups."""
