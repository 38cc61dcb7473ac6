"""The polling status file between `sprintback run` and `sprintback health` (edge cases; the
whole path through a real bot process is in tests/packaging/test_installed_run.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.cli.polling_health import (
    PollingHeartbeat,
    polling_healthy,
    polling_report,
    stale_after,
    status_path,
)

T0 = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)


def _heartbeat(tmp_path: Path, at: list[dt.datetime]) -> PollingHeartbeat:
    path = status_path(tmp_path / "run", "123456789:secret-part")
    return PollingHeartbeat(path, poll_timeout_seconds=10, now=lambda: at[0])


def test_the_status_file_is_named_after_the_bot_id_never_the_token(tmp_path: Path) -> None:
    path = status_path(tmp_path, "123456789:secret-part")
    assert path.name == "polling-123456789.json"
    beat = PollingHeartbeat(path, poll_timeout_seconds=10)
    beat.start()
    assert "secret-part" not in path.read_text(encoding="utf-8")
    assert oct(path.parent.stat().st_mode & 0o777) == oct(0o700)


def test_a_bot_that_never_polled_is_starting_then_unhealthy(tmp_path: Path) -> None:
    at = [T0]
    beat = _heartbeat(tmp_path, at)
    beat.start()
    report = polling_report(beat.path, now=T0 + dt.timedelta(seconds=20))
    assert report["polling"] == "starting" and polling_healthy(report)
    late = T0 + dt.timedelta(seconds=stale_after(10) + 1)
    report = polling_report(beat.path, now=late)
    assert report["polling"].startswith("no getUpdates has succeeded since the start")
    assert report["last_get_updates_ok"] == "never"
    assert not polling_healthy(report)


def test_recent_polling_with_a_stopped_scheduler_is_unhealthy(tmp_path: Path) -> None:
    at = [T0]
    beat = _heartbeat(tmp_path, at)
    beat.start()
    beat.watch_scheduler(lambda: "running")
    beat.record_success()
    report = polling_report(beat.path, now=T0 + dt.timedelta(seconds=5))
    assert report == {
        "polling": "ok",
        "scheduler": "running",
        "last_get_updates_ok": "2026-03-02T07:00:00+00:00",
    }
    assert polling_healthy(report)
    again = _heartbeat(tmp_path, at)  # a fresh writer: no one-second throttle in the way
    again.start()
    again.watch_scheduler(lambda: "stopped")
    again.record_success()
    report = polling_report(beat.path, now=T0 + dt.timedelta(seconds=5))
    assert report["polling"] == "ok" and report["scheduler"] == "stopped"
    assert not polling_healthy(report)


def test_a_damaged_or_missing_status_file_is_unhealthy_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "polling-1.json"
    report = polling_report(path)
    assert "is `sprintback run` running in polling mode?" in report["polling"]
    assert not polling_healthy(report)
    path.write_text('{"pid": 1, "started_at": "2026-03', encoding="utf-8")
    report = polling_report(path)
    assert report["polling"].startswith("unreadable status")
    assert not polling_healthy(report)


def test_a_stopped_bot_leaves_no_status(tmp_path: Path) -> None:
    beat = _heartbeat(tmp_path, [T0])
    beat.start()
    beat.stop()
    assert not beat.path.exists()
    assert not list(beat.path.parent.iterdir()), "no half-written file left behind"
