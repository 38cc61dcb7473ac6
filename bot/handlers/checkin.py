"""The morning check-in: sent by the scheduler, or /checkin any time that day.

The day a check-in counts for is the athlete's working day (``working_day``): their local
date, or, after a move west to an earlier date, the later day they already started, which
the first question then names.
"""

from __future__ import annotations

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
from bot.services.athlete.results import Env, Out, Result
from bot.store import repo
from bot.store.models import Person
from bot.store.standing import working_day
from bot.support.formats import format_date


def _checkin(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    if person is None or not svc.is_onboarded(session, person):
        return Result([Out(texts.NOT_ONBOARDED)])
    assert person.id is not None
    today = local_date(person, env.now)
    day = working_day(session, person, env.now)
    if repo.get_morning_checkin(session, athlete_id=person.id, local_date=day) is not None:
        ahead = _carried_ahead(session, person, day)
        if ahead is not None:  # a move west carried a half check-in to the next day
            day = ahead
        elif day > today:
            said = texts.CHECKIN_DONE_AHEAD.format(
                date=format_date(day), next_date=format_date(day + dt.timedelta(days=1))
            )
            return Result([Out(said)])
        else:
            return Result([Out(texts.CHECKIN_ALREADY_DONE)])
    _, question = svc.begin(session, person, "morning", env, day=day)
    if question is not None and day > today:
        question = svc.day_ahead_note(question, day)
    outs = [question] if question is not None else []
    if person.paused:
        outs.insert(0, Out(texts.PAUSED_NOTE))
    return Result(outs)


def _carried_ahead(session: Session, person: Person, day: dt.date) -> dt.date | None:
    """The day after ``day`` when it holds a check-in begun and not finished (open, or put
    aside with answers, and not said to be closed since): a time zone set mid check-in, moving
    west into a day already checked in, left it there (``account.finish_settings``). /checkin
    finishes it rather than saying the day is done."""
    assert person.id is not None
    ahead = day + dt.timedelta(days=1)
    if repo.get_morning_checkin(session, athlete_id=person.id, local_date=ahead) is not None:
        return None
    begun = repo.latest_questionnaire_of_day(
        session, athlete_id=person.id, kind="morning", local_date=ahead
    )
    if begun is None or begun.status not in ("open", "cancelled") or svc.said_closed(begun):
        return None  # one said closed ("did not count") stays closed
    answered = any(not str(key).startswith("_") for key in begun.answers)
    return ahead if begun.status == "open" or answered else None


async def send_morning_prompt(ctx: PromptContext) -> None:
    """The scheduler's morning prompt: the check-in's first question, with its buttons."""
    env = env_of_prompt(ctx)
    athlete = ctx.athlete
    if not svc.is_onboarded(ctx.session, athlete):
        return
    assert athlete.id is not None
    # Never a day before the one the athlete already started (a move west).
    day = max(ctx.local_date, working_day(ctx.session, athlete, env.now))
    if repo.get_morning_checkin(ctx.session, athlete_id=athlete.id, local_date=day):
        return
    _, question = svc.begin(ctx.session, athlete, "morning", env, day=day)
    if question is not None and day > ctx.local_date:
        question = svc.day_ahead_note(question, day)
    queue_prompt(ctx, question)  # after a stop recorded by closing another questionnaire


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /checkin and make the morning prompt send the first question."""
    application.add_handler(CommandHandler("checkin", athlete_flow(_checkin)), group=ATHLETE_GROUP)
    register_prompt_sender(application, "morning", send_morning_prompt)
