"""Telegram's size limits, and text that cannot break a message, a card or a line of a list.

Every message Sprintback composes passes through here before it leaves: the outbox splits a
long text into parts when it is queued (``bot.store.repo.messaging``) and the bot that talks to
Telegram fits every text, caption and button answer at the last moment
(``bot.delivery.within_limits``). So a message is kept within Telegram's limits by
construction, whatever a name, a note or a clinician's message holds:

- a message text: 4,096 UTF-16 code units (after entity parsing), :data:`TEXT_LIMIT`;
- a caption (photo, document): 1,024, :data:`CAPTION_LIMIT`;
- the text of a button answer (the small pop-up): 200, :data:`CALLBACK_ANSWER_LIMIT`;
- a button's callback data: 64 bytes, :data:`CALLBACK_DATA_LIMIT` (the signers check it).

Names shown to other people go through :func:`clean_name`: one line, no control characters, no
bidirectional controls (a U+202E in a name would reverse the rest of a list line), nothing
invisible that would make a twin of another name, no number sign that would forge an athlete's
number; two names clash when their :func:`name_key` is the same.

YAML an admin sends is measured before it is built (:func:`yaml_shape_problem`): how deep it
nests and how many values it holds once every alias is expanded, read as a stream of parser
events that stops at the first limit passed, so a small file that repeats one anchor 20,000
times, or nests 50,000 levels deep, is refused before anything is built from it.

Pure functions only: no Telegram, database or clock.
"""

from __future__ import annotations

import html
import re
import unicodedata

import yaml

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
CALLBACK_DATA_LIMIT = 64
NAME_LIMIT = 200
ELLIPSIS = "…"

# Explicit directional embeddings, overrides, isolates and marks: invisible, and able to
# reorder the text that follows them on a clinician's screen.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_BIDI_TABLE = {ord(ch): None for ch in BIDI_CONTROLS}
_TAG = re.compile(r"<[^>]*>")
# Where a long text is best cut, best first: between paragraphs, lines, sentences, words.
_BREAKS = ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ")


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, the unit Telegram counts in."""
    if text.isascii():
        return len(text)
    # Two bytes per unit; a lone surrogate (never valid, but possible in a str) counts one.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """Return the largest index i such that ``text[:i]`` is within ``limit`` UTF-16 units."""
    used = 0
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _cut_point(text: str, limit: int) -> int:
    """Return where to cut ``text`` so the head is within ``limit`` and ends at a boundary
    (a paragraph, a line, a sentence, a word) in its second half, else at the limit."""
    hard = max(1, _prefix_within(text, limit))
    head = text[:hard]
    for mark in _BREAKS:
        at = head.rfind(mark)
        if at >= hard // 2:
            return at + len(mark)
    return hard


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Return ``text`` as consecutive parts of at most ``limit`` UTF-16 units each, cut at
    the best boundary available (paragraph, line, sentence, word); a text within the limit is
    returned whole. No part is empty unless the whole text is."""
    if limit < 1:
        raise ValueError("the limit must be at least one code unit")
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut = _cut_point(rest, limit)
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            parts.append(head)
    if rest or not parts:
        parts.append(rest)
    return parts


def fit_text(text: str, limit: int = TEXT_LIMIT, marker: str = ELLIPSIS) -> str:
    """Return ``text`` unchanged if it is within ``limit`` UTF-16 units, else its beginning
    (cut at a word boundary where possible) followed by ``marker``, within the limit."""
    if utf16_len(text) <= limit:
        return text
    room = max(0, limit - utf16_len(marker))
    if room == 0:
        return text[: _prefix_within(text, limit)]
    head = text[: _cut_point(text, room)].rstrip()
    return head + marker


def shorten(text: str, chars: int, marker: str = ELLIPSIS) -> tuple[str, bool]:
    """Return ``text`` on one line cut to about ``chars`` characters (at a word boundary) and
    whether it was cut. For a note or a message quoted inside a card."""
    flat = " ".join(text.split())
    if len(flat) <= chars:
        return flat, False
    return fit_text(flat, chars, marker), True


def visible_html(text: str) -> str:
    """Return what Telegram shows of an HTML-formatted text (tags dropped, entities decoded)."""
    return html.unescape(_TAG.sub("", text))


def without_bidi_controls(text: str) -> str:
    """Return ``text`` without bidirectional control characters (they are invisible and can
    reverse or reorder the text after them)."""
    return text.translate(_BIDI_TABLE)


# Characters that draw nothing, or a blank the width of a letter: as spaces in a name (a name of
# only these looks empty, and one added to a name makes an invisible twin).
BLANKS = frozenset("\u115f\u1160\u2800\u3164\uffa0")
# Invisible marks (default-ignorable, yet not "format" characters): the combining grapheme
# joiner, the Khmer inherent vowels, the Mongolian variation selectors.
_INVISIBLE_MARKS = frozenset("\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f")
_JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner
_KEYCAP = "\u20e3"
_BLACK_FLAG = "\U0001f3f4"  # the base of a subdivision flag (tag characters follow it)
# Where a Latin, Greek or Cyrillic letter ends: a joiner between two letters past it shapes
# a script (Arabic, Persian, Indic); between Latin letters it only hides.
_SHAPED_SCRIPTS_FROM = 0x0530


def _is_variation_selector(ch: str) -> bool:
    return "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"


def _is_tag(ch: str) -> bool:
    return "\U000e0020" <= ch <= "\U000e007f"


def _is_emoji_part(ch: str) -> bool:
    """Tell whether ``ch`` can be a visible part of an emoji sequence (a pictograph, a skin
    tone, or the variation selector that makes the one before it an emoji)."""
    return unicodedata.category(ch) in ("So", "Sk") or _is_variation_selector(ch)


def _is_shaped_letter(ch: str) -> bool:
    return ord(ch) >= _SHAPED_SCRIPTS_FROM and unicodedata.category(ch)[0] in ("L", "M")


def _keeps_invisible(before: str, ch: str, after: str) -> bool:
    """Decide whether an invisible joiner, variation selector or tag ``ch`` (between
    ``before`` and ``after``, "" at an end) changes what is drawn, so it stays in a name: a
    joiner inside an emoji sequence (👩‍💻) or between two letters of a script it shapes, a
    variation selector after a symbol, a CJK ideograph or a keycap's digit, a tag inside a
    subdivision flag. Anywhere else it only makes an invisible twin of a name."""
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
    """Tell whether the number sign at ``at`` starts a number ("#2", "＃ 2"): Sprintback writes
    an athlete's number so ("Anna (#2)"), and a name must not carry one of its own."""
    rest = text[at + 1 : at + 17].lstrip()  # a few spaces at most between them
    return bool(rest) and unicodedata.normalize("NFKC", rest[0]).isdigit()


def _name_char(text: str, at: int) -> str:
    """Return what the character at ``at`` of a name becomes: itself, a space (a line break,
    a control, any blank) or nothing (an invisible character, a number sign before a
    number)."""
    ch = text[at]
    category = unicodedata.category(ch)
    if ch.isspace() or ch in BLANKS or category in ("Cc", "Zl", "Zp", "Zs"):
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


def _shows_something(text: str) -> bool:
    """Tell whether ``text`` has a character that is drawn (a letter, digit, punctuation or
    symbol): a name of combining marks alone shows nothing."""
    return any(unicodedata.category(ch)[0] in ("L", "N", "P", "S") for ch in text)


def clean_name(name: str, limit: int = NAME_LIMIT) -> str:
    """Return a person's name as it may be shown to others: one line, at most ``limit``
    characters, with nothing invisible that could make two names look alike.

    Controls, bidirectional controls and format characters (U+200B, U+2060, U+FEFF, U+00AD)
    are dropped, except the joiners and variation selectors an emoji or a script needs
    (:func:`_keeps_invisible`); fillers and blanks (U+3164, U+2800, any space) become one
    space; a number sign before a number is dropped ("Anna (#2)" reads "Anna (2)"), so a
    name cannot carry another athlete's number. A name that shows nothing is ""."""
    text = without_bidi_controls(name)
    kept = "".join(_name_char(text, at) for at in range(len(text)))
    cleaned = " ".join(kept.split())[:limit].rstrip()
    return cleaned if _shows_something(cleaned) else ""


def name_key(name: str) -> str:
    """Return what two names are compared by, to tell whether they clash: the cleaned name,
    NFKC-normalised and case-folded ("ＡＮＮＡ", "anna" and "Anna\u200b" are one name)."""
    return unicodedata.normalize("NFKC", clean_name(name)).casefold().strip()


def _quoted_char(ch: str) -> str:
    """Return how :func:`quoted` shows ``ch``: a space for a line break or a blank space, a
    code ("<U+202E>") for anything invisible, else the character itself."""
    if ch.isspace() or unicodedata.category(ch) == "Cc":
        return " "
    invisible = not ch.isprintable() or ch in BIDI_CONTROLS or ch in BLANKS
    if invisible or ch in _INVISIBLE_MARKS or _is_variation_selector(ch):
        return f"<U+{ord(ch):04X}>"
    return ch


def quoted(typed: str, limit: int = 64) -> str:
    """Return what someone typed, to quote back in a message: one line, with invisible and
    bidirectional control characters shown as ``<U+200B>``, ``<U+202E>`` (so "no such name"
    is never about an unseen character, and a quote cannot reverse the message), at most
    ``limit`` characters (cut with "…")."""
    shown = " ".join("".join(_quoted_char(ch) for ch in typed[: limit * 2]).split())
    return shown if len(shown) <= limit else shown[: limit - 1] + ELLIPSIS


# libyaml's parser when installed (about ten times faster), else PyYAML's own.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPENS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def yaml_shape_problem(text: str, *, max_depth: int, max_nodes: int) -> str | None:
    """Return what is wrong with the shape of YAML ``text`` (nested deeper than
    ``max_depth``, or more than ``max_nodes`` values once aliases are expanded), or None.

    Reads parser events only and stops at the first limit passed; text that is not YAML is
    reported with the line where the parser gave up."""
    depth = 0
    nodes = 0
    sizes: dict[str, int] = {}  # anchor -> values it expands to
    open_at: list[tuple[str | None, int]] = []
    try:
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            if isinstance(event, _OPENS):
                depth += 1
                if depth > max_depth:
                    return (
                        f"it nests more than {max_depth} levels deep: expected at most "
                        f"{max_depth} levels of lists and mappings inside one another"
                    )
                nodes += 1
                open_at.append((event.anchor, nodes))
            elif isinstance(event, _CLOSES):
                depth -= 1
                anchor, start = open_at.pop()
                if anchor is not None:
                    sizes[anchor] = nodes - start + 1
            elif isinstance(event, yaml.ScalarEvent):
                nodes += 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                nodes += sizes.get(event.anchor or "", 1)
            if nodes > max_nodes:
                return (
                    f"it holds more than {max_nodes:,} values once its aliases are expanded: "
                    f"expected at most {max_nodes:,}, so write the values out instead of "
                    "repeating aliases"
                )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        return f"it is not valid YAML{where}: {problem}"
    return None
