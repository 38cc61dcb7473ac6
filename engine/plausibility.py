"""Unconfirmed speed readings (data dictionary, Metrics): kept, but never trusted.

Within the plausibility bounds that validation enforces, a reading above 110 % of the athlete's
baseline Vmax, or a split more than 10 % faster than the baseline split (speed-equivalent
baseline ÷ split above 1.10, reference §6.1), or, without a baseline split, a split whose
average speed beats the baseline top speed (impossible from a standing start), is most likely
a device glitch, a typo or a baseline set too low. It is stored as reported, but the engine
decides on the session without it: it satisfies no criterion, does not become a stage best and
does not set the session's measured intensity.

Splits that contradict each other (:func:`split_conflicts`) cannot all be true either: a longer
distance that took no longer, a stretch between two splits run faster than anyone runs, or a
stretch run faster than the top speed reported with it. The bot refuses such an entry; a
session that holds one anyway (a scenario file, an entry stored before that check) is decided
as if those splits had not been measured, and they are named among the readings not trusted.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from engine.models import Metrics, SessionReport

MAX_PCT_OF_BASELINE = 110.0
_SPLITS = ("split_10m_s", "split_20m_s", "split_30m_s", "split_40m_s")
# No stretch of a sprint is run faster on average than the plausibility bound of a top speed
# (data dictionary: a Vmax above 12.5 m/s is refused; the world record is about 12.4 m/s): 10 m
# between two splits take at least 0.8 s. From a standing start the splits' own bounds (a 10 m
# split under 1.4 s is refused) are stricter still.
MAX_SEGMENT_SPEED_MS = 12.5
# The average speed over a stretch between two splits may exceed the top speed reported with
# them by at most 20 %: splits and top speed often come from different devices (a 10 Hz GPS
# peak can read 5-10 % low; a single-beam gate or a video app can be 0.03-0.05 s off on a
# stretch of about 1 s, another 5 %), and a true reading must never be refused. A top speed
# typed a digit wrong (6.7 for 8.7) is still caught. From a standing start the average is far
# below the top speed (about 55-85 %), so there it may not exceed it at all, as ``confirm``
# already requires of a split against the baseline top speed.
MAX_SEGMENT_OVER_TOP = 1.20
_EPS = 1e-9

ConflictKind = Literal["order", "segment", "top_speed"]


@dataclass(frozen=True, slots=True)
class SplitConflict:
    """Splits (and a top speed) of one entry that cannot all be true.

    ``kind``: ``order`` (the split over the longer distance ``end_m`` took no longer than the
    one over ``start_m``), ``segment`` (the stretch between them implies ``speed_ms`` above
    :data:`MAX_SEGMENT_SPEED_MS`) or ``top_speed`` (the stretch, from a standing start when
    ``start_m`` is 0, was run faster on average than the ``top_speed_ms`` allows). ``keys``:
    the values that contradict each other; ``start_s`` is None for a standing start."""

    kind: ConflictKind
    keys: tuple[str, ...]
    start_m: int
    end_m: int
    start_s: float | None
    end_s: float
    speed_ms: float | None = None
    top_speed_ms: float | None = None

    @property
    def distance_m(self) -> int:
        """The length of the stretch between the two splits."""
        return self.end_m - self.start_m

    @property
    def seconds(self) -> float:
        """The time the stretch took (may be 0 or negative for ``order``)."""
        return self.end_s - (self.start_s or 0.0)

    @property
    def fastest_s(self) -> float:
        """The least time the stretch can take at the limit that was broken."""
        limit = MAX_SEGMENT_SPEED_MS
        if self.kind == "top_speed" and self.top_speed_ms:
            over = 1.0 if self.start_m == 0 else MAX_SEGMENT_OVER_TOP
            limit = self.top_speed_ms * over
        return self.distance_m / limit


def split_conflicts(values: Mapping[str, float | int | None]) -> list[SplitConflict]:
    """Return how the splits in ``values`` (data-dictionary keys, with ``vmax_ms`` if given)
    contradict each other. Each pair of neighbouring splits is checked for order, then for the
    speed the stretch between them implies; only splits that agree with each other are checked
    against the top speed, and only the stretch that beats it most is named."""
    present = [
        (_metres(key), float(v), key)
        for key in _SPLITS
        if (v := values.get(key)) is not None and not isinstance(v, bool)
    ]
    found: list[SplitConflict] = []
    for (d1, t1, k1), (d2, t2, k2) in itertools.pairwise(present):
        if t2 <= t1:
            found.append(SplitConflict("order", (k1, k2), int(d1), int(d2), t1, t2))
        elif (d2 - d1) / (t2 - t1) > MAX_SEGMENT_SPEED_MS + _EPS:
            speed = (d2 - d1) / (t2 - t1)
            found.append(SplitConflict("segment", (k1, k2), int(d1), int(d2), t1, t2, speed))
    top = values.get("vmax_ms")
    if found or not present or top is None or isinstance(top, bool) or top <= 0:
        return found
    worst: tuple[float, SplitConflict] | None = None
    for (d1, t1, k1), (d2, t2, k2) in itertools.pairwise([(0.0, 0.0, ""), *present]):
        speed = (d2 - d1) / (t2 - t1)
        over = speed / (top * (MAX_SEGMENT_OVER_TOP if k1 else 1.0))
        if over > 1 + _EPS and (worst is None or over > worst[0]):
            keys = ("vmax_ms", k1, k2) if k1 else ("vmax_ms", k2)
            start = t1 if k1 else None
            conflict = SplitConflict(
                "top_speed", keys, int(d1), int(d2), start, t2, speed, float(top)
            )
            worst = (over, conflict)
    return [*found, worst[1]] if worst is not None else found


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A session with its unconfirmed speed readings removed, and what was removed."""

    session: SessionReport
    unconfirmed: tuple[str, ...] = ()
    # Splits that do not add up (``describe_conflict``): removed too, but not a sign of a
    # baseline set too low, so they are told apart from ``unconfirmed``.
    conflicting: tuple[str, ...] = ()


def confirm(session: SessionReport, baseline: Metrics | None) -> Confirmed:
    """Return ``session`` without the speed readings that are too fast to trust."""
    m = session.metrics
    drop: dict[str, None] = {}
    seen: list[str] = []
    base_v = baseline.vmax_ms if baseline is not None else None
    pct = m.top_pct_vmax
    if m.vmax_ms is not None and base_v:
        pct = max(pct or 0.0, m.vmax_ms / base_v * 100)
    if pct is not None and pct > MAX_PCT_OF_BASELINE:
        drop.update(vmax_ms=None, top_pct_vmax=None)
        seen.append(f"top speed {pct:.0f} % of your baseline")
    for key in _SPLITS:
        value = getattr(m, key)
        ref = getattr(baseline, key) if baseline is not None else None
        if value is not None and ref and ref / value > MAX_PCT_OF_BASELINE / 100:
            drop[key] = None
            faster = (ref / value - 1) * 100
            seen.append(
                f"{key.split('_')[1]} split {value:g} s, {faster:.0f} % faster than baseline"
            )
        elif value is not None and not ref and base_v and _metres(key) / value > base_v:
            # No baseline split to compare with: a split from a standing start whose average
            # speed beats the baseline top speed cannot be right (a typo, a glitch).
            drop[key] = None
            seen.append(f"{key.split('_')[1]} split {value:g} s, faster than your top speed")
    # Splits that contradict each other (or the top speed reported with them) are not measured:
    # none of them meets a split criterion. The top speed stays: alone it would be kept too.
    kept = m.model_copy(update=drop) if drop else m
    conflicting: list[str] = []
    for conflict in split_conflicts(kept.model_dump(include={"vmax_ms", *_SPLITS})):
        drop.update(dict.fromkeys(k for k in conflict.keys if k in _SPLITS))
        conflicting.append(describe_conflict(conflict))
    if not drop:
        return Confirmed(session)
    metrics = m.model_copy(update=drop)
    return Confirmed(
        session.model_copy(update={"metrics": metrics}), tuple(seen), tuple(conflicting)
    )


def describe_conflict(conflict: SplitConflict) -> str:
    """The record's English sentence for splits that do not add up ("10m split 1.82 s and 30m
    split 1.7 s do not add up: the longer distance took no longer")."""
    c = conflict
    first = f"{c.start_m}m split {c.start_s:g} s and " if c.start_s is not None else ""
    splits = f"{first}{c.end_m}m split {c.end_s:g} s"
    if c.kind == "order":
        return f"{splits} do not add up: the longer distance took no longer"
    stretch = f"{c.distance_m} m in {c.seconds:.2f} s is {c.speed_ms or 0:.1f} m/s"
    if c.kind == "segment":
        return f"{splits} do not add up: {stretch}, faster than anyone runs"
    top = c.top_speed_ms or 0
    return f"{splits} do not add up with top speed {top:g} m/s: {stretch}"


def _metres(key: str) -> float:
    """The distance of a split key ("split_30m_s" → 30)."""
    return float(key.split("_")[1].removesuffix("m"))


def ran(session: SessionReport) -> bool:
    """Whether the report shows running: a speed reading, a split time or high-speed reps."""
    m = session.metrics
    return (
        m.vmax_ms is not None
        or m.top_pct_vmax is not None
        or any(getattr(m, k) is not None for k in _SPLITS)
        or bool(m.hv_reps)
    )
