"""Readable echoes of what the athlete entered (metrics, onboarding details)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.services import texts
from bot.services.questionnaires.dates import injury_day
from bot.services.questionnaires.metrics_parser import SPECS
from bot.services.timezones import city_label
from bot.support.formats import format_decimal, format_long_date
from bot.support.i18n import L_, LazyText, Text, _, labelled, text


def _fmt(value: Any) -> str:
    """A number with the reader's decimal sign ("9,1" in German)."""
    return format_decimal(value) if isinstance(value, float) else str(value)


def _date(day: dt.date | None) -> str:
    """A date as the reader writes it ("1 March 2026", "1. März 2026")."""
    return format_long_date(day) if day is not None else "–"


def describe_metrics(metrics: Mapping[str, Any]) -> str:
    """Return one line per metric with its label and unit, in the data-dictionary order."""
    lines = []
    for key, spec in SPECS.items():
        value = metrics.get(key)
        if value is not None:
            if key == "vmax_ms" and isinstance(value, float):
                # A speed typed in km/h is stored in m/s: "35 km/h" reads 9,72 m/s, not 9,722.
                value = round(value, 2)
            lines.append(f"• {labelled(spec.shown, f'{_fmt(value)} {spec.shown_unit}')}")
    return "\n".join(lines) if lines else "–"


def onboarding_summary(answers: Mapping[str, Any], zone: str | None) -> str:
    """Return the summary shown before the athlete confirms onboarding."""
    injury = str(answers.get("injury", "–"))
    muscle = answers.get("muscle")
    grade = answers.get("grade")
    baseline = answers.get("baseline") or {}
    side = SIDE_LABELS.get(str(answers.get("side")))
    where = INJURY_LABELS.get(injury)
    # TRANSLATORS: the injury in the onboarding summary: "left hamstring".
    injured = _("{side} {injury}").format(side=side, injury=where) if side and where else "–"
    muscle_name = MUSCLE_LABELS.get(str(muscle)) if muscle and muscle != "unknown" else None
    if muscle_name is not None:
        injured += f" ({muscle_name})"
    lines = [
        text(texts.SUMMARY_TITLE),
        _("• Injury: {injury}").format(injury=injured),
        _("• Grade: {grade}").format(grade=grade if grade is not None else _("not known")),
        _("• Date: {date}").format(date=_date(injury_day(answers, zone))),
        _("• How: {mechanism}").format(mechanism=texts_mechanism(answers.get("mechanism"))),
        _("• Sport: {sport}").format(sport=sport_label(answers.get("sport"))),
        _("• Baseline: {baseline}").format(
            baseline="" if baseline else _("none yet (set it later with /baseline)")
        ),
    ]
    if baseline:
        lines.extend(
            "   " + line.replace("• ", "– ", 1) for line in describe_metrics(baseline).splitlines()
        )
    lines.append(_("• Time zone: {zone}").format(zone=city_label(zone) if zone else "–"))
    lines.append(_("• Morning check-in: {time}").format(time=answers.get("checkin_time", "–")))
    lines.append("")
    lines.append(text(texts.SUMMARY_CONFIRM))
    return "\n".join(lines)


MECHANISM_LABELS = {
    "sprint": L_("Sprinting / running fast"),
    "stretch": L_("Overstretching (kick, split, slide)"),
    "other": L_("Something else"),
    "unknown": L_("Not sure"),
}


# The words of the summary for the stored answers of onboarding (the buttons' labels).
INJURY_LABELS: dict[str, Text] = {"hamstring": L_("hamstring"), "calf": L_("calf")}
SIDE_LABELS: dict[str, Text] = {"left": L_("left"), "right": L_("right")}
MUSCLE_LABELS: dict[str, Text] = {
    "biceps_femoris": L_("biceps femoris"),
    "semimembranosus": L_("semimembranosus"),
    "semitendinosus": L_("semitendinosus"),
    "soleus": L_("soleus"),
    "gastrocnemius": L_("gastrocnemius"),
}
# The sports offered as buttons (the English name is stored; the reader sees theirs).
SPORTS: tuple[LazyText, ...] = (
    L_("Football (soccer)"),
    L_("Rugby"),
    L_("Athletics (sprints)"),
    L_("Australian football"),
    L_("American football"),
    L_("Field hockey"),
    L_("Basketball"),
    L_("Cricket"),
)


def texts_mechanism(value: Any) -> str:
    """Return the label of a mechanism answer."""
    found = MECHANISM_LABELS.get(str(value))
    return "–" if found is None else text(found)


def sport_label(value: Any) -> str:
    """Return a stored sport as the reader reads it: a button's sport in their language,
    a typed one as typed."""
    for sport in SPORTS:
        if sport.message == value:
            return text(sport)
    return "–" if value is None else str(value)
