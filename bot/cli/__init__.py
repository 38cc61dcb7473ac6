"""The ``sprintback`` command line: one sub-command per module in this package.

Top layer: may import anything in ``bot`` (``run`` builds the bot with ``bot.runtime`` and
serves it, polling or through ``webhook``); ``demo`` reaches the Bot API sandbox only through
``bot.demo``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module defines ``register(subparsers)``, which adds its parser and sets ``func``
# (a callable taking the parsed namespace and returning the exit code).
_COMMAND_MODULES = ("run", "demo", "health", "db", "simulate", "protocol")


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="sprintback",
        description=(
            "Sprintback: a Telegram coach for returning to full-speed sprinting after a "
            "hamstring or calf strain, with the athlete's clinician in the loop. "
            "It supports clinicians; it is not a medical device."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"bot.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen sub-command; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
