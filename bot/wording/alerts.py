"""Clinician alert lines in the reader's language (issue: alerts read in English).

The engine is pure and language-neutral: an alert it raises is stored as its severity, its
rule and an English sentence for the record. A clinician reads the line worded here instead,
when their message is rendered (so in their language), from the rule and the structured
parts of the record: the red-flag keys (the engine builds the sentence from its own
:data:`engine.red_flags.FLAG_TEXT`, read back here), the tier, the stage ids (named with the
protocol, their sign-off note through :func:`protocol_text`) and the counts.

:func:`alert_words` returns None for a rule or sentence it does not know (a protocol's own
trigger, an alert about the protocol set-up, a session against the plan…): the caller then
shows the engine's sentence, cleaned by :func:`clinician_record_text`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from bot.support.formats import format_date, format_decimal, format_percent
from bot.support.i18n import N_, _, ngettext
from bot.wording.protocol import protocol_text
from bot.wording.stages import stage_label
from engine.red_flags import FLAG_TEXT, SESSION_FLAG_TEXT, TIER_TITLE

# The red-flag signs as the engine names them (engine.red_flags), in the clinician's words.
_FLAG_WORDS: dict[str, str] = {
    "swelling": N_("new swelling"),
    "bruising": N_("new bruising"),
    "numbness": N_("numbness, tingling or weakness in the leg or foot"),
    "night_pain": N_("pain that woke them at night"),
    "calf_warm_red": N_("a warm, red or swollen calf"),
    "chest_breathless": N_("chest pain or breathlessness"),
    "unwell": N_("fever or feeling unwell"),
    "pop": N_("a pop or sudden sharp pain since yesterday"),
}
_SESSION_FLAG_WORDS: dict[str, str] = {
    "swelling": N_("new swelling since the session started"),
    "bruising": N_("new bruising since the session started"),
    "pop": N_("a pop during the session"),
    "numbness": N_("numbness, tingling or weakness in the leg or foot since the session started"),
}
_SHARP = "sharp, stabbing or sudden pain, a pop or a grab during the session"
_SIGN_WORDS: dict[str, str] = {
    **{FLAG_TEXT[k]: w for k, w in _FLAG_WORDS.items()},
    **{SESSION_FLAG_TEXT[k]: w for k, w in _SESSION_FLAG_WORDS.items()},
    _SHARP: N_("sharp, stabbing or sudden pain, a pop or a grab during the session"),
}
_TIER_WORDS: dict[int, str] = {
    1: N_("EMERGENCY"),
    2: N_("same-day medical assessment needed"),
    3: N_("stop and clinician review within 24 h"),
}
_PICTURES: dict[str, str] = {
    "acute compartment syndrome (swollen limb, severe pain at rest or numbness)": N_(
        "acute compartment syndrome (swollen limb, severe pain at rest or numbness)"
    ),
    "pulmonary embolism from a deep-vein thrombosis": N_(
        "pulmonary embolism from a deep-vein thrombosis"
    ),
    "an Achilles tendon rupture (heel raises collapsing, with pain)": N_(
        "an Achilles tendon rupture (heel raises collapsing, with pain)"
    ),
}
# Sentences the bot or the engine always writes the same way.
_FIXED: dict[str, str] = {
    "Morning pain or tightness has risen week on week (7-day mean up ≥ 1 point): stage "
    "held, please review.": N_(
        "Morning pain or tightness has risen week on week (7-day mean up ≥ 1 point): stage "
        "held, please review."
    ),
    "Red flag reported (the engine failed, tier unknown): please review now.": N_(
        "Red flag reported (the engine failed, tier unknown): please review now."
    ),
    "The engine failed on the athlete's answers: please review them.": N_(
        "The engine failed on the athlete's answers: please review them."
    ),
}

_RED_FLAG = re.compile(
    r"^Red flag, tier (?P<tier>[123]) \((?P<title>[^)]*)\): athlete reported (?P<signs>.+?)\."
    r"(?: Picture compatible with (?P<picture>.+) \(reference §5\)\.)?$"
)
_PAIN_REST = re.compile(r"^pain at rest (?P<pain>\d+)/10 \(stop threshold (?P<stop>\d+)\)$")
_SESSION_PAIN = re.compile(r"^session pain (?P<pain>\d+)/10$")
_ACHILLES = re.compile(
    r"^single-leg heel raises collapsed to (?P<inj>\d+) of (?P<other>\d+) on the other side "
    r"\((?P<lsi>\d+) %, earlier (?P<best>\d+) %\) with pain$"
)


def _sign(text: str) -> str | None:
    """One sign of a red-flag alert in words, or None if the engine's sentence is unknown."""
    if text in _SIGN_WORDS:
        return _(_SIGN_WORDS[text])
    if m := _PAIN_REST.match(text):
        return _("pain at rest {pain}/10 (stop threshold {stop})").format(**m.groupdict())
    if m := _SESSION_PAIN.match(text):
        return _("session pain {pain}/10").format(**m.groupdict())
    if m := _ACHILLES.match(text):
        return _(
            "single-leg heel raises collapsed to {injured} of {other} on the other side "
            "({lsi}, earlier {best}) with pain"
        ).format(
            injured=m["inj"],
            other=m["other"],
            lsi=format_percent(float(m["lsi"])),
            best=format_percent(float(m["best"])),
        )
    return None


def _red_flag(text: str) -> str | None:
    m = _RED_FLAG.match(text)
    if m is None or TIER_TITLE.get(int(m["tier"])) != m["title"]:
        return None
    signs = [_sign(s) for s in m["signs"].split("; ")]
    if any(s is None for s in signs):
        return None
    line = _("Red flag, tier {tier} ({title}): athlete reported {signs}.").format(
        tier=m["tier"], title=_(_TIER_WORDS[int(m["tier"])]), signs="; ".join(map(str, signs))
    )
    if m["picture"]:
        picture = _PICTURES.get(m["picture"])
        if picture is None:
            return None
        line += " " + _("Picture compatible with {picture} (reference §5).").format(
            picture=_(picture)
        )
    return line


def _stage(protocol: Any | None, stage_id: str) -> str:
    """A stage as clinicians read it ("H1 · Early loading"), the id alone without a protocol."""
    if protocol is None:
        return stage_id
    return stage_label(protocol, stage_id, "clinician")


def _signoff_note(protocol: Any | None, stage_id: str) -> str | None:
    """The stage's sign-off note in the reader's language, without its closing full stop."""
    for stage in getattr(protocol, "stages", ()):
        if stage.id == stage_id:
            note = getattr(stage, "signoff_note", None)
            return protocol_text(note).strip().rstrip(".") if note else None
    return None


Worder = Callable[[re.Match[str], Any], str | None]


def _gate(m: re.Match[str], protocol: Any) -> str | None:
    if protocol is None:
        return None
    note = _signoff_note(protocol, m["stage"]) or _("clearance")
    return _("{stage} criteria met: sign-off needed to move on ({note}).").format(
        stage=_stage(protocol, m["stage"]), note=note
    )


def _gate_recommended(m: re.Match[str], protocol: Any) -> str | None:
    if protocol is None:
        return None
    start, end = _stage(protocol, m["start"]), _stage(protocol, m["end"])
    note = _signoff_note(protocol, m["start"])
    if note:
        return _(
            "Athlete moved from {start} to {end}. A clinician review is recommended: {note}."
        ).format(start=start, end=end, note=note)
    return _("Athlete moved from {start} to {end}. A clinician review is recommended.").format(
        start=start, end=end
    )


def _count(m: re.Match[str], key: str) -> int:
    return int(m[key])


_PATTERNS: dict[str, tuple[re.Pattern[str], Worder]] = {
    "gate.8": (
        re.compile(r"^Stage (?P<stage>\S+) criteria met: sign-off needed to move on \(.*\)\.$"),
        _gate,
    ),
    "gate.8.recommended": (
        re.compile(
            r"^Athlete moved from (?P<start>\S+) to (?P<end>\S+)\. A clinician review is "
            r"recommended:.*$"
        ),
        _gate_recommended,
    ),
    "escalate.missed": (
        re.compile(r"^No check-in for (?P<n>\d+) days: the stage is held\.$"),
        lambda m, p: ngettext(
            "No check-in for {count} day: the stage is held.",
            "No check-in for {count} days: the stage is held.",
            _count(m, "n"),
        ).format(count=m["n"]),
    ),
    "escalate.rest_mornings": (
        re.compile(
            r"^Rest verdict (?P<n>\d+) mornings in a row \(injury symptoms\): clinician review "
            r"within 24 h\.$"
        ),
        lambda m, p: ngettext(
            "Rest verdict {count} morning in a row (injury symptoms): clinician review "
            "within 24 h.",
            "Rest verdict {count} mornings in a row (injury symptoms): clinician review "
            "within 24 h.",
            _count(m, "n"),
        ).format(count=m["n"]),
    ),
    "escalate.low_confidence": (
        re.compile(
            r"^Low confidence \(≤ (?P<max>\d+(?:\.\d+)?)/10\) (?P<n>\d+) mornings in a row: the "
            r"athlete may want a check-in\.$"
        ),
        lambda m, p: ngettext(
            "Low confidence (≤ {max}/10) {count} morning in a row: the athlete may want a "
            "check-in.",
            "Low confidence (≤ {max}/10) {count} mornings in a row: the athlete may want a "
            "check-in.",
            _count(m, "n"),
        ).format(count=m["n"], max=format_decimal(float(m["max"]))),
    ),
    "escalate.red_repeat": (
        re.compile(r"^Second red session within (?P<n>\d+) days: clinician review\.$"),
        lambda m, p: ngettext(
            "Second red session within {count} day: clinician review.",
            "Second red session within {count} days: clinician review.",
            _count(m, "n"),
        ).format(count=m["n"]),
    ),
    "escalate.no_progress": (
        re.compile(
            r"^No progression for (?P<n>\d+) days \(stage (?P<stage>\S+)\): clinician review\.$"
        ),
        lambda m, p: ngettext(
            "No progression for {count} day (stage {stage}): clinician review.",
            "No progression for {count} days (stage {stage}): clinician review.",
            _count(m, "n"),
        ).format(count=m["n"], stage=_stage(p, m["stage"])),
    ),
    "escalate.step_backs": (
        re.compile(
            r"^(?P<n>\d+) step-backs within (?P<days>\d+) days \(now (?P<start>\S+) → "
            r"(?P<end>\S+)\): clinician review\.$"
        ),
        lambda m, p: ngettext(
            "{count} step-back within {days} days (now {start} → {end}): clinician review.",
            "{count} step-backs within {days} days (now {start} → {end}): clinician review.",
            _count(m, "n"),
        ).format(
            count=m["n"], days=m["days"], start=_stage(p, m["start"]), end=_stage(p, m["end"])
        ),
    ),
    "wellness.poor_days": (
        re.compile(
            r"^Poor wellness \(sleep, fatigue, stress or soreness\) on (?P<n>\d+) of the last 7 "
            r"days: high-speed running is held on those days; please check in with the "
            r"athlete\.$"
        ),
        lambda m, p: _(
            "Poor wellness (sleep, fatigue, stress or soreness) on {count} of the last 7 days: "
            "high-speed running is held on those days; please check in with the athlete."
        ).format(count=m["n"]),
    ),
    "stop.reinjury": (
        re.compile(
            r"^Possible re-injury in (?P<start>\S+): the athlete is moved back to (?P<end>\S+) "
            r"\(max-sprint re-test and sign-off needed again after your review\)\.$"
        ),
        lambda m, p: _(
            "Possible re-injury in {start}: the athlete is moved back to {end} (max-sprint "
            "re-test and sign-off needed again after your review)."
        ).format(start=_stage(p, m["start"]), end=_stage(p, m["end"])),
    ),
    "24h.elevated_48h": (
        re.compile(
            r"^Symptoms still elevated 48 h or more after the session of "
            r"(?P<day>\d{4}-\d\d-\d\d): clinician review within 24 h, no running until "
            r"reviewed\.$"
        ),
        lambda m, p: _(
            "Symptoms still elevated 48 h or more after the session of {day}: clinician "
            "review within 24 h, no running until reviewed."
        ).format(day=format_date(dt.date.fromisoformat(m["day"]))),
    ),
    "session.low_confidence": (
        re.compile(
            r"^Athlete held back or had low confidence on (?P<n>\d+) high-speed sessions in a "
            r"row: psychological readiness check-in\.$"
        ),
        lambda m, p: ngettext(
            "Athlete held back or had low confidence on {count} high-speed session in a row: "
            "psychological readiness check-in.",
            "Athlete held back or had low confidence on {count} high-speed sessions in a row: "
            "psychological readiness check-in.",
            _count(m, "n"),
        ).format(count=m["n"]),
    ),
}
# The rules whose alert is a red-flag triage (engine.red_flags.triage).
_RED_FLAG_RULES = re.compile(
    r"^(?:redflag\.tier[123]|redflag\.achilles|session\.red_flag|session\.stop|"
    r"session\.severe_pain)$"
)


def alert_words(rule: str, text: str, protocol: Any | None = None) -> str | None:
    """Return an alert's line in the current language, worded from its rule and the record's
    structured parts, or None when this rule (or this form of its sentence) is not known."""
    text = text.strip()
    if _RED_FLAG_RULES.match(rule):
        return _red_flag(text)
    if text in _FIXED:
        return _(_FIXED[text])
    pattern = _PATTERNS.get(rule)
    if pattern is None:
        return None
    m = pattern[0].match(text)
    return pattern[1](m, protocol) if m is not None else None


_DOUBLED = re.compile(r"\.\)\.")


def clinician_record_text(text: str) -> str:
    """Return an engine sentence with its punctuation tidied (a note ending in a full stop
    inside brackets: "(… (eligibility).)." reads "(… (eligibility)).")."""
    return _DOUBLED.sub(").", text)
