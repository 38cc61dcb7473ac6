"""Programmes, stage history, decisions, alerts, protocol versions, overview queries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from bot.store import db, repo
from engine.models import Alert, Reason
from tests.store.factories import DAY0, MORNING, T0, full_athlete, person


def test_stage_history_records_who_moved_it(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete, clinician = person(s), person(s, "clinician")
        prog = repo.start_programme(
            s,
            athlete_id=athlete.id,
            protocol_name="calf",
            protocol_version=2,
            first_stage="S1",
            start_date=DAY0,
            now=T0,
        )
        repo.move_stage(
            s,
            programme_id=prog.id,
            to_stage="S2",
            now=T0 + dt.timedelta(days=3),
            reason="criteria met",
        )
        repo.move_stage(
            s,
            programme_id=prog.id,
            to_stage="S1",
            now=T0 + dt.timedelta(days=4),
            reason="pain 4/10",
            by_person_id=clinician.id,
        )
    with db.session_scope(engine, read_only=True) as s:
        history = repo.stage_history(s, programme_id=prog.id)
        current = repo.get_active_programme(s, athlete_id=athlete.id)
    assert [(h.from_stage, h.to_stage, h.by_person_id) for h in history] == [
        (None, "S1", None),
        ("S1", "S2", None),
        ("S2", "S1", clinician.id),
    ]
    assert current is not None and current.current_stage == "S1"
    with (
        pytest.raises(repo.StoreError, match="already has an active programme"),
        db.session_scope(engine) as s,
    ):
        repo.start_programme(
            s,
            athlete_id=athlete.id,
            protocol_name="calf",
            protocol_version=2,
            first_stage="S1",
            start_date=DAY0,
            now=T0,
        )


def test_decisions_keep_reasons_and_protocol_version(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete = person(s)
        repo.record_decision(
            s,
            athlete_id=athlete.id,
            local_date=DAY0,
            kind="daily",
            outcome="hold",
            decision={
                "decision": "hold",
                "reasons": [
                    Reason(rule="pain_max", observed=4, threshold=2, text="pain above 2/10")
                ],
            },
            protocol_name="hamstring",
            protocol_version=3,
            now=T0,
        )
    with db.session_scope(engine, read_only=True) as s:
        (d,) = repo.decisions_between(s, athlete_id=athlete.id, since=DAY0, until=DAY0)
    assert (d.outcome, d.protocol_name, d.protocol_version) == ("hold", "hamstring", 3)
    assert d.decision["reasons"] == [
        {"rule": "pain_max", "observed": 4, "threshold": 2, "text": "pain above 2/10"}
    ]
    with (
        pytest.raises(repo.StoreError, match="must carry 'reasons'"),
        db.session_scope(engine) as s,
    ):
        repo.record_decision(
            s,
            athlete_id=athlete.id,
            local_date=DAY0,
            kind="daily",
            outcome="hold",
            decision={"decision": "hold"},
            protocol_name="hamstring",
            protocol_version=3,
            now=T0,
        )


def test_alerts_acknowledge_resend_escalate(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete, clinician = person(s), person(s, "clinician")
        red = repo.raise_alert(
            s,
            athlete_id=athlete.id,
            now=T0,
            alert=Alert(severity="emergency", rule="red_flag", text="calf warm and red"),
        )
        info = repo.raise_alert(
            s,
            athlete_id=athlete.id,
            now=T0 + dt.timedelta(hours=2),
            alert=Alert(severity="info", rule="progress", text="moved to S2"),
        )
    hour = T0 + dt.timedelta(hours=1)
    with db.session_scope(engine) as s:
        stale = repo.unacknowledged_older_than(s, before=hour)
        assert [a.id for a in stale] == [red.id]
        repo.mark_alert_resent(s, alert_id=red.id, now=hour)
        repo.mark_alert_escalated(s, alert_id=red.id, now=hour)
        repo.acknowledge_alert(
            s, alert_id=red.id, by_person_id=clinician.id, now=hour, action_taken="called athlete"
        )
    with db.session_scope(engine, read_only=True) as s:
        assert [a.id for a in repo.open_alerts(s, athlete_id=athlete.id)] == [info.id]
        acked = s.get(type(red), red.id)
        assert acked is not None
        assert (acked.acknowledged_by, acked.action_taken, acked.resent_at) == (
            clinician.id,
            "called athlete",
            hour,
        )


def test_protocol_versions_publish_and_roll_back(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        admin = person(s, "admin")
        repo.publish_protocol_version(s, name="hamstring", text="v1 text", author_id=None, now=T0)
        repo.publish_protocol_version(
            s, name="hamstring", text="v2 text", author_id=admin.id, now=T0, note="stricter"
        )
        repo.publish_protocol_version(s, name="calf", text="calf v1", author_id=None, now=T0)
    with db.session_scope(engine) as s:
        active = repo.get_active_protocol(s, name="hamstring")
        assert active is not None and (active.version, active.text) == (2, "v2 text")
        repo.activate_protocol_version(s, name="hamstring", version=1, actor_id=admin.id, now=T0)
    with db.session_scope(engine, read_only=True) as s:
        active = repo.get_active_protocol(s, name="hamstring")
        assert active is not None and active.version == 1
        history = repo.protocol_history(s, name="hamstring")
        assert [(h.version, h.active, h.author_id) for h in history] == [
            (2, False, admin.id),
            (1, True, None),
        ]
        calf = repo.get_active_protocol(s, name="calf")
        assert calf is not None and calf.version == 1
        assert repo.protocol_names(s) == ["calf", "hamstring"]
        actions = [e.action for e in repo.audit_entries(s, actor_id=admin.id)]
        assert actions == ["activate_protocol", "publish_protocol"]
    with (
        pytest.raises(repo.NotFoundError, match="protocol 'hamstring' has no version 9"),
        db.session_scope(engine) as s,
    ):
        repo.activate_protocol_version(s, name="hamstring", version=9, actor_id=admin.id, now=T0)


def test_athlete_status_and_clinician_list(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician")
        alice = full_athlete(s, clinician, name="Alice")
        bob = person(s, name="Bob")
        repo.link_athlete(s, athlete_id=bob.id, clinician_id=clinician.id, now=T0)
        repo.upsert_morning_checkin(
            s,
            athlete_id=alice.id,
            local_date=DAY0 + dt.timedelta(days=2),
            answers=MORNING,
            answered_at=T0,
            utc_offset_minutes=60,
        )
    with db.session_scope(engine, read_only=True) as s:
        status = repo.athlete_status(
            s, athlete_id=alice.id, today=DAY0 + dt.timedelta(days=2), days=7
        )
        summary = repo.clinician_athletes(s, clinician_id=clinician.id)
    assert status.programme is not None and status.programme.current_stage == "S2"
    assert [d.date for d in status.recent_days] == [DAY0, DAY0 + dt.timedelta(days=2)]
    assert [d.outcome for d in status.recent_decisions] == ["progress"]
    assert [a.rule for a in status.open_alerts] == ["r1"]
    assert [
        (a.display_name, a.current_stage, a.last_checkin_date, a.open_alert_count) for a in summary
    ] == [
        ("Alice", "S2", DAY0 + dt.timedelta(days=2), 1),
        ("Bob", None, None, 0),
    ]
