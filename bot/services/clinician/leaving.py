"""A clinician's /delete: they leave Sprintback, and their athletes are told.

What the clinician is asked (:func:`offer_text`) says what happens, and :func:`leave` does
it in the caller's transaction:

- every link of theirs ends as an athlete's /unlink ends one (``repo.unlink_athlete``: what
  waited in the outbox for them about the athlete goes, and an athlete left without a
  clinician has their consent to share recorded as withdrawn), audited as an ``unlink`` made
  by the clinician;
- each of those athletes is told, in their own language, that the clinician has left and no
  longer sees their data (and, with no clinician left, how to link a new one);
- their own record is forgotten (``repo.data_rights.forget_staff``: name, chat, Telegram
  account and settings; every message to them; their invitations not used yet stop working).
  The row stays, nameless: the notes, sign-offs and decisions they recorded stay in the
  athletes' records under their number;
- the athletes' alerts nobody has acknowledged reach someone again: forget_staff took the
  alert cards sent to the clinician out of the outbox, so each such alert is told afresh to
  whoever follows the athlete now (another linked clinician, else the admins, as for every
  athlete without a clinician: ``escalation.notify_new_alerts``).

An admin who is also a clinician is refused (:data:`ADMIN_REFUSAL`): their Telegram account
is in ADMIN_TELEGRAM_IDS, which a deletion cannot change, and their next admin command would
store them again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from bot.services.callback_auth import CallbackSigner
from bot.services.clinician.escalation import notify_new_alerts
from bot.services.clinician.names import label_for_reader
from bot.store.models import NOTICE_KIND, Person
from bot.store.repo.audit import audit
from bot.store.repo.data_rights import forget_staff
from bot.store.repo.links import athletes_of, clinicians_of, unlink_athlete
from bot.store.repo.messaging import enqueue_message
from bot.support.formats import format_and_list
from bot.support.i18n import L_, ngettext, use_language

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


def _athlete_notice(clinician_name: str, others_left: bool) -> str:
    """What an athlete reads when their clinician leaves (in the current language)."""
    if clinician_name:
        told = str(ATHLETE_TOLD).format(clinician=clinician_name)
    else:
        told = str(ATHLETE_TOLD_NO_NAME)
    return told if others_left else f"{told} {ATHLETE_LINK_HINT}"


def _end_links(
    session: Session, clinician: Person, name: str, now: dt.datetime, told: list[int]
) -> None:
    """End every link of ``clinician`` as an athlete's /unlink does, audited, and queue each
    athlete's notice in their language; append the athletes told to ``told``."""
    assert clinician.id is not None
    for athlete in athletes_of(session, clinician_id=clinician.id):
        assert athlete.id is not None
        if not unlink_athlete(session, athlete_id=athlete.id, clinician_id=clinician.id, now=now):
            continue
        audit(
            session,
            actor_id=clinician.id,
            action="unlink",
            now=now,
            athlete_id=athlete.id,
            detail={"clinician_id": clinician.id, "clinician_left": True},
        )
        others = bool(clinicians_of(session, athlete_id=athlete.id))
        with use_language(athlete.language):
            text = _athlete_notice(name, others)
        enqueue_message(
            session,
            chat_id=athlete.reply_chat,
            text=text,
            kind=NOTICE_KIND,
            now=now,
            person_id=athlete.id,
            athlete_id=athlete.id,
        )
        told.append(athlete.id)


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
    _end_links(session, clinician, name, now, told)
    forget_staff(session, person_id=number, now=now)
    # A link made at this very moment from an invitation read before forget_staff stopped it
    # (another replica) ends too: nobody may stay linked to a clinician who is gone.
    forgotten = session.get(Person, number)
    if forgotten is not None:
        _end_links(session, forgotten, name, now, told)
    written = 0
    for athlete_id in told:
        written += len(
            notify_new_alerts(session, athlete_id, now, signer, list(admin_telegram_ids))
        )
    return Left(number=number, athletes_told=len(told), alert_messages=written)
