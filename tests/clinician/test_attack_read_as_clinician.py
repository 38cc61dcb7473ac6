"""Every message a clinician gets, read as a busy clinician reads it: between two patients, on
a phone. Each card says once what happened, names the athlete, says what is expected and by
when, and fits a phone screen; no sentence is written for the engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from bot.services.clinician.escalation import AlertCard, AlertLine, render_alert_text
from bot.services.protocol_files import load_protocol
from bot.store.db import session_scope
from bot.store.models import Person
from bot.support.i18n import use_language
from bot.wording.alerts import alert_line, alert_words
from engine.models import MorningCheckIn
from engine.red_flags import triage_morning
from tests.clinician.conftest import World
from tests.clinician.test_clinician_flow import link, make_clinician, say
from tests.wording.test_alert_words import _stall_alerts

HAMSTRING = load_protocol("hamstring")
AT = dt.datetime(2026, 3, 4, 7, 30, tzinfo=dt.UTC)
WorldFactory = Callable[[], Awaitable[World]]


def _card(rule: str, text: str, severity: str = "info", **fields: object) -> AlertCard:
    return AlertCard(
        athlete_id=3,
        athlete_name="Sam",
        stage="H0",
        alerts=(AlertLine(alert_id=1, severity=severity, text=text, created_at=AT, rule=rule),),  # type: ignore[arg-type]
        protocol=HAMSTRING,
        **fields,  # type: ignore[arg-type]
    )


def test_a_sign_off_request_says_so_once() -> None:
    """Read: "🟢 Sign-off needed", then "criteria met: sign-off needed to move on", then
    "🟢 The stage's criteria are met: your sign-off is needed to move on": three times the
    same news, in three wordings, on one card."""
    note = HAMSTRING.stage("H0").signoff_note
    text = render_alert_text(
        _card(
            "gate.8",
            f"Stage H0 criteria met: sign-off needed to move on ({note}).",
            gate_pending=True,
        )
    )
    assert text.startswith("🟢 Sign-off needed · Sam\n")
    assert text.count("criteria met") + text.count("criteria are met") == 1, text
    # A card without the request's own line (a sign-off waiting behind another alert) still
    # says that the sign-off is needed.
    other = render_alert_text(
        _card(
            "escalate.missed",
            "No check-in for 3 days: the stage is held.",
            gate_pending=True,
        )
    )
    assert "your sign-off is needed" in other


def test_a_red_flag_is_named_once_and_the_other_answers_stay() -> None:
    """Read: "athlete reported numbness, tingling or weakness in the leg or foot" and, just
    below, "Today: red flags: numbness, tingling or weakness" (the same sign, reworded)."""
    tri = triage_morning(HAMSTRING, MorningCheckIn(red_flags=["numbness"], pain_rest=3))  # type: ignore[list-item]
    assert tri is not None
    answers = (("morning", {"red_flags": ["numbness"], "pain_rest": 3}),)
    text = render_alert_text(
        _card(tri.alert.rule, tri.alert.text, "same_day", answers=answers, suspended=True)
    )
    assert text.count("numbness") == 1, text
    assert "Today: pain at rest 3/10" in text
    assert "⛔ Running is stopped until you review Sam." in text
    # An alert line that does not name the signs keeps them among today's answers.
    plain = render_alert_text(
        _card(
            "red_flag.pop", "Felt a pop", "same_day", answers=(("morning", {"red_flags": ["pop"]}),)
        )
    )
    assert "Today: red flags: a pop or sudden sharp pain" in plain


def test_a_stall_on_a_card_names_a_few_items_and_counts_the_rest() -> None:
    """Read: a 660-character list of ten missing items, cut mid-word at 320 characters on the
    card ("…; 20–30 min brisk walk at 0–1/10: none recorded yet;…"), the sign-off it waits for
    lost past the cut."""
    rule, stall = _stall_alerts()[0]
    with use_language("en"):
        full = alert_line(rule, stall, HAMSTRING)
        brief = alert_line(rule, stall, HAMSTRING, brief=True)
        text = render_alert_text(_card(rule, stall))
    assert full.count(";") >= 6  # the report and the digest keep the whole list
    assert brief.startswith("No progress in H1 · Early loading for 9 days. Missing: ")
    assert brief.count(";") == 3 and brief.endswith(" more."), brief
    assert len(brief) < 320 and brief in text  # whole on the card, never cut


def test_a_lapsed_sign_off_says_what_it_means_and_that_nothing_is_due() -> None:
    """Read: "Sign-off for H1 · Early loading no longer holds: a result after it did not meet
    Painless single-leg squat. You will be asked again …": "a result after it", a criterion
    run into the sentence, and no word of what happens to the athlete or to the clinician."""
    h1 = HAMSTRING.stage("H1")
    criterion = h1.exit_criteria[0].text
    record = (
        f"Sign-off for H1 no longer holds: a result after it did not meet {criterion}. You "
        "will be asked again once the criteria are met."
    )
    with use_language("en"):
        line = alert_words("gate.8.lapsed", record, HAMSTRING)
    assert line == (
        f"The sign-off for H1 · Early loading no longer holds: a later result did not meet "
        f"“{criterion.rstrip('.')}”. The athlete stays at this stage. Nothing to do now: you "
        "will be asked again once the criteria are met."
    )
    assert "a result after it" not in line


def test_missed_check_ins_say_by_when() -> None:
    """Read: "… (last on Tue 10 Mar). … Please get in touch." sent alone, without the card's
    "🟠 Within 24 h": no deadline, and "last on" could be the last check-in or the last miss."""
    record = (
        "Sam has missed 2 morning check-ins in a row (last on Tue 10 Mar). Missed days count "
        "as hold: no progression. Please get in touch."
    )
    with use_language("en"):
        line = alert_words("missed_checkins", record, None, dt.date(2026, 3, 10))
    assert line == (
        "Sam has missed 2 morning check-ins in a row, the latest on Tue 10 Mar. Missed days "
        "count as hold (no progression). Please get in touch within 24 h."
    )


async def test_replies_name_the_athlete_they_are_about(world: WorldFactory) -> None:
    """Read: "Already on hold today at H2 · …; nothing changed." (whose hold?) and, for an
    athlete without a name, "No notes about #4  yet." (the name left blank)."""
    w = await world()
    anna_id = w.add_athlete(3001, "Anna", stage="H2")
    nameless_id = w.add_athlete(3002, "", stage="H1")
    lee = await make_clinician(w, 2001, "Lee")
    await link(w, lee, w.sandbox.user(3001, "Anna"))
    await link(w, lee, w.sandbox.user(3002, "Noname"))
    with session_scope(w.engine) as session:
        person = session.get(Person, nameless_id)
        assert person is not None
        person.display_name = ""  # linking may have taken the Telegram name: none here
        session.add(person)

    first = await say(lee, f"/hold {anna_id}")
    assert first.startswith("Hold recorded for Anna at H2 · "), first
    again = await say(lee, f"/hold {anna_id}")
    assert again.startswith("Anna is already on hold today at H2 · "), again
    assert again.endswith(": nothing changed.")

    notes = await say(lee, f"/note {nameless_id}")
    assert notes == (
        f"No notes about Athlete #{nameless_id} yet. Add one with /note {nameless_id} <text>."
    ), notes
    await say(lee, "/note Anna knee fine")
    listed = await say(lee, f"/note {anna_id}")
    assert listed.startswith("Notes about Anna, newest first:"), listed
    assert f"#{anna_id}" not in listed.splitlines()[0]
