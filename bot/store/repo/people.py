"""People (athletes, clinicians, admins), their settings, consents and who may see whom."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Collection
from typing import Any, Literal

from sqlmodel import Session, col, select

from bot.store.models import ROLES, Consent, Link, Person, Programme
from bot.store.repo._common import NotFoundError, StoreError, require_aware
from bot.support.i18n import LANGUAGES, _, is_supported
from bot.support.limits import clean_name, name_key

Role = Literal["athlete", "clinician", "admin"]
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_UNSET: Any = object()


def validate_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone, else raise a StoreError saying so."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise StoreError(
            f"unknown time zone {name!r}: expected an IANA name such as 'Europe/Berlin'"
        ) from None
    return name


def validate_language(code: str) -> str:
    """Return ``code`` if Sprintback speaks it (``bot.support.i18n.LANGUAGES``), else raise a
    StoreError naming the languages it speaks."""
    if not is_supported(code):
        raise StoreError(f"unknown language {code!r}: expected one of {', '.join(LANGUAGES)}")
    return code


def validate_local_time(name: str, value: str) -> str:
    """Return ``value`` if it is a local time "HH:MM" (24 h), else raise a StoreError."""
    if not _HH_MM.match(value):
        raise StoreError(f"{name} must be a 24-hour local time 'HH:MM', got {value!r}")
    return value


def utc_offset_minutes(when: dt.datetime, timezone: str) -> int:
    """Return the offset from UTC, in minutes, of ``timezone`` at the instant ``when``."""
    offset = require_aware("when", when).astimezone(zoneinfo.ZoneInfo(timezone)).utcoffset()
    assert offset is not None  # an aware datetime always has one
    return int(offset.total_seconds() // 60)


def create_person(
    session: Session,
    *,
    role: Role,
    telegram_user_id: int,
    now: dt.datetime,
    chat_id: int | None = None,
    display_name: str = "",
    language: str = "en",
    timezone: str = "UTC",
    checkin_time: str | None = None,
    session_end_time: str | None = None,
) -> Person:
    """Create a person; the Telegram user id must not be registered yet. The name is stored
    as it may be shown to others (``bot.limits.clean_name``: one line, no control or
    bidirectional control characters)."""
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    if get_person_by_telegram_id(session, telegram_user_id=telegram_user_id) is not None:
        raise StoreError(f"Telegram user {telegram_user_id} is already registered")
    person = Person(
        role=role,
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        display_name=clean_name(display_name),
        language=validate_language(language),
        timezone=validate_timezone(timezone),
        checkin_time=None
        if checkin_time is None
        else validate_local_time("checkin_time", checkin_time),
        session_end_time=None
        if session_end_time is None
        else validate_local_time("session_end_time", session_end_time),
        created_at=require_aware("now", now),
    )
    session.add(person)
    session.flush()
    return person


def get_person(session: Session, *, person_id: int) -> Person | None:
    """Return the person with this id, or None."""
    return session.get(Person, person_id)


def require_person(session: Session, *, person_id: int, role: Role | None = None) -> Person:
    """Return the person with this id (of ``role`` if given), or raise NotFoundError."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError(f"no person with id {person_id}")
    if role is not None and person.role != role:
        raise StoreError(f"person {person_id} has role {person.role!r}, expected {role!r}")
    return person


def get_person_by_telegram_id(session: Session, *, telegram_user_id: int) -> Person | None:
    """Return the person registered with this Telegram user id, or None."""
    return session.exec(select(Person).where(Person.telegram_user_id == telegram_user_id)).first()


def list_people(session: Session, *, role: Role | None = None) -> list[Person]:
    """Return everyone (or everyone with ``role``), by id."""
    query = select(Person).order_by(col(Person.id))
    if role is not None:
        query = query.where(Person.role == role)
    return list(session.exec(query))


def athlete_names_in_view(
    session: Session, *, viewer: Person | None, admin: bool = False
) -> dict[int, str]:
    """Return the names (by athlete id) of the athletes ``viewer`` has in view, as /athletes
    lists them: a clinician's linked athletes; every athlete for an admin (``admin``: their
    Telegram id is in the setting) who is not a clinician; nobody for anyone else (an athlete
    sees only themselves)."""
    query = select(Person.id, Person.display_name).where(Person.role == "athlete")
    if viewer is not None and viewer.role == "clinician":
        query = query.join(Link, col(Link.athlete_id) == col(Person.id)).where(
            Link.clinician_id == viewer.id
        )
    elif not admin:
        return {}
    return {athlete_id: name or "" for athlete_id, name in session.exec(query) if athlete_id}


def shares_name(
    session: Session, *, person: Person, viewer: Person | None, admin: bool = False
) -> bool:
    """Tell whether another athlete that ``viewer`` has in view (:func:`athlete_names_in_view`)
    has the same name as ``person`` (compared by ``bot.support.limits.name_key``): then the
    viewer reads the number beside the name. An athlete the viewer does not see never counts,
    so the number never tells that such an athlete exists."""
    key = name_key(person.display_name or "")
    if not key:
        return False
    others = athlete_names_in_view(session, viewer=viewer, admin=admin)
    return any(name_key(name) == key for i, name in others.items() if i != person.id)


def numbered(name: str, athlete_id: int, clash: bool) -> str:
    """Return "Sam", or "Sam (#3)" when another athlete the reader sees shares the name."""
    return f"{name} (#{athlete_id})" if clash else name


def label_in_view(
    session: Session, *, athlete: Person, viewer: Person | None, admin: bool = False
) -> str:
    """Return ``athlete`` as ``viewer`` reads them (as the cards do): "Sam", "Sam (#3)" when
    another athlete the viewer has in view shares the name (:func:`shares_name`), "Athlete
    #3" (in the current language) when the athlete has no name."""
    assert athlete.id is not None
    if not athlete.display_name:
        return _("Athlete #{number}").format(number=athlete.id)
    clash = shares_name(session, person=athlete, viewer=viewer, admin=admin)
    return numbered(athlete.display_name, athlete.id, clash)


def update_person(
    session: Session,
    *,
    person_id: int,
    role: Role = _UNSET,
    chat_id: int | None = _UNSET,
    display_name: str = _UNSET,
    language: str = _UNSET,
    timezone: str = _UNSET,
    checkin_time: str | None = _UNSET,
    session_end_time: str | None = _UNSET,
    paused: bool = _UNSET,
    unreachable: bool = _UNSET,
) -> Person:
    """Change the given settings of a person (others stay) and return it (a name is cleaned
    as in :func:`create_person`)."""
    person = require_person(session, person_id=person_id)
    if display_name is not _UNSET:
        display_name = clean_name(display_name)
    if role is not _UNSET:
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
        person.role = role
    if timezone is not _UNSET:
        person.timezone = validate_timezone(timezone)
    if language is not _UNSET:
        person.language = validate_language(language)
    if checkin_time is not _UNSET:
        person.checkin_time = (
            None if checkin_time is None else validate_local_time("checkin_time", checkin_time)
        )
    if session_end_time is not _UNSET:
        person.session_end_time = (
            None
            if session_end_time is None
            else validate_local_time("session_end_time", session_end_time)
        )
    for name, value in (
        ("chat_id", chat_id),
        ("display_name", display_name),
        ("paused", paused),
        ("unreachable", unreachable),
    ):
        if value is not _UNSET:
            setattr(person, name, value)
    session.add(person)
    session.flush()
    return person


def set_language(session: Session, *, person_id: int, language: str, chosen: bool = True) -> Person:
    """Change the language a person reads Sprintback in (one of
    ``bot.support.i18n.LANGUAGES``; anything else raises a StoreError) and return them.

    ``chosen``: the person picked it (it stays until they pick another); False when it
    follows their Telegram app's language, which they have not overridden.
    """
    person = update_person(session, person_id=person_id, language=language)
    person.language_chosen = chosen
    session.add(person)
    session.flush()
    return person


def language_of(session: Session, *, person_id: int) -> str | None:
    """Return the language a person reads Sprintback in, or None if there is no such person
    (one column read: for code that builds a text for someone it has not loaded)."""
    return session.exec(select(Person.language).where(Person.id == person_id)).first()


def record_consent(
    session: Session,
    *,
    person_id: int,
    kind: str,
    text_version: str,
    granted: bool,
    now: dt.datetime,
) -> Consent:
    """Record that a person gave (or refused) consent ``kind`` to text ``text_version``."""
    require_person(session, person_id=person_id)
    consent = Consent(
        person_id=person_id,
        kind=kind,
        text_version=text_version,
        granted=granted,
        at=require_aware("now", now),
    )
    session.add(consent)
    session.flush()
    return consent


def withdraw_consent(session: Session, *, person_id: int, kind: str, now: dt.datetime) -> int:
    """Mark every standing consent of ``kind`` as withdrawn; return how many were."""
    rows = session.exec(
        select(Consent).where(
            Consent.person_id == person_id,
            Consent.kind == kind,
            Consent.granted == True,  # noqa: E712 (SQL expression)
            col(Consent.withdrawn_at).is_(None),
        )
    ).all()
    for row in rows:
        row.withdrawn_at = require_aware("now", now)
        session.add(row)
    session.flush()
    return len(rows)


def has_consent(session: Session, *, person_id: int, kind: str) -> bool:
    """Tell whether the person's latest answer to consent ``kind`` is a standing yes."""
    latest = session.exec(
        select(Consent)
        .where(Consent.person_id == person_id, Consent.kind == kind)
        .order_by(col(Consent.at).desc(), col(Consent.id).desc())
    ).first()
    return latest is not None and latest.granted and latest.withdrawn_at is None


def has_signed_up(session: Session, *, person_id: int) -> bool:
    """Tell whether an athlete has consented or had a programme (onboarded at some point),
    rather than only having sent /start."""
    consented = session.exec(select(Consent.id).where(Consent.person_id == person_id)).first()
    programme = session.exec(select(Programme.id).where(Programme.athlete_id == person_id)).first()
    return consented is not None or programme is not None


def can_view(
    session: Session,
    *,
    viewer_id: int,
    athlete_id: int,
    admin_telegram_ids: Collection[int] = (),
) -> bool:
    """Tell whether ``viewer_id`` may see ``athlete_id``'s data.

    Only the athlete, a clinician linked to them, or an admin may; an admin is a person whose
    Telegram id is in ``admin_telegram_ids`` (the setting), whatever role is stored.
    """
    if viewer_id == athlete_id:
        return True
    viewer = session.get(Person, viewer_id)
    if viewer is None:
        return False
    if viewer.telegram_user_id in admin_telegram_ids:
        return True
    if viewer.role != "clinician":
        return False
    link = session.exec(
        select(Link.id).where(Link.athlete_id == athlete_id, Link.clinician_id == viewer_id)
    ).first()
    return link is not None
