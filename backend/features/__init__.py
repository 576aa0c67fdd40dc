"""Business areas; each has controllers (HTTP only), services (rules), repositories and schemas."""
