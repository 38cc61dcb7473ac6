"""The database tables: one SQLModel table per concept Sprintback stores.

Conventions that every table follows:
- instants are ``UTCDateTime`` (aware UTC in, aware UTC out on SQLite and PostgreSQL);
- an athlete's calendar day is a ``local_date`` in the athlete's own time zone;
- answers are stored as JSON with the data-dictionary keys (``engine.models``) and validated
  by the repositories before they are written;
- every constraint has a name (``NAMING_CONVENTION``) so Alembic batch mode can alter it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    MetaData,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from bot.store.types import JSONType, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Every table of this module lives in its own MetaData (not SQLModel's global one), so
# migrations and tests see exactly Sprintback's schema.
metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base(SQLModel):
    """Base class of Sprintback's tables; binds them to ``metadata``."""

    metadata = metadata


ROLES = ("athlete", "clinician", "admin")
INVITE_KINDS = ("clinician", "athlete")
QUESTIONNAIRE_STATUSES = ("open", "done", "cancelled")
SEVERITIES = ("emergency", "same_day", "within_24h", "info")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "undeliverable")
# How an outbox row reaches Telegram: a new message, or an edit of ``target_message_id``
# (the pressed question turned into the answer given, with the next question).
OUTBOX_METHODS = ("send", "edit_text", "edit_markup")
# An update in the inbox: received (durable, not yet handled), processed (its effects are
# committed; its replies may still be on their way) and done (its replies were handed to
# Telegram, or to the outbox sender's retries). See bot.inbox.
INBOX_STATUSES = ("pending", "processed", "done")
PROMPT_KINDS = ("morning", "reminder", "cutoff", "post_session", "followup", "digest")
PROMPT_STATUSES = ("pending", "claimed", "sent", "missed", "cancelled")
DECISION_KINDS = ("morning", "daily")
PROGRAMME_STATUSES = ("active", "paused", "completed", "stopped")
# A staff step waiting for its second part: typed text ("input": a message, a reason, a
# review's note), a confirmation button ("confirm") or an admin's protocol draft ("draft").
PENDING_STEP_KINDS = ("input", "confirm", "draft")
CLINICIAN_ACTION_KINDS = (
    "hold",
    "step_back",
    "set_stage",
    "pause",
    "resume",
    "review",
    "usual_tightness",
)

# What an outbox row is (``Outbox.kind``), named here with the outbox so that whoever queues
# a message and whoever sends it share one spelling: the sender draws the athlete's chart for
# PROGRESS_CHART_KIND, and ``bot.delivery.policy`` says which kinds are delivered at least once.
ALERT_KIND = "clinician_alert"  # an alert card for a clinician (or an admin)
NOTICE_KIND = "clinician_notice"  # a clinician's decision or message, for the athlete
PROGRESS_CHART_KIND = "progress_chart"  # the athlete's small chart; the text is its caption
MISSED_DAYS_KIND = "missed_days_alert"  # the scheduler tells the clinician of missed days
UNREACHABLE_KIND = "unreachable_notice"  # someone can no longer be reached on Telegram
DIGEST_KIND = "digest"  # a clinician's weekly digest
REPLY_KIND = "reply"  # the bot's answer to a person's own update (sent at once, not paced)
REACHABLE_KIND = "reachable_notice"  # someone blocked the bot, then came back
ATHLETE_NOTE_KIND = "athlete_note"  # an athlete's own words for their clinician (/problem)
UNLINKED_KIND = "unlinked_notice"  # an athlete stopped sharing with the clinician: they are told
UNDELIVERED_KIND = "undelivered_notice"  # a clinician's message finally failed: they are told


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """A named CHECK that ``column`` holds one of ``values``."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=column)


def _now_field() -> Any:
    return Field(sa_type=UTCDateTime, nullable=False)


class Person(Base, table=True):
    """Anyone who talks to the bot: an athlete, a clinician or an admin."""

    __tablename__ = "person"
    # Never hand a deleted person's number to someone new (SQLite reuses the highest rowid
    # otherwise): references to it (buttons, pending messages, the audit) must stay theirs.
    __table_args__ = (_one_of("role", ROLES), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=16)
    telegram_user_id: int = Field(sa_type=BigInteger, unique=True)
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    display_name: str = Field(default="", max_length=200)
    # The language they read Sprintback in (bot.support.i18n.LANGUAGES): their Telegram app's
    # until they choose one (language_chosen), then their choice.
    language: str = Field(default="en", max_length=16, sa_column_kwargs={"server_default": "en"})
    language_chosen: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    timezone: str = Field(default="UTC", max_length=64)
    checkin_time: str | None = Field(default=None, max_length=5)
    session_end_time: str | None = Field(default=None, max_length=5)
    paused: bool = False
    unreachable: bool = False
    created_at: dt.datetime = _now_field()

    @property
    def reply_chat(self) -> int:
        """The chat to write to them in: the one recorded, else their private chat, which
        Telegram numbers as their user id (a person added by an admin has no chat yet)."""
        return self.chat_id or self.telegram_user_id


class Consent(Base, table=True):
    """One consent given or withdrawn by a person (kind and text version)."""

    __tablename__ = "consent"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=64)
    text_version: str = Field(max_length=32)
    granted: bool
    at: dt.datetime = _now_field()
    withdrawn_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Link(Base, table=True):
    """An athlete followed by a clinician; the clinician sees the athlete's data."""

    __tablename__ = "link"
    __table_args__ = (UniqueConstraint("athlete_id", "clinician_id"),)

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id")
    clinician_id: int = Field(foreign_key="person.id", index=True)
    created_at: dt.datetime = _now_field()


class Invite(Base, table=True):
    """A one-time code that makes a clinician, or links an athlete to a clinician."""

    __tablename__ = "invite"
    __table_args__ = (_one_of("kind", INVITE_KINDS),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    clinician_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: dt.datetime = _now_field()
    expires_at: dt.datetime = _now_field()
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by: int | None = Field(default=None, foreign_key="person.id")


class InjuryRecord(Base, table=True):
    """The injury an athlete's programme is for (``engine.models.Injury``)."""

    __tablename__ = "injury"

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id", index=True)
    injury: str = Field(max_length=16)
    muscle: str | None = Field(default=None, max_length=32)
    side: str = Field(max_length=8)
    grade: int | None = None
    injury_date: dt.date
    mechanism: str | None = Field(default=None, max_length=16)
    created_at: dt.datetime = _now_field()


class Baseline(Base, table=True):
    """Pre-injury metrics (``engine.models.Metrics`` keys) as recorded at a moment."""

    __tablename__ = "baseline"

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id", index=True)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    recorded_at: dt.datetime = _now_field()


class Programme(Base, table=True):
    """An athlete's return-to-sprint programme: protocol, stage, engine state."""

    __tablename__ = "programme"
    __table_args__ = (
        _one_of("status", PROGRAMME_STATUSES),
        # At most one current (active or paused) programme per athlete.
        Index(
            "uq_programme_current",
            "athlete_id",
            unique=True,
            sqlite_where=text("status IN ('active', 'paused')"),
            postgresql_where=text("status IN ('active', 'paused')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id", index=True)
    injury_id: int | None = Field(default=None, foreign_key="injury.id")
    protocol_name: str = Field(max_length=64)
    protocol_version: int
    current_stage: str = Field(max_length=64)
    start_date: dt.date
    status: str = Field(default="active", max_length=16)
    state_json: str | None = None
    created_at: dt.datetime = _now_field()
    updated_at: dt.datetime = _now_field()


class StageChange(Base, table=True):
    """One move of a programme between stages, and who or what moved it."""

    __tablename__ = "stage_change"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    from_stage: str | None = Field(default=None, max_length=64)
    to_stage: str = Field(max_length=64)
    at: dt.datetime = _now_field()
    # None means the engine moved it; otherwise the clinician or admin who did.
    by_person_id: int | None = Field(default=None, foreign_key="person.id")
    reason: str = ""


class _AnswerRow(Base):
    """Columns shared by every stored questionnaire answer."""

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id")
    local_date: dt.date
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    answered_at: dt.datetime = _now_field()
    utc_offset_minutes: int
    updated_at: dt.datetime = _now_field()


class MorningCheckinRecord(_AnswerRow, table=True):
    """An athlete's morning check-in for one local date (``engine.models.MorningCheckIn``)."""

    __tablename__ = "morning_checkin"
    __table_args__ = (UniqueConstraint("athlete_id", "local_date"),)


class SessionReportRecord(_AnswerRow, table=True):
    """An athlete's post-session report and metrics (``engine.models.SessionReport``)."""

    __tablename__ = "session_report"
    __table_args__ = (UniqueConstraint("athlete_id", "local_date"),)


class ChecksRecord(_AnswerRow, table=True):
    """Functional checks done on a day outside a session (``engine.models.Checks``)."""

    __tablename__ = "checks_record"
    __table_args__ = (UniqueConstraint("athlete_id", "local_date"),)


class QuestionnaireProgress(Base, table=True):
    """A questionnaire being answered, saved after every answer so a restart resumes it."""

    __tablename__ = "questionnaire_progress"
    __table_args__ = (
        _one_of("status", QUESTIONNAIRE_STATUSES),
        # At most one open questionnaire per athlete (two processes starting one at once
        # resolve to the same row: see repo.start_questionnaire).
        Index(
            "uq_questionnaire_progress_open",
            "athlete_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=32)
    local_date: dt.date
    step: int = 0
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    status: str = Field(default="open", max_length=16)
    # The Telegram message that first showed question ``shown_step`` to the athlete (recorded
    # when Telegram accepted it). A typed message older than it, or typed while the open
    # question has not been shown yet, answered an earlier question and is refused.
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    shown_step: int | None = None
    # The questionnaire's layout (its questions in order, fingerprinted) when it began or was
    # last resynced: ``step``, ``shown_step`` and the buttons' step numbers mean something only
    # in that layout. NULL: begun before layouts were recorded (treated as another layout).
    layout: str | None = Field(default=None, max_length=16)
    started_at: dt.datetime = _now_field()
    updated_at: dt.datetime = _now_field()


class Decision(Base, table=True):
    """An engine verdict or decision with its reasons and the protocol version used."""

    __tablename__ = "decision"
    __table_args__ = (
        _one_of("kind", DECISION_KINDS),
        Index("ix_decision_athlete_id_local_date", "athlete_id", "local_date"),
        # One morning verdict and one daily decision per athlete and day.
        UniqueConstraint("athlete_id", "local_date", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id")
    local_date: dt.date
    kind: str = Field(max_length=16)
    outcome: str = Field(max_length=16)
    decision: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    protocol_name: str = Field(max_length=64)
    protocol_version: int
    created_at: dt.datetime = _now_field()


class AlertRecord(Base, table=True):
    """An alert for the athlete's clinician and what happened to it."""

    __tablename__ = "alert"
    __table_args__ = (
        _one_of("severity", SEVERITIES),
        Index("ix_alert_athlete_id_acknowledged_at", "athlete_id", "acknowledged_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id", index=True)
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    severity: str = Field(max_length=16)
    rule: str = Field(max_length=64)
    text: str
    local_date: dt.date | None = None
    created_at: dt.datetime = _now_field()
    acknowledged_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: int | None = Field(default=None, foreign_key="person.id")
    resent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_to_admin_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    action_taken: str | None = None


class Clearance(Base, table=True):
    """A clinician's sign-off (or refusal) of a stage gate."""

    __tablename__ = "clearance"
    __table_args__ = (
        # One sign-off per gate: a stage's clearance on a day is stored once (a second press,
        # or two processes at once, resolve to the same row: see repo.record_clearance).
        Index(
            "uq_clearance_gate",
            "athlete_id",
            "stage",
            "local_date",
            unique=True,
            sqlite_where=text("NOT declined"),
            postgresql_where=text("NOT declined"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id", index=True)
    stage: str = Field(max_length=64)
    clinician_id: int = Field(foreign_key="person.id")
    local_date: dt.date
    at: dt.datetime = _now_field()
    declined: bool = False
    note: str | None = None


class ClinicianActionRecord(Base, table=True):
    """Something a clinician ordered on a day: hold, step back, set stage, pause, resume, a
    review, or a tightness accepted as usual for the athlete (``usual_tightness``, its 0–10
    ``value``: the engine's ``ClinicianAction.value``; NULL for every other kind)."""

    __tablename__ = "clinician_action"
    __table_args__ = (_one_of("kind", CLINICIAN_ACTION_KINDS),)

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id", index=True)
    clinician_id: int = Field(foreign_key="person.id")
    local_date: dt.date
    kind: str = Field(max_length=16)
    stage: str | None = Field(default=None, max_length=64)
    note: str | None = None
    value: int | None = None
    at: dt.datetime = _now_field()


class UsedButton(Base, table=True):
    """A decision button (acknowledge, clear, hold, step back) that has been pressed.

    ``token`` is the button's signed callback data, unique: a second press of the same button
    finds it here and changes nothing, even when two presses race (the constraint decides).
    """

    __tablename__ = "used_button"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    athlete_id: int = Field(foreign_key="person.id", index=True)
    pressed_by: int = Field(foreign_key="person.id")
    action: str = Field(max_length=16)
    at: dt.datetime = _now_field()


class Note(Base, table=True):
    """A free-text note about an athlete."""

    __tablename__ = "note"

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id", index=True)
    author_id: int = Field(foreign_key="person.id")
    text: str
    created_at: dt.datetime = _now_field()


class ProtocolVersion(Base, table=True):
    """One published version of a protocol's full text; one version per name is active."""

    __tablename__ = "protocol_version"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        Index(
            "uq_protocol_version_active",
            "name",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    version: int
    text: str
    # None: published by the system (e.g. seeded from protocols/ at first start).
    author_id: int | None = Field(default=None, foreign_key="person.id")
    note: str = ""
    created_at: dt.datetime = _now_field()
    active: bool = False


class ProtocolTextReview(Base, table=True):
    """A protocol display text an admin changed in Telegram (``/protocol set`` or an upload),
    and the languages whose translation of it needs review (``/protocols`` shows them).

    The English text is the protocol's source; a new English text has no translation in the
    catalogues until they are updated, so the other languages read it in English meanwhile.
    ``languages`` lists them, comma-separated ("es,pt,fr,de"); a row stops counting once its
    text has a translation in every listed language or is no longer in the active version.
    """

    __tablename__ = "protocol_text_review"
    __table_args__ = (Index("ix_protocol_text_review_name", "protocol_name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    protocol_name: str = Field(max_length=64)
    version: int
    # Where the text is shown ("hamstring H3: stage goal"), for the admin and the translators.
    location: str = Field(max_length=200)
    text: str
    languages: str = Field(max_length=64)
    created_at: dt.datetime = _now_field()


class PendingStep(Base, table=True):
    """A clinician's or admin's step in two parts, waiting for its second part.

    A press of "Message athlete" waits for the message; a review's note waits for
    ✅ Confirm; a protocol draft waits for Publish. Kept here, not in one process's memory,
    so that whichever replica receives the next message or press finishes the step. One
    step of each ``kind`` per person: a new one replaces the old. ``athlete_id`` ties the
    step to the athlete it is about, so deleting the athlete deletes it (a note may hold
    their health data).
    """

    __tablename__ = "pending_step"
    __table_args__ = (
        _one_of("kind", PENDING_STEP_KINDS),
        UniqueConstraint("telegram_user_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_type=BigInteger)
    kind: str = Field(max_length=16)
    athlete_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    created_at: dt.datetime = _now_field()


class Outbox(Base, table=True):
    """A message waiting to be sent, written in the same transaction as its cause."""

    __tablename__ = "outbox"
    __table_args__ = (
        _one_of("status", OUTBOX_STATUSES),
        _one_of("method", OUTBOX_METHODS),
        Index("ix_outbox_status_not_before", "status", "not_before"),
        # A chat's messages go out in order: a row waits while an earlier one of its chat is
        # unsent (pending or sending).
        Index(
            "ix_outbox_unsent_chat",
            "chat_id",
            "id",
            sqlite_where=text("status IN ('pending', 'sending')"),
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
        # Whether a question's message went out (a typed answer is checked against it).
        Index(
            "ix_outbox_progress_step",
            "progress_id",
            "step",
            sqlite_where=text("progress_id IS NOT NULL"),
            postgresql_where=text("progress_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    # The athlete the message is about (deleted with the athlete's data).
    athlete_id: int | None = Field(default=None, foreign_key="person.id")
    # Who wrote it (a clinician's message): told if it finally cannot be delivered.
    author_id: int | None = Field(default=None, foreign_key="person.id")
    text: str
    reply_markup: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    parse_mode: str | None = Field(default=None, max_length=16)
    kind: str = Field(max_length=32)
    method: str = Field(default="send", max_length=16, sa_column_kwargs={"server_default": "send"})
    # The message an edit changes (``method`` edit_text / edit_markup).
    target_message_id: int | None = Field(default=None, sa_type=BigInteger)
    # The questionnaire question this message shows (recorded as shown once sent).
    progress_id: int | None = None
    step: int | None = None
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    not_before: dt.datetime = _now_field()
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    last_error: str | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    telegram_message_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: dt.datetime = _now_field()


class InboxUpdate(Base, table=True):
    """A Telegram update, stored before Telegram is told it arrived (see ``bot.inbox``).

    ``chat_id`` orders the work: an update is handled only once every lower ``update_id`` of
    its chat is done. ``claimed_by``/``lease_until`` say which process holds it; a lease not
    renewed (the process died) lets another process take it. Rows that are done are the
    guard against Telegram's redeliveries, kept for two days.
    """

    __tablename__ = "inbox_update"
    __table_args__ = (
        _one_of("status", INBOX_STATUSES),
        Index(
            "ix_inbox_update_open_chat",
            "chat_id",
            "update_id",
            sqlite_where=text("status <> 'done'"),
            postgresql_where=text("status <> 'done'"),
        ),
        Index(
            "ix_inbox_update_open_lease",
            "lease_until",
            sqlite_where=text("status <> 'done'"),
            postgresql_where=text("status <> 'done'"),
        ),
        Index("ix_inbox_update_received_at", "received_at"),
    )

    update_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    chat_id: int = Field(default=0, sa_type=BigInteger)
    payload: str | None = None
    status: str = Field(default="pending", max_length=16)
    received_at: dt.datetime = _now_field()
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    processed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    processed_by: str | None = Field(default=None, max_length=64)
    attempts: int = 0


class SendBudget(Base, table=True):
    """The deployment's shared send rate: the next free instant of the global limit.

    Every sender process reserves its slots here (``bot.delivery.budget``), so all replicas
    together stay within Telegram's messages-per-second limit.
    """

    __tablename__ = "send_budget"

    name: str = Field(primary_key=True, max_length=32)
    next_free: dt.datetime = _now_field()


class ScheduledPrompt(Base, table=True):
    """A prompt due to an athlete at an instant (check-in, reminder, cut-off, digest...)."""

    __tablename__ = "scheduled_prompt"
    __table_args__ = (
        UniqueConstraint("athlete_id", "kind", "local_date"),
        _one_of("kind", PROMPT_KINDS),
        _one_of("status", PROMPT_STATUSES),
        Index("ix_scheduled_prompt_status_due_at", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    athlete_id: int = Field(foreign_key="person.id")
    kind: str = Field(max_length=16)
    local_date: dt.date
    due_at: dt.datetime = _now_field()
    status: str = Field(default="pending", max_length=16)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditLog(Base, table=True):
    """Who viewed, changed, cleared, exported or deleted what, and when.

    ``actor_id`` and ``athlete_id`` carry no foreign key on purpose: the entry recording an
    athlete's deletion must outlive the athlete.
    """

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=32)
    athlete_id: int | None = Field(default=None, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    at: dt.datetime = _now_field()
