"""Regression guards for the safety review's bot findings: answers after local midnight, a
failed engine run, pain at rest at the stop threshold, clinician commands in groups, alert
messages at the same instant, /timezone for athletes."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlmodel import col, select

from bot.handlers.dispatch import PRIVATE_CHAT_ONLY
from bot.store.models import AlertRecord
from tests.athlete.conftest import CLINICIAN_ID, World
from tests.safety.test_bot_safety import WorldFactory, onboarded

GROUP = -1001234567


async def test_a_failed_engine_run_keeps_the_last_answer(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule 3: an answer is stored the moment it is given, even if the engine run it triggers
    fails (a bug, a protocol that no longer loads). The athlete is told "your answers so far
    are saved"; the last answer and the completed check-in must really be there."""
    from bot.services.athlete import daily
    from bot.store.models import MorningCheckinRecord, QuestionnaireProgress

    w = await world()
    alex, _ = await onboarded(w)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("engine failure for the test")

    monkeypatch.setattr(daily, "run_today", broken)
    replies = await alex.morning(sleep_hours="7.5")
    assert "saved" in (replies[-1].text or "")
    progress = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.kind == "morning")
        ).one()
    )
    assert progress.answers.get("sleep_hours") == 7.5, progress.answers
    stored = w.read(lambda s: s.exec(select(MorningCheckinRecord)).all())
    assert len(stored) == 1


async def test_a_red_flag_is_kept_and_escalated_even_if_the_engine_run_fails(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rules 1 and 3 together: the red-flag answer completes the check-in at once; if the
    engine run then fails, the answer must still be stored and the clinician still alerted."""
    from bot.services.athlete import daily
    from bot.store.models import MorningCheckinRecord

    w = await world()
    alex, _ = await onboarded(w)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("engine failure for the test")

    monkeypatch.setattr(daily, "run_today", broken)
    await alex.say("/checkin")
    await alex.tap("▫️ Felt a pop or sudden sharp pain")
    replies = await alex.tap("Done")
    stored = w.read(lambda s: s.exec(select(MorningCheckinRecord)).all())
    assert len(stored) == 1 and stored[0].answers["red_flags"] == ["pop"]
    alerts = w.read(lambda s: s.exec(select(AlertRecord)).all())
    assert alerts, "the red flag never reached the clinician"
    # The athlete still reads what to do now, the emergency number where they are, and who
    # was told.
    said = replies[-1].text or ""
    assert said.startswith("⛔ Stop training now") and "call 112 now" in said, said
    assert "Your clinician has been alerted" in said


async def test_sharp_pain_answered_after_local_midnight_still_reaches_the_clinician(
    world: WorldFactory,
) -> None:
    """Rules 1 and 3: an evening session's questionnaire answered just after local midnight.
    Pressing "Yes" to sharp pain / a pop must be stored and escalated, not refused as an
    expired button (press() refuses day-bound questionnaires of an earlier local date)."""
    import datetime as dt

    from bot.store.models import SessionReportRecord

    w = await world()
    alex, _ = await onboarded(w)
    w.clock.set(dt.datetime(2026, 3, 2, 22, 40, tzinfo=dt.UTC))  # 23:40 in Berlin
    await alex.morning()
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("6")
    await alex.tap("The injured spot")
    w.clock.set(dt.datetime(2026, 3, 2, 23, 5, tzinfo=dt.UTC))  # 00:05 in Berlin
    await alex.user.press("Yes")  # sharp pain, a pop or a grab
    with contextlib.suppress(AssertionError):  # no message: the press was answered "expired"
        await alex.user.wait_reply(timeout=3)
    notice = alex.user.last_callback_answer
    reports = w.read(lambda s: s.exec(select(SessionReportRecord)).all())
    assert [r.answers.get("sharp_pain") for r in reports] == [True], notice
    alerts = w.read(lambda s: s.exec(select(AlertRecord)).all())
    assert any(a.severity == "same_day" for a in alerts), notice


async def test_pain_at_rest_4_stops_the_check_in_and_reaches_the_clinician(
    world: WorldFactory,
) -> None:
    """Pain at rest ≥ 4 is a tier-3 red flag (reference §5, protocol stop_pain_rest_min): the
    check-in must stop at once, like a ticked red flag, so a /cancel cannot swallow it."""
    w = await world()
    alex, _ = await onboarded(w)
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    replies = await alex.tap("6")
    await alex.say("/cancel")
    alerts = w.read(lambda s: s.exec(select(AlertRecord)).all())
    assert [a.severity for a in alerts] == ["within_24h"], [r.text for r in replies]


async def test_a_clinician_command_in_a_group_sends_no_athlete_data_there(
    world: WorldFactory,
) -> None:
    w = await world()
    _alex, athlete_id = await onboarded(w)
    for command in (f"/athlete {athlete_id}", f"/report {athlete_id}", f"/progress {athlete_id}"):
        update_id = _group_message(w, CLINICIAN_ID, command)
        loop = asyncio.get_running_loop()
        assert await w.sandbox.settle(update_id, loop.time() + 10)
    await asyncio.sleep(1.5)  # charts and PDFs are drawn in the background
    to_group = [c for c in w.sandbox.calls if c.chat_id == GROUP and c.method != "sendChatAction"]
    leaked = [(c.method, str(c.params.get("text", ""))[:80]) for c in to_group]
    assert leaked == [], leaked
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    notes = [m.text for m in clinician.bot_messages if m.text == str(PRIVATE_CHAT_ONLY)]
    assert len(notes) == 3, [m.text for m in clinician.bot_messages]


async def test_an_athletes_command_in_a_group_sends_nothing_there(world: WorldFactory) -> None:
    """The athlete's own /status or /history posted in a group must not answer there."""
    w = await world()
    await onboarded(w)
    for command in ("/status", "/history", "/plan", "/export"):
        update_id = _group_message(w, 1001, command)
        loop = asyncio.get_running_loop()
        assert await w.sandbox.settle(update_id, loop.time() + 10)
    to_group = [c for c in w.sandbox.calls if c.chat_id == GROUP and c.method != "sendChatAction"]
    assert [(c.method, str(c.params.get("text", ""))[:80]) for c in to_group] == []


def _group_message(w: World, user_id: int, text: str) -> int:
    """Push ``text`` from ``user_id`` into a group chat the bot is in; return the update id."""
    user = w.sandbox.user(user_id, "Kim").user_json
    entity = {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
    return w.sandbox.push_update(
        "message",
        {
            "message_id": 1,
            "date": int(w.clock.now().timestamp()),
            "chat": {"id": GROUP, "type": "group", "title": "Club staff room"},
            "from": user,
            "text": text,
            "entities": [entity],
        },
    )


async def test_a_cancelled_session_report_with_red_pain_is_still_evaluated(
    world: WorldFactory,
) -> None:
    """Session pain at the protocol's red threshold (5/10), then /cancel: the answers so far
    are stored as the session report and the engine decides on them."""
    from bot.store.models import Decision, SessionReportRecord

    w = await world()
    alex, _ = await onboarded(w)
    await alex.morning()
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("6")
    await alex.say("/cancel")
    reports = w.read(lambda s: s.exec(select(SessionReportRecord)).all())
    assert [r.answers.get("pain_max") for r in reports] == [6]
    daily = w.read(lambda s: s.exec(select(Decision).where(Decision.kind == "daily")).all())
    assert len(daily) == 1


async def test_a_cancelled_session_report_with_mild_pain_stays_open_to_resume(
    world: WorldFactory,
) -> None:
    """Below the red threshold /cancel only closes the report, keeping the answers."""
    from bot.store.models import SessionReportRecord

    w = await world()
    alex, _ = await onboarded(w)
    await alex.morning()
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("2")
    await alex.say("/cancel")
    assert w.read(lambda s: s.exec(select(SessionReportRecord)).all()) == []


async def test_an_alert_raised_at_the_instant_of_the_last_alert_message_is_still_sent(
    world: WorldFactory,
) -> None:
    """A second alert stored at exactly the timestamp of the message about the first one was
    taken as covered by it (created_at > last message) and never reached the clinician."""
    from bot.handlers.context import signer_for
    from bot.services.clinician.escalation import notify_new_alerts
    from bot.store import repo
    from bot.store.db import session_scope
    from bot.store.models import Outbox
    from engine.models import Alert

    w = await world()
    alex, athlete_id = await onboarded(w)
    await alex.say("/checkin")
    await alex.tap("▫️ Felt a pop or sudden sharp pain")
    await alex.tap("Done")
    signer = signer_for(w.services, w.running.application.bot.token)
    before = w.read(lambda s: len(s.exec(select(Outbox)).all()))
    with session_scope(w.engine) as session:
        last = session.exec(select(Outbox).order_by(col(Outbox.id).desc())).first()
        assert last is not None
        alert = Alert(severity="same_day", rule="test.same_instant", text="Second sign.")
        repo.raise_alert(session, athlete_id=athlete_id, alert=alert, now=last.created_at)
        written = notify_new_alerts(session, athlete_id, last.created_at, signer)
    assert written, "the second alert was treated as already covered"
    assert any("Second sign." in row.text for row in written)
    with session_scope(w.engine) as session:  # and it is not sent twice
        assert notify_new_alerts(session, athlete_id, last.created_at, signer) == []
    assert w.read(lambda s: len(s.exec(select(Outbox)).all())) >= before


async def test_an_athletes_timezone_command_asks_the_time_zone_question(
    world: WorldFactory,
) -> None:
    """/timezone from an athlete got no answer (only staff were served); it now asks the
    time-zone question of /settings, and the answer changes the athlete's zone."""
    w = await world()
    alex, _ = await onboarded(w)
    replies = await alex.say("/timezone")
    assert "Which time zone" in (replies[-1].text or ""), [r.text for r in replies]
    replies = await alex.say("America/New_York")
    person = w.person(1001)
    assert person is not None and person.timezone == "America/New_York", [r.text for r in replies]


async def test_a_session_report_left_with_red_pain_is_evaluated_when_the_next_check_in_starts(
    world: WorldFactory,
) -> None:
    """The athlete walks away after "pain 6/10" in the session report; when the next morning's
    check-in opens, that report is stored and decided on instead of being dropped."""
    import datetime as dt

    from bot.store.models import Decision, SessionReportRecord

    w = await world()
    alex, _ = await onboarded(w)
    await alex.morning()
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("6")
    w.clock.advance(dt.timedelta(days=1))
    await alex.say("/checkin")
    reports = w.read(lambda s: s.exec(select(SessionReportRecord)).all())
    assert [r.answers.get("pain_max") for r in reports] == [6]
    daily = w.read(lambda s: s.exec(select(Decision).where(Decision.kind == "daily")).all())
    assert any(d.local_date == reports[0].local_date for d in daily)


async def test_a_command_typed_in_a_business_chat_sends_nothing_to_the_third_person(
    world: WorldFactory,
) -> None:
    """A Telegram Business chat (a clinician's account talking with a customer, the bot
    connected) looks private, but the customer would read the answer: a clinician's
    /athlete typed there is dropped, and nothing reaches that chat."""
    w = await world()
    _alex, athlete_id = await onboarded(w)
    kim = w.sandbox.user(CLINICIAN_ID, "Kim")
    customer = 4444
    text = f"/athlete {athlete_id}"
    update_id = w.sandbox.push_update(
        "business_message",
        {
            "message_id": 77,
            "business_connection_id": "bc-1",
            "from": kim.user_json,
            "chat": {"id": customer, "type": "private", "first_name": "Customer"},
            "date": int(w.clock.now().timestamp()),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len("/athlete")}],
        },
    )
    loop = asyncio.get_running_loop()
    assert await w.sandbox.settle(update_id, loop.time() + 10)
    await asyncio.sleep(1.5)  # a card's chart would be drawn in the background
    to_customer = [c.method for c in w.sandbox.calls if c.chat_id == customer]
    assert to_customer == []


async def test_a_sign_reported_after_a_painful_session_is_triaged_with_it_if_the_engine_fails(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pain still 8/10 an hour after the session, then new swelling reported with /problem:
    together the compartment-syndrome picture (tier 1). If the engine run fails on the
    /problem report, the fallback alert must still be an emergency, not the swelling's own
    lower tier."""
    from bot.services.athlete import daily
    from tests.athlete.both.test_pain_followup import report_session

    w = await world()
    alex, athlete_id = await onboarded(w)
    await alex.morning()
    await report_session(alex, pain="1", pain_1h="8")

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("engine failure for the test")

    monkeypatch.setattr(daily, "run_today", broken)
    await alex.say("/problem")
    await alex.say("my hamstring is swollen now")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap("▫️ New swelling at the injury")
    said = await alex.tap("Done")
    assert "call 112 now" in (said[-1].text or ""), said[-1].text
    alerts = w.read(
        lambda s: s.exec(
            select(AlertRecord)
            .where(AlertRecord.athlete_id == athlete_id)
            .order_by(col(AlertRecord.id).desc())
        ).all()
    )
    assert alerts and alerts[0].severity == "emergency", [(a.severity, a.rule) for a in alerts]
