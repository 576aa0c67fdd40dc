"""Accounts: registration, sign-in sessions with rotating refresh tokens, profile."""
