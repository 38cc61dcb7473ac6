"""Protocol editing by admins, in chat.

/protocols                               name, active version, athletes on it
/protocol show NAME [STAGE]               the active text (or one stage)
/protocol set NAME STAGE FIELD VALUE      a draft with one value changed: diff + Publish/Discard
(a YAML file sent as a document)          a draft of the whole file: diff + Publish/Discard
/protocol dryrun NAME                     replay examples/ and athletes' last 60 days on the draft
/protocol history NAME                    every version, who published it and why
/protocol rollback NAME VERSION           what publishing VERSION's text again would undo and
                                          change: Confirm/Cancel

A draft waits, stored as the admin's step, until they publish or discard it (the active version
is untouched until publishing); a rollback offer waits the same way until Confirm or Cancel, and
one confirmed after another version was published is refused as stale. An invalid edit is
refused with the schema's message, each place named by the stage's position and id. Every step
is audited.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import html
import logging
import re
from collections.abc import Sequence
from typing import Any, TypeGuard

import yaml
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.clock import local_date
from bot.delivery.downloads import DownloadFailed, FileTooLarge, download_within
from bot.handlers.context import (
    SERVICES_KEY,
    Context,
    add_startup_hook,
    get_services,
    kick_sender,
    signer_of,
)
from bot.handlers.groups import FALLBACK_GROUP, STAFF_GROUP
from bot.handlers.staff import (
    caller_context,
    former_admin,
    refuse,
    refused_already,
    stops_update,
)
from bot.services import protocol_admin as pa
from bot.services import texts
from bot.services.access import may
from bot.services.callback_auth import CallbackExpired, CallbackRejected
from bot.services.callers import ensure_admin_person, sync_admins
from bot.store.db import retrying, session_scope
from bot.store.models import Person
from bot.store.repo import pending_steps as steps
from bot.store.repo.audit import audit
from bot.store.repo.data_rights import forget_staff
from bot.store.standing import parse_text
from bot.support.formats import format_and_list, format_datetime
from bot.support.i18n import L_, N_, _, ngettext
from bot.support.limits import quoted
from bot.wording import protocol_text
from engine.schema import ProtocolError

_LOGGER = logging.getLogger(__name__)
ACT_PUBLISH = "pv_pub"
ACT_DISCARD = "pv_drop"
ACT_ROLLBACK = "pv_rb"
ACT_ROLLBACK_CANCEL = "pv_rb_no"
ROLLBACK_STEP = "protocol_rollback"  # what a waiting rollback offer's step holds ("what")
ROLLBACK_CLOSED = N_("This rollback is no longer open: send /protocol rollback again.")
MAX_MESSAGE = 3900
MAX_UPLOAD_BYTES = 256_000
TOO_LARGE = L_("{filename} is too large: a protocol file must be under {kb} kB.")
MAX_VERSION = 2**31 - 1  # protocol_version.version is a 32-bit integer

# TRANSLATORS: command names and the sub-commands (show, set...) stay as they are; NAME, STAGE,
# FIELD, VALUE and VERSION may be translated.
USAGE = L_(
    "Protocol commands:\n"
    "/protocols\n"
    "/protocol show NAME [STAGE]\n"
    "/protocol set NAME STAGE FIELD VALUE  (e.g. /protocol set hamstring H3 min_days.value 5)\n"
    "/protocol dryrun NAME\n"
    "/protocol diff NAME [VERSION]  (the active version against the packaged file, or VERSION)\n"
    "/protocol history NAME\n"
    "/protocol rollback NAME VERSION\n"
    "Or send a protocol YAML file as a document."
)
# How many changed display texts /protocols quotes per protocol.
REVIEW_SHOWN = 3


def _pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


# How much of a difference a message shows; a longer one is also sent whole, as a file.
DIFF_SHOWN = 3500


def _cut_note(diff: str) -> str:
    """Return the line that says a difference too long for its message follows whole, as a
    file (an admin never publishes on a difference they could only read the start of)."""
    return _("The whole difference follows as a file.") + "\n" if len(diff) > DIFF_SHOWN else ""


async def _send_whole_diff(message: Message, diff: str, filename: str) -> None:
    """Send a difference too long for a message as a file, after the message showing its
    start (the message carries the Publish button, so it comes first)."""
    if len(diff) > DIFF_SHOWN:
        await message.reply_document(InputFile(diff.encode(), filename=filename))


def _clip(text: str, limit: int = MAX_MESSAGE) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 20] + "\n" + _("… (truncated)")


async def _admin_only(update: Update, context: Context, command: str) -> bool:
    """Return True for an admin; refuse (audited) and return False otherwise."""
    services = get_services(context)
    with session_scope(services.engine) as session:
        caller, _person = caller_context(session, update, services)
    decision = may(caller, "edit_protocols")
    if not decision:
        await refuse(update, context, caller, decision.reason, command=command)
        return False
    return True


@stops_update
async def protocols_command(update: Update, context: Context) -> None:
    """/protocols: each protocol with its active version, the athletes on it, and the display
    texts an admin changed whose translations need review (with the languages)."""
    if not await _admin_only(update, context, "/protocols"):
        return
    services = get_services(context)
    now = services.clock.now()
    lines = [_("Protocols:")]
    with session_scope(services.engine) as session:
        for name in pa.known_names(session, now):
            active = pa.active_version(session, name, now)
            athletes = pa.athletes_on(session, name)
            on_it = ngettext("{n} athlete", "{n} athletes", athletes).format(n=athletes)
            if active:
                lines.append(
                    _("• {name}: active v{version}, {athletes}").format(
                        name=name, version=active.version, athletes=on_it
                    )
                )
                title = _title(active.text, name)
                if title:
                    lines.append(f"  {title}")
            else:
                lines.append(
                    _("• {name}: no version, {athletes}").format(name=name, athletes=on_it)
                )
            lines.extend(_review_lines(pa.texts_to_review(session, name, now)))
    assert update.effective_message is not None
    await update.effective_message.reply_text(_clip("\n".join(lines)))


def _title(text: str, name: str) -> str:
    """The protocol's title in the reader's language ('' when it has none or does not parse)."""
    try:
        return protocol_text(parse_text(text, name).title)
    except ProtocolError:
        return ""


def _review_lines(texts: list[pa.TextToReview]) -> list[str]:
    """Lines saying which changed display texts need their translations reviewed."""
    if not texts:
        return []
    languages = sorted({lang for t in texts for lang in t.languages})
    lines = [
        ngettext(
            "  ⚠️ {n} changed text to review in: {languages}",
            "  ⚠️ {n} changed texts to review in: {languages}",
            len(texts),
        ).format(n=len(texts), languages=", ".join(languages))
    ]
    for item in texts[:REVIEW_SHOWN]:
        shown = item.text if len(item.text) <= 80 else item.text[:79] + "…"
        lines.append(f"    – {item.location}: “{shown}” ({', '.join(item.languages)})")
    hidden = len(texts) - REVIEW_SHOWN
    if hidden > 0:
        lines.append(ngettext("    … and {n} more", "    … and {n} more", hidden).format(n=hidden))
    return lines


@stops_update
async def protocol_command(update: Update, context: Context) -> None:
    """/protocol <sub-command> ...: show, set, dryrun, diff, history, rollback."""
    if not await _admin_only(update, context, "/protocol"):
        return
    message = update.effective_message
    assert message is not None
    args = list(context.args or [])
    sub = args[0].lower() if args else ""
    handlers = {
        "show": _show,
        "set": _set,
        "dryrun": _dryrun,
        "diff": _diff,
        "history": _history,
        "rollback": _rollback,
    }
    if sub not in handlers:
        await message.reply_text(str(USAGE))
        return
    if len(args) > 1 and not pa.valid_name(args[1]):
        await _refuse_name(update, context, f"/protocol {sub}")
        return
    await handlers[sub](update, context, args[1:])


def _audit_caller(update: Update, context: Context, action: str, detail: dict[str, Any]) -> None:
    """Write an audit entry of ``action`` by the update's sender (their Telegram id added)."""
    services = get_services(context)
    with session_scope(services.engine) as session:
        caller, _person = caller_context(session, update, services)
        audit(
            session,
            actor_id=caller.person_id,
            action=action,
            now=services.clock.now(),
            detail={**detail, "telegram_id": caller.telegram_id},
        )


def _audit_view(session: Session, update: Update, context: Context, detail: dict[str, Any]) -> None:
    """Write, in ``session``, that the update's sender viewed what ``detail`` names."""
    services = get_services(context)
    caller, _person = caller_context(session, update, services)
    audit(
        session, actor_id=caller.person_id, action="view", now=services.clock.now(), detail=detail
    )


async def _refuse_name(update: Update, context: Context, command: str) -> None:
    """Refuse a malformed protocol name (audited), saying what a name may hold."""
    message = update.effective_message
    assert message is not None
    reason = "malformed protocol name"
    _audit_caller(update, context, "refused", {"command": command, "reason": reason})
    await message.reply_text(
        _("Not a protocol name: {rule}. See /protocols.").format(rule=pa.NAME_RULE)
    )


async def _show(update: Update, context: Context, args: list[str]) -> None:
    message = update.effective_message
    assert message is not None
    if not args:
        await message.reply_text(_("Send /protocol show NAME [STAGE]"))
        return
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        active = pa.active_version(session, args[0], now)
        if active is None:
            await message.reply_text(
                _("No protocol named “{name}”. See /protocols.").format(name=quoted(args[0]))
            )
            return
        text = active.text
        shown_name = ""
        if len(args) > 1:
            protocol = parse_text(active.text, args[0])
            try:
                stage = protocol.stage(args[1].upper())
            except KeyError:
                ids = ", ".join(s.id for s in protocol.stages)
                await message.reply_text(
                    _("No stage “{stage}” in {name}: expected one of {ids}").format(
                        stage=quoted(args[1]), name=args[0], ids=ids
                    )
                )
                return
            shown_name = protocol_text(stage.name)
            text = yaml.safe_dump(
                stage.model_dump(mode="json", exclude_none=True),
                sort_keys=False,
                allow_unicode=True,
                width=100,
            )
        header = f"{active.name} v{active.version}" + (
            f" {args[1].upper()} · {shown_name}" if len(args) > 1 else ""
        )
        _audit_view(
            session,
            update,
            context,
            {"what": "protocol", "name": active.name, "version": active.version},
        )
    await message.reply_text(
        f"<b>{html.escape(header)}</b>\n" + _pre(_clip(text)), parse_mode=ParseMode.HTML
    )


def draft_key(draft: pa.Draft) -> str:
    """Return a short fingerprint of ``draft`` (name, base version and text): the buttons of a
    draft's offer carry it, so a press publishes the very draft that offer showed."""
    digest = hashlib.sha256(f"{draft.name}\0{draft.base_version}\0{draft.text}".encode())
    return base64.urlsafe_b64encode(digest.digest()[:8]).decode().rstrip("=")


def _draft_keyboard(
    context: Context, telegram_id: int, draft: pa.Draft, now: Any
) -> InlineKeyboardMarkup:
    signer = signer_of(context)
    ids = (draft_key(draft),)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("✅ Publish"), callback_data=signer.sign(ACT_PUBLISH, ids, telegram_id, now)
                ),
                InlineKeyboardButton(
                    _("🗑 Discard"), callback_data=signer.sign(ACT_DISCARD, ids, telegram_id, now)
                ),
            ]
        ]
    )


async def _offer_draft(update: Update, context: Context, draft: pa.Draft, diff: str) -> None:
    """Keep the draft, show its difference to the active version and ask to confirm."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        admin = ensure_admin_person(
            session,
            caller.telegram_id,
            user.full_name,
            person,
            now,
            services.settings.default_timezone,
        )
        audit(
            session,
            actor_id=admin.id,
            action="protocol_draft",
            now=now,
            detail={
                "name": draft.name,
                "base_version": draft.base_version,
                "summary": draft.summary,
            },
        )
        before = steps.get_step(
            session, telegram_user_id=caller.telegram_id, kind=steps.DRAFT, now=now
        )
        replaced = (
            pa.Draft.model_validate(before.payload)
            if diff and before is not None and not before.expired
            else None
        )
        if diff:
            # Kept in the database: the Publish press may reach another replica.
            steps.put_step(
                session,
                telegram_user_id=caller.telegram_id,
                kind=steps.DRAFT,
                payload=draft.model_dump(mode="json"),
                now=now,
            )
    if not diff:
        await message.reply_text(
            _("The draft of {name} is identical to the active version.").format(name=draft.name)
        )
        return
    name = html.escape(draft.name)
    dropped = ""
    if replaced is not None and draft_key(replaced) != draft_key(draft):
        # One draft at a time: say which one this replaces (its offer's Publish stops working).
        dropped = (
            _(
                "Your earlier draft of {name} ({summary}) is dropped: one draft is kept at a time."
            ).format(name=html.escape(replaced.name), summary=html.escape(replaced.summary))
            + "\n"
        )
    whole = _cut_note(diff)
    await message.reply_text(
        dropped
        + _("Draft of <b>{name}</b> ({summary}), based on v{version}. Difference:").format(
            name=name, summary=html.escape(draft.summary), version=draft.base_version
        )
        + "\n"
        + _pre(_clip(diff, DIFF_SHOWN))
        + "\n"
        + whole
        + _("/protocol dryrun {name} shows which decisions would change.").format(name=name),
        parse_mode=ParseMode.HTML,
        reply_markup=_draft_keyboard(context, user.id, draft, now),
    )
    await _send_whole_diff(message, diff, f"{draft.name}-draft-from-v{draft.base_version}.diff")


async def _refuse_invalid(update: Update, context: Context, exc: ProtocolError, what: str) -> None:
    message = update.effective_message
    assert message is not None
    detail = {"what": what, "problems": exc.problems[:10]}
    _audit_caller(update, context, "protocol_edit_refused", detail)
    # The first ten problems, and how many more there are (fixing ten, the admin should not
    # believe the file is then right).
    await message.reply_text(
        _("Not accepted; the active version is unchanged.") + "\n" + _first(exc)
    )


async def _set(update: Update, context: Context, args: list[str]) -> None:
    message = update.effective_message
    assert message is not None
    if len(args) < 4:
        await message.reply_text(
            _(
                "Send /protocol set NAME STAGE FIELD VALUE, e.g. /protocol set hamstring H3 "
                "min_days.value 5 (STAGE 'rules' for global rules, '-' for top-level fields)"
            )
        )
        return
    name, stage, field = args[0], args[1], args[2]
    value = " ".join(args[3:])
    services = get_services(context)
    now = services.clock.now()

    def make_draft() -> tuple[pa.Draft, str]:
        with session_scope(services.engine) as session:
            draft = pa.draft_from_set(session, name, stage, field, value, now)
            return draft, pa.draft_diff(session, draft, now)

    try:
        draft, diff = await asyncio.to_thread(make_draft)  # parsing is kept off the event loop
    except ProtocolError as exc:
        await _refuse_invalid(update, context, exc, f"set {name} {stage[:20]} {field[:40]}")
        return
    await _offer_draft(update, context, draft, diff)


@stops_update
async def upload(update: Update, context: Context) -> None:
    """A document from an admin: a protocol YAML file, validated and offered as a draft.

    Anyone else's document is refused (audited). The file is then handled in the background,
    so nobody waits for it: downloaded counting the bytes really read (the size Telegram
    reports is the sender's claim), measured (depth, values once aliases are expanded),
    parsed, validated and diffed on a worker thread."""
    message = update.effective_message
    assert message is not None and message.document is not None
    if not await _admin_only(update, context, "upload"):
        return
    document = message.document
    filename = shown_filename(document.file_name)
    if not filename.lower().endswith((".yaml", ".yml")):  # a phone may name it .YAML
        _refuse_upload(update, context, "not a .yaml file", document.file_size)
        await message.reply_text(
            _("Send a protocol as a YAML file (.yaml); other files are not used.")
        )
        return
    if (document.file_size or 0) > MAX_UPLOAD_BYTES:
        _refuse_upload(update, context, "too large (reported)", document.file_size)
        await message.reply_text(TOO_LARGE.format(filename=filename, kb=MAX_UPLOAD_BYTES // 1000))
        return
    context.application.create_task(
        _draft_from_document(update, context, document.file_id, filename), update=update
    )


async def _draft_from_document(
    update: Update, context: Context, file_id: str, filename: str
) -> None:
    """Download, measure, parse and diff an admin's protocol file, then offer the draft."""
    message = update.effective_message
    assert message is not None
    try:
        data = await download_within(context.bot, file_id, MAX_UPLOAD_BYTES)
    except FileTooLarge as exc:
        _refuse_upload(update, context, "too large (read)", exc.received)
        await message.reply_text(TOO_LARGE.format(filename=filename, kb=MAX_UPLOAD_BYTES // 1000))
        return
    except DownloadFailed:
        await message.reply_text(
            _("{filename} could not be fetched from Telegram; send it again.").format(
                filename=filename
            )
        )
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        _refuse_upload(update, context, "not UTF-8 text", len(data))
        await message.reply_text(
            _(
                "{filename} is not UTF-8 text: save the protocol YAML file as UTF-8 and send "
                "it again."
            ).format(filename=filename)
        )
        return
    services = get_services(context)
    now = services.clock.now()

    def make_draft() -> tuple[pa.Draft, str]:
        with session_scope(services.engine) as session:
            draft = pa.draft_from_upload(session, text, filename, now)
            return draft, pa.draft_diff(session, draft, now)

    try:
        draft, diff = await asyncio.to_thread(make_draft)
    except ProtocolError as exc:
        await _refuse_invalid(update, context, exc, f"upload of {len(data)} bytes")
        return
    await _offer_draft(update, context, draft, diff)


def shown_filename(name: str | None) -> str:
    """Return the file name to quote back: printable, at most 64 characters."""
    kept = "".join(ch for ch in (name or "") if ch.isprintable())[:64]
    return kept or "protocol.yaml"


def _refuse_upload(update: Update, context: Context, reason: str, size: int | None) -> None:
    """Audit an admin's upload that is not used (its size, never its name or content)."""
    detail = {"what": "upload", "reason": reason, "bytes": size}
    _audit_caller(update, context, "protocol_edit_refused", detail)


def _waiting_step(update: Update, context: Context, kind: str) -> steps.StoredStep | None:
    """Return the admin's stored step of ``kind`` (a draft, a rollback offer), if any."""
    user = update.effective_user
    services = get_services(context)
    with session_scope(services.engine, read_only=True) as session:
        return steps.get_step(
            session,
            telegram_user_id=user.id if user is not None else 0,
            kind=kind,
            now=services.clock.now(),
        )


def _open_draft(update: Update, context: Context) -> pa.Draft | None:
    """Return the admin's draft waiting for Publish (None if none, or it waited too long)."""
    step = _waiting_step(update, context, steps.DRAFT)
    if step is None or step.expired:
        return None
    return pa.Draft.model_validate(step.payload)


def _current_draft(update: Update, context: Context, name: str) -> pa.Draft | None:
    draft = _open_draft(update, context)
    return draft if draft is not None and draft.name == name else None


async def _dryrun(update: Update, context: Context, args: list[str]) -> None:
    message = update.effective_message
    assert message is not None
    if not args:
        await message.reply_text(_("Send /protocol dryrun NAME (after /protocol set or an upload)"))
        return
    draft = _current_draft(update, context, args[0])
    if draft is None:
        await message.reply_text(
            _(
                "There is no draft of {name} to try: make one with /protocol set or an upload."
            ).format(name=args[0])
        )
        return
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        today = local_date(person, now) if person is not None else now.date()

    def replay_all() -> pa.DryRunReport:
        # Replays take seconds with many athletes: off the event loop, in its own session.
        with session_scope(services.engine, read_only=True) as session:
            return pa.dry_run_draft(session, draft, today, now)

    await message.reply_text(
        _("Replaying examples and athletes on the draft of {name}…").format(name=draft.name)
    )
    report = await asyncio.to_thread(replay_all)
    with session_scope(services.engine) as session:
        audit(
            session,
            actor_id=caller.person_id,
            action="protocol_dryrun",
            now=now,
            detail={
                "name": draft.name,
                "cases": len(report.cases),
                "changed_days": len(report.changes),
            },
        )
    await message.reply_text(_clip(pa.render_dry_run(report, draft.name)))


async def _diff(update: Update, context: Context, args: list[str]) -> None:
    message = update.effective_message
    assert message is not None
    number = args[1].lstrip("v") if len(args) == 2 else ""
    if len(args) not in (1, 2) or (len(args) == 2 and not (number.isascii() and number.isdigit())):
        await message.reply_text(
            _("Send /protocol diff NAME [VERSION], e.g. /protocol diff hamstring 1")
        )
        return
    name, version = args[0], int(number) if number else None
    services = get_services(context)
    now = services.clock.now()

    def compare() -> pa.VersionDiff:
        # No version was ever numbered above MAX_VERSION: such a number finds nothing.
        if version is not None and version > MAX_VERSION:
            raise pa.NothingToCompare("no version")
        with session_scope(services.engine) as session:
            found = pa.version_diff(session, name, now, version)
            detail = {"what": "protocol_diff", "name": name, "against": found.other}
            _audit_view(session, update, context, detail)
            return found

    try:
        found = await asyncio.to_thread(compare)  # parsing is kept off the event loop
    except pa.NothingToCompare as missing:
        await message.reply_text(_nothing_to_compare(missing.reason, name, version))
        return
    except ProtocolError as err:
        await message.reply_text(_("Cannot compare: {problem}").format(problem=_first(err)))
        return
    if not found.diff:
        same = (
            _("{name} v{version} (active) is the same as the packaged file.")
            if found.other == "packaged"
            else _("{name} v{version} (active) is the same as {other}.")
        )
        await message.reply_text(
            same.format(name=name, version=found.active_version, other=found.other)
        )
        return
    against = (
        _("<b>{name}</b>: v{version} (active) against the packaged file:")
        if found.other == "packaged"
        else _("<b>{name}</b>: v{version} (active) against {other}:")
    )
    whole = _cut_note(found.diff)
    await message.reply_text(
        against.format(name=html.escape(name), version=found.active_version, other=found.other)
        + "\n"
        + _pre(_clip(found.diff, DIFF_SHOWN))
        + ("\n" + whole.rstrip("\n") if whole else ""),
        parse_mode=ParseMode.HTML,
    )
    await _send_whole_diff(message, found.diff, f"{name}-v{found.active_version}.diff")


def _nothing_to_compare(reason: str, name: str, version: int | None) -> str:
    if reason == "no packaged file":
        return _(
            "{name} has no packaged file to compare with: name a version, e.g. "
            "/protocol diff {name} 1"
        ).format(name=name)
    if reason == "no version":
        return _("{name} has no version {version}. See /protocol history {name}.").format(
            name=name, version=version
        )
    return _("No protocol named “{name}”. See /protocols.").format(name=quoted(name))


def _first(err: ProtocolError, shown: int = 10) -> str:
    """The first ``shown`` problems of ``err``, one per line, and how many more there are."""
    lines = err.problems[:shown]
    hidden = len(err.problems) - shown
    if hidden > 0:
        lines.append(ngettext("… and {n} more", "… and {n} more", hidden).format(n=hidden))
    return _clip("\n".join(lines), 3500)


async def _history(update: Update, context: Context, args: list[str]) -> None:
    message = update.effective_message
    assert message is not None
    if not args:
        await message.reply_text(_("Send /protocol history NAME"))
        return
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        _caller, person = caller_context(session, update, services)
        pa.active_version(session, args[0], now)
        rows = pa.history(session, args[0])
        if not rows:
            await message.reply_text(
                _("No protocol named “{name}”. See /protocols.").format(name=quoted(args[0]))
            )
            return
        zone = person.timezone if person is not None else services.settings.default_timezone
        authors = pa.author_names(session, rows)
        lines = [_("History of {name} (newest first):").format(name=args[0])]
        for row in rows:
            flag = _(" (active)") if row.active else ""
            if row.author_id is None:
                by = _("by the system")
            elif row.author_id in authors:
                by = _("by {name}").format(name=quoted(authors[row.author_id], 40))
            else:
                by = _("by an admin")
            when = format_datetime(row.created_at, zone)
            lines.append(f"• v{row.version}{flag} {when} {by}: {row.note or '-'}")
    await message.reply_text(_clip("\n".join(lines)))


async def _rollback(update: Update, context: Context, args: list[str]) -> None:
    """/protocol rollback NAME VERSION: show what the rollback would publish (the versions it
    undoes, the difference, what changes for athletes) and ask to confirm; refuse at once what
    would be refused anyway (no such version, a stranded athlete, a dropped sign-off)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    number = args[1].lstrip("v") if len(args) > 1 else ""
    if not (number.isascii() and number.isdigit()):
        await message.reply_text(
            _("Send /protocol rollback NAME VERSION, e.g. /protocol rollback hamstring 1")
        )
        return
    name, version = args[0], int(number)
    if version > MAX_VERSION:  # no version was ever numbered so high: refuse before asking
        await message.reply_text(
            _("{name} has no version {version}. See /protocol history {name}.").format(
                name=name, version=version
            )
        )
        return
    services = get_services(context)
    now = services.clock.now()

    def offer() -> tuple[pa.RollbackOffer, int | None, str]:
        # Off the event loop: it parses both texts and reads every athlete on the protocol.
        with session_scope(services.engine) as session:
            caller, person = caller_context(session, update, services)
            admin = ensure_admin_person(
                session,
                caller.telegram_id,
                user.full_name,
                person,
                now,
                services.settings.default_timezone,
            )
            zone = admin.timezone or services.settings.default_timezone
            found = pa.rollback_offer(session, name, version, admin.id, now)
            # Kept in the database: the Confirm press may reach another replica. One offer
            # at a time: a newer one replaces it (the older offer's buttons then do nothing).
            steps.put_step(
                session,
                telegram_user_id=caller.telegram_id,
                kind=steps.CONFIRM,
                payload={
                    "what": ROLLBACK_STEP,
                    "key": rollback_key(found),
                    "name": name,
                    "version": version,
                    "base_version": found.base_version,
                },
                now=now,
            )
            audit(
                session,
                actor_id=admin.id,
                action="protocol_rollback_offer",
                now=now,
                detail={"name": name, "version": version, "base_version": found.base_version},
            )
            return found, admin.id, zone

    try:
        found, admin_id, zone = await asyncio.to_thread(retrying, offer)
    except ProtocolError as exc:
        # Audited like a refused set or upload (the README: every refusal is audited).
        await _refuse_invalid(update, context, exc, f"rollback {name} v{version}")
        return
    text, cut = _rollback_offer_text(found, admin_id, now, zone)
    await message.reply_text(
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=_rollback_keyboard(context, user.id, found, now),
    )
    if cut:  # after the offer, which carries the buttons
        filename = f"{name}-v{found.base_version}-to-v{version}.diff"
        await message.reply_document(InputFile(found.diff.encode(), filename=filename))


def rollback_key(found: pa.RollbackOffer) -> str:
    """Return a short fingerprint of a rollback offer (name, version, the version in force):
    its buttons carry it, so a press confirms the very rollback that offer showed."""
    digest = hashlib.sha256(
        f"rollback\0{found.name}\0{found.version}\0{found.base_version}".encode()
    )
    return base64.urlsafe_b64encode(digest.digest()[:8]).decode().rstrip("=")


def _rollback_keyboard(
    context: Context, telegram_id: int, found: pa.RollbackOffer, now: dt.datetime
) -> InlineKeyboardMarkup:
    signer = signer_of(context)
    ids = (rollback_key(found),)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("✅ Confirm rollback"),
                    callback_data=signer.sign(ACT_ROLLBACK, ids, telegram_id, now),
                ),
                InlineKeyboardButton(
                    _("✖️ Cancel"),
                    callback_data=signer.sign(ACT_ROLLBACK_CANCEL, ids, telegram_id, now),
                ),
            ]
        ]
    )


def _rollback_offer_text(
    found: pa.RollbackOffer, admin_id: int | None, now: dt.datetime, zone: str
) -> tuple[str, bool]:
    """The offer of a rollback (HTML): what it would publish and undo, who would be told,
    what changes for athletes, and the difference to the version in force, as much of it as
    the message has room for; and whether the difference was cut (it then follows whole, as
    a file: nobody confirms a change they could only read the start of)."""
    name = html.escape(found.name)
    lines = [
        _(
            "Roll <b>{name}</b> back to v{version}? Its text would be published again as "
            "v{new_version} and put in force."
        ).format(name=name, version=found.version, new_version=found.new_version),
        ngettext(
            "{n} athlete on {name} moves to it at their next decision.",
            "{n} athletes on {name} move to it at their next decision.",
            found.athletes,
        ).format(name=name, n=found.athletes)
        if found.athletes
        else _("No athlete is on {name} now.").format(name=name),
    ]
    lines += [html.escape(line) for line in _undone_lines(found.undone, admin_id, now, zone)]
    if found.to_tell:
        names = format_and_list([quoted(n, 40) for n in found.to_tell])
        lines.append(
            html.escape(
                ngettext(
                    "{names} will be told.", "{names} will be told.", len(found.to_tell)
                ).format(names=names)
            )
        )
    if found.skipped:
        warning = pa.skipped_text(
            found.name, found.skipped, found.skipped_athletes, rollback_to=found.version
        )
        lines.append("⚠️ " + html.escape(warning))
    lines += [html.escape(line) for line in pa.prescription_lines(found.prescriptions, True)]
    lines.append(
        _("Difference (v{active}, in force now, against v{version}):").format(
            active=found.base_version, version=found.version
        )
    )
    head = "\n".join(lines) + "\n"
    tail = _("Nothing changes until you press Confirm; Cancel leaves everything as it is.")
    # What Telegram counts is the text without the tags (at most 4,096 characters).
    room = min(DIFF_SHOWN, MAX_MESSAGE - len(_visible(head + tail)) - 100)
    cut = len(found.diff) > room
    whole = _("The whole difference follows as a file.") + "\n" if cut else ""
    return head + _pre(_clip(found.diff, max(room, 200))) + "\n" + whole + tail, cut


def _visible(text: str) -> str:
    """``text`` (HTML) as Telegram shows it: without its tags, its entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


UNDONE_SHOWN = 5


def _undone_lines(
    undone: Sequence[pa.Undone], admin_id: int | None, now: dt.datetime, zone: str
) -> list[str]:
    """Lines naming the versions a rollback undoes (who published each, and when): a version
    published a moment ago by someone else is undone in plain sight, never silently."""
    if not undone:
        return []
    lines = [_("This rollback undoes:")]
    for item in undone[:UNDONE_SHOWN]:
        if item.author_id is not None and item.author_id == admin_id:
            by = _("by you")
        elif item.author_id is None:
            by = _("by the system")
        elif item.author:
            by = _("by {name}").format(name=quoted(item.author, 40))
        else:
            by = _("by an admin")
        lines.append(
            _("• v{version}, published {when} {by}").format(
                version=item.version, when=_ago(item.created_at, now, zone), by=by
            )
        )
    hidden = len(undone) - UNDONE_SHOWN
    if hidden > 0:
        lines.append(ngettext("… and {n} more.", "… and {n} more.", hidden).format(n=hidden))
    return lines


def _ago(moment: dt.datetime, now: dt.datetime, zone: str) -> str:
    """When ``moment`` was, for a phone: "just now", "5 minutes ago", "3 hours ago", or the
    date and time (in ``zone``) when it was a day ago or more."""
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        minutes = int(seconds // 60)
        return ngettext("{n} minute ago", "{n} minutes ago", minutes).format(n=minutes)
    if seconds < 86400:
        hours = int(seconds // 3600)
        return ngettext("{n} hour ago", "{n} hours ago", hours).format(n=hours)
    return format_datetime(moment, zone)


@stops_update
async def draft_button(update: Update, context: Context) -> None:
    """Publish or discard the draft shown with the buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
    try:
        press = signer_of(context).verify(query.data, query.from_user.id, now)
    except CallbackRejected as exc:
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    if not may(caller, "edit_protocols"):
        await refuse(update, context, caller, "edit_protocols needs admin", command=press.action)
        return
    draft = _open_draft(update, context)
    if draft is None or press.ids != (draft_key(draft),):
        # Another draft replaced the one this offer showed (or none is open): publishing
        # the newer one from the older offer would publish a change nobody reviewed here.
        await query.answer(_("This draft is no longer open."), show_alert=True)
        return
    name = draft.name
    if press.action == ACT_DISCARD:
        with session_scope(services.engine) as session:
            steps.drop_steps(session, telegram_user_id=caller.telegram_id, kinds=(steps.DRAFT,))
            audit(
                session,
                actor_id=caller.person_id,
                action="protocol_draft_discarded",
                now=now,
                detail={"name": name, "base_version": draft.base_version},
            )
        await query.answer(_("Discarded"))
        await query.edit_message_reply_markup(None)
        assert query.message is not None
        await context.bot.send_message(
            query.message.chat.id,
            _("Draft of {name} discarded; nothing changed.").format(name=name),
        )
        return

    def publish_draft() -> int:
        # Off the event loop: it parses the text, and may wait for another replica's publish.
        with session_scope(services.engine) as session:
            admin = ensure_admin_person(
                session,
                caller.telegram_id,
                query.from_user.full_name,
                person,
                now,
                services.settings.default_timezone,
            )
            row = pa.publish(session, draft, admin.id, now)
            steps.drop_steps(session, telegram_user_id=caller.telegram_id, kinds=(steps.DRAFT,))
            return row.version

    try:
        version = await asyncio.to_thread(retrying, publish_draft)
    except (pa.StaleDraftError, ProtocolError) as exc:
        with session_scope(services.engine) as session:
            steps.drop_steps(session, telegram_user_id=caller.telegram_id, kinds=(steps.DRAFT,))
        problems = exc.problems if isinstance(exc, ProtocolError) else [str(exc)]
        detail = {"what": f"publish {name} (from v{draft.base_version})", "problems": problems[:10]}
        _audit_caller(update, context, "protocol_edit_refused", detail)
        await query.answer(_("Not published"), show_alert=True)
        assert query.message is not None
        await context.bot.send_message(
            query.message.chat.id, _("Not published: {reason}.").format(reason=exc)
        )
        return
    await query.answer(_("Published v{version}").format(version=version))
    await query.edit_message_reply_markup(None)
    assert query.message is not None
    await context.bot.send_message(
        query.message.chat.id,
        _(
            "{name} v{version} is published and active. Athletes move to it at their next "
            "decision; every decision records the version it used."
        ).format(name=name, version=version),
    )


class _OfferGone(Exception):
    """The rollback offer a press confirms or cancels is no longer waiting (done, cancelled,
    replaced by a newer offer, or too old)."""


def _is_offer(step: steps.StoredStep | None, key: str) -> TypeGuard[steps.StoredStep]:
    """Whether ``step`` is the admin's waiting rollback offer with fingerprint ``key``."""
    return (
        step is not None
        and not step.expired
        and step.payload.get("what") == ROLLBACK_STEP
        and step.payload.get("key") == key
    )


def _take_offer(session: Session, telegram_id: int, key: str, now: dt.datetime) -> dict[str, Any]:
    """Remove the admin's waiting rollback offer with fingerprint ``key`` and return it; raise
    _OfferGone (rolling the transaction back, so another offer stays) if it is not that one.
    Two presses at once, even on two replicas, take it once: the second waits for the
    first's transaction and finds nothing."""
    step = steps.take_step(session, telegram_user_id=telegram_id, kind=steps.CONFIRM, now=now)
    if not _is_offer(step, key):
        raise _OfferGone
    return step.payload


@stops_update
async def rollback_button(update: Update, context: Context) -> None:
    """Confirm or cancel the rollback the offer with the buttons showed. A press on an offer
    no longer waiting changes nothing; a rollback whose protocol changed since the offer is
    refused as stale (the admin confirmed what the offer showed, not what it would undo now).
    """
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
    try:
        press = signer_of(context).verify(query.data, query.from_user.id, now)
    except CallbackExpired as exc:
        if may(caller, "edit_protocols"):  # their own button, too old: say so, do nothing
            await query.answer(_(ROLLBACK_CLOSED), show_alert=True)
            return
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    except CallbackRejected as exc:
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    if not may(caller, "edit_protocols"):
        await refuse(update, context, caller, "edit_protocols needs admin", command=press.action)
        return
    key = press.ids[0] if press.ids else ""
    chat_id = query.message.chat.id
    if press.action == ACT_ROLLBACK_CANCEL:

        def cancel() -> dict[str, Any]:
            with session_scope(services.engine) as session:
                payload = _take_offer(session, caller.telegram_id, key, now)
                audit(
                    session,
                    actor_id=caller.person_id,
                    action="protocol_rollback_cancelled",
                    now=now,
                    detail={
                        "name": payload["name"],
                        "version": payload["version"],
                        "base_version": payload["base_version"],
                    },
                )
                return payload

        try:
            payload = await asyncio.to_thread(retrying, cancel)
        except _OfferGone:
            await query.answer(_(ROLLBACK_CLOSED), show_alert=True)
            return
        await query.answer(_("Cancelled"))
        await query.edit_message_reply_markup(None)
        await context.bot.send_message(
            chat_id,
            _("Rollback of {name} to v{version} cancelled; nothing changed.").format(
                name=payload["name"], version=payload["version"]
            ),
        )
        return

    def roll_back() -> tuple[pa.RolledBack, dict[str, Any]]:
        # Off the event loop: it parses the text, and may wait for another replica's publish.
        # The offer is taken in the same transaction: a refused rollback leaves it waiting
        # until it is dropped below, a done one is gone, so a second press does nothing.
        with session_scope(services.engine) as session:
            payload = _take_offer(session, caller.telegram_id, key, now)
            admin = ensure_admin_person(
                session,
                caller.telegram_id,
                query.from_user.full_name,
                person,
                now,
                services.settings.default_timezone,
            )
            done = pa.rollback_telling(
                session,
                str(payload["name"]),
                int(payload["version"]),
                admin.id,
                now,
                expected_active=int(payload["base_version"]),
            )
            return done, payload

    try:
        done, payload = await asyncio.to_thread(retrying, roll_back)
    except _OfferGone:
        await query.answer(_(ROLLBACK_CLOSED), show_alert=True)
        return
    except (pa.StaleDraftError, ProtocolError) as exc:
        offered = _open_rollback(update, context, key)
        # Dropped, as a refused draft is (another offer, if one replaced it, stays: the
        # scope rolls back when this one is gone).
        with contextlib.suppress(_OfferGone), session_scope(services.engine) as session:
            _take_offer(session, caller.telegram_id, key, now)
        problems = exc.problems if isinstance(exc, ProtocolError) else [str(exc)]
        what = (
            f"rollback {offered['name']} v{offered['version']} (offered at "
            f"v{offered['base_version']})"
            if offered is not None
            else "rollback"
        )
        _audit_caller(
            update, context, "protocol_edit_refused", {"what": what, "problems": problems[:10]}
        )
        await query.answer(_("Not rolled back"), show_alert=True)
        await context.bot.send_message(chat_id, _("Not rolled back: {reason}.").format(reason=exc))
        return
    if done.told:
        kick_sender(context.application)  # the other admins' notices, committed above
    await query.answer(_("Rolled back"))
    await query.edit_message_reply_markup(None)
    lines = [
        _(
            "{name}: the text of v{version} is published again as v{new_version} (active). "
            "Athletes move to it at their next decision."
        ).format(name=payload["name"], version=payload["version"], new_version=done.row.version)
    ]
    if done.told:
        names = format_and_list([quoted(n, 40) for n in done.told])
        lines.append(
            ngettext("{names} has been told.", "{names} have been told.", len(done.told)).format(
                names=names
            )
        )
    await context.bot.send_message(chat_id, _clip("\n".join(lines)))


def _open_rollback(update: Update, context: Context, key: str) -> dict[str, Any] | None:
    """Return the admin's rollback offer with fingerprint ``key`` if it still waits."""
    step = _waiting_step(update, context, steps.CONFIRM)
    if not _is_offer(step, key):
        return None
    return step.payload


async def ensure_admin_people(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Give every configured admin a stored person (role admin) at start-up, so the athlete
    flow never mistakes an admin for a newcomer and the audit log can name them; tell anyone
    removed from ADMIN_TELEGRAM_IDS, once, that their admin rights have ended (audited)."""
    services = application.bot_data[SERVICES_KEY]
    if services.engine is None:
        return
    now = services.clock.now()
    with session_scope(services.engine) as session:
        revoked = sync_admins(
            session, services.settings.admin_telegram_ids, now, services.settings.default_timezone
        )
        revoked_ids = [p.id for p in revoked]
    if revoked_ids:
        _LOGGER.warning(
            "admin rights ended for person(s) %s (not in ADMIN_TELEGRAM_IDS)", revoked_ids
        )
        kick_sender(application)


async def former_admin_reply(update: Update, context: Context) -> None:
    """Answer a message no handler took from someone whose admin access was removed (stored
    as an admin, no longer in ADMIN_TELEGRAM_IDS), who would otherwise get no reply at all:
    /delete removes their stored record at once; anything else is told, in one message, that
    their access was removed and what they can still do. Anyone else's passes by."""
    message = update.effective_message
    services = get_services(context)
    if message is None or services.engine is None or refused_already(context):
        return
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        if not former_admin(caller, person):
            return
        assert person is not None
        words = (message.text or "").split()
        command = words[0].lstrip("/").split("@")[0].lower() if words else ""
        if words and words[0].startswith("/") and command == "delete":
            forget_former_admin(session, person, now)
            reply = str(texts.FORMER_ADMIN_DELETED)
        else:
            reply = str(texts.FORMER_ADMIN)
    await message.reply_text(reply)
    raise ApplicationHandlerStop


def forget_former_admin(session: Session, person: Person, now: dt.datetime) -> None:
    """Remove a former admin's own stored record (their name, chat, Telegram account,
    language, time zone, waiting drafts or steps, every message to them and their Telegram
    id in the audit log), in the caller's transaction (``repo.data_rights.forget_staff``).

    The row itself stays, nameless and out of reach: protocol versions, invites and alert
    acknowledgements they made point at it, and those records must keep saying that an admin
    (now a number) did them. Their Telegram id is replaced by a negative number no Telegram
    user has, so a later message from them comes from a stranger."""
    assert person.id is not None
    forget_staff(session, person_id=person.id, now=now)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the protocol commands, the document upload, the Publish/Discard and rollback
    Confirm/Cancel buttons and the start-up hook that registers the admins."""
    add_startup_hook(application, ensure_admin_people)
    g = STAFF_GROUP
    application.add_handler(CommandHandler("protocols", protocols_command), group=g)
    application.add_handler(CommandHandler("protocol", protocol_command), group=g)
    application.add_handler(MessageHandler(filters.Document.ALL, upload), group=g)
    application.add_handler(
        CallbackQueryHandler(draft_button, pattern=rf"^({ACT_PUBLISH}|{ACT_DISCARD}):"), group=g
    )
    application.add_handler(
        CallbackQueryHandler(rollback_button, pattern=rf"^({ACT_ROLLBACK}|{ACT_ROLLBACK_CANCEL}):"),
        group=g,
    )
    # Last of all, after every athlete and staff handler passed it by.
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED, former_admin_reply),
        group=FALLBACK_GROUP,
    )
