"""Housekeeping of stored data (expired tokens, sessions, idempotency records); run by the scheduler."""
