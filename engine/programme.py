"""The programme: one decision per calendar day, folded over the athlete's history.

``decide_day`` is pure: it takes the protocol, the injury, the baseline, the state at the start
of the day, the day's record and a bounded window of earlier days (≤ 28, for Hooper z-scores
and week-on-week trends) and returns the day's outcome and the state at the end of the day.
Cost per day does not depend on how long the history is. ``replay`` folds it over every
calendar day from the start; a day without a record is a missed check-in (hold).

Order within a day: clinician actions → morning verdict (red flags first) → 24-hour response
to the previous session → step-back / hold rules → progression gate (reference §4.4) →
today's session (classification, stage criteria, regression triggers) → escalations → plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.evaluate import (
    DayContext,
    Observation,
    measured_pct,
    observe,
    speed_drop,
)
from engine.models import (
    Alert,
    ClinicianAction,
    DayRecord,
    DecisionKind,
    Injury,
    Instruction,
    Metrics,
    Readiness,
    Reason,
    SessionClass,
)
from engine.plan import SessionPlan, prescribe
from engine.readiness import MorningResult, SymptomBaseline, morning_verdict
from engine.schema import Criterion, Protocol, Stage, Trigger
from engine.session_rules import classify_session

Response = Literal["pending", "green", "hold", "step_back", "missing"]
_SPLITS = ("split_10m_s", "split_20m_s", "split_30m_s", "split_40m_s")
RECENT_DAYS = 28


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RunEntry(_Frozen):
    """A running session: its date and intensity (% Vmax, measured or assumed)."""

    date: dt.date
    pct: float


class LastSession(_Frozen):
    """The most recent session and, once known, its 24-hour response."""

    date: dt.date
    stage: str
    session_class: SessionClass
    counts_for_progress: bool
    pre_pain_test: int | None = None
    pre_tightness: int | None = None
    response: Response = "pending"


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


@dataclass(frozen=True, slots=True)
class GateItem:
    """One item of the progression gate (reference §4.4) or of a stage's exit criteria."""

    rule: str
    met: bool
    text: str
    observed: str | float | int | bool | None = None
    needed: str | float | int | bool | None = None


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
        "best_vmax": None,
        "best_splits": {},
        "best_heel_raise": None,
        "clearance": False,
        "clearance_requested": False,
        "green_streak": 0,
    }
    update.update(extra)
    return state.model_copy(update=update)


def symptom_baseline(state: ProgrammeState) -> SymptomBaseline | None:
    """Return the median of the last green mornings' test pain and tightness, if any."""
    samples = state.symptom_samples
    if not samples:
        return None
    return SymptomBaseline(
        pain_test=_median([s[0] for s in samples]), tightness=_median([s[1] for s in samples])
    )


def _median(values: list[int]) -> float:
    v = sorted(values)
    n = len(v)
    return float(v[n // 2]) if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def criteria_items(stage: Stage, state: ProgrammeState, prefix: str = "") -> list[GateItem]:
    """Return every exit criterion of ``stage`` as met / unmet with observed vs needed."""
    out = []
    for c in stage.exit_criteria:
        streak = state.streaks.get(c.id, 0) if state.stage == stage.id else 0
        seen = state.observed.get(c.id) if state.stage == stage.id else None
        needed = c.describe()
        if c.at_pct_vmax is not None:
            needed += f" at ≥ {c.at_pct_vmax:g} % Vmax"
        if c.pain_max is not None:
            needed += f" with pain ≤ {c.pain_max}"
        observed: str | float | bool | None = seen
        if c.count > 1:
            observed = f"{streak}/{c.count} in a row (last {seen if seen is not None else '—'})"
        out.append(
            _gi(
                rule=prefix + c.id,
                met=streak >= c.count,
                observed=observed,
                needed=needed,
                text=c.text,
            )
        )
    return out


def _hours_since_run(state: ProgrammeState, on: dt.date, from_pct: float) -> int | None:
    runs = [r.date for r in state.run_log if r.pct >= from_pct and r.date < on]
    return (on - max(runs)).days * 24 if runs else None


def gate_items(
    protocol: Protocol,
    injury: Injury,
    state: ProgrammeState,
    on: dt.date,
    readiness: Readiness | Literal["missing"],
    *,
    red_flag: bool = False,
) -> list[GateItem]:
    """Return every item of the progression gate for the current stage on day ``on``."""
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
    rest_stage = protocol.stage(nxt_id) if nxt_id is not None else stage
    rule = rest_stage.rest or stage.rest
    if rule is not None:
        hours = _hours_since_run(state, on, rule.applies_from_pct_vmax)
        items.append(
            _gi(
                rule="gate.6",
                met=hours is None or hours >= rule.value,
                observed=hours if hours is not None else "no recent run",
                needed=f"≥ {rule.value} h",
                text="Rest since the last high-speed session",
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
    frac = protocol.rules.escalation.early_signoff_fraction.value / 100
    return (on - injury.injury_date).days < frac * expected


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
    )


def _observe_stage(
    stage: Stage, state: ProgrammeState, ctx: DayContext, phase: str
) -> tuple[ProgrammeState, list[tuple[Trigger, Observation]]]:
    """Update the stage's criteria streaks; return the state and the triggers that fired."""
    streaks = dict(state.streaks)
    observed = dict(state.observed)
    fired: list[tuple[Trigger, Observation]] = []
    crits: list[Criterion] = [*stage.exit_criteria, *stage.regression_triggers]
    changed = False
    for c in crits:
        ob = observe(c, ctx, phase)
        if ob is None:
            continue
        changed = True
        if ob.value is not None:
            observed[c.id] = ob.value
        streaks[c.id] = streaks.get(c.id, 0) + 1 if ob.satisfied else 0
        if isinstance(c, Trigger) and streaks[c.id] >= c.count:
            fired.append((c, ob))
            streaks[c.id] = 0
    if not changed:
        return state, fired
    return state.model_copy(update={"streaks": streaks, "observed": observed}), fired


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
    pruned = {
        "step_back_dates": tuple(
            d for d in state.step_back_dates if (on - d).days < esc.step_backs_window_days.value
        ),
        "red_dates": tuple(d for d in state.red_dates if (on - d).days < esc.red_repeat_days.value),
        "run_log": tuple(r for r in state.run_log if (on - r.date).days <= 7),
    }
    changed = any(len(v) != len(getattr(state, k)) for k, v in pruned.items())
    st = state.model_copy(update=pruned) if changed else state
    stage0 = st.stage
    decision: DecisionKind | None = None
    hold_today = False

    # 1. Clinician actions (a scenario's `clearance: true` is a `clear`).
    actions = list(day.clinician_actions)
    if day.clearance:
        actions.insert(0, ClinicianAction(kind="clear"))
    for a in actions:
        st, moved, held = _clinician(protocol, st, a, on, acc)
        decision = moved or decision
        hold_today = hold_today or held
    paused_today = day.paused or st.paused

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

    # 2. Morning verdict.
    hooper_hist, weekly = _scan_window(recent, on, protocol.rules.morning.hooper_window_days.value)
    sym = symptom_baseline(st)
    mr = morning_verdict(protocol, day.morning, hooper_hist, sym)
    acc.reasons += mr.reasons
    acc.alerts += mr.alerts
    acc.instructions += mr.instructions
    red_flag = mr.level == "stop"
    st = _morning_streaks(protocol, st, mr, day, acc, paused=paused_today)
    if red_flag:
        decision = "stop"
        st = _suspend(st)
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
    if _week_rise(protocol, day, weekly, acc):
        hold_today = True
        if st.week_rise_alerted is None or (on - st.week_rise_alerted).days >= 7:
            acc.alert(
                "info",
                "24h.week_rise",
                "Morning pain or tightness has risen week on week "
                "(7-day mean up ≥ 1 point): stage held, please review.",
            )
            st = st.model_copy(update={"week_rise_alerted": on})

    # 4. Morning-phase criteria and triggers of the current stage.
    stage = protocol.stage(st.stage)
    st, fired = _observe_stage(stage, st, _ctx(day, baseline, st, sym, False), "morning")
    for trig, ob in fired:
        kind = _trigger(trig, ob, acc)
        if kind == "step_back":
            step_back_reasons.append(trig.id)
        else:
            hold_today = True

    # 5. Decide: stop > clinician move > pause > step back > suspension (hold) > gate.
    awaiting = False
    if decision is None:
        if paused_today:
            decision = "hold"
            acc.reason("clinician.paused", "Programme paused: no prompts, no progression.")
        elif step_back_reasons:
            decision, st = _step_back(protocol, st, on, acc, step_back_reasons[0])
            if st.suspended:
                acc.reason("gate.1", "Still awaiting clinician review: no running until reviewed.")
        elif st.suspended:
            decision = "hold"
            acc.reason(
                "gate.1",
                "Awaiting clinician review after a stop or persisting symptoms: "
                "no running until reviewed.",
            )
        else:
            items = gate_items(protocol, injury, st, on, mr.readiness, red_flag=red_flag)
            unmet = [i for i in items if not i.met]
            if not unmet and not hold_today:
                decision, st = _progress(protocol, st, on, acc, items)
            else:
                decision = "hold"
                for i in unmet:
                    acc.reason(i.rule, f"Not yet: {i.text.rstrip('.')}.", i.observed, i.needed)
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

    if st.stage != stage.id:
        # The morning also counts for the stage entered this morning (e.g. "2 mornings in a row").
        st, fired = _observe_stage(
            protocol.stage(st.stage), st, _ctx(day, baseline, st, sym, False), "morning"
        )
        for trig, ob in fired:
            _trigger(trig, ob, acc)
    plan = (
        None if paused_today or mr.readiness == "missing" else _plan(protocol, baseline, st, mr, on)
    )

    # 6. Today's session, in the stage the athlete is in now.
    readiness = mr.readiness
    session_class: SessionClass | None = None
    if day.session is not None:
        st, decision, session_class = _session(
            protocol, baseline, st, day, mr, sym, decision, stage0, acc
        )
    else:
        cstage = protocol.stage(st.stage)
        st, fired = _observe_stage(cstage, st, _ctx(day, baseline, st, sym, False), "day")
        st, decision = _apply_triggers(protocol, st, on, fired, decision, acc)

    # 7. Escalations over time.
    st = _escalations(protocol, st, on, decision, acc, paused=paused_today)
    if (
        decision == "progress"
        and st.stage == protocol.full_training_stage
        and st.full_training_reached is None
    ):
        st = st.model_copy(update={"full_training_reached": on})
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
    )
    return outcome, st


def _suspend(st: ProgrammeState) -> ProgrammeState:
    """Return ``st`` suspended until the clinician reviews. A sign-off recorded before the stop
    was given on what was known then: the gate needs a fresh clearance after the review."""
    return st.model_copy(
        update={"suspended": True, "clearance": False, "clearance_requested": False}
    )


def _clinician(
    protocol: Protocol, st: ProgrammeState, a: ClinicianAction, on: dt.date, acc: _Acc
) -> tuple[ProgrammeState, DecisionKind | None, bool]:
    note = f" ({a.note})" if a.note else ""
    if a.kind == "clear":
        if st.suspended:
            acc.reason(
                "clinician.clear",
                f"Clinician reviewed the athlete: running may resume{note}. (A sign-off gate "
                "needs a separate clearance.)",
            )
            return st.model_copy(update={"suspended": False}), None, False
        acc.reason("clinician.clear", f"Clinician clearance recorded for stage {st.stage}{note}.")
        return st.model_copy(update={"clearance": True}), None, False
    if a.kind == "decline":
        acc.reason("clinician.decline", f"Clinician declined sign-off for stage {st.stage}{note}.")
        return st.model_copy(update={"clearance": False, "clearance_requested": False}), None, True
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
        return st.model_copy(update={"suspended": False}), None, False
    if a.kind == "step_back":
        prev = protocol.previous_stage(st.stage)
        acc.reason(
            "clinician.step_back",
            f"Clinician moved the athlete back to {prev}{note}.",
            st.stage,
            prev,
        )
        moved = enter_stage(
            st,
            prev,
            on,
            suspended=False,
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
    return (
        enter_stage(st, target, on, suspended=False, reentry_greens_needed=0, last_progress=on),
        kind,
        False,
    )


def _morning_streaks(
    protocol: Protocol,
    st: ProgrammeState,
    mr: MorningResult,
    day: DayRecord,
    acc: _Acc,
    *,
    paused: bool,
) -> ProgrammeState:
    esc = protocol.rules.escalation
    m = day.morning
    rest_streak = st.rest_streak + 1 if mr.step_back_candidate else 0
    low_conf = st.low_conf_streak + 1 if mr.psych_flag else 0
    # A paused programme sends no prompts, so a day without a check-in is not "missed".
    missed = st.missed_streak + 1 if m is None and not paused else 0
    samples = st.symptom_samples
    if (
        mr.readiness == "go"
        and m is not None
        and m.pain_test is not None
        and m.tightness is not None
    ):
        n = protocol.rules.morning.baseline_green_mornings.value
        samples = (*samples, (m.pain_test, m.tightness))[-n:]
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
    return st.model_copy(
        update={
            "rest_streak": rest_streak,
            "low_conf_streak": low_conf,
            "missed_streak": missed,
            "symptom_samples": samples,
        }
    )


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
        if (
            (on - ls.date).days > 1
            or m is None
            or m.pain_test is None
            or m.tightness is None
            or ls.pre_pain_test is None
            or ls.pre_tightness is None
        ):
            resp = "missing"
            acc.reason(
                "24h.missing",
                "The morning after the last session was not fully answered: "
                "its 24-hour response is unknown, counted as not met.",
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
        greens = st.green_streak + 1 if resp == "green" and ls.counts_for_progress else 0
        update["green_streak"] = greens if ls.stage == st.stage else 0
        if resp in ("hold", "step_back"):
            update["elevated"] = new_ls
    el = st.elevated
    answered = m is not None and m.pain_test is not None and m.tightness is not None
    # The 48-hour look is taken on the first fully answered morning from 48 h on (a skipped
    # check-in must not drop it), for up to a week.
    if el is not None and (on - el.date).days >= 2 and (answered or (on - el.date).days >= 7):
        update["elevated"] = None
        if (
            m is not None
            and m.pain_test is not None
            and m.tightness is not None
            and el.pre_pain_test is not None
            and el.pre_tightness is not None
            and max(m.pain_test - el.pre_pain_test, m.tightness - el.pre_tightness) >= 1
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
            update.update(suspended=True, clearance=False, clearance_requested=False)
    return (st.model_copy(update=update) if update else st), resp


def _scan_window(
    recent: Sequence[DayRecord], on: dt.date, hooper_days: int
) -> tuple[list[int], list[tuple[int, int]]]:
    """One pass over the earlier days: Hooper indices within the z-score window, and
    (age in days, worst of test pain and tightness) for the last 14 days."""
    hooper: list[int] = []
    weekly: list[tuple[int, int]] = []
    for r in recent:
        m = r.morning
        if m is None:
            continue
        age = (on - r.date).days
        if age <= 0 or age > RECENT_DAYS:
            continue
        a, b, c, d = m.sleep_quality, m.fatigue, m.stress, m.soreness
        if (
            age <= hooper_days
            and a is not None
            and b is not None
            and c is not None
            and d is not None
        ):
            hooper.append(a + b + c + d)
        pt, tg = m.pain_test, m.tightness
        if age < 14 and pt is not None and tg is not None:
            weekly.append((age, pt if pt > tg else tg))
    return hooper, weekly


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
    if trig.action == "escalate":
        acc.alert(
            trig.notify or "within_24h", trig.id, f"{trig.text}: clinician review (targeted block)."
        )
        acc.reason(trig.id, f"{trig.text}: clinician notified, stage held.", ob.value, threshold)
        return "escalate"
    if trig.notify is not None:
        acc.alert(
            trig.notify, trig.id, f"{trig.text}: the athlete is moved back a stage; please review."
        )
    if trig.action == "hold":
        acc.reason(trig.id, f"{trig.text}: hold.", ob.value, threshold)
        return "hold"
    acc.reason(trig.id, f"{trig.text}: step back to the previous stage.", ob.value, threshold)
    return "step_back"


def _step_back(
    protocol: Protocol, st: ProgrammeState, on: dt.date, acc: _Acc, rule: str
) -> tuple[DecisionKind, ProgrammeState]:
    if protocol.index(st.stage) == 0:
        acc.reason(rule, "Already at the first stage: held there.")
        return "hold", st
    prev = protocol.previous_stage(st.stage)
    esc = protocol.rules.escalation
    acc.reason(
        "stepback",
        f"Step back from {st.stage} to {prev}: its session template applies; "
        f"re-entering {st.stage} needs {esc.reentry_green_sessions.value} green sessions with "
        "green 24-hour responses.",
        st.stage,
        prev,
    )
    return "step_back", _back_to(protocol, st, prev, on, acc)


def _back_to(
    protocol: Protocol, st: ProgrammeState, to: str, on: dt.date, acc: _Acc
) -> ProgrammeState:
    """Return ``st`` stepped back into ``to`` on ``on``, alerting the clinician when this makes
    too many step-backs within the window (reference §4.4, §5 tier 3)."""
    esc = protocol.rules.escalation
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


def _session(
    protocol: Protocol,
    baseline: Metrics | None,
    st: ProgrammeState,
    day: DayRecord,
    mr: MorningResult,
    sym: SymptomBaseline | None,
    decision: DecisionKind | None,
    stage0: str,
    acc: _Acc,
) -> tuple[ProgrammeState, DecisionKind, SessionClass]:
    assert day.session is not None and decision is not None
    on = day.date
    session = day.session
    stage = protocol.stage(st.stage)
    pain = protocol.rules.pain
    mpct = measured_pct(session, baseline)
    if mpct is not None:
        exposure = mpct
    elif stage.running:
        # Perceived effort under-estimates speed (reference §0.3): assume ≥ 20 points more.
        exposure = min(100.0, stage.top_pct_vmax + pain.perceived_effort_offset_pct.value)
    else:
        exposure = 0.0
    tight_base = (
        sym.tightness
        if sym is not None
        else (day.morning.tightness if day.morning is not None else None)
    )
    sr = classify_session(protocol, session, exposure, tight_base)
    acc.reasons += sr.reasons
    acc.alerts += sr.alerts
    if sr.triage is not None:
        acc.instructions.append(sr.triage.instruction)
    blocked: str = "awaiting clinician review" if st.suspended else mr.readiness
    if day.paused or st.paused:
        blocked = "paused"
    if blocked in ("rest", "stop", "missing", "awaiting clinician review", "paused"):
        acc.reason(
            "session.against_plan",
            "A session was logged on a day without running "
            "cleared: it is recorded, and counts against progression.",
            blocked,
            "go/modify",
        )

    # Criteria and triggers of the stage the session was done in.
    full = mr.readiness == "go"
    ctx = _ctx(day, baseline, st, sym, full)
    st, fired = _observe_stage(stage, st, ctx, "day")
    m = session.metrics
    best_splits = dict(st.best_splits)
    for k in _SPLITS:
        v = getattr(m, k)
        if v is not None and full:
            best_splits[k] = min(v, best_splits.get(k, v))
    drop = speed_drop(m, st.best_vmax, st.best_splits) if full else None
    if drop is not None and drop > 3:
        acc.reason(
            "metric.regression",
            "Speed down > 3 % vs the best of this stage: a single bad "
            "test is re-tested next session; two in a row step back.",
            drop,
            "≤ 3 %",
        )
    best_vmax = st.best_vmax
    if m.vmax_ms is not None and full:
        best_vmax = max(m.vmax_ms, best_vmax or 0.0)
    best_hr = st.best_heel_raise
    if m.heel_raise_reps_injured is not None:
        best_hr = max(m.heel_raise_reps_injured, best_hr or 0)
    counted = sr.session_class in ("green", "amber") and blocked in ("go", "modify")
    at = stage.min_sessions.at_pct_vmax
    qualifies = counted and (at is None or (mpct is not None and mpct >= at))
    low_hv = (
        st.low_conf_hv_streak + 1 if sr.low_confidence else (0 if sr.hv else st.low_conf_hv_streak)
    )
    counts = (
        sr.session_class == "green"
        and not sr.incomplete
        and not (drop is not None and drop > 3)
        and blocked in ("go", "modify")
    )
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
    pre_pt = day.morning.pain_test if day.morning is not None else None
    pre_tg = day.morning.tightness if day.morning is not None else None
    runs = st.run_log + ((RunEntry(date=on, pct=exposure),) if exposure > 0 else ())
    st = st.model_copy(
        update={
            "sessions_in_stage": st.sessions_in_stage + 1,
            "qualifying_sessions": st.qualifying_sessions + (1 if qualifies else 0),
            "best_vmax": best_vmax,
            "best_splits": best_splits,
            "best_heel_raise": best_hr,
            "low_conf_hv_streak": low_hv,
            "run_log": runs,
            "last_session": LastSession(
                date=on,
                stage=stage.id,
                session_class=sr.session_class,
                counts_for_progress=counts,
                pre_pain_test=pre_pt,
                pre_tightness=pre_tg,
            ),
        }
    )
    if sr.session_class == "stop":
        back_to = st.stage if protocol.index(st.stage) <= protocol.index(stage0) else stage0
        if back_to != st.stage:
            st = enter_stage(st, back_to, on)
        return _suspend(st), "stop", "stop"
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
        if decision != "step_back":
            if decision == "progress":
                acc.reason("stepback", f"Red session in the new stage: back to {stage0}.")
                return _back_to(protocol, st, stage0, on, acc), "step_back", "red"
            decision, st = _step_back(protocol, st, on, acc, "session.red")
        return st, decision, "red"
    st, decision = _apply_triggers(protocol, st, on, fired, decision, acc, stage0)
    return st, decision, sr.session_class


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
        acc.reason("stepback", f"Regression trigger in the new stage: back to {stage0}.")
        return _back_to(protocol, st, stage0, on, acc), "step_back"
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
) -> ProgrammeState:
    esc = protocol.rules.escalation
    if decision == "progress" or paused or protocol.next_stage(st.stage) is None:
        return st
    # Counted from the last progression: a step-back is not progress (reference §4.4).
    since = st.last_progress
    idle = (on - since).days
    alerted = st.no_progress_alerted
    if idle >= esc.no_progress_days.value and (
        alerted is None or (on - alerted).days >= esc.no_progress_days.value
    ):
        acc.alert(
            "within_24h",
            "escalate.no_progress",
            f"No progression for {idle} days (stage {st.stage}): clinician review.",
        )
        return st.model_copy(update={"no_progress_alerted": on})
    return st


def _plan(
    protocol: Protocol, baseline: Metrics | None, st: ProgrammeState, mr: MorningResult, on: dt.date
) -> SessionPlan:
    stage = protocol.stage(st.stage)
    readiness = mr.readiness if mr.readiness != "missing" else "rest"
    cap = mr.max_pct_vmax
    no_running = st.suspended
    if stage.rest is not None:
        hours = _hours_since_run(st, on, stage.rest.applies_from_pct_vmax)
        if hours is not None and hours < stage.rest.value:
            if stage.rest.applies_from_pct_vmax <= 50:
                no_running = True
            else:
                limit = stage.rest.applies_from_pct_vmax - 5
                cap = min(cap, limit) if cap is not None else limit
    plan = prescribe(
        protocol, stage.id, baseline, readiness, max_pct_vmax=cap, no_running=no_running
    )
    return plan


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
