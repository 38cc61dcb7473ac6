"""The pain follow-up: "pain in the injured spot, about an hour after the session", asked again.

The post-session questionnaire goes out at the athlete's usual session end, so its question
about the pain an hour after the session (reference §4.2, S11) is mostly skipped ("not an hour
yet"), and the red rule "pain 1 h after ≥ 4: red session, step back" never sees a value. So
when a session report is finished with that answer skipped, one follow-up is planned about an
hour later: a scheduled prompt of kind ``followup`` (one per athlete and day), claimed by the
scheduler's tick like any prompt and queued in the outbox (at least once). It opens the
one-question ``followup`` questionnaire (0–10, one tap); the answer goes into that day's
session report and the day is decided again by the path a finished report takes
(``bot.services.athlete.daily.finish_followup``).

What this module decides, where the product had no rule yet:

- Planned only for a report finished on the session's own local day, with the pain an hour
  after left unanswered, when the engine decided the day and nothing stopped it (a warning
  sign already stops training and reaches the clinician: nothing to add), and when the
  question would reach the athlete before ``QUIET_FROM`` (22:00) their time. A report finished
  later (or after midnight) gets none: asked the next morning it would not be the pain an hour
  after, and the next check-in measures the 24-hour response anyway. There is no morning
  bound: whoever finished a report an hour earlier is awake.
- Sent only while still wanted: the report still lacks the answer, no stop was decided for
  that day since, it is still that day and before ``QUIET_FROM``, and at most ``SEND_WINDOW``
  after the report was saved (a bot that was down does not ask hours later). Otherwise the
  prompt is cancelled, nothing sent.
- Another questionnaire open when it falls due: it is not interrupted; the follow-up is put
  back by ``RETRY`` until the window closes.
- Answerable like the session report itself: past midnight too (a severe pain tapped at 00:05
  still reaches the clinician), until the next day ends or any questionnaire opened meanwhile
  (e.g. the morning check-in) closes it. Closed on its own day while still wanted
  (``pain_question_wanted``), it is on hold: the athlete is told so, its old buttons say so,
  and /done asks it again. Closed on a later day, its buttons answer that the question
  expired (the check-in measures how the leg took the session). Left unanswered, it changes
  nothing.
- Deleting the athlete's data deletes the planned prompt with every other row of theirs.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

from sqlmodel import Session, col, select

from bot.clock import zone_of
from bot.store import repo
from bot.store.models import Person, SessionReportRecord
from bot.store.standing import working_day
from engine.models import SessionReport
from engine.programme import DayOutcome

FOLLOWUP_KIND: Final = "followup"
FOLLOWUP_DELAY = dt.timedelta(hours=1)
# No follow-up reaches the athlete from this local time on (quiet hours).
QUIET_FROM = dt.time(22, 0)
# How long after the report was saved the follow-up may still go out.
SEND_WINDOW = dt.timedelta(hours=3)
# Another questionnaire is open when the follow-up falls due: look again this much later.
RETRY = dt.timedelta(minutes=10)


def _before_quiet_hours(person: Person, since: dt.datetime, at: dt.datetime) -> bool:
    """Whether ``at`` is on the athlete's local date of ``since`` (the session's report),
    before the quiet hours, on their clock now (a move west does not make it another day)."""
    zone = zone_of(person.timezone)
    local = at.astimezone(zone)
    return local.date() == since.astimezone(zone).date() and local.time() < QUIET_FROM


def plan_followup(
    session: Session,
    person: Person,
    day: dt.date,
    report: SessionReport,
    outcome: DayOutcome,
    now: dt.datetime,
) -> bool:
    """Plan the follow-up of the session report of ``day`` just finished (see the module
    docstring for when); return whether it was planned."""
    if report.pain_1h is not None or str(outcome.decision) == "stop":
        return False
    if person.id is None or person.chat_id is None or person.paused:
        return False
    due = now + FOLLOWUP_DELAY
    # The report's day is the athlete's working day (after a move west, the day already
    # started; a report after midnight is last night's and gets no follow-up).
    if working_day(session, person, now) != day or not _before_quiet_hours(person, now, due):
        return False
    repo.schedule_prompt(
        session, athlete_id=person.id, kind=FOLLOWUP_KIND, local_date=day, due_at=due
    )
    return True


def _stopped(session: Session, athlete_id: int, day: dt.date) -> bool:
    """Whether a decision of ``day`` stopped training (a warning sign reported since)."""
    return any(
        d.decision.get("decision") == "stop"
        for d in repo.decisions_between(session, athlete_id=athlete_id, since=day, until=day)
    )


def pain_question_wanted(session: Session, athlete_id: int, day: dt.date) -> bool:
    """Whether the pain question after the session of ``day`` still wants an answer: the
    report is there without it, and nothing stopped training that day since. Put aside by
    another questionnaire on its own day, it is on hold and /done asks it again."""
    row = session.exec(
        select(col(SessionReportRecord.answers)).where(
            SessionReportRecord.athlete_id == athlete_id, SessionReportRecord.local_date == day
        )
    ).first()
    if row is None or row.get("pain_1h") is not None:
        return False
    return not _stopped(session, athlete_id, day)


def followup_verdict(
    session: Session, person: Person, day: dt.date, now: dt.datetime
) -> Literal["send", "cancel"] | dt.datetime:
    """Decide, when the follow-up of ``day`` falls due, whether to ask it now ("send"), drop
    it ("cancel") or look again at the instant returned (another questionnaire is open)."""
    assert person.id is not None
    row = session.exec(
        select(col(SessionReportRecord.answers), col(SessionReportRecord.answered_at)).where(
            SessionReportRecord.athlete_id == person.id, SessionReportRecord.local_date == day
        )
    ).first()
    if row is None:
        return "cancel"
    answers, saved_at = row
    if answers.get("pain_1h") is not None or _stopped(session, person.id, day):
        return "cancel"
    closes = saved_at + SEND_WINDOW
    if now > closes or not _before_quiet_hours(person, saved_at, now):
        return "cancel"
    busy = repo.get_open_questionnaire(session, athlete_id=person.id)
    # Only one in use waits for (answered in the last RETRY): one left open and idle (a
    # /problem screen opened by an "ok thanks") is closed by the follow-up as by any new
    # questionnaire, so it never swallows the follow-up.
    if busy is not None and busy.kind != FOLLOWUP_KIND and busy.updated_at > now - RETRY:
        later = now + RETRY
        if later <= closes and _before_quiet_hours(person, saved_at, later):
            return later
        return "cancel"
    return "send"


def locked_report(session: Session, athlete_id: int, day: dt.date) -> SessionReport | None:
    """Return the session report of ``day``, its row locked until the transaction ends (on
    PostgreSQL; SQLite serialises writers), so nothing written meanwhile is overwritten."""
    row = session.exec(
        select(col(SessionReportRecord.answers))
        .where(SessionReportRecord.athlete_id == athlete_id, SessionReportRecord.local_date == day)
        .with_for_update()
    ).first()
    return None if row is None else SessionReport.model_validate(row)
