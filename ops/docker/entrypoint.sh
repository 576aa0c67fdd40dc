#!/bin/sh
# Container entry point: the first argument names the process (see the Dockerfile's header).
set -eu
case "${1:-api}" in
    api)
        shift || true
        # --proxy-headers: behind the ingress/load balancer, trust X-Forwarded-* from FORWARDED_ALLOW_IPS.
        # --ws: the sans-I/O implementation with flow control, no per-message deflate (docs/benchmarks.md:
        # 41.8 KB per idle socket instead of 76.7 KB, and the lowest relay latency).
        # --timeout-graceful-shutdown: on SIGTERM the api answers /health/ready 503, serves API_DRAIN_SECONDS
        # more, closes its sockets with 1012, then uvicorn stops accepting and waits at most 20 s for
        # requests in flight (docs/rollouts.md); the pod's grace period covers it.
        exec uvicorn --factory backend.entrypoints.api:app_from_env --host 0.0.0.0 --port "${PORT:-8000}" \
            --ws websockets-sansio --ws-per-message-deflate false --proxy-headers --no-server-header \
            --timeout-graceful-shutdown 20 "$@" ;;
    worker) shift; exec python -m backend.entrypoints.worker "$@" ;;
    scheduler) shift; exec python -m backend.entrypoints.scheduler "$@" ;;
    migrate) shift; exec piccolo migrations forwards career_copilot "$@" ;;
    *) exec "$@" ;;
esac
