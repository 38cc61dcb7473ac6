"""The clinician's /athlete card: stage and criteria, 14 days, open alerts, notes, buttons.

:func:`open_athlete_card` builds the text and the buttons (decisions for a linked clinician, only
the Report button for anyone else who may look) and records the view in the audit log. The
caller has checked access (``bot.services.access``) before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.clock import local_date
from bot.services.access import Caller, may_act_on_athlete
from bot.services.callback_auth import CallbackSigner
from bot.services.clinician.actions import (
    ReviewState,
    current_programme,
    open_alerts,
    review_state,
)
from bot.services.clinician.alert_policy import SEVERITY_LABEL
from bot.services.clinician.buttons import (
    ACT_ACK,
    ACT_BACK,
    ACT_CLEAR,
    ACT_DECLINE,
    ACT_HOLD,
    ACT_MSG,
    REVIEWED_LABEL,
    report_button,
    report_keyboard,
)
from bot.services.clinician.overview import athlete_summary
from bot.services.clinician.view import LIGHT_ICON, traffic_light
from bot.services.protocol_admin import programme_protocol
from bot.store.models import Decision, Person
from bot.store.repo.audit import audit
from bot.store.repo.programme import notes_about
from bot.support.limits import shorten

HISTORY_DAYS = 14
# A note on the card is cut to this many characters; /note <number> shows the notes whole.
CARD_NOTE_CHARS = 280


@dataclass(frozen=True)
class AthleteCard:
    """The /athlete message: its text and its buttons."""

    text: str
    keyboard: InlineKeyboardMarkup


def _criteria_lines(
    session: Session, athlete: Person, now: dt.datetime
) -> tuple[list[str], ReviewState]:
    """Return the current stage's lines (criteria met / left, from the engine's stage status)
    and what waits for a clinician (a sign-off, a red-flag stop)."""
    assert athlete.id is not None
    programme = current_programme(session, athlete.id)
    state = review_state(session, athlete, programme, now)
    if programme is None:
        return ["No programme started yet."], state
    protocol = programme_protocol(session, programme, now)
    if protocol is None:
        unavailable = f"protocol {programme.protocol_name} unavailable"
        return [f"Stage {programme.current_stage} ({unavailable})"], state
    stage = protocol.stage(programme.current_stage)
    lines = [
        f"Stage {stage.id} {stage.name} · protocol {programme.protocol_name} "
        f"v{programme.protocol_version} · {programme.status}"
    ]
    if state.status is not None:
        status_lines = state.status.lines()
        if state.reviewed_from is not None:
            lifted = f"🩺 Reviewed: running may resume from {state.reviewed_from:%a %d %b}."
            status_lines = [lifted if ln.startswith("⛔") else ln for ln in status_lines]
        lines.extend(status_lines)
        criteria = state.status.criteria
        met = sum(c.met for c in criteria)
        lines.append(f"Criteria met: {met}/{len(criteria)}")
    else:
        lines.append("Exit criteria (no injury recorded yet, so none evaluated):")
        lines.extend(f"  ⬜ {c.text}" for c in stage.exit_criteria)
    if stage.signoff == "required" or state.signoff_waiting:
        waiting = state.signoff_waiting
        lines.append("Sign-off: " + ("waiting for a clinician" if waiting else "given"))
    return lines, state


def _history_lines(session: Session, athlete: Person, now: dt.datetime) -> list[str]:
    assert athlete.id is not None
    today = local_date(athlete, now)
    since = today - dt.timedelta(days=HISTORY_DAYS - 1)
    rows = list(
        session.exec(
            select(Decision)
            .where(
                Decision.athlete_id == athlete.id,
                col(Decision.local_date) >= since,
                col(Decision.local_date) <= today,
            )
            .order_by(col(Decision.local_date), col(Decision.id))
        )
    )
    by_day: dict[dt.date, dict[str, str]] = {}
    for row in rows:
        by_day.setdefault(row.local_date, {})[row.kind] = row.outcome
    if not by_day:
        return [f"Last {HISTORY_DAYS} days: no check-ins."]
    lines = [f"Last {HISTORY_DAYS} days:"]
    for day in sorted(by_day):
        seen = by_day[day]
        lines.append(
            f"  {day:%a %d %b}: morning {seen.get('morning', '–')}, day {seen.get('daily', '–')}"
        )
    return lines


def _athlete_keyboard(
    signer: CallbackSigner,
    caller: Caller,
    athlete_id: int,
    state: ReviewState,
    alert_ids: tuple[int, int],
    stage: str,
    now: dt.datetime,
) -> InlineKeyboardMarkup:
    ids = (athlete_id, *alert_ids, stage)

    def button(text: str, action: str, when: dt.datetime) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text, callback_data=signer.sign(action, ids, caller.telegram_id, when)
        )

    rows: list[list[InlineKeyboardButton]] = []
    if alert_ids != (0, 0):
        rows.append([button("✅ Acknowledge alerts", ACT_ACK, now)])
    if state.signoff_waiting:
        rows.append(
            [button("🟢 Clear gate", ACT_CLEAR, now), button("✖️ Decline", ACT_DECLINE, now)]
        )
    elif state.suspended:
        rows.append([button(REVIEWED_LABEL, ACT_CLEAR, now)])
    rows.append([button("⏸ Hold", ACT_HOLD, now), button("↩️ Step back", ACT_BACK, now)])
    rows.append([button("💬 Message athlete", ACT_MSG, now)])
    rows.append(
        [report_button(signer, athlete_id=athlete_id, for_telegram_id=caller.telegram_id, now=now)]
    )
    return InlineKeyboardMarkup(rows)


def open_athlete_card(
    session: Session,
    caller: Caller,
    athlete: Person,
    zone: dt.tzinfo,
    signer: CallbackSigner,
    now: dt.datetime,
) -> AthleteCard:
    """Return the /athlete card of ``athlete`` for ``caller`` (times shown in ``zone``) and
    record the view in the audit log. Access was checked by the caller."""
    assert athlete.id is not None
    programme = current_programme(session, athlete.id)
    alerts = open_alerts(session, athlete.id)
    summary = athlete_summary(session, athlete, now)
    stage_lines, state = _criteria_lines(session, athlete, now)
    lines = [
        f"{LIGHT_ICON[traffic_light(summary)]} #{athlete.id} {athlete.display_name}",
        *stage_lines,
        "",
        *_history_lines(session, athlete, now),
        "",
    ]
    if alerts:
        lines.append(f"Open alerts ({len(alerts)}):")
        lines.extend(
            f"  • {a.created_at.astimezone(zone):%d %b %H:%M} "
            f"{SEVERITY_LABEL.get(a.severity, a.severity)}: {a.text}"
            for a in alerts
        )
    else:
        lines.append("No open alerts.")
    notes = notes_about(session, athlete_id=athlete.id, limit=3)
    if notes:
        lines.append("Latest notes:")
        cut = False
        for note in notes:
            text, shortened = shorten(note.text, CARD_NOTE_CHARS)
            cut = cut or shortened
            lines.append(f"  • {note.created_at.astimezone(zone):%d %b}: {text}")
        if cut:
            lines.append(f"  (shortened: /note {athlete.id} shows the notes whole)")
    audit(
        session,
        actor_id=caller.person_id,
        action="view",
        now=now,
        athlete_id=athlete.id,
        detail={"what": "athlete_card"},
    )
    alert_ids = (alerts[0].id or 0, alerts[-1].id or 0) if alerts else (0, 0)
    athlete_id = athlete.id
    clinical = may_act_on_athlete(caller, athlete_id, "hold").allowed
    keyboard = (
        _athlete_keyboard(
            signer,
            caller,
            athlete_id,
            state,
            alert_ids,
            programme.current_stage if programme else "-",
            now,
        )
        if clinical
        else report_keyboard(
            signer, athlete_id=athlete_id, for_telegram_id=caller.telegram_id, now=now
        )
    )
    return AthleteCard("\n".join(lines), keyboard)
