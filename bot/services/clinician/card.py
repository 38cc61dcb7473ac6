"""The clinician's /athlete card: stage and criteria, 14 days, open alerts, notes, buttons.

:func:`open_athlete_card` builds the text and the buttons (decisions for a linked clinician, only
the Report button for anyone else who may look) and records the view in the audit log. The
caller has checked access (``bot.services.access``) before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.reports.criteria import gate_tally, missing
from bot.reports.shown import CRITERIA_STAGE_NOT_IN_VERSION, alert_text, stage_words
from bot.services.access import Caller, may_act_on_athlete
from bot.services.callback_auth import CallbackSigner
from bot.services.clinician.actions import (
    ReviewState,
    current_programme,
    open_alerts,
    review_state,
    usual_tightness_line,
)
from bot.services.clinician.buttons import (
    ACT_ACK,
    ACT_BACK,
    ACT_CLEAR,
    ACT_DECLINE,
    ACT_HOLD,
    ACT_MSG,
    ACT_REVIEW,
    BACK_LABEL,
    DECLINE_LABEL,
    HOLD_LABEL,
    MESSAGE_LABEL,
    REVIEWED_LABEL,
    SIGN_OFF_LABEL,
    report_button,
    report_keyboard,
)
from bot.services.clinician.escalation import (
    confirms_diagnosis,
    reported_injury,
    severity_words,
)
from bot.services.clinician.names import label_for_caller
from bot.services.clinician.overview import athlete_summary
from bot.services.clinician.view import (
    LIGHT_ICON,
    reported_injury_lines,
    signoff_note_shown,
    traffic_light,
    verdict_words,
)
from bot.services.protocol_admin import programme_protocol
from bot.store.models import Decision, Person
from bot.store.repo.audit import audit
from bot.store.repo.programme import notes_about
from bot.store.standing import working_day
from bot.support.formats import format_short_date, format_time
from bot.support.i18n import _, labelled, ngettext
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
    session: Session,
    athlete: Person,
    now: dt.datetime,
    shown: Sequence[tuple[str, str]] = (),
) -> tuple[list[str], ReviewState]:
    """Return the current stage's lines (where the athlete stands, what the stage still
    needs, in words) and what waits for a clinician (a sign-off, a red-flag stop);
    ``shown``: the open alerts the card shows whole (rule, stored text)."""
    assert athlete.id is not None
    programme = current_programme(session, athlete.id)
    state = review_state(session, athlete, programme, now)
    if programme is None:
        return [_("No programme started yet.")], state
    protocol = programme_protocol(session, programme, now)
    if protocol is None:
        # Said in words: the stage's id alone would tell the clinician nothing.
        return [_("Stage: {stage}").format(stage=stage_words(None, programme.current_stage))], state
    label = stage_words(protocol, programme.current_stage, "clinician")
    lines = [_("Stage: {stage}").format(stage=label)]
    if programme.status == "paused":
        lines[0] += " · " + _("paused")
    status = state.status
    held = programme.current_stage in {s.id for s in protocol.stages}
    if state.suspended:
        lines.append(_("⛔ Running stopped after a red flag: waiting for your review."))
    elif state.reviewed_from is not None:
        lines.append(
            _("🩺 Reviewed: running may start again on {day}.").format(
                day=format_short_date(state.reviewed_from)
            )
        )
    if not held:
        # The version no longer holds the athlete's stage: no criteria (nor a sign-off) of
        # another stage are shown as theirs.
        lines.append(str(CRITERIA_STAGE_NOT_IN_VERSION))
        return lines, state
    if status is not None:
        lines.append(
            ngettext(
                "{days} day in this stage (minimum {minimum})",
                "{days} days in this stage (minimum {minimum})",
                status.days_in_stage,
            ).format(days=status.days_in_stage, minimum=status.min_days)
        )
        if status.min_sessions:
            lines.append(
                ngettext(
                    "{count} good session counted of {needed} needed",
                    "{count} good sessions counted of {needed} needed",
                    status.sessions_counted,
                ).format(count=status.sessions_counted, needed=status.min_sessions)
            )
        # Counted as the PDF counts ("3 of 16 met"): "Still needed" lists the rest.
        met, total = gate_tally(status)
        lines.append(
            ngettext(
                "Exit criteria met: {met} of {total}",
                "Exit criteria met: {met} of {total}",
                total,
            ).format(met=met, total=total)
        )
        needed = missing(protocol, status, "clinician")
        if needed:
            lines.append(_("Still needed:"))
            lines.extend(f"  ⬜ {n}" for n in needed[:6])
            if len(needed) > 6:
                lines.append(
                    ngettext(
                        "  … and {count} more", "  … and {count} more", len(needed) - 6
                    ).format(count=len(needed) - 6)
                )
    else:
        lines.append(_("No injury recorded yet, so no exit criteria are checked."))
    if state.signoff_waiting:
        if state.stopped:
            lines.append(_("Sign-off: waiting, after the review."))
        elif state.may_sign_off:
            lines.append(_("Sign-off: the criteria are met, your sign-off is needed."))
        else:
            lines.append(_("Sign-off: you will be asked once the criteria are met."))
        if confirms_diagnosis(protocol, programme.current_stage):
            # The sign-off confirms a diagnosis nobody entered: the athlete's own account.
            reported = reported_injury(session, athlete, programme, now)
            if reported is not None:
                # An open sign-off request below quotes the protocol's note: not said twice.
                said = signoff_note_shown(protocol, programme.current_stage, shown)
                lines.extend(reported_injury_lines(reported, note_shown=said))
    elif protocol.stage(programme.current_stage).signoff == "required":
        lines.append(_("Sign-off: given."))
    return lines, state


def _history_lines(session: Session, athlete: Person, now: dt.datetime) -> list[str]:
    assert athlete.id is not None
    today = working_day(session, athlete, now)  # a day started before a move west included
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
        return [_("Last {days} days: no check-ins.").format(days=HISTORY_DAYS)]
    lines = [_("Last {days} days:").format(days=HISTORY_DAYS)]
    for day in sorted(by_day):
        seen = by_day[day]
        lines.append(
            _("  {day}: morning {morning}, day {daily}").format(
                day=format_short_date(day),
                morning=verdict_words(seen.get("morning")),
                daily=verdict_words(seen.get("daily")),
            )
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
        rows.append([button(_("✅ Acknowledge alerts"), ACT_ACK, now)])
    if state.suspended:
        rows.append([button(str(REVIEWED_LABEL), ACT_REVIEW, now)])
    elif state.may_sign_off:
        rows.append(
            [
                button(str(SIGN_OFF_LABEL), ACT_CLEAR, now),
                button(str(DECLINE_LABEL), ACT_DECLINE, now),
            ]
        )
    # A step back would lift the stop without the review's note: offered once reviewed.
    moves = [] if state.stopped else [button(str(BACK_LABEL), ACT_BACK, now)]
    rows.append([button(str(HOLD_LABEL), ACT_HOLD, now), *moves])
    rows.append([button(str(MESSAGE_LABEL), ACT_MSG, now)])
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
    protocol = programme_protocol(session, programme, now) if programme and alerts else None
    worded = [
        shorten(alert_text(a.rule, a.text, protocol, a.local_date, brief=True), 200) for a in alerts
    ]
    whole = [(a.rule, a.text) for a, (_text, cut) in zip(alerts, worded, strict=True) if not cut]
    summary = athlete_summary(session, athlete, now)
    stage_lines, state = _criteria_lines(session, athlete, now, whole)
    name = label_for_caller(session, athlete, caller)
    usual = usual_tightness_line(session, athlete, state.status, now)
    lines = [
        f"{LIGHT_ICON[traffic_light(summary)]} {name}",
        *stage_lines,
        *([usual] if usual else []),
        "",
    ]
    if alerts:
        lines.append(
            ngettext("{count} open alert:", "{count} open alerts:", len(alerts)).format(
                count=len(alerts)
            )
        )
        lines.extend(
            "  • "
            + labelled(f"{_when(a.created_at.astimezone(zone))} {severity_words(a.severity)}", text)
            for a, (text, _cut) in zip(alerts, worded, strict=True)
        )
    else:
        lines.append(_("No open alerts."))
    lines.extend(["", *_history_lines(session, athlete, now)])
    notes = notes_about(session, athlete_id=athlete.id, limit=3)
    if notes:
        lines.append(_("Latest notes:"))
        cut = False
        for note in notes:
            text, shortened = shorten(note.text, CARD_NOTE_CHARS)
            cut = cut or shortened
            lines.append(
                "  • " + labelled(format_short_date(note.created_at.astimezone(zone)), text)
            )
        if cut:
            lines.append(
                _("  (shortened: /note {number} shows the notes whole)").format(number=athlete.id)
            )
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


def _when(moment: dt.datetime) -> str:
    """Return a day and time as the reader writes them ("Mon 9 Mar 07:05")."""
    return f"{format_short_date(moment.date())} {format_time(moment)}"
