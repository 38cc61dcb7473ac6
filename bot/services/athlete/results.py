"""What an athlete flow is given and what it returns; nothing in bot.services.athlete sends.

A flow takes the caller's session (one transaction per update), the athlete and an :class:`Env`
(the time and the clinician notifier) and returns a :class:`Result`: the messages (:class:`Out`)
the handler sends once the transaction has committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.scheduling.registry import AlertNotifier
from bot.services.athlete.keyboards import Keyboard
from bot.store import repo
from bot.store.models import Person
from bot.support.i18n import Text, use_language


@dataclass
class Out:
    """One message to send: text, optional buttons, optional file; a question message also
    names its questionnaire and step, so that once sent it is recorded as shown."""

    text: str
    keyboard: Keyboard | None = None
    document: tuple[str, bytes] | None = None
    progress_id: int | None = None
    step: int | None = None

    def __init__(
        self,
        text: Text,
        keyboard: Keyboard | None = None,
        document: tuple[str, bytes] | None = None,
        progress_id: int | None = None,
        step: int | None = None,
    ) -> None:
        # A catalogue text marked with L_ is turned into the reader's language here, once.
        self.text = str(text)
        self.keyboard = keyboard
        self.document = document
        self.progress_id = progress_id
        self.step = step


@dataclass
class Result:
    """What the handler sends after the transaction has committed.

    ``edit_first``: the first message replaces the pressed message (a button answer);
    ``notice``: the text of the callback-query answer; ``queued``: outbox rows were written
    (kick the sender); ``deleted``: the athlete's data is gone.
    """

    outs: list[Out] = field(default_factory=list)
    edit_first: bool = False
    notice: str | None = None
    alert: bool = False
    queued: bool = False
    deleted: bool = False
    keyboard_only: bool = False  # edit just the buttons of the pressed message
    # A morning check-in put aside, to open again for this day right after (its answers kept):
    # /settings moved the athlete's day under it (``account.finish_settings``).
    resume_checkin: dt.date | None = None
    # ... and the confirmation already named the day it counts for (the question does not).
    resume_day_said: bool = False

    def said_first(self, first: Result) -> Result:
        """Put ``first``'s messages before this result's own (after the pressed message it
        edits, which stays where the athlete pressed) and keep its ``queued``; return self.

        For what must be read before anything else, e.g. a stop recorded when opening these
        questions closed another questionnaire (``questionnaire.said_on_closing``)."""
        at = 1 if self.edit_first and self.outs else 0
        self.outs[at:at] = first.outs
        self.queued = self.queued or first.queued
        return self


@dataclass
class Env:
    """What the flows need besides the session: the time and the clinician notifier.

    ``notify`` queues the clinician messages of the athlete's new alerts (returns rows).
    ``user_name``: the name Telegram gives the person writing; stored only once they have
    consented (onboarding), never before.
    ``message_id``: the Telegram id of the athlete's message being handled (a typed answer
    older than the open question's message answered an earlier question). ``may_wait``: the
    update may be put off for a moment (:class:`AnswerNotShownYet`) instead of refused.
    """

    now: dt.datetime
    notify: AlertNotifier
    default_timezone: str = "UTC"
    user_name: str = ""
    message_id: int | None = None
    may_wait: bool = False


class AnswerNotShownYet(Exception):
    """The open question's message is being sent right now: the typed message may answer
    it, which is known once Telegram's answer is recorded. Try the update again shortly."""


def id_of(person: Person) -> int:
    """Return the stored person's id (a flow only ever sees stored people)."""
    assert person.id is not None
    return person.id


def has_clinician(session: Session, person: Person) -> bool:
    """Whether a clinician is linked to the athlete."""
    return repo.has_linked_clinician(session, athlete_id=id_of(person))


@dataclass(frozen=True)
class PerClinician:
    """Messages composed for each clinician from the athlete as that clinician reads them:
    ``compose(label)`` with ``label`` "Anna", or "Anna (#2)" when another of their athletes
    is called Anna (``repo.label_in_view``, as the cards name athletes)."""

    compose: Callable[[str], Sequence[str]]


def tell_clinicians(
    session: Session,
    person: Person,
    env: Env,
    compose: Callable[[], str] | PerClinician,
    *,
    kind: str,
    about_athlete: bool = True,
    author_id: int | None = None,
    only: int | None = None,
    recipients: Sequence[Person] | None = None,
) -> bool:
    """Queue ``compose()`` (or the messages of a :class:`PerClinician`), built in each linked
    clinician's own language, for every clinician linked to ``person`` (or only the one whose
    id is ``only``); return whether anything was queued.

    ``about_athlete`` False leaves the athlete out of the message row (a deletion notice: the
    athlete's rows are removed in the same transaction). ``recipients``: these clinicians
    instead of the linked ones (one just unlinked)."""
    queued = False
    athlete_id = id_of(person)
    if recipients is None:
        recipients = repo.clinicians_of(session, athlete_id=athlete_id)
    for clinician in recipients:
        if only is not None and clinician.id != only:
            continue
        chat = clinician.reply_chat
        if not chat:
            continue
        with use_language(clinician.language):
            messages = _composed(session, person, clinician, compose)
        for text in messages:
            repo.enqueue_message(
                session,
                chat_id=chat,
                text=text,
                kind=kind,
                now=env.now,
                person_id=clinician.id,
                athlete_id=athlete_id if about_athlete else None,
                author_id=author_id,
            )
            queued = True
    return queued


def _composed(
    session: Session, person: Person, clinician: Person, compose: Callable[[], str] | PerClinician
) -> Sequence[str]:
    """The messages ``compose`` makes for ``clinician`` (in the current language)."""
    if isinstance(compose, PerClinician):
        return compose.compose(repo.label_in_view(session, athlete=person, viewer=clinician))
    return [compose()]
