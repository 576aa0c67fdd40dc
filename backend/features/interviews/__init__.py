"""Interview rounds of applications."""
