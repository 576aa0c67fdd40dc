#!/bin/sh
# Container entry point: the first argument names the process (see the Dockerfile's header).
set -eu
case "${1:-api}" in
    api)
        shift || true
        # --proxy-headers: behind the ingress/load balancer, trust X-Forwarded-* from FORWARDED_ALLOW_IPS.
        exec uvicorn --factory backend.app:app_from_env --host 0.0.0.0 --port "${PORT:-8000}" \
            --proxy-headers --no-server-header "$@" ;;
    worker) shift; exec python -m tasks.worker "$@" ;;
    scheduler) shift; exec python -m tasks.scheduler "$@" ;;
    migrate) shift; exec piccolo migrations forwards career_copilot "$@" ;;
    *) exec "$@" ;;
esac
