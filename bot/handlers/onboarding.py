"""/start: what Sprintback is and is not, consent, injury, sport, baseline, time zone, check-in
time, summary and confirm. ``/start <code>`` comes from a clinician's invitation link."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.handlers.athlete_flow import athlete_flow, then_open_question
from bot.handlers.context import Context
from bot.handlers.groups import ATHLETE_GROUP
from bot.services.athlete import commands
from bot.services.athlete.onboarding import start_sent_twice
from bot.services.athlete.results import Env, Result
from bot.services.invites import CLINICIAN_CODE_PREFIX
from bot.store.models import Person


def _start(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    user = update.effective_user
    assert user is not None
    code = (context.args or [""])[0] if context.args else ""
    if start_sent_twice(session, person, code, env):
        return Result()  # the first /start's welcome and question answer this one too
    return commands.start(session, person, user.id, code, env)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /start (a clinician's own deep link, ``clin_...``, is left to the invites module)."""
    application.add_handler(
        CommandHandler(
            "start",
            athlete_flow(then_open_question(_start)),
            filters=~filters.Regex(rf"^/start(@\w+)? {CLINICIAN_CODE_PREFIX}")
            & ~filters.UpdateType.EDITED,
        ),
        group=ATHLETE_GROUP,
    )
