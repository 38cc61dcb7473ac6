"""What a clinician reads: the one-line-per-athlete overview and its urgency order (pure).

The traffic light:
- 🔴 an open emergency or same-day alert;
- 🟠 an open alert of lower severity, a sign-off waiting, running stopped until a clinician
  reviews (a red flag, sharp pain, symptoms persisting), today's verdict ``rest`` or ``stop``, the
  programme paused, the athlete unreachable on Telegram (they blocked the bot: no prompts
  reach them), or no check-in for :data:`STALE_CHECKIN_DAYS` days or more;
- 🟢 otherwise.

The first stage's sign-off confirms the diagnosis, which no clinician has entered anywhere:
its cards show what the athlete reported at sign-up, as their own account
(:func:`reported_injury_lines`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from bot.reports.shown import SIGNOFF_REQUEST_RULE
from bot.services.clinician.alert_policy import SEVERITY_RANK, most_severe
from bot.services.clinician.names import athlete_label, clashes, clashing
from bot.services.questionnaires.summary import sport_label, texts_mechanism
from bot.support.formats import format_long_date
from bot.support.i18n import L_, N_, LazyText, _, ngettext
from bot.support.limits import shorten
from bot.wording.injury import injury_words
from bot.wording.protocol import protocol_text

Light = Literal["red", "amber", "green"]
LIGHT_ICON: dict[str, str] = {"red": "🔴", "amber": "🟠", "green": "🟢"}
STALE_CHECKIN_DAYS = 3
UNREACHABLE_MARK = N_("📵 blocked the bot: no prompts reach them")
# The engine's verdicts and decisions as a clinician reads them.
VERDICT_WORDS: dict[str, LazyText] = {
    "go": L_("train as planned"),
    "modify": L_("lighter session"),
    "rest": L_("rest day"),
    "stop": L_("stopped"),
    "progress": L_("moved up"),
    "hold": L_("stays at the stage"),
    "step_back": L_("stepped back"),
}


def verdict_words(outcome: str | None) -> str:
    """Return an engine verdict or decision in plain words ("–" when there is none)."""
    if not outcome:
        return "–"
    words = VERDICT_WORDS.get(outcome)
    return str(words) if words is not None else outcome.replace("_", " ")


class AthleteSummary(BaseModel):
    """What the overview needs to know about one athlete."""

    model_config = ConfigDict(frozen=True)

    athlete_id: int
    name: str
    stage: str | None
    # The stage as the clinician reads it, in their language ("H3 · Progressive running").
    stage_title: str | None = None
    verdict_today: str | None
    decision_today: str | None = None
    last_checkin: dt.date | None
    today: dt.date
    open_alert_severities: tuple[str, ...] = ()
    gate_pending: bool = False
    # Running stays stopped until a clinician reviews (the latest decision said so and no
    # review is on record since).
    review_awaited: bool = False
    paused: bool = False
    unreachable: bool = False
    # The day the athlete's programme started (None: not enrolled yet).
    enrolled: dt.date | None = None

    @property
    def days_since_checkin(self) -> int | None:
        """Whole days since the last morning check-in (0 = today), None if never."""
        if self.last_checkin is None:
            return None
        return (self.today - self.last_checkin).days

    @property
    def days_without_checkin(self) -> int | None:
        """Whole days without a check-in, counted from the later of the last check-in and the
        day before enrolment (a check-in was first due on the enrolment day); None when
        nothing was ever due."""
        if self.last_checkin is not None:
            since = self.last_checkin
            if self.enrolled is not None and self.enrolled > since:
                since = self.enrolled - dt.timedelta(days=1)
            return (self.today - since).days
        if self.enrolled is None:
            return None
        return max(0, (self.today - self.enrolled).days + 1)


def traffic_light(s: AthleteSummary) -> Light:
    """Return the athlete's light (see the module docstring)."""
    worst = most_severe(s.open_alert_severities) if s.open_alert_severities else None
    if worst in ("emergency", "same_day"):
        return "red"
    missed = s.days_without_checkin
    stale = missed is not None and missed >= STALE_CHECKIN_DAYS and not s.paused
    waiting = (
        s.gate_pending
        or s.review_awaited
        or s.verdict_today in ("rest", "stop")
        or s.paused
        or s.unreachable
    )
    if worst is not None or waiting or stale:
        return "amber"
    return "green"


def urgency_key(s: AthleteSummary) -> tuple[int, int, int, str, int]:
    """Sort key: light (red first), worst open alert, staleness (longest first), name, id."""
    light_rank = {"red": 0, "amber": 1, "green": 2}[traffic_light(s)]
    worst = (
        SEVERITY_RANK.get(most_severe(s.open_alert_severities), 9) if s.open_alert_severities else 9
    )
    days = s.days_without_checkin
    staleness = -(days if days is not None else 0)
    return (light_rank, worst, staleness, s.name.lower(), s.athlete_id)


def sort_by_urgency(summaries: Sequence[AthleteSummary]) -> list[AthleteSummary]:
    """Return the summaries most urgent first."""
    return sorted(summaries, key=urgency_key)


def overview_line(s: AthleteSummary, clash: bool = False) -> str:
    """Return one overview line: light, name (the number only when two athletes share it),
    stage, today in words, last check-in, alerts."""
    days = s.days_since_checkin
    if days is None:
        checkin = _("no check-in yet")
    elif days == 0:
        checkin = _("checked in today")
    else:
        checkin = ngettext(
            "last check-in {days} day ago", "last check-in {days} days ago", days
        ).format(days=days)
    parts = [
        f"{LIGHT_ICON[traffic_light(s)]} {athlete_label(s.name, s.athlete_id, clash)}",
        s.stage_title or s.stage or _("not started"),
    ]
    if s.verdict_today:
        today = _("today: {verdict}").format(verdict=verdict_words(s.verdict_today))
        if s.decision_today and verdict_words(s.decision_today) != verdict_words(s.verdict_today):
            today += f", {verdict_words(s.decision_today)}"
        parts.append(today)
    else:
        parts.append(checkin)
    if s.open_alert_severities:
        count = len(s.open_alert_severities)
        parts.append(
            ngettext("{count} open alert", "{count} open alerts", count).format(count=count)
        )
    if s.review_awaited:
        parts.append(_("running stopped until a review"))
    if s.gate_pending:
        parts.append(_("sign-off waiting"))
    if s.paused:
        parts.append(_("paused"))
    if s.unreachable:
        parts.append(_(UNREACHABLE_MARK))
    return " · ".join(parts)


def render_overview(summaries: Sequence[AthleteSummary]) -> str:
    """Return the /athletes message, most urgent first."""
    if not summaries:
        return _("No athletes are linked to you yet. Use /invite to create an invite link.")
    lines = [
        ngettext(
            "Your athlete ({count}), most urgent first:",
            "Your athletes ({count}), most urgent first:",
            len(summaries),
        ).format(count=len(summaries))
    ]
    shared = clashing(s.name for s in summaries)
    lines.extend(overview_line(s, clashes(s.name, shared)) for s in sort_by_urgency(summaries))
    lines.append("")
    lines.append(_("Details: /athlete <name or number>"))
    return "\n".join(lines)


class ReportedInjury(BaseModel):
    """The injury as the athlete reported it at sign-up (onboarding), their own account: the
    only diagnosis Sprintback holds, which the first stage's sign-off confirms."""

    model_config = ConfigDict(frozen=True)

    injury: str
    side: str
    muscle: str | None = None
    grade: int | None = None
    injury_date: dt.date
    mechanism: str | None = None
    # As stored (a button's English name, or typed); None when it cannot be found.
    sport: str | None = None
    # Whole days from the injury to the athlete's day the card was built.
    days_ago: int = 0


# A sport is typed in up to 60 characters at sign-up: kept to one line on a card.
SPORT_CHARS = 60


def signoff_note_shown(
    protocol: Any | None, stage_id: str | None, shown: Iterable[tuple[str, str]]
) -> bool:
    """Tell whether a card's alert lines (``shown``: each alert's rule and stored text, as
    far as the card shows it whole) ask for ``stage_id``'s sign-off in the protocol's own
    note ("… sign-off needed to move on (Clinician-entered diagnosis, …; red flags
    excluded)")."""
    stage = next((s for s in getattr(protocol, "stages", ()) or () if s.id == stage_id), None)
    note = getattr(stage, "signoff_note", None)
    if stage_id is None or not note or not protocol_text(str(note)).strip():
        return False
    asked = f"Stage {stage_id} criteria met: sign-off needed to move on"
    return any(rule == SIGNOFF_REQUEST_RULE and text.startswith(asked) for rule, text in shown)


def reported_injury_lines(reported: ReportedInjury, *, note_shown: bool = False) -> list[str]:
    """Return the athlete's own account of the injury as a clinician reads it before the
    sign-off that confirms the diagnosis: side and muscle, grade, date, mechanism and sport,
    each said plainly to be what the athlete reported ("not known" where they did not know),
    then what the sign-off confirms; where the card already shows the protocol's sign-off
    note (``note_shown``), which says it (a diagnosis, red flags excluded), only that the
    account is what it confirms."""
    injury = injury_words(reported.side, reported.injury, reported.muscle)
    if not reported.muscle or reported.muscle == "unknown":
        injury = _("{injury}, muscle not known").format(injury=injury)
    grade = str(reported.grade) if reported.grade is not None else _("not known")
    days = max(0, reported.days_ago)
    ago = _("today") if days == 0 else ngettext("{n} day ago", "{n} days ago", days).format(n=days)
    how = texts_mechanism(reported.mechanism) if reported.mechanism else _("not known")
    lines = [
        _(
            "📋 No clinician has entered a diagnosis. What the athlete reported at sign-up "
            "(their own account):"
        ),
        "  " + _("• Injury: {injury}").format(injury=injury),
        "  " + _("• Grade: {grade}").format(grade=grade),
        "  "
        + _("• Injured on: {date} ({ago})").format(
            date=format_long_date(reported.injury_date), ago=ago
        ),
        "  " + _("• How: {mechanism}").format(mechanism=how),
    ]
    if reported.sport:
        sport = shorten(sport_label(reported.sport), SPORT_CHARS)[0]
        lines.append("  " + _("• Sport: {sport}").format(sport=sport))
    if note_shown:
        lines.append(
            _(
                "Your sign-off confirms this account as the diagnosis: sign off once you have "
                "assessed the athlete."
            )
        )
    else:
        lines.append(
            _(
                "Your sign-off confirms this diagnosis and that red flags are excluded: sign "
                "off once you have assessed the athlete."
            )
        )
    return lines
