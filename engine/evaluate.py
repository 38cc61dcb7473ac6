"""Reading data-dictionary items out of a day, and observing criteria against them.

A criterion keeps a streak: each observation that satisfies it adds one, each that fails
resets it to zero; it is met when the streak reaches ``count``. What counts as an
observation depends on the item (see ``engine.items``): morning items are observed every day
(a missing answer is a failed observation), session items once per session (only sessions
passing the ``at_pct_vmax`` filter; one above the ``pain_max`` limit is a failed observation),
checks whenever they are recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.items import ALL_ITEMS
from engine.models import DayRecord, Metrics, SessionReport
from engine.schema import Criterion, Trigger

Value = float | bool

# Checks that only a session report can carry: a full training comes with the session
# questionnaire (pain, sharp pain, red flags) and is checked against the day's plan.
SESSION_ONLY_CHECKS = frozenset({"full_training"})

_SPLITS = ("split_10m_s", "split_20m_s", "split_30m_s", "split_40m_s")
# The splits each split criterion compares (reference §2.2 H4 exit (b): "10-m and 20-m times";
# H5 exit (b): "10/20/30/40-m times").
_SPLITS_OF = {
    "derived.worst_split_pct_baseline": _SPLITS,
    "derived.worst_10_20m_split_pct_baseline": _SPLITS[:2],
}


@dataclass(frozen=True)
class DayContext:
    """Everything derived items need for one day (read-only)."""

    day: DayRecord
    baseline: Metrics | None
    measured_pct: float | None
    symptom_pain_test: float | None = None
    symptom_tightness: float | None = None
    stage_best_vmax: float | None = None
    stage_best_splits: dict[str, float] = field(default_factory=dict)
    stage_best_heel_raise: int | None = None
    # Compared like with like: a go day at the stage's full prescription (speed regression).
    full_session: bool = False
    # The session is left out (it does not count), or only its speed readings are (an easier,
    # capped day: a speed criterion is a test of the full prescription).
    hide_session: bool = False
    hide_speed: bool = False
    # Checks logged while running is stopped (a stop day, awaiting review) count for nothing.
    hide_checks: bool = False


def measured_pct(session: SessionReport | None, baseline: Metrics | None) -> float | None:
    """Return the measured intensity of a session in % of baseline Vmax, or None if unmeasured.

    Derived values are never rounded before a comparison (94.96 % does not meet ≥ 95 %):
    they are rounded for display only (``shown``). Derived from ``vmax_ms`` ÷ baseline
    ``vmax_ms`` when both exist (data dictionary), else the ``top_pct_vmax`` reported: a typed
    percentage never overrides the speed reading.
    """
    if session is None:
        return None
    m = session.metrics
    if m.vmax_ms is not None and baseline is not None and baseline.vmax_ms:
        return m.vmax_ms / baseline.vmax_ms * 100
    return m.top_pct_vmax


LSI_MAX = 130.0  # the plausibility bound of a typed LSI (data dictionary ``Percent``)


def _lsi(injured: int | None, uninjured: int | None) -> float | None:
    """Injured ÷ uninjured × 100; above the bound a typed LSI may not exceed, implausible
    (e.g. 50 vs 1 rep): missing, never met."""
    if injured is None or not uninjured:
        return None
    lsi = injured / uninjured * 100
    return lsi if lsi <= LSI_MAX else None


# Rep counts typed for both legs; a pair whose LSI is implausible (the sides swapped, 200
# typed for 20) is a typo: neither count is read (no criterion, no stage best, no drop).
_PAIRS = {
    "heel_raise_reps_injured": ("heel_raise_reps_injured", "heel_raise_reps_uninjured"),
    "heel_raise_reps_uninjured": ("heel_raise_reps_injured", "heel_raise_reps_uninjured"),
    "slhb_reps_injured": ("slhb_reps_injured", "slhb_reps_uninjured"),
    "slhb_reps_uninjured": ("slhb_reps_injured", "slhb_reps_uninjured"),
}


def paired_count(m: Metrics, key: str, *, cautious: bool = False) -> int | None:
    """Return the rep count ``key`` of ``m``, or None when it is not logged or its pair (both
    legs given) has an implausible LSI: the counts cannot both be right, so neither meets a
    criterion or sets a best. ``cautious`` (a regression trigger) reads such a pair's lower
    count instead: a typo on one side must not silence "fewer than 30 calf raises"."""
    value: int | None = getattr(m, key)
    pair = _PAIRS.get(key)
    if value is None or pair is None:
        return value
    injured, uninjured = (getattr(m, k) for k in pair)
    if injured is not None and uninjured and injured / uninjured * 100 > LSI_MAX:
        return min(injured, uninjured) if cautious else None
    return value


_SPEED_DERIVED = frozenset(
    {
        "derived.pct_vmax",
        "derived.vmax_pct_baseline",
        "derived.worst_split_pct_baseline",
        "derived.worst_10_20m_split_pct_baseline",
        "derived.speed_drop_vs_stage_best_pct",
    }
)
_SPEED_METRICS = frozenset({"vmax_ms", "top_pct_vmax", *_SPLITS})


def derived_value(name: str, ctx: DayContext, *, cautious: bool = False) -> Value | None:
    """Return the value of a ``derived.*`` item for this day, or None if it cannot be computed
    (``cautious``: read for a regression trigger, see :func:`paired_count`)."""
    day = ctx.day
    s = None if ctx.hide_session else day.session
    if ctx.hide_speed and name in _SPEED_DERIVED:
        return None
    m = s.metrics if s is not None else None
    if name == "derived.pain_test_delta":
        if day.morning is None or day.morning.pain_test is None or ctx.symptom_pain_test is None:
            return None
        return day.morning.pain_test - ctx.symptom_pain_test
    if name == "derived.tightness_delta":
        if day.morning is None or day.morning.tightness is None or ctx.symptom_tightness is None:
            return None
        return day.morning.tightness - ctx.symptom_tightness
    if m is None:
        return None
    b = ctx.baseline
    if name == "derived.pct_vmax":
        return ctx.measured_pct
    if name == "derived.vmax_pct_baseline":
        if m.vmax_ms is None or b is None or not b.vmax_ms:
            return None
        return m.vmax_ms / b.vmax_ms * 100
    if name in _SPLITS_OF:
        return worst_split_pct(m, b, _SPLITS_OF[name])
    if name == "derived.speed_drop_vs_stage_best_pct":
        return (
            speed_drop(m, ctx.stage_best_vmax, ctx.stage_best_splits) if ctx.full_session else None
        )
    if name == "derived.slhb_lsi_pct":
        return _lsi(m.slhb_reps_injured, m.slhb_reps_uninjured)
    if name == "derived.heel_raise_lsi_pct":
        return _lsi(m.heel_raise_reps_injured, m.heel_raise_reps_uninjured)
    if name == "derived.heel_raise_drop_vs_stage_best_pct":
        best = ctx.stage_best_heel_raise
        reps = paired_count(m, "heel_raise_reps_injured", cautious=cautious)
        if reps is None or not best:
            return None
        return max(0.0, (best - reps) / best * 100)
    raise KeyError(name)


# The baseline values each item compares with (any one of them will do).
_BASELINE_OF = {
    "derived.vmax_pct_baseline": ("vmax_ms",),
    **_SPLITS_OF,
}


def splits_compared(item: str, baseline: Metrics | None) -> tuple[str, ...]:
    """The split keys a split criterion on ``item`` needs logged in one session: those it
    compares that ``baseline`` holds (empty for any other item)."""
    splits = _SPLITS_OF.get(item, ())
    if baseline is None:
        return ()
    return tuple(k for k in splits if getattr(baseline, k))


def has_baseline_for(item: str, baseline: Metrics | None) -> bool:
    """Whether ``baseline`` holds what ``item`` compares with (True for an item that compares
    with none): without it, no measurement can meet a criterion on the item."""
    keys = _BASELINE_OF.get(item)
    if keys is None:
        return True
    return baseline is not None and any(getattr(baseline, k) for k in keys)


def worst_split_pct(m: Metrics, baseline: Metrics | None, splits: tuple[str, ...]) -> float | None:
    """Return the slowest of ``splits`` as % of the same baseline split, or None (not measured)
    unless every one of them the baseline holds was logged in this session: a criterion on
    "10-m and 20-m times" is not met by a 40 m split alone, nor by the one good split of two."""
    if baseline is None:
        return None
    compared = [k for k in splits if getattr(baseline, k)]
    if not compared or any(getattr(m, k) is None for k in compared):
        return None
    return max(float(getattr(m, k)) / float(getattr(baseline, k)) * 100 for k in compared)


def speed_drop(m: Metrics, best_vmax: float | None, best_splits: dict[str, float]) -> float | None:
    """Return the largest drop (%) of this session's speed vs the stage best, or None."""
    drops: list[float] = []
    if m.vmax_ms is not None and best_vmax:
        drops.append((best_vmax - m.vmax_ms) / best_vmax * 100)
    for k in _SPLITS:
        v = getattr(m, k)
        if v is not None and best_splits.get(k):
            drops.append((v - best_splits[k]) / best_splits[k] * 100)
    return max(0.0, *drops) if drops else None


def item_value(item: str, ctx: DayContext, *, cautious: bool = False) -> Value | None:
    """Return the value of any criterion item on this day, or None if not recorded
    (``cautious``: read for a regression trigger, see :func:`paired_count`)."""
    group, _, key = item.partition(".")
    day = ctx.day
    session = None if ctx.hide_session else day.session
    raw: object = None
    if group == "derived":
        return derived_value(item, ctx, cautious=cautious)
    if group == "morning":
        raw = getattr(day.morning, key, None) if day.morning is not None else None
    elif group == "session":
        raw = getattr(session, key, None) if session is not None else None
    elif group == "metrics":
        if session is not None and not (ctx.hide_speed and key in _SPEED_METRICS):
            raw = paired_count(session.metrics, key, cautious=cautious)
    elif group == "checks" and not ctx.hide_checks:
        # A check logged with the session wins over the same check logged on its own that day.
        if session is not None:
            raw = getattr(session.checks, key, None)
        if raw is None and day.checks is not None:
            raw = getattr(day.checks, key, None)
            if key in SESSION_ONLY_CHECKS and raw is True:
                # Logged on its own, without the session questionnaire (pain, red flags), and
                # never checked against the plan or the rest intervals: it counts for nothing
                # (a stand-alone "no" still counts against the criterion).
                raw = None
    if isinstance(raw, bool | int | float):
        return raw
    return None


def shown(value: Value) -> Value:
    """A value as displayed and stored in ``observed`` (0.1 precision); never compared."""
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 1)
    return value


def compare(value: Value, op: str, threshold: float | bool) -> bool:
    """Return whether ``value op threshold`` holds."""
    if isinstance(threshold, bool) or isinstance(value, bool):
        return op == "eq" and bool(value) == bool(threshold)
    t = float(threshold)
    v = float(value)
    if op == "le":
        return v <= t
    if op == "lt":
        return v < t
    if op == "ge":
        return v >= t
    if op == "gt":
        return v > t
    return v == t


@dataclass(frozen=True)
class Observation:
    """One observation of a criterion on a day: the value seen and whether it satisfied it."""

    value: Value | None
    satisfied: bool


def observe(c: Criterion, ctx: DayContext, phase: str) -> Observation | None:
    """Observe criterion ``c`` on this day, or return None if the day gives no observation.

    ``phase`` is ``morning`` (before the progression gate) or ``day`` (after the session):
    morning items are observed in the morning phase, the others in the day phase.
    """
    spec = ALL_ITEMS[c.item]
    if (spec.observed == "morning") != (phase == "morning"):
        return None
    day = ctx.day
    if spec.observed == "session":
        s = None if ctx.hide_session else day.session
        if s is None:
            return None
        pct = None if ctx.hide_speed else ctx.measured_pct
        if c.at_pct_vmax is not None and (pct is None or pct < c.at_pct_vmax):
            return None
        if c.pain_max is not None and (s.pain_max is None or s.pain_max > c.pain_max):
            # Done at the intensity but above the pain limit (or pain unanswered): the
            # criterion was tried and not met, so its streak resets.
            return Observation(item_value(c.item, ctx), False)
    value = item_value(c.item, ctx, cautious=isinstance(c, Trigger))
    if value is None:
        if spec.observed == "morning" and not c.item.startswith("derived."):
            return Observation(None, False)
        return None
    return Observation(value, compare(value, c.op, c.threshold))
