"""Rest intervals between running sessions (reference P6, §2.2, §3.2).

A rest rule ``{value: V hours, applies_from_pct_vmax: P}`` means two runs that are both at or
above P % Vmax must be at least V hours apart. A rule for max sessions (P at or above the
protocol's max-session threshold, 95 %) also holds *around* them: a high-speed run (≥ 80 %)
and a max run need V hours between them, in either order ("≥ 72 h around max sessions").

The rules that apply on a day are those of the stage the athlete is in and of the stage they
enter (or left that day), plus the reference's floor for those stages (``engine.reference``),
so a protocol that leaves a rest rule out is still held to the reference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.reference import stage_floor
from engine.schema import Protocol

MAX_REST_DAYS = 14  # the longest rest a protocol may set (336 h)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rest rule in force: hours between runs at or above ``from_pct``."""

    hours: int
    from_pct: float
    around_max: bool  # a max-session rule: also between a high-speed and a max run


@dataclass(frozen=True, slots=True)
class Violation:
    """A run inside a rest interval: the rule, the earlier run and the hours between them."""

    rule: Rule
    earlier: dt.date
    earlier_pct: float
    hours: int


_CACHE: dict[tuple[int, tuple[str, ...]], tuple[Protocol, tuple[Rule, ...]]] = {}


def rules_for(protocol: Protocol, stage_ids: Iterable[str]) -> tuple[Rule, ...]:
    """Return the rest rules of these stages (written and reference floor), without repeats
    (memoised: protocols are immutable)."""
    ids = tuple(dict.fromkeys(stage_ids))
    key = (id(protocol), ids)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is protocol:
        return hit[1]
    rules = _rules_for(protocol, ids)
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[key] = (protocol, rules)
    return rules


def _rules_for(protocol: Protocol, stage_ids: tuple[str, ...]) -> tuple[Rule, ...]:
    max_pct = protocol.rules.pain.max_pct_vmax.value
    seen: dict[tuple[int, float], Rule] = {}
    for sid in stage_ids:
        pairs = [(r.value, r.applies_from_pct_vmax) for r in protocol.stage(sid).rest_rules]
        floor = stage_floor(protocol.injury, sid)
        if floor is not None:
            pairs += [(f.hours, f.from_pct) for f in floor.rest]
        for hours, pct in pairs:
            seen.setdefault((hours, pct), Rule(hours, pct, pct >= max_pct))
    return tuple(seen.values())


def _pair_applies(rule: Rule, hv: float, a: float, b: float) -> bool:
    if rule.around_max:
        return min(a, b) >= hv and max(a, b) >= rule.from_pct
    return min(a, b) >= rule.from_pct


def violations(
    protocol: Protocol,
    rules: Sequence[Rule],
    runs: Iterable[tuple[dt.date, float]],
    on: dt.date,
    pct: float,
) -> list[Violation]:
    """Return the rules a run at ``pct`` % Vmax on ``on`` breaks, given earlier ``runs``."""
    hv = protocol.rules.pain.hv_pct_vmax.value
    out: list[Violation] = []
    earlier = [(d, p) for d, p in runs if d < on]
    for rule in rules:
        hits = [
            (d, p)
            for d, p in earlier
            if (on - d).days * 24 < rule.hours and _pair_applies(rule, hv, p, pct)
        ]
        if hits:
            d, p = max(hits)
            out.append(Violation(rule, d, p, (on - d).days * 24))
    return out


def hours_since(rule: Rule, runs: Iterable[tuple[dt.date, float]], on: dt.date) -> int | None:
    """Return the hours since the last run at or above the rule's threshold (None: none).

    This is what moving on to the next stage needs: its first session may be at that
    threshold. (Around a max session, the plan keeps the next days below high speed.)
    """
    dates = [d for d, p in runs if p >= rule.from_pct and d < on]
    return (on - max(dates)).days * 24 if dates else None


def cap_for_today(
    protocol: Protocol,
    rules: Sequence[Rule],
    runs: Iterable[tuple[dt.date, float]],
    on: dt.date,
    *,
    offset: float = 0.0,
) -> tuple[float | None, bool]:
    """Return (the highest % Vmax today's plan may prescribe, or None; whether no running at
    all) so that nothing prescribed falls inside a rest interval. ``offset``: how much faster
    than prescribed the athlete is assumed to run (running by feel without a baseline Vmax,
    reference §0.3): the run log records the run that much faster, so the cap is that much
    lower."""
    hv = protocol.rules.pain.hv_pct_vmax.value
    recent = [(d, p) for d, p in runs if d < on]
    cap: float | None = None
    for rule in rules:
        inside = [p for d, p in recent if (on - d).days * 24 < rule.hours]
        if rule.around_max:
            # Around a max session nothing high-speed, and within the interval after a
            # high-speed one nothing either: a high-speed run would push the next max
            # session further out every time.
            if not any(p >= hv for p in inside):
                continue
            below = hv
        elif any(p >= rule.from_pct for p in inside):
            below = rule.from_pct
        else:
            continue
        below -= offset
        if below <= 50:
            return 0.0, True
        cap = min(cap, below - 5) if cap is not None else below - 5
    return cap, False
