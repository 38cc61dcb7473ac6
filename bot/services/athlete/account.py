"""Finishing /settings (time zone, check-in time), /delete and /baseline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from bot.scheduling.schedule import reschedule_athlete
from bot.services import texts
from bot.services.athlete.results import Env, Out, Result, id_of
from bot.services.questionnaires.model import QuestionContext
from bot.services.questionnaires.onboarding import chosen_zone
from bot.services.questionnaires.summary import describe_metrics
from bot.services.timezones import city_label
from bot.store import repo
from bot.store.models import Person, QuestionnaireProgress
from bot.support.i18n import is_supported, language_name, use_language
from engine.models import Metrics


def finish_settings(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    athlete_id = id_of(person)
    if answers.get("setting") == "language":
        return _finish_language(session, athlete_id, answers.get("language"))
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
                    zone=city_label(person.timezone),
                    time=person.checkin_time or "–",
                    language=language_name(person.language),
                )
            )
        ]
    )


def _finish_language(session: Session, athlete_id: int, chosen: object) -> Result:
    """Store the language chosen in /settings and confirm it in that language (everything
    after is written in it: each update reads the stored language)."""
    if not isinstance(chosen, str) or not is_supported(chosen):
        chosen = repo.require_person(session, person_id=athlete_id).language
    repo.set_language(session, person_id=athlete_id, language=chosen)
    with use_language(chosen):
        return Result([Out(str(texts.LANGUAGE_SAVED))])


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
    queued = False
    for clinician in repo.clinicians_of(session, athlete_id=athlete_id):
        if clinician.chat_id is None and not clinician.telegram_user_id:
            continue
        repo.enqueue_message(
            session,
            chat_id=clinician.chat_id or clinician.telegram_user_id,
            # By number only: after the deletion no name is kept anywhere but its audit entry.
            text=texts.CLINICIAN_ATHLETE_DELETED.format(id=athlete_id),
            kind="athlete_deleted",
            now=env.now,
            person_id=clinician.id,
        )
        queued = True
    repo.delete_athlete(session, athlete_id=athlete_id, actor_id=athlete_id, now=env.now)
    return Result([Out(texts.DELETED)], queued=queued, deleted=True)


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
    given = answers.get("baseline")
    if not given:
        return Result([Out(texts.DELETE_KEPT.replace("deleted", "changed"))])
    metrics = Metrics.model_validate(given)
    repo.set_baseline(session, athlete_id=id_of(person), metrics=metrics, now=env.now)
    return Result([Out(texts.BASELINE_SAVED.format(echo="\n" + describe_metrics(given)))])


def reschedule(session: Session, athlete_id: int, now: dt.datetime) -> None:
    """Re-plan the athlete's prompts after a change of time zone, time or pause."""
    reschedule_athlete(session, athlete_id, now=now)
