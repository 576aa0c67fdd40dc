"""Resumes: uploads (encrypted at rest), versions, parsing in the worker."""
