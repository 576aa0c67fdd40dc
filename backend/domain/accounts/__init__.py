"""Accounts: registration, sign-in sessions with rotating refresh tokens, profile (SPEC §4 auth/me)."""
