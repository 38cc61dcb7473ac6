"""The texts of a protocol that people read, and their translations.

Protocols stay language-neutral: ids, numbers and English source texts. Their display texts
(the title and disclaimer, each stage's name, goal, surface and sign-off note, each drill's
name, note and recovery, each exit criterion's and regression trigger's text, each red-flag
tier's instruction and morning instruction) are extracted into the catalogues under the context
:data:`PROTOCOL_CONTEXT` by :func:`extract_protocol` (the Babel extractor named in
``babel.cfg``), and shown through :func:`protocol_text`. A text an admin edits in Telegram is a
new English text: it reads in English in every language until the catalogues are updated.

Not extracted: ids, sources, evidence, the notes that explain the protocol's deviations from
the reference, and a criterion's evidence note (admins read those in the YAML, in English).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import IO, Any

import yaml

from bot.support.i18n import pgettext

PROTOCOL_CONTEXT = "protocol"

_TOP = ("title", "disclaimer")
_STAGE = ("name", "goal", "surface", "signoff_note")
_DRILL = ("name", "note", "recovery")
_RULE = ("text",)


def protocol_text(source: str) -> str:
    """Return a protocol's display text in the current language (the English source when it
    has no translation yet)."""
    if not source:
        return source
    return pgettext(PROTOCOL_CONTEXT, source)


def display_texts(document: yaml.Node) -> Iterator[tuple[int, str, str]]:
    """Yield (line, what it is, English text) for every display text of a protocol document
    (as composed by ``yaml.compose``; lines count from 1)."""
    top = _mapping(document)
    protocol = _scalar(top.get("name")) or "protocol"
    yield from _texts(top, _TOP, f"{protocol}:")
    for stage_node in _sequence(top.get("stages")):
        stage = _mapping(stage_node)
        where = f"{protocol} {_scalar(stage.get('id')) or '?'}"
        yield from _texts(stage, _STAGE, f"{where}: stage")
        for drill in _sequence(stage.get("session")):
            yield from _texts(_mapping(drill), _DRILL, f"{where}: drill")
        for list_key, what in (
            ("exit_criteria", "exit criterion"),
            ("regression_triggers", "regression trigger"),
        ):
            for rule in _sequence(stage.get(list_key)):
                yield from _texts(_mapping(rule), _RULE, f"{where}: {what}")
    red_flags = _mapping(_mapping(top.get("rules")).get("red_flags"))
    for tier_key, tier in _mapping(red_flags.get("tiers")).items():
        where = f"{protocol}: red-flag tier {tier_key}"
        yield from _texts(_mapping(tier), ("instruction", "morning_instruction"), where)


def extract_protocol(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: dict[str, Any],
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel extractor for ``protocols/*.yaml``: each display text as a message of context
    :data:`PROTOCOL_CONTEXT`, with a comment saying where it is shown."""
    document = yaml.compose(fileobj.read().decode(options.get("encoding", "utf-8")))
    if document is None:
        return
    for line, what, source in display_texts(document):
        yield line, "pgettext", (PROTOCOL_CONTEXT, source), [what]


def _texts(
    mapping: dict[str, yaml.Node], keys: tuple[str, ...], what: str
) -> Iterator[tuple[int, str, str]]:
    for key in keys:
        node = mapping.get(key)
        value = _scalar(node)
        if node is not None and value and value != "—":
            yield node.start_mark.line + 1, f"{what} {key}", value


def _mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _sequence(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _scalar(node: yaml.Node | None) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""
