"""Escalation policy: merging within 5 minutes, re-send after 30, then an admin."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.services.callback_auth import CallbackRejected, CallbackSigner, derive_secret
from bot.services.clinician.alert_policy import AlertState, due_escalations, merge_groups
from bot.services.clinician.buttons import ACT_ACK, ACT_CLEAR, ACT_DECLINE, ACT_REPORT, ACT_REVIEW
from bot.services.clinician.escalation import (
    AlertCard,
    AlertLine,
    alert_keyboard,
    answers_in_words,
    render_alert_text,
)
from bot.services.protocol_files import load_protocol

T0 = dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def alert(
    alert_id: int, athlete: int, at: dt.datetime, severity: str = "emergency", **kw
) -> AlertState:  # type: ignore[no-untyped-def]
    return AlertState(
        alert_id=alert_id, athlete_id=athlete, severity=severity, created_at=at, sent_at=at, **kw
    )


def test_alerts_on_one_athlete_within_five_minutes_make_one_group() -> None:
    groups = merge_groups(
        [alert(1, 10, T0), alert(2, 10, T0 + 3 * MIN), alert(3, 10, T0 + 5 * MIN)]
    )
    assert [[a.alert_id for a in g] for g in groups] == [[1, 2, 3]]


def test_an_alert_after_the_window_starts_a_new_group() -> None:
    groups = merge_groups([alert(1, 10, T0), alert(2, 10, T0 + 5 * MIN + dt.timedelta(seconds=1))])
    assert [[a.alert_id for a in g] for g in groups] == [[1], [2]]


def test_alerts_on_different_athletes_are_never_merged() -> None:
    groups = merge_groups([alert(1, 10, T0), alert(2, 11, T0 + MIN), alert(3, 10, T0 + 2 * MIN)])
    assert [[a.alert_id for a in g] for g in groups] == [[1, 3], [2]]


def test_unacknowledged_emergency_is_resent_after_30_minutes_then_goes_to_admin() -> None:
    a = alert(1, 10, T0)
    assert due_escalations([a], T0 + 29 * MIN) == []
    steps = due_escalations([a], T0 + 30 * MIN)
    assert [(s.kind, s.alert_id) for s in steps] == [("resend", 1)]
    resent = a.model_copy(update={"resent_at": T0 + 30 * MIN})
    assert due_escalations([resent], T0 + 59 * MIN) == []
    assert [s.kind for s in due_escalations([resent], T0 + 60 * MIN)] == ["to_admin"]
    handed = resent.model_copy(update={"admin_notified_at": T0 + 60 * MIN})
    assert due_escalations([handed], T0 + 300 * MIN) == []


def test_acknowledged_or_non_urgent_alerts_never_escalate() -> None:
    acked = alert(1, 10, T0, acknowledged_at=T0 + MIN)
    routine = alert(2, 10, T0, severity="within_24h")
    info = alert(3, 10, T0, severity="info")
    assert due_escalations([acked, routine, info], T0 + 600 * MIN) == []


def test_same_day_alert_escalates_like_an_emergency() -> None:
    assert [
        s.kind for s in due_escalations([alert(1, 10, T0, severity="same_day")], T0 + 31 * MIN)
    ] == ["resend"]


def card(gate: bool = False, kind: str = "new") -> AlertCard:
    return AlertCard(
        athlete_id=10,
        athlete_name="Anna",
        stage="H3",
        protocol=load_protocol("hamstring"),
        alerts=(
            AlertLine(
                alert_id=1, severity="within_24h", text="Sharp pain in session", created_at=T0
            ),
            AlertLine(
                alert_id=2,
                severity="emergency",
                text="Chest pain and breathless",
                created_at=T0 + MIN,
            ),
        ),
        answers=(("morning", {"red_flags": ["chest_breathless"]}),),
        reasons=("red_flag.chest_breathless: observed yes",),
        gate_pending=gate,
        kind=kind,  # type: ignore[arg-type]
    )


def test_message_names_athlete_severity_stage_and_each_alert() -> None:
    text = render_alert_text(card())
    assert text.startswith("🚨 Emergency · Anna\n")  # name and the most severe alert lead
    assert "Stage: H3 · " in text  # the code with the stage's name, never alone
    assert "07:00" in text and "Sharp pain in session" in text
    assert "Chest pain and breathless" in text
    assert "Today: red flags: chest pain or breathlessness" in text
    # The emergency is listed first, before the earlier, less severe alert.
    assert text.index("Chest pain") < text.index("Sharp pain in session")


def test_answers_read_as_words_never_as_keys() -> None:
    words = answers_in_words(
        "morning", {"pain_rest": 3, "red_flags": ["numbness"], "sleep_quality": 2}
    )
    assert (
        words == "pain at rest 3/10, red flags: numbness, tingling or weakness, sleep quality 2/7"
    )
    session = answers_in_words("session", {"sharp_pain": True, "pain_max": 4, "unknown_key": 1})
    assert session == "session pain 4/10, sharp pain: yes" or session == (
        "sharp pain: yes, session pain 4/10"
    )
    assert "_" not in words + session and "True" not in session


def test_resend_and_admin_messages_say_so() -> None:
    assert "Re-sent" in render_alert_text(card(kind="resend"))
    assert "No clinician has acknowledged" in render_alert_text(card(kind="to_admin"))


def test_buttons_are_signed_for_the_recipient_and_clear_appears_only_with_a_gate() -> None:
    signer = CallbackSigner(derive_secret("1:T"))
    rows = alert_keyboard(card(gate=False), signer, 555, T0)
    actions = [b["callback_data"].split(":")[0] for row in rows for b in row]
    assert ACT_CLEAR not in actions and ACT_ACK in actions and len(actions) == 5
    assert ACT_DECLINE not in actions
    with_gate = [
        b["callback_data"].split(":")[0]
        for row in alert_keyboard(card(gate=True), signer, 555, T0)
        for b in row
    ]
    assert ACT_CLEAR in with_gate and ACT_DECLINE in with_gate
    press = signer.verify(rows[0][0]["callback_data"], 555, T0)
    assert (press.int_id(0), press.int_id(1)) == (10, 1)


def test_a_stopped_athletes_card_offers_the_review_and_never_a_sign_off() -> None:
    signer = CallbackSigner(derive_secret("1:T"))
    stopped = card(gate=True).model_copy(update={"suspended": True})
    rows = alert_keyboard(stopped, signer, 555, T0)
    labels = [b["text"] for row in rows for b in row]
    assert "🩺 Reviewed: may run again" in labels
    assert "🟢 Sign off" not in labels and "✖️ Decline" not in labels
    actions = [b["callback_data"].split(":")[0] for row in rows for b in row]
    assert ACT_CLEAR not in actions and ACT_REVIEW in actions
    assert "⛔ Running is stopped until you review Anna." in render_alert_text(stopped)


def test_admin_only_recipient_gets_acknowledge_and_the_report_only() -> None:
    signer = CallbackSigner(derive_secret("1:T"))
    rows = alert_keyboard(card(gate=True), signer, 900, T0, clinical=False)
    assert [b["text"] for row in rows for b in row] == ["✅ Acknowledge", "📄 Report (PDF)"]


def test_every_card_ends_with_a_report_button_signed_for_its_recipient() -> None:
    signer = CallbackSigner(derive_secret("1:T"))
    for clinical in (True, False):
        rows = alert_keyboard(card(), signer, 555, T0, clinical=clinical)
        [report] = rows[-1]
        assert report["text"] == "📄 Report (PDF)"
        press = signer.verify(report["callback_data"], 555, T0)
        assert press.action == ACT_REPORT and press.int_id(0) == 10
        with pytest.raises(CallbackRejected):
            signer.verify(report["callback_data"], 556, T0)


def test_alert_times_are_shown_in_the_recipients_zone() -> None:
    tokyo = render_alert_text(card(), ZoneInfo("Asia/Tokyo"))
    assert "• 16:00" in tokyo and "• 07:00" not in tokyo  # 07:00 UTC is 16:00 in Tokyo
