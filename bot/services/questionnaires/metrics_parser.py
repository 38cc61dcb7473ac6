"""Reading sprint metrics that an athlete types, in one line or one value at a time.

``parse_metrics_line("10m 1.82 30m 4.11 vmax 8.7 hop 92")`` returns a validated
``engine.models.Metrics`` or a list of problems, each naming the value and what is expected.
Variants understood: ``10m=1.82``, ``vmax 8,7``, ``vmax 31.3 km/h``, ``10m 1820ms``,
``hop 92%``, ``slhb 20/25`` (injured/uninjured), canonical keys such as ``split_10m_s 1.82``.
Nothing here raises on bad input: every failure is a problem message.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.services import texts
from bot.support.formats import format_decimal, format_or_list
from bot.support.i18n import L_, Text, _, text
from engine.models import Metrics
from engine.plausibility import SplitConflict, split_conflicts


@dataclass(frozen=True)
class MetricSpec:
    """How one metric is named, bounded and explained to the athlete."""

    key: str
    label: Text
    unit: str
    minimum: float
    maximum: float
    integer: bool = False
    min_exclusive: bool = False
    low_why: Text = ""
    high_why: Text = ""
    units: tuple[tuple[str, float], ...] = ()  # accepted unit words and their factor
    # The units named when a typed one is refused: symbols, never a list of English words.
    symbols: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        """Return the metric's name in the current language, in the athlete's words ("top
        speed"; voice.md: athletes never read "Vmax", clinicians' texts use wording.items)."""
        return text(self.label)

    @property
    def shown_unit(self) -> str:
        """Return the unit as the reader reads it ("reps" is a word; "m/s" is a symbol)."""
        return _("reps") if self.unit == "reps" else self.unit

    @property
    def shown_units(self) -> list[str]:
        """Return the units this metric may be typed in, as the reader reads them."""
        return list(self.symbols) if self.symbols else [self.shown_unit]


# Unit words as athletes type them in the supported languages (accents are dropped before
# matching): "1,82 seg", "1,82 Sek.", "6 Wdh.".
_SECONDS: tuple[tuple[str, float], ...] = (
    ("s", 1.0),
    ("sec", 1.0),
    ("secs", 1.0),
    ("second", 1.0),
    ("seconds", 1.0),
    ("seg", 1.0),
    ("segs", 1.0),
    ("segundo", 1.0),
    ("segundos", 1.0),
    ("seconde", 1.0),
    ("secondes", 1.0),
    ("sek", 1.0),
    ("sekunde", 1.0),
    ("sekunden", 1.0),
    ("ms", 0.001),
)
_PERCENT = (("%", 1.0), ("pct", 1.0), ("percent", 1.0))
_REPS = (
    ("reps", 1.0),
    ("rep", 1.0),
    ("x", 1.0),
    ("wdh", 1.0),
    ("wiederholungen", 1.0),
    ("repeticiones", 1.0),
    ("repeticoes", 1.0),
    ("repetitions", 1.0),
)
_SPLIT_LOW = L_("faster than a world-class sprinter; check it is seconds from a standing start")


def _split(distance: int, label: Text, low: float, high: float) -> MetricSpec:
    return MetricSpec(
        key=f"split_{distance}m_s",
        label=label,
        unit="s",
        minimum=low,
        maximum=high,
        low_why=_SPLIT_LOW,
        high_why=L_("slower than a walk-jog; check it is a sprint time in seconds"),
        units=_SECONDS,
        symbols=("s", "ms"),
    )


def _pct(key: str, label: Text) -> MetricSpec:
    return MetricSpec(
        key=key,
        label=label,
        unit="%",
        minimum=0,
        maximum=130,
        high_why=L_("a percentage above 130 is not plausible for this measure"),
        units=_PERCENT,
    )


def _lsi(key: str, label: Text) -> MetricSpec:
    """A limb symmetry index in %: below 20 it is a fraction (0.95) or the test's own score
    (an RSI of 2.1), never an athlete in a return-to-sprint test; read as a %, either one
    fired a regression trigger and stepped the athlete back."""
    return MetricSpec(
        key=key,
        label=label,
        unit="%",
        minimum=20,
        maximum=130,
        low_why=L_(
            "type the injured leg as a % of the other leg, e.g. 95, not 0.95 or the test's "
            "own score"
        ),
        high_why=L_("a percentage above 130 is not plausible for this measure"),
        units=_PERCENT,
    )


def _reps(key: str, label: Text) -> MetricSpec:
    return MetricSpec(
        key=key,
        label=label,
        unit="reps",
        minimum=0,
        maximum=200,
        integer=True,
        high_why=L_("more than 200 repetitions is not plausible"),
        units=_REPS,
    )


SPECS: dict[str, MetricSpec] = {
    spec.key: spec
    for spec in (
        MetricSpec(
            key="vmax_ms",
            # Athletes read "top speed" (voice.md, plain terms): this label reaches them in
            # summaries, /baseline, the step-by-step questions and every problem message.
            label=L_("top speed"),
            unit="m/s",
            minimum=0,
            maximum=12.5,
            min_exclusive=True,
            low_why=L_("a speed must be above 0"),
            high_why=L_(
                "above the 12.5 m/s plausibility limit (the world record is about 12.4 m/s); "
                "if you measured km/h, write it as e.g. 'speed 31 km/h'"
            ),
            units=(
                ("m/s", 1.0),
                ("ms", 1.0),
                ("mps", 1.0),
                ("km/h", 1 / 3.6),
                ("kmh", 1 / 3.6),
                ("kph", 1 / 3.6),
            ),
            symbols=("m/s", "km/h"),
        ),
        _pct("top_pct_vmax", L_("speed, as % of your top speed")),
        _split(10, L_("10 m split"), 1.4, 10),
        _split(20, L_("20 m split"), 2.2, 15),
        _split(30, L_("30 m split"), 3.0, 20),
        _split(40, L_("40 m split"), 3.8, 25),
        MetricSpec(
            key="hv_reps",
            label=L_("high-velocity reps"),
            unit="reps",
            minimum=0,
            maximum=100,
            integer=True,
            high_why=L_("more than 100 reps at top intensity in one session is not plausible"),
            units=_REPS,
        ),
        MetricSpec(
            key="ground_contact_ms",
            label=L_("ground contact time"),
            unit="ms",
            minimum=50,
            maximum=500,
            low_why=L_("shorter than any sprinting ground contact"),
            high_why=L_("longer than a sprinting ground contact"),
            units=(("ms", 1.0),),
        ),
        _pct("step_asymmetry_pct", L_("step asymmetry")),
        MetricSpec(
            key="cmj_cm",
            label=L_("countermovement jump"),
            unit="cm",
            minimum=0,
            maximum=120,
            min_exclusive=True,
            low_why=L_("a jump height must be above 0"),
            high_why=L_("higher than any recorded jump"),
            units=(("cm", 1.0),),
        ),
        _lsi("hop_lsi_pct", L_("hop distance compared with your other leg")),
        _lsi("rsi_lsi_pct", L_("springiness compared with your other leg")),
        _lsi("strength_lsi_pct", L_("strength compared with your other leg")),
        MetricSpec(
            key="nordic_n",
            label=L_("Nordic force"),
            unit="N",
            # Below 50 N is no Nordic test; "1,200" read as 1.2 N was stored (thousands).
            minimum=50,
            maximum=1500,
            low_why=L_("less than a Nordic hamstring test measures; check it is in newtons"),
            high_why=L_("above 1500 N is not plausible for one leg"),
            units=(("n", 1.0), ("newton", 1.0), ("newtons", 1.0)),
        ),
        _reps("slhb_reps_injured", L_("single-leg bridge reps, injured side")),
        _reps("slhb_reps_uninjured", L_("single-leg bridge reps, uninjured side")),
        _reps("heel_raise_reps_injured", L_("single-leg heel raises, injured side")),
        _reps("heel_raise_reps_uninjured", L_("single-leg heel raises, uninjured side")),
    )
}

# A name maps to one key, or to a pair (injured, uninjured) typed as "20/25".
_PAIRS = {
    "slhb": ("slhb_reps_injured", "slhb_reps_uninjured"),
    "heel": ("heel_raise_reps_injured", "heel_raise_reps_uninjured"),
}
ALIASES: dict[str, str] = {key: key for key in SPECS} | {
    "vmax": "vmax_ms",
    "v": "vmax_ms",
    "speed": "vmax_ms",
    "velocity": "vmax_ms",
    "topspeed": "vmax_ms",
    "maxspeed": "vmax_ms",
    "10m": "split_10m_s",
    "20m": "split_20m_s",
    "30m": "split_30m_s",
    "40m": "split_40m_s",
    "top": "top_pct_vmax",
    "%vmax": "top_pct_vmax",
    "pct_vmax": "top_pct_vmax",
    "intensity": "top_pct_vmax",
    "hv": "hv_reps",
    "reps": "hv_reps",
    "gct": "ground_contact_ms",
    "gc": "ground_contact_ms",
    "contact": "ground_contact_ms",
    "asym": "step_asymmetry_pct",
    "asymmetry": "step_asymmetry_pct",
    "step_asym": "step_asymmetry_pct",
    "cmj": "cmj_cm",
    "jump": "cmj_cm",
    "hop": "hop_lsi_pct",
    "hop%": "hop_lsi_pct",
    "hop_lsi": "hop_lsi_pct",
    "rsi": "rsi_lsi_pct",
    "rsi_lsi": "rsi_lsi_pct",
    "strength": "strength_lsi_pct",
    "strength_lsi": "strength_lsi_pct",
    "lsi": "strength_lsi_pct",
    "nordic": "nordic_n",
    "nordbord": "nordic_n",
    "slhb": "slhb",
    "bridge": "slhb",
    "bridges": "slhb",
    "slhb_inj": "slhb_reps_injured",
    "slhb_uninj": "slhb_reps_uninjured",
    "heel": "heel",
    "heels": "heel",
    "slcr": "heel",
    "heel_raise": "heel",
    "heel_raises": "heel",
    "calf_raise": "heel",
    "calf_raises": "heel",
    "heel_inj": "heel_raise_reps_injured",
    "heel_uninj": "heel_raise_reps_uninjured",
}
# Words that may sit between items and carry no value.
_FILLERS = {"and", "split", "splits", "best", "time", "today", "my", "was", "the", "then", "with"}
_PHRASES = (
    (r"\btop\s+speed\b", "topspeed"),
    (r"\bmax(?:imum)?\s+speed\b", "maxspeed"),
    (r"\bmax\s+velocity\b", "maxspeed"),
    (r"\bheel\s+raises?\b", "heel_raise"),
    (r"\bcalf\s+raises?\b", "calf_raise"),
    (r"\bground\s+contact(?:\s+time)?\b", "gct"),
    (r"\bkm\s*/\s*h(?:our)?\b", "km/h"),
    (r"\bm\s*/\s*s(?:ec)?\b", "m/s"),
    (r"\b([1-4]0)\s*-?\s*(?:m|metres?|meters?)\b(?!/)", r"\1m"),
)
_CANONICAL = "|".join(sorted((re.escape(k) for k in SPECS), key=len, reverse=True))
_TOKEN = re.compile(
    rf"(?P<key>\b(?:{_CANONICAL})\b|\b[1-4]0m(?![a-z/]))"
    r"|(?P<unit>km/h|m/s)"
    r"|(?P<num>\d+(?:\.\d+)?|\.\d+)"
    r"|(?P<word>[a-z_%]+)"
    r"|(?P<slash>/)"
    r"|(?P<other>\S)"
)
_UNIT_WORDS = {unit for spec in SPECS.values() for unit, _factor in spec.units}
# The units of a speed: only the top speed is typed in them ("ms" is also milliseconds).
_SPEED_UNITS = {unit for unit, _factor in SPECS["vmax_ms"].units} - {"ms"}
MAX_INPUT_CHARS = 600


@dataclass(frozen=True)
class MetricsParse:
    """The outcome of reading a metrics line: validated metrics, or what was wrong."""

    metrics: Metrics | None
    problems: tuple[str, ...] = ()
    # What was read with a guess ("vmx" as vmax, 31 as km/h): asked back at the confirmation.
    assumed: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the line was understood and every value is plausible."""
        return self.metrics is not None and not self.problems


@dataclass(frozen=True)
class ValueParse:
    """The outcome of reading one typed value for a known metric."""

    value: float | int | None
    problem: str | None = None
    # The value was refused because it contradicts the others of the entry (cross_checks):
    # the mistake may be in one typed before.
    conflict: bool = False


# A minus sign as phones type it (Unicode minus, en dash) before a number: "vmax −8.7".
_MINUS = re.compile(r"[\u2212\u2013](?=\s*[\d.,])")


def _normalise(text: str) -> str:
    """Return ``text`` lower case, accents dropped ("répétitions"), minus signs and decimal
    commas written the one way the tokens read them."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    lowered = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    lowered = _MINUS.sub("-", lowered)
    lowered = re.sub(r"(?<=\d),(?=\d)", ".", lowered)  # decimal comma: "8,7"
    lowered = re.sub(r"[=:;,]", " ", lowered)
    for pattern, replacement in _PHRASES:
        lowered = re.sub(pattern, replacement, lowered)
    return lowered


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        found.append((kind, match.group()))
    return found


def _fmt(value: float) -> str:
    """A number with the reader's decimal sign ("1,82" in German)."""
    return format_decimal(value)


def check_value(key: str, raw: float, unit: str | None = None) -> ValueParse:
    """Convert ``raw`` typed with ``unit`` to the metric's unit and check its bounds."""
    spec = SPECS[key]
    factor = 1.0
    if unit is not None:
        factors = dict(spec.units)
        if unit not in factors:
            return ValueParse(
                None,
                _("{label}: '{unit}' is not a unit I can use here (expected {expected}).").format(
                    label=spec.shown, unit=unit, expected=format_or_list(spec.shown_units)
                ),
            )
        factor = factors[unit]
    value = raw * factor
    if not math.isfinite(value):
        return ValueParse(
            None,
            _("{label}: {value} is not a number I can use.").format(label=spec.shown, value=raw),
        )
    if spec.integer:
        if value != int(value):
            return ValueParse(
                None,
                _("{label} must be a whole number (you typed {value}).").format(
                    label=spec.shown, value=_fmt(raw)
                ),
            )
        value = int(value)
    else:
        value = round(value, 3)
    if _below_minimum(spec, value):
        why = f" ({text(spec.low_why)})" if spec.low_why else ""
        return ValueParse(
            None,
            _("{label} {value} {unit} looks wrong{why}: {expected}.").format(
                label=spec.shown,
                value=_fmt(value),
                unit=spec.shown_unit,
                why=why,
                expected=_expected_minimum(spec),
            ),
        )
    if value > spec.maximum:
        why = f" ({text(spec.high_why)})" if spec.high_why else ""
        expected = _("expected at most {bound} {unit}")
        return ValueParse(
            None,
            _("{label} {value} {unit} looks wrong{why}: {expected}.").format(
                label=spec.shown,
                value=_fmt(value),
                unit=spec.shown_unit,
                why=why,
                expected=expected.format(bound=_fmt(spec.maximum), unit=spec.shown_unit),
            ),
        )
    return ValueParse(value)


def _below_minimum(spec: MetricSpec, value: float) -> bool:
    """Whether ``value`` (in the metric's own unit) is under its plausible minimum."""
    return value <= spec.minimum if spec.min_exclusive else value < spec.minimum


def _expected_minimum(spec: MetricSpec) -> str:
    """Say the lowest plausible value: "expected at least 50 N"."""
    if spec.min_exclusive:
        expected = _("expected above {bound} {unit}")
    else:
        expected = _("expected at least {bound} {unit}")
    return expected.format(bound=_fmt(spec.minimum), unit=spec.shown_unit)


# "1,200" or "1.200": a decimal, or a thousand written with a separator ("1.200" in German).
_GROUPED = re.compile(r"[1-9]\d{0,2}\.\d{3}")


def _check_typed(key: str, number: str, unit: str | None) -> ValueParse:
    """Check the number token ``number`` typed for ``key``; refuse, never guess, when it may be
    a thousand written with a separator and reads as implausibly low as a decimal.

    "1,200" for the Nordic force is 1.2 N as a decimal, too low to be one, and may well be
    1200 N: the athlete is asked to type it without the separator. "1,82" (two decimals) and
    "1,820" as a 10 m split (plausible as a decimal) are read as decimals.
    """
    checked = check_value(key, float(number), unit)
    if checked.problem is None or not _GROUPED.fullmatch(number):
        return checked
    spec = SPECS[key]
    factor = dict(spec.units).get(unit, 1.0) if unit is not None else 1.0
    whole = int(number.replace(".", ""))
    if not _below_minimum(spec, float(number) * factor) or check_value(key, whole, unit).problem:
        return checked
    typed_unit = unit if unit is not None and factor != 1.0 else spec.shown_unit  # "ms", not "n"
    return ValueParse(
        None,
        _(
            "{label} {value} {unit} looks wrong: {expected}. If you meant {whole} {unit}, type "
            "it without a comma or point: {whole}."
        ).format(
            label=spec.shown,
            value=_fmt(float(number)),
            unit=typed_unit,
            expected=_expected_minimum(spec),
            whole=whole,
        ),
    )


def _unit_after(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return ``tokens`` without the point after a unit ("1,82 Sek.", "6 Wdh.")."""
    if len(tokens) >= 2 and tokens[-2][0] in ("word", "unit") and tokens[-1] == ("other", "."):
        return tokens[:-1]
    return tokens


def parse_metric_value(
    key: str, text: str, given: Mapping[str, float | int] | None = None
) -> ValueParse:
    """Read one value typed for metric ``key`` (step-by-step entry), e.g. '8,7' or '31 km/h'.

    The metric's own name may come first ("vmax 8.7"); another metric's name is refused, never
    dropped: "10m 1.82" typed for the top speed is no top speed. ``given`` holds the other
    metrics of the same entry; the value must agree with them as in a one-line entry (a
    longer split takes longer).
    """
    if key not in SPECS:
        raise KeyError(key)
    spec = SPECS[key]
    if len(text) > MAX_INPUT_CHARS:
        return ValueParse(
            None, _("That is too long: please type just the {label}.").format(label=spec.shown)
        )
    tokens = [t for t in _tokens(_normalise(text)) if not (t[0] == "word" and t[1] in _FILLERS)]
    if tokens and tokens[0][0] in ("key", "word"):
        word = tokens[0][1]
        named = ALIASES.get(word)
        if named == key or key in _PAIRS.get(named or "", ()) or word in dict(spec.units):
            tokens = tokens[1:]  # the name repeated ("vmax 8.7"), or the unit ("reps 20")
        elif named is not None:
            return ValueParse(None, _another_measure(spec, word, named))
    if not tokens or tokens[0][0] != "num":
        return ValueParse(
            None,
            _("Please type the {label} as a number in {unit}, e.g. {example}.").format(
                label=spec.shown, unit=spec.shown_unit, example=_example(key)
            ),
        )
    tokens = _unit_after(tokens)
    unit = None
    if len(tokens) == 2 and tokens[1][0] in ("word", "unit"):
        unit = tokens[1][1]
    elif len(tokens) != 1:
        return ValueParse(
            None,
            _("Please type only the {label}, as a number in {unit}, e.g. {example}.").format(
                label=spec.shown, unit=spec.shown_unit, example=_example(key)
            ),
        )
    checked = _check_typed(key, tokens[0][1], unit)
    if checked.value is not None and given:
        problems = cross_checks({**given, key: checked.value})
        if problems:
            return ValueParse(None, "\n".join(problems), conflict=True)
    return checked


def _another_measure(spec: MetricSpec, word: str, named: str) -> str:
    """Say that ``word``, typed before the value, names another metric than ``spec``."""
    other = SPECS[_PAIRS[named][0]] if named in _PAIRS else SPECS[named]
    return _(
        "'{name}' is another measure ({other}). Here, please type the {label} as a number in "
        "{unit}, e.g. {example}."
    ).format(
        name=word,
        other=other.shown,
        label=spec.shown,
        unit=spec.shown_unit,
        example=_example(spec.key),
    )


def _example(key: str) -> str:
    """A plausible value of metric ``key``, written with the reader's decimal sign."""
    examples = {
        "vmax_ms": (8.7, 1),
        "split_10m_s": (1.82, 2),
        "split_20m_s": (3.05, 2),
        "split_30m_s": (4.11, 2),
        "split_40m_s": (5.20, 2),
        "nordic_n": (300, 0),
        "ground_contact_ms": (120, 0),
    }
    value, places = examples.get(key, (12, 0))
    return format_decimal(value, places)


def parse_metrics_line(text: str) -> MetricsParse:
    """Read a one-line metrics entry; return validated Metrics or the problems found."""
    if len(text) > MAX_INPUT_CHARS:
        return MetricsParse(
            None,
            (
                _(
                    "That message is too long (over {limit} characters). Please send just the "
                    "metrics."
                ).format(limit=MAX_INPUT_CHARS),
            ),
        )
    tokens = _tokens(_normalise(text))
    values: dict[str, float | int] = {}
    problems: list[str] = []
    assumed: list[str] = []
    named_unknown = False  # the names understood are listed once, after the first unknown
    i = 0
    while i < len(tokens):
        kind, word = tokens[i]
        if kind == "word" and word in _FILLERS:
            i += 1
            continue
        if _negative_here(tokens, i):
            problems.append(_unknown("-", first=True))
            i = _past_value(tokens, i + 1)
            continue
        if kind == "num" and _is_unit_here(tokens, i + 1, _SPEED_UNITS):
            # Only the top speed is typed in m/s or km/h: "32 km/h" alone names it.
            i = _read_item("vmax_ms", "vmax", tokens, i, values, problems, assumed)
            continue
        if kind == "num":
            problems.append(
                _(
                    "'{value}' has no name in front of it: write e.g. '10m 1.82' or 'speed 8.7'."
                ).format(value=word)
            )
            i += 1
            if _is_unit_here(tokens, i, _UNIT_WORDS):
                i += 1
            continue
        name = ALIASES.get(word) if kind in ("key", "word") else None
        guessed = _close_name(word) if name is None and kind == "word" else None
        if name is None and guessed is not None and _number_follows(tokens, i + 1):
            name = ALIASES[guessed]
            number = _fmt(float(tokens[i + 1][1]))  # "8,7" as the reader writes it
            unit = tokens[i + 2][1] if _is_unit_here(tokens, i + 2, _UNIT_WORDS) else ""
            assumed.append(
                _("Did you mean {name} {value}?").format(
                    name=guessed, value=f"{number} {unit}".strip()
                )
            )
            word = guessed
        if name is None:
            problems.append(_unknown(word, first=not named_unknown))
            named_unknown = named_unknown or word != "-"
            i += 1
            continue
        i += 1
        i = _read_item(name, word, tokens, i, values, problems, assumed)
    if not values and not problems:
        problems.append(
            _("I found no metrics in that. Write e.g. '10m 1.82 30m 4.11 speed 8.7 hop 92'.")
        )
    problems.extend(cross_checks(values))
    if problems:
        return MetricsParse(None, tuple(dict.fromkeys(problems)))
    try:
        metrics = Metrics.model_validate(values)
    except ValidationError as error:  # a guard: the bounds above mirror the model's
        return MetricsParse(None, tuple(_validation_problems(error)))
    return MetricsParse(metrics, assumed=tuple(assumed))


def _close_name(word: str) -> str | None:
    """Return the metric name ``word`` is most likely a typo of ("vmx" → "vmax"), if any."""
    if len(word) < 2:
        return None
    names = [name for name in ALIASES if not name.endswith(("_pct", "_ms", "_s", "_n", "_cm"))]
    found = difflib.get_close_matches(word, names, n=1, cutoff=0.7)
    return found[0] if found else None


# A speed typed without unit is read as km/h only from 4 m/s (14.4 km/h): slower is no sprint.
_KMH_GUESS_MIN_MS = 4.0


def _number_follows(tokens: list[tuple[str, str]], i: int) -> bool:
    return i < len(tokens) and tokens[i][0] == "num"


def _negative_here(tokens: list[tuple[str, str]], i: int) -> bool:
    """A minus sign sits at ``i``, right before a number ("vmax -9", "-3")."""
    return i < len(tokens) and tokens[i] == ("other", "-") and _number_follows(tokens, i + 1)


def _past_value(tokens: list[tuple[str, str]], i: int) -> int:
    """Return the position after the number at ``i`` (or pair, "3/4") and its unit, if any."""
    i += 1
    if i + 1 < len(tokens) and tokens[i][0] == "slash" and tokens[i + 1][0] == "num":
        i += 2
    return i + 1 if _is_unit_here(tokens, i, _UNIT_WORDS) else i


def _read_item(
    name: str,
    word: str,
    tokens: list[tuple[str, str]],
    i: int,
    values: dict[str, float | int],
    problems: list[str],
    assumed: list[str] | None = None,
) -> int:
    """Read the number(s) and unit after a metric name; return the next token position."""
    if _negative_here(tokens, i):
        problems.append(_unknown("-", first=True))  # the one thing wrong: not three
        return _past_value(tokens, i + 1)
    if i >= len(tokens) or tokens[i][0] != "num":
        problems.append(
            _("'{name}' needs a number after it, e.g. '{name} {example}'.").format(
                name=word, example=_example(name)
            )
        )
        return i
    typed = [tokens[i][1]]
    first = float(tokens[i][1])
    i += 1
    second: float | None = None
    if i < len(tokens) and tokens[i][0] == "slash" and _negative_here(tokens, i + 1):
        problems.append(_unknown("-", first=True))  # "heel 20/-25"
        return _past_value(tokens, i + 2)
    if i + 1 < len(tokens) and tokens[i][0] == "slash" and tokens[i + 1][0] == "num":
        typed.append(tokens[i + 1][1])
        second = float(tokens[i + 1][1])
        i += 2
    unit = None
    if _is_unit_here(tokens, i, _UNIT_WORDS):
        unit = tokens[i][1]
        i += 1
        if i < len(tokens) and tokens[i] == ("other", "."):
            i += 1  # "10m 1,82 Sek. 20m 3,05"
    if name in _PAIRS:
        keys: tuple[str, ...] = _PAIRS[name]
        numbers: tuple[str, ...] = tuple(typed)
    elif second is not None:
        problems.append(
            _("'{name}' takes one value, not '{values}'.").format(
                name=word, values=f"{_fmt(first)}/{_fmt(second)}"
            )
        )
        return i
    else:
        keys, numbers = (name,), (typed[0],)
    for key, number_typed in zip(keys, numbers, strict=False):
        number = float(number_typed)
        checked = _check_typed(key, number_typed, unit)
        if (
            checked.problem is not None
            and key == "vmax_ms"
            and unit is None
            and assumed is not None
            and (check_value(key, number, "km/h").value or 0) >= _KMH_GUESS_MIN_MS
        ):
            checked = check_value(key, number, "km/h")
            assumed.append(
                _("{kmh} km/h = {ms} m/s?").format(
                    kmh=_fmt(number), ms=format_decimal(checked.value or 0, 1)
                )
            )
        if checked.problem is not None:
            problems.append(checked.problem)
        elif key in values and values[key] != checked.value:
            problems.append(
                _("{label} is given twice ({first} and {second}): please give it once.").format(
                    label=SPECS[key].shown,
                    first=_fmt(values[key]),
                    second=_fmt(checked.value or 0),
                )
            )
        elif checked.value is not None:
            values[key] = checked.value
    return i


def _is_unit_here(tokens: list[tuple[str, str]], i: int, units: set[str]) -> bool:
    """A unit word sits at ``i`` (and is not the name of the next item, e.g. 'reps 6')."""
    if i >= len(tokens):
        return False
    kind, word = tokens[i]
    if kind == "unit":
        return True
    if kind != "word" or word not in units:
        return False
    followed_by_number = i + 1 < len(tokens) and tokens[i + 1][0] == "num"
    return not (followed_by_number and word in ALIASES)


def _unknown(word: str, first: bool) -> str:
    if word == "-":
        return _("Values cannot be negative: please remove the '-'.")
    if not first:
        return _("I don't know '{name}' either.").format(name=word)
    return _(
        "I don't know '{name}'. Names I understand: 10m, 20m, 30m, 40m (splits in s), "
        "speed (top speed, m/s or km/h), top (% of top speed), hv (reps), hop, rsi, "
        "strength (% of the other leg), "
        "cmj (cm), nordic (N), gct (ms), asym (%), slhb and heel (injured/uninjured reps)."
    ).format(name=word)


def cross_checks(values: Mapping[str, float | int], saved: Collection[str] = ()) -> list[str]:
    """Return what the metrics of one entry contradict each other in: splits over longer
    distances must take longer, no stretch between two splits may be run faster than anyone
    runs, and none faster than the top speed typed with them allows
    (``engine.plausibility.split_conflicts``, which the engine applies too).

    ``saved``: the keys of ``values`` kept from the stored baseline, not typed now (a /baseline
    entry is checked merged with what it keeps). A conflict between saved values only is not
    this entry's; one between a typed value and a saved one says which is which."""
    problems: list[str] = []
    for conflict in split_conflicts(values):
        if all(key in saved for key in conflict.keys):
            continue
        problems.append(_conflict_problem(conflict, values, saved))
    problems += _pair_problems(values)
    return problems


def _conflict_problem(
    conflict: SplitConflict, values: Mapping[str, float | int], saved: Collection[str]
) -> str:
    """Say, in the athlete's words, which times (or top speed) do not add up and why."""
    c = conflict
    d1, d2 = c.start_m, c.end_m
    t1, t2 = _fmt(c.start_s or 0.0), _fmt(c.end_s)
    if c.kind == "order":
        first_saved, second_saved = (key in saved for key in c.keys)
        if second_saved:
            message = text(texts.SPLIT_TYPED_BEFORE_SAVED)
        elif first_saved:
            message = text(texts.SPLIT_TYPED_AFTER_SAVED)
        else:
            message = _(
                "The {d1} m split ({t1} s) should be shorter than the {d2} m split "
                "({t2} s): please check both."
            )
        return message.format(d1=d1, t1=t1, d2=d2, t2=t2)
    gap, least = format_decimal(c.seconds, 2), format_decimal(c.fastest_s, 2)
    if c.kind == "segment":
        said = _(
            "Your {d1} m time ({t1} s) and {d2} m time ({t2} s) are only {gap} s apart: nobody "
            "runs those {d} m that fast (it takes at least {least} s). Please check both times."
        ).format(d1=d1, t1=t1, d2=d2, t2=t2, gap=gap, d=c.distance_m, least=least)
    elif c.start_s is None:
        said = _(
            "Your top speed ({top} m/s) is slower than your average speed over {d} m from the "
            "start ({average} m/s, from your {d} m time of {t} s). Your top speed must be "
            "faster: please check both."
        ).format(
            top=_fmt(c.top_speed_ms or 0.0),
            d=d2,
            average=format_decimal(c.speed_ms or 0.0, 1),
            t=t2,
        )
    else:
        said = _(
            "Your top speed ({top} m/s) is slower than your average speed between {d1} m and "
            "{d2} m ({average} m/s, from your {d1} m time of {t1} s and {d2} m time of {t2} s). "
            "Your top speed must be faster: please check it and those times."
        ).format(
            top=_fmt(c.top_speed_ms or 0.0),
            d1=d1,
            d2=d2,
            average=format_decimal(c.speed_ms or 0.0, 1),
            t1=t1,
            t2=t2,
        )
    kept = [key for key in c.keys if key in saved]
    if kept:
        shown = ", ".join(
            f"{SPECS[key].shown} {_fmt(values[key])} {SPECS[key].shown_unit}" for key in kept
        )
        said += " " + _("(Saved before: {values}. If that is wrong too, type it again.)").format(
            values=shown
        )
    return said


# Counts of both legs; the injured side more than 130 % of the other cannot be right (the
# engine's LSI bound): the sides swapped, or a digit too many or too few.
_LEG_PAIRS = (
    ("heel_raise_reps_injured", "heel_raise_reps_uninjured", L_("single-leg heel raises")),
    ("slhb_reps_injured", "slhb_reps_uninjured", L_("single-leg bridges")),
)
_PAIR_LSI_MAX = 130


def _pair_problems(values: Mapping[str, float | int]) -> list[str]:
    """Say which pair of counts (injured, uninjured) is implausible and how to type it."""
    out: list[str] = []
    for injured_key, other_key, name in _LEG_PAIRS:
        injured, other = values.get(injured_key), values.get(other_key)
        if injured is None or not other or injured * 100 <= other * _PAIR_LSI_MAX:
            continue
        out.append(
            _(
                "{label}: {injured} on the injured side against {other} on the other is more "
                "than {pct} %, which is not plausible: check both counts, the injured side "
                "first."
            ).format(
                label=text(name),
                injured=_fmt(injured),
                other=_fmt(other),
                pct=_PAIR_LSI_MAX,
            )
        )
    return out


# The data dictionary and the reference bound a typed value only as a measurement (a 10 m split
# under 1.4 s, a Vmax above 12.5 m/s) and give no floor for a pre-injury best, so these are
# chosen conservatively. A best sprint is at least 4 m/s (14.4 km/h: a jog, well under the
# reference's 5.5 m/s high-speed-running band; the speed from which a speed typed without unit
# is read as km/h, above). "vmax 0.5" made 70 m targets of about 215–280 s.
PRE_INJURY_VMAX_MIN = 4.0
# A best split from a standing start is at most the distance at that speed plus 1.5 s to get
# going (10 m: 4 s, 20 m: 6.5 s, 30 m: 9 s, 40 m: 11.5 s), far slower than any sprinter's.
_START_S = 1.5
PRE_INJURY_SPLIT_MAX = {
    f"split_{d}m_s": d / PRE_INJURY_VMAX_MIN + _START_S for d in (10, 20, 30, 40)
}


def baseline_problems(
    typed: Mapping[str, float | int], saved: Mapping[str, float | int] | None = None
) -> list[str]:
    """Return why pre-injury bests typed now (``typed``, each already within its metric's
    bounds) cannot be stored over the ``saved`` ones: a top speed or split too slow to be a
    sprint best, or a split that contradicts another once merged with what is kept (a 10 m
    split slower than the saved 30 m one). Empty when they can."""
    problems = [_too_slow(key, value) for key, value in typed.items() if _slow_best(key, value)]
    kept = {k: v for k, v in (saved or {}).items() if k not in typed}
    problems += cross_checks({**kept, **typed}, saved=kept.keys())
    return problems


def _slow_best(key: str, value: float) -> bool:
    """Whether ``value`` of ``key`` is too slow to be a pre-injury best."""
    if key == "vmax_ms":
        return value < PRE_INJURY_VMAX_MIN
    return key in PRE_INJURY_SPLIT_MAX and value > PRE_INJURY_SPLIT_MAX[key]


def _too_slow(key: str, value: float) -> str:
    """Say that ``value`` is too slow for a pre-injury best and what is expected."""
    spec = SPECS[key]
    if key == "vmax_ms":
        why, expected = texts.BEST_TOO_SLOW_SPEED, _("expected at least {bound} {unit}")
        bound = PRE_INJURY_VMAX_MIN
    else:
        why, expected = texts.BEST_TOO_SLOW_SPLIT, _("expected at most {bound} {unit}")
        bound = PRE_INJURY_SPLIT_MAX[key]
    return _("{label} {value} {unit} looks wrong{why}: {expected}.").format(
        label=spec.shown,
        value=_fmt(value),
        unit=spec.shown_unit,
        why=f" ({text(why)})",
        expected=expected.format(bound=_fmt(bound), unit=spec.shown_unit),
    )


def _validation_problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        key = str(item["loc"][0]) if item["loc"] else "value"
        label = SPECS[key].shown if key in SPECS else key
        problems.append(f"{label}: {item['msg']}.")
    return problems


def metrics_to_line(metrics: Metrics) -> str:
    """Write metrics back in the one-line form the parser reads (for echoes and tests)."""
    parts = []
    for key, value in metrics.model_dump(exclude_none=True).items():
        parts.append(f"{key} {value:g}")  # the parser's own form, in any language
    return " ".join(parts)


def metrics_dict(metrics: Metrics) -> dict[str, Any]:
    """Return only the metrics that were given, as plain JSON-ready values."""
    return metrics.model_dump(exclude_none=True)
