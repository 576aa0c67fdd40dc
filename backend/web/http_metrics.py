"""Prometheus metrics of HTTP requests, by route template: what Litestar's Prometheus plugin
recorded, under the same names and labels (`method`, `path`, `status_code`, `app_name`), at a
fraction of its cost.

The plugin's middleware built a `Request`, three label dicts and a wrapped `send` per request and
looked every labelled child up again: ~22 µs of the api's CPU for the bare route and ~50 µs for a
cached list, a quarter of that request (measured in-process, docs/benchmarks.md). Here the
children are looked up once per (method, route, status) and kept; the request context middleware
(`request_context.py`), which times every request anyway, calls `started` and `finished`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

APP_NAME = "career_copilot"
_LABELS = ["method", "path", "status_code", "app_name"]

REQUESTS = Counter(f"{APP_NAME}_requests", "Total number of requests", _LABELS)
ERRORS = Counter(f"{APP_NAME}_requests_error", "Total number of errors", _LABELS)
DURATION = Histogram(f"{APP_NAME}_request_duration_seconds", "Request duration, in seconds", _LABELS)
IN_PROGRESS = Gauge(f"{APP_NAME}_requests_in_progress", "Total requests currently in progress", _LABELS)

EXCLUDED = frozenset({"/metrics"})  # the scrape itself is not counted


class HttpMetrics:
    """The labelled children, created on first use of each label set (routes are finite:
    templates, never raw paths)."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, str, int], tuple[Counter, Histogram, Counter | None]] = {}
        self._running: dict[tuple[str, str], Gauge] = {}

    def started(self, method: str, path: str) -> None:
        gauge = self._running.get((method, path))
        if gauge is None:
            gauge = self._running[(method, path)] = IN_PROGRESS.labels(method, path, "200", APP_NAME)
        gauge.inc()

    def finished(self, method: str, path: str, status: int, seconds: float) -> None:
        self._running[(method, path)].dec()
        children = self._done.get((method, path, status))
        if children is None:
            labels = (method, path, str(status), APP_NAME)
            error = ERRORS.labels(*labels) if status >= 500 else None
            children = self._done[(method, path, status)] = (REQUESTS.labels(*labels), DURATION.labels(*labels), error)
        count, duration, error = children
        count.inc()
        duration.observe(seconds)
        if error is not None:
            error.inc()
