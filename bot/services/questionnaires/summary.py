"""Readable echoes of what the athlete entered (metrics, onboarding details)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.services import texts
from bot.services.questionnaires.metrics_parser import SPECS
from bot.services.timezones import city_label


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_metrics(metrics: Mapping[str, Any]) -> str:
    """Return one line per metric with its label and unit, in the data-dictionary order."""
    lines = []
    for key, spec in SPECS.items():
        if metrics.get(key) is not None:
            lines.append(f"• {spec.label}: {_fmt(metrics[key])} {spec.unit}")
    return "\n".join(lines) if lines else "–"


def onboarding_summary(answers: Mapping[str, Any], zone: str | None) -> str:
    """Return the summary shown before the athlete confirms onboarding."""
    injury = str(answers.get("injury", "–"))
    muscle = answers.get("muscle")
    grade = answers.get("grade")
    baseline = answers.get("baseline") or {}
    lines = [
        texts.SUMMARY_TITLE,
        f"• Injury: {answers.get('side', '–')} {injury}"
        + (f" ({str(muscle).replace('_', ' ')})" if muscle and muscle != "unknown" else ""),
        f"• Grade: {grade if grade is not None else 'not known'}",
        f"• Date: {answers.get('injury_date', '–')}",
        f"• How: {texts_mechanism(answers.get('mechanism'))}",
        f"• Sport: {answers.get('sport', '–')}",
        "• Baseline: " + ("none yet (set it later with /baseline)" if not baseline else ""),
    ]
    if baseline:
        lines.extend(
            "   " + line.replace("• ", "– ", 1) for line in describe_metrics(baseline).splitlines()
        )
    lines.append(f"• Time zone: {city_label(zone) if zone else '–'}")
    lines.append(f"• Morning check-in: {answers.get('checkin_time', '–')}")
    lines.append("")
    lines.append(texts.SUMMARY_CONFIRM)
    return "\n".join(lines)


MECHANISM_LABELS = {
    "sprint": "Sprinting / running fast",
    "stretch": "Overstretching (kick, split, slide)",
    "other": "Something else",
    "unknown": "Not sure",
}


def texts_mechanism(value: Any) -> str:
    """Return the label of a mechanism answer."""
    return MECHANISM_LABELS.get(str(value), "–")
