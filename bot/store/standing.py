"""Where an athlete stands, read back from the store through the pure engine (read-only).

The protocol a programme runs on (each stored version parsed once per process), the engine's
status of the athlete's current stage (criteria met and left, a sign-off or a red-flag stop)
replayed from the stored history, and whether a sign-off gate waits for a clinician. The athlete
flow, the clinician's views, the reports and the digest all read these, so they live here,
below every one of them; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading

import yaml
from sqlmodel import Session, col, select

from bot.store.models import Clearance, Programme, StageChange
from bot.store.repo.answers import load_day_records
from bot.store.repo.programme import latest_baseline, latest_injury
from bot.store.repo.protocols import get_protocol_version
from engine.programme import ProgrammeState, Timeline, replay
from engine.schema import Protocol, ProtocolError, parse_protocol
from engine.status import StageStatus, stage_status

_PROTOCOLS: dict[tuple[str, int], Protocol] = {}
# Parsing a protocol takes a while: the database threads that need one at the same moment
# (the first check-ins after a start) wait for one parse instead of each doing it.
_PARSING = threading.Lock()
# libyaml's loader when PyYAML was built with it (same documents, ten times faster).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = re.compile(r"the tag '(?P<tag>[^']*)'")


def parse_text(text: str, source: str) -> Protocol:
    """Parse protocol YAML text; raise ProtocolError naming the problem (YAML or schema)."""
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader (no Python objects)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        tag = _TAG.search(problem) if isinstance(exc, yaml.constructor.ConstructorError) else None
        if tag is not None:
            # PyYAML names the tag by its internal URI: shown as written (!!python/...).
            shown = tag["tag"].replace("tag:yaml.org,2002:", "!!")
            raise ProtocolError(
                [
                    f"{source}: not accepted{where}: the tag {shown} asks for a special kind "
                    "of value: expected plain texts, numbers, yes/no values, lists and "
                    f"mappings only (remove {shown})"
                ]
            ) from None
        raise ProtocolError([f"{source}: not valid YAML{where}: {problem}"]) from None
    return parse_protocol(data, source=source)


@functools.lru_cache(maxsize=64)
def parsed_version(name: str, version: int, text: str) -> Protocol:
    """Return the parsed protocol of a stored version (parsed once per process)."""
    # Stored versions never change, and a parsed Protocol is immutable: safe to share.
    return parse_text(text, f"{name} v{version}")


def parse_stored(name: str, version: int, text: str) -> Protocol:
    """Return the parsed protocol of a stored version, parsed once for the whole process."""
    key = (name, version)
    cached = _PROTOCOLS.get(key)
    if cached is None:
        with _PARSING:
            # One parse per version for the whole process: the clinician side reads the same
            # cache.
            cached = _PROTOCOLS.get(key) or parsed_version(name, version, text)
            _PROTOCOLS[key] = cached
    return cached


def protocol_for(session: Session, programme: Programme) -> Protocol:
    """Return the protocol version the programme runs on (parsed once per process)."""
    cached = _PROTOCOLS.get((programme.protocol_name, programme.protocol_version))
    if cached is not None:
        return cached
    row = get_protocol_version(
        session, name=programme.protocol_name, version=programme.protocol_version
    )
    if row is None:
        raise LookupError(
            f"protocol {programme.protocol_name} v{programme.protocol_version} is not stored"
        )
    return parse_stored(row.name, row.version, row.text)


def athlete_timeline(
    session: Session, programme: Programme, protocol: Protocol, until: dt.date
) -> Timeline | None:
    """Replay an athlete's whole programme up to ``until`` under ``protocol`` (None: no injury)."""
    injury = latest_injury(session, athlete_id=programme.athlete_id)
    if injury is None or until < programme.start_date:
        return None
    days = load_day_records(
        session, athlete_id=programme.athlete_id, since=programme.start_date, until=until
    )
    baseline = latest_baseline(session, athlete_id=programme.athlete_id)
    return replay(protocol, injury, baseline, days, start=programme.start_date, until=until)


def _snapshot(programme: Programme) -> tuple[dt.date, ProgrammeState] | None:
    """Return the engine state the athlete flow saved (as of a date), if readable."""
    if not programme.state_json:
        return None
    try:
        data = json.loads(programme.state_json)
        return dt.date.fromisoformat(data["as_of"]), ProgrammeState.model_validate(data["state"])
    except (ValueError, KeyError, TypeError):
        return None


def athlete_stage_status(
    session: Session, programme: Programme, protocol: Protocol, today: dt.date
) -> StageStatus | None:
    """Return the engine's status of the athlete's current stage (criteria met and left).

    Starts from the engine state the athlete flow saved (so a programme that moved onto a new
    protocol version keeps the stage it really reached) and folds the days since, today
    included (a clearance given today shows at once); without a snapshot, the whole
    programme is replayed. Nothing is written.
    """
    injury = latest_injury(session, athlete_id=programme.athlete_id)
    if injury is None or today < programme.start_date:
        return None
    baseline = latest_baseline(session, athlete_id=programme.athlete_id)
    saved = _snapshot(programme)
    if saved is not None and saved[0] < today:
        as_of, state = saved
        days = load_day_records(
            session,
            athlete_id=programme.athlete_id,
            since=max(programme.start_date, as_of - dt.timedelta(days=28)),
            until=today,
        )
        timeline = replay(
            protocol,
            injury,
            baseline,
            days,
            start=as_of + dt.timedelta(days=1),
            until=today,
            state=state,
        )
    else:
        full = athlete_timeline(session, programme, protocol, today)
        if full is None:
            return None
        timeline = full
    recent = load_day_records(
        session,
        athlete_id=programme.athlete_id,
        since=max(programme.start_date, today - dt.timedelta(days=27)),
        until=today,
    )
    return stage_status(
        protocol,
        injury,
        baseline,
        timeline.final_state,
        recent,
        on=today,
    )


def gate_pending(session: Session, programme: Programme, protocol: Protocol | None) -> bool:
    """Tell whether the current stage needs a sign-off that no clinician has given yet.

    A clearance counts when it was given for this stage after the programme last entered it.
    """
    if protocol is None:
        return False
    try:
        stage = protocol.stage(programme.current_stage)
    except KeyError:
        return False
    if stage.signoff != "required":
        return False
    return not clearances_in_this_stay(session, programme, declined=False)


def stay_entered_at(session: Session, programme: Programme) -> dt.datetime | None:
    """Return when the programme last entered its current stage (None: it has been there
    since the programme started)."""
    entered: dt.datetime | None = session.exec(
        select(col(StageChange.at))
        .where(
            StageChange.programme_id == programme.id,
            StageChange.to_stage == programme.current_stage,
        )
        .order_by(col(StageChange.at).desc())
    ).first()
    return entered


def clearances_in_this_stay(
    session: Session, programme: Programme, *, declined: bool
) -> list[Clearance]:
    """Return the sign-offs (or, ``declined``, the refusals) given for the programme's current
    stage since it last entered it, oldest first: only these speak of the gate waiting now."""
    query = select(Clearance).where(
        Clearance.athlete_id == programme.athlete_id,
        Clearance.stage == programme.current_stage,
        Clearance.declined == declined,
    )
    entered = stay_entered_at(session, programme)
    if entered is not None:
        query = query.where(col(Clearance.at) >= entered)
    return list(session.exec(query.order_by(col(Clearance.at))))
