"""HTTP plumbing shared by every area: problem details, request context, auth, idempotency, health."""
