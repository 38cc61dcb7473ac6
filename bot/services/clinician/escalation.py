"""Clinician alerts: the card and its buttons, and the escalation policy applied to the store.

The policy itself (merging within :data:`MERGE_WINDOW`, re-sending, handing over to an admin) is
pure and lives in :mod:`bot.services.clinician.alert_policy`. Here, rendering
(:func:`render_alert_text`, :func:`alert_keyboard`) turns a group of alerts into the message a
clinician gets, with buttons signed for that one recipient; :func:`notify_new_alerts` (called by
the athlete flow through :func:`alert_notifier`) and :func:`run_escalations` (the escalation
job, every minute) apply the policy to the store and queue the messages in the Outbox.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.clock import local_date, zone_of
from bot.reports.shown import alert_text, stage_words
from bot.scheduling.registry import AlertNotifier
from bot.services.callback_auth import CallbackSigner
from bot.services.clinician.actions import (
    ReviewState,
    chat_of,
    current_programme,
    review_state,
    review_state_from_status,
)
from bot.services.clinician.alert_policy import (
    SEVERITY_RANK,
    URGENT,
    AlertState,
    EscalationStep,
    due_escalations,
    merge_groups,
    most_severe,
)
from bot.services.clinician.buttons import (
    ACK_LABEL,
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
)
from bot.services.clinician.names import athlete_label, name_clashes
from bot.services.clinician.view import (
    ReportedInjury,
    reported_injury_lines,
    signoff_note_shown,
)
from bot.services.protocol_admin import programme_protocol
from bot.store.models import (
    ALERT_KIND,
    AlertRecord,
    AuditLog,
    Decision,
    InjuryRecord,
    MorningCheckinRecord,
    Outbox,
    Person,
    Programme,
    SessionReportRecord,
)
from bot.store.repo.alerts import claim_for_escalation, mark_alert_escalated, mark_alert_resent
from bot.store.repo.alerts import open_alerts as store_open_alerts
from bot.store.repo.audit import audit
from bot.store.repo.links import clinicians_of
from bot.store.repo.messaging import enqueue_message
from bot.store.repo.people import get_person_by_telegram_id
from bot.store.repo.programme import latest_injury
from bot.support.i18n import L_, LazyText, _, labelled, ngettext, use_language
from bot.support.limits import shorten
from bot.wording import format_value, item_label
from bot.wording.alerts import red_flag_signs
from bot.wording.items import ITEM_WORDING
from engine.models import Severity
from engine.status import StageStatus


class AlertLine(BaseModel):
    """One alert inside a message."""

    model_config = ConfigDict(frozen=True)

    alert_id: int
    severity: Severity
    # The engine's sentence for the record (English): shown only for a rule not worded.
    text: str
    created_at: dt.datetime
    rule: str = ""
    # The record's local date (the day the alert is about), when it has one.
    local_date: dt.date | None = None


class AlertCard(BaseModel):
    """Everything a clinician needs to see about a group of alerts on one athlete."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    athlete_id: int
    # None: the athlete has no name yet ("Athlete #3" in the reader's language).
    athlete_name: str | None
    stage: str | None
    alerts: tuple[AlertLine, ...]
    # The day's answers as stored, (questionnaire, answers): worded for each reader.
    answers: tuple[tuple[str, dict[str, Any]], ...] = ()
    reasons: tuple[str, ...] = ()
    # A sign-off can be given now (one waits, the criteria are met, running is not stopped).
    gate_pending: bool = False
    # Running is stopped until a clinician reviews the athlete.
    suspended: bool = False
    kind: Literal["new", "resend", "to_admin"] = "new"
    # The athlete's protocol, to name stages and word the alerts ("H2 · Return to running")
    # in each reader's language; None: stage ids are shown as they are.
    protocol: Any = None
    # Another athlete the reader has in view has the same name: the number is shown beside
    # it (decided per reader: :func:`card_for`).
    name_clash: bool = False
    # The sign-off asked for confirms the diagnosis (the first stage's): what the athlete
    # reported at sign-up, shown as their own account (None on any other card).
    reported: ReportedInjury | None = None

    @property
    def severity(self) -> str:
        """The most severe alert of the card."""
        return most_severe(a.severity for a in self.alerts)

    @property
    def lead_alert_id(self) -> int:
        """The first alert of the card (its buttons cover lead..last)."""
        return self.alerts[0].alert_id

    @property
    def last_alert_id(self) -> int:
        """The highest alert id on the card."""
        return max(a.alert_id for a in self.alerts)

    @property
    def label(self) -> str:
        """The athlete as the card names them: the name, with the number only on a clash
        (in the current language when the athlete has no name yet)."""
        if self.athlete_name is None:
            return _("Athlete #{number}").format(number=self.athlete_id)
        return athlete_label(self.athlete_name, self.athlete_id, self.name_clash)

    @property
    def stage_text(self) -> str | None:
        """The stage as the clinician reads it, in the current language ("H2 · Return to
        running"); in words, never the id alone, for a stage without a name, one the
        protocol no longer holds, or when the protocol cannot be read."""
        if self.stage is None:
            return None
        return stage_words(self.protocol, self.stage, "clinician")


# Severity as the card's headline says it (a colour and a word).
SEVERITY_WORDS: dict[str, LazyText] = {
    "emergency": L_("🚨 Emergency"),
    "same_day": L_("🔴 Same day"),
    "within_24h": L_("🟠 Within 24 h"),
    "info": L_("ℹ️ For information"),
}
# Red flags as the clinician reads them (the athlete's answer keys never shown).
RED_FLAG_WORDS: dict[str, LazyText] = {
    "swelling": L_("new swelling"),
    "bruising": L_("new bruising"),
    "numbness": L_("numbness, tingling or weakness"),
    "night_pain": L_("pain at night"),
    "calf_warm_red": L_("calf warm, red or swollen"),
    "chest_breathless": L_("chest pain or breathlessness"),
    "unwell": L_("fever or unwell"),
    "pop": L_("a pop or sudden sharp pain"),
}
MAX_ALERT_LINES = 3
SIGNOFF_ALERT_RULE = "gate.8"  # the alert asking for a stage's sign-off
# Long enough for a worded line in any language (a sign-off note, three red flags).
ALERT_LINE_CHARS = 320


def severity_words(severity: str) -> str:
    """Return the severity as the card's headline says it."""
    words = SEVERITY_WORDS.get(severity)
    return str(words) if words is not None else severity


def render_alert_text(card: AlertCard, tz: dt.tzinfo = dt.UTC) -> str:
    """Return the plain-text alert message, read in five seconds: the athlete's name and the
    severity, what happened (one line per alert), the day's answers in words, what the rules
    did and the stage; the buttons follow."""
    severity = severity_words(card.severity)
    if card.severity == "info" and any(a.rule == SIGNOFF_ALERT_RULE for a in card.alerts):
        # A sign-off waits on the clinician's decision: never "for information".
        severity = _("🟢 Sign-off needed")
    head = f"{severity} · {card.label}"
    if card.kind == "resend":
        head += " · " + _("⏰ Re-sent: not yet acknowledged")
    elif card.kind == "to_admin":
        head += " · " + _("⏰ No clinician has acknowledged this yet")
    lines = [head]
    ordered = sorted(card.alerts, key=lambda a: (SEVERITY_RANK.get(a.severity, 9), a.created_at))
    whole: list[tuple[str, str]] = []  # the alerts whose line is shown uncut
    for alert in ordered[:MAX_ALERT_LINES]:
        when = alert.created_at.astimezone(tz).strftime("%H:%M")
        text, cut = shorten(
            alert_text(alert.rule, alert.text, card.protocol, alert.local_date, brief=True),
            ALERT_LINE_CHARS,
        )
        lines.append(f"• {when} {text}")
        if not cut:
            whole.append((alert.rule, alert.text))
    more = len(ordered) - MAX_ALERT_LINES
    if more > 0:
        lines.append(
            ngettext("• and {count} more alert", "• and {count} more alerts", more).format(
                count=more
            )
        )
    # A red flag the card's own line names ("athlete reported numbness, tingling or weakness
    # in the leg or foot") is not said again, in other words, among today's answers.
    named = any(red_flag_signs(a.text) is not None for a in ordered[:MAX_ALERT_LINES])
    answers = [w for w in (answers_in_words(p, a, flags=not named) for p, a in card.answers) if w]
    if answers:
        lines.append(_("Today: {answers}").format(answers="; ".join(answers)))
    if card.suspended:
        lines.append(_("⛔ Running is stopped until you review {name}.").format(name=card.label))
    elif card.gate_pending and not any(
        a.rule == SIGNOFF_ALERT_RULE for a in ordered[:MAX_ALERT_LINES]
    ):
        # The sign-off request's own line already says so (with the headline "Sign-off
        # needed"): said once, not three times.
        lines.append(_("🟢 The stage's criteria are met: your sign-off is needed to move on."))
    if card.reported is not None:
        # The sign-off request's line quotes the protocol's note: the account's closing line
        # does not say it again.
        said = signoff_note_shown(card.protocol, card.stage, whole)
        lines.extend(reported_injury_lines(card.reported, note_shown=said))
    stage = card.stage_text
    lines.append(
        _("Stage: {stage}").format(stage=stage) if stage else _("Programme not started yet.")
    )
    return "\n".join(lines)


def alert_keyboard(
    card: AlertCard,
    signer: CallbackSigner,
    recipient_telegram_id: int,
    now: dt.datetime,
    clinical: bool = True,
) -> list[list[dict[str, Any]]]:
    """Return the inline keyboard (Bot API JSON) for ``card``, signed for one recipient.

    ``clinical`` is False for an admin recipient who is not a linked clinician: they only get
    Acknowledge, since clinical decisions stay with the athlete's clinicians. Every recipient
    may read the athlete's record, so every card ends with the "Report (PDF)" button. A card
    whose athlete is stopped after a red flag offers the review ("Reviewed: may run again"),
    never a sign-off nor a step back (the engine would take either as the review); a sign-off
    is offered only when it can count.
    """
    # The stage shown rides along: a decision taken on a stale view (a second press, a
    # stage moved meanwhile) is refused instead of applied twice.
    ids = (card.athlete_id, card.lead_alert_id, card.last_alert_id, card.stage or "-")

    def button(text: object, action: str) -> dict[str, Any]:
        return {
            "text": str(text),
            "callback_data": signer.sign(action, ids, recipient_telegram_id, now),
        }

    report = report_button(
        signer, athlete_id=card.athlete_id, for_telegram_id=recipient_telegram_id, now=now
    ).to_dict()
    rows: list[list[dict[str, Any]]] = [[button(ACK_LABEL, ACT_ACK)]]
    if not clinical:
        rows.append([report])
        return rows
    if card.suspended:
        rows[0].append(button(REVIEWED_LABEL, ACT_REVIEW))
    elif card.gate_pending:
        rows[0].append(button(SIGN_OFF_LABEL, ACT_CLEAR))
        rows[0].append(button(DECLINE_LABEL, ACT_DECLINE))
    # A step back would lift the stop without the review's note: offered once reviewed.
    moves = [] if card.suspended else [button(BACK_LABEL, ACT_BACK)]
    rows.append([button(HOLD_LABEL, ACT_HOLD), *moves])
    rows.append([button(MESSAGE_LABEL, ACT_MSG)])
    rows.append([report])
    return rows


# --- Applying the policy to the store --------------------------------------------------------


def confirms_diagnosis(protocol: Any | None, stage_id: str | None) -> bool:
    """Whether the sign-off of ``stage_id`` is the one that confirms the diagnosis: the
    protocol's first stage (triage, H0/C0: "diagnosis ...; red flags excluded"), when its
    sign-off is required. Nobody has examined the athlete through Sprintback before it."""
    stages = getattr(protocol, "stages", None)
    if not stages or stage_id is None:
        return False
    first = stages[0]
    return bool(first.id == stage_id and first.signoff == "required")


def reported_injury(
    session: Session, athlete: Person, programme: Programme | None, now: dt.datetime
) -> ReportedInjury | None:
    """Return the injury the athlete reported at sign-up (the programme's, else their
    latest), with the sport they named then (kept only in the onboarding's audit entry),
    or None when none is stored. Days are counted on the athlete's own calendar."""
    assert athlete.id is not None
    row = (
        session.get(InjuryRecord, programme.injury_id)
        if programme is not None and programme.injury_id is not None
        else None
    )
    injury = row.model_dump() if row is not None and row.athlete_id == athlete.id else None
    if injury is None:
        latest = latest_injury(session, athlete_id=athlete.id)
        if latest is None:
            return None
        injury = latest.model_dump()
    entry = session.exec(
        select(AuditLog)
        .where(AuditLog.athlete_id == athlete.id, AuditLog.action == "onboarded")
        .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
        .limit(1)
    ).first()
    sport = entry.detail.get("sport") if entry is not None else None
    injury_date = injury["injury_date"]
    return ReportedInjury(
        injury=injury["injury"],
        side=injury["side"],
        muscle=injury.get("muscle"),
        grade=injury.get("grade"),
        injury_date=injury_date,
        mechanism=injury.get("mechanism"),
        sport=sport if isinstance(sport, str) and sport.strip() else None,
        days_ago=(local_date(athlete, now) - injury_date).days,
    )


def alert_state(row: AlertRecord) -> AlertState:
    """Return the policy view of a stored alert (alerts go out when raised: sent = created)."""
    assert row.id is not None
    return AlertState(
        alert_id=row.id,
        athlete_id=row.athlete_id,
        severity=row.severity,
        created_at=row.created_at,
        sent_at=row.created_at,
        acknowledged_at=row.acknowledged_at,
        resent_at=row.resent_at,
        admin_notified_at=row.escalated_to_admin_at,
    )


def _answers_of_day(table: Any) -> Select[Any]:
    return sa_select(table.c.answers).where(
        table.c.athlete_id == bindparam("athlete_id"), table.c.local_date == bindparam("day")
    )


_ANSWERS_OF_DAY = (
    ("morning", _answers_of_day(MorningCheckinRecord.__table__)),  # type: ignore[attr-defined]
    ("session", _answers_of_day(SessionReportRecord.__table__)),  # type: ignore[attr-defined]
)


def answers_in_words(prefix: str, answers: dict[str, Any], *, flags: bool = True) -> str:
    """Return a questionnaire's answers as a clinician reads them ("pain at rest 3/10, sharp
    pain: yes, red flags: numbness"); keys without plain words are left out, never shown.
    ``flags``: False leaves the red flags out (the card's alert line names them already)."""
    parts: list[str] = []
    for key, value in answers.items():
        if value in (None, [], {}) or isinstance(value, dict):
            continue
        if key == "red_flags" and not flags:
            continue
        if key == "red_flags" and isinstance(value, list):
            signs = [str(RED_FLAG_WORDS[f]) for f in value if f in RED_FLAG_WORDS]
            if signs:
                parts.append(_("red flags: {flags}").format(flags=", ".join(signs)))
            continue
        item = f"{prefix}.{key}"
        if item not in ITEM_WORDING or isinstance(value, list):
            continue
        wording = ITEM_WORDING[item]
        label = item_label(item, "clinician")
        if wording.fmt == "bool" or isinstance(value, bool):
            parts.append(labelled(label, _("yes") if value else _("no")))
        elif wording.fmt == "scale7" and isinstance(value, int | float):
            parts.append(f"{label} {value:g}/7")
        elif isinstance(value, int | float):
            parts.append(f"{label} {format_value(item, value)}")
    return ", ".join(parts)


def _answers_of(
    session: Session, athlete_id: int, day: dt.date | None
) -> tuple[tuple[str, dict[str, Any]], ...]:
    """Return the day's stored answers, (questionnaire, answers), worded when rendered."""
    if day is None:
        return ()
    found: list[tuple[str, dict[str, Any]]] = []
    for prefix, statement in _ANSWERS_OF_DAY:
        answers = session.execute(statement, {"athlete_id": athlete_id, "day": day}).scalar()
        if isinstance(answers, dict) and answers:
            found.append((prefix, dict(answers)))
    return tuple(found)


def _reasons_of(session: Session, rows: Sequence[AlertRecord]) -> tuple[str, ...]:
    """Return the reasons of the decisions behind the alerts: the linked decision, else the
    athlete's decisions of the alert's date (the athlete flow records them together)."""
    decisions: list[Decision] = []
    seen: set[int] = set()
    for row in rows:
        if row.decision_id is not None:
            found = session.get(Decision, row.decision_id)
            candidates = [found] if found is not None else []
        elif row.local_date is not None:
            candidates = list(
                session.exec(
                    select(Decision)
                    .where(
                        Decision.athlete_id == row.athlete_id,
                        Decision.local_date == row.local_date,
                    )
                    .order_by(col(Decision.id))
                )
            )
        else:
            candidates = []
        for decision in candidates:
            if decision.id is not None and decision.id not in seen:
                seen.add(decision.id)
                decisions.append(decision)
    lines: list[str] = []
    for decision in decisions:
        for reason in decision.decision.get("reasons", []):
            text = reason.get("text") or reason.get("rule")
            if text and text not in lines:
                lines.append(str(text))
    return tuple(lines[:8])


def build_card(
    session: Session,
    athlete: Person,
    rows: Sequence[AlertRecord],
    kind: Literal["new", "resend", "to_admin"],
    now: dt.datetime,
    states: dict[int, ReviewState] | None = None,
) -> AlertCard:
    """Return the card for alerts ``rows`` about ``athlete`` (answers, reasons, stage, gate).

    ``states`` caches each athlete's review state for one run at one ``now`` (working it out
    replays the athlete's history), so several cards on one athlete replay it once.
    """
    assert athlete.id is not None
    programme = current_programme(session, athlete.id)
    cached = states.get(athlete.id) if states is not None else None
    state = cached or review_state(session, athlete, programme, now)
    if states is not None:
        states[athlete.id] = state
    ordered = sorted(rows, key=lambda r: (r.created_at, r.id or 0))
    protocol = programme_protocol(session, programme, now) if programme is not None else None
    stage = programme.current_stage if programme is not None else None
    # A card asking for the sign-off that confirms the diagnosis shows the only diagnosis
    # there is: the athlete's own account.
    asks_signoff = state.may_sign_off or any(r.rule == SIGNOFF_ALERT_RULE for r in ordered)
    reported = None
    if asks_signoff and confirms_diagnosis(protocol, stage):
        try:
            reported = reported_injury(session, athlete, programme, now)
        except ValueError as exc:  # an unreadable record never holds up the card
            _LOGGER.error("athlete %s's reported injury unreadable: %s", athlete.id, exc)
    # Raw data only: every text is worded per reader, in their language (render_alert_text).
    return AlertCard(
        athlete_id=athlete.id,
        athlete_name=athlete.display_name or None,
        stage=stage,
        protocol=protocol,
        alerts=tuple(
            AlertLine(
                alert_id=r.id or 0,
                severity=r.severity,
                text=r.text,
                rule=r.rule,
                created_at=r.created_at,
                local_date=r.local_date,
            )
            for r in ordered
        ),
        answers=_answers_of(session, athlete.id, ordered[-1].local_date),
        reasons=_reasons_of(session, ordered),
        gate_pending=state.may_sign_off,
        suspended=state.suspended,
        kind=kind,
        reported=reported,
    )


@dataclass(frozen=True)
class Recipient:
    """Who gets an alert message: where to send it, whose presses its buttons accept,
    whether they get the clinical buttons (a linked clinician) or only Acknowledge, the
    time zone the alert times are shown in (theirs) and whether they are an admin (which
    athletes they have in view, to number a shared name)."""

    chat_id: int
    telegram_id: int
    person: Person | None
    clinical: bool
    timezone: str = "UTC"
    admin: bool = False

    @property
    def zone(self) -> dt.tzinfo:
        """The recipient's time zone (UTC if theirs cannot be loaded)."""
        return zone_of(self.timezone)


_LOGGER = logging.getLogger(__name__)


def _recipients(
    session: Session, athlete_id: int, admin_telegram_ids: Sequence[int], to_admin: bool
) -> list[Recipient]:
    """Return the linked clinicians, or the admins (hand-over, or nobody linked). None at all
    (no clinician linked, no admin configured) is logged as an error: the alert reaches
    nobody, and only the operator can change that."""
    clinicians = clinicians_of(session, athlete_id=athlete_id)
    admins = set(admin_telegram_ids)
    if not to_admin and clinicians:
        return [
            Recipient(
                chat_of(c), c.telegram_user_id, c, True, c.timezone, c.telegram_user_id in admins
            )
            for c in clinicians
        ]
    linked = {c.telegram_user_id for c in clinicians}
    out: list[Recipient] = []
    for tid in admin_telegram_ids:
        person = get_person_by_telegram_id(session, telegram_user_id=tid)
        chat = chat_of(person) if person is not None else tid
        zone = person.timezone if person is not None else "UTC"
        out.append(Recipient(chat, tid, person, tid in linked, zone, admin=True))
    if not out:
        _LOGGER.error(
            "an alert about athlete #%s reached nobody: %s and ADMIN_TELEGRAM_IDS is empty",
            athlete_id,
            "no clinician acknowledged it in time" if clinicians else "no clinician is linked",
        )
    return out


def card_for(session: Session, card: AlertCard, recipient: Recipient) -> AlertCard:
    """Return ``card`` as ``recipient`` reads it: the athlete's number beside the name only
    when another athlete the recipient has in view shares it."""
    athlete = session.get(Person, card.athlete_id)
    if athlete is None:
        return card
    clash = name_clashes(session, athlete, recipient.person, admin=recipient.admin)
    return card if clash == card.name_clash else card.model_copy(update={"name_clash": clash})


def _card_key(card: AlertCard, chat_id: int) -> str:
    """The dedupe key of a card's message to one chat: it names the alerts it covers."""
    return f"alert:{card.kind}:{card.lead_alert_id}:{card.last_alert_id}:{chat_id}"


def _send_card(
    session: Session,
    card: AlertCard,
    recipients: Sequence[Recipient],
    signer: CallbackSigner,
    now: dt.datetime,
) -> list[Outbox]:
    rows: list[Outbox] = []
    for r in recipients:
        # Each reader's card in their language, whoever's update or job raised the alert.
        with use_language(r.person.language if r.person is not None else None):
            text = render_alert_text(card_for(session, card, r), r.zone)
            keyboard = alert_keyboard(card, signer, r.telegram_id, now, clinical=r.clinical)
        chat = r.chat_id
        person = r.person
        rows.append(
            enqueue_message(
                session,
                chat_id=chat,
                text=text,
                kind=ALERT_KIND,
                now=now,
                reply_markup={"inline_keyboard": keyboard},
                person_id=person.id if person is not None else None,
                athlete_id=card.athlete_id,
                dedupe_key=_card_key(card, chat),
            )
        )
    return rows


_OUTBOX_TABLE: Any = Outbox.__table__  # type: ignore[attr-defined]
_ALERT_MESSAGES = sa_select(_OUTBOX_TABLE.c.created_at, _OUTBOX_TABLE.c.dedupe_key).where(
    _OUTBOX_TABLE.c.athlete_id == bindparam("athlete_id"),
    _OUTBOX_TABLE.c.kind == bindparam("kind"),
)


def _alert_messages_so_far(session: Session, athlete_id: int) -> tuple[dt.datetime | None, int]:
    """Return when the athlete's latest alert message was queued (None: never) and the
    highest alert id any of them covered (0: none).

    Alert ids grow with time and every alert message's dedupe key ends with the last alert
    id of its card (kept current when a waiting message is rewritten)."""
    latest: dt.datetime | None = None
    covered = 0
    params = {"athlete_id": athlete_id, "kind": ALERT_KIND}
    for created_at, key in session.execute(_ALERT_MESSAGES, params):
        if latest is None or created_at > latest:
            latest = created_at
        parts = (key or "").split(":")
        if len(parts) == 5 and parts[0] == "alert" and parts[3].isdigit():
            covered = max(covered, int(parts[3]))
    return latest, covered


def _untold(session: Session, athlete_id: int, rows: Sequence[AlertRecord]) -> set[int]:
    """Return the ids of ``rows`` (the athlete's alerts) that no alert message has covered
    yet, read from the outbox as it is now.

    An alert raised at the very instant of the last message is new unless that message (or
    an earlier one) named it: the timestamps alone cannot tell."""
    last_sent, covered_up_to = _alert_messages_so_far(session, athlete_id)
    return {
        r.id
        for r in rows
        if r.id is not None
        and (last_sent is None or r.created_at > last_sent or r.id > covered_up_to)
    }


def notify_new_alerts(
    session: Session,
    athlete_id: int,
    now: dt.datetime,
    signer: CallbackSigner,
    admin_telegram_ids: Sequence[int] = (),
    states: dict[int, ReviewState] | None = None,
) -> list[Outbox]:
    """Queue the message(s) for the athlete's alerts that no alert message has covered yet.

    The athlete's unacknowledged alerts are grouped by :func:`merge_groups`; each group with
    a new alert becomes one message. A message of that group still waiting in the outbox is
    rewritten to cover them all; if it was already sent, one merged message listing every
    alert of the group follows. Nobody linked: the admins get it. Returns the rows written.

    The alerts are read without locks, then, when one is new, claimed afresh under a row
    lock (:func:`claim_for_escalation`) and checked against the outbox again: an alert
    acknowledged meanwhile (on another replica) is not told, one another replica's job (or
    athlete update) is telling right now is left to it, and one it told since the read is
    not told twice.
    """
    athlete = session.get(Person, athlete_id)
    if athlete is None:
        return []
    unacknowledged = store_open_alerts(session, athlete_id=athlete_id)
    if not _untold(session, athlete_id, unacknowledged):
        return []
    claimed = claim_for_escalation(
        session, alert_ids=[r.id for r in unacknowledged if r.id is not None], kind="new"
    )
    # Read after the lock: a message queued (and committed) by whoever held it counts.
    fresh = _untold(session, athlete_id, claimed)
    if not fresh:
        return []
    by_id = {r.id: r for r in claimed}
    recipients = _recipients(session, athlete_id, admin_telegram_ids, to_admin=False)
    written: list[Outbox] = []
    for group in merge_groups([alert_state(r) for r in claimed]):
        if any(a.alert_id in fresh for a in group):
            rows = [by_id[a.alert_id] for a in group]
            written.extend(_deliver_group(session, athlete, rows, recipients, signer, now, states))
    return written


def _deliver_group(
    session: Session,
    athlete: Person,
    rows: Sequence[AlertRecord],
    recipients: Sequence[Recipient],
    signer: CallbackSigner,
    now: dt.datetime,
    states: dict[int, ReviewState] | None = None,
) -> list[Outbox]:
    """Decide, per recipient, how the group's card reaches them: their message of the group
    still waiting in the outbox (e.g. for a retry after a failed send) is rewritten to cover
    every alert of the group; a recipient with none waiting gets the card as a new message.

    One recipient's waiting message says nothing about the others: each linked clinician
    must get every red flag at once.
    """
    card = build_card(session, athlete, rows, "new", now, states)
    pending = session.exec(
        select(Outbox)
        .where(
            Outbox.athlete_id == athlete.id,
            Outbox.kind == ALERT_KIND,
            Outbox.status == "pending",
            col(Outbox.created_at) >= rows[0].created_at,
        )
        .order_by(col(Outbox.id))
    )
    # The latest waiting message per chat: a chat's dedupe key names the card once.
    waiting = {row.chat_id: row for row in pending}
    written: list[Outbox] = []
    unsent: list[Recipient] = []
    for recipient in recipients:
        row = waiting.get(recipient.chat_id)
        if row is None:
            unsent.append(recipient)
            continue
        person = recipient.person
        with use_language(person.language if person is not None else None):
            keyboard = alert_keyboard(
                card, signer, recipient.telegram_id, now, clinical=recipient.clinical
            )
            row.text = render_alert_text(card_for(session, card, recipient), recipient.zone)
        row.reply_markup = {"inline_keyboard": keyboard}
        # The rewritten message now covers the new alerts (pending_notifications reads this);
        # its retry time (not_before) and attempts are left as they are.
        row.created_at = now
        row.dedupe_key = _card_key(card, row.chat_id)
        session.add(row)
        written.append(row)
    session.flush()
    if unsent:
        written.extend(_send_card(session, card, unsent, signer, now))
    return written


def alert_notifier(signer: CallbackSigner, admin_telegram_ids: Sequence[int]) -> AlertNotifier:
    """Return the notifier of the athlete flow (``notify(session, athlete_id, now, status)``,
    returning the rows queued): it queues the clinician message(s) for the athlete's new
    alerts in the caller's transaction, reusing the stage status the engine run computed."""

    def notify(
        session: Session, athlete_id: int, now: dt.datetime, status: StageStatus | None = None
    ) -> int:
        states: dict[int, ReviewState] = {}
        athlete = session.get(Person, athlete_id)
        if status is not None and athlete is not None:
            today = local_date(athlete, now)
            states[athlete_id] = review_state_from_status(
                session, athlete_id, status.stage, status, today
            )
        return len(notify_new_alerts(session, athlete_id, now, signer, admin_telegram_ids, states))

    return notify


def pending_notifications(session: Session, since: dt.datetime) -> list[int]:
    """Return the athletes with an unacknowledged alert raised after ``since`` that no alert
    message has covered yet (a safety net for alerts raised without a notification).

    Two queries whatever the number of open alerts: it runs every minute."""
    newest: dict[int, dt.datetime] = {}
    for athlete_id, created_at in session.exec(
        select(col(AlertRecord.athlete_id), col(AlertRecord.created_at)).where(
            col(AlertRecord.acknowledged_at).is_(None), col(AlertRecord.created_at) >= since
        )
    ):
        if athlete_id not in newest or created_at > newest[athlete_id]:
            newest[athlete_id] = created_at
    if not newest:
        return []
    covered: dict[int, dt.datetime] = {}
    for about, sent_at in session.exec(
        select(col(Outbox.athlete_id), func.max(Outbox.created_at))
        .where(Outbox.kind == ALERT_KIND, col(Outbox.athlete_id).in_(sorted(newest)))
        .group_by(col(Outbox.athlete_id))
    ):
        if about is not None and sent_at is not None:
            covered[about] = sent_at
    return [
        athlete_id
        for athlete_id, raised in sorted(newest.items(), key=lambda item: (item[1], item[0]))
        if athlete_id not in covered or covered[athlete_id] <= raised
    ]


def run_escalations(
    session: Session,
    now: dt.datetime,
    signer: CallbackSigner,
    admin_telegram_ids: Sequence[int],
) -> list[EscalationStep]:
    """Notify un-notified alerts, then apply the due re-sends and admin hand-overs.

    Steps on alerts of one athlete are merged into one message per kind. Each alert is
    marked re-sent / escalated and the step is audited. The open alerts are read without
    locks; before anything is sent about them (the first message included:
    :func:`notify_new_alerts`) they are claimed afresh under a row lock
    (:func:`claim_for_escalation`), so an alert acknowledged meanwhile (a press, a sign-off
    or a review committed on another replica) is neither told, re-sent nor handed over, and
    two replicas running the job at once tell each alert once. Returns the steps applied.
    """
    states: dict[int, ReviewState] = {}
    for athlete_id in pending_notifications(session, now - dt.timedelta(days=1)):
        notify_new_alerts(session, athlete_id, now, signer, admin_telegram_ids, states)
    urgent = [
        r for severity in sorted(URGENT) for r in store_open_alerts(session, severity=severity)
    ]
    steps = due_escalations([alert_state(r) for r in urgent], now)
    by_key: dict[tuple[str, int], list[int]] = {}
    for step in steps:
        by_key.setdefault((step.kind, step.athlete_id), []).append(step.alert_id)
    applied: set[tuple[str, int]] = set()
    for (kind, athlete_id), alert_ids in by_key.items():
        step_kind: Literal["resend", "to_admin"] = "resend" if kind == "resend" else "to_admin"
        rows = claim_for_escalation(session, alert_ids=alert_ids, kind=step_kind)
        if not rows:
            continue  # acknowledged (or being acknowledged) since they were read
        athlete = session.get(Person, athlete_id)
        if athlete is None:
            continue
        card = build_card(session, athlete, rows, step_kind, now, states)
        recipients = _recipients(
            session, athlete_id, admin_telegram_ids, to_admin=kind == "to_admin"
        )
        _send_card(session, card, recipients, signer, now)
        for row in rows:
            assert row.id is not None
            applied.add((kind, row.id))
            if kind == "resend":
                mark_alert_resent(session, alert_id=row.id, now=now)
            else:
                mark_alert_escalated(session, alert_id=row.id, now=now)
        audit(
            session,
            actor_id=None,
            action="alert_resent" if kind == "resend" else "alert_to_admin",
            now=now,
            athlete_id=athlete_id,
            detail={
                "alert_ids": [r.id for r in rows],
                "recipients": [r.chat_id for r in recipients],
            },
        )
    return [step for step in steps if (step.kind, step.alert_id) in applied]
