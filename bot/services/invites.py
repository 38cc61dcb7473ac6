"""Invites and links: clinician invites (from an admin), athlete invites (from a clinician),
redeeming them, and an existing athlete's consent to share their data (/link CODE).

Every use, refusal and failure is audited. Codes are one-time and expire after
:data:`INVITE_TTL`; a clinician's invite code starts with :data:`CLINICIAN_CODE_PREFIX`, which
is how ``/start <code>`` tells a clinician's deep link from an athlete's.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.services.timezones import city_label, is_fixed_offset, resolve_staff_zone, zone_refusal
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import Invite, Link, Person, QuestionnaireProgress
from bot.store.repo.audit import audit
from bot.store.repo.links import (
    InviteError,
    create_invite,
    is_withdrawn,
    redeem_invite,
    withdraw_invite,
)
from bot.store.repo.people import (
    create_person,
    get_person_by_telegram_id,
    has_signed_up,
    record_consent,
    update_person,
)
from bot.support.formats import format_time, weekday_name
from bot.support.i18n import L_, _, current_language
from bot.support.limits import quoted

CLINICIAN_CODE_PREFIX = "clin_"
INVITE_TTL = dt.timedelta(days=7)
CONSENT_KIND = "share_with_clinician"
CONSENT_VERSION = "1"
MAX_CODE = 64
# A Share button made before buttons named the account (only the invite): it was made for
# this account only if the account existed by then (the issue time is kept to the minute).
_ISSUE_SLACK = dt.timedelta(minutes=1)
TIMEZONE_USAGE = L_(
    "Send /timezone followed by an IANA time zone or a city, e.g. /timezone Europe/Paris, "
    "/timezone America/New_York or /timezone Tokyo."
)


@dataclass(frozen=True)
class AthleteInvite:
    """A usable athlete invite: the inviting clinician's display name, or None when they have
    none (each sentence then says "your clinician" in its own words: in German or Portuguese
    those take other words around them than a name does)."""

    clinician_name: str | None


def athlete_invite(session: Session, code: str, now: dt.datetime) -> AthleteInvite | None:
    """Return whose invite ``code`` is if it is a valid, unused athlete invite, else None."""
    if not code or len(code) > MAX_CODE:
        return None
    invite = session.exec(select(Invite).where(Invite.code == code)).first()
    if (
        invite is None
        or invite.kind != "athlete"
        or invite.used_at is not None
        or invite.expires_at <= now
        or invite.clinician_id is None
    ):
        return None
    clinician = repo.get_person(session, person_id=invite.clinician_id)
    if clinician is None:
        return None
    return AthleteInvite(_display_name(clinician))


def _display_name(person: Person | None) -> str | None:
    """A person's display name, None when there is none to show."""
    if person is None or not person.display_name or not person.display_name.strip():
        return None
    return person.display_name


def invite_clinician(session: Session, admin: Person, now: dt.datetime) -> Invite:
    """Create a one-time, expiring clinician invite made by ``admin`` (audited)."""
    code = CLINICIAN_CODE_PREFIX + secrets.token_urlsafe(12)
    invite = create_invite(
        session, kind="clinician", created_by=admin.id, now=now, ttl=INVITE_TTL, code=code
    )
    audit(
        session,
        actor_id=admin.id,
        action="invite_clinician",
        now=now,
        detail={"invite_id": invite.id, "expires_at": invite.expires_at.isoformat()},
    )
    return invite


def redeem_clinician_invite(
    session: Session,
    *,
    telegram_id: int,
    chat_id: int,
    name: str,
    code: str,
    now: dt.datetime,
    timezone: str,
    language: str | None = None,
) -> Person:
    """Make the person behind ``telegram_id`` a clinician with ``code`` (creating them in
    ``timezone`` and ``language``, by default the update's, if new); raise InviteError (with
    its reason) if the code cannot be used."""
    person = get_person_by_telegram_id(session, telegram_user_id=telegram_id)
    replaced_signup = False
    if person is None:
        person = create_person(
            session,
            role="clinician",
            telegram_user_id=telegram_id,
            chat_id=chat_id,
            display_name=name,
            now=now,
            timezone=timezone,
            language=language or current_language(),
        )
    elif person.role == "athlete":
        if has_signed_up(session, person_id=person.id or 0):
            raise InviteError("wrong_role", "an athlete account cannot become a clinician")
        # Only /start was sent: their unfinished onboarding gives way to the clinician account.
        _drop_unfinished_onboarding(session, person)
        update_person(session, person_id=person.id or 0, chat_id=chat_id, display_name=name)
        replaced_signup = True
    elif person.role == "clinician" and _usable_invite(session, code, now):
        # A clinician already: opening a colleague's invite (forwarded, or pasted by mistake)
        # must not use it up, or the colleague is turned away and nobody knows why.
        raise InviteError("wrong_role", "a clinician account cannot use a clinician invite")
    redeem_invite(session, code=code, person_id=person.id or 0, now=now)
    detail: dict[str, object] = {"kind": "clinician"}
    if replaced_signup:
        detail["replaced"] = "unfinished athlete sign-up"
    audit(session, actor_id=person.id, action="redeem_invite", now=now, detail=detail)
    return person


def _usable_invite(session: Session, code: str, now: dt.datetime) -> bool:
    """Tell whether ``code`` is an invite that could still be used (unused, not expired)."""
    invite = session.exec(select(Invite).where(Invite.code == code)).first()
    return invite is not None and invite.used_at is None and invite.expires_at > now


def _drop_unfinished_onboarding(session: Session, person: Person) -> None:
    """Delete the questionnaires of someone who never consented (answers given before
    consent are not kept), so that nothing of an athlete sign-up remains."""
    for progress in session.exec(
        select(QuestionnaireProgress).where(QuestionnaireProgress.athlete_id == person.id)
    ).all():
        session.delete(progress)
    session.flush()


def record_invite_refusal(
    engine: Engine, telegram_id: int, reason: str, kind: str, now: dt.datetime
) -> None:
    """Audit, in its own transaction, that an invite could not be used and why."""
    with session_scope(engine) as session:
        person = get_person_by_telegram_id(session, telegram_user_id=telegram_id)
        audit(
            session,
            actor_id=person.id if person else None,
            action="invite_refused",
            now=now,
            detail={"telegram_id": telegram_id, "reason": reason, "kind": kind},
        )


def invite_athlete(session: Session, clinician: Person, now: dt.datetime) -> Invite:
    """Create a one-time athlete invite from ``clinician`` (audited)."""
    invite = create_invite(
        session,
        kind="athlete",
        created_by=clinician.id,
        clinician_id=clinician.id,
        now=now,
        ttl=INVITE_TTL,
    )
    audit(
        session,
        actor_id=clinician.id,
        action="invite_athlete",
        now=now,
        detail={"invite_id": invite.id},
    )
    return invite


@dataclass(frozen=True)
class Withdrawal:
    """What a press of an invite's "Withdraw" button did: ``kind`` is the invite's
    ("athlete" or "clinician"); ``outcome`` is "withdrawn" (nobody can use it from now on),
    "already_withdrawn", "used" (``used_by`` names who used it when the maker may still see
    them, else None) or "expired"."""

    kind: str
    outcome: Literal["withdrawn", "already_withdrawn", "used", "expired"]
    used_by: str | None = None


def withdraw_invitation(
    session: Session,
    *,
    invite_id: int,
    maker_id: int,
    person: Person | None,
    is_admin: bool,
    now: dt.datetime,
) -> Withdrawal | None:
    """Withdraw invite ``invite_id`` for its maker (audited); None, with nothing said about
    the invite, when ``person`` may not: only the account that made it (``maker_id``, named
    by the button), while still a clinician for an athlete invite or an admin for a
    clinician invite."""
    invite = session.get(Invite, invite_id)
    if (
        invite is None
        or person is None
        or person.id != maker_id
        or invite.created_by != person.id
        or not _may_withdraw(invite, person, is_admin)
    ):
        return None
    if withdraw_invite(session, invite_id=invite_id, now=now):
        outcome: Literal["withdrawn", "already_withdrawn", "used", "expired"] = "withdrawn"
    elif invite.used_at is not None:
        outcome = "used"
    elif is_withdrawn(invite):
        outcome = "already_withdrawn"
    else:
        outcome = "expired"
    audit(
        session,
        actor_id=person.id,
        action="withdraw_invite",
        now=now,
        detail={"invite_id": invite.id, "kind": invite.kind, "outcome": outcome},
    )
    used_by = _used_by_name(session, invite) if outcome == "used" else None
    return Withdrawal(kind=invite.kind, outcome=outcome, used_by=used_by)


def _may_withdraw(invite: Invite, person: Person, is_admin: bool) -> bool:
    if invite.kind == "clinician":
        return is_admin
    return person.role == "clinician" and invite.clinician_id == person.id


def _used_by_name(session: Session, invite: Invite) -> str | None:
    """The name of whoever used ``invite``, if its maker may see it now: the athlete while
    still linked to the inviting clinician, the clinician while still one (for an admin)."""
    if invite.used_by is None:
        return None
    user = session.get(Person, invite.used_by)
    if user is None:
        return None
    if invite.kind == "clinician":
        return _display_name(user) if user.role == "clinician" else None
    linked = session.exec(
        select(Link).where(Link.athlete_id == user.id, Link.clinician_id == invite.clinician_id)
    ).first()
    return _display_name(user) if linked is not None else None


@dataclass(frozen=True)
class LinkRefused:
    """Why a Share press must not link: the offer was made to an account since deleted
    ("deleted_account"), or the athlete has not finished setting up ("not_signed_up";
    ``code`` and ``clinician_name`` say which invitation to carry on with; the name is None
    for a clinician without one)."""

    reason: Literal["deleted_account", "not_signed_up"]
    code: str = ""
    clinician_name: str | None = None


@dataclass(frozen=True)
class LinkRequest:
    """An athlete invite that an existing athlete may accept: whose (None for a clinician
    without a name), and which."""

    invite_id: int
    clinician_name: str | None


def request_link(
    session: Session, athlete: Person, code: str, telegram_id: int, now: dt.datetime
) -> LinkRequest | str:
    """Return what /link CODE would link ``athlete`` to, or the reason it cannot (audited):
    "unknown", "used", "expired", "self_link", or "not_signed_up" for an athlete who has not
    finished setting up (sharing is asked there, after the storage consent that names the
    clinician, as for an athlete who opened the clinician's link)."""
    invite = session.exec(select(Invite).where(Invite.code == code)).first()
    failure = _invite_problem(invite, now)
    if failure is None and invite is not None and invite.clinician_id == athlete.id:
        failure = "self_link"
    if failure is None and not _signed_up_athlete(session, athlete):
        failure = "not_signed_up"
    if failure is not None or invite is None:
        reason = failure or "unknown"
        audit(
            session,
            actor_id=athlete.id,
            action="invite_refused",
            now=now,
            detail={"telegram_id": telegram_id, "reason": reason, "kind": "athlete"},
        )
        return reason
    clinician = session.get(Person, invite.clinician_id)
    return LinkRequest(invite_id=invite.id or 0, clinician_name=_display_name(clinician))


def _invite_problem(invite: Invite | None, now: dt.datetime) -> str | None:
    if invite is None or invite.kind != "athlete":
        return "unknown"
    if invite.used_at is not None:
        return "used"
    if invite.expires_at <= now:
        return "expired"
    return None


def link_refusal(
    session: Session,
    person: Person | None,
    telegram_id: int,
    invite_id: int,
    now: dt.datetime,
    *,
    offered_to: int | None,
    offered_at: dt.datetime,
) -> LinkRefused | None:
    """Decide whether a Share press (the answer to /link) must not link, and why (audited).

    ``offered_to`` is the account the button was made for, ``offered_at`` when: a press from
    an account made since (the one asked was deleted, its Telegram id signed up again) is
    "deleted_account"; one from an athlete who has not finished setting up is
    "not_signed_up". None when the press may go on to :func:`accept_link`."""
    if _offered_elsewhere(person, offered_to, offered_at):
        _audit_link_refusal(session, person, telegram_id, "deleted_account", now)
        return LinkRefused("deleted_account")
    if person is None or _signed_up_athlete(session, person):
        return None
    _audit_link_refusal(session, person, telegram_id, "not_signed_up", now)
    invite = session.get(Invite, invite_id)
    clinician = session.get(Person, invite.clinician_id) if invite is not None else None
    code = invite.code if invite is not None else ""
    return LinkRefused("not_signed_up", code, _display_name(clinician))


def accept_link(session: Session, telegram_id: int, invite_id: int, now: dt.datetime) -> str | None:
    """Record the athlete's consent and link them to the invite's clinician; return the
    clinician's name (None for one without a name). Raises InviteError (with its reason) if
    the invite cannot be used. Ask :func:`link_refusal` first."""
    person = get_person_by_telegram_id(session, telegram_user_id=telegram_id)
    invite = session.get(Invite, invite_id)
    if person is None or invite is None:
        raise InviteError("unknown", "no such invite")
    record_consent(
        session,
        person_id=person.id or 0,
        kind=CONSENT_KIND,
        text_version=CONSENT_VERSION,
        granted=True,
        now=now,
    )
    redeem_invite(session, code=invite.code, person_id=person.id or 0, now=now)
    clinician = session.get(Person, invite.clinician_id)
    audit(
        session,
        actor_id=person.id,
        action="link",
        now=now,
        athlete_id=person.id,
        detail={"clinician_id": invite.clinician_id, "via": "link_code"},
    )
    return _display_name(clinician)


def _offered_elsewhere(
    person: Person | None, offered_to: int | None, offered_at: dt.datetime
) -> bool:
    """Whether a Share button was made for another account than ``person`` (the one it
    named, deleted since; or, for a button naming none, any account older than ``person``)."""
    if offered_to is not None:
        return person is None or person.id != offered_to
    if person is None:
        return False
    created = person.created_at
    if created.tzinfo is None:  # SQLite hands back naive UTC
        created = created.replace(tzinfo=dt.UTC)
    return created > offered_at + _ISSUE_SLACK


def _signed_up_athlete(session: Session, person: Person) -> bool:
    """Whether ``person``'s set-up lets them share through /link: False only for an athlete
    who has not finished it (sent /start, consented to nothing yet)."""
    return person.role != "athlete" or has_signed_up(session, person_id=person.id or 0)


def _audit_link_refusal(
    session: Session, person: Person | None, telegram_id: int, reason: str, now: dt.datetime
) -> None:
    audit(
        session,
        actor_id=person.id if person else None,
        action="invite_refused",
        now=now,
        detail={"telegram_id": telegram_id, "reason": reason, "kind": "athlete"},
    )


def staff_timezone(session: Session, person: Person, wanted: str, now: dt.datetime) -> str:
    """/timezone [zone] for a clinician or admin: show their zone, or set it (an IANA name or a
    known city, audited); return the reply (what is expected when ``wanted`` is unknown)."""
    if not wanted:
        return (
            _("Your time zone is {zone}.").format(zone=city_label(person.timezone))
            + f"\n{TIMEZONE_USAGE}"
        )
    zone = resolve_staff_zone(wanted)
    if zone is None and is_fixed_offset(wanted):
        return (
            _(
                "“{typed}” is a fixed offset whose sign reads backwards (Etc/GMT+2 is 2 hours "
                "behind UTC) and that ignores summer time."
            ).format(typed=quoted(wanted))
            + f" {TIMEZONE_USAGE}"
        )
    if zone is None and (why := zone_refusal(wanted, staff=True)) is not None:
        return f"{why} {TIMEZONE_USAGE}"
    if zone is None:
        return (
            _("“{typed}” is not a time zone I know.").format(typed=quoted(wanted))
            + f" {TIMEZONE_USAGE}"
        )
    before = person.timezone
    update_person(session, person_id=person.id or 0, timezone=zone)
    audit(
        session,
        actor_id=person.id,
        action="set_timezone",
        now=now,
        detail={"from": before, "to": zone},
    )
    return _(
        "Time zone set to {zone}. Alert times are shown in it and your weekly digest arrives "
        "on {weekday} at {time} there."
    ).format(zone=city_label(zone), weekday=weekday_name(0), time=format_time(dt.time(8, 0)))
