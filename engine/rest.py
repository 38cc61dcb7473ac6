"""Rest intervals between running sessions (reference P6, §2.2, §3.2).

A rest rule ``{value: V hours, applies_from_pct_vmax: P}`` means two runs that are both at or
above P % Vmax must be at least V hours apart. A rule for max sessions (P at or above the
protocol's max-session threshold, 95 %) also holds *around* them: a high-speed run (≥ 80 %)
and a max run need V hours between them, in either order ("≥ 72 h around max sessions").

The rules that apply on a day are those of the stage the athlete is in and of the stage they
enter (or left that day), plus the reference's floor for those stages (``engine.reference``),
so a protocol that leaves a rest rule out is still held to the reference.

Intervals are counted in the athlete's local calendar days (72 h = 3 days later, whatever the
hour), and, where the instants of both runs are known (when their reports were answered,
UTC), in real elapsed time as well: at least the rule's hours less ``REAL_TIME_TOLERANCE_H``.
The calendar alone breaks when the athlete changes time zone (two runs 16 real hours apart
can be two local dates apart after a flight east, or fall on an earlier date after a flight
west); the real-time floor keeps the reference's "rest interval since the last HV/max session
met" (§4.4 item 6) in both. The tolerance is what the calendar rule itself allows within one
zone: runs two dates apart can be as little as 24 h apart plus a minute (23:59, then 00:00
two days later), and one hour less across a daylight-saving change; so a history without a
change of zone is decided as by the calendar alone. (The instant is the report's: a run
reported in the small hours and booked to the evening before, followed by one reported
within the first hours of a date two days on, could fall short; no other history can.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.reference import stage_floor
from engine.schema import Protocol

MAX_REST_DAYS = 14  # the longest rest a protocol may set (336 h)
# Real hours a run may fall short of a rule's interval (see the module docstring): 24 h of
# calendar-day counting plus 1 h for a daylight-saving change.
REAL_TIME_TOLERANCE_H = 25

# A run: its local date, its intensity (% Vmax) and, when known, the instant it was reported.
Run = tuple[dt.date, float, dt.datetime | None]


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


def _before(run: Run, on: dt.date, at: dt.datetime | None) -> bool:
    """Whether ``run`` came before the moment judged (``on``, at instant ``at``): on an
    earlier date (the calendar rule, as without instants), or at an earlier instant when both
    are known (a flight west can put the later run on an earlier date)."""
    return run[0] < on or (run[2] is not None and at is not None and run[2] < at)


def _real_hours(run: Run, at: dt.datetime | None) -> float | None:
    """Real hours from ``run`` to ``at``, or None when either instant is unknown."""
    if run[2] is None or at is None:
        return None
    return (at - run[2]).total_seconds() / 3600


def effective_hours(run: Run, on: dt.date, at: dt.datetime | None = None) -> float:
    """The hours a rule compares with its interval: the calendar hours from ``run`` to
    ``on`` (whole local days × 24), and no more than the real hours plus the tolerance when
    both instants are known. Without a change of time zone this is the calendar hours."""
    calendar = float((on - run[0]).days * 24)
    real = _real_hours(run, at)
    if real is None:
        return calendar
    return min(calendar, real + REAL_TIME_TOLERANCE_H)


def _shown_hours(rule: Rule, run: Run, on: dt.date, at: dt.datetime | None) -> int:
    """The hours between two runs as the athlete is told: the calendar hours when the
    calendar breaks the rule (as before instants were known), else the real hours."""
    calendar = (on - run[0]).days * 24
    real = _real_hours(run, at)
    if real is None or 0 < calendar < rule.hours:
        return calendar
    return max(0, int(real))


def violations(
    protocol: Protocol,
    rules: Sequence[Rule],
    runs: Iterable[Run],
    on: dt.date,
    pct: float,
    at: dt.datetime | None = None,
) -> list[Violation]:
    """Return the rules a run at ``pct`` % Vmax on ``on`` (reported at ``at``, if known)
    breaks, given the other ``runs``: those before it, in calendar days or in real time."""
    hv = protocol.rules.pain.hv_pct_vmax.value
    out: list[Violation] = []
    earlier = [r for r in runs if _before(r, on, at)]
    for rule in rules:
        hits = [
            (effective_hours(r, on, at), r)
            for r in earlier
            if effective_hours(r, on, at) < rule.hours and _pair_applies(rule, hv, r[1], pct)
        ]
        if hits:
            # The binding run: the closest (by calendar, the latest date), then the fastest.
            _, run = max(hits, key=lambda h: (-h[0], h[1][0], h[1][1]))
            out.append(Violation(rule, run[0], run[1], _shown_hours(rule, run, on, at)))
    return out


def hours_since(
    rule: Rule, runs: Iterable[Run], on: dt.date, at: dt.datetime | None = None
) -> int | None:
    """Return the hours since the last run at or above the rule's threshold (None: none),
    as the rule counts them (``effective_hours``).

    This is what moving on to the next stage needs: its first session may be at that
    threshold. (Around a max session, the plan keeps the next days below high speed.)
    """
    hours = [
        effective_hours(r, on, at) for r in runs if r[1] >= rule.from_pct and _before(r, on, at)
    ]
    return int(min(hours)) if hours else None


def cap_for_today(
    protocol: Protocol,
    rules: Sequence[Rule],
    runs: Iterable[Run],
    on: dt.date,
    *,
    offset: float = 0.0,
    at: dt.datetime | None = None,
    after_today: bool = False,
) -> tuple[float | None, bool]:
    """Return (the highest % Vmax today's plan may prescribe, or None; whether no running at
    all) so that nothing prescribed falls inside a rest interval, as of instant ``at`` (the
    check-in; None: by the calendar alone). ``offset``: how much faster than prescribed the
    athlete is assumed to run (running by feel without a baseline Vmax, reference §0.3): the
    run log records the run that much faster, so the cap is that much lower.
    ``after_today``: the plan for the rest of the day, after today's runs (a plan replaced
    once the session is reported): they count as well, 0 hours before."""
    hv = protocol.rules.pain.hv_pct_vmax.value
    recent = [r for r in runs if _before(r, on, at) or (after_today and r[0] == on)]
    cap: float | None = None
    for rule in rules:
        inside = [r[1] for r in recent if effective_hours(r, on, at) < rule.hours]
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


def cap_after(
    rules: Sequence[Rule],
    run: Run,
    on: dt.date,
    *,
    offset: float = 0.0,
    at: dt.datetime | None = None,
) -> tuple[float | None, bool, int | None]:
    """Return (the highest % Vmax today's plan may prescribe, or None; whether no running at
    all; the hours of the longest interval still running, or None) while the intervals of
    ``rules`` run after ``run``, whatever its own speed: nothing at or above a rule's
    threshold until its hours have passed since it (the first run back at the final stage,
    ``engine.programme``: an easy day follows it, as after a match-like session).
    ``offset`` and ``at`` as for ``cap_for_today``."""
    if not _before(run, on, at):
        return None, False, None
    inside = [r for r in rules if effective_hours(run, on, at) < r.hours]
    if not inside:
        return None, False, None
    hours = max(r.hours for r in inside)
    below = min(r.from_pct for r in inside) - offset
    if below <= 50:
        return 0.0, True, hours
    return below - 5, False, hours
