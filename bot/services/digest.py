"""The clinician's weekly digest, sent on Monday morning in the clinician's own time zone.

Once per clinician per ISO week, however many processes run and however often they restart:
the digest's text is written to the outbox under the dedupe key ``digest:<id>:<ISO week>``
in the same transaction that claims it for this worker (status ``sending``). Only the worker
whose insert created the row sends it, then the charts of the athletes who need attention
(at most ``MAX_CHARTS``, one photo each). A second tick, a second process or a restart finds
the key and does nothing. If the worker dies after the claim, the outbox sender's lease
expires and it delivers the text (without the charts); if Telegram refuses the text, the row
is handed back to the outbox sender to retry.

The digest is due from Monday ``DIGEST_LOCAL_TIME`` local time for ``DIGEST_GRACE``; a bot
that was down for longer skips that week rather than sending last week's news late. Data is
read and rendered in the render worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, and_, or_
from sqlmodel import Session, col, select
from telegram import Bot, InputFile
from telegram.error import TelegramError

from bot.clock import Clock
from bot.reports.chart import render_progress_png
from bot.reports.data import DigestData
from bot.reports.digest import (
    RedFlagSeen,
    WeekDetail,
    athletes_needing_attention,
    digest_labels,
    digest_week,
    rank_athletes,
    render_digest,
)
from bot.reports.from_store import ReportUnavailable, digest_data_for, progress_data_for
from bot.reports.runner import in_worker_thread
from bot.reports.shown import stage_words
from bot.reports.words import joined
from bot.scheduling.worker import worker_name
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import (
    DIGEST_KIND,
    AlertRecord,
    ClinicianActionRecord,
    Link,
    Outbox,
    Person,
)
from bot.store.standing import protocol_for
from bot.support.i18n import labelled, use_language
from bot.support.logs import failure
from bot.wording.alerts import red_flag_signs

_LOGGER = logging.getLogger(__name__)

DIGEST_LOCAL_TIME = dt.time(8, 0)
DIGEST_GRACE = dt.timedelta(days=2)
MAX_CHARTS = 10
RETRY_AFTER = dt.timedelta(minutes=1)
# The engine's reasons for a day decided by a clinician's stage change (engine.programme).
CLINICIAN_MOVE_RULES = frozenset({"clinician.step_back", "clinician.set_stage"})


@dataclass(frozen=True)
class DueDigest:
    """A clinician whose digest for a week is due and not yet claimed."""

    clinician_id: int
    chat_id: int
    key: str
    week: tuple[dt.date, dt.date]
    language: str = "en"  # the clinician's: the digest and its charts are written in it


@dataclass
class DigestRun:
    """What one run of the job did (tests and logs read it)."""

    sent: list[int] = field(default_factory=list)
    charts: int = 0
    failed: list[int] = field(default_factory=list)


def digest_key(clinician_id: int, monday: dt.date) -> str:
    """The outbox dedupe key of a clinician's digest for the ISO week starting ``monday``."""
    year, week, _ = monday.isocalendar()
    return f"digest:{clinician_id}:{year}-W{week:02d}"


def due_week(
    now: dt.datetime,
    timezone: str,
    local_time: dt.time = DIGEST_LOCAL_TIME,
    grace: dt.timedelta = DIGEST_GRACE,
) -> tuple[dt.date, dt.datetime] | None:
    """Return (this local week's Monday, its digest instant in UTC) if the digest is due at
    ``now``: on or after Monday ``local_time`` local and within ``grace`` of it; else None."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone).date()
    monday = local - dt.timedelta(days=local.weekday())
    at = dt.datetime.combine(monday, local_time, zone).astimezone(dt.UTC)
    if at <= now < at + grace:
        return monday, at
    return None


def due_digests(
    engine: Engine, now: dt.datetime, local_time: dt.time = DIGEST_LOCAL_TIME
) -> list[DueDigest]:
    """Return the clinicians (with a chat and at least one linked athlete, registered before
    the digest time) whose digest is due at ``now`` and not yet in the outbox."""
    with session_scope(engine, read_only=True) as session:
        linked = set(session.exec(select(Link.clinician_id).distinct()))
        clinicians = [
            p
            for p in repo.list_people(session, role="clinician")
            if p.id in linked and p.chat_id is not None
        ]
        due: list[DueDigest] = []
        for person in clinicians:
            assert person.id is not None and person.chat_id is not None
            found = due_week(now, person.timezone, local_time)
            if found is None or person.created_at > found[1]:
                continue
            monday, _at = found
            week = digest_week(now, person.timezone or "UTC")
            key = digest_key(person.id, monday)
            due.append(DueDigest(person.id, person.chat_id, key, week, person.language))
        if not due:
            return []
        keys = [d.key for d in due]
        taken = set(session.exec(select(Outbox.dedupe_key).where(col(Outbox.dedupe_key).in_(keys))))
    return [d for d in due if d.key not in taken]


def prepare_digest(
    engine: Engine,
    clinician_id: int,
    week: tuple[dt.date, dt.date],
    now: dt.datetime | None = None,
) -> DigestData:
    """Read the clinician's digest data from the store as of ``now`` (runs in a render worker
    thread)."""
    with session_scope(engine, read_only=True) as session:
        return digest_data_for(session, clinician_id=clinician_id, week=week, now=now)


def _athlete_zone(athlete: Person) -> ZoneInfo:
    try:
        return ZoneInfo(athlete.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _day_decided_by_clinician_move(
    session: Session, athlete_id: int, week: tuple[dt.date, dt.date]
) -> set[dt.date]:
    """The days of the week whose decision, as the digest counts it (the daily row, else the
    morning row: ``bot.reports.from_store``), is a step back the engine took from a
    clinician's stage change (the day was decided after it)."""
    start, end = week
    rows = repo.decisions_between(session, athlete_id=athlete_id, since=start, until=end)
    days = {row.local_date: row for row in rows if row.kind == "morning"}
    days.update((row.local_date, row) for row in rows if row.kind == "daily")
    decided: set[dt.date] = set()
    for day, row in days.items():
        word = row.decision.get("decision")
        if not isinstance(word, str):
            word = row.outcome if row.kind == "daily" else None
        reasons = row.decision.get("reasons") or []
        rules = {r.get("rule") for r in reasons if isinstance(r, dict)}
        if word == "step_back" and rules & CLINICIAN_MOVE_RULES:
            decided.add(day)
    return decided


# An alert without a day of its own is about the day it was raised in the athlete's zone:
# those raised within a day of the week's UTC bounds are read and sorted by that day.
_SLACK = dt.timedelta(days=1)


def _week_instants(
    week: tuple[dt.date, dt.date], zone: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """The week's first instant and the instant after it, in UTC (``zone``: the athlete's)."""
    start, end = week
    opens = dt.datetime.combine(start, dt.time(0), zone).astimezone(dt.UTC)
    closes = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), zone)
    return opens, closes.astimezone(dt.UTC)


def _clinician_step_backs(
    session: Session,
    athlete_id: int,
    moves: list[repo.StageMove],
    order: dict[str, int],
    zone: ZoneInfo,
    week: tuple[dt.date, dt.date],
) -> tuple[int, int]:
    """Return how many step backs a clinician made in the week (/stepback, the step-back
    button, a /stage to an earlier stage) and how many of them no engine decision counts: the
    engine counts one per day it decided after the change (its next run), none on a day it
    has not decided since (the athlete has not checked in again, the week ended)."""
    start, end = week
    opens, closes = _week_instants(week, zone)
    # The day a clinician's change counts for is the one it was recorded for (the athlete's
    # working day), the day of its time otherwise. Only the week's changes are read: those
    # recorded in it, or for one of its days.
    recorded = {
        (action.at, action.stage): action.local_date
        for action in session.exec(
            select(ClinicianActionRecord).where(
                ClinicianActionRecord.athlete_id == athlete_id,
                col(ClinicianActionRecord.kind).in_(("step_back", "set_stage")),
                or_(
                    col(ClinicianActionRecord.local_date).between(start, end),
                    and_(
                        col(ClinicianActionRecord.at) >= opens,
                        col(ClinicianActionRecord.at) < closes,
                    ),
                ),
            )
        )
    }
    per_day: Counter[dt.date] = Counter()
    for move in moves:
        if (
            move.by_person_id is None
            or move.from_stage not in order
            or move.to_stage not in order
            or order[move.to_stage] >= order[move.from_stage]
        ):
            continue
        day = recorded.get((move.at, move.to_stage), move.at.astimezone(zone).date())
        if start <= day <= end:
            per_day[day] += 1
    if not per_day:
        return 0, 0
    decided = _day_decided_by_clinician_move(session, athlete_id, week)
    uncounted = sum(n - (day in decided) for day, n in per_day.items())
    return sum(per_day.values()), uncounted


def week_detail(
    session: Session,
    athlete_id: int,
    week: tuple[dt.date, dt.date],
    now: dt.datetime | None = None,
) -> WeekDetail:
    """What the athlete's week adds to their digest line: the worst morning test pain, the
    highest stage reached (when they ended the week below it), each step back (and which a
    clinician made) and each red flag, reviewed when a clinician recorded a review after it
    and, when given, by ``now`` (athlete's local dates). Only the week's alerts, and the
    reviews recorded from the week's start on, are read."""
    start, end = week
    athlete = session.get(Person, athlete_id)
    if athlete is None:
        return WeekDetail()
    zone = _athlete_zone(athlete)
    records = repo.load_day_records(session, athlete_id=athlete_id, since=start, until=end)
    tests = [r.morning.pain_test for r in records if r.morning and r.morning.pain_test is not None]
    programme = repo.get_active_programme(session, athlete_id=athlete_id)
    peak: str | None = None
    step_backs: list[tuple[str, str]] = []
    by_clinician = uncounted = 0
    if programme is not None and programme.id is not None:
        try:
            protocol = protocol_for(session, programme)
        except (LookupError, ValueError):
            protocol = None
        order = {stage.id: i for i, stage in enumerate(protocol.stages)} if protocol else {}
        moves = repo.stage_moves(session, programme_id=programme.id)
        before = [m for m in moves if m.at.astimezone(zone).date() < start]
        during = [m for m in moves if start <= m.at.astimezone(zone).date() <= end]
        reached = [before[-1].to_stage] if before else []
        reached += [m.to_stage for m in during]
        if during and during[0].from_stage and not before:
            reached.insert(0, during[0].from_stage)
        if protocol is not None and reached and all(s in order for s in reached):
            top = max(reached, key=order.__getitem__)
            if order[top] > order[reached[-1]]:
                peak = stage_words(protocol, top)
            # Named in full, code and name (never a code alone: voice.md).
            step_backs = [
                (
                    stage_words(protocol, m.from_stage),
                    stage_words(protocol, m.to_stage),
                )
                for m in during
                if m.from_stage in order and order[m.to_stage] < order[m.from_stage]
            ]
        if order:
            by_clinician, uncounted = _clinician_step_backs(
                session, athlete_id, moves, order, zone, week
            )
    opens, closes = _week_instants(week, zone)
    # An alert is about its record's day when it has one, else the day it was raised: only
    # the week's are read.
    alerts = session.exec(
        select(AlertRecord)
        .where(
            AlertRecord.athlete_id == athlete_id,
            or_(
                col(AlertRecord.local_date).between(start, end),
                and_(
                    col(AlertRecord.local_date).is_(None),
                    col(AlertRecord.created_at) >= opens - _SLACK,
                    col(AlertRecord.created_at) < closes + _SLACK,
                ),
            ),
        )
        .order_by(col(AlertRecord.created_at), col(AlertRecord.id))
    )
    flags_seen: list[tuple[dt.datetime, str]] = []
    for alert in alerts:
        day = alert.local_date or alert.created_at.astimezone(zone).date()
        signs = red_flag_signs(alert.text) if start <= day <= end else None
        if signs is not None:
            flags_seen.append((alert.created_at, signs))
    flags: list[RedFlagSeen] = []
    if flags_seen:
        # A review counts for the flags raised before it: only those recorded after the
        # week's first flag (and, for a digest as of ``now``, by then) are read.
        reviews_query = select(col(ClinicianActionRecord.at)).where(
            ClinicianActionRecord.athlete_id == athlete_id,
            ClinicianActionRecord.kind == "review",
            col(ClinicianActionRecord.at) > flags_seen[0][0],
        )
        if now is not None:
            reviews_query = reviews_query.where(col(ClinicianActionRecord.at) <= now)
        reviews = list(session.exec(reviews_query))
        flags = [
            RedFlagSeen(signs=signs, reviewed=any(at > raised for at in reviews))
            for raised, signs in flags_seen
        ]
    return WeekDetail(
        max_test_pain=max(tests) if tests else None,
        peak_stage=peak,
        step_backs=tuple(step_backs),
        red_flags=tuple(flags),
        clinician_step_backs=by_clinician,
        uncounted_step_backs=uncounted,
    )


def prepare_digest_details(
    engine: Engine,
    clinician_id: int,
    week: tuple[dt.date, dt.date],
    now: dt.datetime | None = None,
) -> tuple[DigestData, dict[int, WeekDetail]]:
    """Read the clinician's digest data and each athlete's week detail (by athlete id) from
    the store as of ``now`` (runs in a render worker thread).

    The week's step backs count a clinician's too: the engine's decisions count one only once
    it has decided the day after it, so those it has not are added here."""
    with session_scope(engine, read_only=True) as session:
        data = digest_data_for(session, clinician_id=clinician_id, week=week, now=now)
        details = {
            w.athlete_id: week_detail(session, w.athlete_id, week, now) for w in data.athletes
        }
    athletes = [
        w.model_copy(
            update={"step_backs": w.step_backs + details[w.athlete_id].uncounted_step_backs}
        )
        if details[w.athlete_id].uncounted_step_backs
        else w
        for w in data.athletes
    ]
    return data.model_copy(update={"athletes": athletes}), details


class DigestStale(Exception):
    """An athlete the digest lists was unlinked from its reader after it was read."""


# A digest read while athletes unlink is read again, at most this many times in all.
DIGEST_READS = 3


def claim_digest(
    engine: Engine,
    due: DueDigest,
    text: str,
    now: dt.datetime,
    worker: str,
    athlete_ids: Collection[int] = (),
) -> int | None:
    """Write the digest to the outbox under its key, claimed by ``worker``; return the outbox
    id if this call created it (this worker sends it), None if the week's digest exists.

    Raises DigestStale when one of ``athlete_ids`` (the athletes it lists) is no longer
    linked to the clinician: an unlink committed after the digest was read, and the clinician
    may no longer see that athlete. The links are read with a share lock (PostgreSQL), so an
    unlink either comes first (and the digest is read again) or waits for the claim (and the
    digest, handed over already, goes as a message in flight would)."""
    with session_scope(engine) as session:
        exists = session.exec(select(Outbox.id).where(Outbox.dedupe_key == due.key)).first()
        if exists is not None:
            return None
        if not _still_linked(session, due.clinician_id, athlete_ids):
            raise DigestStale
        row = repo.enqueue_message(
            session,
            chat_id=due.chat_id,
            text=text,
            kind=DIGEST_KIND,
            now=now,
            dedupe_key=due.key,
            person_id=due.clinician_id,
        )
        # Another worker's row (it committed first) is already claimed: not ours to send.
        if row.status != "pending" or row.claimed_by is not None:
            return None
        row.status = "sending"
        row.claimed_by = worker
        row.claimed_at = now
        row.attempts = 1
        session.add(row)
        session.flush()
        return row.id


def _still_linked(session: Session, clinician_id: int, athlete_ids: Collection[int]) -> bool:
    """Whether every one of ``athlete_ids`` is linked to the clinician (links share-locked)."""
    wanted = set(athlete_ids)
    if not wanted:
        return True
    linked = session.exec(
        select(Link.athlete_id)
        .where(Link.clinician_id == clinician_id, col(Link.athlete_id).in_(sorted(wanted)))
        .with_for_update(read=True)
    )
    return wanted <= set(linked)


def _finish(engine: Engine, outbox_id: int, now: dt.datetime, message_id: int | None) -> None:
    with session_scope(engine) as session:
        repo.mark_outbox_sent(session, outbox_id=outbox_id, now=now, telegram_message_id=message_id)


def _hand_back(engine: Engine, outbox_id: int, now: dt.datetime, error: str) -> None:
    with session_scope(engine) as session:
        repo.mark_outbox_failed(
            session, outbox_id=outbox_id, now=now, error=error, retry_at=now + RETRY_AFTER
        )


def chart_png(
    engine: Engine,
    athlete_id: int,
    now: dt.datetime,
    label: str | None = None,
    clinician_id: int | None = None,
) -> bytes:
    """Read and draw one athlete's progress chart as of ``now`` (runs in a worker thread),
    titled with ``label`` when given (the digest's "Anna (#2)"). With ``clinician_id``, raise
    ReportUnavailable when the athlete is no longer linked to that clinician (they unlinked
    after the digest went out)."""
    with session_scope(engine, read_only=True) as session:
        if clinician_id is not None and not _still_linked(session, clinician_id, [athlete_id]):
            raise ReportUnavailable("no longer linked")
        athlete = session.get(Person, athlete_id)
        timezone = athlete.timezone if athlete is not None else "UTC"
        try:
            today = now.astimezone(ZoneInfo(timezone or "UTC")).date()
        except (ZoneInfoNotFoundError, ValueError):
            today = now.date()
        data = progress_data_for(session, athlete_id=athlete_id, today=today, audience="clinician")
    if label is not None:
        data = data.model_copy(update={"athlete_name": label})
    return render_progress_png(data)


async def send_digest(
    bot: Bot, engine: Engine, due: DueDigest, now: dt.datetime, worker: str
) -> int | None:
    """Build, claim and send one clinician's digest, then the charts of the athletes who need
    attention. Return the number of charts sent, or None if another run had it."""
    for _ in range(DIGEST_READS):
        data, details = await in_worker_thread(
            prepare_digest_details, engine, due.clinician_id, due.week, now
        )
        text = render_digest(data, details)
        listed = [week.athlete_id for week in data.athletes]
        try:
            outbox_id = await asyncio.to_thread(
                claim_digest, engine, due, text, now, worker, listed
            )
            break
        except DigestStale:
            continue  # an athlete unlinked meanwhile: read it again without them
    else:
        _LOGGER.warning("digest for clinician %s: links kept changing, left", due.clinician_id)
        return None
    if outbox_id is None:
        return None
    try:
        message = await bot.send_message(due.chat_id, text)
    except TelegramError as exc:
        _LOGGER.warning("digest for clinician %s not sent: %s", due.clinician_id, exc)
        await asyncio.to_thread(_hand_back, engine, outbox_id, now, str(exc))
        raise
    await asyncio.to_thread(_finish, engine, outbox_id, now, message.message_id)
    reasons = {r.week.athlete_id: r.reasons for r in rank_athletes(data, details)}
    labels = digest_labels(data)  # "Anna (#2)" when two of the clinician's athletes share it
    attention = athletes_needing_attention(data)[:MAX_CHARTS]
    # Drawn on the render pool (two at a time), sent in urgency order.
    pngs = await asyncio.gather(
        *(
            in_worker_thread(
                chart_png,
                engine,
                week.athlete_id,
                now,
                labels.get(week.athlete_id),
                due.clinician_id,
            )
            for week in attention
        ),
        return_exceptions=True,
    )
    charts = 0
    for week, png in zip(attention, pngs, strict=True):
        if isinstance(png, BaseException):
            if not isinstance(png, ReportUnavailable):
                _LOGGER.error(
                    "digest chart of athlete %s failed: %s", week.athlete_id, failure(png)
                )
            continue
        name = labels.get(week.athlete_id, week.athlete_name)
        caption = labelled(name, joined(reasons.get(week.athlete_id, ())))
        try:
            await bot.send_photo(
                due.chat_id,
                InputFile(png, filename=f"progress-{week.athlete_id}.png"),
                caption=caption[:1024],
            )
            charts += 1
        except TelegramError as exc:
            _LOGGER.warning("digest chart of athlete %s not sent: %s", week.athlete_id, exc)
    return charts


async def run_digest(
    bot: Bot,
    engine: Engine,
    clock: Clock,
    *,
    worker: str | None = None,
    local_time: dt.time = DIGEST_LOCAL_TIME,
) -> DigestRun:
    """Send every digest due now that no run has sent yet; return what was sent."""
    now = clock.now()
    worker = worker or worker_name()
    result = DigestRun()
    for due in await asyncio.to_thread(due_digests, engine, now, local_time):
        try:
            with use_language(due.language):
                charts = await send_digest(bot, engine, due, now, worker)
        except (TelegramError, ReportUnavailable) as exc:
            _LOGGER.warning("digest for clinician %s failed: %s", due.clinician_id, exc)
            result.failed.append(due.clinician_id)
            continue
        if charts is not None:
            result.sent.append(due.clinician_id)
            result.charts += charts
    return result
