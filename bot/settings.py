"""Sprintback's settings, read from the environment (or a .env file) and checked at start-up."""

from __future__ import annotations

import logging
import re
import tempfile
import zoneinfo
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
# The host of Telegram's own Bot API, which takes only https webhooks (a local Bot API server,
# e.g. the sandbox, also takes http).
TELEGRAM_API_HOST = "api.telegram.org"
# The only ports Telegram's own Bot API posts webhooks to.
TELEGRAM_WEBHOOK_PORTS = (443, 80, 88, 8443)
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# SQLite (embedded) and PostgreSQL through psycopg 3, the driver installed with Sprintback.
_DATABASE_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")

# What a good value looks like, for the one-line messages of SettingsError.
_EXPECTED = {
    "telegram_token": "the token @BotFather gave, e.g. 123456789:AAE...",
    "telegram_api_base_url": "an http(s) URL such as https://api.telegram.org/bot",
    "telegram_api_file_url": "an http(s) URL such as https://api.telegram.org/file/bot",
    "database_url": (
        "sqlite:///path/to/sprintback.sqlite3 or postgresql+psycopg://user:password@host/db"
    ),
    "admin_telegram_ids": "e.g. 12345,67890",
    "default_timezone": "a place's IANA time zone such as Europe/Paris, or UTC",
    "webhook_url": "an https URL such as https://bot.example.org/telegram",
    "webhook_secret": "1-256 characters from A-Z, a-z, 0-9, _ and -",
    "webhook_listen": "an IP address to listen on, e.g. 0.0.0.0",
    "webhook_port": "a TCP port between 1 and 65535, e.g. 8443",
    "log_level": "one of " + ", ".join(_LOG_LEVELS),
    "scheduler_tick_seconds": "a whole number of seconds, at least 1, e.g. 30",
    "missed_prompt_grace_minutes": "a whole number of minutes, 0 or more, e.g. 120",
    "polling_timeout_seconds": "a whole number of seconds between 1 and 50, e.g. 10",
    "database_wait_seconds": "a whole number of seconds from 0 (do not wait) to 3600, e.g. 60",
    "runtime_dir": "a folder this user can write, e.g. /tmp/sprintback",
    "telegram_paid_broadcasts": "true or false",
    "telegram_messages_per_second": (
        "a whole number from 1 to 30 (up to 1000 with TELEGRAM_PAID_BROADCASTS=true)"
    ),
    "work_lease_seconds": "a whole number of seconds from 2 to 300, e.g. 10",
    "outbox_concurrency": "a whole number from 1 to 64, e.g. 4",
    "database_threads": "a whole number from 1 to 64, e.g. 8",
    "update_concurrency": "a whole number from 1 to 1000, e.g. 8",
}
# Telegram's limits on what a bot sends: about 30 messages a second in all, up to 1,000 a
# second for bots that pay for broadcasts (allow_paid_broadcast, charged in Stars).
TELEGRAM_FREE_RATE = 30
TELEGRAM_PAID_RATE = 1000


DEFAULT_DATABASE_WAIT_SECONDS = 60
DatabaseWaitSeconds = Annotated[int, Field(ge=0, le=3600)]


class SettingsError(Exception):
    """The configuration is wrong; the message has one line per bad value."""


class Settings(BaseSettings):
    """Every knob of a Sprintback deployment, named as its environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_token: SecretStr | None = None
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    telegram_api_file_url: str | None = None
    database_url: str = "sqlite:///sprintback.sqlite3"
    # How long `sprintback run` and `sprintback db` wait at start for a PostgreSQL server that
    # cannot be reached yet (refused, starting up, no answer, a host name that does not resolve
    # yet), trying again with growing pauses; 0: no wait.
    database_wait_seconds: DatabaseWaitSeconds = DEFAULT_DATABASE_WAIT_SECONDS
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    default_timezone: str = "UTC"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    log_level: str = "INFO"
    scheduler_tick_seconds: int = Field(default=30, ge=1)
    missed_prompt_grace_minutes: int = Field(default=120, ge=0)
    # Polling mode: how long one getUpdates waits on Telegram for updates (long polling).
    polling_timeout_seconds: int = Field(default=10, ge=1, le=50)
    # Where `sprintback run` leaves the polling status that `sprintback health` reads.
    runtime_dir: Path = Field(default_factory=lambda: Path(tempfile.gettempdir()) / "sprintback")
    # Scale-out (README "Deployment"): the deployment-wide send rate, shared by all replicas.
    telegram_paid_broadcasts: bool = False
    telegram_messages_per_second: int = Field(default=TELEGRAM_FREE_RATE, ge=1)
    work_lease_seconds: int = Field(default=10, ge=2, le=300)
    outbox_concurrency: int = Field(default=4, ge=1, le=64)
    database_threads: int = Field(default=8, ge=1, le=64)
    update_concurrency: int = Field(default=8, ge=1, le=1000)

    @field_validator("telegram_token", "webhook_url", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _blank_is_the_default(cls, value: Any) -> Any:
        # DATABASE_URL= (left empty in .env) means the default SQLite file, not an error.
        if isinstance(value, str) and not value.strip():
            return cls.model_fields["database_url"].default
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        # Checked here so that `run` says what is wrong in one line, not in a traceback from
        # deep inside the start-up (the password never appears in the message).
        try:
            url = make_url(value)
        except ArgumentError as err:
            raise ValueError("this is not a database URL") from err
        if url.drivername not in _DATABASE_DRIVERS:
            shown = url.render_as_string(hide_password=True)
            raise ValueError(f"{shown!r} is not a database Sprintback can use")
        return value

    @field_validator("telegram_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", value.get_secret_value()):
            raise ValueError("the token does not look like <digits>:<secret>")
        return value

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(re.fullmatch(r"\d{1,15}", part) for part in parts):
                raise ValueError(f"{value!r} is not a list of Telegram user ids")
            return [int(part) for part in parts]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("default_timezone", mode="before")
    @classmethod
    def _known_zone(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        name = value.strip()
        if name.upper() in ("UTC", "ETC/UTC", "GMT", "Z"):
            return "UTC"
        # zoneinfo also loads names no person lives by: the host's own zone (localtime), the
        # placeholder Factory, fixed offsets with the sign reversed (Etc/GMT+2 is UTC-2) and
        # old US-style rules (EST5EDT); athletes and staff inherit this zone, so only a
        # place is taken.
        if "/" not in name or name.startswith(("Etc/", "posix/", "right/", "SystemV/")):
            raise ValueError(f"{value!r} is not a place's time zone")
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"{value!r} is not a known time zone") from err
        return name

    @field_validator("telegram_api_base_url", "telegram_api_file_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_for_telegram(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Telegram's own Bot API refuses a plain-http webhook only once the bot has started
        # (setWebhook); a local Bot API server takes it.
        base_url = info.data.get("telegram_api_base_url")
        if value is None or base_url is None or not value.lower().startswith("http://"):
            return value
        if (urlsplit(base_url).hostname or "").lower() == TELEGRAM_API_HOST:
            raise ValueError(
                f"{value!r} is plain http, which Telegram's Bot API refuses for webhooks "
                "(only a local Bot API server in TELEGRAM_API_BASE_URL takes http)"
            )
        return value

    @field_validator("webhook_url")
    @classmethod
    def _port_for_telegram(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Telegram's own Bot API posts webhooks only to these ports, and refuses another only
        # once the bot has started (setWebhook); a local Bot API server takes any.
        if value is None:
            return value
        try:
            port = urlsplit(value).port
        except ValueError:
            port = 0
        if port == 0:
            raise ValueError(f"{value!r} has a port that is not a number from 1 to 65535")
        base_url = info.data.get("telegram_api_base_url")
        if port is None or port in TELEGRAM_WEBHOOK_PORTS or base_url is None:
            return value
        if (urlsplit(base_url).hostname or "").lower() == TELEGRAM_API_HOST:
            allowed = ", ".join(str(p) for p in TELEGRAM_WEBHOOK_PORTS[:-1])
            raise ValueError(
                f"{value!r} uses port {port}, but Telegram's Bot API posts webhooks only to "
                f"ports {allowed} or {TELEGRAM_WEBHOOK_PORTS[-1]} (only a local Bot API server "
                "in TELEGRAM_API_BASE_URL takes another port)"
            )
        return value

    @field_validator("telegram_messages_per_second")
    @classmethod
    def _rate_within_telegram(cls, value: int, info: ValidationInfo) -> int:
        paid = bool(info.data.get("telegram_paid_broadcasts"))
        ceiling = TELEGRAM_PAID_RATE if paid else TELEGRAM_FREE_RATE
        if value > ceiling:
            kind = "paid broadcast limit" if paid else "limit (paid broadcasts are off)"
            raise ValueError(f"{value} is above Telegram's {kind} of {ceiling} messages/s")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_chars(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("the secret has characters Telegram does not allow")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        if isinstance(value, str):
            upper = value.strip().upper()
            if upper not in _LOG_LEVELS:
                raise ValueError(f"{value!r} is not a log level")
            return upper
        return value

    @model_validator(mode="after")
    def _derive_file_url(self) -> Settings:
        if self.telegram_api_file_url is None:
            self.telegram_api_file_url = derive_file_url(self.telegram_api_base_url)
        return self

    @property
    def token(self) -> str | None:
        """Return the bot token as plain text, or None when it is not configured."""
        return self.telegram_token.get_secret_value() if self.telegram_token else None

    @property
    def log_level_number(self) -> int:
        """Return the logging level as the number the logging module uses."""
        return int(logging.getLevelName(self.log_level))


class _DatabaseWaitOnly(BaseSettings):
    """DATABASE_WAIT_SECONDS alone, for `sprintback db --database-url`, which skips the rest."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_wait_seconds: DatabaseWaitSeconds = DEFAULT_DATABASE_WAIT_SECONDS


def load_database_wait(env_file: str | Path | None = ".env") -> int:
    """Return DATABASE_WAIT_SECONDS from the environment or ``env_file``, ignoring every other
    setting; raise SettingsError (one line, as :func:`load_settings`) when it is invalid."""
    try:
        return _DatabaseWaitOnly(_env_file=env_file).database_wait_seconds
    except ValidationError as err:
        raise SettingsError(describe_errors(err)) from None


def derive_file_url(base_url: str) -> str:
    """Return the file download URL matching a Bot API base URL (…/bot -> …/file/bot)."""
    if base_url.endswith("/bot"):
        return base_url[: -len("/bot")] + "/file/bot"
    return base_url.rstrip("/") + "/file/bot"


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Return the settings from the environment, ``env_file`` and ``overrides``.

    Raises SettingsError listing, one line per bad value, the variable, the value given and
    what is expected, e.g. "ADMIN_TELEGRAM_IDS: 'abc' is not a list of Telegram user ids,
    expected e.g. 12345,67890".
    """
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as err:
        raise SettingsError(describe_errors(err)) from None


def describe_errors(err: ValidationError) -> str:
    """Return one line per invalid setting, naming the variable and what it should look like."""
    lines: list[str] = []
    for error in err.errors():
        field = str(error["loc"][0]) if error["loc"] else "settings"
        name = field.upper()
        given = error.get("input")
        if isinstance(given, SecretStr):
            given = "(hidden)"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] != "value_error":
            shown = "(hidden)" if field in {"telegram_token", "webhook_secret"} else repr(given)
            message = f"{shown} is not valid ({message})"
        expected = _EXPECTED.get(field)
        lines.append(
            f"{name}: {message}, expected {expected}" if expected else f"{name}: {message}"
        )
    return "\n".join(lines)
