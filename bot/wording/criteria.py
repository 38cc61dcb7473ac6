"""A protocol criterion in plain words: "walking pain 2/10 or less (you said 1 ✓)".

The same sentence is used by ``/status``, clinician cards, the PDF's "needed" column and the
chart's target line, so a threshold reads the same everywhere.
"""

from __future__ import annotations

from typing import Protocol

from bot.wording.items import Audience, format_value, item_label, item_wording

_OP_WORDS = {
    "le": "{v} or less",
    "lt": "less than {v}",
    "ge": "{v} or more",
    "gt": "more than {v}",
    "eq": "{v}",
}


class CriterionLike(Protocol):
    """What a criterion needs to be described (``engine.schema.Criterion`` has it)."""

    @property
    def item(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def threshold(self) -> float | bool: ...
    @property
    def count(self) -> int: ...
    @property
    def at_pct_vmax(self) -> float | None: ...
    @property
    def pain_max(self) -> int | None: ...


def _met(op: str, value: float | bool, threshold: float | bool) -> bool:
    if isinstance(threshold, bool) or isinstance(value, bool):
        return bool(value) == bool(threshold)
    return {
        "le": value <= threshold,
        "lt": value < threshold,
        "ge": value >= threshold,
        "gt": value > threshold,
        "eq": value == threshold,
    }[op]


def _special(item: str, op: str, threshold: float | bool, audience: Audience) -> str | None:
    """Sentences that read better than "<label> <value> or less" for a few items."""
    if isinstance(threshold, bool):
        return None
    if item == "derived.worst_split_pct_baseline" and op in ("le", "lt"):
        slower = threshold - 100
        if audience == "clinician":
            return f"slowest split ≤ {threshold:.0f} % of baseline time"
        if slower <= 0:
            return "sprint times as fast as before the injury"
        return f"sprint times no more than {slower:.0f} % slower than before the injury"
    if item in ("derived.pain_test_delta", "derived.tightness_delta"):
        label = item_label(item, audience)
        points = "point" if abs(threshold) == 1 else "points"
        return f"{label} {_OP_WORDS[op].format(v=f'{threshold:.0f} {points}')}"
    return None


def describe_threshold(
    item: str, op: str, threshold: float | bool, audience: Audience = "athlete"
) -> str:
    """Return "<what> <how much>" for one condition, e.g. "walking pain 2/10 or less"."""
    special = _special(item, op, threshold, audience)
    if special is not None:
        return special
    label = item_label(item, audience)
    wording = item_wording(item)
    if isinstance(threshold, bool) or wording.fmt == "bool":
        wanted = bool(threshold) if op == "eq" else not bool(threshold)
        return label if wanted else f"no {label}"
    if wording.fmt == "scale10" and op == "le" and threshold == 0:
        return f"no {label} (0/10)"
    return f"{label} {_OP_WORDS[op].format(v=format_value(item, threshold))}"


def _restrictions(criterion: CriterionLike, audience: Audience) -> str:
    parts: list[str] = []
    if criterion.count > 1:
        times = "mornings" if criterion.item.startswith("morning.") else "times"
        if criterion.item.startswith(("session.", "metrics.", "derived.")):
            times = "sessions"
        parts.append(f"{criterion.count} {times} in a row")
    if criterion.at_pct_vmax is not None:
        speed = "top speed" if audience == "athlete" else "Vmax"
        parts.append(f"in runs at {criterion.at_pct_vmax:.0f} % of {speed} or faster")
    if criterion.pain_max is not None:
        parts.append(f"with session pain {criterion.pain_max}/10 or less")
    return f" ({', '.join(parts)})" if parts else ""


def describe_criterion(
    criterion: CriterionLike,
    audience: Audience = "athlete",
    observed: float | bool | None = None,
    *,
    show_observed: bool = False,
) -> str:
    """Return a criterion in plain words, with the latest value when ``show_observed``.

    "walking pain 2/10 or less (you said 1 ✓)"; for clinicians "(last: 1 ✓)".
    """
    text = describe_threshold(criterion.item, criterion.op, criterion.threshold, audience)
    text += _restrictions(criterion, audience)
    if not show_observed:
        return text
    if observed is None:
        return f"{text} (not recorded yet)"
    mark = "✓" if _met(criterion.op, observed, criterion.threshold) else "✗"
    said = "you said" if audience == "athlete" else "last"
    if criterion.item.startswith(("metrics.", "derived.")):
        said = "latest" if audience == "athlete" else "last"
    return f"{text} ({said} {format_value(criterion.item, observed)} {mark})"
