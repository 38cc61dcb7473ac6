"""Protocol files on disk: resolve a name or path, read the YAML, validate with the engine.

This is the I/O side of ``engine.schema`` (which is pure). Used by ``sprintback protocol``,
``sprintback simulate``, the bot and admins' uploads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from engine.schema import Protocol, ProtocolError, parse_protocol

PROTOCOL_DIR = Path(__file__).resolve().parents[2] / "protocols"


def resolve(name_or_path: str, *, directory: Path = PROTOCOL_DIR) -> Path:
    """Return the file for a protocol name (``protocols/NAME.yaml``) or an existing path.

    Raises ``ProtocolError`` naming the known protocols when nothing matches.
    """
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml", ".json") or "/" in name_or_path:
        if candidate.is_file():
            return candidate
        raise ProtocolError([f"{name_or_path}: no such file"])
    for ext in (".yaml", ".yml", ".json"):
        path = directory / f"{name_or_path}{ext}"
        if path.is_file():
            return path
    known = ", ".join(available(directory)) or "none"
    raise ProtocolError(
        [f"{name_or_path}: no protocol of that name in {directory} (known: {known})"]
    )


def available(directory: Path = PROTOCOL_DIR) -> list[str]:
    """Return the names of the protocols shipped in ``directory``."""
    return sorted(p.stem for p in directory.glob("*.y*ml"))


def read_data(path: Path) -> Any:
    """Read YAML (or JSON) from ``path``; raise ``ProtocolError`` on unreadable or broken files."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError([f"{path}: cannot read the file ({exc.strerror})"]) from None
    return load_text(text, source=str(path))


def load_text(text: str, *, source: str) -> Any:
    """Parse YAML text (e.g. an admin's upload); raise ``ProtocolError`` with the line on errors."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "?"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ProtocolError([f"{source}: {where}: {problem}: expected valid YAML"]) from None


def load_protocol(name_or_path: str, *, directory: Path = PROTOCOL_DIR) -> Protocol:
    """Resolve, read and validate a protocol; raise ``ProtocolError`` listing every problem."""
    path = resolve(name_or_path, directory=directory)
    return parse_protocol(read_data(path), source=str(path))


def parse_text(text: str, *, source: str) -> Protocol:
    """Validate protocol YAML text (an upload); raise ``ProtocolError`` listing every problem."""
    return parse_protocol(load_text(text, source=source), source=source)
