"""Run the scripted demo end to end: start the world, play the story, print and write it all."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.demo import script
from bot.demo.output import WrittenFiles, decision_timeline, render_timeline, write_outputs
from bot.demo.world import open_world


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
    output: Path, *, keep_db: bool = False, out: TextIO = sys.stdout
) -> DemoResult:
    """Play the scripted story on a fresh bot, print transcript and timeline to ``out`` and
    write transcript.txt, the progress chart and the clinician report into ``output``."""
    world = await open_world(
        script.START,
        zone=script.ZONE,
        admin_telegram_id=script.ADMIN_ID,
        people=script.PEOPLE,
        keep_workdir=keep_db,
    )
    try:
        await script.play(world)
        transcript = world.recorder.render()
        timeline = render_timeline(decision_timeline(world.runtime.engine, script.ATHLETE_ID))
        now = world.clock.now()
        files = write_outputs(
            world.runtime.engine,
            athlete_telegram_id=script.ATHLETE_ID,
            now=now,
            today=now.astimezone(script.ZONE).date(),
            transcript=transcript + "\nDecision timeline\n\n" + timeline + "\n",
            folder=output,
        )
    finally:
        await world.close()
    out.write("Sprintback demo: an admin, a clinician and an athlete on the local sandbox\n")
    out.write(f"(times are Europe/Berlin; day 1 is {script.START:%A %d %B %Y})\n")
    out.write(transcript)
    out.write("\nDecision timeline (from the database)\n\n")
    out.write(timeline + "\n\n")
    out.write(f"Transcript:       {files.transcript}\n")
    out.write(f"Progress chart:   {files.chart}\n")
    out.write(f"Clinician report: {files.report}\n")
    database = world.database_path if keep_db else None
    if database is not None:
        out.write(f"Database kept:    {database}\n")
    return DemoResult(transcript=transcript, timeline=timeline, files=files, database=database)
