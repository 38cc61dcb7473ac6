"""The ``sprintback`` command line: one sub-command per module in this package.

Top layer: may import anything in ``bot`` (``run`` builds the bot with ``bot.runtime`` and
serves it, polling or through ``webhook``); ``demo`` reaches the Bot API sandbox only through
``bot.demo``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

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


def _stop_at_once(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM before a command takes over its handling (e.g. during `db upgrade`): stop now.

    As PID 1 of a container the kernel gives SIGTERM no default action, so without this
    handler `docker stop` would wait for its timeout and then kill. Exiting through SystemExit
    rolls back any open transaction; os.write because print may be mid-write already.
    """
    with contextlib.suppress(OSError):
        os.write(2, f"sprintback: stopped by {signal.Signals(signum).name}\n".encode())
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen sub-command; return its exit code.

    Until the sub-command installs its own (``run`` stops cleanly on SIGTERM once serving),
    SIGTERM stops the process at once; the previous handler is restored on return.
    """
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _stop_at_once) if in_main_thread else None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        code: int = args.func(args)
        return code
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


if __name__ == "__main__":
    sys.exit(main())
