"""Inline-button data that cannot be forged, tampered with or replayed by another user.

A button carries ``<action>:<ids>:<issued>:<mac>``. The MAC is a truncated HMAC-SHA256 over
the action, the ids, the issue time and the Telegram id of the one person the button was made
for, under a per-deployment secret. A client can send any callback data it likes, so a handler
trusts nothing in it until :meth:`CallbackSigner.verify` has checked it for the *presser's* id:
a button copied to, or crafted by, someone else fails that check.

The whole string stays within Telegram's 64-byte limit (checked when signing).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

MAX_CALLBACK_BYTES = 64
_MAC_BYTES = 9  # 72 bits, 12 base64url characters
_ACTION_RE = re.compile(r"^[a-z][a-z0-9_]{0,11}$")
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
DEFAULT_MAX_AGE = dt.timedelta(days=30)


class CallbackRejected(Exception):
    """Raised when button data is malformed, forged, made for someone else, or too old."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignedCallback(BaseModel):
    """A verified button press: what to do and on which ids."""

    model_config = ConfigDict(frozen=True)

    action: str
    ids: tuple[str, ...]
    issued_at: dt.datetime

    def int_id(self, index: int) -> int:
        """Return id number ``index`` as an int; raise CallbackRejected if it is not one."""
        try:
            return int(self.ids[index])
        except (IndexError, ValueError) as exc:
            raise CallbackRejected(f"id {index} missing or not a number") from exc


class CallbackExpired(CallbackRejected):
    """Raised for a button made for the presser (its signature matches) that is too old.

    ``press`` is what the button said: it may tell the presser that the button is too old
    (rather than refuse them as a stranger), never to act on it.
    """

    def __init__(self, press: SignedCallback) -> None:
        super().__init__("button has expired")
        self.press = press


def derive_secret(bot_token: str, explicit_secret: str | None = None) -> bytes:
    """Return the signing key: the configured secret if set, else a key derived from the token.

    Deriving from the token keeps buttons valid across restarts without extra configuration,
    while the derived key itself never equals the token.
    """
    if explicit_secret:
        return hashlib.sha256(explicit_secret.encode()).digest()
    return hmac.new(b"sprintback-callback-v1", bot_token.encode(), hashlib.sha256).digest()


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if number == 0:
        return "0"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out


class CallbackSigner:
    """Signs and verifies button data for one deployment secret."""

    def __init__(self, secret: bytes, max_age: dt.timedelta = DEFAULT_MAX_AGE) -> None:
        if len(secret) < 16:
            raise ValueError("the callback secret must be at least 16 bytes")
        self._secret = secret
        self._max_age = max_age

    def _mac(self, action: str, ids: Sequence[str], issued: str, telegram_id: int) -> str:
        message = "|".join([action, ".".join(ids), issued, str(telegram_id)]).encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(
        self,
        action: str,
        ids: Sequence[int | str],
        for_telegram_id: int,
        now: dt.datetime,
    ) -> str:
        """Return callback data for ``action`` on ``ids`` that only ``for_telegram_id`` can use.

        Raises ValueError if the action or an id has characters outside the allowed set, or the
        result would exceed Telegram's 64 bytes.
        """
        if not _ACTION_RE.match(action):
            raise ValueError(f"callback action {action!r}: use 1-12 lowercase letters/digits/_")
        id_texts = [str(i) for i in ids]
        for text in id_texts:
            if not _ID_RE.match(text):
                raise ValueError(f"callback id {text!r}: use letters, digits, _ or -")
        issued = _b36(int((now - _EPOCH).total_seconds() // 60))
        mac = self._mac(action, id_texts, issued, for_telegram_id)
        data = f"{action}:{'.'.join(id_texts)}:{issued}:{mac}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data is {len(data.encode())} bytes, Telegram allows 64")
        return data

    def verify(self, data: str, presser_telegram_id: int, now: dt.datetime) -> SignedCallback:
        """Return the press if ``data`` was signed for ``presser_telegram_id`` and is fresh.

        Raises CallbackRejected naming why (malformed, bad signature) otherwise, and its
        subclass CallbackExpired for a button signed for the presser but too old.
        """
        parts = data.split(":")
        if len(parts) != 4:
            raise CallbackRejected("malformed callback data")
        action, id_part, issued, mac = parts
        ids = tuple(id_part.split(".")) if id_part else ()
        if not _ACTION_RE.match(action) or not all(_ID_RE.match(i) for i in ids):
            raise CallbackRejected("malformed callback data")
        expected = self._mac(action, ids, issued, presser_telegram_id)
        if not hmac.compare_digest(expected, mac):
            raise CallbackRejected("signature does not match the presser")
        try:
            issued_at = _EPOCH + dt.timedelta(minutes=int(issued, 36))
        except ValueError as exc:
            raise CallbackRejected("malformed issue time") from exc
        press = SignedCallback(action=action, ids=ids, issued_at=issued_at)
        if now - issued_at > self._max_age:
            raise CallbackExpired(press)
        return press

    def pattern(self, actions: Sequence[str]) -> str:
        """Return a regex matching callback data of the given actions (for CallbackQueryHandler)."""
        return "^(" + "|".join(re.escape(a) for a in actions) + "):"
