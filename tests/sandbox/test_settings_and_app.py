"""Settings from the environment, the Application wiring and the transcript a demo prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from telegram import BotCommand
from telegram.ext import Application

from bot.app import MissingTokenError, build_application
from bot.handlers import register_handlers
from bot.handlers.context import Services, add_startup_hook
from bot.handlers.groups import LANGUAGE_GROUP
from bot.inbox.processor import ChatOrderedProcessor
from bot.sandbox import BotApiSandbox, format_transcript
from bot.settings import Settings, SettingsError, load_settings
from tests.support import echo
from tests.support.telegram import BotHarness

_ENV_NAMES = (
    "TELEGRAM_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_API_FILE_URL",
    "DATABASE_URL",
    "ADMIN_TELEGRAM_IDS",
    "DEFAULT_TIMEZONE",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "LOG_LEVEL",
    "SCHEDULER_TICK_SECONDS",
    "MISSED_PROMPT_GRACE_MINUTES",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sure the developer's own environment does not leak into these tests."""
    for name in _ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_nothing_and_derive_the_file_url() -> None:
    settings = load_settings(env_file=None)
    assert settings.token is None
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_api_file_url == "https://api.telegram.org/file/bot"
    assert settings.database_url == "sqlite:///sprintback.sqlite3"
    assert settings.default_timezone == "UTC"
    assert (settings.scheduler_tick_seconds, settings.missed_prompt_grace_minutes) == (30, 120)


def test_environment_and_env_file_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ADMIN_TELEGRAM_IDS=111, 222\nDEFAULT_TIMEZONE=Europe/Paris\n")
    monkeypatch.setenv("DEFAULT_TIMEZONE", "America/New_York")  # the environment wins
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:ABC_def-9")

    settings = load_settings(env_file=env_file)

    assert settings.admin_telegram_ids == [111, 222]
    assert settings.default_timezone == "America/New_York"
    assert settings.telegram_api_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.token == "123:ABC_def-9"
    assert "ABC_def" not in repr(settings)


def test_each_bad_value_gets_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "abc")
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Europe/Atlantis")
    monkeypatch.setenv("SCHEDULER_TICK_SECONDS", "0")
    monkeypatch.setenv("TELEGRAM_TOKEN", "secret-without-colon")

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    lines = str(raised.value).splitlines()
    assert len(lines) == 4
    assert (
        "ADMIN_TELEGRAM_IDS: 'abc' is not a list of Telegram user ids, expected e.g. 12345,67890"
        in lines
    )
    assert any(
        line.startswith("DEFAULT_TIMEZONE: 'Europe/Atlantis' is not a known time zone")
        for line in lines
    )
    assert any(line.startswith("SCHEDULER_TICK_SECONDS: '0' is not valid") for line in lines)
    assert any(line.startswith("TELEGRAM_TOKEN:") for line in lines)
    assert "secret-without-colon" not in str(raised.value)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("LOG_LEVEL", "chatty", "LOG_LEVEL: 'chatty' is not a log level"),
        ("WEBHOOK_URL", "bot.example.org", "WEBHOOK_URL: 'bot.example.org' is not an http(s) URL"),
        ("WEBHOOK_SECRET", "has spaces", "WEBHOOK_SECRET: the secret has characters"),
        ("MISSED_PROMPT_GRACE_MINUTES", "-5", "MISSED_PROMPT_GRACE_MINUTES: '-5' is not valid"),
        ("DATABASE_URL", "mysql://db/x", "DATABASE_URL: 'mysql://db/x' is not a database"),
        ("DEFAULT_TIMEZONE", "localtime", "DEFAULT_TIMEZONE: 'localtime' is not a place's"),
        ("DEFAULT_TIMEZONE", "Etc/GMT-3", "DEFAULT_TIMEZONE: 'Etc/GMT-3' is not a place's"),
        ("DEFAULT_TIMEZONE", "EST5EDT", "DEFAULT_TIMEZONE: 'EST5EDT' is not a place's"),
        ("DATABASE_URL", "sprintback.db", "DATABASE_URL: this is not a database URL, expected"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_settings(env_file=None)


def test_a_database_url_with_a_driver_we_do_not_ship_is_refused_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An operator who copied a psycopg2 URL learns it at once, in one line (before, the bot
    started and died with a traceback from inside SQLAlchemy)."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://bot:hunter2@db/sprintback")
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)
    message = str(raised.value)
    assert "postgresql+psycopg://" in message  # what to write instead
    assert "hunter2" not in message
    for good in ("postgresql://bot:pw@db/sb", "sqlite:///data/sprintback.sqlite3"):
        assert load_settings(env_file=None, database_url=good).database_url == good


def test_utc_however_written_is_utc_and_a_place_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    for written in ("utc", " UTC ", "Etc/UTC", "GMT"):
        monkeypatch.setenv("DEFAULT_TIMEZONE", written)
        assert load_settings(env_file=None).default_timezone == "UTC"
    monkeypatch.setenv("DEFAULT_TIMEZONE", "America/Argentina/Buenos_Aires")
    assert load_settings(env_file=None).default_timezone == "America/Argentina/Buenos_Aires"


def test_building_without_a_token_is_refused(services: Services) -> None:
    with pytest.raises(MissingTokenError, match="TELEGRAM_TOKEN is not set"):
        build_application(services.settings, services=services, handler_modules=[])


def test_application_uses_the_configured_urls_and_orders_updates_per_chat(
    services: Services,
) -> None:
    settings = Settings(
        _env_file=None,
        telegram_token="42:XYZ",
        telegram_api_base_url="http://127.0.0.1:8081/bot",
    )
    app = build_application(settings, services=services, handler_modules=[])
    assert app.bot.base_url == "http://127.0.0.1:8081/bot42:XYZ"
    assert app.bot.base_file_url == "http://127.0.0.1:8081/file/bot42:XYZ"
    # Chats are handled concurrently, each chat's updates one after the other (bot.inbox).
    assert isinstance(app.update_processor, ChatOrderedProcessor)
    assert app.update_processor.concurrency == settings.update_concurrency
    assert app.bot.request.read_timeout == 10.0  # Sprintback's timeouts, not PTB's defaults
    assert app.bot_data["services"] is services
    assert app.error_handlers  # the calm "something went wrong" reply is installed


def test_an_unknown_handler_module_is_refused_by_name(services: Services) -> None:
    app = build_application(
        services.settings, services=services, token="42:XYZ", handler_modules=[]
    )
    wiring = {group: list(handlers) for group, handlers in app.handlers.items()}
    assert list(wiring) == [LANGUAGE_GROUP]  # only the wiring's own: each update's language
    with pytest.raises(ValueError, match="no handler module 'not_a_feature_yet': expected one"):
        register_handlers(app, ["not_a_feature_yet", echo.register])
    assert app.handlers == wiring  # refused before anything was registered
    assert register_handlers(app, [echo.register]) == ["tests.support.echo"]


async def test_startup_hooks_run_before_updates_flow(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    order: list[str] = []

    async def set_menu(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        order.append("menu")
        await application.bot.set_my_commands([BotCommand("checkin", "Morning check-in")])

    def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        add_startup_hook(application, set_menu)
        echo.register(application)

    await telegram.start(handlers=[register])

    assert order == ["menu"]
    assert sandbox.user(1001).commands == ["checkin"]
    await sandbox.wait_for(lambda: sandbox.calls_to("getUpdates"), what="the first poll")
    first_menu = sandbox.calls.index(sandbox.calls_to("setMyCommands")[0])
    first_poll = sandbox.calls.index(sandbox.calls_to("getUpdates")[0])
    assert first_menu < first_poll


async def test_transcript_reads_like_the_chat(telegram: BotHarness, sandbox: BotApiSandbox) -> None:
    await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")
    await alex.send("/menu")
    await alex.wait_reply()

    assert alex.format_transcript() == (
        "        Alex > /menu\n  Sprintback < Ready to train?\n               [Yes] [No]"
    )
    await alex.press("No")
    await alex.wait_reply()
    assert format_transcript(alex.transcript[1:], bot_name="Coach") == (
        "       Coach < You chose no. (edited)"
    )
