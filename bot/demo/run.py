"""Run the scripted demo end to end: start the world, play the story, print and write it all."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.demo import script
from bot.demo.output import WrittenFiles, decision_timeline, render_timeline, write_outputs
from bot.demo.world import DemoWorld, open_world
from bot.support.formats import format_date
from bot.support.i18n import _, use_language


@dataclass(frozen=True)
class DemoResult:
    """What a finished demo printed and wrote."""

    transcript: str
    timeline: str
    files: WrittenFiles
    database: Path | None


def log_to_file(path: Path, level: int = logging.INFO) -> None:
    """Send every log line of the process to ``path`` (the terminal shows the story only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in ("httpx", "httpcore", "apscheduler", "tornado.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


async def run_scripted(
    output: Path, *, keep_db: bool = False, out: TextIO = sys.stdout, lang: str = "en"
) -> DemoResult:
    """Play the scripted story on a fresh bot, print transcript and timeline to ``out`` and
    write transcript.txt, the progress chart and the clinician report into ``output``.

    Everyone's Telegram app uses ``lang``, so the bot speaks it to the athlete, the clinician
    and the admin; the narration, the chart and the report are in it too."""
    world = await open_world(
        script.START,
        zone=script.ZONE,
        admin_telegram_id=script.ADMIN_ID,
        people=script.PEOPLE,
        keep_workdir=keep_db,
        lang=lang,
    )
    try:
        await script.play(world)
        with use_language(lang):
            transcript = world.recorder.render()
            timeline = render_timeline(decision_timeline(world.runtime.engine, script.ATHLETE_ID))
        now = world.clock.now()
        with use_language(lang):
            files = _write(world, now, transcript, timeline, output)
    finally:
        await world.close()
    with use_language(lang):
        out.write(
            _("Sprintback demo: an admin, a clinician and an athlete on the local sandbox") + "\n"
        )
        out.write(
            _("(times are Europe/Berlin; day 1 is {day})").format(
                day=format_date(script.START.date()) + " " + str(script.START.year)
            )
            + "\n"
        )
        out.write(transcript)
        out.write("\n" + _("Decision timeline (from the database)") + "\n\n")
        out.write(timeline + "\n\n")
        out.write(_("Transcript:       {path}").format(path=files.transcript) + "\n")
        out.write(_("Progress chart:   {path}").format(path=files.chart) + "\n")
        out.write(_("Clinician report: {path}").format(path=files.report) + "\n")
        database = world.database_path if keep_db else None
        if database is not None:
            out.write(_("Database kept:    {path}").format(path=database) + "\n")
    return DemoResult(transcript=transcript, timeline=timeline, files=files, database=database)


def _write(
    world: DemoWorld, now: dt.datetime, transcript: str, timeline: str, output: Path
) -> WrittenFiles:
    """Write the transcript (with the timeline), the chart and the report, in the current
    language."""
    return write_outputs(
        world.runtime.engine,
        athlete_telegram_id=script.ATHLETE_ID,
        now=now,
        today=now.astimezone(script.ZONE).date(),
        transcript=transcript + "\n" + _("Decision timeline") + "\n\n" + timeline + "\n",
        folder=output,
    )
