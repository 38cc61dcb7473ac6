"""Where an athlete stands in the current stage: every gate item met or not, for /status and
the clinician's view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from pydantic import BaseModel, ConfigDict

from engine.models import DayRecord, Injury, Metrics
from engine.programme import (
    GateItem,
    ProgrammeState,
    accepted_usual,
    criteria_items,
    gate_items,
)
from engine.schema import Protocol


class StageStatus(BaseModel):
    """The current stage, its exit criteria and the other gate items, with what is missing."""

    model_config = ConfigDict(frozen=True)

    stage: str
    stage_name: str
    next_stage: str | None
    days_in_stage: int
    min_days: int
    sessions_counted: int
    min_sessions: int
    criteria: list[GateItem]
    gate: list[GateItem]
    signoff: str
    signoff_pending: bool
    paused: bool
    suspended: bool
    # The tightness the clinician accepted as usual (/usual), while it is in force.
    usual_tightness: int | None = None

    def lines(self) -> list[str]:
        """Return the status as chat-message lines (✅ met, ⬜ not yet)."""
        out = [
            f"Stage {self.stage} – {self.stage_name}"
            + (f" (next: {self.next_stage})" if self.next_stage else " (final stage)")
        ]
        out.append(
            f"Days in stage: {self.days_in_stage}/{self.min_days}; "
            f"sessions counted: {self.sessions_counted}/{self.min_sessions}"
        )
        for c in self.criteria:
            mark = "✅" if c.met else "⬜"
            out.append(
                f"{mark} {c.text} (seen: {c.observed if c.observed is not None else '—'}; "
                f"needed: {c.needed})"
            )
        if self.signoff_pending:
            out.append("⏳ Waiting for the clinician's sign-off.")
        if self.paused:
            out.append("⏸ Paused by the clinician.")
        if self.suspended:
            out.append("⛔ No running until the clinician has reviewed.")
        return out


def _days_not_negative(item: GateItem) -> GateItem:
    """Return the days-in-stage item with its count at 0 at least (see ``days_in_stage``)."""
    if item.rule != "gate.5.days" or not isinstance(item.observed, int) or item.observed >= 0:
        return item
    return replace(item, observed=0)


def stage_status(
    protocol: Protocol,
    injury: Injury,
    baseline: Metrics | None,
    state: ProgrammeState,
    recent: Sequence[DayRecord],
    *,
    on: dt.date | None = None,
) -> StageStatus:
    """Return the status of the current stage as of ``on`` (default: the date of the last
    record in ``recent``, or the stage entry date). Readiness is taken as go so the list shows
    what the stage itself still needs; ``baseline`` is accepted for symmetry with decide_day."""
    del baseline
    last = max((d.date for d in recent), default=state.stage_entered)
    when = on or max(last, state.stage_entered)
    stage = protocol.stage(state.stage)
    crit = criteria_items(stage, state)
    gate = [_days_not_negative(g) for g in gate_items(protocol, injury, state, when, "go")]
    sign = next((g for g in gate if g.rule == "gate.8"), None)
    return StageStatus(
        stage=stage.id,
        stage_name=stage.name,
        next_stage=protocol.next_stage(stage.id),
        # A day before the stage began: the athlete moved west, so their today is the day
        # before the one the stage was entered on (in the old zone's dates).
        days_in_stage=max(0, (when - state.stage_entered).days),
        min_days=stage.min_days.value,
        sessions_counted=state.qualifying_sessions,
        min_sessions=stage.min_sessions.value,
        criteria=crit,
        gate=gate,
        signoff=stage.signoff,
        signoff_pending=sign is not None and not sign.met,
        paused=state.paused,
        suspended=state.suspended,
        usual_tightness=accepted_usual(state, protocol),
    )
