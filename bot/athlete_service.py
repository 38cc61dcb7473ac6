"""The athlete's flows, between Telegram and the store: one call per update, one transaction.

Every answer is written to the athlete's QuestionnaireProgress row the moment it is given.
When a questionnaire completes, its record (check-in, session report, settings...) is stored,
the engine re-derives the day from the stored history, the decision is recorded with the
protocol name and version, and the clinician's alert messages are queued in the outbox, all
in the caller's transaction. Nothing here talks to Telegram: results say what to send.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, literal_column, or_
from sqlmodel import Session, col, select

from bot import texts
from bot.athlete_engine import (
    AlertNotifier,
    EngineRun,
    apply_outcome,
    known_programme,
    plan_preview,
    protocol_for,
    remember_programme,
    run_today,
    stage_checks,
    start_programme_for,
    status_today,
)
from bot.keyboards import Keyboard, Press, question_keyboard
from bot.questionnaires import QUESTIONNAIRES
from bot.questionnaires.answers import Accepted, parse_typed
from bot.questionnaires.model import Question, QuestionContext
from bot.questionnaires.morning import has_red_flag
from bot.questionnaires.onboarding import chosen_zone
from bot.questionnaires.session import (
    collected_checks,
    collected_metrics,
    red_flag_reported,
)
from bot.questionnaires.steps import (
    apply_answer,
    draft,
    final_answers,
    next_step,
    position,
    toggle_draft,
)
from bot.questionnaires.summary import describe_metrics
from bot.store import repo
from bot.store.models import (
    ClinicianActionRecord,
    InjuryRecord,
    Person,
    Programme,
    QuestionnaireProgress,
)
from bot.timezones import city_label, nearest_city
from engine.models import Alert, Checks, Injury, Metrics, MorningCheckIn, SessionReport
from engine.red_flags import triage_morning, triage_session

_LOGGER = logging.getLogger(__name__)

CONSENT_STORE_KIND = "store_health_data"
CONSENT_SHARE_KIND = "share_with_clinician"
CONSENT_VERSION = "1"
INVITE_KEY = "_invite"
# Questionnaires that belong to one calendar day: left open past it, they expire.
DAY_BOUND = ("morning", "session")
CANCELLED_BUT_SENT = (
    "Stopped. Your answers so far already need a look, so they are saved and were sent on:"
)
ENGINE_FAILED_RULE = "engine.failed"
# Both shipped protocols stop at pain at rest >= 4; used only when no protocol can be read.
_USUAL_PAIN_REST_STOP = 4
ENGINE_FAILED_ALERT = "The engine failed on the athlete's answers: please review them."
ENGINE_FAILED = (
    "Your answers are saved. I could not work out today's plan just now, so your clinician "
    "has been asked to review them. Please keep to easy activity until you hear back."
)
ENGINE_FAILED_RED_FLAG = (
    "Stop training today. Your answers are saved and your clinician has been alerted and "
    "will review them. If it gets worse, seek medical help."
)
ONE_PER_DAY = ("morning", "session")


@dataclass
class Out:
    """One message to send: text, optional buttons, optional file."""

    text: str
    keyboard: Keyboard | None = None
    document: tuple[str, bytes] | None = None


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


@dataclass
class Env:
    """What the flows need besides the session: the time and the clinician notifier.

    ``notify`` queues the clinician messages of the athlete's new alerts (returns rows).
    """

    now: dt.datetime
    notify: AlertNotifier
    default_timezone: str = "UTC"


# --- small helpers ------------------------------------------------------------------------


def local_today(person: Person, now: dt.datetime) -> dt.date:
    """Return the athlete's calendar date at ``now`` in their own time zone."""
    try:
        zone = zoneinfo.ZoneInfo(person.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return now.astimezone(zone).date()


# The statements of the per-answer hot path are built once: building a select costs as
# much as running it on SQLite, and SQLAlchemy caches their compiled form by structure.
# SQL constants, not bound values: an IN list of bound values is expanded on every call.
_LIVE: list[Any] = [literal_column("'active'"), literal_column("'paused'")]
_LIVE_PROGRAMME = and_(
    col(Programme.athlete_id) == col(QuestionnaireProgress.athlete_id),
    col(Programme.status).in_(_LIVE),
)
# The person with their open questionnaire, current programme and injury: the one query
# that starts every athlete update.
_PERSON_WITH_OPEN = (
    select(Person, QuestionnaireProgress, Programme, InjuryRecord.injury)
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
    .where(Person.telegram_user_id == bindparam("telegram_user_id"))
    .order_by(col(QuestionnaireProgress.updated_at).desc(), col(Programme.id).desc())
    .limit(1)
)
_OPEN_MEMO = "athlete_service.open_questionnaire"
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
    person, progress, programme, injury = row
    athlete_id = _id(person)
    if programme is not None:
        remember_programme(session, athlete_id, programme, injury)
    session.info[(_OPEN_MEMO, athlete_id)] = _OpenLookup(progress)
    return person


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


def _id(person: Person) -> int:
    assert person.id is not None
    return person.id


def context_for(
    session: Session, person: Person, today: dt.date, kind: str = ""
) -> QuestionContext:
    """Return what the questions depend on: injury, stage, stage checks, the protocol's
    pain-at-rest stop threshold, date, and for the /baseline questionnaire the current baseline.

    Computed once per transaction (the session's ``info``): one update asks for it several
    times and nothing it holds changes while a questionnaire is being answered.
    """
    athlete_id = _id(person)
    memo_key = ("question_context", athlete_id, today, kind == "baseline")
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
        stage_checks=checks,
        baseline=baseline.model_dump(exclude_none=True) if baseline else None,
        stop_pain_rest_min=stop_pain_rest,
    )
    session.info[memo_key] = ctx
    return ctx


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


def has_clinician(session: Session, person: Person) -> bool:
    """Whether a clinician is linked to the athlete."""
    return repo.has_linked_clinician(session, athlete_id=_id(person))


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
    if progress.kind in ("morning", "session"):
        model_keys = _model_keys(progress.kind)
        for key, value in answers.items():
            if key in model_keys and progress.answers.get(key) != value:
                repo.validate_answer(progress.kind, key, value)
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


_MODEL_KEYS = {
    "morning": frozenset(MorningCheckIn.model_fields),
    "session": frozenset(SessionReport.model_fields) - {"metrics", "checks"},
}


def _model_keys(kind: str) -> frozenset[str]:
    return _MODEL_KEYS[kind]


# --- rendering a step ---------------------------------------------------------------------


def render_question(
    progress: QuestionnaireProgress, ctx: QuestionContext, prefix: str = ""
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
    keyboard = question_keyboard(progress.id, step.index, step.question, options, ticked)
    n, total = position(q, progress.answers, ctx)
    counter = texts.QUESTION_COUNTER.format(n=n, total=total) if total > 1 else ""
    text = counter + step.question.render_prompt(ctx, progress.answers)
    return Out(prefix + text, keyboard)


def _answer_echo(question: Question, label: str) -> str:
    return f"✓ {question.label}: {label}\n\n"


# --- starting, resuming, cancelling -------------------------------------------------------


def _locked(session: Session, progress: QuestionnaireProgress) -> QuestionnaireProgress:
    """Re-read the row with a lock on PostgreSQL, so two processes answering the same
    questionnaire queue up (SQLite's BEGIN IMMEDIATE already serialises writers)."""
    if session.get_bind().dialect.name == "postgresql":
        session.refresh(progress, with_for_update=True)
    return progress


def expired(progress: QuestionnaireProgress, today: dt.date) -> bool:
    """Whether a day-bound questionnaire is too old to answer.

    The previous day's stays open past local midnight (an evening session answered at 00:05
    must still count, and a red flag reported then must reach the clinician) until the
    athlete starts another questionnaire, which closes it; older ones expire.
    """
    return progress.kind in DAY_BOUND and progress.local_date < today - dt.timedelta(days=1)


def question_day(progress: QuestionnaireProgress, person: Person, now: dt.datetime) -> dt.date:
    """Return the date a questionnaire's questions are asked for: a day-bound one's own
    date (answered after midnight it still belongs to its day), else the athlete's today."""
    if progress.kind in DAY_BOUND:
        return progress.local_date
    return local_today(person, now)


def open_progress(
    session: Session, person: Person, now: dt.datetime
) -> QuestionnaireProgress | None:
    """Return the athlete's open questionnaire; day-bound ones from an earlier day expire."""
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
        if expired(progress, today):
            assert progress.id is not None
            repo.finish_questionnaire(session, progress_id=progress.id, now=now, status="cancelled")
            continue
        progress = _locked(session, progress)
        if progress.status != "open":
            continue  # another process closed it meanwhile (e.g. the abandoned-answers sweep)
        return progress


def _close_others(session: Session, person: Person, keep: str, day: dt.date, env: Env) -> None:
    """Only one questionnaire is open at a time: others (and one of the same kind left open
    on another day) are cancelled, answers kept; one whose answers so far call for review
    (e.g. session pain at the red threshold) is completed instead, so the engine and the
    clinician see it."""
    now = env.now
    for progress in session.exec(
        select(QuestionnaireProgress).where(
            QuestionnaireProgress.athlete_id == _id(person),
            QuestionnaireProgress.status == "open",
            or_(
                col(QuestionnaireProgress.kind) != keep,
                col(QuestionnaireProgress.local_date) != day,
            ),
        )
    ).all():
        assert progress.id is not None
        own_day = question_day(progress, person, now)
        if calls_for_review(session, person, progress, own_day):
            _complete(session, person, progress, context_for(session, person, own_day), env)
            continue
        repo.finish_questionnaire(session, progress_id=progress.id, now=now, status="cancelled")


def _latest_of_day(
    session: Session, person: Person, kind: str, day: dt.date
) -> QuestionnaireProgress | None:
    return session.exec(
        select(QuestionnaireProgress)
        .where(
            QuestionnaireProgress.athlete_id == _id(person),
            QuestionnaireProgress.kind == kind,
            QuestionnaireProgress.local_date == day,
        )
        .order_by(
            col(QuestionnaireProgress.updated_at).desc(), col(QuestionnaireProgress.id).desc()
        )
    ).first()


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
    """
    today = day or local_today(person, env.now)
    session.info.pop((_OPEN_MEMO, _id(person)), None)  # a questionnaire opens: read afresh
    _close_others(session, person, kind, today, env)
    progress = repo.get_open_questionnaire(
        session, athlete_id=_id(person), kind=kind, local_date=today
    )
    if progress is None and kind in ONE_PER_DAY:
        latest = _latest_of_day(session, person, kind, today)
        if latest is not None and latest.status == "cancelled":
            latest.status = "open"
            latest.updated_at = env.now
            session.add(latest)
            session.flush()
            progress = latest
    if progress is None:
        progress = repo.start_questionnaire(
            session, athlete_id=_id(person), kind=kind, local_date=today, now=env.now
        )
        if answers:
            _save(session, progress, {**progress.answers, **answers}, 0, env.now)
    ctx = context_for(session, person, today, kind)
    step = next_step(QUESTIONNAIRES[kind], progress.answers, ctx)
    if step is not None and progress.step != step.index:
        _save(session, progress, progress.answers, step.index, env.now)
    return progress, render_question(progress, ctx)


def change_timezone(session: Session, person: Person, env: Env) -> Result:
    """/timezone from an athlete: the time-zone question of /settings, asked at once (an
    open /settings about something else is closed first, its answers kept)."""
    open_settings = repo.get_open_questionnaire(session, athlete_id=_id(person), kind="settings")
    if open_settings is not None and open_settings.answers.get("setting") != "timezone":
        assert open_settings.id is not None
        repo.finish_questionnaire(
            session, progress_id=open_settings.id, now=env.now, status="cancelled"
        )
    _, question = begin(session, person, "settings", env, answers={"setting": "timezone"})
    return Result([question] if question is not None else [])


def cancel(session: Session, person: Person, env: Env) -> Result:
    """/cancel: close the open questionnaire, keeping every answer given so far."""
    progress = open_progress(session, person, env.now)
    if progress is None:
        return Result([Out(texts.CANCEL_NOTHING)])
    assert progress.id is not None
    if progress.kind == "onboarding":
        return Result([Out(texts.CANCELLED)])  # onboarding stays open: /start resumes it
    day = question_day(progress, person, env.now)
    if calls_for_review(session, person, progress, day):
        ctx = context_for(session, person, day, progress.kind)
        result = _complete(session, person, progress, ctx, env)
        result.outs.insert(0, Out(CANCELLED_BUT_SENT))
        return result
    repo.finish_questionnaire(session, progress_id=progress.id, now=env.now, status="cancelled")
    return Result([Out(texts.CANCELLED)])


def calls_for_review(
    session: Session, person: Person, progress: QuestionnaireProgress, day: dt.date
) -> bool:
    """Whether the answers so far of a check-in or session report already call for the
    engine and the clinician: a red flag, pain at rest at the stop threshold, sharp pain, new
    swelling, bruising, a pop or numbness since the session started, or session pain (during
    or an hour after) at the protocol's red thresholds."""
    answers = progress.answers
    if progress.kind == "morning":
        return has_red_flag(answers, context_for(session, person, day, "morning"))
    if progress.kind != "session":
        return False
    if red_flag_reported(answers, context_for(session, person, day, "session")):
        return True
    programme = repo.get_active_programme(session, athlete_id=_id(person))
    if programme is None:
        return False
    rules = protocol_for(session, programme).rules.session
    pain, pain_1h = answers.get("pain_max"), answers.get("pain_1h")
    return (isinstance(pain, int) and pain >= rules.red_pain_min.value) or (
        isinstance(pain_1h, int) and pain_1h >= rules.red_pain_1h_min.value
    )


# --- answering ----------------------------------------------------------------------------


def press(session: Session, person: Person, pressed: Press, env: Env) -> Result:
    """A button press on a questionnaire message; a stale press changes nothing."""
    progress = repo.get_questionnaire(session, progress_id=pressed.progress_id)
    if progress is not None:
        progress = _locked(session, progress)
    # Only one questionnaire is open at a time (begin() closes the others), so an open one
    # of this athlete, not expired, at the pressed step is the current one.
    if (
        progress is None
        or progress.status != "open"
        or progress.athlete_id != person.id
        or progress.step != pressed.step
        or expired(progress, local_today(person, env.now))
    ):
        return Result(notice=texts.EXPIRED)
    q = QUESTIONNAIRES[progress.kind]
    ctx = context_for(session, person, question_day(progress, person, env.now), progress.kind)
    step = next_step(q, progress.answers, ctx)
    if step is None or step.index != pressed.step:
        return Result(notice=texts.EXPIRED)
    question = step.question
    options = question.render_options(ctx, progress.answers)
    if pressed.action == "toggle":
        if pressed.option is None or pressed.option >= len(options):
            return Result(notice=texts.EXPIRED)
        answers = toggle_draft(progress.answers, question.key, options[pressed.option].value)
        _save(session, progress, answers, step.index, env.now)
        return Result(
            [render_question(progress, ctx) or Out("")], edit_first=True, keyboard_only=True
        )
    if pressed.action == "submit":
        chosen = draft(progress.answers, question.key)
        if not chosen:
            return Result(notice=texts.MULTI_EMPTY, alert=True)
        labels = ", ".join(o.label for o in options if o.value in chosen)
        return answer(session, person, progress, question, chosen, labels, env, by_button=True)
    if pressed.action == "none":
        return answer(
            session,
            person,
            progress,
            question,
            [],
            question.none_label or "none",
            env,
            by_button=True,
        )
    if pressed.option is None or pressed.option >= len(options):
        return Result(notice=texts.EXPIRED)
    option = options[pressed.option]
    return answer(
        session, person, progress, question, option.value, option.label, env, by_button=True
    )


def typed(session: Session, person: Person, text: str, env: Env) -> Result:
    """Typed text: the answer to the open question, or a friendly correction."""
    progress = open_progress(session, person, env.now)
    if progress is None:
        return Result([Out(texts.NOTHING_OPEN)])
    ctx = context_for(session, person, question_day(progress, person, env.now), progress.kind)
    step = next_step(QUESTIONNAIRES[progress.kind], progress.answers, ctx)
    if step is None:
        return _complete(session, person, progress, ctx, env)
    parsed = parse_typed(step.question, text, ctx, progress.answers)
    if not isinstance(parsed, Accepted):
        return _again(progress, ctx, parsed.message)
    label = _label_of(step.question, parsed.value, ctx, progress.answers)
    return answer(session, person, progress, step.question, parsed.value, label, env)


def location(session: Session, person: Person, lat: float, lon: float, env: Env) -> Result:
    """A shared location: the time zone when one is asked, else a correction."""
    progress = open_progress(session, person, env.now)
    if progress is None:
        return Result([Out(texts.NOTHING_OPEN)])
    ctx = context_for(session, person, question_day(progress, person, env.now), progress.kind)
    step = next_step(QUESTIONNAIRES[progress.kind], progress.answers, ctx)
    if step is None or step.question.kind != "timezone":
        return _again(progress, ctx, texts.NON_TEXT)
    try:
        city = nearest_city(lat, lon)
    except ValueError:
        return _again(progress, ctx, texts.ZONE_UNKNOWN)
    result = answer(session, person, progress, step.question, city.zone, city_label(city.zone), env)
    result.outs.insert(0, Out(texts.LOCATION_FOUND.format(city=city_label(city.zone))))
    return result


def other_content(session: Session, person: Person, env: Env) -> Result:
    """A sticker, photo, voice note...: say what is expected and ask the question again."""
    progress = open_progress(session, person, env.now)
    if progress is None:
        return Result([Out(texts.NON_TEXT + " " + texts.NOTHING_OPEN)])
    ctx = context_for(session, person, question_day(progress, person, env.now), progress.kind)
    return _again(progress, ctx, texts.NON_TEXT)


def current_question(session: Session, person: Person, env: Env) -> Out | None:
    """Return the open question again (after a correction), or None when none is open."""
    progress = open_progress(session, person, env.now)
    if progress is None:
        return None
    day = question_day(progress, person, env.now)
    return render_question(progress, context_for(session, person, day, progress.kind))


def _again(progress: QuestionnaireProgress, ctx: QuestionContext, message: str) -> Result:
    question = render_question(progress, ctx)
    outs = [Out(message)]
    if question is not None:
        outs.append(question)
    return Result(outs)


def _label_of(question: Question, value: Any, ctx: QuestionContext, answers: Any) -> str:
    for option in question.render_options(ctx, answers):
        if option.value == value and type(option.value) is type(value):
            return option.label
    if isinstance(value, dict):
        return describe_metrics(value).replace("\n", " ")
    if isinstance(value, str) and question.kind == "timezone":
        return city_label(value)
    return f"{value:g}{question.unit}" if isinstance(value, float) else f"{value}{question.unit}"


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
) -> Result:
    """Store one answer; then ask the next question or complete the questionnaire."""
    q = QUESTIONNAIRES[progress.kind]
    ctx = context_for(session, person, question_day(progress, person, env.now), progress.kind)
    asked = question.render_prompt(ctx, progress.answers)
    answers = apply_answer(q, progress.answers, question.key, value)
    step = next_step(q, answers, ctx)
    _save(session, progress, answers, step.index if step else len(q.questions), env.now)
    echo = _answer_echo(question, label)
    if step is not None:
        out = render_question(progress, ctx, prefix=echo if by_button else "")
        assert out is not None
        return Result([out], edit_first=by_button)
    result = _complete(session, person, progress, ctx, env)
    if by_button:  # the last question stays in the chat, with the answer under it
        result.outs.insert(0, Out(f"{asked}\n\n✓ {label}"))
        result.edit_first = True
    return result


# --- completing ---------------------------------------------------------------------------


def _complete(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    ctx: QuestionContext,
    env: Env,
) -> Result:
    assert progress.id is not None
    answers = final_answers(progress.answers)
    finisher = _FINISHERS[progress.kind]
    result = finisher(session, person, progress, answers, ctx, env)
    if not result.deleted:
        still = repo.get_questionnaire(session, progress_id=progress.id)
        if still is not None and still.status == "open":
            repo.finish_questionnaire(session, progress_id=progress.id, now=env.now)
    return result


def _finish_onboarding(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    athlete_id = _id(person)
    if answers.get("consent_store") is False or answers.get("consent_share") is False:
        repo.delete_athlete(session, athlete_id=athlete_id, actor_id=athlete_id, now=env.now)
        return Result([Out(texts.CONSENT_DECLINED)], deleted=True)
    for kind in (CONSENT_STORE_KIND, CONSENT_SHARE_KIND):
        repo.record_consent(
            session,
            person_id=athlete_id,
            kind=kind,
            text_version=CONSENT_VERSION,
            granted=True,
            now=env.now,
        )
    zone = chosen_zone(answers) or env.default_timezone
    repo.update_person(
        session,
        person_id=athlete_id,
        timezone=zone,
        checkin_time=answers["checkin_time"],
        chat_id=person.telegram_user_id,
    )
    injury = Injury(
        injury=answers["injury"],
        muscle=answers.get("muscle"),
        side=answers["side"],
        grade=answers.get("grade"),
        injury_date=dt.date.fromisoformat(answers["injury_date"]),
        mechanism=answers.get("mechanism"),
    )
    injury_row = repo.add_injury(session, athlete_id=athlete_id, injury=injury, now=env.now)
    if answers.get("baseline"):
        repo.set_baseline(
            session,
            athlete_id=athlete_id,
            metrics=Metrics.model_validate(answers["baseline"]),
            now=env.now,
        )
    extra: list[Out] = []
    clinician = _redeem_invite(session, person, progress.answers.get(INVITE_KEY), env.now)
    if clinician is not None:
        extra.append(Out(texts.LINKED_TO_CLINICIAN.format(clinician=clinician)))
    repo.audit(
        session,
        actor_id=athlete_id,
        action="onboarded",
        athlete_id=athlete_id,
        now=env.now,
        detail={"sport": answers.get("sport"), "injury": injury.injury},
    )
    today = local_today(person, env.now)
    programme, protocol = start_programme_for(
        session, athlete_id, injury, injury_row.id, today, env.now
    )
    plan_first_prompts(session, athlete_id, zone, today, env.now)
    first = protocol.stage(programme.current_stage)
    gate = texts.GATE_WAITING if has_clinician(session, person) else texts.GATE_NO_CLINICIAN
    done = texts.ONBOARDING_DONE.format(
        stage=first.id,
        stage_title=first.name,
        time=answers["checkin_time"],
        zone=city_label(zone),
        gate=gate if first.signoff != "none" else "",
    )
    return Result([*extra, Out(done)])


def _redeem_invite(session: Session, person: Person, code: Any, now: dt.datetime) -> str | None:
    """Link the athlete to the clinician whose invite they came with; return the name."""
    if not isinstance(code, str) or not code:
        return None
    try:
        invite = repo.redeem_invite(session, code=code, person_id=_id(person), now=now)
    except repo.InviteError:
        return None
    if invite.clinician_id is None:
        return None
    repo.link_athlete(session, athlete_id=_id(person), clinician_id=invite.clinician_id, now=now)
    clinician = repo.get_person(session, person_id=invite.clinician_id)
    return clinician.display_name if clinician and clinician.display_name else "your clinician"


def _finish_morning(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    athlete_id = _id(person)
    morning = MorningCheckIn.model_validate(
        {k: v for k, v in answers.items() if k in MorningCheckIn.model_fields}
    )
    repo.upsert_morning_checkin(
        session,
        athlete_id=athlete_id,
        local_date=progress.local_date,
        answers=morning,
        answered_at=env.now,
        utc_offset_minutes=repo.utc_offset_minutes(env.now, person.timezone),
    )
    decided = _decide_safely(session, person, progress.local_date, env, "morning")
    if decided is None:
        return _engine_failed(session, person, progress.local_date, env, morning=morning)
    run, queued = decided
    messages = texts.morning_result(run.outcome, person.timezone, has_clinician(session, person))
    return Result([Out(m) for m in messages], queued=queued)


def _decide_safely(
    session: Session, person: Person, day: dt.date, env: Env, kind: str
) -> tuple[EngineRun, bool] | None:
    """Run the engine for ``day`` and apply its outcome inside a savepoint; return the run
    and whether clinician messages were queued, or None if it failed (the answers stay)."""
    try:
        with session.begin_nested():  # a failed run rolls back to here, not further
            run = run_today(session, person, day, env.now)
            queued = apply_outcome(session, person, run, kind, env.now, env.notify)
    except Exception:
        _LOGGER.exception("engine run failed (%s) for athlete %s", kind, _id(person))
        return None
    return run, queued


def _finish_session(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    athlete_id = _id(person)
    metrics = collected_metrics(answers)
    baseline = repo.latest_baseline(session, athlete_id=athlete_id)
    if (
        "vmax_ms" in metrics
        and "top_pct_vmax" not in metrics
        and baseline is not None
        and baseline.vmax_ms
    ):
        metrics["top_pct_vmax"] = min(130.0, round(metrics["vmax_ms"] / baseline.vmax_ms * 100, 1))
    report = SessionReport.model_validate(
        {
            **{k: v for k, v in answers.items() if k in _model_keys("session")},
            "metrics": Metrics.model_validate(metrics),
            "checks": Checks.model_validate(collected_checks(answers)),
        }
    )
    repo.upsert_session_report(
        session,
        athlete_id=athlete_id,
        local_date=progress.local_date,
        answers=report,
        answered_at=env.now,
        utc_offset_minutes=repo.utc_offset_minutes(env.now, person.timezone),
    )
    decided = _decide_safely(session, person, progress.local_date, env, "daily")
    if decided is None:
        return _engine_failed(session, person, progress.local_date, env, report=report)
    run, queued = decided
    stage_name = run.protocol.stage(run.outcome.stage_after).name
    message = texts.session_result(run.outcome, stage_name, person.timezone)
    return Result([Out(message)], queued=queued)


def _engine_failed(
    session: Session,
    person: Person,
    day: dt.date,
    env: Env,
    *,
    morning: MorningCheckIn | None = None,
    report: SessionReport | None = None,
) -> Result:
    """The engine could not decide on stored answers: alert the clinician at the severity of
    any red flag reported (else an info alert asking for a review) and tell the athlete the
    truth: the answers are saved and their clinician will review them."""
    athlete_id = _id(person)
    alert = fallback_alert(session, athlete_id, morning=morning, report=report)
    repo.raise_alert(session, athlete_id=athlete_id, alert=alert, now=env.now, local_date=day)
    queued = bool(env.notify(session, athlete_id, env.now))
    red = alert.rule != ENGINE_FAILED_RULE
    return Result([Out(ENGINE_FAILED_RED_FLAG if red else ENGINE_FAILED)], queued=queued)


def fallback_alert(
    session: Session,
    athlete_id: int,
    *,
    morning: MorningCheckIn | None = None,
    report: SessionReport | None = None,
) -> Alert:
    """Return the alert to raise when the engine run failed: the protocol's red-flag triage
    of the answers (the most urgent severity if the protocol cannot be read either), or an
    info alert asking the clinician to review the answers."""
    red = bool(morning and morning.red_flags) or bool(
        report and (report.sharp_pain or report.red_flags)
    )
    try:
        programme = repo.get_active_programme(session, athlete_id=athlete_id)
        if programme is None:
            raise LookupError("no active programme")
        protocol = protocol_for(session, programme)
        triaged = triage_morning(protocol, morning) or triage_session(protocol, report)
    except Exception:
        _LOGGER.exception("no protocol for the fallback alert of athlete %s", athlete_id)
        if (
            morning is not None
            and morning.pain_rest is not None
            and morning.pain_rest >= _USUAL_PAIN_REST_STOP
        ):
            red = True  # the usual stop threshold; the protocol's could not be read
        triaged = None
    if triaged is not None:
        return triaged.alert
    if red:
        return Alert(
            severity="emergency",
            rule="redflag.engine_failed",
            text="Red flag reported (the engine failed, tier unknown): please review now.",
        )
    return Alert(severity="info", rule=ENGINE_FAILED_RULE, text=ENGINE_FAILED_ALERT)


def _finish_settings(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    athlete_id = _id(person)
    if answers.get("setting") == "timezone":
        zone = chosen_zone(answers)
        if zone:
            repo.update_person(session, person_id=athlete_id, timezone=zone)
    elif answers.get("setting") == "checkin_time" and answers.get("checkin_time"):
        repo.update_person(session, person_id=athlete_id, checkin_time=answers["checkin_time"])
    reschedule(session, athlete_id, env.now)
    person = repo.require_person(session, person_id=athlete_id)
    return Result(
        [
            Out(
                texts.SETTINGS_SAVED.format(
                    zone=city_label(person.timezone), time=person.checkin_time or "–"
                )
            )
        ]
    )


def _finish_delete(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    if answers.get("confirm_1") is not True or answers.get("confirm_2") is not True:
        return Result([Out(texts.DELETE_KEPT)])
    athlete_id = _id(person)
    name = person.display_name or f"athlete #{athlete_id}"
    queued = False
    for clinician in repo.clinicians_of(session, athlete_id=athlete_id):
        if clinician.chat_id is None and not clinician.telegram_user_id:
            continue
        repo.enqueue_message(
            session,
            chat_id=clinician.chat_id or clinician.telegram_user_id,
            text=texts.CLINICIAN_ATHLETE_DELETED.format(name=name, id=athlete_id),
            kind="athlete_deleted",
            now=env.now,
            person_id=clinician.id,
        )
        queued = True
    repo.delete_athlete(session, athlete_id=athlete_id, actor_id=athlete_id, now=env.now)
    return Result([Out(texts.DELETED)], queued=queued, deleted=True)


def _finish_baseline(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    given = answers.get("baseline")
    if not given:
        return Result([Out(texts.DELETE_KEPT.replace("deleted", "changed"))])
    metrics = Metrics.model_validate(given)
    repo.set_baseline(session, athlete_id=_id(person), metrics=metrics, now=env.now)
    return Result([Out(texts.BASELINE_SAVED.format(echo="\n" + describe_metrics(given)))])


Finisher = Callable[
    [Session, Person, QuestionnaireProgress, dict[str, Any], QuestionContext, Env], Result
]
_FINISHERS: dict[str, Finisher] = {
    "onboarding": _finish_onboarding,
    "morning": _finish_morning,
    "session": _finish_session,
    "settings": _finish_settings,
    "delete": _finish_delete,
    "baseline": _finish_baseline,
}


def plan_first_prompts(
    session: Session, athlete_id: int, zone: str, today: dt.date, now: dt.datetime
) -> dt.date | None:
    """Plan a new athlete's prompts at once, from the morning after the onboarding day.

    The onboarding day is the programme's first day, decided as "programme started" rather
    than a missed check-in, so its first prompt is tomorrow's (/checkin works today too).
    Returns the local date of the first planned morning prompt.
    """
    from bot.scheduling.schedule import reschedule_athlete

    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return reschedule_athlete(session, athlete_id, now=max(now, tomorrow.astimezone(dt.UTC)))


def reschedule(session: Session, athlete_id: int, now: dt.datetime) -> None:
    """Re-plan the athlete's prompts after a change of time zone, time or pause."""
    from bot.scheduling.schedule import reschedule_athlete

    reschedule_athlete(session, athlete_id, now=now)


# --- commands that read or change state without a questionnaire ---------------------------


def pause(session: Session, person: Person, env: Env) -> Result:
    """/pause: no prompts; the engine holds (recorded as a pause ordered by the athlete)."""
    if person.paused:
        return Result([Out(texts.ALREADY_PAUSED)])
    _set_paused(session, person, True, env.now)
    return Result([Out(texts.PAUSED)])


def resume(session: Session, person: Person, env: Env) -> Result:
    """/resume: prompts again; the engine continues from where it held."""
    if not person.paused:
        return Result([Out(texts.NOT_PAUSED)])
    last_pause = session.exec(
        select(ClinicianActionRecord)
        .where(
            ClinicianActionRecord.athlete_id == _id(person),
            ClinicianActionRecord.kind == "pause",
        )
        .order_by(col(ClinicianActionRecord.at).desc(), col(ClinicianActionRecord.id).desc())
    ).first()
    if last_pause is not None and last_pause.clinician_id != person.id:
        return Result([Out(texts.PAUSED_BY_CLINICIAN)])  # only the clinician lifts their pause
    _set_paused(session, person, False, env.now)
    return Result([Out(texts.RESUMED)])


def _set_paused(session: Session, person: Person, paused: bool, now: dt.datetime) -> None:
    athlete_id = _id(person)
    repo.update_person(session, person_id=athlete_id, paused=paused)
    programme = repo.get_active_programme(session, athlete_id=athlete_id)
    if programme is not None and programme.id is not None:
        repo.set_programme_status(
            session, programme_id=programme.id, status="paused" if paused else "active", now=now
        )
    repo.record_clinician_action(
        session,
        athlete_id=athlete_id,
        clinician_id=athlete_id,
        local_date=local_today(person, now),
        kind="pause" if paused else "resume",
        now=now,
        note="paused by the athlete" if paused else "resumed by the athlete",
    )
    reschedule(session, athlete_id, now)


def plan(session: Session, person: Person, env: Env) -> Result:
    """/plan: today's session (after the check-in), or a preview of the stage's session."""
    today = local_today(person, env.now)
    if repo.get_morning_checkin(session, athlete_id=_id(person), local_date=today) is None:
        preview = plan_preview(session, person)
        return Result([Out(texts.PLAN_NEEDS_CHECKIN + "\n\n" + preview)])
    run = run_today(session, person, today, env.now)
    return Result([Out(texts.plan_text(run.outcome))])


def status(session: Session, person: Person, env: Env) -> Result:
    """/status: the stage, each criterion observed vs needed, what is left."""
    today = local_today(person, env.now)
    return Result([Out(texts.status_text(status_today(session, person, today, env.now)))])


def history(session: Session, person: Person, env: Env) -> Result:
    """/history: the last 14 days, one line each."""
    today = local_today(person, env.now)
    since = today - dt.timedelta(days=13)
    athlete_id = _id(person)
    days = repo.load_day_records(session, athlete_id=athlete_id, since=since, until=today)
    decisions = repo.decisions_between(session, athlete_id=athlete_id, since=since, until=today)
    return Result([Out(texts.history_text(days, decisions))])


def export(session: Session, person: Person, env: Env) -> Result:
    """/export: everything stored about the athlete as one JSON file and one CSV file."""
    data = repo.export_athlete(session, athlete_id=_id(person), actor_id=_id(person), now=env.now)
    json_text = repo.export_json(data)
    csv_text = texts.combined_csv(repo.export_csv(data))
    stamp = local_today(person, env.now).isoformat()
    return Result(
        [
            Out(
                texts.EXPORT_CAPTION.format(kind="JSON"),
                document=(f"sprintback-{stamp}.json", json_text.encode()),
            ),
            Out(
                texts.EXPORT_CAPTION.format(kind="CSV"),
                document=(f"sprintback-{stamp}.csv", csv_text.encode()),
            ),
        ]
    )


__all__ = [
    "EngineRun",
    "Env",
    "Out",
    "Result",
    "answer",
    "begin",
    "cancel",
    "change_timezone",
    "context_for",
    "export",
    "find_athlete",
    "history",
    "is_onboarded",
    "local_today",
    "location",
    "open_progress",
    "other_content",
    "pause",
    "plan",
    "plan_first_prompts",
    "press",
    "render_question",
    "resume",
    "status",
    "typed",
]
