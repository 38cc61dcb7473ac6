"""Protocol editing for admins: drafts, differences, dry-runs, publishing and rollback.

A draft is the full YAML text of a protocol that has passed the engine's schema but is not yet
published. Publishing stores it as a new :class:`ProtocolVersion` and makes it the active one;
athletes move to it at their next decision (every decision records the version it used).
Rollback never rewrites history: it publishes the text of the chosen old version again, as a
new version number, so the history reads as what was actually in force and when.

The dry-run replays every scenario in ``examples/`` and the last 60 days of every athlete on
the protocol through both the active protocol and the draft, and lists the days whose decision
(or resulting stage) would change.

What an admin sends is bounded before anything is built from it: a protocol name matches
:data:`PROTOCOL_NAME` (and only ``protocols/<name>.yaml`` inside the shipped directory is ever
read), an uploaded or typed YAML text nests at most :data:`MAX_DEPTH` levels and holds at most
:data:`MAX_NODES` values once aliases are expanded, and a draft whose difference to the active
version exceeds :data:`MAX_DIFF_LINES` lines is refused. These checks run where the caller
runs them: the admin handlers run them off the event loop.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
from collections.abc import Callable, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from bot.services.protocol_files import EXAMPLES_DIR, PROTOCOL_DIR, available, yaml_files
from bot.store.models import Programme, ProtocolVersion
from bot.store.repo.audit import audit
from bot.store.repo.protocols import (
    get_active_protocol,
    get_protocol_version,
    protocol_history,
    protocol_names,
    publish_protocol_version,
)
from bot.store.standing import athlete_timeline, parse_text, parsed_version
from bot.support.limits import yaml_shape_problem
from engine.programme import Timeline, replay
from engine.scenario import Scenario, ScenarioError, parse_scenario
from engine.schema import Protocol, ProtocolError, parse_protocol, protocol_to_data, set_value

_LOGGER = logging.getLogger(__name__)
DRYRUN_DAYS = 60
MAX_REPORTED_CHANGES = 25
# A protocol's name: what /protocol commands, file names and button data may carry.
PROTOCOL_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}", re.ASCII)
NAME_RULE = "a protocol name is 1-32 lowercase letters, digits or _, starting with a letter"
# Bounds on an admin's YAML (the shipped protocols: depth 6, about 1,900 values, 300 lines).
MAX_DEPTH = 20
MAX_NODES = 20_000
MAX_DIFF_LINES = 2_000


def valid_name(name: str) -> bool:
    """Tell whether ``name`` is a well-formed protocol name (:data:`PROTOCOL_NAME`)."""
    return PROTOCOL_NAME.fullmatch(name) is not None


def require_name(name: str) -> str:
    """Return ``name`` if it is a well-formed protocol name, else raise ProtocolError."""
    if not valid_name(name):
        raise ProtocolError([f"{name[:40]!r}: {NAME_RULE}"])
    return name


def check_shape(text: str, source: str) -> None:
    """Raise ProtocolError if YAML ``text`` nests too deep or expands to too many values."""
    problem = yaml_shape_problem(text, max_depth=MAX_DEPTH, max_nodes=MAX_NODES)
    if problem is not None:
        raise ProtocolError([f"{source}: {problem}"])


class DayOutcome(BaseModel):
    """The part of one replayed day a dry-run compares."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    stage: str | None
    decision: str | None
    stage_after: str | None


class DecisionChange(BaseModel):
    """One day of one case whose outcome differs between the active protocol and the draft."""

    model_config = ConfigDict(frozen=True)

    case: str
    date: dt.date
    before: DayOutcome | None
    after: DayOutcome | None


class DryRunReport(BaseModel):
    """Which cases were replayed, which days changed, and which cases could not be replayed."""

    model_config = ConfigDict(frozen=True)

    cases: tuple[str, ...]
    changes: tuple[DecisionChange, ...]
    failures: tuple[tuple[str, str], ...] = ()

    @property
    def changed_cases(self) -> list[str]:
        """The cases with at least one changed day, in case order."""
        changed = {c.case for c in self.changes}
        return [c for c in self.cases if c in changed]


def yaml_diff(old_text: str, new_text: str, name: str, old_label: str, new_label: str) -> str:
    """Return a unified diff of two protocol texts, or '' when they are identical."""
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        fromfile=f"{name} ({old_label})",
        tofile=f"{name} ({new_label})",
        n=2,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def compare_outcomes(
    case: str, before: Sequence[DayOutcome], after: Sequence[DayOutcome]
) -> list[DecisionChange]:
    """Return the days of ``case`` whose decision or resulting stage differs, by date."""
    before_by_date = {d.date: d for d in before}
    after_by_date = {d.date: d for d in after}
    changes: list[DecisionChange] = []
    for date in sorted(set(before_by_date) | set(after_by_date)):
        b = before_by_date.get(date)
        a = after_by_date.get(date)
        same = (
            b is not None
            and a is not None
            and (b.decision, b.stage_after, b.stage) == (a.decision, a.stage_after, a.stage)
        )
        if not same:
            changes.append(DecisionChange(case=case, date=date, before=b, after=a))
    return changes


Replay = Callable[[str], list[DayOutcome]]
"""Replays one case under one protocol and returns its days (raises on a case it cannot run)."""


def dry_run(
    case_names: Sequence[str],
    replay_active: Callable[[str], list[DayOutcome]],
    replay_draft: Callable[[str], list[DayOutcome]],
) -> DryRunReport:
    """Replay every case under the active protocol and the draft; report the changed days.

    A case that fails to replay under either protocol is listed under ``failures`` with the
    error text instead of aborting the whole dry-run.
    """
    changes: list[DecisionChange] = []
    failures: list[tuple[str, str]] = []
    for case in case_names:
        try:
            before = replay_active(case)
        except Exception as exc:
            failures.append((case, f"active protocol: {exc}"))
            continue
        try:
            after = replay_draft(case)
        except Exception as exc:
            failures.append((case, f"draft: {exc}"))
            continue
        changes.extend(compare_outcomes(case, before, after))
    return DryRunReport(cases=tuple(case_names), changes=tuple(changes), failures=tuple(failures))


def _describe(outcome: DayOutcome | None) -> str:
    if outcome is None:
        return "(no day)"
    stage = outcome.stage or "?"
    after = outcome.stage_after or "?"
    move = stage if stage == after else f"{stage}→{after}"
    return f"{outcome.decision or 'no decision'} ({move})"


def render_dry_run(report: DryRunReport, name: str) -> str:
    """Return the dry-run summary an admin reads before publishing."""
    lines = [f"Dry-run of the draft of {name}: {len(report.cases)} case(s) replayed."]
    if not report.changes:
        lines.append("No decision would change.")
    else:
        lines.append(
            f"{len(report.changes)} day(s) in {len(report.changed_cases)} case(s) would change:"
        )
        for change in report.changes[:MAX_REPORTED_CHANGES]:
            lines.append(
                f"• {change.case} {change.date.isoformat()}: "
                f"{_describe(change.before)} → {_describe(change.after)}"
            )
        hidden = len(report.changes) - MAX_REPORTED_CHANGES
        if hidden > 0:
            lines.append(f"… and {hidden} more.")
    for case, error in report.failures:
        lines.append(f"⚠️ {case} could not be replayed: {error}")
    return "\n".join(lines)


def next_version(existing_versions: Sequence[int]) -> int:
    """Return the version number a new publication gets: one above the highest so far."""
    return max(existing_versions, default=0) + 1


# --- Stored versions, drafts, publishing -------------------------------------------------------


class StaleDraftError(Exception):
    """The active version changed after the draft was made; the draft must be redone."""


class Draft(BaseModel):
    """A validated, unpublished protocol text and what it was made from."""

    model_config = ConfigDict(frozen=True)

    name: str
    base_version: int
    text: str
    summary: str


def _data(protocol: Protocol) -> dict[str, Any]:
    """Return plain data for ``protocol`` that parses back to it.

    JSON-mode dumping turns the integer red-flag tier keys into strings, which the schema's
    ``Literal[1, 2, 3]`` keys refuse; they are turned back into integers here.
    """
    data = protocol_to_data(protocol)
    tiers = data.get("rules", {}).get("red_flags", {}).get("tiers")
    if isinstance(tiers, dict):
        data["rules"]["red_flags"]["tiers"] = {int(k): v for k, v in tiers.items()}
    return data


def normalized_text(protocol: Protocol) -> str:
    """Return the protocol as canonical YAML (key order kept), used for readable diffs."""
    dumped: str = yaml.safe_dump(_data(protocol), sort_keys=False, allow_unicode=True, width=100)
    return dumped


def shipped_file(name: str, directory: Traversable = PROTOCOL_DIR) -> Traversable | None:
    """Return ``<directory>/<name>.yaml`` if ``name`` is well formed and the file is really
    inside ``directory`` (no path, and on disk no link leading out of it); else None."""
    if not valid_name(name):
        return None
    path = directory / f"{name}.yaml"
    on_disk = isinstance(directory, Path) and isinstance(path, Path)
    if on_disk and Path(str(path)).resolve().parent != Path(str(directory)).resolve():
        return None
    return path if path.is_file() else None


def ensure_seeded(session: Session, name: str, now: dt.datetime) -> None:
    """Store ``protocols/<name>.yaml`` as version 1 if the protocol has no stored version yet
    (by the system: it is the shipped text). Only a well-formed name inside the shipped
    directory is ever read."""
    if session.exec(select(ProtocolVersion.id).where(ProtocolVersion.name == name)).first():
        return
    path = shipped_file(name)
    if path is None:
        return
    text = path.read_text(encoding="utf-8")
    parse_text(text, str(path.name))
    session.add(
        ProtocolVersion(
            name=name,
            version=1,
            text=text,
            note=SEEDED_NOTE,
            created_at=now,
            active=True,
        )
    )
    session.flush()


SEEDED_NOTE = "seeded from protocols/"
PACKAGED_NOTE = "updated from the packaged protocols/ (Sprintback upgrade)"


def refresh_packaged(session: Session, now: dt.datetime) -> list[str]:
    """Bring each shipped protocol's packaged text into force where no admin has taken over.

    A Sprintback upgrade may ship a corrected protocol (a safety fix, say). Where the active
    version is still the system's own (seeded or an earlier packaged update, no admin has
    published or rolled back since) and the shipped file differs, the shipped text is
    published as the next version and running programmes move onto it, audited like any
    publish. Where an admin's version is in force it is left alone: admins decide, and the
    returned line says a newer packaged text exists. Returns one line per protocol acted on.
    """
    lines: list[str] = []
    for name in (n for n in available() if valid_name(n)):
        path = shipped_file(name)
        if path is None:
            continue
        text = path.read_text(encoding="utf-8")
        active = get_active_protocol(session, name=name)
        if active is None:
            continue  # seeded on first use (ensure_seeded)
        if active.text == text:
            continue
        if active.author_id is not None or active.note not in (SEEDED_NOTE, PACKAGED_NOTE):
            lines.append(
                f"{name}: the packaged protocols/{name}.yaml differs from v{active.version}, "
                "which an admin published: left in force (compare with /protocol diff)"
            )
            continue
        try:
            row = _publish_text(session, name, text, None, PACKAGED_NOTE, now)
        except ProtocolError as exc:
            lines.append(f"{name}: the packaged text was not published: {exc}")
            continue
        lines.append(f"{name}: the packaged text is now in force as v{row.version}")
    return lines


def known_names(session: Session, now: dt.datetime) -> list[str]:
    """Return every protocol name (stored or shipped in protocols/), seeding shipped ones."""
    shipped = [name for name in available() if valid_name(name)]
    for name in shipped:
        try:
            ensure_seeded(session, name, now)
        except ProtocolError as exc:
            # A broken shipped file must not hide the other protocols; it is simply not seeded.
            _LOGGER.error("protocols/%s.yaml is not valid, not seeded: %s", name, exc)
    return sorted(set(protocol_names(session)) | set(shipped))


def active_version(session: Session, name: str, now: dt.datetime) -> ProtocolVersion | None:
    """Return the active stored version of ``name`` (seeding it from protocols/ if needed)."""
    ensure_seeded(session, name, now)
    return get_active_protocol(session, name=name)


def history(session: Session, name: str) -> list[ProtocolVersion]:
    """Return every stored version of ``name``, newest first."""
    return protocol_history(session, name=name)


def athletes_on(session: Session, name: str) -> int:
    """Return how many active or paused programmes use protocol ``name``."""
    rows = session.exec(
        select(Programme.id).where(
            Programme.protocol_name == name, col(Programme.status).in_(("active", "paused"))
        )
    ).all()
    return len(rows)


def draft_from_set(
    session: Session, name: str, stage: str, field: str, value: str, now: dt.datetime
) -> Draft:
    """Return a draft of ``name`` with one value changed; raise ProtocolError if invalid."""
    require_name(name)
    check_shape(value, "the value")
    active = active_version(session, name, now)
    if active is None:
        raise ProtocolError([f"{name}: no such protocol"])
    protocol = parse_text(active.text, f"{name} v{active.version}")
    data = set_value(_data(protocol), stage, field, value)
    draft_protocol = parse_protocol(data, source=f"{name} draft")
    return Draft(
        name=name,
        base_version=active.version,
        text=normalized_text(draft_protocol),
        summary=f"set {stage} {field} = {value}",
    )


def draft_from_upload(session: Session, text: str, filename: str, now: dt.datetime) -> Draft:
    """Return a draft from an uploaded YAML file; raise ProtocolError if it is too deep or too
    large once expanded, does not validate, or names the protocol outside :data:`NAME_RULE`."""
    check_shape(text, filename)
    protocol = parse_text(text, filename)
    require_name(protocol.name)
    active = active_version(session, protocol.name, now)
    return Draft(
        name=protocol.name,
        base_version=active.version if active is not None else 0,
        text=text,
        summary=f"upload of {filename}",
    )


def draft_diff(session: Session, draft: Draft, now: dt.datetime) -> str:
    """Return the difference between the active version and the draft (canonical YAML); raise
    ProtocolError if it is longer than :data:`MAX_DIFF_LINES` lines."""
    active = active_version(session, draft.name, now)
    old = normalized_text(parse_text(active.text, draft.name)) if active is not None else ""
    new = normalized_text(parse_text(draft.text, draft.name))
    label = f"v{active.version}" if active is not None else "none"
    diff = yaml_diff(old, new, draft.name, label, "draft")
    lines = diff.count("\n")
    if lines > MAX_DIFF_LINES:
        raise ProtocolError(
            [
                f"{draft.name}: the difference to {label} is {lines:,} lines; at most "
                f"{MAX_DIFF_LINES:,} are accepted, so make the change in smaller steps"
            ]
        )
    return diff


class StageInUseError(ProtocolError):
    """The new text drops a stage that athletes are in; publishing it would strand them."""


def _programmes_on(session: Session, name: str) -> list[Programme]:
    return list(
        session.exec(
            select(Programme).where(
                Programme.protocol_name == name,
                col(Programme.status).in_(("active", "paused")),
            )
        )
    )


def _publish_text(
    session: Session, name: str, text: str, author_id: int | None, note: str, now: dt.datetime
) -> ProtocolVersion:
    """Publish ``text`` as the active version and move every running programme onto it.

    The programmes' next decision then runs on (and records) the new version. Refused with
    StageInUseError if the text no longer has a stage some athlete is in.
    """
    protocol = parse_text(text, name)
    stage_ids = {s.id for s in protocol.stages}
    programmes = _programmes_on(session, name)
    stranded = sorted({p.current_stage for p in programmes} - stage_ids)
    if stranded:
        users = sum(p.current_stage in stranded for p in programmes)
        raise StageInUseError(
            [
                f"{name}: stage(s) {', '.join(stranded)} are missing from the new text but "
                f"{users} athlete(s) are in them: keep those stages, or move the athletes first"
            ]
        )
    row = publish_protocol_version(
        session, name=name, text=text, author_id=author_id, now=now, note=note
    )
    for programme in programmes:
        programme.protocol_version = row.version
        programme.updated_at = now
        session.add(programme)
    if programmes:
        audit(
            session,
            actor_id=author_id,
            action="protocol_migrate",
            now=now,
            detail={"name": name, "version": row.version, "programmes": len(programmes)},
        )
    session.flush()
    return row


def publish(
    session: Session, draft: Draft, author_id: int | None, now: dt.datetime
) -> ProtocolVersion:
    """Publish ``draft`` as the new active version; raise StaleDraftError if the base moved."""
    parse_text(draft.text, draft.name)  # never publish an invalid text, whatever its origin
    active = active_version(session, draft.name, now)
    current = active.version if active is not None else 0
    if current != draft.base_version:
        raise StaleDraftError(
            f"{draft.name} is now at v{current}, the draft was made from v{draft.base_version}"
        )
    return _publish_text(session, draft.name, draft.text, author_id, draft.summary, now)


def rollback(
    session: Session, name: str, version: int, author_id: int | None, now: dt.datetime
) -> ProtocolVersion:
    """Publish the text of old ``version`` again as a new version; history stays intact."""
    old = get_protocol_version(session, name=name, version=version)
    if old is None:
        raise ProtocolError([f"{name}: no version {version}"])
    parse_text(old.text, f"{name} v{version}")
    return _publish_text(session, name, old.text, author_id, f"rollback to v{version}", now)


def programme_protocol(session: Session, programme: Programme, now: dt.datetime) -> Protocol | None:
    """Return the protocol version a programme is on (else the active one), or None."""
    row = get_protocol_version(
        session, name=programme.protocol_name, version=programme.protocol_version
    ) or active_version(session, programme.protocol_name, now)
    if row is None:
        return None
    try:
        return parsed_version(row.name, row.version, row.text)
    except ProtocolError:
        return None


# --- Replays: dry-run cases and an athlete's current stage status ----------------------------


def _outcomes(timeline: Timeline, since: dt.date | None = None) -> list[DayOutcome]:
    return [
        DayOutcome(date=d.date, stage=d.stage, decision=d.decision, stage_after=d.stage_after)
        for d in timeline.days
        if since is None or d.date >= since
    ]


def example_cases(
    protocol_name: str, injury: str, directory: Traversable = EXAMPLES_DIR
) -> dict[str, Scenario]:
    """Return the scenarios in ``directory`` that run on ``protocol_name``, by file name.

    A scenario names its protocol, or defaults to the one for its injury.
    """
    cases: dict[str, Scenario] = {}
    for path in yaml_files(directory):
        try:
            scenario = parse_scenario(
                yaml.safe_load(path.read_text(encoding="utf-8")), source=path.name
            )
        except (ScenarioError, yaml.YAMLError, OSError):
            continue
        name = scenario.protocol or scenario.athlete.injury
        if name == protocol_name or (
            scenario.protocol is None and injury == scenario.athlete.injury
        ):
            cases[f"examples/{path.name}"] = scenario
    return cases


def replay_scenario(protocol: Protocol, scenario: Scenario) -> list[DayOutcome]:
    """Replay one scenario file under ``protocol``."""
    timeline = replay(
        protocol,
        scenario.injury(),
        scenario.athlete.baseline,
        scenario.days,
        start=scenario.start,
        until=scenario.until,
    )
    return _outcomes(timeline)


def dry_run_draft(
    session: Session,
    draft: Draft,
    today: dt.date,
    now: dt.datetime,
    examples_dir: Traversable = EXAMPLES_DIR,
) -> DryRunReport:
    """Replay examples/ and the last 60 days of every athlete on the protocol: active vs draft."""
    active_row = active_version(session, draft.name, now)
    draft_protocol = parse_text(draft.text, f"{draft.name} draft")
    active = (
        parse_text(active_row.text, f"{draft.name} v{active_row.version}")
        if active_row is not None
        else draft_protocol
    )
    scenarios = example_cases(draft.name, draft_protocol.injury, examples_dir)
    programmes = list(
        session.exec(
            select(Programme)
            .where(
                Programme.protocol_name == draft.name,
                col(Programme.status).in_(("active", "paused")),
            )
            .order_by(col(Programme.athlete_id))
        )
    )
    since = today - dt.timedelta(days=DRYRUN_DAYS - 1)

    def run(protocol: Protocol) -> Callable[[str], list[DayOutcome]]:
        def one(case: str) -> list[DayOutcome]:
            if case in scenarios:
                return replay_scenario(protocol, scenarios[case])
            programme = next(p for p in programmes if f"athlete #{p.athlete_id}" == case)
            timeline = athlete_timeline(session, programme, protocol, today)
            if timeline is None:
                raise ValueError("no injury recorded")
            return _outcomes(timeline, since)

        return one

    cases = [*scenarios, *(f"athlete #{p.athlete_id}" for p in programmes)]
    return dry_run(cases, run(active), run(draft_protocol))
