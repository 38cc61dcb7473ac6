"""An athlete's own words (/problem) forwarded to their clinicians, whole and unmistakable.

Each clinician reads the note under the athlete's name as the cards show it ("💬 Anna (#2)
wrote to you through Sprintback:", the number when two of their athletes share the name). A
note that does not fit one Telegram message with that heading (a note typed outside any
question can be as long as a Telegram message) is sent in parts, each within the limit, and
every part after the first begins with the athlete's name and the part's number ("(Anna (#2),
continued 2/2)"): a part can never read as a message from another athlete, whatever the note
says. Nothing of the note is dropped.

With the athlete's standing at the moment they wrote (:func:`note_context`), the note ends
with what the clinician needs to read it: whether running is stopped until a review, the
alerts nobody has acknowledged yet (and how long ago each came), that Sprintback passes the
words on without judging them, and where to reply or act (the athlete's card). Sprintback never
reads the note for symptoms: nothing is "diagnosed" from free text.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from bot.services import texts
from bot.services.athlete.results import PerClinician
from bot.store import repo
from bot.store.models import AlertRecord, Person
from bot.store.standing import (
    athlete_stage_status,
    protocol_for,
    reviewed_from,
    working_day,
)
from bot.support.formats import format_short_date
from bot.support.i18n import L_, N_, LazyText, _, labelled, ngettext
from bot.support.limits import TEXT_LIMIT, shorten, split_text, utf16_len
from bot.support.logs import failure
from bot.wording.alerts import alert_line

_LOGGER = logging.getLogger(__name__)

# The heading of every part of a long note after the first (English id, translated for each
# clinician).
CONTINUED = N_("({athlete}, continued {part}/{parts})")
# Room kept for the part numbers, whatever they turn out to be ("continued 12/12").
_NUMBERS_ROOM = 8
# The alerts that stop or need a clinician soon (bot.services.clinician.alert_policy.URGENT).
URGENT_SEVERITIES = ("emergency", "same_day", "within_24h")
# Severity as the clinician's cards say it (the same words as the alert card's headline).
SEVERITY_WORDS: dict[str, LazyText] = {
    "emergency": L_("🚨 Emergency"),
    "same_day": L_("🔴 Same day"),
    "within_24h": L_("🟠 Within 24 h"),
}
# The most alerts listed under a note (the card lists them all).
MAX_ALERTS = 3
ALERT_CHARS = 200


@dataclass(frozen=True)
class AlertSeen:
    """An alert as the note's context shows it: how urgent, what it said, when it came."""

    severity: str
    rule: str
    text: str
    created_at: dt.datetime
    local_date: dt.date | None
    acknowledged: bool


@dataclass(frozen=True)
class NoteContext:
    """Where the athlete stood when they wrote: facts only, worded for each clinician in
    their own language when the note is composed."""

    athlete_id: int
    now: dt.datetime
    # Whether the standing could be worked out (False: the engine or protocol failed).
    known: bool = True
    # Running is stopped until a clinician reviews the athlete (a red flag, sharp pain...).
    stopped: bool = False
    # A review already recorded lets the athlete run again from this (later) day.
    reviewed_from: dt.date | None = None
    # Unacknowledged urgent alerts, newest first; with running stopped and none open, the
    # latest urgent alert (acknowledged) that stopped it.
    alerts: tuple[AlertSeen, ...] = ()
    protocol: Any = None


def note_context(session: Session, athlete: Person, now: dt.datetime) -> NoteContext:
    """Return the athlete's standing as the note's clinicians need it (see the module
    docstring); read in the transaction that forwards the note, after any warning sign
    reported with it was recorded."""
    assert athlete.id is not None
    programme = repo.get_active_programme(session, athlete_id=athlete.id)
    protocol = None
    stopped = False
    reviewed: dt.date | None = None
    known = True
    if programme is not None:
        # The note goes out whatever happens here: a standing that cannot be worked out is
        # said to be unknown, never a reason to lose what the athlete wrote.
        try:
            protocol = protocol_for(session, programme)
            today = working_day(session, athlete, now)
            status = athlete_stage_status(session, programme, protocol, today)
            if status is not None and status.suspended:
                reviewed = reviewed_from(session, athlete.id, programme.current_stage, today)
                stopped = reviewed is None
        except Exception as exc:
            _LOGGER.error("no standing for athlete %s's note: %s", athlete.id, failure(exc))
            known = False
    rows = [
        r
        for r in repo.open_alerts(session, athlete_id=athlete.id)
        if r.severity in URGENT_SEVERITIES
    ]
    rows.sort(key=lambda r: (r.created_at, r.id or 0), reverse=True)
    if not rows and (stopped or reviewed is not None):
        latest = session.exec(
            select(AlertRecord)
            .where(
                AlertRecord.athlete_id == athlete.id,
                col(AlertRecord.severity).in_(URGENT_SEVERITIES),
            )
            .order_by(col(AlertRecord.created_at).desc(), col(AlertRecord.id).desc())
            .limit(1)
        ).first()
        rows = [latest] if latest is not None else []
    return NoteContext(
        athlete_id=athlete.id,
        now=now,
        known=known,
        stopped=stopped,
        reviewed_from=reviewed,
        alerts=tuple(
            AlertSeen(
                severity=r.severity,
                rule=r.rule,
                text=r.text,
                created_at=r.created_at,
                local_date=r.local_date,
                acknowledged=r.acknowledged_at is not None,
            )
            for r in rows
        ),
        protocol=protocol,
    )


def _ago(then: dt.datetime, now: dt.datetime) -> str:
    """How long ago, in the reader's language ("just now", "25 minutes ago", "3 hours ago",
    "2 days ago"): the same whatever the reader's time zone."""
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return ngettext("{n} minute ago", "{n} minutes ago", minutes).format(n=minutes)
    hours = minutes // 60
    if hours < 48:
        return ngettext("{n} hour ago", "{n} hours ago", hours).format(n=hours)
    days = hours // 24
    return ngettext("{n} day ago", "{n} days ago", days).format(n=days)


def context_lines(context: NoteContext, label: str) -> list[str]:
    """Return the lines under the note, in the current language: running stopped or not,
    the urgent alerts (open, or the one behind a stop) and when each came, that the note is
    passed on unjudged, and where to reply or act."""
    lines: list[str] = []
    if not context.known:
        lines.append(_("Whether running is stopped could not be worked out: see the card."))
    elif context.stopped:
        lines.append(_("⛔ Running is stopped until you review {name}.").format(name=label))
    elif context.reviewed_from is not None:
        lines.append(
            _("🩺 Reviewed: running may start again on {day}.").format(
                day=format_short_date(context.reviewed_from)
            )
        )
    else:
        lines.append(_("Running is not stopped: no review is awaited."))
    open_alerts = [a for a in context.alerts if not a.acknowledged]
    if open_alerts:
        lines.append(
            ngettext(
                "🚩 {count} alert not acknowledged yet:",
                "🚩 {count} alerts not acknowledged yet:",
                len(open_alerts),
            ).format(count=len(open_alerts))
        )
    elif context.alerts:
        lines.append(_("Latest urgent alert (acknowledged):"))
    else:
        lines.append(_("No open alerts."))
    for alert in context.alerts[:MAX_ALERTS]:
        words = SEVERITY_WORDS.get(alert.severity)
        what = shorten(
            alert_line(alert.rule, alert.text, context.protocol, alert.local_date), ALERT_CHARS
        )[0]
        severity = str(words) if words is not None else alert.severity
        lines.append("  • " + labelled(f"{severity} · {_ago(alert.created_at, context.now)}", what))
    if len(context.alerts) > MAX_ALERTS:
        more = len(context.alerts) - MAX_ALERTS
        lines.append(
            "  "
            + ngettext("• and {count} more alert", "• and {count} more alerts", more).format(
                count=more
            )
        )
    lines.append(
        _(
            "Sprintback does not read or judge what athletes write: this message is passed on "
            "as written and raises no alert by itself."
        )
    )
    lines.append(
        _("To reply or act: /athlete {number} opens the card ({button}).").format(
            number=context.athlete_id, button=_("💬 Message athlete")
        )
    )
    return lines


def note_messages(label: str, note: str, context: NoteContext | None = None) -> list[str]:
    """Return the messages that carry ``note`` from the athlete ``label`` (in the current
    language): one when it fits a Telegram message under its heading, else parts cut at
    paragraph, line, sentence or word boundaries, each within the limit, every part after the
    first headed by the athlete's label and its number. With ``context``, the athlete's
    standing follows the note (:func:`context_lines`), in the last part or, when it does not
    fit there, in a part of its own."""
    tail = "\n".join(context_lines(context, label)) if context is not None else ""
    whole = str(texts.PROBLEM_TO_CLINICIAN).format(athlete=label, note=note)
    if tail and utf16_len(f"{whole}\n\n{tail}") <= TEXT_LIMIT:
        return [f"{whole}\n\n{tail}"]
    if not tail and utf16_len(whole) <= TEXT_LIMIT:
        return [whole]
    first = utf16_len(str(texts.PROBLEM_TO_CLINICIAN).format(athlete=label, note=""))
    later = utf16_len(_(CONTINUED).format(athlete=label, part="", parts="")) + 2
    room = TEXT_LIMIT - max(first, later) - _NUMBERS_ROOM
    pieces = split_text(note, max(room, 1)) if utf16_len(whole) > TEXT_LIMIT else [note]
    if tail:
        if utf16_len(f"{pieces[-1]}\n\n{tail}") <= room:
            pieces[-1] = f"{pieces[-1]}\n\n{tail}"
        else:
            pieces.append(tail)
    messages = [str(texts.PROBLEM_TO_CLINICIAN).format(athlete=label, note=pieces[0])]
    for number, piece in enumerate(pieces[1:], start=2):
        heading = _(CONTINUED).format(athlete=label, part=number, parts=len(pieces))
        messages.append(f"{heading}\n\n{piece}")
    return messages


def note_for_clinicians(note: str, context: NoteContext | None = None) -> PerClinician:
    """Return the athlete's ``note`` as each clinician gets it (``tell_clinicians``): under
    the athlete's name as that clinician reads it, in as many parts as it takes, followed by
    the athlete's standing when ``context`` is given (:func:`note_messages`)."""
    return PerClinician(lambda label: note_messages(label, note, context))
