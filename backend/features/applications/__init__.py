"""Job applications: tracking, status timeline, cached reads, CSV import/export, live sync."""
