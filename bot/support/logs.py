"""What Sprintback writes to its log: ids and where something failed, never names or free text.

A log line may name a person or an athlete only by id, a message only by its outbox id, and a
failure only by the exception's type and the code that raised it (:func:`failure`): an
exception's message can quote what it choked on (a name drawn in a chart, an answer that did
not validate), so it is left out. Libraries that would log people's text are kept quiet
(:func:`quiet_libraries`): matplotlib and fontTools below WARNING, fpdf below ERROR (its
warnings list the characters of a name it could not draw), python-telegram-bot's request
dumps, and matplotlib's "glyph missing" warnings.
"""

from __future__ import annotations

import logging
import traceback
import warnings
from pathlib import Path

# The folder holding bot/ and engine/: the checkout, or site-packages when installed.
_CODE_ROOT = Path(__file__).resolve().parents[2]
# tests/ and bench/ exist only in a checkout, where their helpers count as ours too.
_OUR_PACKAGES = ("bot", "engine", "tests", "bench")

# Library loggers and the lowest level they may log at.
QUIET_LIBRARIES = {
    "matplotlib": logging.WARNING,
    "fontTools": logging.WARNING,
    "PIL": logging.WARNING,
    "fpdf": logging.ERROR,
    # python-telegram-bot's DEBUG lines dump every request's parameters (message texts) and
    # every update it processes (names, typed answers): all of its loggers stay at INFO.
    "telegram": logging.INFO,
    "telegram.Bot": logging.INFO,
    "telegram.ext.ExtBot": logging.INFO,
    "telegram.ext.Application": logging.INFO,
}


def failure(error: BaseException | None) -> str:
    """Return ``error``'s type and where it was raised (our innermost frame and, if
    different, the library frame that raised it), never its message."""
    kind = type(error).__name__ if error is not None else "unknown error"
    return kind + _location(error)


def quiet_libraries(level: int = logging.INFO) -> None:
    """Keep the libraries of :data:`QUIET_LIBRARIES` at or above their level (and ``level``),
    and drop matplotlib's warnings that quote a character it cannot draw."""
    for name, lowest in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(max(level, lowest))
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)


def _location(error: BaseException | None) -> str:
    if error is None or error.__traceback__ is None:
        return ""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if _in_project(frame.filename)]
    innermost = frames[-1]
    where = ""
    if ours:
        frame = ours[-1]
        where = f" at {_relative(frame.filename)}:{frame.lineno} in {frame.name}"
    if not ours or ours[-1] is not innermost:
        where += f" (raised in {_relative(innermost.filename)}:{innermost.lineno})"
    return where


def _in_project(path: str) -> bool:
    resolved = Path(path)
    if not resolved.is_relative_to(_CODE_ROOT):
        return False
    return resolved.relative_to(_CODE_ROOT).parts[:1] in [(name,) for name in _OUR_PACKAGES]


def _relative(path: str) -> str:
    resolved = Path(path)
    if _in_project(path):
        return resolved.relative_to(_CODE_ROOT).as_posix()
    if "site-packages" in resolved.parts:
        parts = resolved.parts
        return "/".join(parts[parts.index("site-packages") + 1 :])
    return resolved.name
