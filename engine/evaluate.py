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
from dataclasses import dataclass, field, replace

from engine.items import ALL_ITEMS
from engine.models import DayRecord, Metrics, SessionReport
from engine.schema import Criterion, Trigger

Value = float | bool

# Checks that only a session report can carry: a full training comes with the session
# questionnaire (pain, sharp pain, red flags) and is checked against the day's plan.
SESSION_ONLY_CHECKS = frozenset({"full_training"})

_SPLITS = ("split_10m_s", "split_20m_s", "split_30m_s", "split_40m_s")
# The splits each split criterion names (reference §2.2 H4 exit (b): "10-m and 20-m times";
# H5 exit (b) and C6: "10/20/30/40-m times"; C5 (b) "split times": the 0–10 … 0–40 m split
# times of §6.1). A criterion is never met on fewer splits than it names: each one needs a
# pre-injury time (the baseline) and a time logged in the same session.
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


def splits_compared(item: str, baseline: Metrics | None) -> tuple[str, ...]:
    """The split keys a split criterion on ``item`` needs logged in one session: every split
    it names (empty for any other item)."""
    return _SPLITS_OF.get(item, ())


def missing_baseline_splits(item: str, baseline: Metrics | None) -> tuple[str, ...]:
    """The splits a split criterion on ``item`` names that ``baseline`` has no pre-injury
    time for (empty for any other item): until each is set, nothing meets the criterion."""
    splits = _SPLITS_OF.get(item, ())
    return tuple(k for k in splits if baseline is None or not getattr(baseline, k))


def has_baseline_for(item: str, baseline: Metrics | None) -> bool:
    """Whether ``baseline`` holds what ``item`` compares with (True for an item that compares
    with none): without it, no measurement can meet a criterion on the item. A split
    criterion needs a pre-injury time for every split it names, a speed criterion the
    pre-injury top speed."""
    if item in _SPLITS_OF:
        return not missing_baseline_splits(item, baseline)
    if item == "derived.vmax_pct_baseline":
        return baseline is not None and bool(baseline.vmax_ms)
    return True


def worst_split_pct(m: Metrics, baseline: Metrics | None, splits: tuple[str, ...]) -> float | None:
    """Return the slowest of ``splits`` as % of the same baseline split, or None (not measured)
    unless the baseline holds every one of them and every one was logged in this session: a
    criterion on "10-m and 20-m times" is not met by a 40 m split alone, nor by the one good
    split of two, nor by the 10 m split when the baseline has no 20 m time to compare with."""
    if baseline is None or any(not getattr(baseline, k) for k in splits):
        return None
    if not splits or any(getattr(m, k) is None for k in splits):
        return None
    return max(float(getattr(m, k)) / float(getattr(baseline, k)) * 100 for k in splits)


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
class LowerLeg:
    """A leg pair whose injured side read higher than the other (``injured`` > ``other``,
    within the plausible bound): ``exercise`` is "heel_raise" or "slhb"."""

    exercise: str
    injured: int
    other: int


@dataclass(frozen=True)
class Observation:
    """One observation of a criterion on a day: the value seen and whether it satisfied it.
    ``lower_leg``: the value is the pair read the other way round (see :func:`observe`),
    which decided the observation."""

    value: Value | None
    satisfied: bool
    lower_leg: LowerLeg | None = None


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
    cautious = isinstance(c, Trigger)
    value = item_value(c.item, ctx, cautious=cautious)
    if value is None:
        if spec.observed == "morning" and not c.item.startswith("derived."):
            return Observation(None, False)
        return None
    seen = Observation(value, compare(value, c.op, c.threshold))
    swapped = _swapped(c.item, ctx)
    if swapped is not None:
        # The injured side read higher than the other: the pair is read both ways and the
        # less favourable reading counts (a criterion unmet, a trigger fired).
        other_ctx, pair = swapped
        other = item_value(c.item, other_ctx, cautious=cautious)
        if other is not None:
            met = compare(other, c.op, c.threshold)
            if met != seen.satisfied and met == cautious:
                return Observation(other, met, pair)
    return seen


# The leg pair (injured key, other key) each item reads, and the exercise it is.
_HEEL = ("heel_raise_reps_injured", "heel_raise_reps_uninjured")
_SLHB = ("slhb_reps_injured", "slhb_reps_uninjured")
_PAIR_OF_ITEM: dict[str, tuple[str, tuple[str, str]]] = {
    "metrics.heel_raise_reps_injured": ("heel_raise", _HEEL),
    "metrics.heel_raise_reps_uninjured": ("heel_raise", _HEEL),
    "derived.heel_raise_lsi_pct": ("heel_raise", _HEEL),
    "derived.heel_raise_drop_vs_stage_best_pct": ("heel_raise", _HEEL),
    "metrics.slhb_reps_injured": ("slhb", _SLHB),
    "metrics.slhb_reps_uninjured": ("slhb", _SLHB),
    "derived.slhb_lsi_pct": ("slhb", _SLHB),
}


def _swapped(item: str, ctx: DayContext) -> tuple[DayContext, LowerLeg] | None:
    """The day with the session's leg pair read the other way round, when ``item`` reads a
    pair whose injured side is higher than the other within the plausible bound (an
    implausible pair is :func:`paired_count`'s); else None.

    After a calf or hamstring strain the injured side doing more than the other is unusual,
    and the two counts typed the wrong way round (25 and 30 typed as 30 and 25) would
    otherwise meet "≥ 30 single-leg calf raises" or "bridge LSI ≥ 85 %" unmet. A criterion
    on the pair is therefore met only if the pair meets it read both ways: on a count, the
    lower of the two; on an LSI floor, the other side ÷ the injured side; an LSI ceiling
    ("not > 11 % stronger") still reads the pair as typed (the less favourable way for it)."""
    found = _PAIR_OF_ITEM.get(item)
    session = None if ctx.hide_session else ctx.day.session
    if found is None or session is None:
        return None
    exercise, (inj_key, other_key) = found
    m = session.metrics
    injured: int | None = getattr(m, inj_key)
    other: int | None = getattr(m, other_key)
    if injured is None or not other or injured <= other or injured / other * 100 > LSI_MAX:
        return None
    metrics = m.model_copy(update={inj_key: other, other_key: injured})
    day = ctx.day.model_copy(update={"session": session.model_copy(update={"metrics": metrics})})
    return replace(ctx, day=day), LowerLeg(exercise, injured, other)
