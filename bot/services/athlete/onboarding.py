"""Finishing onboarding: consent, the athlete's settings, injury and baseline, the link to the
inviting clinician, the programme at its first stage and the first prompts, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from bot.clock import local_date
from bot.scheduling.schedule import reschedule_athlete
from bot.services import texts
from bot.services.athlete.engine_bridge import start_programme_for
from bot.services.athlete.results import Env, Out, Result, has_clinician, id_of
from bot.services.questionnaires.dates import chosen_zone, injury_day
from bot.services.questionnaires.model import QuestionContext
from bot.services.questionnaires.onboarding import INVITE_KEY, ONBOARDING
from bot.services.timezones import city_label
from bot.store import repo
from bot.store.models import Invite, Person, QuestionnaireProgress
from bot.support.i18n import L_, text
from bot.wording import stage_label
from engine.models import Injury, Metrics

CONSENT_STORE_KIND = "store_health_data"
CONSENT_SHARE_KIND = "share_with_clinician"
CONSENT_VERSION = "1"
# The invitation onboarding started with lapsed before it ended (repo.InviteError reasons):
# with the inviting clinician's name, and for a clinician without one.
INVITE_LAPSED = {
    "expired": L_(
        "The invitation from {clinician} has expired, so you are not linked with them yet. "
        "Ask them for a new invitation code and send /link with it."
    ),
    "used": L_(
        "The invitation from {clinician} was already used, so you are not linked with them "
        "yet. Ask them for a new invitation code and send /link with it."
    ),
}
INVITE_LAPSED_NO_NAME = {
    "expired": L_(
        "Your clinician's invitation has expired, so you are not linked with them yet. Ask "
        "them for a new invitation code and send /link with it."
    ),
    "used": L_(
        "Your clinician's invitation was already used, so you are not linked with them yet. "
        "Ask them for a new invitation code and send /link with it."
    ),
}


def start_sent_twice(session: Session, person: Person | None, code: str, env: Env) -> bool:
    """Whether this /start repeats one whose welcome is already on its way: the athlete's
    onboarding is open with nothing answered yet (with the same invitation, or none named
    now), and this /start was sent before its first question reached them (a double tap on
    START, or two sent in the same second). The welcome and the question of the first one
    answer both: saying them again would show everything twice."""
    if person is None or env.message_id is None:
        return False
    progress = repo.get_open_questionnaire(session, athlete_id=id_of(person), kind="onboarding")
    if progress is None or progress.id is None or progress.layout != ONBOARDING.layout:
        return False
    if any(not str(key).startswith("_") for key in progress.answers):
        return False  # an answer given: this /start came after the welcome was read
    if code and code != progress.answers.get(INVITE_KEY):
        return False  # another link: its clinician is named (and sharing asked about)
    if progress.shown_step == progress.step and progress.message_id is not None:
        return env.message_id < progress.message_id
    # Not shown yet: the welcome and the first question wait in the outbox, ahead of this.
    delivery = repo.question_delivery(session, progress_id=progress.id, step=progress.step)
    return delivery in ("pending", "sending")


def pressed_after_onboarding(progress: QuestionnaireProgress) -> Result | None:
    """A button of the athlete's finished onboarding pressed (a "◀ Back" or "Skip" left on
    the baseline question after the values were typed): say in a pop-up that the set-up is
    done and where to go from here, not a toast easily missed. None for any other press."""
    if progress.kind != "onboarding" or progress.status != "done":
        return None
    return Result(notice=text(texts.ALREADY_ONBOARDED), alert=True)


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
    _record_consent(session, athlete_id, CONSENT_STORE_KIND, env.now)
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
    invite = _redeem_invite(session, person, progress.answers.get(INVITE_KEY), env.now)
    if invite.linked and answers.get("consent_share") is True:
        # Recorded with the link it consents to, as /link does: no link, no sharing.
        _record_consent(session, athlete_id, CONSENT_SHARE_KIND, env.now)
    extra = [Out(line) for line in invite.lines()]
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
    # A lapsed invitation was just explained, with what to do: not said a second time.
    linked = has_clinician(session, person) or invite.failure is not None
    gate = texts.GATE_WAITING if linked else texts.GATE_NO_CLINICIAN
    done = texts.ONBOARDING_DONE.format(
        stage_title=stage_label(protocol, first.id),
        time=answers["checkin_time"],
        zone=city_label(zone),
        gate=gate if first.signoff != "none" else "",
    )
    return Result([*extra, Out(done)])


def _record_consent(session: Session, athlete_id: int, kind: str, now: dt.datetime) -> None:
    repo.record_consent(
        session,
        person_id=athlete_id,
        kind=kind,
        text_version=CONSENT_VERSION,
        granted=True,
        now=now,
    )


@dataclass(frozen=True)
class _Invitation:
    """What became of the invitation onboarding was started with: linked (with the
    clinician's name, None for one without), or why it could not be used (``inviter``: whose
    it was, when the code is known, and their name if they have one)."""

    linked: bool = False
    clinician: str | None = None
    failure: str | None = None
    known_inviter: bool = False
    inviter: str | None = None

    def lines(self) -> list[str]:
        """Return what the athlete is told about it: linked, or why not and what to do."""
        if self.linked:
            if self.clinician is None:
                return [str(texts.LINKED_TO_YOUR_CLINICIAN)]
            return [str(texts.LINKED_TO_CLINICIAN).format(clinician=self.clinician)]
        if self.failure is None:
            return []
        if not self.known_inviter or self.failure not in INVITE_LAPSED:
            return [str(texts.INVITE_UNKNOWN)]
        if self.inviter is None:
            return [str(INVITE_LAPSED_NO_NAME[self.failure])]
        return [str(INVITE_LAPSED[self.failure]).format(clinician=self.inviter)]


def _redeem_invite(session: Session, person: Person, code: Any, now: dt.datetime) -> _Invitation:
    """Link the athlete to the clinician whose invite they came with; say who, or why not
    (expired or used up while they were onboarding: refused and audited as /link does)."""
    if not isinstance(code, str) or not code:
        return _Invitation()
    try:
        invite = repo.redeem_invite(session, code=code, person_id=id_of(person), now=now)
    except repo.InviteError as error:
        repo.audit(
            session,
            actor_id=id_of(person),
            action="invite_refused",
            now=now,
            detail={"reason": error.reason, "kind": "athlete", "during": "onboarding"},
        )
        known, inviter = _inviter(session, code)
        return _Invitation(failure=error.reason, known_inviter=known, inviter=inviter)
    if invite.clinician_id is None:
        return _Invitation()
    repo.link_athlete(session, athlete_id=id_of(person), clinician_id=invite.clinician_id, now=now)
    return _Invitation(linked=True, clinician=_name_of(session, invite.clinician_id))


def _inviter(session: Session, code: str) -> tuple[bool, str | None]:
    """Return whether invite ``code`` was made by a clinician the store knows, whatever its
    state, and that clinician's name (None for one without)."""
    invite = session.exec(select(Invite).where(Invite.code == code)).first()
    if invite is None or invite.clinician_id is None:
        return False, None
    return True, _name_of(session, invite.clinician_id)


def _name_of(session: Session, clinician_id: int) -> str | None:
    """Return the clinician's display name, or None when they have none (each sentence then
    says "your clinician" in its own grammar)."""
    clinician = repo.get_person(session, person_id=clinician_id)
    name = clinician.display_name if clinician else None
    return name.strip() or None if name else None


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
