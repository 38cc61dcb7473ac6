# Sprintback: the bot, its scheduler and its storage in one process.
# Build: docker build -t sprintback .    Run: see compose.yaml and README.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/sprintback.sqlite3 \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8080

RUN groupadd --system --gid 10001 sprintback \
    && useradd --system --uid 10001 --gid sprintback --home-dir /app --shell /usr/sbin/nologin sprintback \
    && mkdir -p /data \
    && chown sprintback:sprintback /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY engine ./engine
COPY protocols ./protocols
COPY examples ./examples
RUN pip install --no-cache-dir . \
    && chown -R sprintback:sprintback /app

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080

# /healthz reports the database and scheduler state (webhook mode); in polling mode the
# command checks that the database answers and its schema is current.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["sprintback", "health"]

CMD ["sh", "-c", "sprintback db upgrade && exec sprintback run"]
