"""Small builders for storage tests: people and a fully recorded athlete."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlmodel import Session

from bot.store import repo
from bot.store.models import Person
from engine.models import Alert, Checks, Injury, Metrics, MorningCheckIn, SessionReport

_ids = itertools.count(1000)
T0 = dt.datetime(2026, 3, 2, 6, 30, tzinfo=dt.UTC)
DAY0 = dt.date(2026, 3, 2)

MORNING = MorningCheckIn(
    red_flags=[],
    pain_rest=0,
    pain_test=1,
    tightness=2,
    confidence=7,
    sleep_quality=3,
    fatigue=3,
    stress=2,
    soreness=3,
    sleep_hours=7.5,
)
SESSION = SessionReport(
    completion="full",
    pain_max=1,
    sharp_pain=False,
    tightness=2,
    held_back=False,
    confidence=7,
    rpe=4,
    minutes=40,
    metrics=Metrics(vmax_ms=7.9, hv_reps=6),
    checks=Checks(walk_pain=0, knee_extension_full=True),
)


def person(
    session: Session,
    role: str = "athlete",
    *,
    name: str = "",
    timezone: str = "Europe/Berlin",
    chat: bool = True,
) -> Person:
    """Create a person with fresh Telegram ids."""
    uid = next(_ids)
    return repo.create_person(
        session,
        role=role,  # type: ignore[arg-type]
        telegram_user_id=uid * 1_000_003,  # beyond 32 bits, like real Telegram ids
        chat_id=uid * 1_000_003 if chat else None,
        display_name=name or f"{role} {uid}",
        timezone=timezone,
        checkin_time="07:30",
        now=T0,
    )


def full_athlete(session: Session, clinician: Person, *, name: str) -> Person:
    """Create an athlete linked to ``clinician`` with a row in every per-athlete table."""
    athlete = person(session, name=name)
    assert athlete.id is not None and clinician.id is not None
    aid, cid = athlete.id, clinician.id
    repo.record_consent(
        session, person_id=aid, kind="data_processing", text_version="1", granted=True, now=T0
    )
    invite = repo.create_invite(session, kind="athlete", created_by=cid, clinician_id=cid, now=T0)
    repo.redeem_invite(session, code=invite.code, person_id=aid, now=T0)
    injury = repo.add_injury(
        session,
        athlete_id=aid,
        injury=Injury(injury="hamstring", side="left", injury_date=DAY0, muscle="biceps_femoris"),
        now=T0,
    )
    repo.set_baseline(session, athlete_id=aid, metrics=Metrics(vmax_ms=9.1), now=T0)
    programme = repo.start_programme(
        session,
        athlete_id=aid,
        protocol_name="hamstring",
        protocol_version=1,
        first_stage="S1",
        start_date=DAY0,
        now=T0,
        injury_id=injury.id,
        state_json='{"stage": "S1"}',
    )
    assert programme.id is not None
    repo.move_stage(
        session, programme_id=programme.id, to_stage="S2", now=T0, reason="criteria met"
    )
    repo.upsert_morning_checkin(
        session,
        athlete_id=aid,
        local_date=DAY0,
        answers=MORNING,
        answered_at=T0,
        utc_offset_minutes=60,
    )
    repo.upsert_session_report(
        session,
        athlete_id=aid,
        local_date=DAY0,
        answers=SESSION,
        answered_at=T0,
        utc_offset_minutes=60,
    )
    repo.upsert_checks(
        session,
        athlete_id=aid,
        local_date=DAY0,
        answers=Checks(walk_pain=0),
        answered_at=T0,
        utc_offset_minutes=60,
    )
    progress = repo.start_questionnaire(
        session, athlete_id=aid, kind="morning", local_date=DAY0 + dt.timedelta(days=1), now=T0
    )
    assert progress.id is not None
    repo.save_answer(session, progress_id=progress.id, key="pain_rest", value=1, now=T0)
    decision = repo.record_decision(
        session,
        athlete_id=aid,
        local_date=DAY0,
        kind="daily",
        outcome="progress",
        decision={"decision": "progress", "reasons": [{"rule": "r1", "text": "criteria met"}]},
        protocol_name="hamstring",
        protocol_version=1,
        now=T0,
    )
    repo.raise_alert(
        session,
        athlete_id=aid,
        alert=Alert(severity="info", rule="r1", text=f"{name} progressed"),
        now=T0,
        decision_id=decision.id,
    )
    repo.record_clearance(
        session, athlete_id=aid, stage="S2", clinician_id=cid, local_date=DAY0, now=T0
    )
    repo.record_clinician_action(
        session, athlete_id=aid, clinician_id=cid, local_date=DAY0, kind="hold", now=T0
    )
    repo.add_note(session, athlete_id=aid, author_id=cid, text=f"note about {name}", now=T0)
    assert athlete.chat_id is not None and clinician.chat_id is not None
    repo.enqueue_message(session, chat_id=athlete.chat_id, text="hello", kind="checkin", now=T0)
    repo.enqueue_message(
        session,
        chat_id=clinician.chat_id,
        person_id=cid,
        athlete_id=aid,
        text=f"{name} checked in",
        kind="alert",
        now=T0,
    )
    repo.schedule_prompt(session, athlete_id=aid, kind="morning", local_date=DAY0, due_at=T0)
    repo.audit(session, actor_id=cid, action="view", athlete_id=aid, now=T0)
    return athlete
