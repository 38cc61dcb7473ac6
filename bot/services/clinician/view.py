"""What a clinician reads: the one-line-per-athlete overview and its urgency order (pure).

The traffic light:
- 🔴 an open emergency or same-day alert, or today's verdict is ``stop``;
- 🟠 an open alert of lower severity, a sign-off waiting, today's verdict ``rest``, the
  programme paused, the athlete unreachable on Telegram (they blocked the bot: no prompts
  reach them), or no check-in for :data:`STALE_CHECKIN_DAYS` days or more;
- 🟢 otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.services.clinician.alert_policy import SEVERITY_RANK, most_severe

Light = Literal["red", "amber", "green"]
LIGHT_ICON: dict[str, str] = {"red": "🔴", "amber": "🟠", "green": "🟢"}
STALE_CHECKIN_DAYS = 3
UNREACHABLE_MARK = "📵 blocked the bot: no prompts reach them"


class AthleteSummary(BaseModel):
    """What the overview needs to know about one athlete."""

    model_config = ConfigDict(frozen=True)

    athlete_id: int
    name: str
    stage: str | None
    verdict_today: str | None
    decision_today: str | None = None
    last_checkin: dt.date | None
    today: dt.date
    open_alert_severities: tuple[str, ...] = ()
    gate_pending: bool = False
    paused: bool = False
    unreachable: bool = False

    @property
    def days_since_checkin(self) -> int | None:
        """Whole days since the last morning check-in (0 = today), None if never."""
        if self.last_checkin is None:
            return None
        return (self.today - self.last_checkin).days


def traffic_light(s: AthleteSummary) -> Light:
    """Return the athlete's light (see the module docstring)."""
    worst = most_severe(s.open_alert_severities) if s.open_alert_severities else None
    if worst in ("emergency", "same_day") or s.verdict_today == "stop":
        return "red"
    days = s.days_since_checkin
    stale = days is None or days >= STALE_CHECKIN_DAYS
    waiting = s.gate_pending or s.verdict_today == "rest" or s.paused or s.unreachable
    if worst is not None or waiting or stale:
        return "amber"
    return "green"


def urgency_key(s: AthleteSummary) -> tuple[int, int, int, str, int]:
    """Sort key: light (red first), worst open alert, staleness (longest first), name, id."""
    light_rank = {"red": 0, "amber": 1, "green": 2}[traffic_light(s)]
    worst = (
        SEVERITY_RANK.get(most_severe(s.open_alert_severities), 9) if s.open_alert_severities else 9
    )
    days = s.days_since_checkin
    staleness = -(days if days is not None else 10_000)
    return (light_rank, worst, staleness, s.name.lower(), s.athlete_id)


def sort_by_urgency(summaries: Sequence[AthleteSummary]) -> list[AthleteSummary]:
    """Return the summaries most urgent first."""
    return sorted(summaries, key=urgency_key)


def overview_line(s: AthleteSummary) -> str:
    """Return one overview line: light, number, name, stage, today, last check-in, alerts."""
    days = s.days_since_checkin
    if days is None:
        checkin = "no check-in yet"
    elif days == 0:
        checkin = "checked in today"
    else:
        checkin = f"last check-in {days} d ago"
    today = s.verdict_today or "no verdict"
    if s.decision_today:
        today += f"/{s.decision_today}"
    parts = [
        f"{LIGHT_ICON[traffic_light(s)]} #{s.athlete_id} {s.name}",
        s.stage or "not started",
        f"today {today}",
        checkin,
    ]
    if s.open_alert_severities:
        parts.append(f"{len(s.open_alert_severities)} open alert(s)")
    if s.gate_pending:
        parts.append("sign-off waiting")
    if s.paused:
        parts.append("paused")
    if s.unreachable:
        parts.append(UNREACHABLE_MARK)
    return " · ".join(parts)


def render_overview(summaries: Sequence[AthleteSummary]) -> str:
    """Return the /athletes message, most urgent first."""
    if not summaries:
        return "No athletes are linked to you yet. Use /invite to create an invite link."
    lines = [f"Your athletes ({len(summaries)}), most urgent first:"]
    lines.extend(overview_line(s) for s in sort_by_urgency(summaries))
    lines.append("")
    lines.append("Details: /athlete <number or name>")
    return "\n".join(lines)
