"""/start: what Sprintback is and is not, consent, injury, sport, baseline, time zone, check-in
time, summary and confirm. ``/start <code>`` comes from a clinician's invitation link."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, select
from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.handlers.dispatch import ATHLETE_GROUP, Context, athlete_flow
from bot.handlers.invites import CLINICIAN_CODE_PREFIX
from bot.services import texts
from bot.services.athlete import questionnaire as svc
from bot.services.athlete.questionnaire import INVITE_KEY, Env, Out, Result
from bot.store import repo
from bot.store.models import Invite, Person

MAX_CODE = 64


def invite_clinician_name(session: Session, code: str, now: dt.datetime) -> str | None:
    """Return the inviting clinician's name if ``code`` is a valid, unused athlete invite."""
    if not code or len(code) > MAX_CODE:
        return None
    invite = session.exec(select(Invite).where(Invite.code == code)).first()
    if (
        invite is None
        or invite.kind != "athlete"
        or invite.used_at is not None
        or invite.expires_at <= now
        or invite.clinician_id is None
    ):
        return None
    clinician = repo.get_person(session, person_id=invite.clinician_id)
    if clinician is None:
        return None
    return clinician.display_name or "your clinician"


def _start(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    user = update.effective_user
    assert user is not None
    code = (context.args or [""])[0] if context.args else ""
    if person is not None and svc.is_onboarded(session, person):
        hint = f"\nTo link with a clinician, send /link {code}" if code else ""
        return Result([Out(texts.ALREADY_ONBOARDED + hint)])
    outs: list[Out] = [Out(texts.WELCOME)]
    extra: dict[str, Any] = {}
    if code:
        clinician = invite_clinician_name(session, code, env.now)
        if clinician is None:
            outs.append(Out(texts.INVITE_UNKNOWN))
        else:
            outs.append(Out(texts.WELCOME_WITH_CLINICIAN.format(clinician=clinician)))
            extra[INVITE_KEY] = code
    if person is None:
        name = " ".join(p for p in (user.first_name, user.last_name) if p)
        person = repo.create_person(
            session,
            role="athlete",
            telegram_user_id=user.id,
            now=env.now,
            display_name=name[:200],
            timezone=env.default_timezone,
        )
    progress, question = svc.begin(session, person, "onboarding", env, answers=extra)
    if extra and progress.answers.get(INVITE_KEY) != extra[INVITE_KEY]:
        progress.answers = {**progress.answers, **extra}
        session.add(progress)
    if question is not None:
        outs.append(question)
    return Result(outs)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /start (a clinician's own deep link, ``clin_...``, is left to the invites module)."""
    application.add_handler(
        CommandHandler(
            "start",
            athlete_flow(_start),
            filters=~filters.Regex(rf"^/start(@\w+)? {CLINICIAN_CODE_PREFIX}")
            & ~filters.UpdateType.EDITED,
        ),
        group=ATHLETE_GROUP,
    )
