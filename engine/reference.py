"""The safety floor of the clinical reference (``shared/reference/return-to-sprint.md``).

A protocol may be stricter than these values, never looser: the schema refuses a protocol
below the floor (``engine.schema``), and the engine applies the floor's rest intervals,
symptom-free days and re-injury stage even when a stored protocol does not spell them out.
Stage rules are keyed by injury and stage id (H0–H7, C0–C7), as in the reference tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.models import Muscle

Direction = Literal["max", "min"]


@dataclass(frozen=True, slots=True)
class RestFloor:
    """Hours needed between runs at or above ``from_pct`` % Vmax (see ``engine.rest``)."""

    hours: int
    from_pct: float
    source: str


@dataclass(frozen=True, slots=True)
class StageFloor:
    """What the reference requires of one stage."""

    signoff_required: bool = False
    min_days: int = 0
    min_sessions: int = 0
    symptom_free_days: int = 0
    rest: tuple[RestFloor, ...] = ()
    source: str = ""


@dataclass(frozen=True, slots=True)
class EarlySignoffFloor:
    """The early sign-off gate (reference §2.1; calf by analogy, §3.1).

    Reaching ``stage`` before ``early_signoff_fraction`` % (``RULE_FLOORS``) of the expected
    time needs a clinician's confirmation. A protocol's ``early_signoff_stage`` must be set and
    come no later than ``stage``; its expected days may only be longer than these.
    """

    stage: str
    rtp_days: dict[int, int]
    rtp_days_by_muscle: dict[Muscle, int]
    # The muscle whose time counts when the muscle is unknown (§3.1: soleus for the calf).
    default_muscle: Muscle | None
    source: str
    muscle_source: str = ""


@dataclass(frozen=True, slots=True)
class InjuryFloor:
    """The reference's stages for one injury and where a stop in full training leads."""

    # Every stage of the reference's table, in order: a protocol must have each of them, in
    # this order (``engine.floors``). ``stages`` holds the ones the reference sets values for.
    order: tuple[str, ...]
    stages: dict[str, StageFloor]
    # A stop in any of ``reinjury_from`` moves the athlete back to ``reinjury_stage`` at least.
    reinjury_stage: str
    reinjury_from: tuple[str, ...]
    early_signoff: EarlySignoffFloor


_HV = RestFloor(48, 80, "P6: ≥ 48 h between HV sessions")
_CALF = RestFloor(48, 1, "§3.2: never consecutive running days (C3–C6)")

FLOORS: dict[str, InjuryFloor] = {
    "hamstring": InjuryFloor(
        order=("H0", "H1", "H2", "H3", "H4", "H5", "H6", "H7"),
        stages={
            "H0": StageFloor(signoff_required=True, source="§2.2 H0: eligibility and grade"),
            "H2": StageFloor(
                min_days=3,
                min_sessions=2,
                rest=(RestFloor(48, 1, "§2.2 H2: running every other day"),),
                source="§2.2 H2",
            ),
            "H3": StageFloor(
                min_days=4,
                min_sessions=2,
                rest=(RestFloor(48, 70, "§2.2 H3: ≥ 48 h between sessions ≥ 70 % Vmax"),),
                source="§2.2 H3",
            ),
            "H4": StageFloor(min_sessions=2, symptom_free_days=2, rest=(_HV,), source="§2.2 H4"),
            "H5": StageFloor(
                signoff_required=True,
                min_sessions=2,
                symptom_free_days=2,
                rest=(RestFloor(72, 95, "P6: ≥ 72 h around max sessions"), _HV),
                source="§2.2 H5: return to training",
            ),
            "H6": StageFloor(
                signoff_required=True,
                min_days=7,
                min_sessions=2,
                symptom_free_days=3,
                rest=(RestFloor(48, 95, "§2.2 H6: normal microcycle, easy day after"),),
                source="§2.2 H6: return to play",
            ),
        },
        reinjury_stage="H5",
        reinjury_from=("H6", "H7"),
        # §2.1: clinician confirmation if H5 (maximal sprinting) comes before 50 % of the
        # expected time; Ekstrand 2012 [V] lay-off by MRI grade 0 / 1 / 2 / 3.
        early_signoff=EarlySignoffFloor(
            stage="H5",
            rtp_days={0: 8, 1: 17, 2: 22, 3: 73},
            rtp_days_by_muscle={},
            default_muscle=None,
            source="§2.1: Ekstrand 2012 lay-off by grade",
        ),
    ),
    "calf": InjuryFloor(
        order=("C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7"),
        stages={
            "C0": StageFloor(signoff_required=True, source="§3.3 C0"),
            "C3": StageFloor(min_days=6, min_sessions=3, rest=(_CALF,), source="§3.3 C3"),
            "C4": StageFloor(min_sessions=2, rest=(_CALF,), source="§3.3 C4"),
            "C5": StageFloor(min_sessions=2, rest=(_CALF,), source="§3.3 C5"),
            "C6": StageFloor(
                signoff_required=True,
                min_sessions=3,
                symptom_free_days=3,
                rest=(_CALF, RestFloor(72, 95, "§3.3 C6: ≥ 72 h between max sessions")),
                source="§3.3 C6: return to training / play",
            ),
        },
        reinjury_stage="C5",
        reinjury_from=("C6", "C7"),
        # The §2.1 rule applied to C6 (max sprint) by analogy, as the packaged calf protocol
        # does. Days by grade as packaged (grade 1 / 2: Green 2020 [V] gastrocnemius / soleus;
        # grade 3 is a clinician-authored variant, 35 a floor only); by muscle §3.1, Green 2020
        # [V]: soleus 25.4, gastrocnemius 19.1 days; soleus when the muscle is unknown.
        early_signoff=EarlySignoffFloor(
            stage="C6",
            rtp_days={1: 19, 2: 25, 3: 35},
            rtp_days_by_muscle={"soleus": 25, "gastrocnemius": 19},
            default_muscle="soleus",
            source="§2.1 by analogy / §3.1: packaged calf times",
            muscle_source="§3.1: Green 2020",
        ),
    ),
}

# Red-flag codes: the highest (least urgent) tier the reference allows. "numbness" covers
# weakness and foot drop (§5 tier 2); "pop" is a same-day stop after a session (§4.2).
CODE_TIERS: dict[str, int] = {
    "chest_breathless": 1,
    "calf_warm_red": 2,
    "numbness": 2,
    "pop": 2,
    "swelling": 3,
    "bruising": 3,
    "night_pain": 3,
    "unwell": 3,
}
SHARP_PAIN_TIER = 2  # §4.2: sharp pain, a pop or a grab → stop, same day
PAIN_REST_TIER = 3  # §5 tier 3: pain at rest ≥ 4/10
SEVERE_PAIN_TIER = 2  # pain at rest ≥ 8/10 or session pain ≥ 7/10: at least same day

# Global rule values: (section, key) → (reference value, "max" = may only be lower,
# "min" = may only be higher, where in the reference).
RULE_FLOORS: dict[tuple[str, str], tuple[float, Direction, str]] = {
    ("pain", "running_below_hv_max"): (2, "max", "§2.2 / §3.2"),
    ("pain", "running_hv_max"): (1, "max", "§2.2 / §3.2"),
    ("pain", "strength_max"): (3, "max", "§2.2 / §3.2"),
    ("pain", "hv_pct_vmax"): (80, "max", "§0.2"),
    ("pain", "max_pct_vmax"): (95, "max", "§0.2"),
    ("pain", "perceived_effort_offset_pct"): (20, "min", "§0.3"),
    ("morning", "stop_pain_rest_min"): (4, "max", "§5 tier 3"),
    ("morning", "rest_pain_rest_min"): (3, "max", "§4.1"),
    ("morning", "rest_pain_test_min"): (4, "max", "§4.1"),
    ("morning", "rest_pain_test_delta"): (2, "max", "§4.1"),
    ("morning", "rest_tightness_delta"): (3, "max", "§4.1"),
    ("morning", "modify_pain_test_min"): (2, "max", "§4.1"),
    ("morning", "modify_pain_test_delta"): (1, "max", "§4.1"),
    ("morning", "modify_tightness_delta"): (2, "max", "§4.1"),
    ("morning", "hooper_z_heavy"): (2, "max", "§4.1"),
    ("morning", "hooper_item_heavy"): (6, "max", "§4.1"),
    ("morning", "sleep_heavy_below"): (5, "min", "§4.1"),
    ("morning", "hooper_fallback_heavy"): (17, "max", "§4.1"),
    ("morning", "hooper_z_light"): (1, "max", "§4.1"),
    ("morning", "sleep_light_below"): (6, "min", "§4.1"),
    ("morning", "hooper_fallback_light"): (13, "max", "§4.1"),
    ("morning", "confidence_low_max"): (4, "min", "§4.1"),
    ("session", "red_pain_min"): (5, "max", "§4.2"),
    ("session", "red_pain_1h_min"): (4, "max", "§4.2"),
    ("session", "amber_pain_min"): (3, "max", "§4.2"),
    ("session", "green_tightness_delta_max"): (1, "max", "§4.2"),
    ("session", "min_completed_pct"): (80, "min", "§4.2"),
    ("next_morning", "hold_delta"): (1, "max", "§4.3"),
    ("next_morning", "step_back_delta"): (2, "max", "§4.3"),
    ("next_morning", "step_back_pain_test_min"): (3, "max", "§4.3"),
    ("next_morning", "week_rise_points"): (1, "max", "§4.3"),
    ("escalation", "rest_mornings_step_back"): (2, "max", "§4.1"),
    ("escalation", "rest_mornings_clinician"): (3, "max", "§4.1"),
    ("escalation", "step_backs_count"): (2, "max", "§4.4"),
    ("escalation", "step_backs_window_days"): (14, "min", "§4.4"),
    ("escalation", "no_progress_days"): (14, "max", "§4.4"),
    ("escalation", "red_repeat_days"): (7, "min", "§4.2"),
    ("escalation", "reentry_green_sessions"): (2, "min", "§4.4"),
    ("escalation", "early_signoff_fraction"): (50, "min", "§2.1"),
    ("red_flags", "severe_pain_rest_min"): (8, "max", "§5 (severe pain at rest)"),
    ("red_flags", "severe_session_pain_min"): (7, "max", "§5 (severe pain in a session)"),
}
# Threshold-mode strength pain (clinician-enabled): Hickey 2020 4/10; calf tendon-dominant
# presentations Silbernagel 5/10 (§3.2).
THRESHOLD_MODE_MAX: dict[str, int] = {"hamstring": 4, "calf": 5}

# Stage criteria on pain items: an exit criterion may allow at most this much pain
# (§2.2 global pain rule: running < 80 % Vmax ≤ 2/10), a regression trigger must fire at
# this much pain or less (§2.2 H2 / §3.3 C3: run pain ≥ 3/10).
EXIT_PAIN_MAX = 2
TRIGGER_PAIN_MIN_MAX = 3
PAIN_ITEMS = frozenset(
    {
        "session.pain_max",
        "session.pain_1h",
        "morning.pain_rest",
        "morning.pain_test",
        "morning.tightness",
        "session.tightness",
        "checks.walk_pain",
        "checks.single_leg_squat_pain",
        "checks.bike_pain",
        "checks.aket_pain",
        "checks.double_heel_raise_pain",
        "checks.jump_pain",
        "checks.hop_pain",
        "checks.palpation_pain",
        "checks.cod_pain",
    }
)


def stage_floor(injury: str, stage_id: str) -> StageFloor | None:
    """Return the reference's requirements for a stage, or None if it sets none."""
    floor = FLOORS.get(injury)
    return floor.stages.get(stage_id) if floor is not None else None
