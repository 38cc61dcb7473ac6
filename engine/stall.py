"""What keeps an athlete in a stage, in words: for the athlete and for the clinician.

A stage that has not moved on for 7 days names the missing items (reference §4.4: the
clinician reviews after 14 days; naming them earlier lets the athlete or clinician act). The
athlete's text has no stage codes or rule names; the clinician's may name the stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.evaluate import has_baseline_for, missing_baseline_splits, splits_compared
from engine.items import item_label
from engine.models import Metrics
from engine.readiness import DELTA_RULES, MorningResult
from engine.schema import Protocol

if TYPE_CHECKING:
    from engine.programme import GateItem, ProgrammeState

# Gate items that change from day to day (or only count time) are not what a stall is about.
_DAILY = frozenset({"gate.2", "gate.5.days", "gate.6", "gate.final"})
# Why a criterion's latest result was left out (``engine.programme.NotCounted``), for the
# clinician's stall alert (``bot.wording.alerts`` reads these words).
_NOT_COUNTED: dict[str, str] = {
    "session": "it came with a session that did not count",
    "review": "logged while running was stopped for a review",
}


@dataclass(frozen=True)
class TightnessHold:
    """This morning's tightness kept the athlete from moving up although every item was met
    (``engine.programme._tightness_bars_running`` and ``_tightness_bars_moving_up``):
    ``tightness``/10, where below ``below``/10 is needed; ``running``: the limit for running
    (the next stage has running), else the most tightness anyone's usual may be."""

    tightness: int
    below: int
    running: bool


def tightness_hold_words(hold: TightnessHold) -> tuple[str, str]:
    """(athlete words, clinician words) for a tightness hold, as the stall names it (the
    clinician's also close the no-progress alert; ``bot.wording.alerts`` reads them)."""
    if hold.running:
        return (
            f"tightness {hold.tightness}/10: running starts once it is below {hold.below}/10",
            f"morning tightness {hold.tightness}/10 keeps running on hold "
            f"(below {hold.below}/10 needed)",
        )
    return (
        f"tightness {hold.tightness}/10: moving up waits until it is below {hold.below}/10",
        f"morning tightness {hold.tightness}/10 keeps moving up on hold "
        f"(below {hold.below}/10 needed)",
    )


def _some_timed(item: str, baseline: Metrics | None, state: ProgrammeState) -> bool:
    """Whether the stage saw some of the splits a split criterion needs (its bests)."""
    return any(k in state.best_splits for k in splits_compared(item, baseline))


def _metres(split: str) -> str:
    """A split key as a distance ("split_10m_s" → "10 m")."""
    return split.split("_")[1].removesuffix("m") + " m"


def stall_texts(
    protocol: Protocol,
    state: ProgrammeState,
    items: Sequence[GateItem],
    morning: MorningResult,
    days: int,
    baseline: Metrics | None = None,
    tightness: TightnessHold | None = None,
) -> tuple[str, str]:
    """Return (athlete text, clinician text) naming what is missing after ``days`` days in the
    current stage, or two empty strings when nothing but time is missing. A criterion that
    compares with a pre-injury baseline the athlete does not have is named as such: no
    measurement can meet it until the baseline is set (a split criterion whose baseline holds
    some of the splits it names says which are missing: "no pre-injury best for 20 m").
    ``tightness``: this morning's tightness held the athlete with every item met (a "go"
    morning at the stage before running, or above anyone's usual): it is named as what is
    missing, or the athlete held week after week would hear nothing."""
    stage = protocol.stage(state.stage)
    athlete: list[str] = []
    clinician: list[str] = []
    criteria = {c.id: c for c in stage.exit_criteria}
    for item in items:
        if item.met or item.rule in _DAILY:
            continue
        cid = item.rule.removeprefix(f"{stage.id}.")
        if cid in criteria:
            c = criteria[cid]
            label = item_label(c.item)
            missing = missing_baseline_splits(c.item, baseline)
            if (
                state.observed.get(cid) is None
                and label is not None
                and missing
                and len(missing) < len(splits_compared(c.item, baseline))
            ):
                # The baseline holds some of the splits the criterion names: say which not.
                names = ", ".join(_metres(k) for k in missing)
                athlete.append(f"{label}: no pre-injury best for {names} to compare with")
                clinician.append(
                    f"{label}: no baseline for {names} to compare with in {stage.id} ({c.text})"
                )
            elif (
                state.observed.get(cid) is None
                and label is not None
                and not has_baseline_for(c.item, baseline)
            ):
                athlete.append(f"{label}: no pre-injury best to compare with")
                clinician.append(f"{label}: no baseline to compare with in {stage.id} ({c.text})")
            elif (
                state.observed.get(cid) is None
                and label is not None
                and _some_timed(c.item, baseline, state)
            ):
                # Some of the splits were timed, never all in one session: say which.
                names = ", ".join(_metres(k) for k in splits_compared(c.item, baseline))
                athlete.append(f"{label}: time {names} in the same session")
                clinician.append(
                    f"{label}: {names} not all timed in one session in {stage.id} ({c.text})"
                )
            elif state.observed.get(cid) is None and label is not None and item.not_counted:
                # Sent, but with a session that did not count (or while running was
                # stopped): "none recorded" would be untrue.
                athlete.append(f"{label}: your latest result was not counted")
                clinician.append(
                    f"{label}: latest result not counted ({_NOT_COUNTED[item.not_counted]}) "
                    f"in {stage.id} ({c.text})"
                )
            elif state.observed.get(cid) is None and label is not None:
                athlete.append(f"{label}: none recorded at this level yet")
                clinician.append(f"{label}: none recorded in {stage.id} ({c.text})")
            else:
                athlete.append(f"{c.text} (not yet)")
                clinician.append(f"{c.text}: not met (last {item.observed})")
            continue
        pair = _gate_words(item, stage.id)
        if pair is not None:
            athlete.append(pair[0])
            clinician.append(pair[1])
    on_hold = any(i.rule == "gate.1" and not i.met for i in items)
    if morning.readiness not in ("go", "missing") and not on_hold:
        pair = _morning_words(morning)
        athlete.append(pair[0])
        clinician.append(pair[1])
    if tightness is not None:
        pair = tightness_hold_words(tightness)
        athlete.append(pair[0])
        clinician.append(pair[1])
    if not athlete:
        return "", ""
    return (
        f"You have been at this level for {days} days. What is still missing: "
        + "; ".join(athlete)
        + ". Your clinician has been told as well.",
        f"No progress in {stage.id} for {days} days. Missing: " + "; ".join(clinician) + ".",
    )


def _gate_words(item: GateItem, stage_id: str) -> tuple[str, str] | None:
    rule = item.rule
    if rule == "gate.1":
        return (
            "your clinician's review (running is on hold until then)",
            "your review (running is on hold until then)",
        )
    if rule in ("gate.3", "gate.4"):
        return (
            "a green session followed by a green next-morning check-in",
            "a green session with a green 24-hour response",
        )
    if rule == "gate.5.sessions":
        return (
            f"sessions that count ({item.observed} of {item.needed})",
            f"counted sessions {item.observed}/{item.needed} in {stage_id}",
        )
    if rule == "stepback.reentry":
        return (
            f"green sessions in a row after the step back ({item.observed} of {item.needed})",
            f"re-entry greens {item.observed}/{item.needed}",
        )
    if rule == "gate.symptoms":
        return (
            f"{item.needed} days in a row without any pain or tightness (0/10; so far "
            f"{item.observed})",
            f"{item.needed} symptom-free days in a row (all symptoms 0/10; so far {item.observed})",
        )
    if rule == "gate.8":
        return ("your clinician's sign-off", f"your sign-off to leave {stage_id}")
    return None


def _morning_words(morning: MorningResult) -> tuple[str, str]:
    rules = {r.rule for r in morning.reasons}
    if rules & DELTA_RULES:
        return (
            "a green morning check-in: yours are held by a change against your usual symptoms; "
            "if this is your new normal, your clinician's review re-sets it",
            "green mornings: held by a change against the athlete's symptom baseline "
            "(a review with /clear re-sets the baseline)",
        )
    if any(r.startswith(("morning.p5", "morning.p6")) for r in rules):
        return (
            "a green morning check-in: sleep, fatigue, stress or soreness hold it",
            "green mornings: held by wellness (sleep, fatigue, stress, soreness)",
        )
    if any(r.startswith("missing.") for r in rules):
        return (
            "a complete morning check-in (some answers were skipped)",
            "complete morning check-ins (answers skipped)",
        )
    return ("a green morning check-in", "green mornings (pain, tightness or confidence)")
