"""Invites and links: /invite_clinician (admin), clinician deep links, /invite and /link.

- An admin sends /invite_clinician and gets a one-time deep link that expires; whoever opens it
  becomes a clinician.
- A clinician sends /invite and gets a one-time deep link for a new athlete (the onboarding flow
  handles ``/start <code>`` and asks the athlete's consent) and the same code for an athlete
  who already uses the bot: ``/link CODE``.
- /link CODE shows whom the athlete would share their data with and links only after the
  athlete presses "Share"; "Don't share" leaves the code unused.
- /timezone [zone] (and /settings) for clinicians and admins: their time zone, which alert
  times and the Monday digest follow; new staff start in DEFAULT_TIMEZONE.
Every use, refusal and failure is audited. Staff command menus are set at start-up and again
when the person writes /start or /help (a chat never opened cannot get one before).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from sqlmodel import select
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.app import add_startup_hook
from bot.handlers.clinician import (
    HANDLER_GROUP,
    caller_context,
    ensure_admin_person,
    refuse,
    signer_of,
)
from bot.handlers.context import SERVICES_KEY, get_services
from bot.services.access import may
from bot.services.callback_auth import CallbackRejected
from bot.services.timezones import city_label, resolve_typed_zone
from bot.store.db import session_scope
from bot.store.models import Invite, Person
from bot.store.repo.audit import audit
from bot.store.repo.links import InviteError, create_invite, redeem_invite
from bot.store.repo.people import (
    create_person,
    get_person_by_telegram_id,
    list_people,
    record_consent,
    update_person,
)

_LOGGER = logging.getLogger(__name__)
CLINICIAN_CODE_PREFIX = "clin_"
INVITE_TTL = dt.timedelta(days=7)
CONSENT_KIND = "share_with_clinician"
CONSENT_VERSION = "1"
ACT_LINK_YES = "lnk_yes"
ACT_LINK_NO = "lnk_no"

FAILURE_TEXT = {
    "unknown": "This invite code is not valid. Check it, or ask for a new one.",
    "used": "This invite has already been used. Ask for a new one.",
    "expired": "This invite has expired. Ask for a new one.",
    "wrong_role": "This code is not meant for your account.",
    "self_link": "You cannot use your own invite.",
}

Context = ContextTypes.DEFAULT_TYPE

CLINICIAN_COMMANDS = (
    ("athletes", "Your athletes, most urgent first"),
    ("athlete", "One athlete: status, 14 days, alerts, actions"),
    ("invite", "Invite an athlete"),
    ("note", "Add a note: /note <number> <text>"),
    ("hold", "Hold: /hold <number> [reason]"),
    ("stepback", "Step back: /stepback <number> <reason>"),
    ("stage", "Set the stage: /stage <number> <STAGE> <reason>"),
    ("clear", "Clear a sign-off gate: /clear <number> [note]"),
    ("decline", "Decline a sign-off: /decline <number> <reason>"),
    ("pause", "Pause a programme: /pause <number> <reason>"),
    ("resume", "Resume a programme: /resume <number> <reason>"),
    ("progress", "Progress chart: /progress <number or name>"),
    ("report", "PDF report: /report <number or name>"),
    ("timezone", "Your time zone: /timezone Europe/Paris"),
    ("cancel", "Cancel a message or note being written"),
)
ADMIN_COMMANDS = (
    ("invite_clinician", "Invite a clinician (one-time link)"),
    ("protocols", "Protocols, versions, athletes on them"),
    ("protocol", "show | set | dryrun | history | rollback"),
    ("athletes", "Every athlete"),
    ("athlete", "One athlete's status"),
    ("progress", "Progress chart: /progress <number or name>"),
    ("report", "PDF report: /report <number or name>"),
    ("timezone", "Your time zone: /timezone Europe/Paris"),
)
TIMEZONE_USAGE = (
    "Send /timezone followed by an IANA time zone or a city, e.g. /timezone Europe/Paris, "
    "/timezone America/New_York or /timezone Tokyo."
)


def menu_for(role: str, is_admin: bool) -> list[BotCommand]:
    """Return the command menu of a clinician and/or admin."""
    entries: list[tuple[str, str]] = []
    if role == "clinician":
        entries.extend(CLINICIAN_COMMANDS)
    if is_admin:
        entries.extend(e for e in ADMIN_COMMANDS if e[0] not in {n for n, _ in entries})
    return [BotCommand(name, description) for name, description in entries]


async def set_menu(bot: Any, chat_id: int, role: str, is_admin: bool) -> None:
    """Show ``chat_id`` the commands of its role (a per-chat scope over the athlete menu)."""
    commands = menu_for(role, is_admin)
    if commands:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))


async def set_role_menus(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """At start-up: give every clinician and admin their command menu."""
    services = application.bot_data[SERVICES_KEY]
    if services.engine is None:
        return
    admins = set(services.settings.admin_telegram_ids)
    with session_scope(services.engine, read_only=True) as session:
        people = [
            (p.chat_id or p.telegram_user_id, p.role, p.telegram_user_id in admins)
            for p in list_people(session)
            if p.role in ("clinician", "admin") or p.telegram_user_id in admins
        ]
    for chat_id, role, is_admin in people:
        await set_menu_at_startup(application.bot, chat_id, role, is_admin)


async def set_menu_at_startup(bot: Any, chat_id: int, role: str, is_admin: bool) -> None:
    """Set one staff chat's menu at start-up; a chat the bot cannot reach never stops it.

    A person who has never opened the chat (typically a configured admin) has no chat yet:
    that is expected and logged at INFO, since their menu is set when they first write
    (/start or /help). Any other refusal is a warning.
    """
    try:
        await set_menu(bot, chat_id, role, is_admin)
    except BadRequest as exc:
        if "chat not found" not in exc.message.lower():
            _LOGGER.warning("command menu of chat %s not set: %s", chat_id, exc)
            return
        _LOGGER.info(
            "command menu of chat %s not set yet: they have not opened the bot; "
            "it is set when they first write to it",
            chat_id,
        )
    except TelegramError as exc:
        _LOGGER.warning("command menu of chat %s not set: %s", chat_id, exc)


def _deep_link(username: str | None, code: str) -> str:
    return f"https://t.me/{username or 'your_bot'}?start={code}"


def _name_of(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return ""
    return " ".join(p for p in (user.first_name, user.last_name) if p)


async def invite_clinician(update: Update, context: Context) -> None:
    """/invite_clinician: an admin gets a one-time, expiring clinician deep link."""
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        decision = may(caller, "invite_clinician")
        if not decision:
            await refuse(
                update,
                context,
                caller,
                decision.reason,
                command="/invite_clinician",
                session=session,
            )
            return
        admin = ensure_admin_person(
            session,
            caller.telegram_id,
            _name_of(update) or "Admin",
            person,
            now,
            services.settings.default_timezone,
        )
        code = CLINICIAN_CODE_PREFIX + secrets.token_urlsafe(12)
        invite = create_invite(
            session, kind="clinician", created_by=admin.id, now=now, ttl=INVITE_TTL, code=code
        )
        audit(
            session,
            actor_id=admin.id,
            action="invite_clinician",
            now=now,
            detail={"invite_id": invite.id, "expires_at": invite.expires_at.isoformat()},
        )
    assert update.effective_message is not None
    link = _deep_link(context.bot.username, code)
    await update.effective_message.reply_text(
        "Clinician invite (one use, expires "
        f"{invite.expires_at:%Y-%m-%d %H:%M} UTC). Send this link to the clinician:\n{link}"
    )


async def start_clinician_invite(update: Update, context: Context) -> None:
    """/start clin_<code>: the clinician deep link. Creates the account and redeems the code."""
    assert update.effective_message is not None and update.effective_user is not None
    services = get_services(context)
    now = services.clock.now()
    code = (context.args or [""])[0]
    user = update.effective_user
    try:
        with session_scope(services.engine) as session:
            person = get_person_by_telegram_id(session, telegram_user_id=user.id)
            if person is None:
                person = create_person(
                    session,
                    role="clinician",
                    telegram_user_id=user.id,
                    chat_id=update.effective_chat.id if update.effective_chat else user.id,
                    display_name=_name_of(update),
                    now=now,
                    timezone=services.settings.default_timezone,
                )
            elif person.role == "athlete":
                raise InviteError("wrong_role", "an athlete account cannot become a clinician")
            redeem_invite(session, code=code, person_id=person.id or 0, now=now)
            audit(
                session,
                actor_id=person.id,
                action="redeem_invite",
                now=now,
                detail={"kind": "clinician"},
            )
    except InviteError as exc:
        _audit_failure(services, user.id, exc.reason, "clinician")
        await update.effective_message.reply_text(FAILURE_TEXT[exc.reason])
        raise ApplicationHandlerStop from None
    await set_menu(
        context.bot,
        update.effective_chat.id if update.effective_chat else user.id,
        "clinician",
        user.id in get_services(context).settings.admin_telegram_ids,
    )
    zone = services.settings.default_timezone
    await update.effective_message.reply_text(
        "Welcome! You are now a clinician on Sprintback.\n"
        "/invite – invite an athlete\n/athletes – your athletes\n/athlete <number> – details\n"
        f"Alert times and your Monday digest use the time zone {zone}; "
        "change it with /timezone <zone>, e.g. /timezone Europe/Paris."
    )
    raise ApplicationHandlerStop


def staff_help(role: str, is_admin: bool) -> str:
    """Return the help text of a clinician and/or admin."""
    lines = ["Sprintback for clinicians and admins."]
    lines.extend(f"/{c.command} – {c.description}" for c in menu_for(role, is_admin))
    return "\n".join(lines)


async def start_staff(update: Update, context: Context) -> None:
    """/start or /help from a clinician or admin: their menu and help (athletes pass by)."""
    services = get_services(context)
    with session_scope(services.engine, read_only=True) as session:
        caller, person = caller_context(session, update, services)
    if not (caller.is_clinician or caller.is_admin):
        return
    assert update.effective_message is not None and update.effective_chat is not None
    role = person.role if person is not None else "admin"
    await set_menu(context.bot, update.effective_chat.id, role, caller.is_admin)
    await update.effective_message.reply_text(staff_help(role, caller.is_admin))
    raise ApplicationHandlerStop


async def timezone_command(update: Update, context: Context) -> None:
    """/timezone [zone] from a clinician or admin: show their time zone, or set it (an IANA
    name or a known city; anything else is refused with what is expected). Alert times and
    the Monday digest follow it. Athletes pass by (their /settings sets theirs)."""
    services = get_services(context)
    now = services.clock.now()
    wanted = " ".join(context.args or []).strip()
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        if not (caller.is_clinician or caller.is_admin):
            return
        assert update.effective_message is not None
        if person is None:
            person = ensure_admin_person(
                session,
                caller.telegram_id,
                _name_of(update) or "Admin",
                None,
                now,
                services.settings.default_timezone,
            )
        if not wanted:
            reply = f"Your time zone is {city_label(person.timezone)}.\n{TIMEZONE_USAGE}"
        else:
            zone = resolve_typed_zone(wanted)
            if zone is None:
                reply = f"{wanted[:64]!r} is not a time zone I know. {TIMEZONE_USAGE}"
            else:
                before = person.timezone
                update_person(session, person_id=person.id or 0, timezone=zone)
                audit(
                    session,
                    actor_id=person.id,
                    action="set_timezone",
                    now=now,
                    detail={"from": before, "to": zone},
                )
                reply = (
                    f"Time zone set to {city_label(zone)}. Alert times are shown in it and "
                    "your weekly digest arrives on Monday at 08:00 there."
                )
    await update.effective_message.reply_text(reply)
    raise ApplicationHandlerStop


async def staff_settings(update: Update, context: Context) -> None:
    """/settings from a clinician or admin: their time zone and how to change it (athletes
    pass by to their own settings)."""
    services = get_services(context)
    with session_scope(services.engine, read_only=True) as session:
        caller, person = caller_context(session, update, services)
    if not (caller.is_clinician or caller.is_admin):
        return
    assert update.effective_message is not None
    zone = person.timezone if person is not None else services.settings.default_timezone
    await update.effective_message.reply_text(
        f"Your time zone: {city_label(zone)}.\n{TIMEZONE_USAGE}"
    )
    raise ApplicationHandlerStop


def _audit_failure(services: Any, telegram_id: int, reason: str, kind: str) -> None:
    with session_scope(services.engine) as session:
        person = get_person_by_telegram_id(session, telegram_user_id=telegram_id)
        audit(
            session,
            actor_id=person.id if person else None,
            action="invite_refused",
            now=services.clock.now(),
            detail={"telegram_id": telegram_id, "reason": reason, "kind": kind},
        )


async def invite_athlete(update: Update, context: Context) -> None:
    """/invite: a clinician gets a one-time athlete deep link and the code for /link."""
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        decision = may(caller, "invite_athlete")
        if not decision or person is None:
            await refuse(
                update, context, caller, decision.reason, command="/invite", session=session
            )
            return
        invite = create_invite(
            session,
            kind="athlete",
            created_by=person.id,
            clinician_id=person.id,
            now=now,
            ttl=INVITE_TTL,
        )
        audit(
            session,
            actor_id=person.id,
            action="invite_athlete",
            now=now,
            detail={"invite_id": invite.id},
        )
        code = invite.code
        expires = invite.expires_at
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        f"Athlete invite (one use, expires {expires:%Y-%m-%d %H:%M} UTC).\n"
        f"New athlete: send them {_deep_link(context.bot.username, code)}\n"
        f"Athlete already using Sprintback: they send /link {code}"
    )


async def link_command(update: Update, context: Context) -> None:
    """/link CODE: an existing athlete asks to link to the clinician who made CODE."""
    assert update.effective_message is not None and update.effective_user is not None
    services = get_services(context)
    now = services.clock.now()
    if not context.args:
        await update.effective_message.reply_text(
            "Send /link followed by the code your clinician gave you, e.g. /link AbC123xYz"
        )
        return
    code = context.args[0]
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        decision = may(caller, "link_to_clinician")
        if not decision or person is None:
            await refuse(update, context, caller, decision.reason, command="/link", session=session)
            return
        invite = session.exec(select(Invite).where(Invite.code == code)).first()
        failure = _invite_problem(invite, now)
        if failure is None and invite is not None and invite.clinician_id == person.id:
            failure = "self_link"
        if failure is not None or invite is None:
            reason = failure or "unknown"
            audit(
                session,
                actor_id=person.id,
                action="invite_refused",
                now=now,
                detail={"telegram_id": caller.telegram_id, "reason": reason, "kind": "athlete"},
            )
            await update.effective_message.reply_text(FAILURE_TEXT[reason])
            return
        clinician = session.get(Person, invite.clinician_id)
        clinician_name = clinician.display_name if clinician else "your clinician"
        invite_id = invite.id or 0
    signer = signer_of(context)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "✅ Share",
                    callback_data=signer.sign(ACT_LINK_YES, (invite_id,), caller.telegram_id, now),
                ),
                InlineKeyboardButton(
                    "✖️ Don't share",
                    callback_data=signer.sign(ACT_LINK_NO, (invite_id,), caller.telegram_id, now),
                ),
            ]
        ]
    )
    await update.effective_message.reply_text(
        f"{clinician_name} asks to follow your return to sprint. If you agree, they will see "
        "your check-ins, sessions, stage and alerts, and can adjust your programme. "
        "You can ask for the link to be removed at any time.\nShare your data with them?",
        reply_markup=keyboard,
    )


def _invite_problem(invite: Invite | None, now: dt.datetime) -> str | None:
    if invite is None or invite.kind != "athlete":
        return "unknown"
    if invite.used_at is not None:
        return "used"
    if invite.expires_at <= now:
        return "expired"
    return None


async def link_answer(update: Update, context: Context) -> None:
    """The athlete's answer to the /link consent question."""
    query = update.callback_query
    assert query is not None and query.data is not None
    services = get_services(context)
    now = services.clock.now()
    try:
        press = signer_of(context).verify(query.data, query.from_user.id, now)
    except CallbackRejected as exc:
        with session_scope(services.engine) as session:
            caller, _ = caller_context(session, update, services)
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    invite_id = press.int_id(0)
    if press.action == ACT_LINK_NO:
        await query.answer()
        await query.edit_message_text("Nothing was shared. The code was not used.")
        return
    try:
        with session_scope(services.engine) as session:
            person = get_person_by_telegram_id(session, telegram_user_id=query.from_user.id)
            invite = session.get(Invite, invite_id)
            if person is None or invite is None:
                raise InviteError("unknown", "no such invite")
            record_consent(
                session,
                person_id=person.id or 0,
                kind=CONSENT_KIND,
                text_version=CONSENT_VERSION,
                granted=True,
                now=now,
            )
            redeem_invite(session, code=invite.code, person_id=person.id or 0, now=now)
            clinician = session.get(Person, invite.clinician_id)
            audit(
                session,
                actor_id=person.id,
                action="link",
                now=now,
                athlete_id=person.id,
                detail={"clinician_id": invite.clinician_id, "via": "link_code"},
            )
            name = clinician.display_name if clinician else "your clinician"
    except InviteError as exc:
        _audit_failure(services, query.from_user.id, exc.reason, "athlete")
        await query.answer()
        await query.edit_message_text(FAILURE_TEXT[exc.reason])
        return
    await query.answer()
    await query.edit_message_text(f"Linked. {name} can now follow your programme.")


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the invite and link handlers (the clinician deep link runs before onboarding) and
    the start-up hook that sets the clinicians' and admins' command menus."""
    add_startup_hook(application, set_role_menus)
    application.add_handler(
        CommandHandler(
            "start",
            start_clinician_invite,
            filters=filters.Regex(rf"^/start(@\w+)? {CLINICIAN_CODE_PREFIX}"),
        ),
        group=HANDLER_GROUP - 1,
    )
    application.add_handler(CommandHandler(["start", "help"], start_staff), group=HANDLER_GROUP)
    application.add_handler(
        CommandHandler("invite_clinician", invite_clinician), group=HANDLER_GROUP
    )
    application.add_handler(CommandHandler("invite", invite_athlete), group=HANDLER_GROUP)
    application.add_handler(CommandHandler("link", link_command), group=HANDLER_GROUP)
    application.add_handler(CommandHandler("timezone", timezone_command), group=HANDLER_GROUP)
    application.add_handler(CommandHandler("settings", staff_settings), group=HANDLER_GROUP)
    application.add_handler(
        CallbackQueryHandler(link_answer, pattern=rf"^({ACT_LINK_YES}|{ACT_LINK_NO}):"),
        group=HANDLER_GROUP,
    )
