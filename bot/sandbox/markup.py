"""Check reply_markup the way Telegram does and describe what it shows the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.state import bad_request

MAX_CALLBACK_DATA_BYTES = 64
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


@dataclass
class Markup:
    """What a reply_markup parameter does to the chat."""

    inline_keyboard: list[list[dict[str, Any]]] = field(default_factory=list)
    reply_keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False
    force_reply: bool = False

    def inline_json(self) -> dict[str, Any] | None:
        """Return the reply_markup Telegram echoes in the Message (inline keyboards only)."""
        if not self.inline_keyboard:
            return None
        return {"inline_keyboard": self.inline_keyboard}


def parse_markup(value: Any, *, inline_only: bool = False) -> Markup:
    """Validate a decoded reply_markup and return what it shows.

    Raises ApiError 400 with Telegram's wording for what Telegram refuses: a callback_data
    longer than 64 bytes, a button with no text, a button with no action, a malformed keyboard.
    """
    if value is None:
        return Markup()
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in value:
        return Markup(inline_keyboard=_inline_keyboard(value["inline_keyboard"]))
    if inline_only:
        raise bad_request("only inline keyboards are allowed here")
    if "keyboard" in value:
        return Markup(reply_keyboard=_reply_keyboard(value["keyboard"]))
    if value.get("remove_keyboard") is True:
        return Markup(remove_keyboard=True)
    if value.get("force_reply") is True:
        return Markup(force_reply=True)
    raise bad_request("can't parse reply keyboard markup JSON object")


def _rows(value: Any, what: str) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise bad_request(f'field "{what}" of the reply markup must be an Array of Arrays')
    return value


def _inline_keyboard(value: Any) -> list[list[dict[str, Any]]]:
    rows = _rows(value, "inline_keyboard")
    checked: list[list[dict[str, Any]]] = []
    for row in rows:
        checked_row: list[dict[str, Any]] = []
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise bad_request("text buttons are unallowed in the inline keyboard")
            actions = [name for name in _INLINE_ACTIONS if name in button]
            if len(actions) != 1:
                raise bad_request(
                    "inline keyboard button must have exactly one of "
                    f"{', '.join(_INLINE_ACTIONS[:3])}, ... (button {button.get('text')!r})"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                size = len(str(data).encode("utf-8"))
                if not isinstance(data, str) or not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")
            checked_row.append(dict(button))
        if checked_row:
            checked.append(checked_row)
    return checked


def _reply_keyboard(value: Any) -> list[list[str]]:
    rows = _rows(value, "keyboard")
    labels: list[list[str]] = []
    for row in rows:
        row_labels: list[str] = []
        for button in row:
            label = button.get("text") if isinstance(button, dict) else button
            if not isinstance(label, str) or not label.strip():
                raise bad_request("keyboard button text must be non-empty")
            row_labels.append(label)
        labels.append(row_labels)
    if not any(labels):
        raise bad_request("keyboard must be non-empty")
    return labels
