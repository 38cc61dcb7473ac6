"""The post-session questionnaire: /done after a session, or the scheduler's prompt; and the
scheduler's pain follow-up about an hour after a report that skipped it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.clock import local_date
from bot.handlers.athlete_flow import athlete_flow, env_of_prompt, queue_prompt
from bot.handlers.context import Context
from bot.handlers.groups import ATHLETE_GROUP
from bot.scheduling.registry import PromptContext, register_prompt_sender
from bot.services import texts
from bot.services.athlete import questionnaire as svc
from bot.services.athlete.commands import running_stopped
from bot.services.athlete.followup import FOLLOWUP_KIND, followup_verdict
from bot.services.athlete.results import Env, Out, Result
from bot.store import repo
from bot.store.models import Person
from bot.store.standing import working_day
from bot.support.formats import format_long_date


def _done(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    if person is None or not svc.is_onboarded(session, person):
        return Result([Out(texts.NOT_ONBOARDED)])
    assert person.id is not None
    today = local_date(person, env.now)
    day = svc.report_day(session, person, env.now)
    if repo.get_session_report(session, athlete_id=person.id, local_date=day) is not None:
        if svc.pain_question_waits(session, person, day, env.now):
            # The pain question after it, put on hold by another command: asked again.
            _, question = svc.begin(session, person, FOLLOWUP_KIND, env, day=day)
            if question is not None:
                return Result([question])
        return Result([Out(texts.SESSION_ALREADY_REPORTED)])
    outs: list[Out] = []
    if running_stopped(session, person, env):
        # A session reported during a stop is kept, but running waits for the review.
        outs.append(Out(texts.DONE_WHILE_STOPPED))
    elif (
        day >= today
        and repo.get_morning_checkin(session, athlete_id=person.id, local_date=day) is None
        and not _checkin_under_way(session, person, day)
    ):
        # A check-in already on hold is said to be (finish it with /checkin), never "check in
        # tomorrow"; one half answered now is put on hold by ``begin``, which says so.
        held = svc.held_note(session, person, "morning", env.now)
        outs.append(Out(held if held is not None else texts.NO_SESSION_PLANNED))
    _, question = svc.begin(session, person, "session", env, day=day)
    if question is not None:
        if day < today:  # after midnight: say which day's session this report is for
            question = dataclasses.replace(
                question, text=f"🗓 {format_long_date(day)}\n\n{question.text}"
            )
        elif day > today:  # the day already started before a move west
            question = svc.day_ahead_note(question, day)
        outs.append(question)
    return Result(outs)


def _checkin_under_way(session: Session, person: Person, day: dt.date) -> bool:
    """Whether the athlete is half-way through the check-in of ``day``: /done puts it on hold
    and says so, so "check in tomorrow" would mislead."""
    progress = repo.get_open_questionnaire(
        session, athlete_id=person.id or 0, kind="morning", local_date=day
    )
    return progress is not None and any(not str(k).startswith("_") for k in progress.answers)


async def send_post_session_prompt(ctx: PromptContext) -> None:
    """The scheduler's post-session prompt: the questionnaire's first question."""
    env = env_of_prompt(ctx)
    athlete = ctx.athlete
    if not svc.is_onboarded(ctx.session, athlete):
        return
    assert athlete.id is not None
    # Never a day before the one the athlete already started (a move west).
    day = max(ctx.local_date, working_day(ctx.session, athlete, env.now))
    if repo.get_session_report(ctx.session, athlete_id=athlete.id, local_date=day):
        return
    _, question = svc.begin(ctx.session, athlete, "session", env, day=day)
    if question is not None:
        if repo.get_morning_checkin(ctx.session, athlete_id=athlete.id, local_date=day) is None:
            # No check-in, no training prescribed: whether they trained anyway, not how
            # "today's session" went. An answer still reports the session.
            question = _asked_if_trained(question)
        if day > ctx.local_date:
            question = svc.day_ahead_note(question, day)
    queue_prompt(ctx, question)  # after a stop recorded by closing another questionnaire


def _asked_if_trained(question: Out) -> Out:
    """The session report's first question on a day without a check-in: did they train
    anyway (the same buttons: how much of it)."""
    asked = str(texts.ASK_COMPLETION)
    said = question.text
    if asked not in said:
        return question  # not the first question (a report already under way)
    return dataclasses.replace(
        question, text=said.replace(asked, str(texts.ASK_COMPLETION_NO_CHECKIN), 1)
    )


async def send_followup_prompt(ctx: PromptContext) -> None:
    """The scheduler's pain follow-up: its one question, with the 0–10 buttons; cancelled
    when no longer wanted, put back while the athlete answers another questionnaire (see
    ``bot.services.athlete.followup``)."""
    athlete = ctx.athlete
    if not svc.is_onboarded(ctx.session, athlete):
        ctx.cancel()
        return
    verdict = followup_verdict(ctx.session, athlete, ctx.local_date, ctx.now)
    if verdict == "cancel":
        ctx.cancel()
        return
    if isinstance(verdict, dt.datetime):
        ctx.defer(verdict)
        return
    env = env_of_prompt(ctx)
    _, question = svc.begin(ctx.session, athlete, FOLLOWUP_KIND, env, day=ctx.local_date)
    if question is None:
        ctx.cancel()  # unless opening it said something (a stop): then the prompt is sent
    queue_prompt(ctx, question)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /done and make the post-session prompt send the first question (and the pain
    follow-up its one question)."""
    application.add_handler(CommandHandler("done", athlete_flow(_done)), group=ATHLETE_GROUP)
    register_prompt_sender(application, "post_session", send_post_session_prompt)
    register_prompt_sender(application, FOLLOWUP_KIND, send_followup_prompt)
