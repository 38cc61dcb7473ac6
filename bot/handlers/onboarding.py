"""/start: what Sprintback is and is not, consent, injury, sport, baseline, time zone, check-in
time, summary and confirm. ``/start <code>`` comes from a clinician's invitation link.

``/link <code>`` sent before the set-up is finished joins that set-up as the link would: the
storage consent names the clinician and sharing is asked there, never before the athlete
agreed to their data being stored. Anyone else's /link is the invites module's."""

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
from bot.services.athlete.results import Env, Out, Result
from bot.services.invites import CLINICIAN_CODE_PREFIX, athlete_invite
from bot.store import repo
from bot.store.models import Person
from bot.store.repo.people import has_signed_up
from bot.support.i18n import L_

# /link CODE in the middle of the set-up: the invitation joins it (the question follows).
LINK_JOINS_SETUP = L_(
    "You have not finished setting up yet, so I added {name}'s invitation to it: I will ask "
    "before sharing anything with them."
)
# The same for a clinician without a display name (the services give None for their name):
# "your clinician" is a phrase, not a name ("de o seu profissional", "mit dein Behandler"
# once put where a name goes).
LINK_JOINS_SETUP_NO_NAME = L_(
    "You have not finished setting up yet, so I added your clinician's invitation to it: I "
    "will ask before sharing anything with them."
)


def _start(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    user = update.effective_user
    assert user is not None
    code = (context.args or [""])[0] if context.args else ""
    if start_sent_twice(session, person, code, env):
        return Result()  # the first /start's welcome and question answer this one too
    return commands.start(session, person, user.id, code, env)


def _link_during_setup(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    """/link CODE from an athlete still in their set-up, with a usable invitation: fold it into
    the set-up (as ``/start CODE`` would) and ask the open question again, which then names
    the clinician. None (the invites module answers) for anyone else or any other code."""
    user = update.effective_user
    code = (context.args or [""])[0] if context.args else ""
    if person is None or user is None or not code:
        return None
    if has_signed_up(session, person_id=person.id or 0):
        return None
    if repo.get_open_questionnaire(session, athlete_id=person.id or 0, kind="onboarding") is None:
        return None
    invite = athlete_invite(session, code, env.now)
    if invite is None:
        return None  # unknown, used or expired: said by the invites module, as for anyone
    started = commands.start(session, person, user.id, code, env)
    # The welcome is not said again: only what changed, then the question (naming them now).
    questions = [out for out in started.outs if out.progress_id is not None]
    if invite.clinician_name is None:
        joined = str(LINK_JOINS_SETUP_NO_NAME)
    else:
        joined = str(LINK_JOINS_SETUP).format(name=invite.clinician_name)
    return Result([Out(joined), *questions])


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /start (a clinician's own deep link, ``clin_...``, is left to the invites module)
    and /link during the set-up."""
    application.add_handler(
        CommandHandler(
            "start",
            athlete_flow(then_open_question(_start)),
            filters=~filters.Regex(rf"^/start(@\w+)? {CLINICIAN_CODE_PREFIX}")
            & ~filters.UpdateType.EDITED,
        ),
        group=ATHLETE_GROUP,
    )
    application.add_handler(
        CommandHandler(
            "link", athlete_flow(_link_during_setup), filters=~filters.UpdateType.EDITED
        ),
        group=ATHLETE_GROUP,
    )
