"""The post-session questionnaire: /done after a session, or the scheduler's prompt."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.clock import local_date
from bot.handlers.athlete_flow import athlete_flow, env_of_prompt
from bot.handlers.context import Context
from bot.handlers.groups import ATHLETE_GROUP
from bot.scheduling.registry import PromptContext, register_prompt_sender
from bot.services import texts
from bot.services.athlete import questionnaire as svc
from bot.services.athlete.results import Env, Out, Result
from bot.store import repo
from bot.store.models import Person


def _done(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    if person is None or not svc.is_onboarded(session, person):
        return Result([Out(texts.NOT_ONBOARDED)])
    today = local_date(person, env.now)
    assert person.id is not None
    if repo.get_session_report(session, athlete_id=person.id, local_date=today) is not None:
        return Result([Out(texts.SESSION_ALREADY_REPORTED)])
    outs: list[Out] = []
    if repo.get_morning_checkin(session, athlete_id=person.id, local_date=today) is None:
        outs.append(Out(texts.NO_SESSION_PLANNED))
    _, question = svc.begin(session, person, "session", env)
    if question is not None:
        outs.append(question)
    return Result(outs)


async def send_post_session_prompt(ctx: PromptContext) -> None:
    """The scheduler's post-session prompt: the questionnaire's first question."""
    env = env_of_prompt(ctx)
    athlete = ctx.athlete
    if not svc.is_onboarded(ctx.session, athlete):
        return
    assert athlete.id is not None
    if repo.get_session_report(ctx.session, athlete_id=athlete.id, local_date=ctx.local_date):
        return
    _, question = svc.begin(ctx.session, athlete, "session", env, day=ctx.local_date)
    if question is None:
        return
    markup = question.keyboard.to_dict() if question.keyboard is not None else None
    ctx.enqueue(
        question.text, reply_markup=markup, progress_id=question.progress_id, step=question.step
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /done and make the post-session prompt send the first question."""
    application.add_handler(CommandHandler("done", athlete_flow(_done)), group=ATHLETE_GROUP)
    register_prompt_sender(application, "post_session", send_post_session_prompt)
