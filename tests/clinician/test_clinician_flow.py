"""Clinicians and admins in Telegram, end to end through the Bot API sandbox, several users at
once: invites, consent, alerts and the decisions taken on them, sign-off gates, refusals."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.sandbox import SimUser
from bot.services.access import REFUSAL_TEXT
from bot.store.db import session_scope
from bot.store.models import (
    AlertRecord,
    Clearance,
    Link,
    Person,
    Programme,
    ScheduledPrompt,
    StageChange,
)
from bot.support.i18n import _, use_language
from tests.clinician.conftest import ADMIN, World, open_card

WorldFactory = Callable[[], Awaitable[World]]
CLINICIAN, OTHER_CLINICIAN, ANNA, BEN = 2001, 2002, 3001, 3002


async def say(user: SimUser, text: str) -> str:
    """Send ``text`` and return the bot's reply text (all messages joined)."""
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply())


async def press_raw(world: World, user: SimUser, message: object, data: str) -> str | None:
    """Send a callback query with arbitrary ``data`` as ``user`` (what a modified client can
    do); return the bot's answer text once it has processed it."""
    query_id = world.sandbox.open_callback_query(user.chat_id)
    update_id = world.sandbox.push_update(
        "callback_query",
        {
            "id": query_id,
            "from": user.user_json,
            "message": dict(message.raw),  # type: ignore[attr-defined]
            "chat_instance": "forged",
            "data": data,
        },
    )
    loop = asyncio.get_running_loop()
    assert await world.sandbox.settle(update_id, loop.time() + 5)
    answer = world.sandbox.callback_answers.get(query_id)
    return answer.text if answer is not None else None


def pending_prompts(world: World, athlete_id: int) -> int:
    """Return how many prompts (check-ins, reminders) are planned for the athlete."""
    with session_scope(world.engine, read_only=True) as session:
        rows = session.exec(
            select(ScheduledPrompt).where(
                ScheduledPrompt.athlete_id == athlete_id, ScheduledPrompt.status == "pending"
            )
        ).all()
        return len(rows)


async def make_clinician(world: World, telegram_id: int, name: str) -> SimUser:
    """The admin invites a clinician, who opens the deep link."""
    admin = world.sandbox.user(ADMIN, "Ada")
    reply = await say(admin, "/invite_clinician")
    code = re.search(r"start=(clin_\S+)", reply)
    assert code, reply
    clinician = world.sandbox.user(telegram_id, name)
    app_language = world.sandbox.chats[telegram_id].user.get("language_code")
    with use_language(app_language):
        welcome = _(
            "Welcome! You are now a clinician on Sprintback.\n"
            "/invite – invite an athlete\n/athletes – your athletes\n"
            "/athlete <number> – details\n"
            "Alert times and your Monday digest use the time zone {zone}; "
            "change it with /timezone <zone>, e.g. /timezone Europe/Paris.\n"
            "/settings – your language"
        ).split("\n")[0]
    reply = await say(clinician, f"/start {code.group(1)}")
    assert reply.startswith(welcome), reply  # in the clinician's own language
    return clinician


async def link(world: World, clinician: SimUser, athlete: SimUser) -> None:
    """The clinician makes an invite; the athlete links with the code and consents."""
    reply = await say(clinician, "/invite")
    code = re.search(r"/link (\S+)", reply)
    assert code, reply
    question = await say(athlete, f"/link {code.group(1)}")
    assert "Share your data" in question
    await athlete.press("✅ Share")
    [answer] = await athlete.wait_reply()
    assert "Linked" in (answer.text or "")


async def test_invites_alert_step_back_gate_clearance_and_refusals(world: WorldFactory) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna", stage="H2")
    ben_id = w.add_athlete(BEN, "Ben", stage="H0")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    anna, ben = w.sandbox.user(ANNA, "Anna"), w.sandbox.user(BEN, "Ben")
    await link(w, lee, anna)
    await link(w, lee, ben)

    overview = await say(lee, "/athletes")
    # Names first; the numbers only appear where two athletes share a name.
    assert "🟢 Anna · H2" in overview and "🟠 Ben · H0" in overview
    assert f"#{anna_id}" not in overview and f"#{ben_id}" not in overview

    # Anna reports a red flag: Lee gets it at once with the buttons, steps her back.
    w.raise_alert(anna_id, "same_day", "red_flag.pop", "Felt a pop at the back of the thigh")
    await w.escalate()
    alert = lee.last_bot_message
    assert (alert.text or "").startswith("🔴 Same day · Anna\n")
    assert "Stage: H2 · " in (alert.text or "")
    assert "Felt a pop" in (alert.text or "")
    assert [b for row in alert.buttons for b in row] == [
        "✅ Acknowledge",
        "⏸ Hold",
        "↩️ Step back",
        "💬 Message athlete",
        "📄 Report (PDF)",
    ]
    await lee.press("↩️ Step back")
    replies = await lee.wait_until(lambda ms: any("stepped back" in (m.text or "") for m in ms))
    assert any(
        "Anna stepped back H2 · Return to running, jog → ~65 % Vmax → H1 · Early loading"
        in (m.text or "")
        for m in replies
    )
    await w.deliver()
    notice, chart = anna.bot_messages[-2:]
    assert "Lee moved you back to Stage 2 of 8 · early strength" in (notice.text or "")
    assert "H1" not in (notice.text or "") and "H2" not in (notice.text or "")
    # The athlete's small progress chart follows the stage change.
    assert chart.file is not None and chart.file.filename == f"progress-{anna_id}.png"
    assert "Now at Stage 2 of 8" in (chart.text or "")
    with session_scope(w.engine, read_only=True) as session:
        programme = session.exec(select(Programme).where(Programme.athlete_id == anna_id)).one()
        assert programme.current_stage == "H1"
        change = session.exec(select(StageChange).where(StageChange.to_stage == "H1")).one()
        assert change.by_person_id == w.person(CLINICIAN).id  # type: ignore[union-attr]
        row = session.exec(select(AlertRecord).where(AlertRecord.athlete_id == anna_id)).one()
        assert row.acknowledged_by == change.by_person_id and row.action_taken == "step_back"

    # Ben meets everything but the H0 sign-off: Lee is asked and clears the gate.
    w.meet_h0_criteria(ben_id)
    w.raise_alert(ben_id, "info", "gate.8", "Stage H0 criteria met: sign-off needed to move on.")
    await w.escalate()
    gate_message = lee.last_bot_message
    assert "Ben" in (gate_message.text or "") and "🟢 Sign off" in gate_message.button_labels
    # The request says once that the sign-off is needed (its own line, under the headline).
    assert "sign-off needed to move on" in (gate_message.text or "")
    assert "your sign-off is needed" not in (gate_message.text or "")
    before = len(lee.bot_messages)
    await lee.press("🟢 Sign off")
    await lee.wait_until(
        lambda ms: any("Signed off: Ben may move on" in (m.text or "") for m in ms)
    )
    # Confirmed once: one message, the press itself answered without a pop-up text.
    confirmations = [m for m in lee.bot_messages[before:] if "Signed off" in (m.text or "")]
    assert len(confirmations) == 1
    answer = lee.last_callback_answer
    assert answer is not None and not answer.text
    await w.deliver()
    assert "Lee has given their OK to move on from Stage 1 of 8" in (
        ben.last_bot_message.text or ""
    )
    with session_scope(w.engine, read_only=True) as session:
        clearance = session.exec(select(Clearance).where(Clearance.athlete_id == ben_id)).one()
        assert clearance.stage == "H0" and not clearance.declined

    # A third clinician, not linked, sees neither athlete, by number, name or copied button.
    other = await make_clinician(w, OTHER_CLINICIAN, "Olsen")
    assert await say(other, f"/athlete {anna_id}") == REFUSAL_TEXT
    assert await say(other, "/athlete Ben") == REFUSAL_TEXT
    assert await say(other, f"/note {anna_id} looks fine") == REFUSAL_TEXT
    assert "No athletes are linked" in await say(other, "/athletes")
    copied = gate_message.find_button("🟢 Sign off")
    assert copied is not None
    assert await press_raw(w, other, gate_message, copied["callback_data"]) == REFUSAL_TEXT
    refused = w.audit("refused")
    assert {r.detail["telegram_id"] for r in refused} == {OTHER_CLINICIAN}
    assert any("not linked" in r.detail["reason"] for r in refused)
    assert any("signature" in r.detail["reason"] for r in refused)

    # The linked clinician's card shows status, history, alerts and the action buttons.
    card = (await open_card(lee, anna_id)).text or ""
    assert card.startswith("🟢 Anna\n") or card.startswith("🟠 Anna\n"), card
    assert "Stage: H1 · " in card and "Last 14 days" in card
    assert "No open alerts." in card
    with session_scope(w.engine, read_only=True) as session:
        links = session.exec(select(Link)).all()
        assert {(k.athlete_id) for k in links} == {anna_id, ben_id}


async def test_unacknowledged_emergency_is_resent_then_reaches_the_admin(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    admin = w.sandbox.user(ADMIN, "Ada")
    w.raise_alert(anna_id, "emergency", "red_flag.chest_breathless", "Chest pain, breathless")
    w.raise_alert(anna_id, "within_24h", "red_flag.swelling", "New swelling")
    await w.escalate()
    first = [m for m in lee.bot_messages if "Emergency" in (m.text or "")]
    assert len(first) == 1, "two alerts within 5 minutes make one message"
    assert "New swelling" in (first[0].text or "")

    w.clock.advance(dt.timedelta(minutes=29))
    await w.escalate()
    assert len([m for m in lee.bot_messages if "Emergency" in (m.text or "")]) == 1
    w.clock.advance(dt.timedelta(minutes=1))
    await w.escalate()
    resent = [m for m in lee.bot_messages if "Re-sent" in (m.text or "")]
    assert len(resent) == 1 and "Chest pain" in (resent[0].text or "")
    admin_before = len(admin.bot_messages)

    w.clock.advance(dt.timedelta(minutes=30))
    await w.run_job()
    handed = admin.bot_messages[admin_before:]
    assert len(handed) == 1 and "No clinician has acknowledged" in (handed[0].text or "")
    assert handed[0].button_labels == ["✅ Acknowledge", "📄 Report (PDF)"]
    await admin.press("✅ Acknowledge")
    await admin.wait_until(lambda ms: any("Acknowledged" in (m.text or "") for m in ms))
    w.clock.advance(dt.timedelta(hours=3))
    await w.escalate()
    assert len(admin.bot_messages) == admin_before + 2  # the hand-over and the ack reply only
    assert [r.action for r in w.audit("alert_to_admin")] == ["alert_to_admin"]


async def test_wrong_role_commands_are_refused_and_audited(world: WorldFactory) -> None:
    w = await world()
    w.add_athlete(ANNA, "Anna")
    anna = w.sandbox.user(ANNA, "Anna")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    stranger = w.sandbox.user(4004, "Sam")
    assert await say(anna, "/invite") == REFUSAL_TEXT
    assert await say(anna, "/athletes") == REFUSAL_TEXT
    assert await say(lee, "/invite_clinician") == REFUSAL_TEXT
    assert await say(lee, "/protocols") == REFUSAL_TEXT
    assert await say(lee, "/protocol set hamstring H3 min_days.value 9") == REFUSAL_TEXT
    assert await say(stranger, "/athlete 1") == REFUSAL_TEXT
    assert await say(lee, "/link abc") == REFUSAL_TEXT
    commands = [r.detail["command"] for r in w.audit("refused")]
    assert commands == [
        "/invite",
        "/athletes",
        "/invite_clinician",
        "/protocols",
        "/protocol",
        "/athlete",
        "/link",
    ]


async def test_link_from_someone_not_signed_up_says_how_to_sign_up(world: WorldFactory) -> None:
    """The invite says "athletes already using Sprintback send /link CODE"; a newcomer who does
    is told how to begin, with the code, and nothing is linked."""
    w = await world()
    lee = await make_clinician(w, CLINICIAN, "Lee")
    code = re.search(r"/link (\S+)", await say(lee, "/invite"))
    assert code is not None
    sam = w.sandbox.user(4004, "Sam")
    assert await say(sam, f"/link {code.group(1)}") == (
        f"You are not signed up yet. Send /start {code.group(1)} (or open your clinician's "
        "link) to begin; I will ask before sharing anything with them."
    )
    assert w.audit("refused") == []
    with session_scope(w.engine, read_only=True) as session:
        assert session.exec(select(Person).where(Person.telegram_user_id == 4004)).all() == []


async def test_expired_and_reused_invites_are_refused(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    code = re.search(r"start=(clin_\S+)", await say(admin, "/invite_clinician"))
    assert code
    first = w.sandbox.user(2001, "Lee")
    assert "You are now a clinician" in await say(first, f"/start {code.group(1)}")
    second = w.sandbox.user(2002, "Max")
    assert "already been used" in await say(second, f"/start {code.group(1)}")
    assert w.person(2002) is None or w.person(2002).role != "clinician"  # type: ignore[union-attr]

    late = re.search(r"start=(clin_\S+)", await say(admin, "/invite_clinician"))
    assert late
    w.clock.advance(dt.timedelta(days=8))
    assert "expired" in await say(second, f"/start {late.group(1)}")
    assert w.person(2002) is None

    w.add_athlete(ANNA, "Anna")
    anna = w.sandbox.user(ANNA, "Anna")
    athlete_code = re.search(r"/link (\S+)", await say(first, "/invite"))
    assert athlete_code
    w.clock.advance(dt.timedelta(days=8))
    assert "expired" in await say(anna, f"/link {athlete_code.group(1)}")
    assert "not valid" in await say(anna, "/link no-such-code")
    reasons = [r.detail["reason"] for r in w.audit("invite_refused")]
    assert reasons == ["used", "expired", "expired", "unknown"]


async def test_athlete_who_declines_shares_nothing(world: WorldFactory) -> None:
    w = await world()
    w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    anna = w.sandbox.user(ANNA, "Anna")
    code = re.search(r"/link (\S+)", await say(lee, "/invite"))
    assert code
    await say(anna, f"/link {code.group(1)}")
    await anna.press("✖️ Don't share")
    [reply] = await anna.wait_reply()
    assert "Nothing was shared" in (reply.text or "")
    assert "No athletes are linked" in await say(lee, "/athletes")


async def test_tampered_button_is_refused(world: WorldFactory) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    card = await open_card(lee, anna_id)
    button = card.find_button("⏸ Hold")
    assert button is not None
    _action, ids, issued, mac = button["callback_data"].split(":")
    forged = f"al_back:{ids}:{issued}:{mac}"
    assert await press_raw(w, lee, card, forged) == REFUSAL_TEXT
    assert (
        w.audit("refused")[-1].detail["reason"] == "callback: signature does not match the presser"
    )
    with session_scope(w.engine, read_only=True) as session:
        programme = session.exec(select(Programme).where(Programme.athlete_id == anna_id)).one()
        assert programme.current_stage == "H2"


async def test_clinician_messages_declines_pauses_and_sets_the_stage(world: WorldFactory) -> None:
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H0")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)

    shown = await open_card(lee, "ben")
    # Walking pain not recorded yet: a sign-off could not count, so none is offered.
    assert "Sign-off: you will be asked once the criteria are met" in (shown.text or "")
    assert "🟢 Sign off" not in shown.button_labels
    refused = await say(lee, f"/clear {ben_id}")
    assert "Not recorded: a sign-off counts only once every exit criterion" in refused
    w.meet_h0_criteria(ben_id)
    shown = await open_card(lee, "ben")
    assert "Sign-off: the criteria are met, your sign-off is needed." in (shown.text or "")
    assert shown.button_labels == [
        "🟢 Sign off",
        "✖️ Decline",
        "⏸ Hold",
        "↩️ Step back",
        "💬 Message athlete",
        "📄 Report (PDF)",
    ]
    await lee.press("💬 Message athlete")
    await lee.wait_reply()
    assert "Sent to Ben." in await say(lee, "Keep the walks easy today, please.")
    await lee.press("✖️ Decline")
    await lee.wait_reply()
    assert "Sign-off declined for Ben" in await say(lee, "Palpation still tender")
    hint = await say(lee, "just chatting")  # nothing pending any more: not taken as a note
    assert "/help" in hint and "declined" not in hint
    await w.deliver()
    texts = [m.text or "" for m in ben.bot_messages]
    assert any("Message from Lee:\nKeep the walks easy today, please." in t for t in texts)
    assert any(
        "Lee has not given their OK to move on from Stage 1 of 8" in t
        and "Palpation still tender" in t
        for t in texts
    )

    assert "Please give a reason" in await say(lee, f"/pause {ben_id}")
    assert "programme is paused" in await say(lee, f"/pause {ben_id} travelling this week")
    assert pending_prompts(w, ben_id) == 0
    assert "resumed at H0 · Triage & protection" in await say(lee, f"/resume {ben_id} back home")
    assert pending_prompts(w, ben_id) > 0
    assert "Unknown stage H9" in await say(lee, f"/stage {ben_id} H9 typo")
    refused = await say(lee, f"/stepback {ben_id} sore")
    assert refused.startswith("H0 · Triage & protection is the first stage"), refused
    # Two stages at once: confirmed first, with the risk said.
    asked = await say(lee, f"/stage {ben_id} H2 seen in clinic")
    assert "Move Ben from H0 · " in asked and "to H2 · " in asked
    assert "This skips 1 stage: its exit criteria will not have been checked." in asked
    assert "set_stage" not in [r.action for r in w.audit("set_stage")]  # nothing yet
    await lee.press("✅ Change the stage")
    await lee.wait_until(
        lambda ms: any(
            "Ben moved to H2 · Return to running, jog → ~65 % Vmax (was H0 · Triage & protection)"
            in (m.text or "")
            for m in ms
        )
    )
    assert "H0 is the first stage" not in await say(lee, f"/stepback {ben_id} sore")
    assert "Note added" in await say(lee, f"/note {ben_id} Good progress, review Friday")
    assert "Good progress, review Friday" in ((await open_card(lee, ben_id)).text or "")

    actions = [r.action for r in w.audit("clinician_pause")] + [
        r.action for r in w.audit("set_stage")
    ]
    assert actions == ["clinician_pause", "set_stage", "set_stage"]
    stage_changes = [r.detail["to_stage"] for r in w.audit("set_stage")]
    assert stage_changes == ["H2", "H1"]
    assert [r.detail["note"] for r in w.audit("decline")] == ["Palpation still tender"]
    assert len(w.audit("message_athlete")) == 1 and len(w.audit("note")) == 1


async def test_a_second_alert_within_five_minutes_rewrites_the_queued_message(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    w.raise_alert(anna_id, "within_24h", "red_flag.night_pain", "Night pain")
    with session_scope(w.engine) as session:
        notify = w.notifier()
        assert notify(session, anna_id, w.clock.now()) == 1
    w.clock.advance(dt.timedelta(minutes=3))
    w.raise_alert(anna_id, "same_day", "red_flag.pop", "Felt a pop")
    with session_scope(w.engine) as session:
        assert w.notifier()(session, anna_id, w.clock.now()) == 1  # the same row, rewritten
    await w.deliver()
    alerts = [m for m in lee.bot_messages if "Anna" in (m.text or "") and "•" in (m.text or "")]
    assert len(alerts) == 1
    assert "Night pain" in (alerts[0].text or "") and "Felt a pop" in (alerts[0].text or "")
    assert (alerts[0].text or "").startswith("🔴 Same day · Anna")
    await lee.press("✅ Acknowledge")
    replies = await lee.wait_until(lambda ms: any("Acknowledged" in (m.text or "") for m in ms))
    assert any("Acknowledged 2 alerts about Anna." in (m.text or "") for m in replies)
    w.clock.advance(dt.timedelta(minutes=1))
    w.raise_alert(anna_id, "within_24h", "red_flag.swelling", "New swelling")
    await w.escalate()
    latest = lee.last_bot_message.text or ""
    assert "New swelling" in latest and "Felt a pop" not in latest  # acknowledged ones left out


async def test_every_linked_clinician_gets_the_alert_and_sees_who_acknowledged(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna")
    anna = w.sandbox.user(ANNA, "Anna")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    olsen = await make_clinician(w, OTHER_CLINICIAN, "Olsen")
    await link(w, lee, anna)
    await link(w, olsen, anna)
    w.raise_alert(anna_id, "same_day", "red_flag.calf_warm_red", "Calf warm and red")
    await w.escalate()
    for clinician in (lee, olsen):
        assert "Calf warm and red" in (clinician.last_bot_message.text or "")
    await lee.press("✅ Acknowledge")
    await lee.wait_until(
        lambda ms: any("Acknowledged 1 alert about Anna." in (m.text or "") for m in ms)
    )
    await olsen.press("✅ Acknowledge")
    replies = await olsen.wait_until(lambda ms: any("Already" in (m.text or "") for m in ms))
    assert any("Already acknowledged by Lee" in (m.text or "") for m in replies)
    w.clock.advance(dt.timedelta(hours=2))
    await w.escalate()
    assert not any("Re-sent" in (m.text or "") for m in lee.bot_messages + olsen.bot_messages)


async def test_a_second_press_of_step_back_is_not_applied_twice(world: WorldFactory) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna", stage="H3")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    w.raise_alert(anna_id, "within_24h", "H3r1", "Pain 3/10 at 85 % Vmax")
    await w.escalate()
    alert = lee.last_bot_message
    await lee.press("↩️ Step back", alert)
    await lee.wait_until(
        lambda ms: any(
            "stepped back H3 · Progressive running 70–80 % Vmax → H2 · Return" in (m.text or "")
            for m in ms
        )
    )
    await lee.press("↩️ Step back", alert)
    await lee.expect_no_reply(timeout=3)
    answer = lee.last_callback_answer
    assert answer is not None and answer.show_alert
    assert "Already done" in (answer.text or "")  # the same button, pressed again
    with session_scope(w.engine, read_only=True) as session:
        programme = session.exec(select(Programme).where(Programme.athlete_id == anna_id)).one()
        assert programme.current_stage == "H2"


async def test_clear_without_a_waiting_sign_off_records_nothing(world: WorldFactory) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna", stage="H2")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    assert "No sign-off is waiting for Anna: nothing" in await say(lee, f"/clear {anna_id}")
    assert w.audit("clear") == []
    with session_scope(w.engine, read_only=True) as session:
        assert session.exec(select(Clearance)).all() == []


async def test_notes_are_listed_at_the_readers_local_time(world: WorldFactory) -> None:
    """A clinician in Berlin reads when each note was written in Berlin time, named so;
    one who never set a zone reads UTC, named so."""
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna", stage="H2")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    assert "Note added" in await say(lee, f"/note {anna_id} Hamstring feels better")
    in_utc = await say(lee, f"/note {anna_id}")
    assert "07:00 UTC:\nHamstring feels better" in in_utc, in_utc  # the clock reads 07:00 UTC
    await say(lee, "/timezone Europe/Berlin")
    in_berlin = await say(lee, f"/note {anna_id}")
    assert "08:00 (Berlin):\nHamstring feels better" in in_berlin, in_berlin
