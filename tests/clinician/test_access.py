"""Access policy: who sees and does what on whose record."""

from __future__ import annotations

import pytest

from bot.services.access import REFUSAL_TEXT, make_caller, may, may_act_on_athlete, visible_athletes

ADMINS = (900,)
ATHLETE_A, ATHLETE_B = 11, 12


def clinician(linked: tuple[int, ...] = (ATHLETE_A,)):  # type: ignore[no-untyped-def]
    return make_caller(500, 5, "clinician", ADMINS, linked)


def test_linked_clinician_may_do_every_clinical_action() -> None:
    for action in (
        "view",
        "acknowledge",
        "clear",
        "decline",
        "hold",
        "step_back",
        "set_stage",
        "pause",
        "note",
        "message",
    ):
        assert may_act_on_athlete(clinician(), ATHLETE_A, action).allowed, action  # type: ignore[arg-type]


def test_unlinked_clinician_is_refused_everything_with_a_reason() -> None:
    for action in ("view", "acknowledge", "clear", "step_back", "note"):
        decision = may_act_on_athlete(clinician(), ATHLETE_B, action)  # type: ignore[arg-type]
        assert not decision.allowed
        assert "not linked" in decision.reason


def test_athlete_sees_only_own_record_and_cannot_clear_themselves() -> None:
    me = make_caller(111, ATHLETE_A, "athlete", ADMINS)
    assert may_act_on_athlete(me, ATHLETE_A, "view").allowed
    assert not may_act_on_athlete(me, ATHLETE_B, "view").allowed
    assert not may_act_on_athlete(me, ATHLETE_A, "clear").allowed


def test_admin_sees_and_acknowledges_but_does_not_take_clinical_decisions() -> None:
    admin = make_caller(900, 1, None, ADMINS)
    assert admin.is_admin
    assert may_act_on_athlete(admin, ATHLETE_B, "view").allowed
    assert may_act_on_athlete(admin, ATHLETE_B, "acknowledge").allowed
    assert not may_act_on_athlete(admin, ATHLETE_B, "clear").allowed
    assert not may_act_on_athlete(admin, ATHLETE_B, "step_back").allowed


def test_admin_who_is_also_a_clinician_acts_through_their_links() -> None:
    both = make_caller(900, 5, "clinician", ADMINS, (ATHLETE_A,))
    assert may_act_on_athlete(both, ATHLETE_A, "clear").allowed
    assert not may_act_on_athlete(both, ATHLETE_B, "clear").allowed


def test_admin_role_comes_only_from_the_configured_ids() -> None:
    assert not make_caller(901, 5, "clinician", ADMINS).is_admin
    assert make_caller(900, None, None, ADMINS).is_admin


def test_links_of_a_non_clinician_are_ignored() -> None:
    athlete = make_caller(111, ATHLETE_A, "athlete", ADMINS, (ATHLETE_B,))
    assert not may_act_on_athlete(athlete, ATHLETE_B, "view").allowed


@pytest.mark.parametrize(
    ("role", "telegram_id", "capability", "allowed"),
    [
        (None, 900, "invite_clinician", True),
        ("clinician", 500, "invite_clinician", False),
        ("clinician", 500, "invite_athlete", True),
        ("athlete", 111, "invite_athlete", False),
        (None, 900, "invite_athlete", False),
        (None, 900, "edit_protocols", True),
        ("clinician", 500, "edit_protocols", False),
        ("athlete", 111, "list_athletes", False),
        ("athlete", 111, "link_to_clinician", True),
        ("clinician", 500, "link_to_clinician", False),
        (None, 777, "list_athletes", False),
    ],
)
def test_role_capabilities(role, telegram_id, capability, allowed) -> None:  # type: ignore[no-untyped-def]
    caller = make_caller(telegram_id, 1 if role else None, role, ADMINS)
    assert may(caller, capability).allowed is allowed


def test_visible_athletes_keeps_order_and_filters() -> None:
    assert visible_athletes(clinician((ATHLETE_B, 13)), [11, 12, 13]) == [12, 13]


def test_refusal_text_does_not_reveal_existence() -> None:
    assert "exist" not in REFUSAL_TEXT.lower() and "not found" not in REFUSAL_TEXT.lower()
