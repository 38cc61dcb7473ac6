"""The scripted demo story: an admin, a clinician and an athlete through a compressed programme.

Every step goes through the real bot: the admin invites the clinician, the clinician invites
the athlete, who onboards; the scheduler sends each morning check-in and post-session
questionnaire at the athlete's local times (the clock jumps there); the clinician clears the
H0 sign-off from the alert message; the athlete progresses H0 → H1 → H2, has a flare-up that
steps back to H1, reports a red flag that reaches the clinician at once, is reviewed and
resumed by the clinician (whose Monday digest ranks the athlete first), progresses back to
H2, and finally the athlete asks for the progress
chart and the clinician for the PDF report.

Each step checks that the bot said what the story needs, so a broken flow stops the demo with
a one-line reason instead of printing a wrong story.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.demo.words import DemoWords
from bot.demo.world import DemoError, DemoWorld, Person
from bot.sandbox import TranscriptMessage
from bot.support.i18n import L_, Text, use_language
from bot.support.i18n import text as as_text

ZONE = ZoneInfo("Europe/Berlin")
# Monday 2 March 2026, 10:00 in Berlin: the day the admin starts inviting people.
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZONE)
ADMIN_ID, CLINICIAN_ID, ATHLETE_ID = 9000, 2001, 3001
ADMIN_NAME, CLINICIAN_NAME, ATHLETE_NAME = "Ada", "Dr Lee", "Sam"
PEOPLE = {ADMIN_ID: ADMIN_NAME, CLINICIAN_ID: CLINICIAN_NAME, ATHLETE_ID: ATHLETE_NAME}

GREEN_MORNING: dict[str, str] = {
    "pain_rest": "0",
    "pain_test": "0",
    "tightness": "1",
    "confidence": "7",
    "sleep_quality": "3",
    "fatigue": "3",
    "stress": "2",
    "soreness": "3",
    "sleep_hours": "7.5",
}
MORNING_BUTTON_ORDER = (
    "pain_rest",
    "pain_test",
    "tightness",
    "confidence",
    "sleep_quality",
    "fatigue",
    "stress",
    "soreness",
)
# Stage checks the post-session questionnaire asks, by words of the question -> answer.
H0_CHECKS = {"walking": "1"}
H1_CHECKS = {"walking": "0", "single-leg squat": "0", "bike": "0", "straighten the knee": "Yes"}
H2_CHECKS = {"Straight-leg raise": "85", "knee extension": "80", "walking": "0"}


@dataclass
class Cast:
    """The three people of the story."""

    admin: Person
    clinician: Person
    athlete: Person


def joined(messages: Sequence[TranscriptMessage]) -> str:
    """Return the texts of ``messages`` as one string."""
    return "\n".join(message.text or "" for message in messages)


def expect(
    replies: str | Sequence[TranscriptMessage],
    needle: str,
    step: str,
    words: DemoWords | None = None,
) -> str:
    """Return the text of ``replies`` if it says ``needle`` (English; in the demo's language
    with ``words``), else stop the demo."""
    said = replies if isinstance(replies, str) else joined(replies)
    found = words.confirms(said, needle) if words is not None else needle in said
    if not found:
        shown = said.strip().splitlines()[-1] if said.strip() else "nothing"
        raise DemoError(f"{step}: expected the bot to say {needle!r}, it said {shown!r}")
    return said


def narrate(world: DemoWorld, line: Text, at: dt.datetime) -> None:
    """Add a narrator line to the transcript, in the demo's language."""
    with use_language(world.words.lang):
        world.recorder.note(as_text(line), at)


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Return the instant of ``hour:minute`` in Berlin on day ``day`` of the story (day 1 =
    START's date)."""
    date = START.date() + dt.timedelta(days=day - 1)
    return dt.datetime.combine(date, dt.time(hour, minute), tzinfo=ZONE)


# ------------------------------------------------------------------------- steps


async def invitations(world: DemoWorld) -> tuple[Cast, str]:
    """The admin invites the clinician, who joins and invites the athlete; return the cast and
    the athlete's invitation code."""
    with use_language(world.words.lang):
        cast = Cast(
            admin=world.person(ADMIN_ID, ADMIN_NAME, as_text(L_("Admin"))),
            clinician=world.person(CLINICIAN_ID, CLINICIAN_NAME, as_text(L_("Clinician"))),
            athlete=world.person(ATHLETE_ID, ATHLETE_NAME, as_text(L_("Athlete"))),
        )
    narrate(world, L_("Invitations"), world.clock.now())
    text = expect(
        await world.say(cast.admin, "/invite_clinician"), "start=clin_", "clinician invitation"
    )
    code = re.search(r"start=(clin_\S+)", text)
    assert code is not None
    expect(
        await world.say(cast.clinician, f"/start {code.group(1)}"),
        "You are now a clinician",
        "clinician joining",
        world.words,
    )
    text = expect(await world.say(cast.clinician, "/invite"), "?start=", "athlete invitation")
    athlete_code = re.search(r"\?start=(\S+)", text)
    assert athlete_code is not None
    return cast, athlete_code.group(1)


async def onboarding(world: DemoWorld, athlete: Person, code: str) -> None:
    """The athlete opens the invitation link, consents and describes the injury."""
    narrate(world, L_("Onboarding"), world.clock.now())
    expect(
        await world.say(athlete, f"/start {code}"),
        "I'm Sprintback",
        "onboarding welcome",
        world.words,
    )
    for label in ("I agree", "I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await world.tap(athlete, label)
    await world.tap(athlete, "Sprinting / running fast")
    await world.tap(athlete, "Rugby")
    await world.say(athlete, world.words.number("speed 9.1 10m 1.78 20m 3.0 30m 4.05 40m 5.15"))
    for label in ("Europe", "Berlin", "07:30"):
        await world.tap(athlete, label)
    expect(
        await world.tap(athlete, "✅ Confirm"), "All set", "onboarding confirmation", world.words
    )


async def morning(
    world: DemoWorld,
    athlete: Person,
    *,
    red_flags: Sequence[str] = (),
    **answers: str,
) -> str:
    """Jump to the athlete's next morning prompt (sent by the scheduler) and answer it;
    return the bot's verdict."""
    await world.set_time(world.next_prompt_due(athlete, "morning"))
    prompt = athlete.user.last_bot_message
    if not world.words.says(prompt.text or "", "Good morning"):
        raise DemoError(f"the scheduler did not send the morning check-in: {prompt.text!r}")
    values = GREEN_MORNING | answers
    if red_flags:
        for flag in red_flags:
            await world.tap(athlete, flag)
        replies = await world.tap(athlete, "Done")
        if not world.words.says(athlete.user.last_bot_message.text or "", "Good morning"):
            return joined(replies)
    else:
        await world.tap(athlete, "None of these ✅")
    for key in MORNING_BUTTON_ORDER:
        await world.tap(athlete, values[key])
    return joined(await world.say(athlete, world.words.number(values["sleep_hours"])))


async def session_report(
    world: DemoWorld,
    athlete: Person,
    *,
    checks: Mapping[str, str],
    metrics: str | None = None,
    pain: str = "0",
    pain_1h: str = "0",
) -> str:
    """Jump to the end of the session (the scheduler's post-session prompt), answer the
    questionnaire, the stage's checks and the metrics line; return the bot's decision.
    ``pain_1h`` "Skip": not an hour yet (the bot asks again later)."""
    await world.set_time(world.next_prompt_due(athlete, "post_session"))
    if not world.words.says(athlete.user.last_bot_message.text or "", "How did today's session go"):
        raise DemoError("the scheduler did not send the post-session questionnaire")
    labels = ["All of it", pain] + (["The injured spot"] if pain != "0" else [])
    labels += ["No", "None of these ✅", "1", "No", "8", "4", "40", pain_1h]
    for label in labels:
        await world.tap(athlete, label)
    await answer_checks(world, athlete, checks)
    if metrics is None:
        return joined(await world.tap(athlete, "No numbers today"))
    expect(
        await world.say(athlete, world.words.number(metrics)),
        "I understood",
        "metrics echo",
        world.words,
    )
    return joined(await world.tap(athlete, "Yes, save"))


async def pain_followup(world: DemoWorld, athlete: Person, pain: str = "0") -> None:
    """The pain an hour after the session, skipped in the report, asked about an hour later:
    jump to that prompt and answer it with one tap."""
    await world.set_time(world.next_prompt_due(athlete, "followup"))
    asked = athlete.user.last_bot_message.text or ""
    if not world.words.says(asked, "About an hour has passed since your session"):
        raise DemoError("the scheduler did not send the pain follow-up")
    expect(await world.tap(athlete, pain), "Thanks, saved", "pain follow-up", world.words)


async def answer_checks(world: DemoWorld, athlete: Person, checks: Mapping[str, str]) -> None:
    """Answer the stage's functional checks until the metrics question comes."""
    for _ in range(len(checks) + 1):
        message = athlete.user.last_bot_message
        question = (message.text or "").split("\n\n")[-1]
        if world.words.says(question, "Any numbers from today"):
            return
        answer = next(
            (value for key, value in checks.items() if world.words.says(question, key)), None
        )
        if answer is None:
            raise DemoError(f"the demo has no answer for the check question {question!r}")
        if world.words.label(answer) in message.button_labels:
            await world.tap(athlete, answer)
        else:
            await world.say(athlete, world.words.number(answer))
    raise DemoError("the post-session questionnaire asked more checks than the stage has")


async def clinician_presses(
    world: DemoWorld, clinician: Person, label: str, needle: str, step: str
) -> TranscriptMessage:
    """The clinician presses ``label`` on the latest alert showing it; return that alert."""
    shown = world.words.label(label)
    alert = next(
        (m for m in reversed(clinician.user.bot_messages) if shown in m.button_labels), None
    )
    if alert is None:
        raise DemoError(f"{step}: the clinician got no message with a [{label}] button")
    expect(await world.tap(clinician, label, alert), needle, step, world.words)
    return alert


# ------------------------------------------------------------------------- the story


async def play(world: DemoWorld) -> Cast:
    """Play the whole story on ``world``; return the cast. Raises DemoError if the bot does
    not behave as the story needs."""
    cast, code = await invitations(world)
    await onboarding(world, cast.athlete, code)
    athlete, clinician = cast.athlete, cast.clinician
    await world.run_jobs()  # the tick plans the athlete's first day

    narrate(world, L_("Day 2: first check-in and H0 session"), world.clock.now())
    expect(await morning(world, athlete), "Train as planned", "first morning check-in", world.words)
    await session_report(world, athlete, checks=H0_CHECKS, pain_1h="Skip")
    await pain_followup(world, athlete)

    narrate(world, L_("Day 3: the H0 sign-off reaches the clinician"), local(3, 7, 30))
    await morning(world, athlete)
    world.clock.set(local(3, 8, 5))
    await clinician_presses(world, clinician, "🟢 Sign off", "Signed off", "H0 clearance")
    decision = await session_report(world, athlete, checks=H0_CHECKS | {"walking": "0"})
    expect(decision, "move up to Stage 2 of 8", "progression to H1", world.words)

    narrate(world, L_("Day 4: early loading (H1)"), local(4, 7, 30))
    await morning(world, athlete)
    await session_report(world, athlete, checks=H1_CHECKS, metrics="strength 70")

    narrate(world, L_("Day 5: progression to H2, first runs with metrics"), local(5, 7, 30))
    verdict = await morning(world, athlete)
    expect(verdict, "move up to Stage 3 of 8", "progression to H2", world.words)
    await session_report(world, athlete, checks=H2_CHECKS, metrics="speed 6.0 10m 2.4 strength 82")

    narrate(world, L_("Day 6: flare-up the morning after running"), local(6, 7, 30))
    verdict = await morning(world, athlete, pain_test="3", tightness="3")
    expect(verdict, "Stage 2 of 8", "flare-up step-back", world.words)

    narrate(world, L_("Day 7: a red flag"), local(7, 7, 30))
    await morning(world, athlete, red_flags=["▫️ Numbness, tingling or weakness in leg/foot"])
    world.clock.set(local(7, 8, 0))
    await world.run_jobs()
    world.clock.set(local(7, 9, 15))
    alert = await clinician_presses(
        world, clinician, "✅ Acknowledge", "Acknowledged", "red-flag alert"
    )

    narrate(
        world,
        L_("Day 8: the clinician reviews the athlete and resumes the programme"),
        local(8, 7, 0),
    )
    world.clock.set(local(8, 7, 0))
    del alert  # the card names the athlete: the clinician answers by name
    # A review lifts the stop: its note is confirmed before anything is recorded. The
    # clinician writes the note in the demo's language (the athlete reads it as written).
    with use_language(world.words.lang):
        note = as_text(L_("seen in clinic: no nerve involvement"))
    expect(
        await world.say(clinician, f"/clear {ATHLETE_NAME} {note}"),
        "Confirm the review of",
        "reviewing after the red flag",
        world.words,
    )
    await clinician_presses(
        world, clinician, "✅ Confirm review", "may run again from today", "confirming the review"
    )
    verdict = await morning(world, athlete)
    expect(verdict, "Train as planned", "first check-in after the clearance", world.words)
    # Monday 08:00 in the clinician's time zone (Berlin, the deployment's default): the weekly
    # digest arrives then, as the README says.
    await world.set_time(local(8, 8, 0))
    await world.set_time(local(8, 9, 5))
    await session_report(world, athlete, checks=H1_CHECKS, metrics="strength 80")

    narrate(world, L_("Day 9: back to green sessions in H1"), local(9, 7, 30))
    await morning(world, athlete)
    await session_report(world, athlete, checks=H1_CHECKS, metrics="strength 83")

    narrate(world, L_("Day 10: back to running (H2)"), local(10, 7, 30))
    verdict = await morning(world, athlete)
    expect(verdict, "move up to Stage 3 of 8", "progression back to H2", world.words)
    await session_report(world, athlete, checks=H2_CHECKS, metrics="speed 6.2 10m 2.25 strength 85")

    narrate(world, L_("Day 11: the chart and the clinician report"), local(11, 8, 0))
    world.clock.set(local(11, 8, 0))
    await world.ask_for_file(athlete, "/progress", "photo")
    await world.ask_for_file(clinician, f"/report {ATHLETE_NAME}", "document")
    return cast
