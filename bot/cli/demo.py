"""`sprintback demo`: the real bot on a local Bot API sandbox, no token and no network."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bot.support.formats import format_decimal
from bot.support.i18n import LANGUAGES, _, use_language

DESCRIPTION = """\
Show Sprintback working without a Telegram token or network access.

The real bot (the same wiring as `sprintback run`) starts against a local Bot API sandbox on
127.0.0.1 and an SQLite file in a temporary folder. An admin, a clinician and an athlete then
play a compressed programme: invitations, onboarding, morning check-ins sent by the scheduler,
sessions with metrics, progressions, a flare-up that steps back, a red flag that reaches the
clinician at once, the clinician's review and resumption, the weekly digest, the way back
to running, and the progress chart and PDF report asked for in the chat.

The conversation is printed as a transcript (who said what, buttons as [labels]) followed by
the decision timeline from the database. The output folder receives transcript.txt,
progress-chart.png, clinician-report.pdf and demo.log (the bot's own log lines).

With --interactive you play the athlete (or, with --as clinician, the clinician of an athlete
who has just reported a red flag): type text to send it as a message, type a button's number
to press it, /next to jump to the next scheduled prompt, 'quit' to stop. The transcript is
written to the output folder when you quit.

With --lang (en, es, pt, fr, de) the admin, the clinician and the athlete use Telegram in that
language (their language_code), so the bot speaks it to them: the transcript, the chart and
the report are in that language, e.g. `sprintback demo --lang de` or
`sprintback demo --interactive --lang es`. Texts whose translation is not in the catalogues
yet read in English.

Exit status: 0 when the story ran to its end (or you quit); 1 when it failed (one line says
why; --debug shows the traceback); 2 when the output folder cannot be written; 130 on Ctrl-C.
"""


def register(subparsers: Any) -> None:
    """Add the `demo` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="play the bot end to end on a local sandbox (no token, no network)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--interactive",
        action="store_true",
        help="play a role yourself in the terminal instead of the scripted story",
    )
    parser.add_argument(
        "--as",
        dest="role",
        choices=("athlete", "clinician"),
        default="athlete",
        help="the role you play with --interactive (default: athlete)",
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="en",
        help="the language of everyone's Telegram app, so of the whole story (default: en)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("demo-output"),
        metavar="DIR",
        help="folder for the transcript, chart, report and log (default: ./demo-output)",
    )
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="keep the temporary SQLite database (the scripted demo prints where it is)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when the demo fails"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the scripted or interactive demo; return 0 on success, 1 with a one-line reason."""
    from bot.demo.run import log_to_file

    output: Path = args.output
    try:
        log_to_file(output / "demo.log")
    except OSError as err:
        print(f"sprintback demo: cannot write to {output}: {err.strerror}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        if args.interactive:
            from bot.demo.interactive import run_interactive

            asyncio.run(
                run_interactive(
                    args.role, output, keep_db=args.keep_db, stdin=sys.stdin, lang=args.lang
                )
            )
        else:
            from bot.demo.run import run_scripted

            asyncio.run(run_scripted(output, keep_db=args.keep_db, lang=args.lang))
    except KeyboardInterrupt:
        print("sprintback demo: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # any failure: one line, the traceback only with --debug
        if args.debug:
            traceback.print_exc()
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"sprintback demo: failed: {reason} (see {output / 'demo.log'})", file=sys.stderr)
        return 1
    if not args.interactive:
        with use_language(args.lang):
            seconds = format_decimal(time.monotonic() - started, 1)
            # TRANSLATORS: the demo's last line in the terminal: how long the story took.
            print(_("Finished in {seconds} s.").format(seconds=seconds))
    return 0
