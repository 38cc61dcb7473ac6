"""People, invites, links and who may see an athlete's data."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from bot.store import db, repo
from tests.store.factories import T0, person


def test_telegram_ids_beyond_32_bits_and_settings_round_trip(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        p = repo.create_person(
            s,
            role="athlete",
            telegram_user_id=7_123_456_789,
            chat_id=-1_001_234_567_890,
            timezone="America/Sao_Paulo",
            checkin_time="06:45",
            now=T0,
        )
    with db.session_scope(engine) as s:
        found = repo.get_person_by_telegram_id(s, telegram_user_id=7_123_456_789)
        assert found is not None and found.id == p.id
        assert (found.chat_id, found.timezone, found.checkin_time) == (
            -1_001_234_567_890,
            "America/Sao_Paulo",
            "06:45",
        )
        repo.update_person(s, person_id=p.id, checkin_time="08:00", paused=True)
    with db.session_scope(engine) as s:
        again = repo.get_person(s, person_id=p.id)
        assert again is not None and (again.checkin_time, again.paused, again.timezone) == (
            "08:00",
            True,
            "America/Sao_Paulo",
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Berlin"}, "unknown time zone 'Berlin': expected an IANA name"),
        ({"checkin_time": "7:30"}, "checkin_time must be a 24-hour local time 'HH:MM', got '7:30'"),
        ({"role": "coach"}, "unknown role 'coach'"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(
    engine: Engine, changes: dict[str, str], message: str
) -> None:
    with db.session_scope(engine) as s:
        p = person(s)
    with pytest.raises(repo.StoreError, match=message), db.session_scope(engine) as s:
        repo.update_person(s, person_id=p.id, **changes)  # type: ignore[arg-type]


def test_a_telegram_user_registers_once(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        p = person(s)
    with pytest.raises(repo.StoreError, match="already registered"), db.session_scope(engine) as s:
        repo.create_person(s, role="athlete", telegram_user_id=p.telegram_user_id, now=T0)


def test_athlete_invite_links_once_and_explains_every_failure(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician")
        other_clinician = person(s, "clinician")
        alice, bob = person(s, name="Alice"), person(s, name="Bob")
        invite = repo.create_invite(
            s,
            kind="athlete",
            created_by=clinician.id,
            clinician_id=clinician.id,
            now=T0,
            ttl=dt.timedelta(hours=1),
        )
        expiring = repo.create_invite(
            s,
            kind="athlete",
            created_by=clinician.id,
            clinician_id=clinician.id,
            now=T0,
            ttl=dt.timedelta(hours=1),
        )
    with db.session_scope(engine) as s:
        repo.redeem_invite(s, code=invite.code, person_id=alice.id, now=T0)

    def failure(code: str, person_id: int, now: dt.datetime) -> str:
        with pytest.raises(repo.InviteError) as err, db.session_scope(engine) as s:
            repo.redeem_invite(s, code=code, person_id=person_id, now=now)
        return err.value.reason

    assert failure(invite.code, bob.id, T0) == "used"
    assert failure("no-such-code", bob.id, T0) == "unknown"
    assert failure(expiring.code, bob.id, T0 + dt.timedelta(hours=2)) == "expired"
    assert failure(expiring.code, other_clinician.id, T0) == "wrong_role"
    with db.session_scope(engine, read_only=True) as s:
        assert [p.id for p in repo.athletes_of(s, clinician_id=clinician.id)] == [alice.id]
        assert [p.id for p in repo.clinicians_of(s, athlete_id=alice.id)] == [clinician.id]
        assert repo.athletes_of(s, clinician_id=other_clinician.id) == []


def test_clinician_invite_makes_a_clinician(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        admin = person(s, "admin")
        newcomer = person(s)
        invite = repo.create_invite(s, kind="clinician", created_by=admin.id, now=T0)
        repo.redeem_invite(s, code=invite.code, person_id=newcomer.id, now=T0)
    with db.session_scope(engine) as s:
        assert repo.require_person(s, person_id=newcomer.id).role == "clinician"


def test_only_the_athlete_a_linked_clinician_or_an_admin_can_view(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete, other_athlete = person(s), person(s)
        linked, unlinked = person(s, "clinician"), person(s, "clinician")
        admin, former_admin = person(s, "admin"), person(s, "admin")
        repo.link_athlete(s, athlete_id=athlete.id, clinician_id=linked.id, now=T0)
        admins = {admin.telegram_user_id}
    with db.session_scope(engine, read_only=True) as s:
        allowed = {
            name: repo.can_view(
                s, viewer_id=viewer.id, athlete_id=athlete.id, admin_telegram_ids=admins
            )
            for name, viewer in {
                "self": athlete,
                "other athlete": other_athlete,
                "linked": linked,
                "unlinked": unlinked,
                "admin": admin,
                "stored admin no longer in the setting": former_admin,
            }.items()
        }
        assert repo.can_view(s, viewer_id=999_999, athlete_id=athlete.id) is False
    assert allowed == {
        "self": True,
        "other athlete": False,
        "linked": True,
        "unlinked": False,
        "admin": True,
        "stored admin no longer in the setting": False,
    }
    with db.session_scope(engine) as s:
        assert repo.unlink_athlete(s, athlete_id=athlete.id, clinician_id=linked.id)
    with db.session_scope(engine, read_only=True) as s:
        assert not repo.can_view(s, viewer_id=linked.id, athlete_id=athlete.id)


def test_consent_can_be_given_and_withdrawn(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        p = person(s)
        assert not repo.has_consent(s, person_id=p.id, kind="data_processing")
        repo.record_consent(
            s, person_id=p.id, kind="data_processing", text_version="1", granted=True, now=T0
        )
        assert repo.has_consent(s, person_id=p.id, kind="data_processing")
        assert repo.withdraw_consent(s, person_id=p.id, kind="data_processing", now=T0) == 1
        assert not repo.has_consent(s, person_id=p.id, kind="data_processing")
