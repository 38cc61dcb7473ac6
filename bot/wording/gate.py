"""The progression gate in words: minimum days and sessions, rest, the last session, the
24-hour response, the sign-off, in the same words on the PDF, the chart and ``/status``.

The engine's gate items (``engine.programme.GateItem``) carry a rule, observed and needed
values; this module says each in a sentence for athletes or clinicians. Exit criteria of a
stage are described by ``bot.wording.criteria.describe_criterion`` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from bot.support.formats import format_percent
from bot.support.i18n import L_, Text, _, mid_sentence, ngettext, text
from bot.wording.items import Audience
from bot.wording.protocol import protocol_text


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


_SESSION_WORDS: dict[str, Text] = {
    "green": L_("green"),
    "amber": L_("amber (some symptoms)"),
    "red": L_("red (symptoms up)"),
    "stop": L_("stopped"),
    "no session in this stage": L_("no session in this stage yet"),
}
# The 24-hour response to the last session (``engine.programme.Response``).
_RESPONSE_WORDS: dict[str, Text] = {
    "green": L_("green"),
    "pending": L_("waiting for the morning after"),
    "hold": L_("symptoms up a little: held"),
    "step_back": L_("symptoms up: stepped back"),
    "missing": L_("no check-in the morning after"),
    "none": L_("none yet"),
}


def _of(seen: int | None, need: int | None) -> str:
    """What was seen against what is needed ("2 of 5"); once the need is met (or there is
    none), the count alone: "4 of 1" and "0 of 0" read as typos beside the needed column."""
    if seen is None or need is None:
        return "—"
    if need == 0 or seen > need:
        return str(seen)
    return _("{seen} of {need}").format(seen=seen, need=need)


def _days(item: GateItemLike, audience: Audience) -> GateWords:
    seen, need = _count(item.observed), _count(item.needed)
    name = _("Days in this stage") if audience == "clinician" else _("days at this stage")
    needed = (
        ngettext("{n} day or more", "{n} days or more", need).format(n=need)
        if need is not None
        else str(item.needed)
    )
    return GateWords(name, _of(seen, need), needed)


def _speed(item: GateItemLike, audience: Audience) -> str:
    """ " at 78 % of top speed or faster" from "Minimum sessions in stage (at ≥ 78 % Vmax…)"."""
    if "≥" not in item.text or "%" not in item.text:
        return ""
    pct = item.text.split("≥", 1)[-1].split("%", 1)[0].strip()
    if audience == "clinician":
        return " " + _("at {pct} % of Vmax or faster").format(pct=pct)
    return " " + _("at {pct} % of top speed or faster").format(pct=pct)


def _sessions(item: GateItemLike, audience: Audience) -> GateWords:
    seen, need = _count(item.observed), _count(item.needed)
    speed = _speed(item, audience)
    name = _("Sessions counted") if audience == "clinician" else _("sessions that count")
    needed = (
        ngettext("{n} good session", "{n} good sessions", need).format(n=need) + speed
        if need is not None
        else str(item.needed)
    )
    return GateWords(name, _of(seen, need), needed)


def _word(words: dict[str, Text], seen: object) -> str:
    found = words.get(str(seen))
    return text(found) if found is not None else str(seen or "—")


# The engine's sign-off sentences that are not a protocol's own text (engine/programme.py):
# the early confirmation (reference §2.1: the next stage reached before a share of the
# expected time) and the sentence for a stage without a sign-off note.
_EARLY_CONFIRMATION = re.compile(
    r"^Clinician confirmation: next stage reached before (?P<pct>\d+(?:\.\d+)?) % "
    r"of the expected time\.?$"
)
_PLAIN_SIGNOFF = "Clinician sign-off"


def _signoff_name(source: str) -> str:
    """The sign-off item's name for a clinician, in their language: the engine's early
    confirmation or plain sign-off in our words, else "Sign-off:" and the stage's sign-off
    note (a protocol text, translated as the protocol's texts are)."""
    early = _EARLY_CONFIRMATION.match(source.strip())
    if early is not None:
        pct = float(early["pct"])
        return _(
            "Clinician confirmation: next stage reached before {percent} of the expected time"
        ).format(percent=format_percent(pct, 0 if pct.is_integer() else 1))
    if source.strip() == _PLAIN_SIGNOFF:
        return _("Clinician sign-off")
    return _("Sign-off: {text}").format(text=protocol_text(source))


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
            _("no warning sign, no review waiting")
            if athlete
            else _("No red flag, no review pending"),
            (_("waiting for your clinician") if athlete else _("awaiting review"))
            if blocked
            else _("none"),
            _("no warning sign") if athlete else _("no red flag"),
        )
    if rule == "gate.2":
        return GateWords(
            _("morning check-in says go") if athlete else _("Morning check-in is go"),
            str(seen or "—"),
            _("go"),
        )
    if rule == "gate.3":
        return GateWords(
            _("last session went well") if athlete else _("Last session green and completed"),
            _word(_SESSION_WORDS, seen),
            _("green, completed"),
        )
    if rule == "gate.4":
        return GateWords(
            _("how you felt the morning after")
            if athlete
            else _("The morning after the last session: back to usual"),
            _word(_RESPONSE_WORDS, seen),
            _("back to usual") if athlete else _("green"),
        )
    if rule == "stepback.reentry":
        count, need = _count(seen), _count(item.needed)
        return GateWords(
            _("good sessions in a row after stepping back")
            if athlete
            else _("Green sessions in a row after the step back"),
            _of(count, need),
            _("{n} in a row").format(n=need) if need is not None else str(item.needed),
        )
    if rule == "gate.6":
        hours = _count(seen)
        needed = str(item.needed or "").replace("≥", "").strip()
        return GateWords(
            _("rest since your last fast session")
            if athlete
            else _("Rest since the last fast session"),
            _("{hours} h").format(hours=hours) if hours is not None else _("no recent fast run"),
            _("{value} or more").format(value=needed) if needed else "—",
        )
    if rule == "gate.symptoms":
        need = _count(item.needed)
        return GateWords(
            _("days in a row with no pain or tightness at all")
            if athlete
            else _("Symptom-free days in a row (all symptoms 0/10)"),
            _of(_count(seen), need),
            _("{n} in a row").format(n=need) if need is not None else str(item.needed),
        )
    if rule == "gate.8":
        return GateWords(
            _("your clinician's OK to move on") if athlete else _signoff_name(item.text),
            _("given") if item.met else _("not yet"),
            _("your clinician's OK") if athlete else _("a recorded sign-off"),
        )
    if rule == "gate.final":
        return GateWords(
            _("last stage") if athlete else _("Final stage"),
            "—",
            _("nothing to move up to") if athlete else _("no next stage"),
        )
    observed = "—" if seen is None else str(seen)
    return GateWords(item.text, observed, "" if item.needed is None else str(item.needed))


def still_needed(item: GateItemLike, audience: Audience = "athlete") -> str:
    """Return an unmet gate item as what is still needed ("2 more days at this stage")."""
    words = describe_gate_item(item, audience)
    seen, need = _count(item.observed), _count(item.needed)
    athlete = audience == "athlete"
    if item.rule == "gate.5.days" and seen is not None and need is not None:
        left = max(need - seen, 1)
        if athlete:
            days = ngettext("{n} more day at this stage", "{n} more days at this stage", left)
        else:
            days = ngettext("{n} more day in this stage", "{n} more days in this stage", left)
        return days.format(n=left)
    if item.rule in ("gate.5.sessions", "stepback.reentry") and seen is not None and need:
        left = max(need - seen, 1)
        if item.rule == "stepback.reentry":
            return ngettext(
                "{n} more good session in a row", "{n} more good sessions in a row", left
            ).format(n=left)
        more = ngettext("{n} more good session", "{n} more good sessions", left).format(n=left)
        return more + _speed(item, audience)
    if item.rule == "gate.symptoms" and need is not None:
        if athlete:
            return ngettext(
                "no pain, test pain or tightness at all (0/10) on {count} day in a row",
                "no pain, test pain or tightness at all (0/10) on {count} days in a row",
                need,
            ).format(count=need)
        return ngettext(
            "{count} symptom-free day in a row (all symptoms 0/10; so far {seen})",
            "{count} symptom-free days in a row (all symptoms 0/10; so far {seen})",
            need,
        ).format(count=need, seen=seen if seen is not None else 0)
    phrases = {
        "gate.1": _("your clinician's review") if athlete else _("review after the red flag"),
        "gate.3": _("a good, completed session") if athlete else _("a green, completed session"),
        "gate.4": _("feeling back to usual the morning after a session")
        if athlete
        else _("symptoms back to usual the morning after a session"),
        "gate.6": _("rest since your last fast session ({needed})").format(needed=words.needed)
        if athlete
        else _("rest since the last fast session ({needed})").format(needed=words.needed),
        "gate.8": _("your clinician's OK") if athlete else _("sign-off"),
    }
    if item.rule in phrases:
        return phrases[item.rule]
    return mid_sentence(words.name)
