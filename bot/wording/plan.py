"""Today's session in the athlete's words: the stage by number and name, speeds as "% of your
top speed", and notes that match the session (no "high-speed reps cut" on a walking day)."""

from __future__ import annotations

import math
import re
from typing import Any

from bot.support.formats import format_decimal
from bot.support.i18n import _, labelled
from bot.wording.protocol import protocol_text
from bot.wording.reasons import plain
from bot.wording.stages import stage_label

_RUNNING = ("run", "accel", "cod", "sport")
# The hours of the easy day after the first run back at the final stage, in the engine's note.
_EASY_HOURS = re.compile(r"until (\d+) h after that run")


def _num(value: float) -> str:
    """A number as the reader writes it, as many decimals as it has ("2,5" in German)."""
    return format_decimal(value)


def _rng(values: tuple[float, float]) -> str:
    lo, hi = values
    return _num(lo) if lo == hi else f"{_num(lo)}–{_num(hi)}"


def _shown(source: str, protocol: Any) -> str:
    """A drill's name, note or recovery in the reader's language, in plain words."""
    return plain(protocol_text(source), protocol)


def _speed(drill: Any, *, of_what: bool) -> str:
    """The speed of a fast block, with the times from the fastest allowed to the slowest:
    "at 50–65 % of your top speed, each in 11.9–15.4 s" (what the % is of, when ``of_what``:
    said once, on the first fast block of the day)."""
    assert drill.pct_vmax is not None
    pct = _rng(drill.pct_vmax)
    speed = (_("at {pct} % of your top speed") if of_what else _("at {pct} %")).format(pct=pct)
    if not drill.target_s:
        return speed
    fast, slow = drill.target_s
    # Shown to 0.1 s: the fastest allowed time is rounded up, never below the target.
    fastest = math.ceil(round(fast * 10, 6)) / 10
    shown_slow, shown_fast = format_decimal(slow, 1), format_decimal(fastest, 1)
    seg = drill.timed_m or drill.distance_m or 0
    whole = not drill.distance_m or seg == drill.distance_m
    if shown_slow == shown_fast:
        # A narrow band rounds to one time: "2.3–2.3 s" reads as a typo.
        time = (
            _("each in about {time} s") if whole else _("{distance} m in about {time} s")
        ).format(distance=_num(seg), time=shown_fast)
    else:
        time = (
            _("each in {fast}–{slow} s") if whole else _("{distance} m in {fast}–{slow} s")
        ).format(distance=_num(seg), fast=shown_fast, slow=shown_slow)
    return f"{speed}, {time}"


def drill_line(drill: Any, protocol: Any, *, of_what: bool = True) -> str:
    """Return one block of the session as a short line: "• Run-throughs: 6–10 × 70 m at
    50–65 % of your top speed, each in 11.9–15.4 s, recovery: walk back" (times from the fastest
    allowed to the slowest; ``of_what`` False leaves "of your top speed" to a block above)."""
    amount: list[str] = []
    if drill.sets and drill.reps:
        amount.append(f"{drill.sets} × {_rng(drill.reps)}")
    elif drill.reps and drill.distance_m:
        amount.append(f"{_rng(drill.reps)} × {_num(drill.distance_m)} m")
    elif drill.reps:
        amount.append(_("{n} reps").format(n=_rng(drill.reps)))
    elif drill.distance_m:
        amount.append(f"{_num(drill.distance_m)} m")
    if drill.duration_min:
        amount.append(f"{_rng(drill.duration_min)} min")
    if drill.pct_vmax:
        speed = _speed(drill, of_what=of_what)
        if amount:
            amount[-1] += " " + speed
        else:
            amount.append(speed)
    if drill.recovery:
        amount.append(_("recovery: {rest}").format(rest=_shown(drill.recovery, protocol)))
    if drill.note:
        amount.append(_shown(drill.note, protocol))
    name = _shown(drill.name, protocol)
    return f"• {labelled(name, ', '.join(amount))}" if amount else f"• {name}"


def _notes(plan: Any, protocol: Any) -> list[str]:
    fast = any(d.pct_vmax for d in plan.drills)
    out: list[str] = []
    for note in plan.notes:
        if note.startswith("Stop:"):
            continue  # the headline says it
        if note.startswith("No running today"):
            out.append(_("No running: walking, mobility and the bike only, if pain stays 0–1/10."))
        elif note.startswith("Modified:"):
            if fast:
                out.append(_("Lighter: fewer fast runs, and keep to the speeds below."))
        elif note.startswith("Easier running today"):
            if fast:
                out.append(_("Easier today: your muscle rests between fast sessions."))
        elif note.startswith("No baseline Vmax"):
            if fast:
                out.append(_("Run by feel (no pre-injury top speed yet: /baseline). Start slower."))
        elif note.startswith("First run back"):
            if "no full team or event training or match" in note:
                out.append(
                    _(
                        "No full team or event training or match today: this is your first "
                        "session back after time away. Keep to the speeds below."
                    )
                )
            elif fast:
                out.append(_("First run back after time away: keep to the speeds below."))
        elif note.startswith("Easy day after your first run back"):
            # The day after the first run back at the final stage (engine.plan): no match,
            # full training or max speed until the hours in the note have passed since it.
            found = _EASY_HOURS.search(note)
            hours = found.group(1) if found else None
            if fast and hours:
                out.append(
                    _(
                        "Easy day after your first run back: no match or full team or event "
                        "training, and keep to the speeds below. Your usual sessions return "
                        "{hours} hours after that run."
                    ).format(hours=hours)
                )
            elif hours:
                out.append(
                    _(
                        "Easy day after your first run back: no running, and no match or full "
                        "team or event training. Your usual sessions return {hours} hours after "
                        "that run."
                    ).format(hours=hours)
                )
            else:
                out.append(plain(note, protocol))
        elif note.startswith("No full team or event training today"):
            out.append(_("No full team or event training today: an easy day after a fast one."))
        else:
            out.append(plain(note, protocol))  # a note this module does not know yet
    return out


def plan_lines(plan: Any, protocol: Any) -> list[str]:
    """Return today's session: its title, notes that apply, one line per block."""
    lines = [_("Today's session · {stage}").format(stage=stage_label(protocol, plan.stage))]
    lines += [f"⚠ {note}" for note in _notes(plan, protocol)]
    # "of your top speed" is said on the first fast block; the ones below it read the same.
    first_fast = next((i for i, d in enumerate(plan.drills) if d.pct_vmax), None)
    drills = [drill_line(d, protocol, of_what=i == first_fast) for i, d in enumerate(plan.drills)]
    lines += drills or [_("• No training today.")]
    running = any(d.kind in _RUNNING for d in plan.drills)
    if any(d.pct_vmax for d in plan.drills):
        timed = any(d.target_s for d in plan.drills)
        lines.append(
            _("Stay at or above these times.")
            if timed
            else _("Top speed: your fastest over a flying 10–20 m before the injury.")
        )
    if plan.rest_hours and running:
        lines.append(_("Next fast session: in {hours} h or more.").format(hours=plan.rest_hours))
    return lines
