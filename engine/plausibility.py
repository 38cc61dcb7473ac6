"""Unconfirmed speed readings (data dictionary, Metrics): kept, but never trusted.

Within the plausibility bounds that validation enforces, a reading above 110 % of the athlete's
baseline Vmax, or a split more than 10 % faster than the baseline split (speed-equivalent
baseline ÷ split above 1.10, reference §6.1), or, without a baseline split, a split whose
average speed beats the baseline top speed (impossible from a standing start), is most likely
a device glitch, a typo or a baseline set too low. It is stored as reported, but the engine
decides on the session without it: it satisfies no criterion, does not become a stage best and
does not set the session's measured intensity.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.models import Metrics, SessionReport

MAX_PCT_OF_BASELINE = 110.0
_SPLITS = ("split_10m_s", "split_20m_s", "split_30m_s", "split_40m_s")


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A session with its unconfirmed speed readings removed, and what was removed."""

    session: SessionReport
    unconfirmed: tuple[str, ...] = ()


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
    if not drop:
        return Confirmed(session)
    metrics = m.model_copy(update=drop)
    return Confirmed(session.model_copy(update={"metrics": metrics}), tuple(seen))


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
