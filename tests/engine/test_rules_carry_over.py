"""A snapshot saved before the engine read split criteria on every split they name, and leg
pairs both ways, keeps no streak of those criteria: the athlete who had "met" H4's 10/20 m
times on the 10 m alone does not move on with the snapshot where a full replay holds them."""

from __future__ import annotations

from engine.programme import RULES_VERSION, carry_over_rules, initial_state
from tests.engine.builders import protocol
from tests.engine.test_reference_conformance import D0

HAMSTRING = protocol("hamstring")


def _at_h4_with(streaks: dict[str, int]):  # type: ignore[no-untyped-def]
    state = initial_state(HAMSTRING, D0)
    return state.model_copy(update={"stage": "H4", "streaks": streaks})


def test_an_old_snapshot_restarts_the_criteria_whose_reading_changed() -> None:
    state = _at_h4_with({"H4a": 1, "H4b": 2, "H4c": 1})
    carried = carry_over_rules(state, HAMSTRING, 1)
    assert carried.streaks == {"H4a": 1, "H4c": 1}


def test_a_current_snapshot_keeps_every_streak() -> None:
    state = _at_h4_with({"H4a": 1, "H4b": 2})
    assert carry_over_rules(state, HAMSTRING, RULES_VERSION).streaks == {"H4a": 1, "H4b": 2}


def test_a_stored_snapshot_without_its_rules_version_is_carried_over() -> None:
    """What the bot loads (bot.store.standing.load_snapshot): a snapshot written before it
    recorded the engine's rules version restarts H4 (b); one written now keeps it."""
    import json

    from bot.store.models import Programme
    from bot.store.standing import load_snapshot

    state = _at_h4_with({"H4a": 1, "H4b": 2})
    for rules, expected in ((None, {"H4a": 1}), (RULES_VERSION, {"H4a": 1, "H4b": 2})):
        data = {
            "as_of": D0.isoformat(),
            "protocol_version": 1,
            "state": state.model_dump(mode="json"),
        }
        if rules is not None:
            data["rules"] = rules
        programme = Programme(
            athlete_id=1,
            protocol_name="hamstring",
            protocol_version=1,
            current_stage="H4",
            start_date=D0,
            state_json=json.dumps(data),
        )
        _, loaded = load_snapshot(None, programme, HAMSTRING)  # type: ignore[arg-type]
        assert loaded.streaks == expected, rules
