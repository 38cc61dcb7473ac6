"""Clinician alert lines in the reader's language (issue: alerts read in English).

The engine is pure and language-neutral: an alert it raises is stored as its severity, its
rule and an English sentence for the record. A clinician reads the line worded here instead,
when their message is rendered (so in their language), from the rule and the structured
parts of the record: the red-flag keys (the engine builds the sentence from its own
:data:`engine.red_flags.FLAG_TEXT`, read back here), the tier, the stage ids (named with the
protocol, their sign-off note through :func:`protocol_text`) and the counts.

:func:`alert_words` words every alert the engine or the bot raises (tests/wording table
test); a part it cannot place (a stall's criterion this protocol version does not hold, a
red-flag sign a newer engine names) is said in words of its own, and it returns None only
for a rule or form of sentence it does not know (an engine sentence changed). The caller
(:func:`alert_line`) then shows, in English, the engine's sentence cleaned by
:func:`clinician_record_text`, and in any other language :func:`unworded_alert`: what the
alert is about and the sentence's values, never the engine's English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from bot.support.formats import (
    format_date,
    format_day_month,
    format_decimal,
    format_percent,
    format_short_date,
)
from bot.support.i18n import N_, SOURCE_LANGUAGE, _, current_language, ngettext
from bot.wording.engine_reasons import (
    LOWER_LEG_EXERCISE,
    SPEED_SPLIT,
    SPEED_SPLIT_OVER_TOP,
    SPEED_TOP,
)
from bot.wording.injury import injury_name
from bot.wording.items import format_value, item_label
from bot.wording.protocol import protocol_text
from bot.wording.reasons import clinician_plain
from bot.wording.stages import stage_label
from engine.items import item_label as engine_item_label
from engine.programme import EARLY_FULL_TRAINING
from engine.red_flags import ELSEWHERE_TEXT, FLAG_TEXT, SESSION_FLAG_TEXT, TIER_TITLE

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
_ELSEWHERE_WORDS: dict[str, str] = {
    "other_leg": N_("pain in the other leg during the session"),
    "back_buttock": N_("pain in the low back or buttock during the session"),
    "other": N_("pain away from the injured spot during the session"),
}
_SHARP = "sharp, stabbing or sudden pain, a pop or a grab during the session"
_SIGN_WORDS: dict[str, str] = {
    **{FLAG_TEXT[k]: w for k, w in _FLAG_WORDS.items()},
    **{SESSION_FLAG_TEXT[k]: w for k, w in _SESSION_FLAG_WORDS.items()},
    **{ELSEWHERE_TEXT[k]: w for k, w in _ELSEWHERE_WORDS.items()},
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
_PAIN_1H = re.compile(r"^pain an hour after the session (?P<pain>\d+)/10$")
_ACHILLES = re.compile(
    r"^single-leg heel raises collapsed to (?P<inj>\d+) of (?P<other>\d+) on the other side "
    r"\((?P<lsi>\d+) %, earlier (?P<best>\d+) %\) with pain$"
)
_ACHILLES_FIRST = re.compile(
    r"^single-leg heel raises collapsed to (?P<inj>\d+) of (?P<other>\d+) on the other side "
    r"\((?P<lsi>\d+) %, the first pair logged\) with pain$"
)
_ACHILLES_ONE_SIDE = re.compile(
    r"^single-leg heel raises collapsed to (?P<inj>\d+) \(other side not logged, "
    r"(?P<best>\d+) earlier in this stage\) with pain$"
)


def _sign(text: str) -> str | None:
    """One sign of a red-flag alert in words, or None if the engine's sentence is unknown."""
    if text in _SIGN_WORDS:
        return _(_SIGN_WORDS[text])
    if m := _PAIN_REST.match(text):
        return _("pain at rest {pain}/10 (stop threshold {stop})").format(**m.groupdict())
    if m := _SESSION_PAIN.match(text):
        return _("session pain {pain}/10").format(**m.groupdict())
    if m := _PAIN_1H.match(text):
        return _("pain an hour after the session {pain}/10").format(**m.groupdict())
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
    if m := _ACHILLES_FIRST.match(text):
        return _(
            "single-leg heel raises collapsed to {injured} of {other} on the other side "
            "({lsi}, the first pair logged) with pain"
        ).format(injured=m["inj"], other=m["other"], lsi=format_percent(float(m["lsi"])))
    if m := _ACHILLES_ONE_SIDE.match(text):
        return _(
            "single-leg heel raises collapsed to {injured} (other side not logged, {best} "
            "earlier in this stage) with pain"
        ).format(injured=m["inj"], best=m["best"])
    return None


def _any_sign(text: str) -> str:
    """One sign of a red-flag alert in words; a sign the wording does not know (a newer
    engine's) is said as such, never in the engine's English."""
    return _sign(text) or _("another sign (see the athlete's answers)")


def _red_flag(text: str) -> str | None:
    m = _RED_FLAG.match(text)
    if m is None or TIER_TITLE.get(int(m["tier"])) != m["title"]:
        return None
    signs = [_any_sign(s) for s in m["signs"].split("; ")]
    line = _("Red flag, tier {tier} ({title}): athlete reported {signs}.").format(
        tier=m["tier"], title=_(_TIER_WORDS[int(m["tier"])]), signs="; ".join(signs)
    )
    if m["picture"]:
        picture = _PICTURES.get(m["picture"])
        if picture is None:
            line += " " + _("Picture compatible with a serious condition (reference §5).")
        else:
            line += " " + _("Picture compatible with {picture} (reference §5).").format(
                picture=_(picture)
            )
    return line


def _stage(protocol: Any | None, stage_id: str) -> str:
    """A stage as clinicians read it ("H1 · Early loading"), the id alone without a protocol."""
    if protocol is None:
        return stage_id
    return stage_label(protocol, stage_id, "clinician")


def red_flag_signs(text: str) -> str | None:
    """The signs a red-flag alert's engine sentence names, in the reader's words ("new
    swelling; numbness, tingling or weakness"), or None for another alert."""
    m = _RED_FLAG.match(text)
    if m is None:
        return None
    return "; ".join(_any_sign(sign) for sign in m["signs"].split("; "))


def _signoff_note(protocol: Any | None, stage_id: str) -> str | None:
    """The stage's sign-off note in the reader's language, without its closing full stop."""
    for stage in getattr(protocol, "stages", ()):
        if stage.id == stage_id:
            note = getattr(stage, "signoff_note", None)
            return protocol_text(note).strip().rstrip(".") if note else None
    return None


Worder = Callable[[re.Match[str], Any], str | None]


def _recorded_note(note: str | None) -> str | None:
    """The sign-off note the engine's sentence quotes, for a protocol that cannot be read:
    a protocol text the catalogues translate (else None, as for none or "clearance": the
    sentence goes without it rather than hold English in another language)."""
    note = (note or "").strip()
    if not note or note == "clearance":
        return None
    words = protocol_text(note).strip()
    if words == note and current_language() != SOURCE_LANGUAGE:
        return None
    return words.rstrip(".") or None


def _gate(m: re.Match[str], protocol: Any) -> str | None:
    if protocol is None:
        note = _recorded_note(m["note"]) or _("clearance")
    else:
        note = _signoff_note(protocol, m["stage"]) or _("clearance")
    return _("{stage} criteria met: sign-off needed to move on ({note}).").format(
        stage=_stage(protocol, m["stage"]), note=note
    )


def _gate_recommended(m: re.Match[str], protocol: Any) -> str | None:
    start, end = _stage(protocol, m["start"]), _stage(protocol, m["end"])
    note = _recorded_note(m["note"]) if protocol is None else _signoff_note(protocol, m["start"])
    if not (_holds(protocol, m["start"]) and _holds(protocol, m["end"])):
        # A stage the protocol cannot name is a phrase ("a stage no longer in the protocol"),
        # which "from" and "to" put in another case in German ("von eine …") or elide in
        # French ("de une …"): it is left out of the sentence.
        if _holds(protocol, m["end"]) and not note:
            return _("Athlete moved up to {end}. A clinician review is recommended.").format(
                end=end
            )
        if note:
            return _("Athlete moved up a stage. A clinician review is recommended: {note}.").format(
                note=note
            )
        return _("Athlete moved up a stage. A clinician review is recommended.")
    if note:
        return _(
            "Athlete moved from {start} to {end}. A clinician review is recommended: {note}."
        ).format(start=start, end=end, note=note)
    return _("Athlete moved from {start} to {end}. A clinician review is recommended.").format(
        start=start, end=end
    )


def _count(m: re.Match[str], key: str) -> int:
    return int(m[key])


def _number(value: str) -> str:
    """A number of the engine's sentence ("92.5", "48") with the reader's decimal sign."""
    return format_decimal(float(value))


def _pct(value: str) -> str:
    """A percentage of the engine's sentence ("92.5") as the reader writes it ("92,5 %")."""
    number = float(value)
    return format_percent(number, 0 if number == int(number) else 1)


def _iso_day(value: str) -> str:
    return format_date(dt.date.fromisoformat(value))


# Why a run went against the plan (engine.programme._BLOCKED_WHY keys), for clinicians.
_RAN_ALTHOUGH: dict[str, str] = {
    "awaiting clinician review": N_("the athlete ran while running was on hold for your review"),
    "paused": N_("the athlete ran while the programme was paused"),
    "missing": N_("the athlete ran without a morning check-in"),
    "rest": N_("the athlete ran although the morning check said rest"),
    "stop": N_("the athlete ran although the morning check said stop"),
    "no running": N_("the athlete ran on a day without running in the plan"),
}
_RAN_AT = re.compile(r"^ran at (?P<pct>\d+(?:\.\d+)?) % Vmax, cap (?P<cap>\d+(?:\.\d+)?) %$")


def _against_plan(m: re.Match[str], protocol: Any) -> str | None:
    what = m["what"]
    if what.startswith("ran although ") and what[13:] in _RAN_ALTHOUGH:
        done = _(_RAN_ALTHOUGH[what[13:]])
    elif what == EARLY_FULL_TRAINING:
        done = _("the athlete did a full team or event training before the stage that includes it")
    elif ran := _RAN_AT.match(what):
        done = _("the athlete ran at {pct} Vmax, above today's cap of {cap}").format(
            pct=_pct(ran["pct"]), cap=_pct(ran["cap"])
        )
    else:  # a newer engine's reason: said in general, never in the engine's English
        done = _("the athlete trained against today's plan")
    line = _("Session against the plan on {day}: {what}.").format(day=_iso_day(m["day"]), what=done)
    if m["again"]:
        line += " " + _("It is not the first time in 28 days.")
    return line + " " + _("Not counted; please talk it through with the athlete.")


_PAIN_PLACES: dict[str, str] = {
    "the other leg": N_("the other leg"),
    "low back / buttock": N_("the low back or buttock"),
    "another place": N_("another place"),
}


def _reading(text: str) -> str:
    """One reading too fast to trust (engine.plausibility), in the clinician's words."""
    if m := SPEED_TOP.match(text):
        return _("top speed {pct} of baseline").format(pct=_pct(m["pct"]))
    if m := SPEED_SPLIT.match(text):
        return _("{distance} split {seconds} s, {pct} faster than baseline").format(
            distance=m["dist"], seconds=_number(m["s"]), pct=_pct(m["pct"])
        )
    if m := SPEED_SPLIT_OVER_TOP.match(text):
        return _("{distance} split {seconds} s, faster than the baseline Vmax allows").format(
            distance=m["dist"], seconds=_number(m["s"])
        )
    return _("a reading faster than the baseline allows")


def _unconfirmed(m: re.Match[str], protocol: Any) -> str | None:
    readings = [_reading(t) for t in m["seen"].split("; ")]
    return ngettext(
        "Speed readings too fast to trust in {count} session within {days} days (latest: "
        "{readings}): please review the athlete's baseline, which may have been set too low.",
        "Speed readings too fast to trust in {count} sessions within {days} days (latest: "
        "{readings}): please review the athlete's baseline, which may have been set too low.",
        _count(m, "n"),
    ).format(count=m["n"], days=m["days"], readings="; ".join(readings))


def _missed_checkins(m: re.Match[str], protocol: Any, on: dt.date | None) -> str | None:
    try:
        month = dt.datetime.strptime(m["mon"], "%b").month
    except ValueError:
        return None
    if on is not None and (on.day, on.month) == (int(m["d"]), month):
        last = format_short_date(on)
    else:
        try:
            last = format_day_month(dt.date(2000, month, int(m["d"])))  # 2000: a leap year
        except ValueError:
            return None
    name = m["name"]
    if unnamed := re.fullmatch(r"athlete (\d+)", name):
        name = _("Athlete #{number}").format(number=unnamed[1])
    # The alert's severity is "within 24 h": the line says so too, as it is also sent alone
    # (bot.scheduling.tick), without the card's headline.
    return ngettext(
        "{name} has missed {count} morning check-in in a row, the latest on {day}. Missed "
        "days count as hold (no progression). Please get in touch within 24 h.",
        "{name} has missed {count} morning check-ins in a row, the latest on {day}. Missed "
        "days count as hold (no progression). Please get in touch within 24 h.",
        _count(m, "n"),
    ).format(name=name, count=m["n"], day=last)


def _criteria_of(protocol: Any | None, stage_id: str) -> list[Any]:
    for stage in getattr(protocol, "stages", ()):
        if stage.id == stage_id:
            return list(stage.exit_criteria)
    return []


def _early_signoff(m: re.Match[str], protocol: Any) -> str | None:
    # The missing criteria are protocol texts, translated by the catalogues whether or not
    # this version still holds them (an admin's upload, a newer version).
    texts = {c.text for c in _criteria_of(protocol, m["stage"])}
    missing = _split_known(m["missing"], texts) or m["missing"].split("; ")
    return _(
        "Sign-off for {stage} recorded before its criteria were met (missing: {missing}): it "
        "does not open the gate; you will be asked again."
    ).format(stage=_stage(protocol, m["stage"]), missing="; ".join(map(protocol_text, missing)))


def _lapsed_signoff(m: re.Match[str], protocol: Any) -> str | None:
    # The criterion is a protocol text, translated by the catalogues whether or not this
    # version still holds it (an admin deleted or renamed it since).
    criterion = protocol_text(m["criterion"]).strip().rstrip(".")
    if protocol is not None and m["stage"] not in {s.id for s in getattr(protocol, "stages", ())}:
        # A newer version removed the stage: its gate is gone, so nobody will ask again.
        return _(
            "The sign-off for a stage since removed from the protocol has lapsed: a later "
            "result did not meet “{criterion}”. Please set the athlete's stage with /stage."
        ).format(criterion=criterion)
    # Which sign-off, which result, what it means for the athlete and for the clinician (an
    # information card: nothing to do until the gate asks again). "The" sign-off: every linked
    # clinician reads it, not only the one who gave it.
    return _(
        "The sign-off for {stage} no longer holds: a later result did not meet “{criterion}”. "
        "The athlete stays at this stage. Nothing to do now: you will be asked again once the "
        "criteria are met."
    ).format(stage=_stage(protocol, m["stage"]), criterion=criterion)


def _split_known(text: str, known: set[str]) -> list[str] | None:
    """Split a "; "-joined list of known texts (a text may hold "; " itself), or None."""
    out: list[str] = []
    rest = text
    while rest:
        found = next(
            (
                k
                for k in sorted(known, key=len, reverse=True)
                if rest == k or rest.startswith(k + "; ")
            ),
            None,
        )
        if found is None:
            return None
        out.append(found)
        rest = rest[len(found) + 2 :]
    return out


_COUNTED = re.compile(r"^(?P<done>\d+)/(?P<need>\d+) in a row \(last (?P<last>.+)\)$")


def _lower_leg(m: re.Match[str], protocol: Any) -> str | None:
    """A leg pair read the other way round (engine.programme._lower_leg): the criteria it
    decided are protocol texts, translated whether or not the protocol still holds them."""
    known = {
        c.text
        for stage in getattr(protocol, "stages", ())
        for c in (*stage.exit_criteria, *stage.regression_triggers)
    }
    criteria = _split_known(m["criteria"], known) or m["criteria"].split("; ")
    return _(
        "{exercise} logged as injured side {injured}, other side {other}: the injured side "
        "reads higher, which is unusual after this injury and often means the counts were "
        "typed the wrong way round. The lower count ({other}) was read for the injured side "
        "in: {criteria}. Please check with the athlete which side is which: if the injured "
        "side really is stronger, /stage moves them on."
    ).format(
        exercise=_(LOWER_LEG_EXERCISE[m["what"]]),
        injured=m["inj"],
        other=m["oth"],
        criteria="; ".join(map(protocol_text, criteria)),
    )


def _observed(item: str, value: str) -> str:
    """A value the engine printed (``str()`` of a number, a bool, None or a streak)."""
    if m := _COUNTED.match(value):
        return _("{done} of {need} in a row, last {value}").format(
            done=m["done"], need=m["need"], value=_observed(item, m["last"])
        )
    if value in ("None", "—"):
        return _("none yet")
    if value in ("True", "False"):
        return format_value(item, value == "True")
    try:
        return format_value(item, float(value))
    except ValueError:
        return value


# The stall's gate and morning items as the engine words them for clinicians (engine.stall).
_STALL_FIXED: dict[str, str] = {
    "your review (running is on hold until then)": N_(
        "your review (running is on hold until then)"
    ),
    "a green session with a green 24-hour response": N_(
        "a green session with a green 24-h response"
    ),
    "green mornings: held by a change against the athlete's symptom baseline (a review with "
    "/clear re-sets the baseline)": N_(
        "green mornings: held by a change against the athlete's symptom baseline (a review "
        "with /clear re-sets the baseline)"
    ),
    "green mornings: held by wellness (sleep, fatigue, stress, soreness)": N_(
        "green mornings: held by wellness (sleep, fatigue, stress, soreness)"
    ),
    "complete morning check-ins (answers skipped)": N_(
        "complete morning check-ins (answers skipped)"
    ),
    "green mornings (pain, tightness or confidence)": N_(
        "green mornings (pain, tightness or confidence)"
    ),
}
_NUM = r"\d+(?:\.\d+)?"


Itemiser = Callable[[re.Match[str]], str]


def _fixed_item(words: str) -> Itemiser:
    return lambda m: _(words)


def _none_recorded(criterion: str) -> Itemiser:
    return lambda m: _("{criterion}: none recorded yet").format(criterion=protocol_text(criterion))


# Why a criterion's latest result was not counted (engine.stall._NOT_COUNTED), for clinicians.
_NOT_COUNTED_WHY: dict[str, str] = {
    "it came with a session that did not count": N_(
        "{criterion}: latest result not counted (it came with a session that did not count)"
    ),
    "logged while running was stopped for a review": N_(
        "{criterion}: latest result not counted (logged while running was stopped for your review)"
    ),
}


def _not_counted(criterion: str) -> Itemiser:
    return lambda m: _(_NOT_COUNTED_WHY[m["why"]]).format(criterion=protocol_text(criterion))


def _no_baseline(criterion: str) -> Itemiser:
    return lambda m: _(
        "{criterion}: no pre-injury baseline to compare with: set it with the athlete (/baseline)"
    ).format(criterion=protocol_text(criterion))


def _no_split_baseline(criterion: str) -> Itemiser:
    return lambda m: _(
        "{criterion}: no pre-injury baseline for {splits} to compare with: set it with the "
        "athlete (/baseline)"
    ).format(criterion=protocol_text(criterion), splits=m["splits"])


def _splits_apart(criterion: str) -> Itemiser:
    return lambda m: _("{criterion}: {splits} not all timed in one session").format(
        criterion=protocol_text(criterion), splits=m["splits"]
    )


def _not_met(criterion: str, item: str) -> Itemiser:
    return lambda m: _("{criterion}: not met (last {value})").format(
        criterion=protocol_text(criterion), value=_observed(item, m["o"])
    )


def _criterion_not_met(m: re.Match[str]) -> str:
    """A criterion this version does not hold (an admin's upload, a newer version) that the
    stall names as not met: its text through the catalogues, its last value if a number."""
    criterion = protocol_text(m["c"]).strip().rstrip(".")
    if re.fullmatch(_NUM, m["o"]):
        return _("{criterion}: not met (last {value})").format(
            criterion=criterion, value=_number(m["o"])
        )
    return _("{criterion}: not met").format(criterion=criterion)


def _unknown_criteria(stage: str) -> list[tuple[re.Pattern[str], Itemiser]]:
    """The stall's criterion items whose criterion this version does not hold, read from the
    engine's sentence (the criterion's text in brackets, or before ": not met")."""
    tail = rf" in {stage} \((?P<c>.+?)\)(?=; |$)"
    why = "|".join(re.escape(k) for k in _NOT_COUNTED_WHY)
    splits = r"(?P<splits>\d+ m(?:, \d+ m)*)"
    return [
        (re.compile(r"[^;]+?: none recorded" + tail), lambda m: _none_recorded(m["c"])(m)),
        (
            re.compile(rf"[^;]+?: latest result not counted \((?P<why>{why})\)" + tail),
            lambda m: _not_counted(m["c"])(m),
        ),
        (
            re.compile(r"[^;]+?: no baseline to compare with" + tail),
            lambda m: _no_baseline(m["c"])(m),
        ),
        (
            re.compile(rf"[^;]+?: no baseline for {splits} to compare with" + tail),
            lambda m: _no_split_baseline(m["c"])(m),
        ),
        (
            re.compile(rf"[^;]+?: {splits} not all timed in one session" + tail),
            lambda m: _splits_apart(m["c"])(m),
        ),
        (
            re.compile(r"(?P<c>.+?): not met \(last (?P<o>[^)]*)\)(?=; |$)"),
            _criterion_not_met,
        ),
    ]


def _stall_items(text: str, protocol: Any, stage_id: str) -> list[str]:
    """The stall's missing items in the reader's words (they are joined with "; ", and a
    criterion's text or an item may hold "; " itself). An item the wording cannot place (a
    newer engine's) reads "a criterion no longer in the protocol: not met", never in the
    engine's English."""
    stage = re.escape(stage_id)
    worders: list[tuple[re.Pattern[str], Itemiser]] = [
        (re.compile(re.escape(k)), _fixed_item(words)) for k, words in _STALL_FIXED.items()
    ]
    worders += [
        (
            re.compile(rf"counted sessions (?P<o>\d+)/(?P<n>\d+) in {stage}"),
            lambda m: (
                _("counted sessions {seen}/{needed} in {stage}").format(
                    seen=m["o"], needed=m["n"], stage=_stage(protocol, stage_id)
                )
                if _holds(protocol, stage_id)
                else _("counted sessions {seen}/{needed}").format(seen=m["o"], needed=m["n"])
            ),
        ),
        (
            re.compile(r"re-entry greens (?P<o>\d+)/(?P<n>\d+)"),
            lambda m: _("re-entry greens {seen}/{needed}").format(seen=m["o"], needed=m["n"]),
        ),
        (
            re.compile(
                rf"(?P<n>\d+) symptom-free days in a row \(all symptoms 0/10; so far "
                rf"(?P<o>{_NUM})\)"
            ),
            lambda m: ngettext(
                "{count} symptom-free day in a row (all symptoms 0/10; so far {seen})",
                "{count} symptom-free days in a row (all symptoms 0/10; so far {seen})",
                int(m["n"]),
            ).format(count=m["n"], seen=_number(m["o"])),
        ),
        (
            re.compile(
                r"morning tightness (?P<t>\d+)/10 keeps running on hold \(below (?P<below>\d+)/10 "
                r"needed\)"
            ),
            lambda m: _(
                "morning tightness {value}/10 keeps running on hold (below {limit}/10 needed)"
            ).format(value=m["t"], limit=m["below"]),
        ),
        (
            re.compile(
                r"morning tightness (?P<t>\d+)/10 keeps moving up on hold \(below "
                r"(?P<below>\d+)/10 needed\)"
            ),
            lambda m: _(
                "morning tightness {value}/10 keeps the athlete from moving up (below {limit}/10 "
                "needed)"
            ).format(value=m["t"], limit=m["below"]),
        ),
        (
            re.compile(rf"your sign-off to leave {stage}"),
            lambda m: (
                _("your sign-off to leave {stage}").format(stage=_stage(protocol, stage_id))
                if _holds(protocol, stage_id)
                else _("your sign-off")
            ),
        ),
    ]
    for c in _criteria_of(protocol, stage_id):
        label = engine_item_label(c.item)
        if label is not None:
            worders.append(
                (
                    re.compile(
                        rf"{re.escape(label)}: none recorded in {stage} \({re.escape(c.text)}\)"
                    ),
                    _none_recorded(c.text),
                )
            )
            why = "|".join(re.escape(k) for k in _NOT_COUNTED_WHY)
            worders.append(
                (
                    re.compile(
                        rf"{re.escape(label)}: latest result not counted \((?P<why>{why})\) in "
                        rf"{stage} \({re.escape(c.text)}\)"
                    ),
                    _not_counted(c.text),
                )
            )
            worders.append(
                (
                    re.compile(
                        rf"{re.escape(label)}: no baseline to compare with in {stage} "
                        rf"\({re.escape(c.text)}\)"
                    ),
                    _no_baseline(c.text),
                )
            )
            worders.append(
                (
                    re.compile(
                        rf"{re.escape(label)}: no baseline for (?P<splits>\d+ m(?:, \d+ m)*) to "
                        rf"compare with in {stage} \({re.escape(c.text)}\)"
                    ),
                    _no_split_baseline(c.text),
                )
            )
            worders.append(
                (
                    re.compile(
                        rf"{re.escape(label)}: (?P<splits>\d+ m(?:, \d+ m)*) not all timed "
                        rf"in one session in {stage} \({re.escape(c.text)}\)"
                    ),
                    _splits_apart(c.text),
                )
            )
        worders.append(
            (
                re.compile(rf"{re.escape(c.text)}: not met \(last (?P<o>.*?)\)(?=; |$)"),
                _not_met(c.text, c.item),
            )
        )
    unknown = _unknown_criteria(stage)

    def worded(
        pos: int, end: int, among: list[tuple[re.Pattern[str], Itemiser]]
    ) -> tuple[str, int] | None:
        """The item at ``pos`` worded by the first of ``among`` that reads it whole (up to
        ``end`` or a "; "), and where the next item starts."""
        for pattern, worder in among:
            m = pattern.match(text, pos, end)
            if m is not None and (m.end() == end or text.startswith("; ", m.end())):
                return worder(m), m.end() + 2
        return None

    out: list[str] = []
    pos = 0
    while pos < len(text):
        found = worded(pos, len(text), worders)
        if found is not None:
            out.append(found[0])
            pos = found[1]
            continue
        # Items this version does not hold, up to the next item it does (or the end): a
        # criterion named by its text, else a plain "a criterion no longer in the protocol".
        ends = [i for i in range(pos, len(text)) if text.startswith("; ", i)]
        stop = next((i for i in ends if worded(i + 2, len(text), worders)), len(text))
        while pos < stop:
            found = worded(pos, stop, unknown)
            if found is None:
                criterion = _("a criterion no longer in the protocol")
                found = _("{criterion}: not met").format(criterion=criterion), stop + 2
            out.append(found[0])
            pos = found[1]
    return out


# On a card read on a phone, a stall names this many missing items, then "… and 7 more"
# (the athlete's card, /athlete, lists them all); the report and the digest keep the list.
STALL_ITEMS_BRIEF = 3


def _holds(protocol: Any | None, stage_id: str) -> bool:
    """Whether the protocol can be read and holds the stage: else the stage is a phrase ("a
    stage no longer in the protocol"), which a sentence made for a stage's label ("in H2 ·
    Return to running") cannot take in every language (German and French change its case or
    its preposition): the stall is said with sentences of its own."""
    return any(s.id == stage_id for s in getattr(protocol, "stages", ()))


def _stall(m: re.Match[str], protocol: Any, brief: bool = False) -> str | None:
    items = _stall_items(m["items"], protocol, m["stage"])
    if brief and len(items) > STALL_ITEMS_BRIEF + 1:
        more = len(items) - STALL_ITEMS_BRIEF
        items = [*items[:STALL_ITEMS_BRIEF], _("… and {count} more").format(count=more)]
    if protocol is None:
        return ngettext(
            "No progress for {count} day in a stage of a protocol that cannot be read. "
            "Missing: {missing}.",
            "No progress for {count} days in a stage of a protocol that cannot be read. "
            "Missing: {missing}.",
            _count(m, "n"),
        ).format(count=m["n"], missing="; ".join(items))
    if not _holds(protocol, m["stage"]):
        return ngettext(
            "No progress for {count} day in a stage no longer in the protocol. Missing: {missing}.",
            "No progress for {count} days in a stage no longer in the protocol. Missing: "
            "{missing}.",
            _count(m, "n"),
        ).format(count=m["n"], missing="; ".join(items))
    return ngettext(
        "No progress in {stage} for {count} day. Missing: {missing}.",
        "No progress in {stage} for {count} days. Missing: {missing}.",
        _count(m, "n"),
    ).format(stage=_stage(protocol, m["stage"]), count=m["n"], missing="; ".join(items))


def _no_progress(m: re.Match[str], protocol: Any) -> str:
    """The 14-day review, with the tightness that held the latest morning if it did."""
    stage, count, n = _stage(protocol, m["stage"]), m["n"], _count(m, "n")
    # {stage} is never after the word "stage": a stage this version no longer holds, or of a
    # protocol that cannot be read, is a phrase ("a stage no longer in the protocol").
    if m["t"] is None:
        # TRANSLATORS: {stage} is a stage's label ("H2 · Return to running") or a phrase ("a
        # stage no longer in the protocol"): put it where both read well (e.g. in brackets).
        return ngettext(
            "No progression in {stage} for {count} day: clinician review.",
            "No progression in {stage} for {count} days: clinician review.",
            n,
        ).format(count=count, stage=stage)
    if m["what"] == "running":
        # TRANSLATORS: {stage} as in "No progression in {stage} for {count} days: clinician
        # review."; {value} and {limit} are tightness scores out of 10.
        return ngettext(
            "No progression in {stage} for {count} day: clinician review. Morning tightness "
            "{value}/10 keeps running on hold (below {limit}/10 needed).",
            "No progression in {stage} for {count} days: clinician review. Morning tightness "
            "{value}/10 keeps running on hold (below {limit}/10 needed).",
            n,
        ).format(count=count, stage=stage, value=m["t"], limit=m["below"])
    # TRANSLATORS: {stage} as in "No progression in {stage} for {count} days: clinician
    # review."; {value} and {limit} are tightness scores out of 10.
    return ngettext(
        "No progression in {stage} for {count} day: clinician review. Morning tightness "
        "{value}/10 keeps the athlete from moving up (below {limit}/10 needed).",
        "No progression in {stage} for {count} days: clinician review. Morning tightness "
        "{value}/10 keeps the athlete from moving up (below {limit}/10 needed).",
        n,
    ).format(count=count, stage=stage, value=m["t"], limit=m["below"])


def _grade(m: re.Match[str], protocol: Any) -> str:
    injury = injury_name(m["injury"])
    return _(
        "Grade {grade} {injury} injury: the default “{protocol}” protocol is not meant for it; "
        "please set up a variant with longer minimum stage durations (reference §2.1 / §3.1)."
    ).format(grade=m["grade"], injury=injury, protocol=m["name"])


def _mechanism(m: re.Match[str], protocol: Any) -> str:
    injury = injury_name(m["injury"])
    return _(
        "Stretching-type {injury} injury: the default “{protocol}” protocol is not meant for "
        "it; please set up a variant with longer minimum stage durations (reference §2.1)."
    ).format(injury=injury, protocol=m["name"])


# The symptoms a worsening rest morning names (engine.programme._rest_worsening).
_REST_SYMPTOMS = {
    "pain at rest": "morning.pain_rest",
    "test pain": "morning.pain_test",
    "tightness": "morning.tightness",
}
_REST_CHANGE = re.compile(r"^(?P<name>[a-z ]+) (?P<before>\d+)→(?P<after>\d+)$")


def _rest_worsening(m: re.Match[str], protocol: Any) -> str | None:
    changes = []
    for part in m["details"].split(", "):
        change = _REST_CHANGE.match(part)
        if change is None:
            return None
        item = _REST_SYMPTOMS.get(change["name"])
        name = item_label(item, "clinician") if item else _("another symptom")
        changes.append(f"{name} {change['before']}→{change['after']}")
    return _(
        "Injury symptoms worse than at the previous rest-day check-in ({details}): clinician "
        "review within 24 h."
    ).format(details=", ".join(changes))


def _other_stage_clearance(m: re.Match[str], protocol: Any) -> str:
    if not _holds(protocol, m["stage"]):
        # "is now in a stage no longer in the protocol" takes another case or preposition in
        # German and French ("in eine …", "en une …"): said without the stage.
        return _(
            "A sign-off recorded for another stage was not applied: the athlete's current stage "
            "needs its own sign-off."
        )
    return _(
        "A sign-off recorded for {given} was not applied: the athlete is now in {stage}, whose "
        "gate needs its own sign-off."
    ).format(given=_stage(protocol, m["given"]), stage=_stage(protocol, m["stage"]))


def _unknown_stage(m: re.Match[str], protocol: Any) -> str:
    if not _holds(protocol, m["stage"]):
        # As above: "stays in a stage no longer in the protocol" ("bleibt in eine …").
        return _(
            "Stage {target} does not exist in protocol {protocol}: the athlete stays at their "
            "current stage."
        ).format(target=m["target"], protocol=m["name"])
    return _(
        "Stage {target} does not exist in protocol {protocol}: the athlete stays in {stage}."
    ).format(target=m["target"], protocol=m["name"], stage=_stage(protocol, m["stage"]))


def _reinjury(m: re.Match[str], protocol: Any) -> str:
    """A possible re-injury and the stage the athlete is moved back to; a stage the protocol
    cannot name is left out ("in a stage no longer in the protocol" reads "in eine …" in
    German, "en une …" in French)."""
    end = _stage(protocol, m["end"])
    if _holds(protocol, m["start"]) and _holds(protocol, m["end"]):
        return _(
            "Possible re-injury in {start}: the athlete is moved back to {end} (max-sprint "
            "re-test and sign-off needed again after your review)."
        ).format(start=_stage(protocol, m["start"]), end=end)
    if _holds(protocol, m["end"]):
        return _(
            "Possible re-injury: the athlete is moved back to {end} (max-sprint re-test and "
            "sign-off needed again after your review)."
        ).format(end=end)
    return _(
        "Possible re-injury: the athlete is moved back to an earlier stage (max-sprint re-test "
        "and sign-off needed again after your review)."
    )


def _gap_step_back(m: re.Match[str], protocol: Any) -> str:
    """Back after time away, moved back a stage; a stage the protocol cannot name is left out
    ("moved back from a stage no longer in the protocol" reads "von eine …" in German, "de
    une …" in French)."""
    count, previous = _count(m, "n"), _stage(protocol, m["prev"])
    if _holds(protocol, m["stage"]) and _holds(protocol, m["prev"]):
        return ngettext(
            "Back after {count} day without a check-in or session (or paused): moved back from "
            "{stage} to {previous}, whose criteria, sessions and any sign-off are earned again.",
            "Back after {count} days without a check-in or session (or paused): moved back from "
            "{stage} to {previous}, whose criteria, sessions and any sign-off are earned again.",
            count,
        ).format(count=m["n"], stage=_stage(protocol, m["stage"]), previous=previous)
    if _holds(protocol, m["prev"]):
        return ngettext(
            "Back after {count} day without a check-in or session (or paused): moved back a "
            "stage, to {previous}; its criteria, sessions and any sign-off are earned again.",
            "Back after {count} days without a check-in or session (or paused): moved back a "
            "stage, to {previous}; its criteria, sessions and any sign-off are earned again.",
            count,
        ).format(count=m["n"], previous=previous)
    return ngettext(
        "Back after {count} day without a check-in or session (or paused): moved back a stage; "
        "its criteria, sessions and any sign-off are earned again.",
        "Back after {count} days without a check-in or session (or paused): moved back a stage; "
        "its criteria, sessions and any sign-off are earned again.",
        count,
    ).format(count=m["n"])


_TRIGGER = re.compile(
    r"^(?P<text>.+): (?:(?P<review>clinician review \(targeted block\))|the athlete is moved "
    r"back a stage; please review)\.$"
)


def _trigger(text: str) -> str | None:
    """A protocol's regression trigger (engine.programme._trigger): its text is a protocol
    display text, translated by the catalogues whether or not the athlete's protocol still
    holds that trigger (it may have been edited since the alert was raised)."""
    m = _TRIGGER.match(text)
    if m is None:
        return None
    what = protocol_text(m["text"])
    if m["review"]:
        return _("{trigger}: clinician review (targeted block).").format(trigger=what)
    return _("{trigger}: the athlete is moved back a stage; please review.").format(trigger=what)


def _final_gap(m: re.Match[str], protocol: Any) -> str:
    """Back after time away at the final stage (engine.programme._final_gap): the capped first
    session back, the easy day after it and when the usual sessions return, as the athlete's
    plan says them (bot.wording.engine_reasons._final_gap); the protocol's numbers come from
    the engine's sentence. Short enough for the card's line (``ALERT_LINE_CHARS``) in every
    language with the longest stage label: the review request comes last, after the plan. A
    record from before the easy day was told is said without it."""
    count = _count(m, "n")
    stage = _stage(protocol, m["stage"])
    percent = _pct(m["pct"])
    if m["hours"] is None:
        return ngettext(
            "Back after {count} day away at the final stage, {stage}: first session back ≤ "
            "{percent} Vmax, without full training or matches. Sprint and strength re-tests "
            "due: please review (a re-test or a stage back) before matches.",
            "Back after {count} days away at the final stage, {stage}: first session back ≤ "
            "{percent} Vmax, without full training or matches. Sprint and strength re-tests "
            "due: please review (a re-test or a stage back) before matches.",
            count,
        ).format(count=m["n"], stage=stage, percent=percent)
    if m["none"] is not None:
        return ngettext(
            "Back after {count} day away at the final stage, {stage}. First session back ≤ "
            "{percent} Vmax, then an easy day without running; no full training or matches "
            "for {hours} h after that run. Re-tests due: please review before matches.",
            "Back after {count} days away at the final stage, {stage}. First session back ≤ "
            "{percent} Vmax, then an easy day without running; no full training or matches "
            "for {hours} h after that run. Re-tests due: please review before matches.",
            count,
        ).format(count=m["n"], stage=stage, percent=percent, hours=m["hours"])
    return ngettext(
        "Back after {count} day away at the final stage, {stage}. First session back ≤ "
        "{percent} Vmax, then an easy day with nothing ≥ {easy_percent}; no full training or "
        "matches for {hours} h after that run. Re-tests due: please review before matches.",
        "Back after {count} days away at the final stage, {stage}. First session back ≤ "
        "{percent} Vmax, then an easy day with nothing ≥ {easy_percent}; no full training or "
        "matches for {hours} h after that run. Re-tests due: please review before matches.",
        count,
    ).format(
        count=m["n"], stage=stage, percent=percent, easy_percent=_pct(m["easy"]), hours=m["hours"]
    )


def _no_run_step_back(m: re.Match[str], protocol: Any) -> str:
    """Moved back a stage after days without a run at the stage's speed, though the athlete
    may have checked in every day (engine.programme._after_gap); a stage the protocol cannot
    name is left out, as for a gap of days away."""
    count = _count(m, "n")
    if _holds(protocol, m["stage"]) and _holds(protocol, m["prev"]):
        return ngettext(
            "{count} day without a run at the speed of {stage} (check-ins alone do not "
            "count): moved back to {previous}; its criteria, sessions and any sign-off are "
            "earned again.",
            "{count} days without a run at the speed of {stage} (check-ins alone do not "
            "count): moved back to {previous}; its criteria, sessions and any sign-off are "
            "earned again.",
            count,
        ).format(
            count=m["n"], stage=_stage(protocol, m["stage"]), previous=_stage(protocol, m["prev"])
        )
    return ngettext(
        "{count} day without a run at the stage's speed (check-ins alone do not count): "
        "moved back a stage; its criteria, sessions and any sign-off are earned again.",
        "{count} days without a run at the stage's speed (check-ins alone do not count): "
        "moved back a stage; its criteria, sessions and any sign-off are earned again.",
        count,
    ).format(count=m["n"])


def _no_run_restart(m: re.Match[str], protocol: Any) -> str:
    """What the stage needs is earned again after days without a run at its speed, though
    the athlete may have checked in every day (engine.programme._after_gap)."""
    return ngettext(
        "{count} day without a run at the speed of {stage} (check-ins alone do not count): "
        "its criteria, sessions, minimum days and any sign-off are earned again.",
        "{count} days without a run at the speed of {stage} (check-ins alone do not count): "
        "its criteria, sessions, minimum days and any sign-off are earned again.",
        _count(m, "n"),
    ).format(count=m["n"], stage=_stage(protocol, m["stage"]))


def _no_run_final(m: re.Match[str], protocol: Any) -> str:
    """Days without a run at the final stage's speed, though the athlete may have checked in
    every day (engine.programme._final_gap): the plan after it as for a gap of days away
    (:func:`_final_gap`), with the next session capped rather than a "first session back".
    The final stage is not named: there is one, the card names it, and the line stays short
    enough for the card (``ALERT_LINE_CHARS``) in every language."""
    count = _count(m, "n")
    percent = _pct(m["pct"])
    if m["none"] is not None:
        return ngettext(
            "Final stage: {count} day without a run at its speed (check-ins alone do not "
            "count). Next session ≤ {percent} Vmax, then an easy day without running; no full "
            "training or matches for {hours} h after that run. Re-tests due: please review "
            "before matches.",
            "Final stage: {count} days without a run at its speed (check-ins alone do not "
            "count). Next session ≤ {percent} Vmax, then an easy day without running; no full "
            "training or matches for {hours} h after that run. Re-tests due: please review "
            "before matches.",
            count,
        ).format(count=m["n"], percent=percent, hours=m["hours"])
    return ngettext(
        "Final stage: {count} day without a run at its speed (check-ins alone do not count). "
        "Next session ≤ {percent} Vmax, then an easy day with nothing ≥ {easy_percent}; no "
        "full training or matches for {hours} h after that run. Re-tests due: please review "
        "before matches.",
        "Final stage: {count} days without a run at its speed (check-ins alone do not count). "
        "Next session ≤ {percent} Vmax, then an easy day with nothing ≥ {easy_percent}; no "
        "full training or matches for {hours} h after that run. Re-tests due: please review "
        "before matches.",
        count,
    ).format(count=m["n"], percent=percent, easy_percent=_pct(m["easy"]), hours=m["hours"])


# The gap rule's alerts after days without a run at the stage's speed, check-ins or not
# (engine.programme._after_gap, _final_gap with ``no_run``): the same rules as a gap of days
# away (:data:`_PATTERNS`), tried first, so a clinician never reads "back after days without
# a check-in" about an athlete who checked in every day.
_NO_RUN_PATTERNS: dict[str, tuple[re.Pattern[str], Worder]] = {
    "gap.step_back": (
        re.compile(
            r"^No run at (?P<stage>\S+)'s speed for (?P<n>\d+) days \(check-ins alone do not "
            r"keep it\): moved back from (?P=stage) to (?P<prev>\S+); its criteria, sessions "
            r"and any sign-off are earned again\.$"
        ),
        _no_run_step_back,
    ),
    "gap.restart": (
        re.compile(
            r"^No run at (?P<stage>\S+)'s speed for (?P<n>\d+) days \(check-ins alone do not "
            r"keep it\): what (?P=stage) needs \(criteria, sessions, minimum days, any "
            r"sign-off\) is earned again\.$"
        ),
        _no_run_restart,
    ),
    "gap.final": (
        re.compile(
            r"^At the final stage (?P<stage>\S+), no run at its speed for (?P<n>\d+) days "
            r"\(check-ins alone do not keep it\): the first session back is capped at "
            r"(?P<pct>[\d.]+) % Vmax, without full training or matches\. An easy day follows "
            r"it: (?:nothing at or above (?P<easy>[\d.]+) % Vmax|(?P<none>no running)) and no "
            r"full training or matches; the usual sessions return (?P<hours>\d+) h after that "
            r"run\. Its sprint and strength re-tests are due: please review whether a re-test "
            r"or a move back a stage is needed before matches\.$"
        ),
        _no_run_final,
    ),
}


_PATTERNS: dict[str, tuple[re.Pattern[str], Worder]] = {
    "gate.8": (
        re.compile(
            r"^Stage (?P<stage>\S+) criteria met: sign-off needed to move on \((?P<note>.*)\)\.$"
        ),
        _gate,
    ),
    "gate.8.recommended": (
        re.compile(
            r"^Athlete moved from (?P<start>\S+) to (?P<end>\S+)\. A clinician review is "
            r"recommended:(?P<note>.*)$"
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
        # Since the tightness hold for running: the latest morning's tightness that held the
        # athlete with every item met closes it (engine.stall.tightness_hold_words); alerts
        # stored before end after "clinician review.".
        re.compile(
            r"^No progression for (?P<n>\d+) days \(stage (?P<stage>\S+)\): clinician review\."
            r"(?: Morning tightness (?P<t>\d+)/10 keeps (?P<what>running|moving up) on hold "
            r"\(below (?P<below>\d+)/10 needed\)\.)?$"
        ),
        _no_progress,
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
        _reinjury,
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
    "session.against_plan": (
        re.compile(
            r"^Session against the plan on (?P<day>\d{4}-\d\d-\d\d): athlete (?P<what>.+?)"
            r"(?P<again> \(again within 28 days\))?\. Not counted; please talk it through with "
            r"the athlete\.$"
        ),
        _against_plan,
    ),
    "rest.repeat": (
        re.compile(
            r"^(?P<n>\d+) sessions inside a rest interval within (?P<days>\d+) days \(latest "
            r"(?P<day>\d{4}-\d\d-\d\d): (?P<h>\d+) h after a run at (?P<pct>\d+(?:\.\d+)?) % "
            r"Vmax, needed ≥ (?P<need>\d+) h\): not counted; please review the training "
            r"schedule\.$"
        ),
        lambda m, p: ngettext(
            "{count} session inside a rest interval within {days} days (latest {day}: {hours} h "
            "after a run at {pct} Vmax, needed ≥ {needed} h): not counted; please review the "
            "training schedule.",
            "{count} sessions inside a rest interval within {days} days (latest {day}: {hours} h "
            "after a run at {pct} Vmax, needed ≥ {needed} h): not counted; please review the "
            "training schedule.",
            _count(m, "n"),
        ).format(
            count=m["n"],
            days=m["days"],
            day=_iso_day(m["day"]),
            hours=m["h"],
            pct=_pct(m["pct"]),
            needed=m["need"],
        ),
    ),
    "session.unconfirmed": (
        re.compile(
            r"^Speed readings too fast to trust in (?P<n>\d+) sessions within (?P<days>\d+) "
            r"days \(latest: (?P<seen>.+)\): please review the athlete's baseline, which may "
            r"have been set too low\.$"
        ),
        _unconfirmed,
    ),
    "session.pain_location": (
        re.compile(
            r"^Pain reported in (?P<where>.+), not the injured spot: neural / referred-pain "
            r"screen needed within 24 h\.$"
        ),
        lambda m, p: _(
            "Pain reported in {where}, not the injured spot: neural / referred-pain screen "
            "needed within 24 h."
        ).format(where=_(_PAIN_PLACES.get(m["where"], N_("another place")))),
    ),
    "gate.8.early": (
        re.compile(
            r"^Sign-off for (?P<stage>\S+) recorded before its criteria were met \(missing: "
            r"(?P<missing>.+)\): it does not open the gate; you will be asked again\.$"
        ),
        _early_signoff,
    ),
    "gate.8.lapsed": (
        re.compile(
            r"^Sign-off for (?P<stage>\S+) no longer holds: a result after it did not meet "
            r"(?P<criterion>.+)\. You will be asked again once the criteria are met\.$"
        ),
        _lapsed_signoff,
    ),
    "metric.lower_leg": (
        re.compile(
            r"^(?P<what>Single-leg heel raises|Single-leg bridges) logged as injured side "
            r"(?P<inj>\d+), other side (?P<oth>\d+): the injured side reads higher, which is "
            r"unusual after this injury and often means the counts were typed the wrong way "
            r"round\. The lower count \((?P=oth)\) was read for the injured side in: "
            r"(?P<criteria>.+)\. Please check with the athlete which side is which\.$"
        ),
        _lower_leg,
    ),
    "gap.step_back": (
        re.compile(
            r"^Back after (?P<n>\d+) days without a check-in or session \(or paused\): moved "
            r"back from (?P<stage>\S+) to (?P<prev>\S+); its criteria, sessions and any sign-off "
            r"are earned again\.$"
        ),
        _gap_step_back,
    ),
    "gap.restart": (
        re.compile(
            r"^Back after (?P<n>\d+) days without a check-in or session \(or paused\): what "
            r"(?P<stage>\S+) needs \(criteria, sessions, minimum days, any sign-off\) is earned "
            r"again\.$"
        ),
        lambda m, p: ngettext(
            "Back after {count} day without a check-in or session (or paused): what {stage} "
            "needs (criteria, sessions, minimum days, any sign-off) is earned again.",
            "Back after {count} days without a check-in or session (or paused): what {stage} "
            "needs (criteria, sessions, minimum days, any sign-off) is earned again.",
            _count(m, "n"),
        ).format(count=m["n"], stage=_stage(p, m["stage"])),
    ),
    "gap.final": (
        re.compile(
            r"^Back after (?P<n>\d+) days without a check-in or session \(or paused\) at the "
            r"final stage (?P<stage>\S+): the first session back is capped at (?P<pct>[\d.]+) % "
            r"Vmax, without full training or matches\.(?: An easy day follows it: (?:nothing at "
            r"or above (?P<easy>[\d.]+) % Vmax|(?P<none>no running)) and no full training or "
            r"matches; the usual sessions return (?P<hours>\d+) h after that run\.)? Its sprint "
            r"and strength re-tests are due: please review whether a re-test or a move back a "
            r"stage is needed before matches\.$"
        ),
        _final_gap,
    ),
    "stall": (
        re.compile(
            r"^No progress in (?P<stage>\S+) for (?P<n>\d+) days\. Missing: (?P<items>.+)\.$"
        ),
        _stall,
    ),
    "protocol.grade": (
        re.compile(
            r"^Grade (?P<grade>\S+) (?P<injury>\S+) injury: the default '(?P<name>[^']+)' "
            r"protocol is not meant for it; please set up a variant with longer minimum stage "
            r"durations \(reference §2\.1 / §3\.1\)\.$"
        ),
        _grade,
    ),
    "protocol.mechanism": (
        re.compile(
            r"^Stretching-type (?P<injury>\S+) injury: the default '(?P<name>[^']+)' protocol "
            r"is not meant for it; please set up a variant with longer minimum stage durations "
            r"\(reference §2\.1\)\.$"
        ),
        _mechanism,
    ),
    "escalate.rest_worsening": (
        re.compile(
            r"^Injury symptoms worse than on the previous rest morning \((?P<details>[^)]+)\): "
            r"clinician review within 24 h\.$"
        ),
        _rest_worsening,
    ),
    "clinician.clear.other_stage": (
        re.compile(
            r"^A clearance recorded for (?P<given>\S+) was not applied: the athlete is in "
            r"(?P<stage>\S+), whose gate needs its own sign-off\.$"
        ),
        _other_stage_clearance,
    ),
    "clinician.set_stage": (
        re.compile(
            r"^Stage (?P<target>'[^']*'|\"[^\"]*\") does not exist in protocol (?P<name>\S+): the "
            r"athlete stays in (?P<stage>\S+)\.$"
        ),
        _unknown_stage,
    ),
}
# The rules whose alert is a red-flag triage (engine.red_flags.triage).
_RED_FLAG_RULES = re.compile(
    r"^(?:redflag\.tier[123]|redflag\.achilles|session\.red_flag|session\.stop|"
    r"session\.severe_pain|session\.pain_location)$"
)


# The scheduler's alert (bot.store.repo.alerts.MISSED_CHECKINS_RULE, bot.scheduling.tick).
MISSED_CHECKINS_RULE = "missed_checkins"
_MISSED_CHECKINS = re.compile(
    r"^(?P<name>.+) has missed (?P<n>\d+) morning check-ins in a row \(last on "
    r"(?P<wd>[A-Z][a-z]{2}) (?P<d>\d\d?) (?P<mon>[A-Z][a-z]{2})\)\. Missed days count as hold: "
    r"no progression\. Please get in touch\.$"
)


def alert_words(
    rule: str,
    text: str,
    protocol: Any | None = None,
    on: dt.date | None = None,
    *,
    brief: bool = False,
) -> str | None:
    """Return an alert's line in the current language, worded from its rule and the record's
    structured parts (``on``: the record's local date), or None when this rule (or this form
    of its sentence) is not known. ``brief``: for a card read on a phone (a stall names its
    first missing items only)."""
    text = text.strip()
    if _RED_FLAG_RULES.match(rule) and (worded := _red_flag(text)) is not None:
        return worded  # else an older sentence of the rule (pain elsewhere was an alert only)
    if text in _FIXED:
        return _(_FIXED[text])
    if rule == MISSED_CHECKINS_RULE:
        missed = _MISSED_CHECKINS.match(text)
        return _missed_checkins(missed, protocol, on) if missed is not None else None
    no_run = _NO_RUN_PATTERNS.get(rule)
    if no_run is not None and (m := no_run[0].match(text)) is not None:
        return no_run[1](m, protocol)
    pattern = _PATTERNS.get(rule)
    if pattern is None:
        return _trigger(text)
    m = pattern[0].match(text)
    if m is not None and rule == "stall":
        return _stall(m, protocol, brief)
    return pattern[1](m, protocol) if m is not None else None


_DOUBLED = re.compile(r"\.\)\.")


def clinician_record_text(text: str) -> str:
    """Return an engine sentence with its punctuation tidied (a note ending in a full stop
    inside brackets: "(… (eligibility).)." reads "(… (eligibility)).")."""
    return _DOUBLED.sub(").", text)


def alert_line(
    rule: str,
    text: str,
    protocol: Any | None = None,
    on: dt.date | None = None,
    *,
    brief: bool = False,
) -> str:
    """Return an alert's line as a clinician reads it, in the current language: worded from
    its rule (:func:`alert_words`; ``brief`` on a card), else the engine's sentence tidied
    with its stage ids named (a rule not worded yet)."""
    worded = alert_words(rule, text, protocol, on, brief=brief)
    if worded is not None:
        return worded
    if current_language() != SOURCE_LANGUAGE:
        return unworded_alert(rule, text, protocol)
    return clinician_plain(clinician_record_text(text), protocol)


# What an alert is about, by its rule, for an alert the wording cannot place (a rule or a
# form of sentence a newer engine writes): said in the reader's language with the values the
# engine's sentence holds, never as the engine's English in another language.
_TOPICS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^(?:redflag\.|session\.(?:red_flag|stop|severe_pain)$)"),
        N_("Red flag"),
    ),
    (re.compile(r"^session\.pain_location$"), N_("Pain away from the injured spot")),
    (re.compile(r"^(?:gate\.8|clinician\.clear)"), N_("Sign-off")),
    (re.compile(r"^(?:stall|escalate\.no_progress)$"), N_("No progression")),
    (re.compile(r"^(?:escalate\.missed|missed_checkins)$"), N_("Missed check-ins")),
    (re.compile(r"^gap\."), N_("Back after a break")),
    (re.compile(r"^(?:session\.|rest\.)"), N_("Session")),
    (re.compile(r"^protocol\."), N_("Protocol choice")),
)
_VALUE = re.compile(
    r"(?P<day>\d{4}-\d\d-\d\d)"
    r"|(?<![\w–'\"‘“-])(?P<stage>[A-Z][0-9]{1,2})(?![\w–-])"
    r"|(?P<score>\d+(?:\.\d+)?/10)"
    r"|(?P<pct>\d+(?:\.\d+)?) %"
)


def _values(text: str, protocol: Any | None) -> list[str]:
    """The dates, stages, scores and percentages of an engine sentence, as the reader
    writes them, in order and once each."""
    ids = {s.id for s in getattr(protocol, "stages", ())}
    out: list[str] = []
    for m in _VALUE.finditer(text):
        if m["day"]:
            try:
                value = _iso_day(m["day"])
            except ValueError:
                continue
        elif m["stage"]:
            if protocol is not None and m["stage"][:1] not in {i[:1] for i in ids}:
                continue
            value = _stage(protocol, m["stage"])
        elif m["score"]:
            value = _number(m["score"][:-3]) + "/10"
        else:
            value = _pct(m["pct"])
        if value not in out:
            out.append(value)
    return out


def unworded_alert(rule: str, text: str, protocol: Any | None = None) -> str:
    """An alert the wording cannot place, in the reader's language: what it is about (from
    its rule) and the values of the engine's sentence, and where to read more."""
    topic = next((t for pattern, t in _TOPICS if pattern.match(rule)), N_("Alert"))
    values = _values(text, protocol)
    if values:
        return _(
            "{topic}: an alert not yet worded in your language ({values}). Please check the "
            "athlete's card (/athlete)."
        ).format(topic=_(topic), values=", ".join(values))
    return _(
        "{topic}: an alert not yet worded in your language. Please check the athlete's card "
        "(/athlete)."
    ).format(topic=_(topic))
