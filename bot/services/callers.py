"""Who is asking, and which athlete they mean: the caller from the store, admins' own rows.

The staff handlers (clinician, admin, invites, reports) turn an update's Telegram id into a
:class:`~bot.services.access.Caller` here before asking ``bot.services.access``; an athlete
reference typed by a clinician (a number or a name) is resolved only among the athletes the
caller may see.

Admin rights follow the ADMIN_TELEGRAM_IDS setting alone. At start-up :func:`sync_admins`
gives every configured admin a stored person and audits when someone gains admin rights
(``admin_granted``) or loses them (``admin_revoked``); a person who lost them is told once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import Session, col, select

from bot.services.access import Caller, make_caller
from bot.store.models import AuditLog, Person
from bot.store.repo.audit import audit
from bot.store.repo.links import athletes_of
from bot.store.repo.messaging import enqueue_message
from bot.store.repo.people import create_person, get_person_by_telegram_id, list_people
from bot.support.i18n import N_, _, current_language, use_language
from bot.support.limits import name_key

# The name of an admin stored from the ADMIN_TELEGRAM_IDS setting before they wrote to the bot.
ADMIN_PLACEHOLDER = "Admin"
ADMIN_GRANTED = "admin_granted"
ADMIN_REVOKED = "admin_revoked"
ADMIN_REVOKED_KIND = "admin_revoked_notice"
# English id, translated in the reader's language when it is queued.
ADMIN_REVOKED_TEXT = N_(
    "Your admin rights on Sprintback have ended: your Telegram account is no longer in this "
    "deployment's list of admins, so admin commands no longer work for you. If this is a "
    "mistake, ask the person who runs Sprintback to add you again."
)
# A row id is at most a 64-bit integer: a larger number typed as an athlete's is nobody's (and
# the database would refuse to compare with it).
MAX_ROW_ID = 2**63 - 1


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
    language: str | None = None,
) -> Person:
    """Return the admin's stored person, creating one (role admin, in ``timezone``: pass the
    deployment's DEFAULT_TIMEZONE; in ``language``, by default the update's, i.e. their
    Telegram app's) on first use."""
    if person is not None:
        # Admins stored at start-up from the setting have no name yet (ADMIN_PLACEHOLDER):
        # the first update from them gives it, so the protocol history can say who wrote what.
        if person.display_name == ADMIN_PLACEHOLDER and name and name != ADMIN_PLACEHOLDER:
            person.display_name = name
            session.add(person)
        return person
    return create_person(
        session,
        role="admin",
        telegram_user_id=telegram_id,
        chat_id=telegram_id,
        display_name=name,
        now=now,
        timezone=timezone,
        language=language or current_language(),
    )


def _parse_athlete_ref(text: str) -> int | str | None:
    """Return the athlete number typed (ASCII digits), the name typed, or None for a number
    that cannot be anyone's (beyond the row ids the database holds)."""
    ref = text.strip().lstrip("#")
    if ref.isascii() and ref.isdigit():
        number = int(ref)
        return number if 0 < number <= MAX_ROW_ID else None
    return ref


def resolve_athlete(
    session: Session, caller: Caller, ref: str
) -> tuple[Person | None, list[Person]]:
    """Return (athlete, candidates) for a number or a name, only among athletes the caller sees.

    A number is taken as the athlete's id as is, so the access check refuses an unlinked id
    the same way as a missing one. A name matches the caller's visible athletes only.
    """
    parsed = _parse_athlete_ref(ref)
    if parsed is None:
        return None, []
    if isinstance(parsed, int):
        person = session.get(Person, parsed)
        if person is None or person.role != "athlete":
            return None, []
        return person, [person]
    if caller.is_clinician and not caller.is_admin:
        ids = sorted(caller.linked_athlete_ids)  # matches are listed by number
        pool = [p for p in (session.get(Person, i) for i in ids) if p]
    elif caller.is_admin:
        pool = list_people(session, role="athlete")
    else:
        pool = []
    # Compared as clashing names are (limits.name_key): "anna" finds "Anna" and "ANNA", and an
    # invisible character typed or stored makes no difference.
    needle = name_key(parsed)
    if not needle:
        return None, []
    keys = [(p, name_key(p.display_name)) for p in pool]
    exact = [p for p, key in keys if key == needle]
    matches = exact or [p for p, key in keys if needle in key]
    return (matches[0] if len(matches) == 1 else None), matches


def match_lines(matches: Iterable[Person]) -> str:
    """Return athletes who match a typed name, one per line, each with their number first
    ("#2 Anna"): a name cannot pass for another entry of the list."""
    return "\n".join(f"#{m.id} {m.display_name}" for m in matches)


def _admin_history(session: Session) -> dict[int, str]:
    """Return, per stored person, the last admin change audited for them (granted/revoked)."""
    rows = session.exec(
        select(AuditLog)
        .where(col(AuditLog.action).in_((ADMIN_GRANTED, ADMIN_REVOKED)))
        .order_by(col(AuditLog.id))
    ).all()
    last: dict[int, str] = {}
    for row in rows:
        person_id = row.detail.get("person_id")
        if isinstance(person_id, int):
            last[person_id] = row.action
    return last


def sync_admins(
    session: Session, admin_telegram_ids: Iterable[int], now: dt.datetime, timezone: str
) -> list[Person]:
    """Make the stored admins follow the setting, at start-up; return who lost admin rights.

    Every configured admin gets a stored person (role admin, in ``timezone``) and an
    ``admin_granted`` audit entry the first time. Whoever had admin rights (a grant audited
    last, or a stored admin from before this audit existed) and is no longer configured gets
    an ``admin_revoked`` entry and, once, a message saying so (queued in the outbox).
    """
    configured = set(admin_telegram_ids)
    history = _admin_history(session)
    for telegram_id in sorted(configured):
        person = ensure_admin_person(
            session,
            telegram_id,
            ADMIN_PLACEHOLDER,
            get_person_by_telegram_id(session, telegram_user_id=telegram_id),
            now,
            timezone,
        )
        assert person.id is not None
        if history.get(person.id) != ADMIN_GRANTED:
            audit(
                session,
                actor_id=None,
                action=ADMIN_GRANTED,
                now=now,
                detail={"person_id": person.id, "telegram_id": telegram_id},
            )
    revoked: list[Person] = []
    for person in list_people(session):
        assert person.id is not None
        had_rights = history.get(person.id) == ADMIN_GRANTED or (
            person.id not in history and person.role == "admin"
        )
        if not had_rights or person.telegram_user_id in configured:
            continue
        audit(
            session,
            actor_id=None,
            action=ADMIN_REVOKED,
            now=now,
            detail={"person_id": person.id, "telegram_id": person.telegram_user_id},
        )
        with use_language(person.language):
            notice = _(ADMIN_REVOKED_TEXT)
        enqueue_message(
            session,
            chat_id=person.reply_chat,
            text=notice,
            kind=ADMIN_REVOKED_KIND,
            now=now,
            person_id=person.id,
        )
        revoked.append(person)
    return revoked
