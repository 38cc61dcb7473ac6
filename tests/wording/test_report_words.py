"""Words the chart and the PDF use: gate items, the clinician's record, speed percentages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from bot.services.protocol_files import load_protocol
from bot.wording import (
    SPEED_PERCENT_DEFINITION,
    alert_action_words,
    describe_gate_item,
    record_action_name,
    speed_pct,
    speed_percent_definition,
    still_needed,
)
from engine.models import Injury
from engine.programme import gate_items, initial_state

RULE_ID = re.compile(r"\bgate\.\w+|\bstepback\.\w+|_")


@pytest.mark.parametrize("name", ["hamstring", "calf"])
@pytest.mark.parametrize("audience", ["athlete", "clinician"])
def test_every_gate_item_of_every_stage_reads_without_rule_ids(name: str, audience: str) -> None:
    protocol = load_protocol(name)
    injury = Injury(injury=name, side="left", grade=1, injury_date=dt.date(2026, 3, 1))
    for stage in protocol.stages:
        state = initial_state(protocol, dt.date(2026, 3, 2)).model_copy(
            update={"stage": stage.id, "reentry_greens_needed": 2 if stage.id[-1] == "3" else 0}
        )
        for item in gate_items(protocol, injury, state, dt.date(2026, 3, 3), "go"):
            words = describe_gate_item(item, audience)  # type: ignore[arg-type]
            missing = still_needed(item, audience)  # type: ignore[arg-type]
            if item.rule.startswith(f"{stage.id}."):
                continue  # exit criteria are described by describe_criterion
            for text in (words.name, words.observed, words.needed, missing):
                assert not RULE_ID.search(text), f"{stage.id} {item.rule}: {text!r}"


def test_minimum_days_and_sessions_say_how_many_of_how_many() -> None:
    protocol = load_protocol("hamstring")
    injury = Injury(injury="hamstring", side="left", grade=1, injury_date=dt.date(2026, 3, 1))
    state = initial_state(protocol, dt.date(2026, 3, 2)).model_copy(update={"stage": "H3"})
    items = {i.rule: i for i in gate_items(protocol, injury, state, dt.date(2026, 3, 3), "go")}
    days = describe_gate_item(items["gate.5.days"])
    assert (days.name, days.observed, days.needed) == (
        "Days in this stage",
        "1 of 4",
        "4 days or more",
    )
    sessions = describe_gate_item(items["gate.5.sessions"])
    assert sessions.observed == "0 of 2"
    assert sessions.needed == "2 good sessions at 78 % of Vmax or faster"
    assert still_needed(items["gate.5.days"]) == "3 more days at this stage"
    assert still_needed(items["gate.5.sessions"], "athlete") == (
        "2 more good sessions at 78 % of top speed or faster"
    )


def test_a_count_past_its_need_reads_as_the_count_alone() -> None:
    """ "Days in this stage: 9 of 4" and "0 of 0" read as typos beside "4 days or more"."""
    protocol = load_protocol("hamstring")
    injury = Injury(injury="hamstring", side="left", grade=1, injury_date=dt.date(2026, 3, 1))
    state = initial_state(protocol, dt.date(2026, 3, 2)).model_copy(update={"stage": "H3"})
    items = {i.rule: i for i in gate_items(protocol, injury, state, dt.date(2026, 3, 11), "go")}
    days = describe_gate_item(items["gate.5.days"])
    assert (days.observed, days.needed) == ("9", "4 days or more")
    none_needed = dataclasses.replace(items["gate.5.sessions"], observed=0, needed=0)
    assert describe_gate_item(none_needed).observed == "0"


def test_record_actions_have_plain_names() -> None:
    assert record_action_name("clearance", "H0 · Triage", review=True) == "Reviewed: may run again"
    assert record_action_name("resume", review=True) == "Reviewed: may run again"
    assert record_action_name("resume") == "Resumed the programme"
    assert record_action_name("clearance", "H0 · Triage") == "Signed off: may leave H0 · Triage"
    assert record_action_name("declined", "H5") == "Sign-off declined: stays in H5"
    assert alert_action_words("clear", signoff_alert=False) == "Reviewed: may run again"
    assert alert_action_words("clear", signoff_alert=True) == "signed off"
    assert alert_action_words(None, signoff_alert=False) is None


def test_one_definition_of_speed_percentages() -> None:
    # 100 % = pre-injury speed, higher is faster, for a speed and for a time alike.
    assert speed_pct(8.1, 9.0, is_time=False) == pytest.approx(90.0)
    assert speed_pct(2.0, 1.8, is_time=True) == pytest.approx(90.0)
    assert speed_pct(1.78, 2.25, is_time=True) > 100  # faster than before
    assert speed_percent_definition("athlete") == SPEED_PERCENT_DEFINITION
    assert "baseline time ÷ time" in speed_percent_definition("clinician")
    with pytest.raises(ValueError, match="positive"):
        speed_pct(0, 1.8, is_time=True)
