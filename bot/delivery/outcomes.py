"""Record what became of sent outbox rows, in the caller's transaction.

Sent rows get Telegram's message id (a question message is recorded as shown on its
questionnaire, and the chat's next message waits a second: Telegram's per-chat pace); a
reply to a chat no person has (the farewell of a /delete) is deleted instead, once sent or
once it finally failed (never kept with the chat of someone who left). A row to retry
goes back to pending at its retry time (a 429 does not use up an attempt); a 403 marks the
person unreachable and tells their clinician, or the admins; other failures are recorded with
the error and not retried.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.delivery.calls import Outcome
from bot.delivery.policy import SAFETY_KINDS
from bot.store.models import REPLY_KIND, UNDELIVERED_KIND, UNREACHABLE_KIND, Outbox, Person
from bot.store.repo.data_rights import forget_replies_to_nobody
from bot.store.repo.links import clinicians_of
from bot.store.repo.messaging import (
    SentRow,
    enqueue_message,
    forget_undelivered_to_nobody,
    mark_outbox_failed,
    outbox_ids_present,
    record_sent,
)
from bot.store.repo.people import label_in_view
from bot.support.i18n import L_, LazyText, _, use_language

# What an undelivered safety message was, in the reader's words (by outbox kind).
_KIND_WORDS: dict[str, LazyText] = {
    "clinician_alert": L_("alert"),
    "red_flag": L_("red flag"),
    "emergency": L_("emergency"),
    "unreachable_notice": L_("unreachable notice"),
    "missed_days_alert": L_("missed-days alert"),
}

# Telegram allows about one message a second to one chat.
PER_CHAT_PACE = dt.timedelta(seconds=1)


@dataclass
class DrainResult:
    """What a drain (or an immediate send) did, by outcome."""

    sent: int = 0
    retried: int = 0
    unreachable: int = 0
    failed: int = 0
    # Notices queued for unreachable recipients (sent by the same drain).
    notices: int = 0
    rounds: int = 0

    def add(self, other: DrainResult) -> None:
        """Add ``other``'s counts to this one."""
        self.sent += other.sent
        self.retried += other.retried
        self.unreachable += other.unreachable
        self.failed += other.failed
        self.notices += other.notices
        self.rounds += other.rounds

    @property
    def handled(self) -> int:
        """How many rows were sent or settled."""
        return self.sent + self.retried + self.unreachable + self.failed


def record_outcomes(
    session: Session,
    outcomes: Sequence[Outcome],
    now: dt.datetime,
    pace: dt.timedelta = PER_CHAT_PACE,
    admin_telegram_ids: Sequence[int] = (),
) -> DrainResult:
    """Record each outcome (see the module docstring); return the counts. The next unsent
    message of a chat that just got one waits ``pace``. ``admin_telegram_ids`` (the setting)
    are told when someone without a linked clinician cannot be reached; the author of a
    message that finally failed is told it did not arrive."""
    result = DrainResult()
    sent = [
        SentRow(
            o.row.id,
            o.message_id,
            o.row.chat_id,
            o.row.progress_id,
            o.row.step,
            paced=o.row.kind != REPLY_KIND,
        )
        for o in outcomes
        if o.verdict is None
    ]
    record_sent(session, sent, now=now, pace=pace)
    # A reply to a chat no person has (the farewell of a /delete) is not kept: it holds the
    # chat of someone who left. Only a reply that names nobody can
    # be one, so a reply to a person costs no statement.
    forget_replies_to_nobody(
        session,
        outbox_ids=[
            o.row.id
            for o in outcomes
            if o.verdict is None and o.row.kind == REPLY_KIND and o.row.person_id is None
        ],
    )
    result.sent = len(sent)
    # Replies naming nobody that finally failed (see the end).
    undelivered_to_nobody: list[int] = []
    # A row deleted while it was being sent (its person deleted their data) has nothing left
    # to record: recording it would fail the whole batch, and the others in it, sent, would
    # be sent again once their claim ran out.
    present = outbox_ids_present(
        session, outbox_ids=[o.row.id for o in outcomes if o.verdict is not None]
    )
    for outcome in outcomes:
        verdict = outcome.verdict
        if verdict is None or outcome.row.id not in present:
            continue
        row = outcome.row
        if verdict.action in ("retry_after", "backoff"):
            assert verdict.wait is not None
            stored = mark_outbox_failed(
                session, outbox_id=row.id, now=now, error=verdict.error, retry_at=now + verdict.wait
            )
            if not verdict.counts_as_attempt:
                stored.attempts = max(0, stored.attempts - 1)
                session.add(stored)
            result.retried += 1
            continue
        if row.kind == REPLY_KIND and row.person_id is None:
            undelivered_to_nobody.append(row.id)
        if verdict.action == "unreachable":
            mark_outbox_failed(
                session, outbox_id=row.id, now=now, error=verdict.error, undeliverable=True
            )
            result.notices += mark_unreachable(session, outcome, now, admin_telegram_ids)
            result.notices += tell_author(session, outcome, now, reachable=False)
            result.unreachable += 1
        else:
            mark_outbox_failed(session, outbox_id=row.id, now=now, error=verdict.error)
            result.notices += tell_author(session, outcome, now, reachable=True)
            result.failed += 1
    # Nor is one that finally failed (the farewell to someone who blocked the bot at once):
    # kept, its chat and words would outlive the deletion by the 30 days of the blanking.
    forget_undelivered_to_nobody(session, outbox_ids=undelivered_to_nobody)
    return result


def _person_for_chat(session: Session, outcome: Outcome) -> Person | None:
    row = outcome.row
    if row.person_id is not None:
        return session.get(Person, row.person_id)
    return session.exec(select(Person).where(Person.chat_id == row.chat_id)).first()


def tell_author(session: Session, outcome: Outcome, now: dt.datetime, *, reachable: bool) -> int:
    """Tell the author of a message that finally failed (a clinician's message to an
    athlete) that it did not arrive; return how many notices were queued (0 or 1)."""
    row = outcome.row
    stored = session.get(Outbox, row.id)
    if stored is None or stored.author_id is None:
        return 0
    author = session.get(Person, stored.author_id)
    recipient = _person_for_chat(session, outcome)
    if author is None or author.id is None:
        return 0
    with use_language(author.language):  # the notice is read by its author
        who = (recipient.display_name if recipient is not None else "") or _("the athlete")
        why = (
            _("Telegram refused it")
            if reachable
            else _("they cannot be reached on Telegram (they blocked the bot or left)")
        )
        text = _(
            "Your message to {who} could not be delivered: {why}. "
            "Nothing more will be tried; please reach them another way."
        ).format(who=who, why=why)
    enqueue_message(
        session,
        chat_id=author.reply_chat,
        text=text,
        kind=UNDELIVERED_KIND,
        now=now,
        dedupe_key=f"undelivered:{row.id}",
        person_id=author.id,
        athlete_id=row.athlete_id,
    )
    return 1


def _unreachable_notice(
    person: Person, kind: str, undelivered: str, language: str, label: str | None = None
) -> str:
    """The notice that ``person`` cannot be reached, in the reader's ``language`` (a safety
    message that could not be delivered follows, as it was written); ``label``: the athlete
    as the cards name them for that reader ("Anna (#2)" when two they see share the name)."""
    with use_language(language):
        name = (
            label
            or person.display_name
            or _("{role} {number}").format(
                role=_("athlete") if person.role == "athlete" else _("clinician"), number=person.id
            )
        )
        text = _(
            "{name} can no longer be reached on Telegram (they blocked the bot or deleted their "
            "account). Messages to them are not delivered until they write to the bot again."
        ).format(name=name)
        if kind in SAFETY_KINDS:
            found = _KIND_WORDS.get(kind)
            what = str(found) if found is not None else kind.replace("_", " ")
            text += "\n\n" + _("Undelivered {what}:").format(what=what) + f"\n{undelivered}"
    return text


def _label(
    session: Session, person: Person, reader: Person, admin_telegram_ids: Sequence[int]
) -> str | None:
    """An athlete with a name as ``reader`` reads them (``repo.label_in_view``); None for
    anyone else (the notice names them by name or by role and number)."""
    if person.role != "athlete" or not person.display_name:
        return None
    admin = reader.telegram_user_id in admin_telegram_ids
    return label_in_view(session, athlete=person, viewer=reader, admin=admin)


def mark_unreachable(
    session: Session, outcome: Outcome, now: dt.datetime, admin_telegram_ids: Sequence[int] = ()
) -> int:
    """Mark the recipient unreachable and, the first time, tell a clinician or the admins.

    An athlete's linked clinicians are told; for anyone else (or an athlete without a linked
    clinician) the admins. A safety message that could not be delivered is forwarded whole.
    Returns how many notices were queued.
    """
    row = outcome.row
    person = _person_for_chat(session, outcome)
    if person is None or person.id is None:
        return 0
    first_time = not person.unreachable
    person.unreachable = True
    session.add(person)
    session.flush()
    if not first_time and row.kind not in SAFETY_KINDS:
        return 0
    recipients: list[Person] = []
    if person.role == "athlete":
        recipients = [c for c in clinicians_of(session, athlete_id=person.id) if not c.unreachable]
    if not recipients:
        recipients = list(
            session.exec(
                select(Person).where(
                    col(Person.telegram_user_id).in_(tuple(admin_telegram_ids)),
                    col(Person.unreachable).is_(False),
                    col(Person.id) != person.id,
                )
            )
        )
    queued = 0
    for recipient in recipients:
        if recipient.chat_id is None:
            continue
        queued += 1
        enqueue_message(
            session,
            chat_id=recipient.chat_id,
            text=_unreachable_notice(
                person,
                row.kind,
                row.text,
                recipient.language,
                _label(session, person, recipient, admin_telegram_ids),
            ),
            kind=UNREACHABLE_KIND,
            now=now,
            dedupe_key=f"unreachable:{row.id}:{recipient.id}",
            person_id=recipient.id,
            # About the athlete the message was about (a card forwarded whole carries their
            # health data): it goes with their data if they are deleted.
            athlete_id=person.id if person.role == "athlete" else row.athlete_id,
        )
    return queued
