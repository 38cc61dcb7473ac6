"""Finishing the morning check-in and the session report (and its pain follow-up): store the
record, run the engine on the stored history, record the decision and queue the clinician's
alerts; and, when the engine run fails, keep the answers and alert the clinician all the same.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from bot.clock import local_date
from bot.services import texts
from bot.services.athlete.engine_bridge import EngineRun, apply_outcome, run_today
from bot.services.athlete.followup import locked_report, plan_followup
from bot.services.athlete.keyboards import why_keyboard
from bot.services.athlete.results import (
    Env,
    Out,
    Result,
    has_clinician,
    id_of,
    tell_clinicians,
)
from bot.services.questionnaires.model import QuestionContext
from bot.services.questionnaires.morning import SIGNS_GONE_KEY, reported_flags
from bot.services.questionnaires.session import collected_checks, collected_metrics
from bot.services.questionnaires.steps import with_ticked_signs
from bot.services.timezones import emergency_number
from bot.store import repo
from bot.store.db import is_retryable
from bot.store.models import ATHLETE_NOTE_KIND, Person, QuestionnaireProgress
from bot.store.standing import protocol_for, working_day
from bot.support.formats import format_date, format_long_date
from bot.support.i18n import L_
from bot.support.logs import failure
from bot.wording.stages import stage_label
from engine.models import Alert, Checks, Metrics, MorningCheckIn, SessionReport
from engine.programme import DayOutcome
from engine.red_flags import triage_morning, triage_session

_LOGGER = logging.getLogger(__name__)
_Model = TypeVar("_Model", bound=BaseModel)
# A warning sign is never dropped, whatever else is wrong with the answers.
_NEVER_LEFT_OUT = frozenset({"red_flags", "sharp_pain"})


def valid_answers(model: type[_Model], values: dict[str, Any], what: str) -> _Model:
    """``values`` as ``model``, leaving out any answer the model refuses (a value an older
    version or a parser gap let through, e.g. a top speed of -0), so one bad answer never
    blocks the rest: the pain answers and red flags of the same report are still stored and
    evaluated, and the questionnaire can close. What was left out is logged by name; the
    answers themselves stay as given in the questionnaire."""
    kept = dict(values)
    while True:
        try:
            return model.model_validate(kept)
        except ValidationError as err:
            refused = {str(e["loc"][0]) for e in err.errors() if e["loc"]} & kept.keys()
            if not refused or refused & _NEVER_LEFT_OUT:
                raise
            _LOGGER.warning("%s: left out answers the model refused: %s", what, sorted(refused))
            kept = {k: v for k, v in kept.items() if k not in refused}


ENGINE_FAILED_RULE = "engine.failed"
# Both shipped protocols stop at pain at rest >= 4; used only when no protocol can be read.
_USUAL_PAIN_REST_STOP = 4
ENGINE_FAILED_ALERT = "The engine failed on the athlete's answers: please review them."
ENGINE_FAILED = L_(
    "Your answers are saved. I could not work out today's plan just now, so your clinician "
    "has been asked to review them. Please keep to easy activity until you hear back."
)
# The protocols' triage without the engine: chest pain or breathlessness, or a swollen calf
# with severe pain, is an emergency (tier 1); a warm, red or swollen calf alone is same-day.
ENGINE_FAILED_RED_FLAG = L_(
    "⛔ Stop training now: you reported a warning sign. Your answers are saved. If you have "
    "chest pain or sudden breathlessness, or a warm, red or swollen calf with severe pain, "
    "call {number} now. Otherwise have a medical check today."
)
ENGINE_FAILED_ALERTED = L_("Your clinician has been alerted and will review your answers.")
# A check-in started before midnight and finished after it counts for the day it began.
CHECKIN_AFTER_MIDNIGHT = L_(
    "🗓 This check-in counts for {date}, which has just ended. Your next check-in is this morning."
)
# A check-in answered after the day's session report: nothing more to train today.
CHECKIN_AFTER_SESSION = L_("😴 Today's session is already reported: no second session today.")
CHECKIN_AFTER_SESSION_NOT_COUNTED = L_(
    "It came before this check-in, so it does not count towards moving up."
)


MODEL_KEYS = {
    "morning": frozenset(MorningCheckIn.model_fields),
    "session": frozenset(SessionReport.model_fields) - {"metrics", "checks"},
}


def model_keys(kind: str) -> frozenset[str]:
    """Return the data-dictionary keys of a check-in ("morning") or session report."""
    return MODEL_KEYS[kind]


def finish_morning(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    athlete_id = id_of(person)
    values = {k: v for k, v in answers.items() if k in MorningCheckIn.model_fields}
    if "red_flags" in values or answers.get(SIGNS_GONE_KEY) is not None:
        # A sign reported since the last check-in and said to be still there is today's.
        values["red_flags"] = reported_flags(answers, ctx)
    stored = repo.get_morning_checkin(
        session, athlete_id=athlete_id, local_date=progress.local_date
    )
    if stored is not None and stored.red_flags:  # e.g. reported with /problem meanwhile
        given = values.get("red_flags") or []
        values["red_flags"] = list(dict.fromkeys([*stored.red_flags, *given]))
    morning = valid_answers(MorningCheckIn, values, "morning check-in")
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
    messages = texts.morning_result(
        run.outcome,
        run.protocol,
        person.timezone,
        has_clinician(session, person),
        morning_pain(morning),
    )
    reported = repo.get_session_report(
        session, athlete_id=athlete_id, local_date=progress.local_date
    )
    if reported is not None and run.outcome.readiness != "stop" and messages:
        messages = [_after_session(messages[0], run), *messages[1:]]
    if messages and progress.local_date == local_date(person, env.now) - dt.timedelta(days=1):
        # Finished after midnight: "today" in the verdict is the day that has just ended (an
        # older one, completed as it expired, is named by where it comes from instead).
        ended = CHECKIN_AFTER_MIDNIGHT.format(date=format_long_date(progress.local_date))
        messages = [f"{ended}\n\n{messages[0]}", *messages[1:]]
    why = why_keyboard("m", progress.local_date)
    return Result([Out(m, keyboard=why) for m in messages], queued=queued)


def morning_pain(morning: MorningCheckIn | None) -> int | None:
    """The higher of the morning's pain at rest and in the test (None when neither was
    answered): what a day without running allows depends on it."""
    if morning is None:
        return None
    values = [v for v in (morning.pain_rest, morning.pain_test) if v is not None]
    return max(values) if values else None


def _after_session(message: str, run: EngineRun) -> str:
    """The check-in's reply on a day whose session was reported before it: no second session
    (the engine prescribed none), that session does not count, then the verdict's reasons
    (``message`` without its headline) and a step back if the day made one. A stop keeps its
    own message: what to do and who was told come first."""
    outcome = run.outcome
    head = [str(CHECKIN_AFTER_SESSION)]
    if outcome.decision == "step_back" and outcome.stage_after != outcome.stage:
        stage = stage_label(run.protocol, outcome.stage_after)
        head.append(str(texts.STEPPED_BACK).format(stage=stage))
    head.append(str(CHECKIN_AFTER_SESSION_NOT_COUNTED))
    reasons = [line for line in message.split("\n")[1:] if line]
    return "\n".join([*head, *reasons, "", str(texts.NEXT_CHECKIN)])


def _decide_safely(
    session: Session, person: Person, day: dt.date, env: Env, kind: str
) -> tuple[EngineRun, bool] | None:
    """Run the engine for ``day`` and apply its outcome inside a savepoint; return the run
    and whether clinician messages were queued, or None if it failed (the answers stay)."""
    try:
        with session.begin_nested():  # a failed run rolls back to here, not further
            # One decision on the athlete at a time across replicas: a clinician's review or
            # stage change waits for this one to commit, and this one reads theirs.
            repo.lock_programme(session, athlete_id=id_of(person))
            run = run_today(session, person, day, env.now)
            queued = apply_outcome(session, person, run, kind, env.now, env.notify)
    except Exception as exc:
        if is_retryable(exc):
            # Another replica held the athlete's programme (a clinician deciding at the same
            # moment): the whole update rolls back and is processed again, not "failed".
            raise
        _LOGGER.error(
            "engine run failed (%s) for athlete %s: %s", kind, id_of(person), failure(exc)
        )
        return None
    return run, queued


def finish_session(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
    *,
    checkin_waits: bool = False,
) -> Result:
    """The session report answered: stored, the day decided again, the decision said.
    ``checkin_waits``: the day's check-in is on hold (said after this), so no "check-in
    tomorrow"."""
    athlete_id = id_of(person)
    metrics = collected_metrics(answers)
    baseline = repo.latest_baseline(session, athlete_id=athlete_id)
    if (
        "vmax_ms" in metrics
        and "top_pct_vmax" not in metrics
        and baseline is not None
        and baseline.vmax_ms
    ):
        metrics["top_pct_vmax"] = min(130.0, round(metrics["vmax_ms"] / baseline.vmax_ms * 100, 1))
    report = valid_answers(
        SessionReport,
        {
            **{k: v for k, v in answers.items() if k in model_keys("session")},
            "metrics": valid_answers(Metrics, metrics, "session metrics"),
            "checks": valid_answers(Checks, collected_checks(answers), "session checks"),
        },
        "session report",
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
    # Skipped ("not an hour yet"): asked again later. Not asked at all (the report stopped
    # on a warning sign, or was closed half way): no follow-up.
    skipped = "pain_1h" in answers and answers["pain_1h"] is None
    planned = skipped and plan_followup(
        session, person, progress.local_date, report, run.outcome, env.now
    )
    coming = str(texts.FOLLOWUP_PLANNED) if planned else None
    message = _session_message(
        session, person, progress.local_date, run, env, coming, checkin_waits=checkin_waits
    )
    why = why_keyboard("d", progress.local_date)
    return Result([Out(message, keyboard=why)], queued=queued)


def _session_message(
    session: Session,
    person: Person,
    day: dt.date,
    run: EngineRun,
    env: Env,
    coming: str | None = None,
    *,
    checkin_waits: bool = False,
) -> str:
    """Return the decision after the session report of ``day``, in plain words (``coming``:
    a line on what comes before the next check-in; ``checkin_waits``: the day's check-in is
    on hold, so none is said to come next)."""
    return texts.session_result(
        run.outcome,
        run.protocol,
        person.timezone,
        announced=_moved_this_morning(session, id_of(person), day, run),
        status=run.status_after(day),
        overnight=day < local_date(person, env.now),
        has_clinician=has_clinician(session, person),
        coming=coming,
        next_checkin_on=(
            format_date(day + dt.timedelta(days=1)) if day > local_date(person, env.now) else None
        ),
        checkin_waits=checkin_waits,
    )


def finish_followup(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
    *,
    checkin_waits: bool = False,
) -> Result:
    """The pain follow-up (``bot.services.athlete.followup``): the pain an hour after the
    session goes into that day's session report (every other answer kept; one already there
    is never overwritten), and the day is decided again as after the report itself. The
    athlete reads the new decision when it changed (e.g. a red session: one stage back, and
    the clinician alerted when the engine says so), else a short thank-you.
    ``checkin_waits``: as for ``finish_session``."""
    athlete_id = id_of(person)
    day = progress.local_date
    value = answers.get("pain_1h")
    stored = locked_report(session, athlete_id, day)
    if stored is None or stored.pain_1h is not None or not isinstance(value, int):
        # The report is gone, or holds this answer already: nothing to add (the answer stays
        # in the questionnaire's own record).
        return Result([Out(texts.EXPIRED)])
    before = repo.decisions_between(
        session, athlete_id=athlete_id, since=day, until=day, kind="daily"
    )
    # Copied now: recording the new decision refreshes the row read here.
    earlier = dict(before[-1].decision) if before else {}
    report = valid_answers(
        SessionReport,
        {**stored.model_dump(exclude_none=True), "pain_1h": value},
        "session report",
    )
    repo.upsert_session_report(
        session,
        athlete_id=athlete_id,
        local_date=day,
        answers=report,
        answered_at=env.now,
        utc_offset_minutes=repo.utc_offset_minutes(env.now, person.timezone),
    )
    decided = _decide_safely(session, person, day, env, "daily")
    if decided is None:
        return _engine_failed(session, person, day, env, report=report)
    run, queued = decided
    if (
        not queued
        and earlier.get("decision") == run.outcome.decision
        and earlier.get("stage_after") == run.outcome.stage_after
    ):
        return Result([Out(texts.FOLLOWUP_NOTED)])
    message = _session_message(session, person, day, run, env, checkin_waits=checkin_waits)
    return Result([Out(message, keyboard=why_keyboard("d", day))], queued=queued)


def _moved_this_morning(session: Session, athlete_id: int, day: dt.date, run: EngineRun) -> bool:
    """Whether the morning message of ``day`` already announced today's move up."""
    morning = repo.decisions_between(
        session, athlete_id=athlete_id, since=day, until=day, kind="morning"
    )
    if not morning:
        return False
    stored = morning[-1].decision
    return (
        stored.get("decision") == "progress"
        and stored.get("stage_after") == run.outcome.stage_after
        and stored.get("stage") != stored.get("stage_after")
    )


def why(session: Session, person: Person, kind: str, day: dt.date, env: Env) -> Result:
    """The "Why?" button: the full list of reasons of that day's verdict ("m") or decision
    ("d"), the athlete's own only."""
    found = repo.decisions_between(
        session,
        athlete_id=id_of(person),
        since=day,
        until=day,
        kind="morning" if kind == "m" else "daily",
    )
    if not found:
        return Result([Out(str(texts.WHY_NONE))])
    programme = repo.get_active_programme(session, athlete_id=id_of(person))
    if programme is None:
        return Result([Out(str(texts.WHY_NONE))])
    protocol = protocol_for(session, programme)
    outcome = DayOutcome.model_validate(found[-1].decision)
    status = None
    if kind == "d" and day == working_day(session, person, env.now):
        status = run_today(session, person, day, env.now).status_after(day)  # session counted
    return Result([Out(texts.why_text(outcome, protocol, day, status))])


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
    athlete_id = id_of(person)
    alert = fallback_alert(session, athlete_id, morning=morning, report=report)
    repo.raise_alert(session, athlete_id=athlete_id, alert=alert, now=env.now, local_date=day)
    queued = bool(env.notify(session, athlete_id, env.now))
    if alert.rule == ENGINE_FAILED_RULE:
        return Result([Out(ENGINE_FAILED)], queued=queued)
    # A warning sign: what to do now, the emergency number where they are, and who knows.
    told = ENGINE_FAILED_ALERTED if has_clinician(session, person) else texts.NO_CLINICIAN_LINKED
    said = str(ENGINE_FAILED_RED_FLAG).format(number=emergency_number(person.timezone))
    return Result([Out(f"{said}\n\n{told}")], queued=queued)


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
        # The more urgent of the two: a session's signs joined with the morning's can make a
        # tier-1 picture that neither shows alone.
        found = [
            t
            for t in (triage_morning(protocol, morning), triage_session(protocol, report, morning))
            if t is not None
        ]
        triaged = min(found, key=lambda t: t.tier) if found else None
    except Exception as exc:
        _LOGGER.error(
            "no protocol for the fallback alert of athlete %s: %s", athlete_id, failure(exc)
        )
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


def finish_problem(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
    *,
    checkin_waits: bool = False,
) -> Result:
    """/problem (or a message typed outside a questionnaire): a warning sign ticked is added to
    today's check-in, so it stops training and reaches the clinician like one reported in the
    morning (the check-in's other answers are kept); "Tell my clinician" forwards the note.
    ``checkin_waits``: today's check-in is on hold (said after this), so no "check in
    tomorrow"."""
    note = str(answers.get("note") or "").strip()
    action = answers.get("action")
    flags = answers.get("red_flags")
    if isinstance(flags, list) and flags:
        result = _red_flags_today(session, person, progress.local_date, flags, env)
        # After the sign is recorded: the note's context tells the clinician it stopped running.
        queued = forward_note(session, person, note, env) if note else False
        result.queued = result.queued or queued
        return result
    if action == "tell":
        if not note or not has_clinician(session, person):
            return Result([Out(str(texts.NO_CLINICIAN_LINKED))])
        forward_note(session, person, note, env)
        names = [
            c.display_name or "" for c in repo.clinicians_of(session, athlete_id=id_of(person))
        ]
        named = ", ".join(n for n in names if n)
        worse = str(texts.PROBLEM_WORSE_FAST).format(
            who=named or str(texts.YOUR_CLINICIAN), number=emergency_number(person.timezone)
        )
        # "Sent to …" has its own sentence for clinicians without a name (grammar differs).
        told = (
            str(texts.PROBLEM_SENT).format(clinician=named)
            if named
            else str(texts.PROBLEM_SENT_TO_YOUR_CLINICIAN)
        )
        # What not to wait with: the note waits until the clinician reads it.
        sent = f"{told}\n\n{worse}"
        return Result([Out(sent)], queued=True)
    if action == "screen":
        # Today's check-in on hold (said just after this): no "check in tomorrow".
        said = texts.PROBLEM_NO_FLAGS_CHECKIN_WAITS if checkin_waits else texts.PROBLEM_NO_FLAGS
        return Result([Out(str(said))])
    return Result([Out(str(texts.PROBLEM_NOTHING_DONE))])


def forward_note(session: Session, person: Person, note: str, env: Env) -> bool:
    """Queue the athlete's words for each linked clinician (in the clinician's language);
    return whether anything was queued."""
    # Under the name as each clinician reads it, in parts that cannot pass for another's.
    from bot.services.athlete.notes import note_context, note_for_clinicians

    return tell_clinicians(
        session,
        person,
        env,
        note_for_clinicians(note, note_context(session, person, env.now)),
        kind=ATHLETE_NOTE_KIND,
        author_id=id_of(person),
    )


def _unfinished_checkin(session: Session, athlete_id: int, day: dt.date) -> dict[str, Any]:
    """Return the answers given so far in the check-in of ``day`` left unfinished (open, or
    cancelled when /problem opened), warning signs still ticked counted: a warning sign
    reported later the same day is stored with them, so none is lost."""
    progress = repo.latest_questionnaire_of_day(
        session, athlete_id=athlete_id, kind="morning", local_date=day
    )
    if progress is None or progress.status not in ("open", "cancelled"):
        return {}
    answers = with_ticked_signs(progress.answers)
    return {k: v for k, v in answers.items() if k in model_keys("morning") and v is not None}


def _red_flags_today(
    session: Session, person: Person, day: dt.date, flags: list[str], env: Env
) -> Result:
    """Add ``flags`` to the check-in of ``day`` (keeping its answers) and decide again."""
    athlete_id = id_of(person)
    stored = repo.get_morning_checkin(session, athlete_id=athlete_id, local_date=day)
    before: dict[str, Any] = stored.model_dump(exclude_none=True) if stored is not None else {}
    before = {**_unfinished_checkin(session, athlete_id, day), **before}
    known = list(before.get("red_flags") or [])
    morning = valid_answers(
        MorningCheckIn,
        {**before, "red_flags": list(dict.fromkeys([*known, *flags]))},
        "morning check-in",
    )
    repo.upsert_morning_checkin(
        session,
        athlete_id=athlete_id,
        local_date=day,
        answers=morning,
        answered_at=env.now,
        utc_offset_minutes=repo.utc_offset_minutes(env.now, person.timezone),
    )
    decided = _decide_safely(session, person, day, env, "morning")
    if decided is None:
        # The day's session report joins the triage: its signs and the new ones together
        # may be a more urgent picture than either alone.
        report = repo.get_session_report(session, athlete_id=athlete_id, local_date=day)
        return _engine_failed(session, person, day, env, morning=morning, report=report)
    run, queued = decided
    messages = texts.morning_result(
        run.outcome,
        run.protocol,
        person.timezone,
        has_clinician(session, person),
        morning_pain(morning),
    )
    return Result([Out(m) for m in messages], queued=queued)
