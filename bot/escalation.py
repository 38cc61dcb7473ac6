"""Clinician alerts: the message and its buttons, merging, re-sending and hand-over to an admin.

The policy is a set of pure functions of (alerts, now):
- :func:`merge_groups` puts alerts about one athlete raised within :data:`MERGE_WINDOW` of the
  first one into one group, which becomes one message.
- :func:`due_escalations` says which unacknowledged emergency / same-day alerts must be re-sent
  to the linked clinicians (:data:`RESEND_AFTER` after the first send) and which must then go
  to an admin (:data:`ADMIN_AFTER` after the re-send).

Rendering (:func:`render_alert_text`, :func:`alert_keyboard`) turns a group into the message a
clinician gets, with buttons signed for that one recipient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from bot.callback_auth import CallbackSigner
from engine.models import Severity

MERGE_WINDOW = dt.timedelta(minutes=5)
RESEND_AFTER = dt.timedelta(minutes=30)
ADMIN_AFTER = dt.timedelta(minutes=30)
URGENT: frozenset[str] = frozenset({"emergency", "same_day"})

SEVERITY_RANK: dict[str, int] = {"emergency": 0, "same_day": 1, "within_24h": 2, "info": 3}
SEVERITY_LABEL: dict[str, str] = {
    "emergency": "🚨 EMERGENCY",
    "same_day": "🟠 SAME-DAY",
    "within_24h": "🟡 Within 24 h",
    "info": "ℹ️ Info",
}

# Button actions (callback data prefixes). Kept short: the data must fit in 64 bytes.
ACT_ACK = "al_ack"
ACT_CLEAR = "al_clear"
ACT_HOLD = "al_hold"
ACT_BACK = "al_back"
ACT_MSG = "al_msg"
ALERT_ACTIONS = (ACT_ACK, ACT_CLEAR, ACT_HOLD, ACT_BACK, ACT_MSG)


class AlertState(BaseModel):
    """What the escalation policy needs to know about one stored alert."""

    model_config = ConfigDict(frozen=True)

    alert_id: int
    athlete_id: int
    severity: Severity
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    acknowledged_at: dt.datetime | None = None
    resent_at: dt.datetime | None = None
    admin_notified_at: dt.datetime | None = None


class EscalationStep(BaseModel):
    """One thing the escalation job must do now."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["resend", "to_admin"]
    alert_id: int
    athlete_id: int


def most_severe(severities: Iterable[str]) -> str:
    """Return the most severe of the given severities (emergency first); 'info' if none."""
    return min(severities, key=lambda s: SEVERITY_RANK.get(s, 99), default="info")


def merge_groups(
    alerts: Sequence[AlertState], window: dt.timedelta = MERGE_WINDOW
) -> list[list[AlertState]]:
    """Group alerts per athlete: each group holds the alerts raised within ``window`` of its first.

    Groups come back ordered by their first alert's time; alerts inside a group by time.
    """
    ordered = sorted(alerts, key=lambda a: (a.created_at, a.alert_id))
    open_group: dict[int, list[AlertState]] = {}
    groups: list[list[AlertState]] = []
    for alert in ordered:
        group = open_group.get(alert.athlete_id)
        if group is not None and alert.created_at - group[0].created_at <= window:
            group.append(alert)
            continue
        group = [alert]
        open_group[alert.athlete_id] = group
        groups.append(group)
    return groups


def due_escalations(
    alerts: Sequence[AlertState],
    now: dt.datetime,
    resend_after: dt.timedelta = RESEND_AFTER,
    admin_after: dt.timedelta = ADMIN_AFTER,
) -> list[EscalationStep]:
    """Return the re-sends and admin hand-overs due at ``now``.

    Only emergency and same-day alerts escalate, and only while nobody acknowledged them. An
    alert is re-sent once, ``resend_after`` after it was first sent; if still unacknowledged
    ``admin_after`` after the re-send, it goes to the admins (once).
    """
    steps: list[EscalationStep] = []
    for alert in sorted(alerts, key=lambda a: (a.created_at, a.alert_id)):
        if alert.severity not in URGENT or alert.acknowledged_at is not None:
            continue
        if alert.sent_at is None:
            continue
        if alert.resent_at is None:
            if now - alert.sent_at >= resend_after:
                steps.append(
                    EscalationStep(
                        kind="resend", alert_id=alert.alert_id, athlete_id=alert.athlete_id
                    )
                )
            continue
        if alert.admin_notified_at is None and now - alert.resent_at >= admin_after:
            steps.append(
                EscalationStep(
                    kind="to_admin", alert_id=alert.alert_id, athlete_id=alert.athlete_id
                )
            )
    return steps


class AlertLine(BaseModel):
    """One alert inside a message."""

    model_config = ConfigDict(frozen=True)

    alert_id: int
    severity: Severity
    text: str
    created_at: dt.datetime


class AlertCard(BaseModel):
    """Everything a clinician needs to see about a group of alerts on one athlete."""

    model_config = ConfigDict(frozen=True)

    athlete_id: int
    athlete_name: str
    stage: str | None
    alerts: tuple[AlertLine, ...]
    answers: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    gate_pending: bool = False
    kind: Literal["new", "resend", "to_admin"] = "new"

    @property
    def severity(self) -> str:
        """The most severe alert of the card."""
        return most_severe(a.severity for a in self.alerts)

    @property
    def lead_alert_id(self) -> int:
        """The first alert of the card (its buttons refer to it)."""
        return self.alerts[0].alert_id


def render_alert_text(card: AlertCard, tz: dt.tzinfo = dt.UTC) -> str:
    """Return the plain-text alert message: athlete, severity, what happened, current stage."""
    lines: list[str] = []
    if card.kind == "resend":
        lines.append("⏰ Re-sent: not yet acknowledged.")
    elif card.kind == "to_admin":
        lines.append("⏰ No clinician has acknowledged this alert. Please make sure it is seen.")
    lines.append(f"{SEVERITY_LABEL.get(card.severity, card.severity)}: {card.athlete_name}")
    lines.append(f"Athlete #{card.athlete_id}, stage {card.stage or 'not started'}")
    lines.append("")
    for alert in card.alerts:
        when = alert.created_at.astimezone(tz).strftime("%H:%M")
        label = SEVERITY_LABEL.get(alert.severity, alert.severity)
        lines.append(f"• {when} {label}: {alert.text}")
    if card.answers:
        lines.append("")
        lines.append("Answers:")
        lines.extend(f"  {a}" for a in card.answers)
    if card.reasons:
        lines.append("")
        lines.append("Why:")
        lines.extend(f"  {r}" for r in card.reasons)
    if card.gate_pending:
        lines.append("")
        lines.append("A sign-off gate is waiting for your clearance.")
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
    Acknowledge, since clinical decisions stay with the athlete's clinicians.
    """
    ids = (card.athlete_id, card.lead_alert_id)

    def button(text: str, action: str) -> dict[str, Any]:
        return {"text": text, "callback_data": signer.sign(action, ids, recipient_telegram_id, now)}

    rows: list[list[dict[str, Any]]] = [[button("✅ Acknowledge", ACT_ACK)]]
    if not clinical:
        return rows
    if card.gate_pending:
        rows[0].append(button("🟢 Clear gate", ACT_CLEAR))
    rows.append([button("⏸ Hold", ACT_HOLD), button("↩️ Step back", ACT_BACK)])
    rows.append([button("💬 Message athlete", ACT_MSG)])
    return rows
