"""Finishing onboarding: consent, the athlete's settings, injury and baseline, the link to the
inviting clinician, the programme at its first stage and the first prompts, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlmodel import Session

from bot.clock import local_date
from bot.scheduling.schedule import reschedule_athlete
from bot.services import texts
from bot.services.athlete.engine_bridge import start_programme_for
from bot.services.athlete.results import Env, Out, Result, has_clinician, id_of
from bot.services.questionnaires.dates import chosen_zone, injury_day
from bot.services.questionnaires.model import QuestionContext
from bot.services.questionnaires.onboarding import INVITE_KEY
from bot.services.timezones import city_label
from bot.store import repo
from bot.store.models import Person, QuestionnaireProgress
from bot.support.i18n import text
from bot.wording import stage_label
from engine.models import Injury, Metrics

CONSENT_STORE_KIND = "store_health_data"
CONSENT_SHARE_KIND = "share_with_clinician"
CONSENT_VERSION = "1"
# Questionnaires that belong to one calendar day: left open past it, they expire.


def finish_onboarding(
    session: Session,
    person: Person,
    progress: QuestionnaireProgress,
    answers: dict[str, Any],
    ctx: QuestionContext,
    env: Env,
) -> Result:
    athlete_id = id_of(person)
    if answers.get("consent_store") is False or answers.get("consent_share") is False:
        code = progress.answers.get(INVITE_KEY)
        repo.delete_athlete(session, athlete_id=athlete_id, actor_id=athlete_id, now=env.now)
        # The invitation was not used: it stays valid, so consent can be given later with it.
        text = str(texts.CONSENT_DECLINED)
        if isinstance(code, str) and code:
            text = str(texts.CONSENT_DECLINED_INVITED).format(code=code)
        return Result([Out(text)], deleted=True)
    kinds = [CONSENT_STORE_KIND]
    if answers.get("consent_share") is True:
        kinds.append(CONSENT_SHARE_KIND)
    for kind in kinds:
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
        # Stored now that they consented (never before): the name their clinician sees.
        display_name=env.user_name or person.display_name,
    )
    # "Today" during onboarding is the athlete's day in the zone they chose after answering.
    injury_date = injury_day(answers, zone)
    if injury_date is None:
        raise ValueError(f"unreadable injury date answer: {answers.get('injury_date')!r}")
    injury = Injury(
        injury=answers["injury"],
        muscle=answers.get("muscle"),
        side=answers["side"],
        grade=answers.get("grade"),
        injury_date=injury_date,
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
    today = local_date(person, env.now)
    programme, protocol = start_programme_for(
        session, athlete_id, injury, injury_row.id, today, env.now
    )
    plan_first_prompts(session, athlete_id, zone, today, env.now)
    first = protocol.stage(programme.current_stage)
    gate = texts.GATE_WAITING if has_clinician(session, person) else texts.GATE_NO_CLINICIAN
    done = texts.ONBOARDING_DONE.format(
        stage_title=stage_label(protocol, first.id),
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
        invite = repo.redeem_invite(session, code=code, person_id=id_of(person), now=now)
    except repo.InviteError:
        return None
    if invite.clinician_id is None:
        return None
    repo.link_athlete(session, athlete_id=id_of(person), clinician_id=invite.clinician_id, now=now)
    clinician = repo.get_person(session, person_id=invite.clinician_id)
    return (
        clinician.display_name
        if clinician and clinician.display_name
        else text(texts.YOUR_CLINICIAN)
    )


def plan_first_prompts(
    session: Session, athlete_id: int, zone: str, today: dt.date, now: dt.datetime
) -> dt.date | None:
    """Plan a new athlete's prompts at once, from the morning after the onboarding day.

    The onboarding day is the programme's first day, decided as "programme started" rather
    than a missed check-in, so its first prompt is tomorrow's (/checkin works today too).
    Returns the local date of the first planned morning prompt.
    """
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return reschedule_athlete(session, athlete_id, now=max(now, tomorrow.astimezone(dt.UTC)))
