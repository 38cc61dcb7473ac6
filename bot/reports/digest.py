"""The clinician's Monday digest: one plain-text Telegram message covering every linked athlete.

Urgency, most urgent first (the first rule that matches decides the level):

1. EMERGENCY — an open (unacknowledged) emergency alert.
2. URGENT    — an open same-day alert (urgency follows open alerts only: a red flag whose
               alert was handled is not urgent any more).
3. REVIEW    — an open within-24-h alert, a red flag during the week (handled), a clinician
               sign-off waiting, a step back during the week (the engine's or a clinician's),
               or morning test pain up by 1 point or more on the previous week's mean (the
               week-on-week rise rule of the clinical reference, §4.3).
4. CHECK     — 3 or more missed morning check-ins in the week, counted from the day the
               athlete enrolled (we cannot tell how they are).
5. ROUTINE   — everything else, including paused athletes.

Levels 1–4 "need attention": their charts follow the message. Within a level, more open
alerts and more red flags come first, then names alphabetically. The message is plain text
(no parse mode, so names need no escaping) and never longer than Telegram's 4096 characters
(counted in UTF-16 units, as Telegram does):
the least urgent athletes are left out first, with a closing line saying how many.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.reports.data import DigestAthleteWeek, DigestData, OpenAlert
from bot.reports.shown import STAGE_NOT_IN_PROTOCOL, STAGE_PROTOCOL_UNREADABLE, alert_text
from bot.reports.words import date_range, joined
from bot.support.formats import format_decimal, format_short_date, format_time
from bot.support.i18n import L_, LazyText, _, labelled, ngettext
from bot.support.limits import name_key

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


BADGE: dict[Urgency, LazyText] = {
    Urgency.EMERGENCY: L_("🚨 EMERGENCY"),
    Urgency.URGENT: L_("🔴 URGENT"),
    Urgency.REVIEW: L_("🟠 REVIEW"),
    Urgency.CHECK: L_("🟡 CHECK"),
    Urgency.ROUTINE: L_("✅ routine"),
}
SEVERITY_RANK = {"emergency": 0, "same_day": 1, "within_24h": 2, "info": 3}
# What an open alert asked for when it was raised, as read days later on Monday: never
# "today" or "within 24 h" alone, which the reader would take as from the digest's day.
SEVERITY_TEXT: dict[str, LazyText] = {
    "emergency": L_("emergency"),
    "same_day": L_("same-day review"),
    "within_24h": L_("review within 24 h"),
    "info": L_("for information"),
}


@dataclass(frozen=True)
class RedFlagSeen:
    """A red flag of the week: its signs in the clinician's words, and whether a clinician
    recorded a review after it."""

    signs: str
    reviewed: bool = False


@dataclass(frozen=True)
class WeekDetail:
    """What the week's records add to an athlete's digest line (read by services.digest):
    the worst morning test pain, the highest stage reached when the athlete ended the week
    below it, each step back (from, to: the stages as the clinician reads them) and each red
    flag with its signs.

    ``clinician_step_backs``: how many of the week's step backs a clinician made (/stepback,
    the step-back button, a /stage to an earlier stage); ``uncounted_step_backs``: how many of
    those the engine's decisions do not count yet (it had not decided their day again), which
    the week's count (``DigestAthleteWeek.step_backs``) must add."""

    max_test_pain: int | None = None
    peak_stage: str | None = None
    step_backs: tuple[tuple[str, str], ...] = ()
    red_flags: tuple[RedFlagSeen, ...] = ()
    clinician_step_backs: int = 0
    uncounted_step_backs: int = 0


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


def _red_flag_words(flag: RedFlagSeen) -> str:
    state = _("reviewed") if flag.reviewed else _("not reviewed yet")
    return f"{flag.signs} ({state})"


def urgency_of(
    week: DigestAthleteWeek, detail: WeekDetail | None = None
) -> tuple[Urgency, tuple[str, ...]]:
    """Decide the urgency level of one athlete's week and say why (see the module docstring);
    ``detail`` names the red flags' signs and the step backs' stages when known."""
    severities = {a.severity for a in week.open_alerts}
    reasons: list[str] = []
    if "emergency" in severities:
        reasons.append(_("open emergency alert"))
    if "same_day" in severities:
        reasons.append(_("open same-day alert"))
    if week.red_flags:
        text = ngettext(
            "{count} red flag this week", "{count} red flags this week", week.red_flags
        ).format(count=week.red_flags)
        if detail is not None and detail.red_flags:
            text = labelled(text, joined(_red_flag_words(f) for f in detail.red_flags))
        reasons.append(text)
    if "within_24h" in severities:
        reasons.append(_("open alert (within 24 h)"))
    if week.signoff_pending:
        reasons.append(_("sign-off waiting"))
    if week.step_backs:
        text = ngettext("{count} step back", "{count} step backs", week.step_backs).format(
            count=week.step_backs
        )
        by_clinician = min(detail.clinician_step_backs, week.step_backs) if detail else 0
        if by_clinician == week.step_backs:
            text += " " + _("(by the clinician)")
        elif by_clinician:
            text += " " + _("({count} by the clinician)").format(count=by_clinician)
        if detail is not None and detail.step_backs:
            moves = [
                _("from {start} to {end}").format(start=start, end=end)
                for start, end in detail.step_backs
            ]
            text = labelled(text, joined(moves))
        reasons.append(text)
    if pain_trend(week) == "rising":
        reasons.append(_("test pain rising"))
    if week.missed_checkins >= MISSED_CHECKINS_ATTENTION:
        reasons.append(
            ngettext(
                "{count} missed check-in", "{count} missed check-ins", week.missed_checkins
            ).format(count=week.missed_checkins)
        )

    if "emergency" in severities:
        level = Urgency.EMERGENCY
    elif "same_day" in severities:
        level = Urgency.URGENT
    elif (
        "within_24h" in severities
        or week.red_flags
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


def rank_athletes(
    data: DigestData, details: Mapping[int, WeekDetail] | None = None
) -> list[RankedAthlete]:
    """Every athlete of the digest, most urgent first (the order of the message); ``details``
    (by athlete id) words their reasons more fully when given."""
    details = details or {}
    ranked = [RankedAthlete(w, *urgency_of(w, details.get(w.athlete_id))) for w in data.athletes]
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
    """The week as the reader's language writes it ("2.–8. März 2026", "2–8 mars 2026",
    "1er–7 juin 2026")."""
    return date_range(start, end)


def _in_words(label: str | None) -> bool:
    """Whether a stage's label is a phrase ("a stage no longer in the protocol"), not a code
    and a name: it reads without "stage" before it."""
    return label in (str(STAGE_NOT_IN_PROTOCOL), str(STAGE_PROTOCOL_UNREADABLE))


def _stage_text(week: DigestAthleteWeek, detail: WeekDetail | None = None) -> str:
    if week.stage_start is None and week.stage_end is None:
        return _("stage not started")
    start = week.stage_start_label or week.stage_start
    end = week.stage_end_label or week.stage_end
    # "stage H2 · Return to running, no change"; a stage in words stands alone ("a stage no
    # longer in the protocol, no change"), never after "stage".
    words = _in_words(week.stage_start_label) or _in_words(week.stage_end_label)
    if week.stage_start == week.stage_end or week.stage_start is None:
        if words:
            text = _("{stage}, no change").format(stage=end)
        else:
            text = _("stage {stage}, no change").format(stage=end)
    elif week.stage_end is None:
        text = str(start) if words else _("stage {stage}").format(stage=start)
    elif words:
        text = _("{start} → {end}").format(start=start, end=end)
    else:
        text = _("stage {start} → {end}").format(start=start, end=end)
    if detail is not None and detail.peak_stage and detail.peak_stage not in (start, end):
        text += " " + _("(highest reached: {stage})").format(stage=detail.peak_stage)
    return text


def _sessions_text(week: DigestAthleteWeek) -> str:
    if week.sessions_planned is not None:
        return _("sessions {done} of {planned}").format(
            done=week.sessions_done, planned=week.sessions_planned
        )
    return ngettext("{count} session", "{count} sessions", week.sessions_done).format(
        count=week.sessions_done
    )


def _pain_text(week: DigestAthleteWeek, detail: WeekDetail | None = None) -> str:
    if week.mean_test_pain is None:
        return _("no test pain answers")
    text = _("test pain {pain}/10").format(pain=format_decimal(week.mean_test_pain, 1))
    if detail is not None and detail.max_test_pain is not None:
        # the mean hides a flare-up: the worst morning stands beside it
        text += " " + _("(worst {pain}/10)").format(pain=detail.max_test_pain)
    trend = pain_trend(week)
    if trend is not None and week.mean_test_pain_prev is not None:
        arrow = {"rising": "↑", "falling": "↓", "steady": "→"}[trend]
        words = {"rising": _("rising"), "falling": _("falling"), "steady": _("steady")}[trend]
        text += " " + _("{arrow} {trend} (was {before})").format(
            arrow=arrow, trend=words, before=format_decimal(week.mean_test_pain_prev, 1)
        )
    if week.max_session_pain is not None:
        text += ", " + _("worst session pain {pain}/10").format(pain=week.max_session_pain)
    return text


def _alert_text(alert: OpenAlert, zone: ZoneInfo, protocol: Any = None) -> str:
    local = alert.raised_at.astimezone(zone)
    # Worded from the rule in the reader's language where known, else the engine's sentence.
    words = alert_text(alert.rule, alert.text, protocol, alert.local_date)
    text = words if len(words) <= MAX_ALERT_CHARS else words[:MAX_ALERT_CHARS] + "…"
    when = f"{format_short_date(local.date())} {format_time(local)}"
    # Read on Monday about alerts raised during the week: since when it is open (its date
    # tells how long), and what it asked for then ("same-day review").
    label = _("open since {when} ({severity})").format(
        when=when, severity=SEVERITY_TEXT[alert.severity]
    )
    return f"  • {labelled(label, text)}"


def digest_labels(data: DigestData) -> dict[int, str]:
    """Return each athlete of the digest as its text and its charts name them (by athlete
    id): the name, with the number when another athlete of this digest (the clinician's
    linked athletes) shares it ("Anna (#2)"; names compared by ``limits.name_key``)."""
    counts = Counter(name_key(week.athlete_name) for week in data.athletes)
    return {
        week.athlete_id: (
            f"{week.athlete_name} (#{week.athlete_id})"
            if counts[name_key(week.athlete_name)] > 1
            else week.athlete_name
        )
        for week in data.athletes
    }


def _athlete_block(
    ranked: RankedAthlete,
    zone: ZoneInfo,
    label: str | None = None,
    detail: WeekDetail | None = None,
) -> str:
    week = ranked.week
    facts = f"{_stage_text(week, detail)}, {_sessions_text(week)}, {_pain_text(week, detail)}"
    paused = " " + _("(paused)") if week.paused else ""
    name = (label or week.athlete_name) + paused
    if ranked.urgency == Urgency.ROUTINE:
        return f"{BADGE[ranked.urgency]} · " + labelled(name, facts)
    lines = [f"{BADGE[ranked.urgency]} · " + labelled(name, joined(ranked.reasons))]
    lines.append(f"  {facts}")
    if week.missed_checkins:
        lines.append("  " + _("missed check-ins: {count} of 7").format(count=week.missed_checkins))
    if week.open_alerts:
        alerts = sorted(week.open_alerts, key=lambda a: (SEVERITY_RANK[a.severity], a.raised_at))
        lines.append(
            "  "
            + ngettext("{count} open alert:", "{count} open alerts:", len(alerts)).format(
                count=len(alerts)
            )
        )
        lines.extend(_alert_text(a, zone, week.protocol) for a in alerts[:MAX_ALERTS_LISTED])
        if len(alerts) > MAX_ALERTS_LISTED:
            lines.append(
                "  • " + _("… and {count} more").format(count=len(alerts) - MAX_ALERTS_LISTED)
            )
    return "\n".join(lines)


def render_digest(data: DigestData, details: Mapping[int, WeekDetail] | None = None) -> str:
    """Return the digest message for one clinician (plain text, at most 4096 characters);
    ``details`` (by athlete id, from the week's records) adds the worst test pain, the
    highest stage reached, the step backs' stages and the red flags' signs."""
    zone = ZoneInfo(data.timezone)
    details = details or {}
    ranked = rank_athletes(data, details)
    attention = sum(1 for r in ranked if r.urgency < Urgency.ROUTINE)
    header = [
        _("Weekly digest for {name}").format(name=data.clinician_name),
        _("Week {dates} ({zone})").format(
            dates=_date_range(data.week_start, data.week_end), zone=data.timezone
        ),
    ]
    if not ranked:
        header.append(_("No athletes are linked to you yet."))
        return "\n".join(header)
    header.append(
        ngettext("{count} athlete", "{count} athletes", len(ranked)).format(count=len(ranked))
        + ", "
        + ngettext("{count} needs attention.", "{count} need attention.", attention).format(
            count=attention
        )
        + " "
        + _("Most urgent first.")
    )
    footer = _("Charts of the athletes who need attention follow.") if attention else ""
    labels = digest_labels(data)

    text = "\n".join(header)
    previous: RankedAthlete | None = None
    for index, item in enumerate(ranked):
        block = _athlete_block(
            item, zone, labels.get(item.week.athlete_id), details.get(item.week.athlete_id)
        )
        # routine athletes are one line each, listed without blank lines between them
        both_routine = previous is not None and previous.urgency == item.urgency == Urgency.ROUTINE
        separator = "\n" if both_routine else "\n\n"
        left = len(ranked) - index - 1
        # keep room for the closing line about athletes that did not fit
        reserve = telegram_length(footer) + 2 + (90 if left else 0)
        if telegram_length(text + separator + block) + reserve > TELEGRAM_LIMIT:
            rest = ranked[index:]
            urgent_rest = sum(1 for r in rest if r.urgency < Urgency.ROUTINE)
            text += "\n\n" + ngettext(
                "… and {count} more athlete ({urgent} needing attention): see /athletes.",
                "… and {count} more athletes ({urgent} needing attention): see /athletes.",
                len(rest),
            ).format(count=len(rest), urgent=urgent_rest)
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
