"""Prometheus metrics of the realtime layer (registered once per process, on first import)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SOCKETS_OPEN = Gauge("career_copilot_realtime_sockets_open", "Open realtime websockets in this process")
REDIS_SHARDS = Gauge(
    "career_copilot_realtime_redis_shards", "Redis Cluster primaries this process holds a subscriber connection to"
)
SUBSCRIBED_USERS = Gauge("career_copilot_realtime_subscribed_users", "User channels this process subscribes to")
EVENTS_RECEIVED = Counter(
    "career_copilot_realtime_events_received_total", "Events received from Redis for local sockets"
)
EVENTS_DELIVERED = Counter("career_copilot_realtime_events_delivered_total", "Event frames sent to sockets")
EVENTS_REPLAYED = Counter("career_copilot_realtime_events_replayed_total", "Event frames sent from history")
EVENTS_DROPPED = Counter(
    "career_copilot_realtime_events_dropped_total", "Events not delivered live because a socket was too slow"
)
SOCKETS_CLOSED = Counter("career_copilot_realtime_sockets_closed_total", "Sockets closed by the server", ["reason"])
PUBLISH_TO_SEND = Histogram(
    "career_copilot_realtime_publish_to_send_seconds",
    "Time from storing an event in Redis to sending it on a socket",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
