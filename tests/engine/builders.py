"""Small builders for engine tests: a green morning, a session, a day, the shipped protocols."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from bot.services.protocol_files import load_protocol
from engine.models import DayRecord, Injury, Metrics, MorningCheckIn, SessionReport
from engine.schema import Protocol

D0 = dt.date(2026, 3, 3)
VMAX = 9.1
BASELINE = Metrics(vmax_ms=VMAX, split_10m_s=1.78, split_30m_s=4.05)
HAM_INJURY = Injury(injury="hamstring", side="left", grade=1, injury_date=dt.date(2026, 3, 1))
CALF_INJURY = Injury(
    injury="calf", muscle="soleus", side="right", grade=2, injury_date=dt.date(2026, 3, 1)
)


@cache
def protocol(name: str) -> Protocol:
    """Return a shipped protocol (parsed once per test session)."""
    return load_protocol(name)


def day(n: int) -> dt.date:
    """Return programme day ``n`` (0 = start)."""
    return D0 + dt.timedelta(days=n)


def morning(**kw: Any) -> MorningCheckIn:
    """A green morning check-in, with fields overridden by ``kw``."""
    data: dict[str, Any] = dict(
        red_flags=[],
        pain_rest=0,
        pain_test=0,
        tightness=1,
        confidence=7,
        sleep_quality=3,
        fatigue=3,
        stress=2,
        soreness=3,
        sleep_hours=7.5,
    )
    data.update(kw)
    return MorningCheckIn.model_validate(data)


def session(
    pct: float | None = None,
    *,
    reps: int | None = None,
    metrics: dict[str, Any] | None = None,
    checks: dict[str, Any] | None = None,
    **kw: Any,
) -> SessionReport:
    """A green session; ``pct`` sets vmax_ms to that % of the baseline Vmax."""
    data: dict[str, Any] = dict(
        completion="full",
        pain_max=0,
        sharp_pain=False,
        tightness=1,
        confidence=8,
        rpe=4,
        minutes=40,
    )
    data.update(kw)
    met = dict(metrics or {})
    if pct is not None:
        met["vmax_ms"] = round(VMAX * pct / 100, 3)
    if reps is not None:
        met["hv_reps"] = reps
    data["metrics"] = met
    data["checks"] = checks or {}
    return SessionReport.model_validate(data)


def rec(
    n: int, *, m: MorningCheckIn | str | None = "green", s: SessionReport | None = None, **kw: Any
) -> DayRecord:
    """A DayRecord for programme day ``n`` (a green morning unless ``m`` is given)."""
    mm = morning() if m == "green" else m
    return DayRecord(date=day(n), morning=mm if not isinstance(mm, str) else None, session=s, **kw)
