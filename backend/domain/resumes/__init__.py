"""Resumes: uploads (encrypted at rest), versions, parsing in the worker (SPEC §4 *resumes*, §6)."""
