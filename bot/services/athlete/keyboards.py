"""Inline keyboards for questionnaire steps, and their compact callback data.

Callback data is ``q:<progress_id>:<step_index>:<payload>:<tag>`` (at most 64 bytes,
Telegram's limit). The progress id and step index let a press on an old message be recognised
as stale; the tag (the first hex digits of the questionnaire's layout, see
``Questionnaire.layout``) says in which layout the step index was counted, so a button left on
screen from before a resync is never read against another question. Buttons sent before tags
existed carry none (``q:<progress_id>:<step_index>:<payload>``) and still work.
Payload: ``<n>`` answers with option n, ``t<n>`` toggles option n of a multi-select,
``ok`` submits the ticked options, ``no`` answers "none of these".
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import TelegramObject

from bot.services import texts
from bot.services.questionnaires.model import Option, Question
from bot.support.i18n import text

PREFIX = "q"
MAX_CALLBACK_BYTES = 64
TAG_LENGTH = 4  # hex digits of the layout a button carries
CALLBACK_PATTERN = r"^q:\d{1,19}:\d{1,3}:(?:\d{1,3}|t\d{1,3}|ok|no|b|r)(?::[0-9a-f]{4})?$"
_T = TypeVar("_T")
_PARSE = re.compile(
    r"q:(\d{1,19}):(\d{1,3}):(\d{1,3}|t\d{1,3}|ok|no|b|r)(?::([0-9a-f]{4}))?", re.ASCII
)
# A progress id is a row id, at most a 64-bit integer: a larger number is crafted, never one
# of our buttons (and the database would refuse to compare with it).
_MAX_PROGRESS_ID = 2**63 - 1


@dataclass(frozen=True)
class Press:
    """A decoded button press: which questionnaire, which step, what was pressed, and the
    tag of the layout its step was counted in (None: a button from before tags)."""

    progress_id: int
    step: int
    action: str  # "answer" | "toggle" | "submit" | "none" | "back" | "restart"
    option: int | None = None
    layout: str | None = None


def layout_tag(layout: str) -> str:
    """Return the short tag of a questionnaire layout that its buttons carry."""
    return layout[:TAG_LENGTH]


def pack(progress_id: int, step: int, payload: str, tag: str = "") -> str:
    """Return callback data for a button (with the layout ``tag`` when given); raises
    ValueError if it would exceed 64 bytes or not parse back."""
    data = f"{PREFIX}:{progress_id}:{step}:{payload}" + (f":{tag}" if tag else "")
    if len(data.encode()) > MAX_CALLBACK_BYTES or not _PARSE.fullmatch(data):
        raise ValueError(f"invalid callback data: {data!r}")
    return data


def unpack(data: str | None) -> Press | None:
    """Decode callback data; None if it is not ours or malformed (including a progress id
    no row can have)."""
    if not data:
        return None
    match = _PARSE.fullmatch(data)
    if not match:
        return None
    progress_id, step, payload = int(match.group(1)), int(match.group(2)), match.group(3)
    tag = match.group(4)
    if progress_id > _MAX_PROGRESS_ID:
        return None
    actions = {"ok": "submit", "no": "none", "b": "back", "r": "restart"}
    if payload in actions:
        return Press(progress_id, step, actions[payload], layout=tag)
    if payload.startswith("t"):
        return Press(progress_id, step, "toggle", int(payload[1:]), layout=tag)
    return Press(progress_id, step, "answer", int(payload), layout=tag)


def _rows(buttons: Sequence[_T], per_row: int) -> list[list[_T]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def _per_row(labels: Sequence[str]) -> int:
    longest = max((len(label) for label in labels), default=0)
    if longest <= 6:
        return 4
    if longest <= 14:
        return 3 if longest <= 10 else 2
    return 2 if longest <= 18 else 1


def question_keyboard(
    progress_id: int,
    step: int,
    question: Question,
    options: Sequence[Option],
    ticked: Sequence[int] = (),
    *,
    back: bool = False,
    restart: bool = False,
    layout: str = "",
) -> Keyboard | None:
    """Return the buttons for one step (None when the step is answered only by typing and
    has no earlier answer to go back to); ``back`` adds "◀ Back". ``layout``: the layout of
    the questionnaire ``step`` is counted in (its tag goes on every button)."""
    if not options and not back and not restart:
        return None
    # Every label is turned into the reader's language before the cached builders, so the
    # caches key on the translated text (one entry per language).
    multi = question.kind == "multi"
    none_label = (text(question.none_label) or text(texts.NONE_OF_THESE)) if multi else ""
    return _keyboard(
        progress_id,
        step,
        question.kind,
        (none_label, text(texts.DONE) if multi else ""),
        tuple(option.shown for option in options),
        tuple(ticked),
        str(texts.BACK) if back else "",
        str(texts.START_OVER) if restart else "",
        layout_tag(layout),
    )


Layout = tuple[tuple[tuple[str, str], ...], ...]  # rows of (button text, callback payload)


@functools.lru_cache(maxsize=1024)
def _layout(
    kind: str,
    none_done: tuple[str, str],
    labels: tuple[str, ...],
    ticked: tuple[int, ...],
    back: str = "",
    restart: str = "",
) -> Layout:
    """Return the rows of (text, payload) of a step's buttons: the same for every athlete."""
    rows = list(_answer_rows(kind, none_done, labels, ticked))
    extra = [(label, payload) for label, payload in ((back, "b"), (restart, "r")) if label]
    if extra:
        rows.append(tuple(extra))
    return tuple(rows)


def _answer_rows(
    kind: str, none_done: tuple[str, str], labels: tuple[str, ...], ticked: tuple[int, ...]
) -> Layout:
    if not labels:
        return ()
    buttons = [(label, str(i)) for i, label in enumerate(labels)]
    if kind == "multi":
        rows = [
            [(("☑️ " if i in ticked else "▫️ ") + label, f"t{i}")] for i, label in enumerate(labels)
        ]
        rows.append([(none_done[0], "no"), (none_done[1], "ok")])
    elif kind == "scale10":
        rows = [buttons[:6], buttons[6:11], *_rows(buttons[11:], 2)]
    elif kind == "hooper":
        rows = [buttons[:1], buttons[1:6], buttons[6:7], *_rows(buttons[7:], 2)]
    else:
        rows = _rows(buttons, _per_row(labels))
    return tuple(tuple(row) for row in rows if row)


@dataclass(frozen=True)
class Button:
    """One inline button of a questionnaire step."""

    text: str
    callback_data: str


@dataclass(frozen=True)
class Keyboard:
    """A questionnaire step's inline keyboard: its rows of buttons and the ``reply_markup``
    JSON the Bot API takes (plain data: building PTB objects for every answer costs more
    than storing the answer)."""

    inline_keyboard: tuple[tuple[Button, ...], ...]
    json: str

    def to_dict(self) -> dict[str, Any]:
        """Return the ``reply_markup`` object, as ``InlineKeyboardMarkup.to_dict`` would."""
        return _markup_dict(self.inline_keyboard)


# A keyboard depends only on these hashable parts and is immutable, so a step's buttons are
# built once and shared by every later message showing that step.
@functools.lru_cache(maxsize=4096)
def _keyboard(
    progress_id: int,
    step: int,
    kind: str,
    none_done: tuple[str, str],
    labels: tuple[str, ...],
    ticked: tuple[int, ...],
    back: str = "",
    restart: str = "",
    tag: str = "",
) -> Keyboard:
    rows = tuple(
        tuple(Button(label, pack(progress_id, step, payload, tag)) for label, payload in row)
        for row in _layout(kind, none_done, labels, ticked, back, restart)
    )
    return Keyboard(rows, json.dumps(_markup_dict(rows)))


def _markup_dict(rows: Sequence[Sequence[Button]]) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [{"text": b.text, "callback_data": b.callback_data} for b in row] for row in rows
        ]
    }


def markup_json(markup: Keyboard | TelegramObject) -> str:
    """Return ``markup`` as the JSON the Bot API takes for ``reply_markup``."""
    if isinstance(markup, Keyboard):
        return markup.json
    return json.dumps(markup.to_dict())


WHY_PATTERN = r"^why:[md]:\d{8}$"
_WHY = re.compile(r"why:([md]):(\d{8})", re.ASCII)


def why_keyboard(kind: str, day: Any) -> Keyboard:
    """Return the "Why?" button of a verdict ("m") or a session decision ("d") of ``day``."""
    button = Button(str(texts.WHY_BUTTON), f"why:{kind}:{day:%Y%m%d}")
    rows = ((button,),)
    return Keyboard(rows, json.dumps(_markup_dict(rows)))


def unpack_why(data: str | None) -> tuple[str, Any] | None:
    """Decode a "Why?" press: the kind and the day, or None if it is not one."""
    import datetime as dt

    match = _WHY.fullmatch(data or "")
    if match is None:
        return None
    try:
        day = dt.datetime.strptime(match.group(2), "%Y%m%d").date()
    except ValueError:
        return None
    return match.group(1), day
