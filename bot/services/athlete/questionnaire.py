"""The athlete's flows, between Telegram and the store: one call per update, one transaction.

Every answer is written to the athlete's QuestionnaireProgress row the moment it is given.
When a questionnaire completes, its record (check-in, session report, settings...) is stored,
the engine re-derives the day from the stored history, the decision is recorded with the
protocol name and version, and the clinician's alert messages are queued in the outbox, all
in the caller's transaction. Nothing here talks to Telegram: results say what to send.

This module is the questionnaire's one path (find the athlete, open, render, answer, complete),
about 630 lines kept together on purpose: its steps call each other inside one transaction
and read best as one state machine. What each questionnaire does when it completes lives in
``onboarding``, ``daily`` and ``account``; the commands in ``commands``; the types in
``results``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, inspect, literal_column, or_
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from bot.clock import local_date as local_today
from bot.clock import zone_of
from bot.scheduling.schedule import checkin_time_of
from bot.services import texts
from bot.services.athlete.account import (
    finish_baseline,
    finish_delete,
    finish_settings,
    finish_unlink,
)
from bot.services.athlete.daily import (
    finish_followup,
    finish_morning,
    finish_problem,
    finish_session,
    valid_answers,
)
from bot.services.athlete.daily import model_keys as _model_keys
from bot.services.athlete.engine_bridge import known_programme, remember_programme, stage_checks
from bot.services.athlete.followup import pain_question_wanted
from bot.services.athlete.keyboards import Press, layout_tag, question_keyboard
from bot.services.athlete.onboarding import finish_onboarding, pressed_after_onboarding
from bot.services.athlete.results import AnswerNotShownYet, Env, Out, Result
from bot.services.athlete.results import id_of as _id
from bot.services.questionnaires import QUESTIONNAIRES
from bot.services.questionnaires.answers import ASSUMED_KEY, Accepted, parse_typed
from bot.services.questionnaires.dates import days_back_of
from bot.services.questionnaires.model import Question, QuestionContext
from bot.services.questionnaires.morning import PRETICKED_KEY, has_red_flag
from bot.services.questionnaires.onboarding import days_back_label
from bot.services.questionnaires.problem import SCREEN
from bot.services.questionnaires.session import red_flag_reported
from bot.services.questionnaires.steps import (
    DRAFT_PREFIX,
    RED_FLAGS_KEY,
    apply_answer,
    draft,
    final_answers,
    go_back,
    next_step,
    position,
    previous_answered,
    toggle_draft,
    with_ticked_signs,
)
from bot.services.questionnaires.summary import describe_metrics
from bot.services.timezones import city_label, nearest_city
from bot.store import repo
from bot.store.models import InjuryRecord, Person, Programme, QuestionnaireProgress
from bot.store.standing import protocol_for, working_day
from bot.support.formats import format_date, format_decimal, format_long_date
from bot.support.i18n import L_, Text, _, labelled, text
from engine.models import RED_FLAGS, SessionReport
from engine.red_flags import triage_session

_LOGGER = logging.getLogger(__name__)

# Asked about one day (the pain follow-up: its session report's day).
DAY_BOUND = ("morning", "session", "followup")
ONE_PER_DAY = ("morning", "session")
# Questionnaires with a "◀ Back" button (the one-question ones need none).
BACK_KINDS = ("onboarding", "morning", "session", "problem", "settings")


# --- small helpers ------------------------------------------------------------------------


# The statements of the per-answer hot path are built once: building a select costs as
# much as running it on SQLite, and SQLAlchemy caches their compiled form by structure.
# SQL constants, not bound values: an IN list of bound values is expanded on every call.
_LIVE: list[Any] = [literal_column("'active'"), literal_column("'paused'")]
_LIVE_PROGRAMME = and_(
    col(Programme.athlete_id) == col(QuestionnaireProgress.athlete_id),
    col(Programme.status).in_(_LIVE),
)
# The day of the athlete's latest /problem report: the check-in's context needs the reports
# of the last two days only when there is one (``_signs_since_last_checkin``), which on almost
# every answer there is not.
_REPORT = aliased(QuestionnaireProgress)
_LAST_REPORT_DAY = (
    select(func.max(_REPORT.local_date))
    .where(
        _REPORT.athlete_id == Person.id,
        _REPORT.kind == literal_column("'problem'"),
        _REPORT.status == literal_column("'done'"),
    )
    .correlate(Person)
    .scalar_subquery()
)
# The person with their open questionnaire, current programme and injury (and the day of
# their latest /problem report): the one query that starts every athlete update.
_PERSON_WITH_OPEN: Any = (  # five columns: more than sqlmodel's select() types
    select(Person, QuestionnaireProgress, Programme, InjuryRecord.injury)
    .add_columns(_LAST_REPORT_DAY)
    .select_from(Person)
    .join(
        QuestionnaireProgress,
        and_(
            col(QuestionnaireProgress.athlete_id) == col(Person.id),
            col(QuestionnaireProgress.status) == literal_column("'open'"),
        ),
        isouter=True,
    )
    .join(
        Programme,
        and_(col(Programme.athlete_id) == col(Person.id), col(Programme.status).in_(_LIVE)),
        isouter=True,
    )
    .join(InjuryRecord, col(InjuryRecord.id) == col(Programme.injury_id), isouter=True)
    .where(col(Person.telegram_user_id) == bindparam("telegram_user_id"))
    .order_by(col(QuestionnaireProgress.updated_at).desc(), col(Programme.id).desc())
    .limit(1)
)
_OPEN_MEMO = "athlete_service.open_questionnaire"
_REPORT_MEMO = "athlete_service.last_report_day"
# The open questionnaire with the current programme and injury: one query per update.
_OPEN_WITH_PROGRAMME = (
    select(QuestionnaireProgress, Programme, InjuryRecord.injury)
    .select_from(QuestionnaireProgress)
    .join(Programme, _LIVE_PROGRAMME, isouter=True)
    .join(InjuryRecord, col(InjuryRecord.id) == col(Programme.injury_id), isouter=True)
    .where(
        QuestionnaireProgress.athlete_id == bindparam("athlete_id"),
        QuestionnaireProgress.status == literal_column("'open'"),
    )
    .order_by(col(QuestionnaireProgress.updated_at).desc(), col(Programme.id).desc())
    .limit(1)
)


def find_athlete(session: Session, telegram_user_id: int) -> Person | None:
    """Return the person for a Telegram user, or None if they never started the bot.

    The same query reads their open questionnaire and current programme, kept for this
    transaction so that answering needs no second lookup (see ``open_progress``).
    """
    row = session.exec(_PERSON_WITH_OPEN, params={"telegram_user_id": telegram_user_id}).first()
    if row is None:
        return None
    person: Person = row[0]
    progress: QuestionnaireProgress | None = row[1]
    programme: Programme | None = row[2]
    injury: str | None = row[3]
    last_report_day: dt.date | None = row[4]
    athlete_id = _id(person)
    if programme is not None:
        remember_programme(session, athlete_id, programme, injury)
    session.info[(_OPEN_MEMO, athlete_id)] = _OpenLookup(progress)
    # Only an open /problem can become a finished report in this transaction (one open
    # questionnaire per athlete; any other opens through ``begin``, which forgets this).
    if progress is None or progress.kind != "problem":
        session.info[(_REPORT_MEMO, athlete_id)] = _ReportLookup(last_report_day)
    return person


@dataclass(frozen=True)
class _ReportLookup:
    """The day of the athlete's latest finished /problem report, read by ``find_athlete``
    (None: they never sent one)."""

    day: dt.date | None


@dataclass(frozen=True)
class _OpenLookup:
    """What ``find_athlete`` read about the open questionnaire (None: none was open)."""

    progress: QuestionnaireProgress | None


def _prefetched_open(session: Session, athlete_id: int) -> _OpenLookup | None:
    """Return (once) what ``find_athlete`` read about the open questionnaire, or None when
    it is not usable: not read in this transaction, or closed since."""
    lookup = session.info.pop((_OPEN_MEMO, athlete_id), None)
    if not isinstance(lookup, _OpenLookup):
        return None
    if lookup.progress is not None and lookup.progress.status != "open":
        return None
    return lookup


def is_onboarded(session: Session, person: Person) -> bool:
    """An athlete is set up once their programme exists."""
    return repo.get_active_programme(session, athlete_id=_id(person)) is not None


def context_for(
    session: Session,
    person: Person,
    today: dt.date,
    kind: str = "",
    now: dt.datetime | None = None,
) -> QuestionContext:
    """Return what the questions depend on: injury, stage, stage checks, the protocol's
    pain-at-rest stop threshold, date (and ``now``, the moment of the answer), and for the
    /baseline questionnaire the current baseline.

    Computed once per transaction (the session's ``info``): one update asks for it several
    times and nothing it holds changes while a questionnaire is being answered.
    """
    athlete_id = _id(person)
    memo_key = (
        "question_context",
        athlete_id,
        today,
        now,
        kind if kind in ("baseline", "problem", "morning") else "",
    )
    cached = session.info.get(memo_key)
    if isinstance(cached, QuestionContext):
        return cached
    programme, injury = _programme_and_injury(session, athlete_id)
    baseline = repo.latest_baseline(session, athlete_id=athlete_id) if kind == "baseline" else None
    checks: tuple[str, ...] = ()
    stop_pain_rest: float | None = None
    if programme is not None:
        protocol = protocol_for(session, programme)
        checks = stage_checks(protocol, programme.current_stage)
        stop_pain_rest = protocol.rules.morning.stop_pain_rest_min.value
    ctx = QuestionContext(
        injury=injury,
        stage=programme.current_stage if programme else None,
        today=today,
        now=now,
        # Until onboarding ends the stored zone is the placeholder "UTC", not the athlete's.
        zone=None if kind == "onboarding" else person.timezone,
        stage_checks=checks,
        baseline=baseline.model_dump(exclude_none=True) if baseline else None,
        stop_pain_rest_min=stop_pain_rest,
        has_clinician=kind in ("problem", "pause")
        and repo.has_linked_clinician(session, athlete_id=athlete_id),
        reported_signs=_signs_since_last_checkin(session, athlete_id, today)
        if kind == "morning"
        else (),
    )
    session.info[memo_key] = ctx
    return ctx


def _signs_since_last_checkin(session: Session, athlete_id: int, today: dt.date) -> tuple[str, ...]:
    """The warning signs reported with /problem since the athlete's last finished check-in
    before ``today`` (each /problem sign is stored on that day's check-in and stopped running
    then): the next check-in names and pre-ticks them, so a tired "None of these" never
    silently contradicts a sign reported hours before."""
    since = today - dt.timedelta(days=1)
    known = session.info.get((_REPORT_MEMO, athlete_id))
    if isinstance(known, _ReportLookup) and (known.day is None or known.day < since):
        return ()  # no report in these two days (read with the athlete): no query at all
    # The reports first: on almost every answer there is none in these two days, and the
    # check-in's context is then one small query (it is built for each answer).
    reports = session.exec(
        select(QuestionnaireProgress.updated_at, QuestionnaireProgress.answers)
        .where(
            QuestionnaireProgress.athlete_id == athlete_id,
            QuestionnaireProgress.kind == "problem",
            QuestionnaireProgress.status == "done",
            # Never older than the day before: a sign from last week is the clinician's by now.
            col(QuestionnaireProgress.local_date) >= since,
        )
        .order_by(col(QuestionnaireProgress.id))
    ).all()
    if not reports:
        return ()
    last = session.exec(
        select(QuestionnaireProgress.updated_at)
        .where(
            QuestionnaireProgress.athlete_id == athlete_id,
            QuestionnaireProgress.kind == "morning",
            QuestionnaireProgress.status == "done",
            col(QuestionnaireProgress.local_date) < today,
        )
        .order_by(col(QuestionnaireProgress.updated_at).desc())
        .limit(1)
    ).first()
    signs: list[str] = []
    for updated_at, answers in reports:
        # At the same instant (a frozen clock) the report counts: better asked than missed.
        if last is not None and updated_at < last:
            continue
        if answers.get("action") != SCREEN:
            continue  # ticks left behind by "All fine, thanks" are no report
        reported = with_ticked_signs(answers).get(RED_FLAGS_KEY)
        if isinstance(reported, list):
            signs += [str(s) for s in reported if s in RED_FLAGS]
    return tuple(dict.fromkeys(signs))


def _programme_and_injury(session: Session, athlete_id: int) -> tuple[Programme | None, str | None]:
    """Return the current programme and the injured muscle group in one query (none when
    ``open_progress`` already read them with the questionnaire)."""
    known = known_programme(session, athlete_id)
    if known is not None:
        return known
    row = session.exec(
        select(Programme, InjuryRecord.injury)
        .join(InjuryRecord, col(InjuryRecord.id) == col(Programme.injury_id), isouter=True)
        .where(
            Programme.athlete_id == athlete_id,
            col(Programme.status).in_(("active", "paused")),
        )
        .order_by(col(Programme.id).desc())
    ).first()
    if row is None:  # onboarding: no programme yet; the injury may not exist either
        injury = repo.latest_injury(session, athlete_id=athlete_id)
        return None, injury.injury if injury else None
    return row[0], row[1]


def _save(
    session: Session,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    step: int,
    now: dt.datetime,
) -> None:
    """Write the answers and the open step (validated data-dictionary keys) at once.

    The store's ``save_answer`` takes one key of the data dictionary; questionnaires here
    also keep drafts and helper items (step-by-step metrics, confirmations), so the whole
    answer dict is written, after checking every dictionary key the store knows.
    """
    if progress.kind in ("morning", "session", "followup"):
        # The follow-up's answer is a session report answer.
        kind = "session" if progress.kind == "followup" else progress.kind
        keys = _model_keys(kind)
        for key, value in answers.items():
            if key in keys and progress.answers.get(key) != value:
                repo.validate_answer(kind, key, value)
    answers = dict(answers)
    if progress in session.dirty or progress in session.new:
        progress.answers = answers  # a new dict, so the JSON column sees the change
        progress.step = step
        progress.updated_at = now
        session.add(progress)
        session.flush()
        return
    # One prepared UPDATE instead of a unit-of-work flush; the caller's transaction commits it.
    repo.update_loaded(session, progress, answers=answers, step=step, updated_at=now)


# --- rendering a step ---------------------------------------------------------------------


def render_question(
    progress: QuestionnaireProgress,
    ctx: QuestionContext,
    prefix: str = "",
    *,
    restart: bool = False,
) -> Out | None:
    """Return the open question of ``progress`` as a message with its buttons (None: done)."""
    q = QUESTIONNAIRES[progress.kind]
    step = next_step(q, progress.answers, ctx)
    if step is None:
        return None
    assert progress.id is not None
    options = step.question.render_options(ctx, progress.answers)
    ticked = [
        i for i, o in enumerate(options) if o.value in draft(progress.answers, step.question.key)
    ]
    back = previous_answered(q, progress.answers, step.index) is not None
    back = back and progress.kind in BACK_KINDS
    keyboard = question_keyboard(
        progress.id,
        step.index,
        step.question,
        options,
        ticked,
        back=back,
        restart=restart,
        layout=q.layout,
    )
    n, total = position(q, progress.answers, ctx)
    # /problem often opens with its first answer given (the words typed outside any
    # questions): a counter would number a question the athlete never saw.
    counted = total > 1 and progress.kind != "problem"
    counter = texts.QUESTION_COUNTER.format(n=n, total=total) if counted else ""
    prompt = counter + step.question.render_prompt(ctx, progress.answers)
    return Out(prefix + prompt, keyboard, progress_id=progress.id, step=step.index)


def _answer_echo(question: Question, label: str, value: Any = None) -> str:
    if value is not None and any(v == value for v in question.resets):
        return str(texts.RETYPE_ECHO) + "\n\n"  # "No, type again" confirmed nothing
    return f"✓ {labelled(question.shown_label, without_icon(label))}\n\n"


def without_icon(label: str) -> str:
    """Return a button's label without the emoji it may start or end with ("✅ Confirm" is
    echoed "✓ Confirm", not "✓ ✅ Confirm"; "None of these ✅" is echoed "✓ None of these");
    a label that is only an emoji is kept."""

    def icon(char: str) -> bool:
        return unicodedata.category(char) in ("So", "Sk", "Mn", "Cf") or char.isspace()

    start, end = 0, len(label)
    while start < end and icon(label[start]):
        start += 1
    while end > start and icon(label[end - 1]):
        end -= 1
    return label[start:end] or label


def _assumed_note(assumed: tuple[str, ...]) -> str:
    """What was read with a guess in a typed metrics line ("31 km/h = 8.6 m/s?") when no
    confirmation step follows: said at once, with the way back."""
    if not assumed:
        return ""
    return "\n".join(assumed) + " " + str(texts.ASSUMED_BACK) + "\n\n"


# --- starting, resuming, cancelling -------------------------------------------------------


_PROGRESS: Any = QuestionnaireProgress.__table__  # type: ignore[attr-defined]
# The row as it is now, locked (prepared once: ``session.refresh`` builds its query anew).
_LOCK_PROGRESS = (
    select(*_PROGRESS.c).where(_PROGRESS.c.id == bindparam("progress_id")).with_for_update()
)


def _locked(session: Session, progress: QuestionnaireProgress) -> QuestionnaireProgress:
    """Re-read the row with a lock on PostgreSQL, so two processes answering the same
    questionnaire queue up (SQLite's BEGIN IMMEDIATE already serialises writers).

    What ``session.refresh(progress, with_for_update=True)`` does, at a third of its cost:
    one locking SELECT, and every column another process changed meanwhile is taken from
    it. An object with unsaved changes or unloaded columns (or a row gone) is refreshed."""
    if session.get_bind().dialect.name != "postgresql":
        return progress
    state = inspect(progress)
    if state.modified or state.unloaded or progress.id is None:
        session.refresh(progress, with_for_update=True)
        return progress
    row = session.execute(_LOCK_PROGRESS, {"progress_id": progress.id}).first()
    if row is None:
        session.refresh(progress, with_for_update=True)  # raises as before: the row is gone
        return progress
    for column, value in zip(_PROGRESS.c, row, strict=True):
        if getattr(progress, column.key) != value:
            set_committed_value(progress, column.key, value)
    return progress


def expired(progress: QuestionnaireProgress, today: dt.date) -> bool:
    """Whether a day-bound questionnaire is too old to answer.

    The previous day's stays open past local midnight (an evening session answered at 00:05
    must still count, and a red flag reported then must reach the clinician) until the
    athlete starts another questionnaire, which closes it; older ones expire (completed, not
    dropped, when their answers call for review: ``_close_expired``). So does the pain
    follow-up: a severe pain tapped at 00:05 must still reach the clinician.
    """
    return progress.kind in DAY_BOUND and progress.local_date < today - dt.timedelta(days=1)


def question_day(progress: QuestionnaireProgress, person: Person, now: dt.datetime) -> dt.date:
    """Return the date a questionnaire's questions are asked for: a day-bound one's own
    date (answered after midnight it still belongs to its day), else the athlete's today."""
    if progress.kind in DAY_BOUND:
        return progress.local_date
    return local_today(person, now)


def open_progress(
    session: Session, person: Person, now: dt.datetime, env: Env | None = None
) -> QuestionnaireProgress | None:
    """Return the athlete's open questionnaire; day-bound ones from an earlier day expire
    (``_close_expired``): one whose answers call for review is completed with ``env``'s
    notifier, never dropped. Without ``env`` such a one is returned as it is, for the caller
    to complete (/cancel does: ``calls_for_review``)."""
    today = local_today(person, now)
    athlete_id = _id(person)
    prefetched = _prefetched_open(session, athlete_id)
    while True:
        if prefetched is not None:
            progress, prefetched = prefetched.progress, None
            if progress is None:
                return None
        else:
            row = session.exec(_OPEN_WITH_PROGRAMME, params={"athlete_id": athlete_id}).first()
            if row is None:
                return None
            progress, programme, injury = row
            if programme is not None:  # spares context_for a second query
                remember_programme(session, athlete_id, programme, injury)
        progress = _locked(session, progress)
        if progress.status != "open":
            continue  # another process closed it meanwhile (e.g. the abandoned-answers sweep)
        if expired(progress, today) and _close_expired(session, person, progress, now, env):
            continue
        return progress


def _close_expired(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    now: dt.datetime,
    env: Env | None,
) -> bool:
    """Close ``progress``, a day-bound questionnaire too old to answer, as every other path
    closes one unfinished (``_close_others``, the abandoned-answers sweep, /cancel): answers
    that call for review (a warning sign ticked and never confirmed...) complete it, so the
    stop is recorded and the clinician told even when the sweep never ran (the process was
    down), and what that says is read first (``said_on_closing``); harmless ones are
    cancelled, answers kept (said once by ``_closed_unsaid``). Returns False, leaving it
    open, when it calls for review and there is no ``env`` to complete it with."""
    assert progress.id is not None
    day = progress.local_date
    if calls_for_review(session, person, progress, day):
        if env is None:
            return False
        ctx = context_for(session, person, day, progress.kind)
        _keep_said(session, person, progress.kind, complete(session, person, progress, ctx, env))
        return True
    repo.finish_questionnaire(session, progress_id=progress.id, now=now, status="cancelled")
    return True


# What completing a questionnaire closed by another says (a stop above all), kept for the
# reply of the update (or prompt) that closed it: see ``said_on_closing``.
_SAID_ON_CLOSING = "athlete_service.said_on_closing"
# Said after what to do (the verdict comes first), without blame: the athlete was interrupted.
# The abandoned-answers sweep (``abandoned``) says the same.
UNFINISHED_NOTICE = L_(
    "(This comes from your unfinished {what}: some of its answers needed acting on, so they "
    "were saved and used.)"
)
UNFINISHED_WHAT = {
    "morning": L_("morning check-in"),
    "session": L_("session report"),
    "problem": L_("warning-sign check"),
}
# A check-in or session report put aside by another questionnaire (a command tapped in the
# middle of it, or a prompt): its answers are kept and its command carries on from there.
# Said when it is put aside, again when the other questionnaire is finished, and to a press
# on one of its old buttons.
ON_HOLD = L_(
    "Your {what} is on hold, with the answers you gave so far. Send {command} to finish it."
)
_RESUMED_BY = {"morning": "/checkin", "session": "/done"}
# A check-in or session report carrying on with the answers kept (after /cancel, or put on
# hold): which one carries on is named (the generic RESUMED_ANSWERS for the others).
RESUMED_NAMED = {
    "morning": L_(
        "I kept the answers you gave before you stopped, so your morning check-in carries on "
        "from here."
    ),
    "session": L_(
        "I kept the answers you gave before you stopped, so your session report carries on "
        "from here."
    ),
}
# The same for a /problem note typed and not sent yet (no choice made on it): it goes to
# nobody without the athlete's tap, and /problem carries on with it.
NOTE_ON_HOLD = L_(
    "What you wrote about what is wrong has not been sent to anyone. It is kept: send /problem "
    "to carry on with it."
)
# ... the same for an athlete with no clinician linked: there is nobody to send it to.
NOTE_ON_HOLD_NO_CLINICIAN = L_(
    "You started telling me what is wrong but did not finish. Send /problem to carry on."
)
# /problem carrying on with a note on hold: its words, so the athlete sees what carries on
# (quoted, shortened when long: ``_quoted_note``), instead of the generic RESUMED_ANSWERS.
NOTE_RESUMED = L_("What you wrote so far: “{note}”")
# How much of a resumed note is quoted back (the whole note is kept and sent).
NOTE_QUOTED_MAX = 200
# ... and for the pain question asked about an hour after a session (``followup``), put aside
# on its own day: /done asks it again.
FOLLOWUP_ON_HOLD = L_(
    "The question about your pain after the session is on hold. Send /done to answer it."
)
# A check-in or session report of an earlier day, left unfinished with harmless answers and
# closed (by the next questionnaire, its day ending on hold, or its expiry): it did not count,
# its answers are kept (in the questionnaire's own record), and the athlete is told once.
CLOSED_ONE = L_(
    "Your {what} of {date} was not finished, so it did not count. Your answers are saved."
)
CLOSED_BOTH = L_(
    "Your morning check-in and session report of {date} were not finished, so they did not "
    "count. Your answers are saved."
)
# ... and a /problem note of an earlier day that went nowhere (no choice was made on it).
NOTE_CLOSED_UNSENT = L_(
    "What you started telling me on {date} was not finished. Send /problem if it still matters."
)
# ... said as a new /problem opens (no "send /problem" on its own screen).
NOTE_CLOSED_NEW_NOTE = L_(
    "What you started telling me on {date} was not finished. This is a new note."
)
# Marks a closed questionnaire the athlete has been told about (``_closed_unsaid``).
CLOSED_SAID_KEY = "_closed_said"
# How far back a questionnaire closed unfinished is still told about (older ones, e.g. from
# before this was said at all, would only be noise).
CLOSED_SAID_WITHIN = dt.timedelta(days=7)
# What can be put on hold: the check-in and session report, a /problem note, the pain question.
HELD_KINDS = ("morning", "session", "problem", "followup")
# Marks a /problem begun by words typed outside any question (``typed``): such words are held
# only when they read as a sentence (an "ok thanks" left on the screen is no note to keep).
TYPED_OUTSIDE_KEY = "_typed_outside"
# Words typed at /problem's buttons (after its note): added to the note, the buttons shown again.
NOTE_ADDED = L_("I added that to what you wrote.")
# A button of a question already answered (typed instead, or the same button tapped twice):
# the answer stands, and the athlete is told which one.
ALREADY_ANSWERED = L_("You already answered this ({answer}): your answer is kept.")
# The same answer typed while a tap on it (or the answer typed twice) was saving the check-in
# or session report: it changes nothing, and is no message to ask "what is wrong?" about.
CAME_AFTER_SAVING = L_("That came in after your {what} was saved ({answer}), so nothing changed.")


def _on_hold(
    session: Session, person: Person, progress: QuestionnaireProgress, now: dt.datetime
) -> bool:
    """Whether ``progress`` was closed unfinished and still waits, for the athlete's working
    day, to be resumed by its command (``_RESUMED_BY``, ``_cancelled_to_resume``): a check-in
    or session report with answers given and no record of its kind yet; a /problem note not
    sent (``_note_held``); the pain question after a session still wanted (``followup``).
    Never one already said to be closed (``said_closed``), even when a move west gives its
    day back."""
    if progress.kind not in HELD_KINDS or progress.status != "cancelled" or said_closed(progress):
        return False
    day = progress.local_date
    if day != working_day(session, person, now):
        return False
    if progress.kind == "problem":
        return _note_held(progress.answers)
    if progress.kind == "followup":
        return pain_question_wanted(session, _id(person), day)
    if not any(not str(k).startswith("_") for k in progress.answers):
        return False
    stored = repo.get_morning_checkin if progress.kind == "morning" else repo.get_session_report
    return stored(session, athlete_id=_id(person), local_date=day) is None


def said_closed(progress: QuestionnaireProgress) -> bool:
    """Whether the athlete was told ``progress`` was closed unfinished ("did not count",
    ``_closed_unsaid``): it stays closed, never put on hold or carried on again."""
    return bool(progress.answers.get(CLOSED_SAID_KEY))


def _note_held(answers: Any) -> bool:
    """Whether /problem answers hold a note the athlete made no choice on yet (so it was sent
    nowhere); words typed outside any question count when they read as a sentence."""
    note = str(answers.get("note") or "").strip()
    if not note or "action" in answers:
        return False
    return not answers.get(TYPED_OUTSIDE_KEY) or _is_prose(note)


def _on_hold_note(session: Session, person: Person, kind: str) -> str:
    """What the athlete reads about their questionnaire put on hold (a note "not sent to
    anyone" only when there is somebody to send it to)."""
    if kind == "problem":
        if repo.has_linked_clinician(session, athlete_id=_id(person)):
            return str(NOTE_ON_HOLD)
        return str(NOTE_ON_HOLD_NO_CLINICIAN)
    if kind == "followup":
        return str(FOLLOWUP_ON_HOLD)
    return ON_HOLD.format(what=UNFINISHED_WHAT[kind], command=_RESUMED_BY[kind])


def held_note(session: Session, person: Person, kind: str, now: dt.datetime) -> str | None:
    """What the athlete reads about their questionnaire of ``kind`` on hold for their working
    day, or None when none is (a check-in or session report is not while paused: no check-in
    is expected then)."""
    notes = _held_notes(session, person, (kind,), now)
    return notes[0] if notes else None


def _held_notes(
    session: Session, person: Person, kinds: Sequence[str], now: dt.datetime
) -> list[str]:
    """What the athlete reads about each of their questionnaires of ``kinds`` on hold for
    their working day, in the order of ``kinds`` (see :func:`held_note`): the day's latest
    questionnaire of each kind, read in one query."""
    wanted = [k for k in kinds if not (person.paused and k in ONE_PER_DAY)]
    if not wanted:
        return []
    rows = session.exec(
        select(QuestionnaireProgress)
        .where(
            QuestionnaireProgress.athlete_id == _id(person),
            col(QuestionnaireProgress.kind).in_(wanted),
            QuestionnaireProgress.local_date == working_day(session, person, now),
        )
        .order_by(
            col(QuestionnaireProgress.updated_at).desc(), col(QuestionnaireProgress.id).desc()
        )
    ).all()
    latest: dict[str, QuestionnaireProgress] = {}
    for row in rows:
        latest.setdefault(row.kind, row)
    return [
        _on_hold_note(session, person, kind)
        for kind in wanted
        if kind in latest and _on_hold(session, person, latest[kind], now)
    ]


def pain_question_waits(session: Session, person: Person, day: dt.date, now: dt.datetime) -> bool:
    """Whether the pain question after the session of ``day`` is open or on hold: /done asks
    it (again)."""
    latest = repo.latest_questionnaire_of_day(
        session, athlete_id=_id(person), kind="followup", local_date=day
    )
    if latest is None:
        return False
    if latest.status == "open":
        return not expired(latest, local_today(person, now))
    return _on_hold(session, person, latest, now)


def _still_on_hold(session: Session, person: Person, finished: str, env: Env) -> list[Out]:
    """Said after a questionnaire of kind ``finished`` is complete: what it put on hold still
    waits."""
    # /settings' own confirmation says the check-in waits.
    skipped = {finished, "morning"} if finished == "settings" else {finished}
    kinds = [kind for kind in HELD_KINDS if kind not in skipped]
    return [Out(note) for note in _held_notes(session, person, kinds, env.now)]


# Until when a night still counts as the evening before, for a session reported after midnight.
_NIGHT_ENDS = dt.time(4, 0)


def report_day(session: Session, person: Person, now: dt.datetime) -> dt.date:
    """Return the local date a /done sent at ``now`` reports on.

    Normally the athlete's today; after a move west to an earlier date, the later day they
    already started (``working_day``), whatever the hour. A session that ran late in the
    evening is often reported after local midnight, so the night still belongs to the day
    before: until the athlete's check-in time of the new day (at the latest 04:00: a session
    run early in the morning before checking in is that day's), and while they have not
    checked in, /done reports on yesterday if yesterday had a check-in (or its post-session
    questionnaire is still open) and no session report yet. Last night's report put on hold
    with answers (the athlete was told "send /done to finish it") waits until the check-in
    time itself, past 04:00. The morning prompt at the check-in time closes yesterday's
    session questionnaire the same way.
    """
    local_now = now.astimezone(zone_of(person.timezone))
    today = local_now.date()
    yesterday = today - dt.timedelta(days=1)
    assert person.id is not None
    started = working_day(session, person, now)
    if started > today:
        return started
    if local_now.time() >= checkin_time_of(person):
        return today
    if local_now.time() >= _NIGHT_ENDS and not _report_on_hold(session, person, yesterday):
        return today
    if repo.get_morning_checkin(session, athlete_id=person.id, local_date=today) is not None:
        return today
    if repo.get_session_report(session, athlete_id=person.id, local_date=yesterday) is not None:
        return today
    if (
        repo.get_morning_checkin(session, athlete_id=person.id, local_date=yesterday) is None
        and repo.get_open_questionnaire(
            session, athlete_id=person.id, kind="session", local_date=yesterday
        )
        is None
    ):
        return today
    return yesterday


def _report_on_hold(session: Session, person: Person, day: dt.date) -> bool:
    """Whether the session report of ``day`` was put on hold with answers and not finished
    (and not said to be closed since: ``said_closed``)."""
    latest = repo.latest_questionnaire_of_day(
        session, athlete_id=_id(person), kind="session", local_date=day
    )
    return (
        latest is not None
        and latest.status == "cancelled"
        and not said_closed(latest)
        and any(not str(k).startswith("_") for k in latest.answers)
        and repo.get_session_report(session, athlete_id=_id(person), local_date=day) is None
    )


def _closed_unsaid(
    session: Session,
    person: Person,
    now: dt.datetime,
    opening: str = "",
    working: dt.date | None = None,
) -> list[str]:
    """What the athlete reads, once, about the check-ins and session reports of earlier days
    closed unfinished with answers given (none calling for review: those were completed) and
    the /problem notes of earlier days that went nowhere, whatever closed them: another
    questionnaire (``_close_others``), their day ending on hold, or their expiry
    (``open_progress``, silent by itself). Each is marked said (``CLOSED_SAID_KEY``), so it is
    never said twice; those of the last week only. One line per day, in the days' order.
    ``opening``: the kind of questionnaire being opened (a /problem: a note is a new one);
    ``working``: the athlete's working day, when the caller has it."""
    today = working or working_day(session, person, now)
    rows = session.exec(
        select(QuestionnaireProgress)
        .where(
            QuestionnaireProgress.athlete_id == _id(person),
            col(QuestionnaireProgress.kind).in_((*ONE_PER_DAY, "problem")),
            QuestionnaireProgress.status == "cancelled",
            col(QuestionnaireProgress.local_date) < today,
            col(QuestionnaireProgress.local_date) >= today - CLOSED_SAID_WITHIN,
        )
        .order_by(col(QuestionnaireProgress.local_date), col(QuestionnaireProgress.id))
    ).all()
    unfinished: dict[dt.date, set[str]] = {}
    notes: set[dt.date] = set()
    for progress in rows:
        if progress.answers.get(CLOSED_SAID_KEY) or not _closed_worth_saying(
            session, person, progress, now
        ):
            continue
        if progress.kind == "problem":
            notes.add(progress.local_date)
        else:
            unfinished.setdefault(progress.local_date, set()).add(progress.kind)
        progress.answers = {**progress.answers, CLOSED_SAID_KEY: True}
        session.add(progress)
    said: list[str] = []
    for day in sorted({*unfinished, *notes}):
        kinds = unfinished.get(day, set())
        if len(kinds) == len(ONE_PER_DAY):
            said.append(CLOSED_BOTH.format(date=format_date(day)))
        elif kinds:
            (kind,) = kinds
            said.append(CLOSED_ONE.format(what=UNFINISHED_WHAT[kind], date=format_date(day)))
        if day in notes:
            line = NOTE_CLOSED_NEW_NOTE if opening == "problem" else NOTE_CLOSED_UNSENT
            said.append(line.format(date=format_date(day)))
    return said


def _closed_worth_saying(
    session: Session, person: Person, progress: QuestionnaireProgress, now: dt.datetime
) -> bool:
    """Whether a questionnaire of an earlier day closed unfinished is worth a word: a /problem
    note made no choice on; a check-in or session report with answers given whose day has no
    record after all (a warning sign sent by /problem records it), except last night's report
    that /done still finishes."""
    day = progress.local_date
    if progress.kind == "problem":
        return _note_held(progress.answers)
    if not any(not str(k).startswith("_") for k in progress.answers):
        return False
    if progress.kind == "session" and report_day(session, person, now) == day:
        return False  # last night's report: /done still finishes it
    stored = repo.get_morning_checkin if progress.kind == "morning" else repo.get_session_report
    return stored(session, athlete_id=_id(person), local_date=day) is None


def _close_others(session: Session, person: Person, keep: str, day: dt.date, env: Env) -> list[str]:
    """Only one questionnaire is open at a time: others (and, for a day-bound kind, one of
    the same kind left open on another day) are cancelled, answers kept; one whose answers so
    far call for review (e.g. session pain at the red threshold, a warning sign ticked on
    /problem) is completed instead, so the engine and the clinician see it, and what that says
    (a stop and what to do) is kept for the athlete to read first (``said_on_closing``). One
    of ``keep``'s kind that is not day-bound (onboarding, /settings...) stays open whatever its
    date: it is resumed. Returns what the athlete is told about the others: each one put on
    hold (``_on_hold``). An earlier day's check-in or session report closed unfinished is said
    by ``_closed_unsaid``. A /problem of an earlier day is over when a new one opens
    (``_earlier_problem``), as a note on hold is when its day ends."""
    now = env.now
    on_hold: list[str] = []
    other = col(QuestionnaireProgress.kind) != keep
    if keep in DAY_BOUND or keep == "problem":
        other = or_(other, col(QuestionnaireProgress.local_date) != day)
    for progress in session.exec(
        select(QuestionnaireProgress).where(
            QuestionnaireProgress.athlete_id == _id(person),
            QuestionnaireProgress.status == "open",
            other,
        )
    ).all():
        assert progress.id is not None
        own_day = question_day(progress, person, now)
        if calls_for_review(session, person, progress, own_day):
            result = complete(session, person, progress, context_for(session, person, own_day), env)
            _keep_said(session, person, progress.kind, result)
            continue
        repo.finish_questionnaire(session, progress_id=progress.id, now=now, status="cancelled")
        if _on_hold(session, person, progress, now):
            on_hold.append(_on_hold_note(session, person, progress.kind))
    return on_hold


def _keep_said(session: Session, person: Person, kind: str, result: Result) -> None:
    """Keep what completing a questionnaire closed by another said, with a line saying where
    it comes from (the athlete asked for something else), for ``said_on_closing``."""
    outs = [out for out in result.outs if out.text]
    if not outs and not result.queued:
        return
    if outs:
        notice = UNFINISHED_NOTICE.format(what=UNFINISHED_WHAT.get(kind, L_("questionnaire")))
        outs[-1] = dataclasses.replace(outs[-1], text=f"{outs[-1].text}\n\n{notice}")
    kept = session.info.setdefault((_SAID_ON_CLOSING, _id(person)), Result())
    kept.outs.extend(outs)
    kept.queued = kept.queued or result.queued


def said_on_closing(session: Session, person: Person) -> Result:
    """Return, once, what closing the athlete's other questionnaires said in this transaction
    (``begin`` closes them): a questionnaire whose answers called for review was completed,
    e.g. a warning sign ticked on /problem and never confirmed, now recorded, running stopped
    and the clinician alerted. The athlete must read that first, before the questions just
    opened (``Result.said_first``); ``queued``: the clinician's messages were queued. An empty
    Result when nothing was completed."""
    kept = session.info.pop((_SAID_ON_CLOSING, _id(person)), None)
    return kept if isinstance(kept, Result) else Result()


def begin(
    session: Session,
    person: Person,
    kind: str,
    env: Env,
    *,
    answers: dict[str, Any] | None = None,
    day: dt.date | None = None,
) -> tuple[QuestionnaireProgress, Out | None]:
    """Open (or resume) a questionnaire of ``kind`` for ``day`` (default: the athlete's today)
    and return it with its open question.

    A check-in or session report cancelled earlier that day resumes with the answers kept.
    One that is not day-bound (onboarding above all) resumes whatever day it was opened on,
    with its answers and the invitation it was started with.
    """
    # The working day: after a move west, the day already started (a /problem's warning sign
    # joins that day's check-in, never a day already closed).
    today = day or working_day(session, person, env.now)
    session.info.pop((_OPEN_MEMO, _id(person)), None)  # a questionnaire opens: read afresh
    session.info.pop((_REPORT_MEMO, _id(person)), None)  # ... and it may close a /problem
    on_hold = "".join(note + "\n\n" for note in _close_others(session, person, kind, today, env))
    progress = repo.get_open_questionnaire(
        session,
        athlete_id=_id(person),
        kind=kind,
        local_date=today if kind in DAY_BOUND else None,
    )
    resumed = False
    if progress is None:
        progress = _cancelled_to_resume(session, person, kind, today, env.now)
        if progress is not None:
            resumed = any(not str(k).startswith("_") for k in progress.answers)
            if kind == "problem" and answers:  # typed again: both notes, the earlier first
                progress.answers = _with_note_added(progress.answers, answers)
            progress.status = "open"
            progress.updated_at = env.now
            session.add(progress)
            session.flush()
    if progress is None:
        progress = repo.start_questionnaire(
            session,
            athlete_id=_id(person),
            kind=kind,
            local_date=today,
            now=env.now,
            layout=QUESTIONNAIRES[kind].layout,
        )
        if answers:
            _save(session, progress, {**progress.answers, **answers}, 0, env.now)
    # An earlier day's questionnaire closed unfinished, said once (not the one just resumed:
    # open again), before what was put on hold now.
    closed = _closed_unsaid(session, person, env.now, kind, None if day else today)
    on_hold = "".join(note + "\n\n" for note in closed) + on_hold
    ctx = context_for(session, person, today, kind, env.now)
    if (
        kind == "morning"
        and ctx.reported_signs
        and not resumed
        and not any(str(k).startswith(("red_flags", DRAFT_PREFIX)) for k in progress.answers)
    ):
        # A sign reported with /problem since the last check-in is pre-ticked (and named); as
        # long as the athlete leaves it untouched it is no answer of theirs (``_with_ticked``).
        signs = list(ctx.reported_signs)
        seeded = {**progress.answers, DRAFT_PREFIX + RED_FLAGS_KEY: signs, PRETICKED_KEY: signs}
        _save(session, progress, seeded, progress.step, env.now)
    if _layout_changed(progress):  # begun before a deploy changed its questions
        _resync(session, progress, ctx, env.now)
    step = next_step(QUESTIONNAIRES[kind], progress.answers, ctx)
    if step is not None and progress.step != step.index:
        _save(session, progress, progress.answers, step.index, env.now)
    if resumed:  # after /cancel: carry on, or start over (issue 15)
        # What carries on, right above its question (the others on hold are said before).
        kept = str(RESUMED_NAMED.get(kind, texts.RESUMED_ANSWERS))
        if kind == "problem":
            kept = NOTE_RESUMED.format(note=_quoted_note(progress.answers.get("note")))
        note = on_hold + kept + "\n\n"
        return progress, render_question(progress, ctx, prefix=note, restart=True)
    return progress, render_question(progress, ctx, prefix=on_hold)


def _quoted_note(note: Any) -> str:
    """A /problem note as quoted back to the athlete (``NOTE_RESUMED``): on one line, cut at a
    word after ``NOTE_QUOTED_MAX`` characters (with "…")."""
    words = " ".join(str(note or "").split())
    if len(words) > NOTE_QUOTED_MAX:
        cut = words[:NOTE_QUOTED_MAX]
        words = (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
    return words


def _earlier_problem(
    session: Session, person: Person, progress: QuestionnaireProgress, now: dt.datetime
) -> bool:
    """Whether ``progress`` is a /problem opened on an earlier day than the athlete's working
    day: it is over (a note on hold is, once its day ends), so words typed now start a new
    note (``begin`` closes it, said once by ``_closed_unsaid``), never "use the buttons"."""
    return (
        progress.kind == "problem"
        and progress.local_date is not None
        and progress.local_date < working_day(session, person, now)
    )


def _with_note_added(kept: Any, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers of a /problem note on hold with the words typed since added to its note."""
    merged = {k: v for k, v in kept.items() if k != TYPED_OUTSIDE_KEY}
    added = str(answers.get("note") or "").strip()
    if added:
        earlier = str(kept.get("note") or "").strip()
        merged["note"] = f"{earlier}\n\n{added}" if earlier else added
    return merged


def _cancelled_to_resume(
    session: Session, person: Person, kind: str, today: dt.date, now: dt.datetime
) -> QuestionnaireProgress | None:
    """Return the cancelled questionnaire that opening ``kind`` carries on, or None: a
    check-in or session report cancelled earlier that day; a /problem note or the pain
    question after a session on hold (``_on_hold``); an onboarding cancelled on any day (one
    closed by another questionnaire before it was kept open across days: its answers and its
    invitation must not be lost). Never one said to be closed (``said_closed``)."""
    if kind in ("problem", "followup"):
        held = repo.latest_questionnaire_of_day(
            session, athlete_id=_id(person), kind=kind, local_date=today
        )
        return held if held is not None and _on_hold(session, person, held, now) else None
    if kind in ONE_PER_DAY:
        latest = repo.latest_questionnaire_of_day(
            session, athlete_id=_id(person), kind=kind, local_date=today
        )
    elif kind == "onboarding":
        latest = session.exec(
            select(QuestionnaireProgress)
            .where(
                QuestionnaireProgress.athlete_id == _id(person),
                QuestionnaireProgress.kind == kind,
            )
            .order_by(col(QuestionnaireProgress.updated_at).desc())
        ).first()
    else:
        return None
    if latest is None or latest.status != "cancelled" or said_closed(latest):
        return None  # one said closed stays closed: a new one is begun
    return latest


def calls_for_review(
    session: Session, person: Person, progress: QuestionnaireProgress, day: dt.date
) -> bool:
    """Whether the answers so far of a check-in or session report already call for the
    engine and the clinician: a red flag, pain at rest at the stop threshold, sharp pain, new
    swelling, bruising, a pop or numbness since the session started, session pain (during
    or an hour after) at the protocol's red thresholds, or anything else the engine's session
    triage escalates on these answers (pain away from the injured spot)."""
    answers = _with_ticked(progress, context_for(session, person, day, progress.kind))
    if progress.kind == "morning":
        return has_red_flag(answers, context_for(session, person, day, "morning"))
    if progress.kind == "problem":
        return bool(answers.get("red_flags"))
    if progress.kind != "session":
        return False
    if red_flag_reported(answers, context_for(session, person, day, "session")):
        return True
    programme = repo.get_active_programme(session, athlete_id=_id(person))
    if programme is None:
        return False
    protocol = protocol_for(session, programme)
    rules = protocol.rules.session
    pain, pain_1h = answers.get("pain_max"), answers.get("pain_1h")
    if (isinstance(pain, int) and pain >= rules.red_pain_min.value) or (
        isinstance(pain_1h, int) and pain_1h >= rules.red_pain_1h_min.value
    ):
        return True
    # The engine's own triage, so that whatever it escalates once the report is finished
    # (pain elsewhere, tier 3) is not lost when the athlete stops half way.
    so_far = {k: v for k, v in answers.items() if k in _model_keys("session")}
    report = valid_answers(SessionReport, so_far, "session answers so far")
    return triage_session(protocol, report) is not None


def _with_ticked(progress: QuestionnaireProgress, ctx: QuestionContext) -> dict[str, Any]:
    """The answers with warning signs ticked and not confirmed counted as reported, where the
    warning-sign question applies to the answers given: on /problem only while "Check for
    warning signs" is chosen (ticks left behind by "◀ Back" and "All fine, thanks" are not
    a report). A sign the check-in pre-ticked from a /problem report and the athlete left
    untouched is no report either: that report already stopped running and reached the
    clinician, and the athlete said nothing today (confirmed with Done or "No, it is still
    there", it is today's answer)."""
    q = QUESTIONNAIRES[progress.kind]
    signs = next((x for x in q.questions if x.key == RED_FLAGS_KEY), None)
    if signs is None or not signs.applies(progress.answers, ctx):
        return progress.answers
    answers = progress.answers
    untouched = _untouched_preticks(answers)
    if untouched:
        own = [s for s in draft(answers, RED_FLAGS_KEY) if s not in untouched]
        answers = {**answers, DRAFT_PREFIX + RED_FLAGS_KEY: own}
    promoted = with_ticked_signs(answers)
    return progress.answers if promoted is answers else dict(promoted)


def _untouched_preticks(answers: Any) -> list[Any]:
    """The signs pre-ticked from a /problem report that the athlete has not touched since."""
    value = answers.get(PRETICKED_KEY)
    return list(value) if isinstance(value, list) else []


# --- answering ----------------------------------------------------------------------------


def press(session: Session, person: Person, pressed: Press, env: Env) -> Result:
    """A button press on a questionnaire message; a stale press changes nothing."""
    progress = repo.get_questionnaire(session, progress_id=pressed.progress_id)
    if progress is not None:
        progress = _locked(session, progress)
    if progress is not None and progress.athlete_id == person.id:
        finished = pressed_after_onboarding(progress)
        if finished is not None:
            return finished
    # Only one questionnaire is open at a time (begin() closes the others), so an open one
    # of this athlete, not expired, at the pressed step is the current one.
    if (
        progress is None
        or progress.status != "open"
        or progress.athlete_id != person.id
        or expired(progress, local_today(person, env.now))
    ):
        return _stale(session, person, progress, pressed, env)
    q = QUESTIONNAIRES[progress.kind]
    ctx = context_for(
        session, person, question_day(progress, person, env.now), progress.kind, env.now
    )
    if _layout_changed(progress):  # its step numbers mean other questions now
        return _resynced(session, person, progress, ctx, env, by_button=True)
    if pressed.layout is not None and pressed.layout != layout_tag(q.layout):
        # A button left on screen from before a resync (e.g. one a typed answer triggered):
        # its step number was counted in the old layout, whatever it points at now.
        _LOGGER.info(
            "questionnaire %s: button of layout %s pressed in layout %s",
            progress.id,
            pressed.layout,
            q.layout,
        )
        refused = _asked_in_new_layout(session, person, progress, ctx, env, by_button=True)
        refused.notice = text(texts.EXPIRED)
        return refused
    if progress.step != pressed.step:
        return _stale(session, person, progress, pressed, env)
    step = next_step(q, progress.answers, ctx)
    if step is None or step.index != pressed.step:
        return _stale(session, person, progress, pressed, env)
    question = step.question
    options = question.render_options(ctx, progress.answers)
    if pressed.action == "toggle":
        if pressed.option is None or pressed.option >= len(options):
            return Result(notice=text(texts.EXPIRED))
        value = options[pressed.option].value
        answers = toggle_draft(progress.answers, question.key, value)
        untouched = _untouched_preticks(answers)
        if value in untouched:  # touched by the athlete: their own tick (or untick) now
            answers[PRETICKED_KEY] = [s for s in untouched if s != value]
        _save(session, progress, answers, step.index, env.now)
        return Result(
            [render_question(progress, ctx) or Out("")], edit_first=True, keyboard_only=True
        )
    if pressed.action == "submit":
        chosen = draft(progress.answers, question.key)
        if not chosen:
            return Result(notice=text(texts.MULTI_EMPTY), alert=True)
        labels = ", ".join(o.shown for o in options if o.value in chosen)
        return answer(session, person, progress, question, chosen, labels, env, by_button=True)
    if pressed.action == "back":
        key = previous_answered(q, progress.answers, step.index)
        if key is None:
            return Result(notice=text(texts.EXPIRED))
        answers = go_back(progress.answers, key)
        back_to = next_step(q, answers, ctx)
        _save(session, progress, answers, back_to.index if back_to else step.index, env.now)
        return Result([render_question(progress, ctx) or Out("")], edit_first=True)
    if pressed.action == "restart":
        kept = {k: v for k, v in progress.answers.items() if str(k).startswith("_")}
        kept = {k: v for k, v in kept.items() if not str(k).startswith((DRAFT_PREFIX, ASSUMED_KEY))}
        first = next_step(q, kept, ctx)
        _save(session, progress, kept, first.index if first else 0, env.now)
        return Result([render_question(progress, ctx) or Out("")], edit_first=True)
    if pressed.action == "none" and draft(progress.answers, question.key):
        # Ticked a warning sign, then "None of these": never drop it without asking.
        ticked = ", ".join(
            o.shown for o in options if o.value in draft(progress.answers, question.key)
        )
        return Result(notice=str(texts.NONE_BUT_TICKED).format(ticked=ticked), alert=True)
    if pressed.action == "none":
        return answer(
            session,
            person,
            progress,
            question,
            [],
            text(question.none_label) or _("none"),
            env,
            by_button=True,
        )
    if pressed.option is None or pressed.option >= len(options):
        return Result(notice=text(texts.EXPIRED))
    option = options[pressed.option]
    return answer(
        session, person, progress, question, option.value, option.shown, env, by_button=True
    )


def _stale(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress | None,
    pressed: Press,
    env: Env,
) -> Result:
    """Refuse a press on a question that is not the open one, saying what became of it where
    that is known: a check-in or session report on hold waits for its command; a question
    already answered (typed instead, or the button tapped twice) keeps its answer, which is
    named; anything else has expired (a questionnaire too old to answer is closed then, as
    ``open_progress`` closes one)."""
    refused = Result(notice=text(texts.EXPIRED))
    if progress is None or progress.athlete_id != person.id:
        return refused
    if progress.status == "cancelled":
        if _on_hold(session, person, progress, env.now):
            return Result(notice=_on_hold_note(session, person, progress.kind))
        return refused
    if progress.status == "open" and expired(progress, local_today(person, env.now)):
        # Too old to answer: closed now (a warning sign ticked on it is reported, not lost).
        _close_expired(session, person, progress, env.now, env)
        return refused
    if pressed.action in ("back", "restart"):
        return refused
    label = _answered_label(session, person, progress, pressed, env)
    if label is None:
        return refused
    return Result(notice=ALREADY_ANSWERED.format(answer=label))


def _answered_label(
    session: Session, person: Person, progress: QuestionnaireProgress, pressed: Press, env: Env
) -> str | None:
    """The answer given to the question of the pressed button, as the athlete reads it, or
    None when it is not answered (or the button's step belongs to another layout)."""
    q = QUESTIONNAIRES[progress.kind]
    if pressed.layout not in (None, layout_tag(q.layout)):
        return None
    answered = _answer_at(session, person, progress, pressed.step, env)
    return answered[1] if answered is not None else None


def _answer_at(
    session: Session, person: Person, progress: QuestionnaireProgress, step: int, env: Env
) -> tuple[Question, str] | None:
    """The question of ``step`` and its answer as the athlete reads it, or None when it is not
    answered (or the questionnaire was begun in another layout)."""
    q = QUESTIONNAIRES[progress.kind]
    if _layout_changed(progress) or not 0 <= step < len(q.questions):
        return None
    question = q.questions[step]
    if question.key not in progress.answers:
        return None
    value = progress.answers[question.key]
    day = question_day(progress, person, env.now)
    ctx = context_for(session, person, day, progress.kind, env.now)
    label = _shown_answer(question, value, ctx, progress.answers)
    return None if label is None else (question, label)


def _shown_answer(question: Question, value: Any, ctx: QuestionContext, answers: Any) -> str | None:
    """An answer stored for ``question`` as its buttons (or the echo) show it."""
    options = question.render_options(ctx, answers)
    if isinstance(value, list):
        names = [o.shown for o in options if o.value in value]
        return ", ".join(names) if names else without_icon(text(question.none_label) or _("none"))
    shown = [o.shown for o in options if o.value == value and type(o.value) is type(value)]
    if shown:
        return without_icon(shown[0])
    if value is None or isinstance(value, bool):
        return None
    return _label_of(question, value, ctx, answers)


def _came_after_saving(
    session: Session, person: Person, typed_text: str, sent_at: dt.datetime | None, env: Env
) -> Result | None:
    """A message typed for the last question of a check-in or session report that another
    answer (a tap on it, or the answer typed twice) completed before the message was handled:
    it changes nothing, and the athlete is told so, the answer kept, instead of being asked
    what is wrong as any message outside a questionnaire is. Only an answer to that question
    (anything else, words above all, goes on to /problem); None otherwise."""
    if sent_at is None:
        return None
    latest = session.exec(
        select(QuestionnaireProgress)
        .where(
            QuestionnaireProgress.athlete_id == _id(person),
            col(QuestionnaireProgress.kind).in_(ONE_PER_DAY),
        )
        .order_by(
            col(QuestionnaireProgress.updated_at).desc(), col(QuestionnaireProgress.id).desc()
        )
    ).first()
    if latest is None or latest.status != "done" or latest.shown_step is None:
        return None
    if sent_at > latest.updated_at:
        return None  # sent once it was saved: read as any message
    answered = _answer_at(session, person, latest, latest.shown_step, env)
    if answered is None:
        return None
    question, label = answered
    if question.kind == "text":
        return None  # any words answer it: they may be news, never swallowed
    ctx = context_for(session, person, question_day(latest, person, env.now), latest.kind, env.now)
    if not isinstance(parse_typed(question, typed_text, ctx, latest.answers), Accepted):
        return None
    said = CAME_AFTER_SAVING.format(
        what=UNFINISHED_WHAT[latest.kind], answer=labelled(question.shown_label, label)
    )
    return Result([Out(said)])


def typed(
    session: Session, person: Person, text: str, env: Env, *, sent_at: dt.datetime | None = None
) -> Result:
    """Typed text: the answer to the open question, or a friendly correction.

    A typed message answers the open question only if the athlete could have seen it: it
    was sent after the message showing that question. One typed earlier (two answers sent
    back to back, or the same answer typed again after a reply was slow) answered an earlier
    question and is refused, like a stale button, and the open question is asked again.
    ``sent_at``: when the message was sent (one sent before the questionnaire it answers was
    saved changes nothing: see ``_came_after_saving``).
    """
    progress = open_progress(session, person, env.now, env)
    if progress is not None and _earlier_problem(session, person, progress, env.now):
        progress = None  # over: the words start a new note, as outside any questionnaire
    if progress is None:
        if not is_onboarded(session, person):
            return Result([Out(texts.NOTHING_OPEN)])
        late = _came_after_saving(session, person, text, sent_at, env)
        if late is not None:
            return late
        # Never brushed off (issue 15): the warning-sign screen or a note to the clinician,
        # kept whole (a Telegram message is at most NOTE_LIMIT long; never cut silently).
        note = text.strip()
        _, question = begin(
            session, person, "problem", env, answers={"note": note, TYPED_OUTSIDE_KEY: True}
        )
        return Result([question] if question is not None else [Out(texts.NOTHING_OPEN)])
    ctx = context_for(
        session, person, question_day(progress, person, env.now), progress.kind, env.now
    )
    if _layout_changed(progress):  # typed for a question of the layout it was begun in
        return _resynced(session, person, progress, ctx, env)
    step = next_step(QUESTIONNAIRES[progress.kind], progress.answers, ctx)
    if step is None:
        return complete(session, person, progress, ctx, env)
    seen = _typed_after_question(session, progress, step.index, env)
    if seen != "yes":
        return _too_early(progress, ctx, seen)
    parsed = parse_typed(step.question, text, ctx, progress.answers)
    if not isinstance(parsed, Accepted):
        message = parsed.message
        at_buttons = step.question.kind != "text"  # a note too long is refused, not added
        if progress.kind == "problem" and at_buttons and _is_prose(text) and not parsed.understood:
            # More words about what is wrong, typed at /problem's buttons: they join the note
            # (never brushed off, and /problem is already where they are heard).
            added = _with_note_added(progress.answers, {"note": text})
            _save(session, progress, added, progress.step, env.now)
            return _again(progress, ctx, NOTE_ADDED)
        if _is_prose(text) and not parsed.understood and step.question.kind != "text":
            # "I felt a pop and my foot is numb" is no answer, but it must not be brushed off:
            # say where it is heard (/problem checks warning signs and can tell the clinician).
            message = f"{message}\n\n{texts.PAUSED_WORSE}"
        return _again(progress, ctx, message)
    ticked = draft(progress.answers, step.question.key) if step.question.kind == "multi" else []
    if ticked and not parsed.value:
        # Ticked a warning sign, then typed "no": never drop it without asking (as the button).
        options = step.question.render_options(ctx, progress.answers)
        names = ", ".join(o.shown for o in options if o.value in ticked)
        return _again(progress, ctx, str(texts.NONE_BUT_TICKED).format(ticked=names))
    if ticked and isinstance(parsed.value, list):  # typed signs add to the ticked ones
        parsed = Accepted(list(dict.fromkeys([*ticked, *parsed.value])), parsed.assumed)
    label = _label_of(step.question, parsed.value, ctx, progress.answers)
    return answer(
        session, person, progress, step.question, parsed.value, label, env, assumed=parsed.assumed
    )


def _typed_after_question(
    session: Session, progress: QuestionnaireProgress, step: int, env: Env
) -> str:
    """Tell whether the athlete's message (``env.message_id``) was sent after the message that
    showed question ``step`` (see ``QuestionnaireProgress.message_id``): "yes"; "above" when
    that question was shown after it (it is on their screen, above); "coming" when its
    message is on its way (waiting for a retry); "unseen" when it could not be delivered.

    Not shown yet: its message is unsent (waiting for a retry: the message was typed for an
    earlier question) or being sent right now (wait for Telegram's answer when the update may
    wait, else treat it as unseen). A questionnaire whose messages were never tracked (opened
    before this was recorded) takes the answer, as it always did.
    """
    if env.message_id is None:
        return "yes"
    if progress.shown_step == step and progress.message_id is not None:
        if env.message_id > progress.message_id:
            return "yes"
        verdict, state = "above", "shown later"
    else:
        assert progress.id is not None
        delivery = repo.question_delivery(session, progress_id=progress.id, step=step)
        if delivery is None:
            return "yes" if progress.shown_step is None else "unseen"
        if delivery == "sending" and env.may_wait:
            raise AnswerNotShownYet(f"question {step} of questionnaire {progress.id} is being sent")
        verdict = "coming" if delivery in ("pending", "sending") else "unseen"
        state = f"not shown ({delivery})"
    _LOGGER.info(
        "questionnaire %s: message %s answered before question %s was shown (%s, shown %s/%s)",
        progress.id,
        env.message_id,
        step,
        state,
        progress.shown_step,
        progress.message_id,
    )
    return verdict


def _too_early(progress: QuestionnaireProgress, ctx: QuestionContext, verdict: str) -> Result:
    """Refuse an answer typed before its question was shown: say so, and show the question
    unless it is already on the athlete's screen (shown after their message) or on its way
    (its message waits for a retry and comes before this note)."""
    if verdict == "above":
        return Result([Out(texts.TYPED_BEFORE_QUESTION_ABOVE)])
    if verdict == "coming":
        return Result([Out(texts.TYPED_BEFORE_QUESTION_COMING)])
    return _again(progress, ctx, texts.TYPED_FOR_EARLIER_QUESTION)


# An answer (typed or tapped) to a questionnaire begun before a deploy changed its questions:
# its step numbers may point at other questions now, so the answer is not used (it could be
# stored against the wrong question); the answers given so far are kept, by key.
LAYOUT_CHANGED = L_(
    "Sprintback was updated while you were answering, so I haven't used that reply. Your "
    "answers so far are kept. Please answer this one:"
)
# The same when the answers kept already complete the questionnaire in its new layout.
LAYOUT_CHANGED_DONE = L_(
    "Sprintback was updated while you were answering, so I haven't used that reply. Your "
    "answers so far are kept."
)


def _layout_changed(progress: QuestionnaireProgress) -> bool:
    """Whether ``progress`` was begun in another layout of its questionnaire than today's
    (or before layouts were recorded): its ``step``, ``shown_step`` and its buttons' step
    numbers may name other questions now."""
    return progress.layout != QUESTIONNAIRES[progress.kind].layout


def _resync(
    session: Session, progress: QuestionnaireProgress, ctx: QuestionContext, now: dt.datetime
) -> None:
    """Bring ``progress`` to today's layout: the open step is the first question that applies
    and is not answered yet (answers are stored by key: none is lost), and no question counts
    as shown until the resynced one is (an earlier message answered an old question)."""
    q = QUESTIONNAIRES[progress.kind]
    step = next_step(q, progress.answers, ctx)
    values: dict[str, Any] = {
        "layout": q.layout,
        "step": step.index if step is not None else len(q.questions),
        "shown_step": None,
        "message_id": None,
        "updated_at": now,
    }
    _LOGGER.info(
        "questionnaire %s: layout %s is now %s, step %s resynced to %s",
        progress.id,
        progress.layout,
        q.layout,
        progress.step,
        values["step"],
    )
    if progress in session.dirty or progress in session.new:
        for column, value in values.items():
            setattr(progress, column, value)
        session.add(progress)
        session.flush()
        return
    repo.update_loaded(session, progress, **values)


def _resynced(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    ctx: QuestionContext,
    env: Env,
    *,
    by_button: bool = False,
) -> Result:
    """Refuse an answer to a questionnaire begun in another layout, as a stale one is: the
    questionnaire is resynced (``_resync``), the athlete told so and asked the question now
    open (on the pressed message, whose buttons belong to the old layout)."""
    _resync(session, progress, ctx, env.now)
    return _asked_in_new_layout(session, person, progress, ctx, env, by_button=by_button)


def _asked_in_new_layout(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    ctx: QuestionContext,
    env: Env,
    *,
    by_button: bool = False,
) -> Result:
    """Tell the athlete their reply, given in an old layout, was not used, and ask the open
    question of ``progress`` (in today's layout) again: on the pressed message for a button,
    whose buttons belong to the old layout; or complete it when nothing is left to ask."""
    out = render_question(progress, ctx, prefix=str(LAYOUT_CHANGED) + "\n\n")
    if out is not None:
        return Result([out], edit_first=by_button)
    result = complete(session, person, progress, ctx, env)
    result.outs.insert(0, Out(LAYOUT_CHANGED_DONE))
    return result


def location(session: Session, person: Person, lat: float, lon: float, env: Env) -> Result:
    """A shared location: the time zone when one is asked, else a correction."""
    progress = open_progress(session, person, env.now, env)
    if progress is None:
        return Result([Out(texts.NOTHING_OPEN)])
    ctx = context_for(
        session, person, question_day(progress, person, env.now), progress.kind, env.now
    )
    if _layout_changed(progress):
        return _resynced(session, person, progress, ctx, env)
    step = next_step(QUESTIONNAIRES[progress.kind], progress.answers, ctx)
    if step is None or step.question.kind != "timezone":
        return _again(progress, ctx, texts.NON_TEXT)
    seen = _typed_after_question(session, progress, step.index, env)
    if seen != "yes":
        return _too_early(progress, ctx, seen)
    try:
        city = nearest_city(lat, lon)
    except ValueError:
        return _again(progress, ctx, texts.ZONE_UNKNOWN)
    result = answer(session, person, progress, step.question, city.zone, city_label(city.zone), env)
    result.outs.insert(0, Out(texts.LOCATION_FOUND.format(city=city_label(city.zone))))
    return result


def other_content(session: Session, person: Person, env: Env) -> Result:
    """A sticker, photo, voice note...: say what is expected and ask the question again."""
    progress = open_progress(session, person, env.now, env)
    if progress is None:
        return Result([Out(f"{texts.NON_TEXT} {texts.NOTHING_OPEN}")])
    ctx = context_for(
        session, person, question_day(progress, person, env.now), progress.kind, env.now
    )
    return _again(progress, ctx, texts.NON_TEXT)


def edited(session: Session, person: Person, env: Env) -> Result:
    """An earlier message edited: its first version was already read (or refused), and an
    edit changes no answer. Say so, and how to change one, then ask the open question again."""
    progress = open_progress(session, person, env.now, env)
    if progress is None:
        return Result([Out(texts.EDIT_NOT_READ_NOTHING_OPEN)])
    ctx = context_for(
        session, person, question_day(progress, person, env.now), progress.kind, env.now
    )
    return _again(progress, ctx, texts.EDIT_NOT_READ)


def forwarded(session: Session, person: Person, text: str, env: Env) -> Result:
    """A forwarded message: somebody else's words (or old ones) are no answer to the open
    question, except where the athlete is asked to tell something in their own words (a
    clinician's note forwarded as the /problem description is fine). Outside a
    questionnaire it is read like any message."""
    progress = open_progress(session, person, env.now, env)
    if progress is None or _earlier_problem(session, person, progress, env.now):
        return typed(session, person, text, env)
    ctx = context_for(
        session, person, question_day(progress, person, env.now), progress.kind, env.now
    )
    step = next_step(QUESTIONNAIRES[progress.kind], progress.answers, ctx)
    if step is None or step.question.kind == "text":
        return typed(session, person, text, env)
    return _again(progress, ctx, texts.FORWARDED_NOT_ANSWER)


def current_question(session: Session, person: Person, env: Env) -> Out | None:
    """Return the open question again (after a correction), or None when none is open."""
    progress = open_progress(session, person, env.now, env)
    if progress is None:
        return None
    day = question_day(progress, person, env.now)
    return render_question(progress, context_for(session, person, day, progress.kind, env.now))


_WORD = re.compile(r"[^\W\d_]{2,}")


def _is_prose(text: str) -> bool:
    """Whether typed text reads as a sentence (three words or more), not a mistyped answer."""
    return len(_WORD.findall(text)) >= 3


def _again(progress: QuestionnaireProgress, ctx: QuestionContext, message: Text) -> Result:
    question = render_question(progress, ctx)
    outs = [Out(message)]
    if question is not None:
        outs.append(question)
    return Result(outs)


def _label_of(question: Question, value: Any, ctx: QuestionContext, answers: Any) -> str:
    for option in question.render_options(ctx, answers):
        if option.value == value and type(option.value) is type(value):
            return option.shown
    back = days_back_of(value)
    if back is not None and question.kind == "date":
        return days_back_label(back)  # "5 days ago": the date is known once the zone is
    if isinstance(value, dict):
        return describe_metrics(value).replace("\n", " ")
    if isinstance(value, str) and question.kind == "timezone":
        return city_label(value)
    if isinstance(value, str) and question.kind == "date":
        try:
            return format_long_date(dt.date.fromisoformat(value))  # "1. März 2026"
        except ValueError:
            return value
    if isinstance(value, float):
        return f"{format_decimal(value)}{question.unit}"
    return f"{value}{question.unit}"


def answer(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    question: Question,
    value: Any,
    label: str,
    env: Env,
    *,
    by_button: bool = False,
    assumed: tuple[str, ...] = (),
) -> Result:
    """Store one answer; then ask the next question or complete the questionnaire.
    ``assumed``: what a typed answer was read as with a guess, kept beside it to ask back."""
    q = QUESTIONNAIRES[progress.kind]
    ctx = context_for(
        session, person, question_day(progress, person, env.now), progress.kind, env.now
    )
    asked = question.render_prompt(ctx, progress.answers)
    answers = apply_answer(q, progress.answers, question.key, value)
    answers.pop(ASSUMED_KEY + question.key, None)
    if question.key == RED_FLAGS_KEY:
        answers.pop(PRETICKED_KEY, None)  # answered: nothing pre-ticked is pending any more
    if assumed:
        answers[ASSUMED_KEY + question.key] = list(assumed)
    step = next_step(q, answers, ctx)
    _save(session, progress, answers, step.index if step else len(q.questions), env.now)
    echo = _answer_echo(question, label, value)
    if step is not None:
        confirming = step.question.key == "metrics_confirm"  # it asks the guess back itself
        prefix = echo if by_button else ("" if confirming else _assumed_note(assumed))
        out = render_question(progress, ctx, prefix=prefix)
        assert out is not None
        return Result([out], edit_first=by_button)
    result = complete(session, person, progress, ctx, env)
    if not result.deleted:  # what it put on hold still waits
        still = _still_on_hold(session, person, progress.kind, env)
        # Before a check-in /settings carried on at once: the question is read last.
        at = len(result.outs)
        if result.resume_checkin is not None and result.outs and result.outs[-1].progress_id:
            at -= 1
        result.outs[at:at] = still
    if by_button:  # the last question stays in the chat, with the answer under it
        result.outs.insert(0, Out(f"{asked}\n\n✓ {without_icon(label)}"))
        result.edit_first = True
    return result


def day_ahead_note(question: Out, day: dt.date) -> Out:
    """Return the first question of a check-in or session report that counts for ``day``, a
    day after the local date (the one already started before a move west), naming it."""
    note = texts.DAY_AHEAD.format(date=format_date(day))
    return dataclasses.replace(question, text=f"{note}\n\n{question.text}")


# --- completing ---------------------------------------------------------------------------


def complete(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    ctx: QuestionContext,
    env: Env,
) -> Result:
    assert progress.id is not None
    promoted = _with_ticked(progress, ctx)
    if promoted is not progress.answers:  # closed with a sign still ticked: it is reported
        _save(session, progress, dict(promoted), progress.step, env.now)
    answers = final_answers(progress.answers)
    finisher = _FINISHERS[progress.kind]
    result = finisher(session, person, progress, answers, ctx, env)
    if not result.deleted:
        still = repo.get_questionnaire(session, progress_id=progress.id)
        if still is not None and still.status == "open":
            repo.finish_questionnaire(session, progress_id=progress.id, now=env.now)
    return result


def _finish_settings(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    """/settings answered; a check-in it put aside whose day the new time zone moved is
    opened again at once (``Result.resume_checkin``), after /settings is closed so that it is
    not put aside in turn, naming its day when that is ahead of the local date."""
    result = finish_settings(session, person, progress, answers, ctx, env)
    day = result.resume_checkin
    if day is None:
        return result
    assert progress.id is not None
    repo.finish_questionnaire(session, progress_id=progress.id, now=env.now)
    _, question = begin(session, person, "morning", env, day=day)
    if question is not None:
        # Its day is named once: by the confirmation, or else on the question.
        if day > local_today(person, env.now) and not result.resume_day_said:
            question = day_ahead_note(question, day)
        result.outs.append(question)
    return result


def _finish_problem(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    """/problem answered: told apart when today's check-in is on hold (no "check in
    tomorrow" then)."""
    waits = held_note(session, person, "morning", env.now) is not None
    return finish_problem(session, person, progress, answers, ctx, env, checkin_waits=waits)


def _finish_session(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    """The session report answered: no "Next: your check-in tomorrow" while today's check-in
    is on hold (``_still_on_hold`` says so just after)."""
    waits = held_note(session, person, "morning", env.now) is not None
    return finish_session(session, person, progress, answers, ctx, env, checkin_waits=waits)


def _finish_followup(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    """The pain question after a session answered: as ``_finish_session``."""
    waits = held_note(session, person, "morning", env.now) is not None
    return finish_followup(session, person, progress, answers, ctx, env, checkin_waits=waits)


def _finish_pause(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    from bot.services.athlete.account import finish_pause

    return finish_pause(session, person, progress, answers, ctx, env)


Finisher = Callable[
    [Session, Person, QuestionnaireProgress, dict[str, Any], QuestionContext, Env], Result
]
_FINISHERS: dict[str, Finisher] = {
    "onboarding": finish_onboarding,
    "morning": finish_morning,
    "session": _finish_session,
    "followup": _finish_followup,
    "settings": _finish_settings,
    "delete": finish_delete,
    "unlink": finish_unlink,
    "baseline": finish_baseline,
    "problem": _finish_problem,
    "pause": _finish_pause,
}


__all__ = [
    "Env",
    "Out",
    "Result",
    "answer",
    "begin",
    "calls_for_review",
    "complete",
    "context_for",
    "current_question",
    "day_ahead_note",
    "find_athlete",
    "held_note",
    "is_onboarded",
    "location",
    "open_progress",
    "other_content",
    "pain_question_waits",
    "press",
    "question_day",
    "render_question",
    "report_day",
    "said_closed",
    "said_on_closing",
    "typed",
]
