"""Finishing /settings (time zone, check-in time), /delete and /baseline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlmodel import Session

from bot.clock import local_date, zone_of
from bot.scheduling.schedule import checkin_time_of, last_served_morning, reschedule_athlete
from bot.scheduling.tick import CARRIED_FROM_KEY
from bot.services import texts
from bot.services.athlete.results import (
    Env,
    Out,
    PerClinician,
    Result,
    id_of,
    tell_clinicians,
)
from bot.services.questionnaires import unlink
from bot.services.questionnaires.answers import assumed_of, metric_values
from bot.services.questionnaires.dates import chosen_zone
from bot.services.questionnaires.metrics_parser import SPECS, baseline_problems
from bot.services.questionnaires.model import QuestionContext
from bot.services.questionnaires.summary import describe_metrics
from bot.services.timezones import city_label
from bot.store import repo
from bot.store.models import ATHLETE_NOTE_KIND, UNLINKED_KIND, Person, QuestionnaireProgress
from bot.store.standing import working_day
from bot.support.formats import format_date
from bot.support.i18n import L_, is_supported, language_name, use_language
from bot.wording.items import format_value, item_label
from bot.wording.reasons import MetricsOnFile, metrics_on_file
from engine.models import Metrics

# A time zone moved west after a check-in: that day is not checked in twice.
CHECKED_IN_AHEAD = L_(
    "You already checked in for {date} in your previous time zone, so your next check-in is "
    "on {next_date} at {time}."
)
# /settings (or /timezone) opened in the middle of the morning check-in.
# (Said in the confirmation, in the language just chosen; the list of what else waits after
# it leaves the check-in out: ``questionnaire._still_on_hold``.) Not "paused": that is /pause.
CHECKIN_PUT_ASIDE = L_("Your check-in is on hold: send /checkin to finish it.")
# A new time zone changed the date under a check-in put aside half answered: it now counts
# for the athlete's day in the new zone (its answers kept), and carries on at once (the
# question below says the answers are kept: RESUMED_ANSWERS, said once).
CHECKIN_MOVED_TO_TODAY = L_(
    "It is now {date} where you are, so the check-in you started counts for today."
)
# ... unless that day already has a check-in (a move west): it stays on the day it was begun
# for (said here, so not again on the question: ``Result.resume_day_said``), and no day is
# checked in twice.
CHECKIN_KEPT_FOR_ITS_DAY = L_(
    "You already checked in for {done}, so the check-in you started still counts for {date}. "
    "Your next check-in after it is on {next_date} at {time}."
)
# ... or its answers were begun too long ago to be today's: they stay with their own day.
CHECKIN_LEFT_ON_ITS_DAY = L_(
    "The check-in you started on {date} stays with that day. Send /checkin to check in for today."
)
# A check-in begun (prompted, or /checkin sent) longer ago than this is no longer this
# morning's in the new zone: its answers do not move to a new day. A time zone set mid
# check-in is a correction, or made on arrival; a flight that changes the date takes longer
# (a check-in begun before it, half answered, and the new zone set after landing).
CARRY_WINDOW = dt.timedelta(hours=6)


def finish_settings(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    """/settings answered: store the change, re-plan the prompts and confirm; say when the
    next check-in comes if the change leaves today without one or moves "today" back to a
    day already checked in, and that a check-in put aside to open /settings is waiting.

    A new time zone that changes the date under that check-in carries it over
    (``_carry_checkin``): it counts for the athlete's day in the new zone, or stays on its
    own day when that one is already checked in, and carries on at once, answers kept."""
    athlete_id = id_of(person)
    aside = _checkin_set_aside(session, person, progress, env.now)
    if answers.get("setting") == "language":
        return _finish_language(session, athlete_id, answers.get("language"), aside is not None)
    old_today = local_date(person, env.now)
    if answers.get("setting") == "timezone":
        zone = chosen_zone(answers)
        if zone:
            repo.update_person(session, person_id=athlete_id, timezone=zone)
    elif answers.get("setting") == "checkin_time" and answers.get("checkin_time"):
        repo.update_person(session, person_id=athlete_id, checkin_time=answers["checkin_time"])
    next_prompt = reschedule(session, athlete_id, env.now)
    person = repo.require_person(session, person_id=athlete_id)
    saved = texts.SETTINGS_SAVED.format(
        zone=city_label(person.timezone),
        time=person.checkin_time or "–",
        language=language_name(person.language),
    )
    if aside is not None and aside.local_date != working_day(session, person, env.now):
        carried = _carry_checkin(session, person, aside, saved, next_prompt, env)
        if carried is not None:
            return carried
        aside = None  # nothing left to finish today: said as if none had been put aside
    ahead = _checked_in_ahead(session, person, old_today, next_prompt, env.now)
    # Still today's in the new zone: /checkin finishes it, and that is all there is to say
    # about today (not also "that time has passed, send /checkin to check in today").
    if ahead:
        saved += "\n" + ahead
    elif aside is None and _today_left_without_prompt(session, person, next_prompt, env.now):
        saved += "\n" + str(texts.FIRST_PROMPT_TOMORROW)
    if aside is not None:
        saved += "\n" + str(CHECKIN_PUT_ASIDE)
    return Result([Out(saved)])


def _carry_checkin(
    session: Session,
    person: Person,
    aside: QuestionnaireProgress,
    saved: str,
    next_prompt: dt.date | None,
    env: Env,
) -> Result | None:
    """A new time zone moved the athlete's day away from the date of the check-in /settings
    put aside half answered (Tuesday's in Auckland, and Los Angeles is still on Monday; or
    Monday's in Los Angeles, and Auckland is on Tuesday already).

    Its answers describe the athlete this morning, so they count for the athlete's day in
    the new zone, if it has no check-in yet: the check-in is moved to that day (the day left
    behind has none, as a day without a check-in). If that day is already checked in, it
    stays on its own day, the one begun in the previous zone (never a second check-in, so
    never a second decision, for a day). Either way it carries on at once, answers kept, and
    the athlete is told which day it counts for and, when it stays ahead, when the next
    check-in comes. Answers begun longer ago than ``CARRY_WINDOW`` are not this morning's:
    they stay on their own day, and the athlete is told so. None when the new day is
    checked in and the check-in's own day is behind it (nothing to finish: the usual
    confirmation says all)."""
    athlete_id = id_of(person)
    day = working_day(session, person, env.now)
    checked_in = repo.get_morning_checkin(session, athlete_id=athlete_id, local_date=day)
    fresh = aside.started_at >= env.now - CARRY_WINDOW
    if checked_in is None and fresh:
        moved_to = day
        # A day ahead of the local date (already started) is named by the question itself.
        today = day == local_date(person, env.now)
        said = str(CHECKIN_MOVED_TO_TODAY).format(date=format_date(day)) if today else ""
    elif checked_in is not None and aside.local_date > day:
        moved_to = aside.local_date
        following = aside.local_date + dt.timedelta(days=1)
        said = str(CHECKIN_KEPT_FOR_ITS_DAY).format(
            done=format_date(day),
            date=format_date(aside.local_date),
            next_date=format_date(max(next_prompt or following, following)),
            time=checkin_time_of(person).strftime("%H:%M"),
        )
    elif checked_in is None:
        said = str(CHECKIN_LEFT_ON_ITS_DAY).format(date=format_date(aside.local_date))
        return Result([Out(f"{saved}\n{said}")])
    else:
        return None
    if aside.local_date < moved_to:
        # Carried forward (a move east): the day left behind was answered, so it is no missed
        # check-in (the scheduler's missed-days alert reads this).
        carried = {**aside.answers, CARRIED_FROM_KEY: aside.local_date.isoformat()}
        repo.update_loaded(session, aside, local_date=moved_to, updated_at=env.now, answers=carried)
    elif aside.local_date != moved_to:
        repo.update_loaded(session, aside, local_date=moved_to, updated_at=env.now)
    confirmed = f"{saved}\n{said}" if said else saved
    # The questionnaire flow opens it again once /settings is closed (not put aside in turn).
    return Result([Out(confirmed)], resume_checkin=moved_to, resume_day_said=bool(said))


def _checked_in_ahead(
    session: Session,
    person: Person,
    old_today: dt.date,
    next_prompt: dt.date | None,
    now: dt.datetime,
) -> str:
    """Say when the next check-in comes when a new time zone moved "today" back to a day that
    already has one (Tokyo's 2 March check-in, then Los Angeles, where it is 1 March): that
    day is not checked in twice, so the next check-in is the day after it. Empty otherwise.

    Records are kept under the date they were made for; none is moved or made twice."""
    today = local_date(person, now)
    if today >= old_today or next_prompt is None or not person.checkin_time:
        return ""
    day = old_today
    while day >= today:  # a day or two at most: zones are at most 26 hours apart
        if repo.get_morning_checkin(session, athlete_id=id_of(person), local_date=day):
            return str(CHECKED_IN_AHEAD).format(
                date=format_date(day),
                next_date=format_date(max(next_prompt, day + dt.timedelta(days=1))),
                time=person.checkin_time,
            )
        day -= dt.timedelta(days=1)
    return ""


def _checkin_set_aside(
    session: Session, person: Person, settings: QuestionnaireProgress, now: dt.datetime
) -> QuestionnaireProgress | None:
    """Return the morning check-in that opening /settings closed half answered (its answers
    kept: /checkin carries on with them), for the athlete's working day, which has no
    check-in yet; None when there is none."""
    today = working_day(session, person, now)
    morning = repo.latest_questionnaire_of_day(
        session, athlete_id=id_of(person), kind="morning", local_date=today
    )
    if (
        morning is not None
        and morning.status == "cancelled"
        and morning.updated_at >= settings.started_at
        and any(not str(key).startswith("_") for key in morning.answers)
        and repo.get_morning_checkin(session, athlete_id=id_of(person), local_date=today) is None
    ):
        return morning
    return None


def _today_left_without_prompt(
    session: Session, person: Person, next_prompt: dt.date | None, now: dt.datetime
) -> bool:
    """Whether the new time has already passed today, so today gets no prompt at all: none
    went out before the change and no check-in was made (the athlete would otherwise wait for
    a prompt that never comes). The programme's first day never has a prompt: nothing is said
    then (the athlete was told the first check-in comes tomorrow)."""
    today = local_date(person, now)
    if next_prompt is None or next_prompt <= today:
        return False
    local_now = now.astimezone(zone_of(person.timezone)).time()
    # The default time when none was chosen (it is the one the scheduler uses then).
    if checkin_time_of(person) > local_now:
        return False  # still ahead today: held back for another reason (the first day)
    if last_served_morning(session, id_of(person)) == today:
        return False
    done = repo.get_morning_checkin(session, athlete_id=id_of(person), local_date=today)
    return done is None


def _finish_language(
    session: Session, athlete_id: int, chosen: object, checkin_put_aside: bool = False
) -> Result:
    """Store the language chosen in /settings and confirm it in that language (everything
    after is written in it: each update reads the stored language)."""
    if not isinstance(chosen, str) or not is_supported(chosen):
        chosen = repo.require_person(session, person_id=athlete_id).language
    repo.set_language(session, person_id=athlete_id, language=chosen)
    with use_language(chosen):
        saved = str(texts.LANGUAGE_SAVED)
        if checkin_put_aside:
            saved += "\n" + str(CHECKIN_PUT_ASIDE)
        return Result([Out(saved)])


def finish_delete(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    if answers.get("confirm_1") is not True or answers.get("confirm_2") is not True:
        return Result([Out(texts.DELETE_KEPT)])
    athlete_id = id_of(person)
    queued = tell_clinicians(
        session,
        person,
        env,
        # By number only: after the deletion no name is kept anywhere but its audit entry.
        lambda: texts.CLINICIAN_ATHLETE_DELETED.format(id=athlete_id),
        kind="athlete_deleted",
        about_athlete=False,
    )
    repo.delete_athlete(session, athlete_id=athlete_id, actor_id=athlete_id, now=env.now)
    return Result([Out(texts.DELETED)], queued=queued, deleted=True)


def finish_unlink(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    """/unlink confirmed: the chosen clinician no longer sees the athlete's data (the link is
    removed, audited) and is told in their language; the athlete is told what it means when
    no clinician is left to alert."""
    pair = unlink.chosen(answers)
    if answers.get("confirm") is not True or pair is None:
        return Result([Out(texts.UNLINK_KEPT)])
    clinician_id, name = pair
    athlete_id = id_of(person)
    clinician = session.get(Person, clinician_id)
    queued = False
    if repo.unlink_athlete(session, athlete_id=athlete_id, clinician_id=clinician_id, now=env.now):
        repo.audit(
            session,
            actor_id=athlete_id,
            action="unlink",
            now=env.now,
            athlete_id=athlete_id,
            detail={"clinician_id": clinician_id},
        )
        # Queued once the link is gone (the unlink withdraws what waited for them about the
        # athlete), and about the athlete, so that their /delete removes it too.
        queued = tell_clinicians(
            session,
            person,
            env,
            PerClinician(
                lambda athlete: [texts.CLINICIAN_ATHLETE_UNLINKED.format(athlete=athlete)]
            ),
            kind=UNLINKED_KIND,
            recipients=[clinician] if clinician is not None else [],
        )
    outs = [Out(texts.UNLINKED.format(clinician=name))]
    if not repo.clinicians_of(session, athlete_id=athlete_id):
        outs.append(Out(texts.UNLINKED_NONE_LEFT))
    return Result(outs, queued=queued)


def delete_unfinished_signup(session: Session, person: Person, env: Env) -> Result:
    """/delete from someone who sent /start but never consented: remove what the unfinished
    onboarding holds (audited as a deletion) at once."""
    repo.delete_athlete(session, athlete_id=id_of(person), actor_id=id_of(person), now=env.now)
    return Result([Out(texts.SIGNUP_DELETED)], deleted=True)


def finish_baseline(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    """/baseline: change only the values typed, keep the others, and say what changed.

    Refused whole, nothing stored, when a value typed is too slow to be a pre-injury best or
    contradicts one kept (a 10 m split slower than the saved 30 m one). A value typed again as
    it was is no change. Once the programme has started (it has, for /baseline: onboarding
    stores its own baseline), each change is audited and every linked clinician is sent a
    card, since a lower top speed or slower splits make the speed criteria easier to meet."""
    given = metric_values(answers.get("baseline"))
    if not given:
        return Result([Out(str(texts.BASELINE_UNCHANGED))])
    athlete_id = id_of(person)
    before = repo.latest_baseline(session, athlete_id=athlete_id)
    old = before.model_dump(exclude_none=True) if before is not None else {}
    assumed = assumed_of(answers, "baseline")
    note = "\n".join(assumed) + "\n" if assumed else ""
    problems = baseline_problems(given, old)
    if problems:
        lines = [str(texts.BASELINE_REFUSED), *(f"• {p}" for p in problems)]
        return Result([Out(note + "\n".join([*lines, "", str(texts.BASELINE_TRY_AGAIN)]))])
    changed = {key: value for key, value in given.items() if old.get(key) != value}
    if not changed:
        return Result([Out(note + str(texts.BASELINE_SAME))])
    # Only what was typed changes; every other value of the baseline is kept (issue 15).
    metrics = Metrics.model_validate({**old, **changed})
    repo.set_baseline(session, athlete_id=athlete_id, metrics=metrics, now=env.now)
    queued = False
    programme = repo.get_active_programme(session, athlete_id=athlete_id)
    if programme is not None:
        queued = _oversee_baseline_change(
            session, person, old, changed, programme.current_stage, env
        )
    said = note + baseline_changes(old, changed)
    if queued:
        said += "\n\n" + str(texts.BASELINE_CLINICIAN_TOLD)
    return Result([Out(said)], queued=queued)


def _oversee_baseline_change(
    session: Session,
    person: Person,
    old: dict[str, Any],
    changed: dict[str, Any],
    stage: str,
    env: Env,
) -> bool:
    """Audit a change of the pre-injury bests during the programme (old and new values; the
    entry says who and when) and queue the change card for each linked clinician, in their
    language; return whether a card was queued."""
    athlete_id = id_of(person)
    repo.audit(
        session,
        actor_id=athlete_id,
        action="change_baseline",
        now=env.now,
        athlete_id=athlete_id,
        detail={
            "old": {key: old.get(key) for key in changed},
            "new": dict(changed),
            "stage": stage,
        },
    )
    return tell_clinicians(
        session,
        person,
        env,
        PerClinician(lambda athlete: [baseline_card(athlete, old, changed)]),
        kind=ATHLETE_NOTE_KIND,
    )


# Pre-injury bests the criteria compare with (reference §6.1; engine.evaluate): a lower top
# speed or slower splits make the speed criteria easier to meet. No criterion compares a
# strength, jump or hop value with the baseline (they read the session's own LSI or counts),
# so changing those warns of nothing.
_SPEED_HIGHER_BETTER = ("vmax_ms",)
_SPEED_LOWER_BETTER = ("split_10m_s", "split_20m_s", "split_30m_s", "split_40m_s")


def baseline_card(athlete: str, old: dict[str, Any], changed: dict[str, Any]) -> str:
    """Return the clinician's card about a change of the pre-injury bests, in the current
    language: who, each value old → new, and a warning when a change makes a criterion
    easier to meet (a lower Vmax, slower splits)."""
    lines = [str(texts.CLINICIAN_BASELINE_CHANGED).format(athlete=athlete)]
    for key in SPECS:  # the data dictionary's order
        if key in changed:
            item = f"metrics.{key}"
            was, now = format_value(item, old.get(key)), format_value(item, changed[key])
            lines.append(f"• {item_label(item, 'clinician')}: {was} → {now}")
    warning = _easier_warning(old, changed)
    if warning:
        lines.append(warning)
    return "\n".join(lines)


def _easier_warning(old: dict[str, Any], changed: dict[str, Any]) -> str:
    """Say when ``changed`` makes the speed criteria easier to meet than ``old`` did; empty
    when it does not (a value set for the first time lowers no bar that was set)."""
    slower_bar = any(
        k in changed and old.get(k) is not None and changed[k] < old[k]
        for k in _SPEED_HIGHER_BETTER
    ) or any(
        k in changed and old.get(k) is not None and changed[k] > old[k] for k in _SPEED_LOWER_BETTER
    )
    return str(texts.CLINICIAN_BASELINE_EASIER_SPEED) if slower_bar else ""


def baseline_changes(old: dict[str, Any], given: dict[str, Any]) -> str:
    """Return what a /baseline entry changed ("10 m split: 1.8 s (was 1.78 s)") and what it
    kept as it was."""
    changed = []
    for line_key, line in _metric_lines(given).items():
        was = old.get(line_key)
        if was is not None and was != given[line_key]:
            line += " " + str(texts.BASELINE_WAS).format(value=_metric_value(line_key, was))
        changed.append(line)
    kept = {k: v for k, v in old.items() if k not in given}
    out = [str(texts.BASELINE_CHANGED), *changed]
    if kept:
        out += ["", str(texts.BASELINE_KEPT), *_metric_lines(kept).values()]
    return "\n".join(out)


def metrics_on_file_of(session: Session, athlete_id: int, today: dt.date) -> MetricsOnFile:
    """Return which metrics the athlete has a pre-injury best for and which they reported in
    a session of their current programme (up to ``today``)."""
    baseline = repo.latest_baseline(session, athlete_id=athlete_id)
    best = (
        frozenset(baseline.model_dump(exclude_none=True)) if baseline is not None else frozenset()
    )
    programme = repo.get_active_programme(session, athlete_id=athlete_id)
    reported: set[str] = set()
    if programme is not None and programme.start_date <= today:
        days = repo.load_day_records(
            session, athlete_id=athlete_id, since=programme.start_date, until=today
        )
        for day in days:
            if day.session is not None:
                reported |= set(day.session.metrics.model_dump(exclude_none=True))
    return MetricsOnFile(baseline=best, reported=frozenset(reported))


@contextmanager
def pre_injury_bests_known(session: Session, person: Person, today: dt.date) -> Iterator[None]:
    """Build texts about the athlete's criteria (/status, the verdicts), while inside, knowing
    their pre-injury bests and the metrics they reported: a criterion held by a missing best
    says "needs your pre-injury best: send /baseline", not "not reported yet"."""
    with metrics_on_file(metrics_on_file_of(session, id_of(person), today)):
        yield


def _metric_lines(values: dict[str, Any]) -> dict[str, str]:
    lines = {}
    for key in SPECS:
        if values.get(key) is not None:
            lines[key] = describe_metrics({key: values[key]})
    return lines


def _metric_value(key: str, value: Any) -> str:
    return describe_metrics({key: value}).split(": ", 1)[-1]


def reschedule(session: Session, athlete_id: int, now: dt.datetime) -> dt.date | None:
    """Re-plan the athlete's prompts after a change of time zone, time or pause; return the
    local date of the next morning prompt (None when none is planned)."""
    return reschedule_athlete(session, athlete_id, now=now)


def finish_pause(
    session: Session,
    person: Person,
    progress: Any,
    answers: dict[str, Any],
    ctx: Any,
    env: Env,
) -> Result:
    """The reason of /pause was given: pause (no prompts, the engine holds) and tell the
    linked clinician why, through the outbox."""
    if person.paused:
        return Result([Out(texts.ALREADY_PAUSED)])
    reason = str(answers.get("reason") or "other")
    set_paused(session, person, True, env.now, why=reason)
    queued = tell_pause(session, person, env, paused=True, reason=reason)
    outs = [Out(str(texts.PAUSED))]
    if reason == "worse":
        outs.append(Out(str(texts.PAUSED_WORSE)))
    return Result(outs, queued=queued)


def tell_pause(
    session: Session, person: Person, env: Env, *, paused: bool, reason: str = ""
) -> bool:
    """Queue a short note about a pause or resume for each linked clinician."""
    from bot.services.questionnaires.problem import PAUSE_REASONS

    def compose(name: str) -> list[str]:
        if paused:
            why = str(PAUSE_REASONS.get(reason, texts.PAUSE_OTHER)).lower()
            return [str(texts.CLINICIAN_ATHLETE_PAUSED).format(athlete=name, reason=why)]
        return [str(texts.CLINICIAN_ATHLETE_RESUMED).format(athlete=name)]

    # Under the name as each clinician reads it ("Anna (#2)" when two of theirs share it).
    return tell_clinicians(session, person, env, PerClinician(compose), kind=ATHLETE_NOTE_KIND)


def set_paused(
    session: Session, person: Person, paused: bool, now: dt.datetime, why: str = ""
) -> None:
    """Pause or resume the athlete's programme (prompts replanned), recorded as their own
    action with the reason given."""
    athlete_id = id_of(person)
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
        # The working day: after a move west a resume dated before the pause left the
        # programme paused for the engine from then on.
        local_date=working_day(session, person, now),
        kind="pause" if paused else "resume",
        now=now,
        note=(f"paused by the athlete ({why})" if why else "paused by the athlete")
        if paused
        else "resumed by the athlete",
    )
    reschedule(session, athlete_id, now)
