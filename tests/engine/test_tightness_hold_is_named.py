"""Tightness that keeps an athlete from moving up is named to them and to their clinician.

An athlete whose clinician accepted a usual tightness of 5/10 (/usual) reaches the last calf
stage without running (C2) and stays there: every morning at 5/10 is go, every item of the
gate is met, and the rule for tightness at a stage with running (4/10 or more) holds them.
Before, the weekly stall named nothing (no alert at all) and the 14-day no-progress alert
did not say why. Tightness above anybody's usual (``usual_tightness_max``, 5/10) never moves
anybody up, even where +1 over a usual of 5/10 reads green.
"""

from __future__ import annotations

import datetime as dt

from bot.services.protocol_files import load_protocol
from engine.models import ClinicianAction, DayRecord, Injury, Metrics, SessionReport
from engine.programme import RECENT_DAYS, DayOutcome, decide_day, initial_state
from engine.schema import Protocol
from tests.scenarios.follow_plan import CHECKS, GREEN, _metrics

BASE = Metrics(vmax_ms=9.1, split_10m_s=1.78, split_20m_s=2.93, split_30m_s=4.05, split_40m_s=5.16)
START = dt.date(2026, 3, 3)
HAM = Injury(injury="hamstring", side="left", grade=1, injury_date=dt.date(2026, 3, 1))
CALF_INJURY = Injury(
    injury="calf", muscle="soleus", side="left", grade=1, injury_date=dt.date(2026, 3, 1)
)
HAMSTRING = load_protocol("hamstring")
CALF = load_protocol("calf")
USUAL_5 = ClinicianAction(kind="usual_tightness", value=5)


def _live(protocol: Protocol, days: int, tightness: int) -> list[DayOutcome]:
    """Tightness ``tightness``/10 every morning, /usual 5 filed for the 2nd morning; the
    athlete follows the plan, reports green sessions and gets each sign-off when asked."""
    injury = HAM if protocol.name == HAMSTRING.name else CALF_INJURY
    st = initial_state(protocol, START)
    window: list[DayRecord] = []
    outcomes: list[DayOutcome] = []
    n = 0
    for i in range(days):
        record = DayRecord(
            date=START + dt.timedelta(days=i),
            morning=GREEN.model_copy(update={"tightness": tightness, "pain_test": 0}),
            clinician_actions=[USUAL_5] if i == 1 else [],
        )
        early, _ = decide_day(protocol, injury, BASE, st, record, window)
        if early.awaiting_clearance:
            record = record.model_copy(update={"clearance": True})
            early, _ = decide_day(protocol, injury, BASE, st, record, window)
        plan = early.plan
        stage = protocol.stage(early.stage_after)
        if plan is not None and plan.drills and (plan.running or not stage.running):
            n += 1
            report = dict(
                completion="full",
                pain_max=0,
                sharp_pain=False,
                red_flags=[],
                tightness=tightness,
                confidence=9,
                rpe=5,
                minutes=45,
                metrics=_metrics(plan, BASE, n, injury.injury),
                checks=dict(CHECKS),
            )
            record = record.model_copy(update={"session": SessionReport.model_validate(report)})
        out, st = decide_day(protocol, injury, BASE, st, record, window)
        window = [*window, record][-RECENT_DAYS:]
        outcomes.append(out)
    return outcomes


def test_held_at_c2_by_tightness_the_stall_and_the_14_day_alert_name_it() -> None:
    outcomes = _live(CALF, 60, tightness=5)
    first = next(i for i, o in enumerate(outcomes) if o.stage_after == "C2")
    at_c2 = outcomes[first + 1 : first + 22]
    assert len(at_c2) == 21 and {o.stage_after for o in at_c2} == {"C2"}
    assert all(o.readiness == "go" for o in at_c2)
    stalls = [a.text for o in at_c2 for a in o.alerts if a.rule == "stall"]
    assert stalls, "held 3 weeks at C2 by tightness: no stall alert"
    assert "morning tightness 5/10 keeps running on hold (below 4/10 needed)" in stalls[0]
    told = [r.text for o in at_c2 for r in o.reasons if r.rule == "stall"]
    assert told and "tightness 5/10: running starts once it is below 4/10" in told[0]
    reviews = [a.text for o in outcomes for a in o.alerts if a.rule == "escalate.no_progress"]
    assert reviews, "no 14-day alert"
    assert reviews[0].endswith(
        "clinician review. Morning tightness 5/10 keeps running on hold (below 4/10 needed)."
    )


def test_above_anybodys_usual_tightness_nobody_moves_up() -> None:
    """/usual 5, mornings at 6/10 (+1: green at H0): the athlete stays at H0, told why; at
    5/10 the same athlete moves up."""
    held = _live(HAMSTRING, 14, tightness=6)
    assert all(o.stage_after == "H0" for o in held)
    assert any(o.readiness == "go" for o in held)
    said = [r for o in held for r in o.reasons if r.rule == "gate.tightness_usual"]
    assert said and said[0].observed == 6
    stalls = [a.text for o in held for a in o.alerts if a.rule == "stall"]
    assert stalls and stalls[0].endswith(
        "morning tightness 6/10 keeps moving up on hold (below 6/10 needed)."
    )
    moved = _live(HAMSTRING, 14, tightness=5)
    assert any(o.stage_after != "H0" for o in moved)
