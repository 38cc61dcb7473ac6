"""The engine's reasons in words an athlete reads (issue 15).

A verdict or decision carries reasons ``{rule, observed, threshold, text}``; the engine's
``text`` is written for the record (it may name a stage id, a data-dictionary key or a rule).
Athletes read the sentence built here from the rule and the protocol instead: a criterion is
"walking pain 2/10 or less (you said 1 ✓)", a gate item "2 more days at this stage", a move
"You move up to stage 3 of 8 · back to running". Anything this module does not know keeps
the engine's sentence, passed through :func:`plain` so no internal name survives.

Inside :func:`metrics_on_file` (the service says what the athlete has on file), a criterion
held by a missing pre-injury best for a metric they reported says so, with the command to fix
it, instead of "not reported yet".

:func:`sort_reasons` says which reasons matter today (what fired, what is not yet met), so
the verdict message shows at most three of them and the "Why?" list shows all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from bot.support.formats import format_decimal
from bot.support.i18n import (
    N_,
    LazyText,
    _,
    current_language,
    lazy_pgettext,
    mid_sentence,
    ngettext,
)
from bot.wording.criteria import describe_criterion, not_counted_words
from bot.wording.engine_reasons import (
    FIRST_STAGE_HELD,
    first_stage_held_words,
    reason_words,
    rest_streak_count,
)
from bot.wording.gate import describe_gate_item, still_needed
from bot.wording.items import ITEM_WORDING, format_value, item_label
from bot.wording.protocol import protocol_text
from bot.wording.stages import stage_label
from engine.programme import NOT_COUNTED_TEXT

Kind = Literal["fired", "unmet", "met", "info", "move"]

_COUNTED = re.compile(r"^(\d+)/(\d+) in a row \(last (.+)\)$")
_KEY = re.compile(r"\b(?:morning|session|metrics|checks|derived)\.[a-z0-9_]+\b")
_STAGE_ID = re.compile(r"\b([HC][0-9])\b")
# Words of the record that athletes do not use (voice.md "Plain terms"), most specific first.
# The plain words are translated where they replace a record word, so a translated text reads
# "bei 70 % deiner Höchstgeschwindigkeit", never "bei 70 % of your top speed". Record words are
# language-neutral (protocol translations keep "Vmax", "LSI"), the English phrases below simply
# never match another language.
_JARGON: tuple[tuple[re.Pattern[str], LazyText], ...] = (
    # TRANSLATORS: replaces "% Vmax" after a number for athletes: "at 70 % of your top speed".
    (re.compile(r"% Vmax"), lazy_pgettext("plain terms", "% of your top speed")),
    # TRANSLATORS: replaces "Vmax" for athletes (a noun, no article: "70 % da Vmax").
    (re.compile(r"\bVmax\b"), lazy_pgettext("plain terms", "top speed")),
    # TRANSLATORS: replaces "no HV" (no high-velocity running) for athletes.
    (re.compile(r"\bno HV\b"), lazy_pgettext("plain terms", "no fast running")),
    # TRANSLATORS: replaces "HV" (high-velocity) before a noun for athletes: "HV reps".
    (re.compile(r"\bHV\b"), lazy_pgettext("plain terms", "fast")),
    (
        re.compile(r"\b24-hour rule\b"),
        lazy_pgettext("plain terms", "how you feel the next morning"),
    ),
    (
        re.compile(r"\b24-hour responses?\b"),
        lazy_pgettext("plain terms", "how you felt the morning after"),
    ),
    (
        re.compile(r"\bgreen 24-h(?:our)? responses?\b"),
        lazy_pgettext("plain terms", "feeling fine the morning after"),
    ),
    # TRANSLATORS: replaces "RPE" (rating of perceived exertion) for athletes.
    (re.compile(r"\bRPE\b"), lazy_pgettext("plain terms", "how hard it felt")),
    # TRANSLATORS: replaces "RSI" (reactive strength index: how springy hops are) for athletes.
    (re.compile(r"\bRSI\b"), lazy_pgettext("plain terms", "reactive strength")),
    # TRANSLATORS: replaces "AKE"/"AKET" (active knee extension test) for athletes.
    (re.compile(r"\bAKET?\b"), lazy_pgettext("plain terms", "knee-straightening stretch")),
    # TRANSLATORS: replaces "SLR" (straight-leg raise test) for athletes.
    (re.compile(r"\bSLR\b"), lazy_pgettext("plain terms", "straight-leg raise")),
    # TRANSLATORS: replaces "LSI" (limb symmetry index) for athletes.
    (re.compile(r"\bLSI\b"), lazy_pgettext("plain terms", "compared with your other leg")),
    # TRANSLATORS: replaces "red flag(s)" for athletes.
    (re.compile(r"\bred flags?\b", re.IGNORECASE), lazy_pgettext("plain terms", "warning sign")),
    (re.compile(r"\bgate items?\b"), lazy_pgettext("plain terms", "what's needed to move up")),
    (re.compile(r"\bexit criteria\b"), lazy_pgettext("plain terms", "what's needed to move up")),
)


# Clinician terms that a plain word cannot simply replace inside a protocol's sentence: its
# translations put them where the athlete's words do not fit ("LSI de fuerza ≥ 90 %" would read
# "comparado con tu otra pierna de fuerza", "Kraft-LSI" "Kraft-im Vergleich zu …"), or there
# is no plain word for them at all (RSI, AKE). A criterion or regression trigger holding one
# is said in the athlete's words of what it measures instead, as the athlete's report does.
_UNPLACEABLE = re.compile(
    r"\b(?:LSI|RSI|AKET?|SLR|SLCR|SLHB|CMJ)\b|\w-(?:LSI|Vmax)\b|\b(?:LSI|Vmax)-\w"
)
# "LSI" led by its article and preposition in a translation where it heads the phrase of
# what is compared ("El LSI de salto", "LSI da força", "Le LSI des sauts"), and where that
# phrase ends (a comparison, a bracket, a comma or the end): by language.
_LSI_HEAD = {
    "es": re.compile(r"\b(?:[Ee]l )?LSI (?:del|de la|de los|de las|de) "),
    "pt": re.compile(r"\b(?:[Oo] )?LSI (?:do|da|dos|das|de) "),
    "fr": re.compile(r"\b(?:[Ll]e )?LSI (?:du|de la|des|de l'|d'|de) "),
}
_PHRASE_END = re.compile(r"\s*(?:[≥≤<>=(),;]|$)")
# "Vmax-Abfall", "Kraft-LSI": a German compound with a record word in it.
_COMPOUND_BEFORE = re.compile(r"\bVmax-(\w+)")
_COMPOUND_AFTER = re.compile(r"(\w)-(LSI|Vmax)\b")
_OF_TOP_SPEED = lazy_pgettext("plain terms", "% of your top speed")
# TRANSLATORS: a measure compared between the legs, for athletes: "{what}" is what is
# compared, already translated ("fuerza reactiva"): "fuerza reactiva en comparación con tu otra
# pierna". Keep it right whatever the gender of {what}.
_COMPARED = lazy_pgettext("plain terms", "{what} compared with your other leg")


def _stage_ids(protocol: Any) -> set[str]:
    return {stage.id for stage in protocol.stages}


def _rules(protocol: Any) -> list[Any]:
    """Every exit criterion and regression trigger of ``protocol`` whose item has plain words."""
    return [
        rule
        for stage in protocol.stages
        for rule in (*stage.exit_criteria, *stage.regression_triggers)
        if rule.item in ITEM_WORDING
    ]


def _said_plainly(text: str, protocol: Any) -> str:
    """``text`` with each criterion or regression trigger of ``protocol`` in it (in the reader's
    language, or the English source) that holds a clinician term no plain word can replace in
    place, said as the athlete's words of it: "RSI LSI falls below 85 %" (and its Spanish "El
    LSI del índice de fuerza reactiva (RSI) baja del 85 %") as "Springiness (reactive hops)
    compared with your other leg less than 85 %" in the reader's language."""
    found: dict[str, str] = {}
    for rule in _rules(protocol):
        for said in (protocol_text(rule.text), rule.text):
            if said and said not in found and _UNPLACEABLE.search(said):
                found[said] = describe_criterion(rule, "athlete")
    for said in sorted(found, key=len, reverse=True):
        if said in text:
            words = found[said]
            text = text.replace(
                said, words[:1].upper() + words[1:] if said[:1].isupper() else words
            )
    return text


def _reordered_lsi(text: str, lang: str) -> str:
    """A translated "LSI" that heads its phrase ("LSI de fuerza reactiva ≥ 90 %"), said after
    what is compared: "Fuerza reactiva en comparación con tu otra pierna ≥ 90 %"."""
    head = _LSI_HEAD.get(lang)
    if head is None:
        return text
    compared = str(_COMPARED)
    if compared == _COMPARED.message:  # not translated yet: the words of the plain term
        compared = "{what} " + str(lazy_pgettext("plain terms", "compared with your other leg"))
    out, start = [], 0
    for found in head.finditer(text):
        if found.start() < start:
            continue
        end = _PHRASE_END.search(text, found.end())
        stop = end.start() if end is not None else len(text)
        what = text[found.end() : stop].strip()
        if not what:
            continue
        if not text[: found.start()].strip() or text[: found.start()].rstrip().endswith("."):
            what = what[:1].upper() + what[1:]
        out.append(text[start : found.start()] + compared.format(what=what))
        start = stop
    return "".join(out) + text[start:]


def _unhyphenated(text: str, lang: str) -> str:
    """German compounds with a record word: "Kraft-LSI" → "Kraft LSI" (the plain words follow
    it), "Vmax-Abfall" → "Abfall deiner Höchstgeschwindigkeit"."""
    if lang != "de":
        return text
    of_top_speed = str(_OF_TOP_SPEED).removeprefix("%").strip()
    text = _COMPOUND_BEFORE.sub(lambda m: f"{m.group(1)} {of_top_speed}", text)
    return _COMPOUND_AFTER.sub(r"\1 \2", text)


def plain(text: str, protocol: Any | None = None) -> str:
    """Return ``text`` without internal names: a data-dictionary key becomes its label, a stage
    id its "stage n of 8 · name", and record words (Vmax, LSI, RPE, …) plain words.

    A protocol's criterion or regression trigger holding a clinician term that no plain word
    can replace in its sentence (LSI, RSI, AKE, …) is said in the athlete's words of what it
    measures; any other such term is moved where the plain words fit the reader's language."""
    out = _KEY.sub(lambda m: item_label(m.group(0)) if m.group(0) in ITEM_WORDING else "", text)
    if protocol is not None and _UNPLACEABLE.search(out):
        out = _said_plainly(out, protocol)
    lang = current_language()
    if lang != "en" and ("LSI" in out or "Vmax-" in out):
        out = _reordered_lsi(_unhyphenated(out, lang), lang)
    if protocol is not None:
        ids = _stage_ids(protocol)
        out = _STAGE_ID.sub(
            lambda m: (
                stage_label(protocol, m.group(1)).replace("Stage", "stage", 1)
                if m.group(1) in ids
                else m.group(1)
            ),
            out,
        )
    for pattern, words in _JARGON:
        if pattern.search(out):
            out = pattern.sub(str(words).replace("\\", r"\\"), out)
    return out


# Stage ids as the protocol schema allows them (engine.schema.Stage.id: "H3", "C7", "R12").
_LONE_STAGE_ID = re.compile(r"\b([A-Z][0-9]{1,2})\b(?! ·)")


def clinician_plain(text: str, protocol: Any | None) -> str:
    """Return an engine text as a clinician reads it: a stage id on its own becomes
    "H0 · Triage & protection" (codes are fine for clinicians, never alone: voice.md)."""
    if protocol is None:
        return text
    ids = _stage_ids(protocol)
    return _LONE_STAGE_ID.sub(
        lambda m: (
            stage_label(protocol, m.group(1), "clinician") if m.group(1) in ids else m.group(1)
        ),
        text,
    )


def find_criterion(protocol: Any, stage_id: str, rule: str) -> Any | None:
    """Return the exit criterion a rule names (``H1.H1a`` or ``H1a``), in any stage."""
    stages = list(protocol.stages)
    ordered = [s for s in stages if s.id == stage_id] + [s for s in stages if s.id != stage_id]
    for stage in ordered:
        wanted = rule.removeprefix(f"{stage.id}.")
        for criterion in stage.exit_criteria:
            if criterion.id == wanted:
                return criterion
    return None


@dataclass(frozen=True)
class _Item:
    """A reason seen as a gate item (``bot.wording.gate`` describes those)."""

    rule: str
    met: bool
    text: str
    observed: str | float | int | bool | None
    needed: str | float | int | bool | None


@dataclass(frozen=True)
class MetricsOnFile:
    """The metrics (data-dictionary keys: "vmax_ms") the athlete has a pre-injury best for,
    and those they have reported in their sessions."""

    baseline: frozenset[str] = frozenset()
    reported: frozenset[str] = frozenset()


# Set by the service building a text about one athlete (it reads the store; wording cannot).
_ON_FILE: ContextVar[MetricsOnFile | None] = ContextVar("metrics_on_file", default=None)


@contextmanager
def metrics_on_file(known: MetricsOnFile) -> Iterator[None]:
    """Word criteria, while inside, knowing the athlete's metrics ``known``: a criterion that
    compares a reported metric with a pre-injury best the athlete lacks says so."""
    token = _ON_FILE.set(known)
    try:
        yield
    finally:
        _ON_FILE.reset(token)


_SPLITS = ("split_10m_s", "split_20m_s", "split_30m_s", "split_40m_s")
# The engine's values that compare a session's metrics with the pre-injury bests, and the
# metrics they compare: without a best for any of them (for a split criterion: for any split
# it names) the engine sees nothing (None), as when nothing was reported.
_AGAINST_BASELINE = {
    "derived.vmax_pct_baseline": frozenset({"vmax_ms"}),
    "derived.pct_vmax": frozenset({"vmax_ms"}),
    "derived.worst_split_pct_baseline": frozenset(_SPLITS),
    "derived.worst_10_20m_split_pct_baseline": frozenset(_SPLITS[:2]),
}


def _needs_baseline(item: str) -> bool:
    """Whether a criterion on ``item`` is held by a missing pre-injury best: the athlete
    reported a metric it compares, and has a best for none of the metrics it compares."""
    known = _ON_FILE.get()
    compared = _AGAINST_BASELINE.get(item)
    if known is None or compared is None:
        return False
    return bool(compared & known.reported) and not compared & known.baseline


def _distances(splits: Iterable[str]) -> str:
    """Split keys as distances, in order ("10 m, 20 m")."""
    chosen = set(splits)
    return ", ".join(f"{k.split('_')[1].removesuffix('m')} m" for k in _SPLITS if k in chosen)


def _bests_missing(item: str) -> tuple[str, int] | None:
    """The splits a split criterion names that have no pre-injury best ("20 m", and how
    many), when the athlete reported a split it compares and has a best for some of the
    others: every split it names needs one (``engine.evaluate.worst_split_pct``)."""
    known = _ON_FILE.get()
    compared = _AGAINST_BASELINE.get(item)
    if known is None or compared is None or "vmax_ms" in compared:
        return None
    missing = compared - known.baseline
    if not missing or missing == compared or not compared & known.reported:
        return None
    return _distances(missing), len(missing)


def _splits_to_time(item: str) -> str | None:
    """The splits a split criterion needs timed in one session ("10 m, 20 m"), when the
    athlete timed some of them but the criterion saw none: every split it names must be
    logged in the same session (``engine.evaluate.worst_split_pct``)."""
    known = _ON_FILE.get()
    compared = _AGAINST_BASELINE.get(item)
    if known is None or compared is None or "vmax_ms" in compared:
        return None
    if compared - known.baseline or not compared & known.reported:
        return None
    return _distances(compared)


def _observed(criterion: Any, observed: object) -> str:
    if isinstance(observed, str):
        counted = _COUNTED.match(observed)
        if counted:
            done, need = int(counted.group(1)), int(counted.group(2))
            return _("{done} of {need} so far").format(done=min(done, need), need=need)
        return ""
    if observed is None and _needs_baseline(str(criterion.item)):
        return _("needs your pre-injury best: send /baseline")
    missing = _bests_missing(str(criterion.item)) if observed is None else None
    if missing is not None:
        return ngettext(
            "needs your pre-injury best time for {splits}: send /baseline",
            "needs your pre-injury best times for {splits}: send /baseline",
            missing[1],
        ).format(splits=missing[0])
    splits = _splits_to_time(str(criterion.item)) if observed is None else None
    if splits is not None:
        return _("time these splits in the same session: {splits}").format(splits=splits)
    if observed is None:
        return _("not reported yet")
    if isinstance(observed, bool | int | float):
        return format_value(criterion.item, observed)
    return ""


def _not_counted_in(text: str) -> str | None:
    """Why a "Not yet" reason's criterion had its latest result left out, from the engine's
    sentence (``engine.programme.NOT_COUNTED_TEXT``), or None."""
    return next((why for why, said in NOT_COUNTED_TEXT.items() if text.endswith(said)), None)


def criterion_words(
    criterion: Any, observed: object, met: bool, not_counted: str | None = None
) -> str:
    """Return a criterion with what was seen: "walking pain 2/10 or less (you said 1)".

    ``not_counted`` (an unmet criterion whose latest result came with a session that did not
    count, or while running was stopped): says so, never "not reported yet" about a result
    the athlete sent."""
    what = describe_criterion(criterion, "athlete")
    left_out = not_counted_words(not_counted) if not met else None
    if left_out is not None and observed is None:
        return f"{what} ({left_out})"
    seen = _observed(criterion, observed)
    if not seen:
        return what
    if left_out is not None:
        if not isinstance(observed, str):
            seen = f"{_('last counted')} {seen}"
        return f"{what} ({seen}; {left_out})"
    if observed is None or isinstance(observed, str):
        return f"{what} ({seen})"
    said = _("latest") if criterion.item.startswith(("metrics.", "derived.")) else _("you said")
    return f"{what} ({said} {seen})"


def _is_met(reason: Any) -> bool | None:
    text = str(reason.text)
    if text.startswith("Met:"):
        return True
    if text.startswith("Not yet:"):
        return False
    return None


_INFO = {
    "morning.p8": N_("Your morning answers look good."),
    "morning.baseline": N_("I'm still learning what is usual for you (after a few good mornings)."),
    "24h.green": N_("You felt back to usual the morning after your last session."),
    "session.green": N_(
        "Good session: it counts towards moving up if you feel fine tomorrow morning."
    ),
    # A green session that does not count (against the plan, a speed drop, low confidence):
    # what was good about it, never that it counts (the reasons after it say why it does not).
    "session.green.not_counted": N_("Pain stayed low during the session."),
    "clinician.clear": N_("Your clinician gave their OK to move on."),
    "clinician.clear.other_stage": N_(
        "Your clinician's OK was for another stage: they will be asked again for this one."
    ),
    "clinician.resume": N_("Your clinician resumed your programme."),
    "clinician.paused": N_("Your programme is paused: no prompts and no moving up."),
    "hold": N_("You stay at this stage today."),
}
# Worded by bot.wording.engine_reasons but read as notes, not as what decided the day: the
# rest day's content (the headline says it already), and the usual tightness the morning was
# read against.
_INFO_RULES = ("morning.p3", "morning.usual_tightness")
_FIRED = {
    "24h.hold": N_(
        "Pain or tightness was a little up the morning after your last session, so repeat "
        "the same session."
    ),
    "24h.step_back": N_(
        "Pain or tightness was clearly up the morning after your last session, so we go back "
        "one stage for a few days."
    ),
    "24h.elevated_48h": N_(
        "Pain or tightness is still up two days after your session: no running until your "
        "clinician has reviewed you."
    ),
    "missing.checkin": N_("No morning check-in: no training today."),
    # A session's red flags (engine.session_rules._STOP_TEXT, the same English).
    "session.stop": N_(
        "Sharp or sudden pain, a pop or a sudden tight pull in the muscle: stop, clinician alerted."
    ),
    "session.red_flag": N_(
        "New swelling, bruising, a pop or numbness since the session started: stop training, "
        "your clinician has been alerted."
    ),
    "session.severe_pain": N_(
        "Strong pain in this session: stop training, your clinician has been alerted and "
        "should see you today."
    ),
    "redflag.achilles": N_(
        "Your heel raises on the injured side dropped to half or less, with pain: stop "
        "training, your clinician has been alerted and should see you today."
    ),
    "session.pain_location": N_(
        "Pain away from the injured spot: stop running until your clinician has checked it "
        "(they have been asked to, within 24 h)."
    ),
}


# The morning rules that hold, lighten or rest a day, in words with the value seen.
_MORNING = {
    "pain_test": N_("Pain in today's test: {value}/10."),
    "pain_rest": N_("Pain at rest: {value}/10."),
}
# Tightness read against fixed limits while no usual level is known yet
# (engine.readiness.no_baseline_limits): the limit is said, or a first morning's lighter day
# reads "Tightness: 3/10." with no reason. p3 rests, p4 lightens.
_NO_BASELINE_TIGHTNESS = {
    "p3": N_(
        "Tightness {value}/10: until I know what is usual for you, {limit}/10 or more means "
        "a rest day."
    ),
    "p4": N_(
        "Tightness {value}/10: until I know what is usual for you, {limit}/10 or more means "
        "a lighter day."
    ),
}
# The engine's threshold for them: "< 4 until the usual level is known".
_LIMIT = re.compile(r"^<\s*(?P<limit>\d+(?:\.\d+)?)\b")
_MORNING_DELTAS = ("pain_test_delta", "tightness_delta")


def _delta_words(kind: str, observed: float) -> str:
    """ "Pain in today's test is 1 point above your usual.": a rise over the usual, in points
    of the 0–10 scale (one point, or several)."""
    n = 1 if observed == 1 else 2
    if kind == "pain_test_delta":
        text = ngettext(
            "Pain in today's test is {value} point above your usual.",
            "Pain in today's test is {value} points above your usual.",
            n,
        )
    else:
        text = ngettext(
            "Tightness is {value} point above your usual.",
            "Tightness is {value} points above your usual.",
            n,
        )
    return text.format(value=format_decimal(observed))


_DAYS = re.compile(r"for (\d+) days")


def _tightness_words(level: str, observed: float, threshold: object) -> str:
    """Tightness against the fixed limit that stands in for the usual level, with that limit
    as the engine applied it (read from the reason's threshold, never written here); the value
    alone when the threshold is missing."""
    found = _LIMIT.match(str(threshold))
    text = _NO_BASELINE_TIGHTNESS.get(level)
    if found is None or text is None:
        # A reason kept without its threshold: the value alone, still in words.
        return _("Tightness: {value}/10.").format(value=format_decimal(observed))
    return _(text).format(
        value=format_decimal(observed), limit=format_decimal(float(found["limit"]))
    )


def _morning_words(rule: str, observed: object, threshold: object = None) -> str | None:
    """Words for ``morning.p3.pain_test`` and its kind, with the value seen (and, for
    tightness without a usual level, the limit in ``threshold``)."""
    parts = rule.split(".")
    if len(parts) != 3 or parts[0] != "morning":
        return None
    if not isinstance(observed, int | float) or isinstance(observed, bool):
        return None
    if parts[2] == "tightness":
        return _tightness_words(parts[1], observed, threshold)
    if parts[2] in _MORNING_DELTAS:
        return _delta_words(parts[2], observed)
    if parts[2] in _MORNING:
        return _(_MORNING[parts[2]]).format(value=format_decimal(observed))
    return None


def _info_words(rule: str) -> str | None:
    text = _INFO.get(rule)
    return _(text) if text is not None else None


def describe_reason(reason: Any, protocol: Any, stage_id: str) -> tuple[Kind, str]:
    """Return what kind of reason this is and its sentence for the athlete.

    ``fired``: something about today (a rule that held, rested or stopped); ``unmet``: a
    criterion or gate item not yet met; ``met``: one that is; ``info``: a note; ``move``: a
    change of stage.
    """
    rule = str(reason.rule)
    met = _is_met(reason)
    if rule == "progress":
        target = str(reason.threshold or "")
        return "move", _("You move up to {stage}.").format(stage=stage_label(protocol, target))
    if rule == "stepback":
        target = str(reason.threshold or "")
        return "move", _(
            "We go back one stage for a few days, to {stage}. That is normal and safe."
        ).format(stage=stage_label(protocol, target))
    if rule == "clinician.set_stage":
        target = str(reason.threshold or "")
        return "move", _("Your clinician moved you to {stage}.").format(
            stage=stage_label(protocol, target)
        )
    worded = reason_words(reason, protocol)
    if worded is not None:
        return ("info" if rule in _INFO_RULES or rule.startswith("clinician.") else "fired"), worded
    info = _info_words(rule)
    if info is not None:
        return "info", info
    if rule == "stall":
        days = _DAYS.search(str(reason.text))
        return "fired", _(
            "You have been at this stage for {days} days: your clinician has been told and can "
            "help with what is missing (Why? lists it)."
        ).format(days=days.group(1) if days else "7")
    morning = _morning_words(rule, reason.observed, getattr(reason, "threshold", None))
    if morning is not None:
        return "fired", morning
    if rule in _FIRED:
        return "fired", _(_FIRED[rule])
    criterion = find_criterion(protocol, stage_id, rule)
    if criterion is not None and met is not None:
        left_out = _not_counted_in(str(reason.text))
        return ("met" if met else "unmet"), criterion_words(
            criterion, reason.observed, met, left_out
        )
    if met is not None:
        body = str(reason.text).split(":", 1)[1].strip().rstrip(".")
        item = _Item(rule, met, body, reason.observed, reason.threshold)
        if rule == "gate.final":
            return "info", _("This is the last stage.")
        if rule == "gate.symptoms":
            return ("met" if met else "unmet"), _symptom_free(body, protocol)
        if met:
            return "met", _gate_met(item, protocol)
        return "unmet", plain(still_needed(item, "athlete"), protocol)
    return "fired", plain(str(reason.text), protocol)


_SYMPTOM_FREE = re.compile(
    r"^No pain, test pain or tightness at all \(0/10\) on (\d+) days in a row$"
)


def _symptom_free(body: str, protocol: Any) -> str:
    """The final stage's symptom-free streak (engine.programme), in words."""
    found = _SYMPTOM_FREE.match(body)
    if found is None:
        return plain(mid_sentence(body), protocol)
    count = int(found.group(1))
    return ngettext(
        "no pain, test pain or tightness at all (0/10) on {count} day in a row",
        "no pain, test pain or tightness at all (0/10) on {count} days in a row",
        count,
    ).format(count=count)


def _gate_met(item: _Item, protocol: Any) -> str:
    words = describe_gate_item(item, "athlete")
    return plain(words.name[:1].upper() + words.name[1:], protocol)


@dataclass(frozen=True)
class Worded:
    """One reason in the athlete's words, with its kind."""

    kind: Kind
    text: str
    rule: str


# Rules whose step back, held at the first stage, is said in one sentence of their own
# (bot.wording.engine_reasons): the rule's "we go back one stage" beside it would be untrue.
_HELD_AT_FIRST_STAGE_SAYS_IT = frozenset({"morning.p3.repeat"})


def _held_at_first_stage(reasons: Sequence[Any]) -> frozenset[str]:
    """The rules among ``_HELD_AT_FIRST_STAGE_SAYS_IT`` whose step back the first stage held."""
    return frozenset(
        str(r.rule)
        for r in reasons
        if str(r.rule) in _HELD_AT_FIRST_STAGE_SAYS_IT and str(r.text).startswith(FIRST_STAGE_HELD)
    )


def word_reasons(reasons: Iterable[Any], protocol: Any, stage_id: str) -> list[Worded]:
    """Return every reason in words, each sentence once, in the engine's order; a step back
    held at the first stage is said once, as that (never also "we go back one stage")."""
    out: list[Worded] = []
    seen: set[str] = set()
    reasons = list(reasons)
    held = _held_at_first_stage(reasons)
    for reason in reasons:
        rule = str(reason.rule)
        if rule in held and not str(reason.text).startswith(FIRST_STAGE_HELD):
            continue
        kind: Kind
        if rule in held:
            # The held note counts nothing: the count is the rest streak's, beside it.
            counts = [rest_streak_count(r) for r in reasons if str(r.rule) == rule]
            count = next((c for c in counts if c is not None), None)
            kind, text = "fired", first_stage_held_words(count)
        else:
            kind, text = describe_reason(reason, protocol, stage_id)
        if text in seen:
            continue
        seen.add(text)
        out.append(Worded(kind, text, str(reason.rule)))
    return out


def today_reasons(worded: Sequence[Worded], limit: int = 3) -> list[str]:
    """Return at most ``limit`` reasons that matter today: what fired first, then what is not
    yet met ("To move up: …"). Met items and notes stay in the full list."""
    fired = [w.text for w in worded if w.kind == "fired"]
    unmet = [w for w in worded if w.kind == "unmet"]
    chosen = fired[:limit]
    left = limit - len(chosen)
    if left > 0 and unmet:
        shown = unmet[:left]
        more = len(unmet) - len(shown)
        for index, w in enumerate(shown):
            line = w.text
            if index == 0:
                line = _("To move up: {what}").format(what=line)
            if index == len(shown) - 1 and more:
                line += " " + ngettext("(+{n} more)", "(+{n} more)", more).format(n=more)
            chosen.append(line)
    return chosen


def full_reasons(worded: Sequence[Worded]) -> list[str]:
    """Return every reason as a line for the "Why?" list: ✅ met, ⬜ not yet, • the rest."""
    lines: list[str] = []
    for w in worded:
        mark = {"met": "✅", "unmet": "⬜"}.get(w.kind, "•")
        lines.append(f"{mark} {w.text}")
    return lines


def gate_item_words(item: Any, protocol: Any, stage_id: str) -> str:
    """Return one item of the stage status (an exit criterion or a gate item) in words:
    a criterion with what was seen, a met gate item by name, an unmet one as what is left."""
    criterion = find_criterion(protocol, stage_id, str(item.rule))
    if criterion is not None:
        left_out = getattr(item, "not_counted", None)
        return criterion_words(criterion, item.observed, bool(item.met), left_out)
    worded = _Item(str(item.rule), bool(item.met), str(item.text), item.observed, item.needed)
    if item.met:
        return _gate_met(worded, protocol)
    return plain(still_needed(worded, "athlete"), protocol)
