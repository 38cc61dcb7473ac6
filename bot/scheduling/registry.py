"""Who writes each kind of prompt: a registry of async callables, one per prompt kind.

The tick claims a due prompt and calls the sender registered for its kind with a
``PromptContext``. A sender never talks to Telegram: it queues its message(s) with
``ctx.enqueue(...)``; the tick writes them to the outbox in the transaction that marks the
prompt sent (one multi-row insert per batch), so the prompt is marked sent if and only if its
messages are queued. A sender may read or write other rows through ``ctx.session``; if it
raises, its writes are rolled back and the prompt is recorded as missed.

Opening a questionnaire may complete another whose answers recorded a warning sign (a red
flag ticked and never confirmed): the alert it raises reaches the linked clinicians in the
same transaction, through ``ctx.notify_clinicians`` (the scheduler's ``notify``, given by the
handlers: the notifier of the athlete flow), and the tick kicks the outbox sender.

The athlete-flow code replaces the plain-text defaults below with its own (e.g. the morning
check-in with its first question's buttons):

    register_prompt_sender(application, "morning", send_morning_checkin)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel import Session

from bot.scheduling.planner import PROMPT_KINDS, PromptKind
from bot.store.models import Person, ScheduledPrompt
from bot.support.i18n import N_, _
from engine.status import StageStatus

REMINDER_TEXT = N_(
    "⏰ Your morning check-in is still waiting: it takes about a minute. Send /checkin."
)
CUTOFF_TEXT = N_(
    "⏰ Last call for today's check-in. Without it there is no training today, and no "
    "moving up. Send /checkin."
)
# Opens a prompt sent late (the bot was down when it fell due), in the athlete's language.
LATE_NOTE = N_("Sorry, this comes later than planned: the coach was offline for a while.")


class AlertNotifier(Protocol):
    """Queues the clinician messages for an athlete's new alerts in the caller's transaction
    and returns the rows written: the one notifier of athlete updates and scheduled prompts.
    ``status`` is the athlete's stage status when the caller has just computed it (the engine
    run), so the notifier need not replay the history."""

    def __call__(
        self,
        session: Session,
        athlete_id: int,
        now: dt.datetime,
        status: StageStatus | None = None,
        /,
    ) -> int: ...


@dataclass
class PromptContext:
    """Everything a prompt sender needs; ``session`` is the tick's open transaction."""

    session: Session
    prompt: ScheduledPrompt
    athlete: Person
    now: dt.datetime
    # True when the prompt goes out after downtime, later than its due time but within grace.
    late: bool = False
    # For a morning prompt: the local date of the session reported the day before, whose
    # 24-hour response this check-in measures; None if there was none.
    follow_up_for: dt.date | None = None
    # Outbox rows this sender queued, written by the tick when the sender returns.
    queued: list[dict[str, Any]] = field(default_factory=list)
    # Set by a sender that queued nothing: ask again at this instant (``defer``), or the
    # prompt is no longer wanted and is closed as cancelled (``cancel``).
    retry_at: dt.datetime | None = None
    cancelled: bool = False
    # Queues the clinicians' alert messages (None: a scheduler built without one, whose
    # alerts wait for the escalation job's one-minute check); ``notified`` counts the rows.
    notify: AlertNotifier | None = None
    notified: int = 0

    def notify_clinicians(
        self,
        session: Session,
        athlete_id: int,
        now: dt.datetime,
        status: StageStatus | None = None,
        /,
    ) -> int:
        """Queue the clinicians' messages for the athlete's new alerts in this prompt's
        transaction (the ``Env.notify`` of a prompt's flow); return the rows written."""
        if self.notify is None:
            return 0
        rows = self.notify(session, athlete_id, now, status)
        self.notified += rows
        return rows

    def defer(self, until: dt.datetime) -> None:
        """Put the prompt back, due at ``until`` (e.g. the athlete is answering something
        else); only when nothing was queued."""
        self.retry_at = until

    def cancel(self) -> None:
        """Close the prompt as cancelled, nothing sent (it is no longer wanted)."""
        self.cancelled = True

    @property
    def kind(self) -> PromptKind:
        """The prompt's kind (morning, reminder, cutoff, post_session, followup)."""
        kind: PromptKind = self.prompt.kind  # type: ignore[assignment]
        return kind

    @property
    def local_date(self) -> dt.date:
        """The athlete's local date this prompt is for."""
        return self.prompt.local_date

    def late_note(self) -> str:
        """Return the sentence that opens a late prompt, or '' when it is on time."""
        if not self.late:
            return ""
        return _(LATE_NOTE) + "\n\n"

    def enqueue(
        self,
        text: str,
        *,
        reply_markup: dict[str, Any] | None = None,
        parse_mode: str | None = None,
        part: int = 0,
        progress_id: int | None = None,
        step: int | None = None,
    ) -> str:
        """Queue ``text`` to the athlete, in this prompt's transaction; return its dedupe key.

        The dedupe key names the prompt (and ``part`` for a second message), so a retried
        tick never queues the same prompt twice. A late prompt's first message opens with a
        note saying so. A message showing a question names it (``progress_id``, ``step``):
        once sent, the question counts as shown to the athlete.
        """
        if not text:
            raise ValueError("a prompt message needs text")
        if self.athlete.chat_id is None:
            raise ValueError(f"athlete {self.athlete.id} has no chat yet; cannot queue a prompt")
        key = f"prompt:{self.prompt.id}:{part}"
        self.queued.append(
            {
                "chat_id": self.athlete.chat_id,
                "person_id": self.athlete.id,
                "athlete_id": self.athlete.id,
                "text": self.late_note() + text if part == 0 else text,
                "reply_markup": reply_markup,
                "parse_mode": parse_mode,
                "kind": f"prompt_{self.kind}",
                "method": "send",
                "progress_id": progress_id,
                "step": step,
                "dedupe_key": key,
                "not_before": self.now,
                "status": "pending",
                "attempts": 0,
                "created_at": self.now,
            }
        )
        return key


PromptSender = Callable[[PromptContext], Awaitable[None]]

REGISTRY_KEY = "sprintback.prompt_senders"


async def send_default_morning(ctx: PromptContext) -> None:
    """Queue the plain morning check-in invitation (with the 24-hour note after a session)."""
    text = "Good morning! Time for your morning check-in: it takes about a minute. Send /checkin."
    if ctx.follow_up_for is not None:
        text += (
            f"\nToday's answers are also compared with your session of "
            f"{ctx.follow_up_for:%A %d %B} (the 24-hour check)."
        )
    ctx.enqueue(text)


async def send_default_reminder(ctx: PromptContext) -> None:
    """Queue the 45-minute reminder for an unanswered check-in (in the athlete's language:
    the tick sends each prompt in it)."""
    ctx.enqueue(_(REMINDER_TEXT))


async def send_default_cutoff(ctx: PromptContext) -> None:
    """Queue the cut-off reminder saying what a missed check-in means: the engine prescribes
    no training on a day without one, and nobody moves up on it."""
    ctx.enqueue(_(CUTOFF_TEXT))


async def send_default_post_session(ctx: PromptContext) -> None:
    """Queue the invitation to the post-session questionnaire."""
    ctx.enqueue("How did today's session go? Send /done to answer the post-session questions.")


DEFAULT_SENDERS: Mapping[str, PromptSender] = {
    "morning": send_default_morning,
    "reminder": send_default_reminder,
    "cutoff": send_default_cutoff,
    "post_session": send_default_post_session,
}


def new_registry() -> dict[str, PromptSender]:
    """Return a registry holding the plain-text default sender of every kind."""
    return dict(DEFAULT_SENDERS)


def registry_of(bot_data: dict[Any, Any]) -> dict[str, PromptSender]:
    """Return the registry kept in an application's ``bot_data`` (created on first use)."""
    registry: dict[str, PromptSender] = bot_data.setdefault(REGISTRY_KEY, new_registry())
    return registry


def register_prompt_sender(application: Any, kind: str, fn: PromptSender) -> None:
    """Make ``fn`` the sender of prompts of ``kind`` for this application."""
    if kind not in PROMPT_KINDS:
        raise ValueError(f"unknown prompt kind {kind!r}: expected one of {', '.join(PROMPT_KINDS)}")
    registry_of(application.bot_data)[kind] = fn
