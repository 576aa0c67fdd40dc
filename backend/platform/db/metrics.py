"""Prometheus metrics of the database reads that may go to a replica (registered once per process,
on first import; docs/replicas.md)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

READS = Counter(
    "career_copilot_db_reads_total",
    "Routed reads (those that may be stale) by where they ran: a replica, or the primary",
    ["target"],
)
READS_ON_PRIMARY = READS.labels("primary")
READS_ON_REPLICA = READS.labels("replica")
REPLICA_LAG = Gauge(
    "career_copilot_db_replica_lag_seconds",
    "How far each replica's replay is behind the primary, as of its last check (0: caught up)",
    ["replica"],
)
REPLICA_UP = Gauge(
    "career_copilot_db_replica_up",
    "1 when the replica answered its last check as a standby, else 0",
    ["replica"],
)
