"""What a clinician and an admin wait for, on a SQLite store with many athletes.

Builds N athletes linked to one clinician, each with D days of morning check-ins and a
session every other day, then times (median and max over repeats, ms):
- the /athletes overview (every linked athlete's line), batched (a handful of queries for all
  athletes, as /athletes runs) and, for comparison, one athlete at a time;
- one /athlete card's stage status (the engine replays the athlete's history);
- notifying a new alert (render + signed buttons for every linked clinician, outbox);
- the escalation job over A open urgent alerts;
- /protocol dryrun (the examples and every athlete's last 60 days, active vs draft).

    .venv/bin/python bench/bench_clinician.py [--athletes 50] [--days 60]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import select

from bot.services import protocol_admin as pa
from bot.services.callback_auth import CallbackSigner, derive_secret
from bot.services.clinician.escalation import notify_new_alerts, run_escalations
from bot.services.clinician.overview import athlete_summaries, athlete_summary, athletes_by_id
from bot.store.db import create_all_for_tests, make_engine, session_scope
from bot.store.models import Person, Programme
from bot.store.repo.alerts import raise_alert
from bot.store.repo.answers import upsert_morning_checkin, upsert_session_report
from bot.store.repo.links import link_athlete
from bot.store.repo.people import create_person
from bot.store.repo.programme import add_injury, start_programme
from bot.store.standing import athlete_stage_status
from engine.models import Alert, Injury, MorningCheckIn, SessionReport

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Return (median, max) milliseconds of ``fn`` over ``repeats`` runs."""
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def build(url: str, athletes: int, days: int) -> tuple[int, list[int]]:
    engine = make_engine(url)
    create_all_for_tests(engine)
    start = NOW.date() - dt.timedelta(days=days)
    ids: list[int] = []
    with session_scope(engine) as session:
        clinician = create_person(
            session, role="clinician", telegram_user_id=1, display_name="Lee", now=NOW
        )
        assert clinician.id is not None
        for i in range(athletes):
            person = create_person(
                session,
                role="athlete",
                telegram_user_id=1000 + i,
                chat_id=1000 + i,
                display_name=f"Athlete {i:03d}",
                now=NOW,
            )
            assert person.id is not None
            ids.append(person.id)
            link_athlete(session, athlete_id=person.id, clinician_id=clinician.id, now=NOW)
            add_injury(
                session,
                athlete_id=person.id,
                injury=Injury(injury="hamstring", side="left", grade=1, injury_date=start),
                now=NOW,
            )
            start_programme(
                session,
                athlete_id=person.id,
                protocol_name="hamstring",
                protocol_version=1,
                first_stage="H1",
                start_date=start,
                now=NOW,
            )
            for d in range(days):
                day = start + dt.timedelta(days=d)
                answered = dt.datetime.combine(day, dt.time(7), tzinfo=dt.UTC)
                upsert_morning_checkin(
                    session,
                    athlete_id=person.id,
                    local_date=day,
                    answers=MorningCheckIn(
                        red_flags=[],
                        pain_rest=0,
                        pain_test=1,
                        tightness=1,
                        confidence=8,
                        sleep_quality=2,
                        fatigue=2,
                        stress=2,
                        soreness=2,
                        sleep_hours=7.5,
                    ),
                    answered_at=answered,
                    utc_offset_minutes=0,
                )
                if d % 2 == 0:
                    upsert_session_report(
                        session,
                        athlete_id=person.id,
                        local_date=day,
                        answers=SessionReport.model_validate(
                            {
                                "completion": "full",
                                "pain_max": 0,
                                "sharp_pain": False,
                                "tightness": 1,
                                "confidence": 8,
                                "rpe": 4,
                                "minutes": 40,
                                "checks": {
                                    "walk_pain": 0,
                                    "single_leg_squat_pain": 0,
                                    "bike_pain": 0,
                                    "knee_extension_full": True,
                                },
                            }
                        ),
                        answered_at=answered + dt.timedelta(hours=8),
                        utc_offset_minutes=0,
                    )
        pa.known_names(session, NOW)
    engine.dispose()
    return clinician.id, ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=50)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        _clinician, ids = build(url, args.athletes, args.days)
        print(
            f"setup: {args.athletes} athletes x {args.days} days in "
            f"{time.perf_counter() - t0:.1f} s (SQLite)"
        )
        engine = make_engine(url)
        signer = CallbackSigner(derive_secret("1:bench"))

        def overview() -> None:
            with session_scope(engine, read_only=True) as session:
                athlete_summaries(session, athletes_by_id(session, ids), NOW)

        def overview_one_by_one() -> None:
            with session_scope(engine, read_only=True) as session:
                for athlete_id in ids:
                    person = session.get(Person, athlete_id)
                    assert person is not None
                    athlete_summary(session, person, NOW)

        def card() -> None:
            with session_scope(engine, read_only=True) as session:
                row = session.exec(select(Programme).where(Programme.athlete_id == ids[0])).first()
                assert row is not None
                protocol = pa.programme_protocol(session, row, NOW)
                assert protocol is not None
                athlete_stage_status(session, row, protocol, NOW.date())

        counter = iter(range(10**6))

        def notify() -> None:
            with session_scope(engine) as session:
                athlete = ids[next(counter) % len(ids)]
                raise_alert(
                    session,
                    athlete_id=athlete,
                    alert=Alert(severity="within_24h", rule="bench", text="bench alert"),
                    now=NOW,
                )
                notify_new_alerts(session, athlete, NOW, signer, [9000])

        def escalate() -> None:
            with session_scope(engine) as session:
                run_escalations(session, NOW + dt.timedelta(minutes=31), signer, [9000])

        def dryrun() -> None:
            with session_scope(engine, read_only=True) as session:
                draft = pa.draft_from_set(session, "hamstring", "H3", "min_days.value", "6", NOW)
                pa.dry_run_draft(session, draft, NOW.date(), NOW)

        with session_scope(engine) as session:
            for athlete_id in ids:
                raise_alert(
                    session,
                    athlete_id=athlete_id,
                    alert=Alert(severity="emergency", rule="bench", text="urgent"),
                    now=NOW,
                )
        results = [
            (f"/athletes overview ({len(ids)} athletes, batched)", overview, args.repeats),
            (
                f"/athletes overview ({len(ids)} athletes, one by one)",
                overview_one_by_one,
                args.repeats,
            ),
            (f"/athlete card stage status ({args.days}-day replay)", card, args.repeats),
            ("notify one new alert", notify, args.repeats * 4),
            (f"escalation job ({len(ids)} open emergencies, first run re-sends)", escalate, 1),
            ("escalation job (nothing due)", escalate, args.repeats),
            (f"/protocol dryrun (examples + {len(ids)} athletes)", dryrun, 1),
        ]
        for label, fn, repeats in results:
            median, worst = timed(fn, repeats)
            print(f"{label}: median {median:.1f} ms, max {worst:.1f} ms (n={repeats})")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
