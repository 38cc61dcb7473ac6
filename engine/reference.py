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


# --- What a stage may prescribe and what its criteria must keep ----------------------------

# The fastest running a reference stage may prescribe, in % Vmax (the "Speed / volume" column
# of §2.2 / §3.3; 0 = no running). A stage's ``top_pct_vmax`` may not exceed it, and no drill
# may go above the stage's own top: faster running is a later stage's (a stage skipped).
# H2: "progress to max 70 %" (Aspetar) and exit (a) measured at 65–70 %; the packaged
# protocols top out at or below these values.
TOP_PCT_VMAX: dict[str, dict[str, tuple[float, str]]] = {
    "hamstring": {
        "H0": (0, "§2.2 H0: no running"),
        "H1": (0, "§2.2 H1: no running"),
        "H2": (70, "§2.2 H2: progress to max 70 %"),
        "H3": (80, "§2.2 H3: 70→80 % Vmax"),
        "H4": (90, "§2.2 H4: 85–90 % Vmax"),
        "H5": (100, "§2.2 H5: 95→100 % Vmax"),
        "H6": (100, "§2.2 H6: sport demand"),
        "H7": (100, "§2.2 H7: maintenance"),
    },
    "calf": {
        "C0": (0, "§3.3 C0: no running"),
        "C1": (0, "§3.3 C1: no running"),
        "C2": (0, "§3.3 C2: no running"),
        "C3": (70, "§3.3 C3: ≤ 70 % Vmax"),
        "C4": (85, "§3.3 C4: 75→85 % Vmax"),
        "C5": (95, "§3.3 C5: 90→95 % Vmax"),
        "C6": (100, "§3.3 C6: 100 % Vmax"),
        "C7": (100, "§3.3 C7: maintenance"),
    },
}
# Stages whose minimum sessions count only sessions at the stage's speed: ``min_sessions``
# must keep ``at_pct_vmax`` at least this high (the packaged values: the stage's top band
# within a 2-point measurement margin; H5 counts max sessions, §0.2 ≥ 95 %).
MIN_SESSIONS_AT_PCT: dict[str, dict[str, tuple[float, str]]] = {
    "hamstring": {
        "H3": (78, "§2.2 H3: ≥ 2 sessions at the stage's top intensity"),
        "H4": (83, "§2.2 H4: ≥ 2 HV sessions at 85–90 %"),
        "H5": (95, "§2.2 H5: ≥ 2 max-velocity sessions; §0.2 max session ≥ 95 %"),
    },
    "calf": {
        "C4": (83, "§3.3 C4: ≥ 2 sessions at stage top speed"),
        "C5": (88, "§3.3 C5: ≥ 2 HV sessions at 90–95 %"),
    },
}


@dataclass(frozen=True, slots=True)
class CriterionFloor:
    """A criterion the reference names for a stage: ``item op threshold``.

    As an exit criterion the protocol must keep one at least as strict (passed by fewer
    values; ``at_pct_vmax`` at least, ``pain_max`` at most, ``count`` at least these). As a
    regression trigger it must keep one that fires at least as early (on more values;
    ``at_pct_vmax`` at most this, ``count`` at most this, the same ``action``, and a
    clinician notified at least as urgently as ``notify``).
    """

    item: str
    op: Literal["le", "lt", "ge", "gt", "eq"]
    threshold: float | bool
    source: str
    at_pct_vmax: float | None = None
    pain_max: int | None = None
    count: int = 1
    action: Literal["step_back", "hold", "escalate"] = "step_back"
    notify: Literal["info", "within_24h", "same_day"] | None = None


def _c(
    item: str,
    op: Literal["le", "lt", "ge", "gt", "eq"],
    threshold: float | bool,
    source: str,
    *,
    at_pct_vmax: float | None = None,
    pain_max: int | None = None,
    count: int = 1,
    action: Literal["step_back", "hold", "escalate"] = "step_back",
    notify: Literal["info", "within_24h", "same_day"] | None = None,
) -> CriterionFloor:
    return CriterionFloor(item, op, threshold, source, at_pct_vmax, pain_max, count, action, notify)


_SESSION_PAIN = "session.pain_max"
# Exit criteria of the reference's stage tables with a number (§2.2 / §3.3 EXIT column; the
# packaged protocols encode each of them). Stand-ins and interpretations the reference marks
# unverified (ROM "> 75 %", the psychological gate) are left to the clinician lead.
EXIT_FLOORS: dict[str, dict[str, tuple[CriterionFloor, ...]]] = {
    "hamstring": {
        "H0": (_c("checks.walk_pain", "le", 2, "§2.2 H0 exit: walking pain ≤ 2/10"),),
        "H1": (
            _c("checks.single_leg_squat_pain", "le", 0, "§2.2 H1 exit (a): painless squat"),
            _c("checks.bike_pain", "le", 0, "§2.2 H1 exit (b): painless bike"),
            _c("checks.knee_extension_full", "eq", True, "§2.2 H1 exit (c): full extension"),
            _c("checks.walk_pain", "le", 1, "§2.2 H1 exit (d): brisk walk at 0–1/10"),
            _c("morning.pain_rest", "le", 1, "§2.2 H1 exit (e): 2 mornings ≤ 1/10", count=2),
        ),
        "H2": (
            _c(
                "derived.pct_vmax",
                "ge",
                65,
                "§2.2 H2 exit (a): ≥ 65–70 % Vmax, pain ≤ 1/10",
                pain_max=1,
            ),
            _c("metrics.strength_lsi_pct", "ge", 80, "§2.2 H2 exit (d): strength LSI ≥ 80 %"),
        ),
        "H3": (
            _c(
                "metrics.hv_reps",
                "ge",
                3,
                "§2.2 H3 exit (a): ≥ 3 reps at 80 %, pain 0–1/10",
                at_pct_vmax=80,
                pain_max=1,
            ),
            _c("metrics.strength_lsi_pct", "ge", 85, "§2.2 H3 exit (c): LSI ≥ 85 %"),
            _c("derived.slhb_lsi_pct", "ge", 85, "§2.2 H3 exit (d): bridge LSI ≥ 85 %"),
            _c("session.confidence", "ge", 6, "§2.2 H3 exit (e): confidence ≥ 6/10"),
        ),
        "H4": (
            _c(
                "metrics.hv_reps",
                "ge",
                3,
                "§2.2 H4 exit (a): ≥ 3 reps at 90 %, pain 0/10",
                at_pct_vmax=90,
                pain_max=0,
            ),
            _c(
                "derived.worst_10_20m_split_pct_baseline",
                "le",
                105,
                "§2.2 H4 exit (b): 10 m and 20 m times ≤ 105 % of baseline",
            ),
            _c("metrics.strength_lsi_pct", "ge", 90, "§2.2 H4 exit (c): strength LSI ≥ 90 %"),
            _c("checks.aket_pain", "le", 0, "§2.2 H4 exit (d): AKE without discomfort"),
            _c("checks.aket_lsi_pct", "ge", 90, "§2.2 H4 exit (d): deficit ≤ 10 %"),
        ),
        "H5": (
            _c("derived.vmax_pct_baseline", "ge", 95, "§2.2 H5 exit (a): Vmax ≥ 95 %"),
            _c(
                "derived.worst_split_pct_baseline",
                "le",
                103,
                "§2.2 H5 exit (b): times ≤ 103 % of baseline",
            ),
            _c("session.pain_max", "le", 0, "§2.2 H5 exit (c): pain 0/10", count=2),
            _c("metrics.strength_lsi_pct", "ge", 90, "§2.2 H5 exit (d): strength LSI ≥ 90 %"),
            _c("derived.slhb_lsi_pct", "ge", 90, "§2.2 H5 exit (e): bridge LSI ≥ 90 %"),
            _c("metrics.hop_lsi_pct", "ge", 90, "§2.2 H5 exit (e): hop LSI ≥ 90 %"),
        ),
        "H6": (
            _c("checks.full_training", "eq", True, "§2.2 H6 exit: full training completed"),
            _c("session.pain_max", "le", 0, "§2.2 H6 exit: no symptoms"),
            _c("checks.palpation_pain", "le", 0, "§2.2 H6: no pain on palpation"),
        ),
    },
    "calf": {
        "C0": (_c("checks.walk_pain", "le", 2, "§3.3 C0 exit: walking pain ≤ 2/10"),),
        "C1": (
            _c("checks.limp", "eq", False, "§3.3 C1 exit (a): walk without limp"),
            _c("checks.walk_pain", "le", 1, "§3.3 C1 exit (a): pain ≤ 1/10"),
            _c("checks.double_heel_raise_pain", "le", 2, "§3.3 C1 exit (b): ≤ 2/10"),
            _c(
                "metrics.heel_raise_reps_injured",
                "ge",
                10,
                "§3.3 C1 exit (c): ≥ 10 at ≤ 2/10",
                pain_max=2,
            ),
            _c("morning.pain_rest", "le", 1, "§3.3 C1 exit (d): 2 mornings ≤ 1/10", count=2),
        ),
        "C2": (
            _c("checks.walk_pain", "le", 0, "§3.3 C2 exit (a): pain-free walking"),
            _c("metrics.heel_raise_reps_injured", "ge", 25, "§3.3 C2 exit (b): ≥ 25 raises"),
            _c("derived.heel_raise_lsi_pct", "gt", 90, "§3.3 C2 exit (b): < 10 % asymmetry"),
            _c("checks.jump_pain", "le", 0, "§3.3 C2 exit (d): jumping pain-free"),
        ),
        "C3": (
            _c(
                "metrics.hv_reps",
                "ge",
                8,
                "§3.3 C3 exit (a): 8–10 reps at 70 %, pain ≤ 1/10",
                at_pct_vmax=68,
                pain_max=1,
            ),
            _c("checks.hop_pain", "le", 0, "§3.3 C3 exit (b): hopping pain-free"),
            _c("derived.heel_raise_lsi_pct", "ge", 90, "§3.3 C3 exit (c): LSI ≥ 90 %"),
            _c("metrics.heel_raise_reps_injured", "ge", 25, "§3.3 C3 exit (c): SLCR ≥ 25"),
        ),
        "C4": (
            _c("metrics.hop_lsi_pct", "ge", 90, "§3.3 C4 exit (a): hop LSI ≥ 90 %"),
            _c("metrics.rsi_lsi_pct", "ge", 90, "§3.3 C4 exit (b): RSI LSI ≥ 90 %"),
            _c("metrics.heel_raise_reps_injured", "ge", 30, "§3.3 C4 exit (c): SLCR ≥ 30"),
            _c(
                "derived.pct_vmax", "ge", 85, "§3.3 C4 exit (d): 85 % Vmax, pain 0–1/10", pain_max=1
            ),
        ),
        "C5": (
            _c("derived.pct_vmax", "ge", 95, "§3.3 C5 exit (a): 95 % Vmax, pain 0/10", pain_max=0),
            _c(
                "derived.worst_split_pct_baseline",
                "le",
                105,
                "§3.3 C5 exit (b): times ≤ 105 % of baseline",
            ),
        ),
        "C6": (
            _c("session.pain_max", "le", 0, "§3.3 C6 exit: symptoms 0/10", count=2),
            _c("checks.palpation_pain", "le", 0, "§3.3 C6 exit: palpation 0/10"),
            _c("checks.dorsiflexion_asym_pct", "le", 10, "§3.3 C6 exit: asymmetry ≤ 10 %"),
            _c("metrics.heel_raise_reps_injured", "ge", 30, "§3.3 C6 exit: SLCR ≥ 30"),
            _c("derived.heel_raise_lsi_pct", "ge", 90, "§3.3 C6 exit: asymmetry ≤ 10 %"),
            _c("metrics.hop_lsi_pct", "ge", 90, "§3.3 C6 exit: hop asymmetry ≤ 10 %"),
            _c("metrics.rsi_lsi_pct", "ge", 90, "§3.3 C6 exit: reactive asymmetry ≤ 10 %"),
            # Asymmetry counts both ways (|L − R| ÷ max ≤ 10 %: the injured side at most
            # 111.1 % of the other), as the packaged C6d3, C6h3 and C6h4 encode it.
            _c("derived.heel_raise_lsi_pct", "le", 111.1, "§3.3 C6 exit: asymmetry ≤ 10 %"),
            _c("metrics.hop_lsi_pct", "le", 111.1, "§3.3 C6 exit: hop asymmetry ≤ 10 %"),
            _c("metrics.rsi_lsi_pct", "le", 111.1, "§3.3 C6 exit: reactive asymmetry ≤ 10 %"),
            _c("derived.vmax_pct_baseline", "ge", 95, "§6.1: Vmax ≥ 95 % of baseline"),
            _c("derived.worst_split_pct_baseline", "le", 103, "§6.1: times ≤ 103 % (C6)"),
            _c("checks.full_training", "eq", True, "§3.3 C6 exit: ≥ 1 full training session"),
            _c(
                "derived.pct_vmax",
                "ge",
                95,
                "§3.3 C6: ≥ 2 max sessions (≥ 95 %)",
                at_pct_vmax=95,
                count=2,
            ),
        ),
    },
}

# Regression triggers of the reference's stage tables (§2.2 / §3.3 REGRESSION column, as the
# packaged protocols encode them): a protocol must keep each, firing at least as early.
TRIGGER_FLOORS: dict[str, dict[str, tuple[CriterionFloor, ...]]] = {
    "hamstring": {
        "H1": (_c("checks.walk_pain", "ge", 3, "§2.2 H1 regression: walking pain ≥ 3/10"),),
        "H2": (_c(_SESSION_PAIN, "ge", 3, "§2.2 H2 regression: any run rep ≥ 3/10"),),
        "H3": (
            _c(_SESSION_PAIN, "ge", 2, "§2.2: pain ≥ 2 at ≥ 80 % Vmax", at_pct_vmax=80),
            _c(
                "derived.speed_drop_vs_stage_best_pct",
                "gt",
                3,
                "§2.2 H3 regression: speed > 3 % slower on 2 sessions",
                count=2,
            ),
        ),
        "H4": (
            _c(_SESSION_PAIN, "ge", 2, "§2.2 H4 regression: pain ≥ 2 at ≥ 80 %", at_pct_vmax=80),
            _c(
                "derived.speed_drop_vs_stage_best_pct",
                "gt",
                3,
                "§2.2 H4 regression: speed > 3 % slower on 2 sessions",
                count=2,
            ),
            _c("session.confidence", "le", 5, "§2.2 H4 regression: confidence ≤ 5"),
            _c("derived.pain_test_delta", "ge", 2, "§2.2 H4 regression: morning ≥ +2"),
            _c("derived.tightness_delta", "ge", 2, "§2.2 H4 regression: morning ≥ +2"),
        ),
        "H5": (
            _c(
                _SESSION_PAIN,
                "ge",
                1,
                "§2.2 H5 regression: any pain during max reps",
                at_pct_vmax=95,
            ),
            _c(
                "derived.speed_drop_vs_stage_best_pct",
                "gt",
                3,
                "§2.2 H5 regression: Vmax drop > 3 %",
                count=2,
            ),
            _c("derived.pain_test_delta", "ge", 2, "§2.2 H5 regression: morning ≥ +2"),
            _c("derived.tightness_delta", "ge", 2, "§2.2 H5 regression: morning ≥ +2"),
        ),
        "H6": (
            _c(
                _SESSION_PAIN,
                "ge",
                1,
                "§2.2 H6 regression: any symptom → H5, clinician notified",
                notify="within_24h",
            ),
            _c(
                "session.tightness",
                "ge",
                2,
                "§2.2 H6 regression: any symptom → H5, clinician notified",
                notify="within_24h",
            ),
        ),
        "H7": (
            _c(
                "metrics.strength_lsi_pct",
                "lt",
                90,
                "§2.2 H7: strength LSI < 90 % on a re-test",
                action="escalate",
                notify="within_24h",
            ),
            _c(
                "derived.vmax_pct_baseline",
                "lt",
                95,
                "§2.2 H7: Vmax < 95 % on a re-test",
                action="escalate",
                notify="within_24h",
            ),
        ),
    },
    "calf": {
        "C1": (
            _c("checks.limp", "eq", True, "§3.3 C1 regression: limp returns"),
            _c("checks.walk_pain", "ge", 3, "§3.3 C1 regression: walking pain ≥ 3"),
        ),
        "C2": (
            _c(
                "derived.heel_raise_drop_vs_stage_best_pct",
                "ge",
                20,
                "§3.3 C2 regression: heel-raise count falls ≥ 20 %",
            ),
            _c("derived.pain_test_delta", "ge", 2, "§3.3 C2 regression: morning pain ≥ +2"),
        ),
        "C3": (_c(_SESSION_PAIN, "ge", 3, "§3.3 C3 regression: run pain ≥ 3"),),
        "C4": (
            _c(_SESSION_PAIN, "ge", 3, "§3.3 C4 regression: run pain ≥ 3 (as C3)"),
            _c("metrics.rsi_lsi_pct", "lt", 85, "§3.3 C4 regression: RSI LSI < 85 %"),
            _c("metrics.hop_lsi_pct", "lt", 85, "§3.3 C4 regression: hop LSI < 85 %"),
        ),
        "C5": (
            _c(_SESSION_PAIN, "ge", 2, "§3.3 C5 regression: pain ≥ 2 at ≥ 80 %", at_pct_vmax=80),
            _c(
                "derived.speed_drop_vs_stage_best_pct",
                "gt",
                3,
                "§3.3 C5 regression: speed regression > 3 %",
                count=2,
            ),
        ),
        "C6": (
            _c(
                _SESSION_PAIN,
                "ge",
                1,
                "§3.3 C6 regression: any symptom → C5 + clinician",
                notify="within_24h",
            ),
            _c(
                "session.tightness",
                "ge",
                2,
                "§3.3 C6 regression: any symptom → C5 + clinician",
                notify="within_24h",
            ),
        ),
        "C7": (
            _c(
                "derived.heel_raise_lsi_pct",
                "lt",
                90,
                "§3.3 C7: SLCR asymmetry > 10 %",
                action="escalate",
                notify="within_24h",
            ),
            _c(
                "metrics.heel_raise_reps_injured",
                "lt",
                30,
                "§3.3 C7: SLCR ≥ 30 kept",
                action="escalate",
                notify="within_24h",
            ),
        ),
    },
}
# Symptom changes against the athlete's baseline: like pain items, an exit criterion may only
# bound them from above.
DELTA_ITEMS = frozenset({"derived.pain_test_delta", "derived.tightness_delta"})
