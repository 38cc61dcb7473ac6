"""The athlete's commands: /start, /timezone, /cancel, /pause, /resume, /plan, /status,
/history and /export. Those that ask questions open a questionnaire
(``bot.services.athlete.questionnaire``); the others read or change state directly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from bot.clock import local_date, zone_of
from bot.services import texts
from bot.services.athlete.account import pre_injury_bests_known, set_paused, tell_pause
from bot.services.athlete.daily import CHECKIN_AFTER_SESSION, morning_pain
from bot.services.athlete.engine_bridge import (
    close_days_before,
    plan_preview,
    run_today,
    status_today,
)
from bot.services.athlete.questionnaire import (
    begin,
    calls_for_review,
    complete,
    context_for,
    is_onboarded,
    open_progress,
    question_day,
)
from bot.services.athlete.results import Env, Out, Result, has_clinician, id_of
from bot.services.invites import athlete_invite
from bot.services.questionnaires.onboarding import CONSENT_SHARE_KEY, INVITE_KEY
from bot.services.questionnaires.unlink import LINKS_KEY
from bot.store import repo
from bot.store.models import ClinicianActionRecord, Person
from bot.store.standing import (
    athlete_stage_status,
    protocol_for,
    reviewed_from,
    working_day,
)
from bot.support.i18n import L_, _, current_language, text
from engine.programme import DayOutcome
from engine.schema import Protocol

CANCELLED_BUT_SENT = L_(
    "Stopped. Your answers so far already need a look, so they are saved and were sent on:"
)
# The same with no clinician linked: nobody receives them (the result that follows says so).
CANCELLED_BUT_SAVED = L_("Stopped. Your answers so far already need a look, so they are saved:")


def start(
    session: Session,
    person: Person | None,
    telegram_user_id: int,
    code: str,
    env: Env,
) -> Result:
    """/start [code]: welcome a newcomer and open onboarding, naming the inviting clinician
    when ``code`` is a valid athlete invite; an onboarded athlete is told so (with /link for a
    code). Before consent only what the flow needs is stored: the Telegram id (to hold the
    unfinished onboarding) and the invite code; the name is stored once they consent."""
    if person is not None and is_onboarded(session, person):
        if not code:
            return Result([Out(texts.ALREADY_ONBOARDED)])
        if athlete_invite(session, code, env.now) is None:
            # Only a code the store knows is quoted back: anything else typed after /start is
            # not shown to the athlete as if it were a code worth sending.
            return Result([Out(texts.ALREADY_ONBOARDED), Out(texts.INVITE_UNKNOWN)])
        hint = _("To link with a clinician, send /link {code}").format(code=code)
        return Result([Out(text(texts.ALREADY_ONBOARDED) + "\n" + hint)])
    outs: list[Out] = [Out(texts.WELCOME)]
    extra: dict[str, Any] = {}
    if code:
        invite = athlete_invite(session, code, env.now)
        if invite is None:
            outs.append(Out(texts.INVITE_UNKNOWN))
        else:
            if invite.clinician_name is None:
                outs.append(Out(texts.WELCOME_WITH_YOUR_CLINICIAN))
            else:
                welcome = texts.WELCOME_WITH_CLINICIAN.format(clinician=invite.clinician_name)
                outs.append(Out(welcome))
            extra[INVITE_KEY] = code
    if person is None:
        person = repo.create_person(
            session,
            role="athlete",
            telegram_user_id=telegram_user_id,
            now=env.now,
            timezone=env.default_timezone,
            # The update's language: their Telegram app's, when Sprintback speaks it.
            language=current_language(),
        )
    progress, question = begin(session, person, "onboarding", env, answers=extra)
    if extra and progress.answers.get(INVITE_KEY) != extra[INVITE_KEY]:
        # Another clinician's link, opened mid-onboarding: consent to share was given for
        # the one who invited them first, so it is asked again, for this one.
        kept = {k: v for k, v in progress.answers.items() if k != CONSENT_SHARE_KEY}
        progress.answers = {**kept, **extra}
        session.add(progress)
        progress, question = begin(session, person, "onboarding", env)
    if question is not None:
        outs.append(question)
    return Result(outs)


def change_timezone(session: Session, person: Person, env: Env) -> Result:
    """/timezone from an athlete: the time-zone question of /settings, asked at once (an
    open /settings about something else is closed first, its answers kept)."""
    open_settings = repo.get_open_questionnaire(session, athlete_id=id_of(person), kind="settings")
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
        result = complete(session, person, progress, ctx, env)
        told = CANCELLED_BUT_SENT if has_clinician(session, person) else CANCELLED_BUT_SAVED
        result.outs.insert(0, Out(told))
        return result
    repo.finish_questionnaire(session, progress_id=progress.id, now=env.now, status="cancelled")
    return Result([Out(texts.CANCELLED)])


def pause(session: Session, person: Person, env: Env) -> Result:
    """/pause: asks why (buttons); the answer pauses the programme and tells the clinician."""
    if person.paused:
        return Result([Out(texts.ALREADY_PAUSED)])
    _, question = begin(session, person, "pause", env)
    return Result([question] if question is not None else [])


def unlink(session: Session, person: Person, env: Env) -> Result:
    """/unlink: which clinician should stop seeing the athlete's data (when several), then a
    confirmation; the clinicians offered are kept with the questionnaire (see
    ``bot.services.questionnaires.unlink``)."""
    linked = repo.clinicians_of(session, athlete_id=id_of(person))
    if not linked:
        return Result([Out(texts.UNLINK_NONE)])
    offered = [[c.id, c.display_name or f"#{c.id}"] for c in linked]
    _, question = begin(session, person, "unlink", env, answers={LINKS_KEY: offered})
    return Result([question] if question is not None else [])


def resume(session: Session, person: Person, env: Env) -> Result:
    """/resume: prompts again; the engine continues from where it held."""
    if not person.paused:
        return Result([Out(texts.NOT_PAUSED)])
    last_pause = session.exec(
        select(ClinicianActionRecord)
        .where(
            ClinicianActionRecord.athlete_id == id_of(person),
            ClinicianActionRecord.kind == "pause",
        )
        .order_by(col(ClinicianActionRecord.at).desc(), col(ClinicianActionRecord.id).desc())
    ).first()
    if last_pause is not None and last_pause.clinician_id != person.id:
        return Result([Out(texts.PAUSED_BY_CLINICIAN)])  # only the clinician lifts their pause
    set_paused(session, person, False, env.now)
    queued = tell_pause(session, person, env, paused=False)
    today = working_day(session, person, env.now)
    done = repo.get_morning_checkin(session, athlete_id=id_of(person), local_date=today)
    if running_stopped(session, person, env):
        # A pause never lifts a stop: running waits for the clinician's review.
        return Result([Out(_resumed_stopped(person, done is not None, env))], queued=queued)
    return Result([Out(texts.RESUMED_CHECKED_IN if done else texts.RESUMED)], queued=queued)


def _resumed_stopped(person: Person, checked_in: bool, env: Env) -> str:
    """/resume while running is stopped until a clinician's review: the stop first, then
    when the next check-in comes (or /plan, after today's)."""
    if checked_in:
        nxt = str(texts.RESUMED_STOPPED_CHECKED_IN)
    elif person.checkin_time and person.checkin_time > _local_time(person, env.now):
        nxt = str(texts.RESUMED_NEXT_CHECKIN_AT).format(time=person.checkin_time)
    else:
        nxt = str(texts.RESUMED_CHECKIN_NOW)
    return f"{texts.RESUMED_STOPPED}\n{nxt}"


def _local_time(person: Person, now: dt.datetime) -> str:
    """The athlete's wall-clock time now, as "HH:MM" (the check-in time's format)."""
    return now.astimezone(zone_of(person.timezone)).strftime("%H:%M")


def running_stopped(session: Session, person: Person, env: Env) -> bool:
    """Whether running is stopped until a clinician's review as things stand today (a
    warning sign not yet reviewed): the stage status /status and the clinician's card read
    (``athlete_stage_status``, which writes nothing), so all three say the same."""
    programme = repo.get_active_programme(session, athlete_id=id_of(person))
    if programme is None:
        return False
    today = working_day(session, person, env.now)
    status = athlete_stage_status(session, programme, protocol_for(session, programme), today)
    if status is None or not status.suspended:
        return False
    # A review already recorded lets them run again from a later day, and they were told so.
    return reviewed_from(session, id_of(person), programme.current_stage, today) is None


def plan(session: Session, person: Person, env: Env) -> Result:
    """/plan: what the athlete does today and in the days ahead, each said once: today's
    session (after the check-in), or a preview of it, led by what the day holds when it holds
    no running the stage has (a stop, a review awaited, a rest day, a rest interval), and
    when the next fast session may come. Where the athlete stands and what they need to move
    up is /status's, never repeated here; a stop with nothing to train is said once, with
    no empty session under it; a rest day's activities are titled as what the day allows.
    "Today" is the athlete's working day (``working_day``)."""
    if person.paused:
        return Result([Out(texts.PLAN_PAUSED)])
    today = working_day(session, person, env.now)
    told = has_clinician(session, person)
    morning = repo.get_morning_checkin(session, athlete_id=id_of(person), local_date=today)
    if morning is None:
        queued = close_days_before(session, person, today, env.now, env.notify)
        outcome, protocol = plan_preview(session, person, today, env.now)
        if _ran_already(session, person, today, outcome):
            return Result([Out(str(CHECKIN_AFTER_SESSION))], queued=queued)
        head = _plan_headline(outcome, protocol, person.timezone, told)
        # No check-in, no training (the engine's rule): that leads, after a stop only; the
        # session shown is what a good check-in would give, never today's.
        needs = str(texts.PLAN_NEEDS_CHECKIN)
        stop_first = head is not None and _is_stop(outcome)
        lead = [head, needs] if stop_first else [needs, *([head] if head else [])]
        parts = [*lead, texts.plan_preview_text(outcome, protocol)]
        return Result([Out("\n\n".join(parts))], queued=queued)
    run = run_today(session, person, today, env.now)
    if _ran_already(session, person, today, run.outcome):
        return Result([Out(str(CHECKIN_AFTER_SESSION))])
    head = _plan_headline(run.outcome, run.protocol, person.timezone, told)
    if head and _is_stop(run.outcome) and not (run.outcome.plan and run.outcome.plan.drills):
        # The stop says what to do (and what gentle walking is fine): an empty "Today's
        # session · … No training today." under it says "no training" a second time.
        return Result([Out(head)])
    session_text = texts.plan_text(run.outcome, run.protocol, morning_pain(morning))
    return Result([Out(f"{head}\n\n{session_text}" if head else session_text)])


def _is_stop(outcome: DayOutcome) -> bool:
    """Whether the day holds a stop, or running stopped until a clinician's review."""
    return bool(outcome.readiness == "stop" or outcome.decision == "stop" or outcome.review_pending)


def _ran_already(session: Session, person: Person, today: dt.date, outcome: DayOutcome) -> bool:
    """Whether today's session was reported before any check-in, so the day prescribes no
    second one (the engine's plan is empty)."""
    return outcome.plan is None and (
        repo.get_session_report(session, athlete_id=id_of(person), local_date=today) is not None
    )


def _plan_headline(
    outcome: DayOutcome, protocol: Protocol, zone: str | None, has_clinician: bool
) -> str | None:
    """Return what the day holds when its session has no running the stage has, in the
    morning's words: a stop with what to do (the warning sign's instruction, the review);
    no running until a clinician's review; a rest day; a rest between fast sessions. None
    on a day whose session is the stage's own (its notes say what is lighter)."""
    if outcome.readiness == "stop" or outcome.decision == "stop":
        if not outcome.instructions:
            return str(texts.HEADLINES["stop"])
        # A stop later in the day (the session report) is said as a stop in the morning is.
        said = outcome.model_copy(update={"readiness": "stop"})
        return texts.morning_result(said, protocol, zone, has_clinician)[0]
    if outcome.review_pending:
        return str(texts.NO_RUNNING_REVIEW)
    if outcome.readiness == "rest":
        return texts.rest_headline(outcome, protocol)
    plan = outcome.plan
    if plan is not None and any(str(n).startswith("No running today") for n in plan.notes):
        return str(texts.NO_RUNNING_REST)
    return None


def status(session: Session, person: Person, env: Env) -> Result:
    """/status: the stage, each criterion observed vs needed, what is left, as things stand
    at the end of the athlete's working day so far (today's check-in, session and actions
    included: what the clinician's card shows)."""
    today = working_day(session, person, env.now)
    queued = close_days_before(session, person, today, env.now, env.notify)
    stage, protocol = status_today(session, person, today, env.now)
    # A criterion held by a missing pre-injury best says so, not "not reported yet".
    with pre_injury_bests_known(session, person, today):
        return Result([Out(texts.status_text(stage, protocol, today))], queued=queued)


def history(session: Session, person: Person, env: Env) -> Result:
    """/history: the last 14 days, one line each (to the athlete's working day)."""
    today = working_day(session, person, env.now)
    since = today - dt.timedelta(days=13)
    athlete_id = id_of(person)
    days = repo.load_day_records(session, athlete_id=athlete_id, since=since, until=today)
    decisions = repo.decisions_between(session, athlete_id=athlete_id, since=since, until=today)
    programme = repo.get_active_programme(session, athlete_id=athlete_id)
    protocol = protocol_for(session, programme) if programme is not None else None
    return Result([Out(texts.history_text(days, decisions, protocol))])


def export(session: Session, person: Person, env: Env) -> Result:
    """/export: everything stored about the athlete as one JSON file and one CSV file."""
    data = repo.export_athlete(
        session, athlete_id=id_of(person), actor_id=id_of(person), now=env.now
    )
    json_text = repo.export_json(data)
    csv_text = texts.combined_csv(repo.export_csv(data))
    stamp = local_date(person, env.now).isoformat()
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
