"""PostgreSQL access: the engine (one per process, configured by the factory) and every table."""
