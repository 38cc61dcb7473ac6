"""Plain words for items, criteria and stages: no data-dictionary key ever reaches a person."""

from __future__ import annotations

import re

import pytest

from bot.services.protocol_files import load_protocol
from bot.wording import (
    describe_criterion,
    format_value,
    item_label,
    split_speed_pct,
    stage_label,
)
from bot.wording.items import ITEM_WORDING
from engine.items import ALL_ITEMS

KEY = re.compile(r"\b(morning|session|metrics|checks|derived)\.[a-z_]+|\b[a-z]+_[a-z_]+\b")


def test_every_item_a_criterion_can_name_has_plain_words() -> None:
    assert set(ALL_ITEMS) <= set(ITEM_WORDING)


@pytest.mark.parametrize("name", ["hamstring", "calf"])
@pytest.mark.parametrize("audience", ["athlete", "clinician"])
def test_every_shipped_criterion_reads_without_internal_names(name: str, audience: str) -> None:
    protocol = load_protocol(name)
    for stage in protocol.stages:
        for criterion in [*stage.exit_criteria, *stage.regression_triggers]:
            text = describe_criterion(criterion, audience, 1, show_observed=True)  # type: ignore[arg-type]
            assert not KEY.search(text), text
            assert "≤" not in text or audience == "clinician", text


def test_a_criterion_reads_as_a_sentence_with_what_the_athlete_said() -> None:
    walk = load_protocol("hamstring").stages[0].exit_criteria
    walk_pain = next(c for c in walk if c.item == "checks.walk_pain")
    assert describe_criterion(walk_pain, "athlete", 1, show_observed=True) == (
        "walking pain 2/10 or less (you said 1/10 ✓)"
    )
    assert describe_criterion(walk_pain, "athlete", 3, show_observed=True).endswith("✗)")
    assert describe_criterion(walk_pain, "athlete", None, show_observed=True).endswith(
        "(not recorded yet)"
    )


def test_values_carry_their_units() -> None:
    assert format_value("metrics.vmax_ms", 8.2) == "8.2 m/s"
    assert format_value("checks.limp", False) == "no"
    assert format_value("derived.vmax_pct_baseline", 91.4) == "91 %"
    assert item_label("metrics.vmax_ms", "athlete") == "top speed"
    assert item_label("metrics.vmax_ms", "clinician") == "Vmax"


def test_stages_by_name_and_number() -> None:
    hamstring = load_protocol("hamstring")
    assert stage_label(hamstring, "H2", "athlete") == "Stage 3 of 8 · back to running"
    assert stage_label(hamstring, "H2", "clinician").startswith("H2 · ")
    assert stage_label(hamstring, "H9", "athlete") == "an earlier stage"


def test_a_slower_sprint_time_is_below_100_percent() -> None:
    assert split_speed_pct(2.0, 1.8) == pytest.approx(90.0)
    assert split_speed_pct(1.8, 1.8) == pytest.approx(100.0)


def test_a_clinician_never_reads_a_two_digit_stage_id_alone() -> None:
    """An admin's protocol may number its stages up to 99 ("R12", engine.schema): a stage id
    on its own in an engine sentence is named in full for the clinician, as "H3" is."""
    from types import SimpleNamespace

    from bot.wording.reasons import clinician_plain

    club = SimpleNamespace(
        injury="hamstring",
        stages=[
            SimpleNamespace(id="R1", name="Walking"),
            SimpleNamespace(id="R12", name="Match play"),
        ],
    )
    said = clinician_plain("No progression in R12 for 15 days (from R1).", club)
    assert said == "No progression in R12 · Match play for 15 days (from R1 · Walking)."


@pytest.mark.parametrize("criterion_id", ["C2b3", "C6d3", "C6h3", "C6h4"])
def test_a_ceiling_on_a_leg_comparison_reads_as_the_difference_it_allows(
    criterion_id: str,
) -> None:
    """The calf's "injured side not much the stronger" criteria: an athlete reads the 10 %
    difference allowed either way, not "111 % or less"; the clinician reads both numbers."""
    criterion = next(
        c
        for stage in load_protocol("calf").stages
        for c in stage.exit_criteria
        if c.id == criterion_id
    )
    athlete = describe_criterion(criterion, "athlete")
    assert athlete.endswith("compared with your other leg: within 10 % either way"), athlete
    assert "111" not in athlete
    clinician = describe_criterion(criterion, "clinician")
    assert "111 % or less" in clinician and "asymmetry 10 % or less" in clinician, clinician
