"""names cleaned again: stored names lose invisible characters and number signs

Names have been cleaned when stored since 0003 (controls, bidirectional controls). Since then
the cleaning also drops invisible format characters (U+200B, U+2060, U+FEFF, U+00AD ...),
turns fillers and blanks into spaces, and drops a number sign before a number, so that no
two names look alike and no name carries another athlete's number ("Anna (#2)"). A name is
stored once, when the person first writes, so the names stored before that keep what they
had: this migration cleans them as a new name is cleaned today. A name that would show
nothing becomes "" (it is shown as the person's number).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As bot.support.limits.clean_name at the time of this migration (a migration never imports
# the code it may outlive).
_BIDI = {ord(ch): None for ch in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}
_BLANKS = frozenset("\u115f\u1160\u2800\u3164\uffa0")
_INVISIBLE_MARKS = frozenset("\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f")
_JOINERS = frozenset("\u200c\u200d")
_KEYCAP = "\u20e3"
_BLACK_FLAG = "\U0001f3f4"
_SHAPED_SCRIPTS_FROM = 0x0530
_LIMIT = 200


def _is_variation_selector(ch: str) -> bool:
    return "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"


def _is_tag(ch: str) -> bool:
    return "\U000e0020" <= ch <= "\U000e007f"


def _is_emoji_part(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk") or _is_variation_selector(ch)


def _is_shaped_letter(ch: str) -> bool:
    return ord(ch) >= _SHAPED_SCRIPTS_FROM and unicodedata.category(ch)[0] in ("L", "M")


def _keeps_invisible(before: str, ch: str, after: str) -> bool:
    if ch in _JOINERS:
        emoji = bool(before) and bool(after) and _is_emoji_part(before) and _is_emoji_part(after)
        shaped = bool(before) and bool(after) and _is_shaped_letter(before)
        return emoji or (shaped and _is_shaped_letter(after))
    if _is_variation_selector(ch):
        keycap = before in tuple("0123456789#*") and after == _KEYCAP
        return bool(before) and (_is_emoji_part(before) or ord(before) >= 0x2E80 or keycap)
    if _is_tag(ch):
        return before == _BLACK_FLAG or _is_tag(before)
    return False


def _forges_a_number(text: str, at: int) -> bool:
    rest = text[at + 1 : at + 17].lstrip()
    return bool(rest) and unicodedata.normalize("NFKC", rest[0]).isdigit()


def _name_char(text: str, at: int) -> str:
    ch = text[at]
    category = unicodedata.category(ch)
    if ch.isspace() or ch in _BLANKS or category in ("Cc", "Zl", "Zp", "Zs"):
        return " "
    before = text[at - 1] if at > 0 else ""
    after = text[at + 1] if at + 1 < len(text) else ""
    if category == "Cf" or _is_variation_selector(ch):
        return ch if _keeps_invisible(before, ch, after) else ""
    if ch in _INVISIBLE_MARKS:
        return ""
    if unicodedata.normalize("NFKC", ch) == "#" and _forges_a_number(text, at):
        return ""
    return ch


def _clean_name(name: str) -> str:
    text = name.translate(_BIDI)
    kept = "".join(_name_char(text, at) for at in range(len(text)))
    cleaned = " ".join(kept.split())[:_LIMIT].rstrip()
    shows = any(unicodedata.category(ch)[0] in ("L", "N", "P", "S") for ch in cleaned)
    return cleaned if shows else ""


def upgrade() -> None:
    person = sa.table('person', sa.column('id', sa.Integer()), sa.column('display_name', sa.String()))
    connection = op.get_bind()
    for person_id, name in connection.execute(sa.select(person.c.id, person.c.display_name)).all():
        cleaned = _clean_name(name or "")
        if cleaned != (name or ""):
            connection.execute(
                person.update().where(person.c.id == person_id).values(display_name=cleaned)
            )


def downgrade() -> None:
    """Nothing to undo: the invisible characters dropped are not kept anywhere."""
