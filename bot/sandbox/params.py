"""Decode Bot API request parameters from JSON, form-encoded and multipart bodies."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.state import bad_request

# Telegram types parameters per field; clients such as python-telegram-bot send every value as
# a form field, JSON-encoding everything that is not already a string.
_JSON_FIELDS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "commands",
    "scope",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
    "menu_button",
    "media",
}
_INT_FIELDS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "cache_time",
    "user_id",
    "reply_to_message_id",
    "max_connections",
    "message_thread_id",
}
_FLOAT_FIELDS = {"latitude", "longitude"}
_BOOL_FIELDS = {
    "disable_notification",
    "protect_content",
    "show_alert",
    "drop_pending_updates",
    "disable_web_page_preview",
    "allow_sending_without_reply",
    "disable_content_type_detection",
    "has_spoiler",
    "allow_paid_broadcast",
}


def decode_value(name: str, raw: str) -> Any:
    """Return the typed value of form field ``name`` given its string form."""
    if name in _JSON_FIELDS:
        try:
            return json.loads(raw)
        except json.JSONDecodeError as err:
            raise bad_request(f"can't parse {name} JSON object") from err
    if name in _INT_FIELDS:
        try:
            return int(raw)
        except ValueError:
            pass
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if number.is_integer() else number
    if name in _FLOAT_FIELDS:
        try:
            return float(raw)
        except ValueError as err:
            raise bad_request(f"field {name!r} must be a Float") from err
    if name in _BOOL_FIELDS:
        return raw.strip().lower() in {"true", "1"}
    return raw


def decode_json_body(body: bytes) -> dict[str, Any]:
    """Return the parameters of an application/json request body."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except json.JSONDecodeError as err:
        raise bad_request("can't parse JSON request body") from err
    if not isinstance(data, dict):
        raise bad_request("request body must be a JSON object")
    params: dict[str, Any] = {}
    for name, value in data.items():
        params[name] = decode_value(name, value) if isinstance(value, str) else value
    return params


def decode_form(arguments: dict[str, list[bytes]]) -> dict[str, Any]:
    """Return the parameters of a query string, form-encoded or multipart request."""
    params: dict[str, Any] = {}
    for name, values in arguments.items():
        if values:
            params[name] = decode_value(name, values[-1].decode("utf-8"))
    return params


def int_param(params: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    """Return parameter ``name`` as an int, or raise Telegram's 400 when missing or wrong."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise bad_request(f"{name} is empty" if name != "chat_id" else "chat_id is empty")
        return None
    if isinstance(value, bool):
        raise bad_request(f"field {name!r} must be an Integer")
    if isinstance(value, float) and name == "timeout":
        return int(value)  # a fractional long-poll timeout is rounded down
    try:
        return int(value)
    except (TypeError, ValueError) as err:
        if name == "chat_id":
            raise bad_request("chat not found") from err
        raise bad_request(f"field {name!r} must be an Integer") from err
