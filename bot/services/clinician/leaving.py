"""A clinician ends links: /unlink stops following one athlete, /delete leaves Sprintback.

One link ends in :func:`end_link`, which both use, in the caller's transaction:

- the link ends as an athlete's /unlink ends it (``repo.unlink_athlete``: what waited in the
  outbox for the clinician about the athlete goes, and an athlete left without a clinician has
  their consent to share recorded as withdrawn), audited as an ``unlink`` made by the
  clinician;
- the athlete is told, in their own language, that the clinician no longer follows them (or
  has left) and no longer sees their data, with the clinician's reason word for word, if any,
  and, with no clinician left, how to link a new one;
- the athlete's alerts nobody has acknowledged reach someone again: the alert cards about the
  athlete sent to the clinician are taken out of the outbox, so each such alert is told afresh
  to whoever follows the athlete now (another linked clinician who was not told yet, else the
  admins, as for every athlete without a clinician: ``escalation.notify_new_alerts``).

A clinician's /unlink <athlete> [reason] (:func:`unlink_offer`, :func:`unlink_offer_text`,
:func:`stop_following`) ends one link. For a clinician's /delete, what they are asked
(:func:`offer_text`) says what happens, and :func:`leave` does it in the caller's transaction:

- every link of theirs ends (:func:`end_link`), each athlete told that the clinician has left;
- their own record is forgotten (``repo.data_rights.forget_staff``: name, chat, Telegram
  account and settings; every message to them; their invitations not used yet stop working).
  The row stays, nameless: the notes, sign-offs and decisions they recorded stay in the
  athletes' records under their number.

An admin who is also a clinician is refused (:data:`ADMIN_REFUSAL`): their Telegram account
is in ADMIN_TELEGRAM_IDS, which a deletion cannot change, and their next admin command would
store them again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session

from bot.services.callback_auth import CallbackSigner
from bot.services.clinician.escalation import notify_new_alerts
from bot.services.clinician.names import label_for_reader
from bot.store.models import ALERT_KIND, NOTICE_KIND, Outbox, Person
from bot.store.repo.audit import audit
from bot.store.repo.data_rights import forget_staff
from bot.store.repo.links import athletes_of, clinicians_of, unlink_athlete
from bot.store.repo.messaging import enqueue_message
from bot.support.formats import format_and_list
from bot.support.i18n import L_, _, ngettext, use_language

# --- what the clinician reads (formal: usted, vous, Sie) ----------------------------------------

OFFER_HEAD = L_(
    "This deletes your Sprintback account: your name, your chat with Sprintback and your "
    "settings are removed, and your invitations not used yet stop working."
)
OFFER_ALERTS = L_(
    "Alerts about an athlete left without a clinician go to the admins until the athlete "
    "links another clinician."
)
OFFER_RECORDS = L_(
    "The notes, sign-offs and decisions you recorded stay in the athletes' records under "
    "your number (#{number}), without your name."
)
OFFER_QUESTION = L_("This cannot be undone. Delete your account?")
DELETE_BUTTON = L_("🗑 Delete my account")
KEEP_BUTTON = L_("Keep my account")
# What the confirmation message becomes once the account is deleted.
LEFT_NO_ATHLETES = L_("Done: your Sprintback account is deleted.")
LEFT_RECORDS = L_(
    "What you recorded stays in the athletes' records under your number, without your name."
)
# A clinician (or anyone else) whose Telegram account is in ADMIN_TELEGRAM_IDS.
ADMIN_REFUSAL = L_(
    "Your account cannot be deleted while you are an admin of this Sprintback: your "
    "Telegram account is in its list of admins. Ask the person who runs Sprintback to remove "
    "you from that list, then send /delete again. Nothing was deleted."
)
# A Delete or Keep pressed when the offer is over: pressed already, replaced by a newer
# /delete or another confirmation, older than a confirmation waits, or the account is gone.
OFFER_OVER = L_("This button no longer works, so nothing was done. Send /delete to start again.")

# --- what each athlete reads (informal: tú, você-implicit, tu, du) ------------------------------

ATHLETE_TOLD = L_("{clinician} has left Sprintback, so your data is no longer shared with them.")
# The same for a clinician without a display name.
ATHLETE_TOLD_NO_NAME = L_(
    "Your clinician has left Sprintback, so your data is no longer shared with them."
)
# ... when no clinician sees their data any more.
ATHLETE_LINK_HINT = L_("If you have a new clinician, send /link with their code.")

# --- a clinician's /unlink: what the clinician reads (formal: usted, vous, Sie) -----------------

# TRANSLATORS: {name}: the athlete, as the clinician's list names them. "Their" and "they":
# the athlete, whatever their gender.
UNLINK_OFFER = L_(
    "Stop following {name}? Their data will no longer be shared with you and their alerts "
    "will no longer come to you; they will be told, and can link with you again with a new "
    "invitation."
)
# ... when no other clinician follows the athlete.
UNLINK_OFFER_ALERTS = L_("Alerts about them go to the admins until they link another clinician.")
# ... when the clinician typed a reason after the athlete: shown as it will be sent.
UNLINK_OFFER_REASON = L_("{name} will read your reason word for word: {reason}")
UNLINK_BUTTON = L_("Stop following")
UNLINK_KEEP_BUTTON = L_("Keep following")
# What the confirmation message becomes.
UNLINK_DONE = L_("Done: you no longer follow {name}, and they have been told.")
UNLINK_KEPT = L_("Nothing changed: you still follow {name}.")
# A button pressed when the offer is over: pressed already, replaced by a newer confirmation,
# older than a confirmation waits, or the clinician's account is gone.
UNLINK_OVER = L_(
    "This button no longer works, so nothing was changed. To stop following an athlete, send "
    "/unlink with their number."
)
# The athlete is no longer linked to the clinician (they unlinked meanwhile, or a first press
# did it): nothing to do, and no name (the clinician no longer sees them).
UNLINK_NOT_FOLLOWING = L_("You no longer follow this athlete, so nothing was changed.")

# --- ... and what the athlete reads (informal: tú, você-implicit, tu, du) -----------------------

ATHLETE_UNFOLLOWED = L_(
    "{clinician} no longer follows your programme in Sprintback, so your data is no longer "
    "shared with them."
)
# The same for a clinician without a display name.
ATHLETE_UNFOLLOWED_NO_NAME = L_(
    "Your clinician no longer follows your programme in Sprintback, so your data is no longer "
    "shared with them."
)


@dataclass(frozen=True)
class LeavingOffer:
    """What a clinician's /delete will do: their number and their athletes, named as their
    list names them."""

    number: int
    athletes: tuple[str, ...]


@dataclass(frozen=True)
class Left:
    """What :func:`leave` did: the athletes told, and the alerts told afresh."""

    number: int
    athletes_told: int
    alert_messages: int


def leaving_offer(session: Session, clinician: Person) -> LeavingOffer:
    """Return what a /delete from ``clinician`` would do."""
    assert clinician.id is not None
    athletes = athletes_of(session, clinician_id=clinician.id)
    names = tuple(label_for_reader(session, athlete, clinician) for athlete in athletes)
    return LeavingOffer(number=clinician.id, athletes=names)


def offer_text(offer: LeavingOffer) -> str:
    """The confirmation's text, in the current language (the clinician's)."""
    parts = [str(OFFER_HEAD)]
    if offer.athletes:
        count = len(offer.athletes)
        # TRANSLATORS: to the clinician deleting their account (formal: usted, vous, Sie);
        # {names}: their athletes as their list shows them ("Anna and Ben").
        athletes = ngettext(
            "Your athlete {names} will be told that you have left and that their data is no "
            "longer shared with you.",
            "Your {count} athletes ({names}) will each be told that you have left and that "
            "their data is no longer shared with you.",
            count,
        )
        names = format_and_list(list(offer.athletes))
        parts.append(f"{athletes.format(count=count, names=names)} {OFFER_ALERTS}")
    parts.append(str(OFFER_RECORDS).format(number=offer.number))
    parts.append(str(OFFER_QUESTION))
    return "\n\n".join(parts)


def left_text(left: Left) -> str:
    """The final confirmation, in the current language (the clinician's)."""
    if left.athletes_told:
        # TRANSLATORS: to the clinician who deleted their account (formal).
        head = ngettext(
            "Done: your Sprintback account is deleted. Your athlete has been told.",
            "Done: your Sprintback account is deleted. Your {count} athletes have been told.",
            left.athletes_told,
        ).format(count=left.athletes_told)
    else:
        head = str(LEFT_NO_ATHLETES)
    return f"{head} {LEFT_RECORDS}"


def _athlete_notice(
    clinician_name: str, others_left: bool, *, left: bool, reason: str | None
) -> str:
    """What an athlete reads when a clinician stops following them (``left``: leaves
    Sprintback), in the current language: the reason word for word, then the /link hint
    when no clinician is left."""
    if clinician_name:
        told = str(ATHLETE_TOLD if left else ATHLETE_UNFOLLOWED).format(clinician=clinician_name)
    else:
        told = str(ATHLETE_TOLD_NO_NAME if left else ATHLETE_UNFOLLOWED_NO_NAME)
    hint = "" if others_left else str(ATHLETE_LINK_HINT)
    if reason:
        # The reason on its own line, as every clinician action sends it.
        return "\n".join(p for p in (told, _("Reason: {note}").format(note=reason), hint) if p)
    return f"{told} {hint}" if hint else told


_OUTBOX: Any = Outbox.__table__  # type: ignore[attr-defined]


def _withdraw_alert_cards(session: Session, *, athlete_id: int, clinician_id: int) -> None:
    """Take the alert cards about the athlete sent to the clinician out of the outbox (those
    waiting went with the link): an alert only they were told of is then told afresh by
    ``notify_new_alerts``. One being sent right now stays, and counts as told."""
    session.execute(
        delete(_OUTBOX).where(
            _OUTBOX.c.person_id == clinician_id,
            _OUTBOX.c.athlete_id == athlete_id,
            _OUTBOX.c.kind == ALERT_KIND,
            _OUTBOX.c.status != "sending",
        )
    )


def end_link(
    session: Session,
    clinician: Person,
    athlete: Person,
    now: dt.datetime,
    signer: CallbackSigner,
    admin_telegram_ids: Sequence[int],
    *,
    clinician_name: str,
    left: bool = False,
    reason: str | None = None,
) -> int | None:
    """End the link between ``clinician`` and ``athlete`` as an athlete's /unlink does,
    audited with the clinician as actor; tell the athlete in their language (``left``: the
    clinician left Sprintback; ``reason``: sent word for word; ``clinician_name``: as the
    athlete knows them, "" for none) and hand their open alerts to whoever follows them now
    (see the module's text). Return how many alert messages that wrote, or None when they
    were not linked (nothing done)."""
    assert clinician.id is not None and athlete.id is not None
    if not unlink_athlete(session, athlete_id=athlete.id, clinician_id=clinician.id, now=now):
        return None
    detail: dict[str, Any] = {"clinician_id": clinician.id}
    if left:
        detail["clinician_left"] = True
    elif reason:
        detail["note"] = reason
    audit(
        session,
        actor_id=clinician.id,
        action="unlink",
        now=now,
        athlete_id=athlete.id,
        detail=detail,
    )
    others = bool(clinicians_of(session, athlete_id=athlete.id))
    with use_language(athlete.language):
        text = _athlete_notice(clinician_name, others, left=left, reason=reason)
    enqueue_message(
        session,
        chat_id=athlete.reply_chat,
        text=text,
        kind=NOTICE_KIND,
        now=now,
        person_id=athlete.id,
        athlete_id=athlete.id,
    )
    _withdraw_alert_cards(session, athlete_id=athlete.id, clinician_id=clinician.id)
    return len(notify_new_alerts(session, athlete.id, now, signer, list(admin_telegram_ids)))


def _end_links(
    session: Session,
    clinician: Person,
    name: str,
    now: dt.datetime,
    signer: CallbackSigner,
    admin_telegram_ids: Sequence[int],
    told: list[int],
) -> int:
    """End every link of the leaving ``clinician`` (:func:`end_link`); append the athletes
    told to ``told``; return how many alert messages were written."""
    assert clinician.id is not None
    written = 0
    for athlete in athletes_of(session, clinician_id=clinician.id):
        assert athlete.id is not None
        alerts = end_link(
            session,
            clinician,
            athlete,
            now,
            signer,
            admin_telegram_ids,
            clinician_name=name,
            left=True,
        )
        if alerts is not None:
            told.append(athlete.id)
            written += alerts
    return written


def leave(
    session: Session,
    clinician: Person,
    now: dt.datetime,
    signer: CallbackSigner,
    admin_telegram_ids: Sequence[int],
) -> Left:
    """Carry out a clinician's /delete in the caller's transaction (see the module's text);
    return what was done. The caller checked that they are a clinician and not an admin."""
    assert clinician.id is not None and clinician.role == "clinician"
    number = clinician.id
    name = clinician.display_name.strip()
    told: list[int] = []
    written = _end_links(session, clinician, name, now, signer, admin_telegram_ids, told)
    forget_staff(session, person_id=number, now=now)
    # A link made at this very moment from an invitation read before forget_staff stopped it
    # (another replica) ends too: nobody may stay linked to a clinician who is gone.
    forgotten = session.get(Person, number)
    if forgotten is not None:
        written += _end_links(session, forgotten, name, now, signer, admin_telegram_ids, told)
    return Left(number=number, athletes_told=len(told), alert_messages=written)


# --- a clinician's /unlink ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnlinkOffer:
    """What a clinician's /unlink will do: the athlete, named as the clinician's list names
    them, and whether another clinician follows them."""

    name: str
    others: bool


def unlink_offer(session: Session, clinician: Person, athlete: Person) -> UnlinkOffer:
    """Return what an /unlink of ``athlete`` from ``clinician`` (linked) would do."""
    assert athlete.id is not None
    others = [c for c in clinicians_of(session, athlete_id=athlete.id) if c.id != clinician.id]
    return UnlinkOffer(name=label_for_reader(session, athlete, clinician), others=bool(others))


def unlink_offer_text(offer: UnlinkOffer, reason: str | None) -> str:
    """The confirmation's text, in the current language (the clinician's)."""
    text = str(UNLINK_OFFER).format(name=offer.name)
    if not offer.others:
        text += " " + str(UNLINK_OFFER_ALERTS)
    if reason:
        text += "\n\n" + str(UNLINK_OFFER_REASON).format(name=offer.name, reason=reason)
    return text


def stop_following(
    session: Session,
    clinician: Person,
    athlete: Person,
    now: dt.datetime,
    signer: CallbackSigner,
    admin_telegram_ids: Sequence[int],
    reason: str | None = None,
) -> bool:
    """Carry out a clinician's confirmed /unlink in the caller's transaction
    (:func:`end_link`); return whether they were still linked (False: nothing done)."""
    ended = end_link(
        session,
        clinician,
        athlete,
        now,
        signer,
        admin_telegram_ids,
        clinician_name=clinician.display_name.strip(),
        reason=reason,
    )
    return ended is not None
