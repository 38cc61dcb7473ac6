"""What the current stage still needs, in the same words on the chart and in the PDF.

From the engine's stage status (``engine.status.StageStatus``): the speed criterion the chart
draws as a line (at exactly the criterion's threshold), the report's "what is needed" rows
with minimum days and sessions, and the list of what is still missing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.reports.data import CriterionRow, StageTarget
from bot.reports.shown import stage_words
from bot.support.i18n import L_, _
from bot.wording import (
    Audience,
    describe_criterion,
    describe_gate_item,
    format_value,
    protocol_text,
    still_needed,
)
from bot.wording.items import ITEM_WORDING, item_label
from bot.wording.reasons import plain
from engine.programme import GateItem
from engine.schema import Criterion, Protocol
from engine.status import StageStatus

# Criteria on the speed the Vmax line shows (% of the pre-injury top speed).
SPEED_ITEMS = ("derived.vmax_pct_baseline", "derived.pct_vmax")
# The morning check-in of the day is assumed "go" by the status: it is not a row of its own.
_DAILY_RULES = ("gate.2",)
READINESS_NOTE = L_("A move up also needs a 'go' morning check-in on the day.")
# The same, for the athlete's own report.
READINESS_NOTE_ATHLETE = L_("To move up, your morning check-in that day also needs to say go.")


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def speed_criterion(protocol: Protocol, stage_id: str) -> tuple[Criterion, float] | None:
    """Return the stage's exit criterion on speed and the speed it asks for (% of the
    pre-injury top speed): a speed threshold itself, else the highest "at ≥ X % Vmax"."""
    try:
        stage = protocol.stage(stage_id)
    except KeyError:
        return None
    for criterion in stage.exit_criteria:
        if (
            criterion.item in SPEED_ITEMS
            and criterion.op in ("ge", "gt")
            and _numeric(criterion.threshold)
        ):
            return criterion, float(criterion.threshold)
    paced = [c for c in stage.exit_criteria if c.at_pct_vmax is not None]
    if not paced:
        return None
    best = max(paced, key=lambda c: c.at_pct_vmax or 0.0)
    assert best.at_pct_vmax is not None
    return best, float(best.at_pct_vmax)


def _criterion_for(protocol: Protocol, stage_id: str, rule: str) -> Criterion | None:
    try:
        stage = protocol.stage(stage_id)
    except KeyError:
        return None
    wanted = rule.removeprefix(f"{stage_id}.")
    return next((c for c in stage.exit_criteria if c.id == wanted), None)


def _item_for(status: StageStatus, criterion: Criterion) -> GateItem | None:
    return next(
        (g for g in status.gate if g.rule in (criterion.id, f"{status.stage}.{criterion.id}")),
        None,
    )


def stage_target(
    protocol: Protocol,
    stage_id: str,
    status: StageStatus | None = None,
    audience: Audience = "athlete",
) -> StageTarget | None:
    """Return the speed line of the chart for the stage: the speed criterion's threshold,
    its words (as the PDF and ``/status`` say it) and whether it is met; None for the last
    stage or a stage without a speed criterion."""
    found = speed_criterion(protocol, stage_id)
    following = protocol.next_stage(stage_id) if found is not None else None
    if following is None or found is None:
        return None
    criterion, pct = found
    met: bool | None = None
    if status is not None and status.stage == stage_id:
        item = _item_for(status, criterion)
        met = item.met if item is not None else None
    return StageTarget(
        stage=following,
        pct_of_baseline=min(pct, 130.0),
        label=describe_criterion(criterion, audience)[:200],
        stage_label=stage_words(protocol, following, audience)[:80],
        met=met,
    )


# A criterion met over several sessions: the engine writes its streak as "1/2 in a row (last
# 0)" (engine.programme.criteria_items), a sentence in English.
_STREAK = re.compile(r"^(?P<done>\d+)/(?P<need>\d+) in a row \(last (?P<last>.*)\)$")


def _last_value(criterion: Criterion, last: str) -> str:
    """The last value of a streak's criterion as the engine printed it, in words."""
    if last in ("None", "—", ""):
        return _("none yet")
    if last in ("True", "False"):
        return format_value(criterion.item, last == "True")
    try:
        return format_value(criterion.item, float(last))
    except ValueError:
        return last


def _observed(item: GateItem, criterion: Criterion | None) -> str:
    seen = item.observed
    if isinstance(seen, str) and criterion is not None and (m := _STREAK.match(seen)):
        return _("{done} of {need} in a row, last {value}").format(
            done=m["done"], need=m["need"], value=_last_value(criterion, m["last"])
        )
    if seen is None:
        # A result the athlete did send, left out because its session did not count, is
        # not "not recorded".
        if item.not_counted == "session":
            return _("sent, not counted: its session did not count")
        if item.not_counted == "review":
            return _("sent, not counted: logged while running was stopped")
        return _("not recorded yet")
    if criterion is not None and (_numeric(seen) or isinstance(seen, bool)):
        return format_value(criterion.item, seen)  # type: ignore[arg-type]
    return str(seen)


def _name(criterion: Criterion, protocol: Protocol, audience: Audience) -> str:
    """What an exit criterion is about: the protocol's own words for the clinician; for the
    athlete, what its item is called in their words ("strength compared with your other
    leg"), else the protocol's words made plain (a clinician's term replaced inside a
    translated sentence reads badly)."""
    if audience != "athlete":
        return protocol_text(criterion.text)
    if criterion.item in ITEM_WORDING:
        label = item_label(criterion.item, audience)
        return label[:1].upper() + label[1:]
    return plain(protocol_text(criterion.text), protocol)


def criteria_rows(
    protocol: Protocol, status: StageStatus, audience: Audience = "clinician"
) -> list[CriterionRow]:
    """Return every gate item of the current stage as a row for ``audience`` (the clinician,
    or the athlete reading their own report: their words, no internal name): minimum days
    and sessions, rest, the last session and its 24-hour response, each exit criterion (what
    is needed in words) and the sign-off."""
    rows: list[CriterionRow] = []
    athlete = audience == "athlete"

    def shown(words: str) -> str:
        # An engine sentence the wording keeps (an item it does not know) may name a stage
        # id or a data-dictionary key: the athlete reads it in plain words.
        return plain(words, protocol) if athlete else words

    for item in status.gate:
        if item.rule in _DAILY_RULES:
            continue
        criterion = _criterion_for(protocol, status.stage, item.rule)
        if criterion is not None:
            rows.append(
                CriterionRow(
                    name=_name(criterion, protocol, audience)[:160],
                    observed=shown(_observed(item, criterion))[:80],
                    needed=describe_criterion(criterion, audience)[:200],
                    met=item.met,
                )
            )
            continue
        words = describe_gate_item(item, audience)
        rows.append(
            CriterionRow(
                name=shown(words.name)[:160],
                observed=shown(words.observed)[:80] or "—",
                needed=shown(words.needed)[:200],
                met=item.met,
            )
        )
    return rows


def gate_tally(status: StageStatus) -> tuple[int, int]:
    """Return how many of what the stage needs are met, and of how many: the report's rows
    (:func:`criteria_rows`: minimum days and sessions, rest, the last session, each exit
    criterion, the sign-off), so that /athlete and the PDF count alike and what is
    :func:`missing` is the difference."""
    items = [item for item in status.gate if item.rule not in _DAILY_RULES]
    return sum(1 for item in items if item.met), len(items)


def missing(
    protocol: Protocol,
    status: StageStatus,
    audience: Audience,
    *,
    skip: Sequence[Criterion] = (),
) -> list[str]:
    """Return what the stage still needs, in words for ``audience`` (the criteria in
    ``skip``, e.g. the speed line the chart already shows, left out)."""
    skipped = {c.id for c in skip}
    out: list[str] = []
    for item in status.gate:
        if item.met or item.rule in _DAILY_RULES:
            continue
        criterion = _criterion_for(protocol, status.stage, item.rule)
        if criterion is not None:
            if criterion.id not in skipped:
                out.append(describe_criterion(criterion, audience)[:160])
            continue
        needed = still_needed(item, audience)
        out.append((plain(needed, protocol) if audience == "athlete" else needed)[:160])
    return out
