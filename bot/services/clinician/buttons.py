"""The buttons the clinician's cards share: what each one does and the signed Report button.

The alert card (``bot.services.clinician.escalation``) and the athlete card
(``bot.services.clinician.card``) offer the same decisions; their callback data starts with the
action names below, which the clinician handlers match. Every button is signed for the one
person it is shown to (``bot.services.callback_auth``).
"""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.services.callback_auth import CallbackSigner
from bot.support.i18n import L_, _

# Button actions (callback data prefixes). Kept short: the data must fit in 64 bytes.
ACT_ACK = "al_ack"
ACT_CLEAR = "al_clear"
ACT_HOLD = "al_hold"
ACT_BACK = "al_back"
ACT_MSG = "al_msg"
ACT_DECLINE = "gate_no"
# The review after a red-flag stop: asks for a note, then a confirmation (ACT_REVIEW_OK).
ACT_REVIEW = "al_rev"
ACT_REVIEW_OK = "al_rok"
# A /stage change that needs a confirmation (more than one stage, or soon after a red flag).
ACT_STAGE_OK = "st_ok"
ACT_CANCEL = "al_no"
ALERT_ACTIONS = (
    ACT_ACK,
    ACT_CLEAR,
    ACT_DECLINE,
    ACT_HOLD,
    ACT_BACK,
    ACT_MSG,
    ACT_REVIEW,
    ACT_REVIEW_OK,
    ACT_STAGE_OK,
    ACT_CANCEL,
)

# Button labels (translated when a card is built).
REVIEWED_LABEL = L_("🩺 Reviewed: may run again")
SIGN_OFF_LABEL = L_("🟢 Sign off")
DECLINE_LABEL = L_("✖️ Decline")
ACK_LABEL = L_("✅ Acknowledge")
HOLD_LABEL = L_("⏸ Hold")
BACK_LABEL = L_("↩️ Step back")
MESSAGE_LABEL = L_("💬 Message athlete")
CONFIRM_REVIEW_LABEL = L_("✅ Confirm review")
CONFIRM_STAGE_LABEL = L_("✅ Change the stage")
CANCEL_LABEL = L_("✖️ Cancel")


# The "Report (PDF)" button on both cards (handled by the reports handlers).
ACT_REPORT = "rep_pdf"


def report_button(
    signer: CallbackSigner,
    *,
    athlete_id: int,
    for_telegram_id: int,
    now: dt.datetime,
    text: str | None = None,
) -> InlineKeyboardButton:
    """Return a button that sends the athlete's PDF report to ``for_telegram_id`` (signed for
    them only; access is checked again when pressed)."""
    return InlineKeyboardButton(
        text or _("📄 Report (PDF)"),
        callback_data=signer.sign(ACT_REPORT, [athlete_id], for_telegram_id, now),
    )


def report_keyboard(
    signer: CallbackSigner, *, athlete_id: int, for_telegram_id: int, now: dt.datetime
) -> InlineKeyboardMarkup:
    """Return a one-button keyboard holding ``report_button``."""
    return InlineKeyboardMarkup(
        [[report_button(signer, athlete_id=athlete_id, for_telegram_id=for_telegram_id, now=now)]]
    )
