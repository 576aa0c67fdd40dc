# syntax=docker/dockerfile:1.7
# One image for every process (api, worker, scheduler, migrate). The command picks the process (ops/docker/entrypoint.sh):
#   docker run IMAGE            api (the default CMD): uvicorn on 0.0.0.0:$PORT (8000)
#   docker run IMAGE worker     taskiq worker            docker run IMAGE scheduler   taskiq scheduler
#   docker run IMAGE migrate    piccolo migrations forwards, then exit
# Anything else is executed as given (e.g. `docker run IMAGE python -c ...`).

ARG PYTHON_VERSION=3.11
ARG UV_VERSION=0.13.8

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

# ---- builder: the locked dependencies in /app/.venv (no dev group, no embedded servers) ----------
FROM python:${PYTHON_VERSION}-slim-bookworm AS builder
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock file changes.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-install-project
# The source runs from /app (not installed as a wheel): the migrations folder sits next to it.
COPY . /app/src

# ---- runtime: slim Python, the venv and the source, a non-root user ----------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ARG APP_UID=10001
RUN groupadd --system --gid ${APP_UID} app \
    && useradd --system --uid ${APP_UID} --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
COPY --from=builder /app/src /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    APP_ENV=production \
    PORT=8000 \
    DATA_DIR=/app/data
RUN mkdir -p /app/data && chown app:app /app/data
USER app:app
EXPOSE 8000
# Through sh: works even where a checkout lost the executable bit.
ENTRYPOINT ["/bin/sh", "/app/ops/docker/entrypoint.sh"]
CMD ["api"]
