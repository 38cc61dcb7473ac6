"""An athlete's own /report reads in their words: their stages as "Stage 3 of 8 · back to
running", a warning sign, their clinician's check; never a stage code (H2), a rule id
(24h.step_back, redflag.tier2) or a clinician's term (Vmax, exit criteria, sign-off, red flag,
baseline). The clinician's /report of the same athlete keeps its codes and terms. Driven
through the real bot on the Bot API sandbox, in English and in Spanish."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox import SimUser
from bot.services.clinician.actions import add_note, apply_action, record_clearance, record_review
from bot.services.protocol_admin import ensure_seeded
from bot.services.protocol_files import load_protocol
from bot.store import repo
from bot.store.db import session_scope
from bot.store.standing import protocol_for
from engine.models import Alert, Injury, Metrics, MorningCheckIn, SessionReport
from engine.programme import ProgrammeState
from engine.red_flags import triage_morning
from tests.reports_bot.conftest import World, WorldFactory, pdf_text

ROBIN, LEE = 3101, 2101
ZONE = ZoneInfo("Europe/London")
BASELINE = Metrics(vmax_ms=9.0, split_10m_s=1.8, split_30m_s=4.0)
# (day, decision, stage the day began in, stage of the day's plan, stage after the day) as
# the engine stores them: up twice, a step back the next morning (24-hour rule), a red-flag
# stop and the clinician's review, a hold, up again.
DAYS = [
    (0, "hold", "H0", None, "H0"),
    (1, "progress", "H0", "H0", "H1"),
    (2, "progress", "H1", "H2", "H2"),
    (3, "step_back", "H2", "H1", "H1"),
    (4, "stop", "H1", "H1", "H1"),
    (5, "hold", "H1", "H1", "H1"),
    (6, "hold", "H1", "H1", "H1"),
    (7, "progress", "H1", "H1", "H2"),
    (8, "hold", "H2", "H2", "H2"),
]
NOTE = "Phoned: keen to race in May."
REVIEW_NOTE = "reviewed by phone, no nerve signs"
# A stage code on its own ("H2", "C5") and a rule id ("24h.step_back", "redflag.tier2").
STAGE_CODE = re.compile(r"(?<![\w])[HC][0-9]{1,2}(?![\w])")
RULE_ID = re.compile(
    r"\b(?:24h|redflag|gate|morning|session|stepback|missing|stop|protocol|clinician|engine)"
    r"\.[a-z0-9_]+"
)
# The athlete's current stage, as they read it everywhere else (voice.md).
THEIR_STAGE = {"en": "Stage 3 of 8 · back to running", "es": "Etapa 3 de 8 · volver a correr"}


def _decision(
    day: int, outcome: str, stage: str, plan: str | None, after: str, flag: str
) -> dict[str, object]:
    reasons: list[dict[str, object]] = [{"rule": "gate.5.days", "text": f"Day {day} in {stage}."}]
    alerts: list[dict[str, object]] = []
    if outcome == "step_back":
        reasons.insert(
            0,
            {
                "rule": "24h.step_back",
                "text": "Test pain up 3 points: step back.",
                "observed": "test pain +3, tightness +0",
            },
        )
    if outcome == "stop":
        reasons.insert(0, {"rule": "morning.p1.redflag.tier2", "text": "Red flag: stop training."})
        alerts.append({"severity": "same_day", "rule": "redflag.tier2", "text": flag})
    return {
        "stage": stage,
        "stage_after": after,
        "plan": None if plan is None else {"stage": plan, "stage_name": plan, "readiness": "go"},
        "reasons": reasons,
        "alerts": alerts,
    }


def write_story(w: World) -> tuple[int, int]:
    """Store Robin's ten days (see DAYS) with Dr Lee's sign-off, review, hold and note, and
    the two alerts (a sign-off request, a red flag), both handled; return their ids."""
    start = w.clock.now().astimezone(ZONE).date() - dt.timedelta(days=len(DAYS) + 1)

    def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(start + dt.timedelta(days=day), dt.time(hour, minute), ZONE)

    triage = triage_morning(
        load_protocol("hamstring"), MorningCheckIn(red_flags=["numbness"], pain_rest=0)
    )
    assert triage is not None
    with session_scope(w.engine) as session:
        ensure_seeded(session, "hamstring", at(0, 9))
        robin = repo.create_person(
            session, role="athlete", telegram_user_id=ROBIN, chat_id=ROBIN,
            display_name="Robin Vale", timezone="Europe/London", now=at(0, 9),
        )  # fmt: skip
        lee = repo.create_person(
            session, role="clinician", telegram_user_id=LEE, chat_id=LEE,
            display_name="Dr Lee", timezone="Europe/London", now=at(0, 9),
        )  # fmt: skip
        assert robin.id is not None and lee.id is not None
        repo.link_athlete(session, athlete_id=robin.id, clinician_id=lee.id, now=at(0, 9))
        injury = Injury(
            injury="hamstring", side="left", grade=1, injury_date=start - dt.timedelta(days=10)
        )
        repo.add_injury(session, athlete_id=robin.id, injury=injury, now=at(0, 9))
        repo.set_baseline(session, athlete_id=robin.id, metrics=BASELINE, now=at(0, 9))
        programme = repo.start_programme(
            session, athlete_id=robin.id, protocol_name="hamstring", protocol_version=1,
            first_stage="H0", start_date=start, now=at(0, 10),
        )  # fmt: skip
        assert programme.id is not None
        protocol = protocol_for(session, programme)
        signoff = repo.raise_alert(
            session, athlete_id=robin.id, now=at(0, 20), local_date=start,
            alert=Alert(severity="within_24h", rule="gate.8",
                        text="Stage H0 criteria met: sign-off needed to move on (clearance)."),
        )  # fmt: skip
        assert signoff.id is not None
        flag_id = 0
        for day, outcome, stage, plan, after in DAYS:
            date = start + dt.timedelta(days=day)
            repo.upsert_morning_checkin(
                session, athlete_id=robin.id, local_date=date, answered_at=at(day, 7, 30),
                answers=MorningCheckIn(
                    red_flags=["numbness"] if outcome == "stop" else [], pain_rest=0,
                    pain_test=3 if outcome == "step_back" else 0,
                ),
                utc_offset_minutes=0,
            )  # fmt: skip
            if day == 1:
                repo.acknowledge_alert(
                    session, alert_id=signoff.id, by_person_id=lee.id, now=at(1, 8)
                )
                record_clearance(
                    session, lee, robin, at(1, 8), declined=False, note="diagnosis confirmed"
                )
            if day == 4:
                flag = repo.raise_alert(
                    session, athlete_id=robin.id, alert=triage.alert, now=at(4, 7, 31),
                    local_date=date,
                )  # fmt: skip
                assert flag.id is not None
                flag_id = flag.id
            if day == 5:
                repo.acknowledge_alert(session, alert_id=flag_id, by_person_id=lee.id, now=at(4, 8))
                record_review(
                    session, lee, robin, at(5, 6, 50), note=REVIEW_NOTE,
                    alert_ids=(flag_id, flag_id),
                )  # fmt: skip
            if day == 6:
                apply_action(session, lee, robin, "hold", at(6, 7), protocol, note="scan first")
            if day not in (0, 4, 6):
                repo.upsert_session_report(
                    session, athlete_id=robin.id, local_date=date, answered_at=at(day, 18),
                    answers=SessionReport(
                        completion="full", pain_max=0,
                        metrics=Metrics(vmax_ms=6.0 + 0.1 * day, split_10m_s=2.4 - 0.02 * day),
                    ),
                    utc_offset_minutes=0,
                )  # fmt: skip
            for kind in ("morning", "daily"):
                repo.record_decision(
                    session, athlete_id=robin.id, local_date=date, kind=kind,
                    outcome=outcome if kind == "daily" or outcome == "stop" else "go",
                    decision=_decision(day, outcome, stage, plan, after, triage.alert.text),
                    protocol_name="hamstring", protocol_version=1,
                    now=at(day, 7, 30) if kind == "morning" else at(day, 19),
                )  # fmt: skip
            if after != stage:
                repo.move_stage(
                    session, programme_id=programme.id, to_stage=after, now=at(day, 19, 30),
                    reason=f"engine: {outcome} on {date.isoformat()}",
                )  # fmt: skip
        # The engine's snapshot at the end of the last day, as the athlete flow stores it.
        entered = start + dt.timedelta(days=8)
        state = ProgrammeState(
            stage="H2", stage_entered=entered, start=start, last_progress=entered
        )
        snapshot = {"as_of": entered.isoformat(), "state": state.model_dump(mode="json")}
        repo.save_programme_state(
            session, programme_id=programme.id, now=at(8, 20), state_json=json.dumps(snapshot)
        )
        add_note(session, lee, robin.id, NOTE, at(8, 11))
        return robin.id, lee.id


async def _report(user: SimUser, command: str) -> str:
    """Send ``command``, wait for the PDF, return its text with line breaks as spaces."""
    before = len(user.documents)
    await user.send(command)
    await user.wait_until(lambda _messages: len(user.documents) > before, timeout=30)
    return " ".join(pdf_text(user.documents[-1].data).split())


async def _both_reports(w: World, lang: str) -> tuple[str, str, int]:
    robin_id, lee_id = write_story(w)
    with session_scope(w.engine) as session:
        for person in (robin_id, lee_id):
            repo.set_language(session, person_id=person, language=lang, chosen=True)
    robin = w.sandbox.user(ROBIN, "Robin", language_code=lang)
    lee = w.sandbox.user(LEE, "Lee", language_code=lang)
    mine = await _report(robin, "/report")
    theirs = await _report(lee, f"/report {robin_id}")
    return mine, theirs, robin_id


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_the_athletes_own_report_names_no_stage_code_or_rule_id(
    world: WorldFactory, lang: str
) -> None:
    w = await world()
    mine, theirs, _robin_id = await _both_reports(w, lang)
    assert "Robin Vale" in mine
    assert STAGE_CODE.findall(mine) == [], mine
    assert RULE_ID.findall(mine) == [], mine
    assert THEIR_STAGE[lang] in mine, mine  # their stage, as they read it everywhere else
    # The clinician's report of the same athlete keeps its stage codes.
    assert {"H0", "H1", "H2"} <= set(STAGE_CODE.findall(theirs)), theirs
    assert RULE_ID.findall(theirs) == [], theirs


async def test_the_athletes_own_report_says_what_happened_in_their_words(
    world: WorldFactory,
) -> None:
    w = await world()
    mine, theirs, _robin_id = await _both_reports(w, "en")
    for fact in (
        "Back one stage for a few days",  # the step back, and why
        "You reported a warning sign",  # the red-flag stop's alert, seen by Dr Lee
        "Checked by your clinician: you may run again",  # the review
        REVIEW_NOTE,  # the clinician's words, as the athlete's /export gives them
        NOTE,
        "Your clinician kept you at your stage that day",  # the hold
        "top speed",
    ):
        assert fact in mine, (fact, mine)
    for jargon in ("Vmax", "LSI", "exit criteri", "sign-off", "red flag", "tier", "baseline",
                   "NOT MET", "the athlete"):  # fmt: skip
        assert jargon.casefold() not in mine.casefold(), (jargon, mine)
    # The clinician's report is unchanged: its codes and terms.
    for term in ("Vmax", "Red flag, tier 2", "Signed off: may leave H0", "NOT MET"):
        assert term in theirs, (term, theirs)


async def test_the_athletes_own_report_names_their_plan_not_its_version(
    world: WorldFactory,
) -> None:
    """The identity table in their words: their plan by name and when it started, their grade
    as onboarding asked it; nothing about what the clinician's record lacks."""
    w = await world()
    mine, theirs, _robin_id = await _both_reports(w, "en")
    assert "Your plan" in mine and "Started" in mine, mine
    assert "grade 1" in mine, mine
    for term in ("version", "Enrolled", "muscle not recorded", "mechanism not recorded"):
        assert term not in mine, (term, mine)
    # The clinician's table keeps the version and what is missing from the record.
    for term in ("version 1", "Enrolled", "muscle not recorded", "mechanism not recorded"):
        assert term in theirs, (term, theirs)
