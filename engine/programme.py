"""The programme: one decision per calendar day, folded over the athlete's history.

``decide_day`` is pure: it takes the protocol, the injury, the baseline, the state at the start
of the day, the day's record and a bounded window of earlier days (≤ 28, for Hooper z-scores
and week-on-week trends) and returns the day's outcome and the state at the end of the day.
Cost per day does not depend on how long the history is. ``replay`` folds it over every
calendar day from the start; a day without a record is a missed check-in (hold).

Order within a day: clinician actions → morning verdict (red flags first) → 24-hour response
to the previous session → step-back / hold rules → progression gate (reference §4.4) →
today's session (classification, stage criteria, regression triggers) → escalations → plan.

Why one module of ~1,950 lines: those steps run in that order over one day's state, and each
reads what the one before decided (a stop closes the gate, the gate's result shapes the plan,
a flagged session must not count for the criteria). Kept together, the order is visible in one
place. Every rule that stands alone lives in its own module (``readiness``, ``red_flags``,
``rest``, ``plausibility``, ``session_rules``, ``stall``, ``floors``, ``plan``, ``status``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine import rest
from engine.evaluate import (
    DayContext,
    LowerLeg,
    Observation,
    measured_pct,
    observe,
    paired_count,
    shown,
    speed_drop,
)
from engine.items import ALL_ITEMS
from engine.models import (
    Alert,
    Checks,
    ClinicianAction,
    DayRecord,
    DecisionKind,
    Injury,
    Instruction,
    Metrics,
    MorningCheckIn,
    Readiness,
    Reason,
    SessionClass,
    SessionReport,
)
from engine.plan import SessionPlan, prescribe
from engine.plausibility import confirm, ran
from engine.readiness import (
    MorningResult,
    SymptomBaseline,
    awaiting_review,
    morning_verdict,
    no_baseline_limits,
    red_flag_stop,
    without_modified_session,
)
from engine.red_flags import (
    heel_raise_collapse,
    heel_raises_above_half_by_stage,
    names_achilles,
    reports_pain,
    triage_achilles_next_morning,
)
from engine.reference import FLOORS, stage_floor
from engine.schema import Criterion, Protocol, Stage, Trigger
from engine.session_rules import (
    STOP_TEXT,
    SYMPTOM_STOPS,
    classify_session,
    stopped_for_symptoms,
    tests_only,
)
from engine.stall import TightnessHold, stall_texts, tightness_hold_words

Response = Literal["pending", "green", "hold", "step_back", "missing"]
_SPLITS = ("split_10m_s", "split_20m_s", "split_30m_s", "split_40m_s")
RECENT_DAYS = 28
STALL_DAYS = 7  # a stage without progress for this long names what is missing
POOR_WELLNESS_DAYS = 5  # poor wellness on this many of the last 7 days alerts (info)
REST_REPEAT_DAYS = 7  # 2 sessions inside a rest interval within this many days alert
REST_REPEAT_COUNT = 2
AGAINST_PLAN_REPEAT_DAYS = 28  # running against the plan again within this window: within 24 h
OVER_CAP_POINTS = 5  # a run this many % Vmax points above the day's cap is flagged
OVER_CAP_SERIOUS = 20  # ... and this many points over reaches the clinician within 24 h
UNCONFIRMED_REPEAT_DAYS = 28
UNCONFIRMED_REPEAT_COUNT = 3  # unconfirmed readings in this many sessions: review the baseline
# A gap in the programme (days in a row paused or without a check-in, session or check): on
# the first day back, what the stage needs is earned again after this many days, and from
# this many the athlete also steps back one stage (protocol notes (21)).
GAP_RESTART_DAYS = 7
GAP_STEP_BACK_DAYS = 14
# At the final stage (return to play, maintenance) a gap moves nobody: the first run back is
# capped as anywhere else, and from this many days the clinician is told (info), since the
# re-tests of the stage (every 2–4 weeks, reference §2.2 H7 / §3.3 C7) have lapsed.
GAP_FINAL_ALERT_DAYS = 14

# Why an exit criterion's latest result was left out (``ProgrammeState.not_counted``): it came
# with a session that did not count (against the plan, cut short), or was logged on its own
# while running was stopped until a clinician's review.
NotCounted = Literal["session", "review"]
# The sentence a "Not yet" reason of such a criterion ends with, by why (the record's words;
# ``bot.wording.reasons`` reads the athlete's from it).
NOT_COUNTED_TEXT: dict[NotCounted, str] = {
    "session": "Its latest result came from a session that did not count.",
    "review": "Its latest result was logged while running was stopped for a review.",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RunEntry(_Frozen):
    """A running session: its date, intensity (% Vmax, measured or assumed), the stage it
    was run in (its rest intervals stay with it after a step back; None in older snapshots)
    and the instant it was reported (UTC; None when unknown: its rest intervals are then
    counted in calendar days only)."""

    date: dt.date
    pct: float
    stage: str | None = None
    at: dt.datetime | None = None


class LastSession(_Frozen):
    """The most recent session and, once known, its 24-hour response."""

    date: dt.date
    stage: str
    session_class: SessionClass
    counts_for_progress: bool
    pre_pain_test: int | None = None
    pre_tightness: int | None = None
    response: Response = "pending"
    # One of the stage's sessions (at its top intensity where it sets one): what re-entry
    # after a step back counts (reference §4.4). False in older snapshots: the cautious side.
    qualifies: bool = False


class ProgrammeState(_Frozen):
    """Everything the engine carries from one day to the next (JSON-serialisable)."""

    stage: str
    stage_entered: dt.date
    start: dt.date
    sessions_in_stage: int = 0
    qualifying_sessions: int = 0
    streaks: dict[str, int] = Field(default_factory=dict)
    observed: dict[str, bool | int | float] = Field(default_factory=dict)
    best_vmax: float | None = None
    best_splits: dict[str, float] = Field(default_factory=dict)
    best_heel_raise: int | None = None
    run_log: tuple[RunEntry, ...] = ()
    last_session: LastSession | None = None
    elevated: LastSession | None = None
    green_streak: int = 0
    reentry_greens_needed: int = 0
    symptom_samples: tuple[tuple[int, int], ...] = ()
    rest_streak: int = 0
    low_conf_streak: int = 0
    low_conf_hv_streak: int = 0
    missed_streak: int = 0
    step_back_dates: tuple[dt.date, ...] = ()
    red_dates: tuple[dt.date, ...] = ()
    last_progress: dt.date
    no_progress_alerted: dt.date | None = None
    week_rise_alerted: dt.date | None = None
    clearance: bool = False
    clearance_requested: bool = False
    paused: bool = False
    suspended: bool = False
    full_training_reached: dt.date | None = None
    # Added for the safety rules of issue 12. Every field has a default, so a snapshot stored
    # before them still loads; the defaults mean "nothing seen yet" and are the cautious side
    # (e.g. no symptom-free days yet, no clearance date: a stored clearance stays valid).
    suspended_since: dt.date | None = None
    clearance_on: dt.date | None = None
    symptom_free_streak: int = 0
    rest_violation_dates: tuple[dt.date, ...] = ()
    against_plan_dates: tuple[dt.date, ...] = ()
    unconfirmed_dates: tuple[dt.date, ...] = ()
    best_heel_raise_lsi: float | None = None
    stall_alerted: dt.date | None = None
    wellness_alerted: dt.date | None = None
    # Pain at rest, test pain and tightness of the last rest morning of the current run of
    # rest mornings (reference §4.1 p3: worsening → clinician within 24 h).
    rest_symptoms: tuple[int, int, int] | None = None
    # Paused days since the stage was entered and since the last progression: they do not
    # count towards the stall and no-progress clocks. 0 in older snapshots: every day counts,
    # the cautious side (a stall is named sooner, never later).
    paused_in_stage: int = 0
    paused_since_progress: int = 0
    # Exit criteria of the current stage whose latest result was left out, and why: a result
    # that would have met the criterion, seen in a session that did not count (or logged while
    # running was stopped). Until the criterion's next counted observation, the athlete reads
    # that their result was not counted, never "not reported yet". Empty in older snapshots.
    not_counted: dict[str, NotCounted] = Field(default_factory=dict)
    # Days in a row before today paused or without a check-in, session or checks (a gap:
    # ``_after_gap``). None in older snapshots: their days in a row without a check-in
    # (``missed_streak``) stand in.
    away_days: int | None = 0
    # Days in a row before today at a stage of running without a run at the stage's speed
    # (``_kept_speed``), check-ins or not (a gap as well: ``_gap_due``). Days while running
    # is stopped awaiting a review count (the muscle met no speed on them either; the gap
    # acts once the review lifts the stop), and so do paused days (no speed either; nothing
    # acts until the first day back). Days the plan had no running (a rest day, a rest
    # interval, a stage without running) neither count nor end it. None in older snapshots:
    # ``away_days`` stands in.
    no_run_days: int | None = None
    # What the gap rule already did in the current run of such days (``_gap_level``: 0
    # nothing, 1 a restart or the final stage's capped first run, 2 a step back or the final
    # stage's alert), so each is done once; a run at the stage's speed starts afresh.
    no_run_acted: int = 0
    # Back after a gap (``_after_gap``): until the first run back, the plan keeps running at
    # the bottom of the stage's range and below max speed (``gap_cap``). False in older
    # snapshots: nothing to cap.
    easy_first_run: bool = False
    # The day the stall clock of the current stage counts from when it is not
    # ``stage_entered``: a restart of the stage after a gap (``_after_gap``) keeps the clock
    # (and its paused days), so a stage that has not moved is still named. None in older
    # snapshots and on entering a stage: ``stage_entered``.
    stall_from: dt.date | None = None
    # Of the days in a row away (``away_days``), how many were paused (they are already left
    # out of the stall clock; ``_stall_clock_after_gap`` leaves out the silent ones). 0 in
    # older snapshots.
    away_paused: int = 0
    # The first run back after a gap at the final stage (``_final_gap``), while the easy
    # day after it may still hold (``final_gap_rest``): no max speed, full training or match
    # until the interval has passed since it. None in older snapshots and on entering a stage.
    final_gap_run: RunEntry | None = None
    # The day of the last session whose heel raises raised the possible-Achilles-rupture
    # alert (``heel_raise_collapse``): a painful morning after it, while running is still
    # stopped awaiting the clinician, is the same episode, not a fresh alert
    # (``_achilles_next_morning``). None in older snapshots: the morning alerts, as before.
    achilles_alerted: dt.date | None = None
    # Tightness the athlete's clinician accepted as usual for them (``/usual``, a
    # ``usual_tightness`` action): while in force (``accepted_usual``) the trusted tightness
    # baseline is the lower of it and the green mornings' (``symptom_baseline``), and no
    # green morning is kept above it (``_morning_streaks``). Until the clinician records
    # another, or a review lifts a stop (``_stop_lifted``). None in older snapshots and until
    # a clinician records one.
    usual_tightness: int | None = None


class DayOutcome(_Frozen):
    """The engine's output for one calendar day."""

    date: dt.date
    stage: str
    readiness: Readiness | Literal["missing"]
    session_class: SessionClass | None = None
    decision: DecisionKind
    stage_after: str
    reasons: list[Reason] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    instructions: list[Instruction] = Field(default_factory=list)
    plan: SessionPlan | None = None
    awaiting_clearance: bool = False
    # At the end of the day running stays stopped until a clinician reviews (red flag, sharp
    # pain, symptoms persisting): what a clinician's overview reads between check-ins.
    review_pending: bool = False


@dataclass(frozen=True, slots=True)
class GateItem:
    """One item of the progression gate (reference §4.4) or of a stage's exit criteria."""

    rule: str
    met: bool
    text: str
    observed: str | float | int | bool | None = None
    needed: str | float | int | bool | None = None
    # An unmet exit criterion whose latest result was left out, and why (``NotCounted``).
    not_counted: NotCounted | None = None


def _gi(
    rule: str,
    met: bool,
    text: str,
    observed: str | float | int | bool | None = None,
    needed: str | float | int | bool | None = None,
) -> GateItem:
    return GateItem(rule, met, text, observed, needed)


def initial_state(protocol: Protocol, start: dt.date) -> ProgrammeState:
    """Return the state of a programme that starts on ``start`` at the first stage."""
    return ProgrammeState(
        stage=protocol.stages[0].id, stage_entered=start, start=start, last_progress=start
    )


def enter_stage(
    state: ProgrammeState, stage_id: str, on: dt.date, **extra: object
) -> ProgrammeState:
    """Return ``state`` moved into ``stage_id`` on ``on``, with the stage's counters reset."""
    update: dict[str, object] = {
        "stage": stage_id,
        "stage_entered": on,
        "sessions_in_stage": 0,
        "qualifying_sessions": 0,
        "streaks": {},
        "observed": {},
        "not_counted": {},
        "best_vmax": None,
        "best_splits": {},
        "best_heel_raise": None,
        "clearance": False,
        "clearance_requested": False,
        "clearance_on": None,
        "green_streak": 0,
        "paused_in_stage": 0,
        "stall_from": None,
        "final_gap_run": None,
    }
    if "last_progress" in extra:
        update["paused_since_progress"] = 0
    update.update(extra)
    return state.model_copy(update=update)


# What a criterion's streak counts; its text and evidence tags do not change that.
_NOT_DEFINITION = frozenset({"text", "evidence", "source", "note", "action", "notify"})


def _definition(c: Criterion) -> tuple[object, ...]:
    data = c.model_dump(exclude=set(_NOT_DEFINITION))
    return (isinstance(c, Trigger), *sorted(data.items()))


def carry_over(state: ProgrammeState, old: Protocol | None, new: Protocol) -> ProgrammeState:
    """Return ``state``, saved under protocol ``old``, fit to continue under ``new``.

    A streak counts observations that met a criterion as it was defined; an exit criterion of
    the current stage whose definition changed (item, op, threshold, count, at_pct_vmax,
    pain_max, or it was a trigger) starts again from 0 under the new rule, so nobody
    progresses on passes the stricter rule would not count. ``old`` None (unknown or
    unreadable) counts every exit criterion as changed. Regression-trigger streaks are kept:
    a carried trigger streak can only fire a step back sooner than a reset one. A sign-off
    recorded in the stage lapses when a streak restarts (``_restart``).
    """
    if old is new:
        return state
    try:
        stage = new.stage(state.stage)
    except KeyError:
        return state
    old_stage: Stage | None = None
    if old is not None:
        try:
            old_stage = old.stage(state.stage)
        except KeyError:
            old_stage = None
    state = _carry_sessions(state, old_stage, stage)
    if not state.streaks:
        return state
    before: dict[str, tuple[object, ...]] = {}
    if old_stage is not None:
        for c in (*old_stage.exit_criteria, *old_stage.regression_triggers):
            before[c.id] = _definition(c)
    changed = {
        c.id
        for c in stage.exit_criteria
        if c.id in state.streaks and before.get(c.id) != _definition(c)
    }
    return _restart(state, changed)


def _restart(state: ProgrammeState, ids: set[str]) -> ProgrammeState:
    """Return ``state`` with the streaks of the exit criteria ``ids`` started again. A sign-off
    recorded in the stage lapses with them: it was given when those criteria read as met, as
    a full replay under the current rules would not have them (and there a sign-off given
    before its criteria were all met lapses, ``_check_clearance``); the clinician is asked
    again once they are met."""
    if not ids & set(state.streaks):
        return state
    streaks = {cid: n for cid, n in state.streaks.items() if cid not in ids}
    update: dict[str, object] = {"streaks": streaks}
    if state.clearance or state.clearance_requested:
        update.update(clearance=False, clearance_on=None, clearance_requested=False)
    return state.model_copy(update=update)


# How the engine reads criteria, stored with each snapshot. 2: a split criterion needs every
# split it names in the baseline, and a leg pair with the injured side higher is read both
# ways (engine.evaluate). A streak built under an earlier reading may rest on passes the
# current one would not count.
RULES_VERSION = 2
# The items whose reading changed in each version (their streaks restart under it).
_READING_CHANGED: dict[int, frozenset[str]] = {
    2: frozenset(
        {
            "derived.worst_split_pct_baseline",
            "derived.worst_10_20m_split_pct_baseline",
            "metrics.heel_raise_reps_injured",
            "metrics.heel_raise_reps_uninjured",
            "derived.heel_raise_lsi_pct",
            "metrics.slhb_reps_injured",
            "metrics.slhb_reps_uninjured",
            "derived.slhb_lsi_pct",
        }
    ),
}


def carry_over_rules(state: ProgrammeState, protocol: Protocol, saved_under: int) -> ProgrammeState:
    """Return ``state``, saved when the engine read criteria as in version ``saved_under``,
    fit to continue under RULES_VERSION: the current stage's exit criteria on an item whose
    reading changed since start counting again, so nobody moves on passes the engine no
    longer counts (the snapshot is the state a full replay would not reach); a sign-off
    recorded in the stage lapses with them (``_restart``)."""
    changed_items = frozenset().union(
        *(items for version, items in _READING_CHANGED.items() if version > saved_under)
    )
    if not changed_items or not state.streaks:
        return state
    try:
        stage = protocol.stage(state.stage)
    except KeyError:
        return state
    return _restart(state, {c.id for c in stage.exit_criteria if c.item in changed_items})


def _carry_sessions(state: ProgrammeState, old: Stage | None, new: Stage) -> ProgrammeState:
    """Start the stage's count of qualifying sessions again (and the sessions counted after a
    step back, and the last session's claim to count) when the speed a session must reach
    to count is now higher than when they were counted (or unknown): a session at 96 % that
    counted under "≥ 95 %" is not one of "≥ 98 %". A lower speed, or a different number of
    sessions, keeps the count (what counted still meets it)."""
    was = old.min_sessions.at_pct_vmax if old is not None else None
    now = new.min_sessions.at_pct_vmax
    stricter = now is not None and (old is None or was is None or now > was)
    if not stricter:
        return state
    update: dict[str, object] = {"qualifying_sessions": 0, "green_streak": 0}
    for name in ("last_session", "elevated"):
        last = getattr(state, name)
        if last is not None and last.qualifies:
            update[name] = last.model_copy(update={"qualifies": False})
    return state.model_copy(update=update)


def symptom_baseline(
    state: ProgrammeState, needed: int = 1, protocol: Protocol | None = None
) -> SymptomBaseline | None:
    """Return the median of the last green mornings' test pain and tightness, if any,
    trusted once it rests on ``needed`` mornings (the protocol's
    ``baseline_green_mornings``, reference §0.2: the median of the last 3). Until then the
    morning verdict reads it and its fixed limits both (``engine.readiness``): a baseline
    re-forming after a review is not what is usual for the athlete after one morning.

    While a tightness the clinician accepted as usual is in force (``accepted_usual``) the
    baseline is trusted, and its tightness is the lower of that usual and the green mornings'
    median: recent green mornings below it are what is usual now (a rise over them modifies
    or rests, §4.1 +2/+3), and none above it raises it (they are kept at most at the usual,
    ``_morning_streaks``). Test pain stays the median of the green mornings, or, with none,
    the most test pain a good morning has without a baseline (``usual_pain_test``)."""
    samples = state.symptom_samples
    usual = accepted_usual(state, protocol)
    if usual is not None:
        if not samples:
            return SymptomBaseline(
                pain_test=usual_pain_test(protocol), tightness=float(usual), trusted=True
            )
        return SymptomBaseline(
            pain_test=_median([s[0] for s in samples]),
            tightness=min(float(usual), _median([s[1] for s in samples])),
            trusted=True,
        )
    if not samples:
        return None
    return SymptomBaseline(
        pain_test=_median([s[0] for s in samples]),
        tightness=_median([s[1] for s in samples]),
        trusted=len(samples) >= needed,
    )


def accepted_usual(state: ProgrammeState, protocol: Protocol | None = None) -> int | None:
    """The tightness the clinician accepted as usual, while it is in force: recorded, and
    within the protocol's ``usual_tightness_max`` (a protocol without it, or lowered below it
    since, honours none)."""
    usual = state.usual_tightness
    if usual is None:
        return None
    if protocol is not None:
        bound = protocol.rules.morning.usual_tightness_max
        if bound is None or usual > bound.value:
            return None
    return usual


def usual_pain_test(protocol: Protocol | None) -> float:
    """The test pain read as usual beside an accepted tightness before any green morning: the
    most a good morning has (below ``modify_pain_test_min``, reference §4.1 M2 2-3 → MODIFY;
    H1 exit (e) morning pain ≤ 1/10). Test pain 0-1/10 reads go as without a baseline, 2/10
    lightens as its absolute rule does, 3/10 rests (+2), one step more cautious."""
    low = protocol.rules.morning.modify_pain_test_min.value if protocol is not None else 2
    return float(max(low - 1, 0))


def _median(values: list[int]) -> float:
    v = sorted(values)
    n = len(v)
    return float(v[n // 2]) if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


_NEEDED: dict[int, tuple[Criterion, str]] = {}


def _needed(c: Criterion) -> str:
    """What a criterion needs, as text (memoised: criteria are immutable)."""
    hit = _NEEDED.get(id(c))
    if hit is not None and hit[0] is c:
        return hit[1]
    needed = c.describe()
    if c.at_pct_vmax is not None:
        needed += f" at ≥ {c.at_pct_vmax:g} % Vmax"
    if c.pain_max is not None:
        needed += f" with pain ≤ {c.pain_max}"
    if len(_NEEDED) > 4096:
        _NEEDED.clear()
    _NEEDED[id(c)] = (c, needed)
    return needed


def criteria_items(stage: Stage, state: ProgrammeState, prefix: str = "") -> list[GateItem]:
    """Return every exit criterion of ``stage`` as met / unmet with observed vs needed."""
    out = []
    for c in stage.exit_criteria:
        streak = state.streaks.get(c.id, 0) if state.stage == stage.id else 0
        seen = state.observed.get(c.id) if state.stage == stage.id else None
        needed = _needed(c)
        observed: str | float | bool | None = seen
        if c.count > 1:
            observed = f"{streak}/{c.count} in a row (last {seen if seen is not None else '—'})"
        met = streak >= c.count
        left_out = state.not_counted.get(c.id) if state.stage == stage.id and not met else None
        out.append(
            GateItem(
                rule=prefix + c.id,
                met=met,
                text=c.text,
                observed=observed,
                needed=needed,
                not_counted=left_out,
            )
        )
    return out


def _run(r: RunEntry) -> rest.Run:
    return (r.date, r.pct, r.at)


def _runs(state: ProgrammeState) -> list[rest.Run]:
    return [_run(r) for r in state.run_log]


def _runs_elsewhere(state: ProgrammeState, stages: Sequence[str]) -> dict[str, list[rest.Run]]:
    """Runs done in a stage other than ``stages``, by stage: the rest intervals of the stage a
    run was done in hold around that run wherever the athlete is now (e.g. 72 h around a max
    session after a step back from H5 to H4, reference P6)."""
    out: dict[str, list[rest.Run]] = {}
    for r in state.run_log:
        if r.stage is not None and r.stage not in stages:
            out.setdefault(r.stage, []).append(_run(r))
    return out


def _later_runs(
    protocol: Protocol, baseline: Metrics | None, st: ProgrammeState, day: DayRecord
) -> tuple[RunEntry, ...]:
    """The day's ``later_runs`` (booked to a later date but reported before this day's
    answers: a move west) as run entries of the current stage, for the rest intervals only.
    Each is taken at its faster reading, else (at a stage of running) at the stage's top
    intensity plus the perceived-effort offset (reference §0.3), as an unmeasured run is.

    A report without a run reading (tests only, or no numbers at all) counts as well: on its
    own day, on a plan with running, it starts the rest after a run (``_session``: a report
    cannot tell a test day from a run by feel), and its day's plan is not decided yet when
    this earlier day is, so it is taken on the safe side (reference P6)."""
    if not day.later_runs:
        return ()
    stage = protocol.stage(st.stage)
    pain = protocol.rules.pain
    out: list[RunEntry] = []
    for later in day.later_runs:
        session = confirm(later.session, baseline).session
        mpct = measured_pct(session, baseline)
        top = session.metrics.top_pct_vmax
        pct = max(mpct, top) if mpct is not None and top is not None else mpct
        if session.checks.full_training is True:
            full = max(stage.top_pct_vmax, pain.max_pct_vmax.value)
            pct = max(pct, full) if pct is not None else full
        if pct is None and stage.running:
            pct = min(100.0, stage.top_pct_vmax + pain.perceived_effort_offset_pct.value)
        if pct is not None and pct > 0:
            out.append(RunEntry(date=later.date, pct=pct, stage=stage.id, at=later.at))
    return tuple(out)


def _with_runs(st: ProgrammeState, extra: tuple[RunEntry, ...]) -> ProgrammeState:
    """``st`` with ``extra`` runs in its log, for the rest intervals only (never stored)."""
    return st.model_copy(update={"run_log": st.run_log + extra}) if extra else st


def _first_max_stage_rules(protocol: Protocol) -> tuple[int, tuple[rest.Rule, ...]]:
    """The index of the first stage whose rest rules hold around max sessions, and those
    rules (H5's "≥ 72 h around max sessions"); (len(stages), ()) when no stage has one."""
    for index, stage in enumerate(protocol.stages):
        around = tuple(r for r in rest.rules_for(protocol, [stage.id]) if r.around_max)
        if around:
            return index, around
    return len(protocol.stages), ()


def _rest_groups(
    protocol: Protocol, st: ProgrammeState, stages: Sequence[str]
) -> list[tuple[tuple[rest.Rule, ...], list[rest.Run]]]:
    """The rest rules in force today, each with the earlier runs it holds around: those of
    ``stages`` around every run; those of the stage an earlier run was done in around that
    run; and the interval around max sessions around a max run done in a stage that does not
    prescribe max sprints (an unplanned max sprint in H4 is a max session all the same, P6)."""
    groups = [(rest.rules_for(protocol, stages), _runs(st))]
    known = {x.id for x in protocol.stages}
    for sid, runs in _runs_elsewhere(st, stages).items():
        if sid in known:
            groups.append((rest.rules_for(protocol, [sid]), runs))
    first_max, around = _first_max_stage_rules(protocol)
    max_pct = protocol.rules.pain.max_pct_vmax.value
    # Stages that do not prescribe max sprints (a stage whose plan reaches them keeps the
    # protocol's own interval, e.g. calf C5's 48 h).
    early = {x.id for x in protocol.stages[:first_max] if (x.top_pct_vmax or 0) < max_pct}
    early_max = [_run(r) for r in st.run_log if r.stage in early and r.pct >= max_pct]
    if around and early_max:
        groups.append((around, early_max))
    return groups


def _rest_violations(
    protocol: Protocol,
    st: ProgrammeState,
    stages: Sequence[str],
    on: dt.date,
    pct: float,
    at: dt.datetime | None = None,
) -> list[rest.Violation]:
    """The rest intervals (``_rest_groups``) a run at ``pct`` on ``on``, reported at ``at``,
    breaks."""
    hits: list[rest.Violation] = []
    for rules, runs in _rest_groups(protocol, st, stages):
        hits += rest.violations(protocol, rules, runs, on, pct, at)
    return hits


def symptom_free_days_needed(protocol: Protocol, stage: Stage) -> int:
    """Days in a row with every symptom 0/10 that leaving ``stage`` needs (the stage's own
    value, else the reference's floor for it)."""
    if stage.symptom_free_days is not None:
        return stage.symptom_free_days.value
    floor = stage_floor(protocol.injury, stage.id)
    return floor.symptom_free_days if floor is not None else 0


def symptom_free_morning(m: MorningCheckIn | None) -> bool:
    """Whether a morning check-in reports no symptom at all (every pain and tightness 0)."""
    return (
        m is not None
        and m.red_flags == []
        and m.pain_rest == 0
        and m.pain_test == 0
        and m.tightness == 0
    )


def symptom_free_session(s: SessionReport | None) -> bool:
    """Whether a session report (if any) reports no symptom at all (its checks included)."""
    if s is None:
        return True
    return (
        s.pain_max == 0
        and s.pain_1h in (None, 0)
        and s.tightness == 0
        and s.sharp_pain is False
        and not s.red_flags
        and not (s.completion == "stopped" and stopped_for_symptoms(s))
        and s.stop_reason not in SYMPTOM_STOPS
        and symptom_free_checks(s.checks)
    )


_CHECK_PAINS = tuple(k for k in Checks.model_fields if k.endswith("_pain"))


def symptom_free_checks(c: Checks | None) -> bool:
    """Whether functional checks (if any) report no symptom: every pain recorded 0/10 (walk,
    squat, bike, knee extension, heel raise, jump, hop, palpation, change of direction) and
    no limp (reference H6 exit: no pain in strength, flexibility or functional testing)."""
    if c is None:
        return True
    return c.limp is not True and all(getattr(c, k) in (None, 0) for k in _CHECK_PAINS)


def _rest_item(
    protocol: Protocol,
    state: ProgrammeState,
    stage_id: str,
    nxt_id: str | None,
    on: dt.date,
    at: dt.datetime | None = None,
) -> GateItem | None:
    """gate.6: the rest rules of the stage the athlete is in and of the one they would enter,
    as of instant ``at`` (the check-in; None: in calendar days only). The next stage's
    max-session rules are kept by the plan (its first days are capped below high speed until
    they are over), so they do not hold the gate."""
    rules = list(rest.rules_for(protocol, [stage_id]))
    if nxt_id is not None:
        rules += [r for r in rest.rules_for(protocol, [nxt_id]) if not r.around_max]
    if not rules:
        return None
    runs = _runs(state)
    worst: tuple[int, int] | None = None  # (hours since, hours needed) of the binding rule
    for rule in rules:
        hours = rest.hours_since(rule, runs, on, at)
        if hours is None or hours >= rule.hours:
            continue
        if worst is None or rule.hours - hours > worst[1] - worst[0]:
            worst = (hours, rule.hours)
    needed = max(r.hours for r in rules)
    return _gi(
        rule="gate.6",
        met=worst is None,
        observed=worst[0] if worst is not None else "rest interval over",
        needed=f"≥ {worst[1] if worst is not None else needed} h",
        text="Rest since the last high-speed session",
    )


def gate_items(
    protocol: Protocol,
    injury: Injury,
    state: ProgrammeState,
    on: dt.date,
    readiness: Readiness | Literal["missing"],
    *,
    red_flag: bool = False,
    morning: MorningCheckIn | None = None,
    at: dt.datetime | None = None,
) -> list[GateItem]:
    """Return every item of the progression gate for the current stage on day ``on``
    (``morning``: that day's check-in, for the symptom-free days; ``at``: its instant, for
    the rest intervals in real time)."""
    stage = protocol.stage(state.stage)
    nxt_id = protocol.next_stage(stage.id)
    items: list[GateItem] = []
    items.append(
        _gi(
            rule="gate.1",
            met=not red_flag and not state.suspended,
            observed="red flag / awaiting review" if (red_flag or state.suspended) else "none",
            needed="no red flag",
            text="No red flag and no pending clinician review",
        )
    )
    items.append(
        _gi(
            rule="gate.2",
            met=readiness == "go",
            observed=readiness,
            needed="go",
            text="Morning check is go",
        )
    )
    if stage.min_sessions.value > 0:
        ls = state.last_session
        in_stage = ls is not None and ls.stage == stage.id
        items.append(
            _gi(
                rule="gate.3",
                met=in_stage and ls is not None and ls.counts_for_progress,
                observed=(
                    ls.session_class if ls is not None and in_stage else "no session in this stage"
                ),
                needed="green (and completed)",
                text="Last session green",
            )
        )
        items.append(
            _gi(
                rule="gate.4",
                met=in_stage and ls is not None and ls.response == "green",
                observed=ls.response if ls is not None and in_stage else "none",
                needed="green",
                text="24-hour response back to baseline",
            )
        )
    days = (on - state.stage_entered).days
    if state.reentry_greens_needed:
        items.append(
            _gi(
                rule="stepback.reentry",
                met=state.green_streak >= state.reentry_greens_needed,
                observed=state.green_streak,
                needed=state.reentry_greens_needed,
                text="Re-entry after a step-back: consecutive green sessions with "
                "green 24-hour responses",
            )
        )
    else:
        items.append(
            _gi(
                rule="gate.5.days",
                met=days >= stage.min_days.value,
                observed=days,
                needed=stage.min_days.value,
                text="Minimum days in stage",
            )
        )
        sess_text = "Minimum sessions in stage"
        if stage.min_sessions.at_pct_vmax is not None:
            sess_text += f" (at ≥ {stage.min_sessions.at_pct_vmax:g} % Vmax, measured)"
        items.append(
            _gi(
                rule="gate.5.sessions",
                met=state.qualifying_sessions >= stage.min_sessions.value,
                observed=state.qualifying_sessions,
                needed=stage.min_sessions.value,
                text=sess_text,
            )
        )
    rest_item = _rest_item(protocol, state, stage.id, nxt_id, on, at)
    if rest_item is not None:
        items.append(rest_item)
    need = symptom_free_days_needed(protocol, stage)
    if need:
        # The run of symptom-free days up to yesterday, and today's morning: a morning with
        # any symptom ends the run (the stage needs that many days in a row, today's
        # included), it does not just leave it where it was. Without a morning (a status
        # read after the day, whose run already holds it) the run stands as it is.
        if morning is None:
            days_free = state.symptom_free_streak
        elif symptom_free_morning(morning):
            days_free = state.symptom_free_streak + 1
        else:
            days_free = 0
        items.append(
            _gi(
                rule="gate.symptoms",
                met=days_free >= need,
                observed=days_free,
                needed=need,
                text=f"No pain, test pain or tightness at all (0/10) on {need} days in a row",
            )
        )
    items += criteria_items(stage, state, f"{stage.id}.")
    if stage.signoff == "required" or _early_signoff(protocol, injury, nxt_id, on):
        why = stage.signoff_note or "Clinician sign-off"
        if stage.signoff != "required":
            why = "Clinician confirmation: next stage reached before 50 % of the expected time"
        items.append(
            _gi(
                rule="gate.8",
                met=state.clearance,
                observed="recorded" if state.clearance else "not recorded",
                needed="clearance recorded",
                text=why,
            )
        )
    if nxt_id is None:
        items.append(
            _gi(
                rule="gate.final",
                met=False,
                observed=stage.id,
                needed="a next stage",
                text="Final stage: nothing to progress to",
            )
        )
    return items


def _early_signoff(protocol: Protocol, injury: Injury, nxt: str | None, on: dt.date) -> bool:
    if nxt is None or nxt != protocol.early_signoff_stage:
        return False
    # No grade means no expected time either: the conservative choice is to ask.
    expected = protocol.expected_rtp_days.get(injury.grade) if injury.grade is not None else None
    if expected is None:
        return True  # unknown expected time: the conservative choice is to ask
    # By muscle where the protocol says so (calf, reference §3.1: soleus 25 d, the default
    # when the muscle is unknown): the longer of the two times counts.
    muscle = injury.muscle if injury.muscle not in (None, "unknown") else protocol.default_muscle
    if muscle is not None:
        expected = max(expected, protocol.expected_rtp_days_by_muscle.get(muscle, 0))
    frac = protocol.rules.escalation.early_signoff_fraction.value / 100
    return (on - injury.injury_date).days < frac * expected


_MECHANISM_WORDS: dict[str, str] = {"stretch": "Stretching-type"}


class _Acc:
    """Accumulates one day's reasons, alerts and instructions."""

    def __init__(self) -> None:
        self.reasons: list[Reason] = []
        self.alerts: list[Alert] = []
        self.instructions: list[Instruction] = []

    def reason(
        self, rule: str, text: str, observed: object = None, threshold: object = None
    ) -> None:
        """Record why: the rule, what was seen, what was needed, in plain words."""
        self.reasons.append(
            Reason(rule=rule, text=text, observed=_scalar(observed), threshold=_scalar(threshold))
        )

    def alert(
        self, severity: Literal["emergency", "same_day", "within_24h", "info"], rule: str, text: str
    ) -> None:
        """Record a message for the clinician."""
        self.alerts.append(Alert(severity=severity, rule=rule, text=text))


def _scalar(v: object) -> str | float | int | bool | None:
    if v is None or isinstance(v, str | float | int | bool):
        return v
    return str(v)


def _ctx(
    day: DayRecord,
    baseline: Metrics | None,
    state: ProgrammeState,
    sym: SymptomBaseline | None,
    full_session: bool,
    *,
    hide_session: bool = False,
    hide_speed: bool = False,
    hide_checks: bool = False,
) -> DayContext:
    return DayContext(
        day=day,
        baseline=baseline,
        measured_pct=measured_pct(day.session, baseline),
        symptom_pain_test=sym.pain_test if sym else None,
        symptom_tightness=sym.tightness if sym else None,
        stage_best_vmax=state.best_vmax,
        stage_best_splits=state.best_splits,
        stage_best_heel_raise=state.best_heel_raise,
        full_session=full_session,
        hide_session=hide_session,
        hide_speed=hide_speed,
        hide_checks=hide_checks,
    )


_PHASES: dict[tuple[int, str], tuple[Stage, tuple[Criterion, ...]]] = {}


def _phase_criteria(stage: Stage, phase: str) -> tuple[Criterion, ...]:
    """The stage's criteria and triggers observed in ``phase`` (morning items in the morning,
    the others after the session), memoised: stages are immutable."""
    hit = _PHASES.get((id(stage), phase))
    if hit is not None and hit[0] is stage:
        return hit[1]
    crits = tuple(
        c
        for c in (*stage.exit_criteria, *stage.regression_triggers)
        if (ALL_ITEMS[c.item].observed == "morning") == (phase == "morning")
    )
    if len(_PHASES) > 4096:
        _PHASES.clear()
    _PHASES[(id(stage), phase)] = (stage, crits)
    return crits


def _observe_stage(
    stage: Stage,
    state: ProgrammeState,
    ctx: DayContext,
    phase: str,
    exit_ctx: DayContext | None = None,
    fail_ctx: DayContext | None = None,
    lower: list[tuple[Criterion, Observation]] | None = None,
    left_out: NotCounted = "session",
    run_answers: bool = True,
    capped: bool = False,
) -> tuple[ProgrammeState, list[tuple[Trigger, Observation]]]:
    """Update the stage's criteria streaks; return the state and the triggers that fired.

    ``exit_ctx`` (default ``ctx``) is what the exit criteria see: a session that does not
    count (inside a rest interval, above the day's cap, against the plan) is left out of it,
    while the regression triggers still see everything. ``fail_ctx`` is what such a session
    still shows: a result there that fails an exit criterion is evidence of not meeting it and
    resets its streak (only passing results of a discounted session are ignored). A passing
    result left out is remembered as not counted (``left_out`` says why) until the criterion's
    next counted observation, so nobody reads "not reported yet" about a result they sent.
    ``lower`` collects the observations decided by a leg pair read the other way round
    (``engine.evaluate.observe``), to be explained. ``run_answers`` False: the session had
    no run (``_session``), so its answers (pain, tightness, confidence in the fastest
    efforts) pass no exit criterion on them ("no symptoms in training"); one they fail still
    resets it, and its tests and checks count as usual. ``capped``: the day's plan kept
    running below the stage's full speed (a first run back, the easy day after it, a modified
    or rest-interval day), so a run on it is no speed re-test: a trigger on running too slowly
    (H7 "Vmax < 95 % on a re-test") does not read it.
    """
    streaks = dict(state.streaks)
    observed = dict(state.observed)
    not_counted = dict(state.not_counted)
    fired: list[tuple[Trigger, Observation]] = []
    changed = False
    for c in _phase_criteria(stage, phase):
        if capped and isinstance(c, Trigger) and _too_slow(c):
            continue
        ob = observe(c, ctx if isinstance(c, Trigger) or exit_ctx is None else exit_ctx, phase)
        if fail_ctx is not None and not isinstance(c, Trigger) and (ob is None or ob.satisfied):
            failed = observe(c, fail_ctx, phase)
            if failed is not None and not failed.satisfied:
                ob = failed
            elif ob is None and failed is not None and not_counted.get(c.id) != left_out:
                not_counted[c.id] = left_out
                changed = True
        if (
            not run_answers
            and ob is not None
            and ob.satisfied
            and not isinstance(c, Trigger)
            and c.item.startswith("session.")
        ):
            if not_counted.get(c.id) != left_out:
                not_counted[c.id] = left_out
                changed = True
            continue
        if ob is None:
            continue
        changed = True
        if not isinstance(c, Trigger):
            not_counted.pop(c.id, None)
        if ob.lower_leg is not None and lower is not None:
            lower.append((c, ob))
        if ob.value is not None:
            observed[c.id] = shown(ob.value)
        streaks[c.id] = streaks.get(c.id, 0) + 1 if ob.satisfied else 0
        if isinstance(c, Trigger) and streaks[c.id] >= c.count:
            fired.append((c, ob))
            streaks[c.id] = 0
    if not changed:
        return state, fired
    update = {"streaks": streaks, "observed": observed, "not_counted": not_counted}
    return state.model_copy(update=update), fired


# Speed items whose value falls as the athlete runs slower (a trigger below a floor on them
# reads "too slow"), and those that rise (above a ceiling).
_SLOWER_IS_LOWER = frozenset({"derived.pct_vmax", "derived.vmax_pct_baseline"})
_SLOWER_IS_HIGHER = frozenset(
    {"derived.worst_split_pct_baseline", "derived.worst_10_20m_split_pct_baseline"}
)


def _too_slow(c: Trigger) -> bool:
    """Whether a trigger fires on running too slowly (a speed re-test failed)."""
    return (c.item in _SLOWER_IS_LOWER and c.op in ("lt", "le")) or (
        c.item in _SLOWER_IS_HIGHER and c.op in ("gt", "ge")
    )


def _observe_morning(
    stage: Stage,
    st: ProgrammeState,
    day: DayRecord,
    baseline: Metrics | None,
    sym: SymptomBaseline | None,
) -> tuple[ProgrammeState, list[tuple[Trigger, Observation]]]:
    """Observe the stage's morning criteria and triggers. While running is stopped until a
    clinician's review, a morning earns no exit criterion (protocol notes (10): what the stage
    needs is earned again after the review; "2 mornings in a row" counts from the review on),
    and the triggers still see it."""
    ctx = _ctx(day, baseline, st, sym, False)
    stopped = None
    if st.suspended:
        stopped = _ctx(day.model_copy(update={"morning": None}), baseline, st, sym, False)
    return _observe_stage(stage, st, ctx, "morning", stopped)


def _achilles_next_morning(
    protocol: Protocol,
    st: ProgrammeState,
    yesterday: DayRecord | None,
    day: DayRecord,
    mr: MorningResult,
) -> MorningResult:
    """The morning verdict after a session whose heel raises collapsed without any pain that
    day: pain this morning makes it the possible Achilles rupture a day late (reference §5
    tier 2: stop, the clinician the same day), unless the morning is already a stop of that
    tier or higher. (A collapse with pain that day stopped then.)

    A collapse without pain that day but with pain the day before already stopped then, with
    a same-day alert. While running is still stopped awaiting the clinician since, this
    morning's pain is the same episode: the athlete is told again to stop and be assessed
    today, but the clinician, who has that alert, gets no fresh one (as ``week_rise_alerted``
    and the bot's same-day dedupe keep repeats out). A morning with a red flag of its own
    (a new sign, or a more urgent tier) is never held back: it alerts as ever."""
    if yesterday is None or reports_pain(yesterday.morning, yesterday.session):
        return mr
    ls = st.last_session
    stage = ls.stage if ls is not None and ls.date == yesterday.date else st.stage
    collapse = heel_raise_collapse(
        yesterday.session,
        st.best_heel_raise_lsi,
        st.best_heel_raise,
        above_by_stage=heel_raises_above_half_by_stage(protocol, stage),
    )
    tri = triage_achilles_next_morning(protocol, collapse, day.morning)
    if tri is None or (mr.triage is not None and mr.triage.tier <= tri.tier):
        return mr
    stop = red_flag_stop(tri, "redflag.achilles", STOP_TEXT["redflag.achilles"], separator="; ")
    same_episode = (
        st.suspended
        and st.achilles_alerted == yesterday.date
        and mr.triage is None  # no red flag of the morning's own
        and len(tri.signs) == 1  # the collapse only
    )
    if same_episode:
        return stop.model_copy(update={"already_alerted": True})
    return stop


def decide_day(
    protocol: Protocol,
    injury: Injury,
    baseline: Metrics | None,
    state: ProgrammeState,
    day: DayRecord,
    recent: Sequence[DayRecord],
) -> tuple[DayOutcome, ProgrammeState]:
    """Decide one calendar day: the morning verdict, the protocol decision (progress / hold /
    step back / stop), the stage at the end of the day, reasons, alerts, instructions and the
    plan. ``recent`` holds earlier days (only the last 28 are read)."""
    on = day.date
    acc = _Acc()
    esc = protocol.rules.escalation
    st = _pruned(protocol, state, on)
    stage0 = st.stage
    decision: DecisionKind | None = None
    hold_today = False

    # The day's morning is judged against the symptom baseline it had before any clinician
    # action recorded that day: a review or sign-off re-sets the baseline for the mornings
    # after it, and one tapped later the same day (the bot files it under that date) must
    # not turn that morning's rise over the athlete's usual into "go".
    # A tightness the clinician accepted as usual is the exception: it is for the day's
    # morning already (the bot files it under the day of the athlete's next check-in,
    # ``bot.services.clinician.actions.review_effective_day``), so it is folded in first.
    actions = list(day.clinician_actions)
    # Accepted today after the day's last action that may lift a stop (in the order they
    # were recorded): that review keeps it; one recorded before the review is dropped by it
    # like any earlier one (``_stop_lifted``): the stop came after it.
    last_usual = max((i for i, a in enumerate(actions) if a.kind == "usual_tightness"), default=-1)
    last_lift = max((i for i, a in enumerate(actions) if a.kind in _LIFTING_KINDS), default=-1)
    usual_today: int | None = None
    for a in actions:
        if a.kind == "usual_tightness":
            before = st
            st = _usual_tightness(protocol, st, a, acc)
            if st is not before and last_usual > last_lift:
                usual_today = st.usual_tightness
    said_today = any(a.kind == "usual_tightness" for a in actions)
    needed = protocol.rules.morning.baseline_green_mornings.value
    sym = symptom_baseline(st, needed, protocol)
    usual = accepted_usual(st, protocol)
    if (
        usual is not None
        and sym is not None
        and sym.tightness == usual
        and day.morning is not None
        # The day the clinician's action takes effect says so itself: not said twice.
        and not said_today
    ):
        # Only while the morning is read against the usual itself (not lower green mornings);
        # not on a day stopped or awaiting a review, nor beside the rest at a stage with
        # running (``_usual_note_agrees``).
        tight = day.morning.tightness
        if tight is not None:
            acc.reason(
                "morning.usual_tightness",
                f"Tightness {tight}/10, {tight - usual:+d} vs the usual your clinician "
                f"accepted ({usual}/10).",
                tight,
                usual,
            )

    # 1. Clinician actions (a scenario's `clearance: true` is a `clear`).
    actions = [a for a in actions if a.kind != "usual_tightness"]
    if day.clearance and not any(a.kind == "clear" for a in actions):
        # The day flag alone (scenario files) is a clearance of the stage of the day; the
        # bot also sends the clearance itself, with the stage it was given for.
        actions.insert(0, ClinicianAction(kind="clear"))
    for a in actions:
        st, moved, held = _clinician(protocol, st, a, on, acc)
        decision = moved or decision
        hold_today = hold_today or held
    if usual_today is not None and st.usual_tightness is None:
        st = st.model_copy(update={"usual_tightness": usual_today})
    st_actions = st  # after the clinician's actions: what a sign-off given earlier rests on
    paused_today = day.paused or st.paused
    active = day.morning is not None or day.session is not None or day.checks is not None
    away = st.away_days if st.away_days is not None else st.missed_streak
    no_run = st.no_run_days if st.no_run_days is not None else away
    gap = _gap_due(protocol, st, away, no_run)
    if active and not paused_today and decision is None and gap is not None:
        days, level, for_no_run = gap
        decision, st = _after_gap(protocol, st, on, away, acc, no_run=days if for_no_run else None)
        if decision == "step_back":
            # The count starts afresh at the lower stage: days without a run there are acted
            # on again (a restart, then a further step back), not left to grow unheeded.
            st = st.model_copy(update={"no_run_days": 0, "no_run_acted": 0})
            no_run = 0
        else:
            st = st.model_copy(update={"no_run_acted": max(st.no_run_acted, level)})
    elif st.stage != stage0 or decision is not None:
        # A clinician who moves the athlete (or sets the stage they are in: it is entered
        # afresh) decides for the days without a run so far: the gap rule does not undo the
        # move the next day. The count starts afresh at the new
        # stage, so days without a run after the move are acted on like any others; after a
        # week or more without one, the first run at the new stage is still the capped one.
        easy = st.easy_first_run or (
            no_run >= GAP_RESTART_DAYS and gap_cap(protocol, protocol.stage(st.stage)) is not None
        )
        st = st.model_copy(update={"no_run_days": 0, "no_run_acted": 0, "easy_first_run": easy})
        no_run = 0
    # A session answered before the day's check-in was done without one: it is judged so,
    # whatever the check-in says later, and the check-in prescribes no second session (a red
    # flag in it still stops, with the stop's plan).
    ran_first = day.session_before_checkin()
    # The stage the day's decisions start from (after any clinician move); a progression the
    # gate makes later today is what a bad session undoes.
    stage_am = st.stage
    earlier = (stage0, stage_am)

    grade, max_grade = injury.grade, protocol.max_default_grade
    if on == st.start and grade is not None and max_grade is not None and grade > max_grade:
        acc.reason(
            "protocol.grade",
            f"Grade {grade} is above what this default protocol is "
            f"for (≤ {max_grade}): the clinician should use a clinician-authored variant.",
            grade,
            f"≤ {max_grade}",
        )
        acc.alert(
            "within_24h",
            "protocol.grade",
            f"Grade {grade} {injury.injury} injury: the "
            f"default '{protocol.name}' protocol is not meant for it; please set up a "
            "variant with longer minimum stage durations (reference §2.1 / §3.1).",
        )
    mechanism = injury.mechanism
    if on == st.start and mechanism is not None and mechanism in protocol.not_default_mechanisms:
        kind = _MECHANISM_WORDS.get(mechanism, f"{mechanism.capitalize()}-type")
        acc.reason(
            "protocol.mechanism",
            f"{kind} injury: not what this default protocol is for; the clinician should use "
            "a clinician-authored variant.",
            mechanism,
            "not " + ", ".join(protocol.not_default_mechanisms),
        )
        acc.alert(
            "within_24h",
            "protocol.mechanism",
            f"{kind} {injury.injury} injury: the default '{protocol.name}' protocol is not "
            "meant for it; please set up a variant with longer minimum stage durations "
            "(reference §2.1).",
        )

    # 2. Morning verdict. Until a clinician has reviewed a stop, no morning is go or modify.
    window = _scan_window(protocol, recent, on)
    # At a stage with running (the stage of the day, after any clinician move but before the
    # day's own progress or step back), tightness of 4/10 or more rests whatever the baseline.
    mr = morning_verdict(
        protocol, day.morning, window.hooper, sym, running=protocol.stage(st.stage).running
    )
    yesterday = next((r for r in recent if r.date == on - dt.timedelta(days=1)), None)
    mr = _achilles_next_morning(protocol, st, yesterday, day, mr)
    # A morning that cannot rule symptoms out (no check-in; pain, tightness or the red-flag
    # screen unanswered) neither adds to nor ends a run of rest mornings.
    unknown = mr.readiness == "missing" or (mr.level == "rest" and not mr.step_back_candidate)
    if st.suspended:
        mr = awaiting_review(mr, _since(st))
    acc.reasons += mr.reasons
    acc.alerts += mr.alerts
    acc.instructions += mr.instructions
    red_flag = mr.level == "stop"
    before = st
    st = _morning_streaks(protocol, st, mr, day, acc, paused=paused_today, unknown=unknown)
    st = _rest_worsening(protocol, st, before, mr, day.morning, on, acc, unknown=unknown)
    if mr.step_back_candidate and st.rest_streak == esc.rest_mornings_clinician.value:
        # The 3rd rest morning in a row (symptoms persisting or worsening, reference §4.1 p3
        # and §5 tier 3): the clinician is asked within 24 h, and running does not restart
        # until they have reviewed (as for symptoms still up 48 h after a session).
        st = _suspend(st, on)
        acc.reason(
            "morning.p3.review",
            f"Rest verdict {st.rest_streak} mornings in a row: no running until the clinician "
            "has reviewed.",
            st.rest_streak,
            esc.rest_mornings_clinician.value,
        )
    if red_flag:
        decision = "stop"
        st = _stop(protocol, st, on, acc)
    st = _poor_wellness(protocol, st, day, window.poor_days, acc)
    step_back_reasons: list[str] = []
    # One step back on the 2nd rest morning; from the 3rd the clinician decides (alerted below).
    if mr.step_back_candidate and st.rest_streak == esc.rest_mornings_step_back.value:
        step_back_reasons.append("morning.p3.repeat")
        acc.reason(
            "morning.p3.repeat",
            f"Rest verdict {st.rest_streak} mornings in a row: step back one stage.",
            st.rest_streak,
            esc.rest_mornings_step_back.value,
        )

    # 3. The 24-hour rule for the previous session, and the 48-hour watch.
    st, resp = _next_morning(protocol, st, day, acc)
    if resp == "step_back":
        step_back_reasons.append("24h.step_back")
    elif resp in ("hold", "missing"):
        hold_today = True
    if ran_first:
        # The day's training happened before anything was prescribed: no moving on today.
        hold_today = True
    if _week_rise(protocol, day, window.weekly, acc):
        hold_today = True
        if st.week_rise_alerted is None or (on - st.week_rise_alerted).days >= 7:
            acc.alert(
                "info",
                "24h.week_rise",
                "Morning pain or tightness has risen week on week "
                "(7-day mean up ≥ 1 point): stage held, please review.",
            )
            st = st.model_copy(update={"week_rise_alerted": on})

    # 4. Morning-phase criteria and triggers of the current stage (not on a stop: what the
    # stage needs is earned again after the review).
    stage = protocol.stage(st.stage)
    fired: list[tuple[Trigger, Observation]] = []
    if not red_flag:
        st, fired = _observe_morning(stage, st, day, baseline, sym)
    for trig, ob in fired:
        kind = _trigger(trig, ob, acc)
        if kind == "step_back":
            step_back_reasons.append(trig.id)
        else:
            hold_today = True

    # 5. Decide: stop > clinician move > pause > step back > suspension (hold) > gate.
    awaiting = False
    later = _later_runs(protocol, baseline, st, day)
    if decision is None:
        if paused_today:
            decision = "hold"
            acc.reason("clinician.paused", "Programme paused: no prompts, no progression.")
        elif step_back_reasons:
            decision, st = _step_back(protocol, st, on, acc, step_back_reasons[0])
        elif st.suspended:
            decision = "hold"
        else:
            items = gate_items(
                protocol,
                injury,
                _with_runs(st, later),
                on,
                mr.readiness,
                red_flag=red_flag,
                morning=day.morning,
                at=day.morning_at,
            )
            unmet = [i for i in items if not i.met]
            if (
                not unmet
                and not hold_today
                and (
                    _tightness_bars_running(protocol, st, day, acc)
                    or _tightness_bars_moving_up(protocol, st, day, acc)
                )
            ):
                decision = "hold"
            elif not unmet and not hold_today:
                decision, st = _progress(protocol, st, on, acc, items)
            else:
                decision = "hold"
                for i in unmet:
                    said = f"Not yet: {i.text.rstrip('.')}."
                    if i.not_counted is not None:
                        said += " " + NOT_COUNTED_TEXT[i.not_counted]
                    acc.reason(i.rule, said, i.observed, i.needed)
                if hold_today and not unmet:
                    acc.reason("hold", "Held today (see the reasons above).")
                awaiting = bool(unmet) and all(i.rule == "gate.8" for i in unmet) and not hold_today
                if awaiting and not st.clearance_requested:
                    acc.alert(
                        "info",
                        "gate.8",
                        f"Stage {st.stage} criteria met: sign-off needed to "
                        f"move on ({protocol.stage(st.stage).signoff_note or 'clearance'}).",
                    )
                    st = st.model_copy(update={"clearance_requested": True})

    st_am = st  # what the gate saw this morning (for a stall message at the end of the day)
    if st.stage != stage.id:
        # The morning also counts for the stage entered this morning (e.g. "2 mornings in a row").
        st, fired = _observe_morning(protocol.stage(st.stage), st, day, baseline, sym)
        for trig, ob in fired:
            _trigger(trig, ob, acc)
    plan = (
        None
        if paused_today or mr.readiness == "missing" or (ran_first and not red_flag)
        else _plan(protocol, baseline, st, mr, on, earlier, day.morning_at, later)
    )

    # 6. Today's session, in the stage the athlete is in now.
    ran_at_speed = _kept_speed(protocol, baseline, protocol.stage(st.stage), day.session, plan)
    readiness = mr.readiness
    session_class: SessionClass | None = None
    if day.session is not None:
        st, decision, session_class = _session(
            protocol,
            baseline,
            st,
            day,
            mr,
            sym,
            decision,
            stage_am,
            earlier,
            plan,
            later,
            acc,
            pain_day_before=yesterday is not None
            and reports_pain(yesterday.morning, yesterday.session),
            at_speed=ran_at_speed,
        )
    else:
        cstage = protocol.stage(st.stage)
        ctx = _ctx(day, baseline, st, sym, False)
        # While running is stopped, what the stage needs is not earned (the triggers still see
        # everything).
        stopped = _ctx(day, baseline, st, sym, False, hide_checks=True) if st.suspended else None
        # ... but a failing check is still evidence of not meeting the criterion.
        st, fired = _observe_stage(
            cstage, st, ctx, "day", stopped, ctx if st.suspended else None, left_out="review"
        )
        st, decision = _apply_triggers(protocol, st, on, fired, decision, acc, stage_am)
    if plan is not None and decision == "stop" and plan.readiness != "stop":
        # A stop later in the day (sharp pain, a pop in the session): nothing more today, and
        # no running until the clinician has reviewed (the morning's plan no longer holds).
        plan = prescribe(protocol, st.stage, baseline, "stop")
    elif plan is not None and (plan.stage != st.stage or (st.suspended and plan.running)):
        # A step back later in the day (the session, a trigger on checks logged on their own)
        # replaces the morning's plan as a stop does: what /plan shows from then on is the
        # lower stage's session, with the rest after today's run (of both stages) and any cap
        # its re-entry sets, never the higher stage's speeds the athlete was moved back from.
        stepped = plan.stage != st.stage
        plan = _plan(
            protocol, baseline, st, mr, on, earlier, day.morning_at, later, after_today=stepped
        )

    # 7. The end of the day: a sign-off given too early, symptom-free days, stalls, escalations.
    st = _check_clearance(protocol, injury, st, on, acc)
    st = _clearance_contradicted(protocol, injury, st_actions, st, day, acc)
    free = (
        symptom_free_morning(day.morning)
        and symptom_free_session(day.session)
        and symptom_free_checks(day.checks)
    )
    streak = st.symptom_free_streak + 1 if free else 0
    if streak != st.symptom_free_streak:
        st = st.model_copy(update={"symptom_free_streak": streak})
    # A day without any answer (and not paused) is time away: no stall or no-progress alert
    # is raised on it (the missed check-ins speak for it); one due is raised on the day back.
    away_today = not active and not paused_today
    st = _stall(
        protocol,
        injury,
        baseline,
        st,
        st_am,
        day,
        mr,
        decision,
        acc,
        paused=paused_today,
        away=away_today,
    )
    if protocol.next_stage(stage0) is None and st.stage != stage0:
        # Days at the final stage had nothing to progress to: the no-progress clock starts
        # when the athlete leaves it (a stop in return to play, a clinician's move back), not
        # at the progression into it weeks before ("no progression for 60 days").
        st = st.model_copy(update={"last_progress": on, "paused_since_progress": 0})
    if decision == "stop":
        # The first session back after time away at the final stage (``_final_gap``) is not
        # today's: a stop prescribes none, and the stop's own reasons say what follows.
        acc.reasons = [r for r in acc.reasons if r.rule != "gap.final"]
    st = _escalations(protocol, st, on, decision, acc, paused=paused_today, away=away_today)
    if paused_today:
        st = _paused_day(st)
    away_after = 0 if active and not paused_today else away + 1
    if away_after != st.away_days:
        st = st.model_copy(update={"away_days": away_after})
    st = _count_no_run(protocol, st, no_run, ran_at_speed)
    away_paused = 0 if away_after == 0 else st.away_paused + (1 if paused_today else 0)
    if away_paused != st.away_paused:
        st = st.model_copy(update={"away_paused": away_paused})
    if (
        decision == "progress"
        and st.stage == protocol.full_training_stage
        and st.full_training_reached is None
    ):
        st = st.model_copy(update={"full_training_reached": on})
    _usual_note_agrees(acc, decision, st)
    _agree_with_the_day(acc, plan, decision, st, on)
    outcome = DayOutcome(
        date=on,
        stage=stage0,
        readiness=readiness,
        session_class=session_class,
        decision=decision,
        stage_after=st.stage,
        reasons=acc.reasons,
        alerts=acc.alerts,
        instructions=acc.instructions,
        plan=plan,
        awaiting_clearance=awaiting,
        review_pending=st.suspended,
    )
    return outcome, st


def _gap_level(protocol: Protocol, stage_id: str, days: int) -> int:
    """What a gap of ``days`` calls for at ``stage_id`` (protocol notes (21)): 0 nothing, 1 a
    restart of the stage (at the final stage: the capped first run back), 2 a step back (at
    a stage of maximal sprints from 7 days, elsewhere from 14; never below the first stage,
    where it is a restart; at the final stage: the capped first run and the clinician told)."""
    if days < GAP_RESTART_DAYS:
        return 0
    if protocol.next_stage(stage_id) is None:
        return 2 if days >= GAP_FINAL_ALERT_DAYS else 1
    if protocol.index(stage_id) == 0:
        return 1
    max_stage = protocol.stage(stage_id).top_pct_vmax >= protocol.rules.pain.max_pct_vmax.value
    return 2 if days >= (GAP_RESTART_DAYS if max_stage else GAP_STEP_BACK_DAYS) else 1


def _gap_due(
    protocol: Protocol, st: ProgrammeState, away: int, no_run: int
) -> tuple[int, int, bool] | None:
    """Whether today, if the athlete answers, is the first day back after a gap, and of how
    many days: (days, ``_gap_level``, whether the gap is one of days without a run). A gap is
    ``away`` days in a row paused or without any answer (each such run of days is its own
    gap, as before), or ``no_run`` days in a row without a run at the stage's speed at a
    stage of running (``_kept_speed``), check-ins or not: answering every day without running
    is no less time without speed (reference §3.2 item 5 "no load spikes, especially
    late-stage"; notes (21)). Each level of a run of days without a run is acted on once
    (``no_run_acted``). Nothing acts while running is stopped awaiting a review: the athlete
    is not running, so a restart or a step back would change nothing but the stage the
    review finds; the stop's days count as days without a run (``_count_no_run``), and the
    first day with an answer once the review has lifted the stop is the first day back. Paused
    days count in both (``_count_no_run``), and nothing acts while paused (``decide_day``), so
    a pause of 7 days or more makes both due on the first day back: one is acted on, with its
    own reason. The days away ("welcome back", their count) when they alone call for as much
    as the days without a run: the athlete was away, and that is what they are told; the days
    without a run only when the days before the pause take them to a further step (a step
    back after a pause too short for one by itself), since only that count says why."""
    if st.suspended:
        return None
    level_away = _gap_level(protocol, st.stage, away)
    level_run = 0
    if protocol.stage(st.stage).running:
        level_run = _gap_level(protocol, st.stage, no_run)
    if level_run > st.no_run_acted and level_run > level_away:
        return no_run, level_run, True
    if level_away > 0:
        return away, level_away, False
    return None


def _kept_speed(
    protocol: Protocol,
    baseline: Metrics | None,
    stage: Stage,
    session: SessionReport | None,
    plan: SessionPlan | None,
) -> bool:
    """Whether the day's session was a run at the stage's speed, the run that ends a gap of
    days without one (``no_run_days``): at least the stage's first run back after a gap
    (``gap_cap``: the bottom of its fastest drill, below max speed), measured (the reading
    when there is one, else the typed % Vmax; a reading left out as implausible is no
    reading) or, without a reading, a report of running (fast runs counted) or one without
    any numbers or with test results only, done in full, on a day whose plan had running at
    that speed (taken to have followed the plan, reference §0.3: a report cannot tell a run
    by feel with a strength test from a test day), or full team or event training. Whether the run
    counted for the stage does not matter here: the muscle met the speed. Tests or strength
    work alone on a day without running or not done in full, or a slower run (a jog at a
    stage of sprints), are not: the first max sprint after them would be the load spike."""
    if session is None or not stage.running:
        return False
    if session.checks.full_training is True:
        return True
    need = gap_cap(protocol, stage)
    # A session done in full is taken to have followed the plan, and so to have met the
    # plan's speed: the stage's when the plan reached the cap, none when it was capped below
    # it (a modified morning, a rest interval). A stopped or partial one may have had no
    # fast run at all.
    band = _plan_band(stage, plan) if plan is not None and plan.running else None
    plan_speed = band is not None and (need is None or band.hi >= need)
    followed = session.completion == "full" and plan_speed
    if tests_only(session):
        # Tests with the plan's session done in full: run by feel, as a report without
        # numbers (the rest rules read it so too); otherwise tests alone are no run.
        return followed
    checked = confirm(session, baseline).session
    mpct = measured_pct(checked, baseline)
    # The measured speed when there is one: a typed % above it is not the speed the muscle met.
    pct = mpct if mpct is not None else checked.metrics.top_pct_vmax
    if pct is not None:
        # Rounded: a reading in m/s at exactly the cap comes out a hair below it in floats.
        return round(pct, 2) >= need if need is not None else pct > 0
    numbers = any(v is not None for v in session.metrics.model_dump().values())
    return ran(session) or (followed and not numbers)


def _count_no_run(
    protocol: Protocol, st: ProgrammeState, no_run: int, ran_at_speed: bool
) -> ProgrammeState:
    """The days without a run at the stage's speed at the end of a day (``no_run_days``): a
    run ends them; a day at a stage without running neither counts nor ends them; every other
    day counts, whatever its plan (a rest interval, a morning capped below the stage's speed
    for poor sleep, wellness, a painful test, tightness or low confidence, a stop awaiting a
    review, a pause), answered or not: the muscle meets no speed on it, and the first full
    plan after weeks of them would be the stage's full session (at a stage of max sprints, a
    max sprint: the load spike of reference §3.2 item 5). The stage's usual rhythm (a max
    session every 72 h, a run every other day) never reaches a gap. Nothing acts on the count
    while paused (``decide_day`` acts on a gap only on a day with an answer and no pause)."""
    if ran_at_speed:
        count, acted = 0, 0
    else:
        acted = st.no_run_acted
        count = no_run if not protocol.stage(st.stage).running else no_run + 1
    if count == st.no_run_days and acted == st.no_run_acted:
        return st
    return st.model_copy(update={"no_run_days": count, "no_run_acted": acted})


def _after_gap(
    protocol: Protocol,
    st: ProgrammeState,
    on: dt.date,
    away: int,
    acc: _Acc,
    *,
    no_run: int | None = None,
) -> tuple[DecisionKind | None, ProgrammeState]:
    """The first day back after ``away`` days paused or without any answer, or (``no_run``)
    after that many days without a run at the stage's speed, answered or not (``_gap_due``).
    The reference is silent on gaps; the conservative reading (protocol notes (21)): what the
    stage needs (criteria, sessions and their 24-hour responses, minimum days, a sign-off) was
    shown by an athlete who has not trained since, so it is earned again, and after two weeks
    the athlete also steps back one stage (its template, re-entry after green sessions as
    after any step back, reference §4.4), never below the first; the final stage is left as
    it is (nothing to progress to; ``_final_gap``). The clinician is told (info). The gap's
    silent days (``away``: check-in days were counted already) are left out of the
    no-progress clock as of the stall (``_no_progress_clock_after_gap``), and a step back for
    the gap is not one of the step-backs that ask for a review: it says nothing against the
    stage (``_back_to``)."""
    days = no_run if no_run is not None else away
    if protocol.next_stage(st.stage) is None:
        return None, _final_gap(protocol, st, days, acc, no_run=no_run is not None)
    # Only a gap of silent days leaves them out of the clocks: a few days without an answer
    # inside days without a run count, as they would without the gap.
    away = away if away >= GAP_RESTART_DAYS else 0
    st = st.model_copy(update=_no_progress_clock_after_gap(st, on, away))
    decision: DecisionKind | None = None
    # At a stage of maximal sprints a week away is enough to step back: its first session
    # back would otherwise be a max sprint on a week without any speed (a load spike).
    max_stage = protocol.stage(st.stage).top_pct_vmax >= protocol.rules.pain.max_pct_vmax.value
    step_back_after = GAP_RESTART_DAYS if max_stage else GAP_STEP_BACK_DAYS
    if days >= step_back_after and protocol.index(st.stage) > 0:
        prev = protocol.previous_stage(st.stage)
        if no_run is not None:
            acc.reason(
                "gap.step_back",
                f"No run at this stage's speed for {days} days: you go back one stage, and "
                "what it needs is earned again: fitness fades in that time, and the muscle "
                "needs to get used to the speed again.",
                days,
                f"< {step_back_after} days",
            )
            acc.alert(
                "info",
                "gap.step_back",
                f"No run at {st.stage}'s speed for {days} days (check-ins alone do not keep "
                f"it): moved back from {st.stage} to {prev}; its criteria, sessions and any "
                "sign-off are earned again.",
            )
        else:
            acc.reason(
                "gap.step_back",
                f"Welcome back: after {days} days without training with the plan, you restart "
                "one stage lower, and what the stage needs is earned again: fitness fades in "
                "that time, and the muscle needs to get used to the speed again.",
                days,
                f"< {step_back_after} days",
            )
            acc.alert(
                "info",
                "gap.step_back",
                f"Back after {days} days without a check-in or session (or paused): moved "
                f"back from {st.stage} to {prev}; its criteria, sessions and any sign-off are "
                "earned again.",
            )
        decision, st = _step_back(protocol, st, on, acc, "gap.step_back", counted=False)
    else:
        if no_run is not None:
            acc.reason(
                "gap.restart",
                f"No run at this stage's speed for {days} days: what this stage needs "
                "(results, sessions and days) is earned again before you move on, and your "
                "first run back is an easier one.",
                days,
                f"< {GAP_RESTART_DAYS} days",
            )
            acc.alert(
                "info",
                "gap.restart",
                f"No run at {st.stage}'s speed for {days} days (check-ins alone do not keep "
                f"it): what {st.stage} needs (criteria, sessions, minimum days, any sign-off) "
                "is earned again.",
            )
        else:
            acc.reason(
                "gap.restart",
                f"Welcome back: after {days} days without training with the plan, what this "
                "stage needs (results, sessions and days) is earned again before you move on.",
                days,
                f"< {GAP_RESTART_DAYS} days",
            )
            acc.alert(
                "info",
                "gap.restart",
                f"Back after {days} days without a check-in or session (or paused): what "
                f"{st.stage} needs (criteria, sessions, minimum days, any sign-off) is earned "
                "again.",
            )
        clock = _stall_clock_after_gap(st, on, away)
        st = enter_stage(st, st.stage, on).model_copy(update=clock)
    # The last session (its 24-hour response long settled) opens no gate after the gap; the
    # 48-hour watch of an elevated one stays. The first run back is an easy one (``gap_cap``).
    easy = protocol.stage(st.stage).running
    return decision, st.model_copy(update={"last_session": None, "easy_first_run": easy})


def _stall_clock_after_gap(st: ProgrammeState, on: dt.date, away: int) -> dict[str, object]:
    """The stall clock of a stage restarted on ``on`` after ``away`` days away: it runs on
    from the days counted before the gap (a restart is not progress: a week's pause every few
    days must not keep a stage that has not moved from ever being named), and the gap's days
    are not counted, paused or silent (the athlete was away; the gap rule and its alert
    speak for them; the no-progress clock leaves them out as well,
    ``_no_progress_clock_after_gap``). The date of the last stall alert moves on by the gap's
    silent days, as it does by each paused day (``_paused_day``), so its repeat comes 7
    counted days after it (no stall is named on a silent day: ``_stall``)."""
    start = st.stall_from or st.stage_entered
    paused_gap = max(0, min(st.away_paused, st.paused_in_stage, away))
    gap_start = on - dt.timedelta(days=away)
    counted = max(0, (gap_start - start).days - (st.paused_in_stage - paused_gap))
    update: dict[str, object] = {
        "stall_from": on - dt.timedelta(days=counted),
        "paused_in_stage": 0,
    }
    last = st.stall_alerted
    if last is not None and last >= start:
        update["stall_alerted"] = min(on, last + dt.timedelta(days=away - paused_gap))
    return update


def _no_progress_clock_after_gap(st: ProgrammeState, on: dt.date, away: int) -> dict[str, object]:
    """The no-progress clock (reference §4.4: 14 days) on the first day back after ``away``
    days away: it runs on from the days counted before the gap (a gap is not progress), and
    the gap's silent days are left out as its paused days already are (``_paused_day``), as
    the stall clock leaves them out (``_stall_clock_after_gap``): the athlete was away, the
    missed check-ins and the gap's own alert told the clinician, and "no progression" is about
    days the athlete trained. The date of its last alert moves on by the same days, so a
    repeat comes 14 counted days after it."""
    paused_gap = max(0, min(st.away_paused, st.paused_since_progress, away))
    idle = (on - st.last_progress).days - st.paused_since_progress
    silent = max(0, min(away - paused_gap, idle))
    if not silent:
        return {}
    update: dict[str, object] = {"paused_since_progress": st.paused_since_progress + silent}
    last = st.no_progress_alerted
    if last is not None:
        update["no_progress_alerted"] = min(on, last + dt.timedelta(days=silent))
    return update


def _final_gap(
    protocol: Protocol, st: ProgrammeState, away: int, acc: _Acc, *, no_run: bool = False
) -> ProgrammeState:
    """The first day back after ``away`` days at the final stage (return to play and
    maintenance, H7 / C7): the stage stays (it has nothing to earn, and the reference's answer
    at this stage is to notify the clinician, not to move the athlete: "re-test failure →
    targeted block and clinician notified"), but the first run back is capped as at every
    other stage (``gap_cap``: nothing at max speed, and so no full team training or match
    that day) and an easy day follows it (``final_gap_rest``), since after a week or more
    without speed a match or a max sprint is the load spike reference §3.2 item 5 warns of,
    "especially late-stage", in the high-risk weeks after return to play (§2.2 H7, P10: 9 %
    re-injury by 2 months). From 14 days away the re-tests of the stage (sprint and strength
    every 2–4 weeks) have lapsed: the clinician is told (info), and decides on a re-test or a
    move back (protocol notes (21)). ``no_run``: the ``away`` days were days without a run
    at the stage's speed, check-ins or not (``_gap_due``)."""
    stage = protocol.stage(st.stage)
    cap = gap_cap(protocol, stage)
    if cap is not None:
        hours = max(r.hours for r in final_gap_rest(protocol))
        said = (
            f"No run at this stage's speed for {away} days: your next session stays below "
            "full speed"
            if no_run
            else f"Welcome back: after {away} days without training with the plan, your first "
            "session back stays below full speed"
        )
        acc.reason(
            "gap.final",
            f"{said} (nothing above {cap:g} % Vmax) and without "
            "full team or event training or matches: the muscle needs to get used to the speed "
            f"again. Your usual sessions return {hours} h after that run.",
            away,
            f"< {GAP_RESTART_DAYS} days",
        )
    if away >= GAP_FINAL_ALERT_DAYS:
        # The clinician reads the whole plan the athlete is given: the capped first run, the
        # easy day after it (``final_gap_rest``) and when the usual sessions return.
        capped = (
            f"the first session back is capped at {cap:g} % Vmax, without full training or "
            f"matches. An easy day follows it: {_final_gap_easy_day(protocol)}"
            if cap is not None
            else "no session is capped"
        )
        back = (
            f"At the final stage {stage.id}, no run at its speed for {away} days (check-ins "
            "alone do not keep it)"
            if no_run
            else f"Back after {away} days without a check-in or session (or paused) at the "
            f"final stage {stage.id}"
        )
        acc.alert(
            "info",
            "gap.final",
            f"{back}: {capped}. Its sprint and strength re-tests are due: please "
            "review whether a re-test or a move back a stage is needed before matches.",
        )
    return st.model_copy(
        update={"last_session": None, "easy_first_run": cap is not None, "final_gap_run": None}
    )


def _final_gap_easy_day(protocol: Protocol) -> str:
    """The easy day after the first run back at the final stage (``final_gap_rest``), as the
    clinician's ``gap.final`` alert says it: what it leaves out and when the usual sessions
    return (the protocol's numbers; a rule from any running, at most 50 % Vmax, leaves no
    running, as ``rest.cap_for_today`` reads it)."""
    rules = final_gap_rest(protocol)
    hours = max(r.hours for r in rules)
    from_pct = min(r.from_pct for r in rules)
    left_out = "no running" if from_pct <= 50 else f"nothing at or above {from_pct:g} % Vmax"
    return (
        f"{left_out} and no full training or matches; the usual sessions return {hours} h "
        "after that run"
    )


def gap_cap(protocol: Protocol, stage: Stage) -> float | None:
    """The highest % Vmax of the first run back after a gap (protocol notes (21)), or None
    for a stage without running: the bottom of the stage's fastest drill (its lowest-intensity
    session) and below the max-session threshold (as on a modified day). After a week or more
    without running, the stage's full session would be a load spike (reference §3.2 item 5
    "no load spikes, especially late-stage"; §2.2 H3 "raise ≤ +5 % Vmax per session, only
    after a green 24-h response"), and a max sprint after a gap is what note (21) steps back
    from; the stage's full session follows once the first run back is done."""
    band = _template_band(stage)
    if band is None or not stage.running:
        return None
    return min(band.lo, protocol.rules.pain.max_pct_vmax.value - 5)


def final_gap_rest(protocol: Protocol) -> tuple[rest.Rule, ...]:
    """The rest after the first run back at the final stage (protocol notes (21)): until the
    protocol's high-velocity rest interval has passed since it, nothing at or above the
    interval's threshold, and so no full team or event training or match (the plan keeps
    those from a day capped below max speed). The reference sets no rest at the final stage;
    this derives it from the stage before it, the return to full training (the shortest of
    its rest intervals, written or the reference's floor): the hamstring's H6 "normal microcycle,
    with an easy day after match-like sessions" (48 h from 95 % Vmax) and the calf's "never
    consecutive running days" (C6: 48 h from any running), reference P6. A first run back
    after a week or more without speed is followed by the easy day a match-like session
    would be, whatever its speed: the match or max sprint the stage prescribes would
    otherwise come the next day. A protocol whose stage before the final one has no rest
    interval keeps P6's 48 h from max speed. The final stage's own intervals around its max
    sessions (protocol notes (25): P6 "≥ 72 h around max sessions") hold after that run as
    well, whatever its speed: the first run back is planned up to the bottom of the stage's
    fastest drill (high speed), and a match or max sprint inside them would be against the
    plan if it was run there, so the easy days last until the longest of them has passed."""
    stages = protocol.stages
    rules = rest.rules_for(protocol, [stages[-2].id]) if len(stages) > 1 else ()
    if not rules:
        rules = (rest.Rule(48, protocol.rules.pain.max_pct_vmax.value, around_max=False),)
    shortest = min(r.hours for r in rules)
    own = rest.rules_for(protocol, [stages[-1].id]) if stages else ()
    picked = [r for r in rules if r.hours == shortest] + [r for r in own if r.around_max]
    return tuple(dict.fromkeys(rest.Rule(r.hours, r.from_pct, around_max=False) for r in picked))


def _pruned(protocol: Protocol, state: ProgrammeState, on: dt.date) -> ProgrammeState:
    """Drop dates and runs that no rule looks at any more (keeps the state small and the cost
    of a day independent of the length of the history). Every list is oldest first."""
    esc = protocol.rules.escalation
    keep = {
        "step_back_dates": esc.step_backs_window_days.value,
        "red_dates": esc.red_repeat_days.value,
        "rest_violation_dates": REST_REPEAT_DAYS,
        "against_plan_dates": AGAINST_PLAN_REPEAT_DAYS,
        "unconfirmed_dates": UNCONFIRMED_REPEAT_DAYS,
    }
    update: dict[str, object] = {}
    for name, days in keep.items():
        dates: tuple[dt.date, ...] = getattr(state, name)
        if dates and (on - dates[0]).days >= days:
            update[name] = tuple(d for d in dates if (on - d).days < days)
    runs = state.run_log
    if runs and (on - runs[0].date).days > rest.MAX_REST_DAYS:
        update["run_log"] = tuple(r for r in runs if (on - r.date).days <= rest.MAX_REST_DAYS)
    back = state.final_gap_run
    if back is not None and (on - back.date).days > rest.MAX_REST_DAYS:
        update["final_gap_run"] = None
    return state.model_copy(update=update) if update else state


def _since(st: ProgrammeState) -> str:
    """Since when the athlete waits for a review, in words."""
    if st.suspended_since is None:
        return "the last stop"
    return f"{st.suspended_since.day} {st.suspended_since:%B}"


def _suspend(st: ProgrammeState, on: dt.date) -> ProgrammeState:
    """Return ``st`` suspended until the clinician reviews. A sign-off recorded before the stop
    was given on what was known then: the gate needs a fresh clearance after the review."""
    return st.model_copy(
        update={
            "suspended": True,
            "suspended_since": st.suspended_since if st.suspended else on,
            "clearance": False,
            "clearance_requested": False,
            "clearance_on": None,
        }
    )


def reinjury_stage(protocol: Protocol) -> str | None:
    """Return the stage a stop in full training leads back to (the protocol's, else the
    reference's when the protocol has that stage)."""
    if protocol.reinjury_stage is not None:
        return protocol.reinjury_stage
    floor = FLOORS.get(protocol.injury)
    if floor is None:
        return None
    try:
        protocol.index(floor.reinjury_stage)
    except KeyError:
        return None
    return floor.reinjury_stage


def _stop(protocol: Protocol, st: ProgrammeState, on: dt.date, acc: _Acc) -> ProgrammeState:
    """A stop (red flag, sharp pain): suspend until review, let every criterion met before it
    be earned again, and from full training go back to the max-sprint stage (re-test)."""
    st = _suspend(st, on).model_copy(
        update={
            "streaks": {},
            "observed": {},
            "not_counted": {},
            "qualifying_sessions": 0,
            "green_streak": 0,
            "best_vmax": None,
            "best_splits": {},
            "best_heel_raise": None,
        }
    )
    back = reinjury_stage(protocol)
    if back is not None and protocol.index(st.stage) > protocol.index(back):
        name = protocol.stage(back).name
        acc.reason(
            "stop.reinjury",
            f"Because this happened in full training, you go back to the stage '{name}': "
            "after your clinician's review, the sprint re-test and their sign-off are "
            "needed again.",
            st.stage,
            back,
        )
        acc.alert(
            "same_day",
            "stop.reinjury",
            f"Possible re-injury in {st.stage}: the athlete is moved back to {back} "
            "(max-sprint re-test and sign-off needed again after your review).",
        )
        st = enter_stage(st, back, on)
    else:
        acc.reason(
            "stop.reset",
            "After a stop, what this stage needs (criteria and sessions) is earned again "
            "after your clinician's review.",
        )
    return st


def _check_clearance(
    protocol: Protocol, injury: Injury, st: ProgrammeState, on: dt.date, acc: _Acc
) -> ProgrammeState:
    """A sign-off counts for the gate it was given for only if the stage's exit criteria were
    all met by the end of the day it was recorded; otherwise it lapses and the clinician is
    asked again once they are. (In a stage without a sign-off gate a clearance is a review
    only, and nothing is said.)"""
    if not st.clearance or st.clearance_on != on:
        return st
    stage = protocol.stage(st.stage)
    gated = stage.signoff == "required" or _early_signoff(
        protocol, injury, protocol.next_stage(stage.id), on
    )
    if not gated:
        return st
    missing = [i.text for i in criteria_items(stage, st) if not i.met]
    if not missing:
        return st
    acc.reason(
        "gate.8.early",
        "Your clinician's sign-off came before everything this stage needs was in place: "
        "they will be asked again once it is.",
        "; ".join(missing),
        "all exit criteria met",
    )
    acc.alert(
        "info",
        "gate.8.early",
        f"Sign-off for {stage.id} recorded before its criteria were met (missing: "
        f"{'; '.join(missing)}): it does not open the gate; you will be asked again.",
    )
    return st.model_copy(
        update={"clearance": False, "clearance_on": None, "clearance_requested": False}
    )


def _clearance_contradicted(
    protocol: Protocol,
    injury: Injury,
    start: ProgrammeState,
    st: ProgrammeState,
    day: DayRecord,
    acc: _Acc,
) -> ProgrammeState:
    """A sign-off given on an earlier day rests on the stage's exit criteria as they were met
    then: when a result after it fails one of them (a painful change of direction, a strength
    re-test below the floor, tightness on a morning), the evidence the clinician signed off on
    no longer holds. The sign-off lapses and the clinician is asked again once the criteria are
    met again (the gate.8 alert, which names the stage), rather than the athlete moving on
    later on a sign-off the failed test never reached. A morning without the answer (a missed
    check-in) is not such a result."""
    on = day.date
    if not st.clearance or st.clearance_on == on or st.stage != start.stage:
        return st
    stage = protocol.stage(st.stage)
    gated = stage.signoff == "required" or _early_signoff(
        protocol, injury, protocol.next_stage(stage.id), on
    )
    if not gated:
        return st
    for c in stage.exit_criteria:
        if start.streaks.get(c.id, 0) < c.count or st.streaks.get(c.id, 0) >= c.count:
            continue
        group, _, key = c.item.partition(".")
        if ALL_ITEMS[c.item].observed == "morning" and (
            day.morning is None or (group == "morning" and getattr(day.morning, key) is None)
        ):
            continue
        break
    else:
        return st
    # Said on the day, to both: the athlete reads why the OK no longer counts, the clinician
    # which result undid it; they are asked again (the gate.8 alert) once all is met again.
    acc.reason(
        "gate.8.lapsed",
        "A result since your clinician's sign-off did not meet what this stage needs: they "
        "will be asked again once it does.",
        c.text,
        "still met after the sign-off",
    )
    acc.alert(
        "info",
        "gate.8.lapsed",
        f"Sign-off for {stage.id} no longer holds: a result after it did not meet "
        f"{c.text}. You will be asked again once the criteria are met.",
    )
    return st.model_copy(
        update={"clearance": False, "clearance_on": None, "clearance_requested": False}
    )


def _stall(
    protocol: Protocol,
    injury: Injury,
    baseline: Metrics | None,
    st: ProgrammeState,
    st_am: ProgrammeState,
    day: DayRecord,
    mr: MorningResult,
    decision: DecisionKind,
    acc: _Acc,
    *,
    paused: bool,
    away: bool = False,
) -> ProgrammeState:
    """After 7 days in a stage without moving on (and a day past its minimum), name what is
    missing to both the athlete and the clinician (then every 7 days). Paused days do not
    count towards the 7 (the minimum is in calendar days, as the gate counts it). The gate
    items are the ones of this morning (``st_am``), before today's session is pending.
    Nothing is named on a day ``away`` (no check-in, session or check): the athlete is not
    there to read it, the missed check-ins already reach the clinician, and a week or more of
    such days is a gap whose days the clock leaves out on the day back
    (``_stall_clock_after_gap``); a stall due is named on the next day with an answer."""
    on = day.date
    # A restart of the stage after a gap keeps the clock (``stall_from``).
    start = st.stall_from or st.stage_entered
    calendar = (on - start).days
    days = calendar - st.paused_in_stage
    last = st.stall_alerted
    if (
        paused
        or away
        or decision in ("progress", "stop")
        or days < STALL_DAYS
        or calendar < protocol.stage(st.stage).min_days.value + 1
        or protocol.next_stage(st.stage) is None
        or (last is not None and last >= start and (on - last).days < STALL_DAYS)
    ):
        return st
    if st_am.stage != st.stage:
        return st
    items = gate_items(
        protocol, injury, st_am, on, mr.readiness, morning=day.morning, at=day.morning_at
    )
    athlete, clinician = stall_texts(
        protocol, st_am, items, mr, days, baseline, tightness=_tightness_hold(protocol, acc)
    )
    if not athlete:
        return st
    acc.reason("stall", athlete)
    acc.alert("info", "stall", clinician)
    return st.model_copy(update={"stall_alerted": on})


def _paused_day(st: ProgrammeState) -> ProgrammeState:
    """A paused day (illness, holiday) does not count towards the stall and no-progress
    clocks, nor towards the intervals between their alerts: the athlete could not progress.
    The minimum days of a stage (``gate.5.days``) stay calendar days: healing time passes
    during a pause."""
    day = dt.timedelta(days=1)
    update: dict[str, object] = {
        "paused_in_stage": st.paused_in_stage + 1,
        "paused_since_progress": st.paused_since_progress + 1,
    }
    if st.stall_alerted is not None and st.stall_alerted >= (st.stall_from or st.stage_entered):
        update["stall_alerted"] = st.stall_alerted + day
    if st.no_progress_alerted is not None:
        update["no_progress_alerted"] = st.no_progress_alerted + day
    return st.model_copy(update=update)


def _poor_wellness(
    protocol: Protocol, st: ProgrammeState, day: DayRecord, poor_before: int, acc: _Acc
) -> ProgrammeState:
    """Tell the clinician (info) when wellness was poor on 5 of the last 7 days."""
    on = day.date
    poor = poor_before + (1 if poor_wellness(protocol, day.morning) else 0)
    if poor < POOR_WELLNESS_DAYS or (
        st.wellness_alerted is not None and (on - st.wellness_alerted).days < 7
    ):
        return st
    acc.alert(
        "info",
        "wellness.poor_days",
        f"Poor wellness (sleep, fatigue, stress or soreness) on {poor} of the last 7 days: "
        "high-speed running is held on those days; please check in with the athlete.",
    )
    return st.model_copy(update={"wellness_alerted": on})


def poor_wellness(protocol: Protocol, m: MorningCheckIn | None) -> bool:
    """Whether a morning's wellness is poor on the absolute scale (reference §4.1 priority 5:
    Hooper index at the heavy floor, any item at 6, or less than 5 h of sleep)."""
    if m is None:
        return False
    r = protocol.rules.morning
    hi = m.hooper_index()
    items = (m.sleep_quality, m.fatigue, m.stress, m.soreness)
    return (
        (hi is not None and hi >= r.hooper_fallback_heavy.value)
        or any(i is not None and i >= r.hooper_item_heavy.value for i in items)
        or (m.sleep_hours is not None and m.sleep_hours < r.sleep_heavy_below.value)
    )


def _reviewed(st: ProgrammeState) -> ProgrammeState:
    """A clinician reviewed the athlete: a stop is lifted and the symptom baseline is re-set
    (it forms again from the next green mornings), so a shifted baseline cannot hold forever.
    The re-set takes effect for the mornings after the review: the morning of the day it is
    recorded on was judged against the baseline before it (``decide_day``), and until the
    new baseline rests on its full number of green mornings the fixed limits of
    ``engine.readiness.no_baseline_limits`` apply as well.
    The run of rest mornings starts again too: rest mornings after the review are counted
    from one, so the 2nd steps back and the 3rd (or a worse one) asks for a review again
    (reference §4.1 p3), instead of counting on past the numbers that act."""
    return st.model_copy(
        update={
            "suspended": False,
            "suspended_since": None,
            "symptom_samples": (),
            "rest_streak": 0,
            "rest_symptoms": None,
        }
    )


# The review (or clearance) that lifts a stop (``_lift_stop``), and what it says of running:
# said only on a day whose plan has running (``_agree_with_the_day``).
REVIEWED = "Your clinician has reviewed you"
RUNNING_AGAIN = ": running may start again"


def _stop_lifted(st: ProgrammeState) -> ProgrammeState:
    """A clinician's action lifts a stop (a red flag, sharp pain, the 48-hour rule, rest
    mornings in a row): the athlete is reviewed (``_reviewed``), and a usual tightness the
    clinician accepted before the stop no longer holds; they record it again (/usual) if it
    still does after their review (``decide_day`` keeps one recorded after it that day). A
    sign-off that lifts no stop keeps it."""
    return _reviewed(st).model_copy(update={"usual_tightness": None})


def _lift_stop(st: ProgrammeState, acc: _Acc, rule: str, note: str) -> ProgrammeState:
    """The clinician's review (or clearance) lifts a stop: running may start again (said so
    only if the day's plan has running, ``_agree_with_the_day``)."""
    acc.reason(
        rule,
        f"{REVIEWED}{RUNNING_AGAIN}{note}. Your symptom "
        "baseline starts afresh from your next green mornings (today's check-in is still "
        "compared with the one before).",
    )
    return _stop_lifted(st)


def _tightness_bars_running(
    protocol: Protocol, st: ProgrammeState, day: DayRecord, acc: _Acc
) -> bool:
    """Whether the morning's tightness keeps the athlete from moving up today into a stage
    with running (the day's plan would be that stage's): the same fixed rest limit as at a
    stage with running (``engine.readiness.morning_verdict``'s ``running``), which a morning
    at a stage without running is not read against. Says so when it does."""
    nxt = protocol.next_stage(st.stage)
    if nxt is None or protocol.stage(st.stage).running or not protocol.stage(nxt).running:
        return False
    tight = day.morning.tightness if day.morning is not None else None
    limit = no_baseline_limits(protocol)[1]
    if tight is None or tight < limit:
        return False
    acc.reason(
        "gate.tightness_running",
        f"Tightness {tight}/10: no running with tightness of {limit}/10 or more, so no "
        "moving up to a stage with running today.",
        tight,
        f"< {limit} at a stage with running",
    )
    return True


def _tightness_bars_moving_up(
    protocol: Protocol, st: ProgrammeState, day: DayRecord, acc: _Acc
) -> bool:
    """Whether the morning's tightness keeps the athlete from moving up today at any stage:
    above the most a clinician may accept as usual (the protocol's ``usual_tightness_max``,
    5/10), tightness is nobody's usual, though +1 over an accepted usual of 5/10 reads green.
    Says so when it does. A protocol without the key has no such bar."""
    bound = protocol.rules.morning.usual_tightness_max
    if bound is None or protocol.next_stage(st.stage) is None:
        return False
    tight = day.morning.tightness if day.morning is not None else None
    if tight is None or tight <= bound.value:
        return False
    acc.reason(
        "gate.tightness_usual",
        f"Tightness {tight}/10: above {bound.value}/10, more than anybody's usual, so no "
        "moving up today.",
        tight,
        f"≤ {bound.value} to move up",
    )
    return True


# The gate's tightness holds (``_tightness_bars_running``, ``_tightness_bars_moving_up``).
_TIGHTNESS_GATES = frozenset({"gate.tightness_running", "gate.tightness_usual"})


def _tightness_hold(protocol: Protocol, acc: _Acc) -> TightnessHold | None:
    """The day's tightness hold of the gate, if this morning's tightness kept the athlete from
    moving up with every item met (named by the stall and the no-progress alert)."""
    held = next((r for r in acc.reasons if r.rule in _TIGHTNESS_GATES), None)
    if held is None or not isinstance(held.observed, int | float):
        return None
    if held.rule == "gate.tightness_running":
        below = no_baseline_limits(protocol)[1]
        return TightnessHold(tightness=int(held.observed), below=below, running=True)
    bound = protocol.rules.morning.usual_tightness_max
    if bound is None:
        return None
    return TightnessHold(tightness=int(held.observed), below=bound.value + 1, running=False)


_RUNNING_TIGHTNESS = frozenset(
    {"morning.p3.tightness_running", "gate.tightness_running", "gate.tightness_usual"}
)


def _usual_note_agrees(acc: _Acc, decision: DecisionKind | None, st: ProgrammeState) -> None:
    """The morning's note of the usual tightness the clinician accepted is not given on a day
    stopped or awaiting a review, nor beside the limit for tightness at a stage with running
    (the usual does not make that tightness fit for running)."""
    rules = {r.rule for r in acc.reasons}
    if "morning.usual_tightness" not in rules:
        return
    if decision == "stop" or st.suspended or rules & _RUNNING_TIGHTNESS:
        acc.reasons = [r for r in acc.reasons if r.rule != "morning.usual_tightness"]


def _agree_with_the_day(
    acc: _Acc, plan: SessionPlan | None, decision: DecisionKind, st: ProgrammeState, on: dt.date
) -> None:
    """The day's reasons say nothing its decision or plan denies. They are given as the day
    unfolds (a review in the morning, the morning verdict, the session), and what follows
    can take back what one of them promised: a review lifts a stop, then the days of the stop
    step back to a stage without running (the gap rule), the morning check-in says rest, a
    sharp pain stops the day again; a modify morning ends in a stop, a rest plan or a review
    awaited (48 hours of symptoms); a green session's trigger steps back, or the day stops.
    At the end of the day:

    * "running may start again" only beside a plan with running (and no stop): otherwise the
      review is said without it;
    * "modified session" only beside a modified plan (and no stop or review awaited):
      otherwise the morning's reasons say what was seen without it;
    * "eligible for progression" only for a session that counts at the stage the athlete
      ends the day in (``_green_not_counted`` otherwise)."""
    stopped = decision == "stop" or st.suspended
    runs = plan is not None and plan.running and not stopped
    modified = plan is not None and plan.readiness == "modify" and not stopped
    ls = st.last_session
    counted = (
        not stopped
        and ls is not None
        and ls.date == on
        and ls.counts_for_progress
        and ls.stage == st.stage
    )
    if not counted:
        _green_not_counted(acc)
    said: list[Reason] = []
    for r in acc.reasons:
        if not runs and r.rule in ("clinician.review", "clinician.clear"):
            if r.text.startswith(REVIEWED + RUNNING_AGAIN):
                r = r.model_copy(update={"text": r.text.replace(RUNNING_AGAIN, "", 1)})
        elif not modified:
            r = without_modified_session(r)
        said.append(r)
    acc.reasons = said


def _clinician(
    protocol: Protocol, st: ProgrammeState, a: ClinicianAction, on: dt.date, acc: _Acc
) -> tuple[ProgrammeState, DecisionKind | None, bool]:
    note = f" ({a.note})" if a.note else ""
    if a.kind == "clear":
        if a.stage is not None and a.stage != st.stage:
            # A sign-off is for the gate of the stage it was given for (reference §4.4 item 8);
            # nor does it lift a stop: it was not given for the athlete as they are now.
            acc.reason(
                "clinician.clear.other_stage",
                f"A clearance given for stage {a.stage} does not count for stage {st.stage}{note}.",
                a.stage,
                st.stage,
            )
            acc.alert(
                "info",
                "clinician.clear.other_stage",
                f"A clearance recorded for {a.stage} was not applied: the athlete is in "
                f"{st.stage}, whose gate needs its own sign-off.",
            )
            return st, None, False
        if st.suspended:
            return _lift_stop(st, acc, "clinician.clear", note), None, False
        acc.reason("clinician.clear", f"Clinician clearance recorded for stage {st.stage}{note}.")
        return (
            _reviewed(st).model_copy(update={"clearance": True, "clearance_on": on}),
            None,
            False,
        )
    if a.kind == "review":
        # A review after a stop lifts the stop only: it never counts as a sign-off, whatever
        # the stage and whenever it applies (a stop already lifted leaves nothing to review).
        if st.suspended:
            return _lift_stop(st, acc, "clinician.review", note), None, False
        acc.reason("clinician.review", f"Clinician review recorded{note}.")
        return st, None, False
    if a.kind == "decline":
        acc.reason("clinician.decline", f"Clinician declined sign-off for stage {st.stage}{note}.")
        update = {"clearance": False, "clearance_requested": False, "clearance_on": None}
        return st.model_copy(update=update), None, True
    if a.kind == "hold":
        acc.reason("clinician.hold", f"Clinician asked to hold today{note}.")
        return st, None, True
    if a.kind == "pause":
        acc.reason("clinician.pause", f"Programme paused{note}.")
        return st.model_copy(update={"paused": True}), None, True
    if a.kind == "resume":
        if st.paused:
            # Lifting a pause does not lift a stop (red flag, persisting symptoms): the
            # athlete's own /pause then /resume arrive here too.
            acc.reason("clinician.resume", f"Programme resumed{note}.")
            return st.model_copy(update={"paused": False}), None, False
        # Nothing paused: only the clinician can resume then, after reviewing a stop.
        acc.reason("clinician.resume", f"Programme resumed by the clinician{note}.")
        return (_stop_lifted(st) if st.suspended else st), None, False
    if a.kind == "usual_tightness":  # folded in before the day's morning (decide_day)
        return _usual_tightness(protocol, st, a, acc), None, False
    if a.kind == "step_back":
        if protocol.index(st.stage) == 0:
            acc.reason(
                "clinician.step_back",
                f"Clinician asked for a step back{note}, but this is already the first "
                "stage: held there.",
            )
            return _stop_lifted(st) if st.suspended else st, None, True
        prev = protocol.previous_stage(st.stage)
        acc.reason(
            "clinician.step_back",
            f"Clinician moved the athlete back to {prev}{note}.",
            st.stage,
            prev,
        )
        moved = enter_stage(
            _stop_lifted(st) if st.suspended else st,
            prev,
            on,
            reentry_greens_needed=protocol.rules.escalation.reentry_green_sessions.value,
        )
        return moved, "step_back", False
    target = a.stage or ""
    ids = [s.id for s in protocol.stages]
    if target not in ids:
        acc.reason(
            "clinician.set_stage",
            f"Clinician set an unknown stage {target!r}: ignored "
            f"(expected one of {', '.join(ids)}).",
            target,
            ", ".join(ids),
        )
        acc.alert(
            "info",
            "clinician.set_stage",
            f"Stage {target!r} does not exist in protocol "
            f"{protocol.name}: the athlete stays in {st.stage}.",
        )
        return st, None, True
    old = protocol.index(st.stage)
    new = protocol.index(target)
    kind: DecisionKind = "hold" if new == old else ("progress" if new > old else "step_back")
    acc.reason(
        "clinician.set_stage", f"Clinician set the stage to {target}{note}.", st.stage, target
    )
    base = _stop_lifted(st) if st.suspended else st
    return (
        enter_stage(base, target, on, reentry_greens_needed=0, last_progress=on),
        kind,
        False,
    )


# Clinician actions that lift a stop when one is in force (``_stop_lifted``).
_LIFTING_KINDS = frozenset({"clear", "review", "resume", "step_back", "set_stage"})


def _usual_tightness(
    protocol: Protocol, st: ProgrammeState, a: ClinicianAction, acc: _Acc
) -> ProgrammeState:
    """The clinician accepts tightness ``a.value``/10 as usual for the athlete: from the
    morning of the day it is filed under (``decide_day`` folds it in first) the trusted
    tightness baseline is the lower of it and the green mornings' (``symptom_baseline``);
    the green mornings are kept (their test pain stays the baseline's). Above the protocol's
    ``usual_tightness_max`` (or with none) it is not applied (the reason says so, starting
    "A usual tightness of")."""
    value = a.value if a.value is not None else 0
    bound = protocol.rules.morning.usual_tightness_max
    if bound is None or value > bound.value:
        # The bot refuses such a value when it is recorded: only a protocol changed since
        # gets here. Said to the athlete; the clinician sees it in the day's reasons.
        acc.reason(
            "clinician.usual_tightness",
            f"A usual tightness of {value}/10 was not applied: this protocol accepts "
            + (f"at most {bound.value}/10." if bound is not None else "none."),
            value,
            bound.value if bound is not None else None,
        )
        return st
    acc.reason(
        "clinician.usual_tightness",
        f"Your clinician accepted tightness {value}/10 as usual for you: only a change from "
        "it makes a lighter or rest day (at a stage with running, tightness of "
        f"{no_baseline_limits(protocol)[1]}/10 or more is still a rest day).",
        value,
    )
    return st.model_copy(update={"usual_tightness": value})


def _morning_streaks(
    protocol: Protocol,
    st: ProgrammeState,
    mr: MorningResult,
    day: DayRecord,
    acc: _Acc,
    *,
    paused: bool,
    unknown: bool = False,
) -> ProgrammeState:
    """Update the runs of mornings (rest, low confidence, missed) and the symptom samples.

    ``unknown``: the morning cannot rule symptoms out (no check-in, or rest because pain,
    tightness or the red-flag screen went unanswered): a run of rest mornings carries over it
    (symptoms on 3 of 4 mornings with an unanswered one between still need the clinician's
    review, reference §4.1 p3 and §5 tier 3), neither growing nor ending."""
    esc = protocol.rules.escalation
    m = day.morning
    carried = st.rest_streak if unknown else 0
    rest_streak = st.rest_streak + 1 if mr.step_back_candidate else carried
    low_conf = st.low_conf_streak + 1 if mr.psych_flag else 0
    # A paused programme sends no prompts, so a day without a check-in is not "missed".
    missed = st.missed_streak + 1 if m is None and not paused else 0
    samples = st.symptom_samples
    if mr.symptom_sample and m is not None and m.pain_test is not None and m.tightness is not None:
        n = protocol.rules.morning.baseline_green_mornings.value
        # While a usual tightness the clinician accepted is in force, a green morning is kept
        # at most at it: a morning above it (green by up to +1) never raises the baseline.
        usual = accepted_usual(st, protocol)
        tight = m.tightness if usual is None else min(m.tightness, usual)
        samples = (*samples, (m.pain_test, tight))[-n:]
    if rest_streak == esc.rest_mornings_clinician.value:
        acc.alert(
            "within_24h",
            "escalate.rest_mornings",
            f"Rest verdict {rest_streak} mornings in a "
            "row (injury symptoms): clinician review within 24 h.",
        )
    if low_conf == esc.low_confidence_days.value:
        acc.alert(
            "info",
            "escalate.low_confidence",
            f"Low confidence (≤ "
            f"{protocol.rules.morning.confidence_low_max.value}/10) {low_conf} mornings in a "
            "row: the athlete may want a check-in.",
        )
    if missed == esc.missed_days_alert.value:
        acc.alert("info", "escalate.missed", f"No check-in for {missed} days: the stage is held.")
    update = {
        "rest_streak": rest_streak,
        "low_conf_streak": low_conf,
        "missed_streak": missed,
        "symptom_samples": samples,
    }
    if all(getattr(st, k) == v for k, v in update.items()):
        return st
    return st.model_copy(update=update)


def _rest_symptoms(m: MorningCheckIn | None) -> tuple[int, int, int] | None:
    """Pain at rest, test pain and tightness of a morning, or None if one is unanswered."""
    if m is None or m.pain_rest is None or m.pain_test is None or m.tightness is None:
        return None
    return (m.pain_rest, m.pain_test, m.tightness)


def _rest_worsening(
    protocol: Protocol,
    st: ProgrammeState,
    before: ProgrammeState,
    mr: MorningResult,
    m: MorningCheckIn | None,
    on: dt.date,
    acc: _Acc,
    *,
    unknown: bool,
) -> ProgrammeState:
    """Reference §4.1 p3: a rest morning worse than the previous rest morning of the same run
    (pain at rest, test pain or tightness higher) asks the clinician within 24 h, and running
    waits for their review, as on the 3rd rest morning (§5 tier 3: worsening symptoms)."""
    now = _rest_symptoms(m) if mr.step_back_candidate else None
    prev = before.rest_symptoms if before.rest_streak else None
    if mr.step_back_candidate:
        keep = now if now is not None else prev
    else:
        keep = prev if unknown else None
    if keep != st.rest_symptoms:
        st = st.model_copy(update={"rest_symptoms": keep})
    if now is None or prev is None or st.suspended:
        return st
    if st.rest_streak >= protocol.rules.escalation.rest_mornings_clinician.value:
        return st  # the 3rd rest morning asks the clinician already
    names = ("pain at rest", "test pain", "tightness")
    worse = [f"{n} {a}→{b}" for n, a, b in zip(names, prev, now, strict=True) if b > a]
    if not worse:
        return st
    acc.alert(
        "within_24h",
        "escalate.rest_worsening",
        f"Injury symptoms worse than on the previous rest morning ({', '.join(worse)}): "
        "clinician review within 24 h.",
    )
    acc.reason(
        "morning.p3.worse",
        "Symptoms worse than on the previous rest morning: no running until the clinician "
        "has reviewed.",
        "; ".join(worse),
        "not worse",
    )
    return _suspend(st, on)


def _next_morning(
    protocol: Protocol, st: ProgrammeState, day: DayRecord, acc: _Acc
) -> tuple[ProgrammeState, Response | None]:
    """Apply the 24-hour rule to a pending session and the 48-hour watch to an elevated one."""
    rules = protocol.rules.next_morning
    on = day.date
    m = day.morning
    update: dict[str, object] = {}
    resp: Response | None = None
    ls = st.last_session
    if ls is not None and ls.response == "pending" and ls.date < on:
        if (on - ls.date).days > 1 or m is None or m.pain_test is None or m.tightness is None:
            resp = "missing"
            acc.reason(
                "24h.missing",
                "The morning after the last session was not fully answered: "
                "its 24-hour response is unknown, counted as not met.",
            )
        elif ls.pre_pain_test is None or ls.pre_tightness is None:
            # The morning was answered, but no check-in came before the session (it was
            # answered first): nothing to compare with, so not met either, said as such.
            resp = "missing"
            acc.reason(
                "24h.unpaired",
                "No check-in came before the last session, so the morning after cannot be "
                "compared with it: its 24-hour response is unknown, counted as not met.",
            )
        else:
            d_pt = m.pain_test - ls.pre_pain_test
            d_tg = m.tightness - ls.pre_tightness
            worst = max(d_pt, d_tg)
            obs = f"test pain {d_pt:+d}, tightness {d_tg:+d}"
            if (
                worst >= rules.step_back_delta.value
                or m.pain_test >= rules.step_back_pain_test_min.value
            ):
                resp = "step_back"
                acc.reason(
                    "24h.step_back",
                    "Symptoms up by ≥ 2 (or test pain ≥ 3) the morning after "
                    "the session: step back.",
                    obs,
                    f"< +{rules.step_back_delta.value}",
                )
            elif worst >= rules.hold_delta.value:
                resp = "hold"
                acc.reason(
                    "24h.hold",
                    "Symptoms up by 1 the morning after the session: repeat the same session.",
                    obs,
                    "≤ pre-session",
                )
            else:
                resp = "green"
                acc.reason(
                    "24h.green",
                    "Back to baseline the morning after the session.",
                    obs,
                    "≤ pre-session",
                )
        new_ls = ls.model_copy(update={"response": resp})
        update["last_session"] = new_ls
        # An easier green session in between (a capped day) neither adds to the re-entry
        # greens nor breaks them; anything less than green breaks them.
        greens = (
            st.green_streak + (1 if ls.qualifies else 0)
            if resp == "green" and ls.counts_for_progress
            else 0
        )
        update["green_streak"] = greens if ls.stage == st.stage else 0
        if resp in ("hold", "step_back", "missing"):
            # An unknown 24-hour response is not "back to baseline": the 48-hour look stays
            # due and is judged on the answers from 48 h on alone (a skipped check-in must not
            # be more lenient than an answered one).
            update["elevated"] = new_ls
    el = update.get("elevated", st.elevated)
    assert el is None or isinstance(el, LastSession)
    answered = m is not None and m.pain_test is not None and m.tightness is not None
    # The 48-hour look is taken on the first fully answered morning from 48 h on (a skipped
    # check-in must not drop it), for up to a week.
    if el is not None and (on - el.date).days >= 2 and (answered or (on - el.date).days >= 7):
        update["elevated"] = None
        # Without the pre-session answers, the symptom baseline (green mornings) stands in.
        sym = symptom_baseline(st, protocol=protocol)
        pre_pt: float | None = el.pre_pain_test
        pre_tg: float | None = el.pre_tightness
        if sym is not None:
            pre_pt = sym.pain_test if pre_pt is None else pre_pt
            pre_tg = sym.tightness if pre_tg is None else pre_tg
        if (
            m is not None
            and m.pain_test is not None
            and m.tightness is not None
            and pre_pt is not None
            and pre_tg is not None
            and max(m.pain_test - pre_pt, m.tightness - pre_tg) >= 1
        ):
            acc.alert(
                "within_24h",
                "24h.elevated_48h",
                "Symptoms still elevated 48 h or more after the "
                f"session of {el.date.isoformat()}: clinician review within 24 h, no running "
                "until reviewed.",
            )
            acc.reason(
                "24h.elevated_48h",
                "Symptoms still up 48 h after the session: no running "
                "until the clinician has reviewed.",
            )
            return _suspend(st.model_copy(update=update), on), resp
    return (st.model_copy(update=update) if update else st), resp


@dataclass(frozen=True, slots=True)
class _Window:
    """What the morning rules read from the earlier days."""

    hooper: list[int]  # Hooper indices within the z-score window
    weekly: list[tuple[int, int]]  # (age in days, worst of test pain and tightness), 14 days
    poor_days: int  # mornings with poor wellness in the 6 days before today


_SUMMARIES: dict[int, tuple[MorningCheckIn, Protocol, tuple[int | None, int | None, bool]]] = {}


def _summary(protocol: Protocol, m: MorningCheckIn) -> tuple[int | None, int | None, bool]:
    """(Hooper index, worst of test pain and tightness, poor wellness) of one morning,
    memoised: the same stored morning is read by the next 28 days' windows."""
    hit = _SUMMARIES.get(id(m))
    if hit is not None and hit[0] is m and hit[1] is protocol:
        return hit[2]
    pt, tg = m.pain_test, m.tightness
    worst = (pt if pt > tg else tg) if pt is not None and tg is not None else None
    out = (m.hooper_index(), worst, poor_wellness(protocol, m))
    if len(_SUMMARIES) > 8192:
        _SUMMARIES.clear()
    _SUMMARIES[id(m)] = (m, protocol, out)
    return out


def _scan_window(protocol: Protocol, recent: Sequence[DayRecord], on: dt.date) -> _Window:
    """One pass over the earlier days for the Hooper z-score, the week-on-week trend and the
    poor-wellness count."""
    hooper_days = protocol.rules.morning.hooper_window_days.value
    hooper: list[int] = []
    weekly: list[tuple[int, int]] = []
    poor = 0
    for r in recent:
        m = r.morning
        if m is None:
            continue
        age = (on - r.date).days
        if age <= 0 or age > RECENT_DAYS:
            continue
        hi, worst, is_poor = _summary(protocol, m)
        if hi is not None and age <= hooper_days:
            hooper.append(hi)
        if worst is not None and age < 14:
            weekly.append((age, worst))
        if is_poor and age < 7:
            poor += 1
    return _Window(hooper, weekly, poor)


def _week_rise(
    protocol: Protocol, day: DayRecord, weekly: list[tuple[int, int]], acc: _Acc
) -> bool:
    m = day.morning
    if m is not None and m.pain_test is not None and m.tightness is not None:
        weekly = [*weekly, (0, max(m.pain_test, m.tightness))]
    this_week = [score for age, score in weekly if age < 7]
    last_week = [score for age, score in weekly if age >= 7]
    if len(this_week) < 4 or len(last_week) < 4:
        return False
    rise = sum(this_week) / len(this_week) - sum(last_week) / len(last_week)
    if rise >= protocol.rules.next_morning.week_rise_points.value:
        acc.reason(
            "24h.week_rise",
            "Morning symptoms rose week on week: hold the stage.",
            round(rise, 2),
            f"< {protocol.rules.next_morning.week_rise_points.value:g}",
        )
        return True
    return False


def _trigger(trig: Trigger, ob: Observation, acc: _Acc) -> str:
    threshold = f"{trig.describe()}"
    seen = shown(ob.value) if ob.value is not None else None
    if trig.action == "escalate":
        acc.alert(
            trig.notify or "within_24h", trig.id, f"{trig.text}: clinician review (targeted block)."
        )
        acc.reason(trig.id, f"{trig.text}: clinician notified, stage held.", seen, threshold)
        return "escalate"
    if trig.notify is not None:
        acc.alert(
            trig.notify, trig.id, f"{trig.text}: the athlete is moved back a stage; please review."
        )
    if trig.action == "hold":
        acc.reason(trig.id, f"{trig.text}: hold.", seen, threshold)
        return "hold"
    acc.reason(trig.id, f"{trig.text}: step back to the previous stage.", seen, threshold)
    return "step_back"


def _step_back(
    protocol: Protocol,
    st: ProgrammeState,
    on: dt.date,
    acc: _Acc,
    rule: str,
    from_stage: str | None = None,
    *,
    counted: bool = True,
) -> tuple[DecisionKind, ProgrammeState]:
    """Step back one stage below ``from_stage`` (default: the current stage). Every step back
    lowers the stage: at the first stage there is nothing below, and the day is a hold.
    ``counted``: whether it is one of the step-backs that ask for a review (``_back_to``)."""
    start = from_stage or st.stage
    if protocol.index(start) == 0:
        acc.reason(rule, "Already at the first stage: held there.")
        if st.stage != start:
            st = enter_stage(st, start, on)
        return "hold", st
    prev = protocol.previous_stage(start)
    esc = protocol.rules.escalation
    acc.reason(
        "stepback",
        f"Step back from {start} to {prev}: its session template applies; "
        f"re-entering {start} needs {esc.reentry_green_sessions.value} green sessions with "
        "green 24-hour responses.",
        start,
        prev,
    )
    return "step_back", _back_to(protocol, st, prev, on, acc, counted=counted)


def _back_to(
    protocol: Protocol,
    st: ProgrammeState,
    to: str,
    on: dt.date,
    acc: _Acc,
    *,
    counted: bool = True,
) -> ProgrammeState:
    """Return ``st`` stepped back into ``to`` on ``on``, alerting the clinician when this makes
    too many step-backs within the window (reference §4.4, §5 tier 3). A step back that is
    not ``counted`` (one for time away, ``_after_gap``) neither counts nor alerts: "two
    step-backs within 14 days" is a stage the athlete's leg did not tolerate twice, and time
    away says nothing of the kind (its own alert tells the clinician); the step-backs before
    it still count towards the next one."""
    esc = protocol.rules.escalation
    if not counted:
        return enter_stage(st, to, on, reentry_greens_needed=esc.reentry_green_sessions.value)
    dates = (*st.step_back_dates, on)
    if len(dates) >= esc.step_backs_count.value:
        acc.alert(
            "within_24h",
            "escalate.step_backs",
            f"{len(dates)} step-backs within "
            f"{esc.step_backs_window_days.value} days (now {st.stage} → {to}): clinician review.",
        )
    return enter_stage(
        st, to, on, step_back_dates=dates, reentry_greens_needed=esc.reentry_green_sessions.value
    )


def _progress(
    protocol: Protocol, st: ProgrammeState, on: dt.date, acc: _Acc, items: list[GateItem]
) -> tuple[DecisionKind, ProgrammeState]:
    stage = protocol.stage(st.stage)
    nxt = protocol.next_stage(st.stage)
    assert nxt is not None  # gate.final is unmet on the last stage
    for i in items:
        acc.reason(i.rule, f"Met: {i.text}.", i.observed, i.needed)
    acc.reason("progress", f"All gate items met: progress from {stage.id} to {nxt}.", stage.id, nxt)
    if stage.signoff == "recommended":
        acc.alert(
            "info",
            "gate.8.recommended",
            f"Athlete moved from {stage.id} to {nxt}. A clinician "
            f"review is recommended: {stage.signoff_note or ''}".strip(),
        )
    return "progress", enter_stage(st, nxt, on, last_progress=on, reentry_greens_needed=0)


@dataclass(frozen=True, slots=True)
class _Band:
    """The day's prescribed running intensity: (lowest, highest) % Vmax of the top drill."""

    lo: float
    hi: float


def _top_band(drills: Sequence[tuple[str, tuple[float, float] | None]], top: float) -> _Band | None:
    """Return the band of the fastest running drill (``top`` for running without a range)."""
    bands = [
        _Band(*pct) if pct is not None else _Band(top, top)
        for kind, pct in drills
        if kind in ("run", "accel", "cod", "sport")
    ]
    return max(bands, key=lambda b: (b.hi, b.lo)) if bands else None


_PLAN_BANDS: dict[int, tuple[SessionPlan, _Band | None]] = {}


def _plan_band(stage: Stage, plan: SessionPlan | None) -> _Band | None:
    """The band of today's plan (memoised: plans are immutable and themselves memoised)."""
    if plan is None:
        return None
    hit = _PLAN_BANDS.get(id(plan))
    if hit is not None and hit[0] is plan:
        return hit[1]
    band = _top_band([(d.kind, d.pct_vmax) for d in plan.drills], stage.top_pct_vmax)
    if len(_PLAN_BANDS) > 4096:
        _PLAN_BANDS.clear()
    _PLAN_BANDS[id(plan)] = (plan, band)
    return band


_TEMPLATE_BANDS: dict[int, tuple[Stage, _Band | None]] = {}


def _template_band(stage: Stage) -> _Band | None:
    """The band of the stage's full template (memoised: stages are immutable)."""
    hit = _TEMPLATE_BANDS.get(id(stage))
    if hit is not None and hit[0] is stage:
        return hit[1]
    band = _top_band([(d.kind, d.pct_vmax) for d in stage.session], stage.top_pct_vmax)
    if len(_TEMPLATE_BANDS) > 4096:
        _TEMPLATE_BANDS.clear()
    _TEMPLATE_BANDS[id(stage)] = (stage, band)
    return band


@dataclass
class _Flags:
    """Why a session does not count (each reason is also told to the athlete)."""

    blocked: str | None = None
    ran_without_plan: bool = False
    over_cap: bool = False
    rest: bool = False
    early_full_training: bool = False

    @property
    def any(self) -> bool:
        """Whether the session is left out of minimum sessions and exit criteria."""
        return (
            self.blocked is not None
            or self.ran_without_plan
            or self.over_cap
            or self.rest
            or self.early_full_training
        )


_BLOCKED_WHY = {
    "awaiting clinician review": "running is on hold until your clinician has reviewed you",
    "paused": "your programme is paused",
    "missing": "there was no morning check-in before it",
    "rest": "your morning check said rest",
    "stop": "your morning check said stop",
    "no running": "today's plan had no running (rest between fast sessions)",
}


def _flag_session(
    protocol: Protocol,
    st: ProgrammeState,
    day: DayRecord,
    mr: MorningResult,
    band: _Band | None,
    mpct: float | None,
    check_pct: float | None,
    ran_today: bool,
    earlier: tuple[str, ...],
    later: tuple[RunEntry, ...],
    ran_first: bool,
    acc: _Acc,
) -> tuple[ProgrammeState, _Flags]:
    """Flag a session done against the plan: on a day without running (or while waiting for
    a review; or before the day's check-in: on a day without one), above the day's cap, or
    inside a rest interval (in calendar days or in real time). Each is told to the athlete in
    plain words and reaches the clinician (reference P6, §2.2, §3.2)."""
    assert day.session is not None
    on = day.date
    flags = _Flags()
    if st.suspended:
        flags.blocked = "awaiting clinician review"
    elif day.paused or st.paused:
        flags.blocked = "paused"
    elif ran_first:
        flags.blocked = "missing"
    elif mr.readiness not in ("go", "modify"):
        flags.blocked = mr.readiness
    if flags.blocked is None and band is None and ran_today:
        flags.ran_without_plan = True
    over = (mpct - band.hi) if mpct is not None and band is not None else mpct
    if ran_today and (flags.blocked is not None or flags.ran_without_plan):
        why = _BLOCKED_WHY[flags.blocked or "no running"]
        acc.reason(
            "session.flag.no_running",
            f"You ran today although {why}. The session is saved, but it does not count "
            "towards moving on, and your clinician has been told. Please don't run until "
            "your plan includes running again.",
            flags.blocked or "no running in the plan",
            "no running",
        )
        st = _against_plan(st, on, acc, over, f"ran although {flags.blocked or 'no running'}")
    elif flags.blocked is not None:
        acc.reason(
            "session.against_plan",
            f"This session was on a day without running ({_BLOCKED_WHY[flags.blocked]}): it "
            "is saved, but it does not count towards moving on.",
            flags.blocked,
            "go/modify",
        )
    elif mpct is not None and band is not None and mpct - band.hi > OVER_CAP_POINTS:
        flags.over_cap = True
        mpct = round(mpct, 1)  # for display (compared unrounded above)
        acc.reason(
            "session.flag.over_cap",
            f"You reached {mpct:g} % of your top speed, above today's limit of {band.hi:g} %. "
            "The session is saved, but it does not count towards moving on, and your "
            "clinician has been told. Please stay within today's target times.",
            mpct,
            f"≤ {band.hi:g} % (+{OVER_CAP_POINTS})",
        )
        st = _against_plan(st, on, acc, over, f"ran at {mpct:g} % Vmax, cap {band.hi:g} %")
    if (
        day.session.checks.full_training is True
        and flags.blocked is None
        and not _includes_sport(protocol, st.stage)
    ):
        # Full team or event training belongs to the stages whose plan has it, which only a
        # sign-off opens (reference §2.2 H5: sign-off REQUIRED to return to training).
        flags.early_full_training = True
        acc.reason(
            "session.flag.full_training",
            "Full team or event training comes at a later stage of the plan. This session is "
            "saved, but it does not count towards moving on, and your clinician has been told.",
            "full training",
            "a stage whose plan includes it",
        )
        st = _against_plan(st, on, acc, None, EARLY_FULL_TRAINING)
    if check_pct is not None and check_pct > 0:
        hits = _rest_violations(
            protocol, _with_runs(st, later), [st.stage, *earlier], on, check_pct, day.session_at
        )
        if hits:
            flags.rest = True
            st = _rest_violation(st, on, hits, acc)
    return st, flags


# What the clinician's alert says of a full training logged before a stage that includes it.
EARLY_FULL_TRAINING = "did a full team or event training before a stage that includes it"


def _includes_sport(protocol: Protocol, stage_id: str) -> bool:
    """Whether the stage's sessions include team or event training (its "sport" drills)."""
    return any(drill.kind == "sport" for drill in protocol.stage(stage_id).session)


def _against_plan(
    st: ProgrammeState, on: dt.date, acc: _Acc, over: float | None, what: str
) -> ProgrammeState:
    """Tell the clinician about running against the plan: info the first time, within 24 h
    when it happens again (within 28 days) or the run was ≥ 20 points above the cap."""
    repeated = bool(st.against_plan_dates)
    serious = over is not None and over >= OVER_CAP_SERIOUS
    acc.alert(
        "within_24h" if repeated or serious else "info",
        "session.against_plan",
        f"Session against the plan on {on.isoformat()}: athlete {what}"
        + (" (again within 28 days)" if repeated else "")
        + ". Not counted; please talk it through with the athlete.",
    )
    return st.model_copy(update={"against_plan_dates": (*st.against_plan_dates, on)})


def _rest_violation(
    st: ProgrammeState, on: dt.date, hits: list[rest.Violation], acc: _Acc
) -> ProgrammeState:
    """A run inside a rest interval: told to the athlete; twice within 7 days, the clinician."""
    v = max(hits, key=lambda h: h.rule.hours - h.hours)
    pct = round(v.earlier_pct, 1)  # for display
    acc.reason(
        "session.flag.rest",
        f"This fast session came {v.hours} h after your last one; this stage needs at least "
        f"{v.rule.hours} h of rest in between. The session is saved, but it does not count "
        "towards moving on. The rest days are when the muscle recovers: please keep them.",
        v.hours,
        f"≥ {v.rule.hours} h",
    )
    dates = (*st.rest_violation_dates, on)
    if len(dates) >= REST_REPEAT_COUNT:
        acc.alert(
            "within_24h",
            "rest.repeat",
            f"{len(dates)} sessions inside a rest interval within {REST_REPEAT_DAYS} days "
            f"(latest {on.isoformat()}: {v.hours} h after a run at {pct:g} % Vmax, "
            f"needed ≥ {v.rule.hours} h): not counted; please review the training schedule.",
        )
    return st.model_copy(update={"rest_violation_dates": dates})


def _unconfirmed(
    st: ProgrammeState, on: dt.date, seen: tuple[str, ...], acc: _Acc
) -> ProgrammeState:
    """Readings too fast to trust: the athlete checks the device; in 3 sessions the clinician
    reviews the baseline (it may have been set too low)."""
    acc.reason(
        "session.flag.unconfirmed",
        f"Some readings look faster than your baseline allows ({'; '.join(seen)}): please "
        "check your device. They are saved, but not used to decide anything.",
        "; ".join(seen),
        f"≤ {110} % of baseline",
    )
    dates = (*st.unconfirmed_dates, on)
    if len(dates) >= UNCONFIRMED_REPEAT_COUNT:
        acc.alert(
            "within_24h",
            "session.unconfirmed",
            f"Speed readings too fast to trust in {len(dates)} sessions within "
            f"{UNCONFIRMED_REPEAT_DAYS} days (latest: {'; '.join(seen)}): please review the "
            "athlete's baseline, which may have been set too low.",
        )
    return st.model_copy(update={"unconfirmed_dates": dates})


# The leg pairs' exercises as the record names them (``engine.evaluate.LowerLeg``).
LOWER_LEG_EXERCISE = {"heel_raise": "Single-leg heel raises", "slhb": "Single-leg bridges"}


def _lower_leg(lower: list[tuple[Criterion, Observation]], acc: _Acc) -> None:
    """Say why a criterion read a leg pair the other way round: the injured side read higher
    than the other, and that reading held a criterion or fired a trigger
    (``engine.evaluate.observe``). The athlete reads why their higher count did not count;
    the clinician which criteria it decided, to check which side is which."""
    decided: dict[LowerLeg, list[str]] = {}
    for c, ob in lower:
        if ob.lower_leg is not None and c.text not in decided.setdefault(ob.lower_leg, []):
            decided[ob.lower_leg].append(c.text)
    for pair, texts in decided.items():
        what = LOWER_LEG_EXERCISE[pair.exercise]
        acc.reason(
            "metric.lower_leg",
            f"{what}: the injured side ({pair.injured}) read higher than the other side "
            f"({pair.other}), which is unusual after this injury and often means the two counts "
            f"were typed the wrong way round; they were read the other way round, the lower "
            f"count ({pair.other}) for the injured side.",
            f"{pair.injured}/{pair.other}",
            "injured side ≤ other side",
        )
        acc.alert(
            "info",
            "metric.lower_leg",
            f"{what} logged as injured side {pair.injured}, other side {pair.other}: the "
            "injured side reads higher, which is unusual after this injury and often means the "
            f"counts were typed the wrong way round. The lower count ({pair.other}) was read "
            f"for the injured side in: {'; '.join(texts)}. Please check with the athlete which "
            "side is which.",
        )


def _session(
    protocol: Protocol,
    baseline: Metrics | None,
    st: ProgrammeState,
    day: DayRecord,
    mr: MorningResult,
    sym: SymptomBaseline | None,
    decision: DecisionKind | None,
    stage0: str,
    earlier: tuple[str, ...],
    plan: SessionPlan | None,
    later: tuple[RunEntry, ...],
    acc: _Acc,
    *,
    pain_day_before: bool = False,
    at_speed: bool = False,
) -> tuple[ProgrammeState, DecisionKind, SessionClass]:
    """Today's session (reference §4.2): classified, flagged when against the plan, observed
    for the stage's criteria and triggers. ``stage0`` is the stage of the morning (before the
    gate): a progression made today is undone by a stop, a red session or a trigger.
    ``earlier``: the stages of the day whose rest rules also apply; ``later``: runs booked to
    a later date but reported before this one (a move west).

    A session answered before the day's check-in is judged as on a day without one (no plan,
    no pre-session morning); the check-in's answers came after it. Without a plan before it,
    a report without a run reading still starts the rest after an unmeasured run at a stage
    of running, as on a plan with running (for the rest intervals only). ``at_speed``: the
    session was a run at the stage's gap cap or above (``_kept_speed``), the run that lifts
    the capped first run back after a gap."""
    assert day.session is not None and decision is not None
    on = day.date
    reported = day.session
    ran_first = day.session_before_checkin()
    if ran_first:
        day = day.model_copy(update={"morning": None})
    checked = confirm(reported, baseline)
    session = checked.session
    if checked.unconfirmed:
        st = _unconfirmed(st, on, checked.unconfirmed, acc)
    if checked.conflicting:
        acc.reason(
            "session.flag.conflicting",
            f"Some of your times do not add up ({'; '.join(checked.conflicting)}): please "
            "check them. They are saved, but not used to decide anything.",
            "; ".join(checked.conflicting),
            "times that add up",
        )
    if checked.unconfirmed or checked.conflicting:
        day = day.model_copy(update={"session": session})
    stage = protocol.stage(st.stage)
    pain = protocol.rules.pain
    mpct = measured_pct(session, baseline)
    # For rest intervals and the day's cap the faster of the two readings counts (a max run
    # typed as 60 % still starts the interval around max sessions); criteria use ``mpct``.
    top = session.metrics.top_pct_vmax
    run_pct = max(mpct, top) if mpct is not None and top is not None else mpct
    band = _plan_band(stage, plan)
    plan_running = plan is not None and plan.running
    ran_today = ran(reported)
    # Tests (strength, hops) and no run logged: not a run that counts (``runless`` below).
    tested = tests_only(reported)
    if session.checks.full_training is True:
        # A full team or event training includes running and maximal efforts (reference
        # §2.2 H6: exposure to ≥ 90–95 % Vmax). On a day whose plan had none (an easy day
        # after a fast one, a modified day, a stage before full training) it did not follow
        # the plan: it is taken at the stage's top intensity for the day's cap, the rest
        # intervals and the run log.
        ran_today = True
        if plan is None or not any(d.kind == "sport" for d in plan.drills):
            full_pct = max(stage.top_pct_vmax, pain.max_pct_vmax.value)
            run_pct = max(run_pct, full_pct) if run_pct is not None else full_pct
    if run_pct is not None:
        exposure = run_pct
    elif stage.running and (ran_today or plan_running):
        # Perceived effort under-estimates speed (reference §0.3): assume ≥ 20 points more.
        top = band.hi if band is not None and plan_running else stage.top_pct_vmax
        exposure = min(100.0, top + pain.perceived_effort_offset_pct.value)
    else:
        exposure = 0.0
    # For the rest intervals only: a report answered before any plan (no check-in yet, or one
    # answered after it) without a run reading (tests only, or no numbers) may have come with
    # a run by feel as much as on a plan with running (``runless`` below), and no plan says
    # it did not: it starts the rest after an unmeasured run at the stage's top (reference
    # §0.3, P6), on the safe side. It stays no run of the stage for anything else.
    rest_pct = exposure
    if exposure == 0 and run_pct is None and stage.running and (plan is None or ran_first):
        rest_pct = min(100.0, stage.top_pct_vmax + pain.perceived_effort_offset_pct.value)
    # An unmeasured session is taken to have followed the day's plan (which respects the rest
    # intervals); running the plan did not include is checked at its assumed intensity.
    check_pct = (
        run_pct if run_pct is not None else (exposure if ran_today and not plan_running else None)
    )
    tight_base = (
        sym.tightness
        if sym is not None
        else (day.morning.tightness if day.morning is not None else None)
    )
    sr = classify_session(
        protocol,
        session,
        exposure,
        tight_base,
        day.morning,
        heel_raise_best_lsi=st.best_heel_raise_lsi,
        heel_raise_best=st.best_heel_raise,
        heel_raise_above_by_stage=heel_raises_above_half_by_stage(protocol, stage.id),
        pain_day_before=pain_day_before,
    )
    achilles = sr.triage is not None and names_achilles(sr.triage)
    acc.reasons += sr.reasons
    acc.alerts += sr.alerts
    if sr.triage is not None:
        acc.instructions.append(sr.triage.instruction)
    st, flags = _flag_session(
        protocol, st, day, mr, band, run_pct, check_pct, ran_today, earlier, later, ran_first, acc
    )

    # Criteria and triggers of the stage the session was done in. Speed is compared like with
    # like: only a go day at the stage's full prescription, and never a run inside (or above)
    # the prescribed range.
    # A speed criterion is a test of the full prescription: an easier (capped) day's run
    # neither meets nor resets it. A session that does not count feeds no exit criterion.
    # A session cut short (below the completion minimum, whatever the cause) is not the
    # prescribed dose: like one against the plan, it passes no exit criterion ("full training
    # completed", …) but a result it fails still resets one.
    discounted = flags.any or sr.incomplete
    # A session without a logged run at a stage of running (tests or strength work and no
    # running metric, or a day whose plan had no running) is not one of the stage's runs: not
    # a session it counts, not the first run back, and its answers pass no criterion on a
    # run's answers; for the gate it stands on the last run (``standing`` below). Only a
    # report without any numbers is taken to have followed the plan, run included (no
    # device: reference §0.3). Tests logged without a run on a day whose plan had one may
    # still have come with a run by feel (a report cannot tell them apart): the rest after a
    # run holds after them (``exposure`` as for an unmeasured run), the safe side of P6.
    runless = stage.running and (exposure == 0 or tested)
    at_full = band == _template_band(stage)
    full = band is not None and at_full and mr.readiness == "go" and not flags.any
    comparable = full and band is not None and (mpct is None or mpct < band.lo)
    ctx = _ctx(day, baseline, st, sym, comparable)
    exit_ctx: DayContext | None = None
    fail_ctx: DayContext | None = None
    if discounted or not at_full:
        exit_ctx = _ctx(
            day,
            baseline,
            st,
            sym,
            False,
            hide_session=discounted,
            hide_speed=not at_full,
            hide_checks=st.suspended,
        )
    if discounted:
        # A discounted session's failing results still count against the criteria (a slower
        # run on an easier day is no speed test, so its speed stays out as above).
        fail_ctx = _ctx(day, baseline, st, sym, False, hide_speed=not at_full)
    lower: list[tuple[Criterion, Observation]] = []
    left_out: NotCounted = "review" if st.suspended else "session"
    if runless and fail_ctx is None:
        fail_ctx = _ctx(day, baseline, st, sym, False, hide_speed=not at_full)
    st, fired = _observe_stage(
        stage,
        st,
        ctx,
        "day",
        exit_ctx,
        fail_ctx,
        lower,
        left_out,
        run_answers=not runless,
        capped=band is not None and not at_full,
    )
    _lower_leg(lower, acc)
    m = session.metrics
    best_splits = dict(st.best_splits)
    for k in _SPLITS:
        v = getattr(m, k)
        if v is not None and full:
            best_splits[k] = min(v, best_splits.get(k, v))
    drop = speed_drop(m, st.best_vmax, st.best_splits) if comparable else None
    if drop is not None and drop > 3:
        acc.reason(
            "metric.regression",
            "Speed down > 3 % vs the best of this stage: a single bad "
            "test is re-tested next session; two in a row step back.",
            round(drop, 2),
            "≤ 3 %",
        )
    best_vmax = st.best_vmax
    if m.vmax_ms is not None and full:
        best_vmax = max(m.vmax_ms, best_vmax or 0.0)
    best_hr = st.best_heel_raise
    reps = paired_count(m, "heel_raise_reps_injured")  # None for an implausible pair
    if reps is not None:
        best_hr = max(reps, best_hr or 0)
    best_lsi = st.best_heel_raise_lsi
    if reps is not None and m.heel_raise_reps_uninjured:
        lsi = reps / m.heel_raise_reps_uninjured * 100
        best_lsi = max(lsi, best_lsi or 0.0)
    counted = sr.session_class in ("green", "amber") and not flags.any
    at = stage.min_sessions.at_pct_vmax
    qualifies = (
        counted
        and not sr.incomplete  # "repeat the session" (reference §4.2): it is not one of them
        and (not stage.running or exposure > 0)
        and not runless
        and (at is None or (mpct is not None and mpct >= at))
    )
    if st.reentry_greens_needed and not _reentry_run(protocol, stage, full, mpct):
        qualifies = False
    low_hv = (
        st.low_conf_hv_streak + 1 if sr.low_confidence else (0 if sr.hv else st.low_conf_hv_streak)
    )
    counts = (
        sr.session_class == "green"
        and not sr.incomplete
        and not (drop is not None and drop > 3)
        and not flags.any
    )
    # Without a run, the session counts for the gate ("last session green", its 24-hour
    # response) only on the standing of the run before it in this stage (green, counted and
    # back to baseline the next morning): strength work on a rest day neither opens the gate
    # after a run that did not count nor closes it after one that did.
    ls = st.last_session
    standing = (
        ls is not None
        and ls.stage == stage.id
        and ls.counts_for_progress
        and ls.response == "green"
    )
    if runless and tested and plan_running and at_speed:
        # Done in full on a day whose plan had running at the stage's speed: taken as that run,
        # by feel, for the days without a run (``_kept_speed``), as for the rest after it; it
        # is still no run the stage counts, since nothing says how fast it was.
        acc.reason(
            "session.no_run",
            "No run was logged with this session, so it does not count as one of the runs "
            "this stage needs. Done in full on a day with running, it is taken as a run by "
            "feel, so it counts as a day with a run, and the rest before your next fast session "
            "applies. If you did run, log how many fast runs you did as well: you can count "
            "them without a device.",
            "no run logged",
            "a run",
        )
    elif runless and tested and plan_running:
        acc.reason(
            "session.no_run",
            "No run was logged with this session, so it does not count as one of the runs "
            "this stage needs; the rest before your next fast session still applies. If you "
            "did run, log how many fast runs you did as well: you can count them without a "
            "device.",
            "no run logged",
            "a run",
        )
    elif runless and sr.session_class == "green" and counts and not standing:
        acc.reason(
            "session.no_run.after",
            "A session without running counts towards moving on only after a run that "
            "counted: your next run that goes well opens the way again.",
            "no counted run before it",
            "a counted run",
        )
    if runless and not standing:
        counts = False
    if low_hv >= protocol.rules.session.low_confidence_sessions.value:
        counts = False
        acc.reason(
            "session.low_confidence",
            "Low confidence or held back on consecutive high-speed sessions: hold.",
            low_hv,
            f"< {protocol.rules.session.low_confidence_sessions.value}",
        )
        if low_hv == protocol.rules.session.low_confidence_sessions.value:
            acc.alert(
                "info",
                "session.low_confidence",
                "Athlete held back or had low confidence on "
                f"{low_hv} high-speed sessions in a row: psychological readiness check-in.",
            )
    if sr.session_class == "green" and not counts:
        _green_not_counted(acc)
    pre_pt = day.morning.pain_test if day.morning is not None else None
    pre_tg = day.morning.tightness if day.morning is not None else None
    entry = RunEntry(date=on, pct=exposure, stage=stage.id, at=day.session_at)
    logged = entry.model_copy(update={"pct": rest_pct})
    runs = st.run_log + ((logged,) if rest_pct > 0 else ())
    # The first run back after a gap at the final stage: an easy day follows it
    # (``final_gap_rest``), then the stage's full session.
    # A slower run (a jog below the cap) is not it: the cap stays until a run at it.
    lifted = st.easy_first_run and at_speed and not runless
    first_back = lifted and protocol.next_stage(stage.id) is None
    st = st.model_copy(
        update={
            # The first run back after a gap is done: the stage's full session may follow.
            "easy_first_run": st.easy_first_run and not lifted,
            "final_gap_run": entry if first_back else st.final_gap_run,
            "sessions_in_stage": st.sessions_in_stage + 1,
            "qualifying_sessions": st.qualifying_sessions + (1 if qualifies else 0),
            "best_vmax": best_vmax,
            "best_splits": best_splits,
            "best_heel_raise": best_hr,
            "best_heel_raise_lsi": best_lsi,
            "achilles_alerted": on if achilles else st.achilles_alerted,
            "low_conf_hv_streak": low_hv,
            "run_log": runs,
            "last_session": LastSession(
                date=on,
                stage=stage.id,
                session_class=sr.session_class,
                counts_for_progress=counts,
                pre_pain_test=pre_pt,
                pre_tightness=pre_tg,
                qualifies=qualifies,
            ),
        }
    )
    if sr.session_class == "stop":
        back_to = st.stage if protocol.index(st.stage) <= protocol.index(stage0) else stage0
        if back_to != st.stage:
            st = enter_stage(st, back_to, on)
        return _stop(protocol, st, on, acc), "stop", "stop"
    if decision == "stop":
        return st, decision, sr.session_class
    if sr.session_class == "red":
        esc = protocol.rules.escalation
        if st.red_dates:
            acc.alert(
                "within_24h",
                "escalate.red_repeat",
                f"Second red session within {esc.red_repeat_days.value} days: clinician review.",
            )
        st = st.model_copy(update={"red_dates": (*st.red_dates, on)})
        if decision == "progress":
            # The progression is undone and the step back goes below the stage of the morning.
            acc.reason("stepback", "Red session in the stage entered today: it is undone.")
            decision, st = _step_back(protocol, st, on, acc, "session.red", from_stage=stage0)
        elif decision != "step_back":
            decision, st = _step_back(protocol, st, on, acc, "session.red")
        return st, decision, "red"
    st, decision = _apply_triggers(protocol, st, on, fired, decision, acc, stage0)
    return st, decision, sr.session_class


REENTRY_MARGIN = 2.0  # % Vmax points: a run measured this close to a stage's top is at it


def _reentry_run(protocol: Protocol, stage: Stage, full: bool, mpct: float | None) -> bool:
    """Whether a session can be one of the green sessions that re-enter the stage above after
    a step back (reference §4.4: "2 consecutive green sessions with green 24-h responses at
    the previous stage's top intensity"): at a stage of running, on a day at the stage's full
    prescription (not the capped first run back after a gap, a rest-interval or modified
    day), and, when measured, within the protocols' 2-point margin of the stage's top (of the
    max-sprint threshold at a stage of max sprints). An easier green session neither counts
    nor breaks the run of them (``_next_morning``). A stage without running has no intensity
    to reach."""
    if not stage.running:
        return True
    top = min(stage.top_pct_vmax, protocol.rules.pain.max_pct_vmax.value)
    return full and (mpct is None or mpct >= top - REENTRY_MARGIN)


def _green_not_counted(acc: _Acc) -> None:
    """A green session that does not count (against the plan, a speed drop, low confidence):
    its "green: eligible for progression" reason would say the opposite of the reasons that
    follow, so it says only what was green, in its place."""
    acc.reasons = [
        Reason(
            rule="session.green.not_counted",
            observed=r.observed,
            threshold=r.threshold,
            text="Session pain and tightness within the green limits, but the session does not "
            "count towards progression (see the other reasons).",
        )
        if r.rule == "session.green"
        else r
        for r in acc.reasons
    ]


def _apply_triggers(
    protocol: Protocol,
    st: ProgrammeState,
    on: dt.date,
    fired: list[tuple[Trigger, Observation]],
    decision: DecisionKind | None,
    acc: _Acc,
    stage0: str | None = None,
) -> tuple[ProgrammeState, DecisionKind]:
    assert decision is not None
    wants_back = False
    for trig, ob in fired:
        if _trigger(trig, ob, acc) == "step_back":
            wants_back = True
    if not wants_back or decision in ("step_back", "stop"):
        return st, decision
    if decision == "progress" and stage0 is not None:
        acc.reason("stepback", "Regression trigger in the stage entered today: it is undone.")
        kind, new = _step_back(protocol, st, on, acc, fired[0][0].id, from_stage=stage0)
        return new, kind
    kind, new = _step_back(protocol, st, on, acc, fired[0][0].id)
    return new, kind


def _escalations(
    protocol: Protocol,
    st: ProgrammeState,
    on: dt.date,
    decision: DecisionKind,
    acc: _Acc,
    *,
    paused: bool,
    away: bool = False,
) -> ProgrammeState:
    """The no-progress review (reference §4.4: no progression for 14 days). Not raised on a
    paused day or a day ``away`` (no answer at all: the missed check-ins speak for it; one due
    is raised on the next day with an answer), and the silent days of a gap are left out of
    its clock on the day back (``_gap_clocks``), as the stall clock leaves them out."""
    esc = protocol.rules.escalation
    if decision == "progress" or paused or away or protocol.next_stage(st.stage) is None:
        return st
    # Counted from the last progression: a step-back is not progress (reference §4.4); paused
    # days are not counted (nothing could progress while paused).
    idle = (on - st.last_progress).days - st.paused_since_progress
    alerted = st.no_progress_alerted
    if idle >= esc.no_progress_days.value and (
        alerted is None or (on - alerted).days >= esc.no_progress_days.value
    ):
        text = f"No progression for {idle} days (stage {st.stage}): clinician review."
        # What held the latest morning, when it was its tightness (every item met): said.
        hold = _tightness_hold(protocol, acc)
        if hold is not None:
            why = tightness_hold_words(hold)[1]
            text += f" {why[:1].upper()}{why[1:]}."
        acc.alert("within_24h", "escalate.no_progress", text)
        return st.model_copy(update={"no_progress_alerted": on})
    return st


def _plan(
    protocol: Protocol,
    baseline: Metrics | None,
    st: ProgrammeState,
    mr: MorningResult,
    on: dt.date,
    earlier: tuple[str, ...],
    at: dt.datetime | None = None,
    later: tuple[RunEntry, ...] = (),
    *,
    after_today: bool = False,
) -> SessionPlan:
    """Today's session: the stage's template, adjusted to the morning verdict, with nothing
    high-speed or maximal inside a rest interval (of the stage the athlete is in and of the one
    they were in this morning; in calendar days and, from the check-in's instant ``at``, in
    real time; ``later``: runs booked to a later date but done before) and no running while a
    clinician review is awaited. ``after_today``: the plan for the rest of the day once its
    session is reported (a step back later in the day): today's runs start their rest too."""
    stage = protocol.stage(st.stage)
    readiness = mr.readiness if mr.readiness != "missing" else "rest"
    cap = mr.max_pct_vmax
    rest_cap: float | None = None
    no_running = False
    # Without a baseline Vmax the plan is run by feel, and the run is logged as that much
    # faster (reference §0.3; see ``_session``): the rest cap allows for it.
    by_feel = baseline is None or not baseline.vmax_ms
    offset = protocol.rules.pain.perceived_effort_offset_pct.value if by_feel else 0.0
    for rules, runs in _rest_groups(protocol, _with_runs(st, later), [st.stage, *earlier]):
        own_cap, own_none = rest.cap_for_today(
            protocol, rules, runs, on, offset=offset, at=at, after_today=after_today
        )
        no_running = no_running or own_none
        if own_cap is not None:
            rest_cap = min(rest_cap, own_cap) if rest_cap is not None else own_cap
    if rest_cap is not None:
        cap = min(cap, rest_cap) if cap is not None else rest_cap
    back = gap_cap(protocol, stage) if st.easy_first_run else None
    after_gap = back is not None and (cap is None or back < cap)
    if after_gap:
        cap = back
    easy_day: int | None = None
    first = st.final_gap_run
    if first is not None and not st.easy_first_run and protocol.next_stage(stage.id) is None:
        # The easy day after the first run back at the final stage (``final_gap_rest``).
        easy_cap, easy_none, easy_day = rest.cap_after(
            final_gap_rest(protocol), _run(first), on, offset=offset, at=at
        )
        no_running = no_running or easy_none
        if easy_cap is not None:
            cap = min(cap, easy_cap) if cap is not None else easy_cap
    return prescribe(
        protocol,
        stage.id,
        baseline,
        readiness,
        max_pct_vmax=cap,
        no_running=no_running or st.suspended,
        after_gap=after_gap,
        easy_after_first_run=easy_day,
    )


def programme_days(
    days: Sequence[DayRecord], start: dt.date, until: dt.date | None
) -> list[DayRecord]:
    """Return one record per calendar day from ``start`` to ``until`` (or the last record);
    a day without a record becomes an empty one (missed check-in)."""
    by_date = {d.date: d for d in days}
    last = until or max([start, *by_date])
    out = []
    cur = start
    while cur <= last:
        out.append(by_date.get(cur) or DayRecord(date=cur))
        cur += dt.timedelta(days=1)
    return out


class Timeline(_Frozen):
    """The outcome of every day of a replay, with a summary."""

    days: list[DayOutcome]
    summary: dict[str, object]
    final_state: ProgrammeState

    def to_json_data(self) -> dict[str, object]:
        """Return the data-dictionary JSON form: ``{"days": [...], "summary": {...}}``."""
        return {
            "days": [
                {
                    "date": d.date.isoformat(),
                    "stage": d.stage,
                    "readiness": d.readiness,
                    "decision": d.decision,
                    "stage_after": d.stage_after,
                    "reasons": [r.model_dump(mode="json") for r in d.reasons],
                    "alerts": [{"severity": a.severity, "text": a.text} for a in d.alerts],
                }
                for d in self.days
            ],
            "summary": self.summary,
        }


def summarise(
    protocol: Protocol, days: Sequence[DayOutcome], start: dt.date, injury: Injury
) -> dict[str, object]:
    """Return the summary: days per stage, full-training day, step-backs, escalations."""
    per_stage: dict[str, int] = {s.id: 0 for s in protocol.stages}
    for d in days:
        per_stage[d.stage] = per_stage.get(d.stage, 0) + 1
    full = next(
        (
            d.date
            for d in days
            if d.stage_after == protocol.full_training_stage
            and d.stage != protocol.full_training_stage
        ),
        None,
    )
    sev: dict[str, int] = {"emergency": 0, "same_day": 0, "within_24h": 0, "info": 0}
    for d in days:
        for a in d.alerts:
            sev[a.severity] += 1
    return {
        "days": len(days),
        "days_in_stage": {k: v for k, v in per_stage.items() if v},
        "final_stage": days[-1].stage_after if days else protocol.stages[0].id,
        "full_training_stage": protocol.full_training_stage,
        "full_training_date": full.isoformat() if full else None,
        "programme_day_of_full_training": (full - start).days + 1 if full else None,
        "days_from_injury_to_full_training": (full - injury.injury_date).days if full else None,
        "progressions": sum(d.decision == "progress" for d in days),
        "step_backs": sum(d.decision == "step_back" for d in days),
        "stops": sum(d.decision == "stop" for d in days),
        "escalations": sev,
        "step_back_dates": [d.date.isoformat() for d in days if d.decision == "step_back"],
        "escalation_dates": sorted(
            {d.date.isoformat() for d in days if any(a.severity != "info" for a in d.alerts)}
        ),
    }


def replay(
    protocol: Protocol,
    injury: Injury,
    baseline: Metrics | None,
    days: Sequence[DayRecord],
    *,
    start: dt.date,
    until: dt.date | None = None,
    state: ProgrammeState | None = None,
) -> Timeline:
    """Fold ``decide_day`` over every calendar day from ``start`` (to ``until`` or the last
    record). ``state`` lets a caller resume from a stored snapshot (e.g. after a correction)."""
    all_days = programme_days([d for d in days if d.date >= start], start, until)
    earlier = sorted((d for d in days if d.date < start), key=lambda d: d.date)[-RECENT_DAYS:]
    st = state or initial_state(protocol, start)
    outcomes: list[DayOutcome] = []
    window: list[DayRecord] = list(earlier)
    for day in all_days:
        out, st = decide_day(protocol, injury, baseline, st, day, window)
        outcomes.append(out)
        window.append(day)
        if len(window) > RECENT_DAYS:
            del window[0]
    return Timeline(
        days=outcomes, summary=summarise(protocol, outcomes, start, injury), final_state=st
    )
