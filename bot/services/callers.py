"""Who is asking, and which athlete they mean: the caller from the store, admins' own rows.

The staff handlers (clinician, admin, invites, reports) turn an update's Telegram id into a
:class:`~bot.services.access.Caller` here before asking ``bot.services.access``; an athlete
reference typed by a clinician (a number or a name) is resolved only among the athletes the
caller may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import Session

from bot.services.access import Caller, make_caller
from bot.store.models import Person
from bot.store.repo.links import athletes_of
from bot.store.repo.people import create_person, get_person_by_telegram_id, list_people


def caller_of(
    session: Session, telegram_id: int, admin_telegram_ids: Iterable[int]
) -> tuple[Caller, Person | None]:
    """Return the caller (role, links, admin flag) and their stored person, if any."""
    person = get_person_by_telegram_id(session, telegram_user_id=telegram_id)
    linked: list[int] = []
    if person is not None and person.role == "clinician" and person.id is not None:
        linked = [a.id for a in athletes_of(session, clinician_id=person.id) if a.id is not None]
    caller = make_caller(
        telegram_id,
        person.id if person else None,
        person.role if person else None,
        admin_telegram_ids,
        linked,
    )
    return caller, person


def ensure_admin_person(
    session: Session,
    telegram_id: int,
    name: str,
    person: Person | None,
    now: dt.datetime,
    timezone: str = "UTC",
) -> Person:
    """Return the admin's stored person, creating one (role admin, in ``timezone``: pass the
    deployment's DEFAULT_TIMEZONE) on first use."""
    if person is not None:
        return person
    return create_person(
        session,
        role="admin",
        telegram_user_id=telegram_id,
        chat_id=telegram_id,
        display_name=name,
        now=now,
        timezone=timezone,
    )


def _parse_athlete_ref(text: str) -> int | str:
    ref = text.strip().lstrip("#")
    return int(ref) if ref.isdigit() else ref


def resolve_athlete(
    session: Session, caller: Caller, ref: str
) -> tuple[Person | None, list[Person]]:
    """Return (athlete, candidates) for a number or a name, only among athletes the caller sees.

    A number is taken as the athlete's id as is, so the access check refuses an unlinked id
    the same way as a missing one. A name matches the caller's visible athletes only.
    """
    parsed = _parse_athlete_ref(ref)
    if isinstance(parsed, int):
        person = session.get(Person, parsed)
        if person is None or person.role != "athlete":
            return None, []
        return person, [person]
    if caller.is_clinician and not caller.is_admin:
        pool = [p for p in (session.get(Person, i) for i in caller.linked_athlete_ids) if p]
    elif caller.is_admin:
        pool = list_people(session, role="athlete")
    else:
        pool = []
    needle = parsed.lower()
    exact = [p for p in pool if p.display_name.lower() == needle]
    matches = exact or [p for p in pool if needle in p.display_name.lower()]
    return (matches[0] if len(matches) == 1 else None), matches
