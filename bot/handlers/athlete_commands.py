"""The athlete's commands: /plan /status /history /baseline /settings /timezone /language
/pause /resume /unlink /export /delete /help /cancel, the command menu (setMyCommands) for
athletes' private chats, and /help (the menu, with the commands it leaves out)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlmodel import Session
from telegram import BotCommandScopeAllPrivateChats, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handlers.athlete_flow import athlete_flow, then_open_question
from bot.handlers.context import Context, add_startup_hook, get_services
from bot.handlers.groups import ATHLETE_GROUP
from bot.handlers.languages import set_menu_in_every_language
from bot.services import texts
from bot.services.athlete import commands as athlete
from bot.services.athlete import questionnaire as svc
from bot.services.athlete.account import delete_unfinished_signup
from bot.services.athlete.daily import why
from bot.services.athlete.keyboards import WHY_PATTERN, unpack_why
from bot.services.athlete.results import Env, Out, Result
from bot.store import repo
from bot.store.models import Person
from bot.support.i18n import N_, gettext, text

# The athlete menu; the descriptions are translated when the menu is set (languages).
# /help is generated from the same table (issue 15), so the two never disagree.
ATHLETE_COMMANDS = (
    ("checkin", N_("Morning check-in")),
    ("done", N_("Report the session you just finished")),
    ("plan", N_("Today's session")),
    ("status", N_("Your stage and what is left")),
    ("problem", N_("Something feels wrong: warning signs, tell your clinician")),
    ("progress", N_("Your progress chart")),
    ("history", N_("The last 14 days")),
    ("baseline", N_("Set your pre-injury best values")),
    ("settings", N_("Time zone, check-in time, language")),
    ("pause", N_("Pause prompts (illness, travel)")),
    ("resume", N_("Resume after a pause")),
    ("unlink", N_("Stop sharing your data with a clinician")),
    ("export", N_("Download your data (CSV and JSON)")),
    ("delete", N_("Delete all your data")),
    ("cancel", N_("Leave the current questions")),
    ("help", N_("What I can do")),
)
# What /help names besides the menu (README, "Commands by role"): commands an athlete can send
# that the menu leaves out to stay short, each listed after the menu entry it goes with.
HELP_EXTRAS: dict[str, tuple[tuple[str, str], ...]] = {
    "progress": (("report", N_("Your progress as a PDF report")),),
    "settings": (
        ("timezone", N_("Change your time zone")),
        ("language", N_("Change the language")),
    ),
    "resume": (("link", N_("Share your data with a clinician, with the code they gave you")),),
}

Simple = Callable[[Session, Person, Env], Result]


def _onboarded(action: Simple) -> Callable[..., Result | None]:
    """Run ``action`` for an athlete who finished onboarding; others are asked to /start."""

    def flow(
        session: Session, person: Person | None, update: Update, context: Context, env: Env
    ) -> Result | None:
        if person is None or not svc.is_onboarded(session, person):
            # In the middle of the set-up, its open question follows (its buttons may have
            # scrolled out of sight); otherwise /start begins it.
            question = svc.current_question(session, person, env) if person else None
            if question is None:
                return Result([Out(texts.NOT_ONBOARDED)])
            return Result([Out(texts.FINISH_SETUP_FIRST), question])
        return action(session, person, env)

    flow.__name__ = getattr(action, "__name__", "flow")
    return flow


def _questionnaire(kind: str, intro: str = "") -> Simple:
    def action(session: Session, person: Person, env: Env) -> Result:
        _, question = svc.begin(session, person, kind, env)
        outs = [Out(intro)] if intro else []
        return Result([*outs, *([question] if question else [])])

    action.__name__ = kind
    return action


def _baseline(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    """/baseline, or "/baseline vmax 8.8": the values typed after the command answer its
    question, as if typed at its prompt (then nothing is asked)."""
    if person is None or not svc.is_onboarded(session, person):
        return Result([Out(texts.NOT_ONBOARDED)])
    _, question = svc.begin(session, person, "baseline", env)
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=1) if message is not None else []
    typed = parts[1].strip() if len(parts) == 2 else ""
    if not typed or question is None:
        return Result([question] if question is not None else [])
    # Sent with the command, so before the question: it answers it all the same.
    return svc.typed(session, person, typed, replace(env, message_id=None))


def _change_language(session: Session, person: Person, env: Env) -> Result:
    """/language: the language question of /settings, asked at once, as /timezone asks the
    time zone (an open /settings about something else is closed first, its answers kept)."""
    open_settings = repo.get_open_questionnaire(session, athlete_id=person.id or 0, kind="settings")
    if open_settings is not None and open_settings.answers.get("setting") != "language":
        assert open_settings.id is not None
        repo.finish_questionnaire(
            session, progress_id=open_settings.id, now=env.now, status="cancelled"
        )
    _, question = svc.begin(session, person, "settings", env, answers={"setting": "language"})
    return Result([question] if question is not None else [])


def _timezone(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    user = update.effective_user
    admins = get_services(context).settings.admin_telegram_ids
    if person is None and user is not None and user.id in admins:
        return None  # an admin not stored yet: the staff /timezone serves them
    return _onboarded(athlete.change_timezone)(session, person, update, context, env)


def _delete(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    if person is None:
        return Result([Out(texts.NOTHING_STORED)])
    if repo.has_signed_up(session, person_id=person.id or 0):
        return _questionnaire("delete")(session, person, env)
    return delete_unfinished_signup(session, person, env)


def help_text() -> str:
    """Return /help: every command of the menu with its description, in the reader's
    language, from :data:`ATHLETE_COMMANDS`, and after some of them the commands of
    :data:`HELP_EXTRAS`."""
    lines = [str(texts.HELP_TITLE)]
    for name, description in ATHLETE_COMMANDS:
        lines.append(f"/{name} – {gettext(description)}")
        lines += [f"/{extra} – {gettext(words)}" for extra, words in HELP_EXTRAS.get(name, ())]
    return "\n".join([*lines, "", str(texts.HELP_FOOTER)])


def _help(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    return Result([Out(help_text())])


def _cancel(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    if person is None:
        return Result([Out(texts.CANCEL_NOTHING)])
    return athlete.cancel(session, person, env)


def _why(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    """The "Why?" button under a verdict: that day's full list of reasons, as a new message."""
    query = update.callback_query
    pressed = unpack_why(query.data if query is not None else None)
    if person is None or pressed is None or not svc.is_onboarded(session, person):
        return Result([], notice=text(texts.NOT_ONBOARDED))
    kind, day = pressed
    return why(session, person, kind, day, env)


async def set_athlete_menu(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Show the athlete commands in every private chat, in each language Sprintback speaks
    (Telegram picks the one of the person's app); clinicians and admins get a per-chat menu of
    their own over it (set by the invites module)."""
    await set_menu_in_every_language(
        application.bot, ATHLETE_COMMANDS, BotCommandScopeAllPrivateChats()
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the athlete commands (before the catch-all routes) and the menu start-up hook."""
    commands: dict[str, Callable[..., Result | None]] = {
        "plan": then_open_question(_onboarded(athlete.plan)),
        "status": then_open_question(_onboarded(athlete.status)),
        "history": then_open_question(_onboarded(athlete.history)),
        "baseline": _baseline,
        "settings": _onboarded(_questionnaire("settings")),
        "timezone": _timezone,
        "language": _onboarded(_change_language),
        "pause": _onboarded(athlete.pause),
        "problem": _onboarded(_questionnaire("problem")),
        "resume": _onboarded(athlete.resume),
        "unlink": _onboarded(athlete.unlink),
        "export": _onboarded(athlete.export),
        "delete": _delete,
        "help": then_open_question(_help),
        "cancel": _cancel,
    }
    for name, flow in commands.items():
        application.add_handler(CommandHandler(name, athlete_flow(flow)), group=ATHLETE_GROUP)
    application.add_handler(
        CallbackQueryHandler(athlete_flow(_why), pattern=WHY_PATTERN), group=ATHLETE_GROUP
    )
    add_startup_hook(application, set_athlete_menu)
