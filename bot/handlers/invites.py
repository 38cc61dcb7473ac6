"""Invites and links: /invite_clinician (admin), clinician deep links, /invite and /link.

- An admin sends /invite_clinician and gets a one-time deep link that expires; whoever opens it
  becomes a clinician.
- A clinician sends /invite and gets a one-time deep link for a new athlete (the onboarding flow
  handles ``/start <code>`` and asks the athlete's consent) and the same code for an athlete
  who already uses the bot: ``/link CODE``.
- /link CODE shows whom the athlete would share their data with and links only after the
  athlete presses "Share"; "Don't share" leaves the code unused.
- Each invite's message carries a "Withdraw this invitation" button for its maker: a press
  makes the code unusable at once (tried afterwards, it is refused as an expired one is).
- /timezone [zone] (and /settings) for clinicians and admins: their time zone, which alert
  times and the Monday digest follow; new staff start in DEFAULT_TIMEZONE. /settings also
  offers their language (one button per language): cards, digest, PDF and their command menu
  follow it.
Every use, refusal and failure is audited. Staff command menus are set at start-up and again
when the person writes /start or /help (a chat never opened cannot get one before).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
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
    filters,
)

from bot.handlers.athlete_flow import known_athletes
from bot.handlers.context import (
    SERVICES_KEY,
    Context,
    add_startup_hook,
    get_services,
    signer_of,
)
from bot.handlers.groups import STAFF_GROUP
from bot.handlers.languages import commands_in
from bot.handlers.staff import caller_context, refuse, stops_update
from bot.services.access import may
from bot.services.callback_auth import CallbackExpired, CallbackRejected
from bot.services.callers import ensure_admin_person
from bot.services.invites import (
    CLINICIAN_CODE_PREFIX,
    TIMEZONE_USAGE,
    LinkRequest,
    Withdrawal,
    accept_link,
    athlete_invite,
    invite_athlete,
    invite_clinician,
    link_refusal,
    record_invite_refusal,
    redeem_clinician_invite,
    request_link,
    staff_timezone,
    withdraw_invitation,
)
from bot.services.timezones import city_label
from bot.store.db import session_scope
from bot.store.models import Invite
from bot.store.repo.links import InviteError, clinicians_of
from bot.store.repo.people import list_people
from bot.store.repo.people import set_language as store_language
from bot.support.formats import format_datetime
from bot.support.i18n import (
    L_,
    LANGUAGES,
    N_,
    _,
    current_language,
    is_supported,
    language_name,
    ngettext,
    set_language,
)
from bot.support.limits import quoted

_LOGGER = logging.getLogger(__name__)
ACT_LINK_YES = "lnk_yes"
ACT_LINK_NO = "lnk_no"
ACT_STAFF_LANGUAGE = "stf_lang"
ACT_WITHDRAW_INVITE = "inv_wd"

FAILURE_TEXT = {
    "unknown": L_("This invite code is not valid. Check it, or ask for a new one."),
    "used": L_("This invite has already been used. Ask for a new one."),
    "expired": L_("This invite has expired. Ask for a new one."),
    "wrong_role": L_("This code is not meant for your account."),
    "self_link": L_("You cannot use your own invite."),
}
# /link (or a Share button) from an athlete who has not finished setting up: sharing is asked
# in the set-up, after a storage consent that names the clinician.
NOT_SIGNED_UP_TEXT = L_(
    "You have not finished setting up yet, so nothing is shared with {name} for now. "
    "Send /start {code} to carry on with their invitation: I will ask before sharing "
    "anything with them."
)
# The same for a clinician without a display name ("with your clinician" is not a name: in
# German or Portuguese it takes other words around it than a name does).
NOT_SIGNED_UP_NO_NAME_TEXT = L_(
    "You have not finished setting up yet, so nothing is shared with your clinician for now. "
    "Send /start {code} to carry on with their invitation: I will ask before sharing "
    "anything with them."
)
# A Share button pressed from a new account: the offer was made to the one deleted since.
DELETED_OFFER_TEXT = L_(
    "This button was for your earlier account, which has been deleted, so nothing was shared. "
    "To share with your clinician now, send /link with their code again."
)


def not_signed_up_text(name: str | None, code: str) -> str:
    """The "finish setting up first" answer to sharing, naming the clinician when they have a
    display name (``name`` is None, or empty, for one without)."""
    if not name:
        return str(NOT_SIGNED_UP_NO_NAME_TEXT).format(code=quoted(code, 40))
    return str(NOT_SIGNED_UP_TEXT).format(name=name, code=quoted(code, 40))


# /link CODE: whom the athlete would share with, and what that means.
SHARE_QUESTION = L_(
    "{name} asks to follow your return to sprint. If you agree, they will see "
    "your check-ins, sessions, stage and alerts, and can adjust your programme. "
    "You can ask for the link to be removed at any time.\nShare your data with them?"
)
# The same for a clinician without a display name.
SHARE_QUESTION_NO_NAME = L_(
    "Your clinician asks to follow your return to sprint. If you agree, they will see "
    "your check-ins, sessions, stage and alerts, and can adjust your programme. "
    "You can ask for the link to be removed at any time.\nShare your data with them?"
)
LINKED_TEXT = L_("Linked. {name} can now follow your programme.")
LINKED_NO_NAME_TEXT = L_("Linked. Your clinician can now follow your programme.")

# The line under an invite's code, and its button: a code sent to the wrong person can be
# withdrawn at once by whoever made it.
WITHDRAW_HINT = L_(
    "Sent to the wrong person? Withdraw it with the button below: it stops working at once."
)
WITHDRAW_BUTTON = L_("Withdraw this invitation")
# What the message with the code becomes once the invitation is withdrawn.
WITHDRAWN_TEXT = {
    "athlete": L_(
        "🚫 Athlete invite withdrawn: its link and code no longer work. Send /invite for a new one."
    ),
    "clinician": L_(
        "🚫 Clinician invite withdrawn: its link no longer works. "
        "Send /invite_clinician for a new one."
    ),
}
WITHDRAWN_ANSWER = L_("Invitation withdrawn.")
# A press that withdraws nothing: said to the invitation's maker only.
ALREADY_WITHDRAWN_TEXT = L_("You have already withdrawn this invitation: it no longer works.")
USED_BY_TEXT = L_("{name} has already used this invitation, so it can no longer be withdrawn.")
USED_TEXT = L_("This invitation has already been used, so it can no longer be withdrawn.")
EXPIRED_TEXT = L_("This invitation has already expired: nobody can use it any more.")


# A clinician's or admin's own /settings language button, past the signer's age limit.
SETTINGS_TOO_OLD_TEXT = L_("This button is too old: send /settings again.")

# The staff menus; the descriptions are translated when a menu is set, in the person's language.
CLINICIAN_COMMANDS = (
    ("athletes", N_("Your athletes, most urgent first")),
    ("athlete", N_("One athlete: status, 14 days, alerts, actions")),
    ("invite", N_("Invite an athlete")),
    ("note", N_("Notes: /note <number> [text to add]")),
    ("hold", N_("Hold: /hold <number> [reason]")),
    ("stepback", N_("Step back: /stepback <number> <reason>")),
    ("stage", N_("Set the stage: /stage <number> <STAGE> <reason>")),
    ("clear", N_("Give a sign-off, or the review after a stop: /clear <number> [note]")),
    ("decline", N_("Decline a sign-off: /decline <number> <reason>")),
    ("usual", N_("Accept a usual tightness: /usual <number> <tightness> [reason]")),
    ("pause", N_("Pause a programme: /pause <number> <reason>")),
    ("resume", N_("Resume a programme: /resume <number> <reason>")),
    ("progress", N_("Progress chart: /progress <number or name>")),
    ("report", N_("PDF report: /report <number or name>")),
    ("timezone", N_("Your time zone: /timezone Europe/Paris")),
    ("settings", N_("Your language and time zone")),
    ("unlink", N_("Stop following an athlete: /unlink <number> [reason]")),
    ("delete", N_("Delete your account (your athletes are told)")),
    ("cancel", N_("Cancel a message or note being written")),
)
ADMIN_COMMANDS = (
    ("invite_clinician", N_("Invite a clinician (one-time link)")),
    ("protocols", N_("Protocols, versions, athletes on them")),
    # TRANSLATORS: the sub-command names an admin types after /protocol: keep them as they are.
    ("protocol", N_("show | set | dryrun | diff | history | rollback")),
    ("athletes", N_("Every athlete")),
    ("athlete", N_("One athlete's status")),
    ("progress", N_("Progress chart: /progress <number or name>")),
    ("report", N_("PDF report: /report <number or name>")),
    ("timezone", N_("Your time zone: /timezone Europe/Paris")),
    ("settings", N_("Your language and time zone")),
)


def menu_for(role: str, is_admin: bool, lang: str | None = None) -> list[BotCommand]:
    """Return the command menu of a clinician and/or admin, in ``lang`` (default: the
    current language)."""
    entries: list[tuple[str, str]] = []
    if role == "clinician":
        entries.extend(CLINICIAN_COMMANDS)
    if is_admin:
        entries.extend(e for e in ADMIN_COMMANDS if e[0] not in {n for n, _ in entries})
    return commands_in(entries, lang or current_language())


async def set_menu(bot: Any, chat_id: int, role: str, is_admin: bool, lang: str) -> None:
    """Show ``chat_id`` the commands of its role in the person's language ``lang`` (a per-chat
    scope over the athlete menu: one person, so their own language, whatever their app's)."""
    commands = menu_for(role, is_admin, lang)
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
            (p.reply_chat, p.role, p.telegram_user_id in admins, p.language)
            for p in list_people(session)
            if p.role in ("clinician", "admin") or p.telegram_user_id in admins
        ]
    for chat_id, role, is_admin, lang in people:
        await set_menu_at_startup(application.bot, chat_id, role, is_admin, lang)


async def set_menu_at_startup(bot: Any, chat_id: int, role: str, is_admin: bool, lang: str) -> None:
    """Set one staff chat's menu at start-up; a chat the bot cannot reach never stops it.

    A person who has never opened the chat (typically a configured admin) has no chat yet:
    that is expected and logged at INFO, since their menu is set when they first write
    (/start or /help). Any other refusal is a warning.
    """
    try:
        await set_menu(bot, chat_id, role, is_admin, lang)
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


async def invite_clinician_command(update: Update, context: Context) -> None:
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
        invite = invite_clinician(session, admin, now)
        code = invite.code
        zone = admin.timezone  # the expiry in the admin's own time
        ids = (invite.id or 0, admin.id or 0)
    assert update.effective_message is not None
    link = _deep_link(context.bot.username, code)
    await update.effective_message.reply_text(
        _(
            "Clinician invite (one use, expires {when}). Send this link to the clinician:\n{link}"
        ).format(when=format_datetime(invite.expires_at, zone), link=link)
        + "\n"
        + str(WITHDRAW_HINT),
        reply_markup=_withdraw_keyboard(context, ids, caller.telegram_id, now),
    )


def _withdraw_keyboard(
    context: Context, ids: tuple[int, int], telegram_id: int, now: dt.datetime
) -> InlineKeyboardMarkup:
    """The button under an invite that withdraws it: made for its maker only, naming the
    invite and the maker's account (``ids``)."""
    data = signer_of(context).sign(ACT_WITHDRAW_INVITE, ids, telegram_id, now)
    return InlineKeyboardMarkup([[InlineKeyboardButton(str(WITHDRAW_BUTTON), callback_data=data)]])


async def start_clinician_invite(update: Update, context: Context) -> None:
    """/start clin_<code>: the clinician deep link. Creates the account and redeems the code."""
    assert update.effective_message is not None and update.effective_user is not None
    services = get_services(context)
    now = services.clock.now()
    code = (context.args or [""])[0]
    user = update.effective_user
    try:
        with session_scope(services.engine) as session:
            redeem_clinician_invite(
                session,
                telegram_id=user.id,
                chat_id=update.effective_chat.id if update.effective_chat else user.id,
                name=_name_of(update),
                code=code,
                now=now,
                timezone=services.settings.default_timezone,
            )
    except InviteError as exc:
        record_invite_refusal(
            services.engine, user.id, exc.reason, "clinician", services.clock.now()
        )
        await update.effective_message.reply_text(str(FAILURE_TEXT[exc.reason]))
        raise ApplicationHandlerStop from None
    known_athletes(context).discard(user.id)  # an unfinished athlete sign-up is now staff
    await set_menu(
        context.bot,
        update.effective_chat.id if update.effective_chat else user.id,
        "clinician",
        user.id in get_services(context).settings.admin_telegram_ids,
        current_language(),
    )
    zone = services.settings.default_timezone
    await update.effective_message.reply_text(
        _(
            "Welcome! You are now a clinician on Sprintback.\n"
            "/invite – invite an athlete\n/athletes – your athletes\n"
            "/athlete <number> – details\n"
            "Alert times and your Monday digest use the time zone {zone}; "
            "change it with /timezone <zone>, e.g. /timezone Europe/Paris.\n"
            "/settings – your language"
        ).format(zone=zone)
    )
    raise ApplicationHandlerStop


def staff_help(role: str, is_admin: bool) -> str:
    """Return the help text of a clinician and/or admin, in the current language."""
    lines = [_("Sprintback for clinicians and admins.")]
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
    await set_menu(context.bot, update.effective_chat.id, role, caller.is_admin, current_language())
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
        reply = staff_timezone(session, person, wanted, now)
    await update.effective_message.reply_text(reply)
    raise ApplicationHandlerStop


async def staff_settings(update: Update, context: Context) -> None:
    """/settings from a clinician or admin: their time zone and how to change it, and their
    language with a button per language (athletes pass by to their own settings)."""
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine, read_only=True) as session:
        caller, person = caller_context(session, update, services)
    if not (caller.is_clinician or caller.is_admin):
        return
    assert update.effective_message is not None
    zone = person.timezone if person is not None else services.settings.default_timezone
    signer = signer_of(context)
    buttons = [
        InlineKeyboardButton(
            language_name(lang),
            callback_data=signer.sign(ACT_STAFF_LANGUAGE, (lang,), caller.telegram_id, now),
        )
        for lang in LANGUAGES
    ]
    keyboard = InlineKeyboardMarkup([buttons[:3], buttons[3:]])
    await update.effective_message.reply_text(
        _("Your time zone: {zone}.").format(zone=city_label(zone))
        + "\n"
        + str(TIMEZONE_USAGE)
        + "\n"
        + _("Your language: {language}.").format(language=language_name(current_language()))
        + " "
        + _("Which language should I write to you in?"),
        reply_markup=keyboard,
    )
    raise ApplicationHandlerStop


@stops_update
async def staff_language_answer(update: Update, context: Context) -> None:
    """A clinician's or admin's language button: store their choice (cards, digest, PDF and
    menus follow it), set their command menu in it and confirm in it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    services = get_services(context)
    now = services.clock.now()
    try:
        press = signer_of(context).verify(query.data, query.from_user.id, now)
    except CallbackRejected as exc:
        # Answered outside any write transaction: on SQLite a second writer (the refusal's
        # audit) would wait for this one until the busy timeout, freezing every update.
        with session_scope(services.engine, read_only=True) as session:
            caller, _person = caller_context(session, update, services)
        if isinstance(exc, CallbackExpired) and (caller.is_clinician or caller.is_admin):
            await query.answer(str(SETTINGS_TOO_OLD_TEXT), show_alert=True)
            return
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        lang = press.ids[0] if press.ids else ""
        if not (caller.is_clinician or caller.is_admin) or not is_supported(lang):
            await query.answer()
            return
        if person is None:
            person = ensure_admin_person(
                session,
                caller.telegram_id,
                query.from_user.full_name or "Admin",
                None,
                now,
                services.settings.default_timezone,
            )
        store_language(session, person_id=person.id or 0, language=lang)
        role = person.role
    set_language(lang)
    await query.answer()
    assert query.message is not None
    await set_menu_at_startup(context.bot, query.message.chat.id, role, caller.is_admin, lang)
    await query.edit_message_reply_markup(None)
    await context.bot.send_message(
        query.message.chat.id,
        _("Done: your language is now {language}.").format(language=language_name(lang)),
    )


async def invite_athlete_command(update: Update, context: Context) -> None:
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
        invite = invite_athlete(session, person, now)
        code = invite.code
        expires = invite.expires_at
        zone = person.timezone  # the expiry in the clinician's own time
        ids = (invite.id or 0, person.id or 0)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _(
            "Athlete invite (one use, expires {when}).\n"
            "New athlete: send them {link}\n"
            "Athlete already using Sprintback: they send /link {code}"
        ).format(
            when=format_datetime(expires, zone),
            link=_deep_link(context.bot.username, code),
            code=code,
        )
        + "\n"
        + str(WITHDRAW_HINT),
        reply_markup=_withdraw_keyboard(context, ids, caller.telegram_id, now),
    )


@stops_update
async def withdraw_answer(update: Update, context: Context) -> None:
    """An invite's "Withdraw" button: its maker makes the code unusable at once and the
    message with the code says so. A press from anyone else (a forged or forwarded button)
    is refused in the neutral words, whether the invite exists or not."""
    query = update.callback_query
    assert query is not None and query.data is not None
    services = get_services(context)
    now = services.clock.now()
    try:
        press = signer_of(context).verify(query.data, query.from_user.id, now)
        invite_id, maker_id = press.int_id(0), press.int_id(1)
    except CallbackExpired:
        # The maker's own button, older than any invite lives: the invite has expired.
        await query.answer(str(EXPIRED_TEXT), show_alert=True)
        await _drop_button(query)
        return
    except CallbackRejected as exc:
        # Answered outside any write transaction (see staff_language_answer).
        with session_scope(services.engine, read_only=True) as session:
            caller, _person = caller_context(session, update, services)
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        done = withdraw_invitation(
            session,
            invite_id=invite_id,
            maker_id=maker_id,
            person=person,
            is_admin=caller.is_admin,
            now=now,
        )
        if done is None:
            await refuse(
                update,
                context,
                caller,
                "withdraw_invite: not the invitation's maker",
                command=press.action,
                session=session,
            )
            return
    if done.outcome == "withdrawn":
        await query.answer(str(WITHDRAWN_ANSWER))
        try:
            await query.edit_message_text(str(WITHDRAWN_TEXT[done.kind]))
        except BadRequest as exc:
            # Withdrawn and told so by the answer above: an old message that can no longer be
            # edited keeps its code, which no longer works.
            _LOGGER.info("could not mark the invite message withdrawn: %s", exc.message)
        return
    await query.answer(_withdraw_refusal(done), show_alert=True)
    await _drop_button(query)


def _withdraw_refusal(done: Withdrawal) -> str:
    """What the maker is told when their press withdrew nothing."""
    if done.outcome == "already_withdrawn":
        return str(ALREADY_WITHDRAWN_TEXT)
    if done.outcome == "used" and done.used_by:
        return str(USED_BY_TEXT).format(name=done.used_by)
    if done.outcome == "used":
        return str(USED_TEXT)
    return str(EXPIRED_TEXT)


async def _drop_button(query: CallbackQuery) -> None:
    """Take a button that can do nothing any more off its message (already gone: fine)."""
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        _LOGGER.info("could not take the withdraw button off: %s", exc.message)


async def link_command(update: Update, context: Context) -> None:
    """/link CODE: an existing athlete asks to link to the clinician who made CODE."""
    assert update.effective_message is not None and update.effective_user is not None
    services = get_services(context)
    now = services.clock.now()
    if not context.args:
        await update.effective_message.reply_text(
            _("Send /link followed by the code your clinician gave you, e.g. /link AbC123xYz")
        )
        return
    code = context.args[0]
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        decision = may(caller, "link_to_clinician")
        if person is None and not caller.is_admin:
            # Someone new did what the invite says to "athletes already using Sprintback".
            await update.effective_message.reply_text(
                _(
                    "You are not signed up yet. Send /start {code} (or open your clinician's "
                    "link) to begin; I will ask before sharing anything with them."
                ).format(code=quoted(code, 40))
            )
            return
        if not decision or person is None:
            await refuse(update, context, caller, decision.reason, command="/link", session=session)
            return
        request = request_link(session, person, code, caller.telegram_id, now)
        if request == "not_signed_up":
            invite_from = athlete_invite(session, code, now)
            name = invite_from.clinician_name if invite_from is not None else None
            await update.effective_message.reply_text(not_signed_up_text(name, code))
            return
        if not isinstance(request, LinkRequest):
            await update.effective_message.reply_text(str(FAILURE_TEXT[request]))
            return
        clinician_name = request.clinician_name
        invite_id = request.invite_id
        person_id = person.id or 0
        # Linking another clinician adds one: whoever the athlete shares with already keeps
        # seeing their data, and the athlete is told so before they agree.
        invite = session.get(Invite, invite_id)
        others = [
            c.display_name or ""
            for c in clinicians_of(session, athlete_id=person.id or 0)
            if invite is None or c.id != invite.clinician_id
        ]
    signer = signer_of(context)
    # The buttons name the account asked (not only its Telegram id): after /delete and a new
    # /start, a press of them links nothing.
    ids = (invite_id, person_id)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("✅ Share"),
                    callback_data=signer.sign(ACT_LINK_YES, ids, caller.telegram_id, now),
                ),
                InlineKeyboardButton(
                    _("✖️ Don't share"),
                    callback_data=signer.sign(ACT_LINK_NO, ids, caller.telegram_id, now),
                ),
            ]
        ]
    )
    if clinician_name is None:
        question = str(SHARE_QUESTION_NO_NAME)
    else:
        question = str(SHARE_QUESTION).format(name=clinician_name)
    await update.effective_message.reply_text(
        question + _still_sharing(others), reply_markup=keyboard
    )


def _still_sharing(names: list[str]) -> str:
    """The line telling an athlete who links another clinician who keeps seeing their data
    ("" when nobody else is linked); counted, not named, when one of them has no name (an
    empty place in the list would read as a stray comma)."""
    if not names:
        return ""
    if not all(n.strip() for n in names):
        return "\n" + ngettext(
            "Another clinician keeps seeing your data too; /unlink stops that.",
            "{count} other clinicians keep seeing your data too; /unlink stops that.",
            len(names),
        ).format(count=len(names))
    return "\n" + ngettext(
        "{names} keeps seeing your data too; /unlink stops that.",
        "{names} keep seeing your data too; /unlink stops that.",
        len(names),
    ).format(names=", ".join(names))


@stops_update
async def link_answer(update: Update, context: Context) -> None:
    """The athlete's answer to the /link consent question."""
    query = update.callback_query
    assert query is not None and query.data is not None
    services = get_services(context)
    now = services.clock.now()
    try:
        press = signer_of(context).verify(query.data, query.from_user.id, now)
    except CallbackRejected as exc:
        with session_scope(services.engine, read_only=True) as session:
            caller, _person = caller_context(session, update, services)
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    invite_id = press.int_id(0)
    offered_to = press.int_id(1) if len(press.ids) > 1 else None
    if press.action == ACT_LINK_NO:
        await query.answer()
        await query.edit_message_text(_("Nothing was shared. The code was not used."))
        return
    try:
        with session_scope(services.engine) as session:
            caller, person = caller_context(session, update, services)
            refused = link_refusal(
                session,
                person,
                caller.telegram_id,
                invite_id,
                now,
                offered_to=offered_to,
                offered_at=press.issued_at,
            )
            decision = may(caller, "link_to_clinician")
            if refused is None and not decision:
                await refuse(
                    update, context, caller, decision.reason, command="/link", session=session
                )
                return
            name = None if refused else accept_link(session, caller.telegram_id, invite_id, now)
    except InviteError as exc:
        record_invite_refusal(
            services.engine, query.from_user.id, exc.reason, "athlete", services.clock.now()
        )
        await query.answer()
        await query.edit_message_text(str(FAILURE_TEXT[exc.reason]))
        return
    await query.answer()
    if refused is not None and refused.reason == "deleted_account":
        await query.edit_message_text(str(DELETED_OFFER_TEXT))
    elif refused is not None:
        await query.edit_message_text(not_signed_up_text(refused.clinician_name, refused.code))
    elif name is None:
        await query.edit_message_text(str(LINKED_NO_NAME_TEXT))
    else:
        await query.edit_message_text(str(LINKED_TEXT).format(name=name))


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
        group=STAFF_GROUP - 1,
    )
    application.add_handler(CommandHandler(["start", "help"], start_staff), group=STAFF_GROUP)
    application.add_handler(
        CommandHandler("invite_clinician", invite_clinician_command), group=STAFF_GROUP
    )
    application.add_handler(CommandHandler("invite", invite_athlete_command), group=STAFF_GROUP)
    application.add_handler(CommandHandler("link", link_command), group=STAFF_GROUP)
    application.add_handler(CommandHandler("timezone", timezone_command), group=STAFF_GROUP)
    application.add_handler(CommandHandler("settings", staff_settings), group=STAFF_GROUP)
    application.add_handler(
        CallbackQueryHandler(link_answer, pattern=rf"^({ACT_LINK_YES}|{ACT_LINK_NO}):"),
        group=STAFF_GROUP,
    )
    application.add_handler(
        CallbackQueryHandler(staff_language_answer, pattern=rf"^{ACT_STAFF_LANGUAGE}:"),
        group=STAFF_GROUP,
    )
    application.add_handler(
        CallbackQueryHandler(withdraw_answer, pattern=rf"^{ACT_WITHDRAW_INVITE}:"),
        group=STAFF_GROUP,
    )
