"""Return to play (H6 → H7, C6 → C7) needs the psychological gate passed (reference §2.2 H6
exit "Psych gate passed", §7). It used to read only the session's confidence: an athlete
returned to play the morning after confidence 0–4/10, or on a morning with confidence 5/10
(apprehension, §2.2 H4 regression and §4.2: ≤ 5). Now the morning confidence must be ≥ 6/10
on the morning of return to play and the 2 before it (H6e / C6g2), and a sign-off given
meanwhile is asked for again once it is met."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest

from bot.services.protocol_files import load_protocol
from engine.models import DayRecord, Injury, Metrics
from engine.programme import DayOutcome, replay
from engine.schema import Protocol
from tests.scenarios.follow_plan import GREEN, follow_plan

BASE = Metrics(vmax_ms=9.1, split_10m_s=1.78, split_20m_s=2.93, split_30m_s=4.05, split_40m_s=5.16)
START = dt.date(2026, 3, 3)
INJURIES = {
    "hamstring": Injury(injury="hamstring", side="left", grade=1, injury_date=dt.date(2026, 3, 1)),
    "calf": Injury(
        injury="calf", muscle="soleus", side="right", grade=1, injury_date=dt.date(2026, 3, 1)
    ),
}
RTP = [("hamstring", "H6", "H7", "H6.H6e"), ("calf", "C6", "C7", "C6.C6g2")]


@cache
def _ideal(name: str) -> tuple[Protocol, list[DayRecord], int]:
    """The ideal athlete's days and the index of the return-to-play day (signed off)."""
    protocol = load_protocol(name)
    records, outcomes, _ = follow_plan(protocol, INJURIES[name], BASE, START, 40)
    k = next(i for i, o in enumerate(outcomes) if o.stage_after in ("H7", "C7"))
    assert records[k].clearance
    return protocol, records, k


def _replay(name: str, days: list[DayRecord]) -> list[DayOutcome]:
    protocol, _, _ = _ideal(name)
    return replay(protocol, INJURIES[name], BASE, days, start=START).days


def _with_confidence(day: DayRecord, confidence: int) -> DayRecord:
    return day.model_copy(update={"morning": GREEN.model_copy(update={"confidence": confidence})})


@pytest.mark.parametrize(("name", "stage", "final", "rule"), RTP, ids=[r[2] for r in RTP])
def test_the_ideal_athlete_returns_to_play(name: str, stage: str, final: str, rule: str) -> None:
    _, records, k = _ideal(name)
    out = _replay(name, records[: k + 1])[-1]
    assert (out.stage, out.decision, out.stage_after) == (stage, "progress", final)
    assert any(r.rule == rule and r.text.startswith("Met") for r in out.reasons)


@pytest.mark.parametrize("low", [0, 2, 4, 5])
@pytest.mark.parametrize(("name", "stage", "final", "rule"), RTP, ids=[r[2] for r in RTP])
def test_low_confidence_the_morning_before_holds_return_to_play(
    name: str, stage: str, final: str, rule: str, low: int
) -> None:
    _, records, k = _ideal(name)
    days = list(records[: k + 1])
    days[k - 1] = _with_confidence(days[k - 1], low)
    out = _replay(name, days)[-1]
    assert (out.decision, out.stage_after) == ("hold", stage)
    held = next(r for r in out.reasons if r.rule == rule)
    assert held.text.startswith("Not yet")


@pytest.mark.parametrize(("name", "stage", "final", "rule"), RTP, ids=[r[2] for r in RTP])
def test_confidence_5_on_the_day_holds_return_to_play(
    name: str, stage: str, final: str, rule: str
) -> None:
    _, records, k = _ideal(name)
    days = [*records[:k], _with_confidence(records[k], 5)]
    out = _replay(name, days)[-1]
    assert out.readiness == "go"  # not low enough for the morning rule (≤ 4) ...
    assert (out.decision, out.stage_after) == ("hold", stage)  # ... but no return to play


@pytest.mark.parametrize(("name", "stage", "final", "rule"), RTP, ids=[r[2] for r in RTP])
def test_the_sign_off_is_asked_for_again_after_three_confident_mornings(
    name: str, stage: str, final: str, rule: str
) -> None:
    """Confidence 3/10 the morning before the clinician's sign-off: the sign-off does not
    open the gate (given before everything was met) and no further sign-off request goes out
    while the confidence run rebuilds; on the 3rd confident morning the clinician is asked
    again, and their new sign-off returns the athlete to play."""
    _, records, k = _ideal(name)
    days = list(records[: k + 1])
    days[k - 1] = _with_confidence(days[k - 1], 3)
    signed = days[k]
    later = [DayRecord(date=signed.date + dt.timedelta(days=n), morning=GREEN) for n in (1, 2, 3)]
    outs = _replay(name, [*days, *later])[-4:]
    assert outs[0].decision == "hold" and "gate.8.early" in [r.rule for r in outs[0].reasons]
    # The sign-off day is the 1st confident morning: no request before the 3rd (the calf
    # may also wait out its rest after the last max sprint).
    asked = next(n for n, o in enumerate(outs) if o.awaiting_clearance)
    assert asked >= 2 and all(o.stage_after == stage for o in outs)
    assert "gate.8" in [a.rule for a in outs[asked].alerts]
    again = [*days, *later[: asked - 1], later[asked - 1].model_copy(update={"clearance": True})]
    assert _replay(name, again)[-1].stage_after == final
