"""Migration 0010: names stored before today's cleaning are cleaned as a new name is.

A name is stored once, when the person first writes; one stored with an invisible character
("Anna" + U+200B) looked exactly like another athlete's, and one stored as "Anna (#2)"
carried another athlete's number into every list a clinician reads.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from bot.store import db
from bot.support.limits import clean_name

AT = dt.datetime(2026, 3, 2, 6, 30, tzinfo=dt.UTC)

STORED = [
    "Anna\u200b",
    "\ufeffBen",
    "Anna (#2), #3 Anna",
    "Anna (\uff03 2)",
    "\u3164",
    "Cleo\u3164Lee",
    "An\u00adna",
    "👩\u200d💻 Dev",
    "می\u200cخواهم",
    "1\ufe0f\u20e3 Team #",
    "Dana",
]


def _names(url: str) -> dict[int, str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT telegram_user_id, display_name FROM person")).all()
        return {int(tid): name for tid, name in rows}
    finally:
        engine.dispose()


def test_stored_names_are_cleaned_as_a_new_name_is(empty_db_url: str) -> None:
    db.upgrade(empty_db_url, "0009")
    engine = db.make_engine(empty_db_url)
    with engine.begin() as conn:
        for telegram_id, name in enumerate(STORED, start=1):
            conn.execute(
                text(
                    "INSERT INTO person (role, telegram_user_id, display_name, language,"
                    " language_chosen, timezone, paused, unreachable, created_at) VALUES"
                    " ('athlete', :tid, :name, 'en', false, 'UTC', false, false, :at)"
                ),
                {"tid": telegram_id, "name": name, "at": AT},
            )
    engine.dispose()

    db.upgrade(empty_db_url)

    names = _names(empty_db_url)
    assert names == {tid: clean_name(name) for tid, name in enumerate(STORED, start=1)}
    assert names[1] == "Anna" and names[3] == "Anna (2), 3 Anna" and names[5] == ""
    assert names[8] == "👩\u200d💻 Dev" and names[11] == "Dana"  # what needs its joiner keeps it
