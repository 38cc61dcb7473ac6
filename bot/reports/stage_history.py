"""Which stage each day was run in, and the stage timeline in words, from the stored history.

The engine decides a day in order: the clinician's actions of that day first, then the
morning (which may move the athlete up or back), then the session in the stage reached by
then, and after the session a last move (a step back after a red session). So the stage a
day's session was run in is the stage of that day's plan (stored with the decision), not the
stage the day started in; a day without a plan (no check-in, paused) is run in the stage it
started in after that day's clinician moves. Days with no decision yet (today before the
check-in, or after a clinician's move) take the stage of the stored moves, and so does a day
decided only in the morning when a clinician moved the athlete after that. Chart bands, the
points' stages and the report's timeline all come from here, so they agree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.reports.data import StageEntry, StagePeriod
from bot.reports.glyphs import shown_name
from bot.reports.shown import alert_text, stage_words
from bot.store.models import Decision
from bot.store.repo import RecordEntry, StageMove
from bot.support.formats import format_short_date
from bot.support.i18n import L_, LazyText, _, labelled, text
from bot.wording import (
    ENGINE_MOVER,
    Audience,
    clinician_move_reason,
    engine_move_reason,
    format_value,
    item_label,
    protocol_text,
)
from bot.wording.engine_reasons import reason_words
from bot.wording.reasons import plain
from bot.wording.stages import REMOVED_STAGE_BAND
from engine.models import Reason
from engine.schema import Protocol

_ENGINE_REASON = re.compile(r"^engine: (?P<decision>\w+) on (?P<date>\d{4}-\d{2}-\d{2})")
_CLINICIAN_REASON = re.compile(r"^(?P<kind>step_back|set_stage)(?:: (?P<note>.*))?$", re.DOTALL)
_MOVES = ("step_back", "set_stage")


def _stage_of(row: Decision, key: str) -> str | None:
    value = row.decision.get(key)
    return value if isinstance(value, str) and value else None


def _plan_stage(row: Decision) -> str | None:
    plan = row.decision.get("plan")
    if isinstance(plan, dict):
        stage = plan.get("stage")
        return stage if isinstance(stage, str) and stage else None
    return None


def day_stages(
    first_day: dt.date,
    last_day: dt.date,
    decisions: Iterable[Decision],
    actions: Iterable[RecordEntry],
    moves: Iterable[StageMove],
    zone: ZoneInfo,
    first_stage: str,
) -> dict[dt.date, str]:
    """Return the stage each day from ``first_day`` to ``last_day`` was run in."""
    morning: dict[dt.date, Decision] = {}
    daily: dict[dt.date, Decision] = {}
    for row in decisions:
        (morning if row.kind == "morning" else daily)[row.local_date] = row
    moved_by_clinician: dict[dt.date, list[tuple[dt.datetime, str]]] = {}
    for action in actions:
        if action.kind in _MOVES and action.stage and action.local_date is not None:
            moved_by_clinician.setdefault(action.local_date, []).append((action.at, action.stage))
    moved_on: dict[dt.date, list[str]] = {}
    for move in moves:
        moved_on.setdefault(move.at.astimezone(zone).date(), []).append(move.to_stage)
    stages: dict[dt.date, str] = {}
    stage = first_stage
    day = first_day
    while day <= last_day:
        decided = daily.get(day) or morning.get(day)
        if decided is not None:
            run_in = _plan_stage(decided)
            if run_in is None:
                run_in = _stage_of(decided, "stage") or stage
                for _, moved in moved_by_clinician.get(day, []):
                    run_in = moved
            stage = _stage_of(decided, "stage_after") or run_in
            if decided.kind == "morning":
                # The day is not closed yet: a clinician's move made after the morning applies
                # to the whole day, as the engine will apply it when it decides the day.
                for at, moved in moved_by_clinician.get(day, []):
                    if at > decided.created_at:
                        run_in = stage = moved
            stages[day] = run_in
        else:
            for moved in moved_on.get(day, []):
                stage = moved
            stages[day] = stage
        day += dt.timedelta(days=1)
    return stages


def band_names(protocol: Protocol | None, stage: str, audience: Audience) -> tuple[str, str]:
    """Return a band's (label, short label): "H2" for clinicians (the chart's title names the
    stage in full), "Stage 3" / "3" for athletes (never a stage id on an athlete's screen); a
    stage a newer version of the protocol removed is "Removed stage" and a dot for both, and
    any stage of a protocol that cannot be read "Stage" and a dot: never its id alone."""
    if protocol is None:
        return (_("Stage"), "·")
    ids = [s.id for s in protocol.stages]
    if stage not in ids:
        return (str(REMOVED_STAGE_BAND), "·")
    if audience == "clinician":
        return (stage, stage)
    number = ids.index(stage) + 1
    return (_("Stage {number}").format(number=number), str(number))


def stage_periods(
    stages: dict[dt.date, str], protocol: Protocol | None, audience: Audience
) -> list[StagePeriod]:
    """Group consecutive days of one stage into periods, oldest first."""
    periods: list[StagePeriod] = []
    for day in sorted(stages):
        stage = stages[day]
        if periods and periods[-1].stage == stage:
            continue
        label, short = band_names(protocol, stage, audience)
        periods.append(StagePeriod(stage=stage, first_date=day, label=label, short=short))
    return periods


# Why a day stopped: the rule of the stop's reason is the rule of the alert the engine raised
# with it (engine.session_rules), or that rule after "morning.p1." (engine.readiness).
_STOP_RULES = frozenset(
    {
        "session.stop",
        "session.red_flag",
        "session.severe_pain",
        "session.pain_location",
        "redflag.achilles",
    }
)
_MORNING_STOP = "morning.p1."
_REINJURY = "stop.reinjury"
# Why a day stepped back (engine.programme: the first of these reasons decides), by the
# clinician's name of the item whose value fired.
_STEP_BACK_ITEMS = {"session.red": "session.pain_max", "session.red.pain_1h": "session.pain_1h"}
_NEXT_MORNING = "24h.step_back"
_NEXT_MORNING_SEEN = re.compile(r"^test pain (?P<test>[+-]\d+), tightness (?P<tight>[+-]\d+)$")
_REST_STREAK = "morning.p3.repeat"
_CLINICIAN_STEP_BACK = "clinician.step_back"
_TRIGGER_STEP_BACK = ": step back to the previous stage."


def _dicts(row: Decision, key: str) -> list[dict[str, Any]]:
    return [r for r in row.decision.get(key, []) or [] if isinstance(r, dict)]


def _stop_alert_rule(rule: str) -> str | None:
    """The rule of the alert a stop's reason goes with, or None if it is not a stop's reason."""
    if rule in _STOP_RULES:
        return rule
    if rule.startswith(_MORNING_STOP + "redflag."):
        return rule.removeprefix(_MORNING_STOP)
    return None


def is_warning_sign(rule: str) -> bool:
    """Whether an alert of ``rule`` is a red flag (what the athlete calls a warning sign): a
    red-flag tier, or what stops a session or a morning."""
    return rule.startswith("redflag.") or _stop_alert_rule(rule) is not None


def _stop_cause(row: Decision, protocol: Protocol | None, day: dt.date) -> str | None:
    """A stop's red flag as the clinician's alert card words it (the alert the engine raised
    with the stop's reason), else the re-injury alert of the day; None if neither is stored."""
    alerts = {str(a.get("rule")): str(a.get("text", "")) for a in _dicts(row, "alerts")}
    wanted = [_stop_alert_rule(str(r.get("rule", ""))) for r in _dicts(row, "reasons")]
    for rule in [*(w for w in wanted if w is not None), _REINJURY]:
        if alerts.get(rule):
            return alert_text(rule, alerts[rule], protocol, day)
    return None


def _trigger_text(protocol: Protocol | None, reason: dict[str, Any]) -> str | None:
    """A regression trigger that stepped the athlete back, in the protocol's words."""
    rule, said = str(reason.get("rule", "")), str(reason.get("text", ""))
    for stage in getattr(protocol, "stages", ()):
        for trigger in stage.regression_triggers:
            if trigger.id == rule and trigger.action == "step_back":
                return protocol_text(trigger.text)
    if said.endswith(_TRIGGER_STEP_BACK):
        return protocol_text(said.removesuffix(_TRIGGER_STEP_BACK))
    return None


# Why the rules moved the athlete, in the athlete's own report (voice.md: "we'll go back one
# stage for a few days", "a warning sign"); ``bot.wording.engine_move_reason`` words them for
# clinicians.
_ATHLETE_LEADS: dict[str, LazyText] = {
    "progress": L_("Moved up: you had what's needed"),
    "step_back": L_("Back one stage for a few days"),
    "stop": L_("Stopped after a warning sign: your clinician was told"),
}
_ATHLETE_CLINICIAN_LEADS: dict[str, LazyText] = {
    "step_back": L_("Your clinician moved you back"),
    "set_stage": L_("Your clinician set your stage"),
}


def _move_reason(decision: str, cause: str | None, audience: Audience) -> str:
    """Why the rules moved the athlete, for ``audience``: a stop's cause (the clinician's
    alert line) is left out for the athlete, whose report says the warning sign in words."""
    if audience != "athlete":
        return engine_move_reason(decision, cause)
    lead = text(_ATHLETE_LEADS.get(decision, L_("Moved")))
    if decision in ("progress", "stop") or not cause:
        return lead
    return labelled(lead, cause.rstrip("."))


def _clinician_reason(kind: str, note: str | None, audience: Audience) -> str:
    """Why a clinician moved the athlete: the action and the reason they typed (sent to the
    athlete word for word when it was given)."""
    if audience != "athlete":
        return clinician_move_reason(kind, note)
    lead = text(_ATHLETE_CLINICIAN_LEADS.get(kind, _ATHLETE_CLINICIAN_LEADS["set_stage"]))
    return labelled(lead, note.strip()) if note and note.strip() else lead


def _step_back_reason(
    reason: dict[str, Any], protocol: Protocol | None, audience: Audience = "clinician"
) -> str | None:
    """The whole "why" of a step back decided by ``reason``, or None if it did not decide it."""
    rule, seen = str(reason.get("rule", "")), reason.get("observed")
    lead = _move_reason("step_back", None, audience)
    if rule == _REST_STREAK:
        try:
            worded = reason_words(Reason.model_validate(reason), protocol)
        except ValidationError:
            worded = None
        if worded and audience == "athlete":
            return _move_reason("step_back", worded, audience)
        return worded or lead
    if rule == _CLINICIAN_STEP_BACK:
        return _clinician_reason("step_back", None, audience)
    if rule == _NEXT_MORNING:
        found = _NEXT_MORNING_SEEN.match(str(seen or ""))
        if found is None:
            return lead
        return _move_reason(
            "step_back",
            f"{item_label('morning.pain_test', audience)} {found['test']}, "
            f"{item_label('morning.tightness', audience)} {found['tight']}",
            audience,
        )
    if rule in _STEP_BACK_ITEMS:
        item = _STEP_BACK_ITEMS[rule]
        if isinstance(seen, bool) or not isinstance(seen, int | float):
            return lead
        return _move_reason(
            "step_back", f"{item_label(item, audience)} {format_value(item, seen)}", audience
        )
    trigger = _trigger_text(protocol, reason)
    if trigger is not None and audience == "athlete":
        trigger = plain(trigger, protocol)
    return _move_reason("step_back", trigger, audience) if trigger is not None else None


def _engine_reason(
    rows: Sequence[Decision],
    decision: str,
    protocol: Protocol | None,
    day: dt.date,
    audience: Audience = "clinician",
) -> str:
    """Why the rules moved the athlete on ``day`` (``rows``: that day's decisions that came
    out as ``decision``), in the reader's words: chosen by the reasons' rules, never by their
    English sentences, which are for the record."""
    for row in reversed(rows):
        if decision == "stop" and audience != "athlete":
            cause = _stop_cause(row, protocol, day)
            if cause is not None:
                return engine_move_reason("stop", cause)
        elif decision == "step_back":
            for reason in _dicts(row, "reasons"):
                worded = _step_back_reason(reason, protocol, audience)
                if worded is not None:
                    return worded
    return _move_reason(decision, None, audience)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def timeline_entries(
    moves: Sequence[StageMove],
    decisions: Iterable[Decision],
    protocol: Protocol | None,
    zone: ZoneInfo,
    start_date: dt.date,
    audience: Audience = "clinician",
) -> list[StageEntry]:
    """Return the stage timeline: every move with its stage's name, who moved the athlete
    (a clinician's name, or the protocol's rules) and why, in words for ``audience`` (the
    athlete's own report: "Stage 3 of 8 · back to running", never a stage code)."""
    by_day: dict[dt.date, list[Decision]] = {}
    for row in decisions:
        by_day.setdefault(row.local_date, []).append(row)
    entries: list[StageEntry] = []
    for index, move in enumerate(moves):
        label = stage_words(protocol, move.to_stage, audience)
        if index == 0 and move.from_stage is None:
            moved_by, reason = _("Enrolment"), _("Programme started")
        elif move.by_name is not None:
            found = _CLINICIAN_REASON.match(move.reason or "")
            kind = found["kind"] if found else "set_stage"
            note = move.note or (found["note"] if found else None)
            moved_by = shown_name(move.by_name, move.by_person_id)
            reason = _clinician_reason(kind, note, audience)
        else:
            found = _ENGINE_REASON.match(move.reason or "")
            decision = found["decision"] if found else "progress"
            if found:
                day = dt.date.fromisoformat(found["date"])
                candidates = [r for r in by_day.get(day, []) if r.outcome == decision]
                reason = _engine_reason(candidates, decision, protocol, day, audience)
                if day != move.at.astimezone(zone).date():
                    reason += " " + _("(decided for {date})").format(date=format_short_date(day))
            else:
                reason = _move_reason(decision, None, audience)
            moved_by = _(ENGINE_MOVER)
        entries.append(
            StageEntry(
                stage=_clip(move.to_stage, 12),
                stage_label=_clip(label, 80),
                entered=start_date if index == 0 else move.at.astimezone(zone).date(),
                at=move.at,
                moved_by=_clip(moved_by, 60),
                reason=_clip(reason, 300),
            )
        )
    return entries
