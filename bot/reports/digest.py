"""The clinician's Monday digest: one plain-text Telegram message covering every linked athlete.

Urgency, most urgent first (the first rule that matches decides the level):

1. EMERGENCY — an open (unacknowledged) emergency alert.
2. URGENT    — an open same-day alert, or a red flag during the week.
3. REVIEW    — an open within-24-h alert, a clinician sign-off waiting, a step-back during
               the week, or morning test pain up by 1 point or more on the previous week's
               mean (the week-on-week rise rule of the clinical reference, §4.3).
4. CHECK     — 3 or more missed morning check-ins in the week (we cannot tell how they are).
5. ROUTINE   — everything else, including paused athletes.

Levels 1–4 "need attention": their charts follow the message. Within a level, more open
alerts and more red flags come first, then names alphabetically. The message is plain text
(no parse mode, so names need no escaping) and never longer than Telegram's 4096 characters
(counted in UTF-16 units, as Telegram does):
the least urgent athletes are left out first, with a closing line saying how many.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum
from zoneinfo import ZoneInfo

from bot.reports.data import DigestAthleteWeek, DigestData, OpenAlert

TELEGRAM_LIMIT = 4096
PAIN_TREND_POINTS = 1.0
MISSED_CHECKINS_ATTENTION = 3
MAX_ALERTS_LISTED = 3
MAX_ALERT_CHARS = 120


class Urgency(IntEnum):
    """How soon the clinician should look at an athlete; lower is more urgent."""

    EMERGENCY = 1
    URGENT = 2
    REVIEW = 3
    CHECK = 4
    ROUTINE = 5


BADGE = {
    Urgency.EMERGENCY: "🚨 EMERGENCY",
    Urgency.URGENT: "🔴 URGENT",
    Urgency.REVIEW: "🟠 REVIEW",
    Urgency.CHECK: "🟡 CHECK",
    Urgency.ROUTINE: "✅ routine",
}
SEVERITY_RANK = {"emergency": 0, "same_day": 1, "within_24h": 2, "info": 3}
SEVERITY_TEXT = {
    "emergency": "EMERGENCY",
    "same_day": "same day",
    "within_24h": "within 24 h",
    "info": "info",
}


@dataclass(frozen=True)
class RankedAthlete:
    """An athlete's week with its urgency level and the reasons for it."""

    week: DigestAthleteWeek
    urgency: Urgency
    reasons: tuple[str, ...]


def pain_trend(week: DigestAthleteWeek) -> str | None:
    """Return 'rising', 'falling' or 'steady' for the morning test pain, or None without data."""
    if week.mean_test_pain is None or week.mean_test_pain_prev is None:
        return None
    change = week.mean_test_pain - week.mean_test_pain_prev
    if change >= PAIN_TREND_POINTS:
        return "rising"
    if change <= -PAIN_TREND_POINTS:
        return "falling"
    return "steady"


def urgency_of(week: DigestAthleteWeek) -> tuple[Urgency, tuple[str, ...]]:
    """Decide the urgency level of one athlete's week and say why (see the module docstring)."""
    severities = {a.severity for a in week.open_alerts}
    reasons: list[str] = []
    if "emergency" in severities:
        reasons.append("open emergency alert")
    if "same_day" in severities:
        reasons.append("open same-day alert")
    if week.red_flags:
        reasons.append(f"{week.red_flags} red flag{'s' if week.red_flags > 1 else ''}")
    if "within_24h" in severities:
        reasons.append("open 24-h alert")
    if week.signoff_pending:
        reasons.append("sign-off waiting")
    if week.step_backs:
        reasons.append(f"{week.step_backs} step-back{'s' if week.step_backs > 1 else ''}")
    if pain_trend(week) == "rising":
        reasons.append("test pain rising")
    if week.missed_checkins >= MISSED_CHECKINS_ATTENTION:
        reasons.append(f"{week.missed_checkins} missed check-ins")

    if "emergency" in severities:
        level = Urgency.EMERGENCY
    elif "same_day" in severities or week.red_flags:
        level = Urgency.URGENT
    elif (
        "within_24h" in severities
        or week.signoff_pending
        or week.step_backs
        or pain_trend(week) == "rising"
    ):
        level = Urgency.REVIEW
    elif week.missed_checkins >= MISSED_CHECKINS_ATTENTION:
        level = Urgency.CHECK
    else:
        level = Urgency.ROUTINE
    return level, tuple(reasons)


def rank_athletes(data: DigestData) -> list[RankedAthlete]:
    """Every athlete of the digest, most urgent first (the order of the message)."""
    ranked = [RankedAthlete(w, *urgency_of(w)) for w in data.athletes]
    return sorted(
        ranked,
        key=lambda r: (
            r.urgency,
            -len(r.week.open_alerts),
            -r.week.red_flags,
            r.week.athlete_name.casefold(),
            r.week.athlete_id,
        ),
    )


def athletes_needing_attention(data: DigestData) -> list[DigestAthleteWeek]:
    """Athletes whose charts follow the digest (EMERGENCY to CHECK), most urgent first."""
    return [r.week for r in rank_athletes(data) if r.urgency < Urgency.ROUTINE]


def _date_range(start: dt.date, end: dt.date) -> str:
    if start.year != end.year:
        return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"
    if start.month != end.month:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day}–{end.day} {end:%b %Y}"


def _stage_text(week: DigestAthleteWeek) -> str:
    if week.stage_start is None and week.stage_end is None:
        return "stage not started"
    if week.stage_start == week.stage_end or week.stage_start is None:
        return f"stage {week.stage_end}, no change"
    if week.stage_end is None:
        return f"stage {week.stage_start}"
    return f"stage {week.stage_start} → {week.stage_end}"


def _sessions_text(week: DigestAthleteWeek) -> str:
    if week.sessions_planned is not None:
        return f"sessions {week.sessions_done}/{week.sessions_planned}"
    return f"sessions {week.sessions_done}"


def _pain_text(week: DigestAthleteWeek) -> str:
    if week.mean_test_pain is None:
        return "no test pain answers"
    text = f"test pain {week.mean_test_pain:.1f}/10"
    trend = pain_trend(week)
    if trend is not None and week.mean_test_pain_prev is not None:
        arrow = {"rising": "↑", "falling": "↓", "steady": "→"}[trend]
        text += f" {arrow} {trend} (was {week.mean_test_pain_prev:.1f})"
    if week.max_session_pain is not None:
        text += f", worst session pain {week.max_session_pain}"
    return text


def _alert_text(alert: OpenAlert, zone: ZoneInfo) -> str:
    local = alert.raised_at.astimezone(zone)
    text = alert.text if len(alert.text) <= MAX_ALERT_CHARS else alert.text[:MAX_ALERT_CHARS] + "…"
    return f"  • {SEVERITY_TEXT[alert.severity]}, {local:%a %d %b %H:%M}: {text}"


def _athlete_block(ranked: RankedAthlete, zone: ZoneInfo) -> str:
    week = ranked.week
    paused = " (paused)" if week.paused else ""
    if ranked.urgency == Urgency.ROUTINE:
        return (
            f"{BADGE[ranked.urgency]} · #{week.athlete_id} {week.athlete_name}{paused}: "
            f"{_stage_text(week)}, "
            f"{_sessions_text(week)}, {_pain_text(week)}"
        )
    name = f"#{week.athlete_id} {week.athlete_name}{paused}"
    lines = [f"{BADGE[ranked.urgency]} · {name}: " + "; ".join(ranked.reasons)]
    lines.append(f"  {_stage_text(week)}, {_sessions_text(week)}, {_pain_text(week)}")
    if week.missed_checkins:
        lines.append(f"  missed check-ins: {week.missed_checkins} of 7")
    if week.open_alerts:
        alerts = sorted(week.open_alerts, key=lambda a: (SEVERITY_RANK[a.severity], a.raised_at))
        lines.append(f"  open alerts ({len(alerts)}):")
        lines.extend(_alert_text(a, zone) for a in alerts[:MAX_ALERTS_LISTED])
        if len(alerts) > MAX_ALERTS_LISTED:
            lines.append(f"  • … and {len(alerts) - MAX_ALERTS_LISTED} more")
    return "\n".join(lines)


def render_digest(data: DigestData) -> str:
    """Return the digest message for one clinician (plain text, at most 4096 characters)."""
    zone = ZoneInfo(data.timezone)
    ranked = rank_athletes(data)
    attention = sum(1 for r in ranked if r.urgency < Urgency.ROUTINE)
    header = [
        f"Weekly digest for {data.clinician_name}",
        f"Week {_date_range(data.week_start, data.week_end)} ({data.timezone})",
    ]
    if not ranked:
        header.append("No athletes are linked to you yet.")
        return "\n".join(header)
    header.append(
        f"{len(ranked)} athlete{'s' if len(ranked) != 1 else ''}, {attention} need"
        f"{'s' if attention == 1 else ''} attention. Most urgent first."
    )
    footer = "Charts of the athletes who need attention follow." if attention else ""

    text = "\n".join(header)
    previous: RankedAthlete | None = None
    for index, item in enumerate(ranked):
        block = _athlete_block(item, zone)
        # routine athletes are one line each, listed without blank lines between them
        both_routine = previous is not None and previous.urgency == item.urgency == Urgency.ROUTINE
        separator = "\n" if both_routine else "\n\n"
        left = len(ranked) - index - 1
        # keep room for the closing line about athletes that did not fit
        reserve = telegram_length(footer) + 2 + (90 if left else 0)
        if telegram_length(text + separator + block) + reserve > TELEGRAM_LIMIT:
            rest = ranked[index:]
            urgent_rest = sum(1 for r in rest if r.urgency < Urgency.ROUTINE)
            text += (
                f"\n\n… and {len(rest)} more athlete{'s' if len(rest) != 1 else ''}"
                f" ({urgent_rest} needing attention): see /athletes."
            )
            break
        text += separator + block
        previous = item
    if footer:
        text += "\n\n" + footer
    return text


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji counts as two)."""
    return len(text.encode("utf-16-le")) // 2


def digest_week(now: dt.datetime, timezone: str) -> tuple[dt.date, dt.date]:
    """The Monday–Sunday local week that ended before ``now`` (aware) in ``timezone``."""
    if now.tzinfo is None:
        raise ValueError("digest_week needs an aware datetime (UTC), got a naive one")
    today = now.astimezone(ZoneInfo(timezone)).date()
    last_sunday = today - dt.timedelta(days=today.weekday() + 1)
    return last_sunday - dt.timedelta(days=6), last_sunday


def next_digest_at(
    now: dt.datetime, timezone: str, local_time: dt.time = dt.time(8, 0)
) -> dt.datetime:
    """The next Monday at ``local_time`` in ``timezone`` strictly after ``now``, as aware UTC.

    Computed on the local calendar, so it stays at 08:00 local across daylight-saving changes.
    """
    if now.tzinfo is None:
        raise ValueError("next_digest_at needs an aware datetime (UTC), got a naive one")
    zone = ZoneInfo(timezone)
    local_date = now.astimezone(zone).date()
    monday = local_date - dt.timedelta(days=local_date.weekday())
    for weeks in range(3):
        candidate = dt.datetime.combine(monday + dt.timedelta(weeks=weeks), local_time, zone)
        if candidate.astimezone(dt.UTC) > now:
            return candidate.astimezone(dt.UTC)
    raise AssertionError("a Monday within three weeks always follows")
