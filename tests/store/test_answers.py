"""Answers, questionnaire progress across restarts, and day records for the engine."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from bot.store import db, repo
from engine.models import Checks, ClinicianAction, DayRecord
from tests.store.factories import DAY0, MORNING, SESSION, T0, person


def test_a_half_answered_questionnaire_resumes_after_a_restart(db_url: str) -> None:
    engine = db.make_engine(db_url)
    with db.session_scope(engine) as s:
        athlete = person(s)
        progress = repo.start_questionnaire(
            s, athlete_id=athlete.id, kind="morning", local_date=DAY0, now=T0
        )
    for key, value in (("red_flags", []), ("pain_rest", 2), ("pain_test", 3)):
        with db.session_scope(engine) as s:
            repo.save_answer(s, progress_id=progress.id, key=key, value=value, now=T0)
    engine.dispose()  # the bot process stops

    restarted = db.make_engine(db_url)
    with db.session_scope(restarted) as s:
        resumed = repo.get_open_questionnaire(s, athlete_id=athlete.id, kind="morning")
        assert resumed is not None and resumed.id == progress.id
        assert resumed.step == 3
        assert resumed.answers == {"red_flags": [], "pain_rest": 2, "pain_test": 3}
        # Asking to start it again returns the same open questionnaire, not a blank one.
        again = repo.start_questionnaire(
            s, athlete_id=athlete.id, kind="morning", local_date=DAY0, now=T0
        )
        assert again.id == progress.id
        repo.finish_questionnaire(s, progress_id=progress.id, now=T0)
    with db.session_scope(restarted) as s:
        assert repo.get_open_questionnaire(s, athlete_id=athlete.id) is None
        fresh = repo.start_questionnaire(
            s, athlete_id=athlete.id, kind="morning", local_date=DAY0, now=T0
        )
        assert fresh.id != progress.id and fresh.answers == {}
    restarted.dispose()


def test_answers_are_checked_against_the_data_dictionary(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete = person(s)
        progress = repo.start_questionnaire(
            s, athlete_id=athlete.id, kind="session", local_date=DAY0, now=T0
        )
    too_high = pytest.raises(repo.StoreError, match=r"session answer 'pain_max'=11 refused: .*10")
    with too_high, db.session_scope(engine) as s:
        repo.save_answer(s, progress_id=progress.id, key="pain_max", value=11, now=T0)
    unknown = pytest.raises(repo.StoreError, match="'pain' is not a session answer; expected one")
    with unknown, db.session_scope(engine) as s:
        repo.save_answer(s, progress_id=progress.id, key="pain", value=1, now=T0)
    with pytest.raises(repo.StoreError, match="vmax_ms"), db.session_scope(engine) as s:
        repo.save_answer(s, progress_id=progress.id, key="metrics", value={"vmax_ms": 13.2}, now=T0)
    with db.session_scope(engine) as s:
        saved = repo.save_answer(
            s, progress_id=progress.id, key="metrics", value={"vmax_ms": 8.4}, now=T0
        )
    # Only valid answers were stored, and the step only moved for them.
    assert saved.answers == {"metrics": {"vmax_ms": 8.4}}
    assert saved.step == 1


def test_onboarding_answers_are_stored_as_given(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete = person(s)
        progress = repo.start_questionnaire(
            s, athlete_id=athlete.id, kind="onboarding", local_date=DAY0, now=T0
        )
        repo.save_answer(s, progress_id=progress.id, key="injury", value="calf", now=T0, step=5)
    with db.session_scope(engine) as s:
        p = repo.get_questionnaire(s, progress_id=progress.id)
        assert p is not None and (p.answers, p.step) == ({"injury": "calf"}, 5)


def test_answers_to_a_closed_questionnaire_are_refused(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete = person(s)
        progress = repo.start_questionnaire(
            s, athlete_id=athlete.id, kind="morning", local_date=DAY0, now=T0
        )
        repo.finish_questionnaire(s, progress_id=progress.id, now=T0, status="cancelled")
    with (
        pytest.raises(repo.StoreError, match="is cancelled, not open"),
        db.session_scope(engine) as s,
    ):
        repo.save_answer(s, progress_id=progress.id, key="pain_rest", value=1, now=T0)


def test_day_records_merge_everything_recorded_per_date(engine: Engine) -> None:
    d1, d2, d3, d4 = (DAY0 + dt.timedelta(days=i) for i in range(4))
    with db.session_scope(engine) as s:
        athlete = person(s)
        clinician = person(s, "clinician")
        aid, cid = athlete.id, clinician.id
        repo.upsert_morning_checkin(
            s, athlete_id=aid, local_date=d1, answers=MORNING, answered_at=T0, utc_offset_minutes=60
        )
        repo.upsert_session_report(
            s, athlete_id=aid, local_date=d1, answers=SESSION, answered_at=T0, utc_offset_minutes=60
        )
        repo.upsert_checks(
            s,
            athlete_id=aid,
            local_date=d2,
            answers=Checks(hop_pain=1),
            answered_at=T0,
            utc_offset_minutes=60,
        )
        repo.record_clearance(
            s, athlete_id=aid, stage="S3", clinician_id=cid, local_date=d2, now=T0
        )
        repo.record_clearance(
            s,
            athlete_id=aid,
            stage="S4",
            clinician_id=cid,
            local_date=d3,
            now=T0,
            declined=True,
            note="not yet",
        )
        repo.record_clinician_action(
            s,
            athlete_id=aid,
            clinician_id=cid,
            local_date=d3,
            kind="pause",
            now=T0 + dt.timedelta(hours=1),
        )
        repo.record_clinician_action(
            s,
            athlete_id=aid,
            clinician_id=cid,
            local_date=d4 + dt.timedelta(days=1),
            kind="resume",
            now=T0,
        )
    with db.session_scope(engine, read_only=True) as s:
        records = repo.load_day_records(s, athlete_id=aid, since=d1, until=d4)
    assert records == [
        # When each was first answered: a session before the check-in does not count.
        DayRecord(date=d1, morning=MORNING, session=SESSION, morning_at=T0, session_at=T0),
        DayRecord(
            date=d2,
            checks=Checks(hop_pain=1),
            clearance=True,
            clinician_actions=[ClinicianAction(kind="clear", stage="S3")],
        ),
        DayRecord(
            date=d3,
            paused=True,
            clinician_actions=[
                ClinicianAction(kind="decline", stage="S4", note="not yet"),
                ClinicianAction(kind="pause"),
            ],
        ),
        DayRecord(date=d4, paused=True),  # nothing recorded, but still paused
    ]
    with db.session_scope(engine, read_only=True) as s:
        # A window starting after the pause still knows the athlete is paused.
        later = repo.load_day_records(s, athlete_id=aid, since=d4, until=d4)
        assert later == [DayRecord(date=d4, paused=True)]
        assert repo.has_clearance(s, athlete_id=aid, stage="S3")
        assert not repo.has_clearance(s, athlete_id=aid, stage="S4")


def test_answers_saved_again_unchanged_keep_when_they_were_given(engine: Engine) -> None:
    """A session given at 06:00, the check-in at 07:00, the same session saved again at 08:00:
    it moved the session's instant past the check-in, and the engine then judged a session
    done without a check-in as one done after it (one that may count)."""
    at_six, at_seven, at_eight = (T0 + dt.timedelta(hours=h) for h in (0, 1, 2))
    with db.session_scope(engine) as s:
        aid = person(s).id
        assert aid is not None
        for at in (at_six, at_eight):
            if at == at_eight:
                repo.upsert_morning_checkin(
                    s,
                    athlete_id=aid,
                    local_date=DAY0,
                    answers=MORNING,
                    answered_at=at_seven,
                    utc_offset_minutes=60,
                )
            repo.upsert_session_report(
                s,
                athlete_id=aid,
                local_date=DAY0,
                answers=SESSION,
                answered_at=at,
                utc_offset_minutes=60,
            )
    with db.session_scope(engine, read_only=True) as s:
        [day] = repo.load_day_records(s, athlete_id=aid, since=DAY0, until=DAY0)
    assert day.session_at == at_six and day.morning_at == at_seven
    assert day.session_before_checkin()
