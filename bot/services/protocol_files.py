"""Protocol files on disk: resolve a name or path, read the YAML, validate with the engine.

This is the I/O side of ``engine.schema`` (which is pure). Used by ``sprintback protocol``,
``sprintback simulate``, the bot and admins' uploads.

The shipped protocols and example scenarios are package data: the repository's ``protocols/``
and ``examples/`` folders are installed as the packages ``sprintback_protocols`` and
``sprintback_examples`` (see setup.py), so a wheel, a Docker image and an editable checkout
read them the same way, through ``importlib.resources``. The shipped protocols are only the
seed: the versions in force are those stored in the database (``bot.protocol_admin``).
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from engine.schema import Protocol, ProtocolError, parse_protocol

PROTOCOL_DIR: Traversable = resources.files("sprintback_protocols")
EXAMPLES_DIR: Traversable = resources.files("sprintback_examples")
_SUFFIXES = (".yaml", ".yml", ".json")


def resolve(
    name_or_path: str, *, directory: Traversable = PROTOCOL_DIR, kind: str = "protocol"
) -> Traversable:
    """Return the file for a name (``NAME.yaml`` in ``directory``) or an existing path.

    ``kind`` names what is looked for in messages. Raises ``ProtocolError`` naming the known
    files when nothing matches.
    """
    candidate = Path(name_or_path)
    if candidate.suffix in _SUFFIXES or "/" in name_or_path:
        if candidate.is_file():
            return candidate
        raise ProtocolError([f"{name_or_path}: no such file"])
    for ext in _SUFFIXES:
        path = directory / f"{name_or_path}{ext}"
        if path.is_file():
            return path
    known = ", ".join(available(directory)) or "none"
    where = "" if directory in (PROTOCOL_DIR, EXAMPLES_DIR) else f" in {directory}"
    raise ProtocolError([f"{name_or_path}: no {kind} of that name{where} (known: {known})"])


def yaml_files(directory: Traversable) -> list[Traversable]:
    """Return the YAML files directly in ``directory``, sorted by name."""
    found = [p for p in directory.iterdir() if p.name.endswith((".yaml", ".yml")) and p.is_file()]
    return sorted(found, key=lambda p: p.name)


def available(directory: Traversable = PROTOCOL_DIR) -> list[str]:
    """Return the names (file names without the extension) of the YAML files in ``directory``:
    by default, the shipped protocols."""
    return [p.name.rsplit(".", 1)[0] for p in yaml_files(directory)]


def read_data(path: Traversable) -> Any:
    """Read YAML (or JSON) from ``path``; raise ``ProtocolError`` on unreadable or broken files."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError([f"{path}: cannot read the file ({exc.strerror})"]) from None
    return load_text(text, source=str(path))


def load_text(text: str, *, source: str) -> Any:
    """Parse YAML text (e.g. an admin's upload); raise ``ProtocolError`` with the line on errors,
    on a key written twice in one mapping (YAML readers keep only the last one) and on a whole
    number too long to be meant (see :func:`check_keys_and_numbers`)."""
    try:
        check_keys_and_numbers(text, source=source)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "?"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ProtocolError([f"{source}: {where}: {problem}: expected valid YAML"]) from None


_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
# The longest whole number a protocol may write (digits, sign and separators). No value of a
# protocol comes near; a longer one is a slip, and one of thousands of digits cannot even be
# read (Python refuses to convert it) or used in arithmetic with decimals.
MAX_NUMBER_LENGTH = 15


def check_keys_and_numbers(text: str, *, source: str) -> None:
    """Raise ``ProtocolError`` naming each key written twice in one mapping of YAML ``text``
    and each whole number longer than :data:`MAX_NUMBER_LENGTH` characters.

    A YAML reader silently keeps the last of two equal keys, so an admin who adds a second
    ``signoff:`` to a stage would publish a value they never saw. Keys brought in by a merge
    (``<<: *anchor``) may be overridden, as YAML allows. Raises ``yaml.YAMLError`` on text that
    is not YAML (the caller reports it).
    """
    document = yaml.compose(text, Loader=_LOADER)
    if document is None:
        return
    problems: list[tuple[int, str]] = []
    seen_nodes: set[int] = set()
    stack: list[yaml.Node] = [document]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue  # an alias: the same node, checked once
        seen_nodes.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _INT_TAG and len(node.value) > MAX_NUMBER_LENGTH:
                line = node.start_mark.line + 1
                problems.append(
                    (
                        line,
                        f"{source}: line {line}: a whole number of {len(node.value):,} "
                        f"characters: expected at most {MAX_NUMBER_LENGTH}",
                    )
                )
        elif isinstance(node, yaml.MappingNode):
            problems += _duplicates(node, source)
            for key, value in node.value:
                stack += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    if problems:
        raise ProtocolError([problem for _line, problem in sorted(problems)])


def _duplicates(node: yaml.MappingNode, source: str) -> list[tuple[int, str]]:
    """(line, problem) for each key of ``node`` written a second time."""
    first: dict[tuple[str, str], int] = {}
    out: list[tuple[int, str]] = []
    for key, _value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
            continue
        line = key.start_mark.line + 1
        seen = first.get((key.tag, key.value))
        if seen is None:
            first[(key.tag, key.value)] = line
            continue
        out.append(
            (
                line,
                f"{source}: line {line}: duplicate key '{key.value}' (first on line {seen}): "
                "keep one",
            )
        )
    return out


# libyaml's loader when PyYAML was built with it (same documents, much faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_protocol(name_or_path: str, *, directory: Traversable = PROTOCOL_DIR) -> Protocol:
    """Resolve, read and validate a protocol; raise ``ProtocolError`` listing every problem."""
    path = resolve(name_or_path, directory=directory)
    return parse_protocol(read_data(path), source=str(path))


def parse_text(text: str, *, source: str) -> Protocol:
    """Validate protocol YAML text (an upload); raise ``ProtocolError`` listing every problem."""
    return parse_protocol(load_text(text, source=source), source=source)
