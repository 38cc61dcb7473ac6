"""Migration 0004: every stored language becomes one Sprintback speaks; English by default."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from bot.store import db

AT = dt.datetime(2026, 3, 2, 6, 30, tzinfo=dt.UTC)


def _insert(conn: object, telegram_id: int, language: str | None) -> None:
    columns = "role, telegram_user_id, display_name, timezone, paused, unreachable, created_at"
    values = ":role, :tid, '', 'UTC', false, false, :at"
    params = {"role": "athlete", "tid": telegram_id, "at": AT}
    if language is not None:
        columns += ", language"
        values += ", :language"
        params["language"] = language
    conn.execute(text(f"INSERT INTO person ({columns}) VALUES ({values})"), params)  # type: ignore[attr-defined]


def _languages(url: str) -> dict[int, str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT telegram_user_id, language FROM person")).all()
        return {int(tid): language for tid, language in rows}
    finally:
        engine.dispose()


def _chosen(url: str) -> set[bool]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return {bool(v) for (v,) in conn.execute(text("SELECT language_chosen FROM person"))}
    finally:
        engine.dispose()


def test_stored_languages_become_supported_ones_and_new_rows_read_english(
    empty_db_url: str,
) -> None:
    db.upgrade(empty_db_url, "0003")
    engine = db.make_engine(empty_db_url)
    with engine.begin() as conn:
        for telegram_id, language in (
            (1, "en"),
            (2, "pt-BR"),
            (3, "de_AT"),
            (4, "FR"),
            (5, "zh-hans"),
            (6, ""),
            (7, "es"),
        ):
            _insert(conn, telegram_id, language)
    engine.dispose()

    db.upgrade(empty_db_url, "0004")

    assert _languages(empty_db_url) == {
        1: "en",
        2: "pt",
        3: "de",
        4: "fr",
        5: "en",
        6: "en",
        7: "es",
    }
    engine = db.make_engine(empty_db_url)
    with engine.begin() as conn:
        _insert(conn, 8, None)  # written without a language: English
    engine.dispose()
    assert _languages(empty_db_url)[8] == "en"
    assert _chosen(empty_db_url) == {False}  # nobody has chosen yet: Telegram's language


def test_downgrade_keeps_the_languages(empty_db_url: str) -> None:
    db.upgrade(empty_db_url, "0004")
    engine = db.make_engine(empty_db_url)
    with engine.begin() as conn:
        _insert(conn, 1, "de")
    engine.dispose()
    db.downgrade(empty_db_url, "0003")
    assert _languages(empty_db_url) == {1: "de"}
    db.upgrade(empty_db_url)
    assert _languages(empty_db_url) == {1: "de"}
