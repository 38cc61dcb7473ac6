# Sprintback: the bot, its scheduler and its storage in one process.
# Build: docker build -t sprintback .   With Podman: podman build --format docker -t sprintback .
# (Podman's default OCI format drops the HEALTHCHECK.) Run: see compose.yaml and README.md.

# --- Stage 1: build the wheel and install it into a virtual environment ----------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml setup.py README.md LICENSE ./
COPY bot ./bot
COPY engine ./engine
COPY protocols ./protocols
COPY examples ./examples
# The venv has no pip of its own: the base image's pip installs into it.
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && python -m venv --without-pip /opt/sprintback \
    && pip --python /opt/sprintback/bin/python install --no-cache-dir /wheels/sprintback-*.whl

# --- Stage 2: what runs: the base image, the installed venv and a non-root user --------------
FROM python:3.11-slim

# The code (/opt/sprintback, copied as root) is read-only for the runtime user; it writes
# only /data (the SQLite file), RUNTIME_DIR (the polling status for the health check) and
# MPLCONFIGDIR (matplotlib's font cache).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/sprintback/bin:$PATH \
    DATABASE_URL=sqlite:////data/sprintback.sqlite3 \
    RUNTIME_DIR=/tmp/sprintback \
    MPLCONFIGDIR=/tmp/matplotlib \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8080

RUN groupadd --system --gid 10001 sprintback \
    && useradd --system --uid 10001 --gid sprintback --no-create-home --home-dir /data \
        --shell /usr/sbin/nologin sprintback \
    && install --directory --owner=10001 --group=10001 --mode=0750 /data

COPY --from=build /opt/sprintback /opt/sprintback

WORKDIR /data
USER 10001:10001
VOLUME ["/data"]
# Webhook mode only (WEBHOOK_URL set); polling mode listens on no port.
EXPOSE 8080

# Polling mode: the database answers, its schema is current, and the running bot's last
# successful getUpdates is recent (its status file in RUNTIME_DIR). Webhook mode: GET /healthz.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["sprintback", "health"]

# No shell: `sprintback` is PID 1. It applies pending migrations, then serves; SIGTERM stops
# it at once during start-up and cleanly (outbox kept) once serving.
CMD ["sprintback", "run", "--db-upgrade"]
