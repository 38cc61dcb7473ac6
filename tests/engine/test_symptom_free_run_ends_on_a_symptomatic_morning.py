"""Leaving H4, H5, H6 (return to play) and C6 (return to play) needs days in a row with every
symptom at 0/10 (reference §2.2 H4 exit (a), H5 exit (c), H6 "full training completed with no
symptoms"; §3.3 C6: self-reported symptoms 0/10). A morning with any symptom ends that run on
the day it is reported: it used to add nothing but leave the run where it was, so an athlete
with pain at rest 2/10 that very morning returned to play, the reason reading "Met: … 0/10 on
3 days in a row"."""

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
HAM = Injury(injury="hamstring", side="left", grade=1, injury_date=dt.date(2026, 3, 1))
CALF = Injury(
    injury="calf", muscle="soleus", side="right", grade=1, injury_date=dt.date(2026, 3, 1)
)


@cache
def _ideal(name: str) -> tuple[Protocol, Injury, list[DayRecord], list[DayOutcome]]:
    """The ideal athlete's days (green mornings, the plan followed, sign-offs given when
    asked) and the engine's outcomes."""
    protocol = load_protocol(name)
    injury = HAM if name == "hamstring" else CALF
    records, outcomes, _ = follow_plan(protocol, injury, BASE, START, 40)
    return protocol, injury, records, outcomes


def _the_day_it_moves_on(name: str, to: str, **symptom: int) -> DayOutcome:
    """The day the ideal athlete moved into ``to``, replayed with ``symptom`` in that
    morning's check-in (the day's session left out: the morning decides)."""
    protocol, injury, records, outcomes = _ideal(name)
    k = next(i for i, o in enumerate(outcomes) if o.stage_after == to)
    day = records[k].model_copy(
        update={"morning": GREEN.model_copy(update=symptom), "session": None}
    )
    return replay(protocol, injury, BASE, [*records[:k], day], start=START).days[-1]


MOVES = [
    ("hamstring", "H4", "H5"),  # maximal sprinting
    ("hamstring", "H5", "H6"),  # return to training (the H5 sign-off)
    ("hamstring", "H6", "H7"),  # return to play (the RTP clearance)
    ("calf", "C6", "C7"),  # return to play (the C6 sign-off)
]
# Pain at rest 1–2/10 and tightness 1/10 are below every morning rule (no rest, no modify):
# only the symptom-free days can hold the stage on them.
SYMPTOMS = [{"pain_rest": 2}, {"pain_rest": 1}, {"tightness": 1}]


@pytest.mark.parametrize(("name", "stage", "to"), MOVES, ids=[m[2] for m in MOVES])
def test_the_control_day_moves_on(name: str, stage: str, to: str) -> None:
    out = _the_day_it_moves_on(name, to)
    assert (out.stage, out.decision, out.stage_after) == (stage, "progress", to)


@pytest.mark.parametrize(
    "symptom", SYMPTOMS, ids=[next(iter(s)) + str(*s.values()) for s in SYMPTOMS]
)
@pytest.mark.parametrize(("name", "stage", "to"), MOVES, ids=[m[2] for m in MOVES])
def test_a_symptom_that_morning_holds_the_stage(
    name: str, stage: str, to: str, symptom: dict[str, int]
) -> None:
    out = _the_day_it_moves_on(name, to, **symptom)
    assert out.readiness == "go"  # the morning rules let it through: only the run holds it
    assert (out.decision, out.stage_after) == ("hold", stage)
    run = next(r for r in out.reasons if r.rule == "gate.symptoms")
    assert run.text.startswith("Not yet") and run.observed == 0


def test_the_run_starts_again_from_the_next_symptom_free_morning() -> None:
    """H6 needs 3 days in a row: after pain at rest 1/10 on the day the sign-off is given,
    the next two symptom-free mornings are 1 and 2 of them, and only the third moves on."""
    protocol, injury, records, outcomes = _ideal("hamstring")
    k = next(i for i, o in enumerate(outcomes) if o.stage_after == "H7")
    sore = records[k].model_copy(
        update={"morning": GREEN.model_copy(update={"pain_rest": 1}), "session": None}
    )
    after = [
        DayRecord(date=sore.date + dt.timedelta(days=n), morning=GREEN, clearance=True)
        for n in (1, 2, 3)
    ]
    days = replay(protocol, injury, BASE, [*records[:k], sore, *after], start=START).days
    seen = [
        next((r.observed for r in d.reasons if r.rule == "gate.symptoms"), None) for d in days[-4:]
    ]
    assert seen == [0, 1, 2, 3]
    assert [d.stage_after for d in days[-4:]] == ["H6", "H6", "H6", "H7"]
