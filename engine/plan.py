"""Session prescription: the stage's template, adjusted to the morning verdict.

Speed is prescribed as target split times whenever a baseline Vmax exists (reference §0.3:
perceived effort is not a safe way to dose speed): t = d / (p × Vmax).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.models import Metrics, Readiness
from engine.schema import Drill, Protocol

HV_CUT = 0.6  # keep 60 % of high-velocity reps on a "modify" day (a 40 % cut, within 30–50 %)


class PlannedDrill(BaseModel):
    """One block of today's session, with target times when a baseline Vmax exists."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: str
    sets: int | None = None
    reps: tuple[int, int] | None = None
    distance_m: float | None = None
    timed_m: float | None = None
    pct_vmax: tuple[float, float] | None = None
    target_s: tuple[float, float] | None = None  # (time at the top %, time at the low %)
    duration_min: tuple[int, int] | None = None
    recovery: str | None = None
    note: str | None = None

    def line(self) -> str:
        """Return this drill as one line of a chat message."""
        parts = [self.name]
        if self.sets and self.reps:
            parts.append(f"{self.sets} × {_rng(self.reps)}")
        elif self.reps:
            parts.append(f"{_rng(self.reps)} reps")
        if self.distance_m:
            parts.append(f"{self.distance_m:g} m")
        if self.duration_min:
            parts.append(f"{_rng(self.duration_min)} min")
        if self.pct_vmax:
            parts.append(f"{_rng(self.pct_vmax)} % Vmax")
        if self.target_s:
            seg = self.timed_m or self.distance_m or 0
            fast, slow = self.target_s
            parts.append(
                f"target {seg:g} m in {slow:.2f}–{fast:.2f} s (not faster than {fast:.2f} s)"
            )
        if self.recovery:
            parts.append(f"rest {self.recovery}")
        if self.note:
            parts.append(self.note)
        return "• " + ", ".join(parts)


class SessionPlan(BaseModel):
    """Today's prescribed session for one stage."""

    model_config = ConfigDict(frozen=True)

    stage: str
    stage_name: str
    readiness: Readiness | Literal["preview"]
    drills: list[PlannedDrill] = Field(default_factory=list)
    surface: str = ""
    rest_hours: int | None = None
    notes: list[str] = Field(default_factory=list)

    @property
    def running(self) -> bool:
        """Whether today's plan includes running."""
        return any(d.kind in ("run", "accel", "cod", "sport") for d in self.drills)

    def lines(self) -> list[str]:
        """Return the plan as chat-message lines."""
        out = [f"{self.stage} – {self.stage_name}"]
        out += [f"⚠ {n}" for n in self.notes]
        out += [d.line() for d in self.drills] or ["• No training today."]
        if self.surface and self.surface != "—" and self.running:
            out.append(f"Surface / spacing: {self.surface}")
        if self.rest_hours and self.running:
            out.append(
                f"Next high-speed session no sooner than {self.rest_hours} h after this one."
            )
        return out

    def text(self) -> str:
        """Return the plan as one text block."""
        return "\n".join(self.lines())


def target_time(distance_m: float, pct: float, vmax_ms: float) -> float:
    """Return the time (s) to cover ``distance_m`` at ``pct`` % of Vmax: t = d / (p × Vmax)."""
    return round(distance_m / (pct / 100 * vmax_ms), 2)


_CACHE: dict[tuple[object, ...], tuple[Protocol, SessionPlan]] = {}


def prescribe(
    protocol: Protocol,
    stage_id: str,
    baseline: Metrics | None,
    readiness: Readiness | None,
    *,
    max_pct_vmax: float | None = None,
    no_running: bool = False,
    after_gap: bool = False,
    easy_after_first_run: int | None = None,
) -> SessionPlan:
    """Return today's session for ``stage_id`` given the morning verdict (memoised: the plan
    depends only on these inputs, and protocols are immutable).

    go: the full template. modify: high-velocity reps cut by 40 %, nothing at or above the
    max-sprint threshold. rest: no running (mobility, walking, bike only). stop: nothing.
    ``max_pct_vmax`` caps every run (e.g. 70 on a heavy-wellness day); ``no_running`` drops
    running (rest interval not yet over, or awaiting clinician review); ``after_gap``: the cap
    is the first run back after a week or more away (protocol notes (21)), and the note says
    so; ``easy_after_first_run``: the hours of the easy day after that first run back at the
    final stage (the cap and ``no_running`` already hold it), and the note says so. No run is
    ever prescribed above the stage's ``top_pct_vmax`` (the schema refuses such a drill too).
    """
    vmax = baseline.vmax_ms if baseline is not None else None
    args = (stage_id, vmax, readiness, max_pct_vmax, no_running, after_gap, easy_after_first_run)
    key = (id(protocol), *args)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is protocol:
        return hit[1]
    plan = _prescribe(protocol, *args)
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[key] = (protocol, plan)
    return plan


def _prescribe(
    protocol: Protocol,
    stage_id: str,
    vmax: float | None,
    readiness: Readiness | None,
    max_pct_vmax: float | None,
    no_running: bool,
    after_gap: bool = False,
    easy_after_first_run: int | None = None,
) -> SessionPlan:
    stage = protocol.stage(stage_id)
    pain = protocol.rules.pain
    notes: list[str] = []
    cap = max_pct_vmax
    drills: list[Drill] = list(stage.session)
    # The easy day after the first run back at the final stage: said when it takes out a
    # match, full training or max speed the stage's session holds (not on a rest morning).
    easy_day = (
        easy_after_first_run is not None
        and readiness in ("go", "modify")
        and any(
            d.kind == "sport"
            or (d.pct_vmax is not None and d.pct_vmax[1] >= pain.max_pct_vmax.value)
            for d in drills
        )
    )
    if readiness == "stop":
        drills = []
        notes.append("Stop: no training today. Follow the instruction you were given.")
    elif readiness == "rest" or no_running:
        # The easy drills stay, without a stage test in their note (H1: "including 5 min at
        # 150 W"): no test on a rest morning or while running waits for a review.
        drills = [
            d.model_copy(update={"note": None}) if d.kind == "bike" else d
            for d in drills
            if d.kind in ("mobility", "walk", "bike")
        ]
        notes.append("No running today: pain-free mobility, walking and bike only if pain ≤ 1/10.")
    if readiness == "modify":
        limit = pain.max_pct_vmax.value - 5
        cap = min(cap, limit) if cap is not None else limit
        notes.append(
            f"Modified: high-speed reps cut by {round((1 - HV_CUT) * 100)} %, nothing above "
            f"{cap:g} % Vmax, no progression today."
        )
    # Full training includes maximal efforts: not on a day capped below max speed.
    no_sport = (
        cap is not None and cap < pain.max_pct_vmax.value and any(d.kind == "sport" for d in drills)
    )
    first_run = (
        after_gap and readiness != "modify" and cap is not None and any(d.pct_vmax for d in drills)
    )
    if first_run:
        # At the final stage the capped first run also leaves out the matches: the note says
        # so itself (not "an easy day after a fast one": there was no fast one).
        notes.append(
            f"First run back after time away: nothing above {cap:g} % Vmax"
            + (", and no full team or event training or match" if no_sport else "")
            + ", so your muscle gets used to speed again before the stage's full session."
        )
    elif easy_day:
        # One note says it all: what is left out today, and until when.
        fast = cap is not None and any(d.pct_vmax for d in drills)
        notes.append(
            "Easy day after your first run back: "
            + (f"nothing above {cap:g} % Vmax" if fast else "no running")
            + f" and no full team or event training or match until {easy_after_first_run} h "
            "after that run, so your muscle recovers before full speed."
        )
    elif (
        readiness != "modify"
        and cap is not None
        and cap < stage.top_pct_vmax
        and any(d.pct_vmax for d in drills)
    ):
        notes.append(
            f"Easier running today: nothing above {cap:g} % Vmax, so your muscle has its rest "
            "between fast sessions."
        )
    if no_sport:
        drills = [d for d in drills if d.kind != "sport"]
        if not first_run and not easy_day:
            notes.append("No full team or event training today: an easy day after a fast one.")
    if vmax is None and any(d.pct_vmax for d in drills):
        notes.append("No baseline Vmax: run by feel, and expect to run faster than you think.")
    top = stage.top_pct_vmax
    planned = [
        _plan_drill(d, cap, readiness == "modify", pain.hv_pct_vmax.value, vmax, top)
        for d in drills
    ]
    rest = max((r.value for r in stage.rest_rules), default=None)
    return SessionPlan(
        stage=stage.id,
        stage_name=stage.name,
        readiness=readiness if readiness is not None else "preview",
        drills=planned,
        surface=stage.surface,
        rest_hours=rest,
        notes=notes,
    )


def _plan_drill(
    d: Drill, cap: float | None, cut: bool, hv: float, vmax: float | None, top: float
) -> PlannedDrill:
    pct = d.pct_vmax
    reps = d.reps
    if pct is not None:
        lo, hi = pct
        if 0 < top < hi:
            # The schema refuses a drill above its stage's top; should one get through, the
            # athlete is never prescribed a later stage's speeds.
            hi = top
            lo = min(lo, top)
        if cut and hi >= hv and reps is not None:
            reps = (max(1, round(reps[0] * HV_CUT)), max(1, round(reps[1] * HV_CUT)))
        if cap is not None and hi > cap:
            hi = cap
            lo = min(lo, cap - 10)
        pct = (lo, hi)
    target = None
    seg = d.timed_m or d.distance_m
    if vmax and pct and seg and d.kind in ("run", "accel"):
        target = (target_time(seg, pct[1], vmax), target_time(seg, pct[0], vmax))
    return PlannedDrill(
        name=d.name,
        kind=d.kind,
        sets=d.sets,
        reps=reps,
        distance_m=d.distance_m,
        timed_m=d.timed_m,
        pct_vmax=pct,
        target_s=target,
        duration_min=d.duration_min,
        recovery=d.recovery,
        note=d.note,
    )


def _rng(r: tuple[float, float] | tuple[int, int]) -> str:
    a, b = r
    return f"{a:g}" if a == b else f"{a:g}–{b:g}"
