"""Athlete–clinician links and the one-time invite codes that create them."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection, Iterable
from typing import Literal

from sqlalchemy import and_, bindparam, delete, exists, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.store.models import (
    DIGEST_KIND,
    UNDELIVERED_KIND,
    UNLINKED_KIND,
    Invite,
    Link,
    Outbox,
    PendingStep,
    Person,
)
from bot.store.repo._common import StoreError, require_aware
from bot.store.repo.people import require_person, withdraw_consent

InviteKind = Literal["clinician", "athlete"]
InviteFailure = Literal["unknown", "used", "expired", "wrong_role", "self_link"]
DEFAULT_INVITE_TTL = dt.timedelta(days=7)
# The consent to share data with a clinician, as onboarding and /link record it with a link.
SHARE_CONSENT_KIND = "share_with_clinician"


class InviteError(StoreError):
    """An invite code could not be redeemed; ``reason`` says why in one word."""

    def __init__(self, reason: InviteFailure, message: str) -> None:
        super().__init__(message)
        self.reason: InviteFailure = reason


def create_invite(
    session: Session,
    *,
    kind: InviteKind,
    created_by: int | None,
    now: dt.datetime,
    clinician_id: int | None = None,
    ttl: dt.timedelta = DEFAULT_INVITE_TTL,
    code: str | None = None,
) -> Invite:
    """Create a one-time code that expires after ``ttl``.

    ``kind="clinician"`` makes whoever redeems it a clinician (created by an admin);
    ``kind="athlete"`` links the athlete who redeems it to ``clinician_id``.
    """
    if kind not in ("clinician", "athlete"):
        raise StoreError(f"unknown invite kind {kind!r}: expected 'clinician' or 'athlete'")
    if kind == "athlete":
        if clinician_id is None:
            raise StoreError("an athlete invite needs the clinician_id to link to")
        require_person(session, person_id=clinician_id, role="clinician")
    if ttl <= dt.timedelta(0):
        raise StoreError(f"an invite must live for a positive time, got {ttl}")
    now = require_aware("now", now)
    invite = Invite(
        code=code or secrets.token_urlsafe(9),
        kind=kind,
        created_by=created_by,
        clinician_id=clinician_id,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    session.flush()
    return invite


def redeem_invite(session: Session, *, code: str, person_id: int, now: dt.datetime) -> Invite:
    """Use ``code`` once for ``person_id`` and apply it; raise InviteError with the reason.

    A clinician invite turns the person into a clinician (a configured admin keeps admin
    rights: they come from the setting, not the stored role); an athlete
    invite links the athlete to the inviting clinician. The code is consumed atomically, so
    two people redeeming it at once cannot both succeed.
    """
    now = require_aware("now", now)
    person = require_person(session, person_id=person_id)
    invite = session.exec(select(Invite).where(Invite.code == code)).first()
    if invite is None:
        raise InviteError(
            "unknown", "this invite code does not exist; check it or ask for a new one"
        )
    if invite.kind == "athlete" and person.role != "athlete":
        raise InviteError("wrong_role", f"this code is for athletes, and you are a {person.role}")
    if invite.kind == "athlete" and invite.clinician_id == person_id:
        raise InviteError("self_link", "a clinician cannot redeem their own athlete invite")
    claimed = session.exec(
        update(Invite)
        .where(
            col(Invite.id) == invite.id,
            col(Invite.used_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .values(used_at=now, used_by=person_id)
        .returning(col(Invite.id))
    ).first()
    session.refresh(invite)
    if claimed is None:
        if invite.used_at is not None:
            raise InviteError("used", "this invite code has already been used; ask for a new one")
        raise InviteError("expired", "this invite code has expired; ask for a new one")
    if invite.kind == "clinician":
        person.role = "clinician"
        session.add(person)
    else:
        assert invite.clinician_id is not None  # enforced by create_invite
        link_athlete(session, athlete_id=person_id, clinician_id=invite.clinician_id, now=now)
    session.flush()
    return invite


def withdraw_invite(session: Session, *, invite_id: int, now: dt.datetime) -> bool:
    """Make an unused invite that has not expired by ``now`` unusable at once; return whether
    it was.

    A withdrawn invite expires at the moment it was made (see :func:`is_withdrawn`), so a
    code tried afterwards is refused as an expired one is, whatever the clock of the replica
    that checks it. Atomic: a withdrawal and a redemption at once cannot both succeed."""
    invite = session.get(Invite, invite_id)
    if invite is None:
        return False
    withdrawn = session.exec(
        update(Invite)
        .where(
            col(Invite.id) == invite_id,
            col(Invite.used_at).is_(None),
            col(Invite.expires_at) > require_aware("now", now),
            col(Invite.expires_at) > col(Invite.created_at),
        )
        .values(expires_at=col(Invite.created_at))
        .returning(col(Invite.id))
    ).first()
    session.refresh(invite)
    return withdrawn is not None


def is_withdrawn(invite: Invite) -> bool:
    """Tell whether ``invite`` was withdrawn by its maker: it expires when it was made (a
    new invite always lives for a positive time)."""
    return invite.used_at is None and invite.expires_at <= invite.created_at


def link_athlete(session: Session, *, athlete_id: int, clinician_id: int, now: dt.datetime) -> Link:
    """Link an athlete to a clinician (idempotent) and return the link."""
    require_person(session, person_id=athlete_id, role="athlete")
    require_person(session, person_id=clinician_id, role="clinician")
    existing = session.exec(
        select(Link).where(Link.athlete_id == athlete_id, Link.clinician_id == clinician_id)
    ).first()
    if existing is not None:
        return existing
    link = Link(
        athlete_id=athlete_id, clinician_id=clinician_id, created_at=require_aware("now", now)
    )
    session.add(link)
    session.flush()
    return link


def unlink_athlete(
    session: Session, *, athlete_id: int, clinician_id: int, now: dt.datetime | None = None
) -> bool:
    """Remove the link between an athlete and a clinician; return whether there was one.

    Messages about the athlete still waiting in the outbox for that clinician (an alert card
    held back by Telegram's flood control, a report) are withdrawn with it: from now on the
    clinician may not see the athlete's data, whenever the message was written, and so is
    their weekly digest still waiting to be sent. A message already handed to Telegram
    (being sent) cannot be called back. A step the clinician had
    started about the athlete (a note waiting for its confirmation) is dropped as well. What
    this cannot reach (a message in flight that comes back for a retry, one queued by a
    transaction that read the link just before) the sender drops when it claims it
    (:func:`readers_without_access`); the notice telling the clinician of the unlink is
    queued afterwards under ``UNLINKED_KIND``, which goes to a former clinician.

    With ``now``, when no clinician is left, the athlete's consent to share is recorded as
    withdrawn at ``now`` (it was given with each link; their export shows it)."""
    link = session.exec(
        select(Link).where(Link.athlete_id == athlete_id, Link.clinician_id == clinician_id)
    ).first()
    if link is None:
        return False
    session.delete(link)
    session.execute(
        delete(Outbox).where(
            col(Outbox.person_id) == clinician_id,
            col(Outbox.status) == "pending",
            # Their weekly digest lists the athlete but is about nobody in particular: it is
            # withdrawn too, and made again without them while the digest is still due.
            or_(col(Outbox.athlete_id) == athlete_id, col(Outbox.kind) == DIGEST_KIND),
        )
    )
    clinician = session.get(Person, clinician_id)
    if clinician is not None:
        # A note or message about the athlete the clinician had started goes too.
        session.execute(
            delete(PendingStep).where(
                col(PendingStep.athlete_id) == athlete_id,
                col(PendingStep.telegram_user_id) == clinician.telegram_user_id,
            )
        )
    session.flush()
    if now is not None and not has_linked_clinician(session, athlete_id=athlete_id):
        withdraw_consent(
            session, person_id=athlete_id, kind=SHARE_CONSENT_KIND, now=require_aware("now", now)
        )
    return True


def clinicians_of(session: Session, *, athlete_id: int) -> list[Person]:
    """Return the clinicians linked to an athlete."""
    return list(
        session.exec(
            select(Person)
            .join(Link, col(Link.clinician_id) == col(Person.id))
            .where(Link.athlete_id == athlete_id)
            .order_by(col(Person.id))
        )
    )


_LINK_TABLE = Link.__table__  # type: ignore[attr-defined]
_ANY_CLINICIAN = (
    sa_select(_LINK_TABLE.c.clinician_id)
    .where(_LINK_TABLE.c.athlete_id == bindparam("athlete_id"))
    .limit(1)
)


def has_linked_clinician(session: Session, *, athlete_id: int) -> bool:
    """Tell whether any clinician is linked to the athlete."""
    return session.execute(_ANY_CLINICIAN, {"athlete_id": athlete_id}).first() is not None


# Messages a former clinician may still receive about the athlete: the notice that the athlete
# stopped sharing (queued once the link is gone), and the notice that the clinician's own
# message did not arrive. Neither carries the athlete's health data.
FORMER_CLINICIAN_KINDS: frozenset[str] = frozenset({UNLINKED_KIND, UNDELIVERED_KIND})


def needs_access_check(kind: str, person_id: int | None, athlete_id: int | None) -> bool:
    """Tell, from an outgoing message's own columns, whether it may go out only while its
    reader may see the athlete: a message about an athlete for someone else (not one of
    :data:`FORMER_CLINICIAN_KINDS`)."""
    if athlete_id is None or person_id is None or person_id == athlete_id:
        return False
    return kind not in FORMER_CLINICIAN_KINDS


def readers_without_access(
    session: Session, *, outbox_ids: Collection[int], admin_telegram_ids: Iterable[int]
) -> list[int]:
    """Return which of the outbox rows ``outbox_ids`` (messages about an athlete for someone
    else, see :func:`needs_access_check`) their reader may no longer see: neither linked to
    the athlete now nor a configured admin. One indexed query for the whole batch.

    The unlink withdraws what waits for the clinician in its own transaction; this catches
    what it cannot: a message in flight when the link went that comes back for a retry, one
    written by a transaction that read the link just before it went, and what waited for an
    admin removed from ADMIN_TELEGRAM_IDS."""
    if not outbox_ids:
        return []
    admins = sorted(set(admin_telegram_ids))
    linked = exists().where(
        and_(
            col(Link.athlete_id) == col(Outbox.athlete_id),
            col(Link.clinician_id) == col(Outbox.person_id),
        )
    )
    query = (
        select(Outbox.id)
        .join(Person, col(Person.id) == col(Outbox.person_id))
        .where(col(Outbox.id).in_(sorted(outbox_ids)), ~linked)
    )
    if admins:
        query = query.where(col(Person.telegram_user_id).not_in(admins))
    return [row_id for row_id in session.exec(query) if row_id is not None]


def athletes_of(session: Session, *, clinician_id: int) -> list[Person]:
    """Return the athletes linked to a clinician."""
    return list(
        session.exec(
            select(Person)
            .join(Link, col(Link.athlete_id) == col(Person.id))
            .where(Link.clinician_id == clinician_id)
            .order_by(col(Person.display_name), col(Person.id))
        )
    )
