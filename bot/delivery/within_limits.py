"""The bot every message leaves through: texts, captions and button answers fitted to
Telegram's limits at the last moment, whoever composed them.

:class:`WithinLimitsBot` is the Application's bot (``bot.app``), so every call goes through it:
``reply_text``, ``send_message``, the raw ``do_api_request`` calls of the athlete flow and the
outbox sender, edits, photos, documents and button answers. It hooks the one place
python-telegram-bot itself documents for this (``_do_post``, where ``ExtBot`` adds its rate
limiter) and applies :func:`fit_call`:

- a message text over 4,096 UTF-16 units is sent as several messages, cut at paragraph, line,
  sentence or word boundaries; the buttons go with the last part (an answer to a message goes
  with the first);
- an edited text is shortened (an edit cannot become two messages), a caption to 1,024 and a
  button answer to 200, with an ellipsis;
- an HTML text too long to send is sent as its plain visible text instead;
- bidirectional control characters are removed from every text (they can reverse the text
  that follows them on the reader's screen).

The outbox splits long texts when they are queued already (``bot.store.repo.messaging``), so
each part is one row, sent and retried on its own; this is the guarantee for everything else.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import ExtBot

from bot.support.limits import (
    CALLBACK_ANSWER_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    fit_text,
    split_text,
    utf16_len,
    visible_html,
    without_bidi_controls,
)

_LOGGER = logging.getLogger(__name__)
JSONDict = dict[str, Any]

# Bot API methods (lower case: method names are case-insensitive) and the text they carry.
_SPLIT = frozenset({"sendmessage"})
_FIT_TEXT = {"editmessagetext": TEXT_LIMIT, "answercallbackquery": CALLBACK_ANSWER_LIMIT}
_CAPTIONED = frozenset(
    {
        "sendphoto",
        "senddocument",
        "sendvideo",
        "sendaudio",
        "sendanimation",
        "sendvoice",
        "editmessagecaption",
    }
)
# A split message: the keyboard belongs under its last part, a quoted reply to its first.
_LAST_PART_ONLY = frozenset({"reply_markup"})
_FIRST_PART_ONLY = frozenset({"reply_parameters", "reply_to_message_id"})


def _plain(params: JSONDict, key: str, limit: int) -> JSONDict:
    """Return ``params`` with ``key`` free of bidi controls and, when its formatted text is
    too long to send, its plain visible text without a parse mode."""
    text = without_bidi_controls(str(params[key]))
    out = {**params, key: text}
    mode = str(params.get("parse_mode") or "").lower()
    visible = visible_html(text) if mode == "html" else text
    if utf16_len(visible) > limit and mode:
        out[key] = visible
        out.pop("parse_mode", None)
        out.pop("entities" if key == "text" else "caption_entities", None)
    return out


def fit_call(method: str, params: JSONDict) -> list[JSONDict]:
    """Return the Bot API calls (parameters, in order) that carry ``method(params)`` within
    Telegram's limits: usually ``[params]`` itself (bidi controls removed), several
    ``sendMessage`` calls for a long text, or ``params`` with a shortened text."""
    name = method.lower()
    if name in _SPLIT and isinstance(params.get("text"), str):
        fitted = _plain(params, "text", TEXT_LIMIT)
        if fitted.get("parse_mode"):
            return [fitted]  # still formatted: what Telegram shows fits (never cut a tag)
        parts = split_text(fitted["text"], TEXT_LIMIT)
        if len(parts) == 1:
            return [fitted]
        fitted.pop("entities", None)
        calls = []
        for index, part in enumerate(parts):
            call = {
                key: value
                for key, value in fitted.items()
                if (key not in _LAST_PART_ONLY or index == len(parts) - 1)
                and (key not in _FIRST_PART_ONLY or index == 0)
            }
            call["text"] = part
            calls.append(call)
        return calls
    if name in _FIT_TEXT and isinstance(params.get("text"), str):
        limit = _FIT_TEXT[name]
        fitted = _plain(params, "text", limit)
        if not fitted.get("parse_mode") and utf16_len(fitted["text"]) > limit:
            fitted["text"] = fit_text(fitted["text"], limit)
            fitted.pop("entities", None)
        return [fitted]
    if name in _CAPTIONED and isinstance(params.get("caption"), str):
        fitted = _plain(params, "caption", CAPTION_LIMIT)
        if not fitted.get("parse_mode") and utf16_len(fitted["caption"]) > CAPTION_LIMIT:
            fitted["caption"] = fit_text(fitted["caption"], CAPTION_LIMIT)
            fitted.pop("caption_entities", None)
        return [fitted]
    return [params]


class WithinLimitsBot(ExtBot[Any]):
    """python-telegram-bot's ExtBot, with every call fitted by :func:`fit_call` first."""

    async def _do_post(
        self, endpoint: str, data: JSONDict, **timeouts: Any
    ) -> bool | JSONDict | list[JSONDict]:
        calls = fit_call(endpoint, data)
        if len(calls) > 1:
            _LOGGER.info(
                "long message to chat %s sent in %d parts", data.get("chat_id"), len(calls)
            )
        result: bool | JSONDict | list[JSONDict] = False
        for call in calls:
            result = await super()._do_post(endpoint, call, **timeouts)
        return result
