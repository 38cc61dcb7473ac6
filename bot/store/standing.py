"""Where an athlete stands, read back from the store through the pure engine (read-only).

The protocol a programme runs on (each stored version parsed once per process), the engine's
status of the athlete's current stage (criteria met and left, a sign-off or a red-flag stop)
replayed from the stored history, whether a sign-off gate waits for a clinician, and the
athlete's working day (their local date, never before a day that already holds their answers
or decisions). The athlete flow, the clinician's views, the reports and the digest all read
these, so they live here, below every one of them; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading

import yaml
from sqlalchemy import bindparam, func, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.clock import local_date
from bot.store.models import (
    ChecksRecord,
    Clearance,
    ClinicianActionRecord,
    Decision,
    MorningCheckinRecord,
    Person,
    Programme,
    SessionReportRecord,
    StageChange,
)
from bot.store.repo.answers import load_day_records
from bot.store.repo.programme import latest_baseline, latest_injury
from bot.store.repo.protocols import get_protocol_version
from engine.programme import (
    ProgrammeState,
    Timeline,
    carry_over,
    carry_over_rules,
    initial_state,
    replay,
)
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


def load_snapshot(
    session: Session, programme: Programme, protocol: Protocol
) -> tuple[dt.date, ProgrammeState]:
    """Return the engine state the athlete flow saved with the programme (the state at the
    end of a date), fit for ``protocol`` (the version the programme is on now); without a
    readable snapshot, the state before the programme's first day.

    A snapshot saved under another version keeps no streak of a criterion whose definition
    changed since (``engine.programme.carry_over``).
    """
    if programme.state_json:
        try:
            data = json.loads(programme.state_json)
            as_of = dt.date.fromisoformat(data["as_of"])
            state = ProgrammeState.model_validate(data["state"])
            version = data.get("protocol_version")
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # an unreadable snapshot: re-derive from the start of the programme
        else:
            if version != programme.protocol_version:
                old = _protocol_of_snapshot(session, programme, version, as_of)
                state = carry_over(state, old, protocol)
            rules = data.get("rules")
            state = carry_over_rules(state, protocol, rules if isinstance(rules, int) else 1)
            return as_of, state
    start = programme.start_date
    return start - dt.timedelta(days=1), initial_state(protocol, start)


def _protocol_of_snapshot(
    session: Session, programme: Programme, version: object, as_of: dt.date
) -> Protocol | None:
    """Return the protocol a snapshot was saved under, or None when it cannot be known.

    A snapshot saved before it recorded its version counts the version of the last decision
    up to its date.
    """
    if not isinstance(version, int):
        version = session.exec(
            select(Decision.protocol_version)
            .where(
                Decision.athlete_id == programme.athlete_id,
                Decision.protocol_name == programme.protocol_name,
                col(Decision.local_date) <= as_of,
            )
            .order_by(col(Decision.local_date).desc(), col(Decision.id).desc())
        ).first()
        if version is None:
            return None
    row = get_protocol_version(session, name=programme.protocol_name, version=version)
    if row is None:
        return None
    try:
        return parse_stored(row.name, row.version, row.text)
    except ProtocolError:
        return None


# The latest local date of the athlete's own answers and of the engine's decisions (each max
# reads an (athlete_id, local_date) index; one round trip). Not a clinician's action: a review
# may be dated the next day on purpose ("may run again from tomorrow").
_DATED = (MorningCheckinRecord, SessionReportRecord, ChecksRecord, Decision)
_LATEST_DAYS = union_all(
    *(
        sa_select(func.max(col(table.local_date)).label("day")).where(
            col(table.athlete_id) == bindparam("athlete_id")
        )
        for table in _DATED
    )
)


def latest_recorded_day(session: Session, athlete_id: int) -> dt.date | None:
    """Return the latest of the athlete's days that holds a check-in, session report or
    checks, or an engine decision (None: none yet)."""
    days = [
        d
        for (d,) in session.connection().execute(_LATEST_DAYS, {"athlete_id": athlete_id})
        if d is not None
    ]
    return max(days, default=None)


def working_day(session: Session, person: Person, now: dt.datetime) -> dt.date:
    """Return the athlete's working day at ``now``: their local date, unless a later day
    already holds their answers or decisions (they moved west to an earlier date), then
    that day.

    A day once started is never given back: what was recorded on it (a red-flag stop above
    all) stands, and a check-in or session report counts for it until the local date
    catches up, so no day is decided twice and no later day is decided before an earlier
    one.
    """
    assert person.id is not None
    today = local_date(person, now)
    latest = latest_recorded_day(session, person.id)
    return today if latest is None or latest <= today else latest


def athlete_stage_status(
    session: Session, programme: Programme, protocol: Protocol, today: dt.date
) -> StageStatus | None:
    """Return the engine's status of the athlete's current stage (criteria met and left)
    at the end of ``today`` as recorded so far, or of a later day that already holds the
    athlete's answers or decisions (the athlete's working day after a move west: see
    ``working_day``), so that a red-flag stop recorded "tomorrow" still shows.

    Starts from the engine state the athlete flow saved (so a programme that moved onto a new
    protocol version keeps the stage it really reached, without the streaks of criteria
    changed since) and folds the days since, today included (a clearance given today shows
    at once); the athlete's /status reads the same. Nothing is written.
    """
    injury = latest_injury(session, athlete_id=programme.athlete_id)
    if injury is None:
        return None
    latest = latest_recorded_day(session, programme.athlete_id)
    if latest is not None and latest > today:
        today = latest
    if today < programme.start_date:
        return None
    baseline = latest_baseline(session, athlete_id=programme.athlete_id)
    as_of, state = load_snapshot(session, programme, protocol)
    if as_of >= today:
        # Today is decided again (a snapshot saved past it): replay from the start.
        as_of, state = (
            programme.start_date - dt.timedelta(days=1),
            initial_state(protocol, programme.start_date),
        )
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
    recent = [d for d in days if d.date > today - dt.timedelta(days=28)]
    return stage_status(protocol, injury, baseline, timeline.final_state, recent, on=today)


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


def reviewed_from(session: Session, athlete_id: int, stage: str, today: dt.date) -> dt.date | None:
    """Return the future day from which a recorded review lets the athlete run, if any (a
    review, or a clearance dated ahead as reviews were recorded before they had their own
    action)."""
    day: dt.date | None = session.exec(
        select(col(ClinicianActionRecord.local_date)).where(
            ClinicianActionRecord.athlete_id == athlete_id,
            ClinicianActionRecord.kind == "review",
            col(ClinicianActionRecord.local_date) > today,
        )
    ).first()
    if day is not None:
        return day
    older: dt.date | None = session.exec(
        select(col(Clearance.local_date)).where(
            Clearance.athlete_id == athlete_id,
            Clearance.stage == stage,
            Clearance.declined == False,  # noqa: E712
            col(Clearance.local_date) > today,
        )
    ).first()
    return older
