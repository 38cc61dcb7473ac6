"""Evidence that polling works, left by `sprintback run` for `sprintback health` to read.

In polling mode nothing listens on a port, and the container's HEALTHCHECK runs
`sprintback health` as a separate process. So the running bot keeps a small JSON status file
in ``RUNTIME_DIR`` (one per bot, named after the bot id): when it started, when a getUpdates
call last succeeded, the long-poll timeout it uses and the scheduler's state. The health
command reads it and fails when the last success is older than a few poll intervals.

A file rather than the database: the health command runs on the same machine or container,
the file costs the bot no database round trips and needs no migration, and a database outage
is not mistaken for a polling outage (the database has its own check).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ValidationError

_LOGGER = logging.getLogger(__name__)

# Healthy while the last successful getUpdates is at most this many long polls old (plus
# slack): an idle bot's getUpdates returns empty after each timeout, a busy one sooner.
MISSED_POLLS = 3
SLACK_SECONDS = 5.0
# A busy bot polls many times a second; the file is rewritten at most this often.
WRITE_EVERY_SECONDS = 1.0

NOT_STARTED = "not started yet"


class PollingStatus(BaseModel):
    """What the status file holds (times in UTC)."""

    pid: int
    started_at: dt.datetime
    last_get_updates_ok: dt.datetime | None
    poll_timeout_seconds: float
    scheduler: str


def status_path(runtime_dir: Path, token: str) -> Path:
    """Return the status file of the bot with ``token`` (named after its public bot id)."""
    bot_id = token.split(":", 1)[0]
    return runtime_dir / f"polling-{bot_id}.json"


def stale_after(poll_timeout_seconds: float) -> float:
    """Return after how many seconds without a successful getUpdates polling is unhealthy."""
    return MISSED_POLLS * poll_timeout_seconds + SLACK_SECONDS


def _utcnow() -> dt.datetime:
    # Health compares times across processes: this is wall-clock time, never a test clock.
    return dt.datetime.now(dt.UTC)


class PollingHeartbeat:
    """Writes the status file: at start, after successful getUpdates calls, gone at stop."""

    def __init__(
        self,
        path: Path,
        poll_timeout_seconds: float,
        *,
        now: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.path = path
        self._poll_timeout = poll_timeout_seconds
        self._now = now
        self._scheduler: Callable[[], str] = lambda: NOT_STARTED
        self._started_at = now()
        self._last_write = 0.0
        self._recorded = False  # a success is in the file
        self._write_failed = False

    def watch_scheduler(self, probe: Callable[[], str]) -> None:
        """Record ``probe()`` (e.g. "running") as the scheduler's state at each write."""
        self._scheduler = probe

    def start(self) -> None:
        """Create the runtime folder and write a fresh status (no getUpdates yet).

        Raises OSError when the folder cannot be written: the bot must not run with a health
        check that can only fail.
        """
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._started_at = self._now()
        self._write(last_ok=None, scheduler=NOT_STARTED)

    def record_success(self) -> None:
        """Note a successful getUpdates (rewrites the file at most once a second)."""
        if self._recorded and time.monotonic() - self._last_write < WRITE_EVERY_SECONDS:
            return
        try:
            self._write(last_ok=self._now(), scheduler=self._scheduler())
        except OSError as err:
            if not self._write_failed:  # once: a full disk must not flood the log
                _LOGGER.error("cannot write the polling status %s: %s", self.path, err.strerror)
            self._write_failed = True
        else:
            self._write_failed = False
            self._recorded = True

    def stop(self) -> None:
        """Remove the status file: a stopped bot is not healthy."""
        self.path.unlink(missing_ok=True)

    def _write(self, *, last_ok: dt.datetime | None, scheduler: str) -> None:
        status = PollingStatus(
            pid=os.getpid(),
            started_at=self._started_at,
            last_get_updates_ok=last_ok,
            poll_timeout_seconds=self._poll_timeout,
            scheduler=scheduler,
        )
        # Written aside and renamed, so the health command never reads half a file.
        partial = self.path.with_name(self.path.name + ".tmp")
        partial.write_text(status.model_dump_json(), encoding="utf-8")
        os.replace(partial, self.path)
        self._last_write = time.monotonic()


def polling_report(path: Path, now: dt.datetime | None = None) -> dict[str, str]:
    """Return the polling part of the health report, read from the status file at ``path``.

    ``polling`` is "ok", "starting" (no getUpdates yet, within the limit) or what is wrong;
    ``scheduler`` is the state the bot last recorded; ``last_get_updates_ok`` when, in UTC.
    """
    moment = now or _utcnow()
    try:
        status = PollingStatus.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {"polling": f"no status in {path}: is `sprintback run` running in polling mode?"}
    except (OSError, ValueError, ValidationError) as err:
        return {"polling": f"unreadable status in {path} ({type(err).__name__})"}
    limit = stale_after(status.poll_timeout_seconds)
    last = status.last_get_updates_ok
    report = {
        "scheduler": status.scheduler,
        "last_get_updates_ok": last.isoformat(timespec="seconds") if last else "never",
    }
    if last is None:
        waited = (moment - status.started_at).total_seconds()
        report["polling"] = (
            "starting"
            if waited <= limit
            else f"no getUpdates has succeeded since the start {waited:.0f} s ago"
        )
        return report
    age = (moment - last).total_seconds()
    report["polling"] = (
        "ok"
        if age <= limit
        else f"the last successful getUpdates was {age:.0f} s ago (limit {limit:.0f} s)"
    )
    return report


def polling_healthy(report: dict[str, str]) -> bool:
    """Return True if ``polling_report``'s answer is healthy (starting counts as healthy)."""
    if report.get("polling") == "starting":
        return True
    return report.get("polling") == "ok" and report.get("scheduler") == "running"
