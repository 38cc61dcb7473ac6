"""The progression gate in words: minimum days and sessions, rest, the last session, the
24-hour response, the sign-off, in the same words on the PDF, the chart and ``/status``.

The engine's gate items (``engine.programme.GateItem``) carry a rule, observed and needed
values; this module says each in a sentence for athletes or clinicians. Exit criteria of a
stage are described by ``bot.wording.criteria.describe_criterion`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.wording.items import Audience


class GateItemLike(Protocol):
    """What a gate item needs to be described (``engine.programme.GateItem`` has it)."""

    @property
    def rule(self) -> str: ...
    @property
    def met(self) -> bool: ...
    @property
    def text(self) -> str: ...
    @property
    def observed(self) -> str | float | int | bool | None: ...
    @property
    def needed(self) -> str | float | int | bool | None: ...


@dataclass(frozen=True)
class GateWords:
    """One gate item as a table row or a line: what it is, what was seen, what is needed."""

    name: str
    observed: str
    needed: str


def _count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


_SESSION_WORDS = {
    "green": "green",
    "amber": "amber (some symptoms)",
    "red": "red (symptoms up)",
    "stop": "stopped",
    "no session in this stage": "no session in this stage yet",
}
# The 24-hour response to the last session (``engine.programme.Response``).
_RESPONSE_WORDS = {
    "green": "green",
    "pending": "waiting for the morning after",
    "hold": "symptoms up a little: held",
    "step_back": "symptoms up: stepped back",
    "missing": "no check-in the morning after",
    "none": "none yet",
}


def _days(item: GateItemLike, audience: Audience) -> GateWords:
    seen, need = _count(item.observed), _count(item.needed)
    name = "Days in this stage" if audience == "clinician" else "days at this stage"
    observed = f"{seen} of {need}" if seen is not None and need is not None else "—"
    needed = _plural(need, "day", "days") + " or more" if need is not None else str(item.needed)
    return GateWords(name, observed, needed)


def _speed(item: GateItemLike, audience: Audience) -> str:
    """ " at 78 % of top speed or faster" from "Minimum sessions in stage (at ≥ 78 % Vmax…)"."""
    if "≥" not in item.text or "%" not in item.text:
        return ""
    pct = item.text.split("≥", 1)[-1].split("%", 1)[0].strip()
    return f" at {pct} % of {'Vmax' if audience == 'clinician' else 'top speed'} or faster"


def _sessions(item: GateItemLike, audience: Audience) -> GateWords:
    seen, need = _count(item.observed), _count(item.needed)
    speed = _speed(item, audience)
    name = "Sessions counted" if audience == "clinician" else "sessions that count"
    observed = f"{seen} of {need}" if seen is not None and need is not None else "—"
    needed = (
        _plural(need, "good session", "good sessions") + f"{speed}"
        if need is not None
        else str(item.needed)
    )
    return GateWords(name, observed, needed)


def describe_gate_item(item: GateItemLike, audience: Audience = "clinician") -> GateWords:
    """Return a gate item in words (name, what was seen, what is needed) for ``audience``.

    An item this module does not know keeps the engine's own sentence, never its rule id.
    """
    athlete = audience == "athlete"
    seen = item.observed
    rule = item.rule
    if rule == "gate.5.days":
        return _days(item, audience)
    if rule == "gate.5.sessions":
        return _sessions(item, audience)
    if rule == "gate.1":
        blocked = not item.met
        return GateWords(
            "no warning sign, no review waiting" if athlete else "No red flag, no review pending",
            ("waiting for your clinician" if athlete else "awaiting review") if blocked else "none",
            "no warning sign" if athlete else "no red flag",
        )
    if rule == "gate.2":
        return GateWords(
            "morning check-in says go" if athlete else "Morning check-in is go",
            str(seen or "—"),
            "go",
        )
    if rule == "gate.3":
        return GateWords(
            "last session went well" if athlete else "Last session green and completed",
            _SESSION_WORDS.get(str(seen), str(seen or "—")),
            "green, completed",
        )
    if rule == "gate.4":
        return GateWords(
            "how you felt the morning after"
            if athlete
            else "The morning after the last session: back to usual",
            _RESPONSE_WORDS.get(str(seen), str(seen or "—")),
            "back to usual" if athlete else "green",
        )
    if rule == "stepback.reentry":
        count, need = _count(seen), _count(item.needed)
        return GateWords(
            "good sessions in a row after stepping back"
            if athlete
            else "Green sessions in a row after the step back",
            f"{count} of {need}" if count is not None and need is not None else "—",
            f"{need} in a row" if need is not None else str(item.needed),
        )
    if rule == "gate.6":
        hours = _count(seen)
        needed = str(item.needed or "").replace("≥", "").strip()
        return GateWords(
            "rest since your last fast session" if athlete else "Rest since the last fast session",
            f"{hours} h" if hours is not None else "no recent fast run",
            f"{needed} or more" if needed else "—",
        )
    if rule == "gate.8":
        return GateWords(
            "your clinician's OK to move on" if athlete else f"Sign-off: {item.text}",
            "given" if item.met else "not yet",
            "your clinician's OK" if athlete else "a recorded sign-off",
        )
    if rule == "gate.final":
        return GateWords(
            "last stage" if athlete else "Final stage",
            "—",
            "nothing to move up to" if athlete else "no next stage",
        )
    observed = "—" if seen is None else str(seen)
    return GateWords(item.text, observed, "" if item.needed is None else str(item.needed))


def still_needed(item: GateItemLike, audience: Audience = "athlete") -> str:
    """Return an unmet gate item as what is still needed ("2 more days at this stage")."""
    words = describe_gate_item(item, audience)
    seen, need = _count(item.observed), _count(item.needed)
    if item.rule == "gate.5.days" and seen is not None and need is not None:
        left = max(need - seen, 1)
        return _plural(left, "more day", "more days") + (
            " at this stage" if audience == "athlete" else " in this stage"
        )
    if item.rule in ("gate.5.sessions", "stepback.reentry") and seen is not None and need:
        left = max(need - seen, 1)
        extra = " in a row" if item.rule == "stepback.reentry" else _speed(item, audience)
        return _plural(left, "more good session", "more good sessions") + extra
    athlete = audience == "athlete"
    phrases = {
        "gate.1": "your clinician's review" if athlete else "review after the red flag",
        "gate.3": "a good, completed session" if athlete else "a green, completed session",
        "gate.4": "feeling back to usual the morning after a session"
        if athlete
        else "symptoms back to usual the morning after a session",
        "gate.6": f"rest since your last fast session ({words.needed})"
        if athlete
        else f"rest since the last fast session ({words.needed})",
        "gate.8": "your clinician's OK" if athlete else "sign-off",
    }
    if item.rule in phrases:
        return phrases[item.rule]
    return words.name[:1].lower() + words.name[1:]
