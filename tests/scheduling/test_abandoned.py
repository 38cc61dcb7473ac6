"""Questionnaires left open with answers that call for review are evaluated by the system.

Real store (SQLite and PostgreSQL), the athlete flow's own functions to answer, the real alert
notifier: the clinician's message appears once however many sweeps run, and harmless answers
stay open and resumable.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.handlers.jobs import ABANDONED_JOB, install_scheduling
from bot.sandbox import BotApiSandbox
from bot.services.athlete import questionnaire as svc
from bot.services.athlete.abandoned import (
    AUDIT_ACTION,
    AbandonedResult,
    AbandonedSweeper,
    sweep_abandoned,
)
from bot.services.athlete.engine_bridge import start_programme_for
from bot.services.callback_auth import CallbackSigner
from bot.services.clinician.escalation import alert_notifier
from bot.services.questionnaires import QUESTIONNAIRES
from bot.settings import Settings
from bot.store.db import create_all_for_tests, make_engine, session_scope
from bot.store.models import (
    AlertRecord,
    AuditLog,
    Outbox,
    Person,
    QuestionnaireProgress,
    SessionReportRecord,
)
from bot.store.repo.answers import upsert_morning_checkin, upsert_session_report
from bot.store.repo.programme import add_injury
from engine.models import Injury, MorningCheckIn, SessionReport
from tests.scheduling.helpers import add_person

# A Tuesday, 17:00 in London: the session report is started after training.
T = dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)
TODAY = T.date()
CLINICIAN_TG = 9100
ATHLETE_TG = 9200
GOOD_MORNING = {
    "red_flags": [],
    "pain_rest": 0,
    "pain_test": 1,
    "tightness": 1,
    "confidence": 8,
    "sleep_quality": 2,
    "fatigue": 2,
    "stress": 2,
    "soreness": 2,
    "sleep_hours": 7.5,
}
NOTIFY = alert_notifier(CallbackSigner(b"abandoned-test-secret-0123456789"), ())


def _athlete(engine: Engine) -> int:
    """A clinician and a linked athlete on the hamstring protocol since Sunday, with good
    mornings and a red session yesterday (a second red session calls the clinician in);
    return the athlete id."""
    clinician = add_person(engine, CLINICIAN_TG, role="clinician", name="Dr Kim")
    athlete_id = add_person(engine, ATHLETE_TG, clinician_id=clinician, name="Alex")
    with session_scope(engine) as session:
        injury = Injury(injury="hamstring", side="left", injury_date=dt.date(2026, 2, 20))
        row = add_injury(session, athlete_id=athlete_id, injury=injury, now=T)
        start_programme_for(session, athlete_id, injury, row.id, dt.date(2026, 3, 8), T)
        for day in (dt.date(2026, 3, 9), TODAY):
            upsert_morning_checkin(
                session,
                athlete_id=athlete_id,
                local_date=day,
                answers=MorningCheckIn.model_validate(GOOD_MORNING),
                answered_at=dt.datetime.combine(day, dt.time(7, 30), tzinfo=dt.UTC),
                utc_offset_minutes=0,
            )
        upsert_session_report(
            session,
            athlete_id=athlete_id,
            local_date=dt.date(2026, 3, 9),
            answers=SessionReport(completion="full", pain_max=6, sharp_pain=False),
            answered_at=dt.datetime(2026, 3, 9, 18, tzinfo=dt.UTC),
            utc_offset_minutes=0,
        )
    return athlete_id


def _leave_session_report(engine: Engine, athlete_id: int, answers: dict[str, Any]) -> int:
    """The athlete opens the session report, gives ``answers``, and walks away."""
    with session_scope(engine) as session:
        person = session.get(Person, athlete_id)
        assert person is not None
        env = svc.Env(now=T, notify=NOTIFY)
        progress, question = svc.begin(session, person, "session", env, answers=answers)
        assert question is not None  # more questions were waiting
        assert progress.id is not None
        return progress.id


def _clinician_messages(engine: Engine) -> list[Outbox]:
    with session_scope(engine, read_only=True) as session:
        return list(session.exec(select(Outbox).where(Outbox.chat_id == CLINICIAN_TG)).all())


def _athlete_messages(engine: Engine) -> list[Outbox]:
    with session_scope(engine, read_only=True) as session:
        return list(session.exec(select(Outbox).where(Outbox.chat_id == ATHLETE_TG)).all())


def _progress(engine: Engine, progress_id: int) -> QuestionnaireProgress:
    with session_scope(engine, read_only=True) as session:
        progress = session.get(QuestionnaireProgress, progress_id)
        assert progress is not None
        return progress


def _sweep(sweeper: AbandonedSweeper, at: dt.datetime) -> AbandonedResult:
    return sweep_abandoned(sweeper, at, NOTIFY)


def test_red_session_pain_left_open_reaches_the_clinician_once(engine: Engine) -> None:
    athlete_id = _athlete(engine)
    progress_id = _leave_session_report(engine, athlete_id, {"completion": "full", "pain_max": 6})
    sweeper = AbandonedSweeper(engine=engine)

    early = _sweep(sweeper, T + dt.timedelta(hours=1))
    assert early.evaluated == 0
    assert _clinician_messages(engine) == []
    assert _progress(engine, progress_id).status == "open"

    due = T + dt.timedelta(hours=2, minutes=5)
    assert _sweep(sweeper, due).evaluated == 1
    for later in (due + dt.timedelta(minutes=5), due + dt.timedelta(hours=6)):
        assert _sweep(sweeper, later).evaluated == 0
    # A sweeper of another process (no memory) finds nothing left to do either.
    assert _sweep(AbandonedSweeper(engine=engine), due + dt.timedelta(hours=7)).evaluated == 0

    [message] = _clinician_messages(engine)
    assert "Alex" in message.text
    with session_scope(engine, read_only=True) as session:
        [report] = session.exec(
            select(SessionReportRecord).where(SessionReportRecord.local_date == TODAY)
        ).all()
        assert report.answers["pain_max"] == 6
        alerts = session.exec(select(AlertRecord).where(AlertRecord.athlete_id == athlete_id)).all()
        assert [a.rule for a in alerts] == ["escalate.red_repeat"]
        [entry] = session.exec(select(AuditLog).where(AuditLog.action == AUDIT_ACTION)).all()
        assert entry.actor_id is None and entry.athlete_id == athlete_id
        assert entry.detail["questionnaire"] == "session"
        assert entry.detail["progress_id"] == progress_id
    assert _progress(engine, progress_id).status == "done"
    [told] = _athlete_messages(engine)
    assert "(This comes from your unfinished session report" in told.text


def test_red_pain_an_hour_after_is_evaluated_too(engine: Engine) -> None:
    athlete_id = _athlete(engine)
    progress_id = _leave_session_report(
        engine,
        athlete_id,
        {
            "completion": "full",
            "pain_max": 2,
            "pain_location": "injured_spot",
            "sharp_pain": False,
            "tightness": 2,
            "held_back": False,
            "confidence": 8,
            "rpe": 5,
            "minutes": 40,
            "pain_1h": 4,
        },
    )
    result = _sweep(AbandonedSweeper(engine=engine), T + dt.timedelta(hours=3))
    assert result.evaluated == 1
    assert len(_clinician_messages(engine)) == 1
    assert _progress(engine, progress_id).status == "done"


def test_harmless_abandoned_answers_stay_open_and_unsent(engine: Engine) -> None:
    athlete_id = _athlete(engine)
    progress_id = _leave_session_report(engine, athlete_id, {"completion": "full", "pain_max": 2})
    sweeper = AbandonedSweeper(engine=engine)
    first = _sweep(sweeper, T + dt.timedelta(hours=3))
    second = _sweep(sweeper, T + dt.timedelta(hours=20))
    assert (first.evaluated, first.harmless) == (0, 1)
    assert (second.evaluated, second.harmless) == (0, 1)
    progress = _progress(engine, progress_id)
    assert progress.status == "open"
    assert progress.answers["pain_max"] == 2
    assert progress.updated_at == T  # untouched: it expires as it always did
    assert _clinician_messages(engine) == [] and _athlete_messages(engine) == []
    with session_scope(engine, read_only=True) as session:
        reports = session.exec(select(SessionReportRecord)).all()
        assert [r.local_date for r in reports] == [dt.date(2026, 3, 9)]  # yesterday's only
        assert session.exec(select(AuditLog).where(AuditLog.action == AUDIT_ACTION)).all() == []


def test_an_athlete_who_came_back_is_not_overtaken(engine: Engine) -> None:
    """Answering again restarts the idle time: the sweep waits for a new idle period."""
    athlete_id = _athlete(engine)
    progress_id = _leave_session_report(engine, athlete_id, {"completion": "full", "pain_max": 6})
    back = T + dt.timedelta(hours=1, minutes=50)
    with session_scope(engine) as session:
        person = session.get(Person, athlete_id)
        assert person is not None
        env = svc.Env(now=back, notify=NOTIFY)
        progress = svc.open_progress(session, person, back)
        assert progress is not None
        [where] = [q for q in QUESTIONNAIRES["session"].questions if q.key == "pain_location"]
        svc.answer(session, person, progress, where, "injured_spot", "Injured spot", env)
    not_yet = T + dt.timedelta(hours=2, minutes=5)
    assert _sweep(AbandonedSweeper(engine=engine), not_yet).evaluated == 0
    assert _progress(engine, progress_id).status == "open"
    assert _sweep(AbandonedSweeper(engine=engine), back + dt.timedelta(hours=2)).evaluated == 1
    assert len(_clinician_messages(engine)) == 1


def test_two_processes_sweeping_at_once_evaluate_once(engine: Engine) -> None:
    athlete_id = _athlete(engine)
    _leave_session_report(engine, athlete_id, {"completion": "full", "pain_max": 7})
    at = T + dt.timedelta(hours=2, minutes=30)
    other = make_engine(engine.url.render_as_string(hide_password=False))
    results: list[AbandonedResult] = []
    start = threading.Barrier(2)

    def run(eng: Engine) -> None:
        start.wait()
        results.append(_sweep(AbandonedSweeper(engine=eng), at))

    threads = [threading.Thread(target=run, args=(e,)) for e in (engine, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    other.dispose()
    assert sorted(r.evaluated for r in results) == [0, 1]
    assert len(_clinician_messages(engine)) == 1
    with session_scope(engine, read_only=True) as session:
        assert len(session.exec(select(AuditLog).where(AuditLog.action == AUDIT_ACTION)).all()) == 1


async def test_the_job_registered_with_the_scheduler_alerts_the_clinician(tmp_path: Path) -> None:
    """The job installed next to the tick, on the real Application: the clinician's chat gets
    the alert after the athlete walked away, once."""
    from bot.app import build_application

    engine = make_engine(f"sqlite:///{tmp_path / 'abandoned.sqlite3'}")
    create_all_for_tests(engine)
    clock = FakeClock(T)
    settings = Settings(_env_file=None)
    services = Services(settings=settings, clock=clock, engine=engine)
    athlete_id = _athlete(engine)
    _leave_session_report(engine, athlete_id, {"completion": "full", "pain_max": 6})
    async with BotApiSandbox(clock=clock) as sandbox:
        sandbox.user(CLINICIAN_TG, "Kim")
        sandbox.user(ATHLETE_TG, "Alex")
        app = build_application(
            settings,
            services=services,
            base_url=sandbox.base_url,
            token=sandbox.token,
            handler_modules=[],
        )
        install_scheduling(app, services)
        assert app.job_queue is not None
        [job] = app.job_queue.get_jobs_by_name(ABANDONED_JOB)
        async with app:
            clock.set(T + dt.timedelta(hours=2, minutes=10))
            await job.run(app)
            await job.run(app)
            kicks = app.bot_data.get("sprintback.kicks", set())
            while kicks:
                for task in list(kicks):
                    await task
            received = [m.text or "" for m in sandbox.transcript(CLINICIAN_TG)]
            assert len(received) == 1 and "Alex" in received[0]
            told = [m.text or "" for m in sandbox.transcript(ATHLETE_TG)]
            assert len(told) == 1 and "from your unfinished" in told[0]
    engine.dispose()


def test_a_red_report_still_open_next_morning_counts_for_its_own_day(engine: Engine) -> None:
    """Left open overnight (the athlete never came back), the report is evaluated for the
    day it was about, not the day of the sweep."""
    athlete_id = _athlete(engine)
    progress_id = _leave_session_report(engine, athlete_id, {"completion": "full", "pain_max": 6})
    next_morning = dt.datetime(2026, 3, 11, 7, 0, tzinfo=dt.UTC)
    assert _sweep(AbandonedSweeper(engine=engine), next_morning).evaluated == 1
    assert len(_clinician_messages(engine)) == 1
    assert _progress(engine, progress_id).status == "done"
    with session_scope(engine, read_only=True) as session:
        dates = sorted(r.local_date for r in session.exec(select(SessionReportRecord)).all())
    assert dates == [dt.date(2026, 3, 9), TODAY]


def test_a_morning_check_in_left_part_way_without_a_red_flag_stays_open(engine: Engine) -> None:
    athlete_id = _athlete(engine)
    with session_scope(engine) as session:
        person = session.get(Person, athlete_id)
        assert person is not None
        env = svc.Env(now=T, notify=NOTIFY)
        progress, _ = svc.begin(
            session,
            person,
            "morning",
            env,
            answers={"red_flags": [], "pain_rest": 2},
            day=dt.date(2026, 3, 11),
        )
        progress_id = progress.id
    assert progress_id is not None
    result = _sweep(AbandonedSweeper(engine=engine), T + dt.timedelta(hours=5))
    assert (result.evaluated, result.harmless) == (0, 1)
    assert _progress(engine, progress_id).status == "open"
    assert _clinician_messages(engine) == []
