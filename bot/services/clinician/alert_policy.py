"""When clinician alerts merge, are sent again, and go to an admin: pure functions of (alerts, now).

- :func:`merge_groups` puts alerts about one athlete raised within :data:`MERGE_WINDOW` of the
  first one into one group, which becomes one message.
- :func:`due_escalations` says which unacknowledged emergency / same-day alerts must be re-sent
  to the linked clinicians (:data:`RESEND_AFTER` after the first send) and which must then go
  to an admin (:data:`ADMIN_AFTER` after the re-send).
- :data:`SEVERITY_RANK` / :func:`most_severe` order severities for every clinician view.

Nothing here reads the store or the clock; ``bot.services.clinician.escalation`` applies it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.models import Severity

MERGE_WINDOW = dt.timedelta(minutes=5)
RESEND_AFTER = dt.timedelta(minutes=30)
ADMIN_AFTER = dt.timedelta(minutes=30)
URGENT: frozenset[str] = frozenset({"emergency", "same_day"})

SEVERITY_RANK: dict[str, int] = {"emergency": 0, "same_day": 1, "within_24h": 2, "info": 3}


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
