"""Abandoned questionnaires whose answers call for review: evaluated by the system.

An athlete who reports red session pain (or sharp pain, or a morning red flag) and then walks
away leaves an open questionnaire that only /cancel or the next questionnaire would evaluate.
``sweep_abandoned`` finds check-ins, session reports and /problem screens (a warning sign
ticked there and not confirmed counts as reported) left idle for ``idle`` (2 hours by
default, so one still open at the next morning's prompt is always caught) and, when their
answers so far call for review (``calls_for_review``, the /cancel rule), completes them as
/cancel would: the report is stored, the engine runs, alerts are raised and the clinician's
messages queued, the athlete is told, and the audit log records that the system evaluated an
abandoned questionnaire, all in one transaction per questionnaire. Harmless answers are left
open (resumable until they expire as usual).

Each questionnaire is claimed with a conditional UPDATE on the ``updated_at`` the sweep read:
a second process (or the athlete answering meanwhile) makes it match no row, so the
evaluation happens once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bot.scheduling.registry import AlertNotifier
from bot.services.athlete.questionnaire import (
    UNFINISHED_NOTICE,
    UNFINISHED_WHAT,
    calls_for_review,
    complete,
    context_for,
    question_day,
)
from bot.services.athlete.results import Env, Out
from bot.store.db import session_scope
from bot.store.models import Person, QuestionnaireProgress
from bot.store.repo.audit import audit
from bot.store.repo.messaging import enqueue_message
from bot.support.i18n import L_
from bot.support.logs import failure
from engine.status import StageStatus

_LOGGER = logging.getLogger(__name__)

DEFAULT_IDLE = dt.timedelta(hours=2)
# The questionnaires that carry clinical answers: the day-bound ones, and /problem (a
# warning sign ticked there and left unconfirmed is reported all the same).
EVALUATED_KINDS = ("morning", "session", "problem")
AUDIT_ACTION = "evaluate_abandoned"


@dataclass
class AbandonedResult:
    """What one sweep did: questionnaires evaluated, found harmless, lost to another claim."""

    evaluated: int = 0
    harmless: int = 0
    skipped: int = 0
    queued: int = 0


@dataclass
class AbandonedSweeper:
    """The sweep's settings and its memory of idle questionnaires already found harmless.

    Answers cannot change without ``updated_at`` changing, so a (row, updated_at) judged
    harmless once is not judged again by this process.
    """

    engine: Engine
    idle: dt.timedelta = DEFAULT_IDLE
    harmless_seen: set[tuple[int, dt.datetime]] = field(default_factory=set)


def idle_candidates(
    session: Session, now: dt.datetime, idle: dt.timedelta
) -> list[tuple[int, dt.datetime]]:
    """Return (id, updated_at) of open check-ins and session reports idle for ``idle``."""
    rows = session.exec(
        select(col(QuestionnaireProgress.id), col(QuestionnaireProgress.updated_at))
        .where(
            QuestionnaireProgress.status == "open",
            col(QuestionnaireProgress.kind).in_(EVALUATED_KINDS),
            col(QuestionnaireProgress.updated_at) <= now - idle,
        )
        .order_by(col(QuestionnaireProgress.updated_at))
    ).all()
    return [(pid, at) for pid, at in rows if pid is not None]


def sweep_abandoned(
    sweeper: AbandonedSweeper, now: dt.datetime, notify: AlertNotifier
) -> AbandonedResult:
    """Evaluate every idle questionnaire whose answers call for review; return the counts.

    Each one gets its own transaction, so one that fails to evaluate (logged) neither blocks
    the others nor loses answers: it stays open and the next sweep tries again.
    """
    result = AbandonedResult()
    with session_scope(sweeper.engine, read_only=True) as session:
        candidates = idle_candidates(session, now, sweeper.idle)
    live = set(candidates)
    sweeper.harmless_seen &= live  # forget rows that were answered, closed or expired
    for progress_id, seen_at in candidates:
        if (progress_id, seen_at) in sweeper.harmless_seen:
            result.harmless += 1
            continue
        try:
            outcome = _evaluate_one(sweeper.engine, progress_id, seen_at, now, notify)
        except Exception as exc:
            _LOGGER.error(
                "abandoned questionnaire %s could not be evaluated: %s", progress_id, failure(exc)
            )
            result.skipped += 1
            continue
        if outcome is None:
            result.skipped += 1
        elif outcome < 0:
            sweeper.harmless_seen.add((progress_id, seen_at))
            result.harmless += 1
        else:
            result.evaluated += 1
            result.queued += outcome
    return result


def _evaluate_one(
    engine: Engine,
    progress_id: int,
    seen_at: dt.datetime,
    now: dt.datetime,
    notify: AlertNotifier,
) -> int | None:
    """Evaluate one idle questionnaire in one transaction.

    Returns the number of messages queued (>= 0) when it was evaluated, -1 when its answers
    are harmless (left open, nothing written), None when it changed or another process
    claimed it first.
    """
    with session_scope(engine) as session:
        progress = session.get(QuestionnaireProgress, progress_id)
        if progress is None or progress.status != "open" or progress.updated_at != seen_at:
            return None
        person = session.get(Person, progress.athlete_id)
        if person is None:
            return None
        day = question_day(progress, person, now)
        if not calls_for_review(session, person, progress, day):
            return -1
        if not _claim(session, progress_id, seen_at, now):
            return None
        counted: list[int] = []

        def counting_notify(
            s: Session, athlete_id: int, at: dt.datetime, status: StageStatus | None = None
        ) -> int:
            rows = notify(s, athlete_id, at, status)
            counted.append(rows)
            return rows

        env = Env(now=now, notify=counting_notify)
        ctx = context_for(session, person, day, progress.kind)
        outcome = complete(session, person, progress, ctx, env)
        queued = sum(counted) + _tell_athlete(session, person, progress, outcome.outs, now)
        audit(
            session,
            actor_id=None,
            action=AUDIT_ACTION,
            athlete_id=person.id,
            now=now,
            detail={
                "questionnaire": progress.kind,
                "progress_id": progress_id,
                "local_date": progress.local_date.isoformat(),
                "idle_since": seen_at.isoformat(),
                "answers": sorted(k for k in progress.answers if not k.startswith("_")),
            },
        )
        return queued


def _claim(session: Session, progress_id: int, seen_at: dt.datetime, now: dt.datetime) -> bool:
    """Take the questionnaire if it is still open and untouched since ``seen_at``.

    On PostgreSQL a second process's UPDATE waits for this transaction's row lock and then
    matches nothing (updated_at has moved); SQLite serialises writers outright.
    """
    claimed = session.exec(
        update(QuestionnaireProgress)
        .where(
            col(QuestionnaireProgress.id) == progress_id,
            col(QuestionnaireProgress.status) == "open",
            col(QuestionnaireProgress.updated_at) == seen_at,
        )
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount == 1)


def _tell_athlete(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    outs: list[Out],
    now: dt.datetime,
) -> int:
    """Queue the evaluation's result for the athlete (what /cancel would have shown them)."""
    chat_id = person.reply_chat
    body = "\n\n".join(out.text for out in outs if out.text)
    if not chat_id or not body:
        return 0
    notice = UNFINISHED_NOTICE.format(what=UNFINISHED_WHAT.get(progress.kind, L_("questionnaire")))
    enqueue_message(
        session,
        chat_id=chat_id,
        text=f"{body}\n\n{notice}",
        kind="abandoned_evaluated",
        now=now,
        dedupe_key=f"abandoned:{progress.id}",
        person_id=person.id,
        athlete_id=person.id,
    )
    return 1
